"""The time bound of core/timeout.py: really enforced, and never inside an import."""

from __future__ import annotations

import sys
import textwrap
import time
from pathlib import Path

import pytest

from elbo_derivation.core.timeout import run_bounded


def test_a_bound_interrupts_long_work() -> None:
    start = time.monotonic()
    out = run_bounded(lambda: time.sleep(5), 0.05)
    assert not out.ok and out.error == "timed out after 0.05 s"
    assert time.monotonic() - start < 2.0


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
        signal.setitimer(signal.ITIMER_REAL, 0)  # the timer lost
        while True:
            check_deadline()

    start = time.monotonic()
    out = run_bounded(work, 0.1)
    assert not out.ok and out.error == "timed out after 0.1 s"
    assert time.monotonic() - start < 2.0
    check_deadline()  # outside the bound again: nothing raised
