"""The sampling check: Monte Carlo estimates with standard errors, and the 1/√n law."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from elbo_derivation.core.expectation import Expectation
from elbo_derivation.core.steps import Derivation, Relation, Step
from elbo_derivation.numeric import linear_gaussian as lg
from elbo_derivation.numeric.sampling import (
    Z_THRESHOLD,
    check_sampling,
    convergence_study,
)

NOTES = Path(__file__).resolve().parents[1] / "elbo_derivation" / "notes"

x, mu1, mu2 = sp.symbols("x mu1 mu2", real=True)
s1, s2 = sp.symbols("sigma1 sigma2", positive=True)
p1 = sp.exp(-(x - mu1) ** 2 / (2 * s1**2)) / sp.sqrt(2 * sp.pi * s1**2)
p2 = sp.exp(-(x - mu2) ** 2 / (2 * s2**2)) / sp.sqrt(2 * sp.pi * s2**2)
KL3 = sp.log(s2 / s1) + (s1**2 + (mu1 - mu2) ** 2) / (2 * s2**2) - sp.Rational(1, 2)
SYMS = {"x": x, "mu1": mu1, "mu2": mu2, "sigma1": s1, "sigma2": s2}


def kl_step(rhs: sp.Expr) -> Derivation:
    return Derivation(title="kl", symbols=SYMS,
                      start=sp.Integral(p1 * sp.log(p1 / p2), (x, -sp.oo, sp.oo)),
                      steps=[Step(1, Relation.EQ, rhs)])


def test_kl_closed_form_is_within_five_standard_errors() -> None:
    d = kl_step(KL3)
    [check] = check_sampling(d, rng=np.random.default_rng(0))
    assert d.steps[0].sampling is check
    assert check.kind == "sampling" and check.ok
    det = check.details
    assert det["n_samples"] >= 10_000 and det["standard_error"] > 0
    assert abs(det["z_score"]) < Z_THRESHOLD
    assert det["z_score"] == pytest.approx((det["estimate"] - det["reference"])
                                           / det["standard_error"])
    out = json.loads(json.dumps(check.to_json()))
    assert out["ok"] is True and {"estimate", "standard_error", "z_score", "n_samples",
                                  "reference"} <= set(out)


def test_a_wrong_closed_form_is_many_standard_errors_off() -> None:
    [check] = check_sampling(kl_step(KL3 + sp.Rational(1, 2)), rng=np.random.default_rng(0))
    assert not check.ok and abs(check.details["z_score"]) > Z_THRESHOLD


def test_fixed_seed_is_deterministic() -> None:
    a = check_sampling(kl_step(KL3), rng=np.random.default_rng(3))[0].details
    b = check_sampling(kl_step(KL3), rng=np.random.default_rng(3))[0].details
    assert a["estimate"] == b["estimate"] and a["standard_error"] == b["standard_error"]


def test_abstract_expectations_are_sampled_on_the_linear_gaussian_instance() -> None:
    z, xs = sp.symbols("z x", real=True)
    q = sp.Function("q(z|x)", positive=True)(z, xs)
    lik = sp.Function("p(x|z)", positive=True)(xs, z)
    P = lg.instance_symbols()
    a, b, c = P.a, P.b, P.c
    m, s = P.q_symbols
    closed = (-sp.log(2 * sp.pi * c) / 2 - ((xs - a * m - b) ** 2 + a**2 * s**2) / (2 * c))
    d = Derivation(title="rec", symbols={"z": z, "x": xs}, start=Expectation(sp.log(lik), z, q),
                   steps=[Step(1, Relation.EQ, closed)])
    [check] = check_sampling(d, rng=np.random.default_rng(1))
    assert check.ok, check.reason


def test_derivation_without_integrals_has_nothing_to_sample() -> None:
    d = Derivation(title="alg", symbols={"mu1": mu1}, start=(mu1 + 1) ** 2,
                   steps=[Step(1, Relation.EQ, mu1**2 + 2 * mu1 + 1)])
    assert check_sampling(d, rng=np.random.default_rng(0)) == []
    assert d.steps[0].sampling is None


def test_convergence_study_slope_is_one_over_root_n() -> None:
    study = convergence_study(kl_step(KL3), rng=np.random.default_rng(0),
                              ns=(100, 400, 1600, 6400, 25600), repeats=60)
    assert -0.6 <= study.slope <= -0.4
    assert np.all(np.diff(study.errors) < 0)
    with pytest.raises(ValueError, match="two sample sizes"):
        convergence_study(kl_step(KL3), rng=np.random.default_rng(0), ns=(100,))


def test_parsed_section3_every_integral_step_is_sampled() -> None:
    parse = pytest.importorskip("elbo_derivation.read.deriv")
    path = NOTES / "kl_gaussians.deriv"
    if not path.exists():
        pytest.skip("kl_gaussians.deriv not written yet")
    d = parse.read_derivation(path)
    checks = check_sampling(d, rng=np.random.default_rng(0))
    assert len(checks) >= 1 and all(c.ok for c in checks), [c.reason for c in checks]
    for step in d.steps:
        if step.expr.has(sp.Integral) or step.lhs(d).has(sp.Integral):
            assert step.sampling is not None
