"""A class's marks: a text table, CSV for Canvas and Gradescope, JSON, and an HTML summary.

The CSV files follow the column conventions of the two gradebooks:

``canvas``
    Canvas's gradebook import: ``Student``, ``ID``, ``SIS User ID``, ``SIS Login ID``,
    ``Section``, then one column for the assignment, and a ``Points Possible`` row under the
    header (as in a gradebook export). Canvas matches a row by its ID, SIS User ID or SIS Login
    ID; without a roster, the file's stem stands in the ``Student`` and ``SIS Login ID``
    columns.
``gradescope``
    Gradescope's roster and score columns: ``Name``, ``SID``, ``Email``, ``Total Score``
    (and ``Max Points``).
``plain``
    every column ``mark`` computes: file, status, steps, first wrong step and its line,
    mistake, goal reached, carried-forward and recovered steps, where the work left the model
    solution, steps too big, score, the most it could be, the reasons for lost marks, and
    the notes (how the file's symbols were matched to the model solution's, where the work
    left it).

A roster (``--roster FILE``: a CSV with a ``file`` column holding each student's file name
or stem, and any of the columns above) fills in names and ids.

Examples
--------
>>> from elbo_derivation.marking import Mark
>>> rows = [Mark("ada.deriv", "marked", steps=3, score=10.0, max_score=10.0)]
>>> print(marks_csv(rows, "gradescope", assignment="KL"), end="")
Name,SID,Email,Total Score,Max Points
ada,ada,,10,10
"""

from __future__ import annotations

import csv
import html
import io
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from elbo_derivation.errors import InputError
from elbo_derivation.report.pretty import plural

__all__ = [
    "CSV_FORMATS",
    "marks_csv",
    "marks_html",
    "marks_json",
    "mistake_counts",
    "read_roster",
    "render_marks_text",
]

CSV_FORMATS = ("canvas", "gradescope", "plain")

CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
GRADESCOPE_COLUMNS = ("Name", "SID", "Email", "Total Score", "Max Points")


def _num(x: float | None) -> str:
    return "" if x is None else f"{x:g}"


def _shown(x: float | None) -> str:
    """A mark for the page: at most two decimals (2.57, 10), as the plot's title has it."""
    return "" if x is None else f"{round(x, 2):g}"


def _stem(name: str) -> str:
    return Path(name).stem


