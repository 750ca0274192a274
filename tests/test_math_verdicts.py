"""Verdicts are earned: a refutation needs a point that satisfies every declaration,
intervals included, with both sides finite; an exact nonzero gap refutes with a point; an
inequality is proved only by a named rule; an undecided step says what mathematics was missing.
"""

from __future__ import annotations

import math

import sympy as sp

from elbo_derivation.core.steps import Verdict
from elbo_derivation.decide.verdict import compare, decide_step
from elbo_derivation.read.deriv import parse_derivation


def _decide(text: str) -> list:
    d = parse_derivation(text)
    return [decide_step(d, step, time_limit=5.0) for step in d.steps]


def test_a_point_outside_the_declared_interval_never_refutes() -> None:
    # log((1 − y)²)/2 = log(1 − y) holds on 0 < y < 1; at y = 2 the right side is not real
    text = "symbols: {decl}\n  log((1 - y)^2)/2\n= log(1 - y)\n"
    (inside,) = _decide(text.format(decl="0 < y < 1"))
    assert inside.verdict is Verdict.PROVED, inside
    assert any("declared interval y ∈ (0, 1)" in r for r in inside.rules)
    (positive,) = _decide(text.format(decl="y : positive"))
    # declared positive, y = 2 is allowed but only one side is real there: no counterexample
    assert positive.verdict is Verdict.UNDECIDED, positive
    assert positive.counterexample is None
    assert "y = 2" in positive.reason and "not" in positive.reason


def test_a_wrong_step_within_an_interval_is_refuted_inside_it() -> None:
    (r,) = _decide("symbols: y : (0, 1)\n  log((1 - y)^2)/2\n= log(1 + y)\n")
    assert r.verdict is Verdict.REFUTED
    y = r.counterexample.point["y"]
    assert 0 < y < 1
    assert math.isfinite(r.counterexample.lhs) and math.isfinite(r.counterexample.rhs)


def test_bernoulli_cross_entropy_over_a_probability_is_not_refuted_outside_it() -> None:
    text = ("symbols: {decl}\nsymbols: t : real\n"
            "  -(y*log(1/(1 + exp(-t))) + (1 - y)*log(1 - 1/(1 + exp(-t))))\n"
            "= -y*log(1/(1 + exp(-t))) - log(1 - 1/(1 + exp(-t))) "
            "+ y*log(1 - 1/(1 + exp(-t)))\n")
    (r,) = _decide(text.format(decl="0 < y < 1"))
    assert r.verdict is Verdict.PROVED
    (wrong,) = _decide(text.format(decl="0 < y < 1").replace("+ y*log(1 - 1/", "- y*log(1 - 1/"))
    assert wrong.verdict is Verdict.REFUTED
    assert 0 < wrong.counterexample.point["y"] < 1


def test_an_exact_gap_from_the_gaussian_tier_refutes_a_nested_expectation() -> None:
    text = ("symbols: z, w, m, b : real\nsymbols: s : positive\n"
            "densities: q(z) = N(m, s^2), r(w|z) = N(z, 1)\n"
            "  E[E[(w - b)^2, w ~ r(w|z)], z ~ q(z)]\n"
            "= s^2 + m^2 + 1 - 2*b*m + {last}\n")
    (right,) = _decide(text.format(last="b^2"))
    assert right.verdict is Verdict.PROVED
    (wrong,) = _decide(text.format(last="b^2/2"))
    assert wrong.verdict is Verdict.REFUTED and wrong.method == "gaussian-moments"
    cex = wrong.counterexample
    assert cex.note.startswith("exact")
    assert math.isclose(cex.lhs - cex.rhs, cex.point["b"] ** 2 / 2)


def test_an_inequality_without_a_rule_is_at_most_numerically_supported() -> None:
    a = sp.Symbol("a", positive=True)
    r = compare(a**3 - a + 1, 0, ">=")  # true (its minimum is 1 − 2/(3√3)), but no rule
    assert r.verdict is Verdict.NUMERICALLY_SUPPORTED
    r = compare(a**2 + 1, 2 * a, ">=")  # (a − 1)² ≥ 0: a named rule
    assert r.verdict is Verdict.PROVED and r.rules


def test_undecided_names_the_missing_mathematics() -> None:
    n = sp.Symbol("D", integer=True, positive=True)
    j = sp.Symbol("j", integer=True)
    g = sp.Function("g", real=True)
    x = sp.Symbol("x", real=True)
    r = compare(sp.Sum(sp.exp(g(j) * x), (j, 1, n)) ** 2,
                sp.Sum(sp.exp(2 * g(j) * x), (j, 1, n)) * n, "<=")
    # (Cauchy–Schwarz: true, but no rule here; the probe cannot evaluate an abstract g)
    assert r.verdict is Verdict.UNDECIDED
    assert "no rule for a sum with symbolic upper bound D" in r.reason


