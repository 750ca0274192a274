r"""Comparing on the simplex: a categorical declared with free probabilities.

A derivation that declares ``p(k) = Categorical(a1, a2, a3)`` with positive symbols whose sum
is not 1 as written uses the fact a1 + a2 + a3 = 1 (Σ aᵢ log 3 = log 3). Two expressions are
equal at every point of the simplex exactly when they are equal, each probability replaced
by itself over their sum, at every positive point (the same map the engine's verdicts use),
so the naming compares them so substituted.

Examples
--------
>>> import sympy as sp
>>> a, b = sp.symbols("a b", positive=True)
>>> k = sp.Symbol("k", integer=True)
>>> q = sp.Function("q", positive=True)(k)
>>> simplex_substitution({q: ("categorical", (a, b), k)})
{a: a/(a + b), b: b/(a + b)}
>>> simplex_substitution({q: ("categorical", (a, 1 - a), k)})
{}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sympy as sp

__all__ = ["simplex_substitution"]


def simplex_substitution(families: Mapping[Any, tuple] | None) -> dict[sp.Symbol, sp.Basic]:
    """For each categorical of ``families`` (as :func:`.decide.families.declared_families`
    gives them) whose probabilities are distinct positive symbols not summing to 1 as
    written: each probability → itself over their sum; empty when there is none."""
    out: dict[sp.Symbol, sp.Basic] = {}
    for value in (families or {}).values():
        try:
            key, params = value[0], value[1]
        except Exception:
            continue
        if key != "categorical" or len(params) < 2 or not all(
                isinstance(p, sp.Symbol) and p.is_positive for p in params):
            continue
        if len(set(params)) < len(params) or any(p in out for p in params):
            continue
        total = sp.Add(*params)
        if sp.simplify(total - 1) == 0:
            continue
        out.update({p: p / total for p in params})
    return out
