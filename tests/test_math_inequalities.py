"""Inequality steps decided by named rules: Gibbs (c·KL ≥ 0 for declared c ≥ 0), Jensen for
the concave or convex function the step applies, and bounds from a declared interval; each
written both ways (true → proved with the rule, wrong → refuted at a point that satisfies
the declarations)."""

from __future__ import annotations

import pytest
import sympy as sp

from elbo_derivation.core.expectation import KL, Expectation
from elbo_derivation.core.steps import Verdict
from elbo_derivation.decide.inequalities import GIBBS
from elbo_derivation.decide.verdict import compare, decide_step
from elbo_derivation.read.deriv import parse_derivation

x, z = sp.symbols("x z", real=True)
q = sp.Function("q(z|x)", positive=True)(z, x)
prior = sp.Function("p(z)", positive=True)(z)
joint = sp.Function("p(x,z)", positive=True)(x, z)
f = sp.Function("f", real=True)(z)


def test_beta_times_kl_is_nonnegative_for_a_declared_nonnegative_beta() -> None:
    text = ("symbols: x, z : real\nsymbols: beta : {decl}\ndensities: q(z|x), p(z)\n"
            "  beta*KL(q(z|x), p(z))\n>= 0\n")
    d = parse_derivation(text.format(decl="nonnegative"))
    r = decide_step(d, d.steps[0])
    assert r.verdict is Verdict.PROVED and GIBBS in r.rules
    d = parse_derivation(text.format(decl="real"))
    r = decide_step(d, d.steps[0])
    assert r.verdict is Verdict.REFUTED and r.counterexample.point["beta"] < 0


def test_the_elbo_is_below_the_evidence_by_jensen() -> None:
    w = joint / q
    r = compare(sp.log(Expectation(w, z, q)), Expectation(sp.log(w), z, q), ">=")
    assert r.verdict is Verdict.PROVED
    assert any(rule.startswith("Jensen's inequality for the concave log") for rule in r.rules)
    wrong = compare(sp.log(Expectation(w, z, q)), Expectation(sp.log(w), z, q), "<=")
    assert wrong.verdict is Verdict.REFUTED and wrong.counterexample is not None


@pytest.mark.parametrize(("phi", "convex"), [(lambda t: t**2, True), (sp.exp, True),
                                             (sp.sqrt, False)])
def test_jensen_for_the_function_the_step_names(phi, convex) -> None:
    g = sp.Function("g", positive=True)(z)
    inside, outside = Expectation(phi(g), z, q), phi(Expectation(g, z, q))
    right = (inside, outside, ">=") if convex else (outside, inside, ">=")
    r = compare(*right)
    assert r.verdict is Verdict.PROVED
    word = "convex" if convex else "concave"
    assert any(f"Jensen's inequality for the {word}" in rule for rule in r.rules)
    wrong = compare(right[1], right[0], ">=")
    assert wrong.verdict is not Verdict.PROVED


def test_evidence_bound_by_gibbs_and_the_model() -> None:
    evidence = sp.Function("p(x)", positive=True)(x)
    r = compare(sp.log(evidence), Expectation(sp.log(joint / q), z, q), ">=")
    assert r.verdict is Verdict.PROVED and GIBBS in r.rules
    r = compare(sp.log(evidence), Expectation(sp.log(joint / q), z, q), "<=")
    assert r.verdict is Verdict.REFUTED


def test_bounds_from_a_declared_interval() -> None:
    text = "symbols: 0 < y < 1\n  y*(1 - y)\n{rel} {rhs}\n"
    for rel, rhs, verdict in ((">=", "0", Verdict.PROVED), ("<=", "y", Verdict.PROVED),
                              ("<=", "y^2", Verdict.REFUTED)):
        d = parse_derivation(text.format(rel=rel, rhs=rhs))
        r = decide_step(d, d.steps[0])
        assert r.verdict is verdict, (rel, rhs, r)
        if verdict is Verdict.PROVED:
            assert r.rules
        else:
            assert 0 < r.counterexample.point["y"] < 1


def test_kl_of_a_written_kl_node_in_a_sum() -> None:
    beta = sp.Symbol("beta", nonnegative=True)
    r = compare(f**2 + beta * KL(q, prior, z), f**2, ">=")
    assert r.verdict is Verdict.PROVED and GIBBS in r.rules


BETA = """\
symbols: x, z : real
symbols: beta : {interval}
densities: q(z|x), p(z), p(x|z)
  E[log(p(x|z)), z ~ q(z|x)] - KL(q(z|x), p(z))
>= E[log(p(x|z)), z ~ q(z|x)] - beta*KL(q(z|x), p(z))
"""


