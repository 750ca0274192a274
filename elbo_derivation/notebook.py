r"""Derivations in Jupyter: rich display, and a cell magic that checks what you type.

Every :class:`~elbo_derivation.core.steps.Derivation`, :class:`~elbo_derivation.core.steps.Step`
and :class:`~elbo_derivation.core.steps.SymbolicResult` shows itself in a notebook as
mathematics with its verdicts (``_repr_html_`` with MathML, ``_repr_latex_`` for MathJax and
LaTeX exports, ``_repr_mimebundle_`` with both and plain text); the functions here build
those forms.

The extension adds the ``%%derivation`` cell magic::

    %load_ext elbo_derivation

    %%derivation
    symbols: a, b : positive
    log(a^2*b)
    = 2*log(a) + log(b)   # log of a product, then of a power

The cell holds a derivation in the ``.deriv`` format (or a LaTeX ``align`` environment);
it is checked as ``elbo-derivation check`` checks a file, and shown rendered, with each
step's verdict and the first mistake spelled out. Options on the magic's line:
``--no-numeric`` (symbolic checks only), ``--time-limit SEC``, ``--seed S``, ``--no-verdicts``
(show the steps only: for a class deciding for itself). The checked derivation is also kept
in the variable ``_derivation``.

Examples
--------
>>> from elbo_derivation.read.deriv import parse_derivation
>>> from elbo_derivation.decide.engine import check_derivation
>>> d = check_derivation(parse_derivation("symbols: a : positive\nlog(a^2)\n= 2*log(a)  # power"))
>>> html = derivation_html(d)
>>> html.count("<math"), "✓" in html
(2, True)
>>> print(derivation_latex(d))
$$\begin{aligned}
  & \log{\left(a^{2} \right)} \\
  &= 2 \log{\left(a \right)} && \text{(1) \checkmark}
\end{aligned}$$
"""

from __future__ import annotations

import html as _html
import shlex
from typing import Any

from elbo_derivation.core.steps import RENDERERS, Derivation, Step, SymbolicResult, Verdict

__all__ = [
    "derivation_html",
    "derivation_latex",
    "load_ipython_extension",
    "result_html",
    "step_html",
]

_STYLE = """<style>
.elbo-d { font-family: "Charter", "Georgia", "DejaVu Serif", serif; line-height: 1.4; }
.elbo-d table { border-collapse: collapse; margin: .4em 0; }
.elbo-d td { padding: .3em .6em; vertical-align: top; text-align: left;
  border-top: 1px solid #ddd; }
.elbo-d td.n { color: #666; width: 2.5em; }
.elbo-d td.why { color: #333; font-size: .92em; max-width: 24em; }
.elbo-d td.v { white-space: nowrap; font-size: .92em; }
.elbo-d math { font-size: 1.1em; }
.elbo-d .ok { color: #007a5a; font-weight: 700; }
.elbo-d .sup { color: #0072b2; font-weight: 700; }
.elbo-d .bad { color: #c04000; font-weight: 700; }
.elbo-d .und { color: #8a6d00; font-weight: 700; }
.elbo-d .first { border-left: 4px solid #c04000; background: #fff4ef; padding: .4em .7em;
  margin: .4em 0; }
.elbo-d .allok { border-left: 4px solid #007a5a; background: #f1faf6; padding: .4em .7em;
  margin: .4em 0; }
.elbo-d h4 { margin: .2em 0 .3em; }
</style>"""

_CLASS = {Verdict.PROVED: "ok", Verdict.NUMERICALLY_SUPPORTED: "sup",
          Verdict.REFUTED: "bad", Verdict.UNDECIDED: "und"}  # fmt: skip
_TEX_MARK = {Verdict.PROVED: r"\checkmark", Verdict.NUMERICALLY_SUPPORTED: r"\approx",
             Verdict.REFUTED: r"\times", Verdict.UNDECIDED: "?"}  # fmt: skip


def _esc(text: str) -> str:
    return _html.escape(str(text), quote=True)


