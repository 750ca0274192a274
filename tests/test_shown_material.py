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
    # written without brackets after \log: shown so (the eleventh material pass)
    assert shown_pretty(d, d.steps[0]) == "log sigmoid(−γ) − log softplus(γ)"
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


def test_the_exact_difference_is_in_the_author_notation():
    """Defect: "exact: left − right = 2·log(1 + exp(−γ))", SymPy's string form, in a report
    of a .tex file whose author writes e^{−γ}."""
    from elbo_derivation.report.json import derivation_to_json
    from elbo_derivation.report.text import format_counterexample

    d = check_file(CORPUS / "diffusion/wrong/kingma_vdm_log_snr.s1.sign-error.tex",
                   time_limit=5.0)
    step = d.steps[0]
    cx = step.result.counterexample
    assert cx is not None and cx.exact is not None and cx.exact_text in cx.note
    said = format_counterexample(cx, d, step)
    assert "exact: left − right = 2·log(" in said and "e^(−γ)" in said, said
    assert "exp(" not in said and "gamma" not in said, said
    note = derivation_to_json(d)["steps"][0]["symbolic"]["counterexample"]["note"]
    assert "e^(−γ)" in note and "exp(" not in note, note
    from elbo_derivation.report.json import check_json

    assert check_json(d)["steps"][0]["counterexample"]["note"] == note
    # the value it quotes is the difference of the two sides
    gamma = next(iter(cx.exact.free_symbols))
    assert abs(float(cx.exact.subs(gamma, 1)) - cx.difference) < 1e-12


def test_plurals_in_the_handout_and_the_reports():
    """Defect: the handout's summary said "1 derivations"."""
    from elbo_derivation.report.handout import render_html
    from elbo_derivation.report.pretty import plural

    d = parse_derivation("symbols: t : real\n  2*t\n= t + t  # twice")
    html = render_html([d])
    assert "1 derivation," in html and "1 derivations" not in html
    assert "1 step" in html and "1 steps" not in html
    assert plural(2, "file") == "2 files" and plural(1, "file") == "1 file"


def test_the_instance_note_speaks_of_the_file_densities():
    """Defect: on a file over x and y, the note spoke of p(z), q(z|x)."""
    d = check_file(CORPUS / "information/wrong/kl_chain_rule.s2.sign-error.tex",
                   time_limit=5.0)
    cx = d.steps[1].result.counterexample
    assert cx is not None and "linear-Gaussian instance" in cx.note
    assert "p(x) = N(0, 1), p(y|x) = N(" in cx.note and "q(y|x) = N(" in cx.note, cx.note
    assert "(z)" not in cx.note and "z|" not in cx.note and "|z" not in cx.note, cx.note


def test_a_function_name_after_a_factor_gets_its_thin_space():
    """Defect: n·a·log(a/b) in the handout read "nalog(a/b)"."""
    import re

    d = read_any(CORPUS / "discrete/binomial_kl_declared.deriv")
    mathml = shown_mathml(d, d.steps[1])
    assert re.search(r'<mi>a</mi><mo rspace="0.1667em">\u2062</mo><mrow><mi>log</mi>', mathml)
    assert '<mi>n</mi><mo>\u2062</mo><mi>a</mi>' in mathml  # no space between letters


def test_the_handout_shows_no_sympy_names_and_raised_powers():
    """Defects: "Sympy.simplify reduces …" as a proof's words; e^(−γ) on one line in the
    counterexample of the handout; the instance's a2, e2 beside the point's a₂, e₂."""
    from elbo_derivation.report.handout import render_html
    from elbo_derivation.report.text import format_counterexample

    d = check_file(CORPUS / "diffusion/wrong/kingma_vdm_log_snr.s1.sign-error.tex",
                   time_limit=5.0)
    html = render_html([d])
    assert "ympy" not in html, "a SymPy name in the words of a proof"
    assert "log(e<sup>−γ</sup> + 1)" in html and "log(e^(−γ) + 1)" not in html
    # the justification 1 + e^{\gamma} = e^{\gamma}(1 + e^{-\gamma}), raised as written
    assert "e<sup>γ</sup>(1 + e<sup>−γ</sup>)" in html and "e^γ(1" not in html
    k = check_file(CORPUS / "information/wrong/kl_chain_rule.s2.sign-error.tex",
                   time_limit=5.0)
    said = format_counterexample(k.steps[1].result.counterexample, k, k.steps[1])
    assert "a₂ = 0.5" in said and "e₂" in said and "a2" not in said and "e2" not in said


