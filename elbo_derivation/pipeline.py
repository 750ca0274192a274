"""Checking one derivation: decide every step, then explain the ones that fail.

This is the path one derivation takes once it has been read (:mod:`elbo_derivation.read`):

1. :func:`elbo_derivation.decide.verdict.decide_step` gives each step its verdict (proved,
   numerically supported, refuted, undecided) by the tiers of :mod:`elbo_derivation.decide`;
2. a refuted step goes to :mod:`elbo_derivation.explain`, which names the mistake when it
   recognises one and finds the smallest part of the written step that differs from a correct
   one (:func:`explain_refutation`);
3. :func:`run_numeric` adds the quadrature and sampling checks of
   :mod:`elbo_derivation.numeric`, each derivation drawing from its own random stream
   (:func:`derivation_stream`).

:mod:`elbo_derivation.verification` runs this over files and folders, and the fast path
(:mod:`elbo_derivation.workers`) over the bundled notes in several processes; both call the
functions here, and nothing here calls them back. This module imports nothing heavy at the
top (SymPy and NumPy load when a check starts), so that the workers can fork first.

Examples
--------
>>> import sympy as sp
>>> from elbo_derivation.core.steps import Derivation, Relation, Step
>>> x, mu = sp.symbols("x mu", real=True)
>>> d = Derivation("t", {"x": x, "mu": mu}, (x - mu)**2,
...                [Step(1, Relation.EQ, x**2 + 2*x*mu + mu**2)])
>>> result = check_derivation(d).steps[0].result
>>> result.verdict.value, result.mistake
('refuted', 'cross-term-sign')
"""

from __future__ import annotations

import importlib
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import sympy as sp

    from elbo_derivation.core.steps import Derivation, Step, SymbolicResult

__all__ = [
    "check_derivation",
    "check_step",
    "derivation_stream",
    "explain_refutation",
    "load_derivation",
    "run_numeric",
]


# --- explaining a refuted step --------------------------------------------------------------


def explain_refutation(result: SymbolicResult, d: Derivation, step: Step, *,
                       seconds: float) -> None:
    """Name the mistake of a refuted step and locate it, in ``result`` (modified in place).

    :func:`elbo_derivation.explain.mistakes.diagnose` gets ``seconds``; a mistake it
    recognises fills ``result.mistake`` and ``result.explanation``. The smallest part of the
    written step that differs from the correct one fills ``result.subexpression`` and
    ``result.expected``. A failure while explaining never changes the verdict.

    Examples
    --------
    >>> import sympy as sp
    >>> from elbo_derivation.core.steps import (Derivation, Relation, Step, SymbolicResult,
    ...                                           Verdict)
    >>> a = sp.Symbol("a", real=True)
    >>> d = Derivation("t", {"a": a}, (a + 1)**2, [Step(1, Relation.EQ, a**2 + 1)])
    >>> r = SymbolicResult(Verdict.REFUTED, "algebra", 0.0)
    >>> explain_refutation(r, d, d.steps[0], seconds=2.0)
    >>> r.mistake
    'missing-cross-term'
    """
    lhs = d.expand_definitions(step.lhs(d))
    rhs = d.expand_definitions(step.expr)
    mistake = _diagnose(lhs, rhs, d, step, seconds)
    result.mistake_status = "not-recognised"
    if mistake is not None and getattr(mistake, "candidates", None):
        # no name: two or more mistakes reproduce the step and the page does not tell which
        result.mistake_candidates = tuple(mistake.candidates)
        result.explanation = mistake.explanation
        result.mistake_status = "tie"
        mistake = None
    elif mistake is not None and getattr(mistake, "timed_out", False):
        # no name, and not because none fits: the search did not end in its time
        result.mistake_status = "out-of-time"
        result.explanation = result.explanation or mistake.explanation
        mistake = None
    if mistake is not None:
        result.mistake_status = "named"
        result.mistake = getattr(mistake, "name", None)
        result.mistake_also = tuple(getattr(mistake, "also", ()))
        result.explanation = getattr(mistake, "explanation", "") or result.explanation
        way_back = getattr(mistake, "expected_step", None)
        if way_back is not None and way_back != lhs:  # a repair, not just the previous line
            result.expected_step = way_back
        if getattr(mistake, "subexpression", None) is None and getattr(
                mistake, "wrong_part", None) is not None:
            # the recognised mistake's own site: what was written, and what belonged there
            result.subexpression, result.expected = mistake.wrong_part, mistake.right_part
            return
    _locate(result, mistake, step.lhs(d), step.expr, lhs, rhs)


