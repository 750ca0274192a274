r"""The roles of a derivation's symbols, for naming mistakes: never read from letters.

A mistake is a confusion of roles (a standard deviation used as a variance, the two
distributions of a KL exchanged), so the catalogue of :mod:`.catalogue` works on roles. They
come from two sources:

1. **declarations**, when the reading layer provides them: ``derivation.declarations`` with a
   mapping ``roles`` (a symbol, or its name, to a role string such as ``"mean"``,
   ``"standard deviation"`` or ``"standard-deviation"``,
   ``"variance"``, ``"standard-deviation"``, ``"log-variance"``, ``"precision"``, ``"rate"``,
   ``"probability"``, ``"dimension"``, ``"balancing-constant"``) and, optionally, the pairs of
   densities of a KL (``kl_pairs``, ``kls`` or ``kl``: pairs (q, p)), and ``families``
   (a declared ``q(z|x) = N(m, s^2)`` is a Gaussian with mean m and variance s²).
   Declarations win.
2. **structure**, read from the right expression and the derivation's own earlier lines and
   definitions (never from the written, possibly wrong, step):

   * a Gaussian exponent ``-(x - m)²/(2V)`` (any quadratic in a bound variable ``x`` with a
     negative leading coefficient) says that ``m`` is a mean and ``V`` a variance: ``V = s²``
     makes ``s`` a standard deviation, ``V = v`` a variance, ``V = exp(l)`` a log-variance,
     ``V = 1/t`` a precision;
   * a normaliser ``√(2πV)`` or ``log(2πV)`` makes ``V`` a variance in the same way;
   * a KL formula or second moment written out, ``V + m²`` or ``V + (m₁ − m₂)²`` with ``V`` of
     one of the forms above, gives a Gaussian's variance and mean (§3.3, §4);
   * a squared error ``(a − b)²`` divided by ``2V`` makes ``V`` a variance (the likelihood's,
     §2); multiplied by a positive symbol ``k``, ``k`` is a balancing constant;
   * ``log p`` beside ``log(1 − p)`` makes ``p`` a probability; ``λ·exp(−λx)`` a rate;
     a positive symbol multiplying ``log 2π`` a dimension count;
   * the log-normaliser multiplied out, ``c·log 2π`` beside ``2c·log s`` (``−½ log 2π −
     log σ``), makes ``s`` a standard deviation; an exponent ``−x²/(2V)`` written without
     ``exp`` (a log-density) makes ``V`` a variance; a precision-weighted average
     ``(m₁/V₁ + m₂/V₂)/(1/V₁ + 1/V₂)`` makes each ``Vᵢ`` a variance.

Declared Gaussians of any shape (a D-vector ``x`` with ``q(x) = N(m, S)``) are kept as
(variable, mean, covariance) in ``Roles.declared_normals``.

A symbol given two incompatible roles by structure keeps none: a name is then withheld
rather than guessed.

Examples
--------
>>> import sympy as sp
>>> x, m = sp.symbols("x m", real=True)
>>> s = sp.Symbol("s", positive=True)
>>> density = sp.exp(-(x - m)**2 / (2 * s**2)) / sp.sqrt(2 * sp.pi * s**2)
>>> r = infer_roles([sp.Integral(density * x, (x, -sp.oo, sp.oo))])
>>> r.role(s), r.role(m)
('standard-deviation', 'mean')
>>> r.describe(s)
's is the standard deviation of the Gaussian with mean m'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sympy as sp
from sympy.core.function import AppliedUndef

from elbo_derivation.core.expectation import KL, Expectation
from elbo_derivation.core.gaussian_form import GaussianForm

__all__ = ["Family", "Roles", "infer_roles", "roles_for"]

ROLE_WORDS = {
    "mean": "the mean",
    "variance": "the variance",
    "standard-deviation": "the standard deviation",
    "log-variance": "the log-variance",
    "precision": "the precision",
    "rate": "the rate",
    "probability": "a probability",
    "dimension": "the dimension count",
    "balancing-constant": "the balancing constant",
    "mean-parameter": "the mean parameter",
}

#: the position of the rate among a declared family's parameters (``Gamma(shape, rate)``)
_RATE_AT = {"exponential": 0, "gamma": 1}

#: roles that say how a Gaussian's spread is parametrised
SCALE_ROLES = ("variance", "standard-deviation", "log-variance", "precision")


@dataclass(frozen=True)
class Family:
    """One Gaussian of the derivation: its mean (if known), variance, and how it is written.

    ``param`` is the symbol that parametrises the spread and ``kind`` its role: the variance
    is ``param`` ("variance"), ``param²`` ("standard-deviation"), ``exp(param)``
    ("log-variance") or ``1/param`` ("precision").
    """

    mean: sp.Expr | None
    param: sp.Symbol
    kind: str

    @property
    def variance(self) -> sp.Expr:
        return {"variance": self.param, "standard-deviation": self.param**2,
                "log-variance": sp.exp(self.param), "precision": 1 / self.param}[self.kind]


@dataclass
class Roles:
    """Symbol → role, the Gaussians found, and the pairs of densities of a KL."""

    roles: dict[sp.Symbol, str] = field(default_factory=dict)
    families: list[Family] = field(default_factory=list)
    kl_pairs: list[tuple[sp.Basic, sp.Basic]] = field(default_factory=list)
    #: the variables bound by an integral or expectation somewhere in the right lines
    bound: set[sp.Basic] = field(default_factory=set)
    #: expressions that are probabilities (a sigmoid written beside its complement)
    probabilities: list[sp.Basic] = field(default_factory=list)
    #: the declared Gaussians as (variable, mean, covariance), of any shape (a vector x
    #: declared ``q(x) = N(m, S)`` with a D×D matrix S)
    declared_normals: list[tuple[Any, Any, Any]] = field(default_factory=list)
    #: the variances of the Gaussians found that are expressions of several symbols, not
    #: one symbol's spread (1 − ᾱ of N(x; √ᾱ x₀, 1 − ᾱ)): their square root is the
    #: standard deviation
    variance_exprs: list[sp.Expr] = field(default_factory=list)
    #: the rates of declared Poisson families, whose variance is the rate itself (not the
    #: exponential's 1/λ²)
    count_rates: set[sp.Basic] = field(default_factory=set)

    def role(self, sym: sp.Basic) -> str | None:
        return self.roles.get(sym)  # type: ignore[arg-type]

    def having(self, *roles: str) -> list[sp.Symbol]:
        """The symbols with one of ``roles``, in a fixed order."""
        return sorted((s for s, r in self.roles.items() if r in roles), key=str)

    def family_of(self, sym: sp.Basic) -> Family | None:
        """The Gaussian ``sym`` parametrises (one whose mean is known first)."""
        found = [f for f in self.families if f.param == sym or f.mean == sym]
        return next((f for f in found if f.mean is not None), found[0] if found else None)

    def describe(self, sym: sp.Basic) -> str:
        """``"s is the standard deviation of the Gaussian with mean m"``, in the author's
        symbols."""
        role = self.role(sym)
        if role is None and sym.is_Pow and sym.exp == sp.Rational(1, 2) \
                and sym.base in self.variance_exprs:
            return (f"{_show(sym)} is the standard deviation of the Gaussian with variance "
                    f"{_show(sym.base)}")
        if role is None:
            return f"{_show(sym)} has no known role"
        text = f"{_show(sym)} is {ROLE_WORDS.get(role, 'the ' + role)}"
        fam = self.family_of(sym)
        if fam is not None and role in SCALE_ROLES and fam.mean is not None:
            text += f" of the Gaussian with mean {_show(fam.mean)}"
        elif fam is not None and role == "mean":
            text += f" of the Gaussian with variance {_show(fam.variance)}"
        return text


def _show(expr: sp.Basic) -> str:
    """An expression in the author's symbols, as a reader writes it (not Python syntax)."""
    try:
        from elbo_derivation.report.pretty import pretty

        return pretty(expr)
    except Exception:
        return str(expr)


