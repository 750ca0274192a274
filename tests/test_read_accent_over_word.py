"""An accent over a name set upright, ``\\hat{\\mathrm{ab}}``, is that name accented, a
quantity of its own (as ``\\hat{a}`` is beside ``a``), in declarations and in expressions."""

from __future__ import annotations

from elbo_derivation.core.steps import Verdict
from elbo_derivation.pipeline import check_derivation
from elbo_derivation.verification import read_any

PROVED, REFUTED = Verdict.PROVED, Verdict.REFUTED


def test_an_accented_upright_name_is_its_own_quantity(tmp_path) -> None:
    path = tmp_path / "accented_word.tex"
    path.write_text(
        "% symbols: \\mathrm{ab}, \\hat{\\mathrm{ab}} : positive\n"
        "\\begin{align*}\n"
        "\\log\\frac{\\hat{\\mathrm{ab}}}{\\mathrm{ab}} &= \\log\\hat{\\mathrm{ab}} - "
        "\\log\\mathrm{ab} \\\\\n"
        "&= 0\n"
        "\\end{align*}\n", encoding="utf-8")
    steps = check_derivation(read_any(path), time_limit=5.0).steps
    assert [s.verdict for s in steps] == [PROVED, REFUTED]
