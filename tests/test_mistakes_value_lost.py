"""Naming, fourteenth round (names9): a part of the step's value lost while evaluating it.

A step that takes an integral (a sum) and loses one part of the value on the way (a term of
the closed form, a log of a factor) is reproduced by no simulation of the previous line: the
part never stood there. The step's right value in closed form, multiplied out and with its
logs split, shows it. Named only for parts that hold symbols, and only when no simulation of
the previous line is seen on the page; a number lost from the value stays unnamed. Each case
in one notation and again with other letters.
"""

from __future__ import annotations

import pytest
from corpus.support import named_in_text

pytestmark = pytest.mark.usefixtures("unhurried_naming")

_named = named_in_text


def test_a_log_of_a_factor_lost_from_an_integral_is_a_dropped_term() -> None:
    # the KL of U(0, a) from U(0, a + w): ∫₀^a (1/a) log((a + w)/a) dx = log(a + w) − log a;
    # written log(a + w), the −log a of the value lost (Cover & Thomas, ex. 8.1 style)
    text = ("symbols: a, w : positive\nsymbols: x : real\n"
            "Integral(log((a + w)/a)/a, (x, 0, a))\n= log(a + w)\n")
    assert _named(text) == "dropped-term"
    renamed = ("symbols: c, h : positive\nsymbols: u : real\n"
               "Integral(log((c + h)/c)/c, (u, 0, c))\n= log(c + h)\n")
    assert _named(renamed) == "dropped-term"


def test_a_term_with_symbols_lost_from_a_definite_integral_is_a_dropped_term() -> None:
    # ∫₀^b (1 + 2t/a) dt = b + b²/a, written b: the b²/a of the antiderivative lost
    text = ("symbols: a, b : positive\nsymbols: t : real\n"
            "Integral(1 + 2*t/a, (t, 0, b))\n= b\n")
    assert _named(text) == "dropped-term"
    renamed = ("symbols: k, m : positive\nsymbols: y : real\n"
               "Integral(1 + 2*y/k, (y, 0, m))\n= m\n")
    assert _named(renamed) == "dropped-term"


def test_a_number_lost_from_an_integral_is_not_named() -> None:
    # ∫₀^w e^{−x/a}/a dx = 1 − e^{−w/a}, written −e^{−w/a}: the 1 lost is a number, which
    # another number of the value changed could also explain
    text = ("symbols: a, w : positive\nsymbols: x : real\n"
            "Integral(exp(-x/a)/a, (x, 0, w))\n= -exp(-w/a)\n")
    assert _named(text) is None


def test_two_parts_of_the_value_wrong_is_not_a_dropped_term() -> None:
    # log(a + w) − log a written 2 log(a + w): a part lost and another changed
    text = ("symbols: a, w : positive\nsymbols: x : real\n"
            "Integral(log((a + w)/a)/a, (x, 0, a))\n= 2*log(a + w)\n")
    assert _named(text) != "dropped-term"


def test_the_sign_of_one_term_of_an_integral_s_value_is_a_sign_error() -> None:
    # ∫₀^b (1 + 2t/a) dt = b + b²/a, written b − b²/a: one term of the value negated, a term
    # with symbols that no other term is a number times
    text = ("symbols: a, b : positive\nsymbols: t : real\n"
            "Integral(1 + 2*t/a, (t, 0, b))\n= b - b^2/a\n")
    assert _named(text) == "sign-error"
    renamed = ("symbols: k, m : positive\nsymbols: y : real\n"
               "Integral(1 + 2*y/k, (y, 0, m))\n= m - m^2/k\n")
    assert _named(renamed) == "sign-error"


def test_a_number_inside_an_exponent_of_the_value_is_no_term_lost() -> None:
    # ∫ (2πs²)^(−(1+β)/2) e^{−(1+β)(z−m)²/(2s²)} dz = (2πs²)^(−β/2)/√(1 + β), written
    # (2πs²)^(−(1+β)/2)·√(2πs²): a factor lost, not a term β/2 of an exponent
    # (Knoblauch, Jewson & Damoulas 2022, sec. 5.1)
    text = ("symbols: m, z : real\nsymbols: s, beta : positive\n"
            "Integral((2*pi*s^2)^(-(1 + beta)/2)*exp(-(1 + beta)*(z - m)^2/(2*s^2)), "
            "(z, -oo, oo))\n= (2*pi*s^2)^(-(1 + beta)/2)*sqrt(2*pi*s^2)\n")
    assert _named(text) != "dropped-term"


# --- a sum that looks carried through the step may be the slip itself -----------------------


def test_a_half_kept_in_a_log_on_both_lines_still_stands_in_the_way() -> None:
    # VIMCO's signal for two samples: log((w₁ + w₂)/2) − log((w₂ + w₂)/2) written
    # log((w₁ + w₂)/2) − log(2w₂) is a ½ dropped in the second log or a ½ added in the first;
    # that the first stands on both lines alike does not say it was carried (the logistic
    # loss's e^(−ywx) + 1 written for e^(ywx) + 1 stands on both lines alike, and is the
    # slip): no name (Mnih & Rezende 2016, eq. 8)
    text = ("symbols: w1, w2 : positive\nlog((w1 + w2)/2) - log((w2 + w2)/2)\n"
            "= log((w1 + w2)/2) - log(2*w2)\n")
    assert _named(text) is None


def test_a_sum_miswritten_as_the_previous_line_s_is_not_a_factor_dropped() -> None:
    # −yx·e^(−ywx)/(1 + e^(−ywx)) multiplied above and below by e^(ywx) is −yx/(e^(ywx) + 1);
    # written −yx/(e^(−ywx) + 1), the sign of the exponent slipped (Mohri, Rostamizadeh &
    # Talwalkar 2018, sec. 13.3)
    text = ("symbols: w, x, y : real\n-y*x*exp(-y*w*x)/(1 + exp(-y*w*x))\n"
            "= -y*x/(exp(-y*w*x) + 1)\n")
    assert _named(text) != "dropped-factor"
