"""Running a piece of SymPy work with a time bound that is really enforced, in CPU time.

A bound counts the **CPU time of the process doing the work** (:func:`clock`), not the time on
the wall: on a machine running ten other processes a computation gets a fraction of a core,
and a wall-clock bound would then cut it short and change the verdict. Counted in CPU
seconds, the same file gets the same verdicts whatever else the machine is doing. A
wall-clock **backstop** of :data:`WALL_FACTOR` times the bound stops work that uses no CPU
(it sleeps, or waits for I/O) so that nothing can hang.

SymPy cannot be interrupted from another thread, so a bound needs either a signal or a
separate process:

* in the main thread of the main interpreter, ``signal.setitimer`` arms ``ITIMER_PROF``
  (``SIGPROF``, after the bound's CPU seconds) and ``ITIMER_REAL`` (``SIGALRM``, the
  backstop); either handler raises :class:`TimeLimitExceeded` inside the running computation.
  It derives from ``BaseException`` so that SymPy's own ``except Exception`` clauses cannot
  swallow it. Timers already armed by someone else (pytest-timeout, an outer bound) are saved
  and re-armed afterwards with the time they had left; an inner bound never outlasts them.
* anywhere else (worker threads, notebooks' background threads) the work runs in a forked child
  process, which bounds itself the same way by its own CPU clock; the parent waits on a pipe
  for at most the backstop, then kills the child.

An import is never interrupted: a module left half-initialised would break every later use of
it in the process (numpy, scipy and mpmath import parts of themselves lazily, on first use).
Nor is a function that fills a table on first use (:data:`UNINTERRUPTIBLE`). When the time is
up during either, the handler waits for it to finish and fires then.

A signal handler runs between Python bytecodes, so one long C-level operation (a huge integer
power) is not interrupted until it returns; the engine screens expressions for such sizes before
running anything (see ``engine._screen``).

Every other budget of the checker (a tier's share, the mistake catalogue's time, the probe's
deadline) is a deadline on the same clock: ``deadline = clock() + seconds``, compared with
``clock()``.

The clock leaves out the full collections of Python's cyclic garbage collector (generation 2,
:func:`gc_seconds`). A full collection walks every object of the process: its cost grows with
everything the process did before (the caches of the files checked earlier in a long test
session or a notebook), not with the bounded work, and it falls on whichever work happens to
run when it starts. Counted, a 0.2 s share of a tier could be used up by one collection in a
long-running process and the step's verdict would depend on what was checked before it.

Examples
--------
>>> run_bounded(lambda: 1 + 1, 1.0)
Outcome(ok=True, value=2, error='')
>>> def spin():
...     while True:
...         pass
>>> out = run_bounded(spin, 0.05)
>>> out.ok, out.error
(False, 'timed out after 0.05 s')
"""

from __future__ import annotations

import gc
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["WALL_FACTOR", "Outcome", "TimeLimitExceeded", "check_deadline", "clock",
           "gc_seconds", "run_bounded", "unsafe_to_raise"]


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

#: the wall-clock backstop of a bound, as a multiple of its CPU seconds: every this many
#: times the bound, the backstop looks whether the work has used at least :data:`MIN_SHARE`
#: of a core since its last look. Work that uses no CPU (a sleep, a wait for I/O) is stopped
#: there; work that runs, however starved (a machine with tens of busy processes gives each
#: a few percent of a core), goes on to its whole CPU bound. (CPU-bound work cannot hang:
#: the CPU timer counts every thread of the process.)
WALL_FACTOR = 20.0

#: the share of a core below which the backstop takes the work for stuck
MIN_SHARE = 0.002

#: this process's CPU clock at the last fork (set in the parent just before it forks); a child
#: starts its CPU clock at zero, so :func:`clock` adds the difference there
_CLOCK_AT_FORK = [0.0]
_OFFSET = [0.0]

#: CPU seconds of the full collections finished so far, and the CPU time at which the one in
#: progress started (None outside a full collection)
_FULL_COLLECTIONS: list[Any] = [0.0, None]

#: whether a collection of any generation is in progress (finalizers and weakref callbacks
#: the collector runs are then on the stack: an exception raised there is only printed)
_COLLECTING = [False]


