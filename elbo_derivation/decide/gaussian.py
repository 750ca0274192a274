"""Exact Gaussian integrals, without ``sympy.integrate``.

The integrals of the notes' §3 all have the shape ∫ exp(Q(x)) · P(x) dx over the real line,
where Q is a quadratic in x with a negative leading coefficient (a Gaussian density, with or
without its normaliser) and P is a polynomial in x — possibly written as the logarithm of a
Gaussian density, which is a polynomial in x once the logarithm is expanded. Completing the
square, Q(x) = c' − (x − m)² / (2s²), and substituting x = m + s·u turns the integral into

    exp(c') · sqrt(2π s²) · E[P(m + s·u)],   u ~ N(0, 1),

where the raw moments of N(m, s²) satisfy M₀ = 1, M₁ = m and M_k = m·M_{k−1} + (k − 1)·s²·M_{k−2}
(Stein's identity; e.g. Papoulis & Pillai, *Probability, Random Variables and Stochastic
Processes*, §5-4). The whole computation is polynomial arithmetic, so it takes milliseconds where
``sympy.integrate`` takes ten seconds or more on the raw KL integrand.

Nothing is assumed about the normaliser: an integrand whose Gaussian factor lacks 1/sqrt(2π)
gets the mathematically right value (sqrt(2π) times larger), so a wrong normaliser in a
derivation is refuted rather than silently fixed. Logarithms are expanded only where that is
sound: log(exp(Q)·R) = Q + log R needs Q real and R positive, both checked through the
symbols' assumptions.

Examples
--------
>>> import sympy as sp
>>> x, mu = sp.symbols("x mu", real=True)
>>> sigma = sp.Symbol("sigma", positive=True)
>>> p = gaussian_density(x, mu, sigma)
>>> gaussian_integral(p * x**2, x)
mu**2 + sigma**2
>>> entropy = -gaussian_integral(p * sp.log(p), x)
>>> sp.expand(entropy - sp.log(2*sp.pi*sp.E*sigma**2)/2)
0
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp
from sympy.core.function import AppliedUndef

from elbo_derivation.core.expectation import Expectation
from elbo_derivation.core.gaussian_form import GaussianForm, polynomial_coefficients
from elbo_derivation.core.timeout import check_deadline

__all__ = [
    "NotGaussianError",
    "evaluate_gaussian_integrals",
    "gaussian_density",
    "gaussian_integral",
    "gaussian_integrals_at_point",
    "integral_nodes",
    "normal_moment",
    "polynomial_coefficients",
]

#: Largest integer power of an x-dependent factor the evaluator expands.
MAX_POWER = 64
#: Largest number of exp(Q)·R terms an integrand may split into.
MAX_TERMS = 400


class NotGaussianError(ValueError):
    """The integrand is not (a sum of) Gaussian factors times polynomials in the variable."""


def gaussian_density(x: sp.Expr, mu: sp.Expr, sigma: sp.Expr) -> sp.Expr:
    """The normal density N(x; μ, σ²) = exp(−(x − μ)² / (2σ²)) / sqrt(2πσ²), written out.

    Parameters
    ----------
    x : sympy.Expr
        the variable.
    mu : sympy.Expr
        the mean.
    sigma : sympy.Expr
        the standard deviation (declare it ``positive=True``).

    Returns
    -------
    sympy.Expr

    Examples
    --------
    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> gaussian_density(x, 0, 1)
    sqrt(2)*exp(-x**2/2)/(2*sqrt(pi))
    """
    mu, sigma = sp.S(mu), sp.S(sigma)
    return sp.exp(-((x - mu) ** 2) / (2 * sigma**2)) / sp.sqrt(2 * sp.pi * sigma**2)


def normal_moment(k: int, mean: sp.Expr = 0, variance: sp.Expr = 1) -> sp.Expr:
    """The raw moment E[X^k] of X ~ N(mean, variance).

    Uses M₀ = 1, M₁ = m, M_k = m·M_{k−1} + (k − 1)·v·M_{k−2}; for the standard normal this
    gives E[u^k] = (k − 1)!! for even k and 0 for odd k.

    Parameters
    ----------
    k : int
        the order, ``k >= 0``.
    mean, variance : sympy.Expr
        the parameters m and v = s² of the normal distribution.

    Returns
    -------
    sympy.Expr
        the moment, expanded.

    Raises
    ------
    ValueError
        if ``k`` is negative or not an integer.

    Examples
    --------
    >>> import sympy as sp
    >>> [normal_moment(k) for k in range(7)]
    [1, 0, 1, 0, 3, 0, 15]
    >>> mu, s = sp.Symbol("mu", real=True), sp.Symbol("sigma", positive=True)
    >>> normal_moment(2, mu, s**2)
    mu**2 + sigma**2
    """
    if not isinstance(k, int) or k < 0:
        raise ValueError(f"k must be a non-negative integer, got {k!r}")
    return _moments(k, sp.S(mean), sp.S(variance))[k]


def _moments(k: int, m: sp.Expr, v: sp.Expr) -> list[sp.Expr]:
    out = [sp.S.One, m]
    for j in range(2, k + 1):
        out.append(sp.expand(m * out[j - 1] + (j - 1) * v * out[j - 2]))
    return out[: k + 1]


# --- splitting an integrand into Σ exp(Q_i) · R_i ------------------------------------------

_Term = tuple[sp.Expr, sp.Expr]  # (Q, R): the term exp(Q) * R


def _is_quadratic(q: sp.Expr, x: sp.Symbol) -> bool:
    coeffs = polynomial_coefficients(q, x)
    return coeffs is not None and max(coeffs, default=0) <= 2


def _mul_terms(a: list[_Term], b: list[_Term]) -> list[_Term]:
    if len(a) * len(b) > MAX_TERMS:
        raise NotGaussianError("the integrand splits into too many terms")
    return [(qa + qb, ra * rb) for qa, ra in a for qb, rb in b]


def _decompose(expr: sp.Expr, x: sp.Symbol) -> list[_Term]:
    """Write ``expr`` as Σ exp(Q_i)·R_i with Q_i quadratic in x and R_i free of exp and log of x."""
    if not expr.has(x):
        return [(sp.S.Zero, expr)]
    if expr == x:
        return [(sp.S.Zero, x)]
    if expr.is_Add:
        out: list[_Term] = []
        for arg in expr.args:
            out.extend(_decompose(arg, x))
            if len(out) > MAX_TERMS:
                raise NotGaussianError("the integrand splits into too many terms")
        return out
    if expr.is_Mul:
        out = [(sp.S.Zero, sp.S.One)]
        for arg in expr.args:
            out = _mul_terms(out, _decompose(arg, x))
        return out
    if isinstance(expr, sp.exp):
        q = expr.args[0]
        if not _is_quadratic(q, x):
            raise NotGaussianError(f"exp({q}) is not the exponential of a quadratic in {x}")
        if q.is_extended_real is not True:
            raise NotGaussianError(f"cannot tell that {q} is real")
        return [(q, sp.S.One)]
    if expr.is_Pow:
        base, e = expr.args
        if e.has(x):
            raise NotGaussianError(f"{x} appears in the exponent of {expr}")
        if base == x and not e.is_Integer:
            # x^p, a symbolic power: a factor R of its own (not a polynomial: only the
            # half-line moments of _even_integral take it, ∫₀^∞ x^p e^(−ax²) dx)
            return [(sp.S.Zero, expr)]
        if e.is_Integer and e >= 0:
            if e > MAX_POWER:
                raise NotGaussianError(f"the power {e} is too large to expand")
            parts = _decompose(base, x)
            if len(parts) > 1:
                out = [(sp.S.Zero, sp.S.One)]
                for _ in range(int(e)):
                    out = _mul_terms(out, parts)
                return out
            q, r = parts[0]
            return [(e * q, r**e)]
        parts = _decompose(base, x)
        if len(parts) == 1:
            q, r = parts[0]
            # (exp(Q)·R)^e = exp(e·Q)·R^e for real Q and R > 0 (or an integer e, R ≠ 0).
            if not r.has(x) and q.is_extended_real is True and (
                r.is_positive is True or (e.is_integer is True and r.is_zero is False)
            ):
                return [(e * q, r**e)]
        raise NotGaussianError(f"cannot integrate the factor {expr}")
    if isinstance(expr, sp.log):
        parts = _decompose(expr.args[0], x)
        if len(parts) == 1:
            q, r = parts[0]
            # log(exp(Q)·R) = Q + log R for real Q and R > 0.
            if not r.has(x) and q.is_extended_real is True and r.is_positive is True:
                return [(sp.S.Zero, q + sp.log(r))]
        raise NotGaussianError(f"cannot expand {expr} into a polynomial in {x}")
    raise NotGaussianError(f"cannot integrate the factor {expr}")


def gaussian_integral(integrand: sp.Expr, x: sp.Symbol) -> sp.Expr:
    """∫ integrand dx over the real line, exactly, for Gaussian factors times polynomials.

    The integrand must be a sum of terms exp(Q(x)) · P(x): Q a quadratic in ``x`` whose
    leading coefficient is provably negative, P a polynomial in ``x`` — where P may be written
    with logarithms of Gaussian densities (log p, log(p₁/p₂), log(1/Z), ...), expanded soundly
    using the symbols' assumptions. Normalisers are never assumed: the value returned is the
    integral as written.

    Parameters
    ----------
    integrand : sympy.Expr
        the function to integrate.
    x : sympy.Symbol
        the integration variable (it is treated as real).

    Returns
    -------
    sympy.Expr
        the value of the integral, free of ``x``.

    Raises
    ------
    NotGaussianError
        if the integrand does not have that shape (or its leading coefficient cannot be shown
        negative, or it is too large to expand).

    Examples
    --------
    >>> import sympy as sp
    >>> x, mu1, mu2 = sp.symbols("x mu1 mu2", real=True)
    >>> s1, s2 = sp.symbols("sigma1 sigma2", positive=True)
    >>> p1, p2 = gaussian_density(x, mu1, s1), gaussian_density(x, mu2, s2)
    >>> gaussian_integral(p1, x)
    1
    >>> kl = gaussian_integral(p1 * sp.log(p1 / p2), x)
    >>> closed = sp.log(s2 / s1) + (s1**2 + (mu1 - mu2)**2) / (2 * s2**2) - sp.Rational(1, 2)
    >>> sp.expand(sp.expand_log(kl - closed))
    0

    A density without its 1/sqrt(2π) integrates to sqrt(2π)·σ, not to 1:

    >>> gaussian_integral(sp.exp(-x**2 / (2 * s1**2)) / s1, x)
    sqrt(2)*sqrt(pi)
    """
    return _gaussian_integral_cached(sp.S(integrand), x)


@lru_cache(maxsize=512)
def _gaussian_integral_cached(integrand: sp.Expr, x: sp.Symbol) -> sp.Expr:
    u = sp.Dummy("x", real=True)
    f = integrand.xreplace({x: u})
    groups: dict[sp.Expr, sp.Expr] = {}
    for q, r in _decompose(f, u):
        q = sp.expand(q)
        groups[q] = groups.get(q, sp.S.Zero) + r
    total = sp.S.Zero
    for q, r in groups.items():
        if r == 0:
            continue
        coeffs = polynomial_coefficients(q, u)
        if coeffs is None or max(coeffs, default=0) != 2:
            if sp.expand(r) == 0:
                continue
            raise NotGaussianError(
                "a term has no Gaussian factor exp(-a x² + ...), so the integral diverges "
                "or is not of Gaussian form"
            )
        a, b, c = (coeffs.get(k, sp.S.Zero) for k in (2, 1, 0))
        if a.is_negative is not True:
            raise NotGaussianError(f"cannot show that the coefficient {a} of {x}² is negative")
        form = GaussianForm.from_coefficients(a, b, c, reduce=sp.cancel)
        m, v = form.mean, form.variance
        scale = sp.exp(form.peak) * sp.sqrt(2 * sp.pi * v)
        poly_r = polynomial_coefficients(r, u)
        if poly_r is None:
            raise NotGaussianError(f"the factor {r.xreplace({u: x})} is not a polynomial in {x}")
        degree = max(poly_r, default=0)
        if degree > MAX_POWER:
            raise NotGaussianError(f"the polynomial factor has degree {degree}")
        moments = _moments(max(degree, 1), m, v)
        mean = sp.Add(*[coef * moments[k] for k, coef in poly_r.items()])
        total += scale * mean
    return total


def _integrate_node(node: sp.Expr) -> sp.Expr | None:
    """The value of one Integral / Expectation node over ℝ, or None if it is not Gaussian."""
    if isinstance(node, Expectation) and node.integrand.has(sp.Piecewise):
        # an indicator of a bound on the variable (P(z ≤ u) = E[1{z ≤ u}]): over a half line
        node = node.as_integral()
    if isinstance(node, Expectation):
        integrand, var = node.density * node.integrand, node.variable
    elif isinstance(node, sp.Integral):
        if len(node.limits) != 1 or len(node.limits[0]) != 3:
            return None
        var, lo, hi = node.limits[0]
        integrand = node.function
        if lo == 0 and hi == sp.oo and integrand.has(sp.log(var)):
            # a log-normal form: y = e^u maps (0, ∞) onto ℝ exactly, dy = e^u du, and
            # log(e^u) = u for real u, so a Gaussian in log y becomes a Gaussian in u
            u = sp.Dummy("u", real=True)
            integrand, var, lo = integrand.xreplace({var: sp.exp(u)}) * sp.exp(u), u, -sp.oo
        if (lo == -sp.oo) != (hi == sp.oo) and var.is_real:
            return _half_line_integral(integrand, var, lo, hi)
        if lo != -sp.oo or hi != sp.oo:
            return None
    else:
        return None
    try:
        return gaussian_integral(integrand, var)
    except (NotGaussianError, sp.PolynomialError, sp.GeneratorsNeeded):
        pass
    if integrand.has(sp.Abs) and var.is_real:
        # E|x|ᵏ of a centred normal: an even integrand over ℝ, twice a half-Gaussian moment
        try:
            return _even_integral(integrand, var)
        except (NotGaussianError, sp.PolynomialError, sp.GeneratorsNeeded):
            return None
    return None


def _quadratic_in(exponent: sp.Expr, z: sp.Symbol) -> bool:
    """Whether ``exponent`` is a polynomial of degree 2 in ``z`` (a Gaussian's exponent)."""
    if not exponent.has(z):
        return False
    try:
        return sp.Poly(exponent, z).degree() == 2
    except (sp.PolynomialError, sp.GeneratorsNeeded):
        return False


def _half_line_integral(integrand: sp.Expr, z: sp.Symbol, lo: sp.Expr,
                        hi: sp.Expr) -> sp.Expr | None:
    """∫ integrand dz over a half line, (−∞, hi] or [lo, ∞) with the finite end any real
    expression free of z, for a sum of terms P(z)·exp(Q(z)) whose quadratic Q has a leading
    coefficient −α provably negative: exactly, through the error function (the normal
    distribution function, ∫_{−∞}^{u} N(z; m, s²) dz = Φ((u − m)/s)); None otherwise."""
    if any(end.has(z) or not (end.is_infinite or end.is_real) for end in (lo, hi)):
        return None
    if integrand.has(sp.Integral, Expectation, AppliedUndef, sp.Piecewise):
        return None
    if not any(_quadratic_in(e.args[0], z) for e in integrand.atoms(sp.exp)):
        return None  # no Gaussian factor: not this rule's (and not worth expanding)
    total = sp.S.Zero
    for term in sp.Add.make_args(_terms_of(integrand)):
        if term == 0:
            continue
        got = _gaussian_term(sp.powsimp(term, combine="exp"), z, lo, hi)
        if got is None:
            return None
        total += got
    return total


def _even_integral(integrand: sp.Expr, x: sp.Symbol) -> sp.Expr | None:
    """∫ integrand dx over ℝ for an integrand even in x (|x| in it): twice its integral over
    (0, ∞), where |x| = x, term by term ∫₀^∞ xᵏ e^(−ax² + c) dx = e^c Γ((k + 1)/2)/(2a^((k+1)/2))
    (u = x², the Gamma integral); None when it is not even or not of that shape.

    >>> x, s = sp.Symbol("x", real=True), sp.Symbol("s", positive=True)
    >>> _even_integral(sp.Abs(x) * gaussian_density(x, 0, s), x)
    sqrt(2)*s/sqrt(pi)
    >>> _even_integral(sp.Abs(x) * gaussian_density(x, 1, s), x) is None
    True
    """
    u = sp.Dummy("x", positive=True)
    half = integrand.xreplace({x: u})
    if sp.expand(integrand.xreplace({x: -u}) - half) != 0:
        return None
    total = sp.S.Zero
    for q, r in _decompose(half, u):
        coeffs = polynomial_coefficients(sp.expand(q), u)
        poly = polynomial_coefficients(sp.expand(r), u) or _one_power(r, u)
        if coeffs is None or poly is None or set(coeffs) - {0, 2}:
            return None
        a = -coeffs.get(2, sp.S.Zero)
        if a.is_positive is not True:
            return None
        for k, c in poly.items():
            h = (sp.S(k) + 1) / 2
            total += c * sp.exp(coeffs.get(0, sp.S.Zero)) * sp.gamma(h) / (2 * a ** h)
    return 2 * total


def _one_power(r: sp.Expr, u: sp.Symbol) -> dict[sp.Expr, sp.Expr] | None:
    """``{k: c}`` for ``r = c·u^k`` with a symbolic exponent k > −1 (E|g|^p of a normal for
    any p > 0, Vershynin 2018 §2.5.1), so that ∫₀^∞ u^k e^(−au²) du converges; else None.

    >>> u, p = sp.Symbol("u", positive=True), sp.Symbol("p", positive=True)
    >>> _one_power(3 * u**p, u), _one_power(u**(p - 2), u)
    ({p: 3}, None)
    """
    c, k = sp.powsimp(sp.expand(r)).as_coeff_exponent(u)
    if c.has(u) or k.has(u) or (k + 1).is_positive is not True:
        return None
    return {k: c}


def evaluate_gaussian_integrals(expr: sp.Expr) -> tuple[sp.Expr, int]:
    """Replace every Gaussian ``Integral`` over ℝ and ``Expectation`` in ``expr`` by its value.

    Nodes are evaluated innermost first; a node that is not of Gaussian form is left as it is.

    Parameters
    ----------
    expr : sympy.Expr

    Returns
    -------
    (sympy.Expr, int)
        the new expression and the number of nodes evaluated.

    Examples
    --------
    >>> import sympy as sp
    >>> x, mu = sp.symbols("x mu", real=True)
    >>> s = sp.Symbol("sigma", positive=True)
    >>> p = gaussian_density(x, mu, s)
    >>> evaluate_gaussian_integrals(sp.Integral(p * x, (x, -sp.oo, sp.oo)) + 1)
    (mu + 1, 1)
    >>> evaluate_gaussian_integrals(Expectation(x**2, x, p))
    (mu**2 + sigma**2, 1)
    >>> evaluate_gaussian_integrals(sp.Integral(p * x, (x, 0, 1)))[1]
    0
    """
    count = 0

    def visit(node: sp.Basic) -> sp.Basic:
        nonlocal count
        if not node.args or not node.has(sp.Integral, Expectation):
            return node
        new_args = tuple(visit(a) for a in node.args)
        if new_args != node.args:
            node = node.func(*new_args)
        if isinstance(node, (sp.Integral, Expectation)):
            value = _integrate_node(node)
            if value is not None:
                count += 1
                return value
        return node

    return visit(expr), count


def integral_nodes(expr: sp.Expr) -> list[sp.Expr]:
    """The Integral and Expectation nodes of ``expr`` (outermost first)."""
    found: list[sp.Expr] = []
    stack: list[sp.Basic] = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, (sp.Integral, Expectation)):
            found.append(node)
            continue
        stack.extend(node.args)
    return found


