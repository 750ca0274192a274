"""Γ(s + 1) = sΓ(s) misapplied where the two Gammas are written Γ(α) and Γ(α − 1): the mean of
an inverse-gamma density, β·Γ(α − 1)/Γ(α) = β/(α − 1), written β/α (Amini et al. 2020), is
named in any letters; a step that is wrong some other way stays unnamed."""

from __future__ import annotations

import pytest
from corpus.support import named_in_text

pytestmark = pytest.mark.usefixtures("unhurried_naming")


@pytest.mark.parametrize("a, b", [("alpha", "beta"), ("k", "r")])
def test_the_recursion_taken_one_step_off_is_named(a: str, b: str) -> None:
    text = (f"symbols: {b} : positive\nsymbols: {a} : (1, oo)\n"
            f"{b}*gamma({a} - 1)/gamma({a})\n= {b}/{a}\n")
    assert named_in_text(text) == "gamma-recursion"


def test_another_wrong_value_is_not_the_recursion() -> None:
    text = ("symbols: beta : positive\nsymbols: alpha : (1, oo)\n"
            "beta*gamma(alpha - 1)/gamma(alpha)\n= beta/(alpha + 2)\n")
    assert named_in_text(text) != "gamma-recursion"