def _diagnose(lhs: sp.Expr, rhs: sp.Expr, d: Derivation, step: Step, seconds: float) -> Any:
    """``mistakes.diagnose``, bounded and shielded: a failure there never breaks the check."""
    from elbo_derivation.core.timeout import run_bounded

    try:
        from elbo_derivation.explain import mistakes

        # the search's own clock ends first and says so; this bound is the shield
        out = run_bounded(lambda: mistakes.diagnose(lhs, rhs, d, step, candidates=True,
                                                    seconds=seconds), seconds + 0.5)
    except Exception:
        return None
    if not out.ok and out.error.startswith("timed out"):
        return mistakes.Unrecognised(timed_out=True)
    return out.value if out.ok else None


def _locate(result: SymbolicResult, mistake: Any, *pairs: sp.Expr) -> None:
    """Store the smallest part of the written step that differs from the correct one.

    Tried on the step as written (``let`` names kept, so the part is one the reader can find
    on the line), then with the definitions substituted. Never raises.
    """
    sub = getattr(mistake, "subexpression", None)
    if sub is not None and sub not in (pairs[1], pairs[3]):  # a part, not the whole side
        result.subexpression = sub
        expected = getattr(mistake, "expected", None)
        result.expected = None if expected is None else _evaluated(expected)
        return
    try:
        from elbo_derivation.explain.mistakes import locate_difference

        for lhs, rhs in (pairs[0:2], pairs[2:4]):
            found = locate_difference(lhs, rhs)
            if found is not None and found != (lhs, rhs):
                result.expected, result.subexpression = found
                result.expected = _evaluated(result.expected)
                return
    except Exception:  # the location is a hint: never let it break the verdict
        return


def _evaluated(expr: sp.Expr) -> sp.Expr:
    """``expr`` with its Gaussian integrals done, when that is quick: a value, not a formula."""
    import sympy as sp

    from elbo_derivation.decide.gaussian import evaluate_gaussian_integrals

    try:
        if not expr.has(sp.Integral):
            return expr
        value, done = evaluate_gaussian_integrals(expr)
        return sp.factor(sp.expand(value)) if done else expr
    except Exception:
        return expr


# --- checking steps and derivations ---------------------------------------------------------


def check_step(d: Derivation, step: Step, *, time_limit: float = 5.0,
               needed_rules: bool = True) -> SymbolicResult:
    """Check one step of ``d``: its verdict, and for a refuted step the mistake it makes.

    The verdict is :func:`elbo_derivation.decide.verdict.decide_step`'s, with the same
    parameters, which it documents. A refuted step is then passed to
    :func:`elbo_derivation.explain.mistakes.diagnose`; a named mistake it recognises is stored
    in ``result.mistake`` and ``result.explanation``. With ``needed_rules`` (the default) a
    proved step whose justification names rules it did not need gets a ``result.note``; False
    (for a report that shows neither, ``verify``'s text) spares that search.

    Returns
    -------
    SymbolicResult
        (``step.result`` is not modified; see :func:`check_derivation`).

    Examples
    --------
    The square of a difference expanded with the wrong sign of its cross term:

    >>> import sympy as sp
    >>> from elbo_derivation.core.steps import Derivation, Relation, Step
    >>> x, m = sp.symbols("x m", real=True)
    >>> square = Step(1, Relation.EQ, x**2 + 2*x*m + m**2)
    >>> result = check_step(Derivation("t", {"x": x, "m": m}, (x - m)**2, [square]), square)
    >>> result.verdict.value, result.mistake
    ('refuted', 'cross-term-sign')
    """
    from elbo_derivation.core.steps import Verdict
    from elbo_derivation.decide.verdict import decide_step
    from elbo_derivation.decide.words import RULE_TIERS, justification_note

    start = time.perf_counter()
    result = decide_step(d, step, time_limit=time_limit, needed_rules=needed_rules)
    if (result.verdict is Verdict.PROVED and result.method in RULE_TIERS and step.justification
            and needed_rules):
        result.note = justification_note(step.justification, result.rules)
    if result.verdict is Verdict.REFUTED:
        # the diagnosis's own bound (the one the corpus benchmark times it with) at least:
        # a fifth of the step's limit (1 s by default) lost names that take 1-3 s; its
        # points drawn in the order of the declarations, as the decision's
        from elbo_derivation.core.order import symbol_order  # SymPy, loaded by now
        from elbo_derivation.explain.mistakes import TIME_BUDGET

        with symbol_order(d):
            explain_refutation(result, d, step, seconds=max(TIME_BUDGET, 0.2 * time_limit))
    result.seconds = time.perf_counter() - start
    return result


