"""Reading ``.deriv`` files: a line format and a lark grammar, never ``eval``.

A ``.deriv`` file is UTF-8 text, one item per line::

    title: KL divergence between two univariate Gaussians
    source: notes §3
    symbols: x, mu1, mu2 : real
    symbols: sigma1, sigma2 : positive
    let: p1 = exp(-(x - mu1)^2 / (2*sigma1^2)) / sqrt(2*pi*sigma1^2)

        Integral(p1*log(p1), (x, -oo, oo))
      = Integral(p1*(-log(sqrt(2*pi*sigma1^2)) - (x - mu1)^2/(2*sigma1^2)), (x, -oo, oo))
        # ↑ one step: the relation, the new expression, and (after #) its justification

Header lines
    ``title:`` and ``source:`` take the rest of the line as text. ``symbols: a, b : real``
    declares symbols with an assumption (``real``, ``positive``, ``nonnegative``,
    ``negative`` or ``nonzero``); every name used must be declared. ``let: name = expr`` names
    an expression: it is kept for display and substituted for checking. ``densities: q(z|x),
    p(z)`` declares abstract positive densities, used in expressions by the same signature.
    ``functions: f(z) : real`` declares abstract functions with an assumption (a decoder mean
    f(z), say), used as ``f(z)``; each is ``sympy.Function(name, real=True)(z)``.
    ``goal: expr`` states what the derivation should arrive at (kept, as written, with its
    line and column, in ``metadata["goal"]``).
Parts
    A file may hold several derivations, each checked and reported on its own (see
    :attr:`~elbo_derivation.core.steps.Derivation.parts`): ``part: (b) label`` starts a new
    part, and so does a new starting expression after at least one step and a blank line.
    A starting expression right under a step, without a blank line, is an error (most often
    a step whose relation was forgotten). Declarations carry over to later parts.
Expression lines
    The first one is the starting expression. Each later one begins with its relation: ``=``,
    ``<=`` (or ``≤``), ``>=`` (or ``≥``), or ``=~ [g, h]`` (also ``≃ [g, h]``): equal up to a
    term that does not depend on g and h. ``#`` starts a comment; on a step line it is the
    step's justification.
Expressions
    numbers (exact: ``0.5`` is 1/2), declared names, ``+ - * /``, ``^`` or ``**``, parentheses,
    ``log exp sqrt abs``, ``pi``, ``oo``, ``Integral(f, (x, a, b))``, ``E[f, z ~ q(z|x)]``
    for an expectation, ``KL(q, p)`` for the Kullback-Leibler divergence E_q[log(q/p)] (an
    :class:`~elbo_derivation.core.expectation.KL`; the variable is the one q is a density of,
    z for q(z|x), or is named: ``KL(p1, p2, x)``), and ``$...$`` for an expression in LaTeX.
    The unicode ``−``, ``·``, ``×``, ``π`` and ``∞`` are read as ``-``, ``*``, ``*``, ``pi``
    and ``oo``. Also: ``diff(f, x)``, ``diff(f, x, 2)``, ``diff(f, x, y)`` and
    ``Derivative(...)`` (an unevaluated derivative), ``f'(z)`` for a declared function;
    ``Sum(f, (k, a, b))`` and ``Product(f, (k, a, b))`` over an index declared integer;
    ``factorial``, ``binomial(n, k)``, ``gamma``; ``Var[f, z ~ q(z|x)]``; ``mu[j]`` for an
    entry of a vector; a declared density at another point (``q(h1|x)`` for the declared
    ``q(h|x)``); ``n!``; a matrix written out, ``[a, b; c, d]`` (rows ended by ``;``), with
    ``tr det inv transpose diag logdet``. ``Integral(f, x)`` without limits is refused (an
    antiderivative or the whole line? write the limits).
Declarations
    ``symbols:``, ``densities:``, ``functions:`` and ``let:`` are read by
    :class:`~elbo_derivation.read.declarations.Declarations` (the same builder as the
    ``.tex`` reader and ``check_steps``): assumptions may combine (``positive integer``),
    a symbol may be declared in an interval (``y : (0, 1)``, ``0 < y < 1``) or as a vector
    (``mu : vector(D) real``), and a density in a family (``q(z|x) = N(m, s^2)``).

Nothing in a file can run code: expressions go through a grammar whose only actions build
SymPy objects from a fixed vocabulary. Anything the grammar cannot read is reported as
``FILE:LINE:COLUMN: what was expected``. Limits guard against hostile files: at most
:data:`MAX_BYTES` bytes, :data:`MAX_STEPS` steps, nesting :data:`MAX_DEPTH` deep, numbers of
:data:`MAX_NUMBER_DIGITS` digits.

Examples
--------
>>> d = parse_derivation('''
... symbols: a, b : positive
... log(a*b)
... = log(a) + log(b)   # the log of a product
... ''')
>>> d.start, d.steps[0].expr, d.steps[0].justification
(log(a*b), log(a) + log(b), 'the log of a product')
>>> parse_derivation("symbols: a : real\\na +* 2\\n= a", file="bad.deriv")
Traceback (most recent call last):
...
elbo_derivation.errors.DerivationSyntaxError: bad.deriv:2:4: unexpected '*'; expected an expression
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from fractions import Fraction
from pathlib import Path
from typing import Any

import sympy as sp
from lark import Token, Transformer_NonRecursive, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from sympy.core.parameters import global_parameters

from elbo_derivation.core import matrices
from elbo_derivation.core.factorised import chain_joint, model_density
from elbo_derivation.core.steps import Derivation, Relation, Step
from elbo_derivation.core.written import written_log, written_power, written_prime
from elbo_derivation.errors import DerivationSyntaxError
from elbo_derivation.read.declarations import (
    ASSUMPTIONS,
    DRAWN_COPIES,
    FAMILY_TABLE,
    NAMED_FUNCTIONS,
    RESERVED,
    Declarations,
    alias_dependence,
    bound_to_definitions,
    constant_in_index,
    density_variable,
    derivative_at,
    expectation_over,
    family_key,
    function_at,
    is_copy_of,
    kl_over,
    sequence_at,
    variance_of,
    written_density,
)
from elbo_derivation.read.header import (
    apply_header,
    header_line,
    misspelt_header,
    misspelt_header_message,
)
from elbo_derivation.read.limits import (
    MAX_BYTES,
    MAX_DEPTH,
    MAX_LINE,
    MAX_NUMBER_DIGITS,
    MAX_STEPS,
    read_text,
)
from elbo_derivation.read.parsers import lalr_parser

__all__ = [
    "ASSUMPTIONS",
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_NUMBER_DIGITS",
    "MAX_STEPS",
    "parse_derivation",
    "parse_expression",
    "read_derivation",
    "read_text",
]

#: Highest order of a derivative that is read.
MAX_DERIVATIVE_ORDER = 10

_FUNCTIONS: dict[str, Callable[[sp.Expr], sp.Expr]] = {
    "log": sp.log,
    "ln": lambda arg: written_log(arg, "ln"),  # shown ln, as written
    "exp": sp.exp,
    "sqrt": sp.sqrt,
    "tanh": sp.tanh,
    "sinh": sp.sinh,
    "cosh": sp.cosh,
    "coth": sp.coth,
    "atan": sp.atan,
    "arctan": sp.atan,
    "sin": sp.sin,
    "cos": sp.cos,
    "tan": sp.tan,
    "abs": sp.Abs,
    "Abs": sp.Abs,
    "factorial": sp.factorial,
    "gamma": sp.gamma,
    "digamma": sp.digamma,
    "floor": sp.floor,
    "ceiling": sp.ceiling,
    **NAMED_FUNCTIONS,
}

#: Functions whose names may also be declared as symbols (γ is a common parameter): a
#: declared symbol wins, and then the call is refused.
_SOFT_FUNCTIONS = frozenset({"gamma", "digamma", "factorial", "binomial", "sinh", "cosh", "coth",
                             "floor", "ceiling",
                             "atan", "arctan", "sin", "cos", "tan",
                             *NAMED_FUNCTIONS})

_GRAMMAR = r"""
?start: sum

?sum: product
    | sum "+" product          -> add
    | sum "-" product          -> sub

