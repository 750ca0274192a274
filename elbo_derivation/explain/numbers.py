r"""Numbers for the diagnosis of mistakes: a fast screen and a 50-digit confirmation.

:class:`FloatScreen` evaluates expressions at a few fixed random points in double precision;
it only *screens* candidates (a candidate that disagrees there is dropped). A name is given
only after :func:`exactly_equal`: the difference simplifies to 0 symbolically (SymPy, under the
symbols' assumptions, with bounded effort), or, where no symbolic check settles it, the two
agree to 40 of 50 significant digits (mpmath) at several points that respect every
assumption (positive symbols positive, real symbols real).

Integrals over ℝ are computed by mpmath's tanh-sinh quadrature at 50 digits; an
expectation over an abstract density (the notes' q(z|x)) by a fixed positive linear
functional that keeps what the derivations use of it (linearity, constants pulled out,
E[1] = 1), the same in both precisions; an abstract function by a fixed smooth positive
function of its arguments.

Examples
--------
>>> import sympy as sp
>>> s = sp.Symbol("s", positive=True)
>>> exactly_equal(sp.log(s**2) / 2, sp.log(s), clock() + 5)
True
>>> exactly_equal(sp.log(s**2), sp.log(s), clock() + 5)
False
"""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Callable
from typing import Any

import mpmath
import numpy as np
import sympy as sp
from sympy.core.function import AppliedUndef

from elbo_derivation.core.compile import NotEvaluable, compile_expr
from elbo_derivation.core.expectation import Expectation
from elbo_derivation.core.order import canonical_text, order_token
from elbo_derivation.core.order import ordered as in_order
from elbo_derivation.core.timeout import clock

__all__ = ["FloatScreen", "HighPrecision", "OutOfTime", "Unsure", "exactly_equal"]

#: Relative difference below which two double-precision values pass the screen.
_TOL = 1e-9
#: Digits of the confirmation, and the relative agreement it demands.
DPS = 50
_HP_TOL = mpmath.mpf(10) ** -40
_FLOAT_TOL = mpmath.mpf(10) ** -12


#: A value could not be computed: the candidate is not confirmed.
Unsure = NotEvaluable


class OutOfTime(Exception):
    """The time budget is spent."""


_Unsure = Unsure


# The abstract-density functional: fixed nodes and positive weights summing to one.
_NODES = np.array([-1.3, -0.45, 0.35, 0.9, 1.7])


def density_weights(density: sp.Basic) -> list[sp.Rational]:
    """Positive rational weights summing to 1, fixed per abstract density.

    Each density gets its own weights, so E over q and E over p are different functionals
    (an expectation over the wrong density is not mistaken for the right one).
    """
    seed = zlib.crc32(canonical_text(density).encode("utf-8"))  # not the letters' (renaming)
    raw = [1 + ((seed >> (5 * i)) & 31) for i in range(len(_NODES))]
    total = sum(raw)
    return [sp.Rational(r, total) for r in raw]


