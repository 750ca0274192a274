"""Sums with symbolic bounds by rule (linearity, constants, index shifts, splitting), the
series SymPy closes (exponential, geometric within a declared interval, Poisson moments);
each written both ways."""

from __future__ import annotations

import pytest
import sympy as sp

from elbo_derivation.core.steps import Verdict
from elbo_derivation.decide import calculus
from elbo_derivation.decide.verdict import compare, decide_step
from elbo_derivation.read.deriv import parse_derivation

HEAD = "symbols: D : positive integer\nsymbols: i : integer\nfunctions: f(i) : real\n"


def _decide(text: str):
    d = parse_derivation(text)
    return [decide_step(d, step, time_limit=5.0) for step in d.steps]


D = sp.Symbol("D", integer=True, positive=True)
i = sp.Symbol("i", integer=True)
f = sp.Function("f", real=True)


def test_linearity_and_the_sum_of_a_constant_as_read_from_a_file() -> None:
    lhs = "Sum(2*f(i) + 3, (i, 1, D))"
    (r,) = _decide(HEAD + f"  {lhs}\n= 2*Sum(f(i), (i, 1, D)) + 3*D\n")
    assert r.verdict is Verdict.PROVED and r.method == "sum-rules", r
    assert calculus.SUM_CONSTANT in r.rules
    (w,) = _decide(HEAD + f"  {lhs}\n= 2*Sum(f(i), (i, 1, D)) + 3\n")
    assert w.verdict is Verdict.REFUTED, w
    assert w.counterexample.point["D"] >= 1 and float(w.counterexample.point["D"]).is_integer()


@pytest.mark.parametrize(("lhs", "right", "wrong", "rule"), [
    (sp.Sum(f(i), (i, 1, D)), f(1) + sp.Sum(f(i), (i, 2, D)),
     f(0) + sp.Sum(f(i), (i, 2, D)), calculus.SUM_SPLIT),
    (sp.Sum(f(i), (i, 1, D)), sp.Sum(f(i + 1), (i, 0, D - 1)),
     sp.Sum(f(i + 1), (i, 0, D)), calculus.INDEX_SHIFT),
    (sp.Sum(f(i), (i, 1, D + 1)), sp.Sum(f(i), (i, 1, D)) + f(D + 1),
     sp.Sum(f(i), (i, 1, D)) + f(D), calculus.SUM_SPLIT),
    (sp.Sum(f(i) ** 2 / D, (i, 1, D)), sp.Sum(f(i) ** 2, (i, 1, D)) / D,
     sp.Sum(f(i) ** 2, (i, 1, D)), calculus.SUM_LINEARITY),
])
def test_sums_with_a_symbolic_bound(lhs, right, wrong, rule) -> None:
    r = compare(lhs, right)
    assert r.verdict is Verdict.PROVED and r.method == "sum-rules", r
    assert rule in r.rules
    w = compare(lhs, wrong)
    assert w.verdict is Verdict.REFUTED, w
    assert w.counterexample.point["D"] >= 1 and float(w.counterexample.point["D"]).is_integer()
    assert "f(t) = t² + 2t + 3" in w.counterexample.note


def test_poisson_mean_and_the_exponential_series() -> None:
    text = ("symbols: lam : positive\nsymbols: k : nonnegative integer\nsymbols: t : real\n"
            "  Sum(k*exp(-lam)*lam^k/factorial(k), (k, 0, oo))\n= {mean}\n")
    (r,) = _decide(text.format(mean="lam"))
    assert r.verdict is Verdict.PROVED
    (w,) = _decide(text.format(mean="lam^2"))
    assert w.verdict is Verdict.REFUTED and w.counterexample.point["lam"] > 0


