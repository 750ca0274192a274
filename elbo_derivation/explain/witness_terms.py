r"""What the page must show for a square lost from a bracket the author squared.

A square written over a bracket, ((1 − a)(f − e)/√a)², reaches each factor of the bracket
(and, when the square is expanded, each factor of each term): a factor that stands on the
written step without its square lost it there, although the previous line never wrote that
factor squared on its own. :func:`square_written` is the ``square-gone`` witness of
:mod:`.witness_factors` widened to such squares: the base said to have lost its square shows
fewer squares on the written step than the previous line gave it, counting the squares of
the brackets it is a factor of (or a factor of one of their terms).

Examples
--------
>>> import sympy as sp
>>> a, e, f = sp.symbols("a e f", positive=True)
>>> before = sp.Pow(sp.Mul(1 - a, f - e, evaluate=False), 2, evaluate=False)
>>> squares_given(before, 1 - a)
1
>>> squares_given(sp.Pow(a + e, 2, evaluate=False), 1 - a)
0
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sympy as sp
from sympy.core.function import AppliedUndef

from elbo_derivation.core.expectation import Expectation
from elbo_derivation.explain.witness_factors import FACTOR_WITNESSES, squares_of

__all__ = ["TERM_WITNESSES", "rebuilt", "squares_given", "term_carried", "term_new"]


def rebuilt(e: sp.Basic) -> sp.Basic:
    """``e`` as written built again with SymPy's evaluation."""
    if not e.args or isinstance(e, AppliedUndef):
        return e
    try:
        return e.func(*[rebuilt(a) for a in e.args])
    except Exception:
        return e


def _factors(e: sp.Basic) -> list[sp.Basic]:
    """The factors of ``e`` with common factors of its terms taken out (a·x + b − (a·m + b)
    is a·(x − m)), each also as its inverse's base (1/(1 − ab) gives 1 − ab)."""
    try:
        e = sp.factor_terms(e)
    except Exception:
        return []
    out = []
    for f in sp.Mul.make_args(e):
        out.append(f)
        if f.is_Pow and f.exp == -1:
            out.append(f.base)
        if f.is_Rational and f.p == 1 and f.q > 1:
            out.append(f)
    return out


def squares_given(e: sp.Basic, base: sp.Basic) -> int:
    """How many squares the page gives ``base`` in ``e`` as written: squares of ``base``
    itself and squares of brackets that hold it as a factor (or hold it as a factor of one
    of their terms)."""
    want = rebuilt(base)
    count = 0
    for n in list(sp.preorder_traversal(e))[:2000]:
        if not (n.is_Pow and n.exp in (2, -2)):
            continue
        b = rebuilt(n.base)
        if b == want:
            count += 1
            continue
        def holds(p: sp.Basic) -> bool:
            return want in _factors(p) or bool(want.is_Rational
                                               and want in sp.Mul.make_args(p))
        if holds(b):
            count += 1  # a factor of the whole bracket: one square
        elif isinstance(b, sp.Add):
            # expanded, the square reaches it in each term that holds it
            count += sum(1 for p in sp.Add.make_args(b) if holds(p))
    return count


def square_written(m: Any, ctx: Any, before: sp.Basic, after: sp.Basic) -> bool:
    """The ``square-gone`` witness, or: the base stands on the written step with fewer
    squares than the previous line gave it through a squared bracket."""
    if FACTOR_WITNESSES["square-gone"](m, ctx, before, after):
        return True
    base = m.binding.get("s")
    if not isinstance(base, sp.Basic) or (base.is_Number and not base.is_Rational):
        return False
    want = rebuilt(base)
    if not any(rebuilt(n) == want for n in sp.preorder_traversal(after)):
        return False  # the base itself must stand on the step, without its square
    return squares_of(after, base) < squares_given(before, base)


TERM_WITNESSES: dict[str, Callable[[Any, Any, sp.Basic, sp.Basic], bool]] = {
    "square-written": square_written,
}


# --- session 29: a term said to be added that the previous line holds ----------------------------
# A term "added" by the written step that is one of the previous line's own terms, holding an
# expectation (an integral, a sum) the step evaluated, was not added: it is that term carried
# through the step, evaluated right (−E[x]² written −e^{2μ+s²}), or its expectation read as a
# number (2μ·E[ε] written 2μ: E[ε] taken as 1). The mistake is in a value, not a term more.

