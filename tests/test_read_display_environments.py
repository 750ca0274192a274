"""A derivation in any display environment a paper or a set of notes uses — ``equation``
around ``split``, ``eqnarray``, ``$$ … $$``, a ``multline`` broken over lines, a ``gather``
of one row — is read as its author wrote it; an equation number (``\\tag{3}``) is not a
justification, a ``\\tag`` in words is; an annotation column with mathematics in it keeps
its order; and a variance is shown as the Var the author wrote, not as its definition."""

from __future__ import annotations

import pytest

from elbo_derivation.core.steps import Verdict
from elbo_derivation.pipeline import check_derivation
from elbo_derivation.read.tex import parse_tex_derivation
from elbo_derivation.report.handout import shown_mathml
from elbo_derivation.report.latex import shown_latex
from elbo_derivation.report.pretty import shown_pretty

HEAD = ("% symbols: {m} : real\n% symbols: {s} : positive\n"
        "% densities: {q}({v}) = \\mathcal{{N}}({v}; {m}, {s}^2)\n")
FIRST = "\\mathbb{{E}}_{{{q}}}[{v}^2]"
MIDDLE = "\\mathrm{{Var}}_{{{q}}}[{v}] + \\mathbb{{E}}_{{{q}}}[{v}]^2"
LAST = "{s}^2 + {m}^{power}"

ENVIRONMENTS = {
    "equation+split": ("\\begin{{equation}}\n\\begin{{split}}\n{a} &= {b} \\\\\n&= {c}\n"
                       "\\end{{split}}\n\\end{{equation}}\n"),
    "eqnarray": "\\begin{{eqnarray*}}\n{a} &=& {b} \\\\\n&=& {c}\n\\end{{eqnarray*}}\n",
    "$$": "$$\n{a} = {b} = {c}\n$$\n",
    "multline": "\\begin{{multline*}}\n{a} = {b} \\\\\n= {c}\n\\end{{multline*}}\n",
    "gather": "\\begin{{gather*}}\n{a} = {b} = {c}\n\\end{{gather*}}\n",
    "alignedat": ("\\[\n\\begin{{alignedat}}{{2}}\n{a} &= {b} \\\\\n&= {c}\n"
                  "\\end{{alignedat}}\n\\]\n"),
}


def _file(env: str, letters: dict[str, str], power: str) -> str:
    parts = {k: t.format(power=power, **letters) for k, t in
             (("a", FIRST), ("b", MIDDLE), ("c", LAST))}
    return HEAD.format(**letters) + ENVIRONMENTS[env].format(**parts)


@pytest.mark.parametrize("env", sorted(ENVIRONMENTS))
@pytest.mark.parametrize("letters", [{"m": "\\mu", "s": "\\sigma", "q": "q", "v": "z"},
                                     {"m": "b", "s": "w", "q": "R", "v": "t"}])
def test_every_display_environment_is_read_and_checked(env: str,
                                                       letters: dict[str, str]) -> None:
    right = check_derivation(parse_tex_derivation(_file(env, letters, "2"), file="e.tex"))
    assert [s.result.verdict for s in right.steps] == [Verdict.PROVED, Verdict.PROVED]
    wrong = check_derivation(parse_tex_derivation(_file(env, letters, "3"), file="e.tex"))
    assert wrong.steps[-1].result.verdict is Verdict.REFUTED


def test_a_variance_is_shown_as_written_in_every_renderer() -> None:
    d = parse_tex_derivation(_file("eqnarray", {"m": "\\mu", "s": "\\sigma", "q": "q",
                                                "v": "z"}, "2"), file="e.tex")
    step = d.steps[0]
    assert shown_pretty(d, step) == "Var_q(z)[z] + E_q(z)[z]²"
    assert shown_latex(d, step).startswith("\\operatorname{Var}_{q(z)}\\left[z\\right]")
    assert ">Var<" in shown_mathml(d, step)


def test_an_equation_number_is_not_a_justification_and_words_are() -> None:
    text = HEAD.format(m="m", s="s", q="q", v="z") + (
        "\\begin{align}\n\\mathbb{E}_{q}[z^2] &= \\mathrm{Var}_q[z] + \\mathbb{E}_q[z]^2 "
        "\\tag{3.1} \\\\\n&= s^2 + m^2 \\tag{moments of q}\n\\end{align}\n")
    d = parse_tex_derivation(text, file="e.tex")
    assert [s.justification for s in d.steps] == ["", "moments of q"]


