r"""Fuzzing ``elbo-derivation check FILE --json`` with thousands of mutated derivations.

Inputs: the bundled derivations of the notes (``elbo_derivation/notes``), the test data
(``tests/data``) and, if present, ``tests/corpus``, ``.deriv`` and ``.tex``, each mutated by
one to three of the mutators below (chosen by a seeded generator, so a run is reproducible):
byte flips, deleted / duplicated / swapped lines, truncation, token insertion, unbalanced
brackets, ``9^9^9^9``, 5000-deep nesting, a 1 MB line, NUL bytes, invalid UTF-8, a BOM, CR and
CRLF line ends, look-alike letters (Cyrillic а, micro sign µ, ...), zero-width spaces, and
hostile text (``__import__``, ``lambda``, dunder attributes, ``eval(``, ``exec(``, ``\input``,
``\def``, ``\csname``).

How each input runs. Starting 5000 Python interpreters that import NumPy, SymPy and SciPy
would cost more than an hour of CPU on its own, so each of two driver processes (one per
core) imports the package once, checks one harmless file to warm up, and then, for each
input, forks a fresh child that runs the command line's ``main(["check", FILE, "--json"])``
with its stdout and stderr sent to files, and leaves with ``os._exit(code)`` as the console
script does. The child is a whole process of its own (its own exit code, memory and
crashes), it only skips the interpreter start and the imports; an exception that escapes
``main`` is printed as the interpreter would print it (``Traceback ...``) and counted. The
driver waits at most :data:`TIMEOUT` seconds per input, then kills the child (a time-out), and
reads the child's peak memory (``ru_maxrss``, which includes the pages shared with the
driver: an upper bound) from ``wait4``. To show that forking changes nothing, a sample of
the inputs is also run as real ``elbo-derivation check`` processes and the exit codes and
standard outputs compared.

Goals (issue "Reliability you can quote"): 0 tracebacks, exit codes only 0, 1 or 2, valid
JSON on stdout whenever the exit code is 0 or 1, ``FILE:LINE`` in every exit-2 message, every
input answered within 20 s and 1 GiB.

Run: ``.venv/bin/python benchmarks/bench_fuzz.py [--n 5000] [--seed 0] [--jobs 2]
[--sample 40] [--keep DIR]`` (or ``python benchmarks/run.py fuzz``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = (ROOT / "elbo_derivation" / "notes", ROOT / "tests" / "data", ROOT / "tests" / "corpus")
TIMEOUT = 20.0  # seconds per input
MEMORY_GOAL = 1 << 30  # bytes
#: A hard cap on a child's address space, far above the goal: a runaway input cannot take
#: the shared machine down (hitting it shows up as a failure, not as a hang).
ADDRESS_CAP = 8 << 30

#: An exit-2 message names the place: ``FILE:LINE`` (a column may follow).
LOCATED = re.compile(r":\d+(:\d+)?:? ")
#: The one refusal that concerns a whole file rather than a place in it: the size limit.
#: It names the file and its size; no line applies. Counted apart, not hidden.
WHOLE_FILE = re.compile(r"bytes; files larger than \d+ bytes are refused")


# --- the mutators ----------------------------------------------------------------------------

TOKENS = ["+", "-", "*", "/", "^", "**", "(", ")", "[", "]", "{", "}", "=", "<=", ">=", "≤",
          "log(", "exp(", "sqrt(", "KL(", "E[", "\\frac{", "\\log", "\\exp", "\\sqrt{", "&",
          "\\\\", "symbols:", "let:", "# ", "%", "$", ",", ":", ";", "0", "-1", "1e308",
          "1/0", "0^0", "pi", "oo", "nan", "x", "σ", "μ", "\\sigma", "\\mathbb{E}", "_",
          "\\end{align*}", "\\begin{align*}", "|", "‖", "∫", "·", "−", "\t", "'", '"']  # fmt: skip

HOSTILE = ["__import__('os').system('true')", "(lambda: 0)()", "x.__class__.__bases__",
           "__builtins__", "eval('1')", "exec('import os')", "\\input{/etc/passwd}",
           "\\def\\x{1}\\x", "\\csname relax\\endcsname", "getattr(x, '__dict__')",
           "\\immediate\\write18{true}", "open('/tmp/x', 'w')"]  # fmt: skip

LOOKALIKES = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "u": "µ",
              "m": "µ", "s": "ѕ", "i": "і"}  # fmt: skip
ZERO_WIDTH = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def _pos(rng: random.Random, data: bytes) -> int:
    return rng.randrange(len(data) + 1)


def _insert(rng: random.Random, data: bytes, piece: bytes) -> bytes:
    i = _pos(rng, data)
    return data[:i] + piece + data[i:]


def byte_flip(rng, data, kind):  # type: ignore[no-untyped-def]
    b = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if b:
            i = rng.randrange(len(b))
            b[i] ^= 1 << rng.randrange(8)
    return bytes(b)


def delete_line(rng, data, kind):  # type: ignore[no-untyped-def]
    lines = _lines(data)
    del lines[rng.randrange(len(lines))]
    return b"\n".join(lines)


def duplicate_line(rng, data, kind):  # type: ignore[no-untyped-def]
    lines = _lines(data)
    i = rng.randrange(len(lines))
    lines.insert(i, lines[i])
    return b"\n".join(lines)


def swap_lines(rng, data, kind):  # type: ignore[no-untyped-def]
    lines = _lines(data)
    i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
    lines[i], lines[j] = lines[j], lines[i]
    return b"\n".join(lines)


def truncate(rng, data, kind):  # type: ignore[no-untyped-def]
    return data[: _pos(rng, data)]


def insert_token(rng, data, kind):  # type: ignore[no-untyped-def]
    return _insert(rng, data, rng.choice(TOKENS).encode())


def unbalance(rng, data, kind):  # type: ignore[no-untyped-def]
    opener, closer = rng.choice([(b"(", b")"), (b"{", b"}"), (b"[", b"]")])
    if rng.random() < 0.5 and closer in data:
        i = data.rfind(closer, 0, rng.randrange(1, len(data) + 1))
        if i >= 0:
            return data[:i] + data[i + 1 :]
    return _insert(rng, data, opener if rng.random() < 0.5 else closer)


def _replace_expression(rng: random.Random, data: bytes, kind: str, expr: str) -> bytes:
    """Put ``expr`` in place of a step's right-hand side (after ``=`` on a step line)."""
    lines = _lines(data)
    steps = [i for i, line in enumerate(lines) if b"=" in line and not line.lstrip().startswith(
        (b"#", b"%", b"symbols", b"let", b"title", b"source"))]  # fmt: skip
    if not steps:
        return _insert(rng, data, expr.encode())
    i = rng.choice(steps)
    head = lines[i][: lines[i].index(b"=") + 1]
    tail = b" \\\\" if kind == ".tex" and lines[i].rstrip().endswith(b"\\\\") else b""
    lines[i] = head + b" " + expr.encode() + tail
    return b"\n".join(lines)


