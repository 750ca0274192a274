"""Numeric probing at high precision: looking for a point where a step fails.

When no symbolic tier settles a step, both sides are evaluated with mpmath at 50 significant
digits at points that respect the symbols' assumptions (positive symbols positive, real symbols
real): first a few "nice" points (small integers, simple fractions) so that a counterexample is
easy to read, then edge points (equal means, equal standard deviations, zeros, ratios 1e-6 and
1e6 between positive symbols), then random ones. A point where both sides are finite and

    |lhs − rhs| > 1e-25 · max(1, |lhs|, |rhs|)

is a candidate counterexample; it is confirmed by evaluating again at 70 digits (the two
evaluations must agree to ten significant digits), so that a floating-point cancellation can
never refute a true step. A failure found through numeric quadrature must be found at a
second point too (quadrature can miss a narrow peak at an extreme scale). Agreement at 20 or
more points makes
the step *numerically supported* — never *proved*.

Integrals that the symbolic tiers could not eliminate are computed with ``mpmath.quad``; a point
where the quadrature's own error estimate is not small is not used either way.

Examples
--------
>>> import sympy as sp
>>> x = sp.Symbol("x", real=True)
>>> s = sp.Symbol("sigma", positive=True)
>>> out = probe(sp.sqrt(s**2), s, rng_seed=0)
>>> out.verdict, out.agreeing >= 20
('supported', True)
>>> out = probe((x + 1)**2, x**2 + 1, rng_seed=0)
>>> out.verdict, out.counterexample.point
('refuted', {'x': 1.0})
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import mpmath
import sympy as sp
from sympy.core.function import AppliedUndef

from elbo_derivation.core.compile import NotEvaluable, compile_expr, real_value
from elbo_derivation.core.expectation import Expectation
from elbo_derivation.core.order import ordered
from elbo_derivation.core.steps import Counterexample, Relation
from elbo_derivation.core.timeout import check_deadline, clock

if TYPE_CHECKING:  # (NumPy is imported when a probe runs: checks that need none spare it)
    import numpy as np

__all__ = ["ProbeOutcome", "Unevaluable", "evaluate", "inequality_candidates", "probe",
           "probe_points"]

#: Working precision (significant digits) and the relative tolerance that goes with it.
DPS = 50
TOL = mpmath.mpf("1e-25")
#: Precision of the second evaluation that confirms a failure (it must agree to ten digits).
CONFIRM_DPS = DPS + 20
#: Points of agreement needed before a step counts as numerically supported.
MIN_AGREEING = 20

_NICE_REALS = (1, 2, -1, 3, 0, -2, 5)
_NICE_POSITIVE = (2, 3, 1, 5, sp.Rational(1, 2), 4, 7)


#: The expression cannot be evaluated numerically at this point (or at all).
Unevaluable = NotEvaluable


@dataclass
class ProbeOutcome:
    """What probing found.

    ``verdict`` is ``"refuted"``, ``"supported"`` or ``"undecided"``; ``agreeing`` counts the
    points where the relation held; ``reason`` explains an undecided outcome.
    """

    verdict: str
    counterexample: Counterexample | None = None
    agreeing: int = 0
    tried: int = 0
    reason: str = ""
    notes: list[str] = field(default_factory=list)


# --- evaluation ----------------------------------------------------------------------------


def evaluate(expr: sp.Expr, point: dict[sp.Symbol, mpmath.mpf]) -> mpmath.mpf:
    """The value of ``expr`` at ``point`` in mpmath at the current working precision.

    Compiled once by :func:`~elbo_derivation.core.compile.compile_expr` (backend mpmath,
    exact sums, log 0 and division by zero refused). Integrals and expectations over ℝ are
    computed by ``mpmath.quad``; an abstract function, a value off the real line, a value
    that is not finite, or a quadrature whose error estimate is not small raises
    :class:`Unevaluable`.

    Parameters
    ----------
    expr : sympy.Expr
    point : dict
        a value for every free symbol of ``expr``.

    Returns
    -------
    mpmath.mpf

    Examples
    --------
    >>> import sympy as sp, mpmath
    >>> x = sp.Symbol("x", real=True)
    >>> with mpmath.workdps(30):
    ...     print(evaluate(sp.exp(x) + sp.pi, {x: mpmath.mpf(1)}))
    5.85987448204883847382293085463
    >>> t = sp.Symbol("t", real=True)
    >>> with mpmath.workdps(30):
    ...     print(evaluate(sp.Integral(sp.exp(-t**2), (t, -sp.oo, sp.oo))**2, {}))
    3.14159265358979323846264338328
    """
    symbols = tuple(sorted(point, key=str))
    f = compile_expr(expr, symbols, backend="mpmath", nonfinite="raise",
                     extension=_quadrature)
    return f(*(point[s] for s in symbols))


def _quadrature(node: sp.Basic, builder: Any) -> Callable[[Sequence[Any]], Any] | None:
    """The compile step's extension: integrals and expectations by ``mpmath.quad``."""
    if isinstance(node, Expectation) and node.integrand.has(sp.Piecewise):
        # an indicator of a bound on the variable (P(z ≤ u) = E[1{z ≤ u}]) is a limit of
        # the integral: quadrature over a jump would not converge
        integral = node.as_integral()
        return _compile_quad(node, integral.function, list(integral.limits), builder, ())
    if isinstance(node, Expectation):
        return _compile_quad(node, node.density * node.integrand,
                             [(node.variable, -sp.oo, sp.oo)], builder, ())
    if isinstance(node, sp.Integral):
        if any(len(lim) != 3 for lim in node.limits):
            raise Unevaluable("an indefinite integral")
        return _compile_quad(node, node.function, list(node.limits), builder, ())
    return None