# --- Gaussian integrals at a numeric point --------------------------------------------------

def _gaussian_term(term: sp.Expr, z: sp.Symbol, lo: sp.Expr = sp.S.NegativeInfinity,
                   hi: sp.Expr = sp.S.Infinity) -> sp.Expr | None:
    """∫_lo^hi term dz (the real line by default) for term = P(z)·exp(Q(z)), P a polynomial,
    Q = −αz² + βz + γ with α > 0 a number, ``lo`` < ``hi`` numbers or infinite: exact, by
    completing the square (over part of the line through the error function,
    :func:`_truncated_moments`); None for any other term (or α ≤ 0)."""
    exps = [f for f in sp.Mul.make_args(term) if isinstance(f, sp.exp) and f.has(z)]
    rest = sp.Mul(*[f for f in sp.Mul.make_args(term) if f not in exps])
    exponent = sp.expand(sp.Add(*[f.args[0] for f in exps]))
    try:
        q = sp.Poly(exponent, z) if exponent.has(z) else sp.Poly(exponent + 0 * z, z)
        p = sp.Poly(rest, z)
    except (sp.PolynomialError, sp.GeneratorsNeeded):
        return None
    if q.degree() > 2 or any(c.has(z) for c in (*q.all_coeffs(), *p.all_coeffs())):
        return None
    a2, a1, a0 = ([sp.S.Zero] * (3 - len(q.all_coeffs())) + q.all_coeffs())
    alpha = -a2
    if alpha.is_positive is not True:  # (a number at a point; a positive expression else)
        return None
    mu = a1 / (2 * alpha)
    scale = sp.exp(a0 + a1**2 / (4 * alpha))
    u = sp.Dummy("u")
    shifted = sp.Poly(sp.expand(p.as_expr().xreplace({z: u + mu})), u)
    total = sp.S.Zero
    if lo is sp.S.NegativeInfinity and hi is sp.S.Infinity:
        for (k,), c in shifted.terms():
            if k % 2 == 0:  # ∫ u^k e^{−αu²} du = Γ((k + 1)/2) / α^((k + 1)/2)
                total += c * sp.gamma(sp.Rational(k + 1, 2)) / alpha ** sp.Rational(k + 1, 2)
        return scale * total
    moments = _truncated_moments(alpha, lo - mu, hi - mu, shifted.degree())
    for (k,), c in shifted.terms():
        total += c * moments[k]
    return scale * total


