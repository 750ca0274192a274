"""The catalogue's simulations on structure (explain/simulations.py): each names its mistake
only where it reproduces the written step, and stays silent where another lesson fits as well."""

from __future__ import annotations

from types import SimpleNamespace

import sympy as sp

from elbo_derivation.core.steps import Relation
from elbo_derivation.explain.mistakes import diagnose
from elbo_derivation.explain.roles import count_rates
from elbo_derivation.explain.simulations import closed_sum, count_lost

x, m, z = sp.symbols("x m z", real=True)
s, lam, a, b, beta = sp.symbols("s lam a b beta", positive=True)
k = sp.Symbol("k", integer=True)
D = sp.Symbol("D", positive=True, integer=True)
d = sp.Symbol("d", integer=True)
GAUSS = sp.exp(-(x - m) ** 2 / (2 * s**2)) / sp.sqrt(2 * sp.pi * s**2)


def _name(right: sp.Basic, wrong: sp.Basic, relation: str = "=") -> str | None:
    step = SimpleNamespace(relation=Relation(relation), index=1, wrt=())
    found = diagnose(right, wrong, None, step)
    return None if found is None else found.name


def test_a_fourth_moment_taken_as_the_square_of_the_second() -> None:
    right = sp.Integral(GAUSS * (x - m) ** 4, (x, -sp.oo, sp.oo))
    step = SimpleNamespace(relation=Relation("="), index=1, wrt=())
    found = diagnose(right, s**4, None, step)
    assert found is not None and found.name == "wrong-moment"
    assert "3·s⁴" in found.explanation and "s⁴ was used" in found.explanation


def test_a_moment_taken_as_zero_is_not_told_from_a_dropped_term() -> None:
    # E[(x − m)²] = s² taken as (E[x] − m)² = 0 is also the term dropped: wrong-moment
    # does not offer it, and the dropped term keeps its name
    right = sp.log(s) + sp.Integral(GAUSS * (x - m) ** 2, (x, -sp.oo, sp.oo))
    assert _name(right, sp.log(s)) == "dropped-term"


def test_the_other_distributions_mean_under_a_poisson_weight() -> None:
    right = sp.Sum(a**k * sp.exp(-a) / sp.factorial(k) * (k * sp.log(a / b) - a + b),
                   (k, 0, sp.oo))
    derivation = SimpleNamespace(
        declarations=None, symbols={}, definitions={}, steps=[],
        start=sp.Sum(a**k * sp.exp(-a) / sp.factorial(k)
                     * sp.log(sp.exp(-a) * a**k / (sp.exp(-b) * b**k)), (k, 0, sp.oo)))
    step = SimpleNamespace(relation=Relation("="), index=1, wrt=())
    found = diagnose(right, b * sp.log(a / b) - a + b, derivation, step)
    assert found is not None and found.name == "wrong-moment"
    assert "other distribution" in found.explanation


def test_poisson_rates_from_structure() -> None:
    ratio = sp.log(sp.exp(-a) * a**k / (sp.exp(-b) * b**k))
    assert count_rates(sp.Sum(ratio, (k, 0, sp.oo))) == [a, b]
    assert count_rates(a**k * sp.exp(-a)) == []  # no summation index: no count


def test_a_count_lost_from_a_sum() -> None:
    f = sp.Function("f", real=True)(d)
    [(wrong, binding)] = count_lost(sp.Sum(f**2 / 2 - sp.Rational(1, 2), (d, 1, D)), None)
    assert binding["s"] == D and binding["right"] == -D / 2
    assert wrong == sp.Sum(f**2, (d, 1, D)) / 2 - sp.Rational(1, 2)
    assert count_lost(sp.Sum(d**2, (d, 1, 3)), None) == []  # nothing free of the index


def test_series_closed_by_the_ratio_of_terms() -> None:
    assert closed_sum(sp.Sum(lam**k / sp.factorial(k), (k, 0, sp.oo))) == sp.exp(lam)
    assert sp.simplify(closed_sum(sp.Sum((1 + a) ** -k, (k, 0, sp.oo))) - (1 + a) / a) == 0
    # a polynomial times a geometric term: Σ k² rᵏ = r(1 + r)/(1 − r)³, r = 1/(1 + a)
    r = 1 / (1 + a)
    assert sp.simplify(closed_sum(sp.Sum(k**2 * (1 + a) ** -k, (k, 0, sp.oo)))
                       - r * (1 + r) / (1 - r) ** 3) == 0
    assert closed_sum(sp.Sum((1 + a) ** -k / (k + 1), (k, 0, sp.oo))) is None


