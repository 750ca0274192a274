"""Shown as written: the reports print the author's expression, order and grouping.

Each test reads a small derivation (or a corpus file) and checks one rendering against what
its author wrote: the brackets the author wrote and no others, signs as written, ½ where it
was written, divisions where they were written, declared names for declared densities, and
explanations that quote the author's own terms.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from elbo_derivation.read.tex import parse_tex_derivation
from elbo_derivation.report.handout import shown_mathml
from elbo_derivation.report.latex import latex_expr, shown_latex
from elbo_derivation.report.pretty import pretty_name, shown_part, shown_pretty
from elbo_derivation.verification import check_file, read_any

CORPUS = Path(__file__).resolve().parent / "corpus"
OPEN = r"<mo[^>]*>\(</mo>"


def _tex(body: str, *declarations: str):
    return parse_tex_derivation("\n".join([*declarations, r"\begin{align*}", body,
                                           r"\end{align*}"]), file="t.tex")  # fmt: skip


SUMS = ("% symbols: D : positive integer", "% symbols: d : integer [1, D]",
        r"% functions: \sigma_d : positive")


def test_a_one_term_sum_body_has_no_brackets_in_the_handout():
    """Defect: Σ_d log(σ_d) was shown Σ (log(σ_d)); 2Σ… as 2(Σ…)."""
    d = _tex(r"\sum_{d=1}^{D} \log(\sigma_d^2) &= \sum_d 2\log(\sigma_d) \\"
             "\n" r"&= 2\sum_{d=1}^{D} \log \sigma_d", *SUMS)
    for step in (None, *d.steps):
        mathml = shown_mathml(d, step)
        assert not re.search(r"</munderover>\s*<mrow>\s*" + OPEN, mathml), mathml
        assert len(re.findall(OPEN, mathml)) == 1  # the log's own bracket only
    assert not re.search(r"<mn>2</mn><mo>\u2062</mo><mrow>" + OPEN, shown_mathml(d, d.steps[1]))
    assert shown_latex(d, d.steps[1]) == r"2 \sum_{d=1}^{D} \log{\left(\sigma_{d} \right)}"
    assert shown_pretty(d, d.steps[0]) == "Σ_{d=1}^{D} 2·log(σ_d)"


def test_a_bracketed_sum_body_keeps_its_one_pair():
    d = _tex(r"\sum_{d=1}^{D}\left(\sigma_d - 1\right) &= \sum_{d=1}^{D}\sigma_d - D", *SUMS)
    assert len(re.findall(OPEN, shown_mathml(d))) == 1
    assert shown_latex(d) == r"\sum_{d=1}^{D} \left(\sigma_{d} - 1\right)"


def test_a_sign_and_a_product_stay_as_written():
    """Defect: \\log|ad - 0\\cdot c| was shown log(|ad + 0c|)."""
    d = _tex(r"\log\begin{vmatrix} a & 0 \\ c & d \end{vmatrix} &= \log|ad - 0\cdot c|",
             "% symbols: a, d : positive", "% symbols: c : real")
    step = d.steps[0]
    assert shown_pretty(d, step) == "log(|a·d − 0·c|)"
    assert r"a d - 0 \cdot c" in shown_latex(d, step)
    mathml = shown_mathml(d, step)
    assert "<mo>+</mo>" not in mathml and "<mo>−</mo>" in mathml
    assert re.search(r"<mn>0</mn><mo>·</mo><mi>c</mi>", mathml)


def test_the_text_report_of_a_tex_file_shows_the_author_expression(tmp_path):
    """Defect: the plain-text report of .tex steps showed SymPy's canonical form."""
    path = tmp_path / "order.tex"
    path.write_text("% symbols: a, b : positive\n\\begin{align*}\n"
                    "\\log(b a) &= \\log b + \\log a \\\\\n"
                    "&= \\frac{1}{2}\\left(2\\log b + 2\\log a\\right)\n\\end{align*}\n",
                    encoding="utf-8")  # fmt: skip
    from elbo_derivation.report.text import render_check_text

    out = render_check_text(check_file(path))
    assert "log(b·a)" in out and "= log(b) + log(a)" in out
    assert "= 1/2·(2·log(b) + 2·log(a))" in out
    assert not re.search(r"\*\*|\w\*\w|sqrt\(", out)


