"""The catalogue as data: every entry's simulation makes its example's wrong step, the step is
named by that entry (and keeps its name when the symbols are renamed), and a name is given only
when it is proved and unique."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import sympy as sp

from elbo_derivation.core.expectation import Expectation
from elbo_derivation.core.steps import Derivation, Relation, Step
from elbo_derivation.core.timeout import clock
from elbo_derivation.explain import mistakes
from elbo_derivation.explain.catalogue import BY_NAME, CATALOGUE, Entry, Example
from elbo_derivation.explain.mistakes import _backward, _Context, _forward, diagnose
from elbo_derivation.explain.roles import infer_roles

# names that a letter-keyed detector would misread: each symbol gets another's letter
RENAMES = ["v", "c", "h", "s", "k", "m", "a", "b", "t", "u", "w", "y"]


def _declared(example: Example, symbols: dict[str, sp.Symbol]) -> SimpleNamespace:
    """A derivation with the reading layer's declarations protocol: symbol → role."""
    roles = {symbols[k]: r for k, r in example.roles.items() if k in symbols}
    return SimpleNamespace(declarations=SimpleNamespace(roles=roles), symbols=symbols,
                           steps=[], definitions={}, start=example.right)


def _run(right: sp.Basic, wrong: sp.Basic, example: Example) -> mistakes.Mistake | None:
    symbols = {s.name: s for s in right.atoms(sp.Symbol) | wrong.atoms(sp.Symbol)}
    step = SimpleNamespace(relation=Relation(example.relation), index=1, wrt=())
    return diagnose(right, wrong, _declared(example, symbols), step)


def _renamed(example: Example) -> tuple[sp.Basic, sp.Basic, Example]:
    symbols = sorted(example.right.atoms(sp.Symbol) | example.wrong.atoms(sp.Symbol), key=str)
    mapping = {s: sp.Symbol(RENAMES[i], **s.assumptions0) for i, s in enumerate(symbols)}
    names = {s.name: mapping[s].name for s in symbols}
    roles = {names[k]: r for k, r in example.roles.items() if k in names}
    right, wrong = example.right.xreplace(mapping), example.wrong.xreplace(mapping)
    return right, wrong, Example(right, wrong, roles, example.relation)


VALUE_ENTRIES = [e for e in CATALOGUE if e.relation is None]


@pytest.mark.parametrize("entry", VALUE_ENTRIES, ids=[e.name for e in VALUE_ENTRIES])
def test_the_simulation_makes_the_examples_wrong_step(entry: Entry) -> None:
    ex = entry.example
    symbols = {s.name: s for s in ex.right.atoms(sp.Symbol) | ex.wrong.atoms(sp.Symbol)}
    ctx = _Context(ex.right, ex.wrong, _declared(ex, symbols), None, clock() + 60)
    forward = any(ctx.screen_equal(w, ex.wrong) and ctx.exact(w, ex.wrong)
                  for w, _, _, _ in _forward(entry, ctx))
    backward = any(ctx.screen_equal(r, ex.right) and redo() and ctx.exact(r, ex.right)
                   for r, _, _, redo in _backward(entry, ctx))
    assert forward or backward


@pytest.mark.parametrize("entry", CATALOGUE, ids=[e.name for e in CATALOGUE])
def test_the_examples_wrong_step_is_named_and_renaming_keeps_the_name(entry: Entry) -> None:
    ex = entry.example
    found = _run(ex.right, ex.wrong, ex)
    assert found is not None and found.name == entry.name, found
    assert found.explanation and "{" not in found.explanation
    right, wrong, renamed = _renamed(ex)
    again = _run(right, wrong, renamed)
    assert again is not None and again.name == entry.name, again


# --- the misnamings of the issue, now refused --------------------------------------------------

s, h, c = sp.symbols("sigma h c", positive=True)
mu, g, x = sp.symbols("mu g x", real=True)
half = sp.Rational(1, 2)


