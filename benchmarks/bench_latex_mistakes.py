"""Benchmark of the LaTeX reader and of the named-mistake diagnosis (tracker issue 8).

Figures: the time to read one LaTeX expression (the notes' own lines, §3 and §4), the time to
read each bundled-style ``.tex`` test derivation, and the time ``diagnose`` takes on refuted
steps (target: under 50 ms typical). Medians of repeats; the machine is shared.

Run: ``.venv/bin/python benchmarks/bench_latex_mistakes.py`` (or ``make bench``).
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import sympy as sp

from elbo_derivation.explain.mistakes import diagnose
from elbo_derivation.read.tex import latex_to_sympy, read_tex_derivation

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
REPEATS = 5

NOTES_LINES = [
    r"-\frac{1}{2}(\log 2\pi\sigma_1^2 + 1) + \frac{1}{2}\log 2\pi\sigma_2^2 "
    r"+ \frac{1}{2\sigma_2^2}(\sigma_1^2 + (\mu_1 - \mu_2)^2)",
    r"\log \frac{\sigma_2}{\sigma_1} + \frac{1}{2\sigma_2^2}(\sigma_1^2 + (\mu_1 - \mu_2)^2) "
    r"- \frac{1}{2}",
    r"\log \frac{1}{\sqrt{h}} + \frac{1}{2} (h + g^{2}) - \frac{1}{2}",
    r"C(x-\hat{x})^2 + \frac{1}{2} (h + g^2 - \log h - 1)",
    r"-\log Z_1 - \frac{1}{2\sigma_1^2} \int p_1(x) (x^2 - 2x\mu_1 + \mu_1^2) dx",
]


def _median_ms(fn, repeats: int = REPEATS) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


def main() -> None:
    x, mu1, mu2, g, x_hat = sp.symbols("x mu_1 mu_2 g x_hat", real=True)
    s1, s2, h, C, Z1, p1 = sp.symbols("sigma_1 sigma_2 h C Z_1 p_1", positive=True)
    symbols = {str(s): s for s in (x, mu1, mu2, g, x_hat, s1, s2, h, C, Z1, p1)}
    functions = {"p_1(x)": p1}
    latex_to_sympy("h", symbols=symbols)  # build the parser once
    print("LaTeX expressions (the notes' own lines)")
    for line in NOTES_LINES:
        ms = _median_ms(lambda line=line: latex_to_sympy(line, symbols=symbols,
                                                          functions=functions))
        print(f"  {ms:7.2f} ms  {line[:60]}")
    print("whole .tex derivations (tests/data)")
    for path in sorted(DATA.glob("*.tex")):
        ms = _median_ms(lambda path=path: read_tex_derivation(path))
        print(f"  {ms:7.2f} ms  {path.name}")

    half = sp.Rational(1, 2)
    kl4 = (h + g**2 - sp.log(h) - 1) / 2
    kl3 = sp.log(s2 / s1) + (s1**2 + (mu1 - mu2) ** 2) / (2 * s2**2) - half
    z1 = sp.sqrt(2 * sp.pi * s1**2)
    dens = sp.exp(-((x - mu1) ** 2) / (2 * s1**2)) / z1
    integral = sp.Integral(dens * (x**2 - 2 * x * mu1 + mu1**2), (x, -sp.oo, sp.oo))
    cases = {
        "dropped ½ (§4)": (kl4, 2 * kl4),
        "σ for σ² (§3.3)": (kl3, kl3.xreplace({s1**2: s1})),
        "KL swapped (§3.3)": (kl3, kl3.xreplace({s1: s2, s2: s1, mu1: mu2, mu2: mu1})),
        "missing −1 (§4)": (kl4, kl4 + half),
        # σ₁² − μ₁² is also what dropping the integrand's μ₁² gives: not recognised
        "E[x²] = σ² (§3.1, ambiguous)": (-sp.log(z1) - integral / (2 * s1**2),
                                        -sp.log(z1) - (s1**2 - mu1**2) / (2 * s1**2)),
        "E[x²] = σ² (§3.2, cross moment)": (
            sp.Integral(dens * (x**2 - 2 * x * mu2 + mu2**2), (x, -sp.oo, sp.oo)),
            s1**2 - 2 * mu1 * mu2 + mu2**2),
        "cross term (§3.1, integral)": (
            -sp.log(z1) - integral / (2 * s1**2),
            -sp.log(z1) - integral.xreplace({-2 * x * mu1: 2 * x * mu1}) / (2 * s1**2)),
        "unrelated (no name)": (kl4, kl4 + g * h),
    }
    print("diagnose() on refuted steps")
    all_ms = []
    for label, (right, wrong) in cases.items():
        found = diagnose(right, wrong, None, None)
        ms = _median_ms(lambda right=right, wrong=wrong: diagnose(right, wrong, None, None))
        all_ms.append(ms)
        print(f"  {ms:7.2f} ms  {label:30s} -> {found.name if found else None}")
    print(f"  median {statistics.median(all_ms):.2f} ms, max {max(all_ms):.2f} ms")


if __name__ == "__main__":
    main()
