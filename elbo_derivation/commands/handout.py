"""``elbo-derivation handout``: the checked derivation as a printable HTML (and LaTeX) handout."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from elbo_derivation.errors import InputError

HELP = "write the checked derivation as one printable HTML file (MathML), optionally LaTeX"
DESCRIPTION = """\
Check every bundled derivation of the notes (as `elbo-derivation verify` does) and write the
result as a handout: one self-contained HTML file that opens in any browser without network
or JavaScript. It shows each step in MathML with its number, relation, justification and
verdict (and the quadrature and sampling checks), the errata of the notes, and the key
figures embedded as images; printing it gives one page per section. With --latex, the same
checked steps are also written as a LaTeX article (amsmath; one aligned line per step) that
compiles with pdflatex.

examples:
  elbo-derivation handout                          # writes ./handout.html
  elbo-derivation handout -o notes.html --latex notes.tex
  elbo-derivation handout --figures figures/       # embed the committed PNGs, no redrawing
  elbo-derivation handout --no-numeric --no-figures -o quick.html

Checking takes about a minute (the symbolic checks, then the numeric ones); drawing the
figures about half a minute more. The exit status is 0 when the files were written, 2 when
an argument or a file cannot be used.
"""

#: The figures the handout embeds (names from :data:`elbo_derivation.figures.FIGURES`).
HANDOUT_FIGURES = ("elbo_gap", "kl_surface", "kl_asymmetry", "mc_convergence", "loss_curves",
                   "c_sweep")  # fmt: skip


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``-o FILE``, ``--latex FILE``, ``--figures DIR``, ``--no-figures``, ``--no-numeric``,
    ``--seed``, ``--time-limit``."""
    from elbo_derivation.commands.argtypes import positive_seconds, seed

    parser.add_argument(
        "-o", "--output", metavar="FILE", default="handout.html",
        help="the HTML file to write ('-': standard output; default: handout.html)",
    )  # fmt: skip
    parser.add_argument(
        "--latex", metavar="FILE",
        help="also write the handout as a LaTeX article (amsmath) to FILE",
    )  # fmt: skip
    parser.add_argument(
        "--figures", metavar="DIR", dest="figures_dir",
        help="embed the PNG files from DIR (as `elbo-derivation figures` writes them) "
        "instead of drawing the figures",
    )  # fmt: skip
    parser.add_argument(
        "--no-figures", dest="with_figures", action="store_false",
        help="embed no figures",
    )  # fmt: skip
    parser.add_argument(
        "--no-numeric", dest="numeric", action="store_false",
        help="skip the quadrature and sampling checks (symbolic verdicts only)",
    )  # fmt: skip
    parser.add_argument(
        "--seed", type=seed, default=0, metavar="S",
        help="seed of the numeric checks and of the figures (default: 0)",
    )  # fmt: skip
    parser.add_argument(
        "--time-limit", type=positive_seconds, default=5.0, metavar="SEC",
        help="seconds allowed to each step's symbolic check (default: 5)",
    )  # fmt: skip


def _figures(args: argparse.Namespace) -> list:
    from elbo_derivation import figures
    from elbo_derivation.report.handout import HandoutFigure

    out = []
    if not args.with_figures:
        return out
    if args.figures_dir is not None:
        folder = Path(args.figures_dir)
        if not folder.is_dir():
            raise InputError(f"--figures: {folder} is not a folder")
        for name in HANDOUT_FIGURES:
            path = folder / f"{name}.png"
            if path.is_file():
                out.append(HandoutFigure(name, path.read_bytes(), figures.FIGURES[name].caption))
        if not out:
            names = ", ".join(n + ".png" for n in HANDOUT_FIGURES)
            raise InputError(
                f"--figures: {folder} holds none of {names}; "
                "run `elbo-derivation figures --out DIR` first"
            )
        return out
    from tqdm.auto import tqdm

    for name in tqdm(HANDOUT_FIGURES, desc="figures", unit="figure", leave=False,
                     disable=not sys.stderr.isatty()):  # fmt: skip
        png = figures.figure_png(name, seed=args.seed)
        out.append(HandoutFigure(name, png, figures.FIGURES[name].caption))
    return out


def _write(path: str, text: str) -> None:
    if path == "-":
        sys.stdout.write(text)
        return
    from elbo_derivation.output import write_atomic

    write_atomic(path, text)  # all or nothing: a failed run keeps the previous file


def run(args: argparse.Namespace) -> int:
    """Check the notes, draw or read the figures, write the handout(s); returns 0."""
    from elbo_derivation import verification
    from elbo_derivation.report.handout import render_html, render_tex

    if args.output == "-" and args.latex == "-":
        raise InputError("-o - and --latex - both want stdout; give one of them a file name")
    for path in (args.output, args.latex):
        if path and path != "-" and Path(path).is_dir():
            raise InputError(f"{path}: is a folder; expected a file name")
    derivations = verification.verify_bundled(
        numeric=args.numeric, seed=args.seed, time_limit=args.time_limit, progress=True
    )
    errata = verification.run_errata()
    figs = _figures(args)
    note = "The errata module (elbo_derivation.explain.errata) is not available yet."
    _write(args.output, render_html(derivations, errata=errata, figures=figs, errata_note=note))
    if args.latex:
        _write(args.latex, render_tex(derivations, errata=errata))
    steps = sum(len(d.steps) for d in derivations)
    ok = sum(1 for d in derivations for s in d.steps if s.result and s.result.verdict.ok)
    written = [p for p in (args.output, args.latex) if p and p != "-"]
    if written:
        print(f"wrote {', '.join(written)}: {len(derivations)} derivations, {steps} steps "
              f"({ok} proved or numerically supported), {len(figs)} figures",
              file=sys.stderr)  # fmt: skip
    return 0