def test_log_variance_for_log_std_is_not_called_a_normaliser_mistake() -> None:
    s2 = sp.Symbol("s_2", positive=True)
    rest = (x - mu) ** 2 / (2 * s**2) + (x - mu) ** 2 / (2 * s2**2)
    m = diagnose(sp.log(s2 / s) + rest, sp.log(s2**2 / s) + rest, None, None)
    assert m is not None and m.name == "log-variance-for-log-std"
    assert "s₂ is the standard deviation" in m.explanation
    # log σ² for log σ alone is also ½ log σ² with the ½ dropped: the written log σ² shows
    # the role confused, a special case of the ½ dropped, so the role names it
    right = sp.log(s) + (x - mu) ** 2 / (2 * s**2)
    m = diagnose(right, sp.log(s**2) + (x - mu) ** 2 / (2 * s**2), None, None)
    assert m is not None and m.name == "log-variance-for-log-std"


def test_an_extra_half_is_not_called_a_dropped_half() -> None:
    right = h + g**2 - sp.log(h) - 1
    m = diagnose(right, right / 2, None, None)
    assert m is not None and m.name == "extra-half"


def test_a_reversed_inequality_is_named_as_such_with_the_chain() -> None:
    a = sp.Symbol("a", positive=True)
    d = Derivation("t", {"a": a}, a**2 + 2, [Step(1, Relation.GE, a**2 + 1),
                                            Step(2, Relation.LE, a**2)])
    m = diagnose(a**2 + 1, a**2, d, d.steps[1])
    assert m is not None and m.name == "inequality-reversed"
    assert "≥" in m.explanation and "step 1" in m.explanation
    # the same pair as an equality is a dropped term, not a relation
    assert diagnose(a**2 + 1, a**2, d, Step(2, Relation.EQ, a**2)).name == "dropped-term"


def test_an_inequality_that_is_false_both_ways_is_not_recognised() -> None:
    a = sp.Symbol("a", real=True)
    step = Step(1, Relation.LE, a)
    assert diagnose(a**2 - 1, a, None, step) is None


def test_jensen_reversed() -> None:
    z = sp.Symbol("z", real=True)
    q = sp.Function("q(z)", positive=True)(z)
    f = sp.Function("p(x,z)", positive=True)(z)
    m = diagnose(sp.log(Expectation(f / q, z, q)), Expectation(sp.log(f / q), z, q), None,
                 Step(1, Relation.LE, sp.S(0)))
    assert m is not None and m.name == "jensen-reversed"


def test_two_unrelated_entries_reproducing_the_step_leave_it_unrecognised() -> None:
    # log(1/h) for log(1/√h): the ½ of the root dropped, or h read as a standard deviation
    # inside the log (log h² = 2 log h): the same written step, two different lessons
    right = sp.log(1 / sp.sqrt(h)) + (h + g**2) / 2 - half
    assert diagnose(right, -sp.log(h) + (h + g**2) / 2 - half, None, None) is None


def test_a_more_specific_entry_wins_only_when_declared_a_special_case() -> None:
    right = (h + g**2 - sp.log(h) - 1) / 2
    m = diagnose(right, 2 * right, None, None)  # a factor 2, and the ½ in front dropped
    assert m is not None and m.name == "dropped-half"
    assert "factor-two" in BY_NAME["dropped-half"].special_case_of


def test_no_role_no_name() -> None:
    # σ² for σ in √(2π)·σ is a mistake only if σ is a standard deviation: without a
    # declaration or a density that says so, the step is not recognised
    assert diagnose(sp.sqrt(2 * sp.pi) * s, sp.sqrt(2 * sp.pi) * s**2, None, None) is None
    ex = Example(sp.sqrt(2 * sp.pi) * s, sp.sqrt(2 * sp.pi) * s**2,
                 {"sigma": "standard-deviation"})
    assert _run(ex.right, ex.wrong, ex).name == "variance-for-std"