def read_roster(path: str | Path) -> dict[str, dict[str, str]]:
    """Read a roster CSV: each row by the stem of its ``file`` column.

    Raises
    ------
    InputError
        for a missing file or one without a ``file`` column.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"--roster {p}: no such file") from None
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or "file" not in reader.fieldnames:
        raise InputError(f"--roster {p}: expected a CSV with a 'file' column (each student's "
                         "file name or stem) and columns such as Name, SID, Email")
    return {_stem(row["file"].strip()): row for row in reader if row.get("file")}


def _who(m: Any, roster: Mapping[str, Mapping[str, str]], *keys: str) -> str:
    row = roster.get(_stem(m.file), {})
    for k in keys:
        if row.get(k):
            return row[k]
    return ""


def marks_csv(marks: Sequence[Any], fmt: str = "plain", *, assignment: str = "Derivation",
              roster: Mapping[str, Mapping[str, str]] | None = None) -> str:
    """The marks as CSV text in one of :data:`CSV_FORMATS`.

    Examples
    --------
    >>> from elbo_derivation.marking import Mark
    >>> rows = [Mark("b/ben.deriv", "marked", steps=2, score=6.5, max_score=10.0)]
    >>> print(marks_csv(rows, "canvas", assignment="KL (123)"), end="")
    Student,ID,SIS User ID,SIS Login ID,Section,KL (123)
    Points Possible,,,,,10
    ben,,,ben,,6.5
    """
    if fmt not in CSV_FORMATS:
        raise InputError(f"--csv-format must be one of {', '.join(CSV_FORMATS)}, got {fmt!r}")
    roster = roster or {}
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    if fmt == "canvas":
        w.writerow([*CANVAS_COLUMNS, assignment])
        most = marks[0].max_score if marks else 0.0
        w.writerow(["Points Possible", "", "", "", "", _num(most)])
        for m in marks:
            stem = _stem(m.file)
            w.writerow([_who(m, roster, "Student", "Name") or stem, _who(m, roster, "ID"),
                        _who(m, roster, "SIS User ID", "SID"),
                        _who(m, roster, "SIS Login ID") or (stem if not roster else ""),
                        _who(m, roster, "Section"), _num(m.score)])
    elif fmt == "gradescope":
        w.writerow(GRADESCOPE_COLUMNS)
        for m in marks:
            stem = _stem(m.file)
            w.writerow([_who(m, roster, "Name", "Student") or stem,
                        _who(m, roster, "SID", "SIS User ID", "ID") or stem,
                        _who(m, roster, "Email"), _num(m.score), _num(m.max_score)])
    else:
        w.writerow(["file", "status", "steps", "first_wrong_step", "first_wrong_line",
                    "mistake", "goal_reached", "carried_forward", "recovered",
                    "left_reference_at", "too_big", "score", "max_score", "reasons",
                    "notes"])
        for m in marks:  # a file never read has no step count
            w.writerow([m.file, m.status, m.steps if m.status == "marked" else "",
                        m.first_wrong or "", m.first_wrong_line or "",
                        m.mistake or "", "" if m.goal_reached is None else
                        ("yes" if m.goal_reached else "no"),
                        " ".join(map(str, m.carried_forward)), " ".join(map(str, m.recovered)),
                        "" if m.left_reference_at is None else m.left_reference_at,
                        " ".join(map(str, m.too_big)), _num(m.score), _num(m.max_score),
                        " | ".join(m.reasons), " | ".join(m.notes)])
    return out.getvalue()


def mistake_counts(marks: Sequence[Any]) -> Counter[str]:
    """How often each kind of lost mark occurs in the class: named mistakes (every wrong
    step), unnamed wrong steps, goals not reached, steps too big, unreadable files."""
    c: Counter[str] = Counter()
    for m in marks:
        if m.status != "marked":
            c["file not marked (" + m.status + ")"] += 1
            continue
        for s in m.step_marks:
            if s.status == "refuted":
                c[s.mistake or "wrong step (unnamed)"] += 1
            elif s.status == "undecided":
                c["undecided step"] += 1
        if m.goal_reached is False:
            c["goal not reached"] += 1
        if m.too_big:
            c["step too big to follow"] += len(m.too_big)
    return c


def _summary(marks: Sequence[Any]) -> dict[str, Any]:
    scores = [m.score for m in marks]
    return {
        "files": len(marks),
        "marked": sum(m.status == "marked" for m in marks),
        "not_marked": sum(m.status != "marked" for m in marks),
        "full_marks": sum(m.score >= m.max_score for m in marks),
        "goal_reached": sum(m.goal_reached is True for m in marks),
        "mean": round(statistics.fmean(scores), 4) if scores else None,
        "median": statistics.median(scores) if scores else None,
        "max_score": marks[0].max_score if marks else None,
        "mistakes": dict(mistake_counts(marks).most_common()),
    }


def marks_json(marks: Sequence[Any], *, folder: str, rules: Any = None,
               seconds: float | None = None) -> dict[str, Any]:
    """The ``mark --json`` document: one entry per file, the rule used, and the totals."""
    doc: dict[str, Any] = {
        "folder": folder,
        "rules": None if rules is None else rules.source,
        "files": [m.to_json() for m in marks],
        "summary": _summary(marks),
    }
    if seconds is not None:
        doc["seconds"] = round(seconds, 3)
    return doc


def render_marks_text(marks: Sequence[Any]) -> str:
    """A table for the terminal: file, steps, first wrong step, mistake, goal, carried
    forward, score; then the totals."""
    head = ("file", "steps", "first wrong", "mistake", "goal", "carried fwd", "score")
    rows = []
    for m in marks:
        if m.status != "marked":
            rows.append((m.file, "-", "-", m.status, "-", "-",
                         f"{_num(m.score)}/{_num(m.max_score)}"))
            continue
        first = "" if m.first_wrong is None else f"{m.first_wrong} (line {m.first_wrong_line})"
        goal = "" if m.goal_reached is None else ("reached" if m.goal_reached else "not reached")
        rows.append((m.file, str(m.steps), first, m.mistake or "", goal,
                     " ".join(map(str, m.carried_forward)),
                     f"{_num(m.score)}/{_num(m.max_score)}"))
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(head)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip()
              for r in rows]
    s = _summary(marks)
    lines.append("")
    lines.append(f"{plural(s['files'], 'file')}: {s['marked']} marked, "
                 f"{s['not_marked']} not marked; "
                 f"{s['full_marks']} full marks; mean {_shown(s['mean'])}, median "
                 f"{_shown(s['median'])} of {_num(s['max_score'])}")
    return "\n".join(lines)


def summary_figure(marks: Sequence[Any], *, top: int = 8) -> Any:
    """A matplotlib figure: the distribution of scores, and the most common mistakes."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.ticker import MaxNLocator

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6), gridspec_kw={"width_ratios": [1, 1.3]})
    scores = np.array([m.score for m in marks], dtype=float)
    most = marks[0].max_score if marks else 1.0
    width = max(0.5, most / 40)  # one bar per half point (for up to 20 points)
    bins = np.arange(-width / 2, most + width, width)
    ax1.hist(scores, bins=bins, color="#4477aa", edgecolor="white")
    ax1.set_xlabel("score")
    ax1.set_ylabel("files")
    ax1.yaxis.set_major_locator(MaxNLocator(integer=True))  # a count of files: 1, 2, 3
    ax1.set_title(f"scores ({plural(len(marks), 'file')}, mean {scores.mean():.2f} of {most:g})"
                  if len(marks) else "scores")
    counts = mistake_counts(marks).most_common(top)
    if counts:
        labels = [k for k, _ in counts][::-1]
        values = [v for _, v in counts][::-1]
        ax2.barh(labels, values, color="#cc6677")
        ax2.set_xlabel("occurrences")
        ax2.xaxis.set_major_locator(MaxNLocator(integer=True))
    else:
        ax2.text(0.5, 0.5, "no marks lost", ha="center", va="center", transform=ax2.transAxes)
        ax2.set_yticks([])
    ax2.set_title("most common reasons for lost marks")
    fig.tight_layout()
    return fig


