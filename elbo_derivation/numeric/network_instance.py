"""The numeric instance of a model of three or more variables: a linear-Gaussian network.

The two-variable instance of :mod:`elbo_derivation.numeric.linear_gaussian` knows the notes'
§2 model, one latent variable and one data variable. A derivation about a model of more
variables — a diffusion model's chain x₀ → x₁ → x₂, a hierarchical VAE, a conditional VAE
q(z|x, y) — gets the instance the symbolic tiers use
(:class:`~elbo_derivation.core.networks.Network`): each family of declared densities the
linear-Gaussian Bayesian network of its declared factors (Bishop, *Pattern Recognition and
Machine Learning*, 2006, §8.1.4), every other declared density of the family its exact
marginal or conditional by the Gaussian conditioning formulas (PRML §2.3.1–2.3.2), and an
abstract real function of one variable an affine map a·t + b. The roles come from the
declarations' structure, never from letters.

:func:`network_instance` builds it once for a whole derivation (every step instantiates the
same densities alike); :meth:`NetworkInstance.instantiate` replaces the densities of one
side. The quadrature check then evaluates every expectation as a Gaussian integral (nested
expectations as one multiple integral, by the normal's moments where the integrand is a
polynomial); the sampling check draws from the network ancestrally, outermost expectation
first (:func:`ancestral_draws`).

Examples
--------
>>> import sympy as sp
>>> from elbo_derivation.core.expectation import KL, Expectation
>>> x0, x1, x2 = sp.symbols("x_0 x_1 x_2", real=True)
>>> q1 = sp.Function("q(x_1|x_0)", positive=True)(x1, x0)
>>> q2 = sp.Function("q(x_2|x_1)", positive=True)(x2, x1)
>>> side = Expectation(Expectation(x2, x2, q2), x1, q1)
>>> inst = network_instance([side], taken={"x_0", "x_1", "x_2"})
>>> inst.words
'q(x_1|x_0) = N(q_w21·x_0 + q_b2, q_c2); q(x_2|x_1) = N(q_w31·x_1 + q_b3, q_c3)'
>>> import numpy as np
>>> expr = inst.instantiate(side)
>>> point = {s: 0.5 for s in expr.free_symbols}     # E[x_2] = w31 (w21 x_0 + b2) + b3
>>> y = ancestral_draws(expr, point, rng=np.random.default_rng(0), n=4000)
>>> bool(abs(y.mean() - (0.5 * (0.5 * 0.5 + 0.5) + 0.5)) < 5 * y.std() / np.sqrt(len(y)))
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import sympy as sp
from sympy.core.function import AppliedUndef

from elbo_derivation.core.expectation import KL, Expectation
from elbo_derivation.core.networks import AmbiguousFactorisation, Network, parse_shape
from elbo_derivation.core.plain import plain

__all__ = ["NetworkInstance", "NotSamplable", "ancestral_draws", "network_instance"]


class NotSamplable(ValueError):
    """A side that ancestral sampling cannot estimate without bias (the message says why)."""


@dataclass
class NetworkInstance:
    """Each family of a derivation's densities a linear-Gaussian network.

    ``parameters`` maps each family's stem (``q`` for ``q(x_1|x_0)``) and each abstract
    function's name to the instance parameters it depends on (what moves when a step is taken
    "with respect to" it); ``words`` says what the instance is, for a report.
    """

    networks: dict[str, Network]
    functions: dict[str, tuple[sp.Symbol, sp.Symbol]]
    words: str
    parameters: dict[str, tuple[sp.Symbol, ...]] = field(default_factory=dict)
    _logs: dict[sp.Basic, sp.Expr] = field(default_factory=dict)

    @property
    def families(self) -> tuple[str, ...]:
        """The families of densities, by stem, sorted."""
        return tuple(sorted(self.networks))

    def log_density(self, node: sp.Basic) -> sp.Expr:
        """log of the applied density ``node`` on the instance: a quadratic in its arguments
        (a declared density applied at another point, as ``q(z_1|x)``, the declared one
        there).

        Raises
        ------
        KeyError
            for a density of a family or shape the instance was not built with.
        """
        if node not in self._logs:
            family, given, cond = parse_shape(node.func.__name__)  # type: ignore[misc]
            net = self.networks[family]
            log = net.log_density(given, cond)
            self._logs[node] = log.xreplace(
                {net.placeholder(n): a for n, a in zip((*given, *cond), node.args, strict=True)})
        return self._logs[node]

    def instantiate(self, expr: sp.Expr) -> sp.Expr:
        """``expr`` with every abstract density and function replaced by the instance's.

        The logarithms of densities are split first (sound: densities are positive) and each
        log-density replaced by its quadratic, so that no log of an exponential is left.

        Raises
        ------
        KeyError
            for a function the instance was not built with (build it from every side).
        """
        found = expr.atoms(AppliedUndef)
        if not found:
            return expr
        if expr.has(KL):  # KL(q ‖ p) by its definition, E_q[log q − log p]
            expr = expr.replace(lambda n: isinstance(n, KL), lambda n: n.as_expectation())
        split = sp.expand_log(expr, deep=True)
        logs, subs = {}, {}
        for node in split.atoms(AppliedUndef):
            name = node.func.__name__
            if name in self.functions:
                a, b = self.functions[name]
                subs[node] = a * node.args[0] + b
                continue
            logs[sp.log(node)] = self.log_density(node)
            subs[node] = sp.exp(self.log_density(node))
        return split.xreplace(logs).xreplace(subs)


def network_instance(sides: Iterable[sp.Expr], taken: Iterable[str] = ()
                     ) -> NetworkInstance | str:
    """The network instance of every abstract density and function of ``sides`` (all the
    expressions of one derivation, definitions expanded), or the reason there is none.

    ``taken`` holds the derivation's names: the instance's parameters (``q_w11``, ``q_b1``,
    ``q_c1``, ... for the family ``q``; ``a_f``, ``b_f`` for a function ``f``) never take one.

    Examples
    --------
    >>> import sympy as sp
    >>> x, y, z = sp.symbols("x y z", real=True)
    >>> lik = sp.Function("p(x|y,z)", positive=True)(x, y, z)
    >>> py, pz = (sp.Function(f"p({v})", positive=True)(s) for v, s in (("y", y), ("z", z)))
    >>> inst = network_instance([sp.log(lik * py * pz)])
    >>> inst.words
    'p(y) = N(p_b1, p_c1); p(z) = N(p_b2, p_c2); p(x|y, z) = N(p_w31·y + p_w32·z + p_b3, p_c3)'
    >>> network_instance([sp.Function("g", positive=True)(x, y)])
    'no numeric instance of g(x, y): only densities and real functions of one variable have one'
    """
    names = set(taken)

    def fresh(name: str, **assumptions: bool) -> sp.Symbol:
        while name in names:
            name += "_instance"
        names.add(name)
        return sp.Symbol(name, **assumptions)

    shapes: dict[str, set[tuple[tuple[str, ...], tuple[str, ...]]]] = {}
    functions: dict[str, tuple[sp.Symbol, sp.Symbol]] = {}
    nodes = sorted({n for e in sides for n in sp.S(e).atoms(AppliedUndef)}, key=str)
    for node in nodes:
        shape = parse_shape(node.func.__name__) if node.is_positive else None
        if shape is not None and len(node.args) == len(shape[1]) + len(shape[2]):
            if any(a.is_integer for a in node.args):
                return (f"no numeric instance of {node.func.__name__}: a Gaussian instance "
                        "needs real variables, not integers")
            shapes.setdefault(shape[0], set()).add(shape[1:])
        elif (len(node.args) == 1 and node.is_real and not node.is_positive
              and not node.args[0].is_integer):  # (a sequence z_j is no function of a real)
            name = node.func.__name__
            if name not in functions:
                functions[name] = (fresh(f"a_{name}", real=True), fresh(f"b_{name}", real=True))
        else:
            return (f"no numeric instance of {plain(node)}: only densities and real functions "
                    "of one variable have one")
    networks: dict[str, Network] = {}
    for family in sorted(shapes):
        try:
            networks[family] = Network.from_shapes(
                shapes[family], lambda n, family=family, **kw: fresh(f"{family}_{n}", **kw))
        except AmbiguousFactorisation as exc:
            return f"no numeric instance of the densities of {family}: {exc}"
    words = "; ".join([d for f in sorted(networks) if (d := networks[f].describe(f))]
                      + [f"{n}(t) = {a}·t + {b}" for n, (a, b) in sorted(functions.items())])
    parameters = {f: net.parameters for f, net in networks.items()}
    parameters.update(functions)
    return NetworkInstance(networks, functions, words, parameters)


# ---------------------------------------------------------------------------------------------
# ancestral sampling


def _gaussian_in(density: sp.Expr, v: sp.Symbol) -> tuple[sp.Expr, sp.Expr]:
    """The mean and variance of a normalised Gaussian density in ``v`` (an instantiated
    density, exp of a quadratic times its constant)."""
    log = sp.expand(sp.expand_log(sp.log(density), deep=True))
    try:
        poly = sp.Poly(log, v)
    except sp.PolynomialError:
        raise NotSamplable(f"the density of {v} is not Gaussian in it") from None
    if poly.degree() != 2:
        raise NotSamplable(f"the density of {v} is not Gaussian in it")
    a2, a1, _ = poly.all_coeffs()
    var = sp.cancel(-1 / (2 * a2))
    return sp.cancel(a1 * var), var


def _numeric(expr: sp.Expr, env: Mapping[sp.Symbol, np.ndarray | float], n: int
             ) -> np.ndarray:
    """``expr`` (no expectation left) at the drawn values and the point, one value per draw."""
    from elbo_derivation.core.compile import NotEvaluable, compile_expr

    free = sorted(expr.free_symbols, key=lambda s: s.name)
    missing = [s for s in free if s not in env]
    if missing:
        raise NotSamplable(f"no value for {', '.join(map(str, missing))}")
    try:
        f = compile_expr(expr, free, backend="float64", nonfinite="nan")
    except NotEvaluable as err:
        raise NotSamplable(str(err)) from None
    with np.errstate(all="ignore"):
        out = f(*[env[s] for s in free])
    return np.broadcast_to(np.asarray(out, dtype=float), (n,)).copy()


def ancestral_draws(expr: sp.Expr, point: Mapping[sp.Symbol, float], *,
                    rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` unbiased draws of an instantiated side at ``point``, by ancestral sampling.

    Each expectation E_{v ~ d}[g], outermost first, draws v from d (a Gaussian in v whose mean
    may depend on the variables drawn outside it: d is a factor of the network, or a
    marginal or conditional of it), one draw of v for each draw outside, and then g at those
    values; nested expectations are so the joint of the chain of densities, sampled one
    variable at a time. The side must be affine in its expectations, each integrand affine in
    the expectations it holds (a product of independently drawn expectations is allowed; a
    non-linear function of one, such as log E[·], is not: its draws would be biased).

    Raises
    ------
    NotSamplable
        for a side that is not of that form, a density that is not Gaussian in its variable,
        or an integral written as such (the quadrature evaluates those).
    """
    env: dict[sp.Symbol, np.ndarray | float] = dict(point)
    if expr.has(sp.Integral):
        raise NotSamplable("an integral written as such is evaluated, not sampled")
    return _draws(sp.S(expr), env, rng, int(n))


def _draws(expr: sp.Expr, env: dict, rng: np.random.Generator, n: int) -> np.ndarray:
    if not expr.has(Expectation):
        return _numeric(expr, env, n)
    if isinstance(expr, Expectation):
        v = expr.variable
        mean, var = _gaussian_in(expr.density, v)
        m, s2 = _numeric(mean, env, n), _numeric(var, env, n)
        if not (np.all(np.isfinite(m)) and np.all(np.isfinite(s2)) and np.all(s2 > 0)):
            raise NotSamplable(f"the density of {v} is not a proper Gaussian at this point")
        inner = dict(env)
        inner[v] = m + np.sqrt(s2) * rng.standard_normal(n)
        return _draws(expr.integrand, inner, rng, n)
    if isinstance(expr, sp.Add):
        return sum((_draws(a, env, rng, n) for a in expr.args), np.zeros(n))
    if isinstance(expr, sp.Mul):
        out = np.ones(n)
        for a in expr.args:  # independent draws for each factor: their product is unbiased
            out = out * _draws(a, env, rng, n)
        return out
    raise NotSamplable(f"an expectation inside {expr.func.__name__}(·) cannot be estimated "
                       "without bias by sampling")
