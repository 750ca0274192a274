r"""Declarations: one meaning for every name a derivation uses, whichever front end reads it.

The ``.deriv`` reader (header lines), the ``.tex`` reader (``%`` comments) and
:func:`~elbo_derivation.decide.engine.check_steps` (keyword arguments) all declare their names
through one :class:`Declarations` object, so that a symbol, a density, a function, a ``let``
name or a family means the same thing in each:

symbols
    ``a, b : real`` (also ``positive``, ``nonnegative``, ``negative``, ``nonzero``,
    ``integer``, and combinations such as ``positive integer``); an interval
    ``y : (0, 1)``, ``y : [0, oo)``, or a chain ``0 < y < 1``; an index with its range
    ``i : integer [1, N]`` (bounds may be declared symbols; ``\sum_i`` runs over it); a vector
    ``mu : vector(D) real`` (a SymPy ``IndexedBase`` whose entries are written ``mu[j]``
    in ``.deriv`` and ``\mu_j`` in LaTeX, and whose dimension is a declared integer
    symbol ``D`` or a number, ``vector(3)``); a matrix ``S : matrix(D) positive definite``;
    the identity ``I : identity(D)``.
let
    ``name = expression``: kept as a symbol for display, substituted for checking.
densities
    ``q(z|x), p(z)``: abstract positive densities, ``sympy.Function("q(z|x)")(z, x)``; every
    density named with the same letter *and* the same shape is the same function, so
    ``q(z1|x)`` is the declared ``q(z|x)`` at ``z = z1``. With a family,
    ``q(z|x) = N(m, s^2)`` (``N``/``Normal``/``Gaussian``, ``Bernoulli``, ``Categorical``,
    ``Poisson``, ``Exponential``, ``Laplace``, ``Gamma``, ``LogNormal(m, s^2)``,
    ``Uniform(a, b)``, ``Geometric(p)``, ``Binomial(n, p)``, ``Beta(a, b)``:
    :data:`FAMILY_TABLE`), the
    parameters get their roles (:attr:`Declarations.roles`) and a Gaussian is written out
    (its density formula is what the name stands for). Roles are inferred from structure:
    in ``N(m, s^2)`` the mean is m, the variance s², so s is a standard deviation; in
    ``N(m, exp(l))`` l is a log-variance.
functions
    ``f(z) : real``: an abstract function of z (``sympy.Function("f", real=True)(z)``); when
    the name is already a declared symbol or ``let`` name (``h(x)`` with ``h`` declared),
    ``h(x)`` is that name written with its argument, as the notes write it.

A declaration that contradicts an earlier one (a symbol declared twice with different
assumptions, a parameter in two roles, a standard deviation declared negative, an empty
interval) or names an unknown family is an error at ``FILE:LINE:COLUMN``.

Examples
--------
>>> import sympy as sp
>>> decl = Declarations()
>>> decl.declare_symbols("m : real", line=1, column=10)
>>> decl.declare_symbols("s : positive", line=2, column=10)
>>> decl.declare_symbols("z, x : real", line=3, column=10)
>>> from elbo_derivation.read.deriv import parse_expression
>>> decl.declare_densities("q(z|x) = N(m, s^2)", line=4, column=12,
...                        expression=lambda text, col: parse_expression(text, decl.symbols))
>>> sorted((str(k), v) for k, v in decl.roles.items())
[('m', 'mean'), ('s', 'standard deviation'), ('s**2', 'variance')]
>>> decl.declare_symbols("0 < y < 1", line=5, column=10)
>>> decl.intervals["y"]
Interval.open(0, 1)
"""

from __future__ import annotations

import copy
import dataclasses
import re
import types
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import sympy as sp
from sympy.core.function import AppliedUndef, UndefinedFunction

from elbo_derivation.core import matrices
from elbo_derivation.core.expectation import KL, Expectation
from elbo_derivation.core.written import written_function, written_joint
from elbo_derivation.errors import DerivationSyntaxError

__all__ = [
    "ASSUMPTIONS",
    "DATA_INDEX",
    "DECLARABLE_CONSTANTS",
    "FAMILIES",
    "FAMILY_TABLE",
    "NAMED_FUNCTIONS",
    "RESERVED",
    "Declarations",
    "FamilySpec",
    "alias_dependence",
    "assumption_keywords",
    "bound_to_definitions",
    "constant_in_index",
    "data_index_shifted",
    "density_variable",
    "expectation_over",
    "family_key",
    "is_copy_of",
    "is_sequence",
    "is_sequence_entry",
    "joint_expectation",
    "kl_over",
    "sequence_at",
    "split_top_level",
    "variance_of",
    "written_density",
]

#: The assumption words a declaration may use, and the SymPy keywords they stand for.
ASSUMPTIONS: dict[str, dict[str, bool]] = {
    "real": {"real": True},
    "positive": {"positive": True},
    "nonnegative": {"nonnegative": True},
    "negative": {"negative": True},
    "nonzero": {"real": True, "nonzero": True},
    "integer": {"integer": True},
}

#: Names with a fixed meaning, which cannot be declared (in any front end).
RESERVED = frozenset({"log", "exp", "sqrt", "abs", "pi", "oo", "E", "Integral", "ln", "KL",
                      "diff", "Derivative", "Sum", "Product", "Var"})

#: Functions known by name, written out: the logistic sigmoid σ(t) = 1/(1 + e^(−t)) and the
#: softplus log(1 + e^t) (Goodfellow, Bengio & Courville 2016, sec. 3.10); ``sigmoid(t)`` in
#: ``.deriv``, ``\operatorname{sigmoid}(t)`` in LaTeX. Checked as their definitions, shown by
#: their names (:class:`~elbo_derivation.core.written.WrittenFunction`).
_DEFINITIONS: dict[str, Callable[[sp.Expr], sp.Expr]] = {
    "sigmoid": lambda t: 1 / (1 + sp.exp(-t)),
    "softplus": lambda t: sp.log(1 + sp.exp(t)),
    "erf": sp.erf,
    "erfc": sp.erfc,
}
NAMED_FUNCTIONS: dict[str, Callable[[sp.Expr], sp.Expr]] = {
    name: partial(written_function, name, definition)
    for name, definition in _DEFINITIONS.items()}

#: Functions a textbook writes with a Greek letter before a bracket, known when the letter is
#: declared neither a symbol nor a function: σ(a), the logistic sigmoid (Bishop 2006, eq.
#: (4.59); Goodfellow, Bengio & Courville 2016, eq. (3.30)), shown σ(a) as written.
LETTER_FUNCTIONS: dict[str, Callable[[sp.Expr], sp.Expr]] = {
    "\\sigma": partial(written_function, "σ", _DEFINITIONS["sigmoid"])}

#: The standard normal distribution function Φ(t) = ½(1 + erf(t/√2)) and its density φ(t) =
#: e^(−t²/2)/√(2π) (also ``\varphi``), as statistics and machine-learning papers write the
#: moments of a truncated or rectified Gaussian (Wu et al. 2019, sec. 3.1: E[max(0, a)] =
#: μΦ(μ/σ) + σφ(μ/σ)); known, like σ(a), only when the letter is declared neither a symbol
#: nor a function.
_NORMAL_CDF: Callable[[sp.Expr], sp.Expr] = lambda t: (1 + sp.erf(t / sp.sqrt(2))) / 2  # noqa: E731
_NORMAL_PDF: Callable[[sp.Expr], sp.Expr] = lambda t: sp.exp(-t**2 / 2) / sp.sqrt(2 * sp.pi)  # noqa: E731
LETTER_FUNCTIONS.update({
    "\\Phi": partial(written_function, "Φ", _NORMAL_CDF),
    "\\phi": partial(written_function, "φ", _NORMAL_PDF),
    "\\varphi": partial(written_function, "φ", _NORMAL_PDF)})

#: Reserved constants whose name, written with a subscript, is an indexed quantity of its
#: own (π_k, the weights of a mixture; π alone stays 3.14159...). Such a name may also
#: name a declared density, π(θ|x), a posterior as Robert (2007, sec. 1.2) writes it: the
#: name followed by the declared arguments is then the density, π elsewhere the constant.
_SUBSCRIPTABLE_CONSTANTS = frozenset({"pi"})

#: Reserved constants a file may declare as a symbol of its own: π for a binomial proportion
#: (Held & Sabanés Bové 2014, sec. 2.2, ``symbols: 0 < \pi < 1``), a mixing weight or a
#: policy. The declaration makes π that symbol everywhere in the file, so a file that
#: declares it cannot also use the constant 3.14159...
DECLARABLE_CONSTANTS = frozenset({"pi"})


@dataclass(frozen=True)
class FamilySpec:
    """A named family as a declaration writes it: its name as shown, the spellings a
    declaration may use (lower case), the role of each parameter in order (``None`` for a
    family whose parameters are all probabilities, any number of them: the categorical),
    and where its variable lives, a function of the parameters (``discrete`` when that is a
    set of integers). The facts about each family (density, moments, entropy, KL) are in
    :mod:`elbo_derivation.decide.families`, keyed by the same names."""

    name: str
    spellings: tuple[str, ...]
    roles: tuple[str, ...] | None
    support: Callable[..., Any]
    discrete: bool = False


_POSITIVE_REALS = sp.Interval.open(0, sp.oo)

#: The one table of named families (the key is the name every other module uses).
#: Parameters: ``N(mean, variance)``, ``Laplace(mean, scale)``, ``Gamma(shape, rate)``,
#: ``LogNormal(mean of log, variance of log)`` (of log x), ``Uniform(lower, upper)``,
#: ``Geometric(p)`` (the number of trials up to and including the first success, 1, 2, ...),
#: ``Binomial(n, p)``, ``Beta(a, b)`` (the density t^(a−1)(1 − t)^(b−1)/B(a, b) on (0, 1)).
FAMILY_TABLE: dict[str, FamilySpec] = {
    "normal": FamilySpec("normal", ("n", "normal", "gaussian"), ("mean", "variance"),
                         lambda *_: sp.S.Reals),
    "bernoulli": FamilySpec("Bernoulli", ("bernoulli", "ber", "bern"), ("probability",),
                            lambda *_: sp.FiniteSet(0, 1), True),
    "categorical": FamilySpec("categorical", ("categorical", "cat"), None,
                              lambda *ps: sp.Range(1, len(ps) + 1), True),
    "poisson": FamilySpec("Poisson", ("poisson", "pois"), ("rate",),
                          lambda *_: sp.S.Naturals0, True),
    "exponential": FamilySpec("exponential", ("exponential", "exp", "expon"), ("rate",),
                              lambda *_: _POSITIVE_REALS),
    "laplace": FamilySpec("Laplace", ("laplace",), ("mean", "scale"), lambda *_: sp.S.Reals),
    "gamma": FamilySpec("Gamma", ("gamma",), ("shape", "rate"), lambda *_: _POSITIVE_REALS),
    "lognormal": FamilySpec("log-normal", ("lognormal", "log normal", "lognorm"),
                            ("mean of log", "variance of log"), lambda *_: _POSITIVE_REALS),
    "uniform": FamilySpec("uniform", ("uniform", "unif", "u"), ("lower bound", "upper bound"),
                          lambda a, b: sp.Interval.open(a, b)),
    "geometric": FamilySpec("geometric", ("geometric", "geom"), ("probability",),
                            lambda *_: sp.Range(1, sp.oo), True),
    "binomial": FamilySpec("binomial", ("binomial", "bin", "binom"),
                           ("number of trials", "probability"),
                           lambda n, _p: sp.Range(0, n + 1), True),
    "beta": FamilySpec("Beta", ("beta",), ("shape", "shape"),
                       lambda *_: sp.Interval.open(0, 1)),
}

def written_density(key: str, variable: sp.Expr, params: Sequence[sp.Expr]) -> sp.Expr | None:
    """The density of the family ``key`` at ``variable``, written out, for the families on the
    whole line (normal, Laplace), which a reader writes out wherever they appear (a declared
    ``q(z) = N(m, s^2)``, an inline ``N(x; m, s^2)``); None for the others, which stay
    abstract with their family recorded.

    >>> x, m = sp.symbols("x m", real=True)
    >>> written_density("laplace", x, (m, sp.S(2)))
    exp(-Abs(m - x)/2)/4
    """
    if key == "normal":
        mean, var = params
        return sp.exp(-((variable - mean) ** 2) / (2 * var)) / sp.sqrt(2 * sp.pi * var)
    if key == "laplace":
        mean, scale = params
        return sp.exp(-sp.Abs(variable - mean) / scale) / (2 * scale)
    return None


