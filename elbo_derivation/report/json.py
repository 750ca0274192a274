"""The JSON reports of ``verify`` and ``check``, exactly in the shape DESIGN.md promises.

``verify``::

    {"derivations": [{"name", "source", "steps": [{"index", "relation", "lhs", "rhs",
      "justification", "symbolic": {"verdict", "method", "seconds", "counterexample"},
      "quadrature": {...} | null, "sampling": {...} | null}]}],
     "summary": {"steps", "proved", "numerically-supported", "refuted", "undecided",
                 "seconds"}}

``check``::

    {"file", "steps": [{"index", "line", "relation", "verdict", "counterexample",
                        "mistake"}],
     "first_failure": step | null}

``check FOLDER --json`` (not in DESIGN.md's contracts; this module defines it)::

    {"folder", "files": [{"file", "status", "steps", "first_failure", "line", "mistake",
                          "error", "seconds"}],
     "summary": {"files", "ok", "failing", "unreadable", "ignored"}}

where ``status`` is ``ok``, ``refuted``, ``undecided``, ``numeric-failure`` or
``unreadable`` and ``first_failure`` the index of the first failing step (or null).

Fields may be added (``title``, ``reason``, ``explanation``, ...), never renamed. ``index``
counts steps from 1; ``line`` is the line in the file; ``relation`` is one of ``=``, ``<=``,
``>=``, ``=~``; ``lhs``/``rhs`` are the two sides in the readable unicode of the text report
(as the author wrote them when the file's text is plain ``.deriv`` syntax, see
:func:`~elbo_derivation.report.pretty.shown`);
a counterexample is ``{"point": {name: value}, "lhs", "rhs", "difference", "note"}``.
Non-finite numbers appear as the strings ``"nan"``, ``"inf"``, ``"-inf"`` so the output is
strict JSON.

Examples
--------
>>> import sympy as sp
>>> from elbo_derivation.core.steps import (Derivation, Relation, Step, SymbolicResult,
...                                           Verdict)
>>> a = sp.Symbol("a", positive=True)
>>> d = Derivation(title="t", name="t", symbols={"a": a}, start=sp.log(a**2),
...     steps=[Step(1, Relation.EQ, 2*sp.log(a), "log of a power", line=3,
...                 result=SymbolicResult(Verdict.PROVED, "expand_log", 0.001))])
>>> out = check_json(d, file="t.deriv")
>>> out["file"], out["steps"][0]["verdict"], out["first_failure"]
('t.deriv', 'proved', None)
>>> verify_json([d], seconds=0.5)["summary"]["proved"]
1
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from elbo_derivation.core.steps import Derivation, NumericCheck, Step, Verdict
from elbo_derivation.report.notation import in_author_notation
from elbo_derivation.report.pretty import shown_part, shown_sides, shown_way_back

__all__ = [
    "check_json",
    "derivation_to_json",
    "dumps",
    "folder_json",
    "step_to_json",
    "summary_json",
    "verify_json",
]


def _numeric(check: NumericCheck | None) -> dict[str, Any] | None:
    return None if check is None else check.to_json()


def _counterexample(r: Any, d: Derivation | None, step: Step) -> dict[str, Any] | None:
    """The result's counterexample, its exact difference in the author's notation."""
    cx = r.counterexample
    if cx is None:
        return None
    out = cx.to_json()
    if cx.exact is not None and cx.exact_text:
        out["note"] = out["note"].replace(cx.exact_text, shown_part(cx.exact, d, step), 1)
    return out


def _symbolic(step: Step, d: Derivation | None = None) -> dict[str, Any] | None:
    r = step.result
    if r is None:
        return None
    out = r.to_json()
    out["counterexample"] = _counterexample(r, d, step)
    out["mistake"] = r.mistake
    out["mistake_also"] = list(r.mistake_also)
    out["mistake_candidates"] = list(r.mistake_candidates)
    out["mistake_status"] = r.mistake_status or None
    out["explanation"] = in_author_notation(r.explanation, d, step)
    out["rule"] = in_author_notation(out.get("rule"), d, step)
    out["reason"] = in_author_notation(out.get("reason"), d, step)
    out.update(_differing(r, d, step))
    return out


def _differing(r: Any, d: Derivation | None = None,
               step: Step | None = None) -> dict[str, str | None]:
    """The smallest differing sub-expression, when the engine records one (as its author
    wrote it where the step, or the line before, shows it)."""
    sub, expected = getattr(r, "subexpression", None), getattr(r, "expected", None)
    way_back = getattr(r, "expected_step", None)
    return {
        "subexpression": None if sub is None else shown_part(sub, d, step),
        "expected": None if expected is None else shown_part(expected, d, step, before=True),
        "expected_step": None if way_back is None else shown_way_back(r, d, step),
    }


def step_to_json(step: Step, d: Derivation) -> dict[str, Any]:
    """One step as in ``verify``'s JSON (plus ``line``, ``text`` and ``wrt``)."""
    lhs, rhs = shown_sides(d, step)
    return {
        "index": step.index,
        "relation": step.relation.value,
        "lhs": lhs,
        "rhs": rhs,
        "justification": step.justification,
        "symbolic": _symbolic(step, d),
        "quadrature": _numeric(step.quadrature),
        "sampling": _numeric(step.sampling),
        "line": step.line,
        "text": step.text,
        "wrt": list(step.wrt),
    }


