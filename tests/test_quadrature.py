"""The quadrature check: every step's sides at many points, integrals by quad_vec."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from elbo_derivation.core.expectation import Expectation
from elbo_derivation.core.steps import Derivation, Relation, Step
from elbo_derivation.numeric.evaluate import evaluate, prepare
from elbo_derivation.numeric.quadrature import TOLERANCE, check_quadrature

NOTES = Path(__file__).resolve().parents[1] / "elbo_derivation" / "notes"

x, mu1, mu2 = sp.symbols("x mu1 mu2", real=True)
s1, s2 = sp.symbols("sigma1 sigma2", positive=True)
P1, P2 = sp.Symbol("p1"), sp.Symbol("p2")
Z1, Z2 = sp.sqrt(2 * sp.pi * s1**2), sp.sqrt(2 * sp.pi * s2**2)
HALF = sp.Rational(1, 2)


def integral(f: sp.Expr) -> sp.Integral:
    return sp.Integral(f, (x, -sp.oo, sp.oo))


KL3_STEPS = [
    integral(P1 * sp.log(P1)) - integral(P1 * sp.log(P2)),
    -sp.log(Z1) - s1**-2 / 2 * integral(P1 * (x**2 - 2 * x * mu1 + mu1**2))
    - integral(P1 * sp.log(P2)),
    -HALF * (sp.log(2 * sp.pi * s1**2) + 1) + sp.log(Z2)
    + 1 / (2 * s2**2) * integral(P1 * (x**2 - 2 * x * mu2 + mu2**2)),
    sp.log(s2 / s1) + (s1**2 + (mu1 - mu2) ** 2) / (2 * s2**2) - HALF,
]


def kl3(steps: list[sp.Expr] | None = None) -> Derivation:
    """§3 of the notes, by hand, with p1, p2 as let definitions."""
    defs = {"p1": sp.exp(-(x - mu1) ** 2 / (2 * s1**2)) / Z1,
            "p2": sp.exp(-(x - mu2) ** 2 / (2 * s2**2)) / Z2}
    syms = {"x": x, "mu1": mu1, "mu2": mu2, "sigma1": s1, "sigma2": s2, "p1": P1, "p2": P2}
    return Derivation(title="§3", symbols=syms, start=integral(P1 * sp.log(P1 / P2)),
                      steps=[Step(i + 1, Relation.EQ, e) for i, e in enumerate(steps or
                                                                               KL3_STEPS)],
                      definitions=defs)


z, xs = sp.symbols("z x", real=True)
q = sp.Function("q(z|x)", positive=True)(z, xs)
prior = sp.Function("p(z)", positive=True)(z)
lik = sp.Function("p(x|z)", positive=True)(xs, z)
post = sp.Function("p(z|x)", positive=True)(z, xs)
evid = sp.Function("p(x)", positive=True)(xs)


def elbo_chain(last: sp.Expr | None = None, wrt_last: sp.Expr | None = None) -> Derivation:
    """§2 of the notes, by hand, over abstract densities."""
    E = (lambda f: Expectation(f, z, q))  # noqa: E731
    exprs = [
        E(sp.log(q) - sp.log(lik * prior / evid)),
        E(sp.log(q) - sp.log(lik) - sp.log(prior) + sp.log(evid)),
        E(sp.log(q / prior)) - E(sp.log(lik)) + E(sp.log(evid)),
        last if last is not None else E(sp.log(q / prior)) - E(sp.log(lik)) + sp.log(evid),
    ]
    steps = [Step(i + 1, Relation.EQ, e) for i, e in enumerate(exprs)]
    steps.append(Step(5, Relation.EQ_UP_TO,
                      wrt_last if wrt_last is not None else E(sp.log(q / prior)) - E(sp.log(lik)),
                      wrt=("q",)))  # the encoder, a declared density
    return Derivation(title="§2", symbols={"x": xs, "z": z}, start=E(sp.log(q / post)),
                      steps=steps,
                      functions={"q(z|x)": q, "p(z)": prior, "p(x|z)": lik, "p(z|x)": post,
                                 "p(x)": evid})


def test_section3_by_hand_passes_at_every_point_with_edges() -> None:
    checks = check_quadrature(kl3(), rng=np.random.default_rng(0))
    assert [c.ok for c in checks] == [True] * 4, [c.reason for c in checks]
    for c in checks:
        assert c.kind == "quadrature"
        assert c.details["n_points"] == 26  # 20 random + 6 edge points, none lost to nan
        assert c.details["worst_error"] <= TOLERANCE
        assert set(c.details["worst_point"]) == {"mu1", "mu2", "sigma1", "sigma2"}


@pytest.mark.parametrize(
    ("index", "wrong"),
    [
        (4, sp.log(s2 / s1) + (s1**2 + (mu1 - mu2) ** 2) / (2 * s2**2)),  # the −1/2 lost
        (4, sp.log(s1 / s2) + (s1**2 + (mu1 - mu2) ** 2) / (2 * s2**2) - HALF),  # ratio flipped
        (4, sp.log(s2 / s1) + (s1 + (mu1 - mu2) ** 2) / (2 * s2**2) - HALF),  # σ for σ²
        (2, KL3_STEPS[1] + integral(P1 * x) * 1e-9),  # tiny but real
        (1, integral(P1 * sp.log(P1)) + integral(P1 * sp.log(P2))),  # sign
    ],
)
def test_mutated_steps_fail(index: int, wrong: sp.Expr) -> None:
    steps = list(KL3_STEPS)
    steps[index - 1] = wrong
    checks = check_quadrature(kl3(steps), rng=np.random.default_rng(0))
    assert not checks[index - 1].ok
    assert checks[index - 1].details["worst_error"] > TOLERANCE
    assert "differ" in checks[index - 1].reason


def test_log_of_density_ratio_is_finite_in_the_far_tails() -> None:
    # at σ₁/σ₂ = 1e6 the naive log(p1/p2) would be nan (0/0) over most of the range
    d = kl3()
    side = prepare(d.start, d).expr
    pt = {mu1: 10.0, mu2: -10.0, s1: 1e3, s2: 1e-3}
    [v] = evaluate([side], [pt])
    exact = np.log(1e-6) + (1e6 + 400.0) / (2e-6) - 0.5
    assert float(v.values[0]) == pytest.approx(exact, rel=1e-12)


def test_abstract_section2_on_the_linear_gaussian_instance() -> None:
    checks = check_quadrature(elbo_chain(), rng=np.random.default_rng(1))
    assert all(c.ok for c in checks), [c.reason for c in checks]
    assert all(c.details["instance"] for c in checks)
    assert checks[-1].details["wrt"] == ["m", "s"]


def test_section2_mutants_fail() -> None:
    E = (lambda f: Expectation(f, z, q))  # noqa: E731
    sign = elbo_chain(last=E(sp.log(q / prior)) - E(sp.log(lik)) - sp.log(evid))
    assert not check_quadrature(sign, rng=np.random.default_rng(1))[3].ok
    swapped = elbo_chain(last=Expectation(sp.log(prior / q), z, prior) - E(sp.log(lik))
                         + sp.log(evid))
    assert not check_quadrature(swapped, rng=np.random.default_rng(1))[3].ok
    # dropping a term that does depend on q is not "equal up to a constant"
    dropped = elbo_chain(wrt_last=E(sp.log(q / prior)))
    check = check_quadrature(dropped, rng=np.random.default_rng(1))[4]
    assert not check.ok and "changes" in check.reason


def test_inequalities_are_checked_pointwise() -> None:
    t = s1**2 / s2**2
    good = Derivation(title="t", symbols={"sigma1": s1, "sigma2": s2},
                      start=(t - sp.log(t) - 1) / 2, steps=[Step(1, Relation.GE, sp.S(0))])
    bad = Derivation(title="t", symbols={"sigma1": s1, "sigma2": s2},
                     start=(t - sp.log(t) - 1) / 2, steps=[Step(1, Relation.GE, sp.S(1))])
    [ok] = check_quadrature(good, rng=np.random.default_rng(2))
    [no] = check_quadrature(bad, rng=np.random.default_rng(2))
    assert ok.ok and ok.details["worst_margin"] >= -TOLERANCE
    assert not no.ok and "inequality" in no.reason


def test_a_lone_density_gets_a_network_instance_and_a_wrong_mean_fails() -> None:
    # r(w) applied at z is the declared density at z: N(b, c) on the network instance, so
    # E_r[z] = 0 is wrong at almost every point, and the check is made and fails
    r = sp.Function("r(w)", positive=True)(z)
    d = Derivation(title="r", symbols={"z": z}, start=Expectation(z, z, r),
                   steps=[Step(1, Relation.EQ, sp.S(0))])
    [check] = check_quadrature(d, rng=np.random.default_rng(0))
    assert check.made and not check.ok and "differ" in check.reason
    assert d.steps[0].quadrature is check


def test_an_uninstantiable_function_is_a_check_not_made_not_a_failure() -> None:
    g = sp.Function("g", real=True)(z, sp.Symbol("x", real=True))  # two arguments, no density
    d = Derivation(title="g", symbols={"z": z}, start=Expectation(g, z, sp.exp(-z**2 / 2)
                                                                  / sp.sqrt(2 * sp.pi)),
                   steps=[Step(1, Relation.EQ, sp.S(0))])
    [check] = check_quadrature(d, rng=np.random.default_rng(0))
    assert not check.made and not check.ok and not check.failed
    assert "g(z, x)" in check.reason and check.to_json()["made"] is False


def test_json_has_ok_and_the_figures() -> None:
    checks = check_quadrature(kl3(), rng=np.random.default_rng(0))
    out = json.loads(json.dumps(checks[0].to_json()))
    assert out["kind"] == "quadrature" and out["ok"] is True
    assert {"n_points", "worst_error", "error_kind", "worst_point", "lhs", "rhs"} <= set(out)


def test_same_seed_same_result() -> None:
    a = check_quadrature(kl3(), rng=np.random.default_rng(5))
    b = check_quadrature(kl3(), rng=np.random.default_rng(5))
    assert [c.details["worst_point"] for c in a] == [c.details["worst_point"] for c in b]


def test_n_points_is_validated() -> None:
    with pytest.raises(ValueError, match="n_points"):
        check_quadrature(kl3(), rng=np.random.default_rng(0), n_points=0)


@pytest.mark.parametrize("name", ["kl_gaussians", "elbo", "kl_multivariate_quadratic_form"])
def test_parsed_bundled_derivations_pass(name: str) -> None:
    parse = pytest.importorskip("elbo_derivation.read.deriv")
    path = NOTES / f"{name}.deriv"
    if not path.exists():
        pytest.skip(f"{path.name} not written yet")
    d = parse.read_derivation(path)
    checks = check_quadrature(d, rng=np.random.default_rng(0))
    assert len(checks) == len(d.steps)
    assert all(c.ok for c in checks), [(s.index, s.quadrature.reason) for s in d.steps
                                       if not s.quadrature.ok]


def test_parsed_section3_with_a_mutated_step_fails_there() -> None:
    parse = pytest.importorskip("elbo_derivation.read.deriv")
    path = NOTES / "kl_gaussians.deriv"
    if not path.exists():
        pytest.skip("kl_gaussians.deriv not written yet")
    text = path.read_text().replace("(sigma1^2 + (mu1 - mu2)^2) - 1/2",
                                    "(sigma1^2 + (mu1 - mu2)^2) + 1/2")
    d = parse.parse_derivation(text)
    checks = check_quadrature(d, rng=np.random.default_rng(0))
    assert not checks[-1].ok and all(c.ok for c in checks[:-1])


@pytest.mark.parametrize(
    ("name", "old", "new"),
    [
        ("kl_multivariate_quadratic_form", "A11*a^2 + 2*A12*a*b + A22*(b^2 + c^2)",
         "A11*a^2 + 2*A12*a*b + A22*(b^2 + 2*c^2)"),  # a 2-D Gaussian moment wrong
        ("elbo", "E[log(p(x|z)), z ~ q(z|x)] + log(p(x))  ",
         "E[log(p(x|z)), z ~ q(z|x)] - log(p(x))  "),  # the sign of log p(x)
    ],
)
def test_parsed_mutants_fail_at_the_mutated_step(name: str, old: str, new: str) -> None:
    parse = pytest.importorskip("elbo_derivation.read.deriv")
    path = NOTES / f"{name}.deriv"
    if not path.exists():
        pytest.skip(f"{path.name} not written yet")
    text = path.read_text()
    if text.count(old) != 1:
        pytest.skip(f"{path.name} changed: the mutation no longer applies")
    d = parse.parse_derivation(text.replace(old, new))
    mutated = next(s for s in d.steps if new.strip() in s.text)
    checks = check_quadrature(d, rng=np.random.default_rng(0))
    assert not checks[mutated.index - 1].ok
    assert all(c.ok for c in checks[: mutated.index - 1])


def test_poly_in_multiplies_out_only_the_variables() -> None:
    from elbo_derivation.numeric.evaluate import _poly_in

    u, v = sp.symbols("u v", real=True)
    a, b, m = sp.symbols("a b m", real=True)
    cases = [
        a * (u - m) ** 2 + 2 * b * (u - m) * (v + a) + (v + 1) ** 3,
        (a + b) ** 2 * u * v + sp.log(a) * u**2 + 7,
        u * sp.log(u) + (u + a) ** 2 * sp.exp(b) + 1 / (u + 1),
        sp.Integer(3),
    ]
    for expr in cases:
        poly, rem = _poly_in(expr, (u, v))
        rebuilt = sp.Add(*[c * u**i * v**j for (i, j), c in poly.items()]) + rem
        assert sp.expand(rebuilt - expr) == 0
        assert all(not c.has(u, v) for c in poly.values())
        for term in sp.Add.make_args(rem) if rem != 0 else ():  # only non-polynomial terms
            assert not sp.expand(term).is_polynomial(u, v)
    poly, rem = _poly_in(a * (u - m) ** 2, (u,))
    assert rem == 0 and poly[(0,)] == a * m**2  # the coefficient is not expanded further
    assert sp.expand(poly[(1,)] + 2 * a * m) == 0 and poly[(2,)] == a


def test_free_symbols_are_sympys_for_integrals_sums_and_other_nodes():
    from elbo_derivation.numeric.evaluate import free_symbols

    a, b, y = sp.symbols("a b y", real=True)
    k, n = sp.symbols("k n", integer=True, positive=True)
    f = sp.Function("f")
    z = sp.IndexedBase("z")
    inner = sp.Integral(x * y * a, (y, 0, x))
    cases = [
        sp.Integral(sp.exp(-(x - mu1) ** 2) * inner, (x, -sp.oo, mu2)),
        sp.Integral(x * y, (x, 0, y), (y, 0, a)),  # the second bound uses the first variable
        sp.Integral(x * y, (x, 0, 1), (y, 0, x)),  # a later bound brings a variable back
        sp.Integral(x * a, x),  # an indefinite integral keeps its variable
        sp.Integral(sp.Integral(x, (x, 0, y)) + y, (y, a, b)),
        sp.Sum(z[k] * a ** k, (k, 1, n)) + sp.Integral(f(x) * b, (x, 0, 1)),
        sp.Derivative(f(x, a), x) + sp.Subs(f(x) * b, x, a),
        Expectation(x * a, x, sp.exp(-x**2) / sp.sqrt(sp.pi)) + s1 * sp.log(s2),
        sp.Integral(x, (sp.Indexed(z, 1), 0, 1)),  # not a symbol as variable: SymPy's answer
        sp.Integer(3),
    ]
    for e in cases:
        assert free_symbols(e) == e.free_symbols, e