def family_key(name: str) -> str | None:
    """The key of :data:`FAMILY_TABLE` a family's written name stands for (any spelling,
    any case), None when it names no family.

    >>> family_key("Gaussian"), family_key("Pois"), family_key("f")
    ('normal', 'poisson', None)
    """
    return _FAMILY_NAMES.get(" ".join(name.split()).lower().rstrip("."))


#: Each family's parameters' roles, by its key (from :data:`FAMILY_TABLE`).
FAMILIES: dict[str, tuple[str, ...] | None] = {k: f.roles for k, f in FAMILY_TABLE.items()}
_FAMILY_NAMES = {spelling: k for k, f in FAMILY_TABLE.items() for spelling in f.spellings}
#: Roles whose value must be positive.
_POSITIVE_ROLES = {"variance", "standard deviation", "rate", "scale", "shape", "probability",
                   "variance of log", "standard deviation of log"}

_NAME = re.compile(r"[^\W\d]\w*$")
#: a draw from a normal family: ', e ~ N(' in .deriv,
#: '\mathbb{E}_{\epsilon \sim \mathcal{N}(' in LaTeX
_NORMAL_DRAW = re.compile(
    # .deriv: any name the grammar reads (eps, e1), N(, Normal( or Gaussian( as it reads them
    r"(?:,\s*([a-zA-Z]\w*)\s*~\s*(?:N|Normal|Gaussian)\s*\()|"
    # LaTeX: a letter or a command, with a subscript (\epsilon_1, \epsilon_{2}) or without
    # (the expectation in any spelling the grammar reads, \mathrm{E}, \operatorname{E},
    # \mathbf{E}; the bracket sized or after a negative space: \mathcal{N}\left(0, 1\right))
    r"(?:(?:,\s*|(?:\\(?:mathbb|mathrm|operatorname|mathbf|mathsf|bm)\s*\{?\s*E\s*\}?|\bE)"
    r"\s*_\s*\{\s*)((?:\\[a-zA-Z]+|[a-zA-Z])"
    # the subscript a name or a whole number, or a shifted index (x_{t-1}, x_{t+1})
    r"(?:\s*_\s*(?:\{\s*[A-Za-z0-9]+(?:\s*[-+]\s*[A-Za-z0-9]+)*\s*\}|[A-Za-z0-9]))?)\s*"
    r"(?:~|\\sim(?![a-zA-Z]))\s*(?:N|Normal|\\mathcal\s*\{\s*N\s*\}|\\mathcal\s+N)\s*"
    r"(?:\\!\s*)?(?:\\(?:left|[bB]igg?l?)(?![a-zA-Z])\s*)?\()")
#: a draw from a declared density at a new point, ``z1 ~ q(z1|x)`` (.deriv) or
#: ``\mathbb{E}_{z_1 \sim q_\phi(z_1|x)}`` (LaTeX): the draw's variable, the density's name
#: and its arguments
_DENSITY_DRAW = re.compile(
    r"(?:,\s*([a-zA-Z]\w*)\s*~\s*([a-zA-Z]\w*)\s*\(([^()]*)\))|"
    r"(?:(?:\\(?:mathbb|mathrm|operatorname|mathbf|mathsf|bm)\s*\{?\s*E\s*\}?|\bE)"
    r"\s*_\s*\{\s*((?:\\[a-zA-Z]+|[a-zA-Z])(?:\s*_\s*(?:\{\s*[A-Za-z0-9]+\s*\}|[A-Za-z0-9]))?)"
    r"\s*\\sim(?![a-zA-Z])\s*((?:\\[a-zA-Z]+|[a-zA-Z])(?:\s*_\s*(?:\{\s*\\?[A-Za-z0-9]+\s*\}"
    r"|\\[a-zA-Z]+|[A-Za-z0-9]))?)\s*(?:\\left\s*)?\(([^()]*?)(?:\\right\s*)?\))")
_SIGNATURE = re.compile(r"\s*([^\W\d]\w*)\s*\(([^()]*)\)\s*$")
#: the copies (:attr:`Declarations.copies`) of the file being read, for :func:`is_copy_of`
DRAWN_COPIES: ContextVar[Mapping[str, str]] = ContextVar(
    "drawn_copies", default=types.MappingProxyType({}))
#: ``\pi(\theta|x)``, ``\phi(z)``: a density named by a Greek letter, as LaTeX writes it
_COMMAND_SIGNATURE = re.compile(r"\s*(\\[A-Za-z]+)\s*\(([^()]*)\)\s*$")
#: ``\hat{L}(\theta)``, ``\phi(z)``: a function declared under a LaTeX name (no subscript)
_LATEX_FUNCTION_SIGNATURE = re.compile(r"\s*(\\[A-Za-z]+\s*(?:\{\s*\\?[A-Za-z]+\s*\})?)"
                                       r"\s*\(([^()]*)\)\s*$")
#: ``p(x(i)|z)``: a density of one entry of a declared sequence (a variable ``x(i)``)
_SEQUENCE_SIGNATURE = re.compile(r"\s*([^\W\d]\w*)\s*\(((?:[^()]|\([^()]*\))*)\)\s*$")
#: ``x^{(i)}``: the i-th data point, as Kingma & Welling (2014) index it, the same as x_i
DATA_INDEX = re.compile(r"\^\s*\{\s*\(\s*([A-Za-z0-9]+)\s*\)\s*\}")
#: ``\mu^{(N-1)}``, ``x^{(t+1)}``: the same with an index shifted by a whole number, as
#: Bishop's sequential estimate writes it, the same as ``\mu_{N-1}``
DATA_INDEX_SHIFTED = re.compile(r"\^\s*\{\s*\(\s*([A-Za-z]\s*[+-]\s*[0-9]+)\s*\)\s*\}")


def data_index_shifted(text: str) -> str:
    """``\\mu^{(N-1)}`` written ``\\mu_{N-1}`` (padded to its width), after a name only: a
    power of e or of a bracket, ``e^{(t-1)}`` or ``(a+b)^{(n-1)}``, is left a power.

    >>> data_index_shifted(r"\\mu^{(N-1)} + e^{(t-1)}")
    '\\\\mu_{N-1}   + e^{(t-1)}'
    """
    def repl(m: re.Match[str]) -> str:
        before = text[:m.start()]
        if not re.search(r"(?:\\[A-Za-z]+|(?<![A-Za-z\\])[A-Za-df-zA-Z]|_\s*(?:\{[^{}]*\}|\w))\s*$",
                         before):
            return m.group(0)
        return ("_{" + re.sub(r"\s+", "", m.group(1)) + "}").ljust(len(m.group(0)))
    return DATA_INDEX_SHIFTED.sub(repl, text)
#: ``q_\theta(w)``, ``q_{\phi}(z|x)``: a density named with a LaTeX subscript
_LATEX_SIGNATURE = re.compile(r"\s*([^\W\d]\w*\s*_\s*(?:\\[A-Za-z]+|\{\s*\\?[A-Za-z0-9]+\s*\}"
                              r"|\{\s*\\(?:mathrm|text|operatorname|mathit|rm)\s*\{\s*[A-Za-z0-9]+\s*\}\s*\}))"
                              r"\s*\(([^()]*)\)\s*$")
#: the subscript of a starred name, ``\theta_*``, ``\theta^*``, ``\theta_\star`` (an optimum):
#: the name ``theta_star``
STAR = "star"
_STARRED = re.compile(r"(?:_|\^)\s*(?:\{\s*)?(?:\*|\\ast(?![A-Za-z])|\\star(?![A-Za-z]))(?:\s*\})?")
#: ``p_{\mathrm{data}}``: a subscript that is a word set upright names, like ``p_{data}``
TEXT_SUBSCRIPT = re.compile(
    r"_\s*\{\s*\\(?:mathrm|text|operatorname|mathit|rm)\s*\{\s*([A-Za-z0-9]+)\s*\}\s*\}")
#: ``\Delta\mu``, ``\delta x``: an increment written before a name, one quantity of its own
#: when it is declared so (NVAE's residual parameters, Vahdat & Kautz 2020)
INCREMENT = re.compile(r"\s*\\(Delta|delta)\s*"
                       r"(\\?[A-Za-z]+(?:\s*_\s*\{?\s*\\?[A-Za-z0-9]+\s*\}?)?)\s*$")
def _plain_family_head(text: str) -> str:
    r"""``text`` with the family's name written plainly where it stands first, each column
    kept (``\mathcal{N}`` as ``N``, ``\operatorname{Gamma}`` as ``Gamma``, padded with spaces);
    a ``\mathrm{...}`` further on is a parameter and stays (``N(0, \mathrm{sd}^2)``)."""
    text = re.sub(r"^(\s*)\\mathcal\s*(?:\{\s*N\s*\}|\s+N(?![a-zA-Z]))",
                  lambda mm: mm.group(1) + "N".ljust(len(mm.group(0)) - len(mm.group(1))),
                  text, count=1)
    return re.sub(r"^(\s*)\\(operatorname|mathrm|text)\s*\{\s*(\w+)\s*\}",
                  lambda mm: mm.group(1) + mm.group(3).ljust(len(mm.group(0)) - len(mm.group(1))),
                  text, count=1)


_FAMILY = re.compile(r"\s*([^\W\d][\w ]*?)\s*\((.*)\)\s*$", re.DOTALL)
#: a number bound of an interval: decimals, ±oo, and fractions ``1/2``, ``\frac{1}{2}``
_NUMBER = (r"[-+]?(?:\\frac\s*\{\s*\d+\s*\}\s*\{\s*\d+\s*\}|\d+\s*/\s*\d+"
           r"|\d+\.?\d*|\.\d+|oo|∞|\\infty(?![A-Za-z])|inf)")
_BOUND = rf"(?:{_NUMBER}|[^\W\d]\w*)"
_INTERVAL = re.compile(rf"\s*([^\W\d][\w ]*?)?\s*([(\[])\s*({_BOUND})\s*,\s*({_BOUND})\s*"
                       rf"([)\]])\s*$")
#: ``\bar{\alpha}``, ``\hat\mu``: a name under an accent, as an interval declaration writes it
_ACCENTED = (r"\\(?:hat|bar|tilde|widehat|widetilde|overline|mathbf|boldsymbol|mathrm)\s*"
             r"(?:\{\s*\\?[^\W\d]\w*\s*\}|\\[A-Za-z]+)")
#: a subscript that is an expression, ``_{t-1}``, ``_{t + 1}``: terms of letters and digits
#: joined by ``+`` or ``-`` (the quantity of an indexed family at that index, its own symbol)
_EXPRESSION_SUB = r"\{\s*[A-Za-z0-9]+(?:\s*[-+/]\s*[A-Za-z0-9]+)+\s*\}"
_CHAIN = re.compile(rf"\s*(?:({_NUMBER})\s*(<=|<|≤|\\leq?)\s*)?"
                    rf"((?:{_ACCENTED}|\\?[^\W\d]\w*)"
                    rf"(?:\s*_\s*(?:{_EXPRESSION_SUB}|\{{?\s*\\?\w+\s*\}}?))?)\s*"
                    rf"(?:(<=|<|≤|>=|>|≥|\\leq?|\\geq?)\s*({_NUMBER}))?\s*$")
#: the comparisons of a chain's upper bound, ``y < 1``, ``y \\le 1``
_UPPER = ("<", "<=", "≤", "\\le", "\\leq")
_LATEX_NAME = re.compile(
    r"\s*(?:\\(hat|bar|tilde|widehat|widetilde|overline|mathbf|boldsymbol|mathrm)\s*\{?\s*)?"
    r"(?:\\(?:mathrm|operatorname|text|mathit)\s*\{\s*)?\\?([A-Za-z]+)\s*\}?\s*\}?\s*(?:_\s*(?:\{?\s*\\?([A-Za-z0-9]+)\s*\}?|\{\s*([A-Za-z0-9]+"
    r"(?:\s*[-+/]\s*[A-Za-z0-9]+)+)\s*\}))?\s*$")
#: the name of a quantity written with an expression as its subscript, ``alpha_bar_{t-1}``
_EXPRESSION_NAME = re.compile(r"[^\W\d]\w*_\{[A-Za-z0-9]+(?:[-+/][A-Za-z0-9]+)+\}$")