def check_derivation(d: Derivation, *, time_limit: float = 5.0,
                     needed_rules: bool = True) -> Derivation:
    """Check every step of ``d``, filling in ``step.result``; returns ``d``.

    Parameters
    ----------
    d : Derivation
    time_limit : float
        seconds allowed per step.
    needed_rules : bool
        as for :func:`check_step`.

    Returns
    -------
    Derivation
        the same object; ``d.metadata["symbolic_seconds"]`` holds the total time.

    Examples
    --------
    >>> import sympy as sp
    >>> from elbo_derivation.core.steps import Derivation, Relation, Step
    >>> a = sp.Symbol("a", real=True)
    >>> d = Derivation("t", {"a": a}, (a + 1)**2, [Step(1, Relation.EQ, a**2 + 2*a + 1),
    ...                                             Step(2, Relation.EQ, a**2 + 1)])
    >>> [s.verdict.value for s in check_derivation(d).steps]
    ['proved', 'refuted']
    >>> d.first_failure.index
    2
    """
    if not time_limit > 0:
        raise ValueError(f"time_limit must be positive, got {time_limit!r}")
    start = time.perf_counter()
    for step in d.steps:
        step.result = check_step(d, step, time_limit=time_limit, needed_rules=needed_rules)
    d.metadata["symbolic_seconds"] = time.perf_counter() - start
    return d


def load_derivation(path: str | Path, *, time_limit: float = 5.0) -> Derivation:
    """Read a ``.deriv`` file and check it.

    Parameters
    ----------
    path : str or Path
    time_limit : float
        seconds allowed per step.

    Returns
    -------
    Derivation
        checked: every ``step.result`` is set.

    Raises
    ------
    InputError, DerivationSyntaxError, OSError
        for a file that cannot be read as a derivation.

    Examples
    --------
    >>> from elbo_derivation.notes import bundled_paths
    >>> path = [p for p in bundled_paths() if p.stem == "kl_gaussians"][0]
    >>> d = load_derivation(path)
    >>> all(s.verdict.value == "proved" for s in d.steps)
    True
    """
    from elbo_derivation.read.deriv import read_derivation

    return check_derivation(read_derivation(path), time_limit=time_limit)


# --- the numeric checks ---------------------------------------------------------------------


def derivation_stream(seed: int, n: int, i: int) -> np.random.Generator:
    """The random stream of the ``i``-th of ``n`` derivations: ``default_rng(seed).spawn(n)[i]``.

    Each derivation draws from its own stream, so its numbers depend neither on the other
    derivations nor on the process that checks it.

    >>> float(derivation_stream(0, 3, 1).random()) == float(derivation_stream(0, 3, 1).random())
    True
    """
    import numpy as np

    return np.random.default_rng(seed).spawn(n)[i]


def run_numeric(d: Derivation, rng: np.random.Generator) -> dict[str, float]:
    """Run the quadrature and the sampling checks on ``d``; returns seconds per check.

    The two checks get independent streams spawned from ``rng``, so adding draws to one never
    changes the other's numbers.
    """
    rng_quadrature, rng_sampling = rng.spawn(2)
    timings = {}
    import sympy as sp

    if any(e.has(sp.MatrixSymbol) for e in (d.start, *(s.expr for s in d.steps))):
        # matrix notation: the numeric checks work on scalars; the matrix tier's exact
        # instances at D = 1, 2, 3 are its evaluation. Reported as not available.
        d.metadata.setdefault("numeric_missing", []).extend(["quadrature", "sampling"])
        return timings
    for kind, stream in (("quadrature", rng_quadrature), ("sampling", rng_sampling)):
        try:
            module = importlib.import_module(f"elbo_derivation.numeric.{kind}")
        except ModuleNotFoundError as err:
            if err.name != f"elbo_derivation.numeric.{kind}":
                raise
            # not built yet: say so in the report rather than pretend the check passed
            d.metadata.setdefault("numeric_missing", []).append(kind)
            continue
        t0 = time.perf_counter()
        from elbo_derivation.core.order import symbol_order  # SymPy, loaded by now

        with symbol_order(d):  # the points follow the declarations, which renaming keeps
            getattr(module, f"check_{kind}")(d, rng=stream)
        timings[kind] = time.perf_counter() - t0
    return timings
