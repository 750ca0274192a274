"""Φ and φ, the standard normal distribution function and density, as papers write the moments
of a rectified or truncated Gaussian (Wu et al. 2019: E[max(0, a)] = μΦ(μ/σ) + σφ(μ/σ)):
known by name in LaTeX when the letter is declared neither a symbol nor a function, in any
letters of their arguments; a declared Φ keeps its declaration."""

from __future__ import annotations

import pytest

from elbo_derivation.core.steps import Verdict
from elbo_derivation.pipeline import check_derivation
from elbo_derivation.read.tex import parse_tex_derivation

_TEX = "\\begin{{align*}}\n{}\n\\end{{align*}}\n"
P, R = Verdict.PROVED, Verdict.REFUTED


def _verdicts(text: str) -> list[Verdict]:
    return [s.verdict for s in check_derivation(parse_tex_derivation(text)).steps]


@pytest.mark.parametrize("t", ["t", "\\tau", "u_1"])
def test_the_normal_distribution_function_is_symmetric(t: str) -> None:
    text = f"% symbols: {t} : real\n" + _TEX.format(
        f"\\Phi({t}) + \\Phi\\!\\left(-{t}\\right) &= 1 \\\\\n&= 2\\Phi({t})")
    assert _verdicts(text) == [P, R]


@pytest.mark.parametrize("phi", ["\\phi", "\\varphi"])
def test_the_derivative_of_the_distribution_function_is_the_density(phi: str) -> None:
    text = "% symbols: c : real\n% symbols: s : positive\n" + _TEX.format(
        f"\\frac{{d}}{{dc}}\\Phi\\left(\\frac{{c}}{{s}}\\right) &= \\frac{{1}}{{s}}{phi}"
        f"\\left(\\frac{{c}}{{s}}\\right) \\\\\n&= {phi}\\left(\\frac{{c}}{{s}}\\right)")
    assert _verdicts(text) == [P, R]


def test_the_mean_of_a_rectified_gaussian() -> None:
    text = "% symbols: m : real\n% symbols: v : positive\n" + _TEX.format(
        "\\int_0^\\infty a\\,\\mathcal{N}(a; m, v^2)\\,da "
        "&= m\\,\\Phi\\!\\left(\\frac{m}{v}\\right) + v\\,\\phi\\!\\left(\\frac{m}{v}\\right)"
        " \\\\\n&= m\\,\\Phi\\!\\left(\\frac{m}{v}\\right) + v^2\\,\\phi\\!\\left("
        "\\frac{m}{v}\\right)")
    assert [v in (P, Verdict.NUMERICALLY_SUPPORTED) for v in _verdicts(text)] == [True, False]


def test_a_declared_letter_keeps_its_declaration() -> None:
    text = "% symbols: t : real\n% functions: \\Phi(t) : real\n" + _TEX.format(
        "\\Phi(t) + \\Phi(t) &= 2\\Phi(t) \\\\\n&= 1")
    steps = check_derivation(parse_tex_derivation(text)).steps
    assert steps[0].verdict == P and steps[1].verdict != P
    # a declared symbol Φ before a bracket multiplies it: Φ(t + 1) is Φ·t + Φ
    text = "% symbols: t : real\n% symbols: \\Phi : real\n" + _TEX.format(
        "\\Phi(t + 1) &= \\Phi t + \\Phi")
    assert _verdicts(text) == [P]
