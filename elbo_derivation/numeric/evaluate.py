"""Numeric evaluation of a derivation's expressions, integrals included, at many points.

The quadrature and sampling checks both need a step's sides as numbers. A side is a SymPy
expression that may hold ``let`` names, abstract densities (``q(z|x)``, ...), expectations
``E[f, z ~ q]`` and integrals ``Integral(f, (x, -oo, oo))``. This module

1. *prepares* a side (:func:`prepare`): expands the definitions, replaces the abstract
   densities by the linear-Gaussian instance of the notes' §2
   (:mod:`elbo_derivation.numeric.linear_gaussian`), and turns each expectation into
   ∫ density · f;
2. *compiles* each integral over ℝ into the standardised variable. The integrand's Gaussian
   factor exp(Q(x)), Q(x) = A x² + B x + C with A < 0, gives μ = −B/(2A) and
   σ = (−2A)^(−1/2), and with x = μ + σu

   .. math:: \\int f(x)\\,dx = K \\sigma e^{Q(\\mu)} \\int e^{-u^2/2} R(\\mu + \\sigma u)\\,du

   (K the factors free of x). R is made stable first: the logarithms of positive factors are
   split by ``expand_log`` on symbols that carry their assumptions, so log N(x; μ, σ²)
   becomes the polynomial −(x − μ)²/(2σ²) − log √(2πσ²); nothing like log(pdf/pdf), which is
   nan where both densities underflow, is ever evaluated. The polynomial part of R is
   re-centred at μ (its coefficients in u computed from those in x);
3. *evaluates* (:func:`evaluate`) every side at every point, with all the integrals of all
   sides at all points in one call of :func:`scipy.integrate.quad_vec` over the standardised
   range u ∈ [−40, 40] (beyond it e^{−u²/2} < 1e-347, below the smallest double, so the cut
   is exact in float64 for integrands of polynomial growth), each component scaled by a bound
   on its ∫|integrand| so that the max-norm error control holds for every component.
   Integrals over a finite interval are mapped to [0, 1]; integrals over ℝ without a
   Gaussian factor are integrated as written over (−∞, ∞).

Multiple integrals over ℝ^d (nested integrals or expectations, flattened by Fubini) are
standardised jointly: the Gaussian factor's precision matrix Λ gives x = μ + L u with
L Lᵀ = Λ⁻¹, the polynomial R(μ + L u) is expanded in u, its monomials' integrals over
u₁ … u_{d−1} are computed by ``scipy.integrate.quad`` (once per power), and the last one, over
u_d, by ``quad_vec`` as above. Multiple integrals need a polynomial R.

Two precisions: the fast one evaluates the closed-form parts (the polynomial coefficients, the
Gaussian's μ, σ, the expression around the integrals) in float64, vectorised over the points;
the precise one (``precise=True``) evaluates them one point at a time with 30 significant
digits (mpmath), which removes the cancellation of, for example, μ₁² − 2μ₁μ₂ + μ₂² at
μ₁ ≈ μ₂ or of re-centring x² − 2xμ + μ² at μ ≫ σ. The checks use the fast one everywhere and
the precise one where the fast one does not agree.

Examples
--------
>>> import sympy as sp
>>> x, s = sp.Symbol("x", real=True), sp.Symbol("s", positive=True)
>>> side = sp.Integral(x**2 * sp.exp(-x**2 / (2*s**2)), (x, -sp.oo, sp.oo))
>>> [v] = evaluate([side], [{s: 2.0}, {s: 0.5}])
>>> import numpy as np
>>> bool(np.allclose(v.values, [8 * np.sqrt(2*np.pi), np.sqrt(2*np.pi) / 8], rtol=1e-13))
True
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import mpmath
import numpy as np
import sympy as sp
from sympy.concrete.expr_with_limits import ExprWithLimits
from sympy.core.function import AppliedUndef

from elbo_derivation.core.compile import NotEvaluable, compile_expr
from elbo_derivation.core.expectation import Expectation
from elbo_derivation.core.gaussian_form import GaussianForm
from elbo_derivation.core.plain import plain as written_plain
from elbo_derivation.core.steps import Derivation
from elbo_derivation.numeric import linear_gaussian
from elbo_derivation.numeric.network_instance import NetworkInstance, network_instance
from elbo_derivation.numeric.points import Point, sorted_symbols

__all__ = [
    "DIGITS",
    "EvaluationError",
    "PreparedSide",
    "SideValues",
    "evaluate",
    "network_for",
    "prepare",
]

#: Significant digits of the precise evaluation.
DIGITS = 30
#: quad_vec's absolute and relative tolerance on each scaled component.
QUAD_EPS = 1e-12
#: The standardised integrals run over [−U_MAX, U_MAX]: beyond it e^{−u²/2} < 1e-347, below
#: the smallest double, so for integrands of polynomial growth the cut is exact in float64.
U_MAX = 40.0
#: Break points of the standardised range, where the Gaussian factor's mass lies: panels of
#: width 3 out to ±9 (e^{−u²/2} < 3e-18 beyond), on which one 21-point Gauss–Kronrod rule
#: already meets QUAD_EPS for a Gaussian times a polynomial of moderate degree. Wider
#: central panels (±5, ±10) cost a third more integrand evaluations in subdivisions over
#: the bundled derivations, measured.
_BREAKS = (-9.0, -6.0, -3.0, 0.0, 3.0, 6.0, 9.0)


class EvaluationError(ValueError):
    """A side that cannot be evaluated numerically (the message says why)."""


# ---------------------------------------------------------------------------------------------
# preparing a side


@dataclass
class PreparedSide:
    """One side of a step, ready for evaluation.

    ``expr`` holds only ``sympy.Integral`` nodes (no expectations, no abstract densities)
    and only symbols that are real or positive; ``instance`` says whether the
    linear-Gaussian instance was substituted.
    """

    expr: sp.Expr
    instance: bool
    free_symbols: frozenset[sp.Symbol] = frozenset()
    #: on a network instance: the side instantiated, its expectations kept (for ancestral
    #: sampling, :func:`~elbo_derivation.numeric.network_instance.ancestral_draws`)
    sampled: sp.Expr | None = None


def _realify(expr: sp.Expr) -> sp.Expr:
    """Give every symbol without a sign assumption the assumption ``real=True``.

    The points are real, so this loses nothing; it lets SymPy simplify log(exp(y)) to y.
    """
    mapping = {s: sp.Symbol(s.name, real=True) for s in expr.atoms(sp.Symbol)
               if not (s.is_positive or s.is_real)}
    return expr.xreplace(mapping) if mapping else expr


def instance_keys(derivation: Derivation) -> dict[sp.Expr, str | None]:
    """What each abstract function of ``derivation`` becomes in the linear-Gaussian instance,
    from the roles its densities and functions play in the whole derivation (so that every
    step instantiates them alike): :func:`linear_gaussian.instance_keys` of all its sides."""
    key = (derivation.start, *(step.expr for step in derivation.steps))
    cached = derivation.__dict__.get("_instance_keys")
    if cached is not None and cached[0] == key:
        return cached[1]
    sides = [derivation.expand_definitions(e) for e in key]
    keys: dict[sp.Expr, str | None] = {}
    if any(e.has(AppliedUndef) for e in sides):  # (most derivations have no abstract function)
        keys = linear_gaussian.instance_keys(sp.Add(*sides, evaluate=False))
    derivation.__dict__["_instance_keys"] = (key, keys)
    return keys


def network_for(derivation: Derivation) -> NetworkInstance | str | None:
    """The network instance of ``derivation``'s densities
    (:func:`~elbo_derivation.numeric.network_instance.network_instance`) where the two-variable
    linear-Gaussian instance has none for one of them; None where that one serves (or there
    are no abstract functions), else the reason neither has one. Built once for the whole
    derivation, so that every step instantiates the densities alike."""
    key = (derivation.start, *(step.expr for step in derivation.steps))
    cached = derivation.__dict__.get("_network_instance")
    if cached is not None and cached[0] == key:
        return cached[1]
    keys = instance_keys(derivation)
    out: NetworkInstance | str | None = None
    missing = sorted({f.func.__name__ for f, k in keys.items() if k is None})
    if missing:
        sides = [derivation.expand_definitions(e) for e in key]
        taken = {str(s) for s in derivation.symbols} | {
            s.name for e in sides for s in e.free_symbols}
        out = network_instance(sides, taken)
        if isinstance(out, str):
            out = (f"no linear-Gaussian instance of {', '.join(missing)}, and {out}")
    derivation.__dict__["_network_instance"] = (key, out)
    return out


def prepare(
    expr: sp.Expr,
    derivation: Derivation,
    params: linear_gaussian.LinearGaussianSymbols | None = None,
    keys: Mapping[sp.Expr, str | None] | None = None,
    network: NetworkInstance | str | None = None,
) -> PreparedSide:
    """Expand definitions, instantiate abstract densities, turn expectations into integrals.

    Parameters
    ----------
    expr : sympy.Expr
        a side of a step of ``derivation`` (``let`` names kept).
    derivation : Derivation
        supplies the definitions and the symbols.
    params : LinearGaussianSymbols, optional
        the instance's symbols (default: :func:`linear_gaussian.instance_symbols` of the
        derivation's symbols).
    keys : mapping, optional
        what each abstract function becomes, from the roles in the whole derivation
        (:func:`instance_keys`); by default from ``expr``'s own.
    network : NetworkInstance or str, optional
        the derivation's network instance (:func:`network_for`), used instead of the
        two-variable one for a model it does not cover; a string is the reason there is
        none.

    Raises
    ------
    EvaluationError
        when an abstract function has no numeric instance.
    """
    e = derivation.expand_definitions(expr)
    instance = bool(e.atoms(AppliedUndef))
    sampled = None
    families = getattr(getattr(derivation, "declarations", None), "families", None) or {}
    for node in sorted(e.atoms(AppliedUndef), key=str) if families else ():
        family = families.get(node.func.__name__)
        if family is not None:  # its own density, never a Gaussian stand-in for it
            raise EvaluationError(
                f"cannot instantiate the densities: {node.func.__name__} is declared in the "
                f"{family.name} family, which the numeric checks have no instance of (its "
                "facts are the symbolic tiers')")
    if instance and isinstance(network, str):
        raise EvaluationError(f"cannot instantiate the densities: {network}")
    if instance and network is not None:
        try:
            e = sampled = network.instantiate(e)  # type: ignore[union-attr]
        except (KeyError, ValueError, TypeError) as err:  # (SymPy's refusals among them)
            raise EvaluationError(f"cannot instantiate the densities: {err}") from None
    elif instance:
        if params is None:
            params = linear_gaussian.instance_symbols(derivation.symbols)
        try:
            e = linear_gaussian.instantiate(e, params, keys)
        except linear_gaussian.UnknownDensityError as err:
            raise EvaluationError(f"cannot instantiate the densities: {err}") from None
    if e.has(Expectation):
        e = e.replace(lambda n: isinstance(n, Expectation), lambda n: n.as_integral())
    if e.has(sp.Integral):
        e = _by_gaussian_factor(_flatten(e))
    e = _realify(e)
    return PreparedSide(e, instance, free_symbols(e),
                        None if sampled is None else _realify(sampled))


#: ``free_symbols`` as :class:`sympy.Basic` defines it (the union over the arguments), and as
#: integrals and sums define it (the integrand's, less the variables, plus the bounds')
_UNION_OF_ARGS = sp.Basic.free_symbols
_WITH_LIMITS = (ExprWithLimits.free_symbols, sp.Integral.free_symbols)


def free_symbols(expr: sp.Basic) -> frozenset[sp.Basic]:
    """``expr.free_symbols``, found visiting each distinct sub-expression once.

    SymPy finds the free symbols of an integral or a sum by first substituting its
    variables for themselves in the integrand (``xreplace``), which builds the integrand
    anew, and again at each level of nested integrals; for the sides the numeric checks
    prepare that was a large share of preparing them. Here an integral or sum whose
    variables are symbols is read directly: the integrand's free symbols, then for each
    limit in order its variable taken out and the free symbols of its bounds added (a
    limit of the variable alone keeps it), as SymPy does. A node whose class defines
    ``free_symbols`` in another way is asked for its own; any other node's are the union of
    its arguments', SymPy's definition.

    >>> x, y, a = sp.symbols("x y a", real=True)
    >>> e = sp.Integral(sp.exp(-(x - a)**2) * sp.Integral(x * y, (y, 0, x)), (x, -sp.oo, a))
    >>> free_symbols(e) == e.free_symbols == {a}
    True
    """
    seen: dict[sp.Basic, frozenset[sp.Basic]] = {}

    def visit(node: sp.Basic) -> frozenset[sp.Basic]:
        found = seen.get(node)
        if found is not None:
            return found
        kind = type(node).free_symbols
        if kind is _UNION_OF_ARGS:
            found = frozenset().union(*map(visit, node.args))
        elif kind in _WITH_LIMITS and all(lim[0].is_Symbol for lim in node.limits):
            out = set(visit(node.function))
            for lim in node.limits:
                if len(lim) == 1:
                    out.add(lim[0])
                    continue
                out.discard(lim[0])
                for bound in lim[1:]:
                    out |= visit(bound)
            found = frozenset(out)
        else:
            found = frozenset(node.free_symbols)
        seen[node] = found
        return found

    return visit(expr)


def _by_gaussian_factor(e: sp.Basic) -> sp.Basic:
    """Each integral over ℝ whose terms carry different Gaussian factors written as the sum
    of one integral per factor (linearity): ∫ q·(p/q − 1) dx is ∫ p dx − ∫ q dx, each
    standardised in its own variable, where as one integral the remainder p/q would grow
    as exp(+x²) and overflow."""
    def split(node: sp.Integral) -> sp.Expr:
        if len(node.limits) != 1 or not _whole_line(node.limits) or node.function.has(
                sp.Integral):
            return node
        var = node.limits[0][0]
        def bare_exp(e: sp.Basic) -> bool:  # an exp of the variable, not under a log
            if isinstance(e, sp.log) or not e.has(var):
                return False
            return isinstance(e, sp.exp) or any(bare_exp(a) for a in e.args)

        if not any(bare_exp(_gaussian_factor(t, var)[1])
                   for t in sp.Add.make_args(node.function)):
            return node  # (no exponential of the variable outside the factor: as it was)
        groups: dict[sp.Expr, list[sp.Expr]] = {}
        for term in sp.Add.make_args(_expand(node.function)):
            q, _ = _gaussian_factor(term, var)
            groups.setdefault(_expand(q), []).append(term)
        if len(groups) < 2 or any(not _poly_in(q, (var,))[0].get((2,)) for q in groups):
            return node
        return sp.Add(*[sp.Integral(sp.Add(*ts), node.limits[0]) for ts in groups.values()])

    if not e.has(sp.Integral):
        return e
    e = e.replace(lambda n: isinstance(n, sp.Integral) and n.function == 0,
                  lambda n: sp.S.Zero)  # (an integrand that cancelled to 0)
    return e.replace(lambda n: isinstance(n, sp.Integral), split)


def _whole_line(limits: Sequence[Any]) -> bool:
    return all(len(lim) == 3 and lim[1] == -sp.oo and lim[2] == sp.oo for lim in limits)


def _flatten(e: sp.Basic) -> sp.Basic:
    """Nested integrals over ℝ as one multiple integral (Fubini), term by term.

    ∫ c(y) ∫ f(x, y) dx dy becomes ∫∫ c(y) f(x, y) dx dy; an integrand that is a sum is split
    into one integral per term first (linearity), so that each term is a product holding at
    most one inner integral.
    """
    if not e.args or not e.has(sp.Integral):
        return e
    if isinstance(e, sp.Integral):
        inner = _flatten(e.function)
        if not (inner.has(sp.Integral) and _whole_line(e.limits)):
            return sp.Integral(inner, *e.limits)
        out = []
        for term in sp.Add.make_args(inner):
            factors = sp.Mul.make_args(term)
            ints = [f for f in factors if isinstance(f, sp.Integral)]
            others = [f for f in factors if not isinstance(f, sp.Integral)]
            if (len(ints) == 1 and _whole_line(ints[0].limits)
                    and not any(f.has(sp.Integral) for f in others)):
                out.append(sp.Integral(sp.Mul(*others) * ints[0].function, *ints[0].limits,
                                       *e.limits))
            else:
                out.append(sp.Integral(term, *e.limits))
        return sp.Add(*out)
    return e.func(*[_flatten(a) for a in e.args])


# ---------------------------------------------------------------------------------------------
# compiled integrals


def _abs_moment(k: int) -> float:
    """∫ exp(−u²/2) |u|^k du = 2^((k+1)/2) Γ((k+1)/2)."""
    return 2.0 ** ((k + 1) / 2) * math.gamma((k + 1) / 2)


def _lambdify(args: Sequence[sp.Symbol], expr: Any, modules: str) -> Callable[..., Any]:
    """A numeric function of ``args`` computing ``expr`` (an expression or a tuple of them):
    :func:`~elbo_derivation.core.compile.compile_expr` with ``modules`` ``"numpy"`` (float64,
    vectorised, non-finite values left for the caller to mask) or ``"mpmath"`` (at mpmath's
    working precision)."""
    try:
        return compile_expr(expr, args, backend="mpmath" if modules == "mpmath" else "float64",
                            nonfinite="nan")
    except NotEvaluable as err:
        raise EvaluationError(str(err)) from None


def _gaussian_factor(term: sp.Expr, var: sp.Symbol) -> tuple[sp.Expr, sp.Expr]:
    """Split a product into exp(Q) · rest, Q collecting every exp factor that has ``var``."""
    q_parts, rest = [], []
    for f in sp.Mul.make_args(term):
        if isinstance(f, sp.exp) and f.args[0].has(var):
            q_parts.append(f.args[0])
        elif (isinstance(f, sp.Pow) and isinstance(f.base, sp.exp) and f.base.args[0].has(var)
              and not f.exp.has(var)):
            q_parts.append(f.exp * f.base.args[0])
        else:
            rest.append(f)
    return sp.Add(*q_parts), sp.Mul(*rest)


@dataclass
class _Integral:
    """One integral, compiled.

    ``kind`` is ``"gauss"`` (over ℝ, Gaussian-weighted, standardised), ``"line"`` (over ℝ
    without a Gaussian factor, integrated as written) or ``"finite"`` (over [lo, hi], mapped
    to [0, 1]).
    """

    node: sp.Integral
    var: sp.Symbol
    kind: str
    params: tuple[sp.Symbol, ...]
    closed: tuple[sp.Expr, ...] = ()  # gauss: (μ, σ, Q(μ), K, r0..rJ); finite: (lo, hi)
    np_closed: Callable[..., Any] | None = None
    _mp_closed: Callable[..., Any] | None = None
    rem_func: Callable[..., Any] | None = None  # gauss: remainder of R, numpy (x, *params)
    np_func: Callable[..., Any] | None = None  # line/finite: the integrand, numpy (x, *params)
    dims: int = 1  # gauss over ℝ^dims (dims > 1: closed = (M, g, c0, K, r_α...))
    monomials: tuple[tuple[int, ...], ...] = ()  # dims > 1: the exponents α of the r_α

    @property
    def mp_closed(self) -> Callable[..., Any]:
        if self._mp_closed is None:
            self._mp_closed = _lambdify(self.params, self.closed, "mpmath")
        return self._mp_closed


def _compile_integral(node: sp.Integral) -> _Integral:
    f = node.function
    if f.has(sp.Integral):
        raise EvaluationError(f"nested integrals of this form cannot be evaluated: {node}")
    params = tuple(sorted_symbols(free_symbols(node)))
    if len(node.limits) > 1 and _whole_line(node.limits):
        return _compile_gauss_multi(node, tuple(lim[0] for lim in node.limits), f, params)
    if len(node.limits) != 1 or len(node.limits[0]) != 3:
        raise EvaluationError(f"only definite integrals can be evaluated: {node}")
    var, lo, hi = node.limits[0]
    if lo.is_infinite or hi.is_infinite:
        if not (lo == -sp.oo and hi == sp.oo):
            raise EvaluationError(f"half-infinite integrals cannot be evaluated: {node}")
        compiled = _compile_gauss(node, var, f, params)
        if compiled is not None:
            return compiled
        # a kink |x − c| (a Laplace density): integrated in x − c, with a break at 0, so
        # that a narrow peak there is seen (the adaptive rule could step over it)
        centres = set()
        for a in f.atoms(sp.Abs):
            lin, rem = _poly_in(_expand(a.args[0]), (var,))
            if rem == 0 and set(lin) <= {(0,), (1,)} and (1,) in lin:
                centres.add(-lin.get((0,), sp.S.Zero) / lin[(1,)])
        closed = (centres.pop(),) if len(centres) == 1 else ()
        return _Integral(node, var, "line", params, closed=closed,
                         np_closed=_lambdify(params, closed, "numpy") if closed else None,
                         np_func=_lambdify((var, *params), _split_logs(f), "numpy"))
    return _Integral(node, var, "finite", params, closed=(lo, hi),
                     np_closed=_lambdify(params, (lo, hi), "numpy"),
                     np_func=_lambdify((var, *params), _split_logs(f), "numpy"))


def _compile_gauss(
    node: sp.Integral, var: sp.Symbol, f: sp.Expr, params: tuple[sp.Symbol, ...]
) -> _Integral | None:
    """The standardised form of a Gaussian-weighted integral, or None when there is none."""
    groups: dict[sp.Expr, list[sp.Expr]] = {}
    for term in sp.Add.make_args(f):
        q, rest = _gaussian_factor(term, var)
        groups.setdefault(_expand(q), []).append(rest)
    if len(groups) != 1:
        return None
    ((q, rests),) = groups.items()
    q_mono, q_rem = _poly_in(q, (var,))
    q_coeffs = _coefficient_list(q_mono)
    if q_rem != 0 or len(q_coeffs) != 3:
        return None
    a0, a1, a2 = q_coeffs
    constant, dependent = sp.Add(*rests).as_independent(var, as_Add=False)
    mono, rem = _poly_in(_split_logs(dependent), (var,))
    coeffs = _coefficient_list(mono)
    rem_terms = sp.Add.make_args(rem) if rem != 0 else ()
    form = GaussianForm.from_coefficients(a2, a1, a0)
    closed = (form.mean, form.std, form.peak, constant, *coeffs)
    return _Integral(
        node, var, "gauss", params, closed=closed,
        np_closed=_lambdify(params, closed, "numpy"),
        rem_func=_lambdify((var, *params), rem, "numpy") if rem_terms else None,
    )


def _log_terms(arg: sp.Expr) -> sp.Expr:
    """log(arg) split into a sum wherever that is valid for positive factors.

    log(a·b) = log a + log b and log(b^e) = e log b for positive a, b and real e (the rules
    of ``expand_log`` without ``force``), and log(exp(y)) = y for real y. A product that
    holds exp(y) factors and other factors of unknown sign still gives up its exp(y) factors:
    log(exp(y)·r) = y + log r wherever the logarithm is real (r > 0 there), which is where it
    is evaluated.
    """
    if isinstance(arg, sp.exp) and arg.args[0].is_real:
        return arg.args[0]
    if isinstance(arg, sp.Pow) and arg.base.is_positive and arg.exp.is_real:
        return arg.exp * _log_terms(arg.base)
    if isinstance(arg, sp.Mul):
        split = [f for f in arg.args if f.is_positive
                 or (isinstance(f, sp.exp) and f.args[0].is_real)]
        if split:
            rest = sp.Mul(*[f for f in arg.args if f not in split])
            terms = [_log_terms(f) for f in split]
            if rest != 1:
                terms.append(sp.log(rest))
            return sp.Add(*terms)
    if arg.is_Rational and arg.is_positive and arg.q != 1:
        return sp.log(arg.p) - sp.log(arg.q)
    return sp.log(arg)


def _split_logs(expr: sp.Expr) -> sp.Expr:
    """Every logarithm in ``expr`` split by :func:`_log_terms` (cheaper than expand_log)."""
    if not expr.has(sp.log):
        return expr
    return expr.replace(lambda e: isinstance(e, sp.log), lambda e: _log_terms(e.args[0]))


def _expand(expr: sp.Expr) -> sp.Expr:
    """Products and integer powers of sums multiplied out (nothing else)."""
    return sp.expand(expr, deep=True, mul=True, multinomial=True, power_exp=False,
                     power_base=False, log=False, basic=False)


#: Largest integer power of a sum that :func:`_poly_in` multiplies out (beyond it, the power is
#: left to numeric evaluation as part of the remainder).
_MAX_POLY_POWER = 64


def _poly_in(expr: sp.Expr, variables: Sequence[sp.Symbol]
             ) -> tuple[dict[tuple[int, ...], sp.Expr], sp.Expr]:
    """``expr`` as {exponents: coefficient} in ``variables`` plus a remainder.

    Only the dependence on ``variables`` is multiplied out: a coefficient such as
    A·(μ − m)² stays as written instead of being expanded into its five terms, which is what
    makes this cheaper than ``expand`` followed by collecting terms (and the coefficients
    cheaper to evaluate). A term in which a variable appears other than in a polynomial way
    (log u, 1/u, ...) goes to the remainder whole, and so does a power of a sum beyond
    :data:`_MAX_POLY_POWER`.
    """
    variables = tuple(variables)
    d = len(variables)
    zero = (0,) * d
    unit = {v: tuple(int(i == k) for i in range(d)) for k, v in enumerate(variables)}

    def times(p: dict[tuple[int, ...], Any], q: dict[tuple[int, ...], Any]
              ) -> dict[tuple[int, ...], Any]:
        out: dict[tuple[int, ...], list[sp.Expr]] = {}
        for a, ca in p.items():
            for b, cb in q.items():
                out.setdefault(tuple(i + j for i, j in zip(a, b, strict=True)), []).append(ca * cb)
        return {k: sp.Add(*v) for k, v in out.items()}

    def walk(e: sp.Expr) -> dict[tuple[int, ...], Any] | None:
        """The polynomial, or None when ``e`` is not a polynomial in the variables."""
        if e in unit:
            return {unit[e]: sp.S.One}
        if not e.has(*variables):
            return {zero: e}
        if e.is_Add:
            out: dict[tuple[int, ...], list[sp.Expr]] = {}
            for a in e.args:
                p = walk(a)
                if p is None:
                    return None
                for k, c in p.items():
                    out.setdefault(k, []).append(c)
            return {k: sp.Add(*v) for k, v in out.items()}
        if e.is_Mul:
            acc: dict[tuple[int, ...], Any] | None = {zero: sp.S.One}
            for f in e.args:
                p = walk(f)
                if p is None:
                    return None
                acc = times(acc, p)
            return acc
        if e.is_Pow and e.base in unit and e.exp.is_Integer and e.exp > 0:
            return {tuple(int(e.exp) * i for i in unit[e.base]): sp.S.One}
        if e.is_Pow and e.exp.is_Integer and 0 < int(e.exp) <= _MAX_POLY_POWER:
            base = walk(e.base)
            if base is None:
                return None
            acc, n = {zero: sp.S.One}, int(e.exp)
            while n:  # by squaring
                if n & 1:
                    acc = times(acc, base)
                n >>= 1
                if n:
                    base = times(base, base)
            return acc
        return None

    poly: dict[tuple[int, ...], list[sp.Expr]] = {}
    rem = []
    for term in sp.Add.make_args(expr):
        p = walk(term)
        if p is None:
            rem.append(term)
            continue
        for k, c in p.items():
            poly.setdefault(k, []).append(c)
    return {k: sp.Add(*v) for k, v in poly.items()}, sp.Add(*rem)


def _compile_gauss_multi(node: sp.Integral, variables: tuple[sp.Symbol, ...], f: sp.Expr,
                         params: tuple[sp.Symbol, ...]) -> _Integral:
    """A Gaussian-weighted integral over ℝ^d, d > 1, with a polynomial remainder."""
    groups: dict[sp.Expr, list[sp.Expr]] = {}
    for term in sp.Add.make_args(f):
        q_parts, rest = [], []
        for fac in sp.Mul.make_args(term):
            if isinstance(fac, sp.exp) and fac.args[0].has(*variables):
                q_parts.append(fac.args[0])
            else:
                rest.append(fac)
        groups.setdefault(_expand(sp.Add(*q_parts)), []).append(sp.Mul(*rest))
    if len(groups) != 1:
        raise EvaluationError("no common Gaussian factor in the multiple integral "
                              + written_plain(node))
    ((q, rests),) = groups.items()
    q_mono, q_rem = _poly_in(q, variables)
    d = len(variables)
    if q_rem != 0 or any(sum(a) > 2 for a in q_mono):
        raise EvaluationError(f"the exponent is not quadratic in "
                              f"{', '.join(map(written_plain, variables))}: {written_plain(node)}")
    m_entries, g_entries = [], []
    for i in range(d):
        for j in range(i, d):
            alpha = tuple(int(k == i) + int(k == j) for k in range(d))
            coeff = q_mono.get(alpha, sp.S(0))
            m_entries.append(coeff if i == j else coeff / 2)
        g_entries.append(q_mono.get(tuple(int(k == i) for k in range(d)), sp.S(0)))
    c0 = q_mono.get((0,) * d, sp.S(0))
    constant, dependent = sp.Add(*rests).as_independent(*variables, as_Add=False)
    r_mono, r_rem = _poly_in(_split_logs(dependent), variables)
    if r_rem != 0:
        raise EvaluationError("the integrand of a multiple integral is not a Gaussian times a "
                              f"polynomial: {r_rem}")
    monomials = tuple(sorted(r_mono))
    closed = (*m_entries, *g_entries, c0, constant, *(r_mono[a] for a in monomials))
    return _Integral(node, variables[0], "gauss", params, closed=closed,
                     np_closed=_lambdify(params, closed, "numpy"), dims=d,
                     monomials=monomials)


def _coefficient_list(mono: dict[tuple[int, ...], sp.Expr]) -> list[sp.Expr]:
    """[c0, c1, ..., c_degree] from :func:`_poly_in`'s {(k,): c_k} in one variable."""
    degree = max((k for (k,) in mono), default=0)
    return [mono.get((k,), sp.S.Zero) for k in range(degree + 1)]


