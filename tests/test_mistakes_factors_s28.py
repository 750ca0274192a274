"""Factors and counts (session 28): an expectation written as its integral without its
density, a square standing in a product multiplied out with its cross term's 2 lost, and a
count lost from a sum of a term free of the index (the screen drawing a count above 1).

Each mechanism is tested in one notation and again with other letters or in the other format,
beside a near miss that must not get the name.
"""

from __future__ import annotations

import pytest
import sympy as sp
from corpus.support import named_in_text

from elbo_derivation.core.expectation import Expectation
from elbo_derivation.explain import simulations as sim

pytestmark = pytest.mark.usefixtures("unhurried_naming")


_named = named_in_text


# --- the simulations --------------------------------------------------------------------------


def test_an_expectation_written_as_its_integral_without_the_density_is_simulated() -> None:
    z = sp.Symbol("z", real=True)
    q, g = sp.Function("q"), sp.Function("g")
    out = sim.density_dropped_from_expectation(Expectation(g(z), z, q(z)), None)
    assert [w for w, _ in out] == [sp.Integral(g(z), (z, -sp.oo, sp.oo))]
    assert out[0][1]["s"] == q(z)
    # no expectation, nothing to write without its density
    assert sim.density_dropped_from_expectation(sp.Integral(g(z) * q(z), (z, 0, 1)), None) == []


def test_a_square_in_a_product_multiplied_out_without_its_two_is_simulated() -> None:
    m, e = sp.symbols("m e", real=True)
    out = sim.square_times_factor_expanded_without_two(e * (m + e) ** 2, None)
    assert [w for w, _ in out] == [e**3 + e**2 * m + e * m**2]
    assert out[0][1]["shown"] == [e**2 * m]
    # a number times the square is the bare square's business; no square, nothing
    assert sim.square_times_factor_expanded_without_two(3 * (m + e) ** 2, None) == []
    assert sim.square_times_factor_expanded_without_two(e * (m + e), None) == []


# --- on derivations -----------------------------------------------------------------------------

_REJECTION = """\
symbols: z : real
symbols: k : positive
densities: q(z)
functions: g(z) : positive

    E[g(z)/(k*q(z)), z ~ q(z)]
  = {written}
"""


def test_the_density_lost_from_an_expectation_written_as_an_integral_is_named() -> None:
    assert _named(_REJECTION.format(written="Integral(g(z)/(k*q(z)), (z, -oo, oo))")) \
        == "dropped-factor"
    # the same with other letters, and a declared family's support (the uniform's 1/w lost)
    assert _named("""\
symbols: c : real
symbols: h : positive
symbols: v : real
densities: r(v) = Uniform(c, c + h)

    E[(v - c)^2, v ~ r(v)]
  = Integral((v - c)^2, (v, c, c + h))
""") == "dropped-factor"


def test_an_integral_with_its_density_or_another_value_is_not_named_so() -> None:
    # the density kept: right, nothing to name
    assert _named(_REJECTION.format(written="Integral(g(z)/k, (z, -oo, oo))")) is None
    # the density kept and the k lost: no integral without the density is on the page
    assert _named(_REJECTION.format(written="Integral(g(z), (z, -oo, oo))")) \
        != "dropped-factor"


def test_a_square_in_a_product_expanded_without_its_two_is_a_binomial_coefficient() -> None:
    assert _named("""\
symbols: m, e : real
densities: r(e) = N(0, 1)

    E[(m + e)^2*e, e ~ r(e)]
  = E[m^2*e + m*e^2 + e^3, e ~ r(e)]
""") == "binomial-coefficient"
    assert _named(r"""
% symbols: a, u : real
\begin{align*}
u(a + u)^2 &= a^2 u + a u^2 + u^3
\end{align*}
""", tex=True) == "binomial-coefficient"
    # the 2 kept, another term wrong: not this mistake
    assert _named("""\
symbols: a, u : real

    u*(a + u)^2
  = a^2*u + 2*a*u^2 + u^2
""") != "binomial-coefficient"


def test_a_count_lost_from_a_sum_of_a_term_free_of_its_index_is_named() -> None:
    # (1 − 1/n)^k is real for a count n ≥ 1: the screen draws a count above 1
    assert _named("""\
symbols: n, k : positive integer
symbols: j : integer

    Sum(1 - ((n - 1)/n)^k, (j, 1, n))
  = 1 - ((n - 1)/n)^k
""") == "dimension-count"
    assert _named(r"""
% symbols: N, m : positive integer
% symbols: i : integer
\begin{align*}
\sum_{i=1}^{N} \left(1 - \left(\frac{N-1}{N}\right)^m\right) &= 1 - \left(\frac{N-1}{N}\right)^m
\end{align*}
""", tex=True) == "dimension-count"


# --- a derivative's value at a point -------------------------------------------------------------


def test_the_chain_rule_factor_forgotten_in_a_derivative_at_a_point_is_named() -> None:
    # the mean of a Poisson from its generating function: d/ds e^{λ(s − 1)} at s = 1
    assert _named(r"""
% symbols: \lambda : positive
% symbols: s : real
\begin{align*}
\left.\frac{d}{ds} e^{\lambda(s-1)}\right|_{s=1} &= \left.e^{\lambda(s-1)}\right|_{s=1}
\end{align*}
""", tex=True) == "chain-rule-factor-forgotten"
    assert _named(r"""
% symbols: a : positive
% symbols: u : real
\begin{align*}
\left.\frac{d}{du} e^{a(u-1)}\right|_{u=1} &= 1
\end{align*}
""", tex=True) == "chain-rule-factor-forgotten"
    # the factor kept: right
    assert _named(r"""
% symbols: a : positive
% symbols: u : real
\begin{align*}
\left.\frac{d}{du} e^{a(u-1)}\right|_{u=1} &= a
\end{align*}
""", tex=True) is None


def test_a_sign_inside_a_value_at_a_point_beside_a_term_kept_is_no_overall_sign() -> None:
    # −(ab)² kept as −a²b²: the whole was not negated, though the value is the negative
    named = _named(r"""
% symbols: a, b : positive
% symbols: t : real
\begin{align*}
\left.\frac{d^2}{dt^2}(1-b t)^{-a}\right|_{t=0} - (ab)^2
  &= \left.a(a-1)b^2(1-b t)^{-a-2}\right|_{t=0} - a^2b^2
\end{align*}
""", tex=True)
    assert named != "overall-sign"


# --- a sum re-indexed with its old bounds ---------------------------------------------------


def test_a_sum_reindexed_with_the_old_bounds_kept_is_an_index_shift() -> None:
    # Σ_{i=1}^{n} (n − i) with k = n − i runs over k = 0, …, n − 1
    assert _named("""\
symbols: i, k : integer
symbols: n : positive integer

    Sum(n - i, (i, 1, n))
  = Sum(k, (k, 1, n))
""") == "index-shift"
    # a geometric sum re-indexed (Adam's bias correction), in LaTeX with other letters
    assert _named(r"""
% symbols: 0 < c < 1
% symbols: j, m : integer
% symbols: T : positive integer
\begin{align*}
(1 - c)\sum_{j=1}^{T} c^{T-j} &= (1 - c)\sum_{m=1}^{T} c^{m}
\end{align*}
""", tex=True) == "index-shift"
    # the bounds right and the summand wrong: not an index shift
    assert _named("""\
symbols: i, k : integer
symbols: n : positive integer

    Sum(n - i, (i, 1, n))
  = Sum(k^2, (k, 0, n - 1))
""") != "index-shift"
