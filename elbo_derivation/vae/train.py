"""The training loop: minibatches, fresh ε per step, Adam, and a history per epoch.

Each step draws ε ~ N(0, I) from the given ``rng`` (randomness explicit), computes the
single-sample negative ELBO of the batch and its gradient, and takes one Adam step. The
history records, per epoch, the sample-weighted means of the loss and of its two parts,

    loss = reconstruction + KL,  reconstruction = C‖x − x̂‖² + (D/2) log 2πc  (the expected
    negative log-likelihood −log p(x|z) at the sampled z), KL = KL(q(z|x) ‖ N(0, I)),

as measured during the epoch (before each step's update).
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from os import PathLike
from typing import Any

import numpy as np

from elbo_derivation.vae.model import positive_int
from elbo_derivation.vae.optim import Adam

__all__ = ["History", "train"]


@dataclass
class History:
    """Per-epoch means of the loss and its parts, in nats per sample."""

    loss: list[float] = field(default_factory=list)
    reconstruction: list[float] = field(default_factory=list)
    kl: list[float] = field(default_factory=list)

    def to_dict(self) -> dict[str, list[float]]:
        return asdict(self)

    def save(self, path: str | PathLike[str]) -> None:
        """Write the history as JSON: {"epoch": [...], "loss": [...], ...}."""
        data = {"epoch": list(range(1, len(self.loss) + 1)), **self.to_dict()}
        with open(path, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1)
            f.write("\n")


def train(
    model: Any,
    data: Any,
    *,
    epochs: int,
    batch_size: int,
    rng: np.random.Generator,
    progress: bool = True,
    lr: float = 1e-3,
    optimizer: Adam | None = None,
) -> History:
    """Train ``model`` on ``data`` with Adam; returns the :class:`History`.

    Parameters
    ----------
    model : VAE
        updated in place.
    data : array_like, shape (n, n_input)
    epochs, batch_size : int
        passes over the data, and rows per step (the last batch of an epoch may be smaller).
    rng : numpy.random.Generator
        shuffles the rows and draws ε.
    progress : bool
        show a tqdm progress bar with the running loss.
    lr : float
        Adam's step size (ignored when ``optimizer`` is given).
    optimizer : Adam, optional
        continue with an existing optimiser (its moment estimates are kept).

    Raises
    ------
    ValueError
        for bad data (shape, NaN/inf) or arguments.
    FloatingPointError
        if the loss or a gradient stops being finite; the message names the epoch and step.

    Examples
    --------
    >>> from elbo_derivation.vae import VAE, make_moons, standardize
    >>> rng = np.random.default_rng(0)
    >>> x = standardize(make_moons(256, rng=rng))[0]
    >>> model = VAE(2, 16, 2, rng=rng)
    >>> hist = train(model, x, epochs=20, batch_size=64, rng=rng, progress=False, lr=1e-2)
    >>> len(hist.loss), hist.loss[-1] < hist.loss[0]
    (20, True)
    """
    epochs = positive_int(epochs, "epochs")
    batch_size = positive_int(batch_size, "batch_size")
    data = model.check_input(data, "data", model.n_input)
    n = data.shape[0]
    opt = optimizer if optimizer is not None else Adam(model.params, lr=lr)
    history = History()
    if progress:  # tqdm.auto picks a notebook widget or a terminal bar, as available
        from tqdm.auto import tqdm

        bar: Any = tqdm(range(1, epochs + 1), desc="training", unit="epoch")
    else:
        bar = range(1, epochs + 1)
    for epoch in bar:
        order = rng.permutation(n)
        total = rec = kl = 0.0
        for step, start in enumerate(range(0, n, batch_size), start=1):
            x = data[order[start : start + batch_size]]
            eps = rng.standard_normal((x.shape[0], model.n_latent))
            cache = model.forward(x, eps)
            if not math.isfinite(cache.loss):
                raise FloatingPointError(
                    f"training stopped at epoch {epoch}, step {step}: the loss is {cache.loss} "
                    "(not finite); standardise the data or lower the learning rate"
                )
            grads = model.backward(cache)
            try:
                opt.step(grads)
            except FloatingPointError as err:
                raise FloatingPointError(
                    f"training stopped at epoch {epoch}, step {step}: {err}"
                ) from None
            m = x.shape[0]
            total += cache.loss * m
            rec += float(cache.reconstruction.sum())
            kl += float(cache.kl.sum())
        history.loss.append(total / n)
        history.reconstruction.append(rec / n)
        history.kl.append(kl / n)
        if progress:
            bar.set_postfix(loss=f"{history.loss[-1]:.4g}")
    if not np.isfinite(model.params.flat).all():  # pragma: no cover - Adam refuses first
        raise FloatingPointError("training produced a non-finite parameter")
    return history
