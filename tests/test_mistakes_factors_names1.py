"""A factor dropped from a product as the previous line wrote it (issue 17, names1): a step
that rearranges or cancels loses a factor its author wrote, where SymPy's own form of the
previous line has already merged that product (y/√y is √y), so the factor is found on the
line as written.

Each mechanism is tested in one notation and again with other letters, beside a near miss that
must not get the name.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import sympy as sp
from corpus.support import named_in_text

from elbo_derivation.explain import simulations as sim

pytestmark = pytest.mark.usefixtures("unhurried_naming")

_named = named_in_text


# --- the simulation ---------------------------------------------------------------------------


def test_each_factor_of_a_written_denominator_is_offered_alone() -> None:
    a, b, c, d = sp.symbols("a b c d", positive=True)
    page = sp.Mul(a, b, sp.Pow(sp.Mul(c, d, evaluate=False), -1, evaluate=False),
                  evaluate=False)
    wrong = [w for w, _ in sim.factor_dropped_as_written(sp.S.Zero,
                                                         SimpleNamespace(page_before=lambda: page))]
    assert a * b / c in wrong and a * b / d in wrong  # 1/d, 1/c lost from the denominator
    assert b / (c * d) in wrong and a * b in wrong
    assert all(w.free_symbols for w in wrong)  # never a product left a number


def test_a_root_beside_its_base_is_not_offered() -> None:
    # 3y/(2√y) written 3y/2 is √y written y (a root written as its base), not a factor lost
    y = sp.Symbol("y", positive=True)
    page = sp.Mul(3, y, sp.Pow(sp.Mul(2, sp.sqrt(y), evaluate=False), -1, evaluate=False),
                  evaluate=False)
    wrong = [w for w, _ in sim.factor_dropped_as_written(sp.S.Zero,
                                                         SimpleNamespace(page_before=lambda: page))]
    assert 3 * y / 2 not in wrong and 3 / (2 * sp.sqrt(y)) in wrong


def test_a_factor_inside_a_powers_base_is_not_offered() -> None:
    s, e = sp.symbols("s e", positive=True)
    page = sp.Mul(sp.Pow(sp.Mul(s, e, evaluate=False), 2, evaluate=False),
                  sp.Pow(sp.Mul(2, sp.Pow(s, 2), evaluate=False), -1, evaluate=False),
                  evaluate=False)
    wrong = [w for w, _ in sim.factor_dropped_as_written(sp.S.Zero,
                                                         SimpleNamespace(page_before=lambda: page))]
    assert e**2 / (2 * s**2) not in wrong  # (se)² written e²: s² lost, a substitution half made


def test_no_page_or_the_same_line_offers_nothing() -> None:
    a, b = sp.symbols("a b", positive=True)
    assert sim.factor_dropped_as_written(a * b, SimpleNamespace(page_before=lambda: a * b)) == []
    assert sim.factor_dropped_as_written(a * b, None) == []


def test_a_factor_inside_a_log_is_left_to_the_terms() -> None:
    a, b = sp.symbols("a b", positive=True)
    page = sp.Mul(a, sp.log(sp.Mul(a, b, evaluate=False), evaluate=False), evaluate=False)
    wrong = [w for w, _ in sim.factor_dropped_as_written(sp.S.Zero,
                                                         SimpleNamespace(page_before=lambda: page))]
    # a, or the log, dropped from the product; nothing from inside the log (log b, log a)
    assert set(wrong) == {sp.log(a * b), a}


# --- in derivations ---------------------------------------------------------------------------

_SCALE = """title: t
symbols: {a}, {c} : real
symbols: {u}, {w} : positive

    {u} - 2*({c}/{w})*{c} + ({c}/{w})^2*{w}
  = {last}
"""


@pytest.mark.parametrize("a,c,u,w", [("a", "c", "u", "w"), ("k", "g", "r", "h")])
def test_a_factor_the_author_wrote_lost_while_multiplying_out(a, c, u, w) -> None:
    # (c/w)²·w written c²/w²: the w the author wrote is lost
    text = _SCALE.format(a=a, c=c, u=u, w=w, last=f"{u} - 2*{c}^2/{w} + {c}^2/{w}^2")
    assert _named(text) == "dropped-factor"


def test_a_term_wrong_in_another_way_is_no_factor_dropped() -> None:
    # c²/w² + 1 for the last term: no factor of the written products gives it
    text = _SCALE.format(a="a", c="c", u="u", w="w", last="u - 2*c^2/w + c^2/w^2 + 1")
    assert _named(text) != "dropped-factor"


_QUOTIENT = """title: t
symbols: {a}, {b}, {c}, {d} : positive

    {a}*{b}/({c}*{d}) + {a}
  = {last}
"""


@pytest.mark.parametrize("a,b,c,d", [("a", "b", "c", "d"), ("m", "k", "g", "r")])
def test_a_factor_of_a_written_denominator_lost(a, b, c, d) -> None:
    text = _QUOTIENT.format(a=a, b=b, c=c, d=d, last=f"{a}*{b}/{c} + {a}")
    assert _named(text) == "dropped-factor"