def tower(rng, data, kind):  # type: ignore[no-untyped-def]
    expr = "9^{9^{9^{9}}}" if kind == ".tex" and rng.random() < 0.5 else "9^9^9^9"
    return _replace_expression(rng, data, kind, expr)


def deep_nesting(rng, data, kind):  # type: ignore[no-untyped-def]
    depth = 5000
    if kind == ".tex" and rng.random() < 0.5:
        expr = "{" * depth + "x" + "}" * depth
    elif rng.random() < 0.5:
        expr = "(" * depth + "x" + ")" * depth
    else:
        expr = "log(" * depth + "x" + ")" * depth
    return _replace_expression(rng, data, kind, expr)


def long_line(rng, data, kind):  # type: ignore[no-untyped-def]
    """A 1 MiB line (the file is then over the readers' 1 MB limit), or, half of the time, a
    line just short of the limit, so that the reader and the checker meet it."""
    size = (1 << 20) if rng.random() < 0.5 else 990_000 - len(data)
    term = rng.choice(["x", "1", "log(x)", "x^2"])
    expr = " + ".join([term] * (size // (len(term) + 3) + 1))[:size].rstrip(" +")
    return _replace_expression(rng, data, kind, expr)


def nul_bytes(rng, data, kind):  # type: ignore[no-untyped-def]
    return _insert(rng, data, b"\x00" * rng.randint(1, 4))


def invalid_utf8(rng, data, kind):  # type: ignore[no-untyped-def]
    return _insert(rng, data, rng.choice([b"\xff", b"\xfe\xff", b"\xc3\x28", b"\xe2\x82",
                                          b"\xf0\x28\x8c\xbc", b"\x80"]))  # fmt: skip


def bom(rng, data, kind):  # type: ignore[no-untyped-def]
    return b"\xef\xbb\xbf" + data


def cr_endings(rng, data, kind):  # type: ignore[no-untyped-def]
    return data.replace(b"\n", b"\r" if rng.random() < 0.5 else b"\r\n")


def lookalike(rng, data, kind):  # type: ignore[no-untyped-def]
    text = data.decode("utf-8", "surrogateescape")
    spots = [i for i, ch in enumerate(text) if ch in LOOKALIKES]
    if not spots:
        return data
    chars = list(text)
    for i in rng.sample(spots, min(len(spots), rng.randint(1, 3))):
        chars[i] = LOOKALIKES[chars[i]]
    return "".join(chars).encode("utf-8", "surrogateescape")


def zero_width(rng, data, kind):  # type: ignore[no-untyped-def]
    return _insert(rng, data, rng.choice(ZERO_WIDTH).encode())


def hostile(rng, data, kind):  # type: ignore[no-untyped-def]
    payload = rng.choice(HOSTILE)
    if rng.random() < 0.5:
        return _replace_expression(rng, data, kind, payload)
    return _insert(rng, data, payload.encode())


MUTATORS = (byte_flip, delete_line, duplicate_line, swap_lines, truncate, insert_token,
            unbalance, tower, deep_nesting, long_line, nul_bytes, invalid_utf8, bom, cr_endings,
            lookalike, zero_width, hostile)  # fmt: skip
#: Mutators that make a file large: applied at most once per input, and never combined.
LARGE = (long_line, deep_nesting)


def seed_files() -> list[Path]:
    """The ``.deriv`` and ``.tex`` files to mutate, sorted (so the run is reproducible)."""
    out: list[Path] = []
    for folder in SOURCES:
        if folder.is_dir():
            out += sorted(p for p in folder.rglob("*") if p.suffix in (".deriv", ".tex"))
    return out


def make_inputs(n: int, seed: int, folder: Path) -> list[tuple[Path, str]]:
    """Write ``n`` mutated files into ``folder``; returns (path, mutators applied) pairs.

    Input ``i`` mutates seed file ``i mod #seeds`` with mutator ``(i // #seeds) mod #mutators``
    first (so every seed meets every mutator), then with up to two more random ones.
    """
    rng = random.Random(seed)
    seeds = seed_files()
    contents = [p.read_bytes() for p in seeds]
    out = []
    for i in range(n):
        k = i % len(seeds)
        data, kind = contents[k], seeds[k].suffix
        first = MUTATORS[(i // len(seeds)) % len(MUTATORS)]
        applied = [first]
        extra = [m for m in MUTATORS if m not in LARGE] if first in LARGE else list(MUTATORS)
        for _ in range(rng.choice((0, 0, 1, 2))):
            m = rng.choice(extra)
            if m in LARGE:
                extra = [x for x in extra if x not in LARGE]
            applied.append(m)
        for m in applied:
            data = m(rng, data, kind)
        path = folder / f"fuzz_{i:05d}_{seeds[k].stem}{kind}"
        path.write_bytes(data)
        out.append((path, "+".join(m.__name__ for m in applied)))
    return out


# --- running them ----------------------------------------------------------------------------

def _child(path: Path, out: Path, err: Path) -> None:  # pragma: no cover - runs after fork
    """In the forked child: run the CLI on ``path`` and leave with its exit code."""
    fd_out = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    fd_err = os.open(err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(fd_out, 1)
    os.dup2(fd_err, 2)
    sys.stdout = open(1, "w", encoding="utf-8", closefd=False)
    sys.stderr = open(2, "w", encoding="utf-8", closefd=False)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_CAP, ADDRESS_CAP))
    code = 1
    try:
        from elbo_derivation.cli import main

        code = main(["check", str(path), "--json"])
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:  # what an uncaught exception does to a real process
        traceback.print_exc()
        code = 1
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


def run_one(path: Path, scratch: Path) -> dict:
    """Fork, run, wait (at most TIMEOUT), and describe what happened."""
    out, err = scratch / "out", scratch / "err"
    t0 = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # pragma: no cover
        _child(path, out, err)
    timed_out = False
    while True:
        done, status, usage = os.wait4(pid, os.WNOHANG)
        if done:
            break
        if time.perf_counter() - t0 > TIMEOUT:
            os.kill(pid, signal.SIGKILL)
            _, status, usage = os.wait4(pid, 0)
            timed_out = True
            break
        time.sleep(0.002)
    seconds = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    stdout = out.read_bytes().decode("utf-8", "replace")
    stderr = err.read_bytes().decode("utf-8", "replace")
    return {
        "file": str(path),
        "exit": code,
        "seconds": seconds,
        "maxrss": usage.ru_maxrss * 1024,  # Linux reports KiB
        "timed_out": timed_out,
        "traceback": "Traceback (most recent call last)" in stderr,
        "json_ok": _valid_json(stdout) if code in (0, 1) else None,
        "located": (path.name in stderr and bool(LOCATED.search(stderr))) if code == 2 else None,
        "whole_file": bool(WHOLE_FILE.search(stderr)) and path.name in stderr,
        "stderr": stderr[-600:],
        "stdout": stdout if len(stdout) < 200_000 else "",
    }


def _valid_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _warm_up(scratch: Path) -> None:
    """Import and exercise the checker once in the driver, so that every child starts warm."""
    import contextlib
    import io

    from elbo_derivation.cli import main

    sample = scratch / "warm.deriv"
    sample.write_text("symbols: a, b : positive\n    log(a*b)\n  = log(a) + log(b)\n",
                      encoding="utf-8")  # fmt: skip
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        main(["check", str(sample), "--json"])
        main(["check", str(ROOT / "tests" / "data" / "notes_s4.tex"), "--json"])


def _driver(args: tuple[list[str], str]) -> list[dict]:
    """One driver (one core): runs its share of the inputs, one forked child each."""
    files, scratch_root = args
    scratch = Path(tempfile.mkdtemp(dir=scratch_root))
    _warm_up(scratch)
    return [run_one(Path(f), scratch) for f in files]


def run_all(paths: list[Path], jobs: int, scratch: Path) -> list[dict]:
    """Split the inputs between ``jobs`` drivers (interleaved, so each gets every kind)."""
    import multiprocessing as mp

    shares = [([str(p) for p in paths[j::jobs]], str(scratch)) for j in range(jobs)]
    with mp.get_context("fork").Pool(jobs) as pool:
        results = pool.map(_driver, shares)
    merged = [r for share in results for r in share]
    order = {str(p): i for i, p in enumerate(paths)}
    return sorted(merged, key=lambda r: order[r["file"]])


def whole_process_sample(paths: list[Path], k: int, seed: int) -> dict:
    """Run ``k`` inputs as real ``elbo-derivation check`` processes; compare with the fork."""
    rng = random.Random(seed + 1)
    chosen = rng.sample(paths, min(k, len(paths)))
    exe = Path(sys.executable).parent / "elbo-derivation"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "elbo_derivation"]
    out = []
    for p in chosen:
        t0 = time.perf_counter()
        try:
            proc = subprocess.run([*cmd, "check", str(p), "--json"], capture_output=True,
                                  timeout=TIMEOUT + 10)  # fmt: skip
            out.append({"file": str(p), "exit": proc.returncode, "stdout": proc.stdout,
                        "traceback": b"Traceback" in proc.stderr,
                        "seconds": time.perf_counter() - t0})  # fmt: skip
        except subprocess.TimeoutExpired:
            out.append({"file": str(p), "exit": "timeout", "stdout": b"", "traceback": False,
                        "seconds": time.perf_counter() - t0})  # fmt: skip
    return {"inputs": chosen, "results": out}


def _strip_timing(text: bytes | str) -> object:
    def strip(doc: object) -> object:
        if isinstance(doc, dict):
            return {k: strip(v) for k, v in doc.items() if k not in ("seconds", "timings")}
        if isinstance(doc, list):
            return [strip(v) for v in doc]
        return doc

    try:
        return strip(json.loads(text))
    except ValueError:
        return text


def summarize(results: list[dict], kinds: dict[str, str], wall: float, jobs: int) -> dict:
    codes = Counter(r["exit"] for r in results)
    slowest = max(results, key=lambda r: r["seconds"])
    biggest = max(results, key=lambda r: r["maxrss"])
    failures = {
        "tracebacks": [r for r in results if r["traceback"]],
        "bad_exit": [r for r in results if r["exit"] not in (0, 1, 2)],
        "bad_json": [r for r in results if r["json_ok"] is False],
        "unlocated": [r for r in results if r["located"] is False and not r["whole_file"]],
        "timeouts": [r for r in results if r["timed_out"]],
        "over_memory": [r for r in results if r["maxrss"] > MEMORY_GOAL],
    }
    by_mutator: Counter[str] = Counter()
    for r in results:
        by_mutator[kinds[r["file"]].split("+")[0]] += 1
    return {
        "inputs": len(results),
        "jobs": jobs,
        "wall_seconds": round(wall, 1),
        "exit_codes": {str(k): v for k, v in sorted(codes.items(), key=lambda kv: str(kv[0]))},
        "failures": {k: len(v) for k, v in failures.items()},
        "exit2_located": sum(1 for r in results if r["located"]),
        "exit2_whole_file_size_refusals": sum(1 for r in results if r["exit"] == 2
                                              and not r["located"] and r["whole_file"]),
        "slowest": {"file": Path(slowest["file"]).name, "seconds": round(slowest["seconds"], 2),
                    "mutators": kinds[slowest["file"]]},
        "largest_memory": {"file": Path(biggest["file"]).name,
                           "MiB": round(biggest["maxrss"] / 2**20, 1),
                           "mutators": kinds[biggest["file"]]},
        "median_seconds": round(sorted(r["seconds"] for r in results)[len(results) // 2], 3),
        "first_mutator_counts": dict(sorted(by_mutator.items())),
        "examples": {k: [{"file": Path(r["file"]).name, "exit": r["exit"],
                          "mutators": kinds[r["file"]], "stderr": r["stderr"][-300:]}
                         for r in v[:3]] for k, v in failures.items() if v},
    }  # fmt: skip


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=5000, help="inputs (default 5000)")
    parser.add_argument("--seed", type=int, default=0, help="mutation seed (default 0)")
    parser.add_argument("--jobs", type=int, default=2, help="drivers, one per core (default 2)")
    parser.add_argument("--sample", type=int, default=40,
                        help="inputs also run as real processes, for comparison (default 40)")
    parser.add_argument("--keep", metavar="DIR", help="keep the inputs and results in DIR")
    parser.add_argument("--json", metavar="FILE", help="write the summary as JSON to FILE")
    args = parser.parse_args(argv if argv is not None else [])
    scratch = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="elbo-fuzz-"))
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        folder = scratch / "inputs"
        folder.mkdir(exist_ok=True)
        inputs = make_inputs(args.n, args.seed, folder)
        kinds = {str(p): k for p, k in inputs}
        paths = [p for p, _ in inputs]
        print(f"{len(paths)} inputs from {len(seed_files())} seed files, seed {args.seed}; "
              f"{args.jobs} drivers, one forked child per input", flush=True)  # fmt: skip
        t0 = time.perf_counter()
        results = run_all(paths, args.jobs, scratch)
        wall = time.perf_counter() - t0
        summary = summarize(results, kinds, wall, args.jobs)
        if args.sample:
            sample = whole_process_sample(paths, args.sample, args.seed)
            forked = {r["file"]: r for r in results}
            same_exit = same_json = 0
            for r in sample["results"]:
                f = forked[r["file"]]
                same_exit += int(r["exit"] == f["exit"])
                same_json += int(r["exit"] == f["exit"] and (f["exit"] == 2 or _strip_timing(
                    r["stdout"]) == _strip_timing(f["stdout"])))
            # a difference in the JSON can only be a verdict that depends on a time limit
            # (a tier that finishes in one run and times out in the other, under load)
            summary["whole_process_sample"] = {
                "inputs": len(sample["results"]),
                "same_exit_code_as_forked": same_exit,
                "same_json_as_forked": same_json,
                "tracebacks": sum(r["traceback"] for r in sample["results"]),
                "median_seconds": round(sorted(r["seconds"] for r in sample["results"])
                                        [len(sample["results"]) // 2], 2),
            }  # fmt: skip
        if args.keep:
            (scratch / "results.json").write_text(json.dumps(results, indent=1))
        _print(summary)
        if args.json:
            Path(args.json).write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
        return summary
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)


def _print(s: dict) -> None:
    print(f"inputs {s['inputs']}, wall {s['wall_seconds']} s on {s['jobs']} drivers, "
          f"median {s['median_seconds']} s per input")
    print(f"exit codes: {s['exit_codes']}")
    print(f"failures against the goals: {s['failures']}")
    print(f"exit-2 messages with FILE:LINE: {s['exit2_located']}; whole-file refusals (over "
          f"the size limit, naming FILE and its size): {s['exit2_whole_file_size_refusals']}")
    print(f"slowest: {s['slowest']}")
    print(f"largest memory (ru_maxrss, shared pages included): {s['largest_memory']}")
    if "whole_process_sample" in s:
        print(f"as real processes: {s['whole_process_sample']}")
    for kind, examples in s["examples"].items():
        for e in examples:
            print(f"  {kind}: {e}")
    print("goals: 0 tracebacks, exits in {0,1,2}, JSON on 0/1, FILE:LINE on 2, <= 20 s, <= 1 GiB")


if __name__ == "__main__":
    main(sys.argv[1:])
