"""How long the symbolic check of the notes' §3 takes, against one ``sympy.integrate``.

Prints three figures:

(a) checking ``kl_gaussians.deriv`` in-process, once the package is imported: parsing plus
    every step, first with cold caches and then again (warm);
(b) one ``sympy.integrate`` of the raw KL integrand p1·log(p1/p2) over ℝ with positive σ's, in
    a fresh subprocess (timeout 120 s) — what the engine's Gaussian-moment tier replaces;
(c) ``elbo-derivation verify`` for everything bundled as a whole process (import, symbolic,
    quadrature and sampling checks, report), median of 5 runs, and how much of it is only
    importing NumPy, SymPy and SciPy.

Run with ``python benchmarks/bench_verify.py`` (or ``make bench``).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

INTEGRATE = textwrap.dedent(
    """
    import time
    import sympy as sp
    x, mu1, mu2 = sp.symbols("x mu1 mu2", real=True)
    s1, s2 = sp.symbols("sigma1 sigma2", positive=True)
    p1 = sp.exp(-(x - mu1)**2 / (2*s1**2)) / sp.sqrt(2*sp.pi*s1**2)
    p2 = sp.exp(-(x - mu2)**2 / (2*s2**2)) / sp.sqrt(2*sp.pi*s2**2)
    start = time.perf_counter()
    sp.integrate(p1 * sp.log(p1 / p2), (x, -sp.oo, sp.oo))
    print(time.perf_counter() - start)
    """
)


def time_check_in_process() -> tuple[float, float, float, int]:
    """(import seconds, cold check seconds, warm check seconds, number of proved steps)."""
    start = time.perf_counter()
    from elbo_derivation.decide.engine import check_derivation
    from elbo_derivation.notes import bundled_paths
    from elbo_derivation.read.deriv import read_derivation

    imported = time.perf_counter() - start
    path = next(p for p in bundled_paths() if p.stem == "kl_gaussians")
    start = time.perf_counter()
    d = check_derivation(read_derivation(path))
    cold = time.perf_counter() - start
    start = time.perf_counter()
    check_derivation(read_derivation(path))
    warm = time.perf_counter() - start
    proved = sum(1 for s in d.steps if s.verdict is not None and s.verdict.value == "proved")
    return imported, cold, warm, proved


def time_sympy_integrate(timeout: float = 120.0) -> float | None:
    """Seconds for one ``sympy.integrate`` of the raw KL integrand (None after ``timeout``)."""
    try:
        out = subprocess.run(
            [sys.executable, "-c", INTEGRATE],
            capture_output=True, text=True, timeout=timeout, check=True,
        )
    except subprocess.TimeoutExpired:
        return None
    return float(out.stdout.strip().splitlines()[-1])


WHOLE = [sys.executable, "-m", "elbo_derivation", "verify"]
IMPORTS = [sys.executable, "-c", "import numpy, sympy, scipy.integrate"]


def time_process(cmd: list[str], repeats: int = 5) -> tuple[float, int]:
    """Median wall-clock seconds of running ``cmd``, and its exit code."""
    times, code = [], 0
    for _ in range(repeats):
        start = time.perf_counter()
        code = subprocess.run(cmd, capture_output=True, check=False).returncode
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2], code


def main() -> None:
    imported, cold, warm, proved = time_check_in_process()
    print(f"(a) check kl_gaussians.deriv in-process: {cold:.3f} s cold, {warm:.3f} s warm "
          f"({proved} steps proved; package import {imported:.2f} s, not counted)")
    integrate = time_sympy_integrate()
    shown = "did not finish in 120 s" if integrate is None else f"{integrate:.2f} s"
    print(f"(b) one sympy.integrate of the raw KL integrand (positive sigmas): {shown}")
    if integrate is not None:
        print(f"    ratio (b)/(a cold): {integrate / cold:.0f}x")
    # as a wheel install would leave it: the package byte-compiled (an editable install under
    # PYTHONDONTWRITEBYTECODE would otherwise compile the package's source on every run)
    import compileall

    import elbo_derivation

    compileall.compile_dir(Path(elbo_derivation.__file__).parent, quiet=1)
    whole, code = time_process(WHOLE)
    imports, _ = time_process(IMPORTS)
    print(f"(c) `elbo-derivation verify`, whole process, all bundled derivations: {whole:.2f} s "
          f"(median of 5, exit code {code}); of which importing numpy, sympy, scipy.integrate "
          f"alone: {imports:.2f} s")
    if integrate is not None:
        print(f"    one sympy.integrate (b) / whole verify (c): {integrate / whole:.1f}x")


if __name__ == "__main__":
    main()
