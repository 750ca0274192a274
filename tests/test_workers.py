"""The worker processes' result pickles: SymPy nodes come back exactly as they were stored."""

from __future__ import annotations

import pickle

import pytest
import sympy as sp

from elbo_derivation.notes import bundled_paths
from elbo_derivation.read.deriv import read_derivation
from elbo_derivation.verification import check_file
from elbo_derivation.workers import dumps


def _expressions(d):  # type: ignore[no-untyped-def]
    yield d.start
    yield from d.definitions.values()
    for step in d.steps:
        yield step.expr
        r = step.result
        if r is not None and r.counterexample is not None:
            yield from (sp.S(v) for v in r.counterexample.point.values())


@pytest.mark.parametrize("path", bundled_paths(), ids=lambda p: p.stem)
def test_bundled_derivations_round_trip_node_for_node(path) -> None:  # type: ignore[no-untyped-def]
    d = read_derivation(path)
    back = pickle.loads(dumps(d))
    for a, b in zip(_expressions(d), _expressions(back), strict=True):
        assert sp.srepr(a) == sp.srepr(b)
        assert a == b and hash(a) == hash(b)


def test_a_refuted_step_round_trips_with_its_counterexample(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "wrong.deriv"
    path.write_text("symbols: a, b : positive\nlog(a*b)\n= log(a) - log(b)  # wrong sign\n",
                    encoding="utf-8")
    d = check_file(path)
    back = pickle.loads(dumps(d))
    assert back.steps[0].verdict is d.steps[0].verdict
    assert back.steps[0].result.counterexample == d.steps[0].result.counterexample
    for a, b in zip(_expressions(d), _expressions(back), strict=True):
        assert sp.srepr(a) == sp.srepr(b)


def test_unevaluated_rebuild_is_not_applied_to_other_types() -> None:
    x = sp.Symbol("x", real=True)
    integral = sp.Integral(sp.exp(-x**2) * x, (x, -sp.oo, sp.oo))
    back = pickle.loads(dumps(integral))
    assert sp.srepr(back) == sp.srepr(integral)  # not Integral(1*(...))


def _verdicts(ds):  # type: ignore[no-untyped-def]
    return [(d.name, s.index, s.verdict, s.result.method) for d in ds for s in d.steps]


def test_symbolic_only_lanes_agree_with_one_process() -> None:
    from elbo_derivation.verification import verify_bundled

    serial = verify_bundled(numeric=False, jobs=1)
    lanes = verify_bundled(numeric=False, jobs=2)
    assert _verdicts(lanes) == _verdicts(serial)
    assert all(s.quadrature is None and s.sampling is None for d in lanes for s in d.steps)
    assert all(set(d.metadata["timings"]) == {"read", "symbolic"} for d in lanes)


def test_the_shared_queue_hands_out_each_step_once_from_both_ends() -> None:
    import threading

    from elbo_derivation.workers import _Shared

    shared = _Shared([0, 0], threading.Lock())
    assert shared.take(back=False) is None  # nothing open yet
    shared.open(5)
    got = [shared.take(back=False), shared.take(back=True), shared.take(back=True),
           shared.take(back=False), shared.take(back=False), shared.take(back=True)]
    assert got == [0, 4, 3, 1, 2, None]
    assert shared.take(back=False) is None


def test_lanes_need_two_processes() -> None:
    from elbo_derivation import workers

    with pytest.raises(ValueError, match="at least 2"):
        workers.start(numeric=True, jobs=1)


def test_an_error_in_this_process_stops_the_workers(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import multiprocessing as mp
    import time

    from elbo_derivation import pipeline, verification

    def broken(d, step, time_limit, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    monkeypatch.setattr(pipeline, "check_step", broken)
    with pytest.raises(RuntimeError, match="boom"):
        verification.verify_bundled(numeric=True, jobs=2)
    deadline = time.monotonic() + 30
    while mp.active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not mp.active_children()


def test_the_verify_modules_import_no_sympy_at_the_top() -> None:
    """verify_bundled imports SymPy and the reader, then forks its workers, which import SciPy
    while this process reads; an import at the top of these modules would load more than that
    before the fork (and slow down ``--help``)."""
    import subprocess
    import sys

    code = ("import sys, elbo_derivation.cli, elbo_derivation.commands.verify, "
            "elbo_derivation.verification, elbo_derivation.workers; "
            "print('sympy' in sys.modules, 'scipy' in sys.modules, 'numpy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.split() == ["False", "False", "False"]


def test_the_reading_and_symbolic_lane_needs_no_numpy() -> None:
    """In two lanes this process reads and checks symbolically; the random streams are made
    in the workers, and the probe imports NumPy only when it runs, so NumPy is never loaded
    here (its import would sit on this process's share of the time)."""
    import subprocess
    import sys

    code = ("import sys\n"
            "from elbo_derivation.verification import verify_bundled\n"
            "ds = verify_bundled(numeric=True, jobs=2)\n"
            "print(len(ds), 'numpy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.split() == [str(len(bundled_paths())), "False"]


def test_the_console_script_collects_garbage_rarely(monkeypatch: pytest.MonkeyPatch) -> None:
    """cli.entry raises the collector's threshold (see its docstring) before anything heavy
    is imported, and still leaves collection on."""
    import gc

    from elbo_derivation import cli

    seen = {}

    def main() -> int:
        seen["threshold"] = gc.get_threshold()
        return 0

    monkeypatch.setattr(cli, "main", main)
    monkeypatch.setattr("os._exit", lambda code: seen.setdefault("code", code))
    before = gc.get_threshold()
    try:
        cli.entry()
    finally:
        gc.set_threshold(*before)
    assert seen["threshold"][0] >= 10_000 and gc.isenabled()
    assert seen["code"] == 0
