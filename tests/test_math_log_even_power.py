"""log(x²) = 2 log|x| for a real x, a rule of the algebra tier: the log-determinant of a
full-covariance Gaussian at its reparameterised sample (Kingma 2017, thesis §2.5.2),
log det(LLᵀ)/2 = log|det L| for any invertible L, is proved by it, never only supported."""

from __future__ import annotations

import sympy as sp

from elbo_derivation.core.steps import Verdict
from elbo_derivation.decide.tiers import even_power_logs, reduce_algebra
from elbo_derivation.decide.verdict import decide_step
from elbo_derivation.read.deriv import parse_derivation


def _verdicts(text: str) -> list[Verdict]:
    d = parse_derivation(text)
    return [decide_step(d, step, time_limit=20.0).verdict for step in d.steps]


def test_log_of_a_square_of_a_real_is_twice_the_log_of_its_absolute_value() -> None:
    text = "title: t\nsymbols: x : real\nsymbols: a : positive\n\n" \
           "    log(a*x^2)/2\n  = log(abs(x)) + log(a)/2\n"
    assert _verdicts(text) == [Verdict.PROVED]


def test_the_sign_is_not_lost() -> None:
    x = sp.Symbol("x", real=True)
    assert reduce_algebra(sp.log(x**2) - 2 * sp.log(x))[0] != 0
    assert even_power_logs(sp.log(x**2)) == 2 * sp.log(sp.Abs(x))
    text = "title: t\nsymbols: x : real\n\n    log(x^2)/2\n  = log(x)\n"
    # (equal wherever log x is defined, so not refuted either: x < 0 leaves the right side
    # undefined)
    assert _verdicts(text) != [Verdict.PROVED]


def test_full_covariance_log_determinant_is_proved() -> None:
    text = """title: log q at z = mu + L e
symbols: D : positive integer
symbols: e : vector(D) real
symbols: L : matrix(D)

    -logdet(L*transpose(L))/2 - transpose(L*e)*inv(L*transpose(L))*(L*e)/2
  = -log(det(L)^2)/2 - transpose(e)*transpose(L)*inv(transpose(L))*inv(L)*L*e/2
  = -log(abs(det(L))) - transpose(e)*e/2
  = -log(det(L)) - transpose(e)*e/2
"""
    # the last step drops the absolute value: det L may be negative, so it is not proved
    found = _verdicts(text)
    assert found[:2] == [Verdict.PROVED, Verdict.PROVED]
    assert found[2] is not Verdict.PROVED
