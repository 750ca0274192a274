"""Notations the author chose, kept on the display forms (never on the checked expressions).

The readers build each step twice: the checked expression, and the display form, built
without SymPy's evaluation (:attr:`~elbo_derivation.core.steps.Step.display`). Where two
notations have one value, the display form keeps the one the author wrote with the classes
here: each is a subclass of the class SymPy would build (``Ln`` is a ``log``), so code that
looks at a display form's structure sees what it expects, and each knows how the report
printers (unicode, LaTeX, MathML: their ``printmethod``) write it and what it is checked as
(``_elbo_checked``).

* :class:`Ln`: ``\\ln x`` or ``ln(x)``, shown ln, not log;
* :class:`WrittenPower`: a power with a negative exponent, ``\\left(a + b\\right)^{-1}``, shown
  as a power, not as the fraction 1/(a + b);
* :class:`Bars`: a determinant written ``|…|`` with ``vmatrix``, shown so, not as det(…);
* :func:`written_entropy`: the entropy written H(q), checked as −E_q[log q];
* :func:`written_variance`: a variance written Var_q[f], checked as E_q[(f − E_q f)²];
* :func:`written_joint`: an expectation over a joint density, ``E_{p(x, y)}[f]``, which the
  reader takes as the expectations one inside the other that it is, shown as one;
* :class:`WrittenDerivative`: a derivative written with ∂ or with d, shown so whatever the
  printers would choose from the number of variables;
* :class:`WrittenFunction`: a function known by name, ``\\operatorname{sigmoid}(t)`` or
  ``softplus(t)``, checked as its definition (1/(1 + e^(−t))) and shown by its name;
* :class:`WrittenGaussian`: a Gaussian density written ``\\mathcal{N}(x; \\mu, \\sigma^2)``
  (or the family of a draw, ``x \\sim \\mathcal{N}(\\mu, \\sigma^2)``), checked as its
  formula and shown as written.

The readers call :func:`written_log`, :func:`written_power` and :func:`written_bars`, which
build the marker only while a display form is built (SymPy's evaluation switched off).

Examples
--------
>>> import sympy as sp
>>> x = sp.Symbol("x", positive=True)
>>> with sp.evaluate(False):
...     shown = written_log(x, "ln")
>>> isinstance(shown, sp.log), type(shown).__name__, checked(shown) == sp.log(x)
(True, 'Ln', True)
>>> written_log(x, "ln") == sp.log(x)  # outside a display form: the plain log
True
"""

from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.core.parameters import global_parameters
from sympy.core.symbol import Str

__all__ = [
    "BareLog",
    "Bars",
    "Entropy",
    "JointExpectation",
    "Ln",
    "Probability",
    "Variance",
    "WrittenDerivative",
    "WrittenFunction",
    "WrittenGaussian",
    "WrittenPower",
    "WrittenPrime",
    "WrittenSquareDerivative",
    "checked",
    "displaying",
    "written_bare_log",
    "written_bars",
    "written_derivative",
    "written_entropy",
    "written_function",
    "written_gaussian",
    "written_joint",
    "written_log",
    "written_power",
    "written_prime",
    "written_probability",
    "written_square_derivative",
    "written_variance",
    "xreplace_as_written",
]

_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def displaying() -> bool:
    """True while a display form is built (SymPy's evaluation switched off)."""
    return not global_parameters.evaluate


def checked(expr: Any, *, names: bool = False) -> Any:
    """``expr`` with every marker of this module replaced by the plain SymPy node it stands
    for (nothing else is evaluated).

    With ``names``, a function written by name (:class:`WrittenFunction`) is kept: what the
    page shows, sigmoid(t) one factor of its own, for those who compare lines as written
    (the naming of a mistake); its value is the same.

    >>> t = sp.Symbol("t", real=True)
    >>> with sp.evaluate(False):
    ...     shown = sp.log(written_function("sigmoid", lambda u: 1 / (1 + sp.exp(-u)), t))
    >>> checked(shown)
    log(1/(1 + exp(-t)))
    >>> checked(shown, names=True)
    log(sigmoid(t))
    """
    if not isinstance(expr, sp.Basic) or not expr.args:
        return expr
    if names and isinstance(expr, WrittenFunction):
        inner = [checked(a, names=True) for a in expr.args]
        if all(a is b for a, b in zip(inner, expr.args, strict=True)):
            return expr
        return expr.func(*inner)
    if hasattr(expr, "_elbo_checked"):
        return checked(expr._elbo_checked(), names=names)
    args = [checked(a, names=names) for a in expr.args]
    if all(a is b for a, b in zip(args, expr.args, strict=True)):
        return expr
    return expr.func(*args, evaluate=False) if isinstance(expr, (sp.Add, sp.Mul, sp.Pow)) \
        else expr.func(*args)


