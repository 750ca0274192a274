"""Signs (session 28): a term the previous line writes, negated where the step combines like
terms (SymPy's value of that line has merged them), is a sign error; on a line of one term
whose written sign differs from the value that belongs, the one term negated is the whole
negated. Other letters than the corpus."""

from __future__ import annotations

from pathlib import Path

from corpus.support import named_in_text


def _named(tmp_path: Path, head: str, body: str, step: int) -> str | None:
    return named_in_text(head + "\n" + body, step)


_POS = "symbols: g, h, k : positive\n"


def test_a_term_negated_while_like_terms_combine(tmp_path: Path) -> None:
    body = "    g - 2*h^2/k + h^2/k\n  = g - 3*h^2/k\n"
    assert _named(tmp_path, _POS, body, 1) == "sign-error"


def test_like_terms_combined_right_but_another_number_wrong_is_no_sign(
        tmp_path: Path) -> None:
    # −2 + 1 written −4: no single written term negated gives it
    body = "    g - 2*h^2/k + h^2/k\n  = g - 4*h^2/k\n"
    assert _named(tmp_path, _POS, body, 1) != "sign-error"


def test_a_term_negated_inside_an_exponent_that_combines(tmp_path: Path) -> None:
    body = "    exp(-h^2/k^2 + h^2/(2*k^2))\n  = exp(-3*h^2/(2*k^2))\n"
    assert _named(tmp_path, _POS, body, 1) == "sign-error"


def test_one_term_with_a_minus_written_is_the_whole_negated(tmp_path: Path) -> None:
    head = "symbols: v : real\n"
    body = "    log(exp(v))\n  = -v\n"
    assert _named(tmp_path, head, body, 1) == "overall-sign"


def test_a_derivative_of_one_term_with_its_sign_lost(tmp_path: Path) -> None:
    body = "    diff(-g^2/2 - log(k), k)\n  = 1/k\n"
    assert _named(tmp_path, _POS, body, 1) == "overall-sign"


def test_a_sign_inside_a_log_shows_no_sign_in_front(tmp_path: Path) -> None:
    head = "symbols: v : real\n"
    body = "    log(exp(v))\n  = log(exp(-v))\n"
    assert _named(tmp_path, head, body, 1) != "overall-sign"


def test_a_product_left_without_its_bracket_is_the_factor_dropped(tmp_path: Path) -> None:
    # g(1 − r) written g: the term −gr of the product multiplied out is lost as well, but
    # the author wrote the product, not that term: the factor dropped is named
    head = "symbols: g, h : positive\nsymbols: 0 < r < 1\n"
    body = "    (g*(1 - r) - h*r)/(r*(1 - r))\n  = (g - h*r)/(r*(1 - r))\n"
    assert _named(tmp_path, head, body, 1) == "dropped-factor"


def test_a_bracket_turned_round_inside_one_term_is_no_sign_of_the_whole(
        tmp_path: Path) -> None:
    # the value is the whole negated, but no sign in front changed on the page
    body = "    g*(h - k)/k\n  = g*(k - h)/k\n"
    assert _named(tmp_path, _POS, body, 1) != "overall-sign"