def _compile_quad(node: sp.Basic, f: sp.Expr, limits: list, builder: Any,
                  outer: tuple) -> Callable[[Sequence[Any]], Any]:
    """∫ f over the limits (innermost first) by mpmath.quad, memoised on the free values.

    ``outer`` are the integration variables of the enclosing limits, which follow the
    compiled symbols in the argument vector.
    """
    var, lo, hi = limits[-1]
    lo_f, hi_f = builder.sub(lo, outer), builder.sub(hi, outer)
    inner = (_compile_quad(node, f, limits[:-1], builder, (*outer, var)) if limits[:-1]
             else builder.sub(f, (*outer, var)))
    # the memo's key: the node's free values and the enclosing integrals' variables
    where = [i for i, s in enumerate((*builder.symbols, *outer))
             if s in node.free_symbols or s in outer]
    memo: dict[tuple, Any] = {}

    def integral(v: Sequence[Any]) -> Any:
        key = (mpmath.mp.dps, *(v[i] for i in where))
        if key in memo:
            return memo[key]
        a, b = real_value(lo_f(v)), real_value(hi_f(v))
        # Break points at the values of the parameters, where Gaussian peaks usually sit.
        marks = sorted({x for x in v if isinstance(x, mpmath.mpf) and a < x < b}
                       | ({mpmath.mpf(0)} if a < 0 < b else set()))
        local = [*v, None]

        def g(t: Any) -> Any:
            check_deadline()  # the bound holds inside a long quadrature
            local[-1] = t
            return real_value(inner(local))

        if _diverges_at_an_end(g, a, b):
            raise Unevaluable("the integral diverges at an end of its range")
        value, err = mpmath.quad(g, [a, *marks, b], error=True, maxdegree=8)
        if not mpmath.isfinite(value) or err > mpmath.mpf(10) ** (-mpmath.mp.dps // 2) * max(
            1, abs(value)
        ):
            raise Unevaluable("the quadrature did not converge")
        if len(memo) < 64:
            memo[key] = value
        return value

    return integral


