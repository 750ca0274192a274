"""Errors that speak to the user.

Everything the user can get wrong (a malformed file, an argument out of range) raises an
:class:`InputError` subclass whose message names the argument, or the file, line and column,
and says what was expected. The command line prints that message and exits with code 2,
without a traceback.
"""

from __future__ import annotations

__all__ = ["DerivationSyntaxError", "InputError"]


class InputError(ValueError):
    """Bad input from the user: the message says what was wrong and what was expected."""


class DerivationSyntaxError(InputError):
    """A derivation that cannot be read, located as ``FILE:LINE:COLUMN: message``.

    Examples
    --------
    >>> err = DerivationSyntaxError("expected an expression", file="a.deriv", line=3, column=5)
    >>> str(err)
    'a.deriv:3:5: expected an expression'
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        super().__init__(self._format())

    def _format(self) -> str:
        where = [str(p) for p in (self.file or "<input>", self.line, self.column) if p is not None]
        return f"{':'.join(where)}: {self.message}"

    def with_file(self, file: str) -> DerivationSyntaxError:
        """The same error, located in ``file``."""
        return DerivationSyntaxError(self.message, file=file, line=self.line, column=self.column)
