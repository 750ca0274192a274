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
