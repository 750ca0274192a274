# ruff: noqa: E501  (derivations written out as a book prints them)
r"""More of the notation books and papers print, read as the mathematics it means.

Each was refused (or, for ``\int dt\, f(t)``, misread) before: plain TeX's ``{a \over b}`` and
``{n \choose k}``; ``\lbrack``/``\rbrack``, ``\lbrace``/``\rbrace``; the fractions of xfrac,
nicefrac and amsmath's ``\cfrac``; the Euclidean norm's subscript, ``\|v\|_2``; an expectation
raised to a power, ``\mathbb{E}[t]^2``; ``\mathrm{Var}(t)``, ``\operatorname{var}[t]`` without a
subscript; ``\langle f \rangle_{r}``; ``\underset{t \sim r}{\mathbb{E}}``; ``\mathop{\mathbb{E}}``;
``\int_{\mathbb{R}}``; an integral with its differential first (physics' order); ``\partial_a
f``; ``\max``/``\min``; ``\operatorname{erf}`` and Φ; a remark after a ``\quad`` that holds
mathematics. The letters are not the notes'. The last tests check that a wrong step in the new
notation is still refuted, and that what stays ambiguous is still refused.
"""

from __future__ import annotations

import pytest
import sympy as sp

from elbo_derivation.errors import DerivationSyntaxError
from elbo_derivation.pipeline import check_derivation
from elbo_derivation.read.tex import latex_to_sympy, parse_tex_derivation

a, b = sp.symbols("a b", real=True)
g = sp.Symbol("gamma", positive=True)
SYMBOLS = {"a": a, "b": b, "gamma": g}


def read(latex: str) -> sp.Expr:
    return latex_to_sympy(latex, symbols=SYMBOLS, functions={})


@pytest.mark.parametrize(("written", "known"), [
    (r"{a \over \gamma}", r"\frac{a}{\gamma}"),
    (r"{1\over 2} a", r"\frac{1}{2} a"),
    (r"e^{a \over 2}", r"e^{\frac{a}{2}}"),
    (r"{5 \choose 2}", r"\binom{5}{2}"),
    (r"\gamma \lbrack a + b \rbrack", r"\gamma [a + b]"),
    (r"\exp\lbrace a \rbrace", r"\exp\{a\}"),
    (r"\sfrac{a}{2}", r"\frac{a}{2}"),
    (r"\nicefrac{a}{\gamma}", r"\frac{a}{\gamma}"),
    (r"\cfrac{1}{1 + \cfrac{1}{\gamma}}", r"\frac{1}{1 + \frac{1}{\gamma}}"),
    (r"\max(a, b)", r"\max\{a, b\}"),
])
def test_plain_tex_and_package_spellings(written: str, known: str) -> None:
    assert sp.simplify(read(written) - read(known)) == 0


def test_max_and_min_are_the_largest_and_smallest_value() -> None:
    assert read(r"\max(a, b, 0)") == sp.Max(a, b, 0)
    assert read(r"\min\left(a, \gamma\right)") == sp.Min(a, g)
    with pytest.raises(DerivationSyntaxError, match=r"two or more values"):
        read(r"\max(a)")


def test_erf_and_the_standard_normal_distribution_function() -> None:
    assert read(r"\operatorname{erf}(a)") == sp.erf(a)
    assert sp.simplify(read(r"\Phi(a)") - (1 + sp.erf(a / sp.sqrt(2))) / 2) == 0
    # a declared Φ is the author's own: never the distribution function
    phi = sp.Symbol("Phi", real=True)
    assert latex_to_sympy(r"\Phi \cdot a", symbols={**SYMBOLS, "Phi": phi}) == phi * a


def _tex(rows: str, header: str = "") -> object:
    head = ("% symbols: m : real\n% symbols: s, gamma : positive\n"
            "% densities: r(t) = \\mathcal{N}(m, s^2)\n" + header)
    return parse_tex_derivation(head + "\\begin{align*}\n" + rows + "\n\\end{align*}\n",
                                file="n.tex")


def _sides(rows: str, header: str = "") -> list[sp.Expr]:
    d = _tex(rows, header)
    return [d.start, *(s.expr for s in d.steps)]


@pytest.mark.parametrize("written", [
    r"\mathbb{E}_{r(t)}[t]^2",
    r"\mathbb{E}[t]^{2}",
    r"\left(\left\langle t \right\rangle_{r}\right)^{2}",
    r"\left(\underset{t \sim r(t)}{\mathbb{E}}\left[t\right]\right)^2",
    r"\left(\mathop{\mathbb{E}}_{t \sim r(t)}[t]\right)^2",
    r"\left(\int_{\mathbb{R}} t \, r(t) \, dt\right)^2",
    r"\left(\int dt \, r(t)\, t\right)^2",
])
def test_spellings_of_a_squared_mean(written: str) -> None:
    d = check_derivation(_tex(written + r" &= m^2"))
    assert d.steps[0].verdict.value == "proved"


