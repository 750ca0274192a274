r"""Named mistakes: recognising *why* a refuted step is wrong.

When the engine refutes a step, :func:`diagnose` compares the expression the step should have
equalled (``lhs``, the previous expression) with what was written (``rhs``), both with the
``let`` definitions substituted. Each entry of :data:`CATALOGUE` is one common mistake of these
derivations, with a *detector*: a small set of candidate repairs of the written expression (or
simulations of the mistake on the correct one). If a repaired expression equals the correct one,
the mistake is named. "Equals" is decided numerically, at three fixed random points where every
symbol (bound integration variables included) takes a value respecting its assumptions, in
double precision with a relative tolerance of 1e-9; integrals by composite Gauss–Legendre
quadrature vectorised with NumPy, and expectations over abstract densities (the notes'
q(z|x)) by a fixed positive linear functional that keeps what the notes use of them:
linearity, constants pulled out, E[1] = 1. The verdict of the step is
the engine's; a name here is a diagnosis, and a wrong step that matches no entry gets None.

Entries are tried in the order of :data:`CATALOGUE` (specific ones before generic ones); the
first match wins. The whole diagnosis is bounded in time and never raises.

Examples
--------
>>> import sympy as sp
>>> h = sp.Symbol("h", positive=True)
>>> g = sp.Symbol("g", real=True)
>>> right = (h + g**2 - sp.log(h) - 1) / 2
>>> m = diagnose(right, h + g**2 - sp.log(h) - 1, None, None)
>>> m.name
'dropped-half'
>>> diagnose(right, (h + g**2 - sp.log(h)) / 2, None, None).name
'missing-minus-one'
>>> diagnose(right, right + g, None, None) is None
True
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp
from sympy.core.function import AppliedUndef

from elbo_derivation.core.expectation import Expectation
from elbo_derivation.explain.subexpr import smallest_difference

__all__ = ["CATALOGUE", "CatalogueEntry", "Mistake", "diagnose", "locate_difference"]

#: Seconds a diagnosis may take before it gives up (returns None).
TIME_BUDGET = 0.8
#: Most nodes of an expression the repairs walk over.
MAX_NODES = 300

#: Relative difference below which two values count as equal.
_TOL = 1e-9


@dataclass(frozen=True)
class Mistake:
    """A named mistake found in a refuted step.

    ``name`` is a stable kebab-case id (the JSON ``mistake`` field); ``explanation`` says what
    is wrong and points at the notes; ``subexpression`` is the smallest part of the written
    step that differs from the corresponding correct part (``expected``), when one was found.
    """

    name: str
    explanation: str
    subexpression: sp.Basic | None = None
    expected: sp.Basic | None = None


@dataclass(frozen=True)
class CatalogueEntry:
    """One mistake the catalogue knows: its id, a short title, explanation and detector."""

    name: str
    title: str
    explanation: str
    detector: Callable[[_Context], bool] = field(repr=False)


class _Unsure(Exception):
    """A value could not be computed: the diagnosis gives up on that candidate."""


class _OutOfTime(Exception):
    """The time budget is spent."""


# --- numbers -------------------------------------------------------------------------------

# The abstract-density functional: fixed nodes and positive weights summing to one.
_NODES = np.array([-1.3, -0.45, 0.35, 0.9, 1.7])
_WEIGHTS = np.array([0.1, 0.25, 0.3, 0.2, 0.15])


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


# Over ℝ: the sample points keep every mean within ±2 and every scale below 2.5, so ±40
# holds any Gaussian-type integrand of these derivations to double precision.
_REAL_LINE = _legendre_grid(-40.0, 40.0)

_FUNCS: dict[Any, Callable[..., Any]] = {
    sp.log: np.log, sp.exp: np.exp, sp.sqrt: np.sqrt, sp.Abs: np.abs,
    sp.sin: np.sin, sp.cos: np.cos, sp.tanh: np.tanh,
}


def _coefficients(name: str, n: int) -> np.ndarray:
    seed = zlib.crc32(name.encode("utf-8"))
    return np.random.default_rng(seed).uniform(-1.0, 1.0, size=n + 1)


class _Numeric:
    """Values of expressions at a few fixed random points (float64), cached per node.

    Integrals are computed by composite Gauss–Legendre quadrature, vectorised over the nodes;
    an expectation over an abstract density by a fixed positive linear functional (linearity,
    constants and E[1] = 1 hold exactly). Differences below :data:`_TOL` (relative) count as
    equal: a diagnosis, unlike a verdict, does not need the last digits.
    """

    def __init__(self, symbols: set[sp.Symbol], deadline: float, n_points: int = 3) -> None:
        rng = np.random.default_rng(20260301)
        self.deadline = deadline
        self.points: list[dict[sp.Basic, Any]] = []
        ordered = sorted(symbols, key=lambda s: s.name)
        for _ in range(n_points):
            point: dict[sp.Basic, Any] = {}
            for s in ordered:
                if s.is_positive or s.is_nonnegative:
                    v = rng.uniform(0.6, 2.3)
                elif s.is_negative:
                    v = -rng.uniform(0.6, 2.3)
                else:
                    v = rng.uniform(-1.9, 1.9)
                point[s] = float(v)
            self.points.append(point)
        self.caches: list[dict[sp.Basic, Any]] = [{} for _ in self.points]

    def tick(self) -> None:
        if time.perf_counter() > self.deadline:
            raise _OutOfTime

    def value(self, expr: sp.Basic, k: int) -> float:
        with np.errstate(all="ignore"):
            v = self._ev(expr, self.points[k], self.caches[k])
        v = np.asarray(v)
        if v.shape != () or not np.isfinite(v) or np.iscomplexobj(v):
            raise _Unsure("not a finite real number")
        return float(v)

    def _ev(self, expr: sp.Basic, env: dict, cache: dict | None) -> Any:
        if cache is not None and expr in cache:
            return cache[expr]
        out = self._compute(expr, env, cache)
        if np.any(np.isnan(out)):
            raise _Unsure("nan")
        if cache is not None:
            cache[expr] = out
        return out

    def _compute(self, expr: sp.Basic, env: dict, cache: dict | None) -> Any:
        if expr.is_Symbol:
            if expr not in env:
                raise _Unsure(f"no value for {expr}")
            return env[expr]
        if expr.is_Number:
            if expr.is_Rational and max(abs(expr.p), expr.q) > 10**300:
                raise _Unsure("a huge number")
            return float(expr)
        if expr is sp.pi:
            return np.pi
        if expr is sp.E:
            return np.e
        if expr.is_Add:
            return sum(self._ev(a, env, cache) for a in expr.args)
        if expr.is_Mul:
            out: Any = 1.0
            for a in expr.args:
                out = out * self._ev(a, env, cache)
            return out
        if expr.is_Pow:
            base, e = self._ev(expr.base, env, cache), self._ev(expr.exp, env, cache)
            if np.any(np.abs(e) > 1000):
                raise _Unsure("huge exponent")
            if np.any(base == 0) and np.any(e < 0):
                raise _Unsure("division by zero")
            return np.power(base, e)
        fn = _FUNCS.get(expr.func)
        if fn is not None:
            arg = self._ev(expr.args[0], env, cache)
            if expr.func in (sp.log, sp.sqrt) and np.any(np.asarray(arg) < 0):
                raise _Unsure("off the real line")
            return fn(arg)
        if isinstance(expr, AppliedUndef):
            args = [self._ev(a, env, cache) for a in expr.args]
            c = _coefficients(str(expr.func), len(args))
            inner = sum(ci * a for ci, a in zip(c, args, strict=False)) + c[-1]
            return np.exp(0.4 * np.sin(inner))
        if isinstance(expr, (sp.Integral, Expectation)):
            return self._integral(expr, env)
        raise _Unsure(f"cannot evaluate {expr.func}")

    def _integral(self, expr: sp.Basic, env: dict) -> Any:
        self.tick()
        if isinstance(expr, Expectation):
            var, body, density = expr.variable, expr.integrand, expr.density
            lo, hi = -sp.oo, sp.oo
        else:
            if len(expr.limits) != 1 or len(expr.limits[0]) != 3:
                raise _Unsure("a multiple or indefinite integral")
            (var, lo, hi), body, density = expr.limits[0], expr.function, None
        if any(np.ndim(v) for v in env.values()):
            raise _Unsure("a nested integral")
        local = dict(env)
        if density is not None and density.has(AppliedUndef):
            # an abstract density: a fixed positive linear functional with E[1] = 1
            local[var] = _NODES
            return float(np.dot(_WEIGHTS, np.broadcast_to(self._ev(body, local, None),
                                                           _NODES.shape)))
        a = float(self._ev(lo, env, None)) if lo.is_finite else None
        b = float(self._ev(hi, env, None)) if hi.is_finite else None
        if a is None and b is None:
            nodes, weights = _REAL_LINE
        else:
            nodes, weights = _legendre_grid(a if a is not None else b - 80.0,
                                            b if b is not None else a + 80.0)
        local[var] = nodes
        f = body if density is None else density * body
        values = np.broadcast_to(self._ev(f, local, None), nodes.shape)
        return float(np.dot(weights, values))

    def close(self, a: float, b: float) -> bool:
        return abs(a - b) <= _TOL * max(1.0, abs(a), abs(b))

    def equal(self, a: sp.Basic, b: sp.Basic) -> bool:
        """True when ``a`` and ``b`` agree at every point (False when either fails)."""
        self.tick()
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


# --- the context a detector sees -----------------------------------------------------------


class _Context:
    """The correct side, the written side and the tools to compare repairs against it."""

    def __init__(self, lhs: sp.Expr, rhs: sp.Expr, derivation: Any, deadline: float) -> None:
        self.lhs = lhs
        self.rhs = rhs
        self.derivation = derivation
        symbols = set(lhs.atoms(sp.Symbol)) | set(rhs.atoms(sp.Symbol))
        declared = getattr(derivation, "symbols", None) or {}
        definitions = getattr(derivation, "definitions", None) or {}
        for name, sym in declared.items():
            if name not in definitions and isinstance(sym, sp.Symbol):
                symbols.add(sym)
        self.symbols = symbols
        self.num = _Numeric(symbols, deadline)
        free = lhs.free_symbols | rhs.free_symbols
        self.positive = sorted((s for s in free if isinstance(s, sp.Symbol) and s.is_positive),
                               key=str)
        self.real = sorted((s for s in free if isinstance(s, sp.Symbol) and s.is_real
                            and not s.is_positive), key=str)
        self._diff: list[Any] | None = None

    def is_correct(self, candidate: sp.Basic) -> bool:
        """True when ``candidate`` equals the correct side."""
        return self.num.equal(self.lhs, candidate)

    def diff_values(self) -> list[Any] | None:
        """lhs − rhs at each point (None if it cannot be evaluated)."""
        if self._diff is None:
            try:
                self._diff = [self.num.value(self.lhs, k) - self.num.value(self.rhs, k)
                              for k in range(len(self.num.points))]
            except (_Unsure, ValueError, ZeroDivisionError, OverflowError, TypeError):
                self._diff = []
        return self._diff or None

    def diff_is(self, candidate: sp.Basic) -> bool:
        """True when lhs − rhs equals ``candidate`` at every point."""
        diff = self.diff_values()
        if diff is None:
            return False
        try:
            for k, d in enumerate(diff):
                if not self.num.close(d, self.num.value(candidate, k)):
                    return False
        except (_Unsure, ValueError, ZeroDivisionError, OverflowError, TypeError):
            return False
        return True


# --- tree helpers --------------------------------------------------------------------------

Path = tuple[int, ...]


def _nodes(expr: sp.Basic) -> Iterator[tuple[Path, sp.Basic]]:
    """(path, node) pairs, outermost first, at most :data:`MAX_NODES` of them."""
    stack: list[tuple[Path, sp.Basic]] = [((), expr)]
    seen = 0
    while stack and seen < MAX_NODES:
        path, node = stack.pop(0)
        seen += 1
        yield path, node
        if isinstance(node, (sp.Integral, Expectation)):
            stack.append(((*path, 0), node.args[0]))
            continue
        if isinstance(node, sp.exp) and node.has(sp.Symbol):
            continue  # a density's exponent: repairs there are not the mistakes we name
        for i, a in enumerate(node.args):
            stack.append(((*path, i), a))


def _replace(expr: sp.Basic, path: Path, new: sp.Basic) -> sp.Basic:
    if not path:
        return new
    i = path[0]
    args = list(expr.args)
    args[i] = _replace(args[i], path[1:], new)
    return expr.func(*args)


def _terms_with_paths(expr: sp.Basic) -> Iterator[tuple[Path, sp.Basic]]:
    """Every term of every sum in ``expr``, with its path."""
    for path, node in _nodes(expr):
        if isinstance(node, sp.Add):
            for i, t in enumerate(node.args):
                yield (*path, i), t


def _any(ctx: _Context, candidates: Iterator[sp.Basic] | list[sp.Basic]) -> bool:
    for cand in candidates:
        if ctx.is_correct(cand):
            return True
    return False


def _is_variance_name(sym: sp.Symbol) -> bool:
    name = sym.name.lower()
    return name in {"h", "v", "var", "variance", "s2", "tau2"} or name.startswith(
        ("var", "h_", "sigmasq", "sigma2sq"))


# --- detectors -----------------------------------------------------------------------------


_PI_FORMS = [k * sp.pi**e for e in (1, sp.Rational(1, 2)) for k in
             (1, 2, sp.Rational(1, 2), 4, sp.sqrt(2), 1 / sp.sqrt(2))]


def _pi_approximated(ctx: _Context) -> bool:
    def cands() -> Iterator[sp.Basic]:
        for path, node in _nodes(ctx.rhs):
            if node.is_Number and not node.is_Integer:
                v = float(node)
                for form in _PI_FORMS:
                    if v != 0 and abs(float(form) / v - 1) < 0.003:
                        yield _replace(ctx.rhs, path, form)

    return _any(ctx, cands())


def _second_moment(ctx: _Context) -> bool:
    def cands() -> Iterator[sp.Basic]:
        for path, node in _nodes(ctx.rhs):
            var = None
            if node.is_Pow and node.exp == 2 and node.base in ctx.positive:
                var = node
            elif node in ctx.positive and _is_variance_name(node):
                var = node
            if var is None:
                continue
            for m in ctx.real:
                yield _replace(ctx.rhs, path, var + m**2)

    return _any(ctx, cands())


def _cross_term_sign(ctx: _Context) -> bool:
    def cands() -> Iterator[sp.Basic]:
        for path, node in _nodes(ctx.rhs):
            if isinstance(node, sp.Add):
                for i, t in enumerate(node.args):
                    coeff, rest = t.as_coeff_Mul()
                    if abs(coeff) == 2 and len(rest.free_symbols) >= 2:
                        yield _replace(ctx.rhs, (*path, i), -t)
            if node.is_Pow and node.exp == 2 and isinstance(node.base, sp.Add) \
                    and len(node.base.args) == 2:
                a, b = node.base.args
                yield _replace(ctx.rhs, path, (a - b) ** 2)

    return _any(ctx, cands())


def _missing_cross_term(ctx: _Context) -> bool:
    def cands() -> Iterator[sp.Basic]:
        for path, node in _nodes(ctx.lhs):
            if node.is_Pow and node.exp == 2 and isinstance(node.base, sp.Add):
                yield _replace(ctx.lhs, path, sp.Add(*(t**2 for t in node.base.args)))

    for cand in cands():
        if ctx.num.equal(cand, ctx.rhs):
            return True
    return False


def _square_of_sum(ctx: _Context) -> bool:
    def cands() -> Iterator[sp.Basic]:
        for path, node in _nodes(ctx.lhs):
            if isinstance(node, sp.Add) and len(node.args) >= 2 and all(
                t.is_Pow and t.exp == 2 for t in node.args
            ):
                yield _replace(ctx.lhs, path, sp.Add(*(t.base for t in node.args)) ** 2)

    for cand in cands():
        if ctx.num.equal(cand, ctx.rhs):
            return True
    return False


def _log_of_sum_split(ctx: _Context) -> bool:
    for path, node in _nodes(ctx.lhs):
        if isinstance(node, sp.log) and isinstance(node.args[0], sp.Add):
            wrong = sp.Add(*(sp.log(t) for t in node.args[0].args))
            if ctx.num.equal(_replace(ctx.lhs, path, wrong), ctx.rhs):
                return True
    return False


def _has_log_of_root(expr: sp.Basic) -> bool:
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.log):
            for sub in sp.preorder_traversal(node.args[0]):
                if sub.is_Pow and sub.exp in (sp.Rational(1, 2), sp.Rational(-1, 2)):
                    return True
    return False


def _log_inverse_sqrt(ctx: _Context) -> bool:
    if not _has_log_of_root(ctx.lhs):
        return False

    def cands() -> Iterator[sp.Basic]:
        for path, node in _nodes(ctx.rhs):
            if isinstance(node, sp.log):
                yield _replace(ctx.rhs, path, node / 2)
        for s in ctx.positive:
            yield ctx.rhs + sp.log(s) / 2

    return _any(ctx, cands())


def _log_std_for_log_var(ctx: _Context) -> bool:
    def cands() -> Iterator[sp.Basic]:
        for path, node in _nodes(ctx.rhs):
            if isinstance(node, sp.log):
                arg = node.args[0]
                for s in ctx.positive:
                    if arg.has(s):
                        yield _replace(ctx.rhs, path, sp.log(arg.xreplace({s: s**2})))
                        yield _replace(ctx.rhs, path, sp.log(arg.xreplace({s**2: s})))
                yield _replace(ctx.rhs, path, 2 * node)

    return _any(ctx, cands())


def _occurrences(expr: sp.Basic, sym: sp.Symbol) -> list[Path]:
    return [p for p, n in _nodes(expr) if n == sym]


def _sigma_for_variance(ctx: _Context) -> bool:
    for s in ctx.positive:
        if _is_variance_name(s):
            continue
        paths = [p for p in _occurrences(ctx.rhs, s)]
        cands = [ctx.rhs.xreplace({s: s**2})]
        # a single occurrence that is not already the base of a square
        for p in paths:
            parent = _get(ctx.rhs, p[:-1]) if p else None
            if parent is not None and parent.is_Pow and parent.base == s:
                cands.append(_replace(ctx.rhs, p[:-1], s ** (2 * parent.exp)))
            else:
                cands.append(_replace(ctx.rhs, p, s**2))
        if _any(ctx, cands):
            return True
    return False


def _get(expr: sp.Basic, path: Path) -> sp.Basic:
    for i in path:
        expr = expr.args[i]
    return expr


def _squared_paths(expr: sp.Basic, s: sp.Symbol) -> list[tuple[Path, sp.Basic]]:
    return [(p, n) for p, n in _nodes(expr) if n.is_Pow and n.base == s and n.exp.is_Integer
            and n.exp % 2 == 0]


def _variance_as_std(ctx: _Context) -> bool:
    for s in ctx.positive:
        if not _is_variance_name(s):
            continue
        cands = [ctx.rhs.xreplace({s**2: s}), ctx.rhs.xreplace({s: sp.sqrt(s)})]
        cands += [_replace(ctx.rhs, p, s ** (n.exp / 2)) for p, n in _squared_paths(ctx.rhs, s)]
        # log h where log sqrt(h) is meant (h used as a standard deviation in log sigma)
        cands += [_replace(ctx.rhs, p, sp.sqrt(s)) for p in _occurrences(ctx.rhs, s)]
        if _any(ctx, cands):
            return True
    return False


def _variance_for_sigma(ctx: _Context) -> bool:
    for s in ctx.positive:
        if _is_variance_name(s):
            continue
        cands = [ctx.rhs.xreplace({s**2: s})]
        cands += [_replace(ctx.rhs, p, s ** (n.exp / 2)) for p, n in _squared_paths(ctx.rhs, s)]
        if _any(ctx, cands):
            return True
    return False


def _swap_pairs(ctx: _Context) -> list[dict[sp.Basic, sp.Basic]]:
    by_name = {s.name: s for s in ctx.symbols}
    swap: dict[sp.Basic, sp.Basic] = {}
    for name, s in by_name.items():
        if name.endswith("1"):
            other = by_name.get(name[:-1] + "2")
            if other is not None:
                swap[s], swap[other] = other, s
    out = [swap] if swap else []
    apps = sorted({a for a in (ctx.lhs.atoms(AppliedUndef) | ctx.rhs.atoms(AppliedUndef))},
                  key=str)
    for i, a in enumerate(apps):
        for b in apps[i + 1:]:
            out.append({a: b, b: a})
    return out


def _kl_normal(m1: sp.Expr, v1: sp.Expr, m2: sp.Expr, v2: sp.Expr) -> sp.Expr:
    """KL(N(m1, v1) ‖ N(m2, v2)) for variances v1, v2 (notes §3.3)."""
    return sp.log(v2 / v1) / 2 + (v1 + (m1 - m2) ** 2) / (2 * v2) - sp.Rational(1, 2)


def _kl_swapped(ctx: _Context) -> bool:
    for mapping in _swap_pairs(ctx):
        if ctx.num.equal(ctx.lhs.xreplace(mapping), ctx.rhs):
            return True
    # KL(q ‖ N(0, 1)) against KL(N(0, 1) ‖ q), for q = N(m, v) with v a variance or a sd
    for v in ctx.positive:
        for m in ctx.real:
            for var in (v, v**2):
                if ctx.num.equal(ctx.lhs, _kl_normal(m, var, 0, 1)) and ctx.num.equal(
                        ctx.rhs, _kl_normal(0, 1, m, var)):
                    return True
    return False


def _log_ratio_flipped(ctx: _Context) -> bool:
    def cands() -> Iterator[sp.Basic]:
        for path, node in _nodes(ctx.rhs):
            if isinstance(node, sp.log):
                yield _replace(ctx.rhs, path, -node)

    return _any(ctx, cands())


def _bound_variables(expr: sp.Basic) -> set[sp.Basic]:
    out: set[sp.Basic] = set()
    for node in sp.preorder_traversal(expr):
        if isinstance(node, Expectation):
            out.add(node.variable)
        elif isinstance(node, sp.Integral):
            out.update(lim[0] for lim in node.limits)
    return out


def _density_logs(term: sp.Basic) -> list[sp.Basic]:
    return [n for n in sp.preorder_traversal(term)
            if isinstance(n, sp.log) and n.args[0].has(AppliedUndef)]


def _flip_density_term(ctx: _Context, evidence: bool) -> bool:
    bound = _bound_variables(ctx.rhs) | _bound_variables(ctx.lhs)
    for path, t in _terms_with_paths(ctx.rhs):
        logs = _density_logs(t)
        if not logs:
            continue
        apps = [a for lg in logs for a in lg.atoms(AppliedUndef)]
        is_evidence = all(not (set(a.args) & bound) for a in apps) and not t.has(Expectation)
        if is_evidence != evidence:
            continue
        if ctx.is_correct(_replace(ctx.rhs, path, -t)):
            return True
    return False


def _log_evidence_sign(ctx: _Context) -> bool:
    return _flip_density_term(ctx, evidence=True)


def _log_density_sign(ctx: _Context) -> bool:
    return _flip_density_term(ctx, evidence=False)


def _c_for_C(ctx: _Context) -> bool:
    by_name = {sym.name: sym for sym in ctx.symbols}
    small = by_name.get("c")
    big = by_name.get("C", sp.Symbol("C", positive=True))
    if small is None:
        return False
    meaning = {big: 1 / (2 * small)}  # §2: C = 1/(2c)
    target = ctx.lhs.xreplace(meaning)
    if ctx.num.equal(target, ctx.rhs.xreplace(meaning)):
        return False
    # undo one confusion in what was written, then read C as 1/(2c) on both sides
    for repair in ({small: big}, {big: small}, {big: 1 / small}, {small: 1 / big},
                   {big: 2 * small}, {small: 2 * big}):
        if ctx.num.equal(target, ctx.rhs.xreplace(repair).xreplace(meaning)):
            return True
    return False


def _logs_of_pi(expr: sp.Basic) -> bool:
    return any(isinstance(n, sp.log) and n.args[0].has(sp.pi) for n in sp.preorder_traversal(expr))


def _normaliser_one_side(ctx: _Context) -> bool:
    if _logs_of_pi(ctx.lhs) and _logs_of_pi(ctx.rhs):
        return False  # a normaliser on both sides: a factor went wrong, not a normaliser
    two_pi = 2 * sp.pi
    cands: list[sp.Basic] = []
    for k in (sp.Rational(1, 2), -sp.Rational(1, 2), 1, -1):
        cands.append(k * sp.log(two_pi))
        for s in ctx.positive:
            cands += [k * sp.log(two_pi * s**2), k * sp.log(two_pi * s)]
    definitions = getattr(ctx.derivation, "definitions", None) or {}
    for value in definitions.values():
        if isinstance(value, sp.Expr) and not value.has(sp.Integral, Expectation) and \
                not (value.free_symbols & _bound_variables(ctx.lhs)):
            cands += [sp.log(value), -sp.log(value)]
    return any(ctx.diff_is(c) for c in cands)


def _constant_term(expr: sp.Basic) -> sp.Basic | None:
    if expr.has(sp.Integral, Expectation) or sp.count_ops(expr) > 200:
        return None
    return sp.expand(expr).as_coeff_Add()[0]


def _missing_minus_one(ctx: _Context) -> bool:
    for missing in (-sp.Rational(1, 2), sp.Integer(-1)):
        if ctx.diff_is(missing):
            # the correct side's constant is exactly what went missing
            constant = _constant_term(ctx.lhs)
            return constant is None or constant == missing
    return False


def _has_half(expr: sp.Basic) -> bool:
    return any(r.q == 2 for r in expr.atoms(sp.Rational))


def _factor_two(ctx: _Context) -> bool:
    return not _has_half(ctx.lhs) and ctx.num.equal(2 * ctx.lhs, ctx.rhs)


def _dropped_half(ctx: _Context) -> bool:
    if not _has_half(ctx.lhs):
        return False

    def cands() -> Iterator[sp.Basic]:
        yield ctx.rhs / 2
        for path, node in _nodes(ctx.rhs):
            if path and (isinstance(node, (sp.Add, sp.Mul, sp.Pow, sp.log, sp.Symbol))
                         or (node.is_Number and node != 0)):
                yield _replace(ctx.rhs, path, node / 2)

    return _any(ctx, cands())


def _overall_sign(ctx: _Context) -> bool:
    return ctx.num.equal(-ctx.lhs, ctx.rhs)


def _sign_error(ctx: _Context) -> bool:
    return _any(ctx, (_replace(ctx.rhs, p, -t) for p, t in _terms_with_paths(ctx.rhs)))


def _dropped_term(ctx: _Context) -> bool:
    for _, t in _terms_with_paths(ctx.lhs):
        if ctx.diff_is(t):
            return True
    return False


# --- the catalogue -------------------------------------------------------------------------

CATALOGUE: tuple[CatalogueEntry, ...] = (
    CatalogueEntry(
        "pi-approximated", "π replaced by a decimal",
        "π was replaced by a rounded decimal: the normaliser is exactly √(2πσ²) (§3), so a "
        "rounded π changes the value by a small constant.", _pi_approximated),
    CatalogueEntry(
        "second-moment-missing-mean", "E[x²] = σ² (μ² forgotten)",
        "§3.1: under N(μ₁, σ₁²), E[x²] = σ₁² + μ₁², not σ₁² (the second moment includes the "
        "squared mean); in §4, E[z²] = h + g².", _second_moment),
    CatalogueEntry(
        "cross-term-sign", "sign of the cross term 2xμ",
        "§3.1: (x − μ₁)² = x² − 2xμ₁ + μ₁²: the cross term carries a minus sign (and in §3.2, "
        "−2μ₂μ₁).", _cross_term_sign),
    CatalogueEntry(
        "missing-cross-term", "(a − b)² expanded as a² + b²",
        "(a − b)² = a² − 2ab + b²: the cross term −2ab is missing (§3.1 expands (x − μ₁)² as "
        "x² − 2xμ₁ + μ₁²).", _missing_cross_term),
    CatalogueEntry(
        "square-of-sum-for-squared-norm", "a squared norm written as the square of a sum",
        "A squared norm ‖x − x̂‖² = Σᵢ (xᵢ − x̂ᵢ)² is a sum of squares, not the square of a sum "
        "(§2's reconstruction term).", _square_of_sum),
    CatalogueEntry(
        "log-of-sum-split", "log(a + b) split as log a + log b",
        "log(a + b) ≠ log a + log b: the logarithm turns products into sums (log ab = log a + "
        "log b, used in §2 and §3), not sums into sums.", _log_of_sum_split),
    CatalogueEntry(
        "kl-direction-swapped", "the KL direction swapped",
        "KL is not symmetric: KL(q ‖ p) = E_q[log q/p] ≠ KL(p ‖ q). The notes take "
        "KL(q(z|x), p(z|x)) in §2 and KL(p₁, p₂) = ∫ p₁ log(p₁/p₂) dx in §3.", _kl_swapped),
    CatalogueEntry(
        "log-evidence-sign", "the sign of log p(x)",
        "§2: by Bayes' rule −log p(z|x) = −log p(x|z) − log p(z) + log p(x), so "
        "KL(q ‖ p(z|x)) = KL(q ‖ p(z)) − E_q[log p(x|z)] + log p(x): log p(x) enters with a "
        "plus sign.", _log_evidence_sign),
    CatalogueEntry(
        "log-density-sign", "the sign of a log-density term",
        "§2: log(q/p) = log q − log p; a log-density term has the wrong sign (check Bayes' "
        "rule p(z|x) = p(x|z)p(z)/p(x) and the sign in front of each log).", _log_density_sign),
    CatalogueEntry(
        "log-inverse-sqrt", "log(1/√h) taken as −log h",
        "§4: log(1/√h) = −½ log h, not −log h: the square root halves the logarithm.",
        _log_inverse_sqrt),
    CatalogueEntry(
        "log-std-for-log-variance", "log σ where log σ² is meant (or the reverse)",
        "log σ² = 2 log σ: the log of the variance is twice the log of the standard deviation "
        "(§3.3: ½ log(2πσ₂²) − ½ log(2πσ₁²) = log(σ₂/σ₁)).", _log_std_for_log_var),
    CatalogueEntry(
        "variance-as-std", "h, a variance, used as a standard deviation",
        "§2/§4: q(z|x) = N(g, h) has variance h, so σ₁² = h in §3's formula: the KL is "
        "½(h + g² − log h − 1), with h (not h²) and log h (not 2 log h).", _variance_as_std),
    CatalogueEntry(
        "sigma-for-variance", "σ where σ² is meant",
        "A standard deviation σ was written where the variance σ² is meant: N(μ, σ²) has "
        "E[(x − μ)²] = σ² and the exponent −(x − μ)²/(2σ²) (§3).", _sigma_for_variance),
    CatalogueEntry(
        "variance-for-sigma", "σ² where σ is meant",
        "A variance σ² was written where the standard deviation σ is meant (e.g. §3.3's "
        "log(σ₂/σ₁) uses standard deviations).", _variance_for_sigma),
    CatalogueEntry(
        "log-ratio-flipped", "log(a/b) written as log(b/a)",
        "log(a/b) = −log(b/a): the ratio inside the logarithm is upside down (§3.3: "
        "log(σ₂/σ₁), from ½ log 2πσ₂² − ½ log 2πσ₁²).", _log_ratio_flipped),
    CatalogueEntry(
        "c-vs-capital-c", "C confused with c",
        "§2: C = 1/(2c), where c is the variance of the Gaussian likelihood N(f(z), cI): "
        "(x − x̂)²/(2c) = C(x − x̂)², and C is neither c nor 1/c.", _c_for_C),
    CatalogueEntry(
        "normaliser-one-side", "a normaliser kept on one side only",
        "A normalising constant appears on one side only: log N(x; μ, σ²) = −log Z − "
        "(x − μ)²/(2σ²) with Z = √(2πσ²) (§3.1). It may be dropped from an optimisation "
        "(§2, the relation =~), not from an equality.", _normaliser_one_side),
    CatalogueEntry(
        "missing-minus-one", "the −1 (or −½) constant lost",
        "A constant −1 (−½ after the factor ½) was lost: §3.1 gives −½ from "
        "E[(x − μ₁)²]/(2σ₁²), and §4's KL to N(0, 1) is ½(h + g² − log h − 1), with the −1.",
        _missing_minus_one),
    CatalogueEntry(
        "dropped-half", "a dropped ½",
        "A factor ½ was lost: the Gaussian exponent is −(x − μ)²/(2σ²) and log Z = "
        "½ log(2πσ²), so ½ runs through §3 and §4 (KL = ½(h + g² − log h − 1)).",
        _dropped_half),
    CatalogueEntry(
        "factor-two", "a factor 2 on the whole",
        "The written side is twice the correct one: a factor 2 was introduced (for example "
        "log σ² = 2 log σ applied where the ½ had already been used).", _factor_two),
    CatalogueEntry(
        "overall-sign", "the sign of the whole expression",
        "The whole expression changed sign (e.g. −∫ p₁ log p₂ in §3.2 against ∫ p₁ log p₂, or "
        "the loss −ELBO against the ELBO).", _overall_sign),
    CatalogueEntry(
        "sign-error", "one term with the wrong sign",
        "One term has the wrong sign; the rest of the step is right.", _sign_error),
    CatalogueEntry(
        "dropped-term", "a term dropped",
        "A whole term of the previous expression is missing from this step.", _dropped_term),
)


def diagnose(lhs: Any, rhs: Any, derivation: Any, step: Any) -> Mistake | None:
    """Name the mistake a refuted step makes, if it is one of :data:`CATALOGUE`.

    Parameters
    ----------
    lhs : sympy.Expr
        what the step should equal: the previous expression, definitions substituted.
    rhs : sympy.Expr
        what the step wrote, definitions substituted.
    derivation : Derivation or None
        the derivation (its declared symbols and ``let`` definitions help some detectors).
    step : Step or None
        the refuted step (unused by the detectors; kept for the engine's contract).

    Returns
    -------
    Mistake or None
        the first matching entry, with the smallest differing sub-expression of ``rhs``
        where one is found; None when nothing matches, the two sides agree numerically,
        the time budget (:data:`TIME_BUDGET`) runs out, or anything goes wrong.

    Examples
    --------
    >>> import sympy as sp
    >>> mu, x = sp.symbols("mu x", real=True)
    >>> m = diagnose(x**2 - 2*x*mu + mu**2, x**2 + 2*x*mu + mu**2, None, None)
    >>> m.name, m.subexpression
    ('cross-term-sign', 2*mu*x)
    """
    del step
    try:
        if not isinstance(lhs, sp.Basic) or not isinstance(rhs, sp.Basic):
            return None
        deadline = time.perf_counter() + TIME_BUDGET
        ctx = _Context(lhs, rhs, derivation, deadline)
        if not ctx.num.differs(ctx.lhs, ctx.rhs):
            return None
        for entry in CATALOGUE:
            if entry.detector(ctx):
                found = None
                try:
                    found = smallest_difference(ctx.lhs, ctx.rhs, ctx.num.differs)
                except Exception:
                    found = None
                expected, sub = found if found else (None, None)
                return Mistake(entry.name, entry.explanation, sub, expected)
        return None
    except _OutOfTime:
        return None
    except Exception:
        return None


def locate_difference(lhs: Any, rhs: Any) -> tuple[sp.Basic, sp.Basic] | None:
    """The smallest part of ``rhs`` that differs from the matching part of ``lhs``.

    For any refuted step, named mistake or not: the parallel tree walk of
    :func:`~elbo_derivation.explain.subexpr.smallest_difference`, comparing sub-expressions
    at the same random points as :func:`diagnose`. Bounded by :data:`TIME_BUDGET`; never
    raises.

    Returns
    -------
    (correct part, written part) or None
        None when the two do not differ at the points, or on any failure.

    Examples
    --------
    >>> import sympy as sp
    >>> s = sp.Symbol("sigma", positive=True)
    >>> mu = sp.Symbol("mu", real=True)
    >>> locate_difference(sp.log(s) + (s**2 + mu**2) / 2, sp.log(s) + (s**2 + mu) / 2)
    (mu**2, mu)
    """
    try:
        if not isinstance(lhs, sp.Basic) or not isinstance(rhs, sp.Basic):
            return None
        ctx = _Context(lhs, rhs, None, time.perf_counter() + TIME_BUDGET)
        return smallest_difference(lhs, rhs, ctx.num.differs)
    except Exception:
        return None
