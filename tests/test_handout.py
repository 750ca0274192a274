"""The handout: self-contained HTML with every step in MathML, and a LaTeX article that compiles.

Most tests render the bundled derivations as parsed (unchecked, fast) plus one derivation
checked by the real engine and numeric checks; the command's own test replaces the
minute-long full verification by the parsed derivations.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
import sympy as sp

from elbo_derivation.cli import main
from elbo_derivation.core.steps import Relation
from elbo_derivation.notes import bundled_paths
from elbo_derivation.read.deriv import read_derivation
from elbo_derivation.report.handout import (
    MATHML_NS,
    HandoutFigure,
    mathml_expr,
    prose_html,
    render_html,
    render_tex,
)
from elbo_derivation.report.text import explanation

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
       b"\x00\x00\x00\x00IEND\xaeB`\x82")  # a 1×1 PNG  # fmt: skip
ERRATA = [
    {"title": "§1 calls the encoder p(z|x)", "section": "§1", "explanation": "it is q(z|x) <&>",
     "ok": True, "summary": "checked"},
    {"title": "a failing one", "section": "§4", "explanation": "demo", "ok": False,
     "summary": ""},
]  # fmt: skip


@pytest.fixture(scope="module")
def parsed():
    return [read_derivation(p) for p in bundled_paths()]


@pytest.fixture(scope="module")
def checked():
    from elbo_derivation.verification import check_file

    path = next(p for p in bundled_paths() if p.stem == "kl_standard_normal")
    return check_file(path, numeric=True)


@pytest.fixture(scope="module")
def page(parsed, checked):
    figs = [HandoutFigure("elbo_gap", PNG, "the gap")]
    return render_html([*parsed, checked], errata=ERRATA, figures=figs)


class _Collector(HTMLParser):
    """Every start tag with its attributes, and whether the nesting of elements balances."""

    VOID = frozenset({"meta", "img", "br", "link", "input", "hr", "mspace"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


def test_html_parses_and_balances(page):
    parser = _Collector()
    parser.feed(page)
    parser.close()
    assert page.startswith("<!DOCTYPE html>")
    assert not parser.errors, parser.errors[:5]
    assert parser.stack == []


def test_every_math_fragment_is_well_formed_mathml(page):
    fragments = re.findall(r"<math\b.*?</math>", page, flags=re.S)
    assert len(fragments) > 50
    for frag in fragments:
        root = ET.fromstring(frag.replace("<math ", f'<math xmlns="{MATHML_NS}" ', 1))
        assert root.tag == f"{{{MATHML_NS}}}math"


def test_every_step_of_every_bundled_derivation_is_in_mathml(page, parsed):
    sections = re.findall(r'<section class="derivation" id="([^"]+)" data-steps="(\d+)">(.*?)'
                          r"</section>", page, flags=re.S)  # fmt: skip
    assert len(sections) == len(parsed) + 1
    for d, (anchor, n, body) in zip(parsed, sections, strict=False):
        assert int(n) == len(d.steps) > 0
        assert body.count("<math ") == len(d.steps) + 1  # the start and every step
        for step in d.steps:
            row = re.search(rf'<tr class="step" id="{anchor}-step-{step.index}" '
                            rf'data-step="{step.index}".*?</tr>', body, flags=re.S)  # fmt: skip
            assert row is not None, (d.name, step.index)
            assert "<math " in row[0]
            # the relation, as the first operator of the step's math
            relation = {"=": "=", "<=": "≤", ">=": "≥", "=~": "≃"}[step.relation.value]
            assert re.search(rf"<math [^>]*><mrow><mo>{relation}</mo>", row[0])


def test_steps_show_number_justification_and_verdict(page, checked):
    anchor = "d-kl_standard_normal"
    last = page.rindex(f'<section class="derivation" id="{anchor}"')
    body = page[last : page.index("</section>", last)]
    for step in checked.steps:
        row = re.search(rf'id="{anchor}-step-{step.index}".*?</tr>', body, flags=re.S)[0]
        assert f'<td class="num">{step.index}</td>' in row
        assert 'data-verdict="proved"' in row and "✓</span> proved" in row
        assert "quadrature ✓" in row
        assert ("sampling ✓" in row) == (step.sampling is not None and step.sampling.ok)
        assert html.escape(step.justification.split(":")[0]) in row
        assert f"by {step.result.method}" in row
        if step.result.explanation:  # the checker's words, in a full-width row below
            detail = re.search(rf'id="{anchor}-step-{step.index}-detail".*?</tr>', body,
                               flags=re.S)  # fmt: skip
            assert prose_html(explanation(step.result)) in detail[0]
    assert any(s.sampling is not None for s in checked.steps)


def test_html_loads_nothing_from_elsewhere(page):
    assert not re.search(r"https?://", page)
    assert "<script" not in page.lower()
    assert "<link" not in page.lower()
    assert "@import" not in page and "url(" not in page
    srcs = re.findall(r"""\bsrc\s*=\s*["']?([^"'\s>]+)""", page)
    assert srcs and all(s.startswith("data:image/png;base64,") for s in srcs)


def test_html_has_a_print_stylesheet(page):
    style = re.search(r"<style>(.*?)</style>", page, flags=re.S)[1]
    printing = style[style.index("@media print") :]
    assert "break-before: page" in printing
    assert "background: #fff" in printing or "background: none" in printing


def test_errata_and_figures_are_embedded(page):
    assert "§1 calls the encoder p(z|x)" in page
    assert "it is q(z|x) &lt;&amp;&gt;" in page  # escaped, not markup
    assert "✓ confirmed by its check" in page and "✗ its check did not confirm it" in page
    assert 'id="fig-elbo_gap"' in page and "the gap" in page


def test_no_errata_module_gives_a_note():
    a = sp.Symbol("a", positive=True)
    from elbo_derivation.core.steps import Derivation, Step

    d = Derivation(title="t", symbols={"a": a}, start=a, name="t",
                   steps=[Step(1, Relation.EQ, a)])  # fmt: skip
    page = render_html([d], errata=None, errata_note="not built yet")
    assert "not built yet" in page and "not checked" in page


def test_densities_print_as_their_signature():
    z, x = sp.symbols("z x", real=True)
    q = sp.Function("q(z|x)", positive=True)(z, x)
    p = sp.Function("p(z)", positive=True)(z)
    m = mathml_expr(sp.log(q / p))
    assert "q(z|x)" not in m  # not the raw name
    assert re.search(r"<mi>q</mi><mo[^>]*>\(</mo><mi>z</mi><mo[^>]*>\|</mo><mi>x</mi>", m)
    assert m.count("<mi>z</mi>") == 2  # q(z|x) and p(z), not q(z|x)(z, x)


def test_names_and_operators_follow_the_notes():
    mu1 = sp.Symbol("mu1", real=True)
    xh = sp.Symbol("x_hat", real=True)
    x = sp.Symbol("x", real=True)
    m = mathml_expr(sp.Integral((x - mu1) ** 2 + xh, (x, -sp.oo, sp.oo)))
    assert "<msub><mi>μ</mi><mn>1</mn></msub>" in m
    assert '<mover accent="true"><mi>x</mi><mo>^</mo></mover>' in m
    assert "<mo>∫</mo>" in m and "msubsup" not in m  # no limits over the whole line
    assert "<mo>−</mo>" in m and "&" not in m


# ----------------------------------------------------------------------------- LaTeX


def _align_blocks(tex: str) -> list[str]:
    return re.findall(r"\\begin\{align\*\}\n(.*?)\n\\end\{align\*\}", tex, flags=re.S)


def test_tex_has_one_aligned_line_per_step(parsed, checked):
    ds = [*parsed, checked]
    tex = render_tex(ds, errata=ERRATA)
    blocks = _align_blocks(tex)
    assert len(blocks) == len(ds)
    for d, block in zip(ds, blocks, strict=True):
        # a justification is beside its step, or (in a derivation with a long line) an
        # \intertext line just before it
        notes = [ln for ln in block.split("\n") if ln.lstrip().startswith(r"\intertext")]
        lines = [ln for ln in block.split("\n") if not ln.lstrip().startswith(r"\intertext")]
        assert len(lines) == len(d.steps) + 1
        assert all(ln.rstrip().endswith(r"\\") for ln in lines[:-1])
        assert not lines[-1].rstrip().endswith(r"\\")
        assert len(notes) in (0, len(d.steps))
        for i, (step, line) in enumerate(zip(d.steps, lines[1:], strict=True)):
            rel = {"=": "&=", "<=": r"&\le", ">=": r"&\ge", "=~": r"&\simeq"}[step.relation.value]
            assert line.lstrip().startswith(rel)
            assert rf"\footnotesize ({step.index})" in (notes[i] if notes else line) or (
                rf"\hspace*{{2em}}({step.index})" in (notes[i] if notes else line))
    assert tex.count(r"\checkmark}~proved") == len(checked.steps)
    assert r"\usepackage{amsmath" in tex and tex.rstrip().endswith(r"\end{document}")
    assert tex.isascii() or all(ord(c) < 256 for c in tex)


def test_tex_braces_balance(parsed):
    tex = render_tex(parsed)
    depth = 0
    for i, ch in enumerate(tex):
        if ch in "{}" and (i == 0 or tex[i - 1] != "\\"):
            depth += 1 if ch == "{" else -1
            assert depth >= 0
    assert depth == 0


@pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")
def test_tex_compiles_with_pdflatex(parsed, checked, tmp_path):
    (tmp_path / "h.tex").write_text(render_tex([*parsed, checked], errata=ERRATA), "utf-8")
    run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "h.tex"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stdout[-2000:]
    assert (tmp_path / "h.pdf").stat().st_size > 1000


# ----------------------------------------------------------------------------- the command


def test_cli_handout_writes_html_and_tex(parsed, tmp_path, monkeypatch, capsys):
    from elbo_derivation import verification

    monkeypatch.setattr(verification, "verify_bundled", lambda **kw: parsed)
    monkeypatch.setattr(verification, "run_errata", lambda: ERRATA)
    out, tex = tmp_path / "h.html", tmp_path / "h.tex"
    code = main(["handout", "-o", str(out), "--latex", str(tex), "--no-figures"])
    assert code == 0
    html_text = out.read_text("utf-8")
    assert html_text.count("<math ") == sum(len(d.steps) + 1 for d in parsed)
    assert len(_align_blocks(tex.read_text("utf-8"))) == len(parsed)
    assert "wrote" in capsys.readouterr().err


def test_cli_handout_embeds_figures_from_a_folder(parsed, tmp_path, monkeypatch):
    from elbo_derivation import verification

    monkeypatch.setattr(verification, "verify_bundled", lambda **kw: parsed[:1])
    monkeypatch.setattr(verification, "run_errata", lambda: None)
    (tmp_path / "elbo_gap.png").write_bytes(PNG)
    out = tmp_path / "h.html"
    assert main(["handout", "-o", str(out), "--figures", str(tmp_path)]) == 0
    assert 'id="fig-elbo_gap"' in out.read_text("utf-8")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["handout", "-o", str(out), "--figures", str(empty)]) == 2


def test_cli_handout_refuses_a_folder_as_output(tmp_path, capsys):
    assert main(["handout", "-o", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err


def test_cli_help_explains_with_examples(capsys):
    with pytest.raises(SystemExit):
        main(["handout", "--help"])
    out = capsys.readouterr().out
    assert "examples:" in out and "elbo-derivation handout -o" in out and "--latex" in out
    assert "MathML" in out
