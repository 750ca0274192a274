r"""More simulations of mistakes for the catalogue: counts, sums, factors, derivatives.

Each function here is a ``local`` (or ``whole``) simulation in the sense of
:mod:`.catalogue`: given one node of the right expression and the roles, it returns the wrong
versions a student makes of it, each with a binding (``right``, ``wrong`` and the symbols the
explanation names). They act on roles found from structure (a summation index and its bound,
a density inside an integral, the coordinates of a diagonal Gaussian, a factor common to the
terms of a sum, the inner function of a composition), never on letters.

Examples
--------
>>> import sympy as sp
>>> D = sp.Symbol("D", positive=True, integer=True)
>>> d = sp.Symbol("d", integer=True)
>>> [w for w, _ in count_lost(sp.Sum(sp.Integer(1), (d, 1, D)), None)]
[1]
"""

from __future__ import annotations

import copy
import functools
import itertools
import math
from collections.abc import Iterator
from typing import Any

import sympy as sp
from sympy.core.function import AppliedUndef

from elbo_derivation.core.expectation import Expectation
from elbo_derivation.core.zero import expands_to_zero
from elbo_derivation.explain.page import rebuilt

__all__ = [
    "CONSTRUCTS",
    "EXPONENT_FACTORS",
    "as_integral",
    "bound_constant_wrong",
    "bound_restored",
    "bound_shifted",
    "closed_sum",
    "coefficient_lost",
    "complement_restored",
    "complement_written",
    "completion_constant_forgotten",
    "coordinate_count_wrong",
    "coordinates",
    "count_lost",
    "density_dropped",
    "exponent_factor_lost",
    "exponent_factor_lost_everywhere",
    "exponent_factor_restored",
    "exponent_factor_restored_everywhere",
    "exponent_negated",
    "factor_dropped",
    "factor_dropped_in_kept",
    "factor_on_one_term",
    "first_term_lost",
    "gamma_recursion_factor_lost",
    "gamma_recursion_wrong",
    "index_confused",
    "inner_factor_forgotten",
    "inner_factor_forgotten_higher",
    "inner_factor_of_another_variable",
    "inner_symbols_forgotten",
    "integral_value",
    "jensen_as_equality",
    "jensen_reversed_combined",
    "jensen_weighted_reversed",
    "log_factor_dropped",
    "log_of_constant_lost",
    "log_of_e_lost",
    "log_pair_flipped",
    "marginal_as_one",
    "moment_rate_for_scale",
    "moment_wrong",
    "polynomial_geometric",
    "polynomial_geometric_sum",
    "power_lost_in_log_product",
    "power_on_one_factor",
    "power_put_back",
    "power_rule_factor",
    "probabilities",
    "product_rule_term_dropped",
    "rates_in",
    "reindexed_bounds_kept",
    "second_moment_forgotten",
    "series_without_polynomial",
    "show",
    "square_lost",
    "square_of_bracket_lost",
    "squares_summed_as_square",
    "two_terms_negated",
    "under",
    "written_inner_factor_dropped",
]

Variant = tuple[sp.Basic, dict[str, Any]]
HALF = sp.Rational(1, 2)


def show(expr: Any) -> str:
    """An expression as the reader writes it (never Python syntax)."""
    if isinstance(expr, str):
        return expr
    try:
        from elbo_derivation.report.pretty import pretty

        return pretty(expr)
    except Exception:
        return str(expr)


# --- a count of terms --------------------------------------------------------------------------


def count_lost(node: sp.Basic, roles: Any) -> list[Variant]:
    """Σ_{i=1}^{D} (f_i + c) written Σ f_i + c: a term free of the index counted once.

    The terms of the summand that do not depend on the summation index add up to D·c over
    the D terms; a student who takes them out of the sum without the count writes c. The
    bound must be symbolic (a dimension count, a number of data points), so that the count is
    a quantity of the derivation, not a number that could be mistaken in other ways.
    """
    if not isinstance(node, sp.Sum) or len(node.limits) != 1:
        return []
    i, lo, hi = node.limits[0]
    count = sp.simplify(hi - lo + 1)
    if not count.free_symbols or count.has(i):
        return []
    out: list[Variant] = []
    # the terms free of the index as the summand is written (Σ (−log(σ√(2π)) − (x_i − μ)²/(2σ²))
    # written −log(σ√(2π)) + Σ −(x_i − μ)²/(2σ²)), and as its expansion has them
    for terms in (sp.Add.make_args(node.function), sp.Add.make_args(sp.expand(node.function))):
        const = sp.Add(*(t for t in terms if not t.has(i)))
        rest = sp.Add(*(t for t in terms if t.has(i)))
        if const == 0 or any(const == c for _, c in ((w, v["c"]) for w, v in out)):
            continue
        coeff, body = sp.factor_terms(rest).as_coeff_Mul()
        wrong = (coeff * sp.Sum(body, node.limits[0]) if rest != 0 else sp.S(0)) + const
        why = (f"{show(const)} does not depend on the index {show(i)}, so summed over "
               f"{show(i)} = {show(lo)}, …, {show(hi)} it counts {show(count)} times: "
               f"{show(count * const)} belongs here, not {show(const)} (the count "
               f"{show(count)} was lost)")
        out.append((wrong, {"right": count * const, "wrong": const, "s": count, "i": i,
                            "c": const, "why": why}))
    return out


def coordinates(roles: Any) -> list[sp.Symbol]:
    """The coordinates of a diagonal Gaussian: one spread parameter (σ_j, v_j, ℓ_j) each."""
    fams = getattr(roles, "families", None) or []
    return sorted({f.param for f in fams}, key=str)


def coordinate_count_wrong(node: sp.Basic, roles: Any) -> list[Variant]:
    """The constant −K/2 of a K-coordinate diagonal Gaussian's KL written for another count.

    Each coordinate of KL(N(μ, diag σ²) ‖ N(0, I)) contributes −½ (notes §4); with K ≥ 2
    coordinates found from structure (K spread parameters), a constant term −K/2 written as
    −1/2 (one coordinate counted) or −(K ± 1)/2 is a count of coordinates gone wrong. The
    same for a constant −K when the ½ stands outside.
    """
    if not isinstance(node, sp.Add):
        return []
    k = len(coordinates(roles))
    if k < 2:
        return []
    c, rest = node.as_coeff_Add()
    out: list[Variant] = []
    for per in (-HALF, sp.Integer(-1)):
        if c != per * k:
            continue
        for wrong_k in (1, k - 1, k + 1):
            if wrong_k in (0, k):
                continue
            new = per * wrong_k
            names = ", ".join(show(p) for p in coordinates(roles))
            why = (f"the Gaussian has {k} coordinates ({names}, one spread each) and each "
                   f"contributes {show(per)} to the constant, so {show(c)} belongs here, not "
                   f"{show(new)} ({wrong_k} counted)")
            # the wrong constant must stand alone in the written step: a −1 lost inside one
            # coordinate's own KL is that −1 missing, not a count
            out.append((rest + new, {"right": c, "wrong": new, "s": sp.Integer(k),
                                     "c": per, "why": why, "written_alone": True}))
    return out


# --- squares -----------------------------------------------------------------------------------


def _cross_pairs(node: sp.Add) -> list[tuple[sp.Basic, sp.Basic, sp.Basic, int]]:
    """(a, b, the cross term, sign) for each ±2ab of ``node`` whose a² and b² are terms too."""
    terms = node.args
    squares = {t.base for t in terms if t.is_Pow and t.exp == 2}
    out = []
    for t in terms:
        coeff, rest = t.as_coeff_Mul()
        if abs(coeff) != 2:
            continue
        factors = sp.Mul.make_args(rest)
        if len(factors) == 2 and all(f in squares for f in factors) \
                and factors[0] != factors[1]:
            out.append((factors[0], factors[1], t, 1 if coeff > 0 else -1))
    return out


def squares_summed_as_square(node: sp.Basic, roles: Any) -> list[Variant]:
    """Σ (a_j − b_j)², written expanded, taken for (Σ (a_j − b_j))²: a squared norm is a sum
    of squares, not the square of the sum of the coordinates' differences."""
    if not isinstance(node, sp.Add) or len(node.args) > 12:
        return []
    pairs = _cross_pairs(node)
    out: list[Variant] = []
    for n in range(2, min(4, len(pairs)) + 1):
        for chosen in itertools.combinations(pairs, n):
            bases = [x for a, b, _, _ in chosen for x in (a, b)]
            if len(set(bases)) != len(bases):
                continue
            diffs = [a + s * b for a, b, _, s in chosen]
            right = sp.Add(*(d**2 for d in diffs))
            if not expands_to_zero(node - right):
                continue
            wrong = sp.Add(*diffs) ** 2
            out.append((wrong, {"right": right, "wrong": wrong}))
    return out


def square_lost(node: sp.Basic, roles: Any) -> list[Variant]:
    """a²·X written a·X: the square of a factor with no role of its own lost.

    A factor that is a standard deviation or a variance is left to the entries of its role
    (σ for σ² is the standard deviation used for the variance).
    """
    if not isinstance(node, sp.Mul):
        return []
    out: list[Variant] = []
    for f in node.args:
        if f.is_Pow and f.exp == 2 and isinstance(f.base, sp.Symbol) \
                and roles.role(f.base) is None:
            wrong = node / f * f.base
            out.append((wrong, {"right": f, "wrong": f.base, "s": f.base}))
    return out


# --- factors -----------------------------------------------------------------------------------


def _linear_parts(x: sp.Basic) -> list[tuple[sp.Basic, Any]] | None:
    """The terms of a sum, or of the sum inside one expectation or integral (linearity), with
    a function that wraps a term back."""
    if isinstance(x, sp.Add):
        return [(t, lambda u: u) for t in x.args]
    if type(x) is Expectation and isinstance(x.integrand, sp.Add):
        return [(t, lambda u, x=x: Expectation(u, x.variable, x.density))
                for t in x.integrand.args]
    if isinstance(x, sp.Integral) and isinstance(x.function, sp.Add):
        return [(t, lambda u, x=x: sp.Integral(u, *x.limits)) for t in x.function.args]
    return None


def factor_on_one_term(node: sp.Basic, roles: Any) -> list[Variant]:
    """F·(t₁ + … + tₙ) written with F on one term only, or on all terms but one.

    F is a non-numeric factor (β, k, a density's parameter); the sum may stand inside an
    expectation or an integral (F·E[t₁ + t₂] = E[F t₁ + F t₂]). Also a sum whose terms all
    carry F (F t₁ + F t₂ written F t₁ + t₂). Not inside an integrand written out as a
    density times a function (λe^{−λx}·(…)): the density's constants are not such a factor.
    """
    out: list[Variant] = []
    if isinstance(node, sp.Mul) and any(isinstance(f, sp.exp) for f in node.args):
        return []  # an integrand p(x)·f(x): its constants belong to the density p
    if isinstance(node, sp.Mul):
        for i, inner in enumerate(node.args):
            parts = _linear_parts(inner)
            if not parts or len(parts) < 2:
                continue
            others = node.args[:i] + node.args[i + 1:]
            num = sp.Mul(*(f for f in others if f.is_Number))
            for f in others:
                if f.is_Number or not f.free_symbols:
                    continue
                rest = sp.Mul(*(g for g in others if g is not f and not g.is_Number))
                for j, (t, wrap) in enumerate(parts):
                    keep = sp.Add(*(u for k, (u, _) in enumerate(parts) if k != j))
                    # F on all terms but t_j, and F on t_j alone
                    for with_f, without in ((keep, t), (t, keep)):
                        wrong = num * rest * (f * wrap(with_f) + wrap(without))
                        out.append((wrong, {"right": node, "wrong": wrong, "s": f,
                                            "term": without}))
    elif isinstance(node, sp.Add) and len(node.args) >= 2:
        common = None
        for t in node.args:
            fs = {f for f in sp.Mul.make_args(t) if not f.is_Number and f.free_symbols}
            common = fs if common is None else common & fs
        for f in sorted(common or (), key=str):
            if not isinstance(f, sp.Symbol):
                continue
            for j, t in enumerate(node.args):
                rest = sp.Add(*(u for k, u in enumerate(node.args) if k != j))
                for wrong, lacking in ((rest + t / f, t / f), (t + rest / f, rest / f)):
                    out.append((wrong, {"right": node, "wrong": wrong, "s": f,
                                        "term": lacking}))
    return out


def _densities_in(integral: sp.Integral, roles: Any) -> list[sp.Basic]:
    """Factors of an integrand over one variable that are densities of that variable: an
    abstract density with the variable among its arguments, or an explicit factor that
    integrates to 1 over the integral's range."""
    if len(integral.limits) != 1 or len(integral.limits[0]) != 3:
        return []
    x, lo, hi = integral.limits[0]
    out = []
    for f in sp.Mul.make_args(integral.function):
        if isinstance(f, AppliedUndef) and x in f.args:
            out.append(f)
        elif not f.is_Number and f.free_symbols and not f.has(sp.Integral):
            try:
                total = _total(f, x, lo, hi)
            except Exception:
                continue
            if total is not None and (total == 1 or sp.simplify(total) == 1):
                out.append(f)
    return out


def _total(f: sp.Basic, x: sp.Symbol, lo: sp.Basic, hi: sp.Basic) -> sp.Basic | None:
    """∫ f dx over (lo, hi) where it is quick and exact: f free of x, or a Gaussian over ℝ."""
    if not f.has(x):
        return f * (hi - lo)
    if lo == -sp.oo and hi == sp.oo and f.has(sp.exp):
        found = _gaussian_expectation(f, x)
        return None if found is None else sp.simplify(found[1])
    return None


def density_dropped(node: sp.Basic, roles: Any) -> list[Variant]:
    """∫ p(x) f(x) dx written ∫ f(x) dx: the density of an expectation dropped."""
    if not isinstance(node, sp.Integral) or not isinstance(node.function, sp.Mul):
        return []
    out: list[Variant] = []
    for dens in _densities_in(node, roles):
        wrong = sp.Integral(node.function / dens, *node.limits)
        out.append((wrong, {"right": node, "wrong": wrong, "s": dens,
                            "x": node.limits[0][0]}))
    return out


def marginal_as_one(node: sp.Basic, roles: Any) -> list[Variant]:
    """∫ p(x, z) dz written 1: integrating a joint density over some of its variables gives
    the marginal of the others, not 1."""
    if not isinstance(node, sp.Integral) or not isinstance(node.function, AppliedUndef):
        return []
    joint = node.function
    bound = {lim[0] for lim in node.limits}
    if not bound < set(joint.args) or not all(
            len(lim) == 3 and lim[1] == -sp.oo and lim[2] == sp.oo for lim in node.limits):
        return []
    return [(sp.S(1), {"right": node, "wrong": sp.S(1), "s": joint})]


# --- derivatives -------------------------------------------------------------------------------


def _by_terms(der: sp.Basic) -> tuple[tuple[sp.Basic, sp.Symbol, sp.Basic], ...] | None:
    """For d/dθ (t₁ + … + tₙ): each term with θ and the right derivative of the other terms
    (linearity: the rest is differentiated as it should be)."""
    if not isinstance(der, sp.Derivative) or len(der.variable_count) != 1 \
            or der.variable_count[0][1] != 1:
        return None
    return _terms_of_derivative(der)


@functools.lru_cache(maxsize=128)
def _terms_of_derivative(der: sp.Derivative) -> tuple[tuple[sp.Basic, sp.Symbol, sp.Basic],
                                                      ...]:
    """:func:`_by_terms` of a first derivative, remembered (every simulation of a
    derivative asks it of the same one)."""
    theta = der.variable_count[0][0]
    terms = sp.Add.make_args(der.expr)
    out = []
    for j, t in enumerate(terms):
        if not t.has(theta):
            continue
        rest = sp.Add(*(u for k, u in enumerate(terms) if k != j))
        out.append((t, theta, sp.diff(rest, theta)))
    return tuple(out)


@functools.lru_cache(maxsize=128)
def _compositions(t: sp.Basic, theta: sp.Symbol) -> tuple[tuple[sp.Basic, sp.Basic, sp.Dummy],
                                                          ...]:
    """(u, g(t), t) with the term = g(u): u an inner part holding θ, g free of θ.

    Remembered: the simulations of the chain rule ask it of the same term in turn, and each
    inner part is one substitution into the whole term."""
    out = []
    seen: set[sp.Basic] = set()
    for u in sp.preorder_traversal(t):
        if u == t or u == theta or u in seen or not u.has(theta) or u.is_Number:
            continue
        seen.add(u)
        d = sp.Dummy("u")
        g = t.xreplace({u: d})
        if g.has(theta) or not g.has(d):
            continue
        out.append((u, g, d))
    return tuple(out)


def inner_factor_forgotten(node: sp.Basic, roles: Any) -> list[Variant]:
    """d/dθ of one term g(u(θ)) written g′(u) (du/dθ forgotten), the other terms right."""
    out: list[Variant] = []
    for t, theta, rest in _by_terms(node) or []:
        for u, g, d in _compositions(t, theta):
            try:
                wrong_t = sp.diff(g, d).xreplace({d: u})
            except ValueError:  # g′ left unevaluated (an expectation's): u is no variable
                continue
            right_t = sp.diff(t, theta)
            if expands_to_zero(wrong_t - right_t):
                continue
            out.append((rest + wrong_t, {"right": right_t, "wrong": wrong_t, "inner": u,
                                         "s": theta, "du": sp.diff(u, theta)}))
    return out


def _forgotten(t: sp.Basic, theta: sp.Symbol) -> list[sp.Basic]:
    """d/dθ of the term ``t`` with the chain rule's inner factor forgotten, each way."""
    out = []
    for u, g, d in _compositions(t, theta):
        try:
            out.append(sp.diff(g, d).xreplace({d: u}))
        except ValueError:  # (as in inner_factor_forgotten)
            continue
    return out


def inner_factor_of_another_variable(node: sp.Basic, roles: Any) -> list[Variant]:
    """d/dθ g(u) written g′(u)·∂u/∂v for another variable v of u: the inner derivative taken
    with respect to the wrong variable."""
    out: list[Variant] = []
    for t, theta, rest in _by_terms(node) or []:
        forgotten: list[sp.Basic] | None = None  # the term's inner factors forgotten, once
        for u, g, d in _compositions(t, theta):
            try:
                outer = sp.diff(g, d).xreplace({d: u})
            except ValueError:  # (as in inner_factor_forgotten)
                continue
            for v in sorted(u.free_symbols - {theta}, key=str):
                inner = sp.diff(u, v)
                du = sp.diff(u, theta)
                if inner == 0 or expands_to_zero(inner - du) or expands_to_zero(inner + du):
                    continue  # ∂u/∂v = −∂u/∂θ: the same as the inner factor −1 forgotten
                if inner.is_Number and abs(inner) == 1:
                    continue  # a factor ±1 is no factor: the inner derivative forgotten
                wrong_t = outer * inner
                if forgotten is None:
                    forgotten = _forgotten(t, theta)
                if any(expands_to_zero(wrong_t - f) for f in forgotten):
                    continue  # the same as an inner factor forgotten: that names it
                out.append((rest + wrong_t, {"right": sp.diff(t, theta), "wrong": wrong_t,
                                             "inner": u, "s": theta, "o": v,
                                             "du": sp.diff(u, theta), "dv": inner}))
    return out


def power_rule_factor(node: sp.Basic, roles: Any) -> list[Variant]:
    """d/dθ c·θⁿ written c·θⁿ⁻¹: the power rule's factor n forgotten, the other terms right."""
    out: list[Variant] = []
    for t, theta, rest in _by_terms(node) or []:
        coeff, body = t.as_independent(theta, as_Add=False)
        if not (body.is_Pow and body.base == theta and body.exp.is_Integer
                and body.exp >= 2):
            continue
        n = body.exp
        wrong_t = coeff * theta ** (n - 1)
        out.append((rest + wrong_t, {"right": n * wrong_t, "wrong": wrong_t, "s": theta,
                                     "n": n, "power": body, "base": theta,
                                     "dpower": n * theta ** (n - 1)}))
    return out


# --- sums: the index and its bounds -----------------------------------------------------------

_CLOSED: dict[sp.Basic, sp.Basic | None] = {}


def closed_sum(node: sp.Sum) -> sp.Basic | None:
    """The closed form of a series whose ratio of terms shows it at once (remembered), or
    None: Σ_{k≥a} P(k)·c·rᵏ (P a polynomial, r free of k, 0 < r < 1 provable: see
    :func:`polynomial_geometric_sum`) and Σ_{k≥0} c·λᵏ/k! = c·e^λ. Other
    sums are not evaluated here (SymPy's summation may take seconds)."""
    if node in _CLOSED:
        return _CLOSED[node]
    value = None
    k, lo, hi = node.limits[0]
    f = node.function
    if polynomial_geometric(node):  # a polynomial times a geometric term (Σ k rᵏ⁻¹)
        value = polynomial_geometric_sum(node)
    elif hi == sp.oo and lo.is_Integer:
        try:
            first = f.xreplace({k: lo})
            # a first term that vanishes (k·λᵏ/k! at k = 0): the series from the next index,
            # counted from 0 (g(j) = f(j + start)), so that Σ_{j≥0} g(0)·λʲ/j! shows
            start = lo + 1 if sp.simplify(first) == 0 else lo
            g = f.xreplace({k: k + start})
            first = g.xreplace({k: 0})
            ratio = sp.powsimp(sp.combsimp(g.xreplace({k: k + 1}) / g), force=False)
            rate = sp.together(ratio * (k + 1))
            if not ratio.has(k) and ratio.is_positive and sp.together(1 - ratio).is_positive:
                value = first / (1 - ratio)
            elif (lo == 0 or start != lo) and not rate.has(k):
                value = first * sp.exp(rate)
            else:
                value = _exponential_tail(f, k, lo)
        except Exception:
            value = None
    _CLOSED[node] = value
    return value


def _exponential_tail(f: sp.Basic, k: sp.Symbol, lo: sp.Integer) -> sp.Basic | None:
    """Σ_{k≥lo} f(k) for the tail of an exponential series: f(k) = c·λ^(k−s)/(k−s)! for an
    s < lo (at most three indices back), so the sum is c·e^λ less its terms s, …, lo − 1
    (Σ_{k≥2} λ^(k−1)/(k−1)! = e^λ − 1)."""
    for n in (1, 2, 3):
        g = f.xreplace({k: k + lo - n})
        first = g.xreplace({k: 0})
        if first.has(sp.zoo, sp.nan, sp.oo) or sp.simplify(first) == 0:
            continue
        rate = sp.together(sp.powsimp(sp.combsimp(g.xreplace({k: k + 1}) / g),
                                      force=False) * (k + 1))
        if not rate.has(k):
            return first * sp.exp(rate) - sum(g.xreplace({k: j}) for j in range(n))
    return None


def first_term_lost(node: sp.Basic, roles: Any) -> list[Variant]:
    """Σ_{k=a} f(k) written as the sum from one index later: its first (nonzero) term lost,
    as when the index is shifted without shifting its bound (Σ_{k≥0} λᵏ/k! = e^λ written
    e^λ − 1)."""
    if not isinstance(node, sp.Sum) or len(node.limits) != 1:
        return []
    k, lo, hi = node.limits[0]
    if not lo.is_Integer:
        return []
    first = None
    for j in range(int(lo), int(lo) + 3):
        if hi.is_Integer and j > hi:
            return []
        term = node.function.xreplace({k: sp.Integer(j)})
        if sp.simplify(term) != 0:
            first = j
            break
    if first is None or not (hi == sp.oo or (hi - first).is_positive):
        return []
    closed = closed_sum(node)
    if closed is None:
        return []
    wrong = closed - term
    return [(wrong, {"right": node, "wrong": sp.Sum(node.function, (k, first + 1, hi)),
                     "i": k, "lo": lo, "first": sp.Integer(first), "term": term,
                     "next": sp.Integer(first + 1)})]


# --- constants ---------------------------------------------------------------------------------


def coefficient_lost(node: sp.Basic, roles: Any) -> list[Variant]:
    """n·X written X: an integer coefficient n (|n| ≥ 3, a count such as the number of
    trials) lost. A lost 2 is a half, named by its own entries."""
    if not isinstance(node, sp.Mul):
        return []
    c, rest = node.as_coeff_Mul()
    if not (c.is_Integer and abs(c) >= 3):
        return []
    wrong = sp.sign(c) * rest
    return [(wrong, {"right": c, "wrong": sp.sign(c),
                     "why": f" (a factor {show(c)} of the product was lost)"})]


def _bound_changes(c: sp.Basic) -> list[sp.Basic]:
    out = [c + 1, c - 1, sp.S(0)]
    return list(dict.fromkeys(v for v in out if v != c))


def bound_constant_wrong(ctx: Any) -> dict[str, Any] | None:
    """For a refuted ≤/≥ step: the written bound's constant changed (t − 2 for t − 1, 1 for
    0) where the bound with the right constant is *proved* by the engine."""
    from elbo_derivation.core.steps import Relation, Verdict
    from elbo_derivation.core.timeout import clock
    from elbo_derivation.decide.verdict import compare

    written = ctx.rhs
    c, rest = written.as_coeff_Add()
    if not c.is_Rational or c == 0:
        return None  # a bound with a nonzero constant, written with another one
    relation = Relation(ctx.relation)
    for new in _bound_changes(c):
        left = ctx.deadline - clock() - 0.1
        if left < 0.2:
            return None
        repaired = rest + new
        result = compare(ctx.lhs, repaired, relation, time_limit=min(0.4, left))
        if result.verdict is Verdict.PROVED:
            return {"right": new, "wrong": c, "expected_step": repaired,
                    "why": f": the previous line is {relation.symbol} {show(repaired)}, "
                           f"which holds, and not {relation.symbol} {show(written)}"}
    return None


# --- moments of a density ----------------------------------------------------------------------


Weighted = tuple[sp.Symbol, sp.Basic, list[tuple[sp.Basic, sp.Basic]]]


def _weighted_terms(node: sp.Basic) -> Weighted | None:
    """∫ D(x)·(Σ cₜ gₜ(x)) dx: the variable, the weight D (the density, with whatever
    constants stand beside it) and the terms (cₜ, gₜ) of the polynomial part as written."""
    if not isinstance(node, (sp.Integral, sp.Sum)) or len(node.limits) != 1 \
            or len(node.limits[0]) != 3:
        return None
    x, lo, hi = node.limits[0]
    if hi != sp.oo or lo not in (-sp.oo, sp.S(0)):
        return None
    poly, weight = [], []
    for f in sp.Mul.make_args(node.function):
        if f.has(x) and f.is_polynomial(x) and not f.has(sp.exp):
            poly.append(f)
        else:
            weight.append(f)
    dens = sp.Mul(*weight)
    if not poly or not dens.has(x) or not (dens.has(sp.exp) or isinstance(node, sp.Sum)):
        return None
    body = sp.Mul(*poly)
    if len(poly) == 1:
        terms = sp.Add.make_args(body)  # the terms as written ((x − m)⁴ stays whole)
    else:
        terms = sp.Add.make_args(sp.expand(body))
    out = []
    for t in terms:
        c, g = t.as_independent(x, as_Add=False)
        out.append((c, g) if g.has(x) else (t, sp.S(1)))
    return (x, dens, out) if any(g != 1 for _, g in out) else None


_POWER = {2: "square", 3: "cube"}


