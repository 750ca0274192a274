"""Gaussian tails, ∫_a^∞ t^k e^(−r(t − m)²) dt for any finite lower bound a: the moments of a
rectified or truncated normal (Wu et al. 2019: E[max(0, a)] = μΦ(μ/σ) + σφ(μ/σ)), proved by
rule through the error function in any letters; a wrong tail is refuted."""

from __future__ import annotations

import pytest

from elbo_derivation.core.steps import Verdict
from elbo_derivation.pipeline import check_derivation
from elbo_derivation.read.tex import parse_tex_derivation

_TEX = "\\begin{{align*}}\n{}\n\\end{{align*}}\n"
P, R = Verdict.PROVED, Verdict.REFUTED


def _verdicts(text: str) -> list[Verdict]:
    return [s.verdict for s in check_derivation(parse_tex_derivation(text)).steps]


@pytest.mark.parametrize("u, c", [("\\epsilon", "c"), ("w", "b")])
def test_the_standard_normal_tails(u: str, c: str) -> None:
    text = f"% symbols: {c} : real\n" + _TEX.format(
        f"\\int_{{{c}}}^{{\\infty}} {u}\\,\\frac{{1}}{{\\sqrt{{2\\pi}}}}e^{{-{u}^2/2}}"
        f"\\,\\mathrm{{d}}{u} + \\int_{{-{c}}}^{{\\infty}} \\phi({u})\\,\\mathrm{{d}}{u}"
        f" &= \\phi({c}) + \\Phi({c}) \\\\\n&= \\phi({c}) + \\Phi(-{c})")
    assert _verdicts(text) == [P, R]


@pytest.mark.parametrize("m, s, a", [("\\mu", "\\sigma", "a"), ("m", "v", "x")])
def test_the_mean_of_a_rectified_normal(m: str, s: str, a: str) -> None:
    text = f"% symbols: {m} : real\n% symbols: {s} : positive\n" + _TEX.format(
        f"\\int_0^\\infty {a}\\,\\mathcal{{N}}({a}; {m}, {s}^2)\\,\\mathrm{{d}}{a} "
        f"&= {m}\\Phi\\left(\\frac{{{m}}}{{{s}}}\\right) + {s}\\phi\\left(\\frac{{{m}}}"
        f"{{{s}}}\\right) \\\\\n&= {m}\\Phi\\left(\\frac{{{m}}}{{{s}}}\\right) + "
        f"{s}^2\\phi\\left(\\frac{{{m}}}{{{s}}}\\right)")
    assert _verdicts(text) == [P, R]
