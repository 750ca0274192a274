r"""Physical dimensions of a Gaussian's roles, for telling apart two repairs of a step.

A mean and a standard deviation carry the unit of their variable, a variance its square and
a precision its inverse square; a sum adds like quantities only, ``exp`` takes a pure number.
A step that writes σ where σ² belongs (``σ + (μ̃ − μ)² − σ²``) can also be "repaired" by
writing σ for the other σ², and the values cannot tell the two apart; the units can: one
repair adds σ to (μ̃ − μ)², a length to a squared length (Bishop, *PRML* (2006), §2.3: the
variance has the units of x²).

The dimensions are found by unification: each Gaussian of :class:`.roles.Roles` has one unit;
every other symbol gets an unknown dimension fixed by the sums and exponentials it stands in.
A repair is *inconsistent* when, together with the previous line it must equal, it forces the
unit of some Gaussian to be no unit at all.

Examples
--------
>>> import sympy as sp
>>> from elbo_derivation.explain.roles import Family, Roles
>>> s, m, a = sp.Symbol("s", positive=True), sp.Symbol("m"), sp.Symbol("a")
>>> r = Roles({s: "standard-deviation", m: "mean"}, [Family(m, s, "standard-deviation")])
>>> consistent((s**2 + (a - m)**2) / s**2, (s + (a - m)**2) / s**2, r)
False
>>> consistent((s**2 + (a - m)**2) / s**2, (s**2 + (a - m)**2) / s**2, r)
True
"""

from __future__ import annotations

from typing import Any

import sympy as sp
from sympy.core.function import AppliedUndef

from elbo_derivation.core.expectation import Expectation

__all__ = ["consistent"]

Path = tuple[int, ...]

#: the dimension of each role, in units of its Gaussian's variable
_ROLE_POWER = {"mean": 1, "standard-deviation": 1, "variance": 2, "precision": -2}


class _Unknown(Exception):
    """An expression whose dimension cannot be read (a matrix, an unfamiliar construct)."""


class _Dims:
    def __init__(self, roles: Any) -> None:
        self.vars: dict[sp.Basic, sp.Symbol] = {}
        self.eqs: list[sp.Expr] = []
        self.units: list[sp.Symbol] = []
        self.fixed: dict[sp.Basic, sp.Expr] = {}
        for k, fam in enumerate(getattr(roles, "families", None) or []):
            u = sp.Symbol(f"_unit{k}")
            self.units.append(u)
            power = _ROLE_POWER.get(fam.kind)
            if power is None:
                continue
            self.equal(self.symbol(fam.param), power * u)
            if fam.mean is not None:
                self.equal(self.of(fam.mean), u)

    def symbol(self, s: sp.Basic) -> sp.Expr:
        if s not in self.vars:
            self.vars[s] = sp.Symbol(f"_dim{len(self.vars)}")
        return self.vars[s]

    def equal(self, a: sp.Expr, b: sp.Expr) -> None:
        if a != b:
            self.eqs.append(a - b)

    def of(self, e: sp.Basic, at: Path | None = None, put: sp.Basic | None = None) -> sp.Expr:
        """The dimension of ``e`` (with ``put`` in place of the node at ``at``)."""
        if at == ():
            e, at = put, None
        if e.is_Number or e in (sp.pi, sp.E):
            return sp.S(0)
        if isinstance(e, sp.Symbol):
            return self.symbol(e)
        if e.is_Matrix or getattr(e, "is_MatrixExpr", False) or isinstance(e, sp.MatrixBase):
            raise _Unknown
        args = e.args

        def sub(i: int) -> sp.Expr:
            if at is not None and at[:1] == (i,):
                return self.of(args[i], at[1:], put)
            return self.of(args[i])
        if isinstance(e, sp.Add):
            dims = [(sub(i), args[i]) for i in range(len(args))]
            first = next((d for d, t in dims if not t.is_Number), dims[0][0])
            for d, t in dims:
                if t.is_Number and t == 0:
                    continue
                self.equal(d, first)
            return first
        if isinstance(e, sp.Mul):
            return sp.Add(*(sub(i) for i in range(len(args))))
        if isinstance(e, sp.Pow):
            if e.exp.is_Number:
                return sub(0) * e.exp
            self.equal(sub(0), 0)
            self.equal(sub(1), 0)
            return sp.S(0)
        if isinstance(e, sp.exp):
            self.equal(sub(0), 0)
            return sp.S(0)
        if isinstance(e, sp.log):
            sub(0)  # a log of a quantity with a unit is a shifted log of a number
            return sp.S(0)
        if isinstance(e, sp.Abs):
            return sub(0)
        if isinstance(e, AppliedUndef):
            return self.symbol(e)
        if type(e) is Expectation:
            d = sub(0)
            for i in range(1, len(args)):
                try:
                    sub(i)
                except _Unknown:
                    pass
            return d
        if isinstance(e, sp.Integral):
            return sub(0) + sp.Add(*(self.symbol(lim[0]) for lim in e.limits))
        if isinstance(e, sp.Sum):
            return sub(0)
        if isinstance(e, sp.Derivative):
            return sub(0) - sp.Add(*(self.symbol(v) * n for v, n in e.variable_count))
        raise _Unknown

    def unit_lost(self) -> bool:
        """Whether the equations force the unit of some Gaussian to zero."""
        if not self.eqs:
            return False
        unknowns = sorted({s for q in self.eqs for s in q.free_symbols}, key=str)
        sol = sp.linsolve(self.eqs, unknowns)
        if not sol:  # inconsistent even with every unit zero: cannot happen for a
            return True  # homogeneous system, kept for safety
        (point,) = tuple(sol)
        values = dict(zip(unknowns, point, strict=True))
        return any(values.get(u, u) == 0 for u in self.units if u in values)


def consistent(before: sp.Basic, after: sp.Basic, roles: Any, at: Path | None = None,
               put: sp.Basic | None = None) -> bool | None:
    """Whether ``after`` (with ``put`` at ``at``) can have the dimension of ``before``, each
    of their sums adding like quantities, with every Gaussian keeping a unit; None when the
    dimensions cannot be read (no Gaussian known, a matrix, an unfamiliar construct).
    """
    dims = _Dims(roles)
    if not dims.units:
        return None
    try:
        d0 = dims.of(before)
        if dims.unit_lost():
            return None  # the previous line itself reads badly: no verdict
        d1 = dims.of(after, at, put)
        dims.equal(d0, d1)
        return not dims.unit_lost()
    except (_Unknown, Exception):
        return None
