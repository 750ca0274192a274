"""The expectation operator E_{z ~ q}[f] as an unevaluated SymPy expression.

``Expectation(f, z, q)`` stands for ∫ q · f dz over the whole real line, where ``q`` is a
density in ``z``: either an abstract positive density (an undefined function such as the
notes' q(z|x)) or a concrete expression (a Gaussian density written out). The engine rewrites
expectations by the rules the notes use (linearity, constants, normalisation); the numeric
side evaluates them by quadrature or sampling.

Examples
--------
>>> import sympy as sp
>>> z = sp.Symbol("z", real=True)
>>> q = sp.Function("q", positive=True)(z)
>>> Expectation(z**2, z, q)
E[z**2, z ~ q(z)]
>>> Expectation(z**2, z, q).as_integral()
Integral(z**2*q(z), (z, -oo, oo))

The Kullback-Leibler divergence KL(q ‖ p) = E_{z ~ q}[log(q/p)] is an :class:`Expectation` too,
kept under its own name for display:

>>> p = sp.Function("p", positive=True)(z)
>>> kl = KL(q, p, z)
>>> kl, kl.integrand, isinstance(kl, Expectation)
(KL(q(z), p(z)), log(q(z)/p(z)), True)
"""

from __future__ import annotations

import sympy as sp

__all__ = ["KL", "Expectation", "MatrixExpectation", "indicator_limits"]


def _indicator_bound(factor: sp.Expr, variable: sp.Symbol) -> tuple[str, sp.Expr] | None:
    """``(kind, u)`` when ``factor`` is the indicator 1{variable ≤ u} (kind "le"; also
    "lt", "ge", "gt") of a bound u free of the variable, written as the 0-1 value
    Piecewise((1, relation), (0, True)); None for anything else."""
    if not (isinstance(factor, sp.Piecewise) and len(factor.args) == 2
            and factor.args[0].expr == 1 and factor.args[1].expr == 0
            and factor.args[1].cond is sp.true):
        return None
    cond = factor.args[0].cond
    flips = {"le": "ge", "lt": "gt", "ge": "le", "gt": "lt"}
    kind = {sp.LessThan: "le", sp.StrictLessThan: "lt", sp.GreaterThan: "ge",
            sp.StrictGreaterThan: "gt"}.get(type(cond))
    if kind is None:
        return None
    if cond.lhs == variable and not cond.rhs.has(variable):
        return kind, cond.rhs
    if cond.rhs == variable and not cond.lhs.has(variable):
        return flips[kind], cond.lhs
    return None


def indicator_limits(body: sp.Expr, variable: sp.Symbol, lower: sp.Expr, upper: sp.Expr,
                     discrete: bool) -> tuple[sp.Expr, sp.Expr, sp.Expr]:
    """The sum or integral of ``body`` over ``variable`` from ``lower`` to ``upper`` with
    each factor that is an indicator of a bound on the variable (1{x ≤ u}, 1{x > a}) taken
    into the limits: ∫ 1{x ≤ u} f(x) dx over (lo, hi) is ∫ f over (lo, max(lo, min(hi, u)));
    over integers, Σ_k 1{k ≤ u} f(k) runs to ⌊u⌋ and 1{k < u} to ⌈u⌉ − 1 (an upper end
    below the lower one leaves no term). Returns (body, lower, upper), unchanged where no
    factor is such an indicator.

    >>> x, u = sp.Symbol("x", real=True), sp.Symbol("u", positive=True)
    >>> f = sp.Piecewise((1, x <= u), (0, True)) * sp.exp(-x)
    >>> indicator_limits(f, x, 0, sp.oo, False)
    (exp(-x), 0, u)
    """
    lo, hi = lower, upper
    rest: list[sp.Expr] = []
    changed = False
    for factor in sp.Mul.make_args(body):
        bound = _indicator_bound(factor, variable)
        if bound is None:
            rest.append(factor)
            continue
        changed = True
        kind, u = bound
        if discrete:
            end = {"le": sp.floor(u), "lt": sp.ceiling(u) - 1, "ge": sp.ceiling(u),
                   "gt": sp.floor(u) + 1}[kind]
        else:
            end = u
        if kind in ("le", "lt"):
            hi = sp.Min(hi, end)
        else:
            lo = sp.Max(lo, end)
    if not changed:
        return body, lower, upper
    hi = sp.Max(lo - 1, hi) if discrete else sp.Max(lo, hi)
    return sp.Mul(*rest), lo, hi


