"""A density family written with a parameter subscript beside the family of its bare letter
(a likelihood p_θ(x|z) beside a prior p(z), He et al. 2019): two names are two models to the
checker unless the bare letter declares only the model's missing marginal (then it is that
model's prior, and the proof says so); otherwise a step that holds only when they are one model
is left open with that said, never refuted; a step false under both readings is still
refuted, and two names declared for the same density shape (a data density beside a model
marginal) are never read as one."""

from __future__ import annotations

from elbo_derivation.core.steps import Verdict
from elbo_derivation.decide.rules import holds_as_one_model, one_model_reading
from elbo_derivation.decide.verdict import decide_step
from elbo_derivation.read.deriv import parse_derivation

# Bayes' rule through a likelihood with a parameter subscript and a prior without one
BAYES = """\
symbols: y, w : real
densities: s(w|y), r_a(y|w), r(w), r_a(w|y), r_a(y)
  E[log(r_a(y|w)*r(w)/s(w|y)), w ~ s(w|y)]
= E[log(r_a(w|y)*r_a(y)/s(w|y)), w ~ s(w|y)]
"""


def _verdicts(text: str):
    d = parse_derivation(text)
    return [decide_step(d, step, time_limit=10.0) for step in d.steps]


def test_bayes_rule_across_a_parameter_subscript_reads_the_bare_prior_as_the_model_marginal(
        ) -> None:
    # the bare r declares only r(w), the one marginal the model r_a lacks: it is that model's
    # prior (a VAE's p(z) beside p_θ(x|z)); the proof says it read it so
    (result,) = _verdicts(BAYES)
    assert result.verdict is Verdict.PROVED, result
    assert any("r(w) is the model's own marginal r_a(w)" in rule for rule in result.rules)


def test_a_step_false_as_one_model_too_is_refuted() -> None:
    (result,) = _verdicts(BAYES.replace("*r_a(y)/s(w|y)), w", "/(r_a(y)*s(w|y))), w"))
    assert result.verdict is Verdict.REFUTED, result


def test_a_shape_under_both_names_is_two_models() -> None:
    d = parse_derivation("""\
symbols: y : real
densities: r(y), r_a(y)
  KL(r(y), r_a(y))
= 0
""")
    (step,) = d.steps
    assert one_model_reading(d.start, step.expr) is None
    assert decide_step(d, step, time_limit=10.0).verdict is not Verdict.PROVED


def test_the_reading_renames_only_the_subscripted_family() -> None:
    d = parse_derivation(BAYES)
    (step,) = d.steps
    reading = one_model_reading(d.start, step.expr)
    assert reading is not None
    a, b, said = reading
    assert "r_a" not in str(a) + str(b) and "s(w|y)" in str(a)
    assert said == "r_a and r"
    assert holds_as_one_model(d.start, step.expr, step.relation) is not None


def test_the_open_step_says_what_to_write_and_that_writing_proves_it() -> None:
    # where the bare letter declares more than the model's missing marginal (here also a
    # conditional of its own), two names stay two models: the reason names the density to
    # rename and its new name, once; written so (and declared), Bayes' rule proves the step
    text = BAYES.replace("densities: s(w|y),", "densities: r(y|w), s(w|y),")
    (result,) = _verdicts(text)
    assert result.verdict is Verdict.UNDECIDED, result
    reason = result.reason or ""
    assert "If r(w) is the density of that model, write it r_a(w) (and declare r_a(w))" in reason
    assert reason.count("read as two models") == 1, reason
    written = BAYES.replace("r(w)", "r_a(w)")
    (proved,) = _verdicts(written)
    assert proved.verdict is Verdict.PROVED, proved
