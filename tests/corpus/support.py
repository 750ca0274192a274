"""Reading the corpus's labels and checking its files in-process, for the tests.

``tests/test_corpus.py``, ``tests/test_rename.py`` and ``benchmarks/bench_corpus.py`` import it
as ``corpus.support`` (pytest puts ``tests/`` on the path, see ``pythonpath`` in pyproject.toml;
the benchmark does the same), one module, so a file checked by one test is not checked again by
the other in the same session. See README.md beside this file for the labels.
"""

from __future__ import annotations

import functools
import hashlib
import re
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parent

#: Seconds allowed to each step's symbolic check in the tests (the benchmark uses the default).
TIME_LIMIT = 1.0

_LABEL = re.compile(
    r"^\s*[#%]\s*expect:\s*(?:(correct)|wrong\s+step=(\d+)\s+mistake=([a-z0-9|-]+))\s*$"
)
_OK = ("proved", "numerically-supported")


@dataclass(frozen=True)
class Label:
    """What a corpus file expects: correct, or wrong first at ``step`` with ``mistake``."""

    correct: bool
    step: int | None = None
    mistake: str | None = None

    @property
    def names(self) -> tuple[str, ...]:
        """The mistake names that count as right (``a|b`` in the label: either)."""
        return tuple(self.mistake.split("|")) if self.mistake else ()


def read_label(path: Path) -> Label:
    """The label in the first line of a corpus file.

    >>> read_label(CORPUS / "gaussian_kl" / "kl_equal_variances.deriv")
    Label(correct=True, step=None, mistake=None)
    """
    first = path.read_text(encoding="utf-8").split("\n", 1)[0]
    m = _LABEL.match(first)
    if m is None:
        raise ValueError(f"{path}: first line is not an '# expect: ...' label")
    if m.group(1):
        return Label(True)
    return Label(False, int(m.group(2)), m.group(3))


def corpus_files() -> list[Path]:
    """Every ``.deriv`` and ``.tex`` file of the corpus, sorted (not the defect reproducers)."""
    return sorted(p for p in CORPUS.rglob("*") if p.suffix in (".deriv", ".tex")
                  and "defects" not in p.relative_to(CORPUS).parts)


def defect_files() -> list[Path]:
    """The minimal reproducers of checker defects found with the corpus (``defects/``)."""
    return sorted(p for p in (CORPUS / "defects").glob("*") if p.suffix in (".deriv", ".tex"))


@dataclass(frozen=True)
class Result:
    """A file's check: ``kind`` is ``checked``, ``unreadable`` (an InputError) or ``crash``."""

    kind: str
    verdicts: tuple[str | None, ...] = ()
    mistakes: tuple[str | None, ...] = ()
    reasons: tuple[str, ...] = ()
    message: str = ""
    #: each step's ``mistake_status`` (how the search of the catalogue ended; "" if none ran)
    statuses: tuple[str, ...] = ()

    @property
    def timed_out(self) -> bool:
        """True when some step's verdict may depend on the time it was given."""
        return any("time" in r and ("ran out" in r or "timed out" in r) for r in self.reasons)


def _check_path(path: Path, time_limit: float) -> Result:
    from elbo_derivation.errors import InputError
    from elbo_derivation.verification import check_file

    try:
        d = check_file(path, time_limit=time_limit)
    except InputError as err:
        return Result("unreadable", message=str(err))
    except Exception:  # a crash is what the tests look for: keep the traceback
        return Result("crash", message=traceback.format_exc())
    # every part's steps in order: a label's step counts through the parts of a file
    steps = [s for part in (d.parts or [d]) for s in part.steps]
    return Result(
        "checked",
        tuple(None if s.result is None else s.result.verdict.value for s in steps),
        tuple(None if s.result is None else s.result.mistake for s in steps),
        tuple("" if s.result is None else s.result.reason for s in steps),
        statuses=tuple("" if s.result is None else s.result.mistake_status for s in steps),
    )


@functools.cache
def check_text(text: str, suffix: str, name: str = "derivation",
               time_limit: float = TIME_LIMIT) -> Result:
    """Check ``text`` as a ``.deriv`` or ``.tex`` file (cached on the text)."""
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{name}-{digest}{suffix}"
        path.write_text(text, encoding="utf-8")
        return _check_path(path, time_limit)


def check(path: Path, time_limit: float = TIME_LIMIT) -> Result:
    """Check the file at ``path`` (cached on its text)."""
    return check_text(path.read_text(encoding="utf-8"), path.suffix, path.stem, time_limit)


def classify(label: Label, verdicts: list[str | None]) -> str:
    """The category of a checked file from its label and step verdicts: ``right``,
    ``false-refutation``, ``missed-error``, ``wrong-step`` (refuted only after the labelled step)
    or ``undecided``, as ``benchmarks/bench_corpus.py`` documents them.

    >>> classify(Label(False, 2, "sign-error"), ["proved", "refuted"])
    'right'
    """
    if label.correct:
        if "refuted" in verdicts:
            return "false-refutation"
        # no steps read (a part not read) is not a file judged right
        return "right" if verdicts and all(v in _OK for v in verdicts) else "undecided"
    k = label.step or 0
    if k > len(verdicts):
        return "undecided"  # the labelled step is not there (a part was not read)
    if "refuted" in verdicts[: k - 1]:
        return "false-refutation"
    at = verdicts[k - 1]
    if at in _OK:
        return "missed-error"
    if at == "refuted":
        return "right" if all(v in _OK for v in verdicts[: k - 1]) else "undecided"
    if "refuted" in verdicts[k:]:
        return "wrong-step"
    return "undecided"


