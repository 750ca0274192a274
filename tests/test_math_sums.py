"""Sums with symbolic bounds by rule (linearity, constants, index shifts, splitting), the
series SymPy closes (exponential, geometric within a declared interval, Poisson moments);
each written both ways."""

from __future__ import annotations

import pytest
import sympy as sp

from elbo_derivation.core.steps import Verdict
from elbo_derivation.decide import calculus
from elbo_derivation.decide.verdict import compare, decide_step
from elbo_derivation.read.deriv import parse_derivation

HEAD = "symbols: D : positive integer\nsymbols: i : integer\nfunctions: f(i) : real\n"


def _decide(text: str):
    d = parse_derivation(text)
    return [decide_step(d, step, time_limit=5.0) for step in d.steps]


D = sp.Symbol("D", integer=True, positive=True)
i = sp.Symbol("i", integer=True)
f = sp.Function("f", real=True)


def test_linearity_and_the_sum_of_a_constant_as_read_from_a_file() -> None:
    lhs = "Sum(2*f(i) + 3, (i, 1, D))"
    (r,) = _decide(HEAD + f"  {lhs}\n= 2*Sum(f(i), (i, 1, D)) + 3*D\n")
    assert r.verdict is Verdict.PROVED and r.method == "sum-rules", r
    assert calculus.SUM_CONSTANT in r.rules
    (w,) = _decide(HEAD + f"  {lhs}\n= 2*Sum(f(i), (i, 1, D)) + 3\n")
    assert w.verdict is Verdict.REFUTED, w
    assert w.counterexample.point["D"] >= 1 and float(w.counterexample.point["D"]).is_integer()


@pytest.mark.parametrize(("lhs", "right", "wrong", "rule"), [
    (sp.Sum(f(i), (i, 1, D)), f(1) + sp.Sum(f(i), (i, 2, D)),
     f(0) + sp.Sum(f(i), (i, 2, D)), calculus.SUM_SPLIT),
    (sp.Sum(f(i), (i, 1, D)), sp.Sum(f(i + 1), (i, 0, D - 1)),
     sp.Sum(f(i + 1), (i, 0, D)), calculus.INDEX_SHIFT),
    (sp.Sum(f(i), (i, 1, D + 1)), sp.Sum(f(i), (i, 1, D)) + f(D + 1),
     sp.Sum(f(i), (i, 1, D)) + f(D), calculus.SUM_SPLIT),
    (sp.Sum(f(i) ** 2 / D, (i, 1, D)), sp.Sum(f(i) ** 2, (i, 1, D)) / D,
     sp.Sum(f(i) ** 2, (i, 1, D)), calculus.SUM_LINEARITY),
])
def test_sums_with_a_symbolic_bound(lhs, right, wrong, rule) -> None:
    r = compare(lhs, right)
    assert r.verdict is Verdict.PROVED and r.method == "sum-rules", r
    assert rule in r.rules
    w = compare(lhs, wrong)
    assert w.verdict is Verdict.REFUTED, w
    assert w.counterexample.point["D"] >= 1 and float(w.counterexample.point["D"]).is_integer()
    assert "f(t) = t² + 2t + 3" in w.counterexample.note


def test_poisson_mean_and_the_exponential_series() -> None:
    text = ("symbols: lam : positive\nsymbols: k : nonnegative integer\nsymbols: t : real\n"
            "  Sum(k*exp(-lam)*lam^k/factorial(k), (k, 0, oo))\n= {mean}\n")
    (r,) = _decide(text.format(mean="lam"))
    assert r.verdict is Verdict.PROVED
    (w,) = _decide(text.format(mean="lam^2"))
    assert w.verdict is Verdict.REFUTED and w.counterexample.point["lam"] > 0


def test_geometric_series_within_its_declared_interval() -> None:
    text = "symbols: 0 < r < 1\nsymbols: k : nonnegative integer\n  Sum(r^k, (k, 0, oo))\n= {s}\n"
    (r,) = _decide(text.format(s="1/(1 - r)"))
    assert r.verdict is Verdict.PROVED
    (w,) = _decide(text.format(s="1/(1 + r)"))
    assert w.verdict is Verdict.REFUTED and 0 < w.counterexample.point["r"] < 1


