"""Benchmark of ``kl_normal``: speed against the textbook NumPy formula, and accuracy of both.

Issue "#4" (tracker 5) asks that ``kl_normal`` on 10⁶ pairs run within 2x of the naive NumPy
formula of the notes' §3.3, and that the accuracy of both be shown side by side. Timings are
medians of interleaved repeats (the machine is shared); accuracy is the largest relative error
against a 50-digit mpmath evaluation on 2000 pairs drawn from four regions.

Run: ``.venv/bin/python benchmarks/bench_kl.py`` (or ``make bench`` for every benchmark).
"""

from __future__ import annotations

import time

import mpmath
import numpy as np

from elbo_derivation import kl_normal

N_PAIRS = 1_000_000
REPEATS = 15
N_ACCURACY = 500  # per region, 4 regions
SEED = 20260527


def naive_kl(mu1, sigma1, mu2, sigma2):
    """log(σ2/σ1) + (σ1² + (μ1 − μ2)²)/(2σ2²) − ½, as written in the notes (§3.3)."""
    return np.log(sigma2 / sigma1) + (sigma1**2 + (mu1 - mu2) ** 2) / (2 * sigma2**2) - 0.5


def random_pairs(rng: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
    """Means uniform in [−10, 10], standard deviations log-uniform in [1e-3, 1e3]."""
    mu1, mu2 = rng.uniform(-10, 10, n), rng.uniform(-10, 10, n)
    sigma1, sigma2 = 10.0 ** rng.uniform(-3, 3, n), 10.0 ** rng.uniform(-3, 3, n)
    return mu1, sigma1, mu2, sigma2


def accuracy_regions(rng: np.random.Generator, n: int) -> dict[str, tuple[np.ndarray, ...]]:
    """Four groups of n pairs: typical, nearly coinciding, close, extreme ratios."""
    regions = {"typical": random_pairs(rng, n)}
    sigma2 = 10.0 ** rng.uniform(-3, 3, n)
    mu2 = rng.uniform(-10, 10, n)
    # σ1/σ2 within 1e-15 of 1, μ1 − μ2 about 1e-12 σ
    regions["nearly coinciding"] = (
        mu2 + rng.uniform(-1, 1, n) * 1e-12 * sigma2,
        sigma2 * (1.0 + rng.uniform(-1e-15, 1e-15, n)),
        mu2,
        sigma2,
    )
    # σ1/σ2 = 1 ± 1e-12…1e-2, (μ1 − μ2)/σ2 from 1e-10 to 0.1
    regions["close"] = (
        mu2 + rng.choice([-1, 1], n) * 10.0 ** rng.uniform(-10, -1, n) * sigma2,
        sigma2 * (1.0 + rng.choice([-1, 1], n) * 10.0 ** rng.uniform(-12, -2, n)),
        mu2,
        sigma2,
    )
    # σ1/σ2 from 1e-8 to 1e-6 or 1e6 to 1e8
    ratio = 10.0 ** (rng.choice([-1, 1], n) * rng.uniform(6, 8, n))
    regions["extreme ratio"] = (rng.uniform(-10, 10, n), ratio * sigma2, mu2, sigma2)
    return regions


def max_relative_error(values: np.ndarray, args: tuple[np.ndarray, ...]) -> float:
    """Largest |value − ref| / ref against the §3.3 formula at 50 significant digits."""
    worst = 0.0
    with mpmath.workdps(50):
        for v, m1, s1, m2, s2 in zip(values, *args, strict=True):
            m1, s1, m2, s2 = (mpmath.mpf(float(a)) for a in (m1, s1, m2, s2))
            ref = mpmath.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - mpmath.mpf(1) / 2
            if not np.isfinite(v):
                return float("inf")
            err = float(abs(mpmath.mpf(float(v)) - ref) / ref) if ref != 0 else float(v != 0)
            worst = max(worst, err)
    return worst


def time_interleaved(functions: dict, args: tuple, repeats: int) -> dict[str, float]:
    """Median wall time (s) of each function, the calls alternating to share the machine's noise."""
    times: dict[str, list[float]] = {name: [] for name in functions}
    for f in functions.values():  # warm-up
        f(*args)
    for _ in range(repeats):
        for name, f in functions.items():
            start = time.perf_counter()
            f(*args)
            times[name].append(time.perf_counter() - start)
    return {name: float(np.median(ts)) for name, ts in times.items()}


def main() -> dict[str, float]:
    rng = np.random.default_rng(SEED)
    args = random_pairs(rng, N_PAIRS)
    medians = time_interleaved({"naive": naive_kl, "kl_normal": kl_normal}, args, REPEATS)
    ratio = medians["kl_normal"] / medians["naive"]

    regions = accuracy_regions(rng, N_ACCURACY)
    rows = []
    with np.errstate(all="ignore"):
        for name, region in regions.items():
            ours = max_relative_error(kl_normal(*region), region)
            naive = max_relative_error(naive_kl(*region), region)
            rows.append((name, ours, naive))
    all_args = tuple(np.concatenate(cols) for cols in zip(*regions.values(), strict=True))

    print(f"kl_normal on {N_PAIRS:,} random pairs (μ ∈ [−10, 10], σ log-uniform in [1e-3, 1e3]),")
    print(f"median of {REPEATS} interleaved repeats:")
    print(f"  {'':24s}{'time (ms)':>12s}{'ns/pair':>10s}")
    for name in ("naive", "kl_normal"):
        t = medians[name]
        print(f"  {name:24s}{t * 1e3:12.2f}{t * 1e9 / N_PAIRS:10.1f}")
    verdict = "within" if ratio <= 2.0 else "NOT within"
    print(f"  kl_normal / naive = {ratio:.2f}x ({verdict} the 2x budget)")
    print()
    print(f"max relative error vs mpmath (50 digits), {N_ACCURACY} pairs per region:")
    print(f"  {'region':24s}{'kl_normal':>12s}{'naive':>12s}")
    for name, ours, naive in rows:
        print(f"  {name:24s}{ours:12.2e}{naive:12.2e}")
    worst_ours = max(r[1] for r in rows)
    worst_naive = max(r[2] for r in rows)
    print(f"  {'all ' + str(len(all_args[0])):24s}{worst_ours:12.2e}{worst_naive:12.2e}")
    print(f"  (the issue's bound is 1e-13: kl_normal {'meets' if worst_ours <= 1e-13 else 'MISSES'}"
          " it)")
    return {
        "naive_seconds": medians["naive"],
        "kl_normal_seconds": medians["kl_normal"],
        "time_ratio": ratio,
        "max_rel_error_kl_normal": worst_ours,
        "max_rel_error_naive": worst_naive,
    }


if __name__ == "__main__":
    main()
