r"""The LaTeX reader: expressions, whole .tex derivations, the notes' own LaTeX, errors."""

from __future__ import annotations

import builtins
import importlib.resources
from pathlib import Path

import pytest
import sympy as sp

from elbo_derivation.core.expectation import KL, Expectation
from elbo_derivation.core.steps import Relation
from elbo_derivation.errors import DerivationSyntaxError
from elbo_derivation.read.tex import (
    latex_to_sympy,
    parse_tex_derivation,
    read_tex_derivation,
)

DATA = Path(__file__).parent / "data"

x, z, mu1, mu2, g = sp.symbols("x z mu_1 mu_2 g", real=True)
mu = sp.Symbol("mu1", real=True)
s1, s2, h, C, Z1 = sp.symbols("sigma_1 sigma_2 h C Z_1", positive=True)
sigma2 = sp.Symbol("sigma2", positive=True)
x_hat = sp.Symbol("x_hat", real=True)
SYMBOLS = {str(s): s for s in (x, z, mu1, mu2, g, s1, s2, h, C, Z1, x_hat)}
q = sp.Function("q(z|x)", positive=True)(z, x)
p_z = sp.Function("p(z)", positive=True)(z)
p_xz = sp.Function("p(x|z)", positive=True)(x, z)
FUNCTIONS = {"q(z|x)": q, "p(z)": p_z, "p(x|z)": p_xz, "h(x)": h, "g(x)": g}


def read(text: str, **kw: object) -> sp.Expr:
    return latex_to_sympy(text, symbols=kw.pop("symbols", SYMBOLS),  # type: ignore[arg-type]
                          functions=kw.pop("functions", FUNCTIONS), **kw)  # type: ignore[arg-type]


def error(text: str, **kw: object) -> DerivationSyntaxError:
    with pytest.raises(DerivationSyntaxError) as info:
        read(text, **kw)
    return info.value


@pytest.mark.parametrize(("latex", "expected"), [
    (r"\frac{1}{2}", sp.Rational(1, 2)),
    (r"\dfrac{1}{2} + \tfrac{1}{3}", sp.Rational(5, 6)),
    (r"\frac12", sp.Rational(1, 2)),
    (r"\frac123", sp.Rational(3, 2)),  # LaTeX: \frac{1}{2} 3
    (r"0.5", sp.Rational(1, 2)),
    (r"\sqrt{2\pi\sigma_1^2}", sp.sqrt(2 * sp.pi * s1**2)),
    (r"\sqrt[3]{h}", h ** sp.Rational(1, 3)),
    (r"2\pi\sigma_1", 2 * sp.pi * s1),
    (r"2 \cdot \pi \times \sigma_1", 2 * sp.pi * s1),
    (r"h / 2 g", h * g / 2),
    (r"\sigma_1^2", s1**2),
    (r"\sigma_{1}^{2}", s1**2),
    (r"\mu_1", mu1),
    (r"x_{hat} - \hat{x} + \hat x", x_hat),
    (r"\left( h + 1 \right)^2", (h + 1) ** 2),
    (r"\left[ h \right] \{ g \} \bigl( z \bigr)", h * g * z),
    (r"{h}^{g}", h**g),
    (r"e^{-\frac{x^2}{2}}", sp.exp(-x**2 / 2)),
    (r"\exp\left(-\frac{(x - \mu_1)^2}{2\sigma_1^2}\right)", sp.exp(-(x - mu1) ** 2 / (2 * s1**2))),
    (r"\ln h", sp.log(h)),
    (r"\lvert x \rvert", sp.Abs(x)),
    (r"\pi + \infty", sp.oo),
    (r"-\,h + -g", -h - g),
    (r"C(x-\hat{x})^2", C * (x - x_hat) ** 2),
])
def test_expressions(latex: str, expected: sp.Expr) -> None:
    assert read(latex) == expected