# --- sums of two functions, the Poisson's series, polynomial integrals -----------------------

TWO = ("symbols: i : integer\nsymbols: N : positive integer\nsymbols: C : positive\n"
       "functions: x(i), y(i) : real\n  Sum(C*(x(i) - y(i))^2, (i, 1, N))/N\n")


@pytest.mark.parametrize(("rhs", "verdict"), [
    ("C*Sum((x(i) - y(i))^2, (i, 1, N))/N", Verdict.PROVED),
    ("C*Sum((x(i) - y(i))^2, (i, 1, N))", Verdict.REFUTED),  # the 1/N dropped
    ("C*N*Sum((x(i) - y(i))^2, (i, 1, N))/N", Verdict.REFUTED),
])
def test_a_sum_of_two_functions_is_compared_by_its_summand(rhs, verdict) -> None:
    """Two abstract functions get different instances, so x(i) − y(i) is not 0 there."""
    (r,) = _decide(TWO + f"= {rhs}\n")
    assert r.verdict is verdict, r
    if verdict is Verdict.REFUTED:
        assert "x(t) = t² + 2t + 3" in r.counterexample.note
        assert "y(t) = 2t² + 2t + 4" in r.counterexample.note


def test_touchard_series_exact() -> None:
    k = sp.Symbol("k", integer=True, nonnegative=True)
    a, b = sp.symbols("a b", positive=True)
    pmf = sp.exp(-a) * a**k / sp.factorial(k)
    for m in range(5):  # against SymPy's own evaluation of each moment
        ours = calculus.exponential_series(sp.Sum(k**m * pmf, (k, 0, sp.oo)))
        assert sp.simplify(ours - sp.Sum(k**m * pmf, (k, 0, sp.oo)).doit()) == 0
    # from k = 2: the terms k = 0, 1 are taken off
    tail = calculus.exponential_series(sp.Sum(k * pmf, (k, 2, sp.oo)))
    assert sp.simplify(tail - (a - a * sp.exp(-a))) == 0
    # the KL between two Poissons, its log expanded term by term
    kl = sp.Sum(pmf * sp.log(pmf / (sp.exp(-b) * b**k / sp.factorial(k))), (k, 0, sp.oo))
    assert sp.expand(calculus.exponential_series(kl)
                     - (a * sp.log(a) - a * sp.log(b) - a + b)) == 0
    # not the shape: left alone
    other = sp.Sum(a**k / (k + 1), (k, 0, sp.oo))
    assert calculus.exponential_series(other) == other


def test_poisson_kl_sign_error_refuted_exactly() -> None:
    text = ("symbols: k : integer\nsymbols: a, b : positive\n"
            "  Sum(exp(-a)*a^k/factorial(k)*(k*log(a/b) - a + b), (k, 0, oo))\n")
    (r,) = _decide(text + "= a*log(a/b) - a + b\n")
    assert r.verdict is Verdict.PROVED and r.method == "calculus", r
    (w,) = _decide(text + "= a*log(a/b) + a - b\n")
    assert w.verdict is Verdict.REFUTED and "exact" in w.counterexample.note, w


def test_integral_of_a_polynomial_over_a_bounded_interval() -> None:
    text = "symbols: a, u : real\nsymbols: w : positive\n  Integral((u - a)^2/w, (u, a, a + w))\n"
    (r,) = _decide(text + "= w^2/3\n")
    assert r.verdict is Verdict.PROVED and calculus.POLYNOMIAL_INTEGRAL in r.rules, r
    (w,) = _decide(text + "= w^2/2\n")
    assert w.verdict is Verdict.REFUTED, w


# --- indexed quantities: mu_d declared over an integer index, used at another index ---------

SEQ = ("symbols: d, j : integer\nsymbols: D : positive integer\n"
       "functions: m(d) : real\nfunctions: s(d) : positive\n")


