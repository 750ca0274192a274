"""Marking a derivation: a goal to reach, error carried forward, the model solution, a score.

Checking (:mod:`elbo_derivation.decide.engine`) says whether each step follows from the line
before it. Marking a student's work asks more:

* **the goal.** Does the last line reach the expression the question asked for? It must be
  the goal up to rearranging sums and products (:func:`same_form`): in a derivation by
  equalities *every* line is equivalent to the goal, so equivalence alone would accept work
  that stopped after one line (or ``x = x``). When the last line is not in the goal's form,
  :func:`~elbo_derivation.decide.engine.compare` says whether it at least equals the goal,
  and the reason says which ("stops at …, the goal is …"). The goal comes from a
  ``goal: EXPR`` header in the file (``% goal:`` in a ``.tex`` file), from the command line
  (``--goal EXPR``, read by the ``.deriv`` grammar with the file's declarations), or from a
  model solution (``--reference model.deriv``: its last line).
* **error carried forward.** After the first wrong step, a step that follows from the
  previous, wrong, line is not wrong again: its status is ``carried-forward``. A step that is
  wrong against the previous line but follows from an earlier line is ``recovered`` when that
  earlier line is on the right path ("back on track"), ``carried-forward`` when it is not.
  Every step after the first error has ``follows_from``: the index of the line it follows
  from (0 is the starting expression), or ``None``. The first error stays the first error.
* **the model solution.** Each student line is matched, in order, to the first line of the
  reference that has its form (:func:`same_form`; consecutive reference lines of one form
  count as one) and comes at or after the last matched one. The first line that matches
  none is where the work *left* the model solution. A step that covers more reference steps
  than :attr:`Rules.max_reference_steps` is *too big to follow*. (The deciding layer does not
  report which rules a step used, so step size is measured in reference steps covered by one
  student step.)
* **a score, with reasons.** A documented partial-credit rule (:class:`Rules`, read from
  TOML; the default is ``marking_default.toml`` next to this module) turns the above into
  points, and every lost mark gets a sentence.

Comparisons are remembered (:class:`Memo`): a class's files share most of their lines, so
the same pair of expressions is decided once per process.

Examples
--------
>>> g = grade('''symbols: a, b : positive
... goal: log(a) + log(b)
... log(a*b)
... = log(a) + log(b)
... ''')
>>> g.score, g.max_score
(10.0, 10.0)
>>> g = grade('''symbols: a, b : positive
... goal: log(a) + 2*log(b)
... log(a*b^2)
... = log(a) + log(b)
... ''')
>>> g.score, "Step 1 is wrong (line 4)" in g.feedback
(0.0, True)
"""

from __future__ import annotations

import copy
import time
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from elbo_derivation.errors import InputError

if TYPE_CHECKING:
    import sympy as sp

    from elbo_derivation.core.steps import Derivation, Step, SymbolicResult

__all__ = [
    "DEFAULT_RULES",
    "Correspondence",
    "Goal",
    "Grade",
    "Mark",
    "Memo",
    "Reference",
    "Rules",
    "StepMark",
    "apply_error_carried_forward",
    "find_correspondence",
    "goal_of",
    "grade",
    "load_reference",
    "load_rules",
    "mark_derivation",
    "mark_file",
]

#: The partial-credit rule used when none is given.
DEFAULT_RULES = Path(__file__).with_name("marking_default.toml")

#: Marking statuses of a step, besides the engine's verdicts.
CARRIED_FORWARD = "carried-forward"
RECOVERED = "recovered"


