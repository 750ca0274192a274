"""The VAE's hand-written backward pass against the gradients SymPy derives from the §4 loss."""

from __future__ import annotations

import numpy as np
import pytest

from elbo_derivation.vae import sympy_gradients as G
from elbo_derivation.vae.model import LOG_VAR_BOUND, VAE


@pytest.mark.parametrize(("n_hidden", "obs_var"), [(6, 0.5), (None, 2.0), (6, "learned")])
def test_encoder_and_decoder_output_gradients_match_sympy(n_hidden, obs_var) -> None:
    rng = np.random.default_rng(3)
    vae = VAE(4, n_hidden, 3, rng=rng, obs_var=obs_var)
    x = rng.normal(size=(7, 4))
    eps = rng.standard_normal((7, 3))
    cache = vae.forward(x, eps)
    grads = vae.backward(cache)
    g, lv = cache.g, cache.log_var

    # ∂L/∂x̂ = −2C(x − x̂), per sample
    np.testing.assert_allclose(cache.dL_dx_hat, G.drec_dx_hat(x, cache.x_hat, cache.C),
                               rtol=1e-12, atol=1e-14)
    # the KL parts
    np.testing.assert_allclose(cache.dKL_dg, G.dkl_dg(g, lv), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(cache.dKL_dlog_var, G.dkl_dlog_var(g, lv), rtol=1e-12,
                               atol=1e-14)
    # through the reparameterisation, per sample
    dL_dg = G.dloss_dg(g, lv, eps, cache.dL_dz)
    dL_dlv = G.dloss_dlog_var(g, lv, eps, cache.dL_dz)
    np.testing.assert_allclose(cache.dL_dg, dL_dg, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(cache.dL_dlog_var, dL_dlv, rtol=1e-12, atol=1e-14)
    # and what backward actually used: the biases of g and of the raw log-variance output
    # (ℓ = B tanh(u/B), dℓ/du = 1 − (ℓ/B)²), batch means
    np.testing.assert_allclose(grads["b_g"], dL_dg.mean(axis=0), rtol=1e-10, atol=1e-14)
    du = dL_dlv * (1 - (lv / LOG_VAR_BOUND) ** 2)
    np.testing.assert_allclose(grads["b_log_var"], du.mean(axis=0), rtol=1e-10, atol=1e-14)
    # x̂ = … + b_out: ∂L/∂b_out is the batch mean of ∂L/∂x̂
    np.testing.assert_allclose(grads["b_out"],
                               G.drec_dx_hat(x, cache.x_hat, cache.C).mean(axis=0),
                               rtol=1e-10, atol=1e-14)


def test_a_wrong_kl_gradient_would_be_caught() -> None:
    """The comparison is sharp: the log-std convention's gradient (exp(2s) − 1) differs."""
    rng = np.random.default_rng(5)
    g, lv = rng.normal(size=(2, 10))
    wrong = np.expm1(lv)  # d/dℓ of ½(exp ℓ ...) taken as if ℓ were log σ: (e^{2s} − 1)
    assert not np.allclose(wrong, G.dkl_dlog_var(g, lv))
