"""Monte Carlo checks: each expectation or integral of a step estimated by sampling.

Quadrature (:mod:`elbo_derivation.numeric.quadrature`) evaluates integrals deterministically;
this module checks the same steps a second, independent way. For a step with an integral or
expectation on one side, that side is estimated by Monte Carlo and compared with the other
side (evaluated by quadrature or in closed form):

- every integral ∫ f(x) dx over ℝ with a Gaussian factor exp(Q(x)) is an expectation under
  that Gaussian, N(μ, σ²): ∫ f dx = K σ e^{Q(μ)} √(2π) · E_{u ~ N(0, 1)}[R(μ + σu)] (see
  :mod:`elbo_derivation.numeric.evaluate`), and an ``E[f, z ~ q]`` is exactly such an
  integral, so the estimate samples z = μ + σu from q itself;
- the side (an affine combination of its integrals, as every step of the notes is) is
  estimated by the mean of ``n_samples`` draws, its standard error by the sample standard
  deviation over √n;
- the check passes when the z-score |estimate − reference| / standard error is below 5
  (:data:`Z_THRESHOLD`); fixed seeds make it deterministic.

Each check's ``details``: ``estimate``, ``standard_error``, ``z_score``, ``n_samples``,
``reference`` (the other side), ``side`` ("lhs" or "rhs", the one sampled), ``point``.

:func:`convergence_study` shows the error of such an estimate falling as 1/√n.

Examples
--------
>>> import numpy as np, sympy as sp
>>> from elbo_derivation.core.steps import Derivation, Relation, Step
>>> x, mu = sp.Symbol("x", real=True), sp.Symbol("mu", real=True)
>>> sigma = sp.Symbol("sigma", positive=True)
>>> p = sp.exp(-(x - mu)**2 / (2*sigma**2)) / sp.sqrt(2*sp.pi*sigma**2)
>>> d = Derivation(title="second moment", symbols={"x": x, "mu": mu, "sigma": sigma},
...                start=sp.Integral(p * x**2, (x, -sp.oo, sp.oo)),
...                steps=[Step(1, Relation.EQ, sigma**2 + mu**2, "E[x²] = σ² + μ²")])
>>> [check] = check_sampling(d, rng=np.random.default_rng(0))
>>> check.ok, abs(check.details["z_score"]) < 5
(True, True)
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp

from elbo_derivation.core.expectation import Expectation
from elbo_derivation.core.plain import plain
from elbo_derivation.core.steps import Derivation, NumericCheck, Relation, Step
from elbo_derivation.numeric import linear_gaussian
from elbo_derivation.numeric.evaluate import (
    EvaluationError,
    PreparedSide,
    SideValues,
    compile_side,
    evaluate,
    remainder_function,
    setup_batch,
)
from elbo_derivation.numeric.network_instance import NotSamplable, ancestral_draws
from elbo_derivation.numeric.points import (
    Domains,
    Point,
    declared_domains,
    declared_simplexes,
    inside,
    is_positive_symbol,
    on_simplexes,
    sorted_symbols,
)
from elbo_derivation.numeric.quadrature import prepare_steps

__all__ = [
    "N_SAMPLES",
    "Z_THRESHOLD",
    "ConvergenceStudy",
    "check_sampling",
    "convergence_study",
    "sample_side",
    "sampling_point",
]

#: Draws per check.
N_SAMPLES = 20_000
#: A check passes when |z| is below this.
Z_THRESHOLD = 5.0
#: Relative size of rounding errors below which a standard error is not resolved.
ROUNDING = 1e-12
#: Ranges of the sampling point: moderate, so that the estimate resolves the value.
REAL_RANGE = (-2.0, 2.0)
POSITIVE_RANGE = (0.5, 2.0)


def sampling_point(symbols: set[sp.Symbol], *, rng: np.random.Generator,
                   domains: Domains | None = None) -> Point:
    """One moderate point: reals uniform on [−2, 2], positives log-uniform on [0.5, 2], a
    symbol declared in an interval (``domains``, by name) inside it.

    Examples
    --------
    >>> import numpy as np, sympy as sp
    >>> s = sp.Symbol("s", positive=True)
    >>> 0.5 <= sampling_point({s}, rng=np.random.default_rng(0))[s] <= 2
    True
    """
    out: Point = {}
    for s in sorted_symbols(symbols):
        interval = (domains or {}).get(s.name)
        if interval is not None:
            out[s] = inside(interval, rng, POSITIVE_RANGE)
        elif is_positive_symbol(s):
            out[s] = float(np.exp(rng.uniform(np.log(POSITIVE_RANGE[0]),
                                              np.log(POSITIVE_RANGE[1]))))
        else:
            out[s] = float(rng.uniform(*REAL_RANGE))
    return out


def _ancestral(side: PreparedSide) -> bool:
    """Whether ``side`` is on a network instance and holds an expectation to sample: it is
    then sampled ancestrally (:func:`~elbo_derivation.numeric.network_instance.ancestral_draws`),
    one variable at a time from the network's own densities."""
    return side.sampled is not None and side.sampled.has(Expectation)


