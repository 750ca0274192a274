"""Signs, terms, ratios and moments (session 29, B): a term "added" that is the previous
line's own term with its expectation evaluated is no term added; a factor lost inside a log
under an expectation the step keeps is the integrand's term dropped; a constant carried
unchanged is not the one written wrong; the complement of a weight of positive parts; a sign
on one term of a sum differentiated term by term. Other letters than the corpus."""

from __future__ import annotations

from pathlib import Path

import pytest
import sympy as sp
from corpus.support import named_in_text

from elbo_derivation.explain.simulations import weight_complement
from elbo_derivation.explain.witness_terms import term_carried

pytestmark = pytest.mark.usefixtures("unhurried_naming")


def _named(tmp_path: Path, head: str, body: str, step: int) -> str | None:
    return named_in_text(head + "\n" + body, step)


_REAL = "symbols: u : real\nsymbols: w : positive\n"


def test_a_term_with_its_expectation_read_as_a_number_is_no_term_added(
        tmp_path: Path) -> None:
    # E[e] = 0 read as 1: the value of a moment, not a term 2u added
    body = ("    2*u*E[e, e ~ N(0, 1)] + 2*w*E[e^2, e ~ N(0, 1)]\n"
            "  = 2*w + 2*u\n")
    assert _named(tmp_path, _REAL, body, 1) == "wrong-moment"


def test_term_carried_needs_the_previous_lines_term_with_an_expectation() -> None:
    a, x = sp.symbols("a x", positive=True)
    held = 3 * a * sp.Integral(x**2, (x, 0, 1))
    assert term_carried(3 * a, held + x)          # the integral read as 1
    assert term_carried(-6 * a, held + x)         # read as −2: still that term
    assert not term_carried(3 * a, 3 * a + x)     # no expectation: a term of its own
    assert not term_carried(a * x, held + x)      # not that term's other factors
    assert not term_carried(sp.S(0), held)


def test_a_factor_lost_inside_a_log_under_a_kept_expectation(tmp_path: Path) -> None:
    head = "symbols: y : real\nsymbols: c : positive\ndensities: r(y), s(y)\n"
    body = ("    E[log(c*s(y)), y ~ r(y)] - E[log(r(y)), y ~ r(y)]\n"
            "  = E[log(s(y)), y ~ r(y)] - E[log(r(y)), y ~ r(y)]\n")
    assert _named(tmp_path, head, body, 1) == "dropped-term"


def test_the_complement_of_a_weight_of_positive_parts(tmp_path: Path) -> None:
    head = "symbols: g, h : positive\n"
    assert _named(tmp_path, head, "    g/(g + h)\n  = h/(g + h)\n", 1) == \
        "complement-probability"


def test_a_sign_in_an_exponent_is_no_weight_complement(tmp_path: Path) -> None:
    # 1/(1 + e^(g − h)) is e^h/(e^g + e^h) in value, but no complement is written
    head = "symbols: g, h : real\n"
    body = "    exp(g)/(exp(g) + exp(h))\n  = 1/(1 + exp(g - h))\n"
    assert _named(tmp_path, head, body, 1) == "sign-error"


def test_weight_complement_simulation() -> None:
    g, h = sp.symbols("g h", positive=True)
    r = sp.Symbol("r", real=True)
    assert [w for w, _ in weight_complement(g / (g + h), None)] == [h / (g + h)]
    assert weight_complement(r / (r + h), None) == []     # r may be negative
    assert weight_complement(g / (g + h + 1) * 2, None) == []


def test_a_sign_on_one_term_of_a_sum_differentiated_term_by_term(tmp_path: Path) -> None:
    head = ("symbols: k : positive\nsymbols: m : positive integer\nsymbols: j : integer\n"
            "functions: y(j) : nonnegative\n")
    body = ("    diff(Sum(y(j)*log(k) - k, (j, 1, m)), k)\n"
            "  = Sum(y(j)/k + 1, (j, 1, m))\n")
    assert _named(tmp_path, head, body, 1) == "sign-error"


def test_a_sign_where_a_categoricals_probabilities_sum_to_one(tmp_path: Path) -> None:
    # (b1 + b2)·log 2 is log 2 on the simplex: −log 2 written is that term negated
    head = ("symbols: k : integer\nsymbols: b1, b2 : positive\n"
            "densities: r(k) = Categorical(b1, b2)\n")
    body = ("    (b1 + b2)*log(2) + b1*log(b1) + b2*log(b2)\n"
            "  = -log(2) + b1*log(b1) + b2*log(b2)\n")
    assert _named(tmp_path, head, body, 1) == "sign-error"
    # off the simplex nothing: the same step where no categorical says so
    head2 = "symbols: b1, b2 : positive\n"
    assert _named(tmp_path, head2, body, 1) is None