def _spread(v: sp.Expr) -> tuple[sp.Symbol, str] | None:
    """How a variance expression ``v`` is parametrised, if by one positive symbol."""
    try:
        v = sp.factor_terms(v)
    except Exception:  # (a determinant of a scaled matrix, det(2πS), cannot be rebuilt)
        return None
    coeff, rest = v.as_coeff_Mul()
    if coeff != 1:
        return None
    if isinstance(rest, sp.Symbol) and rest.is_positive:
        return rest, "variance"
    if rest.is_Pow and isinstance(rest.base, sp.Symbol) and rest.base.is_positive:
        if rest.exp == 2:
            return rest.base, "standard-deviation"
        if rest.exp == -1:
            return rest.base, "precision"
    if isinstance(rest, sp.exp) and isinstance(rest.args[0], sp.Symbol):
        return rest.args[0], "log-variance"
    return None


def _squared_scales(v: sp.Expr) -> list[sp.Symbol]:
    """The positive symbols of a variance written as a product or a sum of their squares
    (σ₁²σ₂², s² + σ²: the variance of a scaled or of a summed Gaussian variable): each is a
    standard deviation. Empty for any other shape (a single symbol is :func:`_spread`'s).

    >>> a, b = sp.symbols("a b", positive=True)
    >>> _squared_scales(a**2 * b**2), _squared_scales(a**2 + b**2), _squared_scales(a + b**2)
    ([a, b], [a, b], [])
    """
    out: list[sp.Symbol] = []
    terms = sp.Add.make_args(v)
    for t in terms:
        factors = sp.Mul.make_args(t)
        if not all(f.is_Pow and f.exp == 2 and isinstance(f.base, sp.Symbol)
                   and f.base.is_positive for f in factors):
            return []
        out.extend(f.base for f in factors)
    if len(out) < 2 or len(set(out)) != len(out):
        return []
    return sorted(out, key=str)


