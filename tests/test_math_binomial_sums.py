"""Binomial sums with a symbolic number of terms decided by the sum rules: the absorption
identity k·C(n, k) = n·C(n − 1, k − 1) and index shifts of the binomial's lower argument
(Pitman, *Probability*, 1993, §3.2, the binomial mean from its definition), in any letters;
a wrong shift or a lost factor refuted at small n, never taken from a conditional value."""

from __future__ import annotations

import sympy as sp

from elbo_derivation.core.steps import Verdict
from elbo_derivation.decide.calculus import ABSORPTION, sum_normal_form
from elbo_derivation.decide.verdict import decide_step
from elbo_derivation.read.deriv import parse_derivation

_HEAD = "title: t\nsymbols: m : positive integer\nsymbols: i, r : integer\nsymbols: 0 < a < 1\n\n"


def _verdicts(body: str) -> list[Verdict]:
    d = parse_derivation(_HEAD + body)
    return [decide_step(d, s, time_limit=20.0).verdict for s in d.steps]


def test_absorption_and_shift_are_proved_by_rule() -> None:
    body = ("    Sum(i*binomial(m, i)*a^i*(1 - a)^(m - i), (i, 0, m))\n"
            "  = Sum(m*binomial(m - 1, i - 1)*a^i*(1 - a)^(m - i), (i, 1, m))\n"
            "  = m*a*Sum(binomial(m - 1, r)*a^r*(1 - a)^(m - 1 - r), (r, 0, m - 1))\n")
    assert _verdicts(body) == [Verdict.PROVED, Verdict.PROVED]
    i, m = sp.Symbol("i", integer=True), sp.Symbol("m", integer=True, positive=True)
    assert ABSORPTION in sum_normal_form(sp.Sum(i * sp.binomial(m, i), (i, 0, m)))[1]


def test_a_wrong_shift_is_refuted() -> None:
    body = ("    Sum(i*binomial(m, i)*a^i*(1 - a)^(m - i), (i, 0, m))\n"
            "  = Sum(m*binomial(m - 1, i)*a^i*(1 - a)^(m - i), (i, 1, m))\n")
    assert _verdicts(body) == [Verdict.REFUTED]


def test_a_lost_factor_is_refuted() -> None:
    body = ("    Sum(m*binomial(m - 1, i - 1)*a^i*(1 - a)^(m - i), (i, 1, m))\n"
            "  = m*Sum(binomial(m - 1, r)*a^r*(1 - a)^(m - 1 - r), (r, 0, m - 1))\n")
    assert _verdicts(body) == [Verdict.REFUTED]
