"""How long the symbolic check of the notes' §3 takes, against one ``sympy.integrate``.

Prints three figures:

(a) checking ``kl_gaussians.deriv`` in-process, once the package is imported: parsing plus
    every step, first with cold caches and then again (warm);
(b) one ``sympy.integrate`` of the raw KL integrand p1·log(p1/p2) over ℝ with positive σ's, in
    a fresh subprocess (timeout 120 s) — what the engine's Gaussian-moment tier replaces;
(c) ``elbo-derivation verify`` for everything bundled as a whole process (import, symbolic,
    quadrature and sampling checks, report), median of 5 runs, and how much of it is only
    importing NumPy, SymPy and SciPy; both in wall-clock seconds and in CPU seconds (user +
    system of the process and the worker processes it waits for, from ``wait4``). The goal
    is ``make verify`` within twice the bare import. On an idle machine the wall-clock ratio
    is the one a user sees; on a loaded machine only the CPU figures can be compared, and
    they count the work of both cores (``verify`` forks a worker), so the CPU ratio is the
    stricter of the two.

Run with ``python benchmarks/bench_verify.py`` (or ``make bench``).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass
from pathlib import Path

INTEGRATE = textwrap.dedent(
    """
    import time
    import sympy as sp
    x, mu1, mu2 = sp.symbols("x mu1 mu2", real=True)
    s1, s2 = sp.symbols("sigma1 sigma2", positive=True)
    p1 = sp.exp(-(x - mu1)**2 / (2*s1**2)) / sp.sqrt(2*sp.pi*s1**2)
    p2 = sp.exp(-(x - mu2)**2 / (2*s2**2)) / sp.sqrt(2*sp.pi*s2**2)
    start, cpu = time.perf_counter(), time.process_time()
    sp.integrate(p1 * sp.log(p1 / p2), (x, -sp.oo, sp.oo))
    print(time.perf_counter() - start, time.process_time() - cpu)
    """
)


def time_check_in_process() -> tuple[float, float, float, int, float, float]:
    """(import seconds, cold check seconds, warm check seconds, number of proved steps, cold
    and warm check CPU seconds of this process)."""
    start = time.perf_counter()
    from elbo_derivation.decide.engine import check_derivation
    from elbo_derivation.notes import bundled_paths
    from elbo_derivation.read.deriv import read_derivation

    imported = time.perf_counter() - start
    path = next(p for p in bundled_paths() if p.stem == "kl_gaussians")
    start, cpu = time.perf_counter(), time.process_time()
    d = check_derivation(read_derivation(path))
    cold, cold_cpu = time.perf_counter() - start, time.process_time() - cpu
    start, cpu = time.perf_counter(), time.process_time()
    check_derivation(read_derivation(path))
    warm, warm_cpu = time.perf_counter() - start, time.process_time() - cpu
    proved = sum(1 for s in d.steps if s.verdict is not None and s.verdict.value == "proved")
    return imported, cold, warm, proved, cold_cpu, warm_cpu


def time_sympy_integrate(timeout: float = 120.0) -> tuple[float, float] | None:
    """Wall-clock and CPU seconds for one ``sympy.integrate`` of the raw KL integrand (None
    after ``timeout`` wall-clock seconds)."""
    try:
        out = subprocess.run(
            [sys.executable, "-c", INTEGRATE],
            capture_output=True, text=True, timeout=timeout, check=True,
        )
    except subprocess.TimeoutExpired:
        return None
    wall, cpu = out.stdout.strip().splitlines()[-1].split()
    return float(wall), float(cpu)


WHOLE = [sys.executable, "-m", "elbo_derivation", "verify"]
IMPORTS = [sys.executable, "-c", "import numpy, sympy, scipy.integrate"]
COMPILE = [sys.executable, "-m", "compileall", "-q", str(Path(__file__).resolve().parent.parent
                                                         / "elbo_derivation")]


@dataclass
class ProcessTime:
    """Medians over repeated runs of one command: wall-clock and CPU seconds, last exit code."""

    wall: float
    cpu: float
    code: int


def run_measured(cmd: list[str]) -> tuple[float, float, int]:
    """One run of ``cmd``: (wall-clock seconds, CPU seconds, exit code). The CPU time is user
    + system of the process and of the children it waited for (``wait4``); what else runs on
    the machine hardly changes it."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    return wall, usage.ru_utime + usage.ru_stime, proc.returncode


def time_process(cmd: list[str], repeats: int = 5) -> ProcessTime:
    """Median wall-clock and median CPU seconds of running ``cmd`` ``repeats`` times."""
    runs = [run_measured(cmd) for _ in range(repeats)]
    return ProcessTime(statistics.median(r[0] for r in runs),
                       statistics.median(r[1] for r in runs), runs[-1][2])


def main() -> None:
    imported, cold, warm, proved, cold_cpu, warm_cpu = time_check_in_process()
    print(f"(a) check kl_gaussians.deriv in-process: {cold:.3f} s cold, {warm:.3f} s warm "
          f"(CPU {cold_cpu:.3f} s and {warm_cpu:.3f} s; {proved} steps proved; package import "
          f"{imported:.2f} s, not counted)")
    timed = time_sympy_integrate()
    integrate = None if timed is None else timed[0]
    shown = ("did not finish in 120 s" if timed is None
             else f"{timed[0]:.2f} s (CPU {timed[1]:.2f} s)")
    print(f"(b) one sympy.integrate of the raw KL integrand (positive sigmas): {shown}")
    if timed is not None:
        print(f"    ratio (b)/(a cold): {timed[0] / cold:.0f}x, in CPU seconds "
              f"{timed[1] / cold_cpu:.0f}x")
    # as a wheel install would leave it: the package byte-compiled (an editable install under
    # PYTHONDONTWRITEBYTECODE would otherwise compile the package's source on every run)
    import compileall

    import elbo_derivation

    compileall.compile_dir(Path(elbo_derivation.__file__).parent, quiet=1)
    compiled = time_process(COMPILE, repeats=3)  # make verify's first command, nothing to do
    whole = time_process(WHOLE)
    imports = time_process(IMPORTS)
    print(f"(c) `elbo-derivation verify`, whole process, all bundled derivations: "
          f"{whole.wall:.2f} s (median of 5, exit code {whole.code}); of which importing numpy, "
          f"sympy, scipy.integrate alone: {imports.wall:.2f} s")
    make = whole.cpu + compiled.cpu
    print(f"    CPU seconds (user + system, medians): verify {whole.cpu:.2f} s, make verify's "
          f"compileall {compiled.cpu:.2f} s, the bare import {imports.cpu:.2f} s; "
          f"make verify / bare import: {make / imports.cpu:.2f}x CPU "
          f"(goal 2x), {(whole.wall + compiled.wall) / imports.wall:.2f}x wall-clock")
    if integrate is not None:
        print(f"    one sympy.integrate (b) / whole verify (c): {integrate / whole.wall:.1f}x")


if __name__ == "__main__":
    main()
