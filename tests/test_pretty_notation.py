"""Derivatives, sums, products and special functions print as a textbook writes them, never
as SymPy's call syntax (``Derivative(x**2, x)``), in the text reports."""

import sympy as sp

from elbo_derivation.decide.engine import check_steps
from elbo_derivation.report.pretty import pretty, shown_pretty

x, y, k, n = sp.symbols("x y k n")


def test_derivatives_print_with_d_or_partial():
    assert pretty(sp.Derivative(x**2, x)) == "d/dx (x²)"
    assert pretty(sp.Derivative(x**2 * y, x, y)) == "∂²/∂x∂y (x²·y)"
    assert pretty(sp.Derivative(sp.sin(x), (x, 2))) == "d²/dx² (sin(x))"


def test_sums_products_and_special_functions():
    assert pretty(sp.Sum(x**k / sp.factorial(k), (k, 0, sp.oo))) == "Σ_{k=0}^{∞} x^k/k!"
    assert pretty(sp.Product(k, (k, 1, n))) == "∏_{k=1}^{n} k"
    assert pretty(sp.binomial(n, k)) == "(n choose k)"
    assert pretty(sp.gamma(x + 1)) == "Γ(x + 1)"


def test_a_written_derivative_is_shown_as_notation_not_as_a_call():
    d = check_steps(["Derivative(h^2 - log(h), h)", "2*h - 1/h"], symbols="h",
                    assumptions={"h": "positive"})
    start = shown_pretty(d)
    assert start.startswith("d/dh") and "Derivative" not in start
    assert d.steps[0].verdict.value == "proved"


def test_an_iterated_integral_pairs_each_sign_with_its_differential():
    # SymPy's first limit is the innermost: ∫_0^∞ (∫_x^∞ f dy) dx, in text and in MathML
    from elbo_derivation.report.handout import NotesMathMLPrinter

    e = sp.Integral(sp.exp(-y), (y, x, sp.oo), (x, 0, sp.oo))
    assert pretty(e) == "∫_0^∞ ∫_x^∞ exp(−y) dy dx"
    mathml = NotesMathMLPrinter().doprint(e)
    assert mathml.index("<mn>0</mn>") < mathml.index("<mi>x</mi>")  # the outer sign first
    assert mathml.rindex("<mi>y</mi>") < mathml.rindex("<mi>x</mi>")  # dy before dx