def _samplable(expr: sp.Expr) -> bool:
    try:
        side = compile_side(expr)
    except EvaluationError:
        return False
    return bool(side.integrals) and side.affine and all(i.kind == "gauss"
                                                        for i in side.integrals)


def sample_side(expr: sp.Expr, point: Point, *, rng: np.random.Generator,
                n_samples: int = N_SAMPLES) -> tuple[float, float]:
    """Monte Carlo estimate of a prepared side at ``point``, and its standard error.

    The side must be affine in its integrals, each a one-dimensional Gaussian-weighted
    integral over ℝ; each draw u ~ N(0, 1) gives every integral the unbiased value
    K σ e^{Q(μ)} √(2π) R(μ + σu), i.e. the integrand over the density of x = μ + σu.

    Returns
    -------
    estimate, standard_error : float

    Raises
    ------
    EvaluationError
        when the side has no integral that can be sampled, or is not finite at ``point``.
    ValueError
        if ``n_samples`` is smaller than 2.
    """
    if int(n_samples) < 2:
        raise ValueError(f"n_samples must be at least 2, got {n_samples!r}")
    if not _samplable(expr):
        raise EvaluationError(f"nothing to sample in {expr}")
    side = compile_side(expr)
    dims = max(i.dims for i in side.integrals)
    u = rng.standard_normal((dims, int(n_samples)))
    draws = []
    for integral in side.integrals:
        b = setup_batch(integral, [point], False)
        if not b.ok[0]:
            raise EvaluationError(f"{integral.node} is not finite at the sampling point")
        if integral.dims > 1:
            assert b.multi is not None
            r = np.zeros(u.shape[1])
            for key, c in b.multi.items():
                r = r + float(np.asarray(c).reshape(-1)[0]) * np.prod(
                    [u[i] ** k for i, k in enumerate(key)], axis=0)
        else:
            powers = u[0][None, :] ** np.arange(b.coeffs.shape[1])[:, None]
            r = b.coeffs[0] @ powers
            if integral.rem_func is not None:
                r = r + remainder_function(b)(u[0][None, :])[0]
        draws.append(float(b.pref[0]) * (2 * math.pi) ** (integral.dims / 2) * r)
    # side = alpha0 + Σ alpha_k I_k: read the coefficients off the compiled terms
    args = [point[s] for s in side.params]
    k = len(side.dummies)
    base = float(np.sum(side.np_terms(*args, *([0.0] * k))))
    alphas = [float(np.sum(side.np_terms(*args, *[1.0 if i == j else 0.0 for i in range(k)])))
              - base for j in range(k)]
    y = base + sum(a * dr for a, dr in zip(alphas, draws, strict=True))
    if not np.all(np.isfinite(y)):
        raise EvaluationError(f"the draws of {plain(expr)} are not finite at the sampling point")
    return float(np.mean(y)), float(np.std(y, ddof=1) / math.sqrt(len(y)))