@pytest.mark.parametrize("written", [
    r"\mathrm{Var}(t)", r"\operatorname{var}[t]", r"\mathbb{V}[t]",
    r"\operatorname{Var}_{r(t)}\left(t\right)",
])
def test_variance_spellings(written: str) -> None:
    d = check_derivation(_tex(written + r" + \mathbb{E}[t]^2 &= s^2 + m^2"))
    assert d.steps[0].verdict.value == "proved"


def test_a_declared_var_stays_a_name() -> None:
    d = _tex(r"\mathrm{var} + 1 &= 1 + \mathrm{var}", header="% symbols: \\mathrm{var} : real\n")
    assert d.start == d.steps[0].expr and len(d.start.free_symbols) == 1


def test_an_integral_with_its_differential_first_binds_its_variable() -> None:
    # \int dt r(t) t is E[t] = m; read as (\int dt)·r(t)·t it was a different expression
    start, _ = _sides(r"\int dt \, r(t)\, t &= m")
    assert isinstance(start, sp.Integral) and not (start.free_symbols - {sp.Symbol("m", real=True), sp.Symbol("s", positive=True)})
    # alone, \int_0^1 dt is still the integral of 1
    assert read(r"\int_0^1 da") == sp.Integral(1, (a, 0, 1))


def test_partial_with_a_subscript_is_the_partial_derivative() -> None:
    assert read(r"\partial_a (a^2 b)").doit() == 2 * a * b
    assert read(r"\partial_{a} \frac{1}{2}(a - b)^2").doit().expand() == (a - b).expand()


def test_the_two_norm_subscript() -> None:
    d = _tex(r"\|v - w\|_2^2 &= \|v - w\|^2",
             header="% symbols: D : positive integer\n% symbols: v, w : vector(D) real\n")
    assert d.start == d.steps[0].expr


@pytest.mark.parametrize(("row", "remark"), [
    (r"\frac{\gamma^2}{\gamma} &= \gamma \quad \forall \gamma > 0", r"\forall \gamma > 0"),
    (r"\mathbb{E}[t^2] &= s^2 + m^2 \quad (\text{since } \mathbb{V}[t] = s^2)",
     r"(since \mathbb{V}[t] = s^2)"),
    (r"\gamma + 0 &= \gamma \qquad \mathrm{for} \ \gamma > 0", None),
])
def test_a_remark_after_a_quad_is_the_justification(row: str, remark: str | None) -> None:
    d = _tex(row)
    assert len(d.steps) == 1
    if remark is not None:
        assert d.steps[0].justification == remark
    assert check_derivation(d).steps[0].verdict.value == "proved"


@pytest.mark.parametrize("wrong", [
    r"\mathbb{E}_{r(t)}[t]^2 &= m",
    r"\left(\int dt \, r(t)\, t\right)^2 &= m^2 + s^2",
    r"\left\langle t^2 \right\rangle_{r} &= m^2",
    r"\mathrm{Var}(t) &= s",
    r"{s^2 \over 2} &= s^2",
    r"\underset{t \sim r(t)}{\mathbb{E}}[t^2] &= s^2",
    r"\partial_{s} \log s &= s",
    r"\max(m, m + s) &= m",
    r"\frac{\gamma^2}{\gamma} &= 2\gamma \quad \forall \gamma > 0",
])
def test_a_wrong_step_in_the_new_notation_is_refuted(wrong: str) -> None:
    d = check_derivation(_tex(wrong))
    assert d.steps[0].verdict.value == "refuted"


def test_what_stays_ambiguous_is_refused() -> None:
    # an expectation with no bracket: its extent is not printed
    with pytest.raises(DerivationSyntaxError):
        _tex(r"\mathbb{E}_{r(t)} t^2 &= s^2 + m^2")
    # an inner product is not an expectation
    with pytest.raises(DerivationSyntaxError):
        _tex(r"\langle a, b \rangle &= a b", header="% symbols: a, b : real\n")


def _pois(rows: str) -> object:
    head = ("% symbols: \\lambda, \\tau : positive\n% symbols: j : nonnegative integer\n"
            "% densities: w(j) = \\mathrm{Poisson}(\\lambda)\n% densities: v(t) = \\mathcal N(0, \\tau)\n")
    return parse_tex_derivation(head + "\\begin{align*}\n" + rows + "\n\\end{align*}\n",
                                file="e.tex")


@pytest.mark.parametrize(("row", "verdict"), [
    (r"H[v(t)] &= \frac{1}{2}\log(2\pi e \tau)", "proved"),
    (r"\mathcal{H}\left[v\right] &= \frac{1}{2}\log(2\pi e \tau)", "proved"),
    (r"\mathbb{H}(v(t)) &= \frac{1}{2}\log(2\pi \tau)", "refuted"),
    (r"\sum_{j \geq 0} j \, w(j) &= \lambda", "proved"),
    (r"\sum_{j \ge 1} w(j) &= 1", "refuted"),
])
def test_entropy_in_square_brackets_and_a_sum_from_a_lower_end(row: str, verdict: str) -> None:
    d = check_derivation(_pois(row))
    assert d.steps[0].verdict.value == verdict


def test_a_declared_H_before_a_square_bracket_multiplies_it() -> None:
    d = _tex(r"H[a + 1] &= H a + H", header="% symbols: H, a : real\n")
    assert check_derivation(d).steps[0].verdict.value == "proved"
