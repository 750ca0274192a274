"""Roles found from structure (session 25): the Gaussian log-normaliser multiplied out, an
exponent −x²/(2V) written without exp, a precision-weighted average; the count of a
diagonal Gaussian's normaliser; an index shift in a Poisson-type series. Each named on a step
in other symbols than the corpus's, with a near miss that must stay unnamed."""

from __future__ import annotations

from pathlib import Path

import pytest
import sympy as sp
from corpus.support import named_in

from elbo_derivation.explain import simulations as sim
from elbo_derivation.explain.mistakes import diagnose
from elbo_derivation.explain.roles import infer_roles
from elbo_derivation.verification import read_any

g, h = sp.symbols("g h", positive=True)
v, m1, m2 = sp.symbols("v m1 m2", real=True)
n = sp.Symbol("n", integer=True)
r = sp.Symbol("r", positive=True)


pytestmark = pytest.mark.usefixtures("unhurried_naming")


def named(path: Path, text: str, index: int = 0) -> str | None:
    path.write_text(text, encoding="utf-8")
    d = read_any(path)
    step = d.steps[index]
    return named_in(d, step)


def test_roles_from_a_log_normaliser_multiplied_out() -> None:
    # −½ log 2π − log g: g is a standard deviation; two coordinates −log 2π − log g − log h
    assert infer_roles([-sp.log(2 * sp.pi) / 2 - sp.log(g) - v**2 / 2]).role(g) == \
        "standard-deviation"
    both = infer_roles([-sp.log(2 * sp.pi) - sp.log(g) - sp.log(h)])
    assert (both.role(g), both.role(h)) == ("standard-deviation", "standard-deviation")
    assert infer_roles([sp.log(2 * sp.pi) / 2 + sp.log(g) / 2]).role(g) == "variance"
    # logs with unequal coefficients say nothing
    assert infer_roles([-sp.log(2 * sp.pi) - sp.log(g) - 3 * sp.log(h)]).roles == {}


def test_roles_from_an_exponent_and_a_precision_weighted_average() -> None:
    assert infer_roles([-v**2 / (2 * g**2) - (m1 - v)**2 / 2]).role(g) == "standard-deviation"
    avg = infer_roles([(m1 / g**2 + m2 / h**2) / (1 / g**2 + 1 / h**2)])
    assert (avg.role(g), avg.role(h), avg.role(m1)) == ("standard-deviation",
                                                        "standard-deviation", "mean")
    # weights that are not reciprocals of spreads: no roles
    assert infer_roles([(m1 * g + m2 * h) / (g + h)]).roles == {}


def test_a_log_std_for_a_log_variance_in_a_log_density(tmp_path: Path) -> None:
    text = ("title: t\nsymbols: e : real\nsymbols: g : positive\n\n"
            "    diff(-e^2/2 - log(g) - log(2*pi)/2, g)\n"
            "  = diff(-e^2/2 - log({w}) - log(2*pi)/2, g)   # as is\n")
    assert named(tmp_path / "a.deriv", text.replace("{w}", "g^2")) == \
        "log-variance-for-log-std"
    assert named(tmp_path / "b.deriv", text.replace("{w}", "g^3")) is None


def test_a_standard_deviation_for_a_variance_in_an_expanded_exponent(tmp_path: Path) -> None:
    text = ("title: t\nsymbols: v, m1 : real\nsymbols: g : positive\n\n"
            "    -v^2/(2*g^2) - (m1 - v)^2/2\n"
            "  =~ [v] -(1/{w} + 1)*v^2/2 + m1*v   # expand\n")
    assert named(tmp_path / "a.deriv", text.replace("{w}", "g")) == "std-for-variance"
    assert named(tmp_path / "b.deriv", text.replace("{w}", "g^3")) is None


def test_the_count_of_a_two_coordinate_normaliser() -> None:
    right = -sp.log(g) - sp.log(h) - sp.log(2 * sp.pi) - (v - m1)**2 / (2 * g**2) \
        - (v - m2)**2 / (2 * h**2)
    wrong = right + sp.log(2 * sp.pi) / 2
    m = diagnose(right, wrong, None, None)
    assert m is not None and m.name == "dimension-count" and "2 coordinates" in m.explanation
    # −log 2π written −(3/4) log 2π is no count of coordinates
    assert diagnose(right, right + sp.log(2 * sp.pi) / 4, None, None) is None


def test_the_count_inside_the_log_of_the_product() -> None:
    dens = sp.exp(-(v - m1)**2 / (2 * g**2) - (v - m2)**2 / (2 * h**2)) / (2 * sp.pi * g * h)
    written = -sp.log(g) - sp.log(h) - sp.log(2 * sp.pi) / 2 - (v - m1)**2 / (2 * g**2) \
        - (v - m2)**2 / (2 * h**2)
    m = diagnose(sp.log(dens), written, None, None)
    assert m is not None and m.name == "dimension-count"
    assert [w for w, _ in sim.normaliser_count_wrong(1 / (2 * sp.pi * g), infer_roles([]))] \
        == []  # no coordinates known: no count


