r"""Indexed quantities: derivatives with respect to one coordinate μ_j of a sequence μ_1..μ_D.

A quantity declared with an integer index (``functions: m(d) : real`` with ``d`` an integer,
in LaTeX ``% functions: \mu_d : real``) is a *sequence*: ``m(j)`` is the same quantity at the
index j. SymPy treats the applications m(d) and m(j) as unrelated, so its derivative of
Σ_d m(d)² with respect to m(j) is 0, which is wrong. Here every application of a sequence is
written as an entry of an ``IndexedBase`` (whose derivative is a Kronecker delta,
∂m_d/∂m_j = δ_dj), the derivative taken and the sum over the delta done, and the entries
written back as the author's m(·).

The convention is the textbook's: ∂/∂m_j of a sum over d = 1..D differentiates with
respect to one of the sum's coordinates, so j is taken within 1..D (the branch "j outside the
range", where the derivative is 0, is not the one meant). The branch is chosen only when the
condition SymPy returns holds at both ends of the range.

Examples
--------
>>> import sympy as sp
>>> d, j = sp.symbols("d j", integer=True)
>>> D = sp.Symbol("D", integer=True, positive=True)
>>> m = sp.Function("m", real=True)
>>> expr = sp.Derivative(sp.Sum(m(d) ** 2 / 2, (d, 1, D)), m(j))
>>> evaluate_coordinate_derivatives(expr)
(m(j), True)
"""

from __future__ import annotations

import sympy as sp
from sympy.core.function import AppliedUndef

__all__ = ["COORDINATE_DERIVATIVE", "DECLARED_DELTA", "coordinate_derivatives",
           "declared_delta_sums", "evaluate_coordinate_derivatives", "is_entry"]

#: The rule, in a textbook's words.
COORDINATE_DERIVATIVE = ("differentiation with respect to one coordinate "
                         "(∂μ_d/∂μ_j = δ_dj: only the term d = j of a sum depends on μ_j)")


def is_entry(node: sp.Basic) -> bool:
    """Whether ``node`` is an entry of a sequence: an abstract function (not a density) of one
    integer-valued argument.

    >>> j = sp.Symbol("j", integer=True)
    >>> is_entry(sp.Function("m")(j)), is_entry(sp.Function("m")(sp.Symbol("x")))
    (True, False)
    """
    return (isinstance(node, AppliedUndef) and len(node.args) == 1
            and node.args[0].is_integer is True and "(" not in node.func.__name__)


def coordinate_derivatives(expr: sp.Expr) -> list[sp.Derivative]:
    """The derivatives in ``expr`` taken with respect to an entry of a sequence."""
    return [node for node in sp.preorder_traversal(expr)
            if isinstance(node, sp.Derivative)
            and any(is_entry(v) for v, _ in node.variable_count)]


def _resolve(expr: sp.Expr, limits: dict[sp.Symbol, tuple[sp.Expr, sp.Expr]]) -> sp.Expr:
    """Each ``Piecewise((e, cond), (other, True))`` whose condition holds at both ends of the
    range of the index it constrains, replaced by ``e`` (the coordinate is one of the sum's;
    ``other`` is 0 for a derivative, the sum without the term j = k for a sum over a delta)."""
    def pick(pw: sp.Piecewise) -> sp.Expr:
        (e, cond), *rest = pw.args
        if len(rest) != 1 or rest[0][1] is not sp.true:
            return pw
        for index, (lo, hi) in limits.items():
            if index in cond.free_symbols and cond.subs(index, lo) is sp.true and (
                    cond.subs(index, hi) is sp.true):
                return e
        return pw

    return expr.replace(lambda n: isinstance(n, sp.Piecewise), pick)


def evaluate_coordinate_derivatives(expr: sp.Expr) -> tuple[sp.Expr, bool]:
    """``expr`` with every derivative with respect to a sequence's entry evaluated, and
    whether any was.

    The derivative's variables that are entries m(j) give each index j its range from the
    sums in the differentiated expression whose summands hold that sequence.
    """
    found = coordinate_derivatives(expr)
    if not found:
        return expr, False
    out = expr
    for node in found:
        entries = {a for a in node.atoms(AppliedUndef) if is_entry(a)}
        bases = {a.func: sp.IndexedBase(a.func.__name__, real=a.is_real)
                 for a in entries}
        back = {bases[a.func][a.args[0]]: a for a in entries}
        forward = {a: bases[a.func][a.args[0]] for a in entries}
        body = node.expr.xreplace(forward)
        variables = [(v.xreplace(forward), n) for v, n in node.variable_count]
        value = sp.diff(body, *variables).doit()
        limits = {}
        for s in node.expr.atoms(sp.Sum):
            for lim in s.limits:
                for v, _ in node.variable_count:
                    if is_entry(v) and v.args[0].free_symbols:
                        for index in v.args[0].free_symbols:
                            limits[index] = (lim[1], lim[2])
        value = _resolve(value, limits)
        # entries written back as the author's m(·), whatever index the sum left
        funcs = {b: f for f, b in bases.items()}
        value = value.xreplace(back)
        value = value.xreplace({e: funcs[e.base](*e.indices) for e in value.atoms(sp.Indexed)
                                if e.base in funcs})
        out = out.xreplace({node: value})
    return _sum_deltas(out), True


