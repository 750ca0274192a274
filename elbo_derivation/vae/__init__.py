"""The small NumPy VAE: model with hand-written gradients, Adam, training, data, pPCA.

See :mod:`elbo_derivation.vae.model` for the loss and its gradient, and
:mod:`elbo_derivation.vae.ppca` for the linear VAE's exact link to probabilistic PCA.
"""

from __future__ import annotations

from .data import (
    DATASETS,
    load_dataset,
    load_digits,
    make_gaussian_mixture,
    make_moons,
    make_pinwheel,
    sample_ppca,
    standardize,
)
from .gradcheck import gradcheck, gradcheck_function
from .model import LOG_C_BOUND, LOG_VAR_BOUND, VAE, Cache, ParamDict, load, save
from .optim import Adam
from .ppca import (
    PPCA,
    LinearVAEFit,
    fit_linear_vae,
    linear_vae_exact_elbo,
    linear_vae_exact_loss_and_grads,
    ppca_log_likelihood,
    ppca_ml,
)
from .train import History, train

__all__ = [
    "DATASETS",
    "LOG_C_BOUND",
    "LOG_VAR_BOUND",
    "PPCA",
    "VAE",
    "Adam",
    "Cache",
    "History",
    "LinearVAEFit",
    "ParamDict",
    "fit_linear_vae",
    "gradcheck",
    "gradcheck_function",
    "linear_vae_exact_elbo",
    "linear_vae_exact_loss_and_grads",
    "load",
    "load_dataset",
    "load_digits",
    "make_gaussian_mixture",
    "make_moons",
    "make_pinwheel",
    "ppca_log_likelihood",
    "ppca_ml",
    "sample_ppca",
    "save",
    "standardize",
    "train",
]
