"""A draw from a named family written inside the expectation, as statistics texts write the
mean of a posterior: E[λ] for λ ~ Gamma(α + T, β + n) (Lee, Bayesian Statistics, sec. 3.4).
The draw reads as a density of its variable in that family, with the family's moments, in
`.deriv` (``E[f, v ~ Gamma(a, b)]``) and LaTeX (``\\mathbb{E}_{v \\sim \\mathrm{Gamma}(a, b)}``),
under any letters; a wrong moment is refuted."""

from __future__ import annotations

import pytest

from elbo_derivation.core.steps import Verdict
from elbo_derivation.decide.verdict import decide_step
from elbo_derivation.read.deriv import parse_derivation
from elbo_derivation.read.tex import parse_tex_derivation


def _verdicts(d) -> list[Verdict]:
    return [decide_step(d, step, time_limit=10.0).verdict for step in d.steps]


@pytest.mark.parametrize(("v", "a", "b"), [("lam", "al", "be"), ("w", "s", "r")])
def test_a_gamma_draw_in_a_deriv_file(v: str, a: str, b: str) -> None:
    text = (f"symbols: {a}, {b} : positive\n\n"
            f"    E[{v}, {v} ~ Gamma({a} + 1, {b})]\n  = ({a} + 1)/{b}\n"
            f"  = E[{v}, {v} ~ Gamma({a} + 1, {b})]\n")
    assert _verdicts(parse_derivation(text)) == [Verdict.PROVED, Verdict.PROVED]
    wrong = text.replace(f"= ({a} + 1)/{b}", f"= {b}/({a} + 1)")
    assert _verdicts(parse_derivation(wrong))[0] is Verdict.REFUTED


@pytest.mark.parametrize(("v", "m"), [("k", "m"), ("n", "c")])
def test_a_poisson_draw_in_latex(v: str, m: str) -> None:
    text = (f"% symbols: {m} : positive\n\\begin{{align*}}\n"
            f"\\mathbb{{E}}_{{{v} \\sim \\mathrm{{Poisson}}({m})}}\\left[{v}^2\\right] "
            f"&= {m} + {m}^2\n\\end{{align*}}\n")
    assert _verdicts(parse_tex_derivation(text, file="draw.tex")) == [Verdict.PROVED]
    wrong = text.replace(f"&= {m} + {m}^2", f"&= {m}^2")
    assert _verdicts(parse_tex_derivation(wrong, file="draw.tex")) == [Verdict.REFUTED]


@pytest.mark.parametrize(("v", "m"), [("k", r"\lambda"), ("N", "r")])
def test_a_draw_stated_after_a_quad_is_the_justification(v: str, m: str) -> None:
    text = (f"% symbols: {m} : positive\n% densities: f({v}) = \\mathrm{{Poisson}}({m})\n"
            f"\\begin{{align*}}\n\\mathbb{{E}}[{v}] &= {m} \\quad ({v} \\sim "
            f"\\mathrm{{Poisson}}({m}))\n\\end{{align*}}\n")
    d = parse_tex_derivation(text, file="remark.tex")
    assert "\\sim" in (d.steps[0].justification or "")
    assert _verdicts(d) == [Verdict.PROVED]
    wrong = text.replace(f"&= {m} \\quad", f"&= {m}^2 \\quad")
    assert _verdicts(parse_tex_derivation(wrong, file="remark.tex")) == [Verdict.REFUTED]
