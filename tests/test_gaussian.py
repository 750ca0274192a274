"""The exact Gaussian integrator against known moments, SciPy quadrature, and its refusals."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from scipy import integrate

from elbo_derivation.core.expectation import Expectation
from elbo_derivation.decide.gaussian import (
    NotGaussianError,
    evaluate_gaussian_integrals,
    gaussian_density,
    gaussian_integral,
    normal_moment,
)

x, mu1, mu2 = sp.symbols("x mu1 mu2", real=True)
s1, s2 = sp.symbols("sigma1 sigma2", positive=True)
p1, p2 = gaussian_density(x, mu1, s1), gaussian_density(x, mu2, s2)
PARAMS = (mu1, s1, mu2, s2)
# (mu1, sigma1, mu2, sigma2): ordinary values, equal means, equal sigmas, a mean of zero.
POINTS = [(0.3, 1.7, -1.2, 0.6), (1.0, 2.0, 1.0, 0.5), (-2.0, 0.7, 0.4, 0.7), (0.0, 1.0, 0.0, 3.0)]


def _quad(integrand: sp.Expr, values: tuple[float, ...]) -> float:
    """SciPy quadrature of the integrand at the given parameters.

    Logarithms are expanded first by SymPy (sound: densities are positive), so the integrand
    is a polynomial times exp(...) whose tails underflow harmlessly to 0 instead of log(0).
    """
    f = sp.expand_log(integrand.subs(dict(zip(PARAMS, values, strict=True))), deep=True)
    fn = sp.lambdify(x, f, "math")
    m1 = values[0]
    left, _ = integrate.quad(fn, -np.inf, m1, epsabs=1e-13, epsrel=1e-12, limit=200)
    right, _ = integrate.quad(fn, m1, np.inf, epsabs=1e-13, epsrel=1e-12, limit=200)
    return left + right


def _value(expr: sp.Expr, values: tuple[float, ...]) -> float:
    return float(expr.subs(dict(zip(PARAMS, values, strict=True))))


def test_standard_normal_moments_are_double_factorials():
    expected = [1, 0, 1, 0, 3, 0, 15, 0, 105, 0, 945]
    assert [normal_moment(k) for k in range(11)] == expected


def test_raw_moments_of_a_normal():
    m, v = sp.Symbol("m", real=True), sp.Symbol("v", positive=True)
    assert sp.expand(normal_moment(3, m, v) - (m**3 + 3 * m * v)) == 0
    assert sp.expand(normal_moment(4, m, v) - (m**4 + 6 * m**2 * v + 3 * v**2)) == 0


@pytest.mark.parametrize("k", [-1, 1.5])
def test_normal_moment_rejects_bad_orders(k):
    with pytest.raises(ValueError, match="k must be a non-negative integer"):
        normal_moment(k)


def test_moments_through_the_integral():
    assert gaussian_integral(p1, x) == 1
    assert sp.expand(gaussian_integral(p1 * x, x)) == mu1
    assert sp.expand(gaussian_integral(p1 * x**2, x) - (s1**2 + mu1**2)) == 0
    assert sp.expand(gaussian_integral(p1 * (x - mu1) ** 4, x) - 3 * s1**4) == 0


INTEGRANDS = {
    "kl": p1 * sp.log(p1 / p2),
    "cross-entropy": -p1 * sp.log(p2),
    "entropy": -p1 * sp.log(p1),
    "cubic times log": p1 * (x**3 - x) * sp.log(p2),
    "product of densities": p1 * p2 * (1 + x),
    "unnormalised": sp.exp(-((x - mu1) ** 2) / (2 * s1**2)),
    "log of 1/Z": p1 * (sp.log(1 / sp.sqrt(2 * sp.pi * s1**2)) - (x - mu1) ** 2 / (2 * s1**2)),
    "square root of a density": sp.sqrt(p1) * x**2,
}


@pytest.mark.parametrize("name", sorted(INTEGRANDS))
@pytest.mark.parametrize("values", POINTS)
def test_against_scipy_quad(name, values):
    integrand = INTEGRANDS[name]
    exact = _value(gaussian_integral(integrand, x), values)
    numeric = _quad(integrand, values)
    assert math.isclose(exact, numeric, rel_tol=1e-9, abs_tol=1e-11), (exact, numeric)


def test_kl_closed_form_including_equal_and_zero_means():
    # sympy.integrate's closed forms evaluate to nan at mu2 = 0 or mu2 = mu1; this one does not.
    kl = gaussian_integral(p1 * sp.log(p1 / p2), x)
    closed = sp.log(s2 / s1) + (s1**2 + (mu1 - mu2) ** 2) / (2 * s2**2) - sp.Rational(1, 2)
    assert sp.expand(sp.expand_log(kl - closed)) == 0
    for values in [(1.0, 2.0, 1.0, 2.0), (0.5, 1.0, 0.0, 1.5)]:
        v = _value(kl, values)
        assert math.isfinite(v)
        assert math.isclose(v, _value(closed, values), rel_tol=1e-12, abs_tol=1e-15)


def test_a_wrong_normaliser_is_not_silently_fixed():
    missing_pi = sp.exp(-((x - mu1) ** 2) / (2 * s1**2)) / sp.sqrt(2 * s1**2)
    assert sp.simplify(gaussian_integral(missing_pi, x) - sp.sqrt(sp.pi)) == 0


def test_general_quadratic_exponent():
    a = sp.Symbol("a", positive=True)
    b = sp.Symbol("b", real=True)
    value = gaussian_integral(sp.exp(-a * x**2 + b * x), x)
    assert sp.simplify(value - sp.sqrt(sp.pi / a) * sp.exp(b**2 / (4 * a))) == 0


@pytest.mark.parametrize(
    ("integrand", "message"),
    [
        (sp.exp(x**2), "negative"),
        (sp.exp(-(x**4)), "quadratic"),
        (x**2, "no Gaussian factor"),
        (p1 * sp.log(x**2 + 1), "cannot expand"),
        (p1 / (1 + x**2), "cannot integrate"),
        (p1 * (x + 1) ** 100, "too large"),
        (p1 * 2**x, "exponent"),
        (sp.exp(-sp.Symbol("a", real=True) * x**2), "negative"),
    ],
)
def test_refuses_what_it_cannot_do_exactly(integrand, message):
    with pytest.raises(NotGaussianError, match=message):
        gaussian_integral(integrand, x)


def test_log_of_a_density_of_unknown_sign_is_not_expanded():
    c = sp.Symbol("c", real=True)  # c could be negative: log(c·p1) is not log c + log p1
    with pytest.raises(NotGaussianError):
        gaussian_integral(p1 * sp.log(c * p1), x)


def test_evaluate_nodes_leaves_what_is_not_gaussian():
    t = sp.Symbol("t", real=True)
    other = sp.Integral(sp.exp(-t), (t, 0, sp.oo))
    expr = sp.Integral(p1 * x**2, (x, -sp.oo, sp.oo)) + other + Expectation(x, x, p1)
    value, count = evaluate_gaussian_integrals(expr)
    assert count == 2
    assert sp.expand(value - (s1**2 + mu1**2 + mu1 + other)) == 0


def test_expectation_over_a_written_out_gaussian():
    value, count = evaluate_gaussian_integrals(Expectation(sp.log(p2), x, p1))
    cross = -sp.log(2 * sp.pi * s2**2) / 2 - (s1**2 + (mu1 - mu2) ** 2) / (2 * s2**2)
    assert count == 1
    assert sp.expand(sp.expand_log(value - cross)) == 0


def test_a_log_normal_integral_is_exact_by_y_equals_e_to_the_u():
    """∫₀^∞ over a density in log y becomes a Gaussian integral by y = e^u (exact); the KL
    between two log-normals with a shared scale used to stay undecided (12.8 s) or, under
    load, be refuted by quadrature missing the peak at small s."""
    from elbo_derivation.decide.gaussian import evaluate_gaussian_integrals

    y = sp.Symbol("y", real=True)
    m = sp.Symbol("m", real=True)
    s = sp.Symbol("s", positive=True)
    p = sp.exp(-(sp.log(y) - m) ** 2 / (2 * s**2)) / (y * sp.sqrt(2 * sp.pi * s**2))
    mean, n = evaluate_gaussian_integrals(sp.Integral(p * sp.log(y), (y, 0, sp.oo)))
    assert n == 1 and sp.simplify(mean - m) == 0
    second, _ = evaluate_gaussian_integrals(sp.Integral(p * (sp.log(y) - m) ** 2, (y, 0, sp.oo)))
    assert sp.simplify(second - s**2) == 0
    # an integral over (0, ∞) with no log y in it is not touched
    _, n = evaluate_gaussian_integrals(sp.Integral(sp.exp(-y), (y, 0, sp.oo)))
    assert n == 0