def check_sampling(
    d: Derivation, *, rng: np.random.Generator, n_samples: int = N_SAMPLES
) -> list[NumericCheck]:
    """Check the steps of ``d`` that hold an expectation or integral, by sampling.

    Sets ``step.sampling`` on every step where one side can be sampled (the left side when
    both can), leaving it None elsewhere, and returns the checks made. A derivation in
    which no step can be sampled gets one failed check on its first step saying so, so that
    every derivation carries at least one sampling check.

    Parameters
    ----------
    d : Derivation
    rng : numpy.random.Generator
        draws the sampling point and the samples.
    n_samples : int
        draws per check.

    Returns
    -------
    list of NumericCheck
        ``kind="sampling"``; see the module docstring for ``details``.
    """
    start = time.perf_counter()
    params = linear_gaussian.instance_symbols(d.symbols)
    prepared = prepare_steps(d, params)
    symbols: set[sp.Symbol] = set()
    for item in prepared.values():
        if not isinstance(item, str):
            symbols |= item[0].free_symbols | item[1].free_symbols
    point = on_simplexes([sampling_point(symbols, rng=rng, domains=declared_domains(d))],
                         declared_simplexes(d))[0]
    # which side of each step is sampled; the other sides are evaluated together (one quad)
    plan: dict[int, tuple[PreparedSide, PreparedSide, str]] = {}
    for step in d.steps:
        item = prepared[step.index]
        if isinstance(item, str) or step.relation is Relation.EQ_UP_TO:
            continue
        lhs, rhs = item
        if _ancestral(lhs) or _samplable(lhs.expr):
            plan[step.index] = (lhs, rhs, "lhs")
        elif _ancestral(rhs) or _samplable(rhs.expr):
            plan[step.index] = (rhs, lhs, "rhs")
    refs = list(dict.fromkeys(r.expr for _, r, _ in plan.values()))  # in step order
    try:
        ref_values = dict(zip(refs, evaluate(refs, [point]), strict=True))
    except EvaluationError:
        ref_values = {}
    checks: list[NumericCheck] = []
    for step in d.steps:
        if step.index not in plan:
            continue
        sampled, reference, which = plan[step.index]
        check = _check_step(step, sampled, reference, which, ref_values.get(reference.expr),
                            point, rng, n_samples)
        step.sampling = check
        checks.append(check)
    reasons = [v for v in prepared.values() if isinstance(v, str)]
    if not checks and reasons:
        # something could not be evaluated at all: a check not made, said in words
        check = NumericCheck(
            kind="sampling", ok=False, details={"n_samples": 0}, reason=reasons[0], made=False)
        d.steps[0].sampling = check
        checks.append(check)
    # A purely algebraic derivation (no expectation or integral anywhere) has nothing to
    # sample: it gets no sampling check, which is not a failure. Every bundled derivation
    # has at least one sampled step (tests/test_verify_bundled.py holds it to that).
    share = (time.perf_counter() - start) / max(1, len(checks))
    for check in checks:
        check.details["seconds"] = round(share, 6)
    return checks


def _check_step(step: Step, sampled: PreparedSide, reference: PreparedSide, which: str,
                ref_values: SideValues | None, point: Point, rng: np.random.Generator,
                n_samples: int) -> NumericCheck:
    details: dict[str, Any] = {"side": which, "n_samples": int(n_samples),
                               "point": {s.name: v for s, v in point.items()
                                         if s in sampled.free_symbols
                                         | reference.free_symbols}}
    try:
        if _ancestral(sampled):
            assert sampled.sampled is not None
            y = ancestral_draws(sampled.sampled, point, rng=rng, n=int(n_samples))
            if not np.all(np.isfinite(y)):
                raise EvaluationError("the draws are not finite at the sampling point")
            estimate, se = float(np.mean(y)), float(np.std(y, ddof=1) / math.sqrt(len(y)))
            details["ancestral"] = True
        else:
            estimate, se = sample_side(sampled.expr, point, rng=rng, n_samples=n_samples)
        if ref_values is None or not ref_values.finite(0):
            ref_values = evaluate([reference.expr], [point], precise=True)[0]
    except (EvaluationError, NotSamplable) as err:
        return NumericCheck(kind="sampling", ok=False, details=details, reason=str(err),
                            made=False)
    if not ref_values.finite(0):
        return NumericCheck(kind="sampling", ok=False, details=details, made=False,
                            reason="the reference side is not finite at the sampling point")
    ref = float(ref_values.values[0])
    # Draws that are constant up to rounding (the integrand is constant in z, as in
    # E_q[log p(x)]) have a standard error at the level of rounding: floor it there.
    scale = max(abs(estimate), abs(ref), float(ref_values.magnitudes[0]))
    if se < ROUNDING * max(scale, 1.0):
        # constant draws: their rounding is that of the terms they are made of (log-density
        # terms of size 1 that cancel to 1e-16 where the side is 0), so never below that of
        # unit-size terms (as the quadrature compares absolutely where all sizes are 0)
        scale = max(scale, 1.0)
    floor = ROUNDING * scale
    se_eff = max(se, floor)
    if se_eff > 0:
        z = (estimate - ref) / se_eff
    else:
        z = 0.0 if estimate == ref else math.inf
    details.update({"estimate": estimate, "standard_error": se, "z_score": z,
                    "reference": ref, "threshold": Z_THRESHOLD})
    if se < floor:
        details["standard_error_floor"] = floor
    if step.relation in (Relation.LE, Relation.GE):
        # one-sided: z is the margin by which the bound holds, in standard errors
        sign = 1 if (step.relation is Relation.GE) == (which == "lhs") else -1
        z = sign * z
        details["z_score"] = z
        details["one_sided"] = True
        ok = bool(z > -Z_THRESHOLD)
        reason = "" if ok else "the estimate crosses the bound by more than 5 standard errors"
        return NumericCheck(kind="sampling", ok=ok, details=details, reason=reason)
    ok = bool(math.isfinite(z) and abs(z) < Z_THRESHOLD)
    reason = "" if ok else (f"the estimate {estimate:.6g} ± {se:.2g} is {abs(z):.3g} standard "
                            f"errors from the other side's {ref:.6g}")
    return NumericCheck(kind="sampling", ok=ok, details=details, reason=reason)


