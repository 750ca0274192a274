"""Named mistakes: recognising why a refuted step is wrong (built by the check-anyone issue)."""

from __future__ import annotations

from typing import Any

__all__ = ["diagnose"]


def diagnose(lhs: Any, rhs: Any, derivation: Any, step: Any) -> None:
    """Placeholder until the catalogue lands: recognises nothing."""
    return None
