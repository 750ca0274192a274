"""Rational functions of exponentials — the logistic sigmoid written out, 1/(1 + e^(−t)) — are
cancelled and signed with each exponential one positive unknown, before any expansion of
e^(a + b) into products: the derivative of the logit of a two-unit sigmoidal mixture (the deep
sigmoidal flow of Huang et al. 2018, sec. 3.1) is proved, and so is its positivity."""

from __future__ import annotations

import sympy as sp

from elbo_derivation.core.steps import Verdict
from elbo_derivation.decide.tiers import exponentials_as_unknowns, reduce_algebra
from elbo_derivation.decide.verdict import decide_step
from elbo_derivation.read.deriv import parse_derivation

_HEAD = """title: t
symbols: x, b1, b2 : real
symbols: a1, a2 : positive
symbols: 0 < w < 1
let: S = w*sigmoid(a1*x + b1) + (1 - w)*sigmoid(a2*x + b2)
let: T = w*a1*sigmoid(a1*x + b1)*(1 - sigmoid(a1*x + b1)) \
    + (1 - w)*a2*sigmoid(a2*x + b2)*(1 - sigmoid(a2*x + b2))

    diff(log(S) - log(1 - S), x)
"""


def _verdicts(text: str) -> list[Verdict]:
    d = parse_derivation(text)
    return [decide_step(d, step, time_limit=20.0).verdict for step in d.steps]


def test_the_derivative_of_a_sigmoidal_logit_and_its_sign_are_proved() -> None:
    assert _verdicts(_HEAD + "  = T/(S*(1 - S))\n  >= 0\n") == [Verdict.PROVED, Verdict.PROVED]


def test_exponentials_as_unknowns_only_prove() -> None:
    t = sp.Symbol("t", real=True)
    # e^(t + 1) = e·e^t is lost when each exponential is its own unknown: not claimed zero
    f = sp.exp(t + 1) / (1 + sp.exp(t)) - sp.E * sp.exp(t) / (1 + sp.exp(t))
    assert sp.cancel(sp.together(exponentials_as_unknowns(f))) != 0
    assert reduce_algebra(f)[0] == 0  # the ordinary path still proves it
    z = sp.Symbol("z")  # not known real: nothing is replaced
    assert exponentials_as_unknowns(1 / (1 + sp.exp(z))) is None
