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