class Ln(sp.log):
    """The natural logarithm written ``\\ln`` (``ln`` in a ``.deriv`` file): a ``log``,
    shown ln as written."""

    def _elbo_checked(self) -> sp.Expr:
        return sp.log(*self.args, evaluate=False)

    def _elbo_unicode(self, printer: Any) -> str:
        return "ln" + printer._print(self._elbo_checked())[len("log"):]

    def _elbo_latex(self, printer: Any, exp: str | None = None) -> str:
        text = printer._print(self._elbo_checked())
        if text.startswith(r"\log"):
            text = r"\ln" + text[len(r"\log"):]
        return _raised(text, exp)

    def _elbo_mathml(self, printer: Any) -> Any:
        node = printer._print(self._elbo_checked())
        for mi in node.getElementsByTagName("mi"):
            if mi.firstChild is not None and mi.firstChild.nodeValue == "log":
                mi.firstChild.nodeValue = "ln"
                break
        return node


def _raised(text: str, exp: str | None) -> str:
    """The LaTeX ``text`` of a written form, raised to the power ``exp`` when the printer asks
    for one (``\\left(text\\right)^{exp}``: a form that is not a plain symbol is bracketed
    before its exponent); ``text`` itself otherwise.

    >>> _raised(r"\\ln x", "2"), _raised(r"\\ln x", None)
    ('\\\\left(\\\\ln x\\\\right)^{2}', '\\\\ln x')
    """
    return rf"\left({text}\right)^{{{exp}}}" if exp is not None else text


class BareLog(sp.log):
    """A log written without brackets around a function's value, ``\\ln\\sigma(a)``: a
    ``log``, shown ``ln σ(a)`` as written (args: the argument, and 1 when it was ``ln``)."""

    def __new__(cls, arg: sp.Expr, is_ln: sp.Integer = sp.S.Zero, **kwargs: Any) -> BareLog:
        return sp.Expr.__new__(cls, arg, sp.sympify(is_ln))

    @property
    def _name(self) -> str:
        return "ln" if self.args[1] else "log"

    def _elbo_checked(self) -> sp.Expr:
        return sp.log(self.args[0], evaluate=False)

    def _elbo_unicode(self, printer: Any) -> str:
        return f"{self._name} {printer._print(self.args[0])}"

    def _elbo_latex(self, printer: Any, exp: str | None = None) -> str:
        text = rf"\{self._name} {printer._print(self.args[0])}"
        return _raised(text, exp)

    def _elbo_mathml(self, printer: Any) -> Any:
        doc = printer.dom
        row = doc.createElement("mrow")
        name = doc.createElement("mi")
        name.appendChild(doc.createTextNode(self._name))
        apply = doc.createElement("mo")
        apply.appendChild(doc.createTextNode("\u2061"))  # function application
        row.appendChild(name)
        row.appendChild(apply)
        row.appendChild(printer._print(self.args[0]))
        return row


def written_bare_log(value: sp.Expr) -> sp.Expr:
    """``value``, a log read from ``\\log``/``\\ln`` written without brackets; in a
    display form, when its argument is one named function's value (``σ(a)``,
    ``softplus(γ)``: it brings its own brackets), a :class:`BareLog` shown as written.
    Anything else is returned as it is."""
    if not displaying() or not isinstance(value, sp.log) or isinstance(value, BareLog):
        return value
    arg = value.args[0]
    if isinstance(arg, WrittenFunction):
        return BareLog(arg, sp.S.One if isinstance(value, Ln) else sp.S.Zero)
    return value


class WrittenPower(sp.Pow):
    """A power written with a negative exponent, ``(a + b)^{-1}``: shown as a power, where
    SymPy's printers would write the fraction 1/(a + b)."""

    def _elbo_checked(self) -> sp.Expr:
        return sp.Pow(checked(self.base), self.exp, evaluate=False)

    def _base(self, printer: Any) -> Any:
        from sympy.printing.precedence import PRECEDENCE

        return printer.parenthesize(self.base, PRECEDENCE["Pow"], strict=True)

    def _elbo_unicode(self, printer: Any) -> str:
        exp = self.exp
        if exp.is_Integer:
            return self._base(printer) + str(exp).translate(_SUPERSCRIPT)
        return f"{self._base(printer)}^({printer._print(exp)})"

    def _elbo_latex(self, printer: Any, exp: str | None = None) -> str:
        text = f"{self._base(printer)}^{{{printer._print(self.exp)}}}"
        return _raised(text, exp)

    def _elbo_mathml(self, printer: Any) -> Any:
        doc = printer.dom
        exp = self.exp
        if exp.is_Number and exp.is_negative:
            top = doc.createElement("mrow")
            minus = doc.createElement("mo")
            minus.appendChild(doc.createTextNode("−"))
            top.appendChild(minus)
            top.appendChild(printer._print(-exp))
        else:
            top = printer._print(exp)
        node = doc.createElement("msup")
        node.appendChild(self._base(printer))
        node.appendChild(top)
        return node


