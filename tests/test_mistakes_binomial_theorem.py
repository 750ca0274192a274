"""A slip in a step that sums a binomial series: the previous line is evaluated by the binomial
theorem, Σ_k C(n, k) a^k b^(n−k) = (a + b)^n, as the checker decides it, so the slip is found
for a symbolic n (the binomial mgf, Casella & Berger, sec. 2.3)."""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus.support import named_in_file

pytestmark = pytest.mark.usefixtures("unhurried_naming")  # what is named, not how fast

MGF = ("% symbols: 0 < r < 1\n% symbols: m : positive integer\n% symbols: j : integer\n"
       "% symbols: u : real\n"
       "\\begin{{align*}}\n"
       "\\sum_{{j=0}}^{{m}} \\binom{{m}}{{j}}\\left(re^u\\right)^j(1-r)^{{m-j}}\n"
       "  &= {w}\n"
       "\\end{{align*}}\n")


@pytest.mark.parametrize("written, name", [
    # 1 − r written r: the other outcome's probability
    (r"\left(re^u + r\right)^m", "complement-probability"),
    # the right value: nothing to name (the step is proved)
    (r"\left(re^u + 1 - r\right)^m", None),
])
def test_a_slip_in_a_binomial_sum_is_found_for_a_symbolic_count(
        tmp_path: Path, written: str, name: str | None) -> None:
    assert named_in_file(tmp_path / "b.tex", MGF.format(w=written)) == name