@pytest.mark.parametrize(("latex", "expected"), [
    # the notes' meaning: \log takes the juxtaposed product that follows, up to + or -
    (r"\log 2\pi\sigma_1^2", sp.log(2 * sp.pi * s1**2)),
    (r"-\frac{1}{2}(\log 2\pi\sigma_1^2 + 1)", -(sp.log(2 * sp.pi * s1**2) + 1) / 2),
    (r"\frac{1}{2}\log 2\pi\sigma_2^2 - 1", sp.log(2 * sp.pi * s2**2) / 2 - 1),
    (r"\log \frac{\sigma_2}{\sigma_1}", sp.log(s2 / s1)),
    # a bracket right after \log is its whole argument
    (r"\log(h) g", g * sp.log(h)),
    (r"\log\left(2\pi\right) \sigma_1", s1 * sp.log(2 * sp.pi)),
    # explicit products belong to the argument; integrals, expectations and \log end it
    (r"\log h \cdot g", sp.log(h * g)),
    (r"\log 2 \cdot 3.14 \sigma_1^2 + 1", sp.log(2 * sp.Rational(314, 100) * s1**2) + 1),
    (r"\log h \cdot \int h dx", sp.log(h) * sp.Integral(h, (x, -sp.oo, sp.oo))),
    (r"\log h \, \log g", sp.log(h) * sp.log(g)),
    (r"\log \frac{1}{Z_1} \int h dx", sp.log(1 / Z1) * sp.Integral(h, (x, -sp.oo, sp.oo))),
    (r"\log \log h", sp.log(sp.log(h))),
    (r"\exp -h", None),
])
def test_log_reads_as_the_notes_mean_it(latex: str, expected: sp.Expr | None) -> None:
    if expected is None:
        error(latex)  # "\exp -h" needs a bracket: the sign is not part of a product
    else:
        assert read(latex) == expected


def test_names_map_to_whichever_spelling_is_declared() -> None:
    syms = {"mu1": mu, "sigma2": sigma2}
    assert latex_to_sympy(r"\mu_1 + \sigma_{2}", symbols=syms) == mu + sigma2
    assert latex_to_sympy(r"\mathrm{sigma2}", symbols=syms) == sigma2
    e = sp.Symbol("e", real=True)
    assert latex_to_sympy("e", symbols={}) == sp.E
    assert latex_to_sympy("e", symbols={"e": e}) == e


def test_integrals_with_and_without_limits() -> None:
    assert read(r"\int_{-\infty}^{\infty} x^2 \, dx") == sp.Integral(x**2, (x, -sp.oo, sp.oo))
    assert read(r"\int x^2 dx") == sp.Integral(x**2, (x, -sp.oo, sp.oo))
    assert read(r"\int^{1}_{0} z \mathrm{d}z") == sp.Integral(z, (z, 0, 1))
    assert read(r"\int_0^1 (x + 1) dx + 2") == sp.Integral(x + 1, (x, 0, 1)) + 2


def test_expectations_and_kl() -> None:
    want = Expectation(sp.log(q / p_z), z, q)
    assert read(r"\mathbb{E}_{q(z|x)} \left[\log \frac{q(z|x)}{p(z)} \right]") == want
    assert read(r"\mathbb{E}_{z \sim q(z|x)}[\log q(z|x) - \log p(z)]") == Expectation(
        sp.log(q) - sp.log(p_z), z, q)
    assert read(r"\mathbb{E}_{z \sim q}[z^2]") == Expectation(z**2, z, q)
    assert read(r"\mathbb{E}_{q}[z]") == Expectation(z, z, q)
    # KL(q, p) is the KL node of every front end, whose definition is the notes' E_q[log q/p]
    # (§2), whatever the spelling
    for spelling in (r"KL(q(z|x), p(z))", r"\mathrm{KL}(q(z|x),p(z))",
                     r"\operatorname{KL}\left(q(z|x), p(z)\right)", r"D_{\mathrm{KL}}(q, p)",
                     r"\mathrm{KL}(q(z|x) \,\|\, p(z))", r"D_{\mathrm{KL}}(q(z|x)\|p(z))"):
        assert read(spelling) == KL(q, p_z, z), spelling
        assert read(spelling).as_expectation() == want, spelling