def test_the_inner_derivative_of_another_variable_and_not_a_sign() -> None:
    right = sp.Derivative((m + s * z) ** 2, m)
    assert _name(right, 2 * s * (m + s * z)) == "chain-rule-factor-wrong"
    # ∂/∂x of (x − m)² is minus ∂/∂m: the inner factor −1 forgotten, not another variable
    assert _name(sp.Derivative(s * (x - m) ** 2, m), 2 * s * (x - m)) \
        == "chain-rule-factor-forgotten"


def test_a_bound_with_the_wrong_constant() -> None:
    t = sp.Symbol("t", positive=True)
    step = SimpleNamespace(relation=Relation("<="), index=1, wrt=())
    found = diagnose(sp.log(t), t - 2, None, step)
    assert found is not None and found.name == "constant-wrong"
    assert found.expected_step == t - 1


def test_a_beta_on_one_term_only() -> None:
    right = beta * (s**2 + m**2 - sp.log(s**2) - 1) / 2
    wrong = beta * (s**2 + m**2 - 1) / 2 - sp.log(s**2) / 2
    assert _name(right, wrong) == "factor-on-one-term"


def test_a_minus_one_lost_in_one_coordinate_is_not_a_count() -> None:
    # the per-coordinate form with one −1 missing has the constant of a miscounted
    # dimension, but the written step shows which coordinate lost it
    from elbo_derivation.pipeline import check_derivation
    from elbo_derivation.read.deriv import parse_derivation

    text = (
        "symbols: g1, g2, l1, l2 : real\n\n"
        "    (exp(l1) + g1^2 - l1 - 1)/2 + (exp(l2) + g2^2 - l2 - 1)/2\n"
        "  = (exp(l1) + g1^2 - l1 - 1)/2 + (exp(l2) + g2^2 - l2)/2\n"
        "  = (exp(l1) + g1^2 - l1)/2 + (exp(l2) + g2^2 - l2)/2 - 1/2\n")
    d = parse_derivation(text, file="t.deriv")
    check_derivation(d)
    assert d.steps[0].result.mistake != "dimension-count"


# --- role, moment and index simulations (s23) --------------------------------------------------


def test_index_confused_keeps_the_sum_of_each_term_differentiated() -> None:
    from elbo_derivation.explain.simulations import index_confused

    f = sp.Function("f", real=True)
    j = sp.Symbol("j", integer=True)
    node = sp.Derivative(sp.Sum(f(k) ** 3 / 3, (k, 1, D)), f(j))
    [(wrong, b)] = index_confused(node, None)
    assert wrong == sp.Sum(f(k) ** 2, (k, 1, D)) and b["right"] == f(j) ** 2
    # the derivative by the summation index's own coordinate is no confusion
    assert index_confused(sp.Derivative(sp.Sum(f(k) ** 2, (k, 1, D)), f(k)), None) == []


def test_bound_shifted_and_restored_are_inverse() -> None:
    from elbo_derivation.explain.simulations import bound_restored, bound_shifted

    node = sp.Sum(x**k, (k, 1, D))
    shifted = {w for w, _ in bound_shifted(node, None)}
    assert sp.Sum(x**k, (k, 1, D - 1)) in shifted and sp.Sum(x**k, (k, 2, D)) in shifted
    back = {w for w, _ in bound_restored(sp.Sum(x**k, (k, 1, D - 1)), None)}
    assert node in back
    # a series is not moved (its first term lost is first_term_lost's)
    assert bound_shifted(sp.Sum(x**k, (k, 0, sp.oo)), None) == []


def test_second_moment_forgotten_under_an_expectation_of_an_explicit_density() -> None:
    from elbo_derivation.core.expectation import Expectation
    from elbo_derivation.explain.simulations import as_integral, second_moment_forgotten

    e = Expectation((z - x) ** 2, x, GAUSS.xreplace({x: x}))
    assert isinstance(as_integral(e), sp.Integral)
    [(wrong, b)] = second_moment_forgotten("variance")(e, None)
    assert sp.simplify(wrong - (z - m) ** 2) == 0
    assert sp.expand(b["wrong"] - (z - m) ** 2) == 0
    [(wrong, _)] = second_moment_forgotten("mean")(e, None)
    assert sp.simplify(wrong - s**2) == 0


