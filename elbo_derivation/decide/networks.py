"""Linear-Gaussian networks: a numeric instance of a model of any number of variables.

A family of abstract densities, declared as ``p(x|y, z), p(y), p(z)`` or as a chain
``p(x|y), p(y|z), p(z)``, is one joint density over its variables. To test a step about
such densities on numbers, each family is given a concrete joint that makes every declared
density exact:

* the declared densities of one variable given others are read as the factors of a
  Bayesian network (Bishop, *Pattern Recognition and Machine Learning*, 2006, §8.1): each
  variable gets at most one, the densities conditioned on most variables first, a factor
  kept only when it closes no cycle. A factor v|C becomes the linear-Gaussian conditional
  N(v; Σ_{u∈C} w_u u + b, c) (PRML §8.1.4), with its own weights w, offset b and variance
  c > 0; a variable without a factor depends linearly on the variables without a factor
  before it (nothing declared ties them, and a dependent joint hides fewer mistakes);
* the joint is then the product of the factors, exactly, and it is Gaussian: every other
  declared density — a marginal p(x), a joint p(y, z), a conditional that is not a factor
  such as p(z|x) or q(x_{t−1}|x_t, x_0) — is computed from the joint's mean and covariance
  by the Gaussian conditioning formulas (PRML §2.3.1–2.3.2), so the instance is consistent
  with the declared model: the joint is the product of its declared factors, conditionals
  agree with the joint, marginals are its integrals.

A density is the declared one at the point where it is applied: ``q(z|x)`` applied at
``(z_1, x)`` is the declared conditional at z₁, never a density of its own. The roles come
from the declarations' structure alone, never from letters: which densities are factors is
decided by how many variables they condition on and by acyclicity (ties broken by sorting,
for determinism).

Examples
--------
>>> import sympy as sp
>>> net = Network.from_shapes([(("x",), ("y", "z")), (("y",), ()), (("z",), ())],
...                           lambda n, **kw: sp.Symbol(n, **kw))
>>> [f.variable for f in net.factors if f.parents]
['x']
>>> x, y, z = (net.placeholder(v) for v in "xyz")
>>> sp.simplify(net.density(("y", "z"), ()) - net.density(("y",), ()) * net.density(("z",), ()))
0
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import sympy as sp

__all__ = ["Factor", "Network", "parse_shape"]


def parse_shape(name: str) -> tuple[str, tuple[str, ...], tuple[str, ...]] | None:
    """``"p(x|y,z)"`` → ``("p", ("x",), ("y", "z"))``: a declared density's family, the
    names left of the bar and those right of it; None for a name of another form.

    >>> parse_shape("q(x_{t-1}|x_t,x_0)")
    ('q', ('x_{t-1}',), ('x_t', 'x_0'))
    >>> parse_shape("f") is None
    True
    """
    if "(" not in name or not name.endswith(")"):
        return None
    head, _, inner = name.partition("(")
    inner = inner[:-1]
    if not head or not (head[0].isalpha() or head[0] == "_"):
        return None
    given, bar, cond = inner.partition("|")

    def names(text: str) -> tuple[str, ...]:
        parts, depth, start = [], 0, 0
        for i, ch in enumerate(text):
            depth += 1 if ch in "({[" else (-1 if ch in ")}]" else 0)
            if ch == "," and depth == 0:
                parts.append(text[start:i])
                start = i + 1
        parts.append(text[start:])
        return tuple(p.strip() for p in parts if p.strip())

    g = names(given)
    c = names(cond) if bar else ()
    if not g or set(g) & set(c) or len(set(g)) < len(g) or len(set(c)) < len(c):
        return None
    return head, g, c


@dataclass(frozen=True)
class Factor:
    """One variable's conditional N(variable; Σ weights·parents + offset, variance)."""

    variable: str
    parents: tuple[str, ...]
    weights: tuple[sp.Symbol, ...]
    offset: sp.Symbol
    variance: sp.Symbol
    declared: bool