def _a_variance_expression(v: sp.Expr) -> bool:
    """Whether ``v``, a Gaussian's variance that is no one symbol's spread, is kept as an
    expression variance: a sum of symbols and numbers (1 − ᾱ, 1 − a·b), not a product or a
    power (those are the squares and ratios of :func:`_squared_scales` and the precisions).

    >>> a, b = sp.symbols("a b", positive=True)
    >>> _a_variance_expression(1 - a), _a_variance_expression(a * b), _a_variance_expression(a)
    (True, False, False)
    """
    return isinstance(v, sp.Add) and len(v.free_symbols) >= 1 \
        and not v.has(sp.Integral, Expectation, sp.Sum, AppliedUndef)


def _bound(exprs: Iterable[sp.Basic]) -> set[sp.Basic]:
    out: set[sp.Basic] = set()
    for e in exprs:
        for node in sp.preorder_traversal(e):
            if isinstance(node, Expectation):
                out.add(node.variable)
            elif isinstance(node, sp.Integral):
                out.update(lim[0] for lim in node.limits)
    return out


class _Collector:
    def __init__(self) -> None:
        self.votes: dict[sp.Symbol, set[str]] = {}
        self.families: list[Family] = []
        self.kl_pairs: list[tuple[sp.Basic, sp.Basic]] = []
        self.variance_exprs: list[sp.Expr] = []

    def vote(self, sym: sp.Basic, role: str) -> None:
        if isinstance(sym, sp.Symbol):
            self.votes.setdefault(sym, set()).add(role)

    def family(self, mean: sp.Expr | None, variance: sp.Expr) -> None:
        found = _spread(variance)
        if found is None:
            scales = _squared_scales(variance)
            for s in scales:
                self.vote(s, "standard-deviation")
            if not scales and _a_variance_expression(variance) \
                    and variance not in self.variance_exprs:
                self.variance_exprs.append(variance)
            return
        param, kind = found
        self.vote(param, kind)
        if isinstance(mean, sp.Symbol) and mean.is_real:
            self.vote(mean, "mean")
        elif mean is not None and not (mean.is_Symbol or isinstance(mean, AppliedUndef)):
            mean = None  # a mean that is an expression is kept only when it is a function
        fam = Family(mean, param, kind)
        if fam not in self.families:
            self.families.append(fam)


