"""Named families as data: moments, entropies and KL divergences of the Bernoulli, Poisson
and exponential distributions, read from the declarations (``p(k) = Poisson(lam)``) and
written both ways; a density declared in a family is never replaced by another instance."""

from __future__ import annotations

import pytest

from elbo_derivation.core.steps import Verdict
from elbo_derivation.decide.verdict import decide_step
from elbo_derivation.read.deriv import parse_derivation

HEAD = {
    "poisson": ("symbols: lam, mu : positive\nsymbols: k : nonnegative integer\n"
                "densities: p(k) = Poisson(lam), r(k) = Poisson(mu)\n"),
    "bernoulli": ("symbols: 0 < a < 1\nsymbols: 0 < b < 1\nsymbols: y : nonnegative integer\n"
                  "densities: p(y) = Bernoulli(a), r(y) = Bernoulli(b)\n"),
    "exponential": ("symbols: lam, mu : positive\nsymbols: t : positive\n"
                    "densities: p(t) = Exponential(lam), r(t) = Exponential(mu)\n"),
    "gamma": ("symbols: al, r1, r2 : positive\nsymbols: t : positive\n"
              "densities: p(t) = Gamma(al, r1), r(t) = Gamma(al, r2)\n"),
    "laplace": ("symbols: m : real\nsymbols: b1, b2 : positive\nsymbols: v : real\n"
                "densities: p(v) = Laplace(m, b1), r(v) = Laplace(m, b2)\n"),
}

CASES = [
    ("poisson", "E[k^2, k ~ p(k)]", "lam^2 + lam", "lam^2"),
    ("poisson", "KL(p(k), r(k))", "lam*log(lam/mu) - lam + mu", "lam*log(lam/mu) + lam - mu"),
    ("poisson", "E[log(p(k)) - log(r(k)), k ~ p(k)]", "lam*log(lam/mu) - lam + mu",
     "lam*log(lam/mu)"),
    ("bernoulli", "E[y, y ~ p(y)]", "a", "1 - a"),
    ("bernoulli", "E[log(p(y)) - log(r(y)), y ~ p(y)]",
     "a*log(a/b) + (1-a)*log((1-a)/(1-b))", "a*log(a/b) + (1-a)*log((1+a)/(1-b))"),
    ("bernoulli", "-E[log(p(y)), y ~ p(y)]", "-a*log(a) - (1-a)*log(1-a)", "-a*log(a)"),
    ("exponential", "E[t, t ~ p(t)]", "1/lam", "lam"),
    ("exponential", "E[log(p(t)/r(t)), t ~ p(t)]", "log(lam/mu) + mu/lam - 1",
     "log(lam/mu) + lam/mu - 1"),
    ("gamma", "KL(p(t), r(t))", "al*(log(r1/r2) + r2/r1 - 1)", "al*(log(r1/r2) + r1/r2 - 1)"),
    ("gamma", "E[t^2, t ~ p(t)]", "al/r1^2 + al^2/r1^2", "al^2/r1^2"),
    ("laplace", "KL(p(v), r(v))", "log(b2/b1) + b1/b2 - 1", "log(b2/b1) + b2/b1 - 1"),
    ("laplace", "E[v^2, v ~ p(v)]", "m^2 + 2*b1^2", "m^2 + b1^2"),
]


def _decide(text: str):
    d = parse_derivation(text)
    return decide_step(d, d.steps[0], time_limit=5.0)


@pytest.mark.parametrize(("family", "lhs", "right", "wrong"), CASES)
def test_family_facts_both_ways(family, lhs, right, wrong) -> None:
    r = _decide(HEAD[family] + f"  {lhs}\n= {right}\n")
    assert r.verdict is Verdict.PROVED, r
    assert r.rules
    w = _decide(HEAD[family] + f"  {lhs}\n= {wrong}\n")
    assert w.verdict is Verdict.REFUTED, w
    point = w.counterexample.point
    if family == "bernoulli":
        assert 0 < point["a"] < 1
    assert all(v > 0 for k, v in point.items() if k in ("lam", "mu"))


