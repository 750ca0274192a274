"""Gradients of the §4 loss derived by SymPy: against hand formulas and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from elbo_derivation.vae import sympy_gradients as G


def kl(g, lv):
    return 0.5 * (np.exp(lv) + g**2 - lv - 1)


def test_symbolic_expressions_are_the_hand_formulas() -> None:
    d = G.symbolic_gradients()
    s = G.SYMBOLS
    assert d["dkl_dg"] == s["g"]
    assert sp.simplify(d["dkl_dlog_var"] - (sp.exp(s["log_var"]) - 1) / 2) == 0
    assert sp.expand(d["drec_dx_hat"] + 2 * s["C"] * (s["x"] - s["x_hat"])) == 0
    assert d["dz_dg"] == 1
    assert sp.simplify(d["dz_dlog_var"] - sp.exp(s["log_var"] / 2) * s["eps"] / 2) == 0
    # a copy: mutating it does not change the cache
    d["dkl_dg"] = sp.S(0)
    assert G.symbolic_gradients()["dkl_dg"] == s["g"]


def test_numeric_functions_match_hand_formulas() -> None:
    rng = np.random.default_rng(0)
    g, lv, eps = rng.normal(size=(3, 50))
    x, x_hat = rng.normal(size=(2, 50))
    C = 0.7
    np.testing.assert_allclose(G.dkl_dg(g, lv), g, rtol=0, atol=0)
    np.testing.assert_allclose(G.dkl_dlog_var(g, lv), (np.exp(lv) - 1) / 2, rtol=1e-14)
    np.testing.assert_allclose(G.drec_dx_hat(x, x_hat, C), -2 * C * (x - x_hat), rtol=1e-14)
    np.testing.assert_array_equal(G.dz_dg(g, lv, eps), np.ones(50))
    np.testing.assert_allclose(G.dz_dlog_var(lv, eps), 0.5 * np.exp(lv / 2) * eps, rtol=1e-14)


def test_finite_differences() -> None:
    rng = np.random.default_rng(1)
    g, lv, eps, x, x_hat = rng.normal(size=(5, 30))
    C, h = 0.4, 1e-6
    fd = (kl(g + h, lv) - kl(g - h, lv)) / (2 * h)
    np.testing.assert_allclose(G.dkl_dg(g, lv), fd, rtol=1e-7, atol=1e-8)
    fd = (kl(g, lv + h) - kl(g, lv - h)) / (2 * h)
    np.testing.assert_allclose(G.dkl_dlog_var(g, lv), fd, rtol=1e-7, atol=1e-8)

    def rec(xh):
        return C * (x - xh) ** 2

    fd = (rec(x_hat + h) - rec(x_hat - h)) / (2 * h)
    np.testing.assert_allclose(G.drec_dx_hat(x, x_hat, C), fd, rtol=1e-7, atol=1e-8)

    def zf(gg, ll):
        return gg + np.exp(ll / 2) * eps

    fd = (zf(g, lv + h) - zf(g, lv - h)) / (2 * h)
    np.testing.assert_allclose(G.dz_dlog_var(lv, eps), fd, rtol=1e-7, atol=1e-8)
    fd = (zf(g + h, lv) - zf(g - h, lv)) / (2 * h)
    np.testing.assert_allclose(G.dz_dg(g, lv, eps), fd, rtol=1e-7)


def test_chain_rule_through_the_sample() -> None:
    """dL/dg and dL/dℓ for L = (z − t)² + KL, z = g + exp(ℓ/2) ε, by finite differences."""
    rng = np.random.default_rng(2)
    g, lv, eps, t = rng.normal(size=(4, 25))
    h = 1e-6

    def loss(gg, ll):
        z = gg + np.exp(ll / 2) * eps
        return (z - t) ** 2 + kl(gg, ll)

    dL_dz = 2 * (g + np.exp(lv / 2) * eps - t)
    fd_g = (loss(g + h, lv) - loss(g - h, lv)) / (2 * h)
    fd_l = (loss(g, lv + h) - loss(g, lv - h)) / (2 * h)
    np.testing.assert_allclose(G.dloss_dg(g, lv, eps, dL_dz), fd_g, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(G.dloss_dlog_var(g, lv, eps, dL_dz), fd_l, rtol=1e-6, atol=1e-7)


def test_broadcasting_and_shapes() -> None:
    out = G.dkl_dlog_var(np.zeros((4, 3)), np.zeros(3))
    assert out.shape == (4, 3) and np.all(out == 0)
    assert G.dz_dg(np.zeros((2, 3)), 0.0, 1.0).shape == (2, 3)
    d_g, d_l = G.kl_gradients()
    assert d_g is G.dkl_dg and d_l is G.dkl_dlog_var


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: G.dkl_dg(np.nan, 0.0), "g must be finite"),
        (lambda: G.dkl_dlog_var(0.0, np.inf), "log_var must be finite"),
        (lambda: G.drec_dx_hat(0.0, 1.0, 0.0), "C must be positive"),
    ],
)
def test_bad_input_is_refused(call, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        call()


def test_loss_expressions_for_display() -> None:
    e = G.loss_expressions()
    s = G.SYMBOLS
    assert sp.expand(e["loss"] - e["reconstruction"] - e["kl"]) == 0
    assert e["z"] == s["g"] + sp.exp(s["log_var"] / 2) * s["eps"]