# ---------------------------------------------------------------------------------------------
# compiled sides


@dataclass
class _Side:
    """A side with its integrals replaced by placeholders, compiled both ways."""

    expr: sp.Expr
    integrals: list[_Integral]
    dummies: tuple[sp.Dummy, ...]
    params: tuple[sp.Symbol, ...]
    outer: sp.Expr
    terms: tuple[sp.Expr, ...]
    np_terms: Callable[..., Any]
    affine: bool
    _mp_terms: Callable[..., Any] | None = None

    @property
    def mp_terms(self) -> Callable[..., Any]:
        if self._mp_terms is None:
            self._mp_terms = _lambdify((*self.params, *self.dummies), self.terms, "mpmath")
        return self._mp_terms


def _affine_term(term: sp.Expr, dummies: set[sp.Dummy]) -> bool:
    """True when ``term`` is free of the placeholders, or one placeholder times a factor
    free of them."""
    found = [f for f in sp.Mul.make_args(term) if f.free_symbols & dummies]
    return not found or (len(found) == 1 and found[0] in dummies)


#: Compiled sides and integrals are cached by expression (a step's right side is the next
#: step's left side); the caches are emptied when they grow past this many entries.
_CACHE_SIZE = 4096
_SIDES: dict[sp.Expr, _Side] = {}
_INTEGRALS: dict[sp.Expr, _Integral] = {}


