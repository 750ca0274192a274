"""Numeric instances for models of three or more variables (linear-Gaussian networks of the
declared factors), and the digamma recurrence decided by rule.

Each instance is checked for what makes a refutation on it honest: the joint is the product of
the declared factors, every other declared density is its exact marginal or conditional, and a
declaration that could mean two joints is refused rather than guessed."""

from __future__ import annotations

import mpmath
import pytest
import sympy as sp

from elbo_derivation.core.expectation import Expectation
from elbo_derivation.core.steps import Relation, Verdict
from elbo_derivation.decide.networks import AmbiguousFactorisation, Network, parse_shape
from elbo_derivation.decide.rules import no_instance_reason, refute_on_gaussian_instance
from elbo_derivation.decide.tiers import polygamma_shifts
from elbo_derivation.decide.verdict import decide_step
from elbo_derivation.read.deriv import parse_derivation
from elbo_derivation.read.tex import parse_tex_derivation


def _fresh(name: str, **kw: bool) -> sp.Symbol:
    return sp.Symbol(name, **kw)


def _verdicts(text: str, tex: bool = False) -> list:
    # a generous limit: these ask whether an instance exists, not how fast it runs under load
    d = parse_tex_derivation(text) if tex else parse_derivation(text)
    return [decide_step(d, step, time_limit=20.0) for step in d.steps]


def _at(net: Network, expr: sp.Expr, point: dict[str, float], seed: int = 0) -> sp.Expr:
    """``expr`` with the network's parameters at seeded values and its variables at ``point``."""
    rng = sp.Rational
    values: dict[sp.Basic, sp.Expr] = {}
    for k, p in enumerate(net.parameters):
        values[p] = rng(k % 3 + 1, 2) if p.is_positive else rng((-1) ** k * (k % 4 + 1), 3)
    values.update({net.placeholder(v): sp.nsimplify(x) for v, x in point.items()})
    return expr.xreplace(values)


# --- the network ---------------------------------------------------------------------------

M2 = [(("x",), ("y", "z")), (("y",), ()), (("z",), ())]


def test_the_declared_factors_are_the_network_and_roots_stay_independent() -> None:
    net = Network.from_shapes(M2, _fresh)
    assert {f.variable: f.parents for f in net.factors} == {"y": (), "z": (), "x": ("y", "z")}
    # p(y, z) = p(y) p(z): the declared marginals are independent roots, as the product says
    gap = (net.log_density(("y", "z"), ()) - net.log_density(("y",), ())
           - net.log_density(("z",), ()))
    assert sp.simplify(gap) == 0


def test_a_derived_conditional_is_bayes_rule_on_the_joint() -> None:
    # p(z|x, y) is no factor: it must equal p(x|y, z) p(z) / p(x|y) exactly
    net = Network.from_shapes([*M2, (("z",), ("x", "y")), (("x",), ("y",))], _fresh)
    point = {"x": 0.7, "y": -0.4, "z": 1.3}
    lhs = net.log_density(("z",), ("x", "y"))
    rhs = (net.log_density(("x",), ("y", "z")) + net.log_density(("z",), ())
           - net.log_density(("x",), ("y",)))
    assert abs(float(_at(net, lhs - rhs, point))) < 1e-12


def test_a_derived_marginal_integrates_the_joint() -> None:
    # p(x|y) = ∫ p(x|y, z) p(z) dz, by quadrature
    net = Network.from_shapes([*M2, (("x",), ("y",))], _fresh)
    z = net.placeholder("z")
    joint = _at(net, net.log_density(("x",), ("y", "z")) + net.log_density(("z",), ()),
                {"x": 0.3, "y": -1.1})
    f = sp.lambdify(z, sp.exp(joint), "mpmath")
    with mpmath.workdps(30):
        value = mpmath.quad(f, [-mpmath.inf, mpmath.inf])
    marginal = _at(net, net.log_density(("x",), ("y",)), {"x": 0.3, "y": -1.1})
    assert abs(mpmath.log(value) - sp.N(marginal, 30)) < 1e-12