#: the name of a quantity whose subscript is an expression with brackets, powers or commands,
#: Ormerod & Wand's ``\mu_{q(1/\sigma^2)}`` (the mean of 1/σ² under q) read
#: ``mu_{q(1/sigma^2)}``: one atom, related to nothing else unless the author relates it
_ATOM_CHARS = r"[\w()^/+\-*,.|\[\]]*"
ATOM_NAME = re.compile(
    rf"(?P<base>[^\W\d]\w*?)_\{{(?P<sub>{_ATOM_CHARS}[()^|\[]{_ATOM_CHARS})\}}$")
#: a name with its index in square brackets, Koller & Friedman's counts ``M[1]``, ``M[x^0]``
#: read as one atom ``M_{[1]}`` once declared (unrelated to ``M_1`` or to a vector's entry)
BRACKET_INDEXED = re.compile(
    r"\s*(\\?[A-Za-z]+)\s*\[\s*([A-Za-z0-9]+(?:\^\{?[A-Za-z0-9]+\}?)?)\s*\]\s*$")


def bracket_atom(base: str, index: str) -> str:
    """The one name of ``base[index]`` (``M[1]`` → ``M_{[1]}``, ``M[x^{0}]`` → ``M_{[x^0]}``).

    >>> bracket_atom("M", "1"), bracket_atom(r"\\alpha", "x^{0}")
    ('M_{[1]}', 'alpha_{[x^0]}')
    """
    index = re.sub(r"\^\{(\w+)\}", r"^\1", re.sub(r"\s+", "", index))
    return f"{base.lstrip(chr(92))}_{{[{index}]}}"
#: a LaTeX name with such a subscript, as written: ``\mu_{q(1/\sigma^2)}``
_ATOM_WRITTEN = re.compile(r"\s*\\?([A-Za-z]+)\s*_\s*\{(.*)\}\s*$", re.DOTALL)


def atom_name(base: str, subscript: str) -> str | None:
    r"""The one name of ``base`` with the LaTeX ``subscript`` when the subscript is an
    expression with brackets, a power or a bar (``q(1/\sigma^2)``): commands lose their
    backslash, spaces and the braces of a one-character power go (``mu_{q(1/sigma^2)}``);
    None for any other subscript (those have their own readings) or unbalanced brackets.

    >>> atom_name("mu", r"q(1/\sigma^{2})"), atom_name("mu", "t-1")
    ('mu_{q(1/sigma^2)}', None)
    """
    sub = re.sub(r"\^\s*\{\s*(\w)\s*\}", r"^\1", subscript)
    sub = re.sub(r"\\([A-Za-z]+)", r"\1", re.sub(r"\s+", "", sub))
    depth = 0
    for ch in sub:
        depth += 1 if ch == "(" else -1 if ch == ")" else 0
        if depth < 0:
            return None
    name = f"{base}_{{{sub}}}"
    return name if depth == 0 and ATOM_NAME.match(name) else None


def expression_subscript(text: str) -> str | None:
    """The subscript ``text`` (without ``_`` and braces) as one canonical expression when it
    is a sum, difference or quotient of letters and digits, ``t - 1`` → ``t-1``, ``t / 2`` →
    ``t/2``; else None.

    A name with such a subscript, ``\\bar{\\alpha}_{t-1}``, is read as one quantity of its own
    (``alpha_bar_{t-1}``), unrelated to ``\\bar{\\alpha}_t`` unless the author relates them.

    >>> expression_subscript("t - 1"), expression_subscript("t+1"), expression_subscript("t")
    ('t-1', 't+1', None)
    >>> expression_subscript("t / 2"), expression_subscript("\\\\tau - 1")
    ('t/2', 'tau-1')
    """
    compact = re.sub(r"\\([A-Za-z]+)", r"\1", re.sub(r"\s+", "", text))  # \tau-1: tau-1
    if re.fullmatch(r"[A-Za-z0-9]+(?:[-+/][A-Za-z0-9]+)+", compact):
        return compact
    return None
_ACCENTS = {"hat": "hat", "widehat": "hat", "bar": "bar", "overline": "bar", "tilde": "tilde",
            "widetilde": "tilde", "mathbf": "", "boldsymbol": "", "mathrm": ""}
#: ``mu_d`` / ``mu_{d}``: a name with a subscript, the way LaTeX writes an indexed quantity
#: (also under an accent, ``\hat{y}_i``, read ``y_hat_i``: the fitted value of data point i)
_SUBSCRIPTED = re.compile(r"\s*([^\W\d][^\W_]*(?:_(?:hat|bar|tilde))?)"
                         r"_\{?\s*([^\W\d]\w*)\s*\}?\s*$")
#: ``w_{t,i}``: a quantity with two indices (Maddison et al. 2017's weights w_t^i, x_{n,d})
#: ``x[n]``: a sample of a discrete-time signal (Kay 1993; Oppenheim & Schafer), the sequence
#: x at the integer index n
_BRACKETED_INDEX = re.compile(r"\s*(\\?[^\W\d][^\W_]*)\s*\[\s*([^\W\d]\w*)\s*\]\s*$")
_SUBSCRIPTED_TWO = re.compile(r"\s*(\\?[^\W\d][^\W_]*)\s*_\s*\{\s*([^\W\d]\w*)\s*,\s*"
                              r"([^\W\d]\w*)\s*\}\s*$")
_MATRIX = re.compile(r"\s*matrix\s*\(\s*(\w+)\s*\)\s*(.*)$", re.IGNORECASE)
#: ``I : identity(D)``: the identity matrix of a declared dimension
_IDENTITY = re.compile(r"\s*identity\s*\(\s*(\w+)\s*\)\s*$", re.IGNORECASE)
#: the largest dimension written as a number (matrix(3)): the instances are built entry by entry
MAX_DIMENSION = 50
#: what a matrix may be declared to be
_MATRIX_WORDS = {"": (), "real": (), "symmetric": ("symmetric",),
                 "positive definite": ("positive definite",), "spd": ("positive definite",),
                 "symmetric positive definite": ("positive definite",)}
_VECTOR = re.compile(r"\s*vector\s*\(\s*(\w+)\s*\)\s*(.*)$", re.IGNORECASE)


def assumption_keywords(text: str) -> dict[str, bool] | None:
    """SymPy assumption keywords for words such as ``"positive integer"``; None if unknown.

    >>> assumption_keywords("positive integer")
    {'positive': True, 'integer': True}
    >>> assumption_keywords("positive negative") is None
    True
    """
    words = [w for w in re.split(r"[\s,]+", text.strip().lower()) if w]
    if not words or any(w not in ASSUMPTIONS for w in words):
        return None
    out: dict[str, bool] = {}
    for w in words:
        out.update(ASSUMPTIONS[w])
    try:  # a contradiction (positive and negative) is caught by SymPy itself
        sp.Symbol("_", **out).is_positive  # noqa: B018
    except Exception:
        return None
    if out.get("positive") and out.get("negative"):
        return None
    return out


def _number(text: str) -> sp.Expr:
    t = text.strip().replace("\\infty", "oo").replace("∞", "oo").replace("inf", "oo")
    if t.lstrip("+-") == "oo":
        return -sp.oo if t.startswith("-") else sp.oo
    frac = re.fullmatch(r"([-+]?)\\frac\s*\{\s*(\d+)\s*\}\s*\{\s*(\d+)\s*\}", t)
    if frac:
        t = f"{frac.group(1)}{frac.group(2)}/{frac.group(3)}"
    return sp.Rational(re.sub(r"\s+", "", t))


def _interval_keywords(interval: sp.Interval) -> dict[str, bool]:
    """The strongest SymPy assumption an interval implies (the bounds are kept aside)."""
    lo = interval.inf
    if lo.is_nonnegative and (lo.is_positive or interval.left_open):
        return {"positive": True}
    if lo.is_nonnegative:
        return {"nonnegative": True}
    hi = interval.sup
    if hi.is_nonpositive and (hi.is_negative or interval.right_open):
        return {"negative": True}
    return {"real": True}


class Subscripted(AppliedUndef):
    """A sequence declared with a subscript (``mu_d``, ``\\mu_d``): the same quantity as
    ``mu(d)`` (equal to it, with the same assumptions), shown as written, μ_d, by every
    printer of the reports (their print methods print it as the indexed entry ``mu[d]``).

    >>> d = sp.Symbol("d", integer=True)
    >>> mu = UndefinedFunction("mu", bases=(Subscripted,), real=True)
    >>> mu(d) == sp.Function("mu", real=True)(d), mu(d).is_real
    (True, True)
    """

    def _as_indexed(self) -> sp.Indexed:
        return sp.Indexed(sp.IndexedBase(self.func.__name__), *self.args)

    def _elbo_unicode(self, printer: Any) -> str:
        return printer._print(self._as_indexed())

    def _elbo_latex(self, printer: Any, exp: str | None = None) -> str:
        text = printer._print(self._as_indexed())
        return f"{text}^{{{exp}}}" if exp is not None else text

    def _elbo_mathml(self, printer: Any) -> Any:
        return printer._print(self._as_indexed())


@dataclass
class Family:
    """A named family a density is declared in, with its parameters (SymPy), its variable
    and that variable's support (``discrete`` when it is a set of integers)."""

    name: str
    parameters: tuple[sp.Expr, ...]
    variable: sp.Symbol
    support: Any = None

    @property
    def discrete(self) -> bool:
        return FAMILY_TABLE[self.name].discrete


def _reserved_density_name(stem: str) -> bool:
    """Whether ``stem`` cannot name a density: a reserved name, except a constant a
    textbook also uses as a density's name (π(θ|x), Robert 2007, sec. 1.2).

    >>> _reserved_density_name("log"), _reserved_density_name("pi")
    (True, False)
    """
    return stem in RESERVED and stem not in _SUBSCRIPTABLE_CONSTANTS


