r"""The printable handout: the checked derivations as one self-contained HTML file, or LaTeX.

The HTML handout holds everything in one file that needs no network and no JavaScript: every
step of every derivation in MathML (which browsers render natively), each with its number,
relation, justification and verdict (and the quadrature and sampling checks, when run), the
errata of the notes, the key figures embedded as PNG ``data:`` URIs, and a print stylesheet
(a page per section, no dark backgrounds). The LaTeX handout is a standalone ``article`` using
``amsmath`` only, one ``align*`` line per step. Both are rendered from the same checked
:class:`~elbo_derivation.core.steps.Derivation` objects, never from retyped formulas.

Expressions are printed by SymPy's presentation-MathML printer, adjusted to write what the
notes write: ``σ₁`` for ``sigma1``, ``x̂`` for ``x_hat``, ``∫ f dx`` without limits over the
whole real line, 𝔼_{q(z|x)}[f] for an expectation, KL(q ‖ p), and a declared density such as
``q(z|x)`` as its signature rather than as a function applied to its variables.

Examples
--------
>>> import sympy as sp
>>> z, x = sp.symbols("z x", real=True)
>>> q = sp.Function("q(z|x)", positive=True)(z, x)
>>> m = mathml_expr(q)
>>> m.startswith("<mrow><mi>q</mi>"), ">|</mo><mi>x</mi>" in m
(True, True)
>>> print(mathml_expr(sp.Symbol("sigma1", positive=True) ** 2))
<msubsup><mi>σ</mi><mn>1</mn><mn>2</mn></msubsup>
"""

from __future__ import annotations

import base64
import html
import html.entities
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.mathml import MathMLPresentationPrinter
from sympy.printing.precedence import PRECEDENCE, precedence

from elbo_derivation.core.expectation import KL, Expectation
from elbo_derivation.core.steps import Derivation, Relation, Step, Verdict
from elbo_derivation.core.written import Bars, WrittenDerivative
from elbo_derivation.report.pretty import (
    ATOM_SUB,
    BRACKET_SUB,
    GREEK,
    atom_subscript,
    plural,
    pretty_name,
    split_name,
)
from elbo_derivation.report.pretty import heading as _heading
from elbo_derivation.report.text import MARKS, VERDICT_WORDS
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
    "MARKS",
    "RELATION_MO",
    "VERDICT_WORDS",
    "HandoutFigure",
    "NotesMathMLPrinter",
    "html_head",
    "justification_html",
    "mathml_block",
    "mathml_expr",
    "prose_html",
    "render_html",
    "render_tex",
    "shown_mathml",
]

MATHML_NS = "http://www.w3.org/1998/Math/MathML"

_ACCENTS = {"hat": "^", "bar": "¯", "tilde": "~", "dot": "˙"}
_RELATION_MO = {Relation.EQ: "=", Relation.LE: "≤", Relation.GE: "≥", Relation.EQ_UP_TO: "≃"}
#: Named character references that must stay escaped (they protect markup characters).
_KEEP_ESCAPED = {"lt", "gt", "amp", "quot", "apos"}
_ENTITY = re.compile(r"&([A-Za-z][A-Za-z0-9]*);")


def _el(printer: MathMLPresentationPrinter, tag: str, *children: Any, **attrs: str) -> Any:
    node = printer.dom.createElement(tag)
    for key, value in attrs.items():
        node.setAttribute(key, value)
    for child in children:
        if isinstance(child, str):
            child = printer.dom.createTextNode(html.escape(child, quote=False))
        node.appendChild(child)
    return node