def _truncated_moments(alpha: sp.Expr, a: sp.Expr, b: sp.Expr, n: int) -> list[sp.Expr]:
    """K_k = ∫_a^b u^k e^{−αu²} du for k = 0, …, n (α > 0; ``a`` < ``b`` numbers or ±∞),
    exactly: K_0 = √(π/α)/2 · (erf(√α b) − erf(√α a)) and, integrating d/du (u^k e^{−αu²})
    over [a, b], K_{k+1} = (k K_{k−1} − [u^k e^{−αu²}]_a^b) / (2α) (a term at ±∞ is 0).

    >>> u = sp.Symbol("u")
    >>> ks = _truncated_moments(sp.S(1), sp.S(0), sp.oo, 3)
    >>> [sp.simplify(k - sp.integrate(u**j * sp.exp(-u**2), (u, 0, sp.oo)))
    ...  for j, k in enumerate(ks)]
    [0, 0, 0, 0]
    """
    root = sp.sqrt(alpha)

    def edge(k: int) -> sp.Expr:  # [u^k e^{−αu²}]_a^b
        return sum((sign * end**k * sp.exp(-alpha * end**2)
                    for sign, end in ((1, b), (-1, a)) if end.is_finite), sp.S.Zero)

    moments = [sp.sqrt(sp.pi / alpha) / 2 * (sp.erf(root * b) - sp.erf(root * a))]
    for k in range(n):
        before = moments[k - 1] if k > 0 else sp.S.Zero
        moments.append((k * before - edge(k)) / (2 * alpha))
    return moments


