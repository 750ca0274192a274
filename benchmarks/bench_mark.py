"""Marking a class: a generated folder of student scripts, marked by ``elbo-derivation mark``.

The folder is generated from one model solution (the log-density of a Gaussian, four steps)
with every kind of script a lecturer meets, each with the score the default partial-credit
rule (``elbo_derivation/marking_default.toml``) must give it:

========================  ===========================================================  =====
kind                      what the script does                                          score
========================  ===========================================================  =====
correct                   the model's lines, terms in another order, own comments      10
regrouped                 skips a line of the model, ends with the square expanded       10
big-step                  one step from the question to the goal (3 model steps)        9.5
slip-carried              a slip in step 3, then step 4 correct from the slipped line     3
slip-recovered            a slip in step 3, then step 4 back on the model's line          7
trivial                   ``x = x``                                                       0
stops-early               stops after step 2 (equal to the goal, not in its form)         3
unreadable                not UTF-8, a syntax error, or a hostile expression              0
========================  ===========================================================  =====

(correct step 1.5 each, at most 6; goal 4; a wrong step −1; a step carried forward or
recovered 1; a step covering more than 2 steps of the model −0.5.)

The whole command is timed as a process, start-up included, and every score is checked.
Run: ``python benchmarks/bench_mark.py [N_PER_KIND]`` (default 45 per kind: 360 files).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

HEADER = """symbols: x, m : real
symbols: s : positive
"""
MODEL = HEADER + """title: The log-density of a Gaussian N(m, s²) at x
    log(exp(-(x - m)^2/(2*s^2))/sqrt(2*pi*s^2))
  = log(exp(-(x - m)^2/(2*s^2))) - log(sqrt(2*pi*s^2))   # the log of a quotient
  = -(x - m)^2/(2*s^2) - log(sqrt(2*pi*s^2))             # log(exp(u)) = u
  = -(x - m)^2/(2*s^2) - log(2*pi*s^2)/2                 # log √a = ½ log a
  = -(x - m)^2/(2*s^2) - log(2*pi)/2 - log(s)            # the log of a product