def test_the_beta_vae_bound_needs_beta_at_least_one() -> None:
    d = parse_derivation(BETA.format(interval="[1, oo)"))
    r = decide_step(d, d.steps[0])
    assert r.verdict is Verdict.PROVED and GIBBS in r.rules
    assert any("declared interval beta" in rule for rule in r.rules)
    d = parse_derivation(BETA.format(interval="[0, oo)"))
    r = decide_step(d, d.steps[0])
    assert r.verdict is Verdict.REFUTED and 0 <= r.counterexample.point["beta"] < 1


JENSEN_ELBO = """\
symbols: x, z : real
densities: q(z|x), p(x,z), p(x)
  log(p(x))
= log(Integral(p(x,z), (z, -oo, oo)))
= log(Integral(q(z|x)*p(x,z)/q(z|x), (z, -oo, oo)))
= log(E[p(x,z)/q(z|x), z ~ q(z|x)])
>= E[log(p(x,z)/q(z|x)), z ~ q(z|x)]
= E[log(p(x,z)), z ~ q(z|x)] - E[log(q(z|x)), z ~ q(z|x)]
"""


def test_the_elbo_by_jensen_from_a_file_both_ways() -> None:
    d = parse_derivation(JENSEN_ELBO)
    results = [decide_step(d, s) for s in d.steps]
    assert all(r.verdict is Verdict.PROVED for r in results), results
    assert any(rule.startswith("Jensen") for rule in results[3].rules)
    wrong = JENSEN_ELBO.replace(">= E[log(p(x,z)/q(z|x))", ">= E[log(p(x,z)*q(z|x))")
    d = parse_derivation(wrong)
    verdicts = [decide_step(d, s).verdict for s in d.steps]
    assert verdicts[:3] == [Verdict.PROVED] * 3 and verdicts[3] is Verdict.REFUTED


# --- Jensen over a finite average of i.i.d. copies (IWAE), and its strict form ----------------

IWAE = ("symbols: x, z, z1, z2, z3 : real\ndensities: q(z|x), p(x, z)\n"
        "  E[E[E[log((p(x, z1)/q(z1|x) + p(x, z2)/q(z2|x) + p(x, z3)/q(z3|x))/3), "
        "z3 ~ q(z3|x)], z2 ~ q(z2|x)], z1 ~ q(z1|x)]\n")
IWAE_RHS = ("E[E[E[(log(p(x, z1)/q(z1|x)) + log(p(x, z2)/q(z2|x)) + log(p(x, z3)/q(z3|x)))/3, "
            "z3 ~ q(z3|x)], z2 ~ q(z2|x)], z1 ~ q(z1|x)]")


@pytest.mark.parametrize(("relation", "verdict"), [
    (">=", Verdict.PROVED), ("<=", Verdict.REFUTED), ("=", Verdict.REFUTED)])
def test_jensen_over_three_importance_weights(relation, verdict) -> None:
    from elbo_derivation.decide.inequalities import FINITE_JENSEN, MONOTONE

    d = parse_derivation(IWAE + f"{relation} {IWAE_RHS}\n")
    r = decide_step(d, d.steps[0], time_limit=10.0)  # (the machine may be loaded)
    assert r.verdict is verdict, r
    assert FINITE_JENSEN in r.rules and MONOTONE in r.rules
    if verdict is Verdict.REFUTED:
        assert r.method == "strict-jensen" and r.counterexample.difference > 0
        assert "strictly concave" in r.counterexample.note


def test_iid_copies_have_one_law() -> None:
    d = parse_derivation(IWAE + f"= {IWAE_RHS}\n= E[log(p(x, z)/q(z|x)), z ~ q(z|x)]\n")
    r = decide_step(d, d.steps[1], time_limit=5.0)
    assert r.verdict is Verdict.PROVED, r


def test_finite_jensen_with_unequal_weights_and_any_total() -> None:
    """log(a + 3b) ≥ ¼ log(4a) + ¾ log(4b): weights ¼, ¾ after taking out the total 4."""
    a, b = sp.symbols("a b", positive=True)
    w = sp.Function("w", positive=True)
    e1, e2 = Expectation(sp.log(w(z) + 3 * w(x)), z, q), Expectation(
        sp.log(4 * w(z)) / 4 + 3 * sp.log(4 * w(x)) / 4, z, q)
    assert compare(e1, e2, ">=").verdict is Verdict.PROVED
    # a convex function gives no such bound: (Σ μ v)² ≥ Σ μ v² is false, and not proved
    e3 = Expectation((w(z) / 2 + w(x) / 2) ** 2, z, q)
    e4 = Expectation(w(z) ** 2 / 2 + w(x) ** 2 / 2, z, q)
    assert compare(e3, e4, ">=").verdict is not Verdict.PROVED
    assert compare(a / 2 + b / 2, a / 2 + b / 2, ">=").verdict is Verdict.PROVED