def outcome_record(label: Label, result: Result) -> dict[str, Any]:
    """What a test saw of one corpus file, for :func:`summary_lines`: its category (or
    ``unreadable``/``crash``) and, for a wrong file refuted at its label, the mistake outcome
    (``out-of-time`` when no name was given because the search was cut short).

    >>> outcome_record(Label(False, 1, "sign-error"),
    ...                Result("checked", ("refuted",), ("sign-error",)))
    {'category': 'right', 'mistake': 'named-right'}
    """
    if result.kind != "checked":
        return {"category": result.kind, "mistake": None}
    verdicts = list(result.verdicts)
    mistake = None
    if not label.correct and label.step and label.step <= len(verdicts) \
            and verdicts[label.step - 1] == "refuted":
        named = result.mistakes[label.step - 1]
        ran_out = result.statuses[label.step - 1:label.step] == ("out-of-time",)
        mistake = ("out-of-time" if named is None and ran_out
                   else "not-recognised" if named is None
                   else "named-right" if named in label.names else "misnamed")
    return {"category": classify(label, verdicts), "mistake": mistake}


def summary_lines(records: list[dict[str, Any]]) -> list[str]:
    """The corpus counts of a test run from its :func:`outcome_record` records.

    >>> lines = summary_lines([{"category": "right", "mistake": "named-right"},
    ...                        {"category": "undecided", "mistake": None}])
    >>> lines[1].split(":")[0]
    '  judged right 1 of 2 (50.0%)'
    >>> lines[2].split(": ")[1]
    'named right 1 (100.0%), not recognised 0 (and 0 whose search ran out of time), misnamed 0'
    """
    def n(key: str, value: str) -> int:
        return sum(r[key] == value for r in records)

    total, right = len(records), n("category", "right")
    at_label = sum(r["mistake"] is not None for r in records)
    named = n("mistake", "named-right")
    pct = f"{100 * right / total:.1f}%" if total else "-"
    npct = f"{100 * named / at_label:.1f}%" if at_label else "-"
    return [
        f"corpus as this run checked it (in-process, {TIME_LIMIT:g} s a step's symbolic check):",
        f"  judged right {right} of {total} ({pct}): false refutations "
        f"{n('category', 'false-refutation')}, missed errors {n('category', 'missed-error')}, "
        f"refuted late {n('category', 'wrong-step')}, undecided {n('category', 'undecided')}, "
        f"unreadable {n('category', 'unreadable')}, crashes {n('category', 'crash')}",
        f"  mistakes refuted at their label {at_label}: named right {named} ({npct}), "
        f"not recognised {n('mistake', 'not-recognised')} (and {n('mistake', 'out-of-time')} "
        f"whose search ran out of time), misnamed {n('mistake', 'misnamed')}",
    ]


def is_ok(verdict: str | None) -> bool:
    """True for the verdicts that accept a step."""
    return verdict in _OK


def named_in(d: Any, step: Any) -> str | None:
    """The mistake the catalogue names at ``step`` of the derivation ``d`` (its previous line
    and the written step, definitions substituted), or None: what every naming test asks."""
    from elbo_derivation.explain.mistakes import diagnose

    m = diagnose(d.expand_definitions(step.lhs(d)), d.expand_definitions(step.expr), d, step)
    return None if m is None else m.name


def named_in_text(text: str, step: int = 1, tex: bool = False) -> str | None:
    """The mistake named at ``step`` (from 1) of the derivation ``text`` (LaTeX when ``tex``),
    as :func:`named_in`."""
    from elbo_derivation.read.deriv import parse_derivation
    from elbo_derivation.read.tex import parse_tex_derivation

    d = parse_tex_derivation(text) if tex else parse_derivation(text)
    return named_in(d, d.steps[step - 1])


def named_in_file(path: Path, text: str, index: int = 0) -> str | None:
    """``text`` written to ``path`` (its suffix says the format) and the mistake named at its
    step ``index`` (from 0), as :func:`named_in`."""
    from elbo_derivation.verification import read_any

    path.write_text(text, encoding="utf-8")
    d = read_any(path)
    return named_in(d, d.steps[index])


def named_at_label(relative: str) -> str | None:
    """The mistake the catalogue names, in process and with no time limit, at the wrong step
    of the labelled corpus file ``relative`` (a path under ``tests/corpus``), or None."""
    from elbo_derivation.verification import read_any

    path = Path(__file__).resolve().parent / relative
    d = read_any(path)
    d, step = [(part, s) for part in (d.parts or [d])
               for s in part.steps][read_label(path).step - 1]
    return named_in(d, step)