def figure_svg(fig: Any) -> str:
    """The figure as SVG text (for inlining in HTML), then closed."""
    import matplotlib.pyplot as plt

    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]


#: Formulas up to this long (in characters) are never broken across lines in the page.
LONG_FORMULA = 56


def _with_math(text: str, formulas: Sequence[str]) -> str:
    """``text`` escaped for HTML, with each of ``formulas`` it quotes in a
    ``<span class="math">`` that keeps it whole (one longer than :data:`LONG_FORMULA` may
    break, at its spaces)."""
    spans: list[tuple[int, int]] = []
    for f in sorted(set(formulas), key=len, reverse=True):
        if not f:
            continue
        start = text.find(f)
        while start >= 0:
            end = start + len(f)
            if not any(a < end and start < b for a, b in spans):
                spans.append((start, end))
            start = text.find(f, end)
    out, at = [], 0
    for a, b in sorted(spans):
        f = text[a:b]
        cls = "math long" if len(f) > LONG_FORMULA else "math"
        out += [html.escape(text[at:a]), f"<span class=\"{cls}\">{html.escape(f)}</span>"]
        at = b
    out.append(html.escape(text[at:]))
    return "".join(out)


def marks_html(marks: Sequence[Any], *, title: str = "Marks", rules: Any = None) -> str:
    """A self-contained HTML page: the summary, the plot (inline SVG) and every file's row
    with its reasons."""
    s = _summary(marks)
    esc = html.escape
    svg = figure_svg(summary_figure(marks))
    rows = []
    for m in marks:
        formulas = getattr(m, "formulas", ())
        reasons = "".join(f"<li>{_with_math(r, formulas)}</li>" for r in m.reasons)
        notes = "".join(f"<li>{_with_math(r, formulas)}</li>" for r in m.notes)
        why = (f"<ul class=\"reasons\">{reasons}</ul>" if reasons else "") + (
            f"<ul class=\"notes\">{notes}</ul>" if notes else "")
        first = "" if m.first_wrong is None else f"{m.first_wrong} (line {m.first_wrong_line})"
        goal = "" if m.goal_reached is None else ("yes" if m.goal_reached else "no")
        steps = str(m.steps) if m.status == "marked" else "–"  # never read: no count
        rows.append(
            f"<tr class=\"{esc(m.status)}\"><td>{esc(m.file)}</td><td>{esc(m.status)}</td>"
            f"<td>{steps}</td><td>{esc(first)}</td><td class=\"mistake\">"
            f"{esc(m.mistake or '')}</td>"
            f"<td>{goal}</td><td>{esc(' '.join(map(str, m.carried_forward)))}</td>"
            f"<td class=\"score\">{_num(m.score)} / {_num(m.max_score)}</td>"
            f"<td class=\"why\">{why}</td></tr>")
    mistakes = "".join(f"<li>{esc(k)}: {v}</li>" for k, v in s["mistakes"].items())
    rule = "" if rules is None else f"<p>Partial-credit rule: {esc(str(rules.source))}</p>"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; font-size: 0.9em; width: 100%; }}
td, th {{ border-bottom: 1px solid #ddd; padding: 0.3em 0.6em; text-align: left;
  vertical-align: top; }}
td.score {{ white-space: nowrap; }}
td.mistake {{ max-width: 11em; }}
td.why {{ min-width: 22em; }}
ul {{ margin: 0; padding-left: 1.2em; }}
ul.notes {{ color: #555; list-style: circle; margin-top: 0.3em; }}
span.math {{ white-space: nowrap; }}
span.math.long {{ white-space: normal; }}
svg {{ max-width: 100%; height: auto; }}
</style></head><body>
<h1>{esc(title)}</h1>
<p>{plural(s['files'], 'file')}: {s['marked']} marked, {s['not_marked']} not marked;
{s['full_marks']} with full marks, {s['goal_reached']} reach the goal.
Mean {_shown(s['mean'])}, median {_shown(s['median'])} of {_num(s['max_score'])}.</p>
{rule}
<figure>{svg}</figure>
<h2>Most common reasons for lost marks</h2>
<ul>{mistakes or '<li>none</li>'}</ul>
<h2>Every file</h2>
<table><thead><tr><th>file</th><th>status</th><th>steps</th><th>first wrong step</th>
<th>mistake</th><th>goal reached</th><th>carried forward</th><th>score</th><th>reasons</th>
</tr></thead><tbody>
{''.join(rows)}
</tbody></table>
</body></html>
"""
