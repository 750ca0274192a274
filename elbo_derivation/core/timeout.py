"""Running a piece of SymPy work with a time bound that is really enforced.

SymPy cannot be interrupted from another thread, so a bound needs either a signal or a
separate process:

* in the main thread of the main interpreter, ``signal.setitimer`` arms ``SIGALRM``, whose
  handler raises :class:`TimeLimitExceeded` inside the running computation. It derives from
  ``BaseException`` so that SymPy's own ``except Exception`` clauses cannot swallow it. A timer
  already armed by someone else (pytest-timeout, an outer bound) is saved and re-armed
  afterwards with the time it had left.
* anywhere else (worker threads, notebooks' background threads) the work runs in a forked child
  process, and the parent waits on a pipe for at most the bound, then kills the child.

An import is never interrupted: a module left half-initialised would break every later use of
it in the process (numpy, scipy and mpmath import parts of themselves lazily, on first use).
Nor is a function that fills a table on first use (:data:`UNINTERRUPTIBLE`). When the time is
up during either, the handler waits for it to finish and fires then.

A signal handler runs between Python bytecodes, so one long C-level operation (a huge integer
power) is not interrupted until it returns; the engine screens expressions for such sizes before
running anything (see ``engine._screen``).

Examples
--------
>>> run_bounded(lambda: 1 + 1, 1.0)
Outcome(ok=True, value=2, error='')
>>> import time
>>> out = run_bounded(lambda: time.sleep(5), 0.05)
>>> out.ok, out.error
(False, 'timed out after 0.05 s')
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["Outcome", "TimeLimitExceeded", "check_deadline", "run_bounded"]


class TimeLimitExceeded(BaseException):
    """Raised inside bounded work when its time is up."""


@dataclass
class Outcome:
    """The result of :func:`run_bounded`: the value, or why there is none."""

    ok: bool
    value: Any = None
    error: str = ""


#: the longest interval ``signal.setitimer`` is given (about 3.2 years): longer limits are
#: capped, which is no limit in practice
MAX_TIMER = 1e8


def _can_use_signal() -> bool:
    return (
        hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )


def run_bounded(fn: Callable[[], Any], seconds: float) -> Outcome:
    """Call ``fn()`` and return its value, giving up after ``seconds``.

    Parameters
    ----------
    fn : callable
        work without arguments; in the subprocess fallback its value must be picklable.
    seconds : float
        the bound, > 0.

    Returns
    -------
    Outcome
        ``ok=True`` with the value, or ``ok=False`` with ``error`` saying "timed out after
        ... s" or naming the exception ``fn`` raised (``RecursionError``, ``MemoryError``, ...).

    Raises
    ------
    ValueError
        if ``seconds`` is not positive.

    Examples
    --------
    >>> run_bounded(lambda: 1 / 0, 1.0).error
    'ZeroDivisionError: division by zero'
    """
    if not seconds > 0:
        raise ValueError(f"seconds must be positive, got {seconds!r}")
    seconds = min(seconds, MAX_TIMER)  # timers and polls take at most a time_t of seconds
    if _can_use_signal():
        return _run_with_signal(fn, seconds)
    return _run_in_child(fn, seconds)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


#: seconds between looks, when the time ran out during an import, for the import's end
IMPORT_GRACE = 0.01

#: seconds after which the timer fires again while the work runs past its bound. The first
#: :class:`TimeLimitExceeded` can be lost: a bare ``except:`` swallows it (mpmath has several,
#: around ``float(x)`` for one), and Python only prints an exception raised in a ``__del__``
#: or a weakref callback the garbage collector happened to run. A one-shot timer would then
#: leave the work unbounded.
RETRY = 0.05


#: functions that fill a module-level table on first use and never again once it is non-empty:
#: interrupted midway, they leave it half-filled for the rest of the process. SymPy's table of
#: Meijer G-function integrals is one: cut short, every later Gaussian integral of the process
#: comes back unevaluated; its holonomic functions' table is built the same way. (SymPy's
#: hypergeometric formula collections are assigned only once built: safe.) Like an import,
#: such a function is finished before the bound fires.
#: (module, function) pairs, matched by name so that this module imports neither.
UNINTERRUPTIBLE = frozenset({("sympy.integrals.meijerint", "_create_lookup_table"),
                             ("sympy.holonomic.holonomic", "_create_table")})


def _importing(frame: Any, entry: Any = None) -> bool:
    """Whether the interrupted code runs inside an import, or a function of
    :data:`UNINTERRUPTIBLE`, started by the bounded work.

    Frames between ``frame`` and ``entry`` (the frame that started the bound) count; those
    below ``entry`` do not: work bounded while a module is being imported (code at the top
    of a module) is inside an import all along, and would otherwise never be interrupted.
    """
    while frame is not None and frame is not entry:
        code = frame.f_code
        if code.co_filename.startswith("<frozen importlib._bootstrap") or (
                (frame.f_globals.get("__name__"), code.co_name) in UNINTERRUPTIBLE):
            return True
        frame = frame.f_back
    return False


#: the deadlines (time.monotonic) of the bounds running in the main thread, innermost last
_DEADLINES: list[float] = []


def check_deadline() -> None:
    """Raise :class:`TimeLimitExceeded` when the innermost bound's time is up.

    Long loops (a quadrature's integrand) call it, so a bound holds even when its timer
    signal cannot run (a long call into C); it costs one clock reading. Only the main
    thread's bounds have deadlines here: another thread's work is bounded by a child process.

    >>> check_deadline()  # outside any bound: nothing to do
    """
    if (_DEADLINES and time.monotonic() > _DEADLINES[-1]
            and threading.current_thread() is threading.main_thread()):
        raise TimeLimitExceeded


def _forget_deadlines() -> None:
    """In a forked child: the parent's bounds are not the child's (nor are its timers)."""
    _DEADLINES.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_deadlines)


def _disarm(active: list[bool]) -> None:
    """Stop the bound's timer for good; a last alarm may interrupt this, so try again."""
    while True:
        try:
            active[0] = False  # from here on the handler does nothing
            signal.setitimer(signal.ITIMER_REAL, 0)
            return
        except TimeLimitExceeded:
            continue


def _run_with_signal(fn: Callable[[], Any], seconds: float) -> Outcome:
    active = [True]
    entry = sys._getframe()

    def on_alarm(signum: int, frame: Any) -> None:
        if not active[0]:
            return
        if _importing(frame, entry):
            signal.setitimer(signal.ITIMER_REAL, IMPORT_GRACE)
            return
        signal.setitimer(signal.ITIMER_REAL, RETRY)  # until the bound is left (see RETRY)
        raise TimeLimitExceeded

    start = time.monotonic()
    old_handler = signal.signal(signal.SIGALRM, on_alarm)
    old_delay, old_interval = signal.setitimer(signal.ITIMER_REAL, 0)
    bound = seconds if old_delay <= 0 else min(seconds, old_delay)
    _DEADLINES.append(start + bound)
    try:
        try:
            signal.setitimer(signal.ITIMER_REAL, bound)
            return Outcome(True, fn())
        finally:
            _disarm(active)
    except TimeLimitExceeded:
        return Outcome(False, error=f"timed out after {seconds:g} s")
    except (Exception, RecursionError, MemoryError) as exc:
        return Outcome(False, error=_describe(exc))
    finally:
        _disarm(active)  # (idempotent; here in case the first was cut short by an alarm)
        _DEADLINES.pop()
        signal.signal(signal.SIGALRM, old_handler)
        if old_delay > 0:
            left = old_delay - (time.monotonic() - start)
            signal.setitimer(signal.ITIMER_REAL, max(left, 1e-3), old_interval)


def _run_in_child(fn: Callable[[], Any], seconds: float) -> Outcome:
    ctx = multiprocessing.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)

    def child() -> None:
        try:
            sender.send(Outcome(True, fn()))
        except BaseException as exc:
            sender.send(Outcome(False, error=_describe(exc) or traceback.format_exc(limit=1)))

    proc = ctx.Process(target=child, daemon=True)
    proc.start()
    sender.close()
    try:
        if receiver.poll(seconds):
            try:
                return receiver.recv()
            except (EOFError, OSError) as exc:
                return Outcome(False, error=f"the worker process failed: {_describe(exc)}")
        return Outcome(False, error=f"timed out after {seconds:g} s")
    finally:
        receiver.close()
        if proc.is_alive():
            proc.kill()
        proc.join(1.0)
