"""``elbo-derivation ppca``: a linear VAE against the exact probabilistic-PCA optimum."""

from __future__ import annotations

import argparse

from elbo_derivation.commands.argtypes import positive_int, seed
from elbo_derivation.errors import InputError

HELP = "train a linear VAE on an (N, D) .npy array; compare its ELBO with pPCA"
DESCRIPTION = """\
Train a linear VAE (linear encoder and decoder, learned observation variance c) on the rows
of an (N, D) float array saved with numpy.save, by maximising its exact ELBO (closed-form
expectation, no sampling), and compare with the closed-form maximum log-likelihood of
probabilistic PCA with the same K (Tipping & Bishop 1999). The ELBO is a lower bound on that
log-likelihood, and for a linear VAE the bound is attained (Lucas et al. 2019): the gap
should be about 0 and never negative (beyond float rounding, ~1e-13). Training is exact
coordinate ascent on the ELBO from a random start (closed-form encoder, decoder and c
updates, and a latent rotation; see elbo_derivation.vae.ppca.fit_linear_vae).

Prints n, d, k, elbo_per_sample, ppca_loglik_per_sample and gap (all per sample, in nats).

example:
  elbo-derivation ppca --data x.npy --latent 2 --json
"""



def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, metavar="FILE.npy", help="(N, D) float array")
    parser.add_argument("--latent", type=positive_int, required=True, metavar="K",
                        help="latent dimension, 1 <= K < D")  # fmt: skip
    parser.add_argument("--seed", type=seed, default=0, help="initialisation seed (default 0)")
    parser.add_argument("--json", action="store_true", help="print JSON")


def read_matrix(path: str):  # -> np.ndarray
    """The (N, D) finite float array in ``path`` (.npy, no pickle), or an InputError."""
    import numpy as np

    with open(path, "rb") as f:  # a missing file: OSError, reported by the CLI
        magic = f.read(6)
    if magic != b"\x93NUMPY":
        raise InputError(f"--data {path}: not a .npy file (expected an array saved by numpy.save)")
    try:
        arr = np.load(path, allow_pickle=False)
    except (ValueError, EOFError) as err:
        raise InputError(f"--data {path}: not a readable .npy array ({err})") from None
    if not isinstance(arr, np.ndarray):
        raise InputError(f"--data {path}: expected one .npy array, got an .npz archive")
    if arr.dtype.kind not in "iuf":
        raise InputError(
            f"--data {path}: expected a real numeric array (float or int), got dtype {arr.dtype}"
        )
    if arr.ndim != 2:
        raise InputError(f"--data {path}: expected a 2-d array (N, D), got shape {arr.shape}")
    if arr.shape[0] < 2 or arr.shape[1] < 2:
        raise InputError(f"--data {path}: expected N >= 2 rows and D >= 2 columns, got {arr.shape}")
    arr = arr.astype(np.float64)
    bad = ~np.isfinite(arr)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise InputError(f"--data {path}: entry [{i}, {j}] is {arr[i, j]}; expected finite values")
    return arr


def run(args: argparse.Namespace) -> int:
    import json

    import numpy as np

    from elbo_derivation.vae.ppca import fit_linear_vae

    x = read_matrix(args.data)
    if not args.latent < x.shape[1]:
        raise InputError(f"--latent must be smaller than D = {x.shape[1]}, got {args.latent}")
    try:
        fit = fit_linear_vae(x, args.latent, rng=np.random.default_rng(args.seed))
    except ValueError as err:
        raise InputError(f"--data {args.data}: {err}") from None
    result = fit.to_dict()
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        print(f"n = {fit.n}, d = {fit.d}, k = {fit.k}")
        print(f"ELBO of the trained linear VAE  {fit.elbo_per_sample:.10f} nats/sample")
        print(f"pPCA maximum log-likelihood     {fit.ppca_loglik_per_sample:.10f} nats/sample")
        print(f"gap (pPCA - ELBO)               {fit.gap:.3e}")
        print(f"({fit.iterations} rounds, {fit.seconds:.2f} s, largest gradient entry "
              f"{fit.grad_norm:.1e})")  # fmt: skip
    return 0
