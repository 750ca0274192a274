r"""Vectors and matrices of a symbolic dimension, as the readers build them.

A vector ``mu : vector(D) real`` is, written alone, a D×1 ``MatrixSymbol`` (its entries
``mu[j]``, ``\mu_j``, stay the declaration's ``IndexedBase`` entries; :func:`entries_of`
links the two); a matrix ``Sigma : matrix(D) positive definite`` a D×D one. Products, sums
and powers of them are SymPy matrix expressions (``MatMul``, ``MatAdd``, ``Inverse``,
``Transpose``, ``Trace``, ``Determinant``, ``DiagMatrix``); a product that comes out 1×1
(a quadratic form (x − μ)ᵀΣ⁻¹(x − μ)) is the number it stands for, written as the trace of
that 1×1 matrix so that it can be added to numbers.

Examples
--------
>>> import sympy as sp
>>> D = sp.Symbol("D", integer=True, positive=True)
>>> x, S = sp.MatrixSymbol("x", D, 1), sp.MatrixSymbol("S", D, D)
>>> q = product([transpose(x), power(S, -1), x])
>>> q
Trace(x.T*S**(-1)*x)
>>> add([q, sp.Integer(1)])
Trace(x.T*S**(-1)*x) + 1
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce

import sympy as sp
from sympy.matrices.expressions.diagonal import DiagMatrix

__all__ = [
    "MATRIX_FUNCTIONS",
    "MatrixReadError",
    "add",
    "entries_of",
    "explicit",
    "identity",
    "is_explicit",
    "is_matrix",
    "power",
    "product",
    "properties_of",
    "register",
    "scalar",
    "transpose",
    "vector_of",
]


class MatrixReadError(ValueError):
    """A matrix expression that has no meaning (shapes that do not match, a matrix added to
    a number, the trace of a non-square matrix); the readers turn it into FILE:LINE:COLUMN."""


#: each vector's entries (the declaration's IndexedBase) and each matrix's declared
#: properties ("symmetric", "positive definite", "diagonal")
_ENTRIES: dict[sp.MatrixSymbol, sp.IndexedBase] = {}
_PROPERTIES: dict[sp.MatrixSymbol, frozenset[str]] = {}


def register(symbol: sp.MatrixSymbol, entries: sp.IndexedBase | None = None,
             properties: Sequence[str] = ()) -> None:
    """Record what a declaration says about ``symbol``: its entries, its properties."""
    if entries is not None:
        _ENTRIES[symbol] = entries
    props = set(properties)
    if "positive definite" in props:
        props.add("symmetric")
    _PROPERTIES[symbol] = frozenset(props)


def entries_of(vector: sp.MatrixSymbol) -> sp.IndexedBase:
    """The entries of a declared vector, as ``mu[j]`` reads them (1-based)."""
    return _ENTRIES.get(vector) or sp.IndexedBase(vector.name, real=True)


def vector_of(entries: sp.IndexedBase) -> sp.MatrixSymbol | None:
    """The declared vector whose entries ``entries`` are (None when none is declared)."""
    return next((v for v, base in _ENTRIES.items() if base == entries), None)


def properties_of(matrix: sp.MatrixSymbol) -> frozenset[str]:
    """The declared properties of a matrix symbol (empty when none)."""
    return _PROPERTIES.get(matrix, frozenset())


def is_matrix(e: object) -> bool:
    """Whether ``e`` is a matrix expression (a vector included)."""
    return isinstance(e, sp.MatrixExpr)


def is_explicit(e: object) -> bool:
    """Whether ``e`` is a matrix written out entry by entry (``\\begin{pmatrix}``)."""
    return isinstance(e, sp.MatrixBase)


def _evaluating() -> bool:
    """False while an expression is built as written (``sympy.evaluate(False)``): the
    determinant of a written-out matrix is then kept as det(...), not multiplied out."""
    return bool(sp.core.parameters.global_parameters.evaluate)


def explicit(rows: Sequence[Sequence[sp.Expr]]) -> sp.ImmutableMatrix:
    """A matrix written out, row by row; every row as long as the first, every entry a
    number (a matrix inside a matrix is not read).

    >>> a, b = sp.symbols("a b", real=True)
    >>> M = explicit([[a, 0], [b, 2]])
    >>> MATRIX_FUNCTIONS["det"](M), MATRIX_FUNCTIONS["tr"](M)
    (2*a, a + 2)
    """
    _check(len(rows) > 0 and len(rows[0]) > 0, "an empty matrix")
    width = len(rows[0])
    for k, row in enumerate(rows, start=1):
        _check(len(row) == width, f"row {k} of the matrix has {len(row)} "
                                  f"entr{'y' if len(row) == 1 else 'ies'}, row 1 has {width}")
        _check(not any(is_matrix(v) for v in row),
               f"row {k} of the matrix holds a matrix or vector (write its entries out)")
    return sp.ImmutableMatrix([list(r) for r in rows])


def identity(dimension: sp.Expr) -> sp.Expr:
    """The identity matrix of ``dimension`` (a declared integer symbol or a number).

    >>> D = sp.Symbol("D", integer=True, positive=True)
    >>> MATRIX_FUNCTIONS["tr"](identity(D)), MATRIX_FUNCTIONS["det"](identity(3))
    (D, 1)
    """
    return sp.Identity(dimension)


def scalar(e: sp.Expr) -> sp.Expr:
    """A 1×1 matrix expression as the number it is (the trace of that 1×1 matrix)."""
    if is_explicit(e) and e.shape == (1, 1):
        return e[0, 0]
    if is_matrix(e) and e.shape == (1, 1):
        return sp.Trace(e)
    return e


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise MatrixReadError(message)


def _same(m: sp.Expr, n: sp.Expr) -> bool:
    """Whether two dimensions are equal (also while an expression is built unevaluated)."""
    with sp.evaluate(True):
        return sp.expand(sp.S(m) - sp.S(n)) == 0


def product(factors: Sequence[sp.Expr]) -> sp.Expr:
    """The product of ``factors`` read left to right: matrices multiplied as matrices
    (shapes checked), numbers as numbers, and a 1×1 result taken as a number."""
    def times(a: sp.Expr, b: sp.Expr) -> sp.Expr:
        if is_matrix(a) and is_matrix(b):
            if a.shape == (1, 1) and b.shape[0] != 1:
                return scalar(a) * b
            if b.shape == (1, 1) and a.shape[1] != 1:
                return a * scalar(b)
            _check(_same(a.shape[1], b.shape[0]),
                   f"a {_shape(a)} matrix times a {_shape(b)} one: the shapes do not match")
            return a * b if _evaluating() else sp.MatMul(a, b)  # (`*` would compute A⁻¹)
        return a * b

    # the numbers kept apart (½·(x − μ)ᵀΣ⁻¹(x − μ) stays ½ times the quadratic form)
    numbers = [f for f in factors if not is_matrix(f)]
    mats = [f for f in factors if is_matrix(f)]
    if not mats:
        return sp.Mul(*numbers)
    value = scalar(reduce(times, mats))
    return sp.Mul(*numbers) * value if numbers else value


def add(terms: Sequence[sp.Expr]) -> sp.Expr:
    """The sum of ``terms``: matrices of one shape, or numbers (1×1 matrices among them)."""
    shapes = {t.shape for t in terms if is_matrix(t) and t.shape != (1, 1)}
    if not shapes:
        return sp.Add(*[scalar(t) for t in terms])
    _check(len(shapes) == 1 and all(is_matrix(t) for t in terms),
           "a matrix added to a number, or matrices of different shapes")
    if _evaluating() and all(is_explicit(t) or isinstance(t, sp.Identity) for t in terms):
        return reduce(lambda a, b: sp.ImmutableMatrix(a.as_explicit() + b.as_explicit()),
                      terms)
    return sp.MatAdd(*terms)


def power(base: sp.Expr, exponent: sp.Expr) -> sp.Expr:
    """``A^{-1}`` (the inverse), ``A^n``; for a vector ``σ^2`` the entries squared (as in
    diag(σ²)); a non-integer power has no meaning."""
    exponent = sp.S(exponent)
    _check(exponent.is_Integer is True,
           "a matrix to a power other than a whole number (write A^{-1} for the inverse)")
    if base.shape[1] == 1 and base.shape[0] != 1:
        if is_explicit(base):
            _check(exponent >= 0 or all(v != 0 for v in base),
                   "a zero entry of a vector to a negative power")
            return base.applyfunc(lambda v: v ** exponent)
        return sp.HadamardPower(base, exponent)
    _check(base.shape[0] == base.shape[1],
           f"a power of a {_shape(base)} matrix (only square matrices have powers)")
    if is_explicit(base) and exponent < 0:
        return power(_inv(base), -exponent)
    return base ** exponent


def transpose(e: sp.Expr) -> sp.Expr:
    """``eᵀ`` (a declared symmetric matrix is its own transpose)."""
    if not is_matrix(e):
        return e
    if is_explicit(e):
        return e.T
    if isinstance(e, sp.MatrixSymbol) and "symmetric" in properties_of(e):
        return e
    return sp.Transpose(e)


def _shape(e: sp.Expr) -> str:
    return "×".join(str(n) for n in e.shape)


def _square(name: str) -> sp.Expr:
    def check(e: sp.Expr) -> None:
        _check(is_matrix(e) and e.shape[0] == e.shape[1],
               f"{name}(...) of something that is not a square matrix")
    return check


def _known(e: sp.Expr) -> bool:
    """Whether ``e`` is built from written-out matrices and identities only (no declared
    matrix symbol): its trace and determinant are then computed as it is read."""
    return _evaluating() and not e.has(sp.MatrixSymbol)


def _trace(e: sp.Expr) -> sp.Expr:
    _square("tr")(e)
    if _known(e):
        return e.trace() if is_explicit(e) else sp.Trace(e).doit()
    return sp.Trace(e)


def _det(e: sp.Expr) -> sp.Expr:
    _square("det")(e)
    if _known(e):
        if is_explicit(e):
            return e.det(method="berkowitz")
        # det(cI) = c^D: SymPy leaves the det(I) factor, which is 1
        return sp.Determinant(e).doit().replace(
            lambda n: isinstance(n, sp.Determinant) and isinstance(n.arg, sp.Identity),
            lambda n: sp.Integer(1))
    return sp.Determinant(e)


def _inv(e: sp.Expr) -> sp.Expr:
    _square("inv")(e)
    if is_explicit(e) and _evaluating():
        det = sp.simplify(e.det(method="berkowitz"))
        _check(det != 0, "the inverse of a matrix whose determinant is 0 (a singular matrix)")
        return sp.ImmutableMatrix(e.adjugate() / det).applyfunc(sp.cancel)
    if isinstance(e, sp.Identity):
        return e
    return sp.Inverse(e)


def _diag(e: sp.Expr) -> sp.Expr:
    _check(is_matrix(e) and e.shape[1] == 1, "diag(...) of something that is not a vector")
    if is_explicit(e):
        return sp.ImmutableMatrix(sp.diag(*e))
    return DiagMatrix(e)


def _transpose(e: sp.Expr) -> sp.Expr:
    body = getattr(e, "integrand", None)
    if body is not None and is_matrix(body):  # E[x]ᵀ, the mean of a vector: E[xᵀ]
        return e.func(transpose(body), *e.args[1:])
    _check(is_matrix(e), "transpose(...) of something that is not a vector or a matrix")
    return transpose(e)


def _logdet(e: sp.Expr) -> sp.Expr:
    return sp.log(_det(e))


#: The functions of matrices a derivation may write: tr, det, inv, transpose, diag, logdet.
MATRIX_FUNCTIONS = {"tr": _trace, "det": _det, "inv": _inv, "transpose": _transpose,
                    "diag": _diag, "logdet": _logdet}
