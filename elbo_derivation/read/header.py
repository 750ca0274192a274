"""The header lines both file formats share: ``title:``, ``source:``, ``symbols:``, ``let:``,
``densities:``, ``functions:``, ``part:`` and ``goal:``.

A ``.deriv`` file writes them as lines of their own, a ``.tex`` file as ``%`` comments; both
readers find them with :func:`header_line` and hand the declarations to :func:`apply_header`,
so that a header line means the same in either format. ``part:`` and ``goal:`` belong to
where they are written (a part of the file), which each reader places itself.

Examples
--------
>>> h = header_line("  Symbols: mu, sigma : real")
>>> h.key, h.value, h.column
('symbols', ' mu, sigma : real', 11)
>>> header_line("expect: correct") is None
True
>>> misspelt_header("density: q(z) = N(m, s^2)")
('density', 'densities', 1)
>>> misspelt_header("expect: correct") is None
True
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Protocol

__all__ = ["HEADER_KEYS", "HeaderLine", "HeaderReader", "apply_header", "header_line",
           "misspelt_header", "misspelt_header_message"]

#: the keys of a header line, in the order the formats document them
HEADER_KEYS = ("title", "source", "symbols", "let", "densities", "functions", "part", "goal")

_HEADER = re.compile(r"\s*(" + "|".join(HEADER_KEYS) + r")\s*:", re.IGNORECASE)


@dataclass(frozen=True)
class HeaderLine:
    """One header line: its key (lower case), the text after the colon (as written, spaces
    kept) and the 1-based column where that text starts."""

    key: str
    value: str
    column: int


def header_line(text: str) -> HeaderLine | None:
    """The header line ``text`` is (``symbols: a : real``), or None when it is none."""
    m = _HEADER.match(text)
    if m is None:
        return None
    return HeaderLine(m.group(1).lower(), text[m.end():], m.end() + 1)


_WORD_COLON = re.compile(r"\s*([A-Za-z]+)\s*:")


def misspelt_header(text: str) -> tuple[str, str, int] | None:
    """(written, meant, column) when ``text`` starts as a header line whose key is a near miss
    of one (``density:`` for ``densities:``, ``symbol:``, ``fucntions:``), so that a reader
    can say so instead of ignoring the declaration or failing on the expression after it;
    None for a header line and for any other text (``expect: correct``, ``Jensen: ...``)."""
    m = _WORD_COLON.match(text)
    if m is None or m.group(1).lower() in HEADER_KEYS:
        return None
    meant = difflib.get_close_matches(m.group(1).lower(), HEADER_KEYS, n=1, cutoff=0.75)
    return (m.group(1), meant[0], m.start(1) + 1) if meant else None


def misspelt_header_message(written: str, meant: str) -> str:
    """The error for a near-miss header key."""
    return (f"'{written}:' is not a header; did you mean '{meant}:'? (the headers are "
            + ", ".join(f"'{k}:'" for k in HEADER_KEYS) + ")")


class HeaderReader(Protocol):
    """What a reader offers :func:`apply_header`: the title and source it records and its
    four ways to declare (each given the text, its line and column)."""

    title: str
    source: str

    def declare_symbols(self, text: str, line: int, column: int) -> None: ...
    def define(self, text: str, line: int, column: int) -> None: ...
    def declare_densities(self, text: str, line: int, column: int) -> None: ...
    def declare_functions(self, text: str, line: int, column: int) -> None: ...


def apply_header(reader: HeaderReader, key: str, value: str, line: int, column: int) -> bool:
    """Record a ``title``/``source`` or make a declaration on ``reader``; False for ``part``
    and ``goal``, which the reader places in its own structure."""
    if key in ("title", "source"):
        setattr(reader, key, value.strip())
    elif key == "symbols":
        reader.declare_symbols(value, line, column)
    elif key == "let":
        reader.define(value, line, column)
    elif key == "densities":
        reader.declare_densities(value, line, column)
    elif key == "functions":
        reader.declare_functions(value, line, column)
    else:
        return False
    return True
