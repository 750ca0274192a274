"""The multivariate KL (beyond the notes): full covariance for k = 2, its lemmas, the diagonal
case and the reduction to §3 for k = 1 — checked symbolically, compared with the numeric
``kl_mvn``, and mutants refuted."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from elbo_derivation.core.steps import Verdict
from elbo_derivation.decide import rules
from elbo_derivation.decide.engine import check_derivation, load_derivation
from elbo_derivation.notes import bundled_paths
from elbo_derivation.numeric.kl import kl_mvn, kl_normal
from elbo_derivation.read.deriv import parse_derivation, read_derivation

NOTES = Path(rules.__file__).resolve().parents[1] / "notes"
FILES = (
    "kl_multivariate",
    "kl_multivariate_quadratic_form",
    "kl_multivariate_chain_rule",
    "kl_multivariate_diagonal",
    "kl_multivariate_k1",
)


@pytest.mark.parametrize("name", FILES)
def test_every_step_is_proved(name: str) -> None:
    d = load_derivation(NOTES / f"{name}.deriv", time_limit=5.0)
    verdicts = [(s.index, s.result.verdict, s.result.method) for s in d.steps]
    assert all(v is Verdict.PROVED for _, v, _ in verdicts), verdicts
    assert "multivariate" in d.name
    assert "beyond the notes" in d.source


def test_the_files_are_bundled_for_verify() -> None:
    stems = {p.stem for p in bundled_paths()}
    assert set(FILES) <= stems
    titles = [read_derivation(NOTES / f"{n}.deriv").title for n in FILES]
    assert any("multivariate" in t.lower() for t in titles)


def _closed_form(name: str = "kl_multivariate"):
    d = read_derivation(NOTES / f"{name}.deriv")
    expr = d.expand_definitions(d.steps[-1].expr)
    names = ["a1", "b1", "c1", "a2", "b2", "c2", "m11", "m12", "m21", "m22"]
    return sp.lambdify([d.symbols[n] for n in names], expr, modules="numpy")


def test_closed_form_agrees_with_kl_mvn_at_random_spd_matrices() -> None:
    f = _closed_form()
    rng = np.random.default_rng(11)
    for _ in range(20):
        a1, c1, a2, c2 = np.exp(rng.normal(size=4))
        b1, b2 = rng.normal(size=2)
        mu1, mu2 = rng.normal(size=2), rng.normal(size=2)
        L1 = np.array([[a1, 0.0], [b1, c1]])
        L2 = np.array([[a2, 0.0], [b2, c2]])
        exact = kl_mvn(mu1, L1 @ L1.T, mu2, L2 @ L2.T)
        ours = f(a1, b1, c1, a2, b2, c2, *mu1, *mu2)
        assert np.isclose(ours, exact, rtol=1e-10, atol=1e-12)


def test_closed_form_is_the_matrix_formula() -> None:
    """tr21, maha, det are the entries-written-out versions of the matrix expressions."""
    d = read_derivation(NOTES / "kl_multivariate.deriv")
    s = d.symbols
    L1 = sp.Matrix([[s["a1"], 0], [s["b1"], s["c1"]]])
    L2 = sp.Matrix([[s["a2"], 0], [s["b2"], s["c2"]]])
    S1, S2 = L1 * L1.T, L2 * L2.T
    dm = sp.Matrix([s["m21"] - s["m11"], s["m22"] - s["m12"]])
    matrix_form = (
        (S2.inv() * S1).trace() + (dm.T * S2.inv() * dm)[0] - 2 + sp.log(S2.det() / S1.det())
    ) / 2
    ours = d.expand_definitions(d.steps[-1].expr)
    assert sp.simplify(sp.expand(sp.expand_log(ours - matrix_form))) == 0


def test_k1_reduces_to_section_3() -> None:
    d = load_derivation(NOTES / "kl_multivariate_k1.deriv")
    s = d.symbols
    f = sp.lambdify([s["mu1"], s["sigma1"], s["mu2"], s["sigma2"]], d.start, modules="numpy")
    assert np.isclose(f(0.3, 0.7, -1.2, 1.9), kl_normal(0.3, 0.7, -1.2, 1.9), rtol=1e-12)


@pytest.mark.parametrize(
    ("old", "new", "index"),
    [
        ("- 2/2 + (tr21 + maha)/2", "- 1/2 + (tr21 + maha)/2", 3),  # k = 1 where k = 2
        ("= (tr21 + maha - 2 + log(det2/det1))/2", "= (tr21 + maha - 2 + log(det1/det2))/2", 4),
    ],
)
def test_mutants_are_refuted(old: str, new: str, index: int) -> None:
    text = (NOTES / "kl_multivariate.deriv").read_text(encoding="utf-8")
    assert text.count(old) == 1
    d = check_derivation(parse_derivation(text.replace(old, new), file="m.deriv"))
    failure = d.first_failure
    assert failure is not None and failure.index == index
    assert failure.result.verdict is Verdict.REFUTED
