"""Finite-difference checks of hand-written gradients.

Each parameter entry θ_i is moved by ±h and ±2h and the loss re-evaluated; the fourth-order
central difference

    ∂L/∂θ_i ≈ [L(θ − 2h e_i) − 8 L(θ − h e_i) + 8 L(θ + h e_i) − L(θ + 2h e_i)] / (12 h)

has truncation error O(h⁴), so a step of h = 10⁻³ keeps both truncation and rounding far
below the 10⁻⁷ relative error the tests demand (``order=2`` gives the plain two-point central
difference [L(θ + h e_i) − L(θ − h e_i)] / (2h)). The relative error of entry i is
|a_i − n_i| / max(|a_i|, |n_i|) (0 when both are 0), a = analytic, n = numeric; the check
reports the worst over the entries of each parameter.

References
----------
.. [1] J. Nocedal and S. J. Wright, *Numerical Optimization*, 2nd ed., §8.1 (finite
   differences).
.. [2] HIPS/autograd, ``check_grads``; A. Karpathy, micrograd (compare against a trusted
   reference).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

__all__ = ["gradcheck", "gradcheck_function"]


def gradcheck_function(
    loss: Callable[[], float],
    params: Mapping[str, np.ndarray],
    grads: Mapping[str, np.ndarray],
    *,
    h: float = 1e-3,
    order: int = 4,
    verbose: bool = False,
    max_print: int = 5,
) -> dict[str, float]:
    """Worst relative error per parameter between ``grads`` and finite differences of ``loss``.

    Parameters
    ----------
    loss : callable
        ``loss()`` evaluates the loss at the current values of ``params``.
    params : mapping of str to ndarray
        the arrays ``loss`` reads; each entry is perturbed in place and restored.
    grads : mapping of str to ndarray
        the analytic gradient, same keys and shapes as ``params``.
    h : float
        the finite-difference step.
    order : {2, 4}
        accuracy order of the central difference.
    verbose : bool
        print analytic against numeric values (the first ``max_print`` entries and the worst
        entry of each parameter).

    Returns
    -------
    dict of str to float
        parameter name → worst relative error over its entries.

    Examples
    --------
    >>> p = {"w": np.array([1.0, -2.0])}
    >>> f = lambda: float(np.sum(p["w"] ** 3))
    >>> err = gradcheck_function(f, p, {"w": 3 * p["w"] ** 2})
    >>> err["w"] < 1e-9
    True
    """
    if order not in (2, 4):
        raise ValueError(f"order must be 2 or 4, got {order!r}")
    if not (np.isfinite(h) and h > 0):
        raise ValueError(f"h must be a positive number, got {h!r}")
    worst: dict[str, float] = {}
    for name, value in params.items():
        if name not in grads or np.shape(grads[name]) != value.shape:
            raise ValueError(f"grads[{name!r}] must exist with shape {value.shape}")
        analytic = np.asarray(grads[name], dtype=np.float64)
        numeric = np.empty_like(analytic)
        for i in np.ndindex(value.shape):
            old = value[i].copy()
            if order == 2:
                value[i] = old + h
                up = loss()
                value[i] = old - h
                down = loss()
                numeric[i] = (up - down) / (2 * h)
            else:
                f = []
                for s in (-2.0, -1.0, 1.0, 2.0):
                    value[i] = old + s * h
                    f.append(loss())
                numeric[i] = (f[0] - 8 * f[1] + 8 * f[2] - f[3]) / (12 * h)
            value[i] = old
        scale = np.maximum(np.abs(analytic), np.abs(numeric))
        diff = np.abs(analytic - numeric)
        rel = np.divide(diff, scale, out=np.zeros_like(diff), where=scale > 0)
        worst[name] = float(rel.max()) if rel.size else 0.0
        if verbose:
            print(f"{name} {value.shape}: worst relative error {worst[name]:.2e}")
            flat_idx = list(np.ndindex(value.shape))
            show = flat_idx[:max_print]
            k = flat_idx[int(np.argmax(rel.ravel()))] if rel.size else None
            if k is not None and k not in show:
                show.append(k)
            for j in show:
                print(
                    f"  {name}{list(j)}: analytic {analytic[j]: .12e}  numeric {numeric[j]: .12e}"
                    f"  rel {rel[j]:.1e}"
                )
    return worst


def gradcheck(
    model: Any,
    x: Any,
    eps: Any,
    *,
    h: float = 1e-3,
    order: int = 4,
    verbose: bool = False,
) -> dict[str, float]:
    """Compare ``model.loss_and_grads(x, eps)`` with central differences on every entry.

    Parameters
    ----------
    model : VAE
        anything with ``params`` and ``loss_and_grads(x, eps)``; left unchanged.
    x : array_like, shape (batch, n_input)
    eps : array_like, shape (batch, n_latent)
    h, order, verbose
        as in :func:`gradcheck_function`; ``verbose=True`` prints analytic against numeric.

    Returns
    -------
    dict of str to float
        parameter name → worst relative error over its entries.

    Examples
    --------
    >>> from elbo_derivation.vae import VAE
    >>> rng = np.random.default_rng(0)
    >>> model = VAE(3, 4, 2, rng=rng, obs_var="learned")
    >>> errors = gradcheck(model, rng.normal(size=(5, 3)), rng.normal(size=(5, 2)))
    >>> max(errors.values()) < 1e-7
    True
    """
    _, grads = model.loss_and_grads(x, eps)
    before = {k: v.copy() for k, v in model.params.items()}
    try:
        return gradcheck_function(
            lambda: model.loss(x, eps),
            model.params,
            grads,
            h=h,
            order=order,
            verbose=verbose,
        )
    finally:
        for k, v in before.items():
            model.params[k][...] = v
