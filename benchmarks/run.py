"""Run every benchmark in this folder and print the figures the issues ask for.

Usage: ``make bench`` (or ``python benchmarks/run.py [NAME ...]`` to run some of them, e.g.
``python benchmarks/run.py kl vae``). Each ``bench_<name>.py`` module has a ``main()`` that
prints its own table. Benchmarks time things; tests never do.
"""

from __future__ import annotations

import importlib.util
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _load(path: Path):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it is loading
    spec.loader.exec_module(module)
    return module


def main(argv: list[str]) -> int:
    wanted = set(argv)
    paths = sorted(HERE.glob("bench_*.py"))
    if wanted:
        paths = [p for p in paths if p.stem.removeprefix("bench_") in wanted]
        if not paths:
            print(f"no benchmark named {', '.join(sorted(wanted))}", file=sys.stderr)
            return 2
    for path in paths:
        title = path.stem.removeprefix("bench_")
        print(f"\n=== {title} " + "=" * (60 - len(title)), flush=True)
        start = time.perf_counter()
        _load(path).main()
        print(f"({title}: {time.perf_counter() - start:.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
