"""The order in which symbols take their values at a numeric point: the derivation's own.

Every numeric check draws points symbol by symbol (the first positive symbol gets the first
nice value, the random stream is consumed in the symbols' order). Ordered by name, the points
would depend on the letters: renaming ``a, c, d`` to ``α, κ, β`` would move a probe point from
where a step holds to where it fails, and a verdict or a mistake's name would change with the
names. Here the order is the one the derivation gives: the declared names in the order they
were declared (then the ``let`` names), which a consistent renaming keeps.

The order of the derivation being checked is set for a block of work by :func:`symbol_order`
(the pipeline does it for each step, the decision and the diagnosis for their derivation), and
read by :func:`ordered`, which every place that draws points sorts its symbols with. A name the
derivation does not declare (a parameter of a numeric instance the checker made, a dummy)
comes after every declared name, by name (an entry ``mu[j]`` of a declared vector right after
the vector). Seeds made from a density or a function (:func:`canonical_text`) take its place
in the order, not its letters.
Outside any :func:`symbol_order` block the order is by name, as before.

Examples
--------
>>> import sympy as sp
>>> a, c, d = sp.symbols("a c d", positive=True)
>>> ordered({a, c, d})
[a, c, d]
>>> with symbol_order(["c", "a", "d"]):
...     ordered({a, c, d})
[c, a, d]
>>> alpha, kappa, beta = sp.symbols("alpha kappa beta", positive=True)
>>> with symbol_order(["kappa", "alpha", "beta"]):
...     ordered({alpha, kappa, beta})
[kappa, alpha, beta]
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from typing import Any, TypeVar

import sympy as sp
from sympy.core.function import AppliedUndef

__all__ = ["canonical_text", "current_order", "derivation_names", "in_derivation_order",
           "order_key", "order_token", "ordered", "symbol_order"]

#: name → rank in the derivation being checked (None: no derivation, order by name)
_RANKS: ContextVar[dict[str, int] | None] = ContextVar("elbo_symbol_order", default=None)

_F = TypeVar("_F", bound=Callable[..., Any])


def derivation_names(derivation: Any) -> list[str]:
    """The names of ``derivation`` in the order they were declared (symbols, then ``let``
    names; the readers keep the order of the text), or [] for None.

    >>> import sympy as sp
    >>> from elbo_derivation.core.steps import Derivation
    >>> b, a = sp.symbols("b a", real=True)
    >>> derivation_names(Derivation("t", {"b": b, "a": a}, a, []))
    ['b', 'a']
    """
    if derivation is None:
        return []
    names: list[str] = []
    declarations = getattr(derivation, "declarations", None)
    for table in (getattr(derivation, "symbols", None), getattr(declarations, "symbols", None),
                  getattr(derivation, "definitions", None), getattr(derivation, "functions", None)):
        for key in (table or {}):
            name = str(key).split("(", 1)[0].strip()  # a density q(z|x): its name q
            if name not in names:
                names.append(name)
    return names


@contextlib.contextmanager
def symbol_order(names: Iterable[str] | Any) -> Iterator[None]:
    """Within the block, :func:`ordered` puts symbols in the order of ``names`` (a list of
    names, or a derivation, whose :func:`derivation_names` are taken).

    A derivation with no names (or None) leaves the order that was set outside the block."""
    if names is None or not isinstance(names, (list, tuple)):
        names = derivation_names(names)
    names = list(names)
    if not names:
        yield
        return
    token = _RANKS.set({n: i for i, n in enumerate(dict.fromkeys(names))})
    try:
        yield
    finally:
        _RANKS.reset(token)


def in_derivation_order(fn: _F) -> _F:
    """Decorate a function whose third positional argument (or keyword ``derivation``) is
    the derivation: it runs in that derivation's :func:`symbol_order`."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        derivation = kwargs.get("derivation", args[2] if len(args) > 2 else None)
        with symbol_order(derivation):
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def current_order() -> tuple[str, ...] | None:
    """The names of the current :func:`symbol_order` in their order, or None outside any
    block: a part of the key of a cache whose results depend on the order.

    >>> current_order() is None
    True
    >>> with symbol_order(["y", "x"]):
    ...     current_order()
    ('y', 'x')
    """
    ranks = _RANKS.get()
    return None if ranks is None else tuple(sorted(ranks, key=ranks.__getitem__))


def order_key(symbol: Any) -> tuple:
    """The sort key of ``symbol`` in the current order (see the module's description).

    >>> import sympy as sp
    >>> z, a_, u = sp.symbols("z a_ u", real=True)
    >>> with symbol_order(["z", "x"]):
    ...     sorted([u, a_, z], key=order_key)
    [z, a_, u]
    """
    name = getattr(symbol, "name", None)
    name = name if isinstance(name, str) else str(symbol)
    assumptions = str(sorted(getattr(symbol, "assumptions0", {}).items()))
    ranks = _RANKS.get()
    if ranks is None:
        return (0, 0, name, assumptions)
    if name in ranks:
        return (ranks[name], 0, "", assumptions)
    # a name built on a declared one (z_1 from z, mu[j] from mu): right after it
    base = name.split("[", 1)[0]  # an entry mu[j] of a declared vector mu: right after it
    if base in ranks:
        return (ranks[base], 1, name[len(base):], assumptions)
    # a name the checker made (an instance's parameter a, or a_ where a was taken): after
    # the declared names, by the name it was made from
    return (len(ranks), 2, name.rstrip("_"), assumptions)


def order_token(name: str) -> str:
    """``name`` as its place in the current order (``#0``, ``#1``, ...), or as it is when
    the order does not know it: a seed made from it does not depend on the letters.

    >>> with symbol_order(["q", "p"]):
    ...     order_token("p"), order_token("f")
    ('#1', 'f')
    """
    ranks = _RANKS.get()
    return f"#{ranks[name]}" if ranks is not None and name in ranks else name


def canonical_text(expr: Any) -> str:
    """``str(expr)`` with every name as its :func:`order_token` (the terms of a sum and the
    factors of a product sorted): the same text for a renamed expression. Outside any
    :func:`symbol_order` block, ``str(expr)``.

    >>> import sympy as sp
    >>> x, z, w, X = sp.symbols("x z w X", real=True)
    >>> q, r = sp.Function("q"), sp.Function("r")
    >>> with symbol_order(["x", "z", "q"]):
    ...     a = canonical_text(q(z, x))
    >>> with symbol_order(["X", "w", "r"]):
    ...     b = canonical_text(r(w, X))
    >>> a == b, a
    (True, '#2(#1,#0)')
    """
    if _RANKS.get() is None:
        return str(expr)
    if isinstance(expr, sp.Symbol):
        return order_token(expr.name)
    if isinstance(expr, AppliedUndef):
        return order_token(expr.func.__name__) + "(" + ",".join(
            canonical_text(a) for a in expr.args) + ")"
    if not isinstance(expr, sp.Basic) or not expr.args:
        return str(expr)
    parts = [canonical_text(a) for a in expr.args]
    if isinstance(expr, (sp.Add, sp.Mul)):
        parts.sort()
    return type(expr).__name__ + "(" + ",".join(parts) + ")"


def ordered(symbols: Iterable[Any]) -> list[Any]:
    """``symbols`` (a set) as a list in the current order, each once.

    >>> import sympy as sp
    >>> x, y = sp.symbols("x y", real=True)
    >>> with symbol_order(["y", "x"]):
    ...     ordered([x, y, x])
    [y, x]
    """
    return sorted(set(symbols), key=lambda s: (order_key(s), sp.srepr(s)))
