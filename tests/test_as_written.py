"""Every front end keeps each step as written: its text, its span and an unevaluated form."""

from __future__ import annotations

import sympy as sp

from elbo_derivation.read.deriv import parse_derivation, shown_expression
from elbo_derivation.read.steps import read_steps
from elbo_derivation.read.tex import parse_tex_derivation


def test_deriv_spans_and_display():
    d = parse_derivation("symbols: h : positive\n  sqrt(h)^2\n  =  h*1   # units\n")
    assert d.start_span == (2, 3, 2, 12) and d.start_text == "sqrt(h)^2"
    step = d.steps[0]
    assert step.span == (3, 6, 3, 9) and step.expr_text == "h*1"
    assert str(shown_expression(d)) == "(sqrt(h))**2"  # as written, not simplified to h


def test_tex_spans_text_and_display_over_several_lines():
    d = parse_tex_derivation("% symbols: h : positive\n\\begin{align*}\n"
                             "\\left(\\sqrt{h}\\right)^2 &= \\frac{1}{2}\n  (h + h) \\\\\n"
                             "&= h\n\\end{align*}\n")
    assert d.start_text == "\\left(\\sqrt{h}\\right)^2" and d.start_span == (3, 1, 3, 24)
    first = d.steps[0]
    assert first.expr_text == "\\frac{1}{2}\n  (h + h)" and first.span == (3, 28, 4, 10)
    assert first.expr == d.symbols["h"] and first.display is not None
    assert first.display != first.expr  # ½(h + h) kept as written
    assert d.start_display == sp.Pow(sp.sqrt(d.symbols["h"]), 2, evaluate=False)


def test_check_steps_spans_and_display():
    d = read_steps(["sqrt(s)^2", "<=  s + 0*s"], symbols="s", assumptions={"s": "positive"})
    assert d.start_text == "sqrt(s)^2" and d.start_span == (1, 1, 1, 10)
    step = d.steps[0]
    assert step.expr_text == "s + 0*s" and step.span == (2, 5, 2, 12)
    assert step.expr == d.symbols["s"] and step.display is not None and step.display != step.expr


def test_a_sequence_declared_with_a_subscript_is_shown_with_it():
    """``% functions: mu_d : real`` is the sequence mu(d), shown μ_d as written, in unicode,
    LaTeX and MathML; brackets around a sum's body stay."""
    from elbo_derivation.read.tex import parse_tex_derivation
    from elbo_derivation.report.handout import NotesMathMLPrinter
    from elbo_derivation.report.latex import NotesLatexPrinter
    from elbo_derivation.report.pretty import shown_pretty

    d = parse_tex_derivation(
        "% symbols: d : integer\n% symbols: D : positive integer\n"
        "% functions: mu_d : real\n% functions: \\sigma_d : positive\n\\begin{align*}\n"
        "\\sum_{d=1}^{D} \\frac{1}{2}(\\sigma_d^2 + \\mu_d^2)"
        " &= \\frac{1}{2}\\sum_{d=1}^{D}\\left(\\sigma_d^2 + \\mu_d^2\\right)\n\\end{align*}\n")
    assert shown_pretty(d, d.steps[0]) == "1/2·Σ_{d=1}^{D} (σ_d² + μ_d²)"  # ½ where written
    latex = NotesLatexPrinter(written=True).doprint(d.steps[0].display)
    assert r"\mu_{d}^{2}" in latex and r"\left(\sigma_{d}^{2}" in latex
    mathml = NotesMathMLPrinter().doprint(d.steps[0].expr)
    assert "<msub><mi>&#956;</mi><mi>d</mi></msub>" in mathml
    mu = d.functions["mu(d)"]
    assert mu == sp.Function("mu", real=True)(d.symbols["d"])  # the same quantity as mu(d)


def test_a_sum_written_with_brackets_around_its_body_shows_them_once():
    """Σ_d (a_d − log(1 + e^{a_d})) as written: one pair of brackets around the body, not the
    author's pair inside the printer's own."""
    import re

    from elbo_derivation.report.handout import shown_mathml

    text = "\n".join([
        "% symbols: D : positive integer", "% symbols: d : integer",
        "% functions: u_d : real", r"\begin{align*}",
        r"\sum_{d=1}^{D}\left(u_d - \log\left(1 + e^{u_d}\right)\right)",
        r"  &= \sum_{d=1}^{D} u_d - \sum_{d=1}^{D}\log\left(1 + e^{u_d}\right)",
        r"\end{align*}"])
    mathml = shown_mathml(parse_tex_derivation(text, file="t.tex"))
    opening = [m.start() for m in re.finditer(r"<mo[^>]*>\(</mo>", mathml)]
    assert len(opening) == 2  # the body's, and the log's
    assert not re.search(r"\(</mo>\s*<mrow>\s*<mo[^>]*>\(</mo>", mathml)


# --- xreplace_as_written: a replacement as written without SymPy's global switch ------------


def _cases() -> list[tuple[object, dict]]:
    import sympy as sp

    x, y = sp.symbols("x y", positive=True)
    with sp.evaluate(False):
        e1 = sp.Add(sp.Mul(2, sp.log(x)), sp.Pow(x, 2), sp.exp(sp.Mul(-1, y)))
        e2 = sp.Mul(sp.Rational(1, 2), sp.Add(x, x), sp.Pow(sp.Add(y, 1), -1))
        e3 = sp.Add(sp.Integral(sp.Mul(x, y), (x, 0, 1)), sp.log(sp.Mul(x, y)))
    return [
        (e1, {sp.Integer(2): sp.Integer(4)}),  # two places, one of them an exponent
        (e1, {sp.Mul(-1, y, evaluate=False): y}),  # a sign turned inside exp
        (e2, {sp.Add(x, x, evaluate=False): sp.Mul(2, x, evaluate=False)}),
        (e2, {sp.Rational(1, 2): sp.Integer(1)}),  # x + x stays as written around it
        (e3, {y: sp.Integer(3)}),  # under an integral: the switch, as before
        (e3, {}),
    ]


def test_xreplace_as_written_builds_what_the_global_switch_builds() -> None:
    import sympy as sp

    from elbo_derivation.core.written import xreplace_as_written

    for expr, rule in _cases():
        with sp.evaluate(False):
            old = expr.xreplace(rule)
        new = xreplace_as_written(expr, rule)
        assert sp.srepr(new) == sp.srepr(old), (expr, rule)


def test_xreplace_as_written_keeps_sympys_caches(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Switching SymPy's evaluation off and on empties its caches; a replacement among sums,
    products, powers, exp and log needs no switch, one under an integral still does."""
    import sympy.core.parameters as parameters

    from elbo_derivation.core.written import xreplace_as_written

    cases = _cases()  # (built with the switch)
    cleared: list[int] = []
    real = parameters.clear_cache
    monkeypatch.setattr(parameters, "clear_cache", lambda: (cleared.append(1), real())[1])
    for expr, rule in cases[:4]:
        xreplace_as_written(expr, rule)
    assert cleared == []
    xreplace_as_written(*cases[4])
    assert len(cleared) == 2  # off, then on again