class NotesMathMLPrinter(WrittenOrder, MathMLPresentationPrinter):
    """SymPy's presentation-MathML printer with the notes' conventions.

    Names become Greek letters with subscripts and accents (``sigma_2`` → σ₂, ``x_hat`` →
    x̂), a declared density prints as its signature, expectations as 𝔼 with the density as
    subscript, ``KL(q, p)`` as KL(q ‖ p), an integral over the whole real line as ∫ f dx, and
    sums list their positive terms first (x − μ₁ rather than −μ₁ + x).
    """

    printmethod = "_elbo_mathml"

    def _reader_order(self, expr: sp.Expr, order: str | None) -> list[sp.Expr]:
        terms = MathMLPresentationPrinter._as_ordered_terms(self, expr, order=order)
        return sorted(terms, key=lambda t: bool(t.could_extract_minus_sign()))

    def _op(self, text: str) -> Any:
        return _el(self, "mo", text)

    def _print_Derivative(self, expr: sp.Derivative) -> Any:
        """d/dx f, with f in brackets when it is a sum: ∂/∂a (u − v), never ∂/∂a u − v
        (which would differentiate u alone)."""
        node = super()._print_Derivative(expr)
        if precedence(expr.expr) < PRECEDENCE["Mul"]:
            node.replaceChild(self._bracketed(expr.expr), node.lastChild)
        if isinstance(expr, WrittenDerivative):  # the symbol written, ∂ or d
            want = "\u2202" if expr.symbol == "∂" else "d"
            frac = node.firstChild
            for mo in frac.getElementsByTagName("mo"):
                text = mo.firstChild
                if text is not None and text.nodeValue in ("\u2202", "&#x2202;", "d", "ⅆ",
                                                          "&dd;", "&#x2146;"):
                    text.nodeValue = want
        return node

    def _print_Subs(self, expr: sp.Subs) -> Any:
        """A value at a point as the notes write it, ``[f]`` with ``x = t`` under the closing
        bracket (never SymPy's ``subs(f, x, t)``)."""
        at = _el(self, "mrow")
        for k, (v, p) in enumerate(zip(expr.variables, expr.point, strict=True)):
            if k:
                at.appendChild(self._op(","))
            for child in (self._print(v), self._op("="), self._print(p)):
                at.appendChild(child)
        return _el(self, "msub", self._fenced("[", self._print(expr.expr), "]"), at)

    def _bracketed(self, expr: sp.Basic) -> Any:
        return self._fenced("(", self._print(expr), ")")

    def parenthesize(self, item: sp.Basic, level: int, strict: bool = False) -> Any:
        """As SymPy's, except that a written 1·(a + b) (a bracketed sum, such as the body of
        Σ written with its brackets) already prints its brackets: none are added around it."""
        if self._written and isinstance(item, sp.Mul):
            negative, rest = split_sign(item)
            if not negative and isinstance(rest, sp.Add):
                return self._print(item)
        return super().parenthesize(item, level, strict)

    def _print_Add(self, expr: sp.Add, order: str | None = None) -> Any:
        if not self._written:
            return super()._print_Add(expr, order=order)
        row = _el(self, "mrow")
        for i, term in enumerate(self._as_ordered_terms(expr, order=order)):
            negative, rest = split_sign(term)
            if negative:
                row.appendChild(self._op("−"))
            elif i:
                row.appendChild(self._op("+"))
            bracket = is_bracket(rest) or (negative and isinstance(rest, sp.Add))
            row.appendChild(self._bracketed(rest) if bracket else self._print(rest))
        return row

    def _print_Mul(self, expr: sp.Mul) -> Any:
        if not self._written or not isinstance(expr, sp.Mul):  # x⁻² comes here too
            return super()._print_Mul(expr)
        # the factors in the order written, each division under what was written before it
        # (b^a/Γ(a) ∫…, ½(h + g²)), a fraction written inside the product kept whole
        negative, runs = written_runs(expr)
        row = _el(self, "mrow")
        if negative:
            row.appendChild(self._op("−"))
        if len(runs) == 1 and not runs[0][1] and len(runs[0][0]) == 1 and isinstance(
                runs[0][0][0], sp.Add):  # 1·(a + b), −(a + b): the author's brackets
            row.appendChild(self._bracketed(runs[0][0][0]))
            return row
        row.appendChild(self._runs(runs))
        return row

    def _runs(self, runs: list) -> Any:
        row = _el(self, "mrow")
        previous = None
        for num, den in runs:
            node = self._factors(num, alone=bool(den)) if num else self._print(sp.S.One)
            if den:
                node = _el(self, "mfrac", node, self._factors(den, alone=True))
            first = num[0] if num else sp.S.One
            if previous is not None:
                row.appendChild(self._op("·" if _dot_between(previous, first) else "\u2062"))
            row.appendChild(node)
            previous = num[-1] if num and not den else sp.Symbol("x")
        return row

    def _factors(self, factors: list, *, alone: bool) -> Any:
        """Factors side by side; a lone factor of a fraction needs no brackets."""
        if alone and len(factors) == 1 and not isinstance(factors[0], list):
            return self._print(factors[0])
        row = _el(self, "mrow")
        for i, factor in enumerate(factors):
            if i:  # 2·1², not "21²"; 0·c, not "0c"
                left = factors[i - 1] if not isinstance(factors[i - 1], list) else None
                right = factor if not isinstance(factor, list) else sp.Symbol("x")
                row.appendChild(self._op("·" if left is not None and _dot_between(left, right)
                                         else "\u2062"))
            if isinstance(factor, list):
                row.appendChild(self._runs(factor))
            elif isinstance(factor, sp.Add):
                row.appendChild(self._bracketed(factor))
            elif i == len(factors) - 1 and extends_right(factor):
                row.appendChild(self._print(factor))  # 2 Σ_d log σ_d: no brackets needed
            else:
                row.appendChild(self.parenthesize(factor, PRECEDENCE["Mul"]))
        return row

    def _print_Sum(self, expr: sp.Basic) -> Any:
        if not self._written:
            return super()._print_Sum(expr)
        return self._big_operator("∑", expr)

    def _print_Product(self, expr: sp.Basic) -> Any:
        if not self._written:
            return super()._print_Product(expr)
        return self._big_operator("∏", expr)

    def _big_operator(self, sign: str, expr: sp.Basic) -> Any:
        """Σ or ∏ with its limits and the body as written: in brackets only when the author
        bracketed it (a sum), Σ_d log σ_d otherwise."""
        row = _el(self, "mrow")
        for var, low, high in reversed(expr.limits):  # outermost first
            under = _el(self, "mrow", self._print(var), self._op("="), self._print(low))
            row.appendChild(_el(self, "munderover", self._op(sign), under, self._print(high)))
        body = operand(expr.function)
        row.appendChild(self._bracketed(body) if isinstance(body, sp.Add) else self._print(body))
        return row

    def _print_UnevaluatedExpr(self, expr: sp.UnevaluatedExpr) -> Any:
        inner = expr.args[0]
        return self._bracketed(inner) if isinstance(inner, sp.Add) else self._print(inner)

    def _name(self, name: str) -> Any:
        bracketed = BRACKET_SUB.match(name)
        if bracketed is not None:  # M_{[1]}: M[1], as written
            return _el(self, "mi", pretty_name(name))
        atom = atom_subscript(name, GREEK, lambda k: k.translate(_POWERS))
        if atom is not None:  # mu_{q(1/sigma^2)}: μ with the subscript q(1/σ²), as written
            base = ATOM_SUB.match(name)["base"]  # type: ignore[index]
            return _el(self, "msub", self._name(base), _el(self, "mi", atom))
        base, sub, accent = split_name(name)
        head, _, tail = name.partition("_")
        if base == name and tail and (len(head) == 1 or head in GREEK):
            return _el(self, "msub", self._name(head), self._name(tail))  # p_x1: p with x₁
        text = GREEK.get(base, base)
        node = _el(self, "mi", text)
        if len(text) > 1:
            node.setAttribute("mathvariant", "normal")
        if accent:
            node = _el(self, "mover", node, _el(self, "mo", _ACCENTS[accent]), accent="true")
        if sub:
            parts = re.findall(r"[-+]|[0-9]+|[A-Za-z]", sub)
            if len(parts) > 1 and set(sub) & set("+-"):  # t − 1: an expression subscript
                sub_node = _el(self, "mrow", *(
                    _el(self, "mo", "−" if p == "-" else p) if p in "+-" else
                    _el(self, "mn" if p.isdigit() else "mi", p) for p in parts))
            else:
                sub_node = _el(self, "mn" if sub.isdigit() else "mi", sub)
            node = _el(self, "msub", node, sub_node)
        return node

    def _print_Symbol(self, sym: sp.Symbol, style: str = "plain") -> Any:
        if sym in self._signatures:  # p_1(x), declared so and read as the symbol p_1
            return self._signature(self._signatures[sym])
        return self._name(sym.name)

    _print_Dummy = _print_Symbol

    def _signature(self, name: str) -> Any:
        """``q(z|x)`` as q ( z | x ): the head and the variables as names."""
        head, _, rest = name.partition("(")
        inner = rest[:-1] if rest.endswith(")") else rest
        tight = {"lspace": "0", "rspace": "0", "stretchy": "false"}
        row = _el(self, "mrow", self._name(head), _el(self, "mo", "(", **tight))
        for i, part in enumerate(inner.split("|")):
            if i:
                row.appendChild(_el(self, "mo", "|", lspace="0.1em", rspace="0.1em",
                                    stretchy="false"))  # fmt: skip
            for j, var in enumerate(v for v in part.split(",") if v):
                if j:
                    row.appendChild(_el(self, "mo", ",", lspace="0", rspace="0.1em"))
                row.appendChild(self._name(var.strip()))
        row.appendChild(_el(self, "mo", ")", **tight))
        return row

    def _print_Exp1(self, expr: sp.Basic) -> Any:
        return _el(self, "mi", "e")  # the notes' e, not SymPy's ⅇ

    def _print_exp(self, expr: sp.Basic) -> Any:
        if self.exp_word:  # a variable is called e: e^{−B} would read as its power
            return _el(self, "mrow", _el(self, "mi", "exp"), _el(self, "mo", "("),
                       self._print(expr.args[0]), _el(self, "mo", ")"))
        return _el(self, "msup", _el(self, "mi", "e"), self._print(expr.args[0]))

    #: exp(u) printed as the function exp(u), not e^u: set where a symbol is named e
    exp_word = False

    def _print_Pow(self, expr: sp.Pow) -> Any:
        if expr.base is sp.E:  # e^{−a} as written, never SymPy's 1/e^a nor √e
            return _el(self, "msup", self._print_Exp1(expr.base), self._print(expr.exp))
        if isinstance(expr.base, sp.Trace) and expr.base.arg.shape == (1, 1) \
                and expr.exp.is_positive:  # (vᵀv)², never vᵀv²; (vᵀv)¹ as written, (vᵀv)
            base = _el(self, "mrow", _el(self, "mo", "("), self._print(expr.base),
                       _el(self, "mo", ")"))
            return base if expr.exp == 1 else _el(self, "msup", base, self._print(expr.exp))
        return super()._print_Pow(expr)

    def _print_Trace(self, expr: sp.Basic) -> Any:  # tr(A), as the notes write it
        if expr.arg.shape == (1, 1):  # a quadratic form xᵀAx: the number it is
            return self._print(expr.arg)
        return _el(self, "mrow", _el(self, "mi", "tr"),
                   self._fenced("(", self._print(expr.arg), ")"))  # fmt: skip

    def _print_Determinant(self, expr: sp.Basic) -> Any:  # det of a matrix written out
        if isinstance(expr.arg, sp.MatrixBase):  # \det\begin{pmatrix}, as the LaTeX export
            m = expr.arg
            table = _el(self, "mtable", *(
                _el(self, "mtr", *(_el(self, "mtd", self._print(v)) for v in m.row(i)))
                for i in range(m.rows)))
            return _el(self, "mrow", _el(self, "mi", "det"), self._fenced("(", table, ")"))
        # det(Σ), as \det written (|Σ| written is kept as written: core/written.Bars)
        return _el(self, "mrow", _el(self, "mi", "det"), self._fenced("(", self._print(expr.arg),
                                                                      ")"))

    def _print_Function(self, expr: sp.Function) -> Any:
        if is_sequence_term(expr):  # a declared sequence mu(d): μ_d, as the notes write it
            return self._print(sp.Indexed(sp.IndexedBase(expr.func.__name__), *expr.args))
        at = applied_density(expr)
        if at is not None:  # q(z|x) at an i.i.d. copy x_1: q(z|x₁), as written
            head, given, cond = at
            tight = {"lspace": "0", "rspace": "0", "stretchy": "false"}
            row = _el(self, "mrow", self._name(head), _el(self, "mo", "(", **tight))
            for i, arg in enumerate([*given, *cond]):
                if i == len(given):
                    row.appendChild(_el(self, "mo", "|", lspace="0.1em", rspace="0.1em",
                                        stretchy="false"))  # fmt: skip
                elif i:
                    row.appendChild(_el(self, "mo", ",", lspace="0", rspace="0.1em"))
                row.appendChild(self._print(arg))
            row.appendChild(_el(self, "mo", ")", **tight))
            return row
        if isinstance(expr, AppliedUndef):
            name = expr.func.__name__
            if "(" in name:
                return self._signature(name)
            return _el(self, "mrow", self._name(name), self._paren_comma_separated(*expr.args))
        node = super()._print_Function(expr)
        if isinstance(expr, sp.log) and isinstance(expr.args[0], (sp.Abs, Bars)):
            # log|Σ|, as written: the bars are the brackets, none are added around them
            node.replaceChild(self._print(expr.args[0]), node.lastChild)
        return node

    def _print_digamma(self, expr: sp.Expr) -> Any:  # ψ(x), as the notes write it
        return _el(self, "mrow", _el(self, "mi", "ψ"),
                   self._fenced("(", self._print(expr.args[0]), ")"))  # fmt: skip

    def _print_polygamma(self, expr: sp.Expr) -> Any:
        n, x = expr.args
        if n != 0:
            return super()._print_polygamma(expr)
        return self._print_digamma(sp.digamma(x, evaluate=False))

    def _fenced(self, left: str, body: Any, right: str) -> Any:
        tight = {"fence": "true", "lspace": "0", "rspace": "0"}
        return _el(self, "mrow", _el(self, "mo", left, **tight), body,
                   _el(self, "mo", right, **tight))  # fmt: skip

    def _print_Expectation(self, expr: Expectation) -> Any:
        q = expr.density
        if isinstance(q, (sp.Symbol, AppliedUndef)):
            sub = self._print(q)
        else:
            sub = _el(self, "mrow", self._print(expr.variable), _el(self, "mo", "∼"),
                      self._print(q))  # fmt: skip
        head = _el(self, "msub", _el(self, "mi", "𝔼"), sub)
        return _el(self, "mrow", head, self._fenced("[", self._print(expr.integrand), "]"))

    def _print_Piecewise(self, expr: sp.Piecewise) -> Any:
        from elbo_derivation.report.pretty import indicator_event

        event = indicator_event(expr)
        if event is None:
            return super()._print_Piecewise(expr)
        return _el(self, "mrow", _el(self, "mn", "𝟙"), self._fenced("[", self._print(event), "]"))

    def _print_KroneckerDelta(self, expr: sp.KroneckerDelta) -> Any:
        event = _el(self, "mrow", self._print(expr.args[0]), _el(self, "mo", "="),
                    self._print(expr.args[1]))
        return _el(self, "mrow", _el(self, "mn", "𝟙"), self._fenced("[", event, "]"))

    def _print_KL(self, expr: KL) -> Any:
        bars = _el(self, "mo", "‖", lspace="0.2em", rspace="0.2em", stretchy="false")
        body = _el(self, "mrow", self._print(expr.q), bars, self._print(expr.p))
        return _el(self, "mrow", _el(self, "mi", "KL", mathvariant="normal"),
                   self._fenced("(", body, ")"))  # fmt: skip

    def _print_Integral(self, expr: sp.Integral) -> Any:
        whole_line = all(len(lim) == 3 and lim[1] is sp.S.NegativeInfinity and lim[2] is sp.oo
                         for lim in expr.limits)  # fmt: skip
        if not whole_line and not all(len(lim) == 3 for lim in expr.limits):
            return super()._print_Integral(expr)
        row = _el(self, "mrow")
        for lim in reversed(expr.limits):  # the first limit is the innermost
            sign = _el(self, "mo", "∫")
            if not whole_line:  # ∫₀^∞ … dx, with the notes' d (not SymPy's ⅆ)
                sign = _el(self, "msubsup", sign, self._print(lim[1]), self._print(lim[2]))
            row.appendChild(sign)
        row.appendChild(self.parenthesize(expr.function, PRECEDENCE["Mul"], strict=True))
        for lim in expr.limits:
            row.appendChild(_el(self, "mspace", width="0.17em"))
            row.appendChild(_el(self, "mi", "d", mathvariant="normal"))
            row.appendChild(self._print(lim[0]))
        return row


