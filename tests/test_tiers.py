"""The tiers that decide a step: their order, the calculus tier, and the rules they report."""

from __future__ import annotations

import json

import pytest
import sympy as sp

from elbo_derivation.core.expectation import Expectation
from elbo_derivation.core.steps import Derivation, Relation, Step, Verdict
from elbo_derivation.decide import tiers
from elbo_derivation.decide.verdict import compare
from elbo_derivation.report.json import check_json

x = sp.Symbol("x", real=True)
a, b = sp.symbols("a b", positive=True)
k = sp.Symbol("k", integer=True)
n = sp.Symbol("n", integer=True, positive=True)


def test_the_tiers_run_in_the_documented_order() -> None:
    names = [t.name for t in tiers.TIERS]
    assert names == ["structural", "indexed", "matrix-rules", "gradients", "calculus",
                     "sum-rules", "algebra", "inequality-rules", "strict-jensen", "families",
                     "declared-intervals", "integer-parts", "expectation-rules",
                     "gaussian-instance",
                     "gaussian-moments", "algebra", "rules-gap", "finite-cases", "simplify",
                     "probe"]
    assert [t.after_integrals for t in tiers.TIERS if isinstance(t, tiers.Algebra)] == [
        False, True]


@pytest.mark.parametrize(
    ("lhs", "rhs", "rule"),
    [
        (sp.Derivative(x**3 + sp.sin(x), x), 3 * x**2 + sp.cos(x), "differentiation"),
        (sp.Derivative(sp.log(a * x**2 + 1), x), 2 * a * x / (a * x**2 + 1), "differentiation"),
        (sp.Sum(k, (k, 1, n)), n * (n + 1) / 2, "a finite sum"),
        (sp.Sum(k**2, (k, 1, 4)), 30, "a finite sum"),
        (sp.Sum(sp.Rational(1, 2)**k, (k, 0, sp.oo)), 2, "the geometric series"),
        (sp.Product(k, (k, 1, 5)), 120, "a product"),
    ],
)
def test_the_calculus_tier_proves_derivatives_sums_and_products(lhs, rhs, rule) -> None:  # type: ignore[no-untyped-def]
    r = compare(lhs, rhs)
    assert (r.verdict, r.method) == (Verdict.PROVED, "calculus")
    assert any(name.startswith(rule) for name in r.rules), r.rules


@pytest.mark.parametrize(
    ("lhs", "rhs"),
    [
        (sp.Derivative(x**3, x), 2 * x**2),  # the power rule misapplied
        (sp.Sum(k, (k, 1, n)), n**2 / 2),  # the closed form off by n/2
        (sp.Product(k, (k, 1, 5)), 24),
    ],
)
def test_a_wrong_derivative_sum_or_product_is_refuted(lhs, rhs) -> None:  # type: ignore[no-untyped-def]
    r = compare(lhs, rhs)
    assert r.verdict is Verdict.REFUTED
    assert r.counterexample is not None


def test_the_calculus_tier_stays_out_of_steps_without_its_nodes() -> None:
    p = tiers.Problem.of(sp.log(a * b), sp.log(a) + sp.log(b))
    assert not tiers.CALCULUS.applies(p)
    assert compare(sp.log(a * b), sp.log(a) + sp.log(b)).method == "algebra"


def test_an_unevaluable_derivative_is_left_to_the_other_tiers() -> None:
    f = sp.Function("f", real=True)
    r = compare(sp.Derivative(f(x), x) + x - x, sp.Derivative(f(x), x))
    assert r.verdict is Verdict.PROVED
    assert r.method in ("structural", "algebra")


@pytest.mark.parametrize(
    ("lhs", "rhs", "rule"),
    [
        (sp.log(a / b), sp.log(a) - sp.log(b), "log of a quotient"),
        (sp.log(a * b), sp.log(a) + sp.log(b), "log of a product"),
        (sp.log(a**3), 3 * sp.log(a), "log of a power"),
        ((a + b)**2, a**2 + 2 * a * b + b**2, "expanding a square, (a + b)² = a² + 2ab + b²"),
        (a + b, b + a, "identical sides"),
    ],
)
def test_the_deciding_rule_is_named_in_textbook_words(lhs, rhs, rule) -> None:  # type: ignore[no-untyped-def]
    r = compare(lhs, rhs)
    assert r.verdict is Verdict.PROVED
    assert rule in r.rules and rule in r.rule


def test_expectation_rules_report_linearity_and_bayes() -> None:
    z = sp.Symbol("z", real=True)
    q = sp.Function("q(z|x)", positive=True)(z, x)
    lik = sp.Function("p(x|z)", positive=True)(x, z)
    prior = sp.Function("p(z)", positive=True)(z)
    post = sp.Function("p(z|x)", positive=True)(z, x)
    evidence = sp.Function("p(x)", positive=True)(x)
    lhs = Expectation(sp.log(post), z, q)
    rhs = Expectation(sp.log(lik) + sp.log(prior), z, q) - sp.log(evidence)
    r = compare(lhs, rhs)
    assert (r.verdict, r.method) == (Verdict.PROVED, "expectation-rules")
    assert any("Bayes' rule" in rule for rule in r.rules)
    assert "linearity of E" in r.rules