def test_densities_and_functions_of_x() -> None:
    assert read(r"\log p(x|z)") == sp.log(p_xz)
    assert read(r"q(z|x)^2") == q**2
    # with '% functions: h(x), g(x)' the notes' h(x) is the symbol h, not h times x
    assert read(r"\frac{1}{2} (h(x) + g(x)^{2} - \log h(x) - 1)") == (
        h + g**2 - sp.log(h) - 1) / 2
    # without that declaration a name before a bracket is a product
    assert read(r"h(x)", functions={}) == h * x
    assert read(r"\sigma_1(x - \mu_1)") == s1 * (x - mu1)


@pytest.mark.parametrize(("latex", "column", "words"), [
    (r"h + \sigma_3", 5, ["undeclared symbol '\\sigma_3'", "sigma_3", "symbols:"]),
    (r"h + q(z|y)", 5, ["not a declared density", "q(z|x)"]),
    (r"h + (z|x)", 5, ["'|'"]),
    (r"\int h", 7, ["differential"]),
    (r"x^23", 1, ["^{23}"]),
    (r"h^2^3", 4, ["double superscript"]),
    (r"\mathbb{E}[z]", 1, ["subscript"]),
    (r"\foo{h}", 1, ["unsupported LaTeX command '\\foo'"]),
    (r"h +", 4, ["unexpected end"]),
    (r"\frac{1}{0}", 1, ["division by zero"]),
    (r"h & g", 3, ["'&'"]),
    (r"", 1, ["empty"]),
    (r"\sqrt{-1} + h", 1, ["not real"]),
])
def test_errors_are_located_and_say_what_was_expected(latex: str, column: int,
                                                      words: list[str]) -> None:
    err = error(latex, file="f.deriv", line=7, column=10)
    assert (err.file, err.line, err.column) == ("f.deriv", 7, 10 + column - 1), str(err)
    assert str(err).startswith(f"f.deriv:7:{10 + column - 1}: ")
    for w in words:
        assert w in str(err)


def test_no_text_reaches_eval_exec_or_sympify(monkeypatch: pytest.MonkeyPatch) -> None:
    import sympy.parsing.sympy_parser as sympy_parser

    def forbidden(*args: object, **kwargs: object) -> None:
        raise AssertionError("user text reached eval/exec/parse_expr")

    corpus = [line for f in sorted(DATA.glob("*.tex")) for line in f.read_text().splitlines()]
    read_tex_derivation(DATA / "notes_s4.tex")  # imports and grammar construction happen first
    monkeypatch.setattr(sympy_parser, "parse_expr", forbidden)
    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    for f in sorted(DATA.glob("*.tex")):
        assert read_tex_derivation(f).steps
    for latex in (r"__import__('os').system('touch x')", r"\frac{1}{2}\log h", "h.__class__"):
        try:
            read(latex)
        except DerivationSyntaxError:
            pass
    assert corpus


def test_grammar_ships_inside_the_package() -> None:
    assert importlib.resources.files("elbo_derivation.read").joinpath("latex.lark").is_file()


# --- .tex derivations --------------------------------------------------------------------


def test_notes_section_3_1_read_from_the_notes_own_latex() -> None:
    d = read_tex_derivation(DATA / "notes_s3_1.tex")
    assert d.title == "KL between two Gaussians, first term (notes §3.1)"
    assert d.source == "notes §3.1"
    assert d.symbols["sigma_1"].is_positive and d.symbols["mu_1"].is_real
    assert set(d.definitions) == {"Z_1", "p_1"}
    assert d.start == sp.Integral(d.symbols["p_1"] * sp.log(d.symbols["p_1"]),
                                  (d.symbols["x"], -sp.oo, sp.oo))
    assert len(d.steps) == 6
    assert [s.line for s in d.steps] == [14, 16, 18, 21, 23, 24]
    assert [s.justification for s in d.steps] == [
        "log of the Gaussian density", "linearity of the integral",
        r"\int p_1 = 1; (x - mu_1)^2 expanded", r"$E[x^2] = \sigma_1^2 + \mu_1^2$", "",
        r"$Z_1 = \sqrt{2\pi\sigma_1^2}$"]
    s1_ = d.symbols["sigma_1"]
    assert d.steps[-1].expr == -(sp.log(2 * sp.pi * s1_**2) + 1) / 2