class Bars(sp.Determinant):
    """A determinant written with bars, ``\\begin{vmatrix} a & b \\\\ c & d \\end{vmatrix}``:
    shown |…| as written, not det(…)."""

    def _elbo_checked(self) -> sp.Expr:
        return sp.Determinant(self.arg)

    def _rows(self, printer: Any) -> list[list[Any]]:
        m = self.arg
        return [[printer._print(v) for v in m.row(i)] for i in range(m.rows)]

    def _elbo_unicode(self, printer: Any) -> str:
        if not isinstance(self.arg, sp.MatrixBase):
            return f"|{printer._print(self.arg)}|"
        return "|" + "; ".join(", ".join(row) for row in self._rows(printer)) + "|"

    def _elbo_latex(self, printer: Any, exp: str | None = None) -> str:
        if not isinstance(self.arg, sp.MatrixBase):
            text = rf"\left|{printer._print(self.arg)}\right|"
        else:
            rows = r" \\ ".join(" & ".join(row) for row in self._rows(printer))
            text = rf"\begin{{vmatrix}} {rows} \end{{vmatrix}}"
        return _raised(text, exp)

    def _elbo_mathml(self, printer: Any) -> Any:
        doc = printer.dom

        def el(tag: str, *children: Any, text: str | None = None) -> Any:
            node = doc.createElement(tag)
            if text is not None:
                node.appendChild(doc.createTextNode(text))
            for c in children:
                node.appendChild(c)
            return node

        if isinstance(self.arg, sp.MatrixBase):
            body = el("mtable", *(el("mtr", *(el("mtd", c) for c in row))
                                  for row in self._rows(printer)))
        else:
            body = printer._print(self.arg)
        bars = []
        for _ in range(2):
            bar = el("mo", text="|")
            bar.setAttribute("fence", "true")
            bar.setAttribute("stretchy", "true")
            bars.append(bar)
        return el("mrow", bars[0], body, bars[1])


def written_log(arg: sp.Expr, name: str) -> sp.Expr:
    """``log(arg)``; in a display form, :class:`Ln` when the author wrote ``ln``."""
    if name.lstrip("\\") == "ln" and displaying():
        return Ln(arg, evaluate=False)
    return sp.log(arg)


def written_power(base: sp.Expr, exponent: sp.Expr) -> sp.Expr:
    """``base**exponent``; in a display form, a :class:`WrittenPower` when the exponent is
    a negative number, so that it is shown as written."""
    if displaying() and not getattr(base, "is_Matrix", False):
        if exponent.args:
            # (switching SymPy's evaluation on and off again empties its caches each time:
            # only an exponent with parts, such as -1 written as a product, needs it)
            with sp.evaluate(True):
                value = checked(exponent)
                value = value.func(*value.args) if value.args else value
        else:
            value = exponent  # a number or a symbol: already what evaluating it gives
        if isinstance(value, sp.Number) and value.is_negative:
            return WrittenPower(base, value, evaluate=False)
    return sp.Pow(base, exponent)


def written_bars(value: sp.Expr) -> sp.Expr:
    """The determinant ``value`` read from a ``vmatrix``; in a display form, as
    :class:`Bars`."""
    if displaying() and isinstance(value, sp.Determinant):
        return Bars(value.arg)
    return value


