"""What the LaTeX export writes reads back as the same mathematics, and the MathML shows it
unambiguously: a derivative's whole operand bracketed, exp(u) as a function beside a variable
called e, ε and λ under the short names a ``.deriv`` file declares (eps, lamda), an entry of a
vector whose name has a subscript (v_{1,d}), a power of a quadratic form (vᵀv)², a minus sign
in front of a matrix product. Each case was an export that read back as something else."""

from __future__ import annotations

import re

import pytest
import sympy as sp

from elbo_derivation.read.deriv import parse_derivation, shown_expression
from elbo_derivation.read.tex import latex_to_sympy
from elbo_derivation.report.handout import mathml_expr
from elbo_derivation.report.latex import latex_expr, shown_latex


def _reads_back(text: str) -> list[str]:
    """Every line of the derivation, exported and read back, equals the line checked."""
    d = parse_derivation(text)
    shown = []
    for step in [None, *d.steps]:
        checked = d.start if step is None else step.expr
        tex = shown_latex(d, step)
        back = latex_to_sympy(tex, symbols=d.symbols, functions=d.functions,
                              indexed=getattr(d.declarations, "indexed", None),
                              ranges=getattr(d.declarations, "intervals", None))
        assert back == checked or sp.simplify(d.expand_definitions(back - checked)) == 0, tex
        shown.append(tex)
    return shown


def test_a_derivative_of_a_product_is_bracketed_whole() -> None:
    tex = _reads_back("symbols: u : real\nsymbols: k : (1, oo)\n\n"
                      "    diff((k - 1)*(1 + u/k)^3, u)\n  = 3*(k - 1)*(1 + u/k)^2/k\n")
    assert re.match(r"\\frac\{\\?(?:partial|d)\}\{\\?(?:partial|d) ?u\} \\left\[", tex[0])


def test_a_derivative_of_a_negated_function_is_bracketed() -> None:
    tex = _reads_back("symbols: r, t : real\n\n    diff(-r*exp(-r*t)/(1 + exp(-r*t)), t)\n"
                      "  = r^2*exp(-r*t)/(1 + exp(-r*t))^2\n")
    assert re.match(r"\\frac\{\\?(?:partial|d)\}\{\\?(?:partial|d) ?t\} \\left\[-", tex[0])


def test_exp_beside_a_variable_called_e_is_written_as_the_function() -> None:
    tex = _reads_back("symbols: e, B : positive\n\n    e*exp(-B) + e\n  = e*(exp(-B) + 1)\n")
    assert r"\exp\left(" in tex[0] and "e^{" not in tex[0]
    e, b = sp.symbols("e B", positive=True)
    mml = mathml_expr(e * sp.exp(-b))
    assert "<mi>exp</mi>" in mml and "<msup><mi>e</mi>" not in mml
    # without a variable e, the power of e as the notes write it
    assert latex_expr(b * sp.exp(-b)).endswith("e^{- B}")


@pytest.mark.parametrize("letter", [r"\epsilon", r"\varepsilon"])
def test_greek_letters_find_the_short_names_a_deriv_file_declares(letter: str) -> None:
    eps, lamda = sp.Symbol("eps", real=True), sp.Symbol("lamda", positive=True)
    got = latex_to_sympy(rf"\lambda {letter}^2", symbols={"eps": eps, "lamda": lamda})
    assert got == lamda * eps**2


def test_an_entry_of_a_vector_whose_name_has_a_subscript() -> None:
    tex = _reads_back("symbols: D : positive integer\nsymbols: j : integer\n"
                      "symbols: w1, w2 : vector(D) positive\n\n"
                      "    Sum(w1[j]/w2[j] + log(w2[j]), (j, 1, D))\n"
                      "  = Sum(w1[j]/w2[j], (j, 1, D)) + Sum(log(w2[j]), (j, 1, D))\n")
    assert "w_{1,j}" in tex[0] and "_{1}_{" not in tex[0]


def test_a_power_of_a_quadratic_form_and_a_minus_before_a_matrix_product() -> None:
    text = ("symbols: D : positive integer\nsymbols: u : vector(D) real\n"
            "symbols: I : identity(D)\n\n"
            "    I - 2*u*transpose(u)/(transpose(u)*u) + 4*u*(transpose(u)*u)*transpose(u)"
            "/(transpose(u)*u)^2\n"
            "  = I + 2*u*transpose(u)/(transpose(u)*u)\n")
    tex = _reads_back(text)
    assert r"\left(u^{\top} u\right)^{2}" in tex[0] and "+ -" not in tex[0]
    d = parse_derivation(text)
    shown = re.sub("<[^>]+>", "", mathml_expr(shown_expression(d), written=True))
    assert "(uTu)2" in shown.replace(" ", "").replace("\u2062", "")