def test_notes_sections_3_and_4_are_proved_from_latex() -> None:
    engine = pytest.importorskip("elbo_derivation.decide.engine")
    for name, steps in [("notes_s3_1.tex", 6), ("notes_s3_2.tex", 4), ("notes_s3_3.tex", 4),
                        ("notes_s4.tex", 1)]:
        d = engine.check_derivation(read_tex_derivation(DATA / name))
        assert len(d.steps) == steps
        assert [s.verdict.value for s in d.steps] == ["proved"] * steps, name


def test_kl_in_the_notes_section_3_opening_is_the_integral_definition() -> None:
    d = read_tex_derivation(DATA / "notes_s3_3.tex")
    p1, p2, x_ = (d.symbols[n] for n in ("p_1", "p_2", "x"))
    assert d.start.as_expectation() == Expectation(sp.log(p1 / p2), x_, p1)
    assert d.steps[0].expr == sp.Integral(p1 * sp.log(p1 / p2), (x_, -sp.oo, sp.oo))


def test_a_wrong_tex_step_is_refuted_and_named() -> None:
    engine = pytest.importorskip("elbo_derivation.decide.engine")
    d = engine.check_derivation(read_tex_derivation(DATA / "wrong_s4.tex"))
    step = d.steps[0]
    assert step.verdict.value == "refuted"
    assert step.result.mistake == "dropped-half"
    assert step.justification == "collected the terms"


def test_deriv_file_with_latex_steps_end_to_end() -> None:
    parse = pytest.importorskip("elbo_derivation.read.deriv")
    engine = pytest.importorskip("elbo_derivation.decide.engine")
    d = parse.read_derivation(DATA / "latex_steps.deriv")
    h_, g_ = d.symbols["h"], d.symbols["g"]
    assert d.steps[0].expr == (h_ + g_**2 - sp.log(h_) - 1) / 2
    engine.check_derivation(d)
    assert [s.verdict.value for s in d.steps] == ["proved", "proved"]


def test_deriv_latex_error_is_located_in_the_deriv_file() -> None:
    parse = pytest.importorskip("elbo_derivation.read.deriv")
    text = "symbols: h : positive\nh\n= $\\frac{1}{2}\\log \\sigma_9$\n"
    with pytest.raises(DerivationSyntaxError) as info:
        parse.parse_derivation(text, file="s.deriv")
    assert str(info.value).startswith("s.deriv:3:20: undeclared symbol '\\sigma_9'")


def test_relations_tags_and_multiline_rows() -> None:
    d = parse_tex_derivation(r"""
% symbols: h : positive
\begin{align}
h^2 + 1 &\ge 2h - 1 \tag{since $(h-1)^2 \ge 0$} \label{a}\\[2pt]
  &\leq 2h
    + 1 \nonumber \\
  &\simeq_{h} 2h % drop a constant
\end{align}""", file="r.tex")
    assert [s.relation for s in d.steps] == [Relation.GE, Relation.LE, Relation.EQ_UP_TO]
    assert d.steps[0].justification == "since $(h-1)^2 \\ge 0$"
    assert d.steps[1].line == 5 and d.steps[1].expr == 2 * d.symbols["h"] + 1
    assert d.steps[2].wrt == ("h",) and d.steps[2].justification == "drop a constant"


def test_crlf_tabs_and_densities_in_tex() -> None:
    text = ("% symbols: x, z : real\r\n% densities: q(z|x), p(z)\r\n\\begin{align*}\r\n"
            "KL(q(z|x), p(z))\t&= \\mathbb{E}_{q(z|x)}\\left[\\log q(z|x) - \\log p(z)\\right]"
            "\r\n\\end{align*}\r\n")
    d = parse_tex_derivation(text)
    assert d.steps[0].line == 4
    assert isinstance(d.start, Expectation)


