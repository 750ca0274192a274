"""The joints, marginals and conditionals of a model declared by its factors.

A textbook declares a directed model by its factors and then writes any density of its joint:
Bishop's hidden Markov model is ``p(z_1) p(x_1|z_1) p(z_2|z_1) p(x_2|z_2)``, and the forward
recursion speaks of ``p(x_1, z_1)``, ``p(x_1, z_1, z_2)`` and ``p(x_1, z_2)`` without
declaring them (Bishop, *Pattern Recognition and Machine Learning*, 2006, §8.1 and §13.2.2).
Those densities have one meaning: the joint of the model is the product of its factors, a
marginal is that product integrated over the other variables, and a conditional is a ratio of
two marginals. Only the ancestors of the variables kept need integrating out: the factors of
the other variables integrate to 1 first (PRML §8.1, eq. 8.5 and the sum rule).

A family of densities is *declared by its factors* when every declared density of that family
is the density of one variable given others, each variable of the family has exactly one, and
the graph they make is acyclic. A variable that is only ever conditioned on is an *input* of
the family when every factor is conditioned on all the inputs: the structured posterior
``q(z_1|x_1, x_2) q(z_2|z_1, x_1, x_2)`` of a deep Kalman filter (Krishnan, Shalit & Sontag,
2017, eq. 5) is a model of z_1, z_2 given x_1, x_2, and its densities are those conditioned
on every input (``q(z_1, z_2|x_1, x_2)``, ``q(z_2|x_1, x_2)``), never a density of an
input. Only then are its undeclared densities read, and :func:`expand_model_densities`
writes each one through the declared factors, so that the checks see what the density means
and the reader sees it as written.

Examples
--------
>>> import sympy as sp
>>> z, x = sp.symbols("z x", real=True)
>>> functions = {"p(z)": sp.Function("p(z)", positive=True)(z),
...              "p(x|z)": sp.Function("p(x|z)", positive=True)(x, z)}
>>> joint = model_density(functions, "p(x,z)", (x, z))
>>> expand_model_densities(joint, functions)
p(x|z)(x, z)*p(z)(z)
>>> expand_model_densities(model_density(functions, "p(x)", (x,)), functions)
Integral(p(x|z)(x, z′)*p(z)(z′), (z′, -oo, oo))
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sympy as sp
from sympy.core.function import AppliedUndef

from elbo_derivation.core.expectation import Expectation
from elbo_derivation.core.networks import parse_shape

__all__ = ["FactorModel", "expand_model_densities", "factor_model", "integrable_variable",
           "model_density", "variable_range"]


@dataclass(frozen=True)
class FactorModel:
    """A family declared by its factors: each variable's symbol, its parents (in order of
    declaration) and its declared factor (an abstract density or a family's formula)."""

    symbols: dict[str, sp.Symbol]
    parents: dict[str, tuple[str, ...]]
    factors: dict[str, sp.Expr]
    inputs: frozenset[str] = frozenset()

    def order(self) -> list[str]:
        """The variables with each after its parents (ties in the order of declaration)."""
        out: list[str] = []
        while len(out) < len(self.parents):
            for v in self.parents:
                if v not in out and all(u in out or u in self.inputs for u in self.parents[v]):
                    out.append(v)
        return out

    def ancestral(self, names: set[str]) -> set[str]:
        """``names`` and every ancestor of them."""
        out, stack = set(names), list(names)
        while stack:
            for u in self.parents.get(stack.pop(), ()):
                if u not in out:
                    out.add(u)
                    stack.append(u)
        return out

    def marginal(self, names: set[str], taken: frozenset[sp.Symbol] = frozenset()) -> sp.Expr:
        """The density of the model over ``names``: the product of the factors of their
        ancestral set, integrated over the ancestors not kept (roots innermost). A variable
        integrated out that is free in ``taken`` (the expression it is written in) is bound
        under a primed name, z₁′, so that a value put in for the free one never reaches it."""
        keep = self.ancestral(names)
        order = [v for v in self.order() if v in keep]
        out = sp.Mul(*(self.factors[v] for v in order))
        for v in order:
            if v not in names:
                u = self.symbols[v]
                bound = u
                while bound in taken:
                    bound = sp.Symbol(bound.name + "′", **u.assumptions0)
                body = out.xreplace({u: bound}) if bound != u else out
                out = sp.Integral(body, (bound, *variable_range(u)))
        return out


def variable_range(v: sp.Symbol) -> tuple[sp.Expr, sp.Expr]:
    """Where a density of ``v`` lives: the whole line, or (0, ∞) for a positive variable."""
    if v.is_positive or v.is_nonnegative:
        return sp.S.Zero, sp.oo
    return sp.S.NegativeInfinity, sp.oo


def integrable_variable(v: sp.Symbol) -> bool:
    """Whether a density of ``v`` is integrated over the line or the half line."""
    if not isinstance(v, sp.Symbol) or v.is_real is not True or v.is_integer:
        return False
    if v.is_positive or v.is_nonnegative:
        return True
    return v.is_negative is None and v.is_nonpositive is None and v.is_zero is None


def factor_model(functions: Mapping[str, Any], stem: str) -> FactorModel | None:
    """The model of the family ``stem`` when it is declared by its factors, else None.

    ``functions`` maps each declared signature (``"p(x|z)"``) to what it stands for: an
    abstract density, or a family's density written out. Every declared density of the family
    must be of one variable given others, each variable of the family must have exactly one
    (or be an input: conditioned on by every factor, the density of none), at least one must
    condition on a variable that is not an input (a model of more than independent
    variables), and their graph must be acyclic.

    >>> import sympy as sp
    >>> a, b = sp.symbols("a b", real=True)
    >>> f = {"r(a)": sp.Function("r(a)", positive=True)(a),
    ...      "r(b|a)": sp.Function("r(b|a)", positive=True)(b, a)}
    >>> factor_model(f, "r").parents
    {'a': (), 'b': ('a',)}
    >>> f["r(a,b)"] = sp.Function("r(a,b)", positive=True)(a, b)
    >>> factor_model(f, "r") is None
    True
    >>> u = sp.Symbol("u", real=True)
    >>> g = {"r(a|u)": sp.Function("r(a|u)", positive=True)(a, u),
    ...      "r(b|a,u)": sp.Function("r(b|a,u)", positive=True)(b, a, u)}
    >>> sorted(factor_model(g, "r").inputs)
    ['u']
    """
    symbols: dict[str, sp.Symbol] = {}
    parents: dict[str, tuple[str, ...]] = {}
    factors: dict[str, sp.Expr] = {}
    for sig, value in functions.items():
        shape = parse_shape(sig)
        if shape is None or shape[0] != stem:
            continue
        _, given, cond = shape
        if len(given) != 1 or given[0] in parents or not isinstance(value, sp.Expr):
            return None
        if isinstance(value, AppliedUndef):
            if value.func.__name__ != sig or not value.is_positive or len(value.args) != len(
                    given) + len(cond):
                return None
            found = dict(zip((*given, *cond), value.args, strict=True))
        else:  # a family's density written out: its variables by name
            by_name = {str(s): s for s in value.free_symbols}
            found = {n: by_name[n] for n in (*given, *cond) if n in by_name}
            if given[0] not in found:
                return None
        for n, s in found.items():
            if not isinstance(s, sp.Symbol) or symbols.setdefault(n, s) != s:
                return None
        parents[given[0]] = cond
        factors[given[0]] = value
    inputs = frozenset(u for c in parents.values() for u in c if u not in parents)
    if any(u not in symbols for u in inputs) or any(not inputs <= set(c) for c in parents.values()):
        return None  # a variable with no factor of its own, not an input of every factor
    if not any(set(c) - inputs for c in parents.values()):
        return None
    model = FactorModel(symbols, parents, factors, inputs)
    seen: set[str] = set(inputs)
    while len(seen) < len(parents) + len(inputs):  # acyclic: the variables can be put in order
        ready = [v for v in parents if v not in seen and all(u in seen for u in parents[v])]
        if not ready:
            return None
        seen.update(ready)
    return model


def model_density(functions: Mapping[str, Any], sig: str,
                  args: Sequence[sp.Basic]) -> AppliedUndef | None:
    """The undeclared density ``sig`` (``"p(x_1,z_2)"``) of a family declared by its factors,
    applied at ``args`` (its own variables, as the factors declare them); None when ``sig`` is
    declared, its family is not declared by its factors, or ``args`` are not the variables
    the signature names (a density at another point is not read this way), or a variable to
    integrate out is not a real variable on the line or the half line.

    >>> import sympy as sp
    >>> z, x = sp.symbols("z x", real=True)
    >>> functions = {"p(z)": sp.Function("p(z)", positive=True)(z),
    ...              "p(x|z)": sp.Function("p(x|z)", positive=True)(x, z)}
    >>> model_density(functions, "p(z|x)", (z, x))
    p(z|x)(z, x)
    >>> model_density(functions, "p(z|x)", (x, z)) is None
    True
    """
    shape = parse_shape(sig)
    if shape is None or sig in functions:
        return None
    stem, given, cond = shape
    model = factor_model(functions, stem)
    if model is None:
        return None
    names = (*given, *cond)
    if set(given) & model.inputs or not model.inputs <= set(cond):
        return None  # an input has no density: every density of the model is given all of them
    if len(args) != len(names) or any(
            n not in model.symbols or model.symbols[n] != a
            for n, a in zip(names, args, strict=True)):
        return None
    out = (model.ancestral(set(names)) - set(names)) | (model.ancestral(set(cond)) - set(cond))
    if not all(integrable_variable(model.symbols[v]) for v in out):
        return None  # (a sum over an integer variable is not written for it)
    return sp.Function(sig, positive=True)(*args)


def chain_joint(functions: Mapping[str, Any], sig: str,
                args: Sequence[sp.Basic]) -> AppliedUndef | None:
    """The undeclared joint ``sig`` of two or more variables (``"P(c,x)"``) when the product
    rule writes it through declared abstract densities of its family, one variable at a time
    (P(x) and P(c|x), or P(c) and P(x|c)), applied at ``args``, its own variables as those
    densities declare them: the densities of one letter are the marginals and conditionals
    of one joint, so this joint is theirs. None otherwise (a density at another point, or a
    family with no such chain).

    >>> import sympy as sp
    >>> c, x = sp.symbols("c x", real=True)
    >>> F = lambda sig, *a: sp.Function(sig, positive=True)(*a)
    >>> functions = {"P(c)": F("P(c)", c), "P(x)": F("P(x)", x),
    ...              "P(c|x)": F("P(c|x)", c, x)}
    >>> chain_joint(functions, "P(c,x)", (c, x))
    P(c,x)(c, x)
    >>> chain_joint(functions, "P(x,c)", (c, x)) is None
    True
    >>> chain_joint({"P(c)": F("P(c)", c), "P(x)": F("P(x)", x)}, "P(c,x)", (c, x)) is None
    True
    """
    shape = parse_shape(sig)
    if shape is None or sig in functions or len(shape[1]) < 2:
        return None
    stem, given, cond = shape
    names = (*given, *cond)
    if len(args) != len(names) or len(set(names)) != len(names):
        return None
    at = dict(zip(names, args, strict=True))
    if not all(isinstance(a, sp.Symbol) for a in args):
        return None

    def declared(var: str, parents: frozenset[str]) -> bool:
        for key, value in functions.items():
            found = parse_shape(key)
            if (found is None or found[0] != stem or found[1] != (var,)
                    or frozenset(found[2]) != parents or not isinstance(value, AppliedUndef)
                    or value.func.__name__ != key):
                continue
            if all(at.get(n) == a for n, a in zip((var, *found[2]), value.args, strict=True)):
                return True
        return False

    def chained(left: frozenset[str], known: frozenset[str]) -> bool:
        """Whether the variables ``left`` factor, one at a time, given ``known``."""
        return not left or any(declared(v, known | (left - {v})) and chained(left - {v}, known)
                               for v in sorted(left))

    if len(given) > 4 or not chained(frozenset(given), frozenset(cond)):
        return None
    return sp.Function(sig, positive=True)(*args)


def expand_model_densities(expr: sp.Expr, functions: Mapping[str, Any]) -> sp.Expr:
    """``expr`` with every undeclared density of a family declared by its factors written
    through them: a joint or marginal as the product of the factors of its ancestral set,
    the other ancestors integrated out; a conditional p(A|B) as p(A, B)/p(B).

    >>> import sympy as sp
    >>> z, x, y = sp.symbols("z x y", real=True)
    >>> F = lambda name, *a: sp.Function(name, positive=True)(*a)
    >>> functions = {"p(z)": F("p(z)", z), "p(x|z)": F("p(x|z)", x, z),
    ...              "p(y|z)": F("p(y|z)", y, z)}
    >>> expand_model_densities(F("p(y|x,z)", y, x, z), functions)
    p(y|z)(y, z)
    """
    if expr.has(Expectation):
        expr = expr.replace(lambda n: isinstance(n, Expectation)
                            and _over_factors(n, functions, expr) is not None,
                            lambda n: _over_factors(n, functions, expr))
    found = [n for n in expr.atoms(AppliedUndef) if n.func.__name__ not in functions]
    if not found:
        return expr
    subs: dict[sp.Basic, sp.Expr] = {}
    models: dict[str, FactorModel | None] = {}
    for node in found:
        name = node.func.__name__
        shape = parse_shape(name)
        if shape is None or model_density(functions, name, node.args) is None:
            continue
        stem, given, cond = shape
        if stem not in models:
            models[stem] = factor_model(functions, stem)
        model = models[stem]
        if model is None:  # (model_density has checked it; kept for the type checker)
            continue
        # every variable of the model counts as taken: the other side of a step may have it
        # free, and a value put in for it must never reach a bound one
        taken = frozenset(expr.free_symbols) | frozenset(model.symbols.values())
        subs[node] = model.marginal({*given, *cond}, taken) / (
            model.marginal(set(cond), taken) if cond else sp.S.One)
    return expr.xreplace(subs) if subs else expr


def _over_factors(node: Expectation, functions: Mapping[str, Any],
                  whole: sp.Expr) -> sp.Expr | None:
    """An expectation over an undeclared marginal of a family declared by its factors, of one
    variable given only inputs of the model (``E_{q(z_2|x)}[f]``), written as the nested
    expectations over the factors of its ancestral set, roots outermost
    (``E_{q(z_1|x)}[E_{q(z_2|z_1, x)}[f]]``, the law of total expectation), in a model with
    inputs; None otherwise,
    and when an ancestor to bind is free in ``whole`` (its value must not be captured).

    >>> import sympy as sp
    >>> a, b, u = sp.symbols("a b u", real=True)
    >>> F = lambda name, *v: sp.Function(name, positive=True)(*v)
    >>> functions = {"r(a|u)": F("r(a|u)", a, u), "r(b|a,u)": F("r(b|a,u)", b, a, u)}
    >>> e = Expectation(b**2, b, F("r(b|u)", b, u))
    >>> _over_factors(e, functions, e)
    E[E[b**2, b ~ r(b|a,u)(b, a, u)], a ~ r(a|u)(a, u)]
    """
    dens = node.density
    if not isinstance(dens, AppliedUndef) or dens.func.__name__ in functions:
        return None
    name = dens.func.__name__
    shape = parse_shape(name)
    if shape is None or model_density(functions, name, dens.args) is None:
        return None
    stem, given, cond = shape
    model = factor_model(functions, stem)
    if model is None or not model.inputs or len(given) != 1 or not set(cond) <= model.inputs:
        return None  # (a model without inputs: its marginals are the rules' business)
    if node.variable != model.symbols[given[0]]:
        return None
    keep = model.ancestral({given[0]}) - model.inputs
    order = [v for v in model.order() if v in keep]
    if any(model.symbols[v] in whole.free_symbols for v in order if v != given[0]):
        return None
    out: sp.Expr = node.integrand
    for v in reversed(order):
        out = Expectation(out, model.symbols[v], model.factors[v])
    return out
