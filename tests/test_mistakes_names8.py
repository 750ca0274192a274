"""Naming, twelfth round (names8): a term dropped from a value the step evaluated.

E[a + b] = E[a] + E[b]: a whole term of an expectation's integrand dropped is that term's
mean missing from the evaluated step (named, when the mean is not one number). A term lost
from a derivative's value that λ put on one term only also writes stays unnamed. The trace
of a product written as a product of traces (tr(AB) as tr(A)·tr(B)), at any cut of any cyclic
rotation, also where the step takes a vector normal's second moment. Each case in one
notation and again with other letters, beside a near miss that must stay "not recognised".
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


# --- a term lost from a derivative's value that another slip also explains ------------------------


def test_the_constraint_term_lost_from_the_multipliers_derivative_stays_unnamed() -> None:
    # d/dλ (K + λ(S − κ²)) = S − κ², written S: the term −κ² lost from the value, or λ put on
    # S alone before differentiating (λS − κ²): two slips write the same step
    text = ("symbols: lam, S, K : real\nsymbols: kap : positive\n"
            "diff(K + lam*(S - kap^2), lam)\n= S\n")
    assert _named(text) is None
    renamed = ("symbols: nu, A, B : real\nsymbols: c : positive\n"
               "diff(B + nu*(A - c^2), nu)\n= A\n")
    assert _named(renamed) is None


# --- the trace of a product split into a product of traces --------------------------------------


def test_a_trace_of_a_product_written_as_a_product_of_traces_is_named() -> None:
    text = ("symbols: D : positive integer\nsymbols: A, B : matrix(D)\n"
            "tr(A*B)\n= tr(A)*tr(B)\n")
    assert _named(text) == "trace-of-product-split"
    renamed = ("symbols: n : positive integer\nsymbols: P, Q : matrix(n)\n"
               "tr(Q*P)\n= tr(Q)*tr(P)\n")
    assert _named(renamed) == "trace-of-product-split"


def test_the_split_made_while_taking_a_vector_normals_second_moment_is_named() -> None:
    # Hutchinson's estimator: tr(A·E[eeᵀ]) with E[eeᵀ] = I, written tr(A)·tr(I) (= D·tr A)
    text = ("symbols: D : positive integer\nsymbols: e : vector(D) real\n"
            "symbols: A : matrix(D)\nsymbols: I : identity(D)\ndensities: p(e) = N(0, I)\n"
            "tr(A*E[e*transpose(e), e ~ p(e)])\n= tr(A)*tr(I)\n")
    assert _named(text) == "trace-of-product-split"
    renamed = ("symbols: m : positive integer\nsymbols: u : vector(m) real\n"
               "symbols: M : matrix(m)\nsymbols: J : identity(m)\ndensities: g(u) = N(0, J)\n"
               "tr(M*E[u*transpose(u), u ~ g(u)])\n= tr(M)*tr(J)\n")
    assert _named(renamed) == "trace-of-product-split"


def test_a_product_of_traces_off_by_a_factor_is_not_the_split() -> None:
    text = ("symbols: D : positive integer\nsymbols: A, B : matrix(D)\n"
            "tr(A*B)\n= 2*tr(A)*tr(B)\n")
    assert _named(text) != "trace-of-product-split"


def test_the_split_of_a_cyclically_turned_trace_is_named() -> None:
    # (x − μ)ᵀΣ⁻¹(x − μ) = tr(Σ⁻¹(x − μ)(x − μ)ᵀ), split as tr(Σ⁻¹)·(x − μ)ᵀ(x − μ)
    tex = (r"% symbols: D : positive integer" "\n"
           r"% symbols: x, \mu : vector(D) real" "\n"
           r"% symbols: \Sigma : matrix(D) positive definite" "\n"
           r"\begin{align*}" "\n"
           r"-\frac{1}{2}(x - \mu)^\top\Sigma^{-1}(x - \mu)"
           r" &= -\frac{1}{2}\operatorname{tr}(\Sigma^{-1})(x - \mu)^\top(x - \mu)" "\n"
           r"\end{align*}" "\n")
    assert _named(tex, tex=True) == "trace-of-product-split"
    renamed = (r"% symbols: n : positive integer" "\n"
               r"% symbols: y, m : vector(n) real" "\n"
               r"% symbols: S : matrix(n) positive definite" "\n"
               r"\begin{align*}" "\n"
               r"-\frac{1}{2}(y - m)^\top S^{-1}(y - m)"
               r" &= -\frac{1}{2}\operatorname{tr}(S^{-1})(y - m)^\top(y - m)" "\n"
               r"\end{align*}" "\n")
    assert _named(renamed, tex=True) == "trace-of-product-split"
