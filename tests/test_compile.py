"""The one compile step from SymPy to numbers (core/compile.py), its policies and its users.

Pins: each policy (float64 vectorised against mpmath at N digits; non-finite values masked or
refused; principal or real domain; log of exp split; the exponent bound), the cache keyed on
the expression, the agreement of the mpmath backend with SymPy's own evaluation at 50 digits,
that probing, quadrature and the mistake screens all compile through it, and that a ``=~``
step renamed consistently gets the same quadrature check (its names resolved through the
declarations, not by letter).
"""

from __future__ import annotations

import re
from pathlib import Path

import mpmath
import numpy as np
import pytest
import sympy as sp

from elbo_derivation.core import compile as compile_module
from elbo_derivation.core.compile import NotEvaluable, Policy, compile_expr

x = sp.Symbol("x", real=True)
s = sp.Symbol("s", positive=True)
NOTES = Path(__file__).resolve().parent.parent / "elbo_derivation" / "notes"


def test_float64_is_vectorised_and_masks_non_finite_values() -> None:
    f = compile_expr(sp.log(x) + x**2, [x])
    out = f(np.array([1.0, 2.0, 0.0, -1.0]))
    assert out[0] == 1.0 and out[1] == pytest.approx(np.log(2) + 4, rel=1e-15)
    assert out[2] == -np.inf and np.isnan(out[3])


def test_strict_policy_refuses_what_is_not_a_finite_real_number() -> None:
    for backend, value in (("float64", 0.0), ("mpmath", mpmath.mpf(0))):
        f = compile_expr(1 / x, [x], backend=backend, nonfinite="raise")
        with pytest.raises(NotEvaluable, match="division by zero"):
            f(value)
    with pytest.raises(NotEvaluable, match=re.escape("log(0)")):
        compile_expr(sp.log(x), [x], backend="mpmath", nonfinite="raise")(mpmath.mpf(0))
    with pytest.raises(NotEvaluable, match="off the real line"):
        compile_expr(sp.log(x), [x], backend="mpmath", nonfinite="raise")(mpmath.mpf(-2))
    with pytest.raises(NotEvaluable, match="not a finite"):
        compile_expr(sp.exp(x), [x], nonfinite="raise")(1000.0)
    with pytest.raises(NotEvaluable, match="no value for s"):
        compile_expr(x + s, [x], nonfinite="raise")(1.0)
    # a node nothing knows is refused when compiling, naming it
    with pytest.raises(NotEvaluable, match=r"cannot evaluate q"):
        compile_expr(sp.Function("q")(x), [x])


def test_the_domain_policy_decides_where_a_value_must_be_real() -> None:
    e = sp.Pow(sp.sqrt(x), 2, evaluate=False)
    principal = compile_expr(e, [x], backend="mpmath", nonfinite="raise")
    with mpmath.workdps(30):
        assert principal(mpmath.mpf(-3)) == -3  # (i√3)² is real
    real = compile_expr(e, [x], backend="mpmath", nonfinite="raise", domain="real")
    with pytest.raises(NotEvaluable, match="off the real line"):
        real(mpmath.mpf(-3))


def test_split_log_exp_keeps_the_log_of_an_underflowing_density() -> None:
    e = sp.log(sp.exp(-x**2 / 2) / sp.sqrt(2 * sp.pi))
    assert isinstance(e, sp.log) and e.args[0].is_Mul
    plain = compile_expr(e, [x])(60.0)
    split = compile_expr(e, [x], split_log_exp=True)(60.0)
    assert plain == -np.inf
    assert split == pytest.approx(-1800 - 0.5 * np.log(2 * np.pi), rel=1e-15)


def test_exponent_bound() -> None:
    y = sp.Symbol("y", positive=True)
    f = compile_expr(s**y, [s, y], backend="mpmath", nonfinite="raise", max_exponent=1000)
    assert f(mpmath.mpf(2), mpmath.mpf(3)) == 8
    with pytest.raises(NotEvaluable, match="huge exponent"):
        f(mpmath.mpf(2), mpmath.mpf(5000))


def test_mpmath_backend_agrees_with_sympy_at_50_digits() -> None:
    e = (sp.log(s) - sp.Rational(1, 3) * x**3 + sp.exp(-x / s) * sp.sqrt(2 * sp.pi * s**2)
         + sp.atan(x) + sp.tanh(s) - sp.EulerGamma)
    f = compile_expr(e, [x, s], backend="mpmath", nonfinite="raise")
    for xv, sv in ((sp.Rational(7, 5), sp.Rational(3, 10)), (sp.Integer(-2), sp.Integer(9))):
        exact = sp.N(e.subs({x: xv, s: sv}), 60)
        with mpmath.workdps(50):
            got = f(mpmath.mpf(xv.p) / xv.q, mpmath.mpf(sv.p) / sv.q)
            assert abs(got - mpmath.mpf(str(exact))) <= mpmath.mpf(10) ** -48 * abs(got)


def test_one_compiled_function_serves_every_precision() -> None:
    f = compile_expr(sp.pi * x / 3, [x], backend="mpmath")
    with mpmath.workdps(20):
        low = f(mpmath.mpf(1))
    with mpmath.workdps(70):
        high = f(mpmath.mpf(1))
        assert abs(high - mpmath.pi / 3) < mpmath.mpf(10) ** -68
    assert abs(high - low) > mpmath.mpf(10) ** -30  # the constants follow the call's precision