@dataclass
class Declarations:
    """Every name of a derivation and what it means; built by all front ends alike.

    ``symbols`` maps each declared (or ``let``) name to its SymPy symbol; ``assumption_of``
    the words it was declared with; ``intervals`` the interval a symbol was declared in;
    ``definitions`` the ``let`` names' expressions; ``functions`` maps a signature
    (``"q(z|x)"``) to what it stands for; ``densities`` lists the density signatures;
    ``families`` the declared family of a density; ``roles`` maps a parameter (a symbol or an
    expression such as ``s**2``) to its role (``"mean"``, ``"variance"``, ``"standard
    deviation"``, ``"log-variance"``, ``"rate"``, ``"scale"``, ``"shape"``,
    ``"probability"``); ``vectors`` maps a vector's name to its dimension.
    """

    file: str | None = None
    symbols: dict[str, sp.Symbol] = field(default_factory=dict)
    assumption_of: dict[str, str] = field(default_factory=dict)
    intervals: dict[str, sp.Interval] = field(default_factory=dict)
    definitions: dict[str, sp.Expr] = field(default_factory=dict)
    functions: dict[str, Any] = field(default_factory=dict)
    densities: list[str] = field(default_factory=list)
    families: dict[str, Family] = field(default_factory=dict)
    roles: dict[sp.Expr, str] = field(default_factory=dict)
    vectors: dict[str, sp.Expr] = field(default_factory=dict)
    #: each vector's entries, ``indexed["mu"][j]`` (a SymPy ``IndexedBase``)
    indexed: dict[str, sp.IndexedBase] = field(default_factory=dict)
    #: the name each symbol was written with in the source, when it differs (LaTeX)
    written: dict[str, str] = field(default_factory=dict)
    #: the variables that a later ``densities:`` line in a family will declare, and how
    #: (``{"b": "integer [0, 1]"}``): a ``functions: f(b)`` line before it may use them
    ahead: dict[str, str] = field(default_factory=dict)
    #: the variables of draws from a declared density at a new point, each with the declared
    #: variable it copies (``z ~ q(z1|x)`` for ``q(z|x)``: ``{"z1": "z"}``)
    copies: dict[str, str] = field(default_factory=dict)

    def error(self, message: str, line: int | None, column: int | None,
              ) -> DerivationSyntaxError:
        return DerivationSyntaxError(message, file=self.file, line=line, column=column)

    def plain(self, written: str) -> str:
        """The name a declaration gives, as the readers look it up: a LaTeX name as the body
        writes it (``\\mu_{1}``, ``\\hat{x}``, ``\\ell``) becomes ``mu_1``, ``x_hat``, ``ell``;
        a plain name stays as it is."""
        starred = _STARRED.sub("_" + STAR, written)
        if starred != written:  # \theta_*, x^*: the starred name theta_star, x_star
            name = self.plain(starred)
            self.written[name] = written
            return name
        bracketed = BRACKET_INDEXED.match(written)
        if bracketed is not None:  # M[1]: Koller & Friedman's count, one atom
            name = bracket_atom(bracketed.group(1), bracketed.group(2))
            self.written[name] = written.strip()
            return name
        if "\\" not in written and "{" not in written:
            return written
        increment = INCREMENT.match(written)
        if increment is not None:  # \Delta\mu: the name Delta_mu, shown as written
            inner = self.plain(increment.group(2))
            if _NAME.match(inner):
                name = f"{increment.group(1)}_{inner}"
                self.written[name] = written
                return name
        m = _LATEX_NAME.match(TEXT_SUBSCRIPT.sub(r"_{\1}", DATA_INDEX.sub(r"_{\1}", written)))
        # x^{(i)}: the i-th x; p_{\mathrm{data}}: p_data
        if m is None:
            atom = _ATOM_WRITTEN.match(written)
            name = atom_name(atom.group(1), atom.group(2)) if atom else None
            if name is not None:  # \mu_{q(1/\sigma^2)}: one atom
                self.written[name] = written
                return name
            return written  # left for check_name to refuse
        accent, base, sub = m.group(1), m.group(2), m.group(3)
        if m.group(4):  # \bar{\alpha}_{t-1}: the subscript an expression, kept braced
            sub = "{" + (expression_subscript(m.group(4)) or "") + "}"
        name = base + (f"_{_ACCENTS[accent]}" if accent and _ACCENTS[accent] else "") + (
            f"_{sub}" if sub else "")
        self.written[name] = written
        return name

    def copy(self) -> Declarations:
        """A snapshot (for a part of a file: later declarations do not reach back)."""
        return dataclasses.replace(self, **{
            f.name: copy.copy(getattr(self, f.name)) for f in dataclasses.fields(self)
            if f.name != "file"})

    # symbols ---------------------------------------------------------------------------
    def check_name(self, name: str, line: int | None, column: int | None,
                   symbol: bool = False) -> None:
        """Refuse a name that is not valid or is reserved; ``symbol`` is true for a name
        declared a symbol, which may also be a :data:`DECLARABLE_CONSTANTS` letter."""
        if not (_NAME.match(name) or _EXPRESSION_NAME.match(name) or ATOM_NAME.match(name)):
            raise self.error(f"'{name}' is not a valid name (letters, digits, _)", line, column)
        if name in RESERVED and not (symbol and name in DECLARABLE_CONSTANTS):
            raise self.error(f"'{name}' is reserved and cannot be declared", line, column)
        if name in self.definitions:
            raise self.error(f"'{name}' is already defined by 'let:'", line, column)

    def declare_draws(self, text: str, line: int | None, column: int) -> None:
        r"""Declare the variable of a normal draw, ``E[f, e ~ N(0, 1)]`` or
        ``\mathbb{E}_{\epsilon \sim \mathcal{N}(0, 1)}[f]``, when nothing else declares it.

        The draw binds its variable as a family's density binds its own (which needs no
        ``symbols:`` line either): a real number. A name already declared, defined or used as a
        function keeps its meaning.

        Examples
        --------
        >>> d = Declarations()
        >>> d.declare_draws("E[(m + s*e)^2, e ~ N(0, 1)]", 1, 1)
        >>> d.symbols["e"].is_real
        True
        >>> d.declare_draws(r"\mathbb{E}_{\epsilon \sim \mathcal{N}(0, 1)}[\epsilon^2]", 1, 1)
        >>> sorted(d.symbols)
        ['e', 'epsilon']
        >>> d.declare_draws("E[E[(a*e1 + b*e2)^2, e2 ~ N(0, 1)], e1 ~ N(0, 1)]", 1, 1)
        >>> sorted(d.symbols)
        ['e', 'e1', 'e2', 'epsilon']
        >>> d.declare_draws(r"\mathbb{E}_{\epsilon_1 \sim \mathcal{N}(0, 1)}[\epsilon_1^2]", 1, 1)
        >>> sorted(d.symbols)
        ['e', 'e1', 'e2', 'epsilon', 'epsilon_1']
        >>> d.declare_draws(r"\mathbb{E}_{x_{t-1} \sim \mathcal{N}(a x_t, v)}[x_{t-1}]", 1, 1)
        >>> d.symbols["x_{t-1}"].is_real
        True
        """
        for m in _NORMAL_DRAW.finditer(text):
            group = 1 if m.group(1) is not None else 2
            name = self.plain(m.group(group))
            if (not (_NAME.match(name) or _EXPRESSION_NAME.match(name))
                    or name in RESERVED or name in self.symbols
                    or name in self.definitions
                    or any(sig.startswith(name + "(") for sig in self.functions)):
                continue
            self.add_symbol(name, "real", {"real": True}, line, column + m.start(group))
        for m in _DENSITY_DRAW.finditer(text):
            first = m.group(1) is not None
            start = m.start(1 if first else 4)
            written = [m.group(i) for i in ((1, 2, 3) if first else (4, 5, 6))]
            name = self.plain(written[0])
            if not self.undeclared_plain(name):
                continue
            copied = self.copied_variable(name, self.plain(written[1]), written[2])
            if copied is None:
                continue
            symbol = self.symbols[copied]
            keywords = {k: v for k, v in symbol.assumptions0.items() if v is not None}
            self.add_symbol(name, self.assumption_of.get(copied, "real"), keywords, line,
                            column + start, self.intervals.get(copied))
            self.copies[name] = copied

    def copied_variable(self, name: str, stem: str, arguments: str) -> str | None:
        """The declared variable that ``name`` stands in for when a draw is written from a
        declared density at a new point: ``z1`` in ``q(z1|x)`` for the declared ``q(z|x)``
        gives ``z`` (the draw is a copy of z, declared as z is). None when no declared density
        of that name has those arguments but for ``name`` in one place of a declared variable.

        >>> d = Declarations()
        >>> d.declare_densities("q(z|x), p(x, z)", 1, 1)
        >>> d.copied_variable("z1", "q", "z1|x"), d.copied_variable("z1", "q", "z1|z")
        ('z', None)
        """
        given, bar, cond = arguments.partition("|")
        wanted = ([self.plain(a.strip()) for a in given.split(",")],
                  [self.plain(a.strip()) for a in cond.split(",")] if bar else [])
        for sig in self.densities:
            m = _SIGNATURE.match(sig)
            if m is None or m.group(1) != stem:
                continue
            g, b, c = m.group(2).partition("|")
            declared = ([a.strip() for a in g.split(",")],
                        [a.strip() for a in c.split(",")] if b else [])
            if [len(x) for x in declared] != [len(x) for x in wanted]:
                continue
            swapped = [(d, w) for d, w in zip(declared[0] + declared[1], wanted[0] + wanted[1],
                                                   strict=True)
                       if d != w]
            if (len(swapped) == 1 and swapped[0][1] == name and swapped[0][0] in self.symbols
                    and swapped[0][0] in declared[0]):
                return swapped[0][0]
        return None

    def add_symbol(self, name: str, words: str, keywords: dict[str, bool],
                   line: int | None, column: int | None,
                   interval: sp.Interval | None = None) -> sp.Symbol:
        """Declare one symbol; a different earlier declaration is an error."""
        self.check_name(name, line, column, symbol=True)
        if name in self.symbols and self.assumption_of.get(name) != words:
            raise self.error(
                f"'{name}' was already declared {self.assumption_of.get(name)}; a second, "
                f"different declaration ({words}) contradicts it", line, column)
        if any(sig.startswith(name + "(") and not self.subscripted_sequence(sig)
               for sig in self.functions):
            raise self.error(f"'{name}' is already a density or function", line, column)
        symbol = self.symbols.get(name) or sp.Symbol(name, **keywords)
        self.symbols[name] = symbol
        self.assumption_of[name] = words
        if interval is not None:
            self.intervals[name] = interval
        return symbol

    def declare_symbols(self, text: str, line: int | None, column: int) -> None:
        """``a, b : real``, ``y : (0, 1)``, ``0 < y < 1``, ``mu : vector(D) real``; several
        groups on one line are separated by ``;`` (``a : real; s : positive``).

        >>> d = Declarations()
        >>> d.declare_symbols("a, b : real; s : positive", 1, 10)
        >>> d.symbols["a"].is_real, d.symbols["s"].is_positive
        (True, True)
        """
        if ";" in text:
            start = 0
            for group in text.split(";"):
                if group.strip():
                    self.declare_symbols(group, line, column + start)
                start += len(group) + 1
            return
        names_part, colon, assumption = text.rpartition(":")
        if not colon:
            chain = _CHAIN.match(text)
            if chain and (chain.group(1) or chain.group(4)):
                self.declare_chain(chain, line, column + len(text) - len(text.lstrip()))
                return
            if self.declare_chains(text, line, column):
                return
            raise self.error(
                "expected 'symbols: NAMES : ASSUMPTION', e.g. 'symbols: mu1, mu2 : real', "
                "or an interval such as 'symbols: 0 < y < 1'",
                line, column + len(text.rstrip()) + 1)
        words_col = column + len(names_part) + 1 + (len(assumption) - len(assumption.lstrip()))
        words = " ".join(assumption.split()).lower()
        interval = None
        dimension = None
        matrix = _MATRIX.match(assumption)
        if matrix:
            self.declare_matrices(names_part, matrix, line, column, words_col)
            return
        identity = _IDENTITY.match(assumption)
        if identity:
            self.declare_identity(names_part, identity, line, column, words_col)
            return
        vector = _VECTOR.match(assumption)
        if vector:
            dimension = self.dimension(vector.group(1), "vector", line, words_col)
            words = " ".join(vector.group(2).split()).lower() or "real"
        m = _INTERVAL.match(assumption)
        if m:
            interval = self.make_interval(m.group(3), m.group(4), m.group(2) == "(",
                                          m.group(5) == ")", line, words_col)
            keywords = _interval_keywords(interval)
            if m.group(1):  # 'integer [1, N]': words and an interval
                extra = assumption_keywords(m.group(1))
                if extra is None or (extra.get("negative") and keywords.get("positive")):
                    raise self.error(f"unknown or contradictory assumption '{m.group(1)}' "
                                     f"for the interval {interval}", line, words_col)
                keywords = {**keywords, **extra}
                if keywords.get("positive") or keywords.get("negative"):
                    keywords.pop("nonnegative", None)
        else:
            found = assumption_keywords(words)
            if found is None:
                raise self.error(
                    f"unknown assumption '{assumption.strip()}' (or a contradictory one); "
                    "expected "
                    f"one or more of {', '.join(ASSUMPTIONS)} (e.g. 'positive integer'), or "
                    "an interval such as (0, 1)", line, words_col)
            keywords = found
        for name, col in self.names_in(names_part, column):
            if dimension is not None:
                self.claim(name, line, col)
                self.vectors[name] = dimension
                self.assumption_of[name] = f"vector({dimension}) {words}"
                # its entries mu[j] carry the assumption; the vector itself is no scalar
                self.indexed[name] = sp.IndexedBase(name, shape=(dimension,), **keywords)
                # written alone, the vector is a D×1 matrix symbol (x − μ, μᵀΣ⁻¹μ)
                whole = sp.MatrixSymbol(name, dimension, 1)
                matrices.register(whole, self.indexed[name])
                self.symbols[name] = whole
                continue
            self.add_symbol(name, words if interval is None else " ".join(
                [*([m.group(1).strip()] if m and m.group(1) else []), str(interval)]),
                keywords, line, col, interval)

    def declare_matrices(self, names_part: str, m: re.Match[str], line: int | None,
                         column: int, words_col: int) -> None:
        """``Sigma, S : matrix(D) positive definite``: D×D matrix symbols (also ``symmetric``,
        ``spd``), D a declared integer symbol."""
        dimension = self.dimension(m.group(1), "matrix", line, words_col)
        words = " ".join(m.group(2).split()).lower()
        if words not in _MATRIX_WORDS:
            raise self.error(f"unknown property of a matrix '{m.group(2).strip()}'; expected "
                             "symmetric or positive definite (spd)", line, words_col)
        for name, col in self.names_in(names_part, column):
            self.claim(name, line, col)
            symbol = sp.MatrixSymbol(name, dimension, dimension)
            matrices.register(symbol, properties=_MATRIX_WORDS[words])
            self.symbols[name] = symbol
            self.assumption_of[name] = f"matrix({dimension}) {words}".strip()

    def names_in(self, names_part: str, column: int) -> Iterator[tuple[str, int]]:
        """(name, column) of each name of a declaration's comma-separated list."""
        for raw, offset in split_top_level(names_part):
            yield self.plain(raw.strip()), column + offset + (len(raw) - len(raw.lstrip()))

    def claim(self, name: str, line: int | None, column: int) -> None:
        """Refuse a name that is not a valid name, or one declared already."""
        self.check_name(name, line, column)
        if name in self.symbols or name in self.indexed:
            raise self.error(f"'{name}' is already declared", line, column)

    def dimension(self, text: str, what: str, line: int | None, column: int) -> sp.Expr:
        """The dimension of a ``vector(...)``, ``matrix(...)`` or ``identity(...)``: a whole
        number from 1 to :data:`MAX_DIMENSION` (``matrix(3)``) or a symbol declared integer
        before (``matrix(D)``)."""
        if text.isdigit():
            n = int(text)
            if not 1 <= n <= MAX_DIMENSION:
                raise self.error(f"the dimension {text} of a {what} must be from 1 to "
                                 f"{MAX_DIMENSION} (or a symbol declared integer)", line, column)
            return sp.Integer(n)
        dimension = self.symbols.get(text)
        if dimension is None or not getattr(dimension, "is_integer", False):
            raise self.error(f"the dimension '{text}' of a {what} must be a whole number or a "
                             "symbol declared integer first", line, column)
        return dimension

    def declare_identity(self, names_part: str, m: re.Match[str], line: int | None,
                         column: int, words_col: int) -> None:
        """``I : identity(D)``: the D×D identity matrix (``\\mathbf{I}``, ``I_D`` in LaTeX)."""
        dimension = self.dimension(m.group(1), "identity matrix", line, words_col)
        for name, col in self.names_in(names_part, column):
            self.claim(name, line, col)
            self.symbols[name] = matrices.identity(dimension)
            self.assumption_of[name] = f"identity({dimension})"

    def make_interval(self, lo_text: str, hi_text: str, left_open: bool, right_open: bool,
                      line: int | None, column: int) -> sp.Interval:
        lo, hi = (self.bound(t, line, column) for t in (lo_text, hi_text))
        interval = sp.Interval(lo, hi, left_open or lo == -sp.oo, right_open or hi == sp.oo)
        if interval is sp.S.EmptySet or not isinstance(interval, sp.Interval):
            raise self.error(f"the interval from {lo} to {hi} is empty", line, column)
        return interval

    def bound(self, text: str, line: int | None, column: int) -> sp.Expr:
        """A bound of an interval: a number, ±oo, or a declared symbol (``[1, N]``)."""
        name = text.strip()
        if _NAME.match(name) and name not in ("oo", "inf"):
            if name not in self.symbols or name in self.definitions:
                raise self.error(f"the bound '{name}' of an interval must be a number or a "
                                 "declared symbol", line, column)
            return self.symbols[name]
        try:
            return _number(name)
        except ZeroDivisionError:
            raise self.error(f"the bound '{name}' of an interval divides by zero", line,
                             column) from None

    def declare_chain(self, chain: re.Match[str], line: int | None, column: int) -> None:
        """``0 < y < 1``, ``y > 0``, ``0 <= y``: the symbol y in that interval."""
        name = self.plain(chain.group(3))
        lo, lo_op, hi_op, hi = chain.group(1), chain.group(2), chain.group(4), chain.group(5)
        lower, upper = "-oo", "oo"
        left_open = right_open = True
        if lo is not None:
            lower, left_open = lo, lo_op == "<"
        if hi_op in ("<", "<=", "≤", "\\le", "\\leq"):
            upper, right_open = hi, hi_op == "<"
        elif hi_op is not None:  # y > 0
            if lo is not None:
                raise self.error("expected 'a < y < b', 'y > a' or 'y < b'", line, column)
            lower, left_open = hi, hi_op == ">"  # '>=', '≥', '\\ge' are closed
        interval = self.make_interval(lower, upper, left_open, right_open, line, column)
        col = column + chain.start(3) - (len(chain.string) - len(chain.string.lstrip()))
        self.add_symbol(name, str(interval), _interval_keywords(interval), line, col, interval)

    def declare_chains(self, text: str, line: int | None, column: int) -> bool:
        """Several intervals on one line, as a book states them: ``0 < a < 1, 0 < b < 1``
        (each name in its own interval), ``a > 0, b > 0``, or ``0 < a, b < 1`` (every name
        between the two bounds). False when ``text`` is no such list.

        >>> d = Declarations()
        >>> d.declare_chains("0 < a < 1, b > 2", 1, 1), d.intervals["a"], d.intervals["b"]
        (True, Interval.open(0, 1), Interval.open(2, oo))
        >>> d.declare_chains("0 < u, v < 1", 1, 1), d.intervals["u"], d.intervals["v"]
        (True, Interval.open(0, 1), Interval.open(0, 1))
        >>> d.declare_chains("0 < w, k", 1, 1)
        False
        >>> d.declare_chains("0 < w, k < 1, c > 0", 1, 1)
        Traceback (most recent call last):
        ...
        elbo_derivation.errors.DerivationSyntaxError: <input>:1:1: a list of intervals ...
        """
        parts = split_top_level(text)
        if len(parts) < 2:
            return False
        chains = [_CHAIN.match(raw) for raw, _ in parts]
        if any(c is None for c in chains):
            return False
        first, last = chains[0], chains[-1]
        inner = chains[1:-1]
        if (first.group(1) and not first.group(4) and last.group(4) in _UPPER
                and not last.group(1) and all(not (c.group(1) or c.group(4)) for c in inner)):
            # 0 < a, b < 1: every name between the first part's bound and the last part's
            lower = f"{first.group(1)} {first.group(2)}"
            upper = f"{last.group(4)} {last.group(5)}"
            for c, (_raw, offset) in zip(chains, parts, strict=True):
                built = _CHAIN.match(f"{lower} {c.group(3)} {upper}")
                assert built is not None
                at = column + offset + c.start(3) - built.start(3)
                self.declare_chain(built, line, at)
            return True
        if not all(c.group(1) or c.group(4) for c in chains):
            return False
        opened = [i for i, c in enumerate(chains) if c.group(1) and not c.group(4)]
        closed = [i for i, c in enumerate(chains) if c.group(4) in _UPPER and not c.group(1)]
        if opened and closed and opened[0] < closed[-1]:
            # 0 < a, b < 1, c > 0: the bounds of a and b could be shared or not
            raise self.error(
                "a list of intervals that could share its bounds: write each interval whole "
                "('0 < a < 1, 0 < b < 1') or every name between one pair of bounds "
                "('0 < a, b < 1')", line, column + len(text) - len(text.lstrip()))
        for c, (raw, offset) in zip(chains, parts, strict=True):
            self.declare_chain(c, line, column + offset + len(raw) - len(raw.lstrip()))
        return True

    # let -------------------------------------------------------------------------------
    def define(self, name: str, value: sp.Expr, line: int | None, column: int) -> None:
        self.check_name(name, line, column)
        if name in self.symbols:
            raise self.error(f"'{name}' is already declared", line, column)
        self.symbols[name] = sp.Symbol(name)
        self.definitions[name] = value

    # densities and functions -----------------------------------------------------------
    def signature(self, raw: str, line: int | None, column: int,
                  what: str = "a density signature like 'q(z|x)' or 'p(z)'",
                  kind: str = "density",
                  ) -> tuple[str, str, list[sp.Symbol], int]:
        """(stem, canonical signature, variables, given count) of ``q(z|x)``."""
        m = _SIGNATURE.match(raw) or (_SEQUENCE_SIGNATURE.match(raw) if kind == "density"
                                      else None)
        latex = (_LATEX_SIGNATURE.match(raw) or _COMMAND_SIGNATURE.match(raw)) if not m else None
        if latex is not None and _NAME.match(self.plain(latex.group(1))):
            # q_\phi(z|x), p_{\theta}(x|z): a density named with a subscript, as the body
            # writes it (its stem q_phi); \pi(\theta|x): named by a Greek letter (stem pi)
            m = latex
        if not m:
            raise self.error(f"expected {what}, got '{raw.strip()}'", line, column)
        stem, inner = self.plain(m.group(1)), m.group(2)
        given_text, bar, cond_text = inner.partition("|")
        # a variable as the body writes it: q(\mu) is the density of the declared mu
        given = [self.plain(v.strip()) for v in given_text.split(",")]
        cond = [self.plain(v.strip()) for v in cond_text.split(",")] if bar else []
        variables: list[sp.Symbol] = []
        if kind == "density":
            # p(x(i)|z), p(x_i|z): the density of one entry of a declared sequence x(i), a
            # factor of p(x|z) = ∏_i p(x_i|z) (a decoder factorised over dimensions)
            given = [self.sequence_name(v) or v for v in given]
        for var in [*given, *cond]:
            if var not in self.symbols and var in self.ahead and var not in self.definitions:
                # declared further down by its density's family (densities: p(b) = ...)
                self.declare_symbols(f"{var} : {self.ahead[var]}", line, column)
            if kind == "density" and self.sequence_name(var) == var:
                variables.append(self.functions[var])
                continue
            if kind == "density" and self.undeclared_plain(var):
                # densities: q(x), p(x) with no symbols: line for x: a density's variable is a
                # real number, as a family's (N(m, s^2)) is, and as CS228's or Alquier's q(x),
                # π(θ) are read; a declaration written for it keeps its meaning
                self.add_symbol(var, "real", {"real": True}, line, column)
            if var not in self.symbols or var in self.definitions:
                hint = (f", or an entry of a declared sequence ('functions: {var} : real', "
                        "its index declared integer)" if kind == "density" and "(" in var
                        else "")
                raise self.error(f"{kind} variable '{var}' must be a declared symbol{hint} "
                                 f"(in '{raw.strip()}')", line, column)
            variables.append(self.symbols[var])
        sig = f"{stem}({','.join(given)}" + ("|" + ",".join(cond) if bar else "") + ")"
        return stem, sig, variables, len(given)

    def undeclared_plain(self, name: str) -> bool:
        """Whether ``name`` is a plain name that nothing declares, defines or uses yet (no
        symbol, let, vector, reserved word, density or function of that name).

        >>> d = Declarations()
        >>> d.declare_symbols("z : real", 1, 1)
        >>> d.undeclared_plain("x"), d.undeclared_plain("z"), d.undeclared_plain("log")
        (True, False, False)
        """
        return bool(_NAME.match(name) and name not in RESERVED and name not in self.symbols
                    and name not in self.definitions and name not in self.indexed
                    and not any(sig.startswith(name + "(") for sig in self.functions))

    def subscripted_sequence(self, sig: str) -> bool:
        r"""Whether the declared function ``sig`` is a sequence written with a subscript
        (``% functions: y_i : real``): the observations y₁, …, yₙ of a sample, which a
        statistics text writes beside a plain y, the variable of the density f(y) they are
        drawn from; the two are different quantities and may both be declared.

        >>> d = Declarations()
        >>> d.declare_symbols("i : integer", 1, 1)
        >>> d.declare_functions("y_i : real", 2, 1)
        >>> d.declare_symbols("y : real", 3, 1)
        >>> d.subscripted_sequence("y(i)"), d.symbols["y"] == d.functions["y(i)"]
        (True, False)
        """
        value = self.functions.get(sig)
        return (isinstance(value, Subscripted) and len(value.args) == 1
                and value.args[0].is_integer is True)

    def sequence_name(self, var: str) -> str | None:
        """``x(i)`` when ``var`` (``x(i)``, ``x_i``) names a declared sequence x(i) at its
        declared index, a density's variable being one entry of a vector; else None.

        >>> decl = Declarations()
        >>> decl.declare_symbols("i : integer", 1, 1)
        >>> decl.declare_functions("x(i) : real", 2, 1)
        >>> decl.sequence_name("x_i"), decl.sequence_name("x(i)"), decl.sequence_name("x")
        ('x(i)', 'x(i)', None)
        """
        key = var if var in self.functions else self.indexed_signature(var)
        value = self.functions.get(key)
        return key if value is not None and is_sequence(value) and value.is_real else None

    def declare_densities(self, text: str, line: int | None, column: int,
                          expression: Callable[[str, int], sp.Expr] | None = None) -> None:
        """``q(z|x), p(z)``, or one density in a family: ``q(z|x) = N(m, s^2)``."""
        for part, offset in split_top_level(text):
            if not part.strip():
                continue
            raw, eq, family_text = _split_equals(part)
            col = column + offset + (len(raw) - len(raw.lstrip()))
            if eq:
                family_text = self.without_point(raw, family_text, line,
                                                 column + offset + len(raw) + 1)
                if expression is None:  # pragma: no cover - every front end passes one
                    raise self.error("a family needs an expression reader", line, col)
                self.declare_family_variable(raw, family_text, line, col,
                                             self.normal_dimension(family_text, expression,
                                                                   column + offset))
                stem, sig, variables, n_given = self.signature(raw, line, col)
                self.family(sig, stem, variables, n_given, family_text, line,
                            column + offset + len(raw) + 1, expression)
                continue
            stem, sig, variables, _ = self.signature(raw, line, col)
            if _reserved_density_name(stem) or stem in self.symbols:
                raise self.error(f"'{stem}' is already a symbol or reserved", line, col)
            self.functions[sig] = sp.Function(sig, positive=True)(*variables)
            if sig not in self.densities:
                self.densities.append(sig)

    def without_point(self, raw: str, family_text: str, line: int | None, column: int) -> str:
        r"""A family written at its own variable, as books print a density,
        ``q(z) = \mathcal{N}(z; \mu, \sigma^2)``, is the family ``\mathcal{N}(\mu, \sigma^2)``:
        the point and its ``;`` are blanked (columns kept for messages). A point that is not
        the density's own variable is an error, never a silent reading.

        >>> d = Declarations()
        >>> d.without_point("q(z)", r" \mathcal{N}(z; m, s^2)", 1, 1)
        ' \\mathcal{N}(   m, s^2)'
        >>> d.without_point("q(z|x)", " N(m, s^2)", 1, 1)
        ' N(m, s^2)'
        """
        m = _FAMILY.match(_plain_family_head(family_text))
        if m is None or ";" not in m.group(2):
            return family_text
        point, _, _ = m.group(2).partition(";")
        sig = (_SIGNATURE.match(raw) or _LATEX_SIGNATURE.match(raw)
               or _COMMAND_SIGNATURE.match(raw))
        own = "" if sig is None else sig.group(2).partition("|")[0]
        if "".join(point.split()) != "".join(own.split()) or not own.strip():
            raise self.error(
                f"'{raw.strip()} = {family_text.strip()}': the family is written at "
                f"'{point.strip()}', which is not the density's own variable "
                f"'{own.strip() or '?'}'; write it at its variable or without the point, e.g. "
                f"'{raw.strip()} = {m.group(1).strip()}(...)'", line, column + m.start(2))
        start = m.start(2)
        end = start + len(point) + 1  # the point and its ';'
        return family_text[:start] + " " * (end - start) + family_text[end:]

    def normal_dimension(self, family_text: str, expression: Callable[[str, int], sp.Expr],
                         column: int) -> sp.Expr | None:
        r"""The dimension D of a multivariate normal ``N(μ, Σ)`` whose mean or covariance is a
        declared vector or matrix (``\mathcal{N}(0, I)`` with ``I : identity(D)``), so that
        its undeclared variable is a vector of that dimension; None for any other family.
        """
        text = re.sub(r"^(\s*)\\mathcal\s*(?:\{\s*N\s*\}|\s+N(?![a-zA-Z]))", r"\1N", family_text,
                      count=1)
        fam = _FAMILY.match(text)
        if fam is None or family_key(fam.group(1)) != "normal":
            return None
        for part, _ in split_top_level(fam.group(2)):
            try:
                value = expression(part, column)
            except DerivationSyntaxError:
                return None
            if matrices.is_matrix(value):
                return value.shape[0]
        return None

    def declare_family_variable(self, raw: str, family_text: str, line: int | None,
                                column: int, dimension: sp.Expr | None = None) -> None:
        """Declare the variable of a density in a named family where no ``symbols:`` line
        did: the family says where it lives, as a textbook's ``z ~ Bernoulli(p)`` does (an
        integer in [0, 1] for the Bernoulli, a natural number for the Poisson and the
        binomial, a positive integer for the geometric and categorical, a positive number
        for the exponential, Gamma and log-normal, (0, 1) for the Beta, a real otherwise).
        A variable declared already keeps its declaration; anything unusual (two
        variables, a vector, an unknown family) is left to the usual checks.

        >>> d = Declarations()
        >>> d.declare_symbols("0 < p < 1", 1, 1)
        >>> d.declare_family_variable("q(z)", " Bernoulli(p)", 1, 1)
        >>> d.assumption_of["z"], d.symbols["z"].is_integer
        ('integer Interval(0, 1)', True)
        """
        found = self.family_variable(raw, family_text)
        if found is not None and dimension is not None:  # N(0, I): a vector of I's dimension
            self.declare_symbols(f"{found[0]} : vector({dimension}) real", line, column)
        elif found is not None:
            self.declare_symbols(f"{found[0]} : {found[1]}", line, column)

    def expect_family_variables(self, text: str) -> None:
        """Note the variables that the ``densities:`` line ``text``, read later, declares by
        their families, so that a ``functions:`` line written before it may use them.

        >>> d = Declarations()
        >>> d.expect_family_variables("p(b) = Bernoulli(t), r(x|b)")
        >>> d.ahead
        {'b': 'integer [0, 1]', 'x': 'real'}
        """
        for part, _ in split_top_level(text):
            raw, eq, family_text = _split_equals(part)
            found = self.family_variable(raw, family_text) if eq else None
            if found is not None:
                self.ahead.setdefault(*found)
            elif not eq:
                # an abstract density, densities: pi(z): its plain variables are real numbers
                # when it is read (as in signature), so a functions: a(z) line before it may
                # use z as well
                for name in self.abstract_density_variables(raw):
                    self.ahead.setdefault(name, "real")

    def abstract_density_variables(self, raw: str) -> list[str]:
        """The plain, undeclared variable names of the abstract density ``raw`` (``q(z|x)``,
        ``\\pi(z)``), which reading it declares real.

        >>> d = Declarations()
        >>> d.declare_symbols("x : real", 1, 1)
        >>> d.abstract_density_variables("q(z|x)")
        ['z']
        """
        m = (_SIGNATURE.match(raw) or _LATEX_SIGNATURE.match(raw)
             or _COMMAND_SIGNATURE.match(raw))
        if m is None:
            return []
        given, _, cond = m.group(2).partition("|")
        names = [self.plain(v.strip()) for v in (*given.split(","), *cond.split(","))]
        return [v for v in names if v and self.undeclared_plain(v)]

    def family_variable(self, raw: str, family_text: str) -> tuple[str, str] | None:
        """The undeclared variable of the density ``raw`` in the family ``family_text``, and
        the declaration its family gives it (None when there is none to give)."""
        m = (_SIGNATURE.match(raw) or _LATEX_SIGNATURE.match(raw)
             or _COMMAND_SIGNATURE.match(raw))
        text = re.sub(r"^(\s*)\\mathcal\s*(?:\{\s*N\s*\}|\s+N(?![a-zA-Z]))", r"\1N", family_text,
                      count=1)
        text = re.sub(r"^(\s*)\\(operatorname|mathrm|text)\s*\{\s*(\w+)\s*\}", r"\1\3", text,
                      count=1)
        fam = _FAMILY.match(text)
        # q(z|x) = N(f(x), s^2): the variable is z, left of the bar (x is declared on its own)
        given = m.group(2).partition("|")[0] if m is not None else ""
        if m is None or fam is None or "," in given:
            return None
        key = family_key(fam.group(1))
        name = self.plain(given.strip())
        if (key is None or not _NAME.match(name) or name in RESERVED or name in self.symbols
                or name in self.indexed or name in self.definitions):
            return None
        if self.indexed_signature(given.strip()) in self.functions:
            return None  # x_d, an entry of a declared sequence x(d): declared already
        words = {"bernoulli": "integer [0, 1]", "poisson": "nonnegative integer",
                 "binomial": "nonnegative integer", "geometric": "positive integer",
                 "categorical": "positive integer", "exponential": "positive",
                 "gamma": "positive", "lognormal": "positive", "beta": "(0, 1)"}
        return name, words.get(key, "real")

    def family(self, sig: str, stem: str, variables: list[sp.Symbol], n_given: int,
               text: str, line: int | None, column: int,
               expression: Callable[[str, int], sp.Expr]) -> None:
        lead = len(text) - len(text.lstrip())
        text = _plain_family_head(text)
        m = _FAMILY.match(text)
        if not m:
            raise self.error("expected a family such as 'N(m, s^2)' after '='", line,
                             column + lead)
        key = _FAMILY_NAMES.get(" ".join(m.group(1).split()).lower().rstrip("."))
        if key is None:
            raise self.error(
                f"unknown family '{m.group(1).strip()}'; expected one of N (Normal, "
                "Gaussian), Bernoulli, Categorical, Poisson, Exponential, Laplace, Gamma, "
                "LogNormal, Uniform, Geometric, Binomial, Beta", line, column + lead)
        if _reserved_density_name(stem) or stem in self.symbols:
            raise self.error(f"'{stem}' is already a symbol or reserved", line, column)
        if n_given != 1:
            raise self.error(f"a density in a family is a density of one variable: "
                             f"'{sig}' has {n_given}", line, column)
        args_start = column + m.start(2)  # (the match starts at the text, spaces and all)
        params = tuple(expression(part, args_start + offset)
                       for part, offset in split_top_level(m.group(2)))
        roles = FAMILIES[key]
        if roles is not None and len(params) != len(roles):
            raise self.error(f"{m.group(1).strip()}(...) takes {len(roles)} parameter"
                             f"{'s' if len(roles) > 1 else ''} ({', '.join(roles)}), got "
                             f"{len(params)}", line, args_start)
        variable = variables[0]
        offsets = [args_start + offset for _, offset in split_top_level(m.group(2))]
        if key == "normal" and any(matrices.is_matrix(v) for v in (variable, *params)):
            # the multivariate normal N(μ, Σ) of a vector: kept abstract, its family recorded
            mean, cov = params
            if mean == 0 and matrices.is_matrix(variable):  # N(0, I): 0 is the zero vector
                mean = sp.ZeroMatrix(*variable.shape)
                params = (mean, cov)
            if not (matrices.is_matrix(variable) and getattr(mean, "shape", None)
                    == variable.shape and getattr(cov, "shape", (0, 1))[0] == variable.shape[0]
                    and cov.shape[0] == cov.shape[1]):
                raise self.error(f"a multivariate normal of a vector needs a mean of its shape "
                                 f"and a square covariance: '{sig}'", line, args_start)
            self.families[sig] = Family(key, params, variable, None)
            self.functions[sig] = sp.Function(sig, positive=True)(*variables)
            if sig not in self.densities:
                self.densities.append(sig)
            return
        for k, param in enumerate(params):
            role = "probability" if roles is None else roles[k]
            self.give_roles(param, role, line, offsets[k])
            if role == "number of trials" and param.is_integer is not True:
                raise self.error(f"'{param}' is the number of trials of {m.group(1).strip()}"
                                 f"(...), a whole number: declare it an integer (e.g. "
                                 f"'{param} : positive integer')", line, offsets[k])
        if key == "uniform" and (params[1] - params[0]).is_positive is False:
            raise self.error(f"{m.group(1).strip()}({m.group(2).strip()}): the lower bound "
                             "must be below the upper bound", line, args_start)
        support = FAMILY_TABLE[key].support(*params)
        self.families[sig] = Family(key, params, variable, support)
        # a density on the whole line is written out: that formula is what the name means
        # (integrals and expectations over it are then computed); the others stay abstract,
        # their family and parameters recorded here
        formula = written_density(key, variable, params)
        if formula is not None:
            self.functions[sig] = formula
        else:
            self.functions[sig] = sp.Function(sig, positive=True)(*variables)
        if sig not in self.densities:
            self.densities.append(sig)

    def give_roles(self, param: sp.Expr, role: str, line: int | None, column: int) -> None:
        """Record ``param``'s role, and what its structure implies for its parts."""
        found = [(param, role)]
        if role == "variance":
            base, exponent = param.as_base_exp()
            if exponent == 2 and isinstance(base, sp.Symbol):
                found.append((base, "standard deviation"))
            elif isinstance(param, sp.exp) and isinstance(param.args[0], sp.Symbol):
                found.append((param.args[0], "log-variance"))
        elif role == "variance of log":
            base, exponent = param.as_base_exp()
            if exponent == 2 and isinstance(base, sp.Symbol):
                found.append((base, "standard deviation of log"))
        for expr, r in found:
            old = self.roles.get(expr)
            if old is not None and old != r:
                raise self.error(f"'{expr}' is declared a {old} and a {r}: contradictory roles",
                                 line, column)
            if r in _POSITIVE_ROLES and isinstance(expr, sp.Symbol) and (
                    expr.is_nonpositive or expr.is_negative):
                raise self.error(f"'{expr}' is a {r}, which is positive, but it is declared "
                                 f"{self.assumption_of.get(str(expr), 'non-positive')}",
                                 line, column)
            if r == "probability" and str(expr) in self.intervals and (
                    self.intervals[str(expr)].sup > 1):
                raise self.error(f"'{expr}' is a probability but its interval "
                                 f"{self.intervals[str(expr)]} goes beyond 1", line, column)
            # a positive role on a symbol declared only real is allowed (a weaker
            # declaration, not a contradiction): the role is kept
            self.roles[expr] = r

    def declare_functions(self, text: str, line: int | None, column: int) -> None:
        """``f(z), g(z) : real`` (abstract), or ``h(x)`` for a declared name h."""
        names_part, colon, assumption = text.rpartition(":")
        # an interval, α_t : (0, 1): its sign as the assumption, the interval on the function
        interval = _INTERVAL.match(assumption) if colon else None
        if interval is not None and interval.group(1) is None:
            bounds = self.make_interval(interval.group(3), interval.group(4),
                                        interval.group(2) == "(", interval.group(5) == ")",
                                        line, column + len(names_part) + 1)
            assumption = ""
        else:
            bounds = None
        if not colon or "(" in assumption:
            names_part, assumption = text, ""
        words = " ".join(assumption.split()).lower()
        keywords = assumption_keywords(words) if words else None
        if bounds is not None:
            # kept on the function (hashable), for the concrete instances of the sequence
            keywords = {**_interval_keywords(bounds), "real": True,
                        "interval": (bounds.inf, bounds.sup)}
        usage = "expected 'functions: SIGNATURES : ASSUMPTION', e.g. 'functions: f(z) : real'"
        if words and keywords is None:
            raise self.error(usage, line, column + len(names_part) + 1)
        for raw, offset in split_top_level(names_part):
            if not raw.strip():
                continue
            col = column + offset + (len(raw) - len(raw.lstrip()))
            subscripted = self.indexed_signature(raw)
            written_with_subscript = subscripted != raw
            raw = self.latex_function_signature(subscripted)
            m = _SIGNATURE.match(raw)
            if not m or "|" in m.group(2):
                raise self.error(
                    f"expected a function signature like 'f(z)', got '{raw.strip()}'", line, col)
            stem, sig, variables, _ = self.signature(raw, line, col, "a function like 'f(z)'",
                                                     "function")
            # π_k, mixture weights: a reserved constant's name with a subscript is free
            reserved = stem in RESERVED and not (written_with_subscript
                                                 and stem in _SUBSCRIPTABLE_CONSTANTS)
            if reserved or any(s.startswith(stem + "(") for s in self.functions):
                raise self.error(f"'{stem}' is already declared or reserved", line, col)
            if stem in self.symbols and not (written_with_subscript and keywords is not None
                                             and stem not in self.definitions):
                # the notes' h(x): the declared symbol (or let name) h, written with its
                # argument (a subscript, y_i beside a declared y, is a sequence of its own)
                self.functions[sig] = self.symbols[stem]
            elif keywords is None:  # a new function needs to say what its values are
                raise self.error(usage, line, column + len(text.rstrip()) + 1)
            elif written_with_subscript:  # mu_d: shown μ_d, as written
                self.functions[sig] = UndefinedFunction(
                    stem, bases=(Subscripted,), **keywords)(*variables)
            else:
                self.functions[sig] = sp.Function(stem, **keywords)(*variables)

    def latex_function_signature(self, raw: str) -> str:
        r"""``\hat{L}(\theta)``, ``\phi(z)``: a function declared under a LaTeX name (an
        accent, a Greek letter), as ``L_hat(theta)``, ``phi(z)``, the names the body's
        ``\hat{L}(\theta)`` and ``\phi(z)`` are read as; anything else unchanged.

        >>> Declarations().latex_function_signature(r"\hat{L}(\theta)")
        'L_hat(\\theta)'
        >>> Declarations().latex_function_signature("f(z)")
        'f(z)'
        """
        m = _LATEX_FUNCTION_SIGNATURE.match(raw)
        if m is None:
            return raw
        name = self.plain(m.group(1).strip())
        return f"{name}({m.group(2)})" if _NAME.match(name) else raw

    def indexed_signature(self, raw: str) -> str:
        r"""``mu_d`` (``\mu_d``, ``\mu_{d}``) for an index ``d`` declared integer: the
        indexed quantity μ_d, declared as the sequence ``mu(d)`` (so is a signal's ``x[n]``);
        anything else unchanged.

        >>> decl = Declarations()
        >>> decl.declare_symbols("d : integer", 1, 1)
        >>> decl.indexed_signature(r"\mu_d"), decl.indexed_signature("mu_1")
        ('mu(d)', 'mu_1')
        >>> decl.declare_symbols("t : integer", 1, 1)
        >>> decl.indexed_signature("w_{t,d}")
        'w(t,d)'
        >>> decl.declare_symbols("n : integer", 1, 1)
        >>> decl.indexed_signature("x[n]"), decl.indexed_signature("x[u]")
        ('x(n)', 'x[u]')
        """
        bracketed = _BRACKETED_INDEX.match(raw)
        if bracketed is not None:  # x[n], a signal's samples: the sequence x(n)
            stem, index = self.plain(bracketed.group(1).strip()), bracketed.group(2)
            if (_NAME.match(stem) and getattr(self.symbols.get(index), "is_integer", None)
                    is True and index not in self.definitions):
                return f"{stem}({index})"
            return raw
        two = _SUBSCRIPTED_TWO.match(raw)
        if two is not None:  # w_{t,i}: a quantity with two indices, the function w(t,i)
            stem = self.plain(two.group(1).strip())
            indices = [two.group(2), two.group(3)]
            if _NAME.match(stem) and all(
                    getattr(self.symbols.get(i), "is_integer", None) is True
                    and i not in self.definitions for i in indices) and indices[0] != indices[1]:
                return f"{stem}({indices[0]},{indices[1]})"
            return raw
        m = _SUBSCRIPTED.match(self.plain(raw.strip()) if "\\" in raw else raw)
        if m is None:
            return raw
        index = self.symbols.get(m.group(2))
        if index is None or not index.is_integer or m.group(2) in self.definitions:
            return raw
        return f"{m.group(1)}({m.group(2)})"

    def density_roles(self) -> dict[str, tuple[str, str]]:
        """Each declared density's place in its model: ``(model, role)``.

        Densities written with the same letter form one model (whatever the letter); the
        one over the most variables with no condition is the *joint*; a density without a
        condition over fewer of the joint's variables is a *marginal*, one with a condition
        a *conditional*. Without a joint declared, the model's variables are all those its
        densities mention.

        >>> import sympy as sp
        >>> decl = Declarations()
        >>> decl.declare_symbols("a, b : real", 1, 1)
        >>> decl.declare_densities("P(a, b), P(a|b), P(b)", 2, 1)
        >>> decl.density_roles()
        {'P(a,b)': ('P', 'joint'), 'P(a|b)': ('P', 'conditional'), 'P(b)': ('P', 'marginal')}
        """
        out: dict[str, tuple[str, str]] = {}
        stems: dict[str, list[str]] = {}
        for sig in self.densities:
            stems.setdefault(sig[: sig.index("(")], []).append(sig)
        for stem, sigs in stems.items():
            def variables(sig: str) -> tuple[set[str], bool]:
                inner = sig[sig.index("(") + 1: -1]
                given, bar, cond = inner.partition("|")
                names = {v.strip() for v in (given + "," + cond).split(",") if v.strip()}
                return names, bool(bar)

            unconditioned = [s for s in sigs if not variables(s)[1]]
            joint = max(unconditioned, key=lambda s: len(variables(s)[0]), default=None)
            all_vars = set().union(*(variables(s)[0] for s in sigs))
            for sig in sigs:
                names, conditioned = variables(sig)
                if conditioned:
                    role = "conditional"
                elif sig == joint and len(names) > 1 and names == all_vars:
                    role = "joint"
                else:
                    role = "marginal"
                out[sig] = (stem, role)
        return out

    def variable_of(self, density: sp.Expr) -> sp.Symbol | None:
        """The variable a declared density is a density *of*: z for q(z|x)."""
        for sig, value in self.functions.items():
            if value == density and sig in self.densities:
                family = self.families.get(sig)
                if family is not None:
                    return family.variable
                first = sig[sig.index("(") + 1:].split("|")[0].split(",")
                if len(first) == 1 and first[0] in self.symbols:
                    return self.symbols[first[0]]
        return None


