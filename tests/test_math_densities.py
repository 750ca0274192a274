"""Densities in one model, under any letters: the product rule and Bayes' rule through the
joint density, marginalisation, integrals against a density read as expectations, importance
weights and conditioning on extra variables; each written both ways."""

from __future__ import annotations

import re

import pytest

from elbo_derivation.core.steps import Verdict
from elbo_derivation.decide import rules
from elbo_derivation.decide.verdict import decide_step
from elbo_derivation.read.deriv import parse_derivation

IMPORTANCE = """\
symbols: x, z : real
densities: q(z|x), p(x,z), p(x)
  p(x)
= Integral(p(x,z), (z, -oo, oo))
= E[p(x,z)/q(z|x), z ~ q(z|x)]
"""

BAYES_GIVEN = """\
symbols: x, y, z : real
densities: p(z|y,x), p(y|z,x), p(z|x), p(y|x)
  log(p(z|y,x))
= log(p(y|z,x)) + log(p(z|x)) - log(p(y|x))
"""

PRODUCT = """\
symbols: x, z : real
densities: p(x,z), p(x|z), p(z), p(z|x), p(x)
  log(p(x,z))
= log(p(x|z)) + log(p(z))
= log(p(z|x)) + log(p(x))
"""

CONDITIONAL_ELBO = """\
symbols: x, y, z : real
densities: q(z|x,y), p(x,z|y), p(x|z,y), p(z|y)
  E[log(p(x,z|y)/q(z|x,y)), z ~ q(z|x,y)]
= E[log(p(x|z,y)), z ~ q(z|x,y)] - KL(q(z|x,y), p(z|y))
"""

INTEGRAL_AS_EXPECTATION = """\
symbols: x, z : real
densities: q(z|x)
functions: f(z) : real
  Integral(q(z|x)*f(z)^2, (z, -oo, oo))
= E[f(z)^2, z ~ q(z|x)]
"""


def _verdicts(text: str) -> list:
    d = parse_derivation(text)
    return [decide_step(d, step, time_limit=5.0) for step in d.steps]


def _rename(text: str) -> str:
    """p → P, q → r, x → u, z → w, y → c: the rules must not care."""
    for old, new in ((r"\bp\(", "P("), (r"\bq\(", "r("), (r"\[q\b", "[r"), (r"\bx\b", "u"),
                     (r"\bz\b", "w"),
                     (r"\by\b", "c")):
        text = re.sub(old, new, text)
    return text


@pytest.mark.parametrize("text", [IMPORTANCE, BAYES_GIVEN, PRODUCT, CONDITIONAL_ELBO,
                                  INTEGRAL_AS_EXPECTATION])
@pytest.mark.parametrize("renamed", [False, True])
def test_true_steps_about_one_model_are_proved(text: str, renamed: bool) -> None:
    results = _verdicts(_rename(text) if renamed else text)
    assert all(r.verdict is Verdict.PROVED for r in results), results


def test_the_rules_are_named() -> None:
    first, second = _verdicts(IMPORTANCE)
    assert rules.MARGINALISATION in first.rules or rules.INTEGRAL_AS_EXPECTATION in first.rules
    assert rules.IMPORTANCE in second.rules  # ∫ p(x, z) dz stands on both sides
    (bayes,) = _verdicts(BAYES_GIVEN)
    assert rules.PRODUCT_RULE in bayes.rules


@pytest.mark.parametrize(("text", "old", "new"), [
    (IMPORTANCE, "= E[p(x,z)/q(z|x)", "= E[p(x,z)*q(z|x)"),
    (BAYES_GIVEN, "- log(p(y|x))", "+ log(p(y|x))"),
    (PRODUCT, "= log(p(z|x)) + log(p(x))", "= log(p(z|x)) + log(p(z))"),
    (CONDITIONAL_ELBO, "- KL(q(z|x,y)", "+ KL(q(z|x,y)"),
])
def test_wrong_steps_about_one_model_are_refuted_at_the_wrong_step(text, old, new) -> None:
    wrong = text.replace(old, new)
    assert wrong != text
    results = _verdicts(wrong)
    verdicts = [r.verdict for r in results]
    bad = next(i for i, line in enumerate(wrong.splitlines()[3:]) if new in line) if (
        text.count("\n=") > 1) else 0
    assert verdicts[bad] is Verdict.REFUTED, results
    assert all(v is Verdict.PROVED for v in verdicts[:bad])
    assert results[bad].counterexample is not None


