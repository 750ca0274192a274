"""core/zero: expands_to_zero answers what ``sp.expand(e) == 0`` answers."""

from __future__ import annotations

import sympy as sp

from elbo_derivation.core.zero import expands_to_zero, nonzero_at_a_point

a, b = sp.symbols("a b", positive=True)
x, y = sp.symbols("x y", real=True)
n = sp.Symbol("n", integer=True, positive=True)
z = sp.Symbol("z")
f = sp.Function("f")

CASES = [
    (a + b) ** 2 - a**2 - 2 * a * b - b**2,
    sp.log(a * b) - sp.log(a) - sp.log(b),  # positive: expand splits it
    sp.log(x * y) - sp.log(x) - sp.log(y),  # real: not split, though 0 at positive points
    sp.sqrt(x**2) - x,  # 0 at a positive x only
    1 / (1 + sp.exp(-a - b)) - sp.exp(a + b) / (sp.exp(a + b) + 1),
    1 / (1 + sp.exp(-x)) - 1 / (1 + sp.exp(x)),
    (-1) ** n - (-1) ** (n + 2),
    sp.Rational(1, 10) * x - sp.Float("0.1") * x,  # a decimal: expand decides
    f(x) - f(x) + x - x,
    f(x) * (x + 1) - f(x) * x - f(x),
    z * (z + 1) - z**2 - z,
    sp.exp(x + y) - sp.exp(x) * sp.exp(y),
    x - y,
]


def test_same_answer_as_expand() -> None:
    for e in CASES:
        assert expands_to_zero(e) == (sp.expand(e) == 0), e


def test_a_nonzero_value_is_shown_only_where_it_is_nonzero() -> None:
    assert nonzero_at_a_point(x - y) and nonzero_at_a_point(1 / (1 + sp.exp(-a)) - 1 / (1 + a))
    assert not nonzero_at_a_point(sp.sin(x) ** 2 + sp.cos(x) ** 2 - 1)
    assert not nonzero_at_a_point(f(x) - x)  # an abstract function has no value here
    assert not nonzero_at_a_point(sp.log(x * y) - sp.log(x) - sp.log(y))
