r"""A checked derivation as LaTeX: an ``align*`` with one line per step.

Each step becomes ``&<relation> <expression> && \text{<justification>}``, the relation
``\le``, ``\ge`` or ``\simeq`` where the step says so. Expressions are printed by SymPy's
LaTeX printer, adjusted to write what the notes write: ``\sigma_{1}`` for ``sigma1``,
``\hat{x}`` for ``x_hat``, ``\int f \, dx`` without limits over the whole real line, and a
declared density ``q(z|x)`` as written (which the LaTeX reader reads back) rather than as
a function applied to its variables. :func:`latex_document` wraps several derivations into
a file that compiles with ``pdflatex`` and ``lualatex``.

Examples
--------
>>> import sympy as sp
>>> from elbo_derivation.core.steps import Derivation, Relation, Step
>>> s1, s2 = sp.symbols("sigma1 sigma2", positive=True)
>>> d = Derivation(title="t", symbols={}, start=sp.log(s2 / s1),
...                steps=[Step(1, Relation.EQ, sp.log(s2) - sp.log(s1), "log of a quotient")])
>>> print(render_latex(d))  # doctest: +NORMALIZE_WHITESPACE
\begin{align*}
  & \log{\left(\frac{\sigma_{2}}{\sigma_{1}} \right)} \\
  &= \log{\left(\sigma_{2} \right)} - \log{\left(\sigma_{1} \right)}
  && \parbox[t]{0.34\linewidth}{\raggedright\footnotesize (1) log of a quotient}
\end{align*}
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.conventions import requires_partial
from sympy.printing.latex import LatexPrinter
from sympy.printing.precedence import PRECEDENCE

from elbo_derivation.core.steps import Derivation, Relation, Step
from elbo_derivation.core.written import Bars, WrittenDerivative
from elbo_derivation.report.pretty import (
    ATOM_SUB,
    BRACKET_SUB,
    GREEK,
    atom_subscript,
    reader_order,
    split_name,
)
from elbo_derivation.report.pretty import heading as _heading
from elbo_derivation.report.written import (
    WrittenOrder,
    applied_density,
    e_is_a_symbol,
    extends_right,
    is_bracket,
    is_sequence_term,
    operand,
    shown,
    split_sign,
    written_runs,
)

__all__ = [
    "PREAMBLE",
    "RELATIONS",
    "ascii_tex",
    "errata_latex",
    "latex_document",
    "latex_expr",
    "latex_fragment",
    "latex_text",
    "prose_latex",
    "render_latex",
    "shown_latex",
    "step_note",
    "verdict_tex",
]

#: the relations in LaTeX, for every renderer
RELATIONS = {Relation.EQ: "=", Relation.LE: r"\le", Relation.GE: r"\ge",
              Relation.EQ_UP_TO: r"\simeq"}
_GREEK_TEX = {name: "\\" + ("epsilon" if name == "eps" else name) for name in GREEK}
_GREEK_TEX["lamda"] = r"\lambda"
_GREEK_TEX["ell"] = r"\ell"
_ACCENTS = {"hat": r"\hat", "bar": r"\bar", "tilde": r"\tilde", "dot": r"\dot"}


def _tex_name(name: str) -> str:
    bracketed = BRACKET_SUB.match(name)
    if bracketed is not None:  # M_{[1]}: M[1], as written
        return f"{_tex_name(bracketed['base'])}[{bracketed['index']}]"
    atom = atom_subscript(name, _GREEK_TEX, lambda k: f"^{{{k}}}")
    if atom is not None:  # mu_{q(1/sigma^2)}: \mu_{q(1/\sigma^{2})}, as written
        return f"{_tex_name(ATOM_SUB.match(name)['base'])}_{{{atom}}}"  # type: ignore[index]
    if name.endswith("_star") and len(name) > 5:  # θ_*, θ^*: the reader's theta_star
        return f"{_tex_name(name[:-5])}_*"  # as the reader reads it back
    base, sub, accent = split_name(name)
    head, _, tail = name.partition("_")
    if base == name and tail and (len(head) == 1 or head in _GREEK_TEX):
        return f"{_tex_name(head)}_{{{_tex_name(tail)}}}"  # p_x1: p with subscript x₁
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


class NotesLatexPrinter(WrittenOrder, LatexPrinter):
    """SymPy's LaTeX printer with the notes' conventions for names, densities, integrals.

    With ``written=True`` it prints an expression as its author wrote it (a step's display
    form): the terms of a sum in the order given, a sum inside a sum in brackets, and a
    factor ``-1`` as a minus sign (``-\\frac{(x - f)^{2}}{2 c}``, not ``\\left(-1\\right)…``).
    """

    printmethod = "_elbo_latex"  # so Expectation's and KL's own _latex are not used

    def _reader_order(self, expr: sp.Expr, order: str | None) -> list[sp.Expr]:
        return reader_order(expr)  # as in the text report: x − μ₁, numbers last

    def _print_Pi(self, expr: sp.Basic) -> str:
        return r"\pi"

    def _print_Derivative(self, expr: sp.Derivative) -> str:
        if isinstance(expr, WrittenDerivative):
            # the symbol the author wrote, ∂ or d, whatever the number of variables
            d = r"\partial" if expr.symbol == "∂" else self._settings["diff_operator_latex"]
        else:  # SymPy's convention: ∂ where the function has other variables
            d = r"\partial" if requires_partial(expr) else self._settings["diff_operator_latex"]
        below, order = [], 0
        for x, n in reversed(expr.variable_count):
            order += n
            below.append(f"{d} {self._print(x)}" if n == 1 else
                         f"{d} {self.parenthesize_super(self._print(x))}^{{{self._print(n)}}}")
        top = d if order == 1 else f"{d}^{{{order}}}"
        negative = any(a.could_extract_minus_sign() for a in expr.args)
        if (isinstance(expr.expr, (sp.Add, sp.Mul)) and len(expr.expr.args) > 1) \
                or expr.expr.could_extract_minus_sign():
            # a product, a sum or a negated function is bracketed whole: d/dε (a)(b) would
            # read as (d/dε a)·b, and d/dw −f as an operator followed by a minus
            body = rf"\left[{self._print(expr.expr)}\right]"
        else:
            body = self.parenthesize(expr.expr, PRECEDENCE["Mul"], is_neg=negative,
                                     strict=True)
        return rf"\frac{{{top}}}{{{''.join(below)}}} {body}"

    def _print_Exp1(self, expr: sp.Basic) -> str:
        return "e"

    #: exp(u) printed as \exp(u), not e^{u}: set where a symbol is named e
    exp_word = False

    def _print_ExpBase(self, expr: sp.Basic, exp: str | None = None) -> str:
        if not self.exp_word:
            return super()._print_ExpBase(expr, exp)
        text = rf"\exp\left({self._print(expr.args[0])}\right)"
        return rf"{text}^{{{exp}}}" if exp is not None else text

    def _print_ImaginaryUnit(self, expr: sp.Basic) -> str:
        return "i"

    def _print_constant(self, expr: sp.Basic) -> str:
        # SymPy's own LaTeX for ∞, −∞, γ, ... (their _latex is not called under this
        # printer's printmethod, which printed ∞ as \text{Infinity})
        return expr._latex(self)

    _print_Infinity = _print_NegativeInfinity = _print_ComplexInfinity = _print_constant
    _print_NaN = _print_EulerGamma = _print_GoldenRatio = _print_Catalan = _print_constant

    def _print_Expectation(self, expr: Any) -> str:
        f, q = self._print(expr.integrand), expr.density
        if isinstance(q, AppliedUndef) and "(" in q.func.__name__:
            sub = self._print(q)  # a declared density: its signature says what is integrated
        else:
            sub = rf"{self._print(expr.variable)} \sim {self._print(q)}"
        return rf"\mathbb{{E}}_{{{sub}}}\left[{f}\right]"

    def _print_Pow(self, expr: sp.Pow) -> str:
        if type(expr.base).__name__ == "Expectation" and expr.exp.is_positive:
            # (E[x])², never E[x]^2: a power after the bracket reads as a second superscript
            return rf"\left({self._print(expr.base)}\right)^{{{self._print(expr.exp)}}}"
        if isinstance(expr.base, sp.Trace) and expr.base.arg.shape == (1, 1) \
                and expr.exp.is_positive:  # (vᵀv)², never vᵀv²; (vᵀv)¹ as written, (vᵀv)
            base = rf"\left({self._print(expr.base)}\right)"
            return base if expr.exp == 1 else f"{base}^{{{self._print(expr.exp)}}}"
        if isinstance(expr.base, sp.Subs) and expr.exp != -1:
            # (F|_{s=1})², never F|_{s=1}^{2}: a bar with two limits is F between two ends
            return rf"\left({self._print(expr.base)}\right)^{{{self._print(expr.exp)}}}"
        if isinstance(expr.base, sp.Derivative) and expr.exp != -1:
            # (∂/∂μ log p)²: a power after the operator's body would square the body only
            return rf"\left({self._print(expr.base)}\right)^{{{self._print(expr.exp)}}}"
        return super()._print_Pow(expr)

    def _print_Piecewise(self, expr: sp.Piecewise) -> str:
        from elbo_derivation.report.pretty import indicator_event

        event = indicator_event(expr)
        if event is None:
            return super()._print_Piecewise(expr)
        return rf"\mathbb{{1}}\left[{self._print(event)}\right]"  # as the reader reads it

    def _print_KroneckerDelta(self, expr: sp.KroneckerDelta, exp: str | None = None) -> str:
        text = (rf"\mathbb{{1}}\left[{self._print(expr.args[0])} = "
                rf"{self._print(expr.args[1])}\right]")
        return text if exp is None else rf"\left({text}\right)^{{{exp}}}"

    def _print_Subs(self, expr: sp.Subs) -> str:
        # a value at a point, as a textbook writes it and the reader reads it back
        at = ", ".join(f"{self._print(v)}={self._print(p)}"
                       for v, p in zip(expr.variables, expr.point, strict=True))
        return rf"\left. {self._print(expr.expr)} \right|_{{{at}}}"

    def _print_KL(self, expr: Any) -> str:
        q, p = self._print(expr.q), self._print(expr.p)
        return rf"\mathrm{{KL}}\left({q} \,\middle\|\, {p}\right)"

    def _needs_mul_brackets(self, expr: sp.Basic, first: bool = False,
                            last: bool = False) -> bool:
        # a derivative operator reaches to the end of the product: (∂/∂μ log p)(∂/∂σ log p)
        # needs the bracket around the first factor, or it reads as ∂/∂μ of the product
        return (not last and isinstance(expr, sp.Derivative)) or super()._needs_mul_brackets(
            expr, first=first, last=last)

    def _needs_add_brackets(self, expr: sp.Basic) -> bool:
        return (self._written and is_bracket(expr)) or super()._needs_add_brackets(expr)

    def _print_Add(self, expr: sp.Add, order: str | None = None) -> str:
        if not self._written:
            return super()._print_Add(expr, order=order)
        tex = ""
        for i, term in enumerate(self._as_ordered_terms(expr, order=order)):
            negative, rest = split_sign(term)
            body = self._print(rest)
            if is_bracket(rest) or (negative and isinstance(rest, sp.Add)):
                body = rf"\left({body}\right)"
            if i == 0:
                tex = ("-" if negative else "") + body
            else:
                tex += (" - " if negative else " + ") + body
        return tex

    def _print_Mul(self, expr: sp.Mul) -> str:
        if not self._written or not isinstance(expr, sp.Mul):  # x⁻² comes here too
            return super()._print_Mul(expr)
        # the factors in the order written, each division under what was written before it
        # (\frac{b^a}{\Gamma(a)}\int…, \frac{1}{2}(h + g^2)), a written fraction kept whole
        negative, runs = written_runs(expr)
        return ("-" if negative else "") + self._runs(runs)

    def _runs(self, runs: list) -> str:
        out: list[str] = []
        for num, den in runs:
            top = self._joined(num, alone=bool(den)) or "1"
            text = rf"\frac{{{top}}}{{{self._joined(den, alone=True)}}}" if den else top
            out.append(text)
        return _joined_factors(out)

    def _joined(self, factors: list, *, alone: bool) -> str:
        """Factors side by side; a lone factor inside a fraction needs no brackets."""
        if alone and len(factors) == 1 and not isinstance(factors[0], list):
            return self._print(factors[0])
        texts = []
        for i, f in enumerate(factors):
            if isinstance(f, list):
                texts.append(self._runs(f))
            elif isinstance(f, sp.Add):
                texts.append(rf"\left({self._print(f)}\right)")
            elif i == len(factors) - 1 and extends_right(f):
                texts.append(self._print(f))
            elif isinstance(f, sp.Derivative) and i < len(factors) - 1:
                texts.append(rf"\left({self._print(f)}\right)")  # see _needs_mul_brackets
            else:
                texts.append(self.parenthesize(f, PRECEDENCE["Mul"]))
        out = _joined_factors(texts)
        if len(factors) > 1 and factors[0] in (sp.S.Zero, sp.S.One):
            out = out.replace(" ", r" \cdot ", 1)  # 0·c as written, never "0 c"
        return out

    def _print_Sum(self, expr: sp.Basic) -> str:
        if not self._written:
            return super()._print_Sum(expr)
        return self._big_operator(r"\sum", expr)

    def _print_Product(self, expr: sp.Basic) -> str:
        if not self._written:
            return super()._print_Product(expr)
        return self._big_operator(r"\prod", expr)

    def _big_operator(self, sign: str, expr: sp.Basic) -> str:
        """\\sum or \\prod with its limits and the body as written: bracketed only when the
        author bracketed it (a sum)."""
        head = " ".join(f"{sign}_{{{self._print(v)}={self._print(lo)}}}^{{{self._print(hi)}}}"
                        for v, lo, hi in reversed(expr.limits))  # outermost first
        body = operand(expr.function)
        shown_body = self._print(body)
        if isinstance(body, sp.Add) or shown_body.startswith("-"):  # Σ (−2 a_n), not Σ −2 a_n
            shown_body = rf"\left({shown_body}\right)"
        return f"{head} {shown_body}"

    def _print_UnevaluatedExpr(self, expr: sp.UnevaluatedExpr) -> str:
        inner = self._print(expr.args[0])
        return rf"\left({inner}\right)" if isinstance(expr.args[0], sp.Add) else inner

    def _print_Symbol(self, expr: sp.Symbol, style: str = "plain") -> str:
        signature = self._signatures.get(expr)
        if signature is not None:  # p_1(x), declared so and read as the symbol p_1
            head, _, rest = signature.partition("(")
            inner = ", ".join(_tex_name(v.strip()) for v in rest.rstrip(")").split(",") if v)
            name = re.sub(r"_\{(.)\}$", r"_\1", _tex_name(head))
            return f"{name}({inner})"
        return _tex_name(expr.name)

    def _print_Determinant(self, expr: sp.Basic, exp: str | None = None) -> str:
        if isinstance(expr.arg, sp.MatrixBase):  # a matrix written out: \det\begin{pmatrix}
            rows = r" \\ ".join(" & ".join(self._print(v) for v in expr.arg.row(i))
                                 for i in range(expr.arg.rows))
            text = rf"\det\begin{{pmatrix}} {rows} \end{{pmatrix}}"
            return rf"\left({text}\right)^{{{exp}}}" if exp is not None else text
        # det(Σ), as \det written (|Σ| written is kept as written: core/written.Bars)
        text = rf"\det\left({self._print(expr.arg)}\right)"
        return rf"\left({text}\right)^{{{exp}}}" if exp is not None else text

    def _print_log(self, expr: sp.Expr, exp: str | None = None) -> str:
        if exp is None and isinstance(expr.args[0], (sp.Abs, Bars)):
            return r"\log" + self._print(expr.args[0])  # log|Σ| as written: bars are brackets
        return super()._print_log(expr, exp)

    def _print_Function(self, expr: sp.Function, exp: str | None = None) -> str:
        name = expr.func.__name__
        if is_sequence_term(expr):  # a declared sequence mu(d): \mu_{d}, as the notes write it
            text = self._print(sp.Indexed(sp.IndexedBase(name), *expr.args))
            return f"{text}^{{{exp}}}" if exp is not None else text
        at = applied_density(expr)
        if at is not None:  # q(z|x) at an i.i.d. copy x_1: q(z|x_{1}), as written
            head, given, cond = at
            inner = ", ".join(self._print(a) for a in given)
            if cond:
                inner += "|" + ", ".join(self._print(a) for a in cond)
            name = re.sub(r"_\{(.)\}$", r"_\1", _tex_name(head))
            text = f"{name}({inner})"
            return f"{text}^{{{exp}}}" if exp is not None else text
        if isinstance(expr, AppliedUndef) and "(" in name:
            head, _, rest = name.partition("(")
            inner = rest[:-1] if rest.endswith(")") else rest
            given = "|".join(
                ", ".join(_tex_name(v) for v in part.split(",") if v) for part in inner.split("|")
            )
            # p_1(x) as declared (a one-character subscript needs no braces, and the
            # LaTeX reader matches the declared signature)
            name = re.sub(r"_\{(.)\}$", r"_\1", _tex_name(head))
            text = f"{name}({given})"
            return f"{text}^{{{exp}}}" if exp is not None else text
        if isinstance(expr, AppliedUndef):  # a declared function: f(z), as written
            args = ", ".join(self._print(a) for a in expr.args)
            text = f"{_tex_name(name)}({args})"
            return f"{text}^{{{exp}}}" if exp is not None else text
        return super()._print_Function(expr, exp)

    def _print_Integral(self, expr: sp.Integral) -> str:
        whole_line = all(
            len(lim) == 3 and lim[1] is sp.S.NegativeInfinity and lim[2] is sp.oo
            for lim in expr.limits
        )
        if not whole_line and not all(len(lim) == 3 for lim in expr.limits):
            return super()._print_Integral(expr)
        body = self.parenthesize(expr.function, PRECEDENCE["Mul"], strict=True)
        ds = "".join(rf" \, d{self._print(lim[0])}" for lim in expr.limits)
        if whole_line:
            return r"\int" * len(expr.limits) + f" {body}{ds}"
        # \int_{0}^{\infty} as a textbook writes it (no \limits), innermost integral last
        signs = "".join(rf"\int_{{{self._print(lo)}}}^{{{self._print(hi)}}}"
                        for _, lo, hi in reversed(expr.limits))
        return f"{signs} {body}{ds}"

    def _print_digamma(self, expr: sp.Expr, exp: str | None = None) -> str:
        text = rf"\psi\left({self._print(expr.args[0])}\right)"  # ψ, read back as digamma
        return f"{text}^{{{exp}}}" if exp is not None else text

    def _print_polygamma(self, expr: sp.Expr, exp: str | None = None) -> str:
        n, x = expr.args
        if n != 0:
            return super()._print_polygamma(expr, exp)
        return self._print_digamma(sp.digamma(x, evaluate=False), exp)

    def _print_Indexed(self, expr: sp.Basic) -> str:  # μ_d: \mu_{d}, as the reader reads it
        index = ", ".join(self._print(i) for i in expr.indices)
        name = _tex_name(str(expr.base))
        head, sub = re.fullmatch(r"(.*?)(?:_\{([^{}]*)\})?", name).groups()  # type: ignore
        if sub is not None:  # the vector v₁'s entry d: v_{1,d}, never v_{1}_{d}
            return f"{head}_{{{sub},{index.replace(' ', '')}}}"
        return f"{name}_{{{index}}}"

    def _print_Transpose(self, expr: sp.Basic) -> str:  # vᵀ as ^\top (^T is a symbol T)
        arg = expr.arg
        text = self._print(arg)
        if not isinstance(arg, (sp.MatrixSymbol, sp.Symbol)):
            text = rf"\left({text}\right)"
        return rf"{text}^{{\top}}"

    def _print_Trace(self, expr: sp.Basic) -> str:
        if expr.arg.shape == (1, 1):  # a quadratic form xᵀAx: the number it is
            return self._print(expr.arg)
        return super()._print_Trace(expr)

    def _print_DiagMatrix(self, expr: sp.Basic) -> str:  # diag(σ²), not DiagMatrix
        return rf"\operatorname{{diag}}\left({self._print(expr.args[0])}\right)"

    def _print_HadamardPower(self, expr: sp.Basic) -> str:  # σ² entrywise, as written
        base = self._print(expr.base)
        if not isinstance(expr.base, (sp.MatrixSymbol, sp.Symbol)):
            base = rf"\left({base}\right)"
        return f"{base}^{{{self._print(expr.exp)}}}"


_PRINTER = NotesLatexPrinter({"order": "none"})
_WRITTEN = NotesLatexPrinter({"order": "none"}, written=True)  # the author's order and signs
_PRINTER_EXP = NotesLatexPrinter({"order": "none"})
_WRITTEN_EXP = NotesLatexPrinter({"order": "none"}, written=True)
_PRINTER_EXP.exp_word = _WRITTEN_EXP.exp_word = True


def _joined_factors(texts: list[str]) -> str:
    """Factors side by side, with ``\\cdot`` before one that starts with a digit (2 \\cdot 3)."""
    out = ""
    for i, t in enumerate(texts):
        if i:
            out += r" \cdot " if t[:1].isdigit() else " "
        out += t
    return out


def latex_expr(expr: sp.Basic, *, written: bool = False) -> str:
    r"""LaTeX for one expression, in the notes' conventions.

    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> latex_expr(sp.Integral(x**2 * sp.Function("p(x|z)")(x, sp.Symbol("z")),
    ...                        (x, -sp.oo, sp.oo)))
    '\\int x^{2} p(x|z) \\, dx'
    """
    if e_is_a_symbol(expr):  # \exp(u), never e^{u}, beside a variable called e
        return (_WRITTEN_EXP if written else _PRINTER_EXP).doprint(expr)
    return (_WRITTEN if written else _PRINTER).doprint(expr)


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


_MATH_CHARS = {
    "²": "^{2}", "³": "^{3}", "¹": "^{1}", "⁰": "^{0}", "⁴": "^{4}", "ⁿ": "^{n}",
    "⁻": "^{-}", "⁺": "^{+}", "ᵀ": r"^{\top}", "ⁱ": "^{i}",
    "₀": "_{0}", "₁": "_{1}", "₂": "_{2}", "₃": "_{3}", "₄": "_{4}", "ᵢ": "_{i}", "ⱼ": "_{j}",
    "ₖ": "_{k}", "ₙ": "_{n}", "ₓ": "_{x}", "ₚ": "_{p}", "ₛ": "_{s}", "ₜ": "_{t}", "ₘ": "_{m}",
    "½": r"\tfrac{1}{2}", "≤": r"\le ", "≥": r"\ge ", "≠": r"\ne ", "≈": r"\approx ",
    "≃": r"\simeq ", "−": "-", "·": r"\cdot ", "×": r"\times ", "∫": r"\int ", "‖": r"\|",
    "→": r"\to ", "∞": r"\infty ", "√": r"\surd ", "∑": r"\sum ", "∂": r"\partial ",
    "∈": r"\in ", "ℓ": r"\ell ", "∼": r"\sim ", "~": r"\sim ", "⊤": r"\top ", "∣": r"\mid ",
    "⟨": r"\langle ", "⟩": r"\rangle ", "±": r"\pm ", "⇒": r"\Rightarrow ", "𝔼": r"\mathbb{E}",
    "\u0302": "", "ℝ": r"\mathbb{R}", "≡": r"\equiv ", "∝": r"\propto ", "∇": r"\nabla ",
    "Σ": r"\Sigma ", "Δ": r"\Delta ", "Γ": r"\Gamma ", "Θ": r"\Theta ", "Λ": r"\Lambda ",
    "Π": r"\Pi ", "Φ": r"\Phi ", "Ψ": r"\Psi ", "Ω": r"\Omega ",
}
_MATH_CHARS.update({ch: _GREEK_TEX[name] + " " for name, ch in GREEK.items()
                    if name in _GREEK_TEX and ch.islower() and name not in ("eps", "lamda")})
_MATH_CHARS["ε"] = r"\varepsilon "
_FUNCTION_WORDS = {"log": r"\log ", "exp": r"\exp ", "det": r"\det ", "tr": r"\operatorname{tr}",
                   "KL": r"\mathrm{KL}", "diag": r"\operatorname{diag}", "sqrt": r"\surd ",
                   "var": r"\operatorname{var}", "Var": r"\operatorname{Var}"}
_PROSE_WORDS = {"a", "A", "I"}
_CHUNK = re.compile(r"(\s+)")
_TRAIL = re.compile(r"[.,;:!?]+$")
_MATHY = re.compile(r"[_^=+*/|<>{}]|\*\*")


def _chunk_is_math(chunk: str, names: frozenset[str]) -> bool:
    core = _TRAIL.sub("", chunk)
    if not core:
        return False
    if any(ch in _MATH_CHARS and ch not in "~" for ch in core):
        return True
    if core in ("=", "+", "-", "−", "*", "/", "~", "<", ">", "<=", ">="):
        return True
    bare = core.strip("()[]")
    if bare in _PROSE_WORDS:  # "a", "I": an article or a pronoun unless written with math,
        # as in "by (a) and (b)"; "(a constant ...)" opens a remark in prose
        return bare != core and core[-1] in ")]"
    if bare and bare in names:
        return True
    if len(bare) == 1 and bare.isalpha() and bare.isascii() and bare not in _PROSE_WORDS:
        return True
    if _MATHY.search(core) and re.search(r"[A-Za-z0-9)\]]", core):
        return True
    return bool(re.fullmatch(r"[A-Za-z]\(.*\)", core))  # q(z|x), f(z)


def _math_latex(text: str) -> str:
    """The inside of ``$...$`` for a run of the justification that is mathematics."""
    out: list[str] = []
    i, depth = 0, 0
    while i < len(text):
        ch = text[i]
        word = re.match(r"[A-Za-z]+", text[i:])
        if word:
            w = word[0]
            if w in _FUNCTION_WORDS:
                out.append(_FUNCTION_WORDS[w])
            elif w == "E" and text[i + 1 : i + 2] in ("_", "["):
                out.append(r"\mathbb{E}")
            elif len(w) == 1:
                out.append(w)
            elif w in _GREEK_TEX:
                out.append(_GREEK_TEX[w] + " ")
            else:
                out.append(r"\mathrm{" + w + "}")
            i += len(w)
            continue
        if text.startswith("**", i):
            out.append("^")
            i += 2
            continue
        if ch == "\u0302" and out:  # x̂: a combining hat on what came before
            out[-1] = r"\hat{" + out[-1].strip() + "}"
        elif ch in _MATH_CHARS:
            out.append(_MATH_CHARS[ch])
        elif ch == "{":
            depth += 1
            out.append("{")
        elif ch == "}":
            if depth:
                depth -= 1
                out.append("}")
            else:
                out.append(r"\}")
        elif ch == "*":
            out.append(r"\cdot ")
        elif ch == "|":
            out.append(r"\mid ")
        elif ch in "#$%&\\":
            out.append("\\" + ch if ch != "\\" else r"\backslash ")
        elif ch == "^" and i + 1 == len(text):
            out.append(r"\hat{}")
        elif ord(ch) > 127:
            out.append(_text_char(ch, in_math=True))
        else:
            out.append(ch)
        i += 1
    out.extend("}" * depth)
    text = re.sub(r"\s+", " ", "".join(out)).strip()
    return _fix_scripts(re.sub(r"\s+([_^}])", r"\1", text))


def _fix_scripts(tex: str) -> str:
    r"""Sub- and superscripts TeX accepts: a ``^`` or ``_`` with nothing to raise becomes a
    visible character, and a second script of the same kind gets its own base (``{}``).

    >>> _fix_scripts("x^{2}^{3} + y^ + z_")
    'x^{2}{}^{3} + y\\hat{\\ } + z\\_'
    """
    out: list[str] = []
    i, last = 0, ""
    while i < len(tex):
        c = tex[i]
        if c == "\\":  # a command or an escaped character: copied whole
            m = re.match(r"\\[A-Za-z]+|\\.", tex[i:])
            piece = m[0] if m else c
            out.append(piece)
            i += len(piece)
            last = ""
            continue
        if c in "^_":
            nxt = tex[i + 1 : i + 2]
            if not nxt or not (nxt.isalnum() or nxt in "{\\"):
                out.append(r"\hat{\ }" if c == "^" else r"\_")
                i += 1
                last = ""
                continue
            if last == c:
                out.append("{}")
            out.append(c)
            i += 1
            if tex[i] == "{":
                depth, j = 0, i
                while j < len(tex):
                    if tex[j] == "\\":
                        j += 2
                        continue
                    depth += tex[j] == "{"
                    depth -= tex[j] == "}"
                    if depth == 0:
                        break
                    j += 1
                out.append(tex[i : j + 1])
                i = j + 1
            elif tex[i] == "\\":
                m = re.match(r"\\[A-Za-z]+|\\.", tex[i:])
                out.append(m[0] if m else tex[i])
                i += len(m[0]) if m else 1
            else:
                out.append(tex[i])
                i += 1
            last = c
            continue
        out.append(c)
        i += 1
        if not c.isspace():
            last = ""
    return "".join(out)


def _text_char(ch: str, *, in_math: bool = False) -> str:
    import unicodedata

    ch = unicodedata.normalize("NFKC", ch) if len(unicodedata.normalize("NFKC", ch)) == 1 else ch
    if ch in _MATH_CHARS:
        m = _MATH_CHARS[ch].strip()
        return m if in_math else f"${m}$"
    special = {"§": r"\S{}", "…": r"\ldots{}", "–": "--", "—": "---", "“": "``", "”": "''",
               "’": "'", "‘": "`", "°": r"\textdegree{}", "✓": r"\checkmark{}",
               "✗": r"$\times$"}  # fmt: skip
    if ch in special:
        return special[ch]
    plain = unicodedata.normalize("NFKD", ch)
    base = "".join(c for c in plain if c.isascii())
    accents = {"\u0301": "\\'", "\u0300": "\\`", "\u0308": '\\"', "\u0302": "\\^",
               "\u0303": "\\~", "\u0327": "\\c"}  # fmt: skip
    marks = [c for c in plain if not c.isascii()]
    if base and len(marks) == 1 and marks[0] in accents and not in_math:
        return accents[marks[0]] + "{" + base + "}"
    return base or "?"


def prose_latex(text: str, names: Iterable[str] = ()) -> str:
    r"""A justification (or any sentence with some mathematics in it) as LaTeX text.

    Runs of words that are mathematics (declared names, single letters, Greek letters,
    sub- and superscripts, ``E_{q(z|x)}``, ``R^D``, ``x ~ q``) become one ``$...$`` each;
    the prose around them is escaped. The result is plain ASCII, so it compiles with
    pdflatex and lualatex alike.

    Parameters
    ----------
    text : str
        the sentence.
    names : iterable of str
        the derivation's declared names (``sigma1``, ``mu_2``), written as math.

    Examples
    --------
    >>> print(prose_latex("E[x^2] = sigma1^2 + mu1^2 (50% of cases)", ["x", "sigma1", "mu1"]))
    $\mathbb{E}[x^{2}] = \sigma_{1}^{2} + \mu_{1}^{2}$ (50\% of cases)
    >>> print(prose_latex("q(z|x) = N(g(x), h(x)) and C‖x − x̂‖²"))
    $q(z\mid x) = N(g(x), h(x))$ and $C\|x - \hat{x}\|^{2}$
    >>> print(prose_latex("(a constant comes out) by (a)"))
    (a constant comes out) by $(a)$
    >>> print(prose_latex("Σ⁻¹ = L⁻ᵀL⁻¹, with z ~ q(z|x) in R^D."))
    $\Sigma^{-1} = L^{-\top}L^{-1}$, with $z \sim q(z\mid x)$ in $R^D$.
    """
    from elbo_derivation.report.pretty import pretty_prose

    known = frozenset(names)
    text = pretty_prose(text, known) if known else text
    text = re.sub(r"([⁰¹²³⁴-⁹⁺⁻ᵀⁿⁱ]+)", lambda m: "^{" + "".join(
        "⊤" if c == "ᵀ" else _MATH_CHARS[c][2:-1] for c in m[1]) + "}", text)  # ⁻¹ → ^{-1}
    text = re.sub(r"([₀-₉ᵢⱼₖₙₓₚₛₜₘ]+)", lambda m: "_{" + "".join(
        _MATH_CHARS[c][2:-1] for c in m[1]) + "}", text)
    pieces = _CHUNK.split(text)
    out: list[str] = []
    run: list[str] = []  # the chunks (and spaces) of the current math run

    def flush() -> None:
        spaces = []
        while run and not run[-1].strip():
            spaces.append(run.pop())
        if run:
            out.append("$" + _math_latex("".join(run)) + "$")
            run.clear()
        out.extend(spaces)

    def following(i: int) -> str:
        return next((p for p in pieces[i + 1 :] if p and not p.isspace()), "")

    for i, piece in enumerate(pieces):
        if not piece:
            continue
        if piece.isspace():
            (run if run else out).append(" ")
            continue
        # log, exp, det...: mathematics when what follows is ("log 2πc"), prose otherwise
        function = piece in _FUNCTION_WORDS and _chunk_is_math(following(i), known)
        if function or _chunk_is_math(piece, known):
            trail = _TRAIL.search(piece)
            core = piece[: trail.start()] if trail else piece
            so_far = "".join(run) + core
            if trail and trail[0] in (",", ";") and so_far.count("(") > so_far.count(")"):
                run.append(piece)  # a comma inside brackets: N(g(x), h(x)) stays one formula
                continue
            run.append(core)
            if trail:
                flush()
                out.append(trail[0])
            continue
        flush()
        out.append("".join(_SPECIAL.get(c) or (c if c.isascii() else _text_char(c))
                           for c in piece))  # fmt: skip
    flush()
    return "".join(out).strip()


def ascii_tex(text: str) -> str:
    r"""Any non-ASCII character left in LaTeX source written in LaTeX, so that the file
    compiles with pdflatex and lualatex alike.

    >>> ascii_tex("x² in §4 – µ")
    'x$^{2}$ in \\S{}4 -- $\\mu$'
    """
    out = []
    for ch in text:
        if ord(ch) < 128:
            out.append(ch)
        elif ch in _MATH_CHARS and _MATH_CHARS[ch].startswith(("^", "_")):
            out.append(f"${_MATH_CHARS[ch]}$")
        else:
            out.append(_text_char(ch))
    return "".join(out)


_VERDICT_TEX = {
    "proved": r"\textcolor{okgreen}{\checkmark}~proved",
    "numerically-supported": r"\textcolor{okblue}{$\approx$}~numerically supported",
    "refuted": r"\textcolor{badred}{$\times$}~\textbf{refuted}",
    "undecided": r"\textcolor{warnbrown}{?}~undecided",
}


def verdict_tex(step: Step) -> str:
    """A step's verdict as a mark and a word (``\\checkmark proved``), for LaTeX."""
    if step.result is None:
        return r"\textit{not checked}"
    return _VERDICT_TEX[step.result.verdict.value]


