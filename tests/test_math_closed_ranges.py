"""A count declared in a closed range whose end is another symbol (``j : integer [0, m]``):
the Beta integral whose exponent is linear in it converges by the range (c + m − j > 0 at
both ends), the probe draws the count inside the range at the drawn value of its end, and a
binomial coefficient is evaluated numerically (the evidence of a coin, Beta-Bernoulli)."""

from __future__ import annotations

import pytest
from corpus.support import named_in_text

from elbo_derivation.core.steps import Verdict
from elbo_derivation.decide.verdict import decide_step
from elbo_derivation.read.deriv import parse_derivation

HEAD = ("symbols: u : (0, 1)\nsymbols: a, c : positive\nsymbols: m : nonnegative integer\n"
        "symbols: j : integer [0, m]\n")


def _decide(text: str):
    d = parse_derivation(text)
    return decide_step(d, d.steps[0], time_limit=5.0)


def test_a_beta_integral_with_an_exponent_linear_in_a_ranged_count() -> None:
    lhs = "Integral(u^(a + j - 1)*(1 - u)^(c + m - j - 1), (u, 0, 1))"
    r = _decide(HEAD + f"  {lhs}\n= gamma(a + j)*gamma(c + m - j)/gamma(a + c + m)\n")
    assert r.verdict is Verdict.PROVED, r
    w = _decide(HEAD + f"  {lhs}\n= gamma(a + j)*gamma(c + m - j)/gamma(a + c)\n")
    assert w.verdict is Verdict.REFUTED, w
    point = w.counterexample.point
    assert "j" not in point or 0 <= point["j"] <= point["m"]


def test_a_ranged_count_beyond_its_end_is_not_assumed() -> None:
    # c − j may be ≤ 0 for j in [0, m]: the Beta rule does not apply (no proof by it)
    text = (HEAD + "  Integral(u^(a + j - 1)*(1 - u)^(c - j - 1), (u, 0, 1))\n"
            "= gamma(a + j)*gamma(c - j)/gamma(a + c)\n")
    assert _decide(text).verdict is not Verdict.PROVED


@pytest.mark.parametrize(("right", "wrong"), [
    ("1/((m + 1)*binomial(m, j))", "1/binomial(m, j)"),
])
def test_factorials_and_a_binomial_at_counts_inside_the_range(right, wrong) -> None:
    lhs = "factorial(j)*factorial(m - j)/factorial(m + 1)"
    assert _decide(HEAD + f"  {lhs}\n= {right}\n").verdict is Verdict.PROVED
    w = _decide(HEAD + f"  {lhs}\n= {wrong}\n")
    assert w.verdict is Verdict.REFUTED, w
    point = w.counterexample.point
    assert 0 <= point["j"] <= point["m"]


@pytest.mark.usefixtures("unhurried_naming")
def test_a_shifted_gamma_argument_is_no_factor_one_half() -> None:
    """Γ(m + 2) written Γ(m + 1) moves the argument of Γ by one: the value changes by the
    factor m + 1, not by ½, so "an extra ½" must not be said."""
    text = (HEAD + "gamma(2)/(gamma(1)*gamma(1))*gamma(1 + j)*gamma(1 + m - j)/gamma(2 + m)\n"
            "= factorial(j)*factorial(m - j)/factorial(m)\n")
    assert named_in_text(text) not in ("extra-half", "dropped-half")
