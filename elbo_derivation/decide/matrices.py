r"""Steps in matrix notation with a symbolic dimension D: traces, determinants, inverses,
transposes, diagonal matrices (:mod:`elbo_derivation.core.matrices` builds them).

Two ways to a verdict, as for the other tiers:

* **by rule** (:func:`normal_form`): the trace is linear and cyclic, tr(Mᵀ) = tr(M) (every
  trace of a product is written in one canonical rotation, so tr(Σ₂⁻¹Σ₁) and tr(Σ₁Σ₂⁻¹) are
  the same); det(AB) = det A det B, det(A⁻¹) = 1/det A, det(cA) = c^D det A; (AB)ᵀ = BᵀAᵀ,
  a declared symmetric matrix (and its inverse) is its own transpose; tr(I_D) = D; and for
  diagonal matrices diag(v): det diag(v) = ∏_d v_d (so log det diag(σ²) = Σ_d log σ_d²),
  tr(diag(a)diag(b)⁻¹) = Σ_d a_d/b_d, uᵀdiag(v)w = Σ_d u_d v_d w_d. What is left — traces of
  other products, determinants of declared positive definite matrices — is treated as
  unknowns (a determinant of a positive definite matrix as a positive one, so its logarithm
  splits), and the algebra of the gap decides.
* **by instances** (:func:`instances`): D set to 1, 2 and 3, each matrix replaced by a
  seeded random integer matrix that satisfies its declaration (a positive definite one as
  LLᵀ with L lower triangular, positive diagonal), each vector by random integers (positive
  where declared positive). The two sides are then exact numbers (rationals and their
  logarithms): one that differs refutes the step, with the dimension and the matrices in the
  counterexample; agreement at every instance is only numerical support, never a proof.

Examples
--------
>>> import sympy as sp
>>> from elbo_derivation.core import matrices
>>> D = sp.Symbol("D", integer=True, positive=True)
>>> A, B = sp.MatrixSymbol("A", D, D), sp.MatrixSymbol("B", D, D)
>>> left, _ = normal_form(sp.Trace(A * B) + sp.Trace(A + B))
>>> right, _ = normal_form(sp.Trace(B * A) + sp.Trace(B) + sp.Trace(A))
>>> left == right
True
"""

from __future__ import annotations

import random
from collections.abc import Iterator

import sympy as sp
from sympy.matrices.expressions.diagonal import DiagMatrix

from elbo_derivation.core import matrices
from elbo_derivation.core.order import ordered
from elbo_derivation.decide.words import plain

__all__ = [
    "CYCLIC",
    "DET_DIAGONAL",
    "DET_RULES",
    "DIAGONAL",
    "LINEAR_TRACE",
    "NORMAL_MOMENTS",
    "TRACE_IDENTITY",
    "TRANSPOSE",
    "evaluate_expectations",
    "has_matrices",
    "instance_of",
    "instances",
    "normal_form",
    "unknowns",
]

LINEAR_TRACE = "linearity of the trace"
CYCLIC = "cyclic property of the trace (tr(AB) = tr(BA)) and tr(Mᵀ) = tr(M)"
TRANSPOSE = "transpose of a product ((AB)ᵀ = BᵀAᵀ, Σᵀ = Σ for a symmetric Σ)"
DET_RULES = "determinant of a product, an inverse, a multiple (det(AB) = det A·det B)"
DET_DIAGONAL = "determinant of a diagonal matrix (det diag(v) = ∏_d v_d)"
DIAGONAL = "products of diagonal matrices and vectors entry by entry (uᵀdiag(v)w = Σ_d u_d v_d w_d)"
TRACE_IDENTITY = "tr(I_D) = D"
NORMAL_MOMENTS = ("moments of the multivariate normal (E[x] = μ, E[xxᵀ] = Σ + μμᵀ) and the "
                  "trace trick")

#: the index of the sums the diagonal rules write
INDEX = sp.Dummy("k", integer=True)


def has_matrices(*exprs: sp.Expr) -> bool:
    """Whether any of ``exprs`` holds a vector or matrix symbol."""
    return any(e.has(sp.MatrixSymbol) for e in exprs)


