"""Over the corpus: every expression a report shows is mathematics as written, never Python.

For each correct ``.tex`` file of ``tests/corpus`` and a fixed sample of the ``.deriv`` files
and of the wrong ones, every line (the start and each step) is rendered as the reports
render it: the unicode of the text report, the MathML of the handout and the LaTeX of the
exports. None of them may show Python or SymPy syntax (``**``, ``*``, ``sqrt(``,
``Symbol(``, ``Integral(``, ``(-1)``, ``+ −``, ``oo``, ``\\text{Infinity}``, SymPy's
``DiagMatrix``, ...), and, for ``.tex`` files, the LaTeX shown reads back through the
package's own reader to the very expression that was checked.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
import sympy as sp

from elbo_derivation.core.expectation import KL
from elbo_derivation.errors import InputError
from elbo_derivation.read.tex import latex_to_sympy
from elbo_derivation.report.handout import shown_mathml
from elbo_derivation.report.latex import shown_latex
from elbo_derivation.report.pretty import shown_pretty
from elbo_derivation.verification import read_any

CORPUS = Path(__file__).resolve().parent / "corpus"
_ALL = sorted(CORPUS.rglob("*.tex")) + sorted(CORPUS.rglob("*.deriv"))
_CORRECT_TEX = [p for p in _ALL if p.suffix == ".tex" and "wrong" not in p.parts]
_OTHERS = [p for p in _ALL if p not in _CORRECT_TEX]
FILES = _CORRECT_TEX + random.Random(24).sample(_OTHERS, 40)

#: Python or SymPy syntax in the unicode of a report (a product is ·, a power ², a root √)
PYTHON_TEXT = re.compile(r"\*|sqrt\(|Symbol\(|Integral\(|Function\(|Derivative\(|Sum\(|"
                         r"\(-1\)|\(−1\)|\+ −|\+ -|\boo\b|Infinity|Dummy|DiagMatrix|"
                         r"MatMul|Transpose\(|lambda\b")
#: the same in MathML (and no ASCII minus, no SymPy's ⅇ or ⅆ)
PYTHON_MATHML = re.compile(r"\*|Symbol|Infinity|DiagMatrix|<mo>-</mo>|<mn>-1</mn>|ⅇ|ⅆ|"
                           r"<mi>sqrt</mi>|<mi>oo</mi>")
#: and in LaTeX (SymPy's ``{\alpha}_{1}``; an accent's argument, ``\bar{\alpha}_{t-1}``, is LaTeX)
PYTHON_LATEX = re.compile(r"\*|sqrt\(|Symbol|\\text\{(Infinity|NaN)\}|\\left\(-1\\right\)|"
                          r"DiagMatrix|\\circ|\^\{T\}|(?<![a-zA-Z])\{\\[a-zA-Z]+\}_")


def _kl_as_expectation(expr: sp.Basic) -> sp.Basic:
    return expr.replace(lambda e: isinstance(e, KL), lambda e: e.as_expectation())


def _same(d, back: sp.Basic, checked: sp.Basic) -> bool:
    if back == checked:
        return True
    a, b = (d.expand_definitions(_kl_as_expectation(e)) for e in (back, checked))
    return a == b or sp.expand(a - b) == 0


#: Files whose shown form is known not to be the mathematics as written, and why.
KNOWN_SHOWN: dict[str, str] = {}


def _shown_params() -> list:
    out = []
    for p in FILES:
        rel = str(p.relative_to(CORPUS))
        marks = [pytest.mark.xfail(reason=KNOWN_SHOWN[rel], strict=True)] if (
            rel in KNOWN_SHOWN) else []
        out.append(pytest.param(p, id=rel, marks=marks))
    return out


@pytest.mark.parametrize("path", _shown_params())
def test_every_shown_line_is_mathematics_as_written(path: Path) -> None:
    try:
        d = read_any(path)
    except InputError as error:  # refused with its place (tests/test_corpus.py): nothing shown
        assert f"{path}:" in str(error) or path.name in str(error), str(error)
        return
    for part in d.parts:
        for step in [None, *part.steps]:
            where = (path.name, 0 if step is None else step.index)
            text, mathml, latex = (shown_pretty(part, step), shown_mathml(part, step),
                                   shown_latex(part, step))  # fmt: skip
            assert not PYTHON_TEXT.search(text), (where, text)
            assert not PYTHON_MATHML.search(mathml), (where, mathml)
            # a bound ^{T} of Σ or ∏ is an upper limit, not a transpose
            limits = re.sub(r"\\(sum|prod)_\{[^{}]*\}\^\{[^{}]*\}", r"\\\1", latex)
            assert not PYTHON_LATEX.search(limits), (where, latex)
            if path.suffix != ".tex":
                continue
            back = latex_to_sympy(latex.replace(r"\,\middle\|\,", ","), symbols=part.symbols,
                                  functions=part.functions,
                                  indexed=part.declarations.indexed,
                                  ranges=part.declarations.intervals)  # fmt: skip
            checked = part.start if step is None else step.expr
            assert _same(part, back, checked), (where, latex)