def test_integer_symbols_are_probed_at_integers() -> None:
    n = sp.Symbol("n", integer=True, positive=True)
    r = compare(sp.factorial(n + 1) / sp.factorial(n), n + 1)
    assert r.verdict in (Verdict.PROVED, Verdict.NUMERICALLY_SUPPORTED)
    # (−1)^(2n) = 1 holds for every integer n, not for n = 1/2 (a point outside the declaration)
    r = compare((-1) ** (2 * n) + sp.cos(sp.pi * n) ** 2, 1 + sp.cos(sp.pi * n) ** 2)
    assert r.verdict is not Verdict.REFUTED
    w = compare(sp.factorial(n + 1) / sp.factorial(n), n)
    assert w.verdict is Verdict.REFUTED
    assert float(w.counterexample.point.get("n", 1)).is_integer()


def test_a_quadrature_that_misses_a_narrow_peak_does_not_refute() -> None:
    """Murphy PML1 §2.6: KL between log-normals with a shared scale is (m1 − m2)²/(2s²). At
    s = 0.001 mpmath's quadrature misses the peak (the integral looks like 0): one failing
    point found by quadrature is not a counterexample."""
    text = ("symbols: y, m1, m2 : real\nsymbols: s : positive\n"
            "let: p = exp(-(log(y) - m1)^2/(2*s^2))/(y*sqrt(2*pi*s^2))\n"
            "let: q = exp(-(log(y) - m2)^2/(2*s^2))/(y*sqrt(2*pi*s^2))\n"
            "  Integral(p*((log(y) - m2)^2 - (log(y) - m1)^2), (y, 0, oo))/(2*s^2)\n"
            "= (m1 - m2)^2/(2*s^2)\n")
    (r,) = _decide(text)
    assert r.verdict is not Verdict.REFUTED, r


def test_undecided_says_why_abstract_densities_have_no_instance() -> None:
    """Densities of three variables now have an instance (a linear-Gaussian network of the
    declared factors); declarations that can be read as two different models have none, and
    the undecided verdict says why, rather than only that q(x) has no value."""
    from elbo_derivation.core.expectation import Expectation
    from elbo_derivation.decide.rules import no_instance_reason

    x, y, w = sp.symbols("x y w", real=True)
    pxy = sp.Function("p(x,y)", positive=True)(x, y)
    pw = sp.Function("p(w)", positive=True)(w)
    py = sp.Function("p(y)", positive=True)(y)
    assert no_instance_reason(sp.log(pxy * pw), sp.log(py)) is None
    # x2 given x1 (a chain) or given x0 (a fork): no instance is guessed
    q10 = sp.Function("q(y|x)", positive=True)(y, x)
    q21 = sp.Function("q(w|y)", positive=True)(w, y)
    q20 = sp.Function("q(w|x)", positive=True)(w, x)
    qx = sp.Function("q(x)", positive=True)(x)
    reason = no_instance_reason(Expectation(Expectation(sp.log(q20), w, q21), y, q10),
                                sp.log(qx))
    assert reason is not None and "two different models" in reason and "q(w|" in reason
    k = sp.Symbol("k", integer=True)
    reason = no_instance_reason(sp.log(sp.Function("p(k)", positive=True)(k)))
    assert "integer variable k" in reason
    z = sp.Symbol("z", real=True)
    q = sp.Function("q(z|x)", positive=True)(z, x)
    assert no_instance_reason(sp.log(q)) is None  # this one has an instance
    r = compare(sp.log(pxy * pw), sp.log(py) + sp.log(pw) + 1)
    assert r.verdict is not Verdict.PROVED
    if r.verdict is Verdict.UNDECIDED:
        assert "no numeric instance" in r.reason


def test_matrices_written_out_are_refuted_at_an_entry() -> None:
    # Amari (1998): the natural gradient diag(s^2, s^2/2)·(g1, g2), its second ½ lost
    text = ("symbols: s : positive\nsymbols: g1, g2 : real\n"
            "  inv([1/s^2, 0; 0, 2/s^2])*[g1; g2]\n= [s^2*g1; s^2*g2{half}]\n")
    d = parse_derivation(text.format(half="/2"))
    assert decide_step(d, d.steps[0]).verdict is Verdict.PROVED
    d = parse_derivation(text.format(half=""))
    r = decide_step(d, d.steps[0])
    assert r.verdict is Verdict.REFUTED and "entry (2, 1)" in r.counterexample.note
    assert r.counterexample.lhs != r.counterexample.rhs
