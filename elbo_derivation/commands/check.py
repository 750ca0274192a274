"""``elbo-derivation check``: under construction (replaced by the issue that builds it)."""

from __future__ import annotations

import argparse

from ..errors import InputError

HELP = "(under construction)"
DESCRIPTION = HELP


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """No arguments yet."""


def run(args: argparse.Namespace) -> int:
    raise InputError("the check command is not built yet")
