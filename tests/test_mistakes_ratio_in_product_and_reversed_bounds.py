# ruff: noqa: E501  (derivations written out as a book prints them)
"""Two kinds of role mistakes named in the fifteenth naming round (issue 17, names11):

* a ratio that is only part of a product turned over, the other factors kept: the
  normalising coefficient Γ(a + b)/(Γ(a)Γ(b)) in front of a Beta integral that the step
  evaluates, written Γ(a)Γ(b)/Γ(a + b) (Kruschke, *Doing Bayesian Data Analysis*, sec. 6.3),
  and a/b in a·u/(2b) written b·u/(2a). A reciprocal alone turned over (1/r written r) is
  not a ratio turned: it may be a precision written for its variance, a rate for its scale,
  so it gets no ratio-flipped name;
* an inequality written the wrong way round where no symbolic tier proves the reverse, but
  the reverse holds at every point the probe tries, to 50 digits: log(1 + e^(−d)) ≤ log 2
  for d ≥ 0 (Boyd & Vandenberghe, *Convex Optimization*, sec. 3.1.5) and Markov's bound
  e^(−λa) ≤ 1/(λa) (Ross, *A First Course in Probability*, prop. 8.2.1). A bound of the
  right direction with a wrong value crosses the true value somewhere, so the reverse fails
  at a point too and no name is given.

Each case is tested in one notation and again with other letters.
"""

from __future__ import annotations

import pytest
import sympy as sp
from corpus.support import named_in_text

from elbo_derivation.explain.simulations import ratio_flipped_in_product

pytestmark = pytest.mark.usefixtures("unhurried_naming")

_BETA = """title: t
symbols: {a}, {b} : positive
symbols: {n} : positive integer
symbols: {k} : integer [0, {n}]

    Integral({t}^({k} + {a} - 1)*(1 - {t})^({n} - {k} + {b} - 1), ({t}, 0, 1))*gamma({a} + {b})/(gamma({a})*gamma({b}))
  = {last}
"""


@pytest.mark.parametrize("t,a,b,n,k", [("theta", "a", "b", "N", "z"), ("w", "r", "s", "M", "j")])
def test_the_coefficient_of_an_evaluated_integral_turned_over(t, a, b, n, k) -> None:
    value = f"gamma({k} + {a})*gamma({n} - {k} + {b})/gamma({n} + {a} + {b})"
    wrong = f"{value}*gamma({a})*gamma({b})/gamma({a} + {b})"
    assert named_in_text(_BETA.format(t=t, a=a, b=b, n=n, k=k, last=wrong)) == "ratio-flipped"
    right = f"{value}*gamma({a} + {b})/(gamma({a})*gamma({b}))"
    assert named_in_text(_BETA.format(t=t, a=a, b=b, n=n, k=k, last=right)) is None


_PRODUCT = """title: t
symbols: {a}, {b}, {u}, {v} : positive

    {a}*({u} + {v})/(2*{b}) + {u}
  = {last}
"""


@pytest.mark.parametrize("a,b,u,v", [("a", "b", "x", "y"), ("k", "m", "s", "t")])
def test_a_ratio_inside_a_product_turned_over(a, b, u, v) -> None:
    text = _PRODUCT.format(a=a, b=b, u=u, v=v, last=f"{b}*({u} + {v})/(2*{a}) + {u}")
    assert named_in_text(text) == "ratio-flipped"


@pytest.mark.parametrize("a,b,u,v", [("a", "b", "x", "y"), ("k", "m", "s", "t")])
def test_a_reciprocal_alone_turned_over_is_not_a_ratio_flipped(a, b, u, v) -> None:
    # 1/b written b: a rate for its scale or a precision for its variance as well
    text = _PRODUCT.format(a=a, b=b, u=u, v=v, last=f"{a}*{b}*({u} + {v})/2 + {u}")
    assert named_in_text(text) != "ratio-flipped"


def test_the_simulation_turns_a_factor_above_with_one_below() -> None:
    a, b, u = sp.symbols("a b u", positive=True)
    wrong = {w for w, _ in ratio_flipped_in_product(a * u / (2 * b), None)}
    assert b * u / (2 * a) in wrong
    assert a * b * u / 2 not in wrong  # the reciprocal 1/b alone
    assert 2 * b / (a * u) not in wrong  # the whole ratio: the table's own variant
    assert ratio_flipped_in_product(a / b, None) == []
    assert ratio_flipped_in_product(a * u, None) == []


_LOG_SUM_EXP = """title: t
symbols: {a} : real
symbols: {d} : nonnegative

    {a} + log(1 + exp(-{d}))
  {rel} {last}
"""


@pytest.mark.parametrize("a,d", [("a", "d"), ("m", "h")])
def test_a_bound_reversed_that_only_the_probe_supports(a, d) -> None:
    text = _LOG_SUM_EXP.format(a=a, d=d, rel=">=", last=f"{a} + log(2)")
    assert named_in_text(text) == "inequality-reversed"


@pytest.mark.parametrize("a,d", [("a", "d"), ("m", "h")])
def test_a_wrong_bound_that_crosses_is_not_named_reversed(a, d) -> None:
    # log(3/2) is below the left side at d = 0 and above it for large d: the reverse fails too
    text = _LOG_SUM_EXP.format(a=a, d=d, rel=">=", last=f"{a} + log(3/2)")
    assert named_in_text(text) is None


_MARKOV = """title: t
symbols: {lam}, {c} : positive

    exp(-{lam}*{c})
  >= 1/({lam}*{c})
"""


@pytest.mark.parametrize("lam,c", [("lam", "a"), ("r", "y")])
def test_markov_bound_reversed(lam, c) -> None:
    assert named_in_text(_MARKOV.format(lam=lam, c=c)) == "inequality-reversed"