"""

START = ["log(exp(-(x - m)^2/(2*s^2))/sqrt(2*pi*s^2))",
         "log(exp(-(m - x)^2/(2*s^2))/sqrt(2*pi*s^2))"]
# each line of the model, written in several ways a student might (same expression)
L1 = ["log(exp(-(x - m)^2/(2*s^2))) - log(sqrt(2*pi*s^2))",
      "-log(sqrt(2*pi*s^2)) + log(exp(-(x - m)^2/(2*s^2)))"]
L2 = ["-(x - m)^2/(2*s^2) - log(sqrt(2*pi*s^2))", "-log(sqrt(2*pi*s^2)) - (x - m)^2/(2*s^2)",
      "-log(sqrt(2*pi*s^2)) - (m - x)^2/(2*s^2)"]
L3 = ["-(x - m)^2/(2*s^2) - log(2*pi*s^2)/2", "-log(2*pi*s^2)/2 - (x - m)^2/(2*s^2)",
      "-(1/2)*log(2*pi*s^2) - (x - m)^2/(2*s^2)"]
L4 = ["-(x - m)^2/(2*s^2) - log(2*pi)/2 - log(s)", "-log(s) - log(2*pi)/2 - (x - m)^2/(2*s^2)",
      "-log(s) - (1/2)*log(2*pi) - (x - m)^2/(2*s^2)"]
L4_EXPANDED = ["-log(s) - log(2*pi)/2 - (x^2 - 2*x*m + m^2)/(2*s^2)",
               "-(x^2 - 2*m*x + m^2)/(2*s^2) - log(s) - log(2*pi)/2"]
SLIP3 = ["-(x - m)^2/(2*s^2) - log(2*pi*s^2)", "-log(2*pi*s^2) - (x - m)^2/(2*s^2)"]
SLIP4 = ["-(x - m)^2/(2*s^2) - log(2*pi) - 2*log(s)", "-2*log(s) - log(2*pi) - (x - m)^2/(2*s^2)"]
NOTES = ["", "   # log of a quotient", "   # by the rules for logs", "   # simplify", "  # ok"]
UNREADABLE = [
    b"\xff\xfe\x00 not text",
    (HEADER + "log(s) +* 2\n= log(s)\n").encode(),
    (HEADER + "9^9^9^9\n= s\n").encode(),
    (HEADER + "(" * 150 + "s" + ")" * 150 + "\n= s\n").encode(),
    b"",
]

EXPECTED = {"correct": 10.0, "regrouped": 10.0, "big-step": 9.5, "slip-carried": 3.0,
            "slip-recovered": 7.0, "trivial": 0.0, "stops-early": 3.0, "unreadable": 0.0}


def _script(rng: random.Random, lines: list[list[str]]) -> str:
    out = [HEADER.rstrip("\n"), "    " + rng.choice(START)]
    for choices in lines:
        out.append("  = " + rng.choice(choices) + rng.choice(NOTES))
    return "\n".join(out) + "\n"


def generate(folder: Path, per_kind: int, seed: int = 0) -> dict[str, float]:
    """Write ``per_kind`` scripts of each kind into ``folder``; returns file → expected score."""
    rng = random.Random(seed)
    expected: dict[str, float] = {}
    kinds = {
        "correct": lambda: _script(rng, [L1, L2, L3, L4]),
        "regrouped": lambda: _script(rng, rng.choice([[L2, L3, L4_EXPANDED], [L1, L3, L4],
                                                      [L1, L2, L4_EXPANDED]])),
        "big-step": lambda: _script(rng, [L4]),
        "slip-carried": lambda: _script(rng, [L1, L2, SLIP3, SLIP4]),
        "slip-recovered": lambda: _script(rng, [L1, L2, SLIP3, L4]),
        "trivial": lambda: "symbols: x : real\nx\n= x\n",
        "stops-early": lambda: _script(rng, [L1, L2]),
    }
    n = 0
    for kind, make in kinds.items():
        for _ in range(per_kind):
            n += 1
            name = f"student_{n:04d}_{kind}.deriv"
            (folder / name).write_text(make(), encoding="utf-8")
            expected[name] = EXPECTED[kind]
    for i in range(per_kind):
        n += 1
        name = f"student_{n:04d}_unreadable.deriv"
        (folder / name).write_bytes(UNREADABLE[i % len(UNREADABLE)])
        expected[name] = EXPECTED["unreadable"]
    return expected


def main(per_kind: int = 45) -> int:
    exe = shutil.which("elbo-derivation", path=str(Path(sys.executable).parent)) or \
        shutil.which("elbo-derivation")
    cmd = [exe] if exe else [sys.executable, "-m", "elbo_derivation"]
    work = Path(tempfile.mkdtemp(prefix="bench_mark_"))
    try:
        folder = work / "class"
        folder.mkdir()
        expected = generate(folder, per_kind)
        (work / "model.deriv").write_text(MODEL, encoding="utf-8")
        out = work / "marks.json"
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        t0 = time.perf_counter()
        proc = subprocess.run([*cmd, "mark", str(folder), "--reference", str(work / "model.deriv"),
                               "--json", str(out), "--csv", str(work / "marks.csv"),
                               "--csv-format", "canvas"],
                              capture_output=True, text=True, env=env)
        seconds = time.perf_counter() - t0
        if proc.returncode not in (0, 1) or not out.exists():
            print(proc.stderr)
            print(f"mark failed with exit status {proc.returncode}")
            return 1
        doc = json.loads(out.read_text(encoding="utf-8"))
        got = {row["file"]: row for row in doc["files"]}
        wrong = [(name, want, got.get(name, {}).get("score")) for name, want in expected.items()
                 if got.get(name, {}).get("score") != want]
        n = len(expected)
        print(f"{n} files ({per_kind} of each of {len(EXPECTED)} kinds), "
              f"{os.cpu_count()} CPUs")
        print(f"elbo-derivation mark, whole process: {seconds:.2f} s = {n / seconds:.0f} "
              "files/s (start-up included)")
        print(f"marking inside the process: {doc.get('seconds', float('nan')):.2f} s")
        print(f"scores as expected: {n - len(wrong)}/{n}")
        for name, want, have in wrong[:10]:
            reasons = got.get(name, {}).get("reasons")
            print(f"  {name}: expected {want}, got {have}: {reasons}")
        print(f"target >= 100 files/s: {'met' if n / seconds >= 100 else 'NOT met'}")
        return 0 if not wrong else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 45))