class Expectation(sp.Expr):
    """E_{variable ~ density}[integrand], unevaluated.

    Parameters
    ----------
    integrand : sympy.Expr
        the function of ``variable`` whose mean is taken.
    variable : sympy.Symbol
        the integration variable (bound: it does not appear free in the result).
    density : sympy.Expr
        the density of ``variable``, positive and normalised.
    """

    is_commutative = True

    def __new__(cls, integrand: sp.Expr, variable: sp.Symbol, density: sp.Expr) -> Expectation:
        if not isinstance(variable, (sp.Symbol, sp.MatrixSymbol)):  # a vector x ~ N(μ, Σ) too
            raise TypeError(f"variable must be a SymPy Symbol, got {variable!r}")
        if cls is Expectation and isinstance(integrand, sp.MatrixExpr) and (
                integrand.shape != (1, 1)):
            cls = MatrixExpectation  # E[x − μ] beside a matrix: shaped as its integrand
        return sp.Expr.__new__(cls, sp.S(integrand), variable, sp.S(density))

    @property
    def integrand(self) -> sp.Expr:
        return self.args[0]

    @property
    def variable(self) -> sp.Symbol:
        return self.args[1]

    @property
    def density(self) -> sp.Expr:
        return self.args[2]

    @property
    def free_symbols(self) -> set[sp.Basic]:
        inner = self.integrand.free_symbols | self.density.free_symbols
        return inner - {self.variable}

    def as_integral(self) -> sp.Integral:
        """The expectation written as ∫ density · integrand d(variable) over ℝ; an
        indicator of a bound on the variable (1{z ≤ u}) becomes a limit of the integral
        (:func:`indicator_limits`)."""
        body, lo, hi = indicator_limits(self.integrand * self.density, self.variable,
                                        -sp.oo, sp.oo, False)
        return sp.Integral(body, (self.variable, lo, hi))

    def _eval_is_real(self) -> bool | None:
        return self.integrand.is_real

    def _sympystr(self, printer: sp.printing.str.StrPrinter) -> str:
        f, z, q = (printer._print(a) for a in self.args)
        return f"E[{f}, {z} ~ {q}]"

    def _latex(self, printer: sp.printing.latex.LatexPrinter) -> str:
        f, q = printer._print(self.integrand), printer._print(self.density)
        return rf"\mathbb{{E}}_{{{q}}}\left[{f}\right]"


class MatrixExpectation(Expectation, sp.MatrixExpr):
    """E[f] of a vector or matrix f (E[x], E[x − μ], E[xxᵀ]): an :class:`Expectation` with the
    shape of its integrand, so that (m − c)ᵀA·E[x − m] is a 1×1 product (Petersen & Pedersen,
    *The Matrix Cookbook*, eq. (380)). :class:`Expectation` makes it for such an integrand.

    >>> D = sp.Symbol("D", integer=True, positive=True)
    >>> x = sp.MatrixSymbol("x", D, 1)
    >>> q = sp.Function("q", positive=True)(x)
    >>> e = Expectation(x, x, q)
    >>> type(e).__name__, e.shape, (sp.Transpose(x) * e).shape
    ('MatrixExpectation', (D, 1), (1, 1))
    """

    is_commutative = False

    @property
    def shape(self) -> tuple[sp.Expr, sp.Expr]:
        return self.integrand.shape


class KL(Expectation):
    """KL(q ‖ p) = E_{variable ~ q}[log(q / p)], the Kullback-Leibler divergence, unevaluated.

    An :class:`Expectation` whose integrand is log(q/p) and whose density is q, so that every
    tool that evaluates expectations (Gaussian moments, quadrature, sampling) evaluates it too;
    it only prints differently. Its arguments are ``(q, p, variable)``.

    Parameters
    ----------
    q : sympy.Expr
        the density the expectation is taken over (the first argument of KL).
    p : sympy.Expr
        the other density.
    variable : sympy.Symbol
        the variable both are densities of (bound).

    Examples
    --------
    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> q, p = sp.Function("q", positive=True)(x), sp.Function("p", positive=True)(x)
    >>> KL(q, p, x).as_expectation()
    E[log(q(x)/p(x)), x ~ q(x)]

    References
    ----------
    Kullback & Leibler (1951), "On information and sufficiency"; notes §2 and §3.
    """

    def __new__(cls, q: sp.Expr, p: sp.Expr, variable: sp.Symbol) -> KL:  # type: ignore[override]
        if not isinstance(variable, sp.Symbol):
            raise TypeError(f"variable must be a SymPy Symbol, got {variable!r}")
        return sp.Expr.__new__(cls, sp.S(q), sp.S(p), variable)

    @property
    def q(self) -> sp.Expr:
        """The density the expectation is taken over."""
        return self.args[0]

    @property
    def p(self) -> sp.Expr:
        """The reference density (the second argument)."""
        return self.args[1]

    @property
    def integrand(self) -> sp.Expr:
        return sp.log(self.q / self.p)

    @property
    def variable(self) -> sp.Symbol:
        return self.args[2]

    @property
    def density(self) -> sp.Expr:
        return self.q

    def as_expectation(self) -> Expectation:
        """The definition: E_{variable ~ q}[log(q / p)]."""
        return Expectation(self.integrand, self.variable, self.q)

    def as_integral(self) -> sp.Integral:
        """∫ q · (log q − log p) d(variable) over ℝ.

        The log of the quotient is written as a difference of log-densities (sound: both
        densities are positive), which is the stable way to evaluate it, and for written-out
        densities it skips building q/p only to take it apart again. The two logarithms are
        left unevaluated: for a written-out density SymPy's automatic simplification of
        log(q) finds nothing to do, slowly, and the numeric preparation splits them itself.
        """
        integrand = sp.log(self.q, evaluate=False) - sp.log(self.p, evaluate=False)
        return sp.Integral(self.q * integrand, (self.variable, -sp.oo, sp.oo))

    def _eval_is_real(self) -> bool | None:
        return True if self.q.is_positive and self.p.is_positive else None

    def _sympystr(self, printer: sp.printing.str.StrPrinter) -> str:
        return f"KL({printer._print(self.q)}, {printer._print(self.p)})"

    def _latex(self, printer: sp.printing.latex.LatexPrinter) -> str:
        q, p = printer._print(self.q), printer._print(self.p)
        return rf"\operatorname{{KL}}\left({q} \,\middle\|\, {p}\right)"
