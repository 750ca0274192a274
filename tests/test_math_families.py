"""Named families as data: moments, entropies and KL divergences of the Bernoulli, Poisson
and exponential distributions, read from the declarations (``p(k) = Poisson(lam)``) and
written both ways; a density declared in a family is never replaced by another instance."""

from __future__ import annotations

import pytest

from elbo_derivation.core.steps import Verdict
from elbo_derivation.decide.verdict import decide_step
from elbo_derivation.read.deriv import parse_derivation

HEAD = {
    "poisson": ("symbols: lam, mu : positive\nsymbols: k : nonnegative integer\n"
                "densities: p(k) = Poisson(lam), r(k) = Poisson(mu)\n"),
    "bernoulli": ("symbols: 0 < a < 1\nsymbols: 0 < b < 1\nsymbols: y : nonnegative integer\n"
                  "densities: p(y) = Bernoulli(a), r(y) = Bernoulli(b)\n"),
    "exponential": ("symbols: lam, mu : positive\nsymbols: t : positive\n"
                    "densities: p(t) = Exponential(lam), r(t) = Exponential(mu)\n"),
}

CASES = [
    ("poisson", "E[k^2, k ~ p(k)]", "lam^2 + lam", "lam^2"),
    ("poisson", "KL(p(k), r(k))", "lam*log(lam/mu) - lam + mu", "lam*log(lam/mu) + lam - mu"),
    ("poisson", "E[log(p(k)) - log(r(k)), k ~ p(k)]", "lam*log(lam/mu) - lam + mu",
     "lam*log(lam/mu)"),
    ("bernoulli", "E[y, y ~ p(y)]", "a", "1 - a"),
    ("bernoulli", "E[log(p(y)) - log(r(y)), y ~ p(y)]",
     "a*log(a/b) + (1-a)*log((1-a)/(1-b))", "a*log(a/b) + (1-a)*log((1+a)/(1-b))"),
    ("bernoulli", "-E[log(p(y)), y ~ p(y)]", "-a*log(a) - (1-a)*log(1-a)", "-a*log(a)"),
    ("exponential", "E[t, t ~ p(t)]", "1/lam", "lam"),
    ("exponential", "E[log(p(t)/r(t)), t ~ p(t)]", "log(lam/mu) + mu/lam - 1",
     "log(lam/mu) + lam/mu - 1"),
]


def _decide(text: str):
    d = parse_derivation(text)
    return decide_step(d, d.steps[0], time_limit=5.0)


@pytest.mark.parametrize(("family", "lhs", "right", "wrong"), CASES)
def test_family_facts_both_ways(family, lhs, right, wrong) -> None:
    r = _decide(HEAD[family] + f"  {lhs}\n= {right}\n")
    assert r.verdict is Verdict.PROVED, r
    assert r.rules
    w = _decide(HEAD[family] + f"  {lhs}\n= {wrong}\n")
    assert w.verdict is Verdict.REFUTED, w
    point = w.counterexample.point
    if family == "bernoulli":
        assert 0 < point["a"] < 1
    assert all(v > 0 for k, v in point.items() if k in ("lam", "mu"))