@pytest.mark.parametrize(("text", "where", "words"), [
    ("no environment here", (1, 1), ["align"]),
    ("\\begin{align}\nh &= h\n", (1, 1), ["without \\end{align}"]),
    ("% symbols: h : positive\n\\begin{align*}\n&= h\n\\end{align*}", (3, 1),
     ["left-hand side"]),
    ("% symbols: h : positive\n\\begin{align*}\nh &= h \\\\\nh &= h\n\\end{align*}", (4, 1),
     ["second left-hand side"]),
    ("% symbols: h : positive\n\\begin{align*}\nh &= h \\\\\n h + 1\n\\end{align*}", (4, 2),
     ["without a relation"]),
    ("% symbols: h : positive\n\\begin{align*}\nh &= h + \\mu\n\\end{align*}", (3, 10),
     ["undeclared symbol '\\mu'"]),
    ("% symbols: h : bogus\n\\begin{align*}\nh &= h\n\\end{align*}", (1, 16), ["real"]),
    ("% symbols: h : positive\n\\begin{align*}\nh &= \\input{/etc/passwd}\n\\end{align*}",
     (3, 6), ["\\input"]),
])
def test_tex_errors_are_located(text: str, where: tuple[int, int], words: list[str]) -> None:
    with pytest.raises(DerivationSyntaxError) as info:
        parse_tex_derivation(text, file="t.tex")
    err = info.value
    assert (err.file, err.line, err.column) == ("t.tex", *where), str(err)
    for w in words:
        assert w in str(err)


def test_notes_section_2_reads_densities_expectations_and_kl() -> None:
    d = read_tex_derivation(DATA / "elbo_s2.tex")
    f = d.functions
    q_, pz_, pzx_, pxz_, px_ = (f[k] for k in ("q(z|x)", "p(z)", "p(z|x)", "p(x|z)", "p(x)"))
    z_ = d.symbols["z"]
    assert d.start.as_expectation() == Expectation(sp.log(q_ / pzx_), z_, q_)
    assert len(d.steps) == 6 and d.steps[1].justification == "Bayes' rule"
    assert d.steps[1].expr == Expectation(sp.log(q_) - sp.log(pxz_ * pz_ / px_), z_, q_)
    assert d.steps[-1].expr == (KL(q_, pz_, z_)
                                - Expectation(sp.log(pxz_), z_, q_) + sp.log(px_))


def test_declarations_written_inside_the_environment_are_read() -> None:
    """Regression: '% symbols:' inside align* gave a bare '2:7: unexpected ':''."""
    text = ("\\begin{align*}\n% symbols: a : positive\n"
            "\\log(a^2) &= 2\\log a\n\\end{align*}\n")
    from elbo_derivation.pipeline import check_derivation

    d = parse_tex_derivation(text, file="inside.tex")
    assert str(d.symbols["a"]) == "a" and d.symbols["a"].is_positive
    assert check_derivation(d).steps[0].verdict.value == "proved"


def test_math_in_the_annotation_column_belongs_to_the_remark() -> None:
    """Regression: in '&= \\sigma^2 && \\text{the variance of } p_1' the p_1 after the
    \\text{} was multiplied into the step, and a correct step was refuted."""
    from elbo_derivation.pipeline import check_derivation

    text = ("% symbols: x, mu : real\n% symbols: sigma : positive\n"
            "% let: p_1 = \\frac{1}{\\sqrt{2\\pi\\sigma^2}} "
            "\\exp\\left(-\\frac{(x - \\mu)^2}{2\\sigma^2}\\right)\n"
            "\\begin{align*}\n\\int_{-\\infty}^{\\infty} p_1 (x - \\mu)^2 \\, dx\n"
            "  &= \\sigma^2 && \\text{the variance of } p_1\n\\end{align*}\n")
    d = check_derivation(parse_tex_derivation(text, file="a.tex"))
    step = d.steps[0]
    assert step.verdict.value == "proved"
    assert step.justification.startswith("the variance of") and "p_1" in step.justification


