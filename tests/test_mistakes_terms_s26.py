"""Terms added, constants kept on the page, squares (issue 17, session 26).

Each case is a corpus file whose labelled step the entry reproduces by value and whose page
shows the mechanism, or a unit case of the simulation itself; beside them, cases where the
page shows another mechanism and the name must not be given.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import sympy as sp
from corpus.support import named_at_label

from elbo_derivation.explain import simulations as sim
from elbo_derivation.explain.mistakes import diagnose

a, b, c = sp.symbols("a b c", positive=True)


# --- a term added -------------------------------------------------------------------------------


def test_a_term_added_comes_from_the_written_step_only():
    roles = SimpleNamespace(step_sums=[(a**2, b**2)], step_sums_top=True)
    assert [w for w, _ in sim.term_added_to_whole(a**2, roles)] == [2 * a**2, a**2 + b**2]
    # a step that is no sum at its top adds nothing to the whole
    roles = SimpleNamespace(step_sums=[(a**2, b**2)], step_sums_top=False)
    assert sim.term_added_to_whole(a**2, roles) == []
    # nothing written, nothing added
    assert sim.term_added_to_whole(a**2, SimpleNamespace()) == []


def test_a_term_added_inside_goes_where_the_rest_of_its_sum_stands():
    roles = SimpleNamespace(step_sums=[(c, sp.exp(-a) * sp.exp(-b))])
    out = [w for w, _ in sim.term_added(sp.log(sp.exp(-a) * sp.exp(-b)), roles)]
    assert out == [sp.log(c + sp.exp(-a) * sp.exp(-b))]
    assert sim.term_added(sp.log(a + b), roles) == []


@pytest.mark.parametrize("relative", [
    # e^{t−1} − 1 for e^{t−1}: the −1 written is no term of the right value
    "information/wrong/nowozin_fgan_kl_conjugate.s2.extra-term.deriv",
    # a²s² + b² for a²s²: the shift's b² added to a variance
    "moments/wrong/wasserman_linear_variance.s2.extra-term.deriv",
    # a − b for a
    "vi/wrong/mnih_gregor_baseline.s2.extra-term.deriv",
    # log(c + e^{−a₁}e^{−a₂}) for log(e^{−a₁}e^{−a₂}): the off-diagonal c added inside the log
    "flows/wrong/papamakarios_maf_logdet.s1.extra-term.deriv",
])
def test_a_term_added_on_the_page_is_named(relative):
    assert named_at_label(relative) == "extra-term"


def test_without_a_page_a_term_added_is_not_named():
    # no derivation: nothing says which term the author wrote
    assert getattr(diagnose(a**2, a**2 + b**2, None, None), "name", None) != "extra-term"


# --- a constant said wrong in a bracket the page keeps ------------------------------------------


def test_a_bracket_carried_unchanged_had_no_constant_written_wrong():
    # −log(1/(K − 1)) for −log(eᶠ/(eᶠ + (K − 1)eᶠ)): the term eᶠ dropped; K − 1 written K − 2
    # gives the same value, but K − 1 stands on the page unchanged (the name once depended on
    # the points the screen drew for the names f, K)
    assert named_at_label(
        "information/wrong/oord_infonce_uninformative.s1.dimension-count.deriv") == "dropped-term"


# --- a square lost from a factor of a squared bracket -------------------------------------------


def test_a_square_over_a_bracket_lost_on_one_factor():
    x, m = sp.symbols("x m", real=True)
    out = [w for w, _ in sim.square_lost_on_a_factor((a * x - a * m) ** 2, None)]
    assert a * (x - m) ** 2 in out
    # the square of a sum with no common factor, expanded, loses it in one term only
    u, v = sp.symbols("u v", positive=True)
    out = [w for w, _ in sim.square_lost_on_a_factor((u + v * sp.sqrt(x)) ** 2, None)]
    assert u**2 + 2 * u * v * sp.sqrt(x) + v * x in out
    assert sim.square_lost_on_a_factor(a * x, None) == []


def test_a_square_given_through_a_bracket_is_counted_once_per_factor_it_reaches():
    from elbo_derivation.explain.witness_terms import squares_given

    x, e, f = sp.symbols("x e f", positive=True)
    # ((1 − a)(f − e))²: one square for 1 − a, a factor of the whole bracket
    assert squares_given(sp.Pow(sp.Mul(1 - a, f - e, evaluate=False), 2, evaluate=False),
                         1 - a) == 1
    # (b·x + e/x)²: x reaches both terms, once each
    assert squares_given(sp.Pow(sp.Add(b * x, e / x, evaluate=False), 2, evaluate=False),
                         x) == 2
    assert squares_given(sp.Pow(a + e, 2, evaluate=False), x) == 0


@pytest.mark.parametrize("relative", [
    # ((1 − a)(f − e)/(√a√(1 − c)))² written (1 − a)(e − f)²/(a(1 − c)): 1 − a kept no square
    "diffusion/wrong/ho_epsilon_loss.s2.missing-square.deriv",
    # (√a x₀ + e√(1 − a))² expanded with e²√(1 − a) for e²(1 − a)
    "diffusion/wrong/ho_forward_second_moment.s1.missing-square.deriv",
    # E[(a x + b − (a m + b))²] written a·E[(x − m)²]: a taken out of the square without it
    "moments/wrong/wasserman_linear_variance.s1.missing-square.deriv",
    # (sσ + (x̃ − x)/σ)² expanded with s²σ for s²σ²
    "diffusion/wrong/song_ermon_weighting.s2.missing-square.tex",
])
def test_a_square_lost_from_a_squared_bracket_is_named(relative):
    assert named_at_label(relative) == "missing-square"


def test_a_square_the_page_never_wrote_is_not_named():
    # d/dt eᵗ/(1 + eᵗ) written eᵗ/(1 + eᵗ): the quotient rule's square was never on the page
    assert named_at_label(
        "expfamily/wrong/wainwright_jordan_bernoulli_variance.s2.missing-square.deriv") is None


# --- a change inside an evaluated expectation that linearity carries out ------------------------


def test_a_part_free_of_the_bound_variable_stands_in_the_value_as_in_the_integrand():
    from elbo_derivation.core.expectation import Expectation
    from elbo_derivation.explain.mistakes import _pulled_out

    w, m = sp.symbols("w m", real=True)
    dens = sp.exp(-(w - m) ** 2 / 2)
    e = Expectation(a**2 * (w - m) ** 2 + b, w, dens)
    path_a2 = (0, 0)  # the product a²(w − m)², a term of the integrand
    assert _pulled_out(e, path_a2, {"right": a**2, "wrong": a})
    # a part with the bound variable does not stand apart in the value
    assert not _pulled_out(e, path_a2, {"right": (w - m) ** 2, "wrong": w - m})
    # nor a part of the density, nor a number changed
    assert not _pulled_out(e, path_a2, {"right": m**2, "wrong": m})
    assert not _pulled_out(e, (0,), {"right": b + 1, "wrong": b})
    # nor a part inside a function of the bound variable
    f = Expectation(sp.exp(a * w), w, dens)
    assert not _pulled_out(f, (0, 0), {"right": a, "wrong": b})


def test_a_term_free_of_the_noise_dropped_from_an_evaluated_expectation_is_named():
    # E[a e²(1 − b) − a + 1] written a(1 − b) + 1: the −a of the integrand lost
    assert named_at_label("diffusion/wrong/luo_two_steps_variance.s2.dropped-term.deriv") \
        == "dropped-term"
    # E[a₁²s₁² + a₂²(w₂ − m₂)²] written a₁²s₁² + a₂s₂²
    assert named_at_label("vi/wrong/kingma_local_reparam_variance.s2.missing-square.deriv") \
        == "missing-square"


def test_a_term_that_may_come_from_an_evaluated_value_is_not_said_added():
    k, lam, g = sp.symbols("k lambda g", positive=True)
    # the step evaluates a series: its −1 may be the series' own (from k = 0), and a term
    # with the series' symbol may be its value written wrong
    roles = SimpleNamespace(step_sums=[(g, sp.exp(lam), sp.S(-1))], step_sums_top=True,
                            evaluated=(True, {lam}))
    series = sp.Sum(lam**k / sp.factorial(k), (k, 0, sp.oo))
    assert [b["added"] for _, b in sim.term_added_to_whole(g + series, roles)] == [g]
    # a symbol the evaluated parts do not hold may be added
    roles = SimpleNamespace(step_sums=[(a**2, b**2)], step_sums_top=True,
                            evaluated=(True, {a}))
    assert [w for w, _ in sim.term_added_to_whole(a**2, roles)] == [a**2 + b**2]


def test_a_sum_carried_from_the_previous_line_had_no_term_added():
    roles = SimpleNamespace(step_sums=[(c, sp.exp(-a))], written_sums=[(sp.exp(-a), c)])
    assert sim.term_added(sp.log(sp.exp(-a)), roles) == []
