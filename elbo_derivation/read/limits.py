"""The limits every reader enforces, and reading a text file safely.

Hostile files are bounded the same way whichever front end reads them: at most
:data:`MAX_BYTES` bytes, :data:`MAX_STEPS` steps in a part, nesting :data:`MAX_DEPTH` deep,
numbers of :data:`MAX_NUMBER_DIGITS` digits, lines of :data:`MAX_LINE` characters.

Examples
--------
>>> MAX_STEPS
1000
"""

from __future__ import annotations

from pathlib import Path

from elbo_derivation.errors import DerivationSyntaxError, InputError

__all__ = ["MAX_BYTES", "MAX_DEPTH", "MAX_LINE", "MAX_NUMBER_DIGITS", "MAX_STEPS", "read_text"]

#: Largest file accepted, in bytes.
MAX_BYTES = 1_000_000
#: Most steps accepted in one derivation.
MAX_STEPS = 1000
#: Deepest nesting of brackets and operators accepted in one expression.
MAX_DEPTH = 100
#: Most digits in a number, written or computed from numbers (``9^9^9`` is refused).
MAX_NUMBER_DIGITS = 1000
#: Longest line accepted, in characters.
MAX_LINE = 20_000


def read_text(path: str | Path) -> str:
    """Read a UTF-8 text file, refusing what is too large, binary or not UTF-8.

    Raises
    ------
    InputError
        for a file larger than :data:`MAX_BYTES`, or a directory.
    DerivationSyntaxError
        located at the first byte that is not valid UTF-8, or a NUL byte.
    """
    p = Path(path)
    if p.is_dir():
        raise InputError(f"{p}: is a folder, expected a file")
    size = p.stat().st_size
    if size > MAX_BYTES:
        raise InputError(f"{p}: {size} bytes; files larger than {MAX_BYTES} bytes are refused")
    data = p.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        before = data[: err.start]
        line = before.count(b"\n") + 1
        column = len(before) - (before.rfind(b"\n") + 1) + 1
        raise DerivationSyntaxError(
            f"byte 0x{data[err.start]:02x} is not valid UTF-8; expected UTF-8 text",
            file=str(p),
            line=line,
            column=column,
        ) from None
    return text