def compile_side(expr: sp.Expr) -> _Side:
    """Compile a prepared side (cached by expression)."""
    cached = _SIDES.get(expr)
    if cached is not None:
        return cached
    if len(_SIDES) > _CACHE_SIZE or len(_INTEGRALS) > _CACHE_SIZE:
        _SIDES.clear()
        _INTEGRALS.clear()
    # in the order met (deterministic: arguments are stored in canonical order); sorting
    # big expressions with default_sort_key cost a tenth of the numeric checks
    nodes = list(dict.fromkeys(
        n for n in sp.preorder_traversal(expr) if isinstance(n, sp.Integral)))
    integrals = []
    for n in nodes:
        if n not in _INTEGRALS:
            _INTEGRALS[n] = _compile_integral(n)
        integrals.append(_INTEGRALS[n])
    dummies = tuple(sp.Dummy(f"I{i}") for i in range(len(nodes)))
    outer = expr.xreplace(dict(zip(nodes, dummies, strict=True)))
    leftover = outer.atoms(AppliedUndef) | ({outer} if outer.has(Expectation) else set())
    if leftover:
        raise EvaluationError(f"cannot evaluate {', '.join(map(str, leftover))}")
    params = tuple(sorted_symbols(outer.free_symbols - set(dummies)))
    terms = sp.Add.make_args(outer)
    affine = all(_affine_term(t, set(dummies)) for t in terms)
    side = _Side(expr, integrals, dummies, params, outer, terms,
                 _lambdify((*params, *dummies), terms, "numpy"), affine)
    _SIDES[expr] = side
    return side


