"""How long each teaching notebook takes to run, top to bottom, with a real Jupyter kernel.

Issue "#6" (tracker 7) asks that each notebook run within 60 s on the 2-core machine; the
notebooks aim at 10–25 s. Each notebook is executed once, as the tests do (nbclient, the
native python3 kernel, MPLBACKEND=Agg, ``notebooks/`` as working directory); the table gives
the wall time, the time of the slowest cell (usually the imports), and the kernel's start-up.

Run: ``.venv/bin/python benchmarks/bench_notebooks.py`` (or ``make bench`` for every benchmark).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import nbclient
import nbformat

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
LIMIT = 60.0  # seconds, the bound


def run(path: Path) -> tuple[float, float, str, float]:
    """(total seconds, kernel start seconds, slowest cell id, its seconds) for one notebook."""
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(NOTEBOOKS)}})
    start = time.perf_counter()
    slowest, slowest_s = "", 0.0
    with client.setup_kernel():
        started = time.perf_counter() - start
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            t0 = time.perf_counter()
            client.execute_cell(cell, index)
            seconds = time.perf_counter() - t0
            if seconds > slowest_s:
                slowest, slowest_s = cell.id, seconds
    return time.perf_counter() - start, started, slowest, slowest_s


def main() -> None:
    os.environ["MPLBACKEND"] = "Agg"
    print(f"{'notebook':34} {'total s':>8} {'kernel s':>9} {'slowest cell':>14} {'s':>6}  "
          f"within {LIMIT:.0f} s")
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]-*.ipynb")):
        total, started, slowest, slowest_s = run(path)
        ok = "yes" if total < LIMIT else "NO"
        print(f"{path.stem:34} {total:8.1f} {started:9.1f} {slowest:>14} {slowest_s:6.1f}  {ok}")


if __name__ == "__main__":
    main()
