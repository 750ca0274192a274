r"""What the page must show for a moment to have been taken wrong.

The entries of moments (``wrong-moment``, ``second-moment-missing-mean``,
``second-moment-missing-variance``) match by value: the written step has the value of the
right line with an expectation, an integral or a sum replaced by a wrong moment, or with a
part of σ² + μ² lost. The same value often comes from another mechanism the page shows: an
integration by parts that loses the 2 of d(x²) keeps its integral (∫x²λe^(−λx) dx written
∫x e^(−λx) dx has the value 1/λ² = E[x]², but no moment was evaluated); x² = x(x − 1) + x
written without its + x keeps the expectation E[x(x − 1)]; w² + σ² written σ² in the centre
of a completed square is a term lost where no expectation was ever taken. The witness
``moment-taken`` (:func:`moment_taken`) asks the page for the moment:

* where the previous line as written holds expectations, integrals, sums or KL divergences,
  the written step evaluated one of them (it holds fewer);
* where it holds none, a moment was taken earlier in the derivation (its first line or a line
  before the step holds one), so the value carried on is a moment's (σ² + 2m·0 + m² collected
  to σ², after E[x²] was split).

A root lost in a logarithm (``log-inverse-sqrt``: log √a written log a) is a ½ dropped seen
through a narrower simulation: the witness ``root-written`` (:func:`root_written`) asks that
the previous line as written shows a square root inside a logarithm. Where the author wrote
no root (−E[log q(u)] with q declared normal, evaluated to log(2πeσ²) for ½ log(2πeσ²)), no
root was lost on the page, and the ½ dropped is the name. Conversely, √v written where the
variance v is meant (``sqrt-of-variance-for-variance``) needs a root of v on the written step
(``root-shown``, :func:`root_shown`): −½ log w written for −log w has the value of −log √w, but
shows a ½ and no root, and the ½ added is the name.

Examples
--------
>>> import sympy as sp
>>> x, lam = sp.symbols("x lam", positive=True)
>>> constructs(sp.Integral(x**2 * lam * sp.exp(-lam * x), (x, 0, sp.oo)))
1
>>> constructs(2 / lam**2)
0
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sympy as sp

from elbo_derivation.core.expectation import KL, Expectation

__all__ = ["MOMENT_WITNESSES", "constructs", "moment_taken", "root_shown", "root_written",
           "square_not_written"]

#: the constructs whose value is a moment of a distribution (or holds one)
_TAKEN = (Expectation, sp.Integral, sp.Sum, KL)


def constructs(e: sp.Basic) -> int:
    """How many expectations, integrals, sums and KL divergences ``e`` as written holds (one
    inside another counts as well: E[E[y | x]] holds two).

    >>> z = sp.Symbol("z", real=True)
    >>> q = sp.Function("q", positive=True)(z)
    >>> constructs(Expectation(z**2, z, q) - Expectation(z, z, q) ** 2)
    2
    """
    return sum(1 for n in list(sp.preorder_traversal(e))[:4000] if isinstance(n, _TAKEN))


def _earlier_lines(ctx: Any) -> list[Any]:
    """The derivation's lines before the previous line of ``ctx``'s step (its first line and
    the steps before), as read."""
    derivation, index = ctx.derivation, getattr(ctx.step, "index", None)
    if derivation is None or not index or index < 2:
        return []
    lines: list[Any] = [derivation.start]
    lines.extend(s.expr for s in derivation.steps[: max(index - 2, 0)])
    return lines


def moment_taken(m: Any, ctx: Any, before: sp.Basic, after: sp.Basic) -> bool:
    """The ``moment-taken`` witness (see the module docstring): the step evaluated an
    expectation, integral, sum or KL of the previous line as written, or, where that line
    holds none, the derivation took one before it."""
    n = constructs(before)
    if n:
        return constructs(after) < n
    return any(isinstance(e, sp.Basic) and e.has(*_TAKEN) for e in _earlier_lines(ctx))


def _is_root(n: sp.Basic) -> bool:
    return bool(n.is_Pow and n.exp.is_Rational and n.exp.q == 2)


def root_written(m: Any, ctx: Any, before: sp.Basic, after: sp.Basic) -> bool:
    """The ``root-written`` witness: the previous line as written shows a square root (a
    power with a half-integer exponent) inside a logarithm's argument.

    >>> a, b = sp.symbols("a b", positive=True)
    >>> root_written(None, None, sp.log(1 / sp.sqrt(2 * sp.pi * a)) + b, sp.S.Zero)
    True
    >>> root_written(None, None, sp.log(a) + sp.sqrt(b), sp.S.Zero)
    False
    """
    shown = before.xreplace({d: sp.Dummy("density", positive=True)
                             for d in _family_densities(ctx)})
    return any(isinstance(n, sp.log) and any(_is_root(k) for k in sp.preorder_traversal(n))
               for n in list(sp.preorder_traversal(shown))[:4000])


def _family_densities(ctx: Any) -> list[sp.Basic]:
    """The formulas of the densities declared in a named family (``q(u) = N(m, s^2)``): the
    reader writes them in place of the density, but their roots are not the author's."""
    derivation = getattr(ctx, "derivation", None)
    families = getattr(getattr(derivation, "declarations", None), "families", None) or {}
    functions = getattr(derivation, "functions", None) or {}
    return [functions[k] for k in families
            if k in functions and isinstance(functions[k], sp.Basic)]