def gaussian_integrals_at_point(expr: sp.Expr) -> sp.Expr | None:
    """``expr`` (numbers everywhere but the integration variables) with every integral over
    ℝ and every expectation evaluated exactly, innermost first, when each is of the form
    ∫ P(z)·exp(Q(z)) dz with a quadratic Q that decays; None if one is not (or diverges).

    >>> z = sp.Symbol("z", real=True)
    >>> gaussian_integrals_at_point(sp.Integral(z**2 * sp.exp(-z**2 / 2), (z, -sp.oo, sp.oo)))
    sqrt(2)*sqrt(pi)
    """

    failed = []

    def value(node: sp.Basic) -> sp.Basic:
        if isinstance(node, sp.Integral) and len(node.limits) > 1 and all(
                len(lim) == 3 and lim[1] is sp.S.NegativeInfinity and lim[2] is sp.oo
                for lim in node.limits):
            # ∫∫ f dy dx = ∫ (∫ f dy) dx (Fubini): innermost variable first
            inner = value(sp.Integral(node.function, node.limits[0]))
            if failed:
                return node
            return value(sp.Integral(inner, *node.limits[1:]))
        if isinstance(node, Expectation):
            z, body = node.variable, node.integrand * node.density
            lo, hi = sp.S.NegativeInfinity, sp.S.Infinity
            if z.is_positive or z.is_nonnegative or z.is_nonpositive or z.is_integer:
                failed.append(node)  # a density on part of the line has no Gaussian instance
                return node
            if not body.has(sp.Integral, Expectation, AppliedUndef):
                mean = _expectation_by_moments(node.integrand, node.density, z)
                if mean is not None:
                    return mean
        elif (isinstance(node, sp.Integral) and len(node.limits) == 1
              and len(node.limits[0]) == 3 and all(
                  end.is_number and (end.is_infinite or end.is_real) for end in
                  node.limits[0][1:]) and (node.limits[0][1] < node.limits[0][2]) is sp.true):
            # over the line, or over part of it between numeric ends (a half line: a
            # density's instance integrated from 0)
            z, body = node.limits[0][0], node.function
            lo, hi = node.limits[0][1:]
        else:
            return node
        # an integral over part of the line that is not of this form is left as it is, for
        # the caller's quadrature; over the line, or an expectation, it fails the instance
        whole = lo is sp.S.NegativeInfinity and hi is sp.S.Infinity
        if body.has(sp.Integral, Expectation, AppliedUndef):
            if whole:
                failed.append(node)
            return node
        body = _terms_of(body)
        total = sp.S.Zero
        for term in sp.Add.make_args(body):
            check_deadline()
            if term == 0:  # (an integrand that vanishes at this point: E[0] = 0)
                continue
            got = _gaussian_term(sp.powsimp(term, combine="exp"), z, lo, hi)
            if got is None:
                if whole:
                    failed.append(node)
                return node
            total += got
        return total

    def visit(node: sp.Basic) -> sp.Basic:
        if failed or not node.args or not node.has(sp.Integral, Expectation):
            return node
        if node in _AT_POINT:  # one marginal written in several places: evaluated once
            return _AT_POINT[node]
        args = tuple(visit(a) for a in node.args)
        out = value(node.func(*args) if args != node.args else node)
        if not failed:
            _remember(node, out)
        return out

    out = visit(expr)
    return None if failed else out


