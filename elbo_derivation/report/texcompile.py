"""Compile a LaTeX export and read its log: did it work, and does every line fit?

Used by the tests of the exports, and handy before a lecture: ``compile_latex(source,
"pdflatex", folder)`` runs the engine in ``folder`` with ``-interaction=nonstopmode
-halt-on-error`` and reports the errors and the widest overfull box.

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

__all__ = ["CompileResult", "compile_latex"]

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