def _gaussian_exponent(node: sp.exp, bound: set[sp.Basic], out: _Collector) -> None:
    e = node.args[0]
    free = [s for s in e.free_symbols if isinstance(s, sp.Symbol) and s.is_real]
    ordered = sorted(set(free) & bound, key=str) + sorted(set(free) - bound, key=str)
    for x in ordered:
        try:
            poly = sp.Poly(sp.expand(e), x)
        except Exception:
            continue
        if poly.degree() != 2:
            continue
        a, b, c = poly.all_coeffs()
        if a.is_negative is not True and not (sp.factor_terms(-a).is_positive):
            # −(x − m)²/(2 − 2ᾱ): negative as written, though the assumptions cannot tell;
            # its variance is kept as an expression (no symbol gets a role from it)
            if a.could_extract_minus_sign() or e.could_extract_minus_sign():
                try:
                    form = GaussianForm.from_coefficients(a, b, c)
                    variance = sp.factor_terms(sp.simplify(form.variance))
                except Exception:
                    continue
                if not variance.has(x) and _a_variance_expression(variance) \
                        and variance not in out.variance_exprs:
                    out.variance_exprs.append(variance)
            continue
        form = GaussianForm.from_coefficients(a, b, c)
        variance, mean = sp.simplify(form.variance), sp.simplify(form.mean)
        if variance.has(x):
            continue
        keep = mean.free_symbols.isdisjoint(bound) and (x in bound
                                                         or isinstance(mean, AppliedUndef))
        out.family(mean if keep else None, variance)
        return


def _reparameterised(node: sp.Integral, out: _Collector) -> None:
    """∫ N(ε; 0, 1)·P(ε) dε with P a quadratic m² + 2msε + s²ε² (the square of z = m + sε):
    the reparameterisation z = μ + σε makes s a standard deviation and m a mean."""
    if len(node.limits) != 1:
        return
    e = node.limits[0][0]
    factors = sp.Mul.make_args(node.function)
    if not any(isinstance(f, sp.exp) and sp.expand(f.args[0] + e**2 / 2) == 0
               for f in factors):
        return
    rest = sp.Mul(*(f for f in factors if not isinstance(f, sp.exp) and f.free_symbols))
    try:
        poly = sp.Poly(sp.expand(rest), e)
    except Exception:
        return
    if poly.degree() != 2:
        return
    a2, a1, a0 = poly.all_coeffs()
    if not (a2.is_Pow and a2.exp == 2 and isinstance(a2.base, sp.Symbol)
            and a2.base.is_positive):
        return
    sd = a2.base
    mean = sp.cancel(a1 / (2 * sd))
    if isinstance(mean, sp.Symbol) and mean.is_real and sp.expand(a0 - mean**2) == 0:
        out.family(mean, sd**2)
    else:
        out.family(None, sd**2)


def _squared_difference(t: sp.Basic) -> bool:
    return t.is_Pow and t.exp == 2 and isinstance(t.base, sp.Add) and len(t.base.args) == 2


def _scan(expr: sp.Basic, bound: set[sp.Basic], out: _Collector) -> None:
    for node in sp.preorder_traversal(expr):
        if isinstance(node, sp.exp) and node.args[0].free_symbols:
            _gaussian_exponent(node, bound, out)
        elif isinstance(node, sp.Integral):
            _reparameterised(node, out)
        elif isinstance(node, (sp.log, sp.Pow)) and node.has(sp.pi):
            # normalisers: log(2πV), log √(2πV), √(2πV) (and their reciprocals)
            if isinstance(node, sp.Pow) and abs(node.exp) != sp.Rational(1, 2):
                continue
            arg = node.args[0] if isinstance(node, sp.log) else node.base
            for k in ((1, 2, -1, -2) if isinstance(node, sp.log) else (1,)):
                v = sp.powsimp(sp.expand_power_base(arg**k / (2 * sp.pi), force=False))
                if isinstance(node, sp.log) and (v.has(sp.E) or (
                        isinstance(v, sp.exp) and _spread(v) is None)):
                    # the entropy ½ log(2πeV) of a Gaussian holds the normaliser's 2πV
                    # (e·exp(ℓ) is exp(ℓ + 1) once multiplied out)
                    v = sp.powsimp(sp.expand_power_base(v / sp.E, force=False))
                if v.free_symbols and not v.has(sp.pi) and not (v.free_symbols & bound):
                    out.family(None, v)
                    break
        elif isinstance(node, sp.Add):
            _scan_sum(node, bound, out)
        elif isinstance(node, sp.Mul):
            _scan_product(node, bound, out)
        elif isinstance(node, KL):
            out.kl_pairs.append((node.q, node.p))
        elif isinstance(node, Expectation) and isinstance(node.integrand, sp.log):
            dens = node.density
            others = [a for a in node.integrand.atoms(AppliedUndef) if a != dens]
            if dens in node.integrand.atoms(AppliedUndef) and len(others) == 1:
                out.kl_pairs.append((dens, others[0]))


