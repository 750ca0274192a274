"""The numeric checks (quadrature, sampling) on models of three or more variables.

A derivation about a chain x₀ → x₁ → x₂ (a two-step diffusion model) has no two-variable
linear-Gaussian instance; its densities get the network instance
(:mod:`elbo_derivation.numeric.network_instance`), so a correct step passes both checks, a
wrong one fails them, and a model no instance fits gets checks that are not made — said so,
never counted as failures.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from elbo_derivation.core.expectation import Expectation
from elbo_derivation.core.steps import Derivation, Relation, Step
from elbo_derivation.numeric.network_instance import (
    NotSamplable,
    ancestral_draws,
    network_instance,
)
from elbo_derivation.numeric.points import draw_points, on_simplexes
from elbo_derivation.pipeline import run_numeric
from elbo_derivation.report.json import summary_json
from elbo_derivation.report.text import render_check_text
from elbo_derivation.verification import derivation_ok, numeric_failures, read_any

CORPUS = Path(__file__).resolve().parent / "corpus"
TWO_STEP = CORPUS / "diffusion" / "luo_two_step_elbo.tex"

x0, x1, x2 = sp.symbols("x_0 x_1 x_2", real=True)


def checked(path: Path) -> Derivation:
    d = read_any(path)
    run_numeric(d, np.random.default_rng(0))
    return d


def test_a_correct_three_variable_derivation_passes_quadrature_and_sampling() -> None:
    d = checked(TWO_STEP)
    for step in d.steps:
        q, s = step.quadrature, step.sampling
        assert q is not None and q.made and q.ok, q
        assert q.details["instance"] and q.details["n_points"] >= 20
        assert q.details["worst_error"] <= q.details["tolerance"]
        assert s is not None and s.made and s.ok, s
        assert s.details["ancestral"] and s.details["standard_error"] > 0
        assert abs(s.details["z_score"]) < s.details["threshold"]
    assert not numeric_failures(d)


@pytest.mark.parametrize("name", ["luo_two_step_elbo.s1.dropped-term.tex",
                                  "luo_two_step_elbo.s1.log-ratio-flipped.tex"])
def test_a_wrong_step_of_it_fails_both_checks(name: str) -> None:
    d = checked(CORPUS / "diffusion" / "wrong" / name)
    q, s = d.steps[0].quadrature, d.steps[0].sampling
    assert q is not None and q.made and not q.ok and "differ" in q.reason
    assert s is not None and s.made and not s.ok
    assert abs(s.details["z_score"]) > s.details["threshold"]


def test_a_check_that_cannot_be_made_is_said_so_and_not_counted_as_failed() -> None:
    # q(x_1|x_0), q(x_2|x_1) and q(x_2|x_0) together: two different joints, no instance
    q10 = sp.Function("q(x_1|x_0)", positive=True)(x1, x0)
    q21 = sp.Function("q(x_2|x_1)", positive=True)(x2, x1)
    q20 = sp.Function("q(x_2|x_0)", positive=True)(x2, x0)
    start = Expectation(Expectation(sp.log(q20), x2, q21), x1, q10)
    d = Derivation(title="ambiguous", symbols={"x_0": x0, "x_1": x1, "x_2": x2}, start=start,
                   steps=[Step(1, Relation.EQ, start)])
    run_numeric(d, np.random.default_rng(0))
    q = d.steps[0].quadrature
    assert q is not None and not q.made and not q.failed and "two different models" in q.reason
    assert q.to_json()["made"] is False
    assert not numeric_failures(d)
    text = render_check_text(d, timings=False)
    assert "quadrature not made" in text and "1 quadrature not made" in text
    assert "failed" not in text and "passed" not in text.split("numeric checks:")[1]
    summary = summary_json([d])
    assert summary["numeric_failures"] == 0 and summary["numeric_not_made"] >= 1
    assert derivation_ok(d, numeric=False) is False  # (no symbolic check was run)


def test_ancestral_draws_estimate_a_nested_expectation_without_bias() -> None:
    q1 = sp.Function("q(x_1|x_0)", positive=True)(x1, x0)
    q2 = sp.Function("q(x_2|x_1)", positive=True)(x2, x1)
    side = Expectation(Expectation(x2**2, x2, q2), x1, q1)
    inst = network_instance([side], taken={"x_0", "x_1", "x_2"})
    expr = inst.instantiate(side)
    values = {"x_0": 1.0, "q_w21": 2.0, "q_b2": -1.0, "q_c2": 0.5,  # (x_0 is factor 1)
              "q_w31": -0.5, "q_b3": 3.0, "q_c3": 2.0}
    point = {s: values[s.name] for s in expr.free_symbols}
    # x_1 ~ N(2·1 − 1, 0.5); x_2 | x_1 ~ N(−x_1/2 + 3, 2): E[x_2²] = 2 + E[(3 − x_1/2)²]
    exact = 2.0 + (3 - 0.5) ** 2 + 0.25 * 0.5
    y = ancestral_draws(expr, point, rng=np.random.default_rng(3), n=40_000)
    se = y.std(ddof=1) / np.sqrt(len(y))
    assert abs(y.mean() - exact) < 5 * se and se < 0.05
    with pytest.raises(NotSamplable, match="without bias"):
        ancestral_draws(sp.log(expr), point, rng=np.random.default_rng(3), n=10)


def test_points_respect_signs_and_the_simplex() -> None:
    beta = sp.Symbol("beta", nonnegative=True)
    neg = sp.Symbol("t", negative=True)
    a1, a2, a3 = sp.symbols("a1 a2 a3", positive=True)
    points = draw_points([beta, neg, a1, a2, a3], rng=np.random.default_rng(0), n_random=30)
    assert all(p[beta] >= 0 and p[neg] < 0 for p in points)
    on_simplexes(points, [("a1", "a2", "a3")])
    assert all(abs(p[a1] + p[a2] + p[a3] - 1) < 1e-12 for p in points)


@pytest.mark.parametrize("name", [
    "continuous/kl_laplace_same_location.deriv",    # a Laplace peak of scale 1e-3
    "information/kl_categorical_to_uniform.deriv",  # probabilities that sum to 1
    "information/barber_kl_nonnegative.deriv",      # ∫ q·(p/q − 1): two Gaussian factors
    "continuous/kumaraswamy_sampler.deriv",         # cancellation past 200 digits
    "inequalities/beta_kl_nonnegative.deriv",       # a symbol declared nonnegative
    "discrete/geometric_kl_declared.deriv",         # a declared family: not made
])
def test_no_numeric_check_fails_on_these_correct_steps(name: str) -> None:
    d = checked(CORPUS / name)
    checks = [c for s in d.steps for c in (s.quadrature, s.sampling) if c is not None]
    assert checks and not [c.reason for c in checks if c.failed]
    if name.startswith("discrete/"):
        assert all(not c.made and "geometric family" in c.reason for c in checks)
    else:
        assert any(c.made and c.ok for c in checks)