def test_an_annotation_with_mathematics_keeps_its_order() -> None:
    text = HEAD.format(m="m", s="s", q="q", v="z") + (
        "\\begin{align*}\n\\mathbb{E}_{q}[z^2] &= s^2 + m^2 && \\text{(moments of } q "
        "\\text{)}\n\\end{align*}\n")
    d = parse_tex_derivation(text, file="e.tex")
    assert d.steps[0].justification == "(moments of q)"


@pytest.mark.parametrize(("over", "reason"), [
    ("\\stackrel{(a)}{=}", "(a)"), ("\\overset{\\text{moments}}{=}", "moments"),
    ("\\underset{\\text{by } q}{=}", "by q")])
@pytest.mark.parametrize("power", ["2", "3"])
def test_a_label_over_a_relation_is_its_reason(over: str, reason: str, power: str) -> None:
    rows = HEAD.format(m="b", s="w", q="R", v="t") + (
        f"\\begin{{align*}}\n\\mathbb{{E}}_{{R}}[t^2] &{over} w^2 + b^{power}\n\\end{{align*}}\n")
    chain = HEAD.format(m="b", s="w", q="R", v="t") + (
        f"\\begin{{equation}}\n\\mathbb{{E}}_{{R}}[t^2] {over} w^2 + b^{power}\n"
        "\\end{equation}\n")
    for text in (rows, chain):
        d = check_derivation(parse_tex_derivation(text, file="e.tex"))
        assert d.steps[0].justification == reason
        assert (d.steps[0].result.verdict is Verdict.PROVED) == (power == "2")


def test_an_inequality_with_its_reason_over_it() -> None:
    text = HEAD.format(m="b", s="w", q="R", v="t") + (
        "\\begin{align*}\n\\log \\mathbb{E}_{R}[e^{t}] &\\overset{\\text{Jensen}}{\\geq} "
        "\\mathbb{E}_R[t] \\\\\n&= b\n\\end{align*}\n")
    d = check_derivation(parse_tex_derivation(text, file="e.tex"))
    assert d.steps[0].justification == "Jensen"
    assert [s.result.verdict for s in d.steps] == [Verdict.PROVED, Verdict.PROVED]


@pytest.mark.parametrize("defines", [":=", "\\coloneqq", "\\triangleq"])
def test_a_defined_name_before_a_definition_sign_is_a_label(defines: str) -> None:
    text = HEAD.format(m="b", s="w", q="R", v="t") + (
        f"\\begin{{align*}}\nm_2 {defines} \\mathbb{{E}}_{{R}}[t^2] &= w^2 + b^2\n"
        "\\end{align*}\n")
    d = check_derivation(parse_tex_derivation(text, file="e.tex"))
    assert d.start_text.strip().startswith("\\mathbb{E}")
    assert d.steps[0].result.verdict is Verdict.PROVED


@pytest.mark.parametrize("kl", [
    "\\mathbb{KL}(R \\| P)", "\\mathrm{D}_{\\mathrm{KL}}(R \\| P)",
    "\\mathcal{D}_{\\mathrm{KL}}(R \\| P)", "D_\\mathrm{KL}(R \\| P)",
    "\\mathbb{D}_{\\text{KL}}\\left(R \\| P\\right)", "\\operatorname{KL}(R \\| P)"])
@pytest.mark.parametrize(("last", "right"), [("1", True), ("2", False)])
def test_every_spelling_of_the_kl_divergence_books_print(kl: str, last: str,
                                                         right: bool) -> None:
    text = ("% symbols: b : real\n% symbols: w : positive\n"
            "% densities: R(t) = \\mathcal{N}(t; b, w^2), P(t) = \\mathcal{N}(t; 0, 1)\n"
            f"\\begin{{align*}}\n{kl} &= \\frac{{1}}{{2}}(w^2 + b^2 - {last} - \\log w^2)\n"
            "\\end{align*}\n")
    d = check_derivation(parse_tex_derivation(text, file="k.tex"))
    assert d.steps[0].result.verdict is (Verdict.PROVED if right else Verdict.REFUTED)


@pytest.mark.parametrize(("over", "right"), [
    ("\\sum_{j \\in \\{0, 1\\}} u^j (1 - u)^{1 - j} j", "u"),
    ("\\sum_{j \\in \\{1, \\dots, M\\}} (v_j + 1)", "M + \\sum_{j=1}^{M} v_j"),
    ("\\prod_{j \\in \\{1, \\ldots, M\\}} e^{v_j}", "e^{\\sum_{j=1}^{M} v_j}")])
