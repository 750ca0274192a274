"""Checking the bundled derivations in two lanes: symbolic here, numeric in forked workers.

:func:`~elbo_derivation.verification.verify_bundled` spends its time importing (NumPy, SymPy,
and SciPy for the quadrature: more than a second together), reading the ``.deriv`` files,
checking symbolically and checking numerically. Only the numeric checks need SciPy. So:

* :func:`~elbo_derivation.verification.verify_bundled` first imports SymPy and the reader
  (:func:`warm_up`), then :func:`start` forks ``jobs - 1`` workers, which inherit both. While
  this process reads the files, the workers import SciPy. SymPy is imported once, not once
  per process: a worker would need it anyway, and importing it before the fork costs the
  same time on the clock as importing it in the worker, but the import's CPU time (about
  0.3 s) is spent once.
* This process reads each file, substitutes its ``let`` definitions into every step (the
  results are memoised on the derivation, so they travel with it), and hands the derivation
  (as a pickle) to the workers for the quadrature and sampling checks; then it checks every
  derivation symbolically.
* A worker that runs out of numeric work helps with the symbolic checks. The steps of all
  derivations, in order, form a queue: this process takes steps from its front, the workers
  from its back (two indices shared under a lock make sure each step is checked once). Taking
  single steps rather than whole derivations keeps the two lanes finishing together; taking
  them in runs keeps consecutive steps, which share expressions, in one process.

Results come back as pickles and are attached to this process's derivations. Nothing depends
on which process did what: the checks are deterministic and each derivation's random
numbers come from its own stream (a test holds this).

Pickles of SymPy expressions normally rebuild every sum, product, power, log and exp through
its constructor, which simplifies the arguments again; for the whole report that costs
about a quarter of a second. The stored arguments are already canonical, so :func:`dumps`
has them rebuilt as they were (``evaluate=False``): the rebuilt node has the same arguments
in the same order, hence the same hash and equality.

Linux only (``fork``); elsewhere :func:`~elbo_derivation.verification.verify_bundled` checks
in one process. This module imports nothing heavy at the top, so that :func:`start` can fork
before NumPy and SciPy are loaded.
"""

from __future__ import annotations

import io
import pickle
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from elbo_derivation.core.steps import Derivation

__all__ = ["Lanes", "dumps", "start", "verify_in_lanes", "warm_up"]


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


# --- the workers' side ----------------------------------------------------------------------


@dataclass
class _Shared:
    """The symbolic work as a queue taken from both ends, shared under a lock.

    The work is the list of every step of every derivation, in order; ``ends`` holds the
    first and one past the last step not yet taken. This process takes steps from the
    front, the workers from the back, so each side checks runs of consecutive steps (which
    share expressions, and SymPy's caches with them) and only one derivation, where the
    two meet, is split between processes.
    """

    ends: Any
    lock: Any

    def open(self, n: int) -> None:
        """Make ``n`` steps available (before any worker takes one)."""
        with self.lock:
            self.ends[0], self.ends[1] = 0, n

    def take(self, *, back: bool) -> int | None:
        """The next step from the front (or the back), now taken; None when none is left."""
        with self.lock:
            first, stop = self.ends[0], self.ends[1]
            if first >= stop:
                return None
            if back:
                self.ends[1] = stop - 1
                return stop - 1
            self.ends[0] = first + 1
            return first


_SHARED: _Shared | None = None
#: derivations this worker has unpickled, by index
_LOADED: dict[int, Derivation] = {}


def _start_worker(shared: _Shared, numeric: bool) -> None:
    """Runs in each worker right after the fork: the imports its checks will need."""
    global _SHARED
    _SHARED = shared
    _LOADED.clear()
    if numeric:
        import scipy.integrate  # noqa: F401  (the slow one first)

        from elbo_derivation.numeric import quadrature, sampling  # noqa: F401
    from elbo_derivation import pipeline  # noqa: F401
    from elbo_derivation.decide import verdict  # noqa: F401


def _ready() -> bool:
    return True


def _load(i: int, blob: bytes) -> Derivation:
    if i not in _LOADED:
        _LOADED[i] = pickle.loads(blob)
    return _LOADED[i]


def _numeric_task(i: int, blob: bytes, seed: int, n: int) -> bytes:
    """The numeric checks of derivation ``i`` of ``n``: each step's two checks, seconds, notes."""
    from elbo_derivation.pipeline import derivation_stream, run_numeric

    d = _load(i, blob)
    timings = run_numeric(d, derivation_stream(seed, n, i))
    return dumps((
        [(s.quadrature, s.sampling) for s in d.steps],
        timings,
        d.metadata.get("numeric_missing"),
    ))


def _symbolic_help(blobs: tuple[bytes, ...], units: tuple[tuple[int, int], ...],
                   time_limit: float, needed_rules: bool = True) -> bytes:
    """Symbolic checks of steps ``units[k] = (derivation, step)`` taken from the back."""
    from elbo_derivation.pipeline import check_step

    if _SHARED is None:  # pragma: no cover - only runs in workers made by start()
        raise RuntimeError("_symbolic_help runs in a worker started by workers.start")
    done = []
    while (k := _SHARED.take(back=True)) is not None:
        i, j = units[k]
        d = _load(i, blobs[i])
        done.append((i, j, check_step(d, d.steps[j], time_limit=time_limit,
                                      needed_rules=needed_rules)))
    return dumps(done)