def test_numeric_instances_follow_roles_not_letters() -> None:
    """The quadrature's linear-Gaussian instance finds q, the prior, the likelihood, the
    posterior and the evidence from structure, so the renamed notes are checked numerically
    like the originals (steps with the densities' own names in [...] aside)."""
    import numpy as np

    from elbo_derivation.notes import bundled_paths
    from elbo_derivation.pipeline import check_derivation, run_numeric

    (path,) = [p for p in bundled_paths() if p.stem == "elbo"]
    d = parse_derivation(_rename(path.read_text(encoding="utf-8")))
    check_derivation(d)
    run_numeric(d, np.random.default_rng(0))
    checked = [s.quadrature for s in d.steps if s.relation.value == "="]
    assert checked and all(c is not None and c.ok for c in checked), checked


def test_a_sum_against_a_discrete_density_is_an_expectation() -> None:
    import sympy as sp

    from elbo_derivation.core.expectation import Expectation
    from elbo_derivation.decide.verdict import compare

    k = sp.Symbol("k", integer=True, nonnegative=True)
    p = sp.Function("p(k)", positive=True)(k)
    f = sp.Function("f", real=True)(k)
    r = compare(sp.Sum(p * (f + 2), (k, 0, sp.oo)), Expectation(f, k, p) + 2)
    assert r.verdict is Verdict.PROVED and rules.SUM_AS_EXPECTATION in r.rules
    w = compare(sp.Sum(p * (f + 2), (k, 0, sp.oo)), Expectation(f, k, p) + 1)
    assert w.verdict is Verdict.REFUTED and w.counterexample.difference == 1.0
    # a sum over part of the range is no expectation
    part = compare(sp.Sum(p * f, (k, 1, sp.oo)), Expectation(f, k, p))
    assert part.verdict is not Verdict.PROVED


IID = """\
symbols: x, z, x_1, x_2 : real
densities: q(z|x), p(z)
  (KL(q(z|x_1), p(z)) + KL(q(z|x_2), p(z)))/2
= (E[log(q(z|x_1)/p(z)), z ~ q(z|x_1)] + E[log(q(z|x_2)) - log(p(z)), z ~ q(z|x_2)])/2
"""


def test_an_average_over_iid_copies_of_the_data() -> None:
    (right,) = _verdicts(IID)
    assert right.verdict is Verdict.PROVED
    (wrong,) = _verdicts(IID.replace("- log(p(z)), z ~ q(z|x_2)", "+ log(p(z)), z ~ q(z|x_2)"))
    assert wrong.verdict is Verdict.REFUTED and wrong.counterexample is not None


# --- instances for two joint models, double integrals and data points ---------------------------

KL_CHAIN = """\
symbols: x, y : real
densities: p(x,y), q(x,y), p(x), q(x), p(y|x), q(y|x)
  E[log(p(x,y)/q(x,y)), x ~ p(x,y)]
= E[log(p(x)*p(y|x)/(q(x)*q(y|x))), x ~ p(x,y)]
= E[log(p(x)/q(x)), x ~ p(x,y)] + E[log(p(y|x)/q(y|x)), x ~ p(x,y)]
"""

MUTUAL_INFORMATION = """\
symbols: x, y : real
densities: p(x,y), p(x), p(y), p(y|x)
  Integral(Integral(p(x,y)*log(p(x,y)/(p(x)*p(y))), (y, -oo, oo)), (x, -oo, oo))
= Integral(Integral(p(x,y)*log(p(x)*p(y|x)/(p(x)*p(y))), (y, -oo, oo)), (x, -oo, oo))
"""


@pytest.mark.parametrize("text", [KL_CHAIN, MUTUAL_INFORMATION])
def test_two_joint_models_and_double_integrals_right_steps_hold(text: str) -> None:
    assert all(r.verdict is Verdict.PROVED for r in _verdicts(text))