def test_an_indexed_quantity_at_another_index_is_the_same_sequence() -> None:
    d = parse_derivation(SEQ + "  m(j) + m(1) + m(d + 1)\n= m(1) + m(j) + m(d + 1)\n")
    m = d.start.atoms(sp.core.function.AppliedUndef)
    assert {a.func for a in m} == {sp.Function("m", real=True)}
    assert {a.args[0] for a in m} == {sp.Symbol("j", integer=True), sp.Integer(1),
                                      sp.Symbol("d", integer=True) + 1}


def test_a_function_of_a_real_variable_is_no_sequence() -> None:
    # f(w) is the declared function f at the point w: not an entry of a sequence, and
    # not at a point outside f's domain (an index j is an integer, and f's variable is real)
    from elbo_derivation.read.declarations import is_sequence_entry

    d = parse_derivation("symbols: z, w : real\nfunctions: f(z) : real\n  f(w)\n= f(w)\n")
    (applied,) = d.start.atoms(sp.core.function.AppliedUndef)
    assert applied.args == (sp.Symbol("w", real=True),) and not is_sequence_entry(applied)


@pytest.mark.parametrize(("rhs", "verdict"), [
    ("m(j)", Verdict.PROVED),
    ("2*m(j)", Verdict.REFUTED),
    ("Sum(m(d), (d, 1, D))", Verdict.REFUTED),
    ("0", Verdict.REFUTED),  # SymPy alone says 0: m(d) and m(j) as unrelated functions
])
def test_the_derivative_with_respect_to_one_coordinate(rhs: str, verdict: Verdict) -> None:
    text = SEQ + f"  diff(Sum((s(d)^2 + m(d)^2 - log(s(d)^2) - 1)/2, (d, 1, D)), m(j))\n= {rhs}\n"
    (r,) = _decide(text)
    assert r.verdict is verdict, r
    if verdict is Verdict.PROVED:
        assert r.method == "indexed"


def test_the_latex_declaration_of_an_indexed_quantity() -> None:
    from elbo_derivation.read.tex import parse_tex_derivation as parse_tex

    body = (r"\begin{align*}" "\n"
            r"\sum_{d=1}^{D} \frac{1}{2}\left(\sigma_d^2 + \mu_d^2\right) &= "
            r"\frac{1}{2}\sum_{j=1}^{D}\mu_j^2 + \frac{1}{2}\sum_{d=1}^{D}\sigma(d)^2" "\n"
            r"\end{align*}" "\n")
    head = ("% symbols: d, j : integer\n% symbols: D : positive integer\n"
            "% functions: \\mu_d : real\n% functions: sigma_{d} : positive\n")
    d = parse_tex(head + body)
    r = decide_step(d, d.steps[0], time_limit=5.0)
    assert r.verdict is Verdict.PROVED, r
    wrong = parse_tex(head + body.replace(r"\frac{1}{2}\sum_{j=1}", r"\sum_{j=1}"))
    assert decide_step(wrong, wrong.steps[0], time_limit=5.0).verdict is Verdict.REFUTED


@pytest.mark.parametrize(("rhs", "verdict"), [
    (r"\frac{a}{N}\sum_{i=1}^{N} x_i + b", Verdict.PROVED),
    (r"\frac{a}{N}\left(x_1 + \sum_{i=2}^{N} x_i\right) + b", Verdict.PROVED),
    (r"\frac{a}{N}\sum_{i=1}^{N} x_i + N b", Verdict.REFUTED),     # the constant summed N times
    (r"a\sum_{i=1}^{N} x_i + b", Verdict.REFUTED),                  # the 1/N lost on one term
])
def test_an_average_over_data_points_in_latex(rhs: str, verdict: Verdict) -> None:
    from elbo_derivation.read.tex import parse_tex_derivation as parse_tex

    tex = ("% symbols: N : positive integer\n% symbols: i : integer [1, N]\n"
           "% symbols: a, b : real\n% functions: x_i : real\n\\begin{align*}\n"
           f"\\frac{{1}}{{N}}\\sum_i (a x_i + b) &= {rhs}\n\\end{{align*}}\n")
    d = parse_tex(tex)
    r = decide_step(d, d.steps[0], time_limit=5.0)
    assert r.verdict is verdict, r
    if verdict is Verdict.REFUTED:
        assert r.counterexample.point["N"] >= 1