def test_roles_come_from_structure_not_letters() -> None:
    v = sp.Symbol("sigma", positive=True)  # a σ that is a variance here
    dens = sp.exp(-(x - mu) ** 2 / (2 * v)) / sp.sqrt(2 * sp.pi * v)
    r = infer_roles([sp.Integral(dens * x, (x, -sp.oo, sp.oo))])
    assert r.role(v) == "variance" and r.role(mu) == "mean"
    ell = sp.Symbol("h", real=True)  # an "h" that is a log-variance
    dens = sp.exp(-(x - mu) ** 2 / (2 * sp.exp(ell)))
    assert infer_roles([sp.Integral(dens, (x, -sp.oo, sp.oo))]).role(ell) == "log-variance"
    k = sp.Symbol("k", positive=True)
    assert infer_roles([k * (x - mu) ** 2]).role(k) == "balancing-constant"


def test_the_way_back_gives_the_expected_step_and_part() -> None:
    m1, m2 = sp.symbols("m_1 m_2", real=True)
    dens = sp.exp(-(x - m1) ** 2 / (2 * s**2)) / sp.sqrt(2 * sp.pi * s**2)
    right = sp.Integral(dens * (x**2 - 2 * x * m2 + m2**2), (x, -sp.oo, sp.oo))
    m = diagnose(right, s**2 - 2 * m1 * m2 + m2**2, None, None)
    assert m is not None and m.name == "second-moment-missing-mean"
    assert (m.wrong_part, m.right_part) == (s**2, s**2 + m1**2)
    assert sp.expand(m.expected_step - (s**2 + m1**2 - 2 * m1 * m2 + m2**2)) == 0
    assert "E[x²] = m₁² + σ², not σ²" in m.explanation
    assert "m₁ is the mean" in m.explanation


def test_an_ambiguous_moment_is_not_named() -> None:
    # σ² − 2μ² + μ²: E[x²] = σ² with μ² forgotten, or the μ² of (x − μ)² dropped: no name
    dens = sp.exp(-(x - mu) ** 2 / (2 * s**2)) / sp.sqrt(2 * sp.pi * s**2)
    right = sp.Integral(dens * (x**2 - 2 * x * mu + mu**2), (x, -sp.oo, sp.oo))
    assert diagnose(right, s**2 - mu**2, None, None) is None


def test_a_normaliser_dropped_in_an_optimisation_names_the_optimised_parameter() -> None:
    right = -sp.log(2 * sp.pi * s**2) / 2 - (x - mu) ** 2 / (2 * s**2)
    step = Step(1, Relation.EQ_UP_TO, -(x - mu) ** 2 / (2 * s**2), wrt=("sigma",))
    m = diagnose(right, step.expr, None, step)
    assert m is not None and m.name == "normaliser-dropped"
    assert "σ, which the step optimises" in m.explanation.replace("sigma", "σ")


def test_diagnosis_is_time_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mistakes, "TIME_BUDGET", 0.05)
    big = sum(sp.log(h + k) * g**k for k in range(1, 60))
    start = clock()  # (the budget counts CPU seconds, the same on a loaded machine)
    assert diagnose(big, big + g, None, None) is None
    assert clock() - start < 2.0


def test_declarations_in_the_reading_layers_form() -> None:
    # roles keyed by symbol or expression, with "standard deviation" spelt with a space, and a
    # declared Gaussian family (q(z|x) = N(m, s^2)): s is a standard deviation of mean m
    m_, s_ = sp.Symbol("m", real=True), sp.Symbol("s", positive=True)
    fam = SimpleNamespace(name="normal", parameters=(m_, s_**2), variable=x)
    decl = SimpleNamespace(roles={m_: "mean", s_: "standard deviation", s_**2: "variance"},
                           families={"q(z|x)": fam})
    d = SimpleNamespace(declarations=decl, symbols={"m": m_, "s": s_}, steps=[],
                        definitions={}, start=sp.S(0))
    right = sp.sqrt(2 * sp.pi) * s_ + m_
    found = diagnose(right, sp.sqrt(2 * sp.pi) * s_**2 + m_, d, None)
    assert found is not None and found.name == "variance-for-std"
    assert "s is the standard deviation of the Gaussian with mean m" in found.explanation