class JointExpectation(sp.Expr):
    """An expectation written over a joint density, ``E_{p(x, y)}[f]``: the nested
    expectations the reader builds (``args[0]``), shown as the one the author wrote over
    ``args[1]``, the joint density."""

    is_commutative = True

    def _elbo_checked(self) -> sp.Expr:
        return self.args[0]

    def _integrand(self) -> sp.Expr:
        """What is under the nested expectations over the joint's variables, one for each;
        an expectation over another variable inside it (a KL over y under E_{p(x, t)}) is
        part of what the author wrote under the joint one, and stays whole."""
        from elbo_derivation.core.expectation import Expectation

        left = list(self.args[1].args)  # the joint density's variables
        inner = self.args[0]
        while isinstance(inner, Expectation) and inner.variable in left:
            left.remove(inner.variable)
            inner = inner.integrand
        return inner

    def _as_one(self) -> sp.Expr:
        from elbo_derivation.core.expectation import Expectation

        e = self.args[0]
        return Expectation(self._integrand(), e.variable, self.args[1])

    def _elbo_unicode(self, printer: Any) -> str:
        return printer._print(self._as_one())

    def _elbo_latex(self, printer: Any, exp: str | None = None) -> str:
        text = printer._print(self._as_one())
        return _raised(text, exp)

    def _elbo_mathml(self, printer: Any) -> Any:
        return printer._print(self._as_one())


class Entropy(sp.Expr):
    """The entropy written ``H(q)``: −E_q[log q] (``args[0]``), the value checked, shown as
    the author wrote it over the density ``args[1]``."""

    is_commutative = True

    def _elbo_checked(self) -> sp.Expr:
        return self.args[0]

    def _shown(self) -> sp.Expr:
        return sp.Function("H")(self.args[1])

    def _elbo_unicode(self, printer: Any) -> str:
        return printer._print(self._shown())

    def _elbo_latex(self, printer: Any, exp: str | None = None) -> str:
        text = printer._print(self._shown())
        return _raised(text, exp)

    def _elbo_mathml(self, printer: Any) -> Any:
        return printer._print(self._shown())


def written_entropy(value: sp.Expr, density: sp.Expr) -> sp.Expr:
    """−E_q[log q], ``value``, written H(q): in a display form an :class:`Entropy`, shown
    as written; otherwise the value itself.

    >>> q = sp.Function("q")(sp.Symbol("z"))
    >>> written_entropy(sp.Symbol("v"), q)
    v
    """
    if displaying():
        return Entropy(value, density)
    return value


class Variance(sp.Expr):
    """The variance written ``Var_q[f]`` (``\\operatorname{Var}``, ``\\mathbb{V}``,
    ``Var[f, z ~ q]``): E_q[(f − E_q f)²] (``args[0]``), the value checked, shown as the
    author wrote it: the expectation E_q[f] (``args[1]``) with Var in place of E."""

    is_commutative = True

    def _elbo_checked(self) -> sp.Expr:
        return self.args[0]

    def _elbo_unicode(self, printer: Any) -> str:
        text = printer._print(self.args[1])
        return "Var" + text[1:] if text.startswith("E") else f"Var[{text}]"

    def _elbo_latex(self, printer: Any, exp: str | None = None) -> str:
        text = printer._print(self.args[1])
        head = r"\mathbb{E}"
        shown = (r"\operatorname{Var}" + text[len(head):] if text.startswith(head)
                 else rf"\operatorname{{Var}}\left[{text}\right]")
        return _raised(shown, exp)

    def _elbo_mathml(self, printer: Any) -> Any:
        node = printer._print(self.args[1])
        for mi in node.getElementsByTagName("mi"):  # the expectation's 𝔼, first
            if mi.firstChild is not None and mi.firstChild.data == "𝔼":
                mi.firstChild.data = "Var"
                mi.setAttribute("mathvariant", "normal")
                return node
        doc = printer.dom
        row = doc.createElement("mrow")
        head = doc.createElement("mi")
        head.setAttribute("mathvariant", "normal")
        head.appendChild(doc.createTextNode("Var"))
        row.appendChild(head)
        row.appendChild(node)
        return row


class Probability(sp.Expr):
    """The probability written ``\\Pr(x \\le u)`` (``\\mathbb{P}``, ``P``): E[1{event}] over
    the density of its variable (``args[0]``), the value checked, shown as the author wrote
    it, P(event) (the event, a relation, ``args[1]``)."""

    is_commutative = True

    def _elbo_checked(self) -> sp.Expr:
        return self.args[0]

    def _event(self, printer: Any) -> str:
        event = self.args[1]
        sign = {"<=": "≤", ">=": "≥", "!=": "≠", "==": "="}.get(event.rel_op, event.rel_op)
        return f"{printer._print(event.lhs)} {sign} {printer._print(event.rhs)}"

    def _elbo_unicode(self, printer: Any) -> str:
        return f"P({self._event(printer)})"

    def _elbo_latex(self, printer: Any, exp: str | None = None) -> str:
        return _raised(rf"\Pr\left({printer._print(self.args[1])}\right)", exp)

    def _elbo_mathml(self, printer: Any) -> Any:
        doc = printer.dom
        row = doc.createElement("mrow")
        head = doc.createElement("mi")
        head.setAttribute("mathvariant", "normal")
        head.appendChild(doc.createTextNode("P"))
        row.appendChild(head)
        for text, node in (("(", None), (None, printer._print(self.args[1])), (")", None)):
            if node is None:
                mo = doc.createElement("mo")
                mo.appendChild(doc.createTextNode(text))
                node = mo
            row.appendChild(node)
        return row