# --- geometric series with an expression for the ratio --------------------------------------------

GEOMETRIC_HEAD = "symbols: 0 < p < 1\nsymbols: k : nonnegative integer\nsymbols: t : real\n"


@pytest.mark.parametrize(("lhs", "right", "wrong"), [
    ("Sum(p*(1 - p)^k, (k, 0, oo))", "1", "1 - p"),
    ("Sum(k*p*(1 - p)^k, (k, 0, oo))", "(1 - p)/p", "1/p"),
    ("Sum(p*(1 - p)^(k - 1), (k, 1, oo))", "1", "1/(1 - p)"),
    ("Sum((p/2)^k, (k, 0, oo))", "2/(2 - p)", "2/(2 + p)"),
])
def test_a_geometric_series_inside_the_declared_interval_is_proved_by_rule(lhs, right,
                                                                           wrong) -> None:
    from elbo_derivation.decide.calculus import GEOMETRIC_SERIES

    d = parse_derivation(GEOMETRIC_HEAD + f"  {lhs}\n= {right}\n= {wrong}\n")
    ok, bad = [decide_step(d, s, time_limit=5.0) for s in d.steps]
    assert ok.verdict is Verdict.PROVED and GEOMETRIC_SERIES in ok.rules, ok
    assert bad.verdict is Verdict.REFUTED and bad.counterexample is not None, bad


def test_a_geometric_series_that_may_diverge_says_so() -> None:
    """The geometric distribution's MGF Σ p((1 − p)e^t)^k converges only for (1 − p)e^t < 1:
    with t any real number it is not proved, and the verdict names the condition."""
    d = parse_derivation(GEOMETRIC_HEAD + "  Sum(p*((1 - p)*exp(t))^k, (k, 0, oo))\n"
                         "= p/(1 - (1 - p)*exp(t))\n")
    (r,) = [decide_step(d, s, time_limit=5.0) for s in d.steps]
    assert r.verdict in (Verdict.UNDECIDED, Verdict.NUMERICALLY_SUPPORTED), r
    if r.verdict is Verdict.UNDECIDED:
        assert "geometric series with ratio" in r.reason and "|ratio| < 1" in r.reason


def test_a_geometric_ratio_below_one_as_a_product_of_factors() -> None:
    """Σ_k e^{tk} p(1 − p)^{k−1} for t < 0 (the geometric MGF, Blitzstein & Hwang, example
    6.4.3): the ratio (1 − p)e^t is below one as a product of 1 − p ∈ (0, 1) and e^t < 1
    (left unsummed before, session 26); for t merely real it stays a series."""
    import sympy as sp

    from elbo_derivation.decide.calculus import geometric_series

    k = sp.Symbol("k", integer=True, positive=True)
    a = sp.Symbol("a", positive=True)  # 0 < p < 1 written through p = a/(1 + a)
    p = sp.Symbol("p", positive=True)
    t = sp.Symbol("t", negative=True)
    series = sp.Sum(sp.exp(t * k) * p * (1 - p) ** (k - 1), (k, 1, sp.oo))
    closed = geometric_series(series, {p: a / (1 + a)})
    assert not closed.has(sp.Sum)
    assert sp.simplify(closed - p * sp.exp(t) / (1 - (1 - p) * sp.exp(t))) == 0
    s = sp.Symbol("s", real=True)
    assert geometric_series(series.xreplace({t: s}), {p: a / (1 + a)}).has(sp.Sum)