def test_series_with_a_vanishing_first_term_and_an_exponential_tail() -> None:
    assert sim.closed_sum(sp.Sum(n * r**n / sp.factorial(n), (n, 0, sp.oo))) == r * sp.exp(r)
    tail = sim.closed_sum(sp.Sum(r**(n - 1) / sp.factorial(n - 1), (n, 2, sp.oo)))
    assert sp.simplify(tail - (sp.exp(r) - 1)) == 0
    # Σ_{n≥1} rⁿ/n! is no exponential series from its first index: e^r − 1 by the tail rule
    assert sp.simplify(sim.closed_sum(sp.Sum(r**n / sp.factorial(n), (n, 1, sp.oo)))
                       - (sp.exp(r) - 1)) == 0
    assert sim.closed_sum(sp.Sum(r**n / n, (n, 1, sp.oo))) is None


@pytest.mark.parametrize("bound, name", [("2", "index-shift"), ("3", None)])
def test_an_index_shift_in_a_poisson_mean(tmp_path: Path, bound: str, name: str | None
                                          ) -> None:
    text = ("title: t\nsymbols: n : integer\nsymbols: r : positive\n\n"
            "    Sum(n*exp(-r)*r^n/factorial(n), (n, 0, oo))\n"
            f"  = r*exp(-r)*Sum(r^(n - 1)/factorial(n - 1), (n, {bound}, oo))   # shift\n")
    assert named(tmp_path / "p.deriv", text) == name


@pytest.mark.parametrize("written, name", [("sqrt(1 - g)", "std-for-variance"),
                                           ("(1 - g)^2", None)])
def test_the_scale_of_unit_noise_used_as_its_variance(tmp_path: Path, written: str,
                                                      name: str | None) -> None:
    text = ("title: t\nsymbols: u, v : real\nsymbols: 0 < g < 1\nsymbols: 0 < k < 1\n"
            "densities: q(u) = N(0, 1), r(v) = N(0, 1)\n\n"
            "    E[E[(sqrt(k)*u + sqrt(1 - g)*v)^2, v ~ r(v)], u ~ q(u)]\n"
            f"  = E[k*u^2 + {written}, u ~ q(u)]   # E[v] = 0, E[v^2] = 1\n")
    assert named(tmp_path / "n.deriv", text) == name


@pytest.mark.parametrize("written, name", [("g^2", "second-moment-missing-mean"),
                                           ("2*g^2", None)])
def test_an_inner_moment_evaluated_under_an_outer_expectation(tmp_path: Path, written: str,
                                                              name: str | None) -> None:
    text = ("title: t\nsymbols: v, c, k : real\nsymbols: g, h : positive\n"
            "densities: q(c) = N(k, h^2), r(v|c) = N(c, g^2)\n\n"
            "    E[E[(v - k)^2, v ~ r(v|c)], c ~ q(c)]\n"
            f"  = E[{written}, c ~ q(c)]   # the inner second moment\n")
    assert named(tmp_path / "m.deriv", text) == name


@pytest.mark.parametrize("written, name", [("1", "dimension-count"), ("3", None)])
def test_the_trace_trick_counted_for_one_dimension(tmp_path: Path, written: str,
                                                   name: str | None) -> None:
    text = ("title: t\nsymbols: K : positive integer\nsymbols: v, c : vector(K) real\n"
            "symbols: A : matrix(K) positive definite\ndensities: r(v) = N(c, A)\n\n"
            "    logdet(A) - E[transpose(v - c)*inv(A)*(v - c), v ~ r(v)]/2\n"
            f"  = logdet(A) - {written}/2   # the trace trick\n")
    assert named(tmp_path / "t.deriv", text) == name


@pytest.mark.parametrize("written, name", [("m1 + (m2 - m1)*g/(g + h)", "std-for-variance"),
                                           ("m1 + (m2 - m1)*g/(2*g + h)", None)])
def test_every_standard_deviation_unsquared_in_a_shrinkage_weight(
        tmp_path: Path, written: str, name: str | None) -> None:
    right = (m1 * h**2 + m2 * g**2) / (g**2 + h**2)
    roles = infer_roles([(m1 / g**2 + m2 / h**2) / (1 / g**2 + 1 / h**2)])
    assert [w for w, _ in sim.every_std_for_variance(right, roles)] == [
        (m1 * h + m2 * g) / (g + h)]
    # a weight no confusion of roles makes stays unnamed
    text = ("title: t\nsymbols: m1, m2 : real\nsymbols: g, h : positive\n\n"
            "    (m1/g^2 + m2/h^2)/(1/g^2 + 1/h^2)\n"
            "  = (m1*h^2 + m2*g^2)/(g^2 + h^2)   # multiply above and below\n"
            f"  = {written}   # shrinkage\n")
    assert named(tmp_path / "s.deriv", text, 1) == name


def test_noise_scale_in_an_integrand_the_step_keeps_is_not_named(tmp_path: Path) -> None:
    # (√(1 − g))² written √(1 − g) inside an expectation the step only expands: a square
    # lost in the integrand, not a moment evaluated with the standard deviation
    text = ("title: t\nsymbols: v, k : real\nsymbols: 0 < g < 1\ndensities: r(v) = N(0, 1)\n\n"
            "    E[(k + sqrt(1 - g)*v)^2, v ~ r(v)]\n"
            "  = E[k^2 + 2*k*sqrt(1 - g)*v + sqrt(1 - g)*v^2, v ~ r(v)]   # expand\n")
    assert named(tmp_path / "k.deriv", text) != "std-for-variance"