def _scan_sum(node: sp.Add, bound: set[sp.Basic], out: _Collector) -> None:
    by_coeff: dict[sp.Basic, list[sp.Basic]] = {}
    for t in node.args:
        coeff, rest = t.as_coeff_Mul()
        by_coeff.setdefault(coeff, []).append(rest)
    for terms in by_coeff.values():
        _scan_terms(terms, bound, out)
    _log_normaliser(node, out)
    # Bernoulli: log p beside log(1 - p)
    logs = [t for t in sp.preorder_traversal(node) if isinstance(t, sp.log)]
    args = {lg.args[0] for lg in logs}
    for a in args:
        if isinstance(a, sp.Symbol) and sp.expand(1 - a) in args:
            out.vote(a, "probability")


def _log_normaliser(node: sp.Add, out: _Collector) -> None:
    """``c·log 2π`` beside ``k·log s₁ + … + k·log s_n`` in one sum: a Gaussian's
    log-normaliser multiplied out. ``n·k = 2c`` makes each positive ``sᵢ`` a standard
    deviation (``−½ log 2π − log σ`` of log N(z; μ, σ²), ``−log 2π − log σ₁ − log σ₂`` of a
    two-coordinate diagonal one), ``n·k = c`` a variance (``½ log 2π + ½ log v``)."""
    c = sp.S.Zero
    for t in node.args:
        k, rest = t.as_independent(sp.log(2 * sp.pi), as_Add=False)
        if rest == sp.log(2 * sp.pi) and not k.has(sp.pi):
            c += k
    if c == 0:
        return
    found: list[tuple[sp.Symbol, sp.Basic]] = []
    for t in node.args:
        for f in sp.Mul.make_args(t):
            if isinstance(f, sp.log) and isinstance(f.args[0], sp.Symbol) \
                    and f.args[0].is_positive:
                found.append((f.args[0], sp.cancel(t / f)))
    if not found or len({k for _, k in found}) != 1:
        return
    total = len(found) * found[0][1]
    for sym, _ in found:
        if sp.cancel(total - 2 * c) == 0:
            out.family(None, sym**2)
        elif sp.cancel(total - c) == 0:
            out.family(None, sym)


def _scan_terms(terms: list[sp.Basic], bound: set[sp.Basic], out: _Collector) -> None:
    """Terms with one coefficient: ``V + m²`` or ``V + (m₁ − m₂)²`` name a Gaussian."""
    reals = [t for t in terms if t.is_Pow and t.exp == 2 and isinstance(t.base, sp.Symbol)
             and t.base.is_real and not t.base.is_positive and t.base not in bound]
    squares = [t for t in terms if _squared_difference(t)]
    for t in terms:
        if t.free_symbols & bound:
            continue
        found = _spread(t)
        if found is None:
            continue
        for r in reals:
            out.family(r.base, t)
        for sq in squares:
            out.family(None, t)
            for m in sq.base.args:
                m = -m if m.could_extract_minus_sign() else m
                if isinstance(m, sp.Symbol) and m.is_real and m not in bound:
                    out.vote(m, "mean")


