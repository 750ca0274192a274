"""The linear-Gaussian model: a concrete instance of the notes' §2 with every term in closed form.

The notes' §2 derives the ELBO for abstract densities q(z|x), p(z), p(x|z), p(z|x), p(x). To
check those steps on numbers we need densities that are concrete yet keep every quantity
computable exactly. The one-dimensional linear-Gaussian model does:

.. math::

    p(z) = N(z; 0, 1), \\qquad p(x|z) = N(x; a z + b, c), \\qquad q(z|x) = N(z; m, s^2),

with c a *variance* (the notes' N(f(z), cI) with f(z) = a z + b) and s a standard deviation.
Then (Bishop, *Pattern Recognition and Machine Learning*, 2006, §2.3.3, eqs. 2.113–2.117)

.. math::

    p(x) = N(x; b, a^2 + c), \\qquad
    p(z|x) = N\\Big(z; \\frac{a (x - b)}{a^2 + c}, \\frac{c}{a^2 + c}\\Big),

and the ELBO's two terms are

.. math::

    E_q[\\log p(x|z)] = -\\tfrac12 \\log 2\\pi c - \\frac{(x - a m - b)^2 + a^2 s^2}{2c},
    \\qquad KL(q \\| p(z)) = \\tfrac12 (s^2 + m^2 - 1) - \\log s,

so that ELBO = E_q[log p(x|z)] − KL(q‖p(z)) and, from the notes' §2,
log p(x) = ELBO + KL(q‖p(z|x)) ≥ ELBO, with equality exactly when q is the posterior.

This module gives those closed forms as NumPy functions (floats or broadcasting arrays), and
:func:`instantiate`, which replaces the abstract densities of a derivation (SymPy undefined
functions named by their signature, ``"q(z|x)"``, ``"p(x|z)"``, ...) by these Gaussians, so
that any abstract step can be evaluated numerically.

Examples
--------
The evidence identity of the notes' §2, on numbers:

>>> x, a, b, c, m, s = 0.7, 1.5, -0.2, 0.3, 0.1, 0.4
>>> lhs = log_evidence(x, a, b, c)
>>> rhs = elbo(x, a, b, c, m, s) + kl_to_posterior(x, a, b, c, m, s)
>>> bool(abs(lhs - rhs) < 1e-13)
True
>>> bool(elbo(x, a, b, c, m, s) <= lhs)
True
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy as sp
from sympy.core.function import AppliedUndef

__all__ = [
    "SIGNATURES",
    "LinearGaussianSymbols",
    "UnknownDensityError",
    "density_expressions",
    "elbo",
    "evidence_identity_error",
    "gaussian_density",
    "instance_keys",
    "instance_parameters",
    "instance_symbols",
    "instantiate",
    "kl_to_posterior",
    "kl_to_prior",
    "log_evidence",
    "posterior",
    "reconstruction",
    "substitutions",
]

#: The density signatures the instance knows, and what each becomes.
SIGNATURES = {
    "q(z|x)": "N(z; m, s²)",
    "q(z)": "N(z; m, s²)",
    "p(z)": "N(z; 0, 1)",
    "p(x|z)": "N(x; a z + b, c)",
    "p(z|x)": "N(z; a(x − b)/(a² + c), c/(a² + c))",
    "p(x)": "N(x; b, a² + c)",
    "p(x,z)": "N(x; a z + b, c) · N(z; 0, 1)",
    "p(z,x)": "N(x; a z + b, c) · N(z; 0, 1)",
    "f(z)": "a z + b (the decoder's mean)",
}


class UnknownDensityError(ValueError):
    """An abstract function the linear-Gaussian instance cannot replace."""


# ---------------------------------------------------------------------------------------------
# closed forms (NumPy)


def _checked(name: str, value: Any, *, positive: bool = False) -> np.ndarray:
    arr = np.asarray(value, dtype=float)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if positive and not np.all(arr > 0):
        raise ValueError(f"{name} must be positive, got {value!r}")
    return arr


def _out(value: np.ndarray) -> float | np.ndarray:
    return float(value) if np.ndim(value) == 0 else value


def log_evidence(x: Any, a: Any, b: Any, c: Any) -> float | np.ndarray:
    """log p(x) = log N(x; b, a² + c), the evidence of the linear-Gaussian model.

    .. math:: \\log p(x) = -\\tfrac12 \\log 2\\pi(a^2 + c) - \\frac{(x - b)^2}{2 (a^2 + c)}

    Parameters
    ----------
    x, a, b : float or array_like
        the datum, the decoder's slope and offset (broadcast together).
    c : float or array_like
        the likelihood's variance, positive.

    Returns
    -------
    float or numpy.ndarray

    Raises
    ------
    ValueError
        for a non-finite argument or c ≤ 0, naming the argument.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import integrate, stats
    >>> x, a, b, c = 0.5, 2.0, 0.1, 0.3
    >>> # p(x) = ∫ p(x|z) p(z) dz
    >>> val, _ = integrate.quad(lambda z: stats.norm.pdf(x, a*z + b, np.sqrt(c))
    ...                         * stats.norm.pdf(z), -np.inf, np.inf)
    >>> bool(np.isclose(log_evidence(x, a, b, c), np.log(val), rtol=1e-10))
    True

    References
    ----------
    Bishop (2006), *Pattern Recognition and Machine Learning*, eq. 2.115.
    """
    x, a, b = _checked("x", x), _checked("a", a), _checked("b", b)
    c = _checked("c", c, positive=True)
    v = a * a + c
    return _out(-0.5 * np.log(2 * np.pi * v) - (x - b) ** 2 / (2 * v))


def posterior(x: Any, a: Any, b: Any, c: Any) -> tuple[Any, Any]:
    """The exact posterior p(z|x) = N(mean, var): mean = a(x − b)/(a² + c), var = c/(a² + c).

    Returns
    -------
    mean, var : float or numpy.ndarray
        the posterior mean and *variance*.

    Examples
    --------
    >>> mean, var = posterior(1.0, 1.0, 0.0, 1.0)
    >>> mean, var
    (0.5, 0.5)

    References
    ----------
    Bishop (2006), eqs. 2.116–2.117, with a precision 1 prior.
    """
    x, a, b = _checked("x", x), _checked("a", a), _checked("b", b)
    c = _checked("c", c, positive=True)
    v = a * a + c
    return _out(a * (x - b) / v), _out(c / v)


def reconstruction(x: Any, a: Any, b: Any, c: Any, m: Any, s: Any) -> float | np.ndarray:
    """E_{q(z|x)}[log p(x|z)], the reconstruction term of the ELBO.

    .. math:: -\\tfrac12 \\log 2\\pi c - \\frac{(x - a m - b)^2 + a^2 s^2}{2c}

    (E_q[(x − a z − b)²] = (x − a m − b)² + a² s² since Var_q z = s².)

    Examples
    --------
    >>> import numpy as np
    >>> from scipy import integrate, stats
    >>> x, a, b, c, m, s = 0.5, 2.0, 0.1, 0.3, -0.4, 0.7
    >>> val, _ = integrate.quad(lambda z: stats.norm.pdf(z, m, s)
    ...                         * stats.norm.logpdf(x, a*z + b, np.sqrt(c)), -np.inf, np.inf)
    >>> bool(np.isclose(reconstruction(x, a, b, c, m, s), val, rtol=1e-10))
    True
    """
    x, a, b, m = (_checked(n, v) for n, v in (("x", x), ("a", a), ("b", b), ("m", m)))
    c, s = _checked("c", c, positive=True), _checked("s", s, positive=True)
    return _out(-0.5 * np.log(2 * np.pi * c) - ((x - a * m - b) ** 2 + (a * s) ** 2) / (2 * c))


def kl_to_prior(m: Any, s: Any) -> float | np.ndarray:
    """KL(N(m, s²) ‖ N(0, 1)) = ½(s² + m² − 1) − log s, the notes' §4 with g = m, h = s².

    Written as ½(s² − 1 − log s²) + ½m², with s² − 1 − log s² computed through ``log1p`` so
    that it stays accurate (and non-negative) as s → 1.

    Examples
    --------
    >>> kl_to_prior(0.0, 1.0)
    0.0
    >>> round(kl_to_prior(1.0, 1.0), 12)
    0.5
    """
    m, s = _checked("m", m), _checked("s", s, positive=True)
    return _out(0.5 * _t_minus_log_t(s * s) + 0.5 * m * m)


def _t_minus_log_t(t: np.ndarray) -> np.ndarray:
    """t − 1 − log t, accurate near t = 1."""
    d = t - 1.0
    return np.where(np.abs(d) < 0.5, d - np.log1p(d), t - 1.0 - np.log(t))


def elbo(x: Any, a: Any, b: Any, c: Any, m: Any, s: Any) -> float | np.ndarray:
    """The evidence lower bound E_q[log p(x|z)] − KL(q(z|x) ‖ p(z)) of the notes' §2.

    Examples
    --------
    At the exact posterior the bound is tight:

    >>> mean, var = posterior(0.3, 1.2, 0.1, 0.5)
    >>> bool(abs(elbo(0.3, 1.2, 0.1, 0.5, mean, var**0.5) - log_evidence(0.3, 1.2, 0.1, 0.5))
    ...      < 1e-14)
    True
    """
    return _out(np.asarray(reconstruction(x, a, b, c, m, s)) - np.asarray(kl_to_prior(m, s)))


def kl_to_posterior(x: Any, a: Any, b: Any, c: Any, m: Any, s: Any) -> float | np.ndarray:
    """KL(q(z|x) ‖ p(z|x)) = KL(N(m, s²) ‖ N(μ, v)) with the exact posterior (μ, v).

    .. math:: \\tfrac12\\Big(\\frac{s^2}{v} - 1 - \\log\\frac{s^2}{v}\\Big)
              + \\frac{(m - \\mu)^2}{2 v}

    the notes' §3 result with σ₁ = s, σ₂ = √v.

    Examples
    --------
    >>> mean, var = posterior(0.3, 1.2, 0.1, 0.5)
    >>> kl_to_posterior(0.3, 1.2, 0.1, 0.5, mean, var**0.5)
    0.0
    """
    m, s = _checked("m", m), _checked("s", s, positive=True)
    mean, var = posterior(x, a, b, c)
    mean, var = np.asarray(mean), np.asarray(var)
    ratio = s * s / var
    return _out(0.5 * _t_minus_log_t(ratio) + (m - mean) ** 2 / (2 * var))


def evidence_identity_error(x: Any, a: Any, b: Any, c: Any, m: Any, s: Any) -> float:
    """The largest error of log p(x) = ELBO + KL(q‖p(z|x)), relative to the terms' size.

    Returns ``max |log p(x) − ELBO − KL| / max(1, |log p(x)|, |E_q log p(x|z)|, KL(q‖p(z)),
    KL(q‖p(z|x)))`` over the broadcast arguments: the error measured against the largest
    quantity that enters the identity, since each is only known to about 1e-16 of its size.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> args = [rng.uniform(-3, 3, 100) for _ in range(3)]
    >>> c, m, s = rng.uniform(0.1, 3, 100), rng.uniform(-3, 3, 100), rng.uniform(0.1, 3, 100)
    >>> bool(evidence_identity_error(*args, c, m, s) < 1e-12)
    True
    """
    lp = np.asarray(log_evidence(x, a, b, c))
    rec = np.asarray(reconstruction(x, a, b, c, m, s))
    klp = np.asarray(kl_to_prior(m, s))
    klq = np.asarray(kl_to_posterior(x, a, b, c, m, s))
    scale = np.maximum.reduce([np.ones_like(lp), np.abs(lp), np.abs(rec), klp, klq])
    return float(np.max(np.abs(lp - (rec - klp + klq)) / scale))


# ---------------------------------------------------------------------------------------------
# the instance as SymPy expressions


@dataclass(frozen=True)
class LinearGaussianSymbols:
    """The instance's parameters as SymPy symbols.

    ``q_mean`` and ``q_var`` are the encoder's mean and variance, (m, s²); ``q_symbols`` the
    symbols they are made of.
    """

    a: sp.Symbol
    b: sp.Symbol
    c: sp.Symbol
    q_mean: sp.Expr
    q_var: sp.Expr
    q_symbols: tuple[sp.Symbol, ...]

    @property
    def all(self) -> tuple[sp.Symbol, ...]:
        """Every parameter symbol of the instance."""
        return (self.a, self.b, self.c, *self.q_symbols)


def instance_symbols(existing: Mapping[str, sp.Symbol] | None = None) -> LinearGaussianSymbols:
    """The instance's parameter symbols, distinct from every name of a derivation.

    The parameters are ``a, b`` (real), ``c`` (positive), ``m`` (real), ``s`` (positive),
    with q(z|x) = N(m, s²). The instance never takes a derivation's symbol for one of its
    own because of its letter: a name the derivation already uses (``existing``) is
    suffixed with ``_instance``, so the instance is the same whatever the derivation's
    names.

    Examples
    --------
    >>> import sympy as sp
    >>> instance_symbols().q_var
    s**2
    >>> m = sp.Symbol("m", real=True)
    >>> instance_symbols({"m": m}).q_mean
    m_instance
    """
    taken = set(existing or {})

    def fresh(name: str, positive: bool) -> sp.Symbol:
        while name in taken:
            name += "_instance"
        return sp.Symbol(name, positive=True) if positive else sp.Symbol(name, real=True)

    a, b, c = fresh("a", False), fresh("b", False), fresh("c", True)
    m, s = fresh("m", False), fresh("s", True)
    return LinearGaussianSymbols(a, b, c, m, s**2, (m, s))


def gaussian_density(v: sp.Expr, mean: sp.Expr, var: sp.Expr) -> sp.Expr:
    """N(v; mean, var) = exp(−(v − mean)²/(2 var)) / √(2π var) as a SymPy expression.

    Examples
    --------
    >>> import sympy as sp
    >>> z = sp.Symbol("z", real=True)
    >>> sp.integrate(gaussian_density(z, 0, 1), (z, -sp.oo, sp.oo))
    1
    """
    return sp.exp(-((v - mean) ** 2) / (2 * var)) / sp.sqrt(2 * sp.pi * var)


_SIGNATURE = re.compile(r"^([A-Za-z]\w*)\(([^|()]*)(?:\|([^|()]*))?\)$")


def _parse_signature(name: str) -> tuple[str, tuple[str, ...], tuple[str, ...]] | None:
    m = _SIGNATURE.match(name.replace(" ", ""))
    if m is None:
        return None
    head, variables, given = m.group(1), m.group(2), m.group(3) or ""
    return (head, tuple(t for t in variables.split(",") if t),
            tuple(t for t in given.split(",") if t))


def density_expressions(
    params: LinearGaussianSymbols | None = None,
) -> dict[str, Callable[..., sp.Expr]]:
    """The instance's densities, by signature, as functions of the density's arguments.

    Each value takes the arguments of the applied density in the order of its signature
    (``"p(x|z)"`` takes ``(x, z)``) and returns a SymPy expression in them and the instance
    parameters ``params``. The keys are those of :data:`SIGNATURES`.

    Examples
    --------
    >>> import sympy as sp
    >>> x, z = sp.symbols("x z", real=True)
    >>> dens = density_expressions()
    >>> sp.simplify(sp.integrate(dens["p(z|x)"](z, x), (z, -sp.oo, sp.oo)))
    1
    """
    P = params or instance_symbols()
    a, b, c = P.a, P.b, P.c

    def q(z: sp.Expr, *_: sp.Expr) -> sp.Expr:
        return gaussian_density(z, P.q_mean, P.q_var)

    def prior(z: sp.Expr) -> sp.Expr:
        return gaussian_density(z, 0, 1)

    def likelihood(x: sp.Expr, z: sp.Expr) -> sp.Expr:
        return gaussian_density(x, a * z + b, c)

    def post(z: sp.Expr, x: sp.Expr) -> sp.Expr:
        return gaussian_density(z, a * (x - b) / (a**2 + c), c / (a**2 + c))

    def evidence(x: sp.Expr) -> sp.Expr:
        return gaussian_density(x, b, a**2 + c)

    return {
        "q(z|x)": q,
        "q(z)": q,
        "p(z)": prior,
        "p(x|z)": likelihood,
        "p(z|x)": post,
        "p(x)": evidence,
        "p(x,z)": lambda x, z: likelihood(x, z) * prior(z),
        "p(z,x)": lambda z, x: likelihood(x, z) * prior(z),
        "f(z)": lambda z: a * z + b,
    }


def _canonical(name: str, nargs: int) -> str | None:
    """The :data:`SIGNATURES` key for a function name applied to ``nargs`` arguments."""
    key = name.replace(" ", "")
    parsed = _parse_signature(key)
    if key not in SIGNATURES or parsed is None:
        return None
    _, variables, given = parsed
    return key if len(variables) + len(given) == nargs else None


def role_keys(expr: sp.Expr) -> dict[sp.Expr, str]:
    """The instance's key for each density of ``expr`` read from its role, whatever its letters.

    The latent variable is the one expectations are taken over (failing that, the variable
    of a family with a single, conditional density, or the argument of an abstract real
    function); any
    other variable is the data. A family with one density of the latent variable is the
    variational q; every other family is the model p (its joint, conditionals and marginals).
    An abstract real function of the latent variable is the decoder mean f. Densities that
    fit no role are left out.

    Examples
    --------
    >>> import sympy as sp
    >>> u, w = sp.symbols("u w", real=True)
    >>> r = sp.Function("r(w|u)", positive=True)(w, u)
    >>> lik = sp.Function("P(u|w)", positive=True)(u, w)
    >>> from elbo_derivation.core.expectation import Expectation
    >>> sorted(role_keys(Expectation(sp.log(lik), w, r)).values())
    ['p(x|z)', 'q(z|x)']
    """
    from elbo_derivation.core.expectation import Expectation

    densities: dict[sp.Expr, tuple[str, tuple, tuple]] = {}
    functions: list[sp.Expr] = []
    for node in expr.atoms(AppliedUndef):
        parsed = _parse_signature(node.func.__name__)
        if parsed is not None and node.is_positive:
            stem, given, cond = parsed
            if [str(a) for a in node.args] == [*given, *cond]:
                densities[node] = (stem, node.args[: len(given)], node.args[len(given):])
                continue
        if len(node.args) == 1 and node.is_real and not node.is_positive:
            functions.append(node)  # (a positive function is a density, never f)
    expectations = [n for n in sp.preorder_traversal(expr) if isinstance(n, Expectation)]
    over = {n.variable for n in expectations}
    over_stems = {densities[n.density][0] for n in expectations if n.density in densities}
    stems: dict[str, set[sp.Expr]] = {}
    for node, (stem, _, _) in densities.items():
        stems.setdefault(stem, set()).add(node)
    variables = {v for _, g, c in densities.values() for v in (*g, *c)}
    single = {densities[next(iter(ns))][1][0] for ns in stems.values()
              if len(ns) == 1 and len(densities[next(iter(ns))][1]) == 1
              and densities[next(iter(ns))][2]}  # a lone conditional q(z|x): z is latent
    latent = None
    for sign in (over, single & variables, {f.args[0] for f in functions} & variables):
        if len(sign) == 1:
            latent = next(iter(sign))
            break
    if latent is None or len(variables - {latent}) > 1:
        return {}
    data = next(iter(variables - {latent}), None)
    name = {latent: "z", data: "x"}
    lone = {stem for stem, ns in stems.items() if len(ns) == 1
            and densities[next(iter(ns))][1] == (latent,)}
    # the variational family: a lone density of the latent variable that expectations are
    # over; without expectations, the only lone one (two would be ambiguous)
    chosen = (lone & over_stems) or (lone if len(lone) == 1 and not over_stems else set())
    if len(lone) > 1 and not chosen:
        return {}
    out: dict[sp.Expr, str] = {}
    for node, (stem, given, cond) in densities.items():
        variational = stem in chosen and len(stems) > 1
        letter = "q" if variational else "p"
        key = (f"{letter}({','.join(name[v] for v in given)}"
               + ("|" + ",".join(name[v] for v in cond) if cond else "") + ")")
        if key in SIGNATURES and (letter == "p" or key in ("q(z|x)", "q(z)")):
            out[node] = key
    for f in functions:
        if f.args[0] == latent:
            out[f] = "f(z)"
    return out


def instance_keys(expr: sp.Expr) -> dict[sp.Expr, str | None]:
    """What each abstract function of ``expr`` becomes in the instance: a key of
    :data:`SIGNATURES`, or None where the instance has nothing for it.

    Every function is known by its role (:func:`role_keys`: the variable expectations are
    taken over, which density is the variational one, which function is the decoder's
    mean), so a renamed derivation gets the same instance; only where the roles cannot be
    told is a density written with the notes' own signature (``q(z|x)``) known by it.

    Examples
    --------
    >>> import sympy as sp
    >>> u, w = sp.symbols("u w", real=True)
    >>> from elbo_derivation.core.expectation import Expectation
    >>> r = sp.Function("r(w|u)", positive=True)(w, u)
    >>> lik = sp.Function("P(u|w)", positive=True)(u, w)
    >>> F = sp.Function("F", real=True)(w)
    >>> sorted(instance_keys(Expectation(F**2 * sp.log(lik), w, r)).values())
    ['f(z)', 'p(x|z)', 'q(z|x)']
    """
    found = sorted(expr.atoms(AppliedUndef), key=str)
    roles = role_keys(expr)
    return {f: roles.get(f) or _canonical(f.func.__name__, len(f.args)) for f in found}


def instance_parameters(key: str, params: LinearGaussianSymbols) -> tuple[sp.Symbol, ...]:
    """The instance's parameters that the density or function ``key`` depends on: what
    moves when a step is taken "with respect to" it (in the order of ``params.all``).

    >>> P = instance_symbols()
    >>> instance_parameters("q(z|x)", P), instance_parameters("f(z)", P)
    ((m, s), (a, b))
    """
    stem = _parse_signature(key)
    n = len(stem[1]) + len(stem[2]) if stem is not None else 1
    dummies = [sp.Dummy(real=True) for _ in range(n)]
    free = sp.S(density_expressions(params)[key](*dummies)).free_symbols
    return tuple(p for p in params.all if p in free)


def instantiate(expr: sp.Expr, params: LinearGaussianSymbols | None = None,
                keys: Mapping[sp.Expr, str | None] | None = None) -> sp.Expr:
    """Replace every abstract density in ``expr`` by the linear-Gaussian instance.

    Undefined functions are recognised by their roles (:func:`instance_keys`): the
    variational density, the model's prior, likelihood, posterior, evidence and joint, and a
    real function of the latent variable (the decoder's mean), whatever their letters.

    ``keys`` (from :func:`instance_keys` of the whole derivation) gives every function the
    same instance in every step; a function it lacks is keyed from ``expr`` alone.

    Raises
    ------
    UnknownDensityError
        naming every function the instance does not know.

    Examples
    --------
    >>> import sympy as sp
    >>> x, z = sp.symbols("x z", real=True)
    >>> lik = sp.Function("p(x|z)", positive=True)(x, z)
    >>> q = sp.Function("q(z|x)", positive=True)(z, x)
    >>> from elbo_derivation.core.expectation import Expectation
    >>> instantiate(Expectation(sp.log(lik), z, q)).integrand
    log(sqrt(2)*exp(-(-a*z - b + x)**2/(2*c))/(2*sqrt(pi)*sqrt(c)))
    >>> instantiate(sp.Function("r(z)")(z))
    Traceback (most recent call last):
    ...
    elbo_derivation.numeric.linear_gaussian.UnknownDensityError: no linear-Gaussian instance of r(z)
    """
    params = params or instance_symbols()
    found = sorted(expr.atoms(AppliedUndef), key=str)
    own = instance_keys(expr)
    keys = {f: (keys or {}).get(f) or own[f] for f in found}
    unknown = [f for f in found if keys[f] is None]
    if unknown:
        names = ", ".join(sorted({u.func.__name__ for u in unknown}))
        raise UnknownDensityError(f"no linear-Gaussian instance of {names}")
    mapping = {}
    for f in found:
        key = (f, params, keys[f])  # the role too: p(x) alone is a prior, beside p(x|z) data
        if key not in _INSTANCES:
            if len(_INSTANCES) > 1024:
                _INSTANCES.clear()
            dens = density_expressions(params)
            _INSTANCES[key] = dens[keys[f]](*f.args)  # type: ignore[index]
        mapping[f] = _INSTANCES[key]
    return expr.xreplace(mapping)


def substitutions(
    functions: Mapping[str, sp.Expr], params: LinearGaussianSymbols | None = None
) -> dict[sp.Expr, sp.Expr]:
    """The substitution map {applied density: its linear-Gaussian expression}.

    ``functions`` maps signatures to applied undefined functions, as
    :attr:`Derivation.functions` does (``{"q(z|x)": q(z, x), ...}``); ``expr.xreplace`` with
    the result instantiates any expression in them.

    Raises
    ------
    UnknownDensityError
        naming every function the instance does not know.

    Examples
    --------
    >>> import sympy as sp
    >>> x, z = sp.symbols("x z", real=True)
    >>> fs = {"p(z)": sp.Function("p(z)", positive=True)(z),
    ...       "p(x)": sp.Function("p(x)", positive=True)(x)}
    >>> subs = substitutions(fs)
    >>> subs[fs["p(z)"]]
    sqrt(2)*exp(-z**2/2)/(2*sqrt(pi))
    >>> subs[fs["p(x)"]]
    sqrt(2)*exp(-(-b + x)**2/(2*a**2 + 2*c))/(2*sqrt(pi)*sqrt(a**2 + c))
    """
    applied = list(functions.values())
    keys = instance_keys(sp.Add(*applied)) if applied else {}  # roles from all of them
    return {f: instantiate(f, params, keys) for f in applied}


#: Instantiated densities, by applied function and parameters (building them is not free).
_INSTANCES: dict[tuple[sp.Expr, LinearGaussianSymbols, str | None], sp.Expr] = {}
