"""One module per ``elbo-derivation`` subcommand (see :mod:`elbo_derivation.cli`)."""
