"""The class's HTML page as a lecturer opens it: formulas kept whole, reasons before notes,
no step count for a file never read; checked in headless Chromium (the fixture of
``test_browser.py``: skipped without Chromium on a developer machine, failed in CI)."""

from __future__ import annotations

from pathlib import Path

from test_browser import browser  # noqa: F401  (the fixture)

from elbo_derivation.marking import Mark
from elbo_derivation.report.marks import LONG_FORMULA, _with_math, marks_html

STOP = "w·(y − y_rec)² + (s₂ − log(s₂) − 1)/2"
GOAL = "C·(x − x̂)² + (h + g² − log(h) − 1)/2"
LONG = "w·(y − y_rec)² + E_q(t)[−log(s₂)/2 − (t − m)²/(2·s₂) + t²/2 + a·b·c·d]"


def rows() -> list[Mark]:
    eli = Mark("eli.deriv", "marked", steps=4, first_wrong=3, first_wrong_line=9,
               mistake="second-moment-missing-mean", goal_reached=False, carried_forward=[4],
               score=3.0, max_score=10.0, formulas=[STOP, GOAL, LONG])
    eli.reasons = [f"The goal is not reached (stops at {STOP}, the goal is {GOAL} in the "
                   "model's symbols): −4.", f"Another line, {LONG}, quoted at length."]
    eli.notes = ["Symbols matched to the model solution by their declarations and roles: the "
                 "mean g is your m, the variance h is your s₂."]
    bad = Mark("hana.deriv", "unreadable", max_score=10.0,
               reasons=["The file could not be read: hana.deriv:7:32: unexpected '*'."])
    return [eli, bad]


def test_formulas_are_wrapped_whole_and_escaped() -> None:
    out = _with_math("stops at a<b, the goal is a<b + c", ["a<b", "a<b + c"])
    assert out == ('stops at <span class="math">a&lt;b</span>, the goal is '
                   '<span class="math">a&lt;b + c</span>')
    assert len(LONG) > LONG_FORMULA
    assert f'<span class="math long">{LONG}</span>' in _with_math(LONG, [LONG])


def test_reasons_come_before_notes_and_an_unread_file_has_no_step_count() -> None:
    page = marks_html(rows(), title="Marks")
    eli = page[page.index("<tr class=\"marked\">"):page.index("<tr class=\"unreadable\">")]
    assert eli.index('<ul class="reasons">') < eli.index('<ul class="notes">')
    bad = page[page.index("<tr class=\"unreadable\">"):]
    assert "<td>–</td>" in bad and "<td>0</td>" not in bad


def test_the_page_in_chromium_breaks_no_formula(browser, tmp_path: Path) -> None:  # noqa: F811
    p = tmp_path / "marks.html"
    p.write_text(marks_html(rows() * 3, title="Marks"), encoding="utf-8")
    page = browser.new_page(viewport={"width": 1000, "height": 700})
    page.goto(p.as_uri())
    found = page.evaluate("""() => ({
      short: [...document.querySelectorAll('span.math:not(.long)')].map(
        s => s.getClientRects().length),
      scrolls: document.documentElement.scrollWidth > document.documentElement.clientWidth,
      why: Math.min(...[...document.querySelectorAll('td.why')].map(
        td => td.getBoundingClientRect().width)),
    })""")
    page.screenshot(path=str(tmp_path / "marks.png"), full_page=True)
    print(f"\nscreenshot: {tmp_path / 'marks.png'}")
    page.close()
    assert found["short"] and all(n == 1 for n in found["short"]), found
    assert not found["scrolls"]
    assert found["why"] >= 300  # the reasons column is never squeezed to a sliver


def test_the_csv_has_the_notes_and_no_step_count_for_an_unread_file() -> None:
    import csv
    import io

    from elbo_derivation.report.marks import marks_csv, render_marks_text

    by_file = {r["file"]: r for r in csv.DictReader(io.StringIO(marks_csv(rows())))}
    assert by_file["eli.deriv"]["notes"].startswith("Symbols matched to the model solution")
    assert by_file["eli.deriv"]["steps"] == "4" and by_file["hana.deriv"]["steps"] == ""
    # the summary line rounds as the page does: 1.5, never 1.5000 or 3.3333
    three = [*rows(), Mark("x.deriv", "marked", steps=1, score=0.5, max_score=10.0)]
    assert "mean 1.17, median 0.5 of 10" in render_marks_text(three)