@pytest.mark.parametrize(("family", "lhs", "right", "wrong"), [
    ("poisson", "diff(E[k^2, k ~ p(k)], lam)", "diff(lam + lam^2, lam)", "diff(lam^2, lam)"),
    ("poisson", "diff(E[k^2, k ~ p(k)], lam)", "E[(k + 1)^2, k ~ p(k)] - E[k^2, k ~ p(k)]",
     "E[(k + 1)^2, k ~ p(k)]"),
    ("gamma", "diff(E[t^2, t ~ p(t)], r1)", "-2*al*(al + 1)/r1^3", "-al*(al + 1)/r1^3"),
])
def test_the_derivative_of_a_family_expectation_in_its_parameter(family, lhs, right,
                                                                 wrong) -> None:
    """d/dλ E_{Poisson(λ)}[k²] is d/dλ (λ + λ²) = 1 + 2λ, the weak derivative E[(k + 1)²] −
    E[k²] (Mohamed et al. 2020, sec. 6): the expectation is taken by the family's moments
    before the derivative, not left as the derivative of a sum over k."""
    r = _decide(HEAD[family] + f"  {lhs}\n= {right}\n")
    assert r.verdict is Verdict.PROVED, r
    w = _decide(HEAD[family] + f"  {lhs}\n= {wrong}\n")
    assert w.verdict is Verdict.REFUTED, w


@pytest.mark.parametrize(("right", "wrong"), [
    ("diff(a*g(1) + (1 - a)*g(0), a)", "diff(a*g(1) + a*g(0), a)"),
    ("g(1) - g(0)", "g(1) + g(0)"),
])
def test_the_derivative_of_an_expectation_of_an_abstract_function_over_a_finite_support(
        right, wrong) -> None:
    """d/da E_{Bernoulli(a)}[g(y)] for an abstract g: the expectation over the support {0, 1}
    is a·g(1) + (1 − a)·g(0), differentiated as such (REINFORCE's exact gradient of one
    binary unit), whatever the letters."""
    head = HEAD["bernoulli"] + "functions: g(y) : real\n"
    r = _decide(head + f"  diff(E[g(y), y ~ p(y)], a)\n= {right}\n")
    assert r.verdict is Verdict.PROVED, r
    w = _decide(head + f"  diff(E[g(y), y ~ p(y)], a)\n= {wrong}\n")
    assert w.verdict is Verdict.REFUTED, w
    assert all(0 < v < 1 for k, v in w.counterexample.point.items() if k == "a")


@pytest.mark.parametrize(("power", "right", "wrong"), [
    (4, "m^4 + 6*m^2*s^2 + 3*s^4", "m^4 + 6*m^2*s^2 + s^4"),
    (5, "m^5 + 10*m^3*s^2 + 15*m*s^4", "m^5 + 10*m^3*s^2 + 5*m*s^4"),
])
def test_gaussian_moments_of_higher_order(power, right, wrong) -> None:
    head = "symbols: x, m : real\nsymbols: s : positive\ndensities: q(x) = N(m, s^2)\n"
    r = _decide(head + f"  E[x^{power}, x ~ q(x)]\n= {right}\n")
    assert r.verdict is Verdict.PROVED
    w = _decide(head + f"  E[x^{power}, x ~ q(x)]\n= {wrong}\n")
    assert w.verdict is Verdict.REFUTED and w.counterexample.point["s"] > 0


def test_the_table_beyond_the_declared_families() -> None:
    """Log-normal, uniform, geometric and binomial facts, checked against their definitions
    (the support's sum or integral) so that a wrong entry in the table fails here."""
    import sympy as sp

    from elbo_derivation.decide.families import FAMILY_FACTS

    m = sp.Symbol("m", real=True)
    v, lo = sp.Symbol("v", positive=True), sp.Symbol("lo", real=True)
    x = sp.Symbol("x", positive=True)
    k = sp.Symbol("k", integer=True, positive=True)
    p = sp.Rational(1, 3)
    ln = FAMILY_FACTS["lognormal"]
    u = sp.Symbol("u", real=True)  # x = exp(u): the mean of a log-normal
    mean = sp.integrate(sp.exp(u) * sp.exp(-(u - m) ** 2 / (2 * v)) / sp.sqrt(2 * sp.pi * v),
                        (u, -sp.oo, sp.oo))
    assert sp.simplify((mean - ln.mean(m, v)).rewrite(sp.erf)) == 0
    # normalised: with x = exp(u), dx = exp(u) du
    total = sp.integrate(ln.density(sp.exp(u), m, v) * sp.exp(u), (u, -sp.oo, sp.oo))
    assert sp.simplify(total - 1) == 0
    un = FAMILY_FACTS["uniform"]
    hi = lo + 3
    assert sp.simplify(sp.integrate(x * un.density(x, lo, hi), (x, lo, hi)) - un.mean(lo, hi)) == 0
    geo = FAMILY_FACTS["geometric"]
    assert sp.simplify(sp.Sum(k * geo.density(k, p), (k, 1, sp.oo)).doit() - geo.mean(p)) == 0
    binom = FAMILY_FACTS["binomial"]
    j = sp.Symbol("j", integer=True, nonnegative=True)
    total = sp.Sum(j**2 * binom.density(j, 5, p), (j, 0, 5)).doit()
    assert total == binom.variance(5, p) + binom.mean(5, p) ** 2