def test_an_optimisation_step_is_reproduced_up_to_what_it_may_drop() -> None:
    # =~ [x, μ]: the constant −½ log 2π may go, nothing with x or μ may; the written step
    # also dropped (x − μ)²'s cross term: named, though a constant went too
    right = -sp.log(2 * sp.pi) / 2 - (x - mu) ** 2 / 2
    written = -(x**2 + mu**2) / 2
    step = Step(1, Relation.EQ_UP_TO, written, wrt=("x", "mu"))
    m = diagnose(right, written, None, step)
    assert m is not None and m.name == "missing-cross-term"
    # with μ alone optimised, dropping x from (x − μ)² fits as well: no name
    step = Step(1, Relation.EQ_UP_TO, written, wrt=("mu",))
    assert diagnose(right, written, None, step) is None


def test_the_way_back_keeps_the_students_own_line() -> None:
    # a ½ dropped on one term: the repair is the written line with that ½ restored
    right = sp.log(2 * sp.pi * s**2) / 2 + (x - mu) ** 2 / (2 * s**2)
    wrong = sp.log(2 * sp.pi * s**2) + (x - mu) ** 2 / (2 * s**2)
    m = diagnose(right, wrong, None, None)
    assert m is not None and m.name == "dropped-half"
    assert sp.expand(m.expected_step - right) == 0


def test_std_for_variance_under_a_log_variance_is_named_not_called_an_extra_half() -> None:
    # corpus kl_standard_normal_logvar: σ² = exp(ℓ) written exp(ℓ/2) = σ; the ½ in front of ℓ
    # is how the mistake shows, the declared role says which mistake it is
    ell, m_ = sp.Symbol("k", real=True), sp.Symbol("t", real=True)
    right = (sp.exp(ell) + m_**2 - ell - 1) / 2
    wrong = (sp.exp(ell / 2) + m_**2 - ell - 1) / 2
    named = _run(right, wrong, Example(right, wrong, {"k": "log-variance"}))
    assert named is not None and named.name == "std-for-variance"
    assert named.wrong_part == sp.exp(ell / 2) and named.right_part == sp.exp(ell)


def test_a_mistake_found_by_repairing_the_written_step_keeps_right_and_wrong_apart():
    """Regression: a standard deviation written where the variance belongs, recognised by
    repairing the written step, was explained back to front ("the variance s₂ belongs here,
    not s₂²"): the repair's binding called the written part right."""
    from elbo_derivation.pipeline import check_derivation
    from elbo_derivation.read.deriv import parse_derivation

    d = parse_derivation(
        "symbols: z, m : real\nsymbols: s : positive\n"
        "densities: q(z) = N(m, s^2), p(z) = N(0, 1)\n\n"
        "    KL(q(z), p(z))\n"
        "  = (s + m^2 - log(s^2) - 1)/2\n", file="t.deriv")
    check_derivation(d)
    result = d.steps[0].result
    assert (result.verdict.value, result.mistake) == ("refuted", "std-for-variance")
    assert "the variance s² belongs here, not s." in result.explanation, result.explanation


def test_the_way_back_is_in_the_json_and_the_report(tmp_path):
    """A named mistake says what the step should have been: ``expected_step`` in check's
    JSON, and 'the step should have read …' in the text report."""
    import json

    from elbo_derivation.cli import main

    f = tmp_path / "w.deriv"
    f.write_text("symbols: z, m : real\nsymbols: s : positive\n"
                 "densities: q(z) = N(m, s^2), p(z) = N(0, 1)\n\n"
                 "    KL(q(z), p(z))\n"
                 "  = (s + m^2 - log(s^2) - 1)/2\n", encoding="utf-8")
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["check", str(f), "--json"]) == 1
    step = json.loads(out.getvalue())["first_failure"]
    assert step["mistake"] == "std-for-variance"
    assert step["expected_step"] is not None and "s²" in step["expected_step"]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["check", str(f)])
    assert "the step should have read" in out.getvalue()
