"""Γ(s + 1) = s·Γ(s) applied with its factor lost, Γ(s + 1) written Γ(s) where Γ(s) stands
beside it: the mean of a Beta density, Γ(a + b)Γ(a + 1)/(Γ(a)Γ(a + b + 1)), written
1/(a + b) (Barber 2012, sec. 8.3). Named gamma-recursion in any letters, although dropping the
term 1 from s + 1 reproduces the same step; a step wrong some other way is not so named."""

from __future__ import annotations

import pytest
from corpus.support import named_in_text

pytestmark = pytest.mark.usefixtures("unhurried_naming")


@pytest.mark.parametrize("a, b", [("alpha", "beta"), ("u", "w")])
def test_the_recursion_factor_lost_is_named(a: str, b: str) -> None:
    text = (f"symbols: {a}, {b} : positive\n"
            f"gamma({a} + {b})*gamma({a} + 1)/(gamma({a})*gamma({a} + {b} + 1))\n"
            f"= gamma({a} + {b})*gamma({a})/(gamma({a})*({a} + {b})*gamma({a} + {b}))\n")
    assert named_in_text(text) == "gamma-recursion"


def test_another_wrong_value_is_not_the_recursion() -> None:
    text = ("symbols: alpha, beta : positive\n"
            "gamma(alpha + beta)*gamma(alpha + 1)/(gamma(alpha)*gamma(alpha + beta + 1))\n"
            "= 2/(alpha + beta)\n")
    assert named_in_text(text) != "gamma-recursion"
