"""A step whose exact gap is free of the abstract densities on its sides is refuted with each
abstract value at a point given a number of its sign in the point reported, the sides finite
and differing by the gap there."""

from __future__ import annotations

from elbo_derivation.core.steps import Verdict
from elbo_derivation.decide.verdict import decide_step
from elbo_derivation.read.deriv import parse_derivation


def test_a_gap_free_of_an_abstract_density_refutes_with_a_value_of_it() -> None:
    """log p(x) on both sides, left − right = −b/K: refuted with p(x) given a positive value
    in the point reported (Nowozin 2018's jackknife with a factor 1/K dropped)."""
    d = parse_derivation("title: t\nsymbols: K : integer [2, oo)\nsymbols: b : real\n"
                         "densities: p(x)\n\n    log(p(x)) + b*(1/(K - 1) - 1/K)\n"
                         "  = log(p(x)) + b/(K - 1)\n")
    j = decide_step(d, d.steps[0], time_limit=20.0)
    assert j.verdict is Verdict.REFUTED
    assert "p(x)" in j.counterexample.point
    assert abs(j.counterexample.lhs - j.counterexample.rhs - j.counterexample.difference) < 1e-9
