"""Linear-Gaussian networks: a numeric instance of a model of any number of variables.

Shared by the symbolic tiers (:mod:`elbo_derivation.decide.rules`, exact instances) and the
numeric checks (:mod:`elbo_derivation.numeric.network_instance`, quadrature and sampling).

A family of abstract densities, declared as ``p(x|y, z), p(y), p(z)`` or as a chain
``p(x|y), p(y|z), p(z)``, is one joint density over its variables. To test a step about
such densities on numbers, each family is given a concrete joint that makes every declared
density exact:

* the declared densities of one variable given others are read as the factors of a
  Bayesian network (Bishop, *Pattern Recognition and Machine Learning*, 2006, §8.1): each
  variable with a density of its own gets one as its factor, the acyclic choice with the
  fewest conditioning variables (the sparsest joint the declarations allow, a special case of
  any denser reading, so that nothing the declared model implies fails on it) among those in
  which every declared conditional depends on what it is conditioned on (a declared q(z|ψ)
  beside q(z) keeps z given ψ: z a root would make the two one density, which the author's
  two names deny); two such choices that differ, neither holding the other's joints, are
  refused as ambiguous. A factor v|C becomes the linear-Gaussian
  conditional N(v; Σ_{u∈C} w_u u + b, c) (PRML §8.1.4), with its own weights w, offset b and
  variance c > 0; a variable with no density of its own is a root N(b, c);
* the joint is then the product of the factors, exactly, and it is Gaussian: every other
  declared density — a marginal p(x), a joint p(y, z), a conditional that is not a factor
  such as p(z|x) or q(x_{t−1}|x_t, x_0) — is computed from the joint's mean and covariance
  by the Gaussian conditioning formulas (PRML §2.3.1–2.3.2), so the instance is consistent
  with the declared model: the joint is the product of its declared factors, conditionals
  agree with the joint, marginals are its integrals.

A density is the declared one at the point where it is applied: ``q(z|x)`` applied at
``(z_1, x)`` is the declared conditional at z₁, never a density of its own. The roles come
from the declarations' structure alone, never from letters: which densities are factors is
decided by how many variables they condition on and by acyclicity (an ambiguity refused).

Examples
--------
>>> import sympy as sp
>>> net = Network.from_shapes([(("x",), ("y", "z")), (("y",), ()), (("z",), ())],
...                           lambda n, **kw: sp.Symbol(n, **kw))
>>> [f.variable for f in net.factors if f.parents]
['x']
>>> x, y, z = (net.placeholder(v) for v in "xyz")
>>> joint = net.log_density(("y", "z"), ())
>>> sp.simplify(joint - net.log_density(("y",), ()) - net.log_density(("z",), ()))
0
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import sympy as sp

__all__ = ["AmbiguousFactorisation", "Factor", "Network", "parse_shape"]


class AmbiguousFactorisation(ValueError):
    """The declared densities do not settle which joint density they are the factors of."""


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
        """The network whose factors are declared ``shapes`` (given names, conditioning
        names) of one variable given others; ``fresh(name, real=True | positive=True)`` makes
        each parameter symbol.

        As many variables as an acyclic choice allows get one of their declared densities
        as their factor (the others are roots); of those choices in which every declared
        density of some variables given others leaves them dependent on the others (when
        there is one), the one with the fewest conditioning variables in all (choices of one
        skeleton and the same v-structures are one model). That joint is a special case of
        any other such reading of the declarations (its missing weights 0, or its
        independences implied by the other's), so an identity that holds for the declared
        model holds for it. A variable with no density of its own is a root.

        Raises
        ------
        AmbiguousFactorisation
            when another such choice does not hold every joint of the one chosen (a chain
            x₀ → x₁ → x₂ against x₁ ← x₀ → x₂ when q(x₁|x₀), q(x₂|x₁) and q(x₂|x₀) are all
            declared): the declarations do not say which joint is meant.
        """
        shapes = sorted(set(shapes))
        variables = sorted({v for g, c in shapes for v in (*g, *c)})
        options: dict[str, list[tuple[str, ...]]] = {}
        for given, cond in shapes:
            if len(given) == 1:
                options.setdefault(given[0], []).append(tuple(cond))
        chosen = sorted(options)
        total = 1
        for v in chosen:
            total *= len(options[v]) + 1
        if total > 4096:
            raise AmbiguousFactorisation("too many ways to read the declared densities as "
                                         "factors of one joint")
        readings: list[tuple[tuple[int, int], dict[str, tuple[str, ...]]]] = []
        for combo in itertools.product(*([*options[v], None] for v in chosen)):
            parents = {v: c for v, c in zip(chosen, combo, strict=True) if c is not None}
            if not _cyclic(parents):
                # as many variables as can be get a declared factor; then the fewest edges
                readings.append(((combo.count(None), sum(len(c) for c in parents.values())),
                                 parents))
        # a declared conditional is the author's word that its variable depends on what it is
        # conditioned on: a reading that makes q(z|ψ) equal to q(z) (z a root beside ψ) holds
        # an identity the declared model need not, and hides a wrong step that confuses the two
        dependent = [r for r in readings if _each_conditional_depends(r[1], shapes)]
        readings = dependent or readings
        fewest = min(score for score, _ in readings)
        best = [p for score, p in readings if score == fewest]
        # the reading chosen must be a special case of every other reading that covers as
        # many variables (a sub-network of it, its missing weights 0) or the same model
        full = [p for (none, _), p in readings if none == fewest[0]]
        others = [b for b in full if not _markov_equivalent(best[0], b, variables)
                  and not all(set(best[0].get(v, ())) <= set(b.get(v, ())) for v in variables)
                  and not _contained(best[0], b, variables)]
        others += [b for b in best[1:] if not _markov_equivalent(best[0], b, variables)]
        if others:
            a, b = best[0], others[0]
            v = next(v for v in variables if a.get(v) != b.get(v))
            raise AmbiguousFactorisation(
                f"the declared densities can be read as two different models: {v} given "
                f"{', '.join(a.get(v, ())) or 'nothing'} or given "
                f"{', '.join(b.get(v, ())) or 'nothing'} as the model's own conditional "
                "(declare only the factors of the joint, or name the others differently)")
        parents = dict(best[0])
        declared = set(parents)
        for v in variables:
            parents.setdefault(v, ())  # no density of its own: a root
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
        return sp.exp(self.log_density(given, cond))

    def log_density(self, given: tuple[str, ...], cond: tuple[str, ...]) -> sp.Expr:
        """The logarithm of :meth:`density`: a quadratic in the variables, written out."""
        if len(given) == 1:
            f = self._factor(given[0])
            if set(f.parents) <= set(cond) and not (set(cond) & self._descendants(given[0])):
                mean = f.offset + sum((w * self.placeholder(u) for w, u in
                                       zip(f.weights, f.parents, strict=True)), sp.S.Zero)
                return _log_normal(self.placeholder(given[0]), mean, f.variance)
        if self._ancestral({*given, *cond}):
            # p(A|B) = p(A ∪ B)/p(B), the joint of an ancestral set the product of its
            # factors (PRML §8.1): the factors of A alone when B is ancestral too, else less
            # the marginal of B (conditioning on B alone, far smaller than on A ∪ B)
            if self._ancestral(set(cond)):
                return sp.Add(*(self._factor_log(v) for v in given))
            return sp.Add(*(self._factor_log(v) for v in (*given, *cond))) - self.log_density(
                tuple(cond), ())
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
            return _log_normal(self.placeholder(a[0]), sp.cancel(mu[0]), s_aa[0])
        d = sp.Matrix([self.placeholder(v) for v in a]) - mu
        quad = sp.cancel((d.T * s_aa.inv() * d)[0])
        det = sp.cancel(s_aa.det())
        return -quad / 2 - sp.log((2 * sp.pi) ** len(a) * det) / 2

    def _ancestral(self, names: set[str]) -> bool:
        """Whether ``names`` holds the parents of each of its variables (an ancestral set,
        whose marginal is the product of its variables' factors)."""
        return all(set(self._factor(v).parents) <= names for v in names)

    def _factor_log(self, v: str) -> sp.Expr:
        """log N(v; Σ w·parents + b, c), the factor of ``v``, in the placeholders."""
        f = self._factor(v)
        mean = f.offset + sum((w * self.placeholder(u) for w, u in
                               zip(f.weights, f.parents, strict=True)), sp.S.Zero)
        return _log_normal(self.placeholder(v), mean, f.variance)

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


def _markov_equivalent(a: dict[str, tuple[str, ...]], b: dict[str, tuple[str, ...]],
                       variables: list[str]) -> bool:
    """Whether two DAGs (parent maps) have the same skeleton and the same v-structures, and
    so the same Gaussian joints (Verma & Pearl 1990)."""

    def skeleton(g: dict[str, tuple[str, ...]]) -> set[frozenset[str]]:
        return {frozenset((u, v)) for v in variables for u in g.get(v, ())}

    def colliders(g: dict[str, tuple[str, ...]], edges: set[frozenset[str]]) -> set:
        return {(frozenset((u, w)), v) for v in variables for u in g.get(v, ())
                for w in g.get(v, ()) if u < w and frozenset((u, w)) not in edges}

    ea, eb = skeleton(a), skeleton(b)
    return ea == eb and colliders(a, ea) == colliders(b, eb)


def _ancestry(parents: dict[str, tuple[str, ...]], names: Iterable[str]) -> set[str]:
    """``names`` and every ancestor of theirs under the parent relation."""
    out = set(names)
    stack = list(out)
    while stack:
        for u in parents.get(stack.pop(), ()):
            if u not in out:
                out.add(u)
                stack.append(u)
    return out


def _each_conditional_depends(parents: dict[str, tuple[str, ...]],
                              shapes: Iterable[tuple[tuple[str, ...], tuple[str, ...]]]) -> bool:
    """Whether, in the DAG ``parents``, every declared density of some variables given others
    has its variables dependent on those it is conditioned on (not d-separated from them with
    nothing observed: some variable of each side shares an ancestor with, or is an ancestor
    of, one of the other; Koller & Friedman 2009, sec. 3.3.1), so that it is no marginal.

    >>> _each_conditional_depends({"z": ("s",)}, [(("z",), ("s",)), (("z",), ())])
    True
    >>> _each_conditional_depends({}, [(("z",), ("s",)), (("z",), ())])
    False
    """
    for given, cond in shapes:
        if cond and not _ancestry(parents, given) & _ancestry(parents, cond):
            return False
    return True


def _separated(parents: dict[str, tuple[str, ...]], u: str, v: str, given: set[str]) -> bool:
    """Whether ``u`` and ``v`` are d-separated by ``given`` in the DAG ``parents``: not
    connected in the moral graph of the ancestral set of the three, ``given`` removed
    (Lauritzen et al. 1990; Koller & Friedman 2009, sec. 3.3)."""
    keep = _ancestry(parents, {u, v, *given})
    adjacent: dict[str, set[str]] = {w: set() for w in keep}
    for w in keep:
        ps = [p for p in parents.get(w, ()) if p in keep]
        for p in ps:
            adjacent[w].add(p)
            adjacent[p].add(w)
        for p, r in itertools.combinations(ps, 2):  # parents of one child married
            adjacent[p].add(r)
            adjacent[r].add(p)
    seen, stack = {u}, [u]
    while stack:
        w = stack.pop()
        if w == v:
            return False
        for n in adjacent[w] - seen - given:
            seen.add(n)
            stack.append(n)
    return True


def _contained(a: dict[str, tuple[str, ...]], b: dict[str, tuple[str, ...]],
               variables: list[str]) -> bool:
    """Whether every joint of the DAG ``a`` is a joint of the DAG ``b``: each conditional
    independence ``b`` implies (a d-separation of two variables) holds in ``a`` too. Checked
    over every pair and conditioning set up to six variables; beyond, False (no claim)."""
    if len(variables) > 6:
        return False
    for u, v in itertools.combinations(variables, 2):
        rest = [w for w in variables if w not in (u, v)]
        for k in range(len(rest) + 1):
            for given in itertools.combinations(rest, k):
                if _separated(b, u, v, set(given)) and not _separated(a, u, v, set(given)):
                    return False
    return True


def _cyclic(parents: dict[str, tuple[str, ...]]) -> bool:
    """Whether the parent relation has a cycle."""
    state: dict[str, int] = {}

    def visit(v: str) -> bool:
        if state.get(v) == 1:
            return True
        if state.get(v) == 2:
            return False
        state[v] = 1
        if any(visit(u) for u in parents.get(v, ())):
            return True
        state[v] = 2
        return False

    return any(visit(v) for v in parents)


def _log_normal(v: sp.Expr, mean: sp.Expr, var: sp.Expr) -> sp.Expr:
    return -((v - mean) ** 2) / (2 * var) - sp.log(2 * sp.pi * var) / 2
