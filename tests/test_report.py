"""The renderers: unicode expressions, the text report, the JSON contracts, LaTeX, tables.

Everything here runs on hand-made derivations whose results are filled in by hand, so the
renderers are tested apart from the engine and the numeric checks.
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
import sympy as sp

from elbo_derivation.core.expectation import Expectation
from elbo_derivation.core.steps import (
    Counterexample,
    Derivation,
    NumericCheck,
    Relation,
    Step,
    SymbolicResult,
    Verdict,
)
from elbo_derivation.report import json as report_json
from elbo_derivation.report.latex import latex_document, latex_expr, latex_text, render_latex
from elbo_derivation.report.pretty import (
    format_number,
    pretty,
    pretty_name,
    pretty_prose,
    pretty_written,
)
from elbo_derivation.report.table import folder_csv, render_folder_text, steps_csv
from elbo_derivation.report.text import (
    MARKS,
    numeric_summary,
    render_check_text,
    render_errata,
    render_text,
    use_color,
)
from elbo_derivation.verification import FolderRow, derivation_ok

ANSI = re.compile(r"\033\[[0-9;]*m")

mu1, mu2, x, g = sp.symbols("mu1 mu2 x g", real=True)
sigma1, sigma2, h = sp.symbols("sigma1 sigma2 h", positive=True)


def make_derivation() -> Derivation:
    """Four steps, one of each verdict, with numeric checks, a counterexample and a mistake."""
    start = sp.log(sigma2 / sigma1)
    steps = [
        Step(1, Relation.EQ, sp.log(sigma2) - sp.log(sigma1), "log of a quotient", line=4,
             result=SymbolicResult(Verdict.PROVED, "expand_log", 0.01,
                                   explanation="expand_log with positive σ's gives 0"),
             quadrature=NumericCheck("quadrature", True,
                                     {"worst_rel_error": 3e-15, "n_points": 20}),
             sampling=NumericCheck("sampling", True, {"z": 0.4})),
        Step(2, Relation.EQ, sp.log(sigma2) - sp.log(sigma1) + 0 * mu1, "numbers agree", line=5,
             result=SymbolicResult(Verdict.NUMERICALLY_SUPPORTED, "probe", 0.5,
                                   reason="no symbolic method within 5 s")),
        Step(3, Relation.EQ, sp.log(sigma2) / 2 - sp.log(sigma1), "a half too many", line=6,
             result=SymbolicResult(
                 Verdict.REFUTED, "probe", 0.2,
                 counterexample=Counterexample({"sigma1": 1.0, "sigma2": 4.0}, 1.3862943611,
                                               0.6931471806, 0.6931471806),
                 mistake="dropped-half",
                 explanation="the ½ belongs to the whole log, see §3.3")),
        Step(4, Relation.GE, sp.log(sigma2) - sp.log(sigma1) - 1, "", line=7,
             result=SymbolicResult(Verdict.UNDECIDED, "probe", 5.0,
                                   reason="time limit of 5 s reached"),
             quadrature=NumericCheck("quadrature", False, {"worst_rel_error": 0.25},
                                     "sides differ at 3 of 20 points")),
    ]
    return Derivation(
        title="log ratio",
        name="log_ratio",
        source="notes §3",
        path="notes/log_ratio.deriv",
        symbols={"sigma1": sigma1, "sigma2": sigma2, "mu1": mu1},
        start=start,
        steps=steps,
        metadata={"timings": {"read": 0.01, "symbolic": 0.71}},
    )


def proved_derivation() -> Derivation:
    a = sp.Symbol("a", positive=True)
    return Derivation(
        title="all good", name="good", source="test", symbols={"a": a}, start=sp.log(a**2),
        steps=[Step(1, Relation.EQ, 2 * sp.log(a), "log of a power", line=3,
                    result=SymbolicResult(Verdict.PROVED, "expand_log", 0.001))],
    )


# ---------------------------------------------------------------------------- pretty


@pytest.mark.parametrize(
    ("name", "expected"),
    [("sigma1", "σ₁"), ("sigma_2", "σ₂"), ("mu1", "μ₁"), ("mu_2", "μ₂"), ("x_hat", "x̂"),
     ("Z1", "Z₁"), ("eps", "ε"), ("g", "g"), ("log_var", "log_var"), ("z_k", "zₖ")],
)
def test_pretty_names(name: str, expected: str) -> None:
    assert pretty_name(name) == expected


def test_pretty_expressions_read_like_the_notes() -> None:
    assert pretty(sigma1**2 + mu1**2) == "μ₁² + σ₁²"
    assert pretty(-(x - mu1) ** 2 / (2 * sigma1**2)) == "−(x − μ₁)²/(2·σ₁²)"
    assert pretty(sp.sqrt(h)) == "√h"
    assert pretty(sp.Integral(x**2, (x, -sp.oo, sp.oo))) == "∫ x² dx"
    assert pretty(sp.Integral(x, (x, 0, 1))) == "∫_0^1 x dx"
    assert pretty(sp.Abs(x)) == "|x|"
    assert pretty(sp.pi * sp.oo) == "∞"  # SymPy evaluates it; the printer must not choke
    assert pretty(sp.Float(0.125) * x) == "0.125·x"


def test_pretty_densities_print_as_their_names() -> None:
    z = sp.Symbol("z", real=True)
    q = sp.Function("q(z|x)", positive=True)(z, x)
    p = sp.Function("p(x|z)", positive=True)(x, z)
    assert pretty(q) == "q(z|x)"
    assert "q(z|x)(z, x)" not in pretty(sp.log(q / p))
    assert pretty(Expectation(sp.log(p), z, q)) == "E_q(z|x)[log(p(x|z))]"
    assert pretty(sp.Function("f")(z)) == "f(z)"


def test_format_number() -> None:
    assert format_number(-2.5) == "−2.5"
    assert format_number(1e-15) == "1e-15"
    assert format_number(float("inf")) == "∞"
    assert format_number(3) == "3"


@pytest.mark.parametrize(
    ("written", "shown"),
    [("= (sigma1^2 + mu1^2) - 2*mu1^2 + mu1^2", "(σ₁² + μ₁²) − 2·μ₁² + μ₁²"),
     ("<= -x + 1", "−x + 1"),
     (">= Integral(p1*(x - mu1)^2, (x, 0, oo))", "∫_0^∞ p₁·(x − μ₁)² dx"),
     ("= Integral(a + b, (x, -oo, oo))", "∫ (a + b) dx"),
     ("=~ [g, h] E[(x - f(z))^2/(2*c), z ~ q(z|x)]", "E_q(z|x)[(x − f(z))²/(2·c)]"),
     ("= abs(x_hat) * sqrt(2*pi)", "|x̂|·√(2·π)"),
     ("= 2^-1 ** 3", "2^−1³")])
def test_pretty_written_keeps_the_authors_form(written: str, shown: str) -> None:
    assert pretty_written(written) == shown


@pytest.mark.parametrize("written", ["= $\\frac{1}{2}$", "= (a + b", "= a + b)",
                                     "= Integral(x)", "= E[x]", "\\log a"])
def test_pretty_written_gives_up_rather_than_guess(written: str) -> None:
    assert pretty_written(written) is None


def test_pretty_prose_touches_only_declared_names() -> None:
    assert pretty_prose("E[x^2] = sigma1^2 + mu1^2 - a mu", ["x", "sigma1", "mu1"]) == (
        "E[x²] = σ₁² + μ₁² − a mu")


# ---------------------------------------------------------------------------- text


def test_text_report_shows_steps_as_written() -> None:
    d = proved_derivation()
    d.start_text = "log(a^2)"
    d.steps[0].text = "= 2*log(a)  "
    out = render_text([d], timings=False)
    assert "log(a²)" in out.splitlines()[1] and "  ✓   1 = 2·log(a)   — log of a power" in out
    d.steps[0].text = r"= $2\log a$"  # not plain .deriv syntax: SymPy's form instead
    assert "  ✓   1 = 2·log(a)" in render_text([d], timings=False)
    d.steps[0].text = "= (a - a) + 2*log(a)"  # the author's form wins over SymPy's
    assert "  ✓   1 = (a − a) + 2·log(a)" in render_text([d], timings=False)
    step = report_json.verify_json([d])["derivations"][0]["steps"][0]
    assert (step["lhs"], step["rhs"]) == ("log(a²)", "(a − a) + 2·log(a)")



def test_text_report_one_line_per_step_with_marks() -> None:
    d = make_derivation()
    out = render_text([d])
    step_lines = [ln for ln in out.splitlines() if re.match(r"^  \S +\d+ ", ln)]
    assert len(step_lines) == 4
    for line, verdict in zip(step_lines, [Verdict.PROVED, Verdict.NUMERICALLY_SUPPORTED,
                                          Verdict.REFUTED, Verdict.UNDECIDED], strict=True):
        assert line.lstrip().startswith(MARKS[verdict])
    assert "log(σ₂) − log(σ₁)" in step_lines[0] and "log of a quotient" in step_lines[0]
    assert " ≥ " in step_lines[3]
    assert not ANSI.search(out)


def test_text_report_details() -> None:
    out = render_text([make_derivation()])
    assert "quadrature ✓ worst err 3e-15 (20 points)" in out
    assert "sampling ✓ z = 0.4" in out
    assert "quadrature ✗ worst err 0.25 — sides differ at 3 of 20 points" in out
    assert "counterexample at σ₁ = 1, σ₂ = 4: left side 1.38629, right side 0.693147" in out
    assert "mistake: dropped-half — the ½ belongs to the whole log, see §3.3" in out
    assert "no symbolic method within 5 s" in out and "time limit of 5 s reached" in out
    summary = out.splitlines()[-3:]
    assert summary[0] == ("4 steps: 1 ✓ proved, 1 ≈ numerically supported, 1 ✗ refuted, "
                          "1 ? undecided")
    assert summary[1] == "numeric checks: 1/2 quadrature passed, 1/1 sampling passed"
    assert summary[2].startswith("time: 0.72 s (read 0.01 s, symbolic 0.71 s)")


def test_text_report_explain_and_colour() -> None:
    d = make_derivation()
    assert "proved by expand_log: expand_log with positive σ's gives 0" in render_text(
        [d], explain=True)
    assert "proved by" not in render_text([d])
    coloured = render_text([d], color=True)
    assert ANSI.search(coloured)
    assert ANSI.sub("", coloured) == render_text([d])


def test_up_to_relation_names_its_variables() -> None:
    d = proved_derivation()
    d.steps[0].relation = Relation.EQ_UP_TO
    d.steps[0].wrt = ("g", "h")
    assert "≃" in render_text([d]) and "(up to a term free of g, h)" in render_text([d])


def test_check_text_names_first_wrong_step() -> None:
    out = render_check_text(make_derivation(), timings=False)
    assert "first wrong step: step 3 (line 6) — refuted" in out
    assert "at σ₁ = 1, σ₂ = 4: left side 1.38629, right side 0.693147" in out
    assert "likely mistake: dropped-half" in out
    good = render_check_text(proved_derivation(), timings=False)
    assert "every step holds" in good and "first wrong step" not in good


def test_use_color_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_color(Tty()) is True
    assert use_color(io.StringIO()) is False
    monkeypatch.setenv("NO_COLOR", "1")
    assert use_color(Tty()) is False


def test_numeric_summary_without_known_keys() -> None:
    assert numeric_summary(NumericCheck("quadrature", True, {})) == "quadrature ✓"
    assert numeric_summary(NumericCheck("sampling", False, {}, "not applicable")) == (
        "sampling ✗ — not applicable")


def test_errata_rendering() -> None:
    out = render_errata([
        {"section": "§2", "title": "the encoder is q(z|x)", "explanation": "not p(z|x)",
         "ok": True, "summary": ""},
        {"section": "§4", "title": "dropping a constant", "explanation": "only for fixed c",
         "ok": False, "summary": "the minimiser moved"},
    ])
    lines = out.splitlines()
    assert lines[0] == "Errata"
    assert lines[1].startswith("  ✓ §2") and lines[3].startswith("  ✗ §4")
    assert "check: the minimiser moved" in out
    assert render_errata(None, note="missing") == "Errata: missing"


# ---------------------------------------------------------------------------- JSON

VERIFY_STEP_KEYS = {"index", "relation", "lhs", "rhs", "justification", "symbolic",
                    "quadrature", "sampling"}
SYMBOLIC_KEYS = {"verdict", "method", "seconds", "counterexample"}
SUMMARY_KEYS = {"steps", "proved", "numerically-supported", "refuted", "undecided", "seconds"}
CHECK_STEP_KEYS = {"index", "line", "relation", "verdict", "counterexample", "mistake"}


def assert_verify_shape(doc: dict) -> None:
    """The verify JSON contract of DESIGN.md: keys present and of the right types."""
    assert set(doc) >= {"derivations", "summary"}
    assert isinstance(doc["derivations"], list)
    for d in doc["derivations"]:
        assert set(d) >= {"name", "source", "steps"}
        assert isinstance(d["name"], str) and isinstance(d["source"], str)
        for s in d["steps"]:
            assert set(s) >= VERIFY_STEP_KEYS
            assert isinstance(s["index"], int) and s["index"] >= 1
            assert s["relation"] in ("=", "<=", ">=", "=~")
            assert isinstance(s["lhs"], str) and isinstance(s["rhs"], str)
            assert isinstance(s["justification"], str)
            sym = s["symbolic"]
            assert set(sym) >= SYMBOLIC_KEYS
            assert sym["verdict"] in {v.value for v in Verdict}
            assert isinstance(sym["method"], str) and isinstance(sym["seconds"], float | int)
            assert sym["counterexample"] is None or isinstance(sym["counterexample"], dict)
            for kind in ("quadrature", "sampling"):
                assert s[kind] is None or isinstance(s[kind]["ok"], bool)
        assert [s["index"] for s in d["steps"]] == list(range(1, len(d["steps"]) + 1))
    summary = doc["summary"]
    assert set(summary) >= SUMMARY_KEYS
    assert all(isinstance(summary[k], int) for k in SUMMARY_KEYS - {"seconds"})
    assert isinstance(summary["seconds"], float | int)
    n = sum(len(d["steps"]) for d in doc["derivations"])
    assert summary["steps"] == n
    verdicts = ("proved", "numerically-supported", "refuted", "undecided")
    assert sum(summary[k] for k in verdicts) == n


def assert_check_shape(doc: dict) -> None:
    """The check JSON contract of DESIGN.md."""
    assert set(doc) >= {"file", "steps", "first_failure"}
    assert isinstance(doc["file"], str)
    for s in doc["steps"]:
        assert set(s) >= CHECK_STEP_KEYS
        assert isinstance(s["index"], int)
        assert s["line"] is None or isinstance(s["line"], int)
        assert s["verdict"] in {v.value for v in Verdict}
        assert s["mistake"] is None or isinstance(s["mistake"], str)
        if s["verdict"] == "refuted" and s["counterexample"] is not None:
            cx = s["counterexample"]
            assert set(cx) >= {"point", "lhs", "rhs", "difference"}
    ff = doc["first_failure"]
    assert ff is None or ff in doc["steps"]


def test_verify_json_contract() -> None:
    doc = json.loads(report_json.dumps(report_json.verify_json(
        [make_derivation(), proved_derivation()], seconds=1.5)))
    assert_verify_shape(doc)
    s = doc["summary"]
    assert (s["steps"], s["proved"], s["numerically-supported"], s["refuted"],
            s["undecided"], s["seconds"]) == (5, 2, 1, 1, 1, 1.5)
    first = doc["derivations"][0]
    assert (first["name"], first["source"]) == ("log_ratio", "notes §3")
    step = first["steps"][0]
    assert step["lhs"] == "log(σ₂/σ₁)" and step["rhs"] == "log(σ₂) − log(σ₁)"
    assert step["quadrature"] == {"kind": "quadrature", "ok": True,
                                  "worst_rel_error": 3e-15, "n_points": 20}
    refuted = first["steps"][2]["symbolic"]
    assert refuted["verdict"] == "refuted" and refuted["mistake"] == "dropped-half"
    assert refuted["counterexample"]["point"] == {"sigma1": 1.0, "sigma2": 4.0}
    assert first["steps"][3]["relation"] == ">="


def test_check_json_contract() -> None:
    doc = json.loads(report_json.dumps(report_json.check_json(make_derivation(),
                                                              file="x.deriv")))
    assert_check_shape(doc)
    assert doc["file"] == "x.deriv"
    assert [s["index"] for s in doc["steps"]] == [1, 2, 3, 4]
    assert [s["line"] for s in doc["steps"]] == [4, 5, 6, 7]
    assert doc["first_failure"]["index"] == 3
    assert doc["first_failure"]["mistake"] == "dropped-half"
    assert report_json.check_json(proved_derivation(), file="g")["first_failure"] is None


def test_json_is_strict_with_non_finite_numbers() -> None:
    d = proved_derivation()
    d.steps[0].result = SymbolicResult(
        Verdict.REFUTED, "probe", 0.1,
        counterexample=Counterexample({"a": 0.5}, float("inf"), 1.0, float("inf")))
    text = report_json.dumps(report_json.check_json(d, file="f"))
    doc = json.loads(text)  # allow_nan=False in dumps would have raised on a bare inf
    assert doc["steps"][0]["counterexample"]["lhs"] == "inf"


# ---------------------------------------------------------------------------- LaTeX


def test_render_latex_align() -> None:
    tex = render_latex(make_derivation())
    lines = tex.splitlines()
    assert lines[0] == r"\begin{align*}" and lines[-1] == r"\end{align*}"
    assert len(lines) == 2 + 1 + 4  # begin, start, four steps, end
    assert lines[2].startswith("  &= ") and r"\footnotesize (1) log of a quotient}" in lines[2]
    assert lines[5].startswith(r"  &\ge ")
    assert all(line.endswith(r"\\") for line in lines[1:-2])
    assert r"\sigma_{2}" in tex


def test_latex_conventions() -> None:
    z = sp.Symbol("z", real=True)
    q = sp.Function("q(z|x)", positive=True)(z, x)
    assert latex_expr(q) == r"q(z|x)"  # as the LaTeX reader reads it back
    assert latex_expr(sp.Symbol("x_hat")) == r"\hat{x}"
    assert latex_expr(sp.Integral(x, (x, -sp.oo, sp.oo))) == r"\int x \, dx"
    assert latex_text("50% & $5 #1 a_b") == r"50\% \& \$5 \#1 a\_b"
    doc = latex_document([make_derivation()], title="t")
    assert doc.count(r"\begin{align*}") == 1 and r"\end{document}" in doc


# ---------------------------------------------------------------------------- tables


def test_folder_csv_is_well_formed() -> None:
    rows = [
        FolderRow("a.deriv", "ok", steps=3),
        FolderRow("b, with comma.deriv", "refuted", steps=4, first_failure=2, line=7,
                  mistake="dropped-half"),
        FolderRow("c.deriv", "unreadable", error='c.deriv:1:4: unexpected "*"'),
    ]
    parsed = list(csv.reader(io.StringIO(folder_csv(rows))))
    assert parsed[0] == ["file", "status", "steps", "first_failure", "line", "mistake", "error"]
    assert parsed[2] == ["b, with comma.deriv", "refuted", "4", "2", "7", "dropped-half", ""]
    assert parsed[3][1] == "unreadable" and parsed[3][-1] == 'c.deriv:1:4: unexpected "*"'
    assert all(len(r) == 7 for r in parsed)
    text = render_folder_text(rows, ignored=1)
    assert "2 (line 7) refuted" in text and "unreadable: c.deriv:1:4" in text
    assert text.splitlines()[-1] == ("3 files: 1 ok, 1 with a wrong step, 1 unreadable "
                                     "(1 other file ignored: not .deriv/.tex)")


def test_steps_csv() -> None:
    parsed = list(csv.reader(io.StringIO(steps_csv(make_derivation()))))
    assert parsed[0][:4] == ["index", "line", "relation", "verdict"]
    assert [r[3] for r in parsed[1:]] == ["proved", "numerically-supported", "refuted",
                                          "undecided"]
    assert "sigma2=4" in parsed[3][-1]


def test_derivation_ok() -> None:
    assert derivation_ok(proved_derivation())
    d = proved_derivation()
    d.steps[0].sampling = NumericCheck("sampling", False, {"z": 9.0})
    assert not derivation_ok(d) and derivation_ok(d, numeric=False)
    d.steps[0].result = None
    assert not derivation_ok(d, numeric=False)


def test_smallest_differing_part_when_recorded() -> None:
    d = make_derivation()
    r = d.steps[2].result
    assert "the part that differs" not in render_check_text(d)
    r.subexpression = sp.log(sigma2) / 2  # type: ignore[union-attr]
    r.expected = sp.log(sigma2)  # type: ignore[union-attr]
    out = render_check_text(d, timings=False)
    assert "the part that differs: log(σ₂)/2, where log(σ₂) was expected" in out
    step = report_json.check_json(d, file="f")["first_failure"]
    assert (step["subexpression"], step["expected"]) == ("log(σ₂)/2", "log(σ₂)")
