"""The most specific name, and the more general entries that reproduce the step as well (issue
17): a log-density term with the wrong sign is a ``log-density-sign`` and also a
``sign-error``; the JSON gives both (``mistake``, ``mistake_also``) and the report says so. A
name that no more general entry reproduces carries none. Other letters than the notes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import sympy as sp

from elbo_derivation.core.steps import SymbolicResult, Verdict
from elbo_derivation.explain.catalogue import BY_NAME, KIND_OF, kinds
from elbo_derivation.explain.mistakes import Unrecognised, diagnose
from elbo_derivation.report.text import mistake_name

_SIGN = ("symbols: u, v : real\ndensities: a(v|u), b(v), c(v)\n\n"
         "    KL(a(v|u), b(v))\n"
         "  = E[log(a(v|u)/b(v)), v ~ a(v|u)]\n"
         "  = E[log(a(v|u)/c(v)), v ~ a(v|u)] - E[log(c(v)/b(v)), v ~ a(v|u)]\n")


def _check_json(tmp_path: Path, text: str) -> dict:
    f = tmp_path / "d.deriv"
    f.write_text(text, encoding="utf-8")
    out = subprocess.run([sys.executable, "-m", "elbo_derivation", "check", "--json", str(f)],
                         capture_output=True, text=True, timeout=300)
    return json.loads(out.stdout)


def test_a_log_density_sign_is_also_a_sign_error_in_the_json(tmp_path: Path) -> None:
    d = _check_json(tmp_path, _SIGN)
    step = d["steps"][1]
    assert step["mistake"] == "log-density-sign"
    assert step["mistake_also"] == ["sign-error"]
    # what the name says it is a case of is declared in the catalogue, not made up
    assert set(step["mistake_also"]) <= set(BY_NAME["log-density-sign"].special_case_of)
    assert "sign-error" in kinds("log-density-sign")
    assert d["steps"][0]["mistake_also"] == []


def test_a_name_no_general_entry_reproduces_carries_none() -> None:
    s = sp.Symbol("s", positive=True)
    m = sp.Symbol("m", real=True)
    right = (s + m**2 - sp.log(s) - 1) / 2
    flipped = diagnose(right, (s - m**2 - sp.log(s) - 1) / 2, None, None)
    assert flipped is not None and flipped.name == "sign-error"
    assert flipped.also == ()
    # a ½ dropped in front of everything is a factor 2 as well; a lost −1 is a dropped term
    for wrong, name, also in ((s + m**2 - sp.log(s) - 1, "dropped-half", ("factor-two",)),
                              ((s + m**2 - sp.log(s)) / 2, "missing-minus-one",
                               ("dropped-term",))):
        found = diagnose(right, wrong, None, None)
        assert found is not None and (found.name, found.also) == (name, also)
        assert set(found.also) <= set(BY_NAME[name].special_case_of)


def test_the_report_says_the_general_names_beside_the_specific_one() -> None:
    r = SymbolicResult(Verdict.REFUTED, "algebra", 0.0, mistake="cross-term-sign",
                       mistake_also=("sign-error",))
    assert mistake_name(r) == "cross-term-sign (also a sign-error)"
    r.mistake_also = ()
    assert mistake_name(r) == "cross-term-sign"


def test_kinds_are_declared_entries_and_hold_for_every_instance() -> None:
    for name, general in KIND_OF.items():
        assert name in BY_NAME and all(g in BY_NAME for g in general)
        assert name not in kinds(name)
    # a chain-rule factor forgotten is a sign only when the factor is −1: no kind
    assert kinds("chain-rule-factor-forgotten") == ()
    assert kinds("jensen-reversed") == ("inequality-reversed",)


def test_a_whole_line_negated_is_said_to_be_a_sign_error_too() -> None:
    a = sp.Symbol("a", positive=True)
    b = sp.Symbol("b", real=True)
    found = diagnose(a**2 - b, -(a**2 - b), None, None)
    assert found is not None and found.name == "overall-sign"
    assert "sign-error" in found.also


def test_a_tie_names_nothing_and_lists_the_mistakes_that_each_reproduce_the_step(
        tmp_path: Path) -> None:
    # σ(log(u/w)) = u/(u + w); w/(u + w) is the ratio u/w turned over and the complement
    # 1 − u/(u + w) alike: no name, both said
    d = _check_json(tmp_path, "symbols: u, w : positive\n\n"
                              "    sigmoid(log(u/w))\n  = w/(u + w)\n")
    step = d["steps"][0]
    assert step["verdict"] == "refuted" and step["mistake"] is None
    assert sorted(step["mistake_candidates"]) == ["complement-probability", "ratio-flipped"]
    assert step["explanation"].startswith("mistake not recognised: ")
    assert BY_NAME["ratio-flipped"].title in step["explanation"]
    # the public diagnose() keeps None for such a step unless asked for the candidates
    u, w = sp.symbols("u w", positive=True)
    right, wrong = 1 / (1 + sp.exp(-sp.log(u / w))), w / (u + w)
    assert diagnose(right, wrong, None, None) is None
    tie = diagnose(right, wrong, None, None, candidates=True)
    assert isinstance(tie, Unrecognised)
    assert set(tie.candidates) == {"ratio-flipped", "complement-probability"}


def test_a_named_step_lists_no_candidates(tmp_path: Path) -> None:
    d = _check_json(tmp_path, "symbols: u : (0, 1)\n\n    diff(log(1 - u) + u^2, u)\n"
                              "  = 1/(1 - u) + 2*u\n")
    step = d["steps"][0]
    assert step["mistake"] == "chain-rule-factor-forgotten"
    assert step["mistake_candidates"] == [] and "sign-error" in step["mistake_also"]


def test_every_kind_of_material_says_the_general_names_as_the_report_does() -> None:
    """The handout, both slide decks, the LaTeX export and the notebook view say a named
    mistake with the more general entries beside it, in the words of the terminal report."""
    from elbo_derivation.notebook import derivation_html, result_html
    from elbo_derivation.read.deriv import parse_derivation
    from elbo_derivation.report.handout import render_html
    from elbo_derivation.report.latex import render_latex
    from elbo_derivation.report.slides import beamer_deck, html_deck

    d = parse_derivation(_SIGN)
    r = SymbolicResult(Verdict.REFUTED, "algebra", 0.0, mistake="log-density-sign",
                       mistake_also=("sign-error",))
    d.steps[1].result = r
    said = "log-density-sign (also a sign-error)"
    shown = {
        "handout": render_html([d]),
        "html slides": html_deck([d]),
        "beamer slides": beamer_deck([d]),
        "latex": render_latex(d, verdicts=True),
        "notebook": derivation_html(d) + result_html(r),
    }
    for kind, text in shown.items():
        assert said in text, kind
    # and a name no general entry reproduces is said alone
    r.mistake_also = ()
    assert "log-density-sign (also" not in render_html([d])
    assert "likely mistake: log-density-sign" in render_html([d])