def _declared_factor(stem: str, variable: sp.Basic, behind: tuple[sp.Basic, ...],
                     declared: Mapping[str, sp.Expr]) -> sp.Expr | None:
    """The declared density ``stem(variable|behind)`` (the conditioning variables in any
    order), as declared: an abstract density or a family's density written out; None when
    none is declared."""
    want = (stem, str(variable), frozenset(map(str, behind)))
    for sig, value in declared.items():
        m = _SIGNATURE.match(sig)
        if m is None:
            continue
        left, _, right = m.group(2).partition("|")
        names = [v.strip() for v in left.split(",") if v.strip()]
        cond = frozenset(v.strip() for v in right.split(",") if v.strip())
        if len(names) == 1 and (m.group(1), names[0], cond) == want:
            return value
    return None


def joint_expectation(integrand: sp.Expr, density: sp.Expr,
                      variable: sp.Basic | None = None,
                      declared: Mapping[str, sp.Expr] | None = None) -> sp.Expr | None:
    """E over a joint density, ``E_{p(x, y)}[f]``, as the expectations one inside the other
    that it is (the product rule p(x, y) = p(x) p(y|x)): ``E_{p(x)}[E_{p(y|x)}[f]]``; the
    variables are those left of the density's bar, in the order written, whatever their
    letters. None when ``density`` is not an abstract density of two or more variables (or
    ``variable``, when given, is not one of them).

    The conditional and marginal densities are those of the same name (``p(y|x)`` is the
    declared ``p(y|x)`` when there is one, ``declared`` mapping signatures to the declared
    densities, a family's written out): densities with one letter are the conditionals and
    marginals of one joint.

    >>> x, y, c = sp.symbols("x y c", real=True)
    >>> p = sp.Function("p(x,y|c)", positive=True)(x, y, c)
    >>> joint_expectation(x * y, p)
    E[E[x*y, y ~ p(y|x,c)(y, x, c)], x ~ p(x|c)(x, c)]
    >>> joint_expectation(x * y, p, declared={"p(x|c)": sp.exp(-x) * c})
    E[E[x*y, y ~ p(y|x,c)(y, x, c)], x ~ c*exp(-x)]
    """
    if not (isinstance(density, AppliedUndef) and density.is_positive):
        return None
    m = _SIGNATURE.match(density.func.__name__)
    if m is None:
        return None
    given_text, bar, cond_text = m.group(2).partition("|")
    n = len([v for v in given_text.split(",") if v.strip()])
    n_cond = len([v for v in cond_text.split(",") if v.strip()]) if bar else 0
    if n < 2 or len(density.args) != n + n_cond:
        return None
    given, cond = density.args[:n], density.args[n:]
    if variable is not None and variable not in given:
        return None
    if not all(isinstance(v, sp.Symbol) for v in given) or len(set(given)) != n:
        return None
    out = integrand
    for i in range(n - 1, -1, -1):
        behind = (*given[:i], *cond)
        name = f"{m.group(1)}({given[i]}" + (
            "|" + ",".join(map(str, behind)) if behind else "") + ")"
        factor = _declared_factor(m.group(1), given[i], behind, declared or {})
        if factor is None:
            factor = sp.Function(name, positive=True)(given[i], *behind)
        out = Expectation(out, given[i], factor)
    return written_joint(out, density)  # shown as written, E_{p(x, y)}


