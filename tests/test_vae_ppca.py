"""The linear VAE against closed-form probabilistic PCA (Tipping & Bishop 1999)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy.stats import multivariate_normal

from elbo_derivation.cli import main
from elbo_derivation.vae import (
    VAE,
    fit_linear_vae,
    gradcheck_function,
    linear_vae_exact_elbo,
    linear_vae_exact_loss_and_grads,
    ppca_log_likelihood,
    ppca_ml,
    sample_ppca,
)


def test_ppca_ml_matches_scipy_and_the_closed_form() -> None:
    rng = np.random.default_rng(0)
    x = sample_ppca(800, rng=rng, d=7, k=3, noise_var=0.2)
    fit = ppca_ml(x, 3)
    cov = fit.W @ fit.W.T + fit.noise_var * np.eye(7)
    ref = multivariate_normal(fit.mean, cov).logpdf(x)
    assert np.allclose(ppca_log_likelihood(x, fit.mean, fit.W, fit.noise_var), ref)
    assert fit.loglik_per_sample == pytest.approx(ref.mean(), rel=1e-12)
    # σ² is the mean of the discarded eigenvalues, and the fit beats a perturbed model
    assert fit.noise_var == pytest.approx(fit.eigenvalues[3:].mean())
    worse = ppca_log_likelihood(x, fit.mean, fit.W * 1.05, fit.noise_var).mean()
    assert worse < fit.loglik_per_sample


def test_exact_elbo_matches_monte_carlo() -> None:
    rng = np.random.default_rng(1)
    model = VAE(4, None, 2, rng=rng, obs_var="learned")
    model.params.flat[...] += 0.3 * rng.standard_normal(model.params.flat.shape)
    x = rng.normal(size=(3, 4))
    eps = rng.standard_normal((100_000, 2))
    mc = np.array([model.forward(np.repeat(x[i : i + 1], len(eps), 0), eps).reconstruction
                   + model.forward(np.repeat(x[i : i + 1], len(eps), 0), eps).kl
                   for i in range(3)])  # fmt: skip
    estimate = -mc.mean()
    se = mc.std(axis=1).mean() / math.sqrt(len(eps))
    assert abs(estimate - linear_vae_exact_elbo(model, x)) < 5 * se


@pytest.mark.parametrize("learned", [True, False])
def test_exact_elbo_gradients(learned: bool) -> None:
    rng = np.random.default_rng(2)
    model = VAE(5, None, 3, rng=rng, obs_var="learned" if learned else 0.7)
    model.params.flat[...] += 0.3 * rng.standard_normal(model.params.flat.shape)
    x = rng.normal(size=(6, 5))
    _, grads = linear_vae_exact_loss_and_grads(model, x)
    errors = gradcheck_function(
        lambda: linear_vae_exact_loss_and_grads(model, x)[0], model.params, grads
    )
    assert max(errors.values()) <= 1e-7, errors


def test_exact_elbo_needs_a_linear_model() -> None:
    model = VAE(3, 4, 2, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="linear"):
        linear_vae_exact_elbo(model, np.zeros((2, 3)))


@pytest.mark.parametrize(
    ("n", "d", "k", "k_true"),
    [(5000, 20, 4, 4), (5000, 20, 10, 12), (2000, 20, 19, 19), (300, 5, 1, 3), (5000, 20, 2, 19)],
)
def test_trained_linear_vae_reaches_ppca(n: int, d: int, k: int, k_true: int) -> None:
    rng = np.random.default_rng(n + d + k)
    x = sample_ppca(n, rng=rng, d=d, k=k_true)
    fit = fit_linear_vae(x, k, rng=rng)
    assert fit.gap < 0.01  # within 0.01 nats per sample
    assert fit.gap > -1e-9  # never above the log-likelihood (up to float rounding)
    assert fit.grad_norm < 1e-4  # a stationary point of the exact ELBO
    assert fit.model.obs_var == pytest.approx(ppca_ml(x, k).noise_var, rel=1e-4)


def test_isotropic_data() -> None:
    rng = np.random.default_rng(4)
    fit = fit_linear_vae(rng.standard_normal((1000, 6)), 2, rng=rng)
    assert -1e-9 < fit.gap < 0.01


def test_degenerate_data_is_reported() -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(size=(50, 2)) @ rng.normal(size=(2, 4))  # rank 2
    with pytest.raises(ValueError, match="subspace"):
        ppca_ml(x, 2)


# ---------------------------------------------------------------------- the command
def test_ppca_command_json(tmp_path, capsys) -> None:
    x = sample_ppca(1000, rng=np.random.default_rng(6), d=8, k=2)
    np.save(tmp_path / "x.npy", x)
    assert main(["ppca", "--data", str(tmp_path / "x.npy"), "--latent", "2", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"n", "d", "k", "elbo_per_sample", "ppca_loglik_per_sample", "gap"}
    assert (out["n"], out["d"], out["k"]) == (1000, 8, 2)
    assert out["ppca_loglik_per_sample"] == pytest.approx(ppca_ml(x, 2).loglik_per_sample)
    assert -1e-9 < out["gap"] < 0.01
    assert main(["ppca", "--data", str(tmp_path / "x.npy"), "--latent", "2"]) == 0
    assert "gap" in capsys.readouterr().out


def _save_bad(tmp_path, kind: str):
    path = tmp_path / f"{kind}.npy"
    if kind == "nan":
        np.save(path, np.array([[1.0, 2.0], [np.nan, 3.0], [0.0, 1.0]]))
    elif kind == "ndim":
        np.save(path, np.ones((3, 2, 2)))
    elif kind == "dtype":
        np.save(path, np.array([["a", "b"], ["c", "d"]]))
    elif kind == "complex":
        np.save(path, np.ones((3, 3), dtype=complex))
    elif kind == "text":
        path.write_text("1 2\n3 4\n")
    elif kind == "object":
        np.save(path, np.array([[1, None], [2, 3]], dtype=object), allow_pickle=True)
    return path


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("nan", "entry [1, 0] is nan"),
        ("ndim", "expected a 2-d array"),
        ("dtype", "expected a real numeric array"),
        ("complex", "expected a real numeric array"),
        ("text", "not a .npy file"),
        ("object", "not a readable .npy array"),
        ("missing", "No such file"),
    ],
)
def test_ppca_command_bad_data(tmp_path, capsys, kind: str, message: str) -> None:
    path = tmp_path / "missing.npy" if kind == "missing" else _save_bad(tmp_path, kind)
    assert main(["ppca", "--data", str(path), "--latent", "1"]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_ppca_command_latent_too_large(tmp_path, capsys) -> None:
    np.save(tmp_path / "x.npy", np.random.default_rng(0).normal(size=(20, 3)))
    assert main(["ppca", "--data", str(tmp_path / "x.npy"), "--latent", "3"]) == 2
    assert "--latent must be smaller than D = 3" in capsys.readouterr().err


def test_stochastic_training_also_approaches_ppca() -> None:
    """Ordinary training (Adam on the single-sample ELBO) heads for the same optimum.

    Measured: gap 0.024 nats/sample after 420 epochs (the exact-ELBO fit reaches ~1e-12).
    """
    from elbo_derivation.vae import Adam, train

    rng = np.random.default_rng(0)
    x = sample_ppca(1000, rng=rng, d=5, k=2)
    reference = ppca_ml(x, 2).loglik_per_sample
    model = VAE(5, None, 2, rng=rng, obs_var="learned")
    opt = Adam(model.params, lr=3e-2)
    gaps = []
    for lr in (3e-2, 3e-2, 3e-2, 1e-2, 3e-3, 1e-3, 3e-4):
        opt.lr = lr
        train(model, x, epochs=60, batch_size=200, rng=rng, progress=False, optimizer=opt)
        gaps.append(reference - linear_vae_exact_elbo(model, x))
    assert min(gaps) > 0  # the ELBO never exceeds the maximum log-likelihood
    assert gaps[-1] < 0.05
    assert gaps[-1] < gaps[0] / 10
