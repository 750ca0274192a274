"""Running the checks: the bundled notes, one file, or a whole folder of submissions.

This module only orchestrates. Reading is :mod:`elbo_derivation.read.deriv` (``.deriv``)
and :mod:`elbo_derivation.read.tex` (``.tex``); checking one derivation (the verdicts of
:mod:`elbo_derivation.decide`, the explanations of :mod:`elbo_derivation.explain`, the numeric
checks of :mod:`elbo_derivation.numeric`) is :mod:`elbo_derivation.pipeline`; the fast path
over several processes is :mod:`elbo_derivation.workers`, used by :func:`verify_bundled` and
by nothing else. What this module adds is the order of work, explicit randomness (one seed,
split into independent streams per derivation and per check, so one derivation's numbers do
not depend on which others ran), timings (``derivation.metadata["timings"]``, seconds per
stage), and, for a folder, the rule that one unreadable file never stops the others.

Examples
--------
>>> import sympy as sp
>>> from elbo_derivation.core.steps import (Derivation, Relation, Step, SymbolicResult,
...                                           Verdict)
>>> a = sp.Symbol("a", real=True)
>>> d = Derivation(title="t", symbols={"a": a}, start=a, steps=[
...     Step(1, Relation.EQ, a, result=SymbolicResult(Verdict.PROVED, "structural", 0.0))])
>>> derivation_ok(d)
True
"""

from __future__ import annotations

import numbers
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from elbo_derivation.errors import InputError
from elbo_derivation.pipeline import check_derivation, derivation_stream, run_numeric

if TYPE_CHECKING:  # (NumPy and SymPy are imported once the checks start: see workers.start)
    import numpy as np

    from elbo_derivation.core.steps import Derivation, Step

__all__ = [
    "MAX_FILES",
    "SUFFIXES",
    "FolderRow",
    "candidate_files",
    "check_file",
    "check_folder",
    "derivation_ok",
    "folder_files",
    "numeric_failures",
    "read_any",
    "run_errata",
    "run_numeric",
    "verify_bundled",
]

#: The file kinds ``check`` reads, and what reads them.
SUFFIXES = (".deriv", ".tex")
#: Most files one folder check accepts (a class, not a file system).
MAX_FILES = 10_000


def _max_steps() -> int:
    from elbo_derivation.read.deriv import MAX_STEPS

    return MAX_STEPS


def read_any(path: str | Path) -> Derivation:
    """Read a ``.deriv`` or ``.tex`` file into an unchecked derivation.

    The ``.deriv`` reader enforces the size and step limits itself (1 MB, 1000 steps, see
    :mod:`elbo_derivation.read.deriv`); the same step limit is applied here to whatever the
    LaTeX reader returns, so both kinds of file obey one rule.

    Raises
    ------
    InputError
        for a missing file, a folder, a suffix other than ``.deriv``/``.tex``, or a file
        beyond the limits; :class:`~elbo_derivation.errors.DerivationSyntaxError` for one that
        cannot be read.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file; expected a .deriv or .tex file")
    if p.is_dir():
        raise InputError(f"{p}: is a folder; expected a .deriv or .tex file")
    suffix = p.suffix.lower()
    if suffix == ".deriv":
        from elbo_derivation.read.deriv import read_derivation

        d = read_derivation(p)
    elif suffix == ".tex":
        try:
            from elbo_derivation.read.tex import read_tex_derivation
        except ImportError:
            raise InputError(f"{p}: reading .tex files is not available yet") from None
        d = read_tex_derivation(p)
    else:
        raise InputError(
            f"{p}: unknown kind of file {p.suffix or '(no suffix)'!r}; expected .deriv or .tex"
        )
    if len(d.steps) > _max_steps():
        raise InputError(f"{p}: {len(d.steps)} steps; at most {_max_steps()} are accepted")
    return d


def _check_symbolic(d: Derivation, time_limit: float, needed_rules: bool = True) -> float:
    t0 = time.perf_counter()
    check_derivation(d, time_limit=time_limit, needed_rules=needed_rules)
    return time.perf_counter() - t0


def _validate(time_limit: float, seed: int | None = 0) -> None:
    if not (isinstance(time_limit, (int, float)) and 0 < time_limit < float("inf")):
        raise InputError(f"time_limit must be a positive number of seconds, got {time_limit!r}")
    if seed is not None and (not isinstance(seed, numbers.Integral) or seed < 0):
        raise InputError(f"seed must be a non-negative integer, got {seed!r}")


class _Progress:
    """A tqdm bar on stderr when asked for and stderr is a terminal; otherwise silent."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.bar = None
        if enabled and total and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, file=sys.stderr, leave=False, unit="check")

    def stage(self, text: str) -> None:
        if self.bar is not None:
            self.bar.set_description(text)

    def done(self, n: int = 1) -> None:
        if self.bar is not None:
            self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _verify_one(
    path: Path, rng: np.random.Generator, numeric: bool, time_limit: float,
    needed_rules: bool = True,
) -> Derivation:
    """Read, check and (optionally) numerically check one bundled derivation."""
    from elbo_derivation.read.deriv import read_derivation

    t0 = time.perf_counter()
    d = read_derivation(path)
    timings = {"read": time.perf_counter() - t0}
    timings["symbolic"] = _check_symbolic(d, time_limit, needed_rules)
    if numeric:
        timings.update(run_numeric(d, rng))
    d.metadata["timings"] = timings
    return d