def _on_collection(phase: str, info: dict[str, int]) -> None:
    """``gc.callbacks`` hook: marks collections in progress and adds up the CPU time of the
    full (generation 2) ones."""
    _COLLECTING[0] = phase == "start"
    if info.get("generation") != 2:
        return
    if phase == "start":
        _FULL_COLLECTIONS[1] = time.process_time()
    elif _FULL_COLLECTIONS[1] is not None:
        _FULL_COLLECTIONS[0] += time.process_time() - _FULL_COLLECTIONS[1]
        _FULL_COLLECTIONS[1] = None


gc.callbacks.append(_on_collection)


def unsafe_to_raise(frame: Any, entry: Any = None) -> bool:
    """Whether an exception raised by a signal handler in ``frame`` would be lost.

    Python runs a signal handler between any two bytecodes, also in code the interpreter
    calls on its own: the garbage collector's callbacks, the finalizers (``__del__``) and
    weakref callbacks it runs, and ``sys.unraisablehook``. An exception raised there does not
    reach the interrupted work; Python prints "Exception ignored" and goes on. A handler that
    finds this True should raise a moment later instead. (Another package's collector
    callback registered after this module's is seen at the start of a collection, not at its
    end.) Frames from ``frame`` down to
    ``entry`` (exclusive; the whole stack when None) are looked at.

    >>> import sys
    >>> unsafe_to_raise(sys._getframe())
    False
    """
    if _COLLECTING[0]:
        return True
    hook = getattr(sys.unraisablehook, "__code__", None)
    hook = getattr(getattr(sys.unraisablehook, "func", None), "__code__", hook)
    while frame is not None and frame is not entry:
        code = frame.f_code
        if code is _on_collection.__code__ or code is hook or code.co_name == "__del__":
            return True
        frame = frame.f_back
    return False


def gc_seconds() -> float:
    """CPU seconds this process has spent in full collections of the cyclic garbage collector
    (including one in progress), which :func:`clock` leaves out.

    >>> before = gc_seconds()
    >>> _ = gc.collect()
    >>> gc_seconds() >= before
    True
    """
    started = _FULL_COLLECTIONS[1]
    return _FULL_COLLECTIONS[0] + (time.process_time() - started if started is not None
                                   else 0.0)


def _cpu() -> float:
    """CPU seconds used by this process, full collections included (the backstop's measure
    of whether the work runs at all)."""
    return time.process_time() + _OFFSET[0]


def clock() -> float:
    """Seconds of CPU time used by this process (all threads, user and system), less the time
    of the garbage collector's full collections (:func:`gc_seconds`): the clock of every time
    budget of the checker.

    It goes on from the parent's value in a forked child, so a deadline computed before a fork
    still means the same amount of work after it.

    Returns
    -------
    float
        CPU seconds; only differences are meaningful.

    Examples
    --------
    >>> start = clock()
    >>> _ = sum(range(100_000))
    >>> clock() >= start
    True
    """
    return _cpu() - gc_seconds()


def _can_use_signal() -> bool:
    return (
        hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )


def run_bounded(fn: Callable[[], Any], seconds: float) -> Outcome:
    """Call ``fn()`` and return its value, giving up after ``seconds`` of CPU time.

    Parameters
    ----------
    fn : callable
        work without arguments; in the subprocess fallback its value must be picklable.
    seconds : float
        the bound in CPU seconds of the process doing the work, > 0. Work that uses no CPU is
        stopped after :data:`WALL_FACTOR` times as many seconds of wall-clock time.

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

#: wall seconds after which a bound whose time ran out inside the garbage collector (where an
#: exception would be lost, :func:`unsafe_to_raise`) looks again whether it can raise
SAFE_RETRY = 1e-4


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


@dataclass
class _Bound:
    """A bound running in the main thread: its deadlines and the backstop's last look."""

    cpu: float  # the CPU deadline, on :func:`clock`
    wall: float  # the next look of the wall-clock backstop, on ``time.monotonic``
    cpu_free_until: float  # the ``time.monotonic`` before which ``cpu`` cannot have passed
    interval: float  # wall seconds between the backstop's looks
    capped: bool  # the wall deadline is an outer timer's: final
    cpu_at_look: float  # :func:`_cpu` at the backstop's last look
    expired: bool = False


