"""The same file gets the same verdicts whatever else the machine runs, and never another name.

Every time budget of the checker counts CPU seconds of the process doing the work
(``core.timeout.clock``), so busy processes beside it slow it down without changing what it
finds. The files here are ones whose first step was left undecided, and whose mistake went
unnamed, under load while the budgets were wall-clock time (an outsider pass saw it).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
from pathlib import Path

import pytest

CORPUS = Path(__file__).parent / "corpus"

#: wrong files whose refutation and name went with the machine's load under wall-clock budgets
LOAD_SENSITIVE = [
    CORPUS / "loss/wrong/goodfellow_gaussian_mse.s1.dropped-half.tex",
    CORPUS / "multivariate/wrong/kl_mvn_two_diagonal.s1.ratio-flipped.deriv",
]


def _busy() -> None:
    while True:
        pass


def _results(path: Path) -> list[tuple[str, object]]:
    """(verdict, mistake) of every step of ``check PATH --json``, run as its own process."""
    proc = subprocess.run([sys.executable, "-m", "elbo_derivation", "check", str(path), "--json"],
                          capture_output=True, text=True, timeout=1200,
                          env=dict(os.environ, PYTHONHASHSEED="0"))
    assert proc.returncode in (0, 1), proc.stderr
    doc = json.loads(proc.stdout)
    steps = [s for part in doc.get("parts", [doc]) for s in part.get("steps", [])]
    return [(s["verdict"], s.get("mistake")) for s in steps]


@pytest.mark.slow
def test_verdicts_and_names_do_not_depend_on_the_load() -> None:
    alone = [_results(p) for p in LOAD_SENSITIVE]
    ctx = multiprocessing.get_context("fork")
    hogs = [ctx.Process(target=_busy, daemon=True) for _ in range(3)]
    for hog in hogs:
        hog.start()
    try:
        loaded = [_results(p) for p in LOAD_SENSITIVE]
    finally:
        for hog in hogs:
            hog.kill()
            hog.join()
    verdicts = [[verdict for verdict, _ in found] for found in alone]
    assert [[verdict for verdict, _ in found] for found in loaded] == verdicts
    for found in verdicts:  # the comparison is about something: each file has a refuted step
        assert "refuted" in found
    # a name is never another one under load; a diagnosis that ends near its CPU budget can
    # still end unnamed on a loaded machine, where the same work takes a little more CPU
    for here, there in zip(alone, loaded, strict=True):
        for (_, name), (_, other) in zip(here, there, strict=True):
            assert name is None or other is None or name == other