def written_probability(value: sp.Expr, event: sp.Basic) -> sp.Expr:
    """E[1{event}], ``value``, written P(event): in a display form a :class:`Probability`,
    shown as written; otherwise the value itself.

    >>> x, u = sp.symbols("x u", real=True)
    >>> written_probability(sp.Symbol("v"), x <= u)
    v
    """
    if displaying() and isinstance(event, sp.core.relational.Relational):
        return Probability(value, event)
    return value


def written_variance(value: sp.Expr, mean: sp.Expr) -> sp.Expr:
    """E[(f − E f)²], ``value``, written Var[f]: in a display form a :class:`Variance`, shown
    as the expectation ``mean`` (E[f]) with Var for E; otherwise the value itself.

    >>> z = sp.Symbol("z", real=True)
    >>> written_variance(sp.Symbol("v"), z)
    v
    """
    from elbo_derivation.core.expectation import Expectation

    if displaying() and isinstance(mean, Expectation):  # (E[f] kept as an expectation)
        return Variance(value, mean)
    return value


def written_joint(nested: sp.Expr, joint: sp.Expr) -> sp.Expr:
    """The nested expectations ``nested`` over the joint density ``joint``; in a display
    form, a :class:`JointExpectation` that is shown as the one expectation written."""
    if displaying():
        return JointExpectation(nested, joint)
    return nested


#: a function shown by a Greek letter (σ(a), the logistic sigmoid) and its LaTeX
_GREEK_LATEX = {"σ": r"\sigma", "Φ": r"\Phi", "φ": r"\phi"}


class WrittenFunction(sp.Expr):
    """A function the author wrote by its name, ``\\operatorname{sigmoid}(t)``: checked as
    its definition, ``args[0]`` (1/(1 + e^(−t)), built as the reader builds it), shown by
    the name, ``args[1]`` (a :class:`sympy.core.symbol.Str`, no symbol), applied to
    ``args[2:]``.

    Its value, derivative and numeric evaluation are those of the definition; a printer
    writes ``sigmoid(t)``, ``\\operatorname{sigmoid}\\left(t\\right)``, ``<mi>sigmoid</mi>``.

    >>> t = sp.Symbol("t", real=True)
    >>> with sp.evaluate(False):
    ...     s = written_function("sigmoid", lambda u: 1 / (1 + sp.exp(-u)), t)
    >>> s.name, s.arguments, checked(s)
    ('sigmoid', (t,), 1/(1 + exp(-t)))
    >>> s.free_symbols == {t}, float(s.subs(t, 0))
    (True, 0.5)
    """

    is_commutative = True

    @property
    def name(self) -> str:
        return str(self.args[1])

    @property
    def arguments(self) -> tuple[sp.Basic, ...]:
        return tuple(self.args[2:])

    @property
    def free_symbols(self) -> set[sp.Basic]:
        return set().union(*(a.free_symbols for a in self.arguments))

    def _elbo_checked(self) -> sp.Expr:
        return self.args[0]

    def _eval_evalf(self, prec: int) -> Any:
        return checked(self)._eval_evalf(prec)

    def _eval_derivative(self, s: sp.Symbol) -> sp.Expr:
        return sp.diff(checked(self), s)

    def _eval_is_real(self) -> bool | None:
        return checked(self).is_real

    def _eval_is_positive(self) -> bool | None:
        return checked(self).is_positive

    def _elbo_unicode(self, printer: Any) -> str:
        return f"{self.name}({', '.join(printer._print(a) for a in self.arguments)})"

    _sympystr = _elbo_unicode  # str(): sigmoid(t), never the class

    def _elbo_latex(self, printer: Any, exp: str | None = None) -> str:
        inner = ", ".join(printer._print(a) for a in self.arguments)
        head = (_GREEK_LATEX[self.name] if self.name in _GREEK_LATEX
                else rf"\operatorname{{{self.name}}}")
        if exp is not None:
            head += f"^{{{exp}}}"
        return rf"{head}\left({inner}\right)"

    def _elbo_mathml(self, printer: Any) -> Any:
        doc = printer.dom
        row = doc.createElement("mrow")
        mi = doc.createElement("mi")
        mi.setAttribute("mathvariant", "normal")
        mi.appendChild(doc.createTextNode(self.name))
        row.appendChild(mi)
        apply = doc.createElement("mo")
        apply.appendChild(doc.createTextNode("\u2061"))
        row.appendChild(apply)
        row.appendChild(self._mathml_arguments(printer))
        return row

    def _mathml_arguments(self, printer: Any) -> Any:
        """The arguments in brackets, comma-separated, as MathML."""
        doc = printer.dom
        inner = doc.createElement("mrow")
        for i, a in enumerate(self.arguments):
            if i:
                comma = doc.createElement("mo")
                comma.appendChild(doc.createTextNode(","))
                inner.appendChild(comma)
            inner.appendChild(printer._print(a))
        fenced = doc.createElement("mrow")
        for text, node in (("(", None), (None, inner), (")", None)):
            if node is not None:
                fenced.appendChild(node)
                continue
            mo = doc.createElement("mo")
            mo.appendChild(doc.createTextNode(text))
            fenced.appendChild(mo)
        return fenced


