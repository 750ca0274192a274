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

A symbol declared in an interval (``y : (0, 1)``, ``0 < y < 1``; ``domains`` maps its name
to the interval) takes its values inside it: uniform on a bounded interval, the bound plus
a log-uniform offset in [1e-3, 1e3] on a half-line. An integer symbol takes small integers
of its sign (at most :data:`INTEGER_MAX`). An edge value that breaks a declaration is
replaced by the point's random value.

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

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import sympy as sp

from elbo_derivation.core.order import ordered

__all__ = [
    "EDGE_NAMES",
    "POSITIVE_RANGE",
    "REAL_RANGE",
    "Domains",
    "Point",
    "declared_domains",
    "declared_simplexes",
    "draw_points",
    "edge_points",
    "inside",
    "is_positive_symbol",
    "on_simplexes",
    "random_point",
    "sorted_symbols",
    "within",
]

#: A point: a float for every symbol.
Point = dict[sp.Symbol, float]
#: The intervals symbols were declared in, by the symbol's name.
Domains = Mapping[str, sp.Interval]

#: Range of real symbols (uniform).
REAL_RANGE = (-10.0, 10.0)
#: Range of positive symbols (log-uniform).
POSITIVE_RANGE = (1e-3, 1e3)
#: Integer symbols take values up to this size.
INTEGER_MAX = 10
#: The edge points, in the order :func:`edge_points` returns them.
EDGE_NAMES = (
    "equal reals",
    "equal positives",
    "equal reals and positives",
    "extreme ratio 1e-3 : 1e3",
    "extreme ratio 1e3 : 1e-3",
    "origin",
)


def declared_domains(derivation: object) -> dict[str, sp.Interval]:
    """The intervals a derivation's symbols were declared in, by name (empty when none)."""
    declarations = getattr(derivation, "declarations", None)
    return dict(getattr(declarations, "intervals", None) or {})


def declared_simplexes(derivation: object) -> list[tuple[str, ...]]:
    """The names of the probabilities of each density declared categorical with symbols for
    its parameters (``p(k) = Categorical(a1, a2, a3)``): at every point they sum to 1."""
    families = getattr(getattr(derivation, "declarations", None), "families", None) or {}
    out = []
    for family in families.values():
        ps = family.parameters
        if (family.name == "categorical" and len(ps) > 1
                and all(isinstance(q, sp.Symbol) for q in ps)):
            out.append(tuple(q.name for q in ps))
    return out


def on_simplexes(points: list[Point], simplexes: Sequence[tuple[str, ...]]) -> list[Point]:
    """``points`` with each group of probabilities in ``simplexes`` (by name) divided by
    their sum, so that they sum to 1 (the values drawn are positive); changed in place.

    >>> import sympy as sp
    >>> a, b = sp.symbols("a b", positive=True)
    >>> on_simplexes([{a: 1.0, b: 3.0}], [("a", "b")])
    [{a: 0.25, b: 0.75}]
    """
    for point in points:
        for names in simplexes:
            members = [s for s in point if s.name in names]
            total = sum(point[s] for s in members)
            if len(members) == len(names) and total > 0:
                for s in members:
                    point[s] = point[s] / total
    return points


def is_positive_symbol(symbol: sp.Symbol) -> bool:
    """True when ``symbol`` must take positive values (declared positive, or nonnegative: 0
    is left to the edge points of the expressions that allow it, never drawn at random).

    >>> import sympy as sp
    >>> is_positive_symbol(sp.Symbol("beta", nonnegative=True))
    True
    """
    return bool(symbol.is_positive or symbol.is_nonnegative)


def _negative_symbol(symbol: sp.Symbol) -> bool:
    """True when ``symbol`` must take negative values (declared negative or nonpositive)."""
    return bool(symbol.is_negative or symbol.is_nonpositive)


def sorted_symbols(symbols: Iterable[sp.Symbol]) -> list[sp.Symbol]:
    """Symbols in a deterministic order that renaming keeps: the derivation's order of
    declaration where one is set (:func:`elbo_derivation.core.order.symbol_order`), by name
    otherwise."""
    return ordered(symbols)