def shown_latex(d: Derivation, step: Step | None = None) -> str:
    """LaTeX for a step (or, with None, the start) as its author wrote it, when the reading
    layer kept that form; else the checked expression in the reader's order (see
    :func:`~elbo_derivation.report.written.shown`)."""
    return shown(d, step, NotesLatexPrinter)


def step_note(step: Step, d: Derivation | None = None) -> str:
    """A step's justification (and, for ``≃``, the variables) as LaTeX text."""
    return _note(step, d)


def _visible_length(tex: str) -> int:
    """Roughly how many characters a line of LaTeX mathematics shows."""
    tex = re.sub(r"\\(left|right|mathbb|mathrm|operatorname|frac|cdot|,|mid)(?![A-Za-z])", "", tex)
    tex = re.sub(r"\\[A-Za-z]+", "x", tex)
    return len(re.sub(r"[{}^_\s&]", "", tex))


def _relation(step: Step) -> str:
    return RELATIONS[step.relation]


def _note(step: Step, d: Derivation | None = None) -> str:
    names = list(d.symbols) if d is not None else []
    parts = [prose_latex(step.justification, names)] if step.justification else []
    if step.relation is Relation.EQ_UP_TO and step.wrt:
        wrt = ", ".join(f"${_tex_name(w)}$" for w in step.wrt)
        parts.append(f"(up to a term free of {wrt})")
    return " ".join(parts)