@dataclass
class Network:
    """A linear-Gaussian Bayesian network over a family's declared variables.

    Built by :meth:`from_shapes`; :meth:`density` gives any marginal or conditional of its
    joint as a SymPy expression in the :meth:`placeholder` symbols of the variables.
    """

    factors: list[Factor]
    _placeholders: dict[str, sp.Dummy] = field(default_factory=dict)
    _cov: dict[tuple[str, str], sp.Expr] = field(default_factory=dict)
    _mean: dict[str, sp.Expr] = field(default_factory=dict)

    @classmethod
    def from_shapes(cls, shapes: Iterable[tuple[tuple[str, ...], tuple[str, ...]]],
                    fresh: Callable[..., sp.Symbol]) -> Network:
        """The network whose factors are the declared ``shapes`` (given names, conditioning
        names) of one variable given others, as many as fit acyclically; ``fresh(name,
        real=True | positive=True)`` makes each parameter symbol."""
        shapes = sorted(set(shapes), key=lambda s: (-len(s[1]), s))
        variables = sorted({v for g, c in shapes for v in (*g, *c)})
        parents: dict[str, tuple[str, ...]] = {}

        def reaches(start: str, goal: str) -> bool:  # goal an ancestor of start?
            stack, seen = [start], set()
            while stack:
                v = stack.pop()
                if v == goal:
                    return True
                if v not in seen:
                    seen.add(v)
                    stack.extend(parents.get(v, ()))
            return False

        for given, cond in shapes:
            if len(given) != 1 or given[0] in parents:
                continue
            (v,) = given
            if any(reaches(u, v) for u in cond):
                continue
            parents[v] = tuple(cond)
        free = [v for v in variables if v not in parents]
        declared = set(parents)
        for i, v in enumerate(free):  # the undeclared ones: each on those before it
            parents[v] = tuple(free[:i])
        order: list[str] = []
        while len(order) < len(variables):
            for v in variables:
                if v not in order and all(u in order for u in parents[v]):
                    order.append(v)
        factors = []
        for k, v in enumerate(order, 1):
            ws = tuple(fresh(f"w{k}{j}", real=True) for j in range(1, len(parents[v]) + 1))
            factors.append(Factor(v, parents[v], ws, fresh(f"b{k}", real=True),
                                  fresh(f"c{k}", positive=True), v in declared))
        return cls(factors)

    def placeholder(self, name: str) -> sp.Dummy:
        """The symbol standing for the variable ``name`` in :meth:`density`'s expressions."""
        if name not in self._placeholders:
            self._placeholders[name] = sp.Dummy(name, real=True)
        return self._placeholders[name]

    @property
    def parameters(self) -> tuple[sp.Symbol, ...]:
        """Every parameter symbol, factor by factor."""
        return tuple(s for f in self.factors for s in (*f.weights, f.offset, f.variance))

    def _factor(self, v: str) -> Factor:
        return next(f for f in self.factors if f.variable == v)

    def mean(self, v: str) -> sp.Expr:
        """E[v] under the joint."""
        if v not in self._mean:
            f = self._factor(v)
            self._mean[v] = f.offset + sum(
                (w * self.mean(u) for w, u in zip(f.weights, f.parents, strict=True)), sp.S.Zero)
        return self._mean[v]

    def cov(self, u: str, v: str) -> sp.Expr:
        """Cov(u, v) under the joint (polynomial in the parameters)."""
        order = [f.variable for f in self.factors]
        if order.index(u) < order.index(v):
            u, v = v, u  # u the later one: Cov(u, v) = Σ w Cov(parent, v) (+ c if u = v)
        if (u, v) not in self._cov:
            f = self._factor(u)
            out = sum((w * self.cov(p, v) for w, p in zip(f.weights, f.parents, strict=True)),
                      sp.S.Zero)
            if u == v:
                out += f.variance
            self._cov[(u, v)] = sp.expand(out)
        return self._cov[(u, v)]

    def _descendants(self, v: str) -> set[str]:
        out: set[str] = set()
        stack = [v]
        while stack:
            w = stack.pop()
            for f in self.factors:
                if w in f.parents and f.variable not in out:
                    out.add(f.variable)
                    stack.append(f.variable)
        return out

    def density(self, given: tuple[str, ...], cond: tuple[str, ...]) -> sp.Expr:
        """The joint's density of ``given`` conditioned on ``cond``, in the placeholders.

        A variable given its parents and none of its descendants is its factor (the local
        Markov property); anything else by the Gaussian conditioning formulas.
        """
        if len(given) == 1:
            f = self._factor(given[0])
            if set(f.parents) <= set(cond) and not (set(cond) & self._descendants(given[0])):
                mean = f.offset + sum((w * self.placeholder(u) for w, u in
                                       zip(f.weights, f.parents, strict=True)), sp.S.Zero)
                return _normal(self.placeholder(given[0]), mean, f.variance)
        a, b = list(given), list(cond)
        s_aa = sp.Matrix(len(a), len(a), lambda i, j: self.cov(a[i], a[j]))
        mu = sp.Matrix([self.mean(v) for v in a])
        if b:
            s_ab = sp.Matrix(len(a), len(b), lambda i, j: self.cov(a[i], b[j]))
            s_bb = sp.Matrix(len(b), len(b), lambda i, j: self.cov(b[i], b[j]))
            gain = s_ab * s_bb.inv()
            mu = mu + gain * sp.Matrix([self.placeholder(v) - self.mean(v) for v in b])
            s_aa = s_aa - gain * s_ab.T
        s_aa = s_aa.applyfunc(sp.cancel)
        if len(a) == 1:
            return _normal(self.placeholder(a[0]), sp.cancel(mu[0]), s_aa[0])
        d = sp.Matrix([self.placeholder(v) for v in a]) - mu
        quad = sp.cancel((d.T * s_aa.inv() * d)[0])
        det = sp.cancel(s_aa.det())
        return sp.exp(-quad / 2) / sp.sqrt((2 * sp.pi) ** len(a) * det)

    def describe(self, family: str) -> str:
        """The factors in words: ``p(x|y, z) = N(w31·y + w32·z + b3, c3)``."""
        parts = []
        for f in self.factors:
            if not f.declared and not f.parents:
                continue
            mean = " + ".join([*(f"{w}·{u}" for w, u in zip(f.weights, f.parents, strict=True)),
                               str(f.offset)])
            cond = ("|" + ", ".join(f.parents)) if f.parents else ""
            parts.append(f"{family}({f.variable}{cond}) = N({mean}, {f.variance})")
        return "; ".join(parts)


def _normal(v: sp.Expr, mean: sp.Expr, var: sp.Expr) -> sp.Expr:
    return sp.exp(-((v - mean) ** 2) / (2 * var)) / sp.sqrt(2 * sp.pi * var)