def test_a_derivative_keeps_the_symbol_written():
    """Defect: \\frac{\\partial}{\\partial \\beta} Σ… was exported \\frac{d}{d \\beta} (and
    shown d/dβ in the handout): the printers chose the symbol from the number of variables."""
    d = read_any(CORPUS / "sums/hastie_logistic_gradient.tex")
    assert shown_pretty(d).startswith("∂/∂β ")
    assert shown_latex(d).startswith(r"\frac{\partial}{\partial \beta}")
    assert shown_mathml(d).startswith("<mrow><mfrac><mrow><mo>∂</mo></mrow><mrow><mo>∂</mo>")
    total = _tex(r"\frac{d}{dx} (x y) &= y", "% symbols: x, y : real")
    assert shown_pretty(total).startswith("d/dx") and r"\frac{d}{d x}" in shown_latex(total)
    assert "<mo>d</mo>" in shown_mathml(total) and "∂" not in shown_mathml(total)
    partial = _tex(r"\frac{\partial}{\partial x} x^2 &= 2x", "% symbols: x : real")
    assert r"\frac{\partial}{\partial x}" in shown_latex(partial)
    back = latex_to_sympy(shown_latex(total), symbols=total.symbols, functions=total.functions)
    assert back == total.start


def test_matrix_products_bars_and_det_as_written():
    """Defects: (μ₁ − μ₀)ᵀΣ₁⁻¹(μ₁ − μ₀) shown ((μ₁ − μ₀)ᵀΣ₁⁻¹)(μ₁ − μ₀); |Σ₁| shown det(Σ₁)
    in the terminal; \\det(Σ₀Σ₁⁻¹) shown |Σ₀Σ₁⁻¹| in the handout and the export."""
    d = read_any(CORPUS / "multivariate/kl_mvn_trace_logdet.tex")
    text = shown_pretty(d)
    assert "(μ₁ − μ₀)ᵀ·Σ₁⁻¹·(μ₁ − μ₀)" in text and "log(|Σ₁|/|Σ₀|)" in text, text
    tex = shown_latex(d)
    assert r"\left(\mu_{1} - \mu_{0}\right)^{\top} \Sigma_{1}^{-1} \left(" in tex, tex
    assert r"\left|\Sigma_{1}\right|" in tex
    last = d.steps[-1]
    assert "det(Σ₀·Σ₁⁻¹)" in shown_pretty(d, last)
    assert r"\det\left(\Sigma_{0} \Sigma_{1}^{-1}\right)" in shown_latex(d, last)
    assert "<mi>det</mi>" in shown_mathml(d, last)
    for step in (None, *d.steps):  # each reads back to what was checked
        back = latex_to_sympy(shown_latex(d, step), symbols=d.symbols, functions=d.functions)
        want = d.start if step is None else step.expr
        assert back == want or sp.simplify(back - want) == 0


def test_a_power_of_a_subscripted_name_is_one_msubsup():
    """Defect: μ_d² in the handout and the slides drew the ² staggered after μ_d."""
    d = read_any(CORPUS / "sums/kl_diag_sum_logvar.deriv")
    mathml = shown_mathml(d)
    assert "<msubsup><mi>μ</mi><mi>d</mi><mn>2</mn></msubsup>" in mathml
    assert "<msup><msub>" not in mathml


def test_deriv_words_for_matrices_and_kl_read_as_mathematics():
    """Defect: the terminal showed a .deriv line's inv(diag(v₂)), transpose(m₂ − m₁) and
    KL(p(k), r(k)) as typed, where every other report writes Σ⁻¹, xᵀ and KL(p ‖ r)."""
    d = read_any(CORPUS / "multivariate/kl_mvn_two_diagonal.deriv")
    text = shown_pretty(d)
    assert "inv(" not in text and "transpose(" not in text, text
    assert "(m₂ − m₁)ᵀ·diag(v₂)⁻¹·(m₂ − m₁)" in text, text
    k = read_any(CORPUS / "discrete/geometric_kl_declared.deriv")
    assert shown_pretty(k) == "KL(p(k) ‖ r(k))"
