"""The linear VAE is probabilistic PCA: closed-form pPCA and the exact linear-VAE ELBO.

Probabilistic PCA [1] models x = W z + μ + σ ε with z ~ N(0, I_K), ε ~ N(0, I_D), so that
x ~ N(μ, W Wᵀ + σ² I). With S the sample covariance (divided by N) and λ₁ ≥ … ≥ λ_D its
eigenvalues with eigenvectors U, the maximum-likelihood solution is

    μ = mean of x,   σ² = (λ_{K+1} + … + λ_D) / (D − K),   W = U_K (Λ_K − σ² I)^{1/2} R

(any rotation R), and the maximised log-likelihood per sample is

    −½ [D log 2π + Σ_{k≤K} log λ_k + (D − K) log σ² + D].

A VAE whose decoder is linear, x̂ = z W_out + b_out with p(x|z) = N(x̂, cI), *is* this model
with c = σ², and its ELBO is a lower bound on the same log-likelihood; with a diagonal
Gaussian q(z|x) affine in x the bound is tight at the pPCA solution, and the linear VAE's
stationary points are pPCA's (Lucas et al. [2]). For a linear decoder the reconstruction
expectation has a closed form, E_q‖x − x̂‖² = ‖x − (g W_out + b_out)‖² + Σ_k h_k ‖W_out[k]‖²
(h = exp ℓ), so the ELBO can be computed exactly, without sampling, and maximised
deterministically (:func:`fit_linear_vae`: exact coordinate ascent; the hand-written gradient
of :func:`linear_vae_exact_loss_and_grads` confirms the end point is stationary).

References
----------
.. [1] M. E. Tipping and C. M. Bishop, "Probabilistic principal component analysis",
   J. R. Stat. Soc. B 61(3):611–622, 1999, eqs. (4), (7), (8).
.. [2] J. Lucas, G. Tucker, R. Grosse and M. Norouzi, "Don't Blame the ELBO! A Linear VAE
   Perspective on Posterior Collapse", NeurIPS 2019.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from elbo_derivation.vae.model import LOG_C_BOUND, LOG_VAR_BOUND, VAE, ParamDict

__all__ = [
    "PPCA",
    "LinearVAEFit",
    "fit_linear_vae",
    "linear_vae_exact_elbo",
    "linear_vae_exact_loss_and_grads",
    "ppca_log_likelihood",
    "ppca_ml",
]

_LOG_2PI = math.log(2.0 * math.pi)


def _data(x: Any, k: int | None = None) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] < 1:
        raise ValueError(f"x must be a 2-d array (n, d) with n >= 2, got shape {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError("x must be finite (it has NaN or inf)")
    if k is not None and (
        isinstance(k, bool) or not isinstance(k, int | np.integer) or not 1 <= k < x.shape[1]
    ):
        raise ValueError(f"k must be an integer with 1 <= k < d = {x.shape[1]}, got {k!r}")
    return x


@dataclass(frozen=True)
class PPCA:
    """A fitted pPCA model: x ~ N(mean, W Wᵀ + noise_var·I)."""

    mean: np.ndarray  #: (D,)
    W: np.ndarray  #: (D, K), columns U_k √(λ_k − σ²)
    noise_var: float  #: σ², the mean of the discarded eigenvalues
    eigenvalues: np.ndarray  #: (D,) of the sample covariance, descending
    loglik_per_sample: float  #: the maximised log-likelihood divided by N (closed form)


def ppca_ml(x: Any, k: int) -> PPCA:
    """The closed-form maximum-likelihood pPCA fit with k components (Tipping & Bishop 1999).

    Parameters
    ----------
    x : array_like, shape (n, d)
    k : int
        the latent dimension, 1 <= k < d.

    Returns
    -------
    PPCA
        with ``loglik_per_sample = −½[D log 2π + Σ_{k≤K} log λ_k + (D − K) log σ² + D]``.

    Examples
    --------
    >>> from elbo_derivation.vae.data import sample_ppca
    >>> x = sample_ppca(2000, rng=np.random.default_rng(0), d=5, k=2, noise_var=0.1)
    >>> fit = ppca_ml(x, 2)
    >>> round(fit.noise_var, 2)
    0.1
    >>> bool(np.isclose(fit.loglik_per_sample,
    ...                 ppca_log_likelihood(x, fit.mean, fit.W, fit.noise_var).mean()))
    True
    """
    x = _data(x, k)
    _n, d = x.shape
    mean = x.mean(axis=0)
    xc = x - mean
    S = xc.T @ xc / x.shape[0]  # (D, D), the ML sample covariance
    lam, U = np.linalg.eigh(S)
    lam, U = lam[::-1], U[:, ::-1]  # descending
    noise_var = float(lam[k:].mean())
    if not noise_var > 1e-12 * float(lam[0]):
        raise ValueError(
            "the discarded eigenvalues of the sample covariance are (numerically) zero: the "
            f"data lie in a {k}-dimensional subspace, so the pPCA likelihood is unbounded"
        )
    W = U[:, :k] * np.sqrt(np.maximum(lam[:k] - noise_var, 0.0))
    loglik = -0.5 * (
        d * _LOG_2PI + float(np.log(lam[:k]).sum()) + (d - k) * math.log(noise_var) + d
    )
    return PPCA(mean, W, noise_var, lam, loglik)


def ppca_log_likelihood(x: Any, mean: Any, W: Any, noise_var: float) -> np.ndarray:
    """log N(x_n; mean, W Wᵀ + noise_var·I) for each row x_n, shape (n,).

    Examples
    --------
    >>> from scipy.stats import multivariate_normal
    >>> W = np.array([[1.0], [2.0]]); x = np.array([[0.5, -1.0], [2.0, 0.0]])
    >>> ref = multivariate_normal(np.zeros(2), W @ W.T + 0.3 * np.eye(2)).logpdf(x)
    >>> bool(np.allclose(ppca_log_likelihood(x, np.zeros(2), W, 0.3), ref))
    True
    """
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    if x.ndim != 2 or not np.isfinite(x).all():
        raise ValueError(f"x must be a finite (n, d) or (d,) array, got shape {x.shape}")
    W = np.asarray(W, dtype=np.float64)
    d = x.shape[1]
    cov = W @ W.T + noise_var * np.eye(d)
    L = np.linalg.cholesky(cov)
    sol = np.linalg.solve(L, (x - mean).T)  # (D, n)
    return -0.5 * (d * _LOG_2PI + 2 * np.log(np.diag(L)).sum() + np.sum(sol * sol, axis=0))


# ---------------------------------------------------------------------- exact linear-VAE ELBO
def linear_vae_exact_loss_and_grads(model: VAE, x: Any) -> tuple[float, ParamDict]:
    """The exact negative ELBO per sample of a linear VAE, and its gradient.

    With g = x W_g + b_g, ℓ = B tanh((x W_log_var + b_log_var)/B), h = exp ℓ, x̄ = g W_out +
    b_out and s_k = ‖W_out[k]‖²:

        −ELBO_n = C(‖x_n − x̄_n‖² + Σ_k h_nk s_k) + (D/2) log 2πc + ½ Σ_k (h_nk + g_nk² − ℓ_nk − 1)

    (no sampling: E_q‖x − x̂‖² in closed form). Returns the mean over n and the gradient with
    the keys of ``model.params``.
    """
    if model.n_hidden is not None:
        raise ValueError("model must be linear (n_hidden=None) for the exact ELBO")
    x = model.check_input(x, "x", model.n_input)
    p = model.params
    N, D = x.shape
    log_c = model.log_c
    C = 0.5 * math.exp(-log_c)
    g = x @ p["W_g"]  # (N, K)
    g += p["b_g"]
    u = x @ p["W_log_var"]
    u += p["b_log_var"]
    log_var = LOG_VAR_BOUND * np.tanh(u / LOG_VAR_BOUND)  # (N, K)
    h = np.exp(log_var)
    s = np.einsum("kd,kd->k", p["W_out"], p["W_out"])  # (K,) ‖W_out[k]‖²
    r = g @ p["W_out"]  # (N, D) x̄ − x
    r += p["b_out"]
    r -= x
    sq = np.einsum("nd,nd->n", r, r) + h @ s  # (N,) E_q‖x − x̂‖²
    kl = 0.5 * (np.expm1(log_var) - log_var + g * g).sum(axis=1)
    loss = float(np.mean(C * sq + kl)) + 0.5 * D * (_LOG_2PI + log_c)

    grads = ParamDict(p.shapes, np.empty_like(p.flat))
    # d/dx̄ = 2C r / N;  d/dW_out[k] also gets 2C (Σ_n h_nk) W_out[k] from C Σ h s
    dr = r * (2.0 * C / N)
    np.matmul(g.T, dr, out=grads["W_out"])
    grads["W_out"] += (2.0 * C / N) * h.sum(axis=0)[:, None] * p["W_out"]
    np.sum(dr, axis=0, out=grads["b_out"])
    # d/dg = dr W_outᵀ + g / N
    dg = dr @ p["W_out"].T
    dg += g / N
    # d/dℓ = (C h s + (h − 1)/2) / N;  dℓ/du = 1 − (ℓ/B)²
    du = (C * h * s + 0.5 * np.expm1(log_var)) / N
    du *= 1.0 - (log_var / LOG_VAR_BOUND) ** 2
    np.matmul(x.T, dg, out=grads["W_g"])
    np.sum(dg, axis=0, out=grads["b_g"])
    np.matmul(x.T, du, out=grads["W_log_var"])
    np.sum(du, axis=0, out=grads["b_log_var"])
    if model.learn_obs_var:
        # d/dlog c = −C mean(E‖x − x̂‖²) + D/2;  dlog c/dθ = 1 − (log c / B)²
        grads["log_c"] = (-C * float(sq.mean()) + 0.5 * D) * (1.0 - (log_c / LOG_C_BOUND) ** 2)
    return loss, grads


def linear_vae_exact_elbo(model: VAE, x: Any) -> float:
    """The exact ELBO per sample (nats) of a linear VAE on x: −(mean negative ELBO).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> model = VAE(3, None, 1, rng=rng, obs_var=0.5)
    >>> x = rng.normal(size=(4, 3))
    >>> eps = rng.standard_normal((200_000, 1))
    >>> mc = -np.mean([model.loss(np.repeat(x[i:i+1], len(eps), 0), eps) for i in range(4)])
    >>> bool(abs(mc - linear_vae_exact_elbo(model, x)) < 0.02)
    True
    """
    return -linear_vae_exact_loss_and_grads(model, x)[0]


@dataclass
class LinearVAEFit:
    """A linear VAE trained on the exact ELBO, compared with the pPCA optimum."""

    model: VAE
    n: int
    d: int
    k: int
    elbo_per_sample: float
    ppca_loglik_per_sample: float
    iterations: int
    seconds: float
    grad_norm: float  #: largest |∂(−ELBO)/∂θ| at the end (a stationary point has ≈ 0)

    @property
    def gap(self) -> float:
        """pPCA log-likelihood minus ELBO, per sample (≥ 0 up to rounding)."""
        return self.ppca_loglik_per_sample - self.elbo_per_sample

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "d": self.d,
            "k": self.k,
            "elbo_per_sample": self.elbo_per_sample,
            "ppca_loglik_per_sample": self.ppca_loglik_per_sample,
            "gap": self.gap,
        }


def _to_raw(value: np.ndarray | float, bound: float) -> np.ndarray:
    """The raw parameter θ with B tanh(θ/B) = value (value clipped just inside (−B, B))."""
    v = np.clip(np.asarray(value, dtype=np.float64), -bound * (1 - 1e-12), bound * (1 - 1e-12))
    return bound * np.arctanh(v / bound)


def fit_linear_vae(
    x: Any,
    k: int,
    *,
    rng: np.random.Generator,
    max_iter: int = 20000,
    tol: float = 1e-12,
    time_limit: float = 50.0,
) -> LinearVAEFit:
    """Train a linear VAE with learned c on x by maximising its exact ELBO.

    Starting from Glorot-random weights, the ELBO is raised by exact coordinate ascent, each
    move a closed-form maximisation over one block of the VAE's parameters (variational EM):

    1. rotate the latent space so that the decoder's rows are orthogonal, W ← Rᵀ W with
       W Wᵀ = R Λ Rᵀ (the likelihood is unchanged; the diagonal q can then match the exact
       posterior, so the ELBO can only rise once the encoder is refitted);
    2. encoder: the best diagonal Gaussian q(z|x) for the current decoder, with mean
       P⁻¹ W (x − b_out)/c and variances 1/P_kk, P = I + W Wᵀ/c (W_log_var = 0);
    3. decoder: W_out, b_out by the ridge-like least squares that maximise E_q[log p(x|z)];
    4. c = E_q‖x − x̂‖² / D, its maximiser.

    It stops when 25 rounds raise the ELBO by less than ``tol`` nats per sample, after
    ``max_iter`` rounds or after ``time_limit`` seconds. The largest entry of the exact
    gradient (:func:`linear_vae_exact_loss_and_grads`) at the end is reported as
    ``grad_norm``: ≈ 0 shows a stationary point of the ELBO itself.

    Examples
    --------
    >>> from elbo_derivation.vae.data import sample_ppca
    >>> rng = np.random.default_rng(0)
    >>> x = sample_ppca(500, rng=rng, d=6, k=2)
    >>> fit = fit_linear_vae(x, 2, rng=rng)
    >>> bool(-1e-9 < fit.gap < 0.01), fit.grad_norm < 1e-6
    (True, True)
    """
    x = _data(x, k)
    n, d = x.shape
    start = time.perf_counter()
    reference = ppca_ml(x, k)
    model = VAE(d, None, k, rng=rng, obs_var="learned")
    p = model.params
    mean = x.mean(axis=0)
    xc = x - mean
    S = xc.T @ xc / n  # (D, D) sample covariance: the exact ELBO needs only mean and S
    eye_k, eye_d = np.eye(k), np.eye(d)
    p["b_out"] = mean
    p["log_c"] = _to_raw(math.log(float(np.trace(S)) / d), LOG_C_BOUND)
    best = -math.inf
    iterations = 0
    for iterations in range(1, max_iter + 1):
        c = model.obs_var
        # 1. rotate: W Wᵀ = R Λ Rᵀ, W ← Rᵀ W                                   (K, D)
        W = p["W_out"]
        _, R = np.linalg.eigh(W @ W.T)
        W = R.T @ W
        p["W_out"] = W
        # 2. encoder: P = I + W Wᵀ/c;  g = (x − b) Wᵀ P⁻¹ / c;  h_k = 1/P_kk
        P = eye_k + (W @ W.T) / c
        W_g = np.linalg.solve(P, W / c).T  # (D, K)
        h = 1.0 / np.diag(P)
        p["W_g"] = W_g
        p["b_g"] = -p["b_out"] @ W_g
        p["W_log_var"] = 0.0
        p["b_log_var"] = _to_raw(np.log(h), LOG_VAR_BOUND)
        h = np.exp(LOG_VAR_BOUND * np.tanh(p["b_log_var"] / LOG_VAR_BOUND))
        # 3. decoder: min over W, b of mean‖x − g W − b‖² + Σ_k h_k ‖W_k‖²
        S_g = W_g.T @ S @ W_g  # (K, K) covariance of g
        W = np.linalg.solve(S_g + np.diag(h), W_g.T @ S)  # (K, D)
        p["W_out"] = W
        p["b_out"] = mean - (mean @ W_g + p["b_g"]) @ W
        # 4. c = E_q‖x − x̂‖² / D, with the residual's mean zero after step 3
        A = W_g @ W - eye_d  # (D, D): x − x̂ = (x − mean)(−A) − noise
        expected_sq = float(np.einsum("ij,ij->", A, S @ A)) + float(h @ np.einsum("kd,kd->k", W, W))
        p["log_c"] = _to_raw(math.log(expected_sq / d), LOG_C_BOUND)
        if iterations % 25 == 0:
            # the exact ELBO from the moments: C E‖x − x̂‖² = D/2 at the c of step 4, and
            # mean‖g‖² = tr(W_gᵀ S W_g) + ‖mean W_g + b_g‖²
            g_bar = mean @ W_g + p["b_g"]
            mean_g_sq = float(np.trace(S_g)) + float(g_bar @ g_bar)
            log_var = np.log(h)
            elbo = -(
                0.5 * d * (1.0 + _LOG_2PI + model.log_c)
                + 0.5 * (float(np.sum(np.expm1(log_var) - log_var)) + mean_g_sq)
            )
            if elbo - best < tol or time.perf_counter() - start > time_limit:
                break
            best = elbo
    elbo, grads = linear_vae_exact_loss_and_grads(model, x)
    return LinearVAEFit(
        model,
        n,
        d,
        k,
        -elbo,
        reference.loglik_per_sample,
        iterations,
        time.perf_counter() - start,
        float(np.abs(grads.flat).max()),
    )