def _dot_between(left: sp.Basic, right: sp.Basic) -> bool:
    """A visible dot between two factors: before one that starts with a digit (2·1², not
    "21²"), and after a factor 0 or 1, which nobody writes by juxtaposition (0·c, not 0c)."""
    return _starts_with_number(right) or left in (sp.S.Zero, sp.S.One)


def _starts_with_number(expr: sp.Basic) -> bool:
    while isinstance(expr, (sp.Pow, sp.Mul)) and expr.args:
        expr = expr.args[0]
    return isinstance(expr, sp.Number)


_PRINTER = NotesMathMLPrinter({"order": "none"})
_WRITTEN = NotesMathMLPrinter({"order": "none"}, written=True)  # the author's order and signs
_PRINTER_EXP = NotesMathMLPrinter({"order": "none"})
_WRITTEN_EXP = NotesMathMLPrinter({"order": "none"}, written=True)
_PRINTER_EXP.exp_word = _WRITTEN_EXP.exp_word = True


def _resolve_entities(text: str) -> str:
    """Named character references (``&InvisibleTimes;``, ``&dd;``) as the characters, so the
    markup parses as XML too; ``&lt;`` and its kind stay escaped. ASCII minus becomes −."""

    def sub(m: re.Match[str]) -> str:
        name = m[1]
        if name in _KEEP_ESCAPED:
            return m[0]
        char = html.entities.html5.get(name + ";")
        return char if char is not None else m[0]

    text = _ENTITY.sub(sub, text)
    text = re.sub(r"&#x([0-9A-Fa-f]+);", lambda m: _char_ref(int(m[1], 16)), text)
    text = re.sub(r"&#([0-9]+);", lambda m: _char_ref(int(m[1])), text)
    text = text.replace("<mo>(</mo>", '<mo lspace="0" rspace="0">(</mo>')
    text = text.replace("<mo>)</mo>", '<mo lspace="0" rspace="0">)</mo>')
    text = text.replace("<mo>ⅆ</mo>", '<mi mathvariant="normal">d</mi>')  # d/dt, the notes' d
    text = text.replace("<mi>ⅇ</mi>", "<mi>e</mi>")
    text = re.sub(r"<mn>-([0-9.]+)</mn>", r"<mrow><mo>−</mo><mn>\1</mn></mrow>", text)  # Σ⁻¹
    return text.replace("<mo>-</mo>", "<mo>−</mo>")


