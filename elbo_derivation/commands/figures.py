"""``elbo-derivation figures``: regenerate the figures (PNG) from code, with fixed seeds."""

from __future__ import annotations

import argparse

from elbo_derivation.commands.argtypes import seed
from elbo_derivation.errors import InputError

HELP = "regenerate the figures (KL surface, ELBO gap, VAE latent space, ...) as PNG files"
DESCRIPTION = """\
Draw every figure of the package from code, with fixed seeds, and write each as a PNG file
named after it: the KL surface and its asymmetry (§3), the Monte Carlo 1/√n convergence,
log p(x), the ELBO and their gap on the linear-Gaussian model (§2), and, from small VAEs trained
briefly on the spot, the latent space of the two moons, the loss split into reconstruction and
KL (§4), the sweep of the balancing term C (rate, distortion, posterior collapse) and a linear
VAE against probabilistic PCA. The files are byte-identical from run to run on one machine, so
the committed figures/ can be checked against the code. All figures take well under a minute.

examples:
  elbo-derivation figures                      # all of them, into ./figures
  elbo-derivation figures --out /tmp/figs --only elbo_gap kl_surface
  elbo-derivation figures --list               # the names, each with what it shows
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``--out DIR``, ``--only NAME ...``, ``--list``, ``--seed S``, ``--quiet``."""
    parser.add_argument(
        "--out", metavar="DIR", default="figures",
        help="folder to write the PNG files into, created if missing (default: ./figures)",
    )  # fmt: skip
    parser.add_argument(
        "--only", metavar="NAME", nargs="+",
        help="draw only these figures (see --list for the names)",
    )  # fmt: skip
    parser.add_argument(
        "--list", action="store_true", help="list the figures, each with what it shows, and exit"
    )
    parser.add_argument(
        "--seed", type=seed, default=0, metavar="S",
        help="seed of the random draws and of the VAE training (default: 0, as committed)",
    )  # fmt: skip
    parser.add_argument("--quiet", action="store_true", help="no progress bar and no file list")



def run(args: argparse.Namespace) -> int:
    """List the figures, or draw them into ``args.out``; returns 0."""
    from elbo_derivation import figures

    if args.list:
        width = max(len(name) for name in figures.FIGURES)
        for name, spec in figures.FIGURES.items():
            print(f"{name:<{width}}  {spec.caption}")
        return 0
    if args.only:
        unknown = [name for name in args.only if name not in figures.FIGURES]
        if unknown:
            raise InputError(
                f"--only: unknown figure {', '.join(repr(n) for n in unknown)}; "
                f"known: {', '.join(figures.FIGURES)}"
            )
    from elbo_derivation.output import output_folder

    output_folder(args.out, "--out")  # a file in the way or a read-only folder: fail at once
    written = figures.generate_all(args.out, progress=not args.quiet, only=args.only,
                                   seed=args.seed)  # fmt: skip
    if not args.quiet:
        for path in written:
            print(path)
    return 0
