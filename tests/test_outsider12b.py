"""Regression tests for the reading gaps the twelfth outsider pass (o12b: textbook sections on
probabilistic ML) found: an integration variable with a subscript (MacKay's ``dp_a``), a data
index shifted by a whole number (Bishop's ``\\mu^{(N-1)}``), and the arctangent."""

from __future__ import annotations

import sympy as sp

from elbo_derivation.read.deriv import parse_derivation
from elbo_derivation.read.tex import parse_tex_derivation


def _verdicts(d) -> list[str]:
    from elbo_derivation.pipeline import check_derivation

    return [s.verdict.value for s in check_derivation(d, time_limit=20).steps]


def _tex(head: str, lines: str) -> str:
    return head + "\\begin{align*}\n" + lines + "\n\\end{align*}\n"


def test_a_subscripted_integration_variable_is_bound_by_its_integral():
    # the Beta integral over p_a, as MacKay writes the bent coin's posterior
    head = "% symbols: F : nonnegative integer\n"
    right = _tex(head, "\\int_0^1 p_a^{F}\\,dp_a &= \\frac{1}{F + 1}")
    wrong = _tex(head, "\\int_0^1 p_a^{F}\\,dp_a &= \\frac{1}{F + 2}")
    d = parse_tex_derivation(right, file="b.tex")
    assert d.start.has(sp.Integral)
    assert _verdicts(d) == ["proved"]
    assert _verdicts(parse_tex_derivation(wrong, file="b.tex")) == ["refuted"]


def test_the_entry_of_a_declared_vector_is_not_rebound_by_an_integral():
    # \mu_1 is the first entry of the declared vector mu: an integral over it is refused, not
    # read as an integral over a new scalar of the same name
    head = "% symbols: D : positive integer\n% symbols: \\mu : vector(D) real\n"
    text = _tex(head, "\\int_0^1 \\mu_1\\,d\\mu_1 &= \\frac{1}{2}")
    try:
        d = parse_tex_derivation(text, file="v.tex")
    except Exception:  # refused with a message: fine
        return
    assert not any(s.name == "mu_1" for s in d.start.free_symbols)


def test_a_data_index_shifted_by_one_is_the_same_sequence():
    # Bishop's sequential estimate of the mean, mu^{(N)} = mu^{(N-1)} + (x_N - mu^{(N-1)})/N
    head = ("% symbols: n : integer\n% symbols: N : positive integer\n% functions: x_n : real\n"
            "% let: \\mu_N = \\frac{1}{N}\\sum_{n=1}^{N} x_n\n")
    right = _tex(head, "\\mu^{(N)} &= \\frac{1}{N}x_N + \\frac{N-1}{N}\\mu^{(N-1)}")
    wrong = _tex(head, "\\mu^{(N)} &= \\frac{1}{N}x_N + \\mu^{(N-1)}")
    assert _verdicts(parse_tex_derivation(right, file="m.tex")) == ["proved"]
    assert _verdicts(parse_tex_derivation(wrong, file="m.tex")) == ["refuted"]


def test_a_power_of_e_with_a_bracketed_exponent_stays_a_power():
    head = "% symbols: t : real\n"
    d = parse_tex_derivation(_tex(head, "e^{(t-1)} &= e^{t} e^{-1}"), file="e.tex")
    assert d.start == sp.exp(sp.Symbol("t", real=True) - 1)
    assert _verdicts(d) == ["proved"]


def test_the_arctangent_is_read_in_both_notations():
    # Bishop's exercise 11.3: the Cauchy distribution's cumulative distribution function
    deriv = """symbols: y, t : real

    Integral(1/(pi*(1 + t^2)), (t, -oo, y))
  = 1/2 + atan(y)/pi
"""
    assert _verdicts(parse_derivation(deriv, file="c.deriv")) == ["proved"]
    wrong = deriv.replace("1/2 + atan", "1 + atan")
    assert _verdicts(parse_derivation(wrong, file="c.deriv")) == ["refuted"]
    tex = _tex("% symbols: y : real\n",
               "\\frac{d}{dy}\\left(\\frac{1}{2} + \\frac{1}{\\pi}\\arctan y\\right) "
               "&= \\frac{1}{\\pi(1 + y^2)}")
    assert _verdicts(parse_tex_derivation(tex, file="c.tex")) == ["proved"]
