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
* ``power-written``: a power of an exponential said lost in a log was written as a power;
* ``square-gone``: the square said to be lost was written on the previous line, and the
  written step shows fewer squares of its base (a square that only expanding or a rule of
  derivatives makes is not on the page: e·s for the e²s of e(es + m) is as much the factor e
  applied to one term only);
* ``cross-term-written``: the binomial 2 of a cross term is lost only where the page shows the
  square's expansion: the step expands a square of a sum (one the previous line holds is
  gone from the written step), or the previous line writes the cross term 2ab beside a² and b²
  (2√(s₁s₂²s₁) beside s₁² and s₂² is a 2 the author wrote on a root, no cross term on the page).

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

from elbo_derivation.explain.page import rebuilt

#: the first step of a site in a derivative's value (:data:`.mistakes.VALUE`)
VALUE = -1

__all__ = ["FACTOR_WITNESSES", "orders", "powers_under_derivatives", "squares_of"]


_rebuilt = rebuilt  # (see :func:`.page.rebuilt`)


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


def squares_of(e: sp.Basic, base: sp.Basic) -> int:
    """How many squares (or inverse squares) of ``base`` ``e`` as written shows.

    >>> a, w = sp.symbols("a w", positive=True)
    >>> squares_of(a / (a + w) ** 2 + (a + w) ** 2, a + w), squares_of(a / (a + w), a + w)
    (2, 0)
    """
    want = _rebuilt(base)
    return sum(1 for n in sp.preorder_traversal(e)
               if n.is_Pow and n.exp in (2, -2) and _rebuilt(n.base) == want)


def _square_gone(m: Any, ctx: Any, before: sp.Basic, after: sp.Basic) -> bool:
    """The square said lost was written on the previous line and is gone from the step; or
    it stands in the value of a derivative the step took (the chain rule's second (c + vu)
    of d/du (c + vu)e^{cu + vu²/2}), which the written step shows without it."""
    base = m.binding.get("s")
    if not isinstance(base, sp.Basic):
        return True
    if m.binding.get("written_square"):  # the base written on the step, its square gone
        want = _rebuilt(base)
        if not any(_rebuilt(n) == want for n in sp.preorder_traversal(after)):
            return False
        if _square_completed(base, before) or tuple(m.path or ())[:1] == (VALUE,):
            return True  # (in a derivative's value the rule made the square, not the page)
    elif tuple(m.path or ())[:1] == (VALUE,):
        return True
    if m.binding.get("square_put_back") and squares_of(after, base) >= squares_of(before, base):
        # a symbol's square put back on a step that expanded a square of a product ((np)²
        # written n²p²): the squares of the symbol need not be fewer, but one must have
        # been written on the previous line, of the symbol or of a product holding it
        return squares_held(before, base) > 0
    return squares_of(after, base) < squares_of(before, base)


def _square_completed(base: sp.Basic, before: sp.Basic) -> bool:
    """Whether the bracket ``base`` (a sum), written on the step, is a square completed there:
    the previous line as written does not hold the bracket, and holds the square of one of
    its symbols ((A + B)x² − 2(aB + bA)x + … written with the bracket x − (aB + bA)/(A + B)):
    the square the bracket needs is the one the step turned into it.

    >>> x, a, b = sp.symbols("x a b", real=True)
    >>> _square_completed(x - a / b, -b * x**2 / 2 + a * x)
    True
    >>> _square_completed(x - a / b, -b * x / 2 + a)
    False
    >>> _square_completed(x - a, (x - a) ** 3 + x**2)
    False
    """
    if not isinstance(base, sp.Add) or len(base.args) < 2:
        return False
    want = _rebuilt(base)
    if any(_rebuilt(n) == want for n in sp.preorder_traversal(before)):
        return False
    return any(squares_of(before, s) > 0 for s in base.free_symbols)


def squares_held(e: sp.Basic, base: sp.Basic) -> int:
    """How many squares ``e`` as written shows of ``base`` or of a product that holds
    ``base`` as a factor ((n·p)² holds p).

    >>> n, p = sp.symbols("n p", positive=True)
    >>> squares_held(sp.Mul(n, p, evaluate=False) ** 2 + n * p, p), squares_held(n * p, p)
    (1, 0)
    """
    want = _rebuilt(base)
    return sum(1 for n in sp.preorder_traversal(e)
               if n.is_Pow and n.exp in (2, -2)
               and want in {_rebuilt(f) for f in sp.Mul.make_args(n.base)})


