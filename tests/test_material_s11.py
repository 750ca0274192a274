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