class WrittenGaussian(WrittenFunction):
    """A Gaussian density written ``\\mathcal{N}(x; \\mu, \\sigma^2)``: checked as its
    formula, shown as written (``N(x; μ, σ²)``, ``\\mathcal{N}(x; \\mu, \\sigma^{2})``,
    a script 𝒩), never as the exponential the reader built.

    >>> x, s = sp.Symbol("x", real=True), sp.Symbol("s", positive=True)
    >>> with sp.evaluate(False):
    ...     g = written_gaussian(lambda a, m, v: sp.exp(-(a - m)**2/(2*v)), x, 0, s**2)
    >>> from sympy.printing.str import StrPrinter
    >>> g._elbo_unicode(StrPrinter()), sp.simplify(checked(g))
    ('N(x; 0, s**2)', exp(-x**2/(2*s**2)))
    """

    @property
    def drawn(self) -> bool:
        """Whether it was written as the family of a draw, ``x \\sim \\mathcal{N}(0, 1)``
        (shown without its variable)."""
        return self.name == "N~"

    def _inside(self, printed: list[str]) -> str:
        x, *rest = printed
        return ", ".join(rest) if self.drawn else f"{x}; {', '.join(rest)}"

    def _elbo_unicode(self, printer: Any) -> str:
        return f"N({self._inside([printer._print(a) for a in self.arguments])})"

    _sympystr = _elbo_unicode

    def _elbo_latex(self, printer: Any, exp: str | None = None) -> str:
        text = rf"\mathcal{{N}}({self._inside([printer._print(a) for a in self.arguments])})"
        return _raised(text, exp)

    def _elbo_mathml(self, printer: Any) -> Any:
        doc = printer.dom

        def mo(text: str) -> Any:
            node = doc.createElement("mo")
            node.appendChild(doc.createTextNode(text))
            return node

        row = doc.createElement("mrow")
        mi = doc.createElement("mi")
        mi.setAttribute("mathvariant", "script")
        mi.appendChild(doc.createTextNode("N"))
        row.appendChild(mi)
        row.appendChild(mo("("))
        arguments = self.arguments[1:] if self.drawn else self.arguments
        for i, a in enumerate(arguments):
            if i:
                row.appendChild(mo(";" if i == 1 and not self.drawn else ","))
            row.appendChild(printer._print(a))
        row.appendChild(mo(")"))
        return row


def written_gaussian(definition: Any, x: sp.Expr, mean: sp.Expr, variance: sp.Expr, *,
                     drawn: bool = False) -> sp.Expr:
    """The Gaussian density ``definition(x, mean, variance)``; in a display form, a
    :class:`WrittenGaussian` shown ``N(x; mean, variance)`` as written (with ``drawn``, the
    family of a draw ``x ~ N(mean, variance)``: ``N(mean, variance)``)."""
    value = definition(x, mean, variance)
    if displaying() and value is not None:
        return WrittenGaussian(value, Str("N~" if drawn else "N"), x, mean, variance)
    return value


def written_function(name: str, definition: Any, *arguments: sp.Expr) -> sp.Expr:
    """``definition(*arguments)``, the value of the function ``name``; in a display form, a
    :class:`WrittenFunction` that is shown ``name(arguments)`` as written."""
    if displaying():
        value = definition(*arguments)
        return WrittenFunction(value, Str(name), *arguments)
    return definition(*arguments)