def test_the_cache_is_keyed_on_the_expression_the_symbols_and_the_policy() -> None:
    compile_module._CACHE.clear()
    e = sp.exp(-x**2) * s
    compile_expr(e, [x, s])
    size = len(compile_module._CACHE)
    compile_expr(sp.exp(-x**2) * s, [x, s])  # an equal expression built anew: a hit
    assert len(compile_module._CACHE) == size
    compile_expr(e, [s, x])  # other symbols' order: compiled again
    compile_expr(e, [x, s], backend="mpmath")  # another policy: compiled again
    assert len(compile_module._CACHE) > size
    top = ("top", e, (x, s), Policy(), None)
    assert top in compile_module._CACHE


def test_policy_values_are_checked() -> None:
    with pytest.raises(ValueError, match="backend"):
        compile_expr(x, [x], backend="float32")
    with pytest.raises(ValueError, match="nonfinite"):
        compile_expr(x, [x], nonfinite="ignore")


def test_every_evaluator_compiles_through_the_one_module() -> None:
    import elbo_derivation.decide.probe as probe
    import elbo_derivation.explain.numbers as numbers
    import elbo_derivation.numeric.evaluate as evaluate

    for module in (probe, evaluate, numbers):
        assert module.compile_expr is compile_expr
    compile_module._CACHE.clear()
    assert probe.value_at(sp.log(s), {s: 2}, 50) is not None
    screen = numbers.FloatScreen({x}, deadline=float("inf"))
    assert screen.value(sp.exp(x), 0) == pytest.approx(np.exp(screen.points[0][x]))
    keys = {k[3] for k in compile_module._CACHE if k[0] == "top"}
    assert {Policy("mpmath", "raise"), Policy("float64", "raise", "real", True, 1000)} <= keys


# --- a renamed `=~` step ----------------------------------------------------------------------

_RENAME = {"q": "r", "p": "P", "f": "F", "x": "X", "z": "w", "c": "kappa", "C": "K"}


def _renamed(text: str) -> str:
    body = [line.split("#", 1)[0] for line in text.splitlines() if not line.startswith("#")]
    return re.sub(r"\b(" + "|".join(_RENAME) + r")\b", lambda m: _RENAME[m.group(1)],
                  "\n".join(body))


@pytest.mark.parametrize("name", ["elbo.deriv", "elbo_gaussian_likelihood.deriv"])
def test_a_renamed_up_to_step_gets_the_same_quadrature_check(name: str, tmp_path: Path) -> None:
    from elbo_derivation.numeric.quadrature import check_quadrature
    from elbo_derivation.pipeline import load_derivation

    original = NOTES / name
    renamed = tmp_path / name
    renamed.write_text(_renamed(original.read_text(encoding="utf-8")), encoding="utf-8")
    a, b = load_derivation(original), load_derivation(renamed)
    assert "r(w|X)" in b.functions  # the densities really were renamed
    checks_a = check_quadrature(a, rng=np.random.default_rng(7))
    checks_b = check_quadrature(b, rng=np.random.default_rng(7))
    up_to = [i for i, step in enumerate(a.steps) if step.relation.value == "=~"]
    assert up_to
    for i in up_to:
        qa, qb = checks_a[i], checks_b[i]
        assert qa.ok and qb.ok, (qa.reason, qb.reason)
        assert qa.details["wrt"] == qb.details["wrt"]  # the same instance parameters move
        assert qa.details["n_points"] == qb.details["n_points"]
        assert qa.details["instance"] and qb.details["instance"]


def test_an_up_to_step_with_respect_to_an_undeclared_name_is_refused(tmp_path: Path) -> None:
    from elbo_derivation.numeric.quadrature import check_quadrature
    from elbo_derivation.pipeline import load_derivation

    text = (NOTES / "elbo.deriv").read_text(encoding="utf-8").replace("=~ [q]", "=~ [m]")
    text = text.replace("symbols: x, z : real", "symbols: x, z, m : real")
    path = tmp_path / "wrt.deriv"
    path.write_text(text, encoding="utf-8")
    checks = check_quadrature(load_derivation(path), rng=np.random.default_rng(0))
    # m is declared, in neither side, and no letter makes it the instance's parameter m
    assert not checks[-1].ok and "'m'" in checks[-1].reason


# --- points from declarations -----------------------------------------------------------------


def test_points_respect_declared_intervals_and_integers() -> None:
    from elbo_derivation.numeric.points import INTEGER_MAX, draw_points

    y = sp.Symbol("y", positive=True)
    k = sp.Symbol("k", integer=True, positive=True)
    points = draw_points([y, k, x, s], rng=np.random.default_rng(3), n_random=30,
                         domains={"y": sp.Interval.open(0, 1)})
    assert all(0 < p[y] < 1 for p in points)
    assert all(p[k] == round(p[k]) and 1 <= p[k] <= INTEGER_MAX for p in points)
    assert any(p[s] == 1e-3 for p in points)  # the edge points are still there


def test_a_step_true_on_its_declared_interval_passes_quadrature(tmp_path: Path) -> None:
    from elbo_derivation.numeric.quadrature import check_quadrature
    from elbo_derivation.pipeline import load_derivation

    path = tmp_path / "interval.deriv"
    path.write_text("title: on (0, 1)\nsymbols: y : (0, 1)\n\n    log(y*(1 - y))\n"
                    "  = log(y) + log(1 - y)\n  = log(y) + log(1 + y)\n", encoding="utf-8")
    right, wrong = check_quadrature(load_derivation(path), rng=np.random.default_rng(0))
    assert right.ok and right.details["n_points"] == 26  # no point outside (0, 1) lost
    assert 0 < right.details["worst_point"]["y"] < 1
    assert not wrong.ok