# --- factor, constant and term mistakes (s23) ---------------------------------------------------


def test_factor_simulations_on_structure() -> None:
    from elbo_derivation.explain import simulations as sim

    u, w = sp.symbols("u w", positive=True)
    # a factor dropped from a product, not one that stands in the rest too
    assert -w - sp.log(w) in [v for v, _ in sim.factor_dropped(-u * (w + sp.log(w)), None)]
    assert sim.factor_dropped(sp.exp(-u) / (1 + sp.exp(-u)), None) == []
    # the square of a bracket lost; a square of a symbol is left to its role's entries
    assert [v for v, _ in sim.square_of_bracket_lost((u + w) ** 2 * sp.exp(u), None)] == \
        [(u + w) * sp.exp(u)]
    assert sim.square_of_bracket_lost(u**2 * sp.exp(u), None) == []
    # the inner factor forgotten in the first of two derivatives
    wrong = [v for v, _ in sim.inner_factor_forgotten_higher(
        sp.Derivative(sp.log(1 + sp.exp(2 * u)), (u, 2)), None)]
    assert sp.Derivative(sp.exp(2 * u) / (1 + sp.exp(2 * u)), u) in wrong
    # a factor of a log's argument is a term of the log; a log of a number lost
    f = sp.Function("f")(u)
    assert -sp.log(w) in [b["right"] for _, b in sim.log_factor_dropped(sp.log(f / w), None)]
    assert [v for v, _ in sim.log_of_constant_lost(w + sp.log(3), None)] == [w + 3]
    assert sim.log_of_constant_lost(w + sp.log(sp.Rational(1, 2)), None) == []


# --- signs, complements and Jensen (s23) -------------------------------------------------------


def test_sign_complement_and_jensen_simulations_act_on_roles_not_letters() -> None:
    from elbo_derivation.explain import simulations as sim
    from elbo_derivation.explain.roles import Roles

    c, e = sp.symbols("c e", positive=True)
    u = sp.Symbol("u", real=True)
    roles = Roles(roles={c: "probability", e: "probability"})
    # 1 − c written c, and both complements of one log ratio at once
    assert [w for w, _ in sim.complement_written(1 - c, roles)] == [c]
    both = [w for w, _ in sim.complement_written(sp.log((1 - c) / (1 - e)), roles)]
    assert sp.log(c / e) in both
    # a symbol with no role has no complement
    assert sim.complement_written(1 - u, roles) == []
    # an expression found beside its complement is a probability too
    sig = 1 / (1 + sp.exp(-u))
    assert [w for w, _ in sim.complement_written(1 - sig, Roles(probabilities=[sig]))] == [sig]
    # the whole exponent negated; a one-term exponent is left to the sign error itself
    assert [w for w, _ in sim.exponent_negated(sp.exp(u - c), roles)] == [sp.exp(c - u)]
    assert sim.exponent_negated(sp.exp(-u), roles) == []
    # two terms negated: in a sum of two only as a part (guarded), never the whole
    (w, b), = sim.two_terms_negated(u - c, roles)
    assert w == c - u and not b["guard"](u - c, ()) and b["guard"](u - c, (1,))
    # a log ratio as two logs, flipped; of abstract densities it is left alone
    pair = sim.log_pair_flipped(sp.log(c) - sp.log(e) + u, roles)
    assert [w for w, _ in pair] == [sp.log(e) - sp.log(c) + u]
    q = sp.Function("q", positive=True)(u)
    assert sim.log_pair_flipped(sp.log(q) - sp.log(e) + u, roles) == []
    # Jensen: numeric weights summing to one, or a probability and its complement
    avg = [w for w, _ in sim.jensen_as_equality(sp.log(c / 2 + e / 2), roles)]
    assert sp.log(c) / 2 + sp.log(e) / 2 in avg
    assert sim.jensen_as_equality(sp.log(c / 2 + e / 3), Roles()) == []
