"""Squares, counts and halves (session 29): a symbol's square lost on a step that rearranges,
put back on the written step; a dimension count written 1; a root said lost from a log where
the previous line writes none no longer standing in the way of the ½ dropped.

Each mechanism is tested in one notation and again with other letters, beside a near miss that
must not get the name.
"""

from __future__ import annotations

import pytest
import sympy as sp
from corpus.support import named_in_text

from elbo_derivation.explain import simulations as sim

pytestmark = pytest.mark.usefixtures("unhurried_naming")


_named = named_in_text


# --- the simulations --------------------------------------------------------------------------


def test_a_symbols_square_is_put_back_on_one_factor() -> None:
    a, s = sp.symbols("a s", positive=True)
    assert [r for r, _ in sim.symbol_square_restored(a * s**2, None)] == [a**2 * s**2]
    # a power of the symbol already stands in the product: its power written wrong, not a
    # square lost
    assert sim.symbol_square_restored(a * s**2 * (1 / a**3), None) == []


def test_a_symbol_with_a_squared_role_keeps_its_square_to_its_entries() -> None:
    a, s = sp.symbols("a s", positive=True)

    class Roles:
        def role(self, x):
            return "standard-deviation" if x == s else "probability" if x == a else None

    assert [r for r, _ in sim.symbol_square_restored(a * s, Roles())] == [a**2 * s]
    assert [w for w, _ in sim.role_symbol_square_lost(a**2 * s**2, Roles())] == [a * s**2]


def test_a_dimension_count_is_written_one_outside_the_shapes() -> None:
    d = sp.Symbol("K", positive=True, integer=True)
    cov = sp.MatrixSymbol("C", d, d)
    out = sim.dimension_counted_once(d / 2 + sp.log(sp.Determinant(2 * sp.pi * cov)) / 2, None)
    assert len(out) == 1
    wrong = out[0][0]
    assert sp.simplify(sp.expand_log(wrong - (sp.S.Half + sp.log(2 * sp.pi) / 2
                                              + sp.log(sp.Determinant(cov)) / 2),
                                     force=True)) == 0
    # no count anywhere: nothing to write 1
    x = sp.Symbol("x", real=True)
    assert sim.dimension_counted_once(x**2 / 2, None) == []


# --- in derivations ---------------------------------------------------------------------------

_SQUARE = """title: t
symbols: a, m : real
symbols: s : positive

    E[(a*(m + s*e))^2, e ~ N(0, 1)] - E[a*(m + s*e), e ~ N(0, 1)]^2
  = a^2*(m^2 + s^2) - a^2*m^2
  = {last}
"""


def test_a_square_lost_as_terms_cancel() -> None:
    # the square of a lost as the terms cancel
    assert _named(_SQUARE.format(last="a*s^2"), step=2) == "missing-square"


@pytest.mark.parametrize("last", ["a^2*s^2 + 1", "a*s"])
def test_no_single_square_put_back_is_no_square_lost(last) -> None:
    # a term added; two squares lost: no one square put back repairs the step
    assert _named(_SQUARE.format(last=last), step=2) != "missing-square"


def test_a_square_lost_as_terms_cancel_other_letters() -> None:
    text = """title: t
symbols: w, u : real
symbols: v : positive

    E[(w*(u + v*e))^2, e ~ N(0, 1)] - E[w*(u + v*e), e ~ N(0, 1)]^2
  = w^2*(u^2 + v^2) - w^2*u^2
  = w*v^2
"""
    assert _named(text, step=2) == "missing-square"


_ENTROPY = """title: t
symbols: {D} : positive integer
symbols: x, mu : vector({D}) real
symbols: S : matrix({D}) positive definite

    log(det(2*pi*S))/2 + {D}/2
  = {last}
"""


@pytest.mark.parametrize("D", ["D", "K"])
def test_a_dimension_count_written_one(D) -> None:
    text = _ENTROPY.format(D=D, last="(1 + log(2*pi))/2 + log(det(S))/2")
    assert _named(text) == "dimension-count"


def test_a_dimension_count_right_is_no_mistake() -> None:
    text = _ENTROPY.format(D="D", last="D*(1 + log(2*pi))/2 + log(det(S))/2")
    assert _named(text) is None


_ENTROPY_LOGNORMAL = r"""% title: t
% symbols: \mu, \zeta : real
% symbols: \sigma : positive
% densities: q(\zeta) = N(\mu, \sigma^2)
\begin{align*}
-\mathbb{E}_{q(\zeta)}\left[\log q(\zeta)\right]
  &= \log(2\pi e\sigma^2)
\end{align*}
"""


def test_a_half_dropped_where_no_root_is_written_in_a_log() -> None:
    # −E[log q] of a declared normal evaluated to log(2πeσ²) for ½ log(2πeσ²): no root was
    # written in a log, so no root was lost from one; the ½ dropped is the name
    assert _named(_ENTROPY_LOGNORMAL, tex=True) == "dropped-half"


# --- the chain rule under an expectation or a sum ---------------------------------------------


def test_the_chain_rule_forgotten_inside_a_sum_is_simulated() -> None:
    s, m = sp.symbols("s m", real=True)
    i, n = sp.symbols("i n", integer=True)
    der = sp.Derivative(sp.Sum(i * (m + s * i) ** 2, (i, 1, n)), s)
    wrongs = [w for w, _ in sim.inner_factor_forgotten_inside(der, None)]
    assert sp.Sum(2 * i * (m + s * i), (i, 1, n)) in wrongs
    # a sum whose limits hold the variable is not differentiated term by term
    assert sim.inner_factor_forgotten_inside(
        sp.Derivative(sp.Sum(i * s, (i, 1, s)), s), None) == []


_REPARAM = """title: t
symbols: {m}, {e} : real
symbols: {s} : positive

    diff(E[({m} + {s}*{e})^2, {e} ~ N(0, 1)], {s})
  = E[{last}, {e} ~ N(0, 1)]
"""


@pytest.mark.parametrize("m, s, e", [("mu", "sigma", "eps"), ("a", "b", "u")])
def test_the_chain_rule_forgotten_under_an_expectation(m, s, e) -> None:
    text = _REPARAM.format(m=m, s=s, e=e, last=f"2*({m} + {s}*{e})")
    assert _named(text) == "chain-rule-factor-forgotten"


def test_the_chain_rule_kept_under_an_expectation_is_no_mistake() -> None:
    text = _REPARAM.format(m="mu", s="sigma", e="eps", last="2*(mu + sigma*eps)*eps")
    assert _named(text) is None
