"""Naming, twelfth round (names8): a term dropped from a value the step evaluated.

E[a + b] = E[a] + E[b]: a whole term of an expectation's integrand dropped is that term's
mean missing from the evaluated step (named, when the mean is not one number). A term lost
from a derivative's value that λ put on one term only also writes stays unnamed. Each case
in one notation and again with other letters, beside a near miss that must stay "not
recognised".
"""

from __future__ import annotations

import pytest
from corpus.support import named_in_text

pytestmark = pytest.mark.usefixtures("unhurried_naming")

_named = named_in_text


# --- a whole term of an expectation's integrand dropped ------------------------------------------


def test_a_term_of_the_integrand_dropped_from_the_posterior_loss_is_named() -> None:
    # the posterior expected squared loss: E[(m − d)² + 2(m − d)(t − m) + (t − m)²] under
    # N(m, s²) is (m − d)² + s²; written (m − d)² (Robert, The Bayesian Choice, prop. 2.5.1)
    text = ("symbols: t, m, d : real\nsymbols: s : positive\ndensities: p(t) = N(m, s^2)\n"
            "E[(m - d)^2 + 2*(m - d)*(t - m) + (t - m)^2, t ~ p(t)]\n= (m - d)^2\n")
    assert _named(text) == "dropped-term"
    renamed = ("symbols: u, a, b : real\nsymbols: r : positive\ndensities: g(u) = N(a, r^2)\n"
               "E[(a - b)^2 + 2*(a - b)*(u - a) + (u - a)^2, u ~ g(u)]\n= (a - b)^2\n")
    assert _named(renamed) == "dropped-term"


def test_a_dropped_term_whose_mean_is_a_number_is_not_named() -> None:
    # E[(t − m)²/(2s²)] = ½ under N(m, s²): the written step lost the number ½, which a
    # number of the value changed elsewhere could also explain
    text = ("symbols: t, m, x : real\nsymbols: s : positive\ndensities: p(t) = N(m, s^2)\n"
            "E[(t - m)^2/(2*s^2) - (x - t)^2/2, t ~ p(t)]\n= -((x - m)^2 + s^2)/2\n")
    assert _named(text) is None


def test_a_term_dropped_with_a_wrong_other_term_is_not_named() -> None:
    # the variance term dropped and the square's sign changed: no single slip
    text = ("symbols: t, m, d : real\nsymbols: s : positive\ndensities: p(t) = N(m, s^2)\n"
            "E[(m - d)^2 + (t - m)^2, t ~ p(t)]\n= -(m - d)^2\n")
    assert _named(text) != "dropped-term"


# --- a term lost from a derivative's value that another slip also explains -------------------------


def test_the_constraint_term_lost_from_the_multipliers_derivative_stays_unnamed() -> None:
    # d/dλ (K + λ(S − κ²)) = S − κ², written S: the term −κ² lost from the value, or λ put on
    # S alone before differentiating (λS − κ²): two slips write the same step
    text = ("symbols: lam, S, K : real\nsymbols: kap : positive\n"
            "diff(K + lam*(S - kap^2), lam)\n= S\n")
    assert _named(text) is None
    renamed = ("symbols: nu, A, B : real\nsymbols: c : positive\n"
               "diff(B + nu*(A - c^2), nu)\n= A\n")
    assert _named(renamed) is None
