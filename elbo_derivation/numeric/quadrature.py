"""Each step's two sides evaluated by quadrature at many parameter points.

The symbolic engine says whether a step is an identity; this module checks the same step on
numbers, independently. Both sides are evaluated (:mod:`elbo_derivation.numeric.evaluate`) at
``n_points`` random points drawn from wide ranges plus six edge points
(:mod:`elbo_derivation.numeric.points`: means in [−10, 10], standard deviations log-uniform in
[1e-3, 1e3], equal means, equal sigmas, extreme ratios); every integral and expectation is
computed by ``scipy.integrate.quad_vec`` in the standardised variable u = (x − μ)/σ (all the
integrals of a derivation at all points in one call), with stable integrands (log-densities
split into polynomials, never log(pdf/pdf)). Abstract §2
steps are evaluated on the linear-Gaussian instance
(:mod:`elbo_derivation.numeric.linear_gaussian`).

Comparison
----------
At each point the error of a step is ``|lhs − rhs| / scale``, where ``scale`` is the largest
of |lhs|, |rhs| and the magnitudes of their top-level terms and integrals (the size of what
was added or integrated: below it no floating-point evaluation resolves a difference); where
all of these are 0 the absolute error is used. Then

- a ``=`` step passes when the worst error over the points is at most :data:`TOLERANCE`
  (1e-10);
- a ``<=`` / ``>=`` step passes when the inequality holds at every point up to that
  tolerance;
- a ``=~ [g, h]`` step passes when lhs − rhs does not change (to that tolerance) when the
  ``wrt`` variables are redrawn, twice per point.

Points where the left side is not finite (outside the previous expression's domain) are
skipped; a right side that is not finite where the left side is finite fails the step.
Every point is evaluated fast (float64, vectorised); where the fast evaluation does not pass,
the point is evaluated again with 30-digit closed-form parts, and that result counts.

Examples
--------
>>> import numpy as np, sympy as sp
>>> from elbo_derivation.core.steps import Derivation, Relation, Step
>>> x, mu = sp.Symbol("x", real=True), sp.Symbol("mu", real=True)
>>> sigma = sp.Symbol("sigma", positive=True)
>>> p = sp.exp(-(x - mu)**2 / (2*sigma**2)) / sp.sqrt(2*sp.pi*sigma**2)
>>> d = Derivation(title="second moment", symbols={"x": x, "mu": mu, "sigma": sigma},
...                start=sp.Integral(p * x**2, (x, -sp.oo, sp.oo)),
...                steps=[Step(1, Relation.EQ, sigma**2 + mu**2, "E[x²] = σ² + μ²"),
...                       Step(2, Relation.EQ, sigma**2 + 2*mu**2, "a wrong step")])
>>> checks = check_quadrature(d, rng=np.random.default_rng(0))
>>> [c.ok for c in checks]
[True, False]
>>> checks[0].details["n_points"] >= 20 and checks[0].details["worst_error"] <= 1e-10
True
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sympy as sp

from elbo_derivation.core.steps import Derivation, NumericCheck, Relation, Step
from elbo_derivation.numeric import linear_gaussian
from elbo_derivation.numeric.evaluate import (
    DIGITS,
    EvaluationError,
    PreparedSide,
    SideValues,
    compile_side,
    evaluate,
    instance_keys,
    network_for,
    prepare,
)
from elbo_derivation.numeric.network_instance import NetworkInstance
from elbo_derivation.numeric.points import (
    Point,
    declared_domains,
    declared_simplexes,
    draw_points,
    on_simplexes,
    random_point,
)

__all__ = ["TOLERANCE", "check_quadrature", "prepare_steps"]

#: Agreement required of the two sides of a step (relative, see the module docstring).
TOLERANCE = 1e-10
#: Digits of the last evaluation of a point where 30 digits still find the sides apart.
HIGH_DIGITS = 400
#: Redraws of the ``wrt`` variables per point in a ``=~`` step.
VARIANTS = 2


def _point_json(point: Point) -> dict[str, float]:
    return {s.name: float(v) for s, v in sorted(point.items(), key=lambda kv: kv[0].name)}


#: Prepared sides, by expression and derivation context (the sampling check reuses them).
_PREPARED: dict[Any, PreparedSide | str] = {}


def prepare_steps(
    d: Derivation, params: linear_gaussian.LinearGaussianSymbols | None = None
) -> dict[int, tuple[PreparedSide, PreparedSide] | str]:
    """Each step's two sides prepared for evaluation, or the reason they cannot be.

    Keys are step indices; a value is ``(lhs, rhs)`` or a message.
    """
    if params is None:
        params = linear_gaussian.instance_symbols(d.symbols)
    keys = instance_keys(d)
    network = network_for(d)
    context = (tuple(d.definitions.items()), tuple(d.symbols.items()), params,
               tuple(keys.items()),
               network.words if isinstance(network, NetworkInstance) else network)

    def prep(expr: sp.Expr) -> PreparedSide | str:
        key = (expr, context)
        if key not in _PREPARED:
            if len(_PREPARED) > 2048:
                _PREPARED.clear()
            try:
                _PREPARED[key] = prepare(expr, d, params, keys, network)
            except EvaluationError as err:
                _PREPARED[key] = str(err)
        return _PREPARED[key]

    out: dict[int, tuple[PreparedSide, PreparedSide] | str] = {}
    for step in d.steps:
        lhs, rhs = prep(step.lhs(d)), prep(step.expr)
        if isinstance(lhs, str):
            out[step.index] = lhs
        elif isinstance(rhs, str):
            out[step.index] = rhs
        else:
            out[step.index] = (lhs, rhs)
    return out


@dataclass
class _Values:
    """Values of every side at the points, fast first, precise where that was needed."""

    points: list[Point]
    sides: dict[sp.Expr, SideValues]
    refined: dict[sp.Expr, set[int]] = field(default_factory=dict)

    def refine(self, needed: dict[sp.Expr, set[int]], digits: int = DIGITS) -> None:
        """Re-evaluate the given (side, point) pairs precisely, in one batch."""
        needed = {e: js for e, js in needed.items() if js}
        for e, js in needed.items():
            self.refined.setdefault(e, set()).update(js)
        if not needed:
            return
        js = sorted(set().union(*needed.values()))
        exprs = list(needed)  # (in step order)
        precise = evaluate(exprs, [self.points[j] for j in js], precise=True, digits=digits)
        for e, sv in zip(exprs, precise, strict=True):
            for k, j in enumerate(js):
                if j in needed[e]:
                    self.sides[e].values[j] = sv.values[k]
                    self.sides[e].magnitudes[j] = sv.magnitudes[k]


def _scale(*pairs: tuple[SideValues, int]) -> float:
    out = 0.0
    for sv, j in pairs:
        out = max(out, abs(float(sv.values[j])), float(sv.magnitudes[j]))
    return out


def _pointwise(step: Step, lv: SideValues, rv: SideValues, j: int) -> tuple[float, str]:
    """The error of the step at point j (0 when it holds), and its kind."""
    scale = _scale((lv, j), (rv, j))
    if step.relation is Relation.LE:
        diff = max(0.0, float(lv.values[j] - rv.values[j]))
    elif step.relation is Relation.GE:
        diff = max(0.0, float(rv.values[j] - lv.values[j]))
    else:
        diff = float(abs(lv.values[j] - rv.values[j]))
    return (diff / scale, "relative") if scale > 0 else (diff, "absolute")


def check_quadrature(
    d: Derivation, *, rng: np.random.Generator, n_points: int = 20
) -> list[NumericCheck]:
    """Check every step of ``d`` by quadrature at ``n_points`` random points plus edge points.

    Sets ``step.quadrature`` on every step and returns the checks in step order. A step whose
    sides cannot be evaluated (an abstract density no numeric instance knows, a derivative
    or a sum left unevaluated, a half-infinite integral), or whose left side is finite at too
    few points, gets a check that was not made (``made`` false), whose ``reason`` says why:
    never a failure. Nothing raises.

    Parameters
    ----------
    d : Derivation
        the derivation; its ``let`` definitions and abstract densities are expanded.
    rng : numpy.random.Generator
        draws the points (the same state gives the same points and results).
    n_points : int
        random points (at least 1); the six edge points of
        :data:`elbo_derivation.numeric.points.EDGE_NAMES` are added. One set of points serves
        every step of the derivation.

    Returns
    -------
    list of NumericCheck
        ``kind="quadrature"``. ``details``: ``n_points`` (points where the step was compared),
        ``worst_error`` and ``error_kind`` ("relative" or "absolute"), ``tolerance``,
        ``worst_point`` with both sides there (``lhs``, ``rhs``), ``refined`` (points that
        needed the 30-digit evaluation), ``instance`` (whether the linear-Gaussian instance
        was used), ``seconds`` (this step's share of the derivation's time: its sides are
        evaluated together); ``worst_margin`` for an inequality; ``wrt`` for ``=~``.

    Raises
    ------
    ValueError
        if ``n_points`` is smaller than 1.
    """
    if int(n_points) < 1:
        raise ValueError(f"n_points must be at least 1, got {n_points!r}")
    start = time.perf_counter()
    params = linear_gaussian.instance_symbols(d.symbols)
    prepared = prepare_steps(d, params)
    usable = {i: v for i, v in prepared.items() if not isinstance(v, str)}
    symbols: set[sp.Symbol] = set()
    for lhs, rhs in usable.values():
        symbols |= lhs.free_symbols | rhs.free_symbols
    domains = declared_domains(d)
    points = on_simplexes(draw_points(symbols, rng=rng, n_random=int(n_points),
                                      domains=domains), declared_simplexes(d))
    exprs = list(dict.fromkeys(s.expr for pair in usable.values() for s in pair))  # step order
    broken: dict[sp.Expr, str] = {}
    for e in exprs:
        try:
            compile_side(e)
        except EvaluationError as err:
            broken[e] = f"cannot evaluate: {err}"
    for i, (lhs, rhs) in list(usable.items()):
        if lhs.expr in broken or rhs.expr in broken:
            prepared[i] = broken.get(lhs.expr) or broken[rhs.expr]
            del usable[i]
    exprs = [e for e in exprs if e not in broken]
    values = _Values(points, dict(zip(exprs, evaluate(exprs, points), strict=True)))
    _refine_failures(d, usable, values)
    checks = []
    for step in d.steps:
        item = prepared[step.index]
        if isinstance(item, str):  # no instance, or a side that cannot be evaluated
            check = NumericCheck(kind="quadrature", ok=False, details={}, reason=item,
                                 made=False)
        elif step.relation is Relation.EQ_UP_TO:
            check = _check_up_to(step, d, item, values, params, rng, n_points)
        else:
            check = _check_step(step, item, values, n_points)
        step.quadrature = check
        checks.append(check)
    share = (time.perf_counter() - start) / max(1, len(d.steps))
    for check in checks:
        check.details["seconds"] = round(share, 6)
    return checks


def _refine_failures(d: Derivation, usable: dict[int, tuple[PreparedSide, PreparedSide]],
                     values: _Values) -> None:
    """Evaluate precisely every (side, point) where the fast evaluation fails a step.

    Repeated until no step fails at a point it has not been refined at: a side shared by two
    steps may be refined for one of them and then fail the other against its fast neighbour.
    """
    for _ in range(len(d.steps) + 1):
        needed: dict[sp.Expr, set[int]] = {}
        for step in d.steps:
            if step.index not in usable or step.relation is Relation.EQ_UP_TO:
                continue
            lhs, rhs = usable[step.index]
            lv, rv = values.sides[lhs.expr], values.sides[rhs.expr]
            done_l = values.refined.get(lhs.expr, set())
            done_r = values.refined.get(rhs.expr, set())
            for j in range(len(values.points)):
                if j in done_l and j in done_r:
                    continue
                if (not (lv.finite(j) and rv.finite(j))
                        or _pointwise(step, lv, rv, j)[0] > TOLERANCE):
                    if j not in done_l:
                        needed.setdefault(lhs.expr, set()).add(j)
                    if j not in done_r:
                        needed.setdefault(rhs.expr, set()).add(j)
        if not needed:
            break
        values.refine(needed)
    # what still fails, once more with many more digits: a difference that 30 digits lose to
    # cancellation (1 − (1 − u)^(1/b) at b = 3e-3 needs over 200) is no failure of the step
    still: dict[sp.Expr, set[int]] = {}
    for step in d.steps:
        if step.index not in usable or step.relation is Relation.EQ_UP_TO:
            continue
        lhs, rhs = usable[step.index]
        lv, rv = values.sides[lhs.expr], values.sides[rhs.expr]
        for j in range(len(values.points)):
            if lv.finite(j) and (not rv.finite(j) or _pointwise(step, lv, rv, j)[0] > TOLERANCE):
                still.setdefault(lhs.expr, set()).add(j)
                still.setdefault(rhs.expr, set()).add(j)
    if still and sum(len(js) for js in still.values()) <= 4 * len(values.points):
        values.refine(still, digits=HIGH_DIGITS)


def _refined_count(values: _Values, sides: tuple[PreparedSide, PreparedSide]) -> int:
    return len(values.refined.get(sides[0].expr, set()) | values.refined.get(sides[1].expr, set()))


def _check_step(step: Step, sides: tuple[PreparedSide, PreparedSide], values: _Values,
                n_points: int) -> NumericCheck:
    lv, rv = values.sides[sides[0].expr], values.sides[sides[1].expr]
    instance = sides[0].instance or sides[1].instance
    used, worst, worst_j, kind = 0, -math.inf, -1, "relative"
    margins = []
    for j, point in enumerate(values.points):
        if not lv.finite(j):
            continue
        used += 1
        if not rv.finite(j):
            return NumericCheck(
                kind="quadrature", ok=False,
                details={"n_points": used, "worst_point": _point_json(point),
                         "lhs": float(lv.values[j]), "rhs": math.nan, "instance": instance},
                reason="the right side is not finite where the left side is, at "
                       f"{_point_json(point)}")
        err, ekind = _pointwise(step, lv, rv, j)
        if step.relation in (Relation.LE, Relation.GE):
            sign = 1 if step.relation is Relation.LE else -1
            scale = _scale((lv, j), (rv, j)) or 1.0
            margins.append(sign * float(rv.values[j] - lv.values[j]) / scale)
        if err > worst:
            worst, worst_j, kind = err, j, ekind
    if used < n_points:  # too few points to compare at: the check is not made
        return NumericCheck(kind="quadrature", ok=False,
                            details={"n_points": used, "instance": instance},
                            reason=f"the left side is finite at only {used} of "
                                   f"{len(values.points)} points", made=False)
    details: dict[str, Any] = {
        "n_points": used,
        "worst_error": worst,
        "error_kind": kind,
        "tolerance": TOLERANCE,
        "worst_point": _point_json(values.points[worst_j]),
        "lhs": float(lv.values[worst_j]),
        "rhs": float(rv.values[worst_j]),
        "refined": _refined_count(values, sides),
        "instance": instance,
    }
    if margins:
        details["worst_margin"] = min(margins)
    ok = worst <= TOLERANCE
    if ok:
        reason = ""
    elif step.relation is Relation.EQ:
        reason = f"the sides differ by {worst:.3g} ({kind}) at {details['worst_point']}"
    else:
        reason = (f"the inequality {step.relation.symbol} fails by {worst:.3g} ({kind}) at "
                  f"{details['worst_point']}")
    return NumericCheck(kind="quadrature", ok=ok, details=details, reason=reason)


def _wrt_symbols(step: Step, d: Derivation, sides: Sequence[PreparedSide],
                 params: linear_gaussian.LinearGaussianSymbols) -> list[sp.Symbol]:
    """The variables a ``=~ [names]`` step is taken with respect to, resolved through the
    derivation's declarations: a declared symbol is itself; a declared density or function
    (named by its stem, ``q`` for ``q(z|x)``) stands for the instance parameters its
    linear-Gaussian instance depends on (the encoder's mean and spread for the variational
    density, the decoder mean's slope and offset for a real function of the latent
    variable), found from its role, whatever its letters.
    """
    present = {s.name: s for side in sides for s in side.free_symbols}
    keys = instance_keys(d)
    out: list[sp.Symbol] = []
    for name in step.wrt:
        declared = d.symbols.get(name)
        if isinstance(declared, sp.Symbol) and declared.name in present:
            out.append(present[declared.name])
            continue
        found: list[sp.Symbol] = []
        if any(side.instance for side in sides):
            for f, key in keys.items():
                if key is not None and _stem(f) == name:
                    found.extend(p for p in linear_gaussian.instance_parameters(key, params)
                                 if p not in found and p not in out)
        if not found:
            raise EvaluationError(f"the step is taken with respect to {name!r}, which "
                                  "appears in neither side")
        out.extend(found)
    return out


def _stem(f: sp.Expr) -> str:
    """The name an abstract function is written with: ``q`` for ``q(z|x)``, ``f`` for f."""
    name = f.func.__name__
    return name.split("(", 1)[0].strip()


def _check_up_to(step: Step, d: Derivation, sides: tuple[PreparedSide, PreparedSide],
                 values: _Values,
                 params: linear_gaussian.LinearGaussianSymbols, rng: np.random.Generator,
                 n_points: int) -> NumericCheck:
    """lhs − rhs must not change when the ``wrt`` variables are redrawn."""
    instance = sides[0].instance or sides[1].instance
    try:
        wrt = _wrt_symbols(step, d, sides, params)
    except EvaluationError as err:
        return NumericCheck(kind="quadrature", ok=False, details={"instance": instance},
                            reason=str(err), made=False)
    le, re_ = sides[0].expr, sides[1].expr
    lv, rv = values.sides[le], values.sides[re_]
    base = [j for j in range(len(values.points)) if lv.finite(j) and rv.finite(j)]
    if len(base) < n_points:
        return NumericCheck(kind="quadrature", ok=False,
                            details={"n_points": len(base), "instance": instance},
                            reason=f"both sides are finite at only {len(base)} of "
                                   f"{len(values.points)} points", made=False)
    variants: list[Point] = []
    owners: list[int] = []
    for j in base:
        for _ in range(VARIANTS):
            v = dict(values.points[j])
            v.update(random_point(wrt, rng=rng, domains=declared_domains(d)))
            variants.append(on_simplexes([v], declared_simplexes(d))[0])
            owners.append(j)
    var = _Values(variants, dict(zip((le, re_), evaluate([le, re_], variants), strict=True)))

    def errors() -> list[tuple[float, str]]:
        out = []
        for k, j in enumerate(owners):
            if not (var.sides[le].finite(k) and var.sides[re_].finite(k)):
                out.append((math.inf, "absolute"))
                continue
            d0 = lv.values[j] - rv.values[j]
            d1 = var.sides[le].values[k] - var.sides[re_].values[k]
            scale = max(_scale((lv, j), (rv, j)), _scale((var.sides[le], k),
                                                         (var.sides[re_], k)))
            diff = float(abs(d0 - d1))
            out.append((diff / scale, "relative") if scale > 0 else (diff, "absolute"))
        return out

    errs = errors()
    bad = [k for k, (e, _) in enumerate(errs) if e > TOLERANCE]
    if bad:
        base_bad = {owners[k] for k in bad}
        values.refine({le: set(base_bad), re_: set(base_bad)})
        var.refine({le: set(bad), re_: set(bad)})
        errs = errors()
    worst_k = max(range(len(errs)), key=lambda k: errs[k][0])
    worst, kind = errs[worst_k]
    j = owners[worst_k]
    moved = any(var.sides[le].values[k] != lv.values[owners[k]] for k in range(len(owners))
                if var.sides[le].finite(k))
    details: dict[str, Any] = {
        "n_points": len(base),
        "worst_error": worst,
        "error_kind": kind,
        "tolerance": TOLERANCE,
        "worst_point": _point_json(variants[worst_k]),
        "lhs": float(var.sides[le].values[worst_k]),
        "rhs": float(var.sides[re_].values[worst_k]),
        "difference_at_point": float(lv.values[j] - rv.values[j]),
        "difference_varied": float(var.sides[le].values[worst_k]
                                   - var.sides[re_].values[worst_k]),
        "wrt": [s.name for s in wrt],
        "variants_per_point": VARIANTS,
        "refined": len(bad),
        "instance": instance,
    }
    if not moved:
        details["note"] = "the left side does not change with " + ", ".join(step.wrt)
    ok = worst <= TOLERANCE
    reason = "" if ok else (
        f"lhs − rhs changes by {worst:.3g} ({kind}) when {', '.join(step.wrt)} change, at "
        f"{details['worst_point']}")
    return NumericCheck(kind="quadrature", ok=ok, details=details, reason=reason)