def render_latex(d: Derivation, *, justifications: bool = True, verdicts: bool = False,
                 width: str = r"0.34\linewidth", wide_at: int = 80) -> str:
    r"""The derivation as an ``align*`` environment, one line per step, as written.

    Parameters
    ----------
    d : Derivation
        checked or not.
    justifications : bool
        put each step's justification beside it, in a ragged-right ``\parbox`` of ``width``
        (it wraps instead of running off the page).
    verdicts : bool
        add each step's verdict after its justification.

    Returns
    -------
    str
        ``\begin{align*} ... \end{align*}``, without a final newline.
    """
    exprs = [shown_latex(d)] + [shown_latex(d, step) for step in d.steps]
    # a derivation with a long line puts each justification under its step (\intertext), before it;
    # beside it, the column of justifications would start after the longest expression
    under = max(_visible_length(e) for e in exprs) > wide_at
    lines = [r"\begin{align*}", f"  & {exprs[0]}"]
    for step, expr in zip(d.steps, exprs[1:], strict=True):
        said = _note(step, d) if justifications else ""
        note = f"({step.index}) {said}".rstrip() if justifications else ""
        if verdicts:  # (4) ✓ proved, not "(4) ; ✓ proved", for a step without a reason
            sep = "; " if said else " "
            note = f"{note}{sep}{verdict_tex(step)}" if note else verdict_tex(step)
        lines[-1] += r" \\"
        line = f"  &{_relation(step)} {expr}"
        if note and under:  # the reason, then the step it gives
            line = ("  \\intertext{\\footnotesize\\raggedright\\hspace*{2em}" + note + "}\n"
                    + line)
        elif note:
            line += rf" && \parbox[t]{{{width}}}{{\raggedright\footnotesize {note}}}"
        lines.append(line)
    lines.append(r"\end{align*}")
    if verdicts:
        lines += _refutations(d)
    return ascii_tex("\n".join(lines))


