"""``elbo-derivation check``: one file or a folder, text / JSON / CSV, exit codes 0, 1, 2.

These run the real parser and engine on small files written here, so each check takes a
fraction of a second; the ``undecided`` exit code, which no small real file produces
reliably, is tested with a hand-made derivation.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sympy as sp

from elbo_derivation import verification
from elbo_derivation.cli import main
from elbo_derivation.core.steps import Derivation, Relation, Step, SymbolicResult, Verdict

from .test_report import assert_check_shape

GOOD = """\
title: log of a product
symbols: a, b : positive
log(a*b)
= log(a) + log(b)   # the log of a product
= log(b) + log(a)   # commutativity
"""

# line 7 is the wrong step: the ½ of log √(σ²) is dropped twice over
BAD = """\
title: a half too many
symbols: sigma : positive
symbols: mu : real
# start
log(sqrt(sigma^2))
= log(sigma)              # sqrt of a square
= 1/2*log(sigma)          # wrong: the half is not there
= log(sigma)/2            # tidy
"""

MALFORMED = "symbols: a : real\na +* 2\n= a\n"


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "good.deriv").write_text(GOOD, encoding="utf-8")
    (tmp_path / "bad.deriv").write_text(BAD, encoding="utf-8")
    (tmp_path / "broken.deriv").write_text(MALFORMED, encoding="utf-8")
    return tmp_path


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_good_file_exit_0(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["check", str(files / "good.deriv")], capsys)
    assert code == 0, out + err
    assert "every step holds" in out
    assert "  ✓   1 = " in out and "  ✓   2 = " in out and "  ✗ " not in out


def test_refuted_step_named_with_line_and_counterexample(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["check", str(files / "bad.deriv")], capsys)
    assert code == 1
    assert "first wrong step: step 2 (line 7) — refuted" in out
    line = out.splitlines()[out.splitlines().index(
        "first wrong step: step 2 (line 7) — refuted") + 1]
    assert line.lstrip().startswith("at σ = ") and "left side" in line and "right side" in line
    assert "  ✗   2 = " in out


def test_malformed_file_exit_2_without_traceback(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["check", str(files / "broken.deriv")], capsys)
    assert code == 2 and out == ""
    assert "broken.deriv:2:4:" in err and "Traceback" not in err


@pytest.mark.parametrize("name", ["missing.deriv", "notes.txt"])
def test_unusable_paths_exit_2(name: str, tmp_path: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    if name.endswith(".txt"):
        (tmp_path / name).write_text(GOOD, encoding="utf-8")
    code, _, err = run(["check", str(tmp_path / name)], capsys)
    assert code == 2 and name in err and "Traceback" not in err


def test_json_contract(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = str(files / "bad.deriv")
    code, out, _ = run(["check", path, "--json"], capsys)
    assert code == 1
    doc = json.loads(out)
    assert_check_shape(doc)
    assert doc["file"] == path
    assert [s["index"] for s in doc["steps"]] == [1, 2, 3]
    assert [s["line"] for s in doc["steps"]] == [6, 7, 8]
    assert [s["verdict"] for s in doc["steps"]] == ["proved", "refuted", "proved"]
    ff = doc["first_failure"]
    assert ff["index"] == 2 and ff["line"] == 7
    cx = ff["counterexample"]
    assert set(cx["point"]) == {"sigma"}
    assert cx["lhs"] != cx["rhs"]
    code, out, _ = run(["check", str(files / "good.deriv"), "--format", "json"], capsys)
    assert code == 0 and json.loads(out)["first_failure"] is None


def test_explain_says_what_proved_each_step(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(["check", str(files / "good.deriv"), "--explain"], capsys)
    assert code == 0
    assert out.count("proved by ") == 2
    _, plain, _ = run(["check", str(files / "good.deriv")], capsys)
    assert "proved by " not in plain


def test_numeric_option_runs_both_numeric_checks(
    files: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # an algebraic derivation: quadrature checks each step, sampling has nothing to sample
    code, out, _ = run(["check", str(files / "good.deriv"), "--numeric", "--json"], capsys)
    doc = json.loads(out)
    assert all(s["quadrature"] is not None for s in doc["steps"])
    assert all(s["quadrature"]["ok"] for s in doc["steps"])  # log(ab) = log a + log b
    assert all(s["sampling"] is None for s in doc["steps"])
    assert code == 0
    _, out, _ = run(["check", str(files / "good.deriv"), "--json"], capsys)
    assert all(s["quadrature"] is None for s in json.loads(out)["steps"])
    # a derivation with integrals: sampling estimates them too
    from elbo_derivation.notes import bundled_paths

    kl = next(p for p in bundled_paths() if p.stem == "kl_gaussians")
    code, out, _ = run(["check", str(kl), "--numeric", "--json"], capsys)
    steps = json.loads(out)["steps"]
    sampled = [s["sampling"] for s in steps if s["sampling"] is not None]
    assert sampled and all(c["kind"] == "sampling" and c["ok"] for c in sampled)
    assert code == 0


def test_csv_of_one_file(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["check", str(files / "bad.deriv"), "--format", "csv"], capsys)
    assert code == 1
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["verdict"] for r in rows] == ["proved", "refuted", "proved"]
    assert rows[1]["line"] == "7" and "sigma=" in rows[1]["counterexample"]


def test_json_and_format_disagree(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["check", str(files / "good.deriv"), "--json", "--format", "csv"], capsys)
    assert code == 2 and "disagree" in err


def test_undecided_step_exit_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    a = sp.Symbol("a", positive=True)
    undecided = SymbolicResult(Verdict.UNDECIDED, "probe", 5.0, reason="time limit")
    d = Derivation(title="t", symbols={"a": a}, start=a, path="t.deriv",
                   steps=[Step(1, Relation.EQ, a, "same", line=2, result=undecided)])
    monkeypatch.setattr(verification, "check_file", lambda *args, **kwargs: d)
    code, out, _ = run(["check", str(tmp_path / "t.deriv")], capsys)
    assert code == 1
    assert "first wrong step: step 1 (line 2) — undecided" in out and "time limit" in out


# ---------------------------------------------------------------------------- folders


@pytest.fixture
def folder(files: Path) -> Path:
    sub = files / "class"
    (sub / "late").mkdir(parents=True)
    (sub / "alice.deriv").write_text(GOOD, encoding="utf-8")
    (sub / "bob.deriv").write_text(BAD, encoding="utf-8")
    (sub / "carol.deriv").write_bytes(b"symbols: a : real\n\xff\xfe junk\n= a\n")
    (sub / "late" / "dave.deriv").write_text(GOOD, encoding="utf-8")
    (sub / "README.txt").write_text("not a derivation", encoding="utf-8")
    return sub


def test_folder_text_with_one_unreadable_file(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(["check", str(folder)], capsys)
    assert code == 1, err
    lines = out.splitlines()
    assert lines[0].split() == ["file", "steps", "first", "failing", "step", "mistake"]
    row = {ln.split()[1]: ln for ln in lines[1:5]}
    assert set(row) == {"alice.deriv", "bob.deriv", "carol.deriv", "late/dave.deriv"}
    assert row["alice.deriv"].startswith("✓") and row["late/dave.deriv"].startswith("✓")
    assert "2 (line 7) refuted" in row["bob.deriv"]
    assert "unreadable:" in row["carol.deriv"] and "not valid UTF-8" in row["carol.deriv"]
    assert lines[-1] == ("4 files: 2 ok, 1 with a wrong step, 1 unreadable "
                         "(1 other file ignored: not .deriv/.tex)")


def test_folder_csv_and_json(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["check", str(folder), "--format", "csv"], capsys)
    assert code == 1
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["file"] for r in rows] == ["alice.deriv", "bob.deriv", "carol.deriv",
                                         "late/dave.deriv"]
    assert [r["status"] for r in rows] == ["ok", "refuted", "unreadable", "ok"]
    assert rows[1]["first_failure"] == "2" and rows[1]["line"] == "7"
    assert rows[2]["error"] and rows[0]["error"] == ""
    code, out, _ = run(["check", str(folder), "--json"], capsys)
    doc = json.loads(out)
    assert code == 1
    assert doc["summary"] == {"files": 4, "ok": 2, "failing": 1, "unreadable": 1, "ignored": 1}
    assert doc["files"][1]["first_failure"] == 2


def test_folder_all_good_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.deriv").write_text(GOOD, encoding="utf-8")
    code, out, _ = run(["check", str(tmp_path)], capsys)
    assert code == 0 and "1 file: 1 ok" in out


def test_folder_without_derivations_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "notes.txt").write_text("x", encoding="utf-8")
    code, _, err = run(["check", str(tmp_path)], capsys)
    assert code == 2 and "no .deriv or .tex files" in err


def test_folder_survives_an_internal_error(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = verification.check_file

    def flaky(path: Path, **kwargs: object) -> Derivation:
        if Path(path).name == "alice.deriv":
            raise ZeroDivisionError("boom")
        return real(path, **kwargs)

    monkeypatch.setattr(verification, "check_file", flaky)
    rows = verification.check_folder(folder)
    assert [r.status for r in rows] == ["unreadable", "refuted", "unreadable", "ok"]
    assert rows[0].error == "internal error (ZeroDivisionError): boom"


# ---------------------------------------------------------------------------- limits, .tex


def test_step_limit_applies_to_every_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from elbo_derivation.read import deriv as parse

    monkeypatch.setattr(parse, "MAX_STEPS", 1)
    (tmp_path / "g.deriv").write_text(GOOD, encoding="utf-8")
    with pytest.raises(verification.InputError, match=r"more than 1 steps|at most 1"):
        verification.check_file(tmp_path / "g.deriv")


def test_tex_file_goes_to_the_latex_reader(tmp_path: Path) -> None:
    latex = pytest.importorskip("elbo_derivation.read.tex")
    if not hasattr(latex, "read_tex_derivation"):
        pytest.skip("read.tex.read_tex_derivation has not landed yet")
    path = tmp_path / "h.tex"
    path.write_text(
        "% symbols: a, b : positive\n"
        "\\begin{align*}\n"
        "\\log(a b) &= \\log a + \\log b\n"
        "\\end{align*}\n",
        encoding="utf-8",
    )
    d = verification.check_file(path)
    assert len(d.steps) == 1 and d.steps[0].verdict is Verdict.PROVED


# ---------------------------------------------------------------------------- help, process


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["check", "--help"])
    out = capsys.readouterr().out
    assert exc.value.code == 0
    assert "elbo-derivation check my_kl.deriv" in out and "--explain" in out
    assert "exit status" in out


def test_as_a_process(files: Path) -> None:
    """Once as a real process: the exit status, unicode on a pipe, no colour, no traceback."""
    proc = subprocess.run(
        [sys.executable, "-m", "elbo_derivation", "check", str(files / "bad.deriv")],
        capture_output=True, text=True, encoding="utf-8", timeout=120, check=False,
        env={**os.environ, "NO_COLOR": "1"},
    )
    assert proc.returncode == 1, proc.stderr
    assert "first wrong step: step 2 (line 7)" in proc.stdout and "σ" in proc.stdout
    assert "\033[" not in proc.stdout and "Traceback" not in proc.stderr
