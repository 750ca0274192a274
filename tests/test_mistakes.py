"""The catalogue of named mistakes: each entry recognised on a wrong step that makes it, and
never a wrong name (ambiguous or unrecognised steps get None)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sympy as sp

from elbo_derivation.core.expectation import Expectation
from elbo_derivation.core.steps import Derivation, Relation, Step
from elbo_derivation.explain.mistakes import CATALOGUE, Mistake, diagnose

x, z, mu1, mu2, g, x_hat = sp.symbols("x z mu_1 mu_2 g x_hat", real=True)
s1, s2, h, C, c = sp.symbols("sigma_1 sigma_2 h C c", positive=True)
half = sp.Rational(1, 2)
Z1 = sp.sqrt(2 * sp.pi * s1**2)
p1 = sp.exp(-((x - mu1) ** 2) / (2 * s1**2)) / Z1
q = sp.Function("q(z|x)", positive=True)(z, x)
p_z = sp.Function("p(z)", positive=True)(z)
p_xz = sp.Function("p(x|z)", positive=True)(x, z)
p_x = sp.Function("p(x)", positive=True)(x)


def integral(f: sp.Expr) -> sp.Expr:
    return sp.Integral(f, (x, -sp.oo, sp.oo))


def E(f: sp.Expr, density: sp.Expr = q) -> Expectation:
    return Expectation(f, z, density)


KL_4 = sp.log(1 / sp.sqrt(h)) + (h + g**2) / 2 - half  # §4, first line
KL_4_FINAL = (h + g**2 - sp.log(h) - 1) / 2  # §4, second line
KL_3 = sp.log(s2 / s1) + (s1**2 + (mu1 - mu2) ** 2) / (2 * s2**2) - half  # §3.3
STEP_31 = -sp.log(Z1) - integral(p1 * (x - mu1) ** 2 / (2 * s1**2))  # §3.1, second line
STEP_31_EXPANDED = -sp.log(Z1) - integral(p1 * (x**2 - 2 * x * mu1 + mu1**2)) / (2 * s1**2)
ELBO_KL = E(sp.log(q / p_z)) - E(sp.log(p_xz)) + sp.log(p_x)  # §2, last line

# (catalogue name, correct expression, wrong step) -- one wrong step per entry at least
CASES = [
    ("pi-approximated", sp.log(2 * sp.pi * s1**2) / 2,
     sp.log(sp.Rational(314, 100) * 2 * s1**2) / 2),
    ("pi-approximated", -sp.log(Z1) - half, -sp.log(sp.sqrt(sp.Float("6.2832") * s1**2)) - half),
    # §3.2's cross moment: E_{p1}[x²] = σ₁² + μ₁² with μ₁² forgotten (no other term of the
    # integrand gives the same value if dropped)
    ("second-moment-missing-mean", integral(p1 * (x**2 - 2 * x * mu2 + mu2**2)),
     s1**2 - 2 * mu2 * mu1 + mu2**2),
    ("second-moment-missing-mean", E(z**2, sp.exp(-(z - g)**2 / (2 * h)) / sp.sqrt(2 * sp.pi * h)),
     h),
    ("cross-term-sign", STEP_31_EXPANDED,
     -sp.log(Z1) - integral(p1 * (x**2 + 2 * x * mu1 + mu1**2)) / (2 * s1**2)),
    ("cross-term-sign", (s1**2 + mu1**2 - 2 * mu2 * mu1 + mu2**2) / (2 * s2**2),
     (s1**2 + mu1**2 + 2 * mu2 * mu1 + mu2**2) / (2 * s2**2)),
    ("missing-cross-term", (x - mu1) ** 2 / (2 * s1**2), (x**2 + mu1**2) / (2 * s1**2)),
    ("square-of-sum", C * ((x - x_hat) ** 2 + (z - g) ** 2),
     C * (x - x_hat + z - g) ** 2),
    ("log-of-sum-split", sp.log(h + g**2) / 2, (sp.log(h) + sp.log(g**2)) / 2),
    ("kl-direction-swapped", KL_3,
     sp.log(s1 / s2) + (s2**2 + (mu2 - mu1) ** 2) / (2 * s1**2) - half),
    ("kl-direction-swapped", E(sp.log(q / p_z)), E(sp.log(p_z / q), p_z)),
    ("kl-direction-swapped", KL_4_FINAL, (sp.log(h) + (1 + g**2) / h - 1) / 2),
    ("log-evidence-sign", ELBO_KL,
     E(sp.log(q / p_z)) - E(sp.log(p_xz)) - sp.log(p_x)),
    ("log-density-sign", E(sp.log(q) - sp.log(p_xz) - sp.log(p_z) + sp.log(p_x)),
     E(sp.log(q) + sp.log(p_xz) - sp.log(p_z) + sp.log(p_x))),
    ("log-std-for-log-variance", sp.log(2 * sp.pi * s1**2) / 2, sp.log(2 * sp.pi * s1) / 2),
    ("variance-as-std", KL_4_FINAL, (h**2 + g**2 - sp.log(h**2) - 1) / 2),
    ("std-for-variance", KL_3, sp.log(s2 / s1) + (s1 + (mu1 - mu2) ** 2) / (2 * s2**2) - half),
    ("log-ratio-flipped", KL_3, sp.log(s1 / s2) + (s1**2 + (mu1 - mu2) ** 2) / (2 * s2**2) - half),
    ("variance-for-balancing-constant", (x - x_hat) ** 2 / (2 * c) + KL_4_FINAL,
     c * (x - x_hat) ** 2 + KL_4_FINAL),
    ("normaliser-dropped", integral(p1 * (sp.log(1 / Z1) - (x - mu1) ** 2 / (2 * s1**2))),
     -integral(p1 * (x - mu1) ** 2 / (2 * s1**2))),
    ("missing-minus-one", KL_4, (h + g**2 - sp.log(h)) / 2),
    # the right line has no −½ written: the term dropped is the integral (its value is ½)
    ("dropped-term", STEP_31, -sp.log(Z1)),
    ("dropped-half", KL_4, h + g**2 - sp.log(h) - 1),
    ("dropped-half", -sp.log(Z1) - half, -(sp.log(2 * sp.pi * s1**2) + 1)),
    ("dropped-half", STEP_31, -sp.log(Z1) - 1),
    ("factor-two", s1**2 + mu1**2, 2 * s1**2 + 2 * mu1**2),
    ("overall-sign", KL_4, -KL_4),
    ("sign-error", KL_4_FINAL, (h - g**2 - sp.log(h) - 1) / 2),
    ("dropped-term", KL_3, sp.log(s2 / s1) - half),
]


def test_the_catalogue_is_data_with_at_least_forty_distinct_entries() -> None:
    names = [e.name for e in CATALOGUE]
    assert len(names) == len(set(names)) >= 40
    known = set(names)
    for entry in CATALOGUE:
        assert entry.explanation and entry.title and entry.name == entry.name.lower()
        assert entry.example is not None, entry.name
        assert set(entry.special_case_of) <= known - {entry.name}
        assert entry.relation or entry.local or entry.whole, entry.name
    assert {name for name, _, _ in CASES} <= known


@pytest.mark.parametrize(("name", "right", "wrong"), CASES,
                         ids=[f"{n}-{i}" for i, (n, _, _) in enumerate(CASES)])
def test_wrong_step_is_named(name: str, right: sp.Expr, wrong: sp.Expr) -> None:
    found = diagnose(right, wrong, None, None)
    assert isinstance(found, Mistake), f"nothing found for {name}"
    assert found.name == name
    assert found.explanation


@pytest.mark.parametrize(("right", "rewritten"), [
    (KL_4, KL_4_FINAL),
    (sp.log(s2 / s1), sp.log(s2) - sp.log(s1)),
    (sp.log(2 * sp.pi * s2**2) / 2 - sp.log(2 * sp.pi * s1**2) / 2, sp.log(s2 / s1)),
    ((x - mu1) ** 2, x**2 - 2 * x * mu1 + mu1**2),
    (STEP_31_EXPANDED, -sp.log(Z1) - half),
    (ELBO_KL, E(sp.log(q) - sp.log(p_z) - sp.log(p_xz)) + sp.log(p_x)),
])
def test_correct_steps_get_no_name(right: sp.Expr, rewritten: sp.Expr) -> None:
    assert diagnose(right, rewritten, None, None) is None


@pytest.mark.parametrize("wrong", [
    KL_4_FINAL / 3,
    KL_4_FINAL + g * h,
    sp.sin(h) + g,
    (h + g**3 - sp.log(h) - 1) / 2,
])
def test_unrelated_wrong_steps_get_no_name(wrong: sp.Expr) -> None:
    assert diagnose(KL_4_FINAL, wrong, None, None) is None


def test_subexpression_points_at_the_smallest_difference() -> None:
    m = diagnose(KL_3, sp.log(s2 / s1) + (s1 + (mu1 - mu2) ** 2) / (2 * s2**2) - half, None, None)
    assert m is not None and m.name == "std-for-variance"
    assert (m.subexpression, m.expected) == (s1, s1**2)
    m = diagnose((s1**2 + mu1**2 - 2 * mu2 * mu1 + mu2**2) / (2 * s2**2),
                 (s1**2 + mu1**2 + 2 * mu2 * mu1 + mu2**2) / (2 * s2**2), None, None)
    assert m is not None and m.subexpression == 2 * mu1 * mu2


def test_never_raises_on_odd_input() -> None:
    assert diagnose("not an expression", h, None, None) is None
    assert diagnose(h, h, None, None) is None  # not wrong at all
    assert diagnose(sp.Function("f")(h), sp.log(h), None, None) is None or True
    assert diagnose(sp.log(-h - 1), sp.log(h), None, None) is None  # off the real line
    huge = sp.Pow(h, 10**6, evaluate=False)
    assert diagnose(huge, h, None, None) is None


def test_uses_the_derivations_let_definitions_for_normalisers() -> None:
    Z = sp.Symbol("Z_1")
    d = Derivation("t", {"Z_1": Z, "sigma_1": s1}, sp.S(0), [], definitions={"Z_1": Z1})
    m = diagnose(-sp.log(Z1) - half, -half, d, None)
    assert m is not None and m.name == "normaliser-dropped"


def test_engine_stores_the_name_of_a_refuted_step() -> None:
    engine = pytest.importorskip("elbo_derivation.decide.engine")
    d = Derivation("kl4", {"h": h, "g": g}, KL_4,
                   [Step(1, Relation.EQ, h + g**2 - sp.log(h) - 1, line=2)])
    result = engine.check_step(d, d.steps[0])
    assert result.verdict.value == "refuted"
    assert result.mistake == "dropped-half"
    assert "½" in result.explanation


def test_half_dropped_from_a_normaliser_is_a_dropped_half_not_a_lost_normaliser() -> None:
    rest = (s1**2 + (mu1 - mu2) ** 2) / (2 * s2**2)
    m = diagnose(sp.log(2 * sp.pi * s2**2) / 2 + rest, sp.log(2 * sp.pi * s2**2) + rest,
                 None, None)
    assert m is not None and m.name == "dropped-half"
    assert m.subexpression == sp.log(2 * sp.pi * s2**2)


DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize(("file", "correct", "wrong", "step", "name"), [
    # σ₁² − 2μ₁² + μ₁² is also what dropping the integrand's μ₁² gives: not recognised
    ("notes_s3_1.tex", r"\left((\sigma_1^2 + \mu_1^2) - 2\mu_1^2", r"\left(\sigma_1^2 - 2\mu_1^2",
     4, None),
    ("notes_s3_1.tex", r"&= -\log Z_1 - \frac{1}{2} \\", r"&= -\log Z_1 - 1 \\", 5,
     "dropped-half"),
    ("notes_s3_1.tex", r"&= -\log Z_1 - \frac{1}{2} \\", r"&= -\frac{1}{2} \\", 5,
     "normaliser-dropped"),
    ("notes_s3_1.tex", r"(\log 2\pi\sigma_1^2 + 1)", r"(\log 2\pi\sigma_1 + 1)", 6,
     "log-std-for-log-variance"),
    ("notes_s3_1.tex", r"(\log 2\pi\sigma_1^2 + 1)", r"(\log 2 \cdot 3.1416 \sigma_1^2 + 1)", 6,
     "pi-approximated"),
    ("notes_s4.tex", r"- \log h(x) - 1)", r"- \log h(x))", 1, "missing-minus-one"),
    ("notes_s4.tex", r"(h(x) + g(x)^{2} - \log h(x) - 1)", r"(h(x)^2 + g(x)^{2} - \log h(x)^2 - 1)",
     1, "variance-as-std"),
])
def test_wrong_variants_of_the_notes_latex_are_named_by_the_engine(
        file: str, correct: str, wrong: str, step: int, name: str | None) -> None:
    engine = pytest.importorskip("elbo_derivation.decide.engine")
    from elbo_derivation.read.tex import parse_tex_derivation

    text = (DATA / file).read_text(encoding="utf-8")
    assert correct in text
    d = engine.check_derivation(parse_tex_derivation(text.replace(correct, wrong, 1)))
    first = d.first_failure
    assert first is not None and first.index == step
    assert first.result.verdict.value == "refuted"
    assert first.result.mistake == name


def test_locate_difference_works_without_a_named_mistake() -> None:
    from elbo_derivation.explain.mistakes import locate_difference

    right = KL_4_FINAL
    wrong = (h + g**3 - sp.log(h) - 1) / 2  # matches no catalogue entry
    assert diagnose(right, wrong, None, None) is None
    assert locate_difference(right, wrong) == (g**2, g**3)
    assert locate_difference(right, right) is None
    assert locate_difference("text", right) is None


def test_a_term_is_dropped_only_if_the_author_wrote_it() -> None:
    # corpus geometric_mean s2: with p = 1/(1 + a) the line p/(1 - (1 - p))^2 is 1 + a once
    # the definition is substituted; (1 - p)/p (that is, a) drops no term the author wrote
    a = sp.Symbol("a", positive=True)
    p = sp.Symbol("p", positive=True)
    d = Derivation("t", {"a": a, "p": p}, p / (1 - (1 - p)) ** 2,
                   [Step(1, Relation.EQ, (1 - p) / p)], definitions={"p": 1 / (1 + a)})
    lhs = d.expand_definitions(d.steps[0].lhs(d))
    rhs = d.expand_definitions(d.steps[0].expr)
    assert sp.simplify(lhs - rhs - 1) == 0
    assert diagnose(lhs, rhs, d, d.steps[0]) is None
    # the same values with the term on the page: named
    d2 = Derivation("t", {"a": a}, 1 + a, [Step(1, Relation.EQ, a)])
    m = diagnose(1 + a, a, d2, d2.steps[0])
    assert m is not None and m.name == "dropped-term"


def test_a_number_changed_in_an_evaluated_value_is_not_located() -> None:
    # corpus score_function_gradient s2: E_q[z²(z − m)] for q = N(m, 1) is 2m; written
    # (m³ + m) − m(m² + 1), the third moment wrong. Negating the 1 of the right m(m² + 1) would
    # also give 2m, but nothing shows that this number, not another, was the wrong one
    z, m = sp.symbols("z m", real=True)
    q = sp.exp(-(z - m) ** 2 / 2) / sp.sqrt(2 * sp.pi)
    right = sp.Integral(q * z**2 * (z - m), (z, -sp.oo, sp.oo))
    written = (m**3 + m) - m * (m**2 + 1)
    assert diagnose(right, written, None, None) is None
    # a constant term of the evaluated value is located: −1 written for −½ (CASES) is named