@pytest.mark.parametrize("wrong", [False, True])
def test_a_sum_or_product_over_a_set_written_out(over: str, right: str, wrong: bool) -> None:
    text = ("% symbols: 0 < u < 1\n% symbols: j : integer\n% symbols: M : positive integer\n"
            "% functions: v_j : real\n"
            f"\\begin{{align*}}\n{over} &= {right}{' + 1' if wrong else ''}\n\\end{{align*}}\n")
    d = check_derivation(parse_tex_derivation(text, file="s.tex"))
    assert d.steps[0].result.verdict is (Verdict.REFUTED if wrong else Verdict.PROVED)


def test_a_set_that_is_not_a_range_is_not_guessed() -> None:
    from elbo_derivation.errors import DerivationSyntaxError

    text = ("% symbols: j : integer\n\\begin{align*}\n\\sum_{j \\in \\{0, 2\\}} j &= 2\n"
            "\\end{align*}\n")
    with pytest.raises(DerivationSyntaxError):
        parse_tex_derivation(text, file="s.tex")


@pytest.mark.parametrize("name", ["\\mathcal{L}(\\theta, \\phi; t)", "\\mathrm{ELBO}",
                                  "\\mathcal{F}", "J(\\theta)", "L"])
@pytest.mark.parametrize("wrong", [False, True])
def test_the_name_of_an_objective_in_the_first_row_is_a_label(name: str, wrong: bool) -> None:
    text = ("% symbols: t : real\n% densities: R(s|t), P(t|s), P(s), P(t, s)\n"
            f"\\begin{{align*}}\n{name} &= \\mathbb{{E}}_{{R(s|t)}}[\\log P(t, s) - \\log R(s|t)]"
            " \\\\\n&= \\mathbb{E}_{R(s|t)}[\\log P(t|s)] - \\mathrm{KL}(R(s|t) \\| P(s))"
            f"{' + 1' if wrong else ''}\n\\end{{align*}}\n")
    d = check_derivation(parse_tex_derivation(text, file="l.tex"))
    assert d.start_text.startswith("\\mathbb{E}") and len(d.steps) == 1
    assert d.steps[0].result.verdict is (Verdict.REFUTED if wrong else Verdict.PROVED)


def test_a_declared_name_in_the_first_row_is_mathematics() -> None:
    text = ("% symbols: L : positive\n\\begin{align*}\nL &= L^{1} \\\\\n&= 2L\n\\end{align*}\n")
    d = check_derivation(parse_tex_derivation(text, file="l.tex"))
    assert len(d.steps) == 2 and d.steps[1].result.verdict is Verdict.REFUTED


def test_the_product_rule_is_said_with_the_family_whose_joint_it_factors() -> None:
    from elbo_derivation.report.notation import in_author_notation

    text = ("% symbols: t : real\n% densities: R_\\phi(s|t), P_\\theta(t|s), P_\\theta(s), "
            "P_\\theta(t, s)\n\\begin{align*}\n\\mathbb{E}_{R_\\phi(s|t)}[\\log P_\\theta(t, s) "
            "- \\log R_\\phi(s|t)] &= \\mathbb{E}_{R_\\phi(s|t)}[\\log P_\\theta(t|s)] "
            "- \\mathrm{KL}(R_\\phi(s|t) \\| P_\\theta(s))\n\\end{align*}\n")
    d = check_derivation(parse_tex_derivation(text, file="p.tex"))
    said = in_author_notation(d.steps[0].result.rule, d, d.steps[0])
    assert "product rule P_θ(t, s) = P_θ(t|s) P_θ(s)" in said and "R_φ(t, s)" not in said


def test_an_indicator_is_shown_as_an_indicator_in_every_renderer() -> None:
    from elbo_derivation.report.handout import shown_mathml

    text = ("% symbols: r, w : positive\n% densities: P(t) = \\mathrm{Exponential}(r)\n"
            "\\begin{align*}\n\\Pr(t \\le w) &= \\mathbb{E}_{P(t)}[\\mathbb{1}[t \\le w]] \\\\\n"
            "&= 1 - e^{-r w}\n\\end{align*}\n")
    d = check_derivation(parse_tex_derivation(text, file="i.tex"))
    assert [s.result.verdict for s in d.steps] == [Verdict.PROVED, Verdict.PROVED]
    step = d.steps[0]
    shown = (shown_pretty(d, step), shown_latex(d, step), shown_mathml(d, step))
    assert not any("Piecewise" in s or "cases" in s for s in shown)
    assert "1[t ≤ w]" in shown[0] and "\\mathbb{1}" in shown[1] and "𝟙" in shown[2]
    # the probability as written, P(t ≤ w), not the expectation it is checked as
    assert shown_pretty(d, None) == "P(t ≤ w)" and "\\Pr" in shown_latex(d, None)