def _symmetric(m: sp.Expr) -> bool:
    if isinstance(m, sp.MatrixSymbol):
        return "symmetric" in matrices.properties_of(m)
    if isinstance(m, sp.Inverse):
        return _symmetric(m.arg)
    if isinstance(m, (DiagMatrix, sp.Identity)):
        return True
    return False


def _positive_definite(m: sp.Expr) -> bool:
    if isinstance(m, sp.MatrixSymbol):
        return "positive definite" in matrices.properties_of(m)
    if isinstance(m, sp.Inverse):
        return _positive_definite(m.arg)
    return False


def _transpose(m: sp.Expr) -> sp.Expr:
    """mᵀ with symmetric factors kept and products reversed."""
    if _symmetric(m):
        return m
    if isinstance(m, sp.Transpose):
        return m.arg
    if isinstance(m, sp.MatMul):
        coeff, factors = m.as_coeff_matrices()
        return coeff * sp.MatMul(*[_transpose(f) for f in reversed(factors)])
    if isinstance(m, sp.Inverse):
        return sp.Inverse(_transpose(m.arg))
    return sp.Transpose(m)


def _clean(m: sp.Expr) -> sp.Expr:
    """Transposes pushed to the symbols, symmetric ones dropped."""
    return m.replace(lambda n: isinstance(n, sp.Transpose), lambda n: _transpose(n.arg))


def _entry(v: sp.Expr, k: sp.Expr) -> sp.Expr | None:
    """Entry k of a vector written as a symbol or an entrywise power, else None."""
    if isinstance(v, sp.MatrixSymbol) and v.shape[1] == 1:
        return matrices.entries_of(v)[k]
    if isinstance(v, sp.HadamardPower):
        inner = _entry(v.base, k)
        return None if inner is None else inner ** v.exp
    return None


def _diagonal_entry(m: sp.Expr, k: sp.Expr) -> sp.Expr | None:
    """Entry (k, k) of a diagonal matrix (diag(v), its inverse, a power, I), else None."""
    if isinstance(m, sp.Identity):
        return sp.S.One
    if isinstance(m, DiagMatrix):
        return _entry(m.args[0], k)
    if isinstance(m, sp.Inverse):
        inner = _diagonal_entry(m.arg, k)
        return None if inner is None else 1 / inner
    if isinstance(m, sp.MatPow) and m.exp.is_Integer:
        inner = _diagonal_entry(m.base, k)
        return None if inner is None else inner ** m.exp
    return None


def _cancel_inverses(factors: list[sp.Expr]) -> list[sp.Expr]:
    """A⁻¹A and AA⁻¹ next to each other (cyclically, inside a trace) dropped."""
    out = list(factors)
    changed = True
    while changed and len(out) >= 2:
        changed = False
        for i in range(len(out)):
            a, b = out[i], out[(i + 1) % len(out)]
            if (isinstance(a, sp.Inverse) and a.arg == b) or (
                    isinstance(b, sp.Inverse) and b.arg == a):
                j = (i + 1) % len(out)
                out = [f for k, f in enumerate(out) if k not in (i, j)]
                changed = True
                break
    return out


def _trace_of_product(factors: list[sp.Expr], dim: sp.Expr, used: set[str]) -> sp.Expr:
    """tr(F₁⋯F_n) as a sum over entries when the product is diagonal (or a vector sandwich
    uᵀ·diagonal·w), else in its canonical rotation."""
    factors = _cancel_inverses([f for f in factors if not isinstance(f, sp.Identity)])
    if not factors:
        used.add(TRACE_IDENTITY)
        return dim
    k = INDEX
    # u^T (diagonals) w, in some rotation
    for r in range(len(factors)):
        rot = factors[r:] + factors[:r]
        head, tail, middle = rot[0], rot[-1], rot[1:-1]
        if len(rot) >= 2 and isinstance(head, sp.Transpose) and head.shape[0] == 1:
            u, w = _entry(head.arg, k), _entry(tail, k)
            ds = [_diagonal_entry(m, k) for m in middle]
            if u is not None and w is not None and all(d is not None for d in ds):
                used.add(DIAGONAL)
                return sp.Sum(sp.Mul(u, *ds, w), (k, 1, head.arg.shape[0]))
    ds = [_diagonal_entry(m, k) for m in factors]
    if all(d is not None for d in ds):
        used.add(DIAGONAL)
        return sp.Sum(sp.Mul(*ds), (k, 1, dim))
    candidates = []
    n = len(factors)
    reverse = [_transpose(f) for f in reversed(factors)]
    for seq in (factors, reverse):
        for r in range(n):
            candidates.append(seq[r:] + seq[:r])
    best = min(candidates, key=lambda seq: tuple(sp.srepr(f) for f in seq))
    if best != factors:
        used.add(CYCLIC)
    return sp.Trace(sp.MatMul(*best)) if len(best) > 1 else sp.Trace(best[0])


