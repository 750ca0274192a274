"""An antiderivative evaluated between two ends, as calculus books print it: ``[F]_a^b``
(with any bracket size, ``\\left[ \\right]``, ``\\Big[ \\Big]``), ``\\left. F \\right|_a^b``
and, with its variable named, ``[F]_{x = a}^{b}``. It is F(b) - F(a) in the bracket's one
variable: the variable of the integral before it needs no declaration there either. Each
probe's right step is proved and its wrong one refuted, under letters of no role."""

from __future__ import annotations

import pytest

from elbo_derivation.core.steps import Verdict
from elbo_derivation.errors import DerivationSyntaxError
from elbo_derivation.pipeline import check_derivation
from elbo_derivation.verification import read_any

PROVED, REFUTED = Verdict.PROVED, Verdict.REFUTED

_TEX = "\\begin{{align*}}\n{}\n\\end{{align*}}\n"


def _verdicts(tmp_path, head: str, rows: str) -> list[Verdict]:
    path = tmp_path / "between.tex"
    path.write_text(head + _TEX.format(rows), encoding="utf-8")
    return [s.verdict for s in check_derivation(read_any(path), time_limit=5.0).steps]


@pytest.mark.parametrize("bracket", [
    "\\left[\\frac{s^3}{3}\\right]_{-c/2}^{c/2}",
    "\\Big[\\frac{s^3}{3}\\Big]_{-c/2}^{c/2}",
    "[\\frac{s^3}{3}]^{c/2}_{-c/2}",
    "\\left. \\frac{s^3}{3} \\right|_{-c/2}^{c/2}",
    "\\bigl[\\frac{s^3}{3}\\bigr]_{s=-c/2}^{c/2}",
])
def test_a_bracket_between_two_ends_is_the_difference(tmp_path, bracket: str) -> None:
    """The mean square of a uniform error of width c, by its antiderivative."""
    rows = (f"\\frac{{1}}{{c}}\\int_{{-c/2}}^{{c/2}} s^2 \\, ds &= \\frac{{1}}{{c}}{bracket} \\\\\n"
            "&= \\frac{c^2}{12} \\\\\n&= \\frac{c^2}{6}")
    assert _verdicts(tmp_path, "% symbols: c : positive\n", rows) == [PROVED, PROVED, REFUTED]


def test_an_infinite_end_is_a_limit(tmp_path) -> None:
    """[-e^{-b w}]_0^∞ = 0 - (-1): the antiderivative's limit at the infinite end."""
    rows = ("\\int_0^{\\infty} b e^{-b w} \\, dw &= \\left[-e^{-b w}\\right]_{0}^{\\infty} \\\\\n"
            "&= 1 \\\\\n&= b")
    assert _verdicts(tmp_path, "% symbols: b : positive\n", rows) == [PROVED, PROVED, REFUTED]


def test_a_declared_variable_is_the_one_the_ends_do_not_involve(tmp_path) -> None:
    rows = "\\left[a t^2\\right]_{0}^{a} &= a^3 \\\\\n&= a^2"
    head = "% symbols: a : positive\n% symbols: t : real\n"
    assert _verdicts(tmp_path, head, rows) == [PROVED, REFUTED]


def test_a_bracket_of_two_possible_variables_is_refused(tmp_path) -> None:
    path = tmp_path / "unclear.tex"
    path.write_text("% symbols: a, t : real\n" + _TEX.format("\\left[a t\\right]_0^1 &= 1"),
                    encoding="utf-8")
    with pytest.raises(DerivationSyntaxError) as err:
        read_any(path)
    assert "[F]_{x = a}^{b}" in str(err.value) and "unclear.tex:3:" in str(err.value)


def test_a_bracket_with_one_script_is_a_bracket(tmp_path) -> None:
    """(a + t)^2 written in square brackets, then a subscript-free power: not an evaluation."""
    rows = "[a + t]^2 &= a^2 + 2at + t^2 \\\\\n&= a^2 + t^2"
    assert _verdicts(tmp_path, "% symbols: a, t : real\n", rows) == [PROVED, REFUTED]
