"""A factor applied to one term only, where the term left without it holds the factor's
symbols inside a bracket (issue 17, names5): (ε·√(1 − a) + √a·x)/√a written ε·√(1 − a) + x.
The a of √(1 − a) is another quantity than the factor 1/√a, so the page shows the factor
absent from that term; a term that holds the factor's symbol outside every bracket (e·a
without 1/a) may be a power written wrong, and gets no such name.

Each case is tested in one notation and again with other letters.
"""

from __future__ import annotations

import pytest
import sympy as sp
from corpus.support import named_in_text

from elbo_derivation.explain.mistakes import _stands_outside_brackets

pytestmark = pytest.mark.usefixtures("unhurried_naming")

_SPLIT = """title: t
symbols: {e}, {x} : real
symbols: 0 < {a} < 1

    ({e}*sqrt(1 - {a}) + sqrt({a})*{x})/sqrt({a})
  = {last}
"""


def test_a_symbol_inside_a_bracket_is_not_the_factor() -> None:
    a, e, x = sp.symbols("a e x", positive=True)
    assert not _stands_outside_brackets(e * sp.sqrt(1 - a), 1 / sp.sqrt(a))
    assert not _stands_outside_brackets(e / (1 + a) ** 2, a)
    assert _stands_outside_brackets(a * x, a**2)
    assert _stands_outside_brackets(x * sp.log(a), a)  # a log is no bracket
    assert _stands_outside_brackets(x * (1 - a) ** a, a)  # a in the exponent stands out
    assert not _stands_outside_brackets(a * x, sp.Integer(2))


@pytest.mark.parametrize("e,x,a", [("e", "x", "a"), ("u", "y", "k")])
def test_the_factor_divided_into_one_term_only(e, x, a) -> None:
    text = _SPLIT.format(e=e, x=x, a=a, last=f"{e}*sqrt(1 - {a}) + {x}")
    assert named_in_text(text) == "factor-on-one-term"


def test_a_term_holding_the_factors_symbol_outside_a_bracket_is_not_named() -> None:
    text = """title: t
symbols: e, x : real
symbols: a : positive

    (e*a + a^2*x)/a
  = e*a + a*x
"""
    assert named_in_text(text) != "factor-on-one-term"


# --- a factor of a log of a product, kept on some of its logs only -----------------------------

_LOG = """title: t
symbols: {m}, {x} : real
symbols: {s}, {n} : positive

    -{n}*log(sqrt(2*pi)*{s}) - ({x} - {m})^2/(2*{s}^2)
  = {last}
"""


def test_the_log_of_a_product_splits_with_the_factor_on_one_log() -> None:
    from elbo_derivation.explain.simulations import factor_on_one_log_term

    n, s, c = sp.symbols("n s c", positive=True)
    wrong = [w for w, _ in factor_on_one_log_term(n * sp.log(c * s), None)]
    assert set(wrong) == {n * sp.log(s) + sp.log(c), n * sp.log(c) + sp.log(s)}
    assert factor_on_one_log_term(2 * sp.log(c * s), None) == []  # a number: the halves'
    assert factor_on_one_log_term(n * sp.log(s), None) == []  # one log only


@pytest.mark.parametrize("m,x,s,n", [("m", "x", "s", "n"), ("a", "y", "g", "K")])
def test_a_count_kept_on_the_constants_log_and_lost_from_the_scales(m, x, s, n) -> None:
    last = f"-{n}*log(2*pi)/2 - log({s}) - ({x} - {m})^2/(2*{s}^2)"
    assert named_in_text(_LOG.format(m=m, x=x, s=s, n=n, last=last)) == "factor-on-one-term"


def test_the_scales_log_doubled_is_no_factor_on_one_term() -> None:
    last = "-log(2*pi)/2 - 2*log(s) - (x - m)^2/(2*s^2)"
    assert named_in_text(_LOG.format(m="m", x="x", s="s", n="n", last=last)) \
        != "factor-on-one-term"
