"""Sums with symbolic bounds, by rule rather than by evaluation.

``Sum(f, (i, 1, D))`` with a symbolic D and an abstract f cannot be evaluated, but the rules a
textbook uses on it can be applied: linearity (Σ (a + b) = Σ a + Σ b), constants pulled out
(Σ c·f = c·Σ f), the sum of a constant (Σ_{i=1}^{D} c = D·c), index shifts
(Σ_{i=1}^{D} f(i) = Σ_{j=0}^{D−1} f(j + 1)) and splitting off first or last terms
(Σ_{i=1}^{D} f(i) = f(1) + Σ_{i=2}^{D} f(i)). :func:`sum_normal_form` writes every sum in one
canonical shape — its index running from 0 to a bound with no constant offset, its summand a
single term free of constant factors — so that two expressions equal by these rules get the
same form.

A step these rules do not prove is tried at small integer values of the symbolic bounds,
where every sum is finite and is evaluated exactly (:func:`at_integer_bounds`), with each
abstract function replaced by a concrete one (:func:`function_instance`): an identity about
every D and every f must hold for D = 3 and f(t) = t² + 2t + 3 too.

Examples
--------
>>> import sympy as sp
>>> i = sp.Symbol("i", integer=True)
>>> D = sp.Symbol("D", integer=True, positive=True)
>>> f = sp.Function("f", real=True)
>>> a = sum_normal_form(sp.Sum(2 * f(i) + 1, (i, 1, D)))[0]
>>> b = sum_normal_form(2 * (f(1) + sp.Sum(f(i), (i, 2, D))) + D)[0]
>>> sp.expand(a - b)
0
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import replace
from functools import lru_cache

import sympy as sp
from sympy.core.function import AppliedUndef

from elbo_derivation.core.order import ordered as in_order
from elbo_derivation.core.steps import Counterexample, Relation
from elbo_derivation.core.timeout import check_deadline, clock, run_bounded

__all__ = [
    "BETA_INTEGRAL",
    "BINOMIAL_THEOREM",
    "GAMMA_INTEGRAL",
    "GAUSSIAN_TAIL_INTEGRAL",
    "GEOMETRIC_SERIES",
    "INDEX_SHIFT",
    "INVERSE_GAMMA_INTEGRAL",
    "POLYNOMIAL_INTEGRAL",
    "PRODUCT_AS_SUM",
    "SUM_CONSTANT",
    "SUM_LINEARITY",
    "SUM_SPLIT",
    "TAIL_INTEGRAL",
    "at_integer_bounds",
    "beta_gamma_integrals",
    "beta_gamma_rules",
    "binomial_rules",
    "binomial_series",
    "data_entries",
    "exponential_series",
    "function_instance",
    "geometric_series",
    "has_polynomial_integral",
    "has_symbolic_product",
    "has_symbolic_sum",
    "polynomial_integrals",
    "products_as_sums",
    "refute_factorised",
    "resolve_conditions",
    "sum_normal_form",
    "unrolled_sums",
]

SUM_LINEARITY = "linearity of Σ (Σ (a + b) = Σ a + Σ b, Σ c·a = c·Σ a)"
SUM_CONSTANT = "Σ_{i=1}^{D} c = D·c"
INDEX_SHIFT = "shifting the index of a sum"
SUM_SPLIT = "splitting off terms of a sum"
PRODUCT_AS_SUM = ("a product of positive factors as the exponential of a sum, "
                  "∏ f = exp(Σ log f)")
POLYNOMIAL_INTEGRAL = "the integral of a polynomial over a bounded interval"
BETA_INTEGRAL = "the Beta integral ∫₀¹ t^(a−1)(1 − t)^(b−1) dt = Γ(a)Γ(b)/Γ(a + b) (a, b > 0)"
GEOMETRIC_SERIES = ("the geometric series Σ_{k≥0} r^k = 1/(1 − r) for |r| < 1 (and Σ k^m r^k, "
                    "from its derivatives)")
ABSORPTION = "the absorption identity k·C(n, k) = n·C(n − 1, k − 1)"
LOG_OF_POSITIVE_SUM = ("log of a product or quotient whose factors include a sum of positive "
                       "terms over a range that is not empty (such a sum is positive)")
BINOMIAL_THEOREM = "the binomial theorem Σ_{k=0}^{n} C(n, k) a^k b^(n−k) = (a + b)^n"
TAIL_INTEGRAL = ("the tail integral ∫_a^∞ e^(−rt) dt = e^(−ra)/r (r > 0; t^k e^(−rt) by "
                 "parts)")
GAMMA_INTEGRAL = "the Gamma integral ∫₀^∞ t^(a−1) e^(−bt) dt = Γ(a)/b^a (a, b > 0)"
GAUSSIAN_TAIL_INTEGRAL = ("the Gaussian tail integral ∫_a^∞ e^(−rt²) dt = √π/(2√r)·erfc(a√r) "
                          "and ∫_a^∞ t·e^(−rt²) dt = e^(−ra²)/(2r) (r > 0; t^k by parts)")
INVERSE_GAMMA_INTEGRAL = ("the Gamma integral in 1/t: ∫₀^∞ t^(−a−1) e^(−b/t) dt = Γ(a)/b^a "
                          "(a, b > 0; substitute t = 1/u)")

#: The canonical index of every sum in normal form.
_J = sp.Symbol("j_", integer=True, nonnegative=True)
#: the indices of the sums around one in normal form (Σ_i Σ_c f), outermost last
_OUTER_J = tuple(sp.Symbol(f"j_{k}_", integer=True, nonnegative=True) for k in range(1, 8))


def has_symbolic_sum(*exprs: sp.Expr) -> bool:
    """Whether a sum (or a product) in ``exprs`` has a bound that is not a number.

    >>> D = sp.Symbol("D", integer=True, positive=True)
    >>> i = sp.Symbol("i", integer=True)
    >>> has_symbolic_sum(sp.Sum(i, (i, 1, D))), has_symbolic_sum(sp.Sum(i, (i, 1, 3)))
    (True, False)
    """
    return any(any(lim[1].free_symbols or lim[2].free_symbols for lim in s.limits)
               for e in exprs for s in e.atoms(sp.Sum, sp.Product))


def has_symbolic_product(*exprs: sp.Expr) -> bool:
    """Whether a product in ``exprs`` over one index has a bound that is not a number.

    >>> T = sp.Symbol("T", integer=True, positive=True)
    >>> s = sp.Symbol("s", integer=True)
    >>> has_symbolic_product(sp.Product(s, (s, 1, T)))
    True
    >>> has_symbolic_product(sp.Product(s, (s, 1, 3)))
    False
    """
    return any(any(lim[1].free_symbols or lim[2].free_symbols for lim in n.limits)
               for e in exprs for n in e.atoms(sp.Product))


def products_as_sums(expr: sp.Expr, used: set[str] | None = None) -> sp.Expr:
    """``expr`` with every product ∏_{s=a}^{b} f(s) over one index with a symbolic bound and a
    factor positive by the assumptions written exp(Σ_{s=a}^{b} log f(s)): the rules of sums
    (splitting off the last factor, shifting the index) then apply to it, as to the
    cumulative product ᾱ_t = ∏_{s≤t} α_s = α_t·ᾱ_{t−1} of a diffusion's noise schedule (Ho,
    Jain & Abbeel 2020, sec. 2). Other products are left as they are. When a product was
    rewritten, :data:`PRODUCT_AS_SUM` is added to ``used``: this is the one place that
    rewrites products so, and every step it serves credits that rule.

    >>> T = sp.Symbol("T", integer=True, positive=True)
    >>> s = sp.Symbol("s", integer=True)
    >>> a = sp.Function("a", positive=True)
    >>> used = set()
    >>> products_as_sums(sp.Product(a(s), (s, 1, T)), used)
    exp(Sum(log(a(s)), (s, 1, T)))
    >>> used == {PRODUCT_AS_SUM}
    True
    >>> r = sp.Function("r", real=True)  # a factor of unknown sign: left alone
    >>> products_as_sums(sp.Product(r(s), (s, 1, T)))
    Product(r(s), (s, 1, T))
    """
    if not expr.has(sp.Product):
        return expr

    def value(node: sp.Basic) -> sp.Basic:
        if len(node.limits) != 1:
            return node
        i, lo, hi = node.limits[0]
        if not (lo.free_symbols or hi.free_symbols) or node.function.is_positive is not True:
            return node
        return sp.exp(sp.Sum(sp.expand_log(sp.log(node.function)), (i, lo, hi)))

    out = expr.replace(lambda n: isinstance(n, sp.Product), value)
    if used is not None and out != expr:
        used.add(PRODUCT_AS_SUM)
    return out


def _split_bound(bound: sp.Expr) -> tuple[sp.Expr, int]:
    """``D + 2`` → (D, 2); a bound without a constant integer offset → (bound, 0)."""
    const, rest = bound.as_coeff_Add()
    if const.is_Integer and rest != 0:
        return rest, int(const)
    return bound, 0


def _natural_shift(summand: sp.Expr, i: sp.Symbol) -> int:
    """The integer c such that the summand's functions are applied at i + c (f(i + 1) → 1):
    the index j = i + c makes them plain f(j)."""
    shifts = []
    for node in summand.atoms(AppliedUndef, sp.Indexed):
        for arg in (node.indices if isinstance(node, sp.Indexed) else node.args):
            c = sp.expand(arg - i)
            if c.is_Integer:
                shifts.append(int(c))
    if not shifts:  # C(n − 1, i − 1): the index j = i − 1 makes it C(n − 1, j)
        for node in summand.atoms(sp.binomial):
            c = sp.expand(node.args[1] - i)
            if c.is_Integer:
                shifts.append(int(c))
        if len(set(shifts)) > 1:
            return 0
    return min(shifts, key=abs) if shifts else 0


def _absorbed(summand: sp.Expr, i: sp.Symbol) -> sp.Expr:
    """Each term's factor k·C(n, k), k = i + a (a an integer), written n·C(n − 1, k − 1): the
    absorption identity, which holds at every integer k (both sides 0 at k = 0; Graham, Knuth
    and Patashnik, *Concrete Mathematics*, 1994, eq. 5.5).

    >>> k = sp.Symbol("k", integer=True)
    >>> n = sp.Symbol("n", integer=True, positive=True)
    >>> _absorbed(k * sp.binomial(n, k) * 2**k, k)
    2**k*n*binomial(n - 1, k - 1)
    """
    def one(term: sp.Expr) -> sp.Expr:
        factors = list(sp.Mul.make_args(term))
        for b in [f for f in factors if isinstance(f, sp.binomial)]:
            top, low = b.args
            if not sp.expand(low - i).is_Integer or low not in factors:
                continue
            factors.remove(low)
            factors.remove(b)
            return sp.Mul(*factors, top, sp.binomial(top - 1, low - 1))
        return term

    if not summand.has(sp.binomial):
        return summand
    return sp.Add(*[one(t) for t in sp.Add.make_args(sp.expand(summand))])


def _one_sum(summand: sp.Expr, i: sp.Symbol, lo: sp.Expr, hi: sp.Expr,
             used: set[str]) -> sp.Expr:
    """Σ_{i=lo}^{hi} summand in normal form: Σ_{j=0}^{V} g(j) with V free of a constant
    offset, plus the finitely many terms that shifting the bounds there takes out or adds."""
    if lo.is_infinite or hi.is_infinite:
        return sp.Sum(summand, (i, lo, hi))
    # the normal form's index, j_; a sum around one already in normal form takes the next
    # one, j_1_, so that the inner sum's index is not replaced with the outer one's
    J = next(k for k in (_J, *_OUTER_J) if not summand.has(k))
    absorbed = _absorbed(summand, i)
    if absorbed != summand and absorbed != sp.expand(summand):
        used.add(ABSORPTION)
        summand = absorbed
    c = _natural_shift(summand, i)
    g = summand.xreplace({i: J - c})
    lo, hi = sp.expand(lo + c), sp.expand(hi + c)
    if c:
        used.add(INDEX_SHIFT)
    out: list[sp.Expr] = []
    base = sp.S.Zero
    if lo.is_Integer and lo != 0:
        span = range(0, int(lo)) if lo > 0 else range(int(lo), 0)
        sign = -1 if lo > 0 else 1
        extra = [sign * g.xreplace({J: m}) for m in span]
        if all(not t.has(sp.zoo, sp.nan, sp.oo, -sp.oo) for t in extra):
            used.add(SUM_SPLIT)
            out.extend(extra)
        else:  # the summand is undefined below its lower bound: keep that bound
            base = lo
    elif not lo.is_Integer:  # a symbolic lower bound: shift the index to start at 0
        g = g.xreplace({J: J + lo})
        hi = sp.expand(hi - lo)
        used.add(INDEX_SHIFT)
    top, offset = _split_bound(hi)
    if offset and top.free_symbols:
        used.add(SUM_SPLIT)
        if offset > 0:  # peel the last terms: j = top + 1 ... top + offset
            out.extend(g.xreplace({J: top + m}) for m in range(1, offset + 1))
        else:  # put back the missing ones with a minus sign
            out.extend(-g.xreplace({J: top - m}) for m in range(0, -offset))
    else:
        top = hi
    terms = sp.Add.make_args(sp.expand(g))
    if len(terms) > 1:
        used.add(SUM_LINEARITY)
    for term in terms:
        coeff, dep = term.as_independent(J, as_Add=False)
        if dep == 1:
            used.add(SUM_CONSTANT)
            out.append(coeff * (top - base + 1))
            continue
        if coeff != 1:
            used.add(SUM_LINEARITY)
        # the index renamed back to the first one free in what stays under the sum: an
        # inner sum pulled out as a factor (Σ_j r_j e_j / Σ_k e_k) no longer makes the outer
        # index differ from the one the same sum gets when written outside from the start
        K = next(k for k in (_J, *_OUTER_J) if k == J or not dep.has(k))
        out.append(coeff * sp.Sum(dep.xreplace({J: K}), (K, base, top)))
    return sp.Add(*out)


@lru_cache(maxsize=256)
def sum_normal_form(expr: sp.Expr) -> tuple[sp.Expr, tuple[str, ...]]:
    """``expr`` with every sum over one index with finite symbolic bounds in normal form,
    and the rules used.

    Sums with numeric bounds are left to evaluation (``doit``), and infinite ones to the
    series SymPy knows.

    >>> i = sp.Symbol("i", integer=True)
    >>> N = sp.Symbol("N", integer=True, positive=True)
    >>> form, rules = sum_normal_form(sp.Sum(3, (i, 1, N)))
    >>> form, SUM_CONSTANT in rules
    (3*N, True)
    """
    used: set[str] = set()
    expr = _logs_of_positive_sums(expr, used)

    def visit(node: sp.Basic) -> sp.Basic:
        if not node.args:
            return node
        if isinstance(node, sp.Sum) and len(node.limits) > 1:
            # Σ_i Σ_j Σ_c f, written as one sum over several indices: the sums nested, the
            # first limit innermost, as SymPy orders them (built one sum at a time: SymPy
            # would merge Sum(Sum(f, a), b) back into one)
            out = visit(node.function)
            for i, lo, hi in node.limits:
                if lo.free_symbols or hi.free_symbols:
                    out = _one_sum(out, i, lo, hi, used)
                else:
                    out = sp.Sum(out, (i, lo, hi))
            return out
        new = node.func(*[visit(a) for a in node.args]) if node.has(sp.Sum) else node
        if isinstance(new, sp.Sum) and len(new.limits) == 1:
            i, lo, hi = new.limits[0]
            if lo.free_symbols or hi.free_symbols:
                return _one_sum(new.function, i, lo, hi, used)
        return new

    out = sp.expand(visit(expr))
    order = (LOG_OF_POSITIVE_SUM, ABSORPTION, INDEX_SHIFT, SUM_SPLIT, SUM_LINEARITY,
             SUM_CONSTANT)
    return out, tuple(r for r in order if r in used)


def _positive_sum(node: sp.Sum) -> bool:
    """Whether the sum ``node`` over one index is known positive: each term positive and
    the range not empty (its upper bound at least its lower one)."""
    if len(node.limits) != 1 or len(node.limits[0]) != 3:
        return False
    _, lo, hi = node.limits[0]
    return node.function.is_positive is True and (hi - lo).is_nonnegative is True


def _logs_of_positive_sums(expr: sp.Expr, used: set[str]) -> sp.Expr:
    """``expr`` with each log of a product or quotient expanded where its factors are
    positive, a sum of positive terms over a non-empty range counting as positive:
    log(e^a / Σ_j e^(b_j)) = a − log Σ_j e^(b_j) (a softmax's log).

    >>> j = sp.Symbol("j", integer=True)
    >>> V = sp.Symbol("V", integer=True, positive=True)
    >>> a = sp.Symbol("a", real=True)
    >>> b = sp.Function("b", real=True)
    >>> _logs_of_positive_sums(sp.log(sp.exp(a) / sp.Sum(sp.exp(b(j)), (j, 1, V))), set())
    a - log(Sum(exp(b(j)), (j, 1, V)))
    """
    if not expr.has(sp.log):
        return expr
    sums = [n for n in expr.atoms(sp.Sum) if _positive_sum(n)]
    if not sums:
        return expr
    stand_in = {n: sp.Dummy("S", positive=True) for n in sums}
    out = sp.expand_log(expr.xreplace(stand_in), deep=True)
    out = out.xreplace({v: k for k, v in stand_in.items()})
    if out != expr:
        used.add(LOG_OF_POSITIVE_SUM)
    return out


def function_instance(expr: sp.Expr) -> tuple[sp.Expr, str]:
    """``expr`` with each abstract real function of one argument replaced by a concrete
    one, and a note saying which (empty when there was none).

    Declared densities (named by their signature, ``q(z|x)``) are left alone: their
    instances are the linear-Gaussian model's (:mod:`~elbo_derivation.decide.rules`). The
    j-th function (in the order of the names) is (j + 1)t² + 2t + 3 + j, positive everywhere
    (its discriminant 4 − 4(j + 1)(3 + j) is negative), so it stands for a positive function
    too; different functions get different instances, so that x(i) − y(i) is not 0.

    >>> t = sp.Symbol("t", real=True)
    >>> function_instance(sp.Function("f", real=True)(t) + 1)[0]
    t**2 + 2*t + 4
    >>> function_instance(sp.Function("f", real=True)(t) - sp.Function("g", real=True)(t))[0]
    -t**2 - 1
    """
    nodes = {node: (f"{node.func.__name__}(t)", node.args[0])
             for node in expr.atoms(AppliedUndef)
             if not ("(" in node.func.__name__ or len(node.args) != 1
                     or node.is_real is not True)}  # a declared density is no function here
    # the entries v[i] of a declared vector are a function of the index, too
    nodes.update({node: (f"{node.base}[t]", node.indices[0]) for node in expr.atoms(sp.Indexed)
                  if len(node.indices) == 1 and node.is_real is True})
    # a quantity with two indices, w(t, i): t² + ts + s² + 2t + 3 (+ k(t² + s² + 1) for the
    # k-th), positive everywhere (its minimum is 5/3) and not a sum of functions of one index
    pairs = {node: f"{node.func.__name__}(t, s)" for node in expr.atoms(AppliedUndef)
             if "(" not in node.func.__name__ and len(node.args) == 2
             and node.is_real is True}
    if not nodes and not pairs:
        return expr, ""
    # each function its own instance (the same one for x(i) and y(i) would make x − y vanish)
    names = sorted({name for name, _ in nodes.values()})
    u = sp.Dummy("t")
    instances = {n: u**2 + 2 * u + 3 + k * (u**2 + 1) for k, n in enumerate(names)}
    notes = {n: f"{n} = {'' if k == 0 else k + 1}t² + 2t + {3 + k}"
             for k, n in enumerate(names)}
    # a sequence declared in an interval (α_t : (0, 1)) gets an instance inside it
    bounded = {name: getattr(node.func, "interval", None) for node, (name, _) in nodes.items()
               if isinstance(node, AppliedUndef)}
    for name, bounds in bounded.items():
        if bounds is not None:
            instances[name], notes[name] = _inside(instances[name], bounds, notes[name])
    note = ", ".join(notes[n] for n in names)
    subs = {node: instances[name].subs(u, arg) for node, (name, arg) in nodes.items()}
    for k, name in enumerate(sorted(set(pairs.values()))):
        for node in (n for n, m in pairs.items() if m == name):
            t, v = node.args
            subs[node] = t**2 + t * v + v**2 + 2 * t + 3 + k * (t**2 + v**2 + 1)
        extra = "" if k == 0 else f" + {k}(t² + s² + 1)"
        note += (", " if note else "") + f"{name} = t² + ts + s² + 2t + 3{extra}"
    return expr.xreplace(subs), note


def _inside(poly: sp.Expr, bounds: tuple[sp.Expr, sp.Expr], note: str,
            ) -> tuple[sp.Expr, str]:
    """The instance ``poly`` (≥ 2 everywhere) of a sequence moved into its declared interval
    ``bounds``: a + (b − a)/poly for finite bounds, a + poly or b − poly for a half-line.

    >>> t = sp.Symbol("t")
    >>> _inside(t**2 + 2*t + 3, (sp.S(0), sp.S(1)), "a(t) = t² + 2t + 3")
    (1/(t**2 + 2*t + 3), 'a(t) = 1/(t² + 2t + 3)')
    """
    lo, hi = bounds
    name, _, text = note.partition(" = ")
    if lo.is_finite and hi.is_finite:
        value, shown = lo + (hi - lo) / poly, f"{lo} + {hi - lo}/({text})"
        if lo == 0 and hi == 1:
            shown = f"1/({text})"
    elif lo.is_finite:
        value, shown = lo + poly, f"{lo} + {text}" if lo != 0 else text
    elif hi.is_finite:
        value, shown = hi - poly, f"{hi} − ({text})"
    else:
        return poly, note
    return value, f"{name} = {shown}"


def data_entries(*exprs: sp.Expr) -> tuple[list[sp.Expr], dict[sp.Symbol, sp.Expr]]:
    """``exprs`` with each entry of a sequence at a number that a declared density is
    applied at (``p(x(i)|z)`` at ``x(2)``) replaced by a real symbol of its own (``x_2``), and
    the replacement: the data values of a density factorised over dimensions, free for the
    densities' numeric instance to choose (every density one dimension's, at its own point).

    >>> i, z = sp.Symbol("i", integer=True), sp.Symbol("z", real=True)
    >>> x = sp.Function("x", real=True)
    >>> dens = sp.Function("p(x(i)|z)", positive=True)
    >>> (e,), subs = data_entries(sp.log(dens(x(2), z)) + x(2))
    >>> e, subs
    (x_2 + log(p(x(i)|z)(x_2, z)), {x_2: x(2)})
    """
    from elbo_derivation.core.networks import parse_shape

    taken = {str(s) for e in exprs for s in e.free_symbols}
    subs: dict[sp.Expr, sp.Symbol] = {}
    for e in exprs:
        for node in sorted(e.atoms(AppliedUndef), key=str):
            if node.is_positive is not True or parse_shape(node.func.__name__) is None:
                continue
            for a in node.args:
                if (isinstance(a, AppliedUndef) and len(a.args) == 1 and a.args[0].is_Integer
                        and a.is_real and a not in subs):
                    name = f"{a.func.__name__}_{a.args[0]}"
                    while name in taken:
                        name += "_"
                    taken.add(name)
                    subs[a] = sp.Symbol(name, real=True)
    return [e.xreplace(subs) for e in exprs], {v: k for k, v in subs.items()}


def _at_entry(node: sp.Basic) -> bool:
    """Whether ``node`` is a declared density applied at an entry of a sequence (x(i))."""
    from elbo_derivation.core.networks import parse_shape

    return node.is_positive is True and parse_shape(node.func.__name__) is not None and any(
        isinstance(a, AppliedUndef) and len(a.args) == 1 and a.args[0].is_integer is True
        for a in node.args)


def refute_factorised(lhs: sp.Expr, rhs: sp.Expr, relation: Relation,
                      domains: Mapping[sp.Symbol, sp.Interval] | None,
                      seconds: float) -> Counterexample | None:
    """A step about densities factorised over dimensions or data points (``Σ_i log
    p(x_i|z)`` with a symbolic number of terms) refuted at a small number of terms: every
    sum evaluated, each entry a density is applied at (x(2)) a data value of its own, and
    the densities the linear-Gaussian instance (each dimension's density at its own point, a
    special case of any factorised model), exactly
    (:func:`~elbo_derivation.decide.rules.refute_on_gaussian_instance`).
    Returns the counterexample, or None when the sides agree by the rules at each number
    tried or no point breaks them."""
    from elbo_derivation.decide.rules import normalize, refute_on_gaussian_instance

    if relation is Relation.EQ_UP_TO or not has_symbolic_sum(lhs, rhs) or not any(
            _at_entry(node) for e in (lhs, rhs) for node in e.atoms(AppliedUndef)):
        return None
    deadline = clock() + seconds
    for bounds, (a, b) in at_integer_bounds(lhs, rhs):
        (a, b), entries = data_entries(a, b)
        if not entries or a.has(sp.Sum, sp.Product) or b.has(sp.Sum, sp.Product):
            continue
        (a, b), note = function_instance(sp.Tuple(a, b))
        if sp.expand(normalize(a - b)) == 0:
            continue  # equal by the rules of expectations at this many terms
        left = deadline - clock()
        if left <= 0:
            return None
        out = run_bounded(lambda a=a, b=b: refute_on_gaussian_instance(a, b, relation, domains),
                          left)
        if out.ok and out.value is not None:
            where = ", ".join([*(f"{k} = {v}" for k, v in bounds.items()),
                               *(f"{k} standing for {v}" for k, v in entries.items())])
            extra = f" at {where}" + (f", with {note}" if note else "")
            ce = out.value
            return replace(
                ce, point={**ce.point, **{str(k): float(v) for k, v in bounds.items()}},
                note=ce.note + extra)
    return None


def at_integer_bounds(*exprs: sp.Expr) -> Iterator[tuple[dict[sp.Symbol, int],
                                                         list[sp.Expr]]]:
    """The ``exprs`` at small positive integer values of the symbols their sums' bounds
    use (each symbol declared integer), with the now finite sums evaluated exactly.

    >>> i = sp.Symbol("i", integer=True)
    >>> N = sp.Symbol("N", integer=True, positive=True)
    >>> next(at_integer_bounds(sp.Sum(i, (i, 1, N))))
    ({N: 1}, [1])
    """
    bounds: set[sp.Symbol] = set()
    for e in exprs:
        for s in e.atoms(sp.Sum, sp.Product):
            for lim in s.limits:
                bounds |= lim[1].free_symbols | lim[2].free_symbols
    if not bounds or any(b.is_integer is not True for b in bounds):
        return
    ordered = in_order(bounds)
    for k, values in enumerate(((1,), (2,), (3,), (5,))):
        check_deadline()
        point = {b: values[0] + (j % 2) * (k + 1) for j, b in enumerate(ordered)}
        if any(b.is_nonnegative is False for b in ordered):
            continue
        evaluated = [unrolled_sums(e.xreplace(point)).doit() if e.has(sp.Sum, sp.Product)
                     else e.xreplace(point) for e in exprs]
        yield point, evaluated


def unrolled_sums(expr: sp.Expr, most: int = 64) -> sp.Expr:
    """``expr`` with each sum over whole-number bounds (at most ``most`` terms) written out
    term by term, innermost first: what ``doit`` gives, without its search for a closed form
    (a sum of squared deviations from a sample mean, Σ_i (x_i − Σ_j x_j/N)², at N = 5 takes
    it seconds).

    >>> i = sp.Symbol("i", integer=True)
    >>> f = sp.Function("f")
    >>> unrolled_sums(sp.Sum(f(i) * sp.Sum(f(i), (i, 1, 2)), (i, 1, 2)))
    (f(1) + f(2))*f(1) + (f(1) + f(2))*f(2)
    """
    def one(node: sp.Expr) -> sp.Expr:
        if len(node.limits) != 1:
            return node
        (k, lo, hi), = node.limits
        if not (lo.is_Integer and hi.is_Integer) or hi - lo + 1 > most:
            return node
        return sp.Add(*[node.function.xreplace({k: sp.Integer(v)})
                        for v in range(int(lo), int(hi) + 1)])

    return expr.replace(lambda n: isinstance(n, sp.Sum), one)


def resolve_conditions(expr: sp.Expr, substitution: dict[sp.Symbol, sp.Expr]) -> sp.Expr:
    """``expr`` with each ``Piecewise`` (a series' condition of convergence, |r| < 1) replaced
    by its branch whose condition holds for every value the declarations allow:
    ``substitution`` writes each symbol declared in an interval through a positive variable
    (:func:`~elbo_derivation.decide.inequalities.interval_substitution`).

    >>> r = sp.Symbol("r", positive=True)
    >>> t = sp.Symbol("t", positive=True)
    >>> series = sp.Sum(r**sp.Symbol("k", integer=True, nonnegative=True),
    ...                 (sp.Symbol("k", integer=True, nonnegative=True), 0, sp.oo)).doit()
    >>> resolve_conditions(series, {r: t / (1 + t)})
    1/(1 - r)
    """
    if not expr.has(sp.Piecewise):
        return expr

    def pick(node: sp.Piecewise) -> sp.Expr:
        for value, cond in node.args:
            held = cond.xreplace(substitution) if substitution else cond
            if held is sp.true:
                return value
            if held is not sp.false:
                return node
        return node

    return expr.replace(lambda n: isinstance(n, sp.Piecewise), pick)


# --- gradients of expectations -------------------------------------------------------------

REPARAMETERISATION = ("reparameterisation z = μ + σε, ε ~ N(0, 1) (q Gaussian, f differentiable "
                      "with an integrable derivative)")
UNDER_THE_INTEGRAL = ("differentiation under the integral sign (Leibniz; the parameter does not "
                      "enter the limits, the derivative is dominated)")
SCORE_FUNCTION = "score function ∇E_q[f] = E_q[f ∇log q] (q differentiable in θ, ∫∇q = ∇∫q)"

#: The one integration variable every whole-line integral is renamed to before merging.
_U = sp.Symbol("u_", real=True)


def _as_integral(node: sp.Basic) -> sp.Integral | None:
    from elbo_derivation.core.expectation import Expectation

    if isinstance(node, Expectation):
        node = node.as_integral()
    if not isinstance(node, sp.Integral) or len(node.limits) != 1 or len(node.limits[0]) != 3:
        return None
    _, lo, hi = node.limits[0]
    if not (lo is sp.S.NegativeInfinity and hi is sp.oo):
        return None
    return node


def reparameterise(expr: sp.Expr) -> tuple[sp.Expr, bool]:
    """Every whole-line integral (or expectation) against a written-out Gaussian density of
    its variable, whose integrand holds an abstract function, written in the standard
    variable: ∫ N(z; μ, σ²) f(z) dz = ∫ N(ε; 0, 1) f(μ + σε) dε. Returns the expression and
    whether anything was rewritten.

    >>> z, m = sp.symbols("z m", real=True)
    >>> s = sp.Symbol("s", positive=True)
    >>> from elbo_derivation.decide.gaussian import gaussian_density
    >>> f = sp.Function("f", real=True)
    >>> line = (z, -sp.oo, sp.oo)
    >>> out, done = reparameterise(sp.Integral(gaussian_density(z, m, s) * f(z), line))
    >>> done, out.has(f(m + s * _U))
    (True, True)
    """
    from sympy.core.function import AppliedUndef

    from elbo_derivation.decide.gaussian import gaussian_density
    from elbo_derivation.decide.rules import gaussian_parameters

    changed = False

    def rewrite(node: sp.Basic) -> sp.Basic:
        nonlocal changed
        integral = _as_integral(node)
        if integral is None or not integral.function.has(AppliedUndef):
            return node
        z = integral.limits[0][0]
        factors = sp.Mul.make_args(integral.function)
        rest = sp.Mul(*[f for f in factors if f.has(AppliedUndef, sp.Derivative, sp.Subs)])
        density = sp.Mul(*[f for f in factors
                           if not f.has(AppliedUndef, sp.Derivative, sp.Subs)])
        params = gaussian_parameters(sp.powsimp(density), z)
        if params is None:
            return node
        mean, var = params
        changed = True
        moved = rest.xreplace({z: mean + sp.sqrt(var) * _U})
        return sp.Integral(gaussian_density(_U, 0, 1) * moved, (_U, -sp.oo, sp.oo))

    from elbo_derivation.core.expectation import Expectation

    out = expr.replace(lambda n: isinstance(n, (sp.Integral, Expectation)), rewrite)
    return out, changed


def merge_integrals(expr: sp.Expr) -> sp.Expr:
    """A sum of c_k · ∫ h_k over the whole line as one integral ∫ Σ c_k h_k (linearity), each
    integral's variable renamed to one; terms without such an integral are kept aside."""
    from elbo_derivation.core.expectation import Expectation

    expr = expr.replace(lambda n: isinstance(n, Expectation), lambda n: n.as_integral())
    inside: list[sp.Expr] = []
    outside: list[sp.Expr] = []
    for term in sp.Add.make_args(sp.expand(expr, log=False, power_base=False, mul=True)):
        coeff, rest = term.as_independent(sp.Integral, as_Add=False)
        integral = _as_integral(rest) if rest != 1 else None
        if integral is None or coeff.has(sp.Integral):
            outside.append(term)
            continue
        z = integral.limits[0][0]
        inside.append(coeff * integral.function.xreplace({z: _U}))
    if not inside:
        return expr
    return sp.Add(*outside) + sp.Integral(sp.Add(*inside), (_U, -sp.oo, sp.oo))


def log_ratios_combined(f: sp.Expr) -> sp.Expr:
    """``f`` with each pair c·log A − c·log B of its terms written c·log(A/B), where A and B
    are known positive and A/B cancels to something smaller (the log of a quotient read
    backwards): log(1 + eᶻ) − log(e^(−ξz) + e^((1−ξ)z)) is log(e^(ξz)) = ξz for a real z.
    Terms that pair with nothing are kept as they are.

    >>> z = sp.Symbol("z", real=True)
    >>> a = sp.Symbol("a", positive=True)
    >>> log_ratios_combined(sp.log(1 + sp.exp(z)) - sp.log(sp.exp(-a*z) + sp.exp((1 - a)*z)))
    a*z
    """
    terms = list(sp.Add.make_args(sp.expand(f, log=False, power_base=False, mul=True)))
    logs: list[tuple[sp.Expr, sp.Expr] | None] = []
    for term in terms:
        coeff, rest = term.as_independent(sp.log, as_Add=False)
        ok = isinstance(rest, sp.log) and rest.args[0].is_positive is True
        logs.append((coeff, rest.args[0]) if ok else None)
    used: set[int] = set()
    out: list[sp.Expr] = []
    for i, a in enumerate(logs):
        if a is None or i in used:
            continue
        for j in range(i + 1, len(terms)):
            b = logs[j]
            if b is None or j in used or sp.expand(a[0] + b[0]) != 0:
                continue
            ratio = sp.cancel(a[1] / b[1])
            if sp.count_ops(ratio) >= sp.count_ops(a[1]) + sp.count_ops(b[1]):
                continue
            used.update((i, j))
            out.append(a[0] * sp.expand_log(sp.log(ratio)))
            break
    if not used:
        return f
    return sp.Add(*out, *[t for k, t in enumerate(terms) if k not in used])


def differentiate(expr: sp.Expr) -> sp.Expr:
    """Each derivative evaluated from the outside in, an integral's by differentiating under
    the integral sign (without first trying to evaluate the integral)."""
    from elbo_derivation.core.expectation import Expectation

    def once(node: sp.Derivative) -> sp.Expr:
        inner = node.expr
        if isinstance(inner, Expectation):
            inner = inner.as_integral()
        wrt = {v for v, _ in node.variable_count}
        if isinstance(inner, sp.Integral) and all(
                not (set().union(*(a.free_symbols for a in lim[1:])) & wrt)
                for lim in inner.limits):
            # Leibniz: the limits do not move, so the derivative goes inside, unevaluated
            return sp.Integral(sp.diff(inner.function, *node.variable_count), *inner.limits)
        return node.doit(deep=False)

    for _ in range(4):
        new = expr.replace(lambda n: isinstance(n, sp.Derivative), once)
        if new == expr:
            break
        expr = new
    return expr


def _polynomial_integral(node: sp.Basic) -> sp.Expr | None:
    """∫_a^b P(x) dx for a polynomial P (any coefficients free of x) and finite a, b:
    the antiderivative at the ends, exactly; None for any other integral."""
    if not isinstance(node, sp.Integral) or len(node.limits) != 1 or len(node.limits[0]) != 3:
        return None
    x, lo, hi = node.limits[0]
    if not (lo.is_finite and hi.is_finite) or lo.has(x) or hi.has(x):
        return None
    body = node.function
    if body.has(sp.Integral, sp.Sum, sp.Derivative, AppliedUndef):
        return None
    if not body.has(x):  # a constant: ∫_a^b c dx = c·(b − a), the length of a tail
        return body * (hi - lo)
    try:
        poly = sp.Poly(body, x)
    except (sp.PolynomialError, sp.GeneratorsNeeded):
        return None
    if poly.degree() > 50 or any(c.has(x) for c in poly.coeffs()):
        return None
    anti = poly.integrate().as_expr()
    return anti.xreplace({x: hi}) - anti.xreplace({x: lo})


def polynomial_integrals(expr: sp.Expr) -> sp.Expr:
    """``expr`` with every integral of a polynomial over a bounded interval evaluated (the
    uniform distribution's moments, a triangle's area): ∫_a^b Σ c_k x^k dx =
    Σ c_k (b^{k+1} − a^{k+1})/(k + 1).

    >>> x, a = sp.Symbol("x", real=True), sp.Symbol("a", positive=True)
    >>> polynomial_integrals(sp.Integral((x - a / 2) ** 2 / a, (x, 0, a)))
    a**2/12
    >>> e = sp.Integral(sp.exp(x), (x, 0, 1))
    >>> polynomial_integrals(e) == e
    True
    """
    def value(node: sp.Basic) -> sp.Basic:
        out = _polynomial_integral(node)
        return node if out is None else sp.expand(out)

    return expr.replace(lambda n: isinstance(n, sp.Integral), value)


EXPONENTIAL_INTEGRAL = ("the integral of a polynomial times an exponential over a bounded "
                        "interval (∫_a^b P(x)e^(cx) dx by parts: a distribution function "
                        "such as P(X ≤ u) = 1 − e^(−λu))")


def _exponential_integral(node: sp.Basic) -> sp.Expr | None:
    """∫_a^b P(x)·e^(cx + d) dx for a polynomial P, c ≠ 0 and d free of x, a and b finite:
    the antiderivative e^(cx + d)·Σ_j (−1)^j P^(j)(x)/c^(j+1) at the ends, exactly; None for
    any other integral."""
    if not isinstance(node, sp.Integral) or len(node.limits) != 1 or len(node.limits[0]) != 3:
        return None
    x, lo, hi = node.limits[0]
    if not (lo.is_finite and hi.is_finite) or lo.has(x) or hi.has(x):
        return None
    body = node.function
    if body.has(sp.Integral, sp.Sum, sp.Derivative, AppliedUndef, sp.Piecewise):
        return None
    exps = [f for f in sp.Mul.make_args(body) if isinstance(f, sp.exp) and f.has(x)]
    if not exps:
        return None
    rest = sp.Mul(*[f for f in sp.Mul.make_args(body) if f not in exps])
    exponent = sp.expand(sp.Add(*[f.args[0] for f in exps]))
    try:
        line = sp.Poly(exponent, x)
        poly = sp.Poly(rest, x)
    except (sp.PolynomialError, sp.GeneratorsNeeded):
        return None
    if line.degree() != 1 or poly.degree() > 20 or any(
            c.has(x) for c in (*line.coeffs(), *poly.coeffs())):
        return None
    c = line.coeff_monomial(x)
    if c.is_zero is not False:
        return None
    terms, derivative = [], poly
    for j in range(poly.degree() + 1):
        terms.append((-1) ** j * derivative.as_expr() / c ** (j + 1))
        derivative = derivative.diff(x)
    anti = sp.exp(exponent) * sp.Add(*terms)
    return anti.xreplace({x: hi}) - anti.xreplace({x: lo})


def exponential_integrals(expr: sp.Expr, used: set[str] | None = None) -> sp.Expr:
    """``expr`` with every integral :func:`_exponential_integral` evaluates evaluated, its
    rule added to ``used``.

    >>> x = sp.Symbol("x", real=True)
    >>> lam, u = sp.symbols("lam u", positive=True)
    >>> exponential_integrals(sp.Integral(lam * sp.exp(-lam * x), (x, 0, u)))
    1 - exp(-lam*u)
    """
    def value(node: sp.Basic) -> sp.Basic:
        out = _exponential_integral(node)
        if out is None:
            return node
        if used is not None:
            used.add(EXPONENTIAL_INTEGRAL)
        return sp.expand(out)

    return expr.replace(lambda n: isinstance(n, sp.Integral), value)


def has_polynomial_integral(*exprs: sp.Expr) -> bool:
    """Whether any of ``exprs`` holds an integral :func:`polynomial_integrals` evaluates."""
    return any(_polynomial_integral(n) is not None for e in exprs
               for n in e.atoms(sp.Integral))


def _power_factors(body: sp.Expr, t: sp.Symbol) -> tuple[sp.Expr, sp.Expr, sp.Expr,
                                                           sp.Expr] | None:
    """``body`` as c·t^p·(1 − t)^q·e^(g): (c, p, q, g) with c, p, q free of t and g the sum of
    the exponents of its exponentials; None when a factor has any other shape."""
    const, p, q, g = [], sp.S.Zero, sp.S.Zero, sp.S.Zero
    for f in sp.Mul.make_args(body):
        if not f.has(t):
            const.append(f)
            continue
        if isinstance(f, sp.exp):
            g += f.args[0]
            continue
        base, exp = f.as_base_exp()
        if exp.has(t):
            return None
        if base == t:
            p += exp
        elif sp.expand(base - (1 - t)) == 0:
            q += exp
        else:
            return None
    return sp.Mul(*const), p, q, sp.expand(g)


def _positive_on_ranges(e: sp.Expr, ranges: Mapping[sp.Symbol, sp.Interval] | None,
                        ) -> bool:
    """Whether ``e`` is positive by the assumptions, or, linear in a symbol declared in a
    closed range with symbolic ends (``k : integer [0, n]``), positive at both ends of it (a
    linear function is positive on an interval where it is at its ends): β + n − k > 0 for
    k in [0, n] because β + n > 0 and β > 0.

    >>> k, b = sp.Symbol("k", integer=True), sp.Symbol("b", positive=True)
    >>> n = sp.Symbol("n", integer=True, nonnegative=True)
    >>> ranges = {k: sp.Interval(0, n)}
    >>> _positive_on_ranges(b + n - k, ranges), _positive_on_ranges(b - k, ranges)
    (True, False)
    """
    if e.is_positive is True:
        return True
    for s, iv in (ranges or {}).items():
        if s not in e.free_symbols or not (iv.inf.is_finite and iv.sup.is_finite):
            continue
        try:
            if sp.Poly(e, s).degree() != 1:
                continue
        except sp.PolynomialError:
            continue
        rest = {r: v for r, v in ranges.items() if r != s}
        if all(_positive_on_ranges(sp.expand(e.xreplace({s: end})), rest)
               for end in (iv.inf, iv.sup)):
            return True
    return False


def _beta_gamma_integral(node: sp.Basic, subs: Mapping[sp.Symbol, sp.Expr] | None = None,
                         ranges: Mapping[sp.Symbol, sp.Interval] | None = None,
                         ) -> tuple[sp.Expr, str] | None:
    """(the value, the rule) of ∫₀¹ c·t^p(1 − t)^q dt = c·B(p + 1, q + 1) or of
    ∫₀^∞ c·t^p·e^(−rt + s) dt = c·e^s·Γ(p + 1)/r^(p + 1), when the assumptions (and the
    declared intervals, ``subs`` as for :func:`_decay`) make p + 1, q + 1 and r positive (the
    integral converges); None otherwise. An integral over (−∞, 0] is one over [0, ∞) with the
    variable negated, and one over the whole line the sum of the two halves (both converging;
    so |t| = t on each: the Laplace MGF ∫ e^(tx)·e^(−|x|)/2 dx, Gut 2013, ch. 4), after a
    translation t → t + k when every |a·t + c| in it has its kink at one point k ≠ 0 (the
    Laplace density of location k)."""
    if not isinstance(node, sp.Integral) or len(node.limits) != 1 or len(node.limits[0]) != 3:
        return None
    t, lo, hi = node.limits[0]
    body = node.function
    if lo == -sp.oo and t.is_real and body.has(t) and not body.has(
            sp.Integral, sp.Sum, sp.Derivative, AppliedUndef):
        u = sp.Dummy(str(t), positive=True)
        if hi is sp.oo and (kink := _single_kink(body, t)) is not None:
            # ∫_ℝ f(t) dt = ∫_ℝ f(t + k) dt (a translation): the one kink of |t − k| moves
            # to 0, where the halves below split the line (the Laplace density of location k)
            return _beta_gamma_integral(sp.Integral(body.xreplace({t: t + kink}),
                                                    (t, lo, hi)), subs)
        if hi is sp.oo:
            uneven = _uneven_at_a_point(body, t)
            if uneven and not any(f.has(t) for f in body.atoms(sp.Abs, sp.sign)) and any(
                    _uneven_at_a_point(e.args[0], t) for e in _exponentials(body, t)):
                # without |t| each half decays only by an exponent even in t (a linear rate
                # cannot hold on both halves): a shifted Gaussian's e^(−(t − m)²) is neither
                return None
            # an even integrand over the whole line is twice its integral over (0, ∞)
            if not uneven and sp.expand(body.xreplace({t: -u}) - body.xreplace({t: u})) == 0:
                half = _beta_gamma_integral(sp.Integral(body.xreplace({t: u}), (u, 0, sp.oo)),
                                            subs, ranges)
                return None if half is None else (2 * half[0], half[1])
            right = _beta_gamma_integral(sp.Integral(body.xreplace({t: u}), (u, 0, sp.oo)),
                                         subs, ranges)
            left = _beta_gamma_integral(sp.Integral(body.xreplace({t: -u}), (u, 0, sp.oo)),
                                        subs, ranges)
            if right is None or left is None or right[1] != left[1]:
                return None
            return right[0] + left[0], right[1]
        if hi == 0:  # ∫_{−∞}^0 f(t) dt = ∫_0^∞ f(−u) du
            return _beta_gamma_integral(sp.Integral(body.xreplace({t: -u}), (u, 0, sp.oo)),
                                        subs, ranges)
        return None
    if lo != 0 or not (hi == 1 or hi is sp.oo):
        return None
    if body.has(sp.Integral, sp.Sum, sp.Derivative, AppliedUndef) or not body.has(t):
        return None
    if t.is_positive is not True:  # inside (0, 1) or (0, ∞) the variable is positive, so
        u = sp.Dummy(str(t), positive=True)  # y^(1−k)·y^(k−1) = 1 and log y^m = m log y
        return _beta_gamma_integral(sp.Integral(sp.powsimp(body.xreplace({t: u})),
                                                (u, lo, hi)), subs, ranges)
    terms = sp.Add.make_args(sp.expand(body))
    if len(terms) > 1:  # linearity of the integral: each term its own Beta or Gamma integral
        if len(terms) > 16:
            return None
        parts = [_beta_gamma_integral(sp.Integral(term, node.limits[0]), subs, ranges)
                 for term in terms]
        if any(part is None for part in parts) or len({rule for _, rule in parts}) != 1:
            return None
        return sp.Add(*[value for value, _ in parts]), parts[0][1]
    # (2t)^(p/2) = 2^(p/2)·t^(p/2) for t > 0 (a substitution x = √(2t) leaves such factors)
    found = _power_factors(sp.powsimp(sp.expand_power_base(body), combine="exp"), t)
    if found is None:
        return None
    c, p, q, g = found
    if hi is sp.oo and q == 0 and (inverse := _inverse_gamma_integral(
            c, p, g, t, subs, ranges)) is not None:
        return inverse
    if not _positive_on_ranges(p + 1, ranges):
        return None
    if hi == 1:
        if g != 0 or not _positive_on_ranges(q + 1, ranges):
            return None
        return c * sp.gamma(p + 1) * sp.gamma(q + 1) / sp.gamma(p + q + 2), BETA_INTEGRAL
    if q != 0:
        return None
    found = _decay(g, t, subs=subs)
    if found is None:
        found = _decay(g, t, degree=2, subs=subs)
        if found is None:
            return None
        rate, shift = found  # u = t²: ∫₀^∞ t^p e^(−rt²) dt = Γ((p + 1)/2)/(2 r^((p + 1)/2))
        return (c * sp.exp(shift) * sp.gamma((p + 1) / 2) / (2 * rate ** ((p + 1) / 2)),
                GAMMA_INTEGRAL)
    rate, shift = found
    return c * sp.exp(shift) * sp.gamma(p + 1) / rate ** (p + 1), GAMMA_INTEGRAL


def _inverse_gamma_integral(c: sp.Expr, p: sp.Expr, g: sp.Expr, t: sp.Symbol,
                            subs: Mapping[sp.Symbol, sp.Expr] | None,
                            ranges: Mapping[sp.Symbol, sp.Interval] | None,
                            ) -> tuple[sp.Expr, str] | None:
    """(the value, the rule) of ∫₀^∞ c·t^p·e^(−r/t + s) dt = c·e^s·Γ(−p − 1)/r^(−p − 1), the
    normaliser and the moments of an inverse-gamma density (the substitution t = 1/u makes
    it the Gamma integral of u^(−p−2)·e^(−ru)), when r > 0 and −p − 1 > 0 (by the assumptions,
    or the declared intervals through ``subs``: α − 1 > 0 for α in (1, ∞)); None otherwise.

    >>> t, a, b = (sp.Symbol(n, positive=True) for n in "tab")
    >>> _inverse_gamma_integral(sp.S(1), -a - 2, -b / t, t, None, None)
    (b**(-a - 1)*gamma(a + 1), 'the Gamma integral in 1/t: ...')
    >>> _inverse_gamma_integral(sp.S(1), -a, -b / t, t, None, None) is None  # a − 1 unknown
    True
    """
    if not g.has(t):
        return None
    u = sp.Dummy("u", positive=True)
    found = _decay(sp.expand(g.xreplace({t: 1 / u})), u, subs=subs)
    if found is None:
        return None
    order = -p - 1
    if not _positive_on_ranges(order, ranges) and not (
            subs and order.free_symbols & set(subs)
            and sp.factor(sp.together(order.xreplace(dict(subs)))).is_positive is True):
        return None
    rate, shift = found
    return c * sp.exp(shift) * sp.gamma(order) / rate ** order, INVERSE_GAMMA_INTEGRAL


def _single_kink(body: sp.Expr, t: sp.Symbol) -> sp.Expr | None:
    """The point k ≠ 0 where every |a·t + c| and sign(a·t + c) of ``body`` (a, c free of
    ``t``, a ≠ 0) changes its form, when they all share that one real point (k = −c/a);
    None when there is no such factor, when they change at 0 already, at several points, or
    at one not known to be real, or when an argument is not linear in ``t``.

    >>> x, m = sp.Symbol("x", real=True), sp.Symbol("m", real=True)
    >>> _single_kink(sp.exp(-sp.Abs(2*x - 2*m)) * sp.Abs(m - x), x)
    m
    >>> _single_kink(sp.Abs(x - m) + sp.Abs(x), x) is None
    True
    """
    kinks: set[sp.Expr] = set()
    for node in body.atoms(sp.Abs, sp.sign):
        arg = node.args[0]
        if not arg.has(t):
            continue
        try:
            poly = sp.Poly(arg, t)
        except (sp.PolynomialError, sp.GeneratorsNeeded):
            return None
        if poly.degree() != 1:
            return None
        a, c = poly.all_coeffs()
        if a.has(t) or c.has(t) or a.is_zero is not False:
            return None
        kinks.add(sp.cancel(-c / a))
        if len(kinks) > 1:
            return None
    if len(kinks) != 1:
        return None
    (k,) = kinks
    if k == 0 or k.is_real is not True or k.is_finite is not True:
        return None
    return k


def _uneven_at_a_point(body: sp.Expr, t: sp.Symbol) -> bool:
    """True when ``body`` at t = t₀ and at t = −t₀, every other symbol put at a value its
    assumptions allow, are two finite real numbers that differ (so ``body`` is not even in
    ``t``); False when they agree or a value is not a finite real number (nothing shown).

    A cheap screen before the symbolic test of evenness, which expands both sides.

    >>> x, m = sp.Symbol("x", real=True), sp.Symbol("m", real=True)
    >>> _uneven_at_a_point(sp.exp(-(x - m)**2), x), _uneven_at_a_point(sp.exp(-x**2), x)
    (True, False)
    """
    values: dict[sp.Symbol, sp.Expr] = {}
    for k, s in enumerate(sorted(body.free_symbols - {t}, key=str)):
        if s.is_integer:
            values[s] = sp.Integer(2 + k % 3)
        elif s.is_negative or s.is_nonpositive:
            values[s] = -sp.Rational(37 + 11 * k, 53)
        else:  # positive, non-negative, real or unrestricted: a value in (0, 1) fits them all
            values[s] = sp.Rational(37 + 11 * k, 53 + 60 * k)
    at = body.xreplace(values)
    t0 = sp.Rational(29, 41)
    try:
        a = complex(at.xreplace({t: t0}).evalf(30))
        b = complex(at.xreplace({t: -t0}).evalf(30))
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return False
    if a.imag or b.imag or not all(map(math.isfinite, (a.real, b.real))):
        return False
    return abs(a.real - b.real) > 1e-9 * max(1.0, abs(a.real), abs(b.real))


def _exponentials(expr: sp.Basic, t: sp.Symbol) -> Iterator[sp.exp]:
    """The exponentials in ``expr`` that depend on ``t``, those inside a log left out (a log
    of an exponential is its exponent, a factor of the integrand, not its decay)."""
    if isinstance(expr, sp.log) or not expr.has(t):
        return
    if isinstance(expr, sp.exp):
        yield expr
    for arg in expr.args:
        yield from _exponentials(arg, t)


def _decay(g: sp.Expr, t: sp.Symbol, degree: int = 1,
           subs: Mapping[sp.Symbol, sp.Expr] | None = None) -> tuple[sp.Expr, sp.Expr] | None:
    """(r, s) for an exponent g = −r·t + s linear in ``t`` (or g = −r·t² + s, for
    ``degree=2``) with r positive by the assumptions, or by the declared intervals (``subs``
    writes each symbol declared in an interval through a positive variable covering it, as
    :func:`.inequalities.interval_substitution` does: 1 − s > 0 for s in (−1, 1)) (the decay
    of e^g); None otherwise.

    >>> t, r = sp.Symbol("t", positive=True), sp.Symbol("r", positive=True)
    >>> _decay(-t**2/(2*r), t, degree=2)
    (1/(2*r), 0)
    >>> _decay(-t**2 + t, t, degree=2) is None
    True
    """
    try:
        poly = sp.Poly(g, t)
    except (sp.PolynomialError, sp.GeneratorsNeeded):
        return None
    coeffs = poly.all_coeffs()
    if poly.degree() != degree or any(c != 0 for c in coeffs[1:-1]):
        return None
    slope, shift = coeffs[0], coeffs[-1]
    if (-slope).is_positive is True:
        return -slope, shift
    if subs and (-slope).free_symbols & set(subs):
        inside = sp.factor(sp.together((-slope).xreplace(dict(subs))))
        if inside.is_positive is True:
            return -slope, shift
    return None


def _tail_integral(node: sp.Basic, subs: Mapping[sp.Symbol, sp.Expr] | None = None,
                   ) -> tuple[sp.Expr, str] | None:
    """(the value, the rule) of ∫_a^∞ c·t^k·e^(−rt + s) dt over a tail (a finite lower bound
    a ≠ 0, free of t; k a whole number ≥ 0, r positive by the assumptions), term by term:
    e^(−ra)·Σ_{j=0}^{k} k!/(k − j)!·a^(k−j)/r^(j+1) (integration by parts; Ross 2014, sec.
    5.5); None otherwise."""
    if not isinstance(node, sp.Integral) or len(node.limits) != 1 or len(node.limits[0]) != 3:
        return None
    t, lo, hi = node.limits[0]
    if hi is not sp.oo or lo.has(t) or lo.is_finite is not True or lo.is_real is not True:
        return None
    body = node.function
    if body.has(sp.Integral, sp.Sum, sp.Derivative, AppliedUndef) or not body.has(t):
        return None
    terms = sp.Add.make_args(sp.expand(body))
    if len(terms) > 16:
        return None
    total = []
    rule = TAIL_INTEGRAL
    for term in terms:
        found = _power_factors(sp.powsimp(term, combine="exp"), t)
        if found is None:
            return None
        c, k, q, g = found
        if q != 0 or not (k.is_Integer and 0 <= k <= 20):
            return None
        decay = _decay(g, t, subs=subs)
        if decay is None:
            gaussian = _gaussian_exponent(g, t, subs)
            if gaussian is None or k > 8:
                return None
            rate, m, shift = gaussian  # −r(t − m)² + s: t = u + m, (u + m)^k expanded
            total.append(c * sp.exp(shift) * sp.Add(*[
                sp.binomial(int(k), j) * m ** (int(k) - j) * _gaussian_tail(j, lo - m, rate)
                for j in range(int(k) + 1)]))
            rule = GAUSSIAN_TAIL_INTEGRAL
            continue
        rate, shift = decay
        k = int(k)
        total.append(c * sp.exp(shift) * sp.exp(-rate * lo) * sp.Add(*[
            sp.factorial(k) / sp.factorial(k - j) * lo ** (k - j) / rate ** (j + 1)
            for j in range(k + 1)]))
    return sp.Add(*total), rule


def _gaussian_exponent(g: sp.Expr, t: sp.Symbol, subs: Mapping[sp.Symbol, sp.Expr] | None,
                       ) -> tuple[sp.Expr, sp.Expr, sp.Expr] | None:
    """(r, m, s) for an exponent g = −r·t² + b·t + c quadratic in ``t`` with r positive (as
    :func:`_decay` decides it): g = −r(t − m)² + s, m = b/(2r), s = c + b²/(4r); else None."""
    try:
        poly = sp.Poly(g, t)
    except (sp.PolynomialError, sp.GeneratorsNeeded):
        return None
    if poly.degree() != 2:
        return None
    a2, b, c = poly.all_coeffs()
    found = _decay(a2 * t**2, t, degree=2, subs=subs)
    if found is None:
        return None
    r = found[0]
    m = b / (2 * r)
    return r, m, c + b**2 / (4 * r)


def _gaussian_tail(k: int, a: sp.Expr, r: sp.Expr) -> sp.Expr:
    """∫_a^∞ t^k·e^(−rt²) dt (r > 0, k ≥ 0 whole): √π/(2√r)·erfc(a√r) for k = 0,
    e^(−ra²)/(2r) for k = 1, and by parts a^(k−1)e^(−ra²)/(2r) + (k − 1)/(2r)·(the integral
    of t^(k−2)) above: the tails of a standard normal, Φ(−a) = ∫_a^∞ φ(t) dt and
    ∫_a^∞ t φ(t) dt = φ(a) (Wu et al. 2019, the moments of a rectified Gaussian).

    >>> a = sp.Symbol("a", real=True)
    >>> _gaussian_tail(1, a, sp.Rational(1, 2))
    exp(-a**2/2)
    >>> sp.simplify(_gaussian_tail(0, a, sp.Rational(1, 2)) / sp.sqrt(2 * sp.pi)
    ...             - (1 - sp.erf(a / sp.sqrt(2))) / 2)
    0
    """
    if k == 0:
        return sp.sqrt(sp.pi) / (2 * sp.sqrt(r)) * (1 - sp.erf(a * sp.sqrt(r)))
    if k == 1:
        return sp.exp(-r * a**2) / (2 * r)
    return (a ** (k - 1) * sp.exp(-r * a**2) / (2 * r)
            + sp.Rational(k - 1) / (2 * r) * _gaussian_tail(k - 2, a, r))


def _iterated_integral(node: sp.Basic, subs: Mapping[sp.Symbol, sp.Expr] | None = None,
                       ranges: Mapping[sp.Symbol, sp.Interval] | None = None,
                       ) -> tuple[sp.Expr, tuple[str, ...]] | None:
    """(the value, the rules) of an integral each of whose integrations, innermost first,
    is a Beta, Gamma or tail integral (∫_0^∞ (∫_x^∞ λe^(−λy) dy) dx, Ross 2014, lemma 5.2.1:
    the inner one a function of x, then the outer one); None unless every one is.

    Remembered for each (integral, ``subs``): the calculus tier asks whether it applies and
    then evaluates, and consecutive steps share their integrals, so the same integral is
    otherwise taken apart many times (a whole-line integral twice, by its halves, each
    expanded term by term). The answer depends on nothing else (SymPy expressions compare
    by structure and assumptions). A search stopped by its time bound leaves nothing behind.
    """
    key = None if not subs else frozenset(subs.items())
    return _iterated_integral_of(node, key, None if not ranges else frozenset(ranges.items()))


@lru_cache(maxsize=1024)
def _iterated_integral_of(node: sp.Basic, subs_key: frozenset | None,
                          ranges_key: frozenset | None = None,
                          ) -> tuple[sp.Expr, tuple[str, ...]] | None:
    """:func:`_iterated_integral` with ``subs`` and ``ranges`` as frozen sets of their items."""
    subs = None if subs_key is None else dict(subs_key)
    ranges = None if ranges_key is None else dict(ranges_key)
    if not isinstance(node, sp.Integral) or not node.limits or any(
            len(lim) != 3 for lim in node.limits):
        return None
    if len(node.limits) == 1:
        found = _beta_gamma_integral(node, subs, ranges) or _tail_integral(node, subs)
        return None if found is None else (found[0], (found[1],))
    inner = _iterated_integral(sp.Integral(node.function, node.limits[0]), subs, ranges)
    if inner is None:
        return None
    outer = _iterated_integral(sp.Integral(inner[0], *node.limits[1:]), subs, ranges)
    if outer is None:
        return None
    return outer[0], tuple(dict.fromkeys((*inner[1], *outer[1])))


def beta_gamma_integrals(expr: sp.Expr, subs: Mapping[sp.Symbol, sp.Expr] | None = None,
                         ranges: Mapping[sp.Symbol, sp.Interval] | None = None,
                         ) -> sp.Expr:
    """``expr`` with each Beta integral ∫₀¹ t^(a−1)(1 − t)^(b−1) dt = Γ(a)Γ(b)/Γ(a + b),
    each Gamma integral ∫₀^∞ t^(a−1) e^(−bt) dt = Γ(a)/b^a and each tail integral
    ∫_c^∞ t^k e^(−bt) dt (k a whole number; factors free of t pulled out) in closed form,
    where the declared assumptions (or the declared intervals, ``subs`` as for
    :func:`_decay`) make a, b > 0 so that it converges; an integral over (−∞, 0] or over the
    whole line by its halves; an iterated integral innermost first, when every integration is
    one of these.

    References: Bishop, *Pattern Recognition and Machine Learning* (2006), eqs. (2.13) and
    (2.146); Abramowitz & Stegun 6.1.1 and 6.2.1.

    >>> t = sp.Symbol("t", real=True)
    >>> a, b = sp.symbols("a b", positive=True)
    >>> beta_gamma_integrals(sp.Integral(t**a * (1 - t)**(b - 1), (t, 0, 1)))
    gamma(b)*gamma(a + 1)/gamma(a + b + 1)
    >>> beta_gamma_integrals(sp.Integral(t**(a - 1) * sp.exp(-b * t), (t, 0, sp.oo)))
    gamma(a)/b**a
    >>> x = sp.Symbol("x", real=True)  # a power that may be ≤ −1: the integral may diverge
    >>> beta_gamma_integrals(sp.Integral(t**x, (t, 0, 1))) == sp.Integral(t**x, (t, 0, 1))
    True
    """
    def value(node: sp.Basic) -> sp.Basic:
        found = _iterated_integral(node, subs, ranges)
        return node if found is None else found[0]

    return expr.replace(lambda n: isinstance(n, sp.Integral), value)


def beta_gamma_rules(*exprs: sp.Expr, subs: Mapping[sp.Symbol, sp.Expr] | None = None,
                     ranges: Mapping[sp.Symbol, sp.Interval] | None = None,
                     ) -> tuple[str, ...]:
    """The rules (:data:`BETA_INTEGRAL`, :data:`GAMMA_INTEGRAL`, :data:`TAIL_INTEGRAL`) that
    :func:`beta_gamma_integrals` would apply to ``exprs`` (``subs`` as there); empty when
    none applies."""
    out = [rule for e in exprs for n in sorted(e.atoms(sp.Integral), key=sp.default_sort_key)
           if (found := _iterated_integral(n, subs, ranges)) is not None for rule in found[1]]
    return tuple(dict.fromkeys(out))


def _geometric_term(term: sp.Expr, k: sp.Symbol) -> tuple[sp.Expr, int, sp.Expr] | None:
    """``term`` as c·k^m·r^k (c and r free of k, r ≠ 1, m ≥ 0 or m = −1): (c, m, r); None
    otherwise."""
    const, ratio, power = [], sp.S.One, 0
    for f in sp.Mul.make_args(term):
        if not f.has(k):
            const.append(f)
            continue
        base, exp = (sp.E, f.args[0]) if isinstance(f, sp.exp) else f.as_base_exp()
        if base == k and exp.is_Integer and (exp > 0 or (exp == -1 and power == 0)):
            power += int(exp)  # (k^(−1) alone: the logarithmic series Σ r^k/k)
            continue
        if base.has(k):
            return None
        slope = sp.expand(exp).coeff(k)
        rest = sp.expand(exp - slope * k)
        if slope == 0 or slope.has(k) or rest.has(k):
            return None
        const.append(base**rest)
        ratio *= base**slope
    if ratio == 1 or power > 6:
        return None
    return sp.Mul(*const), power, ratio


def _below_one(r: sp.Expr, subs: Mapping[sp.Symbol, sp.Expr]) -> bool:
    """Whether |r| < 1 follows from the assumptions and the declared intervals (``subs``
    writes each symbol declared in an interval through a positive variable covering it)."""
    if r.is_real is not True:
        return False
    r = r.xreplace(dict(subs)) if subs else r
    if all(sp.factor(sp.together(1 + sign * r)).is_positive is True for sign in (-1, 1)):
        return True
    # a product of factors in (0, 1], one of them below 1: (1 − p)·e^t for p in (0, 1), t < 0
    # (the geometric MGF, Blitzstein & Hwang, example 6.4.3)
    bounds = [_unit_bound(f) for f in sp.Mul.make_args(sp.factor_terms(sp.together(r)))]
    return all(b is not None for b in bounds) and "below" in bounds


def _unit_bound(f: sp.Expr) -> str | None:
    """"below" when 0 < f < 1 follows from the assumptions, "at most" when 0 < f ≤ 1; None
    otherwise."""
    if isinstance(f, sp.exp):
        arg = f.args[0]
        return "below" if arg.is_negative else "at most" if arg.is_nonpositive else None
    if f.is_positive is not True:
        return None
    base, exponent = f.as_base_exp()
    if exponent.is_positive and base is not f and _unit_bound(base) is not None:
        return _unit_bound(base)
    gap = sp.factor(sp.together(1 - f))
    return "below" if gap.is_positive else "at most" if gap.is_nonnegative else None


def geometric_series(expr: sp.Expr, subs: Mapping[sp.Symbol, sp.Expr] | None = None,
                     ) -> sp.Expr:
    """``expr`` with every series Σ_{k=n}^{∞} P(k)·r^k (a polynomial P of degree ≤ 6, r free of
    k) in closed form where |r| < 1 follows from the assumptions or the declared intervals:
    Σ_{k≥0} k^m r^k = (r d/dr)^m 1/(1 − r), less the terms k < n. Where |r| < 1 is not
    established the series is left as it is (it may diverge).

    >>> k = sp.Symbol("k", integer=True, nonnegative=True)
    >>> a = sp.Symbol("a", positive=True)
    >>> sp.simplify(geometric_series(sp.Sum(k / (1 + a)**k, (k, 0, sp.oo))))
    (a + 1)/a**2
    >>> r = sp.Symbol("r", real=True)  # |r| < 1 unknown: left alone
    >>> geometric_series(sp.Sum(r**k, (k, 0, sp.oo)))
    Sum(r**k, (k, 0, oo))
    >>> j = sp.Symbol("j", integer=True, positive=True)  # the logarithmic series, k^(−1)
    >>> geometric_series(sp.Sum(1 / (j * (1 + a)**j), (j, 1, sp.oo)))
    -log(1 - 1/(a + 1))
    """
    subs = subs or {}

    def value(node: sp.Basic) -> sp.Basic:
        if len(node.limits) != 1:
            return node
        k, lo, hi = node.limits[0]
        if hi is not sp.oo or not (lo.is_Integer and lo >= 0) or k.is_integer is not True:
            return node
        total = []
        for term in sp.Add.make_args(sp.expand(node.function)):
            check_deadline()
            found = _geometric_term(sp.powsimp(term, combine="exp"), k)
            if found is None or not _below_one(found[2], subs):
                return node
            c, m, r = found
            u = sp.Dummy("u")
            if m < 0:  # Σ_{k≥1} u^k/k = −log(1 − u) for |u| < 1 (Mercator's series)
                if lo < 1:
                    return node
                series = -sp.log(1 - u)
                head = sp.Add(*[u**i / sp.Integer(i) for i in range(1, int(lo))])
                total.append(c * (series - head).xreplace({u: r}))
                continue
            series = 1 / (1 - u)
            for _ in range(m):
                series = u * sp.diff(series, u)
            head = sp.Add(*[sp.Integer(i) ** m * u**i for i in range(int(lo))])
            total.append(c * (series - head).xreplace({u: r}))
        return sp.Add(*total)

    return expr.replace(lambda n: isinstance(n, sp.Sum), value)


def _exponential_term(term: sp.Expr, k: sp.Symbol) -> tuple[sp.Expr, int, sp.Expr] | None:
    """``term`` as c·k^m·r^k/k! (c and r free of k): (c, m, r); None for any other shape."""
    const, ratio, power, factorial = [], [], 0, False
    for f in sp.Mul.make_args(term):
        if not f.has(k):
            const.append(f)
            continue
        base, exp = f.as_base_exp()
        if base == k and exp.is_Integer and exp > 0:
            power += int(exp)
        elif isinstance(base, sp.factorial) and base.args[0] == k and exp == -1 and not factorial:
            factorial = True
        elif isinstance(f, sp.exp) or (not base.has(k) and exp.has(k)):
            if isinstance(f, sp.exp):
                base, exp = sp.E, f.args[0]
            slope, rest = sp.Poly(exp, k).all_coeffs() if sp.Poly(exp, k).degree() == 1 else (
                None, None)
            if slope is None or slope.has(k) or rest.has(k):
                return None
            const.append(base**rest)
            ratio.append(base**slope)
        else:
            return None
    if not factorial or power > 20:
        return None
    return sp.Mul(*const), power, sp.Mul(*ratio)


def _exponential_terms(summand: sp.Expr, k: sp.Symbol,
                       ) -> list[tuple[sp.Expr, int, sp.Expr]] | None:
    """``summand`` expanded into terms c·k^m·r^k/k! (:func:`_exponential_term`); None when a
    term has another shape."""
    try:
        body = sp.expand(sp.expand_log(summand, deep=True))
    except Exception:  # an expansion SymPy cannot do: the sum is left to the others
        return None
    out = []
    for term in sp.Add.make_args(body):
        check_deadline()
        found = _exponential_term(term, k)
        if found is None:
            return None
        out.append(found)
    return out


@lru_cache(maxsize=512)
def _factorial_shift(summand: sp.Expr, k: sp.Symbol) -> tuple[sp.Expr, int] | None:
    """(the summand in j = k + c, c) when its factorials, merged ((k + 1)·k! = (k + 1)!),
    are all (k + c)! for one integer c ≠ 0: Σ_{k≥n} f(k) = Σ_{j≥n+c} f(j − c); None otherwise.

    >>> k = sp.Symbol("k", integer=True, nonnegative=True)
    >>> a = sp.Symbol("a", positive=True)
    >>> _factorial_shift(a**k / ((k + 1) * sp.factorial(k)), k)
    (a**(k - 1)/factorial(k), 1)
    """
    if len(summand.atoms(sp.factorial)) > 3 or summand.count_ops() > 60:
        return None
    merged = sp.combsimp(summand)
    shifts = {f.args[0] - k for f in merged.atoms(sp.factorial) if f.has(k)}
    if len(shifts) != 1:
        return None
    (c,) = shifts
    if not c.is_Integer or c == 0:
        return None
    return merged.xreplace({k: k - c}), int(c)


def _exponential_series(node: sp.Sum) -> sp.Expr | None:
    if len(node.limits) != 1:
        return None
    k, lo, hi = node.limits[0]
    if hi is not sp.oo or not (lo.is_Integer and lo >= 0) or k.is_integer is not True or (
            not node.function.has(sp.factorial)):
        return None
    found_all = _exponential_terms(node.function, k)
    if found_all is None:
        # a factorial of a shifted index, (k + 1)! or (k + 1)·k!: the index shifted so that
        # the factorial is j! (Resnick 1999, ch. 5: E[1/(1 + X)] of a Poisson X)
        shifted = _factorial_shift(node.function, k)
        if shifted is None or int(lo) + shifted[1] < 0:
            return None
        found_all = _exponential_terms(shifted[0], k)
        lo = lo + shifted[1]
        if found_all is None:
            return None
    total = []
    for c, m, r in found_all:
        # Σ_{k≥0} k^m r^k / k! = e^r Σ_j S(m, j) r^j (Touchard), less the terms below lo
        series = sp.exp(r) * sp.Add(*[sp.functions.combinatorial.numbers.stirling(m, j) * r**j
                                      for j in range(m + 1)])
        head = sp.Add(*[sp.Integer(i) ** m * r**i / sp.factorial(i) for i in range(int(lo))])
        total.append(c * (series - head))
    return sp.Add(*total)


def exponential_series(expr: sp.Expr) -> sp.Expr:
    """``expr`` with every series Σ_{k=n}^{∞} P(k)·r^k/k! (a polynomial P, r free of k: the
    Poisson distribution's sums) in closed form, term by term: Σ_{k≥0} k^m r^k/k! =
    e^r·Σ_j S(m, j)·r^j, with S the Stirling numbers of the second kind (Touchard's
    polynomials), less the terms k < n. Exact, and valid for every r (the series converges
    everywhere).

    >>> k = sp.Symbol("k", integer=True, nonnegative=True)
    >>> a = sp.Symbol("a", positive=True)
    >>> exponential_series(sp.Sum(k**2 * sp.exp(-a) * a**k / sp.factorial(k), (k, 0, sp.oo)))
    a**2 + a
    """
    def value(node: sp.Basic) -> sp.Basic:
        out = _exponential_series(node)
        return node if out is None else sp.expand(out)

    return expr.replace(lambda n: isinstance(n, sp.Sum), value)


def _binomial_term(term: sp.Expr, k: sp.Symbol, n: sp.Expr) -> sp.Expr | None:
    """``term`` as c·C(n, k)·a^k·b^(n−k) (c, a, b free of k; each power's exponent linear in
    k): its sum over k = 0..n, c·(a + b)^n; None for any other shape."""
    const, a, b, chosen = [], [], [], False
    for f in sp.Mul.make_args(term):
        if not f.has(k):
            const.append(f)
            continue
        if isinstance(f, sp.binomial) and not chosen and f.args[1] == k and sp.expand(
                f.args[0] - n) == 0:
            chosen = True
            continue
        base, exp = (sp.E, f.args[0]) if isinstance(f, sp.exp) else f.as_base_exp()
        if base.has(k):
            return None
        slope = sp.expand(exp).coeff(k)
        rest = sp.expand(exp - slope * k)
        if slope == 0 or slope.has(k) or rest.has(k):
            return None
        if sp.expand(rest + slope * n) == 0:  # base^(slope·(k − n)): a power of n − k
            b.append(base ** (-slope))
        else:
            a.append(base**slope)
            const.append(base**rest)
    if not chosen:
        return None
    return sp.Mul(*const) * (sp.Mul(*a) + sp.Mul(*b)) ** n


def _binomial_sum(node: sp.Basic) -> sp.Expr | None:
    if not isinstance(node, sp.Sum) or len(node.limits) != 1:
        return None
    k, lo, n = node.limits[0]
    if lo != 0 or n.is_infinite or not node.function.has(sp.binomial):
        return None
    total = []
    for term in sp.Add.make_args(node.function):
        check_deadline()
        found = _binomial_term(term, k, n)
        if found is None:
            return None
        total.append(found)
    return sp.Add(*total)


def binomial_series(expr: sp.Expr) -> sp.Expr:
    """``expr`` with every sum Σ_{k=0}^{n} C(n, k)·a^k·b^(n−k) (a, b and any constant factor
    free of k; n a number or a symbol) in closed form, (a + b)^n: the binomial theorem
    (Blitzstein & Hwang 2019, theorem 1.4.1; the binomial distribution's sums, its moment
    generating function (1 − p + p·e^t)^n among them). A sum of such terms is summed term by
    term; any other sum is left as it is.

    >>> k = sp.Symbol("k", integer=True, nonnegative=True)
    >>> n = sp.Symbol("n", integer=True, positive=True)
    >>> p, t = sp.Symbol("p", positive=True), sp.Symbol("t", real=True)
    >>> binomial_series(sp.Sum(sp.binomial(n, k) * p**k * (1 - p)**(n - k) * sp.exp(t * k),
    ...                        (k, 0, n)))
    (p*exp(t) - p + 1)**n
    >>> binomial_series(sp.Sum(k * sp.binomial(n, k), (k, 0, n)))  # not of that shape
    Sum(k*binomial(n, k), (k, 0, n))
    """
    def value(node: sp.Basic) -> sp.Basic:
        out = _binomial_sum(node)
        return node if out is None else out

    return expr.replace(lambda n: isinstance(n, sp.Sum), value)


def binomial_rules(*exprs: sp.Expr) -> tuple[str, ...]:
    """(:data:`BINOMIAL_THEOREM`,) when :func:`binomial_series` would sum a sum in
    ``exprs``; empty otherwise."""
    found = any(_binomial_sum(s) is not None for e in exprs for s in e.atoms(sp.Sum))
    return (BINOMIAL_THEOREM,) if found else ()
