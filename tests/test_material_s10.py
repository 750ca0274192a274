"""The tenth material pass: defects a lecturer saw on opening the handout, the slides and
the LaTeX export built from corpus files, each with a test that catches it."""

from __future__ import annotations

import re

import pytest
import sympy as sp

from elbo_derivation.core.steps import Derivation, Relation, Step
from elbo_derivation.read.tex import parse_tex_derivation
from elbo_derivation.report.handout import prose_html, render_html, shown_mathml


def _tex(body: str, *declarations: str) -> Derivation:
    return parse_tex_derivation("\n".join([*declarations, r"\begin{align*}", body,
                                           r"\end{align*}"]), file="t.tex")  # fmt: skip


def _text(mathml: str) -> str:
    """The characters of a MathML fragment, in order (what a reader sees, line by line)."""
    return "".join(re.findall(r">([^<>]+)<", mathml))


def test_the_derivative_of_a_sum_keeps_its_brackets():
    """Defect: ∂/∂a(−t ln σ(a) − (1 − t) ln(1 − σ(a))) was shown ∂/∂a −t ln σ(a) − …, which
    reads as the derivative of the first term alone."""
    d = _tex(r"\frac{\partial}{\partial u}\left(u^2 - w u\right) &= 2u - w",
             r"% symbols: u, w : real")
    shown = _text(shown_mathml(d))
    assert re.search(r"∂u\((.*)\)$", shown), shown  # the whole sum, in brackets
    single = _tex(r"\frac{\partial}{\partial u} u^2 &= 2u", r"% symbols: u : real")
    assert "(" not in _text(shown_mathml(single))  # a single term needs none


def test_e_to_a_negative_power_is_shown_as_written():
    """Defect: e^{-a} a^k / k! was shown with 1/e^a, a fraction inside the fraction."""
    d = _tex(r"\frac{e^{-a}a^k}{k!} &= \frac{a^k}{k!\,e^{a}}",
             r"% symbols: k : integer", r"% symbols: a : positive")
    start = shown_mathml(d)
    assert re.search(r"<msup><mi>e</mi><mrow><mo>−</mo>", start), start
    assert start.count("<mfrac>") == 1, start  # one fraction, as written


def test_prose_subscripts_after_an_accented_letter():
    """Defect: the errata showed Σ_d (x_d − x̂_d)² with a raw ``_d`` after the hat."""
    assert prose_html("x̂_d and x_d") == "x̂<sub>d</sub> and x<sub>d</sub>"


def test_the_errata_show_no_python_syntax():
    """Defect: an erratum ended '… differs from it by (h**2 - h - log(h))/2'."""
    from elbo_derivation import verification

    for e in verification.run_errata():
        for text in (e["explanation"], e.get("summary") or ""):
            assert "**" not in text and not re.search(r"\w\*\w", text), text
            assert not re.search(r"\[\d", text), text  # no Python list of numbers
    checks = [e.get("summary") or "" for e in verification.run_errata()]
    assert any("(h² − h − log(h))/2" in s for s in checks), checks


def test_a_handout_of_own_files_has_no_errata_section():
    """Defect: a handout of a lecturer's own files listed 'Errata of the notes' in its
    contents and said 'No errata: these are your own derivations.'"""
    a = sp.Symbol("a", positive=True)
    d = Derivation(title="t", symbols={"a": a}, start=sp.log(a**2), name="t",
                   steps=[Step(1, Relation.EQ, 2 * sp.log(a), "log of a power")])
    own = render_html([d], errata=None, errata_note=None)
    assert "Errata" not in own and 'id="errata"' not in own
    notes = render_html([d], errata=None, errata_note="not built yet")
    assert 'href="#errata"' in notes and "not built yet" in notes


def test_the_class_summary_counts_files_in_whole_numbers():
    """Defect: the marks page's histogram of files had ticks 0.5, 1.5, 2.5 and its sentence
    said 'Mean 2.5714'; the score '10 / 10' broke over two lines."""
    import matplotlib.pyplot as plt

    from elbo_derivation.marking import Mark
    from elbo_derivation.report.marks import marks_html, summary_figure

    marks = [Mark(f"s{i}.tex", "marked", steps=3, score=v, max_score=10.0)
             for i, v in enumerate([0.0, 0.0, 0.0, 0.0, 2.5, 5.5, 10.0])]  # fmt: skip
    fig = summary_figure(marks)
    ticks = fig.axes[0].get_yticks()
    plt.close(fig)
    assert len(ticks) >= 2 and all(float(t).is_integer() for t in ticks), ticks
    page = marks_html(marks)
    assert "Mean 2.57," in page and "2.5714" not in page
    assert '<td class="score">10 / 10</td>' in page and "white-space: nowrap" in page