def _default_jobs(n_tasks: int) -> int:
    """Worker processes for ``n_tasks`` derivations: one per core, at most one per task."""
    import multiprocessing as mp
    import os

    if "fork" not in mp.get_all_start_methods():  # pragma: no cover - not on Linux
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cores or 1, n_tasks))


def verify_bundled(
    *,
    numeric: bool = True,
    seed: int = 0,
    time_limit: float = 5.0,
    progress: bool = False,
    jobs: int | None = None,
    needed_rules: bool = True,
) -> list[Derivation]:
    """Check every bundled derivation of the notes: symbolically, then numerically.

    Parameters
    ----------
    numeric : bool
        also run the quadrature and sampling checks on every step.
    seed : int
        seeds ``np.random.default_rng(seed)``; each derivation gets its own spawned stream,
        so the numbers do not depend on ``jobs`` or on the order of work.
    time_limit : float
        seconds allowed to each step's symbolic check.
    progress : bool
        show a progress bar on stderr (only when stderr is a terminal).
    jobs : int, optional
        processes, this one included. With more than one (Linux, ``fork``), this process
        reads the files and checks them symbolically while ``jobs - 1`` forked workers run
        the numeric checks and then help with the symbolic ones (see
        :mod:`elbo_derivation.workers`). Default: one per available core. ``1`` does
        everything in this process.
    needed_rules : bool
        name, for each proved step, only the rules it needed (the default). ``verify``'s
        text report shows neither rules nor notes and passes False: each rule left out in
        turn costs about a third of the symbolic checks, for nothing shown.

    Returns
    -------
    list of Derivation
        in the order of :func:`elbo_derivation.notes.bundled_paths`, every step with
        its ``result`` (and ``quadrature``/``sampling`` when ``numeric``); seconds per stage in
        ``metadata["timings"]``.

    See Also
    --------
    check_file : the same for one file of anyone's.
    """
    _validate(time_limit, seed)
    if jobs is not None and (not isinstance(jobs, int) or jobs < 1):
        raise InputError(f"jobs must be a positive integer, got {jobs!r}")
    from elbo_derivation.notes import bundled_paths

    paths = bundled_paths()
    n_jobs = _default_jobs(len(paths)) if jobs is None else min(jobs, max(1, len(paths)))
    lanes = None
    if n_jobs > 1:
        from elbo_derivation import workers

        workers.warm_up()  # SymPy and the reader, imported once and inherited by the workers
        lanes = workers.start(numeric=numeric, jobs=n_jobs)  # before NumPy and SciPy load
    bar = _Progress(len(paths) * (2 if numeric and lanes else 1), progress)
    try:
        if lanes is None:
            out = []
            for i, path in enumerate(paths):
                bar.stage(path.stem)
                stream = derivation_stream(seed, len(paths), i)
                out.append(_verify_one(path, stream, numeric, time_limit, needed_rules))
                bar.done()
            return out

        def done(stage: str) -> None:
            bar.stage(stage)
            bar.done()

        return workers.verify_in_lanes(lanes, paths, seed, time_limit=time_limit,
                                       on_done=done, needed_rules=needed_rules)
    finally:
        bar.close()