# ---------------------------------------------------------------------------------------------
# integrals at many points


@dataclass
class _Batch:
    """One integral at several points: what quad_vec needs, and the results."""

    integral: _Integral
    args: list[np.ndarray]  # parameter values, one (n,) array per parameter
    ok: np.ndarray  # (n,) bool: finite closed-form parts
    mu: np.ndarray
    sigma: np.ndarray
    coeffs: np.ndarray  # (n, degree + 1): R(μ + σu) = Σ_k coeffs[:, k] u^k (+ remainder)
    pref: list[Any]  # K σ e^{Q(μ)}, float or mpf
    scale: np.ndarray  # bound on ∫|integrand| (in u), the component's unit
    lo: np.ndarray
    width: np.ndarray
    values: list[Any]  # results: float or mpf, None where not finite
    magnitudes: np.ndarray  # |pref| * scale
    multi: dict[tuple[int, ...], Any] | None = None  # dims > 1: R(μ + Lu) in all of u


def _broadcast(values: Sequence[Any], n: int) -> list[np.ndarray]:
    with np.errstate(all="ignore"):
        return [np.broadcast_to(np.asarray(v, dtype=float), (n,)).copy() for v in values]


def _shift(r: Sequence[Any], mu: Any, sigma: Any, comb: Callable[[int, int], Any]) -> list[Any]:
    """Coefficients in u of Σ_j r_j (μ + σu)^j."""
    out = []
    for k in range(len(r)):
        acc = 0 * mu
        for j in range(k, len(r)):
            acc = acc + r[j] * comb(j, k) * mu ** (j - k)
        out.append(acc * sigma**k)
    return out


