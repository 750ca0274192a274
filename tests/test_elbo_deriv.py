"""§2 of the notes as checked steps: the ELBO, the evidence identity, the Gaussian likelihood.

Also the expectation rules of ``decide/rules.py`` on their own, and mutants of §2 (the sign of
log p(x), the KL direction swapped, C for c, a term dropped that depends on q) refuted at the
step that introduces the mistake.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sympy as sp

from elbo_derivation.core.expectation import KL, Expectation
from elbo_derivation.core.steps import Derivation, Relation, Verdict
from elbo_derivation.decide import rules
from elbo_derivation.decide.engine import check_derivation, load_derivation
from elbo_derivation.notes import bundled_paths
from elbo_derivation.read.deriv import parse_derivation

NOTES = Path(rules.__file__).resolve().parents[1] / "notes"
SECTION_2 = ("elbo", "evidence", "elbo_gaussian_likelihood")

x, z = sp.symbols("x z", real=True)
q = sp.Function("q(z|x)", positive=True)(z, x)
prior = sp.Function("p(z)", positive=True)(z)
lik = sp.Function("p(x|z)", positive=True)(x, z)
post = sp.Function("p(z|x)", positive=True)(z, x)
evidence = sp.Function("p(x)", positive=True)(x)


def checked(name: str) -> Derivation:
    return load_derivation(NOTES / f"{name}.deriv", time_limit=5.0)


def mutant(name: str, old: str, new: str) -> Derivation:
    text = (NOTES / f"{name}.deriv").read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} must occur exactly once in {name}.deriv"
    d = parse_derivation(text.replace(old, new), file=f"{name}-mutant.deriv")
    return check_derivation(d, time_limit=5.0)


# --- the bundled files ----------------------------------------------------------------------


@pytest.mark.parametrize("name", SECTION_2)
def test_every_step_of_section_2_is_proved(name: str) -> None:
    d = checked(name)
    assert d.source.startswith("notes §2")
    verdicts = [(s.index, s.result.verdict, s.result.method) for s in d.steps]
    assert all(v is Verdict.PROVED for _, v, _ in verdicts), verdicts


def test_the_display_has_six_equalities_then_the_dropped_evidence() -> None:
    d = checked("elbo")
    assert [str(s.relation) for s in d.steps] == ["="] * 6 + ["=~"]
    assert d.steps[-1].wrt == ("q",)
    assert isinstance(d.start, KL) and d.start.p == d.functions["p(z|x)"]
    # the densities have the signatures the numeric checks instantiate
    assert set(d.functions) == {"q(z|x)", "p(z)", "p(x|z)", "p(z|x)", "p(x)"}


def test_evidence_identity_ends_in_the_bound() -> None:
    d = checked("evidence")
    assert d.start == sp.log(d.functions["p(x)"])
    assert d.steps[-1].relation is Relation.GE
    assert "Gibbs" in d.steps[-1].result.explanation


def test_gaussian_likelihood_drops_the_normaliser_wrt_encoder_and_decoder() -> None:
    d = checked("elbo_gaussian_likelihood")
    up_to = [s for s in d.steps if s.relation is Relation.EQ_UP_TO]
    assert [s.wrt for s in up_to] == [("q", "f")]
    assert d.expand_definitions(d.symbols["C"]) == 1 / (2 * d.symbols["c"])


def test_section_2_files_are_bundled() -> None:
    stems = {p.stem for p in bundled_paths()}
    assert set(SECTION_2) <= stems


# --- mutants ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "old", "new", "index"),
    [
        # the sign of log p(x)
        ("elbo", "p(z)) - E[log(p(x|z)), z ~ q(z|x)] + log(p(x))",
         "p(z)) - E[log(p(x|z)), z ~ q(z|x)] - log(p(x))", 6),
        ("elbo", "- log(p(x|z)) - log(p(z)) + log(p(x)), z",
         "- log(p(x|z)) - log(p(z)) - log(p(x)), z", 3),
        # the KL direction swapped
        ("elbo", "  = KL(q(z|x), p(z)) - E[log(p(x|z)), z ~ q(z|x)] + E[log(p(x))",
         "  = KL(p(z), q(z|x)) - E[log(p(x|z)), z ~ q(z|x)] + E[log(p(x))", 5),
        ("elbo", "  = E[log(q(z|x)/p(z|x)), z ~ q(z|x)]",
         "  = E[log(p(z|x)/q(z|x)), z ~ q(z|x)]", 1),
        # a dropped term that depends on the encoder
        ("elbo", "=~ [q] KL(q(z|x), p(z)) - E[log(p(x|z)), z ~ q(z|x)]",
         "=~ [q] KL(q(z|x), p(z)) + log(p(x))", 7),
        # the bound the wrong way round
        ("evidence", "  >= E[log(p(x|z))", "  <= E[log(p(x|z))", None),
        # C for c
        ("elbo_gaussian_likelihood", "+ C*E[(x - f(z))^2", "+ c*E[(x - f(z))^2", 4),
        # Bayes' rule upside down
        ("elbo", "log(q(z|x)) - log(p(x|z)*p(z)/p(x)), z", "log(q(z|x)) - log(p(x)*p(z)/p(x|z)), z",
         2),
    ],
)
def test_mutants_are_refuted_at_the_right_step(
    name: str, old: str, new: str, index: int | None
) -> None:
    d = mutant(name, old, new)
    failure = d.first_failure
    if index is None:  # KL ≥ 0 is not a proof of ≤: not proved, and not claimed proved
        step = d.steps[-1]
        assert step.result.verdict is not Verdict.PROVED
        return
    assert failure is not None and failure.index == index, [
        (s.index, s.result.verdict) for s in d.steps
    ]
    assert failure.result.verdict is Verdict.REFUTED
    assert failure.result.counterexample is not None
    assert all(s.result.verdict is Verdict.PROVED for s in d.steps[: index - 1])


# --- the rules on their own ---------------------------------------------------------------


def test_normalize_applies_bayes_only_to_the_posterior_of_the_bound_variable() -> None:
    e = Expectation(sp.log(post), z, q)
    assert rules.normalize(e) == sp.expand(
        Expectation(sp.log(lik), z, q) + Expectation(sp.log(prior), z, q) - sp.log(evidence)
    )
    _, used = rules.normalize_traced(e)
    assert rules.BAYES in used
    # outside an expectation over z, p(z|x) is left alone
    assert rules.normalize(sp.log(post)) == sp.log(post)
    # q is a free density: no Bayes' rule for it
    assert rules.BAYES not in rules.normalize_traced(Expectation(sp.log(q), z, q))[1]


def test_expectation_of_a_constant_needs_a_normalised_density() -> None:
    s = sp.Symbol("s", positive=True)
    good = sp.exp(-(z**2) / (2 * s**2)) / sp.sqrt(2 * sp.pi * s**2)
    bad = sp.exp(-(z**2) / (2 * s**2)) / s  # missing 1/sqrt(2π)
    assert rules.normalize(Expectation(sp.Integer(3), z, q)) == 3
    assert rules.normalize(Expectation(sp.Integer(3), z, good)) == 3
    assert rules.normalize(Expectation(sp.Integer(3), z, bad)) != 3


def test_logs_are_expanded_only_where_positivity_is_known() -> None:
    a, b = sp.symbols("a b", real=True)
    e = Expectation(sp.log(a * b) * z, z, q)
    out = rules.normalize(e)
    assert out.has(sp.log(a * b)) and not out.has(sp.log(a))


def test_free_of_q_and_dependence() -> None:
    assert rules.depends_on(KL(q, prior, z), "q")
    assert not rules.depends_on(sp.log(evidence) + x, "q")
    assert rules.depends_on(sp.log(evidence) + x, "x")


def test_rules_check_refutes_on_the_linear_gaussian_instance() -> None:
    out = rules.check(KL(q, post, z), KL(post, q, z))
    assert out is not None and out.verdict == "refuted"
    assert "linear-Gaussian" in out.counterexample.note
    # ≥ by Gibbs' inequality, but not ≤
    elbo = Expectation(sp.log(lik), z, q) - KL(q, prior, z)
    assert rules.check(sp.log(evidence), elbo, ">=").verdict == "proved"
    le = rules.check(sp.log(evidence), elbo, "<=")
    assert le is None or le.verdict != "proved"


def test_linear_gaussian_instance_is_consistent_with_bayes() -> None:
    (inst,), _ = rules.linear_gaussian_instance(lik * prior / evidence - post)
    a, b, c = (next(s for s in inst.free_symbols if s.name == n) for n in "abc")
    value = inst.subs({a: 2, b: sp.Rational(1, 2), c: 3, x: 1, z: sp.Rational(-1, 3)})
    assert abs(float(value)) < 1e-12


def test_free_of_hidden_parameters_is_not_claimed() -> None:
    """q(z|x) = N(g, h) is abstract: "free of g" cannot be read off, so it is not decided."""
    g = sp.Symbol("g", real=True)
    lhs = KL(q, prior, z) + sp.log(evidence)
    assert rules.check(lhs, KL(q, prior, z), "=~", ["g"]) is None
    assert rules.check(lhs, KL(q, prior, z), "=~", ["q"]).verdict == "proved"
    dropped = KL(q, prior, z) + Expectation(sp.log(lik), z, q)
    assert rules.check(dropped, KL(q, prior, z), "=~", ["q"]).verdict == "refuted"
    assert rules.check(KL(q, prior, z) + g, KL(q, prior, z), "=~", ["q"]).verdict == "proved"
