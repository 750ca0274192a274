"""The notes' §3 as data: every step proved, and wrong variants refuted at the right step.

Each mutant changes one step of ``kl_gaussians.deriv`` the way a student might (a dropped ½,
σ for σ², the sign of a cross term, ...). The engine must refute exactly that step, with a
counterexample whose two values are recomputed here independently (mpmath quadrature of the
integrals, not the engine's Gaussian evaluator) and really differ.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from scipy import integrate

from elbo_derivation.core.steps import Verdict
from elbo_derivation.decide.engine import check_derivation, check_step
from elbo_derivation.notes import bundled_paths
from elbo_derivation.read.deriv import parse_derivation, read_text

PATH = next(p for p in bundled_paths() if p.stem == "kl_gaussians")
TEXT = read_text(PATH)


def _step_lines(text: str) -> list[int]:
    """0-based indices of the lines that are steps (they begin with '=')."""
    return [i for i, line in enumerate(text.splitlines()) if line.lstrip().startswith("=")]


def _mutate(step: int, old: str, new: str) -> str:
    """The file with ``old`` replaced by ``new`` on step ``step`` (1-based) only."""
    lines = TEXT.splitlines()
    i = _step_lines(TEXT)[step - 1]
    assert old in lines[i], (step, old, lines[i])
    lines[i] = lines[i].replace(old, new, 1)
    return "\n".join(lines) + "\n"


def _mutate_header(old: str, new: str) -> str:
    assert TEXT.count(old) == 1, old
    return TEXT.replace(old, new)


def test_the_file_names_its_source_and_every_step_is_proved_symbolically():
    d = check_derivation(parse_derivation(TEXT, file=str(PATH)))
    assert "§3" in d.source
    assert len(d.steps) == 12
    assert set(d.definitions) == {"Z1", "Z2", "p1", "p2"}
    for step in d.steps:
        assert step.result is not None
        assert step.result.verdict is Verdict.PROVED, (step.index, step.result)
        assert step.result.method != "probe"
        assert step.result.explanation
        assert step.justification
    assert d.first_failure is None


def test_the_final_form_is_the_notes_closed_form():
    d = parse_derivation(TEXT)
    mu1, mu2 = d.symbols["mu1"], d.symbols["mu2"]
    s1, s2 = d.symbols["sigma1"], d.symbols["sigma2"]
    closed = sp.log(s2 / s1) + (s1**2 + (mu1 - mu2) ** 2) / (2 * s2**2) - sp.Rational(1, 2)
    assert sp.expand(sp.expand_log(d.steps[-1].expr - closed)) == 0


def test_justifications_name_the_facts_the_notes_use():
    d = parse_derivation(TEXT)
    joined = " | ".join(s.justification for s in d.steps)
    assert "∫ p1 dx = 1" in joined
    assert "E[x^2] = sigma1^2 + mu1^2" in joined


# (id, the step the mistake is in, the step edited (0: a header line), old text, new text)
EDITS = [
    ("split with the wrong sign", 1, 1,
     "- Integral(p1*log(p2)",
     "+ Integral(p1*log(p2)"),
    ("sigma for sigma^2 in log p1", 2, 2,
     "^2/(2*sigma1^2)), (x",
     "^2/(2*sigma1)), (x"),
    ("dropped 1/2 in log p1", 2, 2,
     "^2/(2*sigma1^2)), (x",
     "^2/(sigma1^2)), (x"),
    ("log Z1 for log(1/Z1)", 2, 2,
     "log(1/Z1)",
     "log(Z1)"),
    ("sign of the quadratic term", 3, 3,
     "- Integral(p1*(x - mu1)^2",
     "+ Integral(p1*(x - mu1)^2"),
    ("sign of the cross term 2x mu1", 4, 4,
     "x^2 - 2*x*mu1",
     "x^2 + 2*x*mu1"),
    ("dropped 1/2 before the integral", 4, 4,
     "- 1/(2*sigma1^2)*",
     "- 1/(sigma1^2)*"),
    ("E[x^2] = sigma^2 alone", 5, 5,
     "(sigma1^2 + mu1^2) - 2*mu1^2",
     "(sigma1^2) - 2*mu1^2"),
    ("missing mu^2 term", 5, 5,
     "- 2*mu1^2 + mu1^2)",
     "- 2*mu1^2)"),
    ("E[x^2] = sigma + mu^2", 5, 5,
     "(sigma1^2 + mu1^2)",
     "(sigma1 + mu1^2)"),
    ("-1 instead of -1/2", 6, 6,
     "-log(Z1) - 1/2 -",
     "-log(Z1) - 1 -"),
    ("pi approximated as 3.14159", 7, 7,
     "log(2*pi*sigma1^2)",
     "log(2*3.14159*sigma1^2)"),
    ("sigma for sigma^2 in log Z1", 7, 7,
     "log(2*pi*sigma1^2)",
     "log(2*pi*sigma1)"),
    ("log Z2 for log(1/Z2)", 8, 8,
     "log(1/Z2)",
     "log(Z2)"),
    ("wrong mean in log p2", 8, 8,
     "(x - mu2)^2/(2*sigma2^2)",
     "(x - mu1)^2/(2*sigma2^2)"),
    ("sign of log Z2", 9, 9,
     "+ log(Z2) +",
     "- log(Z2) +"),
    ("sign of the cross term 2x mu2", 9, 9,
     "x^2 - 2*x*mu2",
     "x^2 + 2*x*mu2"),
    ("E[x^2] = sigma1^2 alone, second term", 10, 10,
     "(sigma1^2 + mu1^2) - 2*mu2*mu1",
     "(sigma1^2) - 2*mu2*mu1"),
    ("missing mu2^2 term", 10, 10,
     "- 2*mu2*mu1 + mu2^2)",
     "- 2*mu2*mu1)"),
    ("E[x] = mu2 in the cross term", 10, 10,
     "- 2*mu2*mu1",
     "- 2*mu2*mu2"),
    ("sigma1 for sigma1^2 in the final sum", 11, 11,
     "(sigma1^2 + (mu1 - mu2)^2)",
     "(sigma1 + (mu1 - mu2)^2)"),
    ("dropped 1/2 on log(2 pi sigma2^2)", 11, 11,
     "+ 1/2*log(2*pi*sigma2^2)",
     "+ log(2*pi*sigma2^2)"),
    ("1/(2 sigma1^2) for 1/(2 sigma2^2)", 11, 11,
     "1/(2*sigma2^2)*(sigma1^2",
     "1/(2*sigma1^2)*(sigma1^2"),
    ("log(sigma1/sigma2) flipped", 12, 12,
     "log(sigma2/sigma1)",
     "log(sigma1/sigma2)"),
    ("+1/2 for -1/2", 12, 12,
     "- 1/2   #",
     "+ 1/2   #"),
    ("(mu1 + mu2)^2", 12, 12,
     "(mu1 - mu2)^2) - 1/2",
     "(mu1 + mu2)^2) - 1/2"),
    ("wrong normaliser in p1 (no pi)", 2, 0,
     "let: p1 = exp(-(x - mu1)^2 / (2*sigma1^2)) / Z1",
     "let: p1 = exp(-(x - mu1)^2 / (2*sigma1^2)) / sqrt(2*sigma1^2)"),
    ("wrong normaliser Z1 (no pi), so ∫p1 ≠ 1", 4, 0,
     "let: Z1 = sqrt(2*pi*sigma1^2)",
     "let: Z1 = sqrt(2*sigma1^2)"),
]
MUTANTS = [
    (name, index, _mutate_header(old, new) if step == 0 else _mutate(step, old, new))
    for name, index, step, old, new in EDITS
]


def _independent_value(expr: sp.Expr, point: dict[sp.Symbol, float]) -> float:
    """``expr`` at ``point`` by SciPy quadrature, independently of the engine.

    Logarithms in the integrands are expanded first (sound: the densities are positive), so
    the integrand is a polynomial times exp(...) and its tails underflow harmlessly to 0.
    """
    values = {s: sp.Rational(repr(v)) for s, v in point.items()}
    expr = expr.subs(values)
    for node in sorted(expr.atoms(sp.Integral), key=sp.count_ops):
        var, _, _ = node.limits[0]
        f = sp.lambdify(var, sp.expand_log(node.function, deep=True), "math")
        centre = float(values.get(sp.Symbol("mu1", real=True), 0))
        left, _ = integrate.quad(f, -np.inf, centre, epsabs=1e-13, epsrel=1e-12, limit=200)
        right, _ = integrate.quad(f, centre, np.inf, epsabs=1e-13, epsrel=1e-12, limit=200)
        expr = expr.xreplace({node: sp.Float(left + right, 20)})
    return float(sp.N(expr, 20))


def test_there_are_at_least_twenty_mutants():
    assert len(MUTANTS) >= 20
    assert len({text for _, _, text in MUTANTS}) == len(MUTANTS)


#: step results by the text that decides them (the file up to the step's last line): the
#: mutants share the steps before their mutation with the bundled file, and the engine is
#: deterministic, so each such step is checked once for all of them
_CHECKED: dict[str, object] = {}


def _checked(d, text, j):  # type: ignore[no-untyped-def]
    """``check_step`` of step ``j`` (0-based) of ``d``, parsed from ``text``; cached."""
    lines, starts = text.splitlines(), _step_lines(text)
    key = "\n".join(lines[:starts[j + 1]] if j + 1 < len(starts) else lines)
    if key not in _CHECKED:
        _CHECKED[key] = check_step(d, d.steps[j])
    return _CHECKED[key]


@pytest.mark.parametrize(("name", "index", "text"), MUTANTS, ids=[m[0] for m in MUTANTS])
def test_mutant_is_refuted_at_its_step(name, index, text):
    d = parse_derivation(text, file="mutant.deriv")
    for j in range(index):  # the steps after the first failure do not matter here
        d.steps[j].result = _checked(d, text, j)
    failure = d.first_failure
    assert failure is not None, name
    assert failure.index == index, (name, failure.index, failure.result)
    result = failure.result
    assert result.verdict is Verdict.REFUTED
    cex = result.counterexample
    assert cex is not None
    by_name = d.symbols
    point = {by_name[k]: v for k, v in cex.point.items()}
    for name_, value in cex.point.items():
        if by_name[name_].is_positive:
            assert value > 0
    lhs = _independent_value(d.expand_definitions(failure.lhs(d)), point)
    rhs = _independent_value(d.expand_definitions(failure.expr), point)
    scale = max(1, abs(lhs), abs(rhs))
    assert abs(lhs - rhs) > 1e-9 * scale, "the two sides do not really differ"
    assert abs(lhs - cex.lhs) <= 1e-9 * scale
    assert abs(rhs - cex.rhs) <= 1e-9 * scale
    assert abs((lhs - rhs) - cex.difference) <= 1e-9 * max(1, abs(lhs - rhs))


def test_approximated_pi_is_refuted_exactly_with_the_constant():
    text = dict((m[0], m[2]) for m in MUTANTS)["pi approximated as 3.14159"]
    d = check_derivation(parse_derivation(text), time_limit=30.0)  # exact, even on a busy machine
    cex = d.steps[6].result.counterexample
    assert cex.note.startswith("exact:")
    # left − right = −½ log(2π σ1²) + ½ log(2 · 3.14159 · σ1²) = −½ log(π / 3.14159)
    expected = -float(sp.log(sp.pi / sp.Rational(314159, 100000)) / 2)
    assert abs(cex.difference - expected) <= 1e-12 * abs(expected)
