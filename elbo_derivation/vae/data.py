"""Toy data sets for the VAE, generated from an explicit ``rng`` (nothing is downloaded).

Every function returns a float64 array of shape (n, d), one sample per row. The generators are
not standardised; :func:`standardize` maps each column to mean 0 and standard deviation 1,
which is what a VAE with c = 1 expects (the CLI does it unless told ``--raw``).

=============  ====  ==============================================================
name            d    what
=============  ====  ==============================================================
``moons``       2    two interleaving half circles with Gaussian noise
``pinwheel``    2    a spiral of curved arms (Johnson et al. 2016)
``mixture``     2    a ring of isotropic Gaussian clusters
``ppca``        10   samples from a probabilistic PCA model, x = W z + μ + σ ε
``digits``      64   the 8×8 handwritten digits shipped with scikit-learn (pixels 0–16)
=============  ====  ==============================================================

References
----------
.. [1] M. J. Johnson, D. Duvenaud, A. B. Wiltschko, S. R. Datta and R. P. Adams, "Composing
   graphical models with neural networks for structured representations and fast inference",
   NeurIPS 2016 (the pinwheel data).
.. [2] M. E. Tipping and C. M. Bishop, "Probabilistic principal component analysis",
   J. R. Stat. Soc. B 61(3), 1999.
.. [3] E. Alpaydin and C. Kaynak, "Optical recognition of handwritten digits", UCI, 1998
   (scikit-learn's ``load_digits``).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "DATASETS",
    "load_dataset",
    "load_digits",
    "make_gaussian_mixture",
    "make_moons",
    "make_pinwheel",
    "sample_ppca",
    "standardize",
]

#: the names :func:`load_dataset` accepts.
DATASETS = ("moons", "pinwheel", "mixture", "ppca", "digits")


def _n(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    return int(n)


def make_moons(n: int, *, rng: np.random.Generator, noise: float = 0.1) -> np.ndarray:
    """Two interleaving half circles, n points, with N(0, noise²) added to each coordinate.

    Examples
    --------
    >>> x = make_moons(200, rng=np.random.default_rng(0))
    >>> x.shape, x.dtype
    ((200, 2), dtype('float64'))
    """
    n = _n(n)
    n_top = n // 2 + n % 2
    t = rng.uniform(0.0, math.pi, size=n)
    top = np.arange(n) < n_top
    x = np.where(top, np.cos(t), 1.0 - np.cos(t))
    y = np.where(top, np.sin(t), 0.5 - np.sin(t))
    out = np.stack([x, y], axis=1)
    out += noise * rng.standard_normal(out.shape)
    return out


def make_pinwheel(
    n: int,
    *,
    rng: np.random.Generator,
    n_arms: int = 5,
    radial_std: float = 0.3,
    tangential_std: float = 0.05,
    rate: float = 0.25,
) -> np.ndarray:
    """A pinwheel: n points on ``n_arms`` arms that curl more the farther out they lie [1].

    Each point starts at (r, t) with r ~ N(1, radial_std²), t ~ N(0, tangential_std²) and is
    rotated by its arm's angle plus ``rate``·exp(r).

    Examples
    --------
    >>> make_pinwheel(100, rng=np.random.default_rng(0)).shape
    (100, 2)
    """
    n = _n(n)
    arm = np.arange(n) % n_arms
    feats = rng.standard_normal((n, 2)) * np.array([radial_std, tangential_std])
    feats[:, 0] += 1.0
    angle = 2 * math.pi * arm / n_arms + rate * np.exp(feats[:, 0])
    cos, sin = np.cos(angle), np.sin(angle)
    x = cos * feats[:, 0] - sin * feats[:, 1]
    y = sin * feats[:, 0] + cos * feats[:, 1]
    return np.stack([x, y], axis=1) * 2.0


def make_gaussian_mixture(
    n: int,
    *,
    rng: np.random.Generator,
    n_components: int = 8,
    radius: float = 4.0,
    std: float = 0.3,
) -> np.ndarray:
    """n points from an equal-weight mixture of N(μ_j, std² I), μ_j evenly spaced on a circle.

    Examples
    --------
    >>> x = make_gaussian_mixture(400, rng=np.random.default_rng(0))
    >>> bool(abs(np.linalg.norm(x, axis=1).mean() - 4.0) < 0.2)
    True
    """
    n = _n(n)
    j = rng.integers(0, n_components, size=n)
    angle = 2 * math.pi * j / n_components
    centres = radius * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    return centres + std * rng.standard_normal((n, 2))


def sample_ppca(
    n: int,
    *,
    rng: np.random.Generator,
    d: int = 10,
    k: int = 2,
    noise_var: float = 0.1,
) -> np.ndarray:
    """n samples of a pPCA model x = W z + μ + √noise_var·ε, z ~ N(0, I_k), ε ~ N(0, I_d) [2].

    W (d × k) has orthogonal columns of lengths 1.5√k, 1.5√(k−1), …, 1.5 in a random
    orientation, and μ is drawn from N(0, I); so the covariance W Wᵀ + σ² I has k
    distinct leading eigenvalues above σ².

    Examples
    --------
    >>> sample_ppca(50, rng=np.random.default_rng(0), d=5, k=2).shape
    (50, 5)
    """
    n = _n(n)
    if not (1 <= k < d):
        raise ValueError(f"k must satisfy 1 <= k < d, got k={k!r}, d={d!r}")
    if not (math.isfinite(noise_var) and noise_var > 0):
        raise ValueError(f"noise_var must be a positive number, got {noise_var!r}")
    q, _ = np.linalg.qr(rng.standard_normal((d, k)))
    W = q * (1.5 * np.sqrt(np.arange(k, 0, -1.0)))
    mu = rng.standard_normal(d)
    z = rng.standard_normal((n, k))
    return z @ W.T + mu + math.sqrt(noise_var) * rng.standard_normal((n, d))


def load_digits() -> np.ndarray:
    """The 1797 8×8 handwritten digits shipped with scikit-learn, as (1797, 64) raw pixels 0–16.

    Raises
    ------
    ImportError
        if scikit-learn is not installed (``pip install 'elbo-derivation[digits]'``).
    """
    try:
        from sklearn.datasets import load_digits as _sk_load_digits
    except ImportError as err:  # pragma: no cover - scikit-learn is in the test extra
        raise ImportError(
            "the digits data set needs scikit-learn: pip install 'elbo-derivation[digits]'"
        ) from err
    return np.asarray(_sk_load_digits().data, dtype=np.float64)


def standardize(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centre and scale each column: returns (x_std, mean, scale) with x = x_std·scale + mean.

    scale is the column's standard deviation, or 1 where that is 0 (constant columns, e.g.
    the always-blank corner pixels of the digits), so x_std is always finite.

    Examples
    --------
    >>> x = np.array([[1.0, 5.0], [3.0, 5.0]])
    >>> xs, mean, scale = standardize(x)
    >>> xs
    array([[-1.,  0.],
           [ 1.,  0.]])
    >>> bool(np.allclose(xs * scale + mean, x))
    True
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] < 1:
        raise ValueError(f"x must be a 2-d array (n, d) with n >= 1, got shape {x.shape}")
    if not np.isfinite(x).all():
        raise ValueError("x must be finite (it has NaN or inf)")
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    return (x - mean) / scale, mean, scale


def load_dataset(
    name: str, n: int = 1000, *, rng: np.random.Generator, standardized: bool = True
) -> np.ndarray:
    """A data set by name (see :data:`DATASETS`); ``n`` is ignored for ``digits``.

    Examples
    --------
    >>> x = load_dataset("moons", 100, rng=np.random.default_rng(0))
    >>> np.round(x.mean(axis=0), 12) + 0.0, np.round(x.std(axis=0), 12)
    (array([0., 0.]), array([1., 1.]))
    """
    makers = {
        "moons": make_moons,
        "pinwheel": make_pinwheel,
        "mixture": make_gaussian_mixture,
        "ppca": sample_ppca,
    }
    if name == "digits":
        x = load_digits()
    elif name in makers:
        x = makers[name](n, rng=rng)
    else:
        raise ValueError(f"dataset must be one of {', '.join(DATASETS)}; got {name!r}")
    return standardize(x)[0] if standardized else x
