"""The notation a textbook prints, read in LaTeX and in ``.deriv`` (and decided end to end
where the engine already has the mathematics)."""

from __future__ import annotations

import re

import pytest
import sympy as sp

from elbo_derivation.core.expectation import KL, Expectation
from elbo_derivation.decide.engine import check_derivation, check_steps
from elbo_derivation.errors import DerivationSyntaxError
from elbo_derivation.read.deriv import parse_derivation
from elbo_derivation.read.tex import latex_to_sympy

x, z, mu = sp.symbols("x z mu", real=True)
sigma, lam, alpha = sp.symbols("sigma lambda alpha", positive=True)
k = sp.Symbol("k", integer=True, nonnegative=True)
n = sp.Symbol("n", integer=True, positive=True)
j = sp.Symbol("j", integer=True)
J = sp.Symbol("J", integer=True, positive=True)
ell, h, h_1 = sp.symbols("ell h h_1", real=True)
q = sp.Function("q(z|x)", positive=True)(z, x)
p = sp.Function("p(z)", positive=True)(z)
qh = sp.Function("q(h|x)", positive=True)(h, x)
S = {"x": x, "z": z, "mu": mu, "sigma": sigma, "lambda": lam, "alpha": alpha, "k": k,
     "n": n, "j": j, "J": J, "ell": ell, "h": h, "h_1": h_1}
F = {"q(z|x)": q, "p(z)": p}


def read(text: str, functions: dict | None = None) -> sp.Expr:
    return latex_to_sympy(text, symbols=S, functions=F if functions is None else functions)


def gauss(v, m, var):
    return sp.exp(-(v - m) ** 2 / (2 * var)) / sp.sqrt(2 * sp.pi * var)


@pytest.mark.parametrize("text,expected", [
    (r"\mathrm{KL}(q(z|x) \,\|\, p(z))", KL(q, p, z)),
    (r"D_{\mathrm{KL}}(q(z|x)\|p(z))", KL(q, p, z)),
    (r"D_{KL}\left(q(z|x) \Vert p(z)\right)", KL(q, p, z)),
    (r"|x - \mu|", sp.Abs(x - mu)),
    (r"\exp(-|x - \mu| / \sigma)", sp.exp(-sp.Abs(x - mu) / sigma)),
    (r"\Gamma(\alpha)", sp.gamma(alpha)),
    (r"\log \Gamma(\alpha) + k!", sp.log(sp.gamma(alpha)) + sp.factorial(k)),
    (r"\binom{n}{k}", sp.binomial(n, k)),
    (r"\mathcal{N}(x; \mu, \sigma^2)", gauss(x, mu, sigma**2)),
    (r"\operatorname{Var}_{q(z|x)}[z]",
     Expectation((z - Expectation(z, z, q)) ** 2, z, q)),
    (r"\mathbb{E}_{q(z|x)}[z^2]", Expectation(z**2, z, q)),
    (r"2\ell + 1", 2 * ell + 1),
    (r"\int x^2 dx", sp.Integral(x**2, (x, -sp.oo, sp.oo))),
    (r"\sum_{k=0}^{\infty} \frac{\lambda^k}{k!}",
     sp.Sum(lam**k / sp.factorial(k), (k, 0, sp.oo))),
    (r"\sum_{j=1}^{J} (1 + \log j) + 2", sp.Sum(1 + sp.log(j), (j, 1, J)) + 2),
    (r"\prod_{k=1}^{n} k", sp.Product(k, (k, 1, n))),
    (r"x^n", x**n),
])
def test_textbook_latex(text, expected):
    assert read(text) == expected


def test_a_declared_density_at_another_point():
    assert read(r"q(h_1|x)", {"q(h|x)": qh}) == qh.func(h_1, x)
    # with two densities of that shape, the copy's name says which one is meant
    assert read(r"q(h_1|x)", {"q(h|x)": qh, "q(z|x)": q}) == qh.func(h_1, x)
    # a density at a point that is no copy of its variable is another density (textbooks
    # overload p: p(x) and p(z) differ): refused rather than guessed
    with pytest.raises(DerivationSyntaxError, match="not a declared density"):
        read(r"p(x)")