@dataclass
class ConvergenceStudy:
    """The error of a Monte Carlo estimate against the number of draws.

    ``errors[i]`` is the root-mean-square error over ``repeats`` estimates with ``ns[i]``
    draws each; ``slope`` the least-squares slope of log error against log n (−½ for the
    1/√n law).
    """

    ns: np.ndarray
    errors: np.ndarray
    slope: float
    reference: float
    step: int
    repeats: int


def convergence_study(
    d: Derivation,
    *,
    rng: np.random.Generator,
    step: int | None = None,
    ns: tuple[int, ...] = (100, 300, 1_000, 3_000, 10_000, 30_000),
    repeats: int = 100,
) -> ConvergenceStudy:
    """How the sampling error of a step's side falls with the number of draws.

    Parameters
    ----------
    d : Derivation
    rng : numpy.random.Generator
        draws the point and the samples.
    step : int, optional
        the step (index from 1) whose sampled side is studied; default: the first step with
        a side that can be sampled and a standard error above 0.
    ns : tuple of int
        the sample sizes.
    repeats : int
        estimates per sample size.

    Returns
    -------
    ConvergenceStudy

    Raises
    ------
    ValueError
        when no step (or not the requested one) can be sampled, or for fewer than two
        sample sizes.

    Examples
    --------
    >>> import numpy as np, sympy as sp
    >>> from elbo_derivation.core.steps import Derivation, Relation, Step
    >>> x, s = sp.Symbol("x", real=True), sp.Symbol("s", positive=True)
    >>> p = sp.exp(-x**2 / (2*s**2)) / sp.sqrt(2*sp.pi*s**2)
    >>> d = Derivation(title="variance", symbols={"x": x, "s": s},
    ...                start=sp.Integral(p * x**2, (x, -sp.oo, sp.oo)),
    ...                steps=[Step(1, Relation.EQ, s**2)])
    >>> study = convergence_study(d, rng=np.random.default_rng(0), repeats=50)
    >>> bool(-0.6 <= study.slope <= -0.4)
    True
    """
    if len(ns) < 2:
        raise ValueError(f"ns must hold at least two sample sizes, got {ns!r}")
    prepared = prepare_steps(d)
    symbols: set[sp.Symbol] = set()
    for item in prepared.values():
        if not isinstance(item, str):
            symbols |= item[0].free_symbols | item[1].free_symbols
    point = sampling_point(symbols, rng=rng, domains=declared_domains(d))
    candidates = [step] if step is not None else [s.index for s in d.steps]
    for index in candidates:
        item = prepared.get(index)
        if item is None or isinstance(item, str):
            continue
        for sampled, other in (item, item[::-1]):
            if not _samplable(sampled.expr):
                continue
            ref = evaluate([other.expr], [point], precise=True)[0]
            if not ref.finite(0):
                continue
            _, se = sample_side(sampled.expr, point, rng=rng, n_samples=1000)
            if se <= 0:
                continue
            reference = float(ref.values[0])
            errors = []
            for n in ns:
                est = [sample_side(sampled.expr, point, rng=rng, n_samples=n)[0]
                       for _ in range(repeats)]
                errors.append(math.sqrt(float(np.mean((np.array(est) - reference) ** 2))))
            ns_arr, err_arr = np.array(ns, dtype=float), np.array(errors)
            slope = float(np.polyfit(np.log(ns_arr), np.log(err_arr), 1)[0])
            return ConvergenceStudy(ns_arr, err_arr, slope, reference, index, repeats)
    raise ValueError("step must name a step with a side that can be sampled"
                     if step is not None else "no step of the derivation can be sampled")
