"""A derivation as data: symbols, definitions, and a list of steps with their verdicts.

A *derivation* starts from one expression and moves through steps. Each step states a
relation (``=``, ``<=``, ``>=`` or "equal up to a term free of some variables") between the
previous expression and a new one, and carries the justification a reader would write in the
margin ("linearity of the integral", "E[x²] = σ² + μ²"). Checking a derivation fills in each
step's :class:`SymbolicResult`; the numeric side fills in :class:`NumericCheck` results.

Nothing here checks anything: see :mod:`elbo_derivation.decide.engine`.

Examples
--------
>>> import sympy as sp
>>> x = sp.Symbol("x", real=True)
>>> d = Derivation(title="toy", symbols={"x": x}, start=(x + 1) ** 2,
...                steps=[Step(index=1, relation=Relation.EQ, expr=x**2 + 2*x + 1,
...                            justification="binomial expansion")])
>>> d.steps[0].lhs(d) == (x + 1) ** 2
True
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from elbo_derivation.core.factorised import expand_model_densities, factor_model

__all__ = [
    "Counterexample",
    "Derivation",
    "NumericCheck",
    "Relation",
    "Step",
    "SymbolicResult",
    "Verdict",
]


class Verdict(enum.StrEnum):
    """The symbolic verdict on one step.

    ``PROVED``
        a symbolic method showed left − right ≡ 0 under the declared assumptions.
    ``NUMERICALLY_SUPPORTED``
        no symbolic method succeeded within the time bound, but high-precision evaluation at
        many random and edge points agrees.
    ``REFUTED``
        a point where both sides are finite and differ beyond tolerance was found; it is
        reported as a :class:`Counterexample`.
    ``UNDECIDED``
        neither: for example both sides are non-finite at every probe, or the time ran out.

    A verdict (like a :class:`Relation`) is its value as a string:

    >>> str(Verdict.PROVED), f"{Relation.EQ_UP_TO}"
    ('proved', '=~')
    """

    PROVED = "proved"
    NUMERICALLY_SUPPORTED = "numerically-supported"
    REFUTED = "refuted"
    UNDECIDED = "undecided"

    @property
    def ok(self) -> bool:
        """True for the verdicts that do not count as a failure of the step."""
        return self in (Verdict.PROVED, Verdict.NUMERICALLY_SUPPORTED)


class Relation(enum.StrEnum):
    """The relation a step asserts between the previous expression and its own.

    ``EQ_UP_TO`` is the notes' "we can drop this term from the optimisation": the two sides
    differ by a term that does not depend on the step's ``wrt`` variables. In a ``.deriv``
    file it is written ``=~ [g, h]``.
    """

    EQ = "="
    LE = "<="
    GE = ">="
    EQ_UP_TO = "=~"

    @property
    def symbol(self) -> str:
        """The relation as a reader sees it: ``=``, ``≤``, ``≥`` or ``≃``."""
        return {"=": "=", "<=": "≤", ">=": "≥", "=~": "≃"}[self.value]


@dataclass(frozen=True)
class Counterexample:
    """A point, respecting the declared assumptions, where the two sides of a step differ.

    ``point`` maps symbol names to the values used; ``lhs`` and ``rhs`` are the two sides
    evaluated there (at high precision, rounded to float for display); ``difference`` is
    ``lhs - rhs`` computed before rounding, so that a tiny but real difference survives.
    ``note`` says how it was found (for example "exact: the difference is the constant 1/2");
    where it quotes an exact difference, ``exact`` is that expression (SymPy) and
    ``exact_text`` the words the note quotes it in, so that a report can show it in the
    author's notation instead.
    """

    point: Mapping[str, float]
    lhs: float
    rhs: float
    difference: float
    note: str = ""
    exact: Any = None
    exact_text: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "point": {k: float(v) for k, v in self.point.items()},
            "lhs": _json_float(self.lhs),
            "rhs": _json_float(self.rhs),
            "difference": _json_float(self.difference),
            "note": self.note,
        }


@dataclass
class SymbolicResult:
    """The outcome of the symbolic check of one step.

    ``method`` names the tier that decided (for example ``"expand_log"``,
    ``"gaussian-moments"``, ``"probe"``); ``reason`` says why in words, for ``undecided`` and
    ``numerically-supported`` above all.
    """

    verdict: Verdict
    method: str
    seconds: float
    counterexample: Counterexample | None = None
    reason: str = ""
    mistake: str | None = None
    #: the more general catalogue entries that reproduce the step as well, at the same place
    #: (``mistake`` is the most specific: log-density-sign, also sign-error)
    mistake_also: tuple[str, ...] = ()
    #: no name (``mistake`` None): the catalogue entries that each reproduce the step exactly
    #: where the page shows it, when nothing on the page tells which one was made
    mistake_candidates: tuple[str, ...] = ()
    #: for a refuted step, how the search of the mistake catalogue ended: ``named`` (one
    #: mistake proved), ``tie`` (``mistake_candidates`` each reproduce the step),
    #: ``not-recognised`` (the whole catalogue searched, none reproduces it) or
    #: ``out-of-time`` (the search was cut short: a name may exist); "" when not searched
    mistake_status: str = ""
    explanation: str = ""
    #: for a refuted step: the smallest part of the written expression that differs from the
    #: matching part of the correct one, and that correct part (SymPy), where one was found
    subexpression: Any = None
    expected: Any = None
    #: the way back: what the whole step should have been, when a named mistake's repair
    #: derives it from the written step (explain/mistakes.py)
    expected_step: Any = None
    #: the rules that decided the step, in a textbook's words ("log of a quotient",
    #: "linearity of E", ...); empty for a numeric verdict
    rules: tuple[str, ...] = ()
    #: for a proved step whose justification names a known rule the proof did not need: a
    #: note saying so (never a refutation)
    note: str = ""

    @property
    def rule(self) -> str:
        """The deciding rules as one phrase ("" when none): ``"; ".join(rules)``."""
        return "; ".join(self.rules)

    def to_json(self) -> dict[str, Any]:
        return {
            "verdict": self.verdict.value,
            "method": self.method,
            "seconds": round(self.seconds, 6),
            "counterexample": None if self.counterexample is None
            else self.counterexample.to_json(),
            "reason": self.reason,
            "rule": self.rule,
            "note": self.note,
        }

    # rich display in Jupyter (see elbo_derivation.notebook)
    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return _bundle(self)

    def _repr_html_(self) -> str | None:
        return _bundle(self).get("text/html")


@dataclass
class NumericCheck:
    """The outcome of one numeric check (quadrature or sampling) of a step.

    ``details`` holds what the check measured: for quadrature the number of points and the
    worst relative error; for sampling the estimate, its standard error and the z-score.
    A check that could not be made (no numeric instance of the step's densities, a side that
    cannot be evaluated) has ``made`` false, ``ok`` false and the reason: it is neither
    passed nor failed, and is never counted as a failure.
    """

    kind: str
    ok: bool
    details: dict[str, Any] = field(default_factory=dict)
    reason: str = ""
    made: bool = True

    @property
    def failed(self) -> bool:
        """True for a check that was made and did not pass."""
        return self.made and not self.ok

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "ok": bool(self.ok)}
        if not self.made:
            out["made"] = False  # could not be made: neither passed nor failed
        out.update({k: _jsonable(v) for k, v in self.details.items()})
        if self.reason:
            out["reason"] = self.reason
        return out


@dataclass
class Step:
    """One step of a derivation: ``previous <relation> expr``, with its justification.

    ``index`` counts from 1 (the starting expression is not a step). ``expr`` is the display
    form, with ``let`` names kept as symbols; the engine substitutes the definitions before
    checking. ``line`` is the line number in the source file, when there is one; ``text`` the
    step as written. ``wrt`` lists the variables an ``EQ_UP_TO`` step is taken with respect to.
    """

    index: int
    relation: Relation
    expr: sp.Expr
    justification: str = ""
    line: int | None = None
    text: str = ""
    wrt: tuple[str, ...] = ()
    result: SymbolicResult | None = None
    #: the expression's text as written (without the relation), and the expression rebuilt
    #: from it without SymPy's automatic simplification, for display (see
    #: :func:`~elbo_derivation.read.deriv.shown_expression`)
    expr_text: str = ""
    display: sp.Expr | None = None
    quadrature: NumericCheck | None = None
    sampling: NumericCheck | None = None
    #: where the expression is written: (line, column, end line, end column), columns from
    #: 1, the end exclusive; None when it was not given as text
    span: tuple[int, int, int, int] | None = None
    #: set by marking (:mod:`elbo_derivation.marking`): the step's status when it differs
    #: from the verdict (``carried-forward``, ``recovered``), and, after the first error, the
    #: index of the line it follows from (0: the start; None: none)
    status: str | None = None
    follows_from: int | None = None

    def lhs(self, derivation: Derivation) -> sp.Expr:
        """The expression this step starts from: the previous step's, or the start."""
        if self.index == 1:
            return derivation.start
        return derivation.steps[self.index - 2].expr

    @property
    def shown(self) -> sp.Expr:
        """The expression to show a reader: as written when known, else the checked one."""
        return self.expr if self.display is None else self.display

    @property
    def verdict(self) -> Verdict | None:
        return None if self.result is None else self.result.verdict

    def __repr__(self) -> str:
        """Short: ``<Step 2 (line 6): = x**2 + 1, refuted>`` (the full data is in the fields)."""
        where = f" (line {self.line})" if self.line else ""
        written = self.expr_text or str(self.expr)
        if len(written) > 60:
            written = written[:59] + "…"
        verdict = "not checked" if self.result is None else self.result.verdict.value
        return f"<Step {self.index}{where}: {self.relation.symbol} {written}, {verdict}>"

    # rich display in Jupyter (see elbo_derivation.notebook)
    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return _bundle(self)

    def _repr_html_(self) -> str | None:
        return _bundle(self).get("text/html")


