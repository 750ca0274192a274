"""Kullback-Leibler divergences between Gaussians, accurate to the last digits.

The notes (§3.3) end with the textbook closed form

.. math::

    \\mathrm{KL}(\\mathcal N(\\mu_1, \\sigma_1^2) \\,\\|\\, \\mathcal N(\\mu_2, \\sigma_2^2))
    = \\log\\frac{\\sigma_2}{\\sigma_1} + \\frac{\\sigma_1^2 + (\\mu_1 - \\mu_2)^2}{2\\sigma_2^2}
      - \\frac12 .

Evaluated as written in floating point, it loses every digit when the two distributions nearly
coincide: the three terms are of order one and cancel down to a result of order
:math:`(\\sigma_1/\\sigma_2 - 1)^2`. This module rewrites it as a sum of two non-negative terms,

.. math::

    \\mathrm{KL} = \\tfrac12\\bigl[\\varphi(u) + z^2\\bigr], \\qquad
    u = 2\\log\\frac{\\sigma_1}{\\sigma_2}, \\quad z = \\frac{\\mu_1 - \\mu_2}{\\sigma_2}, \\quad
    \\varphi(u) = e^u - 1 - u = t - 1 - \\log t \\;\\; (t = \\sigma_1^2/\\sigma_2^2),

and evaluates each term without cancellation. For speed, one cheap vectorised pass first
evaluates :math:`\\tfrac12[t - 1 - \\log t + z^2]` directly and keeps it wherever the
divergence is at least 0.05 (there the cancellation costs at most a few tens of ulp); the other
elements take the careful path: :math:`u` from ``log1p`` of the exactly computed
:math:`(\\sigma_1 - \\sigma_2)/\\sigma_2` when the ratio is near one, :math:`\\varphi(u)` from
its Taylor series :math:`u^2 \\sum_k u^k/(k+2)!` when :math:`|u|` is small and from
``expm1(u) - u`` otherwise. The result is never negative, is exactly ``0.0`` for equal arguments
and has a relative error of a few units in the last place (tested at most 1e-13 against a
50-digit mpmath reference, see ``tests/test_kl.py``).

The multivariate form uses the same split: with Cholesky factors :math:`\\Sigma_i = L_i L_i^T`
and :math:`A = L_2^{-1} L_1` (lower triangular, :math:`a_{ii} = (L_1)_{ii}/(L_2)_{ii}`),

.. math::

    2\\,\\mathrm{KL} = \\sum_i \\varphi(2\\log a_{ii}) + \\sum_{i>j} a_{ij}^2
    + \\lVert L_2^{-1}(\\mu_1 - \\mu_2) \\rVert^2 ,

again a sum of non-negative terms, with no explicit inverse and no determinant.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.linalg

__all__ = ["kl_diag_normal", "kl_mvn", "kl_normal", "kl_standard_normal"]

_LOG2 = math.log(2.0)
_MAX = float(np.finfo(np.float64).max)

# |u| below this uses the Taylor series of phi(u) = expm1(u) - u; above it, expm1(u) - u loses at
# most a factor ~4/|u| <= 40 ulp to cancellation.
_SERIES_BELOW = 0.1
# The fast path's result is trusted where the divergence is at least this (see _kl_normal_array).
_FAST_ABOVE = 0.05
# Above this |u|, log(sigma1/sigma2) may have lost precision to an underflowing/overflowing ratio
# and expm1(u) may overflow: those elements take the careful path.
_EXTREME_ABOVE = 700.0
# phi(u) / u^2 = sum_k u^k / (k + 2)!, k = 0..9; the first omitted term is < 4e-19 relative.
_SERIES = tuple(1.0 / math.factorial(k + 2) for k in range(10))


# ---------------------------------------------------------------------------------------------
# validation


def _as_real_array(value: Any, name: str) -> np.ndarray:
    """``value`` as a float64 array, or ValueError naming ``name``."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "iuf":
        raise ValueError(f"{name} must be real numbers, got {value!r} (dtype {arr.dtype})")
    return arr.astype(np.float64, copy=False)


def _first_bad(mask: np.ndarray, arr: np.ndarray) -> str:
    """'got VALUE' or 'got VALUE at index I' for the first True element of ``mask``."""
    if arr.ndim == 0:
        return f"got {float(arr)!r}"
    index = tuple(int(i) for i in np.argwhere(mask)[0])
    return f"got {float(arr[index])!r} at index {index}"


def _check_finite(arr: np.ndarray, name: str) -> None:
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite, {_first_bad(~np.isfinite(arr), arr)}")