def _sum_deltas(expr: sp.Expr) -> sp.Expr:
    """Each sum over k whose summand holds δ_jk (a derivative taken inside the sum, Σ_k
    ∂/∂μ_j f(μ_k)) done over the delta, j taken within the sum's range as above.

    >>> k, j = sp.symbols("k j", integer=True)
    >>> K = sp.Symbol("K", integer=True, positive=True)
    >>> w = sp.Function("w", positive=True)
    >>> _sum_deltas(sp.Sum(sp.KroneckerDelta(j, k) / w(k) + 2, (k, 1, K)))
    2*K + 1/w(j)
    """
    def done(node: sp.Sum) -> sp.Expr:
        if len(node.limits) != 1 or not node.function.has(sp.KroneckerDelta):
            return node
        index, lo, hi = node.limits[0]
        others = {a for delta in node.function.atoms(sp.KroneckerDelta) if index in delta.args
                  for a in delta.args if a != index and isinstance(a, sp.Symbol)}
        if len(others) != 1:
            return node
        value = sp.Sum(sp.expand(node.function), node.limits[0]).doit()
        value = _resolve(value, {others.pop(): (lo, hi)})
        return node if value.has(sp.Piecewise) else value

    return expr.replace(lambda n: isinstance(n, sp.Sum), done)


#: The rule of :func:`declared_delta_sums`, in a textbook's words.
DECLARED_DELTA = ("a sum over an indicator of equality (Σ_k 1{y = k} f(k) = f(y), y declared "
                  "within the sum's range)")


def declared_delta_sums(expr: sp.Expr, domains: dict[sp.Symbol, sp.Interval]) -> sp.Expr:
    """Each sum Σ_{k=lo}^{hi} whose terms hold δ_yk (an indicator 1{y = k} of integers) with y
    declared within [lo, hi] (``symbols: y : integer [1, K]``): those terms summed over the
    delta, f(k)·δ_yk giving f(y); the other terms stay a sum. A y not declared within the
    range is left alone (the sum is then 0 or f(y) by where y lies).

    >>> k, y = sp.symbols("k y", integer=True)
    >>> K = sp.Symbol("K", integer=True, positive=True)
    >>> w = sp.Function("w", positive=True)
    >>> declared_delta_sums(sp.Sum((1 - sp.KroneckerDelta(y, k)) * w(k), (k, 1, K)),
    ...                     {y: sp.Interval(1, K)})
    -w(y) + Sum(w(k), (k, 1, K))
    """
    def inside(y: sp.Basic, lo: sp.Expr, hi: sp.Expr) -> bool:
        where = domains.get(y)
        if where is None or not isinstance(where, sp.Interval):
            return False
        return ((where.inf - lo).is_nonnegative is True
                and (hi - where.sup).is_nonnegative is True)

    def done(node: sp.Sum) -> sp.Expr:
        if len(node.limits) != 1 or not node.function.has(sp.KroneckerDelta):
            return node
        index, lo, hi = node.limits[0]
        kept: list[sp.Expr] = []
        out: list[sp.Expr] = []
        for term in sp.Add.make_args(sp.expand(node.function)):
            deltas = [f for f in sp.Mul.make_args(term) if isinstance(f, sp.KroneckerDelta)
                      and index in f.args]
            if len(deltas) != 1:
                kept.append(term)
                continue
            a, b = deltas[0].args
            y = b if a == index else a
            if y.has(index) or not inside(y, lo, hi):
                kept.append(term)
                continue
            rest = sp.Mul(*[f for f in sp.Mul.make_args(term) if f is not deltas[0]])
            out.append(rest.xreplace({index: y}))
        if not out:
            return node
        return sp.Add(*out) + (sp.Sum(sp.Add(*kept), node.limits[0]) if kept else 0)

    if not domains or not expr.has(sp.KroneckerDelta):
        return expr
    return expr.replace(lambda n: isinstance(n, sp.Sum), done)
