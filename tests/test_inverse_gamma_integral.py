"""The Gamma integral in 1/t, ∫₀^∞ t^(−a−1) e^(−b/t) dt = Γ(a)/b^a: the normaliser and the
moments of an inverse-gamma density (the Normal-Inverse-Gamma of deep evidential regression,
Amini et al. 2020: E[σ²] = β/(α − 1) for α > 1), proved by rule in any letters; a shape whose
moment does not exist (α − 1 not known positive) is left to the other tiers."""

from __future__ import annotations

import pytest

from elbo_derivation.core.steps import Verdict
from elbo_derivation.pipeline import check_derivation
from elbo_derivation.read.deriv import parse_derivation

P, R = Verdict.PROVED, Verdict.REFUTED


def _verdicts(text: str) -> list[Verdict]:
    return [s.verdict for s in check_derivation(parse_derivation(text)).steps]


@pytest.mark.parametrize("t, a, b", [("s", "alpha", "beta"), ("w", "k", "c")])
def test_the_inverse_gamma_density_integrates_to_one(t: str, a: str, b: str) -> None:
    text = (f"symbols: {t}, {a}, {b} : positive\n"
            f"Integral({b}^{a}/gamma({a})*{t}^(-{a} - 1)*exp(-{b}/{t}), ({t}, 0, oo))\n"
            f"= 1\n= {b}\n")
    assert _verdicts(text) == [P, R]


@pytest.mark.parametrize("t, a, b", [("s", "alpha", "beta"), ("v", "m", "r")])
def test_the_inverse_gamma_mean_for_a_shape_above_one(t: str, a: str, b: str) -> None:
    text = (f"symbols: {t}, {b} : positive\nsymbols: {a} : (1, oo)\n"
            f"Integral({t}*{b}^{a}/gamma({a})*{t}^(-{a} - 1)*exp(-{b}/{t}), ({t}, 0, oo))\n"
            f"= {b}^{a}/gamma({a})*gamma({a} - 1)/{b}^({a} - 1)\n= {b}/({a} - 1)\n"
            f"= {b}/{a}\n")
    assert _verdicts(text) == [P, P, R]


def test_a_moment_that_need_not_exist_is_not_proved_by_the_rule() -> None:
    # for a shape only known positive, ∫ t·t^(−a−1)e^(−b/t) dt diverges when a ≤ 1
    text = ("symbols: t, a, b : positive\n"
            "Integral(t^(-a)*exp(-b/t), (t, 0, oo))\n= gamma(a - 1)/b^(a - 1)\n")
    assert _verdicts(text) != [P]
