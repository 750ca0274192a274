"""Inequalities by rule: the facts a textbook cites when it writes ≥ or ≤.

Each function here finds, in the gap of a step (what must be ≥ 0), a part that a named rule
makes non-negative, and replaces it by a fresh non-negative symbol; SymPy's sign rules then
decide the rest. Nothing is evaluated numerically, and no letter is looked at: the parts are
found by structure and by the declared assumptions.

Gibbs' inequality (``GIBBS``)
    KL(q ‖ p) ≥ 0, so c·KL(q ‖ p) ≥ 0 for a declared c ≥ 0 (the β of a β-VAE).
Jensen's inequality (``jensen_rule``)
    φ(E[X]) ≥ E[φ(X)] for a concave φ and E[φ(X)] ≥ φ(E[X]) for a convex one. φ is whatever
    function the step applies to an expectation on one side and inside it on the other
    (log, √, exp, a square, ...); it is concave or convex when SymPy's sign rules fix the
    sign of φ'' over the values X can take (positive, when X is declared so).
Bounds from a declared interval (``interval_rule``)
    A symbol declared in an interval (``0 < y < 1``) is written as a function of a positive
    variable t that covers exactly that interval (y = t/(1 + t) for (0, 1), y = a + t for
    (a, ∞), ...), so that SymPy's sign and log rules, which know only "positive", see that
    1 − y > 0.

Examples
--------
>>> import sympy as sp
>>> from elbo_derivation.core.expectation import KL, Expectation
>>> x, z = sp.symbols("x z", real=True)
>>> beta = sp.Symbol("beta", nonnegative=True)
>>> q = sp.Function("q(z|x)", positive=True)(z, x)
>>> p = sp.Function("p(z)", positive=True)(z)
>>> masked, rules = mask_nonnegative(beta * KL(q, p, z))
>>> masked.is_nonnegative, rules == (GIBBS,)
(True, True)
>>> w = sp.Function("w", positive=True)(z)
>>> gap = sp.log(Expectation(w, z, q)) - Expectation(sp.log(w), z, q)
>>> masked, rules = mask_nonnegative(gap)
>>> masked.is_nonnegative, rules[0].startswith("Jensen")
(True, True)

References
----------
Cover & Thomas, *Elements of Information Theory* (2006), Theorems 2.6.2 (Jensen) and 2.6.3
(information inequality); Bishop, *Pattern Recognition and Machine Learning* (2006), §1.6.1.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import sympy as sp
from sympy.core.function import AppliedUndef

from elbo_derivation.core.expectation import KL, Expectation
from elbo_derivation.core.order import ordered
from elbo_derivation.core.steps import Counterexample, Relation
from elbo_derivation.decide.words import plain

__all__ = [
    "FINITE_JENSEN",
    "GIBBS",
    "MONOTONE",
    "free_xreplace",
    "interval_rule",
    "interval_substitution",
    "jensen_rule",
    "mask_nonnegative",
    "pointwise",
    "strict_jensen",
    "strict_jensen_over_density",
]

GIBBS = "KL ≥ 0 (Gibbs' inequality)"
MONOTONE = "monotonicity of E: E[f] ≥ E[g] where f ≥ g everywhere"
CURVATURE_FROM_INTERVAL = "the function's curvature from the declared intervals"
FINITE_JENSEN = ("Jensen's inequality for a finite average: φ(Σ μ_k v_k) ≥ Σ μ_k φ(v_k) for a "
                 "concave φ and weights μ_k > 0 summing to 1")


def jensen_rule(phi: sp.Expr, t: sp.Symbol, concave: bool) -> str:
    """The words of Jensen's inequality for the function ``phi`` of ``t``.

    >>> t = sp.Symbol("t", positive=True)
    >>> jensen_rule(sp.log(t), t, True)
    "Jensen's inequality for the concave log(t): log(E[X]) ≥ E[log(X)]"
    """
    X = sp.Symbol("X")
    f_e, e_f = phi.xreplace({t: sp.Symbol("E[X]")}), phi.xreplace({t: X})
    if concave:
        return (f"Jensen's inequality for the concave {plain(phi)}: {plain(f_e)} ≥ "
                f"E[{plain(e_f)}]")
    return f"Jensen's inequality for the convex {plain(phi)}: E[{plain(e_f)}] ≥ {plain(f_e)}"


def interval_rule(name: str, interval: sp.Interval) -> str:
    """The words of a bound that comes from a declared interval.

    >>> interval_rule("y", sp.Interval.open(0, 1))
    'bounds from the declared interval y ∈ (0, 1)'
    """
    lo = "(" if interval.left_open else "["
    hi = ")" if interval.right_open else "]"
    return f"bounds from the declared interval {name} ∈ {lo}{interval.inf}, {interval.sup}{hi}"


def _curvature(phi: sp.Expr, t: sp.Symbol, within: Mapping[sp.Symbol, sp.Expr] | None = None,
               ) -> str:
    """"concave", "convex" or "" for φ(t) over the values t may take (its assumptions), the
    other symbols of φ inside their declared intervals (``within``, the substitution of
    :func:`interval_substitution`: tⁿ is convex for a declared n ≥ 1)."""
    second = sp.diff(phi, t, 2)
    if second == 0:
        return ""
    for form in (second, second.xreplace(within) if within else None):
        if form is None:
            continue
        if (-form).is_nonnegative is True:
            return "concave"
        if form.is_nonnegative is True:
            return "convex"
    return ""


def _same(a: sp.Expr, b: sp.Expr) -> bool:
    if a == b:
        return True
    d = sp.expand(sp.expand_log(a - b, deep=True))  # sound: positivity only, never force
    return d == 0


def _jensen_pairs(gap: sp.Expr, within: Mapping[sp.Symbol, sp.Expr] | None = None,
                  ) -> tuple[sp.Expr, list[str]]:
    """``gap`` with each Jensen pair c·(φ(E[X]) − E[φ(X)]) (concave φ, c ≥ 0) or
    c·(E[φ(X)] − φ(E[X])) (convex φ) replaced by a non-negative symbol."""
    terms = list(sp.Add.make_args(sp.expand(gap, log=False)))
    rules: list[str] = []
    used: set[int] = set()
    out: list[sp.Expr] = []
    for i, term in enumerate(terms):
        if i in used:
            continue
        coeff, rest = term.as_independent(Expectation, as_Add=False)
        inner = _outermost_expectations(rest)
        if len(inner) == 1 and rest != inner[0]:
            e = inner[0]
            keys, innermost = _nested(e)
            # an expectation of a positive integrand is positive, nested or not
            t = sp.Dummy("t", positive=True) if (
                e.integrand.is_positive or innermost.is_positive) else sp.Dummy("t", real=True)
            phi = rest.xreplace({e: t})
            if not phi.has(Expectation) and phi.has(t):
                for j, other in enumerate(terms):
                    if j == i or j in used:
                        continue
                    c2, r2 = other.as_independent(Expectation, as_Add=False)
                    if not isinstance(r2, Expectation) or not _same(c2, -coeff):
                        continue
                    # φ(E[X]) against E[φ(X)]; through nested expectations, E_a[E_b[X]] is
                    # one expectation over the joint law of a and b (Fubini)
                    keys2, innermost2 = _nested(r2, len(keys))
                    if not (keys2 == keys
                            and _same(innermost2, phi.xreplace({t: innermost}))):
                        continue
                    if _pair_up(phi, t, coeff, within, rules):
                        used.update((i, j))
                        out.append(sp.Dummy("J", nonnegative=True))
                        break
                else:
                    group = _split_expectation(terms, i, used, e, coeff, phi, t)
                    if group and _pair_up(phi, t, coeff, within, rules):
                        used.update((i, *group))
                        out.append(sp.Dummy("J", nonnegative=True))
    out.extend(term for i, term in enumerate(terms) if i not in used)
    return sp.Add(*out), rules


def _outermost_expectations(expr: sp.Expr) -> list[Expectation]:
    """The expectations of ``expr`` that no other expectation of it contains."""
    if isinstance(expr, Expectation):
        return [expr]
    found: list[Expectation] = []
    for arg in expr.args:
        found.extend(_outermost_expectations(arg))
    return found


def _nested(e: Expectation, depth: int | None = None,
            ) -> tuple[list[tuple[sp.Expr, sp.Expr]], sp.Expr]:
    """The (variable, density) of ``e`` and of each expectation nested directly inside it,
    E_a[E_b[X]] giving [(a, p_a), (b, p_b)] and X; at most ``depth`` levels when given.

    >>> a, b = sp.Symbol("a", real=True), sp.Symbol("b", real=True)
    >>> pa, pb = sp.Function("p", positive=True)(a), sp.Function("p", positive=True)(b)
    >>> _nested(Expectation(Expectation(a*b, b, pb), a, pa))
    ([(a, p(a)), (b, p(b))], a*b)
    """
    keys: list[tuple[sp.Expr, sp.Expr]] = []
    node: sp.Expr = e
    while isinstance(node, Expectation) and (depth is None or len(keys) < depth):
        keys.append((node.variable, node.density))
        node = node.integrand
    return keys, node


def _pair_up(phi: sp.Expr, t: sp.Dummy, coeff: sp.Expr,
             within: Mapping[sp.Symbol, sp.Expr] | None, rules: list[str]) -> bool:
    """Whether c·φ(E[X]) with c = ``coeff`` is the side of a Jensen pair that is ≥ its
    partner (φ concave and c ≥ 0, or φ convex and c ≤ 0); the rule is added to ``rules``."""
    shape = _curvature(phi, t, within)
    if not ((shape == "concave" and coeff.is_nonnegative is True)
            or (shape == "convex" and coeff.is_nonpositive is True)):
        return False
    rules.append(jensen_rule(phi.xreplace({t: sp.Symbol("t")}), sp.Symbol("t"),
                             shape == "concave"))
    if within and not _curvature(phi, t):
        rules.append(CURVATURE_FROM_INTERVAL)
    return True


def _split_expectation(terms: list[sp.Expr], i: int, used: set[int], e: Expectation,
                       coeff: sp.Expr, phi: sp.Expr, t: sp.Dummy) -> list[int]:
    """The positions of the terms c_k·E[f_k] (over the variable and the density of ``e``,
    each c_k free of the variable) whose sum is −c·E[φ(X)] by linearity of the expectation,
    Σ_k c_k f_k = −c·φ(X): the partner of c·φ(E[X]) written as several expectations, as in
    E_q[log p(x|z) + log p(z)] − E_q[log q(z)]. Empty when there are fewer than two or the
    sum differs."""
    group, parts = [], []
    for j, other in enumerate(terms):
        if j == i or j in used:
            continue
        c2, r2 = other.as_independent(Expectation, as_Add=False)
        if (isinstance(r2, Expectation) and r2.variable == e.variable
                and r2.density == e.density and not c2.has(e.variable)):
            group.append(j)
            parts.append(c2 * r2.integrand)
    if len(group) < 2:
        return []
    return group if _same(sp.Add(*parts), -coeff * phi.xreplace({t: e.integrand})) else []


def pointwise(gap: sp.Expr) -> sp.Expr | None:
    """The integrand h of ``gap`` = Σ_i c_i·E_q[f_i] (one variable, one density, every c_i
    free of the variable) read as E_q[h], h = Σ_i c_i f_i, repeated through nested
    expectations; None when ``gap`` is not of that shape. E_q[h] ≥ 0 follows from h ≥ 0 at
    every value of the variable (:data:`MONOTONE`), so a gap between two expectations over one
    density is ≥ 0 when the gap between their integrands is.

    >>> z = sp.Symbol("z", real=True)
    >>> q = sp.Function("q(z)", positive=True)(z)
    >>> f, g = sp.Function("f", real=True)(z), sp.Function("g", real=True)(z)
    >>> pointwise(Expectation(f, z, q) - 2 * Expectation(g, z, q))
    f(z) - 2*g(z)
    """
    return _peel(gap)[0]


def _peel(gap: sp.Expr) -> tuple[sp.Expr | None, list[tuple[sp.Symbol, sp.Expr]]]:
    """:func:`pointwise`, with the (variable, density) of each expectation taken off."""
    out = None
    taken: list[tuple[sp.Symbol, sp.Expr]] = []
    while True:
        key = None
        parts = []
        for term in sp.Add.make_args(gap):
            coeff, e = term.as_independent(Expectation, as_Add=False)
            if not isinstance(e, Expectation):
                return out, taken
            if key is None:
                key = (e.variable, e.density)
            if (e.variable, e.density) != key or coeff.has(e.variable):
                return out, taken
            parts.append(coeff * e.integrand)
        gap = out = sp.Add(*parts)
        taken.append(key)


def _reduce(expr: sp.Expr) -> sp.Expr:
    return sp.expand(sp.expand_log(expr, deep=True))  # sound: positivity only, never force


def _jensen_parts(gap: sp.Expr) -> Iterator[tuple[sp.Expr, sp.Dummy, list, list, sp.Expr]]:
    """Each way of writing ``gap`` = J + R, with J = φ(S) − Σ_k μ_k φ(v_k) ≥ 0 the Jensen gap
    of a concave φ applied to a positive combination S = Σ_k λ_k u_k (μ_k = λ_k/Λ,
    v_k = Λ·u_k, Λ = Σ λ_k, so that S = Σ μ_k v_k): (φ as a function of t, t, the μ_k, the
    v_k, R reduced)."""
    for term in sp.Add.make_args(gap):
        for S in sp.preorder_traversal(term):
            if not isinstance(S, sp.Add) or len(S.args) < 2 or S.has(Expectation):
                continue
            weights, points = [], []
            for part in S.args:
                lam, u = part.as_coeff_Mul()
                if not (lam.is_Number and lam > 0) or u.is_number:
                    break
                weights.append(lam)
                points.append(u)
            else:
                total = sp.Add(*weights)
                positive = all(u.is_positive for u in points)
                t = sp.Dummy("t", positive=True) if positive else sp.Dummy("t", real=True)
                phi = term.xreplace({S: t})
                if not phi.has(t) or _curvature(phi, t) != "concave":
                    continue
                mus = [lam / total for lam in weights]
                vs = [total * u for u in points]
                jensen = term - sp.Add(*[mu * phi.xreplace({t: v})
                                        for mu, v in zip(mus, vs, strict=True)])
                yield phi, t, mus, vs, _reduce(gap - jensen)


def _finite_jensen(gap: sp.Expr) -> tuple[sp.Expr, str] | None:
    """``gap`` with a finite Jensen gap J (:func:`_jensen_parts`) replaced by a non-negative
    symbol, when the rest reduces to something ≥ 0 by the sign rules (``None`` otherwise)."""
    for _phi, _t, _mus, _vs, rest in _jensen_parts(gap):
        if rest == 0 or rest.is_nonnegative is True:
            return sp.Dummy("J", nonnegative=True) + rest, FINITE_JENSEN
    return None


#: Values tried for the free symbols when looking for a point where two of Jensen's points
#: differ (each kept only where the symbol's assumptions allow it).
_TRIAL_VALUES = (sp.Rational(7, 10), sp.Rational(13, 10), sp.Rational(-3, 10), 2,
                 sp.Rational(-17, 10), sp.Rational(1, 3))


def _trial_point(free: Sequence[sp.Symbol], domains: Mapping[sp.Symbol, sp.Set],
                 shift: int) -> dict[sp.Symbol, sp.Expr] | None:
    """The ``shift``-th point of :data:`_TRIAL_VALUES` for the symbols ``free``: each the
    first trial value (from its own offset) inside its sign and its declared domain; None when
    a symbol has none, or its value is not a whole number where it must be."""
    point: dict[sp.Symbol, sp.Expr] = {}
    for j, s in enumerate(free):
        inside = domains.get(s, sp.S.Reals)
        for k in range(len(_TRIAL_VALUES)):
            value = _TRIAL_VALUES[(j + shift + k) % len(_TRIAL_VALUES)]
            if not (s.is_positive and value <= 0) and not (
                    s.is_nonnegative and value < 0) and inside.contains(value) is sp.true:
                break
        else:
            return None
        if s.is_integer and not sp.S(value).is_integer:
            return None
        point[s] = sp.S(value)
    return point



def strict_jensen(lhs: sp.Expr, rhs: sp.Expr, relation: Relation,
                  domains: Mapping[sp.Symbol, sp.Interval] | None = None,
                  ) -> tuple[str, Counterexample] | None:
    """A refutation of ``lhs <relation> rhs`` when one side exceeds the other *strictly*
    by Jensen's inequality: the gap d (between expectations over one density, as in
    :func:`pointwise`) is J + R with R ≥ 0 and J = φ(Σ μ_k v_k) − Σ μ_k φ(v_k) for a strictly
    concave φ, and on the linear-Gaussian instance of the densities
    (:func:`~elbo_derivation.decide.rules.linear_gaussian_instance`) two of the v_k differ at
    a point. J is then > 0 at that point, so on an open set around it (continuity), where the
    instance's densities are positive: the expectation of J is > 0, and d > 0. A step that
    says d ≤ 0 (``=`` or the inequality reversed) is false for that instance.

    Returns (the explanation, a counterexample whose point is the instance's parameters and
    the point where J > 0, inside the declared ``domains``; ``difference`` is J there, the
    sides' own values are not computed: NaN), or None.
    """
    from elbo_derivation.decide.rules import linear_gaussian_instance, model_families

    signs = {Relation.EQ: (1, -1), Relation.LE: (1,), Relation.GE: (-1,)}.get(relation, ())
    for sign in signs:
        d = sign * (lhs - rhs)
        inner, taken = _peel(d) if d.has(Expectation) else (d, [])
        if inner is None or any(
                v.is_positive or v.is_nonnegative or v.is_nonpositive or v.is_integer
                or v in (domains or {}) for v, _ in taken):
            continue  # (a density on part of the line has no Gaussian instance)
        for phi, t, mus, vs, rest in _jensen_parts(inner):
            if not (rest == 0 or rest.is_nonnegative is True):
                continue
            if (-sp.diff(phi, t, 2)).is_positive is not True:
                continue  # not strictly concave: J may vanish everywhere
            if not _copies(vs, [var for var, _ in taken]):
                continue  # only i.i.d. copies of one quantity get one instance each
            around = [Expectation(vs[0], var, q) for var, q in taken if vs[0].has(var)]
            present = {n.func.__name__.split("(")[0]
                       for e in (vs[0], *around) for n in e.atoms(AppliedUndef)}
            if model_families(vs[0], *around) & present != model_families(lhs, rhs) & present:
                continue  # the roles read from one copy are not the step's: no instance

            def instance(v: sp.Expr, taken: list = taken) -> Any:
                # v with the expectation it sat in, so that the instance reads the roles
                around = [Expectation(v, var, q) for var, q in taken if v.has(var)]
                return linear_gaussian_instance(v, *around)

            found = _point_where_apart(vs, instance, domains or {})
            if found is None:
                continue
            point, values = found
            gap_value = (phi.xreplace({t: sp.Add(*[m * v for m, v in zip(mus, values,
                                                                        strict=True)])})
                         - sp.Add(*[m * phi.xreplace({t: v})
                                    for m, v in zip(mus, values, strict=True)])).evalf(50)
            if not (gap_value.is_number and gap_value > 0):
                continue
            side = "left − right" if sign == 1 else "right − left"
            where = ", ".join(f"{k} = {v:g}" for k, v in point.items())
            text = (f"{side} is the expectation of a Jensen gap J = φ(Σ μ_k v_k) − Σ μ_k φ(v_k) "
                    f"with φ(t) = {plain(phi.xreplace({t: sp.Symbol('t')}))} strictly concave, "
                    f"and J = {float(gap_value):.6g} > 0 at {where} on the linear-Gaussian "
                    "instance of the densities: so J > 0 near that point, where the densities "
                    f"are positive, and {side} > 0 there")
            ce = Counterexample(point=point, lhs=float("nan"), rhs=float("nan"),
                                difference=float(sign * gap_value),
                                note="exact (strict Jensen): " + text)
            return text, ce
    return None


def _copies(vs: list[sp.Expr], variables: list[sp.Symbol]) -> bool:
    """Whether every v_k is v_1 with one of ``variables`` renamed to v_1's (i.i.d. copies)."""
    first = [var for var in variables if vs[0].has(var)]
    if len(first) != 1:
        return False
    for v in vs[1:]:
        own = [var for var in variables if v.has(var)]
        if len(own) != 1 or v.xreplace({own[0]: first[0]}) != vs[0]:
            return False
    return True


def _point_where_apart(vs: list[sp.Expr], instance: Any,
                       domains: Mapping[sp.Symbol, sp.Interval],
                       ) -> tuple[dict[str, float], list[sp.Expr]] | None:
    """A point (values for every free symbol of the instanced v_k, within their assumptions)
    where two of the v_k differ, with the v_k there; None if none was found."""
    if any(v.has(AppliedUndef) for v in vs):
        # each point on its own (its copy of the latent variable is the instance's latent
        # one); the instance's parameters are named alike each time, so they are shared
        got = [instance(v) for v in vs]
        if any(g is None for g in got):
            return None
        vs = [g[0][0] for g in got]
        if any(v.has(AppliedUndef) for v in vs):
            return None
    free = ordered(set().union(*(v.free_symbols for v in vs)))
    for shift in range(len(_TRIAL_VALUES)):
        point = _trial_point(free, domains, shift)
        if point is None:
            return None
        values = [v.xreplace(point).evalf(50) for v in vs]
        if not all(v.is_real and v.is_finite for v in values):
            continue
        if any(abs(a - b) > sp.Float("1e-30") for a in values for b in values):
            return {str(k): float(v) for k, v in point.items()}, values
    return None


def _density_factor(integrand: sp.Expr, v: sp.Symbol) -> sp.Expr | None:
    """The one declared density (a positive abstract function) of ``v`` that is a factor of
    ``integrand``, or None."""
    found = [f for f in sp.Mul.make_args(integrand)
             if isinstance(f, AppliedUndef) and f.is_positive is True and f.args[:1] == (v,)
             and len(str(f.func).partition("(")[2].partition("|")[0].split(",")) == 1]
    return found[0] if len(found) == 1 else None


def integrals_as_expectations(expr: sp.Expr) -> sp.Expr:
    """``expr`` with each integral over the whole line read as an expectation: ∫ q(z)·f dz as
    E_q[f] when a declared density q of z is a factor, and any other ∫ g dz as E_q[g/q] for a
    density q that an expectation over z in ``expr`` uses (∫ g = ∫ q·(g/q), q > 0). This is
    what lets Jensen's inequality pair log ∫ p(x, z) dz with ∫ q(z) log(p(x, z)/q(z)) dz.

    >>> x, z = sp.symbols("x z", real=True)
    >>> q = sp.Function("q(z)", positive=True)(z)
    >>> p = sp.Function("p(x, z)", positive=True)(x, z)
    >>> integrals_as_expectations(sp.log(sp.Integral(p, (z, -sp.oo, sp.oo)))
    ...     - sp.Integral(q * sp.log(p / q), (z, -sp.oo, sp.oo)))
    log(E[p(x, z)(x, z)/q(z)(z), z ~ q(z)(z)]) - E[log(p(x, z)(x, z)/q(z)(z)), z ~ q(z)(z)]
    """
    def whole_line(node: sp.Basic) -> sp.Symbol | None:
        if isinstance(node, sp.Integral) and len(node.limits) == 1 and len(node.limits[0]) == 3:
            v, lo, hi = node.limits[0]
            if lo == -sp.oo and hi == sp.oo:
                return v
        return None

    subs: dict[sp.Basic, sp.Expr] = {}
    for node in sp.preorder_traversal(expr):
        v = whole_line(node)
        if v is not None and (q := _density_factor(node.function, v)) is not None:
            subs[node] = Expectation(node.function / q, v, q)
    expr = expr.xreplace(subs) if subs else expr
    over: dict[sp.Symbol, set[sp.Expr]] = {}
    for node in sp.preorder_traversal(expr):
        if isinstance(node, Expectation):
            over.setdefault(node.variable, set()).add(node.density)
    subs = {}
    for node in sp.preorder_traversal(expr):
        v = whole_line(node)
        if v is not None and len(over.get(v, ())) == 1:
            (q,) = over[v]
            subs[node] = Expectation(node.function / q, v, q)
    return expr.xreplace(subs) if subs else expr


#: the rule that takes c·(log A − log B) ≥ 0 back to A − B ≥ 0
LOG_INCREASING = "the log is increasing: log A ≥ log B when A ≥ B > 0"


def _positive(e: sp.Expr) -> bool:
    """Whether ``e`` is known positive, an expectation of a positive integrand included."""
    if e.is_positive is True:
        return True
    if isinstance(e, Expectation) and not isinstance(e, KL):
        return _positive(e.integrand)
    if isinstance(e, sp.Pow):
        return _positive(e.base) and e.exp.is_real is True
    if isinstance(e, (sp.Mul, sp.Add)):
        return all(_positive(a) for a in e.args)
    return False


def _log_difference(gap: sp.Expr) -> sp.Expr | None:
    """A − B when ``gap`` is c·log A − c·log B with c > 0 and A, B > 0 (so that A − B ≥ 0
    proves ``gap`` ≥ 0), else None.

    >>> a, b = sp.symbols("a b", positive=True)
    >>> _log_difference(sp.log(a**2 + 1) / 2 - sp.log(2 * a) / 2)
    a**2 - 2*a + 1
    """
    terms = sp.Add.make_args(sp.expand(gap, log=False))
    if len(terms) != 2:
        return None
    parts = []
    for term in terms:
        coeff, rest = term.as_independent(sp.log, as_Add=False)
        if not isinstance(rest, sp.log) or coeff.has(sp.log):
            return None  # (c may share symbols with A and B: (1/n)·log E[wⁿ], n > 0)
        parts.append((coeff, rest.args[0]))
    (c1, a), (c2, b) = parts
    if c1.is_negative is True:
        (c1, a), (c2, b) = (c2, b), (c1, a)
    if not (c1.is_positive is True and sp.expand(c1 + c2) == 0
            and _positive(a) and _positive(b)):
        return None
    return sp.expand(a - b, log=False)


def _normalised(g: sp.Expr, v: sp.Symbol) -> bool:
    """Whether ``g`` is, by its form, a positive function of ``v`` that integrates to 1 over
    the line: a declared density of ``v`` alone, or h/∫ h dv with h positive (the Gibbs
    posterior π(θ)e^{−λL(θ)}/Z with Z = ∫ π e^{−λL} dθ, Germain et al. 2016, Lemma 3).

    >>> t = sp.Symbol("t", real=True)
    >>> p = sp.Function("p(t)", positive=True)(t)
    >>> h = p * sp.exp(-t**2)
    >>> _normalised(h / sp.Integral(h, (t, -sp.oo, sp.oo)), t), _normalised(h, t)
    (True, False)
    """
    if _density_factor(g, v) == g:
        return True
    rest, norms = sp.Integer(1), []
    for f in sp.Mul.make_args(g):
        base, exponent = f.as_base_exp()
        if (exponent == -1 and isinstance(base, sp.Integral) and len(base.limits) == 1
                and len(base.limits[0]) == 3 and base.limits[0][1:] == (-sp.oo, sp.oo)):
            norms.append(base)
        else:
            rest *= f
    if len(norms) != 1 or not _positive(rest):
        return False
    (norm,) = norms
    w = norm.limits[0][0]
    body = norm.function.xreplace({w: v}) if w != v else norm.function
    return v not in norm.free_symbols and sp.expand(rest - body) == 0


def _kl_to_normalised(e: Expectation) -> bool:
    """Whether the expectation ``e`` is E_{v ~ q}[log(q/g)] for a ``g`` that
    :func:`_normalised` accepts: a KL divergence, non-negative by Gibbs' inequality."""
    integrand, v, q = e.integrand, e.variable, e.density
    if not isinstance(integrand, sp.log):
        return False
    g = q / integrand.args[0]
    return q.has(v) and _normalised(g, v)


def _joint_kl(e: Expectation) -> bool:
    """Whether ``e`` is a KL divergence between two densities of several variables written as
    nested expectations: E_{q(a)}[E_{q(b|a)}[log(q(a, b)/g(a, b))]], the chain of one
    family's marginal and conditionals (whose product is its declared joint q(a, b), on
    which the log's numerator is) and g a declared density of the same variables (given any
    others). Such an expectation is KL(q(a, b) ‖ g(a, b)) ≥ 0 (Gibbs' inequality); the
    densities' conditioning on other variables, q(a, b|y), is carried down the chain.

    >>> a, b, y = sp.symbols("a b y", real=True)
    >>> F = lambda name, *v: sp.Function(name, positive=True)(*v)
    >>> inner = sp.log(F("q(a,b)", a, b) / F("g(a,b|y)", a, b, y))
    >>> _joint_kl(Expectation(Expectation(inner, b, F("q(b|a)", b, a)), a, F("q(a)", a)))
    True
    >>> _joint_kl(Expectation(Expectation(inner, b, F("q(b)", b)), a, F("q(a)", a)))
    False
    """
    from elbo_derivation.decide.rules import density_signature

    chain: list[tuple[sp.Symbol, sp.Expr]] = []
    node: sp.Expr = e
    while isinstance(node, Expectation) and not isinstance(node, KL):
        chain.append((node.variable, node.density))
        node = node.integrand
    if len(chain) < 2 or not isinstance(node, sp.log):
        return False
    num, den = sp.fraction(node.args[0])
    joint, other = density_signature(num), density_signature(den)
    names = [str(v) for v, _ in chain]
    if (joint is None or other is None or len(set(names)) != len(names)
            or not all(isinstance(v, sp.Symbol) and v.is_real for v, _ in chain)
            or set(joint.given) != set(names) or set(other.given) != set(names)
            or set(names) & set(joint.cond) or set(names) & set(other.cond)):
        return False
    seen = set(joint.cond)
    for v, density in chain:
        sig = density_signature(density)
        if sig is None or sig.family != joint.family or sig.given != (str(v),) or set(
                sig.cond) != seen:
            return False
        seen.add(str(v))
    return True


def mask_nonnegative(gap: sp.Expr, within: Mapping[sp.Symbol, sp.Expr] | None = None,
                     ) -> tuple[sp.Expr, tuple[str, ...]]:
    """``gap`` with the parts that Gibbs' and Jensen's inequalities make non-negative replaced
    by non-negative symbols, and the rules used (empty when none applied).

    The result is ≥ 0 wherever ``gap`` is... only in the sense that ``gap`` ≥ ``result``
    with the symbols at their true values; so ``result ≥ 0`` proves ``gap ≥ 0``.
    """
    inside = _log_difference(gap) if gap.has(Expectation, KL, sp.Integral) else None
    if inside is not None:  # c·(log A − log B): A − B ≥ 0 is enough
        masked, rules_inside = mask_nonnegative(inside, within)
        if rules_inside:
            return masked, (LOG_INCREASING, *rules_inside)
    rules: list[str] = []
    gibbs = {n: sp.Dummy("KL", nonnegative=True) for n in sp.preorder_traversal(gap)
             if isinstance(n, Expectation) and not isinstance(n, KL)
             and (_kl_to_normalised(n) or _joint_kl(n))}
    if gibbs:  # E_q[log(q/g)] with ∫ g = 1: the KL to the density g
        gap = gap.xreplace(gibbs)
        rules.append(GIBBS)
    kls = [n for n in sp.preorder_traversal(gap) if isinstance(n, KL)]
    if kls:
        gap = gap.xreplace({k: sp.Dummy("KL", nonnegative=True) for k in set(kls)})
        rules.append(GIBBS)
    if gap.has(sp.Integral):
        gap = integrals_as_expectations(gap)
    if gap.has(Expectation):
        gap, more = _jensen_pairs(gap, within)
        rules.extend(more)
    if not rules:  # E[E[φ(Σ μ_k v_k)]] − E[E[Σ μ_k φ(v_k)]]: the integrands, then Jensen
        inner = pointwise(gap) if gap.has(Expectation) else None
        found = _finite_jensen(gap if inner is None else inner)
        if found is not None:
            gap = found[0]
            rules.extend(([] if inner is None else [MONOTONE]) + [found[1]])
    return gap, tuple(dict.fromkeys(rules))


def interval_substitution(domains: Mapping[sp.Symbol, sp.Interval],
                          ) -> tuple[dict[sp.Symbol, sp.Expr], tuple[str, ...]]:
    """Each symbol with a declared interval written through a positive variable covering
    exactly that interval, and the rules; intervals the symbol's own assumption already says
    everything about ((0, ∞), [0, ∞), ℝ) are left alone.

    >>> y = sp.Symbol("y", positive=True)
    >>> subs, rules = interval_substitution({y: sp.Interval.open(0, 1)})
    >>> (1 - subs[y]).is_positive, rules
    (True, ('bounds from the declared interval y ∈ (0, 1)',))
    """
    subs: dict[sp.Symbol, sp.Expr] = {}
    rules: list[str] = []
    for s, iv in domains.items():
        lo, hi = iv.inf, iv.sup
        if hi is sp.oo and (lo is sp.S.NegativeInfinity or lo == 0):
            continue
        closed = not (iv.left_open and iv.right_open)
        t = sp.Dummy(f"{s}_t", **({"nonnegative": True} if closed else {"positive": True}))
        if lo.is_finite and hi.is_finite:
            if closed:  # a closed end cannot be reached by t/(1 + t): leave it to the probe
                continue
            subs[s] = lo + (hi - lo) * t / (1 + t)
        elif lo.is_finite:
            subs[s] = lo + t
        else:
            subs[s] = hi - t
        rules.append(interval_rule(str(s), iv))
    return subs, tuple(rules)


def free_xreplace(expr: sp.Expr, subs: Mapping[sp.Basic, sp.Expr]) -> sp.Expr:
    """``expr.xreplace(subs)`` where each symbol is replaced only where it is free: the
    variable of an integral, sum, product or expectation is bound there (∫₀¹ f(y) dy does not
    depend on a declared y ∈ (0, 1)) and stays as it is, where a plain ``xreplace`` would
    put an expression in the limits ("Invalid limits given").

    >>> y = sp.Symbol("y", positive=True)
    >>> e = y + sp.Integral(y ** 2, (y, 0, 1))
    >>> free_xreplace(e, {y: 2 * y})
    2*y + Integral(y**2, (y, 0, 1))
    """
    from elbo_derivation.core.expectation import Expectation

    if not subs:
        return expr
    back: dict[sp.Basic, sp.Basic] = {}

    def bound_of(node: sp.Basic) -> list[sp.Basic]:
        if isinstance(node, Expectation):
            return [node.variable]
        return [lim[0] for lim in node.limits]

    def mask(node: sp.Basic) -> sp.Basic:
        renames = {}
        for v in bound_of(node):
            if v in subs and isinstance(v, sp.Symbol):
                d = sp.Dummy(v.name, **v.assumptions0)
                renames[v] = d
                back[d] = v
        return node.xreplace(renames) if renames else node

    kinds = (sp.Integral, sp.Sum, sp.Product, Expectation)
    if not expr.has(*kinds):
        return expr.xreplace(subs)
    masked = expr.replace(lambda n: isinstance(n, kinds), mask)
    out = masked.xreplace(subs)
    return out.xreplace(back) if back else out


def interval_variables(expr: sp.Expr, domains: Mapping[sp.Symbol, sp.Interval],
                       ) -> tuple[dict[sp.Symbol, sp.Expr], dict[sp.Symbol, sp.Expr]]:
    """Each symbol of ``expr`` declared in an interval written through a positive variable
    covering it (c = t/(1 + t) for 0 < c < 1, so that 1 − c = 1/(1 + t) is known positive),
    and the way back (t = c/(1 − c)); two empty maps when there is none.

    >>> c = sp.Symbol("c", positive=True)
    >>> there, back = interval_variables(1 - c, {c: sp.Interval.open(0, 1)})
    >>> sp.factor((1 - c).xreplace(there)).is_positive, sp.simplify(there[c].xreplace(back))
    (True, c)
    """
    subs, _ = interval_substitution(domains)
    free = expr.free_symbols
    there = {s: v for s, v in subs.items() if s in free}
    back = {}
    for s, v in there.items():  # t from s = v(t): lo + (hi − lo)t/(1 + t), lo + t or hi − t
        (t,) = v.free_symbols
        lo, hi = domains[s].inf, domains[s].sup
        inverse = [w for w in ((s - lo) / (hi - s), s - lo, hi - s) if not w.has(sp.oo, -sp.oo)
                   and sp.cancel(v.xreplace({t: w}) - s) == 0]
        if not inverse:
            return {}, {}
        back[t] = inverse[0]
    return there, back


# --- strict Jensen over a written density (gaps4, thirteenth round) -------------------------

#: the rule of a refutation by :func:`strict_jensen_over_density`
STRICT_JENSEN_DENSITY = ("Jensen's inequality is strict for a strictly concave φ and a "
                         "non-constant Y: φ(E[Y]) > E[φ(Y)]")

#: functions whose value can jump: a Y holding one is not known to be continuous
_JUMPS = (sp.Piecewise, sp.sign, sp.Heaviside, sp.floor, sp.ceiling, sp.frac, sp.Abs)


def _whole_line_density(density: sp.Expr, z: sp.Symbol) -> bool:
    """Whether ``density`` is positive for every real ``z`` under the assumptions (a variable
    over the whole line: not declared positive, non-negative, non-positive or whole)."""
    if z.is_positive or z.is_nonnegative or z.is_nonpositive or z.is_integer:
        return False
    return density.is_positive is True and not density.has(AppliedUndef, Expectation,
                                                            sp.Integral, *_JUMPS)


def strict_jensen_over_density(lhs: sp.Expr, rhs: sp.Expr, relation: Relation,
                               domains: Mapping[sp.Symbol, sp.Interval] | None = None,
                               ) -> tuple[str, Counterexample] | None:
    """A refutation of ``lhs <relation> rhs`` whose gap d (right − left for ``>=``, left −
    right for ``<=``, either for ``=``) is φ(E_ρ[Y]) − E_ρ[φ(Y)] + R: φ strictly concave,
    R ≥ 0 by the sign rules, ρ a density written out in the step, positive on the whole
    line, Y continuous and not constant. Jensen's inequality is then strict: a continuous Y
    that differs at two points differs on sets of positive ρ-measure, so φ(E[Y]) > E[φ(Y)]
    and d > 0, while the step says d ≤ 0 (d = 0 for ``=``).

    The point is checked, not assumed: at trial values of the parameters inside the declared
    intervals, ∫ρ = 1 and E_ρ[Y] are evaluated exactly (Gaussian integrals in closed form),
    E_ρ[φ(Y)] by quadrature at 15 digits, and J = φ(E[Y]) − E[φ(Y)] must come out finite and
    clearly > 0 there (the sign is the theorem's; the number shows it). The counterexample
    gives those parameters, the two sides there (each expectation by quadrature; both must be
    finite) and J. None when the gap has no such form or no trial point passes.

    >>> z, mu = sp.Symbol("z", real=True), sp.Symbol("mu", real=True)
    >>> s = sp.Symbol("s", positive=True)
    >>> rho = sp.exp(-(z - mu)**2 / (2 * s**2)) / (sp.sqrt(2 * sp.pi) * s)
    >>> y = 1 + sp.exp(z)
    >>> text, ce = strict_jensen_over_density(Expectation(sp.log(y), z, rho),
    ...                                       sp.log(Expectation(y, z, rho)), Relation.GE)
    >>> ce.difference < 0
    True
    >>> strict_jensen_over_density(sp.log(Expectation(y, z, rho)),
    ...                            Expectation(sp.log(y), z, rho), Relation.GE) is None
    True
    """
    signs = {Relation.EQ: (1, -1), Relation.LE: (1,), Relation.GE: (-1,)}.get(relation, ())
    for sign in signs:
        d = sp.S(sign * (lhs - rhs))
        terms = sp.Add.make_args(d)
        for term in terms:
            for inner in term.atoms(Expectation):
                if term == inner or not isinstance(inner, Expectation):
                    continue
                found = _jensen_pair(d, term, inner, domains or {})
                if found is None:
                    continue
                text, point, gap, known = found
                sides = [_side_value(e, point, known) for e in (lhs, rhs)]
                if any(v is None for v in sides):
                    continue  # a side not finite there: no counterexample to show
                side = "left − right" if sign == 1 else "right − left"
                text = f"{side} is {text}"
                return text, Counterexample(point={str(k): float(v) for k, v in point.items()},
                                            lhs=sides[0], rhs=sides[1],
                                            difference=float(sign * gap),
                                            note="exact (strict Jensen): " + text)
    return None


def _jensen_pair(d: sp.Expr, term: sp.Expr, inner: Expectation,
                 domains: Mapping[sp.Symbol, sp.Interval],
                 ) -> tuple[str, dict[sp.Symbol, sp.Expr], sp.Float,
                            dict[sp.Basic, sp.Expr]] | None:
    """For :func:`strict_jensen_over_density`: ``term`` = φ(E_ρ[Y]) with ``inner`` = E_ρ[Y],
    its partner −E_ρ[φ(Y)] among the terms of ``d`` and the rest ≥ 0; then a point where the
    Jensen gap is checked. (the words, the point, J there, the values of E_ρ[Y] and of the
    partner's expectation there) or None."""
    z, y, rho = inner.variable, inner.integrand, inner.density
    if not _whole_line_density(rho, z) or z in domains:
        return None
    if y.has(AppliedUndef, Expectation, sp.Integral, sp.Sum, *_JUMPS) or not y.has(z):
        return None
    if y.is_finite is not True:  # continuous where finite everywhere: no pole in the line
        return None
    t = sp.Dummy("t", positive=True) if y.is_positive is True else sp.Dummy("t", real=True)
    phi = term.xreplace({inner: t})
    if phi.has(Expectation, z) or (-sp.diff(phi, t, 2)).is_positive is not True:
        return None  # not a function of E[Y] alone, or not strictly concave
    want = phi.xreplace({t: y})
    partner = None
    for other in sp.Add.make_args(d):
        coeff, e = other.as_independent(Expectation, as_Add=False)
        if isinstance(e, Expectation) and (e.variable, e.density) == (z, rho) and (
                _reduce(coeff * e.integrand + want) == 0):
            partner = other
            break
    if partner is None:
        return None
    rest = _reduce(d - term - partner)
    if not (rest == 0 or rest.is_nonnegative is True):
        return None
    found = _checked_point(phi, t, y, z, rho, domains)
    if found is None:
        return None
    text, point, gap, mean, inside_mean = found
    coeff, e = partner.as_independent(Expectation, as_Add=False)
    # E_ρ[φ(Y)] is the partner's −coeff·E[...]: its value there is −E[φ(Y)]/coeff
    known = {inner.xreplace(point): mean, e.xreplace(point): -inside_mean / coeff.xreplace(point)}
    return text, point, gap, known


def _checked_point(phi: sp.Expr, t: sp.Dummy, y: sp.Expr, z: sp.Symbol, rho: sp.Expr,
                   domains: Mapping[sp.Symbol, sp.Interval],
                   ) -> tuple[str, dict[sp.Symbol, sp.Expr], sp.Float, sp.Expr,
                              sp.Float] | None:
    """A parameter point where ρ integrates to 1, E[Y] is finite (both exact), Y takes two
    values, and J = φ(E[Y]) − E[φ(Y)] (by quadrature) is finite and > 0."""
    import mpmath

    from elbo_derivation.core.compile import NotEvaluable, compile_expr
    from elbo_derivation.decide.gaussian import gaussian_integrals_at_point

    free = ordered((y.free_symbols | rho.free_symbols | phi.free_symbols) - {z, t})
    for shift in range(len(_TRIAL_VALUES)):
        point = _trial_point(free, domains, shift)
        if point is None:
            return None
        y0, rho0, phi0 = y.xreplace(point), rho.xreplace(point), phi.xreplace(point)
        mass = gaussian_integrals_at_point(sp.Integral(rho0, (z, -sp.oo, sp.oo)))
        mean = gaussian_integrals_at_point(Expectation(y0, z, rho0))
        if mass is None or mean is None or mass.free_symbols or mean.free_symbols:
            continue
        if abs(sp.N(mass - 1, 50)) > sp.Float("1e-40"):
            continue  # not a density at this point: Jensen's inequality says nothing
        apart = [y0.xreplace({z: v}).evalf(50) for v in _TRIAL_VALUES[:2]]
        if not all(v.is_real and v.is_finite for v in apart) or abs(apart[0] - apart[1]) < (
                sp.Float("1e-30")):
            continue
        outer = phi0.xreplace({t: mean}).evalf(50)
        if not (outer.is_real and outer.is_finite):
            continue
        with mpmath.workdps(15):
            try:
                f = compile_expr(phi0.xreplace({t: y0}) * rho0, [z], backend="mpmath")
                inside_mean = mpmath.quad(f, [-mpmath.inf, 0, mpmath.inf])
            except (NotEvaluable, ValueError, ZeroDivisionError, OverflowError, TypeError):
                continue
            if not mpmath.isfinite(inside_mean) or mpmath.im(inside_mean) != 0:
                continue
            gap = sp.Float(mpmath.mpf(outer) - mpmath.re(inside_mean), 15)
        if not gap > sp.Float("1e-8") * (1 + abs(outer)):
            continue  # (the theorem gives J > 0; too small a J to show is not shown)
        where = ", ".join(f"{k} = {v}" for k, v in point.items())
        shown = plain(phi.xreplace({t: sp.Symbol("t")}))
        text = (f"φ(E[Y]) − E[φ(Y)] + (terms ≥ 0) with φ(t) = {shown} strictly concave and "
                f"Y = {plain(y)} not constant under a density positive on the whole line: by "
                f"the strict Jensen inequality it is > 0 (at {where}: φ(E[Y]) − E[φ(Y)] = "
                f"{float(gap):.6g}, E[Y] exact, E[φ(Y)] by quadrature at 15 digits)")
        return text, point, gap, mean, sp.Float(mpmath.re(inside_mean), 15)
    return None


def _side_value(expr: sp.Expr, point: Mapping[sp.Symbol, sp.Expr],
                known: Mapping[sp.Basic, sp.Expr]) -> float | None:
    """A side of the step at ``point``, each expectation its ``known`` value or by
    quadrature at 15 digits (to show it: the verdict is the theorem's); None unless a finite
    real number."""
    import mpmath

    from elbo_derivation.core.compile import NotEvaluable, compile_expr

    here = sp.S(expr).xreplace(dict(point)).xreplace(dict(known))

    def value(node: Expectation) -> sp.Expr:
        f = compile_expr(node.integrand * node.density, [node.variable], backend="mpmath")
        return sp.Float(mpmath.quad(f, [-mpmath.inf, 0, mpmath.inf]), 15)

    try:
        with mpmath.workdps(15):
            out = here.replace(lambda n: isinstance(n, Expectation), value).evalf(15)
    except (NotEvaluable, ValueError, ZeroDivisionError, OverflowError, TypeError):
        return None
    return float(out) if out.is_real and out.is_finite else None