def test_inverted_importance_weight_refuted_exactly_on_the_gaussian_instance() -> None:
    text = ("symbols: x, z : real\ndensities: q(z|x), p(x, z)\n"
            "  log(Integral(p(x, z), (z, -oo, oo)))\n= log(E[{w}, z ~ q(z|x)])\n")
    d = parse_derivation(text.format(w="q(z|x)/p(x, z)"))
    r = decide_step(d, d.steps[0], time_limit=10.0)  # (the machine may be loaded)
    # refuted on the linear-Gaussian instance: by the expectation rules' 50-digit evaluation
    # there, or (when they run out of time) exactly by the gaussian-instance tier
    assert r.verdict is Verdict.REFUTED, r
    assert r.method in ("expectation-rules", "gaussian-instance"), r
    assert "linear-Gaussian instance" in r.counterexample.note
    assert abs(r.counterexample.lhs - r.counterexample.rhs) > 1e-6
    d = parse_derivation(text.format(w="p(x, z)/q(z|x)"))
    assert decide_step(d, d.steps[0], time_limit=5.0).verdict is Verdict.PROVED


def test_gaussian_integrals_at_a_point_are_exact() -> None:
    from elbo_derivation.decide.gaussian import gaussian_integrals_at_point

    u = sp.Symbol("u", real=True)
    e = sp.Integral((u**3 + 1) * sp.exp(-(u - 1) ** 2 / 2) / sp.sqrt(2 * sp.pi),
                    (u, -sp.oo, sp.oo))
    assert sp.simplify(gaussian_integrals_at_point(e) - 5) == 0  # E[u³] + 1, u ~ N(1, 1)
    assert gaussian_integrals_at_point(sp.Integral(sp.exp(u**2), (u, -sp.oo, sp.oo))) is None


@pytest.mark.parametrize(("relation", "verdict"), [(">=", Verdict.PROVED), ("<=", Verdict.REFUTED)])
def test_a_kl_written_as_an_integral_against_q_is_nonnegative(relation, verdict) -> None:
    """log p(y) split as ∫ q log(p(y, θ)/q) dθ + ∫ q log(q/p(θ|y)) dθ is at least its first
    term (Ormerod & Wand 2010, sec. 2.1): the second integral, against the declared q(θ), is
    KL(q ‖ p(θ|y)) ≥ 0 (Gibbs), as it is when written as an expectation or a KL."""
    text = ("symbols: y, t : real\ndensities: q(t), p(y, t), p(t|y), p(y)\n"
            "    Integral(q(t)*log(p(y, t)/q(t)), (t, -oo, oo))"
            " + Integral(q(t)*log(q(t)/p(t|y)), (t, -oo, oo))\n"
            f"  {relation} Integral(q(t)*log(p(y, t)/q(t)), (t, -oo, oo))\n")
    d = parse_derivation(text)
    r = decide_step(d, d.steps[0])
    assert r.verdict is verdict, r
    if verdict is Verdict.PROVED:
        assert GIBBS in r.rules


@pytest.mark.parametrize(("interval", "proved"), [("[1, oo)", True), ("(0, 1)", False)])
def test_jensen_for_a_power_whose_exponent_is_declared_in_an_interval(interval, proved) -> None:
    """(1/n)·log E_q[w]ⁿ ≤ (1/n)·log E_q[wⁿ], the χ upper bound (Dieng et al. 2017): tⁿ is
    convex for t > 0 when n ≥ 1 (its declared interval), and 1/n > 0 shares n with both
    logs; for 0 < n < 1 tⁿ is concave and the step is not proved."""
    from elbo_derivation.decide.inequalities import CURVATURE_FROM_INTERVAL

    text = (f"symbols: x, z : real\nsymbols: n : {interval}\ndensities: q(z), p(x, z)\n"
            "    log(E[p(x, z)/q(z), z ~ q(z)]^n)/n\n"
            "  <= log(E[(p(x, z)/q(z))^n, z ~ q(z)])/n\n")
    d = parse_derivation(text)
    r = decide_step(d, d.steps[0])
    assert (r.verdict is Verdict.PROVED) is proved, r
    if proved:
        assert CURVATURE_FROM_INTERVAL in r.rules