@pytest.mark.parametrize(("text", "old", "new"), [
    # the sign of the conditional term: 0 − 0 on one shared instance of p and q
    (KL_CHAIN, "] + E[log(p(y|x)", "] - E[log(p(y|x)"),
    # the marginal ratio flipped: p(x) = q(x) unless the two models' latents differ
    (KL_CHAIN, "= E[log(p(x)/q(x))", "= E[log(q(x)/p(x))"),
    # the product rule misapplied inside a double integral over the line
    (MUTUAL_INFORMATION, "log(p(x)*p(y|x)/", "log(p(y)*p(y|x)/"),
    # an average of KLs over two data points with one point written twice
    (IID, "log(q(z|x_2)) - log(p(z))", "log(q(z|x_1)) - log(p(z))"),
])
def test_wrong_steps_over_joints_are_refuted_exactly(text: str, old: str, new: str) -> None:
    wrong = text.replace(old, new)
    assert wrong != text
    results = _verdicts(wrong)
    bad = len(results) - 1
    assert all(r.verdict is Verdict.PROVED for r in results[:bad]), results
    last = results[bad]
    assert last.verdict is Verdict.REFUTED, last
    ce = last.counterexample
    assert ce is not None and ce.difference != 0
    assert ce.lhs == ce.lhs and ce.rhs == ce.rhs  # both sides finite numbers, not NaN
    assert "50 digits, confirmed at 70" in ce.note


def test_two_model_families_get_two_joints() -> None:
    import sympy as sp

    x, y = sp.symbols("x y", real=True)
    p = sp.Function("p(x)", positive=True)(x)
    q = sp.Function("q(x)", positive=True)(x)
    pj = sp.Function("p(x,y)", positive=True)(x, y)
    qj = sp.Function("q(x,y)", positive=True)(x, y)
    (inst,), params = rules.linear_gaussian_instance(sp.log(p / q) + sp.log(pj / qj))
    assert inst != 0 and set(params["p"]).isdisjoint(params["q"])


GUIDANCE = """symbols: x, c : real
symbols: w : nonnegative
densities: p(x|c), p(c|x), p(x), p(c)
diff(log(p(x|c)), x) + w*diff(log(p(c|x)), x)
= diff(log(p(x|c)), x) + w*diff(log(p(x|c)*p(c)/p(x)), x)
= (1 + w)*diff(log(p(x|c)), x) - w*diff(log(p(x)), x)
"""


@pytest.mark.parametrize("renamed", [False, True])
def test_bayes_rule_inside_a_derivative_of_log_densities(renamed: bool) -> None:
    # classifier-free guidance (Ho & Salimans 2022): the implicit classifier's score by
    # Bayes' rule, p(c) free of x; the inverted rule is refuted at its step
    text = _rename(GUIDANCE) if renamed else GUIDANCE
    assert [r.verdict for r in _verdicts(text)] == [Verdict.PROVED] * 2
    wrong = text.replace("*p(c)/p(x)", "*p(x)/p(c)").replace("*P(c)/P(u)", "*P(u)/P(c)")
    assert wrong != text
    assert _verdicts(wrong)[0].verdict is Verdict.REFUTED


AUXILIARY = """symbols: x, a, z : real
densities: q(z|x), q(a|x, z), p(a|x, z)
functions: f(z) : real
E[f(z), z ~ q(z|x)] - E[KL(q(a|x, z), p(a|x, z)), z ~ q(z|x)]
<= E[f(z), z ~ q(z|x)]
"""


def test_an_expected_kl_is_nonnegative() -> None:
    # the auxiliary-variable bound (Maaløe et al. 2016) lies below the marginal ELBO: the
    # expectation of a KL is >= 0; the reversed inequality is not proved
    (result,) = _verdicts(AUXILIARY)
    assert result.verdict is Verdict.PROVED, result
    assert any(rules.GIBBS in r for r in result.rules), result.rules
    (reversed_,) = _verdicts(AUXILIARY.replace("<=", ">="))
    assert reversed_.verdict is not Verdict.PROVED


# --- an expectation over a joint density of a function of some of its variables -----------

JOINT_MARGINAL = """\
symbols: x, y : real
densities: p(x,y), p(x), p(y), p(y|x), r(y)
  E[log(p(y)/r(y)) + log(p(x)), x ~ p(x,y)]
= E[log(p(y)/r(y)), y ~ p(y)] + E[log(p(x)), x ~ p(x)]
= KL(p(y), r(y)) - E[log(1/p(x)), x ~ p(x)]
"""

JOINT_ORDER = """\
symbols: x, y, s : real
densities: p(x|s), p(y|x,s), p(y|s), p(x|y,s)
  E[E[log(p(y|x,s)) + x*y, y ~ p(y|x,s)], x ~ p(x|s)]
= E[E[log(p(y|x,s)) + x*y, x ~ p(x|y,s)], y ~ p(y|s)]
"""


