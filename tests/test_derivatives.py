"""Derivatives are read as derivatives, in LaTeX and in ``.deriv``, and checked as such.

Leibniz's ``\\frac{d}{dh}`` was once read as the fraction d/(d·h), with a message that
suggested declaring ``d``: following it proved a wrong step. These tests pin the reading
(a SymPy ``Derivative``, kept unevaluated) and the verdicts it leads to.
"""

from __future__ import annotations

import pytest
import sympy as sp

from elbo_derivation import verification
from elbo_derivation.decide.engine import check_steps
from elbo_derivation.errors import DerivationSyntaxError
from elbo_derivation.read.deriv import parse_derivation
from elbo_derivation.read.tex import latex_to_sympy

h = sp.Symbol("h", positive=True)
x, mu = sp.symbols("x mu", real=True)
S = {"h": h, "x": x, "mu": mu}


@pytest.mark.parametrize("text,expected", [
    (r"\frac{d}{dh}\left(h^2\right)", sp.Derivative(h**2, h)),
    (r"\frac{d}{dh}(h - \log h)", sp.Derivative(h - sp.log(h), h)),
    (r"\frac{d h^2}{d h}", sp.Derivative(h**2, h)),
    (r"\frac{\mathrm{d}}{\mathrm{d}h} \log h", sp.Derivative(sp.log(h), h)),
    (r"\frac{\partial}{\partial \mu}(x - \mu)^2", sp.Derivative((x - mu) ** 2, mu)),
    (r"\frac{\partial^2}{\partial x^2} x^3 + 1", sp.Derivative(x**3, (x, 2)) + 1),
    (r"\frac{\partial^2}{\partial x \partial \mu} x \mu", sp.Derivative(x * mu, x, mu)),
])
def test_leibniz_notation_is_a_derivative(text, expected):
    got = latex_to_sympy(text, symbols=S)
    assert got == expected
    assert got.has(sp.Derivative)  # kept unevaluated for display


def test_values_of_the_deciding_form():
    assert latex_to_sympy(r"\frac{d}{dh}(h - \log h)", symbols=S).doit() == 1 - 1 / h
    assert latex_to_sympy(r"\frac{d^2 h^3}{dh^2}", symbols=S).doit() == 6 * h


@pytest.mark.parametrize("text,column,words", [
    (r"\frac{d}{2}", 7, "not a quantity"),
    (r"d h", 1, "ambiguous"),
    (r"\frac{d^2}{dh} h", 1, "orders of this derivative do not match"),
])
def test_d_is_never_offered_as_a_declaration(text, column, words):
    with pytest.raises(DerivationSyntaxError) as err:
        latex_to_sympy(text, symbols=S, file="a.tex", line=3, column=1)
    assert f"a.tex:3:{column}:" in str(err.value) and words in str(err.value)
    assert "declare" not in str(err.value)


def test_declared_d_next_to_a_name_is_refused_not_guessed():
    d = sp.Symbol("d", positive=True)
    # where an integral stands, 'd x' could be its differential as well as a product
    with pytest.raises(DerivationSyntaxError, match="ambiguous"):
        latex_to_sympy(r"\int_0^1 d x\, dx", symbols={**S, "d": d})
    # where none does, a differential cannot be meant: the declared d times x (2d\sigma^2)
    assert latex_to_sympy(r"d x", symbols={**S, "d": d}) == d * x
    assert latex_to_sympy(r"2 d x^2", symbols={**S, "d": d}) == 2 * d * x**2
    assert latex_to_sympy(r"d \cdot x", symbols={**S, "d": d}) == d * x
    assert latex_to_sympy(r"\frac{d}{2}", symbols={**S, "d": d}) == d / 2


def test_deriv_diff_derivative_and_prime():
    d = parse_derivation("symbols: x, y : real\nDerivative(x^3*y, x, 2, y)\n= diff(x^2, x)")
    assert d.start == sp.Derivative(d.symbols["x"] ** 3 * d.symbols["y"],
                                    (d.symbols["x"], 2), d.symbols["y"])
    d = parse_derivation("symbols: z : real\nfunctions: f(z) : real\nf'(z)\n= f''(z)")
    f = d.functions["f(z)"]
    assert d.start == sp.Derivative(f, d.symbols["z"])
    assert d.steps[0].expr == sp.Derivative(f, (d.symbols["z"], 2))
    with pytest.raises(DerivationSyntaxError, match=r"x.deriv:2:1: 'g'' is not the derivative "
                                                    r"of a declared function: write diff"):
        parse_derivation("symbols: z : real\ng'(z)\n= 1", file="x.deriv")