def _char_ref(code: int) -> str:
    char = chr(code)
    return html.escape(char) if char in "<>&\"'" else char


def mathml_expr(expr: sp.Basic, *, written: bool = False) -> str:
    """Presentation MathML for one expression (without the ``<math>`` element).

    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> "<mo>∫</mo>" in mathml_expr(sp.Integral(x**2, (x, -sp.oo, sp.oo)))
    True
    """
    if e_is_a_symbol(expr):  # exp(u), never e^u, beside a variable called e
        printer = _WRITTEN_EXP if written else _PRINTER_EXP
    else:
        printer = _WRITTEN if written else _PRINTER
    return _flat_brackets(_resolve_entities(printer.doprint(expr)))


_TALL = {"mfrac", "msqrt", "mroot", "munderover", "munder", "mover", "mtable"}
_OPEN, _CLOSE = {"(", "["}, {")", "]"}


_POWERS = str.maketrans("0123456789n", "⁰¹²³⁴⁵⁶⁷⁸⁹ⁿ")


def _function_name(node: Any) -> bool:
    """Whether ``node`` (MathML) begins with a function's name of several letters (log, tr,
    sigmoid, KL): after a factor it needs the thin space TeX puts before an operator name."""
    while node.tag == "mrow" and len(node):
        node = node[0]
    text = node.text or ""
    return node.tag == "mi" and len(text) > 1 and text.isalpha()


def _flat_brackets(mathml: str) -> str:
    """Brackets around content of one line's height drawn at the text's size
    (``stretchy="false"``): a stretchy bracket from the math font keeps wide side bearings
    even when it does not stretch, which prints log(Z₁) as "log ( Z₁ )"; a thin space
    between a factor and a function's name after it (n a log(…), not "nalog(…)"); and a
    power of a subscripted name as one ``msubsup`` (μ_d², not a staggered μ_d then ²)."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(f"<root>{mathml}</root>")
    except ET.ParseError:
        return mathml
    changed = False
    for node in root.iter("msup"):  # μ_d²: one subscript-superscript, not staggered
        if len(node) == 2 and node[0].tag == "msub" and len(node[0]) == 2:
            base, sub = list(node[0])
            sup = node[1]
            node.clear()
            node.tag = "msubsup"
            node.extend([base, sub, sup])
            changed = True
    for row in root.iter("mrow"):
        kids = list(row)
        for times, factor in pairwise(kids):  # n·a·log(…): "n a log", not "nalog"
            if (times.tag == "mo" and times.text == "\u2062" and times.get("rspace") is None
                    and _function_name(factor)):
                times.set("rspace", "0.1667em")
                changed = True
        if len(kids) < 2 or kids[0].tag != "mo" or kids[-1].tag != "mo":
            continue
        if (kids[0].text or "") not in _OPEN or (kids[-1].text or "") not in _CLOSE:
            continue
        if any(node.tag in _TALL for kid in kids[1:-1] for node in kid.iter()):
            continue
        for mo in (kids[0], kids[-1]):
            if mo.get("stretchy") is None:
                mo.set("stretchy", "false")
                changed = True
    if not changed:
        return mathml
    text = ET.tostring(root, encoding="unicode").replace(" />", "/>")
    return text[len("<root>") : -len("</root>")]


def shown_mathml(d: Derivation, step: Step | None = None) -> str:
    """MathML for a step (or, with None, the start) as its author wrote it, when the reading
    layer kept that form; else the checked expression in the reader's order (see
    :func:`~elbo_derivation.report.written.shown`)."""
    return _flat_brackets(_resolve_entities(shown(d, step, NotesMathMLPrinter)))


def mathml_block(
    *parts: str, display: str = "inline", label: str = "", namespace: bool = False
) -> str:
    """A ``<math>`` element around MathML fragments (an ``<mrow>`` when there are several).

    ``label`` becomes the ``alttext`` (what a screen reader or a text browser shows). HTML5
    needs no namespace on ``<math>``; ``namespace=True`` adds it, for XML documents.

    >>> mathml_block("<mi>x</mi>")
    '<math display="inline" displaystyle="true"><mi>x</mi></math>'
    """
    body = parts[0] if len(parts) == 1 else "<mrow>" + "".join(parts) + "</mrow>"
    alt = f' alttext="{html.escape(label)}"' if label else ""
    ns = f' xmlns="{MATHML_NS}"' if namespace else ""
    return f'<math{ns} display="{display}" displaystyle="true"{alt}>{body}</math>'


def _step_math(d: Derivation, step: Step) -> str:
    relation = f"<mo>{_RELATION_MO[step.relation]}</mo>"
    from elbo_derivation.report.pretty import shown_pretty

    return mathml_block(relation, shown_mathml(d, step),
                        label=f"{step.relation.symbol} {shown_pretty(d, step)}")  # fmt: skip


@dataclass(frozen=True)
class HandoutFigure:
    """A figure for the handout: its PNG bytes, a title and a caption."""

    name: str
    png: bytes
    caption: str


# ----------------------------------------------------------------------------- HTML

_CSS = """\
:root { --ink: #1a1a1a; --muted: #555; --rule: #d0d0d0; --paper: #ffffff; --band: #f4f6f8; }
* { box-sizing: border-box; }
body { font-family: "Charter", "Georgia", "DejaVu Serif", serif; color: var(--ink);
       background: var(--paper); max-width: 1100px; margin: 2rem auto; padding: 0 1.2rem;
       line-height: 1.45; }
h1 { font-size: 1.9rem; margin-bottom: .2rem; }
h2 { font-size: 1.4rem; border-bottom: 2px solid var(--rule); padding-bottom: .2rem;
     margin-top: 2.5rem; }
.meta, .source, figcaption, .check { color: var(--muted); }
nav ol { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); column-gap: 2.5rem;
         row-gap: .25rem; padding-left: 1.6rem; }