def test_a_conditional_of_two_variables_given_their_child_is_the_gaussian_conditional() -> None:
    # a collider a → n ← b: p(a, b|n) through the joint of the ancestral set {a, b, n} less the
    # marginal of n, against the Gaussian conditioning formulas evaluated in numbers
    import numpy as np

    net = Network.from_shapes([(("n",), ("a", "b")), (("a",), ()), (("b",), ())], _fresh)
    point = {"a": 0.4, "b": -0.9, "n": 1.2}
    got = float(_at(net, net.log_density(("a", "b"), ("n",)), point))
    mean = np.array([float(_at(net, net.mean(v), {})) for v in "abn"])
    cov = np.array([[float(_at(net, net.cov(u, v), {})) for v in "abn"] for u in "abn"])
    gain = cov[:2, 2:] / cov[2, 2]
    m = mean[:2] + (gain * (point["n"] - mean[2])).ravel()
    s = cov[:2, :2] - gain @ cov[2:, :2]
    d = np.array([point["a"], point["b"]]) - m
    want = -d @ np.linalg.solve(s, d) / 2 - np.log((2 * np.pi) ** 2 * np.linalg.det(s)) / 2
    assert abs(got - want) < 1e-10
    # and p(a, b) of the two roots is the product of their factors
    gap = net.log_density(("a", "b"), ()) - net.log_density(("a",), ()) - net.log_density(
        ("b",), ())
    assert sp.simplify(gap) == 0


def test_a_markov_chain_takes_its_forward_factors() -> None:
    # q(x1|x0), q(x2|x1) and the posterior q(x1|x2, x0): the chain, the posterior derived
    net = Network.from_shapes([(("x1",), ("x0",)), (("x2",), ("x1",)),
                               (("x1",), ("x2", "x0"))], _fresh)
    assert {f.variable: f.parents for f in net.factors} == {
        "x0": (), "x1": ("x0",), "x2": ("x1",)}
    # Luo (2022) eq. (71): q(x1|x2, x0) = q(x2|x1) q(x1|x0) / q(x2|x0), by the Markov property
    gap = (net.log_density(("x1",), ("x2", "x0")) - net.log_density(("x2",), ("x1",))
           - net.log_density(("x1",), ("x0",)) + net.log_density(("x2",), ("x0",)))
    assert abs(float(_at(net, gap, {"x0": 0.5, "x1": -0.2, "x2": 1.1}))) < 1e-12


def test_two_readings_of_the_declarations_are_refused() -> None:
    # x2 given x1 (a chain) or given x0 (a fork): two different joints, never guessed
    with pytest.raises(AmbiguousFactorisation, match="two different models"):
        Network.from_shapes([(("x1",), ("x0",)), (("x2",), ("x1",)), (("x2",), ("x0",))],
                            _fresh)


def test_a_pair_of_conditionals_is_one_model_either_way() -> None:
    # x given z or z given x: Markov equivalent, so no ambiguity; one is a root
    net = Network.from_shapes([(("x",), ("z",)), (("z",), ("x",))], _fresh)
    assert sorted(len(f.parents) for f in net.factors) == [0, 1]


def test_a_declared_name_with_an_expression_subscript_is_one_variable() -> None:
    assert parse_shape("q(x_{t-1}|x_t,x_0)") == ("q", ("x_{t-1}",), ("x_t", "x_0"))
    assert parse_shape("p(x_{t,1}|z)") == ("p", ("x_{t,1}",), ("z",))
    assert parse_shape("q(z|z)") is None


# --- steps decided on the instance ---------------------------------------------------------

M2_STEP = """\
symbols: x, y, z : real
densities: q(z|x, y), p(x|y, z), p(y), p(z)
    E[log(p(x|y, z)*p(y)*p(z)/q(z|x, y)), z ~ q(z|x, y)]
  = E[log(p(x|y, z)), z ~ q(z|x, y)] + log(p(y)) {rest}
"""


@pytest.mark.parametrize(("rest", "expected"), [
    ("- KL(q(z|x, y), p(z))", Verdict.PROVED),
    ("- KL(p(z), q(z|x, y))", Verdict.REFUTED),   # the KL's direction swapped
    ("+ KL(q(z|x, y), p(z))", Verdict.REFUTED),
])
def test_the_m2_bound_is_decided_both_ways(rest: str, expected: Verdict) -> None:
    (result,) = _verdicts(M2_STEP.format(rest=rest))
    assert result.verdict is expected, result.reason
    if expected is Verdict.REFUTED:
        ce = result.counterexample
        assert ce is not None and "network" in ce.note
        # the point satisfies the declarations: every variance positive
        assert all(v > 0 for k, v in ce.point.items() if "_c" in k)
        assert ce.difference != 0


