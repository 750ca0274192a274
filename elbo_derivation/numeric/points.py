"""Parameter points at which the numeric checks evaluate a step.

A step of a derivation is an identity in its free symbols (means, standard deviations, the
data ``x``, ...). The numeric checks evaluate both sides at *points*: assignments of a float
to every free symbol that respect the symbol's declared assumption. Random points are drawn
from wide ranges, so that a wrong step is caught wherever it is wrong:

- real symbols (means, data, slopes): uniform on [−10, 10];
- positive symbols (standard deviations, variances): log-uniform on [1e-3, 1e3];

and *edge points* are added where derivations typically go wrong or lose precision: all real
symbols equal (μ₁ = μ₂), all positive symbols equal (σ₁ = σ₂), both at once, the extreme
ratios 1e-3 : 1e3 in both directions, and the origin (reals 0, positives 1).

Examples
--------
>>> import numpy as np
>>> import sympy as sp
>>> mu, sigma = sp.Symbol("mu", real=True), sp.Symbol("sigma", positive=True)
>>> pts = draw_points([mu, sigma], rng=np.random.default_rng(0), n_random=20)
>>> len(pts) == 20 + len(EDGE_NAMES)
True
>>> all(-10 <= p[mu] <= 10 and 1e-3 <= p[sigma] <= 1e3 for p in pts)
True
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import sympy as sp

__all__ = [
    "EDGE_NAMES",
    "POSITIVE_RANGE",
    "REAL_RANGE",
    "Point",
    "draw_points",
    "edge_points",
    "is_positive_symbol",
    "random_point",
    "sorted_symbols",
]

#: A point: a float for every symbol.
Point = dict[sp.Symbol, float]

#: Range of real symbols (uniform).
REAL_RANGE = (-10.0, 10.0)
#: Range of positive symbols (log-uniform).
POSITIVE_RANGE = (1e-3, 1e3)
#: The edge points, in the order :func:`edge_points` returns them.
EDGE_NAMES = (
    "equal reals",
    "equal positives",
    "equal reals and positives",
    "extreme ratio 1e-3 : 1e3",
    "extreme ratio 1e3 : 1e-3",
    "origin",
)


def is_positive_symbol(symbol: sp.Symbol) -> bool:
    """True when ``symbol`` must take positive values (declared positive)."""
    return bool(symbol.is_positive)


def sorted_symbols(symbols: Iterable[sp.Symbol]) -> list[sp.Symbol]:
    """Symbols in a deterministic order (by name, then by assumptions)."""
    return sorted(set(symbols), key=lambda s: (s.name, str(s.assumptions0)))


def _draw(symbol: sp.Symbol, rng: np.random.Generator) -> float:
    if is_positive_symbol(symbol):
        lo, hi = np.log(POSITIVE_RANGE[0]), np.log(POSITIVE_RANGE[1])
        return float(np.exp(rng.uniform(lo, hi)))
    return float(rng.uniform(*REAL_RANGE))


def random_point(symbols: Sequence[sp.Symbol], *, rng: np.random.Generator) -> Point:
    """One random point: reals uniform on [−10, 10], positives log-uniform on [1e-3, 1e3].

    Parameters
    ----------
    symbols : sequence of sympy.Symbol
        the symbols to assign; a symbol declared positive is drawn log-uniformly, every
        other symbol uniformly.
    rng : numpy.random.Generator
        the source of randomness.

    Examples
    --------
    >>> import numpy as np, sympy as sp
    >>> s = sp.Symbol("s", positive=True)
    >>> p = random_point([s], rng=np.random.default_rng(1))
    >>> 1e-3 <= p[s] <= 1e3
    True
    """
    return {s: _draw(s, rng) for s in symbols}


def edge_points(symbols: Sequence[sp.Symbol], *, rng: np.random.Generator) -> list[Point]:
    """The edge points of :data:`EDGE_NAMES` for ``symbols``.

    Equal values are drawn once from the symbol's range and shared; in the extreme-ratio
    points the first half of the positive symbols (in the given order) take 1e-3 and the rest
    1e3, or the other way round. With a single positive symbol they are its two ends.

    Examples
    --------
    >>> import numpy as np, sympy as sp
    >>> m1, m2 = sp.symbols("mu1 mu2", real=True)
    >>> s1, s2 = sp.symbols("sigma1 sigma2", positive=True)
    >>> pts = edge_points([m1, m2, s1, s2], rng=np.random.default_rng(0))
    >>> pts[0][m1] == pts[0][m2], pts[1][s1] == pts[1][s2]
    (True, True)
    >>> pts[3][s1], pts[3][s2]
    (0.001, 1000.0)
    """
    reals = [s for s in symbols if not is_positive_symbol(s)]
    positives = [s for s in symbols if is_positive_symbol(s)]
    base = random_point(symbols, rng=rng)
    shared_real = float(rng.uniform(*REAL_RANGE))
    lo, hi = np.log(POSITIVE_RANGE[0]), np.log(POSITIVE_RANGE[1])
    shared_positive = float(np.exp(rng.uniform(lo, hi)))

    def with_(**groups: dict[sp.Symbol, float]) -> Point:
        p = dict(base)
        for values in groups.values():
            p.update(values)
        return p

    equal_reals = {s: shared_real for s in reals}
    equal_positives = {s: shared_positive for s in positives}
    half = max(1, len(positives) // 2)
    small_first = {s: (POSITIVE_RANGE[0] if i < half else POSITIVE_RANGE[1])
                   for i, s in enumerate(positives)}
    large_first = {s: (POSITIVE_RANGE[1] if i < half else POSITIVE_RANGE[0])
                   for i, s in enumerate(positives)}
    origin = {**{s: 0.0 for s in reals}, **{s: 1.0 for s in positives}}
    return [
        with_(r=equal_reals),
        with_(p=equal_positives),
        with_(r=equal_reals, p=equal_positives),
        with_(p=small_first),
        with_(p=large_first),
        with_(o=origin),
    ]


def draw_points(
    symbols: Iterable[sp.Symbol],
    *,
    rng: np.random.Generator,
    n_random: int = 20,
    edges: bool = True,
) -> list[Point]:
    """``n_random`` random points followed by the edge points.

    Parameters
    ----------
    symbols : iterable of sympy.Symbol
        the free symbols of the expressions to evaluate.
    rng : numpy.random.Generator
        the source of randomness; the same generator state gives the same points.
    n_random : int
        how many random points (at least 1).
    edges : bool
        whether to append the edge points of :func:`edge_points`.

    Returns
    -------
    list of dict
        each maps every symbol to a float.

    Raises
    ------
    ValueError
        if ``n_random`` is smaller than 1.
    """
    if int(n_random) < 1:
        raise ValueError(f"n_random must be at least 1, got {n_random!r}")
    ordered = sorted_symbols(symbols)
    points = [random_point(ordered, rng=rng) for _ in range(int(n_random))]
    if edges:
        points.extend(edge_points(ordered, rng=rng))
    return points