def _check_positive(arr: np.ndarray, name: str) -> None:
    # one pass for the common case; nan fails `> 0`, inf fails `< inf`
    if not ((arr > 0).all() and (arr < np.inf).all()):
        bad = ~((arr > 0) & (arr < np.inf))
        raise ValueError(f"{name} must be positive and finite, {_first_bad(bad, arr)}")


def _broadcast_shape(arrays: dict[str, np.ndarray]) -> tuple[int, ...]:
    """The common shape, or ValueError naming the first argument that does not fit."""
    shape: tuple[int, ...] = ()
    seen: list[str] = []
    for name, arr in arrays.items():
        try:
            shape = np.broadcast_shapes(shape, arr.shape)
        except ValueError:
            others = ", ".join(f"{n} {arrays[n].shape}" for n in seen)
            raise ValueError(
                f"{name} has shape {arr.shape}, which does not broadcast with {others}"
            ) from None
        seen.append(name)
    return shape


def _normal_arrays(mu1: Any, sigma1: Any, mu2: Any, sigma2: Any) -> dict[str, np.ndarray]:
    """The four arguments as float64 arrays whose shapes broadcast; values not yet checked."""
    arrays = {
        "mu1": _as_real_array(mu1, "mu1"),
        "sigma1": _as_real_array(sigma1, "sigma1"),
        "mu2": _as_real_array(mu2, "mu2"),
        "sigma2": _as_real_array(sigma2, "sigma2"),
    }
    _broadcast_shape(arrays)
    return arrays


def _check_values(arrays: dict[str, np.ndarray]) -> None:
    """ValueError naming the first argument with a bad value (means finite, sigmas > 0)."""
    _check_finite(arrays["mu1"], "mu1")
    _check_positive(arrays["sigma1"], "sigma1")
    _check_finite(arrays["mu2"], "mu2")
    _check_positive(arrays["sigma2"], "sigma2")


def _normal_args(
    mu1: Any, sigma1: Any, mu2: Any, sigma2: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, bool]:
    arrays = _normal_arrays(mu1, sigma1, mu2, sigma2)
    _check_values(arrays)
    scalar = all(a.ndim == 0 for a in arrays.values())
    return arrays["mu1"], arrays["sigma1"], arrays["mu2"], arrays["sigma2"], scalar


def _raise_overflow(kl: np.ndarray, what: str) -> None:
    bad = ~np.isfinite(kl)
    where = "" if kl.ndim == 0 else f" at index {tuple(int(i) for i in np.argwhere(bad)[0])}"
    raise ValueError(
        f"the KL divergence exceeds the float64 range (> {_MAX:.3g}){where}: {what}"
    )


# ---------------------------------------------------------------------------------------------
# the two non-negative halves of the divergence


def _half_phi(u: np.ndarray) -> np.ndarray:
    """(e^u - 1 - u) / 2 for a 1-d array ``u``, without cancellation or spurious overflow."""
    small = np.abs(u) < _SERIES_BELOW
    if small.all():
        return _half_phi_series(u)
    with np.errstate(over="ignore", invalid="ignore"):
        out = 0.5 * (np.expm1(u) - u)
    if small.any():
        out[small] = _half_phi_series(u[small])
    big = u > 709.0
    if big.any():
        # e^u / 2 - u / 2: expm1(u) overflows from 709.78, the half only from 710.48
        s = u[big]
        with np.errstate(over="ignore"):
            out[big] = np.exp(s - _LOG2) - 0.5 * s
    return out


def _half_phi_series(u: np.ndarray) -> np.ndarray:
    """(e^u - 1 - u) / 2 = (u^2 / 2) sum_k u^k / (k + 2)! for |u| < 0.1, by Horner's rule."""
    acc = np.full_like(u, _SERIES[-1])
    for c in _SERIES[-2::-1]:
        acc *= u
        acc += c
    with np.errstate(under="ignore"):
        return (0.5 * u) * u * acc


