"""The package's layers hold: the import contracts of pyproject.toml, and no private names
used across modules.

The contracts (``[tool.importlinter]``) say which part may import which: read → decide
(numeric beside it) → explain → pipeline → report, verification and the fast path above,
the VAE on its own, and no circle of imports inside any package. ``lint-imports`` checks them
on the source, as ``make lint`` does.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "elbo_derivation"

#: Private names still imported across modules in files owned elsewhere; each entry is
#: (importing file, imported module, name). Empty this list as they are made public.
KNOWN: set[tuple[str, str, str]] = {
    ("report/handout.py", "elbo_derivation.report.latex", "_RELATIONS"),
}


def _lint_imports() -> Path:
    script = Path(sys.executable).with_name("lint-imports")
    if not script.exists():
        pytest.skip("lint-imports is not installed (pip install -e '.[test]')")
    return script


def test_the_import_contracts_are_kept() -> None:
    out = subprocess.run([str(_lint_imports()), "--no-cache"], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-2000:]
    assert "0 broken" in out.stdout


def test_a_broken_layer_is_caught(tmp_path: Path) -> None:
    """The contracts can fail: a copy of the configuration whose layers are turned upside
    down is reported broken."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    start = text.index("[tool.importlinter]")
    config = text[start:].replace('"cli",\n', '"core | errors | notes",\n', 1)
    config = config.replace('  "core | errors | notes",\n]', '  "cli",\n]', 1)
    assert config != text[start:]
    (tmp_path / "contracts.toml").write_text(config, encoding="utf-8")
    out = subprocess.run([str(_lint_imports()), "--no-cache", "--config",
                          str(tmp_path / "contracts.toml")], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode != 0
    assert "BROKEN" in out.stdout


def _private_imports() -> set[tuple[str, str, str]]:
    found = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                    "elbo_derivation"):
                for alias in node.names:
                    if alias.name.startswith("_") and not alias.name.startswith("__"):
                        found.add((path.relative_to(PACKAGE).as_posix(), node.module,
                                   alias.name))
    return found


def test_no_private_name_is_imported_from_another_module() -> None:
    assert _private_imports() - KNOWN == set()
