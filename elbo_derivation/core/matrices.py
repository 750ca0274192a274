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


def scalar(e: sp.Expr) -> sp.Expr:
    """A 1×1 matrix expression as the number it is (the trace of that 1×1 matrix)."""
    if is_matrix(e) and e.shape == (1, 1):
        return sp.Trace(e)
    return e


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise MatrixReadError(message)


def product(factors: Sequence[sp.Expr]) -> sp.Expr:
    """The product of ``factors`` read left to right: matrices multiplied as matrices
    (shapes checked), numbers as numbers, and a 1×1 result taken as a number."""
    def times(a: sp.Expr, b: sp.Expr) -> sp.Expr:
        if is_matrix(a) and is_matrix(b):
            if a.shape == (1, 1) and b.shape[0] != 1:
                return scalar(a) * b
            if b.shape == (1, 1) and a.shape[1] != 1:
                return a * scalar(b)
            _check(sp.expand(a.shape[1] - b.shape[0]) == 0,
                   f"a {_shape(a)} matrix times a {_shape(b)} one: the shapes do not match")
            return a * b
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
    return sp.MatAdd(*terms)


def power(base: sp.Expr, exponent: sp.Expr) -> sp.Expr:
    """``A^{-1}`` (the inverse), ``A^n``; for a vector ``σ^2`` the entries squared (as in
    diag(σ²)); a non-integer power has no meaning."""
    exponent = sp.S(exponent)
    _check(exponent.is_Integer is True,
           "a matrix to a power other than a whole number (write A^{-1} for the inverse)")
    if base.shape[1] == 1 and base.shape[0] != 1:
        return sp.HadamardPower(base, exponent)
    _check(base.shape[0] == base.shape[1],
           f"a power of a {_shape(base)} matrix (only square matrices have powers)")
    return base ** exponent


def transpose(e: sp.Expr) -> sp.Expr:
    """``eᵀ`` (a declared symmetric matrix is its own transpose)."""
    if not is_matrix(e):
        return e
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


def _trace(e: sp.Expr) -> sp.Expr:
    _square("tr")(e)
    return sp.Trace(e)


def _det(e: sp.Expr) -> sp.Expr:
    _square("det")(e)
    return sp.Determinant(e)


def _inv(e: sp.Expr) -> sp.Expr:
    _square("inv")(e)
    return sp.Inverse(e)


def _diag(e: sp.Expr) -> sp.Expr:
    _check(is_matrix(e) and e.shape[1] == 1, "diag(...) of something that is not a vector")
    return DiagMatrix(e)


def _transpose(e: sp.Expr) -> sp.Expr:
    _check(is_matrix(e), "transpose(...) of something that is not a vector or a matrix")
    return transpose(e)


def _logdet(e: sp.Expr) -> sp.Expr:
    return sp.log(_det(e))


#: The functions of matrices a derivation may write: tr, det, inv, transpose, diag, logdet.
MATRIX_FUNCTIONS = {"tr": _trace, "det": _det, "inv": _inv, "transpose": _transpose,
                    "diag": _diag, "logdet": _logdet}
