"""One declarations builder for every front end: what a declaration means, and its errors."""

from __future__ import annotations

import pytest
import sympy as sp

from elbo_derivation.cli import main
from elbo_derivation.errors import DerivationSyntaxError
from elbo_derivation.read.deriv import parse_derivation
from elbo_derivation.read.steps import read_steps
from elbo_derivation.read.tex import parse_tex_derivation


def _deriv(header: str) -> sp.Basic:
    return parse_derivation(header + "\nx\n= x\n", file="d.deriv")


def test_assumption_words_and_intervals():
    d = parse_derivation("symbols: k : nonnegative integer\nsymbols: y : (0, 1)\n"
                         "symbols: 0 <= w < 2\nsymbols: v > 3\nk + y + w + v\n= v + w + y + k")
    k, y, w, v = (d.symbols[n] for n in "kywv")
    assert k.is_integer and k.is_nonnegative
    assert y.is_positive and d.declarations.intervals["y"] == sp.Interval.open(0, 1)
    assert w.is_nonnegative and d.declarations.intervals["w"] == sp.Interval.Ropen(0, 2)
    assert v.is_positive and d.declarations.intervals["v"] == sp.Interval.open(3, sp.oo)


def test_families_give_roles_inferred_from_structure():
    d = parse_derivation("symbols: z, x, m : real\nsymbols: s, l : positive\n"
                         "symbols: lv : real\nsymbols: 0 < t < 1\n"
                         "densities: q(z|x) = N(m, s^2)\ndensities: r(x) = Normal(0, exp(lv))\n"
                         "densities: b(z) = Bernoulli(t)\ndensities: c(x) = Poisson(l)\n"
                         "q(z|x)\n= q(z|x)")
    decl = d.declarations
    m, s, lv, t, l_ = (d.symbols[n] for n in ("m", "s", "lv", "t", "l"))
    assert decl.roles[m] == "mean" and decl.roles[s] == "standard deviation"
    assert decl.roles[s**2] == "variance" and decl.roles[lv] == "log-variance"
    assert decl.roles[t] == "probability" and decl.roles[l_] == "rate"
    assert decl.families["q(z|x)"].name == "normal"
    # the Gaussian is written out: q(z|x) stands for its density formula
    z = d.symbols["z"]
    written_out = sp.exp(-(z - m) ** 2 / (2 * s**2)) / sp.sqrt(2 * sp.pi * s**2)
    assert sp.simplify(d.start - written_out) == 0


def test_same_declarations_in_tex():
    d = parse_tex_derivation("% symbols: z, x, m : real\n% symbols: s : positive\n"
                             "% symbols: 0 < y < 1\n% densities: q(z|x) = N(m, s^2)\n"
                             "\\begin{align*}\ny &= y\n\\end{align*}\n", file="a.tex")
    assert d.declarations.roles[d.symbols["s"]] == "standard deviation"
    assert d.declarations.intervals["y"] == sp.Interval.open(0, 1)


@pytest.mark.parametrize("header,where,words", [
    ("symbols: x : real\nsymbols: x : positive", "d.deriv:2:10", "contradicts"),
    ("symbols: x : positive negative", "d.deriv:1:14", "unknown assumption"),
    ("symbols: x : real\nsymbols: 1 < y < 0", "d.deriv:2:10", "empty"),
    ("symbols: x, m : real\nsymbols: s : negative\ndensities: q(x) = N(m, s^2)", "d.deriv:3:",
     "positive"),
    ("symbols: x, m : real\ndensities: q(x) = Student(m)", "d.deriv:2:19", "unknown family"),
    ("symbols: x, m : real\ndensities: q(x) = N(m)", "d.deriv:2:", "takes 2 parameters"),
    ("symbols: x, m, v : real\ndensities: q(x) = N(m, v), r(x) = N(v, m)", "d.deriv:2:",
     "contradictory roles"),
    ("symbols: log : real", "d.deriv:1:10", "reserved"),
])
def test_contradictions_and_unknown_families_are_located(header, where, words):
    with pytest.raises(DerivationSyntaxError) as err:
        _deriv(header)
    assert str(err.value).startswith(where) and words in str(err.value)


def test_contradiction_exits_2_from_the_cli(tmp_path, capsys):
    path = tmp_path / "bad.tex"
    path.write_text("% symbols: x : real\n% symbols: x : positive\n"
                    "\\begin{align*}\nx &= x\n\\end{align*}\n", encoding="utf-8")
    assert main(["check", str(path)]) == 2
    assert "bad.tex:2:" in capsys.readouterr().err


