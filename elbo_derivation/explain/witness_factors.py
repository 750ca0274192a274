r"""What the page must show for a factor, a power or a square to have been lost.

The entries of factors and derivatives match by value, and a value can come from several
mechanisms: (m + se)/2 written for d/dm (m + se)²/2 is the power rule's 2 forgotten, but the
same value written for m + se on a line without a derivative is a ½ put in. Each check here
says whether the page (the previous line and the written step as their author wrote them)
shows the mechanism an entry names; :func:`.mistakes.witnessed` calls them by the entry's
``witness`` (see ``WITNESSES`` at the end of :mod:`.catalogue`).

* ``power-derivative``: the previous line holds a derivative of a power of the exponent whose
  factor was forgotten, and the written step took that derivative (it holds fewer orders of
  differentiation);
* ``factor-dropped``: a factor said lost in the body of a derivative stands in a step that
  kept the derivative (else the rules of the derivative may have written the value);
* ``square-written``: the square said to be lost stands on the page where the mistake was made:
  on the previous line, or in the value of a derivative the step took; and the written step
  shows its base without it.

Examples
--------
>>> import sympy as sp
>>> t = sp.Symbol("t", real=True)
>>> orders(sp.Derivative(t**3, (t, 2)) + sp.Derivative(t, t))
3
>>> powers_under_derivatives(sp.Derivative(t**3 / 3 + t, t))
{3}
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sympy as sp

__all__ = ["FACTOR_WITNESSES", "orders", "powers_under_derivatives"]


def orders(e: sp.Basic) -> int:
    """How many differentiations ``e`` as written holds (d²/dt² counts two)."""
    return sum(int(sum(c for _, c in n.variable_count)) for n in sp.preorder_traversal(e)
               if isinstance(n, sp.Derivative))


def powers_under_derivatives(e: sp.Basic) -> set[int]:
    """The integer exponents |k| ≥ 2 written under a derivative of ``e``."""
    out: set[int] = set()
    for n in sp.preorder_traversal(e):
        if isinstance(n, sp.Derivative):
            for p in sp.preorder_traversal(n.expr):
                if p.is_Pow and p.exp.is_Integer and abs(p.exp) >= 2:
                    out.add(int(abs(p.exp)))
    return out


def _power_derivative(m: Any, ctx: Any, before: sp.Basic, after: sp.Basic) -> bool:
    n = m.binding.get("n")
    if not isinstance(n, (int, sp.Integer)):
        return True
    return int(n) in powers_under_derivatives(before) and orders(after) < orders(before)


def _factor_dropped(m: Any, ctx: Any, before: sp.Basic, after: sp.Basic) -> bool:
    """A factor said lost in the body of a derivative: the step kept that derivative (the
    same orders of differentiation on both lines)."""
    if not m.binding.get("kept_derivative"):
        return True
    return orders(before) > 0 and orders(after) == orders(before)


FACTOR_WITNESSES: dict[str, Callable[[Any, Any, sp.Basic, sp.Basic], bool]] = {
    "power-derivative": _power_derivative,
    "factor-dropped": _factor_dropped,
}
