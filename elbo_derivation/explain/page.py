r"""What changed on the page: the logarithms of two lines compared as their author wrote them.

Two mistakes can write the same wrong value: log(a/b) turned upside down (the ratio flipped)
and a minus sign lost in front of it (the sign of the term) both give −log(a/b). The value
cannot tell them apart, but the page can. For every factor inside a logarithm, this module
records which side of the fraction it stands on (numerator or denominator) and the sign of the
term that holds the logarithm, in a line as its author wrote it (SymPy's automatic
simplification undone by the reading layer). Comparing the previous line with the written
step factor by factor says what the author changed:

* the factors keep their sides and a sign in front changed: the log's argument is as before,
  so no ratio was turned upside down (``"sign"``);
* a factor moved to the other side of the fraction and every sign in front is as before: the
  ratio was turned upside down (``"ratio"``);
* both, or neither shows: the page does not tell (None).

A KL written as such, KL(q ‖ p), is a quantity of its own, not a logarithm on the page: its
densities are not counted. Signs are compared only where the step evaluated no integral, sum
or derivative (a derivative of f·log g changes the sign in front of log g; the argument stays).

Examples
--------
>>> import sympy as sp
>>> a, b, c = sp.symbols("a b c", positive=True)
>>> before = sp.log(a / b)
>>> page_change(before, -sp.log(a / b), {a, b})        # a sign put in front
'sign'
>>> page_change(before, sp.log(b / a) + sp.log(c), {a, b})  # the fraction inverted
'ratio'
>>> sorted(log_factors(sp.log(a / b) - 2 * sp.log(c)), key=str)
[(a, 1, 1), (b, 1, -1), (c, -1, 1)]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import sympy as sp
from sympy.core.function import AppliedUndef

from elbo_derivation.core.expectation import KL, Expectation

__all__ = ["in_logs", "log_factors", "page_change", "ratio_factors", "rebuilt", "written_as_kl"]

#: (factor, sign of the term holding its log (+1/−1), side: +1 numerator, −1 denominator)
Entry = tuple[sp.Basic, int, int]


def rebuilt(e: sp.Basic) -> sp.Basic:
    """``e`` built again with SymPy's evaluation, so that a part as written and as evaluated
    compare equal.

    >>> x = sp.Symbol("x", positive=True)
    >>> rebuilt(sp.Mul(2, sp.Pow(2, -1, evaluate=False), x, evaluate=False))
    x
    """
    if not e.args or isinstance(e, AppliedUndef):
        return e
    try:
        return e.func(*[rebuilt(a) for a in e.args])
    except Exception:
        return e


_rebuilt = rebuilt


def ratio_factors(arg: sp.Basic, side: int = 1) -> list[tuple[sp.Basic, int]]:
    """The factors of a log's argument with symbols in them, each with its side of the
    fraction (+1 numerator, −1 denominator); a fraction inside a fraction is opened.

    >>> a, b = sp.symbols("a b", positive=True)
    >>> sorted(ratio_factors(sp.Mul(a, sp.Pow(sp.Mul(b, sp.Pow(a, -1), evaluate=False), -1),
    ...                             evaluate=False)), key=str)
    [(a, 1), (a, 1), (b, -1)]
    """
    if isinstance(arg, sp.Mul):
        return [f for a in arg.args for f in ratio_factors(a, side)]
    if isinstance(arg, sp.Pow) and arg.exp.is_number and arg.exp.is_real:
        if arg.exp.is_zero:
            return []
        return ratio_factors(arg.base, side if arg.exp.is_positive else -side)
    if arg.is_number or not arg.free_symbols:
        return []
    return [(_rebuilt(arg), side)]


def log_factors(expr: sp.Basic, open_kl: bool = False) -> list[Entry]:
    """Every factor inside a logarithm of ``expr`` with the sign of the term that holds the
    log and the factor's side of the fraction (see the module docstring). The body of an
    expectation, an integral, a sum or a derivative is walked; a KL, a log in a denominator
    or inside another function is not, unless ``open_kl``: then KL(q ‖ p) counts as what
    its definition writes, E_q[log(q/p)] (q in the numerator, p in the denominator).

    >>> z = sp.Symbol("z", real=True)
    >>> p, q = sp.Function("p", positive=True)(z), sp.Function("q", positive=True)(z)
    >>> log_factors(-KL(q, p, z)), sorted(log_factors(-KL(q, p, z), open_kl=True), key=str)
    ([], [(p(z), -1, -1), (q(z), -1, 1)])
    """
    out: list[Entry] = []

    def walk(e: sp.Basic, sign: int) -> None:
        if isinstance(e, KL):
            if open_kl:
                out.extend(((_rebuilt(e.q), sign, 1), (_rebuilt(e.p), sign, -1)))
            return
        if isinstance(e, (Expectation, sp.Integral, sp.Sum, sp.Derivative)):
            walk(e.args[0], sign)
        elif isinstance(e, sp.Add):
            for a in e.args:
                walk(a, sign)
        elif isinstance(e, sp.Mul):
            for a in e.args:
                if a.is_number:
                    if a.is_negative:
                        sign = -sign
            for a in e.args:
                if not a.is_number:
                    walk(a, sign)
        elif isinstance(e, sp.log):
            out.extend((f, sign, side) for f, side in ratio_factors(e.args[0]))

    walk(expr, 1)
    return out


def page_change(before: sp.Basic, after: sp.Basic, factors: Iterable[sp.Basic],
                signs: bool = True, open_kl: bool = False) -> str | None:
    """What the author changed about the logs holding ``factors`` from ``before`` to
    ``after`` (both as written): ``"sign"`` when every such factor present in both keeps its
    side of the fraction (the log's argument is as before), ``"ratio"`` when one moved to the
    other side and, with ``signs``, none of them changed the sign in front of its log; None
    when no such factor is in the logs of both lines, or when the page shows both changes.
    With ``open_kl``, a KL of ``before`` counts as the log-ratio its definition writes
    (see :func:`log_factors`).

    >>> p, q = sp.Function("p", positive=True), sp.Function("q", positive=True)
    >>> z = sp.Symbol("z", real=True)
    >>> E = lambda f: Expectation(f, z, q(z))
    >>> page_change(E(sp.log(q(z) / p(z))), -E(sp.log(q(z) / p(z))), {p(z), q(z)})
    'sign'
    >>> page_change(E(sp.log(q(z) / p(z))), E(sp.log(p(z) / q(z))), {p(z), q(z)})
    'ratio'
    """
    wanted = {_rebuilt(f) for f in factors}
    old: dict[sp.Basic, list[tuple[int, int]]] = {}
    new: dict[sp.Basic, list[tuple[int, int]]] = {}
    for table, line in ((old, before), (new, after)):
        for f, sign, side in log_factors(line, open_kl and line is before):
            if f in wanted:
                table.setdefault(f, []).append((sign, side))
    common = [f for f in wanted if f in old and f in new]
    if not common:
        return None

    def moved(f: sp.Basic, k: int) -> bool:
        return Counter(e[k] for e in old[f]) != Counter(e[k] for e in new[f])

    sides = [f for f in common if moved(f, 1)]
    if not sides:
        return "sign"
    if signs and not any(moved(f, 0) for f in common):
        return "ratio"
    return None


def in_logs(expr: sp.Basic, factors: Iterable[sp.Basic]) -> bool:
    """Whether one of ``factors`` stands inside a logarithm of ``expr`` (as
    :func:`log_factors` finds them).

    >>> a, b = sp.symbols("a b", positive=True)
    >>> in_logs(sp.log(a) + b, {a}), in_logs(sp.log(a) + b, {b})
    (True, False)
    """
    wanted = {_rebuilt(f) for f in factors}
    return any(f in wanted for f, _, _ in log_factors(expr))


def written_as_kl(expr: sp.Basic, factors: Iterable[sp.Basic]) -> bool:
    """Whether every one of ``factors`` is a density of a KL written in ``expr`` (the author
    wrote KL(q ‖ p), not a logarithm of q and p).

    >>> z = sp.Symbol("z", real=True)
    >>> p, q = sp.Function("p", positive=True)(z), sp.Function("q", positive=True)(z)
    >>> written_as_kl(KL(q, p, z) + 1, {p, q}), written_as_kl(sp.log(q / p), {p, q})
    (True, False)
    """
    wanted = {_rebuilt(f) for f in factors}
    densities = {_rebuilt(d) for k in sp.preorder_traversal(expr) if isinstance(k, KL)
                 for d in (k.q, k.p)}
    return bool(wanted) and wanted <= densities
