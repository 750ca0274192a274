"""The terminal report: one line per step, its verdict mark, and what the checks found.

Each step is one line — verdict mark, number, relation, the expression in readable unicode,
the justification. The expression is shown as its author wrote it when the step's text is
plain ``.deriv`` syntax (SymPy would already have simplified ``(σ₁² + μ₁²) − 2μ₁² + μ₁²``
to ``σ₁²``), otherwise as SymPy holds it. Indented lines follow when there is something to
say: the quadrature and sampling results, the counterexample of a refuted step (the point
and both sides' values), the named mistake and its explanation, the reason for ``≈`` or
``?``, and with ``explain=True`` what proved each proved step. A summary with counts and
timings ends the report.

Marks: ``✓`` proved, ``≈`` numerically supported, ``✗`` refuted, ``?`` undecided
(``·`` not checked). Colour is off unless asked for; :func:`use_color` gives the usual rule
(a terminal, and ``NO_COLOR`` unset).

Examples
--------
>>> import sympy as sp
>>> from elbo_derivation.core.steps import (Derivation, Relation, Step, SymbolicResult,
...                                           Verdict)
>>> a, b = sp.symbols("a b", positive=True)
>>> d = Derivation(title="log of a product", symbols={"a": a, "b": b}, start=sp.log(a*b),
...     steps=[Step(1, Relation.EQ, sp.log(a) + sp.log(b), "log of a product",
...                 result=SymbolicResult(Verdict.PROVED, "expand_log", 0.002))])
>>> print(render_text([d], timings=False))
log of a product
          log(a·b)
  ✓   1 = log(a) + log(b)   — log of a product
<BLANKLINE>
1 step: 1 ✓ proved, 0 ≈ numerically supported, 0 ✗ refuted, 0 ? undecided
"""

from __future__ import annotations

import os
import re
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TextIO

from elbo_derivation.core import steps as _steps_module
from elbo_derivation.core.steps import (
    Counterexample,
    Derivation,
    NumericCheck,
    Relation,
    Step,
    Verdict,
)
from elbo_derivation.report.notation import in_author_notation
from elbo_derivation.report.pretty import (
    format_number,
    plural,
    pretty_name,
    pretty_prose,
    shown,
    shown_part,
    shown_pretty,
    shown_way_back,
)

__all__ = [
    "MARKS",
    "VERDICT_WORDS",
    "Style",
    "format_counterexample",
    "numeric_summary",
    "render_check_text",
    "render_derivation",
    "render_errata",
    "render_text",
    "use_color",
]

MARKS = {
    Verdict.PROVED: "✓",
    Verdict.NUMERICALLY_SUPPORTED: "≈",
    Verdict.REFUTED: "✗",
    Verdict.UNDECIDED: "?",
}
#: Each verdict in words, as the reports (text, HTML, slides, notebooks) write it.
VERDICT_WORDS = {
    Verdict.PROVED: "proved",
    Verdict.NUMERICALLY_SUPPORTED: "numerically supported",
    Verdict.REFUTED: "refuted",
    Verdict.UNDECIDED: "undecided",
}
_COLOURS = {
    Verdict.PROVED: "32",  # green
    Verdict.NUMERICALLY_SUPPORTED: "36",  # cyan
    Verdict.REFUTED: "31",  # red
    Verdict.UNDECIDED: "33",  # yellow
}
_INDENT = " " * 10  # the expression column: "  ✓ 123 = "


#: Longest reason or note printed in the text report; the JSON keeps the whole text.
MAX_NOTE = 200


