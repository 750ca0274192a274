"""What the whole test suite shares: checked notes, and how the tests are split between workers.

``make test`` runs the suite on two processes (pytest-xdist, ``--dist loadgroup``). Every test
must then pass whichever process runs it and in whatever order; what one test computed for
another is shared only within a process, so the tests that share it are kept together:

* a test module whose module-scoped fixture is expensive runs whole in one process (each test
  module is one group), so the fixture is computed once;
* the two modules that check the same corpus file (``test_corpus.py``, for its safety
  properties, and ``test_rename.py``, which compares it with a renamed copy) are grouped *by
  file*: both tests of one corpus file run in the same process, one after the other, so the
  second finds the file's check in ``tests/corpus/support.py``'s cache; the ~600 small groups
  are what balances the two processes;
* the modules that read the bundled notes as checked by ``verify_bundled`` share one run
  (:func:`bundled_numeric`, :func:`bundled_symbolic`) and one group.

The slowest groups are dispatched first (:data:`SLOW_FIRST`, measured with ``--durations``),
so that no process is left with a long module at the end while the other waits. Run alone
(without ``-n``), pytest ignores the groups and runs the tests in the usual order.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

TESTS = Path(__file__).resolve().parent
CORPUS = TESTS / "corpus"

#: modules that read the bundled notes from one ``verify_bundled`` run (see the fixtures)
SHARED_RUNS = {
    "test_verify_bundled": "bundled-numeric",
    "test_browser": "bundled-numeric",
    "test_slides": "bundled-symbolic",
    "test_latex_export": "bundled-symbolic",
}

#: the groups that take longest (seconds on 2 cores, serial), dispatched first, slowest first
SLOW_FIRST = ("test_determinism", "test_kl_gaussians_deriv", "test_notebooks",
              "bundled-symbolic", "bundled-numeric", "test_parity", "test_fuzz",
              "test_figures", "test_workers", "test_marking", "test_outputs")


def _corpus_file(item: pytest.Item) -> Path | None:
    """The corpus file a parametrized test of a corpus module checks, if any."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    path = params.get("path")
    if isinstance(path, Path) and CORPUS in path.resolve().parents:
        return path.resolve()
    return None


def group_of(item: pytest.Item) -> str:
    """The xdist group of ``item``: its module, its corpus file or its shared run."""
    module = Path(str(item.path)).stem
    if module in ("test_corpus", "test_rename"):
        path = _corpus_file(item)
        if path is not None:
            return "corpus:" + path.relative_to(CORPUS).as_posix()
    if module in SHARED_RUNS:
        return SHARED_RUNS[module]
    try:
        return Path(str(item.path)).resolve().relative_to(TESTS.parent).as_posix()
    except ValueError:  # pragma: no cover - a test outside the repository
        return str(item.path)


def _rank(group: str) -> int:
    name = Path(group).stem if group.endswith(".py") else group
    return SLOW_FIRST.index(name) if name in SLOW_FIRST else len(SLOW_FIRST)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Under xdist: mark each test with its group and put the slowest groups first."""
    if not getattr(config.option, "numprocesses", None):
        return
    for item in items:
        item.add_marker(pytest.mark.xdist_group(group_of(item)))
    order = {id(item): n for n, item in enumerate(items)}
    items.sort(key=lambda item: (_rank(group_of(item)), order[id(item)]))


@pytest.fixture(scope="session")
def bundled_numeric() -> Any:
    """The bundled notes checked symbolically and numerically (seed 0, 5 s a step), once.

    Tests only read it; a test that changes a derivation must check its own copy."""
    from elbo_derivation.verification import verify_bundled

    return verify_bundled(numeric=True, seed=0, time_limit=5.0, progress=False)


@pytest.fixture(scope="session")
def bundled_symbolic() -> Any:
    """The bundled notes checked symbolically only (seed 0, 5 s a step), once; read only."""
    from elbo_derivation.verification import verify_bundled

    return verify_bundled(numeric=False, seed=0, time_limit=5.0, progress=False)
