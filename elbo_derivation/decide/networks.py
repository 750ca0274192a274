"""The exact moments of a network instance (:mod:`elbo_derivation.core.networks`).

The networks themselves live in the core layer, because the numeric checks instance a model
with them too; this module re-exports them for the symbolic tiers and adds
:func:`moments_at_point`, which needs the normal's moments of
:mod:`elbo_derivation.decide.gaussian`.

Examples
--------
>>> import sympy as sp
>>> net = Network.from_shapes([(("x",), ("y",)), (("y",), ())],
...                           lambda n, **kw: sp.Symbol(n, **kw))
>>> [f.variable for f in net.factors if f.parents]
['x']
"""

from __future__ import annotations

import sympy as sp

from elbo_derivation.core.networks import AmbiguousFactorisation, Factor, Network, parse_shape

__all__ = ["AmbiguousFactorisation", "Factor", "Network", "moments_at_point", "parse_shape"]


def moments_at_point(expr: sp.Expr) -> sp.Expr | None:
    """``expr`` with every expectation evaluated, innermost first, by the normal's moments:
    each density a Gaussian (its log, written out, a quadratic in the variable with a negative
    leading coefficient and the normalising constant of that Gaussian) and each integrand,
    its logs split, a polynomial in the variable. None when one is not (the general Gaussian
    integrals then decide). The exact instance of a network is of this form, and this is far
    cheaper than integrating the density's exponential.

    >>> z = sp.Symbol("z", real=True)
    >>> from elbo_derivation.core.expectation import Expectation
    >>> d = sp.exp(-(z - 1) ** 2 / 4) / sp.sqrt(4 * sp.pi)   # N(1, 2)
    >>> moments_at_point(Expectation(z**2 + sp.log(d), z, d))
    -log(2) - log(pi)/2 + 5/2
    """
    from elbo_derivation.core.expectation import Expectation
    from elbo_derivation.core.timeout import check_deadline
    from elbo_derivation.decide.gaussian import normal_moment

    if sp.S(expr).has(sp.Integral):
        return None  # an integral is not an expectation: it would be left, and None returned

    failed: list[sp.Basic] = []

    def value(node: Expectation) -> sp.Expr:
        check_deadline()
        z, dens, f = node.variable, node.density, node.integrand
        if z.is_positive or z.is_nonnegative or z.is_nonpositive or z.is_integer:
            failed.append(node)  # a variable on part of the line has no Gaussian density
            return node
        try:
            log_dens = sp.Poly(sp.expand(sp.expand_log(sp.log(dens), deep=True)), z)
            body = sp.Poly(sp.expand(sp.expand_log(f, deep=True)), z)
        except sp.PolynomialError:
            failed.append(node)
            return node
        if log_dens.degree() != 2:
            failed.append(node)
            return node
        a2, a1, a0 = log_dens.all_coeffs()
        if not (a2.is_number and a2.is_negative):
            failed.append(node)
            return node
        var = -1 / (2 * a2)
        mean = sp.expand(a1 * var)
        # the constant of a normalised Gaussian: -mean²/(2 var) - log(2π var)/2
        gap = sp.expand(sp.expand_log(a0 + mean**2 / (2 * var) + sp.log(2 * sp.pi * var) / 2))
        if gap != 0 and not (gap.is_number and abs(sp.N(gap, 30)) < sp.Float("1e-25")):
            failed.append(node)
            return node
        total = sp.S.Zero
        for (k,), c in body.terms():
            total += c * normal_moment(int(k), mean, var)
        return sp.expand(total)

    def visit(node: sp.Basic) -> sp.Basic:
        if failed or not node.args or not node.has(Expectation):
            return node
        args = tuple(visit(a) for a in node.args)
        if failed:
            return node
        node = node.func(*args) if args != node.args else node
        return value(node) if isinstance(node, Expectation) else node

    out = visit(sp.S(expr))
    return None if failed or out.has(sp.Integral, Expectation) else out