def check_file(
    path: str | Path, *, numeric: bool = False, time_limit: float = 5.0, seed: int = 0
) -> Derivation:
    """Read and check one ``.deriv`` or ``.tex`` file.

    Parameters
    ----------
    path : str or Path
        the file; ``.deriv`` goes to the ``.deriv`` parser, ``.tex`` to the reader of
        ``align``/``align*`` environments.
    numeric : bool
        also run the quadrature and sampling checks.
    time_limit : float
        seconds allowed to each step's symbolic check.
    seed : int
        for the numeric checks, ``np.random.default_rng(seed)``.

    Returns
    -------
    Derivation
        checked, with ``metadata["timings"]``.

    Raises
    ------
    InputError
        for a file that cannot be read (missing, too large, wrong kind, malformed; a syntax
        error is located as ``FILE:LINE:COLUMN``).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "product.deriv"
    >>> _ = path.write_text("symbols: a, b : positive\\nlog(a*b)\\n"
    ...                     "= log(a) + log(b)   # the log of a product\\n", encoding="utf-8")
    >>> d = check_file(path)
    >>> d.steps[0].verdict.value, d.steps[0].line
    ('proved', 3)
    """
    _validate(time_limit, seed)
    t0 = time.perf_counter()
    d = read_any(path)
    read_seconds = time.perf_counter() - t0
    for part in d.parts:  # every part of the file is checked (Derivation.parts)
        timings = {"read": read_seconds if part is d else 0.0}
        timings["symbolic"] = _check_symbolic(part, time_limit)
        if numeric:
            import numpy as np

            timings.update(run_numeric(part, np.random.default_rng(seed)))
        part.metadata["timings"] = timings
    return d


def numeric_failures(d: Derivation) -> list[tuple[Step, str]]:
    """The (step, kind) pairs whose quadrature or sampling check was made and did not pass
    (a check that could not be made is not a failure)."""
    out = []
    for step in d.steps:
        for check in (step.quadrature, step.sampling):
            if check is not None and check.failed:
                out.append((step, check.kind))
    return out


def derivation_ok(d: Derivation, *, numeric: bool = True) -> bool:
    """True when every step is checked and proved or numerically supported, and (with
    ``numeric``) no quadrature or sampling check failed or was missing."""
    return all(_part_ok(part, numeric) for part in d.parts)  # every part of the file


def _part_ok(d: Derivation, numeric: bool) -> bool:
    if any(s.result is None or not s.result.verdict.ok for s in d.steps):
        return False
    return not (numeric and (numeric_failures(d) or d.metadata.get("numeric_missing")))


@dataclass
class FolderRow:
    """One file of a folder check: what was found, or why the file could not be read.

    ``status`` is ``"ok"`` (every step proved or numerically supported, and the numeric
    checks passed when run), ``"refuted"`` or ``"undecided"`` (the verdict of the first
    failing step), ``"numeric-failure"`` (symbolically fine, a numeric check failed), or
    ``"unreadable"`` (``error`` says why).
    """

    file: str
    status: str
    steps: int | None = None
    first_failure: int | None = None
    line: int | None = None
    mistake: str | None = None
    error: str | None = None
    seconds: float = 0.0
    derivation: Derivation | None = field(default=None, repr=False)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "status": self.status,
            "steps": self.steps,
            "first_failure": self.first_failure,
            "line": self.line,
            "mistake": self.mistake,
            "error": self.error,
            "seconds": round(self.seconds, 6),
        }


def _row_for(name: str, d: Derivation, seconds: float, numeric: bool) -> FolderRow:
    # a file of several parts: the first part that fails speaks for the file
    d = next((p for p in d.parts if not _part_ok(p, numeric)), d)
    failing = d.first_failure
    if failing is not None:
        assert failing.result is not None
        status = failing.result.verdict.value
        return FolderRow(name, status, len(d.steps), failing.index, failing.line,
                         failing.result.mistake, None, seconds, d)
    bad = numeric_failures(d) if numeric else []
    if bad:
        step, _ = bad[0]
        return FolderRow(name, "numeric-failure", len(d.steps), step.index, step.line,
                         None, None, seconds, d)
    return FolderRow(name, "ok", len(d.steps), None, None, None, None, seconds, d)