@pytest.mark.parametrize(("right", "wrong"), [
    ("(a + b)^n", "(a + b)^(n - 1)"),
    ("(a + b)^n", "a^n + b^n"),
])
def test_the_binomial_theorem_to_a_symbolic_power(right: str, wrong: str) -> None:
    # Σ_{k=0}^{n} C(n, k) a^k b^(n−k) = (a + b)^n (Blitzstein & Hwang 2019, thm 1.4.1), under
    # any letters: proved by the rule, a wrong closed form refuted at an integer n
    head = "symbols: m : positive integer\nsymbols: j : nonnegative integer\n" \
           "symbols: a, b : positive\n"
    lhs = "Sum(binomial(m, j)*a^j*b^(m - j), (j, 0, m))"
    (r,) = _decide(head + f"  {lhs}\n= {right.replace('n', 'm')}\n")
    (w,) = _decide(head + f"  {lhs}\n= {wrong.replace('n', 'm')}\n")
    assert r.verdict is Verdict.PROVED and calculus.BINOMIAL_THEOREM in r.rules, r
    assert w.verdict is Verdict.REFUTED, w
    assert float(w.counterexample.point["m"]).is_integer()


def test_the_binomial_moment_generating_function() -> None:
    # E[e^{tK}] for K ~ Binomial(n, p) is (1 − p + p e^t)^n (Soch et al., "Binomial
    # distribution: moment-generating function"): the expectation as a sum over the support,
    # then the binomial theorem; dropping the 1 − p is refuted
    head = ("symbols: N : positive integer\nsymbols: 0 < r < 1\nsymbols: s : real\n"
            "symbols: y : nonnegative integer\ndensities: g(y) = Binomial(N, r)\n")
    (r,) = _decide(head + "  E[exp(s*y), y ~ g(y)]\n= (1 - r + r*exp(s))^N\n")
    (w,) = _decide(head + "  E[exp(s*y), y ~ g(y)]\n= (1 + r*exp(s))^N\n")
    assert r.verdict is Verdict.PROVED and calculus.BINOMIAL_THEOREM in r.rules, r
    assert w.verdict is Verdict.REFUTED and w.counterexample is not None, w
    # a sum that is not of that shape is left to the other rules
    k = sp.Symbol("k", integer=True, nonnegative=True)
    n = sp.Symbol("n", integer=True, positive=True)
    kept = sp.Sum(k * sp.binomial(n, k), (k, 0, n))
    assert calculus.binomial_series(kept) == kept and not calculus.binomial_rules(kept)


@pytest.mark.parametrize(("right", "wrong"), [
    ("a(T)*Product(a(u), (u, 1, T - 1))", "a(T)*Product(a(u), (u, 1, T))"),
    ("a(1)*Product(a(u + 1), (u, 1, T - 1))", "a(1)*Product(a(u), (u, 1, T - 1))"),
])
def test_a_product_of_positive_factors_by_the_rules_of_sums(right: str, wrong: str) -> None:
    # ᾱ_T = ∏_{u≤T} a_u = a_T·ᾱ_{T−1} (Ho, Jain & Abbeel 2020, sec. 2): the product as
    # exp(Σ log a), then splitting and shifting; a wrong split refuted at a whole T
    head = "symbols: T, u : positive integer\nfunctions: a(u) : positive\n"
    lhs = "Product(a(u), (u, 1, T))"
    (r,) = _decide(head + f"  {lhs}\n= {right}\n")
    assert r.verdict is Verdict.PROVED and calculus.PRODUCT_AS_SUM in r.rules, r
    (w,) = _decide(head + f"  {lhs}\n= {wrong}\n")
    assert w.verdict is Verdict.REFUTED and float(w.counterexample.point["T"]).is_integer(), w
    # a factor of unknown sign has no logarithm: the product is left alone
    r_ = sp.Function("r", real=True)
    kept = sp.Product(r_(i), (i, 1, D))
    assert calculus.products_as_sums(kept) == kept


