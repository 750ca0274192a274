"""elbo-derivation: the VAE loss, derived step by step and checked three ways.

The lecture notes' derivation of the evidence lower bound (ELBO) loss is stored as data,
one step per line with its justification; every step is checked symbolically (SymPy),
by quadrature (SciPy) and by sampling (NumPy), and a small NumPy VAE shows the loss in use.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .derive.steps import (
    Counterexample,
    Derivation,
    NumericCheck,
    Relation,
    Step,
    SymbolicResult,
    Verdict,
)
from .errors import DerivationSyntaxError, InputError
from .numeric.kl import kl_diag_normal, kl_mvn, kl_normal, kl_standard_normal

__all__ = [
    "Counterexample",
    "Derivation",
    "DerivationSyntaxError",
    "InputError",
    "NumericCheck",
    "Relation",
    "Step",
    "SymbolicResult",
    "Verdict",
    "__version__",
    "kl_diag_normal",
    "kl_mvn",
    "kl_normal",
    "kl_standard_normal",
]