# --- the partial-credit rule ------------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    """A partial-credit rule: how many points each part of a derivation earns.

    A derivation that reaches the goal with no wrong, undecided or carried-forward step earns
    ``total`` (less the ``too_big`` penalties). Any other earns

        ``goal`` (if the goal is reached)
        + min(``step_cap``, ``per_step`` × correct steps + ``carried_forward`` ×
          carried-forward steps + ``recovered`` × recovered steps)
        − ``wrong_step`` (or ``mistakes[name]``) per wrong step
        − ``undecided`` per undecided step − ``too_big`` per step too big to follow

    kept between 0 and ``total``. A correct step that repeats the line before it (``x = x``)
    earns nothing, and with a model solution no step earns anything when the work does not
    start from the question's expression.

    Examples
    --------
    >>> r = load_rules()
    >>> r.total, r.goal, r.step_cap
    (10.0, 4.0, 6.0)
    """

    total: float = 10.0
    goal: float = 4.0
    per_step: float = 1.5
    step_cap: float = 6.0
    carried_forward: float = 1.0
    recovered: float = 1.0
    wrong_step: float = 1.0
    undecided: float = 0.0
    too_big: float = 0.5
    max_reference_steps: int = 2
    mistakes: Mapping[str, float] = field(default_factory=dict)
    source: str = field(default="built-in", compare=False)

    def penalty_for(self, mistake: str | None) -> float:
        """The penalty for a wrong step with this mistake name (None: unnamed)."""
        if mistake is not None and mistake in self.mistakes:
            return float(self.mistakes[mistake])
        return self.wrong_step


_RULE_KEYS = {"total", "goal", "per_step", "step_cap", "carried_forward", "recovered",
              "wrong_step", "undecided", "too_big", "max_reference_steps"}


def load_rules(path: str | Path | None = None) -> Rules:
    """Read a partial-credit rule from a TOML file (default: :data:`DEFAULT_RULES`).

    The file has a ``[points]`` table (``total``, ``goal``, ``per_step``, ``step_cap``,
    ``carried_forward``, ``recovered``), a ``[penalties]`` table (``wrong_step``,
    ``undecided``, ``too_big``), optionally ``max_reference_steps`` in ``[steps]``, and a
    ``[mistakes]`` table mapping a mistake's name (as in ``check --json``) to its penalty.

    Raises
    ------
    InputError
        naming the file and the key, for a missing file, bad TOML, an unknown key or a value
        that is not a finite number >= 0.

    Examples
    --------
    >>> load_rules().penalty_for("sign-error") >= 0
    True
    """
    import math

    p = DEFAULT_RULES if path is None else Path(path)
    try:
        raw = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"--rules {p}: no such file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise InputError(f"--rules {p}: not valid TOML: {err}") from None
    values: dict[str, Any] = {}
    for table in ("points", "penalties", "steps"):
        section = raw.pop(table, {})
        if not isinstance(section, dict):
            raise InputError(f"--rules {p}: [{table}] must be a table")
        for key, value in section.items():
            if key not in _RULE_KEYS:
                raise InputError(f"--rules {p}: unknown key '{key}' in [{table}]; expected one "
                                 f"of {', '.join(sorted(_RULE_KEYS))}")
            values[key] = value
    mistakes = raw.pop("mistakes", {})
    if not isinstance(mistakes, dict):
        raise InputError(f"--rules {p}: [mistakes] must be a table of name = penalty")
    if raw:
        raise InputError(f"--rules {p}: unknown table or key {', '.join(sorted(raw))}; expected "
                         "[points], [penalties], [steps], [mistakes]")
    for key, value in [*values.items(), *mistakes.items()]:
        if isinstance(value, bool) or not isinstance(value, int | float) \
                or not math.isfinite(value) or value < 0:
            raise InputError(f"--rules {p}: '{key}' must be a number >= 0, got {value!r}")
    if "max_reference_steps" in values:
        if int(values["max_reference_steps"]) != values["max_reference_steps"] \
                or values["max_reference_steps"] < 1:
            raise InputError(f"--rules {p}: 'max_reference_steps' must be a whole number >= 1")
        values["max_reference_steps"] = int(values["max_reference_steps"])
    floats = {k: float(v) for k, v in values.items() if k != "max_reference_steps"}
    if "max_reference_steps" in values:
        floats["max_reference_steps"] = values["max_reference_steps"]  # type: ignore[assignment]
    rules = Rules(**floats, mistakes={k: float(v) for k, v in mistakes.items()},  # type: ignore[arg-type]
                  source="the default (marking_default.toml)" if path is None else str(p))
    if rules.goal > rules.total:
        raise InputError(f"--rules {p}: the goal's points ({rules.goal:g}) exceed the total "
                         f"({rules.total:g})")
    return rules


# --- comparisons, remembered -------------------------------------------------------------------


class Memo:
    """Decisions already taken, by (left, right, relation, variables): one per process.

    Students' files share most of their lines, so most steps of a class have been decided
    before; SymPy expressions hash by structure, so equal lines from different files meet.
    """

    def __init__(self) -> None:
        self.steps: dict[tuple, SymbolicResult] = {}
        self.hits = 0
        self.misses = 0

    def check_step(self, d: Derivation, step: Step, time_limit: float) -> SymbolicResult:
        """:func:`~elbo_derivation.decide.engine.check_step`, remembered."""
        from elbo_derivation import pipeline
        from elbo_derivation.decide.verdict import wrt_names

        lhs = d.expand_definitions(step.lhs(d))
        rhs = d.expand_definitions(step.expr)
        # the written sides too: the located sub-expression is shown as the file wrote it
        key = ("step", step.lhs(d), step.expr, lhs, rhs, step.relation,
               wrt_names(d, step.wrt))
        found = self.steps.get(key)
        if found is None:
            self.misses += 1
            found = self.steps[key] = pipeline.check_step(d, step, time_limit=time_limit)
        else:
            self.hits += 1
        return copy.copy(found)

    def compare(self, lhs: sp.Expr, rhs: sp.Expr, relation: Any = "=", wrt: Sequence[str] = (),
                time_limit: float = 5.0, derivation: Derivation | None = None,
                ) -> SymbolicResult:
        """:func:`~elbo_derivation.decide.engine.compare`, remembered.

        With ``derivation``, the comparison knows what its declarations say (the intervals
        its symbols were declared in, the families of its densities), so that a line is
        judged exactly as ``check`` judges a step of that derivation.
        """
        from elbo_derivation.core.order import derivation_names, symbol_order
        from elbo_derivation.decide.verdict import compare, declared_domains, declared_families

        domains = declared_domains(derivation) if derivation is not None else {}
        families = declared_families(derivation) if derivation is not None else {}
        names = tuple(derivation_names(derivation))  # the order its points are drawn in
        context = (tuple(sorted(((str(k), v) for k, v in domains.items()), key=str)),
                   tuple(sorted(families.items(), key=str)), names)
        key = ("compare", lhs, rhs, str(relation), tuple(wrt), context)
        found = self.steps.get(key)
        if found is None:
            self.misses += 1
            try:
                with symbol_order(list(names)):
                    found = compare(lhs, rhs, relation, wrt=wrt, time_limit=time_limit,
                                    domains=domains, families=families)
            except ValueError:  # e.g. '=~' without variables: no decision
                from elbo_derivation.core.steps import SymbolicResult, Verdict

                found = SymbolicResult(Verdict.UNDECIDED, "none", 0.0)
            self.steps[key] = found
        else:
            self.hits += 1
        return found

    def holds(self, lhs: sp.Expr, rhs: sp.Expr, relation: Any = "=", wrt: Sequence[str] = (),
              time_limit: float = 5.0, derivation: Derivation | None = None) -> bool:
        """True when ``lhs <relation> rhs`` is proved or numerically supported (in the
        context of ``derivation``'s declarations, when given)."""
        return self.compare(lhs, rhs, relation, wrt, time_limit, derivation).verdict.ok


#: The memo a process uses unless given another (a forked worker inherits the parent's).
MEMO = Memo()


_NORMAL: dict[Any, Any] = {}


def normal_form(expr: sp.Expr) -> sp.Expr:
    """``expr`` with its brackets multiplied out and its terms in SymPy's order, and nothing
    else: logs, powers, integrals and expectations are left as they are. Two lines with the
    same normal form differ only by rearranging sums and products (remembered)."""
    import sympy as sp

    out = _NORMAL.get(expr)
    if out is None and not _small_expansion(expr):
        out = expr  # (x + m)^100000 is compared as written, not multiplied out
    if out is None:
        try:
            out = sp.expand(expr, deep=True, mul=True, multinomial=True, log=False,
                            power_base=False, power_exp=False, basic=True)
        except Exception:  # a form that cannot be expanded is its own normal form
            out = expr
        if len(_NORMAL) > 200_000:
            _NORMAL.clear()
        _NORMAL[expr] = out
    return out


#: Most terms multiplying out one power of a sum may give before normal_form leaves it be.
MAX_EXPANDED_TERMS = 2000


def _small_expansion(expr: sp.Expr) -> bool:
    """False when multiplying out a power of a sum in ``expr`` would give more than
    :data:`MAX_EXPANDED_TERMS` terms (a hostile ``(a + b)^100000``)."""
    import math

    import sympy as sp

    for p in expr.atoms(sp.Pow):
        base, n = p.as_base_exp()
        if isinstance(base, sp.Add) and n.is_Integer and n > 1:
            k = len(base.args)
            if int(n) > MAX_EXPANDED_TERMS or math.comb(int(n) + k - 1, k - 1) > \
                    MAX_EXPANDED_TERMS:
                return False
    return True


def logs_out(expr: sp.Expr) -> sp.Expr:
    """``expr`` with the logs of products and powers of positive symbols multiplied out
    (log σ² → 2 log σ), and nothing else; unchanged when that cannot be done.

    Examples
    --------
    >>> import sympy as sp
    >>> s = sp.Symbol("s", positive=True)
    >>> logs_out(sp.log(s**2) / 2)
    log(s)
    """
    import sympy as sp

    try:
        return sp.expand_log(expr, deep=True)
    except Exception:  # a form that cannot be expanded is compared as it is
        return expr


def log_powers_out(expr: sp.Expr) -> sp.Expr:
    """``expr`` with every log of a power of one positive symbol written with the exponent in
    front (log σ² → 2·log σ), and nothing else: a log of a product stays whole.

    Examples
    --------
    >>> import sympy as sp
    >>> s, t = sp.symbols("s t", positive=True)
    >>> log_powers_out(sp.log(s**2) / 2)
    log(s)
    >>> log_powers_out(sp.log(2 * sp.pi * s**2))
    log(2*pi*s**2)
    """
    import sympy as sp

    def out(e: sp.Basic) -> sp.Basic:
        if e.args:
            e = e.func(*(out(a) for a in e.args))
        arg = e.args[0] if isinstance(e, sp.log) else None
        if (isinstance(arg, sp.Pow) and isinstance(arg.base, sp.Symbol)
                and arg.base.is_positive and arg.exp.is_real):
            return arg.exp * sp.log(arg.base)
        return e

    try:
        return out(expr)
    except Exception:  # a form that cannot be rebuilt is compared as it is
        return expr


def same_form(a: sp.Expr, b: sp.Expr) -> bool:
    """True when ``a`` and ``b`` differ only by rearranging sums and products.

    A derivation by equalities has every line *equivalent* to the goal, so equivalence alone
    cannot tell a finished derivation from one that stopped after its first line: reaching
    the goal (and matching a model solution's line) asks for the goal's form as well.

    Examples
    --------
    >>> import sympy as sp
    >>> a, b = sp.symbols("a b", positive=True)
    >>> same_form((a + b)**2 / 2, a**2/2 + a*b + b**2/2)
    True
    >>> same_form(sp.log(a*b), sp.log(a) + sp.log(b))
    False
    """
    return a == b or normal_form(a) == normal_form(b)


# --- the goal -------------------------------------------------------------------------------


@dataclass
class Goal:
    """The expression a derivation must reach: as written (``text``) and as SymPy (``expr``,
    ``let`` names substituted), and where it came from (``"header"``, ``"--goal"`` or
    ``"reference"``)."""

    text: str
    expr: Any
    origin: str
    shown: str = ""
    #: said after the goal in a reason (" in the model's symbols")
    note: str = ""


def _parse_in(d: Derivation, text: str, *, tex: bool, file: str | None, line: int | None,
              column: int) -> sp.Expr:
    if tex:
        from elbo_derivation.read.tex import latex_to_sympy

        return latex_to_sympy(text, symbols=d.symbols, functions=d.functions, file=file,
                              line=line, column=column)
    from elbo_derivation.read.deriv import parse_expression

    return parse_expression(text, d.symbols, functions=d.functions, file=file, line=line,
                            column=column)


def goal_of(d: Derivation, goal: str | None = None,
            reference: Reference | None = None) -> Goal | None:
    """The goal of ``d``: ``goal`` (text), else the reference's last line, else the file's
    ``goal:`` header; None when there is none.

    ``goal`` is read by the ``.deriv`` grammar with the declarations of ``d`` (never
    ``eval``); a header by the grammar of the file's own format.

    Raises
    ------
    InputError
        (a :class:`~elbo_derivation.errors.DerivationSyntaxError`) located at ``--goal`` or
        at the header's FILE:LINE:COLUMN, when the expression cannot be read.

    Examples
    --------
    >>> from elbo_derivation.read.deriv import parse_derivation
    >>> d = parse_derivation("symbols: a : positive\\nlog(a^2)\\n= 2*log(a)\\n")
    >>> goal_of(d, "2*log(a)").expr
    2*log(a)
    """
    from elbo_derivation.report.pretty import pretty

    if goal is not None:
        expr = _parse_in(d, goal, tex=False, file="--goal", line=1, column=1)
        return Goal(goal.strip(), d.expand_definitions(expr), "--goal", pretty(expr))
    if reference is not None:
        expr = reference.in_terms_of(d, reference.lines[-1])
        # in the student's own symbols when they write the model's otherwise
        corr = reference.correspondence(d)
        # as the model wrote it: the row's note says which of its symbols are the student's
        shown, note = reference.goal_shown, ""
        if corr.renamed:
            shown, note = _goal_in_symbols(reference, corr)
        return Goal(reference.goal_text, expr, "reference", shown, note=note)
    header = d.metadata.get("goal")
    if not header:
        return None
    expr = _parse_in(d, header["text"], tex=d.metadata.get("format") == "tex", file=d.path,
                     line=header.get("line"), column=header.get("column") or 1)
    return Goal(header["text"], d.expand_definitions(expr), "header", pretty(expr))


def _goal_in_symbols(reference: Reference, corr: Correspondence) -> tuple[str, str]:
    """(shown, note): the model's goal as it wrote it, in the student's symbols
    (``w·(y − y_rec)² + (s₂ + m² − log(s₂) − 1)/2`` for the model's ``C·(x − x̂)² + (h + g² −
    log(h) − 1)/2``); the model's own form, said so, when its written form is not at hand."""
    import sympy as sp

    from elbo_derivation.read.deriv import shown_expression
    from elbo_derivation.report.pretty import pretty

    d = reference.derivation
    try:
        step = d.steps[-1]
        shown_expression(d, step)  # fills the display form when it can be rebuilt
        if step.display is not None:
            with sp.evaluate(False):  # the written form kept: only the symbols change
                display = step.display.xreplace(corr.mapping)
            return pretty(display, written=True), " in your symbols"
    except Exception:  # a display problem never stops the marking
        pass
    return reference.goal_shown, " in the model's symbols"


# --- the model solution ------------------------------------------------------------------------


@dataclass
class Reference:
    """A model solution: its lines (``let`` names substituted), read once.

    ``in_terms_of(d, expr)`` rewrites a reference expression with the symbols of a student's
    derivation ``d`` (same declared name, the student's assumptions), so that the two can be
    compared.
    """

    path: str
    derivation: Any
    lines: list[Any]
    goal_text: str
    goal_shown: str
    _last: tuple[Any, Correspondence] | None = field(default=None, repr=False, compare=False)

    def correspondence(self, d: Derivation) -> Correspondence:
        """The correspondence of this model's symbols with those of ``d``
        (:func:`find_correspondence`; the last one found is kept)."""
        if self._last is None or self._last[0] is not d:
            self._last = (d, find_correspondence(self, d))
        return self._last[1]

    def in_terms_of(self, d: Derivation, expr: sp.Expr) -> sp.Expr:
        """``expr``, a line of the model, written with the symbols of ``d``."""
        mapping = self.correspondence(d).mapping
        return expr.xreplace(mapping) if mapping else expr


def load_reference(path: str | Path) -> Reference:
    """Read a model solution (``.deriv`` or ``.tex``); its last line is the goal.

    Raises
    ------
    InputError
        for a file that cannot be read, named as ``--reference FILE: ...``.
    """
    from elbo_derivation import verification
    from elbo_derivation.errors import DerivationSyntaxError
    from elbo_derivation.report.pretty import shown_pretty

    try:
        d = verification.read_any(path)
    except DerivationSyntaxError:
        raise
    except InputError as err:
        raise InputError(f"--reference {err}") from None
    lines = [d.expand_definitions(d.start)] + [d.expand_definitions(s.expr) for s in d.steps]
    last = d.steps[-1]
    return Reference(str(path), d, lines, last.expr_text or last.text,
                     shown_pretty(d, last))


# --- the student's symbols and the model solution's --------------------------------------------


@dataclass
class Correspondence:
    """How a model solution's symbols are written in a student's derivation.

    ``mapping`` sends each of the model solution's symbols that was matched to the student's
    expression for it (a symbol, or ``σ²`` where the model has a variance ``h`` and the student
    a standard deviation ``σ``). ``how`` says, for each, what matched it (``"the mean"``,
    ``"the same name"``, ``"its place in the question"``); ``missing`` lists the model's
    symbols, used in its lines, that nothing in the student's file corresponds to.
    """

    mapping: dict[Any, Any] = field(default_factory=dict)
    how: dict[Any, str] = field(default_factory=dict)
    missing: list[Any] = field(default_factory=list)

    @property
    def renamed(self) -> bool:
        """Some symbol is written otherwise than in the model solution."""
        return any(k != v for k, v in self.mapping.items())

    def describe(self) -> str:
        """``"h (the variance) is your s2, g (the mean) is your m"``: the symbols written
        otherwise than in the model solution, in unicode."""
        from elbo_derivation.report.pretty import pretty

        parts = []
        for k, v in self.mapping.items():
            if k == v:
                continue
            why = self.how.get(k, "")
            if why.startswith("the ") and why != "the same name":
                parts.append(f"{why} {pretty(k)} is your {pretty(v)}")
            else:
                parts.append(f"{pretty(k)} is your {pretty(v)}"
                             + (f" ({why})" if why else ""))
        return ", ".join(parts)

    @property
    def reparametrised(self) -> bool:
        """Some symbol stands for an expression of the student's (the model's variance h
        for a student's σ²): its logs are then compared multiplied out (log σ² = 2 log σ)."""
        import sympy as sp

        return any(not isinstance(v, sp.Symbol) for v in self.mapping.values())

    def describe_missing(self) -> str:
        """The model's symbols with no counterpart, with their roles where known."""
        from elbo_derivation.report.pretty import pretty

        return ", ".join(pretty(s) + (f" ({self.how[s]})" if s in self.how else "")
                         for s in self.missing)


#: Most unmatched symbols whose orderings are tried against the question's start.
MAX_PERMUTED_SYMBOLS = 3


def _gaussians(d: Any) -> list[tuple[Any, Any, Any]]:
    """The declared normal densities of ``d`` as (variable, mean, variance), in order."""
    decl = getattr(d, "declarations", None)
    families = getattr(decl, "families", None) or {}
    out = []
    for fam in families.values():
        params = tuple(getattr(fam, "parameters", ()) or ())
        if str(getattr(fam, "name", "")).lower() in ("normal", "n", "gaussian") \
                and len(params) == 2:
            out.append((getattr(fam, "variable", None), params[0], params[1]))
    return out


def _spread_parameter(variance: Any, other: Any) -> tuple[Any, Any, str] | None:
    """(θ, value, role): the symbol θ that parametrises the model's ``variance``, its value
    when the variance is the student's ``other``, and its role: a variance ``h`` is
    ``other``, a standard deviation ``σ`` (variance σ²) is √other, a log-variance ``l``
    (variance e^l) is log(other), a precision ``τ`` (variance 1/τ) is 1/other."""
    import sympy as sp

    if isinstance(variance, sp.Symbol):
        return variance, other, "variance"
    if isinstance(variance, sp.Pow) and isinstance(variance.base, sp.Symbol):
        if variance.exp == 2:
            return variance.base, sp.sqrt(other), "standard-deviation"
        if variance.exp == -1:
            return variance.base, 1 / other, "precision"
    if isinstance(variance, sp.exp) and isinstance(variance.args[0], sp.Symbol):
        return variance.args[0], sp.log(other), "log-variance"
    return None


def _compatible(a: Any, b: Any) -> bool:
    """The two symbols are declared alike (both positive, or both merely real...)."""
    return (bool(a.is_positive) == bool(b.is_positive)
            and bool(a.is_integer) == bool(b.is_integer))


def _first_written(d: Any, sym: Any) -> int:
    """Where ``sym`` is first written in the start of ``d`` (as declared: ``\\hat{x}`` in a
    LaTeX file), or a large number."""
    import re

    decl = getattr(d, "declarations", None)
    written = (getattr(decl, "written", None) or {}).get(sym.name, sym.name)
    found = re.search(r"(?<![A-Za-z0-9_\\])" + re.escape(written) + r"(?![A-Za-z0-9_])",
                      d.start_text or "")
    return found.start() if found else 1 << 30


def find_correspondence(ref: Any, d: Any, *, time_limit: float = 5.0,
                        memo: Memo | None = None) -> Correspondence:
    """Match the model solution ``ref``'s symbols to those of a student's derivation ``d``.

    Never by letters first: in this order,

    1. the declared normal densities, paired in the order they are declared: the model's
       density variable, mean and spread parameter go to the student's variable, mean and
       variance (a model's variance ``h`` to a student's ``σ²``, a standard deviation to the
       square root of the student's variance);
    2. every other role found by :func:`~elbo_derivation.explain.roles.roles_for` (the
       balancing constant, a rate, a dimension count...) held by exactly one symbol on each
       side;
    3. the symbols still unmatched on both sides (at most :data:`MAX_PERMUTED_SYMBOLS`,
       declared alike), in the first ordering under which the student's start equals the
       model's start: the same question, so the same symbols (the data and its
       reconstruction of a squared error, say);
    4. only where nothing above decides (the start is another question, a symbol only in
       later lines): a symbol the student declares alike under the model's own name, when
       neither has a role that says otherwise.

    What is left unmatched is in ``missing``.
    """
    import itertools

    import sympy as sp

    from elbo_derivation.explain.roles import ROLE_WORDS, roles_for

    memo = MEMO if memo is None else memo
    rd = ref.derivation
    out = Correspondence()
    mapping, how = out.mapping, out.how
    ref_lines = ref.lines
    used_ref = set().union(*(e.atoms(sp.Symbol) for e in ref_lines))
    lines = _lines(d)
    own = set().union(*(e.atoms(sp.Symbol) for e in lines))
    own_declared = {s for name, s in d.symbols.items()
                    if name not in (d.definitions or {}) and s in own}
    taken: set[Any] = set()

    def take(k: Any, v: Any, why: str) -> None:
        if k in mapping or k not in used_ref:
            return
        images = v.free_symbols if isinstance(v, sp.Basic) else set()
        if not images or images & taken or not images <= own_declared | {v}:
            return
        mapping[k] = v
        how[k] = why
        taken.update(images)

    # 1. the declared normal densities
    for (zr, mr, vr), (zs, ms, vs) in zip(_gaussians(rd), _gaussians(d), strict=False):
        if isinstance(zr, sp.Symbol) and isinstance(zs, sp.Symbol):
            take(zr, zs, "the variable of the declared densities")
        if isinstance(mr, sp.Symbol):
            take(mr, ms, ROLE_WORDS["mean"])
        spread = _spread_parameter(vr, vs)
        if spread is not None:
            theta, value, kind = spread
            take(theta, value, ROLE_WORDS[kind])
    # 2. roles held by one symbol on each side
    ref_roles = roles_for(rd.start, rd, None).roles
    own_roles = roles_for(d.start, d, None).roles
    for role in sorted(set(ref_roles.values())):
        mine = [s for s, r in ref_roles.items() if r == role and isinstance(s, sp.Symbol)]
        theirs = [s for s, r in own_roles.items() if r == role and isinstance(s, sp.Symbol)]
        if len(mine) == 1 and len(theirs) == 1 and _compatible(mine[0], theirs[0]):
            take(mine[0], theirs[0], ROLE_WORDS.get(role, "the " + role))
    # 3. the start decides among the symbols left
    start_ref = ref_lines[0]
    left_ref = sorted((s for s in start_ref.free_symbols if s not in mapping), key=str)
    # tried in the order they are first written in, each side (x − x̂ pairs with y − ŷ first)
    left_own = sorted((s for s in lines[0].free_symbols & own_declared if s not in taken),
                      key=lambda s: (_first_written(d, s), str(s)))
    left_ref.sort(key=lambda s: (_first_written(rd, s), str(s)))
    if left_ref and len(left_ref) == len(left_own) <= MAX_PERMUTED_SYMBOLS:
        for order in itertools.permutations(left_own):
            if not all(_compatible(a, b) for a, b in zip(left_ref, order, strict=True)):
                continue
            trial = {**mapping, **dict(zip(left_ref, order, strict=True))}
            if memo.holds(lines[0], start_ref.xreplace(trial), "=", (), min(time_limit, 2.0),
                          d):
                for a, b in zip(left_ref, order, strict=True):
                    take(a, b, "its place in the question")
                break
    # 4. last, where nothing above decides: a symbol declared alike under the model's own
    # name, with no role against it (said so in the note)
    by_name = {s.name: s for s in own_declared}
    for k in sorted(used_ref - set(mapping), key=str):
        v = by_name.get(getattr(k, "name", None))
        if v is not None and v not in taken and _compatible(k, v) \
                and ref_roles.get(k) == own_roles.get(v):
            take(k, v, "the same name")
    for k in sorted(used_ref - set(mapping), key=str):
        if k in start_ref.free_symbols or k in ref_lines[-1].free_symbols:
            out.missing.append(k)
            role = ref_roles.get(k)
            if role is not None:
                how[k] = ROLE_WORDS.get(role, "the " + role)
    return out


#: How many earlier lines a wrong step is compared with, looking for the line it follows from.
LOOKBACK = 12


# --- error carried forward -----------------------------------------------------------------------


@dataclass
class StepMark:
    """How one step is marked.

    ``status`` is the engine's verdict (``proved``, ``numerically-supported``, ``refuted``,
    ``undecided``) or ``carried-forward`` / ``recovered``; ``follows_from`` the index of the
    line it follows from (0: the start), set for every step after the first error (None when
    it follows from none). ``reference_line`` is the model solution's line it equals (None if
    none it could reach), ``skipped`` the reference lines it jumps over. ``trivial``: the step
    repeats the line before it.
    """

    index: int
    line: int | None
    status: str
    mistake: str | None = None
    follows_from: int | None = None
    reference_line: int | None = None
    skipped: int = 0
    trivial: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, "line": self.line, "status": self.status,
                "mistake": self.mistake, "follows_from": self.follows_from,
                "reference_line": self.reference_line, "skipped": self.skipped,
                "trivial": self.trivial}


