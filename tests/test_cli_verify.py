"""``elbo-derivation verify``: rendering, JSON contract, exit codes, --latex, --errata.

Most tests replace :func:`elbo_derivation.verification.verify_bundled` by hand-made checked
derivations, so they test the command apart from the engine. The end-to-end tests run the
real pipeline (parser, engine, quadrature, sampling) on one small bundled file.
"""

from __future__ import annotations

import importlib.util
import json
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from elbo_derivation import notes, verification
from elbo_derivation.cli import main
from elbo_derivation.core.steps import NumericCheck, SymbolicResult, Verdict
from elbo_derivation.errors import InputError
from elbo_derivation.report.text import MARKS

from .test_report import assert_verify_shape, make_derivation, proved_derivation

ERRATA_MODULE = "elbo_derivation.explain.errata"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def fake_bundled(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """verify_bundled replaced: returns ``state["derivations"]``, records its arguments."""
    state: dict[str, Any] = {"derivations": [proved_derivation()], "kwargs": None}

    def fake(**kwargs: Any) -> list:
        state["kwargs"] = kwargs
        return state["derivations"]

    monkeypatch.setattr(verification, "verify_bundled", fake)
    monkeypatch.setitem(sys.modules, ERRATA_MODULE, None)  # errata absent unless a test adds it
    return state


def test_all_good_exit_0(fake_bundled: dict, capsys: pytest.CaptureFixture[str]) -> None:
    d = fake_bundled["derivations"][0]
    d.steps[0].quadrature = NumericCheck("quadrature", True, {"worst_error": 1e-16})
    d.steps[0].sampling = NumericCheck("sampling", True, {"z": -0.3})
    code, out, _ = run(["verify"], capsys)
    assert code == 0
    assert "  ✓   1 = 2·log(a)" in out and "quadrature ✓" in out and "sampling ✓ z = −0.3" in out
    assert "1 step: 1 ✓ proved" in out
    assert fake_bundled["kwargs"] == {"numeric": True, "seed": 0, "time_limit": 5.0,
                                      "progress": True, "needed_rules": False}


@pytest.mark.parametrize("failure", ["refuted", "undecided", "numeric"])
def test_any_failure_exit_1(
    failure: str, fake_bundled: dict, capsys: pytest.CaptureFixture[str]
) -> None:
    d = proved_derivation()
    if failure == "numeric":
        d.steps[0].sampling = NumericCheck("sampling", False, {"z": 8.1}, "estimate off by 8 SE")
    else:
        d.steps[0].result = SymbolicResult(Verdict(failure), "probe", 0.1, reason="why")
    fake_bundled["derivations"] = [proved_derivation(), d]
    code, out, _ = run(["verify"], capsys)
    assert code == 1
    if failure == "numeric":
        assert "sampling ✗ z = 8.1 — estimate off by 8 SE" in out
    else:
        assert f"1 {MARKS[Verdict(failure)]} {failure}" in out and "why" in out


def test_json_contract(fake_bundled: dict, capsys: pytest.CaptureFixture[str]) -> None:
    fake_bundled["derivations"] = [make_derivation(), proved_derivation()]
    code, out, _ = run(["verify", "--json"], capsys)
    assert code == 1  # make_derivation has a refuted and an undecided step
    doc = json.loads(out)
    assert_verify_shape(doc)
    assert [d["name"] for d in doc["derivations"]] == ["log_ratio", "good"]
    assert doc["summary"]["refuted"] == 1 and doc["summary"]["steps"] == 5
    assert fake_bundled["kwargs"]["progress"] is False  # nothing but JSON on the streams
    # the JSON shows each proved step's rules: only those it needed are named (the text
    # report shows none, and is spared the search)
    assert fake_bundled["kwargs"]["needed_rules"] is True
    assert "errata" not in doc


def test_options_reach_the_library(fake_bundled: dict,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    run(["verify", "--no-numeric", "--seed", "7", "--time-limit", "2.5"], capsys)
    assert fake_bundled["kwargs"] == {"numeric": False, "seed": 7, "time_limit": 2.5,
                                      "progress": True, "needed_rules": False}


@pytest.mark.parametrize("args", [["--time-limit", "0"], ["--time-limit", "nan"],
                                  ["--seed", "-1"], ["--seed", "x"]])
def test_bad_arguments_exit_2(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["verify", *args])
    assert exc.value.code == 2
    assert "error" in capsys.readouterr().err


def test_latex_file(fake_bundled: dict, tmp_path: Path,
                    capsys: pytest.CaptureFixture[str]) -> None:
    fake_bundled["derivations"] = [make_derivation(), proved_derivation()]
    target = tmp_path / "out.tex"
    code, out, _ = run(["verify", "--latex", str(target)], capsys)
    tex = target.read_text(encoding="utf-8")
    assert code == 1 and "log ratio" in out  # the text report is still printed
    assert tex.startswith(r"\documentclass") and tex.count(r"\begin{align*}") == 2
    assert r"\footnotesize (1) log of a quotient" in tex
    code, out, _ = run(["verify", "--latex", "-"], capsys)
    assert out.startswith(r"\documentclass") and "✓" not in out


def test_latex_to_unwritable_place_exit_2(fake_bundled: dict, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["verify", "--latex", str(tmp_path / "no" / "such" / "dir.tex")], capsys)
    assert code == 2 and "dir.tex" in err and "Traceback" not in err


class Erratum:
    def __init__(self, title: str, section: str, result: Any) -> None:
        self.title, self.section, self.explanation = title, section, f"why {title}"
        self._result = result

    def check(self) -> Any:
        if isinstance(self._result, Exception):
            raise self._result
        return self._result


def install_errata(monkeypatch: pytest.MonkeyPatch, errata: list[Erratum]) -> None:
    module = types.ModuleType(ERRATA_MODULE)
    module.ERRATA = errata  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, ERRATA_MODULE, module)


def test_errata_listed_and_checked(fake_bundled: dict, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    install_errata(monkeypatch, [Erratum("encoder is q(z|x)", "§2", True),
                                 Erratum("h is a variance", "§4", (True, "log(1/√h) holds"))])
    code, out, _ = run(["verify", "--errata"], capsys)
    assert code == 0
    assert "Errata" in out and "✓ §2  encoder is q(z|x)" in out
    assert "why h is a variance" in out and "check: log(1/√h) holds" in out
    code, out, _ = run(["verify", "--errata", "--json"], capsys)
    doc = json.loads(out)
    assert [e["title"] for e in doc["errata"]] == ["encoder is q(z|x)", "h is a variance"]
    assert all(e["ok"] is True for e in doc["errata"])


def test_failing_erratum_check_exit_1(fake_bundled: dict, monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    install_errata(monkeypatch, [Erratum("a", "§2", False),
                                 Erratum("b", "§4", RuntimeError("broken demo"))])
    code, out, _ = run(["verify", "--errata"], capsys)
    assert code == 1
    assert "the check raised RuntimeError: broken demo" in out


def test_errata_absent_is_said_plainly(fake_bundled: dict,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["verify", "--errata"], capsys)
    assert code == 0  # the derivations are fine; the missing list is reported, not hidden
    assert "Errata: not available yet" in out and "errata not available yet" in err
    code, out, _ = run(["verify", "--errata", "--json"], capsys)
    doc = json.loads(out)
    assert doc["errata"] is None and "not available" in doc["errata_note"]


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["verify", "--help"])
    out = capsys.readouterr().out
    assert exc.value.code == 0
    assert "elbo-derivation verify --json" in out and "--errata" in out and "exit status" in out


# ---------------------------------------------------------------------------- end to end


@pytest.fixture
def one_bundled(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Only the short §4 file (or §3 if §4 is absent), so the real pipeline runs quickly."""
    paths = {p.stem: p for p in notes.bundled_paths()}
    path = paths.get("kl_standard_normal") or paths["kl_gaussians"]
    monkeypatch.setattr(notes, "bundled_paths", lambda: [path])
    return path


def test_real_pipeline(one_bundled: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["verify", "--json"], capsys)
    doc = json.loads(out)
    assert_verify_shape(doc)
    (d,) = doc["derivations"]
    assert d["name"] == one_bundled.stem and d["source"].startswith("notes §")
    assert all(s["quadrature"] is not None for s in d["steps"])
    all_ok = all(s["symbolic"]["verdict"] in ("proved", "numerically-supported")
                 and s["quadrature"]["ok"] and (s["sampling"] is None or s["sampling"]["ok"])
                 for s in d["steps"])
    if importlib.util.find_spec("elbo_derivation.numeric.sampling") is not None:
        assert any(s["sampling"] is not None for s in d["steps"])
        assert code == (0 if all_ok else 1)
    else:  # until the sampling check lands, say so and do not claim success
        assert doc["summary"]["numeric_missing"] == ["sampling"] and code == 1


def test_seed_makes_numeric_checks_reproducible(one_bundled: Path) -> None:
    def details(seed: int) -> list:
        ds = verification.verify_bundled(seed=seed)
        return [{k: v for k, v in s.quadrature.details.items() if k != "seconds"}
                for s in ds[0].steps]

    first = details(3)
    assert details(3) == first
    assert details(4) != first


def test_no_numeric_runs_no_numeric_check(one_bundled: Path) -> None:
    (d,) = verification.verify_bundled(numeric=False)
    assert all(s.result is not None for s in d.steps)
    assert all(s.quadrature is None and s.sampling is None for s in d.steps)
    assert set(d.metadata["timings"]) == {"read", "symbolic"}


def test_run_errata_against_the_real_module() -> None:
    entries = verification.run_errata()
    if importlib.util.find_spec(ERRATA_MODULE) is None:
        assert entries is None
        return
    assert entries, "the errata list is empty"
    for e in entries:
        assert e["title"] and e["explanation"] and e["section"]
        assert e["ok"] in (True, False, None) and isinstance(e["summary"], str)
    assert all(e["ok"] is not False for e in entries), [e for e in entries if not e["ok"]]


def test_collector_paused_during_the_run_and_restored(
        fake_bundled: dict, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    import gc

    seen: list[bool] = []

    def fake(**kwargs: Any) -> list:
        seen.append(gc.isenabled())
        return fake_bundled["derivations"]

    monkeypatch.setattr(verification, "verify_bundled", fake)
    assert gc.isenabled()
    code, _, _ = run(["verify"], capsys)
    assert code == 0 and seen == [False] and gc.isenabled()

    def failing(**kwargs: Any) -> list:
        raise InputError("no notes")

    monkeypatch.setattr(verification, "verify_bundled", failing)
    code, _, err = run(["verify"], capsys)
    assert code == 2 and "no notes" in err and gc.isenabled()
    gc.disable()  # a caller that had paused it itself keeps it paused
    try:
        run(["verify"], capsys)
        assert not gc.isenabled()
    finally:
        gc.enable()
