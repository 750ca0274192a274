"""Factors and rules of differentiation (session 26): the power rule's factor forgotten in
every like power, a rule of differentiation the page shows against a ½ it contradicts, and a
mixture weight lost from a ratio it also stands in.

Each mechanism is tested in one notation and again with other letters or in the other format,
beside a near miss that must not get the name.
"""

from __future__ import annotations

import pytest
import sympy as sp
from corpus.support import named_in

from elbo_derivation.explain import simulations as sim
from elbo_derivation.read.deriv import parse_derivation
from elbo_derivation.read.tex import parse_tex_derivation

pytestmark = pytest.mark.usefixtures("unhurried_naming")


def _named(text: str, step: int = 1, tex: bool = False) -> str | None:
    d = parse_tex_derivation(text) if tex else parse_derivation(text)
    st = d.steps[step - 1]
    return named_in(d, st)


# --- the power rule's 2 forgotten in each square of a sum ------------------------------------


def test_the_power_rule_forgotten_in_each_square_is_simulated() -> None:
    m, a, b = sp.symbols("m a b", real=True)
    der = sp.Derivative(-((a - m) ** 2 + (b - m) ** 2) / 2, m)
    wrong = [w for w, _ in sim.power_factor_lost_in_each(der, None)]
    assert len(wrong) == 1 and sp.simplify(wrong[0] - ((a - m) + (b - m)) / 2) == 0
    # one square alone is the single-power simulation's, not this one's
    assert sim.power_factor_lost_in_each(sp.Derivative((a - m) ** 2 + m, m), None) == []


def test_each_square_differentiated_without_its_two_is_the_power_rule() -> None:
    text = ("symbols: m, a, b : real\nsymbols: v, w : positive\n"
            "diff(-(v*(a - m)^2 + w*(b - m)^2)/(2*w), m)\n"
            "= (v*(a - m) + w*(b - m))/(2*w)\n")
    assert _named(text) == "power-rule-factor"


def test_each_square_in_latex_with_other_letters() -> None:
    text = (r"% symbols: \theta, y_1, y_2 : real" "\n"
            r"% symbols: \lambda, \kappa : positive" "\n"
            r"\begin{align*}" "\n"
            r"\frac{\partial}{\partial \theta}\left(-\frac{\lambda (y_1 - \theta)^2"
            r" + \kappa (y_2 - \theta)^2}{2}\right)" "\n"
            r"&= \frac{\lambda (y_1 - \theta) + \kappa (y_2 - \theta)}{2}" "\n"
            r"\end{align*}" "\n")
    assert _named(text, tex=True) == "power-rule-factor"


def test_the_same_half_without_a_derivative_is_no_power_rule() -> None:
    # the same written value after a line with no derivative: no rule was taken
    text = ("symbols: m, a, b : real\nsymbols: v, w : positive\n"
            "(v*(a - m) + w*(b - m))/w\n= (v*(a - m) + w*(b - m))/(2*w)\n")
    assert _named(text) != "power-rule-factor"


# --- a rule of differentiation shown on the page, against a mechanism it contradicts ----------


def test_the_chain_rule_factor_over_a_factor_the_other_term_holds() -> None:
    # d/dw of the logistic log-likelihood with the inner factor x forgotten in one term: the
    # factor x "put on one term only" would need the other term to lack x, and it holds it
    text = ("symbols: w, x : real\nsymbols: y : positive\n"
            "diff(y*log(1/(1 + exp(-w*x))) + (1 - y)*log(1 - 1/(1 + exp(-w*x))), w)\n"
            "= -x*(1 - y)/(1 + exp(-w*x)) + y*(1 - 1/(1 + exp(-w*x)))\n")
    assert _named(text) == "chain-rule-factor-forgotten"


# --- a weight lost from a ratio whose sum holds it --------------------------------------------


def test_a_mixture_weight_lost_from_its_responsibility() -> None:
    text = ("symbols: a, u, v : positive\n"
            "a*u/(a*u + (1 - a)*v)\n= u/(a*u + (1 - a)*v)\n")
    assert _named(text) == "dropped-factor"


def test_a_mixture_weight_lost_in_latex() -> None:
    text = (r"% symbols: \pi_1, f, g : positive" "\n" r"\begin{align*}" "\n"
            r"\frac{\pi_1 f}{\pi_1 f + (1 - \pi_1) g}" "\n"
            r"&= \frac{f}{\pi_1 f + (1 - \pi_1) g}" "\n" r"\end{align*}" "\n")
    assert _named(text, tex=True) == "dropped-factor"


def test_a_compound_factor_standing_in_the_sum_is_still_not_dropped() -> None:
    # e^{−x}/(1 + e^{−x}) written 1/(1 + e^{−x}): the written ratio may be the first rewritten
    # through e^{−x} (1/(eˣ + 1)) with another mistake; no factor-dropped name
    text = ("symbols: x : real\nexp(-x)/(1 + exp(-x))\n= 1/(1 + exp(-x))\n")
    assert _named(text) != "dropped-factor"


# --- a coordinate derivative of a sum, compared by the value the step took --------------------


_SEQUENCE = ("symbols: k, i : integer\nsymbols: K : positive integer\n"
             "functions: u(k) : real\nfunctions: v(k) : positive\n")


def test_a_coordinate_derivative_doubled_is_a_factor_two() -> None:
    # d/du_i Σ_k (u_k² + v_k²)/2 = u_i: written 2u_i, the whole doubled (the simulated step
    # is compared through the derivative's value, which the numbers alone cannot take)
    text = _SEQUENCE + "diff(Sum((u(k)^2 + v(k)^2)/2, (k, 1, K)), u(i))\n= 2*u(i)\n"
    assert _named(text) == "factor-two"


def test_a_coordinate_derivative_written_another_way_is_no_factor_two() -> None:
    text = _SEQUENCE + "diff(Sum((u(k)^2 + v(k)^2)/2, (k, 1, K)), u(i))\n= u(i) + v(i)\n"
    assert _named(text) != "factor-two"
