"""Named families of distributions as data: density, support, moments, entropy and KL.

A density declared in a family (``p(k) = Poisson(lam)``) is an abstract positive function to
the reader; this table says what it is. :func:`instantiate` rewrites an expression with the
family's facts, each a named rule: an expectation of a polynomial of degree ≤ 2 by the mean
and variance, E[−log p] by the entropy, KL between two members of one family by its closed
form; any other expectation as the sum (discrete) or integral (continuous) over the support,
and the density itself by its formula. The rewritten expression is then decided by the
ordinary tiers (``doit``, algebra).

Each entry is a :class:`FamilyFacts`: every field is a function of the parameters (and the
variable, for the density), so the table is the single place the facts live.

Examples
--------
>>> import sympy as sp
>>> lam = sp.Symbol("lam", positive=True)
>>> k = sp.Symbol("k", integer=True, nonnegative=True)
>>> FAMILY_FACTS["poisson"].mean(lam), FAMILY_FACTS["poisson"].variance(lam)
(lam, lam)

References
----------
Murphy, *Probabilistic Machine Learning: An Introduction* (2022), §2.2–2.7; Bishop, *Pattern
Recognition and Machine Learning* (2006), Appendix B (Probability Distributions).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import sympy as sp
from sympy.core.function import AppliedUndef

from elbo_derivation.core.expectation import KL, Expectation, indicator_limits
from elbo_derivation.read.declarations import FAMILY_TABLE, FamilySpec

__all__ = ["FAMILY_FACTS", "FamilyFacts", "instantiate"]


@dataclass(frozen=True)
class FamilyFacts:
    """One family's closed forms (None where there is none). Its name, parameters' roles and
    support are the reader's :data:`~elbo_derivation.read.declarations.FAMILY_TABLE` entry
    of the same key (:attr:`spec`): one table, read here and in the reader."""

    key: str
    density: Callable[..., sp.Expr]  # (x, *params)
    mean: Callable[..., sp.Expr]
    variance: Callable[..., sp.Expr]
    entropy: Callable[..., sp.Expr] | None = None
    kl: Callable[..., sp.Expr] | None = None  # (params of p, params of q) → KL(p ‖ q)

    @property
    def spec(self) -> FamilySpec:
        return FAMILY_TABLE[self.key]

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def discrete(self) -> bool:
        return self.spec.discrete

    def support(self, *params: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
        """The ends of the support (for a sum or an integral over it)."""
        where = self.spec.support(*params)
        return where.inf, where.sup


def _bernoulli_kl(p: tuple, q: tuple) -> sp.Expr:
    (a,), (b,) = p, q
    return a * sp.log(a / b) + (1 - a) * sp.log((1 - a) / (1 - b))


def _poisson_kl(p: tuple, q: tuple) -> sp.Expr:
    (a,), (b,) = p, q
    return a * sp.log(a / b) - a + b


def _exponential_kl(p: tuple, q: tuple) -> sp.Expr:
    (a,), (b,) = p, q
    return sp.log(a / b) + b / a - 1


def _laplace_kl(p: tuple, q: tuple) -> sp.Expr:
    (m1, b1), (m2, b2) = p, q
    d = sp.Abs(m1 - m2)
    return sp.log(b2 / b1) + d / b2 + b1 / b2 * sp.exp(-d / b1) - 1


def _gamma_kl(p: tuple, q: tuple) -> sp.Expr:
    (a1, r1), (a2, r2) = p, q  # shape, rate
    return ((a1 - a2) * sp.polygamma(0, a1) - sp.loggamma(a1) + sp.loggamma(a2)
            + a2 * (sp.log(r1) - sp.log(r2)) + a1 * (r2 - r1) / r1)


def _lognormal_kl(p: tuple, q: tuple) -> sp.Expr:
    (m1, v1), (m2, v2) = p, q  # the mean and variance of log x
    return (sp.log(v2 / v1) + (v1 + (m1 - m2) ** 2) / v2 - 1) / 2


def _uniform_kl(p: tuple, q: tuple) -> sp.Expr:
    (a1, b1), (a2, b2) = p, q  # finite only when [a1, b1] lies inside [a2, b2]
    inside = sp.And(a2 <= a1, b1 <= b2)
    if inside is sp.false:
        return sp.oo
    if inside is not sp.true:
        return sp.Piecewise((sp.log((b2 - a2) / (b1 - a1)), inside), (sp.oo, True))
    return sp.log((b2 - a2) / (b1 - a1))


def _geometric_kl(p: tuple, q: tuple) -> sp.Expr:
    (a,), (b,) = p, q  # Σ_k (1-a)^(k-1) a [log(a/b) + (k-1) log((1-a)/(1-b))], E[k-1] = (1-a)/a
    return sp.log(a / b) + (1 - a) / a * sp.log((1 - a) / (1 - b))


def _binomial_kl(p: tuple, q: tuple) -> sp.Expr:
    (n1, a), (n2, b) = p, q
    if n1 != n2:
        return sp.nan
    return n1 * _bernoulli_kl((a,), (b,))


def _categorical_kl(p: tuple, q: tuple) -> sp.Expr:
    if len(p) != len(q):
        return sp.nan
    return sp.Add(*[a * sp.log(a / b) for a, b in zip(p, q, strict=True)])


def _log_beta(a: sp.Expr, b: sp.Expr) -> sp.Expr:
    """log B(a, b) = log Γ(a) + log Γ(b) − log Γ(a + b)."""
    return sp.log(sp.gamma(a)) + sp.log(sp.gamma(b)) - sp.log(sp.gamma(a + b))  # (Γ > 0 here)


def _beta_kl(p: tuple, q: tuple) -> sp.Expr:
    (a1, b1), (a2, b2) = p, q  # E[log t] = ψ(a) − ψ(a + b), E[log(1 − t)] = ψ(b) − ψ(a + b)
    return (_log_beta(a2, b2) - _log_beta(a1, b1) + (a1 - a2) * sp.polygamma(0, a1)
            + (b1 - b2) * sp.polygamma(0, b1) + (a2 - a1 + b2 - b1) * sp.polygamma(0, a1 + b1))


#: The families, by the names :mod:`~elbo_derivation.read.declarations` gives them (the
#: parameters in the order they are declared in: ``Gamma(shape, rate)``,
#: ``LogNormal(mean of log x, variance of log x)``, ``Uniform(low, high)``,
#: ``Binomial(n, p)``, ``Geometric(p)`` counting trials up to the first success,
#: ``Beta(a, b)``; Bishop (2006) eq. (2.13)–(2.15), (B.6)–(B.8)).
FAMILY_FACTS: dict[str, FamilyFacts] = {
    "bernoulli": FamilyFacts(
        "bernoulli", lambda x, p: p**x * (1 - p) ** (1 - x),
        lambda p: p, lambda p: p * (1 - p),
        lambda p: -p * sp.log(p) - (1 - p) * sp.log(1 - p), _bernoulli_kl),
    "poisson": FamilyFacts(
        "poisson", lambda x, r: r**x * sp.exp(-r) / sp.factorial(x),
        lambda r: r, lambda r: r, None, _poisson_kl),
    "exponential": FamilyFacts(
        "exponential", lambda x, r: r * sp.exp(-r * x),
        lambda r: 1 / r, lambda r: 1 / r**2, lambda r: 1 - sp.log(r), _exponential_kl),
    "laplace": FamilyFacts(
        "laplace", lambda x, m, b: sp.exp(-sp.Abs(x - m) / b) / (2 * b),
        lambda m, b: m, lambda m, b: 2 * b**2,
        lambda m, b: 1 + sp.log(2 * b), _laplace_kl),
    "gamma": FamilyFacts(
        "gamma", lambda x, a, r: r**a * x ** (a - 1) * sp.exp(-r * x) / sp.gamma(a),
        lambda a, r: a / r, lambda a, r: a / r**2,
        lambda a, r: a - sp.log(r) + sp.loggamma(a) + (1 - a) * sp.polygamma(0, a), _gamma_kl),
    "lognormal": FamilyFacts(  # the KL is that of the normals of log x (KL is invariant)
        "lognormal",
        lambda x, m, v: sp.exp(-((sp.log(x) - m) ** 2) / (2 * v)) / (x * sp.sqrt(2 * sp.pi * v)),
        lambda m, v: sp.exp(m + v / 2),
        lambda m, v: (sp.exp(v) - 1) * sp.exp(2 * m + v),
        lambda m, v: m + sp.log(2 * sp.pi * sp.E * v) / 2, _lognormal_kl),
    "uniform": FamilyFacts(
        "uniform", lambda x, a, b: 1 / (b - a),
        lambda a, b: (a + b) / 2, lambda a, b: (b - a) ** 2 / 12,
        lambda a, b: sp.log(b - a), _uniform_kl),
    "geometric": FamilyFacts(
        "geometric", lambda x, p: (1 - p) ** (x - 1) * p,
        lambda p: 1 / p, lambda p: (1 - p) / p**2,
        lambda p: (-(1 - p) * sp.log(1 - p) - p * sp.log(p)) / p, _geometric_kl),
    "categorical": FamilyFacts(  # categories 1..K with probabilities p_1..p_K
        "categorical",
        lambda x, *ps: sp.Add(*[p * sp.KroneckerDelta(x, i + 1) for i, p in enumerate(ps)]),
        lambda *ps: sp.Add(*[(i + 1) * p for i, p in enumerate(ps)]),
        lambda *ps: sp.Add(*[(i + 1) ** 2 * p for i, p in enumerate(ps)])
        - sp.Add(*[(i + 1) * p for i, p in enumerate(ps)]) ** 2,
        lambda *ps: -sp.Add(*[p * sp.log(p) for p in ps]), _categorical_kl),
    "beta": FamilyFacts(
        "beta",
        lambda x, a, b: x ** (a - 1) * (1 - x) ** (b - 1) * sp.gamma(a + b)
        / (sp.gamma(a) * sp.gamma(b)),
        lambda a, b: a / (a + b), lambda a, b: a * b / ((a + b) ** 2 * (a + b + 1)),
        lambda a, b: (_log_beta(a, b) - (a - 1) * sp.polygamma(0, a) - (b - 1) * sp.polygamma(0, b)
                      + (a + b - 2) * sp.polygamma(0, a + b)), _beta_kl),
    "binomial": FamilyFacts(
        "binomial", lambda x, n, p: sp.binomial(n, x) * p**x * (1 - p) ** (n - x),
        lambda n, p: n * p, lambda n, p: n * p * (1 - p), None,
        _binomial_kl),
}

RULES = {
    "moments": "moments of the {name} distribution (mean, variance)",
    "entropy": "entropy of the {name} distribution",
    "kl": "KL divergence between two {name} distributions",
    "support": "an expectation over the {name} distribution as a sum/integral over its support",
    "log-density": "the log-density of the {name} distribution",
}


def _moment(f: sp.Expr, x: sp.Symbol, facts: FamilyFacts, params: tuple) -> sp.Expr | None:
    """E[f] for a polynomial f of degree ≤ 2 in x, from the mean and variance."""
    try:
        poly = sp.Poly(f, x)
    except (sp.PolynomialError, sp.GeneratorsNeeded):
        return None
    if poly.degree() > 2 or any(c.has(x) for c in poly.coeffs()):
        return None
    mean, var = facts.mean(*params), facts.variance(*params)
    moments = {0: sp.S.One, 1: mean, 2: var + mean**2}
    return sp.Add(*[c * moments[k] for (k,), c in poly.terms()])


def _beta_log_moment(f: sp.Expr, x: sp.Symbol, params: tuple) -> sp.Expr | None:
    """E[f] under Beta(a, b) for f of degree ≤ 1 in log x and log(1 − x): E[log x] =
    ψ(a) − ψ(a + b), E[log(1 − x)] = ψ(b) − ψ(a + b) (Bishop 2006, eq. (10.66)); None for
    any other f."""
    a, b = params
    u, v = sp.Dummy("u"), sp.Dummy("v")
    g = sp.expand(sp.expand_log(f)).xreplace({sp.log(x): u, sp.log(1 - x): v})
    if g.has(x) or not (g.has(u) or g.has(v)):
        return None
    try:
        poly = sp.Poly(g, u, v)
    except sp.PolynomialError:
        return None
    if poly.total_degree() > 1:
        return None
    both = sp.polygamma(0, a + b)
    return g.xreplace({u: sp.polygamma(0, a) - both, v: sp.polygamma(0, b) - both})


def _finite_support_written_out(expr: sp.Expr, most: int = 16) -> sp.Expr:
    """``expr`` with each sum over a finite support of whole numbers (at most ``most``
    values) written out term by term: E[f(b)] under Bernoulli(θ) of an abstract f is
    θ·f(1) + (1 − θ)·f(0), whose derivative in θ is then taken by the usual rules.

    >>> t = sp.Symbol("t", positive=True)
    >>> b = sp.Symbol("b", integer=True)
    >>> f = sp.Function("f")
    >>> _finite_support_written_out(sp.Sum(t**b * (1 - t)**(1 - b) * f(b), (b, 0, 1)))
    t*f(1) + (1 - t)*f(0)
    """
    from elbo_derivation.decide.calculus import unrolled_sums

    return unrolled_sums(expr, most)


def open_parameter_derivatives(expr: sp.Expr,
                               families: Mapping[sp.Expr, tuple[str, tuple, sp.Symbol]],
                               ) -> sp.Expr:
    """``expr`` with each density of a named family that a derivative takes with respect to
    one of the family's parameters written out by its formula inside that derivative.

    A declared family density is an abstract function of its variable alone; its parameters
    are not among its arguments, so ∂/∂θ log p(b) would otherwise be taken as 0. Written out,
    ∂/∂θ log p(b) for p(b) = Bernoulli(θ) is the score b/θ − (1 − b)/(1 − θ).

    >>> t = sp.Symbol("t", positive=True)
    >>> b = sp.Symbol("b", integer=True, nonnegative=True)
    >>> p = sp.Function("p(b)", positive=True)(b)
    >>> out = open_parameter_derivatives(sp.Derivative(sp.log(p), t),
    ...                                  {p: ("bernoulli", (t,), b)})
    >>> out
    Derivative(log(t**b*(1 - t)**(1 - b)), t)
    """
    known = {d: v for d, v in families.items() if v[0] in FAMILY_FACTS}
    if not known or not expr.has(sp.Derivative):
        return expr

    def by_moments(node: sp.Basic, wrt: set) -> sp.Basic:
        # E_p[f] over a family density whose parameter the derivative takes, with a closed
        # form from the family's moments (E[k²] = λ + λ² under Poisson(λ)): that closed form,
        # so that d/dλ E[k²] is d/dλ (λ + λ²); any other expectation is opened below
        if not (isinstance(node, Expectation) and node.density in known
                and any(sp.S(q).free_symbols & wrt for q in known[node.density][1])):
            return node
        value, rules = instantiate(node, {node.density: known[node.density]})
        value = _finite_support_written_out(value)
        if rules and not value.has(sp.Sum, sp.Integral, Expectation, KL):
            return value
        return node

    def opened(node: sp.Derivative) -> sp.Expr:
        wrt = {v for v, _ in node.variable_count}
        body = node.expr.replace(lambda n: isinstance(n, Expectation),
                                 lambda n: by_moments(n, wrt))
        if body != node.expr:
            node = sp.Derivative(body, *node.variable_count)
        subs = {}
        for density, (key, params, var) in known.items():
            if node.expr.has(density) and any(
                    sp.S(q).free_symbols & wrt for q in params):
                subs[density] = FAMILY_FACTS[key].density(var, *params).xreplace(
                    dict(zip([var], getattr(density, "args", ())[:1], strict=False)))
        if not subs:
            return node
        return sp.Derivative(node.expr.xreplace(subs), *node.variable_count)

    return expr.replace(lambda n: isinstance(n, sp.Derivative), opened)


#: E[log x] under a family of positive x, in its parameters: Gamma(a, r), ψ(a) − log r
#: (Bishop 2006, eq. (B.30)); Exponential(r), the Gamma of shape 1, ψ(1) − log r = −γ − log r.
_LOG_MEANS: dict[str, Callable[..., sp.Expr]] = {
    "gamma": lambda a, r: sp.polygamma(0, a) - sp.log(r),
    "exponential": lambda r: sp.polygamma(0, 1) - sp.log(r),
}


def _log_moment(f: sp.Expr, x: sp.Symbol, key: str, facts: FamilyFacts,
                params: tuple) -> sp.Expr | None:
    """E[f] for f = c·log x + (a polynomial of degree ≤ 2 in x) under a family of
    :data:`_LOG_MEANS`, from E[log x] and the mean and variance; None for any other f.

    >>> a, r, x = sp.symbols("a r x", positive=True)
    >>> _log_moment((a - 1) * sp.log(x) - r * x, x, "gamma", FAMILY_FACTS["gamma"], (a, r))
    -a + (a - 1)*(-log(r) + polygamma(0, a))
    """
    log_mean = _LOG_MEANS.get(key)
    if log_mean is None:
        return None
    u = sp.Dummy("u")
    g = sp.expand(sp.expand_log(f, force=False)).xreplace({sp.log(x): u})
    if g.has(sp.log(x)) or not g.has(u):
        return None
    c = g.coeff(u)
    rest = sp.expand(g - c * u)
    if c.has(x) or c.has(u) or rest.has(u):
        return None
    polynomial = _moment(rest, x, facts, params) if rest.has(x) else rest
    if polynomial is None:
        return None
    return c * log_mean(*params) + polynomial


def _positive_under(base: sp.Expr, domains: Mapping[sp.Symbol, sp.Interval]) -> bool:
    """Whether ``base`` is positive for every value of its symbols in their declared
    intervals (1 − p for 0 < p < 1), by writing each through a positive variable."""
    if base.is_positive:
        return True
    if not domains:
        return False
    from elbo_derivation.decide.inequalities import interval_variables

    there, _ = interval_variables(base, domains)
    return bool(there) and sp.factor(sp.together(base.xreplace(there))).is_positive is True


def _logs_split(f: sp.Expr, x: sp.Symbol,
                domains: Mapping[sp.Symbol, sp.Interval]) -> sp.Expr | None:
    """``f`` with each logarithm of a product of powers that involves ``x`` written as the
    sum of the logarithms, log(∏ bᵢ^eᵢ) = Σ eᵢ log bᵢ, where every base bᵢ is positive on
    the declared intervals and every exponent real (Cover & Thomas's log(p(1 − p)^(n−1)) =
    log p + (n − 1) log(1 − p)); None when no logarithm could be split."""
    changed = False
    subs: dict[sp.Basic, sp.Expr] = {}
    for node in f.atoms(sp.log):
        arg = node.args[0]
        if not arg.has(x):
            continue
        factors = sp.Mul.make_args(arg)
        parts = [fac.as_base_exp() for fac in factors]
        if len(parts) == 1 and parts[0][1] == 1:
            continue
        if any(e.is_real is not True or e.has(sp.log) or not _positive_under(b, domains)
               for b, e in parts):
            continue
        subs[node] = sp.Add(*[e * sp.log(b) for b, e in parts])
        changed = True
    return sp.expand(f.xreplace(subs)) if changed else None


def _normal_expectation(f: sp.Expr, z: sp.Symbol, density: sp.Expr) -> sp.Expr | None:
    """E[f] under a written-out normal ``density`` of ``z`` for f a polynomial in z (its
    coefficients free of z), by the normal's moments; None for anything else.

    >>> z, m = sp.symbols("z m", real=True)
    >>> v, g = sp.symbols("v g", positive=True)
    >>> from elbo_derivation.decide.gaussian import gaussian_density
    >>> q = gaussian_density(z, m, sp.sqrt(v))
    >>> sp.expand(_normal_expectation(-g * z**2 / 2 + sp.log(g), z, q))
    -g*m**2/2 - g*v/2 + log(g)
    """
    from elbo_derivation.decide.gaussian import normal_moment
    from elbo_derivation.decide.rules import gaussian_parameters

    if not f.has(z):
        return None
    try:
        poly = sp.Poly(f, z)
    except (sp.PolynomialError, sp.GeneratorsNeeded):
        return None
    if poly.degree() > 8 or any(c.has(z) for c in poly.coeffs()):
        return None
    params = gaussian_parameters(density, z)
    if params is None:
        return None
    m, v = params
    return sp.Add(*[c * normal_moment(k, m, v) for (k,), c in poly.terms()])


def instantiate(expr: sp.Expr, families: Mapping[sp.Expr, tuple[str, tuple, sp.Symbol]],
                domains: Mapping[sp.Symbol, sp.Interval] | None = None,
                ) -> tuple[sp.Expr, tuple[str, ...]]:
    """``expr`` with every density of a named family replaced by what the family says, and
    the rules used (empty when nothing was rewritten).

    ``families`` maps each declared density (the abstract function the reader made) to
    (family key, parameters, variable); ``domains``, the declared intervals, let a
    logarithm of a product of positive factors be split before the moments are taken.

    >>> lam = sp.Symbol("lam", positive=True)
    >>> k = sp.Symbol("k", integer=True, nonnegative=True)
    >>> p = sp.Function("p(k)", positive=True)(k)
    >>> out, rules = instantiate(Expectation(k**2, k, p), {p: ("poisson", (lam,), k)})
    >>> out, rules
    (lam**2 + lam, ('moments of the Poisson distribution (mean, variance)',))
    """
    used: list[str] = []
    known = {d: v for d, v in families.items() if v[0] in FAMILY_FACTS and (
        v[0] != "categorical" or sp.simplify(sp.Add(*v[1]) - 1) == 0)}  # (p's must sum to 1)
    if not known or not expr.has(*known, *(getattr(d, "func", d) for d in known)):
        return expr, ()

    #: the densities of the expectations being opened: under one, a log-density is left
    #: to that expectation's own rules (moments, entropy, KL)
    inside: list[sp.Expr] = []

    def visit(node: sp.Basic) -> sp.Basic:
        if (isinstance(node, Expectation) and node.density not in known
                and not node.density.has(AppliedUndef)):
            # an expectation over a written-out normal density (a declared N(m, v) is read
            # as its formula) of a polynomial in its variable, inside an expectation over a
            # family density: its exact moments, so that the outer one sees the polynomial
            # (Winn & Bishop 2005: E_{q(γ)}[E_{q(μ)}[log N(x; μ, γ⁻¹)]])
            value = _normal_expectation(visit(node.integrand), node.variable, node.density)
            if value is not None:
                used.append(RULES["moments"].format(name="normal"))
                return value
        if isinstance(node, KL) and node.q in known and node.p in known:
            (k1, p1, _), (k2, p2, _) = known[node.q], known[node.p]
            facts = FAMILY_FACTS[k1]
            if k1 == k2 and facts.kl is not None:
                used.append(RULES["kl"].format(name=facts.name))
                return facts.kl(p1, p2)
        if isinstance(node, Expectation) and node.density in known:
            key, params, var = known[node.density]
            facts = FAMILY_FACTS[key]
            if key == "categorical":  # E[f] = Σ_i p_i f(i), each category written out
                f = visit(node.integrand).xreplace({node.variable: var})
                used.append(RULES["support"].format(name=facts.name))
                return sp.Add(*[p * f.xreplace({node.density: p, var: i + 1})
                                for i, p in enumerate(params)])
            inside.append(node.density)  # (its own log-density stays whole under it)
            try:
                f = visit(node.integrand).xreplace({node.variable: var}) if (
                    node.variable != var) else visit(node.integrand)
            finally:
                inside.pop()
            value = _moment(f, var, facts, params)
            if value is None and key == "beta":
                value = _beta_log_moment(f, var, params)
            if value is None:
                value = _log_moment(f, var, key, facts, params)
            if value is None and f.has(sp.log):
                split = _logs_split(f, var, domains or {})
                if split is not None:
                    value = _moment(split, var, facts, params)
                    if value is None:
                        value = _log_moment(split, var, key, facts, params)
                    if value is not None:
                        from elbo_derivation.decide.words import log_identities

                        used.extend(log_identities(f.atoms(sp.log) - split.atoms(sp.log)))
            if value is not None:
                used.append(RULES["moments"].format(name=facts.name))
                return value
            if facts.kl is not None:  # E_p[log p − log r] = KL(p ‖ r), r of the same family
                for other, (key2, params2, _) in known.items():
                    if other == node.density or key2 != key:
                        continue
                    ratio = sp.log(node.density) - sp.log(other.xreplace({known[other][2]: var}))
                    raw = node.integrand.xreplace({node.variable: var})
                    if sp.expand(sp.expand_log(raw - ratio)) == 0:
                        used.append(RULES["kl"].format(name=facts.name))
                        return facts.kl(params, params2)
            if facts.entropy is not None and sp.expand(f + sp.log(node.density)) == 0:
                used.append(RULES["entropy"].format(name=facts.name))
                return facts.entropy(*params)
            lo, hi = facts.support(*params)
            density = facts.density(var, *params)
            body = (density * f).xreplace({node.density: density})
            # an indicator of a bound on the variable (P(X ≤ t) = E[1{X ≤ t}]): a limit
            body, lo, hi = indicator_limits(body, var, lo, hi, facts.discrete)
            used.append(RULES["support"].format(name=facts.name))
            return (sp.Sum(body, (var, lo, hi)) if facts.discrete
                    else sp.Integral(body, (var, lo, hi)))
        if (isinstance(node, sp.log) and node.args[0] in known and not inside
                and known[node.args[0]][0] != "categorical"):
            # the log of a family's density on its support, outside any expectation: its
            # log-density, each log of a power and of a product split (sound: on the support,
            # with valid parameters, every factor of these densities is positive),
            # x·log θ + (1 − x)·log(1 − θ)
            key, params, var = known[node.args[0]]
            used.append(RULES["log-density"].format(name=FAMILY_FACTS[key].name))
            return sp.expand_log(sp.log(FAMILY_FACTS[key].density(var, *params)), force=True)
        if node in known:
            key, params, var = known[node]
            return FAMILY_FACTS[key].density(var, *params)
        for density, (key, params, var) in known.items():
            # the declared density at another point (q(0), q(1) of a sum over k written
            # out): its formula there
            if (node.func == getattr(density, "func", None) and isinstance(node, AppliedUndef)
                    and len(node.args) == len(density.args)):
                at = dict(zip(density.args, node.args, strict=True))
                return FAMILY_FACTS[key].density(var, *params).xreplace(at)
        if not node.args:
            return node
        new = [visit(a) for a in node.args]
        return node.func(*new) if tuple(new) != node.args else node

    out = visit(expr)
    return out, tuple(dict.fromkeys(used))
