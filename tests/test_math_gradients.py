"""Derivatives: the chain rule through softplus, sigmoid and a log-variance; the
reparameterisation gradient and the score-function identity as rules with their conditions;
each written both ways."""

from __future__ import annotations

import pytest
import sympy as sp

from elbo_derivation.core.steps import Verdict
from elbo_derivation.decide import calculus
from elbo_derivation.decide.gaussian import gaussian_density
from elbo_derivation.decide.verdict import compare

u, m, ell, x, eps = sp.symbols("u m ell x epsilon", real=True)
s = sp.Symbol("s", positive=True)
sigmoid = 1 / (1 + sp.exp(-u))
f = sp.Function("f", real=True)
q = gaussian_density(x, m, s)
phi = gaussian_density(eps, 0, 1)


def _e_q(g):
    return sp.Integral(q * g, (x, -sp.oo, sp.oo))


def _e_eps(g):
    return sp.Integral(phi * g, (eps, -sp.oo, sp.oo))


@pytest.mark.parametrize(("lhs", "right", "wrong"), [
    (sp.Derivative(sp.log(1 + sp.exp(u)), u), sigmoid, 1 - sigmoid),
    (sp.Derivative(sigmoid, u), sigmoid * (1 - sigmoid), sigmoid * (1 + sigmoid)),
    (sp.Derivative((sp.exp(ell) + m**2 - 1 - ell) / 2, ell), (sp.exp(ell) - 1) / 2,
     (sp.exp(ell) + 1) / 2),
])
def test_the_chain_rule(lhs, right, wrong) -> None:
    assert compare(lhs, right).verdict is Verdict.PROVED
    r = compare(lhs, wrong)
    assert r.verdict is Verdict.REFUTED and r.counterexample is not None


@pytest.mark.parametrize("theta", [m, s])
def test_the_reparameterisation_gradient(theta) -> None:
    lhs = sp.Derivative(_e_q(f(x)), theta)
    r = compare(lhs, _e_eps(sp.Derivative(f(m + s * eps), theta)))
    assert r.verdict is Verdict.PROVED and r.method == "gradients"
    assert r.rules[0] == calculus.REPARAMETERISATION
    other = s if theta == m else m
    w = compare(lhs, _e_eps(sp.Derivative(f(m + s * eps), other)))
    assert w.verdict is Verdict.REFUTED
    assert "f(t) = t² + 2t + 3" in w.counterexample.note


def test_the_score_function_identity() -> None:
    lhs = sp.Derivative(_e_q(f(x)), m)
    r = compare(lhs, _e_q(f(x) * sp.Derivative(sp.log(q), m)))
    assert r.verdict is Verdict.PROVED and calculus.SCORE_FUNCTION in r.rules
    w = compare(lhs, _e_q(f(x) * sp.Derivative(sp.log(q), s)))
    assert w.verdict is Verdict.REFUTED
