"""``python -m elbo_derivation`` runs the command line."""

from elbo_derivation.cli import entry

entry()
