"""Roles, moments, squares and halves (session 28, issue 17: named only when proved, never
misnamed). Each case is written in other symbols than the corpus's files that led to it."""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus.support import named_in_file

from elbo_derivation.explain.catalogue import BY_NAME

pytestmark = pytest.mark.usefixtures("unhurried_naming")  # what is named, not how fast

named = named_in_file


# --- a standard deviation for its variance is the square lost that its role names -------------

NOISE = ("title: t\nsymbols: c, u : real\nsymbols: w : positive\n\n"
         "    E[(c*(u + w*e))^2, e ~ N(0, 1)]\n"
         "  = c^2*E[u^2 + 2*u*w*e + w^2*e^2, e ~ N(0, 1)]\n"
         "  = {w}\n")


def test_std_for_variance_is_a_special_case_of_a_square_lost() -> None:
    assert "missing-square" in BY_NAME["std-for-variance"].special_case_of


@pytest.mark.parametrize("written, name", [
    # w, the coefficient of unit noise, is a standard deviation: w for w² is its role's name
    ("c^2*(u^2 + w)", "std-for-variance"),
    # c has no role: its square lost is a square lost
    ("c*(u^2 + w^2)", "missing-square"),
])
def test_a_square_lost_on_a_standard_deviation_is_named_by_its_role(
        tmp_path: Path, written: str, name: str) -> None:
    assert named(tmp_path / "n.deriv", NOISE.replace("{w}", written), index=1) == name


# --- √v for v needs a root on the page --------------------------------------------------------

TWO_NORMALS = ("title: t\nsymbols: a1, a2, c : real\nsymbols: v : positive\n\n"
               "    log(exp(-(a1 - c)^2/(2*v))/sqrt(2*pi*v))"
               " + log(exp(-(a2 - c)^2/(2*v))/sqrt(2*pi*v))\n"
               "  = -((a1 - c)^2 + (a2 - c)^2)/(2*v) - log(2*pi*v)\n"
               "  =~ [v] -((a1 - c)^2 + (a2 - c)^2)/(2*v) - {w}\n")


def test_a_half_written_on_a_log_of_a_variance_is_no_root_of_it(tmp_path: Path) -> None:
    # −½ log v for −log v has the value of log √v, but no root of v is written: the ½ added
    text = TWO_NORMALS.replace("{w}", "log(v)/2")
    assert named(tmp_path / "h.deriv", text, index=1) == "extra-half"


def test_the_root_witness_reads_the_written_step() -> None:
    import sympy as sp

    from elbo_derivation.explain.witness_moments import root_shown

    v, u = sp.symbols("v u", positive=True)
    m = type("M", (), {"binding": {"s": v}})()
    assert root_shown(m, None, sp.log(v), -sp.log(sp.sqrt(v)))
    assert not root_shown(m, None, sp.log(v), -sp.log(v) / 2)
    # a root of another symbol is no root of v
    assert not root_shown(m, None, sp.log(v), -sp.log(v) / 2 + sp.sqrt(u))


# --- the variance of a Gaussian that is an expression, written for its root -------------------

ROOT = ("title: t\nsymbols: x, y0, u : real\nsymbols: 0 < c < 1\n"
        "{let}\n"
        "    {f}u/sqrt(1 - c)\n"
        "  = {f}{w}\n")
DENSITY = "let: f = exp(-(x - y0)^2/(2*(1 - c)))/sqrt(2*pi*(1 - c))\n"


def root_text(written: str, gaussian: bool = True) -> str:
    return (ROOT.replace("{let}", DENSITY if gaussian else "")
            .replace("{f}", "f + " if gaussian else "").replace("{w}", written))


def test_a_variance_expression_written_for_its_root_is_named_by_its_role(
        tmp_path: Path) -> None:
    # 1 − c is the variance of the Gaussian f: √(1 − c) its standard deviation
    assert named(tmp_path / "r.deriv", root_text("u/(1 - c)")) == "variance-for-std"


def test_without_a_gaussian_of_that_variance_no_role_is_said(tmp_path: Path) -> None:
    assert named(tmp_path / "r.deriv", root_text("u/(1 - c)", gaussian=False)) != \
        "variance-for-std"


def test_an_expression_variance_is_read_from_a_gaussian_exponent() -> None:
    import sympy as sp

    from elbo_derivation.explain.roles import infer_roles

    x, y0 = sp.symbols("x y0", real=True)
    c = sp.Symbol("c", positive=True)
    roles = infer_roles([sp.exp(-(x - y0) ** 2 / (2 * (1 - c)))])
    assert roles.variance_exprs == [1 - c]
    assert roles.role(c) is None  # no symbol gets a role from it
    assert "standard deviation" in roles.describe(sp.sqrt(1 - c))
