"""Shown as written, the defects of the display pass: a function written by name stays its
name, signatures and indices in unicode subscripts, an exact difference in the author's
notation, plurals; each as-written form reads back to the mathematics that was checked."""

from __future__ import annotations

import pickle
from pathlib import Path

import sympy as sp

from elbo_derivation.core.written import WrittenFunction, checked
from elbo_derivation.read.deriv import parse_derivation
from elbo_derivation.read.tex import latex_to_sympy, parse_tex_derivation
from elbo_derivation.report.handout import shown_mathml
from elbo_derivation.report.latex import shown_latex
from elbo_derivation.report.pretty import shown_pretty
from elbo_derivation.verification import check_file, read_any

CORPUS = Path(__file__).resolve().parent / "corpus"


def _tex(body: str, *declarations: str):
    return parse_tex_derivation("\n".join([*declarations, r"\begin{align*}", body,
                                           r"\end{align*}"]), file="t.tex")  # fmt: skip


def test_a_named_function_is_shown_by_its_name_in_every_printer():
    """Defect: \\operatorname{sigmoid}(γ) was shown 1/(1 + e^(−γ)), a form never written."""
    d = _tex(r"\log\frac{\operatorname{sigmoid}(-\gamma)}{\operatorname{sigmoid}(\gamma)} "
             r"&= \log\operatorname{sigmoid}(-\gamma) - \log\operatorname{softplus}(\gamma)",
             r"% symbols: \gamma : real")
    assert shown_pretty(d) == "log(sigmoid(−γ)/sigmoid(γ))"
    assert shown_pretty(d, d.steps[0]) == "log(sigmoid(−γ)) − log(softplus(γ))"
    for step in (None, d.steps[0]):
        tex = shown_latex(d, step)
        assert r"\operatorname{sigmoid}" in tex and "e^" not in tex, tex
        mathml = shown_mathml(d, step)
        assert ">sigmoid</mi>" in mathml and "<mi>e</mi>" not in mathml, mathml
        # the LaTeX shown reads back to the very expression that was checked
        back = latex_to_sympy(tex, symbols=d.symbols, functions=d.functions)
        want = d.start if step is None else step.expr
        assert sp.simplify(back - want) == 0, (tex, back, want)
        # checked(display) is the checked value; with names, the function stays one node
        display = d.start_display if step is None else step.display
        assert sp.simplify(checked(display) - want) == 0
        assert checked(display, names=True).has(WrittenFunction)
        assert not checked(display).has(WrittenFunction)


def test_a_named_function_in_a_deriv_file_and_its_value():
    d = parse_derivation("symbols: t : real\n  sigmoid(t)\n= 1/(1 + exp(-t))  # definition")
    assert shown_pretty(d) == "sigmoid(t)"
    shown = d.start_display
    assert isinstance(shown, WrittenFunction) and shown.name == "sigmoid"
    assert d.start == 1 / (1 + sp.exp(-sp.Symbol("t", real=True)))  # checked: the value
    t = shown.arguments[0]
    assert abs(float(shown.subs(t, 2)) - 1 / (1 + float(sp.exp(-2)))) < 1e-15
    assert sp.simplify(sp.diff(shown, t) - sp.diff(d.start, t)) == 0
    assert pickle.loads(pickle.dumps(shown)) == shown  # the fast path pickles display forms


def test_sigmoid_sign_error_is_named_a_sign_error():
    """Defect: the reciprocal inside sigmoid(γ), never written, read as a ratio turned over."""
    d = check_file(CORPUS / "diffusion/wrong/kingma_vdm_log_snr.s1.sign-error.tex",
                   time_limit=5.0)
    assert d.steps[0].result.mistake == "sign-error"


def test_density_signatures_use_unicode_subscripts():
    """Defect: E_{q(x_1|x_0)}[…] and p(x_2) in the terminal: LaTeX braces and underscores."""
    d = read_any(CORPUS / "diffusion/luo_two_step_elbo.tex")
    text = shown_pretty(d)
    assert text.startswith("E_q(x₁|x₀)[E_q(x₂|x₁)[log(p(x₂)·")
    assert "_{" not in text and "x_" not in text