def test_half_and_divisions_as_written():
    d = _tex(r"\frac{1}{2}\left(h + g^2 - \log h - 1\right) &= \frac{h}{2} + \frac{1}{2} g^2"
             r" - \frac12\log h - \frac{1}{2} \\" "\n"
             r"&= \frac{1}{1 + e^{-g}}\left(1 + \frac{h}{1 + e^{-g}}\right)",
             "% symbols: h : positive", "% symbols: g : real")
    assert shown_pretty(d) == "1/2·(h + g² − log(h) − 1)"
    assert shown_latex(d) == r"\frac{1}{2} \left(h + g^{2} - \log{\left(h \right)} - 1\right)"
    assert shown_pretty(d, d.steps[0]) == "h/2 + 1/2·g² − 1/2·log(h) − 1/2"
    assert shown_pretty(d, d.steps[1]) == "1/(1 + e^(−g))·(1 + h/(1 + e^(−g)))"
    assert shown_latex(d, d.steps[1]).startswith(r"\frac{1}{1 + e^{-g}} \left(1 + ")


def test_a_division_stays_where_it_was_written_in_a_deriv_file():
    d = read_any(CORPUS / "conjugate" / "wrong" / "gamma_mean.s3.ratio-flipped.deriv")
    step = d.steps[0]  # b^a/gamma(a)*Integral(...)
    assert shown_pretty(d, step) == "b^a/Γ(a)·∫_0^∞ τ^a·exp(−b·τ) dτ"
    assert shown_latex(d, step).startswith(r"\frac{b^{a}}{\Gamma\left(a\right)} \int")
    assert r"\text{Infinity}" not in shown_latex(d, step) and r"^{\infty}" in shown_latex(d, step)


def test_a_density_declared_in_a_family_keeps_its_name():
    for name in ("tomczak_prior_cross_entropy.s2.second-moment-missing-mean.tex",
                 "tomczak_prior_cross_entropy.s2.second-moment-missing-mean.deriv"):
        d = read_any(CORPUS / "elbo" / "wrong" / name)
        assert shown_latex(d, d.steps[0]).startswith(r"\mathbb{E}_{q(z)}\left[")
        assert shown_pretty(d, d.steps[0]).startswith("E_q(z)[")
        assert "<mi>π</mi>" not in shown_mathml(d, d.steps[0]).split("[")[0]


def test_constants_and_greek_subscripts():
    import sympy as sp

    x = sp.Symbol("x")
    assert latex_expr(sp.Integral(x, (x, 0, sp.oo))) == r"\int_{0}^{\infty} x \, dx"
    assert pretty_name("q_phi") == "q_φ" and pretty_name("p_theta") == "p_θ"


def test_factor_on_one_term_quotes_the_author_terms():
    """Defect: the explanation showed SymPy's regrouped form β·E[log q] + E[−log p(z)]."""
    path = CORPUS / "elbo" / "wrong" / "beta_vae_objective.s2.factor-on-one-term.tex"
    d = check_file(path)
    r = d.steps[1].result
    assert r.mistake == "factor-on-one-term"
    assert "−log(p(z)) was written without it" in r.explanation
    assert "β·E_q(z|x)[log(q(z|x)) − log(p(z))]" in r.explanation
    assert "E_q(z|x)[−log(p(z))]" not in r.explanation


def test_the_part_that_differs_in_the_author_order():
    d = _tex(r"3 &= 2\left(b + a\right) - 2b - 2a + 3", "% symbols: a, b : real")
    a, b = d.symbols["a"], d.symbols["b"]
    assert shown_part(2 * a + 2 * b, d, d.steps[0]) == "2·(b + a)"


@pytest.mark.parametrize("name", ["beta_vae_objective.s2.factor-on-one-term.tex",
                                  "beta_vae_objective.s2.factor-on-one-term.deriv"])
def test_json_and_explain_carry_no_python_syntax(name, capsys):
    from elbo_derivation.cli import main

    path = CORPUS / "elbo" / "wrong" / name
    main(["check", "--json", str(path)])
    data = json.loads(capsys.readouterr().out)
    main(["check", "--explain", str(path)])
    text = capsys.readouterr().out
    shown = [text] + [str(s.get(k)) for s in data["steps"]
                      for k in ("lhs", "rhs", "explanation", "subexpression", "expected",
                                "expected_step")]  # fmt: skip
    for t in shown:
        assert not re.search(r"\*\*|\w\*\w|Symbol\(|Integral\(|sqrt\(|\(z, x\)", t), t


# --- the author's notation kept (ln, powers, bars, sequences, joint densities, ψ, rules) ---

def _deriv(text: str):
    from elbo_derivation.read.deriv import parse_derivation

    return parse_derivation(text, file="t.deriv")


