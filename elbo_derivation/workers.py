"""Checking the bundled derivations side by side in forked worker processes.

The derivations are independent, so :func:`verify_in_workers` hands them to ``jobs`` forked
workers, each of which reads, checks symbolically and checks numerically whole derivations
(one process does all the work on a derivation, so SymPy's caches, warmed by the symbolic
check, serve the numeric one). Before forking, this process imports everything the checks
need (NumPy, SymPy, SciPy, the parser) and reads one small expression, which makes SymPy
import the modules it otherwise loads on first use: the workers start warm instead of each
paying for those imports again. The largest files go first, so that the slowest derivation
does not start last.

Nothing depends on which worker did what: the checks are deterministic and each
derivation's random numbers come from its own stream (a test holds this).

A worker's result comes back as a pickle. SymPy's own pickles rebuild every sum, product,
power, log and exp through its constructor, which simplifies the arguments again; for the
whole report that costs this process about a quarter of a second, on the cores the workers
need. The stored arguments are already canonical, so :class:`_Pickler` has them rebuilt as
they were (``evaluate=False``): the rebuilt node has the same arguments in the same order,
hence the same hash and equality.

Linux only (``fork``); elsewhere :func:`~elbo_derivation.verification.verify_bundled` checks
in one process.
"""

from __future__ import annotations

import io
import pickle
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .derive.steps import Derivation

__all__ = ["dumps", "verify_in_workers", "warm_up"]


def _rebuilt(cls: type, args: tuple[Any, ...]) -> Any:
    """A SymPy node from its stored (canonical) arguments, not simplified again."""
    return cls(*args, evaluate=False)


class _Pickler(pickle.Pickler):
    """A pickler whose SymPy sums, products, powers, logs and exps load without re-evaluation."""

    def __init__(self, file: Any) -> None:
        import sympy as sp

        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.as_stored = (sp.Add, sp.Mul, sp.Pow, sp.log, sp.exp)

    def reducer_override(self, obj: Any) -> Any:
        if type(obj) in self.as_stored:
            return _rebuilt, (type(obj), obj.args)
        return NotImplemented


def dumps(obj: Any) -> bytes:
    """``obj`` pickled so that its SymPy expressions load quickly (see the module docstring).

    >>> import pickle, sympy as sp
    >>> x = sp.Symbol("x", positive=True)
    >>> e = sp.log(2 * x + 1) - x**2 / 3
    >>> back = pickle.loads(dumps(e))
    >>> back == e, hash(back) == hash(e), sp.srepr(back) == sp.srepr(e)
    (True, True, True)
    """
    buffer = io.BytesIO()
    _Pickler(buffer).dump(obj)
    return buffer.getvalue()


def _verify_task(
    path: Path, rng: np.random.Generator, numeric: bool, time_limit: float
) -> bytes:
    """One derivation read and checked in a worker, pickled by :func:`dumps`."""
    from .verification import _verify_one

    return dumps(_verify_one(path, rng, numeric, time_limit))


def warm_up() -> None:
    """The imports that reading and checking need, and the modules SymPy loads on first use.

    The ``.deriv`` reader builds its parser when first imported, and SymPy imports some of
    its own modules only when an expression first needs them (for example while adding
    terms or evaluating ``exp``). Reading one small expression does all of that at once.
    """
    import sympy as sp

    from .derive import engine, rules  # noqa: F401
    from .derive.parse import parse_expression

    a = sp.Symbol("a", positive=True)
    parse_expression("log(exp(a) + a^2/2 - sqrt(a)) * abs(a)", {"a": a})


def verify_in_workers(
    paths: Sequence[Path],
    streams: Sequence[np.random.Generator],
    *,
    numeric: bool,
    time_limit: float,
    jobs: int,
    on_done: Callable[[str], None] = lambda name: None,
) -> list[Derivation]:
    """Read and check ``paths`` in ``jobs`` forked worker processes (see the module docstring).

    Parameters
    ----------
    paths, streams : sequences
        the files, and one random stream each for the numeric checks.
    numeric : bool
        also run the quadrature and sampling checks.
    time_limit : float
        seconds per step for the symbolic checks.
    jobs : int
        worker processes (at least 1).
    on_done : callable
        called with the file's stem after each derivation (for a progress bar).

    Returns
    -------
    list of Derivation
        in the order of ``paths``, as :func:`~elbo_derivation.verification.verify_bundled`
        gives them.
    """
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed

    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    if numeric:
        from .numeric import quadrature, sampling  # noqa: F401  (before the fork, on purpose)
    warm_up()
    order = sorted(range(len(paths)), key=lambda i: -paths[i].stat().st_size)
    results: dict[int, Derivation] = {}
    with ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context("fork")) as pool:
        futures = {
            pool.submit(_verify_task, paths[i], streams[i], numeric, time_limit): i
            for i in order
        }
        for future in as_completed(futures):
            i = futures[future]
            results[i] = pickle.loads(future.result())
            on_done(paths[i].stem)
    return [results[i] for i in range(len(paths))]