@pytest.mark.parametrize("text", [JOINT_MARGINAL, JOINT_ORDER])
@pytest.mark.parametrize("renamed", [False, True])
def test_an_expectation_over_a_joint_of_some_variables_is_over_their_marginal(
        text: str, renamed: bool) -> None:
    results = _verdicts(_rename(text) if renamed else text)
    assert all(r.verdict is Verdict.PROVED for r in results), results
    assert (rules.JOINT_MARGINAL if text is JOINT_MARGINAL else rules.JOINT_ORDER) in (
        results[0].rules)


@pytest.mark.parametrize(("text", "old", "new"), [
    # the marginal of the other variable: E_{p(x, y)}[f(y)] is not E_{p(x)}[f(y)]
    (JOINT_MARGINAL, "= E[log(p(y)/r(y)), y ~ p(y)]", "= E[log(p(y)/r(y)), x ~ p(x)]"),
    # another family's marginal: r is no conditional of the joint p(x, y)
    (JOINT_MARGINAL, "= E[log(p(y)/r(y)), y ~ p(y)]", "= E[log(p(y)/r(y)), y ~ r(y)]"),
    # the order exchanged, x then drawn from its marginal: p(x|y, s) is not p(x|s)
    (JOINT_ORDER, "x ~ p(x|y,s)], y ~ p(y|s)", "x ~ p(x|s)], y ~ p(y|s)"),
])
def test_a_wrong_marginal_of_a_joint_is_not_proved(text: str, old: str, new: str) -> None:
    wrong = text.replace(old, new)
    assert wrong != text
    first = _verdicts(wrong)[0]
    assert first.verdict is Verdict.REFUTED, first
    ce = first.counterexample
    assert ce is not None and ce.lhs == ce.lhs and ce.rhs == ce.rhs and ce.difference != 0


# --- a density factorised over dimensions: Σ_i log p(x_i|z) --------------------------------

FACTORISED = """\
symbols: z : real
symbols: i : integer
symbols: D : positive integer
functions: x(i) : real
densities: q(z), p(z), p(x(i)|z)
  E[log(p(z)*Product(p(x(i)|z), (i, 1, D))/q(z)), z ~ q(z)]
= E[log(p(z)/q(z)) + Sum(log(p(x(i)|z)), (i, 1, D)), z ~ q(z)]
= Sum(E[log(p(x(i)|z)), z ~ q(z)], (i, 1, D)) - KL(q(z), p(z))
"""


def _other_letters(text: str) -> str:
    """p → P, q → r, x → u, z → w, i → k, D → K: the reading and the rules must not care."""
    for old, new in ((r"\bp\(", "P("), (r"\bq\(", "r("), (r"\bx\(", "u("), (r"\bz\b", "w"),
                     (r"\bi\b", "k"), (r"\bD\b", "K")):
        text = re.sub(old, new, text)
    return text


@pytest.mark.parametrize("renamed", [False, True])
def test_a_decoder_factorised_over_dimensions_is_read_and_proved(renamed: bool) -> None:
    results = _verdicts(_other_letters(FACTORISED) if renamed else FACTORISED)
    assert [r.verdict for r in results] == [Verdict.PROVED, Verdict.PROVED], results
    assert rules.SUM_OF_EXPECTATIONS in results[1].rules


@pytest.mark.parametrize(("old", "new", "bad"), [
    # the log of the product taken as the product of the logs
    ("+ Sum(log(p(x(i)|z)), (i, 1, D))", "+ Product(log(p(x(i)|z)), (i, 1, D))", 0),
    ("- KL(q(z), p(z))", "+ KL(q(z), p(z))", 1),
    # one dimension too few
    ("], (i, 1, D)) - KL", "], (i, 2, D)) - KL", 1),
])
@pytest.mark.parametrize("renamed", [False, True])
def test_a_wrong_step_over_dimensions_is_refuted_at_a_few_dimensions(
        old: str, new: str, bad: int, renamed: bool) -> None:
    wrong = FACTORISED.replace(old, new)
    assert wrong != FACTORISED
    results = _verdicts(_other_letters(wrong) if renamed else wrong)
    assert all(r.verdict is Verdict.PROVED for r in results[:bad]), results
    assert results[bad].verdict is Verdict.REFUTED, results[bad]
    ce = results[bad].counterexample
    assert ce is not None and ce.lhs == ce.lhs and ce.rhs == ce.rhs and ce.difference != 0
    assert ("K" if renamed else "D") in ce.point and "50 digits" in ce.note


