"""Regression tests for the reading gaps the thirteenth outsider pass (o13a: papers on
diffusion, flows and variational inference, 2016-2023) found: the trigonometric functions
(\\sin, \\cos, \\tan, and sin/cos/tan in .deriv), a draw whose variable has a shifted index
(\\mathbb{E}_{x_{t-1} \\sim \\mathcal{N}(...)}), and a family's parameter written with '*' in a
.tex declaration, as a .deriv header writes it."""

from __future__ import annotations

import pytest
import sympy as sp

from elbo_derivation.errors import InputError
from elbo_derivation.read.deriv import parse_derivation
from elbo_derivation.read.tex import parse_tex_derivation


def _verdicts(d) -> list[str]:
    from elbo_derivation.pipeline import check_derivation

    return [s.verdict.value for s in check_derivation(d, time_limit=20).steps]


def _tex(head: str, lines: str) -> str:
    return head + "\\begin{align*}\n" + lines + "\n\\end{align*}\n"


def test_sine_and_cosine_are_read_and_differentiated_in_latex():
    # a rotation of two independent unit normals, u cos(w s) + v sin(w s), under other letters
    head = "% symbols: u, v, w : real\n% symbols: 0 < s < 1\n"
    start = "\\frac{d}{ds}\\left(\\cos(w s) u + \\sin(w s) v\\right)"
    right = _tex(head, start + " &= -w\\sin(w s) u + w\\cos(w s) v")
    wrong = _tex(head, start + " &= -w\\sin(w s) u + \\cos(w s) v")
    d = parse_tex_derivation(right, file="r.tex")
    assert d.start.has(sp.cos) and d.start.has(sp.sin)
    assert _verdicts(d) == ["proved"]
    assert _verdicts(parse_tex_derivation(wrong, file="r.tex")) == ["refuted"]


def test_a_power_of_a_trigonometric_function_is_the_power_of_its_value():
    head = "% symbols: a : real\n"
    body = "\\sin^2(a) + \\cos^2 a &= 1 \\\\\n &= \\tan(a)\\cos(a) + 1 - \\sin a"
    d = parse_tex_derivation(_tex(head, body), file="p.tex")
    a = sp.Symbol("a", real=True)
    assert d.start == sp.sin(a) ** 2 + sp.cos(a) ** 2
    assert _verdicts(d) == ["proved", "proved"]
    wrong = parse_tex_derivation(_tex(head, "\\sin^2(a) + \\cos a &= 1"), file="p.tex")
    assert _verdicts(wrong) == ["refuted"]


def test_sine_and_cosine_in_a_deriv_file():
    d = parse_derivation("symbols: b : real\n\n    sin(2*b)\n  = 2*sin(b)*cos(b)\n")
    assert _verdicts(d) == ["proved"]
    d = parse_derivation("symbols: b : real\n\n    sin(2*b)\n  = 2*sin(b)\n")
    assert _verdicts(d) == ["refuted"]


def test_a_declared_symbol_named_like_a_trigonometric_function_keeps_its_meaning():
    # 'tan' declared as a symbol is that symbol, and a call of it is refused
    d = parse_derivation("symbols: tan, c : positive\n\n    tan*c\n  = c*tan\n")
    assert _verdicts(d) == ["proved"]
    with pytest.raises(InputError):
        parse_derivation("symbols: tan, c : positive\n\n    tan(c)\n  = c\n")


def test_a_draw_whose_variable_has_a_shifted_index_binds_it():
    # a two-stage Gaussian draw y_{k+1} | y_0 ~ N(c y_0 + d, r), y_0 ~ N(g, h), under other
    # letters than DDGAN's x_{t-1}, x_0
    head = "% symbols: c, d, g : real\n% symbols: r, h : positive\n"
    start = ("\\mathbb{E}_{y_0 \\sim \\mathcal{N}(g, h)}\\left[\\mathbb{E}_{y_{k+1} \\sim "
             "\\mathcal{N}(c y_0 + d, r)}\\left[y_{k+1}^2\\right]\\right]")
    right = _tex(head, start + " &= r + c^2 (h + g^2) + 2 c d g + d^2")
    wrong = _tex(head, start + " &= c^2 (h + g^2) + 2 c d g + d^2")
    assert _verdicts(parse_tex_derivation(right, file="k.tex")) == ["proved"]
    assert _verdicts(parse_tex_derivation(wrong, file="k.tex")) == ["refuted"]


