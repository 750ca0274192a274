"""Build the teaching notebooks from their sources in ``notebooks/_src/``.

Each source is a plain Python file in the "percent" format that editors (VS Code, Spyder,
PyCharm, jupytext) understand::

    # %% [markdown]
    # # A heading
    # Prose with $\\LaTeX$.

    # %%
    import numpy as np

A cell marker may carry flags after it:

``hidden``
    the cell is collapsed when the notebook opens (``metadata.jupyter.source_hidden`` and,
    for code, ``outputs_hidden``, the classic ``collapsed`` and the tag ``hide-input``): hints
    and worked solutions.

The notebooks are written without outputs, with deterministic cell ids and no absolute paths,
so that building twice gives the same bytes and ``git diff`` shows only real changes.
``tests/test_notebooks.py`` checks that the stored notebooks are what this script builds.

Usage::

    .venv/bin/python notebooks/_build.py          # rebuild every notebook
    .venv/bin/python notebooks/_build.py --check  # exit 1 if a stored notebook is stale
    .venv/bin/python notebooks/_build.py --without-solutions handout/
                                                  # copies without the worked solutions
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
SOURCES = HERE / "_src"

_MARKER = re.compile(r"^# %%(?P<kind> \[markdown\])?(?P<flags>(?: [a-z-]+)*)\s*$")
_KNOWN_FLAGS = {"hidden"}

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"name": "python", "pygments_lexer": "ipython3"}


def _cells(text: str, stem: str) -> list[nbformat.NotebookNode]:
    """The cells of one percent-format source."""
    chunks: list[tuple[str, set[str], list[str]]] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        m = _MARKER.match(line)
        if m:
            flags = set(m.group("flags").split())
            unknown = flags - _KNOWN_FLAGS
            if unknown:
                raise ValueError(f"{stem}:{lineno}: unknown cell flag(s) {sorted(unknown)}")
            chunks.append(("markdown" if m.group("kind") else "code", flags, []))
        elif chunks:
            chunks[-1][2].append(line)
        elif line.strip() and not line.startswith("#"):
            raise ValueError(f"{stem}:{lineno}: code before the first '# %%' marker")
    cells = []
    for i, (kind, flags, lines) in enumerate(chunks, start=1):
        while lines and not lines[-1].strip():
            lines.pop()
        while lines and not lines[0].strip():
            lines.pop(0)
        if kind == "markdown":
            body = []
            for line in lines:
                if line == "#":
                    body.append("")
                elif line.startswith("# "):
                    body.append(line[2:])
                else:
                    raise ValueError(f"{stem}: markdown cell {i}: line {line!r} must start '# '")
            cell = nbformat.v4.new_markdown_cell("\n".join(body))
        else:
            cell = nbformat.v4.new_code_cell("\n".join(lines))
        cell.id = f"{stem[:2]}-{i:03d}"
        if "hidden" in flags:
            cell.metadata["jupyter"] = {"source_hidden": True}
            if kind == "code":
                cell.metadata["jupyter"]["outputs_hidden"] = True
                cell.metadata["collapsed"] = True
                cell.metadata["tags"] = ["hide-input"]  # jupyter-book, nbconvert
        cells.append(cell)
    return cells


def build(source: Path) -> nbformat.NotebookNode:
    """The notebook for one source file (not written)."""
    nb = nbformat.v4.new_notebook()
    nb.nbformat_minor = 5
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": dict(LANGUAGE_INFO)}
    nb.cells = _cells(source.read_text(encoding="utf-8"), source.stem)
    nbformat.validate(nb)
    return nb


def without_solutions(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` without its hidden code cells (the worked solutions); hints stay."""
    out = nbformat.from_dict(nb)
    out.cells = [
        c for c in out.cells
        if not (c.cell_type == "code" and c.metadata.get("jupyter", {}).get("source_hidden"))
    ]
    return out


def dumps(nb: nbformat.NotebookNode) -> str:
    """The notebook as stored: nbformat's JSON with a final newline."""
    return nbformat.writes(nb) + "\n"


def sources() -> list[Path]:
    """The notebook sources, in their numbered order."""
    return sorted(SOURCES.glob("[0-9][0-9]-*.py"))


def target(source: Path) -> Path:
    return HERE / f"{source.stem}.ipynb"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if a stored notebook differs from its source")
    parser.add_argument("--without-solutions", metavar="DIR", type=Path,
                        help="write copies without the worked solutions to DIR instead")
    args = parser.parse_args(argv)
    stale = []
    for src in sources():
        if args.without_solutions is not None:
            args.without_solutions.mkdir(parents=True, exist_ok=True)
            out = args.without_solutions / target(src).name
            out.write_text(dumps(without_solutions(build(src))), encoding="utf-8")
            print(f"wrote {out}")
            continue
        text = dumps(build(src))
        out = target(src)
        if args.check:
            if not out.exists() or out.read_text(encoding="utf-8") != text:
                stale.append(out.name)
        else:
            out.write_text(text, encoding="utf-8")
            print(f"wrote {out.relative_to(HERE.parent)}")
    if stale:
        print("stale notebooks (run notebooks/_build.py): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