CATEGORICAL = ("symbols: a, b : (0, 1)\nsymbols: c, d : (0, 1)\nsymbols: k : positive integer\n"
               "densities: p(k) = Categorical(a, b, 1 - a - b), "
               "r(k) = Categorical(c, d, 1 - c - d)\n")


@pytest.mark.parametrize(("lhs", "right", "wrong"), [
    ("E[k, k ~ p(k)]", "a + 2*b + 3*(1 - a - b)", "a + 2*b"),
    ("KL(p(k), r(k))", "a*log(a/c) + b*log(b/d) + (1-a-b)*log((1-a-b)/(1-c-d))",
     "a*log(a/c) + b*log(b/d)"),
    ("E[log(p(k)/r(k)), k ~ p(k)]", "KL(p(k), r(k))", "KL(r(k), p(k))"),
])
def test_categorical_both_ways(lhs, right, wrong) -> None:
    r = _decide(CATEGORICAL + f"  {lhs}\n= {right}\n")
    assert r.verdict is Verdict.PROVED, r
    w = _decide(CATEGORICAL + f"  {lhs}\n= {wrong}\n")
    assert w.verdict is Verdict.REFUTED, w
    assert all(0 < v < 1 for v in w.counterexample.point.values())


# --- log-normal, uniform, geometric and binomial, declared like the others ---------------------

NEW_HEAD = {
    "lognormal": ("symbols: m1, m2 : real\nsymbols: s1, s2 : positive\nsymbols: y : positive\n"
                  "densities: p(y) = LogNormal(m1, s1^2), r(y) = LogNormal(m2, s2^2)\n"),
    "uniform": ("symbols: a : real\nsymbols: w, v : positive\nsymbols: u : real\n"
                "densities: p(u) = Uniform(a, a + w), r(u) = Uniform(a, a + w + v)\n"),
    "geometric": ("symbols: 0 < a < 1\nsymbols: 0 < b < 1\nsymbols: k : positive integer\n"
                  "densities: p(k) = Geometric(a), r(k) = Geometric(b)\n"),
    "binomial": ("symbols: n : positive integer\nsymbols: 0 < a < 1\nsymbols: 0 < b < 1\n"
                 "symbols: k : nonnegative integer\n"
                 "densities: p(k) = Binomial(n, a), r(k) = Binomial(n, b)\n"),
}

NEW_CASES = [
    ("lognormal", "E[y, y ~ p(y)]", "exp(m1 + s1^2/2)", "exp(m1)"),
    ("lognormal", "KL(p(y), r(y))", "log(s2/s1) + (s1^2 + (m1-m2)^2)/(2*s2^2) - 1/2",
     "log(s1/s2) + (s1^2 + (m1-m2)^2)/(2*s2^2) - 1/2"),
    ("lognormal", "-E[log(p(y)), y ~ p(y)]", "m1 + log(2*pi*exp(1)*s1^2)/2",
     "log(2*pi*exp(1)*s1^2)/2"),
    ("uniform", "E[u^2, u ~ p(u)]", "(a + w/2)^2 + w^2/12", "(a + w/2)^2"),
    ("uniform", "KL(p(u), r(u))", "log((w + v)/w)", "log(w/(w + v))"),
    ("uniform", "-E[log(p(u)), u ~ p(u)]", "log(w)", "-log(w)"),
    ("geometric", "E[k, k ~ p(k)]", "1/a", "(1-a)/a"),
    ("geometric", "E[log(p(k)) - log(r(k)), k ~ p(k)]",
     "log(a/b) + (1-a)/a*log((1-a)/(1-b))", "log(a/b) + (1-a)*log((1-a)/(1-b))"),
    ("binomial", "E[k^2, k ~ p(k)]", "n*a*(1-a) + n^2*a^2", "n^2*a^2"),
    ("binomial", "KL(p(k), r(k))", "n*(a*log(a/b) + (1-a)*log((1-a)/(1-b)))",
     "a*log(a/b) + (1-a)*log((1-a)/(1-b))"),
]


