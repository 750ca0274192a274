"""``elbo-derivation slides``: checked derivations as a Beamer deck and an offline HTML deck."""

from __future__ import annotations

import argparse
import sys

from elbo_derivation.errors import InputError

HELP = "write checked derivations as slides: an offline HTML deck and/or a Beamer deck"
DESCRIPTION = """\
Check derivations (your own .deriv or .tex files, or by default the bundled notes) and write
them as slides, one step per slide: the expression the step starts from, then - revealed in
turn - the step as its author wrote it, its justification and its verdict.

  --html FILE    a self-contained HTML deck (MathML; no network): -> or space for the next
                 reveal, <- back, Home/End, v to hide or show the verdicts, f full screen
  --beamer FILE  a Beamer deck (\\pause between reveals) that compiles with pdflatex or lualatex

With neither, slides.html is written. --no-verdicts leaves the verdict marks out, for a
lecture in which the class decides each step.

examples:
  elbo-derivation slides --html notes.html --beamer notes.tex
  elbo-derivation slides week3.deriv --title "Week 3: the ELBO" --html week3.html
  elbo-derivation slides mine.tex --no-verdicts --beamer quiz.tex
  elbo-derivation slides mine.tex --beamer mine-slides.tex --pdf

The exit status is 0 when the files were written, 2 when an argument or a file cannot be
used.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``FILES``, ``--html``, ``--beamer``, ``--no-verdicts``, ``--title``, ``--no-numeric``,
    ``--seed``, ``--time-limit``."""
    from elbo_derivation.commands.argtypes import positive_seconds, seed

    parser.add_argument("files", nargs="*", metavar="FILE",
                        help="your own .deriv or .tex files (default: the bundled notes)")
    parser.add_argument("--html", metavar="FILE", help="write the HTML deck to FILE")
    parser.add_argument("--beamer", metavar="FILE", help="write the Beamer deck to FILE")
    parser.add_argument("--pdf", action="store_true",
                        help="also build the Beamer deck's PDF beside it (latexmk when "
                        "installed, else pdflatex run until its frame numbers settle)")
    parser.add_argument("--no-verdicts", dest="verdicts", action="store_false",
                        help="leave the verdict marks out")
    parser.add_argument("--title", metavar="TEXT", help="the deck's title")
    parser.add_argument("--no-numeric", dest="numeric", action="store_false",
                        help="skip the quadrature and sampling checks")
    parser.add_argument("--seed", type=seed, default=0, metavar="S",
                        help="seed of the numeric checks (default: 0)")
    parser.add_argument("--time-limit", type=positive_seconds, default=5.0, metavar="SEC",
                        help="CPU seconds allowed to each step's symbolic check (default: 5)")


def run(args: argparse.Namespace) -> int:
    """Check the derivations and write the deck(s); returns 0."""
    from elbo_derivation.commands.handout import checked_for, write_output
    from elbo_derivation.report.slides import beamer_deck, html_deck

    if args.pdf and (not args.beamer or args.beamer == "-"):
        raise InputError("--pdf builds the Beamer deck's PDF: give --beamer FILE.tex (a file, "
                         "not '-')")
    if not args.html and not args.beamer:
        args.html = "slides.html"
    derivations = checked_for(args, [(args.html, "--html"), (args.beamer, "--beamer")])
    if args.title:
        title = args.title
    elif args.files and len(derivations) == 1:
        title = derivations[0].title or derivations[0].name
    elif args.files:
        title = "Derivations, checked step by step"
    else:
        title = "The derivation of the VAE loss, step by step"
    for path, render in ((args.html, html_deck), (args.beamer, beamer_deck)):
        if not path:
            continue
        write_output(path, render(derivations, title=title, verdicts=args.verdicts))
    written = [p for p in (args.html, args.beamer) if p and p != "-"]
    if args.pdf:
        written.append(_build_pdf(args.beamer))
    if written:
        n = sum(len(d.steps) for d in derivations)
        print(f"wrote {', '.join(written)}: {len(derivations)} derivation"
              f"{'s' if len(derivations) != 1 else ''}, {n} step slides", file=sys.stderr)
    return 0


def _build_pdf(tex: str) -> str:
    """Build the deck's PDF beside ``tex``; returns its path.

    Raises
    ------
    InputError
        when pdflatex is not installed or the build fails (with the log's first errors).
    """
    from pathlib import Path

    from elbo_derivation.report.texcompile import build_pdf

    try:
        result = build_pdf(tex, "pdflatex")
    except FileNotFoundError:
        raise InputError("--pdf: pdflatex is not installed (install TeX Live, or build "
                         f"{tex} yourself)") from None
    if not result.ok or result.pdf is None:
        first = "; ".join(result.errors[:3]) or "no PDF was written"
        log = Path(tex).with_suffix(".log")
        raise InputError(f"--pdf: {tex} did not compile: {first} (see {log})")
    return str(result.pdf)