def _power_written(m: Any, ctx: Any, before: sp.Basic, after: sp.Basic) -> bool:
    """The power k of an exponential said lost in a log was written as a power, (e^u)ᵏ, on
    the previous line (e^{ku} as written is no power a student could lose)."""
    k = m.binding.get("exp_power")
    if not isinstance(k, sp.Basic):
        return True
    return any(n.is_Pow and n.exp == k and isinstance(n.base, sp.exp)
               for n in sp.preorder_traversal(before))


def _power_carried(m: Any, ctx: Any, before: sp.Basic, after: sp.Basic) -> bool:
    """The power n said put on one factor only stands on the previous line over something that
    holds that factor's symbols ((λe^t)^k, λ^k e^{kt}): a power the page never put on them
    (e^{−λ} beside a series in (λs)^k summed to e^s) is no power a student could misplace."""
    n, base = m.binding.get("s"), m.binding.get("base")
    if not (isinstance(n, sp.Basic) and isinstance(base, sp.Basic)) or not base.free_symbols:
        return True
    wanted = base.free_symbols - n.free_symbols
    for node in sp.preorder_traversal(before):
        if node.is_Pow and node.exp == n and node.base.free_symbols & wanted:
            return True
        if isinstance(node, sp.exp) and n in sp.Mul.make_args(node.args[0]) and (
                node.args[0].free_symbols & wanted):
            return True
    return False


def _squares_of_sums(e: sp.Basic) -> set[sp.Basic]:
    """The squares of a sum ``e`` as written holds ((a − b)², c·(a + b)²)."""
    return {n for n in sp.preorder_traversal(e)
            if n.is_Pow and n.exp == 2 and isinstance(n.base, sp.Add)}


def _flat_factors(t: sp.Basic) -> tuple[sp.Rational, list[sp.Basic]]:
    """A written term as its numeric coefficient and its other factors (nested products of
    an unevaluated tree flattened)."""
    coeff, rest = sp.Integer(1), []
    for f in sp.Mul.make_args(t):
        if f.is_Number:
            coeff *= f
        elif isinstance(f, sp.Mul):
            c, r = _flat_factors(f)
            coeff, rest = coeff * c, rest + r
        else:
            rest.append(f)
    return coeff, rest


def _cross_term_written(m: Any, ctx: Any, before: sp.Basic, after: sp.Basic) -> bool:
    """The ``cross-term-written`` witness (module doc).

    >>> a, b, s, t = sp.symbols("a b s t", positive=True)
    >>> ev = dict(evaluate=False)
    >>> _cross_term_written(None, None, sp.Pow(a - b, 2, **ev), a**2 - a*b + b**2)
    True
    >>> _cross_term_written(None, None, sp.Pow(a - b, 2, **ev) + t, sp.Pow(a - b, 2, **ev))
    False
    >>> _cross_term_written(None, None, sp.Add(a**2, b**2, sp.Mul(-2, a, b, **ev), **ev), a)
    True
    >>> root = sp.sqrt(sp.Mul(s, t**2, s, **ev), evaluate=False)
    >>> _cross_term_written(None, None, sp.Add(s**2, t**2, sp.Mul(-2, root, **ev), **ev), s)
    False
    """
    if _squares_of_sums(before) - _squares_of_sums(after):
        return True
    for add in (n for n in sp.preorder_traversal(before) if isinstance(n, sp.Add)):
        squared = set()
        for t in add.args:
            _, fs = _flat_factors(t)
            squared |= {f.base for f in fs if f.is_Pow and f.exp == 2}
        for t in add.args:
            coeff, fs = _flat_factors(t)
            if abs(coeff) != 2:
                continue
            if len(fs) == 2 and all(f in squared for f in fs):
                return True
            if len(fs) == 1 and fs[0].is_Pow and fs[0].exp == 2 and fs[0].base in squared:
                return True
    return False


FACTOR_WITNESSES: dict[str, Callable[[Any, Any, sp.Basic, sp.Basic], bool]] = {
    "cross-term-written": _cross_term_written,
    "power-carried": _power_carried,
    "power-derivative": _power_derivative,
    "factor-dropped": _factor_dropped,
    "square-gone": _square_gone,
    "power-written": _power_written,
}