def _trace(t: sp.Trace, used: set[str]) -> sp.Expr:
    arg = sp.expand(_clean(t.arg))
    dim = t.arg.shape[0]
    terms = arg.args if isinstance(arg, sp.MatAdd) else (arg,)
    if len(terms) > 1:
        used.add(LINEAR_TRACE)
    out = sp.S.Zero
    for term in terms:
        if isinstance(term, sp.MatMul):
            coeff, factors = term.as_coeff_matrices()
        elif isinstance(term, sp.MatrixExpr):
            coeff, factors = sp.S.One, [term]
        else:  # pragma: no cover - a trace's argument is a matrix
            coeff, factors = term, []
        if coeff != 1:
            used.add(LINEAR_TRACE)
        out += coeff * _trace_of_product(list(factors), dim, used)
    return out


def _determinant(d: sp.Determinant, used: set[str]) -> sp.Expr:
    value = sp.Determinant(_clean(d.arg)).doit()
    for _ in range(4):  # det(A B⁻¹) = det A · det(B⁻¹) = det A / det B
        nxt = value.replace(lambda n: isinstance(n, sp.Determinant), lambda n: n.doit())
        if nxt == value:
            break
        value = nxt
    if value != d:
        used.add(DET_RULES)

    def diagonal(node: sp.Determinant) -> sp.Expr:
        entry = _diagonal_entry(node.arg, INDEX)
        if entry is None:
            return node
        used.add(DET_DIAGONAL)
        return sp.Product(entry, (INDEX, 1, node.arg.shape[0]))

    return value.replace(lambda n: isinstance(n, sp.Determinant), diagonal)


def _log_of_products(e: sp.Expr) -> sp.Expr:
    """log ∏_k a_k = Σ_k log a_k for positive a_k."""
    def split(node: sp.log) -> sp.Expr:
        arg = node.args[0]
        if isinstance(arg, sp.Product) and arg.function.is_positive:
            return sp.Sum(sp.log(arg.function), *arg.limits)
        return node

    return e.replace(lambda n: isinstance(n, sp.log), split)


def _expected_trace(t: sp.Trace, x: sp.MatrixSymbol, mean: sp.Expr,
                    cov: sp.Expr) -> sp.Expr | None:
    """E[tr(F₁⋯F_n)] over x ~ N(mean, cov): x → mean where it appears once, an adjacent
    x xᵀ (in some rotation) → cov + mean meanᵀ where twice; None for higher powers."""
    arg = sp.expand(_clean(t.arg))
    terms = arg.args if isinstance(arg, sp.MatAdd) else (arg,)
    out = sp.S.Zero
    xt = sp.Transpose(x)
    for term in terms:
        coeff, factors = term.as_coeff_matrices() if isinstance(term, sp.MatMul) else (
            sp.S.One, [term])
        factors = list(factors)
        where = [i for i, f in enumerate(factors) if f.has(x)]
        if any(f not in (x, xt) for f in (factors[i] for i in where)):
            return None
        if len(where) == 1:
            factors = [f.xreplace({x: mean}) for f in factors]
        elif len(where) == 2:
            n = len(factors)
            for r in range(n):
                rot = factors[r:] + factors[:r]
                k = next((i for i in range(n - 1) if rot[i] == x and rot[i + 1] == xt), None)
                if k is not None:
                    factors = [*rot[:k], cov + mean * mean.T, *rot[k + 2:]]
                    break
            else:
                return None
        elif len(where) > 2:
            return None
        out += coeff * sp.Trace(sp.MatMul(*factors) if len(factors) > 1 else factors[0])
    return out


