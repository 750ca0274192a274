"""Matrices written out entry by entry, [a, b; c, d], are equal when every entry is: the
product of two uniform transition matrices of a discrete diffusion (Austin et al. 2021,
sec. 3.1), its entries expanded, is proved step by step; a wrong entry is not."""

from __future__ import annotations

import sympy as sp

from elbo_derivation.core.steps import Verdict
from elbo_derivation.decide.tiers import reduce_algebra
from elbo_derivation.decide.verdict import decide_step
from elbo_derivation.read.deriv import parse_derivation

_HEAD = "title: t\nsymbols: 0 < b1 < 1\nsymbols: 0 < b2 < 1\n\n" \
        "    [(1 - b1/2)*(1 - b2/2) + b1*b2/4, 1; 1, 1]\n"


def _verdicts(text: str) -> list[Verdict]:
    d = parse_derivation(text)
    return [decide_step(d, step, time_limit=20.0).verdict for step in d.steps]


def test_entries_expanded_are_proved() -> None:
    assert _verdicts(_HEAD + "  = [1 - b1/2 - b2/2 + b1*b2/2, 1; 1, 1]\n") == [Verdict.PROVED]


def test_a_wrong_entry_is_not_accepted() -> None:
    assert _verdicts(_HEAD + "  = [1 - b1/2 - b2/2 + b1*b2/4, 1; 1, 1]\n")[0] not in (
        Verdict.PROVED, Verdict.NUMERICALLY_SUPPORTED)


def test_reduce_algebra_of_a_matrix_is_entrywise() -> None:
    a = sp.Symbol("a")
    assert reduce_algebra(sp.Matrix([[(a + 1)**2 - a**2 - 2*a - 1, 0]]))[0] == 0
    left, _ = reduce_algebra(sp.Matrix([[a - a, a]]))
    assert isinstance(left, sp.MatrixBase) and list(left) == [0, a]