def clip(text: str, limit: int = MAX_NOTE) -> str:
    """``text`` cut to ``limit`` characters, with ``…`` where it was cut; expressions in it
    written in Python syntax are shown as mathematics (:func:`pretty_reason`)."""
    from elbo_derivation.report.pretty import pretty_reason

    text = pretty_reason(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


_SAME = "Both sides are the same expression."


def explanation(result: Any) -> str:
    """What a result says about how it was reached, as a reader should read it.

    A step proved structurally is one whose two sides SymPy already builds as the same
    expression; the author wrote them differently (that is what a step is), so saying only
    "the same expression" would puzzle a reader looking at two different lines.

    >>> from elbo_derivation.core.steps import SymbolicResult, Verdict
    >>> explanation(SymbolicResult(Verdict.PROVED, "structural", 0.0,
    ...                            explanation="Both sides are the same expression."))[:60]
    'Written differently, the two sides become the same expressio'
    """
    text = getattr(result, "explanation", "") or ""
    if getattr(result, "method", "") == "structural" and text.strip() == _SAME:
        return ("Written differently, the two sides become the same expression once SymPy has "
                "read them (numbers multiplied out, like terms collected, brackets opened "
                "where they carry a number).")
    return text


def use_color(stream: TextIO) -> bool:
    """Colour for ``stream``: only a terminal, and only while ``NO_COLOR`` is unset or empty."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Style:
    """ANSI colours, or nothing at all when ``color`` is false."""

    def __init__(self, color: bool = False) -> None:
        self.color = color

    def paint(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.color and text else text

    def bold(self, text: str) -> str:
        return self.paint(text, "1")

    def dim(self, text: str) -> str:
        return self.paint(text, "2")

    def verdict(self, text: str, verdict: Verdict | None) -> str:
        return text if verdict is None else self.paint(text, _COLOURS[verdict])

    def ok(self, text: str, ok: bool) -> str:
        return self.paint(text, "32" if ok else "31")


def format_point(point: Mapping[str, Any]) -> str:
    """``μ₁ = 0.3, σ₁ = 1.2`` from ``{"mu1": 0.3, "sigma1": 1.2}``."""
    return ", ".join(f"{pretty_name(k)} = {format_number(v)}" for k, v in point.items())


def format_counterexample(cx: Counterexample, d: Any = None, step: Any = None) -> str:
    """The point and both sides' values, in one line.

    >>> from elbo_derivation.core.steps import Counterexample
    >>> format_counterexample(Counterexample({"sigma1": 2.0}, 1.5, 1.25, 0.25))
    'at σ₁ = 2: left side 1.5, right side 1.25 (difference 0.25)'
    >>> format_counterexample(Counterexample({}, 1.5, 1.0, 0.5,
    ...                                      "exact: the difference is the constant 1/2"))
    'everywhere: left side 1.5, right side 1; exact: the difference is the constant 1/2'
    """
    where = f"at {format_point(cx.point)}: " if cx.point else "everywhere: "

    def side(value: float) -> str:  # nan: the side has no real value at this point
        return "not a real number" if value != value else format_number(value)

    text = f"{where}left side {side(cx.lhs)}, right side {side(cx.rhs)}"
    note = cx.note or ""
    exact = ""
    if cx.exact is not None and cx.exact_text and cx.exact_text in note:
        # the exact difference in the author's notation (e^x in a .tex file), not in words
        # of the deciding layer; put in after the note's own numbers are set right
        exact = shown_part(cx.exact, d, step)
        note = note.replace(cx.exact_text, "\0", 1)
    for name in cx.point:  # the instance's parameters as the point names them (a2 as a₂)
        if pretty_name(name) != name:
            note = re.sub(rf"(?<![\w\\]){re.escape(name)}(?!\w)", pretty_name(name), note)
    note = re.sub(r":?\s*lhs\s*[−-]\s*rhs\s*=\s*\S+$", "", note)  # said once
    note = re.sub(r"\blhs\s*[−-]\s*rhs\b", "left − right", note)
    # the reports' minus throughout: −0.5 after a bracket, a comma or an equals sign, and
    # a minus between terms (a hyphen inside a word, log-ratio, stays one)
    note = re.sub(r"(?<![\w.)\]}])-(?=[\d.(\w])", "−", note)
    note = note.replace(" - ", " − ")
    note = re.sub(r"\b([^\W\d]\w*)=(?=[−\d])", lambda m: f"{pretty_name(m[1])} = ", note)
    if cx.difference == cx.difference and "difference" not in note:
        text += f" (difference {format_number(cx.difference, 3)})"
    note = note.replace("\0", exact)
    if note and d is not None and step is not None:  # declared names as the report writes them
        note = in_author_notation(note, d, step) or note
    return f"{text}; {clip(note)}" if note else text


#: Where the numeric checks put their headline figure (the first key present wins).
_QUADRATURE_KEYS = ("worst_rel_error", "worst_error", "max_rel_error", "max_error",
                    "rel_error", "error")
_SAMPLING_KEYS = ("z", "z_score", "worst_z", "max_abs_z", "max_z")
_POINT_KEYS = ("n_points", "points", "n")


def _first(details: Mapping[str, Any], keys: Iterable[str]) -> Any:
    for k in keys:
        if k in details and details[k] is not None:
            return details[k]
    return None


def numeric_summary(check: NumericCheck, style: Style | None = None) -> str:
    """A compact line for one numeric check: ``quadrature ✓ worst err 3e-15 (20 points)``.

    >>> from elbo_derivation.core.steps import NumericCheck
    >>> numeric_summary(NumericCheck("quadrature", True, {"worst_rel_error": 3.1e-15,
    ...                                                   "n_points": 20}))
    'quadrature ✓ worst err 3.1e-15 (20 points)'
    >>> numeric_summary(NumericCheck("sampling", False, {"z": 7.25}, "estimate off"))
    'sampling ✗ z = 7.25 — estimate off'
    >>> numeric_summary(NumericCheck("sampling", True, {"z_score": 6.41e11, "one_sided": True,
    ...                                                 "threshold": 5.0}))
    'sampling ✓ bound holds by 6.41e+11 standard errors (passes above −5)'
    >>> numeric_summary(NumericCheck("sampling", False, {}, "no instance", made=False))
    'sampling not made — no instance'
    """
    style = style or Style()
    if not check.made:  # neither passed nor failed: say why not made
        return f"{check.kind} not made — {clip(check.reason)}"
    mark = style.ok("✓" if check.ok else "✗", check.ok)
    parts = [f"{check.kind} {mark}"]
    d = check.details or {}
    if check.kind == "quadrature":
        err = _first(d, _QUADRATURE_KEYS)
        if err is not None:
            parts.append(f"worst err {format_number(err, 2)}")
        n = _first(d, _POINT_KEYS)
        if n is not None:
            parts.append(f"({format_number(n)} points)")
    elif check.kind == "sampling":
        z = _first(d, _SAMPLING_KEYS)
        if z is not None and d.get("one_sided"):
            # an inequality: z is the margin by which the bound holds, in standard errors
            threshold = d.get("threshold", 5)
            parts.append(f"bound holds by {format_number(z, 3)} standard errors "
                         f"(passes above −{format_number(threshold)})")  # fmt: skip
        elif z is not None:
            parts.append(f"z = {format_number(z, 3)}")
    text = " ".join(parts)
    return f"{text} — {clip(check.reason)}" if check.reason else text


#: what a report says of a refuted step whose search of the mistake catalogue was cut short
OUT_OF_TIME = ("mistake not recognised: the search of the catalogue ran out of time before it "
               "ended (a longer --time-limit gives it more)")


def mistake_name(result: Any) -> str:
    """The named mistake, with the more general entries that reproduce the step as well.

    >>> from elbo_derivation.core.steps import SymbolicResult, Verdict
    >>> r = SymbolicResult(Verdict.REFUTED, "algebra", 0.0, mistake="log-density-sign",
    ...                    mistake_also=("sign-error",))
    >>> mistake_name(r)
    'log-density-sign (also a sign-error)'
    """
    also = tuple(getattr(result, "mistake_also", ()))
    if not also:
        return str(result.mistake)
    return f"{result.mistake} (also {' and '.join('a ' + a for a in also)})"


def no_name_said(result: Any) -> str:
    """Why a refuted step has no mistake name, when the search says why: two or more catalogue
    entries reproduce it and the page does not tell which (a tie), or the search ran out of
    time (:data:`OUT_OF_TIME`); "" for a named mistake and for one not recognised after the
    whole catalogue was searched (the part that differs says the rest). Every renderer —
    terminal, handout, slides, LaTeX, notebook — says it in these words.

    >>> from elbo_derivation.core.steps import SymbolicResult, Verdict
    >>> r = SymbolicResult(Verdict.REFUTED, "algebra", 0.0, mistake_status="out-of-time")
    >>> no_name_said(r) == OUT_OF_TIME
    True
    >>> no_name_said(SymbolicResult(Verdict.REFUTED, "algebra", 0.0, mistake="sign-error"))
    ''
    """
    if getattr(result, "mistake", None):
        return ""
    if getattr(result, "mistake_candidates", ()) and getattr(result, "explanation", ""):
        return clip(result.explanation, 10**6)
    if getattr(result, "mistake_status", "") == "out-of-time":
        return OUT_OF_TIME
    return ""


def differing_part(result: Any, d: Derivation | None = None, step: Step | None = None) -> str:
    """``the part that differs: … where … was expected``, when the engine found the smallest
    differing sub-expression (``result.subexpression`` and ``result.expected``); with the
    derivation ``d`` and the ``step``, each part as its author wrote it where it can be found
    in the step (or, for what was expected, in the line before)."""
    sub = getattr(result, "subexpression", None)
    way_back = getattr(result, "expected_step", None)
    back = ("" if way_back is None
            else f"the step should have read {shown_way_back(result, d, step)}")
    if sub is None:
        return back
    expected = getattr(result, "expected", None)
    text = f"the part that differs: {shown_part(sub, d, step)}"
    if expected is not None:
        text += f", where {shown_part(expected, d, step, before=True)} was expected"
    return f"{text}; {back}" if back else text


def _relation(step: Step) -> str:
    return step.relation.symbol


def _step_line(step: Step, style: Style, names: Iterable[str] = (),
               d: Derivation | None = None) -> str:
    verdict = step.verdict
    mark = style.verdict(MARKS[verdict], verdict) if verdict is not None else "·"
    expr = shown(step.text, step.expr) if d is None else shown_pretty(d, step)
    line = f"  {mark} {step.index:>3} {_relation(step)} {expr}"
    notes = []
    if step.justification:
        notes.append(pretty_prose(step.justification, names))
    if step.relation is Relation.EQ_UP_TO and step.wrt:
        free_of = ", ".join(pretty_name(w) for w in step.wrt)
        notes.append(f"(up to a term free of {free_of})")
    if notes:
        line += "   " + style.dim("— " + " ".join(notes))
    return line


def _detail_lines(step: Step, style: Style, *, explain: bool,
                  d: Derivation | None = None) -> list[str]:
    out = []
    r = step.result
    if r is not None:
        if r.verdict is Verdict.REFUTED:
            if r.counterexample is not None:
                out.append("counterexample "
                           + format_counterexample(r.counterexample, d, step))
            else:
                out.append(clip(in_author_notation(r.reason or r.explanation, d, step)
                                or "refuted"))
            if r.mistake:
                out.append(style.bold(f"mistake: {mistake_name(r)}")
                           + (f" — {clip(r.explanation, 10**6)}" if r.explanation else ""))
            elif no_name_said(r):
                out.append(no_name_said(r))
            part = differing_part(r, d, step)
            if part:
                out.append(part)
        elif r.verdict in (Verdict.NUMERICALLY_SUPPORTED, Verdict.UNDECIDED):
            why = in_author_notation(r.reason or r.explanation, d, step) or "no reason given"
            out.append(style.verdict(f"{VERDICT_WORDS[r.verdict]} ({r.method}): ", r.verdict)
                       + clip(why))
        elif explain:
            rule = in_author_notation(r.rule, d, step)
            by = f"proved by {rule} ({r.method})" if r.rules else f"proved by {r.method}"
            said = r.explanation and not (r.rules and r.rule in r.explanation)
            out.append(f"{by}: {in_author_notation(explanation(r), d, step)}" if said else by)
            if getattr(r, "note", ""):
                out.append(f"note: {clip(r.note)}")
    checks = [c for c in (step.quadrature, step.sampling) if c is not None]
    if checks:
        out.append(" · ".join(numeric_summary(c, style) for c in checks))
    return [_INDENT + line for line in out]


def render_derivation(
    d: Derivation, *, style: Style | None = None, explain: bool = False, timings: bool = True
) -> list[str]:
    """The lines of one derivation: a heading, the start, then one line per step."""
    style = style or Style()
    head = d.title or d.name or "derivation"
    where = [x for x in (d.source, d.path and os.path.basename(d.path)) if x]
    heading = style.bold(head) + (style.dim("  (" + ", ".join(where) + ")") if where else "")
    t = d.metadata.get("timings") if timings else None
    if t:
        heading += style.dim("  " + _format_timings(t))
    lines = [heading, _INDENT + shown_pretty(d)]  # as written, in the author's order
    names = set(d.symbols) | set(d.definitions) | {  # and the declared densities' names: q_φ
        sig.partition("(")[0].strip() for sig in d.functions}
    for step in d.steps:
        lines.append(_step_line(step, style, names, d))
        lines.extend(_detail_lines(step, style, explain=explain, d=d))
    return lines


def _format_timings(t: Mapping[str, float]) -> str:
    return ", ".join(f"{k} {v:.2f} s" for k, v in t.items())


def summary_counts(derivations: Sequence[Derivation]) -> dict[str, int]:
    """Verdict counts over all ``derivations`` (unchecked steps are not counted)."""
    total = {v.value: 0 for v in Verdict}
    for d in derivations:
        for k, n in d.counts().items():
            total[k] += n
    return total


def _summary_lines(
    derivations: Sequence[Derivation], style: Style, seconds: float | None, timings: bool
) -> list[str]:
    counts = summary_counts(derivations)
    n_steps = sum(len(d.steps) for d in derivations)
    of = f" in {plural(len(derivations), 'derivation')}" if len(derivations) > 1 else ""
    parts = [
        style.verdict(f"{counts[v.value]} {MARKS[v]} {VERDICT_WORDS[v]}",
                      v if counts[v.value] else None)
        for v in Verdict
    ]
    lines = [f"{plural(n_steps, 'step')}{of}: " + ", ".join(parts)]
    numeric = []
    for kind in ("quadrature", "sampling"):
        checks = [
            c
            for d in derivations
            for s in d.steps
            for c in (s.quadrature, s.sampling)
            if c is not None and c.kind == kind
        ]
        made = [c for c in checks if c.made]
        if made:
            passed = sum(bool(c.ok) for c in made)
            numeric.append(style.ok(f"{passed}/{len(made)} {kind} passed",
                                    passed == len(made)))
        if len(made) < len(checks):  # could not be made: not a failure, said apart
            numeric.append(f"{len(checks) - len(made)} {kind} not made")
    missing = sorted({k for d in derivations for k in d.metadata.get("numeric_missing", ())})
    numeric.extend(style.ok(f"{kind} not available", False) for kind in missing)
    if numeric:
        lines.append("numeric checks: " + ", ".join(numeric))
    if timings:
        stages: dict[str, float] = {}
        for d in derivations:
            for k, v in d.metadata.get("timings", {}).items():
                stages[k] = stages.get(k, 0.0) + float(v)
        total = seconds if seconds is not None else sum(stages.values())
        if stages or seconds is not None:
            detail = f" ({_format_timings(stages)})" if stages else ""
            lines.append(f"time: {total:.2f} s{detail}")
    return lines


def render_text(
    derivations: Sequence[Derivation],
    *,
    color: bool = False,
    explain: bool = False,
    seconds: float | None = None,
    timings: bool = True,
) -> str:
    """The whole report for ``derivations``: each one's steps, then a summary.

    Parameters
    ----------
    derivations : sequence of Derivation
        checked derivations (steps without a result are marked ``·``).
    color : bool
        ANSI colours (see :func:`use_color`).
    explain : bool
        for each proved step, say which method proved it and how.
    seconds : float, optional
        the wall time of the whole run, for the summary (default: the sum of the stages).
    timings : bool
        show timings (turn off for output that must not change from run to run).

    Returns
    -------
    str
        the report, without a final newline.
    """
    style = Style(color)
    lines: list[str] = []
    for d in derivations:
        lines.extend(render_derivation(d, style=style, explain=explain, timings=timings))
        lines.append("")
    lines.extend(_summary_lines(derivations, style, seconds, timings))
    return "\n".join(lines)


def render_check_text(
    d: Derivation, *, color: bool = False, explain: bool = False, timings: bool = True
) -> str:
    """The report of ``check`` on one file: its steps, then the first wrong step (number,
    line and counterexample) or a statement that every step holds."""
    style = Style(color)
    lines = render_derivation(d, style=style, explain=explain, timings=False)
    lines.append("")
    failing = d.first_failure
    if failing is not None and failing.result is not None:
        r = failing.result
        where = f"step {failing.index}" + (f" (line {failing.line})" if failing.line else "")
        text = style.verdict(f"first wrong step: {where} — {VERDICT_WORDS[r.verdict]}", r.verdict)
        lines.append(text)
        if r.counterexample is not None:
            lines.append("  " + format_counterexample(r.counterexample, d, failing))
        elif r.reason or r.explanation:
            lines.append("  " + clip(r.reason or r.explanation))
        if failing.text:
            lines.append(f"  as written: {failing.relation.symbol} {shown_pretty(d, failing)}")
        part = differing_part(r, d, failing)
        if part:
            lines.append("  " + part)
        if r.mistake:
            lines.append(f"  likely mistake: {mistake_name(r)}"
                         + (f" — {clip(r.explanation, 10**6)}" if r.explanation else ""))
        elif no_name_said(r):
            lines.append("  " + no_name_said(r))
    elif d.steps and all(s.result is not None for s in d.steps):
        bad = [(s, c) for s in d.steps for c in (s.quadrature, s.sampling)
               if c is not None and not c.ok and c.made]
        if bad:
            s, c = bad[0]
            where = f"step {s.index}" + (f" (line {s.line})" if s.line else "")
            lines.append(style.ok(f"every step holds symbolically, but the {c.kind} check "
                                  f"of {where} failed", False))
        else:
            lines.append(style.ok("every step holds", True))
    lines.extend(_summary_lines([d], style, None, timings))
    return "\n".join(lines)


def _wrap(text: str, indent: int = 6, width: int = 100) -> str:
    pad = " " * indent
    return textwrap.fill(text, width=width, initial_indent=pad, subsequent_indent=pad,
                         break_long_words=False, break_on_hyphens=False)


def render_errata(entries: Sequence[Mapping[str, Any]] | None, *, color: bool = False,
                  note: str = "") -> str:
    """The errata: each with its section, title, explanation and the outcome of its check.

    ``entries`` are dicts with ``section``, ``title``, ``explanation``, ``ok`` (bool or None)
    and ``summary`` (see :func:`elbo_derivation.verification.run_errata`); ``None`` means the
    errata are not available, and ``note`` says why.

    >>> print(render_errata([{"section": "§4", "title": "h is a variance",
    ...     "explanation": "hence log(1/√h)", "ok": True, "summary": "checked"}]))
    Errata
      ✓ §4  h is a variance
          hence log(1/√h)
          check: checked
    """
    style = Style(color)
    if entries is None:
        return "Errata: " + (note or "not available")
    lines = [style.bold("Errata")]
    for e in entries:
        ok = e.get("ok")
        mark = "·" if ok is None else style.ok("✓" if ok else "✗", bool(ok))
        section = e.get("section") or ""
        lines.append(f"  {mark} {section}  {e.get('title', '')}".rstrip())
        if e.get("explanation"):
            lines.append(_wrap(e["explanation"]))
        if e.get("summary"):
            lines.append(_wrap("check: " + e["summary"]))
    if not entries:
        lines.append("  (none)")
    return "\n".join(lines)


def _print_form(d: Derivation) -> str:
    return render_text([d], timings=False)


# print(derivation) shows this report once the report is loaded (see core.steps.RENDERERS)
_steps_module.RENDERERS.setdefault("text", _print_form)
