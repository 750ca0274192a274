"""Naming, eleventh round (names4): the Gamma recursion in other forms.

Each mechanism is tested in one notation and again with other letters or in the other format,
beside a near miss that must stay "not recognised".
"""

from __future__ import annotations

import pytest
import sympy as sp
from corpus.support import named_in_text

from elbo_derivation.explain import simulations as sim

pytestmark = pytest.mark.usefixtures("unhurried_naming")

_named = named_in_text


# --- the Gamma recursion in other forms ----------------------------------------------------------


def test_the_recursion_taken_one_too_low_is_simulated() -> None:
    s = sp.Symbol("s", positive=True)
    assert [w for w, _ in sim.gamma_recursion_shifted_down(sp.gamma(s + 1) / sp.gamma(s),
                                                            None)] == [s - 1]
    assert sim.gamma_recursion_shifted_down(sp.gamma(s) * s, None) == []


def test_the_ratio_of_gammas_written_one_too_low_is_the_recursion() -> None:
    # Berger's posterior mean: Γ(α + x + 1)/Γ(α + x) written α + x − 1
    text = ("symbols: a, x : positive\n"
            "gamma(a + x + 1)/gamma(a + x)*x/(1 + x)\n= (a + x - 1)*x/(1 + x)\n")
    assert _named(text) == "gamma-recursion"
    tex = (r"% symbols: \kappa, \lambda : positive" "\n"
           r"\begin{align*}" "\n"
           r"\lambda\frac{\Gamma(\kappa + \lambda + 1)}{\Gamma(\kappa + \lambda)}"
           r" &= \lambda(\kappa + \lambda - 1)" "\n"
           r"\end{align*}" "\n")
    assert _named(tex, tex=True) == "gamma-recursion"


def test_a_ratio_off_by_two_is_not_the_recursion() -> None:
    text = ("symbols: a, x : positive\n"
            "gamma(a + x + 1)/gamma(a + x)\n= a + x - 2\n")
    assert _named(text) is None


def test_gamma_written_as_a_factorial_is_the_recursion() -> None:
    text = ("symbols: n : positive integer\nsymbols: t : positive\n"
            "gamma(n)*t^n\n= factorial(n)*t^n\n")
    assert _named(text) == "gamma-recursion"
    tex = (r"% symbols: m : positive integer" "\n" r"% symbols: u : positive" "\n"
           r"\begin{align*}" "\n"
           r"\frac{u^m}{\Gamma(m)} &= \frac{u^m}{m!}" "\n"
           r"\end{align*}" "\n")
    assert _named(tex, tex=True) == "gamma-recursion"


def test_a_factorial_written_as_gamma_is_the_recursion() -> None:
    text = ("symbols: m : positive integer\nsymbols: u : positive\n"
            "factorial(m)/u\n= gamma(m)/u\n")
    assert _named(text) == "gamma-recursion"


def test_a_factorial_off_by_two_is_not_the_recursion() -> None:
    text = ("symbols: n : positive integer\nsymbols: t : positive\n"
            "gamma(n)*t^n\n= factorial(n + 1)*t^n\n")
    assert _named(text) is None


def test_a_series_index_is_not_read_as_a_gamma_argument() -> None:
    # Σ_{k≥0} λ^k/Γ(k) = λe^λ, but a series of k! is not one of Γ(k): its first term is
    # where the two part ways, so λ·e^(−λ)·Σ λ^k/k! written λ² is not the recursion
    lam = sp.Symbol("lam", positive=True)
    k = sp.Symbol("k", integer=True)
    series = lam * sp.Sum(lam**k / sp.factorial(k), (k, 0, sp.oo))
    assert sim.gamma_factorial_confused(series, None) == []


# --- a multivariate Gaussian's KL ----------------------------------------------------------------


def test_the_dimension_lost_in_a_log_is_simulated() -> None:
    d = sp.Symbol("d", positive=True, integer=True)
    v, s = sp.symbols("v s", positive=True)
    m = sp.MatrixSymbol("m", d, 1)
    e = sp.log(v**d / s**(2 * d)) / 2 + sp.Trace(m.T * m)
    assert [w for w, _ in sim.dimension_lost_in_a_log(e, None)] == [
        sp.log(v / s**2) / 2 + sp.Trace(m.T * m)]
    # D beside the powers in the same log: not the exponents' count alone
    assert sim.dimension_lost_in_a_log(sp.log(d * v**d) + sp.Trace(m.T * m), None) == []


def test_the_log_determinant_of_a_scaled_identity_without_its_count_is_named() -> None:
    # Alquier's KL of isotropic Gaussians: log(v^d/s^(2d)) written log(v/s²)
    text = ("symbols: k : positive integer\nsymbols: a, b : positive\n"
            "symbols: w : vector(k) real\n"
            "(log(a^k/b^(2*k)) + transpose(w)*w/a)/2\n= (log(a/b^2) + transpose(w)*w/a)/2\n")
    assert _named(text) == "dimension-count"
    tex = (r"% symbols: n : positive integer" "\n" r"% symbols: \alpha, \beta : positive" "\n"
           r"% symbols: u : vector(n) real" "\n"
           r"\begin{align*}" "\n"
           r"\frac{1}{2}\left(\log\frac{\alpha^{n}}{\beta^{n}} + \frac{u^\top u}{\alpha}\right)"
           r" &= \frac{1}{2}\left(\log\frac{\alpha}{\beta} + \frac{u^\top u}{\alpha}\right)" "\n"
           r"\end{align*}" "\n")
    assert _named(tex, tex=True) == "dimension-count"


