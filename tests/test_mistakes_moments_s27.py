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
from corpus.support import named_in

from elbo_derivation.core.expectation import Expectation
from elbo_derivation.explain.catalogue import BY_NAME
from elbo_derivation.explain.witness_moments import constructs, moment_taken
from elbo_derivation.verification import read_any


@pytest.fixture(autouse=True)
def _unhurried(monkeypatch: pytest.MonkeyPatch) -> None:
    # what is named, not how fast (the benchmark measures the naming time)
    from elbo_derivation.explain import mistakes

    monkeypatch.setattr(mistakes, "TIME_BUDGET", 30.0)


def named(path: Path, text: str, index: int = 0) -> str | None:
    path.write_text(text, encoding="utf-8")
    d = read_any(path)
    return named_in(d, d.steps[index])


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
