"""What the whole test suite shares: checked notes, and how the tests are split between workers.

``make test`` runs the suite on two processes (pytest-xdist, ``--dist loadscope`` with the
scopes of :func:`group_of`). Every test
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
(without ``-n``), pytest ignores the groups and runs the tests in the usual order. (xdist's own
``loadgroup`` marks do not work with pytest 9.2, whose node ids no longer read ``_nodeid``.)
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


def group_of(nodeid: str) -> str:
    """The group of the test ``nodeid``: its corpus file, its shared run, or its module.

    >>> group_of("tests/test_corpus.py::test_corpus_file_is_safe[sums/a.s2.x.tex]")
    'corpus:sums/a.s2.x.tex'
    >>> group_of("tests/test_rename.py::test_corpus_keeps_its_verdicts[tests/corpus/sums/a.tex]")
    'corpus:sums/a.tex'
    >>> group_of("tests/test_slides.py::test_html_deck_one_slide_per_step")
    'bundled-symbolic'
    >>> group_of("elbo_derivation/workers.py::elbo_derivation.workers.dumps")
    'elbo_derivation/workers.py'
    """
    module, _, rest = nodeid.partition("::")
    for prefix, strip in (("test_corpus_file_is_safe[", ""),
                          ("test_corpus_keeps_its_verdicts[", "tests/corpus/")):
        if rest.startswith(prefix) and rest.endswith("]"):
            param = rest[len(prefix):-1]
            return "corpus:" + param.removeprefix(strip)
    return SHARED_RUNS.get(Path(module).stem, module)


def _rank(group: str) -> int:
    name = Path(group).stem if group.endswith(".py") else group
    return SLOW_FIRST.index(name) if name in SLOW_FIRST else len(SLOW_FIRST)


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadscope`` with this suite's groups (:func:`group_of`) as its scopes."""
    if config.getoption("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        """Each group runs whole in one process; groups go out in the order collected."""

        def _split_scope(self, nodeid: str) -> str:
            return group_of(nodeid)

    return GroupScheduling(config, log)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """In an xdist worker: the slowest groups first (every worker sorts alike)."""
    if not hasattr(config, "workerinput"):
        return
    order = {id(item): n for n, item in enumerate(items)}
    items.sort(key=lambda item: (_rank(group_of(item.nodeid)), order[id(item)]))


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


@pytest.fixture
def unhurried_naming(monkeypatch: pytest.MonkeyPatch) -> None:
    """Give the mistake catalogue 30 s instead of its 3 s budget: naming tests ask *what* is
    named, not how fast (the benchmark measures the naming time), and a loaded machine must not
    turn a name into a timeout."""
    from elbo_derivation.explain import mistakes

    monkeypatch.setattr(mistakes, "TIME_BUDGET", 30.0)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """At the end of a run that checked corpus files: how many were judged right and how many
    mistakes were named, from what each ``test_corpus_file_is_safe`` recorded (also across
    xdist workers: the records travel with the test reports)."""
    import json

    records = []
    for reports in terminalreporter.stats.values():
        for report in reports:
            if getattr(report, "when", None) != "call":
                continue
            for key, value in getattr(report, "user_properties", ()):
                if key == "corpus":
                    records.append(value if isinstance(value, dict) else json.loads(value))
    if records:
        from corpus import support

        terminalreporter.write_sep("-", "corpus summary")
        for line in support.summary_lines(records):
            terminalreporter.write_line(line)
        # every file's outcome, for a look at the ones not judged right or not named
        out = Path(__file__).resolve().parent.parent / "build" / "corpus-outcomes.json"
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps(sorted(records, key=lambda r: r.get("path", "")), indent=0))
        terminalreporter.write_line(f"  each file's outcome: {out}")

