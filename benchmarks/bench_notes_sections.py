"""Benchmark of the symbolic check of the §2, §4 and multivariate derivations (tracker issue 4).

Figures: per bundled file written for issue 4, the symbolic check time in CPU seconds (which
do not depend on the load of the shared machine): cold (the first check in this process, as
``verify`` runs it) and warm (median of later repeats, which reuse SymPy's and the rules'
caches), the number of steps and how many are proved; then the time of ``rules.normalize``
on the §2 display and of the SymPy-derived gradients (first call, which lambdifies, and a
cached call on 10⁶ values).

Run: ``.venv/bin/python benchmarks/bench_notes_sections.py`` (or ``make bench``).
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import numpy as np

from elbo_derivation import notes
from elbo_derivation.decide import rules
from elbo_derivation.decide.engine import check_derivation
from elbo_derivation.read.deriv import read_derivation
from elbo_derivation.vae import sympy_gradients as gradients

NOTES = Path(notes.__file__).resolve().parent  # the bundled .deriv files
FILES = (
    "elbo", "evidence", "elbo_gaussian_likelihood", "kl_standard_normal", "loss_log_variance",
    "kl_nonnegative", "kl_multivariate", "kl_multivariate_quadratic_form",
    "kl_multivariate_chain_rule", "kl_multivariate_diagonal", "kl_multivariate_k1",
)  # fmt: skip
REPEATS = 4


def _time_file(name: str) -> tuple[float, float, int, int]:
    cpu = []
    for _ in range(REPEATS):
        d = read_derivation(NOTES / f"{name}.deriv")
        c0 = time.process_time()
        check_derivation(d, time_limit=5.0)
        cpu.append(time.process_time() - c0)
    proved = sum(s.result.verdict.value == "proved" for s in d.steps)
    return cpu[0], statistics.median(cpu[1:]), len(d.steps), proved


def main() -> None:
    print(f"{'file':34s} {'cold s':>7s} {'warm s':>7s} {'steps':>5s} {'proved':>6s}")
    total_cold = total_warm = 0.0
    for name in FILES:
        cold, warm, n, proved = _time_file(name)
        total_cold += cold
        total_warm += warm
        print(f"{name:34s} {cold:7.3f} {warm:7.3f} {n:5d} {proved:6d}")
    print(f"{'total':34s} {total_cold:7.3f} {total_warm:7.3f}")

    d = read_derivation(NOTES / "elbo.deriv")
    exprs = [d.start, *(s.expr for s in d.steps)]
    t0 = time.perf_counter()
    for e in exprs:
        rules.normalize(e)
    print(f"rules.normalize on the 8 expressions of §2's display: "
          f"{1e3 * (time.perf_counter() - t0):.1f} ms")

    rng = np.random.default_rng(0)
    g, lv = rng.normal(size=(2, 1_000_000))
    t0 = time.perf_counter()
    gradients.dkl_dlog_var(0.0, 0.0)
    first = time.perf_counter() - t0
    t0 = time.perf_counter()
    gradients.dkl_dlog_var(g, lv)
    print(f"gradients.dkl_dlog_var: first call {1e3 * first:.1f} ms (lambdify), "
          f"10^6 values {1e3 * (time.perf_counter() - t0):.1f} ms")


if __name__ == "__main__":
    main()