?product: signed
    | product "*" signed       -> mul
    | product "/" signed       -> div

?signed: power
    | "-" signed               -> neg
    | "+" signed

?power: atom
    | atom POW signed          -> pow
    | atom "!"                 -> factorial_postfix

?atom: NUMBER                  -> number
    | NAME                     -> name
    | NAME "(" args ")"        -> call
    | NAME "(" sum ROWEND sum ("," sum)* ")"   -> density_at
    | BAR sum BAR              -> absolute
    | NAME PRIME "(" args ")"  -> primed
    | NAME "[" sum "]"         -> entry
    | "(" sum ")"              -> group
    | "Integral" "(" sum "," "(" NAME "," sum "," sum ")" ")"   -> integral
    | "Integral" "(" sum "," NAME ")"                           -> integral_whole
    | BIGOP "(" sum "," "(" NAME "," sum "," sum ")" ")"        -> bigop
    | BIGOP "(" sum "," NAME ")"                                -> bigop_declared
    | "E" "[" sum "," NAME "~" sum "]"                          -> expectation
    | "E" "[" sum "," NAME "~" NORMAL "(" args ")" "]"         -> expectation_normal
    | "Var" "[" sum "," NAME "~" sum "]"                        -> variance
    | LATEX                    -> latex
    | "[" sum ("," sum)* (ROWEND sum ("," sum)*)* "]"          -> matrix

args: sum ("," sum)* (BAR sum ("," sum)*)?