def _real(v: Any) -> Any:
    """A finite real mpmath number, or None."""
    if isinstance(v, mpmath.mpc):
        if v.imag != 0:
            return None
        v = v.real
    v = mpmath.mpf(v)
    return v if mpmath.isfinite(v) else None


def setup_batch(integral: _Integral, points: Sequence[Point], precise: bool,
                digits: int = DIGITS) -> _Batch:
    """The per-point data of ``integral`` at ``points``: its parameters, and for a Gaussian
    integral the mean, scale, polynomial coefficients and prefactor of the integrand (``ok``
    marks the points where they are finite). ``precise`` computes them with mpmath.

    Shared by the quadrature and the sampling check, which draws
    from the same Gaussian.
    """
    n = len(points)
    args = [np.array([p[s] for p in points], dtype=float) for s in integral.params]
    b = _Batch(integral, args, np.ones(n, bool), np.zeros(n), np.ones(n),
               np.zeros((n, 1)), [None] * n, np.ones(n), np.zeros(n), np.ones(n),
               [None] * n, np.zeros(n))
    if integral.kind == "gauss" and integral.dims > 1:
        _setup_multi(b, points, precise, digits)
        _gauss_scale(b)
    elif integral.kind == "gauss":
        if precise:
            _setup_gauss_precise(b, points, digits)
        else:
            _setup_gauss_fast(b)
        _gauss_scale(b)
    else:
        _setup_plain(b)
    return b


