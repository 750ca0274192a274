# ruff: noqa: E501  (derivations written out as a book prints them)
r"""Textbook spellings of the same mathematics read as the same expressions.

Each notation here was found refused by ``benchmarks/notation_variants.py`` (a
meaning-preserving rewrite of a correct corpus file made it unreadable). Every test writes
the notation with letters of its own, unlike the corpus files, and compares the reading with
the reading of the spelling the reader already knew; the last tests check that the new
spellings did not make anything else readable with another meaning.
"""

from __future__ import annotations

import pytest
import sympy as sp

from elbo_derivation.core.steps import Relation
from elbo_derivation.errors import DerivationSyntaxError
from elbo_derivation.read.tex import latex_to_sympy, parse_tex_derivation

u, w = sp.symbols("u w", real=True)
k = sp.Symbol("kappa", positive=True)
SYMBOLS = {"u": u, "w": w, "kappa": k}
r_uw = sp.Function("r(u|w)", positive=True)(u, w)
s_u = sp.Function("s(u)", positive=True)(u)
FUNCTIONS = {"r(u|w)": r_uw, "s(u)": s_u}


def read(latex: str) -> sp.Expr:
    return latex_to_sympy(latex, symbols=SYMBOLS, functions=FUNCTIONS)


def same(a: str, b: str) -> None:
    assert sp.srepr(read(a)) == sp.srepr(read(b))


@pytest.mark.parametrize("variant", [
    r"\text{KL}\left(r(u|w) \,\|\, s(u)\right)",          # the operator set with \text
    r"\mathrm{KL}(r(u|w) || s(u))",                       # two plain bars
    r"\mathrm{KL}(r(u \vert w) \,\|\, s(u))",              # \vert as the conditioning bar
])
def test_kl_spellings(variant: str) -> None:
    same(variant, r"\mathrm{KL}(r(u|w) \,\|\, s(u))")


def test_vert_is_the_conditioning_bar_of_a_density() -> None:
    same(r"\log r(u \vert w)", r"\log r(u|w)")


@pytest.mark.parametrize("variant", [
    r"\mathbf{E}_{r(u|w)}\left[u^2 \kappa\right]",
    r"\mathbb{E}_{r(u|w)}\left(u^2 \kappa\right)",          # round brackets
    r"\mathbb{E}_{u \sim r(u|w)}\{u^2 \kappa\}",           # braces
    r"\mathsf{E}_{r(u|w)}[u^2 \kappa]",
])
def test_expectation_spellings(variant: str) -> None:
    same(variant, r"\mathbb{E}_{r(u|w)}\left[u^2 \kappa\right]")


def test_bold_E_before_nothing_is_not_an_expectation() -> None:
    # \mathbf{E} not followed by a bracket or a density subscript stays a name (undeclared)
    with pytest.raises(DerivationSyntaxError):
        read(r"\mathbf{E} + u")


@pytest.mark.parametrize(("variant", "plain"), [
    (r"\sum\limits_{j=1}^{M} a_j", r"\sum_{j=1}^{M} a_j"),
    (r"\int\limits_{0}^{\kappa} u \mathop{}\!\mathrm{d}u", r"\int_{0}^{\kappa} u \, du"),
    (r"\int\nolimits_{0}^{\kappa} u^2 \,du", r"\int_{0}^{\kappa} u^2 \, du"),
])
def test_limits_and_mathop_are_typesetting(variant: str, plain: str) -> None:
    j = sp.Symbol("j", integer=True)
    m = sp.Symbol("M", integer=True, positive=True)
    a = sp.Function("a")
    syms = {**SYMBOLS, "j": j, "M": m}
    kw = {"symbols": syms, "functions": FUNCTIONS}
    if "a_j" in plain:
        from elbo_derivation.read.declarations import Declarations

        decl = Declarations()
        decl.declare_symbols("j : integer", 1, 1)
        decl.declare_symbols("M : positive integer", 1, 1)
        decl.declare_functions("a_j : real", 1, 1)
        kw = {"symbols": decl.symbols, "functions": decl.functions, "indexed": decl.indexed}
    del a
    assert sp.srepr(latex_to_sympy(variant, **kw)) == sp.srepr(latex_to_sympy(plain, **kw))


