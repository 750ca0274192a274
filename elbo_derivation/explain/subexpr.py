"""The smallest sub-expression where a written step departs from the correct one.

Method: walk the correct expression and the written one in parallel, from the root. At a
pair of nodes with the same head (``Add``, ``Mul``, ``Pow``, ``log``, ``Integral``...) and the
same number of arguments, pair the arguments (for ``Add`` and ``Mul``, whose argument order is
SymPy's canonical order, arguments that are structurally identical on both sides are paired
first and the rest in order), then ask which pairs differ *as functions* (a caller-supplied
test, in practice evaluation at a few random points where every symbol, bound integration
variables included, has a value). When exactly one pair differs, descend into it; otherwise
(no pair, several pairs, a pair of bare numbers such as the coefficients -2 and 2, different
heads or different numbers of arguments) stop: the current written node is the smallest
sub-expression that can be blamed. Equal-valued rewrites
(``log(a*b)`` against ``log(a) + log(b)``) never mislead the walk, because pairs are compared
by value, not by form.

Examples
--------
>>> import sympy as sp
>>> a, b = sp.symbols("a b", positive=True)
>>> def differs(u, v):
...     pts = [{a: 1.3, b: 0.7}, {a: 2.1, b: 1.9}]
...     return any(abs(complex(u.subs(p)) - complex(v.subs(p))) > 1e-9 for p in pts)
>>> smallest_difference(sp.log(a) + (a - b)**2 / 2, sp.log(a) + (a + b)**2 / 2, differs)
(-b, b)
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp

__all__ = ["smallest_difference"]


def _pair_args(a: sp.Basic, b: sp.Basic) -> list[tuple[sp.Basic, sp.Basic]]:
    if not isinstance(a, (sp.Add, sp.Mul)):
        return list(zip(a.args, b.args, strict=True))
    rest_b = list(b.args)
    pairs: list[tuple[sp.Basic, sp.Basic]] = []
    rest_a: list[sp.Basic] = []
    for arg in a.args:
        if arg in rest_b:
            rest_b.remove(arg)
            pairs.append((arg, arg))
        else:
            rest_a.append(arg)
    pairs.extend(zip(rest_a, rest_b, strict=True))
    return pairs


def smallest_difference(
    correct: sp.Basic,
    written: sp.Basic,
    differs: Callable[[sp.Basic, sp.Basic], bool],
    *,
    max_depth: int = 60,
) -> tuple[sp.Basic, sp.Basic] | None:
    """The smallest pair (correct part, written part) that differ, by a parallel tree walk.

    Parameters
    ----------
    correct, written : sympy.Basic
        the expression that should have been written, and the one that was.
    differs : callable
        ``differs(u, v)`` is True when ``u`` and ``v`` are different functions (for example,
        differ at some random point). It is only called on corresponding sub-expressions.
    max_depth : int
        how far down to walk at most.

    Returns
    -------
    (sympy.Basic, sympy.Basic) or None
        None when the two do not differ at all by ``differs``.
    """
    if not differs(correct, written):
        return None
    a, b = correct, written
    for _ in range(max_depth):
        if a.func != b.func or len(a.args) != len(b.args) or not a.args:
            break
        if isinstance(a, sp.Integral) and a.limits != b.limits:
            break
        differing = [(u, v) for u, v in _pair_args(a, b) if u != v and differs(u, v)]
        if len(differing) != 1 or any(u.is_Number or v.is_Number for u, v in differing):
            break
        a, b = differing[0]
    return a, b
