"""Known gaps of session 28, each closed in general, each with the case that showed it.

* a matrix in a tier's sentence is written as a matrix ([1, −2; 3, 4]), never as SymPy's
  ``Matrix([[...]])``; a transpose as ᵀ;
* a counterexample's line uses one minus sign, the typographic one, as the rest of the text
  report does (the JSON keeps plain numbers), and the declared names (μ, ψ) in its note.
"""

from __future__ import annotations

import re
from pathlib import Path

import sympy as sp

from elbo_derivation.core.steps import Counterexample
from elbo_derivation.decide.words import plain
from elbo_derivation.report.text import format_counterexample
from elbo_derivation.verification import check_file

CORPUS = Path(__file__).resolve().parent / "corpus"
PPCA = CORPUS / "multivariate" / "wrong" / "ghojogh_ppca_second_moment.s2.extra-term.tex"


def test_a_matrix_in_a_sentence_is_written_as_a_matrix() -> None:
    D = sp.Symbol("D", integer=True, positive=True)
    W = sp.MatrixSymbol("W", D, D)
    assert plain(sp.ImmutableMatrix([[1, -2], [3, 4]])) == "[1, -2; 3, 4]"
    assert plain(sp.ImmutableMatrix([1, 2])) == "[1; 2]"
    assert plain(-sp.Identity(D) + W.T) == "-I + Wᵀ"
    assert "Matrix" not in plain(sp.ImmutableMatrix([[0]]) - sp.Identity(1))


def test_a_counterexample_line_has_one_minus_sign() -> None:
    cx = Counterexample({"a": -1.0}, -2.0, 1.0, -3.0,
                        note="exact, with mu = [-2, 1]; x - y at N(-1, 2), a log-ratio")
    line = format_counterexample(cx)
    assert "-" not in line.replace("log-ratio", ""), line
    assert "[−2, 1]" in line and "N(−1, 2)" in line and "x − y" in line


def test_the_matrix_counterexample_in_the_text_report() -> None:
    # ghojogh_ppca_second_moment s2: an extra I after E[zzᵀ] = I, refuted at D = 1 with the
    # matrices written as matrices, in the declared names, one minus sign throughout
    from elbo_derivation.report.json import check_json
    from elbo_derivation.report.text import render_check_text

    d = check_file(PPCA)
    assert [s.result.verdict.value for s in d.steps] == ["numerically-supported", "refuted"]
    text = render_check_text(d)
    line = next(ln for ln in text.splitlines() if "counterexample" in ln)
    assert "Matrix" not in text and "mu =" not in line and "μ = [" in line, line
    assert not re.search(r"(?<![\w])-\d", line), line
    data = check_json(d)
    cx = data["steps"][1]["counterexample"]
    assert isinstance(cx["difference"], float) and cx["difference"] < 0