CHAIN = """\
symbols: x, y, z : real
densities: q(y|x), q(z|y), p(x|y), p(y|z), p(z)
    E[E[log(p(x|y)*p(y|z)*p(z)/(q(y|x)*q(z|y))), z ~ q(z|y)], y ~ q(y|x)]
  = E[log(p(x|y)), y ~ q(y|x)] + {rest}
"""


@pytest.mark.parametrize(("rest", "expected"), [
    ("E[E[log(p(y|z)*p(z)/(q(y|x)*q(z|y))), z ~ q(z|y)], y ~ q(y|x)]", Verdict.PROVED),
    ("E[E[log(p(y|z)*p(z)/q(z|y)), z ~ q(z|y)], y ~ q(y|x)]", Verdict.REFUTED),
])
def test_a_hierarchical_chain_is_decided_both_ways(rest: str, expected: Verdict) -> None:
    (result,) = _verdicts(CHAIN.format(rest=rest))
    assert result.verdict is expected, result.reason


def test_the_instance_refutes_at_fifty_digits_and_is_reported() -> None:
    d = parse_derivation(CHAIN.format(
        rest="E[E[log(p(y|z)*p(z)/q(z|y)), z ~ q(z|y)], y ~ q(y|x)]"))
    ce = refute_on_gaussian_instance(d.start, d.steps[0].expr, Relation.EQ)
    assert ce is not None
    assert "50 digits, confirmed at 70" in ce.note
    assert "q(z|y) = N(" in ce.note and "p(x|y) = N(" in ce.note


def test_an_ambiguous_model_has_no_instance_and_says_why() -> None:
    x0, x1, x2 = sp.symbols("x0 x1 x2", real=True)
    dens = [sp.Function(n, positive=True)(*a) for n, a in (
        ("q(x1|x0)", (x1, x0)), ("q(x2|x1)", (x2, x1)), ("q(x2|x0)", (x2, x0)))]
    prior = sp.Function("q(x0)", positive=True)(x0)
    inner = Expectation(sp.log(dens[2]), x2, dens[1])
    reason = no_instance_reason(Expectation(inner, x1, dens[0]), sp.log(prior))
    assert reason is not None and "two different models" in reason


def test_renamed_letters_get_the_same_verdicts() -> None:
    # roles from structure: the M2 step under other letters
    renamed = """\
symbols: u, v, w : real
densities: r(w|u, v), P(u|v, w), P(v), P(w)
    E[log(P(u|v, w)*P(v)*P(w)/r(w|u, v)), w ~ r(w|u, v)]
  = E[log(P(u|v, w)), w ~ r(w|u, v)] + log(P(v)) - KL(P(w), r(w|u, v))
"""
    assert [r.verdict for r in _verdicts(renamed)] == [Verdict.REFUTED]


# --- the digamma recurrence ---------------------------------------------------------------

@pytest.mark.parametrize(("rhs", "expected"), [
    ("digamma(a) + 1/a", Verdict.PROVED),
    ("digamma(a) + 1/(a + 1)", Verdict.REFUTED),
    ("digamma(a) - 1/a", Verdict.REFUTED),
])
def test_the_digamma_recurrence_is_proved_by_rule(rhs: str, expected: Verdict) -> None:
    (result,) = _verdicts(f"symbols: a : positive\n    digamma(a + 1)\n  = {rhs}\n")
    assert result.verdict is expected, result.reason
    if expected is Verdict.PROVED:
        assert "ψ(s + 1) = ψ(s) + 1/s" in result.rules


def test_the_digamma_recurrence_in_latex_over_two_steps() -> None:
    text = ("% symbols: a : positive\n\\begin{align*}\n\\psi(a+2) - \\psi(a) "
            "&= \\frac{1}{a} + \\frac{1}{a+1}\n\\end{align*}\n")
    assert [r.verdict for r in _verdicts(text, tex=True)] == [Verdict.PROVED]


def test_polygamma_shifts_use_the_lowest_argument() -> None:
    s = sp.Symbol("s", positive=True)
    assert sp.simplify(polygamma_shifts(sp.polygamma(1, s + 2) - sp.polygamma(1, s))
                       + 1 / s**2 + 1 / (s + 1) ** 2) == 0
    # a shift by a non-integer is no recurrence
    assert polygamma_shifts(sp.digamma(s + sp.Rational(1, 2)) - sp.digamma(s)) == (
        sp.digamma(s + sp.Rational(1, 2)) - sp.digamma(s))