def expectation_over(integrand: sp.Expr, variable: sp.Basic, density: sp.Expr,
                     named: bool = True,
                     declared: Mapping[str, sp.Expr] | None = None) -> sp.Expr:
    """E[integrand] over ``density``: over all its variables when it is a joint density
    (:func:`joint_expectation`; ``variable`` one of them when ``named``), else over
    ``variable``.

    >>> z = sp.Symbol("z", real=True)
    >>> expectation_over(z, z, sp.Function("q(z)", positive=True)(z))
    E[z, z ~ q(z)(z)]
    """
    joint = joint_expectation(integrand, density, variable if named else None, declared)
    return joint if joint is not None else Expectation(integrand, variable, density)


def kl_over(q: sp.Expr, p: sp.Expr, variable: sp.Basic | None,
            declared: Mapping[str, sp.Expr] | None = None) -> sp.Expr | None:
    """KL(q ‖ p) = E_q[log(q/p)]: the :class:`~elbo_derivation.core.expectation.KL` node over
    ``variable``, or, when q is a joint density (``p(x, y)``), the expectation over all its
    variables (:func:`joint_expectation`), a KL node being over one variable. None when
    ``variable`` is None and q is not a joint density.

    >>> x, y = sp.symbols("x y", real=True)
    >>> q, r = (sp.Function(f"{n}(x,y)", positive=True)(x, y) for n in "qr")
    >>> kl_over(q, r, None)
    E[E[log(q(x,y)(x, y)/r(x,y)(x, y)), y ~ q(y|x)(y, x)], x ~ q(x)(x)]
    """
    joint = joint_expectation(sp.log(q / p), q, variable, declared)
    if joint is not None:
        return joint
    return None if variable is None else KL(q, p, variable)


