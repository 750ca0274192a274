r"""Reading LaTeX: a lark grammar of our own for the mathematics of the notes, never ``eval``.

Two entry points:

* :func:`latex_to_sympy` reads one LaTeX expression (a ``$...$`` step of a ``.deriv`` file
  comes here) into SymPy, using only the symbols and densities the caller declares.
* :func:`read_tex_derivation` / :func:`parse_tex_derivation` read a whole derivation from a
  ``.tex`` file whose ``align`` (or ``align*``) environment holds it.

Why not SymPy's ``parse_latex``: measured with SymPy 1.14, its lark backend misreads
``\left( ... \right)`` and rejects ``2\pi\sigma``, and its ANTLR backend does not know
``\mathbb{E}``; both also build names through SymPy's own machinery. The grammar here
(``latex.lark`` beside this module, parsed LALR by lark) builds SymPy objects from a fixed
vocabulary: no text is ever handed to ``eval``, ``exec``, ``sympify`` or ``parse_expr``.

What is read
------------
* numbers (exact: ``0.5`` is 1/2), ``+ -``, juxtaposition (``2\pi\sigma``), ``\cdot``,
  ``\times``, ``/``; ``^`` and ``_`` with braces or a single token (``x^2``, ``\sigma_{2}``);
  LaTeX's own rule applies, so ``x^23`` is refused (write ``x^{23}`` or ``x^2 3``).
* ``\frac``, ``\dfrac``, ``\tfrac`` (also ``\frac12``), ``\sqrt``, ``\sqrt[n]``, ``\pi``,
  ``\infty``, ``e^{...}``, ``\lvert x \rvert``; brackets ``( )``, ``[ ]``, ``\{ \}``, ``{ }``,
  with or without ``\left``/``\right`` (and ``\big`` sizes); spacing commands are ignored.
* ``\log``, ``\ln``, ``\exp``, ``\tanh`` (and ``\sinh``, ``\cosh``, ``\coth``,
  ``\arctan``, ``\sin``, ``\cos``, ``\tan``; ``\sin^2 u`` is (sin u)²). Followed by a
  bracket, the argument is that bracket (``\log(a) b`` is log(a)·b). Otherwise the
  argument is the product that follows (``\cdot``, ``\times`` and ``/`` included), up to
  the next ``+`` or ``-``, integral, expectation, KL or ``\log``: the notes'
  ``\log 2\pi\sigma_1^2`` is log(2πσ₁²), ``\log a \cdot b`` is log(ab), and
  ``\log \frac{1}{Z_1} \int p_1(x) dx`` is log(1/Z₁)·∫p₁.
* names: a Latin letter or a Greek letter command with an optional subscript, mapped to a
  declared name: ``\mu_1`` is ``mu_1`` or ``mu1`` (whichever is declared), ``\sigma_{2}``
  is ``sigma_2``/``sigma2``, ``\hat{x}`` and ``x_{hat}`` are ``x_hat``/``xhat``; ``\mathbf``
  and ``\boldsymbol`` are ignored; ``\mathrm{name}`` reads a multi-letter name. ``e`` is
  Euler's number unless declared.
* densities declared by signature (``functions``: ``"q(z|x)"`` → its SymPy value): ``q(z|x)``
  written with exactly those arguments is that value, anything else of the form ``n(...)``
  is the product n·(...).
* ``\int_{a}^{b} f \, dx`` → ``Integral(f, (x, a, b))``; ``\int f dx`` without limits is over
  the whole real line. A ``d`` directly followed by a one-letter name ends an integrand.
* ``\mathbb{E}_{q(z|x)}[f]`` and ``\mathbb{E}_{z \sim q(z|x)}[f]`` (also ``z \sim q``) →
  :class:`~elbo_derivation.core.expectation.Expectation` over the density's first variable.
* ``\mathrm{KL}(q(z|x), p(z))`` (also ``\operatorname{KL}``, ``D_{KL}``, ``KL(``) → the
  :class:`~elbo_derivation.core.expectation.KL` node, E_{z~q}[log(q/p)] by the notes' §2,
  over the first density's first variable (the same node as ``KL(q, p)`` in ``.deriv``).
  Both arguments must be declared densities (or names declared as functions of that variable).

* derivatives in Leibniz's notation: ``\frac{d}{dh}\left(...\right)``, ``\frac{d f}{d h}``,
  ``\frac{\partial^2}{\partial x^2} f``, ``\frac{\partial^2 f}{\partial x \partial y}``
  (also ``\mathrm{d}``), as an unevaluated ``Derivative``: the operator takes the bracket
  right after it, or else the product up to the next ``+`` or ``-``. ``f'(x)`` is the
  derivative of a function declared ``% functions: f(x) : real``. A ``d`` that is neither
  (``d x`` with ``d`` declared, an undeclared ``d``) is refused with a message saying how to
  write what was meant.
* ``\sum_{k=0}^{\infty}``, ``\prod_{i=1}^{N}`` over an index declared integer, taking the
  whole product that follows as the summand; ``|x - \mu|``, ``\Gamma(\alpha)``, ``k!``,
  ``\binom{n}{k}``, ``\mathcal{N}(x; \mu, \sigma^2)`` (the Gaussian density written out),
  ``\operatorname{Var}_{q(z|x)}[f]`` (E_q[(f − E_q f)²]), ``\ell``; ``\mathrm{KL}(q \,\|\, p)``
  and ``D_{\mathrm{KL}}(q\|p)``; a declared density at another point (``q(h_1|x)`` for the
  only declared density ``q(h|x)`` of that shape); entries ``\mu_j`` of a declared vector.
* matrices written out, ``\begin{pmatrix} a & b \\ c & d \end{pmatrix}`` (also
  ``bmatrix``, ``matrix``; ``vmatrix`` is the determinant), inside ``\det``,
  ``\operatorname{tr}``, products, powers and transposes; a declared identity ``\mathbf{I}``
  or ``I_D``; ``\mid`` as a bar (``q(z \mid x)``, ``\mathcal{N}(x \mid \mu, \sigma^2)``); a plain
  ``E`` before ``[`` or a density subscript as the expectation.
* the spellings of other books (each guarded by ``benchmarks/notation_variants.py``):
  ``\vert`` and ``||`` as bars between arguments (``q(z \vert x)``, ``\mathrm{KL}(q || p)``),
  ``||v||`` a norm where every bar of its level is doubled (``|a||b|`` stays a product),
  ``\text{KL}(...)``, ``\mathbf{E}``/``\mathsf{E}`` and round brackets ``\mathbb{E}_{q}(f)`` for
  the expectation, ``\bm`` for bold, ``^{T}`` for ``^T``, ``\sum\limits``, ``\int\limits``,
  ``\mathop{}\!\mathrm{d}x``; in an ``align`` row, ``=&`` for ``&=``, ``\simeq_z`` for
  ``\simeq_{z}``, and a comma or full stop ending the row (a sentence's punctuation).

Declarations (``% symbols:``, ``% densities:``, ``% functions:``, ``% let:``) mean what they
mean in a ``.deriv`` file: both readers build them with
:class:`~elbo_derivation.read.declarations.Declarations`.

Hostile input is bounded: at most :data:`MAX_LATEX` characters, nesting at most
:data:`MAX_DEPTH` deep, numbers of at most :data:`MAX_NUMBER_DIGITS` digits and integer
exponents at most :data:`MAX_EXPONENT` in size. ``\input``, ``\def``, ``\newcommand``,
``\write18`` and every other command outside the list above are refused by name.

Examples
--------
>>> import sympy as sp
>>> sigma = sp.Symbol("sigma_1", positive=True)
>>> latex_to_sympy(r"-\frac{1}{2}(\log 2\pi\sigma_1^2 + 1)", symbols={"sigma_1": sigma})
-log(2*pi*sigma_1**2)/2 - 1/2
>>> latex_to_sympy(r"\sigma_3", symbols={"sigma_1": sigma}, file="a.tex", line=4, column=7)
Traceback (most recent call last):
...
elbo_derivation.errors.DerivationSyntaxError: a.tex:4:7: undeclared symbol '\sigma_3' (looked...
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, MutableMapping
from fractions import Fraction
from pathlib import Path
from typing import Any

import sympy as sp
from lark import Lark, Token, Transformer_NonRecursive, Tree, v_args
from lark.exceptions import (
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
    VisitError,
)

from elbo_derivation.core import matrices
from elbo_derivation.core.factorised import chain_joint, model_density
from elbo_derivation.core.steps import Derivation, Relation, Step
from elbo_derivation.core.written import (
    written_bare_log,
    written_bars,
    written_derivative,
    written_entropy,
    written_gaussian,
    written_log,
    written_power,
    written_prime,
    written_probability,
    written_square_derivative,
)
from elbo_derivation.errors import DerivationSyntaxError, InputError
from elbo_derivation.read.declarations import (
    DATA_INDEX,
    DRAWN_COPIES,
    LETTER_FUNCTIONS,
    NAMED_FUNCTIONS,
    STAR,
    Declarations,
    alias_dependence,
    atom_name,
    bound_to_definitions,
    bracket_atom,
    constant_in_index,
    data_index_shifted,
    density_variable,
    derivative_at,
    expectation_over,
    expression_subscript,
    family_key,
    function_at,
    is_copy_of,
    is_sequence_entry,
    joint_expectation,
    kl_over,
    sequence_at,
    split_top_level,
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
    MAX_NUMBER_DIGITS,
    MAX_STEPS,
    read_text,
)
from elbo_derivation.read.parsers import lalr_parser

__all__ = [
    "MAX_DEPTH",
    "MAX_EXPONENT",
    "MAX_LATEX",
    "MAX_NUMBER_DIGITS",
    "latex_to_sympy",
    "parse_tex_derivation",
    "read_tex_derivation",
]

#: Longest LaTeX expression accepted, in characters.
MAX_LATEX = 20_000
#: Largest integer exponent accepted (``10^{10^{10}}`` is refused, not computed).
MAX_EXPONENT = 1000



@functools.cache
def _parser() -> Lark:
    """The LALR parser of ``latex.lark``, made on first use (built in about 0.15 s of CPU, or
    loaded from the cache of :mod:`.parsers` in a fiftieth of that)."""
    grammar = Path(__file__).with_name("latex.lark").read_text(encoding="utf-8")
    return lalr_parser("latex", grammar, propagate_positions=True, maybe_placeholders=False)


@functools.cache
def _parser_d_product() -> Lark:
    """The same parser for an expression without an integral, where no differential can stand.

    The differential ``DIFF`` (a ``d`` before a name) gets the lowest priority, so that a
    declared ``d`` before a name is lexed as the name wherever a name may stand.
    """
    grammar = Path(__file__).with_name("latex.lark").read_text(encoding="utf-8")
    if "\nDIFF.3:" not in grammar:  # pragma: no cover - the grammar and this function together
        raise RuntimeError("latex.lark: the terminal DIFF.3 is expected")
    grammar = grammar.replace("\nDIFF.3:", "\nDIFF.0:", 1)
    return lalr_parser("latex-d-product", grammar, propagate_positions=True,
                       maybe_placeholders=False)


_GREEK_ALIASES = {"varepsilon": "epsilon", "vartheta": "theta", "varphi": "phi",
                  "varrho": "rho", "varsigma": "sigma"}
#: the short names a ``.deriv`` file declares for a Greek letter (``eps`` is ε, ``lamda`` is
#: λ, as ``lambda`` is a keyword there), looked for after the letter's own name
_SHORT_NAMES = {"epsilon": "eps", "lambda": "lamda"}

# Replacements that keep every column where it was: each is padded to its own length.
_SAME_WIDTH: list[tuple[re.Pattern[str], str | None]] = [
    (re.compile(r"\\left\s*\\\{"), "("),
    (re.compile(r"\\right\s*\\\}"), ")"),
    # \left| a \right| as the bars of an absolute value (U+E000, U+E001: see latex.lark)
    (re.compile(r"\\left\s*\\lvert|\\left\s*\|"), "\ue000"),
    (re.compile(r"\\right\s*\\rvert|\\right\s*\|"), "\ue001"),
    (re.compile(r"\\left\s*\."), ""),
    (re.compile(r"\\right\s*\."), ""),
    (re.compile(r"\\(left|right|middle|[bB]igg?[lr]?)(?![a-zA-Z])"), ""),
    # \operatorname{log}, \mathrm{exp}: the functions themselves (names that cannot be
    # declared; \mathrm{det} may be a declared symbol, \mathrm{det}_{2} is one)
    (re.compile(r"\\operatorname\s*\{\s*"
                r"(log|ln|exp|tanh|sinh|cosh|coth|arctan|sin|cos|tan)\s*\}"), None),
    (re.compile(r"\\mathrm\s*\{\s*(log|ln|exp)\s*\}(?!\s*[_'])"), None),
    (re.compile(r"(?<!\\)\\\{|\\lbrace(?![a-zA-Z])"), "("),
    (re.compile(r"(?<!\\)\\\}|\\rbrace(?![a-zA-Z])"), ")"),
    # \lbrack, \rbrack: the square brackets by name
    (re.compile(r"\\lbrack(?![a-zA-Z])"), "["),
    (re.compile(r"\\rbrack(?![a-zA-Z])"), "]"),
    # the fractions of amsmath, xfrac and nicefrac: one fraction, however it is set
    (re.compile(r"\\(?:[dtc]frac|sfrac|nicefrac)(?![a-zA-Z])"), r"\frac"),
    # \mathop{\mathbb{E}}_{z \sim q}: the expectation set as an operator, limits below
    (re.compile(r"\\mathop\s*\{\s*(\\mathbb\s*\{\s*E\s*\})\s*\}"), r"\mathbb{E}"),
    # \int_{\mathbb{R}}, \int_{\mathbb{R}^d}: over the whole line (or space), as \int alone
    (re.compile(r"\\int\s*_\s*\{\s*\\mathbb\s*\{\s*R\s*\}"
                r"(\s*\^\s*(\{\s*[a-zA-Z0-9]\s*\}|[a-zA-Z0-9]))?\s*\}"), r"\int"),
    # the Euclidean norm's subscript 2, \|v\|_2^2: the norm the bars mean already
    (re.compile(r"(?:(?<=\\\|)|(?<=Vert))\s*_\s*(\{\s*2\s*\}|2)"), ""),
    (re.compile(r"\\(displaystyle|textstyle|quad|qquad|nonumber|notag)(?![a-zA-Z])"), ""),
    # where limits are printed (\sum\limits_{i=1}^{N}) and the empty operator of the
    # upright differential's spacing (\mathop{}\!\mathrm{d}x): typesetting, not mathematics
    (re.compile(r"\\(no)?limits(?![a-zA-Z])|\\mathop\s*\{\s*\}"), ""),
    (re.compile(r"(?<!\\)\\[,;:! ]"), ""),  # not the second \ of a row end \\
    (re.compile(r"~"), ""),
]

#: ``a*x`` in a family's parameter of a ``% densities:`` line: '*' between two operands (not
#: the optimum's ``x^*`` or ``\\theta_*``), read as the product a .deriv header means by it
_DECLARED_PRODUCT = re.compile(r"(?<=[A-Za-z0-9})])\s*\*\s*(?=[\w\\({])")

_COMMAND = re.compile(r"\\[a-zA-Z]+|\\.")
_KNOWN_COMMANDS = frozenset(
    r"""\frac \sqrt \log \ln \exp \tanh \sinh \cosh \coth \arctan \sin \cos \tan \int \pi \infty
    \cdot \times \sim
    \mathbb \mathrm
    \operatorname \text \mathit \mathbf \boldsymbol \bm \mathsf \vert \hat \bar \tilde \widehat
    \widetilde
    \overline \lvert \rvert \partial \alpha \beta \gamma \delta \epsilon \varepsilon \zeta
    \eta \theta \vartheta \iota \kappa \lambda \mu \nu \xi \rho \varrho \sigma \varsigma \tau
    \upsilon \phi \varphi \chi \psi \omega \Gamma \Delta \Theta \Lambda \Xi \Sigma \Upsilon
    \Phi \Psi \Omega \ell \sum \prod \binom \mathcal \Vert \lVert \rVert \parallel \| \begin
    \nabla \over \choose \max \min \langle \rangle \underset \geq \ge
    \lfloor \rfloor \lceil \rceil \Pr \mathbbm \mathds \le \leq \lt \gt \ne \neq \leqslant
    \geqslant
    \end \\""".split()
)


#: a command or one letter (a LaTeX name), then a braced subscript: where an atom may start
_ATOM_START = re.compile(r"(\\?)((?<=\\)[A-Za-z]+|[A-Za-z])(?:\s*_\s*\{)?")


def _past_closing_brace(text: str, start: int) -> int | None:
    """The index just past the ``}`` that closes the ``{`` at ``start``; None if unclosed.

    >>> _past_closing_brace("a_{q(1/s^{2})} b", 2)
    14
    """
    depth = 0
    for i in range(start, len(text)):
        depth += 1 if text[i] == "{" else -1 if text[i] == "}" else 0
        if depth == 0:
            return i + 1
    return None


_BRACKET_START = re.compile(r"(\\?)((?<=\\)[A-Za-z]+|(?<![A-Za-z\\])[A-Za-z])\s*\[([^\[\]]*)\]")


def _bracket_atoms(text: str, symbols: Mapping[str, Any]) -> tuple[
        str, dict[int, tuple[str, str, str]]]:
    r"""``text`` with each declared name indexed in square brackets (``M[1]``, see
    :func:`~elbo_derivation.read.declarations.bracket_atom`) replaced by U+E00B padded to its
    width, as :func:`_declared_atoms` does; a bracket after any other name is left to the
    grammar (a product with a bracketed factor).

    >>> m1 = sp.Symbol("M_{[1]}")
    >>> out, atoms = _bracket_atoms(r"\frac{M[1]}{M[1] + N[0]}", {m1.name: m1})
    >>> out.count("\ue00b"), atoms[6], "N[0]" in out
    (2, ('M', '{[1]}', 'M[1]'), True)
    """
    if "[" not in text or not any("[" in key for key in symbols):
        return text, {}
    atoms: dict[int, tuple[str, str, str]] = {}
    out = text
    for m in _BRACKET_START.finditer(text):
        name = bracket_atom(m.group(2), m.group(3))
        if name not in symbols:
            continue
        atoms[m.start()] = (m.group(2), name[len(m.group(2)) + 1:], m.group(0))
        out = out[:m.start()] + "\ue00b" + " " * (m.end() - m.start() - 1) + out[m.end():]
    return out, atoms


def _declared_atoms(text: str, symbols: Mapping[str, Any]) -> tuple[
        str, dict[int, tuple[str, str, str]]]:
    r"""``text`` with each declared name whose subscript is an expression
    (``\mu_{q(1/\sigma^2)}``, see :func:`~elbo_derivation.read.declarations.atom_name`)
    replaced by U+E00B padded to its width, so that the grammar reads it as one atom; and,
    by where each starts, its base, its subscript (braced, as the name has it) and its text.

    >>> mu = sp.Symbol("mu_{q(1/sigma^2)}")
    >>> out, atoms = _declared_atoms(r"2\mu_{q(1/\sigma^2)} + a_{q(b)}", {mu.name: mu})
    >>> out.index("\ue00b"), atoms[1][:2], len(out)
    (1, ('mu', '{q(1/sigma^2)}'), 31)
    """
    out, atoms = _bracket_atoms(text, symbols)
    if "_" not in text or not any("{" in key for key in symbols):
        return out, atoms
    text = out
    for m in _ATOM_START.finditer(text):
        if not m.group(0).endswith("{"):
            continue
        end = _past_closing_brace(text, m.end() - 1)
        if end is None:
            continue
        name = atom_name(m.group(2), text[m.end():end - 1])
        if name is None or name not in symbols:
            continue
        atoms[m.start()] = (m.group(2), name[len(m.group(2)) + 1:], text[m.start():end])
        out = out[:m.start()] + "\ue00b" + " " * (end - m.start() - 1) + out[end:]
    return out, atoms


def _normalise(text: str) -> str:
    """Drop sizes and spacing, keeping every remaining character at its column."""
    def padded(m: re.Match[str], repl: str | None) -> str:
        new = repl if repl is not None else "\\" + m.group(1)  # None: the command named
        return new + " " * (len(m.group(0)) - len(new))

    text = DATA_INDEX.sub(lambda m: ("_{" + m.group(1) + "}").ljust(len(m.group(0))), text)
    if "\\in" in text:
        text = _SET_RANGE.sub(_set_range, text)
    if "^" in text:
        text = data_index_shifted(text)
    text = _EVALUATED.sub(lambda m: "\ue009" + " " * (len(m.group(1)) - 1) + m.group(2)
                          + "\ue00a" + " " * (len(m.group(3)) - 1), text)
    for pattern, repl in _SAME_WIDTH:
        text = pattern.sub(lambda m, r=repl: padded(m, r), text)
    if "\\in" in text:  # \sum_{x \in \mathcal{X}}: over every value, \sum_{x}
        text = _OVER_ALPHABET.sub(
            lambda m: (m.group(1) + "_{" + m.group(2) + "}").ljust(len(m.group(0))), text)
    if "]" in text:
        text = _evaluation_brackets(text)
    if "\\|" in text or "Vert" in text:
        text = _norm_bars(text)
    return _absolute_bars(text) if "|" in text else text


#: the name of an objective set first, a label: \mathcal{L}(\theta, \phi; x), \mathrm{ELBO},
#: J(\theta), a capital letter (its subscript and arguments included) — never an operator's
#: name (E, P, H, D, \operatorname{tr}, \mathrm{Var}: their errors are the reader's to say)
_NAMED_QUANTITY = re.compile(
    r"\s*((?:\\(?:mathcal|mathscr)\s*\{\s*[A-Z]\s*\}"
    r"|\\(?:mathrm|text|operatorname|mathsf)\s*\{\s*(?!(?:Var|Cov|KL|tr|det|diag|var|cov|"
    r"erf|erfc|sgn|sign|softplus|sigmoid|exp|log|max|min|Pr|E|P|H|D)\s*\})[A-Za-z]{3,}\s*\}"
    r"|(?![EPHDINVQ])[A-Z])(?:\s*_\s*(?:\{[^{}]*\}|\\?[A-Za-z0-9]+))?)\s*(?:\([^()]*\))?\s*$")

#: a sum or product over a set written out, ``\sum_{k \in \{0, 1\}}``,
#: ``\prod_{i \in \{1, \dots, N\}}``
_SET_RANGE = re.compile(
    r"\\(sum|prod)\s*_\s*\{\s*((?:\\[a-zA-Z]+|[a-zA-Z])(?:_\{?[a-zA-Z0-9]+\}?)?)\s*\\in"
    r"(?![a-zA-Z])\s*(?:\\left)?\s*\\\{(.*?)(?:\\right)?\s*\\\}\s*\}")
_DOTS = re.compile(r"^\\(?:l|c)?dots(?![a-zA-Z])$")


def _set_range(m: re.Match[str]) -> str:
    r"""``\sum_{k \in \{0, 1, 2\}}`` as ``\sum_{k=0}^{2}`` and ``\sum_{i \in \{1, \dots,
    N\}}`` as ``\sum_{i=1}^{N}`` (padded to the width written): a set of consecutive whole
    numbers, or a first one, a dots and a last; any other set is left as written (and
    refused by the grammar, never guessed).

    >>> _SET_RANGE.sub(_set_range, r"\sum_{k \in \{0, 1\}} f").split()
    ['\\sum_{k=0}^{1}', 'f']
    >>> _SET_RANGE.sub(_set_range, r"\prod_{i \in \{1, \ldots, N\}}").split()
    ['\\prod_{i=1}^{N}']
    """
    items = [part.strip() for part in m.group(3).split(",")]
    if len(items) == 3 and _DOTS.match(items[1]) and items[0] and items[2]:
        first, last = items[0], items[2]
    elif items and all(re.fullmatch(r"-?\d+", v) for v in items):
        numbers = [int(v) for v in items]
        if numbers != list(range(numbers[0], numbers[0] + len(numbers))):
            return m.group(0)
        first, last = str(numbers[0]), str(numbers[-1])
    else:
        return m.group(0)
    new = f"\\{m.group(1)}_{{{m.group(2)}={first}}}^{{{last}}}"
    return new.ljust(len(m.group(0))) if len(new) <= len(m.group(0)) else m.group(0)


#: ``\sum_{x \in \mathcal{X}}`` (Cover & Thomas): a sum over the alphabet of x, every value of
#: it, read as ``\sum_{x}`` (over the declared range of an integer, or the variable of a
#: declared density)
_OVER_ALPHABET = re.compile(
    r"(\\(?:sum|prod))\s*_\s*\{\s*((?:\\(?:mathbf|boldsymbol|bm)\s*\{\s*\\?[A-Za-z]+\s*\}"
    r"|\\?[A-Za-z]+)(?:_\{?\w+\}?)?)\s*\\in\s*\\mathcal\s*\{\s*[A-Za-z]\s*\}\s*\}")
def _script_end(text: str, i: int) -> int | None:
    """The index just past the script (``{...}``, a command such as ``\\infty`` or one
    letter or digit) starting at or after ``i``; None when none starts there."""
    while i < len(text) and text[i] == " ":
        i += 1
    if i >= len(text):
        return None
    if text[i] == "{":
        return _past_closing_brace(text, i)
    if text[i] == "\\":
        m = re.compile(r"\\[A-Za-z]+").match(text, i)
        return m.end() if m else None
    return i + 1 if text[i].isalnum() else None


def _evaluation_brackets(text: str) -> str:
    r"""The square brackets of an antiderivative between two ends, ``[F]_{a}^{b}`` (also
    ``[F]^{b}_{a}``; sizes already dropped), as U+E00C and U+E00D: a closing ``]`` followed by
    a lower and an upper limit, and the ``[`` that opens it at the same depth of braces.
    Brackets followed by one script only (``[x]_+``, ``\mathbb{E}[z]^2``) are left alone.

    >>> _evaluation_brackets(r"[\frac{u^3}{3}]_{-1}^{1} + [x]^2") == (
    ...     "\ue00c\\frac{u^3}{3}\ue00d_{-1}^{1} + [x]^2")
    True
    """
    out = list(text)
    for close in [i for i, ch in enumerate(text) if ch == "]"]:
        at = close + 1
        while at < len(text) and text[at] == " ":
            at += 1
        if at >= len(text) or text[at] not in "_^":
            continue
        first = text[at]
        end = _script_end(text, at + 1)
        if end is None:
            continue
        while end < len(text) and text[end] == " ":
            end += 1
        if end >= len(text) or text[end] != ("^" if first == "_" else "_"):
            continue
        if _script_end(text, end + 1) is None:
            continue
        depth, braces = 0, 0
        for j in range(close - 1, -1, -1):
            ch = text[j]
            braces += ch == "}"
            if ch == "{":
                if braces == 0:
                    break
                braces -= 1
            if braces:
                continue
            if ch == "]":
                depth += 1
            elif ch == "[":
                if depth == 0:
                    out[j], out[close] = "\ue00c", "\ue00d"
                    break
                depth -= 1
    return "".join(out)


#: ``\left. f \right|_{x = t}``: f evaluated at x = t (the bars as U+E009 and U+E00A)
_EVALUATED = re.compile(r"(\\left\s*\.)(.*?)(\\right\s*\|)(?=\s*_)", re.DOTALL)
_NORM_BAR = re.compile(r"\\(\||Vert(?![a-zA-Z])|lVert(?![a-zA-Z])|rVert(?![a-zA-Z]))")
_KL_BEFORE = re.compile(r"KL\s*(\}\s*){0,2}$")


def _norm_bars(text: str) -> str:
    """``\\|x - \\mu\\|`` (also ``\\Vert``, ``\\lVert ... \\rVert``): the bars of a norm as
    U+E007 (open) and U+E008 (close), padded to their width, except where ``\\|`` separates
    the two densities of a KL divergence (inside a call's brackets, ``\\mathrm{KL}(q \\| p)``,
    or a KL's square brackets, ``D_{\\mathrm{KL}}[q \\| p]``)."""
    out = list(text)
    stack: list[tuple[bool, list[tuple[int, int, str]]]] = [(False, [])]

    def close(level: tuple[bool, list[tuple[int, int, str]]]) -> None:
        bars = level[1]
        if len(bars) % 2 or any(kind == "rVert" for _, _, kind in bars[::2]) or any(
                kind == "lVert" for _, _, kind in bars[1::2]):
            return  # unpaired or crossed: left as written, for the grammar to report
        for k, (start, end, _) in enumerate(bars):
            out[start] = "\ue008" if k % 2 else "\ue007"
            for j in range(start + 1, end):
                out[j] = " "

    i = 0
    while i < len(text):
        ch = text[i]
        m = _NORM_BAR.match(text, i) if ch == "\\" else None
        if m is not None:
            if not stack[-1][0]:
                stack[-1][1].append((i, m.end(), m.group(1)))
            i = m.end()
            continue
        if ch == "\\":  # another command (\\{, \\\\): skip its escaped character
            i += 2
            continue
        if ch in "([{":
            before = text[:i]
            separating = (ch == "(" and bool(_CALL_BEFORE.search(before))
                          and not _EXPECTATION_BEFORE.search(before)) or (
                ch == "[" and bool(_KL_BEFORE.search(before)))
            stack.append((separating, []))
        elif ch in ")]}" and len(stack) > 1:
            close(stack.pop())
        i += 1
    while stack:
        close(stack.pop())
    return "".join(out)


_CALL_BEFORE = re.compile(r"([a-zA-Z}']|\\[a-zA-Z]+)\s*$")
#: an expectation's subscript: the round bracket after it holds the expectation's argument,
#: \mathbb{E}_{p(g)}\left(\|Ag\|^2\right), not the arguments of a call
_EXPECTATION_BEFORE = re.compile(
    r"(\\(mathbb|mathrm|operatorname|mathbf|mathsf|bm)\s*\{\s*E\s*\}|(?<![a-zA-Z\\])E)"
    r"\s*_\s*\{([^{}]|\{([^{}]|\{[^{}]*\})*\})*\}\s*$")


def _absolute_bars(text: str) -> str:
    """Bare ``|`` bars that delimit an absolute value, as U+E000 (open) and U+E001 (close).

    A ``|`` inside the brackets of a call such as ``q(z|x)`` (a bracket right after a name)
    separates arguments; every other ``|`` opens or closes an absolute value, in turn at
    its bracket level: ``|x - \\mu|``, ``\\exp(-|x|/b)``.
    """
    out = list(text)
    # per bracket level: is it a call's bracket, and the positions of its bars
    stack: list[tuple[bool, list[int]]] = [(False, [])]

    def close(level: tuple[bool, list[int]]) -> None:
        bars = level[1]
        if len(bars) % 2:  # unpaired: leave them as written, for the grammar to report
            return
        doubled = bars[::2] == [b - 1 for b in bars[1::2]]
        if doubled and len(bars) % 4 == 0:
            # every bar of the level doubled, ||x - \mu||^2: the bars of a norm (as \|), which
            # of a number is its absolute value; |a||b| (single bars) stays a product
            for k, pos in enumerate(bars[::2]):
                out[pos], out[pos + 1] = ("\ue008" if k % 2 else "\ue007"), " "
            return
        for k, pos in enumerate(bars):
            out[pos] = "\ue001" if k % 2 else "\ue000"

    for i, ch in enumerate(text):
        if ch in "([{":
            before = text[:i]
            call = ch == "(" and bool(_CALL_BEFORE.search(before)) and not re.search(
                r"\\(log|ln|exp|tanh|sinh|cosh|coth|arctan|sin|cos|tan|sqrt|left|Gamma)\s*$",
                before)
            stack.append((call, []))
        elif ch in ")]}":
            if len(stack) > 1:
                close(stack.pop())
        elif ch == "|" and (i == 0 or text[i - 1] != "\\") and not stack[-1][0]:
            stack[-1][1].append(i)
    while stack:
        close(stack.pop())
    return "".join(out)


class _Where:
    """Turns a position inside the expression into FILE:LINE:COLUMN."""

    def __init__(self, file: str | None, line: int | None, column: int | None) -> None:
        self.file, self.line, self.column = file, line, column

    def error(self, message: str, line: int | None = 1, column: int | None = 1,
              ) -> DerivationSyntaxError:
        line = line or 1
        out_line = (self.line or 1) + line - 1
        out_col = column
        if column is not None and line == 1 and self.column is not None:
            out_col = self.column + column - 1
        return DerivationSyntaxError(message, file=self.file, line=out_line, column=out_col)


def _pos(offset: int, text: str) -> tuple[int, int]:
    """Line and column (from 1) of ``offset`` in ``text``."""
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, column


class _Name:
    """A name as written, resolved to a declared symbol when its use is known."""

    def __init__(self, base: str, sub: str | None, accent: str | None, written: str,
                 line: int, column: int) -> None:
        self.base, self.sub, self.accent = base, sub, accent
        self.written, self.line, self.column = written, line, column

    def candidates(self) -> list[str]:
        base = self.base
        bases = [base] if base not in _GREEK_ALIASES else [base, _GREEK_ALIASES[base]]
        bases += [_SHORT_NAMES[b] for b in bases if b in _SHORT_NAMES]
        out: list[str] = []
        for b in bases:
            stems = [b]
            if self.accent:
                stems = [f"{b}_{self.accent}", f"{b}{self.accent}"]
            for stem in stems:
                if self.sub is None:
                    out.append(stem)
                elif self.sub.startswith("{"):  # an expression subscript, kept whole
                    out.append(f"{stem}_{self.sub}")
                else:
                    out += [f"{stem}_{self.sub}", f"{stem}{self.sub}"]
        return list(dict.fromkeys(out))


class _ConstantName(_Name):
    """``\\pi`` where a density of that name is declared: the density when its declared
    arguments follow, the constant π otherwise."""


class _Paren:
    """A bracket ``( ... )`` read as a tuple, in case it holds a density's arguments."""

    def __init__(self, parts: list[Any], seps: list[str], line: int, column: int) -> None:
        self.parts, self.seps, self.line, self.column = parts, seps, line, column


class _Power:
    """``base^exponent`` whose base may still be a name or a bracket (``q(z)^2``)."""

    def __init__(self, base: Any, exponent: Any, line: int, column: int) -> None:
        self.base, self.exponent, self.line, self.column = base, exponent, line, column


class _Big:
    """An integral, expectation or KL: it ends the argument of a preceding ``\\log``."""

    def __init__(self, value: sp.Expr) -> None:
        self.value = value


class _DifferentialFirst(_Big):
    """``\\int dz`` with the integrand after the differential, ``\\int dz\\, q(z) z^2``
    (physics' order): the rest of the product is the integrand. Alone (``\\int_a^b dx``) it
    is the integral of 1."""


class _Prefix:
    """``\\log``/``\\exp`` and its argument so far; the product it sits in may extend it."""

    def __init__(self, fn: Any, args: list[Any], whole: bool = False,
                 product_over: Any = None) -> None:
        #: ``whole``: the operator takes the whole product that follows, \log and integrals
        #: included (a sum or product sign: its summand runs to the next + or -)
        self.fn, self.args, self.whole = fn, args, whole
        #: the index of a product sign \prod (None for every other operator)
        self.product_over = product_over


class _Order:
    """The order ``^n`` of a derivative operator: a positive integer."""

    def __init__(self, value: sp.Expr) -> None:
        self.value = value


class _DVar:
    """One ``dx`` (or ``\\partial x^2``) below the bar of a derivative."""

    def __init__(self, var: sp.Symbol, order: int) -> None:
        self.var, self.order = var, order


class _DOp:
    """``\\frac{d}{dx}``: a derivative waiting for what it applies to."""

    def __init__(self, variables: list[tuple[sp.Symbol, int]], partial: bool = False) -> None:
        self.variables = variables
        self.partial = partial  # written with ∂, shown so
        self.square = False  # with respect to the square of its one variable (∂/∂σ²)

    def __call__(self, expr: sp.Expr) -> sp.Expr:
        check = getattr(self, "check", None)
        if check is not None:
            check(expr)
        if self.square:
            return written_square_derivative(expr, self.variables[0][0], self.partial)
        return written_derivative(expr, self.variables, self.partial)


#: Highest order of a derivative that is read.
MAX_DERIVATIVE_ORDER = 10


class _Family:
    """``\\mathcal{N}(\\mu, \\sigma^2)``: the family itself, which only a draw takes
    (``\\mathbb{E}_{\\epsilon \\sim \\mathcal{N}(0, 1)}``)."""

    def __init__(self, mean: sp.Expr, variance: sp.Expr, line: int, column: int) -> None:
        self.mean, self.variance, self.line, self.column = mean, variance, line, column


class _Bracketed:
    """A value that came from a bracket: ``\\log(a) b`` applies the log to it alone."""

    def __init__(self, value: sp.Expr) -> None:
        self.value = value


#: matrix functions written as words: \operatorname{tr}, \mathrm{Tr}, \operatorname{diag}
_MATRIX_WORDS = {"tr": "tr", "Tr": "tr", "trace": "tr", "diag": "diag", "det": "det",
                 "logdet": "logdet"}

_ACCENT_NAMES = {"hat": "hat", "widehat": "hat", "bar": "bar", "overline": "bar",
                 "tilde": "tilde", "widetilde": "tilde"}


class _Builder(Transformer_NonRecursive):
    """Parse tree → SymPy, from a fixed vocabulary; names resolved against ``symbols``."""

    def __init__(self, symbols: Mapping[str, sp.Symbol], functions: Mapping[str, Any],
                 where: _Where, indexed: Mapping[str, sp.IndexedBase] | None = None,
                 ranges: Mapping[str, sp.Interval] | None = None,
                 definitions: MutableMapping[str, sp.Expr] | None = None) -> None:
        super().__init__()
        #: a declared d before a name is a product: the expression holds no integral
        self.d_is_product = False
        self.atoms: dict[int, tuple[str, str, str]] = {}
        self.symbols = symbols
        self.functions = functions
        self.where = where
        self.indexed = indexed or {}
        self.ranges = ranges or {}
        self.definitions = definitions
        #: variables bound by a sum or product over a name declared nowhere (written, symbol)
        self.bound: list[tuple[str, sp.Symbol]] = []
        #: the variables bound by an antiderivative between two ends, [F]_a^b
        self.between_bound: set[sp.Symbol] = set()

    # helpers ---------------------------------------------------------------------------
    def err(self, message: str, node: Any) -> DerivationSyntaxError:
        line = getattr(node, "line", None) or 1
        column = getattr(node, "column", None) or 1
        return self.where.error(message, line, column)

    def resolve_name(self, name: _Name) -> sp.Expr:
        if isinstance(name, _ConstantName):
            return sp.pi
        for cand in name.candidates():
            if cand in self.symbols:
                return self.symbols[cand]
        if name.sub is not None:  # I_D, \mathbf{I}_3: a declared identity of that dimension
            whole = _Name(name.base, None, name.accent, name.written, name.line, name.column)
            for cand in whole.candidates():
                value = self.symbols.get(cand)
                if isinstance(value, sp.Identity):
                    if str(value.rows) != name.sub:
                        raise self.err(f"'{name.written}': '{cand}' is declared the identity "
                                       f"of dimension {value.rows}, not {name.sub}", name)
                    return value
        if name.sub is not None and self.indexed:
            whole = _Name(name.base, None, name.accent, name.written, name.line, name.column)
            for cand in whole.candidates():
                if cand in self.indexed:  # \mu_j: entry j of the declared vector mu
                    return self.indexed[cand][self.vector_index(name)]
        if name.sub is not None and "," in name.sub and self.indexed:
            # \mu_{1,d}: entry d of the declared vector mu1 (a vector with a subscript)
            head, _, rest = name.sub.strip("{}").partition(",")
            vector = _Name(name.base, head, name.accent, name.written, name.line, name.column)
            for cand in vector.candidates():
                if cand in self.indexed and rest:
                    at = _Name(name.base, rest if re.fullmatch(r"\w+", rest) else f"{{{rest}}}",
                               name.accent, name.written, name.line, name.column)
                    return self.indexed[cand][self.vector_index(at)]
        if name.sub is not None and "," in name.sub:  # w_{t,i}: declared w(t,i) at (t, i)
            entry = self.entry_of_two(name)
            if entry is not None:
                return entry
        if name.sub is not None:  # \mu_j: the declared indexed quantity \mu_d at j
            whole = _Name(name.base, None, name.accent, name.written, name.line, name.column)
            if any(sequence_at(self.functions, [cand], [sp.Integer(0)]) is not None
                   for cand in whole.candidates()):
                entry = sequence_at(self.functions, whole.candidates(),
                                    [self.vector_index(name)])
                if entry is not None:
                    return entry
        if name.sub is not None:  # ᾱ_{t−1}, the let ᾱ_t at another index
            defined = self.defined_sequence(name)
            if defined is not None:
                return defined
        if name.base == "e" and name.sub is None and name.accent is None:
            return sp.E
        if name.base in ("d", "partial") and name.sub is None and name.accent is None:
            # never suggest declaring d: d·h would then be read where a derivative is meant
            raise self.err(
                f"'{name.written}' is not a quantity here: write a derivative as "
                "\\frac{d}{dx}\\left(...\\right) or \\frac{d f}{d x} (\\partial for a partial "
                "derivative), and an integral's differential after its integrand, "
                "\\int f(x)\\, dx",
                name,
            )
        cands = name.candidates()
        example = cands[0]
        if name.base == "I" and (name.accent in (None, "mathbf", "mathrm") or name.sub):
            raise self.err(  # the identity matrix, as a textbook writes it
                f"undeclared symbol '{name.written}': the identity matrix is declared with its "
                "dimension, '% symbols: I : identity(D)' ('\\mathbf{I}' and 'I_D' then name "
                "it), a number by '% symbols: I : real'", name)
        raise self.err(
            f"undeclared symbol '{name.written}' (looked for {', '.join(cands)}): declare it, "
            f"e.g. 'symbols: {example} : real' ('% symbols: ...' in a .tex file)",
            name,
        )

    def defined_sequence(self, name: _Name) -> sp.Symbol | None:
        """``\\bar{\\alpha}_{t-1}`` where ``% let: \\bar{\\alpha}_t = \\prod_{s=1}^{t}
        \\alpha_s`` defines the indexed name for every t (an index declared integer): a let
        name of its own, shown as written, whose definition is the let's at that index (the
        cumulative product of a noise schedule at t − 1, Ho, Jain & Abbeel 2020, sec. 2);
        None when no such let is declared or the index would be captured by a bound
        variable of the definition."""
        if not isinstance(self.definitions, MutableMapping) or not isinstance(
                self.symbols, MutableMapping):
            return None
        whole = _Name(name.base, None, name.accent, name.written, name.line, name.column)
        for stem in whole.candidates():
            for let, value in list(self.definitions.items()):
                index = self.symbols.get(let[len(stem) + 1:]) if let.startswith(
                    stem + "_") else None
                if (not isinstance(index, sp.Symbol) or index.is_integer is not True
                        or str(index) in self.definitions):
                    continue
                try:
                    at = self.vector_index(name)
                except DerivationSyntaxError:
                    return None
                bound = {lim[0] for n in value.atoms(sp.Sum, sp.Product, sp.Integral)
                         for lim in n.limits}
                if at.free_symbols & bound:
                    return None
                new = name.candidates()[0]
                with sp.evaluate(True):
                    self.definitions[new] = value.xreplace({index: at})
                self.symbols[new] = sp.Symbol(new)
                return self.symbols[new]
        return None

    def entry_of_two(self, name: _Name) -> sp.Expr | None:
        """``w_{t,i}``, ``w_{t,1}``: the quantity declared with two indices (``% functions:
        w_{t,i} : positive``) at these indices, each a number or a symbol declared integer;
        None when nothing is declared so."""
        indices: list[sp.Expr] = []
        for part in name.sub[1:-1].split(","):
            plain = _GREEK_ALIASES.get(part.lstrip("\\"), part.lstrip("\\"))
            value = sp.Integer(int(part)) if part.isdigit() else self.symbols.get(plain)
            if value is None or value.is_integer is not True:
                raise self.err(f"the index '{part}' of '{name.written}' must be a number or a "
                               "symbol declared integer", name)
            indices.append(value)
        whole = _Name(name.base, None, name.accent, name.written, name.line, name.column)
        found = {value.func for cand in whole.candidates()
                 for sig, value in self.functions.items()
                 if sig.startswith(cand + "(") and isinstance(value, sp.core.function.AppliedUndef)
                 and len(value.args) == len(indices)
                 and all(getattr(a, "is_integer", None) is True for a in value.args)}
        return found.pop()(*indices) if len(found) == 1 else None

    def vector_index(self, name: _Name) -> sp.Expr:
        sub = name.sub or ""
        if sub.isdigit():
            return sp.Integer(int(sub))
        if sub.startswith("{"):  # \mu_{d+1}: a declared sequence at an index expression
            terms: list[sp.Expr] = []
            for sign, term in re.findall(r"([-+]?)([A-Za-z0-9]+)", sub[1:-1]):
                value = sp.Integer(int(term)) if term.isdigit() else self.symbols.get(term)
                if value is None or not value.is_integer:
                    raise self.err(f"the index '{sub[1:-1]}' of '{name.written}' must be "
                                   "numbers and symbols declared integer, added or "
                                   "subtracted", name)
                terms.append(-value if sign == "-" else value)
            return sp.Add(*terms)
        index = self.symbols.get(sub)
        if index is None or not index.is_integer:
            raise self.err(f"the index '{sub}' of '{name.written}' must be a number or a "
                           "symbol declared integer", name)
        return index

    def value(self, obj: Any) -> sp.Expr:
        """A finished SymPy expression from any intermediate object."""
        if isinstance(obj, (_Bracketed, _Big)):
            return obj.value
        if isinstance(obj, _Prefix):  # \ln\sigma(a): shown without brackets, as written
            return written_bare_log(obj.fn(self._multiply(obj.args)))
        if isinstance(obj, _Name):
            return self.resolve_name(obj)
        if isinstance(obj, _Paren):
            if obj.seps:
                sep = obj.seps[0]
                raise self.err(
                    f"unexpected '{sep}' in a bracket: only a declared density such as "
                    "'q(z|x)' takes arguments separated by '|' or ','",
                    obj,
                )
            return self.value(obj.parts[0])
        if isinstance(obj, _Power):
            return self.power_of(self.value(obj.base), obj.exponent, obj)
        if isinstance(obj, _Family):
            raise self.err("\\mathcal{N}(\\mu, \\sigma^2) is a family, not a number: its "
                           "density at x is \\mathcal{N}(x; \\mu, \\sigma^2); a draw from it "
                           "is written \\mathbb{E}_{x \\sim \\mathcal{N}(\\mu, \\sigma^2)}[...]",
                           obj)
        return obj

    def power_of(self, base: sp.Expr, exponent: sp.Expr, where: Any) -> sp.Expr:
        if exponent.is_Integer and abs(int(exponent)) > MAX_EXPONENT:
            raise self.err(
                f"exponent too large: {exponent} (at most {MAX_EXPONENT} in absolute value)",
                where,
            )
        if exponent.is_Rational and not exponent.is_Integer and (
            abs(exponent.p) > MAX_EXPONENT or exponent.q > MAX_EXPONENT  # type: ignore[attr-defined]
        ):
            raise self.err(f"exponent too large: {exponent}", where)
        if base.is_Number and exponent.is_Number:
            if abs(float(exponent)) * len(str(abs(base))) > MAX_NUMBER_DIGITS:
                raise self.err(
                    f"number too large: {base}^{exponent} has more than {MAX_NUMBER_DIGITS} "
                    "digits",
                    where,
                )
        if matrices.is_matrix(base):
            try:
                return matrices.power(base, exponent)
            except matrices.MatrixReadError as err:
                raise self.err(str(err), where) from None
        return written_power(base, exponent)

    def density_variable(self, density: sp.Expr, where: Any) -> sp.Symbol:
        """The variable a density is over: its first argument."""
        if isinstance(density, sp.core.function.AppliedUndef) and density.args:
            var = density.args[0]
            if isinstance(var, (sp.Symbol, sp.MatrixSymbol)):
                return var
        for sig, value in self.functions.items():
            if value == density:
                inner = sig[sig.index("(") + 1: -1]
                first = re.split(r"[|,]", inner)[0].strip()
                if first in self.symbols:
                    return self.symbols[first]
        raise self.err(
            "expected a declared density such as q(z|x) (its first argument is the variable "
            "of the expectation)",
            where,
        )

    def special_function(self, name: _Name) -> Any:
        """``\\Gamma`` or ``\\psi`` written before a bracket, and declared neither as a symbol
        nor as a function: Euler's Γ, the digamma function ψ = Γ'/Γ (Bishop 2006, eq. (B.25));
        else None."""
        fn = {"\\Gamma": sp.gamma, "\\psi": sp.digamma, **LETTER_FUNCTIONS}.get(
            name.written.strip())
        if fn is None and name.written.startswith("\\"):  # \operatorname{sigmoid}(x)
            fn = NAMED_FUNCTIONS.get(name.base)
        if fn is None or name.sub is not None or any(
                c in self.symbols or any(sig.startswith(c + "(") for sig in self.functions)
                for c in name.candidates()):
            return None
        return fn

    def try_apply(self, name: _Name, paren: _Paren) -> sp.Expr | None:
        """``name(args)`` when that signature is declared, else None."""
        args: list[str] = []
        for part in paren.parts:
            v = self.value(part) if not isinstance(part, _Name) else None
            if isinstance(part, _Name):
                try:
                    v = self.resolve_name(part)
                except DerivationSyntaxError:
                    return None
            if not isinstance(v, (sp.Symbol, sp.MatrixSymbol)) and not is_sequence_entry(v):
                if not isinstance(v, sp.Integer) or paren.seps:
                    # f(\mu + \sigma\epsilon): a declared function at a point of its domain
                    return self.function_at_point(name, paren)
                args = []  # f(1): a declared sequence (a function of an integer) at 1
                break
            args.append(str(v))
        text = args[0] if args else ""
        for sep, arg in zip(paren.seps, args[1:], strict=True):
            text += sep + arg
        for cand in [*name.candidates(), name.base] if args else []:
            sig = f"{cand}({text})"
            if sig in self.functions:
                return self.functions[sig]
        # a declared density (or function) applied at another point: q(h_1|x) is the
        # declared q(h|x) at h = h_1; only the arguments change
        values = [self.value(p) if not isinstance(p, _Name) else self.resolve_name(p)
                  for p in paren.parts]
        # a joint, marginal or conditional of a family declared by its factors (Bishop's
        # p(x_1, z_2) beside p(z_1), p(x_1|z_1), p(z_2|z_1)): a density of the model
        for cand in [*name.candidates(), name.base] if args else []:
            found = model_density(self.functions, f"{cand}({text})", values)
            if found is None:  # P(c, x) beside P(x) and P(c|x): their joint
                found = chain_joint(self.functions, f"{cand}({text})", values)
            if found is not None:
                return found
        shapes = set()
        for cand in [*name.candidates(), name.base]:
            for sig, declared in self.functions.items():
                if not sig.startswith(cand + "("):
                    continue
                inner = sig[len(cand) + 1: -1]
                seps = [ch for ch in inner if ch in "|,"]
                if isinstance(declared, sp.core.function.AppliedUndef):
                    params = list(declared.args)
                else:  # a density declared in a family: its formula, at the new point
                    params = [self.symbols.get(n.strip()) for n in re.split(r"[|,]", inner)]
                if seps == paren.seps and len(params) == len(values) and all(
                        p is not None and is_copy_of(v, p)
                        for v, p in zip(values, params, strict=True)):
                    shapes.add(declared.func if isinstance(
                        declared, sp.core.function.AppliedUndef) else (declared, tuple(params)))
        if len(shapes) == 1:  # only when the declared density meant is the only candidate
            found = shapes.pop()
            if isinstance(found, tuple):
                formula, params = found
                return formula.xreplace(dict(zip(params, values, strict=True)))
            return found(*values)
        if not paren.seps:  # \mu(j): the declared indexed quantity \mu_d at j
            entry = sequence_at(self.functions, [*name.candidates(), name.base], values)
            if entry is not None:
                return entry
        return self.function_at_point(name, paren)

    def function_at_point(self, name: _Name, paren: _Paren) -> sp.Expr | None:
        r"""A declared function (never a density) at a point of its domain, ``f(\mu +
        \sigma\epsilon)`` for the declared ``f(z)`` (:func:`function_at`); else None."""
        if any(sep == "|" for sep in paren.seps):
            return None
        values = [self.value(p) if not isinstance(p, _Name) else self.resolve_name(p)
                  for p in paren.parts]
        if not all(isinstance(v, sp.Expr) for v in values):
            return None
        ranges = {str(k) for k in self.ranges}
        return function_at(self.functions, [*name.candidates(), name.base], values,
                           {self.symbols[k] for k in ranges if k in self.symbols})

    def signal_sample(self, name: _Name, nxt: Any) -> sp.Expr | None:
        """``x[n]`` (also ``x[n]^2``, ``x[n-1]``): the declared sequence x (``% functions:
        x[n] : real``, as a signal's samples are written) at the index in the square bracket,
        else None. A name that is a declared symbol keeps the bracket as a factor (a[b + c])."""
        bracket = nxt.base if isinstance(nxt, _Power) else nxt
        if (not isinstance(bracket, _Bracketed) or name.sub is not None
                or any(c in self.symbols for c in [*name.candidates(), name.base])):
            return None
        index = bracket.value
        if not isinstance(index, sp.Expr) or index.is_integer is not True:
            return None
        value = sequence_at(self.functions, [*name.candidates(), name.base], [index])
        if value is not None and isinstance(nxt, _Power):
            value = self.power_of(value, nxt.exponent, nxt)
        return value

    def indexed_value(self, name: _Name) -> sp.Expr | None:
        """The value of ``x_i`` when it is a declared indexed quantity at its index (the
        declared ``x_i`` or ``x(i)`` at i), else None: such a name already has its argument,
        so a bracket after it, ``x_i(y_i - p_i)``, multiplies it, as a textbook means."""
        if name.sub is None or any(c in self.symbols for c in name.candidates()):
            return None
        try:
            value = self.resolve_name(name)
        except DerivationSyntaxError:
            return None
        return value if isinstance(value, (sp.core.function.AppliedUndef, sp.Indexed)) else None

    def unknown_density(self, name: _Name, paren: _Paren) -> DerivationSyntaxError:
        for part in paren.parts:  # q(h_1|x) with h_1 undeclared: the copy needs declaring
            if isinstance(part, _Name) and part.sub is not None:
                try:
                    value = self.resolve_name(part)
                except DerivationSyntaxError:
                    value = None
                # unreadable, or y_i, a sample declared beside the plain y (an entry of
                # a sequence): the density at it is not declared
                if value is None or (isinstance(value, sp.core.function.AppliedUndef)
                                     and not any(c in self.symbols
                                                 for c in part.candidates())):
                    whole = _Name(part.base, None, part.accent, part.written, part.line,
                                  part.column)
                    found = next((c for c in whole.candidates() if c in self.symbols), None)
                    index = self.symbols.get(part.sub.lstrip("\\"))
                    if found is not None and index is not None and index.is_integer:
                        # x_i with i an index: the i-th data point, not one fixed copy
                        return self.err(
                            f"{name.written}(...) at '{part.written}', a quantity that changes "
                            f"with the index {index}, is not read: a density is read at "
                            f"{found} or at a declared copy such as {found}_1 ('% symbols: "
                            f"{found}_1 : real'); write a sum over data points of a declared "
                            f"quantity instead, e.g. '% functions: \\ell_{index} : real' for "
                            f"\\log {name.written}({part.written}|...)", part)
                    if value is None and found is not None and isinstance(
                            self.symbols[found], sp.Symbol):
                        copy = part.candidates()[0]
                        words = self.symbols[found].assumptions0
                        kind = next((w for w in ("positive", "nonnegative", "integer", "real")
                                     if words.get(w)), "real")
                        return self.err(
                            f"'{part.written}' is not declared: to write "
                            f"{name.written}(...) at a copy of {found}, declare it as {found} "
                            f"is declared ('% symbols: {copy} : {kind}')", part)
        known = sorted(self.functions)
        written = f"{name.written}(...)"
        hint = f"declared: {', '.join(known)}" if known else (
            "declare it, e.g. 'densities: q(z|x)' ('% densities: ...' in a .tex file)"
        )
        return self.err(f"'{written}' is not a declared density; {hint}", name)

    # atoms -----------------------------------------------------------------------------
    def number(self, c: list[Token]) -> sp.Expr:
        tok = c[0]
        text = str(tok)
        if len(text) > MAX_NUMBER_DIGITS:
            raise self.err(f"number too large: more than {MAX_NUMBER_DIGITS} digits", tok)
        frac = Fraction(text)
        return sp.Rational(frac.numerator, frac.denominator)

    def name(self, c: list[Token]) -> _Name:
        base_tok = c[0]
        base = str(base_tok).lstrip("\\")
        sub = _sub_text(c[1]) if len(c) > 1 else None
        written = "".join(str(t) for t in c)
        return _Name(base, sub, None, written, base_tok.line, base_tok.column)

    def declared_atom(self, c: list[Token]) -> _Name:
        """A declared name with an expression subscript (:func:`_declared_atoms`)."""
        tok = c[0]
        base, sub, written = self.atoms[tok.start_pos]
        return _Name(base, sub, None, written, tok.line, tok.column)

    def starred(self, c: list[Token]) -> _Name:
        """``\\theta^*``: the starred name, the same as ``\\theta_*`` (theta_star)."""
        base_tok = c[0]
        return _Name(str(base_tok).lstrip("\\"), STAR, None, f"{base_tok}{c[1]}",
                     base_tok.line, base_tok.column)

    def accented(self, c: list[Token]) -> _Name:
        acc_tok, base_tok = c[0], c[1]
        accent_cmd = str(acc_tok).lstrip("\\")
        accent = _ACCENT_NAMES.get(accent_cmd)
        base = str(base_tok).lstrip("\\")
        sub = _sub_text(c[2]) if len(c) > 2 else None
        written = f"{acc_tok}{{{base_tok}}}" + (str(c[2]) if len(c) > 2 else "")
        return _Name(base, sub, accent, written, acc_tok.line, acc_tok.column)

    def accented_word(self, c: list[Token]) -> _Name:
        """``\\hat{\\mathrm{ab}}``: the name ab under the accent, as ``\\hat{a}`` is a."""
        acc_tok, word_tok = c[0], c[1]
        accent = _ACCENT_NAMES.get(str(acc_tok).lstrip("\\"))
        inner = str(word_tok)[str(word_tok).index("{") + 1: -1].strip()
        sub = _sub_text(c[2]) if len(c) > 2 else None
        written = f"{acc_tok}{{{word_tok}}}" + (str(c[2]) if len(c) > 2 else "")
        return _Name(inner, sub, accent, written, acc_tok.line, acc_tok.column)

    def word(self, c: list[Token]) -> _Name:
        tok = c[0]
        inner = str(tok)[str(tok).index("{") + 1: -1].strip()
        sub = _sub_text(c[1]) if len(c) > 1 else None
        return _Name(inner, sub, None, str(tok), tok.line, tok.column)

    def pi(self, c: list[Token]) -> Any:
        """``\\pi``: the constant, unless a density is declared under that name (π(θ|x),
        Robert 2007): then a name that is the density before its arguments and the
        constant everywhere else (``2\\pi\\sigma^2``); a π declared a symbol (a binomial
        proportion, ``% symbols: 0 < \\pi < 1``) is that symbol everywhere."""
        if "pi" in self.symbols:
            return self.symbols["pi"]
        if any(sig.startswith("pi(") for sig in self.functions):
            tok = c[0]
            return _ConstantName("pi", None, None, str(tok), tok.line, tok.column)
        return sp.pi

    def infty(self, c: list[Token]) -> sp.Expr:
        return sp.oo

    def group(self, c: list[Any]) -> Any:
        v = self.value(c[0])
        return _Bracketed(v)

    def paren(self, c: list[Any]) -> _Paren:
        parts: list[Any] = [c[0]]
        seps: list[str] = []
        for item in c[1:]:
            if isinstance(item, Token) and item.type == "SEP":
                sep = str(item)
                seps.append("|" if sep.startswith(("\\mid", "\\vert")) else sep if sep in ",|"
                            else "||")
            else:
                parts.append(item)
        first = c[0]
        line = getattr(first, "line", 1)
        column = getattr(first, "column", 1)
        return _Paren(parts, seps, line, max((column or 2) - 1, 1))

    def frac(self, c: list[Any]) -> sp.Expr:
        num, den = self.value(c[1]), self.value(c[2])
        for tok, v in ((c[1], num), (c[2], den)):
            if isinstance(tok, sp.Integer) and abs(int(tok)) >= 10:
                raise self.err(
                    "a \\frac argument without braces is one character: write \\frac{..}{..}",
                    c[0],
                )
            del v
        if den == 0:
            raise self.err("division by zero in \\frac", c[0])
        return num / den

    def over_frac(self, c: list[Any]) -> sp.Expr:
        """``{a \\over b}``: plain TeX's fraction a/b."""
        num, den = self.value(c[0]), self.value(c[2])
        if den == 0:
            raise self.err("division by zero in \\over", c[1])
        return num / den

    def over_binom(self, c: list[Any]) -> sp.Expr:
        """``{n \\choose k}``: plain TeX's binomial coefficient, \\binom{n}{k}."""
        return sp.binomial(self.value(c[0]), self.value(c[2]))

    def entropy_written(self, c: list[Any]) -> sp.Expr:
        """``H[q]``, ``\\mathcal{H}[q(z|x)]``, ``\\mathbb{H}(q)``: the entropy of a declared
        density (:meth:`entropy_of`); a declared H before a bracket multiplies it."""
        tok, inner = c
        paren = inner if isinstance(inner, _Paren) else _Paren([inner], [], tok.line,
                                                                tok.column)
        name = _Name("H", None, None, str(tok).strip(), tok.line, tok.column)
        if any(k in self.symbols for k in name.candidates()) and str(tok).strip() == "H":
            return self.resolve_name(name) * self.value(inner)
        found = self.entropy_of(name, paren)
        if found is None:
            raise self.err(f"{str(tok).strip()}[...] is read as the entropy of a declared "
                           "density: write H[q(z|x)] or H[q] with q declared under "
                           "'% densities:'", tok)
        return found

    def max_min(self, c: list[Any]) -> sp.Expr:
        """``\\max(a, b)``, ``\\min\\{a, b, c\\}``: the largest (smallest) of the values."""
        tok, paren = c
        if len(paren.parts) < 2 or any(s != "," for s in paren.seps):
            raise self.err(f"{str(tok).strip()} takes two or more values separated by commas: "
                           f"{str(tok).strip()}(a, b)", tok)
        fn = sp.Max if "max" in str(tok) else sp.Min
        return fn(*(self.value(p) for p in paren.parts))

    def floor(self, c: list[Any]) -> sp.Expr:
        """``\\lfloor x \\rfloor``: the largest integer not above x."""
        return sp.floor(self.scalar_of(c[1], c[0]))

    def ceiling(self, c: list[Any]) -> sp.Expr:
        """``\\lceil x \\rceil``: the smallest integer not below x."""
        return sp.ceiling(self.scalar_of(c[1], c[0]))

    def scalar_of(self, item: Any, where: Any) -> sp.Expr:
        """The value of ``item``, which must be a number (not a vector or matrix)."""
        value = self.value(item)
        if matrices.is_matrix(value):
            raise self.err("expected a number here, not a vector or matrix (in a floor, a "
                           "ceiling, or a relation of an indicator or probability)", where)
        return value

    def inner_product(self, c: list[Any]) -> sp.Expr:
        """``\\langle a, b \\rangle``: the inner product aᵀb of two declared vectors of one
        length. Of anything else (numbers, functions) it is refused: the bracket may mean an
        integral of a product or an expectation, which the text does not say."""
        tok, sep = c[0], c[2]
        left, right = self.value(c[1]), self.value(c[3])
        if str(sep) != "," or not (
                matrices.is_matrix(left) and matrices.is_matrix(right)
                and left.shape[1] == 1 and right.shape[1] == 1):
            raise self.err("\\langle a, b \\rangle is read as the inner product a^\\top b of "
                           "two vectors declared with '% symbols: a, b : vector(D) real'; "
                           "for other quantities write the product or the integral meant",
                           tok)
        return self.matrix_product([self.matrix_function("transpose", tok)(left), right], tok)

    def relation(self, c: list[Any]) -> tuple[sp.Expr, str, sp.Expr, Any]:
        """``x > 0``, ``y = k``, ``X \\le t``: the two sides and the relation, as written."""
        op = str(c[1]).strip().lstrip("\\")
        return self.scalar_of(c[0], c[1]), op, self.scalar_of(c[2], c[1]), c[1]

    @v_args(meta=True)
    def relation_eq(self, meta: Any, c: list[Any]) -> tuple[sp.Expr, str, sp.Expr, Any]:
        """``y = k``: the two sides of an equality."""
        where = _At(meta.line, meta.column) if not meta.empty else _first_pos(c[0])
        return self.scalar_of(c[0], where), "=", self.scalar_of(c[1], where), where

    def indicator_of(self, rel: tuple[sp.Expr, str, sp.Expr, Any]) -> sp.Expr:
        """The indicator of a relation: 1 where it holds, 0 elsewhere. An equality (or
        inequality) of two integers is Kronecker's delta δ_ab (1 − δ_ab), which sums over an
        index as the rules of sums know; any other relation a 0-1 piecewise value."""
        lhs, op, rhs, where = rel
        kind = {"<": "lt", ">": "gt", "<=": "le", ">=": "ge", "=": "eq", "leqslant": "le",
                "geqslant": "ge", "leq": "le", "geq": "ge", "neq": "ne"}.get(op, op)
        if kind in ("eq", "ne") and lhs.is_integer and rhs.is_integer:
            delta = sp.KroneckerDelta(lhs, rhs)
            return delta if kind == "eq" else 1 - delta
        if kind not in ("eq", "ne") and not (lhs.is_extended_real and rhs.is_extended_real):
            raise self.err("an order relation in an indicator or a probability needs real "
                           "sides (declare the symbols real)", where)
        cond = {"lt": sp.Lt, "gt": sp.Gt, "le": sp.Le, "ge": sp.Ge, "eq": sp.Eq,
                "ne": sp.Ne}[kind](lhs, rhs)
        return sp.Piecewise((sp.Integer(1), cond), (sp.Integer(0), True))

    def indicator(self, c: list[Any]) -> sp.Expr:
        """``\\mathbb{1}[x > 0]``, ``\\mathbb{1}\\{y = k\\}``, ``\\mathbb{I}(x \\le t)``,
        ``\\mathbf{1}_{x > 0}``: the indicator of the relation."""
        return self.indicator_of(c[-1])

    def probability(self, c: list[Any]) -> sp.Expr:
        """``\\Pr(X \\le t)``, ``\\mathbb{P}(X > a)``, ``P(X = k)``: the probability of the
        event, E[1{X ≤ t}] over the one declared density whose variable the event involves
        (the distribution function or the pmf of a declared family); none or several such
        densities is an error, as for ``\\mathbb{E}[f]`` without a subscript."""
        tok = c[0]
        body = self.indicator_of(c[-1])
        try:
            var, dens = self.sole_density_of(body, tok)
        except DerivationSyntaxError as err:
            which = str(err).rsplit(", and ", 1)[-1]
            raise self.err(
                f"{str(tok).strip()}(...) is read as the probability of an event about the "
                "variable of exactly one declared density (% densities: p(x) = ...); or write "
                "its expectation, \\mathbb{E}_{p(x)}[\\mathbb{1}[...]]; here " + which,
                tok) from None
        value = expectation_over(body, var, dens, True, declared=self.functions)
        lhs, op, rhs, _ = c[-1]
        kind = {"<": sp.Lt, ">": sp.Gt, "<=": sp.Le, ">=": sp.Ge, "lt": sp.Lt, "gt": sp.Gt,
                "le": sp.Le, "ge": sp.Ge, "leqslant": sp.Le, "geqslant": sp.Ge, "leq": sp.Le,
                "geq": sp.Ge, "=": sp.Eq, "eq": sp.Eq, "neq": sp.Ne, "ne": sp.Ne}.get(op)
        if kind is None:
            return value
        return written_probability(value, kind(lhs, rhs, evaluate=False))  # shown P(…)

    def fracdigits(self, c: list[Token]) -> sp.Expr:
        digits = [ch for ch in str(c[0]) if ch.isdigit()]
        if digits[1] == "0":
            raise self.err("division by zero in \\frac", c[0])
        return sp.Rational(int(digits[0]), int(digits[1]))

    def sqrt(self, c: list[Any]) -> sp.Expr:
        return sp.sqrt(self.value(c[1]))

    def root(self, c: list[Any]) -> sp.Expr:
        n = self.value(c[1])
        if n == 0:
            raise self.err("\\sqrt[0] is undefined", c[0])
        return self.power_of(self.value(c[2]), 1 / n, c[0])

    def norm(self, c: list[Any]) -> sp.Expr:
        """``\\|v\\|``: the Euclidean norm, √(vᵀv) for a vector, |v| for a number."""
        inner = self.value(c[1])
        if not matrices.is_matrix(inner):
            return sp.Abs(inner)
        if inner.shape[1] != 1:
            raise self.err("\\|A\\| of a matrix is not read: the norm is read of a vector "
                           "(a column), \\|x - \\mu\\|^2 = (x - \\mu)^\\top (x - \\mu)", c[0])
        return sp.sqrt(self.matrix_product([self.matrix_function("transpose", c[0])(inner),
                                            inner], c[0]))

    def matrix_product(self, factors: list[sp.Expr], where: Any) -> sp.Expr:
        try:
            return matrices.product(factors)
        except matrices.MatrixReadError as err:
            raise self.err(str(err), where) from None

    def evaluated_at(self, c: list[Any]) -> sp.Expr:
        """``\\left. f \\right|_{x = t}``: f with x replaced by t (after differentiating)."""
        body, name, value = self.value(c[1]), c[3], self.value(c[4])
        var = self.resolve_name(name)
        if not isinstance(var, sp.Symbol):
            raise self.err("expected \\left. f \\right|_{x = t} with x a declared symbol", name)
        return body.subs(var, value)

    def evaluated_between(self, c: list[Any]) -> sp.Expr:
        """``[F]_a^b`` or ``\\left. F \\right|_a^b``: F(b) - F(a) in its one variable (see
        :meth:`between_variable`)."""
        body, (lower, upper) = self.value(c[1]), c[3]
        return self.between(body, self.between_variable(body, lower, upper, c[0]), lower, upper)

    def evaluated_between_named(self, c: list[Any]) -> sp.Expr:
        """``[F]_{x = a}^{b}``: F(b) - F(a) in the variable named."""
        body, name = self.value(c[1]), c[3]
        var = self.resolve_name(name)
        if not isinstance(var, sp.Symbol):
            raise self.err("expected [F]_{x = a}^{b} with x a symbol", name)
        return self.between(body, var, self.value(c[4]), self.value(c[5]))

    def between_variable(self, body: sp.Expr, lower: sp.Expr, upper: sp.Expr,
                         where: Any) -> sp.Symbol:
        """The variable of an antiderivative between two ends: the one variable of F bound
        by the bracket (declared nowhere, as an integral's), else the one variable of F that
        neither end involves; refused, asking for ``_{x = a}^{b}``, when not exactly one."""
        free = body.free_symbols
        bound = [v for v in free if v in self.between_bound]
        if len(bound) != 1:
            bound = sorted(free - lower.free_symbols - upper.free_symbols, key=str)
        if len(bound) != 1:
            raise self.err("the variable of [F]_a^b is not clear: name it, "
                           "[F]_{x = a}^{b}", where)
        return bound[0]

    @staticmethod
    def between(body: sp.Expr, var: sp.Symbol, lower: sp.Expr, upper: sp.Expr) -> sp.Expr:
        def at(end: sp.Expr) -> sp.Expr:
            if end.is_infinite:  # the antiderivative's limit at an infinite end
                with sp.evaluate(True):
                    return sp.limit(body, var, end)
            return body.subs(var, end)
        return at(upper) - at(lower)

    def abs(self, c: list[Any]) -> sp.Expr:
        inner = self.value(c[1])
        if matrices.is_matrix(inner):  # |Σ|: the determinant, shown with bars as written
            return written_bars(self.matrix_function("det", c[0])(inner))
        return sp.Abs(inner)

    def bars_power(self, c: list[Any]) -> Any:
        """``|g|^p`` or ``\\|x\\|^2`` after an expectation written without a bracket."""
        base = (self.abs if c[0].type == "LVERT" else self.norm)(c[:3])
        return self.power_of(base, self.value(c[3]), _first_pos(c[0]))

    def matrix_row(self, c: list[Any]) -> list[sp.Expr]:
        return [self.value(v) if not isinstance(v, _Name) else self.resolve_name(v)
                for v in c if not (isinstance(v, Token) and v.type == "COLSEP")]

    def matrix_rows(self, c: list[Any]) -> list[list[sp.Expr]]:
        return [row for row in c if not (isinstance(row, Token) and row.type == "ROWSEP")]

    def matrix_env(self, c: list[Any]) -> _Bracketed:
        """``\\begin{pmatrix} a & b \\\\ c & d \\end{pmatrix}`` (also ``bmatrix``,
        ``Bmatrix``, ``matrix``): the matrix; ``vmatrix`` its determinant. It takes a
        function's argument as a bracket does: ``\\det\\begin{pmatrix}...`` is its
        determinant."""
        begin, rows, end = c
        kind = re.search(r"\{\s*(\w*)matrix", str(begin)).group(1)
        closing = re.search(r"\{\s*(\w*)matrix", str(end)).group(1)
        if kind != closing:
            raise self.err(f"\\begin{{{kind}matrix}} closed by \\end{{{closing}matrix}}", end)
        try:
            value = matrices.explicit(rows)
        except matrices.MatrixReadError as err:
            raise self.err(str(err), begin) from None
        if kind in ("v", "V"):  # |A| written with vmatrix: the determinant
            if kind == "V":
                raise self.err("\\begin{Vmatrix} is a norm, which is not read; write "
                               "\\det\\begin{pmatrix}...\\end{pmatrix} for a determinant",
                               begin)
            return _Bracketed(written_bars(self.matrix_function("det", begin)(value)))
        return _Bracketed(value)

    def matrix_function(self, name: str, where: Any) -> Any:
        """tr, det, diag, ... of a matrix expression, its errors located at ``where``."""
        def apply(value: sp.Expr) -> sp.Expr:
            try:
                return matrices.MATRIX_FUNCTIONS[name](value)
            except matrices.MatrixReadError as err:
                raise self.err(str(err), where) from None
        return apply

    @v_args(meta=True)
    def transposed(self, meta: Any, c: list[Any]) -> sp.Expr:
        base = self.value(c[0]) if not isinstance(c[0], _Name) else self.resolve_name(c[0])
        return self.matrix_function("transpose", c[1])(base)

    @v_args(meta=True)
    def power(self, meta: Any, c: list[Any]) -> Any:
        where = _At(meta.line, meta.column) if not meta.empty else _first_pos(c[0])
        base = c[0]
        if (isinstance(c[1], _Name) and c[1].written == "T" and "T" not in self.symbols
                and matrices.is_matrix(self.value(base))):
            return self.matrix_function("transpose", c[1])(self.value(base))  # x^T
        exponent = self.value(c[1])
        if isinstance(c[1], sp.Integer) and abs(int(c[1])) >= 10:
            raise self.err(
                f"ambiguous exponent '^{c[1]}': LaTeX reads ^{str(c[1])[0]} only; write "
                f"^{{{c[1]}}}",
                where,
            )
        if isinstance(base, (_Name, _Paren)):
            return _Power(base, exponent, where.line, where.column)
        return self.power_of(self.value(base), exponent, where)

    def plain(self, c: list[Any]) -> Any:
        return c[0]

    def script(self, c: list[Any]) -> Any:  # a lone name as an exponent or a limit: x^n
        return c[0]

    def arg(self, c: list[Any]) -> Any:  # a lone name as an argument: \frac a b
        return c[0]

    # products and sums -----------------------------------------------------------------
    def _increments(self, items: list[Any]) -> list[Any]:
        """``\\Delta\\mu`` read as the one quantity a declaration names so (``% symbols:
        \\Delta\\mu : real``, NVAE's residual parameters); Δ times μ otherwise."""
        out: list[Any] = []
        i = 0
        while i < len(items):
            item = items[i]
            nxt = items[i + 1] if i + 1 < len(items) else None
            target = nxt.base if isinstance(nxt, _Power) else nxt
            if (isinstance(item, _Name) and item.base in ("Delta", "delta") and item.sub is None
                    and item.accent is None and isinstance(target, _Name)
                    and target.accent is None and not target.base.startswith("{")):
                merged = _Name(f"{item.base}_{target.base}", target.sub, None,
                               item.written + target.written, item.line, item.column)
                if any(c in self.symbols for c in merged.candidates()):
                    out.append(merged if target is nxt else
                               _Power(merged, nxt.exponent, nxt.line, nxt.column))
                    i += 2
                    continue
            out.append(item)
            i += 1
        return out

    def _multiply(self, items: list[Any]) -> sp.Expr:
        items = self._increments(items)
        factors: list[sp.Expr] = []
        i = 0
        divide_next = False
        while i < len(items):
            item = items[i]
            if isinstance(item, Token) and item.type == "MULOP":
                divide_next = str(item) == "/"
                i += 1
                continue
            nxt = items[i + 1] if i + 1 < len(items) else None
            value: sp.Expr | None = None
            if isinstance(item, _DifferentialFirst) and nxt is not None:
                # \int dz\, q(z) z^2: the factors after the differential are the integrand
                # (read as 1 times them, z would be used outside the integral that binds it)
                value = sp.Integral(self._multiply(items[i + 1:]), *item.value.limits)
                i = len(items) - 1
            if (isinstance(item, _Name) and item.base in ("d", "partial") and item.sub is None
                    and item.accent is None and _is_one_name(nxt)
                    and not (item.base == "d" and self.d_is_product)):
                # 'd x' could be a differential as well as a product: refused, not guessed
                raise self.err(
                    f"'{item.written} {_first_name(nxt).written}' is ambiguous: a differential "
                    f"or a product. Write a product with \\cdot ('{item.written} \\cdot "
                    f"{_first_name(nxt).written}'), a derivative as \\frac{{d}}{{dx}}(...), and "
                    "a differential only after an integrand (\\int f(x)\\, dx)", item)
            if isinstance(item, _Prefix):
                # the notes' reading: \log takes everything up to the next + or - (explicit
                # products included), but not a following integral, expectation or \log
                j = i + 1
                # \log\prod_{i} \theta \exp(-\theta x_i): an argument that starts with a sum or
                # product sign runs, as its summand does, to the next + or -
                whole = item.whole or (len(item.args) == 1 and isinstance(item.args[0], _Prefix)
                                       and item.args[0].whole)
                while j < len(items) and (whole or not isinstance(items[j], (_Big, _Prefix))):
                    j += 1
                if j < len(items) and j > i + 1 and isinstance(items[j - 1], Token):
                    j -= 1  # '\log a \cdot \int ...': the \cdot multiplies the integral
                if item.product_over is not None:
                    self._refuse_factor_after_product(item, items[i + 1: j])
                # \ln\sigma(a): a log written without brackets is shown without them
                value = written_bare_log(item.fn(self._multiply([*item.args,
                                                                 *items[i + 1: j]])))
                i = j - 1
            if (value is None and isinstance(item, _Name) and isinstance(nxt, (_Paren, _Power))
                    and self.special_function(item) is not None):
                paren = nxt if isinstance(nxt, _Paren) else nxt.base
                if isinstance(paren, _Paren) and not paren.seps:
                    value = self.special_function(item)(self.value(paren))
                    if isinstance(nxt, _Power):
                        value = self.power_of(value, nxt.exponent, nxt)
                    i += 1
            if (value is None and isinstance(item, _Name) and item.sub is None
                    and item.written.startswith("\\") and _MATRIX_WORDS.get(item.base)
                    and not any(c in self.symbols for c in item.candidates())
                    and nxt is not None):
                # \operatorname{tr}(A), \mathrm{diag}(v), \operatorname{Tr}[A]; without a
                # bracket, like \log, the rest of the product: \operatorname{tr} A B = tr(AB)
                fn = self.matrix_function(_MATRIX_WORDS[item.base], item)
                if isinstance(nxt, _Bracketed) or (isinstance(nxt, _Paren) and not nxt.seps):
                    value = fn(self.value(nxt))
                    i += 1
                elif (isinstance(nxt, _Power) and isinstance(nxt.base, _Paren)
                        and not nxt.base.seps):
                    # \operatorname{tr}(A)^2 is (tr A)², as \log(x)^2 is (log x)²
                    value = self.power_of(fn(self.value(nxt.base)), nxt.exponent, nxt)
                    i += 1
                else:
                    value = fn(self._multiply(items[i + 1:]))
                    i = len(items) - 1
            if (value is None and isinstance(item, _Name)
                    and (signal := self.signal_sample(item, nxt)) is not None):
                value = signal  # x[n], a declared sequence's sample at a bracketed index
                i += 1
            if value is None and isinstance(item, _Name) and isinstance(nxt, (_Paren, _Power)):
                paren = nxt if isinstance(nxt, _Paren) else nxt.base
                if isinstance(paren, _Paren):
                    applied = self.try_apply(item, paren)
                    if applied is not None:
                        value = applied
                        if isinstance(nxt, _Power):
                            value = self.power_of(applied, nxt.exponent, nxt)
                        i += 1
                    elif not paren.seps and self.indexed_value(item) is not None:
                        pass  # x_i(y_i - p_i): the i-th x, already indexed, times a bracket
                    elif (entropy := self.entropy_of(item, paren)) is not None:
                        value = entropy  # H(q), the entropy of a declared density
                        i += 1
                    elif (divergence := self.relative_entropy_of(item, paren)) is not None:
                        value = divergence  # D(p||q), Cover & Thomas's relative entropy
                        if isinstance(nxt, _Power):
                            value = self.power_of(divergence, nxt.exponent, nxt)
                        i += 1
                    elif (mean := self.plain_expectation_of(item, paren)) is not None:
                        value = mean  # E(X): the expectation over the declared density of X
                        if isinstance(nxt, _Power):
                            value = self.power_of(mean, nxt.exponent, nxt)  # E(X)^2
                        i += 1
                    elif (isinstance(item, _ConstantName) and not paren.seps
                            and not isinstance(paren.parts[0], _Name)):
                        pass  # \pi(a + b), a density named \pi declared: the constant
                    elif paren.seps or any(
                            sig.startswith(c + "(") for sig in self.functions
                            for c in [*item.candidates(), item.base]):
                        raise self.unknown_density(item, paren)
                    elif (item.base == "e" and item.sub is None and item.accent is None
                            and not paren.seps
                            and not any(c in self.symbols for c in item.candidates())):
                        pass  # 2\pi e(P + N): Euler's number, undeclared, times a bracket
                    elif not any(c in self.symbols for c in item.candidates()):
                        raise self.err(
                            f"'{item.written}(...)': '{item.written}' is not declared. A "
                            f"density or function is declared by its signature ('% densities: "
                            f"{item.candidates()[0]}(x)', '% functions: "
                            f"{item.candidates()[0]}(x) : real'); a symbol multiplying a "
                            f"bracket by '% symbols: {item.candidates()[0]} : real'. Functions "
                            "known by name: \\Gamma, \\psi (digamma), \\sigma (the logistic "
                            "sigmoid), \\Phi and \\phi (the standard normal distribution "
                            "function and density), \\operatorname{sigmoid}, "
                            "\\operatorname{softplus}", item)
            if value is None:
                value = self.value(item)
            if divide_next:
                if value == 0:
                    raise self.err("division by zero", _first_pos(item))
                value = 1 / value
                divide_next = False
            factors.append(value)
            i += 1
        if any(matrices.is_matrix(f) for f in factors):
            try:
                return matrices.product(factors)
            except matrices.MatrixReadError as err:
                raise self.err(str(err), _first_pos(items[0])) from None
        return factors[0] if len(factors) == 1 else sp.Mul(*factors)

    def _refuse_factor_after_product(self, item: _Prefix, body: list[Any]) -> None:
        """Refuse ``\\prod_{i=1}^{n} a_i \\times b`` with b free of the index: the product of
        the a_i·b (bⁿ·∏aᵢ, the product sign's scope running to the next + or -) or the
        product of the a_i times b (the author's likely meaning)? The two differ, so the
        reader asks for brackets. A factor free of the index written inside the product
        without an explicit sign (Hoff's ∏ h(y_i) c(φ) e^{φ t(y_i)}) stays in it."""
        index = item.product_over
        for k, tok in enumerate(body):
            if not (isinstance(tok, Token) and tok.type == "MULOP"
                    and str(tok) in ("\\times", "\\cdot")):
                continue
            try:
                head = self._multiply([*item.args, *body[:k]]) if item.args or k else None
                tail = self._multiply(body[k + 1:]) if body[k + 1:] else None
            except DerivationSyntaxError:
                return
            if (isinstance(head, sp.Basic) and isinstance(tail, sp.Basic)
                    and index in head.free_symbols and index not in tail.free_symbols):
                raise self.err(
                    f"'{tok}' after a product over {index}: is the factor after it inside "
                    f"the product (one factor for each {index}) or outside it? Write "
                    "\\left(\\prod_{...} ...\\right) " + str(tok) + " ... for a factor "
                    "outside, or put the factor inside the product's brackets", tok)

    def product(self, c: list[Any]) -> Any:
        if len(c) == 1:
            return c[0]  # a lone name or bracket stays open for its user (E_{z ~ q}, q(z))
        return self._multiply(c)

    def sum(self, c: list[Any]) -> Any:
        if len(c) == 1:
            return c[0]
        terms = [self.value(c[0]) if not isinstance(c[0], _Name) else self.resolve_name(c[0])]
        for op, term in zip(c[1::2], c[2::2], strict=True):
            v = self.value(term) if not isinstance(term, _Name) else self.resolve_name(term)
            terms.append(_negated(v) if str(op) == "-" else v)
        if any(matrices.is_matrix(t) for t in terms):
            try:
                return matrices.add(terms)
            except matrices.MatrixReadError as err:
                raise self.err(str(err), c[1]) from None
        return sp.Add(*terms)

    def unary(self, c: list[Any]) -> sp.Expr:
        v = self.value(c[1]) if not isinstance(c[1], _Name) else self.resolve_name(c[1])
        return _negated(v) if str(c[0]) == "-" else v

    # functions, integrals, expectations ------------------------------------------------
    def _function(self, fn_tok: Any) -> Any:
        return {"log": sp.log, "ln": lambda arg: written_log(arg, "ln"),  # shown ln
                "exp": sp.exp, "tanh": sp.tanh, "sinh": sp.sinh, "cosh": sp.cosh,
                "coth": sp.coth, "arctan": sp.atan,
                "sin": sp.sin, "cos": sp.cos, "tan": sp.tan,
                "det": self.matrix_function("det", fn_tok)}[str(fn_tok).lstrip("\\")]

    def prefix(self, c: list[Any], fn: Any = None) -> Any:
        fn_tok, args = c[0], c[1:]
        fn = fn or self._function(fn_tok)
        first = args[0]
        if isinstance(first, (_Bracketed, _Paren)) and not (
            isinstance(first, _Paren) and first.seps
        ):
            value = fn(self.value(first))
        elif (isinstance(first, _Power) and isinstance(first.base, _Paren)
                and not first.base.seps):
            # \exp(x)^2, \log(x)^2: the power of the function's value, as a textbook means
            value = self.power_of(fn(self.value(first.base)), first.exponent, first)
        else:
            return _Prefix(fn, list(args))
        return _Big(value * self._multiply(args[1:]) if len(args) > 1 else value)

    def prefix_power(self, c: list[Any]) -> Any:
        """``\\tanh^2(u)``, ``\\log^2 x``: the function's value raised to the power."""
        fn_tok, exponent = c[0], self.value(c[1])
        inner = self._function(fn_tok)
        return self.prefix([fn_tok, *c[2:]],
                           lambda v: self.power_of(inner(v), exponent, fn_tok))

    def prefix_base(self, c: list[Any]) -> Any:
        """``\\log_2 x``, ``\\log_{b}(x)``: the logarithm to the base 2 or b, log x / log b
        (Cover & Thomas measure entropy in bits); the base a positive number other than 1 or
        a symbol declared in (1, ∞) or (0, 1). Only ``\\log`` takes a base."""
        fn_tok, base = c[0], self.value(c[1])
        if str(fn_tok).lstrip("\\") != "log":
            raise self.err(f"'{fn_tok}' takes no subscript: only \\log_b x is a logarithm "
                           "to a base", fn_tok)
        interval = self.ranges.get(str(base)) if isinstance(base, sp.Symbol) else None
        away_from_one = (base - 1).is_nonzero or (
            interval is not None and not interval.contains(1) and interval.inf >= 0)
        if not (base.is_positive and away_from_one):
            raise self.err("the base of \\log_b must be a positive number other than 1, or "
                           "a symbol declared in (1, oo) or (0, 1)", fn_tok)
        return self.prefix([fn_tok, *c[2:]], lambda v: sp.log(v) / sp.log(base))

    # derivatives ---------------------------------------------------------------------
    def order(self, c: list[Any]) -> _Order:
        return _Order(self.value(c[0]))

    def dvar(self, c: list[Any]) -> _DVar:
        tok, name = c[0], c[1]
        if isinstance(name, Token):  # d\pi: a π declared a symbol (a proportion)
            name = _Name("pi", None, None, str(name), name.line, name.column)
        var = self.resolve_name(name)
        coordinate = isinstance(var, sp.core.function.AppliedUndef) and sequence_at(
            self.functions, [str(var.func)], list(var.args)) == var  # ∂/∂μ_j: μ_d declared
        if not (isinstance(var, sp.Symbol) or coordinate):
            raise self.err(f"'{name.written}' below the bar of a derivative must be a declared "
                           "symbol, or a coordinate of a declared indexed quantity (\\mu_j for "
                           "'% functions: \\mu_d : real')", name)
        order = self.derivative_order(c[2], tok) if len(c) > 2 else 1
        return _DVar(var, order)

    def derivative_order(self, order: _Order, where: Any) -> int:
        n = order.value
        if not (n.is_Integer and 1 <= int(n) <= MAX_DERIVATIVE_ORDER):
            raise self.err(f"the order of a derivative must be a whole number from 1 to "
                           f"{MAX_DERIVATIVE_ORDER}, got '{n}'", where)
        return int(n)

    def derivative_operator(self, c: list[Any]) -> tuple[_DOp, list[Any]]:
        """The operator of ``\\frac{d^n ...}{dx ...}`` and what its numerator holds."""
        tok = c[0]
        rest = c[2:]
        top = 1
        if rest and isinstance(rest[0], _Order):
            top = self.derivative_order(rest[0], tok)
            rest = rest[1:]
        body = [r for r in rest if not isinstance(r, _DVar)]
        dvars = [r for r in rest if isinstance(r, _DVar)]
        bottom = sum(v.order for v in dvars)
        if (top == 1 and len(dvars) == 1 and dvars[0].order == 2
                and isinstance(dvars[0].var, sp.Symbol) and dvars[0].var.is_positive):
            # \frac{\partial}{\partial \sigma^2}: the derivative in the square σ² of a
            # positive σ (the variance as the parameter), (1/(2σ))·d/dσ by the chain rule
            op = _DOp([(dvars[0].var, 1)], "partial" in str(c[1]))
            op.square = True
            return op, body
        if top != bottom:
            raise self.err(
                f"the orders of this derivative do not match: {top} above the bar, {bottom} "
                "below it (\\frac{d^2 f}{dx^2} is a second derivative)", tok)
        merged: dict[sp.Symbol, int] = {}
        for v in dvars:
            merged[v.var] = merged.get(v.var, 0) + v.order
        return _DOp(list(merged.items()), "partial" in str(c[1])), body

    def nabla(self, c: list[Any]) -> _DOp:
        """``\\nabla_{\\mu}``: the derivative with respect to one declared scalar (or a
        coordinate μ_j of a declared indexed quantity); a gradient with respect to a vector
        is refused (its components are written \\frac{\\partial}{\\partial \\mu_j})."""
        tok, sub = c
        text = _sub_text(sub)
        name = _Name(text.lstrip("\\"), None, None, text, sub.line, sub.column + 1)
        try:
            var = self.dvar([tok, name]).var
        except DerivationSyntaxError:
            raise self.err(f"{str(tok).strip()}_{{{text}}}: the gradient is read with respect "
                           "to one declared scalar; for a vector write each component, "
                           "\\frac{\\partial}{\\partial \\mu_j}", tok) from None
        op = _DOp([(var, 1)], partial=True)  # ∇_μ: a partial derivative
        op.check = lambda expr: self.check_derivative(expr, op, tok)  # type: ignore[attr-defined]
        return op

    def dop(self, c: list[Any]) -> _DOp:
        op, _ = self.derivative_operator(c)
        op.check = lambda expr: self.check_derivative(expr, op, c[0])  # type: ignore[attr-defined]
        return op

    def dfrac(self, c: list[Any]) -> sp.Expr:
        op, body = self.derivative_operator(c)
        expr = self.value(body[0])
        self.check_derivative(expr, op, c[0])
        return op(expr)

    def check_derivative(self, expr: sp.Expr, op: _DOp, where: Any) -> None:
        alias = alias_dependence(expr, [v for v, _ in op.variables], self.functions)
        if alias is not None:
            stem = alias.split("(")[0]
            raise self.err(
                f"'{alias}' is declared as a name for the symbol {stem}, which does not say "
                f"how {stem} changes with its argument, so its derivative cannot be taken: "
                f"declare an abstract function instead ('% functions: {alias} : real')", where)

    def dprefix(self, c: list[Any]) -> Any:
        op, args = c[0], c[1:]
        if isinstance(args[0], (_Bracketed, _Paren)) and not (
            isinstance(args[0], _Paren) and args[0].seps
        ):
            inner = op(self.value(args[0]))
            rest = self._multiply(args[1:]) if len(args) > 1 else sp.S.One
            return _Big(inner * rest)
        # the derivative takes the whole product that follows: d²/dη² n log(1 + e^η) is
        # the derivative of n·log(1 + e^η) (Bickel & Doksum), never (d²n/dη²)·log(...)
        return _Prefix(op, list(args), whole=True)

    def primed(self, c: list[Any]) -> sp.Expr:
        name, primes, paren = c[0], c[1], c[2]
        n = len(str(primes))
        how = ("write the derivative as \\frac{d}{dx} f(x), with f declared as a function of x "
               "('% functions: f(x) : real')")
        applied = self.try_apply(name, paren)
        if applied is None:
            raise self.err(f"'{name.written}{primes}(...)' is not the derivative of a declared "
                           f"function: {how}", name)
        variables = [a for a in getattr(applied, "args", ())]
        if not isinstance(applied, sp.core.function.AppliedUndef) or not applied.func.is_real:
            raise self.err(f"'{name.written}{primes}' is the derivative of '{name.written}', "
                           f"which is declared as a name, not as a function of its argument: "
                           f"{how}", name)
        if len(variables) != 1:
            raise self.err(f"'{name.written}{primes}' of a function of several variables is "
                           "ambiguous: write \\frac{\\partial}{\\partial x} f(x, y)", name)
        if n > MAX_DERIVATIVE_ORDER:
            raise self.err("too many primes", name)
        return written_prime(derivative_at(applied, n, self.functions),
                             applied.func.__name__, n, *applied.args)

    # sums, products, special functions ------------------------------------------------
    def range(self, c: list[Any]) -> tuple[sp.Symbol, sp.Expr, sp.Expr]:
        name, lower, upper = c[0], self.value(c[1]), self.value(c[2])
        try:
            index = self.resolve_name(name)
        except DerivationSyntaxError:
            index = self.bound_index(name, lower, upper)
            if index is None:
                raise
        if not (isinstance(index, sp.Symbol) and index.is_integer):
            raise self.err(
                f"the index '{name.written}' of a sum or product must be declared an integer, "
                f"e.g. '% symbols: {name.candidates()[0]} : integer'", name)
        return index, lower, upper

    def range_from(self, c: list[Any]) -> tuple[sp.Symbol, sp.Expr, sp.Expr]:
        """``\\sum_{k \\geq 0}``: k from its lower end to infinity."""
        return self.range([c[0], c[2], sp.oo])

    def bound_index(self, name: _Name, lower: sp.Expr, upper: sp.Expr) -> sp.Symbol | None:
        """The variable of ``\\sum_{x^{(i)}=0}^{1}`` (Goodfellow et al.'s sum over the values
        of one data point) when its name is declared nowhere: an integer bound by the sum,
        known under that name inside its summand only (:meth:`big_operator` releases it).
        None for a name declared in any form, or a range whose ends are not integers."""
        if not isinstance(name, _Name) or isinstance(name, _ConstantName):
            return None
        whole = _Name(name.base, None, name.accent, name.written, name.line, name.column)
        known = [*name.candidates(), *whole.candidates()]
        if (any(c in self.symbols for c in known) or any(c in self.indexed for c in known)
                or any(sig.startswith(c + "(") for sig in self.functions for c in known)
                or name.base in ("d", "partial", "e", "I")):
            return None
        if not all(v.is_integer or v.is_infinite for v in (lower, upper)):
            return None
        index = sp.Symbol(name.candidates()[0], integer=True)
        self.bound.append((name.candidates()[0], index))
        self.symbols[name.candidates()[0]] = index
        return index

    def bigop(self, c: list[Any]) -> _Prefix:
        tok, (index, lower, upper), args = c[0], c[1], c[2:]
        kind = sp.Sum if str(tok).endswith("sum") else sp.Product
        return _Prefix(lambda body: self.big_operator(kind, body, (index, lower, upper), tok),
                       list(args), whole=True,
                       product_over=index if kind is sp.Product else None)

    def big_operator(self, kind: Any, body: sp.Expr, limits: tuple, tok: Any) -> sp.Expr:
        """Σ or ∏ of ``body``; refused when a symbol written with the index as its subscript
        is declared a plain symbol (it would not change with the index)."""
        for k, (written, bound) in enumerate(self.bound):
            if bound == limits[0]:  # the variable bound by this sum is known no further
                del self.bound[k]
                self.symbols.pop(written, None)
                break
        fixed = constant_in_index(body, limits[0])
        if fixed is not None:
            raise self.err(
                f"'{fixed}' is declared a symbol, so it does not change with the index "
                f"{limits[0]} of this {'sum' if kind is sp.Sum else 'product'}: declare the "
                f"indexed quantity with '% functions: "
                f"{re.sub(r'_[{][^{}]*[}]$', '_' + str(limits[0]), str(fixed))} : real'", tok)
        return kind(body, limits)

    def bigop_nolimits(self, c: list[Any]) -> Any:
        """``\\prod_i f``: over the range the index was declared with (``i : integer [1, N]``)."""
        tok, index_name, args = c[0], c[1], c[2:]
        how = (f"'{tok}' needs its range: write {tok}_{{i=1}}^{{N}}, or declare the index with "
               "its range ('% symbols: i : integer [1, N]')")
        if isinstance(index_name, _Bracketed) and isinstance(index_name.value, sp.Symbol):
            index = index_name.value  # \sum_{i}: the braced name, read already
        elif not isinstance(index_name, _Name):
            raise self.err(how, tok)
        else:
            try:
                index = self.resolve_name(index_name)
            except DerivationSyntaxError:
                raise self.err(how, tok) from None
        interval = self.ranges.get(str(index))
        if (str(tok).endswith("sum") and isinstance(index, sp.Symbol) and interval is None
                and index.is_real and not index.is_integer
                and density_variable(self.functions, index)):
            # \sum_z q(z|x) f(z) over the variable of a declared density that is no integer:
            # the sum over all its values, written as a sum by notes whose latent may be
            # discrete or continuous (for a continuous one, the integral over the line)
            return _Prefix(lambda body: sp.Integral(body, (index, -sp.oo, sp.oo)),
                           list(args), whole=True)
        if not (isinstance(index, sp.Symbol) and index.is_integer) or interval is None:
            raise self.err(how, tok)
        kind = sp.Sum if str(tok).endswith("sum") else sp.Product
        limits = (index, interval.inf, interval.sup)
        if interval.left_open or interval.right_open:
            if not (interval.inf.is_infinite or interval.inf.is_integer) or not (
                    interval.sup.is_infinite or interval.sup.is_integer):
                raise self.err(how, tok)
            limits = (index, interval.inf + (1 if interval.left_open and interval.inf.is_finite
                                             else 0),
                      interval.sup - (1 if interval.right_open and interval.sup.is_finite
                                      else 0))
        return _Prefix(lambda body: self.big_operator(kind, body, limits, tok), list(args),
                       whole=True, product_over=index if kind is sp.Product else None)

    def factorial(self, c: list[Any]) -> sp.Expr:
        return sp.factorial(self.value(c[0]))

    def binom(self, c: list[Any]) -> sp.Expr:
        return sp.binomial(self.value(c[1]), self.value(c[2]))

    def normal_density(self, c: list[Any]) -> sp.Expr:
        """``\\mathcal{N}(x; \\mu, \\sigma^2)``: the Gaussian density, written out."""
        x, mean, variance = (self.value(v) for v in (c[1], c[2], c[4]))
        if str(c[3]) != ",":
            raise self.err("expected \\\\mathcal{N}(x; \\\\mu, \\\\sigma^2)", c[0])
        if _nonpositive(variance):
            raise self.err("the variance of \\mathcal{N}(x; \\mu, \\sigma^2) must be "
                           "positive", c[0])
        return written_gaussian(
            lambda a, m, v: sp.exp(-((a - m) ** 2) / (2 * v)) / sp.sqrt(2 * sp.pi * v),
            x, mean, variance)

    def normal_family(self, c: list[Any]) -> _Family:
        """``\\mathcal{N}(\\mu, \\sigma^2)`` (a draw's family; refused as a value)."""
        if str(c[2]) != ",":
            raise self.err("expected \\mathcal{N}(\\mu, \\sigma^2)", c[0])
        return _Family(self.value(c[1]), self.value(c[3]), c[0].line, c[0].column)

    def normal_density_given(self, c: list[Any]) -> sp.Expr:
        """``\\mathcal{N}(x \\mid \\mu, \\sigma^2)``, Bishop's way of writing the density."""
        if str(c[2]) not in ("|", "\\mid", "\\vert"):
            raise self.err("expected \\mathcal{N}(x \\mid \\mu, \\sigma^2) or "
                           "\\mathcal{N}(x; \\mu, \\sigma^2)", c[0])
        return self.normal_density([c[0], c[1], c[3], c[4], c[5]])

    def variance(self, c: list[Any]) -> _Big:
        """``\\operatorname{Var}_{q(z|x)}[f]``: E_q[(f − E_q[f])²], the definition; without a
        subscript (``\\mathrm{Var}(X)``), over the one declared density of its variable, as
        ``\\mathbb{E}[X]``."""
        return _Big(variance_of(*self.expectation_parts(c), declared=self.functions))

    def limits_lu(self, c: list[Any]) -> tuple[sp.Expr, sp.Expr]:
        return self.value(c[0]), self.value(c[1])

    def limits_ul(self, c: list[Any]) -> tuple[sp.Expr, sp.Expr]:
        return self.value(c[1]), self.value(c[0])

    def integral_one(self, c: list[Any]) -> _Big:
        """``\\int_a^b dx``: the integrand 1 left unwritten, as textbooks print a length."""
        if isinstance(c[1], tuple):
            one = self.integral([c[0], c[1], sp.Integer(1), *c[2:]])
        else:
            one = self.integral([c[0], sp.Integer(1), *c[1:]])
        return _DifferentialFirst(one.value)

    def integral_frac(self, c: list[Any]) -> _Big:
        """``\\int f\\,\\frac{du}{g}``, ``\\int \\frac{dx}{x}``: the integral of f/g in u."""
        lead = c[:2] if isinstance(c[1], tuple) else c[:1]
        rest = c[len(lead):]
        body, name, denominator = (rest[0], rest[2], rest[3]) if len(rest) == 4 else (
            sp.Integer(1), rest[1], rest[2])
        quotient = self.value(body) / self.value(denominator)
        return self.integral([*lead, quotient, None, name])

    def integral(self, c: list[Any]) -> _Big:
        if isinstance(c[1], tuple):
            (lower, upper), body, var_name = c[1], c[2], c[4]
        else:
            lower, upper = -sp.oo, sp.oo
            body, var_name = c[1], c[3]
        var = self.resolve_name(var_name)
        if not isinstance(var, sp.Symbol):
            raise self.err("the variable of integration must be a declared symbol", var_name)
        return _Big(sp.Integral(self.value(body), (var, lower, upper)))

    def esub_simple(self, c: list[Token]) -> tuple[str, Any]:
        tok = c[0]
        text = _sub_text(tok)
        return "name", _Name(text.lstrip("\\"), None, None, text, tok.line, tok.column + 1)

    def esub_density(self, c: list[Any]) -> tuple[str, Any]:
        obj = c[0]
        if isinstance(obj, _Name):
            return "name", obj
        return "density", self.value(obj)

    def esub_sim(self, c: list[Any]) -> tuple[str, Any]:
        """``z \\sim q(z|x)``; ``(x, y) \\sim p(x, y)`` or ``x, y \\sim p(x, y)`` for a
        joint density, the variables all those left of its bar."""
        at = [i for i, v in enumerate(c) if isinstance(v, Token) and v.type == "SIM"][-1]
        drawn, dens = c[:at], c[at + 1]
        if any(isinstance(d, Token) and str(d) != "," for d in drawn):
            raise self.err("expected the variables drawn before \\sim separated by commas: "
                           "(x, y) \\sim p(x, y)", c[at])
        drawn = [d for d in drawn if not isinstance(d, Token)]
        if len(drawn) == 1 and isinstance(drawn[0], _Paren) and not set(drawn[0].seps) - {","}:
            drawn = drawn[0].parts
        names = [d for d in drawn if isinstance(d, _Name)]
        if len(names) != len(drawn):
            raise self.err("expected the variables drawn before \\sim: z \\sim q(z|x), or "
                           "(x, y) \\sim p(x, y) for a joint density", c[at])
        variables = [self.resolve_name(n) for n in names]
        if isinstance(dens, _Family) and len(variables) == 1:  # ε ~ N(0, 1): its density
            if _nonpositive(dens.variance):
                raise self.err("the variance of \\mathcal{N}(\\mu, \\sigma^2) must be "
                               "positive", dens)
            return "sim", (variables[0], written_gaussian(
                lambda x, m, v: written_density("normal", x, (m, v)), variables[0],
                dens.mean, dens.variance, drawn=True))
        dens = dens if isinstance(dens, _Name) else self.value(dens)
        if len(variables) > 1:
            if isinstance(dens, _Name):
                dens = self.density_by_name(dens, variables[0])
            joint = (isinstance(dens, sp.core.function.AppliedUndef)
                     and joint_expectation(sp.S.One, dens, variables[0]) is not None)
            if not joint or set(variables) != set(dens.args[:len(variables)]) or len(
                    set(variables)) != len(variables):
                raise self.err("the variables drawn, (x, y) \\sim p(x, y), must be those of a "
                               "declared joint density left of its bar", c[at])
        return "sim", (variables[0], dens)

    def density_by_name(self, name: _Name, var: sp.Symbol | None) -> sp.Expr:
        matches = []
        for sig, value in self.functions.items():
            stem = sig[: sig.index("(")]
            if stem in [*name.candidates(), name.base]:
                if var is None or self.density_variable(value, name) == var:
                    matches.append(value)
        if not matches and name.sub is None:
            # \mathbb{E}_{q}[...] for the one declared q_\phi(z|x): the density named by its
            # letter, its parameter subscript left out, when no other density has that letter
            for sig, value in self.functions.items():
                stem = sig[: sig.index("(")]
                if "_" in stem and stem.split("_")[0] in [*name.candidates(), name.base] and (
                        var is None or self.density_variable(value, name) == var):
                    matches.append(value)
        if len(matches) != 1:
            how = "no" if not matches else "more than one"
            raise self.err(
                f"{how} declared density named '{name.written}'"
                + ("" if var is None else f" over '{var}'")
                + "; write its signature, e.g. \\mathbb{E}_{q(z|x)}",
                name,
            )
        return matches[0]

    def expectation(self, c: list[Any]) -> _Big:
        return _Big(expectation_over(*self.expectation_parts(c), declared=self.functions))

    def angle_expectation(self, c: list[Any]) -> _Big:
        """``\\langle f \\rangle_{q}``: E_q[f]; without a subscript, over the one declared
        density of f's variable, as ``\\mathbb{E}[f]``."""
        parts = [c[0], c[3], c[1]] if len(c) == 4 else [c[0], c[1]]
        return self.expectation(parts)

    def underset_expectation(self, c: list[Any]) -> _Big:
        """``\\underset{z \\sim q}{\\mathbb{E}}[f]``: E_{z ~ q}[f]."""
        return self.expectation([c[0], c[1], c[3]])

    def expectation_transposed(self, c: list[Any]) -> _Big:
        r"""``\mathbb{E}[x]^\top``: the transpose of a vector's expectation (E[x]E[x]ᵀ)."""
        integrand, variable, density, named = self.expectation_parts(c[:-1])
        integrand = self.matrix_function("transpose", c[-1])(integrand)  # E[x]ᵀ = E[xᵀ]
        return _Big(expectation_over(integrand, variable, density, named,
                                     declared=self.functions))

    @v_args(meta=True)
    def expectation_power(self, meta: Any, c: list[Any]) -> _Big:
        r"""``\mathbb{E}[x]^T`` (T not declared, x a vector or matrix): its transpose, as
        ``\mathbb{E}[x]^\top``; ``\mathbb{E}[x]^2`` and any other exponent: a power of the
        expectation, (E[x])²."""
        where = _At(meta.line, meta.column) if not meta.empty else _first_pos(c[-1])
        integrand, variable, density, named = self.expectation_parts(c[:-1])
        script = c[-1]
        if (isinstance(script, _Name) and script.written == "T" and "T" not in self.symbols
                and matrices.is_matrix(integrand)):
            integrand = self.matrix_function("transpose", script)(integrand)  # E[x]ᵀ = E[xᵀ]
            return _Big(expectation_over(integrand, variable, density, named,
                                         declared=self.functions))
        mean = expectation_over(integrand, variable, density, named, declared=self.functions)
        exponent = self.value(script)
        if isinstance(script, sp.Integer) and abs(int(script)) >= 10:
            raise self.err(
                f"ambiguous exponent '^{script}': LaTeX reads ^{str(script)[0]} only; write "
                f"^{{{script}}}", where)
        return _Big(self.power_of(mean, exponent, where))

    def expectation_parts(self, c: list[Any]) -> tuple[sp.Expr, sp.Basic, sp.Expr, bool]:
        """(integrand, variable, density, whether the variable was named) of E_{...}[...]."""
        tok = c[0]
        if len(c) == 2:
            body = self.value(c[1])
            var, dens = self.sole_density_of(body, tok)
            return body, var, dens, True
        kind, what = c[1]
        body = self.value(c[2])
        if kind == "sim":
            var, dens = what
            if isinstance(dens, _Name):
                dens = self.density_by_name(dens, var)
            return body, var, dens, True  # x ~ p(x, y): over all its variables
        dens = self.density_by_name(what, None) if kind == "name" else what
        if joint_expectation(body, dens) is not None:  # E_{p(x, y)}: over x and y
            return body, dens.args[0], dens, False
        return body, self.density_variable(dens, tok), dens, False

    def sole_density_of(self, body: sp.Expr, where: Any) -> tuple[sp.Symbol, sp.Expr]:
        """The density of an expectation written without a subscript, ``\\mathbb{E}[f]``,
        ``E(e^{tX})`` (Blitzstein & Hwang; DeGroot & Schervish; Ross): the one declared
        density whose variable (its first argument) occurs in f. None or several such
        densities is an error: the subscript is then needed to say which is meant."""
        free = body.free_symbols
        found: list[tuple[str, sp.Basic, sp.Expr]] = []
        for sig, value in self.functions.items():
            if isinstance(value, sp.core.function.AppliedUndef):
                if value.func.__name__ != sig or not value.args:
                    continue  # a function declared by 'functions:', not a density
                var = value.args[0]
            elif isinstance(value, sp.Symbol):
                continue  # h(x): a declared symbol written with its argument
            else:  # a density of a family, written out: its variable is the signature's
                first = re.split(r"[|,]", sig[sig.index("(") + 1: -1])[0].strip()
                var = self.symbols.get(first)
            if var is not None and var in free:
                found.append((sig, var, value))
        if len(found) != 1:
            which = ("no declared density is over a variable of the expression" if not found
                     else "the expression involves the variables of "
                     + ", ".join(sorted(sig for sig, _, _ in found)))
            raise self.err(
                "\\mathbb{E} needs its density as a subscript here, \\mathbb{E}_{q(z|x)}[...] "
                "or \\mathbb{E}_{z \\sim q(z|x)}[...]: without one it is over the one declared "
                f"density whose variable the expression involves, and {which}", where)
        return found[0][1], found[0][2]

    def plain_expectation_of(self, item: Any, paren: _Paren) -> sp.Expr | None:
        """``E(X)``, ``E(e^{tX})``: the expectation written with round brackets and no
        subscript, the letter E being declared neither as a symbol nor as a function (as
        probability textbooks print it); None otherwise."""
        if (item.base != "E" or item.sub is not None or item.accent is not None
                or paren.seps or len(paren.parts) != 1
                or any(c in self.symbols for c in item.candidates())
                or any(sig.startswith("E(") for sig in self.functions)):
            return None
        body = self.value(paren.parts[0])
        var, dens = self.sole_density_of(body, item)
        return expectation_over(body, var, dens, True, declared=self.functions)

    def kl(self, c: list[Any]) -> _Big:
        tok, paren = c[0], c[1]
        if len(paren.parts) != 2 or paren.seps not in ([","], ["||"]):
            raise self.err("KL takes two densities: KL(q(z|x), p(z)) or "
                           "\\mathrm{KL}(q(z|x) \\,\\|\\, p(z))", tok)
        first = self.kl_density(paren.parts[0], None)
        var = self.density_variable(first, tok)
        second = self.kl_density(paren.parts[1], var)
        # one meaning of KL in every front end; over every variable of a joint density
        return _Big(kl_over(first, second, var, self.functions))

    def kl_square(self, c: list[Any]) -> _Big:
        """``D_{KL}[q \\| p]``: the KL written with square brackets."""
        return self.kl([c[0], self.paren(c[1:])])

    def relative_entropy_of(self, item: Any, paren: _Paren) -> sp.Expr | None:
        r"""``D(p \| q)``, ``D(p(x) \| q(x))``: the relative entropy (KL divergence) of two
        declared densities, as Cover & Thomas write it (sec. 2.3), the letter D being declared
        neither a symbol nor a function. None for anything else: a declared D, a subscripted
        one, or a bracket without the two densities' separator."""
        if (not isinstance(item, _Name) or item.base != "D" or item.sub is not None
                or item.accent is not None or paren.seps != ["||"] or len(paren.parts) != 2
                or any(c in self.symbols for c in item.candidates())
                or any(sig.startswith("D(") for sig in self.functions)):
            return None
        return self.kl([item, paren]).value

    def entropy_of(self, item: Any, paren: _Paren) -> sp.Expr | None:
        """``H(q)``, ``H(q(h|v))``, ``\\mathcal{H}(q)``: the entropy −E_q[log q] of a declared
        density, the letter H being undeclared (Goodfellow et al. 2016, eq. 19.2; Cover &
        Thomas, sec. 8.1). None when H is declared, is subscripted, or holds no density."""
        if (item.base != "H" or item.sub is not None or paren.seps or len(paren.parts) != 1
                or any(c in self.symbols for c in item.candidates())
                or any(sig.startswith("H(") for sig in self.functions)):
            return None
        part = paren.parts[0]
        if isinstance(part, _Name):
            if not any(sig.startswith(c + "(") for sig in self.functions
                       for c in [*part.candidates(), part.base]):
                return None
            q = self.density_by_name(part, None)
        else:
            q = self.value(part)
            if not (isinstance(q, sp.core.function.AppliedUndef)
                    or q in self.functions.values()):
                return None
        var = self.density_variable(q, item)
        return written_entropy(expectation_over(-sp.log(q), var, q, declared=self.functions), q)

    def kl_density(self, part: Any, var: sp.Symbol | None) -> sp.Expr:
        if isinstance(part, _Name):
            return self.density_by_name(part, var)
        return self.value(part)


def _first_name(obj: Any) -> Any:
    return obj.base if isinstance(obj, _Power) else obj


def _is_one_name(obj: Any) -> bool:
    """A lone name (or its power), such as ``x`` or ``\\mu^2``: what may follow a ``d``."""
    return isinstance(_first_name(obj), _Name)


def _first_pos(obj: Any) -> Any:
    """Something with ``line``/``column`` for an error about ``obj``."""
    if hasattr(obj, "line") and hasattr(obj, "column"):
        return obj
    return _NoPos()


class _At:
    """A position (line, column) inside the expression."""

    def __init__(self, line: int, column: int) -> None:
        self.line, self.column = line, column


class _NoPos:
    line = 1
    column = None


def _nonpositive(v: sp.Expr) -> bool:
    """Whether a variance is known to be ≤ 0. Asked with SymPy's evaluation on: while a
    display form is built (unevaluated), SymPy's sign query on ``1 - \\bar{\\alpha}_t``
    fails inside its polynomial code; the checked reading has asked already."""
    with sp.evaluate(True):
        try:
            return bool(v.is_nonpositive)
        except Exception:
            return False


def _negated(v: sp.Expr) -> sp.Expr:
    """``-v``; in the unevaluated display form (see ``shown``) ``-0·c`` stays ``(-1)·0·c``
    (SymPy's negation of a product that starts with 0 or of the number 0 loses the sign).

    >>> c = sp.Symbol("c")
    >>> with sp.evaluate(False):
    ...     sp.srepr(_negated(sp.Mul(0, c)))
    "Mul(Integer(-1), Mul(Integer(0), Symbol('c')))"
    """
    zero = v.is_zero if isinstance(v, sp.Number) else (
        isinstance(v, sp.Mul) and v.args and v.args[0] is sp.S.Zero)
    if zero and not sp.core.parameters.global_parameters.evaluate:
        return sp.Mul(sp.S.NegativeOne, v, evaluate=False)
    if matrices.is_matrix(v) and not sp.core.parameters.global_parameters.evaluate:
        # SymPy's -A is MatMul(-1, A).doit(), which merges S⁻¹S into S^(-1 + 1) and
        # transposes a product factor by factor: the display keeps the product as written
        return sp.MatMul(sp.S.NegativeOne, v, evaluate=False)
    return -v


_UPRIGHT_WORD = re.compile(r"\\(?:mathrm|text|operatorname|mathit|rm)\s*\{\s*([A-Za-z0-9]+)\s*\}$")


def _sub_text(tok: Token) -> str:
    text = str(tok)[1:].strip()
    if text.strip("{} \t") in ("*", "\\ast", "\\star"):  # \theta_*: the optimum, theta_star
        return STAR
    if text.startswith("{"):
        text = text[1:-1].strip()
        if "," in text:  # w_{t,i}: two indices (an index set upright, P_{i,\mathrm{jj}}: jj)
            parts = [part.strip() for part in text.split(",")]
            return "{" + ",".join(_UPRIGHT_WORD.sub(r"\1", part) for part in parts) + "}"
        word = _UPRIGHT_WORD.match(text)
        if word is not None:  # p_{\mathrm{data}}: the subscript is the word
            return word.group(1)
        expression = expression_subscript(text)
        if expression is not None:  # x_{t-1}: one quantity of its own, alpha_bar_{t-1}
            return "{" + expression + "}"
    if text.startswith("\\"):
        text = text[1:]
    if len(text) > 1 and text.isdigit() and not str(tok)[1:].strip().startswith("{"):
        return text
    return text


def _check_depth(tree: Tree, where: _Where) -> None:
    """Refuse trees nested deeper than :data:`MAX_DEPTH`, without recursion."""
    stack: list[tuple[Any, int]] = [(tree, 0)]
    while stack:
        node, d = stack.pop()
        if not isinstance(node, Tree):
            continue
        data = str(node.data)
        deeper = d + (0 if data in ("plain", "name") else 1)
        if deeper > MAX_DEPTH * 3:  # sum → product → atom: about three tree levels a bracket
            meta = node.meta
            raise where.error(
                f"expression nested too deeply (more than {MAX_DEPTH} levels)",
                getattr(meta, "line", 1) if not meta.empty else 1,
                getattr(meta, "column", None) if not meta.empty else None,
            )
        stack.extend((child, deeper) for child in node.children)


def _bracket_depth(text: str) -> tuple[int, int]:
    depth = best = 0
    where = 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
            if depth > best:
                best, where = depth, i
        elif ch in ")]}":
            depth -= 1
    return best, where


_TERMINAL_WORDS = {
    "ADDOP": "'+' or '-'", "MULOP": "\\cdot", "SEP": "'|' or ','", "SIM": "\\sim",
    "FUNC": "\\log", "INT": "\\int", "RVERT": "a closing '|'", "LVERT": "'|'",
    "DIFF": "a differential such as dx",
    "DOP": "d or \\partial and one variable, as in \\frac{d}{dx}",
    "PRIME": "a prime", "BIGOP": "\\sum or \\prod", "BINOM": "\\binom",
    "NORMAL": "\\mathcal{N}", "VAR": "\\operatorname{Var}", "DFRAC": "\\frac", "DOPFRAC": "\\frac",
    "EXPECT": "\\mathbb{E}", "NUMBER": "a number", "NAMEBASE": "a name", "LPAR": "'('",
    "RPAR": "')'", "LSQB": "'['", "RSQB": "']'", "LBRACE": "'{'", "RBRACE": "'}'",
    "CIRCUMFLEX": "'^'", "_": "'_'", "$END": "the end of the expression",
}


def _undeclared_atom(err: UnexpectedInput, text: str) -> tuple[str, int, int] | None:
    """A name with an expression subscript (``\\mu_{q(1/\\sigma^2)}``) where the parse
    failed and not declared: its text and where it starts; else None."""
    pos = getattr(err, "pos_in_stream", None)
    if pos is None:
        return None
    for m in _ATOM_START.finditer(text):
        if not m.group(0).endswith("{") or m.start() > pos:
            continue
        end = _past_closing_brace(text, m.end() - 1)
        if end is not None and m.start() <= pos < end and m.group(2) != "E" and atom_name(
                m.group(2), text[m.end():end - 1]) is not None:
            line, column = _pos(m.start(), text)
            return text[m.start():end], line, column
    return None


def _explain(err: UnexpectedInput, text: str, where: _Where) -> DerivationSyntaxError:
    atom = _undeclared_atom(err, text)
    if atom is not None:
        written, line, column = atom
        return where.error(
            f"'{written}' is not declared: a name whose subscript is an expression is one "
            f"symbol once declared, e.g. '% symbols: {written} : real'", line, column)
    if isinstance(err, UnexpectedCharacters):
        pos = err.pos_in_stream
        cmd = _COMMAND.match(text, pos)
        line, column = err.line, err.column
        if cmd and cmd.group(0) not in _KNOWN_COMMANDS:
            word = cmd.group(0)
            if word in (r"\def", r"\newcommand", r"\renewcommand", r"\let", r"\input",
                        r"\include", r"\write", r"\immediate", r"\catcode", r"\csname"):
                why = "macros, file inclusion and shell escapes are not read"
            else:
                why = "expected \\frac, \\sqrt, \\log, \\exp, \\int, \\mathbb{E}, a Greek letter..."
            return where.error(f"unsupported LaTeX command '{word}': {why}", line, column)
        ch = text[pos] if pos < len(text) else ""
        if ch == "&":
            return where.error("unexpected '&': alignment belongs to the .tex reader", line,
                               column)
        if ch == "d" and "\\int" not in text:
            pass
        shown = repr(ch) if ch.isprintable() else f"character U+{ord(ch):04X}"
        if cmd and cmd.group(0) in _KNOWN_COMMANDS:
            return where.error(f"unexpected '{cmd.group(0)}' here", line, column)
        return where.error(f"unexpected {shown}", line, column)
    if isinstance(err, UnexpectedToken):
        tok = err.token
        if tok.type == "$END":
            line, column = _pos(len(text), text)
            found = "end of the expression"
        else:
            line, column = tok.line, tok.column
            found = repr(str(tok))
        expected = sorted({_TERMINAL_WORDS.get(t, t.lower()) for t in err.expected})
        if tok.type == "DIFF":  # 'a d c': a d that is neither a differential nor a name
            after = re.match(r"d\s*(\\?[a-zA-Z]+)", text[tok.start_pos or 0:])
            name = after.group(1) if after else "x"
            return where.error(
                f"'d {name}' is ambiguous here: a differential or a product. "
                f"Write a product with \\cdot ('d \\cdot {name}'), a derivative as "
                "\\frac{d}{dx}(...), and a differential only after an integrand "
                "(\\int f(x)\\, dx)", line, column)
        before = text[: tok.start_pos if tok.type != "$END" else len(text)].rstrip()
        if before.endswith("'") and set(err.expected) <= {"LPAR"}:  # f' without its argument
            return where.error(
                "a prime is read as the derivative of a function declared with its variable "
                "('% functions: f(x) : real'), written with its argument, f'(x); write other "
                "derivatives as \\frac{d}{dx}(...), and another quantity with a subscript "
                "or an accent (x_1, \\tilde{x}) rather than a prime", line, column)
        if tok.type == "CIRCUMFLEX":
            return where.error("double superscript: use braces, e.g. x^{a^{b}}", line, column)
        if "DIFF" in err.expected and tok.type == "$END":
            return where.error(
                "an integral without its differential: expected 'dx' (or 'd' and the variable)",
                line, column)
        if len(expected) > 6:
            wanted = "an expression or an operator"
        else:
            wanted = ", ".join(expected)
        return where.error(f"unexpected {found}; expected {wanted}", line, column)
    if isinstance(err, UnexpectedEOF):
        line, column = _pos(len(text), text)
        return where.error("unexpected end of the expression", line, column)
    return where.error(str(err), 1, None)  # pragma: no cover


#: ``^{T}``: the transpose of a matrix (read like ``^T``, where T is not declared)
_BRACED_T = re.compile(r"\^\s*\{\s*T\s*\}")


def latex_to_sympy(
    text: str,
    *,
    symbols: Mapping[str, sp.Symbol],
    functions: Mapping[str, Any] | None = None,
    file: str | None = None,
    line: int | None = None,
    column: int | None = None,
    indexed: Mapping[str, sp.IndexedBase] | None = None,
    ranges: Mapping[str, sp.Interval] | None = None,
    definitions: MutableMapping[str, sp.Expr] | None = None,
) -> sp.Expr:
    r"""Read one LaTeX expression into SymPy, through our own grammar (no ``eval``).

    Parameters
    ----------
    text : str
        the LaTeX, without ``$`` delimiters.
    symbols : mapping of str to sympy.Symbol
        the declared names (``"mu_1"``, ``"sigma2"``, ``"x_hat"``...) and their symbols,
        which carry the assumptions.
    functions : mapping of str to sympy.Expr, optional
        densities by signature (``"q(z|x)"`` → ``Function("q(z|x)", positive=True)(z, x)``);
        a signature may also map to a plain symbol (``"h(x)"`` → ``h``).
    file, line, column : optional
        where ``text`` starts, for error messages.
    definitions : mutable mapping of str to sympy.Expr, optional
        the ``let`` definitions; a let of an indexed name (``\bar{\alpha}_t`` for an index
        t declared integer) written at another index (``\bar{\alpha}_{t-1}``) adds the let
        at that index to it, and its name to ``symbols``.

    Returns
    -------
    sympy.Expr

    Raises
    ------
    DerivationSyntaxError
        ``FILE:LINE:COLUMN: message`` for anything outside the grammar, an undeclared name
        (with how to declare it), or input beyond the limits.

    Examples
    --------
    >>> import sympy as sp
    >>> h, g = sp.Symbol("h", positive=True), sp.Symbol("g", real=True)
    >>> latex_to_sympy(r"\frac{1}{2}\left(h + g^2 - \log h - 1\right)", symbols={"h": h, "g": g})
    g**2/2 + h/2 - log(h)/2 - 1/2
    >>> z, x = sp.symbols("z x", real=True)
    >>> q = sp.Function("q(z|x)", positive=True)(z, x)
    >>> latex_to_sympy(r"\mathbb{E}_{q(z|x)}\left[\log q(z|x)\right]",
    ...                symbols={"z": z, "x": x}, functions={"q(z|x)": q})
    E[log(q(z|x)(z, x)), z ~ q(z|x)(z, x)]
    """
    where = _Where(file, line, column)
    if not isinstance(text, str):
        raise InputError(f"text must be a string, got {type(text).__name__}")
    for name, value in symbols.items():
        if not isinstance(value, (sp.Symbol, sp.MatrixSymbol, sp.Identity)):
            raise InputError(
                f"symbols[{name!r}] must be a SymPy Symbol, got {type(value).__name__}")
    for name, value in (functions or {}).items():
        if not isinstance(value, sp.Expr):
            raise InputError(
                f"functions[{name!r}] must be a SymPy expression, got {type(value).__name__}")
    if len(text) > MAX_LATEX:
        raise where.error(f"LaTeX expression longer than {MAX_LATEX} characters", 1, 1)
    bad = re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text)
    if bad:
        ln, col = _pos(bad.start(), text)
        raise where.error(
            f"control character U+{ord(bad.group(0)):04X}: expected printable text", ln, col)
    if "\t" in text:
        text = text.replace("\t", " ")
    norm = _normalise(text)
    if "T" not in symbols and "{" in norm:  # x^{T}: written as x^T (a transpose, T undeclared)
        norm = _BRACED_T.sub(lambda m: "^T" + " " * (len(m.group(0)) - 2), norm)
    norm, atoms = _declared_atoms(norm, symbols)
    if not norm.strip():
        raise where.error("empty LaTeX expression", 1, 1)
    depth, at = _bracket_depth(norm)
    if depth > MAX_DEPTH:
        ln, col = _pos(at, norm)
        raise where.error(f"brackets nested more than {MAX_DEPTH} deep", ln, col)
    # 'd x' is a differential only after an integrand: in an expression without an integral, a
    # declared d before a name is a product (2d\sigma^2), since nothing else can be meant
    d_is_product = "d" in symbols and not re.search(r"\\(int|oint)(?![a-zA-Z])", norm)
    try:
        tree = (_parser_d_product() if d_is_product else _parser()).parse(norm)
    except UnexpectedInput as err:
        raise _explain(err, norm, where) from None
    _check_depth(tree, where)
    bound = _bound_variables(tree, symbols, functions or {})
    between = _between_variables(tree, symbols, functions or {}, bound)
    bound.update(between)
    if bound:  # the variable of an integral is bound by it: no declaration needed
        symbols = {**symbols, **{key: sym for key, (sym, _) in bound.items()}}
    builder = _Builder(symbols, functions or {}, where, indexed, ranges, definitions)
    builder.between_bound = {sym for sym, _ in between.values()}
    builder.d_is_product = d_is_product
    builder.atoms = atoms
    try:
        result = builder.transform(tree)
        result = builder.value(result)
    except VisitError as err:  # lark wraps what a rule raises
        if isinstance(err.orig_exc, DerivationSyntaxError):
            raise err.orig_exc from None
        meta = getattr(err.obj, "meta", None)
        ln = getattr(meta, "line", 1) if meta is not None and not meta.empty else 1
        col = getattr(meta, "column", 1) if meta is not None and not meta.empty else 1
        raise where.error(f"cannot build this expression: {err.orig_exc}", ln, col) from None
    if not isinstance(result, sp.Expr):  # pragma: no cover - the grammar builds expressions
        raise where.error("expected an expression", 1, 1)
    for key, (sym, tok) in bound.items():
        if sym in result.free_symbols:  # used outside the integral that binds it
            raise where.error(
                f"undeclared symbol '{tok}': it is bound only inside the integral over it; "
                f"declare it, e.g. '% symbols: {key} : real', to use it outside",
                tok.line, tok.column)
    if result.has(sp.zoo, sp.nan):
        raise where.error("the expression is undefined (a division by zero?)", 1, 1)
    if result.has(sp.I):
        raise where.error("the expression is not real (a square root or log of a negative "
                          "number?); expected a real expression", 1, 1)
    return result


def _bound_variables(tree: Tree, symbols: Mapping[str, Any], functions: Mapping[str, Any],
                     ) -> dict[str, tuple[sp.Symbol, Token]]:
    """The undeclared variables of integrals ``\\int ... dx`` in ``tree``: the integral binds
    x, and a textbook declares nothing for it (Billingsley's ``\\int |x| ... dx``), so it is a
    real variable there. So is a name with a one-symbol subscript, MacKay's ``dp_a`` or
    ``d\\theta_1``, when nothing of its base letter is declared (no symbol, vector or indexed
    family whose entry it could be). A name that names a density is left alone.

    >>> _bound_variables(_parser().parse(r"\\int_0^1 u^2 du"), {}, {})
    {'u': (u, Token('NAMEBASE', 'u'))}
    >>> sorted(_bound_variables(_parser().parse(r"\\int_0^1 p_a dp_a"), {}, {}))
    ['p_a']
    """
    out: dict[str, tuple[sp.Symbol, Token]] = {}
    for node in tree.find_pred(lambda t: t.data in ("integral", "integral_one",
                                                    "integral_frac")):
        last = node.children[-2 if node.data == "integral_frac" else -1]
        if not isinstance(last, Tree) or last.data != "name" or len(last.children) not in (1, 2):
            continue
        tok = last.children[0]
        base = str(tok).lstrip("\\")
        sub = None
        if len(last.children) == 2:
            sub = _sub_text(last.children[1])
            # only a plain one-letter or one-digit subscript: an expression, a word or two
            # indices names something of its own
            if not re.fullmatch(r"[A-Za-z0-9]", sub):
                continue
            stems = _Name(base, None, None, str(tok), tok.line, tok.column).candidates()
            if any(c in symbols or c in out for c in stems) or any(
                    sig.startswith(c + "(") or sig.startswith(c + "_")
                    for sig in functions for c in stems):
                continue  # the entry of a declared vector or family, never rebound
        cands = _Name(base, sub, None, str(tok), tok.line, tok.column).candidates()
        if (base in ("d", "e", "pi", "partial") or any(c in symbols or c in out for c in cands)
                or any(sig.startswith(c + "(") for sig in functions for c in cands)):
            continue
        out[cands[0]] = (sp.Symbol(cands[0], real=True), tok)
    return out


def _between_variables(tree: Tree, symbols: Mapping[str, Any], functions: Mapping[str, Any],
                       bound: Mapping[str, Any]) -> dict[str, tuple[sp.Symbol, Token]]:
    """The variable of each antiderivative between two ends, ``[F]_a^b``, that is declared
    nowhere: the variable named, ``[F]_{x = a}^{b}``, or else the one plain name of F (a
    letter, or a letter with a one-character subscript) that is no declared symbol, function
    or density, bound by the bracket as an integral binds its variable (``[u^3/3]_{-1}^{1}``
    after ``\\int u^2 du``). A bracket with two such names binds neither (each is then an
    undeclared symbol).

    >>> sorted(_between_variables(_parser().parse("\ue00c u^3/a \ue00d_0^1"), {}, {}, {}))
    []
    >>> a = sp.Symbol("a", positive=True)
    >>> sorted(_between_variables(_parser().parse("\ue00c u^3/a \ue00d_0^1"), {"a": a}, {}, {}))
    ['u']
    """
    out: dict[str, tuple[sp.Symbol, Token]] = {}
    for node in tree.find_pred(lambda t: t.data in ("evaluated_between",
                                                    "evaluated_between_named")):
        found: dict[str, tuple[sp.Symbol, Token]] = {}
        leaves = ([node.children[3]] if node.data == "evaluated_between_named"
                  else node.children[1].find_pred(lambda t: t.data == "name"))
        for leaf in leaves:
            if not isinstance(leaf, Tree) or leaf.data != "name":
                continue
            if len(leaf.children) not in (1, 2) or not isinstance(leaf.children[0], Token):
                continue
            tok = leaf.children[0]
            base = str(tok).lstrip("\\")
            sub = _sub_text(leaf.children[1]) if len(leaf.children) == 2 else None
            if sub is not None and not re.fullmatch(r"[A-Za-z0-9]", sub):
                continue
            cands = _Name(base, sub, None, str(tok), tok.line, tok.column).candidates()
            if (base in ("d", "e", "pi", "partial")
                    or any(c in symbols or c in bound or c in out for c in cands)
                    or any(sig.startswith(c + "(") or sig.startswith(c + "_")
                           for sig in functions for c in cands)):
                continue
            found.setdefault(cands[0], (sp.Symbol(cands[0], real=True), tok))
        if len(found) == 1:
            out.update(found)
    return out


# --------------------------------------------------------------------------------------
# .tex files
# --------------------------------------------------------------------------------------

_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*$")
#: a name alone, as a label before '=' writes it: \mu_1, \tilde{\mu}_t, \sigma_q^2 not
_LABEL_NAME = re.compile(r"(?:\\(?:hat|bar|tilde|widehat|widetilde|overline)\s*\{?\s*)?"
                         r"\\?[A-Za-z]+\s*\}?\s*(?:_\s*(?:\{\s*\\?[A-Za-z0-9]+\s*\}|\\?[A-Za-z0-9]+))?$")
_SIGNATURE_RE = re.compile(r"\s*([A-Za-z][A-Za-z0-9_]*)\s*\(([^()]*)\)\s*$")
_BEGIN = re.compile(r"\\begin\s*\{\s*(align\*?|aligned|eqnarray\*?|split|alignedat\*?)\s*\}"
                    r"(?:\s*\{\s*\d+\s*\})?")
#: other display maths: read when it holds a chain a = b \le c (an equation, \[ \], $$ $$,
#: a multline broken over lines, a gather of one row), else reported as not checked
_OTHER_MATH = re.compile(
    r"\\begin\s*\{\s*(equation\*?|gather\*?|multline\*?|flalign\*?)\s*\}"
    r"|(?<!\\)\\\[()|(?<![\\$])\$\$()")
_RELATION_RE = re.compile(
    r"&\s*(=|\\leq?(?![a-zA-Z])|\\geq?(?![a-zA-Z])|\\simeq(?![a-zA-Z])\s*"
    r"(?:_\s*(?:\{((?:[^{}]|\{[^{}]*\})*)\}|(\\[a-zA-Z]+|[a-zA-Z])))?"
    r"|<=|>=|<|>)"
)
#: a relation with the alignment point after it, ``=&`` (Knuth's and many books' style)
_RELATION_AFTER_RE = re.compile(
    r"(?<![&\\])(=|\\leq?(?![a-zA-Z])|\\geq?(?![a-zA-Z])|<=|>=)\s*&(?!&)")
#: a comma, semicolon or full stop ending a row (a book's punctuation of its display), with
#: the spacing around it: never mathematics, since an expression cannot end with one
_TRAILING_PUNCTUATION = re.compile(
    r"(?<!\\)[.,;](?:\s|\\[,;:! ]|\\q?quad(?![a-zA-Z]))*$")
_TEXT_CMD = re.compile(r"\\(text|textrm|mbox|intertext|tag\*?|label)\s*\{")
#: an operator the grammar reads, set upright with \text and followed by its bracket or its
#: subscript: mathematics, never a remark (\text{KL}(q \,\|\, p), \text{Var}_{q}[z])
_TEXT_OPERATOR = re.compile(r"\\text\s*\{\s*(KL|Var|E)\s*\}(?=\s*(\(|\[|_|\\left|\\[bB]igg?l?))")


_TOP_RELATION = re.compile(r"=|\\leq?(?![a-zA-Z])|\\geq?(?![a-zA-Z])")

#: a remark set after a quad at the end of a row: a condition (\quad \forall x, \quad
#: \text{for } x > 0) or a reason in brackets with mathematics in it (\quad (\text{since }
#: E[z^2] = \sigma^2 + \mu^2)), or a draw stated beside the row (\quad (X \sim
#: \mathrm{Poisson}(\lambda)), whose \sim is no operator of an expression)
_QUAD_REMARK = re.compile(
    r"\\q?quad(?![a-zA-Z])\s*(?=\\forall(?![a-zA-Z])|\\text\s*\{|\\textrm\s*\{|\\mbox\s*\{"
    r"|\\mathrm\s*\{\s*(?:for|if|where|since|with)\s*\}|(?:\\left\s*)?\(\s*\\text\s*\{"
    r"|[^{}]*\\sim(?![a-zA-Z]))")


def _quad_remark(original: str, blanked: str) -> tuple[int, str] | None:
    r"""Where a remark after a ``\quad`` starts in a row's right-hand side, and the remark as
    the author wrote it (``\text{...}`` kept as its words), when it holds mathematics beside
    its words (a remark of words alone is blanked with its ``\text`` already); else None.

    ``original`` is the right-hand side as written, ``blanked`` the same with its ``\text``
    blanked (the same columns).

    >>> row = r" a + b \quad \forall a > 0"
    >>> _quad_remark(row, row)
    (7, '\\forall a > 0')
    >>> _quad_remark(r" a \qquad \text{(by parts)}", r" a \qquad" + " " * 16) is None
    True
    """
    for m in _QUAD_REMARK.finditer(original):
        depth = 0
        for ch in original[:m.start()]:
            depth += 1 if ch in "{[(" else -1 if ch in "}])" else 0
        if depth != 0 or not blanked[m.end():].strip():
            continue
        words = re.sub(r"\\(?:text|textrm|mbox)\s*\{([^{}]*)\}", r"\1", original[m.end():])
        words = re.sub(r"\\(?:[,;:! ]|q?quad(?![a-zA-Z]))", " ", words)
        return m.start(), " ".join(words.split())
    return None


def _top_relations(text: str, start: int, stop: int) -> list[tuple[int, int, str]]:
    """The relations ``=``, ``\\le``, ``\\ge`` of ``text[start:stop]`` outside braces and
    brackets (so not the ``=`` of ``\\sum_{k=0}``): (start, end, token)."""
    out = []
    depth = 0
    i = start
    while i < stop:
        ch = text[i]
        if ch == "\\" and i + 1 < stop and text[i + 1] in "{}[]()":
            i += 2
            continue
        if ch in "{[(":
            depth += 1
        elif ch in "}])":
            depth -= 1
        elif depth == 0:
            m = _TOP_RELATION.match(text, i)
            if m and m.end() <= stop:
                token = m.group(0)
                out.append((i, m.end(), "=" if token == "=" else token.rstrip("q")))
                i = m.end()
                continue
        i += 1
    return out


#: a relation with a label set over or under it, as papers mark the reason of a step:
#: ``\stackrel{(a)}{=}``, ``\overset{\text{Jensen}}{\geq}``, ``\underset{z \sim q}{=}``
_STACKED = re.compile(
    r"\\(?:stackrel|overset|underset)\s*\{((?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*)\}\s*"
    r"\{\s*(=|\\leq?(?![a-zA-Z])|\\geq?(?![a-zA-Z])|<|>)\s*\}")
#: a definition's sign in a first row, ``m := ...``, read as the ``=`` of a label
_DEFINES = re.compile(r":=|\\coloneqq(?![a-zA-Z])|\\triangleq(?![a-zA-Z])|\\eqqcolon(?![a-zA-Z])")


def _stacked_relations(body: str, start: int, stop: int) -> tuple[str, list[tuple[int, str]]]:
    r"""``body`` with each relation of ``body[start:stop]`` that has a label set over or under
    it written as the bare relation (the same columns), and the labels as their author wrote
    them, by where they stood: ``&\stackrel{(a)}{=} x`` is ``&= x`` with the reason "(a)".

    >>> text, labels = _stacked_relations(r"a &\overset{\text{Jensen}}{\ge} b", 0, 33)
    >>> text.split(), labels
    (['a', '&', '\\ge', 'b'], [(3, 'Jensen')])
    """
    labels = []
    out = body
    for m in _STACKED.finditer(body, start, stop):
        rel = m.group(2)
        padded = " " * (m.start(2) - m.start()) + rel + " " * (m.end() - m.end(2))
        padded = padded[:len(m.group(0))].ljust(len(m.group(0)))
        out = out[:m.start()] + padded + out[m.end():]
        labels.append((m.start(), _annotation_words(m.group(1))))
    return out, labels


def _annotation_words(text: str) -> str:
    r"""An annotation column as its author wrote it, ``\text`` unwrapped and spacing made
    plain, its words and mathematics in their order: ``\text{(moments of } q \text{)}`` is
    ``(moments of q)``; a ``\label`` or a numbered ``\tag`` is dropped.

    >>> _annotation_words(r" \text{(moments of } q \text{)} \label{e3}")
    '(moments of q)'
    """
    text = re.sub(r"\\(?:label|tag\*?)\s*\{[^{}]*\}", " ", text)
    words = re.sub(r"\\(?:text|textrm|mbox)\s*\{([^{}]*)\}", r"\1", text)
    words = re.sub(r"\\(?:[,;:! ]|q?quad(?![a-zA-Z]))|\$", " ", words)
    words = " ".join(words.split())
    return re.sub(r"\(\s+", "(", re.sub(r"\s+\)", ")", words))


def _top_row_breaks(text: str, start: int, stop: int) -> list[int]:
    """Where ``\\\\`` breaks a row in ``text[start:stop]`` outside braces (the starts)."""
    out = []
    depth = 0
    i = start
    while i < stop:
        if text.startswith("\\\\", i):
            if depth == 0:
                out.append(i)
            i += 2
            continue
        if text[i] == "\\" and i + 1 < stop:
            i += 2
            continue
        depth += 1 if text[i] == "{" else -1 if text[i] == "}" else 0
        i += 1
    return out


def _braced_commands(row: str) -> list[tuple[str, int, int, str]]:
    """``\\text{...}``, ``\\tag{...}``, ``\\label{...}`` in ``row`` (nested braces allowed):
    (command, start, end, content)."""
    out = []
    pos = 0
    while True:
        m = _TEXT_CMD.search(row, pos)
        if m is None:
            return out
        before = row[: m.start()]
        if before.count("{") - before.count("\\{") > before.count("}") - before.count("\\}"):
            pos = m.end()  # inside braces (D_{\text{KL}}): part of the mathematics
            continue
        operator = _TEXT_OPERATOR.match(row, m.start())
        if operator is not None:
            pos = operator.end()  # \text{KL}(q \| p), \text{Var}[x]: the operator itself
            continue
        depth, i = 1, m.end()
        while i < len(row) and depth:
            if row[i] == "{" and row[i - 1] != "\\":
                depth += 1
            elif row[i] == "}" and row[i - 1] != "\\":
                depth -= 1
            i += 1
        if depth:
            return out  # unbalanced: left for the expression reader to report
        out.append((m.group(1).rstrip("*"), m.start(), i, row[m.end(): i - 1].strip()))
        pos = i


_MATRIX_ENV = re.compile(r"\\begin\s*\{\s*[pbvBV]?matrix\s*\}(.*?)\\end\s*\{\s*[pbvBV]?matrix\s*\}",
                         re.DOTALL)


def _mask_matrices(text: str) -> str:
    """``text`` with the ``&`` and ``\\\\`` of every written-out matrix (``pmatrix``...) as
    U+E002 and U+E003 U+E003, so that they do not end a row or a column of the ``align``
    around them; the expression grammar reads both spellings alike."""
    def hide(m: re.Match[str]) -> str:
        inner = m.group(1).replace("\\\\", "\ue003\ue003").replace("&", "\ue002")
        return m.group(0)[: m.start(1) - m.start(0)] + inner + m.group(0)[m.end(1) - m.start(0):]
    return _MATRIX_ENV.sub(hide, text) if "matrix" in text else text


def _unmask(text: str) -> str:
    """The written text back from :func:`_mask_matrices`."""
    return text.replace("\ue003\ue003", "\\\\").replace("\ue002", "&")


def _blank(text: str, start: int, end: int) -> str:
    """``text`` with [start, end) replaced by spaces (newlines kept)."""
    return text[:start] + re.sub(r"[^\n]", " ", text[start:end]) + text[end:]


def _strip_comments(text: str) -> tuple[str, dict[int, str]]:
    """Blank out ``%`` comments; return the text and each line's comment (by 1-based line)."""
    comments: dict[int, str] = {}
    out_lines = []
    for number, line in enumerate(text.split("\n"), start=1):
        m = re.search(r"(?<!\\)%", line)
        if m:
            comments[number] = line[m.end():].strip()
            line = line[: m.start()] + " " * (len(line) - m.start())
        out_lines.append(line)
    return "\n".join(out_lines), comments


class _TexReader:
    def __init__(self, file: str | None, name: str | None) -> None:
        self.file = file
        self.name = name or (Path(file).stem if file else "")
        #: every name and its meaning, through the one builder all front ends share
        self.decl = Declarations(file=file)
        self.symbols = self.decl.symbols
        self.definitions = self.decl.definitions
        self.functions = self.decl.functions
        #: the densities that draws from a named family declared, by family: (variable,
        #: parameters as written)
        self.drawn: dict[str, tuple[str, str]] = {}
        self.title = ""
        self.source = ""
        #: steps read in earlier parts: the step limit holds for the whole file
        self.steps_before = 0
        #: '% part:' and '% goal:' comments (line, key, value): they belong to the
        #: environment they are written in or before
        self.placed: list[tuple[int, str, dict[str, Any]]] = []

    def error(self, message: str, line: int | None, column: int | None = None,
              ) -> DerivationSyntaxError:
        return DerivationSyntaxError(message, file=self.file, line=line, column=column)

    # header comments -------------------------------------------------------------------
    def header(self, comments: dict[int, str], raw_lines: list[str]) -> None:
        for comment in comments.values():  # a functions: line may use a later family's variable
            found = header_line(comment)
            if found is not None and found.key == "densities":
                self.decl.expect_family_variables(found.value)
        for number, comment in sorted(comments.items()):
            found = header_line(comment)
            near = misspelt_header(comment) if found is None else None
            if near is not None:  # '% density: q(z) = ...' would be ignored as a comment
                col = raw_lines[number - 1].index(comment) + near[2]
                raise self.error(misspelt_header_message(*near[:2]), number, col)
            if found is None:
                continue
            rest = found.value
            col = raw_lines[number - 1].index(comment) + found.column
            if not apply_header(self, found.key, rest, number, col):  # part:, goal:
                lead = len(rest) - len(rest.lstrip())
                self.placed.append((number, found.key, {"text": rest.strip(), "line": number,
                                                        "column": col + lead}))

    def declare_symbols(self, text: str, line: int, col: int) -> None:
        self.decl.declare_symbols(text, line, col)

    def define(self, text: str, line: int, col: int) -> None:
        name_part, eq, expr_text = text.partition("=")
        name = self.decl.plain(name_part.strip())  # '% let: \lambda = ...' names lambda
        if not eq or not _NAME_RE.match(name):
            raise self.error("expected '% let: NAME = LaTeX expression'", line, col)
        if name in self.symbols:
            raise self.error(f"'{name}' is already declared", line, col)
        value = latex_to_sympy(expr_text, symbols=self.symbols, functions=self.functions,
                               file=self.file, line=line, column=col + len(name_part) + 1,
                               definitions=self.definitions)
        self.decl.define(name, value, line, col)

    def declare_densities(self, text: str, line: int, col: int) -> None:
        def parameter(part: str, c: int) -> sp.Expr:
            try:
                return latex_to_sympy(part, symbols=self.symbols, functions=self.functions,
                                      file=self.file, line=line, column=c)
            except DerivationSyntaxError:
                # a declaration is written as in a .deriv header (the README's
                # 'q(z|x) = N(v*x, d)'): there '*' between two operands is the product
                starred = _DECLARED_PRODUCT.sub(r" \\cdot ", part)
                if starred == part:
                    raise
                try:
                    return latex_to_sympy(starred, symbols=self.symbols,
                                          functions=self.functions, file=self.file,
                                          line=line, column=c)
                except DerivationSyntaxError:
                    pass
                raise  # the error of the text as written, at its own column

        self.decl.declare_densities(text, line, col, expression=parameter)

    def declare_functions(self, text: str, line: int, col: int) -> None:
        # '% functions: h(x), g(x)': the notes' h(x) is the declared symbol (or let name) h;
        # '% functions: f(z) : real' an abstract function, as in a .deriv file
        self.decl.declare_functions(text, line, col)

    # the environment -------------------------------------------------------------------
    def read(self, text: str) -> Derivation:
        if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
            raise self.error(f"input larger than {MAX_BYTES} bytes", 1)
        if text.startswith("\ufeff"):
            text = text[1:]
        text = text.replace("\r\n", " \n").replace("\r", "\n")
        nul = text.find("\x00")
        if nul >= 0:
            ln, col = _pos(nul, text)
            raise self.error("NUL byte: expected text", ln, col)
        raw_lines = text.split("\n")
        body, comments = _strip_comments(text)
        self.header(comments, raw_lines)
        body = _mask_matrices(body)
        # (start, content start, content end, end, kind) of every environment read
        spans: list[tuple[int, int, int, int, str]] = []
        pos = 0
        while (begin := _BEGIN.search(body, pos)) is not None:
            env = begin.group(1)
            end_re = re.compile(r"\\end\s*\{\s*" + re.escape(env) + r"\s*\}")
            end = end_re.search(body, begin.end())
            if end is None:
                ln, col = _pos(begin.start(), body)
                raise self.error(f"\\begin{{{env}}} without \\end{{{env}}}", ln, col)
            spans.append((begin.start(), begin.end(), end.start(), end.end(), "rows"))
            pos = end.end()
        # display maths holding a chain a = b = c (equation, equation*, \[ \], $$ $$) is read
        # too; other display maths is reported as not checked
        unread = []
        dollars: list[tuple[int, int]] = []
        for m in _OTHER_MATH.finditer(body):
            if any(a <= m.start() < z for a, _, _, z, _ in spans):
                continue
            closing = (re.compile(r"\\end\s*\{\s*" + re.escape(m.group(1)) + r"\s*\}")
                       if m.group(1) else re.compile(r"\\\]") if m.group(2) is not None
                       else re.compile(r"(?<!\\)\$\$"))
            if m.group(3) is not None and any(a <= m.start() < z for a, z in dollars):
                continue  # the closing $$ of a display already taken
            end = closing.search(body, m.end())
            if end is None:
                ln, col = _pos(m.start(), body)
                raise self.error(f"{m.group(0).strip()} without its end", ln, col)
            if any(m.start() < a < end.start() for a, _, _, _, _ in spans):
                continue  # an equation around an aligned environment: that one is read
            if m.group(3) is not None:
                dollars.append((m.start(), end.end()))
            kind = (m.group(1) or "[").rstrip("*")
            rows_in = _top_row_breaks(body, m.end(), end.start())
            # a multline is one equation broken over lines; a gather of one row is one line
            if (kind in ("equation", "[", "multline") or (kind == "gather" and not rows_in)):
                plain = _stacked_relations(body, m.end(), end.start())[0]
                if _top_relations(plain, m.end(), end.start()):
                    spans.append((m.start(), m.end(), end.start(), end.end(), "chain"))
                    continue
            unread.append({"line": _pos(m.start(), body)[0],
                           "what": m.group(0).replace(" ", "")})
        spans.sort()
        if not spans:
            raise self.error("no \\begin{align} or \\begin{align*} environment (or equation "
                             "with a relation): expected the derivation inside one", 1, 1)
        parts = []
        previous_end = 0
        for i, (start, inner, stop, end_at, kind) in enumerate(spans):
            part = (self.rows(body, inner, stop, comments) if kind == "rows"
                    else self.chain(body, inner, stop))
            self.steps_before += len(part.steps)
            last_line = _pos(end_at, body)[0] if i + 1 < len(spans) else len(raw_lines)
            label = ""
            for number, key, value in self.placed:
                if previous_end < number <= last_line:
                    if key == "part":
                        label = value["text"]
                    else:
                        part.metadata["goal"] = value
            part.metadata["part"] = {"number": i + 1, "of": len(spans),
                                     "label": label or str(i + 1),
                                     "line": _pos(start, body)[0]}
            previous_end = last_line
            parts.append(part)
        first, *later = parts
        if later:
            first.metadata["later_parts"] = later
        else:
            first.metadata.pop("part", None)
        if unread:
            first.metadata["unread"] = unread
        return first

    def chain(self, body: str, start: int, stop: int) -> Derivation:
        """``\\begin{equation} a = b \\le c \\end{equation}``: a start and its steps (a
        multline's line breaks ``\\\\`` are spaces)."""
        body, stacked = _stacked_relations(body, start, stop)
        work = body
        for at in _top_row_breaks(body, start, stop):
            work = work[:at] + "  " + work[at + 2:]
        found = _braced_commands(body[start:stop])
        for _, m_start, m_end, _ in found:
            work = _blank(work, start + m_start, start + m_end)
        text = work[start:stop]
        trail = re.search(r"[\s.,;]*$", text)
        if trail is not None:  # a sentence's full stop after the display
            stop = start + trail.start()
        relations = _top_relations(work, start, stop)
        pieces = []
        at = start
        for r_start, r_end, token in relations:
            pieces.append((at, r_start, token))
            at = r_end
        pieces.append((at, stop, None))
        steps: list[Step] = []
        (a, z, _), rest = pieces[0], pieces[1:]
        lead = len(work[a:z]) - len(work[a:z].lstrip())
        start_text = _unmask(work[a:z].strip())
        if not start_text:
            ln, col = _pos(a, body)
            raise self.error("expected an expression before the relation", ln, col)
        ln, col = _pos(a + lead, body)
        start_expr = self.expr(start_text, ln, col)
        start_span = (ln, col, *_pos(a + lead + len(start_text), body))
        start_display = self.shown(start_text, ln, col)
        tokens = [tok for _, _, tok in pieces[:-1]]
        for i, ((a, z, _), token) in enumerate(zip(rest, tokens, strict=True)):
            # a label over this step's relation stands after the expression before it
            over = "; ".join(label for at, label in stacked
                             if pieces[i][0] <= at < pieces[i][1] and label)
            if len(steps) + self.steps_before >= MAX_STEPS:
                raise self.error(f"more than {MAX_STEPS} steps (in all parts together)",
                                 *_pos(a, body))
            piece = work[a:z]
            written = _unmask(piece.strip())
            lead = len(piece) - len(piece.lstrip())
            ln, col = _pos(a + lead, body)
            if not written:
                raise self.error("expected an expression after the relation", ln, col)
            relation = {"=": Relation.EQ}.get(token) or (
                Relation.LE if token.startswith("\\le") else Relation.GE)
            steps.append(Step(index=len(steps) + 1, relation=relation,
                              expr=self.expr(written, ln, col), expr_text=written,
                              display=self.shown(written, ln, col),
                              span=(ln, col, *_pos(a + lead + len(written), body)),
                              line=ln, text=written, justification=over))
        return Derivation(
            title=self.title or self.name, source=self.source, name=self.name, path=self.file,
            symbols=dict(self.symbols), definitions=dict(self.definitions),
            functions=dict(self.functions), declarations=self.decl.copy(), start=start_expr,
            start_line=start_span[0], start_text=start_text, start_span=start_span,
            start_display=start_display, steps=steps, metadata={"format": "tex"})

    def rows(self, body: str, start: int, stop: int, comments: dict[int, str]) -> Derivation:
        body, stacked = _stacked_relations(body, start, stop)
        # row boundaries: '\\' at the top level of braces
        bounds: list[tuple[int, int]] = []
        row_start = start
        i = start
        while i < stop:
            if body.startswith("\\\\", i):
                bounds.append((row_start, i))
                i += 2
                # an optional spacing argument: \\[2pt]
                m = re.match(r"\s*\[[^\]]*\]", body[i:stop])
                if m:
                    i += m.end()
                row_start = i
                continue
            i += 1
        bounds.append((row_start, stop))
        # each comment inside the environment belongs to the row whose content starts last
        # before (or on) its line: that is the row it is written beside or under
        firsts = []
        for a, b in bounds:
            row = body[a:b]
            lead = len(row) - len(row.lstrip())
            firsts.append(_pos(a + lead, body)[0] if row.strip() else None)
        env_first, env_last = _pos(start, body)[0], _pos(stop, body)[0]
        row_comments: dict[int, list[str]] = {}
        for line_no, comment in sorted(comments.items()):
            if not (env_first <= line_no <= env_last) or not comment or header_line(
                    comment):
                continue
            owner = None
            for i, first in enumerate(firsts):
                if first is not None and first <= line_no:
                    owner = i
            if owner is not None:
                row_comments.setdefault(owner, []).append(comment)
        start_expr = None
        start_line = None
        start_text = ""
        start_span = None
        start_display = None
        steps: list[Step] = []
        for row_no, (a, b) in enumerate(bounds):
            row = body[a:b]
            if not row.strip():
                continue
            # justification: \text{...} after '&&', \tag{...}, or the comment on the row's
            # last line; then remove \label, \tag, \text, \nonumber from the row.
            just = ""
            found = _braced_commands(row)
            texts = [c for cmd, _, _, c in found if cmd not in ("tag", "label")]
            # a \tag's words are a reason (\tag{Bayes}); its number (\tag{3}, \tag{2.1a}) is not
            tags = [c for cmd, _, _, c in found if cmd == "tag" and re.search(r"[A-Za-z]{3}", c)]
            work = body
            for _, m_start, m_end, _ in found:
                work = _blank(work, a + m_start, a + m_end)
            if texts:
                just = "; ".join(texts)
            elif tags:
                just = tags[0]
            elif row_no in row_comments:
                just = "; ".join(row_comments[row_no])
            over = [label for at, label in stacked if a <= at < b and label]
            if over:  # the reason set over the relation: '&\stackrel{(a)}{=}'
                just = "; ".join([*over, just] if just else over)
            row_w = work[a:b]
            # drop a trailing '&&' column (now blank text)
            row_w = re.sub(r"&&\s*$", lambda m: " " * len(m.group(0)), row_w)
            rel = _RELATION_RE.search(row_w)
            if rel is None:
                # 'LHS =& RHS', '=& RHS': the alignment point written after the relation
                rel = _RELATION_AFTER_RE.search(row_w)
            first_amp = row_w.find("&")
            if rel is None:
                if first_amp >= 0:
                    ln, col = _pos(a + first_amp, body)
                    raise self.error(
                        "expected a relation after '&': '&=', '&\\le', '&\\ge' or "
                        "'&\\simeq_{g,h}'", ln, col)
                ln, col = _pos(a + len(row_w) - len(row_w.lstrip()), body)
                raise self.error("a row without a relation: expected 'LHS &= RHS' or "
                                 "'&= RHS'", ln, col)
            # the annotation column: everything after a '&&' that follows the relation is
            # the author's remark (math in it, such as the p_1 of "\text{moments of} p_1",
            # belongs to the remark), never part of the step
            ann = row_w.find("&&", rel.end())
            if ann >= 0:
                extra = " ".join(row_w[ann + 2:].split())
                said = _annotation_words(body[a + ann + 2:b])
                if texts and all(t in said for t in texts):
                    just = said  # (moments of q): its words and mathematics in their order
                elif extra:
                    just = f"{just} {extra}".strip()
                row_w = row_w[:ann] + re.sub(r"[^\n]", " ", row_w[ann:])
            lhs_text = row_w[: rel.start()]
            rhs_start = a + rel.end()
            rhs_text = row_w[rel.end():]
            rhs_text = re.sub(r"&", " ", rhs_text)  # '&&' columns before comments
            remark = _quad_remark(body[rhs_start:rhs_start + len(rhs_text)], rhs_text)
            if remark is not None:  # '\quad \forall x', '\quad (\text{since } a = b)'
                at, said = remark
                rhs_text = rhs_text[:at] + re.sub(r"[^\n]", " ", rhs_text[at:])
                just = said if all(t in said for t in texts) else f"{just}; {said}"
            trail = _TRAILING_PUNCTUATION.search(rhs_text)
            if trail is not None:  # the sentence's comma or full stop after the maths
                rhs_text = (rhs_text[:trail.start()]
                            + re.sub(r"[^\n]", " ", rhs_text[trail.start():]))
            token = rel.group(1)
            label = self.defined_name(lhs_text)
            if label and start_expr is None:
                # '\mu_1 = \frac{...} &= ...': the name of what is derived, not declared, is a
                # label; the derivation starts at its definition
                lhs_text = re.sub(r"[^\n]", " ", lhs_text[:label]) + lhs_text[label:]
            if (not label and start_expr is None and self.named_quantity(lhs_text)
                    and rhs_text.strip()):
                # '\mathcal{L}(\theta, \phi; x) &= E...', '\mathrm{ELBO} &= ...': the name of
                # what the derivation works on, undeclared, defined by this row: a label; the
                # derivation starts at what it names
                lead = len(rhs_text) - len(rhs_text.lstrip())
                ln, col = _pos(rhs_start + lead, body)
                start_text = _unmask(rhs_text.strip())
                start_expr = self.expr(start_text, ln, col)
                start_line = ln
                start_span = (ln, col, *_pos(rhs_start + lead + len(start_text), body))
                start_display = self.shown(start_text, ln, col)
                continue
            if lhs_text.strip():
                if start_expr is not None:
                    ln, col = _pos(a + len(lhs_text) - len(lhs_text.lstrip()), body)
                    raise self.error(
                        "a second left-hand side: only the first row may have one; later rows "
                        "start with '&='", ln, col)
                ln, col = _pos(a + len(lhs_text) - len(lhs_text.lstrip()), body)
                start_expr = self.expr(lhs_text.strip(), ln, col)
                start_line, start_text = ln, _unmask(lhs_text.strip())
                lhs_at = a + len(lhs_text) - len(lhs_text.lstrip())
                start_span = (ln, col, *_pos(lhs_at + len(start_text), body))
                start_display = self.shown(start_text, ln, col)
            elif start_expr is None:
                ln, col = _pos(a + rel.start(), body)
                raise self.error("the first row needs a left-hand side: 'START &= ...'",
                                 ln, col)
            if token.startswith("\\simeq"):
                relation = Relation.EQ_UP_TO
                names = [n.strip() for n in (rel.group(2) or rel.group(3) or "").split(",")
                         if n.strip()]  # \simeq_{g, h}, or one name unbraced: \simeq_g
                if not names:
                    ln, col = _pos(a + rel.start(), body)
                    raise self.error("'&\\simeq' needs the variables: '&\\simeq_{g, h}'",
                                     ln, col)
                # '\simeq_{\mu}' names the declared mu; an undeclared name would make every
                # term "free of it" and prove any step, so it is refused
                names = [self.decl.plain(n) for n in names]
                for n in names:
                    if n not in self.symbols and not any(
                            f.startswith(n + "(") for f in self.functions):
                        ln, col = _pos(a + rel.start(), body)
                        raise self.error(f"'{n}' in '&\\simeq_{{...}}' is not a declared "
                                         "symbol or density", ln, col)
                wrt = tuple(names)
            else:
                wrt = ()
                relation = {"=": Relation.EQ, "<=": Relation.LE, ">=": Relation.GE,
                            "<": Relation.LE, ">": Relation.GE}.get(token) or (
                    Relation.LE if token.startswith("\\le") else Relation.GE)
            if not rhs_text.strip():
                ln, col = _pos(rhs_start, body)
                raise self.error("expected an expression after the relation", ln, col)
            lead = len(rhs_text) - len(rhs_text.lstrip())
            ln, col = _pos(rhs_start + lead, body)
            if len(steps) + self.steps_before >= MAX_STEPS:
                raise self.error(f"more than {MAX_STEPS} steps (in all parts together)", ln,
                                 col)
            expr = self.expr(rhs_text.strip(), ln, col)
            written = _unmask(rhs_text.strip())
            steps.append(Step(index=len(steps) + 1, relation=relation, expr=expr,
                              expr_text=written, display=self.shown(written, ln, col),
                              span=(ln, col, *_pos(rhs_start + lead + len(written), body)),
                              justification=just, line=ln, text=written, wrt=wrt))
        if start_expr is None or not steps:
            raise self.error("the align environment holds no steps: expected rows "
                             "'START &= STEP \\\\' and '&= STEP \\\\'", 1, 1)
        return Derivation(
            title=self.title or self.name,
            source=self.source,
            name=self.name,
            path=self.file,
            symbols=dict(self.symbols),
            definitions=dict(self.definitions),
            functions=dict(self.functions),
            declarations=self.decl.copy(),
            start=start_expr,
            start_line=start_line,
            start_text=start_text,
            start_span=start_span,
            start_display=start_display,
            steps=steps,
            metadata={"format": "tex"},
        )

    def named_quantity(self, lhs: str) -> bool:
        r"""Whether a first row's left side is only the name of what is derived, declared
        nowhere: ``\mathcal{L}(\theta, \phi; x)``, ``\mathrm{ELBO}``, ``\mathcal{F}``,
        ``L(q)``, a capital ``J`` — a label, as papers name the objective they expand."""
        m = _NAMED_QUANTITY.match(lhs)
        if m is None:
            return False
        name = self.decl.plain(m.group(1).strip())
        if not name or name in self.symbols or name in self.definitions or any(
                f.startswith(name + "(") for f in self.functions):
            return False
        try:  # mathematics the grammar reads (\mathrm{KL}(q \| p), \mathrm{Var}(x)) stays so
            with sp.evaluate(False):
                latex_to_sympy(_unmask(lhs.strip()), symbols=self.symbols,
                               functions=self.functions, file=self.file, line=1, column=1,
                               indexed=self.decl.indexed, ranges=self.decl.intervals,
                               definitions=self.definitions)
        except DerivationSyntaxError:
            return True
        return False

    def defined_name(self, lhs: str) -> int:
        """Where the definition starts in a first row ``\\mu_1 = EXPR`` whose left name is
        not declared (a symbol, a density, a function or a ``let``): the name is a label,
        as a textbook writes the quantity it derives; 0 when the row is not of that shape.
        A declared name before ``=`` is mathematics, and stays (read as it is written)."""
        # 'm := EXPR', 'm \coloneqq EXPR': a definition's sign is the label's '='
        lhs = _DEFINES.sub(lambda m: "=".rjust(len(m.group(0))), lhs)
        rels = _top_relations(lhs, 0, len(lhs))
        if not rels or rels[0][2] != "=":
            return 0
        written = lhs[:rels[0][0]].strip()
        if not written or not _LABEL_NAME.match(written):
            return 0
        name = self.decl.plain(written)
        if not _NAME_RE.match(name) or name in self.symbols or name in self.definitions or any(
                f.startswith(name + "(") for f in self.functions):
            return 0
        return rels[0][1]

    def shown(self, text: str, line: int, column: int) -> sp.Expr | None:
        """The expression as written, built without SymPy's automatic evaluation (for
        display only; None when it cannot be built that way)."""
        try:
            with sp.evaluate(False):
                return self.expr(text, line, column)
        except Exception:
            return None

    def family_draws(self, text: str, line: int, column: int) -> str:
        r"""``\mathbb{E}_{\lambda \sim \mathrm{Gamma}(a, b)}[\lambda]``: a draw from a named
        family other than the normal (which the grammar writes out), as a textbook writes it.
        The draw declares a density of its variable in that family, as ``% densities:
        Gamma(\lambda) = \mathrm{Gamma}(a, b)`` would (its moments, entropy and support then
        known), named by the family's word, and reads as a draw from it; the text is returned
        with each such draw written with that name. A second draw from the same family with
        other parameters is left as written (and refused, asking for a declaration)."""
        out, at = [], 0
        for m in _FAMILY_DRAW_TEX.finditer(text):
            word = m.group(3) or m.group(4)
            key = family_key(word)
            if (key is None or key == "normal" or word in self.symbols or m.start() < at
                    or word.lower() in ("exp", "log", "sqrt")):  # functions, not families
                continue
            start = m.end()
            depth, end = 1, start
            while end < len(text) and depth:
                depth += {"(": 1, ")": -1}.get(text[end], 0)
                end += 1
            if depth:
                continue  # unbalanced: left to the grammar's own message
            var, params = m.group(1), " ".join(text[start:end - 1].split())
            if word not in self.drawn:
                if any(sig.startswith(word + "(") for sig in self.functions):
                    continue
                with sp.evaluate(True):
                    self.declare_densities(f"{word}({var}) = {m.group(2)}({text[start:end - 1]})",
                                           line, column + m.start(1))
                self.drawn[word] = (var, params)
            elif self.drawn[word] != (var, params):
                continue
            out.append(text[at:m.end(2)])
            at = end
        return "".join(out) + text[at:]

    def expr(self, text: str, line: int, column: int) -> sp.Expr:
        self.decl.declare_draws(text, line, column)
        text = self.family_draws(text, line, column)
        token = DRAWN_COPIES.set(self.decl.copies)
        try:
            expr = latex_to_sympy(text, symbols=self.symbols, functions=self.functions,
                                  file=self.file, line=line, column=column,
                                  indexed=self.decl.indexed, ranges=self.decl.intervals,
                                  definitions=self.definitions)
        finally:
            DRAWN_COPIES.reset(token)
        name = bound_to_definitions(expr, self.definitions)
        if name is not None:
            raise self.error(f"'{name}' is a let name: a derivative or sum is taken over a "
                             "declared symbol, not over a name for an expression", line, column)
        return expr


#: a draw from a named family, ``\lambda \sim \mathrm{Gamma}(``: the variable, the family as
#: written and its word
_FAMILY_DRAW_TEX = re.compile(
    r"(\\?[A-Za-z]+(?:_\{[^{}]*\}|_\\?[A-Za-z0-9]+)?)\s*\\sim\s*"
    r"(\\(?:mathrm|operatorname|text|textrm|mathsf)\s*\{\s*([A-Za-z]+)\s*\}|([A-Z][a-z]+))"
    r"\s*\(")


def _split_top(text: str) -> list[str]:
    """Split at commas outside brackets: 'q(z|x), p(z)' → ['q(z|x)', 'p(z)']."""
    return [part for part, _ in split_top_level(text) if part.strip()]


def parse_tex_derivation(text: str, *, file: str | None = None, name: str | None = None,
                         ) -> Derivation:
    r"""Read a derivation from the ``align``/``align*`` environment of LaTeX source.

    The format (the same information as a ``.deriv`` file):

    * header comments anywhere before or in the file: ``% title: ...``, ``% source: ...``,
      ``% symbols: mu_1, mu_2 : real``, ``% let: Z_1 = \sqrt{2\pi\sigma_1^2}`` (LaTeX),
      ``% densities: q(z|x), p(z)`` (abstract densities), ``% functions: h(x), g(x)``
      (``h(x)`` written in a row stands for the declared symbol or let name ``h``);
    * the first row ``START &= STEP`` gives the starting expression and the first step; each
      later row starts with its relation: ``&=``, ``&\le``/``&\leq``, ``&\ge``/``&\geq``, or
      ``&\simeq_{g, h}`` (equal up to a term free of g and h); rows end with ``\\``;
    * a row's justification is its ``\text{...}`` (usually after ``&&``), else its
      ``\tag{...}``, else the ``%`` comments written beside or under it (a comment after a
      row's ``\\`` still belongs to that row). ``\label`` and ``\nonumber`` are ignored;
    * every ``align``/``align*`` environment is read, each as its own part, and so is every
      ``equation``, ``equation*`` or ``\[ ... \]`` holding a chain ``a = b \le c`` (see
      :attr:`~elbo_derivation.core.steps.Derivation.parts`); a ``% part: (b)`` comment
      before an environment names its part, a ``% goal: ...`` comment there states its goal.

    Raises
    ------
    DerivationSyntaxError
        ``FILE:LINE:COLUMN: message`` for anything unreadable.

    Examples
    --------
    >>> d = parse_tex_derivation(r'''
    ... % symbols: h : positive
    ... % symbols: g : real
    ... \begin{align*}
    ... \log \frac{1}{\sqrt{h}} + \frac{1}{2}(h + g^2) - \frac{1}{2}
    ...   &= \frac{1}{2}\left(h + g^2 - \log h - 1\right) && \text{log of a root}
    ... \end{align*}''', file="kl.tex")
    >>> d.steps[0].justification, d.steps[0].line
    ('log of a root', 6)
    """
    return _TexReader(file, name).read(text)


def read_tex_derivation(path: str | Path) -> Derivation:
    """Read a ``.tex`` file's ``align`` environment into an unchecked :class:`Derivation`.

    Raises
    ------
    InputError, DerivationSyntaxError, OSError
        a missing, too large, binary or non-UTF-8 file, or one that cannot be read.
    """
    p = Path(path)
    return parse_tex_derivation(read_text(p), file=str(p), name=p.stem)
