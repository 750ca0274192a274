"""The public entry points for checking derivations, where they have always been importable.

Deciding lives in :mod:`elbo_derivation.decide.verdict` (:func:`compare`, one step against its
previous expression, by the tiers of :mod:`elbo_derivation.decide.tiers`); checking a step,
which decides and then explains a refuted step, lives in :mod:`elbo_derivation.pipeline`
(:func:`check_step`, :func:`check_derivation`, :func:`load_derivation`). This module
re-exports them and adds :func:`check_steps`, a chain of expressions given as strings or SymPy
objects. Nothing inside the package imports this module: it sits above the pipeline, for
users (the import contracts in ``pyproject.toml`` hold it to that).

Examples
--------
>>> import sympy as sp
>>> a, b = sp.symbols("a b", positive=True)
>>> compare(sp.log(a / b), sp.log(a) - sp.log(b)).method
'algebra'
>>> d = check_steps(["(x - mu)^2", "x^2 + 2*x*mu + mu^2"], symbols="x, mu")
>>> d.steps[0].verdict.value, d.steps[0].result.mistake
('refuted', 'cross-term-sign')
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import sympy as sp

from elbo_derivation.core.steps import Derivation
from elbo_derivation.decide.verdict import compare
from elbo_derivation.pipeline import check_derivation, check_step, load_derivation

__all__ = [
    "check_derivation",
    "check_step",
    "check_steps",
    "compare",
    "load_derivation",
]


def check_steps(
    exprs: Sequence[str | sp.Expr | tuple[str, sp.Expr]],
    *,
    symbols: str | Iterable[str] | Mapping[str, sp.Symbol] | None = None,
    assumptions: Mapping[str, str] | None = None,
    definitions: Mapping[str, str | sp.Expr] | None = None,
    time_limit: float = 5.0,
    title: str = "steps",
    densities: str | Iterable[str] | None = None,
    functions: str | Iterable[str] | None = None,
) -> Derivation:
    """Check a chain of expressions: the first is the start, each next one a step.

    Strings are read by the ``.deriv`` expression grammar (never ``eval``); a string may begin
    with its relation (``"<= ..."``, ``"=~ [g] ..."``), otherwise ``=`` is meant. SymPy
    expressions (or ``(relation, expr)`` pairs) are taken as they are.

    Parameters
    ----------
    exprs : sequence
        at least two expressions.
    symbols : str, iterable of str, or mapping of str to Symbol, optional
        the names used, e.g. ``"mu, sigma"``; by default the free symbols of SymPy inputs.
    assumptions : mapping of str to str, optional
        ``{"sigma": "positive"}``; undeclared assumptions default to ``"real"``.
    definitions : mapping of str to str or Expr, optional
        ``let`` names, substituted for checking.
    densities, functions : str or iterable of str, optional
        declarations as a ``.deriv`` header writes them: ``"q(z|x), p(z)"``,
        ``"q(z|x) = N(m, s^2)"``; ``"f(z) : real"`` (see
        :mod:`elbo_derivation.read.declarations`).
    time_limit : float
        seconds allowed per step.
    title : str
        the derivation's title.

    Returns
    -------
    Derivation
        checked.

    Raises
    ------
    ValueError
        for fewer than two expressions or unknown assumptions (an
        :class:`~elbo_derivation.errors.InputError` when a string cannot be read).

    Examples
    --------
    >>> d = check_steps(["log(s^2)/2", "log(s)", "log(s) + 0.001"], symbols="s",
    ...                 assumptions={"s": "positive"})
    >>> [s.verdict.value for s in d.steps]
    ['proved', 'refuted']
    >>> d.steps[1].result.counterexample.difference
    -0.001
    >>> check_steps(["a^2 + b^2", ">= 2*a*b"], symbols="a, b").steps[0].verdict.value
    'proved'
    """
    from elbo_derivation.read.steps import read_steps

    d = read_steps(exprs, symbols=symbols, assumptions=assumptions, definitions=definitions,
                   densities=densities, functions=functions, title=title)
    return check_derivation(d, time_limit=time_limit)
