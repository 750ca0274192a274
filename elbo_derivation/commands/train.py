"""``elbo-derivation train``: train the NumPy VAE on a toy data set and save what it learned."""

from __future__ import annotations

import argparse
import sys

from elbo_derivation.commands.argtypes import (
    bounded_float,
    bounded_int,
    positive_float,
    positive_int,
    seed,
)
from elbo_derivation.errors import InputError

HELP = "train the NumPy VAE on a toy data set; save model, history and figures"
DESCRIPTION = """\
Train the small NumPy VAE (hand-written, gradient-checked backward pass; Adam) on a toy data
set generated on the spot (nothing is downloaded), then write to --out:

  model.npz        architecture and parameters (elbo_derivation.vae.load reads it)
  history.json     per epoch: loss, reconstruction and KL, in nats per sample
  loss.png         the loss curve and its two parts
  latent.png       the posterior means g(x) of the data
  samples.png      data against reconstructions and prior samples
  summary.json     the data set, its size, the epochs, the final loss, reconstruction and
                   KL (nats per sample), the observation variance c and the files written

A progress bar is shown only when standard error is a terminal (or with --no-progress,
never), so a log file or a pipe gets the one summary line, not a line per update.

Data sets: moons, pinwheel, mixture, ppca, digits (scikit-learn's 8x8 digits). They are
standardised (each column to mean 0, standard deviation 1) unless --raw is given.

example:
  elbo-derivation train --dataset moons --latent 2 --epochs 100 --seed 0 --out runs/moons
"""

DATASETS = ("moons", "pinwheel", "mixture", "ppca", "digits")

#: Upper bounds of the sizes: beyond them the arrays alone would not fit in memory, or a run
#: would take days; the message names the argument and the range.
MAX_LATENT, MAX_HIDDEN, MAX_N, MAX_EPOCHS = 1_000, 10_000, 1_000_000, 1_000_000

#: The observation variance's range: outside it log c and 1/c overflow or lose all digits.
OBS_VAR_RANGE = (1e-100, 1e100)


def _obs_var(text: str) -> float | str:
    return "learned" if text == "learned" else bounded_float(*OBS_VAR_RANGE)(text)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--dataset", choices=DATASETS, default="moons", help="default: moons")
    parser.add_argument("--latent", type=bounded_int(MAX_LATENT), default=2,
                        help="K (default 2)")  # fmt: skip
    parser.add_argument("--hidden", type=bounded_int(MAX_HIDDEN), default=32,
                        help="hidden width (default 32)")  # fmt: skip
    parser.add_argument("--linear", action="store_true", help="no hidden layers (linear VAE)")
    parser.add_argument("--epochs", type=bounded_int(MAX_EPOCHS), default=100,
                        help="default 100")  # fmt: skip
    parser.add_argument("--batch-size", type=positive_int, default=64, help="default 64")
    parser.add_argument("--lr", type=positive_float, default=3e-3,
                        help="Adam step size (default 0.003)")  # fmt: skip
    parser.add_argument("--n", type=bounded_int(MAX_N), default=1000,
                        help="samples to generate (default 1000; digits: all 1797)")  # fmt: skip
    parser.add_argument("--obs-var", type=_obs_var, default="learned", metavar="C",
                        help='observation variance c, or "learned" (default)')  # fmt: skip
    parser.add_argument("--raw", action="store_true", help="do not standardise the data")
    parser.add_argument("--seed", type=seed, default=0, help="random seed (default 0)")
    parser.add_argument("--out", required=True, metavar="DIR", help="output directory")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    import json

    import numpy as np

    from elbo_derivation.output import atomic_path, output_folder, write_atomic
    from elbo_derivation.vae import VAE, load_dataset, save, train
    from elbo_derivation.vae.plots import plot_history, plot_latent, plot_samples

    out = output_folder(args.out, "--out")  # before training: a bad --out fails at once
    rng = np.random.default_rng(args.seed)
    try:
        x = load_dataset(args.dataset, args.n, rng=rng, standardized=not args.raw)
    except ImportError as err:
        raise InputError(str(err)) from None
    model = VAE(
        x.shape[1],
        None if args.linear else args.hidden,
        args.latent,
        rng=rng,
        obs_var=args.obs_var,
    )
    try:
        history = train(
            model, x, epochs=args.epochs, batch_size=args.batch_size, rng=rng,
            progress=not args.no_progress and sys.stderr.isatty(), lr=args.lr,
        )  # fmt: skip
    except FloatingPointError as err:
        raise InputError(str(err)) from None
    # each file is replaced atomically: Ctrl-C or an error leaves the previous run's files
    with atomic_path(out / "model.npz") as tmp:
        save(model, tmp)
    history.save(out / "history.json")
    plot_history(history, out / "loss.png")
    plot_latent(model, x, out / "latent.png")
    plot_samples(model, x, out / "samples.png", rng=rng)
    summary = {
        "dataset": args.dataset,
        "n": int(x.shape[0]),
        "d": int(x.shape[1]),
        "epochs": args.epochs,
        "final_loss": history.loss[-1],
        "final_reconstruction": history.reconstruction[-1],
        "final_kl": history.kl[-1],
        "obs_var": model.obs_var,
        "files": ["model.npz", "history.json", "loss.png", "latent.png", "samples.png",
                  "summary.json"],
    }
    write_atomic(out / "summary.json", json.dumps(summary, indent=1) + "\n")
    print(
        f"{args.dataset}: loss {history.loss[0]:.4f} -> {history.loss[-1]:.4f} nats/sample "
        f"(reconstruction {history.reconstruction[-1]:.4f}, KL {history.kl[-1]:.4f}); "
        f"wrote {out}/"
    )
    return 0
