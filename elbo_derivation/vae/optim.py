"""Adam, the optimiser of Kingma & Ba (2015), updating parameters in place.

    m ← β₁ m + (1 − β₁) g,   v ← β₂ v + (1 − β₂) g²,
    θ ← θ − lr · m̂ / (√v̂ + ε),   m̂ = m / (1 − β₁ᵗ),  v̂ = v / (1 − β₂ᵗ).

When the parameters and the gradients are :class:`~elbo_derivation.vae.model.ParamDict` with
the same layout (as the VAE's are), the update runs once on the flat vectors: a handful of
vectorised operations per step instead of a handful per array.

References
----------
.. [1] D. P. Kingma and J. Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015,
   Algorithm 1.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

__all__ = ["Adam"]


class Adam:
    """Adam over a dict of float64 arrays, updated in place by :meth:`step`.

    Parameters
    ----------
    params : mapping of str to ndarray
        the arrays to optimise (modified in place).
    lr : float
        the step size.
    betas : (float, float)
        decay rates β₁, β₂ of the first and second moment estimates, in [0, 1).
    eps : float
        ε added to √v̂.

    Examples
    --------
    >>> p = {"w": np.array([3.0])}
    >>> opt = Adam(p, lr=0.1)
    >>> for _ in range(200):
    ...     opt.step({"w": 2 * p["w"]})  # minimise w²
    >>> abs(float(p["w"][0])) < 0.05
    True
    """

    def __init__(
        self,
        params: Mapping[str, np.ndarray],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        if not (math.isfinite(lr) and lr > 0):
            raise ValueError(f"lr must be a positive number, got {lr!r}")
        b1, b2 = betas
        if not (0 <= b1 < 1 and 0 <= b2 < 1):
            raise ValueError(f"betas must both lie in [0, 1), got {betas!r}")
        if not (math.isfinite(eps) and eps > 0):
            raise ValueError(f"eps must be a positive number, got {eps!r}")
        self.params = params
        self.lr, self.betas, self.eps = float(lr), (float(b1), float(b2)), float(eps)
        self.t = 0
        self._flat = getattr(params, "flat", None)
        if self._flat is not None:
            self.m = np.zeros_like(self._flat)
            self.v = np.zeros_like(self._flat)
            self._tmp = np.empty_like(self._flat)
        else:
            self.m = {k: np.zeros_like(v, dtype=np.float64) for k, v in params.items()}
            self.v = {k: np.zeros_like(v, dtype=np.float64) for k, v in params.items()}

    def step(self, grads: Mapping[str, np.ndarray]) -> None:
        """One Adam update of every parameter, in place.

        Raises
        ------
        FloatingPointError
            if a gradient is NaN or inf (the parameters are left unchanged).
        """
        b1, b2 = self.betas
        self.t += 1
        # fold the bias corrections into the step size and ε (Kingma & Ba, end of §2)
        step = self.lr * math.sqrt(1 - b2**self.t) / (1 - b1**self.t)
        eps_hat = self.eps * math.sqrt(1 - b2**self.t)
        flat_g = getattr(grads, "flat", None)
        shapes = getattr(self.params, "shapes", None)
        if (
            self._flat is not None
            and flat_g is not None
            and getattr(grads, "shapes", None) == shapes
        ):
            self._update(self._flat, flat_g, self.m, self.v, self._tmp, step, eps_hat)
            return
        for k, p in self.params.items():
            g = np.asarray(grads[k], dtype=np.float64)
            if g.shape != np.shape(p):
                raise ValueError(f"grads[{k!r}] must have shape {np.shape(p)}, got {g.shape}")
            if not np.isfinite(g).all():
                self.t -= 1
                raise FloatingPointError(
                    f"Adam.step: grads[{k!r}] has NaN or inf; parameters unchanged"
                )
        for k, p in self.params.items():
            g = np.asarray(grads[k], dtype=np.float64).ravel()
            if self._flat is not None:
                sl = self._slices()[k]
                m, v = self.m[sl], self.v[sl]
            else:
                m, v = self.m[k].reshape(-1), self.v[k].reshape(-1)
            view = p.reshape(-1)
            if not np.shares_memory(view, p):  # pragma: no cover - params must be arrays
                raise ValueError(f"params[{k!r}] must be a contiguous array")
            self._update(view, g, m, v, np.empty_like(g), step, eps_hat)

    def _slices(self) -> dict[str, slice]:
        out, start = {}, 0
        for k, p in self.params.items():
            out[k] = slice(start, start + p.size)
            start += p.size
        return out

    def _update(
        self,
        theta: np.ndarray,
        g: np.ndarray,
        m: np.ndarray,
        v: np.ndarray,
        tmp: np.ndarray,
        step: float,
        eps_hat: float,
    ) -> None:
        if not np.isfinite(g).all():
            self.t -= 1
            raise FloatingPointError("Adam.step: a gradient is NaN or inf; parameters unchanged")
        b1, b2 = self.betas
        # m ← β₁ m + (1 − β₁) g
        m *= b1
        np.multiply(g, 1 - b1, out=tmp)
        m += tmp
        # v ← β₂ v + (1 − β₂) g²
        v *= b2
        np.multiply(g, g, out=tmp)
        tmp *= 1 - b2
        v += tmp
        # θ ← θ − step · m / (√v + ε̂)
        np.sqrt(v, out=tmp)
        tmp += eps_hat
        np.divide(m, tmp, out=tmp)
        tmp *= step
        theta -= tmp