def test_check_steps_uses_the_same_words():
    d = read_steps(["y", "y"], symbols="y, k", assumptions={"y": "(0, 1)",
                                                            "k": "positive integer"})
    assert d.symbols["y"].is_positive and d.symbols["k"].is_integer
    assert d.declarations.intervals["y"] == sp.Interval.open(0, 1)
    with pytest.raises(ValueError, match="assumptions\\['y'\\]"):
        read_steps(["y", "y"], symbols="y", assumptions={"y": "complex"})


def test_functions_one_meaning_in_both_formats():
    tex = parse_tex_derivation("% symbols: z : real\n% functions: f(z) : real\n"
                               "\\begin{align*}\nf(z) &= f(z)\n\\end{align*}\n")
    deriv = parse_derivation("symbols: z : real\nfunctions: f(z) : real\nf(z)\n= f(z)")
    assert tex.start == deriv.start and isinstance(tex.start, sp.core.function.AppliedUndef)
    # a declared name written with its argument stays that name (the notes' h(x))
    tex = parse_tex_derivation("% symbols: x : real\n% symbols: h : positive\n"
                               "% functions: h(x)\n\\begin{align*}\nh(x) &= h\n\\end{align*}\n")
    deriv = parse_derivation("symbols: x : real\nsymbols: h : positive\nfunctions: h(x)\n"
                             "h(x)\n= h")
    assert tex.start == deriv.start == tex.symbols["h"]


def test_goal_header():
    d = parse_derivation("symbols: a : positive\ngoal: 2*log(a)\nlog(a^2)\n= 2*log(a)\n")
    assert d.metadata["goal"] == {"text": "2*log(a)", "line": 2, "column": 7}


def test_vectors_with_a_symbolic_dimension_in_both_formats():
    from elbo_derivation.decide.engine import check_derivation

    head = ("symbols: D : positive integer\nsymbols: j : integer\n"
            "symbols: s : vector(D) positive\nsymbols: mu : vector(D) real\n")
    d = parse_derivation(head + "Sum(log(s[j]^2) + mu[j]^2, (j, 1, D))\n"
                         "= Sum(2*log(s[j]), (j, 1, D)) + Sum(mu[j]^2, (j, 1, D))")
    s_, j_ = d.declarations.indexed["s"], d.symbols["j"]
    assert s_[j_].is_positive and d.declarations.vectors["s"] == d.symbols["D"]
    tex = parse_tex_derivation(
        "% " + head.replace("\n", "\n% ").replace(": s :", ": sigma :").rstrip("% ")
        + "\\begin{align*}\n\\sum_{j=1}^{D} (\\log \\sigma_j^2 + \\mu_j^2) "
        "&= \\sum_{j=1}^{D} 2\\log\\sigma_j + \\sum_{j=1}^{D} \\mu_j^2\n\\end{align*}\n")
    assert [s.verdict.value for s in check_derivation(d).steps] == ["proved"]
    assert [s.verdict.value for s in check_derivation(tex).steps] == ["proved"]
    with pytest.raises(DerivationSyntaxError, match="index of s"):
        parse_derivation(head + "symbols: t : real\ns[t]\n= s[t]")


def test_tex_declarations_name_symbols_as_the_body_writes_them():
    d = parse_tex_derivation(
        "% symbols: x, \\mu_{q}, \\hat{x}_1 : real\n% symbols: \\sigma_1, \\ell : positive\n"
        "% symbols: 0 < \\rho < 1\n% densities: q(x) = \\mathcal{N}(\\mu_q, \\sigma_1^2)\n"
        "\\begin{align*}\n\\hat{x}_1 + \\ell + \\rho &= \\rho + \\ell + \\hat{x}_1\n"
        "\\end{align*}\n")
    assert {"mu_q", "x_hat_1", "sigma_1", "ell", "rho"} <= set(d.symbols)
    assert d.declarations.written["x_hat_1"] == "\\hat{x}_1"
    assert d.declarations.intervals["rho"] == sp.Interval.open(0, 1)
    assert d.declarations.roles[d.symbols["sigma_1"]] == "standard deviation"


def test_family_supports_and_laplace_written_out():
    d = parse_derivation("symbols: z, m : real\nsymbols: b, l, p1, p2 : positive\n"
                         "densities: r(z) = Laplace(m, b)\ndensities: c(z) = Poisson(l)\n"
                         "densities: k(z) = Categorical(p1, p2, 1 - p1 - p2)\nr(z)\n= r(z)")
    fam = d.declarations.families
    assert fam["r(z)"].support == sp.S.Reals and not fam["r(z)"].discrete
    assert fam["c(z)"].discrete and fam["c(z)"].support == sp.S.Naturals0
    assert fam["k(z)"].support == sp.Range(1, 4)
    z, m, b = (d.symbols[n] for n in "zmb")
    assert d.start == sp.exp(-sp.Abs(z - m) / b) / (2 * b)
    assert d.declarations.density_roles()["c(z)"] == ("c", "marginal")


