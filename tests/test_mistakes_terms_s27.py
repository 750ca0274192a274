"""Terms (session 27): a term lost while a numerator is multiplied out over one denominator,
a square multiplied out without its cross term (a special case of that), and a log of a sum
split after its common factor was rightly taken out. Other letters than the corpus."""

from __future__ import annotations

from pathlib import Path

import sympy as sp
from corpus.support import named_in

from elbo_derivation.explain import simulations as sim
from elbo_derivation.verification import read_any


def _named(tmp_path: Path, text: str, step: int) -> str | None:
    path = tmp_path / "d.deriv"
    path.write_text(text, encoding="utf-8")
    d = read_any(path)
    return named_in(d, d.steps[step - 1])


def test_the_numerator_multiplied_out_loses_one_term() -> None:
    g, h = sp.symbols("g h", positive=True)
    r = sp.Symbol("r", positive=True)
    wrong = {sp.simplify(w) for w, _ in sim.term_dropped_over_one_denominator(
        g / r - h / (1 - r), None)}
    assert sp.simplify((g - h * r) / (r * (1 - r))) in wrong
    # a sum of two terms loses no term (nothing would stand), and a line with nothing to
    # put over one denominator has no such variant
    assert sim.term_dropped_over_one_denominator(g / r + h, None) == []
    assert sim.term_dropped_over_one_denominator(g * h + r, None) == []


def test_a_term_lost_over_one_denominator_is_named(tmp_path: Path) -> None:
    text = ("symbols: g, h : positive\nsymbols: 0 < r < 1\n\n"
            "    g/r - h/(1 - r)\n  = (g - h*r)/(r*(1 - r))\n")
    assert _named(tmp_path, text, 1) == "dropped-term"


def test_the_denominator_must_stand_on_the_page(tmp_path: Path) -> None:
    # the same value written without the fraction: nothing shows a denominator made
    text = ("symbols: g, h : positive\nsymbols: 0 < r < 1\n\n"
            "    g/r - h/(1 - r)\n  = g/(r*(1 - r)) - h/(1 - r)\n")
    assert _named(tmp_path, text, 1) != "dropped-term"


def test_a_cross_term_lost_over_one_denominator_is_left_to_the_square() -> None:
    # (x − m)²/(2s²) multiplied out without −2mx: the square expanded wrong, not a term of
    # the numerator lost (missing-cross-term names it at the square's place)
    x, m, s = sp.symbols("x m s", positive=True)
    right = (x - m) ** 2 / (2 * s**2) + x / s
    wrong = [w for w, _ in sim.term_dropped_over_one_denominator(right, None)]
    assert not any(sp.simplify(w - right - m * x / s**2) == 0 for w in wrong)
    assert any(sp.simplify(w - right + x / s) == 0 for w in wrong)


def test_log_of_a_sum_split_after_its_common_factor() -> None:
    f, g = sp.symbols("f g", positive=True)
    out = [w for w, _ in sim.log_of_sum_split_after_common_factor(sp.log(f / 3 + g / 3), None)]
    assert out == [sp.log(f) + sp.log(g) - sp.log(3)]
    assert sim.log_of_sum_split_after_common_factor(sp.log(f + g), None) == []


def test_log_of_a_halved_sum_split_is_named(tmp_path: Path) -> None:
    text = ("symbols: f, g : positive\n\n"
            "    log(f/2 + g/2)\n  = log(f) + log(g) - log(2)\n")
    assert _named(tmp_path, text, 1) == "log-of-sum-split"