_CONSTRUCTS = (Expectation, sp.Integral, sp.Sum)


def _held_constructs(term: sp.Basic) -> tuple[list[sp.Basic], sp.Basic]:
    """The factors of ``term`` that hold an expectation (an integral, a sum), and the
    product of its other factors.

    >>> x = sp.Symbol("x")
    >>> held, rest = _held_constructs(-2 * x * sp.Integral(x, (x, 0, 1)) ** 2)
    >>> held, rest
    ([Integral(x, (x, 0, 1))**2], -2*x)
    """
    held = [f for f in sp.Mul.make_args(term) if f.has(*_CONSTRUCTS)]
    rest = sp.Mul(*[f for f in sp.Mul.make_args(term) if not f.has(*_CONSTRUCTS)])
    return held, rest


def term_new(m: Any, ctx: Any, before: sp.Basic, after: sp.Basic) -> bool:
    """The ``term-new`` witness of ``extra-term``: the term said to be added is no term of
    the previous line (as its author wrote it) that holds an expectation (an integral, a
    sum) and that the written step shows evaluated, right or with the expectation read as
    a number. A failure says nothing was added (see :data:`.mistakes._IMPOSSIBLE`).

    ``term_carried`` below is the check; this is its negation, with the page's lines."""
    return not term_carried(m.binding.get("added"), before, ctx)


def term_carried(added: Any, before: sp.Basic, ctx: Any = None) -> bool:
    """Whether ``added`` is a term of ``before`` holding an expectation (an integral, a sum),
    evaluated: its other factors times a nonzero number (the expectation read as that
    number), or, with ``ctx``, the term's right value (proved equal by ``ctx.exact``).

    >>> a, x = sp.symbols("a x", positive=True)
    >>> before = 2 * a * sp.Integral(x, (x, 0, 1)) + x
    >>> term_carried(2 * a, before), term_carried(3 * a, before), term_carried(a * x, before)
    (True, True, False)
    >>> term_carried(2 * a, 2 * a + x)
    False
    """
    if not isinstance(added, sp.Basic) or added == 0:
        return False
    for term in sp.Add.make_args(before):
        held, rest = _held_constructs(term)
        if not held:
            continue
        try:
            ratio = sp.cancel(added / rest)
        except Exception:
            continue
        if ratio.is_Number and ratio != 0:
            return True
        if ctx is not None:
            try:
                if ctx.screen_equal(added, term) and ctx.exact(added, term):
                    return True
            except Exception:
                continue
    return False


TERM_WITNESSES["term-new"] = term_new


def constant_written(m: Any, ctx: Any, before: sp.Basic, after: sp.Basic) -> bool:
    """The ``constant-written`` witness of ``missing-minus-one``: a constant lost from the
    previous line is one the page shows there, a negative number standing as a term of a sum
    of the previous line as written (½(σ² + μ² − log σ² − 1)). A −1 that only the evaluated
    line holds, as SymPy factors e^(2a + 2b) − e^(2a + b) into e^(2a + b)·(e^b − 1), was never
    written: the term lost is then the author's whole term (a dropped term). A term the author
    wrote that holds the constant, −½ log(2πe s²) = −½ − ½ log(2πs²), shows it. A constant put
    back into a sum of the written step (the step also rewrote) needs no such witness.

    >>> a, b = sp.symbols("a b", positive=True)
    >>> class _M:
    ...     binding = {"constant": sp.Integer(-1), "right": sp.Integer(-1)}
    >>> shown = sp.Add(a, sp.Mul(-1, b, evaluate=False), sp.Integer(-1), evaluate=False)
    >>> constant_written(_M(), None, shown / 2, a), constant_written(_M(), None, a - b, a)
    (True, False)
    """
    if "lhs_constant" in m.binding:
        return True
    right = m.binding.get("right")
    if not isinstance(right, sp.Basic):
        return True
    for node in sp.preorder_traversal(before):
        if not isinstance(node, sp.Add):
            continue
        for term in (rebuilt(t) for t in node.args):
            if term == right or (right.is_Rational and term.is_Rational and term.is_negative):
                return True  # the term that held it (−½ log(2πe s²)), or a constant written
    return False


TERM_WITNESSES["constant-written"] = constant_written