def _written(d: Derivation, i: int) -> str:
    """Line ``i`` as written, without spaces (0: the start)."""
    text = d.start_text if i == 0 else (d.steps[i - 1].expr_text or d.steps[i - 1].text)
    return "".join(text.split())


def _lines(d: Derivation) -> list[Any]:
    return [d.expand_definitions(d.start)] + [d.expand_definitions(s.expr) for s in d.steps]


def apply_error_carried_forward(d: Derivation, *, time_limit: float = 5.0,
                                memo: Memo | None = None) -> list[StepMark]:
    """Mark the steps of a checked derivation for error carried forward and recovery.

    Every step must have its ``result``. Sets ``step.status`` and ``step.follows_from`` (on
    every step after the first error) and returns one :class:`StepMark` per step. A step
    after the first error that is refuted against the line before it is compared, with its
    own relation, to each earlier line (latest first; at most :data:`LOOKBACK` lines, each
    comparison at most 2 s, all of them at most ``10 × time_limit``): following from a line
    on the right path makes it ``recovered``; from a wrong one, ``carried-forward``; from
    none, it stays ``refuted`` (a further error).

    After an undecided step the line is not known to be right or wrong: a step that follows
    from it keeps its own verdict (it is not carried forward from an error).

    Examples
    --------
    >>> from elbo_derivation.decide.engine import check_steps
    >>> d = check_steps(["(a + 1)^2", "a^2 + 2*a + 1", "a^2 + 2*a + 2", "a^2 + 2*(a + 1)",
    ...                  "a^2 + 2*a + 1"], symbols="a")
    >>> [(m.status, m.follows_from) for m in apply_error_carried_forward(d)]
    [('proved', None), ('refuted', None), ('carried-forward', 2), ('recovered', 1)]
    """
    memo = MEMO if memo is None else memo
    lines = _lines(d)
    from elbo_derivation.core.timeout import clock

    budget = clock() + 10 * time_limit  # for the search of earlier lines, in all
    # each line is right, wrong, or (after an undecided step) not known to be either
    state = ["right"] + ["wrong"] * len(d.steps)
    first_error: int | None = None
    marks: list[StepMark] = []
    for step in d.steps:
        i = step.index
        r = step.result
        assert r is not None, "apply_error_carried_forward needs a checked derivation"
        mark = StepMark(i, step.line, r.verdict.value, r.mistake)
        mark.trivial = r.verdict.ok and _written(d, i) == _written(d, i - 1)
        own = "wrong" if r.verdict.value == "refuted" else "unknown"
        if first_error is None:
            if r.verdict.ok:
                state[i] = "right"
            else:
                first_error = i
                state[i] = own
        elif r.verdict.ok:
            mark.follows_from = i - 1
            state[i] = state[i - 1]
            if state[i - 1] == "wrong":
                mark.status = CARRIED_FORWARD
        else:
            state[i] = own
            from elbo_derivation.decide.verdict import wrt_names

            wrt = wrt_names(d, step.wrt)
            for j in range(i - 2, max(i - 2 - LOOKBACK, -1), -1):
                if clock() > budget:
                    break
                found = memo.compare(lines[j], lines[i], step.relation, wrt,
                                     min(time_limit, 2.0), d)
                if found.verdict.ok:
                    mark.follows_from = j
                    state[i] = state[j]
                    mark.status = {"right": RECOVERED, "wrong": CARRIED_FORWARD}.get(
                        state[j], found.verdict.value)
                    mark.mistake = r.mistake if state[j] == "wrong" else None
                    break
        step.status = mark.status
        step.follows_from = mark.follows_from
        marks.append(mark)
    return marks


