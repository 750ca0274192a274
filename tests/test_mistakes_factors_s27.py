"""Factors lost (session 27): a factor of the previous line lost on a step that also
rearranges (put back on the written step), a bracket 1 − p lost whole from a product, the
Gamma recursion applied once where it is needed twice, and a term dropped that is a term
of the factor lost.

Each mechanism is tested in one notation and again with other letters or in the other format,
beside a near miss that must not get the name.
"""

from __future__ import annotations

import pytest
import sympy as sp
from corpus.support import named_in_text

from elbo_derivation.explain import simulations as sim

pytestmark = pytest.mark.usefixtures("unhurried_naming")


_named = named_in_text


# --- the simulations --------------------------------------------------------------------------


def test_a_bracket_lost_whole_from_a_product_is_simulated() -> None:
    n, p = sp.symbols("n p", positive=True)
    assert [w for w, _ in sim.bracket_factor_dropped(n * p * (1 - p), None)] == [n * p]
    # its root too, and nothing where no bracket 1 ± t stands
    root = sp.sqrt(1 - p)
    assert [w for w, _ in sim.bracket_factor_dropped(n * root, None)] == [n]
    assert sim.bracket_factor_dropped(n * p * (2 - p), None) == []


def test_the_gamma_recursion_stopped_early_is_simulated() -> None:
    s = sp.Symbol("s", positive=True)
    wrong = [w for w, _ in sim.gamma_recursion_stopped(sp.gamma(s + 3) / sp.gamma(s), None)]
    assert sorted(wrong, key=str) == sorted([(s + 1) * (s + 2), s * (s + 2), s * (s + 1)],
                                            key=str)
    # without Γ(s) beside it there is no ratio the recursion was taken for
    assert sim.gamma_recursion_stopped(sp.gamma(s + 2), None) == []


def test_a_factor_is_put_back_only_where_the_values_allow() -> None:
    a, r = sp.symbols("a r", positive=True)

    from types import SimpleNamespace

    roles = SimpleNamespace(factors_lost=[1 - r])
    assert [w for w, _ in sim.factor_restored(a, roles)] == [a * (1 - r)]
    assert sim.factor_restored(sp.Integer(3), roles) == []  # a number is no product


# --- on derivations -----------------------------------------------------------------------------


def test_a_bracket_lost_whole_is_a_factor_dropped() -> None:
    # the variance n·p·(1 − p) written n·p: the whole bracket is gone from the page (a term
    # −p lost would leave its 1 behind), so the factor is named, not the term
    text = ("symbols: n : positive integer\nsymbols: 0 < p < 1\n"
            "n*p - n*p^2\n= n*p*(1 - p)\n= n*p\n")
    assert _named(text, step=2) == "dropped-factor"


def test_a_bracket_lost_whole_in_latex_with_other_letters() -> None:
    text = (r"% symbols: K : positive integer" "\n"
            r"% symbols: 0 < q < 1" "\n"
            r"\begin{align*}" "\n"
            r"K q (1 - q) &= K q" "\n"
            r"\end{align*}" "\n")
    assert _named(text, tex=True) == "dropped-factor"


def test_a_factor_lost_while_the_fractions_are_joined() -> None:
    # a/t − b/(1 − t) over one denominator, written without its 1 − t: the page shows
    # 1/(1 − t) gone
    text = ("symbols: a, b : positive\nsymbols: 0 < t < 1\n"
            "a/t - b/(1 - t)\n= (a*(1 - t) - b*t)/t\n")
    assert _named(text) == "dropped-factor"
    other = ("symbols: u, v : positive\nsymbols: 0 < s < 1\n"
             "u/s - v/(1 - s)\n= (u*(1 - s) - v*s)/s\n")
    assert _named(other) == "dropped-factor"


def test_a_factor_lost_inside_a_log_whose_logs_merged() -> None:
    # log(a(1 − r)) − log(b·r) joined into one log without its 1 − r: a factor lost from the
    # product the logs formed (the term log(1 − r) dropped is the log of that factor)
    text = ("symbols: a, b : positive\nsymbols: 0 < r < 1\n"
            "log(a*(1 - r)) - log(b*r)\n= log(a/(b*r))\n")
    assert _named(text) == "dropped-factor"
    # a divisor 1/(1 − r) is no factor 1 − r that could be lost from a numerator
    divisor = ("symbols: a, b : positive\nsymbols: 0 < r < 1\n"
               "log(a/r) - log(b/(1 - r))\n= log(a/(b*r))\n")
    assert _named(divisor) is None


def test_a_factor_kept_on_the_page_is_not_dropped() -> None:
    # the same wrong value reached while every factor still stands on the page (the 1 − t
    # written as often as before): nothing says a factor was lost
    text = ("symbols: a, b : positive\nsymbols: 0 < t < 1\n"
            "a/t - b/(1 - t)\n= a/t - b*(1 - t)/(1 - t)^2 + b/(1 - t) - b/(1 - t)^2\n")
    assert _named(text) != "dropped-factor"


