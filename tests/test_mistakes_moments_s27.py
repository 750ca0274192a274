"""A moment said wrong needs a moment taken on the page (session 27, issue 17: never
misnamed). ``wrong-moment`` and ``second-moment-*`` match by value; a factor lost in an
integration by parts that keeps its integral, a term of x(x − 1) + x lost inside an
expectation that stays, or a term of a completed square where no expectation was ever taken
have the value of a wrong moment but take none. Each case in other symbols than the corpus's,
beside the same moment evaluated, which keeps its name."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import sympy as sp
from corpus.support import named_in_file

from elbo_derivation.core.expectation import Expectation
from elbo_derivation.explain.catalogue import BY_NAME
from elbo_derivation.explain.witness_moments import constructs, moment_taken

pytestmark = pytest.mark.usefixtures("unhurried_naming")  # what is named, not how fast

named = named_in_file


BY_PARTS = ("title: t\nsymbols: b, t : positive\n\n"
            "    Integral(t^2*b*exp(-b*t), (t, 0, oo))\n"
            "  = {w}\n")


@pytest.mark.parametrize("written, name", [
    # the integral evaluated as the square of the mean: a moment taken wrong
    ("1/b^2", "wrong-moment"),
    # by parts with the 2 of d(t²) lost: the same value, but the integral stands
    ("Integral(t*exp(-b*t), (t, 0, oo))", None),
])
def test_a_moment_is_wrong_only_where_its_integral_is_evaluated(
        tmp_path: Path, written: str, name: str | None) -> None:
    assert named(tmp_path / "p.deriv", BY_PARTS.replace("{w}", written)) == name


FACTORIAL = ("title: t\nsymbols: k : integer\nsymbols: r : positive\n"
             "densities: g(k) = Poisson(r)\n\n"
             "    E[k^2, k ~ g(k)] - E[k, k ~ g(k)]^2\n"
             "  = {w}\n")


@pytest.mark.parametrize("written, name", [
    ("r^2 - r^2", "wrong-moment"),
    # k² = k(k − 1) + k written without its + k inside the expectation: a term lost, no
    # moment evaluated (E[k(k − 1)] = r² is the value of E[k] squared)
    ("E[k*(k - 1), k ~ g(k)] - E[k, k ~ g(k)]^2", None),
])
def test_no_moment_named_inside_an_expectation_that_stays(
        tmp_path: Path, written: str, name: str | None) -> None:
    assert named(tmp_path / "f.deriv", FACTORIAL.replace("{w}", written)) == name


def test_a_second_moment_carried_on_from_an_integral_keeps_its_name(tmp_path: Path) -> None:
    # σ² + 2c·0 + c² collected to σ²: the step takes no integral, the derivation took it
    text = ("title: t\nsymbols: y, c : real\nsymbols: v : positive\n"
            "let: f = exp(-(y - c)^2/(2*v^2))/sqrt(2*pi*v^2)\n\n"
            "    Integral(f*y^2, (y, -oo, oo))\n"
            "  = v^2 + 2*c*0 + c^2          # E[(y - c)^2] = v^2, E[y - c] = 0\n"
            "  = v^2                        # collect\n")
    assert named(tmp_path / "s.deriv", text, index=1) == "second-moment-missing-mean"


def _ctx(*lines: sp.Basic) -> SimpleNamespace:
    """A context whose derivation has ``lines`` (the first line, then the steps), at its
    last step."""
    steps = [SimpleNamespace(expr=e) for e in lines[1:]]
    return SimpleNamespace(derivation=SimpleNamespace(start=lines[0], steps=steps),
                           step=SimpleNamespace(index=len(steps)))


def test_the_witness_asks_for_a_moment_taken() -> None:
    w, v, z = sp.symbols("w v z", positive=True)
    q = sp.Function("q", positive=True)(z)
    square = -(w**2 + v) / (2 * v) * (z - w / v) ** 2
    # a completed square's term lost, no expectation anywhere: no moment taken
    assert not moment_taken(None, _ctx(square, square, square), square, square)
    # the same line after an expectation was taken earlier in the derivation
    e = Expectation(z**2, z, q)
    assert moment_taken(None, _ctx(e, w**2 + v, v), w**2 + v, v)
    # an expectation on the previous line must be evaluated by the step
    assert moment_taken(None, _ctx(e, v), e, v)
    assert not moment_taken(None, _ctx(e, Expectation(z, z, q)), e, Expectation(z, z, q))
    assert constructs(e - Expectation(z, z, q) ** 2) == 2


def test_the_moment_entries_have_the_witness() -> None:
    for name in ("wrong-moment", "second-moment-missing-mean", "second-moment-missing-variance"):
        assert BY_NAME[name].witness == "moment-taken"


SQUARED_MEAN = ("title: t\nsymbols: j : integer\nsymbols: r : positive\n"
                "densities: h(j) = Poisson(r)\n\n"
                "    E[j^2, j ~ h(j)] - E[j, j ~ h(j)]^2\n"
                "  = {w}\n")


@pytest.mark.parametrize("written, name", [
    # Var = E[j²] − E[j]² evaluated with the mean's square lost: r + r² − r
    ("r + r^2 - r", "missing-square"),
    ("r + r^2 - 2*r", None),
])
def test_the_square_of_a_mean_lost_as_it_is_evaluated(
        tmp_path: Path, written: str, name: str | None) -> None:
    assert named(tmp_path / "m.deriv", SQUARED_MEAN.replace("{w}", written)) == name


def test_a_power_of_a_sum_is_bracketed() -> None:
    from elbo_derivation.report.pretty import pretty

    k = sp.Symbol("k", integer=True)
    assert pretty(sp.Sum(k / 6, (k, 1, 6)) ** 2) == "(Σ_{k=1}^{6} k/6)²"


ENTROPY = ("title: t\nsymbols: y, c : real\nsymbols: r : positive\n"
           "densities: h(y) = N(c, r^2)\n\n"
           "    -E[log(h(y)), y ~ h(y)]\n"
           "  = log(2*pi*exp(1)*r^2)\n")


def test_no_root_lost_where_the_author_wrote_none(tmp_path: Path) -> None:
    # the entropy ½ log(2πeσ²) written without its ½: the author wrote h(y), declared normal,
    # not a root, so no root was lost in a log; the ½ dropped is the name
    assert named(tmp_path / "h.deriv", ENTROPY) == "dropped-half"


def test_a_root_written_in_a_log_is_lost_there(tmp_path: Path) -> None:
    text = ("title: t\nsymbols: y : real\nsymbols: r : positive\n\n"
            "    log(1/sqrt(2*pi*r^2)) - y^2\n"
            "  = -log(2*pi*r^2) - y^2\n")
    assert named(tmp_path / "r.deriv", text) == "log-inverse-sqrt"


def test_the_root_witness_sees_roots_in_logs_only() -> None:
    from elbo_derivation.explain.witness_moments import root_written

    a, b = sp.symbols("a b", positive=True)
    ctx = SimpleNamespace(derivation=None)
    assert root_written(None, ctx, sp.log(1 / sp.sqrt(2 * sp.pi * a)), sp.S.Zero)
    assert not root_written(None, ctx, sp.log(a) + sp.sqrt(b), sp.S.Zero)


SCALED = ("title: t\nsymbols: w, c : real\nsymbols: g, h : positive\n"
          "densities: r(w) = N(c, g^2*h^2)\n\n"
          "    E[(w - c)^2, w ~ r(w)] + log(g*h)\n"
          "  = g^2*h^2 + log(g*h)\n"
          "  = {w}\n")


@pytest.mark.parametrize("written, name", [
    # N(c, g²h²): g and h are standard deviations, the variance g²h² written g·h
    ("g*h + log(g*h)", "std-for-variance"),
    ("g + h + log(g*h)", None),
])
def test_a_variance_of_two_scales_written_with_them(tmp_path: Path, written: str,
                                                    name: str | None) -> None:
    assert named(tmp_path / "v.deriv", SCALED.replace("{w}", written), index=1) == name


def test_a_product_or_sum_of_squared_scales_gives_standard_deviations() -> None:
    from elbo_derivation.explain.roles import infer_roles

    z = sp.Symbol("z", real=True)
    g, h = sp.symbols("g h", positive=True)
    gauss = sp.exp(-z**2 / (2 * (g**2 + h**2)))
    roles = infer_roles([sp.Integral(gauss * z, (z, -sp.oo, sp.oo))])
    assert roles.role(g) == roles.role(h) == "standard-deviation"


NESTED = ("title: t\nsymbols: y, u, g : real\nsymbols: c : positive\n"
          "let: f = exp(-y^2/(2*c^2))/sqrt(2*pi*c^2)\n\n"
          "    E[E[(y + g*u)^2, u ~ exp(-u^2/2)/sqrt(2*pi)], y ~ f]\n"
          "  = E[{w}, y ~ f]\n")


@pytest.mark.parametrize("written, name", [
    # E_u[(y + g·u)²] = y² + g², written with g for g²: the square lost inside the value
    ("y^2 + g", "missing-square"),
    ("y^2 + 2*g", None),
])
def test_a_square_lost_inside_the_value_of_an_inner_expectation(
        tmp_path: Path, written: str, name: str | None) -> None:
    assert named(tmp_path / "n.deriv", NESTED.replace("{w}", written)) == name
