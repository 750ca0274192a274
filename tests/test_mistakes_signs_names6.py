"""A constant lost, seen twice at one place; ties of two signs stay ties (naming, round 12).

A −1 lost from an exponent is reproduced twice: forward, the −1 written 0 (a −1 lost, a
special case of a term dropped), and backward, the −1 missing from the sum the author wrote
(a term dropped). Both say the same constant at the same place, so the special case is
named. A bracket of one term turned round is the whole line negated as much as one term's
sign: two entries reproduce it, and the step stays "not recognised". Other letters than the
corpus."""

from __future__ import annotations

import pytest
from corpus.support import named_in_text

pytestmark = pytest.mark.usefixtures("unhurried_naming")


_GAMMA = "symbols: t, a, b, k : positive\n"


def test_a_minus_one_lost_from_an_exponent_under_a_kept_integral() -> None:
    body = ("    Integral(t^k*exp(-t)*t^(a - 1)*exp(-t/b), (t, 0, oo))\n"
            "  = Integral(t^(a + k)*exp(-t*(1 + b)/b), (t, 0, oo))\n")
    assert named_in_text(_GAMMA + body, 1) == "missing-minus-one"


def test_an_exponent_off_by_two_is_no_minus_one_lost() -> None:
    body = ("    Integral(t^k*exp(-t)*t^(a - 1)*exp(-t/b), (t, 0, oo))\n"
            "  = Integral(t^(a + k + 1)*exp(-t*(1 + b)/b), (t, 0, oo))\n")
    assert named_in_text(_GAMMA + body, 1) != "missing-minus-one"


_UNIT = "symbols: u : real\nsymbols: 0 < r < 1\n"


def test_a_bracket_of_one_term_turned_round_stays_a_tie() -> None:
    # the whole negated and one term's sign write the same page: not recognised
    body = ("    (u*(1 - r) - (1 - u)*r)/(r*(1 - r))\n"
            "  = (r - u)/(r*(1 - r))\n")
    assert named_in_text(_UNIT + body, 1) is None


def test_a_line_of_several_terms_negated_is_the_whole_sign() -> None:
    body = ("    u*r - u\n"
            "  = u - u*r\n")
    assert named_in_text(_UNIT + body, 1) == "overall-sign"