def _refutations(d: Derivation) -> list[str]:
    """Under the derivation, what the page says of each refuted step: the counterexample
    and the likely mistake, as the HTML handout and the terminal report give them."""
    from elbo_derivation.report.text import format_counterexample, mistake_name, no_name_said

    out = []
    for step in d.steps:
        r = step.result
        if r is None or (r.counterexample is None and not r.mistake and not no_name_said(r)):
            continue
        said = [] if r.counterexample is None else [format_counterexample(r.counterexample, d,
                                                                          step)]
        if r.mistake:
            said.append(f"likely mistake: {mistake_name(r)}")
        elif no_name_said(r):
            said.append(no_name_said(r))
        out.append(r"{\footnotesize\raggedright\color{badred}" + f"Step {step.index}: "
                   + _powers_text("; ".join(said)) + r"\par}")
    return out


def _powers_text(text: str) -> str:
    r"""A line of the report's unicode as LaTeX text, its exponents ``e^a``, ``e^(−γ)``
    raised (the report writes them so on the terminal).

    >>> print(_powers_text("2·e^a/(e^(−γ) + 1)"))
    2$\cdot$e\textsuperscript{a}/(e\textsuperscript{-$\gamma$} + 1)
    """
    out, at = [], 0
    for m in re.finditer(r"\^\(([^()]*)\)|\^([^\W_]+)", text):
        out.append(latex_text(text[at:m.start()]))
        out.append(r"\textsuperscript{" + latex_text(m[1] or m[2]) + "}")
        at = m.end()
    out.append(latex_text(text[at:]))
    return "".join(out)