def _scan_product(node: sp.Mul, bound: set[sp.Basic], out: _Collector) -> None:
    factors = node.args
    if len(factors) == 3 and node.args[0] == -sp.Rational(1, 2):
        # −x²/(2V): the exponent of a Gaussian of mean 0 written out (a log-density)
        sq = [f for f in factors[1:] if f.is_Pow and f.exp == 2
              and isinstance(f.base, sp.Symbol) and f.base.is_real]
        inv = [f for f in factors[1:] if f.is_Pow and f.exp.is_negative]
        if len(sq) == 1 and len(inv) == 1 and sq[0].base not in inv[0].free_symbols:
            out.family(None, 1 / inv[0])
    if any(_squared_difference(f) for f in factors):
        rest = sp.Mul(*(f for f in factors if not _squared_difference(f)))
        coeff, body = rest.as_coeff_Mul()
        if body.is_Pow and body.exp.is_negative and abs(coeff) == sp.Rational(1, 2):
            out.family(None, 1 / body)  # (a − b)²/(2V), or −(a − b)²/(2V) of a log-density
        elif isinstance(body, sp.Symbol) and body.is_positive and coeff == 1:
            out.vote(body, "balancing-constant")
        elif isinstance(body, sp.Symbol) and body.is_positive and coeff == sp.Rational(1, 2):
            out.family(None, 1 / body)  # τ(a − b)²/2: the exponent in precision form
    if any(isinstance(f, sp.Add) and any(_squared_difference(t) for t in f.args)
           for f in factors):
        rest = sp.Mul(*(f for f in factors if not isinstance(f, sp.Add)))
        coeff, body = rest.as_coeff_Mul()
        if coeff == sp.Rational(1, 2) and body.is_Pow and body.exp.is_negative:
            out.family(None, 1 / body)
        elif coeff == sp.Rational(1, 2) and isinstance(body, sp.Symbol) and body.is_positive:
            out.family(None, 1 / body)  # τ((a − b)² + …)/2
    if any(isinstance(f, sp.log) and f.args[0] in (2 * sp.pi, sp.pi) for f in factors):
        for f in factors:
            if isinstance(f, sp.Symbol) and (f.is_integer or f.is_positive):
                out.vote(f, "dimension")
    _inverse_cdf(node, bound, out)
    _precision_weighted(node, out)
    for f in factors:
        if isinstance(f, sp.exp):
            e = f.args[0]
            for lam in factors:
                if isinstance(lam, sp.Symbol) and lam.is_positive:
                    for x in e.free_symbols & bound:
                        if sp.expand(e + lam * x) == 0:
                            out.vote(lam, "rate")


def _precision_weighted(node: sp.Mul, out: _Collector) -> None:
    """``(m₁/V₁ + m₂/V₂)/(1/V₁ + 1/V₂)``: the precision-weighted average of two Gaussians'
    means (the posterior mean of a normal mean, Gelman et al. BDA3 eq. 2.10; Bishop 2006,
    eq. 2.141), so each ``Vᵢ`` is a variance (``s²`` makes ``s`` a standard deviation)."""
    nums = [f for f in node.args if isinstance(f, sp.Add)]
    dens = [f.base for f in node.args if f.is_Pow and f.exp == -1 and isinstance(f.base, sp.Add)]
    if len(nums) != 1 or len(dens) != 1 or len(node.args) != 2:
        return
    weights = dens[0].args
    if len(weights) < 2 or len(nums[0].args) != len(weights):
        return
    pairs = []
    for w in weights:
        means = [sp.cancel(t / w) for t in nums[0].args]
        means = [m for m in means if m.free_symbols and m.free_symbols.isdisjoint(
            w.free_symbols) and (m.is_Symbol or isinstance(m, AppliedUndef))]
        spread = _spread(1 / w)  # weights written as reciprocals 1/s², 1/v (not λ, π)
        if len(means) != 1 or spread is None or spread[1] not in ("standard-deviation",
                                                                  "variance"):
            return
        pairs.append((means[0], 1 / w))
    if len({m for m, _ in pairs}) != len(pairs):
        return
    for mean, variance in pairs:
        out.family(mean, variance)