def constant_in_index(body: sp.Expr, index: sp.Symbol) -> sp.Symbol | None:
    """A symbol of ``body`` written with the index of a sum or product as its subscript
    (``x_i`` under Σ_i) but declared a plain symbol, so that it does not change with i; None
    when there is none. Such a sum reads Σ_i x_i as N·x_i, which is not what is written.

    >>> i = sp.Symbol("i", integer=True)
    >>> constant_in_index(sp.Symbol("x_i") + i, i), constant_in_index(sp.Symbol("x_j"), i)
    (x_i, None)
    >>> constant_in_index(sp.Symbol("x_{i-1}"), i), constant_in_index(sp.Symbol("x_{j-1}"), i)
    (x_{i-1}, None)
    """
    suffixes = (f"_{index}", f"_{{{index}}}")

    def in_index(name: str) -> bool:  # x_{i-1}: an expression subscript with i as a term
        braced = re.search(r"_\{([^{}]*)\}$", name)
        return bool(braced) and str(index) in re.split(r"[-+]", braced.group(1))

    return next((s for s in sorted(body.free_symbols, key=str)
                 if isinstance(s, sp.Symbol) and s != index and (
                     str(s).endswith(suffixes) or in_index(str(s)))), None)


def variance_of(integrand: sp.Expr, variable: sp.Basic, density: sp.Expr,
                named: bool = True,
                declared: Mapping[str, sp.Expr] | None = None) -> sp.Expr:
    """Var[f] = E[(f − E[f])²], the definition, over ``density`` as
    :func:`expectation_over` reads it.

    >>> z = sp.Symbol("z", real=True)
    >>> variance_of(z, z, sp.Function("q(z)", positive=True)(z))
    E[(z - E[z, z ~ q(z)(z)])**2, z ~ q(z)(z)]
    """
    from elbo_derivation.core.written import written_variance

    mean = expectation_over(integrand, variable, density, named, declared)
    value = expectation_over((integrand - mean) ** 2, variable, density, named, declared)
    return written_variance(value, mean)  # shown Var[f] in a display form