def test_a_sum_over_a_declared_range():
    from elbo_derivation.decide.engine import check_derivation
    from elbo_derivation.read.tex import parse_tex_derivation

    head = ("symbols: N : positive integer\nsymbols: i : integer [1, N]\n"
            "symbols: x : vector(N) positive\n")
    d = parse_derivation(head + "Sum(log(x[i]), i)\n= log(Product(x[i], i))")
    i_, n_, x_ = d.symbols["i"], d.symbols["N"], d.declarations.indexed["x"]
    assert d.start == sp.Sum(sp.log(x_[i_]), (i_, 1, n_))
    assert d.declarations.intervals["i"] == sp.Interval(1, n_) and i_.is_positive
    t = parse_tex_derivation("% " + head.replace("\n", "\n% ").rstrip("% ")
                             + "\\begin{align*}\n\\log \\prod_i x_i &= \\sum_i \\log x_i\n"
                             "\\end{align*}\n")
    assert t.start == sp.log(sp.Product(x_[i_], (i_, 1, n_)))
    assert [s.verdict.value for s in check_derivation(t).steps] == ["proved"]


@pytest.mark.parametrize("text,words", [
    (r"\prod_i x", "needs its range"),
    (r"\sum_{\mu=1}^{J} \mu", "must be declared an integer"),
])
def test_notation_refused_with_guidance(text, words):
    with pytest.raises(DerivationSyntaxError, match=words):
        read(text)


def test_deriv_sums_products_and_special_functions():
    d = parse_derivation("symbols: lam : positive\nsymbols: k, n : nonnegative integer\n"
                         "Sum(lam^k/factorial(k), (k, 0, oo)) + Product(k, (k, 1, n))\n"
                         "= exp(lam) + gamma(n + 1) + binomial(n, 0) - 1")
    lam_, k_, n_ = (d.symbols[s] for s in ("lam", "k", "n"))
    assert d.start == (sp.Sum(lam_**k_ / sp.factorial(k_), (k_, 0, sp.oo))
                       + sp.Product(k_, (k_, 1, n_)))
    with pytest.raises(DerivationSyntaxError, match=r"2:22: the index 'x' of Sum must be"):
        parse_derivation("symbols: x : real\nSum(1/factorial(x), (x, 0, oo))\n= 1")
    d = parse_derivation("symbols: h, h1, x : real\ndensities: q(h|x)\nq(h1|x)\n= q(h1|x)")
    assert d.start == d.functions["q(h|x)"].func(d.symbols["h1"], d.symbols["x"])


@pytest.mark.parametrize("chain,symbols,assumptions,verdict", [
    ([r"$\sum_{k=0}^{\infty} \frac{\lambda^k}{k!}$", r"$e^{\lambda}$"], "lambda, k",
     {"lambda": "positive", "k": "nonnegative integer"}, "proved"),
    ([r"$\sum_{k=0}^{\infty} \frac{\lambda^k}{k!}$", r"$e^{2\lambda}$"], "lambda, k",
     {"lambda": "positive", "k": "nonnegative integer"}, "refuted"),
    ([r"$\int x \mathcal{N}(x; \mu, \sigma^2) dx$", r"$\mu$"], "x, mu, sigma",
     {"sigma": "positive"}, "proved"),
    ([r"$\Gamma(\alpha + 1)$", r"$\alpha \Gamma(\alpha)$"], "alpha", {"alpha": "positive"},
     "proved"),
    ([r"$|x - \mu|^2$", r"$(x-\mu)^2$"], "x, mu", {}, "proved"),
])
def test_decided_end_to_end(chain, symbols, assumptions, verdict):
    d = check_steps(chain, symbols=symbols, assumptions=assumptions)
    assert d.steps[0].verdict.value == verdict


def test_deriv_variance_is_the_same_node_as_latex():
    d = parse_derivation("symbols: x, z : real\ndensities: q(z|x)\nVar[z, z ~ q(z|x)]\n"
                         "= $\\operatorname{Var}_{q(z|x)}[z]$")
    assert d.start == d.steps[0].expr
    assert d.start == Expectation((d.symbols["z"] - Expectation(d.symbols["z"], d.symbols["z"],
                                                                d.functions["q(z|x)"])) ** 2,
                                  d.symbols["z"], d.functions["q(z|x)"])


@pytest.mark.parametrize("text,expected", [
    (r"\mathcal{N}(x \mid \mu, \sigma^2)", gauss(x, mu, sigma**2)),          # Bishop
    (r"\mathcal{N}\left(x \middle| \mu, \sigma^2\right)", gauss(x, mu, sigma**2)),
    (r"\mathbb{E}_{q(z \mid x)}[z]", Expectation(z, z, q)),
    (r"E_{q(z|x)}[z^2]", Expectation(z**2, z, q)),                          # a plain E
    (r"E_{z \sim q(z|x)}[z]", Expectation(z, z, q)),
    (r"D_{\mathrm{KL}}[q(z|x) \,\|\, p(z)]", KL(q, p, z)),                   # square brackets
    (r"\operatorname{log}(x^2) + \mathrm{exp}\,x", sp.log(x**2) + sp.exp(x)),
    (r"\left|x - \mu\right| + 1", sp.Abs(x - mu) + 1),
])
def test_more_textbook_latex(text, expected):
    assert read(text) == expected