class WrittenPrime(WrittenFunction):
    """A derivative written with primes, ``f'(t)`` or ``f''(\\mu + \\sigma\\epsilon)``:
    checked as the derivative of the declared function at that point (``args[0]``), shown as
    written: the function's name (``args[1]``, printed as a symbol: φ for ``phi``), its
    primes (``args[2]``, how many) and its argument.

    >>> t = sp.Symbol("t", real=True)
    >>> f = sp.Function("f", real=True)
    >>> with sp.evaluate(False):
    ...     shown = written_prime(sp.Derivative(f(t), t), "f", 2, t)
    >>> from elbo_derivation.report.pretty import pretty
    >>> pretty(shown), checked(shown)
    ('f′′(t)', Derivative(f(t), t))
    """

    @property
    def order(self) -> int:
        return int(self.args[2])

    @property
    def arguments(self) -> tuple[sp.Basic, ...]:
        return tuple(self.args[3:])

    def _stem(self, printer: Any) -> str:
        return printer._print(sp.Symbol(self.name))

    def _elbo_unicode(self, printer: Any) -> str:
        inner = ", ".join(printer._print(a) for a in self.arguments)
        return f"{self._stem(printer)}{'′' * self.order}({inner})"

    _sympystr = _elbo_unicode

    def _elbo_latex(self, printer: Any, exp: str | None = None) -> str:
        inner = ", ".join(printer._print(a) for a in self.arguments)
        text = rf"{self._stem(printer)}{chr(39) * self.order}\left({inner}\right)"
        return _raised(text, exp)

    def _elbo_mathml(self, printer: Any) -> Any:
        doc = printer.dom
        row = doc.createElement("mrow")
        row.appendChild(printer._print(sp.Symbol(self.name)))
        mark = doc.createElement("mo")
        mark.appendChild(doc.createTextNode("′" * self.order))
        row.appendChild(mark)
        row.appendChild(self._mathml_arguments(printer))
        return row


def written_prime(value: sp.Expr, name: str, order: int, *arguments: sp.Expr) -> sp.Expr:
    """The derivative ``value`` written with ``order`` primes after ``name``; in a display
    form a :class:`WrittenPrime`, shown ``f′(t)`` as written; otherwise ``value`` itself."""
    if displaying():
        return WrittenPrime(value, Str(name), sp.Integer(order), *arguments)
    return value


class WrittenDerivative(sp.Derivative):
    """A derivative written ``\\frac{\\partial}{\\partial x}`` or ``\\frac{d}{dx}``: its
    symbol, ``∂`` or ``d`` (:attr:`symbol`), as the author wrote it; the printers read it."""

    symbol = "d"

    def _elbo_checked(self) -> sp.Expr:
        return sp.Derivative(checked(self.expr), *self.variable_count, evaluate=False)


class WrittenPartial(WrittenDerivative):
    """A derivative written with ∂."""

    symbol = "∂"


class WrittenSquareDerivative(WrittenDerivative):
    """A derivative with respect to the square of a positive symbol, ``\\frac{\\partial}
    {\\partial \\sigma^2}`` (the variance as the parameter: Bishop 2006, eq. (1.56); Rice
    2007, sec. 8.5): kept as the derivative in σ, checked as (1/(2σ))·d/dσ (the chain rule
    through σ = √(σ²)), and shown with σ² below the bar, as written.

    >>> s = sp.Symbol("s", positive=True)
    >>> with sp.evaluate(False):
    ...     shown = WrittenSquareDerivative(sp.log(s**2), (s, 1), evaluate=False)
    >>> sp.simplify(checked(shown).doit())
    s**(-2)
    """

    def _elbo_checked(self) -> sp.Expr:
        var = self.variable_count[0][0]
        return sp.Derivative(checked(self.expr), var, evaluate=False) / (2 * var)

    def _plain(self) -> WrittenDerivative:
        cls = WrittenPartial if self.symbol == "∂" else WrittenDerivative
        return cls(self.expr, *self.variable_count, evaluate=False)

    def _elbo_unicode(self, printer: Any) -> str:
        var, d = self.variable_count[0][0], self.symbol
        text = printer._print(self._plain())
        return text.replace(f"/{d}{printer._print(var)}", f"/{d}{printer._print(var**2)}", 1)

    def _elbo_latex(self, printer: Any) -> str:
        var = self.variable_count[0][0]
        text = printer._print(self._plain())
        one, two = printer._print(var), printer._print(var**2)
        return text.replace(f" {one}}}", f" {two}}}", 1)

    def _elbo_mathml(self, printer: Any) -> Any:
        node = printer._print(self._plain())
        fracs = node.getElementsByTagName("mfrac") if node.tagName != "mfrac" else [node]
        if fracs:
            below = fracs[0].childNodes[1]
            last = below.lastChild
            below.replaceChild(printer._print(self.variable_count[0][0] ** 2), last)
        return node


