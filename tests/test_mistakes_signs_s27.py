"""Signs and ratios (session 27): a log's ratio turned over or a sign put in front of it write
the same value; where the previous line as written cannot tell (logs joined into one ratio),
the KL the previous line writes, read as its definition, or the author's next line, holding
the right value, shows the form meant. Other letters than the corpus."""

from __future__ import annotations

from pathlib import Path

import sympy as sp
from corpus.support import named_in_text

from elbo_derivation.core.expectation import KL
from elbo_derivation.explain.page import log_factors, page_change

_HEAD = "symbols: v, u : real\ndensities: a(v), b(v), c(u|v)\n\n"
_JOINED = ("    E[log(c(u|v)), v ~ a(v)] + E[log(b(v)), v ~ a(v)] - E[log(a(v)), v ~ a(v)]\n"
           "  = E[log(c(u|v)), v ~ a(v)]")
_NEXT = "  = E[log(c(u|v)), v ~ a(v)] - KL({})\n"


def _named(tmp_path: Path, body: str, step: int) -> str | None:
    return named_in_text(_HEAD + body, step)


def test_an_opened_kl_counts_as_its_log_ratio_under_its_sign() -> None:
    v = sp.Symbol("v", real=True)
    f, g = sp.Function("f", positive=True)(v), sp.Function("g", positive=True)(v)
    opened = sorted(log_factors(-KL(f, g, v), open_kl=True), key=str)
    assert opened == [(f, -1, 1), (g, -1, -1)]
    # −KL(f ‖ g) meant, −E[log(g/f)] written: the sign kept, the ratio turned over
    assert page_change(-KL(f, g, v), -sp.log(g / f), {f, g}, open_kl=True) == "ratio"
    assert page_change(-KL(f, g, v), sp.log(f / g), {f, g}, open_kl=True) == "sign"


def test_the_next_line_shows_the_ratio_was_turned_over(tmp_path: Path) -> None:
    body = _JOINED + " - E[log(b(v)/a(v)), v ~ a(v)]\n" + _NEXT.format("a(v), b(v)")
    assert _named(tmp_path, body, 1) == "log-ratio-flipped"


def test_the_next_line_shows_the_sign_was_changed(tmp_path: Path) -> None:
    body = _JOINED + " + E[log(a(v)/b(v)), v ~ a(v)]\n" + _NEXT.format("a(v), b(v)")
    # the sign of the log-density term (a special case of a sign error)
    assert _named(tmp_path, body, 1) == "log-density-sign"


def test_without_a_next_line_the_joined_logs_cannot_tell(tmp_path: Path) -> None:
    assert _named(tmp_path, _JOINED + " - E[log(b(v)/a(v)), v ~ a(v)]\n", 1) is None


def test_a_next_line_that_is_wrong_too_says_nothing(tmp_path: Path) -> None:
    body = _JOINED + " - E[log(b(v)/a(v)), v ~ a(v)]\n" + _NEXT.format("b(v), a(v)")
    assert _named(tmp_path, body, 1) is None


def test_the_kl_of_the_previous_line_read_as_its_definition(tmp_path: Path) -> None:
    body = ("    E[log(c(u|v)), v ~ a(v)] - KL(a(v), b(v))\n"
            "  = E[log(c(u|v)), v ~ a(v)] - E[log(b(v)/a(v)), v ~ a(v)]\n")
    assert _named(tmp_path, body, 1) == "log-ratio-flipped"
