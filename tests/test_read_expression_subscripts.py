"""A subscript that is an expression, as diffusion papers write ``\\bar{\\alpha}_{t-1}``,
``x_{t-1}``, ``\\beta_{t+1}`` (Ho et al. 2020; Luo 2022): the name with that subscript is one
quantity of its own, declared by the same text in ``% symbols:`` lines, shown back as written,
and never the same quantity as the name at another index (``a_{t-1} = a_t`` is not proved)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from elbo_derivation.core.steps import Verdict
from elbo_derivation.errors import DerivationSyntaxError
from elbo_derivation.pipeline import check_derivation
from elbo_derivation.read.tex import latex_to_sympy, parse_tex_derivation
from elbo_derivation.report.handout import shown_mathml
from elbo_derivation.report.latex import shown_latex
from elbo_derivation.report.pretty import shown_pretty
from elbo_derivation.verification import read_any

CORPUS = Path(__file__).resolve().parent / "corpus"


def _checked(body: str, *declarations: str):
    d = parse_tex_derivation("\n".join([*declarations, r"\begin{align*}", body,
                                        r"\end{align*}"]), file="t.tex")  # fmt: skip
    return check_derivation(d)


def test_a_right_step_is_proved_and_a_wrong_one_refuted() -> None:
    den = r"{(1 - \alpha_t)(1 - \bar{\alpha}_{t-1})}"
    d = _checked(r"\frac{1}{1 - \bar{\alpha}_{t-1}} + \frac{\alpha_t}{1 - \alpha_t} "
                 r"&= \frac{1 - \alpha_t \bar{\alpha}_{t-1}}" + den + r" \\" "\n"
                 r"&= \frac{1 + \alpha_t \bar{\alpha}_{t - 1}}" + den,
                 r"% symbols: 0 < \alpha_t < 1", r"% symbols: 0 < \bar{\alpha}_{t-1} < 1")
    assert [s.verdict for s in d.steps] == [Verdict.PROVED, Verdict.REFUTED]


@pytest.mark.parametrize("body", [r"a_{t-1} &= a_t", r"a_{t-1} &= a_{t+1}",
                                  r"\beta_{t+1} &= \beta_{t-1}"])
def test_the_quantity_at_another_index_is_another_quantity(body: str) -> None:
    d = _checked(body, r"% symbols: a_t, a_{t-1}, a_{t+1} : real",
                 r"% symbols: \beta_{t+1}, \beta_{t - 1} : positive")
    assert d.steps[0].verdict is not Verdict.PROVED
    assert d.steps[0].verdict is Verdict.REFUTED


def test_the_declaration_and_the_body_name_one_symbol() -> None:
    d = parse_tex_derivation("% symbols: 0 < x_{t - 1} < 1\n\\begin{align*}\n"
                             "x_{t-1}^2 &= x_{t-1} x_{t-1}\n\\end{align*}", file="t.tex")
    (sym,) = d.start.free_symbols
    assert sym.name == "x_{t-1}" and sym.is_positive
    assert check_derivation(d).steps[0].verdict is Verdict.PROVED


def test_an_undeclared_quantity_at_an_index_is_refused_by_its_place() -> None:
    with pytest.raises(DerivationSyntaxError, match=r"undeclared symbol 'x_\{t\+1\}'") as err:
        parse_tex_derivation("% symbols: x_{t-1} : real\n\\begin{align*}\n"
                             "x_{t-1} &= x_{t+1}\n\\end{align*}", file="t.tex")
    assert "t.tex:3:" in str(err.value)


def test_shown_as_written_and_read_back() -> None:
    d = parse_tex_derivation("% symbols: 0 < \\bar{\\alpha}_{t-1} < 1\n% symbols: b_{n+1} : real\n"
                             "\\begin{align*}\n1 - \\bar{\\alpha}_{t-1} &= 1 - \\bar{\\alpha}_{t-1}"
                             " + b_{n+1} - b_{n+1}\n\\end{align*}", file="t.tex")
    step = d.steps[0]
    assert shown_pretty(d) == "1 − α\u0304ₜ₋₁"
    assert "bₙ₊₁" in shown_pretty(d, step)
    latex = shown_latex(d)
    assert latex == r"1 - \bar{\alpha}_{t-1}"
    assert latex_to_sympy(latex, symbols=d.symbols) == d.start
    mathml = shown_mathml(d)
    assert re.search(r"<msub><mover[^>]*><mi>α</mi><mo>[^<]+</mo></mover><mrow><mi>t</mi>"
                     r"<mo>−</mo><mn>1</mn></mrow></msub>", mathml), mathml
    assert "t-1" not in mathml


def test_luo_posterior_variance_reads_and_holds() -> None:
    d = check_derivation(read_any(CORPUS / "diffusion" / "luo_posterior_variance.tex"))
    assert [s.verdict for s in d.steps] == [Verdict.PROVED, Verdict.PROVED]


def test_a_declared_sequence_at_an_index_expression() -> None:
    """``\\mu_{d+1}`` of a declared sequence ``\\mu_d`` is that sequence at d + 1 (the same
    quantity as ``m(d + 1)`` in ``.deriv``), not a new symbol."""
    decl = ("% symbols: d : integer", r"% functions: \mu_d : real")
    d = _checked(r"\mu_{d+1} - \mu_{d-1} &= \mu_{d + 1} + \mu_d - \mu_{d-1} - \mu_{d} \\" "\n"
                 r"&= \mu_{d+1}", *decl)
    assert [s.verdict for s in d.steps] == [Verdict.PROVED, Verdict.REFUTED]
    assert shown_latex(d) == r"\mu_{d + 1} - \mu_{d - 1}"
    assert shown_pretty(d) == "μ_(d + 1) − μ_(d − 1)"
    with pytest.raises(DerivationSyntaxError, match="declared integer"):
        parse_tex_derivation("\n".join([*decl, r"% symbols: y : real", r"\begin{align*}",
                                        r"\mu_{d+y} &= \mu_d", r"\end{align*}"]), file="t.tex")


def test_a_symbol_at_an_expression_of_a_sum_index_is_refused() -> None:
    """``x_{i-1}`` declared a plain symbol does not change with i: Σ_i x_{i-1} is not N·x."""
    with pytest.raises(DerivationSyntaxError, match=r"'% functions: x_i : real'"):
        parse_tex_derivation("% symbols: i : integer\n% symbols: N : positive integer\n"
                             "% symbols: x_{i-1} : real\n\\begin{align*}\n"
                             "\\sum_{i=1}^{N} x_{i-1} &= N x_{i-1}\n\\end{align*}", file="t.tex")