def _inverse_cdf(node: sp.Mul, bound: set[sp.Basic], out: _Collector) -> None:
    """−log(u)/λ or −log(1 − u)/λ over an integrated u: the exponential's sampler, its
    inverse CDF (Kingma & Welling 2014, sec. 2.4), makes the positive λ a rate."""
    coeff, rest = node.as_coeff_Mul()
    if coeff != -1:
        return
    factors = sp.Mul.make_args(rest)
    logs = [f for f in factors if isinstance(f, sp.log)]
    others = [f for f in factors if not isinstance(f, sp.log)]
    if len(logs) != 1 or len(others) != 1:
        return
    arg, inv = logs[0].args[0], others[0]
    if not (inv.is_Pow and inv.exp == -1 and isinstance(inv.base, sp.Symbol)
            and inv.base.is_positive):
        return
    if any(arg == u or sp.expand(arg - (1 - u)) == 0 for u in bound):
        out.vote(inv.base, "rate")


def infer_roles(exprs: Iterable[sp.Basic],
                declared: Mapping[Any, str] | None = None,
                kl_pairs: Iterable[tuple[sp.Basic, sp.Basic]] = (),
                symbols: Mapping[str, sp.Symbol] | None = None,
                declared_gaussians: Iterable[tuple[sp.Expr, sp.Expr]] = ()) -> Roles:
    """Roles from declarations (which win) and from the structure of ``exprs``.

    Parameters
    ----------
    exprs : iterable of sympy.Basic
        right expressions only: the derivation's start, definitions, earlier steps, and the
        previous line of the step being diagnosed.
    declared : mapping, optional
        symbol (or symbol name) → role string.
    kl_pairs : iterable of (q, p), optional
        the two densities of each KL the derivation declares.
    symbols : mapping, optional
        the derivation's declared symbols, to resolve names in ``declared``.
    declared_gaussians : iterable of (mean, variance), optional
        the Gaussians the declarations name (``q(z|x) = N(m, s^2)``).
    """
    exprs = [e for e in exprs if isinstance(e, sp.Basic)]
    bound = _bound(exprs)
    out = _Collector()
    for e in exprs:
        _scan(e, bound, out)
        for lam in count_rates(e):
            out.vote(lam, "rate")
    roles = {s: next(iter(v)) for s, v in out.votes.items() if len(v) == 1}
    for key, role in (declared or {}).items():
        sym = key
        if isinstance(key, str):
            sym = (symbols or {}).get(key) or next(
                (s for s in out.votes if s.name == key), None)
        if isinstance(sym, sp.Symbol) and isinstance(role, str):
            role = role.strip().replace(" ", "-")  # "standard deviation" too
            # a log-normal's parameters are those of the Gaussian of the log of its variable
            roles[sym] = role.removesuffix("-of-log")
    for mean, variance in declared_gaussians:
        out.family(mean, variance)
        for s in _squared_scales(variance):  # N(m, s²σ²): each factor a standard deviation
            if len(out.votes.get(s, ())) == 1:
                roles.setdefault(s, "standard-deviation")
    families = list(dict.fromkeys(f for f in out.families if roles.get(f.param) == f.kind))
    for sym, role in roles.items():  # declared spreads without a structural Gaussian
        if role in SCALE_ROLES and not any(f.param == sym for f in families):
            families.append(Family(None, sym, role))
    pairs = list(dict.fromkeys([*kl_pairs, *out.kl_pairs]))
    return Roles(roles, families, pairs, bound, variance_exprs=out.variance_exprs)