@pytest.mark.parametrize(("family", "lhs", "right", "wrong"), NEW_CASES)
def test_new_families_both_ways(family, lhs, right, wrong) -> None:
    r = _decide(NEW_HEAD[family] + f"  {lhs}\n= {right}\n")
    assert r.verdict is Verdict.PROVED, r
    w = _decide(NEW_HEAD[family] + f"  {lhs}\n= {wrong}\n")
    assert w.verdict is Verdict.REFUTED, w
    point = w.counterexample.point
    assert all(0 < point[s] < 1 for s in ("a", "b") if s in point and family != "uniform")
    if family == "binomial":
        assert float(point["n"]).is_integer() and point["n"] >= 1


def test_new_families_roles_and_supports() -> None:
    import sympy as sp

    d = parse_derivation(
        "symbols: m : real\nsymbols: s, lo, w : positive\nsymbols: n : positive integer\n"
        "symbols: 0 < a < 1\nsymbols: y, t : positive\nsymbols: k, j : positive integer\n"
        "densities: p(y) = LogNormal(m, s^2), q(t) = Uniform(lo, lo + w), "
        "g(k) = Geometric(a), b(j) = Binomial(n, a)\n  m\n= m\n")
    decl = d.declarations
    roles = {str(k): v for k, v in decl.roles.items()}
    assert roles["m"] == "mean of log" and roles["s"] == "standard deviation of log"
    assert roles["lo"] == "lower bound" and roles["n"] == "number of trials"
    assert roles["a"] == "probability"
    fam = decl.families
    lo, w, n = (decl.symbols[x] for x in ("lo", "w", "n"))
    assert fam["p(y)"].support == sp.Interval.open(0, sp.oo) and not fam["p(y)"].discrete
    assert fam["q(t)"].support == sp.Interval.open(lo, lo + w)
    assert fam["g(k)"].discrete and fam["g(k)"].support == sp.Range(1, sp.oo)
    assert fam["b(j)"].discrete and fam["b(j)"].support == sp.Range(0, n + 1)


def test_one_table_of_families() -> None:
    from elbo_derivation.decide.families import FAMILY_FACTS
    from elbo_derivation.read.declarations import FAMILY_TABLE

    assert set(FAMILY_FACTS) | {"normal"} == set(FAMILY_TABLE)
    assert all(facts.spec is FAMILY_TABLE[key] for key, facts in FAMILY_FACTS.items())


@pytest.mark.parametrize(("declaration", "message", "column"), [
    ("p(k) = Binomial(n, a)", "number of trials", 28),
    ("p(k) = Uniform(w, w - 1)", "lower bound must be below", 27),
    ("p(k) = Dirichlet(a, a)", "unknown family 'Dirichlet'", 19),
    ("p(k) = Beta(a)", "takes 2 parameters", 24),
    ("p(k) = Geometric(a, a)", "takes 1 parameter", 29),
])
def test_new_families_bad_declarations(tmp_path, capsys, declaration, message, column) -> None:
    from elbo_derivation.cli import main

    f = tmp_path / "bad.deriv"
    f.write_text("symbols: 0 < a < 1\nsymbols: n, w : positive\nsymbols: k : positive integer\n"
                 f"densities: {declaration}\n  k\n= k\n")
    assert main(["check", str(f)]) == 2
    err = capsys.readouterr().err
    assert f"bad.deriv:4:{column}:" in err and message in err and "Traceback" not in err


def test_new_families_in_tex_comments() -> None:
    from elbo_derivation.read.tex import parse_tex_derivation as parse_tex

    d = parse_tex(
        "% symbols: 0 < a < 1\n% symbols: k : positive integer\n"
        "% densities: p(k) = \\mathrm{Geometric}(a)\n"
        "\\begin{align*}\n\\mathbb{E}_{p(k)}[k] &= \\frac{1}{a}\n\\end{align*}\n")
    part = d[0] if isinstance(d, list) else d
    assert part.declarations.families["p(k)"].name == "geometric"
    r = decide_step(part, part.steps[0], time_limit=5.0)
    assert r.verdict is Verdict.PROVED, r


# --- the Beta and Gamma integrals, by rule -------------------------------------------------------

BETA_GAMMA_HEAD = "symbols: t : real\nsymbols: a, b : positive\n"


