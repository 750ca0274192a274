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
from elbo_derivation.read.tex import latex_to_sympy, parse_tex_derivation
from elbo_derivation.report.handout import NotesMathMLPrinter, shown_mathml
from elbo_derivation.report.latex import shown_latex
from elbo_derivation.report.pretty import UnicodePrinter, shown_pretty
from elbo_derivation.verification import read_any

CORPUS = Path(__file__).resolve().parent / "corpus"
_ALL = sorted(CORPUS.rglob("*.tex")) + sorted(CORPUS.rglob("*.deriv"))
_CORRECT_TEX = [p for p in _ALL if p.suffix == ".tex" and "wrong" not in p.parts]
_OTHERS = [p for p in _ALL if p not in _CORRECT_TEX]
FILES = _CORRECT_TEX + random.Random(24).sample(_OTHERS, 40)

#: Python or SymPy syntax in the unicode of a report (a product is ·, a power ², a root √)
PYTHON_TEXT = re.compile(r"\*|sqrt\(|Symbol\(|Integral\(|Function\(|Derivative\(|Sum\(|"
                         r"\(-1\)|\(−1\)|\+ −|\+ -|\boo\b|Infinity|Dummy|DiagMatrix|"
                         r"MatMul|Transpose\(|Subs\(|lambda\b|\bzoo\b|\bnan\b")
#: the same in MathML (and no ASCII minus, no SymPy's ⅇ or ⅆ)
PYTHON_MATHML = re.compile(r"\*|Symbol|Infinity|DiagMatrix|<mo>-</mo>|<mn>-1</mn>|ⅇ|ⅆ|"
                           r"<mi>(sqrt|oo|zoo|nan|subs)</mi>|"
                           r"<mi>[^<(]+\([^<]*</mi>")  # a name with a bracket: x(i) mangled
#: and in LaTeX (SymPy's ``{\alpha}_{1}``; an accent's argument, ``\bar{\alpha}_{t-1}``, is LaTeX)
#: (nor a function name SymPy would write, exp( or log( without its backslash, a name
#: mangled into \mathrm{x(i)}, SymPy's blackboard identity \mathbb{I}, zoo, nan)
#: (a star as a subscript or superscript, θ_* or x^{*}, is the author's LaTeX, not Python's ``*``)
PYTHON_LATEX = re.compile(r"(?<![_^])(?<![_^]\{)\*|sqrt\(|Symbol|\\text\{(Infinity|NaN)\}|"
                          r"\\left\(-1\\right\)|"
                          r"DiagMatrix|\\circ|\^\{T\}|(?<![a-zA-Z])\{\\[a-zA-Z]+\}_|"
                          r"(?<![\\a-zA-Z])(exp|log|ln)\(|\\mathrm\{[^{}]*\(|\\mathbb\{I\}|"
                          r"\bzoo\b|\bnan\b|\\operatorname\{Subs\}")


def _kl_as_expectation(expr: sp.Basic) -> sp.Basic:
    return expr.replace(lambda e: isinstance(e, KL), lambda e: e.as_expectation())


def _same(d, back: sp.Basic, checked: sp.Basic) -> bool:
    if back == checked:
        return True
    a, b = (d.expand_definitions(_kl_as_expectation(e)) for e in (back, checked))
    return a == b or sp.expand(a - b) == 0


#: Files whose shown form is known not to be the mathematics as written, and why.
KNOWN_SHOWN: dict[str, str] = {
}


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


def _shown_rows(source: str) -> list[tuple[str, str, str]]:
    """(unicode, MathML, LaTeX) of the start and each step of a small ``.tex`` derivation."""
    d = parse_tex_derivation(source, file="t.tex")
    return [(shown_pretty(d, s), shown_mathml(d, s), shown_latex(d, s)) for s in [None, *d.steps]]


def test_a_matrix_product_keeps_the_factors_as_written() -> None:
    # SymPy's negation of a matrix product merges S⁻¹·S into S^(−1+1) and transposes the
    # product factor by factor; the display shows what the author wrote
    rows = _shown_rows(r"""
% symbols: D : positive integer
% symbols: P, S : matrix(D) positive definite
% symbols: H : matrix(D)
\begin{align*}
P - \left(PH^\top S^{-1}\right) S \left(PH^\top S^{-1}\right)^\top
  &= P - PH^\top S^{-1} S S^{-1} H P
\end{align*}""")
    assert rows[0][2] == r"P - P H^{\top} S^{-1} S \left(P H^{\top} S^{-1}\right)^{\top}"
    assert rows[0][0] == "P − P·Hᵀ·S⁻¹·S·(P·Hᵀ·S⁻¹)ᵀ"
    assert rows[1][2] == r"P - P H^{\top} S^{-1} S S^{-1} H P"


def test_an_expectation_of_a_matrix_keeps_its_place_and_the_identity_its_name() -> None:
    rows = _shown_rows(r"""
% symbols: D : positive integer
% symbols: \epsilon : vector(D) real
% symbols: A : matrix(D)
% symbols: I : identity(D)
% densities: p(\epsilon) = \mathcal{N}(0, I)
\begin{align*}
\operatorname{tr}\left(A\,\mathbb{E}_{p(\epsilon)}\left[\epsilon\epsilon^\top\right]\right)
  &= \operatorname{tr}(A I)
\end{align*}""")
    assert rows[0][2] == (r"\operatorname{tr}\left(A \mathbb{E}_{p(\epsilon)}"
                          r"\left[\epsilon \epsilon^{\top}\right] \right)")
    assert rows[1][2] == r"\operatorname{tr}\left(A I \right)"
    assert "<mi>I</mi>" in rows[1][1] and "𝕀" not in rows[1][1]