def test_expectations_over_independent_conditionals_in_either_order() -> None:
    # Tishby, Pereira & Bialek (1999): Y − X − T declared by its factors; p(y|x, t) = p(y|x)
    text = ("symbols: x, y, t : real\ndensities: p(x), p(y|x), p(t|x)\n"
            "  E[KL(p(y|x), p(y|t)), x ~ p(x, t)]\n= E[log({ratio}), x ~ p(x, y, t)]\n")
    d = parse_derivation(text.format(ratio="p(y|x)/p(y|t)"))
    r = decide_step(d, d.steps[0], time_limit=30)
    assert r.verdict is Verdict.PROVED and rules.INDEPENDENT_ORDER in r.rules
    d = parse_derivation(text.format(ratio="p(y|t)/p(y|x)"))
    assert decide_step(d, d.steps[0], time_limit=30).verdict is not Verdict.PROVED


# --- nested expectations under a model declared by its factors: a variable integrated out --
# The information bottleneck's encoder p(t|x) beside p(y|x) (Tishby, Pereira & Bialek 1999,
# sec. 3): E_{p(x)}[E_{p(y|x)}[E_{p(t|x)}[f(y, t)]]] = E_{p(y)}[E_{p(t|y)}[f(y, t)]], the
# marginals read through the declared factors. Written here in other letters.

NESTED_FACTORS = """\
symbols: a, b, c : real
densities: g(a), g(b|a), g(c|a)
  E[E[E[log(g(b|a)) + log(1 + (b - c)**2), c ~ g(c|a)], b ~ g(b|a)], a ~ g(a)]
= E[E[log(g(b|a)), b ~ g(b|a)], a ~ g(a)] + E[E[log(1 + (b - c)**2), c ~ g(c|b)], b ~ g(b)]
"""

NESTED_SUMS = """\
symbols: j, k, m : nonnegative integer
densities: g(k), g(j|k), g(m|j,k), g(j), g(m|j)
  Sum(Sum(Sum(g(k)*g(j|k)*g(m|j,k)*j*m, (m, 0, oo)), (j, 0, oo)), (k, 0, oo))
= Sum(Sum(g(j)*g(m|j)*j*m, (m, 0, oo)), (j, 0, oo))
"""


@pytest.mark.parametrize("renamed", [False, True])
def test_a_variable_nested_expectations_are_free_of_is_integrated_out(renamed: bool) -> None:
    (result,) = _verdicts(_rename(NESTED_FACTORS) if renamed else NESTED_FACTORS)
    assert result.verdict is Verdict.PROVED, result
    assert rules.NESTED_MARGINAL in result.rules, result.rules


def test_nested_sums_over_one_joint_drop_a_variable_they_are_free_of() -> None:
    (result,) = _verdicts(NESTED_SUMS)
    assert result.verdict is Verdict.PROVED, result
    assert rules.SUM_AS_EXPECTATION in result.rules, result.rules
    assert {rules.JOINT_MARGINAL, rules.NESTED_MARGINAL} & set(result.rules), result.rules


@pytest.mark.parametrize(("old", "new"), [
    # the marginals of b and c taken as independent: g(b)·g(c) is not their joint
    ("c ~ g(c|b)], b ~ g(b)]", "c ~ g(c)], b ~ g(b)]"),
    # the conditional of c given a, not given b: a is integrated out, not kept
    ("c ~ g(c|b)], b ~ g(b)]", "c ~ g(c|a)], b ~ g(b)]"),
])
def test_a_marginal_that_is_not_the_models_is_not_proved(old: str, new: str) -> None:
    wrong = NESTED_FACTORS.replace(old, new)
    assert wrong != NESTED_FACTORS
    (result,) = _verdicts(wrong)
    assert result.verdict is not Verdict.PROVED, result


def test_a_sum_over_a_marginal_that_is_not_the_joints_is_not_proved() -> None:
    # the marginal of k where the sums keep j
    wrong = NESTED_SUMS.replace("g(j)*g(m|j)", "g(k)*g(m|j)")
    assert wrong != NESTED_SUMS
    (result,) = _verdicts(wrong)
    assert result.verdict is not Verdict.PROVED, result
