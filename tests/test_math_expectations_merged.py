"""Two expectations under one normal density whose integrands differ by a Gaussian-integrable
term are compared as one expectation of their difference (linearity of the integral), its
logarithms paired by the log of a quotient: E[log(1 + eᶻ)] = ξμ + E[log(e^(−ξz) + e^((1−ξ)z))]
under N(μ, σ²) (the mean-field bound of sigmoid belief networks), though neither expectation has
a closed form."""

from __future__ import annotations

import sympy as sp

from elbo_derivation.core.steps import Verdict
from elbo_derivation.decide.calculus import log_ratios_combined
from elbo_derivation.decide.verdict import decide_step
from elbo_derivation.read.deriv import parse_derivation


def _verdicts(text: str) -> list[Verdict]:
    d = parse_derivation(text)
    return [decide_step(d, step, time_limit=20.0).verdict for step in d.steps]


_HEAD = "title: t\nsymbols: m : real\nsymbols: s : positive\nsymbols: 0 < a < 1\n" \
        "densities: r(w) = N(m, s^2)\n\n    E[log(1 + exp(w)), w ~ r(w)]\n"


def test_factoring_an_exponential_out_of_a_log_under_a_normal_is_proved() -> None:
    text = _HEAD + "  = a*m + E[log(exp(-a*w) + exp((1 - a)*w)), w ~ r(w)]\n"
    assert _verdicts(text) == [Verdict.PROVED]


def test_a_wrong_linear_term_is_refuted() -> None:
    text = _HEAD + "  = a*m + s + E[log(exp(-a*w) + exp((1 - a)*w)), w ~ r(w)]\n"
    assert _verdicts(text) == [Verdict.REFUTED]


def test_logs_pair_only_when_the_quotient_cancels() -> None:
    z = sp.Symbol("z", real=True)
    a = sp.Symbol("a", positive=True)
    assert log_ratios_combined(sp.log(1 + sp.exp(z)) - sp.log(sp.exp(-a * z) + sp.exp(
        (1 - a) * z))) == a * z
    # nothing cancels: the two logs stay as they are
    f = sp.log(1 + sp.exp(z)) - sp.log(2 + sp.exp(a * z))
    assert log_ratios_combined(f) == f
    # a log of a quantity not known positive is never paired
    g = sp.log(z) - sp.log(z**2)
    assert log_ratios_combined(g) == g