# --- this process's side -------------------------------------------------------------------


def warm_up() -> None:
    """The imports that reading and checking need, and the modules SymPy loads on first use.

    The ``.deriv`` reader builds its parser when first imported, and SymPy imports some of
    its own modules only when an expression first needs them (for example while adding
    terms or evaluating ``exp``). Reading one small expression does all of that at once.
    """
    import sympy as sp

    from elbo_derivation.decide import (
        rules,  # noqa: F401
    )
    from elbo_derivation.read.deriv import parse_expression

    a = sp.Symbol("a", positive=True)
    parse_expression("log(exp(a) + a^2/2 - sqrt(a)) * abs(a)", {"a": a})


class Lanes:
    """Forked workers for :func:`verify_in_lanes`; made by :func:`start`, closed by it."""

    def __init__(self, numeric: bool, jobs: int) -> None:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        ctx = mp.get_context("fork")
        self.numeric = numeric
        self.jobs = jobs
        self.shared = _Shared(ctx.Array("l", 2, lock=False), ctx.Lock())
        self.pool = ProcessPoolExecutor(max_workers=jobs - 1, mp_context=ctx,
                                        initializer=_start_worker,
                                        initargs=(self.shared, numeric))
        self.pool.submit(_ready)  # forks the workers now, so that they import alongside us

    def close(self, *, cancel: bool = False) -> None:
        """Stop the workers: after their work, or at once (queued work dropped) on ``cancel``."""
        self.pool.shutdown(wait=not cancel, cancel_futures=cancel)


def start(*, numeric: bool, jobs: int) -> Lanes:
    """Fork ``jobs - 1`` workers (call before importing NumPy and SciPy, after :func:`warm_up`)."""
    if jobs < 2:
        raise ValueError(f"two lanes need at least 2 processes, got {jobs}")
    return Lanes(numeric, jobs)


def verify_in_lanes(
    lanes: Lanes,
    paths: Sequence[Path],
    seed: int,
    *,
    time_limit: float,
    on_done: Callable[[str], None] = lambda stage: None,
    needed_rules: bool = True,
) -> list[Derivation]:
    """Read and check ``paths``: symbolically here, numerically in ``lanes``' workers.

    Parameters
    ----------
    lanes : Lanes
        from :func:`start`; closed before this returns or raises.
    paths : sequence of Path
        the files.
    seed : int
        the numeric checks of ``paths[i]`` draw from
        ``pipeline.derivation_stream(seed, len(paths), i)``, made in the
        worker (this process need not import NumPy).
    time_limit : float
        seconds per step for the symbolic checks.
    on_done : callable
        called with a short description after each derivation's symbolic check and each
        numeric check (for a progress bar).
    needed_rules : bool
        as for :func:`elbo_derivation.pipeline.check_step`.

    Returns
    -------
    list of Derivation
        in the order of ``paths``, with results, numeric checks and
        ``metadata["timings"]`` as :func:`~elbo_derivation.verification.verify_bundled`
        gives them.
    """
    from elbo_derivation.pipeline import check_step
    from elbo_derivation.read.deriv import read_derivation

    pool, shared = lanes.pool, lanes.shared
    try:
        warm_up()
        derivations, blobs, numeric_futures = [], [], []
        for i, path in enumerate(paths):
            t0 = time.perf_counter()
            d = read_derivation(path)
            d.metadata["timings"] = {"read": time.perf_counter() - t0}
            for step in d.steps:  # needed here anyway, and then known to the workers too
                d.expand_definitions(step.expr)
            d.expand_definitions(d.start)
            derivations.append(d)
            blobs.append(dumps(d))
            if lanes.numeric:
                numeric_futures.append(
                    pool.submit(_numeric_task, i, blobs[-1], seed, len(paths)))
        units = tuple((i, j) for i, d in enumerate(derivations) for j in range(len(d.steps)))
        shared.open(len(units))
        helpers = [pool.submit(_symbolic_help, tuple(blobs), units, time_limit, needed_rules)
                   for _ in range(lanes.jobs - 1)]

        def finish(i: int) -> None:
            d = derivations[i]
            seconds = sum(s.result.seconds for s in d.steps)
            d.metadata["timings"]["symbolic"] = d.metadata["symbolic_seconds"] = seconds
            on_done(f"{paths[i].stem} (symbolic)")

        finished = set()
        while (k := shared.take(back=False)) is not None:
            i, j = units[k]
            d = derivations[i]
            d.steps[j].result = check_step(d, d.steps[j], time_limit=time_limit,
                                           needed_rules=needed_rules)
            if j == len(d.steps) - 1:  # (every step of d was taken from the front)
                finish(i)
                finished.add(i)
        for future in helpers:
            for i, j, result in pickle.loads(future.result()):
                derivations[i].steps[j].result = result
        for i in range(len(derivations)):
            if i not in finished:
                finish(i)
        for i, future in enumerate(numeric_futures):
            checks, timings, missing = pickle.loads(future.result())
            d = derivations[i]
            for step, (quadrature, sampling) in zip(d.steps, checks, strict=True):
                step.quadrature, step.sampling = quadrature, sampling
            d.metadata["timings"].update(timings)
            if missing:
                d.metadata["numeric_missing"] = missing
            on_done(f"{paths[i].stem} (numeric)")
    except BaseException:
        lanes.close(cancel=True)  # an error here, or Ctrl-C: do not wait for queued work
        raise
    lanes.close()
    return derivations