def test_a_starred_product_in_a_latex_density_declaration_is_the_product():
    # '% densities: r(w|v) = N(b*v, c^2)' as a .deriv header writes N(b*v, c^2)
    body = ("\\mathbb{E}_{r(w|v)}\\left[w^2\\right] &= c^2 + b^2 v^2")
    for written in ("b*v", "b v", "b \\cdot v"):
        head = (f"% symbols: b, v : real\n% symbols: c : positive\n"
                f"% densities: r(w|v) = N({written}, c^2)\n")
        assert _verdicts(parse_tex_derivation(_tex(head, body), file="s.tex")) == ["proved"]
    head = "% symbols: b, v : real\n% symbols: c : positive\n% densities: r(w|v) = N(b*v, c^2)\n"
    wrong = _tex(head, "\\mathbb{E}_{r(w|v)}\\left[w^2\\right] &= c^2 + b v^2")
    assert _verdicts(parse_tex_derivation(wrong, file="s.tex")) == ["refuted"]


def test_a_star_that_is_not_a_product_in_a_declaration_is_still_an_error_at_its_column():
    head = ("% symbols: b : real\n% symbols: c : positive\n"
            "% densities: r(w) = N(b**, c^2)\n")
    with pytest.raises(InputError) as err:
        parse_tex_derivation(_tex(head, "\\mathbb{E}_{r(w)}[w] &= b"), file="t.tex")
    assert "t.tex:3:" in str(err.value)


def _named_tex(text: str, step: int = 1) -> str | None:
    from corpus.support import named_in

    d = parse_tex_derivation(text, file="n.tex")
    return named_in(d, d.steps[step - 1])


def test_a_variance_written_as_its_std_inside_an_inner_independent_expectation_is_named():
    # E_u[E_w[(a u + b w)^2]] with w ~ N(0, g^2) drawn independently of u ~ N(0, h^2): the
    # inner second moment g^2 written g is named as it is under a single expectation
    head = "% symbols: a, b : real\n% symbols: g, h : positive\n"
    start = ("\\mathbb{E}_{u \\sim \\mathcal{N}(0, h^2)}\\left[\\mathbb{E}_{w \\sim "
             "\\mathcal{N}(0, g^2)}\\left[\\left(a u + b w\\right)^2\\right]\\right]")
    assert _named_tex(_tex(head, start + " &= a^2 h^2 + b^2 g")) == "std-for-variance"
    assert _verdicts(parse_tex_derivation(_tex(head, start + " &= a^2 h^2 + b^2 g^2"),
                                          file="n.tex")) == ["proved"]


def test_an_inner_expectation_whose_density_depends_on_the_outer_draw_is_not_located():
    # w | u ~ N(u, g^2): the inner value depends on u through its density, so the inner
    # expectation is no factor of a product measure; the slip may still be refuted, but the
    # site of the inner moment alone does not name it
    from elbo_derivation.core.expectation import Expectation
    from elbo_derivation.explain.mistakes import _inner_of_a_product_measure

    u, w = sp.symbols("u w", real=True)
    g, h = sp.symbols("g h", positive=True)
    def normal(v: sp.Expr, m: sp.Expr, s: sp.Expr) -> sp.Expr:
        return sp.exp(-(v - m) ** 2 / (2 * s**2)) / sp.sqrt(2 * sp.pi * s**2)

    independent = Expectation(Expectation(w**2 + u, w, normal(w, 0, g)), u, normal(u, 0, h))
    dependent = Expectation(Expectation(w**2 + u, w, normal(w, u, g)), u, normal(u, 0, h))
    assert _inner_of_a_product_measure(independent, (0,))
    assert not _inner_of_a_product_measure(dependent, (0,))
    assert not _inner_of_a_product_measure(independent, ())  # the outer one is no inner one