#: The preamble every exported document uses: it compiles with pdflatex and lualatex.
PREAMBLE = r"""\usepackage[T1]{fontenc}
\usepackage{lmodern}
\usepackage{amsmath,amssymb}
\usepackage{xcolor}
\usepackage{graphicx}
\definecolor{okgreen}{HTML}{007A5A}
\definecolor{okblue}{HTML}{0072B2}
\definecolor{badred}{HTML}{C04000}
\definecolor{warnbrown}{HTML}{8A6D00}
\allowdisplaybreaks
\setlength{\parindent}{0pt}"""


def latex_fragment(derivations: Sequence[Derivation], *, verdicts: bool = False,
                   errata: Sequence[Mapping[str, Any]] | None = None) -> str:
    r"""The derivations as a fragment to ``\input`` into one's own notes: no preamble.

    It needs ``amsmath``, ``amssymb`` and ``xcolor`` (with the colours ``okgreen``,
    ``okblue``, ``badred``, ``warnbrown`` when ``verdicts``); a comment at its top says so.

    >>> print(latex_fragment([]).splitlines()[0])
    % elbo-derivation: a fragment; needs \usepackage{amsmath,amssymb,xcolor}
    """
    parts = [r"% elbo-derivation: a fragment; needs \usepackage{amsmath,amssymb,xcolor}"]
    if verdicts:
        parts.append("% and the colours okgreen, okblue, badred, warnbrown (\\definecolor)")
    for d in derivations:
        heading = prose_latex(_heading(d))
        parts.append(rf"\subsection*{{{ascii_tex(heading)}}}")
        if d.source:
            parts.append(rf"Source: {ascii_tex(prose_latex(d.source))}.")
        parts.append(render_latex(d, verdicts=verdicts))
    if errata is not None:
        parts.append(errata_latex(errata))
    return "\n".join(parts) + "\n"