def _setup_gauss_fast(b: _Batch) -> None:
    n = len(b.ok)
    with np.errstate(all="ignore"):
        mu, sigma, q_mu, k_const, *r = _broadcast(b.integral.np_closed(*b.args), n)  # type: ignore[misc]
        coeffs = np.stack(_shift(r, mu, sigma, math.comb), axis=1)
        pref = k_const * sigma * np.exp(q_mu)
    b.ok = (np.isfinite(mu) & np.isfinite(sigma) & (sigma > 0) & np.isfinite(pref)
            & np.all(np.isfinite(coeffs), axis=1))
    b.mu, b.sigma, b.coeffs = mu, sigma, np.where(b.ok[:, None], coeffs, 0.0)
    b.pref = [float(v) for v in pref]


def _setup_gauss_precise(b: _Batch, points: Sequence[Point], digits: int = DIGITS) -> None:
    rows = []
    with mpmath.workdps(digits):
        for i, p in enumerate(points):
            try:
                vals = [_real(v) for v in b.integral.mp_closed(
                    *[mpmath.mpf(p[s]) for s in b.integral.params])]
            except (ZeroDivisionError, ValueError, OverflowError):
                vals = [None]
            if any(v is None for v in vals) or vals[1] <= 0:
                b.ok[i] = False
                rows.append([0.0])
                continue
            mu, sigma, q_mu, k_const, *r = vals
            c = _shift(r, mu, sigma, lambda j, k: mpmath.mpf(math.comb(j, k)))
            b.mu[i], b.sigma[i] = float(mu), float(sigma)
            b.pref[i] = k_const * sigma * mpmath.exp(q_mu)
            rows.append([float(v) for v in c])
    degree = max(len(r) for r in rows)
    b.coeffs = np.zeros((len(rows), degree))
    for i, row in enumerate(rows):
        b.coeffs[i, : len(row)] = row
    b.ok &= np.all(np.isfinite(b.coeffs), axis=1) & np.isfinite(b.mu) & np.isfinite(b.sigma)


@functools.lru_cache(maxsize=64)
def _moment(k: int) -> float:
    """∫ exp(−u²/2) u^k du over ℝ, by quad (0 for odd k by symmetry of the integrand)."""
    from scipy import integrate

    val, _ = integrate.quad(lambda u: math.exp(-0.5 * u * u) * u**k, -np.inf, np.inf,
                            epsabs=0.0, epsrel=1e-13, limit=200)
    return float(val)


def _poly_mul(a: dict[tuple[int, ...], Any], b: dict[tuple[int, ...], Any]
              ) -> dict[tuple[int, ...], Any]:
    out: dict[tuple[int, ...], Any] = {}
    for ka, va in a.items():
        for kb, vb in b.items():
            k = tuple(x + y for x, y in zip(ka, kb, strict=True))
            out[k] = out[k] + va * vb if k in out else va * vb
    return out


def _shift_multi(r: Sequence[Any], monomials: Sequence[tuple[int, ...]], mu: Sequence[Any],
                 chol: Sequence[Sequence[Any]], d: int) -> dict[tuple[int, ...], Any]:
    """R(μ + L u) as {exponents in u: coefficient}, for R = Σ_α r_α x^α.

    Works on NumPy arrays (one entry per point) and on mpmath numbers alike.
    """
    lin = []  # x_i = μ_i + Σ_j L_ij u_j as polynomials in u
    for i in range(d):
        poly = {(0,) * d: mu[i]}
        for j in range(i + 1):
            key = tuple(int(k == j) for k in range(d))
            poly[key] = chol[i][j]
        lin.append(poly)
    total: dict[tuple[int, ...], Any] = {}
    for coeff, alpha in zip(r, monomials, strict=True):
        term: dict[tuple[int, ...], Any] = {(0,) * d: coeff}
        for i, k in enumerate(alpha):
            for _ in range(k):
                term = _poly_mul(term, lin[i])
        for key, v in term.items():
            total[key] = total[key] + v if key in total else v
    return total


def _reduce_multi(total: dict[tuple[int, ...], Any], one: Any) -> dict[int, Any]:
    """Coefficients in u_d of ∫ e^{−(u_1²+…+u_{d−1}²)/2} P(u) du_1 … du_{d−1}.

    The inner integral of each monomial in u_1 … u_{d−1} is a product of quad moments.
    """
    out: dict[int, Any] = {}
    for key, v in total.items():
        w = one
        for k in key[:-1]:
            w = w * _moment(k)
        out[key[-1]] = out[key[-1]] + v * w if key[-1] in out else v * w
    return out


def _setup_multi(b: _Batch, points: Sequence[Point], precise: bool,
                 digits: int = DIGITS) -> None:
    d, n = b.integral.dims, len(points)
    nm = d * (d + 1) // 2
    rows: list[dict[int, Any]] = []
    if precise:
        with mpmath.workdps(digits):
            for i, p in enumerate(points):
                try:
                    vals = [_real(v) for v in b.integral.mp_closed(
                        *[mpmath.mpf(p[s]) for s in b.integral.params])]
                    if any(v is None for v in vals):
                        raise ValueError
                    lam = mpmath.matrix(d, d)
                    k = 0
                    for r in range(d):
                        for c in range(r, d):
                            lam[r, c] = lam[c, r] = -2 * vals[k]
                            k += 1
                    g = mpmath.matrix(vals[nm: nm + d])
                    sigma = mpmath.inverse(lam)
                    mu = sigma * g
                    chol = mpmath.cholesky(sigma)
                    c0, k_const = vals[nm + d], vals[nm + d + 1]
                    q_mu = c0 + (g.T * mu)[0] / 2
                    det_l = mpmath.fprod(chol[r, r] for r in range(d))
                    b.pref[i] = k_const * det_l * mpmath.exp(q_mu)
                    coeffs = _reduce_multi(_shift_multi(
                        vals[nm + d + 2:], b.integral.monomials, [mu[r] for r in range(d)],
                        [[chol[r, c] for c in range(d)] for r in range(d)], d), mpmath.mpf(1))
                    rows.append({k: float(v) for k, v in coeffs.items()})
                except (ValueError, ZeroDivisionError, ArithmeticError):
                    b.ok[i] = False
                    rows.append({0: 0.0})
    else:
        with np.errstate(all="ignore"):
            vals = _broadcast(b.integral.np_closed(*b.args), n)  # type: ignore[misc]
            lam = np.empty((n, d, d))
            k = 0
            for r in range(d):
                for c in range(r, d):
                    lam[:, r, c] = lam[:, c, r] = -2 * vals[k]
                    k += 1
            g = np.stack(vals[nm: nm + d], axis=1)
            finite = np.all(np.isfinite(lam), axis=(1, 2)) & np.all(np.isfinite(g), axis=1)
            lam[~finite] = np.eye(d)
            eig = np.linalg.eigvalsh(lam)
            # ill-conditioned precisions lose digits in float64: left to the precise path
            pd = finite & np.all(eig > 0, axis=1) & (eig[:, -1] < 1e6 * np.abs(eig[:, 0]))
            lam[~pd] = np.eye(d)
            sigma = np.linalg.inv(lam)
            mu = np.einsum("nij,nj->ni", sigma, g)
            chol = np.linalg.cholesky(sigma)
            c0, k_const = vals[nm + d], vals[nm + d + 1]
            q_mu = c0 + 0.5 * np.einsum("ni,ni->n", g, mu)
            pref = k_const * np.prod(np.diagonal(chol, axis1=1, axis2=2), axis=1) * np.exp(q_mu)
            b.multi = _shift_multi(vals[nm + d + 2:], b.integral.monomials,
                                   [mu[:, r] for r in range(d)],
                                   [[chol[:, r, c] for c in range(d)] for r in range(d)], d)
            coeffs = _reduce_multi(b.multi, np.ones(n))
        b.ok = pd & np.isfinite(pref)
        b.pref = [float(v) for v in pref]
        rows = [{k: float(v[i]) for k, v in coeffs.items()} for i in range(n)]
    degree = max((max(r) for r in rows if r), default=0) + 1
    b.coeffs = np.zeros((n, degree))
    for i, r in enumerate(rows):
        for k, v in r.items():
            b.coeffs[i, k] = v
    b.ok &= np.all(np.isfinite(b.coeffs), axis=1)
    b.coeffs[~b.ok] = 0.0
    b.mu, b.sigma = np.zeros(n), np.ones(n)