POW: "^" | "**"
BIGOP.2: /(Sum|Product)(?=\s*\()/
NORMAL.2: /(N|Normal|Gaussian)(?=\s*\()/
BAR: "|"
ROWEND: ";"
PRIME: /'+/
LATEX: /\$[^$]*\$/
NAME: /[^\W\d]\w*/
NUMBER: /(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/

%ignore /[ \t\f\v]+/
"""

_PARSER = lalr_parser("deriv", _GRAMMAR, maybe_placeholders=False)  # tokens carry columns

_READABLE_TERMINALS = {
    "NUMBER": "a number",
    "NAME": "a name",
    "LATEX": "a $...$ LaTeX expression",
    "LPAR": "'('",
    "RPAR": "')'",
    "LSQB": "'['",
    "RSQB": "']'",
    "COMMA": "','",
    "PLUS": "'+'",
    "MINUS": "'-'",
    "STAR": "'*'",
    "SLASH": "'/'",
    "POW": "'^'",
    "TILDE": "'~'",
    "BAR": "'|'",
    "PRIME": "a prime (')",
    "BIGOP": "Sum or Product",
    "NORMAL": "N(...)",
    "INTEGRAL": "'Integral'",
    "E": "'E'",
    "VAR": "'Var'",
    "$END": "the end of the line",
}
_EXPRESSION_STARTS = {"NUMBER", "NAME", "LPAR", "MINUS", "PLUS", "INTEGRAL", "E", "LATEX",
                      "BIGOP", "VAR", "LSQB", "BAR", "NORMAL"}

_UNICODE = str.maketrans({"−": "-", "·": "*", "×": "*", "π": "pi", "∞": "oo", "\u00a0": " "})
_RELATION = re.compile(r"\s*(=~|≃|<=|>=|≤|≥|=)")
_NAME = re.compile(r"[^\W\d]\w*$")
_SIGNATURE = re.compile(r"\s*([^\W\d]\w*)\s*\(([^()]*)\)\s*$")


#: a draw from a named family inside an expectation, ``lam ~ Gamma(``: its variable and family
_FAMILY_DRAW = re.compile(r"(?<![\w.])([A-Za-z]\w*)\s*~\s*([A-Za-z][A-Za-z]*)\s*\(")


class _Context:
    """What an expression may refer to, and where it sits in the file (for errors)."""

    def __init__(
        self,
        symbols: Mapping[str, sp.Symbol],
        functions: Mapping[str, sp.Expr],
        file: str | None,
        line: int | None,
        column_offset: int,
        indexed: Mapping[str, sp.IndexedBase] | None = None,
        ranges: Mapping[str, sp.Interval] | None = None,
    ) -> None:
        self.symbols = symbols
        self.functions = functions
        self.indexed = indexed or {}
        self.ranges = ranges or {}
        self.file = file
        self.line = line
        self.offset = column_offset

    def error(self, message: str, column: int | None) -> DerivationSyntaxError:
        col = None if column is None else column + self.offset
        return DerivationSyntaxError(message, file=self.file, line=self.line, column=col)


def _check_number_size(value: sp.Expr, ctx: _Context, column: int | None) -> None:
    if value.is_Rational:
        p, q = value.p, value.q  # type: ignore[attr-defined]
        if max(len(str(abs(p))), len(str(q))) > MAX_NUMBER_DIGITS:
            raise ctx.error(f"number too large: more than {MAX_NUMBER_DIGITS} digits", column)


def _digits(base: sp.Rational) -> float:
    """About how many decimal digits the numerator or denominator of ``base`` has."""
    return max(math.log10(abs(int(base.p)) + 1), math.log10(int(base.q) + 1))


class _Sum(list):  # type: ignore[type-arg]
    """Terms of a sum being read; becomes one SymPy ``Add`` when complete."""

    @classmethod
    def of(cls, value: Any) -> _Sum:
        return value if isinstance(value, _Sum) else cls([_done(value)])

    def plus(self, term: sp.Expr) -> _Sum:
        self.append(term)
        return self


class _Product(list):  # type: ignore[type-arg]
    """Factors of a product being read; becomes one SymPy ``Mul`` when complete."""

    @classmethod
    def of(cls, value: Any) -> _Product:
        return value if isinstance(value, _Product) else cls([_done(value)])

    def times(self, factor: sp.Expr) -> _Product:
        self.append(factor)
        return self


def _done(value: Any) -> Any:
    """A finished SymPy expression from a chain being read (other values pass through)."""
    if isinstance(value, _Sum):
        if any(matrices.is_matrix(t) for t in value):
            return matrices.add(value)
        return sp.Add(*value)
    if isinstance(value, _Product):
        # a written 1/x is read as 1 · x⁻¹: the 1 is dropped, so that the unevaluated
        # display form prints as 1/x rather than 1·(1/x)
        factors = [f for f in value if f is not sp.S.One] or [sp.S.One]
        if any(matrices.is_matrix(f) for f in factors):
            return matrices.product(factors)
        return sp.Mul(*factors)
    return value


class _Builder(Transformer_NonRecursive):
    """Turns the parse tree into SymPy, with a fixed vocabulary (no name lookup in Python)."""

    def __init__(self, ctx: _Context) -> None:
        super().__init__()
        self.ctx = ctx

    # atoms -----------------------------------------------------------------------------
    def number(self, children: list[Token]) -> sp.Expr:
        tok = children[0]
        text = str(tok)
        mantissa, _, exponent = text.lower().partition("e")
        if len(mantissa) > MAX_NUMBER_DIGITS or (exponent and abs(int(exponent)) > 10_000):
            raise self.ctx.error(f"number too large: {text[:20]}...", tok.column)
        value = sp.Rational(Fraction(text).numerator, Fraction(text).denominator)
        _check_number_size(value, self.ctx, tok.column)
        return value

    def name(self, children: list[Token]) -> sp.Expr:
        tok = children[0]
        text = str(tok)
        if text == "pi":  # the constant, unless declared a symbol (a proportion π)
            return self.ctx.symbols.get("pi", sp.pi)
        if text == "oo":
            return sp.oo
        if text in self.ctx.symbols:
            return self.ctx.symbols[text]
        if text in _FUNCTIONS:
            raise self.ctx.error(f"'{text}' is a function: write {text}(...)", tok.column)
        if text == "d" or (text[0] == "d" and text[1:] in self.ctx.symbols):
            # never suggest declaring it: d/dh*f would then be read as a fraction
            raise self.ctx.error(
                f"'{text}' is not declared: a derivative is written diff(f, x) (or "
                "Derivative(f, x), or in LaTeX $\\frac{d}{dx} f$), not as a fraction",
                tok.column)
        if text == "e":  # Euler's number, as LaTeX reads a lone e
            raise self.ctx.error(
                "'e' is not declared: Euler's number is written E, and e^x as exp(x); a "
                "symbol named e is declared 'symbols: e : real'", tok.column)
        raise self.ctx.error(
            f"undeclared symbol '{text}': declare it first, e.g. 'symbols: {text} : real'",
            tok.column,
        )

    def call(self, children: list[Any]) -> sp.Expr:
        tok, args = children[0], children[1]
        name = str(tok)
        given, cond = args
        if name == "KL":
            return self.kl(tok, given, cond)
        if name in ("diff", "Derivative"):
            return self.derivative(tok, given, cond)
        if name in self.ctx.symbols and name in _SOFT_FUNCTIONS:
            raise self.ctx.error(
                f"'{name}' is a declared symbol here, so '{name}(...)' is not the function "
                f"{name}: multiplication is written with '*' ('{name}*(...)')", tok.column)
        if name == "binomial":
            if cond is not None or len(given) != 2:
                raise self.ctx.error("binomial(n, k) takes exactly two arguments", tok.column)
            return sp.binomial(*given)
        if name in matrices.MATRIX_FUNCTIONS and name not in self.ctx.symbols:
            if cond is not None or len(given) != 1:
                raise self.ctx.error(f"{name}(...) takes exactly one argument", tok.column)
            try:
                return matrices.MATRIX_FUNCTIONS[name](given[0])
            except matrices.MatrixReadError as err:
                raise self.ctx.error(str(err), tok.column) from None
        declared = _signature_of(name, given, cond)
        if name in _SOFT_FUNCTIONS and declared in self.ctx.functions:
            return self.ctx.functions[declared]  # a function of the author's, so named
        if name in _FUNCTIONS:
            if cond is not None or len(given) != 1:
                raise self.ctx.error(f"{name}(...) takes exactly one argument", tok.column)
            return _FUNCTIONS[name](given[0])
        signature = _signature_of(name, given, cond)
        if signature is not None and signature in self.ctx.functions:
            return self.ctx.functions[signature]
        # a joint, marginal or conditional of a family declared by its factors (p(x_1, z_2)
        # beside p(z_1), p(x_1|z_1), p(z_2|z_1)): a density of the model, read as such
        found = None if signature is None else model_density(
            self.ctx.functions, signature, [*given, *(cond or [])])
        if found is None and signature is not None:  # P(c, x) beside P(x) and P(c|x)
            found = chain_joint(self.ctx.functions, signature, [*given, *(cond or [])])
        if found is not None:
            return found
        known = sorted(s for s in self.ctx.functions if s.startswith(name + "("))
        # an indexed quantity at another index: m(j) for the declared m(d), d an integer
        entry = sequence_at(self.ctx.functions, [name], given) if cond is None else None
        if entry is not None:
            return entry
        # a declared density at another point: q(h1|x) is the declared q(h|x) at h = h1
        shape = (len(given), None if cond is None else len(cond))
        args = [*given, *(cond or [])]
        same = {self.ctx.functions[s].func for s in known
                if _shape(s) == shape
                and isinstance(self.ctx.functions[s], sp.core.function.AppliedUndef)
                and all(is_copy_of(a, b) for a, b in zip(args, self.ctx.functions[s].args,
                                                         strict=True))}
        if len(same) == 1:
            return same.pop()(*args)
        if cond is None:  # a declared function (not a density) at a point of its domain
            value = function_at(self.ctx.functions, [name], given)
            if value is not None:
                return value
        if known:
            wanted = signature or f"{name}(...)"
            raise self.ctx.error(
                f"'{wanted}' is not a declared density; declared: {', '.join(known)}",
                tok.column,
            )
        # N(mu, s^2) written inline: a family, never to be declared as a new density
        if any(name.lower() in f.spellings for f in FAMILY_TABLE.values()):
            raise self.ctx.error(
                f"'{name}(...)' is a family, not a density of this derivation: declare the "
                f"density with it, 'densities: p(x) = {name}(...)', and write p(x) (x ~ p(x) "
                "in an expectation)", tok.column)
        raise self.ctx.error(
            f"unknown function '{name}': expected one of log, exp, sqrt, abs, or a density "
            f"declared with 'densities: {name}(...)'",
            tok.column,
        )

    def absolute(self, children: list[Any]) -> sp.Expr:
        """``|x - m|``: the absolute value, as ``abs(x - m)``."""
        return sp.Abs(_done(children[1]))

    def density_at(self, children: list[Any]) -> sp.Expr:
        """``N(x; m, s^2)``: a family's density at a point, written out (the normal and the
        Laplace, the families on the whole line)."""
        tok = children[0]
        values = [_done(c) for c in children[1:] if not (
            isinstance(c, Token) and c.type == "ROWEND")]
        key = family_key(str(tok))
        usage = (f"'{tok}(x; ...)' is a density at a point: N(x; m, s^2) or Laplace(x; m, b) "
                 "are written out; for another family declare the density, e.g. "
                 f"'densities: p(x) = {tok}(...)', and write p(x)")
        if key is None or str(tok) in self.ctx.symbols:
            raise self.ctx.error(usage, tok.column)
        roles = FAMILY_TABLE[key].roles
        if roles is not None and len(values) - 1 != len(roles):
            raise self.ctx.error(f"{tok}(x; ...) takes {len(roles)} parameters after the "
                                 f"';' ({', '.join(roles)}), got {len(values) - 1}", tok.column)
        # refused when nonpositive by the declarations, or a lone symbol of unknown sign; an
        # expression such as 1 − r² whose sign the declared interval of r settles (Mardia,
        # Kent & Bibby's conditional variance) is taken as written, as the LaTeX reader does
        unknown = key in ("normal", "laplace") and len(values) > 2 and (
            values[2].is_nonpositive is None and not values[2].is_Symbol)
        if key in ("normal", "laplace") and not unknown and not (values[2].is_positive or (
                key == "normal" and values[2].is_nonnegative)):
            what = "variance" if key == "normal" else "scale"
            raise self.ctx.error(f"the {what} of {tok}(x; ...) must be positive: declare it "
                                 f"so (e.g. 'symbols: {values[2]} : positive')"
                                 if values[2].is_Symbol and values[2].is_nonpositive is None else
                                 f"the {what} of {tok}(x; ...) must be positive", tok.column)
        formula = written_density(key, values[0], values[1:])
        if formula is None:
            raise self.ctx.error(usage, tok.column)
        return formula

    def derivative(self, tok: Token, given: list[sp.Expr], cond: list[sp.Expr] | None,
                   ) -> sp.Expr:
        """``diff(f, x)``, ``diff(f, x, 2)``, ``diff(f, x, y)``: the derivative, unevaluated."""
        usage = (f"expected {tok}(f, x), {tok}(f, x, 2) for a second derivative, or "
                 f"{tok}(f, x, y) for a mixed one, with x and y declared symbols")
        if cond is not None or len(given) < 2:
            raise self.ctx.error(usage, tok.column)
        variables: list[tuple[sp.Symbol, int]] = []
        for arg in given[1:]:
            if isinstance(arg, sp.Symbol) and arg in self.ctx.symbols.values():
                variables.append((arg, 1))
            elif sequence_at(self.ctx.functions, [str(getattr(arg, "func", ""))],
                             list(getattr(arg, "args", ()))) == arg:
                variables.append((arg, 1))  # ∂/∂m_j: a coordinate of an indexed quantity
            elif arg.is_Integer and variables and variables[-1][1] == 1 and (
                    2 <= int(arg) <= MAX_DERIVATIVE_ORDER):
                variables[-1] = (variables[-1][0], int(arg))
            else:
                raise self.ctx.error(usage, tok.column)
        merged: dict[sp.Symbol, int] = {}
        for var, n in variables:
            merged[var] = merged.get(var, 0) + n
        if sum(merged.values()) > MAX_DERIVATIVE_ORDER:
            raise self.ctx.error(f"a derivative of order above {MAX_DERIVATIVE_ORDER}",
                                 tok.column)
        alias = alias_dependence(given[0], list(merged), self.ctx.functions)
        if alias is not None:
            raise self.ctx.error(_ALIAS_DERIVATIVE.format(alias=alias, stem=alias.split("(")[0]),
                                 tok.column)
        return sp.Derivative(given[0], *merged.items())

    def entry(self, children: list[Any]) -> sp.Expr:
        """``mu[j]``: an entry of a vector declared with ``symbols: mu : vector(D) real``."""
        tok, index = children[0], _done(children[1])
        base = self.ctx.indexed.get(str(tok))
        if base is None:
            raise self.ctx.error(f"'{tok}' is not a declared vector (declare it with "
                                 f"'symbols: {tok} : vector(D) real')", tok.column)
        if not index.is_integer:
            raise self.ctx.error(f"the index of {tok}[...] must be an integer (a number, or "
                                 "a symbol declared integer)", tok.column)
        return base[index]

    def primed(self, children: list[Any]) -> sp.Expr:
        """``f'(z)`` for a function declared with ``functions: f(z) : real``."""
        tok, primes, (given, cond) = children
        name, n = str(tok), len(str(primes))
        how = (f"write diff({name}(z), z), with {name} declared as a function of z "
               f"('functions: {name}(z) : real')")
        signature = _signature_of(name, given, cond)
        value = self.ctx.functions.get(signature) if signature is not None else None
        if value is None and cond is None:  # f'(m + s*e): f' at a point of f's domain
            value = function_at(self.ctx.functions, [name], given)
        if value is None or cond is not None or not (
                isinstance(value, sp.core.function.AppliedUndef) and value.func.is_real):
            raise self.ctx.error(f"'{name}{primes}' is not the derivative of a declared "
                                 f"function: {how}", tok.column)
        if len(value.args) != 1:
            raise self.ctx.error(f"'{name}{primes}' of a function of several variables is "
                                 f"ambiguous: write diff({signature}, x)", tok.column)
        if n > MAX_DERIVATIVE_ORDER:
            raise self.ctx.error("too many primes", tok.column)
        return written_prime(derivative_at(value, n, self.ctx.functions),
                             value.func.__name__, n, *value.args)

    def kl(self, tok: Token, given: list[sp.Expr], cond: list[sp.Expr] | None) -> sp.Expr:
        """``KL(q, p)`` or ``KL(q, p, z)``: E_{z ~ q}[log(q/p)], the variable named or inferred."""
        usage = (
            "expected KL(q, p) with q a declared density such as q(z|x), or KL(q, p, z) "
            "naming the variable"
        )
        if cond is not None or len(given) not in (2, 3):
            raise self.ctx.error(usage, tok.column)
        q, p = given[0], given[1]
        if len(given) == 3:
            var = given[2]
            if not isinstance(var, sp.Symbol) or var not in self.ctx.symbols.values():
                raise self.ctx.error(
                    f"the third argument of KL must be a declared symbol, got '{var}'", tok.column
                )
        else:
            var = _density_variable(q) or _variable_by_signature(q, self.ctx.functions,
                                                                  self.ctx.symbols)
        out = kl_over(q, p, var, self.ctx.functions)  # over all the variables of a joint q(x, y)
        if out is None:
            raise self.ctx.error(f"cannot tell the variable of KL from '{q}': " + usage,
                                 tok.column)
        return out

    def args(self, children: list[Any]) -> tuple[list[sp.Expr], list[sp.Expr] | None]:
        given: list[sp.Expr] = []
        cond: list[sp.Expr] | None = None
        for child in children:
            if isinstance(child, Token) and child.type == "BAR":
                cond = []
            elif cond is None:
                given.append(_done(child))
            else:
                cond.append(_done(child))
        return given, cond

    def integral_whole(self, children: list[Any]) -> sp.Expr:
        """``Integral(f, x)``: refused, not guessed (SymPy's antiderivative, or a textbook's
        integral over the whole line?)."""
        var_tok = children[1]
        raise self.ctx.error(
            f"Integral(f, {var_tok}) without limits is ambiguous (an antiderivative, or over "
            f"the whole line?): write Integral(f, ({var_tok}, -oo, oo)) or give its limits",
            var_tok.column)

    def factorial_postfix(self, children: list[Any]) -> sp.Expr:
        return sp.factorial(_done(children[0]))

    def integral(self, children: list[Any]) -> sp.Expr:
        integrand, var_tok, lower, upper = (_done(c) for c in children)
        var = self.ctx.symbols.get(str(var_tok))
        if var is None or str(var_tok) in RESERVED:
            raise self.ctx.error(
                f"integration variable '{var_tok}' must be a declared symbol", var_tok.column
            )
        return sp.Integral(integrand, (var, lower, upper))

    def bigop(self, children: list[Any]) -> sp.Expr:
        """``Sum(f, (k, a, b))`` and ``Product(f, (k, a, b))``, over a declared integer k."""
        kind_tok, body, var_tok, lower, upper = children
        body, lower, upper = _done(body), _done(lower), _done(upper)
        var = self.ctx.symbols.get(str(var_tok))
        if var is None or not var.is_integer:
            raise self.ctx.error(
                f"the index '{var_tok}' of {kind_tok} must be a symbol declared integer, "
                f"e.g. 'symbols: {var_tok} : integer'", var_tok.column)
        kind = sp.Sum if str(kind_tok) == "Sum" else sp.Product
        self.check_indexed(body, var, kind_tok)
        return kind(body, (var, lower, upper))

    def check_indexed(self, body: sp.Expr, index: sp.Symbol, kind_tok: Token) -> None:
        """Refuse x_i under Sum over i when x_i is a plain symbol (constant in i)."""
        fixed = constant_in_index(body, index)
        if fixed is not None:
            raise self.ctx.error(
                f"'{fixed}' is declared a symbol, so it does not change with the index {index} "
                f"of this {kind_tok}: declare the indexed quantity as a function of the index, "
                f"'functions: {str(fixed).split('_')[0]}({index}) : real', and write "
                f"{str(fixed).split('_')[0]}({index})", kind_tok.column)

    def bigop_declared(self, children: list[Any]) -> sp.Expr:
        """``Sum(f, i)``: over the range the index was declared with (``integer [1, N]``)."""
        kind_tok, body, var_tok = children
        var = self.ctx.symbols.get(str(var_tok))
        interval = self.ctx.ranges.get(str(var_tok))
        if (str(kind_tok) == "Sum" and var is not None and interval is None and var.is_real
                and not var.is_integer and density_variable(self.ctx.functions, var)):
            # Sum(q(z|x)*f(z), z) over the variable of a declared density that is no integer:
            # the sum over all its values (for a continuous variable, the integral)
            return sp.Integral(_done(body), (var, -sp.oo, sp.oo))
        if var is None or not var.is_integer or interval is None or (
                interval.left_open and interval.inf.is_finite) or (
                interval.right_open and interval.sup.is_finite):
            raise self.ctx.error(
                f"{kind_tok}(f, {var_tok}) needs the index declared with a closed range, e.g. "
                f"'symbols: {var_tok} : integer [1, N]', or the range written: "
                f"{kind_tok}(f, ({var_tok}, 1, N))", var_tok.column)
        kind = sp.Sum if str(kind_tok) == "Sum" else sp.Product
        self.check_indexed(_done(body), var, kind_tok)
        return kind(_done(body), (var, interval.inf, interval.sup))

    def expectation(self, children: list[Any]) -> sp.Expr:
        integrand, var_tok, density = (_done(c) for c in children)
        var = self.ctx.symbols.get(str(var_tok))
        if var is None:
            raise self.ctx.error(
                f"expectation variable '{var_tok}' must be a declared symbol", var_tok.column
            )
        # a draw from a joint density, x ~ p(x, y): over all its variables
        return expectation_over(integrand, var, density, declared=self.ctx.functions)

    def expectation_normal(self, children: list[Any]) -> sp.Expr:
        """``E[f, e ~ N(0, 1)]``: a draw from a normal family, its density written out (or a
        declared density of that name, when there is one)."""
        integrand, var_tok, family_tok, (given, cond) = children
        var = self.ctx.symbols.get(str(var_tok))
        if var is None:
            raise self.ctx.error(
                f"expectation variable '{var_tok}' must be a declared symbol", var_tok.column)
        signature = _signature_of(str(family_tok), given, cond)
        if signature is not None and signature in self.ctx.functions:
            return expectation_over(_done(integrand), var, self.ctx.functions[signature],
                                    declared=self.ctx.functions)
        if cond is not None or len(given) != 2:
            raise self.ctx.error(f"expected {family_tok}(mean, variance) after '~'",
                                 family_tok.column)
        if given[1].is_nonpositive:
            raise self.ctx.error(f"the variance of {family_tok}(mean, variance) must be "
                                 "positive", family_tok.column)
        return expectation_over(_done(integrand), var, written_density("normal", var, given))

    def variance(self, children: list[Any]) -> sp.Expr:
        """``Var[f, z ~ q(z|x)]``: E_q[(f − E_q[f])²], the definition."""
        self.expectation(children)  # (its checks)
        integrand, var_tok, density = (_done(c) for c in children)
        return variance_of(integrand, self.ctx.symbols[str(var_tok)], density,
                           declared=self.ctx.functions)

    def latex(self, children: list[Token]) -> sp.Expr:
        tok = children[0]
        try:
            from elbo_derivation.read.tex import latex_to_sympy
        except ImportError as err:  # pragma: no cover - the module ships with the package
            raise self.ctx.error(
                "LaTeX input is not available in this installation", tok.column
            ) from err
        return latex_to_sympy(
            str(tok)[1:-1],
            symbols=self.ctx.symbols,
            functions=self.ctx.functions,
            indexed=self.ctx.indexed,
            ranges=self.ctx.ranges,
            file=self.ctx.file,
            line=self.ctx.line,
            column=(tok.column or 1) + self.ctx.offset + 1,
        )

    # operators -------------------------------------------------------------------------
    # Chains such as a + b - c + ... are collected first and built in one go: adding terms
    # one at a time costs time quadratic in the length of the chain.
    def add(self, c: list[Any]) -> _Sum:
        return _Sum.of(c[0]).plus(_done(c[1]))

    def sub(self, c: list[Any]) -> _Sum:
        # -1·b rather than -b: the same when evaluated, and `g - 0` stays as written in the
        # unevaluated display form
        return _Sum.of(c[0]).plus(sp.Mul(sp.S.NegativeOne, _done(c[1])))

    def matrix(self, c: list[Any]) -> sp.Expr:
        """``[a, b; c, d]``: a matrix written out, rows ended by ``;`` (``[x; y]`` a column)."""
        rows: list[list[sp.Expr]] = [[]]
        for item in c:
            if isinstance(item, Token) and item.type == "ROWEND":
                rows.append([])
            else:
                rows[-1].append(_done(item))
        try:
            return matrices.explicit(rows)
        except matrices.MatrixReadError as err:
            first = next((t for t in c if isinstance(t, Token)), None)
            raise self.ctx.error(str(err), getattr(first, "column", None)) from None

    def group(self, c: list[Any]) -> Any:
        # a bracketed sum or product is finished here, so that a chain around it keeps it
        # whole: ((σ² + μ²) − 2μ² + μ²) shows its bracket in the unevaluated display form
        return _done(c[0])

    def mul(self, c: list[Any]) -> _Product:
        return _Product.of(c[0]).times(_done(c[1]))

    def div(self, c: list[Any]) -> _Product:
        return _Product.of(c[0]).times(sp.Pow(_done(c[1]), -1))

    def neg(self, c: list[Any]) -> sp.Expr:
        return -_done(c[0])

    def pow(self, c: list[Any]) -> sp.Expr:
        base, tok, exponent = _done(c[0]), c[1], _done(c[2])
        if base.is_Rational and exponent.is_Integer and base not in (0, 1, -1):
            if abs(int(exponent)) * _digits(base) >= MAX_NUMBER_DIGITS:
                raise self.ctx.error(
                    f"number too large: {base}^{exponent} has more than "
                    f"{MAX_NUMBER_DIGITS} digits",
                    tok.column,
                )
        if matrices.is_matrix(base):
            try:
                return matrices.power(base, exponent)
            except matrices.MatrixReadError as err:
                raise self.ctx.error(str(err), tok.column) from None
        return written_power(base, exponent)


def written_form(d: Derivation, text: str) -> sp.Expr | None:
    """An expression of ``d`` as written, for display: built without SymPy's automatic
    evaluation, so that ``sqrt(h)^2`` stays as written instead of becoming ``h``.

    Returns None when ``text`` cannot be read that way; the checked form of a step is always
    the evaluated one (:attr:`Step.expr`), this one is only shown.

    Examples
    --------
    >>> d = parse_derivation("symbols: h : positive\\nsqrt(h)^2\\n= h")
    >>> d.start, written_form(d, d.start_text)
    (h, (sqrt(h))**2)
    """
    try:
        with sp.evaluate(False):
            return _without_unit_factors(
                parse_expression(text, d.symbols, functions=d.functions,
                                 indexed=getattr(d.declarations, "indexed", None),
                                 ranges=getattr(d.declarations, "intervals", None))
            )
    except Exception:
        return None


def shown_expression(d: Derivation, step: Step | None = None) -> sp.Expr:
    """What to show a reader for ``step`` (or, with None, for the start): as written when
    that can be rebuilt, else the checked expression. Computed once, then kept."""
    if d.metadata.get("format") == "tex":  # the LaTeX reader built its display forms itself
        return d.start_shown if step is None else step.shown
    if step is None:
        if d.start_display is None and d.start_text:
            d.start_display = written_form(d, d.start_text)
        return d.start_shown
    if step.display is None and step.expr_text:
        step.display = written_form(d, step.expr_text)
    return step.shown


def _without_unit_factors(expr: sp.Basic) -> sp.Basic:
    """Drop the factors 1 that unevaluated construction leaves (``Integral`` adds one)."""
    if not expr.args or isinstance(expr, sp.core.function.AppliedUndef):
        return expr
    args = [_without_unit_factors(a) for a in expr.args]
    if isinstance(expr, sp.Mul):
        args = [a for a in args if a is not sp.S.One] or [sp.S.One]
        if len(args) == 1:
            return args[0]
    if args == list(expr.args):
        return expr
    if isinstance(expr, sp.Integral):  # its constructor would put the 1 back
        rebuilt = sp.Basic.__new__(type(expr), *args)
        rebuilt.is_commutative = expr.is_commutative
        return rebuilt
    return expr.func(*args)


_ALIAS_DERIVATIVE = (
    "'{alias}' is declared as a name for the symbol {stem}, which does not say how {stem} "
    "changes with its argument, so its derivative cannot be taken: declare an abstract "
    "function instead ('functions: {alias} : real')")


def _shape(signature: str) -> tuple[int, int | None]:
    """How many variables a signature has before and after its bar: q(z|x) → (1, 1)."""
    inner = signature[signature.index("(") + 1: -1]
    given, bar, cond = inner.partition("|")
    return len(given.split(",")), (len(cond.split(",")) if bar else None)


#: the names of functions, never read as a family after '~' (exp(...) is e^(...))
_NOT_FAMILIES = frozenset({"exp", "log", "sqrt", "abs"})


def _signature_of(name: str, given: list[sp.Expr], cond: list[sp.Expr] | None) -> str | None:
    """``p(x|z)`` from the parsed arguments, when they are all plain symbols."""
    parts = given + (cond or [])
    if not all(isinstance(a, sp.Symbol) for a in parts):
        return None
    text = ",".join(str(a) for a in given)
    if cond is not None:
        text += "|" + ",".join(str(a) for a in cond)
    return f"{name}({text})"


_CHAINS = frozenset({"add", "sub", "mul", "div"})


def _depth(tree: Tree) -> int:
    """Nesting depth of a parse tree, computed without recursion.

    A flat chain such as ``a + b - c + d`` counts as one level (SymPy flattens it); powers,
    signs, function calls and brackets nest.
    """
    deepest = 0
    stack: list[tuple[Any, int]] = [(tree, 1)]
    while stack:
        node, d = stack.pop()
        deepest = max(deepest, d)
        if isinstance(node, Tree):
            data = str(node.data)
            for child in node.children:
                flat = data in _CHAINS and isinstance(child, Tree) and str(child.data) in _CHAINS
                stack.append((child, d if flat else d + 1))
    return deepest


def _bracket_depth(text: str) -> tuple[int, int]:
    """The deepest bracket nesting in ``text`` and the column where it is reached."""
    depth = best = 0
    where = 1
    for i, ch in enumerate(text, start=1):
        if ch in "([{":
            depth += 1
            if depth > best:
                best, where = depth, i
        elif ch in ")]}":
            depth -= 1
    return best, where


def _explain_unexpected(err: UnexpectedInput, text: str) -> tuple[str, int | None]:
    """A short, human message for a lark error, and its column."""
    if isinstance(err, UnexpectedCharacters):
        ch = text[err.pos_in_stream] if err.pos_in_stream < len(text) else ""
        if ch in "_.'\"`@;:{}\\!?&=<>%" or not ch.isprintable():
            what = repr(ch) if ch.isprintable() else f"character U+{ord(ch):04X}"
            return f"unexpected {what}; expected an operator, a name or a number", err.column
        return f"unexpected character {ch!r}", err.column
    if isinstance(err, UnexpectedToken):
        tok = err.token
        expected = set(err.expected)
        if tok.type == "$END":
            found = "end of the line"
            column = len(text) + 1
            if "RPAR" in expected and text.count("(") > text.count(")"):
                return "unexpected end of the line; expected ')' to close a '('", column
            if "RSQB" in expected and text.count("[") > text.count("]"):
                return "unexpected end of the line; expected ']' to close a '['", column
        else:
            found = repr(str(tok))
            column = tok.column
        if expected & _EXPRESSION_STARTS and not expected - _EXPRESSION_STARTS - {"$END"}:
            wanted = "an expression"
        elif tok.type in {"NAME", "NUMBER", "LPAR", "LATEX"} and "STAR" in expected:
            wanted = "an operator such as '*' (multiplication is written explicitly)"
        else:
            readable = sorted({_READABLE_TERMINALS.get(t, t.lower()) for t in expected})
            wanted = "one of " + ", ".join(readable) if len(readable) > 1 else readable[0]
        return f"unexpected {found}; expected {wanted}", column
    if isinstance(err, UnexpectedEOF):
        return "unexpected end of the line; expected more of the expression", len(text) + 1
    return str(err), None  # pragma: no cover


def syntax_tree(text: str) -> Tree | Token:
    """The parse tree of one ``.deriv`` expression (for tools that print it another way).

    >>> syntax_tree("a + 2").data
    'add'
    """
    return _PARSER.parse(text)


def parse_expression(
    text: str,
    symbols: Mapping[str, sp.Symbol],
    *,
    functions: Mapping[str, sp.Expr] | None = None,
    file: str | None = None,
    line: int | None = 1,
    column: int = 1,
    indexed: Mapping[str, sp.IndexedBase] | None = None,
    ranges: Mapping[str, sp.Interval] | None = None,
) -> sp.Expr:
    """Read one expression of the ``.deriv`` language into SymPy.

    Parameters
    ----------
    text : str
        the expression, e.g. ``"log(sigma2/sigma1) + 1/2"``.
    symbols : mapping of str to sympy.Symbol
        the names the expression may use, with their assumptions.
    functions : mapping of str to sympy.Expr, optional
        declared densities by signature, e.g. ``{"q(z|x)": q}``.
    file, line, column : optional
        where ``text`` starts, so that errors point at the right place.

    Raises
    ------
    DerivationSyntaxError
        located at ``FILE:LINE:COLUMN`` when the text is not a valid expression.

    Examples
    --------
    >>> import sympy as sp
    >>> s = sp.Symbol("sigma", positive=True)
    >>> parse_expression("log(sigma^2)/2", {"sigma": s})
    log(sigma**2)/2
    >>> try:
    ...     parse_expression("2 sigma", {"sigma": s})
    ... except DerivationSyntaxError as err:
    ...     print(err)
    <input>:1:3: unexpected 'sigma'; expected an operator such as '*' (multiplication is
    written explicitly)
    """
    # an expression read once with the same declarations is not read again (a class's
    # scripts share most of their lines); only successes are kept, so errors stay located
    key = (text, frozenset(symbols.items()), frozenset((functions or {}).items()),
           frozenset((indexed or {}).items()), frozenset((ranges or {}).items()),
           global_parameters.evaluate, global_parameters.distribute,  # cf. written_form
           frozenset(DRAWN_COPIES.get().items()))
    if key in _READ:
        return _READ[key]
    ctx = _Context(symbols, functions or {}, file, line, column - 1, indexed, ranges)
    text = text.translate(_UNICODE) if _needs_translation(text) else text
    if not text.strip():
        raise ctx.error("expected an expression", 1)
    depth, where = _bracket_depth(text)
    if depth > MAX_DEPTH:
        raise ctx.error(f"brackets nested {depth} deep; at most {MAX_DEPTH} are accepted", where)
    try:
        tree = _parse_tree(text)
    except UnexpectedInput as err:
        message, col = _explain_unexpected(err, text)
        raise ctx.error(message, col) from None
    if isinstance(tree, Tree) and _depth(tree) > 2 * MAX_DEPTH:
        raise ctx.error(f"expression nested too deeply (more than {MAX_DEPTH} levels)", 1)
    bound = _bound_variables(tree, symbols, functions or {})
    if bound:  # the variable of an integral is bound by it: no declaration needed
        ctx.symbols = {**symbols, **{name: sym for name, (sym, _) in bound.items()}}
    try:
        result = _done(_Builder(ctx).transform(tree))
    except DerivationSyntaxError:
        raise
    except RecursionError:
        raise ctx.error("expression nested too deeply", 1) from None
    except Exception as err:  # a SymPy error on a legal but meaningless expression
        cause = err.__context__ if err.__class__.__name__ == "VisitError" else err
        if isinstance(cause, DerivationSyntaxError):
            raise cause from None
        orig = getattr(err, "orig_exc", cause)
        if isinstance(orig, DerivationSyntaxError):
            raise orig from None
        raise ctx.error(f"cannot build this expression: {orig}", 1) from None
    if isinstance(result, Token | Tree):  # pragma: no cover - grammar guarantees an Expr
        raise ctx.error("expected an expression", 1)
    for name, (sym, column) in bound.items():
        if sym in result.free_symbols:  # used outside the integral that binds it
            raise ctx.error(f"undeclared symbol '{name}': it is bound only inside the integral "
                            f"over it; declare it, e.g. 'symbols: {name} : real', to use it "
                            "outside", column)
    _check_defined(result, ctx)
    if len(_READ) < 100_000:
        _READ[key] = result
    return result


_READ: dict[tuple, sp.Expr] = {}
#: the parse trees of the texts read so far: a tree depends on the text alone (not on the
#: declarations or the evaluation switch), and the text report reads every line a second
#: time, unevaluated, for its display form (:func:`written_form`). Nothing changes a tree
#: once it is made (the builder makes new objects from it).
_TREES: dict[str, Tree | Token] = {}


def _parse_tree(text: str) -> Tree | Token:
    """``_PARSER.parse(text)``, remembered (only successes: an error is raised again)."""
    tree = _TREES.get(text)
    if tree is None:
        tree = _PARSER.parse(text)
        if len(_TREES) < 100_000:
            _TREES[text] = tree
    return tree


def _bound_variables(tree: Tree | Token, symbols: Mapping[str, sp.Symbol],
                     functions: Mapping[str, sp.Expr]) -> dict[str, tuple[sp.Symbol, int]]:
    """The undeclared variables of ``Integral(f, (x, a, b))`` in ``tree``: a textbook binds
    x by the integral and declares nothing (Papoulis's ``∫ dx`` over a tail), so x is a real
    variable there; the column of its first binding is kept for errors.

    >>> _bound_variables(_PARSER.parse("Integral(u^2, (u, 0, 1))"), {}, {})
    {'u': (u, 16)}
    >>> _bound_variables(_PARSER.parse("Integral(u, (u, 0, 1))"), {"u": sp.Symbol("u")}, {})
    {}
    """
    out: dict[str, tuple[sp.Symbol, int]] = {}
    if not isinstance(tree, Tree):
        return out
    for node in tree.find_data("integral"):
        tok = node.children[1]
        name = str(tok)
        if (not isinstance(tok, Token) or name in symbols or name in RESERVED
                or name in out or name in _FUNCTIONS or name in ("d", "e")
                or any(sig.startswith(name + "(") for sig in functions)):
            continue
        out[name] = (sp.Symbol(name, real=True), tok.column)
    return out


def _check_defined(expr: sp.Expr, ctx: _Context) -> None:
    """Refuse expressions that are undefined or not real as written (1/0, oo - oo, sqrt(-1)).

    Such a value would otherwise travel on as SymPy's ``zoo``/``nan``/``I`` and end, much
    later, as an unexplained "undecided".
    """
    if expr.has(sp.nan, sp.zoo):
        raise ctx.error(
            "the expression is undefined as written (a division by zero, log(0), or oo - oo); "
            "expected a finite or infinite real value",
            1,
        )
    if expr.has(sp.I):
        raise ctx.error(
            "the expression is not real as written (the square root or log of a negative "
            "number); expected a real value",
            1,
        )


def _density_variable(density: sp.Expr) -> sp.Symbol | None:
    """The one variable a declared density is a density *of*: z for q(z|x); None otherwise."""
    if not isinstance(getattr(density, "func", None), sp.core.function.UndefinedFunction):
        return None
    name = density.func.__name__
    m = _SIGNATURE.match(name)
    if m is None:
        return None
    given = [v.strip() for v in m.group(2).partition("|")[0].split(",")]
    if len(given) != 1:
        return None
    var = density.args[0]
    return var if isinstance(var, sp.Symbol) and str(var) == given[0] else None


def _variable_by_signature(density: sp.Expr, functions: Mapping[str, sp.Expr],
                           symbols: Mapping[str, sp.Symbol]) -> sp.Symbol | None:
    """The variable of a density declared in a family (written out): its signature's first."""
    for sig, value in functions.items():
        if value == density:
            given = sig[sig.index("(") + 1: -1].split("|")[0].split(",")
            if len(given) == 1 and given[0].strip() in symbols:
                return symbols[given[0].strip()]
    return None


def _needs_translation(text: str) -> bool:
    return any(ch in text for ch in "−·×π∞\u00a0")


def _split_comment(line: str) -> tuple[str, str]:
    """Split ``line`` at the first ``#`` outside ``$...$``: (code, comment)."""
    in_latex = False
    for i, ch in enumerate(line):
        if ch == "$":
            in_latex = not in_latex
        elif ch == "#" and not in_latex:
            return line[:i], line[i + 1 :].strip()
    return line, ""


class _Reader:
    """Reads a ``.deriv`` text line by line into a :class:`Derivation`."""

    def __init__(self, file: str | None, name: str | None) -> None:
        self.file = file
        self.name = name or (Path(file).stem if file else "derivation")
        self.title = ""
        self.source = ""
        #: every name and its meaning, through the one builder all front ends share
        self.decl = Declarations(file=file)
        #: the densities that draws from a named family declared, by (variable, family,
        #: parameters as written)
        self.drawn: dict[tuple[str, str, str], str] = {}
        self.symbols = self.decl.symbols
        self.definitions = self.decl.definitions
        self.functions = self.decl.functions
        self.start: sp.Expr | None = None
        self.start_line: int | None = None
        self.start_text = ""
        self.start_span: tuple[int, int, int, int] | None = None
        self.steps: list[Step] = []
        #: finished parts, and the current part's label, header line and goal
        self.parts: list[Derivation] = []
        self.part_label = ""
        self.part_line: int | None = None
        self.goal: dict[str, Any] | None = None
        self.blank_before = False
        #: the declarations as they stood after the current part's last step
        self.decl_of_part: Declarations | None = None

    def error(self, message: str, line: int, column: int | None = 1) -> DerivationSyntaxError:
        return DerivationSyntaxError(message, file=self.file, line=line, column=column)

    def expression(self, text: str, line: int, column: int) -> sp.Expr:
        self.decl.declare_draws(text, line, column)
        text = self.family_draws(text, line, column)
        token = DRAWN_COPIES.set(self.decl.copies)
        try:
            expr = parse_expression(
                text, self.symbols, functions=self.functions, file=self.file, line=line,
                column=column, indexed=self.decl.indexed, ranges=self.decl.intervals,
            )
        finally:
            DRAWN_COPIES.reset(token)
        name = bound_to_definitions(expr, self.definitions)
        if name is not None:
            raise self.error(f"'{name}' is a let name: a derivative or sum is taken over a "
                             "declared symbol, not over a name for an expression", line, column)
        return expr


    def family_draws(self, text: str, line: int, column: int) -> str:
        """``E[f, lam ~ Gamma(a, b)]``: a draw from a named family other than the normal
        (whose density the grammar writes out), as a textbook writes E[λ] for λ ~ Gamma(a, b).
        The draw declares a density of its variable in that family, as ``densities: G(lam) =
        Gamma(a, b)`` would (its moments, entropy and support then known), named after the
        family (Gamma, or Gamma2 for a second draw of other parameters), and reads as a draw
        from it. The text is returned with each such draw written with that density."""
        out, at = [], 0
        for m in _FAMILY_DRAW.finditer(text):
            var, family, start = m.group(1), m.group(2), m.end()
            key = family_key(family)
            # (a function's name is never a family's: u ~ exp(-u^2/2)/... is a density written out)
            if key is None or key == "normal" or family.lower() in _NOT_FAMILIES or (
                    m.start() < at) or any(
                    sig.startswith(family + "(") and sig not in self.drawn.values()
                    for sig in self.functions):
                continue
            depth, end = 1, start
            while end < len(text) and depth:
                depth += {"(": 1, ")": -1}.get(text[end], 0)
                end += 1
            if depth:
                continue  # unbalanced: left to the grammar's own message
            params = " ".join(text[start:end - 1].split())
            sig = self.drawn.get((var, key, params))
            if sig is None:
                taken = {s.split("(")[0] for s in self.functions}
                stem = next(f"{family}{k if k > 1 else ''}" for k in range(1, len(taken) + 2)
                            if f"{family}{k if k > 1 else ''}" not in taken)
                sig = f"{stem}({var})"
                self.decl.declare_densities(
                    f"{sig} = {family}({text[start:end - 1]})", line, column + m.start(1),
                    expression=lambda part, col: self.expression(part, line, col))
                self.drawn[(var, key, params)] = sig
            out.append(text[at:m.start(2)] + sig)
            at = end
        return "".join(out) + text[at:]

    # header lines ----------------------------------------------------------------------
    def header(self, key: str, rest: str, line: int, column: int) -> None:
        if self.steps and self.decl_of_part is None:
            # a declaration after the part's steps belongs to the next part
            self.decl_of_part = self.decl.copy()
        if key == "part":
            if self.start is not None:
                self.close_part(line)
            self.part_label = rest.strip()
            self.part_line = line
            return
        if key in ("title", "source"):
            apply_header(self, key, rest, line, column)
            return
        code, _ = _split_comment(rest)
        if apply_header(self, key, code, line, column):
            return
        text = code.strip()  # goal: kept as text, parsed with every declaration (marking)
        if not text:
            raise self.error("expected 'goal: EXPRESSION'", line, column)
        self.goal = {"text": text, "line": line,
                     "column": column + len(code) - len(code.lstrip())}

    def declare_symbols(self, text: str, line: int, column: int) -> None:
        self.decl.declare_symbols(text, line, column)

    def define(self, text: str, line: int, column: int) -> None:
        name_part, eq, expr_text = text.partition("=")
        name = name_part.strip()
        col = column + (len(name_part) - len(name_part.lstrip()))
        if not eq:
            raise self.error("expected 'let: NAME = EXPRESSION'", line, column + len(text))
        self.decl.check_name(name, line, col)
        if name in self.symbols:
            raise self.error(f"'{name}' is already declared", line, col)
        value = self.expression(expr_text, line, column + len(name_part) + 1)
        self.decl.define(name, value, line, col)

    def declare_functions(self, text: str, line: int, column: int) -> None:
        """``functions: f(z), g(z) : real``: abstract functions, e.g. a decoder mean f(z)."""
        self.decl.declare_functions(text, line, column)

    def declare_densities(self, text: str, line: int, column: int) -> None:
        self.decl.declare_densities(
            text, line, column,
            expression=lambda part, col: self.expression(part, line, col))

    # expression lines ------------------------------------------------------------------
    def relation_line(self, raw: str, line: int) -> None:
        code, comment = _split_comment(raw)
        m = _RELATION.match(code)
        assert m is not None
        token = m.group(1)
        pos = m.end()
        wrt: tuple[str, ...] = ()
        if token in ("=~", "≃"):
            relation = Relation.EQ_UP_TO
            bracket = re.compile(r"\s*\[([^\]]*)\]").match(code, pos)
            if bracket is None:
                raise self.error(
                    "expected '[names]' after '=~': the variables the dropped term is free of, "
                    "e.g. '=~ [g, h]'",
                    line,
                    pos + 1,
                )
            names = [n.strip() for n in bracket.group(1).split(",") if n.strip()]
            for n in names:
                if n not in self.symbols and not any(
                    s.startswith(n + "(") for s in self.functions
                ):
                    raise self.error(
                        f"'{n}' in '=~ [...]' is not a declared symbol or density",
                        line,
                        bracket.start(1) + 1,
                    )
            if not names:
                raise self.error("'=~ [...]' needs at least one variable name", line, pos + 1)
            wrt = tuple(names)
            pos = bracket.end()
        else:
            relation = {
                "=": Relation.EQ,
                "<=": Relation.LE,
                "≤": Relation.LE,
                ">=": Relation.GE,
                "≥": Relation.GE,
            }[token]
        if self.start is None:
            raise self.error(
                f"a step ('{token} ...') before the starting expression; "
                "write the starting expression first, on a line of its own",
                line,
                m.start(1) + 1,
            )
        if len(self.steps) + sum(len(p.steps) for p in self.parts) >= MAX_STEPS:
            raise self.error(f"more than {MAX_STEPS} steps (in all parts together)", line)
        expr = self.expression(code[pos:], line, pos + 1)
        self.decl_of_part = None  # declarations made before this step belong to its part
        written = code[pos:].strip()
        first = pos + 1 + len(code[pos:]) - len(code[pos:].lstrip())
        self.steps.append(
            Step(
                span=(line, first, line, first + len(written)),
                index=len(self.steps) + 1,
                relation=relation,
                expr=expr,
                expr_text=code[pos:].strip(),
                justification=comment,
                line=line,
                text=code.strip(),
                wrt=wrt,
            )
        )

    def start_line_(self, raw: str, line: int) -> None:
        code, _ = _split_comment(raw)
        if self.start is not None and self.steps and self.blank_before:
            self.close_part(line)  # a new starting expression after a blank line: a new part
        if self.start is not None:
            col = len(code) - len(code.lstrip()) + 1
            raise self.error(
                "expected a relation (=, <=, >=, =~ [...]) at the start of a step; the starting "
                f"expression was already given on line {self.start_line}",
                line,
                col,
            )
        self.start = self.expression(code, line, 1)
        self.start_line = line
        self.start_text = code.strip()
        first = len(code) - len(code.lstrip()) + 1
        self.start_span = (line, first, line, first + len(self.start_text))

    def read(self, text: str) -> Derivation:
        lines = re.split(r"\r\n|\r|\n", text)
        for raw in lines:  # a functions: line may use a variable a later family declares
            found = header_line(_split_comment(raw)[0]) if len(raw) <= MAX_LINE else None
            if found is not None and found.key == "densities":
                self.decl.expect_family_variables(found.value)
        for number, raw in enumerate(lines, start=1):
            if len(raw) > MAX_LINE:
                raise self.error(f"line longer than {MAX_LINE} characters", number)
            if "\x00" in raw:
                raise self.error("NUL byte: expected text", number, raw.index("\x00") + 1)
            code, _ = _split_comment(raw)
            if not code.strip():
                self.blank_before = self.blank_before or not raw.strip()
                continue
            header = header_line(code)
            if header:  # declarations between a blank line and a new start keep the part break
                self.header(header.key, raw[header.column - 1:], number, header.column)
                continue
            near = misspelt_header(code)
            if near is not None:  # 'density: q(z) = ...' meant as a declaration
                raise self.error(misspelt_header_message(*near[:2]), number, near[2])
            if _RELATION.match(code):
                self.relation_line(raw, number)
            else:
                self.start_line_(raw, number)
            self.blank_before = False
        self.close_part(max(len(lines), 1))
        first, *later = self.parts
        if later:
            for number, part in enumerate(self.parts, start=1):
                part.metadata["part"] = {**part.metadata["part"], "number": number,
                                         "of": len(self.parts)}
            first.metadata["later_parts"] = later
        else:
            first.metadata.pop("part", None)
        return first

    def close_part(self, line: int) -> None:
        """Finish the part being read (its start and steps) and begin an empty one."""
        what = f"part '{self.part_label}'" if self.part_label else "the derivation"
        if self.start is None:
            raise self.error(
                f"no starting expression in {what}: expected an expression line, then steps "
                "beginning with '=', '<=', '>=' or '=~ [...]'",
                self.part_line or line,
            )
        if not self.steps:
            raise self.error(
                f"{what} has no steps: expected lines beginning with '=', '<=', '>=' "
                "or '=~ [...]' after the starting expression",
                (self.start_line or 1) + 1,
            )
        decl = self.decl_of_part or self.decl.copy()
        self.decl_of_part = None
        number = len(self.parts) + 1
        metadata: dict[str, Any] = {"part": {
            "number": number, "of": number, "label": self.part_label or str(number),
            "line": self.part_line or self.start_line}}
        if self.goal is not None:
            metadata["goal"] = self.goal
        self.parts.append(Derivation(
            title=self.title or self.name,
            source=self.source,
            name=self.name,
            path=self.file,
            symbols=dict(decl.symbols),
            definitions=dict(decl.definitions),
            functions=dict(decl.functions),
            declarations=decl,
            start=self.start,
            start_line=self.start_line,
            start_text=self.start_text,
            start_span=self.start_span,
            steps=self.steps,
            metadata=metadata,
        ))
        self.start, self.start_line, self.start_text, self.steps = None, None, "", []
        self.part_label, self.part_line, self.goal = "", None, None


def parse_derivation(text: str, *, file: str | None = None, name: str | None = None) -> Derivation:
    """Read a derivation from ``.deriv`` text (unchecked: no step has a verdict yet).

    Parameters
    ----------
    text : str
        the file's contents.
    file : str, optional
        the file name, used in error messages and as the default ``name``.
    name : str, optional
        a short identifier for the derivation (default: the file's stem).

    Returns
    -------
    Derivation

    Raises
    ------
    DerivationSyntaxError
        ``FILE:LINE:COLUMN: what was expected``, for anything the format does not allow.

    Examples
    --------
    >>> d = parse_derivation('''title: squares
    ... symbols: a, b : real
    ... (a + b)^2
    ... = a^2 + 2*a*b + b^2   # binomial formula
    ... >= 2*a*b + b^2        # a^2 is not negative
    ... ''')
    >>> [(s.index, str(s.relation), s.line) for s in d.steps]
    [(1, '=', 4), (2, '>=', 5)]
    """
    if len(text) > MAX_BYTES:
        raise DerivationSyntaxError(f"input larger than {MAX_BYTES} bytes", file=file, line=1)
    if text.startswith("\ufeff"):
        text = text[1:]
    return _Reader(file, name).read(text)


def read_derivation(path: str | Path) -> Derivation:
    """Read a ``.deriv`` file into an unchecked :class:`Derivation`.

    Parameters
    ----------
    path : str or Path
        the file.

    Raises
    ------
    InputError, DerivationSyntaxError, OSError
        for a file that is missing, too large, not UTF-8 or not a valid derivation.
    """
    p = Path(path)
    return parse_derivation(read_text(p), file=str(p), name=p.stem)
