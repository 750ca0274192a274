"""Regression tests for the gaps the tenth outsider pass (o10b: estimation, decision theory
and probability textbooks) found: a signal's samples written x[n], and a standard deviation
named for a squared mean the page writes out."""

from __future__ import annotations

import pytest
import sympy as sp

from elbo_derivation.errors import DerivationSyntaxError
from elbo_derivation.read.tex import parse_tex_derivation


def _verdicts(d) -> list[str]:
    from elbo_derivation.pipeline import check_derivation

    return [s.verdict.value for s in check_derivation(d, time_limit=20).steps]


_SIGNAL_HEAD = (
    "% symbols: A : real\n% symbols: s : positive\n% symbols: k : integer\n"
    "% symbols: M : positive integer\n% functions: y[k] : real\n")


def _signal(steps: str) -> str:
    return (_SIGNAL_HEAD + "\\begin{align*}\n"
            "\\frac{\\partial}{\\partial A}\\left(-\\frac{1}{2s^2}"
            "\\sum_{k=0}^{M-1}(y[k]-A)^2\\right)\n"
            + steps + "\\end{align*}\n")


def test_signal_samples_in_square_brackets_are_a_declared_sequence():
    # Kay (1993), ch. 3: the score of a DC level in white noise, the samples written y[k]
    right = _signal("  &= \\frac{1}{s^2}\\sum_{k=0}^{M-1}(y[k]-A) \\\\\n"
                    "  &= \\frac{M}{s^2}\\left(\\frac{1}{M}\\sum_{k=0}^{M-1}y[k] - A\\right)\n")
    d = parse_tex_derivation(right, file="s.tex")
    assert d.start.has(sp.Sum)
    applied = [a for a in d.start.atoms(sp.core.function.AppliedUndef) if a.func.__name__ == "y"]
    assert applied and all(a.args[0].is_integer for a in applied)
    assert _verdicts(d) == ["proved", "proved"]
    wrong = _signal("  &= \\frac{1}{2s^2}\\sum_{k=0}^{M-1}(y[k]-A)\n")  # the power rule's 2 lost
    assert _verdicts(parse_tex_derivation(wrong, file="s.tex")) == ["refuted"]


def test_a_bracket_after_a_declared_symbol_stays_a_product():
    text = ("% symbols: a, b, c : real\n\\begin{align*}\na[b + c] &= ab + ac\n\\end{align*}\n")
    assert _verdicts(parse_tex_derivation(text, file="p.tex")) == ["proved"]


def test_a_bracket_index_that_is_not_an_integer_is_not_a_sample():
    # y[k] declared; y[A] with A real is no sample of the sequence, and is not read as one
    text = (_SIGNAL_HEAD + "\\begin{align*}\ny[A] &= y[A]\n\\end{align*}\n")
    with pytest.raises(DerivationSyntaxError):
        parse_tex_derivation(text, file="b.tex")


def test_a_squared_mean_written_without_its_square_is_no_standard_deviation():
    # Durrett (2019), sec. 1.6: Var X = E X² − (E X)² for an exponential; (E X)² written 1/λ
    # is the square of the mean lost, though the exponential's σ is 1/λ too
    from corpus.support import named_in_text

    head = "% symbols: \\lambda : positive\n\\begin{align*}\n"
    line = ("\\frac{2}{\\lambda^2} - \\left(\\int_0^\\infty x\\,\\lambda e^{-\\lambda x}\\,dx"
            "\\right)^2\n")
    wrong = head + line + "  &= \\frac{2}{\\lambda^2} - \\frac{1}{\\lambda}\n\\end{align*}\n"
    assert _verdicts(parse_tex_derivation(wrong, file="v.tex")) == ["refuted"]
    assert named_in_text(wrong, tex=True) != "std-for-variance"


_LIKELIHOOD_HEAD = ("% symbols: \\theta : positive\n% symbols: i : integer\n"
                    "% symbols: n : positive integer\n% functions: x_i : positive\n")


def _score(rhs: str) -> str:
    return (_LIKELIHOOD_HEAD + "\\begin{align*}\n"
            "\\frac{\\partial}{\\partial\\theta}\\log\\prod_{i=1}^{n}\\theta e^{-\\theta x_i}\n"
            f"  &= \\frac{{\\partial}}{{\\partial\\theta}}\\left({rhs}\\right)\n\\end{{align*}}\n")


def test_the_derivative_of_the_log_of_a_likelihood_product_by_the_sum_of_its_logs():
    # Pawitan (2001), sec. 2.5: the score of an exponential sample; the log of the product of
    # n positive factors is the sum of their logs under the derivative too
    right = _score("n\\log\\theta - \\theta\\sum_{i=1}^{n}x_i")
    assert _verdicts(parse_tex_derivation(right, file="l.tex")) == ["proved"]
    lost = _score("\\log\\theta - \\theta\\sum_{i=1}^{n}x_i")  # the n of n log θ lost
    assert _verdicts(parse_tex_derivation(lost, file="l.tex")) == ["refuted"]


def test_a_precision_written_for_the_variance_it_inverts_is_named():
    # Berger (1985), sec. 4.4.2: under a normal posterior N(μ, 1/ρ) the posterior expected
    # squared-error loss of a is 1/ρ + (μ − a)²; writing ρ for the variance 1/ρ
    from corpus.support import named_in_text

    head = ("% symbols: a, x, \\mu : real\n% symbols: \\rho : positive\n"
            "% densities: \\pi(\\theta|x) = \\mathcal{N}(\\mu, 1/\\rho)\n\\begin{align*}\n"
            "\\mathbb{E}_{\\pi(\\theta|x)}\\left[(\\theta-\\mu)^2\\right] + (\\mu - a)^2\n")
    wrong = head + "  &= \\rho + (\\mu - a)^2\n\\end{align*}\n"
    assert named_in_text(wrong, tex=True) == "precision-for-variance"
    other = head + "  &= 2\\rho + (\\mu - a)^2\n\\end{align*}\n"  # not the precision alone
    assert named_in_text(other, tex=True) != "precision-for-variance"


def test_a_series_reindexed_by_two_with_its_old_bound_kept_is_an_index_shift():
    # Durrett (2019), sec. 1.6: E X(X − 1) = λ² for a Poisson X; Σ_{k≥2} λ^(k−2)/(k−2)! is
    # Σ_{j≥0} λ^j/j!, and keeping the bound 2 loses the terms j = 0, 1
    from corpus.support import named_in_text

    head = ("symbols: lam : positive\nsymbols: k, j : integer\n"
            "    lam^2*Sum(lam^(k - 2)/factorial(k - 2), (k, 2, oo))\n")
    assert named_in_text(head + "  = lam^2*Sum(lam^j/factorial(j), (j, 2, oo))\n") == \
        "index-shift"
    right = "  = lam^2*Sum(lam^j/factorial(j), (j, 0, oo))\n"
    assert named_in_text(head + right) is None
