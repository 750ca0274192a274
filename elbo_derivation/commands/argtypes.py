"""Argument types shared by the subcommands: each checks one kind of value and says why not.

argparse turns an ``ArgumentTypeError`` into ``error: argument --seed: must not be negative,
got '-1'`` and exit code 2, so every message names the argument and what was expected.

Examples
--------
>>> seed("3"), positive_int("10"), positive_float("0.5"), positive_seconds("2")
(3, 10, 0.5, 2.0)
>>> positive_int("0")
Traceback (most recent call last):
...
argparse.ArgumentTypeError: expected a positive integer, got '0'
"""

from __future__ import annotations

import argparse
import math

__all__ = ["bounded_float", "bounded_int", "positive_float", "positive_int", "positive_seconds",
           "seed"]


def _number(text: str, kind: type, expected: str) -> float:
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None


def seed(text: str) -> int:
    """A non-negative integer seed."""
    value = int(_number(text, int, "a whole number"))
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {text!r}")
    return value


def positive_int(text: str) -> int:
    """A whole number ≥ 1 (epochs, sizes, dimensions)."""
    value = int(_number(text, int, "a positive integer"))
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def bounded_int(maximum: int):  # -> Callable[[str], int]
    """A whole number from 1 to ``maximum``: sizes whose huge values would only exhaust memory.

    Examples
    --------
    >>> bounded_int(100)("7")
    7
    >>> bounded_int(100)("101")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: expected a whole number from 1 to 100, got '101'
    """

    def parse(text: str) -> int:
        expected = f"a whole number from 1 to {maximum}"
        value = int(_number(text, int, expected))
        if not 1 <= value <= maximum:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value

    parse.__name__ = "bounded_int"
    return parse


def bounded_float(low: float, high: float):  # -> Callable[[str], float]
    """A finite number from ``low`` to ``high`` (a variance, whose tiny or huge values
    overflow the arithmetic that uses them).

    Examples
    --------
    >>> bounded_float(1e-100, 1e100)("0.5")
    0.5
    >>> bounded_float(1e-100, 1e100)("1e-320")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: expected a number from 1e-100 to 1e+100, got '1e-320'
    """

    def parse(text: str) -> float:
        expected = f"a number from {low:g} to {high:g}"
        value = _number(text, float, expected)
        if not (math.isfinite(value) and low <= value <= high):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value

    parse.__name__ = "bounded_float"
    return parse


def positive_float(text: str) -> float:
    """A positive, finite number (a learning rate, a variance)."""
    value = _number(text, float, "a positive number")
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


#: The longest time limit accepted: a day. Beyond about 3e8 s the clock's deadline no longer
#: fits the platform's time_t, and every tier failed with an OverflowError instead of running.
MAX_SECONDS = 86_400.0


def positive_seconds(text: str) -> float:
    """A positive, finite number of seconds (a time limit), at most :data:`MAX_SECONDS`.

    Examples
    --------
    >>> positive_seconds("1e12")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: must be at most 86400 seconds (a day), got '1e12'
    """
    value = _number(text, float, "a number of seconds")
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text!r}")
    if value > MAX_SECONDS:
        raise argparse.ArgumentTypeError(
            f"must be at most {MAX_SECONDS:.0f} seconds (a day), got {text!r}")
    return value