def _expected_matrix(body: sp.Expr, x: sp.MatrixSymbol, mean: sp.Expr,
                     cov: sp.Expr) -> sp.Expr | None:
    """E[body] of a matrix-valued body over x ~ N(mean, cov), term by term: x → mean where
    it appears once, an adjacent x xᵀ → cov + mean meanᵀ where twice (E[εεᵀ] = I for
    ε ~ N(0, I)); None for anything else."""
    arg = sp.expand(_clean(body))
    terms = arg.args if isinstance(arg, sp.MatAdd) else (arg,)
    xt = sp.Transpose(x)
    out = []
    for term in terms:
        coeff, factors = term.as_coeff_matrices() if isinstance(term, sp.MatMul) else (
            sp.S.One, [term])
        factors = list(factors)
        where = [i for i, f in enumerate(factors) if f.has(x)]
        if coeff.has(x) or any(factors[i] not in (x, xt) for i in where):
            return None
        if len(where) == 1:
            factors = [f.xreplace({x: mean}) for f in factors]
        elif len(where) == 2 and where[1] == where[0] + 1 and factors[where[0]] == x \
                and factors[where[1]] == xt:
            k = where[0]
            factors = [*factors[:k], cov + mean * mean.T, *factors[k + 2:]]
        elif where:
            return None
        out.append(coeff * (sp.MatMul(*factors) if len(factors) > 1 else factors[0]))
    return sp.MatAdd(*out) if len(out) > 1 else out[0]


def _log_density_written(node: sp.Expr, x: sp.MatrixSymbol, density: sp.Expr,
                         mean: sp.Expr, cov: sp.Expr) -> sp.Expr:
    """The expectation ``node`` over x with each log of ``density``, a declared N(mean, cov)
    of x, in the integrand written out: −(D/2) log 2π − ½ log det Σ − ½ tr((x − μ)ᵀΣ⁻¹(x − μ))
    (the differential entropy −E[log q], Theodoridis 2020, sec. 2.5; Bishop 2006, eq. (2.43)).
    """
    target = sp.log(density)
    if not node.args[0].has(target):
        return node
    dim = x.shape[0]
    centred = sp.MatAdd(x, -mean) if mean != sp.ZeroMatrix(*x.shape) else x
    quadratic = sp.Trace(sp.MatMul(sp.Transpose(centred), sp.Inverse(cov), centred))
    written = (-dim * sp.log(2 * sp.pi) / 2 - sp.log(sp.Determinant(cov)) / 2
               - quadratic / 2)
    return node.func(node.args[0].xreplace({target: written}), *node.args[1:])


def _scalar_pair(factors: list[sp.Expr]) -> tuple[sp.Expr, list[sp.Trace]] | None:
    """Two traces of 1×1 products multiplied (tr(A)·tr(B), or tr(A)²: a scalar such as
    (y − wᵀx)² expanded), as what to replace (their product) and the one traces they equal:
    tr(A Bᵀ) and tr(A B), numbers commuting and each its own transpose. None otherwise.

    >>> w, x = sp.MatrixSymbol("w", 3, 1), sp.MatrixSymbol("x", 3, 1)
    >>> t = sp.Trace(sp.MatMul(sp.Transpose(w), x))
    >>> _scalar_pair([t**2])[1][0]
    Trace(w.T*x*x.T*w)
    """
    if len(factors) == 1 and isinstance(factors[0], sp.Pow) and factors[0].exp == 2:
        whole = factors[0]
        a = b = whole.base
    elif len(factors) == 2:
        whole = factors[0] * factors[1]
        a, b = factors
    else:
        return None
    if not (isinstance(a, sp.Trace) and isinstance(b, sp.Trace)
            and a.arg.shape == (1, 1) and b.arg.shape == (1, 1)):
        return None
    return whole, [sp.Trace(sp.MatMul(a.arg, sp.Transpose(b.arg)).doit()),
                   sp.Trace(sp.MatMul(a.arg, b.arg).doit())]


