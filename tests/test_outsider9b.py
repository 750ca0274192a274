"""Regression tests for the gaps the ninth outsider pass (o9b: mathematical statistics,
probability and information-geometry textbooks) found: steps a textbook prints that the
checker left undecided."""

from __future__ import annotations

import sympy as sp

from elbo_derivation.read.deriv import parse_derivation


def _verdicts(d) -> list[str]:
    from elbo_derivation.pipeline import check_derivation

    return [s.verdict.value for s in check_derivation(d, time_limit=20).steps]


def test_laplace_mgf_by_its_two_half_lines():
    # Gut (2013), ch. 4: the MGF of e^(-|x|)/2 is 1/(1 - t^2) for |t| < 1; the rates 1 - t
    # and 1 + t are positive only by the declared interval
    head = "symbols: -1 < t < 1\nIntegral(exp(t*x)*exp(-abs(x))/2, (x, -oo, oo))\n"
    steps = ("= Integral(exp((1 + t)*x), (x, -oo, 0))/2"
             " + Integral(exp(-(1 - t)*x), (x, 0, oo))/2\n"
             "= (1/(1 + t) + 1/(1 - t))/2\n= 1/(1 - t^2)\n")
    assert _verdicts(parse_derivation(head + steps, file="d.deriv")) == ["proved"] * 3
    wrong = "= 2/(1 - t^2)\n"
    assert _verdicts(parse_derivation(head + wrong, file="d.deriv")) == ["refuted"]


def test_half_line_integrals_need_a_decay_the_declarations_settle():
    from elbo_derivation.decide.calculus import beta_gamma_integrals

    x = sp.Symbol("x", real=True)
    t = sp.Symbol("t", real=True)
    u = sp.Dummy("u", positive=True)  # t = -1 + 2u/(1 + u) covers (-1, 1)
    inside = {t: -1 + 2 * u / (1 + u)}
    left = sp.Integral(sp.exp((1 + t) * x), (x, -sp.oo, 0))
    assert sp.simplify(beta_gamma_integrals(left, inside) - 1 / (1 + t)) == 0
    assert beta_gamma_integrals(left) == left  # t merely real: 1 + t may be negative
    wrong_way = sp.Integral(sp.exp(-(1 + t) * x), (x, -sp.oo, 0))  # grows as x -> -oo
    assert beta_gamma_integrals(wrong_way, inside) == wrong_way
    line = sp.Integral(sp.exp(t * x - sp.Abs(x)), (x, -sp.oo, sp.oo))
    assert sp.simplify(beta_gamma_integrals(line, inside) - 2 / (1 - t**2)) == 0
    assert beta_gamma_integrals(line) == line


def test_poisson_series_with_a_shifted_factorial_summed_by_rule():
    # Resnick (1999), ch. 5: E[1/(1 + X)] = (1 - e^(-lam))/lam for a Poisson X, through
    # (k + 1)·k! = (k + 1)! and the index shifted
    from elbo_derivation.decide.calculus import exponential_series

    k = sp.Symbol("k", integer=True, nonnegative=True)
    lam = sp.Symbol("lam", positive=True)
    merged = sp.Sum(sp.exp(-lam) * lam**k / ((k + 1) * sp.factorial(k)), (k, 0, sp.oo))
    assert sp.simplify(exponential_series(merged) - (1 - sp.exp(-lam)) / lam) == 0
    shifted = sp.Sum(lam**k / sp.factorial(k - 1), (k, 1, sp.oo))
    assert sp.simplify(exponential_series(shifted) - lam * sp.exp(lam)) == 0
    below = sp.Sum(lam**k / sp.factorial(k - 1), (k, 0, sp.oo))  # a term 1/(-1)!: left alone
    assert exponential_series(below) == below
    head = ("symbols: lam : positive\nsymbols: k : integer\n"
            "Sum(exp(-lam)*lam^k/((k + 1)*factorial(k)), (k, 0, oo))\n")
    d = parse_derivation(head + "= exp(-lam)/lam*Sum(lam^k/factorial(k), (k, 1, oo))\n"
                         "= (1 - exp(-lam))/lam\n", file="d.deriv")
    assert _verdicts(d) == ["proved", "proved"]
    d = parse_derivation(head + "= exp(-lam)/lam*Sum(lam^k/factorial(k), (k, 0, oo))\n",
                         file="d.deriv")
    assert _verdicts(d) == ["refuted"]


def test_a_poisson_rate_squared_lost_is_not_a_standard_deviation_for_a_variance():
    # Keener (2010), ch. 4: -d²/dλ² (x log λ - λ) = x/λ², written x/λ. The Poisson's variance
    # is λ, so std-for-variance (the exponential's 1/λ for 1/λ²) would misname it; an
    # exponential's rate keeps that name.
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from corpus.support import named_in_text

    poisson = ("symbols: lam : positive\ndensities: p(x) = Poisson(lam)\n"
               "E[-diff(x*log(lam) - lam, lam, 2), x ~ p(x)]\n= E[x/lam, x ~ p(x)]\n")
    assert named_in_text(poisson) != "std-for-variance"
    exponential = ("symbols: lam : positive\ndensities: p(x) = Exponential(lam)\n"
                   "E[x^2, x ~ p(x)] - E[x, x ~ p(x)]^2\n= 2/lam^2 - 1/lam^2\n= 1/lam\n")
    assert named_in_text(exponential, step=2) == "std-for-variance"