nav li { break-inside: avoid; }
/* the table of steps is laid out as one grid per row: a long expression takes the whole
   width, with its justification and verdict under it, and nothing overlaps */
table.steps, table.steps thead, table.steps tbody { display: block; width: 100%; }
table.steps { margin: .8rem 0; border-collapse: collapse; }
table.steps tr { display: grid; grid-template-columns: 3.2rem minmax(0, 1fr) 24% 19%;
                 border-top: 1px solid var(--rule); }
table.steps th, table.steps td { display: block; padding: .35rem .5rem; text-align: left;
                                 min-width: 0; }
table.steps thead tr { background: var(--band); border-top: none; }
table.steps th { font-weight: 600; }
td.num { font-variant-numeric: tabular-nums; color: var(--muted); }
td.expr div.math { overflow: hidden; }
table.steps tr[data-wide] td.num { grid-row: 1 / span 2; }
table.steps tr[data-wide] td.expr { grid-column: 2 / 5; }
table.steps tr[data-wide] td.why { grid-column: 2 / 4; grid-row: 2; }
table.steps tr[data-wide] td.verdict { grid-column: 4; grid-row: 2; }
table.steps tr.detail { border-top: none; }
table.steps tr.detail td + td { grid-column: 2 / 5; }
tr.detail td { padding-top: 0; font-size: .82rem; color: var(--muted); }
math { font-size: 1.12rem; }
.size-2 math { font-size: .95rem; }
.size-3 math { font-size: .82rem; }
.size-4 math { font-size: .7rem; }
.mark { font-weight: 700; }
.v-proved .mark { color: #007a5a; }
.v-numerically-supported .mark { color: #0072b2; }
.v-refuted .mark { color: #c04000; }
.v-undecided .mark, .v-unchecked .mark { color: #8a6d00; }
.check, .method { display: block; font-size: .85rem; }
.mistake { display: block; font-size: .85rem; color: #c04000; }
.summary { background: var(--band); padding: .6rem .9rem; border-left: 4px solid #0072b2; }
.errata li { margin-bottom: .8rem; }
.errata .ok { color: #007a5a; font-weight: 600; }
.errata .bad { color: #c04000; font-weight: 600; }
figure { margin: 1.5rem 0; text-align: center; }
figure img { max-width: 100%; height: auto; border: 1px solid var(--rule); }
figcaption { font-size: .95rem; margin-top: .3rem; text-align: left; }
@media print {
  @page { size: A4; margin: 14mm; }
  body { max-width: none; margin: 0; padding: 0; font-size: 10pt; color: #000;
         background: #fff; }
  nav { display: none; }
  h2, .source, .meta { break-after: avoid; page-break-after: avoid; }
  h2 { margin-top: 1.4rem; }
  section.figures { break-before: page; page-break-before: always; }
  /* on paper every step is stacked: the expression on the full width, then the
     justification and the verdict side by side under it */
  table.steps tr, table.steps tr[data-wide] { grid-template-columns: 2.2rem minmax(0, 1fr) 32%; }
  table.steps tr td.num { grid-row: 1 / span 2; }
  table.steps tr td.expr, table.steps tr[data-wide] td.expr { grid-column: 2 / 4; }
  table.steps tr td.why, table.steps tr[data-wide] td.why { grid-column: 2; grid-row: 2; }
  table.steps tr td.verdict, table.steps tr[data-wide] td.verdict { grid-column: 3; grid-row: 2; }
  table.steps tr.detail td + td { grid-column: 2 / 4; grid-row: auto; }
  table.steps thead { display: none; }
  .summary { background: none; border: 1px solid #000; }
  tr, figure, li { break-inside: avoid; page-break-inside: avoid; }
  math { font-size: 10.5pt; }
  .psize-2 math { font-size: 9pt; }
  .psize-3 math { font-size: 7.5pt; }
  .psize-4 math { font-size: 6.5pt; }
  a { color: #000; text-decoration: none; }
  .mark { color: #000 !important; }
}
"""


def _esc(text: str) -> str:
    return html.escape(str(text), quote=True)


def html_head(title: str, css: str) -> list[str]:
    """The lines of a standalone HTML page up to and including ``<body>``.

    >>> html_head("KL & ELBO", "p { margin: 0; }")[5]
    '<title>KL &amp; ELBO</title>'
    """
    return [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_esc(title)}</title>",
        f"<style>\n{css}</style>",
        "</head>",
        "<body>",
    ]


def _anchor(d: Derivation, i: int) -> str:
    stem = re.sub(r"[^A-Za-z0-9_-]", "-", d.name or f"derivation-{i}")
    return f"d-{stem}"


def prose_html(text: str) -> str:
    """A sentence for the page: escaped, with the mathematics written in it as text
    (``E_{q(z|x)}``, ``R^D``, ``x ~ q``, ``g**2/2``) shown as mathematics: 𝔼 with a
    subscript, ℝ with a superscript, ∼, ``g²/2``.

    >>> prose_html("E_{q(z|x)}[f] with z ~ q(z|x) in R^D, and g**2/2 < 1")
    '𝔼<sub>q(z|x)</sub>[f] with z ∼ q(z|x) in ℝ<sup>D</sup>, and g²/2 &lt; 1'
    >>> prose_html("Σ_d (x_d − x̂_d)²")
    'Σ<sub>d</sub> (x<sub>d</sub> − x̂<sub>d</sub>)²'
    >>> prose_html("2·log(e^(−γ) + 1)")
    '2·log(e<sup>−γ</sup> + 1)'
    """
    from elbo_derivation.report.pretty import pretty_reason

    text = _esc(pretty_reason(text))
    text = re.sub(r"\bE_(?=\{|\w)", "𝔼_", text)
    text = re.sub(r"\bR\^(?=\{|\w)", "ℝ^", text)
    text = re.sub(r"_\{([^{}]*)\}", r"<sub>\1</sub>", text)
    text = re.sub(r"\^\{([^{}]*)\}", r"<sup>\1</sup>", text)
    # x_d, and x̂_d (a letter with a combining accent) alike
    text = re.sub(r"(?<=[^\W\d_]|[\u0300-\u036f])_([A-Za-z0-9]+)\b", r"<sub>\1</sub>", text)
    text = re.sub(r"\^([^\W_]+)", r"<sup>\1</sup>", text)  # e^γ as well as R^D
    text = re.sub(r"\^\(([^()]*)\)", r"<sup>\1</sup>", text)  # e^(−γ): the unicode exponent
    return re.sub(r"(?<=\s)~(?=\s)", "∼", text)


def _powers_html(text: str) -> str:
    """A line of the report's unicode for the page: escaped, its exponents written e^(−γ)
    or e^t raised (``<sup>``).

    >>> _powers_html("2·log(e^(−γ) + 1) < e^t")
    '2·log(e<sup>−γ</sup> + 1) &lt; e<sup>t</sup>'
    """
    text = re.sub(r"\^\(([^()]*)\)", r"<sup>\1</sup>", _esc(text))
    return re.sub(r"\^([^\W_]+)", r"<sup>\1</sup>", text)


def _verdict_cell(step: Step, d: Derivation | None = None) -> str:
    from elbo_derivation.report.text import (
        explanation,
        format_counterexample,
        mistake_name,
        no_name_said,
        numeric_summary,
    )

    r = step.result
    if r is None:
        return '<td class="verdict v-unchecked"><span class="mark">·</span> not checked</td>'
    v = r.verdict
    parts = [f'<span class="mark">{MARKS[v]}</span> {_esc(VERDICT_WORDS[v])}']
    if r.method:
        parts.append(f'<span class="method">by {_esc(r.method)}</span>')
    if r.counterexample is not None:
        said = format_counterexample(r.counterexample, d, step)
        parts.append(f'<span class="mistake">{_powers_html(said)}</span>')
    if r.mistake:
        parts.append(f'<span class="mistake">likely mistake: {prose_html(mistake_name(r))}</span>')
    elif no_name_said(r) and no_name_said(r) != (explanation(r) or r.reason):
        # (said here unless the detail row under the step says it already)
        parts.append(f'<span class="mistake">{prose_html(no_name_said(r))}</span>')
    for check in (step.quadrature, step.sampling):
        if check is not None:
            parts.append(f'<span class="check">{_esc(numeric_summary(check))}</span>')
    return f'<td class="verdict v-{v.value}">{"".join(parts)}</td>'


def _detail_row(step: Step, anchor: str, d: Derivation | None = None) -> str:
    """A second, full-width row with the checker's explanation, when it gave one (in the
    author's notation, :func:`~elbo_derivation.report.notation.in_author_notation`)."""
    r = step.result
    from elbo_derivation.report.notation import in_author_notation
    from elbo_derivation.report.text import explanation

    how = "" if r is None else in_author_notation(explanation(r) or r.reason, d, step)
    if not how:
        return ""
    return (f'<tr class="detail" id="{anchor}-step-{step.index}-detail"><td></td>'
            f'<td colspan="3">{prose_html(how)}</td></tr>')  # fmt: skip


def _justification(step: Step, d: Derivation) -> str:
    from elbo_derivation.report.pretty import pretty_prose

    names = set(d.symbols) | {sig.partition("(")[0].strip() for sig in d.functions}
    text = pretty_prose(step.justification, names) if step.justification else ""
    if step.relation is Relation.EQ_UP_TO and step.wrt:
        names = ", ".join(pretty_name(w) for w in step.wrt)
        text = f"{text} (equal up to a term free of {names})".strip()
    return prose_html(text)


#: Public names for the other renderers (slides, notebooks): the verdict marks and words
#: (those of the text report), the relations as MathML operators, and a step's
#: justification as HTML.
RELATION_MO = _RELATION_MO


def justification_html(step: Step, d: Derivation) -> str:
    """A step's justification as HTML, its mathematics shown as such (see :func:`prose_html`)."""
    return _justification(step, d)


def _counts_line(d: Derivation) -> str:
    counts = d.counts()
    shown = [f"{n} {VERDICT_WORDS[Verdict(k)]}" for k, n in counts.items() if n]
    unchecked = sum(1 for s in d.steps if s.result is None)
    if unchecked:
        shown.append(f"{unchecked} not checked")
    n = len(d.steps)
    return f"{plural(n, 'step')}: " + ", ".join(shown)


def math_width(mathml: str) -> float:
    """A rough width of a MathML expression in em, from its structure: fractions as wide as
    their wider part, scripts smaller, operators with their spacing. Used to lay long
    expressions out on the full width and to set them smaller, so none is clipped.

    >>> math_width("<mrow><mi>x</mi><mo>+</mo><mn>1</mn></mrow>") > 2
    True
    """
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(f"<root>{mathml}</root>")
    except ET.ParseError:
        return len(re.sub(r"<[^>]+>", "", mathml)) * 0.6

    def width(node: Any) -> float:
        tag = node.tag
        kids = list(node)
        text = (node.text or "").strip()
        if tag == "mfrac":
            return max((width(k) for k in kids), default=0.0) + 0.4
        if tag in ("msub", "msup", "msubsup", "munder", "mover", "munderover"):
            return width(kids[0]) + 0.72 * sum(width(k) for k in kids[1:]) if kids else 0.0
        if tag == "msqrt":
            return sum(width(k) for k in kids) + 1.0
        if tag == "mspace":
            return 0.2
        if tag == "mo":
            return 0.0 if text in ("\u2062", "") else (0.45 if text in "()[]|" else 0.95)
        if tag in ("mi", "mn", "mtext"):
            return 0.58 * len(text) + (0.3 if len(text) > 1 else 0.0)
        return sum(width(k) for k in kids)

    return sum(width(k) for k in root)


def _layout(mathml: str) -> tuple[str, str]:
    """The row's attribute for a long expression and the size class of its mathematics."""
    w = math_width(mathml)
    wide = ' data-wide=""' if w > 22 else ""
    # on screen a long expression has the full width (about 55 em at the normal size); on
    # A4 paper about 37 em: each gets the largest size at which it fits
    screen = ("" if w <= 48 else " size-2" if w <= 56 else " size-3" if w <= 65
              else " size-4")  # fmt: skip
    paper = ("" if w <= 36 else " psize-2" if w <= 43 else " psize-3" if w <= 52
             else " psize-4")  # fmt: skip
    return wide, screen + paper


def _derivation_html(d: Derivation, i: int) -> str:
    anchor = _anchor(d, i)
    from elbo_derivation.report.pretty import shown_pretty

    start = mathml_block(shown_mathml(d), label=shown_pretty(d))
    wide, size = _layout(start)
    rows = [
        f'<tr class="start" id="{anchor}-start"{wide}><td class="num">start</td>'
        f'<td class="expr"><div class="math{size}">{start}</div></td>'
        '<td class="why">the starting expression</td><td class="verdict"></td></tr>'
    ]
    for step in d.steps:
        verdict = step.result.verdict.value if step.result is not None else "unchecked"
        line = f" (line {step.line})" if step.line else ""
        math = _step_math(d, step)
        wide, size = _layout(math)
        rows.append(
            f'<tr class="step" id="{anchor}-step-{step.index}" data-step="{step.index}" '
            f'data-verdict="{verdict}"{wide}><td class="num">{step.index}</td>'
            f'<td class="expr"><div class="math{size}">{math}</div></td>'
            f'<td class="why">{_justification(step, d)}'
            f'<span class="check">{_esc(line.strip())}</span></td>'
            f"{_verdict_cell(step, d)}</tr>" + _detail_row(step, anchor, d)
        )
    where = d.source or ""
    if d.path:
        from pathlib import Path

        where = _esc(where)
        name = f"file <code>{_esc(Path(d.path).name)}</code>"
        where = f"{where} · {name}" if where else name
    else:
        where = _esc(where)
    return (
        f'<section class="derivation" id="{anchor}" data-steps="{len(d.steps)}">\n'
        f"<h2>{_esc(_heading(d))}</h2>\n"
        + (f'<p class="source">Source: {where}</p>\n' if where else "")
        + f'<p class="meta">{_esc(_counts_line(d))}</p>\n'
        '<table class="steps">\n<thead><tr><th>#</th><th>step</th><th>justification</th>'
        "<th>verdict</th></tr></thead>\n<tbody>\n" + "\n".join(rows) + "\n</tbody>\n</table>\n"
        "</section>"
    )


def _errata_html(errata: Sequence[Mapping[str, Any]] | None, note: str) -> str:
    out = ['<section class="errata-section" id="errata">', "<h2>Errata of the notes</h2>"]
    if errata is None:
        out.append(f"<p>{_esc(note)}</p>")
    elif not errata:
        out.append("<p>No errata are recorded.</p>")
    else:
        out.append('<ol class="errata">')
        for e in errata:
            ok = e.get("ok")
            status = ('<span class="ok">✓ confirmed by its check</span>' if ok is True
                      else '<span class="bad">✗ its check did not confirm it</span>'
                      if ok is False else "check gives a summary only")  # fmt: skip
            summary = f" — {prose_html(str(e['summary']))}" if e.get("summary") else ""
            section = f" ({_esc(e['section'])})" if e.get("section") else ""
            out.append(
                f"<li><strong>{prose_html(str(e.get('title', '')))}</strong>{section}<br>"
                f"{prose_html(str(e.get('explanation', '')))}<br>"
                f'<span class="check">{status}{summary}</span></li>'
            )
        out.append("</ol>")
    out.append("</section>")
    return "\n".join(out)


def _figures_html(figures: Sequence[HandoutFigure]) -> str:
    out = ['<section class="figures" id="figures">', "<h2>Figures</h2>"]
    for i, f in enumerate(figures, start=1):
        data = base64.b64encode(f.png).decode("ascii")
        out.append(
            f'<figure id="fig-{_esc(f.name)}"><img src="data:image/png;base64,{data}" '
            f'alt="{_esc(f.caption)}"><figcaption>Figure {i}. {_esc(f.caption)}</figcaption>'
            "</figure>"
        )
    out.append("</section>")
    return "\n".join(out)


_NOTES_INTRO = ("From A. Selega's lecture notes \"Derivation of the Variational Autoencoder "
                "Evidence Lower Bound Loss\" (2022), checked by elbo-derivation: each step "
                "symbolically with SymPy and numerically by quadrature and Monte Carlo "
                "sampling.")


def render_html(
    derivations: Sequence[Derivation],
    *,
    errata: Sequence[Mapping[str, Any]] | None = None,
    figures: Sequence[HandoutFigure] = (),
    title: str = "The derivation of the VAE loss, checked step by step",
    errata_note: str | None = "The errata are not available in this version.",
    intro: str | None = None,
) -> str:
    """The handout as one self-contained HTML document.

    Parameters
    ----------
    derivations : sequence of Derivation
        checked or not (an unchecked step shows "not checked").
    errata : sequence of dict, optional
        as :func:`elbo_derivation.verification.run_errata` returns them (``title``,
        ``section``, ``explanation``, ``ok``, ``summary``); ``None`` prints ``errata_note``.
    figures : sequence of HandoutFigure
        embedded as ``data:image/png;base64`` images.
    title : str
        the document's title.
    errata_note : str or None
        the sentence in place of absent errata; ``None`` with no errata leaves the section
        (and its entry in the contents) out, as for a handout of one's own derivations.
    intro : str, optional
        the paragraph under the title (default: where the notes come from).

    Returns
    -------
    str
        an HTML5 document with inline CSS and MathML; nothing loaded from elsewhere.

    Examples
    --------
    >>> import sympy as sp
    >>> from elbo_derivation.core.steps import Derivation, Relation, Step
    >>> a = sp.Symbol("a", positive=True)
    >>> d = Derivation(title="t", symbols={"a": a}, start=sp.log(a**2), name="t",
    ...                steps=[Step(1, Relation.EQ, 2*sp.log(a), "log of a power")])
    >>> page = render_html([d])
    >>> page.count("<math "), "log of a power" in page
    (2, True)
    """
    total = sum(len(d.steps) for d in derivations)
    counts: dict[str, int] = {}
    for d in derivations:
        for k, n in d.counts().items():
            counts[k] = counts.get(k, 0) + n
    summary = ", ".join(f"{n} {VERDICT_WORDS[Verdict(k)]}" for k, n in counts.items() if n)
    toc = "".join(
        f'<li><a href="#{_anchor(d, i)}">{_esc(_heading(d))}</a></li>'
        for i, d in enumerate(derivations)
    )
    with_errata = errata is not None or errata_note is not None
    extra = '<li><a href="#errata">Errata of the notes</a></li>' if with_errata else ""
    if figures:
        extra += '<li><a href="#figures">Figures</a></li>'
    legend = ("✓ proved symbolically · ≈ numerically supported (no symbolic proof within the "
              "time limit; high-precision evaluation agrees) · ✗ refuted, with a "
              "counterexample · ? undecided")  # fmt: skip
    parts = [
        *html_head(title, _CSS),
        "<header>",
        f"<h1>{_esc(title)}</h1>",
        f'<p class="meta">{_esc(_NOTES_INTRO if intro is None else intro)}</p>',
        f'<p class="summary">{plural(len(derivations), "derivation")}, {plural(total, "step")}'
        + (f": {_esc(summary)}" if summary else "")
        + f".<br><small>{_esc(legend)}</small></p>",
        f"<nav><h2>Contents</h2><ol>{toc}{extra}</ol></nav>",
        "</header>",
        "<main>",
    ]
    parts += [_derivation_html(d, i) for i, d in enumerate(derivations)]
    if with_errata:
        parts.append(_errata_html(errata, errata_note or ""))
    if figures:
        parts.append(_figures_html(figures))
    parts += ["</main>", "</body>", "</html>", ""]
    return "\n".join(parts)


# ----------------------------------------------------------------------------- LaTeX


_SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱᵀ"
_SUPERSCRIPT_TEX = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "+", "-", "=", "(", ")",
                    "n", "i", r"\top"]  # fmt: skip
_SUBSCRIPTS = "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ"
_SUBSCRIPT_TEX = list("0123456789+-=()aehijklmnoprstuvx")
_TEX_EXTRA = {
    **{c: f"$^{{{t}}}$" for c, t in zip(_SUPERSCRIPTS, _SUPERSCRIPT_TEX, strict=True)},
    **{c: f"$_{{{t}}}$" for c, t in zip(_SUBSCRIPTS, _SUBSCRIPT_TEX, strict=True)},
    "§": r"\S{}", "∼": r"$\sim$", "⊤": r"$\top$", "…": r"\ldots{}", "–": "--", "—": "---",
    "‖": r"$\|$", "∣": r"$\mid$", "≠": r"$\ne$", "⇒": r"$\Rightarrow$", "⟨": r"$\langle$",
    "⟩": r"$\rangle$", "“": "``", "”": "''", "’": "'", "‘": "`", "±": r"$\pm$",
    "°": r"$^\circ$", "·": r"$\cdot$", "×": r"$\times$",
    **{c: f"$\\{n}$" for c, n in zip("ΓΔΘΛΞΠΣΦΨΩ", ("Gamma", "Delta", "Theta", "Lambda", "Xi",
                                                  "Pi", "Sigma", "Phi", "Psi", "Omega"),
                                     strict=True)},
}  # fmt: skip


def tex_safe(text: str) -> str:
    r"""Text from :func:`~elbo_derivation.report.latex.latex_text` made safe for pdflatex:
    the unicode it leaves (superscripts, subscripts, §, ᵀ) in LaTeX, other characters
    through their compatibility form (NFKC), and ``?`` for what has none.

    >>> print(tex_safe("Σ Wᵀ and x¹ in §4"))
    $\Sigma$ W$^{\top}$ and x$^{1}$ in \S{}4
    """
    import unicodedata

    out = []
    for ch in text:
        if ord(ch) < 128:
            out.append(ch)
        elif ch in _TEX_EXTRA:
            out.append(_TEX_EXTRA[ch])
        elif unicodedata.category(ch).startswith("L") and ord(ch) < 256:
            out.append(ch)  # Latin-1 letters: inputenc's utf8 knows them
        else:
            plain = unicodedata.normalize("NFKC", ch)
            out.append(plain if plain.isascii() else "?")
    return "".join(out)


def _tex_verdict(step: Step) -> str:
    if step.result is None:
        return r"\textit{not checked}"
    words = {Verdict.PROVED: r"\textsc{proved}",
             Verdict.NUMERICALLY_SUPPORTED: r"\textsc{numerically supported}",
             Verdict.REFUTED: r"\textbf{\textsc{refuted}}",
             Verdict.UNDECIDED: r"\textsc{undecided}"}  # fmt: skip
    return words[step.result.verdict]


def _tex_note(step: Step, d: Derivation) -> str:
    from elbo_derivation.report.latex import latex_text
    from elbo_derivation.report.pretty import pretty_prose

    names = set(d.symbols) | {sig.partition("(")[0].strip() for sig in d.functions}
    text = pretty_prose(step.justification, names) if step.justification else ""
    if step.relation is Relation.EQ_UP_TO and step.wrt:
        names = ", ".join(pretty_name(w) for w in step.wrt)
        text = f"{text} (up to a term free of {names})".strip()
    return tex_safe(latex_text(f"({step.index}) {text}".strip()))


def render_tex(
    derivations: Sequence[Derivation],
    *,
    errata: Sequence[Mapping[str, Any]] | None = None,
    title: str = "The derivation of the VAE loss, checked step by step",
    figures: Sequence[tuple[str, str]] = (),
    fragment: bool = False,
    intro: str = ("From A. Selega's lecture notes (2022), checked by elbo-derivation: each "
                  "step symbolically with SymPy and numerically by quadrature and sampling."),
) -> str:
    r"""The handout as a LaTeX article that compiles with pdflatex and lualatex as it is.

    Each derivation is a section with one ``align*``: the starting expression, then one line
    per step as its author wrote it, ``&= <expression> && \parbox{...}{(n) justification;
    verdict}``; then the errata, their mathematics typeset, and the figures (``figures``:
    PNG paths relative to the ``.tex`` file, with captions). With ``fragment`` there is no
    preamble: the result is for ``\input`` into one's own notes.

    Examples
    --------
    >>> import sympy as sp
    >>> from elbo_derivation.core.steps import Derivation, Relation, Step
    >>> a = sp.Symbol("a", positive=True)
    >>> d = Derivation(title="t", symbols={"a": a}, start=sp.log(a**2),
    ...                steps=[Step(1, Relation.EQ, 2*sp.log(a), "log of a power")])
    >>> tex = render_tex([d])
    >>> tex.count(r"\begin{align*}"), tex.count("&= ")
    (1, 1)
    """
    from elbo_derivation.report.latex import latex_document, latex_fragment

    if fragment:
        return latex_fragment(derivations, verdicts=True, errata=errata)
    return latex_document(derivations, title=title, verdicts=True, errata=errata,
                          figures=figures, intro=intro)  # fmt: skip