@pytest.mark.parametrize(("lhs", "right", "wrong", "rule"), [
    ("Integral(t^(a - 1)*(1 - t)^(b - 1), (t, 0, 1))", "gamma(a)*gamma(b)/gamma(a + b)",
     "gamma(a)*gamma(b)/gamma(a + b + 1)", "Beta integral"),
    # the Beta mean: one more power of t
    ("gamma(a + b)/(gamma(a)*gamma(b))*Integral(t^a*(1 - t)^(b - 1), (t, 0, 1))",
     "gamma(a + b)/(gamma(a)*gamma(b))*gamma(a + 1)*gamma(b)/gamma(a + b + 1)",
     "gamma(a + b)/(gamma(a)*gamma(b))*gamma(a)*gamma(b)/gamma(a + b + 1)", "Beta integral"),
    ("Integral(t^(a - 1)*exp(-b*t), (t, 0, oo))", "gamma(a)/b^a", "gamma(a)/b^(a - 1)",
     "Gamma integral"),
    # the Gamma mean and second moment
    ("b^a/gamma(a)*Integral(t^(a + 1)*exp(-b*t), (t, 0, oo))",
     "b^a/gamma(a)*gamma(a + 2)/b^(a + 2)", "b^a/gamma(a)*gamma(a + 1)/b^(a + 2)",
     "Gamma integral"),
])
def test_beta_and_gamma_integrals_are_proved_by_rule(lhs, right, wrong, rule) -> None:
    d = parse_derivation(BETA_GAMMA_HEAD + f"  {lhs}\n= {right}\n")
    (ok,) = [decide_step(d, s, time_limit=5.0) for s in d.steps]
    assert ok.verdict is Verdict.PROVED and any(rule in r for r in ok.rules), ok
    d = parse_derivation(BETA_GAMMA_HEAD + f"  {lhs}\n= {wrong}\n")
    (bad,) = [decide_step(d, s, time_limit=5.0) for s in d.steps]
    assert bad.verdict is Verdict.REFUTED and bad.counterexample is not None, bad


def test_a_beta_integral_that_may_diverge_is_not_evaluated() -> None:
    """∫₀¹ t^(c−1) dt = 1/c only for c > 0: with c merely real the rule does not apply."""
    import sympy as sp

    from elbo_derivation.decide.calculus import beta_gamma_integrals, beta_gamma_rules

    t, c = sp.Symbol("t", real=True), sp.Symbol("c", real=True)
    node = sp.Integral(t ** (c - 1) * (1 - t), (t, 0, 1))
    assert beta_gamma_integrals(node) == node and beta_gamma_rules(node) == ()
    r = sp.Symbol("r", real=True)  # a rate of unknown sign: e^(−rt) may grow
    gamma = sp.Integral(t * sp.exp(-r * t), (t, 0, sp.oo))
    assert beta_gamma_integrals(gamma) == gamma


@pytest.mark.parametrize(("lhs", "right", "wrong"), [
    # the mean of a nonnegative variable as the integral of its tail (Ross 2014, lemma
    # 5.2.1): the inner integral a function of the outer variable, innermost first
    ("Integral(Integral(b*exp(-b*t), (t, u, oo)), (u, 0, oo))", "Integral(exp(-b*u), (u, 0, oo))",
     "Integral(b*exp(-b*u), (u, 0, oo))"),
    ("Integral(Integral(b*exp(-b*t), (t, u, oo)), (u, 0, oo))", "1/b", "1"),
    # a tail by parts: ∫_a^∞ t e^(−bt) dt = e^(−ab)(a/b + 1/b²)
    ("Integral(t*exp(-b*t), (t, a, oo))", "exp(-a*b)*(a/b + 1/b^2)", "exp(-a*b)*a/b"),
])
def test_tail_and_iterated_integrals_are_evaluated_by_rule(lhs, right, wrong) -> None:
    from elbo_derivation.decide.calculus import TAIL_INTEGRAL

    head = "symbols: t, u : positive\nsymbols: a, b : positive\n"
    d = parse_derivation(head + f"  {lhs}\n= {right}\n")
    (ok,) = [decide_step(d, s, time_limit=5.0) for s in d.steps]
    assert ok.verdict is Verdict.PROVED and TAIL_INTEGRAL in ok.rules, ok
    d = parse_derivation(head + f"  {lhs}\n= {wrong}\n")
    (bad,) = [decide_step(d, s, time_limit=5.0) for s in d.steps]
    assert bad.verdict is Verdict.REFUTED and bad.counterexample is not None, bad