@pytest.mark.parametrize("chain,verdict", [
    ([r"$\frac{d}{dh}(h^2)$", "h"], "refuted"),
    ([r"$\frac{d}{dh}(h - \log h)$", r"$1 - \frac{1}{h}$"], "proved"),
    (["diff(h^2, h)", "2*h"], "proved"),
    (["diff(h^2, h)", "h"], "refuted"),
])
def test_whole_pipeline_verdicts(chain, verdict):
    d = check_steps(chain, symbols="h", assumptions={"h": "positive"})
    assert d.steps[0].verdict.value == verdict


def test_tex_file_with_derivatives(tmp_path):
    path = tmp_path / "deriv.tex"
    path.write_text("% symbols: h : positive\n\\begin{align*}\n"
                    "\\frac{d}{dh}\\left(h - \\log h\\right) &= 1 - \\frac{1}{h}\n"
                    "\\end{align*}\n\\begin{align*}\n"
                    "\\frac{d}{dh}\\left(h^2\\right) &= h\n\\end{align*}\n", encoding="utf-8")
    d = verification.check_file(path)
    assert [p.steps[0].verdict.value for p in d.parts] == ["proved", "refuted"]


def test_prime_of_a_declared_function_in_latex():
    from elbo_derivation.read.tex import parse_tex_derivation

    d = parse_tex_derivation("% symbols: z : real\n% functions: f(z) : real\n"
                             "\\begin{align*}\nf'(z) &= f''(z)\n\\end{align*}\n")
    f = d.functions["f(z)"]
    assert d.start == sp.Derivative(f, d.symbols["z"])
    assert d.steps[0].expr == sp.Derivative(f, (d.symbols["z"], 2))
    with pytest.raises(DerivationSyntaxError, match="declared as a name, not as a function"):
        parse_tex_derivation("% symbols: x : real\n% symbols: h : positive\n% functions: h(x)\n"
                             "\\begin{align*}\nh'(x) &= 1\n\\end{align*}\n")


def test_deriv_never_offers_to_declare_d():
    for text in ("symbols: h : positive\nd/dh*(h^2)\n= 2*h",
                 "symbols: h : positive\nd/(d*h)*(h^2)\n= 2*h"):
        with pytest.raises(DerivationSyntaxError) as err:
            parse_derivation(text)
        assert "diff(f, x)" in str(err.value) and "symbols:" not in str(err.value)


def test_no_derivative_over_a_let_name():
    with pytest.raises(DerivationSyntaxError, match=r"x.deriv:3:1: .v. is a let name"):
        parse_derivation("symbols: h : positive\nlet: v = h^2\n"
                         "diff(v, v)\n= 1", file="x.deriv")
    from elbo_derivation.read.tex import parse_tex_derivation

    with pytest.raises(DerivationSyntaxError, match=r"x.tex:4:1: 'v' is a let name"):
        parse_tex_derivation("% symbols: h : positive\n% let: v = h^2\n\\begin{align*}\n"
                             "\\frac{d}{dv} v &= 1\n\\end{align*}\n", file="x.tex")


def test_derivative_of_a_name_declared_with_an_argument_is_refused():
    # 'functions: h(x)' names the symbol h: d/dx h(x) would be 0, a wrong proof waiting
    from elbo_derivation.read.tex import parse_tex_derivation

    with pytest.raises(DerivationSyntaxError, match=r"a.tex:5:\d+: 'h\(x\)' is declared as a "
                                                    r"name for the symbol h"):
        parse_tex_derivation("% symbols: x : real\n% symbols: h : positive\n"
                             "% functions: h(x)\n\\begin{align*}\n"
                             "\\frac{d}{dx} h(x) &= 0\n\\end{align*}\n", file="a.tex")
    with pytest.raises(DerivationSyntaxError, match="declare an abstract function"):
        parse_derivation("symbols: x : real\nsymbols: h : positive\nfunctions: h(x)\n"
                         "diff(h(x), x)\n= 0")
    d = parse_derivation("symbols: x : real\nfunctions: h(x) : real\ndiff(h(x)^2, x)\n"
                         "= 2*h(x)*diff(h(x), x)")
    assert d.start.doit() == d.steps[0].expr.doit()
