"""The readers' parsers loaded from the cache are the parsers built from the grammars.

``read/parsers.py`` keeps lark's serialised LALR tables in the user's cache directory so that a
one-file ``check`` does not rebuild them in every process. A loaded parser must read every text
to the same tree, or refuse it with the same error, as one built from the grammar; a damaged or
foreign cache file, or a directory that cannot be written, must leave the parser built as usual.
And reading stays light: importing the readers loads neither NumPy nor SciPy.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from lark import Lark
from lark.exceptions import UnexpectedInput

from elbo_derivation.read import parsers

LATEX = (Path(parsers.__file__).with_name("latex.lark")).read_text(encoding="utf-8")
OPTIONS = {"propagate_positions": True, "maybe_placeholders": False}

#: texts in the reader's normal form (after tex.py's own rewriting), and some it refuses
TEXTS = [
    r"\frac{a}{b} + \log ( \sigma^2 ) - \int_0^1 x dx",
    r"\mathbb{E}_{q(z|x)}[\log p(x|z)] - \mathrm{KL}(q(z|x) \| p(z))",
    r"\sum_{k=0}^{\infty} \frac{\lambda^k e^{-\lambda}}{k!} k",
    r"-\frac{1}{2} \sum_{j=1}^{J} ( 1 + \log \sigma_j^2 - \mu_j^2 - \sigma_j^2 )",
    r"\frac{\partial}{\partial \mu} ( x - \mu )^2",
    r"a + + b",
    r"\int_0^1 x \, dx",  # (tex.py removes the thin space before parsing)
    r"\frac{a}{",
    r"x ) (",
]


def _outcome(parser: Lark, text: str) -> object:
    try:
        return parser.parse(text)
    except UnexpectedInput as err:
        return (type(err).__name__, err.line, err.column)


@pytest.fixture
def cache_dir(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("ELBO_DERIVATION_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_loaded_parser_reads_as_the_built_one(cache_dir):
    built = Lark(LATEX, parser="lalr", **OPTIONS)
    first = parsers.lalr_parser("latex", LATEX, **OPTIONS)  # built, then stored
    stored = list(cache_dir.glob("latex-*.json"))
    assert len(stored) == 1
    loaded = parsers.lalr_parser("latex", LATEX, **OPTIONS)  # loaded from the file
    assert loaded.source_path == "<deserialized>"  # lark's mark of a loaded parser
    for text in TEXTS:
        want = _outcome(built, text)
        assert _outcome(first, text) == want
        assert _outcome(loaded, text) == want
    # positions are kept (tex.py reports FILE:LINE:COLUMN from them)
    tree = loaded.parse(TEXTS[0])
    assert (tree.meta.line, tree.meta.column) == (1, 1)


def test_another_grammar_or_options_never_meets_a_stale_file(cache_dir):
    parsers.lalr_parser("g", 'start: "a"\n')
    other = parsers.lalr_parser("g", 'start: "b"\n')
    assert other.parse("b") is not None
    with pytest.raises(UnexpectedInput):
        other.parse("a")
    parsers.lalr_parser("g", 'start: "b"\n', propagate_positions=True)
    assert len(list(cache_dir.glob("g-*.json"))) == 3


@pytest.mark.parametrize("damage", [b"", b"{", b'{"key": "x", "parser": 1}', b"\xff\xfe",
                                    b'{"key": "KEY", "parser": {"data": 1}}'])
def test_a_damaged_file_is_rebuilt(cache_dir, damage):
    grammar = 'start: NUM\nNUM: /[0-9]+/\n'
    parsers.lalr_parser("d", grammar)
    (path,) = cache_dir.glob("d-*.json")
    key = path.stem.split("-", 1)[1]
    path.write_bytes(damage.replace(b"KEY", key.encode()))
    again = parsers.lalr_parser("d", grammar)
    assert again.parse("42").children == ["42"]
    assert again.source_path != "<deserialized>"


def test_no_cache_when_the_directory_cannot_be_made(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("ELBO_DERIVATION_CACHE", str(blocker / "cache"))
    p = parsers.lalr_parser("x", 'start: "a"\n')
    assert p.parse("a") is not None
    monkeypatch.setenv("ELBO_DERIVATION_CACHE", "")  # the cache turned off
    assert parsers.cache_directory() is None
    assert parsers.lalr_parser("x", 'start: "a"\n').parse("a") is not None


def test_reading_loads_neither_numpy_nor_scipy():
    code = ("import sys; import elbo_derivation.read.deriv, elbo_derivation.read.tex; "
            "print(sorted(m for m in ('numpy', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