def test_a_negative_power_stays_a_power():
    """Defect: \\left(a + b\\right)^{-1} was shown 1/(a + b)."""
    d = _tex(r"\left(a + b\right)^{-1} &= \frac{1}{b + a}", "% symbols: a, b : positive")
    assert shown_pretty(d) == "(a + b)⁻¹"
    assert shown_latex(d) == r"\left(a + b\right)^{-1}"
    mathml = shown_mathml(d)
    assert "<msup>" in mathml and "<mfrac>" not in mathml and "<mo>−</mo><mn>1</mn>" in mathml
    assert shown_pretty(d, d.steps[0]) == "1/(b + a)"  # a fraction written stays one
    f = _tex(r"c\left(a + b\right)^{-1} &= \frac{c}{a + b}", "% symbols: a, b, c : positive")
    assert shown_pretty(f) == "c·(a + b)⁻¹" and shown_latex(f) == r"c \left(a + b\right)^{-1}"
    e = _deriv("symbols: a, b : positive\n  (a + b)^(-2)\n= 1/(a + b)^2  # a power")
    assert shown_latex(e) == r"\left(a + b\right)^{-2}" and shown_pretty(e) == "(a + b)⁻²"


def test_ln_stays_ln():
    """Defect: \\ln was shown log."""
    d = _tex(r"\ln(a b) &= \ln a + \log b", "% symbols: a, b : positive")
    assert shown_pretty(d) == "ln(a·b)"
    assert shown_pretty(d, d.steps[0]) == "ln(a) + log(b)"
    assert shown_latex(d, d.steps[0]).startswith(r"\ln{\left(a \right)} + \log")
    assert "<mi>ln</mi>" in shown_mathml(d) and "<mi>log</mi>" not in shown_mathml(d)
    e = _deriv("symbols: a, b : positive\n  ln(a*b)\n= ln(a) + ln(b)  # product")
    assert r"\ln" in shown_latex(e) and "<mi>ln</mi>" in shown_mathml(e, e.steps[0])


def test_a_vmatrix_is_shown_with_bars():
    """Defect: |…| written with vmatrix was shown det[…]."""
    d = _tex(r"\ln\begin{vmatrix} a & 0 \\ c & d \end{vmatrix} &= \ln a + \ln d",
             "% symbols: a, d : positive", "% symbols: c : real")
    assert shown_pretty(d) == "ln(|a, 0; c, d|)"
    assert r"\begin{vmatrix} a & 0 \\ c & d \end{vmatrix}" in shown_latex(d)
    mathml = shown_mathml(d)
    assert "det" not in mathml and re.search(r'<mo[^>]*stretchy="true"[^>]*>\|</mo><mtable>',
                                             mathml)


def test_a_declared_sequence_is_shown_with_a_subscript():
    """Defect: a .deriv sequence mu(d) was shown μ(d)."""
    d = read_any(CORPUS / "sums" / "kl_diag_sum_logvar.deriv")
    assert shown_pretty(d) == "Σ_{d=1}^{D} (exp(l_d) + μ_d² − l_d − 1)/2"
    assert r"\mu_{d}^{2}" in shown_latex(d) and "l(d)" not in shown_latex(d)
    assert re.search(r"<msub(sup)?><mi>μ</mi><mi>d</mi>", shown_mathml(d))  # μ_d²: msubsup


def test_an_expectation_over_a_joint_density_is_one_expectation():
    """Defect: E_{p(x,y)}[…] was shown as two expectations, E_p(x)[E_p(y|x)[…]]."""
    d = _tex(r"\mathbb{E}_{p(x, y)}\left[\ln p(x, y)\right] &= "
             r"\mathbb{E}_{p(x,y)}\left[\ln p(x) + \ln p(y|x)\right] && \text{product rule}",
             "% symbols: x, y : real", "% densities: p(x, y), p(x), p(y|x)")
    assert shown_pretty(d) == "E_p(x, y)[ln(p(x, y))]"
    assert shown_latex(d, d.steps[0]).startswith(r"\mathbb{E}_{p(x, y)}\left[\ln")
    assert shown_mathml(d).count("𝔼") == 1


def test_a_density_at_an_iid_copy_keeps_its_argument():
    """Defect: q(z|x_1) was shown q(z|x)."""
    d = _tex(r"\mathbb{E}_{q(z|x_1)}\left[\log q(z|x_1) - \log p(z)\right] &= "
             r"\mathbb{E}_{q(z|x_1)}\left[\log q(z|x_1)\right] - "
             r"\mathbb{E}_{q(z|x_1)}\left[\log p(z)\right]",
             "% symbols: z, x, x_1 : real", "% densities: q(z|x), p(z)")
    assert shown_pretty(d) == "E_q(z|x₁)[log(q(z|x₁)) − log(p(z))]"
    assert "q(z|x_{1})" in shown_latex(d) and "q(z|x)" not in shown_latex(d)
    assert re.search(r"<msub><mi>x</mi><mn>1</mn></msub>", shown_mathml(d))


