"""The public entry points for checking derivations, where they have always been importable.

Deciding lives in :mod:`elbo_derivation.decide.verdict` (:func:`compare`, one step against its
previous expression, by the tiers of :mod:`elbo_derivation.decide.tiers`); checking a step,
which decides and then explains a refuted step, lives in :mod:`elbo_derivation.pipeline`
(:func:`check_step`, :func:`check_derivation`, :func:`load_derivation`). This module
re-exports them and adds :func:`check_steps`, a chain of expressions given as strings or SymPy
objects. Nothing inside the package imports this module: it sits above the pipeline, for
users (the import contracts in ``pyproject.toml`` hold it to that).

Examples
--------
>>> import sympy as sp
>>> a, b = sp.symbols("a b", positive=True)
>>> compare(sp.log(a / b), sp.log(a) - sp.log(b)).method
'algebra'
>>> d = check_steps(["(x - mu)^2", "x^2 + 2*x*mu + mu^2"], symbols="x, mu")
>>> d.steps[0].verdict.value, d.steps[0].result.mistake
('refuted', 'cross-term-sign')
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sympy as sp

from elbo_derivation.core.steps import Derivation, Relation, Step
from elbo_derivation.decide.verdict import compare
from elbo_derivation.pipeline import check_derivation, check_step, load_derivation

__all__ = [
    "check_derivation",
    "check_step",
    "check_steps",
    "compare",
    "load_derivation",
]


_STEP_RELATION = re.compile(r"\s*(?:(=~|≃)\s*\[([^\]]*)\]|(<=|>=|≤|≥|=))")
_RELATION_WORDS = {"=": Relation.EQ, "<=": Relation.LE, "≤": Relation.LE, ">=": Relation.GE,
                   "≥": Relation.GE}


def _declare(
    symbols: str | Iterable[str] | Mapping[str, sp.Symbol] | None,
    assumptions: Mapping[str, str] | None,
    exprs: Sequence[Any],
) -> dict[str, sp.Symbol]:
    from elbo_derivation.read.deriv import ASSUMPTIONS

    assumptions = dict(assumptions or {})
    for name, word in assumptions.items():
        if word not in ASSUMPTIONS:
            raise ValueError(
                f"assumptions[{name!r}] must be one of {', '.join(ASSUMPTIONS)}, got {word!r}"
            )
    if isinstance(symbols, Mapping):
        out = dict(symbols)
    else:
        if symbols is None:  # the SymPy inputs' own symbols, with their own assumptions
            items = [e[1] if isinstance(e, tuple) else e for e in exprs]
            own = {s.name: s for e in items if isinstance(e, sp.Basic)
                   for s in e.free_symbols if isinstance(s, sp.Symbol)}
            own.update((n, sp.Symbol(n, **ASSUMPTIONS[w])) for n, w in assumptions.items())
            return own
        if isinstance(symbols, str):
            names = [n.strip() for n in symbols.replace(" ", ",").split(",") if n.strip()]
        else:
            names = list(symbols)
        out = {n: sp.Symbol(n, **ASSUMPTIONS[assumptions.get(n, "real")]) for n in names}
    unknown = set(assumptions) - set(out)
    if unknown:
        raise ValueError(f"assumptions name undeclared symbols: {', '.join(sorted(unknown))}")
    return out


def check_steps(
    exprs: Sequence[str | sp.Expr | tuple[str, sp.Expr]],
    *,
    symbols: str | Iterable[str] | Mapping[str, sp.Symbol] | None = None,
    assumptions: Mapping[str, str] | None = None,
    definitions: Mapping[str, str | sp.Expr] | None = None,
    time_limit: float = 5.0,
    title: str = "steps",
) -> Derivation:
    """Check a chain of expressions: the first is the start, each next one a step.

    Strings are read by the ``.deriv`` expression grammar (never ``eval``); a string may begin
    with its relation (``"<= ..."``, ``"=~ [g] ..."``), otherwise ``=`` is meant. SymPy
    expressions (or ``(relation, expr)`` pairs) are taken as they are.

    Parameters
    ----------
    exprs : sequence
        at least two expressions.
    symbols : str, iterable of str, or mapping of str to Symbol, optional
        the names used, e.g. ``"mu, sigma"``; by default the free symbols of SymPy inputs.
    assumptions : mapping of str to str, optional
        ``{"sigma": "positive"}``; undeclared assumptions default to ``"real"``.
    definitions : mapping of str to str or Expr, optional
        ``let`` names, substituted for checking.
    time_limit : float
        seconds allowed per step.
    title : str
        the derivation's title.

    Returns
    -------
    Derivation
        checked.

    Raises
    ------
    ValueError
        for fewer than two expressions or unknown assumptions (an
        :class:`~elbo_derivation.errors.InputError` when a string cannot be read).

    Examples
    --------
    >>> d = check_steps(["log(s^2)/2", "log(s)", "log(s) + 0.001"], symbols="s",
    ...                 assumptions={"s": "positive"})
    >>> [s.verdict.value for s in d.steps]
    ['proved', 'refuted']
    >>> d.steps[1].result.counterexample.difference
    -0.001
    >>> check_steps(["a^2 + b^2", ">= 2*a*b"], symbols="a, b").steps[0].verdict.value
    'proved'
    """
    from elbo_derivation.errors import InputError
    from elbo_derivation.read.deriv import parse_expression

    exprs = list(exprs)
    if len(exprs) < 2:
        raise ValueError(f"exprs must hold at least two expressions, got {len(exprs)}")
    table = _declare(symbols, assumptions, exprs)
    by_name = {name: sym for name, sym in table.items()}

    def read(item: str | sp.Expr, where: int, column: int = 1) -> sp.Expr:
        if isinstance(item, str):
            if "\n" in item or "\r" in item:
                raise InputError(f"exprs[{where}] must be one line, got a line break")
            return parse_expression(item, table, file="<check_steps>", line=where + 1,
                                    column=column)
        expr = sp.sympify(item, strict=True)  # an Expr already: nothing is parsed
        return expr.xreplace({s: by_name[s.name] for s in expr.free_symbols
                              if isinstance(s, sp.Symbol) and s.name in by_name})

    defs: dict[str, sp.Expr] = {}
    for name, value in (definitions or {}).items():
        defs[name] = read(value, 0)
        table[name] = sp.Symbol(name)
    start = read(exprs[0], 0)
    steps = []
    for i, item in enumerate(exprs[1:], start=1):
        relation, wrt, text = Relation.EQ, (), item
        if isinstance(item, tuple):
            relation, text = Relation(item[0]), item[1]
        elif isinstance(item, str):
            m = _STEP_RELATION.match(item)
            if m:
                if m.group(1):
                    relation = Relation.EQ_UP_TO
                    wrt = tuple(n.strip() for n in m.group(2).split(",") if n.strip())
                else:
                    relation = _RELATION_WORDS[m.group(3)]
                text = item[m.end():]
        column = 1 + (len(item) - len(text) if isinstance(item, str) else 0)
        steps.append(Step(index=i, relation=relation, expr=read(text, i, column),
                          text=text.strip() if isinstance(text, str) else str(text), wrt=wrt))
    d = Derivation(title=title, symbols=table, start=start, steps=steps, definitions=defs,
                   name=title)
    return check_derivation(d, time_limit=time_limit)
