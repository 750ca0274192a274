"""Sign, ratio and relation mistakes named from roles and structure (issue 17): a complement
1 − P written P (a declared probability, a probability expression, inside one log), a sign
flipped in a whole exponent or in two terms at once, a log ratio written as two logs turned
upside down, Jensen's bound written as an equality or reversed; and the near misses that must
stay unnamed. The derivations use other letters than the corpus, in both formats."""

from __future__ import annotations

from pathlib import Path

import pytest
import sympy as sp
from corpus.support import named_in_text

from elbo_derivation.explain.mistakes import diagnose


def _named(tmp_path: Path, text: str, suffix: str = ".deriv", step: int = 1) -> str | None:
    return named_in_text(text, step, tex=suffix == ".tex")


def test_a_complement_lost_inside_a_log_of_powers_is_named(tmp_path: Path) -> None:
    text = ("symbols: y : real\nsymbols: 0 < w < 1\n\n"
            "    log(w^y*(1 - w)^(1 - y))\n"
            "  = y*log(w) + (1 - y)*log(w)\n")
    assert _named(tmp_path, text) == "complement-probability"


def test_a_weight_written_for_its_complement_is_named_in_latex(tmp_path: Path) -> None:
    text = ("% symbols: A, K : positive\n% symbols: g : (0, 1)\n"
            "\\begin{align*}\nA - g K &= A - K + g K\n\\end{align*}\n")
    assert _named(tmp_path, text, ".tex") == "complement-probability"


def test_a_weight_that_is_not_a_probability_is_not_called_a_complement(tmp_path: Path) -> None:
    text = "symbols: A, K, g : positive\n\n    A - g*K\n  = A - K + g*K\n"
    assert _named(tmp_path, text) is None


def test_both_complements_in_one_log_ratio(tmp_path: Path) -> None:
    text = ("symbols: c, e : (0, 1)\n\n"
            "    c*log(c/e) + (1 - c)*log((1 - c)/(1 - e))\n"
            "  = c*log(c/e) + (1 - c)*log(c/e)\n")
    assert _named(tmp_path, text) == "complement-probability"


def test_a_difference_reversed_in_a_whole_exponent_is_a_sign_error(tmp_path: Path) -> None:
    text = ("symbols: c, e : real\nsymbols: s : positive\n\n"
            "    exp(c/s)/(exp(c/s) + exp(e/s))\n"
            "  = 1/(exp((c - e)/s) + 1)\n")
    assert _named(tmp_path, text) == "sign-error"


def test_two_terms_negated_together_are_a_sign_error(tmp_path: Path) -> None:
    text = ("symbols: u, v, w : positive\n\n"
            "    w*log(w) + (v - u)\n"
            "  = w*log(w) + u - v\n")
    assert _named(tmp_path, text) == "sign-error"


def test_a_log_ratio_written_as_two_logs_and_flipped(tmp_path: Path) -> None:
    text = ("symbols: s, t : real\nsymbols: c : positive\n\n"
            "    c + log((1 + exp(-t))/(1 + exp(-s)))\n"
            "  = c + log(1 + exp(-s)) - log(1 + exp(-t))\n")
    assert _named(tmp_path, text) == "log-ratio-flipped"


def test_two_terms_of_an_evaluated_value_that_combine_are_not_named() -> None:
    # E[z²(z − m)] = 2m under N(m, 1), written m³ − m(m² + 1) + m: negating its first two
    # terms repairs the value, but they combine (−m), so no place of the step is shown
    m, z = sp.Symbol("m", real=True), sp.Symbol("z", real=True)
    dens = sp.exp(-(z - m) ** 2 / 2) / sp.sqrt(2 * sp.pi)
    right = sp.Integral(z**2 * (z - m) * dens, (z, -sp.oo, sp.oo))
    found = diagnose(right, m**3 - m * (m**2 + 1) + m, None, None)
    assert found is None or found.name != "sign-error"


@pytest.mark.parametrize("relation, name", [("=", "jensen-as-equality"),
                                             ("<=", "jensen-reversed")])
def test_jensen_with_a_weight_and_its_complement(tmp_path: Path, relation: str,
                                                 name: str) -> None:
    text = ("symbols: a, b : positive\nsymbols: 0 < w < 1\n\n"
            "    log(a + b)\n"
            f"  {relation} w*log(a/w) + (1 - w)*log(b/(1 - w))\n")
    assert _named(tmp_path, text) == name


def test_jensen_for_an_average_in_latex(tmp_path: Path) -> None:
    text = ("% symbols: a, b : positive\n"
            "\\begin{align*}\n\\log\\frac{a + b}{2} &= \\frac{\\log a + \\log b}{2}\n"
            "\\end{align*}\n")
    assert _named(tmp_path, text, ".tex") == "jensen-as-equality"


def test_weights_that_do_not_sum_to_one_are_not_jensen(tmp_path: Path) -> None:
    text = ("symbols: a, b : positive\nsymbols: 0 < w < 1\n\n"
            "    log(a + b)\n"
            "  = w*log(a/w) + w*log(b/w)\n")
    assert _named(tmp_path, text) is None


def test_a_kl_of_declared_families_is_compared_in_closed_form(tmp_path: Path) -> None:
    # other letters and family than the corpus: two exponentials with rates c and e
    text = ("symbols: c, e : positive\nsymbols: t : positive\n"
            "densities: f(t) = Exponential(c), g(t) = Exponential(e)\n\n"
            "    KL(f(t), g(t))\n"
            "  = log(e/c) + e/c - 1\n")
    # the right value is log(c/e) + e/c − 1: the ratio inside the log flipped
    assert _named(tmp_path, text) == "log-ratio-flipped"


def test_a_sign_in_matrix_notation_is_named_by_the_matrix_rules(tmp_path: Path) -> None:
    text = ("symbols: K : positive integer\nsymbols: a, b : vector(K) real\n"
            "symbols: P : matrix(K) positive definite\n\n"
            "    tr(inv(P)*(a - b)*transpose(a - b))\n"
            "  = tr(inv(P)*a*transpose(a)) + 2*transpose(b)*inv(P)*a"
            " + transpose(b)*inv(P)*b\n")
    assert _named(tmp_path, text) in ("sign-error", "cross-term-sign")


def test_a_repair_inside_a_term_the_value_combined_is_not_named(tmp_path: Path) -> None:
    # E[(x − m)²]/v under N(m, v) is 1, written 2v/v (= 2, the moment 2v): v/2 for one v of
    # 2v/v repairs the written value, as does 1 for 2; no place of the step shows which
    text = ("symbols: m, x : real\nsymbols: v : positive\n\n"
            "    Integral((x - m)^2/v*exp(-(x - m)^2/(2*v))/sqrt(2*pi*v), (x, -oo, oo))"
            " + log(v)\n"
            "  = log(v) + 2*v/v\n")
    assert _named(tmp_path, text) in (None, "wrong-moment", "constant-wrong")


def test_jensen_reversed_against_an_expectation_split_by_linearity(tmp_path: Path) -> None:
    # the bound written ≤ with its right side E_r[log(a·b/r)] split into two expectations
    text = ("symbols: u, v : real\ndensities: r(u), a(v|u), b(u)\n\n"
            "    log(E[a(v|u)*b(u)/r(u), u ~ r(u)])\n"
            "  <= E[log(a(v|u)) + log(b(u)), u ~ r(u)] - E[log(r(u)), u ~ r(u)]\n")
    assert _named(tmp_path, text) == "jensen-reversed"
