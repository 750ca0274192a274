"""The small NumPy VAE: model with hand-written gradients, Adam, training, data, pPCA.

See :mod:`elbo_derivation.vae.model` for the loss and its gradient, and
:mod:`elbo_derivation.vae.ppca` for the linear VAE's exact link to probabilistic PCA.
"""

from __future__ import annotations

from elbo_derivation.vae.data import (
    DATASETS,
    load_dataset,
    load_digits,
    make_gaussian_mixture,
    make_moons,
    make_pinwheel,
    sample_ppca,
    standardize,
)
from elbo_derivation.vae.gradcheck import gradcheck, gradcheck_function
from elbo_derivation.vae.model import LOG_C_BOUND, LOG_VAR_BOUND, VAE, Cache, ParamDict, load, save
from elbo_derivation.vae.optim import Adam
from elbo_derivation.vae.ppca import (
    PPCA,
    LinearVAEFit,
    fit_linear_vae,
    linear_vae_exact_elbo,
    linear_vae_exact_loss_and_grads,
    ppca_log_likelihood,
    ppca_ml,
)
from elbo_derivation.vae.train import History, train

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
