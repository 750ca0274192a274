"""A sum over the values of a variable that is declared nowhere binds it.

Goodfellow, Bengio & Courville (sec. 5.4.2) sum a Bernoulli pmf over the values of one data
point, ``\\sum_{x^{(i)}=0}^{1} x^{(i)}\\theta^{x^{(i)}}(1-\\theta)^{(1-x^{(i)})}``; the reader
asked for a declaration of x_i. A name declared in no form, summed between integers, is now
the sum's own integer variable, known inside its summand only; a declared name keeps its
declaration (and a real one is still refused as an index).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from elbo_derivation.core.steps import Verdict
from elbo_derivation.errors import DerivationSyntaxError
from elbo_derivation.pipeline import check_derivation
from elbo_derivation.verification import read_any


def _check(tmp_path: Path, head: str, rows: str) -> list[Verdict]:
    path = tmp_path / "bound.tex"
    path.write_text(head + "\\begin{align*}\n" + rows + "\n\\end{align*}\n")
    return [s.verdict for s in check_derivation(read_any(path), time_limit=5.0).steps]


def test_a_sum_over_the_values_of_a_data_point(tmp_path: Path) -> None:
    head = "% symbols: n : integer\n% symbols: K : positive integer\n% symbols: 0 < \\rho < 1\n"
    rows = ("\\frac{1}{K}\\sum_{n=1}^{K}\\sum_{z^{(n)}=0}^{1}z^{(n)}\\rho^{z^{(n)}}"
            "(1-\\rho)^{1-z^{(n)}} &= \\rho \\\\\n&= 1 - \\rho")
    assert _check(tmp_path, head, rows) == [Verdict.PROVED, Verdict.REFUTED]


def test_an_undeclared_index_is_bound_by_its_sum_only(tmp_path: Path) -> None:
    head = "% symbols: a : real\n"
    assert _check(tmp_path, head, "\\sum_{k=0}^{2} k\\,a &= 3a") == [Verdict.PROVED]
    with pytest.raises(DerivationSyntaxError, match="k"):
        _check(tmp_path, head, "\\sum_{k=0}^{2} a + k &= 3a + k")


def test_a_declared_real_name_is_still_refused_as_an_index(tmp_path: Path) -> None:
    with pytest.raises(DerivationSyntaxError, match="must be declared an integer"):
        _check(tmp_path, "% symbols: a, k : real\n", "\\sum_{k=0}^{2} k\\,a &= 3a")
