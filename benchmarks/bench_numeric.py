"""Time the numeric checks: quadrature and sampling per step, and the 1/√n convergence slope.

Usage: ``python benchmarks/bench_numeric.py`` (or ``make bench``). Prints, for every bundled
derivation, for a hand-built abstract §2 chain (the linear-Gaussian instance) and for the
corpus's two-step diffusion ELBO (a model of three variables: the network instance, nested
expectations as one double integral, sampled ancestrally), the time of
the quadrature check per step and of the sampling check per sampled step, both cold (first
call in the process: SymPy preparation and compilation included) and warm (compiled sides
cached), in wall-clock and CPU milliseconds; then the convergence study's fitted slope.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import sympy as sp

from elbo_derivation.core.expectation import Expectation
from elbo_derivation.core.steps import Derivation, Relation, Step
from elbo_derivation.numeric.quadrature import check_quadrature
from elbo_derivation.numeric.sampling import check_sampling, convergence_study


def section2_chain() -> Derivation:
    """The notes' §2 over abstract densities, built by hand (as in tests/test_quadrature.py)."""
    z, x = sp.symbols("z x", real=True)
    q = sp.Function("q(z|x)", positive=True)(z, x)
    prior = sp.Function("p(z)", positive=True)(z)
    lik = sp.Function("p(x|z)", positive=True)(x, z)
    post = sp.Function("p(z|x)", positive=True)(z, x)
    evid = sp.Function("p(x)", positive=True)(x)

    def E(f: sp.Expr) -> Expectation:
        return Expectation(f, z, q)

    exprs = [
        E(sp.log(q) - sp.log(lik * prior / evid)),
        E(sp.log(q) - sp.log(lik) - sp.log(prior) + sp.log(evid)),
        E(sp.log(q / prior)) - E(sp.log(lik)) + E(sp.log(evid)),
        E(sp.log(q / prior)) - E(sp.log(lik)) + sp.log(evid),
    ]
    steps = [Step(i + 1, Relation.EQ, e) for i, e in enumerate(exprs)]
    steps.append(Step(5, Relation.EQ_UP_TO, E(sp.log(q / prior)) - E(sp.log(lik)),
                      wrt=("g", "h")))
    return Derivation(title="§2 by hand", name="section2_by_hand", symbols={"x": x, "z": z},
                      start=E(sp.log(q / post)), steps=steps)


def _timed(func: Callable[[], Any]) -> tuple[Any, float, float]:
    w, c = time.perf_counter(), time.process_time()
    out = func()
    return out, 1e3 * (time.perf_counter() - w), 1e3 * (time.process_time() - c)


def _derivations() -> list[tuple[str, Callable[[], Derivation]]]:
    out: list[tuple[str, Callable[[], Derivation]]] = [("section2_by_hand", section2_chain)]
    chain = Path(__file__).resolve().parents[1] / "tests/corpus/diffusion/luo_two_step_elbo.tex"
    if chain.exists():  # (the network instance)
        from elbo_derivation.verification import read_any

        out.append(("two_step_diffusion_network", lambda: read_any(chain)))
    try:
        from elbo_derivation.notes import bundled_paths
        from elbo_derivation.read.deriv import read_derivation
    except ImportError:  # pragma: no cover - the parser not built yet
        return out
    for path in bundled_paths():
        out.append((path.stem, lambda path=path: read_derivation(path)))
    return out


def main() -> None:
    print("numeric checks: ms per step (quadrature) and per sampled step (sampling)")
    print(f"{'derivation':32s} {'steps':>5s}  {'quad cold':>14s}  {'quad warm':>14s}  "
          f"{'sampling':>14s}  ok")
    print(f"{'':32s} {'':5s}  {'wall / cpu':>14s}  {'wall / cpu':>14s}  {'wall / cpu':>14s}")
    total = {"steps": 0, "quad_wall": 0.0, "quad_cpu": 0.0, "samp_wall": 0.0, "samp_cpu": 0.0}
    for name, make in _derivations():
        d = make()
        n = max(1, len(d.steps))
        cold, qw, qc = _timed(lambda d=d: check_quadrature(d, rng=np.random.default_rng(0)))
        d2 = make()
        _, ww, wc = _timed(lambda d2=d2: check_quadrature(d2, rng=np.random.default_rng(1)))
        samp, sw, sc = _timed(lambda d=d: check_sampling(d, rng=np.random.default_rng(0)))
        ns = max(1, len(samp))
        ok = not any(c.failed for c in (*cold, *samp))  # (a check not made is no failure)
        print(f"{name:32s} {len(d.steps):5d}  {qw / n:6.1f} / {qc / n:5.1f}  "
              f"{ww / n:6.1f} / {wc / n:5.1f}  {sw / ns:6.1f} / {sc / ns:5.1f}  "
              f"{'yes' if ok else 'NO'}")
        total["steps"] += len(d.steps)
        total["quad_wall"] += qw
        total["quad_cpu"] += qc
        total["samp_wall"] += sw
        total["samp_cpu"] += sc
    steps = max(1, total["steps"])
    print(f"all: {total['steps']} steps; quadrature (cold) {total['quad_wall']:.0f} ms wall, "
          f"{total['quad_cpu']:.0f} ms cpu ({total['quad_cpu'] / steps:.1f} ms cpu per step); "
          f"sampling {total['samp_wall']:.0f} ms wall, {total['samp_cpu']:.0f} ms cpu")

    for name, make in _derivations():
        if name in ("kl_gaussians", "section2_by_hand"):
            study, w, _ = _timed(lambda make=make: convergence_study(
                make(), rng=np.random.default_rng(0)))
            errs = ", ".join(f"{e:.3g}" for e in study.errors)
            print(f"convergence study ({name}, step {study.step}, {study.repeats} repeats): "
                  f"n = {[int(v) for v in study.ns]}, RMS error = [{errs}], "
                  f"slope = {study.slope:.3f} (1/√n: −0.5), {w:.0f} ms")


if __name__ == "__main__":
    main()