# --- one derivation, marked ---------------------------------------------------------------------


@dataclass
class Mark:
    """One student's file, marked: the row of ``mark FOLDER``.

    ``status`` is ``"marked"`` or ``"unreadable"`` (``error`` says why). ``first_wrong`` is
    the first refuted or undecided step, ``mistake`` its name; ``goal_reached`` is None when
    there is no goal. ``reasons`` holds one sentence per lost mark, ``feedback`` the text for
    the student.
    """

    file: str
    status: str
    steps: int = 0
    first_wrong: int | None = None
    first_wrong_line: int | None = None
    mistake: str | None = None
    goal: str | None = None
    goal_reached: bool | None = None
    goal_reason: str = ""
    carried_forward: list[int] = field(default_factory=list)
    recovered: list[int] = field(default_factory=list)
    left_reference_at: int | None = None
    too_big: list[int] = field(default_factory=list)
    score: float = 0.0
    max_score: float = 0.0
    reasons: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0
    step_marks: list[StepMark] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: the formulas quoted in ``reasons`` and ``notes`` (the goal, the line the work stops
    #: at...), so that a page can keep each one whole
    formulas: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every step holds, and the goal (if any) is reached."""
        return (self.status == "marked" and self.first_wrong is None
                and self.goal_reached is not False)

    @property
    def feedback(self) -> str:
        """The text a student reads: the score, then what was found and why marks were lost."""
        head = f"Score: {_num(self.score)} / {_num(self.max_score)}"
        return "\n".join([head, *self.notes, *self.reasons])

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file, "status": self.status, "steps": self.steps,
            "first_wrong_step": self.first_wrong, "first_wrong_line": self.first_wrong_line,
            "mistake": self.mistake, "goal": self.goal, "goal_reached": self.goal_reached,
            "goal_reason": self.goal_reason, "carried_forward": self.carried_forward,
            "recovered": self.recovered, "left_reference_at": self.left_reference_at,
            "too_big": self.too_big, "score": self.score, "max_score": self.max_score,
            "reasons": self.reasons, "notes": self.notes, "error": self.error,
            "seconds": round(self.seconds, 6),
            "step_marks": [m.to_json() for m in self.step_marks],
        }


def _num(x: float) -> str:
    return f"{x:g}"


def _shown(d: Derivation, i: int) -> str:
    from elbo_derivation.report.pretty import shown_pretty

    try:  # as its author wrote it
        return shown_pretty(d, None if i == 0 else d.steps[i - 1])
    except Exception:  # a display problem never stops the marking
        return d.start_text if i == 0 else d.steps[i - 1].text


def check_goal(d: Derivation, goal: Goal, *, time_limit: float = 5.0,
               memo: Memo | None = None) -> tuple[bool, str]:
    """(reached, reason): whether the last line of ``d`` reaches the goal, and if not, the
    sentence "stops at …, the goal is …".

    The last line reaches the goal when it is the goal up to rearranging sums and products
    (:func:`same_form`) and writing the log of a power of one positive quantity with its
    exponent in front (:func:`log_powers_out`: ½·log σ² reaches the goal log σ; log √(2πσ²)
    does not reach ½·log 2π + log σ, which splits a product). When it is not,
    :func:`~elbo_derivation.decide.engine.compare` decides whether it is at least equal to
    the goal, and the reason says so ("which equals the goal but is not yet in its form").

    Examples
    --------
    >>> from elbo_derivation.read.deriv import parse_derivation
    >>> d = parse_derivation("symbols: x : real\\nx\\n= x\\n")
    >>> check_goal(d, goal_of(d, "2*x"))
    (False, 'stops at x, the goal is 2·x')
    """
    memo = MEMO if memo is None else memo
    last = _lines(d)[-1]
    # log σ² and 2·log σ of a positive σ are one closed form written two ways, not a
    # derivation left unfinished (a log of a product is: splitting it may be the exercise)
    if same_form(last, goal.expr) or same_form(log_powers_out(last),
                                               log_powers_out(goal.expr)):
        return True, ""
    result = memo.compare(last, goal.expr, "=", (), time_limit, d)
    shown = _shown(d, len(d.steps))
    target = (goal.shown or goal.text) + goal.note
    if result.verdict.ok:
        return False, (f"stops at {shown}, which equals the goal but is not yet in its form; "
                       f"the goal is {target}")
    why = "" if result.verdict.value == "refuted" else " (not decided: " + (
        result.reason or "no method settled it") + ")"
    return False, f"stops at {shown}, the goal is {target}{why}"


def _match_reference(d: Derivation, ref: Reference, marks: list[StepMark],
                     time_limit: float, memo: Memo) -> tuple[int | None, bool]:
    """Match the student's lines to the reference in order; returns (left_at, start_ok)."""
    lines = _lines(d)
    ref_lines: list[Any] = []
    # a line of the model solution is met in any of its forms that check_goal accepts
    # (log σ² as 2·log σ); with the model's h the student's σ², logs are multiplied out
    form = logs_out if ref.correspondence(d).reparametrised else log_powers_out
    lines = [form(e) for e in lines]
    for e in ref.lines:  # consecutive lines of one form count as one line of the solution
        e = form(ref.in_terms_of(d, e))
        if not ref_lines or not same_form(ref_lines[-1], e):
            ref_lines.append(e)
    left_at: int | None = None
    pos = 0
    previous_matched = False
    # the same question: the start equals the model's start (in any form)
    start_ok = memo.holds(lines[0], ref_lines[0], "=", (), time_limit, d)
    for i, expr in enumerate(lines):
        found = None
        for k in range(pos, len(ref_lines)):
            if same_form(expr, ref_lines[k]):
                found = k
                break
        if found is None:
            if left_at is None:
                left_at = i
            previous_matched = False
            continue
        if i > 0:
            marks[i - 1].reference_line = found
            # a step's size is known only from a line of the model solution to another
            marks[i - 1].skipped = max(found - pos - 1, 0) if previous_matched else 0
        pos = found
        previous_matched = True
    return left_at, start_ok


def mark_derivation(d: Derivation, *, goal: Goal | None = None,
                    reference: Reference | None = None, rules: Rules | None = None,
                    time_limit: float = 5.0, memo: Memo | None = None,
                    file: str | None = None) -> Mark:
    """Check and mark one derivation: verdicts, error carried forward, goal, reference, score.

    Parameters
    ----------
    d : Derivation
        read but not necessarily checked (unchecked steps are checked here).
    goal : Goal, optional
        default: :func:`goal_of` ``(d, reference=reference)``.
    reference : Reference, optional
        the model solution.
    rules : Rules, optional
        default: :func:`load_rules` ``()``.
    time_limit : float
        seconds per comparison.
    memo : Memo, optional
        remembered decisions (default: this process's).
    file : str, optional
        the name in the row (default: ``d.path``).

    Returns
    -------
    Mark
    """
    memo = MEMO if memo is None else memo
    rules = load_rules() if rules is None else rules
    t0 = time.perf_counter()
    for step in d.steps:
        if step.result is None:
            step.result = memo.check_step(d, step, time_limit)
    marks = apply_error_carried_forward(d, time_limit=time_limit, memo=memo)
    if goal is None:
        goal = goal_of(d, reference=reference)
    m = Mark(file or d.path or d.name, "marked", steps=len(d.steps), max_score=rules.total,
             step_marks=marks)
    first = d.first_failure
    if first is not None:
        m.first_wrong, m.first_wrong_line = first.index, first.line
        m.mistake = first.result.mistake if first.result is not None else None
    m.carried_forward = [s.index for s in marks if s.status == CARRIED_FORWARD]
    m.recovered = [s.index for s in marks if s.status == RECOVERED]
    if goal is not None:
        m.goal = goal.shown or goal.text
        m.goal_reached, m.goal_reason = check_goal(d, goal, time_limit=time_limit, memo=memo)
        if m.goal_reached is False:
            m.formulas += [_shown(d, len(d.steps)), goal.shown or goal.text]
    start_ok = True
    if reference is not None:
        corr = reference.correspondence(d)
        if corr.renamed:
            m.notes.append("Symbols matched to the model solution by their declarations and "
                           f"roles: {corr.describe()}.")
        if corr.missing and m.goal_reached is False:
            m.goal_reason += ("; nothing in this file corresponds to the model solution's "
                              f"{corr.describe_missing()}")
        m.left_reference_at, start_ok = _match_reference(d, reference, marks, time_limit,
                                                         memo)
        m.too_big = [s.index for s in marks if s.reference_line is not None
                     and s.skipped + 1 > rules.max_reference_steps]
        if m.left_reference_at is not None:
            where = m.left_reference_at
            m.formulas.append(_shown(d, where))
            m.notes.append(
                "The work leaves the model solution at the start." if where == 0 else
                f"The work leaves the model solution at step {where} (line "
                f"{d.steps[where - 1].line}): {_shown(d, where)} is none of the model "
                "solution's lines from there on.")
    _score(m, d, marks, rules, start_ok, reference)
    m.seconds = time.perf_counter() - t0
    return m


def _points(x: float) -> str:
    return f"{_num(x)} point" + ("" if x == 1 else "s")


def _mistake_title(name: str) -> str:
    """A mistake's name with its title from the catalogue: "sign-error: one term with the
    wrong sign"."""
    try:
        from elbo_derivation.explain.mistakes import CATALOGUE

        title = next((e.title for e in CATALOGUE if e.name == name), "")
    except Exception:  # the title is a courtesy; the name is what matters
        title = ""
    return f"{name}: {title}" if title else name


def _steps_list(indices: Sequence[int]) -> str:
    return ("step " if len(indices) == 1 else "steps ") + ", ".join(map(str, indices))


def _score(m: Mark, d: Derivation, marks: list[StepMark], rules: Rules, start_ok: bool,
           reference: Reference | None) -> None:
    reasons = m.reasons
    wrong = [s for s in marks if s.status == "refuted"]
    undecided = [s for s in marks if s.status == "undecided"]
    correct = [s for s in marks if s.status in ("proved", "numerically-supported")]
    trivial = [s for s in correct if s.trivial]
    earning = [s for s in correct if not s.trivial]
    penalties = 0.0
    for s in wrong:
        p = rules.penalty_for(s.mistake)
        penalties += p
        name = f" ({_mistake_title(s.mistake)})" if s.mistake else ""
        first = " the first error" if s.index == m.first_wrong else " a further error"
        reasons.append(f"Step {s.index} is wrong (line {s.line}){name}:{first}, no credit"
                       + (f", −{_num(p)}." if p else "."))
    for s in undecided:
        reasons.append(f"Step {s.index} (line {s.line}) could not be decided: no credit"
                       + (f", −{_num(rules.undecided)}" if rules.undecided else "")
                       + "; for the lecturer to read.")
        penalties += rules.undecided
    for i in m.too_big:
        sm = marks[i - 1]
        reasons.append(f"Step {i} (line {sm.line}) is too big to follow: it covers "
                       f"{sm.skipped + 1} steps of the model solution (at most "
                       f"{rules.max_reference_steps}), −{_num(rules.too_big)}.")
        penalties += rules.too_big
    if trivial:
        reasons.append(f"{_steps_list([s.index for s in trivial]).capitalize()} repeat"
                       f"{'s' if len(trivial) == 1 else ''} the line before: no credit.")
    complete = (m.goal_reached is True and not wrong and not undecided
                and not m.carried_forward and start_ok)
    if complete:
        m.score = max(0.0, rules.total - penalties)
        return
    if m.carried_forward:
        lost = rules.per_step - rules.carried_forward
        one = len(m.carried_forward) == 1
        reasons.append(f"{_steps_list(m.carried_forward).capitalize()} follow"
                       f"{'s' if one else ''} correctly from an earlier error (error carried "
                       f"forward): {_points(rules.carried_forward)}{'' if one else ' each'}"
                       + (f" instead of {_num(rules.per_step)}." if lost > 0 else "."))
    if m.recovered:
        one = len(m.recovered) == 1
        reasons.append(f"{_steps_list(m.recovered).capitalize()} "
                       f"{'is' if one else 'are'} back on the right path: "
                       f"{_points(rules.recovered)}{'' if one else ' each'}.")
    points = (rules.per_step * len(earning) + rules.carried_forward * len(m.carried_forward)
              + rules.recovered * len(m.recovered))
    if reference is not None and not start_ok:
        reasons.append("The work does not start from the question's expression: no credit "
                       "for its steps.")
        points = 0.0
    steps_points = min(points, rules.step_cap)
    if steps_points < rules.step_cap:
        reasons.append(f"Steps earn {_num(steps_points)} of the {_num(rules.step_cap)} points "
                       "for steps.")
    goal_points = 0.0
    if m.goal_reached:
        goal_points = rules.goal
    elif m.goal_reached is False:
        reasons.append(f"The goal is not reached ({m.goal_reason}): −{_num(rules.goal)}.")
    total = goal_points + steps_points - penalties
    m.score = round(min(max(total, 0.0), rules.total), 6)


# --- files ------------------------------------------------------------------------------------


def _unreadable(name: str, err: BaseException | str, rules: Rules, seconds: float,
                verb: str = "read") -> Mark:
    from elbo_derivation.verification import error_message

    text = err if isinstance(err, str) else error_message(err)
    return Mark(name, "unreadable", max_score=rules.total, error=text, seconds=seconds,
                reasons=[f"The file could not be {verb}: {text}."])


def mark_file(path: str | Path, *, name: str | None = None, goal: str | None = None,
              reference: Reference | None = None, rules: Rules | None = None,
              time_limit: float = 5.0, memo: Memo | None = None) -> Mark:
    """Read and mark one file; a file that cannot be read gives an ``unreadable`` row.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "s.deriv"
    >>> _ = p.write_bytes(b"\\xff\\xfe")
    >>> mark_file(p).status
    'unreadable'
    """
    from elbo_derivation import verification

    rules = load_rules() if rules is None else rules
    shown = name or str(path)
    t0 = time.perf_counter()
    try:
        d = verification.read_any(path)
    except (InputError, OSError, UnicodeError) as err:
        return _unreadable(shown, err, rules, time.perf_counter() - t0)
    except RecursionError:
        return _unreadable(shown, "expression nested too deeply", rules,
                           time.perf_counter() - t0)
    try:
        g = goal_of(d, goal, reference)
    except InputError as err:
        m = _unreadable(shown, f"the goal cannot be read with this file's declarations: {err}",
                        rules, time.perf_counter() - t0, verb="marked")
        m.status = "error"
        return m
    try:
        m = mark_derivation(d, goal=g, reference=reference, rules=rules,
                            time_limit=time_limit, memo=memo, file=shown)
    except (InputError, OSError, UnicodeError) as err:
        return _unreadable(shown, err, rules, time.perf_counter() - t0)
    except RecursionError:
        return _unreadable(shown, "expression nested too deeply", rules,
                           time.perf_counter() - t0)
    m.seconds = time.perf_counter() - t0
    return m


# --- autograder cells ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Grade:
    """What an autograder cell needs: the score, the most it could be, and the feedback."""

    score: float
    max_score: float
    feedback: str
    mark: Mark = field(repr=False, compare=False, default=None)  # type: ignore[assignment]


def grade(text_or_path: str | Path, *, goal: str | None = None,
          reference: str | Path | None = None, rules: str | Path | Rules | None = None,
          time_limit: float = 5.0) -> Grade:
    """Mark one derivation for an nbgrader or Otter-Grader cell: score *and* feedback.

    Parameters
    ----------
    text_or_path : str or Path
        the derivation as ``.deriv`` text, or the path of a ``.deriv``/``.tex`` file.
    goal : str, optional
        the goal (``.deriv`` grammar); default: the reference's last line or the file's
        ``goal:`` header.
    reference : str or Path, optional
        a model solution file.
    rules : str, Path or Rules, optional
        a TOML rule file, or rules; default :data:`DEFAULT_RULES`.
    time_limit : float
        seconds per comparison.

    Returns
    -------
    Grade
        ``score``, ``max_score`` and ``feedback`` (the score, the first error, and one
        sentence per lost mark). A derivation that cannot be read scores 0 with the reason.

    Examples
    --------
    >>> g = grade("symbols: x : real\\ngoal: 2*x\\nx\\n= x\\n")
    >>> g.score, "stops at x, the goal is 2·x" in g.feedback
    (0.0, True)
    """
    from elbo_derivation.errors import DerivationSyntaxError

    r = rules if isinstance(rules, Rules) else load_rules(rules)
    ref = None if reference is None else load_reference(reference)
    if isinstance(text_or_path, Path) or (
            isinstance(text_or_path, str) and "\n" not in text_or_path
            and text_or_path.strip().lower().endswith((".deriv", ".tex"))):
        m = mark_file(text_or_path, goal=goal, reference=ref, rules=r, time_limit=time_limit)
    else:
        from elbo_derivation.read.deriv import parse_derivation

        try:
            d = parse_derivation(str(text_or_path), file="<answer>", name="answer")
            g = goal_of(d, goal, ref)
            m = mark_derivation(d, goal=g, reference=ref, rules=r, time_limit=time_limit,
                                file="<answer>")
        except (DerivationSyntaxError, InputError) as err:
            m = _unreadable("<answer>", err, r, 0.0)
    return Grade(m.score, m.max_score, m.feedback, m)


# --- a folder, on every core ---------------------------------------------------------------------

#: What a forked worker needs (set in the parent before the fork, inherited by the workers).
_JOB: dict[str, Any] = {}


def _warm(reference: Reference | None, rules: Rules, time_limit: float) -> None:
    """Import the heavy modules and decide the model solution's own steps once, before the
    workers are forked, so that every worker starts with them (and with the memo)."""
    import sympy  # noqa: F401

    from elbo_derivation import pipeline  # noqa: F401
    from elbo_derivation.explain import mistakes  # noqa: F401
    from elbo_derivation.read import deriv, tex  # noqa: F401
    from elbo_derivation.report import pretty  # noqa: F401

    if reference is not None:
        from elbo_derivation.core.timeout import run_bounded

        d = reference.derivation
        run_bounded(lambda: mark_derivation(copy.deepcopy(d), reference=reference, rules=rules,
                                            time_limit=time_limit), 10 * time_limit)


def _mark_task(item: tuple[str, str]) -> Mark:
    """Mark one file in a worker, bounded in time; never raises."""
    from elbo_derivation.core.timeout import run_bounded

    path, name = item
    job = _JOB
    t0 = time.perf_counter()
    out = run_bounded(lambda: mark_file(path, name=name, goal=job["goal"],
                                        reference=job["reference"], rules=job["rules"],
                                        time_limit=job["time_limit"]), job["file_time_limit"])
    if out.ok:
        return out.value
    seconds = time.perf_counter() - t0
    why = out.error
    if why.startswith("timed out"):
        why = (f"marking took longer than {job['file_time_limit']:g} s and was stopped; "
               "read it yourself")
    else:
        why = f"internal error ({why})"
    m = _unreadable(name, why, job["rules"], seconds, verb="marked")
    m.status = "timed-out" if "longer than" in why else "error"
    return m


def mark_folder(folder: str | Path, *, goal: str | None = None,
                reference: Reference | None = None, rules: Rules | None = None,
                time_limit: float = 5.0, file_time_limit: float = 30.0, jobs: int | None = None,
                progress: bool = False) -> list[Mark]:
    """Mark every ``.deriv`` and ``.tex`` file under ``folder``: one :class:`Mark` per file.

    Files are marked in parallel by ``jobs`` forked worker processes (default: one per core,
    at most 2 per CPU reported by the system); the heavy imports, and the model solution's own
    steps, are done once before the fork. Each file is bounded by ``file_time_limit``
    seconds: a file that cannot be read, or that takes too long, gets its own row (status
    ``unreadable``, ``timed-out`` or ``error``, score 0, and the reason), and never stops the
    others.

    Parameters
    ----------
    folder : str or Path
    goal, reference, rules, time_limit
        as for :func:`mark_file`.
    file_time_limit : float
        seconds allowed to one file.
    jobs : int, optional
        worker processes; 1 marks in this process.
    progress : bool
        a tqdm bar on stderr, when stderr is a terminal.

    Returns
    -------
    list of Mark
        sorted by file name (relative to ``folder``); a file of another kind (not hidden)
        gets a row with status ``ignored``.

    Raises
    ------
    InputError
        when ``folder`` is not a folder or holds no ``.deriv``/``.tex`` file.
    """
    import multiprocessing
    import os
    import sys

    from elbo_derivation.verification import folder_files

    root, files, ignored = folder_files(folder, "marked")
    rules = load_rules() if rules is None else rules
    items = [(str(p), p.relative_to(root).as_posix()) for p in files]
    _warm(reference, rules, time_limit)
    _JOB.update(goal=goal, reference=reference, rules=rules, time_limit=time_limit,
                file_time_limit=file_time_limit)
    if jobs is None:
        jobs = min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                   else (os.cpu_count() or 1), len(items))
    jobs = max(1, min(jobs, len(items)))
    bar = None
    if progress and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=len(items), file=sys.stderr, leave=False, unit="file")
    results: dict[str, Mark] = {}
    try:
        if jobs == 1:
            for item in items:
                results[item[1]] = _mark_task(item)
                if bar is not None:
                    bar.update(1)
        else:
            from elbo_derivation.core.timeout import WALL_FACTOR

            ctx = multiprocessing.get_context("fork")
            with ctx.Pool(jobs) as pool:
                pending = [(item, pool.apply_async(_mark_task, (item,)))
                           for item in items]
                for item, res in pending:
                    try:  # a worker that dies never completes its task: the row says so
                        results[item[1]] = res.get(timeout=WALL_FACTOR * file_time_limit + 60)
                    except Exception as err:
                        m = _unreadable(item[1], f"the worker marking it failed ({err!r})",
                                        rules, 0.0, verb="marked")
                        m.status = "error"
                        results[item[1]] = m
                    if bar is not None:
                        bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    for p in ignored:  # none is skipped silently: a .pdf or .txt handed in gets its row
        name = p.relative_to(root).as_posix()
        m = _unreadable(name, "not a .deriv or .tex file", rules, 0.0, verb="marked")
        m.status = "ignored"
        results[name] = m
    return [results[name] for name in sorted(results)]

