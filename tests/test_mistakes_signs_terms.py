"""Signs and ratios where the right expression must first be written out as the step did
(issue 17): a sign on one term of a derivative as the product or quotient rule writes it,
a sum over a few values written out term by term, the log-evidence alone on its line, a log
of a sum that is one fraction turned upside down, log K written log(1/K); and the near
misses that must stay unnamed. Other letters than the corpus, in both formats."""

from __future__ import annotations

from pathlib import Path

import sympy as sp
from corpus.support import named_in_text

from elbo_derivation.explain.mistakes import _few_terms_written_out, _rule_terms


def _named(tmp_path: Path, text: str, suffix: str = ".deriv", step: int = 1) -> str | None:
    return named_in_text(text, step, tex=suffix == ".tex")


def test_the_product_rule_keeps_its_terms_apart() -> None:
    t, c = sp.symbols("t c", positive=True)
    terms = _rule_terms(sp.Derivative(t * sp.log(c / t) + t**2, t))
    assert terms is not None and sorted(terms, key=str) == sorted(
        [sp.log(c / t), sp.S(-1), 2 * t], key=str)
    assert _rule_terms(sp.Derivative(t**3, t, 2)) is None  # a second derivative


def test_a_sign_on_one_product_rule_term_is_a_sign_error(tmp_path: Path) -> None:
    # d/dv (v log(h/v)) = log(h/v) − 1: the −1 of the product rule written +1, merged by
    # SymPy's value with the +1 of the other term
    text = ("symbols: h, k : positive\nsymbols: 0 < v < 1\n\n"
            "    diff(v*log(h/v) + (1 - v)*log(k/(1 - v)), v)\n"
            "  = log(h/v) + 1 - log(k/(1 - v)) + 1\n")
    assert _named(tmp_path, text) == "sign-error"


def test_a_sign_in_the_quotient_rule_is_a_sign_error(tmp_path: Path) -> None:
    text = ("symbols: g, y : positive\n\n"
            "    diff(g*y/(3 + y), y)\n"
            "  = g*(3 + 2*y)/(3 + y)^2\n")
    assert _named(tmp_path, text) == "sign-error"


def test_a_half_on_one_product_rule_term_is_not_a_sign(tmp_path: Path) -> None:
    text = ("symbols: h, k : positive\nsymbols: 0 < v < 1\n\n"
            "    diff(v*log(h/v) + (1 - v)*log(k/(1 - v)), v)\n"
            "  = log(h/v) - 1/2 - log(k/(1 - v)) + 1\n")
    assert _named(tmp_path, text) != "sign-error"


def test_a_sum_over_two_values_is_written_out() -> None:
    k = sp.Symbol("k", integer=True)
    w = sp.Symbol("w", positive=True)
    assert _few_terms_written_out(sp.Sum(w**k * (1 - w) ** (1 - k), (k, 0, 1)), w) == 1
    kept = sp.Sum(w**k, (k, 0, 20))
    assert _few_terms_written_out(kept, w) == kept  # too many values to write out


BERNOULLI_KL = ("% symbols: 0 < c < 1\n% symbols: 0 < e < 1\n"
                "% symbols: j : nonnegative integer\n"
                "% densities: r(j) = Bernoulli(c), s(j) = Bernoulli(e)\n"
                "\\begin{align*}\n\\sum_{j=0}^{1} r(j)\\ln\\frac{r(j)}{s(j)}\n"
                "  &= {written}\n\\end{align*}\n")


def test_a_log_ratio_flipped_in_one_outcome_of_a_sum(tmp_path: Path) -> None:
    text = BERNOULLI_KL.replace("{written}", "c\\ln\\frac{e}{c} + (1 - c)\\ln\\frac{1 - c}{1 - e}")
    assert _named(tmp_path, text, ".tex") == "log-ratio-flipped"


def test_a_complement_in_one_outcome_of_a_sum(tmp_path: Path) -> None:
    text = BERNOULLI_KL.replace("{written}", "c\\ln\\frac{c}{e} + c\\ln\\frac{1 - c}{1 - e}")
    assert _named(tmp_path, text, ".tex") == "complement-probability"


def test_the_log_evidence_alone_negated(tmp_path: Path) -> None:
    text = ("symbols: y, w : real\ndensities: r(w|y), p(y)\n\n"
            "    E[log(p(y)), w ~ r(w|y)]\n"
            "  = -log(p(y))\n")
    assert _named(tmp_path, text) == "log-evidence-sign"


def test_a_line_of_one_term_negated_is_the_whole_negated(tmp_path: Path) -> None:
    # the whole negated and its one term negated are the same page; the minus written in
    # front shows the sign of the whole changed (session 28: overall-sign, the special case
    # of a sign error on a line of one term)
    text = "symbols: y : real\n\n    log(exp(y))\n  = -y\n"
    assert _named(tmp_path, text) == "overall-sign"


