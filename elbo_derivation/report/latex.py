r"""A checked derivation as LaTeX: an ``align*`` with one line per step.

Each step becomes ``&<relation> <expression> && \text{<justification>}``, the relation
``\le``, ``\ge`` or ``\simeq`` where the step says so. Expressions are printed by SymPy's
LaTeX printer, adjusted to write what the notes write: ``\sigma_{1}`` for ``sigma1``,
``\hat{x}`` for ``x_hat``, ``\int f \, dx`` without limits over the whole real line, and a
declared density ``q(z|x)`` as ``q(z \mid x)`` rather than as a function applied to its
variables. :func:`latex_document` wraps several derivations into a file that compiles with
``pdflatex`` (amsmath only).

Examples
--------
>>> import sympy as sp
>>> from elbo_derivation.core.steps import Derivation, Relation, Step
>>> s1, s2 = sp.symbols("sigma1 sigma2", positive=True)
>>> d = Derivation(title="t", symbols={}, start=sp.log(s2 / s1),
...                steps=[Step(1, Relation.EQ, sp.log(s2) - sp.log(s1), "log of a quotient")])
>>> print(render_latex(d))
\begin{align*}
  & \log{\left(\frac{\sigma_{2}}{\sigma_{1}} \right)} \\
  &= \log{\left(\sigma_{2} \right)} - \log{\left(\sigma_{1} \right)} && \text{log of a quotient}
\end{align*}
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE

from elbo_derivation.core.steps import Derivation, Relation, Step
from elbo_derivation.read.deriv import shown_expression
from elbo_derivation.report.pretty import GREEK, reader_order, split_name

__all__ = ["latex_document", "latex_expr", "latex_text", "render_latex"]

_RELATIONS = {Relation.EQ: "=", Relation.LE: r"\le", Relation.GE: r"\ge",
              Relation.EQ_UP_TO: r"\simeq"}
_GREEK_TEX = {name: "\\" + ("epsilon" if name == "eps" else name) for name in GREEK}
_GREEK_TEX["lamda"] = r"\lambda"
_GREEK_TEX["ell"] = r"\ell"
_ACCENTS = {"hat": r"\hat", "bar": r"\bar", "tilde": r"\tilde", "dot": r"\dot"}


def _tex_name(name: str) -> str:
    base, sub, accent = split_name(name)
    if base in _GREEK_TEX:
        text = _GREEK_TEX[base]
    elif len(base) == 1:
        text = base
    else:
        text = r"\mathrm{" + base.replace("_", r"\_") + "}"
    if accent:
        text = f"{_ACCENTS[accent]}{{{text}}}"
    if sub:
        text += f"_{{{sub}}}"
    return text


class NotesLatexPrinter(LatexPrinter):
    """SymPy's LaTeX printer with the notes' conventions for names, densities, integrals."""

    def _as_ordered_terms(self, expr: sp.Expr, order: str | None = None) -> list[sp.Expr]:
        return reader_order(expr)  # as in the text report: x − μ₁, numbers last

    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:
        return _tex_name(expr.name)

    def _print_Function(self, expr: sp.Function, exp: str | None = None) -> str:
        name = expr.func.__name__
        if isinstance(expr, AppliedUndef) and "(" in name:
            head, _, rest = name.partition("(")
            inner = rest[:-1] if rest.endswith(")") else rest
            given = r" \mid ".join(
                ", ".join(_tex_name(v) for v in part.split(",") if v) for part in inner.split("|")
            )
            text = f"{_tex_name(head)}({given})"
            return f"{text}^{{{exp}}}" if exp is not None else text
        return super()._print_Function(expr, exp)

    def _print_Integral(self, expr: sp.Integral) -> str:
        whole_line = all(
            len(lim) == 3 and lim[1] is sp.S.NegativeInfinity and lim[2] is sp.oo
            for lim in expr.limits
        )
        if not whole_line:
            return super()._print_Integral(expr)
        body = self.parenthesize(expr.function, PRECEDENCE["Mul"], strict=True)
        ds = "".join(rf" \, d{self._print(lim[0])}" for lim in reversed(expr.limits))
        return r"\int" * len(expr.limits) + f" {body}{ds}"


_PRINTER = NotesLatexPrinter({"order": "none"})  # keep the terms in the order written


def latex_expr(expr: sp.Basic) -> str:
    r"""LaTeX for one expression, in the notes' conventions.

    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> latex_expr(sp.Integral(x**2 * sp.Function("p(x|z)")(x, sp.Symbol("z")),
    ...                        (x, -sp.oo, sp.oo)))
    '\\int x^{2} p(x \\mid z) \\, dx'
    """
    return _PRINTER.doprint(expr)


#: Unicode a justification may contain, and what stands for it inside ``\text{}``.
_TEXT_MATH = {
    "²": "$^2$", "³": "$^3$", "₁": "$_1$", "₂": "$_2$", "½": r"$\frac{1}{2}$",
    "≤": r"$\le$", "≥": r"$\ge$", "≠": r"$\ne$", "≈": r"$\approx$", "≃": r"$\simeq$",
    "−": "-", "·": r"$\cdot$", "×": r"$\times$", "∫": r"$\int$", "‖": r"$\|$",
    "→": r"$\to$", "∞": r"$\infty$", "√": r"$\surd$", "∑": r"$\sum$", "∂": r"$\partial$",
    "∈": r"$\in$", "ℓ": r"$\ell$", "x̂": r"$\hat{x}$",
}
_TEXT_MATH.update({ch: f"${_GREEK_TEX[name]}$" for name, ch in GREEK.items()
                   if name in _GREEK_TEX and name not in ("eps", "lamda", "ell")})
_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&",
            "#": r"\#", "^": r"\^{}", "_": r"\_", "%": r"\%", "~": r"\~{}"}


def latex_text(text: str) -> str:
    r"""Plain text made safe for ``\text{}``, with its unicode math written in LaTeX.

    >>> latex_text("E[x²] = σ² + μ² (50% of #1)")
    'E[x$^2$] = $\\sigma^2$ + $\\mu^2$ (50\\% of \\#1)'
    """
    out = []
    i = 0
    while i < len(text):
        pair = text[i : i + 2]
        if pair in _TEXT_MATH:
            out.append(_TEXT_MATH[pair])
            i += 2
            continue
        ch = text[i]
        out.append(_SPECIAL.get(ch) or _TEXT_MATH.get(ch) or ch)
        i += 1
    return re.sub(r"(?<!\\)\$\$", "", "".join(out))  # $\mu$$_1$ → $\mu_1$


def _relation(step: Step) -> str:
    return _RELATIONS[step.relation]


def _note(step: Step) -> str:
    parts = [latex_text(step.justification)] if step.justification else []
    if step.relation is Relation.EQ_UP_TO and step.wrt:
        names = ", ".join(f"${_tex_name(w)}$" for w in step.wrt)
        parts.append(f"(up to a term free of {names})")
    return " ".join(parts)


def render_latex(d: Derivation, *, justifications: bool = True) -> str:
    r"""The derivation as an ``align*`` environment, one line per step.

    Parameters
    ----------
    d : Derivation
        checked or not: verdicts are not shown.
    justifications : bool
        put each step's justification beside it, as ``&& \text{...}``.

    Returns
    -------
    str
        ``\begin{align*} ... \end{align*}``, without a final newline.
    """
    lines = [r"\begin{align*}", f"  & {latex_expr(shown_expression(d))}"]
    for step in d.steps:
        line = f"  &{_relation(step)} {latex_expr(shown_expression(d, step))}"
        note = _note(step) if justifications else ""
        if note:
            line += rf" && \text{{{note}}}"
        lines[-1] += r" \\"
        lines.append(line)
    lines.append(r"\end{align*}")
    return "\n".join(lines)


def latex_document(derivations: Sequence[Derivation], *, title: str = "") -> str:
    r"""A complete LaTeX document: one section per derivation, each an ``align*``.

    >>> doc = latex_document([])
    >>> doc.startswith(r"\documentclass") and doc.rstrip().endswith(r"\end{document}")
    True
    """
    parts = [
        r"\documentclass{article}",
        r"\usepackage[utf8]{inputenc}",
        r"\usepackage{amsmath,amssymb}",
        r"\allowdisplaybreaks",
        r"\begin{document}",
    ]
    if title:
        parts.append(rf"\section*{{{latex_text(title)}}}")
    for d in derivations:
        heading = latex_text(d.title or d.name or "derivation")
        parts.append(rf"\subsection*{{{heading}}}")
        if d.source:
            parts.append(rf"\noindent Source: {latex_text(d.source)}.")
        parts.append(render_latex(d))
    parts.append(r"\end{document}")
    return "\n".join(parts) + "\n"
