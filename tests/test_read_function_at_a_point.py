"""A declared function at any point of its domain, as the reparameterisation trick writes it:
``f(\\mu + \\sigma\\epsilon)`` and ``f'(\\mu + \\sigma\\epsilon)`` for the declared ``f(z)``,
checked as the function (its derivative) at that point and shown with its primes as written.
A density stays a density of its own variable (or a declared copy), and a point outside the
declared domain is not read as one inside it."""

from __future__ import annotations

import pytest

from elbo_derivation.core.steps import Verdict
from elbo_derivation.errors import DerivationSyntaxError
from elbo_derivation.pipeline import check_derivation
from elbo_derivation.read.deriv import parse_derivation
from elbo_derivation.read.tex import parse_tex_derivation
from elbo_derivation.report.latex import shown_latex
from elbo_derivation.report.pretty import shown_pretty

REPARAM = r"""% symbols: {m}, {v} : real
% symbols: {s} : positive
% functions: {f}({v}) : real
\begin{{align*}}
\frac{{\partial}}{{\partial {m}}} \mathbb{{E}}_{{{v} \sim \mathcal{{N}}({m}, {s}^2)}}[{f}({v})]
&= \frac{{\partial}}{{\partial {m}}}
   \mathbb{{E}}_{{\epsilon \sim \mathcal{{N}}(0, 1)}}[{f}({m} + {s}\epsilon)] \\
&= \mathbb{{E}}_{{\epsilon \sim \mathcal{{N}}(0, 1)}}\left[{f}'({m} + {s}\epsilon){extra}\right]
\end{{align*}}
"""


@pytest.mark.parametrize("letters", [{"m": r"\mu", "v": "z", "s": r"\sigma", "f": "f"},
                                     {"m": "a", "v": "t", "s": "b", "f": "g"}])
@pytest.mark.parametrize(("extra", "right"), [("", True), (" {s}", False)])
def test_the_reparameterisation_gradient_with_a_function_at_a_point(
        letters: dict[str, str], extra: str, right: bool) -> None:
    text = REPARAM.format(extra=extra.format(**letters), **letters)
    d = check_derivation(parse_tex_derivation(text, file="r.tex"))
    verdicts = [s.result.verdict for s in d.steps]
    assert verdicts[0] is Verdict.PROVED
    assert (verdicts[1] is Verdict.PROVED) is right
    if not right:
        assert verdicts[1] is Verdict.REFUTED
        note = d.steps[1].result.counterexample.note
        assert "p(z)" not in note and letters["f"] in note  # the step's own function


def test_a_prime_is_shown_as_written() -> None:
    d = parse_tex_derivation(REPARAM.format(extra="", m=r"\mu", v="z", s=r"\sigma", f="f"),
                             file="r.tex")
    assert shown_pretty(d, d.steps[1]) == "E_{ε ~ N(0, 1)}[f′(μ + σ·ε)]"
    assert "f'\\left(\\mu + \\sigma \\epsilon\\right)" in shown_latex(d, d.steps[1])


def test_in_deriv_files_too() -> None:
    text = ("symbols: m, z : real\nsymbols: s : positive\nfunctions: f(z) : real\n\n"
            "  diff(E[f(m + s*e), e ~ N(0, 1)], m)\n= E[f'(m + s*e), e ~ N(0, 1)]\n"
            "= E[f'(m + s*e)*s, e ~ N(0, 1)]\n")
    d = check_derivation(parse_derivation(text, file="r.deriv"))
    assert [s.result.verdict for s in d.steps] == [Verdict.PROVED, Verdict.REFUTED]


def test_a_point_outside_the_declared_domain_is_not_read() -> None:
    text = ("symbols: m : real\nsymbols: s : positive\nfunctions: g(s) : positive\n\n"
            "  g(m)\n= g(m)\n")
    with pytest.raises(DerivationSyntaxError):
        parse_derivation(text, file="r.deriv")


def test_a_density_is_not_a_function_at_any_point() -> None:
    text = ("% symbols: m, z : real\n% symbols: s : positive\n% densities: q(z)\n"
            "\\begin{align*} q(m + s) &= q(m + s) \\end{align*}\n")
    with pytest.raises(DerivationSyntaxError):
        parse_tex_derivation(text, file="r.tex")
