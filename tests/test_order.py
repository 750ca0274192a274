"""The points of every numeric check follow the derivation's order, never the names.

Renaming the symbols of a derivation consistently (``a, c, d`` → ``α, κ, β``) must give the
same points, value for value: the probe's, the naming screen's and the 50-digit ones, the
numeric checks', and the seeds of the abstract densities' functionals. And an inequality that
fails only in a corner of its domain is refuted whatever order its symbols come in.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp

from elbo_derivation.core.order import canonical_text, derivation_names, ordered, symbol_order
from elbo_derivation.decide.probe import inequality_candidates, probe, probe_points
from elbo_derivation.explain.numbers import FloatScreen, HighPrecision, density_weights
from elbo_derivation.numeric.points import draw_points

C, A, D = sp.Symbol("c", real=True), *sp.symbols("a d", positive=True)
KAPPA, ALPHA, BETA = sp.Symbol("kappa", real=True), *sp.symbols("alpha beta", positive=True)
RENAMED = {C: KAPPA, A: ALPHA, D: BETA}


def _renamed(points: list[dict]) -> list[dict]:
    return [{RENAMED[s]: v for s, v in p.items()} for p in points]


def test_ordered_follows_the_declarations_and_falls_back_to_names() -> None:
    assert ordered({C, A, D}) == [A, C, D]  # no derivation: by name, as before
    with symbol_order(["c", "a", "d"]):
        assert ordered({D, A, C}) == [C, A, D]
        made = sp.Symbol("b_", real=True)  # an instance's parameter: after the declared
        assert ordered({made, D, C}) == [C, D, made]
    with symbol_order(["kappa", "alpha", "beta"]):
        assert ordered({ALPHA, BETA, KAPPA}) == [KAPPA, ALPHA, BETA]


@pytest.mark.parametrize("draw", [
    lambda syms: list(probe_points(ordered(syms), np.random.default_rng(0), 6)),
    lambda syms: FloatScreen(set(syms), 1e18).points,
    lambda syms: HighPrecision(set(syms), 1e18).points,
    lambda syms: draw_points(syms, rng=np.random.default_rng(3), n_random=5),
], ids=["probe", "float-screen", "50-digits", "numeric-checks"])
def test_every_point_set_is_the_same_under_renaming(draw) -> None:
    with symbol_order(["c", "a", "d"]):
        before = draw([C, A, D])
    with symbol_order(["kappa", "alpha", "beta"]):
        after = draw([KAPPA, ALPHA, BETA])
    assert _renamed(before) == after
    # (by name the two would differ: c sorts after a, kappa after alpha and beta)
    assert draw([C, A, D]) != before or draw([KAPPA, ALPHA, BETA]) != after


def test_an_abstract_densitys_functional_does_not_depend_on_its_letters() -> None:
    x, z, big_x, w = sp.symbols("x z X w", real=True)
    q, r = sp.Function("q"), sp.Function("r")
    with symbol_order(["x", "z", "q"]):
        before = (density_weights(q(z, x)), canonical_text(q(z, x)))
    with symbol_order(["X", "w", "r"]):
        after = (density_weights(r(w, big_x)), canonical_text(r(w, big_x)))
    assert before == after


def test_the_order_is_the_order_of_the_declarations() -> None:
    from elbo_derivation.read.deriv import parse_derivation

    text = "symbols: lam, a : positive\nsymbols: x : real\n\nlam*a\n= a*lam\n"
    renamed = "symbols: B, alpha : positive\nsymbols: X : real\n\nB*alpha\n= alpha*B\n"
    assert derivation_names(parse_derivation(text)) == ["lam", "a", "x"]
    assert derivation_names(parse_derivation(renamed)) == ["B", "alpha", "X"]


@pytest.mark.parametrize("names", [["lam", "a"], ["a", "lam"]])
def test_an_inequality_false_in_a_corner_is_refuted_in_any_order(names: list[str]) -> None:
    # λe^(−λa) ≤ 1/(λa) is λ²a·e^(−λa) ≤ 1: false where λa is near 1 and λ > e only
    lam, a = sp.symbols("lam a", positive=True)
    with symbol_order(names):
        out = probe(lam * sp.exp(-lam * a), 1 / (lam * a), relation="<=")
    assert out.verdict == "refuted"
    at = {lam: sp.Rational(str(out.counterexample.point["lam"])),
          a: sp.Rational(str(out.counterexample.point["a"]))}
    assert (lam**2 * a * sp.exp(-lam * a)).subs(at) > 1


def test_the_inequality_screen_proposes_only_failing_points_and_none_for_a_true_one() -> None:
    t, u = sp.symbols("t u", positive=True)
    y = sp.Symbol("y", real=True)
    inside = {y: sp.Interval.open(0, 1)}
    # y(1 − y) ≥ 1/5 fails near both ends of (0, 1) only
    found = inequality_candidates(y * (1 - y) - sp.Rational(1, 5), [y], domains=inside)
    assert found and all(0 < p[y] < 1 and p[y] * (1 - p[y]) < sp.Rational(1, 5) for p in found)
    assert inequality_candidates(t - sp.log(t) - 1, [t]) == []  # t − log t ≥ 1 holds
    assert inequality_candidates(t + u - 2 * sp.sqrt(t * u), [t, u]) == []
    # a true inequality stays numerically supported, never refuted by the screen
    assert probe(t + u, 2 * sp.sqrt(t * u), relation=">=").verdict == "supported"


def test_a_point_where_both_precisions_round_alike_refutes_nothing() -> None:
    # the Kumaraswamy sampler's step (y^(1/a))^a = y, y = 1 − (1 − u)^(1/b): in the order
    # u, a, b an edge point is u = 1/4, a = b = 1e-6, where y = 1 − 10^-124939 is 1 at 50
    # and at 70 digits alike, and the left side 1 instead of 1/4 (it was refuted there)
    u, a, b = sp.symbols("u a b", positive=True)
    y = 1 - (1 - u) ** (1 / b)
    lhs, rhs = 1 - (1 - (y ** (1 / a)) ** a) ** b, 1 - (1 - (1 - (1 - u) ** (1 / b))) ** b
    with symbol_order(["u", "a", "b"]):
        out = probe(lhs, rhs, domains={u: sp.Interval.open(0, 1)})
    assert out.verdict == "supported", out.counterexample
    # a wrong step is still refuted there
    with symbol_order(["u", "a", "b"]):
        assert probe(lhs, rhs + u / 7, domains={u: sp.Interval.open(0, 1)}).verdict == "refuted"