def test_a_numeric_verdict_names_no_rule() -> None:
    r = compare(sp.log(a / b), sp.log(a) - sp.log(b) + 1)
    assert r.verdict is Verdict.REFUTED
    assert r.rule == ""


def test_the_rule_is_in_the_json_reports() -> None:
    d = Derivation("t", {"a": a, "b": b}, sp.log(a / b),
                   [Step(1, Relation.EQ, sp.log(a) - sp.log(b))])
    from elbo_derivation.pipeline import check_derivation

    check_derivation(d)
    out = json.loads(json.dumps(check_json(d, file="t.deriv")))
    assert out["steps"][0]["rule"] == "log of a quotient"
    assert d.steps[0].result.to_json()["rule"] == "log of a quotient"


def test_the_loops_of_the_deciding_tiers_hold_their_bound_without_a_timer_signal() -> None:
    """The probe's points and the closed-form density instance's points check the bound
    themselves, so a lost SIGALRM cannot let them run on."""
    import signal

    from elbo_derivation.core.timeout import clock, run_bounded
    from elbo_derivation.decide import probe as probe_module
    from elbo_derivation.decide import rules

    x = sp.Symbol("x", real=True)

    def lost(work):  # the timer cancelled at once, then work that would take long
        def run():
            signal.setitimer(signal.ITIMER_PROF, 0)  # (the CPU timer, and its backstop)
            signal.setitimer(signal.ITIMER_REAL, 0)
            began = clock()
            while clock() - began < 0.15:  # past the (CPU) bound before the loop starts
                pass
            return work()
        return run

    slow_points = lost(lambda: probe_module.probe(sp.sin(x) ** 2, 1 - sp.cos(x) ** 2,
                                                  n_random=10_000))
    from elbo_derivation.core.expectation import Expectation
    from elbo_derivation.core.steps import Relation

    z = sp.Symbol("z", real=True)
    q = sp.Function("q(z|x)", positive=True)(z, x)
    instance = lost(lambda: rules.refute_on_gaussian_instance(
        Expectation(sp.log(q), z, q), Expectation(sp.log(q), z, q), Relation.EQ))
    for work in (slow_points, instance):
        start = clock()
        out = run_bounded(work, 0.1)
        assert not out.ok and "timed out" in out.error
        assert clock() - start < 2.0


def test_probe_evaluates_a_derivative_taken_at_a_point() -> None:
    # Weng (2021): the score of N(x; m, v) at x = m + sqrt(v) e is -e/sqrt(v); written with
    # the wrong sign it is refuted, not left undecided for want of a value at any point
    from elbo_derivation.decide.probe import probe

    x, m, e = sp.symbols("x m e", real=True)
    v = sp.Symbol("v", positive=True)
    score = sp.Subs(sp.Derivative(-(x - m)**2 / (2 * v) - sp.log(2 * sp.pi * v) / 2, x),
                    x, m + sp.sqrt(v) * e)
    assert probe(score, -e / sp.sqrt(v)).verdict == "supported"
    assert probe(score, e / sp.sqrt(v)).verdict == "refuted"