def test_a_log_of_a_sum_that_is_one_fraction_turned(tmp_path: Path) -> None:
    text = ("symbols: 0 < g < 1\n\n"
            "    g*log(g/(1 - g)) - log(1 + g/(1 - g))\n"
            "  = g*log(g) - g*log(1 - g) - log(1 - g)\n")
    assert _named(tmp_path, text) == "log-ratio-flipped"


def test_a_sign_written_on_a_log_of_a_sum_is_no_ratio_flipped(tmp_path: Path) -> None:
    # the argument stands as before and the sign changed: not the ratio turned
    text = ("symbols: 0 < g < 1\n\n"
            "    g*log(g/(1 - g)) - log(1 + g/(1 - g))\n"
            "  = g*log(g/(1 - g)) + log(1 + g/(1 - g))\n")
    assert _named(tmp_path, text) != "log-ratio-flipped"


def test_log_k_written_log_of_its_reciprocal(tmp_path: Path) -> None:
    text = ("symbols: 0 < b1 < 1\nsymbols: 0 < b2 < 1\n\n"
            "    b1*log(2*b1) + b2*log(2*b2)\n"
            "  = b1*log(b1) + b2*log(b2) + (b1 + b2)*log(1/2)\n")
    assert _named(tmp_path, text) == "log-ratio-flipped"


def test_log_k_written_with_a_minus_is_no_ratio_flipped(tmp_path: Path) -> None:
    text = ("symbols: 0 < b1 < 1\nsymbols: 0 < b2 < 1\n\n"
            "    b1*log(2*b1) + b2*log(2*b2)\n"
            "  = b1*log(b1) + b2*log(b2) - (b1 + b2)*log(2)\n")
    assert _named(tmp_path, text) != "log-ratio-flipped"


def test_a_log_written_of_its_reciprocal(tmp_path: Path) -> None:
    text = ("symbols: h, k : positive\n\n"
            "    h*log(h/(h/(h + k)))/(h + k) + k*log(h + k)/(h + k)\n"
            "  = h*log(1/(h + k))/(h + k) + k*log(h + k)/(h + k)\n")
    assert _named(tmp_path, text) == "log-ratio-flipped"


def test_completing_a_square_up_to_a_constant_with_its_sign_wrong(tmp_path: Path) -> None:
    # =~ [y]: equal up to a term free of y; the gap of a completed square over a sum only
    # shows free of y once its derivative in y is taken
    text = ("symbols: y, g : real\nsymbols: t : positive\n\n"
            "    -(1 + t)*y^2/2 + g*y\n"
            "  =~ [y] -(1 + t)/2*(y + g/(1 + t))^2\n")
    # (y + m)² for (y − m)²: the sign in the square is the cross term's
    assert _named(tmp_path, text) == "cross-term-sign"
    other = ("symbols: y, g : real\nsymbols: t : positive\n\n"
             "    -(1 + t)*y^2/2 + g*y\n"
             "  =~ [y] -(1 + t)/2*(y - 2*g/(1 + t))^2\n")
    # a gap that depends on y (the centre doubled): no sign explains it
    assert _named(tmp_path, other) not in ("cross-term-sign", "sign-error")


def test_a_length_written_as_its_complement_under_a_derivative(tmp_path: Path) -> None:
    # ∫_{e^{−κs}}^{1} dv = 1 − e^{−κs}, a probability beside its complement; e^{−κs} written
    # for it is the complement, though the whole negated gives the same derivative
    text = ("symbols: k, s : positive\nsymbols: v : real\n\n"
            "    diff(Integral(1, (v, exp(-k*s), 1)), s)\n"
            "  = diff(exp(-k*s), s)\n")
    assert _named(tmp_path, text) == "complement-probability"


def test_the_cross_term_sign_in_a_bracket_the_value_distributes(tmp_path: Path) -> None:
    # the written bracket −(y² + 2yk + v² + k²)/2 stands term by term in the evaluated
    # value: the repair of its cross term is located
    text = ("symbols: y, w, k : real\nsymbols: v : positive\ndensities: r(w) = N(k, v^2)\n\n"
            "    E[-log(2*pi)/2 - (y - w)^2/2, w ~ r(w)]\n"
            "  = -log(2*pi)/2 - (y^2 + 2*y*k + v^2 + k^2)/2\n")
    assert _named(tmp_path, text) == "cross-term-sign"
    # the right value with v² missing is another mistake, not a sign
    other = text.replace("2*y*k + v^2", "-2*y*k")
    assert _named(tmp_path, other) not in ("cross-term-sign", "sign-error")
