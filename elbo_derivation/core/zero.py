r"""Whether an expression expands to zero, with the expansion spared where a value says no.

``sp.expand(e) == 0`` is the package's test that two simulated expressions are the same
(a wrong term equal to the right one, a repair equal to the previous line). ``expand`` is
an identity: the expanded form has the value of ``e`` wherever ``e`` is defined, under the
symbols' assumptions. So where ``e`` has a nonzero value at one point that respects every
assumption of its symbols, its expansion is not 0, and nothing needs expanding: on a
logistic sigmoid written out (fractions of exponentials of sums), one ``expand`` can take
seconds, one value a few milliseconds.

:func:`expands_to_zero` therefore answers exactly what ``sp.expand(e) == 0`` answers: it
evaluates ``e`` at one rational point (mpmath, 50 digits, confirmed at 70) and returns False
when both values agree and are clearly nonzero; in every other case (no point found that
respects the assumptions, an undefined or non-real value, a node that has no value here:
an abstract function, an integral, a derivative, or a decimal, whose 15 digits SymPy and
the exact value treat differently) it expands.

Examples
--------
>>> import sympy as sp
>>> a, b = sp.symbols("a b", positive=True)
>>> expands_to_zero((a + b)**2 - a**2 - 2*a*b - b**2)
True
>>> expands_to_zero(1 / (1 + sp.exp(-a - b)) - 1 / (1 + sp.exp(-a)))
False
>>> expands_to_zero(sp.log(a * b) - sp.log(a) - sp.log(b))  # positive: expand splits the log
True
>>> x, y = sp.symbols("x y", real=True)
>>> expands_to_zero(sp.log(x * y) - sp.log(x) - sp.log(y))  # not split (x, y may be < 0)
False
"""

from __future__ import annotations

from typing import Any

import mpmath
import sympy as sp
from sympy.core.function import AppliedUndef

__all__ = ["expands_to_zero", "nonzero_at_a_point"]

#: The candidate values of a symbol, in order: the first that satisfies every assumption of
#: the symbol is its value (rationals away from 0, 1 and −1, where a written step's factors
#: such as 1 − p, log p or 1/(k − 1) vanish or are undefined; integers for integer symbols).
_CANDIDATES = tuple(sp.Rational(p, q) for p, q in (
    (7, 10), (13, 10), (-11, 10), (-3, 5), (9, 20), (17, 10), (-19, 10),
)) + tuple(sp.Integer(k) for k in (3, 2, 5, 4, -3, -2, 7, 1, 0))

#: Nodes with no value here: the expansion decides.
_OPAQUE = (AppliedUndef, sp.Integral, sp.Derivative, sp.Sum, sp.Product, sp.Subs, sp.Limit,
           sp.Float, sp.Piecewise, sp.MatrixBase)

#: Digits of the value, and of its confirmation.
_DPS, _CONFIRM_DPS = 50, 70


def _value_for(symbol: sp.Symbol, k: int = 0) -> sp.Rational | None:
    """The first candidate value, from the ``k``-th on (round), that has every assumption
    ``symbol`` was given (distinct symbols start at distinct candidates, so that a − b is
    not 0 at the point)."""
    facts = symbol.assumptions0
    k %= len(_CANDIDATES)
    for v in _CANDIDATES[k:] + _CANDIDATES[:k]:
        if all(getattr(v, f"is_{fact}", None) == holds for fact, holds in facts.items()):
            return v
    return None


def nonzero_at_a_point(e: sp.Basic) -> bool:
    """Whether ``e`` has a nonzero value (50 digits, confirmed at 70) at a rational point
    that respects every assumption of its symbols; False when that is not shown (no such
    point, no value there, or a value that may be zero).

    >>> x = sp.Symbol("x", real=True)
    >>> nonzero_at_a_point(sp.sin(x)**2 + sp.cos(x)**2 - 1), nonzero_at_a_point(x - x**2)
    (False, True)
    """
    from elbo_derivation.core.compile import compile_expr

    try:
        if not isinstance(e, sp.Expr) or e.has(*_OPAQUE):
            return False
        symbols = sorted(e.free_symbols, key=sp.default_sort_key)
        if not all(isinstance(s, sp.Symbol) for s in symbols):
            return False  # an indexed entry, a bound variable of something opaque
        point = [_value_for(s, k) for k, s in enumerate(symbols)]
        if any(v is None for v in point):
            return False
        f = compile_expr(e, symbols, backend="mpmath", nonfinite="raise")
        values: list[Any] = []
        for dps in (_DPS, _CONFIRM_DPS):
            with mpmath.workdps(dps):
                values.append(f(*(mpmath.mpf(v.p) / v.q for v in point)))
        v50, v70 = values
        return bool(abs(v70) > mpmath.mpf(10) ** -30
                    and abs(v50 - v70) <= mpmath.mpf(10) ** -10 * abs(v70))
    except Exception:  # no value at the point (undefined, non-real, too large): not shown
        return False


def expands_to_zero(e: Any) -> bool:
    """``sp.expand(e) == 0``, without the expansion where ``e`` has a nonzero value at a
    point (:func:`nonzero_at_a_point`): the same answer, sooner."""
    e = sp.S(e)
    if e == 0:
        return True
    if nonzero_at_a_point(e):
        return False
    return sp.expand(e) == 0
