# ruff: noqa: E501  (derivations written out as a book prints them)
"""Mistakes made under an integral, a sum or an expectation that the step keeps (issue 17,
names10). The step rearranges around the construct without evaluating it, so the written
integrand shows the mistake point by point:

* a factor of the integrand lost (∫ x·C·x^(a−1)(1 − x)^(b−1) dx written
  C∫ x^(a−1)(1 − x)^(b−1) dx, Σ k·p(1 − p)^(k−1) written p·Σ (1 − p)^(k−1)) is a dropped
  factor; where the step evaluates the integral, the lost factor only changes a value, and it
  gets no such name;
* the binomial 2 of a cross term lost while a square under an expectation is expanded and
  split by linearity (E[(f − c)²] written E[f²] − c·E[f] + c²): the cross term shows as
  c·E[f], its expectation taken, and the written integrand is the expansion with its 2 lost,
  while a term dropped inside the square gives the written value only through a property of
  the density (E_q[p/q] = 1), not the written integrand.

Each case is tested in one notation and again with other letters.
"""

from __future__ import annotations

import pytest
import sympy as sp
from corpus.support import named_in_text

from elbo_derivation.core.expectation import Expectation
from elbo_derivation.explain.mistakes import _linear_integrand
from elbo_derivation.explain.simulations import _beside_its_power, factor_dropped_in_kept

pytestmark = pytest.mark.usefixtures("unhurried_naming")

_BETA_MEAN = """title: t
symbols: {a}, {b} : positive

    Integral({x}*gamma({a} + {b})/(gamma({a})*gamma({b}))*{x}^({a} - 1)*(1 - {x})^({b} - 1), ({x}, 0, 1))
  = gamma({a} + {b})/(gamma({a})*gamma({b}))*{last}
"""


@pytest.mark.parametrize("x,a,b", [("x", "a", "b"), ("t", "r", "s")])
def test_a_factor_lost_beside_its_power_under_a_kept_integral(x, a, b) -> None:
    wrong = f"Integral({x}^({a} - 1)*(1 - {x})^({b} - 1), ({x}, 0, 1))"
    text = _BETA_MEAN.format(x=x, a=a, b=b, last=wrong)
    assert named_in_text(text) == "dropped-factor"


@pytest.mark.parametrize("x,a,b", [("x", "a", "b"), ("t", "r", "s")])
def test_the_right_step_is_not_refuted_and_an_evaluated_integral_is_not_named(x, a, b) -> None:
    right = f"Integral({x}^{a}*(1 - {x})^({b} - 1), ({x}, 0, 1))"
    assert named_in_text(_BETA_MEAN.format(x=x, a=a, b=b, last=right)) is None
    # the integral evaluated with the factor lost: B(a, b) for B(a + 1, b), a value that
    # other mistakes give too; the page does not show where the factor went
    value = f"gamma({a})*gamma({b})/gamma({a} + {b})"
    assert named_in_text(_BETA_MEAN.format(x=x, a=a, b=b, last=value)) != "dropped-factor"


_GEOMETRIC = """title: t
symbols: {k} : positive integer
symbols: 0 < {p} < 1

    Sum({k}*{p}*(1 - {p})^({k} - 1), ({k}, 1, oo))
  = {last}
"""


@pytest.mark.parametrize("k,p", [("k", "p"), ("j", "w")])
def test_a_factor_lost_from_a_kept_sum(k, p) -> None:
    text = _GEOMETRIC.format(k=k, p=p, last=f"{p}*Sum((1 - {p})^({k} - 1), ({k}, 1, oo))")
    assert named_in_text(text) == "dropped-factor"


def test_a_symbol_beside_a_power_of_itself() -> None:
    x, a = sp.symbols("x a", positive=True)
    assert _beside_its_power(x, x ** (a - 1) * (1 - x) ** a)
    assert not _beside_its_power(x, x**2 * a)  # a square: the entries of squares
    assert not _beside_its_power(x, a * (1 - x))  # no power of x: factor_dropped's case
    assert not _beside_its_power(2 * x, x ** (a - 1))
    wrong = [w for w, _ in factor_dropped_in_kept(x * x ** (a - 1) * (1 - x) ** a, None)]
    assert x ** (a - 1) * (1 - x) ** a in wrong


_CROSS = """title: t
symbols: {z} : real
symbols: {c} : positive
functions: {f}({z}) : real
densities: {q}({z})

    E[({f}({z}) - {c})^2, {z} ~ {q}({z})]
  = {last}
"""


@pytest.mark.parametrize("z,c,f,q", [("z", "c", "f", "q"), ("u", "m", "g", "r")])
def test_the_binomial_two_lost_under_an_expectation_split_by_linearity(z, c, f, q) -> None:
    wrong = (f"E[{f}({z})^2, {z} ~ {q}({z})] - {c}*E[{f}({z}), {z} ~ {q}({z})] + {c}^2")
    assert named_in_text(_CROSS.format(z=z, c=c, f=f, q=q, last=wrong)) \
        == "binomial-coefficient"
    right = (f"E[{f}({z})^2, {z} ~ {q}({z})] - 2*{c}*E[{f}({z}), {z} ~ {q}({z})] + {c}^2")
    assert named_in_text(_CROSS.format(z=z, c=c, f=f, q=q, last=right)) is None
    # the cross term kept and the constant written wrong: no cross term's 2 lost
    other = (f"E[{f}({z})^2, {z} ~ {q}({z})] - 2*{c}*E[{f}({z}), {z} ~ {q}({z})] + {c}")
    assert named_in_text(_CROSS.format(z=z, c=c, f=f, q=q, last=other)) \
        != "binomial-coefficient"


def test_terms_read_as_one_expectation_by_linearity() -> None:
    x = sp.Symbol("x", real=True)
    q, f = sp.Function("q"), sp.Function("f")
    key, integrand = _linear_integrand(
        2 * Expectation(f(x), x, q(x)) - Expectation(x, x, q(x)) / 3 + 1)
    assert key == (Expectation, x, q(x))
    assert sp.expand(integrand - (2 * f(x) - x / 3 + 1)) == 0
    # two densities, or a coefficient holding the variable: not one expectation
    assert _linear_integrand(Expectation(x, x, q(x)) + Expectation(x, x, f(x))) is None
    assert _linear_integrand(x * Expectation(x, x, q(x))) is None


_POISSON = """title: t
symbols: {k} : nonnegative integer
symbols: {n}, {l} : positive

    Sum((({n} - 1)/{n})^{k}*exp(-{n}*{l})*({n}*{l})^{k}/factorial({k}), ({k}, 0, oo))
  = exp(-{n}*{l})*Sum(({n}*{l})^{k}/factorial({k}), ({k}, 0, oo))
"""


@pytest.mark.parametrize("k,n,rate", [("k", "n", "lam"), ("j", "m", "r")])
def test_a_power_lost_beside_a_power_of_the_same_exponent_is_no_factor_named(k, n, rate) -> None:
    # ((n − 1)/n)^k·(nλ)^k is ((n − 1)λ)^k: its loss is also the base of one power written
    # wrong (a term −1 lost), so the factor lost is not the name
    assert named_in_text(_POISSON.format(k=k, n=n, l=rate)) != "dropped-factor"
