"""``elbo-derivation check``: check anyone's derivation, or a whole folder of them."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from elbo_derivation.commands.argtypes import positive_seconds
from elbo_derivation.errors import InputError

HELP = "check your own derivation (.deriv or .tex), or every file in a folder"
DESCRIPTION = """\
Check a derivation written as a .deriv file or as a LaTeX align/align* environment in a .tex
file, one step at a time, and name the first wrong step: its number, its line in the file, a
counterexample (parameter values where the two sides differ, and both values) and, when the
difference matches a known mistake, the mistake's name and what to look at in the notes.

Given a folder, check every .deriv and .tex file in it (and in its sub-folders) and print a
table: file, steps, first failing step, mistake. A file that cannot be read gets its own row
with the reason; it does not stop the others.

examples:
  elbo-derivation check my_kl.deriv
  elbo-derivation check homework.tex --explain
  elbo-derivation check my_kl.deriv --json
  elbo-derivation check submissions/ --format csv > marks.csv

A goal (a 'goal: EXPR' header, '% goal:' in .tex, --goal EXPR, or the last line of
--reference model.deriv) must be reached: a derivation whose last line is not equal to it is
not ok ("stops at ..., the goal is ..."). After the first wrong step, a step that follows
from the wrong line is reported as carried forward, and one that returns to an earlier,
right line as back on the right path (see 'elbo-derivation mark' for a whole class).

