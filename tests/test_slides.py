"""``elbo-derivation slides``: the Beamer deck compiles (pdflatex and lualatex), the HTML deck
is self-contained, one step per slide, revealed in turn, with verdicts that can be left out.

Without TeX the compile tests skip on a developer machine and FAIL in CI.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest

from elbo_derivation.read.deriv import parse_derivation
from elbo_derivation.report.slides import beamer_deck, html_deck

ENGINES = ("pdflatex", "lualatex")


def require(tool: str) -> None:
    if shutil.which(tool) is None:
        message = f"{tool} is not installed (.ci/run installs it with apt-get)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(scope="module")
def notes(bundled_symbolic):
    return bundled_symbolic  # verify_bundled(numeric=False, seed=0, ...), shared (conftest.py)


def test_html_deck_one_slide_per_step(notes):
    page = html_deck(notes, title="Lecture 4")
    steps = sum(len(d.steps) for d in notes)
    assert page.count('<section class="slide step"') == steps
    assert page.count('<section class="slide') == 1 + len(notes) + steps
    # nothing from the network: no src/href attributes, no URL outside the MathML namespace
    assert not re.search(r"\s(src|href)=", page)
    assert "http" not in page.replace("http://www.w3.org/1998/Math/MathML", "")
    # each step: the expression it starts from, then the step, its reason, its verdict, in turn
    first = page.split('<section class="slide step"')[1]
    assert first.index('class="math lhs"') < first.index('class="math rhs fragment"')
    assert 'class="why fragment"' in first and 'class="verdict v-proved fragment"' in first
    for key in ("ArrowRight", "ArrowLeft", "' '", "'v'"):
        assert key in page
    assert "Integral(" not in page and "**" not in page


def test_html_deck_without_verdicts(notes):
    page = html_deck(notes[:2], verdicts=False)
    assert 'class="verdict' not in page and "✓" not in page and 'id="toggle"' not in page


@pytest.mark.parametrize("engine", ENGINES)
def test_beamer_deck_compiles(notes, engine, tmp_path):
    from elbo_derivation.report.texcompile import compile_latex

    require(engine)
    tex = beamer_deck(notes, title="The VAE loss, step by step")
    assert tex.isascii() and r"\left(-1\right)" not in tex
    assert tex.count(r"\begin{frame}") == 1 + len(notes) + sum(len(d.steps) for d in notes)
    result = compile_latex(tex, engine, tmp_path)
    assert result.ok, result.errors[:5]
    assert result.widest_overfull_pt <= 2.0, result.overfull_pt
    pages = int(re.search(r"Output written on .*?\((\d+) pages?", result.log.replace("\n", ""))[1])
    assert pages > sum(len(d.steps) for d in notes)  # \pause makes several pages per frame


def test_beamer_without_verdicts():
    d = parse_derivation("title: t\nsymbols: a : positive\nlog(a^2)\n= 2*log(a)  # power\n")
    assert "proved" not in beamer_deck([d], verdicts=False)


def test_cli_slides_from_own_file(tmp_path):
    own = tmp_path / "week3.deriv"
    own.write_text("title: Week 3: a product of logs\nsource: my board notes\n"
                   "symbols: a, b : positive\nlog(a*b)\n= log(a) + log(b)  # log of a product\n"
                   "= log(b) + log(a)  # the terms swapped\n", encoding="utf-8")  # fmt: skip
    run = subprocess.run([sys.executable, "-m", "elbo_derivation", "slides", str(own),
                          "--no-numeric", "--html", "d.html", "--beamer", "d.tex"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert run.returncode == 0, run.stderr
    page = (tmp_path / "d.html").read_text(encoding="utf-8")
    assert "<title>Week 3: a product of logs</title>" in page and "my board notes" in page
    assert page.count('<section class="slide step"') == 2 and "log of a product" in page
    assert "Week 3" in (tmp_path / "d.tex").read_text(encoding="utf-8")
    bad = subprocess.run([sys.executable, "-m", "elbo_derivation", "slides", "nope.deriv"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert bad.returncode == 2 and "nope.deriv" in bad.stderr and "Traceback" not in bad.stderr


def test_every_part_of_a_file_becomes_slides(tmp_path):
    own = tmp_path / "two.tex"
    own.write_text("% symbols: a, b : positive\n"
                   "\\begin{align*}\n\\log(ab) &= \\log a + \\log b\n\\end{align*}\n"
                   "\\begin{align*}\n\\log(a^2) &= 2\\log a\n\\end{align*}\n",
                   encoding="utf-8")  # fmt: skip
    run = subprocess.run([sys.executable, "-m", "elbo_derivation", "slides", str(own),
                          "--no-numeric", "--html", "d.html"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert run.returncode == 0, run.stderr
    page = (tmp_path / "d.html").read_text(encoding="utf-8")
    assert page.count('<section class="slide step"') == 2
    assert page.count('class="slide derivation-title"') == 2