def _diverges_at_an_end(g: Callable[[Any], Any], a: Any, b: Any) -> bool:
    """Whether ∫ g over (a, b) visibly diverges at one of its ends.

    ``mpmath.quad`` returns a large finite value with a small error estimate for an integral
    that diverges at an end (∫₀¹ t⁷(1 − t)⁻² dt comes out near 10⁵⁴ at 50 digits), and two
    such values can agree to every digit, so a ratio of two divergent integrals would look
    finite. An integrand bounded below by c/|t − end| near a finite end (by c/|t| towards an
    infinite one) has a divergent integral; this is seen as |t − end|·|g(t)| (|t|·|g(t)|
    towards an infinite end) positive and not decreasing at three points approaching the
    end, 10⁻¹⁰, 10⁻²⁰ and 10⁻³⁰ away at 50 digits (10¹⁰, 10²⁰, 10³⁰ out). A point where the
    integrand cannot be evaluated tells nothing, and an integrand that is zero near its end
    converges there.
    """
    step = mpmath.mpf(10) ** (-max(2, mpmath.mp.dps // 5))
    ends = ((a, 1), (b, -1))
    for end, inward in ends:
        heights = []
        for k in (1, 2, 3):
            d = step**k
            t = (-inward / d if mpmath.isinf(end) else end + inward * d)
            try:
                value = abs(g(t))
            except (Unevaluable, ArithmeticError, ValueError):
                break
            if not mpmath.isfinite(value):
                break
            heights.append(value / d if mpmath.isinf(end) else value * d)
        if len(heights) == 3 and 0 < heights[0] <= heights[1] <= heights[2]:
            return True
    return False


# --- points -------------------------------------------------------------------------------


def _kind(sym: sp.Symbol) -> str:
    if sym.is_positive:
        return "positive"
    if sym.is_nonnegative:
        return "nonnegative"
    if sym.is_integer:
        return "integer"
    return "real"


_NICE_IN_INTERVAL = (sp.Rational(1, 2), 2, 1, 3, sp.Rational(1, 4), sp.Rational(3, 4), 5, -1,
                     -2, sp.Rational(1, 10), sp.Rational(9, 10), 0, 10, -5)


def _inside(value: sp.Expr, interval: sp.Interval) -> bool:
    return bool(interval.contains(value) is sp.true)


def _interval_values(interval: sp.Interval, rng: np.random.Generator) -> Iterator[sp.Expr]:
    """Values inside ``interval``: nice ones first, then points spread over it, then random
    ones (exact rationals)."""
    lo, hi = interval.inf, interval.sup
    for v in _NICE_IN_INTERVAL:
        if _inside(sp.S(v), interval):
            yield sp.S(v)
    if lo.is_finite and hi.is_finite:
        for k in (1, 2, 3):
            yield lo + (hi - lo) * sp.Rational(k, 4)
    elif lo.is_finite:
        for k in (1, 2, 10):
            yield lo + k
    elif hi.is_finite:
        for k in (1, 2, 10):
            yield hi - k
    while True:
        if lo.is_finite and hi.is_finite:
            u = float(rng.uniform(0.02, 0.98))
            yield lo + (hi - lo) * sp.Rational(round(u * 10**6), 10**6)
        else:
            step = sp.Rational(round(math.exp(rng.uniform(math.log(0.1), math.log(10.0)))
                                     * 10**6), 10**6)
            yield lo + step if lo.is_finite else (hi - step if hi.is_finite else step)


def within_domains(points: Iterator[dict], domains: dict[sp.Symbol, sp.Interval],
                   rng: np.random.Generator) -> Iterator[dict]:
    """``points`` with each symbol declared in an interval moved inside it.

    A value already inside its interval is kept; one outside is replaced by the next value
    of :func:`_interval_values`, so every point satisfies every declared interval.
    """
    if not domains:
        yield from points
        return
    # an integer symbol takes integer values inside its interval (x ∈ {0, 1} of a Bernoulli
    # is never probed at 1/2: a step true on the support must not be refuted off it)
    sources = {s: (_integer_values(iv, rng) if s.is_integer and not iv.free_symbols
                   else _interval_values(iv, rng))
               for s, iv in domains.items()}
    # a range whose ends are other symbols (k : integer [0, n]) is read at the point's values
    # of those symbols, after them; an integer in it takes an integer value inside it
    order = sorted(domains, key=lambda s: bool(domains[s].free_symbols))
    for point in points:
        skip = False
        for s in order:
            iv = domains[s]
            if s not in point:
                continue
            if iv.free_symbols and iv.free_symbols <= set(point):
                here = iv.xreplace({b: sp.S(point[b]) for b in iv.free_symbols})
                if not isinstance(here, sp.Interval) or here.free_symbols:
                    skip = True
                    break
                if not _inside(sp.S(point[s]), here):
                    value = (_integer_inside(here, rng) if s.is_integer
                             else next(_interval_values(here, rng)))
                    if value is None:
                        skip = True
                        break
                    point[s] = value
            elif not _inside(sp.S(point[s]), iv) or (s.is_integer and not iv.free_symbols
                                                     and not sp.S(point[s]).is_integer):
                value = next(sources[s], None)
                if value is None:
                    skip = True
                    break
                point[s] = value
        if not skip:
            yield point


def _integer_values(interval: sp.Interval, rng: np.random.Generator) -> Iterator[sp.Integer]:
    """Integers inside ``interval``: small ones first (0, 1, 2, −1, ...), then at random;
    nothing when it holds none."""
    for v in (0, 1, 2, -1, 3, -2, 5, 10):
        if _inside(sp.Integer(v), interval):
            yield sp.Integer(v)
    bounded = interval.inf.is_finite and interval.sup.is_finite
    while True:
        if bounded:
            value = _integer_inside(interval, rng)
        else:
            lo = interval.inf if interval.inf.is_finite else interval.sup - 20
            value = _integer_inside(sp.Interval(lo, lo + 20).intersect(interval), rng)
        if value is None:
            return
        yield value


def _integer_inside(interval: sp.Interval, rng: np.random.Generator) -> sp.Integer | None:
    """An integer inside ``interval`` (of numeric ends), at random; None when it holds none."""
    lo = int(sp.ceiling(interval.inf)) + (1 if interval.left_open and interval.inf.is_integer
                                          else 0)
    hi = int(sp.floor(interval.sup)) - (1 if interval.right_open and interval.sup.is_integer
                                        else 0)
    if lo > hi:
        return None
    return sp.Integer(int(rng.integers(lo, hi + 1)))


def probe_points(
    symbols: Sequence[sp.Symbol], rng: np.random.Generator, n_random: int = 24,
    domains: dict[sp.Symbol, sp.Interval] | None = None,
) -> Iterator[dict[sp.Symbol, sp.Rational]]:
    """Points respecting the symbols' assumptions: nice ones, edge cases, then random ones.

    Values are exact rationals (converted to mpmath by :func:`evaluate`), so a point can be
    reported exactly. A symbol declared in an interval (``domains``) takes values inside it
    only.

    Parameters
    ----------
    symbols : sequence of sympy.Symbol
    rng : numpy.random.Generator
    n_random : int
        how many random points follow the fixed ones.
    domains : dict, optional
        symbol → the interval it was declared in.

    Yields
    ------
    dict
        symbol → value.

    Examples
    --------
    >>> import sympy as sp, numpy as np
    >>> mu, s = sp.Symbol("mu", real=True), sp.Symbol("sigma", positive=True)
    >>> next(probe_points([mu, s], np.random.default_rng(0)))
    {mu: 1, sigma: 2}
    >>> y = sp.Symbol("y", positive=True)
    >>> pts = probe_points([y], np.random.default_rng(0), domains={y: sp.Interval.open(0, 1)})
    >>> all(0 < p[y] < 1 for p in pts)
    True
    """

    used = {s: iv for s, iv in (domains or {}).items() if s in set(symbols)}
    integers = [s for s in symbols if s.is_integer]
    points = _points(list(symbols), rng, n_random)
    if integers:
        points = (_integral(pt, integers) for pt in points)
    yield from within_domains(points, used, rng)


def _integral(point: dict, integers: list[sp.Symbol]) -> dict:
    """``point`` with each integer symbol at a nearby integer of its sign, at most 12 in size
    (a count, a dimension, a bound of a sum)."""
    for s in integers:
        v = int(sp.floor(sp.S(point[s]) + sp.Rational(1, 2)))
        v = max(-12, min(12, v))
        if s.is_positive:
            v = max(v, 1)
        elif s.is_nonnegative:
            v = max(v, 0)
        point[s] = sp.Integer(v)
    return point


def _points(syms: list[sp.Symbol], rng: np.random.Generator, n_random: int,
            ) -> Iterator[dict[sp.Symbol, sp.Rational]]:
    import numpy as np

    reals = [s for s in syms if _kind(s) in ("real", "integer")]
    positives = [s for s in syms if _kind(s) in ("positive", "nonnegative")]

    def nice(shift: int) -> dict:
        pt = {}
        for i, s in enumerate(reals):
            pt[s] = sp.Integer(_NICE_REALS[(i + shift) % len(_NICE_REALS)])
        for i, s in enumerate(positives):
            pt[s] = sp.S(_NICE_POSITIVE[(i + shift) % len(_NICE_POSITIVE)])
        return pt

    for shift in range(4):
        yield nice(shift)
    base = nice(0)
    if len(reals) > 1:
        yield {**base, **{s: sp.Integer(1) for s in reals}}  # equal means
        yield {**base, **{s: sp.Integer(0) for s in reals}}  # all zero
    if len(positives) > 1:
        yield {**base, **{s: sp.Integer(2) for s in positives}}  # equal scales
        for ratio in (sp.Rational(1, 10**6), sp.Integer(10**6)):
            pt = dict(base)
            pt[positives[0]] = sp.Integer(1)
            for s in positives[1:]:
                pt[s] = ratio
            yield pt
    elif positives:
        for value in (sp.Rational(1, 10**3), sp.Integer(10**3)):
            yield {**base, positives[0]: value}
    for _ in range(n_random):
        pt = {}
        for s in syms:
            kind = _kind(s)
            if kind in ("positive", "nonnegative"):
                value = float(np.exp(rng.uniform(math.log(0.1), math.log(10.0))))
            elif kind == "integer":
                value = int(rng.integers(-5, 6))
            else:
                value = float(rng.uniform(-3.0, 3.0))
            pt[s] = sp.Rational(round(value * 10**6), 10**6)
        yield pt


# --- the inequality screen ------------------------------------------------------------------

#: How many double-precision points the inequality screen evaluates, and how many of the
#: points where the inequality fails there are then checked at 50 digits.
SCREEN_POINTS = 400
SCREEN_CANDIDATES = 8


def _screen_values(sym: sp.Basic, interval: sp.Interval | None, rng: np.random.Generator,
                   n: int) -> np.ndarray:
    """``n`` double-precision values for ``sym``: spread over its declared interval, close to
    its ends too, or over many scales of its sign (1e-3 to 1e3), or small integers."""
    import numpy as np

    scale = 10.0 ** rng.uniform(-3.0, 3.0, n)  # a magnitude over six decades
    if interval is not None:
        lo, hi = float(interval.inf), float(interval.sup)
        if math.isfinite(lo) and math.isfinite(hi):
            near = (hi - lo) * 10.0 ** rng.uniform(-5.0, -1.0, n)  # close to an end
            values = np.where(rng.random(n) < 0.5, lo + (hi - lo) * rng.uniform(0, 1, n),
                              np.where(rng.random(n) < 0.5, lo + near, hi - near))
        elif math.isfinite(lo):
            values = lo + 10.0 ** rng.uniform(-4.0, 3.0, n)
        elif math.isfinite(hi):
            values = hi - 10.0 ** rng.uniform(-4.0, 3.0, n)
        else:
            values = np.where(rng.random(n) < 0.5, rng.uniform(-10, 10, n),
                              np.sign(rng.uniform(-1, 1, n)) * scale)
    elif _kind(sym) in ("positive", "nonnegative"):
        values = scale
    elif sym.is_negative or sym.is_nonpositive:
        values = -scale
    else:
        values = np.where(rng.random(n) < 0.5, rng.uniform(-10, 10, n),
                          np.sign(rng.uniform(-1, 1, n)) * scale)
    if sym.is_integer and interval is not None:  # the interval's integers (ends included)
        values = np.clip(np.round(values), math.ceil(float(interval.inf)) if math.isfinite(
            float(interval.inf)) else -1e6, math.floor(float(interval.sup)) if math.isfinite(
            float(interval.sup)) else 1e6)
    elif sym.is_integer:
        lo = 1 if sym.is_positive else 0 if sym.is_nonnegative else -12
        hi = -1 if sym.is_negative else 0 if sym.is_nonpositive else 12
        values = rng.integers(lo, hi + 1, n).astype(float)
    return values


def _exact(value: float) -> sp.Rational:
    """A double as an exact decimal of eight significant digits (a readable point)."""
    return sp.Rational(f"{value:.8g}")


def inequality_candidates(
    gap: sp.Expr, symbols: Sequence[sp.Basic], rng_seed: int = 0,
    domains: dict[sp.Symbol, sp.Interval] | None = None,
    sides: tuple[sp.Expr, sp.Expr] | None = None,
) -> list[dict[sp.Basic, sp.Rational]]:
    """Points where an inequality looks false in double precision: candidates to re-check.

    ``gap`` (rhs − lhs for ``<=``, lhs − rhs for ``>=``) is evaluated at
    :data:`SCREEN_POINTS` seeded points spread over each symbol's declared interval (near its
    ends too) or over six decades of its sign; the points where it is negative are candidates
    only, to be checked at 50 digits by the probe (double precision refutes nothing). The
    :data:`SCREEN_CANDIDATES` returned are the half with the largest violation relative to the
    size of the two ``sides`` (of the gap when they are not given or cannot be evaluated) and
    a seeded choice among the rest, the point with the most moderate values first.
    ``symbols`` are drawn in the given order (the derivation's,
    :func:`~elbo_derivation.core.order.ordered`), so the points do not depend on the names.
    Empty when the gap cannot be evaluated in double precision.

    Examples
    --------
    >>> import sympy as sp
    >>> lam, a = sp.symbols("lam a", positive=True)
    >>> gap = 1 / (lam * a) - lam * sp.exp(-lam * a)  # λe^(−λa) ≤ 1/(λa): false near λa = 1
    >>> found = inequality_candidates(gap, [lam, a])
    >>> len(found) > 0 and all(gap.subs(p) < 0 for p in found)
    True
    >>> inequality_candidates(lam + a, [lam, a])
    []
    """
    import numpy as np

    from elbo_derivation.core.compile import compile_expr

    rng = np.random.default_rng([rng_seed, 20261206])
    symbols = list(symbols)
    columns = [_screen_values(s, (domains or {}).get(s), rng, SCREEN_POINTS) for s in symbols]
    try:
        f = compile_expr(gap, symbols, backend="float64", nonfinite="nan")
        with np.errstate(all="ignore"):
            g = np.broadcast_to(np.asarray(f(*columns), dtype=float), (SCREEN_POINTS,))
    except (NotEvaluable, ValueError, TypeError, ZeroDivisionError, OverflowError,
            ArithmeticError, RecursionError):
        return []
    if g.dtype.kind != "f":
        return []
    size = np.maximum(1.0, np.abs(g))
    try:
        if sides is not None:
            h = compile_expr(tuple(sides), symbols, backend="float64", nonfinite="nan")
            with np.errstate(all="ignore"):
                a, b = (np.broadcast_to(np.asarray(v, dtype=float), g.shape)
                        for v in h(*columns))
            size = np.fmax(size, np.fmax(np.abs(a), np.abs(b)))
    except (NotEvaluable, ValueError, TypeError, ZeroDivisionError, OverflowError,
            ArithmeticError, RecursionError):
        pass
    with np.errstate(all="ignore"):
        violation = -g / size
    bad = np.flatnonzero(np.isfinite(g) & np.isfinite(violation) & (violation > 1e-9))
    if not bad.size:
        return []
    worst = bad[np.argsort(-violation[bad], kind="stable")]
    half = SCREEN_CANDIDATES // 2
    rest = worst[half:]
    chosen = [*worst[:half], *(rng.choice(rest, size=min(half, rest.size), replace=False)
                               if rest.size else [])]
    # the most moderate first, so that a counterexample is as readable as it can be
    chosen.sort(key=lambda i: sum(abs(math.log10(abs(float(c[i])) or 1.0)) for c in columns))
    out = []
    for i in chosen:
        point = {s: _exact(float(col[i])) for s, col in zip(symbols, columns, strict=True)}
        if all(_inside(point[s], iv) for s, iv in (domains or {}).items() if s in point):
            out.append(point)
    return out


# --- the probe ----------------------------------------------------------------------------


def calculus_done(expr: sp.Expr) -> sp.Expr:
    """``expr`` with each derivative of an explicit expression carried out, and each value
    of one at a point (``Subs``, LaTeX's ``\\left. ... \\right|_{x = t}``) substituted, so
    that it can be evaluated at a point; derivatives of abstract functions stay.

    >>> x, t = sp.symbols("x t", real=True)
    >>> calculus_done(sp.Subs(sp.Derivative(x**3, x), x, t))
    3*t**2
    """
    if not expr.has(sp.Derivative, sp.Subs):
        return expr
    try:
        return expr.replace(
            lambda e: isinstance(e, (sp.Derivative, sp.Subs)) and not e.has(AppliedUndef),
            lambda e: e.doit())
    except (TypeError, ValueError, NotImplementedError, RecursionError):
        return expr


def value_at(expr: sp.Expr, point: dict, dps: int) -> mpmath.mpf | None:
    """``expr`` at ``point`` with ``dps`` digits; None when not a finite real number.

    >>> x = sp.Symbol("x", positive=True)
    >>> value_at(sp.log(x), {x: 1}, 30), value_at(sp.log(x), {x: 0}, 30)
    (mpf('0.0'), None)
    """
    try:
        with mpmath.workdps(dps):
            env = {s: _number(v) for s, v in point.items()}
            value = evaluate(expr, env)
            if not mpmath.isfinite(value):
                return None
            return +value
    except (Unevaluable, ZeroDivisionError, ValueError, OverflowError, TypeError,
            RecursionError):
        return None


def _number(value: Any) -> mpmath.mpf:
    """An exact point value (a SymPy rational or integer) at the working precision."""
    value = sp.S(value)
    if value.is_Rational:
        return mpmath.mpf(int(value.p)) / int(value.q)
    return evaluate(value, {})


def _differs(a: mpmath.mpf, b: mpmath.mpf) -> bool:
    return abs(a - b) > TOL * max(1, abs(a), abs(b))


def to_float(value: mpmath.mpf) -> float:
    """``value`` as a Python float, ±inf when it is beyond the float range.

    >>> to_float(mpmath.mpf("1e400"))
    inf
    """
    try:
        return float(value)
    except (OverflowError, ValueError):
        return math.inf if value > 0 else -math.inf


def _point_floats(point: dict) -> dict[str, float]:
    return {str(s): float(v) for s, v in point.items()}


def probe(
    lhs: sp.Expr,
    rhs: sp.Expr,
    *,
    relation: Relation | str = Relation.EQ,
    wrt: Sequence[sp.Symbol] = (),
    gap: sp.Expr | None = None,
    rng_seed: int = 0,
    n_random: int = 24,
    deadline: float | None = None,
    max_points: int | None = None,
    domains: dict[sp.Symbol, sp.Interval] | None = None,
) -> ProbeOutcome:
    """Look for a point where ``lhs <relation> rhs`` fails.

    For ``=`` a point fails when the two sides differ beyond the tolerance; for ``<=``/``>=``
    when the inequality is violated beyond it; for ``=~`` (equal up to a term free of ``wrt``)
    when moving only the ``wrt`` variables changes lhs − rhs.

    When ``gap`` is given — an expression identically equal to lhs − rhs (to rhs − lhs for
    ``<=``), obtained symbolically — it is evaluated first: a reduced difference avoids the
    cancellation between two huge sides. A failure is accepted only when it is the same at 50
    and at 70 digits (to ten significant digits), so rounding can never refute a true step.

    Parameters
    ----------
    lhs, rhs : sympy.Expr
        the two sides (``let`` names already substituted).
    relation : Relation or str
    wrt : sequence of sympy.Symbol
        for ``=~`` only: the variables the difference must not depend on.
    gap : sympy.Expr, optional
        lhs − rhs (rhs − lhs for ``<=``), reduced symbolically.
    rng_seed : int
        seed of the random points (the fixed points come first regardless).
    n_random : int
        how many random points to try after the fixed ones.
    deadline : float, optional
        a :func:`~elbo_derivation.core.timeout.clock` value (CPU seconds) after which
        probing stops with what it has.
    max_points : int, optional
        stop after this many points (a quick look for an easy counterexample).
    domains : dict, optional
        symbol → the interval it was declared in: every point probed lies inside.

    Returns
    -------
    ProbeOutcome

    Examples
    --------
    >>> import sympy as sp
    >>> t = sp.Symbol("t", positive=True)
    >>> probe(t - sp.log(t) - 1, 0, relation=">=").verdict
    'supported'
    >>> out = probe(t, 2 * sp.sqrt(t), relation=">=")
    >>> out.verdict, out.counterexample.point
    ('refuted', {'t': 2.0})
    """
    relation = Relation(relation)
    lhs, rhs = calculus_done(sp.S(lhs)), calculus_done(sp.S(rhs))
    if gap is None:
        gap = (rhs - lhs) if relation is Relation.LE else (lhs - rhs)
    gap = calculus_done(gap)
    import numpy as np

    rng = np.random.default_rng(rng_seed)
    free = lhs.free_symbols | rhs.free_symbols | gap.free_symbols
    symbols = ordered(free - set(wrt))
    wrt = [w for w in wrt if w in free]
    out = ProbeOutcome("undecided")
    alternates = _wrt_alternatives(wrt, domains or {})
    domain: Counterexample | None = None  # a point where only one side is a real number
    quadrature = any(e.has(sp.Integral, Expectation) for e in (lhs, rhs, gap))
    first_fail: Counterexample | None = None
    doubt: dict | None = None  # a point where the reduced difference is not 0
    for point in probe_points([*symbols, *wrt], rng, n_random, domains):
        check_deadline()  # the enclosing bound holds even if its timer signal is lost
        if deadline is not None and clock() > deadline:
            out.reason = f"time ran out after {out.tried} probe points"
            break
        if max_points is not None and out.tried >= max_points:
            break
        out.tried += 1
        if relation is Relation.EQ_UP_TO and wrt:
            state, found = _check_up_to(lhs, rhs, gap, point, wrt, alternates)
        else:
            state, found = _check_point(lhs, rhs, gap, point, relation)
        if state == "fail":
            if not quadrature or first_fail is not None:
                out.verdict, out.counterexample = "refuted", first_fail or found
                return out
            # numeric quadrature can miss a narrow peak (at an extreme scale, every node
            # lands where the integrand is 0): a failure is confirmed at a second point
            first_fail = found
            continue
        if state == "ok":
            out.agreeing += 1
        elif state == "doubt" and doubt is None:
            doubt = point
        elif state == "skip" and domain is None and relation is Relation.EQ:
            domain = _domain_mismatch(lhs, rhs, point)
    if (relation in (Relation.LE, Relation.GE) and first_fail is None and max_points is None
            and not quadrature and (deadline is None or clock() < deadline)):
        # an inequality often fails only in a corner of the domain (λ·e^(−λa) ≤ 1/(λa) where
        # λa ≈ 1 and λ > e): a few hundred cheap points look there, at 50 digits only the
        # candidates they find
        for point in inequality_candidates(gap, symbols, rng_seed, domains, (lhs, rhs)):
            check_deadline()
            if deadline is not None and clock() > deadline:
                break
            out.tried += 1
            state, found = _check_point(lhs, rhs, gap, point, relation)
            if state == "fail":
                out.verdict, out.counterexample = "refuted", found
                return out
    if first_fail is not None:
        out.reason = ("the relation failed at one point only, by numeric quadrature, which "
                      "may have missed the integrand's mass there; not confirmed elsewhere")
        out.notes.append(first_fail.note)
        return out
    if domain is not None:
        # e.g. log(a·b) = log a + log b with a, b declared real: at a = b = −1 the left side
        # is log 1 = 0 and the right side is not a real number. That is no counterexample
        # (a refutation needs both sides finite), but the step is not supported on the
        # declared domain either, however many points agree elsewhere.
        out.verdict = "undecided"
        out.notes.append(domain.note)
        out.reason = (f"at {', '.join(f'{k} = {v:g}' for k, v in domain.point.items())}, "
                      f"which the declarations allow, {domain.note}")
        return out
    if doubt is not None:
        # the difference, reduced exactly, is not 0 there, though the sides (abstract
        # functions, sums of them) cannot be evaluated: the agreeing points prove nothing
        out.verdict = "undecided"
        out.reason = (f"the difference of the two sides is not 0 at "
                      f"{', '.join(f'{k} = {v:g}' for k, v in _point_floats(doubt).items())}, "
                      "where the sides themselves cannot be evaluated (no counterexample)")
        return out
    if out.agreeing >= MIN_AGREEING:
        out.verdict = "supported"
    elif not out.reason:
        out.reason = (
            f"only {out.agreeing} of {out.tried} probe points gave finite values"
            if out.tried else "no probe points"
        )
    return out


def _bad(relation: Relation, g: mpmath.mpf, scale: mpmath.mpf) -> bool:
    """Whether the gap ``g`` shows a failure of the relation, beyond the tolerance."""
    slack = TOL * max(1, scale)
    if relation in (Relation.LE, Relation.GE):
        return g < -slack
    return abs(g) > slack


def _same(g1: mpmath.mpf, g2: mpmath.mpf) -> bool:
    """Two evaluations (50 and 70 digits) of the same quantity agree to ten digits."""
    return abs(g1 - g2) <= mpmath.mpf("1e-10") * max(abs(g1), abs(g2))


def _sides(lhs: sp.Expr, rhs: sp.Expr, point: dict, dps: int):
    return value_at(lhs, point, dps), value_at(rhs, point, dps)


_NOTES = {
    Relation.EQ: "the two sides differ",
    Relation.EQ_UP_TO: "the two sides differ",
    Relation.LE: "the left side exceeds the right side",
    Relation.GE: "the left side is below the right side",
}


def _check_point(lhs, rhs, gap, point, relation) -> tuple[str, Counterexample | None]:
    """"ok", "skip" (nothing finite or confirmed), "doubt" (the reduced difference is
    confirmed not 0 but a side has no value, so no counterexample) or "fail" with a
    counterexample."""
    g = value_at(gap, point, DPS)
    confirmed = False
    if g is not None:
        if not _bad(relation, g, 1):
            return "ok", None
        g2 = value_at(gap, point, CONFIRM_DPS)
        confirmed = g2 is not None and _same(g, g2) and _bad(relation, g2, 1)
    if confirmed:
        a, b = _sides(lhs, rhs, point, DPS)
        if a is None or b is None:  # a refutation needs both sides finite at the point
            # (when they hold abstract functions, which have no value, the difference is
            # still not 0 there: no support either)
            abstract = any(e.has(AppliedUndef) for e in (lhs, rhs))
            return ("doubt" if abstract else "skip"), None
        diff = -g2 if relation is Relation.LE else g2
    else:  # no usable reduced difference here: compare the sides, relative to their size
        a, b = _sides(lhs, rhs, point, DPS)
        if a is None or b is None:
            return "skip", None
        d1 = (b - a) if relation is Relation.LE else (a - b)
        scale = max(abs(a), abs(b))
        if not _bad(relation, d1, scale):
            return "ok", None
        a2, b2 = _sides(lhs, rhs, point, CONFIRM_DPS)
        if a2 is None or b2 is None:
            return "skip", None
        d2 = (b2 - a2) if relation is Relation.LE else (a2 - b2)
        if not _same(d1, d2) or not _bad(relation, d2, scale):
            return "skip", None
        diff = a2 - b2
    if not _independently_confirmed(lhs, rhs, point, relation, gap if confirmed else None):
        return "skip", None
    return "fail", Counterexample(
        point=_point_floats(point),
        lhs=to_float(a) if a is not None else math.nan,
        rhs=to_float(b) if b is not None else math.nan,
        difference=to_float(diff),
        note=f"{_NOTES[relation]} (mpmath, {DPS} digits, confirmed at {CONFIRM_DPS}): "
        f"lhs − rhs = {mpmath.nstr(diff, 20)}",
    )


#: Nodes SymPy's ``evalf`` does not evaluate at a point by itself (left to mpmath).
_NOT_FOR_EVALF = (sp.Integral, Expectation, sp.Sum, sp.Product, sp.Derivative, sp.Subs)


def _independently_confirmed(lhs: sp.Expr, rhs: sp.Expr, point: dict, relation: Relation,
                             gap: sp.Expr | None = None) -> bool:
    """Whether SymPy's ``evalf``, which raises its working precision wherever a sum cancels,
    confirms the failure mpmath found at ``point`` (at 50 and 70 digits alike).

    Both fixed precisions can lose a value the same way: at u = 1/4, b = 10⁻⁶ the number
    1 − (1 − u)^(1/b) is 1 − 10^(−124939), 1 at any affordable precision, and
    1 − (1 − y)^b is then 1 where it is 1/4. ``evalf(strict=True)`` cannot tell such a value
    from the rounding and says so: the point is no counterexample. Where ``evalf`` cannot
    evaluate a side (an integral, an abstract function, a value off the real line) the
    mpmath evaluation stands. With ``gap`` (the failure was found on the reduced difference)
    that difference is what is re-evaluated, and judged as the probe judged it.

    >>> u, a, b = sp.symbols("u a b", positive=True)
    >>> y = 1 - (1 - u)**(1 / b)
    >>> lhs, rhs = 1 - (1 - (y**(1 / a))**a)**b, 1 - (1 - (1 - (1 - u)**(1 / b)))**b
    >>> tiny = sp.Rational(1, 10**6)
    >>> _independently_confirmed(lhs, rhs, {u: sp.Rational(1, 4), a: tiny, b: tiny}, Relation.EQ)
    False
    >>> _independently_confirmed(u**2, u, {u: sp.Integer(3)}, Relation.EQ)
    True
    """
    from sympy.core.evalf import PrecisionExhausted
    from sympy.core.function import AppliedUndef

    exprs = (lhs, rhs) if gap is None else (gap,)
    if any(sp.S(e).has(*_NOT_FOR_EVALF, AppliedUndef) for e in exprs):
        return True
    subs = {s: sp.S(v) for s, v in point.items()}
    try:
        values = [sp.S(e).evalf(DPS, subs=subs, strict=True) for e in exprs]
    except PrecisionExhausted:
        return False
    except Exception:  # evalf cannot evaluate it: mpmath's value stands
        return True
    if not all(v.is_real and v.is_finite and v.is_Number for v in values):
        return True
    with mpmath.workdps(DPS):
        numbers = [mpmath.mpf(str(v)) for v in values]
        if gap is not None:
            return _bad(relation, numbers[0], 1)
        va, vb = numbers
        d = (vb - va) if relation is Relation.LE else (va - vb)
        return _bad(relation, d, max(abs(va), abs(vb)))


def _off_real_line(expr: sp.Expr, point: dict) -> bool:
    """Whether ``expr`` at ``point`` is a number off the real line (not merely undefined)."""
    try:
        with mpmath.workdps(DPS):
            evaluate(expr, {s: _number(v) for s, v in point.items()})
    except Unevaluable as err:
        return "off the real line" in str(err)
    except (ZeroDivisionError, ValueError, OverflowError, TypeError, RecursionError):
        return False
    return False


def _domain_mismatch(lhs: sp.Expr, rhs: sp.Expr, point: dict) -> Counterexample | None:
    """A counterexample where one side is a finite real number and the other is not real.

    Only a value off the real line counts (the log or square root of a negative number); a
    side that is merely undefined (0/0, a pole) is no evidence against the step.
    """
    a, b = _sides(lhs, rhs, point, DPS)
    if (a is None) == (b is None):
        return None
    real_side, other = ("left", rhs) if a is not None else ("right", lhs)
    if not _off_real_line(other, point):
        return None
    other_name = "right" if real_side == "left" else "left"
    return Counterexample(
        point=_point_floats(point),
        lhs=to_float(a) if a is not None else math.nan,
        rhs=to_float(b) if b is not None else math.nan,
        difference=math.nan,
        note=f"the {real_side} side is a real number but the {other_name} side is not (the "
        "log or square root of a negative number): the step holds at most where both sides "
        "are real, which the declarations do not restrict it to",
    )


def _wrt_alternatives(wrt: Sequence[sp.Symbol], domains: dict[sp.Symbol, sp.Interval],
                      ) -> list[dict]:
    """Other values for the ``wrt`` variables (respecting their assumptions and intervals)."""
    import numpy as np

    alts = []
    for shift in (3, 5):
        alt = {}
        for i, s in enumerate(wrt):
            table = _NICE_POSITIVE if _kind(s) in ("positive", "nonnegative") else _NICE_REALS
            alt[s] = sp.S(table[(i + shift) % len(table)])
        alts.append(alt)
    return list(within_domains(iter(alts), {s: iv for s, iv in domains.items() if s in wrt},
                               np.random.default_rng(shift)))


def _check_up_to(lhs, rhs, gap, point, wrt, alternates) -> tuple[str, Counterexample | None]:
    d0 = value_at(gap, point, DPS)
    if d0 is None:
        return "skip", None
    seen = False
    for alt in alternates:
        check_deadline()
        moved = {**point, **alt}
        if all(moved[s] == point[s] for s in wrt):
            continue
        d1 = value_at(gap, moved, DPS)
        if d1 is None:
            continue
        seen = True
        if not _differs(d0, d1):
            continue
        e0, e1 = value_at(gap, point, CONFIRM_DPS), value_at(gap, moved, CONFIRM_DPS)
        if None in (e0, e1) or not (_same(d0, e0) and _same(d1, e1)) or not _differs(e0, e1):
            continue
        a, b = _sides(lhs, rhs, point, DPS)
        if a is None or b is None or None in _sides(lhs, rhs, moved, DPS):
            continue  # a refutation needs both sides finite, at both points
        names = ", ".join(f"{s}={float(moved[s]):g}" for s in wrt)
        return "fail", Counterexample(
            point=_point_floats(point),
            lhs=to_float(a) if a is not None else math.nan,
            rhs=to_float(b) if b is not None else math.nan,
            difference=to_float(e0),
            note=(
                f"lhs − rhs = {mpmath.nstr(e0, 15)} here, but {mpmath.nstr(e1, 15)} after "
                f"moving only {names}: the dropped term depends on "
                + ", ".join(map(str, wrt))
            ),
        )
    return ("ok", None) if seen else ("skip", None)