def test_let_may_name_a_greek_letter_as_latex_writes_it() -> None:
    """Regression: '% let: \\lambda = ...' was refused ('expected % let: NAME = ...') though
    '% symbols:' takes '\\mu'; the body's \\lambda is the let's value."""
    text = ("% symbols: a, b : positive\n% let: \\lambda = \\frac{1}{a} + \\frac{1}{b}\n"
            "\\begin{align*}\n\\lambda a b\n  &= a + b\n\\end{align*}\n")
    from elbo_derivation.pipeline import check_derivation

    d = check_derivation(parse_tex_derivation(text, file="let.tex"))
    assert d.steps[0].verdict.value == "proved"
    wrong = text.replace("&= a + b", "&= a b")
    assert check_derivation(parse_tex_derivation(wrong, file="let.tex")).steps[0].verdict.value \
        == "refuted"


def test_tanh_is_read_in_latex_and_in_deriv() -> None:
    """``\\tanh`` (a planar flow's nonlinearity) was refused as an unsupported command."""
    from elbo_derivation.pipeline import check_derivation
    from elbo_derivation.read.deriv import parse_derivation

    t = sp.Symbol("t", real=True)
    assert latex_to_sympy(r"1 - \tanh(t)\tanh(t)", symbols={"t": t}) == 1 - sp.tanh(t) ** 2
    assert latex_to_sympy(r"\tanh 2t", symbols={"t": t}) == sp.tanh(2 * t)
    text = "symbols: t : real\n\n    diff(tanh(t), t)\n  = 1 - tanh(t)^2\n"
    assert check_derivation(parse_derivation(text)).steps[0].verdict.value == "proved"
    wrong = text.replace("1 - tanh(t)^2", "1 + tanh(t)^2")
    assert check_derivation(parse_derivation(wrong)).steps[0].verdict.value == "refuted"


def test_simeq_names_a_greek_variable_and_refuses_an_undeclared_one() -> None:
    """Regression (a missed error): in '&\\simeq_{\\mu}' the name '\\mu' was kept as written,
    matched no symbol, and every term counted as free of it, so a wrong step was proved."""
    from elbo_derivation.pipeline import check_derivation

    head = "% symbols: \\mu, c : real\n\\begin{align*}\n-(\\mu - c)^2\n"
    right = head + "  &\\simeq_{\\mu} -\\mu^2 + 2c\\mu\n\\end{align*}\n"
    wrong = head + "  &\\simeq_{\\mu} -2\\mu^2 + 4c\\mu\n\\end{align*}\n"
    assert check_derivation(parse_tex_derivation(right)).steps[0].verdict.value == "proved"
    assert check_derivation(parse_tex_derivation(wrong)).steps[0].verdict.value == "refuted"
    with pytest.raises(DerivationSyntaxError, match="not a declared symbol"):
        parse_tex_derivation(head.replace("\\mu, c", "c").replace("\\mu", "c")
                             + "  &\\simeq_{\\nu} -c^2\n\\end{align*}\n")


@pytest.mark.parametrize(("tex", "expected"), [
    (r"\exp(x)^2", sp.exp(x) ** 2),           # the power of the value, (e^x)^2
    (r"\log(x)^2", sp.log(x) ** 2),
    (r"\log(x)^2 z", sp.log(x) ** 2 * z),
    (r"\tanh^2(x)", sp.tanh(x) ** 2),          # a power on the function's name
    (r"\log^2 x", sp.log(x) ** 2),
    (r"\log^{2}(x z)", sp.log(x * z) ** 2),
    (r"\log x^2", sp.log(x**2)),               # the power of the argument, as before
    (r"\exp(x^2)", sp.exp(x**2)),
])
def test_a_power_after_a_function_applies_to_its_value(tex: str, expected: sp.Expr) -> None:
    assert read(tex) == expected


def test_a_density_declared_with_a_latex_variable() -> None:
    """``% densities: q(\\mu) = N(m, s^2)`` declares the density of the symbol ``\\mu``."""
    text = ("% symbols: \\mu, m : real\n% symbols: s : positive\n"
            "% densities: q(\\mu) = N(m, s^2)\n\\begin{align*}\n"
            "\\mathbb{E}_{q(\\mu)}[\\mu^2] &= m^2 + s^2\n\\end{align*}\n")
    from elbo_derivation.pipeline import check_derivation

    d = parse_tex_derivation(text)
    assert check_derivation(d).steps[0].verdict.value == "proved"


