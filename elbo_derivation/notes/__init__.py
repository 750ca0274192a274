"""The lecture notes' derivations, one ``.deriv`` file per section, shipped with the package."""

from __future__ import annotations

from pathlib import Path

__all__ = ["bundled_paths"]

_HERE = Path(__file__).resolve().parent

#: The order in which ``verify`` reports the bundled derivations: the notes' order first.
ORDER = (
    "elbo",  # §2
    "evidence",
    "elbo_gaussian_likelihood",
    "kl_gaussians",  # §3
    "kl_nonnegative",
    "kl_standard_normal",  # §4
    "loss_log_variance",
    "kl_multivariate_quadratic_form",  # beyond the notes: the multivariate KL
    "kl_multivariate_chain_rule",
    "kl_multivariate",
    "kl_multivariate_diagonal",
    "kl_multivariate_k1",
)


def bundled_paths() -> list[Path]:
    """Paths of the bundled ``.deriv`` files: the notes' sections in order, then the rest.

    >>> all(p.suffix == ".deriv" for p in bundled_paths())
    True
    """
    paths = sorted(_HERE.glob("*.deriv"))
    rank = {name: i for i, name in enumerate(ORDER)}
    return sorted(paths, key=lambda p: (rank.get(p.stem, len(ORDER)), p.stem))
