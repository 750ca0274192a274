"""Slips made while a derivative is taken, in its value (issue 17, names3): the chain rule's
inner factor lost from one factor of a product (the product rule applied, the inner derivative
of (1 − t²)⁻² forgotten), or from an inner function SymPy keeps negated (σ(wt + b) as
1/(1 + e^(−b − tw))), and the squared denominator of the quotient rule written unsquared.

Each mechanism is tested in one notation and again with other letters, beside a near miss that
must not get the name.
"""

from __future__ import annotations

import pytest
from corpus.support import named_in_text

pytestmark = pytest.mark.usefixtures("unhurried_naming")

_named = named_in_text

_PRODUCT = """title: t
symbols: 0 < {t} < 1

    diff(2*{t}/(1 - {t}^2)^2, {t})
  = {last}
"""


@pytest.mark.parametrize("t", ["t", "u"])
def test_the_inner_factor_of_one_factor_of_a_product_lost(t: str) -> None:
    # (1 − t²)⁻² differentiated −2(1 − t²)⁻³, its inner factor −2t forgotten
    text = _PRODUCT.format(t=t, last=f"2/(1 - {t}^2)^2 - 4*{t}/(1 - {t}^2)^3")
    assert _named(text) == "chain-rule-factor-forgotten"


def test_another_slip_in_the_product_is_no_chain_rule() -> None:
    # 8t² written 6t²: no inner factor of the product's factors gives it
    text = _PRODUCT.format(t="t", last="2/(1 - t^2)^2 + 6*t^2/(1 - t^2)^3")
    assert _named(text) != "chain-rule-factor-forgotten"


_LOGISTIC = """title: t
symbols: {s}, {x}, {w}, {b} : real

    diff({s}*log(sigmoid({w}*{x} + {b})) + (1 - {s})*log(1 - sigmoid({w}*{x} + {b})), {w})
  = {last}
"""


@pytest.mark.parametrize("s,x,w,b", [("s", "t", "w", "b"), ("y", "a", "k", "c")])
def test_the_inner_factor_of_a_sigmoids_argument_lost(s: str, x: str, w: str, b: str) -> None:
    # d/da log σ(a) = 1 − σ(a) with a = wx + b: the x of da/dw forgotten on both terms
    sig = f"sigmoid({w}*{x} + {b})"
    text = _LOGISTIC.format(s=s, x=x, w=w, b=b, last=f"{s}*(1 - {sig}) - (1 - {s})*{sig}")
    assert _named(text) == "chain-rule-factor-forgotten"


def test_the_right_gradient_with_another_factor_is_no_chain_rule() -> None:
    # 2x(s − σ): the inner factor is there, with a 2 more
    text = _LOGISTIC.format(s="s", x="t", w="w", b="b",
                            last="2*t*(s*(1 - sigmoid(w*t + b)) - (1 - s)*sigmoid(w*t + b))")
    assert _named(text) != "chain-rule-factor-forgotten"


def test_a_minus_one_forgotten_is_left_to_the_sign() -> None:
    # d/dq of (1 − q)log(1 − q) with one sign wrong: a −1 forgotten is also one sign wrong
    text = """title: t
symbols: 0 < q < 1

    diff(q*log(q) + (1 - q)*log(1 - q), q)
  = log(q) + 1 + log(1 - q) - 1
"""
    assert _named(text) == "sign-error"


_QUOTIENT = """title: t
symbols: {a} : positive
symbols: {e} : negative

    diff(-{a}/{e}, {e})
  = {last}
"""


@pytest.mark.parametrize("a,e", [("a", "eta"), ("k", "r")])
def test_the_squared_denominator_of_a_derivative_written_unsquared(a: str, e: str) -> None:
    assert _named(_QUOTIENT.format(a=a, e=e, last=f"{a}/{e}")) == "missing-square"


def test_a_cube_for_the_square_is_no_square_lost() -> None:
    assert _named(_QUOTIENT.format(a="a", e="eta", last="a/eta^3")) != "missing-square"


_SIGMOID = """title: t
symbols: {e}, {n} : positive

    diff({n}*exp({e})/(exp({e}) + 1), {e})
  = {n}*exp({e})/(exp({e}) + 1) - {n}*exp(2*{e})/(exp({e}) + 1)
"""


@pytest.mark.parametrize("e,n", [("eta", "n"), ("h", "m")])
def test_the_square_lost_from_one_term_of_the_quotient_rule(e: str, n: str) -> None:
    assert _named(_SIGMOID.format(e=e, n=n)) == "missing-square"