def _legendre_grid(lo: float, hi: float, panels: int = 60, order: int = 12,
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Composite Gauss–Legendre nodes and weights on [lo, hi]."""
    t, w = np.polynomial.legendre.leggauss(order)
    edges = np.linspace(lo, hi, panels + 1)
    half = (edges[1:] - edges[:-1]) / 2
    mid = (edges[1:] + edges[:-1]) / 2
    nodes = (mid[:, None] + half[:, None] * t[None, :]).ravel()
    weights = (half[:, None] * w[None, :]).ravel()
    return nodes, weights


def _graded_grid(lo: float, hi: float) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_legendre_grid` on [lo, hi] with its first and last panels graded
    geometrically toward the ends (panels halving 40 times): an integrable singularity at
    an end (log u at u = 0, ∫₀¹ log u du = −1) converges there too."""
    h = (hi - lo) / 60
    nodes, weights = _legendre_grid(lo + h, hi - h, panels=58)
    parts = [(nodes, weights)]
    cuts = h * 0.5 ** np.arange(41)
    for j in range(40):
        for a, b in ((lo + cuts[j + 1], lo + cuts[j]), (hi - cuts[j], hi - cuts[j + 1])):
            parts.append(_legendre_grid(a, b, panels=1))
    return (np.concatenate([n for n, _ in parts]), np.concatenate([w for _, w in parts]))


# Over ℝ: the sample points keep every mean within ±2 and every scale below 2.5, so ±40
# holds any Gaussian-type integrand of these derivations to double precision; a Laplace or
# exponential tail e^{−|x|/2.3} is still 3e-8 there, so coarser panels carry the range on to
# ±120 (e^{−52}): without them, which scale a point drew decided whether such an integral
# passed the screen.
_REACH = 120.0
_REAL_LINE = tuple(np.concatenate(parts) for parts in zip(
    _legendre_grid(-_REACH, -40.0, panels=20), _legendre_grid(-40.0, 40.0),
    _legendre_grid(40.0, _REACH, panels=20), strict=True))

def kink_points(body: sp.Basic, var: sp.Symbol) -> list[sp.Expr]:
    """Where |a + b·x| in ``body`` turns (x = −a/b): a quadrature that splits its range there
    integrates each piece of a Laplace density smoothly."""
    out = []
    for node in body.atoms(sp.Abs):
        arg = sp.expand(node.args[0])
        if not arg.has(var):
            continue
        b = arg.coeff(var, 1)
        a = arg - b * var
        if b != 0 and not b.has(var) and not a.has(var):
            out.append(-a / b)
    return out


def _integral_parts(node: sp.Basic) -> tuple[sp.Symbol, sp.Basic, sp.Basic, sp.Basic, Any]:
    """(variable, lower, upper, integrand, density or None) of one integral or expectation."""
    if isinstance(node, Expectation):
        return node.variable, -sp.oo, sp.oo, node.integrand, node.density
    if len(node.limits) != 1 or len(node.limits[0]) != 3:
        raise Unsure("a multiple or indefinite integral")
    (var, lo, hi), body = node.limits[0], node.function
    return var, lo, hi, body, None


def _coefficients(name: str, n: int) -> np.ndarray:
    seed = zlib.crc32(name.encode("utf-8"))
    return np.random.default_rng(seed).uniform(-1.0, 1.0, size=n + 1)


def _inside(v: float, interval: tuple[Any, Any] | None, lo: float, hi: float) -> float:
    """The draw ``v`` (made for the range [lo, hi] of a positive symbol, or its negative or
    a real range) moved into a declared ``interval`` (lower, upper; ±∞ for a half-line):
    a symbol declared in (0, 1), or a probability, takes values inside it, so that
    log(1 − p) is real at every point. ``v`` itself without an interval."""
    if interval is None:
        return v
    a, b = (float(x) for x in interval)
    u = (abs(v) * 7.919) % 1.0  # a fraction in [0, 1) that the draw fixes
    if np.isfinite(a) and np.isfinite(b):
        return a + (b - a) * (0.1 + 0.8 * u)
    if np.isfinite(a):
        return a + lo + (hi - lo) * u
    if np.isfinite(b):
        return b - lo - (hi - lo) * u
    return v


class FloatScreen:
    """Values of expressions at a few fixed random points (float64), cached per node.

    Integrals are computed by composite Gauss–Legendre quadrature, vectorised over the nodes;
    an expectation over an abstract density by a fixed positive linear functional (linearity,
    constants and E[1] = 1 hold exactly). Differences below :data:`_TOL` (relative) count as
    equal: a diagnosis, unlike a verdict, does not need the last digits.
    """

    def __init__(self, symbols: set[sp.Symbol], deadline: float, n_points: int = 3,
                 intervals: dict[sp.Basic, tuple[Any, Any]] | None = None) -> None:
        rng = np.random.default_rng(20260301)
        self.deadline = deadline
        self.points: list[dict[sp.Basic, Any]] = []
        ordered = in_order(symbols)  # the derivation's order, which renaming keeps
        for _ in range(n_points):
            point: dict[sp.Basic, Any] = {}
            for s in ordered:
                if s.is_positive or s.is_nonnegative:
                    v = rng.uniform(0.6, 2.3)
                elif s.is_negative:
                    v = -rng.uniform(0.6, 2.3)
                else:
                    v = rng.uniform(-1.9, 1.9)
                point[s] = float(_inside(v, (intervals or {}).get(s), 0.6, 2.3))
            self.points.append(point)
        self.symbols = tuple(ordered)
        self.vectors = [tuple(p[s] for s in ordered) for p in self.points]
        self.caches: list[dict[sp.Basic, Any]] = [{} for _ in self.points]

    def tick(self) -> None:
        if clock() > self.deadline:
            raise OutOfTime

    def value(self, expr: sp.Basic, k: int) -> float:
        cache = self.caches[k]
        if expr in cache:
            return cache[expr]
        f = compile_expr(expr, self.symbols, backend="float64", nonfinite="raise",
                         domain="real", split_log_exp=True, max_exponent=1000,
                         extension=self._node)
        v = np.asarray(f(*self.vectors[k]))
        if v.shape != ():
            raise Unsure("not a number")
        cache[expr] = out = float(v)
        return out

    def _node(self, node: sp.Basic, builder: Any) -> Callable[[Any], Any] | None:
        """The compile step's extension: abstract functions, integrals and expectations,
        Γ, log Γ and k! (by SciPy's Γ: k! = Γ(k + 1), continued between the integers)."""
        if isinstance(node, sp.factorial):
            from scipy.special import gamma as gamma_function

            inner = builder.sub(node.args[0])
            return lambda v: gamma_function(inner(v) + 1.0)
        if isinstance(node, (sp.gamma, sp.loggamma)):
            from scipy.special import gamma as gamma_function
            from scipy.special import gammaln

            inner = builder.sub(node.args[0])
            if isinstance(node, sp.gamma):
                return lambda v: gamma_function(inner(v))

            def log_gamma(v: Any) -> Any:
                x = inner(v)
                if np.any(np.asarray(x) <= 0):
                    raise Unsure("log Γ off the positive axis")
                return gammaln(x)
            return log_gamma
        if isinstance(node, AppliedUndef):
            args = [builder.sub(a) for a in node.args]
            c = _coefficients(order_token(str(node.func)), len(args))

            def function(v: Any) -> Any:
                inner = sum(ci * a(v) for ci, a in zip(c, args, strict=False)) + c[-1]
                return np.exp(0.4 * np.sin(inner))
            return function
        if not isinstance(node, (sp.Integral, Expectation)):
            return None
        var, lo, hi, body, density = _integral_parts(node)
        memo: dict[tuple, float] = {}
        if density is not None and density.has(AppliedUndef):
            # an abstract density: a fixed positive linear functional with E[1] = 1
            weights = np.array([float(w) for w in density_weights(density)])
            g = builder.sub(body, (var,))

            def functional(v: Any) -> float:
                self.tick()
                if any(np.ndim(x) for x in v):
                    raise Unsure("a nested integral")
                key = tuple(v)
                if key not in memo:
                    memo[key] = float(np.dot(weights, np.broadcast_to(g((*v, _NODES)),
                                                                      _NODES.shape)))
                return memo[key]
            return functional
        a_f = builder.sub(lo) if lo.is_finite else None
        b_f = builder.sub(hi) if hi.is_finite else None
        g = builder.sub(body if density is None else density * body, (var,))
        kink_fs = [builder.sub(k) for k in kink_points(body, var)]

        def integral(v: Any) -> float:
            self.tick()
            if any(np.ndim(x) for x in v):
                raise Unsure("a nested integral")
            key = tuple(v)
            if key in memo:
                return memo[key]
            a = float(a_f(v)) if a_f is not None else None
            b = float(b_f(v)) if b_f is not None else None
            if a is None and b is None:
                nodes, weights = _REAL_LINE
                a, b = -_REACH, _REACH
            else:
                a, b = (a if a is not None else b - 80.0), (b if b is not None else a + 80.0)
                nodes, weights = _graded_grid(a, b)
            kinks = sorted(k for k in (float(f(v)) for f in kink_fs) if a < k < b)
            if kinks:  # one grid per piece between the turns of |·|
                grids = [_legendre_grid(u, w) for u, w in itertools.pairwise([a, *kinks, b])]
                nodes = np.concatenate([grid[0] for grid in grids])
                weights = np.concatenate([grid[1] for grid in grids])
            values = np.broadcast_to(g((*v, nodes)), nodes.shape)
            memo[key] = out = float(np.dot(weights, values))
            return out
        return integral

    def close(self, a: float, b: float) -> bool:
        return abs(a - b) <= _TOL * max(1.0, abs(a), abs(b))

    def equal(self, a: sp.Basic, b: sp.Basic) -> bool:
        """True when ``a`` and ``b`` agree at every point (False when either fails).

        Parts the two have in common cancel in ``a − b`` before anything is evaluated, so a
        shared integral that cannot be evaluated here does not stop the comparison.
        """
        self.tick()
        d = a - b
        if d == 0:
            return True
        terms = sp.Add.make_args(d)
        if len(terms) < len(sp.Add.make_args(a)) + len(sp.Add.make_args(b)):
            try:
                for k in range(len(self.points)):
                    values = [self.value(t, k) for t in terms]
                    if abs(sum(values)) > _TOL * max(1.0, *(abs(v) for v in values)):
                        return False
                return True
            except (_Unsure, ValueError, ZeroDivisionError, OverflowError, TypeError):
                pass
        try:
            for k in range(len(self.points)):
                if not self.close(self.value(a, k), self.value(b, k)):
                    return False
        except (_Unsure, ValueError, ZeroDivisionError, OverflowError, TypeError):
            return False
        return True

    def differs(self, a: sp.Basic, b: sp.Basic) -> bool:
        """True when ``a`` and ``b`` differ at some point (or cannot be compared)."""
        try:
            for k in range(len(self.points)):
                if not self.close(self.value(a, k), self.value(b, k)):
                    return True
        except (_Unsure, ValueError, ZeroDivisionError, OverflowError, TypeError):
            return True
        return False




# --- 50 digits -----------------------------------------------------------------------------

_MP_NODES = [sp.Rational(-13, 10), sp.Rational(-9, 20), sp.Rational(7, 20), sp.Rational(9, 10),
             sp.Rational(17, 10)]

class HighPrecision:
    """Values at 50 digits (mpmath) at ``n_points`` points respecting the assumptions.

    Positive (or nonnegative) symbols take values in [0.4, 2.6], negative ones in
    [-2.6, -0.4], other real symbols in [-1.8, 1.8]; the points are rationals drawn from a
    fixed seed, so a diagnosis is reproducible.
    """

    def __init__(self, symbols: set[sp.Symbol], deadline: float, n_points: int = 4,
                 intervals: dict[sp.Basic, tuple[Any, Any]] | None = None) -> None:
        rng = np.random.default_rng(20261206)
        self.deadline = deadline
        self._values: dict[tuple[sp.Basic, int], Any] = {}
        self.points: list[dict[sp.Basic, Any]] = []
        for _ in range(n_points):
            point: dict[sp.Basic, Any] = {}
            for s in in_order(symbols):
                if s.is_positive or s.is_nonnegative:
                    v = rng.integers(400, 2600) / 1000
                elif s.is_negative:
                    v = -rng.integers(400, 2600) / 1000
                else:
                    v = rng.integers(-1800, 1800) / 1000
                v = round(_inside(v, (intervals or {}).get(s), 0.4, 2.6), 4)
                point[s] = mpmath.mpf(sp.Rational(str(v)).p) / sp.Rational(str(v)).q
            self.points.append(point)

    def value(self, expr: sp.Basic, k: int) -> Any:
        """The value of ``expr`` at point ``k`` (remembered: the previous line's integral is
        compared with many candidates, and its quadrature is the cost)."""
        key = (expr, k)
        if key in self._values:
            return self._values[key]
        symbols = tuple(sorted(self.points[k], key=lambda s: s.name))
        f = compile_expr(expr, symbols, backend="mpmath", nonfinite="raise", domain="real",
                         split_log_exp=True, max_exponent=1000, extension=self._node)
        with mpmath.workdps(DPS):
            out = f(*(self.points[k][s] for s in symbols))
        self._values[key] = out
        return out

    def equal(self, a: sp.Basic, b: sp.Basic) -> bool:
        """True when ``a`` and ``b`` agree to 40 digits at every point.

        A decimal written in a step (a SymPy ``Float``) carries 15 significant digits, so
        when either side holds one the agreement asked for is 12 digits.
        """
        tol = _FLOAT_TOL if (a.atoms(sp.Float) or b.atoms(sp.Float)) else _HP_TOL
        d = a - b
        if d == 0:
            return True
        terms = sp.Add.make_args(d)
        shared = len(terms) < len(sp.Add.make_args(a)) + len(sp.Add.make_args(b))
        try:
            for k in range(len(self.points)):
                if clock() > self.deadline:
                    raise OutOfTime
                if shared:  # common parts cancelled in a − b: compare the rest only
                    values = [self.value(t, k) for t in terms]
                    scale = max([mpmath.mpf(1)] + [abs(v) for v in values])
                    if abs(mpmath.fsum(values)) > tol * scale:
                        return False
                    continue
                va, vb = self.value(a, k), self.value(b, k)
                if abs(va - vb) > tol * max(1, abs(va), abs(vb)):
                    return False
        except (Unsure, ValueError, ZeroDivisionError, OverflowError, TypeError):
            return False
        return True

    def _node(self, node: sp.Basic, builder: Any) -> Callable[[Any], Any] | None:
        """The compile step's extension: abstract functions, integrals and expectations."""
        if isinstance(node, AppliedUndef):
            args = [builder.sub(a) for a in node.args]
            c = [sp.Rational(str(round(float(v), 6))) for v in
                 _coefficients(order_token(str(node.func)), len(args))]

            def function(v: Any) -> Any:
                inner = mpmath.fsum(mpmath.mpf(ci.p) / ci.q * a(v)
                                    for ci, a in zip(c, args, strict=False))
                inner += mpmath.mpf(c[-1].p) / c[-1].q
                return mpmath.exp(mpmath.mpf(2) / 5 * mpmath.sin(inner))
            return function
        if not isinstance(node, (sp.Integral, Expectation)):
            return None
        var, lo, hi, body, density = _integral_parts(node)
        if density is not None and density.has(AppliedUndef):
            weights = density_weights(density)
            g = builder.sub(body, (var,))

            def functional(v: Any) -> Any:
                self.tick()
                total = mpmath.mpf(0)
                for node_, weight in zip(_MP_NODES, weights, strict=True):
                    total += mpmath.mpf(weight.p) / weight.q * g(
                        (*v, mpmath.mpf(node_.p) / node_.q))
                return total
            return functional
        a_f = None if lo is -sp.oo else builder.sub(lo)
        b_f = None if hi is sp.oo else builder.sub(hi)
        g = builder.sub(body if density is None else density * body, (var,))
        kink_fs = [builder.sub(k) for k in kink_points(body, var)]

        def integral(v: Any) -> Any:
            self.tick()
            a = -mpmath.inf if a_f is None else a_f(v)
            b = mpmath.inf if b_f is None else b_f(v)

            def integrand(t: Any) -> Any:
                try:
                    return g((*v, t))
                except Unsure:
                    raise
                except (ValueError, ZeroDivisionError, OverflowError):
                    raise Unsure("integrand") from None

            points = [a, *sorted(k for k in (f(v) for f in kink_fs) if a < k < b), b]
            value, error = mpmath.quad(integrand, points, error=True, maxdegree=8)
            if error > _HP_TOL * max(1, abs(value)) * 10**10:
                raise Unsure("quadrature not accurate enough")
            return value
        return integral

    def tick(self) -> None:
        if clock() > self.deadline:
            raise OutOfTime


# --- exact equality -------------------------------------------------------------------------

_ABSTRACT = (sp.Integral, Expectation, AppliedUndef)


def _integrands_cancel(diff: sp.Basic) -> bool:
    """True when ``diff`` is a sum of c·∫f over the same limits whose Σ c·f simplifies to 0."""
    groups: dict[tuple, sp.Basic] = {}
    for term in sp.Add.make_args(sp.expand(diff, deep=False)):
        ints = [f for f in sp.Mul.make_args(term) if isinstance(f, sp.Integral)]
        if len(ints) != 1:
            return False
        (node,) = ints
        coeff = term / node
        var = node.limits[0][0]
        if coeff.has(var) or coeff.has(sp.Integral):
            return False
        groups[node.limits] = groups.get(node.limits, sp.S(0)) + coeff * node.function
    for body in groups.values():
        e = sp.expand(sp.expand_log(body, force=False))
        if e != 0 and not (sp.count_ops(e) <= 200 and sp.simplify(e) == 0):
            return False
    return True


def symbolically_zero(diff: sp.Basic) -> bool:
    """True when SymPy reduces ``diff`` to 0 with bounded effort (False proves nothing)."""
    if diff == 0:
        return True
    try:
        if diff.has(Expectation, AppliedUndef) and not diff.has(sp.Integral):
            from elbo_derivation.decide.rules import normalize

            return sp.expand(normalize(diff)) == 0
        if diff.has(sp.Integral):
            if _integrands_cancel(diff):
                return True
            from elbo_derivation.decide.gaussian import evaluate_gaussian_integrals

            diff, _ = evaluate_gaussian_integrals(diff)
            if diff.has(sp.Integral):
                return False
        if sp.count_ops(diff) > 400:
            return False
        e = sp.expand(sp.expand_log(diff, force=False))
        if e == 0:
            return True
        if sp.count_ops(e) <= 120:
            return sp.simplify(e) == 0
    except Exception:
        return False
    return False


def exactly_equal(a: sp.Basic, b: sp.Basic, deadline: float,
                  hp: HighPrecision | None = None) -> bool:
    """True when ``a`` and ``b`` are proved equal symbolically or agree to 40 of 50 digits.

    Parameters
    ----------
    a, b : sympy.Basic
    deadline : float
        :func:`~elbo_derivation.core.timeout.clock` value (CPU seconds) after which
        :class:`OutOfTime` is raised.
    hp : HighPrecision, optional
        the points to use (made from the symbols of ``a`` and ``b`` if not given).
    """
    if clock() > deadline:
        raise OutOfTime
    if hp is None:
        symbols = {s for s in (a.atoms(sp.Symbol) | b.atoms(sp.Symbol))}
        hp = HighPrecision(symbols, deadline)
    closed = not (a.has(*_ABSTRACT) or b.has(*_ABSTRACT))
    if closed and hp.equal(a, b):
        return True  # closed forms: 50 digits are quick, SymPy's simplify may take a second
    try:
        if symbolically_zero(a - b):
            return True
    except Exception:
        pass
    return False if closed else hp.equal(a, b)