def test_gibbs_posterior_normalised_by_a_let_integral() -> None:
    # Germain et al. (2016), Lemma 3: the KL to the Gibbs posterior p e^{-lam L}/Z
    text = ("symbols: t : real\nsymbols: lam : positive\ndensities: r(t), p(t)\n"
            "functions: L(t) : real\nlet: Z = Integral(p(t)*exp(-lam*L(t)), (t, -oo, oo))\n"
            "  E[log(r(t)/(p(t)*exp(-lam*L(t))/{norm})), t ~ r(t)] - log(Z)\n{rel} -log(Z)\n")
    d = parse_derivation(text.format(norm="Z", rel=">="))
    r = decide_step(d, d.steps[0])
    assert r.verdict is Verdict.PROVED and GIBBS in r.rules
    d = parse_derivation(text.format(norm="Z", rel="<="))
    assert decide_step(d, d.steps[0]).verdict is not Verdict.PROVED
    # without the normaliser, g = p e^{-lam L} need not integrate to 1: no Gibbs
    d = parse_derivation(text.format(norm="1", rel=">="))
    assert decide_step(d, d.steps[0]).verdict is not Verdict.PROVED


@pytest.mark.parametrize(("relation", "verdict"), [(">=", Verdict.PROVED),
                                                   ("<=", Verdict.REFUTED)])
def test_jensen_against_an_expectation_split_by_linearity(relation, verdict) -> None:
    # log E_r[a(u)b(u)/r(u)] ≥ E_r[log a(u) + log b(u)] − E_r[log r(u)]: the right side is
    # E_r[log(ab/r)] written as two expectations, as lecture notes print the ELBO
    text = ("symbols: u, v : real\ndensities: r(u), a(v|u), b(u)\n"
            "  log(E[a(v|u)*b(u)/r(u), u ~ r(u)])\n"
            f"{relation} E[log(a(v|u)) + log(b(u)), u ~ r(u)] - E[log(r(u)), u ~ r(u)]\n")
    d = parse_derivation(text)
    r = decide_step(d, d.steps[0])
    assert r.verdict is verdict
    if verdict is Verdict.PROVED:
        assert any(rule.startswith("Jensen's inequality for the concave log")
                   for rule in r.rules)


def test_a_split_expectation_that_is_not_the_log_of_the_average_is_not_jensen() -> None:
    # E_r[log a] − E_r[log r] is not E_r[log(a·b/r)]: no Jensen pair, the step is not proved
    # by the rule
    text = ("symbols: u, v : real\ndensities: r(u), a(v|u), b(u)\n"
            "  log(E[a(v|u)*b(u)/r(u), u ~ r(u)])\n"
            ">= E[log(a(v|u)), u ~ r(u)] - E[log(r(u)), u ~ r(u)]\n")
    d = parse_derivation(text)
    r = decide_step(d, d.steps[0])
    assert not any(rule.startswith("Jensen") for rule in r.rules)


@pytest.mark.parametrize(("relation", "proved"), [(">=", True), ("<=", False)])
def test_a_kl_between_joint_densities_of_two_variables_is_nonnegative(relation, proved) -> None:
    """KL(r(a, b) ‖ g(a, b|y)) ≥ 0 when the joint KL is read as the nested expectation over
    the marginal r(a) and the conditional r(b|a) of the declared r(a, b) (Attias 1999, the
    free energy bounds log p(Y) for hidden X and parameters θ); the bound is not proved
    reversed, nor when the log's numerator is not the joint the expectations run over."""
    head = ("symbols: a, b, y : real\ndensities: r(a, b), g(a, b|y), g(y), g(a, b, y)\n")
    text = head + f"    KL(r(a, b), g(a, b|y)) + log(g(y))\n  {relation} log(g(y))\n"
    d = parse_derivation(text)
    r = decide_step(d, d.steps[0])
    assert (r.verdict is Verdict.PROVED) is proved, r
    if proved:
        assert GIBBS in r.rules
    # E_{r(a, b)}[log(g(a, b|y)/r(a, b))] is minus that KL: not ≥ 0
    text = head + "    E[log(g(a, b|y)/r(a, b)), a ~ r(a, b)]\n  >= 0\n"
    d = parse_derivation(text)
    assert decide_step(d, d.steps[0]).verdict is not Verdict.PROVED
