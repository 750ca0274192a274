"""The time bound of core/timeout.py: really enforced, and never inside an import."""

from __future__ import annotations

import sys
import textwrap
import time
from pathlib import Path

import pytest

from elbo_derivation.core import timeout
from elbo_derivation.core.timeout import clock, run_bounded


def _spin() -> None:
    """CPU-bound work that never ends."""
    while True:
        sum(range(1000))


def test_a_bound_interrupts_long_work() -> None:
    start = clock()
    out = run_bounded(_spin, 0.05)
    assert not out.ok and out.error == "timed out after 0.05 s"
    assert clock() - start < 1.0  # (CPU seconds: the same on a loaded machine)


def test_a_bound_counts_the_cpu_time_of_the_work() -> None:
    # the bound is CPU seconds of this process: when it stops a CPU-bound loop, the loop has
    # had (about) its whole bound of CPU, however loaded the machine is
    start = clock()
    out = run_bounded(_spin, 0.2)
    used = clock() - start
    assert not out.ok and out.error == "timed out after 0.2 s"
    assert used >= 0.18  # (the kernel checks CPU timers at its ticks: a few ms either way)


def test_work_that_uses_no_cpu_is_stopped_by_the_wall_clock_backstop(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # a sleep uses no CPU: its CPU bound never runs out, the backstop (a small factor here) does
    monkeypatch.setattr(timeout, "WALL_FACTOR", 2.0)
    start, cpu = time.monotonic(), clock()
    out = run_bounded(lambda: time.sleep(30), 0.05)
    assert not out.ok and out.error == "timed out after 0.05 s"
    assert time.monotonic() - start < 10.0
    assert clock() - cpu < 0.05 * 2.0 + 1.0


def test_the_backstop_does_not_stop_work_that_runs_only_slowly(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # the backstop looks after half the bound here, again and again: the loop uses CPU each
    # time (as a starved process does, at a few percent of a core), so only its CPU bound ends it
    monkeypatch.setattr(timeout, "WALL_FACTOR", 0.5)
    start = clock()
    out = run_bounded(_spin, 0.3)
    assert not out.ok and out.error == "timed out after 0.3 s"
    assert clock() - start >= 0.27


def test_a_short_sleep_is_not_cut_short_by_its_cpu_bound() -> None:
    # 1 s of sleeping within a bound of 0.2 CPU seconds: its backstop is 20 times that
    out = run_bounded(lambda: time.sleep(1.0) or 7, 0.2)
    assert out.ok and out.value == 7


def test_outside_the_main_thread_a_child_process_bounds_itself_by_its_cpu_time() -> None:
    import threading

    box: dict = {}
    worker = threading.Thread(target=lambda: box.update(
        spun=run_bounded(_spin, 0.1), value=run_bounded(lambda: 6 * 7, 5.0)))
    worker.start()
    worker.join(60)
    assert box["spun"].error == "timed out after 0.1 s"
    assert box["value"].ok and box["value"].value == 42


def test_nested_bounds_restore_the_outer_cpu_timer() -> None:
    import signal

    def outer() -> tuple[bool, float]:
        inner = run_bounded(_spin, 0.05)  # the inner bound runs out first
        return inner.ok, signal.getitimer(signal.ITIMER_PROF)[0]

    out = run_bounded(outer, 30.0)
    assert out.ok
    inner_ok, left = out.value
    assert not inner_ok and 0 < left <= 30.0  # the outer CPU timer armed again
    # an inner bound longer than the outer CPU time left gets only that time
    start = clock()
    out = run_bounded(lambda: run_bounded(_spin, 30.0), 0.1)
    assert not (out.ok and out.value.ok) and clock() - start < 5.0
    assert signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0)


def test_an_import_running_when_the_time_is_up_is_finished_first(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a module whose import takes 0.3 s: a bound of 0.05 s falls inside it
    (tmp_path / "slow_module_for_bound.py").write_text(textwrap.dedent("""
        import time
        for _ in range(30):
            time.sleep(0.01)
        READY = True
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "slow_module_for_bound", raising=False)

    def work() -> None:
        import slow_module_for_bound  # noqa: F401
        time.sleep(5)

    out = run_bounded(work, 0.05)
    assert not out.ok and out.error.startswith("timed out")
    module = sys.modules["slow_module_for_bound"]
    assert module.READY is True  # imported whole, not left half-initialised


def test_a_bound_must_be_positive() -> None:
    with pytest.raises(ValueError, match="seconds must be positive"):
        run_bounded(lambda: 1, 0)


def test_a_bound_holds_where_long_loops_check_it_even_if_its_signal_is_lost() -> None:
    import signal

    from elbo_derivation.core.timeout import check_deadline

    def work() -> None:
        signal.setitimer(signal.ITIMER_PROF, 0)  # the timers lost
        signal.setitimer(signal.ITIMER_REAL, 0)
        while True:
            check_deadline()

    start = clock()
    out = run_bounded(work, 0.1)
    assert not out.ok and out.error == "timed out after 0.1 s"
    assert clock() - start < 2.0
    check_deadline()  # outside the bound again: nothing raised


def _run_script(tmp_path: Path, body: str, name: str = "script.py") -> str:
    """Run ``body`` in a fresh interpreter (killed after 600 s of wall-clock time,
    so a lost bound fails, not hangs; the bounds inside count CPU seconds, which a loaded
    machine hands out slowly) and return its output."""
    import subprocess

    (tmp_path / name).write_text(textwrap.dedent(body), encoding="utf-8")
    proc = subprocess.run([sys.executable, name], cwd=tmp_path, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_a_bound_holds_when_its_first_interruption_is_swallowed(tmp_path: Path) -> None:
    # a bare ``except:`` (mpmath has several) or a __del__ can swallow the first
    # TimeLimitExceeded; the timer then fires again until the bound is left
    out = _run_script(tmp_path, """
        import time
        from elbo_derivation.core.timeout import run_bounded

        def work():
            try:
                while True:
                    sum(range(1000))
            except BaseException:
                pass  # swallowed
            while True:
                sum(range(1000))

        start = time.process_time()
        print(run_bounded(work, 0.1).error, time.process_time() - start < 5.0)
    """)
    assert out.split("\n")[0] == "timed out after 0.1 s True"


def test_a_bound_holds_for_work_run_while_a_module_is_imported(tmp_path: Path) -> None:
    # the bound runs inside an import (code at the top of a module): only imports started by
    # the bounded work itself delay the interruption
    (tmp_path / "bounded_at_import.py").write_text(textwrap.dedent("""
        from elbo_derivation.core.timeout import run_bounded

        def spin():
            while True:
                sum(range(1000))

        OUT = run_bounded(spin, 0.1)
    """), encoding="utf-8")
    out = _run_script(tmp_path, """
        import time
        start = time.monotonic()
        import bounded_at_import
        print(bounded_at_import.OUT.error, time.monotonic() - start < 10.0)
    """)
    assert out.split("\n")[0] == "timed out after 0.1 s True"


def test_no_alarm_is_left_behind_after_a_bound_runs_out() -> None:
    import signal

    armed = signal.getitimer(signal.ITIMER_REAL)[0] > 0  # (pytest-timeout's, if any)
    handler = signal.getsignal(signal.SIGALRM)
    profiler = signal.getsignal(signal.SIGPROF)
    for _ in range(20):
        assert not run_bounded(_spin, 0.01).ok
        delay, interval = signal.getitimer(signal.ITIMER_REAL)
        assert (delay > 0) == armed and interval == 0.0  # no retry timer left running
        assert signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0)
        assert signal.getsignal(signal.SIGALRM) is handler
        assert signal.getsignal(signal.SIGPROF) is profiler


def test_an_outer_timer_is_restored_with_the_time_it_had_left() -> None:
    import signal

    fired = []
    old = signal.signal(signal.SIGALRM, lambda *_: fired.append(True))
    try:
        signal.setitimer(signal.ITIMER_REAL, 30.0)
        assert run_bounded(_spin, 0.05).error == "timed out after 0.05 s"
        left = signal.getitimer(signal.ITIMER_REAL)[0]
        assert 28.0 < left <= 30.0
        # an inner bound longer than the outer time left gets only that time
        signal.setitimer(signal.ITIMER_REAL, 0.1)
        assert not run_bounded(lambda: time.sleep(5), 10.0).ok
        time.sleep(0.2)
        assert fired  # the outer timer fired after all
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def test_a_forked_child_forgets_the_parents_deadlines() -> None:
    import os

    from elbo_derivation.core import timeout

    def work() -> int:
        pid = os.fork()
        if pid == 0:  # the child: the parent's bound is not its own
            os._exit(0 if timeout._DEADLINES == [] else 1)
        return os.waitpid(pid, 0)[1]

    out = run_bounded(work, 5.0)
    assert out.ok and out.value == 0


def test_sympys_table_of_integrals_is_built_whole_even_when_the_time_runs_out(
        tmp_path: Path) -> None:
    # SymPy fills its Meijer G table on first use and never again once it is non-empty: cut
    # short, every later Gaussian integral of the process stayed unevaluated (seen in the suite)
    out = _run_script(tmp_path, """
        import sympy as sp
        import sympy.integrals.meijerint as mi
        from elbo_derivation.core.timeout import run_bounded

        u = sp.Symbol("u", real=True)
        full = {}
        mi._create_lookup_table(full)
        for k in range(1, 40):  # bounds from 2 ms up: some fall inside the table's building
            mi._lookup_table = None
            sp.core.cache.clear_cache()
            run_bounded(lambda: mi._rewrite_single(sp.exp(u), u), 0.002 * k)
            assert mi._lookup_table is None or len(mi._lookup_table) == len(full), k
        print(sp.integrate(sp.exp(-u**2 / 2), (u, -sp.oo, sp.oo)))
    """)
    assert out.split("\n")[0] == "sqrt(2)*sqrt(pi)"


def _full_collection_seconds(heap: list) -> float:
    """CPU seconds of one full collection with ``heap`` alive (the median of three)."""
    import gc

    times = []
    for _ in range(3):
        start = time.process_time()
        gc.collect()
        times.append(time.process_time() - start)
    assert heap  # (kept alive until here)
    return sorted(times)[1]


def test_the_clock_leaves_out_full_garbage_collections() -> None:
    import gc

    heap = [[i] for i in range(300_000)]  # every full collection walks all of these
    one = _full_collection_seconds(heap)
    start_raw, start = time.process_time(), clock()
    for _ in range(4):
        gc.collect()
    raw = time.process_time() - start_raw
    assert raw >= 2 * one > 0  # (the collections did cost CPU time)
    assert clock() - start < 0.25 * raw


def test_a_full_collection_during_a_bound_does_not_use_it_up() -> None:
    # a long-running process (a test session, a notebook) holds a large heap; a full
    # collection that starts during a tier's share walks all of it: that is not the tier's work
    import gc

    heap = [[i] for i in range(300_000)]
    one = _full_collection_seconds(heap)

    def collections() -> int:
        for _ in range(6):
            gc.collect()
        return 6

    bound = max(2 * one, 0.02)
    out = run_bounded(collections, bound)
    assert out.ok and out.value == 6, (out.error, one)
    assert heap


def test_a_bound_running_out_during_a_collection_is_not_lost_in_its_callback(
        capfd: pytest.CaptureFixture[str]) -> None:
    # the clock's hook runs at every collection; a bound that runs out there must end the
    # work after it, not raise inside the hook (Python would print "Exception ignored")
    import gc

    def collecting() -> None:
        while True:
            gc.collect(0)

    for _ in range(5):
        out = run_bounded(collecting, 0.05)
        assert not out.ok and out.error == "timed out after 0.05 s"
    assert "Exception ignored" not in capfd.readouterr().err


class _SlowFinalizer:
    """An object in a reference cycle whose finalizer takes a while: the collector runs it."""

    def __init__(self) -> None:
        self.me = self

    def __del__(self) -> None:
        end = time.process_time() + 0.002
        while time.process_time() < end:
            pass


def test_a_bound_running_out_in_a_finalizer_the_collector_runs_is_not_lost(
        capfd: pytest.CaptureFixture[str]) -> None:
    # most of this work's time is spent in finalizers the collector calls: a signal handled
    # there must not raise (Python would print "Exception ignored" and the bound would go on)
    import gc

    def collecting() -> None:
        while True:
            for _ in range(5):
                _SlowFinalizer()
            gc.collect(0)

    for _ in range(5):
        out = run_bounded(collecting, 0.05)
        assert not out.ok and out.error == "timed out after 0.05 s"
    assert "Exception ignored" not in capfd.readouterr().err


def test_unsafe_to_raise_inside_the_collector_and_finalizers_only() -> None:
    import gc
    import sys

    from elbo_derivation.core.timeout import unsafe_to_raise

    seen: list[bool] = []

    class Probe:
        def __init__(self) -> None:
            self.me = self

        def __del__(self) -> None:
            seen.append(unsafe_to_raise(sys._getframe()))

    def hook(phase: str, info: dict[str, int]) -> None:
        if phase == "start":  # (at "stop", a hook after the package's own is not seen)
            seen.append(unsafe_to_raise(sys._getframe()))

    assert not unsafe_to_raise(sys._getframe())
    Probe()
    gc.collect()
    gc.callbacks.append(hook)
    try:
        gc.collect(0)
    finally:
        gc.callbacks.remove(hook)
    assert seen and all(seen), seen
    assert not unsafe_to_raise(sys._getframe())
