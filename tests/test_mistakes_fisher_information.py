"""Naming, twelfth round (names7): slips made while a Fisher information is taken.

The information is E[−∂²/∂θ² log f(x; θ)] under the model's density: the step takes the
derivative under the expectation and keeps the expectation, then evaluates it with the family's
mean. A square lost from the derivative's value (the power rule's θ² of d/dθ(x/θ)) is a
``missing-square``; the mean E[x] written as its square or as the second moment is a
``wrong-moment``. Each is tested in other letters than the corpus's, beside near misses that
must stay "not recognised" or keep another name. (Bernoulli and Poisson informations:
Lehmann & Casella, Theory of Point Estimation, 2nd ed., sec. 2.5, eqs. (5.10)-(5.12).)
"""

from __future__ import annotations

import pytest
import sympy as sp
from corpus.support import named_in_text

from elbo_derivation.explain import simulations as sim
from elbo_derivation.explain.witness_moments import _square_made_by_derivative

pytestmark = pytest.mark.usefixtures("unhurried_naming")

_named = named_in_text

BERNOULLI = ("symbols: 0 < r < 1\n"
             "densities: g(y) = Bernoulli(r)\n")
POISSON = ("symbols: mu : positive\n"
           "densities: g(y) = Poisson(mu)\n")


# --- a square lost in the value of a derivative taken under a kept expectation ------------------


def test_a_square_lost_under_the_expectation_is_named() -> None:
    text = (BERNOULLI
            + "E[-diff(y*log(r) + (1 - y)*log(1 - r), r, 2), y ~ g(y)]\n"
            "= E[y/r + (1 - y)/(1 - r)^2, y ~ g(y)]\n")
    assert _named(text) == "missing-square"


def test_the_bracket_written_with_its_constant_first_lost_its_square() -> None:
    # the rules give (r − 1)²; the author writes (1 − r)², and loses that square
    text = (BERNOULLI
            + "E[-diff(y*log(r) + (1 - y)*log(1 - r), r, 2), y ~ g(y)]\n"
            "= E[y/r^2 + (1 - y)/(1 - r), y ~ g(y)]\n")
    assert _named(text) == "missing-square"


def test_a_rate_whose_square_no_line_writes_is_no_standard_deviation() -> None:
    # 1/μ² comes from the second derivative of log μ: no variance stood on the page, so
    # 1/μ for it is a square lost, not a standard deviation written for a variance
    text = ("symbols: mu : positive\n"
            "densities: g(y) = Exponential(mu)\n"
            "E[-diff(log(mu) - mu*y, mu, 2), y ~ g(y)]\n"
            "= E[1/mu, y ~ g(y)]\n")
    assert _named(text) == "missing-square"


def test_a_sign_lost_under_the_expectation_is_not_a_square() -> None:
    text = (BERNOULLI
            + "E[-diff(y*log(r) + (1 - y)*log(1 - r), r, 2), y ~ g(y)]\n"
            "= E[y/r^2 - (1 - y)/(1 - r)^2, y ~ g(y)]\n")
    assert _named(text) != "missing-square"


def test_the_negated_bracket_is_tried_only_for_a_negative_constant() -> None:
    q, n = sp.symbols("q n", positive=True)
    assert len(sim.square_lost_from_denominator(n / (q - 1) ** 2, None)) == 2
    assert len(sim.square_lost_from_denominator(n / (q + 1) ** 2, None)) == 1


def test_a_square_made_by_a_derivative_needs_no_square_written() -> None:
    t, y = sp.symbols("t y", positive=True)
    assert _square_made_by_derivative(t**-2, sp.Derivative(sp.log(t) - t * y, (t, 2)))
    # a variance written on the previous line: the square was there to be confused
    assert not _square_made_by_derivative(t**-2, sp.Derivative(y / t**2, t))
    assert not _square_made_by_derivative(t**-2, 1 / t**2)


# --- the family's mean written wrong in an information's expectation ------------------------------


def test_the_mean_written_as_its_square_is_a_wrong_moment() -> None:
    text = (POISSON
            + "E[y/mu^2, y ~ g(y)]\n"
            "= mu^2/mu^2\n")
    assert _named(text) == "wrong-moment"


def test_the_mean_written_as_its_square_in_one_term_is_a_wrong_moment() -> None:
    text = (BERNOULLI
            + "E[y/r^2 + (1 - y)/(1 - r)^2, y ~ g(y)]\n"
            "= r^2/r^2 + (1 - r)/(1 - r)^2\n")
    assert _named(text) == "wrong-moment"


def test_a_mean_written_as_another_number_is_not_a_moment() -> None:
    text = (POISSON
            + "E[y/mu^2, y ~ g(y)]\n"
            "= 2*mu/mu^2\n")
    assert _named(text) != "wrong-moment"


def test_the_bernoulli_second_moment_is_its_mean_and_is_not_tried() -> None:
    from types import SimpleNamespace

    r = sp.Symbol("r", positive=True)
    y = sp.Symbol("y", integer=True, nonnegative=True)
    g = sp.Function("g")(y)
    from elbo_derivation.core.expectation import Expectation

    roles = SimpleNamespace(before_families=(Expectation(y / r**2, y, g),
                                             {g: ("bernoulli", (r,), y)}))
    out = [w for w, _ in sim.declared_mean_wrong(None, roles)]
    assert out == [sp.S.One]  # only E[y]² = r²: E[y²] = r is the mean itself


# --- a normal's variance written as its standard deviation in an evaluated moment ---------------


def test_the_standard_deviation_for_the_variance_in_a_second_moment() -> None:
    # the information of a normal scale: E[3(y − m)²/t⁴] = 3t²/t⁴, written 3t/t⁴
    text = ("symbols: m : real\nsymbols: t : positive\n"
            "densities: g(y) = N(m, t^2)\n"
            "E[-1/t^2 + 3*(y - m)^2/t^4, y ~ g(y)]\n"
            "= -1/t^2 + 3*t/t^4\n")
    assert _named(text) == "std-for-variance"


def test_a_moment_written_without_its_mean_is_not_a_standard_deviation() -> None:
    # E[y²] = t² + m² written t²: the mean's square lost, no standard deviation written
    text = ("symbols: m : real\nsymbols: t : positive\n"
            "densities: g(y) = N(m, t^2)\n"
            "E[y^2/t^4, y ~ g(y)]\n"
            "= t^2/t^4\n")
    assert _named(text) != "std-for-variance"


def test_an_integrand_with_the_right_value_only_is_no_repair() -> None:
    # d²/dt²(−log t − y²/(2t²)) = 1/t² − 3y²/t⁴ written 1/t² − y²/t⁴: under N(0, t²) the
    # integrand −1/t² − y²/t⁴ (a sign put on 1/t²) has the right value, but not the right
    # integrand; a sign error is not named from the value alone
    text = ("symbols: t : positive\n"
            "densities: g(y) = N(0, t^2)\n"
            "-E[diff(-log(t) - y^2/(2*t^2), t, 2), y ~ g(y)]\n"
            "= -E[1/t^2 - y^2/t^4, y ~ g(y)]\n")
    assert _named(text) != "sign-error"