def derivation_to_json(d: Derivation) -> dict[str, Any]:
    """One derivation as in ``verify``'s JSON (plus ``title``, ``path``, ``counts`` and
    ``timings``)."""
    return {
        "name": d.name,
        "source": d.source,
        "title": d.title,
        "path": d.path,
        "steps": [step_to_json(s, d) for s in d.steps],
        "counts": d.counts(),
        "timings": {k: round(float(v), 6) for k, v in d.metadata.get("timings", {}).items()},
    }


def summary_json(derivations: Sequence[Derivation], seconds: float | None = None) -> dict:
    """Counts over all steps: ``steps``, one key per verdict, ``seconds`` (and numeric
    counts)."""
    out: dict[str, Any] = {"steps": sum(len(d.steps) for d in derivations)}
    for v in Verdict:
        out[v.value] = sum(d.counts()[v.value] for d in derivations)
    if seconds is None:
        seconds = sum(float(t) for d in derivations
                      for t in d.metadata.get("timings", {}).values())
    out["seconds"] = round(float(seconds), 6)
    checks = [c for d in derivations for s in d.steps
              for c in (s.quadrature, s.sampling) if c is not None]
    out["numeric_checks"] = len(checks)
    out["numeric_failures"] = sum(not c.ok and c.made for c in checks)
    out["numeric_not_made"] = sum(not c.made for c in checks)
    out["numeric_missing"] = sorted({k for d in derivations
                                     for k in d.metadata.get("numeric_missing", ())})
    out["derivations"] = len(derivations)
    return out


def verify_json(
    derivations: Sequence[Derivation],
    *,
    seconds: float | None = None,
    errata: list[dict[str, Any]] | None = None,
    errata_note: str | None = None,
) -> dict[str, Any]:
    """The ``verify --json`` document; ``errata`` (from
    :func:`elbo_derivation.verification.run_errata`) is added under ``"errata"`` when given,
    or ``errata_note`` when the errata are unavailable."""
    out: dict[str, Any] = {
        "derivations": [derivation_to_json(d) for d in derivations],
        "summary": summary_json(derivations, seconds),
    }
    if errata is not None:
        out["errata"] = errata
    elif errata_note is not None:
        out["errata"] = None
        out["errata_note"] = errata_note
    return out


def _check_step(step: Step, d: Derivation) -> dict[str, Any]:
    r = step.result
    cx = None if r is None else _counterexample(r, d, step)
    lhs, rhs = shown_sides(d, step)
    return {
        "index": step.index,
        "line": step.line,
        "relation": step.relation.value,
        "verdict": None if r is None else r.verdict.value,
        "counterexample": cx,
        "mistake": None if r is None else r.mistake,
        "mistake_also": [] if r is None else list(r.mistake_also),
        "mistake_candidates": [] if r is None else list(r.mistake_candidates),
        "mistake_status": None if r is None else (r.mistake_status or None),
        "explanation": "" if r is None else in_author_notation(r.explanation, d, step),
        **(_differing(r, d, step) if r is not None else {"subexpression": None, "expected": None,
                                               "expected_step": None}),
        "method": None if r is None else r.method,
        "rule": None if r is None else in_author_notation(r.rule, d, step),
        "note": "" if r is None else r.note,
        "reason": "" if r is None else in_author_notation(r.reason, d, step),
        "seconds": None if r is None else round(r.seconds, 6),
        "lhs": lhs,
        "rhs": rhs,
        "justification": step.justification,
        "quadrature": _numeric(step.quadrature),
        "sampling": _numeric(step.sampling),
        # set by marking: carried-forward / recovered, and the line the step follows from
        "status": step.status,
        "follows_from": step.follows_from,
    }


def check_json(d: Derivation, *, file: str | None = None) -> dict[str, Any]:
    """The ``check FILE --json`` document; ``first_failure`` is the first refuted or
    undecided step (the same object as in ``steps``) or ``None``."""
    steps = [_check_step(s, d) for s in d.steps]
    failing = d.first_failure
    return {
        "file": file if file is not None else d.path,
        "title": d.title,
        "steps": steps,
        "first_failure": next((j for j, s in zip(steps, d.steps, strict=True) if s is failing),
                              None),
        "summary": summary_json([d]),
    }


def folder_json(rows: Sequence[Any], *, folder: str, ignored: int = 0) -> dict[str, Any]:
    """The ``check FOLDER --format json`` document: one entry per file and the totals."""
    return {
        "folder": folder,
        "files": [row.to_json() for row in rows],
        "summary": {
            "files": len(rows),
            "ok": sum(row.status == "ok" for row in rows),
            "failing": sum(row.status not in ("ok", "unreadable") for row in rows),
            "unreadable": sum(row.status == "unreadable" for row in rows),
            "ignored": ignored,
        },
    }


def dumps(document: dict[str, Any]) -> str:
    """Strict JSON text (no NaN or Infinity literals), UTF-8 characters kept."""
    return json.dumps(document, indent=2, ensure_ascii=False, allow_nan=False, default=_default)


def _default(value: Any) -> Any:
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return value.tolist()
    return str(value)
