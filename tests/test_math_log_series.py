"""The logarithmic series Σ_{k≥1} r^k/k = −log(1 − r) (Mercator's), summed by rule where
|r| < 1 follows from the declarations: the power series of the log-determinant of an
invertible residual block in one dimension (Behrmann et al. 2019, eq. (6)) is proved, a wrong
sign refuted, and an undeclared ratio left alone."""

from __future__ import annotations

from elbo_derivation.core.steps import Verdict
from elbo_derivation.decide.verdict import decide_step
from elbo_derivation.read.deriv import parse_derivation


def _verdicts(text: str) -> list[Verdict]:
    d = parse_derivation(text)
    return [decide_step(d, step, time_limit=20.0).verdict for step in d.steps]


_HEAD = "title: t\nsymbols: k : integer\n"


def test_the_logarithmic_series_is_summed_inside_its_radius() -> None:
    text = _HEAD + "symbols: -1 < a < 1\n\n    Sum((-1)^(k + 1)*a^k/k, (k, 1, oo))\n" \
                   "  = log(1 + a)\n"
    assert _verdicts(text) == [Verdict.PROVED]


def test_a_series_from_two_on_loses_its_first_term() -> None:
    text = _HEAD + "symbols: 0 < a < 1\n\n    Sum(a^k/k, (k, 2, oo))\n  = -log(1 - a) - a\n"
    assert _verdicts(text) == [Verdict.PROVED]


def test_the_wrong_sign_is_refuted() -> None:
    text = _HEAD + "symbols: 0 < a < 1\n\n    Sum(a^k/k, (k, 1, oo))\n  = log(1 - a)\n"
    assert _verdicts(text) == [Verdict.REFUTED]


def test_outside_a_known_radius_it_is_not_proved() -> None:
    text = _HEAD + "symbols: a : real\n\n    Sum(a^k/k, (k, 1, oo))\n  = -log(1 - a)\n"
    assert _verdicts(text) != [Verdict.PROVED]
