"""The multivariate KL (beyond the notes): full covariance for k = 2, its lemmas, the diagonal
case and the reduction to §3 for k = 1 — checked symbolically, compared with the numeric
``kl_mvn``, and mutants refuted."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from elbo_derivation.core.steps import Verdict
from elbo_derivation.decide import rules
from elbo_derivation.decide.engine import check_derivation, load_derivation
from elbo_derivation.notes import bundled_paths
from elbo_derivation.numeric.kl import kl_mvn, kl_normal
from elbo_derivation.read.deriv import parse_derivation, read_derivation

NOTES = Path(rules.__file__).resolve().parents[1] / "notes"
FILES = (
    "kl_multivariate",
    "kl_multivariate_quadratic_form",
    "kl_multivariate_chain_rule",
    "kl_multivariate_diagonal",
    "kl_multivariate_k1",
)


@pytest.mark.parametrize("name", FILES)
def test_every_step_is_proved(name: str) -> None:
    d = load_derivation(NOTES / f"{name}.deriv", time_limit=5.0)
    verdicts = [(s.index, s.result.verdict, s.result.method) for s in d.steps]
    assert all(v is Verdict.PROVED for _, v, _ in verdicts), verdicts
    assert "multivariate" in d.name
    assert "beyond the notes" in d.source


def test_the_files_are_bundled_for_verify() -> None:
    stems = {p.stem for p in bundled_paths()}
    assert set(FILES) <= stems
    titles = [read_derivation(NOTES / f"{n}.deriv").title for n in FILES]
    assert any("multivariate" in t.lower() for t in titles)


def _closed_form(name: str = "kl_multivariate"):
    d = read_derivation(NOTES / f"{name}.deriv")
    expr = d.expand_definitions(d.steps[-1].expr)
    names = ["a1", "b1", "c1", "a2", "b2", "c2", "m11", "m12", "m21", "m22"]
    return sp.lambdify([d.symbols[n] for n in names], expr, modules="numpy")


def test_closed_form_agrees_with_kl_mvn_at_random_spd_matrices() -> None:
    f = _closed_form()
    rng = np.random.default_rng(11)
    for _ in range(20):
        a1, c1, a2, c2 = np.exp(rng.normal(size=4))
        b1, b2 = rng.normal(size=2)
        mu1, mu2 = rng.normal(size=2), rng.normal(size=2)
        L1 = np.array([[a1, 0.0], [b1, c1]])
        L2 = np.array([[a2, 0.0], [b2, c2]])
        exact = kl_mvn(mu1, L1 @ L1.T, mu2, L2 @ L2.T)
        ours = f(a1, b1, c1, a2, b2, c2, *mu1, *mu2)
        assert np.isclose(ours, exact, rtol=1e-10, atol=1e-12)


def test_closed_form_is_the_matrix_formula() -> None:
    """tr21, maha, det are the entries-written-out versions of the matrix expressions."""
    d = read_derivation(NOTES / "kl_multivariate.deriv")
    s = d.symbols
    L1 = sp.Matrix([[s["a1"], 0], [s["b1"], s["c1"]]])
    L2 = sp.Matrix([[s["a2"], 0], [s["b2"], s["c2"]]])
    S1, S2 = L1 * L1.T, L2 * L2.T
    dm = sp.Matrix([s["m21"] - s["m11"], s["m22"] - s["m12"]])
    matrix_form = (
        (S2.inv() * S1).trace() + (dm.T * S2.inv() * dm)[0] - 2 + sp.log(S2.det() / S1.det())
    ) / 2
    ours = d.expand_definitions(d.steps[-1].expr)
    assert sp.simplify(sp.expand(sp.expand_log(ours - matrix_form))) == 0


def test_k1_reduces_to_section_3() -> None:
    d = load_derivation(NOTES / "kl_multivariate_k1.deriv")
    s = d.symbols
    f = sp.lambdify([s["mu1"], s["sigma1"], s["mu2"], s["sigma2"]], d.start, modules="numpy")
    assert np.isclose(f(0.3, 0.7, -1.2, 1.9), kl_normal(0.3, 0.7, -1.2, 1.9), rtol=1e-12)


@pytest.mark.parametrize(
    ("old", "new", "index"),
    [
        ("- 2/2 + (tr21 + maha)/2", "- 1/2 + (tr21 + maha)/2", 3),  # k = 1 where k = 2
        ("= (tr21 + maha - 2 + log(det2/det1))/2", "= (tr21 + maha - 2 + log(det1/det2))/2", 4),
    ],
)
def test_mutants_are_refuted(old: str, new: str, index: int) -> None:
    text = (NOTES / "kl_multivariate.deriv").read_text(encoding="utf-8")
    assert text.count(old) == 1
    d = check_derivation(parse_derivation(text.replace(old, new), file="m.deriv"))
    failure = d.first_failure
    assert failure is not None and failure.index == index
    assert failure.result.verdict is Verdict.REFUTED


# --- matrix notation with a symbolic dimension D ----------------------------------------------

MATRIX_HEAD = ("symbols: D : positive integer\nsymbols: d : integer\n"
               "symbols: x, mu, m1, m2 : vector(D) real\nsymbols: s : vector(D) positive\n"
               "symbols: S, S1, S2 : matrix(D) positive definite\nsymbols: A, B : matrix(D)\n")


def _matrix_step(lhs: str, rhs: str):
    from elbo_derivation.decide.verdict import decide_step

    d = parse_derivation(MATRIX_HEAD + f"  {lhs}\n= {rhs}\n", file="m.deriv")
    return decide_step(d, d.steps[0], time_limit=5.0)


@pytest.mark.parametrize(("lhs", "rhs", "rule"), [
    ("tr(A*B) + tr(2*A)", "tr(B*A) + 2*tr(A)", "cyclic property"),
    ("tr(inv(S2)*S1)", "tr(S1*inv(S2))", "cyclic property"),
    ("log(det(S2)/det(S1))", "log(det(S2)) - log(det(S1))", None),
    ("logdet(S1*inv(S2))", "log(det(S1)) - log(det(S2))", "determinant of a product"),
    ("transpose(x - mu)*inv(S)*(x - mu)", "tr(inv(S)*(x - mu)*transpose(x - mu))",
     "cyclic property"),
    ("transpose(m2 - m1)*inv(S)*(m2 - m1)", "transpose(m1 - m2)*inv(S)*(m1 - m2)", None),
    ("logdet(diag(s^2))", "Sum(log(s[d]^2), (d, 1, D))", "determinant of a diagonal"),
    ("tr(diag(s^2)) + transpose(mu)*mu", "Sum(s[d]^2 + mu[d]^2, (d, 1, D))", "entry by entry"),
    ("det(2*A)", "2^D*det(A)", "determinant of a product"),
])
def test_dimension_free_steps_are_proved_by_rule(lhs: str, rhs: str, rule: str | None) -> None:
    r = _matrix_step(lhs, rhs)
    assert r.verdict is Verdict.PROVED and r.method == "matrix-rules", r
    if rule is not None:
        assert any(rule in x for x in r.rules), r.rules


@pytest.mark.parametrize(("lhs", "rhs"), [
    ("tr(inv(S2)*S1)", "tr(inv(S1)*S2)"),                       # the ratio inverted
    ("log(det(S2)/det(S1))", "log(det(S1)) - log(det(S2))"),     # the log ratio flipped
    ("transpose(x - mu)*inv(S)*(x - mu)", "transpose(x)*inv(S)*x - transpose(mu)*inv(S)*mu"),
    ("tr(A*B)", "tr(A)*tr(B)"),                                  # trace of a product split
    ("logdet(diag(s^2))", "Sum(log(s[d]), (d, 1, D))"),          # σ for σ²
    ("tr(A + B)", "tr(A) + tr(B) + 1"),
])
def test_wrong_matrix_steps_are_refuted_at_a_small_dimension(lhs: str, rhs: str) -> None:
    r = _matrix_step(lhs, rhs)
    assert r.verdict is Verdict.REFUTED, r
    assert r.counterexample is not None and r.counterexample.point["D"] in (1, 2, 3)
    assert r.counterexample.lhs != pytest.approx(r.counterexample.rhs)


def test_a_true_step_without_a_rule_is_only_numerically_supported() -> None:
    # det(A Aᵀ) = det(A)²: no rule of the tier writes det(Aᵀ) as det(A)
    r = _matrix_step("det(A*transpose(A))", "det(A)^2")
    assert r.verdict in (Verdict.NUMERICALLY_SUPPORTED, Verdict.PROVED), r
    if r.verdict is Verdict.NUMERICALLY_SUPPORTED:
        assert "random instances" in r.reason


def test_the_random_instances_satisfy_their_declarations() -> None:
    from elbo_derivation.decide import matrices

    d = parse_derivation(MATRIX_HEAD + "  tr(S) + tr(A) + transpose(s)*s\n= 0\n")
    for seed in (0, 1):
        for dims, shown, _, _ in matrices.instances(d.start, d.start, seed):
            n = dims["D"]
            assert n in (1, 2, 3) and "S = " in shown
    S = d.symbols["S"]
    rng = __import__("random").Random(3)
    for n in (1, 2, 3):
        value = np.array(matrices.instance_of(S, n, rng).tolist(), dtype=float)
        assert np.allclose(value, value.T) and np.all(np.linalg.eigvalsh(value) > 0)


def test_the_instances_agree_with_kl_mvn() -> None:
    """The trace/log-det form at an instance is the KL that numeric.kl_mvn computes."""
    from elbo_derivation.decide import matrices

    text = MATRIX_HEAD + ("  (tr(inv(S2)*S1) + transpose(m2 - m1)*inv(S2)*(m2 - m1) - D"
                          " + log(det(S2)/det(S1)))/2\n= 0\n")
    d = parse_derivation(text)
    s = d.symbols
    for dims, _, value, _ in matrices.instances(d.start, sp.S.Zero, seed=2):
        n = dims["D"]
        rng = __import__("random").Random(1000 * 2 + n)
        got = {m: np.array(matrices.instance_of(m, n, rng).tolist(), dtype=float)
               for m in sorted(d.start.atoms(sp.MatrixSymbol), key=str)}
        exact = kl_mvn(got[s["m1"]].ravel(), got[s["S1"]], got[s["m2"]].ravel(), got[s["S2"]])
        assert float(value) == pytest.approx(exact, rel=1e-12)


@pytest.mark.parametrize(("text", "message"), [
    ("tr(x)", "not a square matrix"),
    ("S*transpose(S*x) + 1", "shapes do not match"),
    ("S + 1", "matrix added to a number"),
    ("diag(S)", "not a vector"),
])
def test_meaningless_matrix_expressions_are_refused_where_written(text: str,
                                                                  message: str) -> None:
    from elbo_derivation.errors import DerivationSyntaxError

    with pytest.raises(DerivationSyntaxError, match=message) as err:
        parse_derivation(MATRIX_HEAD + f"  {text}\n= 0\n", file="m.deriv")
    assert err.value.line == 7


def test_the_latex_matrix_notation_reads_as_the_deriv_one() -> None:
    from elbo_derivation.read.tex import parse_tex_derivation

    tex = ("% symbols: D : positive integer\n% symbols: x, \\mu : vector(D) real\n"
           "% symbols: \\Sigma : matrix(D) positive definite\n"
           "\\begin{align*}\n(x - \\mu)^\\top\\Sigma^{-1}(x - \\mu) + \\log|\\Sigma|"
           " + \\operatorname{tr}(\\Sigma^{-1}) &= (x - \\mu)^T\\Sigma^{-1}(x - \\mu)"
           " + \\log\\det\\Sigma + \\mathrm{tr}\\,\\Sigma^{-1}\n\\end{align*}\n")
    d = parse_tex_derivation(tex)
    assert d.start == d.steps[0].expr
    assert d.start.has(sp.Determinant, sp.Trace, sp.Inverse)


EXPECT_HEAD = MATRIX_HEAD + "densities: q(x) = N(mu, S)\n"


@pytest.mark.parametrize(("rhs", "verdict"), [
    ("D", Verdict.PROVED),                                          # the trace trick
    ("D + 1", Verdict.REFUTED),
    ("tr(inv(S)*S) + 0", Verdict.PROVED),
])
def test_the_expected_quadratic_form_of_a_multivariate_normal(rhs: str, verdict: Verdict) -> None:
    from elbo_derivation.decide.verdict import decide_step

    d = parse_derivation(EXPECT_HEAD + "  E[transpose(x - mu)*inv(S)*(x - mu), x ~ q(x)]\n"
                         f"= {rhs}\n")
    r = decide_step(d, d.steps[0], time_limit=5.0)
    assert r.verdict is verdict, r
    if verdict is Verdict.PROVED:
        assert any("multivariate normal" in rule for rule in r.rules), r.rules


def test_an_expectation_beyond_second_moments_stays_undecided() -> None:
    from elbo_derivation.decide.verdict import decide_step

    d = parse_derivation(EXPECT_HEAD + "  E[(transpose(x)*x)^2, x ~ q(x)]\n= D\n")
    r = decide_step(d, d.steps[0], time_limit=5.0)
    assert r.verdict is Verdict.UNDECIDED and "expectation over a vector" in r.reason, r


def test_matrix_notation_has_no_numeric_check_and_says_so() -> None:
    from elbo_derivation.pipeline import run_numeric

    d = parse_derivation(MATRIX_HEAD + "  tr(A*B)\n= tr(B*A)\n")
    assert run_numeric(d, np.random.default_rng(0)) == {}
    assert d.metadata["numeric_missing"] == ["quadrature", "sampling"]


# --- matrices written out, the identity, a numeric dimension ------------------------------

def _tex_step(header: str, lhs: str, rhs: str):
    from elbo_derivation.decide.verdict import decide_step
    from elbo_derivation.read.tex import parse_tex_derivation

    d = parse_tex_derivation(header + "\\begin{align*}\n" + lhs + " &= " + rhs
                             + "\n\\end{align*}\n", file="m.tex")
    return d, decide_step(d, d.steps[0], time_limit=5.0)


WRITTEN_HEAD = "% symbols: a, d : positive\n% symbols: b, c : real\n"


@pytest.mark.parametrize(("lhs", "rhs", "verdict"), [
    (r"\det\begin{pmatrix} a & b \\ c & d \end{pmatrix}", "a d - b c", Verdict.PROVED),
    (r"\det\begin{pmatrix} a & b \\ c & d \end{pmatrix}", "a d + b c", Verdict.REFUTED),
    (r"\begin{vmatrix} a & 0 \\ c & d \end{vmatrix}", "a d", Verdict.PROVED),
    (r"\operatorname{tr}\begin{bmatrix} a & b \\ c & d \end{bmatrix}", "a + d", Verdict.PROVED),
    (r"\operatorname{tr}\left(\begin{pmatrix} a & 0 \\ 0 & d \end{pmatrix}^{-1}\right)",
     r"\frac{1}{a} + \frac{1}{d}", Verdict.PROVED),
    (r"\begin{pmatrix} b \\ c \end{pmatrix}^\top \begin{pmatrix} a & 0 \\ 0 & d \end{pmatrix}"
     r"\begin{pmatrix} b \\ c \end{pmatrix}", "a b^2 + c^2 d", Verdict.PROVED),
    (r"\begin{pmatrix} b \\ c \end{pmatrix}^\top \begin{pmatrix} b \\ c \end{pmatrix}",
     "b^2 + c", Verdict.REFUTED),
    (r"\det\left(2 \begin{pmatrix} a & 1 \\ 0 & d \end{pmatrix}\right)", "4 a d", Verdict.PROVED),
])
def test_a_matrix_written_out_is_computed_with(lhs: str, rhs: str, verdict: Verdict) -> None:
    d, r = _tex_step(WRITTEN_HEAD, lhs, rhs)
    assert r.verdict is verdict, r
    assert d.start_text == lhs  # the row end inside the matrix is not the align's


@pytest.mark.parametrize(("text", "message"), [
    (r"\begin{pmatrix} a & b \\ c \end{pmatrix}", "row 2 of the matrix has 1 entry"),
    (r"\begin{pmatrix} a & b \\ c & d \end{bmatrix}", "closed by"),
    (r"\begin{pmatrix} 1 & 1 \\ 1 & 1 \end{pmatrix}^{-1}", "singular"),
    (r"\begin{pmatrix} a & b \\ c & d \end{pmatrix} + a", "matrix added to a number"),
    (r"\begin{pmatrix} a & b \end{pmatrix}\begin{pmatrix} a & b \end{pmatrix}",
     "shapes do not match"),
])
def test_a_meaningless_written_matrix_is_refused(text: str, message: str) -> None:
    from elbo_derivation.errors import DerivationSyntaxError
    from elbo_derivation.read.tex import latex_to_sympy

    names = {n: sp.Symbol(n, real=True) for n in "abcd"}
    with pytest.raises(DerivationSyntaxError, match=message):
        latex_to_sympy(text, symbols=names)


def test_a_written_matrix_meets_a_declared_one_of_its_size() -> None:
    head = WRITTEN_HEAD + "% symbols: S : matrix(2) positive definite\n"
    _, r = _tex_step(head, r"\operatorname{tr}\left(\begin{pmatrix} 1 & 0 \\ 0 & 1 \end{pmatrix}"
                     r" S\right)", r"\operatorname{tr} S", )
    assert r.verdict in (Verdict.PROVED, Verdict.NUMERICALLY_SUPPORTED), r
    _, r = _tex_step(head, r"\operatorname{tr}\left(\begin{pmatrix} 2 & 0 \\ 0 & 1 \end{pmatrix}"
                     r" S\right)", r"\operatorname{tr} S")
    assert r.verdict is Verdict.REFUTED, r


def test_the_triangular_flow_reads_and_its_mistakes_are_refuted_at_their_step() -> None:
    from elbo_derivation.pipeline import check_derivation as check
    from elbo_derivation.verification import read_any

    def load(path: Path):
        return check(read_any(path), time_limit=5.0)

    corpus = Path(__file__).resolve().parent / "corpus" / "flows"
    d = load(corpus / "triangular_logdet.tex")
    assert [s.result.verdict for s in d.steps] == [Verdict.PROVED, Verdict.PROVED]
    # shown as written: det of the matrix, in unicode and in LaTeX that reads back
    from elbo_derivation.read.tex import latex_to_sympy
    from elbo_derivation.report.latex import NotesLatexPrinter
    from elbo_derivation.report.pretty import shown_pretty

    assert shown_pretty(d) == "log(|det([a, 0; c, d])|)"
    exported = NotesLatexPrinter(written=True).doprint(d.start_display)
    assert r"\det\begin{pmatrix}" in exported
    assert latex_to_sympy(exported, symbols=d.symbols) == d.start
    wrong = sorted((corpus / "wrong").glob("triangular_logdet.s*.tex"))
    assert len(wrong) >= 2
    for path in wrong:
        step = int(path.name.split(".")[1][1:])
        got = load(path)
        verdicts = [s.result.verdict for s in got.steps]
        assert verdicts[step - 1] is Verdict.REFUTED and Verdict.REFUTED not in verdicts[:step - 1]


IDENTITY_HEAD = ("title: I\nsymbols: D : positive integer\nsymbols: s : positive\n"
                 "symbols: I : identity(D)\nsymbols: S : matrix(D) positive definite\n")


@pytest.mark.parametrize(("lhs", "rhs", "verdict"), [
    ("tr(I)", "D", Verdict.PROVED),
    ("log(det(s^2*I))", "D*log(s^2)", Verdict.PROVED),
    ("log(det(s^2*I))", "log(s^2)", Verdict.REFUTED),
    ("tr(inv(s^2*I)*S)", "tr(S)/s^2", Verdict.PROVED),
    ("tr(S*I) + tr(I)", "tr(S) + D + 1", Verdict.REFUTED),
    # the identity outside a trace: its entries at each small D, not a symbol left over
    ("S*transpose(S) + I", "S*transpose(S)", Verdict.REFUTED),
    ("S*S*inv(S) + I", "I + S", Verdict.NUMERICALLY_SUPPORTED),
])
def test_a_declared_identity_matrix(lhs: str, rhs: str, verdict: Verdict) -> None:
    from elbo_derivation.decide.verdict import decide_step

    d = parse_derivation(IDENTITY_HEAD + f"  {lhs}\n= {rhs}\n", file="i.deriv")
    r = decide_step(d, d.steps[0], time_limit=5.0)
    assert r.verdict is verdict, r


def test_an_extra_identity_after_the_second_moment_of_a_standard_normal_is_refuted() -> None:
    # Ghojogh et al. (2021), probabilistic PCA: E[(Wz + μ)(Wz + μ)ᵀ] = WWᵀ + μμᵀ for z ~ N(0, I);
    # with an extra I the sides differ by the identity, which the instances must evaluate
    head = ("% symbols: D : positive integer\n% symbols: \\mu : vector(D) real\n"
            "% symbols: W : matrix(D)\n% symbols: I : identity(D)\n"
            "% densities: p(z) = \\mathcal{N}(0, I)\n")
    lhs = r"\mathbb{E}_{p(z)}\left[(Wz + \mu)(Wz + \mu)^\top\right]"
    _, right = _tex_step(head, lhs, r"WW^\top + \mu\mu^\top")
    assert right.verdict in (Verdict.PROVED, Verdict.NUMERICALLY_SUPPORTED), right
    _, wrong = _tex_step(head, lhs, r"WW^\top + I + \mu\mu^\top")
    assert wrong.verdict is Verdict.REFUTED, wrong
    assert "Matrix(" not in (wrong.reason or "") + (wrong.explanation or "")


def test_the_identity_in_latex_as_a_textbook_writes_it() -> None:
    head = ("% symbols: D : positive integer\n% symbols: \\sigma : positive\n"
            "% symbols: \\mathbf{I} : identity(D)\n")
    _, r = _tex_step(head, r"\log\det(\sigma^2 \mathbf{I}_D) + \operatorname{tr}(I_D)",
                     r"2 D \log\sigma + D")
    assert r.verdict is Verdict.PROVED, r
    from elbo_derivation.errors import DerivationSyntaxError
    with pytest.raises(DerivationSyntaxError, match="identity of dimension D, not 3"):
        _tex_step(head, r"\operatorname{tr}(I_3)", "D")


def test_a_numeric_dimension() -> None:
    from elbo_derivation.decide.verdict import decide_step

    head = ("title: n\nsymbols: x : vector(3) real\nsymbols: A : matrix(3) positive definite\n"
            "symbols: I : identity(3)\n")
    d = parse_derivation(head + "  transpose(x)*I*x + tr(A*I) + tr(I)\n"
                         "= transpose(x)*x + tr(A) + 3\n= transpose(x)*x + tr(A) + 2\n")
    assert d.symbols["A"].shape == (3, 3) and d.symbols["x"].shape == (3, 1)
    verdicts = [decide_step(d, s, time_limit=5.0).verdict for s in d.steps]
    assert verdicts == [Verdict.PROVED, Verdict.REFUTED]
    from elbo_derivation.errors import DerivationSyntaxError
    for bad, message in (("vector(0)", "from 1 to"), ("matrix(K)", "whole number or a symbol")):
        with pytest.raises(DerivationSyntaxError, match=message):
            parse_derivation(f"symbols: y : {bad}\n  1\n= 1\n")


def test_a_matrix_written_out_in_a_deriv_file() -> None:
    """``[a, b; c, d]`` in .deriv, as [a, b; c, d] is shown; beside scalars and a declared
    matrix of its size, a wrong step is refuted at a point of the scalars."""
    from elbo_derivation.decide.verdict import decide_step
    from elbo_derivation.report.pretty import shown_pretty

    d = parse_derivation(
        "symbols: a, d : positive\nsymbols: b, c : real\n"
        "symbols: S : matrix(2) positive definite\n"
        "  log(det([a, 0; c, d])) + transpose([b; c])*[a, 0; 0, d]*[b; c]\n"
        "= log(a) + log(d) + a*b^2 + c^2*d + tr([1, 0; 0, 1]*S) - tr(S)\n"
        "= log(a) + log(d) + a*b^2 + c^2*d + tr(inv([2, 0; 0, 1])*S) - tr(S)\n", file="m.deriv")
    verdicts = [decide_step(d, s, time_limit=5.0) for s in d.steps]
    assert verdicts[0].verdict in (Verdict.PROVED, Verdict.NUMERICALLY_SUPPORTED), verdicts[0]
    assert verdicts[1].verdict is Verdict.REFUTED, verdicts[1]
    assert verdicts[1].counterexample.point.keys() >= {"a", "b", "c", "d"}
    assert "[2, 0; 0, 1]" in shown_pretty(d, d.steps[1])
    from elbo_derivation.errors import DerivationSyntaxError
    with pytest.raises(DerivationSyntaxError, match="row 2 of the matrix"):
        parse_derivation("symbols: a : real\n  det([a, 1; 2])\n= 0\n")


def test_an_undeclared_identity_is_told_how_to_declare_it() -> None:
    from elbo_derivation.errors import DerivationSyntaxError
    from elbo_derivation.read.tex import latex_to_sympy

    for text in (r"\mathbf{I}", "I_D"):
        with pytest.raises(DerivationSyntaxError, match=r"I : identity\(D\)"):
            latex_to_sympy(text, symbols={})


@pytest.mark.parametrize(("rhs", "verdict"), [
    ("t^2 - 2*t*transpose(mu)*m1 + transpose(m1)*(S + mu*transpose(mu))*m1", Verdict.PROVED),
    ("t^2 - 2*t*transpose(mu)*m1 + transpose(m1)*S*m1", Verdict.REFUTED),
])
def test_the_expected_square_of_a_scalar_linear_in_a_normal_vector(rhs: str,
                                                                   verdict: Verdict) -> None:
    """E[(t − xᵀa)²] over x ~ N(μ, Σ) is t² − 2t μᵀa + aᵀ(Σ + μμᵀ)a: the square of a 1×1
    product is the trace of xᵀa aᵀx (Challis & Barber 2013, the expected squared error of a
    Bayesian linear model); without μμᵀ it is refuted."""
    from elbo_derivation.decide.verdict import decide_step

    d = parse_derivation(EXPECT_HEAD + "symbols: t : real\n"
                         "  E[(t - transpose(x)*m1)^2, x ~ q(x)]\n" f"= {rhs}\n")
    r = decide_step(d, d.steps[0], time_limit=5.0)
    assert r.verdict is verdict, r
    if verdict is Verdict.PROVED:
        assert any("multivariate normal" in rule for rule in r.rules), r.rules


def test_a_power_after_a_bracketed_trace_squares_the_trace() -> None:
    # \operatorname{tr}(A)^2 is (tr A)², as \log(x)^2 is (log x)²; without a bracket the
    # trace takes the product that follows: \operatorname{tr} A^2 is tr(A²)
    from elbo_derivation.read.tex import latex_to_sympy

    a = sp.MatrixSymbol("A", 3, 3)
    assert latex_to_sympy(r"\operatorname{tr}(A)^2", symbols={"A": a}) == sp.Trace(a) ** 2
    assert latex_to_sympy(r"\mathrm{tr}\left(A\right)^{3}", symbols={"A": a}) \
        == sp.Trace(a) ** 3
    assert latex_to_sympy(r"\operatorname{tr} A^2", symbols={"A": a}) == sp.Trace(a**2)
