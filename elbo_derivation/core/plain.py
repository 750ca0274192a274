"""Expressions as one line of text in the author's notation, for the sentences every layer
writes (a tier's reason, a numeric check's note): a density by the signature the author
declared (``p(x)``, not SymPy's ``p(x)(x)``), powers as ``^``, products as ``·``, a matrix as
``[1, 2; 3, 4]`` and a transpose as ``ᵀ`` — never Python's ``**``, ``*`` or ``Matrix([[…]])``.
"""

from __future__ import annotations

import re

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.str import StrPrinter

__all__ = ["plain"]

_SIGNATURE = re.compile(r"([^\W\d]\w*)\((.*)\)$")


class _Printer(StrPrinter):
    """SymPy's string printer, with a declared density printed by its declared name."""

    def _print_AppliedUndef(self, expr: AppliedUndef) -> str:
        name = expr.func.__name__
        args = [self._print(a) for a in expr.args]
        sig = _SIGNATURE.match(name)
        if sig is None:
            return f"{name}({', '.join(args)})"
        # a density is declared with its signature, "p(x|z)": that is how the author wrote it,
        # unless it is applied at other arguments (q(z|x) at x_1, an i.i.d. copy)
        family, inner = sig.groups()
        given, _, cond = inner.partition("|")
        n = len([v for v in given.split(",") if v.strip()])
        if [v.strip() for v in inner.replace("|", ",").split(",") if v.strip()] == args:
            return name
        tail = f"|{', '.join(args[n:])}" if cond.strip() else ""
        return f"{family}({', '.join(args[:n])}{tail})"


    def _print_MatrixBase(self, expr: sp.MatrixBase) -> str:
        # a matrix as the reports write one, rows split by ';': [1, 2; 3, 4], a vector [1; 2]
        return "[" + "; ".join(", ".join(self._print(x) for x in expr.row(i))
                               for i in range(expr.rows)) + "]"

    _print_ImmutableDenseMatrix = _print_MatrixBase
    _print_MutableDenseMatrix = _print_MatrixBase

    def _print_Transpose(self, expr: sp.Transpose) -> str:
        base = self._print(expr.arg)
        plain_name = isinstance(expr.arg, (sp.MatrixSymbol, sp.Symbol)) or (
            isinstance(expr.arg, sp.MatrixBase))
        return f"{base}ᵀ" if plain_name else f"({base})ᵀ"

    def _print_Identity(self, expr: sp.Identity) -> str:
        return "I"

    def _print_ZeroMatrix(self, expr: sp.ZeroMatrix) -> str:
        return "0"


def plain(expr: sp.Basic) -> str:
    """``expr`` as one line of text in the author's notation.

    Parameters
    ----------
    expr : sympy.Basic

    Returns
    -------
    str
        densities by their declared names, ``^`` for powers and ``·`` for products.

    Examples
    --------
    >>> import sympy as sp
    >>> x, s = sp.symbols("x s", positive=True)
    >>> plain(-sp.log(sp.Function("p(x)", positive=True)(x)) + s**2 / 2)
    's^2/2 - log(p(x))'
    >>> W = sp.MatrixSymbol("W", 2, 2)
    >>> plain(sp.Identity(2) + W.T), plain(sp.ImmutableMatrix([[1, -2], [3, 4]]))
    ('I + Wᵀ', '[1, -2; 3, 4]')
    """
    text = _Printer().doprint(sp.S(expr))
    return text.replace("**", "^").replace("*", "·")
