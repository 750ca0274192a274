"""Mistakes under densities declared in a named family: a scale parameter taken for the standard
deviation (the Laplace's variance is 2b², so b² is a moment written wrong), and a slip beside a log
of positive factors, found on the previous line evaluated as the checker decides it."""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus.support import named_in_file

pytestmark = pytest.mark.usefixtures("unhurried_naming")  # what is named, not how fast

PROJECTION = ("title: t\nsymbols: m, u : real\nsymbols: b, s : positive\n"
              "densities: g(y) = Laplace(m, b)\n\n"
              "    -E[(y - u)^2, y ~ g(y)]/(2*s^2)\n"
              "  = {w}\n")


@pytest.mark.parametrize("written, name", [
    # the Laplace's scale b used as its standard deviation: Var = b² written for 2b², which
    # is as exactly a ½ too many in the variance (extra-half): a tie, not recognised
    ("-(b^2 + (m - u)^2)/(2*s^2)", None),
    # the variance forgotten altogether: the square of the mean
    ("-(m - u)^2/(2*s^2)", "wrong-moment"),
])
def test_a_scale_taken_for_the_standard_deviation_is_a_wrong_moment(
        tmp_path: Path, written: str, name: str) -> None:
    assert named_in_file(tmp_path / "l.deriv", PROJECTION.replace("{w}", written)) == name


def test_only_a_variance_that_is_another_multiple_of_a_parameter_squared() -> None:
    import sympy as sp

    from elbo_derivation.explain.simulations import _scale_as_std

    m, b, lam = sp.Symbol("m", real=True), sp.Symbol("b", positive=True), sp.Symbol(
        "lam", positive=True)
    # Laplace(m, b): Var = 2b², so b² + m² is the one candidate
    assert [w for w, _ in _scale_as_std((m, b), 2 * b**2, m, "Laplace")] == [b**2 + m**2]
    # a normal with standard deviation b: Var = b², no scale to mistake for it
    assert _scale_as_std((m, b), b**2, m, "normal") == []
    # an exponential's variance 1/λ² is no constant multiple of λ²
    assert _scale_as_std((lam,), 1 / lam**2, 1 / lam, "exponential") == []


def test_a_sign_slip_beside_a_log_of_positive_factors_under_a_family(tmp_path: Path) -> None:
    # the entropy of a geometric count (Cover & Thomas, problem 2.1): the previous line is
    # evaluated as the checker decides it, log(a(1 − a)^(k−1)) split on 0 < a < 1, so the
    # sign written wrong in front of log(1 − a) is found there
    text = ("title: t\nsymbols: 0 < a < 1\ndensities: g(k) = Geometric(a)\n\n"
            "    -E[log(a*(1 - a)^(k - 1)), k ~ g(k)]\n"
            "  = -log(a) + log(1 - a)*E[k - 1, k ~ g(k)]\n")
    assert named_in_file(tmp_path / "g.deriv", text) == "sign-error"
