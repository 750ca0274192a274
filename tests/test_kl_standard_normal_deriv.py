"""§4 of the notes as checked steps: the KL to the standard normal and the final loss.

Also the vector, log-variance form (K = 3, D = 2), KL ≥ 0 for Gaussians with equality exactly
at equal parameters, and mutants of §4 (log h for log √h, a missing −1, h taken as a standard
deviation) refuted at the step that introduces them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from elbo_derivation.core.steps import Derivation, Relation, Verdict
from elbo_derivation.decide import rules
from elbo_derivation.decide.engine import check_derivation, load_derivation
from elbo_derivation.numeric.kl import kl_normal
from elbo_derivation.read.deriv import parse_derivation

NOTES = Path(rules.__file__).resolve().parents[1] / "notes"


def checked(name: str) -> Derivation:
    return load_derivation(NOTES / f"{name}.deriv", time_limit=5.0)


def mutant(name: str, old: str, new: str) -> Derivation:
    text = (NOTES / f"{name}.deriv").read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} must occur exactly once in {name}.deriv"
    return check_derivation(parse_derivation(text.replace(old, new), file="m.deriv"))


@pytest.mark.parametrize("name", ["kl_standard_normal", "loss_log_variance", "kl_nonnegative"])
def test_every_step_is_proved(name: str) -> None:
    d = checked(name)
    verdicts = [(s.index, s.result.verdict, s.result.method) for s in d.steps]
    assert all(v is Verdict.PROVED for _, v, _ in verdicts), verdicts


def test_the_final_loss_is_the_notes_expression() -> None:
    d = checked("kl_standard_normal")
    assert d.source == "notes §4"
    s = d.symbols
    g, h, C, x, x_hat = (s[n] for n in ("g", "h", "C", "x", "x_hat"))
    final = d.expand_definitions(d.steps[-1].expr)
    assert final == C * (x - x_hat) ** 2 + (h + g**2 - sp.log(h) - 1) / 2
    assert h.is_positive  # h is a variance


def test_log_variance_form_for_vectors() -> None:
    d = checked("loss_log_variance")
    s = d.symbols
    final = d.steps[-1].expr
    expected = s["C"] * ((s["x1"] - s["x_hat1"]) ** 2 + (s["x2"] - s["x_hat2"]) ** 2) + sum(
        (sp.exp(s[f"l{k}"]) + s[f"g{k}"] ** 2 - s[f"l{k}"] - 1) / 2 for k in (1, 2, 3)
    )
    assert sp.expand(final - expected) == 0


@pytest.mark.parametrize(
    ("name", "old", "new", "index"),
    [
        # log h for log √h
        ("kl_standard_normal", "+ log(1/sqrt(h)) + (sqrt(h)^2", "+ log(1/h) + (sqrt(h)^2", 1),
        # a missing −1
        ("kl_standard_normal", "(h + g^2 - log(h) - 1)/2", "(h + g^2 - log(h))/2", 3),
        # h read as a standard deviation: h² where the variance h belongs
        ("kl_standard_normal", "+ (h + g^2)/2 - 1/2", "+ (h^2 + g^2)/2 - 1/2", 2),
        # a missing −1 in one latent coordinate of the vector form
        ("loss_log_variance", "(exp(l2) + g2^2 - l2 - 1)/2", "(exp(l2) + g2^2 - l2)/2", 2),
        # log h = ℓ forgotten: log(exp ℓ) written as exp ℓ
        ("loss_log_variance", "(exp(l1) + g1^2 - l1 - 1)/2", "(exp(l1) + g1^2 - exp(l1) - 1)/2", 2),
        # §4 applied with a missing −1 in one coordinate, before the log-variance form
        ("loss_log_variance", "(h3 + g3^2 - log(h3) - 1)/2", "(h3 + g3^2 - log(h3))/2", 1),
    ],
)
def test_mutants_are_refuted_at_the_right_step(name: str, old: str, new: str, index: int) -> None:
    d = mutant(name, old, new)
    failure = d.first_failure
    assert failure is not None and failure.index == index, [
        (s.index, s.result.verdict) for s in d.steps
    ]
    assert failure.result.verdict is Verdict.REFUTED
    assert failure.result.counterexample is not None


# --- KL ≥ 0, with equality exactly at equal parameters --------------------------------------


def test_kl_nonnegative_file_uses_two_inequalities() -> None:
    d = checked("kl_nonnegative")
    assert [s.relation for s in d.steps][-2:] == [Relation.GE, Relation.GE]
    assert d.steps[-1].expr == 0
    assert rules.log_inequality_lemma()


def test_kl_is_zero_exactly_at_equal_parameters() -> None:
    t = sp.Symbol("t", positive=True)
    # t − log t − 1 vanishes only at t = 1, and (μ₁ − μ₂)²/(2σ₂²) only at μ₁ = μ₂
    assert sp.solve(sp.Eq(t - sp.log(t) - 1, 0), t) == [1]
    mu1, mu2 = sp.symbols("mu1 mu2", real=True)
    s2 = sp.Symbol("sigma2", positive=True)
    assert sp.solve(sp.Eq((mu1 - mu2) ** 2 / (2 * s2**2), 0), mu1) == [mu2]
    # numerically: zero at equal parameters, positive nearby in every direction
    rng = np.random.default_rng(4)
    mu, sigma = rng.normal(size=20), np.exp(rng.normal(size=20))
    assert np.all(kl_normal(mu, sigma, mu, sigma) == 0)
    for dmu, dsig in [(1e-3, 0.0), (0.0, 1e-3), (-1e-3, -1e-3)]:
        assert np.all(kl_normal(mu + dmu, sigma * (1 + dsig), mu, sigma) > 0)


def test_a_false_inequality_is_not_proved() -> None:
    d = mutant("kl_nonnegative", "  >= 0 ", "  >= 1/10 ")
    assert d.steps[-1].result.verdict is Verdict.REFUTED