#: the exact values :func:`gaussian_integrals_at_point` found, by the node (a bounded memo: the
#: two sides of a step, and the expectations nested in one, repeat the same marginals)
_AT_POINT: dict[sp.Basic, sp.Basic] = {}
_AT_POINT_SIZE = 512


def _remember(node: sp.Basic, value: sp.Basic) -> None:
    """Keep ``value`` for ``node`` in :data:`_AT_POINT`, the oldest entry out when full."""
    if len(_AT_POINT) >= _AT_POINT_SIZE:
        del _AT_POINT[next(iter(_AT_POINT))]
    _AT_POINT[node] = value


def _terms_of(body: sp.Expr) -> sp.Expr:
    """``body`` as a sum of terms P·exp(Q), its logs split (sound for the positive factors
    the symbols' assumptions show), each product multiplied out but each exponential kept
    whole (its argument multiplied out): splitting exp(a + b) into exp(a)·exp(b) and putting
    it back together cost most of an integral's time."""
    return sp.expand(sp.expand_log(body, deep=True), power_exp=False)


def _expectation_by_moments(f: sp.Expr, density: sp.Expr, z: sp.Symbol) -> sp.Expr | None:
    """E[f] = Σ_k c_k·∫ z^k·density dz for an integrand f that is, its logs split, a polynomial
    Σ_k c_k z^k in the variable, against a density c·exp(−αz² + βz + γ) (α > 0): the density's
    square completed once, its moments by the binomial expansion about its mean, rather
    than each term of f multiplied into the density and integrated on its own. None when f or
    the density is not of that form (the general route then decides).

    >>> z = sp.Symbol("z", real=True)
    >>> d = sp.exp(-(z - 1) ** 2 / 2) / sp.sqrt(2 * sp.pi)
    >>> sp.simplify(_expectation_by_moments(z**2 + 3 * z, d, z))
    5
    """
    exps = [g for g in sp.Mul.make_args(density) if isinstance(g, sp.exp) and g.has(z)]
    const = sp.Mul(*[g for g in sp.Mul.make_args(density) if g not in exps])
    if const.has(z):
        return None
    try:
        q = sp.Poly(sp.Add(*[g.args[0] for g in exps]), z)
        body = sp.Poly(sp.expand(sp.expand_log(f, deep=True), power_exp=False), z)
    except (sp.PolynomialError, sp.GeneratorsNeeded):
        return None
    if q.degree() != 2 or any(c.has(z) for c in (*q.all_coeffs(), *body.all_coeffs())):
        return None
    a2, a1, a0 = q.all_coeffs()
    alpha = -a2
    if not (alpha.is_number and alpha.is_positive is True):
        return None
    if body.is_zero:
        return sp.S.Zero  # E[0] = 0 (the density integrable: α > 0)
    mu = a1 / (2 * alpha)
    scale = const * sp.exp(a0 + a1**2 / (4 * alpha))
    # ∫ u^j e^{−αu²} du = Γ((j + 1)/2)/α^((j + 1)/2) for even j, 0 for odd j
    central = [sp.gamma(sp.Rational(j + 1, 2)) / alpha ** sp.Rational(j + 1, 2)
               if j % 2 == 0 else sp.S.Zero for j in range(body.degree() + 1)]
    total = sp.S.Zero
    for (k,), c in body.terms():
        check_deadline()
        moment = sp.Add(*[sp.binomial(k, j) * mu ** (k - j) * central[j]
                          for j in range(0, k + 1, 2)])
        total += c * moment
    return sp.expand(scale * total, power_exp=False)