def result_html(result: SymbolicResult | None) -> str:
    """A verdict as a coloured mark and a word, with how it was reached (HTML)."""
    from elbo_derivation.report.handout import MARKS, VERDICT_WORDS, prose_html
    from elbo_derivation.report.text import mistake_name, no_name_said

    if result is None:
        return '<span class="und">·</span> not checked'
    v = result.verdict
    out = f'<span class="{_CLASS[v]}">{MARKS[v]}</span> {_esc(VERDICT_WORDS[v])}'
    if result.method:
        out += f' <small>by {_esc(result.method)}</small>'
    if result.mistake:
        out += f"<br><small>likely mistake: {prose_html(mistake_name(result))}</small>"
    elif result.verdict is Verdict.REFUTED and no_name_said(result):
        out += f"<br><small>{prose_html(no_name_said(result))}</small>"
    return out


def _first_problem(d: Derivation) -> str:
    from elbo_derivation.report.handout import prose_html
    from elbo_derivation.report.text import format_counterexample, mistake_name, no_name_said

    checked = [s for s in d.steps if s.result is not None]
    if not checked:
        return ""
    bad = d.first_failure
    if bad is None:
        n = len(d.steps)
        return (f'<div class="allok"><span class="ok">✓</span> all {n} step'
                f'{"s" if n != 1 else ""} hold.</div>')  # fmt: skip
    r = bad.result
    assert r is not None
    where = f" (line {bad.line})" if bad.line else ""
    parts = [f"<strong>First problem: step {bad.index}{where}</strong> — "
             f"{_esc(str(r.verdict))}."]  # fmt: skip
    if r.counterexample is not None:
        parts.append(f"<br>{_esc(format_counterexample(r.counterexample, d, bad))}")
    if r.mistake:
        parts.append(f"<br>Likely mistake: {prose_html(mistake_name(r))}")
    elif no_name_said(r) and no_name_said(r) != (r.explanation or r.reason):
        parts.append(f"<br>{prose_html(no_name_said(r))}")
    if r.explanation or r.reason:
        parts.append(f"<br><small>{prose_html(r.explanation or r.reason)}</small>")
    return f'<div class="first">{"".join(parts)}</div>'


def derivation_html(d: Derivation, *, verdicts: bool = True) -> str:
    """A derivation as an HTML block for a notebook: one row per step, as written, in MathML,
    with its justification and (with ``verdicts``) its verdict, then the first problem."""
    from elbo_derivation.report.handout import RELATION_MO, mathml_block, shown_mathml
    from elbo_derivation.report.handout import justification_html as justification

    rows = [f'<tr><td class="n"></td><td>{mathml_block(shown_mathml(d))}</td>'
            f'<td class="why">start</td>{"<td></td>" if verdicts else ""}</tr>']  # fmt: skip
    for step in d.steps:
        math = mathml_block(f"<mo>{RELATION_MO[step.relation]}</mo>", shown_mathml(d, step))
        cells = (f'<td class="n">{step.index}</td><td>{math}</td>'
                 f'<td class="why">{justification(step, d)}</td>')  # fmt: skip
        if verdicts:
            cells += f'<td class="v">{result_html(step.result)}</td>'
        rows.append(f"<tr>{cells}</tr>")
    title = f"<h4>{_esc(d.title)}</h4>" if d.title else ""
    footer = _first_problem(d) if verdicts else ""
    return (f'{_STYLE}<div class="elbo-d">{title}<table>{"".join(rows)}</table>'
            f"{footer}</div>")  # fmt: skip


def step_html(step: Step) -> str:
    """One step on its own: relation, expression as written, justification, verdict."""
    from elbo_derivation.report.handout import RELATION_MO, mathml_block, mathml_expr

    written = step.display is not None
    math = mathml_block(f"<mo>{RELATION_MO[step.relation]}</mo>",
                        mathml_expr(step.shown, written=written))  # fmt: skip
    why = f" <small>{_esc(step.justification)}</small>" if step.justification else ""
    return (f'{_STYLE}<div class="elbo-d">{step.index}. {math}{why} · '
            f"{result_html(step.result)}</div>")  # fmt: skip


def derivation_latex(d: Derivation, *, verdicts: bool = True) -> str:
    r"""A derivation as ``$$\begin{aligned}...\end{aligned}$$`` (MathJax, LaTeX exports)."""
    from elbo_derivation.report.latex import RELATIONS, shown_latex

    lines = [r"$$\begin{aligned}", f"  & {shown_latex(d)}"]
    for step in d.steps:
        mark = ""
        if verdicts and step.result is not None:
            mark = " " + _TEX_MARK[step.result.verdict]
        lines[-1] += r" \\"
        lines.append(f"  &{RELATIONS[step.relation]} {shown_latex(d, step)}"
                     rf" && \text{{({step.index}){mark}}}")  # fmt: skip
    lines.append(r"\end{aligned}$$")
    return "\n".join(lines)


