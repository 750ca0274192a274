"""Compile a LaTeX export and read its log: did it work, and does every line fit?

Used by the tests of the exports, and handy before a lecture: ``compile_latex(source,
"pdflatex", folder)`` runs the engine in ``folder`` with ``-interaction=nonstopmode
-halt-on-error`` and reports the errors and the widest overfull box. ``build_pdf(path)``
builds an export's complete PDF: a Beamer deck's frame count (``3/12`` in the footline) and
outline come from the auxiliary files of an earlier run, so one run gives ``3/1``; it runs
``latexmk`` when installed, otherwise the engine again until its log asks for no rerun.

Examples
--------
>>> import shutil, tempfile
>>> if shutil.which("pdflatex"):
...     r = compile_latex(r"\\documentclass{article}\\begin{document}x\\end{document}",
...                       "pdflatex", tempfile.mkdtemp())
...     print(r.ok, r.errors, r.widest_overfull_pt)
... else:
...     print(True, [], 0.0)
True [] 0.0
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["CompileResult", "build_pdf", "compile_latex"]

_OVERFULL = re.compile(r"Overfull \\[hv]box \(([0-9.]+)pt too (?:wide|high)")


@dataclass
class CompileResult:
    """What one compilation gave: ``ok`` (exit status 0 and no error), the ``errors`` (the
    log's ``!`` lines), the overfull boxes' excess in points, the PDF and the log."""

    ok: bool
    errors: list[str] = field(default_factory=list)
    overfull_pt: list[float] = field(default_factory=list)
    pdf: Path | None = None
    log: str = ""

    @property
    def widest_overfull_pt(self) -> float:
        return max(self.overfull_pt, default=0.0)


def compile_latex(source: str, engine: str, folder: str | Path, name: str = "document",
                  timeout: float = 240.0) -> CompileResult:
    """Write ``source`` to ``folder/name.tex`` and compile it with ``engine`` there.

    Raises
    ------
    FileNotFoundError
        when ``engine`` is not installed.
    """
    exe = shutil.which(engine)
    if exe is None:
        raise FileNotFoundError(f"{engine} is not installed")
    folder = Path(folder)
    (folder / f"{name}.tex").write_text(source, encoding="utf-8")
    run = subprocess.run([exe, "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"],
                         cwd=folder, capture_output=True, text=True, timeout=timeout,
                         env={**os.environ, "TEXMFOUTPUT": str(folder)})  # fmt: skip
    log_path = folder / f"{name}.log"
    log = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else ""
    errors = [line for line in log.splitlines() if line.startswith("!")]
    pdf = folder / f"{name}.pdf"
    return CompileResult(ok=run.returncode == 0 and not errors, errors=errors,
                         overfull_pt=[float(w) for w in _OVERFULL.findall(log)],
                         pdf=pdf if pdf.exists() else None, log=log)  # fmt: skip


#: Most engine runs :func:`build_pdf` makes without latexmk.
MAX_RUNS = 4

_RERUN = re.compile(r"Rerun to get|rerun LaTeX|Label\(s\) may have changed|"
                    r"There were undefined references", re.IGNORECASE)


def build_pdf(tex: str | Path, engine: str = "pdflatex", *, timeout: float = 240.0,
              use_latexmk: bool = True) -> CompileResult:
    """Build ``tex`` (a file) into a complete PDF beside it, with every cross-reference,
    outline and total frame count settled.

    With ``latexmk`` installed (and ``use_latexmk``), latexmk runs ``engine`` as often as
    needed; otherwise ``engine`` runs at least twice, and again while its log asks for a
    rerun (at most :data:`MAX_RUNS` times). The result is that of the last run.

    Raises
    ------
    FileNotFoundError
        when ``engine`` is not installed.
    """
    path = Path(tex)
    folder, name = path.parent, path.stem
    exe = shutil.which(engine)
    if exe is None:
        raise FileNotFoundError(f"{engine} is not installed")
    env = {**os.environ, "TEXMFOUTPUT": str(folder.resolve())}
    latexmk = shutil.which("latexmk") if use_latexmk else None
    if latexmk is not None:
        flag = {"pdflatex": "-pdf", "lualatex": "-lualatex", "xelatex": "-xelatex"}.get(engine,
                                                                                      "-pdf")
        commands = [[latexmk, flag, "-interaction=nonstopmode", "-halt-on-error",
                     path.name]]
    else:
        commands = [[exe, "-interaction=nonstopmode", "-halt-on-error", path.name]] * MAX_RUNS
    code, log = 0, ""
    for i, command in enumerate(commands):
        run = subprocess.run(command, cwd=folder, capture_output=True, text=True,
                             timeout=timeout, env=env)
        code = run.returncode
        log_path = folder / f"{name}.log"
        log = log_path.read_text(encoding="utf-8", errors="replace") if log_path.exists() else ""
        if code != 0 or (i >= 1 and not _RERUN.search(log)):
            break
    errors = [line for line in log.splitlines() if line.startswith("!")]
    pdf = folder / f"{name}.pdf"
    return CompileResult(ok=code == 0 and not errors, errors=errors,
                         overfull_pt=[float(w) for w in _OVERFULL.findall(log)],
                         pdf=pdf if pdf.exists() else None, log=log)
