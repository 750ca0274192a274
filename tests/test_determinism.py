"""The same input gives the same ``--json``, byte for byte, apart from the timings.

Each command runs twice as a whole process, with different ``PYTHONHASHSEED`` values, so
that an ordering that depends on set or dict iteration of strings would show up as a
difference. Only timing fields are removed before the comparison: every key named
``seconds`` and everything under a key named ``timings`` (measured wall-clock times, which
no two runs share). The documents are then written back with their keys in the order they
came in, so that a change of order is a difference too.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from elbo_derivation import notes

#: Keys whose values are wall-clock measurements.
TIMING_KEYS = frozenset({"seconds", "timings"})

DATA = Path(__file__).parent / "data"
NOTES = Path(notes.__file__).parent


def without_timings(doc: Any) -> Any:
    """``doc`` with every timing field removed (recursively), key order kept."""
    if isinstance(doc, dict):
        return {k: without_timings(v) for k, v in doc.items() if k not in TIMING_KEYS}
    if isinstance(doc, list):
        return [without_timings(v) for v in doc]
    return doc


def run_json(args: list[str], hashseed: str) -> tuple[int, str]:
    env = {**os.environ, "PYTHONHASHSEED": hashseed}
    proc = subprocess.run([sys.executable, "-m", "elbo_derivation", *args],
                          capture_output=True, text=True, timeout=300, env=env)  # fmt: skip
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, proc.stdout


def same_twice(args: list[str]) -> None:
    (code1, out1), (code2, out2) = run_json(args, "1"), run_json(args, "2")
    assert code1 == code2
    a = json.dumps(without_timings(json.loads(out1)), indent=1, ensure_ascii=False)
    b = json.dumps(without_timings(json.loads(out2)), indent=1, ensure_ascii=False)
    assert a == b


def test_without_timings_removes_only_timing_fields() -> None:
    doc = {"a": 1, "seconds": 2.0, "b": [{"seconds": 1, "c": {"timings": {"read": 1}, "d": 3}}]}
    assert without_timings(doc) == {"a": 1, "b": [{"c": {"d": 3}}]}


def test_verify_json_is_the_same_twice() -> None:
    same_twice(["verify", "--json", "--errata"])


@pytest.mark.parametrize("path", [NOTES / "kl_gaussians.deriv", DATA / "wrong_s4.tex",
                                  DATA / "notes_s3_2.tex"], ids=lambda p: p.name)  # fmt: skip
def test_check_json_on_a_file_is_the_same_twice(path: Path) -> None:
    same_twice(["check", str(path), "--json", "--numeric"])


def test_check_json_on_a_folder_is_the_same_twice(tmp_path: Path) -> None:
    for p in [*sorted(DATA.iterdir())[:4], NOTES / "elbo.deriv"]:
        (tmp_path / p.name).write_bytes(p.read_bytes())
    (tmp_path / "broken.deriv").write_text("symbols: a : real\n    a\n  = (a\n", encoding="utf-8")
    same_twice(["check", str(tmp_path), "--json"])


def test_the_rules_credited_for_a_step_do_not_depend_on_the_machines_speed(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A loaded machine, simulated: every trial of the search for the rules a proved step
    needed (a normal form with some rules left out) takes 0.1 s longer, which is more than
    the step's whole share for the rules at a 1 s limit. The verdict, the method that proved
    the step, and the rules it is credited with are those of an idle machine: the search is
    bounded by work (one trial per rule) and runs after the verdict, not within its time."""
    from elbo_derivation.core.timeout import clock
    from elbo_derivation.decide import rules
    from elbo_derivation.pipeline import check_step
    from elbo_derivation.read.deriv import read_derivation

    d = read_derivation(NOTES / "kl_multivariate.deriv")
    step = d.steps[0]

    def seen(result: Any) -> tuple:
        return (result.verdict, result.method, tuple(result.rules), result.explanation)

    idle = seen(check_step(d, step, time_limit=5.0))
    assert idle[1] == "expectation-rules" and len(idle[2]) >= 2  # narrowed from more rules

    normal_form = rules.normalize_traced

    def slow(expr: Any, model: Any = None, disabled: Any = frozenset()) -> Any:
        if disabled:  # 0.1 s of CPU (the budgets count CPU time: a sleep would use none)
            began = clock()
            while clock() - began < 0.1:
                pass
        return normal_form(expr, model, disabled)

    monkeypatch.setattr(rules, "normalize_traced", slow)
    assert seen(check_step(d, step, time_limit=1.0)) == idle