def test_an_increment_declared_as_one_name_reads_as_that_quantity() -> None:
    # NVAE (Vahdat & Kautz 2020) writes its residual parameters Δμ, Δσ: declared so, they
    # are one quantity each (Δμ² its square); Δ and μ declared apart stay a product
    text = ("% symbols: \\Delta\\mu : real\n% symbols: \\Delta\\sigma, \\sigma_p : positive\n"
            "\\begin{align*}\n\\frac{\\Delta\\mu^2}{\\sigma_p^2} - \\log\\Delta\\sigma^2"
            " &= \\frac{\\Delta\\mu^2}{\\sigma_p^2} - 2\\log\\Delta\\sigma\n\\end{align*}\n")
    d = parse_tex_derivation(text)
    names = {s.name for s in d.start.free_symbols}
    assert names == {"Delta_mu", "Delta_sigma", "sigma_p"}
    dm, ds, sp_ = (next(s for s in d.start.free_symbols if s.name == n)
                   for n in ("Delta_mu", "Delta_sigma", "sigma_p"))
    assert sp.simplify(d.start - (dm**2 / sp_**2 - sp.log(ds**2))) == 0
    text = ("% symbols: \\Delta, \\mu : real\n\\begin{align*}\n\\Delta\\mu^2 &= \\Delta\\mu^2\n"
            "\\end{align*}\n")
    d = parse_tex_derivation(text)
    big_delta, small_mu = sorted(d.start.free_symbols, key=lambda s: s.name)
    assert d.start == big_delta * small_mu**2


def test_a_density_named_with_an_upright_word_subscript() -> None:
    # CS236's p_data: p_{\mathrm{data}}(x), declared and used as written
    text = ("% symbols: 0 < a < 1\n% densities: p_{\\mathrm{data}}(x) = \\mathrm{Bernoulli}(a)\n"
            "\\begin{align*}\n\\mathbb{E}_{p_{\\mathrm{data}}(x)}[x] &= a\n\\end{align*}\n")
    d = parse_tex_derivation(text)
    assert isinstance(d.start, Expectation)
    assert "p_data" in str(d.start)


def test_a_density_named_pi_wins_over_the_constant_only_before_its_arguments() -> None:
    r"""Robert (2007) writes the posterior π(θ|x): declared so, ``\pi(\theta|x)`` is the
    density, while ``2\pi\sigma^2`` and ``\pi(\mu + 1)`` keep π the constant; a density named
    by another Greek letter, ``\phi(\theta)``, is read the same way."""
    from elbo_derivation.pipeline import check_derivation

    text = ("% symbols: \\theta, \\mu, \\delta : real\n% symbols: \\tau, \\sigma : positive\n"
            "% densities: \\pi(\\theta) = \\mathcal{N}(\\mu, \\tau^2), \\phi(\\theta)\n"
            "\\begin{align*}\n\\mathbb{E}_{\\pi(\\theta)}[(\\theta - \\delta)^2] "
            "+ \\log(2\\pi\\sigma^2) + \\pi(\\mu + 1)"
            " &= \\tau^2 + (\\mu - \\delta)^2 + \\log 2\\pi + 2\\log\\sigma + \\pi\\mu + \\pi"
            " \\\\\n"
            " &= \\tau^2 + \\log 2\\pi + 2\\log\\sigma + \\pi\\mu + \\pi"
            "\n\\end{align*}\n")
    d = parse_tex_derivation(text)
    assert isinstance(d.start.args[0], Expectation) or any(
        isinstance(a, Expectation) for a in d.start.args)
    assert sp.pi in d.start.atoms(sp.NumberSymbol)
    verdicts = [s.verdict.value for s in check_derivation(d, time_limit=5.0).steps]
    assert verdicts == ["proved", "refuted"]
    d = parse_tex_derivation(text.split("\\begin")[0] + "\\begin{align*}\n\\log \\phi(\\theta) "
                             "&= \\log \\phi(\\theta)\n\\end{align*}\n")
    assert [str(f.func) for f in d.start.atoms(sp.core.function.AppliedUndef)] == ["phi(theta)"]
    # without a density of that name, \pi(\theta) is the constant times θ
    d = parse_tex_derivation("% symbols: \\theta : real\n\\begin{align*}\n\\pi(\\theta) "
                             "&= \\pi\\theta\n\\end{align*}\n")
    assert d.start == sp.pi * next(iter(d.start.free_symbols))


