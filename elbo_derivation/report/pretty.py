"""Readable one-line unicode for SymPy expressions: σ₁, μ₂², ∫ … dx, E_q(z|x)[…].

SymPy's own printers give either Python syntax (``sigma1**2``) or a multi-line drawing. A
report needs one line that reads like the notes: Greek letters with subscripts, superscript
powers, ``√``, ``∫ f dx`` for an integral over the real line, ``E_q(z|x)[f]`` for an
expectation, and a density declared as ``q(z|x)`` printed as just that (not
``q(z|x)(z, x)``, which is how SymPy would print the undefined function applied to its
variables).

Examples
--------
>>> import sympy as sp
>>> mu1, x = sp.symbols("mu1 x", real=True)
>>> sigma1 = sp.Symbol("sigma1", positive=True)
>>> pretty(-(x - mu1)**2 / (2*sigma1**2))
'−(x − μ₁)²/(2·σ₁²)'
>>> pretty(sp.Integral(x**2, (x, -sp.oo, sp.oo)))
'∫ x² dx'
>>> pretty_name("x_hat"), pretty_name("sigma_2"), pretty_name("log_var")
('x̂', 'σ₂', 'log_var')
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.printing.precedence import PRECEDENCE, precedence
from sympy.printing.str import StrPrinter

from elbo_derivation.core.expectation import Expectation
from elbo_derivation.core.written import WrittenDerivative, xreplace_as_written

__all__ = [
    "format_number",
    "heading",
    "plural",
    "pretty",
    "pretty_name",
    "pretty_prose",
    "pretty_reason",
    "pretty_signature",
    "pretty_written",
    "shown",
    "shown_part",
    "shown_pretty",
    "shown_sides",
    "shown_way_back",
    "split_name",
    "written_unicode",
]

#: Spelled-out Greek letters and their unicode forms (``eps`` is the notes' ε).
GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "eps": "ε",
    "zeta": "ζ", "eta": "η", "theta": "θ", "iota": "ι", "kappa": "κ", "lambda": "λ",
    "lamda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ",
    "tau": "τ", "upsilon": "υ", "phi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω",
    "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π",
    "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω", "ell": "ℓ",
    # a name declared as the variant letter keeps it (\varepsilon declared, \varepsilon shown)
    "varepsilon": "ε", "vartheta": "ϑ",
}

#: Combining marks for the name suffixes ``_hat``, ``_bar``, ``_tilde``, ``_dot``.
ACCENTS = {"hat": "\u0302", "bar": "\u0304", "tilde": "\u0303", "dot": "\u0307"}

_SUB = str.maketrans("0123456789+-=()aehijklmnoprstuvx",
                     "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ")
_SUP = str.maketrans("0123456789+-=()n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿ")
_SUBSCRIPTABLE = set("0123456789aehijklmnoprstuvx")

_NAME = re.compile(r"^(?P<base>[A-Za-z]+?)(?P<digits>\d*)(?:_(?P<rest>[A-Za-z0-9_]+))?$")
#: a name whose subscript is an expression, ``alpha_bar_{t-1}`` (the LaTeX reader's name for
#: ``\\bar{\\alpha}_{t-1}``)
_EXPRESSION_SUB = re.compile(r"^(?P<stem>[A-Za-z]\w*?)_\{"
                             r"(?P<sub>[A-Za-z0-9]+(?:[-+][A-Za-z0-9]+)+)\}$")


#: a name whose subscript is an expression with brackets or a power, ``mu_{q(1/sigma^2)}``
#: (read from ``\mu_{q(1/\sigma^2)}``, Ormerod & Wand 2010): one atom, shown as written
ATOM_SUB = re.compile(r"^(?P<base>[A-Za-z]\w*?)_\{(?P<sub>[^{}]*[()^|][^{}]*)\}$")


#: a name indexed in square brackets, ``M_{[1]}`` (read from Koller & Friedman's ``M[1]``)
BRACKET_SUB = re.compile(r"^(?P<base>[A-Za-z]\w*?)_\{\[(?P<index>[^\[\]{}]*)\]\}$")


def atom_subscript(name: str, greek: dict[str, str], power: Any) -> str | None:
    """The subscript of a name of :data:`ATOM_SUB`'s form with each Greek word through
    ``greek`` and each power ``^k`` through ``power(k)``; None for any other name.

    >>> atom_subscript("mu_{q(1/sigma^2)}", GREEK, lambda k: k.translate(_SUP))
    'q(1/σ²)'
    """
    m = ATOM_SUB.match(name)
    if m is None:
        return None
    text = re.sub(r"[A-Za-z]+", lambda w: greek.get(w[0], w[0]), m["sub"])
    return re.sub(r"\^(\w)", lambda p: power(p[1]), text)


def split_name(name: str) -> tuple[str, str, str]:
    """Split a symbol name into (base, subscript, accent), the way the notes write it.

    ``sigma1`` and ``sigma_1`` give ``("sigma", "1", "")``; ``x_hat`` gives
    ``("x", "", "hat")``; a name that does not fit the pattern comes back whole as the base.

    >>> split_name("mu_2"), split_name("x_hat"), split_name("x_hat1"), split_name("log_var")
    (('mu', '2', ''), ('x', '', 'hat'), ('x', '1', 'hat'), ('log_var', '', ''))
    >>> split_name("alpha_bar_{t-1}"), split_name("alpha_bar_t")
    (('alpha', 't-1', 'bar'), ('alpha', 't', 'bar'))
    """
    braced = _EXPRESSION_SUB.match(name)
    if braced:  # alpha_bar_{t-1}: ᾱ with the subscript t − 1, as written
        base, _, accent = split_name(braced["stem"])
        return base, braced["sub"], accent
    m = _NAME.match(name)
    if m is None:
        return name, "", ""
    base, digits, rest = m["base"], m["digits"], m["rest"] or ""
    accent = ""
    parts = [p for p in rest.split("_") if p] if rest else []
    if parts and parts[-1] in ACCENTS:
        accent = parts.pop()
    elif len(parts) == 2 and parts[0] in ACCENTS and not digits and (
            len(parts[1]) == 1 or parts[1].isdigit()):  # alpha_bar_t: ᾱ with the subscript t
        return base, parts[1], parts[0]
    elif len(parts) == 1 and not digits:  # x_hat1: an accent, then the subscript
        m2 = re.fullmatch(r"(hat|bar|tilde|dot)(\d+)", parts[0])
        if m2:
            return base, m2[2], m2[1]
    if digits and parts:
        return name, "", ""
    sub = digits or "_".join(parts)
    if sub and not digits and not (sub.isdigit() or len(sub) == 1):
        return name, "", ""  # a word after the underscore (log_var): keep the name as written
    return base, sub, accent


def plural(n: int, word: str) -> str:
    """``n`` and ``word``, in the plural unless ``n`` is one.

    >>> plural(1, "derivation"), plural(3, "step"), plural(0, "file")
    ('1 derivation', '3 steps', '0 files')
    """
    return f"{n} {word}" + ("" if n == 1 else "s")


def heading(d: Any) -> str:
    """A derivation's title for a heading or a list of contents, with the part of its file
    it is when the file holds several (two parts of one file may share a title).

    >>> from elbo_derivation.core.steps import Derivation
    >>> d = Derivation(title="A sum", symbols={}, start=0, name="s", steps=[])
    >>> heading(d)
    'A sum'
    >>> d.metadata["part"] = {"number": 2, "of": 3, "label": "2", "line": 9}
    >>> heading(d)
    'A sum (part 2 of 3)'
    >>> d.metadata["part"]["label"] = "the constant"
    >>> heading(d)
    'A sum (part 2 of 3: the constant)'
    """
    title = d.title or d.name or "derivation"
    part = d.metadata.get("part") if isinstance(getattr(d, "metadata", None), dict) else None
    if not part or int(part.get("of", 1)) < 2:
        return title
    label = str(part.get("label", ""))
    said = f"part {part['number']} of {part['of']}"
    if label and label != str(part["number"]):
        said += f": {label}"
    return f"{title} ({said})"


_SIGNATURE_WORD = re.compile(r"[^\W\d]\w*_\{[^{}]*\}|[^\W\d]\w*")


def pretty_signature(signature: str) -> str:
    """A declared density's signature in unicode, each name in it as :func:`pretty_name`
    writes it: ``q(x_1|x_0)`` → ``q(x₁|x₀)``, ``q_phi(z|x)`` → ``q_φ(z|x)``.

    >>> pretty_signature("q(x_1|x_0)"), pretty_signature("p_theta(x_t|x_{t-1},x_0)")
    ('q(x₁|x₀)', 'p_θ(xₜ|xₜ₋₁, x₀)')
    """
    head, paren, rest = signature.partition("(")
    if not paren:
        return pretty_name(signature)
    inner = _SIGNATURE_WORD.sub(lambda m: pretty_name(m[0]), rest)
    return pretty_name(head) + "(" + re.sub(r",\s*", ", ", inner)


@functools.lru_cache(maxsize=4096)
def pretty_name(name: str) -> str:
    """A symbol name in unicode: ``sigma1`` → ``σ₁``, ``x_hat`` → ``x̂``, ``Z_2`` → ``Z₂``,
    ``mu_{q(1/sigma^2)}`` → ``μ_q(1/σ²)``, ``theta_star`` (the reader's name for θ_*, θ^*)
    → ``θ∗``, ``M_{[1]}`` → ``M[1]``."""
    bracketed = BRACKET_SUB.match(name)
    if bracketed is not None:  # M[1]: shown as written
        index = re.sub(r"\^(\w)", lambda p: p[1].translate(_SUP), bracketed["index"])
        return f"{pretty_name(bracketed['base'])}[{index}]"
    atom = atom_subscript(name, GREEK, lambda k: k.translate(_SUP))
    if atom is not None:
        base = ATOM_SUB.match(name)["base"]  # type: ignore[index]
        return f"{GREEK.get(base, base)}_{atom}"
    if name.endswith("_star") and len(name) > 5:
        return pretty_name(name[:-5]) + "∗"  # U+2217: a "*" would be read as a product
    base, sub, accent = split_name(name)
    head, _, tail = name.partition("_")
    if base == name and tail and (len(head) == 1 or head in GREEK):
        if tail in GREEK:  # q_phi: q with the subscript φ, not the letters ₚₕᵢ
            return f"{GREEK.get(head, head)}_{GREEK[tail]}"
        inner = pretty_name(tail)  # p_x1: p with the subscript x₁
        plain = tail.replace("_", "")
        if set(plain) <= _SUBSCRIPTABLE:
            return GREEK.get(head, head) + plain.translate(_SUB)
        return f"{GREEK.get(head, head)}_{inner}"
    text = GREEK.get(base, base)
    if accent:
        text += ACCENTS[accent]
    if sub:
        if set(sub) <= _SUBSCRIPTABLE | set("+-"):
            text += sub.translate(_SUB)
        else:  # b_(q−1): an expression subscript stays one subscript
            text += f"_({sub})" if set(sub) & set("+-") else "_" + sub
    return text


def format_number(value: float | int | None, digits: int = 6) -> str:
    """A number for a report: ``digits`` significant figures, unicode minus, no clutter.

    >>> format_number(-0.000123456789), format_number(2.0), format_number(float("nan"))
    ('−0.000123457', '2', 'nan')
    """
    if value is None:
        return "–"
    if isinstance(value, (int, sp.Integer)) and not isinstance(value, bool):
        text = str(int(value))
    else:
        v = float(value)
        text = "nan" if v != v else format(v, f".{digits}g")
    if text.startswith("-"):
        text = "−" + text[1:]
    return text.replace("inf", "∞")


def _is_real_line(limits: tuple) -> bool:
    return len(limits) == 3 and limits[1] is sp.S.NegativeInfinity and limits[2] is sp.oo


def reader_order(expr: sp.Expr) -> list[sp.Expr]:
    """The terms of a sum in the order a reader expects: SymPy's canonical order of the
    arguments, then positive terms before negative ones (``x − μ₁``, not ``−μ₁ + x``) and
    bare numbers last (``… − 1/2``).

    SymPy's printers sort terms with ``as_ordered_terms``, which evaluates coefficients
    numerically and takes most of the printing time for the notes' expressions; the
    arguments of an ``Add`` are already in a canonical order, so they are used as they are.
    """
    terms = list(sp.Add.make_args(expr))
    return sorted(terms, key=lambda t: (bool(t.could_extract_minus_sign()), t.is_Number))


def indicator_event(expr: sp.Basic) -> sp.Basic | None:
    """The event of an indicator, ``Piecewise((1, event), (0, True))`` (how the readers build
    ``\\mathbb{1}[x \\le u]``), written as the author would: the variable first where one
    side is a bare symbol the other is not (x ≤ u, not u ≥ x); None for any other
    Piecewise.

    >>> x, u = sp.symbols("x u", real=True)
    >>> indicator_event(sp.Piecewise((1, x <= u), (0, True))).canonical == (x <= u).canonical
    True
    >>> indicator_event(sp.Piecewise((x, x <= u), (0, True))) is None
    True
    """
    if not (isinstance(expr, sp.Piecewise) and len(expr.args) == 2
            and expr.args[0].expr == 1 and expr.args[1].expr == 0
            and expr.args[1].cond is sp.true):
        return None
    event = expr.args[0].cond
    if isinstance(event, sp.core.relational.Relational) and not isinstance(
            event.lhs, sp.Symbol) and isinstance(event.rhs, sp.Symbol):
        return event.reversed
    return event


class UnicodePrinter(StrPrinter):
    """StrPrinter that writes one readable unicode line (ASCII ``*`` and ``-`` internally).

    The base class's decisions about signs and parentheses rely on ASCII ``-``; the
    conversion to ``·`` and ``−`` happens once, on the finished string, in :func:`pretty`.
    """

    printmethod = "_elbo_unicode"  # so Expectation's own _sympystr is not used

    def __init__(self, settings: dict | None = None, *, written: bool = False,
                 signatures: dict[sp.Symbol, str] | None = None) -> None:
        super().__init__(settings)
        self._written = written
        self._signatures = signatures or {}

    def _as_ordered_terms(self, expr: sp.Expr, order: str | None = None) -> list[sp.Expr]:
        return list(expr.args) if self._written else reader_order(expr)

    def _print_Piecewise(self, expr: sp.Piecewise) -> str:
        event = indicator_event(expr)
        if event is None:
            return super()._print_Piecewise(expr)
        return f"1[{self._print(event)}]"  # an indicator, as books print it

    def _print_KroneckerDelta(self, expr: sp.KroneckerDelta) -> str:
        return f"1[{self._print(expr.args[0])} = {self._print(expr.args[1])}]"

    def _print_Relational(self, expr: sp.Basic) -> str:
        sign = {"<=": "≤", ">=": "≥", "!=": "≠", "==": "="}.get(expr.rel_op, expr.rel_op)
        return f"{self._print(expr.lhs)} {sign} {self._print(expr.rhs)}"

    def _print_Add(self, expr: sp.Add, order: str | None = None) -> str:
        if not self._written:
            return super()._print_Add(expr, order=order)
        from elbo_derivation.report.written import is_bracket, split_sign

        out = ""
        for i, term in enumerate(self._as_ordered_terms(expr)):
            negative, rest = split_sign(term)
            body = self._print(rest)
            if is_bracket(rest) or (negative and isinstance(rest, sp.Add)):
                body = f"({body})"
            out += ("-" if negative else "") + body if i == 0 else (
                (" - " if negative else " + ") + body)
        return out

    def _print_Mul(self, expr: sp.Mul) -> str:
        if not self._written or not isinstance(expr, sp.Mul):  # x⁻² comes here too
            return super()._print_Mul(expr)
        from elbo_derivation.report.written import written_runs

        # the factors in the order written, each division under what was written before it
        # (b^a/Γ(a)·∫…, 1/2·(h + g²)), a fraction written inside a product kept whole
        negative, runs = written_runs(expr)
        return ("-" if negative else "") + self._runs(runs)

    def _runs(self, runs: list) -> str:
        out = []
        for num, den in runs:
            top = "*".join(self._run_factor(f, bool(den)) for f in num) or "1"
            if len(den) > 1:
                top += "/(" + "*".join(self._run_factor(f, True) for f in den) + ")"
            elif den:
                one = den[0]
                bottom = self._runs(one) if isinstance(one, list) else self._print(one)
                if isinstance(one, (list, sp.Add, sp.Mul)) or (
                        isinstance(one, sp.Number) and not one.is_Integer):
                    bottom = f"({bottom})"
                elif not isinstance(one, sp.Number):
                    bottom = self.parenthesize(one, PRECEDENCE["Mul"], strict=False)
                top += "/" + bottom
            out.append(top)
        return "*".join(out)

    def _run_factor(self, f: Any, in_fraction: bool) -> str:
        if isinstance(f, list):  # a fraction written whole inside the product
            text = self._runs(f)
            return f"({text})" if in_fraction else text
        if isinstance(f, sp.Add):
            return f"({self._print(f)})"
        return self.parenthesize(f, PRECEDENCE["Mul"], strict=False)

    def _print_Symbol(self, expr: sp.Symbol) -> str:
        signature = self._signatures.get(expr)
        if signature is not None:  # p_1(x), declared so and read as the symbol p_1
            head, _, rest = signature.partition("(")
            inner = ", ".join(pretty_name(v.strip()) for v in rest.rstrip(")").split(",") if v)
            return f"{pretty_name(head)}({inner})"
        return pretty_name(expr.name)

    _print_Dummy = _print_Symbol

    def _print_Float(self, expr: sp.Float) -> str:
        return format(float(expr), ".6g")

    def _print_Infinity(self, expr: sp.Basic) -> str:
        return "∞"

    def _print_NegativeInfinity(self, expr: sp.Basic) -> str:
        return "-∞"

    def _print_Pi(self, expr: sp.Basic) -> str:
        return "π"

    def _print_Exp1(self, expr: sp.Basic) -> str:
        return "e"

    def _print_Abs(self, expr: sp.Abs) -> str:
        return f"|{self._print(expr.args[0])}|"

    def _print_Function(self, expr: sp.Function) -> str:
        from elbo_derivation.report.written import applied_density, is_sequence_term

        name = expr.func.__name__
        if is_sequence_term(expr):  # a declared sequence mu(d): μ_d, as the notes write it
            return self._print(sp.Indexed(sp.IndexedBase(name), *expr.args))
        at = applied_density(expr)
        if at is not None:  # q(z|x) at an i.i.d. copy x_1: q(z|x₁), as written
            head, given, cond = at
            inner = ", ".join(self._print(a) for a in given)
            if cond:
                inner += "|" + ", ".join(self._print(a) for a in cond)
            return f"{pretty_name(head)}({inner})"
        if isinstance(expr, AppliedUndef) and "(" in name:
            # a declared density such as q(z|x): its name says it all (q_phi as q_φ)
            return pretty_signature(name)
        if isinstance(expr, AppliedUndef):
            name = pretty_name(name)
        return f"{name}({self.stringify(expr.args, ', ')})"

    # vectors and matrices (elbo_derivation.core.matrices): Σ⁻¹, (x − μ)ᵀ, tr, det, diag
    def _print_MatrixBase(self, expr: sp.MatrixBase) -> str:  # written out: [a, b; c, d]
        return "[" + "; ".join(", ".join(self._print(v) for v in expr.row(i))
                               for i in range(expr.rows)) + "]"

    _print_ImmutableDenseMatrix = _print_MatrixBase

    def _print_MatrixSymbol(self, expr: sp.MatrixSymbol) -> str:
        return pretty_name(expr.name)

    def _matrix_operand(self, expr: sp.Basic) -> str:
        body = self._print(expr)
        return body if isinstance(expr, (sp.MatrixSymbol, sp.Indexed)) else f"({body})"

    def _print_Transpose(self, expr: sp.Basic) -> str:
        return self._matrix_operand(expr.arg) + "ᵀ"

    def _print_Inverse(self, expr: sp.Basic) -> str:
        return self._matrix_operand(expr.arg) + "⁻¹"

    def _print_MatPow(self, expr: sp.Basic) -> str:
        return self._matrix_operand(expr.base) + str(expr.exp).translate(_SUP)

    _print_HadamardPower = _print_MatPow

    def _print_Trace(self, expr: sp.Basic) -> str:
        if expr.arg.shape == (1, 1):  # a quadratic form xᵀAx: the number it is
            return self._print(expr.arg)
        return f"tr({self._print(expr.arg)})"

    def _print_Determinant(self, expr: sp.Basic) -> str:
        return f"det({self._print(expr.arg)})"

    def _print_MatMul(self, expr: sp.MatMul) -> str:  # aᵀ·Σ⁻¹·b, not (aᵀ·Σ⁻¹)·b
        from elbo_derivation.report.written import flat_product

        return super()._print_MatMul(flat_product(expr))

    def _print_DiagMatrix(self, expr: sp.Basic) -> str:
        return f"diag({self._print(expr.args[0])})"

    def _print_Indexed(self, expr: sp.Basic) -> str:
        index = ",".join(self._print(i) for i in expr.indices)
        base = pretty_name(str(expr.base))
        if set(index) <= _SUBSCRIPTABLE | set("+-=,") and "_" not in base:
            return base + index.translate(_SUB)  # yᵢ, xᵢ₋₁: unicode subscripts
        return f"{base}_{index}" if len(index) == 1 else f"{base}_({index})"

    def _print_Derivative(self, expr: sp.Derivative) -> str:
        # d/dx for a function of one variable, ∂/∂x otherwise; dⁿ/dxⁿ for repeated ones
        d = "d" if len(expr.expr.free_symbols) <= 1 and len(expr.variable_count) == 1 else "∂"
        if isinstance(expr, WrittenDerivative):
            d = expr.symbol  # as written: ∂ or d
        top, bottom = 0, []
        for var, count in expr.variable_count:
            top += count
            power = "" if count == 1 else str(count).translate(_SUP)
            bottom.append(f"{d}{self._print(var)}{power}")
        head = f"{d}{'' if top == 1 else str(top).translate(_SUP)}/{''.join(bottom)}"
        body = self._print(expr.expr)
        return f"{head} {body}" if expr.expr.is_Atom else f"{head} ({body})"

    def _print_Subs(self, expr: sp.Subs) -> str:
        # a value at a point, as the LaTeX report writes it: [f]_{x = t}, never Subs(f, x, t)
        at = ", ".join(f"{self._print(v)} = {self._print(p)}"
                       for v, p in zip(expr.variables, expr.point, strict=True))
        return f"[{self._print(expr.expr)}]_{{{at}}}"

    def _print_limits(self, sign: str, expr: sp.Sum | sp.Product) -> str:
        head = []
        for var, lo, hi in reversed(expr.limits):  # outermost first
            head.append(f"{sign}_{{{self._print(var)}={self._print(lo)}}}^{{{self._print(hi)}}}")
        body = self.parenthesize(expr.function, PRECEDENCE["Mul"], strict=True)
        return f"{' '.join(head)} {body}"

    def _print_Sum(self, expr: sp.Sum) -> str:
        return self._print_limits("Σ", expr)

    def _print_Product(self, expr: sp.Product) -> str:
        return self._print_limits("∏", expr)

    def _print_factorial(self, expr: sp.Expr) -> str:
        arg = expr.args[0]
        return f"{self._print(arg)}!" if arg.is_Atom else f"({self._print(arg)})!"

    def _print_binomial(self, expr: sp.Expr) -> str:
        n, k = (self._print(a) for a in expr.args)
        return f"({n} choose {k})"

    def _print_gamma(self, expr: sp.Expr) -> str:
        return f"Γ({self._print(expr.args[0])})"

    def _print_digamma(self, expr: sp.Expr) -> str:  # ψ, as the notes write it
        return f"ψ({self._print(expr.args[0])})"

    def _print_polygamma(self, expr: sp.Expr) -> str:  # ψ(x), ψ⁽¹⁾(x), not polygamma(0, x)
        n, x = expr.args
        order = "" if n == 0 else "⁽" + self._print(n).translate(_SUP) + "⁾"
        return f"ψ{order}({self._print(x)})"

    def _print_Pow(self, expr: sp.Pow, rational: bool = False) -> str:
        base, exp = expr.base, expr.exp
        if exp is sp.S.Half:
            return "√" + self._root_arg(base)
        if exp == -sp.S.Half:
            return "1/√" + self._root_arg(base)
        if exp is sp.S.NegativeOne:
            return "1/" + self.parenthesize(base, precedence(expr), strict=False)
        b = self.parenthesize(base, precedence(expr), strict=False)
        if isinstance(base, (sp.Sum, sp.Integral, sp.Product)):  # (Σ k/6)², not Σ k/6²
            b = f"({self._print(base)})"
        if exp.is_Integer:
            return b + str(exp).translate(_SUP)
        if exp.is_Symbol and pretty_name(exp.name) == "n":
            return b + "ⁿ"
        return f"{b}^{self.parenthesize(exp, precedence(expr), strict=False)}"

    def _root_arg(self, base: sp.Expr) -> str:
        text = self._print(base)
        if base.is_Atom or (isinstance(base, AppliedUndef) and "(" in base.func.__name__):
            return text
        return f"({text})"

    def _print_Integral(self, expr: sp.Integral) -> str:
        body = self.parenthesize(expr.function, PRECEDENCE["Mul"], strict=True)
        head, tail = [], []
        for limits in expr.limits:
            var = self._print(limits[0])
            if len(limits) == 1 or _is_real_line(limits):
                head.append("∫")
            elif len(limits) == 3:  # ∫_0^∞, ∫_{e^(−λ·t)}^{1}: a longer limit in braces
                lo, hi = (self._print(v) for v in limits[1:])
                lo, hi = (t if len(t) == 1 or t in ("∞", "-∞") else f"{{{t}}}" for t in (lo, hi))
                head.append(f"∫_{lo}^{hi}")
            else:
                head.append("∫")
            tail.append(f"d{var}")
        # SymPy's first limit is the innermost: ∫_0^∞ ∫_x^∞ f dy dx
        return f"{' '.join(reversed(head))} {body} {' '.join(tail)}"

    def _print_Expectation(self, expr: Expectation) -> str:
        f = self._print(expr.integrand)
        q = expr.density
        if isinstance(q, (AppliedUndef, sp.Symbol)):  # a declared density, or a let name
            name = self._print(q)
            return f"E_{{{name}}}[{f}]" if "_" in name else f"E_{name}[{f}]"  # E_{q_φ(z|x)}
        return f"E_{{{self._print(expr.variable)} ~ {self._print(q)}}}[{f}]"

    def _print_KL(self, expr: Expectation) -> str:
        return f"KL({self._print(expr.args[0])} ‖ {self._print(expr.args[1])})"


_PRINTER = UnicodePrinter()
_WRITTEN = UnicodePrinter(written=True)


def pretty(expr: sp.Basic | str, *, written: bool = False) -> str:
    """One readable unicode line for ``expr``.

    Parameters
    ----------
    expr : sympy.Basic or str
        the expression; a string is returned unchanged.

    Returns
    -------
    str
        the expression with Greek letters, subscripts and superscripts, ``·`` for products and
        ``−`` for minus.

    Examples
    --------
    >>> import sympy as sp
    >>> from elbo_derivation.core.expectation import Expectation
    >>> z, x = sp.symbols("z x", real=True)
    >>> q = sp.Function("q(z|x)", positive=True)(z, x)
    >>> p = sp.Function("p(x|z)", positive=True)(x, z)
    >>> pretty(Expectation(sp.log(q) - sp.log(p), z, q))
    'E_q(z|x)[log(q(z|x)) − log(p(x|z))]'
    >>> pretty(sp.sqrt(2*sp.pi*sp.Symbol("sigma_1", positive=True)**2))
    '√2·√π·σ₁'
    """
    if isinstance(expr, str):
        return expr
    return _pretty_cached(expr, written)


@functools.lru_cache(maxsize=4096, typed=True)  # typed: True == 1 == S.One to a dict
def _pretty_cached(expr: sp.Basic, written: bool = False) -> str:
    # a step's left side is the previous step's right side: each is printed once
    text = (_WRITTEN if written else _PRINTER).doprint(expr)
    return text.replace("*", "·").replace("-", "−")


# ----------------------------------------------------------------------------------------
# The step as its author wrote it
#
# SymPy evaluates what the parser builds: ``-log(Z1) - 1/(2*sigma1^2)*((sigma1^2 + mu1^2) -
# 2*mu1^2 + mu1^2)`` becomes ``-log(Z1) - 1/2`` before any printer sees it, so two steps of a
# derivation can print the same. For the report, the written text itself is rendered in the
# same unicode; this is string work on tokens only (nothing is evaluated), and anything it
# does not recognise makes it give up, so the caller falls back to :func:`pretty`.

_TOKEN = re.compile(
    r"\s*(?:(?P<number>\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)"
    r"|(?P<name>[^\W\d]\w*)|(?P<op>\*\*|[-+*/^(),;\[\]~|−·×]))"
)
_WRITTEN_RELATION = re.compile(r"\s*(?:(?:=~|≃)\s*\[[^\]]*\]|<=|>=|≤|≥|=)")
_UNARY_AFTER = {None, "(", ",", "[", "^", "**", "*", "/", "+", "-", "~", "|"}


def _tokens(text: str) -> list[tuple[str, str]] | None:
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            return None
        kind = m.lastgroup
        assert kind is not None
        value = m[kind]
        value = {"−": "-", "·": "*", "×": "*"}.get(value, value)
        if value in ("π", "∞"):
            kind, value = "name", {"π": "pi", "∞": "oo"}[value]
        out.append((kind, value))
        pos = m.end()
    return out


def _closing(tokens: list[tuple[str, str]], i: int) -> int:
    """Index of the bracket that closes the one at ``i``; -1 when unbalanced."""
    pairs = {"(": ")", "[": "]"}
    stack = []
    for j in range(i, len(tokens)):
        v = tokens[j][1] if tokens[j][0] == "op" else ""
        if v in pairs:
            stack.append(pairs[v])
        elif v in (")", "]"):
            if not stack or stack.pop() != v:
                return -1
            if not stack:
                return j
    return -1


def _split(tokens: list[tuple[str, str]], sep: str) -> list[list[tuple[str, str]]]:
    parts: list[list[tuple[str, str]]] = [[]]
    depth = 0
    for t in tokens:
        v = t[1] if t[0] == "op" else ""
        if v in ("(", "["):
            depth += 1
        elif v in (")", "]"):
            depth -= 1
        if depth == 0 and v == sep:
            parts.append([])
        else:
            parts[-1].append(t)
    return parts


def _has_top_level_sum(tokens: list[tuple[str, str]]) -> bool:
    depth, prev = 0, None
    for kind, v in tokens:
        if kind == "op" and v in ("(", "["):
            depth += 1
        elif kind == "op" and v in (")", "]"):
            depth -= 1
        elif depth == 0 and kind == "op" and v in ("+", "-") and prev not in _UNARY_AFTER:
            return True
        prev = v if kind == "op" else kind
    return False


class _GiveUp(Exception):
    pass


def _render(tokens: list[tuple[str, str]]) -> str:
    out: list[str] = []
    prev: str | None = None  # the previous token, for telling unary from binary minus
    i = 0
    while i < len(tokens):
        kind, v = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else ("", "")
        if kind == "name" and nxt == ("op", "("):
            j = _closing(tokens, i + 1)
            if j < 0:
                raise _GiveUp
            out.append(_call(v, tokens[i + 2 : j]))
            i, prev = j + 1, "name"
            continue
        if kind == "name" and v == "E" and nxt == ("op", "["):
            j = _closing(tokens, i + 1)
            if j < 0:
                raise _GiveUp
            out.append(_expectation(tokens[i + 2 : j]))
            i, prev = j + 1, "name"
            continue
        if kind == "name":
            out.append({"pi": "π", "oo": "∞"}.get(v, pretty_name(v)))
        elif kind == "number":
            out.append(v)
        elif v in ("(", "["):
            j = _closing(tokens, i)
            if j < 0:
                raise _GiveUp
            close = ")" if v == "(" else "]"
            out.append(v + _render(tokens[i + 1 : j]) + close)
            i, prev = j + 1, "name"
            continue
        elif v in ("^", "**"):
            if nxt[0] == "number" and nxt[1].isdigit():
                out.append(nxt[1].translate(_SUP))
                i, prev = i + 2, "name"
                continue
            after = [t[1] for t in tokens[i + 1:i + 5]]
            if len(after) == 4 and after[:2] == ["(", "-"] and after[2].isdigit() and (
                    after[3] == ")"):
                out.append(("-" + after[2]).translate(_SUP))  # x^(-1): x⁻¹, as written
                i, prev = i + 5, "name"
                continue
            if after[:1] == ["-"] and len(after) > 1 and after[1].isdigit() and (
                    after[2:3] not in (["^"], ["**"])):  # 2^-1**3 is no power of 2⁻¹
                out.append(("-" + after[1]).translate(_SUP))  # x^-2: x⁻²
                i, prev = i + 3, "name"
                continue
            out.append("^")
        elif v == "*":
            out.append("·")
        elif v in ("+", "-"):
            sign = "+" if v == "+" else "−"
            out.append(sign if prev in _UNARY_AFTER else f" {sign} ")
        elif v in (",", ";"):  # ';' ends a row of a matrix written out, [a, b; c, d]
            out.append(f"{v} ")
        elif v == "~":
            out.append(" ~ ")
        elif v in ("/", "|"):
            out.append(v)
        else:  # a closing bracket without its opening one
            raise _GiveUp
        prev = v if kind == "op" else kind
        i += 1
    return "".join(out)


#: calls whose text is .deriv syntax, not notation: the reading layer's as-written form
#: (an unevaluated Derivative, Sum, ...) prints them as a textbook does
_NOTATION_CALLS = frozenset({"Derivative", "diff", "Sum", "Product", "factorial", "binomial",
                             "Var"})
#: special functions by the letters the notes write them with
_SPECIAL_CALLS = {"gamma": "Γ", "digamma": "ψ", "loggamma": "log Γ"}


def _call(name: str, inner: list[tuple[str, str]]) -> str:
    if name in _NOTATION_CALLS:
        raise _GiveUp
    args = _split(inner, ",")
    if name == "Integral":
        if len(args) != 2 or not args[1] or args[1][0] != ("op", "("):
            raise _GiveUp
        limits = _split(args[1][1:-1], ",")
        body = _render(args[0])
        if _has_top_level_sum(args[0]):
            body = f"({body})"
        var = _render(limits[0])
        if len(limits) == 3:
            lo, hi = _render(limits[1]), _render(limits[2])
            if (lo, hi) != ("−∞", "∞"):
                return f"∫_{lo}^{hi} {body} d{var}"
        return f"∫ {body} d{var}"
    rendered = [_render(a) for a in args]
    if name == "sqrt" and len(rendered) == 1:
        single = len(args[0]) == 1
        return "√" + (rendered[0] if single else f"({rendered[0]})")
    if name == "abs" and len(rendered) == 1:
        return f"|{rendered[0]}|"
    if name in _SPECIAL_CALLS and len(rendered) == 1:
        return f"{_SPECIAL_CALLS[name]}({rendered[0]})"
    if name == "KL" and len(rendered) == 2:  # KL(q ‖ p), as every report writes it
        return f"KL({rendered[0]} ‖ {rendered[1]})"
    if name in ("inv", "transpose") and len(rendered) == 1:  # Σ⁻¹, (m₂ − m₁)ᵀ
        arg = args[0]
        whole = len(arg) == 1 or (len(arg) > 2 and arg[0][0] == "name"
                                  and arg[1] == ("op", "(") and _closing(arg, 1) == len(arg) - 1)
        base = rendered[0] if whole else f"({rendered[0]})"
        return base + ("⁻¹" if name == "inv" else "ᵀ")
    if name == "polygamma" and len(rendered) == 2:
        order = "" if rendered[0] == "0" else "⁽" + rendered[0].translate(_SUP) + "⁾"
        return f"ψ{order}({rendered[1]})"
    return f"{pretty_name(name)}({', '.join(rendered)})"


def _expectation(inner: list[tuple[str, str]]) -> str:
    parts = _split(inner, ",")
    if len(parts) != 2:
        raise _GiveUp
    over = _split(parts[1], "~")
    if len(over) != 2:
        raise _GiveUp
    f, var, q = _render(parts[0]), _render(over[0]), _render(over[1])
    if " " in q:
        return f"E_{{{var} ~ {q}}}[{f}]"
    return f"E_{{{q}}}[{f}]" if "_" in q else f"E_{q}[{f}]"  # E_{q_φ(z|x)}


def pretty_written(text: str) -> str | None:
    """The expression of a ``.deriv`` line as written, in the report's unicode; ``None``
    when the text is not plain ``.deriv`` syntax (LaTeX, for instance).

    A leading relation (``=``, ``<=``, ``=~ [g, h]``, ...) is dropped.

    >>> pretty_written("= -1/2*(log(2*pi*sigma1^2) + 1) - Integral(p1*log(p2), (x, -oo, oo))")
    '−1/2·(log(2·π·σ₁²) + 1) − ∫ p₁·log(p₂) dx'
    >>> pretty_written("=~ [g, h] E[log(p(x|z)), z ~ q(z|x)] + sqrt(h)")
    'E_q(z|x)[log(p(x|z))] + √h'
    >>> pretty_written(r"= $\\frac{1}{2}$") is None
    True
    """
    m = _WRITTEN_RELATION.match(text)
    if m:
        text = text[m.end() :]
    tokens = _tokens(text)
    if not tokens:
        return None
    try:
        return _render(tokens)
    except _GiveUp:
        return None


_WORD = re.compile(r"(?:(?<![\w.])|(?=\\))\\?([^\W\dᵀ][^\Wᵀ]*)(?:\^(\d+))?|\^(\d+)\b")

#: LaTeX commands a justification may hold in its prose, and what the page shows for them
_PROSE_COMMANDS = {"cdot": "·", "times": "×", "sim": "∼", "le": "≤", "leq": "≤", "ge": "≥",
                   "geq": "≥", "ne": "≠", "neq": "≠", "approx": "≈", "infty": "∞",
                   "partial": "∂", "nabla": "∇", "sum": "Σ", "prod": "∏", "int": "∫",
                   "to": "→", "mid": "|", "top": "ᵀ", "log": "log", "exp": "exp", "ln": "ln",
                   "det": "det", "operatorname": "", "mathrm": "", "mathbf": "", "mathbb": "",
                   "mathcal": "", "text": "", "left": "", "right": "", ",": " ", ";": " "}
#: a transpose written in LaTeX, ^\top or ^{\top} (a ^T may be a power of a T)
_TRANSPOSE = re.compile(r"\^(?:\\top\b|\{\\top\})")
#: a command with one argument that only styles it: \mathbb{E} is E, \text{for} is for
_STYLED = re.compile(r"\\(?:mathbb|mathrm|mathbf|mathcal|operatorname|text)\{([^{}]*)\}")


def pretty_prose(text: str, names: Iterable[str] = ()) -> str:
    """A justification with its math in unicode: the declared ``names`` and ``pi`` in
    Greek with subscripts, ``^2`` as ``²``. Other words are left alone, so prose survives.

    >>> pretty_prose("E[x^2] = sigma1^2 + mu1^2, by 2 pi sigma", ["x", "sigma1", "mu1"])
    'E[x²] = σ₁² + μ₁², by 2 π sigma'
    >>> pretty_prose("Z1 = sqrt(2 pi sigma1^2)", ["Z1", "sigma1"])
    'Z₁ = √(2 π σ₁²)'
    >>> pretty_prose(r"divide by e^{\\beta x}", ["beta", "x"])  # a LaTeX name: no backslash left
    'divide by e^(β x)'
    >>> pretty_prose(r"1 + e^{\\gamma} = e^{\\gamma}(1 + e^{-\\gamma}), x_{10}^{2}", ["gamma"])
    '1 + e^γ = e^γ(1 + e^(−γ)), x₁₀²'
    >>> pretty_prose(r"\\mathbb{E}[\\epsilon\\epsilon^\\top] = I, \\alpha \\le 1", ["epsilon"])
    'E[εεᵀ] = I, α ≤ 1'
    """
    known = set(names) | {"pi"}

    def sub(m: re.Match[str]) -> str:
        if m[3] is not None:  # a power after a bracket: (x - mu)^2
            return m[3].translate(_SUP)
        word, power = m[1], m[2]
        command = m[0].startswith("\\")
        if command and word in _PROSE_COMMANDS and word not in known:
            return _PROSE_COMMANDS[word] + (power.translate(_SUP) if power else "")
        if word not in known and not (command and word in GREEK):
            return m[0]
        shown = "π" if word == "pi" else pretty_name(word)
        return shown + (power.translate(_SUP) if power else "")

    text = re.sub(r"\bsqrt(?=\()", "√", text)  # sqrt(2 π σ₁²) → √(2 π σ₁²)
    if "\\" in text or "^" in text:  # LaTeX in the prose: E[\epsilon\epsilon^\top] = I
        text = _TRANSPOSE.sub("ᵀ", _STYLED.sub(lambda m: m[1], text))
        text = re.sub(r"\\([,;])", " ", text)
    text = _WORD.sub(sub, text).replace(" - ", " − ")
    # a LaTeX exponent or subscript in braces: e^{γ} as e^γ, e^{-γ} as e^(−γ), x_{10} as x₁₀
    return _BRACED.sub(_unbraced, text)


_BRACED = re.compile(r"([\^_])\{([^{}]*)\}")


def _unbraced(m: re.Match[str]) -> str:
    inner = m[2].replace("-", "−")
    if m[1] == "_":
        plain = inner.replace("−", "-")
        if plain and set(plain) <= _SUBSCRIPTABLE | set("+-="):
            return plain.translate(_SUB)
        return f"_({inner})" if len(inner) > 1 else f"_{inner}"
    if inner.isdigit():
        return inner.translate(_SUP)
    return f"^{inner}" if len(inner) == 1 else f"^({inner})"


def _needs_declarations(display: sp.Basic | None) -> bool:
    from elbo_derivation.report.written import applied_density, is_sequence_term

    if not isinstance(display, sp.Basic):
        return False
    return any(is_sequence_term(n) or applied_density(n) is not None
               for n in sp.preorder_traversal(display) if isinstance(n, AppliedUndef))


def shown(text: str, expr: sp.Basic, display: sp.Basic | None = None,
          signatures: dict[sp.Symbol, str] | None = None) -> str:
    """What the reports show for an expression: the author's text rendered by
    :func:`pretty_written` when it can be, else the reading layer's as-written form
    (``display``), else SymPy's form, rendered by :func:`pretty`.

    A declared sequence (``mu(d)``, shown μ_d) or a density at other arguments than its
    signature's (``q(z|x)`` at ``x_1``) needs the declarations, which the text alone does
    not carry: a line with one is rendered from its display form."""
    written = pretty_written(text) if text and not _needs_declarations(display) else None
    if written:
        return written
    if display is not None:
        return written_unicode(display, signatures)
    return pretty(expr)


def written_unicode(display: sp.Basic, signatures: dict[sp.Symbol, str] | None = None) -> str:
    """An as-written (unevaluated) form in the report's unicode: the author's order, signs
    and brackets; ``signatures`` as in :func:`shown`."""
    if signatures:
        text = UnicodePrinter(written=True, signatures=signatures).doprint(display)
        return text.replace("*", "·").replace("-", "−")
    return pretty(display, written=True)


def _in_format(text: str, d: Any) -> str:
    """``text`` (printed by this module) in the notation of ``d``'s format: a ``.tex`` author
    writes the exponential e^x, so a part the checker computed is shown so too, not exp(x).

    >>> class D:
    ...     metadata = {"format": "tex"}
    >>> _in_format("exp(x) + exp(−(a + b))·exp(l_d)", D())
    'e^x + e^(−(a + b))·e^l_d'
    """
    if "exp(" not in text or getattr(d, "metadata", {}).get("format") != "tex":
        return text
    out, i = [], 0
    while True:
        k = text.find("exp(", i)
        if k < 0:
            out.append(text[i:])
            return "".join(out)
        if k and (text[k - 1].isalnum() or text[k - 1] == "_"):
            out.append(text[i:k + 4])
            i = k + 4
            continue
        depth, j = 0, k + 3
        for j in range(k + 3, len(text)):
            depth += {"(": 1, ")": -1}.get(text[j], 0)
            if depth == 0:
                break
        if depth:
            out.append(text[i:])
            return "".join(out)
        inner = _in_format(text[k + 4:j], d)
        single = re.fullmatch(r"[^\W_]+(_[^\W_]+)?[₀-₉]*", inner) is not None
        out.append(text[i:k] + ("e^" + inner if single else f"e^({inner})"))
        i = j + 1


def _written_forms(d: Any, step: Any) -> tuple[sp.Basic | None, sp.Basic | None]:
    """The line before ``step`` and ``step`` itself, each as its author wrote it (None where
    the reader kept no such form)."""
    from elbo_derivation.read.deriv import shown_expression

    previous = None if step.index == 1 else d.steps[step.index - 2]
    shown_expression(d, previous)
    shown_expression(d, step)
    before = d.start_display if previous is None else previous.display
    return before, step.display


def shown_part(value: Any, d: Any = None, step: Any = None, *, before: bool = False) -> str:
    """A part of a step the checker found (the part that differs; with ``before``, what the
    line before has there) in unicode, as its author wrote it when the step (or the line
    before) holds a written part of that value, else as :func:`pretty` prints it.

    >>> from elbo_derivation.read.tex import parse_tex_derivation
    >>> d = parse_tex_derivation("% symbols: a, b : real\\n\\\\begin{align*}\\n"
    ...                          "3 &= 2(b + a) - 2b - 2a + 3\\n\\\\end{align*}\\n")
    >>> a, b = d.symbols["a"], d.symbols["b"]
    >>> pretty(2*a + 2*b), shown_part(2*a + 2*b, d, d.steps[0])
    ('2·a + 2·b', '2·(b + a)')
    """
    if not isinstance(value, sp.Basic):
        return _in_format(pretty(value), d)
    if d is not None and step is not None:
        from elbo_derivation.report.written import (
            as_written_part,
            signature_symbols,
            with_density_names,
        )

        try:
            previous, now = _written_forms(d, step)
            forms = [previous, now] if before else [now, previous]
            node = as_written_part(value, forms, d.expand_definitions)
            if node is not None:
                return _in_format(written_unicode(with_density_names(node, d),
                                                  signature_symbols(d)), d)
        except Exception:
            pass
    return _in_format(pretty(value), d)


def shown_way_back(result: Any, d: Any = None, step: Any = None) -> str:
    """What the step should have read (``result.expected_step``), in the author's own order
    and grouping where it is the written step with its differing part put right, else as
    :func:`pretty` prints it."""
    way_back = result.expected_step
    sub, expected = getattr(result, "subexpression", None), getattr(result, "expected", None)
    if d is None or step is None:
        return _in_format(pretty(way_back), d)
    if not isinstance(sub, sp.Basic) or expected is None:
        return _repaired_as_written(way_back, d, step)
    from elbo_derivation.report.written import (
        as_written_part,
        evaluated,
        signature_symbols,
        with_density_names,
    )

    try:
        previous, now = _written_forms(d, step)
        wrong = as_written_part(sub, [now], d.expand_definitions)
        if now is None or wrong is None:
            return _repaired_as_written(way_back, d, step)
        right = as_written_part(expected, [previous], d.expand_definitions)
        repaired = xreplace_as_written(now, {wrong: expected if right is None else right})
        value = d.expand_definitions(evaluated(repaired))
        if value == way_back or sp.expand(value - way_back) == 0:
            shown_step = written_unicode(with_density_names(repaired, d), signature_symbols(d))
            return _in_format(shown_step, d)
    except Exception:
        pass
    return _repaired_as_written(way_back, d, step)


def _repaired_as_written(way_back: Any, d: Any, step: Any) -> str:
    """``way_back`` as the written step with one small edit (see
    :func:`~elbo_derivation.report.written.written_repair`), in the author's form; else as
    :func:`pretty` prints it."""
    from elbo_derivation.report.written import (
        signature_symbols,
        with_density_names,
        written_repair,
    )

    try:
        _, now = _written_forms(d, step)
        found = written_repair(now, way_back, d.expand_definitions)
        if found is not None:
            shown_step = written_unicode(with_density_names(found[2], d), signature_symbols(d))
            return _in_format(shown_step, d)
    except Exception:
        pass
    return _in_format(pretty(with_density_names(way_back, d)), d)


def shown_change(d: Any, step: Any, right: Any, wrong: Any,
                 way_back: Any) -> tuple[str, str] | None:
    """What a mistake changed, ``(right, wrong)``, as the author's own written parts, for an
    explanation that quotes them ("{right} became {wrong}"): None when both already show on
    the page (``right`` in the line before, ``wrong`` in the step), or when the step with
    one small edit (:func:`~elbo_derivation.report.written.written_repair`) does not read
    ``way_back``. Then the part the edit changes, as written, and the part it puts there.

    >>> from elbo_derivation.read.deriv import parse_derivation
    >>> d = parse_derivation("symbols: a, b : positive\\n  a\\n= (a + b)/4  # wrong")
    >>> a, b = d.symbols["a"], d.symbols["b"]
    >>> shown_change(d, d.steps[0], (a + b) / 2, (a + b) / 4, (a + b) / 2)
    ('(a + b)/2', '(a + b)/4')
    """
    from elbo_derivation.report.written import (
        as_written_part,
        signature_symbols,
        with_density_names,
        written_repair,
    )

    if d is None or step is None or not isinstance(way_back, sp.Basic):
        return None
    try:
        previous, now = _written_forms(d, step)
        if (isinstance(right, sp.Basic) and isinstance(wrong, sp.Basic)
                and as_written_part(right, [previous], d.expand_definitions) is not None
                and as_written_part(wrong, [now], d.expand_definitions) is not None):
            return None
        found = written_repair(now, way_back, d.expand_definitions)
        if found is None:
            return None
        part, repaired, _ = found
        signatures = signature_symbols(d)
        return (_in_format(written_unicode(with_density_names(repaired, d), signatures), d),
                _in_format(written_unicode(with_density_names(part, d), signatures), d))
    except Exception:
        return None


def shown_pretty(d: Any, step: Any = None) -> str:
    """One unicode line for ``step`` of ``d`` (or, with None, its start) as written."""
    from elbo_derivation.read.deriv import shown_expression
    from elbo_derivation.report.written import signature_symbols, with_density_names

    shown_expression(d, step)  # fills the display form when it can be rebuilt
    signatures = signature_symbols(d)
    if step is None:
        text, expr, display = d.start_text, d.start, d.start_display
    else:
        text, expr, display = step.text, step.expr, step.display
    expr, display = (with_density_names(e, d) for e in (expr, display))
    return shown(text, expr, display, signatures)


def shown_sides(d: Any, step: Any) -> tuple[str, str]:
    """The two sides of ``step`` of derivation ``d`` as the reports show them."""
    previous = None if step.index == 1 else d.steps[step.index - 2]
    return shown_pretty(d, previous), shown_pretty(d, step)


_DICT = re.compile(r"\{\s*'[^'{}]+'\s*:\s*[^,{}]+(?:,\s*'[^'{}]+'\s*:\s*[^,{}]+)*\s*\}")


def _point(m: re.Match[str]) -> str:
    """A Python dict of a point, ``{'sigma1': 2.0, 'mu1': -1.5}``, as ``σ₁ = 2, μ₁ = −1.5``."""
    parts = []
    for item in re.finditer(r"'([^']+)'\s*:\s*([^,{}]+)", m[0]):
        value = item[2].strip()
        try:
            shown_value = format_number(float(value))
        except ValueError:
            shown_value = value
        parts.append(f"{pretty_name(item[1])} = {shown_value}")
    return ", ".join(parts)


_MATH_WORD = re.compile(r"[A-Za-z_]*\d+[A-Za-z_\d]*|\w+_\w+|.*[*/^()].*|[-+=−]|\*\*|"
                        r"-[A-Za-z]\w*")  # −a, a name with its sign
_OPERATOR_WORDS = {"+", "-", "−", "="}


def pretty_reason(text: str) -> str:
    """A checker's sentence with the expressions in it, written in Python syntax
    (``mu1**2/(2*sigma2**2)``), rendered in the report's unicode (``μ₁²/(2·σ₂²)``).

    Words are grouped into runs of mathematics (names with digits or underscores, anything
    with ``* / ^ ( )``, and the operators between them); each run that reads as an
    expression is rendered by :func:`pretty_written`, the rest is left alone.

    >>> pretty_reason("the sides differ by 0.5 at {'sigma1': 2.0, 'mu1': -1.5}")
    'the sides differ by 0.5 at σ₁ = 2, μ₁ = −1.5'
    >>> pretty_reason("the gap mu1**2/(2*sigma2**2) - mu1*mu2/sigma2**2 is ≥ 0: it factors "
    ...               "as (mu1 - mu2)**2/(2*sigma2**2), non-negative.")
    'the gap μ₁²/(2·σ₂²) − μ₁·μ₂/σ₂² is ≥ 0: it factors as (μ₁ − μ₂)²/(2·σ₂²), non-negative.'
    >>> pretty_reason("a count of dimensions (or terms) is wrong: mu1**2 is summed")
    'a count of dimensions (or terms) is wrong: μ₁² is summed'
    """
    text = _DICT.sub(_point, text)
    if not any(mark in text for mark in ("**", "*", "_", "/")) and not re.search(
            r"[A-Za-z]\(", text):
        return text
    words = re.split(r"(\s+)", text)
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        while run and (run[-1].isspace() or run[-1] in _OPERATOR_WORDS):
            tail = run.pop()
            out_tail.insert(0, tail)
        if run:
            chunk = "".join(run)
            # two operands side by side with only a space between them are words, not
            # Python syntax: "(or terms)" stays as written
            prose = re.search(r"[\w)]\s+[\w(]", chunk)
            shown = (pretty_written(chunk) if re.search(r"[A-Za-z0-9]", chunk) and not prose
                     else None)
            out.append(shown if shown is not None else chunk)
        out.extend(out_tail)
        run.clear()
        out_tail.clear()

    out_tail: list[str] = []
    for w in words:
        if not w:
            continue
        if w.isspace():
            (run if run else out).append(w)
            continue
        m = re.match(r"^(.*?)([.,;:]*)$", w)
        core, punct = (m[1], m[2]) if m else (w, "")
        if core and _MATH_WORD.fullmatch(core) and (run or core not in _OPERATOR_WORDS):
            run.append(core)
            if punct:
                flush()
                out.append(punct)
            continue
        flush()
        out.append(w)
    flush()
    return "".join(out)