def _tex(rows: str, header: str = "% symbols: u, w : real\n% symbols: kappa : positive\n"
         ) -> list:
    d = parse_tex_derivation(header + rows, file="v.tex")
    return [d.start, *[(s.relation, s.expr) for s in d.steps]]


def test_bold_bm_and_braced_transpose() -> None:
    header = "% symbols: D : positive integer\n% symbols: v, m : vector(D) real\n"
    plain = _tex("\\begin{align*}\n(v - m)^\\top (v - m) &= v^\\top v - 2 m^\\top v + m^\\top m\n"
                 "\\end{align*}\n", header)
    for variant in (
            "(\\bm{v} - \\bm{m})^{T} (\\bm{v} - \\bm{m}) &= \\bm{v}^{T} \\bm{v} - 2 \\bm{m}^T \\bm{v} "
            "+ \\bm{m}^{T}\\bm{m}",):
        got = _tex("\\begin{align*}\n" + variant + "\n\\end{align*}\n", header)
        assert [sp.srepr(e) for e in map(str, got)] == [sp.srepr(e) for e in map(str, plain)]


def test_braced_T_is_a_power_where_T_is_declared() -> None:
    t = sp.Symbol("T", positive=True)
    assert latex_to_sympy("u^{T}", symbols={**SYMBOLS, "T": t}) == u**t


def test_relation_before_the_alignment_point_and_punctuation() -> None:
    plain = _tex("\\begin{align*}\n\\log (\\kappa w^2) &= \\log \\kappa + \\log w^2 \\\\\n"
                 "&= \\log \\kappa + 2\\log |w|\n\\end{align*}\n")
    for rows in (
            "\\log (\\kappa w^2) =& \\log \\kappa + \\log w^2 \\\\\n=& \\log \\kappa + 2\\log |w|",
            "\\log (\\kappa w^2) &= \\log \\kappa + \\log w^2, \\\\\n&= \\log \\kappa + 2\\log |w|.",
            "\\log (\\kappa w^2) &= \\log \\kappa + \\log w^2 ,\\quad \\text{(a product)} \\\\\n"
            "&= \\log \\kappa + 2\\log |w| \\; .",
    ):
        got = _tex("\\begin{align*}\n" + rows + "\n\\end{align*}\n")
        assert got == plain
        assert got[1][0] is Relation.EQ


def test_text_KL_without_a_bracket_stays_a_remark() -> None:
    d = parse_tex_derivation(
        "% symbols: u : real\n\\begin{align*}\nu + u &= 2u && \\text{KL} \\\\\n"
        "&= 2u \\quad \\text{(by the KL)}\n\\end{align*}\n", file="v.tex")
    assert d.steps[0].justification == "KL"
    assert d.steps[1].expr == 2 * u


def test_a_comma_inside_the_maths_is_still_refused() -> None:
    with pytest.raises(DerivationSyntaxError):
        parse_tex_derivation("% symbols: u, w : real\n\\begin{align*}\nu &= u, w\n"
                             "\\end{align*}\n", file="v.tex")


@pytest.mark.parametrize("variant", [
    r"\mathrm{E}_{\eta \sim \mathcal{N}(0, 1)}\left[(u + \kappa\eta)^2\right]",
    r"\operatorname{E}_{\eta \sim \mathcal{N}\left(0, 1\right)}\left[(u + \kappa\eta)^2\right]",
    r"\mathbb{E}_{\eta \sim \mathcal{N}\bigl(0, 1\bigr)}\left[(u + \kappa\eta)^2\right]",
    r"\mathbb{E}_{\eta \sim \mathcal{N}\!(0, 1)}\left[(u + \kappa\eta)^2\right]",
])
def test_a_draw_declares_its_variable_in_every_spelling(variant: str) -> None:
    header = "% symbols: u : real\n% symbols: kappa : positive\n"
    plain = _tex("\\begin{align*}\n\\mathbb{E}_{\\eta \\sim \\mathcal{N}(0, 1)}\\left[(u + "
                 "\\kappa\\eta)^2\\right] &= u^2 + \\kappa^2\n\\end{align*}\n", header)
    got = _tex("\\begin{align*}\n" + variant + " &= u^2 + \\kappa^2\n\\end{align*}\n", header)
    assert got == plain


