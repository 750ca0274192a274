"""The README's notation examples check exactly as the README shows: each ``<!-- example:
NAME -->`` block is written to a file and checked, and its verdicts, step by step, and its
summary line are those of the output the README prints after it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from elbo_derivation.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"
EXAMPLE = re.compile(r"<!-- example: (\S+) -->\n```\n(.*?)```\n\n```\n\$ elbo-derivation check "
                     r"(\S+)\n(.*?)```", re.DOTALL)
STEP = re.compile(r"^  ([✓≈✗?])\s+(\d+) ([=≤≥≃])", re.MULTILINE)


def _examples() -> list[tuple[str, str, str]]:
    found = [(m.group(1), m.group(2), m.group(4)) for m in EXAMPLE.finditer(README.read_text(
        encoding="utf-8")) if m.group(1) == m.group(3)]
    return found


def test_the_readme_has_an_example_for_each_notation() -> None:
    names = {name for name, _, _ in _examples()}
    assert {"sums.deriv", "derivatives.deriv", "families.deriv", "intervals.deriv",
            "joint.deriv"} <= names


@pytest.mark.parametrize(("name", "source", "shown"), _examples(),
                         ids=[name for name, _, _ in _examples()])
def test_readme_example_checks_as_shown(tmp_path: Path, capsys, name, source, shown) -> None:
    path = tmp_path / name
    path.write_text(source, encoding="utf-8")
    code = main(["check", str(path)])
    out = capsys.readouterr().out
    assert STEP.findall(out) == STEP.findall(shown), out
    assert STEP.findall(shown), "an example shows its steps"
    summary = [ln for ln in shown.splitlines() if " steps: " in ln or " step: " in ln]
    assert summary and summary[0] in out
    assert code == (0 if "every step holds" in shown else 1)