def density_variable(functions: Mapping[str, Any], v: sp.Symbol) -> bool:
    """Whether ``v`` is a variable left of the bar of a declared density of ``functions``
    (``q(z|x)``'s z, both of ``p(x, z|t)``): a sum without a range over it is over all its
    values.

    >>> z, x = sp.Symbol("z", real=True), sp.Symbol("x", real=True)
    >>> q = sp.Function("q(z|x)", positive=True)(z, x)
    >>> density_variable({"q(z|x)": q}, z), density_variable({"q(z|x)": q}, x)
    (True, False)
    """
    for value in functions.values():  # any variable left of the bar: q(Z), p(X, Z|t)
        if not (isinstance(value, AppliedUndef) and "(" in value.func.__name__
                and value.is_positive):
            continue
        inner = value.func.__name__[value.func.__name__.index("(") + 1:]
        if v in value.args[:inner.split("|")[0].count(",") + 1]:
            return True
    return False


def is_copy_of(new: sp.Expr, declared: sp.Expr) -> bool:
    """Whether ``new`` may stand where ``declared`` was declared, in a density at another
    point: the same symbol, or a copy written with the declared name and a subscript or
    suffix (``h_1``, ``h1``, ``h_a`` for ``h``), with the same assumptions.

    >>> import sympy as sp
    >>> h, h1, x = sp.Symbol("h", real=True), sp.Symbol("h_1", real=True), sp.Symbol("x", real=True)
    >>> is_copy_of(h1, h), is_copy_of(x, h)
    (True, False)
    """
    if new == declared:
        return True
    if (is_sequence(declared) and isinstance(new, sp.core.function.AppliedUndef)
            and new.func == declared.func and new.args[0].is_integer is True):
        return True  # a sequence's entry at another index: p(x(j)|z) for p(x(i)|z)
    if not (isinstance(new, sp.Symbol) and isinstance(declared, sp.Symbol)):
        return False
    a, b = new.name, declared.name
    if DRAWN_COPIES.get().get(a) == b and new.assumptions0 == declared.assumptions0:
        return True  # drawn from the declared density at a new point: a copy, whatever its name
    return (a.startswith(b) and len(a) > len(b) and (a[len(b)] == "_" or a[len(b)].isdigit()
                                                     or a[len(b)] == "'")
            and new.assumptions0 == declared.assumptions0)


def sequence_at(functions: Mapping[str, Any], stems: Sequence[str],
                args: Sequence[sp.Expr]) -> sp.Expr | None:
    """A declared indexed quantity (a *sequence*) at another index: ``m(j)`` or ``\\mu_j``
    for the declared ``m(d)`` / ``\\mu_d``, whose one argument is a symbol declared integer.

    The index may be any integer-valued expression (``j``, ``1``, ``d + 1``): a sequence is
    the same quantity at every index. None when ``stems`` name no such declaration or an
    argument is not an integer.

    >>> import sympy as sp
    >>> d, j = sp.symbols("d j", integer=True)
    >>> m = sp.Function("m", real=True)
    >>> sequence_at({"m(d)": m(d)}, ["m"], [j + 1])
    m(j + 1)
    >>> sequence_at({"m(d)": m(d)}, ["m"], [sp.Symbol("x", real=True)]) is None
    True
    """
    if len(args) != 1 or args[0].is_integer is not True:
        return None
    found = {value.func for stem in stems for sig, value in functions.items()
             if sig.startswith(stem + "(") and is_sequence(value)}
    return found.pop()(*args) if len(found) == 1 else None


_DOMAIN_WORDS = ("integer", "positive", "nonnegative", "negative", "nonpositive", "nonzero",
                 "real")


def function_at(functions: Mapping[str, Any], stems: Sequence[str], args: Sequence[sp.Expr],
                ranges: Collection[Any] = ()) -> sp.Expr | None:
    """A declared function (``functions: f(z) : real``; never a density) at any point of its
    domain: ``f(μ + σε)`` is the declared f(z) at z = μ + σε, as a function means.

    Each argument must be known to lie where the declared variable lies (real for a real
    variable, positive for a positive one, an integer for an index); a variable declared in an
    interval, or a name that is a density (``densities: q(z)``: its roles and copies follow
    :func:`is_copy_of`), gives None, as does a name with more than one declaration.

    >>> import sympy as sp
    >>> z, m = sp.Symbol("z", real=True), sp.Symbol("m", real=True)
    >>> s = sp.Symbol("s", positive=True)
    >>> f = sp.Function("f", real=True)
    >>> function_at({"f(z)": f(z)}, ["f"], [m + s])
    f(m + s)
    >>> g = sp.Function("g", real=True)
    >>> function_at({"g(s)": g(s)}, ["g"], [m]) is None  # m need not be positive
    True
    """
    found = [value for sig, value in functions.items()
             if any(sig.startswith(stem + "(") for stem in set(stems))]
    if len(found) != 1:
        return None
    declared = found[0]
    if (not isinstance(declared, sp.core.function.AppliedUndef)
            or "(" in declared.func.__name__ or len(declared.args) != len(args)):
        return None  # a density (named by its signature), or another shape
    for param, value in zip(declared.args, args, strict=True):
        if not isinstance(param, sp.Symbol) or param in ranges:
            return None
        if any(getattr(param, f"is_{w}") is True and getattr(value, f"is_{w}") is not True
               for w in _DOMAIN_WORDS):
            return None
    return declared.func(*args)


def derivative_at(applied: sp.Expr, order: int, functions: Mapping[str, Any]) -> sp.Expr:
    """The ``order``-th derivative of a declared function of one variable, as ``f'(t)``
    writes it: d/dz f(z) where the argument is the declared variable, and that derivative at
    the point where it is an expression (``f'(μ + σε)`` is (d/dz f(z)) at z = μ + σε).

    >>> import sympy as sp
    >>> z, m = sp.Symbol("z", real=True), sp.Symbol("m", real=True)
    >>> f = sp.Function("f", real=True)
    >>> derivative_at(f(z), 1, {"f(z)": f(z)})
    Derivative(f(z), z)
    >>> derivative_at(f(m + 1), 1, {"f(z)": f(z)})
    Subs(Derivative(f(z), z), z, m + 1)
    """
    (arg,) = applied.args
    if isinstance(arg, sp.Symbol):
        return sp.Derivative(applied, (arg, order))
    declared = next(v for v in functions.values()
                    if isinstance(v, sp.core.function.AppliedUndef) and v.func == applied.func)
    (variable,) = declared.args
    return sp.Subs(sp.Derivative(declared, (variable, order)), variable, arg)


def is_sequence_entry(value: Any) -> bool:
    """Whether ``value`` is a real indexed quantity at an integer index (``x(i)``, ``x(2)``):
    the variable of a density of one entry of a sequence.

    >>> import sympy as sp
    >>> x = sp.Function("x", real=True)
    >>> is_sequence_entry(x(sp.Symbol("i", integer=True))), is_sequence_entry(x(sp.Symbol("t")))
    (True, False)
    """
    return (isinstance(value, sp.core.function.AppliedUndef) and len(value.args) == 1
            and value.args[0].is_integer is True and value.is_real is True
            and "(" not in value.func.__name__)


def is_sequence(value: Any) -> bool:
    """Whether a declared function is an indexed quantity: one argument, an integer symbol."""
    return (isinstance(value, sp.core.function.AppliedUndef) and len(value.args) == 1
            and isinstance(value.args[0], sp.Symbol) and value.args[0].is_integer is True
            and "(" not in value.func.__name__)


def alias_dependence(expr: sp.Expr, variables: list[sp.Symbol],
                     functions: Mapping[str, Any]) -> str | None:
    """A signature such as ``h(x)`` declared as a name for the symbol ``h``, whose symbol
    appears in ``expr`` while one of ``variables`` is among its arguments: differentiating
    it would treat h as a constant although the declaration says it depends on x."""
    names = {str(v) for v in variables}
    free = expr.free_symbols
    for sig, value in functions.items():
        if not isinstance(value, sp.Symbol) or value not in free:
            continue
        inner = sig[sig.index("(") + 1: -1].replace("|", ",")
        if names & {v.strip() for v in inner.split(",")}:
            return sig
    return None


def bound_to_definitions(expr: sp.Expr, definitions: Mapping[str, sp.Expr]) -> str | None:
    """The name of a ``let`` definition that ``expr`` differentiates or sums over, if any:
    such a variable would be replaced by its expression when checking."""
    if not definitions:
        return None
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.Derivative):
            names = [str(v) for v, _ in node.variable_count]
        elif isinstance(node, (sp.Sum, sp.Product)):
            names = [str(lim[0]) for lim in node.limits]
        else:
            continue
        for name in names:
            if name in definitions:
                return name
    return None


def _split_equals(text: str) -> tuple[str, str, str]:
    """``q(z|x) = N(m, s)`` → (``q(z|x) ``, ``=``, `` N(m, s)``) at the first top-level '='."""
    depth = 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "=" and depth == 0:
            return text[:i], "=", text[i + 1:]
    return text, "", ""


def split_top_level(text: str) -> list[tuple[str, int]]:
    """Split on commas outside brackets; each part with its starting offset.

    >>> split_top_level("q(z|x), p(z)")
    [('q(z|x)', 0), (' p(z)', 7)]
    """
    parts: list[tuple[str, int]] = []
    depth = 0
    start = 0
    for i, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append((text[start:i], start))
            start = i + 1
    parts.append((text[start:], start))
    return parts
