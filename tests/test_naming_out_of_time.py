"""A refuted step's search of the mistake catalogue ends one of four ways, and the check says
which (issue 17): a mistake ``named``; a ``tie`` (entries that each reproduce the step, none
named); ``not-recognised`` (the whole catalogue searched, none reproduces the step); or
``out-of-time`` (the search was cut short: a name may exist that was not reached). A step that
ran out of time is never reported as if nothing in the catalogue fitted."""

from __future__ import annotations

import time

import pytest
import sympy as sp

from elbo_derivation.core.steps import SymbolicResult, Verdict
from elbo_derivation.explain import mistakes
from elbo_derivation.explain.mistakes import Unrecognised, diagnose
from elbo_derivation.read.deriv import parse_derivation
from elbo_derivation.report.json import check_json
from elbo_derivation.report.text import OUT_OF_TIME, no_name_said, render_check_text, render_text

_u = sp.Symbol("u", positive=True)
_w = sp.Symbol("w", real=True)
# (u + w²)/2 with the ½ lost: a dropped ½, found well inside the budget
_RIGHT, _WRONG = (_u + _w**2) / 2, _u + _w**2


def _burn_ticking(entry, ctx):  # an entry that never ends but looks at its clock
    while True:
        ctx.tick()


def _burn_silently(entry, ctx):  # an entry that never looks at its clock
    end = time.process_time() + 60
    while time.process_time() < end:
        pass
    return []


def test_a_search_that_runs_out_of_its_clock_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    assert diagnose(_RIGHT, _WRONG, None, None).name == "dropped-half"
    monkeypatch.setattr(mistakes, "_match", _burn_ticking)
    found = diagnose(_RIGHT, _WRONG, None, None, candidates=True, seconds=0.3)
    assert found == Unrecognised(timed_out=True)
    assert "ran out of time" in found.explanation
    # asked for a name only, the caller still gets None: nothing is named
    assert diagnose(_RIGHT, _WRONG, None, None, seconds=0.3) is None


def test_a_search_stopped_by_its_bound_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mistakes, "_match", _burn_silently)
    start = time.process_time()
    found = diagnose(_RIGHT, _WRONG, None, None, candidates=True, seconds=0.3)
    assert found == Unrecognised(timed_out=True)
    assert time.process_time() - start < 5


def test_nothing_fits_is_not_said_to_be_out_of_time() -> None:
    # u + w² for (u + w²)/2 · 3: a factor 3/2 no entry makes
    found = diagnose(_RIGHT, 3 * _WRONG / 4, None, None, candidates=True, seconds=30)
    assert found is None


_FILE = "symbols: a : positive\nsymbols: b : real\n\n    (a + b^2)/2\n  = a + b^2\n"


def _checked(monkeypatch: pytest.MonkeyPatch, returned: object):
    from elbo_derivation.pipeline import check_derivation

    monkeypatch.setattr(mistakes, "diagnose", lambda *args, **options: returned)
    return check_derivation(parse_derivation(_FILE))


@pytest.mark.parametrize(("returned", "status"), [
    (Unrecognised(timed_out=True), "out-of-time"),
    (Unrecognised(("ratio-flipped", "complement-probability")), "tie"),
    (None, "not-recognised"),
])
def test_the_json_and_the_report_say_how_the_search_ended(
        monkeypatch: pytest.MonkeyPatch, returned: object, status: str) -> None:
    d = _checked(monkeypatch, returned)
    r = d.steps[0].result
    assert r.verdict is Verdict.REFUTED and r.mistake is None
    assert r.mistake_status == status
    step = check_json(d)["steps"][0]
    assert step["mistake_status"] == status and step["mistake"] is None
    for text in (render_text([d]), render_check_text(d)):
        assert (OUT_OF_TIME in text) == (status == "out-of-time")


def test_a_named_step_says_named_and_a_right_one_says_nothing() -> None:
    from elbo_derivation.pipeline import check_derivation

    d = check_derivation(parse_derivation(_FILE + "  = a + 2*b^2 - b^2\n"))
    first, second = (s.result for s in d.steps)
    assert (first.mistake, first.mistake_status) == ("dropped-half", "named")
    assert second.mistake_status == ""
    steps = check_json(d)["steps"]
    assert [s["mistake_status"] for s in steps] == ["named", None]
    assert SymbolicResult(Verdict.PROVED, "algebra", 0.0).mistake_status == ""


@pytest.mark.parametrize(("returned", "said"), [
    (Unrecognised(timed_out=True), "ran out of time"),
    (Unrecognised(("ratio-flipped", "complement-probability")), "nothing on the page shows"),
])
def test_every_renderer_says_why_a_refuted_step_has_no_name(
        monkeypatch: pytest.MonkeyPatch, returned: object, said: str) -> None:
    from elbo_derivation.notebook import derivation_html
    from elbo_derivation.report.handout import render_html
    from elbo_derivation.report.latex import latex_document
    from elbo_derivation.report.slides import beamer_deck, html_deck

    d = _checked(monkeypatch, returned)
    r = d.steps[0].result
    assert r.mistake is None and no_name_said(r) and said in no_name_said(r)
    shown = {
        "terminal": render_check_text(d),
        "handout": render_html([d]),
        "html slides": html_deck([d]),
        "beamer slides": beamer_deck([d]),
        "notebook": derivation_html(d),
        "latex": latex_document([d], verdicts=True),
    }
    for where, text in shown.items():
        assert said in " ".join(text.split()), where


def test_a_search_that_ended_with_no_fit_gives_no_reason_line() -> None:
    r = SymbolicResult(Verdict.REFUTED, "algebra", 0.0, mistake_status="not-recognised")
    assert no_name_said(r) == ""
