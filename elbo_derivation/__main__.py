"""``python -m elbo_derivation`` runs the command line."""

from .cli import entry

entry()
