"""The readers' LALR parsers, built once per grammar and kept in the user's cache directory.

Building the LALR tables of ``latex.lark`` takes lark about 0.1–0.2 s of CPU time, and the
``.deriv`` grammar a few hundredths more: for a one-file ``check``, whose median is well under
a second, that is a large share spent recomputing the same tables. :func:`lalr_parser` builds
a parser once, stores lark's own serialised form of it (the tables, terminals and rules: plain
lists, dictionaries, strings and numbers) as JSON in the user's cache directory, and loads it
from there afterwards (about 0.02 s).

The file's name carries a SHA-256 digest of everything the tables depend on: the grammar text,
the options, lark's version and Python's. An edited grammar or another lark therefore never
meets a stale file; it builds and stores its own. The cache is a convenience only: a file that
cannot be read, parsed or loaded, and a directory that cannot be created or written, leave the
parser built from the grammar, exactly as without a cache. The file is written to a temporary
name and renamed, so a concurrent reader sees either no file or a whole one; it is JSON, never
pickle, so no code runs when it is loaded.

The directory is ``$ELBO_DERIVATION_CACHE`` if set (an empty value turns the cache off), else
``$XDG_CACHE_HOME/elbo-derivation``, else ``~/.cache/elbo-derivation``.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import lark
from lark import Lark
from lark.grammar import Rule
from lark.lexer import TerminalDef

__all__ = ["cache_directory", "lalr_parser"]

#: Bumped when the layout of the cache file changes.
_FORMAT = 1


def cache_directory() -> Path | None:
    """Where the parsers are kept: ``$ELBO_DERIVATION_CACHE``, ``$XDG_CACHE_HOME`` or
    ``~/.cache`` (with ``elbo-derivation`` below the latter two); None when the variable is
    set to an empty value (no cache) or no home directory is known.

    >>> import os
    >>> old = os.environ.get("ELBO_DERIVATION_CACHE")
    >>> os.environ["ELBO_DERIVATION_CACHE"] = ""
    >>> cache_directory() is None
    True
    >>> os.environ["ELBO_DERIVATION_CACHE"] = "/some/where"
    >>> str(cache_directory())
    '/some/where'
    >>> _ = os.environ.pop("ELBO_DERIVATION_CACHE") if old is None else os.environ.update(
    ...     ELBO_DERIVATION_CACHE=old)
    """
    explicit = os.environ.get("ELBO_DERIVATION_CACHE")
    if explicit is not None:
        return Path(explicit) if explicit else None
    base = os.environ.get("XDG_CACHE_HOME")
    if base:
        return Path(base) / "elbo-derivation"
    try:
        return Path.home() / ".cache" / "elbo-derivation"
    except RuntimeError:  # no home directory
        return None


def lalr_parser(name: str, grammar: str, **options: Any) -> Lark:
    """``Lark(grammar, parser="lalr", **options)``, loaded from the cache when it holds
    these very tables, else built (and stored for the next process).

    Parameters
    ----------
    name : str
        a short name for the file (``"latex"``, ``"deriv"``); the digest keeps apart
        grammars of the same name.
    grammar : str
        the grammar text.
    **options
        lark options; values must print the same each time (booleans, strings, numbers).

    Returns
    -------
    lark.Lark
        the parser; a loaded one parses every text to the same tree as a freshly built one.

    Examples
    --------
    >>> p = lalr_parser("doctest", 'start: "a" NUM\\nNUM: /[0-9]+/\\n')
    >>> p.parse("a12").children
    [Token('NUM', '12')]
    """
    key = _digest(grammar, options)
    directory = cache_directory()
    path = None if directory is None else directory / f"{name}-{key}.json"
    if path is not None:
        loaded = _load(path, key)
        if loaded is not None:
            return loaded
    parser = Lark(grammar, parser="lalr", **options)
    if path is not None:
        _store(parser, path, key)
    return parser


def _digest(grammar: str, options: dict[str, Any]) -> str:
    python = "{}.{}".format(*sys.version_info[:2])
    text = "\0".join([str(_FORMAT), lark.__version__, python, grammar,
                      *(f"{k}={options[k]!r}" for k in sorted(options))])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _load(path: Path, key: str) -> Lark | None:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"), object_hook=_decode_object)
        if not isinstance(doc, dict) or doc.get("key") != key:
            return None
        return Lark.load(doc["parser"])
    except Exception:
        return None


def _store(parser: Lark, path: Path, key: str) -> None:
    try:
        data, memo = parser.memo_serialize([TerminalDef, Rule])
        text = json.dumps({"key": key, "parser": _encode({"data": data, "memo": memo})},
                          separators=(",", ":"))
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except Exception:
        pass


# lark's serialised form has dictionaries keyed by numbers and tuples; JSON has neither, so
# each is written as a tagged list and read back as what it was.
_DICT, _TUPLE = "\x00dict", "\x00tuple"


def _encode(obj: Any) -> Any:
    """lark's serialised parser as JSON-ready data (numeric keys and tuples tagged).

    >>> _encode({1: (2, "a")})
    {'\\x00dict': [[1, {'\\x00tuple': [2, 'a']}]]}
    """
    if isinstance(obj, dict):
        if all(isinstance(k, str) for k in obj):
            return {k: _encode(v) for k, v in obj.items()}
        return {_DICT: [[_encode(k), _encode(v)] for k, v in obj.items()]}
    if isinstance(obj, tuple):
        return {_TUPLE: [_encode(v) for v in obj]}
    if isinstance(obj, list):
        return [_encode(v) for v in obj]
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    raise TypeError(f"cannot store a {type(obj).__name__} of a serialised parser")


def _decode_object(obj: dict[str, Any]) -> Any:
    """The inverse of :func:`_encode` for one JSON object, whose members are already decoded
    (``json.loads``'s ``object_hook``, called innermost first).

    >>> text = json.dumps(_encode({1: (2, "a"), "b": [None, (3,)]}))
    >>> json.loads(text, object_hook=_decode_object)
    {1: (2, 'a'), 'b': [None, (3,)]}
    """
    if len(obj) == 1:
        if _DICT in obj:
            return {k: v for k, v in obj[_DICT]}
        if _TUPLE in obj:
            return tuple(obj[_TUPLE])
    return obj

