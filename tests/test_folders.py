"""``check FOLDER``: every candidate file gets its own row, one bad file never stops the batch,
and the exit codes are the documented ones (0 all good; 1 a wrong step or an unreadable file;
2 only when the folder itself cannot be used).

The tests run as root in CI, where ``chmod 000`` does not stop reads, so an unreadable file
is simulated by making ``open`` fail for that one path, and unreadable entries of other kinds
are real: a broken symbolic link, a FIFO, a folder that cannot be listed (simulated).
"""

from __future__ import annotations

import builtins
import json
import os
from pathlib import Path

import pytest

from elbo_derivation import verification
from elbo_derivation.cli import main
from elbo_derivation.verification import candidate_files, check_folder

GOOD = "symbols: a : positive\n    log(a*a)\n  = 2*log(a)\n"
WRONG = "symbols: a : positive\n    log(a*a)\n  = 3*log(a)\n"
TEX = "% symbols: a : positive\n\\begin{align*}\n  \\log(a a) &= 2\\log a\n\\end{align*}\n"


def check_json(folder: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict | None, str]:
    code = main(["check", str(folder), "--json"])
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out.strip() else None), err


def rows(doc: dict) -> dict[str, dict]:
    return {r["file"]: r for r in doc["files"]}


def test_empty_folder_exits_2_with_a_message(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    code, doc, err = check_json(tmp_path, capsys)
    assert code == 2 and doc is None
    assert "no .deriv or .tex files" in err


def test_folder_with_only_other_files_exits_2(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "readme.txt").write_text("hi")
    code, _, err = check_json(tmp_path, capsys)
    assert code == 2 and "no .deriv or .tex files" in err


def test_missing_folder_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = check_json(tmp_path / "nope", capsys)
    assert code == 2 and "nope" in err


def test_mixed_files_each_get_a_row_and_others_are_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.deriv").write_text(GOOD)
    (tmp_path / "b.tex").write_text(TEX)
    (tmp_path / "c.DERIV").write_text(WRONG)
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "data.csv").write_text("1,2")
    (tmp_path / ".hidden.deriv").write_text("junk(")
    code, doc, _ = check_json(tmp_path, capsys)
    assert code == 1
    assert list(rows(doc)) == ["a.deriv", "b.tex", "c.DERIV"]
    assert rows(doc)["c.DERIV"]["status"] == "refuted"
    assert doc["summary"]["ignored"] == 2


def test_names_with_spaces_and_non_ascii(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("my homework.deriv", "Ünïcödé – σ².deriv", "日本語.tex"):
        (tmp_path / name).write_text(TEX if name.endswith(".tex") else GOOD, encoding="utf-8")
    code, doc, _ = check_json(tmp_path, capsys)
    assert code == 0
    assert sorted(rows(doc)) == sorted(["my homework.deriv", "Ünïcödé – σ².deriv", "日本語.tex"])


def test_a_folder_named_like_a_derivation_is_searched_not_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "x.deriv").mkdir()
    (tmp_path / "x.deriv" / "inner.deriv").write_text(GOOD)
    (tmp_path / "top.deriv").write_text(GOOD)
    code, doc, _ = check_json(tmp_path, capsys)
    assert code == 0
    assert list(rows(doc)) == ["top.deriv", "x.deriv/inner.deriv"]


def test_symlink_loop_ends_and_each_file_is_checked_once(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.deriv").write_text(GOOD)
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "b.deriv").write_text(GOOD)
    (sub / "up").symlink_to("..")  # a loop: sub/up/sub/up/...
    (tmp_path / "self").symlink_to(".")
    code, doc, _ = check_json(tmp_path, capsys)
    assert code == 0
    assert list(rows(doc)) == ["a.deriv", "sub/b.deriv"]


