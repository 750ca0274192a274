"""Mistakes named by role, moment and index (issue 17): each mechanism on a step in other
symbols than the corpus's, in both formats, and a near miss that must stay unnamed (or keep
its own name)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sympy as sp

from elbo_derivation.explain.mistakes import diagnose
from elbo_derivation.verification import read_any

a, b = sp.symbols("a b", positive=True)
u, w = sp.symbols("u w", positive=True)
c1, c2, x, y = sp.symbols("c1 c2 x y", real=True)
K, N = sp.symbols("K N", positive=True, integer=True)
i, j = sp.symbols("i j", integer=True)
g = sp.Function("g", real=True)


def name(right: sp.Expr, written: sp.Expr) -> str | None:
    m = diagnose(right, written, None, None)
    return None if m is None else m.name


# --- log σ² for log σ, in every coordinate (roles from the entropy ½ log(2πeσ²)) ----------

ENTROPY = sp.log(2 * sp.pi * sp.E * a**2) / 2 + sp.log(2 * sp.pi * sp.E * b**2) / 2


def test_log_variance_for_log_std_in_every_coordinate() -> None:
    written = 2 * sp.log(a) + 2 * sp.log(b) + 1 + sp.log(2 * sp.pi)
    m = diagnose(ENTROPY, written, None, None)
    assert m is not None and m.name == "log-variance-for-log-std"
    assert "standard deviation" in m.explanation and "a" in m.explanation


def test_a_half_dropped_in_front_of_the_logs_is_not_a_role() -> None:
    # ½ lost in front of both logs: the logs of a² stand unchanged, only the coefficient moved
    written = sp.log(2 * sp.pi * sp.E * a**2) + sp.log(2 * sp.pi * sp.E * b**2)
    assert name(ENTROPY, written) != "log-variance-for-log-std"
    # the ½ dropped in front of a difference of such logs (the 2πe cancels) neither
    right = (sp.log(2 * sp.pi * b**2) - sp.log(2 * sp.pi * a**2)) / 2 + c1
    written = sp.log(2 * sp.pi * b**2) - sp.log(2 * sp.pi * a**2) + c1
    assert name(right, written) != "log-variance-for-log-std"


def test_log_variance_for_log_std_needs_log_sigma_squared_on_the_page() -> None:
    # ½ log σ written log σ: the value of log σ² for log σ, but the page shows log σ
    right = sp.log(a) / 2 + sp.log(2 * sp.pi * a**2) / 2
    assert name(right, sp.log(a) + sp.log(2 * sp.pi * a**2) / 2) != "log-variance-for-log-std"


# --- precisions written for variances ------------------------------------------------------

KL_PRECISION = u * ((c1 - c2) ** 2 + 1 / w) / 2 + sp.log(w / u) / 2 - sp.Rational(1, 2)


def test_precisions_for_variances_in_a_ratio() -> None:
    written = (sp.log(w / u) + w / u + u * (c1 - c2) ** 2 - 1) / 2
    m = diagnose(KL_PRECISION, written, None, None)
    assert m is not None and m.name == "precision-for-variance"
    assert "precision" in m.explanation


def test_the_ratio_inside_the_log_flipped_is_not_a_precision() -> None:
    written = (sp.log(u / w) + u / w + u * (c1 - c2) ** 2 - 1) / 2
    assert name(KL_PRECISION, written) != "precision-for-variance"


# --- the index of a sum confused with the coordinate's ---------------------------------------


def test_index_confused_with_a_function_and_with_an_indexed_vector() -> None:
    right = sp.Derivative(sp.Sum(g(i) ** 2 / 2 + sp.log(a), (i, 1, K)), g(j))
    m = diagnose(right, sp.Sum(g(i), (i, 1, K)), None, None)
    assert m is not None and m.name == "index-confused"
    assert "only the term" in m.explanation.lower()
    v = sp.IndexedBase("v", real=True)
    right = sp.Derivative(sp.Sum(v[i] ** 2 / 2, (i, 1, K)), v[j])
    assert name(right, sp.Sum(v[i], (i, 1, K))) == "index-confused"


def test_a_sum_of_other_derivatives_is_not_an_index_confused() -> None:
    right = sp.Derivative(sp.Sum(g(i) ** 2 / 2, (i, 1, K)), g(j))
    assert name(right, sp.Sum(g(i) ** 2, (i, 1, K))) is None


# --- a second moment under a Gaussian expectation ------------------------------------------

DENSITY = sp.exp(-(y - c1) ** 2 / (2 * a**2)) / sp.sqrt(2 * sp.pi * a**2)
E_SQUARE = sp.Integral(DENSITY * ((x - y) ** 2 / 2 + b), (y, -sp.oo, sp.oo))


def test_second_moment_lost_parts_under_a_gaussian_integral() -> None:
    m = diagnose(E_SQUARE, (x - c1) ** 2 / 2 + b, None, None)
    assert m is not None and m.name == "second-moment-missing-variance"
    assert "variance" in m.explanation
    assert name(E_SQUARE, a**2 / 2 + b) == "second-moment-missing-mean"


def test_a_second_moment_with_the_variance_tripled_is_not_named() -> None:
    assert name(E_SQUARE, ((x - c1) ** 2 + 3 * a**2) / 2 + b) is None


# --- a bound of a sum moved by one -----------------------------------------------------------


h = sp.Function("h", real=True)
EXPANDED = (sp.Sum(g(i) ** 2, (i, 1, N)) - 2 * sp.Sum(g(i) * h(i), (i, 1, N))
            + sp.Sum(h(i) ** 2, (i, 1, N)))


def test_a_sum_bound_moved_with_a_term_split_off() -> None:
    # the last term split off, and the sum still taken to N (N − 1 meant)
    written = (g(N) - h(N)) ** 2 + sp.Sum((g(i) - h(i)) ** 2, (i, 1, N))
    m = diagnose(EXPANDED, written, None, None)
    assert m is not None and m.name == "index-shift"
    assert "N − 1" in m.explanation


def test_a_split_off_term_doubled_is_not_an_index_shift() -> None:
    written = 2 * (g(N) - h(N)) ** 2 + sp.Sum((g(i) - h(i)) ** 2, (i, 1, N - 1))
    assert name(EXPANDED, written) != "index-shift"


# --- whole files, renamed, in both formats ----------------------------------------------------

ENTROPY_TEX = r"""% title: entropy of a diagonal Gaussian, renamed
% symbols: \tau_1, \tau_2 : positive
\begin{align*}
\frac{1}{2}\log\left((2\pi e)^2 \tau_1^2 \tau_2^2\right)
  &= \frac{1}{2}\log(2\pi e\tau_1^2) + \frac{1}{2}\log(2\pi e\tau_2^2) \\
  &= 1 + \log(2\pi) + 2\log\tau_1 + 2\log\tau_2
