"""Notation of lecture notes and blog posts read as they print it: several intervals on one
``symbols:`` line, a draw from a declared density at a new point (an i.i.d. copy) whose
variable nothing else declares, a sum over a declared density's variable without a range, a
braced sum index, ``\\mathbb{E}_{r}`` for the one declared ``r_\\theta``; and Jensen's
inequality through nested expectations over independent copies."""

from __future__ import annotations

import pytest

from elbo_derivation.errors import DerivationSyntaxError
from elbo_derivation.read.deriv import parse_derivation
from elbo_derivation.read.tex import parse_tex_derivation


def _verdicts(d, time_limit: float = 5) -> list[str]:
    from elbo_derivation.pipeline import check_derivation

    return [s.verdict.value for s in check_derivation(d, time_limit=time_limit).steps]


def test_several_intervals_on_one_line_each_own_bounds():
    d = parse_derivation(
        "symbols: 0 < u < 1, v > 2\n\n    log(u*v)\n  = log(u) + log(v)\n  <= log(v)\n",
        file="d.deriv")
    assert d.declarations.intervals["u"].inf == 0 and d.declarations.intervals["v"].inf == 2
    assert _verdicts(d) == ["proved", "proved"]


def test_names_between_one_pair_of_bounds_share_them():
    d = parse_tex_derivation(
        "% symbols: 0 < \\gamma, \\kappa < 1\n\\begin{align*}\n\\log(\\gamma\\kappa)\n"
        "  &= \\log\\gamma + \\log\\kappa \\\\\n  &\\leq 0\n\\end{align*}\n", file="d.tex")
    intervals = d.declarations.intervals
    assert intervals["gamma"] == intervals["kappa"] and intervals["kappa"].sup == 1
    assert _verdicts(d) == ["proved", "proved"]


def test_a_list_of_intervals_that_could_share_bounds_is_refused():
    with pytest.raises(DerivationSyntaxError, match="could share its bounds"):
        parse_derivation("symbols: 0 < u, v < 1, w > 0\n\n    u\n  = u\n", file="d.deriv")


IID = """symbols: y : real
densities: r(w|y), s(y, w), s(y)

    E[E[log((s(y, w1)/r(w1|y) + s(y, w2)/r(w2|y))/2), w2 ~ r(w2|y)], w1 ~ r(w1|y)]
  {rel} log(E[E[(s(y, w1)/r(w1|y) + s(y, w2)/r(w2|y))/2, w2 ~ r(w2|y)], w1 ~ r(w1|y)])
"""


def test_copies_of_a_density_variable_need_no_declaration_and_jensen_goes_through_nesting():
    d = parse_derivation(IID.format(rel="<="), file="d.deriv")
    w1 = d.declarations.symbols["w1"]
    assert w1.is_real and d.declarations.symbols["w2"].is_real
    assert _verdicts(d) == ["proved"]
    # the reversed inequality is not proved (log is concave, not convex)
    assert _verdicts(parse_derivation(IID.format(rel=">="), file="d.deriv")) != ["proved"]


def test_a_copy_only_of_a_declared_density_of_that_shape():
    from elbo_derivation.read.declarations import Declarations

    decl = Declarations()
    decl.declare_densities("r(w|y), s(y, w)", 1, 1)
    assert decl.copied_variable("w7", "r", "w7|y") == "w"
    assert decl.copied_variable("w7", "r", "w7|w") is None  # the condition changed too
    assert decl.copied_variable("w7", "t", "w7|y") is None  # no density t


SUM_KL = r"""% densities: r_\theta(w|y), s(w|y), s(y,w), s(y)
\begin{align*}
\sum_{w} r_\theta(w|y) \log \frac{r_\theta(w|y)}{s(w|y)}
  &= \mathbb{E}_{r}\left[\log r_\theta(w|y) - \log \frac{s(y,w)}{s(y)}\right] \\
  &= \mathbb{E}_{r}\left[\log r_\theta(w|y) - \log s(y,w)\right] {sign} \log s(y)
\end{align*}
"""


def test_a_sum_over_a_density_variable_and_the_density_named_by_its_letter():
    right = parse_tex_derivation(SUM_KL.replace("{sign}", "+"), file="d.tex")
    assert _verdicts(right) == ["proved", "proved"]
    wrong = parse_tex_derivation(SUM_KL.replace("{sign}", "-"), file="d.tex")
    assert _verdicts(wrong)[1] == "refuted"


def test_a_braced_index_uses_its_declared_range():
    d = parse_tex_derivation(
        "% symbols: k : integer [1, 3]\n\\begin{align*}\n\\sum_{k} k^2\n  &= 14\n\\end{align*}\n",
        file="d.tex")
    assert _verdicts(d) == ["proved"]


def test_a_letter_that_names_two_densities_is_still_refused():
    text = (r"% densities: r_\theta(w|y), r_\phi(w|y)" "\n\\begin{align*}\n"
            r"\mathbb{E}_{r}\left[\log r_\theta(w|y)\right]" "\n  &= 0\n\\end{align*}\n")
    with pytest.raises(DerivationSyntaxError, match=r"more than one|no declared density"):
        parse_tex_derivation(text, file="d.tex")


def test_a_drawn_copy_is_the_declared_variable_in_every_density_whatever_its_name():
    # u1, u2 are not written as w with a suffix: the draws u ~ r(u|y) make them copies of w,
    # so s(y, u1) is the declared joint s(y, w) at w = u1
    text = IID.format(rel="<=").replace("w1", "u1").replace("w2", "u2")
    d = parse_derivation(text, file="d.deriv")
    assert d.declarations.copies == {"u1": "w", "u2": "w"}
    assert _verdicts(d) == ["proved"]
    # without the draw that makes it a copy, s(y, u1) is no declared density
    with pytest.raises(DerivationSyntaxError, match="not a declared density"):
        parse_derivation("symbols: y, u1 : real\ndensities: r(w|y), s(y, w)\n\n"
                         "    s(y, u1)\n  = s(y, u1)\n", file="d.deriv")


def test_a_deriv_sum_over_a_density_variable_is_over_all_its_values():
    right = ("densities: r(w|y), s(w|y)\n\n    Sum(r(w|y)*log(r(w|y)/s(w|y)), w)\n"
             "  = KL(r(w|y), s(w|y))\n")
    assert _verdicts(parse_derivation(right, file="d.deriv")) == ["proved"]
    wrong = right.replace("KL(r(w|y), s(w|y))", "KL(s(w|y), r(w|y))")
    assert _verdicts(parse_derivation(wrong, file="d.deriv")) == ["refuted"]
    # an index that is no density's variable still needs its range
    with pytest.raises(DerivationSyntaxError, match="closed range"):
        parse_derivation("symbols: u : real\n\n    Sum(u^2, u)\n  = 1\n", file="d.deriv")