def root_shown(m: Any, ctx: Any, before: sp.Basic, after: sp.Basic) -> bool:
    """The ``root-shown`` witness: the written step as written shows a square root (a power
    with a half-integer exponent) of an expression holding the symbol the match puts under
    a root (its ``s``; any root where it names none). √v written where the variance v is
    meant needs a √v on the page: −½ log w written for −log w shows a ½, no root of w, and
    log √w = ½ log w is only the same value (the ½ added names it).

    >>> w, u = sp.symbols("w u", positive=True)
    >>> m = type("M", (), {"binding": {"s": w}})()
    >>> root_shown(m, None, sp.log(w), sp.log(2 * sp.pi * sp.sqrt(w)))
    True
    >>> root_shown(m, None, sp.log(w), sp.log(w) / 2 + sp.sqrt(u))
    False
    """
    s = getattr(m, "binding", {}).get("s")
    shown = after.xreplace({d: sp.Dummy("density", positive=True)
                            for d in _family_densities(ctx)})
    return any(_is_root(n) and (not isinstance(s, sp.Basic) or n.base.has(s))
               for n in list(sp.preorder_traversal(shown))[:4000])


def _value(e: sp.Basic) -> sp.Basic:
    """``e`` with its integrals done where SymPy does them (the value a squared bracket of
    the page stands for: ∫x·λe^(−λx) dx is 1/λ)."""
    if e.has(sp.Integral):
        try:
            return e.doit()
        except Exception:
            return e
    return e


def square_not_written(m: Any, ctx: Any, before: sp.Basic, after: sp.Basic) -> bool:
    """The ``square-not-written`` witness of a standard deviation (or a rate's scale 1/λ)
    written for its variance: the value written where the variance belongs is not the base
    of a square the previous line writes out. Where the page squares a bracket whose value
    is the written part ((∫x·λe^(−λx) dx)² = (E x)² written 1/λ, the mean of an exponential,
    whose square equals its variance), the square written on the page was lost, and no
    variance was ever there to confuse with a standard deviation.

    >>> lam, x = sp.symbols("lam x", positive=True)
    >>> m = type("M", (), {"binding": {"wrong": 1 / lam}})()
    >>> mean = sp.Integral(x * lam * sp.exp(-lam * x), (x, 0, sp.oo))
    >>> square_not_written(m, None, 2 / lam**2 - mean**2, 2 / lam**2 - 1 / lam)
    False
    >>> square_not_written(m, None, 2 / lam**2 - 1 / lam**2, 2 / lam**2 - 1 / lam)
    True
    """
    wrong = getattr(m, "binding", {}).get("wrong")
    if not isinstance(wrong, sp.Basic) or not wrong.free_symbols:
        return True
    if _square_made_by_derivative(getattr(m, "binding", {}).get("right"), before):
        return False
    for n in list(sp.preorder_traversal(before))[:4000]:
        if not (n.is_Pow and n.exp == 2) or n.base.is_Atom:
            continue
        try:
            if sp.simplify(_value(n.base) - wrong) == 0:
                return False
        except Exception:
            continue
    return True


def _square_made_by_derivative(right: Any, before: sp.Basic) -> bool:
    """Whether the variance said lost (``right``, a symbol squared: λ⁻², σ²) is made by a
    derivative the previous line takes, and never written there: no power of that symbol
    above the first stands on the previous line (−∂²/∂λ² (log λ − λx) = 1/λ²). The square
    then comes from the rules of differentiation, not from a variance on the page, and a
    standard deviation was not written for it.

    >>> lam, x = sp.symbols("lam x", positive=True)
    >>> _square_made_by_derivative(lam**-2, sp.Derivative(sp.log(lam) - lam * x, (lam, 2)))
    True
    >>> _square_made_by_derivative(lam**-2, sp.Derivative(x / lam**2, lam))
    False
    >>> _square_made_by_derivative(lam**-2, 1 / lam**2 + x)
    False
    """
    if not (isinstance(right, sp.Basic) and right.is_Pow and abs(right.exp) == 2
            and isinstance(right.base, sp.Symbol)) or not before.has(sp.Derivative):
        return False
    base = right.base
    return not any(n.is_Pow and n.base == base and n.exp.is_Number and abs(n.exp) >= 2
                   for n in sp.preorder_traversal(before))


MOMENT_WITNESSES: dict[str, Callable[[Any, Any, sp.Basic, sp.Basic], bool]] = {
    "moment-taken": moment_taken,
    "root-written": root_written,
    "root-shown": root_shown,
    "square-not-written": square_not_written,
}
