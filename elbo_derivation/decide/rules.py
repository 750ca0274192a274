"""The rules of §2: expectations over abstract positive densities, each a named justification.

The notes' §2 manipulates E_{q(z|x)}[...] over densities that are never written out. Every
equality of its display follows from a handful of rules, and this module applies exactly those:

linearity of E (``LINEARITY``)
    E_q[a + b] = E_q[a] + E_q[b] (both sides finite).
pulling out terms free of the variable (``PULL_OUT``)
    E_q[c · f(z)] = c · E_q[f(z)] when c does not depend on z.
E_q[c] = c (``NORMALISED``)
    q is a normalised density, so the expectation of a constant is that constant. A declared
    density is normalised by declaration; a written-out one only if it integrates to 1
    (computed exactly), so a wrong normaliser is never silently fixed.
Gaussian moments (``GAUSSIAN_MOMENTS``)
    E_q[f] for a written-out Gaussian q and a polynomial atom f, computed exactly by
    :mod:`~elbo_derivation.decide.gaussian` (after the other rules have split the integrand,
    so each integral is small).
log of products and quotients (``LOG_RULES``)
    log(a·b) = log a + log b and log(a/b) = log a − log b for *positive* a, b. Densities are
    declared positive, so ``sympy.expand_log`` (never ``force=True``) does this soundly; it
    refuses where positivity is unknown.
definition of KL (``KL_DEFINITION``)
    KL(q, p) = E_q[log(q/p)].
Bayes' rule (``BAYES``)
    p(z|x) = p(x|z) p(z) / p(x). The densities of a *model* family are read as the
    conditionals and marginals of one joint density (p(x, z)), so the posterior of the
    variable an expectation is taken over is rewritten by Bayes' rule. Which families are
    models is read from the step's structure, whatever their letters (:func:`model_families`):
    a family that expectations are taken over and that appears with one density only is
    variational (q(z|x)), free — nothing relates it to anything; every other family is a
    model.

:func:`normalize` applies them all and returns a canonical form: a sum of coefficients times
expectations of "atoms" (log q(z|x), log p(x|z), f(z)², ...), so that two expressions equal by
these rules normalise to the same expression. :func:`check` decides a step with them: an
equality whose normalised difference is 0 is *proved*; an ``=~ [q]`` step whose normalised
difference is free of the density q is *proved* (``=~ [g, h]`` over abstract densities is
not decided here: q(z|x) = N(g, h) hides its parameters, so freedom from g, h cannot be read
off); a ``>=`` step whose difference is a KL divergence, or a
sum of squares and terms t − log t − 1, is *proved* (Gibbs' inequality; log t ≤ t − 1). A step
the rules cannot prove is tried on a concrete instance of the abstract densities — the
linear-Gaussian model p(z) = N(0, 1), p(x|z) = N(az + b, c), q(z|x) = N(m + x, s²), for
which p(x) = N(b, a² + c) and p(z|x) are exact, z being the variable expectations are taken
over; a second model family gets its own joint (p(z) = N(e₂, 1), p(x|z) = N(a₂z + b₂, c₂)),
and i.i.d. copies x₁, x₂ of the data are data points of the same model — and a point where
it fails there refutes it, since an identity about all densities must hold for these ones
too.

Examples
--------
>>> import sympy as sp
>>> x, z = sp.symbols("x z", real=True)
>>> q = sp.Function("q(z|x)", positive=True)(z, x)
>>> post = sp.Function("p(z|x)", positive=True)(z, x)
>>> lik = sp.Function("p(x|z)", positive=True)(x, z)
>>> prior, evidence = sp.Function("p(z)", positive=True)(z), sp.Function("p(x)", positive=True)(x)
>>> kl = KL(q, post, z)
>>> rhs = KL(q, prior, z) - Expectation(sp.log(lik), z, q) + sp.log(evidence)
>>> normalize(kl - rhs)
0
>>> check(kl, rhs - sp.log(evidence)).verdict        # the sign of log p(x) lost
'refuted'

References
----------
Notes §2; Kingma & Welling (2014), "Auto-Encoding Variational Bayes", eq. (1)-(3); Bishop,
*Pattern Recognition and Machine Learning* (2006), §10.1 and §2.3.3 (the linear-Gaussian model).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache

import sympy as sp
from sympy.core.function import AppliedUndef

from elbo_derivation.core.expectation import KL, Expectation
from elbo_derivation.core.gaussian_form import GaussianForm
from elbo_derivation.core.order import current_order, ordered
from elbo_derivation.core.steps import Counterexample, Relation
from elbo_derivation.core.timeout import check_deadline, clock, run_bounded
from elbo_derivation.decide.networks import (
    AmbiguousFactorisation,
    Network,
    moments_at_point,
    parse_shape,
)
from elbo_derivation.decide.words import log_identities, plain

__all__ = [
    "BAYES",
    "GAUSSIAN_INSTANCE",
    "GAUSSIAN_MOMENTS",
    "GIBBS",
    "IMPORTANCE",
    "INDEPENDENT_ORDER",
    "INTEGRAL_AS_EXPECTATION",
    "JOINT_MARGINAL",
    "JOINT_ORDER",
    "KL_DEFINITION",
    "LINEARITY",
    "LOG_INEQUALITY",
    "LOG_RULES",
    "MARGINALISATION",
    "NESTED_MARGINAL",
    "NORMALISED",
    "PRODUCT_RULE",
    "PULL_OUT",
    "SUM_AS_EXPECTATION",
    "SUM_OF_EXPECTATIONS",
    "RuleOutcome",
    "check",
    "density_signature",
    "depends_on",
    "gaussian_parameters",
    "has_abstract",
    "joint_model",
    "linear_gaussian_instance",
    "log_inequality_lemma",
    "model_families",
    "no_instance_reason",
    "nonnegative_certificate",
    "normalize",
    "normalize_traced",
    "refute_on_gaussian_instance",
]

LINEARITY = "linearity of E"
PULL_OUT = "factors free of the variable pulled out of E"
NORMALISED = "E_q[c] = c (q is normalised)"
LOG_RULES = "log of products and quotients of positive densities"
KL_DEFINITION = "definition KL(q, p) = E_q[log q/p]"
BAYES = "Bayes' rule p(z|x) = p(x|z) p(z) / p(x)"
GAUSSIAN_MOMENTS = "exact moments of a written-out Gaussian density"
GIBBS = "KL ≥ 0 (Gibbs' inequality)"
PRODUCT_RULE = "product rule p(x, z) = p(x|z) p(z) (one joint density)"
MARGINALISATION = "marginalisation ∫ p(x, z) dz = p(x)"
INTEGRAL_AS_EXPECTATION = "∫ q(z) f(z) dz = E_q[f] (an integral against a density)"
IMPORTANCE = "importance weights E_q[p(x, z)/q(z)] = ∫ p(x, z) dz"
DENSITY_NORMALISED = "a density integrates to 1"
SUM_AS_EXPECTATION = "Σ_k p(k) f(k) = E_p[f] (a sum against a discrete density)"
SUM_OF_EXPECTATIONS = ("E_q[Σ_i f_i] = Σ_i E_q[f_i] (linearity of E over a finite sum, and "
                       "of Σ: Σ_i (a_i + c·b_i) = Σ_i a_i + c·Σ_i b_i)")
JOINT_MARGINAL = ("an expectation over a joint density of a function of some of its variables "
                  "is one over their marginal (E_{p(z)}[E_{p(w|z)}[f(w)]] = E_{p(w)}[f(w)])")
JOINT_ORDER = ("an expectation over a joint density in either order "
               "(p(z) p(w|z) = p(w) p(z|w), Fubini)")
INDEPENDENT_ORDER = ("nested expectations over densities free of each other's variable in "
                     "either order (Fubini)")
LOG_INEQUALITY = "t − log t − 1 ≥ 0 for t > 0 (log t ≤ t − 1)"
NESTED_MARGINAL = ("nested expectations are one integral against the product of their "
                   "densities (Fubini); a variable the integrand is free of is integrated out "
                   "of that product, a declared density of it to 1 (marginalisation)")

_SIGNATURE = re.compile(r"([^\W\d]\w*)\((.*)\)$")
_ORDER = (KL_DEFINITION, INTEGRAL_AS_EXPECTATION, SUM_AS_EXPECTATION, SUM_OF_EXPECTATIONS,
          BAYES, PRODUCT_RULE,
          IMPORTANCE,
          MARGINALISATION, NESTED_MARGINAL, JOINT_MARGINAL, JOINT_ORDER, INDEPENDENT_ORDER,
          LOG_RULES, LINEARITY,
          PULL_OUT, NORMALISED, GAUSSIAN_MOMENTS)
#: The marker, among the model families handed to the normal form, that the step's model
#: densities are to be written through one joint density (see :func:`joint_model`).
_JOINT = "*joint"


@dataclass(frozen=True)
class _Signature:
    family: str
    given: tuple[str, ...]
    cond: tuple[str, ...]


def density_signature(node: sp.Basic) -> _Signature | None:
    """``p(z|x)(z, x)`` → (p, (z,), (x,)); None for anything that is not a declared density."""
    if not isinstance(node, AppliedUndef) or node.is_positive is not True:
        return None
    m = _SIGNATURE.match(node.func.__name__)
    if m is None:
        return None
    given, bar, cond = m.group(2).partition("|")
    g = tuple(v.strip() for v in given.split(",") if v.strip())
    c = tuple(v.strip() for v in cond.split(",") if v.strip()) if bar else ()
    if len(node.args) != len(g) + len(c):
        return None
    # the density at its arguments: q(z|x) applied at (z, x_1) is q(z|x_1), an i.i.d. copy
    names = tuple(str(a) for a in node.args)
    return _Signature(m.group(1), names[: len(g)], names[len(g):])


def _density(family: str, given: tuple[sp.Symbol, ...], cond: tuple[sp.Symbol, ...] = ()):
    """The abstract density ``family(given|cond)``, built as the parser builds it."""
    name = f"{family}({','.join(map(str, given))}"
    if cond:
        name += "|" + ",".join(map(str, cond))
    name += ")"
    return sp.Function(name, positive=True)(*given, *cond)


def has_abstract(expr: sp.Basic) -> bool:
    """True when ``expr`` contains an abstract (undefined) function such as q(z|x) or f(z).

    >>> import sympy as sp
    >>> z = sp.Symbol("z", real=True)
    >>> has_abstract(sp.Function("q(z)", positive=True)(z) + 1), has_abstract(z + 1)
    (True, False)
    """
    return bool(sp.S(expr).atoms(AppliedUndef))


def depends_on(expr: sp.Basic, name: str) -> bool:
    """Whether ``expr`` depends on ``name``: a symbol of that name, or a density of that family.

    ``=~ [q]`` asks that the dropped term be free of the density q (of any signature), and
    ``=~ [g, h]`` that it be free of the symbols g and h.

    >>> import sympy as sp
    >>> x, z = sp.symbols("x z", real=True)
    >>> q = sp.Function("q(z|x)", positive=True)(z, x)
    >>> depends_on(Expectation(sp.log(q), z, q), "q"), depends_on(sp.log(x), "q")
    (True, False)
    """
    expr = sp.S(expr)
    if any(str(s) == name for s in expr.free_symbols):
        return True
    for node in expr.atoms(AppliedUndef):
        sig = density_signature(node)
        if node.func.__name__ == name or (sig is not None and sig.family == name):
            return True
    return False


def model_families(*exprs: sp.Expr) -> frozenset[str]:
    """The density families of ``exprs`` read as joint models, to which Bayes' rule applies.

    A family is *variational* — free, related to nothing — when an expectation (or a KL
    divergence) is taken over one of its densities and it appears with that one density
    only, as q(z|x) does in the notes; every other family of abstract densities is a model,
    its densities the conditionals and marginals of one joint. Only structure counts, never
    the letters.

    Examples
    --------
    >>> import sympy as sp
    >>> x, w = sp.symbols("x w", real=True)
    >>> r = sp.Function("r(w|x)", positive=True)(w, x)
    >>> post = sp.Function("P(w|x)", positive=True)(w, x)
    >>> sorted(model_families(Expectation(sp.log(post), w, r)))
    ['P']
    >>> sorted(model_families(KL(r, post, w)))
    ['P']
    """
    members: dict[str, set[str]] = {}
    over: set[str] = set()
    for e in exprs:
        for node in sp.preorder_traversal(sp.S(e)):
            if isinstance(node, Expectation):  # (a KL divergence too: over its first density)
                sig = density_signature(node.density)
                if sig is not None:
                    over.add(sig.family)
            sig = density_signature(node)
            if sig is not None:  # one member per declared shape, whatever its arguments
                members.setdefault(sig.family, set()).add(node.func.__name__)
    return frozenset(f for f, sigs in members.items() if f not in over or len(sigs) > 1)


# --- normal form --------------------------------------------------------------------------


def _bayes(expr: sp.Expr, variable: sp.Symbol, model: frozenset[str],
           used: set[str], gone: set[sp.Basic] | None = None) -> sp.Expr:
    """Rewrite the posterior of ``variable`` of each ``model`` family by Bayes' rule; each
    rewriting (posterior, its replacement) is added to ``gone`` as a pair (to name the rule
    in the author's densities)."""
    subs = {}
    for node in expr.atoms(AppliedUndef):
        sig = density_signature(node)
        if (
            sig is None
            or sig.family not in model
            or sig.given != (str(variable),)
            or not sig.cond
        ):
            continue
        n = len(sig.given)
        given, cond = node.args[:n], node.args[n:]
        subs[node] = (
            _density(sig.family, cond, given) * _density(sig.family, given)
            / _density(sig.family, cond)
        )
    if not subs:
        return expr
    used.add(BAYES)
    if gone is not None:
        gone.update(sp.Tuple(k, v) for k, v in subs.items())
    return expr.xreplace(subs)


@lru_cache(maxsize=256)
def joint_model(*exprs: sp.Expr) -> bool:
    """Whether the step writes a model through its joint density: a density of a model family
    over two or more variables (p(x, z)), a condition on two or more (p(x|z, y)), a
    conditional of a model family outside any expectation, or an integral against a declared
    density. Then every density of a model family is written as
    a ratio of the family's densities over sets of variables (the product rule), so that
    p(x|z) p(z), p(z|x) p(x) and p(x, z) meet.

    >>> import sympy as sp
    >>> x, z = sp.symbols("x z", real=True)
    >>> joint_model(sp.log(sp.Function("p(x,z)", positive=True)(x, z)))
    True
    """
    if not any(sp.S(e).has(AppliedUndef) for e in exprs):
        return False
    model = model_families(*exprs)
    for e in exprs:
        stack = [(sp.S(e), False)]
        while stack:
            node, inside = stack.pop()
            sig = density_signature(node)
            if sig is not None and (len(sig.given) > 1 or len(sig.cond) > 1):
                return True
            if sig is not None and sig.cond and not inside and sig.family in model:
                return True  # a conditional of the model outside any expectation
            if isinstance(node, sp.Integral) and node.function.has(AppliedUndef):
                return True
            inside = inside or isinstance(node, Expectation)
            stack.extend((a, inside) for a in node.args)
    return False


def _over(family: str, variables: set[sp.Basic]) -> sp.Expr:
    """The density of ``family`` over ``variables`` (in a fixed order), 1 over none."""
    if not variables:
        return sp.S.One
    return _density(family, tuple(ordered(variables)))


def _product_rule(expr: sp.Expr, model: frozenset[str], used: set[str]) -> sp.Expr:
    """Each density of a model family written through the family's joint and marginals:
    p(A|B) = p(A, B) / p(B) (the product rule, read backwards)."""
    subs = {}
    for node in expr.atoms(AppliedUndef):
        sig = density_signature(node)
        if sig is None or sig.family not in model:
            continue
        n = len(sig.given)
        given, cond = set(node.args[:n]), set(node.args[n:])
        new = _over(sig.family, given | cond) / _over(sig.family, cond)
        if new != node:
            subs[node] = new
    if not subs:
        return expr
    used.add(PRODUCT_RULE)
    return expr.xreplace(subs)


def _marginal(h: sp.Expr, z: sp.Symbol, model: frozenset[str]) -> sp.Expr | None:
    """∫ h dz over the line when h is (a factor free of z times) one density of a model
    family over a set of variables containing z, in the product rule's form: the family's
    density over the other variables (marginalisation). None otherwise."""
    coeff, dep = h.as_independent(z, as_Add=False)
    sig = density_signature(dep)
    if sig is None or sig.family not in model or sig.cond or z not in dep.args:
        return None
    return coeff * _over(sig.family, set(dep.args) - {z})


def _integral_as_expectation(node: sp.Integral, model: frozenset[str],
                             used: set[str], joint: bool = True) -> sp.Expr | None:
    """∫ D(z, ...) g dz over the line as an expectation over the density of z in D: E_D[g]
    for a density of z (q(z|x)), p(x) E_{p(z|x)}[g] for a joint p(x, z)."""
    if len(node.limits) != 1 or len(node.limits[0]) != 3:
        return None
    z, lo, hi = node.limits[0]
    if not (lo is sp.S.NegativeInfinity and hi is sp.oo):
        return None
    for factor in sp.Mul.make_args(node.function):
        sig = density_signature(factor)
        if sig is None or z not in factor.args[: len(sig.given)]:
            continue
        rest = node.function / factor
        if sig.given == (str(z),):
            used.add(INTEGRAL_AS_EXPECTATION)
            return Expectation(rest, z, factor)
        if joint and sig.family in model:
            others = set(factor.args) - {z}
            conditional = _density(sig.family, (z,), tuple(ordered(others)))
            used.update((INTEGRAL_AS_EXPECTATION, PRODUCT_RULE))
            return _over(sig.family, others) * Expectation(rest, z, conditional)
    return None


def _whole_line(z: sp.Basic) -> bool:
    """Whether ``z`` is a real variable with no sign or integer declared: an abstract
    positive density of it is positive on the whole line."""
    return (isinstance(z, sp.Symbol) and z.is_real is True and z.is_integer is not True
            and z.is_positive is None and z.is_negative is None and z.is_zero is None
            and z.is_nonnegative is None and z.is_nonpositive is None)


def _whole_range(k: sp.Symbol, lo: sp.Expr, hi: sp.Expr) -> bool:
    """Whether ``lo..hi`` is every value the integer ``k`` may take (its declaration)."""
    if hi is not sp.oo:
        return False
    if lo is sp.S.NegativeInfinity:
        return True
    if k.is_positive:
        return lo == 1
    return bool(k.is_nonnegative) and lo == 0


def _sum_as_expectation(node: sp.Sum, used: set[str]) -> sp.Expr | None:
    """Σ_k p(k) f(k) over every value of k as E_{k~p}[f] for a declared density p of k; of
    nested sums Σ_k Σ_j …, the outermost, p free of the inner indices (the inner sums then
    the integrand)."""
    if len(node.limits) != 1 and not all(len(lim) == 3 for lim in node.limits):
        return None
    k, lo, hi = node.limits[-1]
    inner = {lim[0] for lim in node.limits[:-1]}
    if not (k.is_integer and _whole_range(k, lo, hi)) or any(
            lim[1].has(k) or lim[2].has(k) for lim in node.limits[:-1]):
        return None
    for factor in sp.Mul.make_args(node.function):
        sig = density_signature(factor)
        if sig is not None and sig.given == (str(k),) and not (factor.free_symbols & inner):
            used.add(SUM_AS_EXPECTATION)
            rest = node.function / factor
            return Expectation(sp.Sum(rest, *node.limits[:-1]) if inner else rest, k, factor)
    return None


def _expand_logs(expr: sp.Expr, used: set[str], gone: set[sp.Basic] | None = None) -> sp.Expr:
    """Logarithms of products, quotients and powers of positive factors expanded; the
    logarithms rewritten are added to ``gone`` (to name the identities a step used)."""
    if not expr.has(sp.log):
        return expr
    new = sp.expand_log(expr, deep=True)  # sound: uses only declared positivity
    # log((p + g)/2) = log(p + g) − log 2: a positive number common to every term of a sum
    new = new.replace(lambda n: isinstance(n, sp.log) and isinstance(n.args[0], sp.Add),
                      _log_of_scaled_sum)
    if new != expr:
        used.add(LOG_RULES)
        if gone is not None:
            gone.update(expr.atoms(sp.log) - new.atoms(sp.log))
    return new


def _log_of_scaled_sum(node: sp.log) -> sp.Expr:
    """log(c·a + c·b) = log c + log(a + b) for a positive rational c common to the terms
    (the sum is positive where the log is defined, so both logs are); else the node.

    >>> a, b = sp.symbols("a b", positive=True)
    >>> _log_of_scaled_sum(sp.log(a / 2 + b / 2))
    log(a + b) - log(2)
    """
    content, rest = node.args[0].primitive()
    if content == 1 or not content.is_positive or not content.is_Rational:
        return node
    return sp.log(rest) + sp.log(content)


def _expectation(f: sp.Expr, z: sp.Symbol, q: sp.Expr, model: frozenset[str],
                 used: set[str], disabled: frozenset[str] = frozenset(),
                 gone: set[sp.Basic] | None = None) -> sp.Expr:
    """E_{z~q}[f] as Σ coefficient · E[atom], by Bayes, the log rules and linearity; a rule
    named in ``disabled`` is not applied."""
    joint = _JOINT in model
    model = frozenset(m for m in model if m != _JOINT)
    settled = sp.S.Zero
    if (IMPORTANCE not in disabled and not f.has(sp.log) and has_abstract(q)
            and density_signature(q) is not None and density_signature(q).given == (str(z),)):
        # E_q[r/q] = ∫ r dz = 1 for a declared density r of z, a posterior p(z|x) too: taken
        # before Bayes' rule writes r through densities the step may not relate (Dieng et al.
        # 2017, the χ² divergence E_q[(p(z|x)/q(z))²] − 2 E_q[p(z|x)/q(z)] + 1)
        kept = []
        for term in sp.Add.make_args(sp.expand(f)):
            scale, other = sp.powsimp(q * term).as_independent(z, as_Add=False)
            sig = density_signature(other)
            if sig is not None and sig.given == (str(z),) and other != q:
                used.update((IMPORTANCE, DENSITY_NORMALISED))
                settled += scale
            else:
                kept.append(term)
        f = sp.Add(*kept)
    if BAYES not in disabled:
        f = _bayes(f, z, model, used, gone)
    if joint and PRODUCT_RULE not in disabled:
        f = _product_rule(f, model, used)
    logs = LOG_RULES not in disabled
    if logs:
        f = _expand_logs(f, used, gone)
    f = sp.expand(f, log=logs)
    terms = (f,) if LINEARITY in disabled else sp.Add.make_args(f)
    if len(terms) > 1:
        used.add(LINEARITY)
    # terms grouped by their part that depends on z: each E[part] is worked out once
    groups: dict[sp.Expr, list[sp.Expr]] = {}
    for term in terms:
        coeff, dep = term.as_independent(z, as_Add=False)
        groups.setdefault(dep, []).append(coeff)
    out = []
    for dep, coeffs in groups.items():
        coeff = sp.Add(*coeffs)
        if PULL_OUT in disabled and coeff != 1 and dep != 1:
            dep, coeff = sp.expand(coeff * dep, log=logs), sp.S.One
        if dep == 1 and NORMALISED in disabled:
            out.append(Expectation(coeff, z, q))
            continue
        if dep == 1 and _is_normalised(q, z):
            used.add(NORMALISED)
            out.append(coeff)
            continue
        if any(c != 1 for c in coeffs):
            used.add(PULL_OUT)
        if (isinstance(dep, sp.Sum) and SUM_OF_EXPECTATIONS not in disabled
                and _finite_limits(dep, z)):
            # E_q[Σ_i f_i] = Σ_i E_q[f_i]: a finite sum, its bounds free of z
            used.add(SUM_OF_EXPECTATIONS)
            inner = _expectation(dep.function, z, q, model | ({_JOINT} if joint else set()),
                                 used, disabled, gone)
            out.append(coeff * _split_sum(inner, dep.limits))
            continue
        if isinstance(dep, (Expectation, sp.Mul)) and dep.has(Expectation):
            value = _nested(dep, z, q, model | ({_JOINT} if joint else set()), used,
                            disabled, gone)
            if value is not None:
                out.append(coeff * value)
                continue
        if (joint and not dep.has(sp.log) and IMPORTANCE not in disabled
                and MARGINALISATION not in disabled and PRODUCT_RULE not in disabled):
            # E_q[h/q] = ∫ h dz: importance weights
            density = _product_rule(q, model, set())
            value = _marginal(sp.powsimp(density * dep), z, model)
            if value is not None:
                used.update((IMPORTANCE, MARGINALISATION))
                out.append(coeff * value)
                continue
        if IMPORTANCE not in disabled and not dep.has(sp.log) and has_abstract(q):
            # E_q[r/q] = ∫ r dz = 1 for a declared density r of z (whatever its letter)
            scale, other = sp.powsimp(q * dep).as_independent(z, as_Add=False)
            sig = density_signature(other)
            if sig is not None and sig.given == (str(z),) and density_signature(q) is not None:
                used.update((IMPORTANCE, DENSITY_NORMALISED))
                out.append(coeff * scale)
                continue
        if (IMPORTANCE not in disabled and not dep.has(sp.log) and _whole_line(z)
                and isinstance(q, AppliedUndef) and density_signature(q) is not None
                and density_signature(q).given == (str(z),)):
            # E_q[h/q] = ∫ h dz over the line, q positive there: the weights of importance
            # sampling (Bishop 2006, sec. 11.1.4) and of rejection sampling (sec. 11.1.2)
            whole = sp.powsimp(q * dep)
            if not whole.has(q):
                used.add(IMPORTANCE)
                integral = sp.Integral(whole, (z, sp.S.NegativeInfinity, sp.oo))
                as_e = (None if INTEGRAL_AS_EXPECTATION in disabled else
                        _integral_as_expectation(integral, model, used, joint=False))
                out.append(coeff * (integral if as_e is None else
                                    _expectation(as_e.integrand, z, as_e.density, model,
                                                 used, disabled, gone)))
                continue
        value = None if GAUSSIAN_MOMENTS in disabled else _gaussian_moment(dep, z, q)
        if value is not None:
            used.add(GAUSSIAN_MOMENTS)
            out.append(coeff * value)
            continue
        out.append(coeff * Expectation(dep, z, q))
    return settled + sp.Add(*out)


def _finite_limits(node: sp.Sum, z: sp.Symbol) -> bool:
    """Whether every limit of the sum ``node`` is finite and free of ``z`` (its index not z)."""
    return all(i != z and not lo.has(z) and not hi.has(z) and lo.is_infinite is not True
               and hi.is_infinite is not True and not lo.has(sp.oo, -sp.oo)
               and not hi.has(sp.oo, -sp.oo) for i, lo, hi in node.limits)


def _split_sum(summand: sp.Expr, limits: tuple) -> sp.Expr:
    """Σ over ``limits`` (one index) of ``summand``, split by linearity: each term's factor
    free of the index pulled out, a term free of it times the number of terms. Several
    limits: the sum kept whole.

    >>> i = sp.Symbol("i", integer=True)
    >>> D = sp.Symbol("D", integer=True, positive=True)
    >>> f = sp.Function("f", real=True)
    >>> _split_sum(2 * f(i) + 3, ((i, 1, D),))
    3*D + 2*Sum(f(i), (i, 1, D))
    """
    if len(limits) != 1:
        return sp.Sum(summand, *limits)
    i, lo, hi = limits[0]
    out = []
    for term in sp.Add.make_args(sp.expand(summand)):
        coeff, dep = term.as_independent(i, as_Add=False)
        out.append(coeff * (hi - lo + 1) if dep == 1 else coeff * sp.Sum(dep, (i, lo, hi)))
    return sp.Add(*out)


def _chain_form(q: sp.Expr, model: frozenset[str]) -> tuple[
        str, frozenset[sp.Basic], frozenset[sp.Basic]] | None:
    """A density of a model family as (its family, the variables of the joint density it is
    a conditional of, the variables it is conditioned on): ``p(w|z, x)`` as
    (p, {w, z, x}, {z, x}), and so its product-rule form p(w, z, x)/p(z, x). None for
    anything else (a variational density, a written-out one, repeated arguments)."""
    sig = density_signature(q)
    if sig is not None:
        if sig.family not in model or len(set(q.args)) != len(q.args):
            return None
        return sig.family, frozenset(q.args), frozenset(q.args[len(sig.given):])
    top, bottom = q.as_numer_denom()
    num, den = density_signature(top), density_signature(bottom)
    if num is None or num.cond or num.family not in model or len(set(top.args)) != len(
            top.args):
        return None
    if bottom == 1:
        return num.family, frozenset(top.args), frozenset()
    if den is None or den.cond or den.family != num.family or not (
            set(bottom.args) < set(top.args)):
        return None
    return num.family, frozenset(top.args), frozenset(bottom.args)


def _nested(inner: sp.Expr, z: sp.Symbol, q: sp.Expr, model: frozenset[str],
            used: set[str], disabled: frozenset[str],
            gone: set[sp.Basic] | None) -> sp.Expr | None:
    """E_{z~q}[inner] for an expectation ``inner`` (or a factor times one): by the rules of
    one model family's pair of conditionals (:func:`_nested_pair`), else as one integral
    against the product of the densities of the whole chain (:func:`_nested_chain`); None
    when neither rewrites it."""
    if isinstance(inner, sp.Mul):  # h·E_r[g] = E_r[h·g] for a factor h free of r's variable
        found = [f for f in inner.args if isinstance(f, Expectation)]
        if len(found) == 1:
            rest = inner / found[0]
            if not rest.has(Expectation, sp.Integral, sp.Sum) and (
                    found[0].variable not in rest.free_symbols):
                inner = Expectation(rest * found[0].integrand, found[0].variable,
                                    found[0].density)
    value = _nested_pair(inner, z, q, model, used, disabled, gone)
    if value is None and NESTED_MARGINAL not in disabled:
        value = _nested_chain(inner, z, q, model, used, disabled, gone)
    return value


def _chain_of(inner: sp.Expr, z: sp.Symbol, q: sp.Expr) -> tuple[
        list[tuple[sp.Symbol, sp.Expr]], sp.Expr] | None:
    """The chain E_{z~q}[E_{v₂~q₂}[… E_{vₙ~qₙ}[g]]] as its (variable, density) pairs, outermost
    first, and its innermost integrand g; None unless every variable is a distinct symbol,
    every density positive, built of abstract densities and free of the variables bound
    inside it, and g free of expectations over them."""
    chain = [(z, q)]
    while type(inner) is Expectation:
        chain.append((inner.variable, inner.density))
        inner = inner.integrand
    variables = [v for v, _ in chain]
    if len(chain) < 2 or len(set(variables)) != len(variables) or not all(
            isinstance(v, sp.Symbol) for v in variables):
        return None
    for i, (_, density) in enumerate(chain):
        if not _positive(density) or not has_abstract(density) or (
                density.free_symbols & set(variables[i + 1:])):
            return None
    return chain, inner


def _positive(expr: sp.Expr) -> bool:
    """Whether ``expr`` is positive as a product, quotient or power of positive factors and
    integrals of positive functions over an interval (lower < upper).

    >>> x, y = sp.symbols("x y", real=True)
    >>> f = sp.Function("f", positive=True)
    >>> _positive(sp.Integral(f(x) * f(y), (x, -sp.oo, sp.oo)) / f(y)), _positive(f(x) - 1)
    (True, False)
    """
    if expr.is_positive is True:
        return True
    if isinstance(expr, sp.Mul):
        return all(_positive(a) for a in expr.args)
    if isinstance(expr, sp.Pow):
        return expr.exp.is_real is True and _positive(expr.base)
    if isinstance(expr, sp.Integral) and len(expr.limits) == 1 and len(expr.limits[0]) == 3:
        _, lo, hi = expr.limits[0]
        return (hi - lo).is_extended_positive is True and _positive(expr.function)
    return False


def _integrate_out(expr: sp.Expr, v: sp.Symbol,
                   joint: frozenset[str] = frozenset()) -> sp.Expr | None:
    """∫ expr dv for a positive ``expr`` (a product of densities): the factor free of v taken
    out, a declared density of v alone integrating to 1 (under an integral over another
    variable too: Fubini), anything else kept as ∫ … dv over where v lives; None when
    nothing depends on v (the integral would not be finite).

    >>> x, y = sp.symbols("x y", real=True)
    >>> F = lambda name, *a: sp.Function(name, positive=True)(*a)
    >>> _integrate_out(F("p(x)", x) * F("p(y|x)", y, x), y)
    p(x)(x)
    >>> _integrate_out(F("p(x)", x) * F("p(y|x)", y, x), x)
    Integral(p(x)(x)*p(y|x)(y, x), (x, -oo, oo))
    """
    from elbo_derivation.core.factorised import variable_range

    scale, dep = expr.as_independent(v, as_Add=False)
    if dep == 1:
        return None
    sig = density_signature(dep)
    if sig is not None and dep.args[0] == v and v not in dep.args[1:] and len(sig.given) == 1:
        return scale
    if (sig is not None and sig.family in joint and list(dep.args).count(v) == 1
            and v in dep.args[:len(sig.given)]):
        # a density of a family read as one joint: its marginal, v integrated out
        given = tuple(a for a in dep.args[:len(sig.given)] if a != v)
        return scale * _density(sig.family, given, tuple(dep.args[len(sig.given):]))
    if isinstance(dep, sp.Integral) and len(dep.limits) == 1 and len(dep.limits[0]) == 3:
        u, lo, hi = dep.limits[0]
        if u != v and not lo.has(v) and not hi.has(v):
            inside = _integrate_out(dep.function, v, joint)
            if inside is not None and inside.has(u):
                whole = (_integrate_out(inside, u, joint)
                         if (lo, hi) == variable_range(u) else None)
                return scale * (sp.Integral(inside, dep.limits[0]) if whole is None else whole)
    return scale * sp.Integral(dep, (v, *variable_range(v)))


def _nested_chain(inner: sp.Expr, z: sp.Symbol, q: sp.Expr, model: frozenset[str],
                  used: set[str], disabled: frozenset[str],
                  gone: set[sp.Basic] | None) -> sp.Expr | None:
    """E_{z~q}[E_{v₂~q₂}[… E_{vₙ~qₙ}[g]]] as the one integral it is, ∫ q·q₂⋯qₙ·g (Fubini),
    with each variable g is free of integrated out of the product of the densities
    (marginalisation): E_{p(x)}[E_{p(y|x)}[E_{p(t|x)}[g(y, t)]]] is an expectation over
    the marginal ∫ p(x)p(y|x)p(t|x) dx of (y, t), which is what a marginal p(y, t) of a model
    declared by these factors is written as. The result is written in one form whatever the
    order and the densities it was written with: the kept variables in the derivation's order
    of variables, each over its conditional (a ratio of marginals of that product, each
    integral's bound variable named canonically).

    Two cases, both only for densities of abstract functions: the chain's densities are one
    model family's conditionals p(v₁|B), p(v₂|v₁, B), …, and a variable is dropped — the kept
    ones are written over that family's marginal and conditionals; or every variable is a real
    variable on the line or the half line and a variable is dropped or a density is an
    integral (a marginal of a model declared by its factors). None otherwise."""
    found = _chain_of(inner, z, q)
    if found is None:
        return None
    chain, g = found
    variables = [v for v, _ in chain]
    keep = [v for v in ordered(variables) if v in g.free_symbols]
    dropped = [v for v in reversed(variables) if v not in g.free_symbols]
    forms = [_chain_form(density, model) for _, density in chain]
    if dropped and keep and JOINT_MARGINAL not in disabled and all(
            f is not None for f in forms) and len(
            {f[0] for f in forms}) == 1:
        family, _, given = forms[0]
        ok = True
        for (v, _), (_, joint, cond) in zip(chain, forms, strict=True):
            ok = ok and v not in cond and cond == given and joint == cond | {v}
            given = joint
        if ok:
            used.add(JOINT_MARGINAL)
            outer = tuple(forms[0][2])
            out = g
            for i in range(len(keep) - 1, -1, -1):
                cond = tuple(ordered({*outer, *keep[:i]}))
                out = _expectation(out, keep[i], _density(family, (keep[i],), cond), model,
                                   used, disabled, gone)
            return out
    from elbo_derivation.core.factorised import integrable_variable

    if not keep or not all(integrable_variable(v) for v in variables) or not (
            dropped or any(density.has(sp.Integral) for _, density in chain)):
        return None
    # the densities of a family read as one joint marginalise by their names too
    families = (frozenset(m for m in model if m != _JOINT) if _JOINT in model
                else frozenset())
    densities = [density for _, density in chain]
    if families and PRODUCT_RULE not in disabled:
        densities = [_product_rule(density, families, used) for density in densities]
    joint = sp.Mul(*densities)
    for v in dropped:
        joint = _integrate_out(joint, v, families)
        if joint is None:
            return None
    marginals = [joint]  # over keep[:m], m = len(keep), len(keep) − 1, …, 1
    for v in reversed(keep[1:]):
        marginal = _integrate_out(marginals[-1], v, families)
        if marginal is None:
            return None
        marginals.append(marginal)
    marginals.reverse()
    used.add(NESTED_MARGINAL)
    out = g
    for i in range(len(keep) - 1, -1, -1):
        density = marginals[i] / marginals[i - 1] if i else marginals[0]
        out = Expectation(out, keep[i], _canonical_bound(density))
    return out


def _canonical_bound(expr: sp.Expr, depth: int = 0) -> sp.Expr:
    """``expr`` with the variable of each integral in it renamed by its depth of nesting alone
    (∫0, ∫1, …, names no declaration can give; its assumptions kept), so that one integral
    written with two names for its variable is one expression.

    >>> x, u = sp.symbols("x u", real=True)
    >>> f = sp.Function("f", positive=True)
    >>> a, b = sp.Integral(f(x), (x, 0, 1)), sp.Integral(f(u), (u, 0, 1))
    >>> _canonical_bound(a) == _canonical_bound(b), _canonical_bound(a)
    (True, Integral(f(∫0), (∫0, 0, 1)))
    """
    if isinstance(expr, sp.Integral) and len(expr.limits) == 1 and len(expr.limits[0]) == 3:
        u, lo, hi = expr.limits[0]
        new = sp.Symbol(f"∫{depth}", **u.assumptions0)
        body = _canonical_bound(expr.function.xreplace({u: new}), depth + 1)
        return sp.Integral(body, (new, lo, hi))
    if not expr.args or not expr.has(sp.Integral):
        return expr
    return expr.func(*(_canonical_bound(a, depth) for a in expr.args))


def _nested_pair(inner: sp.Expr, z: sp.Symbol, q: sp.Expr, model: frozenset[str],
                 used: set[str], disabled: frozenset[str],
                 gone: set[sp.Basic] | None) -> sp.Expr | None:
    """E_{z~q}[E_{w~r}[g]] when q = p(z|B) and r = p(w|z, B) are one model family's
    conditionals (their product the joint p(z, w|B)): over the marginal p(w|B) alone when
    g is free of z (marginalisation), else with w outside (E_{p(w|B)}[E_{p(z|w, B)}[g]],
    Fubini) when w comes first in the derivation's order of variables (the order of its
    declarations, see :mod:`~elbo_derivation.core.order`, which a renaming keeps: never the
    letters), so that an expectation over one joint density has one normal form whichever
    order it was written in. None when the
    two densities are not such a pair (or the order is already the normal one). A factor h
    of z in front of the inner expectation is taken inside it: h·E_r[g] = E_r[h·g]."""
    if isinstance(inner, sp.Mul):
        found = [f for f in inner.args if isinstance(f, Expectation)]
        if len(found) != 1:
            return None
        rest = inner / found[0]
        if rest.has(Expectation, sp.Integral, sp.Sum) or found[0].variable in rest.free_symbols:
            return None
        inner = Expectation(rest * found[0].integrand, found[0].variable, found[0].density)
    if not isinstance(inner, Expectation):
        return None
    w, g = inner.variable, inner.integrand
    if (INDEPENDENT_ORDER not in disabled and isinstance(w, sp.Symbol) and w != z
            and not inner.density.has(z) and not q.has(w) and _first(w, z)):
        # E_{z~q}[E_{w~r}[g]] with q free of w and r free of z: ∫∫ q r g dz dw in either
        # order (Fubini), the variable first in the derivation's order outside; so a model's
        # p(t|x) p(y|x) meets p(y|x) p(t|x, y) once its factors make p(t|x, y) = p(t|x)
        used.add(INDEPENDENT_ORDER)
        swapped = _expectation(g, z, q, model, used, disabled, gone)
        return _expectation(swapped, w, inner.density, model, used, disabled, gone)
    outer, inside = _chain_form(q, model), _chain_form(inner.density, model)
    if outer is None or inside is None or outer[0] != inside[0] or not isinstance(
            w, sp.Symbol):
        return None
    family, joint_a, cond_a = outer
    _, joint_b, cond_b = inside
    if (joint_a != cond_a | {z} or z in cond_a or cond_b != joint_a
            or joint_b != cond_b | {w} or w in cond_b):
        return None
    given = tuple(ordered(cond_a))
    if z not in g.free_symbols:
        if JOINT_MARGINAL in disabled:
            return None
        used.add(JOINT_MARGINAL)
        return _expectation(g, w, _density(family, (w,), given), model, used, disabled, gone)
    if JOINT_ORDER in disabled or not _first(w, z):
        return None
    used.add(JOINT_ORDER)
    swapped = _expectation(g, z, _density(family, (z,), tuple(ordered({*cond_a, w}))),
                           model, used, disabled, gone)
    return _expectation(swapped, w, _density(family, (w,), given), model, used, disabled,
                        gone)


def _first(w: sp.Basic, z: sp.Basic) -> bool:
    """Whether ``w`` comes before ``z`` in the derivation's order of variables (the order of
    its declarations; by name only outside any derivation), the fixed order in which
    :func:`_nested` writes two expectations over one joint density.

    >>> from elbo_derivation.core.order import symbol_order
    >>> a, b = sp.symbols("a b", real=True)
    >>> _first(a, b), _first(b, a)
    (True, False)
    >>> with symbol_order(["b", "a"]):
    ...     _first(a, b), _first(b, a)
    (False, True)
    """
    return w != z and ordered((w, z))[0] == w


@lru_cache(maxsize=512)
def _gaussian_moment(f: sp.Expr, z: sp.Symbol, q: sp.Expr) -> sp.Expr | None:
    """E_{z~q}[f] exactly, for a written-out Gaussian q and a polynomial (or Gaussian) f.

    Cached: finding the rules a step needed normalises its sides once per rule left out,
    and most of those forms take the same moments.

    When q is a normalised Gaussian N(m, v) and f a polynomial in z, E[f] = Σ_k f_k M_k with
    the raw moments M_k of N(m, v) (m and v are found once per density); otherwise the whole
    integral ∫ q f dz is computed by :func:`~elbo_derivation.decide.gaussian.gaussian_integral`.
    """
    if has_abstract(q) or has_abstract(f) or f.has(Expectation, sp.Integral):
        return None
    from elbo_derivation.decide.gaussian import NotGaussianError, gaussian_integral, normal_moment

    params = _normal_parameters(q, z)
    if params is not None:
        try:
            poly = sp.Poly(f, z)
        except (sp.PolynomialError, sp.GeneratorsNeeded):
            poly = None
        if poly is not None and all(not c.has(z) for c in poly.coeffs()):
            m, v = params
            return sp.Add(*[c * normal_moment(k, m, v) for (k,), c in poly.terms()])
    try:
        return gaussian_integral(q * f, z)
    except (NotGaussianError, sp.PolynomialError, sp.GeneratorsNeeded, ValueError):
        return None


def gaussian_parameters(q: sp.Expr, z: sp.Symbol) -> tuple[sp.Expr, sp.Expr] | None:
    """(mean, variance) when the written-out density ``q`` is N(z; mean, variance) and
    integrates to 1 (checked exactly), else None.

    >>> z, m = sp.symbols("z m", real=True)
    >>> s = sp.Symbol("s", positive=True)
    >>> from elbo_derivation.decide.gaussian import gaussian_density
    >>> gaussian_parameters(gaussian_density(z, m, s), z)
    (m, s**2)
    """
    return _normal_parameters(q, z)


@lru_cache(maxsize=256)
def _normal_parameters(q: sp.Expr, z: sp.Symbol) -> tuple[sp.Expr, sp.Expr] | None:
    """(m, v) when the written-out density q is N(z; m, v) and integrates to 1, else None."""
    shape = _gaussian_shape(q, z)
    if shape is None:
        return None
    const, a, b, c0 = shape
    form = GaussianForm.from_coefficients(a, b, c0)
    # ∫ const · exp(a z² + b z + c0) dz = const · exp(c0 − b²/(4a)) · sqrt(π/(−a))
    total = const * sp.exp(form.peak) * sp.sqrt(sp.pi / (-a))
    if total != 1 and sp.cancel(sp.powsimp(sp.expand(total))) != 1:
        return None
    return sp.cancel(form.mean), sp.cancel(form.variance)


def _gaussian_shape(q: sp.Expr, z: sp.Symbol) -> tuple[sp.Expr, ...] | None:
    """(const, a, b, c0) with q = const · exp(a z² + b z + c0), a < 0, or None."""
    if has_abstract(q):
        return None
    const, dep = q.as_independent(z, as_Add=False)
    if not isinstance(dep, sp.exp) or const.has(z) or const.is_positive is not True:
        return None
    from elbo_derivation.decide.gaussian import (
        polynomial_coefficients,  # (no Poly: no coefficient domain to build)
    )

    coeffs = polynomial_coefficients(dep.args[0], z)
    if coeffs is None or max(coeffs, default=0) != 2:
        return None
    a, b, c0 = (coeffs.get(k, sp.S.Zero) for k in (2, 1, 0))
    if any(c.is_real is not True for c in (a, b, c0)):
        return None
    if a.is_negative is not True:
        return None
    return const, a, b, c0


def _is_normalised(q: sp.Expr, z: sp.Symbol) -> bool:
    """A declared density is normalised by declaration; a written-out one must integrate to 1.

    A concrete density is never assumed normalised: its integral is computed exactly, so a
    wrong normaliser is not silently fixed.
    """
    sig = density_signature(q)
    if sig is not None:
        return sig.given == (str(z),)
    if has_abstract(q):
        return False
    return _normal_parameters(q, z) is not None or _integrates_to_one(q, z)


@lru_cache(maxsize=256)
def _integrates_to_one(q: sp.Expr, z: sp.Symbol) -> bool:
    from elbo_derivation.decide.gaussian import NotGaussianError, gaussian_integral

    try:
        value = gaussian_integral(q, z)
    except (NotGaussianError, sp.PolynomialError, ValueError):
        return False
    return sp.simplify(value - 1) == 0


def normalize_traced(expr: sp.Expr, model: frozenset[str] | None = None,
                     disabled: frozenset[str] | set[str] = frozenset(),
                     ) -> tuple[sp.Expr, list[str]]:
    """:func:`normalize`, with the names of the rules it used (in a fixed order).

    ``model`` names the model families (Bayes' rule applies to them); by default
    :func:`model_families` of ``expr``. Both sides of a step must be normalised with the
    families of the whole step. A rule named in ``disabled`` is not applied (the form is
    then less reduced, its value the same).

    >>> import sympy as sp
    >>> z = sp.Symbol("z", real=True)
    >>> q, p = sp.Function("q(z)", positive=True)(z), sp.Function("p(z)", positive=True)(z)
    >>> for rule in normalize_traced(KL(q, p, z) + 1)[1]:
    ...     print(rule)
    definition KL(q, p) = E_q[log q/p]
    log of products and quotients of positive densities
    linearity of E
    factors free of the variable pulled out of E
    """
    expr = sp.S(expr)
    out, used, _ = _normal_form(expr, model_families(expr) if model is None
                                else frozenset(model), frozenset(disabled))
    return out, list(used)


def _normal_form(expr: sp.Expr, model: frozenset[str], disabled: frozenset[str] = frozenset(),
                 ) -> tuple[sp.Expr, tuple[str, ...], frozenset[sp.Basic]]:
    """Cached: a derivation's chain normalises each expression twice (as rhs, then as lhs).
    A rule named in ``disabled`` is not applied (to find the rules a step needs). Returns the
    form, the rules used and the logarithms the log rules rewrote. The form writes densities
    and nested expectations in the derivation's order of variables, so the cache is keyed on
    that order too."""
    return _normal_form_in(expr, model, disabled, current_order())


@lru_cache(maxsize=1024)
def _normal_form_in(expr: sp.Expr, model: frozenset[str], disabled: frozenset[str],
                    order: tuple[str, ...] | None,
                    ) -> tuple[sp.Expr, tuple[str, ...], frozenset[sp.Basic]]:
    """:func:`_normal_form` in the order ``order`` (the current one: it is the cache's key)."""
    used: set[str] = set()
    gone: set[sp.Basic] = set()
    joint = _JOINT in model
    families = frozenset(m for m in model if m != _JOINT)

    def visit(node: sp.Basic) -> sp.Basic:
        if isinstance(node, KL):
            if KL_DEFINITION in disabled:
                return node  # KL(q, p) kept whole: not read as the expectation it is
            used.add(KL_DEFINITION)
            node = node.as_expectation()
        if isinstance(node, sp.Integral) and INTEGRAL_AS_EXPECTATION not in disabled:
            # against a density of the variable alone in any model; of a joint in a joint one
            as_e = _integral_as_expectation(node, families, used,
                                            joint=joint and PRODUCT_RULE not in disabled)
            if as_e is not None:
                node = as_e
        if (isinstance(node, sp.Integral) and len(node.limits) == 1
                and len(node.limits[0]) == 3):
            # constant factors out of ∫ (linearity), so that ∫ g/k dz is (1/k)∫ g dz
            z = node.limits[0][0]
            scale, rest = node.function.as_independent(z, as_Add=False)
            if scale != 1 and rest != 1:
                return scale * visit(sp.Integral(rest, node.limits[0]))
        if (isinstance(node, sp.Sum) and node.function.has(AppliedUndef)
                and SUM_AS_EXPECTATION not in disabled):
            as_e = _sum_as_expectation(node, used)
            if as_e is not None:
                node = as_e
        if isinstance(node, Expectation):
            return _expectation(visit(node.integrand), node.variable, node.density, model,
                                used, disabled, gone)
        if (isinstance(node, sp.Sum) and node.function.has(Expectation)
                and SUM_OF_EXPECTATIONS not in disabled and len(node.limits) == 1):
            return _split_sum(visit(node.function), node.limits)
        if not node.args or not node.has(Expectation, sp.Integral, sp.Sum):
            return node
        new = tuple(visit(a) for a in node.args)
        return node.func(*new) if new != node.args else node

    out = _rename_copies(visit(expr))
    if joint and PRODUCT_RULE not in disabled:
        out = _product_rule(out, families, used)
    logs = LOG_RULES not in disabled
    if logs:
        out = _expand_logs(out, used, gone)
    out = _derivatives_done(out)
    out = sp.expand(out, log=logs)
    return out, tuple(name for name in _ORDER if name in used), frozenset(gone)


def _derivatives_done(expr: sp.Expr) -> sp.Expr:
    """Each derivative of an expression in abstract densities (no integral or expectation
    inside) carried out: linear, zero for a density free of the variable, the chain rule
    through log. After Bayes' rule and the product rule, ∂/∂x log p(c|x) and
    ∂/∂x (log p(x|c) + log p(c) − log p(x)) meet (the guidance of Ho & Salimans 2022)."""
    if not expr.has(sp.Derivative):
        return expr
    return expr.replace(
        lambda e: (isinstance(e, sp.Derivative) and e.expr.has(AppliedUndef)
                   and not e.expr.has(Expectation, sp.Integral, sp.Sum)),
        lambda e: e.doit())


def _rename_copies(expr: sp.Expr) -> sp.Expr:
    """Each expectation's variable renamed to the variable its density was declared with,
    where that name is not free in it: E over z₂ ~ q(z₂|x) of f(z₂) is E over z ~ q(z|x) of
    f(z) (i.i.d. copies have one law; renaming a bound variable changes nothing)."""
    def declared(v: sp.Symbol, q: sp.Basic) -> sp.Symbol:
        if not isinstance(q, AppliedUndef) or v not in q.args:
            return v
        m = _SIGNATURE.match(q.func.__name__)
        names = re.split(r"[|,]", m.group(2)) if m else []
        if len(names) != len(q.args):
            return v
        name = names[q.args.index(v)].strip()
        return v if not name or name == v.name else sp.Symbol(name, **v.assumptions0)

    def visit(node: sp.Basic) -> sp.Basic:
        if isinstance(node, Expectation):
            body, v, q = visit(node.integrand), node.variable, node.density
            c = declared(v, q)
            if c != v and c not in body.free_symbols and c not in q.free_symbols:
                return Expectation(body.xreplace({v: c}), c, q.xreplace({v: c}))
            return node if body == node.integrand else Expectation(body, v, q)
        if not node.args or not node.has(Expectation):
            return node
        new = tuple(visit(a) for a in node.args)
        return node.func(*new) if new != node.args else node

    return visit(expr)


def normalize(expr: sp.Expr, model: frozenset[str] | None = None) -> sp.Expr:
    """A canonical form of an expression with expectations over abstract positive densities.

    KL nodes become expectations (definition of KL); inside each expectation the model's
    posterior is rewritten by Bayes' rule, logarithms of products and quotients are expanded
    (sound: densities are positive), sums are split (linearity), factors free of the
    variable are pulled out, and expectations of constants become the constants (q is
    normalised). Outside expectations logarithms are expanded as far as the declared
    assumptions allow. The value of the expression is unchanged.

    Parameters
    ----------
    expr : sympy.Expr
    model : frozenset of str, optional
        the model families (default: :func:`model_families` of ``expr``).

    Returns
    -------
    sympy.Expr
        a sum of coefficients times expectations of atoms (expanded).

    Examples
    --------
    >>> import sympy as sp
    >>> x, z = sp.symbols("x z", real=True)
    >>> q = sp.Function("q(z|x)", positive=True)(z, x)
    >>> px = sp.Function("p(x)", positive=True)(x)
    >>> normalize(Expectation(sp.log(q / px) + 2, z, q))
    -log(p(x)(x)) + E[log(q(z|x)(z, x)), z ~ q(z|x)(z, x)] + 2
    """
    return normalize_traced(expr, model)[0]


# --- inequalities -------------------------------------------------------------------------


def log_inequality_lemma() -> bool:
    """Check t − log t − 1 ≥ 0 for t > 0, with equality only at t = 1, by convexity.

    f(t) = t − log t − 1 has f(1) = 0, f'(1) = 0 and f''(t) = 1/t² > 0 on t > 0: a strictly
    convex function is above its tangent at 1, which is the line 0.

    >>> log_inequality_lemma()
    True
    """
    t = sp.Symbol("t", positive=True)
    f = t - sp.log(t) - 1
    return bool(
        f.subs(t, 1) == 0
        and sp.diff(f, t).subs(t, 1) == 0
        and sp.diff(f, t, 2).is_positive is True
    )


def _termwise_nonnegative(expr: sp.Expr) -> bool:
    for form in (expr, sp.factor(expr), sp.factor_terms(expr)):
        if form.is_nonnegative is True:
            return True
        if all(t.is_nonnegative is True for t in sp.Add.make_args(form)):
            return True
    return False


def nonnegative_certificate(expr: sp.Expr) -> str | None:
    """A reason why ``expr`` ≥ 0 for every value of its symbols, or None.

    Recognises sums of terms SymPy can show non-negative (squares of reals, products of
    positive symbols) plus k·(u − log u − 1) with k ≥ 0 and u positive (log u ≤ u − 1).
    Never expands logarithms (``log=False``) so that log u keeps its argument.

    Examples
    --------
    >>> import sympy as sp
    >>> s, m = sp.Symbol("s", positive=True), sp.Symbol("m", real=True)
    >>> nonnegative_certificate((s**2 - sp.log(s**2) - 1) / 2 + m**2)
    't − log t − 1 ≥ 0 for t > 0 (log t ≤ t − 1)'
    >>> nonnegative_certificate(m - 1) is None
    True
    """
    expr = sp.S(expr)
    if expr.has(Expectation) or has_abstract(expr):
        return None
    if _termwise_nonnegative(expr):
        return "a sum of non-negative terms"
    flat = sp.expand(expr, log=False)
    for node in sorted(flat.atoms(sp.log), key=sp.default_sort_key):
        u = node.args[0]
        if u.is_positive is not True:
            continue
        k = -flat.coeff(node)
        if k == 0 or k.is_nonnegative is not True or k.has(node):
            continue
        rest = sp.expand(flat - k * (u - node - 1), log=False)
        if not rest.has(node) and _termwise_nonnegative(rest):
            return LOG_INEQUALITY
    return None


MONOTONE_EXPECTATION = "E[g] ≥ 0 when g ≥ 0 (monotonicity of the expectation)"


def expectation_certificate(expr: sp.Expr) -> str | None:
    """A reason why ``expr``, a combination of expectations over one density (and constants,
    E[c] = c), is ≥ 0: its integrand gathered into one, E[g], is non-negative wherever the
    densities in it take positive values (:func:`nonnegative_certificate` with each density
    value a positive number); or None.

    Examples
    --------
    >>> import sympy as sp
    >>> x = sp.Symbol("x", real=True)
    >>> q, p = (sp.Function(n, positive=True)(x) for n in ("q(x)", "p(x)"))
    >>> gap = Expectation(p / q - 1, x, q) - Expectation(sp.log(p / q), x, q)
    >>> for part in expectation_certificate(gap).split("; "):
    ...     print(part)
    E[g] ≥ 0 when g ≥ 0 (monotonicity of the expectation)
    t − log t − 1 ≥ 0 for t > 0 (log t ≤ t − 1)
    >>> expectation_certificate(Expectation(sp.log(p / q), x, q)) is None
    True
    >>> y = sp.Symbol("y", real=True)
    >>> r = sp.Function("r(y|x)", positive=True)(y, x)
    >>> inner = Expectation(r / p - 1 - sp.log(r / p), y, r)
    >>> for part in expectation_certificate(Expectation(inner, x, q)).split("; "):
    ...     print(part)
    E[g] ≥ 0 when g ≥ 0 (monotonicity of the expectation)
    t − log t − 1 ≥ 0 for t > 0 (log t ≤ t − 1)
    >>> t = sp.Symbol("t", real=True)
    >>> w = sp.Function("w(t|x)", positive=True)(t, x)
    >>> kl = KL(r, sp.Function("s(y|t)", positive=True)(y, t), y)
    >>> expectation_certificate(Expectation(Expectation(kl, t, w), x, q)).split("; ")[1]
    "KL ≥ 0 (Gibbs' inequality)"
    """
    expr = sp.S(expr)
    if not expr.has(Expectation):
        return None
    over: set[tuple[sp.Basic, sp.Basic]] = set()
    body = sp.S.Zero
    for term in sp.Add.make_args(sp.expand(expr, log=False, mul=False, power_exp=False)):
        coeff, rest = term.as_independent(Expectation, as_Add=False)
        if rest == 1:
            body += coeff  # a constant: E[c] = c under a density
            continue
        if not isinstance(rest, Expectation) or coeff.has(Expectation) or has_abstract(coeff):
            return None
        over.add((rest.variable, rest.density))
        body += coeff * rest.integrand
    nested = any(type(n) is Expectation for n in sp.preorder_traversal(body))  # (not a KL)
    if len(over) == 1 and nested and has_abstract(next(iter(over))[1]):
        # E_{p(x)}[E_{p(t|x)}[g]]: the inner expectation non-negative (for every x), the
        # outer one too, by the same monotonicity
        return expectation_certificate(body)
    kls = {n for n in sp.preorder_traversal(body) if isinstance(n, KL)}
    if kls:  # E_q(z)[KL(q(a|z) ‖ p(a|z))]: each KL a non-negative number (Gibbs)
        body = body.xreplace({k: sp.Dummy("KL", nonnegative=True) for k in kls})
    if len(over) != 1 or body.has(Expectation):
        return None
    (_, density), = over
    if not has_abstract(density):
        return None  # a written-out density: its own tiers decide
    values = {f: sp.Dummy(f"v{i}", positive=True) for i, f in enumerate(sorted(
        (a for a in body.atoms(AppliedUndef) if density_signature(a) is not None),
        key=sp.default_sort_key))}
    if not (values or kls) or body.xreplace(values).has(AppliedUndef):
        return None
    reason = nonnegative_certificate(body.xreplace(values))
    if reason is None:
        return None
    return f"{MONOTONE_EXPECTATION}; " + (f"{GIBBS}; " if kls else "") + reason


def _kl_nodes(*exprs: sp.Expr, model: frozenset[str]) -> list[KL]:
    """KL divergences that the gap of an inequality might be: those written in the step, and
    KL(Q ‖ R) for each density Q an expectation is taken over and each other declared density
    R of the same variable (including the model's posterior of that variable)."""
    found: list[KL] = []

    def add(node: KL) -> None:
        if node not in found:
            found.append(node)

    densities: set[sp.Basic] = set()
    over: set[tuple[sp.Basic, sp.Symbol]] = set()
    for e in exprs:
        for node in sp.preorder_traversal(e):
            if isinstance(node, KL):
                add(node)
            if isinstance(node, Expectation) and density_signature(node.density) is not None:
                over.add((node.density, node.variable))
            if (isinstance(node, sp.Integral) and len(node.limits) == 1
                    and len(node.limits[0]) == 3 and node.limits[0][1] is sp.S.NegativeInfinity
                    and node.limits[0][2] is sp.oo):
                # ∫ q(θ) log(q(θ)/p(θ|y)) dθ: an integral against a declared density of its
                # variable is an expectation over it (Ormerod & Wand 2010, sec. 2.1)
                var = node.limits[0][0]
                for factor in sp.Mul.make_args(node.function):
                    sig = density_signature(factor)
                    if sig is not None and sig.given == (str(var),):
                        over.add((factor, var))
            if density_signature(node) is not None:
                densities.add(node)
    for dens, var in sorted(over, key=sp.default_sort_key):
        sig = density_signature(dens)
        assert sig is not None
        others = {d for d in densities if d != dens and density_signature(d).given == (str(var),)}
        cond = dens.args[len(sig.given):]
        if cond:
            others.update(_density(f, (var,), tuple(cond)) for f in sorted(model))
        for other in sorted(others, key=sp.default_sort_key):
            add(KL(dens, other, var))
    return found


# --- the linear-Gaussian instance ---------------------------------------------------------


def _normal(v: sp.Expr, mean: sp.Expr, var: sp.Expr) -> sp.Expr:
    return sp.exp(-((v - mean) ** 2) / (2 * var)) / sp.sqrt(2 * sp.pi * var)


def _fresh(name: str, taken: set[str], **assumptions: bool) -> sp.Symbol:
    while name in taken:
        name += "_"
    taken.add(name)
    return sp.Symbol(name, **assumptions)


def _context(exprs: list[sp.Expr]) -> set[sp.Basic]:
    """Variables only ever conditioned on (the y of a conditional VAE's q(z|x, y) and
    p(x|z, y)): the instance treats them as fixed, a valid model whatever they are."""
    given: set[sp.Basic] = set()
    conditioned: set[sp.Basic] = set()
    for e in exprs:
        for node in e.atoms(AppliedUndef):
            sig = density_signature(node)
            if sig is not None:
                n = len(sig.given)
                given.update(node.args[:n])
                conditioned.update(node.args[n:])
    return conditioned - given


def _instance_of(
    sig: _Signature, node: sp.Basic, model: frozenset[str], latent: sp.Symbol | None,
    params: tuple[sp.Symbol, ...], context: set[sp.Basic] = frozenset(),  # type: ignore[assignment]
    e: sp.Expr = sp.S.Zero,
) -> sp.Expr | None:
    """The linear-Gaussian density standing for the abstract density ``node``, or None.

    The roles come from the step: ``latent`` is the variable expectations are taken over (z),
    any other variable is the data (x); a ``model`` family is the joint p(x, z), any other
    family the variational q(z|x). A model family's latent marginal is N(e, 1) (e = 0 for the
    first model family, so that two models differ in every marginal and conditional).
    """
    a, b, c, m, s = params
    n = len(sig.given)
    given, cond = node.args[:n], tuple(v for v in node.args[n:] if v not in context)
    if sig.family not in model and len(given) == 1 and given[0] == latent and (
            latent not in cond):
        # q(z|x), q(z|x, y): its mean moves with what it is conditioned on, so that the copies
        # q(z|x_1) and q(z|x_2) at two data points are two different densities
        return _normal(latent, m + sp.Add(*node.args[n:]), s**2)
    if sig.family in model and len(given) == 2 and not cond and latent in given:
        (data,) = set(given) - {latent}  # the joint p(x, z) = p(z) p(x|z)
        return _normal(latent, e, 1) * _normal(data, a * latent + b, c)
    if len(given) != 1 or len(cond) > 1:
        return None
    (v,) = given
    w = cond[0] if cond else None
    if sig.family in model:
        if w is None:
            return _normal(v, e, 1) if v == latent else _normal(v, a * e + b, a**2 + c)
        if w == latent and v != latent:
            return _normal(v, a * w + b, c)
        if v == latent and w != latent:
            return _normal(v, (c * e + a * (w - b)) / (a**2 + c), c / (a**2 + c))
        return None
    if v == latent and w != latent:
        return _normal(v, m + w, s**2)
    return None


def _latent_variable(exprs: list[sp.Expr], model: frozenset[str],
                     context: set[sp.Basic] = frozenset(),  # type: ignore[assignment]
                     ) -> tuple[bool, sp.Symbol | None]:
    """(whether the densities' variables fit the instance, the latent variable or None).

    The latent variable is the one expectations are taken over; failing that, the variable a
    variational density is over, or the argument of an abstract function (a decoder mean
    f(z)). With two variables and no such sign, either may play the latent one (the instance
    is a valid joint density either way); the choice is made by sorting.
    """
    variables: set[sp.Basic] = set()
    over: set[sp.Basic] = set()
    variational: set[sp.Basic] = set()
    functions: set[sp.Basic] = set()
    for e in exprs:
        for node in sp.preorder_traversal(e):
            if isinstance(node, Expectation) and density_signature(node.density) is not None:
                over.add(node.variable)
            sig = density_signature(node)
            if sig is not None:
                variables.update(node.args)
                if sig.family not in model:
                    variational.update(node.args[: len(sig.given)])
            elif isinstance(node, AppliedUndef) and len(node.args) == 1:
                functions.add(node.args[0])
    variables -= context
    if not all(isinstance(v, sp.Symbol) for v in variables):
        return False, None
    if len(over) == 2 and over == variables and not variational:
        # expectations over a joint of two variables, E_{p(x)}[E_{p(y|x)}[...]], and no
        # other: either may play the latent one (a valid joint either way), the first in the
        # derivation's order (its declarations, not the letters)
        return True, ordered(variables)[0]
    for sign in (over, variational, functions & variables):
        if len(sign) == 1:  # (every other variable is data: x, or i.i.d. copies x_1, x_2)
            return True, next(iter(sign))
        if len(sign) > 1:
            return False, None
    if len(variables) > 2:
        return False, None
    if len(variables) == 2:
        return True, ordered(variables)[0]
    return True, None


def _iid_copies(exprs: list[sp.Expr], context: set[sp.Basic]) -> frozenset[sp.Symbol] | None:
    """The variables of nested expectations over i.i.d. copies of one latent variable
    (E_{q(z1|x)}[E_{q(z2|x)}[...]]), when every density uses at most one of them and at most
    one other variable (the data) besides; else None. Each copy then gets the instance the
    latent variable gets, the model and the variational density being one for all copies.
    """
    over: set[sp.Basic] = set()
    variables: set[sp.Basic] = set()
    for e in exprs:
        for node in sp.preorder_traversal(e):
            if isinstance(node, Expectation) and density_signature(node.density) is not None:
                over.add(node.variable)
            if density_signature(node) is not None:
                variables.update(v for v in node.args if v not in context)
                if len(set(node.args) & over) > 1:
                    return None
    if len(over) < 2 or not all(isinstance(v, sp.Symbol) for v in variables | over) or len(
            variables - over) > 1:
        return None
    for e in exprs:  # (a second pass: 'over' is complete only now)
        for node in sp.preorder_traversal(e):
            if density_signature(node) is not None and len(set(node.args) & over) > 1:
                return None
    return frozenset(over)  # type: ignore[arg-type]


def _free_marginals(exprs: list[sp.Expr], model: frozenset[str],
                    latent: sp.Symbol | None) -> frozenset[str]:
    """``model`` less the families, after the first, seen only as one marginal density of the
    latent variable (r(z) beside p(z) in E_q[log(r(z)/p(z))]): nothing relates such a density
    to another, so each gets a Gaussian of its own, as a variational density does; sharing the
    model's N(0, 1) would make r(z) and p(z) one density and hide a wrong step."""
    if latent is None:
        return model
    shapes: dict[str, set] = {}
    for e in exprs:
        for node in e.atoms(AppliedUndef):
            sig = density_signature(node)
            if sig is not None and sig.family in model:
                shapes.setdefault(sig.family, set()).add((sig.given, sig.cond, node.args))
    lone = sorted(f for f, found in shapes.items() if len(found) == 1 and (
        (only := next(iter(found)))[1] == () and len(only[0]) == 1 and only[2] == (latent,)))
    return model - frozenset(lone[1:])


def linear_gaussian_instance(
    expr: sp.Expr, *others: sp.Expr
) -> tuple[list[sp.Expr], dict[str, tuple[sp.Symbol, ...]]] | None:
    """Replace the abstract densities by the linear-Gaussian model (z latent, x data).

    For a model family p (see :func:`model_families`): p(z) = N(0, 1), p(x|z) = N(az + b, c),
    p(x) = N(b, a² + c), p(z|x) = N(a(x − b)/(a² + c), c/(a² + c)); for each variational
    family q(z|x) = N(m + x, s²) (its mean moving with what it is conditioned on, so that
    q(z|x₁) and q(z|x₂) differ), with its own m and s; each further model family its own
    joint (latent N(e, 1), data N(a'z + b', c')); and an abstract real function
    f(z) = a·z + b (the decoder mean). The roles are read from the step, whatever the letters:
    z is the variable expectations are taken over. Returns the substituted expressions and,
    for each family, the symbols that parametrise it (so ``=~ [q]`` can move m and s); None
    when an abstract function has no instance here.

    Examples
    --------
    >>> import sympy as sp
    >>> x, z = sp.symbols("x z", real=True)
    >>> px = sp.Function("p(x)", positive=True)(x)
    >>> (inst,), params = linear_gaussian_instance(sp.log(px))
    >>> sorted(map(str, inst.free_symbols)), params["p"]
    (['a', 'b', 'c', 'x'], (a, b, c))
    """
    return _instance(expr, *others)[0]


def instance_description(expr: sp.Expr, *others: sp.Expr) -> str:
    """The numeric instance :func:`linear_gaussian_instance` gives ``expr`` and ``others``,
    in words (a counterexample's note says which densities it was found with)."""
    return _instance(expr, *others)[2]


def no_instance_reason(*exprs: sp.Expr) -> str | None:
    """Why the abstract densities of ``exprs`` have no linear-Gaussian instance, in words a
    user can act on; None when they have one (or hold no abstract function).

    >>> import sympy as sp
    >>> k = sp.Symbol("k", integer=True)
    >>> print(no_instance_reason(sp.log(sp.Function("p(k)", positive=True)(k))))
    no numeric instance for the density p(k) of the integer variable k (a Gaussian instance
    needs a real variable)
    """
    if not any(sp.S(e).has(AppliedUndef) for e in exprs):
        return None
    return _instance(*exprs)[1] or None


def _instance(expr: sp.Expr, *others: sp.Expr) -> tuple[
        tuple[list[sp.Expr], dict[str, tuple[sp.Symbol, ...]]] | None, str, str]:
    """:func:`linear_gaussian_instance`, the reason why when there is none, and the instance
    in words (cached with the derivation's order of variables, which picks the latent one
    when either may be)."""
    return _instance_in(current_order(), expr, *others)


@lru_cache(maxsize=64)
def _instance_in(order: tuple[str, ...] | None, expr: sp.Expr, *others: sp.Expr) -> tuple[
        tuple[list[sp.Expr], dict[str, tuple[sp.Symbol, ...]]] | None, str, str]:
    """:func:`_instance` in the order ``order`` (the current one: it is the cache's key)."""
    exprs = [sp.S(e) for e in (expr, *others)]
    taken = {str(s) for e in exprs for s in e.free_symbols} | {
        str(v) for e in exprs for n in e.atoms(AppliedUndef) for v in n.args
    }
    a = _fresh("a", taken, real=True)
    b = _fresh("b", taken, real=True)
    c = _fresh("c", taken, positive=True)
    for e in exprs:
        for n in e.atoms(AppliedUndef):
            integer = [v for v in n.args if v.is_integer]
            if integer:  # a density of an integer variable has no Gaussian instance
                what = "density" if density_signature(n) is not None else "abstract function"
                return None, (f"no numeric instance for the {what} {_shown(n)} of the integer "
                              f"variable {integer[0]} (a Gaussian instance needs a real "
                              "variable)"), ""
    model = model_families(*exprs)
    context = _context(exprs)
    fits, latent = _latent_variable(exprs, model, context)
    copies = None if fits else _iid_copies(exprs, context)
    if not fits and copies is None:
        network = _network_instance(exprs, taken)
        if network[0] is not None:
            return network
        names = sorted({_shown(n) for e in exprs for n in e.atoms(AppliedUndef)})
        return None, ("no numeric instance for the abstract densities " + ", ".join(names)
                      + ": the linear-Gaussian instance needs one latent variable (the one the "
                      "expectations are over) and data, and these densities leave it open "
                      "which variable that is; " + network[1]), ""
    model = _free_marginals(exprs, model, latent if copies is None else None)
    subs: dict[sp.Basic, sp.Expr] = {}
    # each model family its own joint: two unrelated models (the p and q of KL(p(x, y) ‖
    # q(x, y))) must not be the same density, or every log-ratio between them is 0
    params: dict[str, tuple[sp.Symbol, ...]] = {}
    shifts: dict[str, sp.Symbol] = {}
    by_role = _families_by_role(exprs, model, latent if copies is None else None, context)
    for i, family in enumerate(by_role):
        params[family] = (a, b, c) if i == 0 else (
            _fresh(f"a{i + 1}", taken, real=True), _fresh(f"b{i + 1}", taken, real=True),
            _fresh(f"c{i + 1}", taken, positive=True))
        if i:
            shifts[family] = _fresh(f"e{i + 1}", taken, real=True)
            params[family] = (*params[family], shifts[family])
    variational = sorted({sig.family for e in exprs for n in e.atoms(AppliedUndef)
                          if (sig := density_signature(n)) is not None and sig.family not in model})
    for family in variational:  # each its own mean and standard deviation
        params[family] = (_fresh("m", taken, real=True), _fresh("s", taken, positive=True))
    for e in exprs:
        for node in e.atoms(AppliedUndef):
            sig = density_signature(node)
            if sig is None and len(node.args) == 1 and node.is_positive:
                # a positive function, an unnormalised density g(z) (Bishop 2006, sec.
                # 11.1.2): positive and integrable, as its declaration and its integrals need
                subs[node] = positive_function_instance(node, params, taken)
                continue
            if sig is None:  # an abstract function such as f(z): the decoder mean
                if len(node.args) == 1 and node.is_real:
                    subs[node] = a * node.args[0] + b
                    params[node.func.__name__] = (a, b)
                    continue
                return None, (f"no numeric instance for the abstract function {_shown(node)}: only "
                              "a real function of one variable gets one (a·t + b)"), ""
            if copies is not None:  # each density at its own copy of the latent variable
                latent = next(iter(ordered(set(node.args) & copies)),
                              ordered(copies)[0])
            own = params[sig.family]
            value = _instance_of(sig, node, model, latent,
                                 (*own[:3], *own[:2]) if sig.family in model else (a, b, c, *own),
                                 context, shifts.get(sig.family, sp.S.Zero))
            if value is None:
                network = _network_instance(exprs, taken)
                if network[0] is not None:
                    return network
                return None, (f"no numeric instance for the density {_shown(node)}: "
                              + network[1]), ""
            subs[node] = value
    return ([e.xreplace(subs) for e in exprs], params), "", _two_variable_words(
        exprs, by_role, variational, None if copies is not None else latent, context,
        params) + _positive_function_words(subs)


def _families_by_role(exprs: list[sp.Expr], model: frozenset[str], latent: sp.Basic | None,
                      context: set[sp.Basic]) -> list[str]:
    """The model families in the order their instances are made: the first is the model
    N(0, 1) prior of the latent variable, each later one its own joint with a shifted prior.
    The order is that of their roles in the step, never of their letters: a family with a
    likelihood (data given the latent variable) first, then one with a prior or a joint of
    the latent variable, then a posterior (the latent variable given data), then densities of
    the data alone; among equals, a family an expectation or KL divergence is taken over
    first, then the one with more distinct densities; only a tie in all of these (families
    whose roles are the same) falls back to the names, for a fixed order.

    >>> import sympy as sp
    >>> x, z = sp.symbols("x z", real=True)
    >>> F = lambda name, *v: sp.Function(name, positive=True)(*v)
    >>> step = [sp.log(F("a(x|z)", x, z) * F("a(z)", z)) - sp.log(F("b(z|x)", z, x))]
    >>> _families_by_role(step, frozenset({"a", "b"}), z, set())
    ['a', 'b']
    >>> step = [sp.log(F("b(x|z)", x, z) * F("b(z)", z)) - sp.log(F("a(z|x)", z, x))]
    >>> _families_by_role(step, frozenset({"a", "b"}), z, set())
    ['b', 'a']
    """
    roles: dict[str, int] = {}
    shapes: dict[str, set[str]] = {}
    over: set[str] = set()
    for e in exprs:
        for node in sp.preorder_traversal(e):
            if isinstance(node, Expectation):  # (a KL divergence too: over its first density)
                sig = density_signature(node.density)
                if sig is not None:
                    over.add(sig.family)
            sig = density_signature(node)
            if sig is None or sig.family not in model:
                continue
            n = len(sig.given)
            given, cond = set(node.args[:n]), set(node.args[n:]) - set(context)
            if latent is not None and latent in cond and latent not in given:
                role = 0  # a likelihood: data given the latent variable
            elif latent is not None and latent in given and not cond:
                role = 1  # a prior, or a joint of the latent variable and data
            elif latent is not None and latent in given:
                role = 2  # a posterior: the latent variable given data
            else:
                role = 3  # the data alone (an evidence), or no latent variable known
            roles[sig.family] = min(roles.get(sig.family, role), role)
            shapes.setdefault(sig.family, set()).add(node.func.__name__)
    return sorted(model, key=lambda f: (roles.get(f, 4), f not in over,
                                        -len(shapes.get(f, ())), f))


def _positive_function_words(subs: Mapping[sp.Basic, sp.Expr]) -> str:
    """The instances :func:`positive_function_instance` gave, in words ("" when none)."""
    found = sorted(f"{node} = {plain(value)}" for node, value in subs.items()
                   if isinstance(node, AppliedUndef) and density_signature(node) is None
                   and node.is_positive)
    return f"; {', '.join(found)}" if found else ""


#: The two-variable instance, in words (a counterexample's note): the words of
#: :func:`_two_variable_words` begin so and speak of the step's own densities.
_TWO_VARIABLE = "the linear-Gaussian instance "


def _real_function_words(exprs: list[sp.Expr], params: Mapping[str, tuple[sp.Symbol, ...]],
                         ) -> list[str]:
    """Each abstract real function of one variable of ``exprs`` and its instance a·t + b,
    in words (``f(z) = a*z + b``), as the instance gave it."""
    by_name: dict[str, sp.Basic] = {}
    for node in sorted({n for e in exprs for n in e.atoms(AppliedUndef)
                        if density_signature(n) is None and len(n.args) == 1
                        and n.is_real and not n.is_positive}, key=str):
        # one line a function, at a plain variable where the step has one (f(z), not f(μ + σε))
        name = node.func.__name__
        if name not in by_name or (isinstance(node.args[0], sp.Symbol)
                                   and not isinstance(by_name[name].args[0], sp.Symbol)):
            by_name[name] = node
    out = []
    for name, node in sorted(by_name.items()):
        found = params.get(name)
        if found is not None and len(found) >= 2:
            out.append(f"{plain(node)} = {plain(found[0] * node.args[0] + found[1])}")
    return out


def _two_variable_words(exprs: list[sp.Expr], model: list[str], variational: list[str],
                        latent: sp.Basic | None, context: set[sp.Basic],
                        params: Mapping[str, tuple[sp.Symbol, ...]]) -> str:
    """The two-variable instance in the step's own densities and variables: its model
    families, its variational ones, the latent variable and the data (the notes' words,
    :data:`LINEAR_GAUSSIAN`, when the roles are not one latent and one data variable)."""
    densities = sorted({n for e in exprs for n in e.atoms(AppliedUndef)
                        if density_signature(n) is not None}, key=str)
    variables = {v for n in densities for v in n.args}
    data = sorted(variables - {latent} - set(context), key=str)
    functions = _real_function_words(exprs, params)
    if not densities:  # abstract functions only: f(z) = a·z + b
        return "the instance " + ", ".join(functions) if functions else "a linear instance"
    if latent is None or len(data) != 1 or not model:
        # the step's own densities, never another file's letters
        said = ", ".join(sorted({_shown(n) for n in densities}))
        return (f"a linear-Gaussian instance of {said} (each Gaussian, with a mean linear in "
                "the variables it is given, every one of them exact in one joint)"
                + "".join(f"; {f}" for f in functions))
    z, x = str(latent), str(data[0])
    parts = []
    for i, family in enumerate(model):
        a, b, c = (str(s) for s in params[family][:3])
        mean = "0" if i == 0 else str(params[family][3])
        az = f"{a}{z}" if len(a) == 1 and len(z) == 1 else f"{a}·{z}"
        parts.append(f"{family}({z}) = N({mean}, 1), {family}({x}|{z}) = N({az} + {b}, {c})")
    for family in variational:
        m, s = (str(v) for v in params[family][:2])
        parts.append(f"{family}({z}|{x}) = N({m} + {x}, {s}²)")
    first = model[0]
    roles = f"{z} the variable of the expectations, " + (
        f"{first} the model" if len(model) == 1 else
        "each of " + ", ".join(model) + " a model of its own")
    if variational:
        roles += ", " + ", ".join(variational) + " the variational density"
    return (_TWO_VARIABLE + "; ".join([*parts, *functions])
            + f" ({first}({x}) and {first}({z}|{x}) exact; " + roles + ")")


def _network_instance(exprs: list[sp.Expr], taken: set[str]) -> tuple[
        tuple[list[sp.Expr], dict[str, tuple[sp.Symbol, ...]]] | None, str, str]:
    """Each family of densities a linear-Gaussian network of its declared factors
    (:class:`~elbo_derivation.decide.networks.Network`): a model of any number of variables,
    every declared density exact in one joint; an abstract real function of one variable
    a·t + b. Returns (the substituted expressions and each family's parameters, or None), the
    reason when there is none, and the instance in words."""
    shapes: dict[str, set[tuple[tuple[str, ...], tuple[str, ...]]]] = {}
    applied: list[tuple[sp.Basic, tuple[str, tuple[str, ...], tuple[str, ...]]]] = []
    subs: dict[sp.Basic, sp.Expr] = {}
    params: dict[str, tuple[sp.Symbol, ...]] = {}
    for e in exprs:
        for node in sorted(e.atoms(AppliedUndef), key=str):
            shape = parse_shape(node.func.__name__) if node.is_positive else None
            if shape is not None and len(node.args) == len(shape[1]) + len(shape[2]):
                shapes.setdefault(shape[0], set()).add(shape[1:])
                applied.append((node, shape))
            elif len(node.args) == 1 and node.is_positive:  # an unnormalised density
                subs[node] = positive_function_instance(node, params, taken)
            elif len(node.args) == 1 and node.is_real and not node.is_positive:
                name = node.func.__name__
                if name not in params:
                    params[name] = (_fresh(f"a_{name}", taken, real=True),
                                    _fresh(f"b_{name}", taken, real=True))
                subs[node] = params[name][0] * node.args[0] + params[name][1]
            else:
                return None, (f"a linear-Gaussian network has no instance of {_shown(node)} "
                              "(only densities and real functions of one variable)"), ""
    nets: dict[str, Network] = {}
    for family in sorted(shapes):
        try:
            nets[family] = Network.from_shapes(
                shapes[family],
                lambda n, family=family, **kw: _fresh(f"{family}_{n}", taken, **kw))
        except AmbiguousFactorisation as exc:
            return None, f"no numeric instance for the densities of {family}: {exc}", ""
        params[family] = nets[family].parameters
    made: dict[tuple, sp.Expr] = {}
    logs: dict[sp.Basic, sp.Expr] = {}
    for node, (family, given, cond) in applied:
        key = (family, given, cond)
        if key not in made:
            made[key] = nets[family].log_density(given, cond)
        net = nets[family]
        logs[sp.log(node)] = made[key].xreplace(
            {net.placeholder(n): a for n, a in zip((*given, *cond), node.args, strict=True)})
        subs[node] = sp.exp(logs[sp.log(node)])
    # the logs of densities split first (sound: densities are positive), so that each log
    # density is its quadratic written out rather than the log of an exponential
    split = [sp.expand_log(e, deep=True) for e in exprs]
    words = "; ".join(d for f in sorted(nets) if (d := nets[f].describe(f)))
    return ([e.xreplace(logs).xreplace(subs) for e in split], params), "", (
        "each family of densities a linear-Gaussian network of its declared factors, "
        "every other declared density its exact marginal or conditional (" + words + ")"
        + _positive_function_words(subs))


def positive_function_instance(node: sp.Basic, params: dict[str, tuple[sp.Symbol, ...]],
                               taken: set[str]) -> sp.Expr:
    """The instance of an abstract positive function g(t) of one variable (declared
    ``positive``: an unnormalised density, a likelihood): exp(−t² + a_g·t + b_g), positive
    everywhere and integrable over the line, so that ∫ g(t) dt and E_q[g/q] are finite where
    the step writes them; its two parameters are recorded in ``params`` under g's name.

    >>> t = sp.Symbol("t", real=True)
    >>> params = {}
    >>> positive_function_instance(sp.Function("g", positive=True)(t), params, {"t"})
    exp(a_g*t + b_g - t**2)
    """
    name = node.func.__name__
    if name not in params:
        params[name] = (_fresh(f"a_{name}", taken, real=True),
                        _fresh(f"b_{name}", taken, real=True))
    a, b = params[name][:2]
    t = node.args[0]
    return sp.exp(-t**2 + a * t + b)


def _shown(node: sp.Basic) -> str:
    """A density as the author declared it (``q(z|x)``), else the applied function."""
    name = node.func.__name__
    return name if "(" in name else str(node)


def _refute_on_instance(
    lhs: sp.Expr, rhs: sp.Expr, relation: Relation, wrt: tuple[str, ...], seconds: float,
    domains: dict[sp.Symbol, sp.Interval] | None = None,
) -> Counterexample | str | None:
    """A counterexample on the linear-Gaussian instance; else None, or a sentence when the
    search ran out of time (so an undecided step says that its verdict depends on time)."""
    from elbo_derivation.decide.gaussian import evaluate_gaussian_integrals
    from elbo_derivation.decide.probe import probe

    inst, _, words = _instance(lhs, rhs)
    if inst is None:
        return None
    if relation is not Relation.EQ_UP_TO:
        # every integral of the instance in closed form at a few rational points: exact, and
        # far cheaper than quadrature (a double integral by quadrature can take seconds)
        start = clock()
        exact = run_bounded(lambda: refute_on_gaussian_instance(lhs, rhs, relation, domains),
                            0.5 * seconds)
        if exact.ok and exact.value is not None:
            return exact.value
        seconds = max(seconds - (clock() - start), 0.05)
    (l_inst, r_inst), params = inst
    l_inst, _ = evaluate_gaussian_integrals(l_inst)
    r_inst, _ = evaluate_gaussian_integrals(r_inst)
    moving: list[sp.Symbol] = []
    for name in wrt:
        if name in params:
            moving.extend(params[name])
        moving.extend(s for s in (l_inst.free_symbols | r_inst.free_symbols) if str(s) == name)
    if relation is Relation.EQ_UP_TO and not moving:
        return None  # nothing named in [...] can be moved on the instance: no verdict here
    out = probe(
        l_inst, r_inst, relation=relation, wrt=moving, n_random=8,
        deadline=clock() + seconds, domains=domains,
    )
    if out.verdict != "refuted" or out.counterexample is None:
        if "time ran out" in (out.reason or ""):
            return f"on the linear-Gaussian instance: {out.reason}"
        return None
    ce = out.counterexample
    return Counterexample(
        point=ce.point, lhs=ce.lhs, rhs=ce.rhs, difference=ce.difference,
        note=f"on {words}: " + ce.note,
    )


GAUSSIAN_INSTANCE = ("the step's densities replaced by the linear-Gaussian model at a rational "
                     "point, every integral ∫ P(z)·exp(−αz² + βz + γ) dz (α > 0) evaluated "
                     "exactly")


#: Values tried, in turn, for the symbols of an instance (a positive symbol takes the positive
#: ones): small standard deviations first, so that ratios of densities stay integrable; 0
#: last among the real values, since a weight 0 makes a variable of a network independent of
#: its parent, a degenerate instance on which quantities that differ in general coincide
#: (I(T; Y) = 0), so that the first point tried is a generic one.
_POSITIVE_TRIALS = (sp.Rational(1, 2), 1, 2, sp.Rational(3, 2), sp.Rational(1, 3))
_REAL_TRIALS = (1, sp.Rational(1, 2), -1, 2, sp.Rational(-3, 2), 0)


def refute_on_gaussian_instance(lhs: sp.Expr, rhs: sp.Expr, relation: Relation,
                                domains: Mapping[sp.Symbol, sp.Interval] | None = None,
                                ) -> Counterexample | None:
    """A counterexample to ``lhs <relation> rhs`` on the linear-Gaussian instance of its
    abstract densities (:func:`~elbo_derivation.decide.rules.linear_gaussian_instance`) at a
    rational point, with every integral and expectation evaluated in closed form
    (:func:`gaussian_integrals_at_point`): both sides are then exact numbers, compared at 50
    digits and confirmed at 70. None when no point of the few tried gives two finite sides
    that break the relation.
    """
    from elbo_derivation.decide.gaussian import gaussian_integrals_at_point

    bound = {n.variable for e in (lhs, rhs) for n in sp.preorder_traversal(e)
             if isinstance(n, Expectation)}
    if any(v in (domains or {}) for v in bound):
        return None  # a variable declared in an interval: no Gaussian instance for it
    inst, _, words = _instance(lhs, rhs)
    if inst is None:
        return None
    (left, right), _ = inst
    free = ordered(left.free_symbols | right.free_symbols)
    domains = domains or {}
    # a network's parameters: each counted among those of its kind, so that two variances
    # never take one value for want of trials (two Gaussians of one variance hide a KL's
    # direction)
    kinds = [bool(s.is_positive or s.is_nonnegative) for s in free]
    rank = ([kinds[:j].count(kinds[j]) for j in range(len(free))]
            if not words.startswith(_TWO_VARIABLE) else list(range(len(free))))
    for shift in range(len(_REAL_TRIALS)):
        check_deadline()
        point: dict[sp.Symbol, sp.Expr] = {}
        for j, s in zip(rank, free, strict=True):
            trials = _POSITIVE_TRIALS if (s.is_positive or s.is_nonnegative) else _REAL_TRIALS
            inside = domains.get(s, sp.S.Reals)
            for k in range(len(trials)):
                value = sp.S(trials[(j + shift + k) % len(trials)])
                if inside.contains(value) is sp.true and not (
                        s.is_integer and not value.is_integer):
                    point[s] = value
                    break
            else:
                return None
        # Gaussians against polynomials (log-densities written out) by the normal's moments,
        # anything else by the general Gaussian integrals
        here = (left.xreplace(point), right.xreplace(point))
        fast = [moments_at_point(e) for e in here]
        a, b = (f if f is not None else gaussian_integrals_at_point(e)
                for f, e in zip(fast, here, strict=True))
        if a is None or b is None or a.free_symbols or b.free_symbols:
            continue
        values = []
        for digits in (50, 70):
            va, vb = a.evalf(digits), b.evalf(digits)
            if not (va.is_real and vb.is_real and va.is_finite and vb.is_finite):
                break
            values.append((va, vb, va - vb))
        if len(values) != 2:
            continue
        (va, vb, d50), (_, _, d70) = values
        tol = sp.Float("1e-30") * (1 + abs(va) + abs(vb))
        fails = {Relation.EQ: abs(d50) > tol, Relation.LE: d50 > tol,
                 Relation.GE: d50 < -tol}.get(relation, False)
        if not fails or abs(d70 - d50) > tol:
            continue
        where = ", ".join(f"{k} = {v}" for k, v in point.items())
        shown = words
        return Counterexample(
            point={str(k): float(v) for k, v in point.items()}, lhs=float(va), rhs=float(vb),
            difference=float(d50),
            note=(f"exact on {shown} at {where}: every integral in closed form, "
                  f"left − right = {float(d50):.6g} (50 digits, confirmed at 70)"))
    return None


# --- deciding a step ----------------------------------------------------------------------


def _needed(rules: list[str], agree) -> list[str]:
    """The rules a step needed: of ``rules`` (which make ``agree(disabled)`` true with nothing
    disabled), leave each out in turn, the rules already found unnecessary staying out, and
    keep those whose removal breaks the agreement. The rules kept make the sides agree on
    their own (checked), and none of them can be left out alone.

    The search is bounded by work, not time: one trial per rule, each two normal forms of
    sides already normalised once, so its answer is the same on a fast or a loaded machine
    (the caller bounds the whole in time only as a backstop, outside the verdict's time)."""
    dropped: set[str] = set()
    for rule in rules:
        check_deadline()  # the backstop bound, should its timer signal be lost
        trial = frozenset(dropped | {rule})
        try:
            if agree(trial):
                dropped.add(rule)
        except (TypeError, ValueError, AttributeError, NotImplementedError):  # pragma: no cover
            continue
    return [r for r in rules if r not in dropped]


@dataclass
class RuleOutcome:
    """What the expectation rules concluded about a step.

    ``verdict`` is ``"proved"``, ``"refuted"`` or ``"undecided"`` (the search on the
    instance ran out of time; ``explanation`` says so); ``rules`` names the rules used;
    ``explanation`` says it in words; ``counterexample`` is set for a refutation.
    """

    verdict: str
    explanation: str
    rules: list[str] = field(default_factory=list)
    counterexample: Counterexample | None = None
    #: for an undecided step, left − right as the rules left it when that is an explicit
    #: function of the symbols (no expectation, integral or density left): exact, so a point
    #: where it is nonzero refutes the step (the tier looks for one)
    gap: sp.Expr | None = None


def check(
    lhs: sp.Expr,
    rhs: sp.Expr,
    relation: Relation | str = Relation.EQ,
    wrt: tuple[str, ...] | list[str] = (),
    *,
    refute: bool = True,
    seconds: float = 2.0,
    domains: dict[sp.Symbol, sp.Interval] | None = None,
    needed: bool = True,
) -> RuleOutcome | None:
    """Decide ``lhs <relation> rhs`` by the expectation rules, or return None.

    Parameters
    ----------
    lhs, rhs : sympy.Expr
        the two sides, ``let`` names already substituted.
    relation : Relation or str
        ``=``, ``<=``, ``>=`` or ``=~``.
    wrt : sequence of str
        for ``=~``: the names (symbols, or density families such as ``q``) the dropped term
        must be free of.
    refute : bool
        try the linear-Gaussian instance when the rules do not prove the step.
    seconds : float
        time allowed for the search on the instance.
    domains : dict, optional
        symbol → its declared interval; the instance is probed inside them.
    needed : bool
        narrow a proved step's rules to those it needed (each left out in turn, which
        normalises both sides again once per rule; bounded by that work, not by a clock).
        False keeps every rule the normal form applied: cheaper, for a report that does not
        show the rules.

    Returns
    -------
    RuleOutcome or None
        None when the rules neither prove nor refute the step (another method may).

    Examples
    --------
    >>> import sympy as sp
    >>> x, z = sp.symbols("x z", real=True)
    >>> q = sp.Function("q(z|x)", positive=True)(z, x)
    >>> px = sp.Function("p(x)", positive=True)(x)
    >>> check(KL(q, px, z), KL(q, px, z) - sp.log(px), "=~", ["q"]).verdict
    'proved'
    """
    relation = Relation(relation)
    lhs, rhs = sp.S(lhs), sp.S(rhs)
    model = model_families(lhs, rhs)
    forms = model | {_JOINT} if joint_model(lhs, rhs) else model
    left, used_left, gone_left = _normal_form(lhs, frozenset(forms))
    right, used_right, gone_right = _normal_form(rhs, frozenset(forms))
    diff = sp.expand(left - right)
    rules = [name for name in _ORDER if name in {*used_left, *used_right}]

    def named(found: list[str]) -> list[str]:
        """The log rules named as the identities the step used (see :func:`_log_names`),
        read off the normal forms made without the rules the step did not need."""
        left_gone, right_gone = gone_left, gone_right
        unneeded = frozenset(rules) - set(found)
        if unneeded and {LOG_RULES, BAYES} & set(found):
            left_gone = _normal_form(lhs, frozenset(forms), unneeded)[2]
            right_gone = _normal_form(rhs, frozenset(forms), unneeded)[2]
        return _log_names(found, left_gone, right_gone)

    def differ(disabled: frozenset[str]) -> sp.Expr:
        a = normalize_traced(lhs, forms, disabled)[0]
        b = normalize_traced(rhs, forms, disabled)[0]
        return sp.expand(a - b, log=LOG_RULES not in disabled)

    if diff == 0 and relation in (Relation.EQ, Relation.LE, Relation.GE, Relation.EQ_UP_TO):
        found = _needed(rules, lambda d: differ(d) == 0) if needed else rules
        rules = named(found)
        return RuleOutcome(
            "proved",
            "both sides have the same normal form by " + _words(rules) if rules
            else "the two sides agree by algebra alone (no rule of expectations needed)",
            rules,
        )
    if diff != 0 and relation in (Relation.EQ, Relation.LE, Relation.GE) and (
            shifted := _factorials_unshifted(diff)) is not None and _cancels(shifted):
        # the sides agree once (n + k)! is written n!·(n + 1)⋯(n + k): exact algebra
        rules = [*named(rules), FACTORIAL_SHIFT]
        return RuleOutcome("proved", "both sides have the same normal form by "
                           + _words(rules), rules)
    if relation is Relation.EQ and diff.is_number and diff.is_zero is False and (
            diff.is_finite):
        # exact: by the rules, the sides differ by the same number whatever the densities
        return RuleOutcome(
            "refuted",
            f"by {_words(rules)}, left − right is the nonzero constant {plain(diff)} whatever the "
            "densities",
            rules,
            Counterexample(point={}, lhs=float("nan"), rhs=float("nan"),
                           difference=float(diff),
                           note=f"exact: left − right = {plain(diff)} for every density (the rules "
                           f"{_words(rules)})", exact=diff, exact_text=plain(diff)),
        )
    # An abstract density may depend on symbols it does not show (q(z|x) = N(g(x), h(x)) hides
    # g and h), so "free of g, h" is decided only for differences without abstract densities;
    # freedom from a density family (``=~ [q]``) is decided structurally.
    hidden = has_abstract(diff) and not any(_is_family(n, lhs, rhs) for n in wrt)
    if (
        relation is Relation.EQ_UP_TO
        and wrt
        and not hidden
        and not any(depends_on(diff, n) for n in wrt)
    ):
        def free(disabled: frozenset[str]) -> bool:
            d = differ(disabled)
            return not (has_abstract(d) and not any(_is_family(n, lhs, rhs) for n in wrt)) \
                and not any(depends_on(d, n) for n in wrt)

        found = _needed(rules, free) if needed else rules
        rules = named(found)
        return RuleOutcome(
            "proved",
            f"the two sides differ by {plain(diff)}, which is free of {', '.join(wrt)}"
            + (" (normal form by " + _words(rules) + ")" if rules else ""),
            rules,
        )
    if relation in (Relation.GE, Relation.LE):
        sign = 1 if relation is Relation.GE else -1
        for node in _kl_nodes(lhs, rhs, model=model):
            rest, more = normalize_traced(sign * (lhs - rhs) - node, forms)
            if rest == 0:
                rules = [*dict.fromkeys([*named(rules), *more, GIBBS])]
                return RuleOutcome(
                    "proved",
                    f"the difference is {plain(node)} ≥ 0 (Gibbs' inequality), by " + _words(rules),
                    rules,
                )
        for candidate in (sign * (lhs - rhs), sign * diff):
            reason = nonnegative_certificate(candidate) or expectation_certificate(candidate)
            if reason is None:
                continue
            if reason == LOG_INEQUALITY and not log_inequality_lemma():  # pragma: no cover
                return None
            return RuleOutcome(
                "proved",
                f"the difference {plain(candidate)} is non-negative: {reason}",
                [*rules, reason],
            )
    if refute and has_abstract(lhs - rhs):
        ce = _refute_on_instance(lhs, rhs, relation, tuple(wrt), seconds, domains)
        if isinstance(ce, str):  # out of time: no verdict here, and the reason kept
            return RuleOutcome("undecided", ce, rules)
        if ce is not None:
            why = holds_as_one_model(lhs, rhs, relation, tuple(wrt))
            if why is not None:
                return RuleOutcome("undecided", why, rules)
            return RuleOutcome(
                "refuted",
                "the step fails on a concrete instance of the densities",
                rules,
                ce,
            )
    if relation in (Relation.EQ, Relation.LE, Relation.GE) and diff.free_symbols and not (
            diff.has(Expectation, KL, AppliedUndef, sp.Integral, sp.Sum, sp.Product,
                     sp.Derivative, sp.Limit)):
        # the expectations cancelled or were evaluated: what is left is an explicit function
        return RuleOutcome("undecided", f"by {_words(rules)}, left − right = {plain(diff)}",
                           rules, gap=diff)
    return None


#: the identity of :func:`_factorials_unshifted`, as a proof names it
FACTORIAL_SHIFT = "(n + k)! = n!·(n + 1)⋯(n + k) and Γ(a + k) = Γ(a)·a⋯(a + k − 1)"
#: the largest shift k that :func:`_factorials_unshifted` writes out
_MAX_SHIFT = 12


def _factorials_unshifted(expr: sp.Expr) -> sp.Expr | None:
    """``expr`` with each factorial (n + k)! (k a positive integer, n + 1 > 0 known from the
    symbols' assumptions, so that n! is finite) written n!·(n + 1)⋯(n + k), and each
    Γ(a + k) (a > 0) written Γ(a)·a⋯(a + k − 1): the recursion of the Gamma function,
    exact. None when ``expr`` has no such factor (or a shift above :data:`_MAX_SHIFT`).

    >>> n = sp.Symbol("n", integer=True, nonnegative=True)
    >>> _factorials_unshifted((n + 1) * sp.factorial(n) / sp.factorial(n + 2))
    1/(n + 2)
    >>> _factorials_unshifted(sp.factorial(n)) is None
    True
    """
    subs: dict[sp.Basic, sp.Expr] = {}
    for node in expr.atoms(sp.factorial, sp.gamma):
        shift, base = node.args[0].as_coeff_Add()
        if not (shift.is_Integer and 0 < shift <= _MAX_SHIFT) or base.is_number:
            continue
        if isinstance(node, sp.factorial) and (base + 1).is_positive:
            subs[node] = sp.factorial(base) * sp.Mul(*[base + i for i in range(1, shift + 1)])
        elif isinstance(node, sp.gamma) and base.is_positive:
            subs[node] = sp.gamma(base) * sp.Mul(*[base + i for i in range(shift)])
    return None if not subs else expr.xreplace(subs)


def _cancels(expr: sp.Expr) -> bool:
    """True when ``expr``, a rational function of its atoms (integrals, factorials and
    symbols taken as unknowns), is 0 over one denominator: exact; bounded by its size."""
    if sp.count_ops(expr) > 400:
        return False
    try:
        return sp.cancel(sp.together(expr)) == 0
    except (sp.PolynomialError, TypeError, ValueError):  # pragma: no cover - sympy's limits
        return False


#: how the reason of a step left open by :func:`holds_as_one_model` begins
ONE_MODEL_OPEN = "the step fails with the densities of"


def one_model_reading(lhs: sp.Expr, rhs: sp.Expr) -> tuple[sp.Expr, sp.Expr, str] | None:
    """The step read with each density family written with a parameter subscript (p_θ) and
    the family of its bare letter (p) as one model, when the step has both and no density
    shape under both names; with a sentence naming the families. None otherwise.

    A paper's p_θ(x|z) beside its prior p(z) (He et al. 2019) is one model whose prior carries
    no parameter; the checker reads two names as two models, so a step that holds only when
    they are one is left open by the notation, not refuted
    (:func:`holds_as_one_model`).

    >>> import sympy as sp
    >>> x, z = sp.symbols("x z", real=True)
    >>> lik = sp.Function("p_θ(x|z)", positive=True)(x, z)
    >>> prior = sp.Function("p(z)", positive=True)(z)
    >>> one_model_reading(sp.log(lik * prior), sp.S(0))[0]
    log(p(x|z)(x, z)*p(z)(z))
    """
    shapes: dict[str, set[str]] = {}
    for e in (lhs, rhs):
        for node in sp.S(e).atoms(AppliedUndef):
            sig = density_signature(node)
            if sig is not None:
                shapes.setdefault(sig.family, set()).add(
                    node.func.__name__[len(sig.family):])
    pairs = {}
    for fam in shapes:
        base, bar, sub = fam.partition("_")
        if bar and sub and base in shapes and not (shapes[base] & shapes[fam]):
            pairs[fam] = base
    if not pairs or len(set(pairs.values())) != len(pairs):
        return None
    subs = {}
    for e in (lhs, rhs):
        for node in sp.S(e).atoms(AppliedUndef):
            sig = density_signature(node)
            if sig is not None and sig.family in pairs:
                rest = node.func.__name__[len(sig.family):]
                subs[node] = sp.Function(pairs[sig.family] + rest, positive=True)(*node.args)
    said = ", ".join(f"{f} and {b}" for f, b in sorted(pairs.items()))
    return sp.S(lhs).xreplace(subs), sp.S(rhs).xreplace(subs), said


def holds_as_one_model(lhs: sp.Expr, rhs: sp.Expr, relation: Relation,
                       wrt: tuple[str, ...] = ()) -> str | None:
    """Why a step that fails with p_θ and p read as two models is not refuted: it holds by
    the rules when they are one model (:func:`one_model_reading`); None when it does not, or
    when the step has no such pair."""
    reading = one_model_reading(lhs, rhs)
    if reading is None:
        return None
    a, b, said = reading
    out = check(a, b, relation, wrt, refute=False, needed=False)
    if out is None or out.verdict != "proved":
        return None
    # what to write first: a report shortens a long reason from its end
    advice = _one_name_advice(lhs, rhs)
    return (f"{ONE_MODEL_OPEN} {said} read as two models, holds as one. "
            f"{advice + ' ' if advice else ''}(The notation does not say which: one model's "
            f"densities carry one name. As one model: {out.explanation}.)")


def _one_name_advice(lhs: sp.Expr, rhs: sp.Expr) -> str:
    """What to write so that a step of :func:`holds_as_one_model` is read as one model: the
    densities written under the bare family (p(z)) renamed with the subscript of the
    family they belong with (p_θ(z)), and declared so.

    >>> import sympy as sp
    >>> x, z = sp.symbols("x z", real=True)
    >>> lik = sp.Function("p_θ(x|z)", positive=True)(x, z)
    >>> prior = sp.Function("p(z)", positive=True)(z)
    >>> print(_one_name_advice(sp.log(lik * prior), sp.S(0)))
    If p(z) is the density of that model, write it p_θ(z) (and declare p_θ(z)).
    """
    families: set[str] = set()
    nodes: dict[str, sp.Basic] = {}
    for e in (lhs, rhs):
        for node in sp.S(e).atoms(AppliedUndef):
            sig = density_signature(node)
            if sig is not None:
                families.add(sig.family)
                nodes.setdefault(node.func.__name__, node)
    pairs = {fam.partition("_")[0]: fam for fam in families
             if "_" in fam and fam.partition("_")[0] in families}
    changes = []
    for name in sorted(nodes):
        sig = density_signature(nodes[name])
        if sig is not None and sig.family in pairs:
            changes.append((name, pairs[sig.family] + name[len(sig.family):]))
    if not changes:
        return ""
    old = ", ".join(a for a, _ in changes)
    new = ", ".join(b for _, b in changes)
    one = len(changes) == 1
    return (f"If {old} {'is the density' if one else 'are densities'} of that model, write "
            f"{'it' if one else 'them'} {new} (and declare {new}).")


def _log_names(rules: list[str], *gone: frozenset[sp.Basic]) -> list[str]:
    """``rules`` with the log rules named as the identities the step used: log of a
    product, of a quotient, of a power, of an exponential (:func:`~.words.log_identities`),
    read off the logarithms expanded on one side only (those both sides expanded are not
    the step's work); off all of them when none is one-sided. Bayes' rule is written with
    the step's own densities (P(w|X) = P(X|w)·P(w)/P(X))."""
    left, right = gone
    if BAYES in rules:
        pairs = sorted({g for g in left | right if isinstance(g, sp.Tuple)},
                       key=sp.default_sort_key)
        if pairs:
            shown = "; ".join(f"{plain(a)} = {plain(b)}" for a, b in pairs)
            rules = [f"Bayes' rule {shown}" if r == BAYES else r for r in rules]
    if LOG_RULES not in rules:
        return rules
    names = log_identities(left ^ right) or log_identities(left | right)
    if not names:
        return rules
    i = rules.index(LOG_RULES)
    return [*rules[:i], *[n for n in names if n not in rules], *rules[i + 1:]]


def _is_family(name: str, *exprs: sp.Expr) -> bool:
    """Whether ``name`` is the family (or name) of an abstract function in ``exprs``."""
    for e in exprs:
        for node in e.atoms(AppliedUndef):
            sig = density_signature(node)
            if node.func.__name__ == name or (sig is not None and sig.family == name):
                return True
    return False


def _words(rules: list[str]) -> str:
    return "; ".join(rules) if rules else "structural equality"