# --- expression subscripts ----------------------------------------------------------------

HALF_STEP = r"""% symbols: x_{t/2}, x_t : real
% densities: p(x_{t/2}|x_t)
\begin{align*}
\mathbb{E}_{p(x_{t/2}|x_t)}\left[\log p(x_{t/2}|x_t)\right]
  &= RHS
\end{align*}
"""


@pytest.mark.parametrize(("rhs", "expected"), [
    (r"-\mathbb{E}_{p(x_{t/2}|x_t)}\left[\log\frac{1}{p(x_{t/2}|x_t)}\right]", Verdict.PROVED),
    (r"\mathbb{E}_{p(x_{t/2}|x_t)}\left[\log\frac{1}{p(x_{t/2}|x_t)}\right]", Verdict.REFUTED),
])
def test_a_quotient_subscript_names_one_variable(rhs: str, expected: Verdict) -> None:
    (result,) = _verdicts(HALF_STEP.replace("RHS", rhs), tex=True)
    assert result.verdict is expected, result.reason


RECURSION = r"""% symbols: 0 < \alpha_t < 1
% symbols: 0 < \bar{\alpha}_{t-1} < 1
% let: \bar{\alpha}_t = \alpha_t \bar{\alpha}_{t-1}
\begin{align*}
\frac{1 - \bar{\alpha}_t}{1 - \bar{\alpha}_{t-1}} &= RHS
\end{align*}
"""


@pytest.mark.parametrize(("rhs", "expected"), [
    (r"\frac{1 - \alpha_t\bar{\alpha}_{t-1}}{1 - \bar{\alpha}_{t-1}}", Verdict.PROVED),
    (r"\frac{1 - \alpha_t\bar{\alpha}_{t-1}}{1 - \alpha_t}", Verdict.REFUTED),
])
def test_the_cumulative_product_recursion_is_a_definition_used_in_deciding(
        rhs: str, expected: Verdict) -> None:
    # Ho et al. (2020): ᾱ_t = α_t ᾱ_{t−1}, declared by 'let:' over the expression subscript
    (result,) = _verdicts(RECURSION.replace("RHS", rhs), tex=True)
    assert result.verdict is expected, result.reason
    if expected is Verdict.REFUTED:
        point = result.counterexample.point
        assert all(0 < v < 1 for v in point.values())  # inside the declared intervals


def test_the_moments_fast_path_agrees_with_the_gaussian_integrals() -> None:
    from elbo_derivation.decide.gaussian import gaussian_integrals_at_point
    from elbo_derivation.decide.networks import moments_at_point
    from elbo_derivation.decide.rules import linear_gaussian_instance

    d = parse_derivation(CHAIN.format(
        rest="E[E[log(p(y|z)*p(z)/q(z|y)), z ~ q(z|y)], y ~ q(y|x)]"))
    (left, _), _ = linear_gaussian_instance(d.start, d.steps[0].expr)
    point = {s: (sp.Rational(3, 2) if s.is_positive else sp.Rational(-1, 3))
             for s in left.free_symbols}
    here = left.xreplace(point)
    fast, general = moments_at_point(here), gaussian_integrals_at_point(here)
    assert fast is not None and general is not None
    assert abs(sp.N(fast - general, 50)) < sp.Float("1e-45")
    # a density that is not normalised is not taken by moments
    z = sp.Symbol("z", real=True)
    twice = 2 * sp.exp(-z**2 / 2) / sp.sqrt(2 * sp.pi)
    assert moments_at_point(Expectation(z**2, z, twice)) is None
    # nor a variable declared on part of the line: no Gaussian density is its density
    t = sp.Symbol("t", positive=True)
    normal = sp.exp(-t**2 / 2) / sp.sqrt(2 * sp.pi)
    assert moments_at_point(Expectation(t**2, t, normal)) is None
    # nor an integral left unevaluated: the general Gaussian integrals take it
    w = sp.Symbol("w", real=True)
    assert moments_at_point(sp.Integral(sp.exp(-w**2), (w, -sp.oo, sp.oo))) is None