def test_broken_symlink_and_fifo_get_a_row_saying_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Regression: a FIFO named .tex used to block the whole folder check forever."""
    (tmp_path / "good.deriv").write_text(GOOD)
    (tmp_path / "gone.deriv").symlink_to(tmp_path / "does-not-exist.deriv")
    os.mkfifo(tmp_path / "pipe.tex")
    code, doc, _ = check_json(tmp_path, capsys)
    assert code == 1
    r = rows(doc)
    assert list(r) == ["gone.deriv", "good.deriv", "pipe.tex"]
    assert r["good.deriv"]["status"] == "ok"
    assert "broken symbolic link" in r["gone.deriv"]["error"]
    assert "FIFO" in r["pipe.tex"]["error"]


def test_check_a_single_fifo_is_refused_not_blocked(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    os.mkfifo(tmp_path / "pipe.deriv")
    assert main(["check", str(tmp_path / "pipe.deriv")]) == 2
    assert "FIFO" in capsys.readouterr().err


def test_unreadable_file_gets_a_row_and_does_not_stop_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("a.deriv", "b.deriv", "c.tex"):
        (tmp_path / name).write_text(TEX if name.endswith(".tex") else GOOD)
    locked = tmp_path / "b.deriv"
    real_open = builtins.open

    def guarded(file, *args, **kwargs):  # type: ignore[no-untyped-def]
        if Path(os.fsdecode(file)) == locked:
            raise PermissionError(13, "Permission denied", str(locked))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded)
    monkeypatch.setattr(Path, "read_bytes", lambda self: guarded(self, "rb").read())
    monkeypatch.setattr(Path, "read_text",
                        lambda self, *a, **k: guarded(self, "r", *a, **k).read())  # fmt: skip
    code, doc, _ = check_json(tmp_path, capsys)
    r = rows(doc)
    assert code == 1
    assert list(r) == ["a.deriv", "b.deriv", "c.tex"]
    assert r["b.deriv"]["status"] == "unreadable"
    assert "Permission denied" in r["b.deriv"]["error"]
    assert r["a.deriv"]["status"] == r["c.tex"]["status"] == "ok"


def test_a_subfolder_that_cannot_be_listed_gets_a_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.deriv").write_text(GOOD)
    (tmp_path / "locked").mkdir()
    real = os.scandir

    def scandir(path):  # type: ignore[no-untyped-def]
        if Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    found, _ = candidate_files(tmp_path)
    assert [p.name for p in found] == ["a.deriv", "locked"]
    result = check_folder(tmp_path)
    assert [(row.file, row.status) for row in result] == [("a.deriv", "ok"),
                                                          ("locked", "unreadable")]  # fmt: skip


def test_one_crashing_file_never_stops_the_batch(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("a.deriv", "b.deriv", "c.deriv"):
        (tmp_path / name).write_text(GOOD)
    real = verification.check_file

    def check_file(path, **kwargs):  # type: ignore[no-untyped-def]
        if Path(path).name == "b.deriv":
            raise RecursionError("maximum recursion depth exceeded")
        return real(path, **kwargs)

    monkeypatch.setattr(verification, "check_file", check_file)
    result = check_folder(tmp_path)
    assert [(r.file, r.status) for r in result] == [
        ("a.deriv", "ok"), ("b.deriv", "unreadable"), ("c.deriv", "ok")]


def test_a_thousand_small_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for i in range(1000):
        (tmp_path / f"s{i:04d}.deriv").write_text(WRONG if i % 250 == 7 else GOOD)
    (tmp_path / "s0500.deriv").write_text("symbols: a : real\n    a\n  = (a\n")
    code, doc, _ = check_json(tmp_path, capsys)
    assert code == 1
    assert doc["summary"]["files"] == 1000 == len(doc["files"])
    statuses = [r["status"] for r in doc["files"]]
    assert statuses.count("refuted") == 4
    assert statuses.count("unreadable") == 1
    assert statuses.count("ok") == 995


def test_all_good_folder_exits_0_text_and_csv(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.deriv").write_text(GOOD)
    (tmp_path / "b.tex").write_text(TEX)
    assert main(["check", str(tmp_path)]) == 0
    assert main(["check", str(tmp_path), "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert "a.deriv" in out and "b.tex" in out


def test_ctrl_c_during_a_folder_check_keeps_the_rows_checked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Ctrl-C at the 4th of 6 files: the 3 rows done are printed, exit 130, no traceback."""
    for i in range(6):
        (tmp_path / f"f{i}.deriv").write_text(GOOD)
    real = verification.check_file

    def check_file(path, **kwargs):  # type: ignore[no-untyped-def]
        if Path(path).name == "f3.deriv":
            raise KeyboardInterrupt
        return real(path, **kwargs)

    monkeypatch.setattr(verification, "check_file", check_file)
    code, doc, err = check_json(tmp_path, capsys)
    assert code == 130
    assert list(rows(doc)) == ["f0.deriv", "f1.deriv", "f2.deriv"]
    assert "interrupted after 3 of 6 files" in err and "Traceback" not in err
