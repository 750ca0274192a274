"""Reading a chain of expressions given in Python (:func:`read_steps`), the front end of
:func:`~elbo_derivation.decide.engine.check_steps`.

Strings go through the ``.deriv`` expression grammar (never ``eval``); names are declared
through the same :class:`~elbo_derivation.read.declarations.Declarations` builder as the
``.deriv`` and ``.tex`` readers, so an assumption word (``"positive"``, ``"positive
integer"``) or an interval (``"(0, 1)"``) means the same in all three. Each step keeps its text
as written, its column span, and an unevaluated display form.

Examples
--------
>>> d = read_steps(["log(s^2)/2", "<= log(s) + 1"], symbols="s",
...                assumptions={"s": "positive"})
>>> d.steps[0].relation.value, d.steps[0].expr_text, d.steps[0].span
('<=', 'log(s) + 1', (2, 4, 2, 14))
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sympy as sp

from elbo_derivation.core.steps import Derivation, Relation, Step
from elbo_derivation.errors import InputError
from elbo_derivation.read.declarations import (
    ASSUMPTIONS,
    Declarations,
    assumption_keywords,
    bound_to_definitions,
)
from elbo_derivation.read.deriv import parse_expression, written_form

__all__ = ["read_steps"]

_STEP_RELATION = re.compile(r"\s*(?:(=~|≃)\s*\[([^\]]*)\]|(<=|>=|≤|≥|=))")
_RELATION_WORDS = {"=": Relation.EQ, "<=": Relation.LE, "≤": Relation.LE, ">=": Relation.GE,
                   "≥": Relation.GE}
_FILE = "<check_steps>"


def _declare(
    symbols: str | Iterable[str] | Mapping[str, sp.Symbol] | None,
    assumptions: Mapping[str, str] | None,
    exprs: Sequence[Any],
) -> Declarations:
    """The declarations of a :func:`read_steps` call, through the shared builder."""
    decl = Declarations(file=_FILE)
    assumptions = dict(assumptions or {})
    for name, word in assumptions.items():
        if not isinstance(word, str) or (
                assumption_keywords(word) is None and not word.strip().startswith(("(", "["))):
            raise ValueError(
                f"assumptions[{name!r}] must be one of {', '.join(ASSUMPTIONS)} (or several, "
                f"e.g. 'positive integer', or an interval such as '(0, 1)'), got {word!r}")
    if isinstance(symbols, Mapping):
        decl.symbols.update(symbols)
        decl.assumption_of.update({n: "as given" for n in symbols})
        names: list[str] = []
    elif symbols is None:  # the SymPy inputs' own symbols, with their own assumptions
        items = [e[1] if isinstance(e, tuple) else e for e in exprs]
        own = {s.name: s for e in items if isinstance(e, sp.Basic)
               for s in e.free_symbols if isinstance(s, sp.Symbol)}
        decl.symbols.update({n: s for n, s in own.items() if n not in assumptions})
        decl.assumption_of.update({n: "as given" for n in decl.symbols})
        names = list(assumptions)
    elif isinstance(symbols, str):
        names = [n.strip() for n in symbols.replace(" ", ",").split(",") if n.strip()]
    else:
        names = list(symbols)
    if symbols is not None and not isinstance(symbols, Mapping):
        unknown = set(assumptions) - set(names)
        if unknown:
            raise ValueError(
                f"assumptions name undeclared symbols: {', '.join(sorted(unknown))}")
    elif isinstance(symbols, Mapping) and set(assumptions) - set(symbols):
        raise ValueError("assumptions name undeclared symbols: "
                         + ", ".join(sorted(set(assumptions) - set(symbols))))
    for name in names:
        word = assumptions.get(name, "real")
        try:
            decl.declare_symbols(f"{name} : {word}", 1, 1)
        except InputError as err:
            raise ValueError(f"symbol {name!r} with assumption {word!r}: "
                             f"{getattr(err, 'message', err)}") from None
    return decl


def read_steps(
    exprs: Sequence[str | sp.Expr | tuple[str, sp.Expr]],
    *,
    symbols: str | Iterable[str] | Mapping[str, sp.Symbol] | None = None,
    assumptions: Mapping[str, str] | None = None,
    definitions: Mapping[str, str | sp.Expr] | None = None,
    densities: str | Iterable[str] | None = None,
    functions: str | Iterable[str] | None = None,
    title: str = "steps",
) -> Derivation:
    """Read a chain of expressions into an unchecked :class:`Derivation`.

    The first expression is the start, each next one a step. A string may begin with its
    relation (``"<= ..."``, ``"=~ [g] ..."``), otherwise ``=`` is meant; SymPy expressions (or
    ``(relation, expr)`` pairs) are taken as they are. See
    :func:`~elbo_derivation.decide.engine.check_steps` for the parameters.

    Raises
    ------
    ValueError
        fewer than two expressions, unknown assumptions; an
        :class:`~elbo_derivation.errors.InputError` (located as ``<check_steps>:N:COLUMN``,
        N counting the expressions from 1) for a string that cannot be read.
    """
    exprs = list(exprs)
    if len(exprs) < 2:
        raise ValueError(f"exprs must hold at least two expressions, got {len(exprs)}")
    decl = _declare(symbols, assumptions, exprs)
    table = decl.symbols

    def read(item: str | sp.Expr, where: int, column: int = 1) -> sp.Expr:
        if isinstance(item, str):
            if "\n" in item or "\r" in item:
                raise InputError(f"exprs[{where}] must be one line, got a line break")
            expr = parse_expression(item, table, functions=decl.functions, file=_FILE,
                                    line=where + 1, column=column, indexed=decl.indexed)
            name = bound_to_definitions(expr, decl.definitions)
            if name is not None:
                raise InputError(f"{_FILE}:{where + 1}:{column}: '{name}' is a let name: a "
                                 "derivative or sum is taken over a declared symbol")
            return expr
        expr = sp.sympify(item, strict=True)  # an Expr already: nothing is parsed
        return expr.xreplace({s: table[s.name] for s in expr.free_symbols
                              if isinstance(s, sp.Symbol) and s.name in table})

    for what, given in (("densities", densities), ("functions", functions)):
        if given is None:
            continue
        texts = [given] if isinstance(given, str) else list(given)
        for text in texts:
            try:
                if what == "densities":
                    decl.declare_densities(text, 1, 1, expression=lambda part, col: read(part, 0))
                else:
                    decl.declare_functions(text, 1, 1)
            except InputError as err:
                raise ValueError(f"{what} {text!r}: {getattr(err, 'message', err)}") from None
    for name, value in (definitions or {}).items():
        decl.define(name, read(value, 0), None, None)  # type: ignore[arg-type]
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
        written = text.strip() if isinstance(text, str) else ""
        span = None
        if written:
            first = column + len(text) - len(text.lstrip())
            span = (i + 1, first, i + 1, first + len(written))
        steps.append(Step(index=i, relation=relation, expr=read(text, i, column),
                          text=item.strip() if isinstance(item, str) else str(text),
                          expr_text=written, wrt=wrt, line=None, span=span))
    start_text = exprs[0].strip() if isinstance(exprs[0], str) else ""
    d = Derivation(title=title, symbols=dict(table), start=start, steps=steps,
                   definitions=dict(decl.definitions), functions=dict(decl.functions),
                   name=title, start_text=start_text, declarations=decl)
    if start_text:
        lead = len(exprs[0]) - len(exprs[0].lstrip())
        d.start_span = (1, lead + 1, 1, lead + 1 + len(start_text))
        d.start_display = written_form(d, start_text)
    else:
        d.start_display = exprs[0] if isinstance(exprs[0], sp.Basic) else None
    for step, item in zip(steps, exprs[1:], strict=True):
        if step.expr_text:
            step.display = written_form(d, step.expr_text)
        else:
            raw = item[1] if isinstance(item, tuple) else item
            step.display = raw if isinstance(raw, sp.Basic) else None
    return d