def _log_ratio2(sigma1: np.ndarray, sigma2: np.ndarray) -> np.ndarray:
    """u = 2 log(sigma1 / sigma2), accurate for ratios near 1 and beyond the float range."""
    with np.errstate(over="ignore", under="ignore"):
        ratio = sigma1 / sigma2
    near = (ratio > 0.5) & (ratio < 2.0)
    if near.all():  # the common case on the careful path
        # Sterbenz: sigma1 - sigma2 is exact when the ratio lies in [1/2, 2]
        return 2.0 * np.log1p((sigma1 - sigma2) / sigma2)
    u = np.empty_like(ratio)
    u[near] = 2.0 * np.log1p((sigma1[near] - sigma2[near]) / sigma2[near])
    far = ~near
    r = ratio[far]
    tiny = np.finfo(np.float64).tiny
    normal = (r >= tiny) & (r <= _MAX)
    u_far = np.empty_like(r)
    u_far[normal] = 2.0 * np.log(r[normal])
    # the ratio over- or underflowed: subtract the logarithms (no cancellation: |u| > 1400)
    s1, s2 = sigma1[far][~normal], sigma2[far][~normal]
    u_far[~normal] = 2.0 * (np.log(s1) - np.log(s2))
    u[far] = u_far
    return u


def _half_z2(mu1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> np.ndarray:
    """((mu1 - mu2) / sigma2)^2 / 2, without spurious overflow of mu1 - mu2 or of the square."""
    with np.errstate(over="ignore"):
        delta = mu1 - mu2
    inf = np.isinf(delta)
    if inf.any():
        # |mu1 - mu2| beyond the float range: halve first (exact), then double the quotient
        delta = delta.copy()
        delta[inf] = 0.5 * mu1[inf] - 0.5 * mu2[inf]
        with np.errstate(over="ignore", under="ignore"):
            z = delta / sigma2
            z[inf] *= 2.0
    else:
        with np.errstate(over="ignore", under="ignore"):
            z = delta / sigma2
    with np.errstate(over="ignore", under="ignore"):
        return (0.5 * z) * z


def _kl_careful(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray):
    """The divergence for 1-d arrays of equal length, every element on the careful path."""
    return _half_phi(_log_ratio2(sigma1, sigma2)) + _half_z2(mu1, mu2, sigma2)


def _kl_normal_array(
    mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray,
    validate: Any = None,
) -> np.ndarray:
    """KL for float64 arrays of one shape (returns a new array of that shape).

    The arguments are validated already, or ``validate`` is a function that validates them
    (raising ValueError) and that is called before the careful path. Skipping the checks on
    the fast path is safe only for arrays whose sigmas are known to be > 0 (their minimum was
    checked; NaN fails that check): then a non-finite mean or sigma makes the fast result
    NaN or infinite, which fails the fast path's own test (``kl.min() >= _FAST_ABOVE`` and
    ``kl.max() <= _MAX``, which NaN fails too), so ``validate`` runs and raises.

    A cheap pass evaluates (t - 1 - log t + z^2) / 2 with t = (sigma1/sigma2)^2 directly. The
    cancellation in t - 1 - log t leaves an absolute error of a few ulp of 1 (t - 1 and log t are
    both O(1) where it happens), so wherever the divergence is at least _FAST_ABOVE the relative
    error stays below ~50 ulp. Elements below that (the distributions nearly coincide), with a
    ratio near the float range, or with an overflow are recomputed on the careful path.
    """
    shape = mu1.shape
    if mu1.size == 0:
        return np.zeros(shape)
    mu1, sigma1, mu2, sigma2 = (a.reshape(-1) for a in (mu1, sigma1, mu2, sigma2))
    with np.errstate(over="ignore", under="ignore", divide="ignore", invalid="ignore"):
        t = np.divide(sigma1, sigma2)
        np.multiply(t, t, out=t)  # t = (sigma1 / sigma2)^2
        log_t = np.log(t)
        t -= 1.0
        t -= log_t  # phi = t - 1 - log t
        z2 = np.subtract(mu1, mu2)
        z2 /= sigma2
        np.multiply(z2, z2, out=z2)  # z^2 = ((mu1 - mu2) / sigma2)^2
        t += z2
        t *= 0.5  # KL = (phi + z^2) / 2
        kl = t
        # reductions first (no temporaries); masks only when something needs the careful path
        if not (kl.min() >= _FAST_ABOVE and log_t.min() >= -_EXTREME_ABOVE and kl.max() <= _MAX):
            ok = kl >= _FAST_ABOVE
            ok &= log_t >= -_EXTREME_ABOVE
            ok &= kl <= _MAX
            idx = np.flatnonzero(~ok)
            args = (mu1[idx], sigma1[idx], mu2[idx], sigma2[idx])
            # a non-finite argument always lands here (its fast result is NaN or infinite):
            # checking these few elements suffices to know whether the full checks must run
            if validate is not None and not all(np.isfinite(a).all() for a in args):
                validate()
            kl[idx] = _kl_careful(*args)
    return kl.reshape(shape)


# ---------------------------------------------------------------------------------------------
# public functions


def kl_normal(mu1: Any, sigma1: Any, mu2: Any, sigma2: Any) -> float | np.ndarray:
    r"""KL divergence between two univariate normal distributions.

    .. math::

        \mathrm{KL}\bigl(\mathcal N(\mu_1, \sigma_1^2) \,\|\, \mathcal N(\mu_2, \sigma_2^2)\bigr)
        = \log\frac{\sigma_2}{\sigma_1} + \frac{\sigma_1^2 + (\mu_1 - \mu_2)^2}{2\sigma_2^2}
          - \frac12 ,

    evaluated as :math:`\tfrac12[\,t - 1 - \log t + (\mu_1 - \mu_2)^2/\sigma_2^2\,]` with
    :math:`t = \sigma_1^2/\sigma_2^2`, each part without cancellation (see the module notes), so
    the relative error stays within a few ulp even when the distributions nearly coincide, where
    the formula above loses every digit.

    Parameters
    ----------
    mu1, sigma1 : array_like
        Mean and **standard deviation** (not variance) of the first distribution :math:`p_1`,
        as in ``scipy.stats.norm(loc=mu1, scale=sigma1)``.
    mu2, sigma2 : array_like
        Mean and standard deviation of the second distribution :math:`p_2`.
        The four arguments broadcast against each other.

    Returns
    -------
    float or ndarray
        :math:`\mathrm{KL}(p_1 \| p_2)` in nats: a Python float when all four arguments are
        scalars, otherwise an array of the broadcast shape. Never negative; exactly ``0.0`` for
        equal arguments. A value below the smallest positive double (about 4.9e-324)
        underflows to ``0.0``.

    Raises
    ------
    ValueError
        If a ``sigma`` is not positive and finite, a ``mu`` is not finite, an argument is not
        real-valued, the shapes do not broadcast (the message names the argument), or the
        divergence itself exceeds the float64 range.

    See Also
    --------
    kl_diag_normal : sum over independent coordinates.
    kl_mvn : multivariate normals with full covariances.
    kl_standard_normal : :math:`\mathrm{KL}(q \| \mathcal N(0, 1))` from a mean and log-variance.

    References
    ----------
    .. [1] A. Selega, "Notes on Derivation of the Variational Autoencoder Evidence Lower Bound
       Loss", 2022, §3 "KL divergence between two Gaussians" (§3.3 gives the closed form).
    .. [2] N. J. Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., SIAM, 2002,
       ch. 1 (cancellation, and the accurate evaluation of :math:`e^x - 1`).

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import integrate, stats
    >>> from elbo_derivation import kl_normal
    >>> kl = kl_normal(1.0, 0.5, -0.5, 2.0)
    >>> kl
    1.1987943611198906

    The same value from the definition :math:`\int p_1 \log(p_1/p_2)\,dx`, with the log-ratio
    written as a difference of log-densities:

    >>> p1, p2 = stats.norm(1.0, 0.5), stats.norm(-0.5, 2.0)
    >>> integrand = lambda x: p1.pdf(x) * (p1.logpdf(x) - p2.logpdf(x))
    >>> value, _ = integrate.quad(integrand, -np.inf, np.inf, epsabs=1e-13, epsrel=1e-13)
    >>> bool(np.isclose(kl, value, rtol=1e-10, atol=0.0))
    True

    Arguments broadcast; the divergence is not symmetric:

    >>> kl_normal([0.0, 1.0], 1.0, 0.0, [1.0, 2.0])
    array([0.        , 0.44314718])
    >>> kl_normal(0.0, 1.0, 0.0, 2.0), kl_normal(0.0, 2.0, 0.0, 1.0)
    (0.3181471805599453, 0.8068528194400547)

    Nearly coinciding distributions keep their digits, where the textbook formula returns 0:

    >>> mu1, sigma1, mu2, sigma2 = 0.0, 1.0 + 1e-15, 1e-12, 1.0
    >>> kl_normal(mu1, sigma1, mu2, sigma2)
    5.000012325951644e-25
    >>> float(np.log(sigma2 / sigma1) + (sigma1**2 + (mu1 - mu2)**2) / (2 * sigma2**2) - 0.5)
    0.0
    >>> import mpmath
    >>> with mpmath.workdps(50):  # the textbook formula again, at 50 significant digits
    ...     m1, s1, m2, s2 = map(mpmath.mpf, (mu1, sigma1, mu2, sigma2))
    ...     ref = mpmath.log(s2 / s1) + (s1**2 + (m1 - m2)**2) / (2 * s2**2) - 0.5
    >>> float(ref)
    5.000012325951644e-25

    >>> kl_normal(0.0, -1.0, 0.0, 1.0)
    Traceback (most recent call last):
    ...
    ValueError: sigma1 must be positive and finite, got -1.0
    """
    arrays = _normal_arrays(mu1, sigma1, mu2, sigma2)
    scalar = all(a.ndim == 0 for a in arrays.values())
    s1, s2 = arrays["sigma1"], arrays["sigma2"]
    # Full value checks cost more than the divergence itself on large arrays, so only the
    # sigmas' signs are checked here (two reductions; NaN fails them); every other bad value
    # makes the fast path's result non-finite, and the checks then run before the careful
    # path (see _kl_normal_array), with the same messages.
    if s1.size == 0 or s2.size == 0 or not (s1.min() > 0 and s2.min() > 0):
        _check_values(arrays)
    m1, s1, m2, s2 = np.broadcast_arrays(arrays["mu1"], s1, arrays["mu2"], s2)
    kl = _kl_normal_array(m1, s1, m2, s2, validate=lambda: _check_values(arrays))
    if kl.size and not kl.max() <= _MAX:  # one reduction; NaN fails it too
        _raise_overflow(kl, "(mu1 - mu2) / sigma2 or sigma1 / sigma2 is too large")
    return float(kl) if scalar else kl


def kl_diag_normal(
    mu1: Any, sigma1: Any, mu2: Any, sigma2: Any, axis: int | tuple[int, ...] = -1
) -> float | np.ndarray:
    r"""KL divergence between normals with diagonal covariances (independent coordinates).

    .. math::

        \mathrm{KL}\bigl(\mathcal N(\mu_1, \operatorname{diag}\sigma_1^2) \,\|\,
        \mathcal N(\mu_2, \operatorname{diag}\sigma_2^2)\bigr)
        = \sum_i \Bigl[\log\frac{\sigma_{2i}}{\sigma_{1i}}
          + \frac{\sigma_{1i}^2 + (\mu_{1i} - \mu_{2i})^2}{2\sigma_{2i}^2} - \frac12\Bigr],

    the sum over coordinates of :func:`kl_normal` (KL is additive over independent
    coordinates). Every term is non-negative, so the sum keeps the terms' accuracy.

    Parameters
    ----------
    mu1, sigma1, mu2, sigma2 : array_like
        Means and **standard deviations** per coordinate; they broadcast against each other.
    axis : int or tuple of int, default -1
        The coordinate axis (or axes) of the broadcast arrays to sum over.

    Returns
    -------
    float or ndarray
        The divergence in nats, with ``axis`` summed out: a float when nothing remains,
        otherwise an array.

    Raises
    ------
    ValueError
        As :func:`kl_normal`, or if ``axis`` is out of range for the broadcast shape.

    See Also
    --------
    kl_normal : the univariate divergence, one term of the sum.
    kl_mvn : full covariance matrices.

    References
    ----------
    .. [1] A. Selega, "Notes on Derivation of the Variational Autoencoder Evidence Lower Bound
       Loss", 2022, §3 (the univariate closed form, here summed over coordinates).

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import integrate, stats
    >>> from elbo_derivation import kl_diag_normal
    >>> mu1, sigma1 = np.array([0.0, 1.0]), np.array([1.0, 0.5])
    >>> mu2, sigma2 = np.array([0.5, 0.0]), np.array([2.0, 1.0])
    >>> kl = kl_diag_normal(mu1, sigma1, mu2, sigma2)
    >>> kl
    1.1675443611198906

    Each coordinate by quadrature of the log-density difference, then summed:

    >>> def kl_quad(m1, s1, m2, s2):
    ...     p1, p2 = stats.norm(m1, s1), stats.norm(m2, s2)
    ...     f = lambda x: p1.pdf(x) * (p1.logpdf(x) - p2.logpdf(x))
    ...     return integrate.quad(f, -np.inf, np.inf, epsabs=1e-13, epsrel=1e-13)[0]
    >>> value = sum(kl_quad(*args) for args in zip(mu1, sigma1, mu2, sigma2))
    >>> bool(np.isclose(kl, value, rtol=1e-10, atol=0.0))
    True

    A batch of 3 diagonal Gaussians in 2 dimensions against the standard normal:

    >>> kl_diag_normal(np.zeros((3, 2)), np.ones((3, 2)), 0.0, 1.0)
    array([0., 0., 0.])
    """
    m1, s1, m2, s2, _ = _normal_args(mu1, sigma1, mu2, sigma2)
    m1, s1, m2, s2 = np.broadcast_arrays(m1, s1, m2, s2)
    ndim = m1.ndim
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    for a in axes:
        if not isinstance(a, (int, np.integer)) or not -ndim <= a < ndim:
            raise ValueError(
                f"axis must be an integer in [{-ndim}, {ndim}) for arguments of broadcast "
                f"shape {m1.shape}, got {axis!r}"
            )
    terms = _kl_normal_array(m1, s1, m2, s2)
    kl = np.sum(terms, axis=axes)
    if not np.isfinite(kl).all():
        _raise_overflow(np.asarray(kl), "a term or the sum is too large")
    return float(kl) if np.ndim(kl) == 0 else kl


def _cov_arg(value: Any, name: str, k: int) -> np.ndarray:
    cov = _as_real_array(value, name)
    if cov.ndim < 2 or cov.shape[-2:] != (k, k):
        raise ValueError(
            f"{name} must have shape (..., {k}, {k}) to match the means, got shape {cov.shape}"
        )
    _check_finite(cov, name)
    scale = np.max(np.abs(cov), axis=(-2, -1), keepdims=True)
    asym = np.abs(cov - np.swapaxes(cov, -1, -2))
    if (asym > 1e-12 * scale).any():
        raise ValueError(
            f"{name} must be symmetric (to a relative 1e-12), got a largest asymmetry "
            f"|C - C^T| of {float(asym.max()):.3g}"
        )
    return cov


def _cholesky(cov: np.ndarray, name: str) -> np.ndarray:
    try:
        return scipy.linalg.cholesky(cov, lower=True, check_finite=False)
    except np.linalg.LinAlgError as exc:
        raise ValueError(f"{name} must be positive definite, but Cholesky fails: {exc}") from None


def kl_mvn(mu1: Any, cov1: Any, mu2: Any, cov2: Any) -> float | np.ndarray:
    r"""KL divergence between two multivariate normal distributions.

    .. math::

        \mathrm{KL}\bigl(\mathcal N(\mu_1, \Sigma_1) \,\|\, \mathcal N(\mu_2, \Sigma_2)\bigr)
        = \frac12\Bigl[\operatorname{tr}(\Sigma_2^{-1}\Sigma_1)
          + (\mu_2 - \mu_1)^T \Sigma_2^{-1} (\mu_2 - \mu_1) - k
          + \log\frac{\det\Sigma_2}{\det\Sigma_1}\Bigr].

    Computed from Cholesky factors :math:`\Sigma_i = L_i L_i^T` with triangular solves only (no
    inverse, no determinant): with :math:`A = L_2^{-1}L_1`, lower triangular with diagonal
    :math:`a_{ii} = (L_1)_{ii}/(L_2)_{ii}`,

    .. math::

        2\,\mathrm{KL} = \sum_i \bigl(a_{ii}^2 - 1 - \log a_{ii}^2\bigr) + \sum_{i>j} a_{ij}^2
        + \lVert L_2^{-1}(\mu_1 - \mu_2)\rVert^2 ,

    a sum of non-negative terms, the diagonal ones evaluated as in :func:`kl_normal`.

    Parameters
    ----------
    mu1, mu2 : array_like, shape (..., k)
        Means.
    cov1, cov2 : array_like, shape (..., k, k)
        Covariance matrices, symmetric (to a relative 1e-12; only the lower triangle is used)
        and positive definite. Leading (batch) dimensions of all four broadcast.

    Returns
    -------
    float or ndarray
        The divergence in nats: a float for a single pair, otherwise an array of the broadcast
        batch shape. Exactly ``0.0`` for equal arguments.

    Raises
    ------
    ValueError
        If a mean is not a finite vector, a covariance is not a finite square matrix of matching
        size, not symmetric or not positive definite, or the batch shapes do not broadcast; the
        message names the argument.

    See Also
    --------
    kl_diag_normal : the same divergence for diagonal covariances, from standard deviations.
    scipy.linalg.cho_factor, scipy.linalg.solve_triangular

    References
    ----------
    .. [1] A. Selega, "Notes on Derivation of the Variational Autoencoder Evidence Lower Bound
       Loss", 2022, §3 (the univariate case this generalises).
    .. [2] J. Duchi, "Derivations for Linear Algebra and Optimization", Stanford notes, 2007,
       "KL divergence between two multivariate Gaussians".

    Examples
    --------
    >>> import numpy as np
    >>> from elbo_derivation import kl_diag_normal, kl_mvn
    >>> mu1, cov1 = np.array([0.0, 1.0]), np.array([[1.0, 0.3], [0.3, 0.5]])
    >>> mu2, cov2 = np.array([0.5, 0.0]), np.array([[2.0, -0.2], [-0.2, 1.0]])
    >>> kl_mvn(mu1, cov1, mu2, cov2)
    0.8460468064671862

    Against the textbook formula with an explicit inverse and determinants:

    >>> inv2, d = np.linalg.inv(cov2), mu2 - mu1
    >>> ref = 0.5 * (np.trace(inv2 @ cov1) + d @ inv2 @ d - 2
    ...              + np.log(np.linalg.det(cov2) / np.linalg.det(cov1)))
    >>> bool(np.isclose(kl_mvn(mu1, cov1, mu2, cov2), ref, rtol=1e-12, atol=0.0))
    True

    For diagonal covariances it is the diagonal form (which takes standard deviations):

    >>> s1, s2 = np.array([1.0, 0.5]), np.array([2.0, 1.0])
    >>> bool(np.isclose(kl_mvn(mu1, np.diag(s1**2), mu2, np.diag(s2**2)),
    ...                 kl_diag_normal(mu1, s1, mu2, s2), rtol=1e-14, atol=0.0))
    True

    >>> kl_mvn(mu1, np.array([[1.0, 2.0], [2.0, 1.0]]), mu2, cov2)
    Traceback (most recent call last):
    ...
    ValueError: cov1 must be positive definite, but Cholesky fails: ...
    """
    m1 = _as_real_array(mu1, "mu1")
    m2 = _as_real_array(mu2, "mu2")
    if m1.ndim < 1:
        raise ValueError(f"mu1 must be a vector of shape (..., k), got a scalar {float(m1)!r}")
    k = m1.shape[-1]
    if m2.ndim < 1 or m2.shape[-1] != k:
        raise ValueError(f"mu2 must have shape (..., {k}) like mu1, got shape {m2.shape}")
    if k == 0:
        raise ValueError("mu1 must have at least one coordinate, got shape (..., 0)")
    _check_finite(m1, "mu1")
    _check_finite(m2, "mu2")
    c1 = _cov_arg(cov1, "cov1", k)
    c2 = _cov_arg(cov2, "cov2", k)
    batch = _broadcast_shape(
        {
            "mu1": np.empty(m1.shape[:-1]),
            "cov1": np.empty(c1.shape[:-2]),
            "mu2": np.empty(m2.shape[:-1]),
            "cov2": np.empty(c2.shape[:-2]),
        }
    )
    c1 = np.broadcast_to(c1, (*batch, k, k))
    c2 = np.broadcast_to(c2, (*batch, k, k))
    L1 = _cholesky(c1, "cov1")  # (..., k, k) lower
    L2 = _cholesky(c2, "cov2")

    # diagonal of A = L2^{-1} L1: ratios of the Cholesky diagonals, phi() as in kl_normal
    d1 = np.diagonal(L1, axis1=-2, axis2=-1)  # (..., k)
    d2 = np.diagonal(L2, axis1=-2, axis2=-1)
    d1, d2 = (np.array(a).reshape(-1) for a in np.broadcast_arrays(d1, d2))
    diag_terms = _half_phi(_log_ratio2(d1, d2)).reshape((*batch, k))

    # strictly lower part of A, zero when the covariances are identical
    A = scipy.linalg.solve_triangular(L2, L1, lower=True, check_finite=False)
    off = np.tril(A, -1)
    same = np.all(c1 == c2, axis=(-2, -1))  # (...,)
    if same.any():
        off = np.where(same[..., None, None], 0.0, off)

    # Mahalanobis term: ||L2^{-1} (mu1 - mu2)||^2
    delta = np.broadcast_to(m1 - m2, (*batch, k))
    w = scipy.linalg.solve_triangular(L2, delta[..., None], lower=True, check_finite=False)

    kl = (
        np.sum(diag_terms, axis=-1)
        + 0.5 * np.sum(off * off, axis=(-2, -1))
        + 0.5 * np.sum(w[..., 0] ** 2, axis=-1)
    )
    if not np.isfinite(kl).all():
        _raise_overflow(np.asarray(kl), "the covariances or means are too far apart")
    return float(kl) if np.ndim(kl) == 0 else kl


def kl_standard_normal(mu: Any, log_var: Any, axis: int | tuple[int, ...] | None = None):
    r"""KL divergence from :math:`\mathcal N(\mu, e^{\ell})` to the standard normal, the VAE's form.

    .. math::

        \mathrm{KL}\bigl(\mathcal N(\mu, h) \,\|\, \mathcal N(0, 1)\bigr)
        = \frac12\bigl(h + \mu^2 - \log h - 1\bigr), \qquad h = e^{\ell},

    the notes' §4 result with :math:`g = \mu` and variance :math:`h`, parameterised by the
    log-variance :math:`\ell` as a VAE encoder outputs it. Evaluated as
    :math:`\tfrac12[(e^\ell - 1 - \ell) + \mu^2]` with the first part free of cancellation
    (series for small :math:`|\ell|`, ``expm1`` otherwise), so it equals
    ``kl_normal(mu, exp(log_var / 2), 0, 1)`` to a few ulp.

    Parameters
    ----------
    mu : array_like
        Means :math:`g(x)`, e.g. shape (batch, n_latent).
    log_var : array_like
        Log-variances :math:`\ell = \log h(x)` (natural log of the **variance**, not of the
        standard deviation); broadcasts with ``mu``.
    axis : int, tuple of int or None, default None
        ``None`` returns the elementwise terms (one per coordinate). An axis or tuple of axes
        sums over them, e.g. ``axis=-1`` gives one KL per sample of a batch of diagonal
        Gaussians. (Unlike :func:`numpy.sum`, ``None`` does *not* sum over everything; pass
        ``axis=tuple(range(ndim))`` for that.)

    Returns
    -------
    float or ndarray
        The divergence in nats; a float when the result is a scalar.

    Raises
    ------
    ValueError
        If ``mu`` or ``log_var`` is not finite or not real, the shapes do not broadcast,
        ``axis`` is out of range, or the value exceeds the float64 range (``log_var`` > 710).

    See Also
    --------
    kl_normal : the general univariate form (takes standard deviations).
    kl_diag_normal : the general diagonal form.

    References
    ----------
    .. [1] A. Selega, "Notes on Derivation of the Variational Autoencoder Evidence Lower Bound
       Loss", 2022, §4 "Final expression for the ELBO loss"; §3 for the general form.
    .. [2] D. P. Kingma and M. Welling, "Auto-Encoding Variational Bayes", ICLR 2014,
       Appendix B.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import integrate, stats
    >>> from elbo_derivation import kl_standard_normal
    >>> kl = kl_standard_normal(0.5, np.log(0.25))
    >>> kl
    0.4431471805599453

    By quadrature of the log-density difference (standard deviation :math:`e^{\ell/2}`):

    >>> q, p = stats.norm(0.5, np.exp(np.log(0.25) / 2)), stats.norm(0.0, 1.0)
    >>> f = lambda z: q.pdf(z) * (q.logpdf(z) - p.logpdf(z))
    >>> value, _ = integrate.quad(f, -np.inf, np.inf, epsabs=1e-13, epsrel=1e-13)
    >>> bool(np.isclose(kl, value, rtol=1e-10, atol=0.0))
    True

    Elementwise by default; ``axis=-1`` sums over the latent coordinates of each sample:

    >>> mu, log_var = np.array([[0.0, 1.0], [0.5, 0.0]]), np.array([[0.0, 0.0], [0.0, 1.0]])
    >>> kl_standard_normal(mu, log_var)
    array([[0.        , 0.5       ],
           [0.125     , 0.35914091]])
    >>> kl_standard_normal(mu, log_var, axis=-1)
    array([0.5       , 0.48414091])
    """
    m = _as_real_array(mu, "mu")
    lv = _as_real_array(log_var, "log_var")
    _broadcast_shape({"mu": m, "log_var": lv})
    _check_finite(m, "mu")
    _check_finite(lv, "log_var")
    m, lv = (np.array(a) for a in np.broadcast_arrays(m, lv))
    # (e^l - 1 - l)/2 + mu^2/2; (0.5 mu) * mu overflows only when the result does
    terms = _half_phi(lv.reshape(-1)).reshape(lv.shape) + (0.5 * m) * m
    if axis is None:
        kl = terms
    else:
        axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
        for a in axes:
            if not isinstance(a, (int, np.integer)) or not -terms.ndim <= a < terms.ndim:
                raise ValueError(
                    f"axis must be None or integers in [{-terms.ndim}, {terms.ndim}) for "
                    f"arguments of broadcast shape {terms.shape}, got {axis!r}"
                )
        kl = np.sum(terms, axis=axes)
    if not np.isfinite(kl).all():
        _raise_overflow(np.asarray(kl), "log_var or mu is too large")
    return float(kl) if np.ndim(kl) == 0 else kl