def _draw(symbol: sp.Symbol, rng: np.random.Generator, domains: Domains | None = None,
          ) -> float:
    interval = (domains or {}).get(symbol.name)
    if interval is not None:
        value = inside(interval, rng, POSITIVE_RANGE)
        if symbol.is_integer:
            value = float(np.ceil(value) if interval.contains(np.ceil(value)) is sp.true
                          else np.floor(value))
        return value
    if symbol.is_integer:  # a count, a dimension, a bound: a small integer of its sign
        lo = 1 if symbol.is_positive else 0 if symbol.is_nonnegative else -INTEGER_MAX
        return float(round(rng.uniform(lo, INTEGER_MAX)))
    if is_positive_symbol(symbol) or _negative_symbol(symbol):
        lo, hi = np.log(POSITIVE_RANGE[0]), np.log(POSITIVE_RANGE[1])
        return float(np.exp(rng.uniform(lo, hi))) * (-1.0 if _negative_symbol(symbol) else 1.0)
    return float(rng.uniform(*REAL_RANGE))


def inside(interval: sp.Interval, rng: np.random.Generator,
            offsets: tuple[float, float]) -> float:
    """A random value inside ``interval`` (one draw of ``rng``): uniform when it is bounded,
    its finite end plus or minus a log-uniform offset in ``offsets`` on a half-line."""
    lo, hi = float(interval.inf), float(interval.sup)
    if np.isfinite(lo) and np.isfinite(hi):
        return float(lo + (hi - lo) * rng.uniform(0.02, 0.98))
    offset = float(np.exp(rng.uniform(np.log(offsets[0]), np.log(offsets[1]))))
    if np.isfinite(lo):
        return lo + offset
    if np.isfinite(hi):
        return hi - offset
    return float(np.sign(rng.uniform(-1, 1)) * offset)


def within(point: Point, base: Point, domains: Domains | None) -> Point:
    """``point`` with every value outside its symbol's declared interval, and every
    non-integer value of an integer symbol, replaced by ``base``'s value (which fits)."""
    for s, v in point.items():
        interval = (domains or {}).get(s.name)
        if ((interval is not None and interval.contains(sp.Float(v)) is not sp.true)
                or (s.is_integer and (v != round(v) or abs(v) > INTEGER_MAX))):
            point[s] = base[s]
    return point


def random_point(symbols: Sequence[sp.Symbol], *, rng: np.random.Generator,
                 domains: Domains | None = None) -> Point:
    """One random point: reals uniform on [−10, 10], positives log-uniform on [1e-3, 1e3],
    a symbol declared in an interval inside it.

    Parameters
    ----------
    symbols : sequence of sympy.Symbol
        the symbols to assign; a symbol declared positive is drawn log-uniformly, every
        other symbol uniformly.
    rng : numpy.random.Generator
        the source of randomness.
    domains : mapping, optional
        a symbol's name → the interval it was declared in.

    Examples
    --------
    >>> import numpy as np, sympy as sp
    >>> s = sp.Symbol("s", positive=True)
    >>> p = random_point([s], rng=np.random.default_rng(1))
    >>> 1e-3 <= p[s] <= 1e3
    True
    >>> y = sp.Symbol("y", positive=True)
    >>> 0 < random_point([y], rng=np.random.default_rng(1),
    ...                  domains={"y": sp.Interval.open(0, 1)})[y] < 1
    True
    """
    return {s: _draw(s, rng, domains) for s in symbols}


def edge_points(symbols: Sequence[sp.Symbol], *, rng: np.random.Generator,
                domains: Domains | None = None) -> list[Point]:
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
    reals = [s for s in symbols if not (is_positive_symbol(s) or _negative_symbol(s))]
    positives = [s for s in symbols if is_positive_symbol(s)]
    base = random_point(symbols, rng=rng, domains=domains)
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
    points = [
        with_(r=equal_reals),
        with_(p=equal_positives),
        with_(r=equal_reals, p=equal_positives),
        with_(p=small_first),
        with_(p=large_first),
        with_(o=origin),
    ]
    if domains or any(s.is_integer for s in symbols):
        return [within(p, base, domains) for p in points]
    return points


def draw_points(
    symbols: Iterable[sp.Symbol],
    *,
    rng: np.random.Generator,
    n_random: int = 20,
    edges: bool = True,
    domains: Domains | None = None,
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
    domains : mapping, optional
        a symbol's name → the interval it was declared in: its values lie inside.

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
    points = [random_point(ordered, rng=rng, domains=domains) for _ in range(int(n_random))]
    if edges:
        points.extend(edge_points(ordered, rng=rng, domains=domains))
    return points
