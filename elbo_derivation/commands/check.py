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

exit status, for a file: 0 no step refuted or undecided; 1 a step is refuted or undecided
(or, with --numeric, a numeric check failed); 2 the file cannot be read.
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
        help="seconds allowed to each step's symbolic check (default: 5)",
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
        return _run_folder(path, args, fmt)
    from elbo_derivation.verification import _not_a_file

    why = _not_a_file(path) if path.exists() or path.is_symlink() else None
    if why is not None:  # a FIFO would block the read forever: refuse before opening
        raise InputError(f"{path}: {why}")
    return _run_file(path, args, fmt)


def _run_file(path: Path, args: argparse.Namespace, fmt: str) -> int:
    from elbo_derivation import verification
    from elbo_derivation.report import json as report_json
    from elbo_derivation.report import text as report_text

    d = verification.check_file(path, numeric=args.numeric, time_limit=args.time_limit)
    if fmt == "json":
        print(report_json.dumps(report_json.check_json(d, file=args.path)))
    elif fmt == "csv":
        from elbo_derivation.report.table import steps_csv

        sys.stdout.write(steps_csv(d))
    else:
        color = report_text.use_color(sys.stdout)
        print(report_text.render_check_text(d, color=color, explain=args.explain))
    return 0 if verification.derivation_ok(d, numeric=args.numeric) else 1


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