class WrittenSquarePartial(WrittenSquareDerivative):
    """A derivative in the square of a symbol written with ∂."""

    symbol = "∂"


def written_square_derivative(expr: sp.Expr, var: sp.Symbol, partial: bool) -> sp.Expr:
    """The derivative of ``expr`` with respect to ``var``² (``var`` positive):
    (1/(2·var))·d/d(var); in a display form, a :class:`WrittenSquareDerivative` shown as
    written.

    >>> s, x = sp.symbols("s x", positive=True)
    >>> sp.simplify(written_square_derivative(x / s**2, s, True).doit())
    -x/s**4
    """
    if displaying():
        cls = WrittenSquarePartial if partial else WrittenSquareDerivative
        return cls(expr, (var, 1), evaluate=False)
    return sp.Derivative(expr, var) / (2 * var)


def written_derivative(expr: sp.Expr, variables: Any, partial: bool) -> sp.Expr:
    """``Derivative(expr, *variables)``; in a display form, with the symbol written (∂ when
    ``partial``).

    >>> x, y = sp.symbols("x y", real=True)
    >>> with sp.evaluate(False):
    ...     shown = written_derivative(x * y, [(x, 1)], partial=False)
    >>> shown.symbol, checked(shown) == sp.Derivative(x * y, x)
    ('d', True)
    """
    if displaying():
        cls = WrittenPartial if partial else WrittenDerivative
        return cls(expr, *variables, evaluate=False)
    return sp.Derivative(expr, *variables)


class _NotByKeyword(Exception):
    """A node on the way to a replaced part that is rebuilt only under the global switch."""


def xreplace_as_written(expr: sp.Basic, rule: dict[Any, Any]) -> sp.Basic:
    """``expr.xreplace(rule)`` with the rebuilt nodes left as written: the same expression as
    ``with sympy.evaluate(False): expr.xreplace(rule)``, built without the global switch.

    SymPy empties all of its caches each time its global evaluation flag changes (a cached
    result built under one setting must not serve the other), and a report that repairs a
    step as written tries hundreds of edits, each of which would otherwise empty the caches
    that the checks and the naming of mistakes rely on. Here each node on the way to a
    replaced part is rebuilt with ``evaluate=False`` as a keyword (SymPy keeps keyword and
    global results apart in its caches), for the classes whose constructors read the
    keyword exactly as they read the switch: sums, products, powers, ``exp`` and ``log``.
    Any other node on the way (an integral, a notation of this package, ...), or any node
    with a replacement of its own, has the whole expression rebuilt the old way, under the
    switch.

    >>> x = sp.Symbol("x", positive=True)
    >>> with sp.evaluate(False):
    ...     e = sp.Add(sp.Mul(2, sp.log(x)), sp.Pow(x, 2))
    >>> new = xreplace_as_written(e, {sp.Integer(2): sp.Integer(4)})
    >>> new
    x**4 + 4*log(x)
    >>> with sp.evaluate(False):
    ...     old = e.xreplace({sp.Integer(2): sp.Integer(4)})
    >>> sp.srepr(new) == sp.srepr(old)
    True
    """

    def walk(e: Any) -> tuple[Any, bool]:
        if e in rule:
            return rule[e], True
        if not isinstance(e, sp.Basic) or not e.args:
            return e, False
        if type(e)._xreplace is not _BASIC_XREPLACE:
            raise _NotByKeyword  # (a derivative, say, replaces in its own way)
        args, changed = [], False
        for a in e.args:
            new, ch = walk(a) if isinstance(a, sp.Basic) else (a, False)
            args.append(new)
            changed |= ch
        if not changed:
            return e, False
        if e.func not in _BY_KEYWORD:
            raise _NotByKeyword
        return e.func(*args, evaluate=False), True

    if not rule:
        return expr
    try:
        return walk(expr)[0]
    except _NotByKeyword:
        with sp.evaluate(False):
            return expr.xreplace(rule)


#: the classes whose constructors take ``evaluate=False`` as the global switch would give it
_BY_KEYWORD = frozenset({sp.Add, sp.Mul, sp.Pow, sp.exp, sp.log})
_BASIC_XREPLACE = sp.Basic._xreplace