def test_a_density_of_a_sequence_entry_is_shown_with_the_entry() -> None:
    rows = _shown_rows(r"""
% symbols: z : real
% symbols: i : integer
% symbols: D : positive integer
% functions: x_i : real
% densities: q(z), p(x_i|z)
\begin{align*}
\sum_{i=1}^{D} \mathbb{E}_{q(z)}\left[\log p(x_i|z)\right]
  &= \mathbb{E}_{q(z)}\left[\sum_{i=1}^{D} \log p(x_i|z)\right]
\end{align*}""")
    text, mathml, latex = rows[0]
    assert "p(x_{i}|z)" in latex and "mathrm" not in latex, latex
    assert "p(xᵢ|z)" in text, text
    assert "x(i)" not in mathml, mathml


def test_a_value_at_a_point_is_never_shown_as_subs() -> None:
    x, t = sp.symbols("x t", real=True)
    f = sp.Function("f")
    at = sp.Subs(sp.Derivative(f(x) ** 2, x), x, t)
    text = UnicodePrinter().doprint(at)
    assert "Subs" not in text and text.endswith("]_{x = t}"), text
    mathml = NotesMathMLPrinter().doprint(at)
    assert "subs" not in mathml and "<mo>=</mo>" in mathml, mathml


def test_a_gaussian_is_shown_as_written_not_as_its_formula() -> None:
    # \mathcal{N}(x; m, v) and a draw ε ~ N(0, 1) are read as the density's formula; the
    # reports show what the author wrote (no e^{-(x + 0)^2/2} the author never wrote)
    rows = _shown_rows(r"""
% symbols: x, y, a : real
% symbols: s : positive
% symbols: 0 < b < 1
\begin{align*}
\frac{\partial}{\partial x}\left(\log\mathcal{N}(x; 0, 1) + \log\mathcal{N}(y; x, 1 - b)\right)
  + \mathbb{E}_{\epsilon \sim \mathcal{N}(0, 1)}\left[a\epsilon\right]
  &= -x + \frac{y - x}{1 - b}
\end{align*}""")
    text, mathml, latex = rows[0]
    assert r"\mathcal{N}(x; 0, 1)" in latex and r"\mathcal{N}(y; x, 1 - b)" in latex, latex
    assert r"\epsilon \sim \mathcal{N}(0, 1)" in latex, latex
    assert "N(x; 0, 1)" in text and "ε ~ N(0, 1)" in text and "exp" not in text, text
    assert 'mathvariant="script"' in mathml and "<mi>e</mi>" not in mathml, mathml


def _reads_back(source: str) -> list[bool]:
    """Whether each shown line (start and steps) of a small ``.tex`` derivation reads back as
    the expression checked."""
    d = parse_tex_derivation(source, file="t.tex")
    out = []
    for s in [None, *d.steps]:
        back = latex_to_sympy(shown_latex(d, s).replace(r"\,\middle\|\,", ","),
                              symbols=d.symbols, functions=d.functions,
                              indexed=d.declarations.indexed, ranges=d.declarations.intervals)
        out.append(_same(d, back, d.start if s is None else s.expr))
    return out


def test_a_derivative_before_another_factor_is_bracketed() -> None:
    # ∂/∂a reaches to the end of a product: (∂/∂a f)·(∂/∂b f) needs the first bracket
    source = r"""
% symbols: a, b, x : real
% functions: f(x) : real
\begin{align*}
\frac{\partial (a b x)}{\partial a}\,\frac{\partial (a b x)}{\partial b}
  &= b x \cdot a x
\end{align*}"""
    rows = _shown_rows(source)
    assert rows[0][2].startswith(r"\left(\frac{\partial}{\partial a}")
    assert rows[0][2].count(r"\left(\frac{\partial}") == 1  # the last factor needs none
    assert _reads_back(source) == [True, True]


def test_a_kl_under_a_joint_expectation_is_shown_as_written() -> None:
    # E_{p(x, t)} builds expectations over x and t only: the KL over y inside stays a KL
    source = r"""
% symbols: x, y, t : real
% densities: p(x), p(y|x), p(t|x)
\begin{align*}
\mathbb{E}_{p(x,t)}\left[D_{\mathrm{KL}}\left(p(y|x)\,\|\,p(y|t)\right)\right] &\ge 0
\end{align*}"""
    rows = _shown_rows(source)
    assert r"\mathrm{KL}\left(p(y|x) \,\middle\|\, p(y|t)\right)" in rows[0][2]
    assert r"\log" not in rows[0][2]
    assert _reads_back(source) == [True, True]


def test_a_scaled_matrix_inside_a_matrix_product_keeps_its_bracket() -> None:
    # m^T (σ² I)^{-1} m: the inverse read as σ⁻² I stays one factor, bracketed; in the middle
    # of the row without brackets σ⁻² would read as a factor of the whole product
    source = r"""
% symbols: d : positive integer
% symbols: \sigma : positive
% symbols: m : vector(d) real
% symbols: I : identity(d)
\begin{align*}
m^\top(\sigma^2 I)^{-1}m &= \frac{m^\top m}{\sigma^2}
\end{align*}"""
    rows = _shown_rows(source)
    assert r"m^{\top} \left(\frac{1}{\sigma^{2}} I\right) m" in rows[0][2]
    assert _reads_back(source) == [True, True]