@pytest.fixture(scope="module")
def sign_error() -> Derivation:
    """A corpus derivation checked, whose steps 2 and 3 are refuted as sign errors."""
    from pathlib import Path

    from elbo_derivation.verification import check_file

    corpus = Path(__file__).resolve().parent / "corpus"
    return check_file(corpus / "derivatives" / "wrong"
                      / "bishop_sigmoid_cross_entropy_gradient.s2.sign-error.tex")


def test_the_latex_handout_says_why_a_step_is_refuted(sign_error):
    """Defect: the LaTeX handout marked a step '× refuted' and said no more, where the HTML
    handout gives the counterexample and the likely mistake."""
    from elbo_derivation.report.handout import render_tex

    tex = render_tex([sign_error], title="t")
    line = next(x for x in tex.splitlines() if x.startswith(r"{\footnotesize") and "Step 2:" in x)
    assert "at $a$ = 1" in line or "at a = 1" in line, line
    assert "likely mistake: sign-error" in line and r"\textsuperscript{a}" in line, line
    assert r"\^{}" not in tex  # no caret printed as a character
    assert not any("Step 1:" in x for x in tex.splitlines())  # a proved step: nothing


def test_the_beamer_deck_names_the_mistake_as_the_html_deck_does(sign_error):
    """Defect: a refuted step's Beamer slide said only 'refuted'; the HTML deck's slide says
    '— likely mistake: sign-error'."""
    from elbo_derivation.report.slides import beamer_deck, html_deck

    beamer = beamer_deck([sign_error], title="t")
    html = html_deck([sign_error], title="t")
    assert beamer.count("likely mistake: sign-error") == 2, beamer
    assert html.count("likely mistake: sign-error") == 2
    assert "likely mistake" not in beamer_deck([sign_error], title="t", verdicts=False)


def test_two_parts_of_one_file_are_told_apart_in_every_heading(tmp_path):
    """Defect: a file with two align* environments gave two sections (and two contents
    entries, two slide titles) with the same title, 'The leave-one-out REINFORCE baseline'."""
    from elbo_derivation.report.handout import render_html, render_tex
    from elbo_derivation.report.slides import beamer_deck, html_deck

    f = tmp_path / "two.tex"
    f.write_text("% title: Two squares\n% symbols: u : real\n"
                 "\\begin{align*}\n(u + 1)^2 &= u^2 + 2u + 1\n\\end{align*}\n"
                 "% part: the difference\n"
                 "\\begin{align*}\n(u + 1)^2 - (u - 1)^2 &= 4u\n\\end{align*}\n",
                 encoding="utf-8")  # fmt: skip
    first = parse_tex_derivation(f.read_text(encoding="utf-8"), file=str(f))
    parts = first.parts
    assert len(parts) == 2
    page = render_html(parts, errata_note=None)
    assert "<h2>Two squares (part 1 of 2)</h2>" in page
    assert "<h2>Two squares (part 2 of 2: the difference)</h2>" in page
    assert page.count("Two squares (part 2 of 2: the difference)</a></li>") == 1  # contents
    assert r"\subsection*{Two squares (part 2 of 2: the difference)}" in render_tex(parts)
    assert "{Two squares (part 1 of 2)}" in beamer_deck(parts)
    assert "<li>Two squares (part 2 of 2: the difference)</li>" in html_deck(parts)
    alone = parse_tex_derivation("% title: One\n\\begin{align*}\n1 &= 1\n\\end{align*}\n",
                                 file="one.tex")  # fmt: skip
    assert "<h2>One</h2>" in render_html([alone])  # one part: the title alone


def test_a_log_of_bars_is_shown_without_added_brackets():
    r"""Defect: \log|\Sigma_1| was shown log(|Σ₁|), brackets the author never wrote."""
    d = _tex(r"\log|x| + \ln|x| &= 2\log x", r"% symbols: x : real")
    assert _text(shown_mathml(d)) == "log|x|+ln|x|"
    assert _text(shown_mathml(d, d.steps[0])) == "2⁢log(x)"  # a plain argument keeps them


def test_the_latex_export_writes_log_of_bars_as_written():
    r"""The LaTeX export wrote \log{\left(\left|x\right|\right)}; now \log\left|x\right|, which
    reads back to the expression that was checked."""
    from elbo_derivation.report.latex import shown_latex

    d = _tex(r"\log|x| + \ln|x| &= 2\log x", r"% symbols: x : positive")
    tex = shown_latex(d)
    assert tex == r"\log\left|{x}\right| + \ln\left|{x}\right|", tex
    again = _tex(tex + r" &= 2\log x", r"% symbols: x : positive")
    assert sp.simplify(again.start - d.start) == 0
