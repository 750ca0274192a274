"""Figures of a trained VAE: loss curves, the latent space, data against samples.

Drawn on :class:`matplotlib.figure.Figure` objects rendered by the Agg backend (no display
needed, and pyplot's global state untouched). Colours are the Okabe–Ito palette and the
cividis colour map, both readable with the common colour-vision deficiencies.

References
----------
.. [1] M. Okabe and K. Ito, "Color Universal Design (CUD): how to make figures and
   presentations that are friendly to colorblind people", 2008.
"""

from __future__ import annotations

from os import PathLike
from typing import Any

import numpy as np

__all__ = ["OKABE_ITO", "plot_history", "plot_latent", "plot_samples"]

#: Okabe–Ito colours: orange, sky blue, bluish green, vermillion, blue, reddish purple.
OKABE_ITO = ("#E69F00", "#56B4E9", "#009E73", "#D55E00", "#0072B2", "#CC79A7")


def _figure(width: float, height: float) -> Any:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _save(fig: Any, path: str | PathLike[str]) -> None:
    """Write ``fig`` atomically (all or nothing); the temporary file keeps the suffix of
    ``path``, from which ``savefig`` picks the format."""
    from elbo_derivation.output import atomic_path

    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=120)


def plot_history(history: Any, path: str | PathLike[str]) -> None:
    """Loss per epoch (left) and its two parts, reconstruction and KL (right)."""
    fig = _figure(9, 3.5)
    ax1, ax2 = fig.subplots(1, 2)
    epochs = np.arange(1, len(history.loss) + 1)
    ax1.plot(epochs, history.loss, color=OKABE_ITO[4], label="negative ELBO")
    ax1.set(xlabel="epoch", ylabel="nats per sample", title="loss")
    ax1.legend()
    ax2.plot(epochs, history.reconstruction, color=OKABE_ITO[0],
             label="reconstruction  C‖x − x̂‖² + (D/2) log 2πc")  # fmt: skip
    ax2.plot(epochs, history.kl, color=OKABE_ITO[2], linestyle="--",
             label="KL(q(z|x) ‖ N(0, I))")  # fmt: skip
    ax2.set(xlabel="epoch", ylabel="nats per sample", title="the loss's two parts")
    ax2.legend()
    _save(fig, path)


def plot_latent(model: Any, x: np.ndarray, path: str | PathLike[str]) -> None:
    """Posterior means g(x) of the data (first two latent coordinates), coloured by x₁."""
    g, _ = model.encode(x)
    fig = _figure(5, 4.5)
    ax = fig.subplots()
    z2 = g[:, 1] if g.shape[1] > 1 else np.zeros(len(g))
    sc = ax.scatter(g[:, 0], z2, c=x[:, 0], cmap="cividis", s=8)
    fig.colorbar(sc, ax=ax, label="x₁ (first input coordinate)")
    ax.set(xlabel="z₁ (posterior mean)", ylabel="z₂ (posterior mean)",
           title="latent space: g(x) for each data point")  # fmt: skip
    ax.set_aspect("equal", adjustable="datalim")
    _save(fig, path)


def plot_samples(
    model: Any, x: np.ndarray, path: str | PathLike[str], *, rng: np.random.Generator
) -> None:
    """Data against reconstructions f(g(x)) and prior samples f(z), z ~ N(0, I).

    8×8 images (D = 64) are shown as image grids; otherwise the first two coordinates.
    """
    x_hat = model.reconstruct(x)
    samples = model.sample(len(x), rng=rng)
    if x.shape[1] == 64:
        fig = _figure(8, 3.2)
        axes = fig.subplots(3, 10)
        rows = [("data", x), ("reconstruction", x_hat), ("sample", samples)]
        for r, (name, arr) in enumerate(rows):
            for j in range(10):
                ax = axes[r, j]
                ax.imshow(arr[j].reshape(8, 8), cmap="gray_r")
                ax.set_xticks([])
                ax.set_yticks([])
            axes[r, 0].set_ylabel(name, fontsize=8)
        _save(fig, path)
        return
    fig = _figure(9, 4)
    ax1, ax2 = fig.subplots(1, 2, sharex=True, sharey=True)
    y = (lambda a: a[:, 1]) if x.shape[1] > 1 else (lambda a: np.zeros(len(a)))
    ax1.scatter(x[:, 0], y(x), s=6, color=OKABE_ITO[1], label="data")
    ax1.scatter(x_hat[:, 0], y(x_hat), s=6, color=OKABE_ITO[3], marker="x",
                label="reconstruction f(g(x))")  # fmt: skip
    ax1.set(xlabel="x₁", ylabel="x₂", title="data and reconstructions")
    ax1.legend(fontsize=8)
    ax2.scatter(x[:, 0], y(x), s=6, color=OKABE_ITO[1], label="data")
    ax2.scatter(samples[:, 0], y(samples), s=6, color=OKABE_ITO[0], marker="^",
                label="decoder mean f(z), z ~ N(0, I)")  # fmt: skip
    ax2.set(xlabel="x₁", ylabel="x₂", title="data and samples")
    ax2.legend(fontsize=8)
    _save(fig, path)
