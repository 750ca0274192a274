"""The lecture notes' derivations, one ``.deriv`` file per section, shipped with the package."""

from __future__ import annotations

from pathlib import Path

__all__ = ["bundled_paths"]

_HERE = Path(__file__).resolve().parent

#: The order in which ``verify`` reports the bundled derivations: the notes' order first.
ORDER = ("elbo", "kl_gaussians", "kl_standard_normal")


def bundled_paths() -> list[Path]:
    """Paths of the bundled ``.deriv`` files: the notes' sections in order, then the rest.

    >>> all(p.suffix == ".deriv" for p in bundled_paths())
    True
    """
    paths = sorted(_HERE.glob("*.deriv"))
    rank = {name: i for i, name in enumerate(ORDER)}
    return sorted(paths, key=lambda p: (rank.get(p.stem, len(ORDER)), p.stem))