_GRID = np.linspace(-12.0, 12.0, 241)


def remainder_function(b: _Batch, rows: Any = slice(None)) -> Callable[[Any], np.ndarray]:
    """u ↦ the non-polynomial remainder of R at x = μ + σu, for the given rows of the batch.

    The result is (rows × len(u)) for a row of u values, (rows × 1) for one u. The rows'
    parameters are sliced once, here: quadrature calls the function at every node.
    """
    mu, sigma = b.mu[rows][:, None], b.sigma[rows][:, None]
    args = [a[rows][:, None] for a in b.args]
    rem_func = b.integral.rem_func

    def at(u: Any) -> np.ndarray:
        with np.errstate(all="ignore"):
            out = rem_func(mu + sigma * u, *args)  # type: ignore[misc]
        return np.broadcast_to(np.asarray(out, dtype=float),
                               np.broadcast_shapes(mu.shape, np.shape(u)))

    return at


def _gauss_scale(b: _Batch) -> None:
    moments = np.array([_abs_moment(k) for k in range(b.coeffs.shape[1])])
    bound = np.abs(b.coeffs) @ moments
    if b.integral.rem_func is not None:
        rem = remainder_function(b)(_GRID[None, :])
        weight = np.exp(-_GRID**2 / 2) * (_GRID[1] - _GRID[0])
        with np.errstate(all="ignore"):
            extra = np.abs(rem) @ weight
        b.ok &= np.all(np.isfinite(rem), axis=1)
        bound = bound + np.where(np.isfinite(extra), extra, 0.0)
    b.scale = np.where(bound > 0, bound, 1.0)


def _plain(b: _Batch, rows: Any = slice(None)) -> Callable[[Any], np.ndarray]:
    """x ↦ the integrand of a component without a Gaussian form, for the given rows.

    Shapes and the one-time slicing as in :func:`remainder_function`.
    """
    args = [a[rows][:, None] for a in b.args]
    shape = (len(b.ok[rows]), 1)
    np_func = b.integral.np_func

    def at(x: Any) -> np.ndarray:
        with np.errstate(all="ignore"):
            out = np_func(x, *args)  # type: ignore[misc]
        return np.broadcast_to(np.asarray(out, dtype=float),
                               np.broadcast_shapes(shape, np.shape(x)))

    return at


def _setup_plain(b: _Batch) -> None:
    n = len(b.ok)
    if b.integral.kind == "finite":
        lo, hi = _broadcast(b.integral.np_closed(*b.args), n)  # type: ignore[misc]
        b.lo, b.width = lo, hi - lo
        b.ok = np.isfinite(lo) & np.isfinite(hi)
        t = np.linspace(0.0, 1.0, 201)
        grid = np.where(b.ok[:, None], lo[:, None] + b.width[:, None] * t[None, :], 0.0)
        dx = np.abs(b.width) / 200
    else:
        if b.integral.closed:  # centred on the kink (see _compile_integral)
            (centre,) = _broadcast(b.integral.np_closed(*b.args), n)  # type: ignore[misc]
            b.ok = np.isfinite(centre)
            b.lo = np.where(b.ok, centre, 0.0)
        grid = b.lo[:, None] + np.linspace(-60.0, 60.0, 2401)[None, :]
        dx = np.full(n, 120.0 / 2400)
    vals = _plain(b)(grid)
    b.ok &= np.all(np.isfinite(vals), axis=1)
    with np.errstate(all="ignore"):
        bound = np.sum(np.abs(vals), axis=1) * dx
    b.scale = np.where(np.isfinite(bound) & (bound > 0), bound, 1.0)
    b.pref = [1.0] * n


def _integrate_all(batches: list[_Batch]) -> None:
    """Fill ``values`` of every batch: one quad_vec over ℝ and one over [0, 1]."""
    line = [b for b in batches if b.integral.kind in ("gauss", "line") and b.ok.any()]
    finite = [b for b in batches if b.integral.kind == "finite" and b.ok.any()]
    gauss = [b for b in line if b.integral.kind == "gauss"]
    plain = [b for b in line if b.integral.kind == "line"]
    if gauss:
        _quad(gauss, _line_integrand(gauss), -U_MAX, U_MAX, _BREAKS)
    if plain:  # (each centred on its kink, if it has one: a break at 0)
        _quad(plain, _line_integrand(plain), -np.inf, np.inf, (0.0,))
    if finite:
        _quad(finite, _finite_integrand(finite), 0.0, 1.0, None)


def _quad(batches: list[_Batch], func: Callable[[float], np.ndarray], lo: float,
          hi: float, points: Sequence[float] | None) -> None:
    from scipy import integrate  # here, not at the top: preparing sides needs only SymPy

    with np.errstate(all="ignore"):
        res, _err = integrate.quad_vec(func, lo, hi, epsabs=QUAD_EPS, epsrel=QUAD_EPS,
                                       norm="max", limit=4000, quadrature="gk21",
                                       points=points)
    res = np.atleast_1d(res)
    start = 0
    for b in batches:
        rows = np.flatnonzero(b.ok)
        for i, j in zip(rows, res[start: start + len(rows)], strict=True):
            if math.isfinite(float(j)):
                b.values[i] = b.pref[i] * float(j) * float(b.scale[i])
                b.magnitudes[i] = float(abs(b.pref[i])) * float(b.scale[i])
        start += len(rows)


