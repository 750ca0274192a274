"""The eleventh material pass: the log of a named function shown as written, and the Beamer
export built to a complete PDF."""

from __future__ import annotations

import re

import sympy as sp

from elbo_derivation.core.steps import Derivation
from elbo_derivation.read.tex import latex_to_sympy, parse_tex_derivation
from elbo_derivation.report.handout import shown_mathml
from elbo_derivation.report.latex import shown_latex
from elbo_derivation.report.pretty import shown_pretty

# Bishop, PRML (2006), sec. 5.2, eq. (5.21): the cross-entropy of one sigmoid output
BISHOP = r"-t\ln\sigma(a) - (1-t)\ln\left(1 - \sigma(a)\right) &= -t\ln\sigma(a) + \ln(a)"


def _tex(body: str, *declarations: str) -> Derivation:
    return parse_tex_derivation("\n".join([*declarations, r"\begin{align*}", body,
                                           r"\end{align*}"]), file="t.tex")  # fmt: skip


def _text(mathml: str) -> str:
    return "".join(re.findall(r">([^<>]+)<", mathml))


def test_the_log_of_a_sigmoid_is_shown_as_written():
    """Defect: \\ln\\sigma(a) was shown ln(σ(a)), brackets the author never wrote."""
    d = _tex(BISHOP, r"% symbols: a : positive", r"% symbols: 0 \le t \le 1")
    assert shown_pretty(d) == "−t·ln σ(a) − (1 − t)·ln(1 − σ(a))"
    assert shown_pretty(d, d.steps[0]) == "−t·ln σ(a) + ln(a)"  # brackets written: kept
    for step in (None, d.steps[0]):
        tex = shown_latex(d, step)
        assert r"\ln \sigma\left(a\right)" in tex and r"\ln{\left(\sigma" not in tex, tex
        # the LaTeX shown reads back to the expression that was checked
        back = latex_to_sympy(tex, symbols=d.symbols, functions=d.functions)
        want = d.start if step is None else step.expr
        assert sp.simplify(back - want) == 0, (tex, back, want)
        text = _text(shown_mathml(d, step))
        assert "ln\u2061σ\u2061(a)" in text and "ln(σ" not in text, text


# --- the Beamer export, built to a complete PDF ------------------------------------------------

ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]
DECK = "title: Two logs\nsymbols: a : positive\nlog(a^2)\n= 2*log(a)  # power\n" \
       "= log(a) + log(a)  # again\n"


def _need(*tools: str) -> None:
    import os
    import shutil

    import pytest

    for tool in tools:
        if shutil.which(tool) is None:
            if os.environ.get("CI"):
                pytest.fail(f"{tool} is not installed")
            pytest.skip(f"{tool} is not installed")


def _footers(pdf) -> list[str]:
    """The frame numbers ``k/N`` of the footline, page by page."""
    import subprocess

    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    return re.findall(r"^(\d+/\d+)$", text, flags=re.MULTILINE)


def test_one_run_leaves_the_frame_count_out_and_the_build_settles_it(tmp_path):
    """Defect: the Beamer PDF of one pdflatex run numbered its frames 1/1, 2/1, 3/1."""
    from elbo_derivation.read.deriv import parse_derivation
    from elbo_derivation.report.slides import beamer_deck
    from elbo_derivation.report.texcompile import build_pdf, compile_latex

    _need("pdflatex", "pdftotext")
    d = parse_derivation(DECK)
    tex = beamer_deck([d], title="Two logs", verdicts=False)
    frames = tex.count(r"\begin{frame}")
    once = compile_latex(tex, "pdflatex", tmp_path, name="deck")
    assert once.ok and {f.split("/")[1] for f in _footers(once.pdf)} == {"1"}
    built = build_pdf(tmp_path / "deck.tex", use_latexmk=False)
    assert built.ok, built.errors[:3]
    footers = _footers(built.pdf)
    assert footers and {f.split("/")[1] for f in footers} == {str(frames)}, footers
    assert footers[-1] == f"{frames}/{frames}"


def test_slides_pdf_builds_the_complete_deck_and_says_what_it_needs(tmp_path, capsys):
    from elbo_derivation.cli import main

    _need("pdflatex", "pdftotext")
    own = tmp_path / "two.deriv"
    own.write_text(DECK, encoding="utf-8")
    deck = tmp_path / "two.tex"
    assert main(["slides", str(own), "--beamer", str(deck), "--pdf", "--no-numeric"]) == 0
    assert "two.pdf" in capsys.readouterr().err
    footers = _footers(tmp_path / "two.pdf")
    frames = deck.read_text(encoding="utf-8").count(r"\begin{frame}")
    assert footers[-1] == f"{frames}/{frames}"
    assert main(["slides", str(own), "--html", str(tmp_path / "x.html"), "--pdf"]) == 2
    assert "--pdf builds the Beamer deck's PDF: give --beamer FILE.tex" in capsys.readouterr().err


def test_the_makefile_builds_the_slides_pdf_with_the_export():
    import subprocess

    dry = subprocess.run(["make", "-n", "-s", "slides"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    assert "--beamer slides.tex" in dry and "--pdf" in dry
