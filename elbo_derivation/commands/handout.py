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
  elbo-derivation handout mine.deriv other.tex -o week3.html --latex week3.tex

Give your own .deriv or .tex files to make a handout of them (their titles, sources and
justifications are used; the notes' errata and figures are left out). The LaTeX compiles
with pdflatex and lualatex as it is; --fragment gives only the derivations, for \\input.

Checking the notes takes a few seconds (the symbolic checks, then the numeric ones);
drawing the figures about half a minute more. The exit status is 0 when the files were
written, 2 when an argument or a file cannot be used.
"""

#: The figures the handout embeds (names from :data:`elbo_derivation.figures.FIGURES`).
HANDOUT_FIGURES = ("elbo_gap", "kl_surface", "kl_asymmetry", "mc_convergence", "loss_curves",
                   "c_sweep")  # fmt: skip


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``-o FILE``, ``--latex FILE``, ``--figures DIR``, ``--no-figures``, ``--no-numeric``,
    ``--seed``, ``--time-limit``."""
    from elbo_derivation.commands.argtypes import positive_seconds, seed

    parser.add_argument(
        "files", nargs="*", metavar="FILE",
        help="your own .deriv or .tex files, one or many (default: the bundled notes)",
    )  # fmt: skip
    parser.add_argument(
        "--title", metavar="TEXT",
        help="the handout's title (default: the notes' title, or the single file's title)",
    )  # fmt: skip
    parser.add_argument(
        "--fragment", action="store_true",
        help="with --latex: write only the derivations (no preamble), for \\input",
    )  # fmt: skip
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
        help="CPU seconds allowed to each step's symbolic check (default: 5)",
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


_INTRO = ("From A. Selega's lecture notes (2022), checked by elbo-derivation: each step "
          "symbolically with SymPy and numerically by quadrature and sampling.")


def load_checked(files: list[str], *, numeric: bool, seed: int, time_limit: float) -> list:
    """The derivations of ``files`` (``.deriv``/``.tex``), checked; the notes when none.

    Each file is checked as ``elbo-derivation check`` checks it (symbolically, then by
    quadrature and sampling unless ``numeric`` is false).
    """
    from elbo_derivation import verification

    if not files:
        return verification.verify_bundled(numeric=numeric, seed=seed, time_limit=time_limit,
                                           progress=True)  # fmt: skip
    out = []
    for i, path in enumerate(files):
        d = verification.check_file(path, numeric=numeric, seed=seed + i,
                                    time_limit=time_limit)  # fmt: skip
        out.extend(d.parts)  # every part of the file (each align environment of a .tex)
    return out


def checked_for(args: argparse.Namespace, outputs: list[tuple[str | None, str]]) -> list:
    """:func:`load_checked` for ``args`` (``files``, ``numeric``, ``seed``, ``time_limit``)
    once the ``outputs`` (path or None, the argument that gave it) are known to be usable: at
    most one of them standard output (``-``), and every file one that can be written, so
    that a bad destination fails before the checking, which takes time.

    Raises
    ------
    InputError
        naming the arguments that both want standard output, or the one whose file cannot
        be written.
    """
    from elbo_derivation.output import output_file

    to_stdout = [argument for path, argument in outputs if path == "-"]
    if len(to_stdout) > 1:
        raise InputError(f"{to_stdout[0]} - and {to_stdout[1]} - both want stdout; give one "
                         "of them a file name")
    for path, argument in outputs:
        if path and path != "-":
            output_file(path, argument)
    return load_checked(args.files, numeric=args.numeric, seed=args.seed,
                        time_limit=args.time_limit)  # fmt: skip


def _latex_figures(figs: list, latex_path: str) -> list[tuple[str, str]]:
    """The handout's figures as PNG files beside the LaTeX file (``NAME-figures/``), for
    ``\\includegraphics``; their paths relative to it, with captions."""
    if not figs or latex_path == "-":
        return []
    from elbo_derivation.output import write_atomic

    tex = Path(latex_path)
    folder = tex.with_name(tex.stem + "-figures")
    folder.mkdir(exist_ok=True)
    out = []
    for f in figs:
        write_atomic(folder / f"{f.name}.png", f.png)
        out.append((f"{folder.name}/{f.name}.png", f.caption))
    return out


def _write(path: str, text: str) -> None:
    if path == "-":
        sys.stdout.write(text)
        return
    from elbo_derivation.output import write_atomic

    write_atomic(path, text)  # all or nothing: a failed run keeps the previous file


def write_output(path: str, text: str) -> None:
    """Write ``text`` to ``path`` (``-``: standard output), as the handout does."""
    _write(path, text)


def run(args: argparse.Namespace) -> int:
    """Check the notes, draw or read the figures, write the handout(s); returns 0."""
    from elbo_derivation import verification
    from elbo_derivation.report.handout import render_html, render_tex

    derivations = checked_for(args, [(args.output, "-o"), (args.latex, "--latex")])
    own = bool(args.files)
    errata = None if own else verification.run_errata()
    figs = [] if own else _figures(args)
    title = args.title or (derivations[0].title if own and len(derivations) == 1
                           else "Derivations, checked step by step" if own
                           else "The derivation of the VAE loss, checked step by step")  # fmt: skip
    # a handout of one's own files has no errata section: the errata are the notes'
    note = (None if own else
            "The errata module (elbo_derivation.explain.errata) is not available yet.")
    intro = ("Checked by elbo-derivation: each step symbolically with SymPy"
             + (" and numerically by quadrature and Monte Carlo sampling." if args.numeric
                else ".")) if own else None
    _write(args.output, render_html(derivations, errata=errata, figures=figs, errata_note=note,
                                    title=title, intro=intro))  # fmt: skip
    if args.latex:
        tex_figs = _latex_figures(figs, args.latex)
        _write(args.latex, render_tex(derivations, errata=errata, title=title,
                                      figures=tex_figs, fragment=args.fragment,
                                      intro="" if own else _INTRO))  # fmt: skip
    steps = sum(len(d.steps) for d in derivations)
    ok = sum(1 for d in derivations for s in d.steps if s.result and s.result.verdict.ok)
    written = [p for p in (args.output, args.latex) if p and p != "-"]
    if written:
        n = len(derivations)
        print(f"wrote {', '.join(written)}: {n} derivation{'s' if n != 1 else ''}, "
              f"{steps} step{'s' if steps != 1 else ''} "
              f"({ok} proved or numerically supported), {len(figs)} figures",
              file=sys.stderr)  # fmt: skip
    return 0
