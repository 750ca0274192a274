"""The expectation rules read the roles of densities from structure, never from their letters.

Bayes' rule applies to a model family (the joint p(x, z)), whatever it is called; the
variational family (q(z|x)) is free; the linear-Gaussian instance that refutes wrong steps
takes z to be the variable expectations are over. Renaming every density and variable of
the notes' §2 consistently keeps every verdict.
"""

from __future__ import annotations

import re

import pytest
import sympy as sp

from elbo_derivation.core.expectation import KL, Expectation
from elbo_derivation.core.steps import Verdict
from elbo_derivation.decide import rules
from elbo_derivation.decide.verdict import compare
from elbo_derivation.notes import bundled_paths
from elbo_derivation.pipeline import check_derivation
from elbo_derivation.read.deriv import parse_derivation

#: p → P, q → r, x → X, z → w (the density families, the data, the latent variable)
RENAME = [(r"\bp\(", "P("), (r"\bq\(", "r("), (r"\[q\b", "[r"), (r"\bx\b", "X"), (r"\bz\b", "w")]
WITH_DENSITIES = ("elbo", "evidence", "elbo_gaussian_likelihood")


def _renamed(text: str) -> str:
    for old, new in RENAME:
        text = re.sub(old, new, text)
    return text


@pytest.mark.parametrize("name", WITH_DENSITIES)
def test_renaming_densities_and_variables_keeps_every_verdict(name: str) -> None:
    (path,) = [p for p in bundled_paths() if p.stem == name]
    text = path.read_text(encoding="utf-8")
    renamed = _renamed(text)
    assert "P(" in renamed and not re.search(r"\bp\(", renamed)
    original = check_derivation(parse_derivation(text, file=f"{name}.deriv"))
    other = check_derivation(parse_derivation(renamed, file=f"{name}-renamed.deriv"))
    assert [(s.verdict, s.result.method) for s in other.steps] == [
        (s.verdict, s.result.method) for s in original.steps]
    assert all(s.verdict is Verdict.PROVED for s in other.steps)


X, W = sp.symbols("X w", real=True)


def _density(name: str, *args: sp.Symbol) -> sp.Expr:
    return sp.Function(name, positive=True)(*args)


r = _density("r(w|X)", W, X)
post, lik = _density("P(w|X)", W, X), _density("P(X|w)", X, W)
prior, evidence = _density("P(w)", W), _density("P(X)", X)


def test_the_model_family_is_found_by_structure() -> None:
    assert rules.model_families(Expectation(sp.log(post), W, r)) == {"P"}
    assert rules.model_families(KL(r, prior, W) - Expectation(sp.log(lik), W, r)) == {"P"}
    # a family that expectations are over, with one density only, is variational
    assert rules.model_families(Expectation(sp.log(r), W, r)) == frozenset()


def test_bayes_rule_for_a_model_under_other_letters() -> None:
    lhs = KL(r, post, W)
    rhs = KL(r, prior, W) - Expectation(sp.log(lik), W, r) + sp.log(evidence)
    result = compare(lhs, rhs)
    assert (result.verdict, result.method) == (Verdict.PROVED, "expectation-rules")
    assert any("Bayes" in rule for rule in result.rules)


def test_a_wrong_step_under_other_letters_is_refuted_on_the_instance() -> None:
    lhs = KL(r, post, W)
    wrong = KL(r, prior, W) - Expectation(sp.log(lik), W, r) - sp.log(evidence)
    result = compare(lhs, wrong)
    assert result.verdict is Verdict.REFUTED
    assert "linear-Gaussian" in result.counterexample.note
    # KL is not symmetric: two variational families each get their own parameters
    out = rules.check(KL(r, post, W), KL(post, r, W))
    assert out is not None and out.verdict == "refuted"
