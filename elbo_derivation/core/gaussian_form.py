r"""One Gaussian decomposition: a quadratic exponent read as a normal density's parameters.

Wherever the checker meets exp(Q(x)) with Q(x) = a₂x² + a₁x + a₀ and a₂ < 0 — an exact
Gaussian integral (``decide/gaussian.py``), a written-out density's mean and variance
(``decide/rules.py``), the roles of a student's symbols (``explain/roles.py``), the
standardised variable of numeric quadrature and sampling (``numeric/evaluate.py``) — it
completes the square here:

.. math::

    Q(x) = Q(\mu) - \frac{(x - \mu)^2}{2 v}, \qquad
    \mu = -\frac{a_1}{2 a_2}, \quad v = -\frac{1}{2 a_2}, \quad
    Q(\mu) = a_0 - \frac{a_1^2}{4 a_2},

so exp(Q) = e^{Q(μ)} √(2πv) · N(x; μ, v) (e.g. Bishop, *Pattern Recognition and Machine
Learning*, 2006, §2.3.1, "completing the square").

Examples
--------
>>> import sympy as sp
>>> x, m = sp.symbols("x m", real=True)
>>> s = sp.Symbol("s", positive=True)
>>> form = complete_square(-(x - m)**2 / (2*s**2) + 3, x)
>>> form.mean, form.variance, form.peak
(m, s**2, 3)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy as sp

__all__ = ["GaussianForm", "complete_square", "polynomial_coefficients"]


@dataclass(frozen=True)
class GaussianForm:
    """exp(Q(x)) = exp(peak) · exp(−precision·(x − mean)²/2): a normal density's parameters.

    ``precision`` is −2a₂ (the inverse variance), ``peak`` the exponent's value at the mean.
    """

    mean: sp.Expr
    precision: sp.Expr
    peak: sp.Expr
    reduce: Callable[[sp.Expr], sp.Expr] = lambda e: e

    @property
    def variance(self) -> sp.Expr:
        return self.reduce(1 / self.precision)

    @property
    def std(self) -> sp.Expr:
        """The standard deviation, 1/√precision."""
        return 1 / sp.sqrt(self.precision)

    @classmethod
    def from_coefficients(cls, a2: sp.Expr, a1: sp.Expr, a0: sp.Expr, *,
                          reduce: Callable[[sp.Expr], sp.Expr] | None = None) -> GaussianForm:
        """The form of exp(a₂x² + a₁x + a₀); ``reduce`` (``sp.cancel``, ``sp.simplify``)
        is applied to the mean, the variance and the peak.

        >>> a = sp.Symbol("a", positive=True)
        >>> form = GaussianForm.from_coefficients(-a, 2*a, 0)
        >>> form.mean, form.variance, form.peak
        (1, 1/(2*a), a)
        """
        r = reduce or (lambda e: e)
        return cls(r(-a1 / (2 * a2)), -2 * a2, r(a0 - a1**2 / (4 * a2)), r)


def polynomial_coefficients(expr: sp.Expr, x: sp.Symbol) -> dict[int, sp.Expr] | None:
    """{k: c_k} with expr = Σ c_k x^k (c_k free of x), or None if expr is no polynomial in x.

    Cheaper than ``Poly`` when the coefficients hold many other symbols (no domain to build).

    >>> x, a = sp.symbols("x a")
    >>> polynomial_coefficients(a * x**2 - 3 * x + a, x) == {2: a, 1: -3, 0: a}
    True
    >>> polynomial_coefficients(sp.exp(x), x) is None
    True
    """
    out: dict[int, sp.Expr] = {}
    for term in sp.Add.make_args(sp.expand(expr, log=False)):
        coeff, part = term.as_independent(x, as_Add=False)
        if part == 1:
            k = 0
        elif part == x:
            k = 1
        elif part.is_Pow and part.base == x and part.exp.is_Integer and part.exp > 0:
            k = int(part.exp)
        else:
            return None
        out[k] = out.get(k, sp.S.Zero) + coeff
    return {k: c for k, c in out.items() if c != 0}


def complete_square(q: sp.Expr, x: sp.Symbol, *,
                    reduce: Callable[[sp.Expr], sp.Expr] | None = None,
                    ) -> GaussianForm | None:
    """The Gaussian form of exp(``q``) in ``x``, or None when ``q`` is not a quadratic in
    ``x`` (of degree exactly 2). The sign of the leading coefficient is the caller's to
    check (``form.precision.is_positive``): a symbolic tier needs it proved, a numeric one
    checks it at each point.

    >>> x = sp.Symbol("x", real=True)
    >>> complete_square(-x**2 + 4*x, x).mean
    2
    >>> complete_square(x**3, x) is None
    True
    """
    coeffs = polynomial_coefficients(q, x)
    if coeffs is None or max(coeffs, default=0) != 2:
        return None
    a2, a1, a0 = (coeffs.get(k, sp.S.Zero) for k in (2, 1, 0))
    return GaussianForm.from_coefficients(a2, a1, a0, reduce=reduce)