def candidate_files(folder: Path) -> tuple[list[Path], list[Path]]:
    """The ``.deriv``/``.tex`` entries under ``folder`` and the other files, both sorted.

    Sub-folders are searched, symbolic links to folders followed once (a link back to a
    folder already being searched, a loop, is not entered again; it is listed with the
    ignored entries); hidden files and folders (name starting with ``.``) are skipped.

    Every entry whose name ends in ``.deriv`` or ``.tex`` and is not a folder is a
    candidate, even when it cannot be read as a file (a broken link, a FIFO, a socket), so
    that :func:`check_folder` gives it a row that says why instead of skipping it silently;
    a sub-folder that cannot be listed is a candidate too, for the same reason. A folder
    whose name ends in ``.deriv`` is a folder: it is searched, not checked.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     for name in ("b.tex", "a.deriv", "notes.txt", ".hidden.deriv"):
    ...         _ = (Path(d) / name).write_text("")
    ...     found, ignored = candidate_files(Path(d))
    ...     [p.name for p in found], [p.name for p in ignored]
    (['a.deriv', 'b.tex'], ['notes.txt'])
    """
    import os

    found: list[Path] = []
    ignored: list[Path] = []
    try:
        top = folder.stat()
    except OSError:
        return found, ignored
    searching = {(top.st_dev, top.st_ino)}

    def walk(directory: Path) -> None:
        try:
            with os.scandir(directory) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:  # listed as a candidate: check_folder's row says why
            found.append(directory)
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            try:
                is_dir = entry.is_dir()  # follows links
            except OSError:
                is_dir = False
            if is_dir:
                try:
                    st = path.stat()
                except OSError:
                    found.append(path)
                    continue
                key = (st.st_dev, st.st_ino)
                if key in searching:  # a link back into the folders being searched: a loop
                    ignored.append(path)
                    continue
                searching.add(key)
                walk(path)
                searching.discard(key)
            elif path.suffix.lower() in SUFFIXES:
                found.append(path)
            else:
                ignored.append(path)

    walk(folder)
    return sorted(found), sorted(ignored)


def not_a_file(path: Path) -> str | None:
    """Why ``path`` cannot be read as a derivation file without even opening it, or None.

    Opening a FIFO would wait for a writer forever, so only regular files are opened.
    """
    import stat

    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return "a broken symbolic link (its target does not exist)" if path.is_symlink() \
            else "no such file"
    except OSError as err:
        return f"cannot be read: {err.strerror or err}"
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder that cannot be listed"
    kind = ("a FIFO (named pipe)" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode)
            else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "not a file")
    return f"{kind}, not a regular file"


def folder_files(path: str | Path, verb: str = "checked") -> tuple[Path, list[Path], list[Path]]:
    """The folder, its ``.deriv``/``.tex`` files and the other files it holds (see
    :func:`candidate_files`), for a command that treats every file of a folder.

    Raises
    ------
    InputError
        when ``path`` is not a folder, holds no ``.deriv``/``.tex`` file, or more than
        :data:`MAX_FILES` of them (``verb`` says what would be done to them).
    """
    folder = Path(path)
    if not folder.is_dir():
        raise InputError(f"{folder}: not a folder")
    files, ignored = candidate_files(folder)
    if not files:
        raise InputError(f"{folder}: no .deriv or .tex files in this folder")
    if len(files) > MAX_FILES:
        raise InputError(f"{folder}: {len(files)} .deriv/.tex files; at most {MAX_FILES} are "
                         f"{verb} at once")
    return folder, files, ignored


