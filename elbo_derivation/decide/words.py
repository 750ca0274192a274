"""Expressions in words for the deciding tiers' explanations, in the author's notation.

The tiers may not import :mod:`elbo_derivation.report` (the import contracts), so they print
the expressions they name through :func:`plain`: a density by the signature the author declared
(``p(x)``, not SymPy's ``p(x)(x)``, the function applied to its arguments once more), powers
as ``^`` and products as ``·``, never Python's ``**`` and ``*``.
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
    """
    text = _Printer().doprint(sp.S(expr))
    return text.replace("**", "^").replace("*", "·")