\end{align*}
"""

LOGNORMAL_DERIV = """title: KL of two log-normals, renamed
symbols: c, d : real
symbols: u, v : positive
symbols: t : positive
densities: f(t) = LogNormal(c, u^2), h(t) = LogNormal(d, v^2)

    E[log(f(t)) - log(h(t)), t ~ f(t)]
  = KL(f(t), h(t))
  = log(v/u) + (u + (c - d)^2)/(2*v^2) - 1/2
"""


@pytest.mark.parametrize("text, suffix, step, expected", [
    (ENTROPY_TEX, ".tex", 2, "log-variance-for-log-std"),
    (LOGNORMAL_DERIV, ".deriv", 2, "std-for-variance"),
])
def test_renamed_files_are_named(tmp_path: Path, text: str, suffix: str, step: int,
                                 expected: str) -> None:
    path = tmp_path / f"renamed{suffix}"
    path.write_text(text, encoding="utf-8")
    d = read_any(path)
    s = d.steps[step - 1]
    m = diagnose(d.expand_definitions(s.lhs(d)), d.expand_definitions(s.expr), d, s)
    assert m is not None and m.name == expected


# --- roles from structure and declarations ---------------------------------------------------


def test_roles_from_an_entropy_a_precision_form_and_a_log_normal_declaration() -> None:
    from elbo_derivation.explain.roles import infer_roles

    r = infer_roles([sp.log(2 * sp.pi * sp.E * a**2) / 2])
    assert r.role(a) == "standard-deviation"
    r = infer_roles([u * (c1 - c2) ** 2 / 2 + sp.log(u)])
    assert r.role(u) == "precision"
    r = infer_roles([c1 + a], declared={"a": "standard deviation of log", "c1": "mean of log"},
                    symbols={"a": a, "c1": c1})
    assert (r.role(a), r.role(c1)) == ("standard-deviation", "mean")
    # a squared error with a weight and no ½ stays a balancing constant
    assert infer_roles([u * (c1 - c2) ** 2]).role(u) == "balancing-constant"


def test_gamma_recursion_misapplied_and_a_near_miss() -> None:
    p, q = sp.symbols("p q", positive=True)
    right = sp.gamma(p + 1) * sp.gamma(p + q) / (sp.gamma(p) * sp.gamma(p + q + 1))
    m = diagnose(right, (p + 1) / (p + q + 1), None, None)
    assert m is not None and m.name == "gamma-recursion"
    assert "Γ(p + 1) = p·Γ(p)" in m.explanation
    assert name(right, (p + 2) / (p + q + 1)) is None


# --- s24: moments named at their integral, log σ in every coordinate, logs, roots, series --


lam = sp.Symbol("lam", positive=True)
t = sp.Symbol("t", real=True)


def _moment(n: int) -> sp.Integral:
    return sp.Integral(lam * t**n * sp.exp(-lam * t), (t, 0, sp.oo))


def test_a_moment_named_at_its_integral_sets_aside_a_half_inside_it() -> None:
    # E[t²] = 2/λ² written E[t]² = 1/λ²: a ½ in the integrand gives that value too, but the
    # moment names it at the integral
    right = _moment(2) - _moment(1) ** 2
    assert name(right, sp.Integer(0)) == "wrong-moment"
    # 3/λ³ for E[t³] = 6/λ³ is no moment of the exponential: the ½ inside stays in the way
    assert name(_moment(3) + c1, 3 / lam**3 + c1) is None


def test_log_std_for_log_variance_in_every_coordinate_of_a_log_density() -> None:
    right = (-sp.log(a) - sp.log(b) - sp.log(2 * sp.pi) - (x - c1) ** 2 / (2 * a**2)
             - (y - c2) ** 2 / (2 * b**2))
    written = right + sp.log(a) / 2 + sp.log(b) / 2
    m = diagnose(right, written, None, None)
    assert m is not None and m.name == "log-std-for-log-variance"
    # the logs doubled is not log σ for log σ²
    assert name(right, right - sp.log(a) - sp.log(b)) != "log-std-for-log-variance"


def test_the_log_of_a_softmax_sum_split() -> None:
    right = sp.log(sp.exp(c1) / (sp.exp(c1) + sp.exp(x) + sp.exp(y)))
    assert name(right, c1 - (c1 + x + y)) == "log-of-sum-split"
    assert name(right, c1 - (x + y)) is None


def test_one_square_root_lost_in_a_log_when_read_as_two() -> None:
    right = sp.log(sp.gamma(u) / (sp.sqrt(sp.pi) * sp.sqrt(u)))
    assert name(right, sp.log(sp.gamma(u)) - sp.log(sp.pi * u)) == "log-inverse-sqrt"


def test_a_series_summed_by_the_geometric_series_formula() -> None:
    n = sp.Symbol("n", integer=True)
    r = u / (1 + u)
    right = sp.Sum(n * r ** (n - 1), (n, 1, sp.oo)) + c1   # (1 + u)² + c1
    m = diagnose(right, 1 + u + c1, None, None)
    assert m is not None and m.name == "wrong-series"
    assert name(right, 2 * (1 + u) + c1) is None


def test_polynomial_times_geometric_series_in_closed_form() -> None:
    from elbo_derivation.explain.simulations import closed_sum, polynomial_geometric

    n = sp.Symbol("n", integer=True)
    for s in (sp.Sum(n**2 * sp.Rational(1, 3) ** n, (n, 0, sp.oo)),
              sp.Sum((n - 1) * (u / (u + 1)) ** (n + 1), (n, 2, sp.oo))):
        assert polynomial_geometric(s)
        assert sp.simplify(closed_sum(s) - s.doit()) == 0
    # a ratio outside (0, 1): no value
    assert closed_sum(sp.Sum(n * (1 + u) ** n, (n, 0, sp.oo))) is None


def test_a_constant_joined_with_a_log_into_the_log_of_a_sum() -> None:
    right = u * x - sp.log(u) - 1
    assert name(right, u * x - sp.log(u + sp.E)) == "sum-of-logs-joined"
    assert name(right, u * x - sp.log(u + 1)) is None


def test_a_term_the_page_shows_right_does_not_stand_in_the_way() -> None:
    m_, s_ = sp.Symbol("m", real=True), sp.Symbol("s", positive=True)
    dens = sp.exp(-(x - m_) ** 2 / (2 * s_**2)) / sp.sqrt(2 * sp.pi * s_**2)
    first, second = (sp.Integral(dens * x**k, (x, -sp.oo, sp.oo)) for k in (1, 2))
    # s² − m²: E[x²] written s², E[x]² written m² (right); a ½ in E[x]'s exponent gives
    # that value too, but then the term m² on the page would be 2m²
    assert name(second - first**2, s_**2 - m_**2) == "second-moment-missing-mean"
    # written as one term the page does not show E[x]² alone: not recognised
    assert name(second - first**2 + c1, (s_ - m_) * (s_ + m_) + c1) is None


@pytest.mark.parametrize("family, written", [("Exponential(c)", "c + 1"),
                                             ("Gamma(k, c)", "k*c + 1")])
def test_the_rate_of_a_declared_family_used_as_its_scale(tmp_path: Path, family: str,
                                                         written: str) -> None:
    path = tmp_path / "mean.deriv"
    path.write_text("title: t\nsymbols: x, k, c : positive\n"
                    f"densities: q(x) = {family}\n\n    E[x, x ~ q(x)] + 1\n"
                    f"  = {written}   # the mean\n", encoding="utf-8")
    d = read_any(path)
    step = d.steps[0]
    m = diagnose(d.expand_definitions(step.lhs(d)), d.expand_definitions(step.expr), d, step)
    assert m is not None and m.name == "rate-for-scale"
    assert "c is the rate" in m.explanation and "1/c" in m.explanation


@pytest.mark.parametrize("written, named", [("c", "rate-for-scale"), ("c^2", None)])
def test_the_rate_of_the_exponential_sampler_used_as_its_scale(
        tmp_path: Path, written: str, named: str | None) -> None:
    # −log(v)/c over v on (0, 1) is the exponential's inverse CDF: c is a rate; the float
    # screen integrates log v near 0 (graded panels)
    path = tmp_path / "sampler.deriv"
    path.write_text("title: t\nsymbols: v : real\nsymbols: c : positive\n\n"
                    "    Integral(-log(v)/c, (v, 0, 1))\n"
                    "  = -Integral(log(v), (v, 0, 1))/c   # linearity\n"
                    f"  = {written}   # the integral of log v\n", encoding="utf-8")
    d = read_any(path)
    step = d.steps[1]
    m = diagnose(d.expand_definitions(step.lhs(d)), d.expand_definitions(step.expr), d, step)
    assert (None if m is None else m.name) == named