#: the bounds running in the main thread, innermost last
_DEADLINES: list[_Bound] = []


def _wall_time_up(bound: _Bound, now: float) -> bool:
    """At the backstop's look: whether the work is stopped (it used less than
    :data:`MIN_SHARE` of a core since the last look: it sleeps or waits) or only slow (a
    starved process still runs: it is looked at again :attr:`_Bound.interval` later)."""
    if bound.expired:
        return True
    if now < bound.wall:
        return False  # (looked at already, from check_deadline)
    if bound.capped:
        return True
    used = _cpu() - bound.cpu_at_look
    if used < MIN_SHARE * bound.interval:
        return True
    bound.cpu_at_look += used
    bound.wall = now + bound.interval
    return False


def check_deadline() -> None:
    """Raise :class:`TimeLimitExceeded` when the innermost bound's time is up.

    Long loops (a quadrature's integrand) call it, so a bound holds even when its timer
    signal cannot run (a long call into C). It mostly costs one reading of the wall clock:
    the CPU clock (a system call, slower) is read only once as much wall time has passed as
    the CPU time that was left at the last reading (single-threaded work uses at most one
    CPU second per second; the timer signal counts every thread). Only the main thread's
    bounds have deadlines here: another thread's work is bounded by a child process.

    >>> check_deadline()  # outside any bound: nothing to do
    """
    if _DEADLINES and threading.current_thread() is threading.main_thread():
        bound = _DEADLINES[-1]
        now = time.monotonic()
        if bound.expired or (now >= bound.wall and _wall_time_up(bound, now)):
            bound.expired = True
            raise TimeLimitExceeded
        if now >= bound.cpu_free_until:
            left = bound.cpu - clock()
            if left <= 0:
                bound.expired = True
                raise TimeLimitExceeded
            bound.cpu_free_until = now + left


def _before_fork() -> None:
    _CLOCK_AT_FORK[0] = clock()


def _after_fork_in_child() -> None:
    """In a forked child: the parent's bounds are not the child's (nor are its timers), and
    the CPU clock goes on from the parent's value."""
    _DEADLINES.clear()
    _OFFSET[0] = _CLOCK_AT_FORK[0] - time.process_time()
    _FULL_COLLECTIONS[:] = [0.0, None]  # (the parent's are left out of the clock at the fork)
    _COLLECTING[0] = False


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_before_fork, after_in_child=_after_fork_in_child)

#: the two timers of a bound: (which timer, its signal)
_TIMERS = ((signal.ITIMER_PROF, signal.SIGPROF), (signal.ITIMER_REAL, signal.SIGALRM)) \
    if hasattr(signal, "setitimer") else ()


def _disarm(active: list[bool]) -> None:
    """Stop the bound's timers for good; a last signal may interrupt this, so try again."""
    while True:
        try:
            active[0] = False  # from here on the handler does nothing
            for which, _ in _TIMERS:
                signal.setitimer(which, 0)
            return
        except TimeLimitExceeded:
            continue