def test_a_weaker_verdict_names_the_tier_that_ran_out_of_time(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # d/dμ of a sum over an abstract sample: the calculus tier takes the derivative; cut short
    # by its time share (as a loaded machine can), the sum tier only finds the two sides equal
    # at small bounds. Numerically supported then, and the reason says the time ran out.
    i = sp.Symbol("i", integer=True)
    mu = sp.Symbol("mu", real=True)
    c = sp.Symbol("c", positive=True)
    xs = sp.Function("x", real=True)
    lhs = sp.Derivative(-(c / 2) * sp.Sum((xs(i) - mu) ** 2, (i, 1, n)) - mu**2 / 2, mu)
    rhs = c * sp.Sum(xs(i) - mu, (i, 1, n)) - mu
    assert compare(lhs, rhs, time_limit=2.0).verdict is Verdict.PROVED

    def out_of_time(p: tiers.Problem, work: object) -> None:
        p.reasons.append("calculus: timed out after 0.4 s")  # what within_share notes

    monkeypatch.setattr(tiers.CALCULUS, "within_share", out_of_time)
    r = compare(lhs, rhs, time_limit=2.0)
    assert r.verdict is Verdict.NUMERICALLY_SUPPORTED
    assert "calculus: timed out after 0.4 s" in r.reason, r.reason


def _marginal_step(sign: int) -> tuple[sp.Expr, sp.Expr]:
    """E_{p(x)}E_{p(y|x)}[log(p(y|x)/m(y))] against E[log p(y|x)] + sign·E[log m(y)], m(y) =
    ∫ p(u)p(y|u) du the marginal of y written through the model's factors."""
    y, u = sp.Symbol("y", real=True), sp.Symbol("u", real=True)
    px = sp.Function("p(x)", positive=True)
    py = sp.Function("p(y|x)", positive=True)
    m = sp.Integral(px(u) * py(y, u), (u, -sp.oo, sp.oo))

    def e(f: sp.Expr) -> sp.Expr:
        return Expectation(Expectation(f, y, py(y, x)), x, px(x))

    return e(sp.log(py(y, x) / m)), e(sp.log(py(y, x))) + sign * e(sp.log(m))


def test_an_integral_of_a_positive_function_of_bound_variables_is_a_positive_function() -> None:
    # log(p(y|x)/m(y)) = log p(y|x) − log m(y) needs m(y) > 0: an integral of a positive
    # function of (u, y) over u is a positive function of y, whatever else it is
    lhs, rhs = _marginal_step(-1)
    masks = tiers.positive_integral_functions(lhs, rhs)
    assert len(masks) == 1 and all(v.is_positive for v in masks.values())
    r = compare(lhs, rhs, time_limit=5.0)
    assert r.verdict is Verdict.PROVED, r.reason
    assert tiers.POSITIVE_INTEGRAL_FUNCTION in r.rules
    wrong = compare(*_marginal_step(1), time_limit=5.0)
    assert wrong.verdict is not Verdict.PROVED


def _two_unit_sigmoid_flow() -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    """S, a mixture of two sigmoids of x (weights w, 1 − w), and its derivative T: the deep
    sigmoidal flow of Huang et al. (2018), sec. 3.1, with two hidden units."""
    w = sp.Symbol("w", positive=True)
    u, v = sp.symbols("u v", positive=True)
    c, d = sp.symbols("c d", real=True)
    sig = [1 / (1 + sp.exp(-(s * x + t))) for s, t in ((u, c), (v, d))]
    S = w * sig[0] + (1 - w) * sig[1]
    T = w * u * sig[0] * (1 - sig[0]) + (1 - w) * v * sig[1] * (1 - sig[1])
    return S, T, w


def test_large_sides_are_probed_before_the_symbolic_tiers(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # d/dx log(S/(1 − S)) = T/S + T/(1 − S); written with the sign of the second term
    # flipped, the sides are large enough for the quick look to come first: the calculus
    # and algebra tiers, which would expand the fractions of exponentials, are never asked
    S, T, w = _two_unit_sigmoid_flow()
    lhs, wrong = sp.Derivative(sp.log(S / (1 - S)), x), T / S - T / (1 - S)
    assert sum(1 for _ in sp.preorder_traversal(lhs - wrong)) >= tiers.SCREEN_FIRST_NODES
    asked: list[str] = []
    for tier in (tiers.CALCULUS, tiers.ALGEBRA):
        monkeypatch.setattr(tier, "judge", lambda p, name=tier.name: asked.append(name))
    domains = {w: sp.Interval.open(0, 1)}
    r = compare(lhs, wrong, time_limit=5.0, domains=domains)
    assert (r.verdict, r.method, asked) == (Verdict.REFUTED, "probe", [])
    by_name = {str(s): s for s in lhs.free_symbols | wrong.free_symbols}
    point = {by_name[k]: sp.Rational(v) for k, v in r.counterexample.point.items()}
    assert 0 < point[w] < 1  # inside the declared interval
    gap = sp.N((T / S + T / (1 - S) - wrong).xreplace(point), 30)
    assert abs(gap - sp.Float(r.counterexample.difference)) < 1e-9 * abs(gap)
    # the right derivative still goes to the calculus tier, which proves it
    monkeypatch.undo()
    assert compare(lhs, T / S + T / (1 - S), time_limit=5.0, domains=domains).method == (
        "calculus")


def test_the_sign_of_a_gap_is_found_within_a_share_of_the_step(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # a sign rule that never finishes (factoring a huge gap) gives up within its share of the
    # step's time, leaving the rest to the tiers after, and says so in the reasons
    import time

    def forever(f: sp.Expr) -> tuple[str, str]:
        while True:
            sum(range(1000))

    monkeypatch.setattr(tiers, "nonnegative", forever)
    p = tiers.Problem.of(a**2 + b**2, 2 * a * b, ">=", time_limit=1.0)
    start = time.process_time()
    assert p.sign_of(p.gap) == ("", "")
    assert time.process_time() - start < 0.5  # SIGN_SHARE of 1 s, and no more
    assert any(r.startswith("the sign of the gap: timed out") for r in p.reasons)
    monkeypatch.undo()
    assert p.sign_of(p.gap)[0]  # (a − b)² ≥ 0, found in time


def test_large_rational_sides_are_left_to_the_symbolic_tiers() -> None:
    # as large, but a rational function of the symbols themselves (no exponential in a
    # denominator): the algebra tier refutes it with the exact gap, as before
    terms = [x**i / (1 + a * x**i) for i in range(1, 13)]
    lhs, rhs = sp.Add(*terms), sp.Add(*terms[:-1]) + 2 * terms[-1]
    assert sum(1 for side in (lhs, rhs) for _ in sp.preorder_traversal(side)) >= (
        tiers.SCREEN_FIRST_NODES)
    r = compare(lhs, rhs, time_limit=5.0)
    assert (r.verdict, r.method) == (Verdict.REFUTED, "algebra")
    assert r.counterexample.note.startswith("exact:")