@pytest.mark.parametrize(("right", "verdict"), [
    ("diff(Sum(log(b) - b*y(m), (m, 1, K)), b)", Verdict.PROVED),
    ("K/b - Sum(y(m), (m, 1, K))", Verdict.PROVED),
    ("diff(Sum(log(b) + b*y(m), (m, 1, K)), b)", Verdict.REFUTED),
    ("1/b - Sum(y(m), (m, 1, K))", Verdict.REFUTED),
])
def test_the_derivative_of_the_log_of_a_product_to_a_symbolic_bound(right: str,
                                                                    verdict: Verdict) -> None:
    # the score of an i.i.d. exponential sample: d/db log ∏_m b·e^(−b·y_m) is differentiated
    # as Σ_m ∂ log(b·e^(−b·y_m))/∂b, not by SymPy's product rule over split ranges
    head = ("symbols: K : positive integer\nsymbols: m : integer\nsymbols: b : positive\n"
            "functions: y(m) : positive\n")
    lhs = "diff(log(Product(b*exp(-b*y(m)), (m, 1, K))), b)"
    (r,) = _decide(head + f"  {lhs}\n= {right}\n")
    assert r.verdict is verdict, r
    if verdict is Verdict.REFUTED:
        assert float(r.counterexample.point["K"]).is_integer(), r
    else:  # whichever tier proved it, the rewriting of the product names its rule
        assert calculus.PRODUCT_AS_SUM in r.rules, r


def test_the_evaluation_of_a_derivative_of_a_product_reports_the_rewriting() -> None:
    # one rewriting of ∏ as exp(Σ log), inside the evaluation every tier calls, tells its
    # caller that it was used; a derivative without a product tells nothing
    from elbo_derivation.decide.tiers import CALCULUS

    K = sp.Symbol("K", integer=True, positive=True)
    m = sp.Symbol("m", integer=True)
    b = sp.Symbol("b", positive=True)
    y = sp.Function("y", positive=True)
    used: set[str] = set()
    out = CALCULUS._evaluate(sp.Derivative(sp.log(sp.Product(b * sp.exp(-b * y(m)),
                                                             (m, 1, K))), b), None, used)
    assert used == {calculus.PRODUCT_AS_SUM} and not out.has(sp.Product, sp.Derivative), out
    none: set[str] = set()
    assert CALCULUS._evaluate(sp.Derivative(sp.log(b) * K, b), None, none) == K / b
    assert none == set()


def test_a_step_about_sequences_alone_is_not_credited_to_differentiation() -> None:
    (r,) = _decide("symbols: T, u : positive integer\nfunctions: a(u) : positive\n"
                   "  a(T)*(1 - a(T - 1)) + 1 - a(T)\n= 1 - a(T)*a(T - 1)\n")
    assert r.verdict is Verdict.PROVED, r
    assert not any("coordinate" in rule for rule in r.rules), r.rules


@pytest.mark.parametrize(("right", "verdict"), [
    ("Sum(x(i)^2 - 2*x(i)*m + m^2 + s^2, (i, 1, n))", Verdict.PROVED),
    ("Sum(x(i)^2 - 2*x(i)*m + m^2, (i, 1, n))", Verdict.REFUTED),
])
def test_a_sum_of_expectations_over_a_declared_normal(right, verdict) -> None:
    """Σ_i E_q[(x_i − μ)²] with q(μ) = N(m, s²) (Ormerod & Wand 2010, sec. 2.2.2): the
    expectation depends on the index, so the algebra never takes it out of the sum as a
    constant, and a wrong closed form (s² lost) is refuted exactly at n = 1, the expectation
    taken by the normal's moments there."""
    from elbo_derivation.decide.tiers import reduce_algebra

    head = ("symbols: i : integer\nsymbols: n : positive integer\nsymbols: m : real\n"
            "symbols: s : positive\nfunctions: x(i) : real\ndensities: q(mu) = N(m, s^2)\n")
    d = parse_derivation(head + f"    Sum(E[(x(i) - mu)^2, mu ~ q(mu)], (i, 1, n))\n  = {right}\n")
    r = decide_step(d, d.steps[0])
    assert r.verdict is verdict, r
    gap, _ = reduce_algebra(d.start - d.steps[0].expr)
    i = sp.Symbol("i", integer=True)
    assert not any(t.has(i) and not isinstance(t, sp.Sum)
                   for t in sp.Add.make_args(gap) for t in sp.Mul.make_args(t))