def mimebundle(obj: Any) -> dict[str, str]:
    """The MIME bundle of a derivation, step or result: HTML, LaTeX and plain text."""
    if isinstance(obj, Derivation):
        from elbo_derivation.report.text import render_text

        return {"text/html": derivation_html(obj), "text/latex": derivation_latex(obj),
                "text/plain": render_text([obj], timings=False)}  # fmt: skip
    if isinstance(obj, Step):
        from elbo_derivation.report.pretty import pretty

        shown = pretty(obj.shown, written=obj.display is not None)
        text = f"{obj.index}. {obj.relation.symbol} {shown}"
        if obj.result is not None:
            text += f"   [{obj.result.verdict}]"
        return {"text/html": step_html(obj), "text/plain": text}
    if isinstance(obj, SymbolicResult):
        text = f"{obj.verdict}" + (f" by {obj.method}" if obj.method else "")
        return {"text/html": f'{_STYLE}<div class="elbo-d">{result_html(obj)}</div>',
                "text/plain": text}  # fmt: skip
    raise TypeError(f"no rich display for {type(obj).__name__}")


# the data model's _repr_*_ methods show objects through this module once it is loaded
RENDERERS["bundle"] = mimebundle


# ------------------------------------------------------------------------ the cell magic


def _check_cell(line: str, cell: str) -> Derivation | None:
    import sys
    import tempfile
    from pathlib import Path

    from elbo_derivation import verification
    from elbo_derivation.errors import DerivationSyntaxError, InputError

    try:
        words = shlex.split(line)
    except ValueError as err:
        print(f"%%derivation: {err}", file=sys.stderr)
        return None
    numeric, time_limit, seed, verdicts = True, 5.0, 0, True
    i = 0
    try:
        while i < len(words):
            w = words[i]
            if w == "--no-numeric":
                numeric = False
            elif w == "--no-verdicts":
                verdicts = False
            elif w in ("--time-limit", "--seed"):
                value = words[i + 1]
                if w == "--seed":
                    seed = int(value)
                else:
                    time_limit = float(value)
                    if not time_limit > 0:
                        raise ValueError("--time-limit must be a positive number of seconds")
                i += 1
            else:
                raise ValueError(f"unknown option {w!r}; expected --no-numeric, --no-verdicts, "
                                 "--time-limit SEC, --seed S")
            i += 1
    except (IndexError, ValueError) as err:
        message = str(err) if isinstance(err, ValueError) else f"{words[-1]} needs a value"
        print(f"%%derivation: {message}", file=sys.stderr)
        return None
    suffix = ".tex" if "\\begin{align" in cell else ".deriv"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"cell{suffix}"
        # a first line for the magic's own, so that line numbers count as the cell does
        first = "% %%derivation\n" if suffix == ".tex" else "# %%derivation\n"
        path.write_text(first + cell, encoding="utf-8")
        try:
            d = verification.check_file(path, numeric=numeric, time_limit=time_limit,
                                        seed=seed)  # fmt: skip
        except (DerivationSyntaxError, InputError) as err:
            message = str(err).replace(str(path), "cell")
            print(f"%%derivation: {message}", file=sys.stderr)
            return None
    d.path = None
    d.metadata["show_verdicts"] = verdicts
    return d


class _Shown:
    """What the magic returns: the checked derivation, displayed with or without verdicts."""

    def __init__(self, d: Derivation, verdicts: bool) -> None:
        self.derivation = d
        self.verdicts = verdicts

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        if self.verdicts:
            return mimebundle(self.derivation)
        return {"text/html": derivation_html(self.derivation, verdicts=False),
                "text/latex": derivation_latex(self.derivation, verdicts=False),
                "text/plain": self.derivation.title or "derivation"}  # fmt: skip


def load_ipython_extension(ipython: Any) -> None:
    """Register ``%%derivation`` (``%load_ext elbo_derivation`` calls this)."""

    def derivation(line: str, cell: str) -> _Shown | None:
        d = _check_cell(line, cell)
        if d is None:
            return None
        ipython.user_ns["_derivation"] = d
        return _Shown(d, bool(d.metadata.get("show_verdicts", True)))

    ipython.register_magic_function(derivation, magic_kind="cell", magic_name="derivation")
