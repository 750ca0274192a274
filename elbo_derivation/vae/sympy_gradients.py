"""Gradients of the notes' §4 loss, derived by SymPy and exported as NumPy functions.

The loss for one sample and one latent and data coordinate, in the log-variance form that code
uses (h = exp ℓ, notes §4):

    L = C (x − x̂)² + ½ (exp ℓ + g² − ℓ − 1),

with the reparameterisation z = g + exp(ℓ/2)·ε (Kingma & Welling 2014, §2.4). SymPy
differentiates these expressions; :func:`sympy.lambdify` turns the derivatives into NumPy
functions once, on first use (cached). The hand formulas they must agree with are

    ∂KL/∂g = g,   ∂KL/∂ℓ = (exp ℓ − 1)/2,   ∂L/∂x̂ = −2C(x − x̂),
    ∂z/∂g = 1,    ∂z/∂ℓ = ½ exp(ℓ/2) ε,

and through the sample, for a decoder gradient ∂L/∂z,

    dL/dg = ∂L/∂z · ∂z/∂g + ∂KL/∂g,   dL/dℓ = ∂L/∂z · ∂z/∂ℓ + ∂KL/∂ℓ.

For vectors every formula applies coordinate-wise (the KL is a sum over latent coordinates,
the reconstruction a sum over data coordinates), so the functions broadcast.

Examples
--------
>>> import numpy as np
>>> dkl_dg(np.array([0.5, -1.0]), np.array([0.0, 1.0]))
array([ 0.5, -1. ])
>>> float(dkl_dlog_var(0.0, np.log(3.0)))
1.0
>>> float(drec_dx_hat(1.0, 0.25, 2.0))
-3.0
>>> symbolic_gradients()["dkl_dlog_var"]
exp(log_var)/2 - 1/2

References
----------
Notes §4; D. P. Kingma and M. Welling, "Auto-Encoding Variational Bayes", ICLR 2014, §2.4 and
Appendix B.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache, lru_cache

import numpy as np
import sympy as sp

__all__ = [
    "dkl_dg",
    "dkl_dlog_var",
    "dloss_dg",
    "dloss_dlog_var",
    "drec_dx_hat",
    "dz_dg",
    "dz_dlog_var",
    "kl_gradients",
    "loss_expressions",
    "symbolic_gradients",
]

g, log_var, x, x_hat, eps = sp.symbols("g log_var x x_hat eps", real=True)
C = sp.Symbol("C", positive=True)

#: The symbols of the loss, by name.
SYMBOLS: dict[str, sp.Symbol] = {
    "g": g, "log_var": log_var, "x": x, "x_hat": x_hat, "eps": eps, "C": C,
}  # fmt: skip


def loss_expressions() -> dict[str, sp.Expr]:
    """The §4 loss and its parts as SymPy expressions (for display, e.g. in notebooks).

    Returns
    -------
    dict
        ``"kl"``: ½(exp ℓ + g² − ℓ − 1); ``"reconstruction"``: C(x − x̂)²; ``"loss"``: their sum;
        ``"z"``: the reparameterised sample g + exp(ℓ/2)·ε.

    Examples
    --------
    >>> loss_expressions()["kl"]
    g**2/2 - log_var/2 + exp(log_var)/2 - 1/2
    """
    kl = (sp.exp(log_var) + g**2 - log_var - 1) / 2
    rec = C * (x - x_hat) ** 2
    return {"kl": kl, "reconstruction": rec, "loss": rec + kl, "z": g + sp.exp(log_var / 2) * eps}


@lru_cache(maxsize=1)
def _symbolic() -> dict[str, sp.Expr]:
    e = loss_expressions()
    return {
        "dkl_dg": sp.diff(e["kl"], g),
        "dkl_dlog_var": sp.diff(e["kl"], log_var),
        "drec_dx_hat": sp.factor(sp.diff(e["reconstruction"], x_hat)),
        "dz_dg": sp.diff(e["z"], g),
        "dz_dlog_var": sp.diff(e["z"], log_var),
    }


def symbolic_gradients() -> dict[str, sp.Expr]:
    """The derivatives, as SymPy differentiated them (a copy of the cached dictionary).

    Returns
    -------
    dict
        ``dkl_dg``, ``dkl_dlog_var``, ``drec_dx_hat``, ``dz_dg``, ``dz_dlog_var``.

    Examples
    --------
    >>> d = symbolic_gradients()
    >>> d["dkl_dg"], d["dz_dg"], d["dz_dlog_var"]
    (g, 1, eps*exp(log_var/2)/2)
    """
    return dict(_symbolic())


#: The arguments each exported function takes, in order.
_ARGUMENTS: dict[str, tuple[sp.Symbol, ...]] = {
    "dkl_dg": (g, log_var),
    "dkl_dlog_var": (g, log_var),
    "drec_dx_hat": (x, x_hat, C),
    "dz_dg": (g, log_var, eps),
    "dz_dlog_var": (log_var, eps),
}


@cache
def _numeric(name: str) -> Callable[..., np.ndarray]:
    expr = _symbolic()[name]
    return sp.lambdify(_ARGUMENTS[name], expr, modules="numpy")


def _call(name: str, *values: object) -> np.ndarray:
    arrays = [np.asarray(v, dtype=float) for v in values]
    for sym, arr in zip(_ARGUMENTS[name], arrays, strict=True):
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{sym} must be finite, got {arr}")
    if name == "drec_dx_hat" and np.any(arrays[2] <= 0):
        raise ValueError(f"C must be positive, got {arrays[2]}")
    shape = np.broadcast_shapes(*(a.shape for a in arrays))
    out = np.asarray(_numeric(name)(*arrays), dtype=float)
    return np.broadcast_to(out, shape).copy()


def dkl_dg(g: object, log_var: object) -> np.ndarray:
    """∂KL/∂g of ½(exp ℓ + g² − ℓ − 1): equals g. Broadcasts; returns an array.

    >>> dkl_dg(2.0, 0.3).item()
    2.0
    """
    return _call("dkl_dg", g, log_var)


def dkl_dlog_var(g: object, log_var: object) -> np.ndarray:
    """∂KL/∂ℓ of ½(exp ℓ + g² − ℓ − 1): equals (exp ℓ − 1)/2. Broadcasts.

    >>> dkl_dlog_var(0.0, 0.0).item()
    0.0
    """
    return _call("dkl_dlog_var", g, log_var)


def drec_dx_hat(x: object, x_hat: object, C: object) -> np.ndarray:
    """∂/∂x̂ of C(x − x̂)²: equals −2C(x − x̂). Broadcasts; ``C`` must be positive.

    >>> drec_dx_hat(0.0, 1.0, 0.5).item()
    1.0
    """
    return _call("drec_dx_hat", x, x_hat, C)


def dz_dg(g: object, log_var: object, eps: object) -> np.ndarray:
    """∂z/∂g of z = g + exp(ℓ/2)·ε: equals 1 (shaped like the broadcast arguments).

    >>> dz_dg(np.zeros(2), 0.0, 1.0)
    array([1., 1.])
    """
    return _call("dz_dg", g, log_var, eps)


def dz_dlog_var(log_var: object, eps: object) -> np.ndarray:
    """∂z/∂ℓ of z = g + exp(ℓ/2)·ε: equals ½ exp(ℓ/2) ε. Broadcasts.

    >>> dz_dlog_var(0.0, 2.0).item()
    1.0
    """
    return _call("dz_dlog_var", log_var, eps)


def dloss_dg(g: object, log_var: object, eps: object, dL_dz: object) -> np.ndarray:
    """dL/dg through the sample: ∂L/∂z · ∂z/∂g + ∂KL/∂g, for a decoder gradient ∂L/∂z.

    >>> dloss_dg(0.5, 0.0, 1.0, 2.0).item()
    2.5
    """
    return np.asarray(dL_dz, dtype=float) * dz_dg(g, log_var, eps) + dkl_dg(g, log_var)


def dloss_dlog_var(g: object, log_var: object, eps: object, dL_dz: object) -> np.ndarray:
    """dL/dℓ through the sample: ∂L/∂z · ∂z/∂ℓ + ∂KL/∂ℓ, for a decoder gradient ∂L/∂z.

    >>> dloss_dlog_var(0.0, 0.0, 1.0, 2.0).item()
    1.0
    """
    return np.asarray(dL_dz, dtype=float) * dz_dlog_var(log_var, eps) + dkl_dlog_var(g, log_var)


def kl_gradients() -> tuple[Callable[..., np.ndarray], Callable[..., np.ndarray]]:
    """The pair (∂KL/∂g, ∂KL/∂ℓ) as NumPy functions of (g, log_var).

    >>> d_g, d_l = kl_gradients()
    >>> d_g(1.0, 0.0).item(), d_l(1.0, 0.0).item()
    (1.0, 0.0)
    """
    return dkl_dg, dkl_dlog_var
