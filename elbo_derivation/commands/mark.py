"""``elbo-derivation mark``: mark a class's derivations, with partial credit and reasons."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from elbo_derivation.commands.argtypes import positive_seconds
from elbo_derivation.errors import InputError

HELP = "mark a folder of students' derivations: goal, error carried forward, score, reasons"
DESCRIPTION = """\
Mark every .deriv and .tex file in FOLDER (and its sub-folders): one row per file, none
skipped. Each row gives the steps, the first wrong step and its mistake, whether the goal is
reached, the steps that follow correctly from an earlier error (error carried forward), the
score, and the reason for every lost mark.

The goal is the last line of --reference (a model solution), or --goal EXPR, or each file's
own 'goal:' header. With --reference the rows also say where each script leaves the model
solution, and which steps are too big to follow. The partial-credit rule is a TOML file
(--rules; see marking_default.toml in the package for the documented default: points for
the goal, per correct step, penalties per mistake kind, a cap).

Files are marked on every core; each file is bounded in time (--file-time-limit), and a file
that cannot be read or takes too long gets its own row with score 0 and the reason.

examples:
  elbo-derivation mark submissions/ --reference model.deriv
  elbo-derivation mark submissions/ --reference model.deriv --csv marks.csv --csv-format canvas
  elbo-derivation mark submissions/ --goal '(h + g^2 - log(h) - 1)/2' --json marks.json
  elbo-derivation mark submissions/ --reference model.deriv --rules my_rules.toml \\
      --html summary.html

exit status: 0 every file marked; 1 some file could not be read or marked (it has its own
row); 2 bad arguments, or a folder without .deriv/.tex files.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", metavar="FOLDER", help="the folder of students' files")
    goal = parser.add_mutually_exclusive_group()
    goal.add_argument("--reference", metavar="FILE", default=None,
                      help="the model solution (.deriv or .tex); its last line is the goal")
    goal.add_argument("--goal", metavar="EXPR", default=None,
                      help="the expression every derivation must reach (.deriv syntax)")
    parser.add_argument("--rules", metavar="FILE", default=None,
                        help="the partial-credit rule, a TOML file (default: the package's "
                        "marking_default.toml)")
    parser.add_argument("--csv", metavar="FILE", default=None,
                        help="write the marks as CSV to FILE ('-' for standard output)")
    parser.add_argument("--csv-format", choices=("canvas", "gradescope", "plain"),
                        default="plain",
                        help="CSV columns: Canvas's or Gradescope's import, or every column "
                        "(default: plain)")
    parser.add_argument("--assignment", metavar="NAME", default="Derivation",
                        help="the assignment's column name in a Canvas CSV (default: "
                        "Derivation)")
    parser.add_argument("--roster", metavar="FILE", default=None,
                        help="a CSV with a 'file' column and names/ids (Name, SID, Email, "
                        "ID, SIS User ID, SIS Login ID, Section) for the gradebook CSV")
    parser.add_argument("--json", metavar="FILE", default=None,
                        help="write the marks as JSON to FILE ('-' for standard output)")
    parser.add_argument("--html", metavar="FILE", default=None,
                        help="write an HTML summary page (score distribution, most common "
                        "mistakes, every row) to FILE")
    parser.add_argument("--time-limit", type=positive_seconds, default=5.0, metavar="SEC",
                        help="CPU seconds allowed to each comparison (default: 5)")
    parser.add_argument("--file-time-limit", type=positive_seconds, default=30.0,
                        metavar="SEC", help="CPU seconds allowed to one file (default: 30)")
    parser.add_argument("--jobs", type=int, default=None, metavar="N",
                        help="worker processes (default: one per core)")


def _write(target: str, text: str) -> None:
    """Write ``text`` to a file (whole or not at all), or to stdout for '-'."""
    if target == "-":
        sys.stdout.write(text)
        return
    from elbo_derivation.output import write_atomic

    write_atomic(target, text)


def run(args: argparse.Namespace) -> int:
    from elbo_derivation import marking
    from elbo_derivation.report import json as report_json
    from elbo_derivation.report import marks as report_marks

    if args.jobs is not None and args.jobs < 1:
        raise InputError(f"--jobs must be a whole number >= 1, got {args.jobs}")
    folder = Path(args.folder)
    if not folder.is_dir():
        raise InputError(f"{args.folder}: not a folder; give the folder of students' files "
                         "(to check one file, use 'elbo-derivation check FILE --goal ...')")
    from elbo_derivation.output import output_file

    for target, argument in ((args.csv, "--csv"), (args.json, "--json"), (args.html, "--html")):
        if target and target != "-":
            output_file(target, argument)  # a bad destination fails before the marking
    rules = marking.load_rules(args.rules)
    roster = None if args.roster is None else report_marks.read_roster(args.roster)
    reference = None if args.reference is None else marking.load_reference(args.reference)
    to_stdout = "-" in (args.csv, args.json)
    t0 = time.perf_counter()
    marks = marking.mark_folder(folder, goal=args.goal, reference=reference, rules=rules,
                                time_limit=args.time_limit,
                                file_time_limit=args.file_time_limit, jobs=args.jobs,
                                progress=not to_stdout)
    seconds = time.perf_counter() - t0
    tried = [m for m in marks if m.status not in ("ignored", "unreadable")]
    if args.goal is not None and tried and all(
            "the goal cannot be read" in (m.error or "") for m in tried):
        raise InputError(tried[0].error.split(": ", 1)[1])  # the same for every file
    if args.csv is not None:
        _write(args.csv, report_marks.marks_csv(marks, args.csv_format,
                                                assignment=args.assignment, roster=roster))
    if args.json is not None:
        doc = report_marks.marks_json(marks, folder=args.folder, rules=rules, seconds=seconds)
        _write(args.json, report_json.dumps(doc) + "\n")
    if args.html is not None:
        _write(args.html, report_marks.marks_html(marks, title=f"Marks: {args.folder}",
                                                  rules=rules))
    if not to_stdout:
        print(report_marks.render_marks_text(marks))
    return 0 if all(m.status == "marked" for m in marks) else 1