exit status, for a file: 0 no step refuted or undecided, and the goal (if any) reached; 1 a
step is refuted or undecided, the goal is not reached (or, with --numeric, a numeric check
failed); 2 the file cannot be read.
For a folder: 0 every file read and holds; 1 some file has a wrong step or cannot be read;
2 only when the folder itself cannot be used (missing, or no .deriv/.tex file in it).
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``PATH``, ``--json``, ``--format``, ``--explain``, ``--numeric``, ``--time-limit``."""
    parser.add_argument("path", metavar="PATH", help="a .deriv or .tex file, or a folder")
    parser.add_argument("--json", action="store_true", help="same as --format json")
    parser.add_argument(
        "--format", choices=("text", "csv", "json"), default=None,
        help="output format (default: text)",
    )
    parser.add_argument(
        "--explain", action="store_true",
        help="for each proved step, say which rule or transformation proved it",
    )
    parser.add_argument(
        "--numeric", action="store_true",
        help="also check every step by quadrature and by sampling",
    )
    parser.add_argument(
        "--time-limit", type=positive_seconds, default=5.0, metavar="SEC",
        help="CPU seconds allowed to each step's symbolic check (default: 5)",
    )
    parser.add_argument(
        "--goal", metavar="EXPR", default=None,
        help="the expression the derivation must reach (read with the file's declarations)",
    )
    parser.add_argument(
        "--reference", metavar="FILE", default=None,
        help="a model solution: its last line is the goal, and the report says where the "
        "work leaves it",
    )


def _format(args: argparse.Namespace) -> str:
    if args.json and args.format not in (None, "json"):
        raise InputError(f"--json and --format {args.format} disagree; give one of them")
    return "json" if args.json else (args.format or "text")


def run(args: argparse.Namespace) -> int:
    """Check PATH and print the report; returns 0, 1 or 2 as documented above."""
    fmt = _format(args)
    path = Path(args.path)
    if path.is_dir():
        if args.goal is not None or args.reference is not None:
            raise InputError("--goal and --reference apply to one file; to mark a folder, use "
                             "'elbo-derivation mark FOLDER'")
        return _run_folder(path, args, fmt)
    from elbo_derivation.verification import not_a_file

    why = not_a_file(path) if path.exists() or path.is_symlink() else None
    if why is not None:  # a FIFO would block the read forever: refuse before opening
        raise InputError(f"{path}: {why}")
    return _run_file(path, args, fmt)


def _run_file(path: Path, args: argparse.Namespace, fmt: str) -> int:
    from elbo_derivation import marking, verification
    from elbo_derivation.report import json as report_json
    from elbo_derivation.report import text as report_text

    reference = None if args.reference is None else marking.load_reference(args.reference)
    d = verification.check_file(path, numeric=args.numeric, time_limit=args.time_limit)
    parts = d.parts  # a file with several parts: each is reported, in order
    # each part reaches its own goal (a header in or before it); --goal and the model
    # solution are what the file's last part must reach
    marks = []
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        part_reference = reference if last else None
        part_goal = marking.goal_of(part, args.goal if last else None, part_reference)
        marks.append(marking.mark_derivation(part, goal=part_goal, reference=part_reference,
                                             time_limit=args.time_limit, file=args.path))
    if fmt == "json":
        docs = [report_json.check_json(part, file=args.path) for part in parts]
        for doc, part_mark in zip(docs, marks, strict=True):
            if part_mark.goal is not None or reference is not None:
                doc["marking"] = part_mark.to_json()
        if len(parts) > 1:
            for doc, part in zip(docs, parts, strict=True):
                doc["part"] = part.metadata["part"]
        print(report_json.dumps(docs[0] if len(parts) == 1 else {"parts": docs}))
    elif fmt == "csv":
        from elbo_derivation.report.table import steps_csv

        for i, part in enumerate(parts):
            text = steps_csv(part)
            sys.stdout.write(text if i == 0 else text.split("\n", 1)[1])
    else:
        color = report_text.use_color(sys.stdout)
        for unread in d.metadata.get("unread", ()):  # display maths the .tex reader skips
            print(f"note: {args.path}:{unread['line']}: {unread['what']} is not checked (only "
                  "align, align* and aligned environments are)", file=sys.stderr)
        for i, (part, part_mark) in enumerate(zip(parts, marks, strict=True)):
            if len(parts) > 1:
                info = part.metadata["part"]
                print(("" if i == 0 else "\n") + f"== part {info['label']} "
                      f"({info['number']} of {info['of']}, line {info['line']})")
            print(report_text.render_check_text(part, color=color, explain=args.explain))
            for line in _marking_lines(part_mark):
                print(line)
    ok = verification.derivation_ok(d, numeric=args.numeric) and all(
        m.goal_reached is not False for m in marks)
    return 0 if ok else 1


def _marking_lines(mark: object) -> list[str]:
    """What marking adds to the text report: carried-forward and recovered steps, where the
    work leaves the model solution, and the goal."""
    out = []
    for sm in getattr(mark, "step_marks", []):
        if sm.status == "carried-forward":
            out.append(f"step {sm.index} follows correctly from line {sm.follows_from}, which "
                       "is wrong: error carried forward")
        elif sm.status == "recovered":
            out.append(f"step {sm.index} is back on the right path (it follows from line "
                       f"{sm.follows_from})")
    out.extend(getattr(mark, "notes", []))
    if getattr(mark, "goal_reached", None) is False:
        out.append(f"not ok: {mark.goal_reason}")  # type: ignore[attr-defined]
    elif getattr(mark, "goal_reached", None):
        out.append(f"the goal {mark.goal} is reached")  # type: ignore[attr-defined]
    return out


def _run_folder(path: Path, args: argparse.Namespace, fmt: str) -> int:
    from elbo_derivation import verification
    from elbo_derivation.report import json as report_json
    from elbo_derivation.report import table

    done: list = []
    interrupted = False
    try:
        rows = verification.check_folder(
            path, numeric=args.numeric, time_limit=args.time_limit, progress=fmt == "text",
            on_row=done.append,
        )
    except KeyboardInterrupt:  # Ctrl-C: report the files checked so far, then exit 130
        rows, interrupted = done, True
    if not interrupted:
        _goals_in_folder(rows, args.time_limit)
    _, ignored = verification.candidate_files(path)
    if fmt == "json":
        doc = report_json.folder_json(rows, folder=args.path, ignored=len(ignored))
        print(report_json.dumps(doc))
    elif fmt == "csv":
        sys.stdout.write(table.folder_csv(rows))
    else:
        from elbo_derivation.report.text import use_color

        color = use_color(sys.stdout)
        print(table.render_folder_text(rows, color=color, ignored=len(ignored)))
        if args.explain:
            _explain_folder(rows, color)
    if interrupted:
        total = len(verification.candidate_files(path)[0])
        print(f"elbo-derivation check: interrupted after {len(rows)} of {total} files; "
              "the rows above are those checked", file=sys.stderr)
        return 130
    return 0 if all(row.ok for row in rows) else 1


def _explain_folder(rows: list, color: bool) -> None:
    from elbo_derivation.report.text import render_check_text

    for row in rows:
        if row.derivation is not None:
            print()
            print(f"== {row.file}")
            print(render_check_text(row.derivation, color=color, explain=True, timings=False))


def _goals_in_folder(rows: list, time_limit: float) -> None:
    """A file with a 'goal:' header whose steps all hold but whose last line is not the goal
    is not ok: its row gets the status 'goal-not-reached' and the reason."""
    from elbo_derivation import marking

    for row in rows:
        d = row.derivation
        if row.status != "ok" or d is None or not d.metadata.get("goal"):
            continue
        try:
            goal = marking.goal_of(d)
        except InputError as err:
            row.status, row.error = "unreadable", str(err)
            continue
        if goal is None:
            continue
        reached, reason = marking.check_goal(d, goal, time_limit=time_limit)
        if not reached:
            row.status, row.mistake, row.error = "goal-not-reached", "goal not reached", reason