@pytest.mark.parametrize("text,words,never", [
    # a plain E without a density: how to write it, never "declare E" (E[x] would be a product)
    (r"E[z]", r"needs its density", "symbols: E"),
    (r"\operatorname{exp}", "", "densities: exp"),
    # a d between two names under an integral: refused, never read as a product of a
    # declared d (with no integral on the line, μ d z is the product, see test_derivatives)
    (r"\int_0^1 \mu d z\, dz", "ambiguous", "symbols: d"),
    # a copy of a density's variable that is not declared: how to declare it, as h is
    (r"\log q(h_2|x)", "'% symbols: h_2 : real'", "not a declared density"),
])
def test_ambiguous_or_unknown_latex_is_refused_with_how_to_write_it(text, words, never):
    symbols = {**S, "d": sp.Symbol("d", real=True)}
    with pytest.raises(DerivationSyntaxError) as err:
        latex_to_sympy(text, symbols=symbols, functions={**F, "q(h|x)": qh})
    assert words in str(err.value) and never not in str(err.value)


def test_a_family_density_at_a_copy_of_its_variable():
    from elbo_derivation.read.tex import parse_tex_derivation

    d = parse_tex_derivation("% symbols: x, z, z_1 : real\n% densities: q(z|x) = N(x, 1)\n"
                             "\\begin{align*}\nq(z_1|x) &= \\mathcal{N}(z_1; x, 1)\n"
                             "\\end{align*}\n")
    assert sp.simplify(d.start - d.steps[0].expr) == 0
    assert d.start.has(d.symbols["z_1"]) and not d.start.has(d.symbols["z"])


@pytest.mark.parametrize("line,words", [
    ("e^x", "Euler's number is written E"),
    ("Integral(exp(-x^2), x)", "Integral(f, (x, -oo, oo))"),
    # (a draw from a family, E[x, x ~ N(mu, 1)] or E[x, x ~ Laplace(mu, 1)], is read:
    # tests/test_read_notation.py, tests/test_math_family_draws.py; a family outside a draw
    # is not a density)
    ("x*Laplace(mu, 1)", "densities: p(x) = Laplace(...)"),
])
def test_deriv_refuses_with_how_to_write_it(line, words):
    with pytest.raises(DerivationSyntaxError, match=re.escape(words)):
        parse_derivation(f"symbols: x, mu : real\n  {line}\n= 0\n", file="t.deriv")


def test_deriv_factorial_as_printed():
    d = parse_derivation("symbols: n : nonnegative integer\n  (n + 1)!\n= (n + 1)*n!\n")
    assert d.start == sp.factorial(d.symbols["n"] + 1)
    assert [s.verdict.value for s in check_derivation(d).steps] == ["proved"]


def test_a_prime_without_its_argument_is_refused_with_how_to_write_it():
    with pytest.raises(DerivationSyntaxError, match=r"f'\(x\)") as err:
        read("h' + 1")
    assert "x_1" in str(err.value)


def test_tex_undeclared_e_before_a_bracket_is_eulers_number_times_it():
    # Cover & Thomas print the Gaussian entropy as (1/2) log 2 pi e (P + N): an undeclared e
    # is Euler's number, so e(P + N) is e times the bracket, never an undeclared function
    P, N = sp.symbols("P N", positive=True)
    read_e = latex_to_sympy(r"\frac{1}{2}\log 2\pi e(P+N)", symbols={"P": P, "N": N})
    assert sp.simplify(read_e - sp.log(2 * sp.pi * sp.E * (P + N)) / 2) == 0
    # a declared e stays the declared symbol: then e(P + N) needs no guess either
    e = sp.Symbol("e", positive=True)
    assert latex_to_sympy(r"e(P+N)", symbols={"P": P, "N": N, "e": e}) == e * (P + N)
    # and a bracket with commas after an undeclared e is still refused, with how to declare
    with pytest.raises(DerivationSyntaxError):
        latex_to_sympy(r"e(P, N)", symbols={"P": P, "N": N})