def check_folder(
    path: str | Path,
    *,
    numeric: bool = False,
    time_limit: float = 5.0,
    seed: int = 0,
    progress: bool = False,
    on_row: Callable[[FolderRow], None] | None = None,
) -> list[FolderRow]:
    """Check every ``.deriv`` and ``.tex`` file under a folder: one row per file.

    A file that cannot be read (malformed, not UTF-8, too large, ...) gives a row with
    ``status="unreadable"`` and the error message; it never stops the others.

    Parameters
    ----------
    path : str or Path
        the folder; its sub-folders are searched too, hidden files and folders skipped.
    numeric, time_limit, seed
        as for :func:`check_file`; every file gets the same ``seed``, so a file's result
        does not depend on the others.
    progress : bool
        a progress bar on stderr when it is a terminal.
    on_row : callable, optional
        called with each row as soon as it is ready.

    Returns
    -------
    list of FolderRow
        sorted by file name, relative to ``path``.

    Raises
    ------
    InputError
        when ``path`` is not a folder, holds no ``.deriv``/``.tex`` file, or more than
        :data:`MAX_FILES` of them.
    """
    _validate(time_limit, seed)
    folder, files, _ = folder_files(path, "checked")
    bar = _Progress(len(files), progress)
    rows = []
    try:
        for p in files:
            name = p.relative_to(folder).as_posix()
            bar.stage(name)
            t0 = time.perf_counter()
            why = not_a_file(p)
            try:
                if why is not None:
                    raise InputError(f"{p}: {why}")
                d = check_file(p, numeric=numeric, time_limit=time_limit, seed=seed)
            except (InputError, OSError, UnicodeError) as err:
                row = FolderRow(name, "unreadable", error=error_message(err),
                                seconds=time.perf_counter() - t0)
            except RecursionError:
                row = FolderRow(name, "unreadable", error="expression nested too deeply",
                                seconds=time.perf_counter() - t0)
            except Exception as err:  # one broken file must not stop a whole class
                row = FolderRow(name, "unreadable",
                                error=f"internal error ({type(err).__name__}): {err}",
                                seconds=time.perf_counter() - t0)
            else:
                row = _row_for(name, d, time.perf_counter() - t0, numeric)
            rows.append(row)
            if on_row is not None:
                on_row(row)
            bar.done()
    finally:
        bar.close()
    return rows


def error_message(err: BaseException) -> str:
    """What a reader is told of ``err``: the file and the system's reason for an OSError,
    else the error's own message (already located for input errors)."""
    if isinstance(err, OSError) and err.filename is not None:
        return f"{err.filename}: {err.strerror or err}"
    return str(err)


def _interpret_check(result: Any) -> tuple[bool | None, str]:
    """(ok, summary) from whatever an erratum's ``check()`` returned."""
    import numpy as np

    if isinstance(result, (bool, np.bool_)):
        return bool(result), ""
    if isinstance(result, str):
        return None, result
    if isinstance(result, tuple) and len(result) == 2 and isinstance(result[0], (bool, np.bool_)):
        return bool(result[0]), str(result[1])
    if isinstance(result, dict):
        ok = result.get("ok", result.get("holds"))
        summary = result.get("summary", result.get("message", ""))
        return (None if ok is None else bool(ok)), str(summary)
    for name in ("ok", "holds", "passed"):
        if hasattr(result, name):
            summary = next((getattr(result, s) for s in ("summary", "message", "text")
                            if hasattr(result, s)), str(result))
            return bool(getattr(result, name)), str(summary)
    return bool(result), str(result)


def run_errata() -> list[dict[str, Any]] | None:
    """Run the check of every erratum in ``elbo_derivation.explain.errata.ERRATA``.

    Returns
    -------
    list of dict or None
        one dict per erratum: ``title``, ``section``, ``explanation``, ``ok`` (True, False,
        or None when the check gives only a summary), ``summary`` and ``seconds``. A check
        that raises counts as failed, with the error as its summary. ``None`` when the
        errata module is not available.
    """
    try:
        from elbo_derivation.explain.errata import ERRATA
    except ModuleNotFoundError as err:
        if err.name and err.name.endswith("errata"):
            return None
        raise
    out = []
    for erratum in ERRATA:
        t0 = time.perf_counter()
        try:
            ok, summary = _interpret_check(erratum.check())
        except Exception as err:  # a broken demonstration is a failed one, not a crash
            ok, summary = False, f"the check raised {type(err).__name__}: {err}"
        out.append({
            "title": str(getattr(erratum, "title", "")),
            "section": str(getattr(erratum, "section", "")),
            "explanation": str(getattr(erratum, "explanation", "")),
            "ok": ok,
            "summary": summary,
            "seconds": round(time.perf_counter() - t0, 6),
        })
    return out