def test_a_tail_integral_that_may_diverge_is_not_evaluated() -> None:
    import sympy as sp

    from elbo_derivation.decide.calculus import beta_gamma_integrals, beta_gamma_rules

    t, c, r = sp.Symbol("t", real=True), sp.Symbol("c", real=True), sp.Symbol("r", real=True)
    grows = sp.Integral(sp.exp(-r * t), (t, c, sp.oo))  # r of unknown sign
    assert beta_gamma_integrals(grows) == grows and beta_gamma_rules(grows) == ()
    # an iterated integral is evaluated only when every integration is
    inner_open = sp.Integral(sp.exp(-t**2), (t, c, sp.oo), (c, 0, sp.oo))
    assert beta_gamma_integrals(inner_open) == inner_open


@pytest.mark.parametrize(("right", "verdict"), [
    ("E[log(g)/2 - g*(x^2 - 2*x*m + m^2 + v)/2, g ~ r(g)]", Verdict.PROVED),
    ("E[log(g)/2 - g*(x^2 - 2*x*m + m^2)/2, g ~ r(g)]", Verdict.REFUTED),
])
def test_a_normal_expectation_inside_a_gamma_expectation(right, verdict) -> None:
    """E_{q(γ)}[E_{q(μ)}[log γ/2 − γ(x − μ)²/2]] with q(μ) = N(m, v), q(γ) = Gamma(a, b): the
    inner expectation is taken by the normal's moments, so that the outer one, over the Gamma,
    is of c·log γ + a polynomial (Winn & Bishop 2005, the univariate Gaussian example)."""
    head = ("symbols: x, m : real\nsymbols: v, a, b : positive\n"
            "densities: q(mu) = N(m, v), r(g) = Gamma(a, b)\n")
    r = _decide(head + "  E[E[log(g)/2 - g*(x - mu)^2/2, mu ~ q(mu)], g ~ r(g)]\n"
                f"= {right}\n")
    assert r.verdict is verdict, r


def test_whole_line_gamma_integrals_screen_uneven_integrands():
    import sympy as sp

    # an even integrand over the line is twice its half (a centred Gaussian's second moment);
    # a shifted Gaussian is neither even nor written with |x|, so the Gamma rule leaves it
    # (the exact Gaussian tier takes it) without expanding it symbolically
    from elbo_derivation.decide.calculus import _uneven_at_a_point, beta_gamma_integrals

    y = sp.Symbol("y", real=True)
    s, m = sp.Symbol("s", positive=True), sp.Symbol("m", real=True)
    centred = sp.Integral(y**2 * sp.exp(-y**2 / (2 * s**2)), (y, -sp.oo, sp.oo))
    assert sp.simplify(beta_gamma_integrals(centred) - sp.sqrt(2 * sp.pi) * s**3) == 0
    shifted = sp.Integral(y**2 * sp.exp(-(y - m)**2 / (2 * s**2)), (y, -sp.oo, sp.oo))
    assert beta_gamma_integrals(shifted) == shifted
    assert _uneven_at_a_point(shifted.function, y)
    assert not _uneven_at_a_point(centred.function, y)
    # a value that is not a finite real number shows nothing
    assert not _uneven_at_a_point(sp.log(y - m), y)


@pytest.mark.parametrize(("lhs", "right", "wrong", "rule"), [
    # the entropy of the number of trials up to the first success (Cover & Thomas, problem
    # 2.1): log(a(1 − a)^(k−1)) is log a + (k − 1)log(1 − a) because 1 − a > 0 on (0, 1)
    ("-E[log(a*(1 - a)^(k - 1)), k ~ g(k)]", "-log(a) - log(1 - a)*(1/a - 1)",
     "-log(a) + log(1 - a)*(1/a - 1)", "log of a product"),
    ("E[log(lam^k*exp(-lam)), k ~ p(k)]", "lam*log(lam) - lam", "log(lam) - lam", None),
])
def test_the_log_of_a_product_of_positive_factors_is_split_before_the_moments(
        lhs, right, wrong, rule) -> None:
    head = ("symbols: 0 < a < 1\nsymbols: lam : positive\nsymbols: k : positive integer\n"
            "densities: g(k) = Geometric(a), p(k) = Poisson(lam)\n")
    r = _decide(head + f"  {lhs}\n= {right}\n")
    assert r.verdict is Verdict.PROVED, r
    assert rule is None or any(rule in used for used in r.rules), r.rules
    w = _decide(head + f"  {lhs}\n= {wrong}\n")
    assert w.verdict is Verdict.REFUTED, w
    assert "a" not in w.counterexample.point or 0 < w.counterexample.point["a"] < 1