def evaluate_expectations(expr: sp.Expr, families: dict) -> tuple[sp.Expr, bool]:
    """Each expectation over a vector x ~ N(μ, Σ) (a declared multivariate normal) of an
    expression at most quadratic in x, by E[x] = μ and E[xxᵀ] = Σ + μμᵀ and linearity (the
    trace trick: E[(x − μ)ᵀA(x − μ)] = tr(AΣ)); and whether any was."""
    done = False

    def one(node: sp.Expr) -> sp.Expr:
        nonlocal done
        x = node.args[1]
        info = families.get(node.args[2])
        if not isinstance(x, sp.MatrixSymbol) or info is None or info[0] != "normal":
            return node
        mean, cov = info[1]
        for density, other in families.items():  # log q(x), log p(x) of x written out
            if other[0] == "normal" and getattr(density, "args", ()) == (x,) and len(
                    other[1]) == 2:
                node = _log_density_written(node, x, density, *other[1])
        if matrices.is_matrix(node.args[0]):  # E[x xᵀ], a matrix: its moments
            value = _expected_matrix(node.args[0], x, mean, cov)
            if value is None:
                return node
            done = True
            return value
        body = sp.expand(node.args[0])
        out = sp.S.Zero
        for term in sp.Add.make_args(body):
            traces = [f for f in sp.Mul.make_args(term) if f.has(x)]
            if not traces:
                out += term
                continue
            pair = _scalar_pair(traces)
            if pair is not None:  # (aᵀx)(bᵀx): two numbers, one trace of a product
                value = next((v for v in (_expected_trace(t, x, mean, cov) for t in pair[1])
                              if v is not None), None)
                if value is None:
                    return node
                out += term.xreplace({pair[0]: value})
                continue
            if len(traces) != 1 or not isinstance(traces[0], sp.Trace):
                return node
            value = _expected_trace(traces[0], x, mean, cov)
            if value is None:
                return node
            out += term.xreplace({traces[0]: value})
        done = True
        return out

    from elbo_derivation.core.expectation import Expectation

    out = expr.replace(lambda n: isinstance(n, Expectation), one)
    return out, done


def normal_form(expr: sp.Expr) -> tuple[sp.Expr, tuple[str, ...]]:
    """``expr`` with its traces and determinants written by the rules above, and the rules
    that changed it."""
    used: set[str] = set()
    out = expr.replace(lambda n: isinstance(n, sp.Determinant), lambda n: _determinant(n, used))
    out = out.replace(lambda n: isinstance(n, sp.Trace), lambda n: _trace(n, used))
    out = sp.expand_log(_log_of_products(sp.expand_log(out)))
    order = (LINEAR_TRACE, CYCLIC, TRANSPOSE, TRACE_IDENTITY, DET_RULES, DET_DIAGONAL, DIAGONAL)
    return out, tuple(r for r in order if r in used)


def unknowns(*exprs: sp.Expr) -> tuple[list[sp.Expr], dict[sp.Expr, sp.Symbol]]:
    """The sides with each remaining trace a real unknown and each determinant of a positive
    definite matrix a positive one (the same node, the same unknown), and the map used."""
    table: dict[sp.Expr, sp.Symbol] = {}
    for e in exprs:
        for node in sorted(e.atoms(sp.Trace, sp.Determinant), key=sp.srepr):
            if node in table:
                continue
            positive = isinstance(node, sp.Determinant) and _positive_definite(node.arg)
            table[node] = sp.Dummy(f"{type(node).__name__}", positive=True) if positive else (
                sp.Dummy(f"{type(node).__name__}", real=True))
    def rename(node: sp.Expr) -> sp.Expr:  # Σ_d f(d) and Σ_k f(k) are one sum
        if len(node.limits) != 1 or INDEX in node.free_symbols:
            return node
        var, lo, hi = node.limits[0]
        return type(node)(node.function.xreplace({var: INDEX}), (INDEX, lo, hi))

    out = [sp.expand_log(e.xreplace(table)) for e in exprs]
    out = [e.replace(lambda n: isinstance(n, (sp.Sum, sp.Product)), rename) for e in out]
    return out, table


# --- instances ------------------------------------------------------------------------------


