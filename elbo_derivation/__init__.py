"""elbo-derivation: the VAE loss, derived step by step and checked three ways.

The lecture notes' derivation of the evidence lower bound (ELBO) loss is stored as data,
one step per line with its justification; every step is checked symbolically (SymPy),
by quadrature (SciPy) and by sampling (NumPy), and a small NumPy VAE shows the loss in use.

The names below are imported on first use, so that ``import elbo_derivation`` (and the
command line's ``--help``) stays fast.

Examples
--------
>>> import elbo_derivation as ed
>>> round(ed.kl_normal(0.0, 1.0, 1.0, 2.0), 6)
0.443147
>>> d = ed.check_steps(["log(sigma2/sigma1)", "log(sigma2) - log(sigma1)"],
...                    symbols="sigma1, sigma2",
...                    assumptions={"sigma1": "positive", "sigma2": "positive"})
>>> d.steps[0].verdict
<Verdict.PROVED: 'proved'>
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Public name -> module that defines it.
_EXPORTS: dict[str, str] = {
    # the derivation as data
    "Counterexample": "elbo_derivation.core.steps",
    "Derivation": "elbo_derivation.core.steps",
    "NumericCheck": "elbo_derivation.core.steps",
    "Relation": "elbo_derivation.core.steps",
    "Step": "elbo_derivation.core.steps",
    "SymbolicResult": "elbo_derivation.core.steps",
    "Verdict": "elbo_derivation.core.steps",
    "Expectation": "elbo_derivation.core.expectation",
    # reading and checking
    "parse_derivation": "elbo_derivation.read.deriv",
    "read_derivation": "elbo_derivation.read.deriv",
    "check_derivation": "elbo_derivation.pipeline",
    "check_step": "elbo_derivation.pipeline",
    "check_steps": "elbo_derivation.decide.engine",
    "load_derivation": "elbo_derivation.pipeline",
    "verify_bundled": "elbo_derivation.verification",
    "check_file": "elbo_derivation.verification",
    # errors
    "DerivationSyntaxError": "elbo_derivation.errors",
    "InputError": "elbo_derivation.errors",
    # KL divergences
    "kl_diag_normal": "elbo_derivation.numeric.kl",
    "kl_mvn": "elbo_derivation.numeric.kl",
    "kl_normal": "elbo_derivation.numeric.kl",
    "kl_standard_normal": "elbo_derivation.numeric.kl",
    # the VAE
    "VAE": "elbo_derivation.vae",
    "Adam": "elbo_derivation.vae",
}

__all__ = [
    "VAE",
    "Adam",
    "Counterexample",
    "Derivation",
    "DerivationSyntaxError",
    "Expectation",
    "InputError",
    "NumericCheck",
    "Relation",
    "Step",
    "SymbolicResult",
    "Verdict",
    "__version__",
    "check_derivation",
    "check_file",
    "check_step",
    "check_steps",
    "kl_diag_normal",
    "kl_mvn",
    "kl_normal",
    "kl_standard_normal",
    "load_derivation",
    "parse_derivation",
    "read_derivation",
    "verify_bundled",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'elbo_derivation' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    if module.startswith(("elbo_derivation.read", "elbo_derivation.decide",
                          "elbo_derivation.verification", "elbo_derivation.pipeline")):
        # derivations are made: print(d) shows them as the text report does
        importlib.import_module("elbo_derivation.report.text")
    return value


def __dir__() -> list[str]:
    # the public names (and the dunders), not the helpers this module itself imports
    public = {n for n in globals() if n.startswith("__") or n in __all__}
    return sorted(public | set(_EXPORTS) | {"load_ipython_extension"})


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from elbo_derivation.core.expectation import Expectation
    from elbo_derivation.core.steps import (
        Counterexample,
        Derivation,
        NumericCheck,
        Relation,
        Step,
        SymbolicResult,
        Verdict,
    )
    from elbo_derivation.decide.engine import check_steps
    from elbo_derivation.errors import DerivationSyntaxError, InputError
    from elbo_derivation.numeric.kl import kl_diag_normal, kl_mvn, kl_normal, kl_standard_normal
    from elbo_derivation.pipeline import check_derivation, check_step, load_derivation
    from elbo_derivation.read.deriv import parse_derivation, read_derivation
    from elbo_derivation.vae import VAE, Adam
    from elbo_derivation.verification import check_file, verify_bundled


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext elbo_derivation``: the ``%%derivation`` cell magic (see
    :mod:`elbo_derivation.notebook`)."""
    from elbo_derivation.notebook import load_ipython_extension as load

    load(ipython)


def _display_in_ipython() -> None:
    """Inside IPython or Jupyter, derivations, steps and check results display as
    mathematics with their verdicts (the renderers are imported on first display)."""
    import sys

    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    if shell is None:
        return

    def renderer(kind: str) -> Any:
        def render(obj: Any) -> str | None:
            from elbo_derivation.notebook import mimebundle

            return mimebundle(obj).get(kind)

        return render

    formatters = shell.display_formatter.formatters
    for name in ("Derivation", "Step", "SymbolicResult"):
        for kind in ("text/html", "text/latex"):
            formatters[kind].for_type_by_name("elbo_derivation.core.steps", name, renderer(kind))


_display_in_ipython()