def test_geometric_series_within_its_declared_interval() -> None:
    text = "symbols: 0 < r < 1\nsymbols: k : nonnegative integer\n  Sum(r^k, (k, 0, oo))\n= {s}\n"
    (r,) = _decide(text.format(s="1/(1 - r)"))
    assert r.verdict is Verdict.PROVED
    (w,) = _decide(text.format(s="1/(1 + r)"))
    assert w.verdict is Verdict.REFUTED and 0 < w.counterexample.point["r"] < 1


# --- sums of two functions, the Poisson's series, polynomial integrals -----------------------

TWO = ("symbols: i : integer\nsymbols: N : positive integer\nsymbols: C : positive\n"
       "functions: x(i), y(i) : real\n  Sum(C*(x(i) - y(i))^2, (i, 1, N))/N\n")


@pytest.mark.parametrize(("rhs", "verdict"), [
    ("C*Sum((x(i) - y(i))^2, (i, 1, N))/N", Verdict.PROVED),
    ("C*Sum((x(i) - y(i))^2, (i, 1, N))", Verdict.REFUTED),  # the 1/N dropped
    ("C*N*Sum((x(i) - y(i))^2, (i, 1, N))/N", Verdict.REFUTED),
])
def test_a_sum_of_two_functions_is_compared_by_its_summand(rhs, verdict) -> None:
    """Two abstract functions get different instances, so x(i) − y(i) is not 0 there."""
    (r,) = _decide(TWO + f"= {rhs}\n")
    assert r.verdict is verdict, r
    if verdict is Verdict.REFUTED:
        assert "x(t) = t² + 2t + 3" in r.counterexample.note
        assert "y(t) = 2t² + 2t + 4" in r.counterexample.note


def test_touchard_series_exact() -> None:
    k = sp.Symbol("k", integer=True, nonnegative=True)
    a, b = sp.symbols("a b", positive=True)
    pmf = sp.exp(-a) * a**k / sp.factorial(k)
    for m in range(5):  # against SymPy's own evaluation of each moment
        ours = calculus.exponential_series(sp.Sum(k**m * pmf, (k, 0, sp.oo)))
        assert sp.simplify(ours - sp.Sum(k**m * pmf, (k, 0, sp.oo)).doit()) == 0
    # from k = 2: the terms k = 0, 1 are taken off
    tail = calculus.exponential_series(sp.Sum(k * pmf, (k, 2, sp.oo)))
    assert sp.simplify(tail - (a - a * sp.exp(-a))) == 0
    # the KL between two Poissons, its log expanded term by term
    kl = sp.Sum(pmf * sp.log(pmf / (sp.exp(-b) * b**k / sp.factorial(k))), (k, 0, sp.oo))
    assert sp.expand(calculus.exponential_series(kl)
                     - (a * sp.log(a) - a * sp.log(b) - a + b)) == 0
    # not the shape: left alone
    other = sp.Sum(a**k / (k + 1), (k, 0, sp.oo))
    assert calculus.exponential_series(other) == other


def test_poisson_kl_sign_error_refuted_exactly() -> None:
    text = ("symbols: k : integer\nsymbols: a, b : positive\n"
            "  Sum(exp(-a)*a^k/factorial(k)*(k*log(a/b) - a + b), (k, 0, oo))\n")
    (r,) = _decide(text + "= a*log(a/b) - a + b\n")
    assert r.verdict is Verdict.PROVED and r.method == "calculus", r
    (w,) = _decide(text + "= a*log(a/b) + a - b\n")
    assert w.verdict is Verdict.REFUTED and "exact" in w.counterexample.note, w


def test_integral_of_a_polynomial_over_a_bounded_interval() -> None:
    text = "symbols: a, u : real\nsymbols: w : positive\n  Integral((u - a)^2/w, (u, a, a + w))\n"
    (r,) = _decide(text + "= w^2/3\n")
    assert r.verdict is Verdict.PROVED and calculus.POLYNOMIAL_INTEGRAL in r.rules, r
    (w,) = _decide(text + "= w^2/2\n")
    assert w.verdict is Verdict.REFUTED, w