@dataclass
class Derivation:
    """A derivation: declared symbols, ``let`` definitions, a start and its steps.

    ``symbols`` maps each declared name to a SymPy symbol that carries its assumptions
    (``real=True`` or ``positive=True``). ``definitions`` maps ``let`` names (themselves
    symbols in ``symbols``) to the expressions they stand for, in the order they were given;
    later definitions may use earlier ones. ``densities`` names the abstract densities
    (SymPy undefined functions) an expectation may be taken over.
    """

    title: str
    symbols: dict[str, sp.Symbol]
    start: sp.Expr
    steps: list[Step]
    source: str = ""
    name: str = ""
    path: str | None = None
    definitions: dict[str, sp.Expr] = field(default_factory=dict)
    functions: dict[str, Any] = field(default_factory=dict)
    start_line: int | None = None
    start_text: str = ""
    #: the starting expression as written, for display (see :attr:`Step.display`)
    start_display: sp.Expr | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    #: what every name means (a :class:`~elbo_derivation.read.declarations.Declarations`:
    #: symbols, intervals, densities, families and parameter roles), when a reader built it
    declarations: Any = field(default=None, repr=False, compare=False)
    #: where the starting expression is written (see :attr:`Step.span`)
    start_span: tuple[int, int, int, int] | None = None

    def expand_definitions(self, expr: sp.Expr) -> sp.Expr:
        """Replace every ``let`` name in ``expr`` by its definition, recursively.

        >>> import sympy as sp
        >>> a, b = sp.symbols("a b", positive=True)
        >>> d = Derivation(title="t", symbols={"a": a, "b": b}, start=b, steps=[],
        ...                definitions={"b": a**2})
        >>> d.expand_definitions(b + 1)
        a**2 + 1
        """
        if self.definitions:
            resolved, memo = self._resolved()
            out = memo.get(expr)
            if out is None:
                out = memo[expr] = expr.xreplace(resolved)
            expr = out
        # a joint, marginal or conditional of a family declared by its factors: what it means
        return expand_model_densities(expr, self.functions) if self._factor_models() else expr

    def _factor_models(self) -> bool:
        """Whether a family of ``functions`` is declared by its factors (cached)."""
        key = tuple(self.functions)
        cached = self.__dict__.get("_factor_models_cache")
        if cached is None or cached[0] != key:
            stems = {sig.partition("(")[0] for sig in self.functions}
            cached = (key, any(factor_model(self.functions, s) is not None for s in stems))
            self.__dict__["_factor_models_cache"] = cached
        return cached[1]

    def _resolved(self) -> tuple[dict[sp.Symbol, sp.Expr], dict[sp.Expr, sp.Expr]]:
        """Each ``let`` symbol mapped to its definition with every other ``let`` name already
        substituted, and a memo of expanded expressions; made once per set of definitions.

        Each side is expanded by the symbolic check and by both numeric checks, and the memo
        travels with a pickled derivation to a worker.
        """
        key = tuple(self.definitions.items())
        cached = self.__dict__.get("_resolved_cache")
        if cached is not None and cached[0] == key:
            return cached[1], cached[2]
        raw = {self.symbols[name]: value for name, value in self.definitions.items()}
        names = {k: v.atoms(sp.Symbol) for k, v in raw.items()}  # bound ones too, as xreplace
        resolved: dict[sp.Symbol, sp.Expr] = {}
        # each definition once, after the definitions it uses (depth first, no recursion);
        # a name met again while still open is a cycle, and is left as it stands
        for root in raw:
            stack, open_ = [root], {root}
            while stack:
                name = stack[-1]
                pending = [s for s in names[name]
                           if s in raw and s not in resolved and s not in open_]
                if pending:
                    stack.extend(pending)
                    open_.update(pending)
                    continue
                stack.pop()
                if name not in resolved:
                    uses = {s: resolved[s] for s in names[name] if s in resolved}
                    resolved[name] = raw[name].xreplace(uses) if uses else raw[name]
        memo: dict[sp.Expr, sp.Expr] = {}
        self.__dict__["_resolved_cache"] = (key, resolved, memo)
        return resolved, memo

    @property
    def parts(self) -> list[Derivation]:
        """Every part of the file this derivation was read from, this one first.

        A file may hold several derivations (a ``.tex`` file with two ``align``
        environments, a ``.deriv`` file with ``part:`` headers): the reader returns the
        first, and the later ones travel in ``metadata["later_parts"]``; each part's
        ``metadata["part"]`` says which it is (``{"number", "of", "label", "line"}``).

        >>> import sympy as sp
        >>> a = sp.Symbol("a")
        >>> first = Derivation(title="t", symbols={"a": a}, start=a, steps=[])
        >>> second = Derivation(title="t", symbols={"a": a}, start=2 * a, steps=[])
        >>> first.metadata["later_parts"] = [second]
        >>> [p.start for p in first.parts]
        [a, 2*a]
        """
        return [self, *self.metadata.get("later_parts", ())]

    @property
    def start_shown(self) -> sp.Expr:
        """The starting expression to show a reader (as written when known)."""
        return self.start if self.start_display is None else self.start_display

    @property
    def first_failure(self) -> Step | None:
        """The first step whose verdict is refuted or undecided, if any."""
        for step in self.steps:
            if step.result is not None and not step.result.verdict.ok:
                return step
        return None

    def counts(self) -> dict[str, int]:
        """How many steps have each verdict (unchecked steps are not counted)."""
        out = {v.value: 0 for v in Verdict}
        for step in self.steps:
            if step.result is not None:
                out[step.result.verdict.value] += 1
        return out

    # rich display in Jupyter (see elbo_derivation.notebook)
    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return _bundle(self)

    def _repr_html_(self) -> str | None:
        return _bundle(self).get("text/html")

    def _repr_latex_(self) -> str | None:
        return _bundle(self).get("text/latex")

    def __str__(self) -> str:
        """The derivation as the text report prints it (``print(d)``), once the report has
        been loaded; else one plain line per step, as written."""
        render = RENDERERS.get("text")
        if render is not None:
            return render(self)
        lines = [self.title or self.name or "derivation", f"      {self.start_text or self.start}"]
        for step in self.steps:
            verdict = "" if step.result is None else f"  [{step.result.verdict}]"
            why = f"   — {step.justification}" if step.justification else ""
            lines.append(f"  {step.index:>3} {step.relation.symbol} {step.expr_text or step.expr}"
                         f"{why}{verdict}")  # fmt: skip
        return "\n".join(lines)


#: How the layers above show this module's objects: ``"bundle"`` (a MIME bundle for Jupyter,
#: set by :mod:`elbo_derivation.notebook`) and ``"text"`` (the report of ``print(d)``, set by
#: :mod:`elbo_derivation.report.text`). The data model itself imports neither.
RENDERERS: dict[str, Any] = {}


def _bundle(obj: Any) -> dict[str, str]:
    render = RENDERERS.get("bundle")
    if render is None:  # the notebook module is not loaded: plain text only
        return {"text/plain": str(obj) if isinstance(obj, Derivation) else repr(obj)}
    return render(obj)


def _json_float(value: float) -> float | str:
    """Floats for JSON: finite values as numbers, non-finite ones as strings."""
    v = float(value)
    if v != v or v in (float("inf"), float("-inf")):
        return str(v)
    return v


def _jsonable(value: Any) -> Any:
    if isinstance(value, float):
        return _json_float(value)
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return _jsonable(value.item())
    return value
