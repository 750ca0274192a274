"""A few hundred fuzzed inputs through ``check --json`` (the full 5000 are in
``benchmarks/bench_fuzz.py``; this is the same generator with its own seed).

Each input runs in this process through :func:`elbo_derivation.cli.main`, with a one-second
symbolic time limit per step so that the test stays fast. The goals are those of the
benchmark: no exception escapes (a real process would print a traceback), the exit code is
0, 1 or 2, standard output is valid JSON when the exit code is 0 or 1, and every exit-2
message names ``FILE:LINE`` (or, for a file over the size limit, the file and its size).
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import json
from pathlib import Path

import pytest

from elbo_derivation.cli import main

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_fuzz.py"
N_INPUTS = 240
SEED = 20261206


def _bench():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_fuzz", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, str, int, str, str]]:
    bench = _bench()
    folder = tmp_path_factory.mktemp("fuzz")
    inputs = bench.make_inputs(N_INPUTS, SEED, folder)
    results = []
    for path, kinds in inputs:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(["check", str(path), "--json", "--time-limit", "1"])
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else -1
            except BaseException as exc:
                code = -1
                err.write(f"Traceback (most recent call last): {type(exc).__name__}: {exc}")
        results.append((path, kinds, code, out.getvalue(), err.getvalue()))
    return results


def test_every_mutator_is_exercised(fuzzed: list) -> None:
    bench = _bench()
    used = {k for _, kinds, *_ in fuzzed for k in kinds.split("+")}
    assert used == {m.__name__ for m in bench.MUTATORS}


def test_no_exception_escapes(fuzzed: list) -> None:
    bad = [(p.name, kinds, err[-300:]) for p, kinds, code, _, err in fuzzed
           if "Traceback" in err]  # fmt: skip
    assert bad == []


def test_exit_codes_are_0_1_or_2(fuzzed: list) -> None:
    codes = {code for *_, code, _, _ in fuzzed}
    assert codes <= {0, 1, 2}
    assert {0, 2} <= codes  # the mutations give both readable and unreadable files


def test_json_whenever_the_exit_code_is_0_or_1(fuzzed: list) -> None:
    for path, kinds, code, out, _ in fuzzed:
        if code in (0, 1):
            doc = json.loads(out)
            # a file of several parts reports its steps part by part
            steps = [s for part in doc.get("parts", [doc]) for s in part["steps"]]
            assert steps, (path.name, kinds)


def test_every_exit_2_names_file_and_line(fuzzed: list) -> None:
    bench = _bench()
    bad = []
    for path, kinds, code, _, err in fuzzed:
        if code != 2:
            continue
        located = path.name in err and bench.LOCATED.search(err)
        whole_file = path.name in err and bench.WHOLE_FILE.search(err)
        if not (located or whole_file):
            bad.append((path.name, kinds, err[-200:]))
    assert bad == []


def test_generator_is_reproducible(tmp_path: Path) -> None:
    bench = _bench()
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = bench.make_inputs(40, 5, tmp_path / "a")
    second = bench.make_inputs(40, 5, tmp_path / "b")
    assert [k for _, k in first] == [k for _, k in second]
    pairs = zip(first, second, strict=True)
    assert all(p.read_bytes() == q.read_bytes() for (p, _), (q, _) in pairs)