def errata_latex(errata: Sequence[Mapping[str, Any]]) -> str:
    """The errata of the notes as a LaTeX list, their mathematics typeset."""
    out = [r"\section*{Errata of the notes}"]
    if not errata:
        out.append("No errata are recorded.")
        return "\n".join(out)
    out.append(r"\begin{enumerate}")
    for e in errata:
        ok = e.get("ok")
        status = ("confirmed by its check" if ok is True
                  else "its check did not confirm it" if ok is False else "")  # fmt: skip
        section = f" ({prose_latex(str(e['section']))})" if e.get("section") else ""
        out.append(
            rf"\item \textbf{{{prose_latex(str(e.get('title', '')))}}}{section}. "
            f"{prose_latex(str(e.get('explanation', '')))}"
            + (rf" \emph{{{status}}}." if status else "")
        )
    out.append(r"\end{enumerate}")
    return ascii_tex("\n".join(out))


def latex_document(
    derivations: Sequence[Derivation],
    *,
    title: str = "",
    verdicts: bool = False,
    errata: Sequence[Mapping[str, Any]] | None = None,
    figures: Sequence[tuple[str, str]] = (),
    intro: str = "",
    landscape: bool = True,
) -> str:
    r"""A complete LaTeX document: one section per derivation, each an ``align*``.

    It compiles as it is with ``pdflatex`` and ``lualatex`` (T1 fonts, Latin Modern, only
    ASCII in the source), and every line stays within the page: justifications wrap in a
    column of their own.

    Parameters
    ----------
    derivations : sequence of Derivation
    title : str
    verdicts : bool
        show each step's verdict.
    errata : sequence of dict, optional
        a section of errata (``title``, ``section``, ``explanation``, ``ok``).
    figures : sequence of (path, caption)
        PNG files to include, with their captions.
    intro : str
        a paragraph under the title.
    landscape : bool
        A4 landscape (the default: long expressions need the width) or portrait.

    >>> doc = latex_document([])
    >>> doc.startswith(r"\documentclass") and doc.rstrip().endswith(r"\end{document}")
    True
    """
    geometry = "a4paper,landscape,margin=14mm" if landscape else "a4paper,margin=18mm"
    wide_at = 80 if landscape else 45
    parts = [
        r"\documentclass[10pt]{article}",
        PREAMBLE,
        rf"\usepackage[{geometry}]{{geometry}}",
        r"\begin{document}",
    ]
    if title:
        parts.append(rf"\section*{{{prose_latex(title)}}}")
    if intro:
        parts.append(prose_latex(intro))
    for d in derivations:
        heading = prose_latex(_heading(d))
        parts.append(rf"\subsection*{{{heading}}}")
        if d.source:
            parts.append(rf"Source: {prose_latex(d.source)}.")
        parts.append(render_latex(d, verdicts=verdicts, wide_at=wide_at))
    if errata is not None:
        parts.append(errata_latex(errata))
    if figures:
        parts.append(r"\section*{Figures}")
        for path, caption in figures:
            parts.append(r"\begin{figure}[htbp]\centering"
                         rf"\includegraphics[width=0.8\linewidth,height=0.7\textheight,"
                         rf"keepaspectratio]{{{path}}}"
                         rf"\caption*{{{prose_latex(caption)}}}\end{{figure}}")  # fmt: skip
    parts.append(r"\end{document}")
    return ascii_tex("\n".join(parts)) + "\n"