def _moment_candidates(g: sp.Basic, x: sp.Symbol, expect: Any) -> list[tuple[sp.Basic, str]]:
    """Wrong values a student gives E[g] (each with the words for what was used)."""
    out: list[tuple[sp.Basic, str]] = []
    n = 1
    base = g
    if g.is_Pow and g.exp.is_Integer and g.exp >= 2:
        base, n = g.base, int(g.exp)
    if not (base.is_polynomial(x) and sp.degree(base, x) == 1):
        return []
    if base == x:
        for i in sorted({0, 1, 2, n - 1, n + 1} - {n}):
            if i >= 0:
                out.append((expect(x**i) if i else sp.S(1), ""))
        if n == 1:
            out.append((expect(x**2) - expect(x) ** 2,
                        f" (the variance of {show(x)}, not its mean)"))
    if n >= 2:
        out.append((expect(base) ** n,
                    f" (the {_POWER.get(n, str(n) + 'th power')} of E[{show(base)}]: the "
                    "expectation of a power is not the power of the expectation)"))
    if n >= 4 and n % 2 == 0:
        out.append((expect(base**2) ** (n // 2),
                    f" (the {_POWER.get(n // 2, str(n // 2) + 'th power')} of "
                    f"E[{show(base**2)}]: a higher moment is not a power of the second)"))
    out.extend(moment_candidates_s26(base, n, x, expect))
    return out


def _gamma_shape(dens: sp.Basic, x: sp.Symbol) -> tuple[sp.Basic, sp.Basic, sp.Basic] | None:
    """D = C·x^α·exp(−λx) on (0, ∞): (C, α, λ), or None."""
    const, alpha, rate = [], sp.S(0), None
    for f in sp.Mul.make_args(dens):
        if not f.has(x):
            const.append(f)
        elif f == x:
            alpha += 1
        elif f.is_Pow and f.base == x and not f.exp.has(x):
            alpha += f.exp
        elif isinstance(f, sp.exp) and rate is None:
            arg = sp.expand(f.args[0])
            if not arg.is_polynomial(x) or sp.degree(arg, x) != 1:
                return None
            rate = -arg.coeff(x, 1)
            const.append(sp.exp(arg.coeff(x, 0)))
        else:
            return None
    if rate is None or rate.is_positive is not True:
        return None
    return sp.Mul(*const), alpha, rate


def _gaussian_expectation(dens: sp.Basic, x: sp.Symbol) -> Any:
    """E[·] under a weight C·exp(a x² + b x + c) over ℝ (a < 0): the normal N(μ, v) with
    v = −1/(2a), μ = −b/(2a), its raw moments by recursion (no integration); the total
    C·√(2πv)·exp(c − b²/(4a)). None for another weight."""
    from elbo_derivation.decide.gaussian import normal_moment

    const, quad = [], sp.S(0)
    for f in sp.Mul.make_args(dens):
        if not f.has(x):
            const.append(f)
        elif isinstance(f, sp.exp):
            quad += f.args[0]
        else:
            return None
    try:
        poly = sp.Poly(sp.expand(quad), x)
    except Exception:
        return None
    if poly.degree() != 2:
        return None
    a, b, c = poly.all_coeffs()
    if not (-a).is_positive:
        return None
    v, mu = -1 / (2 * a), -b / (2 * a)
    total = sp.Mul(*const) * sp.sqrt(2 * sp.pi * v) * sp.exp(c - b**2 / (4 * a))
    memo: dict[sp.Basic, sp.Basic] = {}

    def expect(g: sp.Basic) -> sp.Basic:
        if not g.has(x):
            return g
        if g not in memo:
            terms = sp.Poly(sp.expand(g), x).terms()
            memo[g] = sp.factor_terms(sp.expand(sp.Add(
                *(coef * normal_moment(n, mu, v) for (n,), coef in terms))))
        return memo[g]
    return expect, total


def _poisson_expectation(dens: sp.Basic, k: sp.Symbol) -> Any:
    """E[·] under a weight C·λᵏ/k! over k = 0, 1, …: E[kⁿ] = Σⱼ S(n, j) λʲ (Touchard), and
    the total C·e^λ; None for another weight."""
    const, rate, fact = [], None, False
    for f in sp.Mul.make_args(dens):
        if not f.has(k):
            const.append(f)
        elif f.is_Pow and f.exp == k and not f.base.has(k) and rate is None:
            rate = f.base
        elif f.is_Pow and f.exp == -1 and f.base == sp.factorial(k):
            fact = True
        else:
            return None
    if rate is None or not fact:
        return None
    from sympy.functions.combinatorial.numbers import stirling

    def expect(g: sp.Basic) -> sp.Basic:
        if not g.has(k):
            return g
        poly = sp.Poly(sp.expand(g), k)
        return sp.Add(*(a * sp.Add(*(stirling(n, j) * rate**j for j in range(n + 1)))
                        for (n,), a in poly.terms()))
    return expect, sp.Mul(*const) * sp.exp(rate)


def _expectation_under(node: sp.Integral, x: sp.Symbol, dens: sp.Basic) -> Any:
    """(E[·] under the weight D in closed form, ∫ D), or None when no closed form is quick:
    a Gaussian weight over ℝ (x = μ + σu), or C·x^α·exp(−λx) over (0, ∞) (the Gamma
    integral: E[xⁿ] = (α + 1)ₙ/λⁿ)."""
    lo = node.limits[0][1]
    if isinstance(node, sp.Sum):
        return _poisson_expectation(dens, x)
    if lo == -sp.oo:
        return _gaussian_expectation(dens, x)
    shape = _gamma_shape(dens, x)
    if shape is None:
        return None
    c, alpha, rate = shape
    total = c * sp.gamma(alpha + 1) / rate ** (alpha + 1)

    def expect_gamma(g: sp.Basic) -> sp.Basic:
        if not g.has(x):
            return g
        poly = sp.Poly(sp.expand(g), x)
        return sp.Add(*(a * sp.rf(alpha + 1, n) / rate**n
                        for (n,), a in poly.terms()))
    return expect_gamma, total


_SETUP: dict[sp.Basic, Any] = {}


def _moment_setup(node: sp.Basic) -> Any:
    """(x, terms, E[·], ∫D, the value) for an expectation integral, remembered per node (an
    expectation under an explicit density over ℝ is its integral)."""
    if node not in _SETUP:
        _SETUP[node] = None
        found = _weighted_terms(as_integral(node))
        if found is not None:
            x, dens, terms = found
            under = _expectation_under(as_integral(node), x, dens)
            if under is not None:
                expect, total = under
                value = sp.Add(*(c * expect(g) for c, g in terms))
                _SETUP[node] = (x, dens, terms, expect, total, value)
    return _SETUP[node]


def moment_wrong(node: sp.Basic, roles: Any) -> list[Variant]:
    """∫ D(x) Σ cₜ gₜ(x) dx evaluated with one moment E[gₜ] wrong: another moment of the
    same density, the power of the mean for the mean of a power, the variance for the mean.
    The values stay integrals under D, compared at 50 digits."""
    setup = _moment_setup(node) if isinstance(node, (sp.Integral, sp.Sum, Expectation)) \
        else None
    if setup is None:
        return []
    x, dens, terms, expect, total, value = setup
    out: list[Variant] = []
    others = [(r, o) for r in roles.having("rate") if dens.has(r)
              for o in roles.having("rate") if o != r and not dens.has(o)] if roles else []
    for c, g in terms:
        right = expect(g)
        cands = _moment_candidates(g, x, expect)
        for r, o in others:  # the moment of the other distribution of the derivation
            cands.append((right.xreplace({r: o}),
                          f" (the value under the other distribution, whose rate is {show(o)}"
                          f", not {show(r)})"))
        for w, used in cands:
            if w == 0 or sp.simplify(w - right) == 0:
                continue  # a moment taken as 0 is its term dropped: not told apart
            wrong = total * (value + c * (w - right))
            out.append((wrong, {"right": right, "wrong": w, "g": g, "x": x,
                                "used": used,
                                "what": "sum" if isinstance(node, sp.Sum) else "integral"}))
    return out


def rates_in(dens: sp.Basic, x: sp.Symbol) -> list[sp.Symbol]:
    """The rates of a density on (0, ∞): positive symbols λ with exp(−λx) (or exp(−λx)·…)."""
    out = []
    for e in dens.atoms(sp.exp):
        arg = sp.expand(e.args[0])
        if not arg.is_polynomial(x) or sp.degree(arg, x) != 1:
            continue
        slope = arg.coeff(x, 1)
        if isinstance(-slope, sp.Symbol) and (-slope).is_positive:
            out.append(-slope)
    return sorted(set(out), key=str)


def moment_rate_for_scale(node: sp.Basic, roles: Any) -> list[Variant]:
    """E[gₜ] under a density with rate λ evaluated with λ taken for its scale 1/λ: the
    moment written with λ where 1/λ belongs (E[x] = 1/λ written λ)."""
    if not isinstance(node, sp.Integral) or node.limits[0][1] != 0:
        return []
    setup = _moment_setup(node)
    if setup is None:
        return []
    x, dens, terms, expect, total, value = setup
    out: list[Variant] = []
    for lam in rates_in(dens, x):
        for c, g in terms:
            right = expect(g)
            w = right.xreplace({lam: 1 / lam})
            if sp.simplify(w - right) == 0:
                continue
            wrong = total * (value + c * (w - right))
            out.append((wrong, {"right": right, "wrong": w, "g": g, "x": x, "s": lam}))
    return out


# --- role, moment and index mistakes (s23) -----------------------------------------------------


def _coordinate(v: sp.Basic) -> tuple[Any, sp.Basic] | None:
    """(the family, the index) of one coordinate: an applied function of one argument m(j),
    or an indexed element m[j]; None otherwise."""
    if isinstance(v, AppliedUndef) and len(v.args) == 1:
        return v.func, v.args[0]
    if isinstance(v, sp.Indexed) and len(v.indices) == 1:
        return v.base, v.indices[0]
    return None


def _at(family: Any, index: sp.Basic) -> sp.Basic:
    return family[index] if isinstance(family, sp.IndexedBase) else family(index)


def index_confused(node: sp.Basic, roles: Any) -> list[Variant]:
    """∂/∂m_j Σ_i f(m_i) written Σ_i f′(m_i): the index i of the sum confused with the index j
    of the coordinate differentiated by.

    Only the term i = j of the sum depends on m_j, so the derivative is f′(m_j); a student who
    differentiates every term by its own coordinate keeps the sum (the gradient's vector read
    as a total). The summand must hold the coordinate at the summation index, and the index
    of the derivative must be another symbol.
    """
    if not isinstance(node, sp.Derivative) or len(node.variable_count) != 1 \
            or node.variable_count[0][1] != 1 or not isinstance(node.expr, sp.Sum) \
            or len(node.expr.limits) != 1:
        return []
    found = _coordinate(node.variable_count[0][0])
    if found is None:
        return []
    family, j = found
    i = node.expr.limits[0][0]
    if i == j or not isinstance(j, sp.Symbol):
        return []
    own = _at(family, i)
    summand = node.expr.function
    if not summand.has(own):
        return []
    try:
        each = sp.diff(summand, own)
    except Exception:
        return []
    if each == 0:
        return []
    wrong = sp.Sum(each, node.expr.limits[0])
    right = each.xreplace({i: j})
    return [(wrong, {"right": right, "wrong": wrong, "i": i, "j": j,
                     "s": node.variable_count[0][0], "own": own})]


def as_integral(node: sp.Basic) -> sp.Basic:
    """E[f] under an explicit density D(x) of a Gaussian exponent as ∫ D f dx over ℝ; any
    other node as it is."""
    if type(node) is not Expectation or node.density.has(AppliedUndef):
        return node
    x, dens = node.variable, node.density
    if not any(isinstance(f, sp.exp) and f.has(x) for f in sp.Mul.make_args(dens)):
        return node
    return sp.Integral(dens * node.integrand, (x, -sp.oo, sp.oo))


def second_moment_forgotten(which: str) -> Any:
    """E[(a x + b)²] under a Gaussian weight evaluated with one part of the second moment
    forgotten: ``"variance"`` takes it as (E[a x + b])² (the variance a²σ² lost), ``"mean"``
    as a²σ² alone (the squared mean (E[a x + b])² lost). The term's other moments right."""
    def local(node: sp.Basic, roles: Any) -> list[Variant]:
        if not isinstance(node, (sp.Integral, Expectation)):
            return []
        setup = _moment_setup(node)
        if setup is None or as_integral(node).limits[0][1] != -sp.oo:
            return []
        x, _dens, terms, expect, total, value = setup
        out: list[Variant] = []
        for n, (c, g) in enumerate(terms):
            if not (g.is_Pow and g.exp == 2 and g.base.is_polynomial(x)
                    and sp.degree(g.base, x) == 1):
                continue
            right = expect(g)
            square = sp.factor_terms(expect(g.base) ** 2)
            w = square if which == "variance" else sp.factor_terms(sp.expand(right - square))
            if w == 0 or expands_to_zero(w - right):
                continue
            # another term of the integrand dropped gives the same value (the μ² of
            # x² − 2μx + μ² against E[x²] = σ²): two lessons, none is simulated
            change = sp.expand(c * (w - right))
            if any(expands_to_zero(c2 * expect(g2) + change)
                   for m, (c2, g2) in enumerate(terms) if m != n):
                continue
            wrong = total * (value + c * (w - right))
            mean = sp.factor_terms(expect(x))
            spread = sp.factor_terms(sp.expand(expect(x**2) - mean**2))
            said = _role_said(roles, mean, spread, which)
            head = f"Under N({show(mean)}, {show(spread)}), " if g.base == x else ""
            shown = sp.Add(square, sp.factor_terms(sp.expand(right - square)))
            out.append((wrong, {"right": shown, "wrong": w, "g": g, "x": x,
                                "square": square, "said": said, "head": head,
                                "variance": sp.factor_terms(sp.expand(right - square))}))
        return out
    return local


def _bound_moves(node: sp.Basic) -> list[tuple[tuple[sp.Basic, sp.Basic], sp.Basic, str]]:
    """The bounds of a one-index finite sum moved by one: ((new lower, new upper), the term
    at the edge, whether that term is lost or counted twice). A series is left to
    :func:`first_term_lost` (its closed form is quick; a series summed again is not)."""
    if not isinstance(node, sp.Sum) or len(node.limits) != 1:
        return []
    _, lo, hi = node.limits[0]
    if lo.is_finite is False or hi.is_finite is False:
        return []
    return [((lo, hi - 1), hi, "lost"), ((lo, hi + 1), hi + 1, "added"),
            ((lo + 1, hi), lo, "lost"), ((lo - 1, hi), lo - 1, "added")]


def _bound_said(node: sp.Sum, new: sp.Sum, edge: sp.Basic, what: str) -> dict[str, Any]:
    k, lo, hi = node.limits[0]
    _, wlo, whi = new.limits[0]
    term = node.function.xreplace({k: edge})
    told = ("its term for {i} = {e}, {t}, was lost" if what == "lost"
            else "it gained the term for {i} = {e}, {t}").format(
        i=show(k), e=show(edge), t=show(term))
    why = (f"the sum over {show(k)} runs from {show(lo)} to {show(hi)}, but it was written "
           f"from {show(wlo)} to {show(whi)}: {told} (the index shifted without its bound)")
    return {"right": node, "wrong": new, "i": k, "why": why}


def bound_shifted(node: sp.Basic, roles: Any) -> list[Variant]:
    """Σ_{k=a}^{b} f(k) written with a bound moved by one (Σ_{k=a}^{b+1}, Σ_{k=a+1}^{b}): a
    term lost or one too many, as when a term is split off or the index is shifted without
    its bound."""
    out: list[Variant] = []
    for (lo, hi), edge, what in _bound_moves(node):
        new = sp.Sum(node.function, (node.limits[0][0], lo, hi))
        out.append((new, {**_bound_said(node, new, edge, what), "guard": _not_differentiated}))
    return out


def _parent(expr: sp.Basic, path: tuple[int, ...]) -> sp.Basic | None:
    if not path:
        return None
    node = expr
    for i in path[:-1]:
        node = node.args[i]
    return node


def _not_differentiated(expr: sp.Basic, path: tuple[int, ...]) -> bool:
    """Whether the node at ``path`` is not the function a derivative differentiates (a sum
    under d/dθ is differentiated term by term by the step, not summed)."""
    return not isinstance(_parent(expr, path), sp.Derivative)


def _edge_outside(edge_term: sp.Basic) -> Any:
    """A guard: the written step shows, outside the sum at ``path``, a coordinate of the
    term at the moved bound (x_N beside Σ_{i=1}^{N}: a term split off)."""
    atoms = set(edge_term.atoms(AppliedUndef, sp.Indexed))

    def guard(expr: sp.Basic, path: tuple[int, ...]) -> bool:
        if not atoms:
            return False
        node = expr
        for i in path:
            node = node.args[i]
        outside = expr.xreplace({node: sp.S(0)}) if path else sp.S(0)
        return bool(outside.atoms(AppliedUndef, sp.Indexed) & atoms)
    return guard


def bound_restored(node: sp.Basic, roles: Any) -> list[Variant]:
    """The inverse of :func:`bound_shifted` on a written sum: each sum it could have come
    from, with the fields said from the right sum's side."""
    out: list[Variant] = []
    for (lo, hi), _, _ in _bound_moves(node):
        right = sp.Sum(node.function, (node.limits[0][0], lo, hi))
        for (lo2, hi2), edge, what in _bound_moves(right):
            if (lo2, hi2) == node.limits[0][1:]:
                term = right.function.xreplace({right.limits[0][0]: edge})
                out.append((right, {**_bound_said(right, node, edge, what),
                                    "guard": _edge_outside(term)}))
    return out


def gamma_recursion_wrong(expr: sp.Basic, roles: Any) -> list[Variant]:
    """Γ(s + 1) = sΓ(s) applied as Γ(s + 1) = (s + 1)Γ(s): every Γ of an argument s + 1
    taken so (and each one alone), the rest of the expression as it is. An argument s + 1 is
    one with a constant 1 or more added, or one whose Γ(s) stands beside it (Γ(α)/Γ(α − 1)
    taken as α, not α − 1: the inverse-gamma mean β/(α − 1) written β/α).

    >>> a = sp.Symbol("a", positive=True)
    >>> [w for w, _ in gamma_recursion_wrong(sp.gamma(a - 1) / sp.gamma(a), None)]
    [1/a]
    """
    atoms = expr.atoms(sp.gamma)
    gammas = sorted({n for n in atoms if n.args[0].as_coeff_Add()[0] >= 1
                     or sp.gamma(n.args[0] - 1) in atoms}, key=sp.default_sort_key)
    if not gammas:
        return []
    out: list[Variant] = []
    for chosen in ([gammas] if len(gammas) == 1 else [gammas, *([g] for g in gammas)]):
        change = {g: g.args[0] * sp.gamma(g.args[0] - 1) for g in chosen}
        wrong = expr.xreplace(change)
        g = chosen[0]
        s = g.args[0] - 1
        out.append((wrong, {"right": s * sp.gamma(s), "wrong": (s + 1) * sp.gamma(s),
                            "g": g, "s": s}))
    return out


def _role_said(roles: Any, mean: sp.Basic, spread: sp.Basic, which: str) -> str:
    """" (m is the mean of …)" for the part a second moment lost, when roles know it."""
    try:
        if which == "mean" and isinstance(mean, sp.Symbol) and roles.role(mean):
            return f" ({roles.describe(mean)})"
        if which == "variance":
            for f in roles.families:
                if expands_to_zero(f.variance - spread):
                    return f" ({roles.describe(f.param)})"
    except Exception:
        return ""
    return ""


# --- factor, constant and term mistakes (s23) ---------------------------------------------------


def inner_factor_forgotten_higher(node: sp.Basic, roles: Any) -> list[Variant]:
    """dⁿ/dθⁿ f written dⁿ⁻¹/dθⁿ⁻¹ of a first derivative that forgot the chain rule's inner
    factor (d²/dη² log(1 + e^η) written d/dη 1/(1 + e^η): the e^η of d(1 + e^η)/dη lost).

    The first of the n derivatives is taken wrong as in :func:`inner_factor_forgotten`; the
    others are left to be taken, as the written step leaves them.

    >>> eta = sp.Symbol("eta", real=True)
    >>> right = sp.Derivative(sp.log(1 + sp.exp(eta)), (eta, 2))
    >>> [w for w, _ in inner_factor_forgotten_higher(right, None)]
    [Derivative(1/(exp(eta) + 1), eta)]
    """
    if not isinstance(node, sp.Derivative) or len(node.variable_count) != 1:
        return []
    theta, n = node.variable_count[0]
    if not (n.is_Integer and n >= 2):
        return []
    out: dict[sp.Basic, Variant] = {}
    for wrong, b in inner_factor_forgotten(sp.Derivative(node.expr, theta), roles):
        new = sp.Derivative(wrong, (theta, n - 1))
        out.setdefault(new, (new, b))
    return list(out.values())


#: The constructs a step may evaluate (their value is not their body's).
CONSTRUCTS = (sp.Integral, sp.Sum, sp.Derivative, Expectation)


def under(expr: sp.Basic, path: tuple[int, ...], kinds: tuple[type, ...]) -> bool:
    """Whether a node of one of ``kinds`` stands above the node at ``path`` of ``expr``.

    >>> x = sp.Symbol("x")
    >>> under(sp.Integral(x**2, x), (0,), CONSTRUCTS), under(sp.log(x**2), (0,), CONSTRUCTS)
    (True, False)
    """
    node = expr
    for i in path:
        if isinstance(node, kinds):
            return True
        node = node.args[i]
    return False


def _outside_logs(expr: sp.Basic, path: tuple[int, ...]) -> bool:
    """Whether no log, integral, sum, derivative or expectation stands above the node at
    ``path``: a factor of a log's argument is a term of the log (log ab = log a + log b),
    left to the entries of dropped terms; a factor lost under an integral gives a value
    that other mistakes give too (E[λx] with its λ lost is E[x], a moment taken wrong)."""
    return not under(expr, path, (sp.log, *CONSTRUCTS))


def _outside_constructs(expr: sp.Basic, path: tuple[int, ...]) -> bool:
    """Whether no integral, sum, derivative or expectation stands above the node at
    ``path``: a change under one that the step evaluates gives a value other mistakes give
    too (E[x − m] = 0 is also the term E[(x − m)²] dropped)."""
    return not under(expr, path, CONSTRUCTS)


def factor_dropped(node: sp.Basic, roles: Any) -> list[Variant]:
    """A·F written A: a factor F with symbols lost from a product (the weight a of
    a·H(c) in a chain rule of entropies, the 1/N of an average).

    F is one factor of the product as SymPy keeps it (a symbol, a power such as 1/N, a
    bracket); numbers are left to the entries of halves and constants, and integrals, sums,
    derivatives and expectations are not dropped whole. Not inside a log (see
    :func:`_outside_logs`).

    >>> a, c = sp.symbols("a c", positive=True)
    >>> [w for w, _ in factor_dropped(-a * (c * sp.log(c)), None)]
    [-c*log(c), -a*c]
    """
    if not isinstance(node, sp.Mul):
        return []
    out: list[Variant] = []
    for i, f in enumerate(node.args):
        if f.is_Number or not f.free_symbols or isinstance(f, CONSTRUCTS):
            continue
        rest = sp.Mul(*(node.args[:i] + node.args[i + 1:]))
        if rest.is_Number:
            continue  # the whole of the product but its number: not a factor lost
        if rest.has(f) and not (f.is_Symbol and not any(
                g.has(f) for g in sp.Mul.make_args(rest) if not isinstance(g, sp.Add)
                and not (g.is_Pow and isinstance(g.base, sp.Add)))):
            # F stands in the rest too (e^{−x}/(1 + e^{−x})): the written rest may be the
            # product rewritten through F with another mistake, not F lost (a symbol that
            # stands in the rest only inside sums, the weight a of a·N₁/(a·N₁ + (1 − a)·N₂),
            # gives no such rewriting: its loss shows)
            continue
        base = f.base if f.is_Pow else f
        if isinstance(base, sp.Add) and len(base.args) == 2 and sp.S.One in base.args:
            continue  # (1 + t) lost is its term t lost: the entries of terms name it
        why = (f"the factor {show(f)} of {show(node)} was lost ({show(rest)} written "
               f"for {show(node)})")
        out.append((rest, {"right": node, "wrong": rest, "s": f, "why": why,
                           "guard": _outside_logs, "drops": f}))
    return out


def square_of_bracket_lost(node: sp.Basic, roles: Any) -> list[Variant]:
    """(a + b)²·X written (a + b)·X: the square of a bracket lost from a product (the
    product rule's (μ + σ²t)·(μ + σ²t)e^{…} written (μ + σ²t)e^{…}).

    >>> t, m = sp.symbols("t m", real=True)
    >>> [w for w, _ in square_of_bracket_lost((m + t) ** 2 * sp.exp(t), None)]
    [(m + t)*exp(t)]
    """
    if not isinstance(node, sp.Mul):
        return []
    out: list[Variant] = []
    for f in node.args:
        if f.is_Pow and f.exp == 2 and isinstance(f.base, sp.Add):
            wrong = node / f * f.base
            out.append((wrong, {"right": f, "wrong": f.base, "s": f.base,
                                "guard": _outside_constructs}))
    return out


def log_factor_dropped(node: sp.Basic, roles: Any) -> list[Variant]:
    """log(A·F) written log A: a factor with symbols lost inside a log, which is the term
    log F of log A + log F dropped (log(p(y|θ)/p(y)) written log p(y|θ) drops −log p(y)).

    >>> y = sp.Symbol("y", real=True)
    >>> f, g = sp.Function("f")(y), sp.Function("g")(y)
    >>> [(w, b["right"]) for w, b in log_factor_dropped(sp.log(f / g), None)]
    [(log(f(y)), -log(g(y))), (log(1/g(y)), log(f(y)))]
    """
    if not isinstance(node, sp.log) or not isinstance(node.args[0], sp.Mul):
        return []
    arg = node.args[0]
    out: list[Variant] = []
    for i, f in enumerate(arg.args):
        if f.is_Number or not f.free_symbols:
            continue
        rest = sp.Mul(*(arg.args[:i] + arg.args[i + 1:]))
        if rest.is_Number or rest.has(f):
            continue
        term = sp.expand_log(sp.log(f), force=True)
        out.append((sp.log(rest), {"right": term, "wrong": sp.S(0), "in_log": True,
                                   "guard": _outside_constructs}))
    return out


def log_of_constant_lost(node: sp.Basic, roles: Any) -> list[Variant]:
    """c + log k written c + k: the log of a number lost from a constant term (log(1 + 1)
    evaluated as 2).

    >>> a = sp.Symbol("a", real=True)
    >>> [w for w, _ in log_of_constant_lost(a + sp.log(2), None)]
    [a + 2]
    """
    if not isinstance(node, sp.Add):
        return []
    out: list[Variant] = []
    for i, t in enumerate(node.args):
        if isinstance(t, sp.log) and t.args[0].is_Rational and t.args[0] > 1:
            k = t.args[0]
            rest = node.args[:i] + node.args[i + 1:]
            out.append((sp.Add(*rest, k), {
                "right": t, "wrong": k,
                "why": f" (the logarithm of {show(k)} was lost: {show(t)} is not {show(k)})"}))
    return out


def power_lost_in_log_product(node: sp.Basic, roles: Any) -> list[Variant]:
    """log(Aᵏ·B) written as if it were log(A·B): the power of one factor lost inside the log
    of a product (log(λᵏe^{−λ}/k!) expanded with log λ for k log λ).

    >>> lam = sp.Symbol("lambda", positive=True)
    >>> k = sp.Symbol("k", integer=True, nonnegative=True)
    >>> [w for w, _ in power_lost_in_log_product(sp.log(lam**k * sp.exp(-lam)), None)]
    [-lambda + log(lambda)]
    """
    if not isinstance(node, sp.log) or not isinstance(node.args[0], sp.Mul):
        return []
    arg = node.args[0]
    out: list[Variant] = []
    for i, f in enumerate(arg.args):
        if not (f.is_Pow and f.exp not in (1, -1, HALF, -HALF) and f.base.free_symbols
                and not isinstance(f, sp.exp)):
            continue
        if f.exp.is_Number and f.exp.is_negative:
            continue  # a power in a denominator: its sign and size are other mistakes
        rest = arg.args[:i] + arg.args[i + 1:]
        # the log of the product as the sum of logs (its value; the product itself may
        # underflow at a point where its log does not)
        wrong = sp.expand_log(sp.log(sp.Mul(*rest, f.base)))
        out.append((wrong, {"right": sp.log(f), "wrong": sp.log(f.base)}))
    return out


def _sums_as_one(node: sp.Basic) -> tuple[sp.Basic, tuple] | None:
    """A sum of terms c·Σ_i fₜ over one index and range, as (Σₜ c·fₜ, the limits): the
    terms of one sum written apart (linearity), or None."""
    if not isinstance(node, sp.Add):
        return None
    limits, body = None, []
    for t in node.args:
        c, rest = t.as_coeff_Mul()
        if not isinstance(rest, sp.Sum) or len(rest.limits) != 1:
            return None
        if limits is None:
            limits = rest.limits[0]
        elif rest.limits[0] != limits:
            return None
        body.append(c * rest.function)
    return (sp.Add(*body), limits) if limits is not None else None


def binomial_lost_in_a_sum(node: sp.Basic, roles: Any, lost: Any = None) -> list[Variant]:
    """Σᵢ(aᵢ² − 2aᵢbᵢ + bᵢ²) (or its terms written as sums apart) with the cross term's 2
    lost: ``lost`` is the catalogue's simulation on one sum of terms, applied to the body."""
    if isinstance(node, sp.Sum) and len(node.limits) == 1:
        body, limits = node.function, node.limits[0]
    else:
        found = _sums_as_one(node)
        if found is None:
            return []
        body, limits = found
    body = sp.expand(body)
    return [(sp.Sum(w, limits), {**b, "right": sp.Sum(b["right"], limits),
                                 "wrong": sp.Sum(b["wrong"], limits)})
            for w, b in (lost(body, roles) if lost is not None else [])]


# --- signs, complements and Jensen (sign, ratio and relation mistakes) -------------------------


def probabilities(roles: Any) -> list[sp.Basic]:
    """The probabilities of a derivation: symbols with the role (declared in (0, 1), or
    log p beside log(1 − p)) and expressions found beside their complement (a sigmoid
    1/(1 + e^{−u}) where 1 − 1/(1 + e^{−u}) is written too; see :mod:`.mistakes`)."""
    if roles is None:
        return []
    found = list(roles.having("probability")) + list(getattr(roles, "probabilities", ()))
    return list(dict.fromkeys(found))


def complement_written(node: sp.Basic, roles: Any) -> list[Variant]:
    """1 − P written P, for a probability P: at the node 1 − P itself, and, inside one
    logarithm or power, every complement at once ((1 − a)/(1 − b) written a/b: the
    other outcome's ratio written for this one's).

    Examples
    --------
    >>> from elbo_derivation.explain.roles import Roles
    >>> a, b = sp.symbols("a b", positive=True)
    >>> roles = Roles(roles={a: "probability", b: "probability"})
    >>> [w for w, _ in complement_written(sp.log((1 - a) / (1 - b)), roles)]
    [log(a/b)]
    """
    out: list[Variant] = []
    probs = probabilities(roles)
    for p in probs:
        if node == 1 - p:
            out.append((p, {"right": node, "wrong": p, "s": p}))
    if isinstance(node, (sp.log, sp.Pow)):
        found = {1 - p: p for p in probs if node.has(1 - p)}
        if len(found) >= 2:
            wrong = node.xreplace(found)
            if wrong != node:
                first = next(iter(found.values()))
                out.append((wrong, {"right": node, "wrong": wrong, "s": first}))
    return out


def complement_restored(node: sp.Basic, roles: Any) -> list[Variant]:
    """The inverse of :func:`complement_written`, for the written step: P put back as 1 − P
    (the binding says what was written and what belongs there)."""
    out: list[Variant] = []
    for p in probabilities(roles):
        if node == p:
            out.append((1 - p, {"right": 1 - p, "wrong": p, "s": p}))
    if isinstance(node, (sp.log, sp.Pow)):
        probs = [p for p in probabilities(roles) if node.has(p) and not node.has(1 - p)]
        if len(probs) >= 2:
            right = node.xreplace({p: 1 - p for p in probs})
            out.append((right, {"right": right, "wrong": node, "s": probs[0]}))
    return out


def exponent_negated(node: sp.Basic, roles: Any) -> list[Variant]:
    """e^{A} written e^{−A} for an exponent A of several terms (a difference reversed in the
    exponent: e^{(b − a)/τ} written e^{(a − b)/τ}). An exponent of one term is a term of its
    own, negated by the sign error's own simulation."""
    if isinstance(node, sp.exp) and isinstance(node.args[0], sp.Add):
        a = node.args[0]
        return [(sp.exp(-a), {"right": a, "wrong": -a})]
    return []


def _pairs(node: sp.Basic, limit: int = 8) -> list[tuple[int, int]]:
    if not isinstance(node, sp.Add) or len(node.args) > limit:
        return []
    return list(itertools.combinations(range(len(node.args)), 2))


def two_terms_negated(node: sp.Basic, roles: Any) -> list[Variant]:
    """Two terms of a sum with their signs flipped together: b − a written a − b inside a
    longer sum, or a bracket −(u + v) written +(u + v) whose terms stand apart. In a sum of
    two terms only when that sum is a part (the whole negated is the overall sign). The
    binding says ``two_places``: in a step that evaluates an integral (a sum, a derivative)
    two terms of the value may combine (m³ − m(m² + 1) = −m), so such a repair is not
    located there (see :mod:`.mistakes`).

    Examples
    --------
    >>> a, b, w = sp.symbols("a b w", positive=True)
    >>> (a - b + w) in [v for v, _ in two_terms_negated(w + b - a, None)]
    True
    """
    out: list[Variant] = []
    for i, j in _pairs(node):
        args = list(node.args)
        right = args[i] + args[j]
        args[i], args[j] = -args[i], -args[j]
        wrong = sp.Add(*args)
        variant = {"right": right, "wrong": -right, "two_places": True}
        if len(node.args) == 2:
            variant["guard"] = lambda expr, path: bool(path)
        out.append((wrong, variant))
    return out


def _log_term(t: sp.Basic) -> tuple[sp.Basic, sp.Basic] | None:
    """(c, X) for a term c·log X, else None."""
    c, rest = t.as_independent(sp.log, as_Add=False)
    if isinstance(rest, sp.log) and not c.has(sp.log):
        return c, rest.args[0]
    return None


def log_pair_flipped(node: sp.Basic, roles: Any) -> list[Variant]:
    """c·log X − c·log Y written c·log Y − c·log X: the log of the ratio X/Y, written as two
    logs, turned upside down."""
    out: list[Variant] = []
    for i, j in _pairs(node, 12):
        a, b = _log_term(node.args[i]), _log_term(node.args[j])
        if a is None or b is None or not expands_to_zero(a[0] + b[0]):
            continue
        if a[1].has(AppliedUndef) or b[1].has(AppliedUndef):
            continue  # log q − log p of densities: the log-density entries' business
        args = list(node.args)
        right = args[i] + args[j]
        args[i], args[j] = -args[i], -args[j]
        ratio = a[1] / b[1] if not a[0].could_extract_minus_sign() else b[1] / a[1]
        out.append((sp.Add(*args), {"right": sp.log(ratio), "wrong": sp.log(1 / ratio),
                                    "terms": right, "two_places": True}))
    return out


def _weights_sum_to_one(weights: list[sp.Basic]) -> bool:
    return sp.simplify(sp.Add(*weights) - 1) == 0


def jensen_as_equality(node: sp.Basic, roles: Any) -> list[Variant]:
    """log Σ wᵢXᵢ written Σ wᵢ log Xᵢ (weights wᵢ ≥ 0 summing to 1): Jensen's inequality
    for the concave log, log E[X] ≥ E[log X], written as an equality.

    The weights are the numbers in front of the terms (½, ½ for an average of two), or a
    probability r and its complement 1 − r of the derivation spread over two terms
    (log(u + v) = log(r·u/r + (1 − r)·v/(1 − r)), the EM bound).

    Examples
    --------
    >>> from elbo_derivation.explain.roles import Roles
    >>> u, v = sp.symbols("u v", positive=True)
    >>> [w for w, _ in jensen_as_equality(sp.log(u / 2 + v / 2), Roles())]
    [log(u)/2 + log(v)/2]
    """
    if not isinstance(node, sp.log) or not isinstance(node.args[0], sp.Add):
        return []
    terms = node.args[0].args
    out: list[Variant] = []
    weighted = [t.as_coeff_Mul() for t in terms]
    if all(c.is_positive and c != 1 for c, _ in weighted) and _weights_sum_to_one(
            [c for c, _ in weighted]):
        wrong = sp.Add(*(c * sp.log(x) for c, x in weighted))
        out.append((wrong, {"right": node, "wrong": wrong}))
    if len(terms) == 2:
        for r in probabilities(roles):
            if not isinstance(r, sp.Symbol):
                continue
            for w1, w2 in ((r, 1 - r), (1 - r, r)):
                wrong = w1 * sp.log(terms[0] / w1) + w2 * sp.log(terms[1] / w2)
                out.append((wrong, {"right": node, "wrong": wrong, "s": r}))
    return out


def jensen_weighted_reversed(ctx: Any) -> dict[str, Any] | None:
    """For a refuted ≤ (≥) step between log Σ wᵢXᵢ and Σ wᵢ log Xᵢ (the weights as in
    :func:`jensen_as_equality`): Jensen proves the reverse relation."""
    pairs = {"<=": (ctx.lhs, ctx.rhs, "≥", "≤"), ">=": (ctx.rhs, ctx.lhs, "≤", "≥")}
    if ctx.relation not in pairs:
        return None
    big, small, holds, written = pairs[ctx.relation]
    for wrong, _ in jensen_as_equality(big, ctx.roles):
        if ctx.screen_equal(wrong, small) and ctx.exact(wrong, small):
            return {"holds": holds, "written": written, "chain": ""}
    return None


# --- factors, constants and terms (s24) --------------------------------------------------------


def inner_symbols_forgotten(node: sp.Basic, roles: Any) -> list[Variant]:
    """d/dθ g(u(θ)) written g′(u)·c where du/dθ = c·F: the inner factor's symbols F lost, its
    number c (a sign) kept (d/dt(1 − e^{−λt}) = λe^{−λt} written e^{−λt}: the −1 of −λ met
    the minus in front, the λ was forgotten). When c is 1 this is the whole inner factor
    forgotten (:func:`inner_factor_forgotten`), so only c ≠ 1 is made here, and only for an
    outer function that is not linear.

    >>> t, lam = sp.symbols("t lambda", positive=True)
    >>> [w for w, _ in inner_symbols_forgotten(sp.Derivative(1 - sp.exp(-lam * t), t), None)]
    [exp(-lambda*t)]
    """
    out: list[Variant] = []
    for t, theta, rest in _by_terms(node) or []:
        for u, g, d in _compositions(t, theta):
            du = sp.diff(u, theta)
            c, symbols = du.as_coeff_Mul()
            if c == 1 or not symbols.free_symbols or symbols == 1 or sp.diff(g, d, 2) == 0:
                continue  # an outer function linear in u (−u) is no composition
            try:
                wrong_t = sp.diff(g, d).xreplace({d: u}) * c
            except ValueError:  # (as in inner_factor_forgotten)
                continue
            right_t = sp.diff(t, theta)
            if expands_to_zero(wrong_t - right_t):
                continue
            out.append((rest + wrong_t, {"right": right_t, "wrong": wrong_t, "inner": u,
                                         "s": theta, "du": du}))
    return out


def written_inner_factor_dropped(node: sp.Basic, roles: Any) -> list[Variant]:
    """g′(u)·du/dθ written g′(u): the chain rule's inner derivative, written as a factor of its
    own in the line before, lost when the derivatives are taken (exp(−e^{−t})·d/dt(−e^{−t})
    written exp(−e^{−t})). The rest of the product must be a function of the inner u (it is
    g′(u)), so that the factor lost is the chain rule's.

    >>> t = sp.Symbol("t", real=True)
    >>> u = -sp.exp(-t)
    >>> [w for w, _ in written_inner_factor_dropped(sp.exp(u) * sp.Derivative(u, t), None)]
    [exp(-exp(-t))]
    """
    if not isinstance(node, sp.Mul):
        return []
    out: list[Variant] = []
    for f in node.args:
        if not (isinstance(f, sp.Derivative) and len(f.variable_count) == 1
                and f.variable_count[0][1] == 1):
            continue
        u, theta = f.expr, f.variable_count[0][0]
        rest = node / f
        if rest.has(sp.Derivative) or not rest.has(u) or not u.has(theta) or u == theta:
            continue
        du = f.doit()
        if du.has(sp.Derivative) or du == 1:
            continue
        out.append((rest, {"right": rest * du, "wrong": rest, "inner": u, "s": theta,
                           "du": du}))
    return out


def log_of_e_lost(node: sp.Basic, roles: Any) -> list[Variant]:
    """−c·log(e·A) written −c·log A: the constant −c that log e = 1 brings lost, with a
    negative coefficient −c (−½ log(2πeσ²) = −½ − ½ log(2πσ²) written −½ log(2πσ²): the −½ of
    the Gaussian's entropy lost). A positive constant lost is not a −1 lost, so only a term
    with a negative number in front is made; not under an integral, a sum, a derivative or
    an expectation (its value is not the step's own, see :func:`_outside_constructs`).

    >>> s = sp.Symbol("s", positive=True)
    >>> [w for w, _ in log_of_e_lost(-sp.log(2 * sp.E * sp.pi * s**2) / 2, None)]
    [-log(2*pi*s**2)/2]
    """
    if not isinstance(node, sp.Mul):
        return []
    c, rest = node.as_coeff_Mul()
    if not (c.is_Rational and c < 0 and isinstance(rest, sp.log)):
        return []
    arg = rest.args[0]
    if not isinstance(arg, sp.Mul) or sp.E not in arg.args or not arg.free_symbols:
        return []
    wrong = c * sp.log(arg / sp.E)
    return [(wrong, {"right": node, "wrong": wrong, "constant": c,
                     "guard": _outside_constructs})]


def product_rule_term_dropped(node: sp.Basic, roles: Any) -> list[Variant]:
    """d/dθ (f·g) written f′g (or fg′): one term of the product rule lost, the other terms of
    the derivative right (d/dq (q log q) = log q + q·(1/q) written log q: the 1 that
    differentiating the log gives was lost). Only for a term with at least two factors that
    depend on θ, and a term of the rule that is not 0.

    >>> q = sp.Symbol("q", positive=True)
    >>> sorted(str(w) for w, _ in product_rule_term_dropped(sp.Derivative(q * sp.log(q), q), None))
    ['1', 'log(q)']
    """
    out: list[Variant] = []
    for t, theta, rest in _by_terms(node) or []:
        factors = [f for f in sp.Mul.make_args(t) if f.has(theta)]
        if len(factors) < 2:
            continue
        right_t = sp.diff(t, theta)
        for f in factors:
            term = t / f * sp.diff(f, theta)
            if term == 0:
                continue
            wrong_t = right_t - term
            if expands_to_zero(wrong_t - right_t) or wrong_t == 0:
                continue
            why = (f" (the product rule: d/d{show(theta)} of {show(t)} is {show(right_t)}; "
                   f"the term {show(term)} was lost)")
            out.append((rest + wrong_t, {"right": term, "wrong": sp.S(0), "s": theta,
                                         "why": why, "from_rule": True,
                                         "function": t, "kept": wrong_t}))
    return out


def _exponent(node: sp.Basic) -> sp.Basic | None:
    """The exponent u of e^u (written exp(u) or as a power of e), else None."""
    if isinstance(node, sp.exp):
        return node.args[0]
    if node.is_Pow and node.base == sp.E:
        return node.exp
    return None


def _factor_in_exponent(node: sp.Basic) -> tuple[sp.Basic, sp.Basic] | None:
    """(c, F) for e^{c·F} with c an integer other than 0 and ±1 and F holding symbols (e^{c·F}
    is (e^{±F})^{|c|}; a fraction lost from an exponent is a ½ dropped, not a power)."""
    u = _exponent(node)
    if u is None:
        return None
    c, f = u.as_coeff_Mul()
    if not c.is_Integer or abs(c) <= 1 or not f.free_symbols:
        return None
    return c, f


def exponent_factor_lost(node: sp.Basic, roles: Any) -> list[Variant]:
    """e^{c·F} written e^{±F}: the number c of an exponent lost, its sign kept (e^{−2a} written
    e^{−a} when 2/(1 + e^{−2a}) − 1 is brought over one denominator).

    >>> a = sp.Symbol("a", real=True)
    >>> [w for w, _ in exponent_factor_lost(sp.exp(-2 * a), None)]
    [exp(-a)]
    """
    found = _factor_in_exponent(node)
    if found is None:
        return []
    c, f = found
    wrong = sp.exp(sp.sign(c) * f)
    return [(wrong, {"right": node, "wrong": wrong, "s": abs(c), "u": f})]


#: The factors an exponent is put back with when its number was lost: a doubled argument
#: (tanh x = (1 − e^{−2x})/(1 + e^{−2x}), e^{2x} = (e^x)²) is the one the formulas carry.
EXPONENT_FACTORS = (sp.Integer(2),)


def exponent_factor_restored(node: sp.Basic, roles: Any) -> list[Variant]:
    """The undoing of :func:`exponent_factor_lost` at one place of the written step: e^{±F}
    (a number ±1 in front of F) put back as e^{±k·F}."""
    u = _exponent(node)
    if u is None:
        return []
    c, f = u.as_coeff_Mul()
    if abs(c) != 1 or not f.free_symbols:
        return []
    return [(sp.exp(k * u), {"right": sp.exp(k * u), "wrong": node, "s": k, "u": f})
            for k in EXPONENT_FACTORS]


def _exponentials(expr: sp.Basic) -> list[sp.Basic]:
    return [n for n in sp.preorder_traversal(expr) if _exponent(n) is not None]


def exponent_factor_lost_everywhere(expr: sp.Basic, roles: Any) -> list[Variant]:
    """Every e^{c·F} of one F written e^{±F} at once (the same number lost wherever the
    exponent stands: (1 − e^{−2x})/(1 + e^{−2x}) written (1 − e^{−x})/(1 + e^{−x})).

    >>> x = sp.Symbol("x", real=True)
    >>> e = (1 - sp.exp(-2 * x)) / (1 + sp.exp(-2 * x))
    >>> [w for w, _ in exponent_factor_lost_everywhere(e, None)]
    [(1 - exp(-x))/(1 + exp(-x))]
    """
    by_f: dict[sp.Basic, dict[sp.Basic, sp.Basic]] = {}
    places: dict[sp.Basic, int] = {}
    for n in _exponentials(expr):
        found = _factor_in_exponent(n)
        if found is not None:
            c, f = found
            by_f.setdefault(f, {})[n] = sp.exp(sp.sign(c) * f)
            places[f] = places.get(f, 0) + 1
    out: list[Variant] = []
    for f, change in by_f.items():
        if places[f] < 2:
            continue  # one place: the local simulation makes it
        first = next(iter(change))
        out.append((expr.xreplace(change), {"right": first, "wrong": change[first],
                                            "s": abs(_factor_in_exponent(first)[0]),
                                            "u": f}))
    return out


def exponent_factor_restored_everywhere(expr: sp.Basic, roles: Any) -> list[Variant]:
    """The undoing of :func:`exponent_factor_lost_everywhere` on the written step: every
    e^{±F} of one F put back as e^{±k·F}."""
    by_f: dict[sp.Basic, dict[sp.Basic, sp.Basic]] = {}
    places: dict[sp.Basic, int] = {}
    for n in _exponentials(expr):
        c, f = _exponent(n).as_coeff_Mul()
        if abs(c) == 1 and f.free_symbols:
            by_f.setdefault(f, {})[n] = n
            places[f] = places.get(f, 0) + 1
    out: list[Variant] = []
    for f, found in by_f.items():
        if places[f] < 2:
            continue
        for k in EXPONENT_FACTORS:
            change = {n: sp.exp(k * _exponent(n)) for n in found}
            first = next(iter(change))
            out.append((expr.xreplace(change), {"right": change[first], "wrong": first,
                                                "s": k, "u": f}))
    return out


def _powered(f: sp.Basic) -> list[tuple[sp.Basic, sp.Basic]]:
    """(base, n) for a factor b^n with an exponent n holding symbols, and for e^{n·v} (which
    is (e^v)^n) each symbol n of its exponent's product."""
    u = _exponent(f)
    if u is not None:
        return [(sp.exp(u / n), n) for n in sp.Mul.make_args(u)
                if n.is_Symbol and u != n]
    if f.is_Pow and f.exp.free_symbols and not f.exp.could_extract_minus_sign():
        return [(f.base, f.exp)]
    return []


def power_on_one_factor(node: sp.Basic, roles: Any) -> list[Variant]:
    """(a·b)ⁿ = aⁿbⁿ written a·bⁿ: a power with symbols put on one factor of a product only
    (e^{tk}λ^k = (λe^t)^k written λ·(e^t)^k). Made where two factors of a product carry the
    same power n (e^{n·v} counting as (e^v)^n): one of them loses it.

    >>> k = sp.Symbol("k", integer=True, nonnegative=True)
    >>> lam, t = sp.symbols("lambda t", positive=True)
    >>> [w for w, _ in power_on_one_factor(lam**k * sp.exp(k * t), None)]
    [lambda*exp(k*t), lambda**k*exp(t)]
    """
    if not isinstance(node, sp.Mul):
        return []
    carried: list[tuple[sp.Basic, sp.Basic, sp.Basic]] = [
        (f, b, n) for f in node.args for b, n in _powered(f)]
    out: list[Variant] = []
    for f, b, n in carried:
        if sum(1 for g, _, m in carried if m == n and g != f) < 1 or not b.free_symbols:
            continue
        wrong = node.xreplace({f: b})
        if wrong == node:
            continue
        out.append((wrong, {"right": f, "wrong": b, "s": n, "base": b}))
    return out


def power_put_back(node: sp.Basic, roles: Any) -> list[Variant]:
    """The undoing of :func:`power_on_one_factor` in the written step: in a product with a
    factor bⁿ (n holding symbols), another factor a with symbols (free of n, not a
    denominator) raised to n as well."""
    if not isinstance(node, sp.Mul):
        return []
    powers = {n for f in node.args for _, n in _powered(f)}
    out: list[Variant] = []
    for n in powers:
        for a in node.args:
            if a.is_Number or not a.free_symbols or a.has(n) or _powered(a) or (
                    a.is_Pow and a.exp.could_extract_minus_sign()) or isinstance(
                    a, CONSTRUCTS):
                continue
            right = node.xreplace({a: a ** n})
            out.append((right, {"right": a ** n, "wrong": a, "s": n, "base": a}))
    return out


def completion_constant_forgotten(expr: sp.Basic, roles: Any) -> list[Variant]:
    """a·v² + b·v + c completed as a(v + b/(2a))² + c: the square completed in a variable v,
    its constant −b²/(4a) forgotten (−((1 + c)z² − 2xz + x²)/(2c) written
    −(1 + c)(z − x/(1 + c))²/(2c) − x²/(2c)). Made for each symbol in which the whole line is
    a quadratic polynomial; the written constant c stands where c − b²/(4a) belongs.

    >>> x, z = sp.symbols("x z", real=True)
    >>> c = sp.Symbol("c", positive=True)
    >>> e = -(2 * z**2 - 2 * x * z + x**2) / 2
    >>> [(b["s"], b["right"], b["wrong"]) for _, b in completion_constant_forgotten(e, None)]
    [(x, -z**2/2, -z**2), (z, -x**2/4, -x**2/2)]
    """
    if expr.has(*CONSTRUCTS) or sp.count_ops(expr) > 80:
        return []
    out: list[Variant] = []
    for v in sorted(expr.free_symbols, key=str)[:6]:
        if not v.is_real:
            continue
        try:
            poly = sp.Poly(sp.expand(expr), v)
        except (sp.PolynomialError, sp.GeneratorsNeeded):
            continue
        if poly.degree() != 2:
            continue
        a, b, c0 = (poly.coeff_monomial(v**k) for k in (2, 1, 0))
        if b == 0 or a.has(v):
            continue
        lost = sp.cancel(b**2 / (4 * a))
        why = (f" (the square completed in {show(v)} holds an extra {show(lost)}, which the "
               "constant must give back)")
        out.append((expr + lost, {"right": sp.cancel(c0 - lost), "wrong": c0, "s": v,
                                  "why": why}))
    return out

# --- series: a polynomial times a geometric term (s24) -----------------------------------------


def _polynomial_and_geometric(f: sp.Basic, k: sp.Symbol, convergent: bool = True,
                              ) -> tuple[sp.Basic, sp.Basic, sp.Basic] | None:
    """f(k) = P(k)·G(k) with P a polynomial in k (the factors that are) and G geometric in
    k (G(k + 1)/G(k) = r free of k, and, if ``convergent``, 0 < r < 1 provable): (P, G,
    r), or None."""
    poly, rest = [], []
    for fac in sp.Mul.make_args(f):
        (poly if fac.has(k) and fac.is_polynomial(k) else rest).append(fac)
    p, g = sp.Mul(*poly), sp.Mul(*rest)
    if not g.has(k):
        return None
    try:
        ratio = sp.powsimp(g.xreplace({k: k + 1}) / g, force=False)
        if ratio.has(k):
            ratio = sp.powsimp(sp.cancel(ratio), force=False)
    except Exception:
        return None
    if ratio.has(k) or (convergent and (ratio.is_positive is not True
                                        or sp.together(1 - ratio).is_positive is not True)):
        return None
    return p, g, ratio


def polynomial_geometric(node: sp.Basic) -> bool:
    """Whether ``node`` is a series Σ_{k≥a} P(k)·G(k), P a polynomial, G geometric (its
    ratio free of k), convergent or not: one :func:`polynomial_geometric_sum` sums when its
    ratio lies in (0, 1), and nothing else need try (SymPy's summation of one that diverges
    may take seconds to say so)."""
    if not isinstance(node, sp.Sum) or len(node.limits) != 1:
        return False
    k, lo, hi = node.limits[0]
    return hi == sp.oo and lo.is_Integer is True and all(
        _polynomial_and_geometric(t, k, convergent=False) is not None
        for t in sp.Add.make_args(node.function))


def polynomial_geometric_sum(node: sp.Basic, convergent: bool = False) -> sp.Basic | None:
    """Σ_{k≥a} P(k)·G(k) in closed form, P a polynomial and G geometric with ratio r in
    (0, 1): G(a)·Σⱼ cₘ·(t d/dt)ᵐ 1/(1 − t) at t = r, where P(a + j) = Σ cₘ jᵐ (no
    summation by SymPy, which may take a second per series); None for another sum.
    ``convergent``: the ratio is known to lie in (0, 1) (a probability's complement) where
    the symbols' assumptions cannot show it.

    >>> k = sp.Symbol("k", integer=True)
    >>> r = sp.Rational(1, 3)
    >>> polynomial_geometric_sum(sp.Sum(k * r**(k - 1), (k, 1, sp.oo)))
    9/4
    """
    if not isinstance(node, sp.Sum) or len(node.limits) != 1:
        return None
    k, lo, hi = node.limits[0]
    if hi != sp.oo or not lo.is_Integer:
        return None
    terms = sp.Add.make_args(node.function)
    if len(terms) > 1:  # term by term, when each converges
        parts = [polynomial_geometric_sum(sp.Sum(t, node.limits[0]), convergent)
                 for t in terms[:6]]
        return None if len(terms) > 6 or None in parts else sp.Add(*parts)
    found = _polynomial_and_geometric(node.function, k, convergent=not convergent)
    if found is None:
        return None
    p, g, r = found
    j, t = sp.Dummy("j", integer=True), sp.Dummy("t")
    try:
        coeffs = sp.Poly(sp.expand(p.xreplace({k: lo + j})), j).all_coeffs()[::-1]
    except Exception:
        return None
    if len(coeffs) > 6:
        return None
    series, total = 1 / (1 - t), sp.S(0)
    for c in coeffs:
        total += c * series
        series = t * sp.diff(series, t)
    return g.xreplace({k: lo}) * total.xreplace({t: r})


def series_without_polynomial(node: sp.Basic, roles: Any) -> list[Variant]:
    """Σ_{k≥a} P(k)·G(k) (P a polynomial of degree ≥ 1, G geometric with ratio r in (0, 1))
    summed as the geometric series Σ G(k) = G(a)/(1 − r): the formula of another series used
    (Σ k rᵏ⁻¹ = 1/(1 − r)² written 1/(1 − r))."""
    if not isinstance(node, sp.Sum) or len(node.limits) != 1:
        return []
    k, lo, hi = node.limits[0]
    if hi != sp.oo or not lo.is_Integer:
        return []
    found = _polynomial_and_geometric(node.function, k, convergent=False)
    if found is None or not found[0].has(k):
        return []
    p, g, r = found
    # the ratio in (0, 1): by the symbols' assumptions, or a probability or its complement
    probs = set(probabilities(roles)) if roles is not None else set()
    known = r in probs or sp.expand(1 - r) in probs
    if not known and (r.is_positive is not True
                      or sp.together(1 - r).is_positive is not True):
        return []
    plain = sp.Sum(g, node.limits[0])
    value = polynomial_geometric_sum(plain, convergent=True)
    if value is None:
        return []
    return [(value, {"right": node, "wrong": value, "i": k, "poly": p, "plain": plain,
                     "ratio": r})]


def integral_value(node: sp.Basic) -> sp.Basic | None:
    """The value of an expectation integral in closed form, when its weight has one at once
    (a Gaussian weight over ℝ, C·x^α·e^{−λx} over (0, ∞), a Poisson weight; see
    :func:`_moment_setup`), else None.

    >>> x = sp.Symbol("x", real=True)
    >>> integral_value(sp.Integral(x * sp.exp(-x), (x, 0, sp.oo)))
    1
    """
    setup = _moment_setup(node) if isinstance(node, (sp.Integral, sp.Sum, Expectation)) \
        else None
    if setup is None:
        return None
    *_, total, value = setup
    return total * value


# --- signs and relations on the page (s24) -----------------------------------------------------


def _one_log_of_a_sum(e: sp.Basic) -> sp.Basic | None:
    """``e`` written as one log of a sum, its logs combined and the argument expanded
    (log(eᵃ + eᵇ) − log 2 is log(eᵃ/2 + eᵇ/2)), or None when it is not one such log."""
    if isinstance(e, sp.log) or not e.has(sp.log) or sp.count_ops(e) > 60:
        return None
    try:
        joined = sp.logcombine(e, force=True)
    except Exception:
        return None
    if not isinstance(joined, sp.log):
        return None
    arg = sp.expand(joined.args[0])
    return sp.log(arg) if isinstance(arg, sp.Add) else None


def jensen_reversed_combined(ctx: Any) -> dict[str, Any] | None:
    """:func:`jensen_weighted_reversed` where the log of the weighted average is written as
    logs of its parts (log(eᵃ + eᵇ) − log 2 ≤ (a + b)/2): the logs joined into one, proved
    equal to what was written, then Jensen's pattern as before.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from elbo_derivation.explain.roles import Roles
    >>> a, b = sp.symbols("a b", real=True)
    >>> same = lambda u, v: sp.simplify(u - v) == 0
    >>> ctx = SimpleNamespace(relation="<=", lhs=sp.log(sp.exp(a) + sp.exp(b)) - sp.log(2),
    ...                       rhs=(a + b) / 2, roles=Roles(), screen_equal=same, exact=same)
    >>> jensen_reversed_combined(ctx)["holds"]
    '≥'
    """
    sides = {"<=": "lhs", ">=": "rhs"}  # the side Jensen says is the larger
    if ctx.relation not in sides:
        return None
    big_side = sides[ctx.relation]
    big = getattr(ctx, big_side)
    joined = _one_log_of_a_sum(big)
    if joined is None or not (ctx.screen_equal(joined, big) and ctx.exact(joined, big)):
        return None
    view = copy.copy(ctx)
    setattr(view, big_side, joined)
    return jensen_weighted_reversed(view)


# --- terms, halves and constants (s25) ----------------------------------------------------------


def _same_term(a: sp.Basic, b: sp.Basic) -> bool:
    try:
        return a == b or expands_to_zero(a - b)
    except Exception:
        return False


def written_term_restored(node: sp.Basic, roles: Any) -> list[Variant]:
    """S written where S + t belongs, t a term of a sum the author wrote on the previous line
    whose other terms all stand in S: the author's sum carried into the step without one of
    its terms (−a²(a + b) for −a²(a + b + 1) over a common denominator; α(1 − ᾱ) − α for
    α(1 − ᾱ) + (1 − α) expanded). The sums come from the previous line as written
    (``roles.written_sums``, set by :mod:`.mistakes`); without them nothing is restored.

    >>> from types import SimpleNamespace
    >>> a, b = sp.symbols("a b", positive=True)
    >>> roles = SimpleNamespace(written_sums=[(a, b, sp.S(1))])
    >>> [(w, v["right"]) for w, v in written_term_restored(a + b, roles)]
    [(a + b + 1, 1)]
    >>> written_term_restored(a + 2, roles)
    []
    """
    if not isinstance(node, sp.Add):
        return []
    have = node.args
    out: list[Variant] = []
    seen: list[sp.Basic] = []
    sums = list(getattr(roles, "written_sums", ()) or ())[:40]
    # the sum that accounts for most of the written one first (a + b + 1 before a + 1
    # for a + b): it says where the term was lost
    for terms in sorted(sums, key=lambda ts: -len(ts)):
        if len(terms) < 2:
            continue
        for i, t in enumerate(terms):
            rest = terms[:i] + terms[i + 1:]
            if any(_same_term(t, s) for s in seen) or any(_same_term(t, h) for h in have):
                continue
            if all(any(_same_term(r, h) for h in have) for r in rest):
                seen.append(t)
                why = (f" from the sum {show(sp.Add(*terms))} of the line before "
                       f"({show(node)} written for {show(sp.Add(node, t))})")
                out.append((sp.Add(node, t), {"right": t, "wrong": node, "why": why}))
    return out

# --- derivatives as a textbook takes them (s25) --------------------------------------------------
# A derivative is taken rule by rule (outer derivative × inner derivative, n·uⁿ⁻¹): a mistake in
# one rule is simulated by taking the derivative with that one rule wrong, so that the chain and
# product rules around it act as they should, whatever SymPy's canonical form of the value.


class _PowerFactorLost(sp.Function):
    """uᵏ whose derivative in u forgets the power rule's factor |k| (its sign is kept):
    d/du uᵏ written ±uᵏ⁻¹. Differentiated by SymPy's own chain and product rules, then
    written back as uᵏ (see :func:`power_factor_lost`)."""

    nargs = 2

    def fdiff(self, argindex: int = 1) -> sp.Basic:
        if argindex != 1:
            raise sp.core.function.ArgumentIndexError(self, argindex)
        u, k = self.args
        return sp.sign(k) * u ** (k - 1)


def _depends_on(e: sp.Basic, theta: sp.Basic) -> bool:
    """Whether ``e`` depends on θ, an entry m(j) of a sequence depending on every m(·)."""
    from elbo_derivation.decide.indexed import is_entry

    if e.has(theta):
        return True
    return is_entry(theta) and any(isinstance(a, AppliedUndef) and a.func == theta.func
                                   for a in e.atoms(AppliedUndef))


def first_derivative(body: sp.Basic, theta: sp.Basic) -> sp.Basic | None:
    """d/dθ ``body`` evaluated (with respect to an entry of a sequence as
    :mod:`elbo_derivation.decide.indexed` takes it); None when a derivative stays.

    >>> t = sp.Symbol("t", real=True)
    >>> first_derivative(t**3, t)
    3*t**2
    """
    from elbo_derivation.decide.indexed import evaluate_coordinate_derivatives, is_entry

    der = sp.Derivative(body, theta)
    try:
        if is_entry(theta):
            value, _ = evaluate_coordinate_derivatives(der)
        else:
            value = der.doit()
    except Exception:
        return None
    if value.has(sp.Derivative, sp.Subs, sp.Piecewise):
        return None
    return value


def _at_index(e: sp.Basic, theta: sp.Basic) -> sp.Basic:
    """``e`` with the entries of θ's sequence taken at θ's index (the term of a sum over d
    that depends on m(j), written at j)."""
    from elbo_derivation.decide.indexed import is_entry

    if not is_entry(theta) or e.has(theta):
        return e
    index = theta.args[0]
    entries = [a for a in e.atoms(AppliedUndef) if a.func == theta.func]
    olds = {a.args[0] for a in entries if a.args[0].is_Symbol}
    return e.xreplace({o: index for o in olds}) if len(olds) == 1 else e



def _lost_factor_value(body: sp.Basic, marks: dict, theta: sp.Basic,
                       right: sp.Basic) -> sp.Basic | None:
    """d/dθ of ``body`` with the powers of ``marks`` differentiated without their factor, or
    None when it cannot be taken or equals the right value ``right``."""
    value = first_derivative(body.xreplace(marks), theta)
    if value is None:
        return None
    value = value.replace(lambda x: isinstance(x, _PowerFactorLost),
                          lambda x: x.args[0] ** x.args[1])
    if value.has(_PowerFactorLost) or expands_to_zero(value - right):
        return None
    return value


def power_factor_lost(node: sp.Basic, roles: Any) -> list[Variant]:
    """dⁿ/dθⁿ f taken with the power rule's factor forgotten once: one power uᵏ of f
    (|k| ≥ 2, u depending on θ) differentiated as uᵏ⁻¹·u′ instead of k·uᵏ⁻¹·u′, every other
    rule right (the chain rule's inner factor, the product rule's other terms). For a
    higher derivative the first one is taken wrong and the others are left to be taken, as
    the written step leaves them.

    >>> m, e = sp.symbols("m e", real=True)
    >>> [w for w, _ in power_factor_lost(sp.Derivative((m + e) ** 2 / 2 + m, m), None)]
    [e/2 + m/2 + 1]
    >>> t = sp.Symbol("t", real=True)
    >>> [w for w, _ in power_factor_lost(sp.Derivative(t**2 / 2, (t, 2)), None)]
    [Derivative(t/2, t)]
    """
    if not isinstance(node, sp.Derivative) or len(node.variable_count) != 1:
        return []
    theta, n = node.variable_count[0]
    body = node.expr
    if not (n.is_Integer and n >= 1) or body.has(sp.Integral, Expectation):
        return []
    powers = [p for p in sp.preorder_traversal(body)
              if p.is_Pow and p.exp.is_Integer and abs(p.exp) >= 2
              and _depends_on(p.base, theta)]
    right = first_derivative(body, theta)
    if right is None:
        return []
    out: list[Variant] = []
    for p in list(dict.fromkeys(powers))[:8]:
        value = _lost_factor_value(body, {p: _PowerFactorLost(p.base, p.exp)}, theta, right)
        if value is None:
            continue
        wrong = value if n == 1 else sp.Derivative(value, (theta, n - 1))
        k = p.exp
        shown = _at_index(p, theta)
        out.append((wrong, {"right": right, "wrong": value, "s": theta, "n": abs(k),
                            "power": shown, "base": _at_index(p.base, theta),
                            "dpower": sp.Mul(k, _at_index(p.base, theta) ** (k - 1),
                                             evaluate=False),
                            "lost_power": p}))
    return out


def _under_a_derivative_only(expr: sp.Basic, path: tuple[int, ...]) -> bool:
    """Whether a derivative stands above the node at ``path`` and no log, integral, sum or
    expectation does (a factor lost in the body of a derivative that the step keeps)."""
    return under(expr, path, (sp.Derivative,)) and not under(
        expr, path, (sp.log, sp.Integral, sp.Sum, Expectation))


def factor_dropped_under_derivative(node: sp.Basic, roles: Any) -> list[Variant]:
    """A·F written A in the body of a derivative, the derivative itself left to be taken:
    d/dm (m + s·e)²/2 rewritten d/dm (m + e)²/2 lost the factor s of s·e. The written step
    must keep the derivative (``kept_derivative``, checked on the page): a factor lost in a
    body whose derivative is taken gives a value that other mistakes of the rules give too.

    >>> m, s, e = sp.symbols("m s e", real=True)
    >>> [w for w, _ in factor_dropped_under_derivative(s * e, None)]
    [s, e]
    """
    return [(w, {**b, "guard": _under_a_derivative_only, "kept_derivative": True})
            for w, b in factor_dropped(node, roles)]


def _plain_square_base(f: sp.Basic, roles: Any) -> bool:
    """A base whose square can be lost as such: a bracket (a sum), or a symbol with no role
    of its own (σ for σ² is the standard deviation used for the variance, named by its
    role)."""
    if isinstance(f, sp.Add):
        return True
    return isinstance(f, sp.Symbol) and (roles is None or roles.role(f) is None)


def square_lost_below(node: sp.Basic, roles: Any) -> list[Variant]:
    """X/(a + b)² written X/(a + b): the square of a bracket of a denominator lost (a
    variance's (a + b)² written a + b). Not of a symbol: s for s² in a denominator is most
    often a standard deviation for a variance, named by its role. The square must be written
    on the previous line (``written_square``, see :mod:`.witness_factors`).

    >>> a, w = sp.symbols("a w", positive=True)
    >>> [w_ for w_, _ in square_lost_below(a / (a + w) ** 2, None)]
    [a/(a + w)]
    """
    if not isinstance(node, sp.Mul):
        return []
    out: list[Variant] = []
    for f in node.args:
        if f.is_Pow and f.exp == -2 and isinstance(f.base, sp.Add):
            wrong = node / f * f.base ** -1
            out.append((wrong, {"right": f.base ** 2, "wrong": f.base, "s": f.base,
                                "guard": _outside_constructs, "written_square": True}))
    return out


def square_restored(node: sp.Basic, roles: Any) -> list[Variant]:
    """The inverse of a square lost, on the written step: a bracket factor of a product put
    back as its square, to repair a step that also rearranged the terms.

    >>> a, b, c = sp.symbols("a b c", positive=True)
    >>> [r for r, _ in square_restored(c / ((a + b) * (a + b + 1)), None)]
    [c/((a + b)**2*(a + b + 1)), c/((a + b)*(a + b + 1)**2)]
    """
    if not isinstance(node, sp.Mul):
        return []
    out: list[Variant] = []
    for f in node.args:
        base = f.base if f.is_Pow and f.exp == -1 else f
        if isinstance(base, sp.Add) and node.args.count(f) == 1:
            right = node * f
            out.append((right, {"right": base ** 2, "wrong": base, "s": base,
                                "guard": _outside_constructs, "written_square": True}))
    return out


def power_of_exp_lost_in_log(node: sp.Basic, roles: Any) -> list[Variant]:
    """log((e^u)ᵏ·X) written log(e^u·X): the power k of a factor e^u of a log's argument
    lost (the Poisson's λᵏ at λ = e^η, (e^η)ᵏ, taken as e^η). SymPy keeps (e^u)ᵏ as e^{ku},
    so the power is a factor k of the exponent; the page must show the power written
    (``exp_power``, see :mod:`.witness_factors`).

    >>> eta, k = sp.Symbol("eta", real=True), sp.Symbol("k", integer=True)
    >>> [w for w, _ in power_of_exp_lost_in_log(sp.log(sp.exp(k * eta) / 2), None)]
    [log(exp(eta)/2)]
    """
    if not isinstance(node, sp.log):
        return []
    arg = node.args[0]
    out: list[Variant] = []
    for f in sp.Mul.make_args(arg):
        if not isinstance(f, sp.exp) or not isinstance(f.args[0], sp.Mul):
            continue
        exponent = f.args[0]
        for k in exponent.args:
            if not (k.is_Symbol and k.is_integer) or not (exponent / k).free_symbols:
                continue
            u = exponent / k
            wrong = sp.log(arg.xreplace({f: sp.exp(u)}))
            out.append((wrong, {"right": k * u, "wrong": u, "exp_power": k, "base": sp.exp(u),
                                "guard": _outside_constructs_but_derivatives}))
    return out


def _outside_constructs_but_derivatives(expr: sp.Basic, path: tuple[int, ...]) -> bool:
    """No integral, sum or expectation above the node at ``path`` (a derivative may be)."""
    return not under(expr, path, (sp.Integral, sp.Sum, Expectation))

# --- session 25: roles, moments and indices ----------------------------------------------------


def _count_choices(k: int) -> list[int]:
    return [w for w in (1, k - 1, k + 1) if w not in (0, k)]


def normaliser_count_wrong(node: sp.Basic, roles: Any) -> list[Variant]:
    """The (2π)^(K/2) of a K-coordinate diagonal Gaussian's normaliser written for another
    count: ``−(K/2)·log 2π`` written ``−½ log 2π`` (one coordinate counted) or for K ± 1, and
    the same inside the product ``(2π)^(K/2)·σ₁⋯σ_K``.

    K is the number of coordinates found from structure (one spread parameter each, as for
    :func:`coordinate_count_wrong`), at least 2; each contributes ½ log 2π to the log of the
    normaliser (Bishop 2006, eq. 2.43; Tomczak 2022, sec. 4).

    Examples
    --------
    >>> from elbo_derivation.explain.roles import Family, Roles
    >>> s1, s2 = sp.symbols("s_1 s_2", positive=True)
    >>> r = Roles(families=[Family(None, s1, "standard-deviation"),
    ...                     Family(None, s2, "standard-deviation")])
    >>> [w for w, _ in normaliser_count_wrong(-sp.log(2 * sp.pi) - sp.log(s1), r)][0]
    -log(s_1) - log(2*pi)/2
    >>> [w for w, _ in normaliser_count_wrong(1 / (2 * sp.pi * s1 * s2), r)][0]
    sqrt(2)/(2*sqrt(pi)*s_1*s_2)
    """
    k = len(coordinates(roles))
    if k < 2:
        return []
    names = ", ".join(show(p) for p in coordinates(roles))
    out: list[Variant] = []

    def said(right: sp.Basic, wrong: sp.Basic, w: int) -> dict[str, Any]:
        why = (f"the Gaussian has {k} coordinates ({names}, one spread each) and each "
               f"contributes a factor √(2π) to the normaliser, so {show(right)} belongs here, "
               f"not {show(wrong)} ({w} counted)")
        return {"right": right, "wrong": wrong, "s": sp.Integer(k), "why": why}

    log2pi = sp.log(2 * sp.pi)
    if isinstance(node, sp.log) and isinstance(node.args[0], sp.Mul):
        # inside a log the count shows as the log's term e·log 2π (the written part)
        for new, b in normaliser_count_wrong(node.args[0], roles):
            out.append((sp.log(new), said(b["e"] * log2pi, b["ew"] * log2pi, b["w"])))
    elif isinstance(node, sp.Add):
        for t in node.args:
            c, rest = t.as_coeff_Mul()
            if rest != log2pi or abs(c) != sp.Rational(k, 2):
                continue
            for w in _count_choices(k):
                new = sp.sign(c) * sp.Rational(w, 2) * log2pi
                out.append((node - t + new, said(t, new, w)))
    elif isinstance(node, sp.Mul):
        coeff, rest = node.as_coeff_Mul()
        e = next((f.exp if f.is_Pow else sp.S.One for f in sp.Mul.make_args(rest)
                  if f == sp.pi or (f.is_Pow and f.base == sp.pi)), None)
        if e is None or abs(e) != sp.Rational(k, 2) or coeff != sp.Integer(2) ** e:
            return []
        others = sp.Mul(*(f for f in sp.Mul.make_args(rest)
                          if not (f == sp.pi or (f.is_Pow and f.base == sp.pi))))
        for w in _count_choices(k):
            ew = sp.sign(e) * sp.Rational(w, 2)
            new = (2 * sp.pi) ** ew * others
            out.append((new, {**said((2 * sp.pi) ** e, (2 * sp.pi) ** ew, w),
                              "e": e, "ew": ew, "w": w}))
    return out


def _standard_normal(dens: sp.Basic, x: sp.Symbol) -> bool:
    return dens == sp.exp(-x**2 / 2) / sp.sqrt(2 * sp.pi)  # SymPy's own form of N(x; 0, 1)


def noise_std_for_variance(node: sp.Basic, roles: Any) -> list[Variant]:
    """E[(m + c·ε)²] over a standard normal ε evaluated with c where c² belongs: c scales
    unit noise, so it is the standard deviation of c·ε and Var(c·ε) = c² (the forward
    process's √(1 − α)·ε, Luo 2022 eqs. 61–70); the variance is c², not c.

    Examples
    --------
    >>> a, m = sp.Symbol("a", positive=True), sp.Symbol("m", real=True)
    >>> e = sp.Symbol("e", real=True)
    >>> dens = sp.exp(-e**2 / 2) / sp.sqrt(2 * sp.pi)
    >>> [w for w, _ in noise_std_for_variance(Expectation((m + sp.sqrt(1 - a) * e)**2, e,
    ...                                                    dens), None)]
    [m**2 + sqrt(1 - a)]
    """
    if type(node) is not Expectation:
        return []
    if node.integrand.has(Expectation) or not _standard_normal(node.density, node.variable):
        # an inner expectation over unit noise, evaluated under an outer one the step keeps:
        # the wrong value stands in the written integrand
        out: list[Variant] = []
        for inner in sp.preorder_traversal(node.integrand):
            if type(inner) is Expectation:
                out.extend((node.xreplace({inner: w}), b)
                           for w, b in noise_std_for_variance(inner, roles))
        return out
    eps = node.variable
    try:
        poly = sp.Poly(sp.expand(node.integrand), eps)
    except Exception:
        return []
    if poly.degree() != 2:
        return []
    a2, _, a0 = poly.all_coeffs()
    if a2.is_Number or a2.is_Symbol or a2.is_nonpositive is True:
        return []  # a variance symbol v written √v: the table's sqrt-of-variance entry
    c = sp.sqrt(sp.factor(a2))
    shown = show(c)
    return [(a0 + c, {"right": a2, "wrong": c, "evaluates": True,
                      "s_role": f"{shown} multiplies the standard normal {show(eps)}, so "
                                f"it is the standard deviation of {show(c * eps)}"})]


def quadratic_form_count_wrong(node: sp.Basic, roles: Any) -> list[Variant]:
    """E[(x − m)ᵀS⁻¹(x − m)] under x ~ N(m, S) in D dimensions is tr(S⁻¹S) = D (the trace
    trick; Bishop 2006, ex. 2.13): written 1 (one dimension counted) or D ± 1.

    The Gaussian must be declared (``q(x) = N(m, S)`` with x a D-vector); its variable, mean
    and covariance come from the declaration, never from letters.

    Examples
    --------
    >>> from elbo_derivation.explain.roles import Roles
    >>> D = sp.Symbol("D", positive=True, integer=True)
    >>> x, m, S = sp.MatrixSymbol("x", D, 1), sp.MatrixSymbol("m", D, 1), sp.MatrixSymbol(
    ...     "S", D, D)
    >>> q = sp.Function("q")(x)
    >>> e = Expectation(sp.Trace((x - m).T * S.I * (x - m)), x, q)
    >>> [w for w, _ in quadratic_form_count_wrong(e, Roles(declared_normals=[(x, m, S)]))]
    [1, D - 1, D + 1]
    """
    if type(node) is not Expectation:
        return []
    x = node.variable
    shape = getattr(x, "shape", None)
    if not shape or len(shape) != 2 or shape[1] != 1 or shape[0].is_Number:
        return []
    dim = shape[0]
    for var, mean, cov in getattr(roles, "declared_normals", None) or []:
        if var != x or getattr(cov, "shape", None) != (dim, dim):
            continue
        if node.integrand not in (sp.Trace((x - mean).T * cov.I * (x - mean)),
                                  (x - mean).T * cov.I * (x - mean)):
            continue
        out: list[Variant] = []
        for w in (sp.S.One, dim - 1, dim + 1):
            why = (f"{show(x)} ~ N({show(mean)}, {show(cov)}) has {show(dim)} coordinates and "
                   f"E[({show(x)} − {show(mean)})ᵀ{show(cov)}⁻¹({show(x)} − {show(mean)})] = "
                   f"tr({show(cov)}⁻¹{show(cov)}) = {show(dim)}, so {show(dim)} belongs here, "
                   f"not {show(w)}")
            out.append((w, {"right": dim, "wrong": w, "s": dim, "why": why}))
        return out
    return []


def every_std_for_variance(expr: sp.Basic, roles: Any) -> list[Variant]:
    """Every variance s² of the expression written s, for all its standard deviations at
    once (two or more): the same confusion throughout, as in a shrinkage weight
    τ²/(σ² + τ²) written τ/(σ + τ).

    Examples
    --------
    >>> from elbo_derivation.explain.roles import Roles
    >>> s, t = sp.symbols("s t", positive=True)
    >>> r = Roles({s: "standard-deviation", t: "standard-deviation"})
    >>> [w for w, _ in every_std_for_variance(t**2 / (s**2 + t**2), r)]
    [t/(s + t)]
    """
    stds = [s for s in roles.having("standard-deviation") if expr.has(s)]
    if len(stds) < 2:
        return []
    dummies = {s: sp.Dummy("v", positive=True) for s in stds}
    changed = expr.xreplace({s**2: dummies[s] for s in stds})
    if any(changed.has(s) for s in stds):
        return []  # a standard deviation also stands unsquared: not one confusion
    changed = changed.xreplace({dummies[s]: s for s in stds})
    names = ", ".join(show(s) for s in stds)
    return [(changed, {"right": stds[0] ** 2, "wrong": stds[0], "s": stds[0],
                       "why": f"{names} are standard deviations, their squares the "
                              "variances"})]


# --- moments (s26): products of moments, moments two orders up, central moments -------------


def moment_candidates_s26(base: sp.Basic, n: int, x: sp.Symbol,
                          expect: Any) -> list[tuple[sp.Basic, str]]:
    """More wrong values of E[xⁿ] (``base`` is the variable itself), each a textbook
    confusion of moments:

    * E[xᵃ]·E[xⁿ⁻ᵃ] for 1 ≤ a < n − a: the expectation of a product taken as the product
      of the expectations (E[x³] = E[x]·E[x²], which for N(m, s²) is m³ + m s², not
      m³ + 3 m s²);
    * E[xⁿ⁺²], the moment two orders up (E[ε²] = 1 written E[ε⁴] = 3);
    * a central moment E[(x − μ)ᵏ] of even order k ≥ 4 in the expansion of E[xⁿ] about the
      mean taken as the power k/2 of the variance (3σ⁴ written σ⁴).

    Examples
    --------
    >>> from elbo_derivation.decide.gaussian import normal_moment
    >>> m, v, x = sp.Symbol("m", real=True), sp.Symbol("v", positive=True), sp.Symbol("x")
    >>> def expect(g):
    ...     p = sp.Poly(sp.expand(g), x)
    ...     return sp.expand(sum(c * normal_moment(k, m, v) for (k,), c in p.terms()))
    >>> sp.expand(moment_candidates_s26(x, 3, x, expect)[0][0])
    m**3 + m*v
    >>> sp.expand(moment_candidates_s26(x, 4, x, expect)[-1][0])
    m**4 + 6*m**2*v + v**2
    """
    if base != x:
        return []
    out: list[tuple[sp.Basic, str]] = []
    for a in range(1, n):
        if a < n - a:
            out.append((expect(x**a) * expect(x**(n - a)),
                        f" (E[{show(x**a)}]·E[{show(x**(n - a))}]: the expectation of a "
                        "product is not the product of the expectations)"))
    if n >= 2:
        out.append((expect(x**(n + 2)),
                    f" (E[{show(x**(n + 2))}], the moment two orders up)"))
    mean = expect(x)
    var = sp.expand(expect(x**2) - mean**2)
    right = expect(x**n)
    for k in range(4, n + 1, 2):
        central = sp.expand(expect((x - mean)**k))
        delta = sp.binomial(n, k) * mean**(n - k) * (central - var**(k // 2))
        if not expands_to_zero(delta):
            out.append((right - delta,
                        f" (the central moment E[({show(x)} − {show(mean)})^{k}] = "
                        f"{show(central)} taken as the power {k // 2} of the variance "
                        f"{show(var)})"))
    return out


# --- counts (s26): a sum over an index its summand does not hold; a factor out with a count --


def _symbolic_count(lo: sp.Basic, hi: sp.Basic, i: sp.Basic) -> sp.Basic | None:
    count = sp.simplify(hi - lo + 1)
    return count if count.free_symbols and not count.has(i) else None


def idle_index_count_lost(node: sp.Basic, roles: Any) -> list[Variant]:
    """Σᵢ Σⱼ f written Σᵢ f when f does not hold j: the sum over j of a summand free of j
    is that summand times the count of j's values, and the count was lost (the actnorm
    log-determinant Σ_{i ≤ H} Σ_{j ≤ W} Σ_c log s_c = H W Σ_c log s_c). The count must be
    symbolic (a height, a width, a number of data points).

    Examples
    --------
    >>> i, j = sp.symbols("i j", integer=True)
    >>> H, W = sp.symbols("H W", positive=True, integer=True)
    >>> f = sp.Function("f")
    >>> [w for w, _ in idle_index_count_lost(sp.Sum(f(i), (j, 1, W), (i, 1, H)), None)]
    [Sum(f(i), (i, 1, H))]
    """
    if not isinstance(node, sp.Sum) or len(node.limits) < 2:
        return []
    out: list[Variant] = []
    for k, (j, lo, hi) in enumerate(node.limits):
        others = node.limits[:k] + node.limits[k + 1:]
        if node.function.has(j) or any(lim[1:] and (lim[1].has(j) or lim[2].has(j))
                                       for lim in others):
            continue
        count = _symbolic_count(lo, hi, j)
        if count is None:
            continue
        rest = sp.Sum(node.function, *others)
        why = (f"the summand does not hold {show(j)}, so the sum over {show(j)} = "
               f"{show(lo)}, …, {show(hi)} multiplies it by {show(count)}; that count was lost")
        out.append((rest, {"right": count * rest, "wrong": rest, "s": count, "i": j,
                           "why": why}))
    return out


def count_with_factor_out(node: sp.Basic, roles: Any) -> list[Variant]:
    """Σᵢ c·fᵢ written c·N·Σᵢ fᵢ: a factor c free of the index taken out of the sum and
    multiplied by the count N of terms as well (Σᵢ c = N c holds for a summand that is only
    c, not for c·fᵢ). The count must be symbolic; the written step must show the sum of the
    fᵢ alone, and the count more often than the previous line (C·Σ for C·N·Σ/N has the same
    value: a 1/N dropped, not a count put in).

    Examples
    --------
    >>> i = sp.Symbol("i", integer=True)
    >>> N, C = sp.Symbol("N", positive=True, integer=True), sp.Symbol("C", positive=True)
    >>> x = sp.Function("x")
    >>> [w for w, _ in count_with_factor_out(sp.Sum(C * x(i)**2, (i, 1, N)), None)]
    [C*N*Sum(x(i)**2, (i, 1, N))]
    """
    if not isinstance(node, sp.Sum) or len(node.limits) != 1 or len(node.limits[0]) != 3:
        return []
    i, lo, hi = node.limits[0]
    count = _symbolic_count(lo, hi, i)
    if count is None:
        return []
    c, f = node.function.as_independent(i, as_Add=False)
    if c.is_number or not f.has(i) or c.has(*count.free_symbols):
        return []
    inner = sp.Sum(f, node.limits[0])
    why = (f"{show(c)} does not depend on {show(i)}, so it leaves the sum as it is: "
           f"{show(c * inner)} belongs here, not {show(count * c * inner)} (the count "
           f"{show(count)} of terms belongs to a sum of {show(c)} alone)")
    return [(count * c * inner, {"right": c * inner, "wrong": count * c * inner, "s": count,
                                 "i": i, "why": why, "shown": [inner],
                                 "adds": count})]


# --- moments of declared families (s26) ---------------------------------------------------------


def _scale_as_std(params: tuple, variance: sp.Expr, mean: sp.Expr,
                  name: str) -> list[tuple[sp.Expr, str]]:
    """The second moment written with a scale parameter θ taken for the standard deviation,
    θ² + E[k]², for each parameter whose square the family's variance is a constant
    multiple of, other than 1 (the Laplace's scale b: Var = 2b², not b²)."""
    out = []
    for theta in params:
        if not isinstance(theta, sp.Basic) or not theta.free_symbols:
            continue
        ratio = sp.simplify(variance / theta**2)
        if ratio.free_symbols or ratio == 1 or not ratio.is_positive:
            continue
        out.append((theta**2 + mean**2,
                    f" (the scale {show(theta)} taken for the standard deviation: the "
                    f"variance of the {name} distribution is {show(variance)}, not "
                    f"{show(theta**2)})"))
    return out


def _declared_family_expectations(original: sp.Basic | None, families: Any) -> Iterator[
        tuple[Expectation, tuple[sp.Basic, ...], sp.Basic, Any, sp.Basic]]:
    """Each expectation of ``original`` under a density of a declared named family with a
    table of facts (a categorical's are not one mean): the node, the family's parameters, its
    variable, its facts and the integrand in that variable."""
    if original is None or not families:
        return
    from elbo_derivation.decide.families import FAMILY_FACTS

    for node in sp.preorder_traversal(original):
        if type(node) is not Expectation or node.density not in families:
            continue
        key, params, var = families[node.density]
        facts = FAMILY_FACTS.get(key)
        if facts is None or key == "categorical":
            continue
        yield node, params, var, facts, node.integrand.xreplace({node.variable: var})


def declared_moment_wrong(expr: sp.Basic, roles: Any) -> list[Variant]:
    """E[g(k)] under a density declared in a named family (``p(k) = Poisson(λ)``,
    ``Binomial(n, p)``, ``Bernoulli(p)``...), a polynomial of degree 2 in k, evaluated with its
    second moment E[k²] = Var + E[k]² wrong: the square of the mean (the variance forgotten),
    or the mean plus its square (the variance taken equal to the mean, as a Poisson
    variable's is). The family's mean and variance come from its table
    (:data:`elbo_derivation.decide.families.FAMILY_FACTS`); the rest of the previous line is
    evaluated as the checker evaluates it.

    ``roles.before_families`` holds the previous line before its families were evaluated and
    the declared families (set by :class:`.mistakes._Context`); without it, nothing.
    """
    original, families = getattr(roles, "before_families", (None, None))
    from elbo_derivation.decide.families import instantiate

    out: list[Variant] = []
    for node, params, var, facts, f in _declared_family_expectations(original, families):
        try:
            poly = sp.Poly(sp.expand(f), var)
        except Exception:
            continue
        if poly.degree() != 2 or any(c.has(var) for c in poly.coeffs()):
            continue
        mean, variance = facts.mean(*params), facts.variance(*params)
        second = variance + mean**2
        c = poly.coeff_monomial(var**2)
        value = sp.Add(*(a * {0: sp.S.One, 1: mean, 2: second}[k]
                         for (k,), a in poly.terms()))
        name = facts.name
        candidates = [(mean**2, f" (E[{show(var)}]², the square of the mean: the variance "
                                f"{show(variance)} of the {name} distribution is missing)"),
                      (mean + mean**2, f" (the variance taken equal to the mean "
                                       f"{show(mean)}, as for a Poisson variable; the "
                                       f"{name} distribution's is {show(variance)})")]
        scales = _scale_as_std(params, variance, mean, name)
        for w, used in candidates + scales:
            if sp.simplify(w - second) == 0:
                continue
            # a scale taken for the standard deviation: what is wrong is the variance,
            # E[(k − E k)²], and the explanation says so
            told = ({"right": variance, "wrong": w - mean**2, "g": (var - mean)**2}
                    if (w, used) in scales else {"right": second, "wrong": w, "g": var**2})
            try:
                wrong = instantiate(original.xreplace({node: value + c * (w - second)}),
                                    families)[0]
            except Exception:
                continue
            if wrong.has(*families):
                continue
            out.append((wrong, {**told, "x": var, "used": used, "what": "moment"}))
    return out


# --- the binomial 2 lost while expanding a square (s26) ------------------------------------------


def _expanded_without_two(node: sp.Basic) -> sp.Basic | None:
    """(a + b)² as a² + ab + b²: the square expanded with its cross term's 2 lost."""
    if not (node.is_Pow and node.exp == 2 and isinstance(node.base, sp.Add)
            and len(node.base.args) == 2):
        return None
    a, b = node.base.args
    return a**2 + a * b + b**2


def square_expanded_without_two(node: sp.Basic, roles: Any) -> list[Variant]:
    """(a + b)² expanded as a² + ab + b²: the binomial coefficient 2 of the cross term lost
    while the square is expanded (the expanded form is not on the previous line); the written
    step must show the cross term ab.

    Examples
    --------
    >>> a, b = sp.symbols("a b")
    >>> [w for w, _ in square_expanded_without_two((a - b)**2, None)]
    [a**2 - a*b + b**2]
    """
    wrong = _expanded_without_two(node)
    if wrong is None:
        return []
    a, b = node.base.args
    # the cross term written with its 2 lost must stand on the page (the author wrote the
    # expansion): a value alone is also the cross term dropped from a like square elsewhere
    return [(wrong, {"right": 2 * a * b, "wrong": a * b, "shown": [a * b]})]


def squares_expanded_without_two(expr: sp.Basic, roles: Any) -> list[Variant]:
    """Every square of a two-term sum in ``expr`` (two or more) expanded with its cross
    term's 2 lost: the same slip in each square of a reconstruction error
    (x₁ − c u)² + (x₂ − s u)², whose cross terms then combine.

    Examples
    --------
    >>> a, b, c = sp.symbols("a b c")
    >>> sp.expand(squares_expanded_without_two((a - c)**2 + (b - c)**2, None)[0][0])
    a**2 - a*c + b**2 - b*c + 2*c**2
    """
    squares = {n for n in sp.preorder_traversal(expr) if _expanded_without_two(n) is not None}
    if len(squares) < 2 or any(s.has(t) for s in squares for t in squares if s != t):
        return []
    wrong = expr.xreplace({s: _expanded_without_two(s) for s in squares})
    first = sorted(squares, key=sp.default_sort_key)[0]
    a, b = first.base.args
    return [(wrong, {"right": 2 * a * b, "wrong": a * b})]


# --- every variance written as its precision (s26) -------------------------------------------


def every_variance_as_precision(expr: sp.Basic, roles: Any) -> list[Variant]:
    """Every variance of the expression (two or more Gaussians) written as its precision:
    s² as 1/s² for a standard deviation s, v as 1/v for a variance v. In a precision-weighted
    mean (m₀/τ² + y/σ²)/(1/τ² + 1/σ²) = (m₀σ² + yτ²)/(σ² + τ²) this gives (m₀τ² + yσ²)/…,
    each mean weighted by its own variance instead of the other's. A standard deviation
    must stand only squared (no log σ, no σ alone), as in every_std_for_variance, and some
    precision 1/σ² or 1/v must stand in the expression.

    Examples
    --------
    >>> from elbo_derivation.explain.roles import Roles
    >>> s, t = sp.symbols("s t", positive=True)
    >>> m, y = sp.symbols("m y")
    >>> r = Roles({s: "standard-deviation", t: "standard-deviation"})
    >>> w = every_variance_as_precision((m / t**2 + y / s**2) / (1 / t**2 + 1 / s**2), r)
    >>> sp.simplify(w[0][0] - (m * t**2 + y * s**2) / (s**2 + t**2))
    0
    """
    stds = [s for s in roles.having("standard-deviation") if expr.has(s)]
    variances = [v for v in roles.having("variance") if expr.has(v)]
    if len(stds) + len(variances) < 2:
        return []
    # precisions must stand in the expression (1/σ², 1/v): where none does, there is no
    # precision to have been taken for a variance (and another parameter may explain it)
    reciprocals = {s**-2 for s in stds} | {v**-1 for v in variances}
    if not any(n in reciprocals for n in sp.preorder_traversal(expr)):
        return []
    dummies = {s: sp.Dummy("v", positive=True) for s in stds}
    changed = expr.xreplace({s**2: dummies[s] for s in stds})
    changed = changed.xreplace({s**-2: 1 / dummies[s] for s in stds})
    if any(changed.has(s) for s in stds):
        return []  # a standard deviation also stands unsquared: not this confusion
    changed = changed.xreplace({**{dummies[s]: s**-2 for s in stds},
                                **{v: 1 / v for v in variances}})
    first = (stds + variances)[0]
    right = first**2 if first in stds else first
    return [(changed, {"right": right, "wrong": 1 / right, "s": first})]


def weighted_mean_variances_as_precisions(node: sp.Basic, roles: Any) -> list[Variant]:
    """The same confusion in one precision-weighted mean of a longer line: a quotient
    (Σ mᵢ/Vᵢ)/(Σ 1/Vᵢ) whose variances are all written as their precisions (the mean of a
    completed square, (m₁v₂ + m₂v₁)/(v₁ + v₂) written (m₁v₁ + m₂v₂)/(v₁ + v₂)).

    Examples
    --------
    >>> from elbo_derivation.explain.roles import Roles
    >>> v1, v2 = sp.symbols("v1 v2", positive=True)
    >>> m1, m2 = sp.symbols("m1 m2")
    >>> r = Roles({v1: "variance", v2: "variance"})
    >>> w = weighted_mean_variances_as_precisions((m1 / v1 + m2 / v2) / (1 / v1 + 1 / v2), r)
    >>> sp.simplify(w[0][0] - (m1 * v1 + m2 * v2) / (v1 + v2))
    0
    """
    if not isinstance(node, sp.Mul) or not any(
            f.is_Pow and f.exp == -1 and isinstance(f.base, sp.Add) for f in node.args):
        return []
    return every_variance_as_precision(node, roles)


# --- session 26: factors and derivatives ------------------------------------------------------


def power_factor_lost_in_each(node: sp.Basic, roles: Any) -> list[Variant]:
    """d/dθ f taken with the power rule's factor forgotten in *every* power of one exponent
    that depends on θ (two or more of them): the same rule misapplied term by term, as in
    d/dm Σᵢ rᵢ(xᵢ − m)²/2 written Σᵢ rᵢ(xᵢ − m)/2. Each other rule is taken right. One power
    alone is :func:`power_factor_lost`'s.

    Examples
    --------
    >>> m, a, b = sp.symbols("m a b", real=True)
    >>> [w for w, _ in power_factor_lost_in_each(
    ...     sp.Derivative(-((a - m) ** 2 + (b - m) ** 2) / 2, m), None)]
    [a/2 + b/2 - m]
    """
    if not isinstance(node, sp.Derivative) or len(node.variable_count) != 1:
        return []
    theta, n = node.variable_count[0]
    body = node.expr
    if not (n.is_Integer and n == 1) or body.has(sp.Integral, Expectation):
        return []
    powers = list(dict.fromkeys(
        p for p in sp.preorder_traversal(body)
        if p.is_Pow and p.exp.is_Integer and abs(p.exp) >= 2 and _depends_on(p.base, theta)))
    right = first_derivative(body, theta)
    if right is None:
        return []
    out: list[Variant] = []
    for k in sorted({p.exp for p in powers}, key=abs):
        like = [p for p in powers if p.exp == k]
        if len(like) < 2 or any(q.has(p) for p in like for q in like if q is not p):
            continue  # one power is power_factor_lost's; a power inside another is no term
        value = _lost_factor_value(
            body, {p: _PowerFactorLost(p.base, p.exp) for p in like}, theta, right)
        if value is None:
            continue
        p = like[0]
        out.append((value, {"right": right, "wrong": value, "s": theta, "n": abs(k),
                            "power": _at_index(p, theta), "base": _at_index(p.base, theta),
                            "dpower": sp.Mul(k, _at_index(p.base, theta) ** (k - 1),
                                             evaluate=False),
                            "lost_power": p, "each": True}))
    return out


# --- session 26: terms, squares and indices -------------------------------------------------------
# A term the right expression does not have, added: the term comes from the page (a term of a
# sum of the written step as its author wrote it, ``roles.step_sums``, set by :mod:`.mistakes`),
# never from SymPy's expansion; the rest of that written sum is the right part.


def _step_terms(roles: Any, top: bool) -> list[tuple[sp.Basic, sp.Basic]]:
    """(rest, term) for each term of each written sum of the step (``top``: only of the sum
    the step is, at its top), at most a few dozen."""
    out: list[tuple[sp.Basic, sp.Basic]] = []
    sums = list(getattr(roles, "step_sums", ()) or ())
    # a sum the previous line wrote as well was carried through, no term added to it
    before = [set(ts) for ts in (getattr(roles, "written_sums", ()) or ())[:60]]
    for k, terms in enumerate(sums[:12]):
        if top and k > 0:
            break
        if len(terms) < 2 or len(terms) > 8 or set(terms) in before:
            continue
        for i, t in enumerate(terms):
            if t != 0 and not _from_evaluation(t, roles):
                out.append((sp.Add(*terms[:i], *terms[i + 1:]), t))
    return out[:40]


def _from_evaluation(t: sp.Basic, roles: Any) -> bool:
    """Whether a written term may be part of a value the step evaluated (``roles.evaluated``:
    whether it evaluates, and the symbols of what it evaluates): a number, or a term with a
    symbol of an evaluated integral (sum, Γ), may have come from that value written wrong
    (the −1 of e^λ − 1 for a series from k = 0), not from a term added."""
    evaluates, symbols = getattr(roles, "evaluated", (False, set()))
    return bool(evaluates and (not t.free_symbols or t.free_symbols & symbols))


def _not_a_term(expr: sp.Basic, path: tuple[int, ...]) -> bool:
    return not isinstance(_parent(expr, path), sp.Add)


def term_added_to_whole(expr: sp.Basic, roles: Any) -> list[Variant]:
    """R + t written where R belongs, t a term of the sum the written step is (as its author
    wrote it): the whole right expression with one written term added.

    >>> from types import SimpleNamespace
    >>> a, b = sp.symbols("a b", positive=True)
    >>> roles = SimpleNamespace(step_sums=[(a**2, b**2)], step_sums_top=True)
    >>> [w for w, _ in term_added_to_whole(a**2, roles)]
    [2*a**2, a**2 + b**2]
    """
    if not getattr(roles, "step_sums_top", False):
        return []
    return [(expr + t, {"right": expr, "wrong": expr + t, "s": t, "added": t})
            for _, t in _step_terms(roles, top=True)]


def term_added(node: sp.Basic, roles: Any) -> list[Variant]:
    """R + t written where R belongs, inside the expression: R is what remains of a sum the
    author wrote on the step (c + e^{−a}e^{−b} for e^{−a}e^{−b} under a log) once its term
    t is taken out, and stands as such on the previous line.

    >>> from types import SimpleNamespace
    >>> a, c = sp.symbols("a c", positive=True)
    >>> roles = SimpleNamespace(step_sums=[(c, sp.exp(-a))])
    >>> [w for w, _ in term_added(sp.exp(-a), roles)]
    [c + exp(-a)]
    """
    if node.is_Atom or isinstance(node, AppliedUndef):
        return []
    out: list[Variant] = []
    for rest, t in _step_terms(roles, top=False):
        if rest == node:
            # not to a term of a larger sum (1 + 1 − b for 1 − b is a number changed)
            out.append((node + t, {"right": node, "wrong": node + t, "s": t, "added": t,
                                   "guard": _not_a_term}))
            continue
        # R itself stands unchanged on the step, so the site is the part that holds it
        # (the log of e^{−a}e^{−b}): the term added inside
        for i, a in enumerate(node.args):
            if i > 0 and isinstance(node, CONSTRUCTS):
                continue  # a variable an integral, sum or expectation binds takes no term
            if a == rest and not isinstance(node, sp.Add):
                new = node.func(*node.args[:i], a + t, *node.args[i + 1:])
                out.append((new, {"right": a, "wrong": a + t, "s": t, "added": t}))
    return out


# A square written over a bracket reaches each of its factors: (a·(x − m))² is a²(x − m)², and
# expanded, (u + v·w)² is u² + 2uvw + v²w²; one factor that keeps no square (a(x − m)²,
# u² + 2uvw + v²w) is a square lost from that factor. The page must show the square written
# over the bracket and the factor without it (witness ``square-written``,
# :mod:`.witness_terms`).


def _square_factors(t: sp.Basic) -> list[sp.Basic]:
    """The factors of a term whose square can be lost on their own: symbols' expressions
    (not a number's sign), and numbers other than ±1, 2 (a 2 lost is a ½ or a factor 2)."""
    out = []
    for f in sp.Mul.make_args(t):
        if f.is_Number:
            if f.is_Rational and abs(f) not in (1, 2) and f.p in (1, -1):
                out.append(abs(f))
            continue
        if f.free_symbols:
            out.append(f)
    return list(dict.fromkeys(out))


def square_lost_on_a_factor(node: sp.Basic, roles: Any) -> list[Variant]:
    """(F·G)² written F·G², with F a factor of the bracket squared (its common factors taken
    out), or, the square expanded, F a factor of one of its terms.

    >>> a, x, m = sp.symbols("a x m", real=True)
    >>> [w for w, _ in square_lost_on_a_factor((a * x - a * m) ** 2, None)][:1]
    [a*(-m + x)**2]
    >>> u, v = sp.symbols("u v", positive=True)
    >>> for w in sorted(str(w) for w, _ in square_lost_on_a_factor((u + v * sp.sqrt(x)) ** 2,
    ...                                                            None)):
    ...     print(w)
    2*u*v*sqrt(x) + u + v**2*x
    u**2 + 2*u*v*sqrt(x) + v**2*sqrt(x)
    u**2 + 2*u*v*sqrt(x) + v*x
    """
    if not (node.is_Pow and node.exp == 2 and isinstance(node.base, sp.Add)):
        return []
    base = node.base
    out: list[Variant] = []
    try:
        common = sp.factor_terms(base)
    except Exception:
        common = base
    if isinstance(common, sp.Mul):
        for f in _square_factors(common):
            if f.is_Number or not isinstance(f, sp.Add):
                rest = common / f
                # a factor 1/F of the bracket: F lost its square in the denominator
                said = f.base if f.is_Pow and f.exp == -1 else f
                out.append((f * rest**2, {"right": f**2, "wrong": f, "s": said}))
    terms = sp.Add.make_args(base)
    if 2 <= len(terms) <= 4:
        expanded = sp.Add(*(t**2 for t in terms),
                          *(2 * terms[i] * terms[j] for i in range(len(terms))
                            for j in range(i + 1, len(terms))))
        for t in terms:
            for f in _square_factors(t):
                if (f**2).is_Number and f.is_Number is False:
                    continue
                wrong = expanded - t**2 + (t / f) ** 2 * f
                if wrong != expanded:
                    out.append((wrong, {"right": f**2, "wrong": f, "s": f}))
    return out


# --- session 27 (N1): a factor lost, put back on the written step ---------------------------------
# A step that rearranges (expands, collects, puts over one denominator) and loses a factor on
# the way shows no product of the previous line with one factor fewer: the factor is put back
# at one place of the written step instead, and the repaired step must equal the previous line.
# The factors tried are those the previous line holds and the page shows fewer times.

#: most factors of the previous line tried when a written step is repaired
RESTORE_FACTORS = 8


def bracket_factor_dropped(node: sp.Basic, roles: Any) -> list[Variant]:
    """A·(1 ± t) written A: a bracket with the constant 1 lost whole from a product
    (n·p·(1 − p) written n·p, the factor 1 − p of the variance lost). :func:`factor_dropped`
    leaves such a bracket to the entries of terms; the page tells them apart (a term −p lost
    leaves the 1 in the product, a factor lost takes the whole bracket and its symbols off
    the page: ``drops``). Not inside a log or a construct (see :func:`_outside_logs`).

    >>> n, p = sp.symbols("n p", positive=True)
    >>> [w for w, _ in bracket_factor_dropped(n * p * (1 - p), None)]
    [n*p]
    """
    if not isinstance(node, sp.Mul):
        return []
    out: list[Variant] = []
    for i, f in enumerate(node.args):
        base = f.base if f.is_Pow and f.exp.is_Number else f  # √(1 − a), 1/(1 − t) too
        if not (isinstance(base, sp.Add) and len(base.args) == 2 and sp.S.One in base.args):
            continue
        rest = sp.Mul(*(node.args[:i] + node.args[i + 1:]))
        if rest.is_Number or not rest.free_symbols:
            continue
        why = (f"the factor {show(f)} of {show(node)} was lost ({show(rest)} written "
               f"for {show(node)})")
        out.append((rest, {"right": node, "wrong": rest, "s": f, "why": why,
                           "guard": _outside_logs, "drops": f}))
    return out


def _restorable(lhs: sp.Basic) -> list[sp.Basic]:
    """The factors with symbols of the products of ``lhs`` (a power with a negative exponent
    also as its reciprocal: the 1/σ² of a term offers σ² too), not numbers, integrals, sums,
    expectations or derivatives, the smaller first."""
    out: list[sp.Basic] = []
    if lhs.has(sp.MatrixSymbol):
        return []  # a matrix product's factors have their places: not put back anywhere
    nodes = list(sp.preorder_traversal(lhs))[:400]
    for n in nodes:
        if not isinstance(n, sp.Mul):
            continue
        for f in n.args:
            if f.is_Number or not f.free_symbols or f.has(*CONSTRUCTS, AppliedUndef):
                continue  # an integral's value is the step's business, not a factor lost
            out.append(f)
            if f.is_Pow and f.exp.is_Number and f.exp.is_negative:
                out.append(f.base ** (-f.exp))
    return sorted(dict.fromkeys(out), key=lambda f: (sp.count_ops(f), str(f)))


def _factors_lost(roles: Any) -> list[sp.Basic]:
    """The factors of the previous line that the page shows fewer times (cached on
    ``roles``): the candidates :func:`factor_restored` puts back."""
    cached = getattr(roles, "factors_lost", None)
    if cached is not None:
        return cached
    out: list[sp.Basic] = []
    before = getattr(roles, "before_families", None)
    fewer = getattr(roles, "shows_fewer", None)
    page = getattr(roles, "page_before", None)
    if before is not None and fewer is not None and page is not None:
        try:
            written = _written_factors(page())
            for f in _restorable(before[0]):
                if _rebuilt(f) not in written:
                    continue  # a factor only the simplified line has was never on the page
                if fewer(f) or (not f.is_Symbol and fewer(f, as_part=True)):
                    out.append(f)
                if len(out) >= RESTORE_FACTORS:
                    break
        except Exception:
            out = []
    try:
        roles.factors_lost = out
    except Exception:
        pass
    return out


_rebuilt = rebuilt  # (see :func:`.page.rebuilt`)


def _written_factors(line: sp.Basic) -> set[sp.Basic]:
    """The factors of the products of ``line`` as its author wrote it, rebuilt (a divisor
    as the divisor: 1/√v written is no √v that could be lost from a numerator)."""
    out: set[sp.Basic] = set()
    for n in list(sp.preorder_traversal(line))[:600]:
        if isinstance(n, sp.Mul):
            out |= {_rebuilt(f) for f in n.args}
    return out


def _a_factor_or_term(expr: sp.Basic, path: tuple[int, ...], factor: Any = None) -> bool:
    """Whether the node at ``path`` is the whole expression, a factor of a product or a term
    of a sum (not an argument of a function, a base or an exponent), and stands inside no
    density's argument; as a factor, in a product that holds no power of the base of
    ``factor`` already: a·E[…] written for a²·E[…] is a square lost, ε/v for ε·√v/v a
    power of v written wrong, not a factor lost."""
    if not path:
        return True
    node = expr
    for i in path[:-1]:
        if isinstance(node, AppliedUndef):
            return False
        node = node.args[i]
    if isinstance(node, sp.Mul) and factor is not None:
        want = _rebuilt(factor)
        base = want.base if want.is_Pow else want
        for g in node.args:
            g = _rebuilt(g)
            if (g.base if g.is_Pow else g) == base:
                return False  # the power of that base written wrong, not a factor lost
    return isinstance(node, (sp.Mul, sp.Add))


#: functions of one argument the quick float evaluation of :func:`_restores` knows
_FLOAT_FUNCTIONS: dict[Any, Any] = {sp.exp: math.exp, sp.log: math.log, sp.Abs: abs,
                                    sp.tanh: math.tanh, sp.sin: math.sin, sp.cos: math.cos}


def _float_values(expr: sp.Basic, point: dict[sp.Basic, float], whole: Any,
                  ) -> dict[tuple[int, ...], float] | None:
    """The float value of every node of ``expr`` at ``point`` by path (sums, products,
    powers and a few functions evaluated here; any other part, an integral, a sum, a
    density, by ``whole(part)``, its inside left out), or None when a value is not real."""
    out: dict[tuple[int, ...], float] = {}

    def walk(e: sp.Basic, path: tuple[int, ...]) -> float:
        if e.is_Number:
            v = float(e)
        elif e.is_number:
            v = complex(e.evalf(17))
            if v.imag:
                raise ValueError
            v = v.real
        elif e.is_Symbol:
            v = float(point[e])
        elif isinstance(e, (sp.Add, sp.Mul, sp.Pow)) or (
                type(e) in _FLOAT_FUNCTIONS and len(e.args) == 1):
            args = [walk(a, (*path, i)) for i, a in enumerate(e.args)]
            v = _combine(e, args)
        else:
            v = float(whole(e))
        if not math.isfinite(v):
            raise ValueError
        out[path] = v
        return v

    try:
        walk(expr, ())
    except (ValueError, TypeError, OverflowError, ZeroDivisionError, KeyError, ArithmeticError):
        return None
    except Exception:
        return None
    return out


def _combine(e: sp.Basic, args: list[float]) -> float:
    if isinstance(e, sp.Add):
        return math.fsum(args)
    if isinstance(e, sp.Mul):
        return math.prod(args)
    if isinstance(e, sp.Pow):
        v = args[0] ** args[1]
        if isinstance(v, complex):
            raise ValueError
        return float(v)
    return float(_FLOAT_FUNCTIONS[type(e)](args[0]))


def _restores(expr: sp.Basic, path: tuple[int, ...], factor: sp.Basic, roles: Any) -> bool:
    """Whether ``factor`` put back on the node at ``path`` of ``expr`` can give the previous
    line: at two points of the screen, the written value recomputed along the path with that
    node multiplied by the factor's value equals the previous line's (a quick screen before
    the exact comparison; True when the values cannot be had this way)."""
    value = getattr(roles, "value_at", None)
    points = getattr(roles, "points", None)
    before = getattr(roles, "before_families", None)
    if value is None or not points or before is None:
        return True
    cache = getattr(roles, "float_values", None)
    if cache is None:
        cache = {}
        try:
            roles.float_values = cache
        except Exception:
            pass
    for k in range(min(2, len(points))):
        if ("target", k) not in cache:
            try:
                cache["target", k] = float(value(before[0], k))
            except Exception:
                cache["target", k] = None
        target = cache["target", k]
        if target is None:
            return not path  # no value: the whole only (the exact comparison decides)
        for e in (expr, factor):
            if (e, k) not in cache:
                cache[e, k] = _float_values(e, points[k], lambda u, k=k: value(u, k))
        vals, fv = cache[expr, k], cache[factor, k]
        if vals is None or fv is None or path not in vals:
            return not path  # no values: the whole only (the exact comparison decides)
        if abs(fv[()]) < 1e-9 or abs(fv[()] - 1) < 1e-9:
            return False  # a factor worth 0 or 1 there says nothing
        v = vals[path] * fv[()]
        try:
            for depth in range(len(path) - 1, -1, -1):
                parent = path[:depth]
                node = _at_path(expr, parent)
                args = [v if i == path[depth] else vals[(*parent, i)]
                        for i in range(len(node.args))]
                v = _combine(node, args)
        except (ValueError, TypeError, OverflowError, ZeroDivisionError, KeyError,
                ArithmeticError):
            return False
        if not (isinstance(v, float) and math.isfinite(v)) \
                or abs(v - target) > 1e-7 * max(1.0, abs(target)):
            return False
    return True


def _at_path(expr: sp.Basic, path: tuple[int, ...]) -> sp.Basic:
    for i in path:
        expr = expr.args[i]
    return expr


@functools.lru_cache(maxsize=1024)
def _shown(expr: sp.Basic) -> str:
    return show(expr)


def _in_its_log(expr: sp.Basic, path: tuple[int, ...], factor: sp.Basic) -> bool:
    """Whether a factor put back at ``path`` lies in no log, or in a log whose argument
    holds the factor's symbols already (log(a/(b·r)) for log(a(1 − r)/(b·r))): a factor put
    in a log where none of it stands adds its log as a term, a term that could be missing
    anywhere."""
    node = expr
    for i in path:
        if isinstance(node, sp.log) and not (factor.free_symbols & node.free_symbols):
            return False
        node = node.args[i]
    return True


def factor_restored(node: sp.Basic, roles: Any) -> list[Variant]:
    """The inverse of a factor dropped, on the written step: a factor F of the previous
    line that the page shows fewer times, put back on a part of the written step (a factor
    or a term of it, or the whole); the part must not be a number (σ² written 1 is another
    mistake), and the value recomputed with F put back must be the previous line's at the
    screen's points (the ``guard``, :func:`_restores`, before the exact comparison).

    >>> from types import SimpleNamespace
    >>> a, r = sp.symbols("a r", positive=True)
    >>> [w for w, _ in factor_restored(a, SimpleNamespace(factors_lost=[1 - r]))]
    [a*(1 - r)]
    """
    if node.is_Number:
        return []
    out: list[Variant] = []
    for f in _factors_lost(roles):
        new = node * f
        if not isinstance(new, sp.Mul) or f not in new.args:
            continue  # F merged with the part (σ·σ is σ², not σ times σ)
        shown = _rebuilt(node)  # as written (E**a): as evaluated, to find F in it
        if shown.has(f) and not (f.is_Symbol and not any(
                g.has(f) for g in sp.Mul.make_args(shown) if not isinstance(g, sp.Add)
                and not (g.is_Pow and isinstance(g.base, sp.Add)))):
            continue  # F stands in the part too (1/(1 + eᵃ) for eᵃ/(1 + eᵃ)): the part may
            # be the product rewritten through F with another mistake (as factor_dropped)

        def guard(expr: sp.Basic, path: tuple[int, ...], f: sp.Basic = f) -> bool:
            return _a_factor_or_term(expr, path, f) and _in_its_log(expr, path, f) \
                and _restores(expr, path, f, roles)

        why = (f"the factor {_shown(f)} was lost ({_shown(node)} written where it belongs "
               f"times {_shown(f)})")
        out.append((new, {"right": new, "wrong": node, "s": f, "why": why,
                          "guard": guard, "drops": f}))
    return out


def gamma_recursion_stopped(expr: sp.Basic, roles: Any) -> list[Variant]:
    """Γ(s + k)/Γ(s) = s(s + 1)⋯(s + k − 1) with one factor of the recursion lost: Γ(s + 2)
    written (s + 1)·Γ(s), the recursion Γ(s + 1) = s·Γ(s) applied once where it is needed
    twice (the second moment of a Gamma, Γ(a + 2)/Γ(a) = (a + 1)a written a + 1). For each Γ
    of an argument s + k (k = 2, 3, 4) whose Γ(s) stands in the expression too.

    >>> a = sp.Symbol("a", positive=True)
    >>> [w for w, _ in gamma_recursion_stopped(sp.gamma(a + 2) / sp.gamma(a), None)]
    [a + 1, a]
    """
    out: list[Variant] = []
    for g in sorted(expr.atoms(sp.gamma), key=sp.default_sort_key):
        k, s = g.args[0].as_coeff_Add()
        if not (k.is_Integer and 2 <= k <= 4) or not s.free_symbols \
                or not expr.has(sp.gamma(s)):
            continue
        factors = [s + i for i in range(int(k))]
        right = sp.Mul(*factors) * sp.gamma(s)
        for j in range(int(k)):
            wrong = sp.Mul(*(f for i, f in enumerate(factors) if i != j)) * sp.gamma(s)
            out.append((expr.xreplace({g: wrong}),
                        {"right": right, "wrong": wrong, "g": g, "s": s,
                         "lost": factors[j]}))
    return out


def _logs_opened(e: sp.Basic) -> sp.Basic:
    """``e`` with each log of a product (of a sum with a common factor: log(u/2 + v/2) is
    log((u + v)/2)) written as a sum of logs, expanded."""
    try:
        e = e.replace(lambda n: isinstance(n, sp.log) and isinstance(n.args[0], sp.Add),
                      lambda n: sp.log(sp.factor_terms(n.args[0])))
        return sp.expand(sp.expand_log(e, force=True))
    except Exception:
        return sp.expand(e)


def count_lost_on_one_term(node: sp.Basic, roles: Any) -> list[Variant]:
    """Σ_{i=1}^{N} (f_i + c₁ + c₂) written Σ f_i + N·c₂ + c₁: of the terms free of the index,
    one taken out of the sum without its count N (−log 2 of log((u_t + v_t)/2) summed over
    t = 1, …, T written −log 2; −log σ of −½ log(2πσ²) summed over m points written −log σ
    beside −m log(2π)/2). The count must be symbolic; the logs of the summand are opened
    (a log of a product is a sum of logs) to find those terms. Losing every such term's
    count at once is :func:`count_lost`'s.

    >>> t = sp.Symbol("t", integer=True)
    >>> T = sp.Symbol("T", positive=True, integer=True)
    >>> u = sp.Function("u", positive=True)
    >>> [w for w, _ in count_lost_on_one_term(sp.Sum(sp.log(u(t) / 2), (t, 1, T)), None)]
    [Sum(log(u(t)), (t, 1, T)) - log(2)]
    """
    if not isinstance(node, sp.Sum) or len(node.limits) != 1 or len(node.limits[0]) != 3:
        return []
    i, lo, hi = node.limits[0]
    count = _symbolic_count(lo, hi, i)
    if count is None:
        return []
    terms = sp.Add.make_args(_logs_opened(node.function))
    const = [t for t in terms if not t.has(i)]
    rest = sp.Add(*(t for t in terms if t.has(i)))
    if not const or (len(const) == 1 and rest == 0):
        return []
    out: list[Variant] = []
    inner = sp.Sum(rest, node.limits[0]) if rest != 0 else sp.S(0)
    for c in const:
        others = sp.Add(*(u for u in const if u is not c))
        wrong = inner + count * others + c
        why = (f"{show(c)} does not depend on the index {show(i)}, so summed over "
               f"{show(i)} = {show(lo)}, …, {show(hi)} it counts {show(count)} times: "
               f"{show(count * c)} belongs here, not {show(c)} (the count {show(count)} "
               "was lost)")
        out.append((wrong, {"right": count * c, "wrong": c, "s": count, "i": i, "c": c,
                            "why": why}))
    return out


# --- the square of a moment lost (s27, N3) ------------------------------------------------------


def _moment_value(expr: sp.Basic, families: Any) -> sp.Basic | None:
    """``expr`` with its expectations under declared families replaced by the families'
    moments and its sums over numeric ranges added up; None when a construct is left."""
    if families:
        from elbo_derivation.decide.families import instantiate

        try:
            expr = instantiate(expr, families)[0]
        except Exception:
            return None
    try:
        expr = expr.replace(
            lambda n: isinstance(n, sp.Sum) and all(
                lo.is_Integer and hi.is_Integer and 0 <= hi - lo <= 100
                for _, lo, hi in n.limits),
            lambda n: n.doit())
    except Exception:
        return None
    if expr.has(Expectation, sp.Sum, sp.Integral):
        return None
    return expr


def moment_square_lost(expr: sp.Basic, roles: Any) -> list[Variant]:
    """The square of a moment lost as the moment is evaluated: E[x]² (or (Σ k/6)², a mean
    written as a sum) of the previous line written with the moment's value, not its square
    (Var = E[x²] − E[x]² taken as E[x²] − E[x]). The moment is an expectation under a
    declared family (its mean from the family's table) or a sum over a numeric range; the
    rest of the previous line is evaluated the same way.

    ``roles.before_families`` holds the previous line before its families were evaluated and
    the declared families (set by :class:`.mistakes._Context`); without it, nothing.

    >>> k = sp.Symbol("k", integer=True)
    >>> mean = sp.Sum(k / 6, (k, 1, 6))
    >>> roles = type("R", (), {"before_families": (sp.Sum(k**2 / 6, (k, 1, 6)) - mean**2,
    ...                                               {})})()
    >>> [w for w, _ in moment_square_lost(None, roles)]
    [35/3]
    """
    original, families = getattr(roles, "before_families", (None, None))
    if original is None:
        return []
    out: list[Variant] = []
    for node in list(sp.preorder_traversal(original))[:400]:
        if not (node.is_Pow and node.exp == 2
                and isinstance(node.base, (Expectation, sp.Sum))):
            continue
        wrong = _moment_value(original.xreplace({node: node.base}), families or {})
        if wrong is None:
            continue
        out.append((wrong, {"right": node, "wrong": node.base, "s": node.base}))
    return out


# --- a variance of several standard deviations written with them (s27, N3) ---------------------


def stds_for_their_variance(node: sp.Basic, roles: Any) -> list[Variant]:
    """A variance written as a product or a sum of the squares of two or more standard
    deviations (σ₁²σ₂² of a scaled Gaussian, s² + σ² of a sum of independent Gaussians)
    written with the standard deviations themselves (σ₁σ₂, s + σ) at one place: σ for σ²
    throughout that variance.

    >>> from elbo_derivation.explain.roles import Roles
    >>> s, t = sp.symbols("s t", positive=True)
    >>> r = Roles({s: "standard-deviation", t: "standard-deviation"})
    >>> [w for w, _ in stds_for_their_variance(s**2 + t**2, r)]
    [s + t]
    """
    if not isinstance(node, (sp.Add, sp.Mul)) or roles is None:
        return []
    stds: list[sp.Basic] = []
    for t in sp.Add.make_args(node) if isinstance(node, sp.Add) else (node,):
        for f in sp.Mul.make_args(t):
            if not (f.is_Pow and f.exp == 2 and roles.role(f.base) == "standard-deviation"):
                return []
            stds.append(f.base)
    if len(stds) < 2 or len(set(stds)) != len(stds):
        return []
    wrong = node.xreplace({s**2: s for s in stds})
    names = ", ".join(show(s) for s in stds)
    return [(wrong, {"right": node, "wrong": wrong, "s": stds[0],
                     "why": f"{names} are standard deviations, their squares the variances"})]


# --- a mistake inside the value of an expectation the step evaluates (s27, N3) ----------------

#: most parts of an expectation's value a simulation is tried on
VALUE_PARTS = 40


def in_evaluated_value(fn: Any) -> Any:
    """The simulation ``fn`` applied inside the closed-form value of an expectation (an
    integral under a Gaussian, Gamma or Poisson weight) that holds no other: the step
    evaluated E_z[(n + w z)²] = n² + w² and wrote its value with a mistake in it (n² + w,
    the square of w lost). Each variant is the value with one of its parts changed.

    >>> z, w = sp.Symbol("z", real=True), sp.Symbol("w", positive=True)
    >>> node = Expectation((w * z) ** 2, z, sp.exp(-z**2 / 2) / sp.sqrt(2 * sp.pi))
    >>> lose = lambda n, r: [(n.base, {})] if n.is_Pow and n.exp == 2 else []
    >>> [v for v, _ in in_evaluated_value(lose)(node, None)]
    [w]
    """
    def local(node: sp.Basic, roles: Any) -> list[Variant]:
        if not isinstance(node, (sp.Integral, Expectation)):
            return []
        body = node.integrand if isinstance(node, Expectation) else node.args[0]
        if body.has(sp.Integral, Expectation, sp.Sum, sp.Derivative):
            return []
        setup = _moment_setup(node)
        if setup is None:
            return []
        total, value = setup[4], setup[5]
        whole = value if total == 1 else total * value
        out: list[Variant] = []
        parts = [n for n in sp.preorder_traversal(whole) if not n.is_Atom][:VALUE_PARTS]
        for part in parts:
            for w, b in fn(part, roles):
                new = whole.xreplace({part: w})
                if new != whole:
                    out.append((new, b))
        return out
    return local


def bare_square_lost(node: sp.Basic, roles: Any) -> list[Variant]:
    """a² written a, for a symbol with no role of its own (a standard deviation's square is
    the entries of its role): used inside an expectation's value only
    (:func:`in_evaluated_value`), where the square comes from the moment, not the page.

    >>> w = sp.Symbol("w", positive=True)
    >>> [v for v, _ in bare_square_lost(w**2, None)]
    [w]
    """
    if not (node.is_Pow and node.exp == 2 and isinstance(node.base, sp.Symbol)):
        return []
    if roles is not None and roles.role(node.base) is not None:
        return []
    return [(node.base, {"right": node, "wrong": node.base, "s": node.base})]


# --- session 27: a term dropped from a numerator put over one denominator ---------------------
# a/t − b/(1 − t) over the denominator t(1 − t) has the numerator a(1 − t) − bt = a − at − bt;
# written (a − bt)/(t(1 − t)), the term −at was lost while the product was multiplied out (the
# textbook's "one denominator" step, or a bracket of the numerator expanded). The page must show
# that fraction (``shown``): a step that wrote no fraction over D combined nothing over D.

#: the most terms a numerator multiplied out may have for each to be dropped in turn
_MOST_TERMS = 10


def _rational_parts(expr: sp.Basic) -> bool:
    """Whether ``expr`` is built of sums, products, powers and symbols' functions only (no
    integral, expectation, sum or derivative left to evaluate), small enough to expand."""
    from sympy.core.function import AppliedUndef

    if expr.has(sp.Integral, sp.Sum, sp.Derivative, sp.Piecewise):
        return False
    if any(isinstance(n, AppliedUndef) or type(n).__name__ in ("Expectation", "KL")
           for n in sp.preorder_traversal(expr)):
        return False
    return sp.count_ops(expr) <= 60


def term_dropped_over_one_denominator(expr: sp.Basic, roles: Any) -> list[Variant]:
    """The whole put over one denominator D, its numerator multiplied out and one of its terms
    dropped: (N − t)/D for each term t of N (at least three terms, so that a sum stands).

    >>> a, b = sp.symbols("a b", positive=True)
    >>> t = sp.Symbol("t", positive=True)
    >>> wrong = [w for w, _ in term_dropped_over_one_denominator(a / t - b / (1 - t), None)]
    >>> any(sp.simplify(w - (a - b * t) / (t * (1 - t))) == 0 for w in wrong)
    True
    """
    if not isinstance(expr, (sp.Add, sp.Mul)) or not _rational_parts(expr):
        return []
    try:
        num, den = sp.fraction(sp.together(expr))
        if den == 1 or not den.free_symbols:
            return []
        terms = sp.Add.make_args(sp.expand(num))
    except Exception:
        return []
    if not 3 <= len(terms) <= _MOST_TERMS:
        return []
    # the cross term of a square the expression writes, lost as the square is multiplied
    # out, is the square expanded wrong (missing-cross-term names it, at the square's place)
    cross: set[sp.Expr] = set()
    for sq in expr.atoms(sp.Pow):
        if sq.exp == 2 and isinstance(sq.base, sp.Add):
            whole = set(sp.Add.make_args(sp.expand(sq)))
            squares = set(sp.Add.make_args(sp.expand(sp.Add(*(a**2 for a in sq.base.args)))))
            cross |= whole - squares
    out: list[Variant] = []
    for t in terms:
        if not t.free_symbols:
            continue  # a constant lost is another mistake (−1 missing, a constant wrong)
        if _is_cross(t, cross):
            continue
        wrong = (sp.Add(*terms) - t) / den
        out.append((wrong, {"right": t, "wrong": sp.S(0), "shown": [wrong],
                            "multiplied_out": True}))
    return out


def _is_cross(term: sp.Expr, cross: set[sp.Expr]) -> bool:
    """Whether ``term`` is a cross term of ``cross`` up to a factor free of its symbols
    (−2μx, −2μx·t for −2μx).

    >>> m, x, t = sp.symbols("m x t", real=True)
    >>> _is_cross(-2 * m * x * t, {-2 * m * x}), _is_cross(x**2, {-2 * m * x})
    (True, False)
    """
    for c in cross:
        try:
            ratio = sp.cancel(term / c)
        except Exception:
            continue
        if not (ratio.free_symbols & c.free_symbols):
            return True
    return False


# --- session 27: a log of a sum split, its common factor taken out first ----------------------


def log_of_sum_split_after_common_factor(node: sp.Basic, roles: Any) -> list[Variant]:
    """log(a/2 + b/2) written −log 2 + log a + log b: the common factor of the sum rightly
    taken out of the log (log((a + b)/2) = log(a + b) − log 2), then the log of the sum split.

    >>> a, b = sp.symbols("a b", positive=True)
    >>> [w for w, _ in log_of_sum_split_after_common_factor(sp.log(a / 2 + b / 2), None)]
    [log(a) + log(b) - log(2)]
    """
    if not (isinstance(node, sp.log) and isinstance(node.args[0], sp.Add)):
        return []
    try:
        common = sp.factor_terms(node.args[0])
    except Exception:
        return []
    if not isinstance(common, sp.Mul):
        return []
    sums = [f for f in common.args if isinstance(f, sp.Add)]
    if len(sums) != 1 or len(sums[0].args) > 6:
        return []
    rest = [f for f in common.args if f is not sums[0]]
    wrong = sp.Add(*(sp.log(f) for f in rest), *(sp.log(t) for t in sums[0].args))
    return [(wrong, {"right": node, "wrong": wrong})]


# --- session 28 (N1): the density dropped as an expectation is written as its integral ----------


def density_dropped_from_expectation(expr: sp.Basic, roles: Any) -> list[Variant]:
    """E_{x∼p}[f(x)] written ∫ f(x) dx (Σ_x f(x) for a discrete family): the expectation
    written as its integral over the support without the density p, which is the factor an
    expectation's integral carries (Bishop, PRML, eq. (1.34)).

    Acts on the previous line before its declared families are evaluated
    (``roles.before_families``, set by :class:`.mistakes._Context`), else on ``expr``: for
    each expectation, the integral over the declared family's support (over ℝ for an
    abstract density), the density left out; the rest of the line evaluated as the checker
    evaluates it. The written step must show that integral (``shown``): its value alone
    (w³/12 for ∫_a^{a+w} (u − a − w/2)² du) could come from another mistake.

    >>> z = sp.Symbol("z", real=True)
    >>> q, g = sp.Function("q"), sp.Function("g")
    >>> [w for w, _ in density_dropped_from_expectation(Expectation(g(z), z, q(z)), None)]
    [Integral(g(z), (z, -oo, oo))]
    """
    original, families = getattr(roles, "before_families", (None, None))
    if original is None:
        original, families = expr, None
    families = families or {}
    out: list[Variant] = []
    for node in sp.preorder_traversal(original):
        if type(node) is not Expectation or not isinstance(node.variable, sp.Symbol):
            continue
        x, dens = node.variable, node.density
        if dens in families:
            from elbo_derivation.decide.families import FAMILY_FACTS

            key, params, var = families[dens]
            facts = FAMILY_FACTS.get(key)
            if facts is None or key == "categorical" or var != x:
                continue
            try:
                lo, hi = facts.support(*params)
            except Exception:
                continue
            kind = sp.Sum if facts.discrete else sp.Integral
        elif isinstance(dens, AppliedUndef) and x in dens.args:
            lo, hi, kind = -sp.oo, sp.oo, sp.Integral
        else:
            continue
        integral = kind(node.integrand, (x, lo, hi))
        wrong = original.xreplace({node: integral})
        if families and wrong.has(*families):
            try:
                from elbo_derivation.decide.families import instantiate

                wrong = instantiate(wrong, families)[0]
            except Exception:
                continue
            if wrong.has(*families):
                continue
        why = (f"{show(dens)} is the density of {show(x)}: the expectation "
               f"{show(node)} is the integral of {show(node.integrand)} times "
               f"{show(dens)}, which was written without it")
        out.append((wrong, {"right": node, "wrong": integral, "s": dens, "x": x,
                            "why": why, "shown": [integral]}))
    return out


# --- session 28 (N1): the binomial 2 lost while a square times a factor is multiplied out ------


def square_times_factor_expanded_without_two(node: sp.Basic, roles: Any) -> list[Variant]:
    """c·(a + b)² multiplied out as c·a² + c·ab + c·b²: the binomial coefficient 2 of the
    cross term lost while a square standing in a product is expanded (e(m + e)² written
    m²e + me² + e³). The factor c must hold symbols (a number times the square is
    :func:`square_expanded_without_two`'s, the number merged with the terms), and the written
    step must show the cross term c·ab.

    Examples
    --------
    >>> m, e = sp.symbols("m e")
    >>> [w for w, _ in square_times_factor_expanded_without_two(e * (m + e)**2, None)]
    [e**3 + e**2*m + e*m**2]
    """
    if not isinstance(node, sp.Mul):
        return []
    squares = [f for f in node.args if _expanded_without_two(f) is not None]
    if len(squares) != 1:
        return []
    sq = squares[0]
    rest = node / sq
    if not rest.free_symbols or rest.has(*CONSTRUCTS, AppliedUndef):
        return []
    a, b = sq.base.args
    wrong = sp.expand(rest * _expanded_without_two(sq))
    cross = sp.expand(rest * a * b)
    if not isinstance(wrong, sp.Add):
        return []
    return [(wrong, {"right": 2 * cross, "wrong": cross, "shown": [cross]})]


# --- session 28 (N1): a sum re-indexed, its bounds kept --------------------------------------


def _window_moves(node: sp.Basic) -> list[sp.Basic]:
    """A one-index finite sum with both bounds moved by one the same way (Σ_{k=a}^{b} as
    Σ_{k=a+1}^{b+1} and Σ_{k=a−1}^{b−1}); nothing for a series (see :func:`_bound_moves`)."""
    if not isinstance(node, sp.Sum) or len(node.limits) != 1 or len(node.limits[0]) != 3:
        return []
    k, lo, hi = node.limits[0]
    if lo.is_finite is False or hi.is_finite is False:
        return []
    return [sp.Sum(node.function, (k, lo + d, hi + d)) for d in (1, -1)]


def _window_said(right: sp.Sum, wrong: sp.Sum) -> dict[str, Any]:
    k, lo, hi = right.limits[0]
    _, wlo, whi = wrong.limits[0]
    why = (f"the sum over {show(k)} runs from {show(lo)} to {show(hi)}, but it was written "
           f"from {show(wlo)} to {show(whi)}: the index was changed and the bounds kept (each "
           f"term {show(right.function)} stands one place over)")
    return {"right": right, "wrong": wrong, "i": k, "why": why}


def window_shifted(node: sp.Basic, roles: Any) -> list[Variant]:
    """Σ_{k=a}^{b} f(k) written Σ_{k=a+1}^{b+1} f(k) (or from a − 1 to b − 1): the index of a
    finite sum changed (k = t − i, k = i − 1) and the bounds of the old index kept, so that
    every term stands one place over: Σ_{i=1}^{t} b^{t−i} re-indexed by k = t − i is
    Σ_{k=0}^{t−1} b^k, written Σ_{k=1}^{t} b^k.

    Examples
    --------
    >>> k, t = sp.symbols("k t", integer=True, positive=True)
    >>> b = sp.Symbol("b", positive=True)
    >>> [w for w, _ in window_shifted(sp.Sum(b**k, (k, 0, t - 1)), None)]
    [Sum(b**k, (k, 1, t)), Sum(b**k, (k, -1, t - 2))]
    """
    return [(new, {**_window_said(node, new), "guard": _not_differentiated})
            for new in _window_moves(node)]


def window_restored(node: sp.Basic, roles: Any) -> list[Variant]:
    """The inverse of :func:`window_shifted` on a written sum: the sums it could have come
    from, with the fields said from the right sum's side."""
    return [(right, _window_said(right, node)) for right in _window_moves(node)]


# --- session 28: roles, moments, squares and halves (N3) ----------------------------------------


def variance_expression_for_its_root(node: sp.Basic, roles: Any) -> list[Variant]:
    """√V written V, V the variance of a Gaussian of the derivation that is an expression
    (1 − ᾱ of N(x; √ᾱ x₀, 1 − ᾱ), found by :func:`.roles.infer_roles` in
    ``roles.variance_exprs``): the variance written where its square root, the standard
    deviation, belongs (V^(k/2) written V^k: ε/√(1 − ᾱ) written ε/(1 − ᾱ)). The root must
    stand on the previous line as written (``roles.page_before``, when known).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> a, e = sp.symbols("a e", positive=True)
    >>> roles = SimpleNamespace(variance_exprs=[1 - a])
    >>> [w for w, _ in variance_expression_for_its_root(1 / sp.sqrt(1 - a), roles)]
    [1/(1 - a)]
    >>> variance_expression_for_its_root(sp.sqrt(a), roles)
    []
    """
    exprs = getattr(roles, "variance_exprs", None) or []
    if not (node.is_Pow and node.exp.is_Rational and node.exp.q == 2 and node.base in exprs):
        return []
    page = getattr(roles, "page_before", None)
    if page is not None and node not in set(sp.preorder_traversal(page())):
        # the root must stand on the previous line as its author wrote it: ε/√V that only
        # SymPy made of √V·ε/V is a factor √V lost from the numerator as much
        return []
    wrong = sp.Pow(node.base, 2 * node.exp)
    return [(wrong, {"right": node, "wrong": wrong, "s": sp.sqrt(node.base)})]


# --- session 28: a written term negated where the step combines like terms --------------------


def _written_sum_values(roles: Any) -> list[tuple[tuple[sp.Basic, ...], sp.Basic]]:
    """The sums of ``roles.written_sums`` (two to eight terms) with their values, computed
    once per set of roles."""
    sums = getattr(roles, "written_sums", None) or ()
    cached = getattr(roles, "_written_sum_values", None)
    if cached is not None and cached[0] is sums:
        return cached[1]
    out = []
    for terms in list(sums)[:40]:
        if 2 <= len(terms) <= 8:
            try:
                terms = tuple(rebuilt(t) for t in terms)
                out.append((terms, sp.Add(*terms)))
            except Exception:
                continue
    try:
        roles._written_sum_values = (sums, out)
    except Exception:
        pass
    return out


def written_term_negated(node: sp.Basic, roles: Any) -> list[Variant]:
    """One term of a sum the author wrote on the previous line negated, where the value of
    that sum is ``node`` and SymPy merged its terms (u − 2c²/w + c²/w is u − c²/w): the
    step that combines like terms took one of them with the wrong sign (u − 3c²/w). The
    terms as written come from ``roles.written_sums`` (set by :mod:`.mistakes`); a sum whose
    terms all stand in ``node`` is left to the plain sign error, and so is a term that stands
    in ``node`` as written (u).

    >>> from types import SimpleNamespace
    >>> u, c, w = sp.symbols("u c w", positive=True)
    >>> terms = (u, sp.Mul(-2, c**2, 1 / w, evaluate=False), c**2 / w)
    >>> roles = SimpleNamespace(written_sums=[terms])
    >>> [(v - u, b["right"]) for v, b in written_term_negated(u - c**2 / w, roles)]
    [(3*c**2/w, -2*c**2/w), (-3*c**2/w, c**2/w)]
    >>> written_term_negated(u + c**2 / w, roles)
    []
    """
    if node.is_Atom or not node.free_symbols:
        return []
    out: list[Variant] = []
    for terms, value in _written_sum_values(roles):
        if len(sp.Add.make_args(node)) >= len(terms):
            continue  # every term stands in the value: the plain sign error's place
        try:
            if value.free_symbols != node.free_symbols or not (
                    value == node or expands_to_zero(value - node)):
                continue
        except Exception:
            continue
        for t in terms:
            if not t.free_symbols or t in sp.Add.make_args(node) or any(
                    v[1]["right"] == t for v in out):
                continue
            wrong = sp.Add(node, -2 * t)
            out.append((wrong, {"right": t, "wrong": -t}))
    return out


# --- session 29 (A): squares, factors and counts put back on the written step -------------------
# A step that rearranges (expands, cancels, collects) and loses the square of a symbol on the way
# (a²s² written a·s², n²p² written n·p²) shows no product of the previous line with its square
# gone: the square is put back at one factor of the written step, and the repaired step must
# equal the previous line. The page must show the square written before and fewer squares of
# that symbol after (``written_square``, see :mod:`.witness_factors`).


def symbol_square_restored(node: sp.Basic, roles: Any) -> list[Variant]:
    """The inverse of a symbol's square lost, on the written step: a symbol that is a factor
    of a product (or whose reciprocal is), standing once there, put back as its square.
    A symbol with a role of its own (a standard deviation, a variance) is left to the entries
    of its role, as :func:`square_lost` leaves it.

    >>> a, s = sp.symbols("a s", positive=True)
    >>> [r for r, _ in symbol_square_restored(a * s**2, None)]
    [a**2*s**2]
    >>> [r for r, _ in symbol_square_restored(-a / s, None)]
    [-a**2/s, -a/s**2]
    """
    if not isinstance(node, sp.Mul):
        return []
    out: list[Variant] = []
    for f in node.args:
        base = f.base if f.is_Pow and f.exp == -1 else f
        if not isinstance(base, sp.Symbol) or node.args.count(f) != 1:
            continue
        if _role_of_its_own(base, roles):
            continue
        if any(g is not f and (g.base if g.is_Pow else g) == base for g in node.args):
            continue  # another power of the symbol stands there: its power written wrong
        right = node * f

        def guard(expr: sp.Basic, path: tuple[int, ...], base: sp.Basic = base) -> bool:
            return _outside_constructs(expr, path) and _square_on_page(base, roles)
        out.append((right, {"right": base ** 2, "wrong": base, "s": base,
                            "guard": guard, "written_square": True,
                            "square_put_back": True}))
    return out


#: the roles whose square is a role of its own (σ² is a variance): a square of such a symbol
#: lost is named by the role (std-for-variance and its kin), not here
_SQUARED_ROLES = ("variance", "standard-deviation", "log-variance", "precision")


def _role_of_its_own(base: sp.Basic, roles: Any) -> bool:
    role = getattr(roles, "role", None) if roles is not None else None
    return role is not None and role(base) in _SQUARED_ROLES


def role_symbol_square_lost(node: sp.Basic, roles: Any) -> list[Variant]:
    """a²·X written a·X for a symbol whose role is not a square's (a probability p, a count
    n, a rate): :func:`square_lost` leaves every symbol with a role aside; the roles whose
    square is another role (σ and σ²) stay with their own entries. The square must be
    written on the previous line (``written_square``, see :mod:`.witness_factors`).

    >>> from types import SimpleNamespace
    >>> p, n = sp.symbols("p n", positive=True)
    >>> roles = SimpleNamespace(role=lambda s: "probability" if s == p else None)
    >>> [w for w, _ in role_symbol_square_lost(-n * p**2, roles)]
    [-n*p]
    """
    if not isinstance(node, sp.Mul) or roles is None:
        return []
    out: list[Variant] = []
    for f in node.args:
        if not (f.is_Pow and f.exp == 2 and isinstance(f.base, sp.Symbol)):
            continue
        role = getattr(roles, "role", None)
        if role is None or role(f.base) is None or _role_of_its_own(f.base, roles):
            continue
        def guard(expr: sp.Basic, path: tuple[int, ...], base: sp.Basic = f.base) -> bool:
            return _outside_constructs(expr, path) and _square_on_page(base, roles)
        out.append((node / f * f.base, {"right": f, "wrong": f.base, "s": f.base,
                                        "guard": guard, "written_square": True}))
    return out


def _square_on_page(base: sp.Basic, roles: Any) -> bool:
    """Whether the previous line as its author wrote it shows a square of ``base``, or of a
    product that holds it ((n·p)² holds p): a square never written was never lost (True when
    the page is not known)."""
    page = getattr(roles, "page_before", None) if roles is not None else None
    if page is None:
        return True
    try:
        before = page()
    except Exception:
        return True
    want = rebuilt(base)
    return any(n.is_Pow and n.exp in (2, -2)
               and want in {rebuilt(g) for g in sp.Mul.make_args(n.base)}
               for n in sp.preorder_traversal(before))


# --- session 29 (A): a dimension counted once -----------------------------------------------------
# A count of dimensions written 1: −D/2·log 2π written −½·log 2π, det(cS) = c^D·det S taken as
# c·det S. The count is a symbol with the dimension role, or one that sizes the vectors and
# matrices of the expression (a structure the declarations give: x : vector(D)).


def _matrix_sizes(expr: sp.Basic) -> set[sp.Symbol]:
    """The symbols that give the shape of a matrix or a vector of ``expr``."""
    out: set[sp.Symbol] = set()
    for m in expr.atoms(sp.MatrixSymbol):
        out |= {s for s in m.shape if isinstance(s, sp.Symbol)}
    return out


def _determinants_scaled_out(expr: sp.Basic) -> sp.Basic:
    """det(c·S) written c^n·det(S) for a scalar c and an n×n matrix S (the rule a step that
    counts dimensions applies)."""
    def one(d: sp.Basic) -> sp.Basic:
        arg = d.args[0]
        if not isinstance(arg, sp.MatMul):
            return d
        scalars = [a for a in arg.args if not getattr(a, "is_Matrix", False)]
        mats = [a for a in arg.args if getattr(a, "is_Matrix", False)]
        if not scalars or not mats:
            return d
        n = arg.shape[0]
        return sp.Mul(*scalars) ** n * sp.Determinant(sp.MatMul(*mats))
    return expr.replace(lambda e: isinstance(e, sp.Determinant), one)


def _traces_opened(expr: sp.Basic) -> sp.Basic:
    """tr(S⁻¹(S + A)) written D + tr(S⁻¹A): each trace of a sum of matrices split over its
    terms, the trace of an identity its size."""
    def one(t: sp.Basic) -> sp.Basic:
        try:
            inner = sp.expand(t.args[0])
            parts = sp.Add.make_args(inner) if not isinstance(inner, sp.MatAdd) else inner.args
            if len(parts) < 2:
                return t
            return sp.Add(*[sp.Trace(u).doit() for u in parts])
        except Exception:
            return t
    return expr.replace(lambda e: isinstance(e, sp.Trace), one)


def _scalar_count_replaced(expr: sp.Basic, d: sp.Symbol, new: sp.Basic) -> sp.Basic:
    """``expr`` with the scalar ``d`` written ``new``, the shapes of its matrices kept."""
    if expr == d:
        return new
    if not expr.args or isinstance(expr, (sp.MatrixSymbol, sp.Identity, sp.ZeroMatrix)) \
            or not expr.has(d):
        return expr
    return expr.func(*[_scalar_count_replaced(a, d, new) for a in expr.args])


def dimension_counted_once(expr: sp.Basic, roles: Any) -> list[Variant]:
    """A dimension count D written 1 wherever it stands as a number (not in the shapes of
    the matrices): each of the D coordinates' constants counted once (−D/2·log 2π written
    −½·log 2π; det(2πS) = (2π)^D det S taken as 2π det S).

    >>> D = sp.Symbol("D", positive=True, integer=True)
    >>> S = sp.MatrixSymbol("S", D, D)
    >>> [w for w, _ in dimension_counted_once(D / 2 + sp.log(sp.Determinant(S)), None)]
    [log(Determinant(S)) + 1/2]
    """
    having = getattr(roles, "having", None) if roles is not None else None
    counts = set(having("dimension")) if having is not None else set()
    counts |= _matrix_sizes(expr)
    out: list[Variant] = []
    for d in sorted(counts, key=str):
        scaled = _traces_opened(_determinants_scaled_out(expr))
        wrong = _scalar_count_replaced(scaled, d, sp.S.One)
        if wrong == scaled:
            continue
        why = (f"{show(d)} counts the dimensions: the terms that each coordinate contributes "
               f"add up {show(d)} times, and {show(d)} was written 1")
        out.append((wrong, {"right": d, "wrong": sp.S.One, "s": d, "why": why}))
    return out


# --- session 29 (A): the chain rule forgotten under an expectation or a sum -----------------------
# d/dθ E[f(u(θ), ε)] taken inside the expectation (its density free of θ), or d/dθ Σᵢ fᵢ taken
# term by term, with the chain rule's inner factor forgotten in the integrand (the summand):
# d/dσ E[(μ + σε)²] written E[2(μ + σε)], d/dβ Σ log(1 + e^{βxᵢ}) written Σ e^{βxᵢ}/(1 + e^{βxᵢ}).


def _construct_body(node: sp.Basic, theta: sp.Basic) -> tuple[sp.Basic, Any] | None:
    """The body of an expectation, a sum or an integral whose density, limits and bound
    variables are free of ``theta``, with a function that wraps a new body back."""
    if type(node) is Expectation:
        if (node.density is not None and node.density.has(theta)) or node.variable == theta:
            return None
        return node.integrand, lambda u: Expectation(u, node.variable, node.density)
    if isinstance(node, (sp.Sum, sp.Integral)):
        if any(lim.has(theta) for lim in node.limits):
            return None
        return node.function, lambda u: node.func(u, *node.limits)
    return None


def inner_factor_forgotten_inside(node: sp.Basic, roles: Any) -> list[Variant]:
    """d/dθ of an expectation, a sum or an integral taken inside it (the density, the limits
    free of θ), with the chain rule's inner factor forgotten in one term of the body (see
    :func:`inner_factor_forgotten`).

    >>> s, m, e = sp.symbols("sigma mu eps", real=True)
    >>> i, n = sp.symbols("i n", integer=True)
    >>> der = sp.Derivative(sp.Sum((m + s * e) ** 2 * i, (i, 1, n)), s)
    >>> sp.Sum(2 * i * (m + s * e), (i, 1, n)) in [
    ...     w for w, _ in inner_factor_forgotten_inside(der, None)]
    True
    """
    if not isinstance(node, sp.Derivative) or len(node.variable_count) != 1 \
            or node.variable_count[0][1] != 1:
        return []
    theta = node.variable_count[0][0]
    found = _construct_body(node.expr, theta)
    if found is None:
        return []
    body, wrap = found
    out: list[Variant] = []
    for wrong, b in inner_factor_forgotten(sp.Derivative(body, theta), roles):
        out.append((wrap(wrong), {**b, "inside": True}))
    return out


# --- session 29: signs, terms, ratios, inequalities and splits (B) --------------------------------
# A factor lost inside a log under an integral (an expectation, a sum) that the step keeps:
# ∫ q log(p(x|y)p(y)/q) written ∫ q log(p(x|y)/q) drops the term log p(y) of the integrand.
# Where the step keeps the construct, the written integrand shows the factor gone; a site
# under a construct the step evaluates is not made (``kept_only``: other mistakes give the
# same value there, see :func:`log_factor_dropped`).


def _under_constructs(expr: sp.Basic, path: tuple[int, ...]) -> bool:
    """Whether an integral, sum, derivative or expectation stands above the node at ``path``
    (the sites :func:`log_factor_dropped` leaves).

    >>> x = sp.Symbol("x")
    >>> _under_constructs(sp.Integral(sp.log(x), x), (0,)), _under_constructs(sp.log(x), (0,))
    (True, False)
    """
    return under(expr, path, CONSTRUCTS)


def log_factor_dropped_in_kept(node: sp.Basic, roles: Any) -> list[Variant]:
    """log(A·F) written log A under an integral (an expectation, a sum) the step keeps: the
    term log F of the integrand dropped (:func:`log_factor_dropped` where a construct stands
    above; the match is kept only where the step does not evaluate it, ``kept_only``).

    >>> y = sp.Symbol("y", real=True)
    >>> f, g = sp.Function("f")(y), sp.Function("g")(y)
    >>> [(w, b["right"], b["kept_only"]) for w, b in log_factor_dropped_in_kept(
    ...     sp.log(f * g), None)][:1]
    [(log(g(y)), log(f(y)), True)]
    """
    return [(w, {**b, "guard": _under_constructs, "kept_only": True})
            for w, b in log_factor_dropped(node, roles)]


# A weight N/(N + R) of positive parts (a Beta mean a/(a + b), a shrinkage s²/(A + s²)) lies
# in (0, 1), and its complement is R/(N + R): the other part over the same total, written for
# it (the other outcome's share), is a probability's complement written in its place.


def _positive_parts(node: sp.Basic) -> tuple[sp.Basic, sp.Basic, sp.Basic] | None:
    """(N, R, N + R) when ``node`` is N/(N + R) with N and R positive expressions of symbols
    (by their assumptions) and N + R the whole denominator; else None."""
    if not isinstance(node, sp.Mul):
        return None
    num, den = node.as_numer_denom()
    if not (isinstance(den, sp.Add) and num.free_symbols and num in den.args):
        return None
    rest = den - num
    if not (rest.free_symbols and num.is_positive and rest.is_positive):
        return None
    return num, rest, den


def weight_complement(node: sp.Basic, roles: Any) -> list[Variant]:
    """N/(N + R) written R/(N + R), N and R positive: the complement of a weight in (0, 1)
    written for it (its own inverse, so it also repairs the written step).

    >>> a, b = sp.symbols("a b", positive=True)
    >>> [(w, bd["right"]) for w, bd in weight_complement(a / (a + b), None)]
    [(b/(a + b), a/(a + b))]
    >>> weight_complement(a / (a - b), None), weight_complement(a / (2 * a + b), None)
    ([], [])
    """
    parts = _positive_parts(node)
    if parts is None:
        return []
    num, rest, den = parts
    if roles is not None and all(
            any(getattr(roles, "family_of", lambda s: None)(s) is not None
                for s in p.free_symbols) for p in (num, rest)):
        # each part a parameter of a Gaussian of its own (a Kalman gain P/(P + R)): the
        # other one's parameter written is that mistake (other-distributions-parameter)
        return []
    wrong = rest / den
    # the complement must stand on the written step (not only its value: 1/(1 + e^(a−b)) is
    # e^b/(e^a + e^b), but a sign in an exponent as much), and the weight on the previous
    # line, not only in a derivative's value (``not_in_value``)
    return [(wrong, {"right": node, "wrong": wrong, "s": node, "shown": [wrong],
                     "not_in_value": True})]


# --- names1 (issue 17): a factor dropped from a product as the previous line wrote it ----------


def _paths_outside(expr: sp.Basic, stop: tuple[type, ...],
                   path: tuple[int, ...] = ()) -> list[tuple[tuple[int, ...], sp.Basic]]:
    """Every node of ``expr`` with its path, not descending into nodes of ``stop`` (their
    own node is listed, their parts are not); at most 400 nodes."""
    out: list[tuple[tuple[int, ...], sp.Basic]] = [(path, expr)]
    if isinstance(expr, stop):
        return out
    for i, a in enumerate(expr.args):
        out.extend(_paths_outside(a, stop, (*path, i)))
        if len(out) >= 400:
            break
    return out[:400]


def _put(expr: sp.Basic, path: tuple[int, ...], new: sp.Basic) -> sp.Basic:
    """``expr`` with its node at ``path`` replaced by ``new``, nothing else evaluated."""
    if not path:
        return new
    args = list(expr.args)
    args[path[0]] = _put(args[path[0]], path[1:], new)
    return expr.func(*args, evaluate=False)


def _factors_as_written(node: sp.Mul) -> list[tuple[sp.Basic, sp.Basic]]:
    """(factor, the product without it) for each factor of ``node`` as written: its
    arguments, and each factor of a written denominator (a/(b·c) offers b and c, each
    lost alone: a/c, a/b)."""
    out: list[tuple[sp.Basic, sp.Basic]] = []
    args = list(node.args)
    for i, f in enumerate(args):
        others = args[:i] + args[i + 1:]
        out.append((f, sp.Mul(*others, evaluate=False) if len(others) > 1 else others[0]))
        if f.is_Pow and f.exp.is_Number and f.exp.is_negative and isinstance(f.base, sp.Mul):
            inner = list(f.base.args)
            for j, g in enumerate(inner):
                kept = inner[:j] + inner[j + 1:]
                base = sp.Mul(*kept, evaluate=False) if len(kept) > 1 else kept[0]
                out.append((sp.Pow(g, f.exp, evaluate=False), sp.Mul(
                    *others, sp.Pow(base, f.exp, evaluate=False), evaluate=False)))
    return out


def _outside_sums(part: sp.Basic, f: sp.Basic) -> bool:
    """Whether ``f`` stands in ``part`` somewhere not inside a sum (a term of an Add)."""
    if part == f:
        return True
    if isinstance(part, sp.Add):
        return False
    return any(_outside_sums(a, f) for a in part.args)


def _at_path(expr: sp.Basic, path: tuple[int, ...]) -> sp.Basic:
    for i in path:
        expr = expr.args[i]
    return expr


def _term_of(expr: sp.Basic, path: tuple[int, ...]) -> tuple[int, ...]:
    """The path of the term that holds the node at ``path``: its highest ancestor reached
    through products and denominators only."""
    top = path
    while top:
        parent = _at_path(expr, top[:-1])
        if not (isinstance(parent, sp.Mul) or (parent.is_Pow and parent.exp == -1)):
            break
        top = top[:-1]
    return top


def _under_a_power(expr: sp.Basic, path: tuple[int, ...]) -> bool:
    """Whether a power other than a written denominator (exponent −1) stands above the
    node at ``path``: a factor lost inside a power's base is lost to that power ((σε)²
    written ε² is σ² lost, the substitution σε for z − μ half made)."""
    node = expr
    for i in path:
        if node.is_Pow and node.exp != -1:
            return True
        node = node.args[i]
    return False


def factor_dropped_as_written(expr: sp.Basic, roles: Any) -> list[Variant]:
    """A·F written A, F a factor of a product *as the previous line wrote it*: the step
    rearranged or cancelled that line, and a factor the author wrote was lost on the way
    (u − 2(c/w)c + (c/w)²·w written u − 2c²/w + c²/w², the w of the last term lost;
    3y/(2√y) written 3y/2). SymPy's own form of the line may no longer hold the product
    (it has merged y/√y into √y), so :func:`factor_dropped` does not see it there.

    Acts on ``roles.page_before()`` (the previous line as written, ``let`` names
    expanded) when it differs from ``expr``; the line with the factor left out is then
    evaluated as a whole. F must hold symbols and no integral, sum, derivative or
    expectation, and no log, integral, sum, derivative or expectation may stand above the
    product (a factor of a log's argument is a term of the log; one under an integral gives
    a value other mistakes give too), nor a power other than a denominator (a factor lost
    inside a power's base is lost to the power). As :func:`factor_dropped`: the rest must
    not be a number, and F must not stand in the rest too, outside its sums (the rest may be
    the product rewritten through F with another mistake) unless F is a symbol; a root of
    a base that stands in the rest (√D·ε/D written ε/D) is the root written as its base,
    not a factor lost. The page must show the symbols of F fewer times (``drops``).

    >>> from types import SimpleNamespace
    >>> c, w, u = sp.symbols("c w u", positive=True)
    >>> page = sp.Add(u, sp.Mul(-2, c, sp.Pow(w, -1, evaluate=False), c, evaluate=False),
    ...               sp.Mul(sp.Pow(sp.Mul(c, sp.Pow(w, -1), evaluate=False), 2,
    ...                             evaluate=False), w, evaluate=False), evaluate=False)
    >>> roles = SimpleNamespace(page_before=lambda: page)
    >>> u - 2 * c**2 / w + c**2 / w**2 in [x for x, _ in factor_dropped_as_written(
    ...     u - c**2 / w, roles)]
    True
    """
    page_before = getattr(roles, "page_before", None)
    if page_before is None:
        return []
    try:
        page = page_before()
    except Exception:
        return []
    if page is None or page == expr or page.has(sp.MatrixSymbol):
        return []
    out: list[Variant] = []
    seen: set[sp.Basic] = set()
    for path, node in _paths_outside(page, (sp.log, *CONSTRUCTS)):
        if not isinstance(node, sp.Mul) or under(page, path, (sp.log, *CONSTRUCTS)) \
                or _under_a_power(page, path):
            continue
        for f, rest in _factors_as_written(node):
            fv, restv = rebuilt(f), rebuilt(rest)
            if fv.is_Number or not fv.free_symbols or fv.has(*CONSTRUCTS) \
                    or restv.is_Number or not restv.free_symbols:
                continue
            if not fv.is_Symbol and _outside_sums(restv, fv):
                continue
            if fv.is_Pow and fv.exp.is_Number and not fv.exp.is_integer:
                top = _term_of(page, path)
                term = rebuilt(_put(_at_path(page, top), path[len(top):], rest))
                if _outside_sums(term, fv.base):
                    continue  # √D·ε/D written ε/D: a root written as its base (σ² for σ)
            try:
                wrong = rebuilt(_put(page, path, rest))
            except Exception:
                continue
            if wrong in seen:
                continue
            seen.add(wrong)
            right = rebuilt(node)
            why = (f"the factor {show(fv)} of {show(right)}, as the previous line wrote it, "
                   f"was lost ({show(restv)} written for {show(right)})")
            out.append((wrong, {"right": right, "wrong": restv, "s": fv, "why": why,
                                "drops": fv}))
            if len(out) >= 40:
                return out
    return out


# --- tenth outsider pass (o10b): a sum re-indexed by a shift larger than one ---------------------


def _index_offsets(node: sp.Sum) -> list[sp.Integer]:
    """The integers d ≠ 0 (|d| ≤ 5) for which the summand holds the shifted index k + d (in
    λ^(k−2)/(k−2)!, d = −2): the shifts a re-indexing j = k + d would take away."""
    k = node.limits[0][0]
    found: set[sp.Integer] = set()
    for n in list(sp.preorder_traversal(node.function))[:2000]:
        if isinstance(n, sp.Add) and n.has(k):
            d = n - k
            if d.is_Integer and d != 0 and abs(d) <= 5:
                found.add(d)
    return sorted(found)


def reindexed_bounds_kept(node: sp.Basic, roles: Any) -> list[Variant]:
    """Σ_{k=a}^{b} f(k) re-indexed by j = k + d, whose summand f(j − d) holds j alone, written
    with the old bounds a..b where a + d..b + d belong: Σ_{k≥2} λ^(k−2)/(k−2)! written
    Σ_{j≥2} λ^j/j! (its terms j = 0, 1 lost). A series is given by its closed form where
    :func:`closed_sum` knows it.

    >>> k = sp.Symbol("k", integer=True)
    >>> lam = sp.Symbol("lam", positive=True)
    >>> right = sp.Sum(lam**(k - 2) / sp.factorial(k - 2), (k, 2, sp.oo))
    >>> [sp.simplify(w - (sp.exp(lam) - 1 - lam)) for w, _ in reindexed_bounds_kept(right, None)]
    [0]
    >>> reindexed_bounds_kept(sp.Sum(lam**k / sp.factorial(k), (k, 0, sp.oo)), None)
    []
    """
    if not isinstance(node, sp.Sum) or len(node.limits) != 1 or len(node.limits[0]) != 3:
        return []
    k, lo, hi = node.limits[0]
    out: list[Variant] = []
    for d in _index_offsets(node):
        shifted = node.function.xreplace({k: k - d})
        if any(n - k in (sp.Integer(c) for c in range(-5, 6) if c)
               for n in sp.preorder_traversal(shifted) if isinstance(n, sp.Add) and n.has(k)):
            continue  # an offset left over: no single shift makes the summand plain
        kept = sp.Sum(shifted, (k, lo, hi))
        closed = closed_sum(kept) if hi == sp.oo else None
        wrong = closed if closed is not None else kept
        why = (f"with {show(k + d)} written {show(k)}, the sum over {show(k)} from "
               f"{show(lo)} to {show(hi)} runs from {show(lo + d)} to {show(hi + d)}, but it "
               f"was written from {show(lo)} to {show(hi)}: the index was changed and the "
               f"bounds kept")
        out.append((wrong, {"right": node, "wrong": kept, "i": k, "why": why,
                            "guard": _not_differentiated}))
    return out


# --- names3 (issue 17): the chain rule's inner factor lost inside a derivative's value ---------


def _negated_compositions(t: sp.Basic, theta: sp.Symbol,
                          ) -> list[tuple[sp.Basic, sp.Basic, sp.Dummy]]:
    """(v, g(d), d) with ``t`` = g(v), where −v stands in ``t`` (SymPy's sign taken out of
    an inner part: σ(wt + b) is kept as 1/(1 + e^(−b − tw)), whose argument is −(wt + b)); g
    free of θ. The inner function as its author wrote it is v, not −v.

    >>> w, b = sp.symbols("w b", real=True)
    >>> [v for v, _, _ in _negated_compositions(sp.exp(-w - b), w)]
    [b + w, w]
    """
    out = []
    seen: set[sp.Basic] = set()
    for u in sp.preorder_traversal(t):
        if u == t or u == theta or u in seen or not u.has(theta) or u.is_Number \
                or not u.could_extract_minus_sign():
            continue
        seen.add(u)
        d = sp.Dummy("u")
        g = t.xreplace({u: -d})
        if g.has(theta) or not g.has(d):
            continue
        out.append((-u, g, d))
    return out


def inner_factor_forgotten_negated(node: sp.Basic, roles: Any) -> list[Variant]:
    """d/dθ f(v(θ)) written f′(v), where the line holds −v (see
    :func:`_negated_compositions`): the whole function's inner factor dv/dθ forgotten, or
    one term's, the other terms differentiated right. Only an inner factor that holds
    symbols: v = 1 − θ written as −(θ − 1) would make every sign on a log(1 − θ) a chain rule,
    where the page cannot tell the inner function the author meant.

    >>> w, b, s, t = sp.symbols("w b s t", real=True)
    >>> sig = 1 / (1 + sp.exp(-t * w - b))
    >>> right = sp.Derivative(s * sp.log(sig), w)
    >>> wrong = s * (1 - sig)  # d/da log σ(a) = 1 − σ(a), the t of d(tw + b)/dw lost
    >>> any(sp.simplify(v - wrong) == 0 for v, _ in inner_factor_forgotten_negated(right, None))
    True
    """
    if not isinstance(node, sp.Derivative) or len(node.variable_count) != 1 \
            or node.variable_count[0][1] != 1:
        return []
    theta = node.variable_count[0][0]
    f = node.expr
    terms = sp.Add.make_args(f)
    parts = [(f, sp.S.Zero)] + ([(t, sp.diff(f - t, theta)) for t in terms if t.has(theta)]
                                if len(terms) > 1 else [])
    out: list[Variant] = []
    for part, rest in parts:
        right_t = sp.diff(part, theta)
        for v, g, d in _negated_compositions(part, theta):
            try:
                wrong_t = sp.diff(g, d).xreplace({d: v})
            except ValueError:  # g′ left unevaluated: v is no variable
                continue
            if sp.diff(v, theta).is_Number or expands_to_zero(wrong_t - right_t):
                continue  # (a factor −1 forgotten is a sign: the page cannot tell which)
            out.append((rest + wrong_t, {"right": right_t, "wrong": wrong_t, "inner": v,
                                         "s": theta, "du": sp.diff(v, theta)}))
    return out


def inner_factor_forgotten_in_product(node: sp.Basic, roles: Any) -> list[Variant]:
    """d/dθ of a term f₁·f₂ by the product rule, where one factor fᵢ = g(u(θ)) is
    differentiated g′(u) (its inner factor du/dθ forgotten), the other products of the rule
    and the other terms right. Only an inner factor that holds symbols: a −1 lost (of
    1 − θ) is one term's sign, a 2 lost a constant, and the page does not say which; and
    not an inner factor that is another factor of the term (d/du (c + vu)e^{cu + vu²/2}
    holds (c + vu)², whose square lost is :func:`square_of_bracket_lost`'s).

    >>> t = sp.Symbol("t", real=True)
    >>> right = sp.Derivative(2 * t / (1 - t**2) ** 2, t)
    >>> wrong = 2 / (1 - t**2) ** 2 - 4 * t / (1 - t**2) ** 3  # the −2t of (1 − t²)′ lost
    >>> any(sp.simplify(w - wrong) == 0 for w, _ in inner_factor_forgotten_in_product(right, None))
    True
    """
    out: list[Variant] = []
    for t, theta, rest in _by_terms(node) or []:
        factors = sp.Mul.make_args(t)
        with_theta = [i for i, f in enumerate(factors) if f.has(theta)]
        if len(with_theta) < 2:
            continue  # one factor: the term is the composition (inner_factor_forgotten)
        right_t = sp.diff(t, theta)
        for i in with_theta:
            f = factors[i]
            others = sp.Mul(*(g for j, g in enumerate(factors) if j != i))
            for u, g, d in _compositions(f, theta):
                try:
                    wrong_f = sp.diff(g, d).xreplace({d: u})
                except ValueError:  # (as in inner_factor_forgotten)
                    continue
                wrong_t = right_t - others * sp.diff(f, theta) + others * wrong_f
                du = sp.diff(u, theta)
                if du.is_Number or expands_to_zero(wrong_t - right_t):
                    continue  # a number forgotten (−1 of 1 − θ) is a sign or a constant
                if any(expands_to_zero(g - du) for j, g in enumerate(factors) if j != i):
                    continue  # (c + vu)·(c + vu)e^… written (c + vu)e^…: a square lost
                out.append((rest + wrong_t, {"right": right_t, "wrong": wrong_t, "inner": u,
                                             "s": theta, "du": sp.diff(u, theta)}))
    return out


# --- names3 (issue 17): a square lost from a derivative's value -------------------------------


def square_lost_from_denominator(node: sp.Basic, roles: Any) -> list[Variant]:
    """X/D² written X/D in the value of a derivative: the quotient rule's (the power rule's)
    squared denominator written unsquared (d/dη σ(η) = e^η/(1 + e^η)² written e^η/(1 + e^η),
    d/dλ(−a/λ) = a/λ² written a/λ).

    Made only in a derivative's value (``value_only``): a D² the previous line writes itself
    is the author's own square, and where D holds a standard deviation or a variance the entries
    of its role speak (σ written for σ²).

    >>> lam, a = sp.symbols("lam a", positive=True)
    >>> [w for w, _ in square_lost_from_denominator(a / lam**2, None)]
    [a/lam]
    >>> square_lost_from_denominator(a / lam, None)
    []

    A value the rules give as several terms over one denominator is taken as the author
    writes it, over that denominator (d/dη ne^η/(1 + e^η) = ne^η/(1 + e^η)²):

    >>> eta, n = sp.symbols("eta n", positive=True)
    >>> value = sp.diff(n * sp.exp(eta) / (1 + sp.exp(eta)), eta)
    >>> [w for w, _ in square_lost_from_denominator(value, None)]
    [n*exp(eta)/(exp(eta) + 1)]

    A bracket with a negative constant (p − 1)² is also lost as its author writes it,
    (1 − p)², and a probability's square is the rule's, not a role's:

    >>> from types import SimpleNamespace
    >>> q = sp.Symbol("q", positive=True)
    >>> roles = SimpleNamespace(role=lambda s: "probability")
    >>> [w for w, _ in square_lost_from_denominator(n / (q - 1) ** 2, roles)]
    [n/(q - 1), -n/(q - 1)]
    >>> [w for w, _ in square_lost_from_denominator(n / q**2, roles)]
    [n/q]
    """
    if isinstance(node, sp.Add) and sp.count_ops(node) <= 60:
        combined = sp.factor(node)
        if combined != node and isinstance(combined, (sp.Mul, sp.Pow)):
            node = combined
    if not isinstance(node, (sp.Mul, sp.Pow)):
        return []
    out: list[Variant] = []
    for f in sp.Mul.make_args(node):
        if not (f.is_Pow and f.exp == -2 and f.base.free_symbols):
            continue
        if isinstance(f.base, sp.Symbol) and _role_of_its_own(f.base, roles):
            continue  # (a probability's or a rate's square is the rule's, not a role's)
        wrong = node / f / f.base
        out.append((wrong, {"right": f, "wrong": 1 / f.base, "s": f.base, "value_only": True}))
        if isinstance(f.base, sp.Add) and f.base.as_coeff_Add()[0] < 0:
            # D² is (−D)² as well: the bracket as its author writes it, its constant first
            # ((1 − p)² where the rules give (p − 1)²), lost its square
            out.append((-wrong, {"right": f, "wrong": -1 / f.base, "s": -f.base,
                                 "value_only": True}))
    return out


# --- the Gamma recursion in other forms (names4) -------------------------------------------------


def _gammas_shifted(expr: sp.Basic) -> list[sp.gamma]:
    """The Γ(s + k) of ``expr`` (k a number ≥ 1, s not a number), in a fixed order."""
    out = []
    for g in expr.atoms(sp.gamma):
        k, s = g.args[0].as_coeff_Add()
        if k >= 1 and s.free_symbols:
            out.append(g)
    return sorted(out, key=sp.default_sort_key)


def _each_and_all(items: list[Any]) -> list[list[Any]]:
    """``items`` all at once, then each alone (only the first when there is one)."""
    return [items] if len(items) == 1 else [items, *([i] for i in items)]


def gamma_recursion_shifted_down(expr: sp.Basic, roles: Any) -> list[Variant]:
    """Γ(s + 1) = s·Γ(s) applied as Γ(s + 1) = (s − 1)·Γ(s): the factor of the recursion
    taken one too low, as Γ(n) = (n − 1)·Γ(n − 1) read at n = s (Γ(a + x + 1)/Γ(a + x)
    written a + x − 1). Every such Γ at once, and each one alone.

    >>> a = sp.Symbol("a", positive=True)
    >>> [w for w, _ in gamma_recursion_shifted_down(sp.gamma(a + 1) / sp.gamma(a), None)]
    [a - 1]
    """
    gammas = _gammas_shifted(expr)
    out: list[Variant] = []
    for chosen in (_each_and_all(gammas) if gammas else []):
        change = {g: (g.args[0] - 2) * sp.gamma(g.args[0] - 1) for g in chosen}
        g = chosen[0]
        s = g.args[0] - 1
        out.append((expr.xreplace(change),
                    {"right": s * sp.gamma(s), "wrong": (s - 1) * sp.gamma(s), "g": g, "s": s}))
    return out


def gamma_factorial_confused(expr: sp.Basic, roles: Any) -> list[Variant]:
    """Γ(n) = (n − 1)! taken as n! (Γ(n) written n!), or n! = Γ(n + 1) taken as Γ(n) (n!
    written Γ(n)): the recursion's shift by one lost between the two. Every Γ (every
    factorial) of a symbolic argument at once, and each one alone; not of an index a sum or
    an integral runs over. The written step must show the form said written (``shown``).

    >>> n = sp.Symbol("n", positive=True, integer=True)
    >>> [w for w, _ in gamma_factorial_confused(sp.gamma(n) / sp.factorial(n - 1), None)]
    [factorial(n)/factorial(n - 1), gamma(n)/gamma(n - 1)]
    """
    bound: set[sp.Basic] = set()
    for n in sp.preorder_traversal(expr):
        if isinstance(n, (sp.Sum, sp.Integral, sp.Product)):
            bound |= {lim[0] for lim in n.limits}

    def free(kind: type) -> list[sp.Basic]:  # of a free argument: a series' terms at its
        # index's first values fall on the poles of Γ, where n! and Γ(n) part ways
        return sorted((n for n in expr.atoms(kind) if n.args[0].free_symbols
                       and not n.args[0].free_symbols & bound), key=sp.default_sort_key)

    out: list[Variant] = []
    gammas, facts = free(sp.gamma), free(sp.factorial)
    for chosen in (_each_and_all(gammas) if gammas else []):
        u = chosen[0].args[0]
        new = [sp.factorial(g.args[0]) for g in chosen]
        out.append((expr.xreplace(dict(zip(chosen, new, strict=True))),
                    {"right": sp.factorial(u - 1), "wrong": sp.factorial(u), "g": chosen[0],
                     "s": u - 1, "shown": new}))
    for chosen in (_each_and_all(facts) if facts else []):
        u = chosen[0].args[0]
        new = [sp.gamma(f.args[0]) for f in chosen]
        out.append((expr.xreplace(dict(zip(chosen, new, strict=True))),
                    {"right": sp.gamma(u + 1), "wrong": sp.gamma(u), "g": chosen[0], "s": u,
                     "shown": new}))
    return out


# --- a multivariate Gaussian's KL (names4) -------------------------------------------------------


def dimension_lost_in_a_log(expr: sp.Basic, roles: Any) -> list[Variant]:
    """The dimension count D lost from the exponents inside one log: log(v^D/s^(2D)) (the
    log of det(vI)/det(s²I) in D dimensions) written log(v/s²), as if the determinant of a
    multiple of the identity were that multiple. D is a symbol that gives the shape of a
    vector or a matrix of the expression, or one the roles call a dimension; each log that
    holds D in an exponent alone.

    >>> d = sp.Symbol("d", positive=True, integer=True)
    >>> v, s = sp.symbols("v s", positive=True)
    >>> m = sp.MatrixSymbol("m", d, 1)
    >>> e = sp.log(v**d / s**(2 * d)) + sp.Trace(m.T * m)
    >>> [w for w, _ in dimension_lost_in_a_log(e, None)]
    [log(v/s**2) + Trace(m.T*m)]
    """
    having = getattr(roles, "having", None) if roles is not None else None
    counts = set(having("dimension")) if having is not None else set()
    counts |= _matrix_sizes(expr)
    out: list[Variant] = []
    for d in sorted(counts, key=str):
        for lg in sorted((n for n in expr.atoms(sp.log) if n.has(d)), key=sp.default_sort_key):
            arg = lg.args[0]
            if any(isinstance(n, (sp.Sum, sp.Integral, sp.Product)) for n in
                   sp.preorder_traversal(arg)):
                continue
            new_arg = arg.replace(lambda n, d=d: isinstance(n, sp.Pow) and n.exp.has(d),
                                  lambda n, d=d: n.base ** n.exp.xreplace({d: sp.S.One}))
            if new_arg == arg or new_arg.has(d):
                continue  # D stood elsewhere in the log too: not the exponents' count alone
            why = (f"{show(d)} counts the dimensions: the determinant of a multiple of the "
                   f"{show(d)}×{show(d)} identity is that multiple to the power {show(d)}, "
                   f"so {show(lg)} belongs here, not {show(sp.log(new_arg))}")
            out.append((expr.xreplace({lg: sp.log(new_arg)}),
                        {"right": lg, "wrong": sp.log(new_arg), "s": d, "why": why}))
    return out


def trace_ratio_flipped(node: sp.Basic, roles: Any) -> list[Variant]:
    """tr(A⁻¹B) written tr(B⁻¹A): the two covariances of a Gaussian KL's trace term
    exchanged, the matrix ratio turned over (tr(Σ₁⁻¹Σ₀) written tr(Σ₀⁻¹Σ₁)). For a trace of
    a product of exactly one inverse and one other square matrix, in either order.

    >>> n = sp.Symbol("n", positive=True, integer=True)
    >>> A, B = sp.MatrixSymbol("A", n, n), sp.MatrixSymbol("B", n, n)
    >>> [w for w, _ in trace_ratio_flipped(sp.Trace(A.I * B), None)]
    [Trace(B**(-1)*A)]
    """
    if not isinstance(node, sp.Trace) or not isinstance(node.arg, sp.MatMul):
        return []
    mats = [a for a in node.arg.args if getattr(a, "is_Matrix", False)]
    scalars = [a for a in node.arg.args if not getattr(a, "is_Matrix", False)]
    if len(mats) != 2:
        return []
    inv = [m for m in mats if isinstance(m, (sp.Inverse,)) or (
        isinstance(m, sp.MatPow) and m.exp == -1)]
    if len(inv) != 1:
        return []
    a = inv[0].args[0]
    b = mats[1] if mats[0] is inv[0] else mats[0]
    if isinstance(b, sp.Inverse) or (isinstance(b, sp.MatPow) and b.exp == -1) \
            or not b.is_square or a == b:
        return []
    wrong = sp.Trace(sp.Mul(*scalars) * sp.MatMul(b ** -1, a)) if scalars else \
        sp.Trace(sp.MatMul(b ** -1, a))
    return [(wrong, {"right": node, "wrong": wrong})]


# --- names5 (twelfth naming round): a factor of a log of a product applied to one of its logs --


def factor_on_one_log_term(node: sp.Basic, roles: Any) -> list[Variant]:
    """F·log(a·b) written with F on one of the logs it splits into only (log ab = log a +
    log b), or on all of them but one: −N·log(√(2π)·σ) written −N·log(2π)/2 − log σ, the
    count N kept on the constant's log and lost from log σ. F is a factor with symbols
    (numbers are left to the entries of halves and constants); the constants of the log's
    argument stay together as one log.

    >>> n, s, c = sp.symbols("n s c", positive=True)
    >>> [w for w, _ in factor_on_one_log_term(n * sp.log(c * s), None)]
    [n*log(s) + log(c), n*log(c) + log(s)]
    """
    if not isinstance(node, sp.Mul):
        return []
    out: list[Variant] = []
    for i, lg in enumerate(node.args):
        if not isinstance(lg, sp.log) or not isinstance(lg.args[0], sp.Mul):
            continue
        inside = lg.args[0].args
        constant = sp.Mul(*(g for g in inside if not g.free_symbols))
        parts = [sp.log(g) for g in inside if g.free_symbols]
        if constant != 1:
            parts.append(sp.log(constant))
        if len(parts) < 2:
            continue
        others = node.args[:i] + node.args[i + 1:]
        num = sp.Mul(*(f for f in others if f.is_Number))
        seen: set[sp.Basic] = set()
        for f in others:
            if f.is_Number or not f.free_symbols:
                continue
            rest = sp.Mul(*(g for g in others if g is not f and not g.is_Number))
            for j, t in enumerate(parts):
                keep = sp.Add(*(u for k, u in enumerate(parts) if k != j))
                for with_f, without in ((keep, t), (t, keep)):
                    wrong = num * rest * (f * with_f + without)
                    if wrong in seen:
                        continue
                    seen.add(wrong)
                    out.append((wrong, {"right": node, "wrong": wrong, "s": f,
                                        "term": without}))
    return out


# --- names8 (twelfth naming round) -----------------------------------------------------------


def trace_of_product_split(node: sp.Basic, roles: Any) -> list[tuple[sp.Basic, dict[str, Any]]]:
    """tr(X₁⋯Xₙ) written tr(X₁⋯Xₖ)·tr(Xₖ₊₁⋯Xₙ), at each cut of a product of matrices, and
    of each cyclic rotation of it (the same trace: tr(xᵀΣ⁻¹x) = tr(Σ⁻¹xxᵀ), split as
    tr(Σ⁻¹)·tr(xxᵀ)), both parts square; no number in front (where a number would go is a
    second choice).

    >>> A, B = sp.MatrixSymbol("A", 2, 2), sp.MatrixSymbol("B", 2, 2)
    >>> [w for w, _ in trace_of_product_split(sp.Trace(A * B), None)]
    [Trace(A)*Trace(B)]
    """
    if not isinstance(node, sp.Trace) or not isinstance(node.arg, sp.MatMul):
        return []
    factors = node.arg.args
    if len(factors) < 2 or not all(getattr(f, "is_Matrix", False) for f in factors):
        return []
    out: list[tuple[sp.Basic, dict[str, Any]]] = []
    seen: set[sp.Basic] = set()
    for r in range(len(factors)):
        turned = factors[r:] + factors[:r]
        for k in range(1, len(turned)):
            left, right = sp.MatMul(*turned[:k]), sp.MatMul(*turned[k:])
            if left.shape[0] != left.shape[1] or right.shape[0] != right.shape[1]:
                continue  # a trace of a square matrix only
            wrong = sp.Trace(left) * sp.Trace(right)
            if wrong not in seen:
                seen.add(wrong)
                out.append((wrong, {"right": node, "wrong": wrong}))
    return out


# --- names7 (twelfth naming round): a family's mean written wrong -------------------------------
# E[a + b·k] under a density of a declared named family, evaluated with its mean E[k] written
# as its square E[k]² or as the second moment E[k²] (the Fisher information E[x/λ²] of a
# Poisson mean written λ²/λ²). The degree-2 case is :func:`declared_moment_wrong`'s.


def declared_mean_wrong(expr: sp.Basic, roles: Any) -> list[Variant]:
    """E[g(k)] under a density declared in a named family, g of degree 1 in k, evaluated with
    the mean E[k] written as the square of the mean or as the second moment, where either
    differs from the mean (a Bernoulli's E[k²] is its mean: only E[k]² = p² is tried there).

    ``roles.before_families`` holds the previous line before its families were evaluated and
    the declared families (set by :class:`.mistakes._Context`); without it, nothing.

    >>> from types import SimpleNamespace
    >>> from elbo_derivation.decide.families import FAMILY_FACTS
    >>> lam = sp.Symbol("lam", positive=True)
    >>> k = sp.Symbol("k", integer=True, nonnegative=True)
    >>> p = sp.Function("p")(k)
    >>> roles = SimpleNamespace(before_families=(Expectation(k / lam**2, k, p),
    ...                                          {p: ("poisson", (lam,), k)}))
    >>> sorted(str(w) for w, _ in declared_mean_wrong(None, roles))
    ['(lam**2 + lam)/lam**2', '1']
    """
    original, families = getattr(roles, "before_families", (None, None))
    out: list[Variant] = []
    for node, params, var, facts, f in _declared_family_expectations(original, families):
        mean, variance = facts.mean(*params), facts.variance(*params)
        name = facts.name
        # the whole integrand, and each of its terms as written (the mean wrong in one term,
        # E[x/p² + (1 − x)/(1 − p)²] written p²/p² + (1 − p)/(1 − p)²)
        terms = sp.Add.make_args(f)
        ways = [(f, sp.S.Zero)] + ([(t, f - t) for t in terms] if len(terms) > 1 else [])
        for g, rest in ways:
            try:
                poly = sp.Poly(sp.expand(g), var)
            except Exception:
                continue
            if poly.degree() != 1 or any(c.has(var) for c in poly.coeffs()):
                continue
            b, a = poly.coeff_monomial(var), poly.coeff_monomial(1)
            out.extend(_mean_variants(original, node, families, a, b, rest, var, mean,
                                      variance, name))
    return out


def _mean_variants(original: sp.Basic, node: Expectation, families: Any, a: sp.Basic,
                   b: sp.Basic, rest: sp.Basic, var: sp.Basic, mean: sp.Basic,
                   variance: sp.Basic, name: str) -> list[Variant]:
    """The previous line with E[a + b·k + rest] evaluated with E[k] written wrong in the
    term a + b·k only (rest: its other terms, evaluated right)."""
    from elbo_derivation.decide.families import instantiate

    out: list[Variant] = []
    candidates = [(mean**2, f" (E[{show(var)}]², the square of the mean, for the mean "
                            f"{show(mean)} of the {name} distribution)"),
                  (variance + mean**2, f" (E[{show(var)}²], the second moment, for the "
                                       f"mean {show(mean)} of the {name} distribution)")]
    seen: list[sp.Basic] = []
    for w, used in candidates:
        if sp.simplify(w - mean) == 0 or any(sp.simplify(w - u) == 0 for u in seen):
            continue
        seen.append(w)
        try:
            kept = Expectation(rest.xreplace({var: node.variable}), node.variable,
                               node.density) if rest != 0 else sp.S.Zero
            wrong = instantiate(original.xreplace({node: a + b * w + kept}), families)[0]
        except Exception:
            continue
        if wrong.has(*families):
            continue
        out.append((wrong, {"right": mean, "wrong": w, "g": var, "x": var,
                            "used": used, "what": "moment"}))
    return out



def moment_with_std_for_variance(node: sp.Basic, roles: Any) -> list[Variant]:
    """∫ D(x) Σ cₜ gₜ(x) dx (an expectation under an explicit density) evaluated with one
    moment E[gₜ] holding the variance σ² of the density written with its standard deviation σ
    (E[x²] = σ² + μ² written σ + μ²; the Fisher information of a normal scale, E[3x²/σ⁴]
    written 3σ/σ⁴). σ is a symbol whose role is a standard deviation and that the density
    holds.

    >>> from types import SimpleNamespace
    >>> s = sp.Symbol("s", positive=True)
    >>> y = sp.Symbol("y", real=True)
    >>> dens = sp.exp(-y**2 / (2 * s**2)) / sp.sqrt(2 * sp.pi * s**2)
    >>> roles = SimpleNamespace(having=lambda r: [s] if r == "standard-deviation" else [])
    >>> [w for w, _ in moment_with_std_for_variance(Expectation(3 * y**2 / s**4, y, dens),
    ...                                               roles)]
    [3/s**3]
    """
    setup = _moment_setup(node) if isinstance(node, (sp.Integral, Expectation)) else None
    if setup is None or roles is None:
        return []
    x, dens, terms, expect, total, value = setup
    out: list[Variant] = []
    for std in roles.having("standard-deviation"):
        if not isinstance(std, sp.Symbol) or not dens.has(std):
            continue
        for c, g in terms:
            right = expect(g)
            if not right.has(std**2):
                continue
            w = right.subs(std**2, std)
            if w == right or right.has(std) is False or w.has(std**2):
                continue
            wrong = total * (value + c * (w - right))
            out.append((wrong, {"right": std**2, "wrong": std, "s": std, "g": g, "x": x}))
    return out



# --- names10 (fourteenth naming round): a factor lost under a construct the step keeps ----------
# ∫ x·C·x^(a−1)(1 − x)^(b−1) dx written C∫ x^(a−1)(1 − x)^(b−1) dx, Σ k·p(1 − p)^(k−1) written
# p·Σ (1 − p)^(k−1): the step keeps the integral (the sum) and rearranges around it, and a factor
# of its integrand is lost. Where the step evaluates the construct, a factor lost inside gives a
# value other mistakes give too (see :func:`_outside_logs`); where it keeps it, the written
# integrand shows the factor gone point by point (``same_integrand``, checked by the diagnosis)
# and nothing else changed there.

_KEPT_CONSTRUCTS = (sp.Integral, sp.Sum, Expectation)


def _in_kept_construct(expr: sp.Basic, path: tuple[int, ...]) -> bool:
    """Whether an integral, a sum or an expectation stands above the node at ``path``, and no
    log or derivative does (a factor of a log's argument is a term of the log; a derivative's
    factors are the rules', see :func:`factor_dropped_under_derivative`).

    >>> x = sp.Symbol("x")
    >>> _in_kept_construct(sp.Integral(2 * x, x), (0,)), _in_kept_construct(2 * x, ())
    (True, False)
    >>> _in_kept_construct(sp.Integral(sp.log(2 * x), x), (0, 0))
    False
    """
    return under(expr, path, _KEPT_CONSTRUCTS) and not under(expr, path,
                                                              (sp.log, sp.Derivative))


def _beside_its_power(f: sp.Basic, rest: sp.Basic) -> bool:
    """Whether the symbol ``f`` stands in ``rest`` only as the base of powers with a symbolic
    exponent (x beside x^(a−1)) or inside brackets and their powers ((1 − x)^(b−1)): the
    product as written keeps x apart from x^(a−1), and x^(a−1) written alone is x lost, not
    the product rewritten through x (a power with a number exponent, x², is a square, left to
    the entries of squares).

    >>> x, a = sp.symbols("x a", positive=True)
    >>> _beside_its_power(x, x**(a - 1) * (1 - x)**a), _beside_its_power(x, x**2 * a)
    (True, False)
    """
    if not f.is_Symbol:
        return False
    seen = False
    for g in sp.Mul.make_args(rest):
        if not g.has(f) or isinstance(g, sp.Add) or (g.is_Pow and isinstance(g.base, sp.Add)):
            continue
        if g.is_Pow and g.base == f and not g.exp.is_Number and not g.exp.has(f):
            seen = True
            continue
        return False
    return seen


def _merges_with_a_power(f: sp.Basic, rest: sp.Basic) -> bool:
    """Whether ``f`` is a power B^e with a symbolic exponent that another factor D^e of
    ``rest`` shares: the two merge into one power (BD)^e, so B^e lost is also the base of that
    power written wrong ((n − 1)^k·λ^k written n^k·λ^k beside ((n − 1)/n)^k·(nλ)^k): not
    named as a factor lost.

    >>> k, n, lam = sp.symbols("k n lam", positive=True)
    >>> _merges_with_a_power(((n - 1) / n) ** k, (n * lam) ** k), _merges_with_a_power(k, lam**k)
    (True, False)
    """
    if not (f.is_Pow and not f.exp.is_Number):
        return False
    return any(g.is_Pow and g.exp == f.exp for g in sp.Mul.make_args(rest))


def factor_dropped_in_kept(node: sp.Basic, roles: Any) -> list[Variant]:
    """A·F written A under an integral, a sum or an expectation that the step keeps: a factor
    F with symbols lost from a product of the integrand (:func:`factor_dropped` where a
    construct stands above), also a symbol written beside a power of itself (x·x^(a−1) written
    x^(a−1), see :func:`_beside_its_power`). The match is kept only where the step keeps
    the construct (``kept_only``) and the written integrand is the simulated one point by
    point (``same_integrand``); the page must show F fewer times (``drops``).

    >>> x, a, b = sp.symbols("x a b", positive=True)
    >>> [w for w, _ in factor_dropped_in_kept(x * x**(a - 1) * (1 - x)**(b - 1), None)]
    [x*(1 - x)**(b - 1), x**(a - 1)*(1 - x)**(b - 1)]
    >>> k, p = sp.symbols("k p", positive=True)
    >>> sorted(str(w) for w, _ in factor_dropped_in_kept(k * p * (1 - p)**(k - 1), None))
    ['k*(1 - p)**(k - 1)', 'p*(1 - p)**(k - 1)']
    """
    if not isinstance(node, sp.Mul):
        return []
    # (a Kronecker δ is what d/dv_j of a sum over i makes, never a factor the author wrote:
    # losing it is the index confused with the coordinate, index-confused's own mistake)
    out = [(w, {**b, "guard": _in_kept_construct, "kept_only": True, "same_integrand": True})
           for w, b in factor_dropped(node, roles)
           if not _merges_with_a_power(b["s"], b["wrong"])
           and not b["s"].has(sp.KroneckerDelta)]
    done = {w for w, _ in out}
    for i, f in enumerate(node.args):
        if f.is_Number or not f.is_Symbol:
            continue
        rest = sp.Mul(*(node.args[:i] + node.args[i + 1:]))
        if rest in done or rest.is_Number or not _beside_its_power(f, rest):
            continue
        why = (f"the factor {show(f)} of {show(node)} was lost ({show(rest)} written "
               f"for {show(node)})")
        out.append((rest, {"right": node, "wrong": rest, "s": f, "why": why,
                           "guard": _in_kept_construct, "kept_only": True,
                           "same_integrand": True, "drops": f}))
    return out


# --- o15b: the Gamma recursion's factor lost ---

def gamma_recursion_factor_lost(expr: sp.Basic, roles: Any) -> list[Variant]:
    """Γ(s + 1) = s·Γ(s) applied as Γ(s + 1) = Γ(s): the factor s of the recursion lost
    (the Beta mean Γ(α + β)Γ(α + 1)/(Γ(α)Γ(α + β + 1)) with Γ(α + 1) written Γ(α), which
    gives 1/(α + β) for α/(α + β)). For each Γ of an argument s + 1 (s not a number) whose
    Γ(s) stands in the expression too, as the recursion is used to cancel it; every such Γ
    at once, and each one alone.

    >>> a, b = sp.symbols("a b", positive=True)
    >>> e = sp.gamma(a + b) * sp.gamma(a + 1) / (sp.gamma(a) * sp.gamma(a + b + 1))
    >>> sorted(str(w) for w, _ in gamma_recursion_factor_lost(e, None))
    ['1', 'gamma(a + 1)/gamma(a)', 'gamma(a + b)/gamma(a + b + 1)']
    >>> gamma_recursion_factor_lost(sp.gamma(a + 1), None)
    []
    """
    gammas = []
    for g in expr.atoms(sp.gamma):
        k, s = g.args[0].as_coeff_Add()
        if k == 1 and s.free_symbols and expr.has(sp.gamma(s)):
            gammas.append(g)
    gammas.sort(key=sp.default_sort_key)
    out: list[Variant] = []
    for chosen in (_each_and_all(gammas) if gammas else []):
        g = chosen[0]
        s = g.args[0] - 1
        out.append((expr.xreplace({c: sp.gamma(c.args[0] - 1) for c in chosen}),
                    {"right": s * sp.gamma(s), "wrong": sp.gamma(s), "g": g, "s": s}))
    return out


# --- names11 (fifteenth naming round): a ratio turned over inside a longer product ---------------

def _reciprocal_factor(f: sp.Basic) -> bool:
    """Whether the factor ``f`` of a product stands in its denominator (a negative power)."""
    _, e = f.as_base_exp()
    return bool(e.is_number and e.is_negative)


def ratio_flipped_in_product(node: sp.Basic, roles: Any) -> list[Variant]:
    """A ratio a/b that is only part of a product written b/a, the other factors kept: the
    coefficient Γ(a + b)/(Γ(a)Γ(b)) in front of an integral written Γ(a)Γ(b)/Γ(a + b), a/b in
    a·u/(2b) written b·u/(2a), p/q in E[f·p/q] written E[f·q/p]. At least one factor above
    the line and one below turn over together, holding symbols or irrational constants (2π
    of 2π/θ), never a rational coefficient, a construct (an integral, a sum, an expectation,
    a derivative) or a precision (τ₂/τ₁ for τ₁/τ₂ is each variance for its precision); the
    whole ratio turned is :func:`_flip_ratio`'s own variant. Not inside a log's argument (a
    log's ratio turned over is log-ratio-flipped, a factor of it a term's sign). A product of
    at most four factors above and four below the line.

    >>> a, b, u = sp.symbols("a b u", positive=True)
    >>> sorted(str(w) for w, _ in ratio_flipped_in_product(a * u / (2 * b), None))
    ['a*b/(2*u)', 'b*u/(2*a)', 'b/(2*a*u)']
    >>> ratio_flipped_in_product(a / b, None)
    []
    >>> th = sp.Symbol("theta", positive=True)
    >>> sorted(str(w) for w, _ in ratio_flipped_in_product(sp.sqrt(2 * sp.pi / th), None))
    ['sqrt(2)*sqrt(pi)*sqrt(theta)/2', 'sqrt(2)*sqrt(theta)/sqrt(pi)']
    """
    if not isinstance(node, sp.Mul):
        return []
    role = (lambda s: None) if roles is None else roles.role
    # (a reciprocal alone turned over, 1/b written b, is not a ratio turned: it is a rate
    # written for its scale, a precision for its variance, whether or not the page declares
    # that role, so a factor above the line always turns with one below it)
    # a written constant such as 2π turns over with the symbols (√(2π/θ) written √(θ/(2π))),
    # a rational coefficient never (½ written 2 is a factor, not a ratio, wrong)
    # (nor a term of a series, a^k/k! or e^(−a): a power with a symbolic exponent, an
    # exponential, a factorial — turning those is no ratio a student writes, and each variant
    # of a series would have to be summed again)
    flippable = [i for i, f in enumerate(node.args) if (f.free_symbols or not f.is_Rational)
                 and not f.has(sp.Integral, sp.Sum, sp.Derivative, Expectation)
                 and not f.has(sp.exp, sp.factorial)
                 and f.as_base_exp()[1].is_number
                 and not any(role(s) == "precision" for s in f.free_symbols)]
    above = [i for i in flippable if not _reciprocal_factor(node.args[i])]
    below = [i for i in flippable if _reciprocal_factor(node.args[i])]
    if not below or len(above) > 4 or len(below) > 4:
        return []
    num, den = sp.fraction(node)
    out: list[Variant] = []
    seen: set[sp.Basic] = {node, den / num}
    for n_up in range(1, len(above) + 1):
        for up in itertools.combinations(above, n_up):
            for n_down in range(1, len(below) + 1):
                for down in itertools.combinations(below, n_down):
                    turned = set(up) | set(down)
                    if not any(node.args[i].free_symbols for i in turned):
                        continue
                    part = sp.Mul(*(node.args[i] for i in sorted(turned)))
                    wrong = sp.Mul(*(1 / f if i in turned else f
                                     for i, f in enumerate(node.args)))
                    if wrong in seen:
                        continue
                    seen.add(wrong)
                    out.append((wrong, {"right": part, "wrong": 1 / part,
                                        "guard": _outside_any_log}))
    return out


def _outside_any_log(expr: sp.Basic, path: tuple[int, ...]) -> bool:
    """Whether no log stands above the node at ``path``: a factor of a log's argument turned
    over is a term of the log with its sign changed (log(ab/c) written log(abc) is −log c
    written +log c), the sign entries' mistake."""
    return not under(expr, path, (sp.log,))
