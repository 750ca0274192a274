"""Tables for ``check``: a folder of submissions (text or CSV), one file's steps as CSV.

The folder table has one row per file: the file, how many steps it has, its first failing
step (number and line), the mistake recognised there, and, for a file that could not be
read, the reason.

Examples
--------
>>> from elbo_derivation.verification import FolderRow
>>> rows = [FolderRow("alice.deriv", "ok", steps=7),
...         FolderRow("bob.tex", "refuted", steps=5, first_failure=3, line=9,
...                   mistake="dropped-half")]
>>> print(folder_csv(rows), end="")
file,status,steps,first_failure,line,mistake,error
alice.deriv,ok,7,,,,
bob.tex,refuted,5,3,9,dropped-half,
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from elbo_derivation.core.steps import Derivation
from elbo_derivation.report.pretty import shown_sides
from elbo_derivation.report.text import Style

__all__ = ["FOLDER_COLUMNS", "STEP_COLUMNS", "folder_csv", "render_folder_text", "steps_csv"]

FOLDER_COLUMNS = ("file", "status", "steps", "first_failure", "line", "mistake", "error")
STEP_COLUMNS = ("index", "line", "relation", "verdict", "method", "mistake", "lhs", "rhs",
                "justification", "counterexample")


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def folder_csv(rows: Sequence[Any]) -> str:
    """The folder table as CSV (RFC 4180 quoting, ``\\n`` line ends), with a header row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(FOLDER_COLUMNS)
    for row in rows:
        data = row.to_json()
        writer.writerow([_cell(data[c]) for c in FOLDER_COLUMNS])
    return out.getvalue()


def steps_csv(d: Derivation) -> str:
    """One checked derivation's steps as CSV, with a header row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(STEP_COLUMNS)
    for step in d.steps:
        r = step.result
        cx = ""
        if r is not None and r.counterexample is not None:
            c = r.counterexample
            point = " ".join(f"{k}={v:.6g}" for k, v in c.point.items())
            cx = f"{point} lhs={c.lhs:.6g} rhs={c.rhs:.6g}"
        lhs, rhs = shown_sides(d, step)
        writer.writerow([
            step.index, _cell(step.line), step.relation.value,
            "" if r is None else r.verdict.value, "" if r is None else r.method,
            "" if r is None else _cell(r.mistake), lhs, rhs,
            step.justification, cx,
        ])
    return out.getvalue()


_STATUS_MARK = {"ok": "✓", "refuted": "✗", "undecided": "?", "numeric-failure": "✗",
                "unreadable": "!"}


def render_folder_text(rows: Sequence[Any], *, color: bool = False, ignored: int = 0) -> str:
    """The folder table for a terminal, then one line of totals.

    >>> from elbo_derivation.verification import FolderRow
    >>> print(render_folder_text([FolderRow("a.deriv", "ok", steps=2),
    ...                           FolderRow("b.deriv", "unreadable", error="b.deriv:1:1: bad")]))
    file       steps  first failing step  mistake
    ✓ a.deriv      2  –                   –
    ! b.deriv      –  unreadable: b.deriv:1:1: bad
    <BLANKLINE>
    2 files: 1 ok, 0 with a wrong step, 1 unreadable
    """
    style = Style(color)
    width = max([len(r.file) for r in rows] + [len("file") - 2])
    lines = [f"{'file':<{width + 2}}  steps  first failing step  mistake"]
    for r in rows:
        mark = _STATUS_MARK.get(r.status, "?")
        mark = style.ok(mark, r.status == "ok")
        steps = "–" if r.steps is None else str(r.steps)
        head = f"{mark} {r.file:<{width}}  {steps:>5}  "
        if r.status == "unreadable":
            lines.append(head + f"unreadable: {r.error}")
            continue
        if r.first_failure is None:
            where = "–"
        else:
            where = f"{r.first_failure}" + (f" (line {r.line})" if r.line else "")
            where += f" {r.status}"
        lines.append(head + f"{where:<18}  {r.mistake or '–'}".rstrip())
    n_ok = sum(r.status == "ok" for r in rows)
    n_bad = sum(r.status not in ("ok", "unreadable") for r in rows)
    n_unreadable = sum(r.status == "unreadable" for r in rows)
    total = f"{len(rows)} file{'s' if len(rows) != 1 else ''}: {n_ok} ok, {n_bad} with a wrong "
    total += f"step, {n_unreadable} unreadable"
    if ignored:
        total += f" ({ignored} other file{'s' if ignored != 1 else ''} ignored: not .deriv/.tex)"
    return "\n".join([*lines, "", total])