def test_the_gamma_recursion_applied_once_is_named_by_its_rule() -> None:
    text = ("symbols: a, b : positive\n"
            "b^a*gamma(a + 2)/(gamma(a)*b^(a + 2))\n= (a + 1)/b^2\n")
    assert _named(text) == "gamma-recursion"
    tex = (r"% symbols: \kappa, \theta : positive" "\n"
           r"\begin{align*}" "\n"
           r"\frac{\Gamma(\kappa + 2)}{\Gamma(\kappa)\,\theta^2} &= \frac{\kappa + 1}{\theta^2}"
           "\n"
           r"\end{align*}" "\n")
    assert _named(tex, tex=True) == "gamma-recursion"


# --- a count lost on one constant term of a sum ---------------------------------------------


def test_the_count_lost_on_one_term_is_simulated() -> None:
    i = sp.Symbol("i", integer=True)
    n = sp.Symbol("n", positive=True, integer=True)
    s = sp.Symbol("s", positive=True)
    y = sp.Function("y", real=True)
    body = -sp.log(2 * sp.pi * s**2) / 2 - y(i) ** 2
    wrong = [w for w, _ in sim.count_lost_on_one_term(sp.Sum(body, (i, 1, n)), None)]
    rest = -sp.Sum(y(i) ** 2, (i, 1, n))
    assert any(sp.simplify(w - (rest - n * sp.log(2 * sp.pi) / 2 - sp.log(s))) == 0
               for w in wrong)
    # a numeric bound is no count of the derivation
    assert sim.count_lost_on_one_term(sp.Sum(body, (i, 1, 3)), None) == []


def test_a_count_lost_on_the_log_of_a_half_of_each_term() -> None:
    text = ("symbols: T : positive integer\nsymbols: t : integer\n"
            "functions: u(t), v(t) : positive\n"
            "Sum(log(u(t)/2 + v(t)/2), (t, 1, T))\n"
            "= Sum(log(u(t) + v(t)), (t, 1, T)) - log(2)\n")
    assert _named(text) == "dimension-count"
    right = ("symbols: T : positive integer\nsymbols: t : integer\n"
             "functions: u(t), v(t) : positive\n"
             "Sum(log(u(t)/2 + v(t)/2), (t, 1, T))\n"
             "= Sum(log(u(t) + v(t)), (t, 1, T)) - log(3)\n")
    assert _named(right) != "dimension-count"  # log 3 is no count of log 2


# --- a rule of differentiation over a ½ the page contradicts ----------------------------------


def test_the_chain_rules_two_over_a_half_nobody_wrote() -> None:
    # d/dt a²(b/a)^(2t) written without the inner derivative's 2: the value is also the
    # whole halved inside the derivative, but no ½ shows on the page
    text = ("symbols: a, b : positive\nsymbols: t : real\n"
            "diff(a^2*(b/a)^(2*t), t)\n= log(b/a)*a^2*(b/a)^(2*t)\n")
    assert _named(text) == "chain-rule-factor-forgotten"
    other = ("symbols: u, c : positive\nsymbols: s : real\n"
             "diff(u*c^(2*s), s)\n= u*c^(2*s)*log(c)\n")
    assert _named(other) == "chain-rule-factor-forgotten"


def test_a_half_written_inside_the_derivative_is_not_the_chain_rule() -> None:
    # the ½ stands on the page: the chain rule is not what the page shows alone
    text = ("symbols: a, b : positive\nsymbols: t : real\n"
            "diff(a^2*(b/a)^(2*t), t)\n= diff(a^2*(b/a)^(2*t)/2, t)\n")
    assert _named(text) != "chain-rule-factor-forgotten"


# --- a power put on one factor needs that power on the page --------------------------------


def test_a_power_on_one_factor_needs_the_power_over_that_factor_on_the_page() -> None:
    # e^{−r}·Σ(ru)^j/j! summed to e^{−r}·e^u: the factor r^j lost from the series, not a power
    # r put on e^u (the page raises nothing to the power r but e^{−1})
    text = ("symbols: r : positive\nsymbols: u : real\nsymbols: j : nonnegative integer\n\n"
            "    exp(-r)*Sum((r*u)^j/factorial(j), (j, 0, oo))\n  = exp(-r)*exp(u)\n")
    assert _named(text) != "power-on-one-factor"
    # where the page writes the power over both factors, the power kept on one is named
    text = ("symbols: b, t : positive\nsymbols: j : nonnegative integer\n\n"
            "    b^j*exp(j*t) + t\n  = b*exp(j*t) + t\n")
    assert _named(text) == "power-on-one-factor"


def test_a_doubled_value_with_no_half_anywhere_is_no_half_dropped() -> None:
    # b·v·e^{−2bu} − b + b·v·(−e^{−2bu}) = −b written −2b: the line before shows no ½ and
    # the repaired line −b holds none, so no ½ was dropped (a 2 too many, or not recognised)
    text = ("symbols: b, u, v : real\n\n"
            "    b*v*exp(-2*b*u) - b + b*v*(-exp(-2*b*u))\n  = -2*b\n")
    assert _named(text) != "dropped-half"
