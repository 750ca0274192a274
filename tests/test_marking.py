"""Marking: the goal, error carried forward, the model solution, scores with reasons, and
``elbo-derivation mark FOLDER`` with its CSV, JSON and HTML outputs."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from elbo_derivation import marking
from elbo_derivation.cli import main

HEADER = "symbols: x, m : real\nsymbols: s : positive\n"
START = "log(exp(-(x - m)^2/(2*s^2))/sqrt(2*pi*s^2))"
L1 = "log(exp(-(x - m)^2/(2*s^2))) - log(sqrt(2*pi*s^2))"
L2 = "-(x - m)^2/(2*s^2) - log(sqrt(2*pi*s^2))"
L3 = "-(x - m)^2/(2*s^2) - log(2*pi*s^2)/2"
L4 = "-(x - m)^2/(2*s^2) - log(2*pi)/2 - log(s)"
SLIP3 = "-(x - m)^2/(2*s^2) - log(2*pi*s^2)"
SLIP4 = "-(x - m)^2/(2*s^2) - log(2*pi) - 2*log(s)"


def script(*lines: str, goal: str | None = None) -> str:
    head = HEADER + (f"goal: {goal}\n" if goal else "")
    return head + START + "\n" + "".join(f"= {line}\n" for line in lines)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("model") / "model.deriv"
    p.write_text(script(L1, L2, L3, L4), encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def klass(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("class")
    files = {
        "correct.deriv": script(L1, L2, L3, L4),
        "regrouped.deriv": script(L2, "-log(2*pi*s^2)/2 - (x - m)^2/(2*s^2)",
                                  "-log(s) - log(2*pi)/2 - (x^2 - 2*x*m + m^2)/(2*s^2)"),
        "big.deriv": script(L4),
        "carried.deriv": script(L1, L2, SLIP3, SLIP4),
        "recovered.deriv": script(L1, L2, SLIP3, L4),
        "trivial.deriv": "symbols: x : real\nx\n= x\n",
        "early.deriv": script(L1, L2),
    }
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "binary.deriv").write_bytes(b"\xff\xfe\x00")
    (folder / "syntax.deriv").write_text(HEADER + "s +* 2\n= s\n", encoding="utf-8")
    (folder / "notes.txt").write_text("not a derivation", encoding="utf-8")
    return folder


# --- the goal ---------------------------------------------------------------------------------


def test_goal_header_reached_and_exit_0(tmp_path: Path, capsys) -> None:
    p = tmp_path / "a.deriv"
    p.write_text(script(L1, L2, L3, L4, goal=L4), encoding="utf-8")
    code, out, _ = run(["check", str(p)], capsys)
    assert code == 0
    assert "is reached" in out


def test_x_equals_x_with_a_goal_is_not_ok(tmp_path: Path, capsys) -> None:
    p = tmp_path / "x.deriv"
    p.write_text("symbols: x : real\ngoal: 2*x\nx\n= x\n", encoding="utf-8")
    code, out, _ = run(["check", str(p)], capsys)
    assert code == 1
    assert "stops at x, the goal is 2·x" in out
    # the same file without a goal holds
    p.write_text("symbols: x : real\nx\n= x\n", encoding="utf-8")
    assert run(["check", str(p)], capsys)[0] == 0


def test_stopping_early_is_not_reaching_the_goal_though_equal(tmp_path: Path, capsys) -> None:
    p = tmp_path / "early.deriv"
    p.write_text(script(L1, L2), encoding="utf-8")
    code, out, _ = run(["check", str(p), "--goal", L4], capsys)
    assert code == 1
    assert "which equals the goal but is not yet in its form" in out


@pytest.mark.parametrize(("last", "goal", "reached"), [
    # a log of a power of one positive quantity, its exponent in front: the goal's closed form
    ("(v^2 + w^2 - 2*log(v) - 1)/2", "(v^2 + w^2 - log(v^2) - 1)/2", True),
    ("log(v^3)/3 + w", "w + log(v)", True),
    # a log of a product kept whole has not split it: not yet the goal's form
    ("log(2*pi*v^2)/2", "log(2*pi)/2 + log(v)", False),
])
def test_a_log_of_a_power_written_with_its_exponent_in_front_reaches_the_goal(
        last: str, goal: str, reached: bool) -> None:
    from elbo_derivation.read.deriv import parse_derivation

    d = parse_derivation(f"symbols: w : real\nsymbols: v : positive\n{goal}\n= {last}\n")
    ok, why = marking.check_goal(d, marking.goal_of(d, goal))
    assert ok is reached
    assert reached or "equals the goal but is not yet in its form" in why


def test_goal_on_the_command_line_is_read_by_the_grammar(tmp_path: Path, capsys) -> None:
    p = tmp_path / "a.deriv"
    p.write_text(script(L1, L2, L3, L4), encoding="utf-8")
    assert run(["check", str(p), "--goal", "-log(s) - log(2*pi)/2 - (x - m)^2/(2*s^2)"],
               capsys)[0] == 0
    code, _, err = run(["check", str(p), "--goal", "__import__('os')"], capsys)
    assert code == 2 and "--goal:1:" in err and "Traceback" not in err
    code, _, err = run(["check", str(p), "--goal", "log(undeclared)"], capsys)
    assert code == 2 and "--goal" in err


def test_goal_from_reference_and_in_tex(tmp_path: Path, model: Path, capsys) -> None:
    p = tmp_path / "a.deriv"
    p.write_text(script(L1, L2), encoding="utf-8")
    code, out, _ = run(["check", str(p), "--reference", str(model)], capsys)
    assert code == 1 and "the goal is" in out
    tex = tmp_path / "a.tex"
    tex.write_text("% symbols: a : positive\n% goal: 2\\log a\n\\begin{align*}\n"
                   "\\log a^2 &= 2\\log a\n\\end{align*}\n", encoding="utf-8")
    assert run(["check", str(tex)], capsys)[0] == 0
    tex.write_text(tex.read_text().replace("2\\log a\n\\begin", "3\\log a\n\\begin"))
    code, out, _ = run(["check", str(tex)], capsys)
    assert code == 1 and "the goal is" in out


def test_bad_goal_header_is_located(tmp_path: Path, capsys) -> None:
    p = tmp_path / "g.deriv"
    p.write_text("symbols: a : real\ngoal: a +* 1\na\n= a\n", encoding="utf-8")
    code, _, err = run(["check", str(p)], capsys)
    assert code == 2 and f"{p}:2:" in err


# --- error carried forward and recovery -------------------------------------------------------


def test_carried_forward_and_recovered_in_json(tmp_path: Path, capsys) -> None:
    p = tmp_path / "e.deriv"
    p.write_text("symbols: a : real\n(a + 1)^2\n= a^2 + 2*a + 1\n= a^2 + 2*a + 2\n"
                 "= a^2 + 2*(a + 1)\n= a^2 + 2*a + 1\n= (a + 1)^2\n", encoding="utf-8")
    code, out, _ = run(["check", str(p), "--json"], capsys)
    assert code == 1
    doc = json.loads(out)
    got = [(s["verdict"], s["status"], s["follows_from"]) for s in doc["steps"]]
    assert got == [("proved", "proved", None), ("refuted", "refuted", None),
                   ("proved", "carried-forward", 2), ("refuted", "recovered", 1),
                   ("proved", "proved", 4)]
    assert doc["first_failure"]["index"] == 2  # the first error stays the first error


def test_a_second_error_follows_from_nothing(tmp_path: Path) -> None:
    from elbo_derivation.decide.engine import check_steps

    d = check_steps(["(a + 1)^2", "a^2 + 2*a + 2", "a^2 + 7"], symbols="a")
    marks = marking.apply_error_carried_forward(d)
    assert [(m.status, m.follows_from) for m in marks] == [("refuted", None),
                                                            ("refuted", None)]


# --- marking a class ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def marked(klass: Path, model: Path) -> dict[str, marking.Mark]:
    ref = marking.load_reference(model)
    rows = marking.mark_folder(klass, reference=ref, jobs=2)
    return {m.file: m for m in rows}


def test_every_file_has_a_row_with_the_expected_score(marked) -> None:
    assert sorted(marked) == ["big.deriv", "binary.deriv", "carried.deriv", "correct.deriv",
                              "early.deriv", "notes.txt", "recovered.deriv", "regrouped.deriv",
                              "syntax.deriv", "trivial.deriv"]
    assert marked["notes.txt"].status == "ignored"  # not skipped silently
    scores = {name: m.score for name, m in marked.items() if name != "notes.txt"}
    assert scores == {"correct.deriv": 10, "regrouped.deriv": 10, "big.deriv": 9.5,
                      "carried.deriv": 3, "recovered.deriv": 7, "trivial.deriv": 0,
                      "early.deriv": 3, "binary.deriv": 0, "syntax.deriv": 0}


def test_rows_say_why(marked) -> None:
    c = marked["carried.deriv"]
    assert (c.first_wrong, c.first_wrong_line, c.carried_forward) == (3, 6, [4])
    assert c.goal_reached is False and c.left_reference_at == 3
    assert any("carried forward" in r for r in c.reasons)
    assert any(r.startswith("The goal is not reached (stops at") for r in c.reasons)
    r = marked["recovered.deriv"]
    assert r.recovered == [4] and r.goal_reached is True
    assert marked["big.deriv"].too_big == [1]
    assert "too big" in " ".join(marked["big.deriv"].reasons)
    assert marked["binary.deriv"].status == "unreadable"
    assert "UTF-8" in marked["binary.deriv"].reasons[0]
    assert "syntax.deriv:3:4:" in marked["syntax.deriv"].error
    t = marked["trivial.deriv"]
    assert t.goal_reached is False and "repeat" in " ".join(t.reasons)
    # every lost mark has a reason, and full marks have none
    for m in marked.values():
        assert bool(m.reasons) == (m.score < m.max_score), m.file


def test_rules_from_toml_change_the_score(tmp_path: Path, klass: Path, model: Path) -> None:
    rules = tmp_path / "r.toml"
    rules.write_text("[points]\ntotal = 20\ngoal = 10\nper_step = 2\nstep_cap = 10\n"
                     "carried_forward = 2\n[penalties]\nwrong_step = 3\n"
                     "[mistakes]\n\"log-inverse-sqrt\" = 0\n", encoding="utf-8")
    r = marking.load_rules(rules)
    ref = marking.load_reference(model)
    m = marking.mark_file(klass / "carried.deriv", reference=ref, rules=r)
    # 2 correct steps × 2 + 1 carried forward × 2, no goal; the named mistake costs 0
    assert (m.score, m.max_score) == (6, 20)
    m = marking.mark_file(klass / "correct.deriv", reference=ref, rules=r)
    assert m.score == 20


@pytest.mark.parametrize("text, word", [
    ("[points]\ntotl = 3\n", "totl"),
    ("[points]\ngoal = -1\n", "goal"),
    ("[points]\ngoal = 'many'\n", "goal"),
    ("[points\n", "not valid TOML"),
    ("[points]\ntotal = 2\ngoal = 4\n", "exceed"),
])
def test_bad_rules_exit_2_naming_the_key(tmp_path: Path, klass: Path, capsys, text: str,
                                         word: str) -> None:
    rules = tmp_path / "bad.toml"
    rules.write_text(text, encoding="utf-8")
    code, _, err = run(["mark", str(klass), "--rules", str(rules)], capsys)
    assert code == 2 and word in err and "Traceback" not in err


def test_default_rule_file_is_the_documented_one() -> None:
    r = marking.load_rules()
    assert r == marking.load_rules(marking.DEFAULT_RULES)
    assert (r.total, r.goal, r.per_step, r.step_cap) == (10, 4, 1.5, 6)


# --- the command and its outputs ----------------------------------------------------------------


def test_mark_command_csv_formats(tmp_path: Path, klass: Path, model: Path, capsys) -> None:
    out = tmp_path / "canvas.csv"
    code, text, _ = run(["mark", str(klass), "--reference", str(model), "--csv", str(out),
                         "--csv-format", "canvas", "--assignment", "Derivation 1"], capsys)
    assert code == 1  # two files could not be read
    assert "binary.deriv" in text and "10 files" in text
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section",
                       "Derivation 1"]
    assert rows[1][0] == "Points Possible" and rows[1][-1] == "10"
    assert {r[3]: r[-1] for r in rows[2:]}["carried"] == "3"
    code, text, _ = run(["mark", str(klass), "--reference", str(model), "--csv", "-",
                         "--csv-format", "gradescope"], capsys)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == ["Name", "SID", "Email", "Total Score", "Max Points"]
    assert {r["SID"]: r["Total Score"] for r in rows}["big"] == "9.5"
    code, text, _ = run(["mark", str(klass), "--reference", str(model), "--csv", "-"], capsys)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {"file", "steps", "first_wrong_step", "mistake", "goal_reached", "carried_forward",
            "score", "reasons"} <= set(rows[0])
    assert len(rows) == 10


def test_roster_fills_in_names(tmp_path: Path, klass: Path, model: Path, capsys) -> None:
    roster = tmp_path / "roster.csv"
    roster.write_text("file,Name,SID,Email\ncorrect.deriv,Ada L,123,ada@example.org\n",
                      encoding="utf-8")
    _, text, _ = run(["mark", str(klass), "--reference", str(model), "--csv", "-",
                      "--csv-format", "gradescope", "--roster", str(roster)], capsys)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert {"Name": "Ada L", "SID": "123", "Email": "ada@example.org", "Total Score": "10",
            "Max Points": "10"} in rows


def test_mark_json_and_html(tmp_path: Path, klass: Path, model: Path, capsys) -> None:
    j, h = tmp_path / "m.json", tmp_path / "m.html"
    run(["mark", str(klass), "--reference", str(model), "--json", str(j), "--html", str(h)],
        capsys)
    doc = json.loads(j.read_text(encoding="utf-8"))
    assert doc["summary"]["files"] == 10 and doc["summary"]["not_marked"] == 3
    assert doc["summary"]["mistakes"]["goal not reached"] == 3
    row = {f["file"]: f for f in doc["files"]}["carried.deriv"]
    assert [s["follows_from"] for s in row["step_marks"]] == [None, None, None, 3]
    page = h.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page
    assert "most common reasons for lost marks" in page
    assert "http" not in page.split("<svg", 1)[0].lower().replace("http://www.w3.org", "")


def test_not_a_folder_exit_2(tmp_path: Path, capsys) -> None:
    code, _, err = run(["mark", str(tmp_path / "missing")], capsys)
    assert code == 2 and "not a folder" in err
    code, _, err = run(["mark", str(tmp_path)], capsys)
    assert code == 2 and "no .deriv or .tex files" in err


def test_a_slow_file_gets_its_own_row(tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "c"
    folder.mkdir()
    (folder / "a.deriv").write_text(script(L1), encoding="utf-8")
    (folder / "b.deriv").write_text(script(L1, L2), encoding="utf-8")
    real = marking.mark_derivation

    def slow(d, **kw):
        while d.name == "a":  # never ends: only the file's (CPU) bound stops it
            pass
        return real(d, **kw)

    monkeypatch.setattr(marking, "mark_derivation", slow)
    rows = marking.mark_folder(folder, goal=L4, file_time_limit=0.5, jobs=2)
    assert [(m.file, m.status) for m in rows] == [("a.deriv", "timed-out"),
                                                  ("b.deriv", "marked")]
    assert "longer than 0.5 s" in rows[0].reasons[0]


# --- the autograder function ---------------------------------------------------------------------


def test_grade_returns_score_and_feedback(model: Path) -> None:
    g = marking.grade(script(L1, L2, SLIP3, SLIP4), reference=model)
    assert (g.score, g.max_score) == (3, 10)
    assert g.feedback.startswith("Score: 3 / 10")
    assert "Step 3 is wrong (line 6)" in g.feedback and "carried forward" in g.feedback
    g = marking.grade("symbols: a : real\na\n= a +* 1\n", goal="a")
    assert g.score == 0 and "could not be read" in g.feedback


def test_after_an_undecided_step_nothing_is_carried_forward() -> None:
    import sympy as sp

    from elbo_derivation.core.steps import Derivation, Relation, Step, SymbolicResult, Verdict

    a = sp.Symbol("a", real=True)
    d = Derivation("t", {"a": a}, a, [Step(1, Relation.EQ, 2 * a, text="2*a"),
                                      Step(2, Relation.EQ, a + a, text="a + a")])
    d.steps[0].result = SymbolicResult(Verdict.UNDECIDED, "none", 0.0)  # as if time ran out
    d.steps[1].result = SymbolicResult(Verdict.PROVED, "structural", 0.0)
    marks = marking.apply_error_carried_forward(d)
    assert [(m.status, m.follows_from) for m in marks] == [("undecided", None), ("proved", 1)]


def test_check_folder_holds_files_to_their_goal(tmp_path: Path, capsys) -> None:
    (tmp_path / "a.deriv").write_text("symbols: x : real\ngoal: 2*x\nx\n= x\n", encoding="utf-8")
    (tmp_path / "b.deriv").write_text("symbols: x : real\ngoal: 2*x\nx + x\n= 2*x\n",
                                      encoding="utf-8")
    code, out, _ = run(["check", str(tmp_path), "--format", "json"], capsys)
    assert code == 1
    rows = {r["file"]: r for r in json.loads(out)["files"]}
    assert rows["a.deriv"]["status"] == "goal-not-reached"
    assert "stops at x, the goal is 2·x" in rows["a.deriv"]["error"]
    assert rows["b.deriv"]["status"] == "ok"


def test_a_huge_power_is_not_multiplied_out() -> None:
    import sympy as sp

    x, m = sp.symbols("x m", real=True)
    big = (x + m) ** 100000
    assert marking.normal_form(big) is big
    assert marking.same_form(big, (m + x) ** 100000)
    assert not marking.same_form(big, x)


def test_a_goal_no_file_can_read_is_a_usage_error(klass: Path, capsys) -> None:
    code, _, err = run(["mark", str(klass), "--goal", "x +"], capsys)
    assert code == 2 and "--goal:1:" in err and "Traceback" not in err


def test_a_detour_leaves_the_model_and_the_step_back_is_not_too_big(tmp_path: Path,
                                                                    model: Path) -> None:
    ref = marking.load_reference(model)
    p = tmp_path / "detour.deriv"
    p.write_text(script("-log(s)/2 - log(2*pi*s)/2 - (x - m)^2/(2*s^2)", L4), encoding="utf-8")
    m = marking.mark_file(p, reference=ref)
    assert m.goal_reached and m.first_wrong is None
    assert m.left_reference_at == 1 and m.too_big == []
    assert m.score == 10
    assert "leaves the model solution at step 1" in m.feedback


# --- the marking judges a line as check does: with the derivation's declarations ---------------

INTERVAL = "symbols: 0 < y < 1\nlog(y^2)\n"  # |log y| = −log y only for y ≤ 1


def test_memo_compare_uses_the_declared_interval() -> None:
    from elbo_derivation.read.deriv import parse_derivation

    d = parse_derivation(INTERVAL + "= 2*log(y)\n")
    memo = marking.Memo()
    left, right = d.steps[0].expr, -2 * abs(d.steps[0].expr / 2)
    # without the declarations the step is false (y = 2), with them it is true
    assert memo.compare(right, left, "=", (), 5.0).verdict.value == "refuted"
    assert memo.compare(right, left, "=", (), 5.0, d).verdict.value == "proved"


def test_recovery_and_goal_are_judged_inside_the_declared_interval() -> None:
    from elbo_derivation.pipeline import check_derivation
    from elbo_derivation.read.deriv import parse_derivation

    d = parse_derivation(INTERVAL + "= 3*log(y)\n= -2*abs(log(y))\n")
    check_derivation(d)
    marks = marking.apply_error_carried_forward(d, memo=marking.Memo())
    assert [m.status for m in marks] == ["refuted", marking.RECOVERED]
    assert marks[1].follows_from == 0  # −2|log y| = log y² holds for 0 < y < 1
    reached, reason = marking.check_goal(d, marking.goal_of(d, "2*log(y)"), memo=marking.Memo())
    assert not reached and "which equals the goal" in reason