def instance_of(symbol: sp.MatrixSymbol, n: int, rng: random.Random) -> sp.ImmutableMatrix:
    """A random integer matrix (or vector) at dimension ``n`` satisfying ``symbol``'s
    declaration: positive definite as LLᵀ (L lower triangular, diagonal 1..3), symmetric as
    M + Mᵀ + 4n·I, otherwise diagonally dominant; a vector's entries in −3..3 (1..3 where
    declared positive)."""
    rows, cols = (int(sp.S(s).xreplace({d: n for d in sp.S(s).free_symbols}))
                  for s in symbol.shape)
    props = matrices.properties_of(symbol)
    if symbol.shape[1] == 1:  # a vector (a D×D matrix at D = 1 is no vector)
        entries = matrices.entries_of(symbol)
        positive = sp.Indexed(entries, INDEX).is_positive
        lo = 1 if positive else -3
        return sp.ImmutableMatrix([rng.randint(lo, 3) or 1 for _ in range(rows)])
    if "positive definite" in props:
        low = sp.Matrix(rows, rows, lambda i, j: rng.randint(1, 3) if i == j else (
            rng.randint(-2, 2) if i > j else 0))
        return sp.ImmutableMatrix(low * low.T)
    if "symmetric" in props:
        m = sp.Matrix(rows, rows, lambda i, j: rng.randint(-3, 3))
        return sp.ImmutableMatrix(m + m.T + 4 * rows * sp.eye(rows))
    return sp.ImmutableMatrix(rows, cols, lambda i, j: rng.randint(-3, 3) + (
        3 * rows if i == j else 0))


def _evaluate(e: sp.Expr, values: dict[sp.MatrixSymbol, sp.ImmutableMatrix],
              dims: dict[sp.Symbol, int]) -> sp.Expr:
    entries = {}
    for m, value in values.items():
        if value.shape[1] == 1:
            base = matrices.entries_of(m)
            for b in {base, base.xreplace(dims)}:  # its shape (D,) becomes (n,) below
                for i in range(value.shape[0]):
                    entries[b[i + 1]] = value[i]
    out = e.xreplace(values)
    out = out.xreplace({k: sp.Integer(v) for k, v in dims.items()})  # D alone: a number
    # the identity and zero matrices of a declared dimension, now a number: their entries
    out = out.replace(lambda n: isinstance(n, (sp.Identity, sp.ZeroMatrix, sp.OneMatrix))
                      and all(d.is_Integer for d in n.shape),
                      lambda n: sp.ImmutableMatrix(n.as_explicit()))
    out = out.replace(lambda n: isinstance(n, (sp.Sum, sp.Product)), lambda n: n.doit())
    out = out.xreplace(entries)
    out = out.replace(lambda n: isinstance(n, sp.HadamardPower) and isinstance(
        n.base, sp.ImmutableMatrix), lambda n: n.base.applyfunc(lambda x: x ** n.exp))
    out = out.replace(lambda n: isinstance(n, DiagMatrix) and isinstance(
        n.args[0], sp.ImmutableMatrix), lambda n: sp.ImmutableMatrix(sp.diag(*n.args[0])))
    out = out.replace(lambda n: isinstance(n, sp.MatrixExpr) and not isinstance(
        n, sp.ImmutableMatrix), lambda n: n.doit())
    out = out.replace(lambda n: isinstance(n, (sp.Trace, sp.Determinant)), lambda n: n.doit())
    return out.doit()


def instances(lhs: sp.Expr, rhs: sp.Expr, seed: int = 0, sizes: tuple[int, ...] = (1, 2, 3),
              ) -> Iterator[tuple[dict[str, int], str, sp.Expr, sp.Expr]]:
    """The two sides at D = 1, 2, 3 with seeded random matrices and vectors that satisfy
    their declarations: (the dimension, a note naming the values, left, right)."""
    found = lhs.atoms(sp.MatrixSymbol) | rhs.atoms(sp.MatrixSymbol)
    for entry in lhs.atoms(sp.Indexed) | rhs.atoms(sp.Indexed):  # a vector by its entries
        vector = matrices.vector_of(entry.base)
        if vector is not None:
            found.add(vector)
    symbols = ordered(found)
    dims = ordered({s for m in symbols for s in sp.S(m.shape[0]).free_symbols})
    for n in sizes:
        rng = random.Random(1000 * seed + n)
        dim_values = {d: n for d in dims}
        values = {m: instance_of(m, n, rng) for m in symbols}
        shown = ", ".join(f"{plain(m)} = {plain(v)}" for m, v in values.items())
        yield ({str(d): n for d in dims}, shown, _evaluate(lhs, values, dim_values),
               _evaluate(rhs, values, dim_values))