def _run_with_signal(fn: Callable[[], Any], seconds: float) -> Outcome:
    active = [True]
    entry = sys._getframe()

    def on_signal(signum: int, frame: Any) -> None:
        if not active[0]:
            return
        which = signal.ITIMER_PROF if signum == signal.SIGPROF else signal.ITIMER_REAL
        if _importing(frame, entry):
            signal.setitimer(which, IMPORT_GRACE)
            return
        if signum == signal.SIGPROF and not bound.expired:
            left = bound.cpu - clock()
            if left > 1e-3:  # a full collection ran meanwhile: its time is not the work's
                signal.setitimer(which, left)
                return
        if signum == signal.SIGALRM:
            now = time.monotonic()
            if not _wall_time_up(bound, now):  # slow, not stuck: the CPU bound decides
                signal.setitimer(which, max(bound.wall - now, 1e-3))
                return
        bound.expired = True
        if unsafe_to_raise(frame, entry):
            # inside the collector (its callback, a finalizer it runs) an exception is only
            # printed and lost: raised a moment later, in the work itself. The wall-clock
            # timer, exact to microseconds, looks again soon; the CPU timer goes by the
            # scheduler's tick and would mostly fire inside the collector again where
            # finalizers take most of the time.
            signal.setitimer(signal.ITIMER_REAL, SAFE_RETRY)
            return
        signal.setitimer(which, RETRY)  # until the bound is left (see RETRY)
        raise TimeLimitExceeded

    # the outer timers are stopped (and read) before this bound's handlers replace theirs
    old_timers = [signal.setitimer(which, 0) for which, _ in _TIMERS]
    starts = [clock(), time.monotonic()]
    old_handlers = [signal.signal(signum, on_signal) for _, signum in _TIMERS]
    bounds = [min(limit, old[0]) if old[0] > 0 else limit
              for limit, old in zip((seconds, min(WALL_FACTOR * seconds, MAX_TIMER)),
                                    old_timers, strict=True)]
    bound = _Bound(starts[0] + bounds[0], starts[1] + bounds[1], starts[1] + bounds[0],
                   interval=bounds[1], capped=bounds[1] < WALL_FACTOR * seconds,
                   cpu_at_look=_cpu())
    _DEADLINES.append(bound)
    try:
        try:
            for (which, _), delay in zip(_TIMERS, bounds, strict=True):
                signal.setitimer(which, delay)
            return Outcome(True, fn())
        finally:
            _disarm(active)
    except TimeLimitExceeded:
        return Outcome(False, error=f"timed out after {seconds:g} s")
    except (Exception, RecursionError, MemoryError) as exc:
        return Outcome(False, error=_describe(exc))
    finally:
        _disarm(active)  # (idempotent; here in case the first was cut short by a signal)
        _DEADLINES.pop()
        nows = (clock(), time.monotonic())
        for (which, signum), old_handler, (delay, interval), start, now in zip(
                _TIMERS, old_handlers, old_timers, starts, nows, strict=True):
            if old_handler is not None:  # (None: installed from C, cannot be put back)
                signal.signal(signum, old_handler)
            if delay > 0:
                signal.setitimer(which, max(delay - (now - start), 1e-3), interval)


def _cpu_of(pid: int) -> float | None:
    """CPU seconds (user + system) process ``pid`` has used, from ``/proc``; None where it
    cannot be read (not Linux, or the process is gone).

    >>> _cpu_of(os.getpid()) >= 0
    True
    """
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            data = f.read()
        fields = data[data.rindex(")") + 2:].split()  # from field 3 (the state) on
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def _run_in_child(fn: Callable[[], Any], seconds: float) -> Outcome:
    import multiprocessing  # here: the command line's start-up imports this module, not this

    ctx = multiprocessing.get_context("fork")
    receiver, sender = ctx.Pipe(duplex=False)

    def child() -> None:
        # the child's only thread is its main thread: it bounds itself by its own CPU clock
        try:
            out = _run_with_signal(fn, seconds) if _can_use_signal() else Outcome(True, fn())
            sender.send(out)
        except BaseException as exc:
            import traceback

            sender.send(Outcome(False, error=_describe(exc) or traceback.format_exc(limit=1)))

    proc = ctx.Process(target=child, daemon=True)
    proc.start()
    sender.close()
    try:
        # the child's own bound, in CPU time, is what normally ends the work; the parent is
        # the backstop: it looks every WALL_FACTOR times the bound (a second more) whether
        # the child still uses CPU, as the child's own backstop does
        interval, used = min(WALL_FACTOR * seconds + 1.0, MAX_TIMER), 0.0
        while not receiver.poll(interval):
            now = _cpu_of(proc.pid)
            if now is None or now - used < MIN_SHARE * interval:
                return Outcome(False, error=f"timed out after {seconds:g} s")
            used = now
        try:
            return receiver.recv()
        except (EOFError, OSError) as exc:
            return Outcome(False, error=f"the worker process failed: {_describe(exc)}")
    finally:
        receiver.close()
        if proc.is_alive():
            proc.kill()
        proc.join(1.0)
