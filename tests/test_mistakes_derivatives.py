"""Mistakes of derivatives and factors taken rule by rule (issue 17), each beside a near miss.

The power rule's factor forgotten is simulated in the derivative as a textbook takes it (the
chain rule's inner factor and the product rule's other terms right), and named only where
the page shows a derivative of that power which the step took; a factor lost in the body of
a derivative is named only where the step keeps the derivative; a square lost only where the
previous line wrote it.
"""

from __future__ import annotations

import sympy as sp
from corpus.support import named_in

from elbo_derivation.explain.simulations import power_factor_lost
from elbo_derivation.read.deriv import parse_derivation


def _named(text: str, step: int = 1) -> str | None:
    d = parse_derivation(text)
    st = d.steps[step - 1]
    return named_in(d, st)


def test_the_power_rule_factor_lost_inside_the_chain_rule() -> None:
    text = ("symbols: y : real\nsymbols: k : positive\n"
            "diff(-(k + 3)/2*log(1 + y^2/k), y)\n= {}\n")
    assert _named(text.format("-(k + 3)/2*(y/k)/(1 + y^2/k)")) == "power-rule-factor"
    # the inner factor kept, another number changed: not the power rule's
    assert _named(text.format("-(k + 3)/2*(3*y/k)/(1 + y^2/k)")) is None


def test_the_power_rule_factor_of_a_bracket_is_lost_once() -> None:
    y, a, b = sp.symbols("y a b", real=True)
    right = sp.Derivative((a + b * y) ** 2 / 2 + y**2, a)
    assert [w for w, _ in power_factor_lost(right, None)] == [a / 2 + b * y / 2]


def test_the_same_value_without_a_derivative_is_no_power_rule() -> None:
    # (a + b·y)/2 written for a + b·y on a line without a derivative: no power rule was used
    text = "symbols: a, b, y : real\nsymbols: c : positive\nc + a + b*y\n= c + (a + b*y)/2\n"
    assert _named(text) != "power-rule-factor"
    text = ("symbols: a, b, y : real\nsymbols: c : positive\n"
            "diff(c*a + (a + b*y)^2/2, a)\n= c + (a + b*y)/2\n")
    assert _named(text) == "power-rule-factor"


def test_a_coordinate_derivative_of_a_sum_loses_its_power_or_its_factor() -> None:
    text = ("symbols: N : positive integer\nsymbols: i, k : integer\nsymbols: g : positive\n"
            "functions: u(i), v(i) : real\n"
            "diff(g*Sum((u(i) - v(i))^2, (i, 1, N)), u(k))\n= {}\n")
    assert _named(text.format("g*(u(k) - v(k))")) == "power-rule-factor"
    assert _named(text.format("2*(u(k) - v(k))")) == "dropped-factor"
    # another factor, never written: no name
    assert _named(text.format("2*g*u(k)*(u(k) - v(k))")) is None


def test_a_factor_lost_in_the_body_of_a_kept_derivative() -> None:
    text = ("symbols: a, t : real\nsymbols: r : positive\n"
            "diff(-log(r) + (a + r*t)^2/2, a)\n= {}\n")
    assert _named(text.format("diff(-log(r) + (a + t)^2/2, a)")) == "dropped-factor"
    # the same value, the factor r still written on the page (a term r put in beside it,
    # of derivative 0): r was not lost
    assert _named(text.format("diff(-log(r) + (a + t)^2/2 + r, a)")) != "dropped-factor"


def test_a_square_lost_from_a_denominator_the_author_wrote() -> None:
    text = "symbols: g, h, v : positive\n{}\n= g*h/(g + v) + 1\n"
    assert _named(text.format("g*h/(g + v)^2 + 1")) == "missing-square"
    # the square never written as one: a product of two brackets lost one of them
    assert _named(text.format("g*h/((g + v)*(g + v)) + 1")) != "missing-square"


def test_the_power_of_an_exponential_lost_in_a_log() -> None:
    text = ("symbols: n : nonnegative integer\nsymbols: t : real\n"
            "diff(log({}*exp(-exp(t))/factorial(n)), t)\n"
            "= diff(t - exp(t) - log(factorial(n)), t)\n")
    assert _named(text.format("exp(t)^n")) == "log-power-lost"
    # e^{nt} written as such: no power on the page to lose
    assert _named(text.format("exp(n*t)")) != "log-power-lost"


def test_the_power_rule_factor_lost_in_a_weighted_sum_differentiated_term_by_term() -> None:
    # d/dt Σ_n w_n·(−(y_n − t)²/(2c)) taken inside the sum first, then the power rule's 2
    # lost: the ½ this leaves is the page's own ½, not one added
    text = ("symbols: t : real\nsymbols: c : positive\nsymbols: M : positive integer\n"
            "symbols: n : integer\nfunctions: y(n) : real\nfunctions: w(n) : positive\n"
            "diff(Sum(w(n)*(-(y(n) - t)^2/(2*c)), (n, 1, M)), t)\n"
            "= Sum(w(n)*diff(-(y(n) - t)^2/(2*c), t), (n, 1, M))\n"
            "= {}\n")
    assert _named(text.format("Sum(w(n)*(y(n) - t)/(2*c), (n, 1, M))"), 2) == \
        "power-rule-factor"
    assert _named(text.format("Sum(w(n)*(y(n) - t)/(3*c), (n, 1, M))"), 2) is None


def test_a_power_lost_in_a_log_while_the_sums_are_gathered_under_one_sign() -> None:
    # Σ a_d² + Σ log b_d² − D gathered as Σ (a_d² + log b_d − 1): the sums joined by
    # linearity (D the sum of 1 over the range) show the square lost inside the log
    text = ("symbols: D : positive integer\nsymbols: d : integer\n"
            "functions: a(d) : real\nfunctions: b(d) : positive\n"
            "(Sum(a(d)^2, (d, 1, D)) + Sum(log(b(d)^2), (d, 1, D)) - D)/2\n= {}\n")
    assert _named(text.format("Sum(a(d)^2 + log(b(d)) - 1, (d, 1, D))/2")) == "log-power-lost"
    assert _named(text.format("Sum(a(d)^2 + log(b(d)^3) - 1, (d, 1, D))/2")) is None
