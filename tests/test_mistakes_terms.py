"""Terms, halves and constants named from the author's own page (issue 17, session 25).

Each case is a corpus file whose labelled step the entry reproduces by value and whose page
shows the mechanism; beside it, a file whose page shows another mechanism keeps no such name.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus.support import named_at_label, read_label

CORPUS = Path(__file__).resolve().parent / "corpus"


_named = named_at_label


def test_a_factor_lost_from_a_log_the_page_keeps_is_its_term_dropped():
    # log(P(y|θ)P(θ)/(P(y)P(θ))) written log P(y|θ): the log stands, P(y) is gone from it
    assert _named("bayes/wrong/posterior_ratio_theta.s2.dropped-term.deriv") == "dropped-term"


def test_a_factor_lost_while_logs_merge_is_no_term_dropped():
    # log(a/r) − log(b/(1 − r)) written log(a/(b r)): two logs merged, (1 − r) lost from the
    # product they formed
    assert _named("vi/wrong/neal_hinton_free_energy_gradient.s2.dropped-factor.deriv") \
        != "dropped-term"


@pytest.mark.parametrize("relative", [
    "bayes/wrong/posterior_ratio_theta.s2.dropped-term.deriv",
    # −a²(a + b) over the common denominator where the author's (a + b + 1) belongs
    "conjugate/wrong/gelman_beta_variance.s1.dropped-term.deriv",
    # α(1 − ᾱ) − α for α(1 − ᾱ) + (1 − α): the 1 of the author's (1 − α) lost
    "diffusion/wrong/luo_posterior_variance.s1.dropped-term.tex",
    # d/dt (μ + s²t)e^{…} written (μ + s²t)²e^{…}: the product rule shows, s²e^{…} lost
    "moments/wrong/gaussian_mgf_derivatives.s2.dropped-term.deriv",
])
def test_named_right(relative):
    assert _named(relative) in read_label(CORPUS / relative).names


def test_a_constant_changed_where_no_half_shows_is_a_constant_wrong():
    # e⁰ − 2e^{…} + e⁰ written 1 − 2e^{…}: the value 2 written 1 is ½ of it, but no ½ was
    # written on the page; the general entry (a constant wrong) is named, not left unnamed
    assert _named("information/wrong/infovae_mmd_two_points.s1.constant-wrong.tex") \
        == "constant-wrong"


def test_one_term_for_the_whole_contradicts_nothing():
    # KL(q ‖ p) written E[(x − m)² − (x − n)²]/(2s²): the whole negated cannot be told from
    # one term negated on a one-term line, which is no reason to name the one term
    assert _named("diffusion/wrong/ho_kl_equal_variance.s1.log-ratio-flipped.deriv") \
        != "sign-error"


def test_a_term_is_restored_only_beside_the_rest_of_its_written_sum():
    import sympy as sp

    from elbo_derivation.explain.simulations import written_term_restored

    a, b, c = sp.symbols("a b c", positive=True)
    roles = type("R", (), {"written_sums": [(a, b, c)]})()
    assert [w for w, _ in written_term_restored(a + b, roles)] == [a + b + c]
    assert written_term_restored(a + 2 * b, roles) == []  # b of the author's sum not there
    assert written_term_restored(a + b, object()) == []  # no sums known: nothing restored


def test_a_rule_that_shows_nothing_names_no_term():
    # d/dt e^t/(1 + e^t) written e^t/(1 + e^t): the function itself, no rule on the page
    # (the quotient rule's square lost as much as its term)
    assert _named("expfamily/wrong/wainwright_jordan_bernoulli_variance.s2.missing-square.deriv") \
        != "dropped-term"


def test_a_term_is_never_added_to_a_variable_an_expectation_binds() -> None:
    """A remainder of the step's sum that is the variable of an expectation (b of
    (b − θ)·g(b) under E over b) is not a site for a term: only the integrand is."""
    from types import SimpleNamespace

    import sympy as sp

    from elbo_derivation.core.expectation import Expectation
    from elbo_derivation.explain import simulations as sim

    b, u = sp.Symbol("b", integer=True), sp.Symbol("u", positive=True)
    r = sp.Function("r", positive=True)(b)
    node = Expectation(sp.Function("g")(b) * b, b, r)
    roles = SimpleNamespace(step_sums=[(b, -u)])
    variants = sim.term_added(node, roles)
    assert all(isinstance(w, Expectation) and w.variable == b for w, _ in variants)