def test_another_count_in_the_log_is_not_the_dimension_lost() -> None:
    text = ("symbols: k : positive integer\nsymbols: a, b : positive\n"
            "symbols: w : vector(k) real\n"
            "(log(a^k/b^k) + transpose(w)*w/a)/2\n= (log(a^2/b^2) + transpose(w)*w/a)/2\n")
    assert _named(text) is None


def test_the_trace_ratio_turned_over_is_simulated() -> None:
    n = sp.Symbol("n", positive=True, integer=True)
    a, b = sp.MatrixSymbol("A", n, n), sp.MatrixSymbol("B", n, n)
    assert [w for w, _ in sim.trace_ratio_flipped(sp.Trace(a.I * b), None)] == [
        sp.Trace(b.I * a)]
    assert sim.trace_ratio_flipped(sp.Trace(a * b), None) == []
    assert sim.trace_ratio_flipped(sp.Trace(a.I * b.I), None) == []


def test_the_kl_trace_with_its_covariances_exchanged_is_a_ratio_flipped() -> None:
    text = ("symbols: D : positive integer\nsymbols: A, B : matrix(D) positive definite\n"
            "(tr(inv(B)*A) - D + logdet(B) - logdet(A))/2\n"
            "= (tr(inv(A)*B) - D + logdet(B) - logdet(A))/2\n")
    assert _named(text) == "ratio-flipped"
    other = ("symbols: K : positive integer\nsymbols: P, Q : matrix(K) positive definite\n"
             "symbols: m : vector(K) real\n"
             "tr(inv(Q)*P) + transpose(m)*inv(Q)*m - K\n"
             "= tr(inv(P)*Q) + transpose(m)*inv(Q)*m - K\n")
    assert _named(other) == "ratio-flipped"


def test_the_trace_with_its_inverse_lost_is_not_a_ratio_flipped() -> None:
    text = ("symbols: D : positive integer\nsymbols: A, B : matrix(D) positive definite\n"
            "(tr(inv(B)*A) - D)/2\n= (tr(B*A) - D)/2\n")
    assert _named(text) is None


# --- the complement of a logistic weight ---------------------------------------------------------


def test_a_logistic_weight_written_as_its_complement_is_not_named() -> None:
    # e^r/(1 + e^r) written 1/(1 + e^r): the complement, the sign of r and the numerator e^r
    # lost write the same value, and the page cannot tell them apart (the denominator stands
    # in each): not recognised, never one of them guessed
    text = "symbols: r : real\nexp(r)/(1 + exp(r))\n= 1/(1 + exp(r))\n"
    assert _named(text) is None
    tex = (r"% symbols: y, \eta : real" "\n"
           r"\begin{align*}" "\n"
           r"y - \frac{e^{\eta}}{1 + e^{\eta}} &= y - \frac{1}{1 + e^{\eta}}" "\n"
           r"\end{align*}" "\n")
    assert _named(tex, tex=True) is None


def test_a_sign_in_a_logistic_weight_written_so_is_not_its_complement() -> None:
    # 1/(1 + e^(−a)) written 1/(1 + e^a): the written step keeps no weight f/(1 + f) of the
    # previous line, so the complement does not stand in for the sign
    text = "symbols: a : real\n1/(1 + exp(-a))\n= 1/(1 + exp(a))\n"
    assert _named(text) != "complement-probability"


# --- the way back: the written step put right, in the author's notation --------------------------


def _way_back(text: str) -> tuple[str | None, sp.Basic | None, sp.Basic]:
    from elbo_derivation.explain.mistakes import diagnose
    from elbo_derivation.read.deriv import parse_derivation

    d = parse_derivation(text)
    step = d.steps[0]
    lhs = d.expand_definitions(step.lhs(d))
    m = diagnose(lhs, d.expand_definitions(step.expr), d, step)
    return (None, None, lhs) if m is None else (m.name, m.expected_step, lhs)


def test_a_count_written_one_is_put_back_in_the_written_constant() -> None:
    name, back, lhs = _way_back(
        "symbols: D : positive integer\nsymbols: j : integer\nsymbols: a : positive\n"
        "-Sum(1, (j, 1, D))/2 + a\n= a - 1/2\n")
    a, big_d = sp.Symbol("a", positive=True), sp.Symbol("D", positive=True, integer=True)
    assert name == "dimension-count"
    assert back is not None and back != lhs
    assert sp.simplify(back - (a - big_d / 2)) == 0 and not back.has(sp.Sum)


def test_a_term_lost_is_added_back_to_the_written_step() -> None:
    name, back, _lhs = _way_back(
        "symbols: x, y : positive\nlog(x*y) + x^2\n= log(x) + x^2\n")
    x, y = sp.symbols("x y", positive=True)
    assert name == "dropped-term"
    assert back == sp.log(x) + x**2 + sp.log(y)