def _line_integrand(batches: list[_Batch]) -> Callable[[float], np.ndarray]:
    """u ↦ the scaled integrands of every valid component over ℝ, as one vector.

    quad_vec calls this thousands of times with a scalar u, so the per-call work is kept to
    a few array operations: the polynomial parts of all Gaussian components are one matrix
    (rows padded with zero coefficients to a common degree) applied to the powers of u;
    only components with a non-polynomial remainder, or no Gaussian form, are visited one by
    one, with their parameters sliced once here rather than at every call.
    """
    size = sum(int(b.ok.sum()) for b in batches)
    degree = max([b.coeffs.shape[1] for b in batches if b.integral.kind == "gauss"], default=1)
    poly_rows, poly_coeffs, poly_scale = [], [], []
    remainders: list[tuple[np.ndarray, Callable[[Any], np.ndarray]]] = []
    plains: list[tuple[np.ndarray, np.ndarray, Callable[[Any], np.ndarray],
                       np.ndarray]] = []
    start = 0
    for b in batches:
        rows = np.flatnonzero(b.ok)
        where = np.arange(start, start + len(rows))
        start += len(rows)
        if b.integral.kind == "gauss":
            coeffs = np.zeros((len(rows), degree))
            coeffs[:, : b.coeffs.shape[1]] = b.coeffs[rows]
            poly_rows.append(where)
            poly_coeffs.append(coeffs)
            poly_scale.append(b.scale[rows])
            if b.integral.rem_func is not None:
                remainders.append((where, remainder_function(b, rows)))
        else:
            plains.append((where, b.scale[rows], _plain(b, rows), b.lo[rows][:, None]))
    poly_where = np.concatenate(poly_rows) if poly_rows else np.zeros(0, int)
    matrix = np.concatenate(poly_coeffs) if poly_coeffs else np.zeros((0, degree))
    scale = np.concatenate(poly_scale) if poly_scale else np.zeros(0)
    powers = np.arange(degree)

    def func(u: float) -> np.ndarray:
        out = np.zeros(size)
        weight = math.exp(-0.5 * u * u)
        out[poly_where] = matrix @ (u**powers)
        for where, rem in remainders:
            out[where] += rem(u)[:, 0]
        out[poly_where] *= weight
        out[poly_where] /= scale
        for where, plain_scale, plain, centre in plains:
            out[where] = plain(centre + u)[:, 0] / plain_scale
        return out

    return func


def _finite_integrand(batches: list[_Batch]) -> Callable[[float], np.ndarray]:
    parts = []
    for b in batches:
        rows = np.flatnonzero(b.ok)
        parts.append((b.lo[rows], b.width[rows], b.scale[rows], _plain(b, rows)))
    size = sum(len(lo) for lo, *_ in parts)

    def func(t: float) -> np.ndarray:
        out = np.empty(size)
        start = 0
        for lo, width, scale, plain in parts:
            x = (lo + width * t)[:, None]
            vals = plain(x)[:, 0] * width
            out[start: start + len(lo)] = vals / scale
            start += len(lo)
        return out

    return func


# ---------------------------------------------------------------------------------------------
# sides at many points


@dataclass
class SideValues:
    """A side at several points.

    ``values[j]`` is a float (fast) or an mpmath number (precise), NaN where the side is not
    finite or not real at point j; ``magnitudes[j]`` is the size of what was added up there:
    the largest absolute top-level term and integral (∫|integrand|).
    """

    values: list[Any]
    magnitudes: np.ndarray

    def finite(self, j: int) -> bool:
        v = self.values[j]
        if isinstance(v, float):
            return math.isfinite(v)
        return v is not None and bool(mpmath.isfinite(v))


def evaluate(
    sides: Sequence[sp.Expr], points: Sequence[Point], *, precise: bool = False,
    digits: int = DIGITS,
) -> list[SideValues]:
    """Evaluate prepared sides (see :func:`prepare`) at every point.

    Parameters
    ----------
    sides : sequence of sympy.Expr
        expressions whose only unevaluated nodes are ``sympy.Integral``.
    points : sequence of dict
        each maps every free symbol of the sides to a float.
    precise : bool
        evaluate the closed-form parts with 30 digits, one point at a time (slower).
    digits : int
        the digits of the precise evaluation (more where 30 lose a difference to
        cancellation, as 1 − (1 − 10⁻¹⁰⁵) does).

    Returns
    -------
    list of SideValues
        one per side.

    Raises
    ------
    EvaluationError
        for an expression that cannot be evaluated (a nested or half-infinite integral, an
        unknown function).
    """
    compiled = [compile_side(e) for e in sides]
    batches: dict[int, _Batch] = {}
    for side in compiled:
        for integral in side.integrals:
            if id(integral) not in batches:
                batches[id(integral)] = setup_batch(integral, points, precise, digits)
    _integrate_all(list(batches.values()))
    out = []
    for side in compiled:
        ints = [batches[id(i)] for i in side.integrals]
        if precise:
            out.append(_outer_precise(side, ints, points, digits))
        else:
            out.append(_outer_fast(side, ints, points))
    return out


def _carried(side: _Side, ints: list[_Batch], points: Sequence[Point]) -> np.ndarray:
    """The size each integral brings into the side: |∂side/∂I_k| · (the size of I_k), the
    largest over k, at every point (0 where unknown). An integral under a large coefficient
    (1/σ³ · (∫ … − σ²), σ small) carries its rounding into the side multiplied by it, so that
    is the side's unit for comparing it, not the integral's own size. The derivative is a
    central difference at the integrals' values (exact for a side affine in them)."""
    n = len(points)
    out = np.zeros(n)
    if not ints:
        return out
    args = [np.array([p[s] for p in points], dtype=float) for s in side.params]
    ivals = [np.array([np.nan if v is None else float(v) for v in b.values]) for b in ints]
    with np.errstate(all="ignore"):
        def total(values: list[np.ndarray]) -> np.ndarray:
            return np.sum(np.stack(_broadcast(side.np_terms(*args, *values), n), axis=0),
                          axis=0)

        for k, b in enumerate(ints):
            h = 1e-6 * np.maximum(np.maximum(np.abs(ivals[k]), b.magnitudes), 1e-300)
            up = [v + h if i == k else v for i, v in enumerate(ivals)]
            down = [v - h if i == k else v for i, v in enumerate(ivals)]
            carried = np.abs((total(up) - total(down)) / (2 * h)) * b.magnitudes
            out = np.maximum(out, np.where(np.isfinite(carried), carried, 0.0))
    return out


def _outer_fast(side: _Side, ints: list[_Batch], points: Sequence[Point]) -> SideValues:
    n = len(points)
    args = [np.array([p[s] for p in points], dtype=float) for s in side.params]
    ivals = [np.array([np.nan if v is None else float(v) for v in b.values]) for b in ints]
    with np.errstate(all="ignore"):
        terms = np.stack(_broadcast(side.np_terms(*args, *ivals), n), axis=0)
        values = np.sum(terms, axis=0)
        mags = np.max(np.abs(terms), axis=0)
    for b in ints:
        mags = np.maximum(mags, b.magnitudes)
    mags = np.maximum(mags, _carried(side, ints, points))
    values = np.where(np.all(np.isfinite(terms), axis=0), values, np.nan)
    return SideValues([float(v) for v in values], mags)


def _outer_precise(side: _Side, ints: list[_Batch], points: Sequence[Point],
                   digits: int = DIGITS) -> SideValues:
    values: list[Any] = []
    mags = np.full(len(points), np.nan)
    carried = _carried(side, ints, points)
    with mpmath.workdps(digits):
        for j, p in enumerate(points):
            ivals = [b.values[j] for b in ints]
            if any(v is None for v in ivals):
                values.append(math.nan)
                continue
            try:
                terms = [_real(t) for t in side.mp_terms(
                    *[mpmath.mpf(p[s]) for s in side.params],
                    *[mpmath.mpf(v) for v in ivals])]
            except (ZeroDivisionError, ValueError, OverflowError):
                terms = [None]
            if any(t is None for t in terms):
                values.append(math.nan)
                continue
            values.append(mpmath.fsum(terms))
            mags[j] = max([float(abs(t)) for t in terms] + [b.magnitudes[j] for b in ints]
                          + [float(carried[j])])
    return SideValues(values, mags)