def test_a_sparser_reading_that_is_no_special_case_of_another_is_refused() -> None:
    # q(x1) and q(x2|x0) beside the chain q(x1|x0), q(x2|x1): x1 a root and x2 given x0 is
    # no special case of the chain (x2 would depend on x0 past x1), so no reading is chosen
    with pytest.raises(AmbiguousFactorisation):
        Network.from_shapes([(("x1",), ("x0",)), (("x2",), ("x1",)), (("x1",), ()),
                             (("x2",), ("x0",))], _fresh)
    # q(x2) beside the chain: x2 a root would make the declared q(x2|x1) equal to q(x2), so
    # x2 keeps its declared parent and q(x2) is the chain's marginal
    net = Network.from_shapes([(("x1",), ("x0",)), (("x2",), ("x1",)), (("x2",), ())], _fresh)
    assert {f.variable: f.parents for f in net.factors}["x2"] == ("x1",)


def test_a_declared_conditional_beside_its_marginal_depends_on_what_it_is_conditioned_on() -> None:
    # q(z|s), q(s) and q(z) (Yin & Zhou's semi-implicit family): z a root would make q(z|s)
    # the same density as q(z); the reading keeps z given s, and q(z) is the mixture
    net = Network.from_shapes([(("z",), ("s",)), (("s",), ()), (("z",), ())], _fresh)
    assert {f.variable: f.parents for f in net.factors} == {"s": (), "z": ("s",)}
    gap = net.log_density(("z",), ("s",)) - net.log_density(("z",), ())
    assert abs(float(_at(net, gap, {"z": 0.3, "s": 1.7}))) > 1e-3
    # and the marginal is the mixture: ∫ q(z|s) q(s) ds = q(z), by quadrature
    s = net.placeholder("s")
    joint = _at(net, net.log_density(("z",), ("s",)) + net.log_density(("s",), ()), {"z": 0.3})
    f = sp.lambdify(s, sp.exp(joint), "mpmath")
    with mpmath.workdps(30):
        value = mpmath.quad(f, [-mpmath.inf, mpmath.inf])
    assert abs(mpmath.log(value) - sp.N(_at(net, net.log_density(("z",), ()), {"z": 0.3}),
                                         30)) < 1e-12


def test_a_collider_is_contained_in_the_complete_reading_of_the_same_declarations() -> None:
    # x given y, z with y, z roots, beside z given x, y: the second reading (a complete DAG)
    # holds every joint, the collider among them, so the collider is no ambiguity
    net = Network.from_shapes([*M2, (("z",), ("x", "y")), (("x",), ("y",))], _fresh)
    assert {f.variable: f.parents for f in net.factors} == {"y": (), "z": (), "x": ("y", "z")}


SIVI = r"""% symbols: x, z, \psi : real
% densities: q(z|\psi), q(\psi), q(z), p(x, z)
\begin{align*}
\mathbb{E}_{\psi \sim q(\psi)}\mathbb{E}_{z \sim q(z|\psi)}\left[\log\frac{p(x, z)}{q(z)}\right]
  - \mathbb{E}_{\psi \sim q(\psi)}\mathbb{E}_{z \sim q(z|\psi)}
    \left[\log\frac{q(z|\psi)}{q(z)}\right]
  &= \mathbb{E}_{z \sim q(z)}\left[\log\frac{p(x, z)}{q(z)}\right]
     - \mathbb{E}_{\psi \sim q(\psi)}\left[\mathrm{KL}\left(@KL@\right)\right]
\end{align*}
"""


def test_a_kl_to_the_mixture_taken_the_wrong_way_is_refuted_on_the_network() -> None:
    # Yin & Zhou (2018), sec. 2: the gap of the semi-implicit bound is E_ψ KL(q(z|ψ) ‖ q(z)),
    # proved; the KL the other way differs once z depends on ψ, as q(z|ψ) says it does
    right = SIVI.replace("@KL@", r"q(z|\psi) \,\|\, q(z)")
    wrong = SIVI.replace("@KL@", r"q(z) \,\|\, q(z|\psi)")
    assert [r.verdict for r in _verdicts(right, tex=True)] == [Verdict.PROVED]
    (out,) = _verdicts(wrong, tex=True)
    assert out.verdict is Verdict.REFUTED and out.counterexample is not None
    assert "50 digits" in out.counterexample.note