def test_iterated_expectation_in_round_brackets() -> None:
    header = "% symbols: u, w : real\n% densities: s(w), r(u|w)\n"
    square = _tex("\\begin{align*}\n\\mathbb{E}_{w \\sim s(w)}\\mathbb{E}_{u \\sim r(u|w)}"
                  "\\left[u w\\right] &= 0\n\\end{align*}\n", header)
    round_ = _tex("\\begin{align*}\n\\mathbb{E}_{w \\sim s(w)}\\mathbb{E}_{u \\sim r(u|w)}"
                  "\\left(u w\\right) &= 0\n\\end{align*}\n", header)
    assert round_ == square


def test_simeq_with_one_unbraced_variable() -> None:
    rows = "\\begin{align*}\n\\kappa u^2 + w &\\simeq_{u} \\kappa u^2\n\\end{align*}\n"
    a = parse_tex_derivation("% symbols: u, w : real\n% symbols: kappa : positive\n" + rows,
                             file="v.tex")
    b = parse_tex_derivation("% symbols: u, w : real\n% symbols: kappa : positive\n"
                             + rows.replace("_{u}", "_u"), file="v.tex")
    assert a.steps[0].wrt == b.steps[0].wrt == ("u",)
    assert b.steps[0].relation is Relation.EQ_UP_TO


def test_doubled_bars_are_a_norm_single_bars_a_product() -> None:
    same(r"\frac{||u - w||^2}{\kappa}", r"\frac{\|u - w\|^2}{\kappa}")
    assert read(r"|u||w|") == sp.Abs(u) * sp.Abs(w)


def test_norm_of_a_vector_with_doubled_bars() -> None:
    header = "% symbols: D : positive integer\n% symbols: v : vector(D) real\n"
    a = _tex("\\begin{align*}\n||v||^2 &= v^\\top v\n\\end{align*}\n", header)
    b = _tex("\\begin{align*}\n\\|v\\|^2 &= v^\\top v\n\\end{align*}\n", header)
    assert a == b


def test_expectation_in_round_brackets_of_a_norm_and_a_nested_subscript() -> None:
    header = ("% symbols: D : positive integer\n% symbols: v : vector(D) real\n"
              "% densities: s_{\\mathrm{mod}}(v)\n")
    a = _tex("\\begin{align*}\n\\mathbf{E}_{s_{\\mathrm{mod}}(v)}\\left(\\|v\\|^2\\right) &= "
             "\\mathbb{E}_{s_{\\mathrm{mod}}(v)}\\left[v^\\top v\\right]\n\\end{align*}\n", header)
    b = _tex("\\begin{align*}\n\\mathbb{E}_{s_{\\mathrm{mod}}(v)}\\left[\\|v\\|^2\\right] &= "
             "\\mathbb{E}_{s_{\\mathrm{mod}}(v)}\\left[v^\\top v\\right]\n\\end{align*}\n", header)
    assert a == b


def test_log_of_a_product_sign_takes_the_function_after_it() -> None:
    header = ("% symbols: M : positive integer\n% symbols: j : integer\n"
              "% symbols: kappa : positive\n% functions: y_j : real\n")
    a = _tex("\\begin{align*}\n\\log\\prod_{j=1}^{M}\\kappa \\exp(-\\kappa y_j) &= 0\n"
             "\\end{align*}\n", header)
    b = _tex("\\begin{align*}\n\\log\\prod_{j=1}^{M}\\kappa e^{-\\kappa y_j} &= 0\n"
             "\\end{align*}\n", header)
    assert a == b
    assert isinstance(a[0], sp.log) and isinstance(a[0].args[0], sp.Product)
