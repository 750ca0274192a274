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