def test_digamma_is_psi():
    """Defect: digamma was shown digamma(·) or polygamma(0, ·)."""
    import sympy as sp

    from elbo_derivation.report.handout import mathml_expr
    from elbo_derivation.report.pretty import pretty

    d = _deriv("symbols: a : positive\n  diff(log(gamma(a)), a)\n= digamma(a)  # definition")
    assert shown_pretty(d, d.steps[0]) == "ψ(a)"
    assert shown_latex(d, d.steps[0]) == r"\psi\left(a\right)"
    assert "<mi>ψ</mi>" in shown_mathml(d, d.steps[0])
    a = sp.Symbol("a", positive=True)
    assert pretty(sp.polygamma(0, a)) == "ψ(a)" and latex_expr(sp.polygamma(0, a)).startswith(
        r"\psi")
    assert "polygamma" not in mathml_expr(sp.polygamma(0, a))


def test_rules_are_said_in_the_author_notation(capsys):
    """Defects: Σ_{i=1}^{D} in a rule where the author's index is d; the product rule in the
    letters x, z where the author wrote x, y; declared names shown p_theta."""
    from elbo_derivation.cli import main
    from elbo_derivation.report.text import render_check_text

    out = render_check_text(check_file(CORPUS / "sums" / "kl_diag_sum_logvar.deriv"),
                            explain=True)
    assert "Σ_{d=1}^{D} c = D·c" in out and "Σ_{i=1}" not in out
    d = _tex(r"\mathbb{E}_{p(x, y)}\left[\log p(x, y)\right] &= "
             r"\mathbb{E}_{p(x,y)}\left[\log p(x) + \log p(y|x)\right] && \text{product rule}",
             "% symbols: x, y : real", "% densities: p(x, y), p(x), p(y|x)")
    from elbo_derivation.pipeline import check_derivation

    out = render_check_text(check_derivation(d), explain=True)
    assert "product rule p(x, y) = p(y|x) p(x)" in out, out
    main(["check", "--json", str(CORPUS / "elbo" / "kingma_welling_bound.deriv")])
    data = json.loads(capsys.readouterr().out)
    said = [str(s.get(k)) for s in data["steps"] for k in ("rule", "explanation")]
    assert any("p_θ(z|x)" in t for t in said) and not any("p_theta" in t for t in said)
    text = render_check_text(check_file(CORPUS / "elbo" / "kingma_welling_bound.deriv"))
    assert "multiply and divide by q_φ" in text  # a declared density's name in the prose


def test_the_way_back_and_the_change_are_the_author_form():
    """Defects: 'the step should have read' in SymPy's expanded form when no part was
    located; an extra ½ explained with parts the author never wrote (−log(1 − c)/2 became
    −log(1 − c)/4, on the prior-matching term of Luo 2022, eq. (58))."""
    from elbo_derivation.report.pretty import shown_change
    from elbo_derivation.report.text import render_check_text

    luo = (CORPUS / "diffusion" / "luo_prior_matching.deriv").read_text(encoding="utf-8")
    wrong = luo.replace("(c*(x0^2 - 1) - log(1 - c))/2", "(c*(x0^2 - 1) - log(1 - c)/2)/2")
    assert wrong != luo
    d = _deriv(wrong)
    from elbo_derivation.pipeline import check_derivation

    out = render_check_text(check_derivation(d, time_limit=20))
    assert d.steps[1].result.mistake == "extra-half", out
    assert "log(1 − c) became log(1 − c)/2" in out, out
    said = next(line for line in out.splitlines() if "mistake: extra-half" in line)
    assert "−log(1 − c)/4" not in said
    assert "the step should have read (c·(x₀² − 1) − log(1 − c))/2" in out, out
    # the whole step halved once more: the author's bracket, not SymPy's expansion
    e = _deriv(luo.replace("= (1 - c + c*x0^2 - log(1 - c) - 1)/2",
                           "= (1 - c + c*x0^2 - log(1 - c) - 1)/4"))
    c, x0 = e.symbols["c"], e.symbols["x0"]
    right = (1 - c + c * x0**2 - __import__("sympy").log(1 - c) - 1) / 2
    assert shown_change(e, e.steps[0], right, right / 2, right) == (
        "(1 − c + c·x₀² − log(1 − c) − 1)/2", "(1 − c + c·x₀² − log(1 − c) − 1)/4")