def test_both_formats_read_their_header_lines_through_one_piece():
    from elbo_derivation.read.header import HEADER_KEYS, header_line

    deriv = parse_derivation("Title: T\nsource: S, p. 3\nsymbols: a : positive\n"
                             "let: b = 2*a\na + b\n= 3*a\n")
    tex = parse_tex_derivation("% Title: T\n% source: S, p. 3\n% symbols: a : positive\n"
                               "% let: b = 2 a\n\\begin{align*}\na + b &= 3 a\n\\end{align*}\n")
    assert (deriv.title, deriv.source) == (tex.title, tex.source) == ("T", "S, p. 3")
    assert deriv.symbols["a"] == tex.symbols["a"] and deriv.definitions == tex.definitions
    assert header_line("expect: correct") is None and header_line("Cited from: x") is None
    for key in HEADER_KEYS:
        assert header_line(f" {key.upper()} : x").key == key


def test_a_density_may_take_the_name_of_the_constant_pi_but_not_of_a_function():
    # Robert (2007) names the posterior π(θ|x): a density of that name in both formats, while
    # log, exp and the like stay reserved
    d = parse_derivation("symbols: theta, x, mu : real\nsymbols: tau : positive\n"
                         "densities: pi(theta|x) = N(mu, tau^2)\n\n"
                         "  E[theta, theta ~ pi(theta|x)] + 2*pi\n= mu + 2*pi\n")
    assert "pi(theta|x)" in d.declarations.densities and sp.pi in d.start.atoms(sp.NumberSymbol)
    with pytest.raises(DerivationSyntaxError, match="reserved"):
        _deriv("symbols: x : real\ndensities: log(x)")


def test_a_density_of_one_entry_of_a_declared_sequence():
    # p(x(i)|z), one factor of p(x|z) = ∏_i p(x_i|z): the declared density at any index
    d = parse_derivation(
        "symbols: z : real\nsymbols: i, j : integer\nfunctions: x(i) : real\n"
        "densities: p(x_i|z)\n  Sum(log(p(x(j)|z)), (j, 1, 2))\n"
        "= log(p(x(1)|z)) + log(p(x(2)|z))\n")
    (density,) = {n.func for n in d.start.atoms(sp.core.function.AppliedUndef)
                  if "|" in n.func.__name__}
    assert density.__name__ == "p(x(i)|z)"
    assert {n.args[0] for n in d.steps[0].expr.atoms(sp.core.function.AppliedUndef)
            if n.func == density} == {sp.Function("x", real=True)(k) for k in (1, 2)}
    # an entry of a quantity never declared as a sequence: said how to declare it
    with pytest.raises(DerivationSyntaxError, match=r"functions: y\(i\) : real"):
        parse_derivation("symbols: z, y : real\nsymbols: i : integer\n"
                         "densities: p(y(i)|z)\n  log(p(y(i)|z))\n")


def test_a_function_declared_under_a_latex_name():
    # Germain et al. (2016): the empirical loss \hat{L}(\theta); a Greek-named \phi(z) too
    d = parse_tex_derivation(
        "% symbols: \\theta, z : real\n% functions: \\hat{L}(\\theta), \\phi(z) : real\n"
        "\\begin{align*}\n\\hat{L}(\\theta) + \\phi(z) &= \\phi(z) + \\hat{L}(\\theta)\n"
        "\\end{align*}\n", file="a.tex")
    assert {"L_hat(theta)", "phi(z)"} <= set(d.declarations.functions)
    assert d.start.free_symbols == {d.symbols["theta"], d.symbols["z"]}


def test_a_functions_line_may_use_the_variable_of_an_abstract_density_declared_later() -> None:
    """functions: a(z) before densities: pi(z) reads as it does after it: the density's
    variable is a real number either way (Bauer & Mnih's acceptance function a(z))."""
    from elbo_derivation.read.deriv import parse_derivation

    body = "\n    E[c*a(z), z ~ p(z)]\n  = c*E[a(z), z ~ p(z)]\n"
    before = parse_derivation("symbols: c : positive\nfunctions: a(z) : real\n"
                              "densities: p(z)\n" + body)
    after = parse_derivation("symbols: c : positive\ndensities: p(z)\n"
                             "functions: a(z) : real\n" + body)
    assert str(before.start) == str(after.start)
    assert str(before.steps[0].expr) == str(after.steps[0].expr)
    assert before.symbols["z"].is_real
