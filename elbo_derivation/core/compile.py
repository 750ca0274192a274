r"""One compile step from SymPy to numbers, for every numeric part of the checker.

Probing a step at 50 digits, the quadrature and sampling checks, and the numeric comparisons
that name a mistake all need the value of a SymPy expression at many points. They differ only
in *policy*, and each policy is a parameter here:

``backend``
    ``"float64"``: NumPy arithmetic, vectorised over arrays of points; ``"mpmath"``: one point
    at a time at mpmath's working precision (``mpmath.workdps(50)`` around the call), with
    sums added exactly (``mpmath.fsum``) and constants (π, e, rationals) made at the
    precision of the call, so one compiled function serves every precision.
``nonfinite``
    ``"nan"``: a value that is not a finite real number is returned as it is (NaN or ±∞;
    NumPy's warnings silenced) for the caller to mask; ``"raise"``: :class:`NotEvaluable`
    is raised instead: a non-finite or non-real result, ``log 0``, ``0`` to a negative power.
``domain``
    ``"principal"``: a logarithm, square root or fractional power of a negative number is
    its principal complex value, and only the result must be real (``sqrt(x)**2`` is ``x``
    for every real ``x``); ``"real"``: such a value is refused where it arises (NaN, or
    :class:`NotEvaluable` under ``nonfinite="raise"``).
``split_log_exp``
    log(c·exp(u)) is computed as log c + u, so the logarithm of a density written out does
    not underflow where the density does.
``max_exponent``
    a power whose exponent exceeds this in size is refused (a screen's guard against
    numbers too large to be meaningful).

Nodes this module does not know (integrals, expectations, abstract functions) are compiled by
an ``extension``: a callable ``extension(node, builder)`` that returns a function of the
argument vector, or ``None``; ``builder.symbols`` are the symbols the vector holds values of,
``builder.sub(expr, extra_symbols)`` compiles a sub-expression over them followed by
``extra_symbols`` (an integral's variable), ``builder.policy`` is the policy.

The compiled function is a tree of closures built from the expression: nothing is printed,
nothing is evaluated as code. Compiled functions are cached by the expression, the symbols,
the policy and the extension (:func:`compile_expr`); subexpressions shared between
expressions compiled over the same symbols share their closures.

Examples
--------
>>> import sympy as sp, mpmath
>>> x = sp.Symbol("x", real=True)
>>> f = compile_expr(sp.exp(x) + sp.pi, [x], backend="mpmath", nonfinite="raise")
>>> with mpmath.workdps(30):
...     print(f(mpmath.mpf(1)))
5.85987448204883847382293085463
>>> import numpy as np
>>> g = compile_expr(sp.log(x), [x])
>>> g(np.array([1.0, 0.0, -1.0]))
array([  0., -inf,  nan])
>>> compile_expr(sp.log(x), [x], backend="mpmath", nonfinite="raise")(mpmath.mpf(0))
Traceback (most recent call last):
...
elbo_derivation.core.compile.NotEvaluable: log(0)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import mpmath
import sympy as sp

__all__ = [
    "CACHE_SIZE",
    "Compiled",
    "NotEvaluable",
    "Policy",
    "compile_expr",
    "real_value",
]

#: Compiled expressions kept (the cache is emptied when it grows past this).
CACHE_SIZE = 8192

#: A compiled function of the argument vector (the values of the symbols, in order).
Compiled = Callable[[Sequence[Any]], Any]


class NotEvaluable(ValueError):
    """The expression has no finite real value at this point (or cannot be evaluated)."""


@dataclass(frozen=True)
class Policy:
    """How an expression becomes numbers: see the module docstring for each field."""

    backend: str = "float64"
    nonfinite: str = "nan"
    domain: str = "principal"
    split_log_exp: bool = False
    max_exponent: float | None = None

    def __post_init__(self) -> None:
        if self.backend not in ("float64", "mpmath"):
            raise ValueError(f"backend must be 'float64' or 'mpmath', got {self.backend!r}")
        if self.nonfinite not in ("nan", "raise"):
            raise ValueError(f"nonfinite must be 'nan' or 'raise', got {self.nonfinite!r}")
        if self.domain not in ("principal", "real"):
            raise ValueError(f"domain must be 'principal' or 'real', got {self.domain!r}")

    @property
    def strict(self) -> bool:
        return self.nonfinite == "raise"

    @property
    def mp(self) -> bool:
        return self.backend == "mpmath"


_CACHE: dict[Hashable, Compiled] = {}


def compile_expr(
    expr: Any,
    symbols: Sequence[sp.Symbol],
    *,
    backend: str = "float64",
    nonfinite: str = "nan",
    domain: str = "principal",
    split_log_exp: bool = False,
    max_exponent: float | None = None,
    extension: Callable[..., Compiled | None] | None = None,
) -> Callable[..., Any]:
    """A numeric function of ``symbols`` computing ``expr`` (or a tuple of expressions).

    Parameters
    ----------
    expr : sympy.Expr or tuple of sympy.Expr
        what to compute; a tuple gives a function returning a tuple.
    symbols : sequence of sympy.Symbol
        the arguments, in order; a free symbol of ``expr`` not among them makes the function
        raise :class:`NotEvaluable` when called (it has no value).
    backend, nonfinite, domain, split_log_exp, max_exponent
        the policy (module docstring).
    extension : callable, optional
        compiles the nodes this module does not know (must be hashable: it is part of the
        cache's key).

    Returns
    -------
    callable
        ``f(*values)``: floats or NumPy arrays (``"float64"``), mpmath numbers (``"mpmath"``).

    Raises
    ------
    NotEvaluable
        (when compiling) for a node that neither this module nor the extension knows.

    Examples
    --------
    >>> import sympy as sp, numpy as np
    >>> x, s = sp.Symbol("x", real=True), sp.Symbol("s", positive=True)
    >>> f = compile_expr((x**2, sp.sqrt(s)), [x, s])
    >>> squares, root = f(np.array([1.0, 2.0]), 4.0)
    >>> squares, float(root)
    (array([1., 4.]), 2.0)
    >>> compile_expr(x, [s], nonfinite="raise")(1.0)
    Traceback (most recent call last):
    ...
    elbo_derivation.core.compile.NotEvaluable: no value for x
    """
    policy = Policy(backend, nonfinite, domain, split_log_exp, max_exponent)
    symbols = tuple(symbols)
    if isinstance(expr, tuple):
        parts = [_top(sp.S(e), symbols, policy, extension) for e in expr]
        return lambda *v: tuple(f(v) for f in parts)
    f = _top(sp.S(expr), symbols, policy, extension)
    return lambda *v: f(v)


def real_value(value: Any) -> Any:
    """``value`` as a real number: an mpmath complex number with a negligible imaginary part
    loses it; one off the real line raises :class:`NotEvaluable`.

    >>> import mpmath
    >>> real_value(mpmath.mpc(2, 0))
    mpf('2.0')
    """
    if isinstance(value, mpmath.mpc):
        if abs(value.imag) > mpmath.mpf(10) ** (-mpmath.mp.dps + 5) * max(1, abs(value.real)):
            raise NotEvaluable("a value off the real line")
        return value.real
    return value


def _top(expr: sp.Basic, symbols: tuple, policy: Policy, extension: Any) -> Compiled:
    """The compiled expression with the policy's check of the result, cached."""
    key = ("top", expr, symbols, policy, extension)
    f = _CACHE.get(key)
    if f is not None:
        return f
    inner = _Builder(symbols, policy, extension).build(expr)
    if not policy.strict and policy.mp:
        f = inner
    elif not policy.strict:
        import numpy as np

        def f(v: Sequence[Any], inner: Compiled = inner) -> Any:
            with np.errstate(all="ignore"):
                return inner(v)
    elif policy.mp:
        def f(v: Sequence[Any], inner: Compiled = inner) -> Any:
            out = real_value(inner(v))
            if not mpmath.isfinite(out):
                raise NotEvaluable("not a finite number")
            return out
    else:
        import numpy as np

        def f(v: Sequence[Any], inner: Compiled = inner) -> Any:
            with np.errstate(all="ignore"):
                out = inner(v)
            if np.iscomplexobj(out) or not np.all(np.isfinite(out)):
                raise NotEvaluable("not a finite real number")
            return out
    _store(key, f)
    return f


def _store(key: Hashable, f: Compiled) -> None:
    if len(_CACHE) > CACHE_SIZE:
        _CACHE.clear()
    _CACHE[key] = f


class _Builder:
    """Builds the closures of one policy over one tuple of symbols."""

    def __init__(self, symbols: tuple, policy: Policy, extension: Any) -> None:
        self.symbols = symbols
        self.index = {s: i for i, s in enumerate(symbols)}
        self.policy = policy
        self.extension = extension
        if policy.mp:
            self.funcs = _mp_functions()
        else:
            self.funcs = _np_functions()

    def sub(self, expr: sp.Basic, extra: Sequence[sp.Symbol] = ()) -> Compiled:
        """``expr`` compiled over the symbols followed by ``extra`` (for an extension)."""
        if not extra:
            return self.build(expr)
        return _Builder((*self.symbols, *extra), self.policy, self.extension).build(expr)

    def build(self, e: sp.Basic) -> Compiled:
        key = (e, self.symbols, self.policy, self.extension)
        f = _CACHE.get(key)
        if f is None:
            f = self._build(e)
            _store(key, f)
        return f

    def fail(self, message: str) -> Any:
        if self.policy.strict:
            raise NotEvaluable(message)
        return math.nan if not self.policy.mp else mpmath.nan

    # --- nodes ------------------------------------------------------------------------------
    def _build(self, e: sp.Basic) -> Compiled:
        mp = self.policy.mp
        if e in self.index:
            i = self.index[e]
            return lambda v: v[i]
        if e.is_Symbol:
            name = str(e)

            def unknown(v: Sequence[Any]) -> Any:
                raise NotEvaluable(f"no value for {name}")
            return unknown
        if e.is_Number or e.is_NumberSymbol or e in (sp.oo, -sp.oo):
            return self._number(e)
        if e.is_Add:
            parts = [self.build(a) for a in e.args]
            if mp:
                return lambda v: mpmath.fsum(p(v) for p in parts)

            def add(v: Sequence[Any]) -> Any:
                acc = parts[0](v)
                for p in parts[1:]:
                    acc = acc + p(v)
                return acc
            return add
        if e.is_Mul:
            parts = [self.build(a) for a in e.args]

            def mul(v: Sequence[Any]) -> Any:
                acc = parts[0](v)
                for p in parts[1:]:
                    acc = acc * p(v)
                return acc
            return mul
        if e.is_Pow:
            return self._power(e)
        if isinstance(e, sp.log):
            return self._log(e)
        if isinstance(e, sp.polygamma) and e.args[0].is_Integer and e.args[0] >= 0:
            n, arg = int(e.args[0]), self.build(e.args[1])  # ψ⁽ⁿ⁾, the digamma ψ for n = 0
            if self.policy.mp:
                return lambda v: mpmath.polygamma(n, arg(v))
            from scipy.special import polygamma
            return lambda v: polygamma(n, arg(v))
        if isinstance(e, sp.binomial):  # C(n, k) = Γ(n + 1)/(Γ(k + 1)Γ(n − k + 1))
            top, bottom = self.build(e.args[0]), self.build(e.args[1])
            if self.policy.mp:
                return lambda v: mpmath.binomial(top(v), bottom(v))
            from scipy.special import binom
            return lambda v: binom(top(v), bottom(v))
        func = self.funcs.get(e.func)
        if func is not None and len(e.args) == 1:
            arg = self.build(e.args[0])
            return lambda v: func(arg(v))
        if self.extension is not None:
            f = self.extension(e, self)
            if f is not None:
                return f
        raise NotEvaluable(f"cannot evaluate {e.func.__name__} numerically")

    def _number(self, e: sp.Basic) -> Compiled:
        if self.policy.mp:
            if e.is_Integer:
                n = int(e)
                return lambda v: mpmath.mpf(n)
            if e.is_Rational:
                p, q = int(e.p), int(e.q)
                return lambda v: mpmath.mpf(p) / q
            if e.is_Float:
                c = mpmath.mpf(e._mpf_)
                return lambda v: c
            if e is sp.pi:
                return lambda v: +mpmath.pi
            if e is sp.E:
                return lambda v: +mpmath.e
            if e is sp.oo:
                return lambda v: mpmath.inf
            if e is -sp.oo:
                return lambda v: -mpmath.inf
            if e.is_NumberSymbol:
                return lambda v: mpmath.mpmathify(e.evalf(mpmath.mp.dps + 5))
            raise NotEvaluable(f"cannot evaluate the number {e}")
        try:
            if e.is_Rational:
                c = int(e.p) / int(e.q)
            else:
                c = float(e)
        except OverflowError:
            c = math.inf if e.is_positive else -math.inf
        except TypeError:
            raise NotEvaluable(f"cannot evaluate the number {e}") from None
        return lambda v: c

    def _power(self, e: sp.Pow) -> Compiled:
        mp, strict, real = self.policy.mp, self.policy.strict, self.policy.domain == "real"
        base, ex = self.build(e.base), e.exp
        limit = self.policy.max_exponent
        if ex is sp.S.Half or ex == -sp.S.Half:
            sqrt = self._sqrt()
            if ex is sp.S.Half:
                return lambda v: sqrt(base(v))
            if strict:
                def inverse_root(v: Sequence[Any]) -> Any:
                    r = sqrt(base(v))
                    if r == 0:
                        raise NotEvaluable("division by zero")
                    return 1 / r
                return inverse_root
            return lambda v: 1 / sqrt(base(v))
        if ex.is_Integer and (limit is None or abs(int(ex)) <= limit):
            k = int(ex)
            if k < 0 and strict:
                def reciprocal(v: Sequence[Any]) -> Any:
                    b = base(v)
                    if _any(b == 0):
                        raise NotEvaluable("division by zero")
                    return b ** k
                return reciprocal
            return lambda v: base(v) ** k
        power = self.build(ex)
        if mp:
            def mp_power(v: Sequence[Any]) -> Any:
                b, p = base(v), power(v)
                if limit is not None and abs(p) > limit:
                    return self.fail("huge exponent")
                if b == 0 and mpmath.re(p) < 0:
                    return self.fail("division by zero")
                if real and b < 0 and not mpmath.isint(p):
                    return self.fail("off the real line")
                return mpmath.power(b, p)
            return mp_power
        import numpy as np

        def np_power(v: Sequence[Any]) -> Any:
            b, p = base(v), power(v)
            if limit is not None and _any(np.abs(p) > limit):
                return self.fail("huge exponent")
            if strict and _any(b == 0) and _any(p < 0):
                raise NotEvaluable("division by zero")
            with np.errstate(all="ignore"):
                return np.power(b, p)
        return np_power

    def _sqrt(self) -> Callable[[Any], Any]:
        if self.policy.mp:
            if self.policy.domain == "real":
                def real_sqrt(b: Any) -> Any:
                    if b < 0:
                        return self.fail("off the real line")
                    return mpmath.sqrt(b)
                return real_sqrt
            return mpmath.sqrt
        import numpy as np

        if self.policy.domain == "real" and self.policy.strict:
            def checked_sqrt(b: Any) -> Any:
                if _any(b < 0):
                    raise NotEvaluable("off the real line")
                return np.sqrt(b)
            return checked_sqrt
        return np.sqrt

    def _log(self, e: sp.log) -> Compiled:
        mp, strict, real = self.policy.mp, self.policy.strict, self.policy.domain == "real"
        arg = e.args[0]
        if self.policy.split_log_exp and arg.is_Mul and arg.has(sp.exp):
            # log(c·exp(u)) = log c + u: the log of a density written out, without underflow
            parts = []
            for factor in arg.args:
                if isinstance(factor, sp.exp):
                    parts.append(self.build(factor.args[0]))
                else:
                    parts.append(self._checked_log(self.build(factor), positive=True))
            if mp:
                return lambda v: mpmath.fsum(p(v) for p in parts)
            return lambda v: sum(p(v) for p in parts)
        inner = self.build(arg)
        if mp:
            def mp_log(v: Sequence[Any]) -> Any:
                x = inner(v)
                if x == 0:
                    return self.fail("log(0)") if strict else -mpmath.inf
                if real and x < 0:
                    return self.fail("off the real line")
                return mpmath.log(x)
            return mp_log
        return self._checked_log(inner, positive=False) if (strict and real) else self._np_log(
            inner)

    def _np_log(self, inner: Compiled) -> Compiled:
        import numpy as np

        return lambda v: np.log(inner(v))

    def _checked_log(self, inner: Compiled, *, positive: bool) -> Compiled:
        """log of a factor that must be positive (``positive``) or nonnegative."""
        if self.policy.mp:
            def mp_log(v: Sequence[Any]) -> Any:
                x = inner(v)
                if x < 0 or (positive and x == 0):
                    return self.fail("log of a nonpositive factor")
                if x == 0:
                    return self.fail("log(0)") if self.policy.strict else -mpmath.inf
                return mpmath.log(x)
            return mp_log
        import numpy as np

        def np_log(v: Sequence[Any]) -> Any:
            x = inner(v)
            if self.policy.strict and _any(np.asarray(x) < 0 if not positive
                                           else np.asarray(x) <= 0):
                raise NotEvaluable("off the real line" if not positive
                                   else "log of a nonpositive factor")
            return np.log(x)
        return np_log


def _any(x: Any) -> bool:
    try:
        return bool(x)
    except ValueError:  # an array
        return bool(x.any())


def _mp_functions() -> dict[Any, Callable[[Any], Any]]:
    return _MP


_MP: dict[Any, Callable[[Any], Any]] = {
    sp.exp: mpmath.exp, sp.sin: mpmath.sin, sp.cos: mpmath.cos, sp.tan: mpmath.tan,
    sp.sinh: mpmath.sinh, sp.cosh: mpmath.cosh, sp.tanh: mpmath.tanh, sp.coth: mpmath.coth,
    sp.atan: mpmath.atan, sp.asin: mpmath.asin, sp.acos: mpmath.acos,
    sp.Abs: mpmath.fabs, sp.gamma: mpmath.gamma, sp.loggamma: mpmath.loggamma,
    sp.erf: mpmath.erf, sp.erfc: mpmath.erfc, sp.factorial: mpmath.factorial,
    sp.floor: mpmath.floor, sp.ceiling: mpmath.ceil,
}


_NP: dict[Any, Callable[[Any], Any]] = {}


def _np_functions() -> dict[Any, Callable[[Any], Any]]:
    if not _NP:
        import numpy as np

        _NP.update({
            sp.exp: np.exp, sp.sin: np.sin, sp.cos: np.cos, sp.tan: np.tan,
            sp.sinh: np.sinh, sp.cosh: np.cosh, sp.tanh: np.tanh, sp.atan: np.arctan,
            sp.coth: lambda v: 1 / np.tanh(v),
            sp.asin: np.arcsin, sp.acos: np.arccos, sp.Abs: np.abs,
            sp.floor: np.floor, sp.ceiling: np.ceil,
        })
    return _NP