def test_a_let_of_an_indexed_name_holds_at_every_index() -> None:
    r"""``% let: \bar{\alpha}_t = \prod_{s=1}^{t} \alpha_s`` defines ᾱ for every t (t declared
    integer), as Ho, Jain & Abbeel (2020) do: ᾱ_{t-1} is the product up to t − 1, shown as
    written; an index a bound variable would capture is not read so."""
    from elbo_derivation.pipeline import check_derivation

    head = ("% symbols: t, s : positive integer\n% functions: \\alpha_s : positive\n"
            "% let: \\bar{\\alpha}_t = \\prod_{s=1}^{t} \\alpha_s\n")
    d = parse_tex_derivation(head + "\\begin{align*}\n1 - \\bar{\\alpha}_t &= 1 - \\alpha_t "
                             "\\bar{\\alpha}_{t-1} \\\\\n &= 1 - \\bar{\\alpha}_{t-1}\n"
                             "\\end{align*}\n")
    t = d.symbols["t"]
    previous = next(v for k, v in d.definitions.items() if k != "alpha_bar_t")
    assert previous.limits[0][2] == t - 1
    verdicts = [s.verdict.value for s in check_derivation(d, time_limit=5.0).steps]
    assert verdicts == ["proved", "refuted"]
    with pytest.raises(DerivationSyntaxError, match="undeclared"):
        parse_tex_derivation(head + "\\begin{align*}\n\\bar{\\alpha}_s &= \\bar{\\alpha}_s\n"
                             "\\end{align*}\n")


def test_a_subscript_expression_may_use_a_greek_index() -> None:
    r"""``\alpha_{\tau-1}`` for a sequence declared over the integer τ: the same sequence at
    τ − 1, as ``\alpha_{t-1}`` is at t − 1."""
    d = parse_tex_derivation("% symbols: \\tau, \\sigma : positive integer\n"
                             "% functions: \\alpha_\\sigma : positive\n\\begin{align*}\n"
                             "\\alpha_{\\tau -1} &= \\alpha_{\\tau - 1}\n\\end{align*}\n")
    tau = d.symbols["tau"]
    (node,) = d.start.atoms(sp.core.function.AppliedUndef)
    assert node.args == (tau - 1,)


def test_iterated_expectations_without_a_bracket_around_the_inner_one() -> None:
    r"""``\mathbb{E}_{\psi \sim q(\psi)}\mathbb{E}_{z \sim q(z|\psi)}[f]`` (Yin & Zhou 2018,
    semi-implicit VI) is E_{q(ψ)}[E_{q(z|ψ)}[f]]: the outer expectation takes the inner one,
    and only an expectation may follow the outer subscript without a bracket."""
    head = ("% symbols: z, \\psi : real\n% densities: q(z|\\psi), q(\\psi)\n\\begin{align*}\n")
    d = parse_tex_derivation(
        head + "\\mathbb{E}_{\\psi \\sim q(\\psi)}\\mathbb{E}_{z \\sim q(z|\\psi)}"
        "\\left[z^2\\right]"
        " &= \\mathbb{E}_{\\psi \\sim q(\\psi)}\\left[\\mathbb{E}_{z \\sim q(z|\\psi)}"
        "\\left[z^2\\right]\\right]\n\\end{align*}\n")
    assert d.start == d.steps[0].expr
    outer = d.start
    assert isinstance(outer, Expectation) and isinstance(outer.args[0], Expectation)
    with pytest.raises(DerivationSyntaxError):
        parse_tex_derivation(head + "\\mathbb{E}_{\\psi \\sim q(\\psi)} \\log q(\\psi) &= 0\n"
                             "\\end{align*}\n")
