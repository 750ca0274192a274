"""The linear-Gaussian instance of the notes' §2: closed forms, the evidence identity, the bound."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from scipy import integrate, stats

from elbo_derivation.numeric import linear_gaussian as lg


def _params(rng: np.random.Generator, n: int, wide: bool) -> tuple[np.ndarray, ...]:
    lo, hi = (10.0, 1e3) if wide else (3.0, 10.0)

    def real() -> np.ndarray:
        return rng.uniform(-lo, lo, n)

    def pos() -> np.ndarray:
        return np.exp(rng.uniform(-np.log(hi), np.log(hi), n))

    return real(), real(), real(), pos(), real(), pos()  # x, a, b, c, m, s


@pytest.mark.parametrize("wide", [False, True])
def test_evidence_identity_holds_to_1e_12(wide: bool) -> None:
    x, a, b, c, m, s = _params(np.random.default_rng(1 + wide), 2000, wide)
    assert lg.evidence_identity_error(x, a, b, c, m, s) <= 1e-12


def test_evidence_identity_relative_to_log_evidence_on_moderate_values() -> None:
    x, a, b, c, m, s = _params(np.random.default_rng(3), 2000, False)
    lp = lg.log_evidence(x, a, b, c)
    total = lg.elbo(x, a, b, c, m, s) + lg.kl_to_posterior(x, a, b, c, m, s)
    assert np.max(np.abs(lp - total) / np.maximum(1.0, np.abs(lp))) <= 1e-12


def test_elbo_is_a_lower_bound_tight_only_at_the_posterior() -> None:
    x, a, b, c, m, s = _params(np.random.default_rng(4), 5000, True)
    lp, bound = lg.log_evidence(x, a, b, c), lg.elbo(x, a, b, c, m, s)
    scale = np.maximum.reduce([np.ones_like(lp), np.abs(lp), np.abs(bound)])
    assert np.all(bound <= lp + 1e-12 * scale)
    assert np.all(lg.kl_to_posterior(x, a, b, c, m, s) >= 0)
    mean, var = lg.posterior(x, a, b, c)
    tight = lg.elbo(x, a, b, c, mean, np.sqrt(var))
    assert np.max(np.abs(tight - lp) / scale) <= 1e-12
    # away from the posterior the gap is the KL, strictly positive
    gap = lp - lg.elbo(x, a, b, c, mean + 0.5, np.sqrt(var))
    assert np.all(gap > 0)


def test_closed_forms_against_quadrature() -> None:
    x, a, b, c, m, s = 0.9, -1.3, 0.4, 0.6, 0.2, 0.8
    def q(z: float) -> float:
        return stats.norm.pdf(z, m, s)
    def log_lik(z: float) -> float:
        return stats.norm.logpdf(x, a * z + b, np.sqrt(c))
    rec, _ = integrate.quad(lambda z: q(z) * log_lik(z), -np.inf, np.inf, epsabs=1e-13)
    assert rec == pytest.approx(lg.reconstruction(x, a, b, c, m, s), rel=1e-10)
    kl, _ = integrate.quad(lambda z: q(z) * (stats.norm.logpdf(z, m, s) - stats.norm.logpdf(z)),
                           -np.inf, np.inf, epsabs=1e-13)
    assert kl == pytest.approx(lg.kl_to_prior(m, s), rel=1e-10)
    mean, var = lg.posterior(x, a, b, c)
    klp, _ = integrate.quad(
        lambda z: q(z) * (stats.norm.logpdf(z, m, s) - stats.norm.logpdf(z, mean, np.sqrt(var))),
        -np.inf, np.inf, epsabs=1e-13)
    assert klp == pytest.approx(lg.kl_to_posterior(x, a, b, c, m, s), rel=1e-9)


def test_bad_arguments_name_the_argument() -> None:
    with pytest.raises(ValueError, match="c must be positive"):
        lg.log_evidence(0.0, 1.0, 0.0, -1.0)
    with pytest.raises(ValueError, match="s must be positive"):
        lg.kl_to_prior(0.0, 0.0)
    with pytest.raises(ValueError, match="x must be finite"):
        lg.elbo(np.nan, 1.0, 0.0, 1.0, 0.0, 1.0)


def test_instantiate_gives_normalised_densities_and_bayes_rule() -> None:
    x, z = sp.symbols("x z", real=True)
    P = lg.instance_symbols()
    dens = lg.density_expressions(P)
    point = {P.a: 1.7, P.b: -0.3, P.c: 0.45, P.q_symbols[0]: 0.2, P.q_symbols[1]: 0.9,
             x: 0.8}
    for name in ("q(z|x)", "p(z)", "p(z|x)"):
        f = sp.lambdify(z, dens[name](z, x).subs(point) if name != "p(z)"
                        else dens[name](z).subs(point))
        total, _ = integrate.quad(f, -np.inf, np.inf)
        assert total == pytest.approx(1.0, rel=1e-10), name
    # Bayes: p(z|x) p(x) = p(x|z) p(z) at a few z
    lhs = dens["p(z|x)"](z, x) * dens["p(x)"](x)
    rhs = dens["p(x|z)"](x, z) * dens["p(z)"](z)
    for zv in (-1.0, 0.3, 2.0):
        assert float(lhs.subs(point).subs(z, zv)) == pytest.approx(
            float(rhs.subs(point).subs(z, zv)), rel=1e-12)


def test_instantiate_takes_no_symbol_by_its_letter_and_refuses_unknown_densities() -> None:
    g, h = sp.Symbol("g", real=True), sp.Symbol("h", positive=True)
    m, c = sp.Symbol("m", real=True), sp.Symbol("c", positive=True)
    z, x = sp.symbols("z x", real=True)
    P = lg.instance_symbols({"g": g, "h": h, "m": m, "c": c})
    q = sp.Function("q(z|x)", positive=True)(z, x)
    assert not lg.instantiate(q, P).has(g, h, m, c)  # the derivation's own symbols stay free
    assert {p.name for p in P.all} == {"a", "b", "c_instance", "m_instance", "s"}
    with pytest.raises(lg.UnknownDensityError, match="r"):
        lg.instantiate(sp.Function("r(w)", positive=True)(z), P)
    with pytest.raises(lg.UnknownDensityError):
        lg.instantiate(sp.Function("p(x|z)", positive=True)(x), P)  # wrong number of arguments
