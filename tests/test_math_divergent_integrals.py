"""An integral that diverges at an end of its range is never evaluated as a finite number.

``mpmath.quad`` returns a large finite value with a small error estimate for ∫₀¹ t⁷(1 − t)⁻² dt,
and the ratio of two such divergent integrals comes out as 1 to every digit; a posterior mean
written as a ratio of Beta integrals (Wasserman, All of Statistics, sec. 11.2) was refuted at a
point where both integrals diverge. The probe now refuses such a point.
"""

from __future__ import annotations

import mpmath
import sympy as sp

from elbo_derivation.decide.probe import _diverges_at_an_end, probe


def test_divergence_is_seen_at_a_finite_and_an_infinite_end() -> None:
    with mpmath.workdps(50):
        assert _diverges_at_an_end(lambda t: t**7 * (1 - t) ** -2, 0, 1)
        assert _diverges_at_an_end(lambda t: 1 / t, 0, 1)
        assert _diverges_at_an_end(lambda t: 1 / t, 1, mpmath.inf)
        assert _diverges_at_an_end(lambda t: t / (1 + t * t), -mpmath.inf, mpmath.inf)
        # integrable singularities and tails
        assert not _diverges_at_an_end(lambda t: (1 - t) ** mpmath.mpf(-0.5), 0, 1)
        assert not _diverges_at_an_end(mpmath.log, 0, 1)
        assert not _diverges_at_an_end(lambda t: mpmath.exp(-t * t), -mpmath.inf, mpmath.inf)
        assert not _diverges_at_an_end(lambda t: 1 / (1 + t * t), -mpmath.inf, mpmath.inf)
        assert not _diverges_at_an_end(lambda t: 0 * t, 0, 1)


def test_a_ratio_of_beta_integrals_is_not_refuted_where_they_diverge() -> None:
    # B(8, b - 2)/B(7, b - 2) = 7/(b + 5) for b > 2; both integrals diverge for b <= 2
    t, b = sp.Symbol("t", positive=True), sp.Symbol("b", positive=True)
    lhs = sp.Integral(t**7 * (1 - t) ** (b - 3), (t, 0, 1)) / sp.Integral(
        t**6 * (1 - t) ** (b - 3), (t, 0, 1))
    out = probe(lhs, 7 / (b + 5), rng_seed=0)
    assert out.verdict != "refuted"
    assert out.agreeing > 0
    # a wrong right-hand side is still refuted, at a point where the integrals converge
    out = probe(lhs, 7 / (b + 6), rng_seed=0)
    assert out.verdict == "refuted"
    assert out.counterexample.point["b"] > 2


def test_an_integral_over_a_half_line_is_not_refuted_where_it_diverges() -> None:
    # ∫₁^∞ u^(c − 2) du = 1/(1 − c) for c < 1; it diverges for c >= 1
    u = sp.Symbol("u", positive=True)
    c = sp.Symbol("c", positive=True)
    out = probe(sp.Integral(u ** (c - 2), (u, 1, sp.oo)), 1 / (1 - c), rng_seed=0)
    assert out.verdict != "refuted" or out.counterexample.point["c"] < 1