def roles_for(lhs: sp.Basic, derivation: Any, step: Any) -> Roles:
    """The roles for diagnosing ``step``: declarations, then the structure of right lines.

    Uses ``derivation.declarations`` (``roles`` and the KL pairs) when the reading layer
    provides it, and reads structure from ``lhs``, the start, the definitions and the steps
    before ``step`` (never from the step itself, which may be wrong).
    """
    exprs: list[sp.Basic] = [lhs]
    declared: Mapping[Any, str] = {}
    pairs: list[tuple[sp.Basic, sp.Basic]] = []
    gaussians: list[tuple[sp.Expr, sp.Expr]] = []
    rates: list[sp.Symbol] = []
    counts: set[sp.Basic] = set()
    naturals: list[sp.Symbol] = []
    normals: list[tuple[Any, Any, Any]] = []
    symbols = getattr(derivation, "symbols", None) or {}
    if derivation is not None:
        decl = getattr(derivation, "declarations", None)
        if decl is not None:
            got = getattr(decl, "roles", None)
            if isinstance(got, Mapping):
                declared = got
            families = getattr(decl, "families", None)
            if isinstance(families, Mapping):
                for fam in families.values():
                    params = tuple(getattr(fam, "parameters", ()) or ())
                    if str(getattr(fam, "name", "")).lower() in ("normal", "n", "gaussian",
                                                                 "lognormal") \
                            and len(params) == 2:
                        gaussians.append((params[0], params[1]))
                        if str(getattr(fam, "name", "")).lower() != "lognormal":
                            normals.append((getattr(fam, "variable", None), *params))
                    # the rate of a declared Exponential(λ) or Gamma(a, λ): its scale is 1/λ
                    at = _RATE_AT.get(str(getattr(fam, "name", "")).lower())
                    if at is not None and len(params) > at \
                            and isinstance(params[at], sp.Symbol) and params[at].is_positive:
                        rates.append(params[at])
                    if str(getattr(fam, "name", "")).lower() == "poisson" and params:
                        counts.add(params[0])
            for attr in ("kl_pairs", "kls", "kl"):
                got = getattr(decl, attr, None)
                if got:
                    try:
                        pairs.extend((a, b) for a, b in got)
                    except (TypeError, ValueError):
                        pass
        start = getattr(derivation, "start", None)
        if isinstance(start, sp.Basic):
            exprs.append(start)
        defs = getattr(derivation, "definitions", None) or {}
        exprs.extend(v for v in defs.values() if isinstance(v, sp.Basic))
        # a name for log θ (let η = log θ): η is the natural parameter, θ = e^η the mean
        # parameter of an exponential family (the Poisson's λ = e^η)
        for v in defs.values():
            if isinstance(v, sp.log) and isinstance(v.args[0], sp.Symbol) \
                    and v.args[0].is_positive:
                naturals.append(v.args[0])
        expand = getattr(derivation, "expand_definitions", None)
        for s in getattr(derivation, "steps", None) or []:
            if s is step or getattr(s, "index", None) == getattr(step, "index", -1):
                break
            e = getattr(s, "expr", None)
            if isinstance(e, sp.Basic):
                try:
                    exprs.append(expand(e) if expand else e)
                except Exception:
                    exprs.append(e)
        if expand is not None and isinstance(start, sp.Basic):
            try:
                exprs.append(expand(start))
            except Exception:
                pass
    if rates:  # a role a declaration gives explicitly wins
        declared = {**{r: "rate" for r in rates}, **declared}
    out = infer_roles(exprs, declared, pairs, symbols, gaussians)
    out.declared_normals = normals
    out.count_rates = counts
    for r in naturals:  # only where nothing else gives a role (log v of a variance v)
        out.roles.setdefault(r, "mean-parameter")
    return out


def count_rates(expr: sp.Basic) -> list[sp.Symbol]:
    """The rates of Poisson weights λᵏ e^{−λ} over a summation index k (a product holding
    λᵏ and e^{−λ}, or λ^{−k} and e^{λ} in a denominator), found from structure.

    Examples
    --------
    >>> a = sp.Symbol("a", positive=True)
    >>> k = sp.Symbol("k", integer=True)
    >>> count_rates(sp.Sum(a**k * sp.exp(-a) / sp.factorial(k), (k, 0, sp.oo)))
    [a]
    """
    indices = {lim[0] for n in sp.preorder_traversal(expr) if isinstance(n, sp.Sum)
               for lim in n.limits}
    if not indices:
        return []
    out: set[sp.Symbol] = set()
    for node in sp.preorder_traversal(expr):
        if not isinstance(node, sp.Mul):
            continue
        for f in node.args:
            if not (f.is_Pow and isinstance(f.base, sp.Symbol) and f.base.is_positive):
                continue
            sign = 1 if f.exp in indices else -1 if -f.exp in indices else 0
            if sign and sp.exp(-sign * f.base) in node.args:
                out.add(f.base)
    return sorted(out, key=str)
