"""Outputs are never lost: bad numbers and bad paths fail early and clearly, files are replaced
atomically, nothing is written outside the named output, and Ctrl-C ends a run cleanly.

The commands run in-process through :func:`elbo_derivation.cli.main` (fast) except where a
real signal or a real process is the point (Ctrl-C, tracebacks on stderr).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from elbo_derivation.cli import main
from elbo_derivation.errors import InputError
from elbo_derivation.output import atomic_path, output_file, output_folder, write_atomic

TRAIN_FAST = ["train", "--epochs", "2", "--n", "64", "--hidden", "4", "--no-progress"]


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's own errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}  # fmt: skip


# --- bad numbers: a message naming the argument, exit 2, no traceback -----------------------

BAD_TRAIN_NUMBERS = [
    ("--epochs", "-1"), ("--epochs", "0"), ("--epochs", "nan"), ("--epochs", "2.5"),
    ("--epochs", "ten"), ("--epochs", "1" * 5000), ("--epochs", "10000000"),
    ("--latent", "0"), ("--latent", "100000000"), ("--hidden", "1000000000"),
    ("--n", "100000000000"), ("--batch-size", "-3"), ("--lr", "nan"), ("--lr", "-1"),
    ("--lr", "0"), ("--lr", "inf"), ("--lr", "x"), ("--obs-var", "1e-320"),
    ("--obs-var", "1e308"), ("--obs-var", "-1"), ("--obs-var", "nan"), ("--seed", "-1"),
    ("--seed", "1.5"),
]  # fmt: skip


@pytest.mark.parametrize(("flag", "value"), BAD_TRAIN_NUMBERS)
def test_train_bad_numbers_are_refused_naming_the_argument(
    flag: str, value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli([*TRAIN_FAST, "--out", str(tmp_path / "o"), flag, value], capsys)
    assert code == 2
    assert f"argument {flag}" in err
    assert "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_train_huge_sizes_do_not_end_in_a_memory_traceback(tmp_path: Path) -> None:
    """Regression: --latent 100000000 used to end in numpy's _ArrayMemoryError traceback."""
    proc = subprocess.run(
        [sys.executable, "-m", "elbo_derivation", *TRAIN_FAST, "--latent", "100000000",
         "--out", str(tmp_path / "o")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "argument --latent" in proc.stderr and "Traceback" not in proc.stderr


def test_tiny_observation_variance_is_refused_not_an_overflow(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Regression: --obs-var 1e-320 (a subnormal) used to raise OverflowError."""
    code, _, err = run_cli([*TRAIN_FAST, "--out", str(tmp_path), "--obs-var", "1e-320"], capsys)
    assert code == 2 and "argument --obs-var" in err


@pytest.mark.parametrize("value", ["-1", "0", "nan", "inf", "x", "1e400", "1e12", "100000"])
def test_verify_bad_time_limit_is_refused(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["verify", "--time-limit", value], capsys)
    assert code == 2 and "argument --time-limit" in err


@pytest.mark.parametrize(("flag", "value"), [("--seed", "-1"), ("--seed", "x"), ("--only", "nope")])
def test_figures_bad_arguments_are_refused(flag: str, value: str, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["figures", "--out", str(tmp_path / "f"), flag, value], capsys)
    assert code == 2 and flag in err and "Traceback" not in err
    assert not (tmp_path / "f").exists()


@pytest.mark.parametrize("value", ["0", "-2", "x", "99"])
def test_ppca_bad_latent_is_refused(value: str, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    import numpy as np

    data = tmp_path / "x.npy"
    np.save(data, np.random.default_rng(0).standard_normal((20, 3)))
    code, _, err = run_cli(["ppca", "--data", str(data), "--latent", value], capsys)
    assert code == 2 and "--latent" in err


# --- bad paths ------------------------------------------------------------------------------

def test_train_out_is_a_file_is_refused_before_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "a_file"
    target.write_text("keep me")
    code, _, err = run_cli([*TRAIN_FAST, "--out", str(target)], capsys)
    assert code == 2 and "--out" in err and "not a directory" in err
    assert target.read_text() == "keep me"


def test_train_out_below_a_file_is_refused(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a_file").write_text("x")
    code, _, err = run_cli([*TRAIN_FAST, "--out", str(tmp_path / "a_file" / "run")], capsys)
    assert code == 2 and "--out" in err and "Traceback" not in err


def _read_only(folder: Path) -> None:
    """A folder nobody can write to; as root, permission bits do not stop writes, so the
    test is skipped there unless the folder really refuses (checked by trying)."""
    folder.chmod(0o555)
    try:
        (folder / ".probe").write_text("x")
    except OSError:
        return
    (folder / ".probe").unlink()
    folder.chmod(0o755)
    pytest.skip("running as root: a chmod 555 folder is still writable")


def test_read_only_output_folder_is_refused_naming_the_argument(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """As root chmod does not block writes, so the refusal is simulated at the one place
    where :func:`output_folder` tests writability: creating a temporary file."""
    import tempfile

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    code, _, err = run_cli([*TRAIN_FAST, "--out", str(tmp_path)], capsys)
    assert code == 2 and "--out" in err and "cannot write" in err
    code, _, err = run_cli(["figures", "--out", str(tmp_path), "--only", "elbo_gap"], capsys)
    assert code == 2 and "--out" in err and "cannot write" in err


def test_read_only_output_folder_for_real(tmp_path: Path) -> None:
    ro = tmp_path / "ro"
    ro.mkdir()
    _read_only(ro)
    with pytest.raises(InputError, match=r"--out .*cannot write"):
        output_folder(ro, "--out")
    ro.chmod(0o755)


def test_verify_latex_to_a_folder_or_missing_folder_fails_before_checking(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    t0 = time.perf_counter()
    code, _, err = run_cli(["verify", "--no-numeric", "--latex", str(tmp_path)], capsys)
    assert code == 2 and "--latex" in err and "is a folder" in err
    code, _, err = run_cli(["verify", "--no-numeric", "--latex",
                            str(tmp_path / "missing" / "d.tex")], capsys)  # fmt: skip
    assert code == 2 and "--latex" in err and "does not exist" in err
    assert time.perf_counter() - t0 < 5  # refused before any step was checked


def test_handout_output_is_a_folder_is_refused(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(["handout", "-o", str(tmp_path), "--no-numeric", "--no-figures"],
                           capsys)  # fmt: skip
    assert code == 2 and "is a folder" in err


@pytest.mark.parametrize(("argv", "argument"), [
    (["handout", "--no-numeric", "--no-figures", "-o"], "-o"),
    (["handout", "--no-numeric", "--no-figures", "--latex"], "--latex"),
    (["slides", "--no-numeric", "--html"], "--html"),
    (["slides", "--no-numeric", "--beamer"], "--beamer"),
    (["mark", "{folder}", "--csv"], "--csv"),
    (["mark", "{folder}", "--html"], "--html"),
])
def test_a_destination_in_a_missing_folder_fails_before_any_work(
    argv: list[str], argument: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Regression: handout, slides and mark checked every derivation (or marked every file)
    before finding that the output could not be written."""
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "a.deriv").write_text("symbols: a : positive\n    log(a*a)\n  = 2*log(a)\n")
    argv = [a.replace("{folder}", str(folder)) for a in argv]
    t0 = time.perf_counter()
    code, _, err = run_cli([*argv, str(tmp_path / "missing" / "out.file")], capsys)
    assert code == 2 and argument in err and "does not exist" in err, err
    assert time.perf_counter() - t0 < 5  # refused before the work
    assert sorted(p.name for p in tmp_path.iterdir()) == ["class"]  # nothing written


# --- atomic writing -------------------------------------------------------------------------

def test_write_atomic_replaces_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    write_atomic(target, "old")
    write_atomic(target, b"new")
    assert target.read_bytes() == b"new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_a_failing_writer_keeps_the_previous_file(tmp_path: Path) -> None:
    target = tmp_path / "model.npz"
    target.write_bytes(b"previous run")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_bytes(b"half of a new fi")
        raise RuntimeError("disk full")
    assert target.read_bytes() == b"previous run"
    assert [p.name for p in tmp_path.iterdir()] == ["model.npz"]


def test_ctrl_c_inside_a_writer_keeps_the_previous_file(tmp_path: Path) -> None:
    target = tmp_path / "loss.png"
    target.write_bytes(b"previous")
    with pytest.raises(KeyboardInterrupt), atomic_path(target) as tmp:
        tmp.write_bytes(b"partial")
        raise KeyboardInterrupt
    assert target.read_bytes() == b"previous"
    assert len(list(tmp_path.iterdir())) == 1


def test_atomic_file_keeps_the_permissions_of_the_file_it_replaces(tmp_path: Path) -> None:
    target = tmp_path / "a.txt"
    target.write_text("x")
    target.chmod(0o640)
    write_atomic(target, "y")
    assert target.stat().st_mode & 0o777 == 0o640
    fresh = write_atomic(tmp_path / "b.txt", "z")
    umask = os.umask(0)
    os.umask(umask)
    assert fresh.stat().st_mode & 0o777 == 0o666 & ~umask


def test_output_file_checks(tmp_path: Path) -> None:
    assert output_file(tmp_path / "a.tex", "--latex") == tmp_path / "a.tex"
    assert not (tmp_path / "a.tex").exists()  # checked, not created
    (tmp_path / "f").write_text("x")
    with pytest.raises(InputError, match=r"--latex .*not a folder"):
        output_file(tmp_path / "f" / "a.tex", "--latex")


def test_failed_training_keeps_the_previous_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    assert run_cli([*TRAIN_FAST, "--out", str(out)], capsys)[0] == 0
    before = snapshot(out)
    assert set(before) == {"model.npz", "history.json", "loss.png", "latent.png", "samples.png",
                           "summary.json"}  # fmt: skip

    import matplotlib.figure

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", broken)
    code, _, err = run_cli([*TRAIN_FAST, "--out", str(out), "--seed", "7"], capsys)
    assert code == 2 and "No space left" in err
    after = snapshot(out)
    # the files written before the failure are the new run's, whole; the others the old run's
    for name, data in after.items():
        assert name in before
        if name.endswith(".png"):
            assert data == before[name]
    assert set(after) == set(before)  # no temporary file left behind


def test_train_writes_nothing_outside_its_output_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    assert run_cli([*TRAIN_FAST, "--out", str(tmp_path / "run")], capsys)[0] == 0
    assert list(work.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cwd", "run"]


def test_figures_writes_only_the_named_files(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "figs"
    out.mkdir()
    (out / "elbo_gap.png").write_bytes(b"old")
    code, _, _ = run_cli(["figures", "--out", str(out), "--only", "elbo_gap", "--quiet"], capsys)
    assert code == 0
    assert [p.name for p in out.iterdir()] == ["elbo_gap.png"]
    assert (out / "elbo_gap.png").read_bytes()[:4] == b"\x89PNG"


def test_verify_latex_is_written_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "d.tex"
    target.write_text("previous")
    import elbo_derivation.report.latex as latex

    def broken(*args: object, **kwargs: object) -> str:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(latex, "latex_document", broken)
    code, _, _ = run_cli(["verify", "--no-numeric", "--json", "--latex", str(target)], capsys)
    assert code == 2
    assert target.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["d.tex"]


# --- Ctrl-C ---------------------------------------------------------------------------------

def _kill_group(proc: subprocess.Popen) -> None:
    """End a process started in its own session, and every process it forked."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # (already gone, with its group)
    proc.wait()


def test_ctrl_c_during_training_exits_130_without_traceback_and_keeps_old_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    assert run_cli([*TRAIN_FAST, "--out", str(out)], capsys)[0] == 0
    before = snapshot(out)
    proc = subprocess.Popen(
        [sys.executable, "-m", "elbo_derivation", "train", "--epochs", "1000000", "--n", "64",
         "--hidden", "4", "--no-progress", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        time.sleep(4)  # loaded and training
        assert proc.poll() is None
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        _kill_group(proc)  # (a run the interrupt did not end would train on forever)
    assert proc.returncode == 130
    assert "interrupted" in err and "Traceback" not in err
    assert snapshot(out) == before


def test_ctrl_c_before_verify_hands_out_work_leaves_no_worker_behind() -> None:
    """Regression: Ctrl-C between the fork of verify's workers and their first task left them
    waiting forever, holding stderr open (the caller hung)."""
    proc = subprocess.Popen([sys.executable, "-c", "from elbo_derivation.cli import entry; entry()",
                             "verify", "--no-numeric"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)  # fmt: skip
    try:
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        _kill_group(proc)  # the run and any worker it forked, whatever happened
    assert "Traceback" not in err, err
    assert proc.returncode in (130, -signal.SIGINT), (proc.returncode, err)


def test_history_json_is_valid_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r"
    assert run_cli([*TRAIN_FAST, "--out", str(out)], capsys)[0] == 0
    assert json.loads((out / "history.json").read_text())["epoch"] == [1, 2]


def test_errors_name_the_requested_file_not_the_temporary_one(tmp_path: Path) -> None:
    """Regression: a missing folder was reported under the temporary file's name."""
    target = tmp_path / "missing" / "handout.html"
    with pytest.raises(FileNotFoundError) as info:
        write_atomic(target, "x")
    assert info.value.filename == str(target)


def test_handout_into_a_missing_folder_is_reported_by_its_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "missing" / "h.html"
    code, _, err = run_cli(["handout", "-o", str(target), "--no-numeric", "--no-figures"],
                           capsys)  # fmt: skip
    assert code == 2 and str(target) in err and ".tmp" not in err


def test_huge_time_limit_is_refused_not_an_overflow_in_every_verdict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Regression: --time-limit 1e12 was accepted, and every tier of every step then failed
    with 'OverflowError: timestamp out of range for platform time_t' (all undecided)."""
    f = tmp_path / "a.deriv"
    f.write_text("symbols: a : positive\n    log(a*a)\n  = 2*log(a)\n")
    code, _, err = run_cli(["check", str(f), "--time-limit", "1e12"], capsys)
    assert code == 2 and "argument --time-limit" in err
    code, out, _ = run_cli(["check", str(f), "--time-limit", "86400", "--json"], capsys)
    assert code == 0 and json.loads(out)["steps"][0]["verdict"] == "proved"


def test_run_bounded_with_a_huge_time_limit_still_runs() -> None:
    # in a fresh process: in the main thread with no timer armed, as the command line runs it
    code = ("from elbo_derivation.core.timeout import run_bounded; "
            "print(run_bounded(lambda: 2, 1e12))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True).stdout  # fmt: skip
    assert "ok=True" in out, out


_FINALIZING = """
import gc, sys, time
from elbo_derivation.cli import _interrupt_outside_the_collector
_interrupt_outside_the_collector()

class Slow:
    def __init__(self):
        self.me = self
    def __del__(self):
        end = time.process_time() + 0.002
        while time.process_time() < end:
            pass

print("ready", flush=True)
try:
    while True:
        for _ in range(5):
            Slow()
        gc.collect(0)
except KeyboardInterrupt:
    sys.exit(130)
"""


def test_ctrl_c_inside_a_finalizer_the_collector_runs_still_ends_the_run() -> None:
    """Regression: Ctrl-C handled inside the garbage collector (a finalizer, a collector
    callback) raised there; Python printed "Exception ignored" with a traceback and the run
    went on."""
    proc = subprocess.Popen([sys.executable, "-c", _FINALIZING], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
        time.sleep(0.2)  # (most of this time is spent in the finalizers)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()  # (a run the interrupt did not end would spin on forever)
        proc.wait()
    assert "Exception ignored" not in err and "Traceback" not in err, err
    assert proc.returncode == 130, (proc.returncode, err)
