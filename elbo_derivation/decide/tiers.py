"""The tiers that decide a step, each one small object: cheapest and surest first.

A step is posed as a :class:`Problem` (the two sides, the relation, the names of ``=~``, the
time left, and the most reduced form of the gap found so far). Each tier says whether it
:meth:`~Tier.applies` to the problem and, when it does, :meth:`~Tier.judge` returns a
:class:`Judgement` — the verdict and the rules that gave it, in a textbook's words — or None
to pass the problem on (a tier may leave the sides or the gap more reduced for the next).
:func:`elbo_derivation.decide.verdict.compare` runs :data:`TIERS` in order:

1. :class:`Structural` — the two sides are the same SymPy expression (or differ by a nonzero
   constant, which refutes the step);
2. :class:`Gradients` — the gradient of an expectation: under the integral sign, directly
   (score function) or after the reparameterisation z = μ + σε (:mod:`.calculus`);
3. :class:`Calculus` — derivatives, sums and products evaluated (``doit``);
4. :class:`SumRules` — sums with symbolic bounds by linearity, constants, index shifts and
   splitting (:mod:`.calculus`), refuted exactly at small integer bounds;
5. :class:`Algebra` — ``expand`` (products, powers, and logarithms of positive quantities,
   which SymPy expands only where that is sound), then ``cancel``/``together``;
6. :class:`InequalityRules` — Gibbs (c·KL ≥ 0) and Jensen for the function the step applies
   (:mod:`.inequalities`);
7. :class:`Families` — densities declared in a named family: moments, entropy, KL, support
   (:mod:`.families`);
8. :class:`DeclaredIntervals` — symbols declared in intervals written through a positive
   variable covering the interval, so the sign and log rules see the bounds; then
   :class:`IntegerParts` — an inequality with ⌊x⌋ and ⌈x⌉, each written x ∓ θ, 0 ≤ θ < 1;
9. :class:`ExpectationRules` — for steps over abstract densities, expectations and
   inequalities, the rules of :mod:`~elbo_derivation.decide.rules` (linearity of E,
   normalisation, the product rule and Bayes' rule through one joint, marginalisation,
   importance weights, Gibbs' inequality, ...);
10. :class:`GaussianMoments` — every integral over ℝ and every expectation whose integrand is
    a Gaussian factor times a polynomial (or the log of Gaussian densities) evaluated exactly
    by :mod:`~elbo_derivation.decide.gaussian`; then :class:`Algebra` again for a step with
    integrals;
11. :class:`FiniteCases` — a whole number declared in a short range (a Bernoulli variable's 0
    or 1) put in value by value, each case reduced to 0 by the algebra;
    then :class:`Simplify` — a look at three nice points (a plainly wrong step is refuted there
    without paying for it), then a bounded ``sympy.simplify``;
12. :class:`Probe` — high-precision evaluation at nice, edge and random points (inside the
    declared intervals): it refutes a step or *numerically supports* it, never proves it.
    It always answers; an undecided step names the mathematics no tier had a rule for.

A gap that any symbolic tier reduces to a nonzero constant refutes the step, however small
the constant; a gap reduced exactly to a closed form refutes it at a point inside the
declared domain where it is nonzero and both sides are finite. An inequality is proved only
by a named rule. Every tier runs under :func:`~elbo_derivation.core.timeout.run_bounded` with its
share of the step's time, so a slow tier falls through to the next. No tier knows a letter:
they work from the expressions' structure and the symbols' assumptions.

Examples
--------
>>> import sympy as sp
>>> x = sp.Symbol("x", real=True)
>>> n = sp.Symbol("n", integer=True, positive=True)
>>> k = sp.Symbol("k", integer=True)
>>> p = Problem.of(sp.Derivative(x**3, x), 3 * x**2)
>>> CALCULUS.applies(p), CALCULUS.judge(p).rules
(True, ('differentiation',))
>>> CALCULUS.judge(Problem.of(sp.Sum(k, (k, 1, n)), n * (n + 1) / 2)).verdict.value
'proved'
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import mpmath
import sympy as sp
from sympy.core.function import AppliedUndef

from elbo_derivation.core.expectation import Expectation
from elbo_derivation.core.order import ordered
from elbo_derivation.core.steps import Counterexample, Relation, Verdict
from elbo_derivation.core.timeout import check_deadline, clock, run_bounded
from elbo_derivation.decide import words
from elbo_derivation.decide.gaussian import evaluate_gaussian_integrals
from elbo_derivation.decide.probe import CONFIRM_DPS, DPS, probe, probe_points, to_float, value_at
from elbo_derivation.decide.words import log_identities, plain

__all__ = [
    "ALGEBRA",
    "CALCULUS",
    "DECLARED_INTERVALS",
    "DIGAMMA_RECURRENCE",
    "EXPECTATION_RULES",
    "FAMILIES",
    "GAUSSIAN_INSTANCE",
    "GAUSSIAN_MOMENTS",
    "GRADIENTS",
    "INEQUALITY_RULES",
    "PROBE",
    "SIMPLIFY",
    "STRICT_JENSEN",
    "STRUCTURAL",
    "SUM_RULES",
    "TIERS",
    "Algebra",
    "Calculus",
    "DeclaredIntervals",
    "ExpectationRules",
    "Families",
    "FiniteCases",
    "GaussianInstance",
    "GaussianMoments",
    "Gradients",
    "InequalityRules",
    "Judgement",
    "Probe",
    "Problem",
    "Simplify",
    "StrictJensen",
    "Structural",
    "SumRules",
    "Tier",
    "algebra_names",
    "constant_value",
    "credit_rewritings",
    "missing_mathematics",
    "polygamma_shifts",
    "reduce_algebra",
]

#: Expressions nested deeper than this are not handled symbolically at all.
MAX_DEPTH = 200
#: Expressions with more nodes than this skip the symbolic tiers (probing only).
MAX_NODES = 20_000
#: Integer powers beyond this are not expanded (probing only).
MAX_EXPAND_POWER = 1000
#: Steps whose two sides have at least this many nodes between them, with an exponential in a
#: denominator, are first looked at by :func:`quick_look` (the probe at three nice points),
#: before any symbolic tier: expanding and cancelling fractions of sums of exponentials (a
#: sigmoid written out) can use up every tier's share before the probe finds the
#: counterexample at the first point.
SCREEN_FIRST_NODES = 150
#: The share of a step's time for finding the sign of an inequality's reduced gap
#: (:meth:`Problem.sign_of`), as much as a tier's own share.
SIGN_SHARE = 0.2

# The rules, as a textbook names them (what a Judgement's ``rules`` hold).
SAME_EXPRESSION = "identical sides"
EQUAL_SIDES = "the two sides are equal (the inequality holds with equality)"
EXPANSION = "expanding products and powers"
CANCELLING = "common denominator and cancelling"
LOG_PRODUCT, LOG_QUOTIENT, LOG_POWER, LOG_EXP = words.LOG_PRODUCT, words.LOG_QUOTIENT, \
    words.LOG_POWER, words.LOG_EXP
DIFFERENTIATION = "differentiation"
FINITE_SUM = "a finite sum"
SERIES = "a closed-form sum"
FINITE_PRODUCT = "a product"
LINEARITY_OF_INTEGRAL = "linearity of the integral"
NORMAL_MOMENTS = "moments of the normal distribution (E[x] = μ, E[x²] = σ² + μ², ...)"
INTEGER_PARTS = "the integer parts: x − 1 < ⌊x⌋ ≤ x ≤ ⌈x⌉ < x + 1"
NORMAL_CDF = ("the normal distribution function (∫_{−∞}^{u} N(x; μ, σ²) dx = Φ((u − μ)/σ), "
              "a probability P(x ≤ u) as the expectation of its indicator)")


def _half_line_gaussian(*exprs: sp.Expr) -> tuple[bool, bool]:
    """Whether ``exprs`` hold an integral over a half line or an expectation of an indicator
    (a distribution function), and whether they hold any other integral or expectation."""
    half = other = False
    for e in exprs:
        for node in e.atoms(sp.Integral, Expectation):
            if isinstance(node, Expectation):
                node = node.as_integral()
            ends = node.limits[0][1:] if len(node.limits[0]) == 3 else ()
            if len(ends) == 2 and (ends[0] == -sp.oo) != (ends[1] == sp.oo):
                half = True
            else:
                other = True
    return half, other
SIGN_RULES = "non-negative by the signs of its terms"
FACTORING = "factoring into a non-negative form"
LOG_INEQUALITY = "t − log t − 1 ≥ 0 for t > 0 (log t ≤ t − 1)"
LOG_MONOTONE = "log is increasing: log u ≥ log v where u ≥ v > 0"
SIMPLIFICATION = "simplification"
GAMMA_RECURRENCE = "Γ(s + 1) = s·Γ(s)"
DIGAMMA_RECURRENCE = "ψ(s + 1) = ψ(s) + 1/s"
EXPANDING_SQUARE = "expanding a square, (a + b)² = a² + 2ab + b²"
COMPLETING_SQUARE = "completing the square"
NORMALISATION = "a density integrates to 1"
MEAN_OF_NORMAL = "the mean of the normal distribution, E[x] = μ"
SECOND_MOMENT = "the second moment of the normal distribution, E[x²] = σ² + μ²"
HIGHER_MOMENT = "a higher moment of the normal distribution"


@dataclass
class Judgement:
    """A tier's answer about a step.

    Attributes
    ----------
    verdict : Verdict
    tier : str
        the tier that decided (the result's ``method``).
    rules : tuple of str
        the rules that decided it, in a textbook's words ("log of a quotient",
        "linearity of E", "Bayes' rule ..."); empty for a numeric answer.
    explanation : str
        what proved or refuted the step, as a sentence.
    reason : str
        why a step is refuted, only numerically supported or undecided.
    counterexample : Counterexample or None
    constant : sympy.Expr or None
        for a step refuted because the gap reduces to a nonzero constant: that constant (the
        counterexample is then made at a point of ``sides``).
    sides : tuple of sympy.Expr or None
        the two sides on which ``constant`` was found.
    """

    verdict: Verdict
    tier: str
    rules: tuple[str, ...] = ()
    explanation: str = ""
    reason: str = ""
    counterexample: Counterexample | None = None
    constant: sp.Expr | None = None
    sides: tuple[sp.Expr, sp.Expr] | None = None


@dataclass
class Problem:
    """One step to decide, and what the tiers have learnt about it so far.

    ``lhs``/``rhs`` are the sides as the tiers that look inside integrals should see them;
    ``sides`` the most evaluated sides (after the Gaussian integrals were done), ``gap`` the
    most reduced form of the gap (``lhs − rhs``, or for ``<=`` ``rhs − lhs``), always exactly
    equal to it. ``reasons`` collects why tiers failed, for an undecided step. ``domains``
    maps each symbol declared in an interval (``0 < y < 1``) to that interval: every point a
    tier evaluates at lies inside it.
    """

    lhs: sp.Expr
    rhs: sp.Expr
    relation: Relation
    wrt: tuple[str, ...]
    time_limit: float
    deadline: float
    sides: tuple[sp.Expr, sp.Expr] = ()  # type: ignore[assignment]
    gap: sp.Expr = sp.S.Zero
    symbolic: bool = True
    reduced_exactly: bool = False
    reasons: list[str] = field(default_factory=list)
    #: reasons that say why the step is open rather than where the search stopped (the
    #: notation read two ways), shown before the others
    leading_reasons: list[str] = field(default_factory=list)
    domains: dict[sp.Symbol, sp.Interval] = field(default_factory=dict)
    #: each density declared in a named family → (family key, parameters, variable)
    families: dict[sp.Expr, tuple] = field(default_factory=dict)
    #: whether a proved step's rules are narrowed to those it needed (False: a report that
    #: does not show them, such as ``verify``'s text, is spared the cost)
    needed_rules: bool = True
    #: left − right as the expectation rules left it, an explicit function (the expectations
    #: cancelled), with the rules that made it: exact, for :class:`RulesGap`
    rules_gap: tuple[sp.Expr, tuple[str, ...]] | None = None
    #: the rules of a rewriting of the sides that a tier left for the tiers after it (a
    #: product as the exponential of a sum): a later tier that proves the rewritten step
    #: used them too, and :func:`credit_rewritings` adds them to its rules
    rewritten_by: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, lhs: sp.Expr, rhs: sp.Expr, relation: Relation | str = Relation.EQ, *,
           wrt: Sequence[str] = (), time_limit: float = 5.0,
           domains: Mapping[sp.Symbol, sp.Interval] | None = None,
           families: Mapping[sp.Expr, tuple] | None = None,
           needed_rules: bool = True) -> Problem:
        """The problem ``lhs <relation> rhs`` with ``time_limit`` seconds from now."""
        lhs, rhs = sp.S(lhs), sp.S(rhs)
        if families:  # ∂/∂θ of a family's density: its formula, θ being among its parameters
            from elbo_derivation.decide.families import open_parameter_derivatives

            lhs = open_parameter_derivatives(lhs, families)
            rhs = open_parameter_derivatives(rhs, families)
        p = cls(lhs, rhs, Relation(relation), tuple(wrt), time_limit,
                clock() + time_limit, domains=dict(domains or {}),
                families=dict(families or {}), needed_rules=needed_rules)
        p.sides, p.gap = (lhs, rhs), p.gap_of(lhs, rhs)
        return p

    def gap_of(self, a: sp.Expr, b: sp.Expr) -> sp.Expr:
        """What must vanish (``=``, ``=~``) or be non-negative (``<=``, ``>=``)."""
        return b - a if self.relation is Relation.LE else a - b

    def left(self) -> float:
        """Seconds left for this step."""
        return max(self.deadline - clock(), 0.0)

    def share(self, fraction: float) -> float:
        """``fraction`` of the step's time, or what is left if less (at least 1 ms)."""
        return max(min(fraction * self.time_limit, self.left()), 1e-3)

    @property
    def integrals(self) -> bool:
        """Whether a side holds an integral or an expectation."""
        return self.lhs.has(sp.Integral, Expectation) or self.rhs.has(sp.Integral, Expectation)

    def judge_gap(self, f: sp.Expr, tier: str, rules: Sequence[str] = (),
                  sides: tuple[sp.Expr, sp.Expr] | None = None) -> Judgement | None:
        """The verdict a reduced gap ``f`` gives, or None when it settles nothing."""
        rules = tuple(rules)
        if self.relation is Relation.EQ_UP_TO:
            if not depends_on(f, self.wrt):
                return Judgement(Verdict.PROVED, tier, (*rules, "dropping terms free of "
                                                        + ", ".join(self.wrt)),
                                 f"left − right = {plain(f)}, which does not depend on "
                                 + ", ".join(self.wrt))
            return None
        if f == 0:
            if self.relation is not Relation.EQ and not rules:
                rules = (EQUAL_SIDES,)  # an inequality holds with equality: that is its rule
            return Judgement(Verdict.PROVED, tier, rules)
        if self.relation is Relation.EQ:
            if is_constant(f) and constant_value(f) is not None:
                return Judgement(Verdict.REFUTED, tier, constant=f, sides=sides)
            return self.refute_exactly(f, tier, rules, sides)
        # inequalities: f is the gap that must be ≥ 0
        if is_constant(f):
            value = constant_value(f)
            if value is not None and value < 0:
                return Judgement(Verdict.REFUTED, tier, constant=f, sides=sides)
        reason, rule = self.sign_of(f)
        if reason:
            return Judgement(Verdict.PROVED, tier, (*rules, rule),
                             f"the gap {plain(f)} is ≥ 0: {reason}")
        return self.refute_exactly(f, tier, rules, sides)

    def sign_of(self, f: sp.Expr) -> tuple[str, str]:
        """:func:`nonnegative` of a gap, within :data:`SIGN_SHARE` of the step's time (or
        what is left of it): ("", "") when it found no reason or ran out of time (noted in
        ``reasons``). Factoring a large gap (fractions of sums of exponentials) can take
        seconds, which would otherwise leave nothing of the step's time to the tiers after
        the one that reduced it."""
        out = run_bounded(lambda: nonnegative(f), self.share(SIGN_SHARE))
        if not out.ok:
            self.reasons.append(f"the sign of the gap: {out.error}")
            return "", ""
        return out.value

    def refute_exactly(self, f: sp.Expr, tier: str, rules: Sequence[str] = (),
                       sides: tuple[sp.Expr, sp.Expr] | None = None,
                       max_points: int = 3, *, share: float = 0.1,
                       side_dps: int = DPS) -> Judgement | None:
        """A refutation from an exact gap ``f`` (identically lhs − rhs, or rhs − lhs for
        ``<=``) in closed form: a point inside the declared domain where ``f`` is nonzero
        (negative, for an inequality) at 50 and 70 digits and both sides are finite
        (evaluated at ``side_dps`` digits: fewer for sides that are integrals, whose values
        are only reported; the difference is exact), within ``share`` of the step's time.

        None when ``f`` still holds unevaluated integrals, sums, derivatives or abstract
        functions, or no such point is among the first ``max_points``.
        """
        if f.has(sp.Integral, Expectation, AppliedUndef, sp.Sum, sp.Product, sp.Derivative,
                 sp.Limit) or not f.free_symbols:
            return None
        import numpy  # noqa: F401  (loaded before the time share starts, see Tier.draws_points)

        seconds = min(share * self.time_limit, self.left())
        if seconds <= 0:
            return None
        out = run_bounded(lambda: self._refute_at_points(f, tier, rules, sides, max_points,
                                                         side_dps), seconds)
        return out.value if out.ok else None

    def _refute_at_points(self, f: sp.Expr, tier: str, rules: Sequence[str],
                          sides: tuple[sp.Expr, sp.Expr] | None,
                          max_points: int, side_dps: int = DPS) -> Judgement | None:
        a, b = sides if sides is not None else self.sides
        abstract = a.has(AppliedUndef) or b.has(AppliedUndef)
        if abstract:
            # log p(x) on both sides, the gap free of it: each abstract value at a point is a
            # number of its declared sign, part of the point reported (any density has some
            # positive value there), so the sides are finite
            found = _abstract_values(a, b)
            if found is None:
                return None
            a, b = a.xreplace(found), b.xreplace(found)
        import numpy as np

        symbols = ordered(f.free_symbols | a.free_symbols | b.free_symbols)
        points = probe_points(symbols, np.random.default_rng(0), 0, self.domains)
        for point in list(points)[:max_points]:
            check_deadline()
            g = value_at(f, point, DPS)
            if g is None or not _fails(self.relation, g):
                continue
            g2 = value_at(f, point, CONFIRM_DPS)
            if g2 is None or not _fails(self.relation, g2) or (
                    abs(g - g2) > mpmath.mpf("1e-10") * abs(g2)):
                continue
            va, vb = value_at(a, point, side_dps), value_at(b, point, side_dps)
            if va is None or vb is None:
                continue
            if abstract and abs((vb - va if self.relation is Relation.LE else va - vb) - g2) > (
                    mpmath.mpf("1e-10") * (1 + abs(g2))):
                continue  # the gap used a relation between the abstract values: not shown
            diff = -g2 if self.relation is Relation.LE else g2
            what = "right − left" if self.relation is Relation.LE else "left − right"
            cex = Counterexample(
                point={str(s): float(v) for s, v in point.items()},
                lhs=to_float(va), rhs=to_float(vb), difference=to_float(diff),
                note=f"exact: {what} = {plain(f)}, which is {mpmath.nstr(g2, 15)} here "
                     f"(mpmath, {DPS} digits, confirmed at {CONFIRM_DPS})",
                exact=f, exact_text=plain(f))
            sign = "nonzero" if self.relation is Relation.EQ else "negative"
            return Judgement(
                Verdict.REFUTED, tier, tuple(rules),
                f"{what.capitalize()} reduces exactly to {plain(f)}, which is {sign} at the point "
                "reported.", reason=f"{what} reduces exactly to {plain(f)}, {sign} at a point",
                counterexample=cex)
        return None


class Tier:
    """One way of deciding a step: ``applies`` is cheap, ``judge`` does the work."""

    name = ""
    #: whether the tier's work draws points (NumPy's random streams): NumPy is then loaded
    #: before its share starts, since a first import (up to a second under load) would use
    #: up a share of 0.5 s before a single point is tried; steps proved by the other tiers
    #: never load it (the reading and symbolic lane of ``verify`` stays without NumPy)
    draws_points = False

    def applies(self, p: Problem) -> bool:
        """Whether this tier has anything to say about ``p``."""
        return p.symbolic

    def judge(self, p: Problem) -> Judgement | None:  # pragma: no cover - every tier has one
        """A verdict on ``p``, or None to pass it on."""
        raise NotImplementedError

    def within_share(self, p: Problem, work: Callable[[], Any]) -> Any:
        """``work()`` bounded by this tier's share of the step's time; None when it ran out
        of time or failed, the reason then noted on ``p`` for an undecided step's report."""
        if self.draws_points:
            import numpy  # noqa: F401
        out = run_bounded(work, p.share(self.share))
        if not out.ok:
            p.reasons.append(f"{self.name}: {out.error}")
            return None
        return out.value


# --- helpers shared by the tiers ------------------------------------------------------------


#: the backstop for naming a proved step's rules, in step time limits (see :func:`_naming`)
NAMING_LIMITS = 4.0


def _naming(p: Problem, work: Callable[[], Any]) -> Any:
    """``work()``, which names the rules a step already proved needed; None if it failed.

    Naming is bounded by its work (one trial per rule, see :func:`.rules.check`), not by the
    step's clock: it runs after the verdict, outside the step's time, so that which rules are
    credited is the same on an idle and on a loaded machine, and the verdict never waits on
    it. ``NAMING_LIMITS`` step time limits are a backstop for a pathological expression
    only; past it the caller keeps every rule the proof applied (still a set that proves it).
    """
    out = run_bounded(work, NAMING_LIMITS * p.time_limit)
    return out.value if out.ok else None


def _abstract_values(*exprs: sp.Expr) -> dict[sp.Expr, sp.Symbol] | None:
    """Each abstract function's value at a point, p(x), as a symbol of its sign named as
    written (positive for a density, real for a real function), or None when one is under an
    integral, sum, derivative or expectation, or its sign is not known."""
    if any(e.has(sp.Integral, Expectation, sp.Sum, sp.Product, sp.Derivative, sp.Subs)
           for e in exprs):
        return None
    out: dict[sp.Expr, sp.Symbol] = {}
    for node in sorted(set().union(*(e.atoms(AppliedUndef) for e in exprs)),
                       key=sp.default_sort_key):
        name = node.func.__name__
        shown = name if "(" in name else str(node)  # a density's name is its signature
        if node.is_positive is True:
            out[node] = sp.Symbol(shown, positive=True)
        elif node.is_real is True:
            out[node] = sp.Symbol(shown, real=True)
        else:
            return None
    return out


def _fails(relation: Relation, g: mpmath.mpf) -> bool:
    """Whether the gap value ``g`` breaks the relation beyond the probe's tolerance."""
    from elbo_derivation.decide.probe import TOL

    if relation in (Relation.LE, Relation.GE):
        return g < -TOL
    return abs(g) > TOL


def missing_mathematics(*exprs: sp.Expr) -> list[str]:
    """What no tier had a rule for, in words a user can act on: the sums, products,
    derivatives and integrals left unevaluated in ``exprs``, and the abstract functions.

    >>> n = sp.Symbol("D", integer=True, positive=True)
    >>> j = sp.Symbol("j", integer=True)
    >>> missing_mathematics(sp.Sum(sp.Function("f", real=True)(j), (j, 1, n)))[0]
    'no rule for a sum with symbolic upper bound D'
    """
    from elbo_derivation.decide.rules import no_instance_reason

    out: list[str] = []
    instance = no_instance_reason(*exprs)  # why the abstract densities have no instance

    def bound(lim: tuple) -> str:
        _, lo, hi = lim
        if hi.free_symbols:
            return f" with symbolic upper bound {plain(hi)}"
        if lo.free_symbols:
            return f" with symbolic lower bound {plain(lo)}"
        if hi.is_infinite or lo.is_infinite:
            return " (an infinite series)"
        return ""

    for e in exprs:
        for node in sp.preorder_traversal(e):
            if isinstance(node, sp.Sum):
                ratio = _geometric_ratio(node)
                if ratio is not None:
                    out.append(f"no rule for the geometric series with ratio {plain(ratio)}: "
                               "it converges only where |ratio| < 1, which the "
                               "declarations do not settle")
                    continue
                out.append("no rule for a sum" + bound(node.limits[0]))
            elif isinstance(node, sp.Product):
                out.append("no rule for a product" + bound(node.limits[0]))
            elif isinstance(node, sp.Derivative):
                wrt = ", ".join(str(v) for v, _ in node.variable_count)
                what = str(node.expr)
                if len(what) > 40:
                    what = ("an integral" if node.expr.has(sp.Integral, Expectation)
                            else "an abstract function" if node.expr.has(AppliedUndef)
                            else "the expression")
                out.append(f"no rule for the derivative with respect to {wrt} of {what}")
            elif isinstance(node, Expectation) and not node.density.has(AppliedUndef):
                out.append(f"no closed form for the expectation over {node.variable} "
                           "(not a Gaussian moment)")
            elif isinstance(node, sp.Integral) and not node.has(AppliedUndef):
                out.append(f"no closed form for the integral over "
                           f"{', '.join(str(lim[0]) for lim in node.limits)} "
                           "(not a Gaussian integral)")
            elif isinstance(node, AppliedUndef) and not instance:
                name = node.func.__name__
                shown = name if "(" in name else str(node)
                out.append(f"no numeric value for the abstract function {shown}")
    if instance:
        out.append(instance)
    return list(dict.fromkeys(out))


def _geometric_ratio(node: sp.Sum) -> sp.Expr | None:
    """r when ``node`` is Σ_{k=n}^{∞} c·r^k (c and r free of k, r not a number), else None."""
    if len(node.limits) != 1:
        return None
    k, _, hi = node.limits[0]
    if hi is not sp.oo:
        return None
    ratio = sp.S.One
    for f in sp.Mul.make_args(sp.powsimp(sp.powdenest(node.function), combine="base")):
        if not f.has(k):
            continue
        base, exp = (sp.E, f.args[0]) if isinstance(f, sp.exp) else f.as_base_exp()
        if base.has(k):
            return None
        slope = sp.expand(exp).coeff(k)
        if slope == 0 or sp.expand(exp - slope * k).has(k) or slope.has(k):
            return None
        ratio *= base**slope
    return None if ratio == 1 or ratio.is_number else ratio


def is_constant(f: sp.Expr) -> bool:
    """Whether ``f`` is a number: no symbol, integral, expectation or abstract function."""
    return not f.free_symbols and not f.has(sp.Integral, Expectation, AppliedUndef)


def constant_value(f: sp.Expr) -> mpmath.mpf | None:
    """The value of a constant expression when it is certainly nonzero, else None.

    >>> constant_value(sp.log(2) - sp.log(3)) < 0, constant_value(sp.log(6) - sp.log(2 * 3))
    (True, None)
    """
    lo, hi = value_at(f, {}, DPS), value_at(f, {}, 2 * DPS)
    if lo is None or hi is None:
        return None
    if abs(hi) > mpmath.mpf(10) ** (-(DPS + DPS // 2)) and abs(lo - hi) <= abs(hi) / 1000:
        return hi
    return None


def depends_on(f: sp.Expr, wrt: Sequence[str]) -> bool:
    """Whether ``f`` involves a symbol or an abstract function named in ``wrt``."""
    names = set(wrt)
    if any(s.name in names for s in f.free_symbols if isinstance(s, sp.Symbol)):
        return True
    return any(str(a.func).split("(")[0] in names or str(a.func) in names
               for a in f.atoms(AppliedUndef))


def nonnegative(f: sp.Expr) -> tuple[str, str]:
    """(a reason why ``f`` ≥ 0 under the assumptions, the rule), or ("", "") when none is found."""
    if f.is_nonnegative is True:
        return "it is non-negative by SymPy's sign rules", SIGN_RULES
    g = sp.factor(f)
    if g.is_nonnegative is True:
        return f"it factors as {plain(g)}, non-negative by SymPy's sign rules", FACTORING
    top, bottom = sp.fraction(g)  # a square over a square: where f is defined, bottom > 0
    if bottom != 1 and top.is_nonnegative is True and bottom.is_nonnegative is True:
        return (f"it factors as {plain(g)}, a non-negative numerator over a non-negative "
                "denominator", FACTORING)
    # t − log t − 1 ≥ 0 for t > 0, with equality only at t = 1: look for c·(t − log t − 1) with
    # c > 0, on the expression as written and with its logarithms combined (logcombine only
    # combines logs of positive quantities, so both forms are equal to f).
    for form in (f, sp.logcombine(f)):
        rest, used = sp.expand(form, log=False), []
        for log_term in sorted(rest.atoms(sp.log), key=str):
            t = log_term.args[0]
            k = rest.coeff(log_term)
            if t.is_positive is True and (-k).is_positive is True:
                rest = sp.expand(rest - (-k) * (t - log_term - 1), log=False)
                used.append(plain(t))
                if rest == 0 or rest.is_nonnegative is True or (
                    sp.factor(rest).is_nonnegative is True
                ):
                    return (f"it is a positive multiple of t − log t − 1 ≥ 0 (t = "
                            f"{', '.join(used)}) plus {plain(rest)}, which is non-negative",
                            LOG_INEQUALITY)
    # log u ≥ 0 where u ≥ 1: the logarithms combined (of positive quantities only) into one,
    # log(u) ≥ log(v) because log is increasing and u − v ≥ 0
    # (a term free of logs, r, joins as log(e^(r/c)): α + log w = log(e^α·w))
    combined = sp.logcombine(f) if len(f.atoms(sp.log)) <= MAX_COMBINED_LOGS else f
    with_logs = [t for t in sp.Add.make_args(combined) if t.has(sp.log)]
    rest = sp.Add(*(t for t in sp.Add.make_args(combined) if not t.has(sp.log)))
    c, body = with_logs[0].as_coeff_Mul() if len(with_logs) == 1 else (sp.S.Zero, None)
    if c.is_positive and isinstance(body, sp.log) and body.args[0].is_positive is True and (
            rest.is_real is True):
        u = sp.expand(body.args[0] * sp.exp(rest / c), log=False)
        top, bottom = sp.fraction(sp.cancel(sp.together(u)))
        excess = sp.expand(top - bottom)
        if bottom.is_positive is True and (excess.is_nonnegative is True
                                           or sp.factor(excess).is_nonnegative is True):
            return (f"it is {'' if c == 1 else plain(c) + '·'}log({plain(top / bottom)}), "
                    f"and log is increasing: {plain(top)} ≥ {plain(bottom)} > 0", LOG_MONOTONE)
    # ... or with t read off a positive term c·t of f, log t expanded to match f's logarithms.
    expanded = sp.expand(f)
    for term in sp.Add.make_args(expanded):
        c, t = term.as_coeff_Mul()
        if not (c.is_positive and t.is_positive is True and not t.has(sp.log) and t != 1):
            continue
        rest = sp.expand(sp.expand_log(expanded - c * (t - sp.log(t) - 1), deep=True))
        if rest == 0 or rest.is_nonnegative is True or sp.factor(rest).is_nonnegative is True:
            return (f"it is {plain(c)}·(t − log t − 1) with t = {plain(t)}, which is ≥ 0 "
                    f"for t > 0, plus {plain(rest)}, which is non-negative", LOG_INEQUALITY)
    return "", ""


def _mask(expr: sp.Expr) -> tuple[sp.Expr, dict[sp.Basic, sp.Expr]]:
    """``expr`` with each Integral / Expectation replaced by a fresh symbol, and the inverse map.

    One that depends on the index of a sum or product around it (E_q[(x_i − μ)²] inside
    Σ_i) becomes a fresh function of that index, so that expanding never takes it out of the
    sum as a constant."""
    found = _outer_nodes(expr)
    if not found:
        return expr, {}
    forward: dict[sp.Basic, sp.Basic] = {}
    for k, (node, bound) in enumerate(sorted(found.items(), key=lambda kv: sp.default_sort_key(
            kv[0]))):
        forward[node] = (sp.Function(f"masked·{k}")(*sorted(bound, key=str)) if bound
                         else sp.Dummy("I"))
    return expr.xreplace(forward), {v: k for k, v in forward.items()}


def _outer_nodes(expr: sp.Basic) -> dict[sp.Basic, frozenset]:
    """The outermost integrals and expectations of ``expr``, each with the indices of the
    sums and products around it that it depends on."""
    out: dict[sp.Basic, frozenset] = {}
    stack: list[tuple[sp.Basic, frozenset]] = [(expr, frozenset())]
    while stack:
        node, bound = stack.pop()
        if isinstance(node, (sp.Integral, Expectation)):
            out[node] = out.get(node, frozenset()) | (bound & node.free_symbols)
            continue
        if isinstance(node, (sp.Sum, sp.Product)):
            bound = bound | {lim[0] for lim in node.limits}
        stack.extend((a, bound) for a in node.args)
    return out


def _has_product_to_expand(expr: sp.Expr) -> bool:
    """Whether ``expr`` holds a product with a sum among its factors, or a power of a sum."""
    for node in sp.preorder_traversal(expr):
        if node.is_Pow and node.base.is_Add and node.exp.is_Integer:
            return True
        if node.is_Mul and any(a.is_Add for a in node.args):
            return True
    return False


#: the most logarithms a gap may hold for :func:`_logs_combine_to_zero` to be tried
MAX_COMBINED_LOGS = 8


def _log_argument_reduced(node: sp.log) -> sp.log:
    """``log(u)`` with ``u`` expanded over a common denominator and cancelled."""
    return sp.log(sp.cancel(sp.together(sp.expand(node.args[0], log=False))))


def _logs_combine_to_zero(f: sp.Expr) -> bool:
    """Whether the logarithms of ``f``, combined into one where their arguments are positive
    (``logcombine`` combines no others) and that argument expanded and cancelled, leave 0:
    log(1 + a + b + ab) − log(1 + a) − log(1 + b) for positive a, b, whose product expansion
    SymPy's ``expand`` splits on one side only.

    >>> a, b = sp.symbols("a b", positive=True)
    >>> _logs_combine_to_zero(sp.log(1 + a + b + a*b) - sp.log(1 + a) - sp.log(1 + b))
    True
    >>> _logs_combine_to_zero(sp.log(2 + a + b) - sp.log(1 + a) - sp.log(1 + b))
    False
    """
    g = sp.logcombine(f)
    g = g.replace(lambda e: isinstance(e, sp.log), _log_argument_reduced)
    return sp.expand(g, log=False) == 0


def reduce_algebra(diff: sp.Expr) -> tuple[sp.Expr, tuple[str, ...]]:
    """``diff`` reduced by expand (with sound log expansion) and cancel/together, and the rules
    that changed it.

    Integrals and expectations are treated as opaque atoms here (two equal ones cancel);
    looking inside them is the Gaussian tier's work.

    >>> a, b = sp.symbols("a b", positive=True)
    >>> reduce_algebra(sp.log(a / b) - sp.log(a) + sp.log(b))
    (0, ('log of a quotient',))
    >>> reduce_algebra((a + b)**2 - a**2 - 2*a*b - b**2)
    (0, ('expanding products and powers',))
    """
    if isinstance(diff, sp.MatrixBase):  # matrices written out: entry by entry
        done = [reduce_algebra(entry) for entry in diff]
        rules = tuple(dict.fromkeys(r for _, used in done for r in used))
        if all(entry == 0 for entry, _ in done):
            return sp.S.Zero, rules
        return sp.ImmutableMatrix(diff.rows, diff.cols, [e for e, _ in done]), rules
    masked, nodes = _mask(diff)
    if exponential_denominator(masked):
        # a rational function of exponentials (the logistic sigmoid written out): each
        # exponential one positive unknown, so that cancelling needs no expansion of e^(a + b)
        quick = exponentials_as_unknowns(masked)
        if quick is not None and sp.cancel(sp.together(quick)) == 0:
            return sp.S.Zero, (CANCELLING,)
    logs = masked.atoms(sp.log)
    f = sp.expand(masked)
    expanded = f != masked
    even = False
    if f != 0 and f.has(sp.log):  # log(x²) = 2 log|x| for a real x (|x| > 0 where defined)
        g = even_power_logs(f)
        even, f = g != f, g
    if f != 0 and f.has(sp.log):
        f = sp.expand(sp.expand_log(f, deep=True))
    cancelled = False
    if f != 0:
        g = sp.cancel(sp.together(f))
        g = sp.expand(g) if g != 0 else g
        cancelled, f = g != f, g
    if f != 0 and 2 <= len(f.atoms(sp.log)) <= MAX_COMBINED_LOGS and _logs_combine_to_zero(f):
        f, expanded = sp.S.Zero, True  # log(1 + a + b + ab) = log((1 + a)(1 + b))
    gamma_rule = False
    if f != 0 and f.has(sp.gamma):  # Γ(s + n) = (s + n − 1)···s·Γ(s), integer n
        g = sp.gammasimp(f)
        g = sp.expand(sp.cancel(sp.together(g))) if g != 0 else g
        gamma_rule, f = g != f, g
    polygamma_rule = False
    if f != 0 and f.has(sp.polygamma):  # ψ⁽ᵐ⁾(s + n) = ψ⁽ᵐ⁾(s) + Σ (−1)ᵐ m!/(s + k)ᵐ⁺¹
        g = polygamma_shifts(f)
        if g != f:
            g = sp.expand(sp.cancel(sp.together(g)))
            polygamma_rule, f = True, g
    rules = list(log_identities(logs - f.atoms(sp.log)))
    if expanded and _has_product_to_expand(masked):
        rules.append(EXPANSION)
    if cancelled:
        rules.append(CANCELLING)
    if gamma_rule:
        rules.append(GAMMA_RECURRENCE)
    if polygamma_rule:
        rules.append(DIGAMMA_RECURRENCE)
    if even:
        rules.append(LOG_EVEN_POWER)
    return f.xreplace(nodes), tuple(rules)


def exponential_denominator(f: sp.Expr) -> bool:
    """Whether an exponential stands in a denominator of ``f`` (1/(1 + e^(−t)), the logistic
    sigmoid written out)."""
    return any(isinstance(n, sp.Pow) and n.exp.is_negative is True and n.base.has(sp.exp)
               for n in sp.preorder_traversal(f))


def exponentials_as_unknowns(f: sp.Expr) -> sp.Expr | None:
    """``f`` with each exponential of a real argument replaced by a positive unknown of its
    own (None when an argument is not known real). An identity of the result holds for any
    positive values of the unknowns, so it holds for ``f``; the converse need not (e^a·e^(−a)
    = 1 is lost), so this only ever proves.

    >>> x = sp.Symbol("x", real=True)
    >>> s = 1 / (1 + sp.exp(-x))
    >>> sp.cancel(sp.together(exponentials_as_unknowns(s * (1 - s) - sp.exp(-x) * s**2)))
    0
    """
    found = f.atoms(sp.exp)
    if not found or any(e.args[0].is_real is not True for e in found):
        return None
    return f.xreplace({e: sp.Dummy("e", positive=True)
                       for e in sorted(found, key=sp.default_sort_key)})


LOG_EVEN_POWER = "log of an even power of a real number (log(x²) = 2 log|x|)"


def even_power_logs(expr: sp.Expr) -> sp.Expr:
    """``expr`` with each log of a product of positive factors and even powers of real
    numbers split, the even powers through the absolute value: log(x²ᵏ·a) = 2k·log|x| + log a
    for x real and a > 0 (x² = |x|², and |x| > 0 wherever the log is defined). Other logs
    are left alone.

    >>> x, a = sp.Symbol("x", real=True), sp.Symbol("a", positive=True)
    >>> even_power_logs(sp.log(x**2 * a) / 2)
    log(a)/2 + log(Abs(x))
    >>> even_power_logs(sp.log(x**3))
    log(x**3)
    """
    def split(node: sp.log) -> sp.Expr:
        out, found = [], False
        for factor in sp.Mul.make_args(node.args[0]):
            base, exp = factor.as_base_exp()
            if (exp.is_Integer and exp.is_even and base.is_real and not base.is_nonnegative
                    and not base.is_nonpositive):
                out.append(exp * sp.log(sp.Abs(base)))
                found = True
            elif factor.is_positive:
                out.append(sp.log(factor))
            else:
                return node
        return sp.Add(*out) if found else node

    return expr.replace(lambda n: isinstance(n, sp.log), split)


def polygamma_shifts(expr: sp.Expr, limit: int = 64) -> sp.Expr:
    """``expr`` with the polygamma functions of arguments that differ by integers written at
    the smallest of them, by the recurrence ψ⁽ᵐ⁾(s + 1) = ψ⁽ᵐ⁾(s) + (−1)ᵐ m!/sᵐ⁺¹ (for m = 0,
    ψ(s + 1) = ψ(s) + 1/s: differentiate log Γ(s + 1) = log s + log Γ(s); Abramowitz &
    Stegun 6.3.5 and 6.4.6). Shifts beyond ``limit`` are left alone.

    >>> s = sp.Symbol("s", positive=True)
    >>> polygamma_shifts(sp.digamma(s + 2) - sp.digamma(s))
    1/(s + 1) + 1/s
    >>> polygamma_shifts(sp.polygamma(1, s + 1) - sp.polygamma(1, s))
    -1/s**2
    """
    groups: dict[tuple[sp.Expr, sp.Expr], list[tuple[int, sp.Expr]]] = {}
    for node in expr.atoms(sp.polygamma):
        order, arg = node.args
        if not (order.is_Integer and order >= 0):
            continue
        n, base = arg.as_coeff_Add()
        if not n.is_Integer:
            n, base = sp.S.Zero, arg
        groups.setdefault((order, base), []).append((int(n), node))
    subs = {}
    for (order, base), members in groups.items():
        low = min(n for n, _ in members)
        for n, node in members:
            if low < n <= low + limit:
                m = int(order)
                subs[node] = sp.polygamma(order, base + low) + sp.Add(*(
                    (-1) ** m * sp.factorial(m) / (base + low + k) ** (m + 1)
                    for k in range(n - low)))
    return expr.xreplace(subs) if subs else expr


def _squares(expr: sp.Expr, *, inside: bool = True) -> set[sp.Expr]:
    """The squares (and higher integer powers) of sums in ``expr``; with ``inside=False``
    not those inside exponentials and logarithms (a density's exponent)."""
    out, stack = set(), [expr]
    while stack:
        n = stack.pop()
        if n.is_Pow and n.base.is_Add and n.exp.is_Integer and n.exp > 1:
            out.add(n)
        if inside or not isinstance(n, (sp.exp, sp.log)):
            stack.extend(n.args)
    return out


def algebra_names(lhs: sp.Expr, rhs: sp.Expr, rules: Sequence[str]) -> tuple[str, ...]:
    """``rules`` with "expanding products and powers" named as the step used it, from the
    written sides: a square of a sum on the left only was expanded, one on the right only
    was completed (the step wrote a sum as a square).

    >>> a, b = sp.symbols("a b", real=True)
    >>> algebra_names(a**2 - 2*a*b + b**2, (a - b)**2, (EXPANSION,))
    ('completing the square',)
    >>> algebra_names((a + b)**2, a**2 + 2*a*b + b**2, (EXPANSION,))
    ('expanding a square, (a + b)² = a² + 2ab + b²',)
    """
    if EXPANSION not in rules:
        return tuple(rules)
    left, right = _squares(lhs), _squares(rhs)
    if bool(left - right) == bool(right - left):  # none, or squares rewritten both ways
        return tuple(rules)
    names = [EXPANDING_SQUARE if left - right else COMPLETING_SQUARE]
    i = list(rules).index(EXPANSION)
    return tuple(dict.fromkeys((*rules[:i], *names, *rules[i + 1:])))


# --- the tiers ------------------------------------------------------------------------------


class Structural(Tier):
    """The two sides are the same expression (SymPy's automatic simplification may leave a
    constant gap, which refutes the step)."""

    name = "structural"

    def applies(self, p: Problem) -> bool:
        return True

    def judge(self, p: Problem) -> Judgement | None:
        if p.lhs == p.rhs or p.gap == 0:
            return Judgement(Verdict.PROVED, self.name, (SAME_EXPRESSION,),
                             "both sides are the same expression")
        if p.relation is not Relation.EQ_UP_TO and is_constant(p.gap):
            j = p.judge_gap(p.gap, self.name, sides=(p.lhs, p.rhs))
            if j is not None and j.verdict is Verdict.REFUTED:
                return j
        return None


class Calculus(Tier):
    """Derivatives, sums and products evaluated by SymPy (``doit``), then the algebra of the
    gap. What is evaluated stays evaluated for the tiers after this one."""

    name = "calculus"
    share = 0.2
    _NODES = (sp.Derivative, sp.Sum, sp.Product)

    def applies(self, p: Problem) -> bool:
        from elbo_derivation.decide.calculus import beta_gamma_rules, has_polynomial_integral

        return p.symbolic and (p.lhs.has(*self._NODES) or p.rhs.has(*self._NODES)
                               or has_polynomial_integral(p.lhs, p.rhs)
                               or bool(beta_gamma_rules(p.lhs, p.rhs, subs=_inside(p),
                                                        ranges=_ranges(p))))

    @classmethod
    def _rules(cls, *exprs: sp.Expr, subs: dict | None = None,
               ranges: dict | None = None) -> tuple[str, ...]:
        from elbo_derivation.decide.calculus import (
            POLYNOMIAL_INTEGRAL,
            beta_gamma_rules,
            binomial_rules,
            has_polynomial_integral,
        )

        out = [POLYNOMIAL_INTEGRAL] if has_polynomial_integral(*exprs) else []
        out.extend(beta_gamma_rules(*exprs, subs=subs, ranges=ranges))
        for e in exprs:
            # in SymPy's canonical order, not a set's: the same rules in the same order in
            # every process (a set of expressions iterates by the process's string hash)
            for node in sorted(e.atoms(*cls._NODES), key=sp.default_sort_key):
                if isinstance(node, sp.Sum) and binomial_rules(node):
                    out.extend(binomial_rules(node))
                elif isinstance(node, sp.Derivative):
                    out.append(DIFFERENTIATION)
                elif isinstance(node, sp.Product):
                    out.append(FINITE_PRODUCT)
                else:
                    finite = all(lim[1].is_finite and lim[2].is_finite for lim in node.limits)
                    out.append(FINITE_SUM if finite else SERIES)
        return tuple(dict.fromkeys(out))

    @classmethod
    def _evaluate(cls, expr: sp.Expr, subs: dict | None = None,
                  used: set[str] | None = None, ranges: dict | None = None) -> sp.Expr:
        """``expr`` with its derivatives, sums and products evaluated (:meth:`_doit`); a rule
        named by a rewriting on the way (a product as the exponential of a sum) is added to
        ``used``, for the caller to credit."""
        from elbo_derivation.decide.calculus import (
            beta_gamma_integrals,
            binomial_series,
            exponential_integrals,
            exponential_series,
            polynomial_integrals,
        )

        expr = binomial_series(exponential_series(beta_gamma_integrals(
            polynomial_integrals(expr), subs, ranges)))
        if expr.has(sp.Integral):  # P(X ≤ u) of an exponential: ∫_0^u λe^(−λx) dx
            expr = exponential_integrals(expr, used)
        return expr.replace(lambda n: isinstance(n, cls._NODES),
                            lambda n: cls._doit(n, used))

    @staticmethod
    def _doit(node: sp.Expr, used: set[str] | None = None) -> sp.Expr:
        """``node.doit()``, except for a sum with a symbolic bound over an abstract sequence
        (Σ_{i=1}^{N} m(i)²), which SymPy cannot sum and is slow to find so: it is left to
        the sum rules, and a derivative of it goes inside the sum (d/dv Σ f = Σ df/dv, the
        derivative of a finite sum) without summing again. A derivative of a product of
        positive factors up to a symbolic bound differentiates exp(Σ log) instead
        (:func:`~elbo_derivation.decide.calculus.products_as_sums`): d/dλ log ∏ᵢ f(λ, i) is
        Σᵢ ∂ log f(λ, i)/∂λ, where SymPy's product rule leaves products over split ranges
        (the rule then added to ``used``)."""
        if _abstract_symbolic_sum(node):
            return node
        from elbo_derivation.decide.calculus import products_as_sums

        if isinstance(node, sp.Derivative):
            inner = products_as_sums(node.expr, used)
            if inner != node.expr:
                node = sp.Derivative(inner, *node.variable_count)
        if isinstance(node, sp.Derivative) and any(
                _abstract_symbolic_sum(s) for s in node.expr.atoms(sp.Sum)):
            return node.doit(deep=False)
        if isinstance(node, sp.Sum) and _binomial_symbolic_sum(node):
            return node
        out = node.doit()
        if isinstance(node, sp.Sum) and any(
                isinstance(pw, sp.Piecewise) and pw.args[-1].expr.has(sp.Sum)
                for pw in out.atoms(sp.Piecewise)):
            # a value only under conditions SymPy could not settle, the sum itself otherwise:
            # no closed form (and the conditional one may hold nan at a small bound)
            return node
        return out

    def judge(self, p: Problem) -> Judgement | None:
        from elbo_derivation.decide.calculus import beta_gamma_rules, has_polynomial_integral

        if _sum_rules_prove(p):  # the sum tier's normal forms agree: its rules, not SymPy's sums
            return None
        if p.relation is Relation.EQ and not (p.lhs.has(*self._NODES)
                                              or p.rhs.has(*self._NODES)) and all(
                beta_gamma_rules(n, subs=_inside(p), ranges=_ranges(p))
                or has_polynomial_integral(n)
                for e in (p.lhs, p.rhs) for n in e.atoms(sp.Integral)):
            # integrals alone, each known to converge: a step that is the linearity of the
            # integral (a factor pulled out, t·t^(a−1) = t^a inside) is that, not the Beta or
            # Gamma integral
            dummies: dict[sp.Symbol, sp.Dummy] = {}  # one per variable, on both sides

            def positive(n: sp.Integral) -> sp.Integral:
                # t·t^(a−1) = t^a inside; over (0, 1) or (0, ∞) the variable is positive
                if len(n.limits) != 1:  # an iterated integral: left whole
                    return n
                (v, lo, hi), = n.limits
                u = dummies.setdefault(v, sp.Dummy(str(v), positive=True)) if lo == 0 else v
                return sp.Integral(sp.powsimp(n.function.xreplace({v: u})), (u, lo, hi))

            def powers(e: sp.Expr) -> sp.Expr:
                return e.replace(lambda n: isinstance(n, sp.Integral), positive)

            split = run_bounded(lambda: _split_integrals(powers(p.lhs), powers(p.rhs)),
                                p.share(self.share))
            if split.ok and split.value:
                return Judgement(Verdict.PROVED, self.name, split.value)

        geometric: list[str] = []
        as_sums: set[str] = set()

        def work() -> tuple[sp.Expr, sp.Expr, sp.Expr, tuple[str, ...]]:
            from elbo_derivation.decide.calculus import (
                GEOMETRIC_SERIES,
                geometric_series,
                products_as_sums,
            )
            from elbo_derivation.decide.inequalities import interval_substitution

            # geometric series first, where |r| < 1 follows from the declarations
            inside = interval_substitution(p.domains)[0] if p.domains else {}
            a0, b0 = geometric_series(p.lhs, inside), geometric_series(p.rhs, inside)
            if (a0, b0) != (p.lhs, p.rhs):
                geometric.append(GEOMETRIC_SERIES)
            # ∏ f_i of positive factors up to a symbolic bound as exp(Σ log f_i), as the sum
            # tier reads it: SymPy differentiates the product itself into terms no rule
            # after this tier reads (d/dθ log ∏ θe^(−θx_i)); the rewriting names its rule
            a0, b0 = products_as_sums(a0, as_sums), products_as_sums(b0, as_sums)
            a, b = (self._evaluate(a0, inside, as_sums, _ranges(p)),
                    self._evaluate(b0, inside, as_sums, _ranges(p)))
            if (a.has(sp.Piecewise) or b.has(sp.Piecewise)) and p.domains:
                from elbo_derivation.decide.calculus import resolve_conditions
                from elbo_derivation.decide.inequalities import interval_substitution

                subs = interval_substitution(p.domains)[0]
                a, b = resolve_conditions(a, subs), resolve_conditions(b, subs)
            reduced, rules = reduce_algebra(p.gap_of(a, b))
            return a, b, reduced, rules

        value = self.within_share(p, work)
        if value is None:
            return None
        a, b, reduced, algebra_rules = value
        rules = self._rules(p.lhs, p.rhs, subs=_inside(p), ranges=_ranges(p))
        if geometric:  # the series were the geometric ones, not a closed form SymPy found
            rules = tuple(r for r in (*geometric, *rules) if r != SERIES)
        if as_sums:
            rules = tuple(dict.fromkeys((*sorted(as_sums), *rules)))
        if (a, b) == (p.lhs, p.rhs):
            return None
        p.rewritten_by.extend(sorted(as_sums))
        p.lhs, p.rhs = a, b
        p.sides, p.gap = (a, b), reduced
        return p.judge_gap(reduced, self.name, (*rules, *algebra_rules), sides=(a, b))


def credit_rewritings(p: Problem, judgement: Judgement) -> Judgement:
    """``judgement`` with the rules of the rewritings an earlier tier left in the sides of
    ``p`` (:attr:`Problem.rewritten_by`) among its rules, when it proves the step: the step
    was proved on the rewritten sides.

    >>> x = sp.Symbol("x", positive=True)
    >>> p = Problem.of(x, x)
    >>> p.rewritten_by.append("a rewriting")
    >>> credit_rewritings(p, Judgement(Verdict.PROVED, "algebra", ("x = x",))).rules
    ('a rewriting', 'x = x')
    """
    if judgement.verdict is not Verdict.PROVED or not p.rewritten_by:
        return judgement
    judgement.rules = tuple(dict.fromkeys((*p.rewritten_by, *judgement.rules)))
    return judgement


def _inside(p: Problem) -> dict[sp.Symbol, sp.Expr]:
    """Each symbol of ``p`` declared in an interval written through a positive variable
    covering it (:func:`.inequalities.interval_substitution`); empty without intervals."""
    from elbo_derivation.decide.inequalities import interval_substitution

    return interval_substitution(p.domains)[0] if p.domains else {}


def _ranges(p: Problem) -> dict[sp.Symbol, sp.Interval]:
    """Each symbol of ``p`` declared in a closed range with a symbolic end (``k : integer
    [0, n]``): what a linear expression in it is bounded by (β + n − k > 0)."""
    return {s: iv for s, iv in (p.domains or {}).items()
            if isinstance(iv, sp.Interval) and iv.inf.is_finite and iv.sup.is_finite
            and (iv.inf.free_symbols or iv.sup.free_symbols)}


def _binomial_symbolic_sum(node: sp.Sum) -> bool:
    """Whether ``node`` sums a binomial coefficient C(n, k) of a symbolic n over its index up
    to a symbolic bound: the binomial theorem is read before (``binomial_series``); SymPy's
    hypergeometric summation of what is left is slow and at best conditional, so the sum
    rules and the instances at small bounds decide such a step."""
    if len(node.limits) != 1 or not any(b.free_symbols for b in node.limits[0][1:]):
        return False
    i = node.limits[0][0]
    return any(b.args[0].free_symbols and b.args[1].has(i)
               for b in node.function.atoms(sp.binomial))


def _sum_rules_prove(p: Problem) -> bool:
    """Whether the sum tier's normal forms (linearity, index shifts, splitting off terms, the
    absorption identity) make the two sides of an equation with symbolic sums agree: then
    evaluating the sums (slow, and conditional for a binomial sum) is left to that tier. A
    product of positive factors with a symbolic bound is read as that tier reads it, the
    exponential of a sum of logs, so d/dθ log ∏ f_i beside d/dθ Σ log f_i is left to it
    rather than differentiated as a product by SymPy."""
    from elbo_derivation.decide.calculus import (
        has_symbolic_product,
        has_symbolic_sum,
        products_as_sums,
        sum_normal_form,
    )

    if p.relation is not Relation.EQ or not (has_symbolic_sum(p.lhs, p.rhs)
                                             or has_symbolic_product(p.lhs, p.rhs)):
        return False

    def work() -> bool:
        lhs, rhs = products_as_sums(p.lhs), products_as_sums(p.rhs)
        a, b = sum_normal_form(lhs)[0], sum_normal_form(rhs)[0]
        return a == b or reduce_algebra(p.gap_of(a, b))[0] == 0

    out = run_bounded(work, max(min(0.1 * p.time_limit, p.left()), 1e-3))
    if not out.ok:  # noted: a weaker verdict later says why (see verdict._with_failures)
        p.reasons.append(f"sum-rules (normal forms, before the calculus): {out.error}")
    return bool(out.ok and out.value)


class IndexedDerivatives(Tier):
    """Derivatives with respect to a coordinate μ_j of an indexed quantity
    (:mod:`~elbo_derivation.decide.indexed`): ∂μ_d/∂μ_j = δ_dj, the sum over the delta done;
    what is evaluated stays evaluated for the tiers after this one."""

    name = "indexed"
    share = 0.3

    def applies(self, p: Problem) -> bool:
        from elbo_derivation.decide.indexed import coordinate_derivatives

        if not p.symbolic:
            return False
        if not (p.lhs.has(sp.Derivative, sp.Sum, sp.Integral, Expectation, sp.Product)
                or p.rhs.has(sp.Derivative, sp.Sum, sp.Integral, Expectation, sp.Product)):
            # what a derivative left behind, μ_j beside 2μ_j: sequences at an integer index,
            # which have no Gaussian instance but the concrete ones below (a product of a
            # sequence, ᾱ_t = ∏ α_i, is the sum tier's: ∏ f = exp(Σ log f))
            return _has_sequence(p.lhs) or _has_sequence(p.rhs)
        return (p.lhs.has(sp.Derivative) or p.rhs.has(sp.Derivative)) and bool(
            coordinate_derivatives(p.lhs) or coordinate_derivatives(p.rhs))

    def judge(self, p: Problem) -> Judgement | None:
        from elbo_derivation.decide import indexed

        def work() -> tuple[sp.Expr, sp.Expr, sp.Expr, tuple[str, ...]]:
            a = indexed.evaluate_coordinate_derivatives(p.lhs)[0]
            b = indexed.evaluate_coordinate_derivatives(p.rhs)[0]
            reduced, rules = reduce_algebra(p.gap_of(a, b))
            return a, b, reduced, rules

        value = self.within_share(p, work)
        if value is None:
            # never left to the tiers after: SymPy alone differentiates m(d) by m(j) as 0
            return Judgement(Verdict.UNDECIDED, self.name, reason=(
                "no result for the derivative with respect to a coordinate within the time "
                "bound: " + "; ".join(p.reasons)))
        a, b, reduced, rules = value
        # the coordinate rule only where a derivative was taken (a step about sequences
        # alone, α_t beside α_t·α_{t−1}, is the algebra)
        differentiated = (a, b) != (p.lhs, p.rhs)
        p.lhs, p.rhs = a, b
        p.sides, p.gap = (a, b), reduced
        j = p.judge_gap(reduced, self.name,
                        (indexed_rule(), *rules) if differentiated else rules, sides=(a, b))
        if j is None and p.relation is not Relation.EQ_UP_TO and not reduced.has(
                sp.Sum, sp.Derivative, sp.Integral, Expectation):
            # the sequences instanced (a step must hold for every sequence)
            from elbo_derivation.decide.calculus import function_instance

            (ia, ib), note = function_instance(sp.Tuple(a, b))
            if note:
                gap = reduce_algebra(p.gap_of(ia, ib))[0]
                j = p.refute_exactly(gap, self.name, (), (ia, ib))
                if j is not None and j.counterexample is not None:
                    j.counterexample = replace(j.counterexample,
                                               note=j.counterexample.note + f", with {note}")
                    j.reason += f", with {note}"
        if j is not None and not j.explanation and j.verdict is Verdict.PROVED:
            j.explanation = ("differentiating with respect to one coordinate (∂μ_d/∂μ_j = "
                             "δ_dj, the sum over the delta done) reduces left − right to 0"
                             if differentiated else "expanding products and powers and "
                             "cancelling reduces left − right to 0")
        return j


def _abstract_symbolic_sum(node: sp.Basic) -> bool:
    """Whether ``node`` is a sum with a bound that is not a number whose summand holds an
    abstract function of its index (a sequence: m(i), s(i)).

    >>> i = sp.Symbol("i", integer=True)
    >>> N = sp.Symbol("N", integer=True, positive=True)
    >>> m = sp.Function("m", real=True)
    >>> _abstract_symbolic_sum(sp.Sum(m(i) ** 2, (i, 1, N))), _abstract_symbolic_sum(
    ...     sp.Sum(m(i) ** 2, (i, 1, 3)))
    (True, False)
    """
    if not isinstance(node, sp.Sum):
        return False
    indices = {lim[0] for lim in node.limits}
    return any(lim[1].free_symbols or lim[2].free_symbols for lim in node.limits) and any(
        a.free_symbols & indices for a in node.function.atoms(AppliedUndef))


def _has_sequence(expr: sp.Expr) -> bool:
    """Whether ``expr`` holds an abstract real function at an integer index (m(j), μ_j)."""
    return any(len(n.args) == 1 and n.args[0].is_integer and n.is_real
               and "(" not in n.func.__name__ for n in expr.atoms(AppliedUndef))


def indexed_rule() -> str:
    from elbo_derivation.decide.indexed import COORDINATE_DERIVATIVE

    return COORDINATE_DERIVATIVE


def _differing_entry(gap: sp.MatrixBase) -> tuple[int, int] | None:
    """The first entry of a matrix ``gap`` that is not exactly zero (all of them compared
    after ``cancel``); None when every entry is zero.

    >>> _differing_entry(sp.Matrix([[0, 0], [sp.Rational(1, 3), 0]]))
    (1, 0)
    >>> _differing_entry(sp.zeros(2, 2)) is None
    True
    """
    for i in range(gap.rows):
        for j in range(gap.cols):
            if sp.cancel(sp.expand(gap[i, j])) != 0:
                return i, j
    return None


class MatrixRules(Tier):
    """Steps in matrix notation with a symbolic dimension (:mod:`~elbo_derivation.decide.matrices`):
    the trace's linearity and cyclic property, determinants of products, inverses and
    diagonal matrices, transposes; then the algebra (and the rules of sums) of the gap. A step
    they do not prove is evaluated exactly at D = 1, 2, 3 with seeded random matrices that
    satisfy their declarations: a difference refutes it; agreement is numerical support only.
    The other tiers do not know matrices, so this one always answers."""

    name = "matrix-rules"
    share = 0.5
    draws_points = True

    def applies(self, p: Problem) -> bool:
        from elbo_derivation.decide.matrices import has_matrices

        return p.symbolic and has_matrices(p.lhs, p.rhs)

    def judge(self, p: Problem) -> Judgement | None:
        from elbo_derivation.decide import calculus, matrices

        (lhs, moved_a), (rhs, moved_b) = (matrices.evaluate_expectations(e, p.families)
                                          for e in (p.lhs, p.rhs))
        moments = (matrices.NORMAL_MOMENTS,) if moved_a or moved_b else ()

        def by_rule() -> Judgement | None:
            (a, ra), (b, rb) = matrices.normal_form(lhs), matrices.normal_form(rhs)
            (a, b), _ = matrices.unknowns(a, b)
            a, rsa = calculus.sum_normal_form(a)
            b, rsb = calculus.sum_normal_form(b)
            reduced, rules = reduce_algebra(p.gap_of(a, b))
            if reduced == 0 or (p.relation is Relation.EQ_UP_TO
                                and not depends_on(reduced, p.wrt)):
                return p.judge_gap(reduced, self.name, tuple(dict.fromkeys(
                    (*moments, *ra, *rb, *rsa, *rsb, *rules))))
            return None

        def by_instances() -> Judgement:
            seen = []
            if lhs.has(Expectation) or rhs.has(Expectation):
                return Judgement(Verdict.UNDECIDED, self.name, reason=(
                    "no rule for this expectation over a vector (the tier knows the first "
                    "and second moments of a declared multivariate normal N(μ, Σ), for "
                    "expressions at most quadratic in the vector)"))
            for seed in (0, 1):
                for dims, shown, ea, eb in matrices.instances(lhs, rhs, seed):
                    gap = p.gap_of(ea, eb)
                    if isinstance(gap, sp.MatrixBase) and p.relation is Relation.EQ:
                        # sides that are matrices: equal when every entry is
                        entry = _differing_entry(gap)
                        if entry is None:
                            seen.append(", ".join(f"{k} = {v}" for k, v in dims.items()))
                            continue
                        ea, eb, gap = ea[entry], eb[entry], gap[entry]
                        shown += f"; entry ({entry[0] + 1}, {entry[1] + 1}) of each side"
                    if gap.free_symbols and not gap.has(sp.MatrixExpr, AppliedUndef):
                        # numbers beside the matrices (N(m, s²I) against N(0, vI)): the
                        # instance's gap in those scalars, reduced exactly, refuted at a
                        # point of their declared domains, or 0 at this instance
                        reduced, _ = reduce_algebra(gap)
                        if reduced == 0:
                            seen.append(", ".join(f"{k} = {v}" for k, v in dims.items()))
                            continue
                        found = p._refute_at_points(reduced, self.name, (), (ea, eb), 3)
                        if found is not None and found.counterexample is not None:
                            cex = found.counterexample
                            cex = replace(cex, point={**{k: float(v) for k, v in dims.items()},
                                                      **cex.point},
                                          note=f"{cex.note}; with {shown}")
                            where = ", ".join(f"{k} = {v}" for k, v in dims.items())
                            return replace(found, counterexample=cex,
                                           reason=f"the step fails at {where}: {found.reason}")
                    if gap.free_symbols or gap.has(sp.MatrixExpr, AppliedUndef):
                        return Judgement(Verdict.UNDECIDED, self.name, reason=(
                            "no rule for this matrix expression, and its instances at small D "
                            f"are not numbers ({plain(gap)} left)"))
                    value = value_at(gap, {}, DPS)
                    exact = constant_value(gap)
                    bad = value is not None and exact is not None and (
                        p.relation is Relation.EQ or exact < 0)
                    va, vb = value_at(ea, {}, DPS), value_at(eb, {}, DPS)
                    at: dict = {}
                    if bad and (va is None or vb is None):  # scalars beside the matrices
                        import numpy as np

                        scalars = ordered(ea.free_symbols | eb.free_symbols)
                        for at in list(probe_points(scalars, np.random.default_rng(0), 0,
                                                    p.domains))[:12]:
                            va, vb = value_at(ea, at, DPS), value_at(eb, at, DPS)
                            if va is not None and vb is not None:
                                break
                    if bad and va is not None and vb is not None:
                        dims = {**dims, **{str(k): to_float(v) for k, v in at.items()}}
                        cex = Counterexample(dict(dims), to_float(va), to_float(vb),
                                             to_float(value), note=f"exact, with {shown}")
                        where = ", ".join(f"{k} = {v}" for k, v in dims.items())
                        return Judgement(Verdict.REFUTED, self.name, (),
                                         f"Evaluated exactly at {where} with the matrices "
                                         "reported, the two sides differ.",
                                         reason=f"the step fails at {where}",
                                         counterexample=cex)
                    if gap != 0 and (va is None or vb is None):  # not evaluated: no agreement
                        return Judgement(Verdict.UNDECIDED, self.name, reason=(
                            "no rule for this matrix expression, and its sides at a random "
                            f"instance are not numbers (they differ by {plain(gap)})"))
                    seen.append(", ".join(f"{k} = {v}" for k, v in dims.items()))
            return Judgement(Verdict.NUMERICALLY_SUPPORTED, self.name, reason=(
                "no rule of the matrix tier proved it (rules: trace linear and cyclic, "
                "determinants of products, inverses and diagonal matrices, transposes); the "
                f"two sides agree exactly at {len(seen)} random instances ("
                + "; ".join(dict.fromkeys(seen)) + ") with matrices satisfying their "
                "declarations"))

        if p.relation is Relation.EQ_UP_TO:
            return self.within_share(p, by_rule)
        found = self.within_share(p, by_rule)
        if found is None:
            found = self.within_share(p, by_instances)
        if found is None:
            return Judgement(Verdict.UNDECIDED, self.name,
                             reason="no rule for this matrix expression within the time "
                             "bound: " + "; ".join(p.reasons))
        if found.verdict is Verdict.PROVED and not found.explanation:
            found.explanation = ("the rules of traces and determinants, then expanding and "
                                 "cancelling, reduce left − right to 0")
        return found


class Gradients(Tier):
    """The gradient of an expectation (:mod:`~elbo_derivation.decide.calculus`): the
    derivative taken under the integral sign, directly (the score-function identity) or after
    the reparameterisation z = μ + σε of a Gaussian, then the integrals over the whole line
    merged (linearity) and their integrand reduced. A step it does not prove is tried with each
    abstract function replaced by a concrete one, where the Gaussian integrals are exact: a
    nonzero gap there refutes it."""

    name = "gradients"
    share = 0.3

    def applies(self, p: Problem) -> bool:
        if not p.symbolic or not (p.lhs.has(sp.Derivative, sp.Subs)
                                  or p.rhs.has(sp.Derivative, sp.Subs)):
            return False
        return p.lhs.has(sp.Integral, Expectation) or p.rhs.has(sp.Integral, Expectation)

    def judge(self, p: Problem) -> Judgement | None:
        from elbo_derivation.decide import calculus
        from elbo_derivation.decide import rules as expectation_rules

        def refute() -> Judgement | None:
            if p.relation is Relation.EQ_UP_TO:
                return None
            pair, note = calculus.function_instance(sp.Tuple(p.lhs, p.rhs))
            if not note:
                return None
            ia, ib = (evaluate_gaussian_integrals(calculus.differentiate(e))[0] for e in pair)
            if ia.has(AppliedUndef, sp.Integral, Expectation) or ib.has(
                    AppliedUndef, sp.Integral, Expectation):
                return None
            sub = Problem.of(ia, ib, p.relation, time_limit=p.left(), domains=p.domains)
            gap = reduce_algebra(sub.gap)[0]
            j = sub.refute_exactly(gap, self.name, (), (ia, ib))
            if j is not None and j.counterexample is not None:
                j.counterexample = replace(j.counterexample,
                                           note=j.counterexample.note + f", with {note}")
                j.reason += f", with {note}"
            return j

        def work() -> Judgement | None:
            found = refute()
            if found is not None:
                return found
            for reparam in (True, False):
                a, b = p.lhs, p.rhs
                if reparam:
                    (a, done_a), (b, done_b) = (calculus.reparameterise(a),
                                                calculus.reparameterise(b))
                    if not (done_a or done_b):
                        continue
                a, b = calculus.differentiate(a), calculus.differentiate(b)
                merged = calculus.merge_integrals(p.gap_of(a, b))
                parts = []
                for node in sp.Add.make_args(merged):
                    if isinstance(node, sp.Integral):
                        parts.append(reduce_algebra(node.function)[0])
                    else:
                        parts.append(node)
                if all(reduce_algebra(part)[0] == 0 for part in parts):
                    rules = [calculus.UNDER_THE_INTEGRAL]
                    if reparam:
                        rules.insert(0, calculus.REPARAMETERISATION)
                    elif p.lhs.has(sp.log) or p.rhs.has(sp.log):
                        rules.append(calculus.SCORE_FUNCTION)
                    return Judgement(Verdict.PROVED, self.name, tuple(rules))
                if not reparam and merged.has(AppliedUndef) and expectation_rules.normalize(
                        merged) == 0:
                    # d/da E_q[(θ − a)²] against d/da (E_q[θ²] − 2a·E_q[θ] + a²), q free of a:
                    # under the integral sign, what is left is 2a·∫ q − 2a, zero by the rules
                    # of expectations (linearity; a density integrates to 1)
                    return Judgement(Verdict.PROVED, self.name, (
                        calculus.UNDER_THE_INTEGRAL, expectation_rules.LINEARITY,
                        expectation_rules.DENSITY_NORMALISED))
            return None

        value = self.within_share(p, work)
        return value


def _nonzero_at_a_point(gap: sp.Expr, domains: Any) -> bool:
    """Whether ``gap`` is a finite nonzero number (at 50 digits) at a point inside the
    declared domains: then it is not identically 0, and ``cancel`` (seconds on a rational
    function of degree 17) need not be asked."""
    import numpy as np

    symbols = ordered(gap.free_symbols)
    if not symbols or gap.has(AppliedUndef, sp.Integral, Expectation, sp.Sum, sp.Derivative):
        return False
    for point in list(probe_points(symbols, np.random.default_rng(0), 0, domains))[:1]:
        value = value_at(gap, point, DPS)
        if value is not None and abs(value) > mpmath.mpf("1e-30"):
            return True
    return False


class SumRules(Tier):
    """Sums with symbolic bounds (Σ_{i=1}^{D}) by rule (:mod:`~elbo_derivation.decide.calculus`):
    linearity, constants, the sum of a constant, index shifts and splitting off terms bring
    every sum to one normal form, then the algebra of the gap. A step they do not prove is
    evaluated exactly at small integer bounds, abstract functions replaced by a concrete
    one: a nonzero gap there refutes it, with the values used."""

    name = "sum-rules"
    share = 0.15
    draws_points = True

    def applies(self, p: Problem) -> bool:
        from elbo_derivation.decide.calculus import has_symbolic_product, has_symbolic_sum

        return p.symbolic and (((p.lhs.has(sp.Sum, sp.Product) or p.rhs.has(sp.Sum, sp.Product))
                                and has_symbolic_sum(p.lhs, p.rhs))
                               or has_symbolic_product(p.lhs, p.rhs))

    def judge(self, p: Problem) -> Judgement | None:
        from elbo_derivation.decide import calculus

        def work() -> Judgement | None:
            # a product of positive factors as exp(Σ log): the same rules then apply to it
            used: set[str] = set()  # the rule of the rewriting, when it rewrote something
            lhs = calculus.products_as_sums(p.lhs, used)
            rhs = calculus.products_as_sums(p.rhs, used)
            if p.domains and (lhs.has(sp.KroneckerDelta) or rhs.has(sp.KroneckerDelta)):
                # Σ_k 1{y = k} f(k) = f(y) for a y declared within the range
                from elbo_derivation.decide.indexed import DECLARED_DELTA, declared_delta_sums

                a0, b0 = declared_delta_sums(lhs, p.domains), declared_delta_sums(rhs, p.domains)
                if (a0, b0) != (lhs, rhs):
                    used.add(DECLARED_DELTA)
                    lhs, rhs = a0, b0
            as_sums = tuple(sorted(used))
            a, rules_a = calculus.sum_normal_form(lhs)
            b, rules_b = calculus.sum_normal_form(rhs)
            reduced, algebra_rules = reduce_algebra(p.gap_of(a, b))
            rules = tuple(dict.fromkeys((*as_sums, *rules_a, *rules_b, *algebra_rules)))
            if reduced == 0 or (p.relation is Relation.EQ_UP_TO
                                and not depends_on(reduced, p.wrt)):
                return p.judge_gap(reduced, self.name, rules)
            if p.relation in (Relation.LE, Relation.GE):
                reason, rule = nonnegative(reduced)
                if reason:
                    return Judgement(Verdict.PROVED, self.name, (*rules, rule),
                                     f"the gap {plain(reduced)} is ≥ 0: {reason}")
            if p.relation is Relation.EQ_UP_TO:
                return _up_to_at_integer_bounds(p)
            agreed: list[str] = []  # the bounds where both sides are exactly equal
            tried = 0
            opened = False  # expectations taken by the rules' normal form at some bound
            for bounds, (ea, eb) in calculus.at_integer_bounds(lhs, rhs):
                check_deadline()
                tried += 1
                pair, note = calculus.function_instance(sp.Tuple(ea, eb))
                ia, ib = pair
                if ia.has(Expectation) or ib.has(Expectation):
                    # E_q[(x_1 − μ)²] at n = 1 over a written-out normal: its exact moments,
                    # to refute a wrong step; agreement is left to the expectation rules
                    from elbo_derivation.decide.rules import normalize

                    ia, ib = normalize(ia), normalize(ib)
                    opened = True
                if ia.has(AppliedUndef, sp.Sum) or ib.has(AppliedUndef, sp.Sum):
                    continue
                sub = Problem.of(ia, ib, p.relation, time_limit=p.left(), domains=p.domains)
                where = ", ".join(f"{k} = {v}" for k, v in bounds.items())
                extra = f" at {where}" + (f", with {note}" if note else "")
                if p.relation is Relation.EQ and _nonzero_at_a_point(sub.gap, p.domains):
                    # not identically 0: over one denominator, not expanded (the powers of a
                    # bound's instance, (1 − p)^15, expand to a long and slow gap)
                    gap = sp.together(sub.gap)
                else:
                    gap = sp.expand(sub.gap)
                if p.relation is Relation.EQ and (gap == 0 or sp.cancel(gap) == 0):
                    agreed.append(where + (f" ({note})" if note else ""))
                    continue
                if is_constant(gap):
                    value = constant_value(gap)
                    bad = value is not None and (value < 0 if p.relation is not Relation.EQ
                                                 else True)
                    if not bad:
                        continue
                    found = _sides_at_a_point(ia, ib, p.domains)
                    if found is None:
                        continue
                    at, va, vb = found  # the gap is constant: any point of the other symbols
                    cex = Counterexample({**{str(k): float(v) for k, v in bounds.items()},
                                          **at}, to_float(va), to_float(vb), to_float(value),
                                         note=f"exact{extra}: the gap is {plain(gap)}")
                    return Judgement(Verdict.REFUTED, self.name, rules,
                                     f"Evaluated exactly{extra}, the two sides differ.",
                                     reason=f"the step fails{extra}", counterexample=cex)
                j = sub.refute_exactly(gap, self.name, rules, (ia, ib))
                if j is not None and j.counterexample is not None:
                    cex = j.counterexample
                    j.counterexample = replace(
                        cex, point={**cex.point, **{str(k): float(v) for k, v in bounds.items()}},
                        note=cex.note + extra)
                    j.reason += extra
                    return j
            if agreed and len(agreed) == tried >= 3 and not opened:
                return Judgement(Verdict.NUMERICALLY_SUPPORTED, self.name, rules, reason=(
                    "no rule of the sum tier proved it; evaluated exactly at "
                    + "; ".join(agreed) + ", the two sides are equal"))
            return None

        value = self.within_share(p, work)
        return value


#: the rule of a sum or product compared term by term
TERMWISE = ("term by term: Σᵢ aᵢ ≤ Σᵢ bᵢ when aᵢ ≤ bᵢ for every i, and ∏ᵢ aᵢ ≤ ∏ᵢ bᵢ when "
            "0 ≤ aᵢ ≤ bᵢ")


def termwise_terms(lhs: sp.Expr, rhs: sp.Expr, relation: Relation,
                   ) -> tuple[sp.Expr, sp.Expr, str] | None:
    """For an inequality between two sums (or two products of nonnegative factors) over the
    same range, the terms to compare at a generic index, ``(f, g, shown)`` with f ≤ g to be
    decided (Vershynin's ∏ cosh(λaᵢ) ≤ ∏ e^(λ²aᵢ²/2)); each sequence's entry at the index is
    a number of its declared kind there. None when the step is not of that shape.

    >>> i, n = sp.Symbol("i", integer=True), sp.Symbol("n", integer=True, positive=True)
    >>> a = sp.Function("a", real=True)
    >>> f, g, shown = termwise_terms(sp.Sum(a(i)**2, (i, 1, n)),
    ...                              sp.Sum(a(i)**2 + 1, (i, 1, n)), Relation.LE)
    >>> shown
    'a(i)^2 ≤ a(i)^2 + 1'
    """
    small, big = (lhs, rhs) if relation is Relation.LE else (rhs, lhs)
    if type(small) is not type(big) or not isinstance(small, (sp.Sum, sp.Product)) or (
            len(small.limits) != 1 or len(big.limits) != 1):
        return None
    (i, lo, hi), (k, lo2, hi2) = small.limits[0], big.limits[0]
    if lo != lo2 or hi != hi2:
        return None
    f, g = small.function, big.function.xreplace({k: i})
    shown = f"{plain(f)} ≤ {plain(g)}"
    entries: dict[sp.Basic, sp.Symbol] = {}
    for node in (f.atoms(AppliedUndef) | g.atoms(AppliedUndef)):
        if i in node.free_symbols:
            if len(node.args) != 1 or node.args[0] != i:
                return None
            entries[node] = sp.Dummy(node.func.__name__, real=True,
                                     positive=bool(node.is_positive) or None)
    f, g = f.xreplace(entries), g.xreplace(entries)
    if f.has(AppliedUndef, sp.Sum, sp.Product) or g.has(AppliedUndef, sp.Sum, sp.Product):
        return None
    if isinstance(small, sp.Product):  # 0 ≤ aᵢ: the factors of the smaller product
        if f.is_nonnegative is not True and not nonnegative(f)[0]:
            return None
    return f, g, shown


def _sides_at_a_point(a: sp.Expr, b: sp.Expr, domains: Any,
                      ) -> tuple[dict[str, float], mpmath.mpf, mpmath.mpf] | None:
    """Both sides' values where both are finite: at no point when they are numbers, else at
    the first of three probe points of their symbols inside the declared domains (the sum
    tier's gap is a constant there, so any such point shows it); None when none is found.

    >>> lam = sp.Symbol("lam", positive=True)
    >>> at, va, vb = _sides_at_a_point(-2 + 17 / lam, -1 + 17 / lam, None)
    >>> sorted(at), float(va - vb)
    (['lam'], -1.0)
    """
    import numpy as np

    symbols = sorted(a.free_symbols | b.free_symbols, key=str)
    points = [{}] if not symbols else list(
        probe_points(symbols, np.random.default_rng(0), 0, domains))[:3]
    for point in points:
        va, vb = value_at(a, point, DPS), value_at(b, point, DPS)
        if va is not None and vb is not None:
            return {str(k): float(v) for k, v in point.items()}, va, vb
    return None


def _up_to_at_integer_bounds(p: Problem) -> Judgement | None:
    """A ``=~ [x]`` step with sums refuted at a small integer bound: there, each sequence
    replaced by its concrete instance, moving only x changes left − right (the probe with
    ``wrt`` on the finite sums); None when it does not at any bound tried."""
    from elbo_derivation.decide import calculus

    for bounds, (ea, eb) in calculus.at_integer_bounds(p.lhs, p.rhs):
        check_deadline()
        (ia, ib), note = calculus.function_instance(sp.Tuple(ea, eb))
        if ia.has(AppliedUndef, sp.Sum) or ib.has(AppliedUndef, sp.Sum):
            continue
        names = set(p.wrt)
        wrt = sorted((s for s in ia.free_symbols | ib.free_symbols if str(s) in names),
                     key=str)
        if not wrt:
            continue
        out = probe(ia, ib, relation=Relation.EQ_UP_TO, wrt=wrt, n_random=0, max_points=5,
                    domains=p.domains)
        if out.verdict == "refuted" and out.counterexample is not None:
            where = ", ".join(f"{k} = {v}" for k, v in bounds.items())
            cex = replace(out.counterexample, point={
                **out.counterexample.point, **{str(k): float(v) for k, v in bounds.items()}},
                note=out.counterexample.note + f" at {where}" + (f", with {note}" if note else ""))
            return Judgement(Verdict.REFUTED, SumRules.name, (), _PROBE_REFUTED[p.relation],
                             reason=f"the dropped term depends on {', '.join(p.wrt)} at {where}",
                             counterexample=cex)
    return None


class Algebra(Tier):
    """``expand`` (with sound log expansion), then ``cancel``/``together``, on the gap.

    A step with integrals or expectations is left to the tiers made for them first
    (``after_integrals=False``), and comes here after them (``after_integrals=True``):
    expanding a gap full of unevaluated integrals is the slowest way to find that it does not
    vanish.
    """

    name = "algebra"
    share = 0.2

    def __init__(self, *, after_integrals: bool) -> None:
        self.after_integrals = after_integrals

    def applies(self, p: Problem) -> bool:
        return p.symbolic and p.integrals == self.after_integrals

    def judge(self, p: Problem) -> Judgement | None:
        value = self.within_share(p, lambda: reduce_algebra(p.gap_of(p.lhs, p.rhs)))
        if value is None:
            return None
        reduced, rules = value
        if not p.reduced_exactly:
            p.gap = reduced
        if reduced == 0 and p.needed_rules:
            rules = algebra_names(p.lhs, p.rhs, rules)
        return p.judge_gap(reduced, self.name, rules, sides=(p.lhs, p.rhs))


class InequalityRules(Tier):
    """A ``<=``/``>=`` step proved by a named inequality
    (:mod:`~elbo_derivation.decide.inequalities`): the parts of the gap that Gibbs'
    inequality (c·KL ≥ 0 for c ≥ 0) and Jensen's inequality (for the concave or convex
    function the step applies) make non-negative are set aside, and the rest must be
    non-negative by the sign rules. It only proves: a failure is for the tiers after it."""

    name = "inequality-rules"
    share = 0.1

    def applies(self, p: Problem) -> bool:
        return p.symbolic and p.relation in (Relation.GE, Relation.LE) and (
            p.lhs.has(Expectation, sp.Integral) or p.rhs.has(Expectation, sp.Integral))

    def judge(self, p: Problem) -> Judgement | None:
        from elbo_derivation.decide.inequalities import (
            free_xreplace,
            interval_substitution,
            mask_nonnegative,
        )

        subs, interval_rules = interval_substitution(p.domains)

        def work() -> Judgement | None:
            for gap in (p.gap_of(p.lhs, p.rhs), p.gap):
                masked, rules = mask_nonnegative(gap, subs)
                if not rules:
                    continue
                if masked.is_nonnegative is not True and subs:
                    within = sp.expand(free_xreplace(masked, subs))
                    if within.is_nonnegative is True or sp.factor(within).is_nonnegative:
                        masked, rules = within, (*rules, *interval_rules)
                if masked.is_nonnegative is True:
                    return Judgement(Verdict.PROVED, self.name, rules,
                                     f"the gap is ≥ 0 by {'; '.join(rules)}")
                reduced, _ = reduce_algebra(masked)
                reason, rule = nonnegative(reduced)
                if reason:
                    return Judgement(Verdict.PROVED, self.name, (*rules, rule),
                                     f"the gap is ≥ 0 by {'; '.join(rules)}, and the rest: "
                                     f"{reason}")
            return None

        value = self.within_share(p, work)
        return value


class StrictJensen(Tier):
    """An ``=`` or a reversed inequality between expectations whose gap is a strict Jensen gap
    (:func:`~elbo_derivation.decide.inequalities.strict_jensen`): refuted on the
    linear-Gaussian instance of the densities, by strict concavity. It only refutes."""

    name = "strict-jensen"
    share = 0.2

    def applies(self, p: Problem) -> bool:
        # (a density declared in a family is that family's: no linear-Gaussian instance)
        return p.symbolic and p.relation in (Relation.EQ, Relation.LE, Relation.GE) and (
            p.lhs.has(Expectation) or p.rhs.has(Expectation)) and not p.families

    def judge(self, p: Problem) -> Judgement | None:
        from elbo_derivation.decide.inequalities import FINITE_JENSEN, MONOTONE, strict_jensen

        found = self.within_share(p, lambda: strict_jensen(p.lhs, p.rhs, p.relation, p.domains))
        rules = (MONOTONE, FINITE_JENSEN)
        if found is None and p.relation is not Relation.EQ:
            # φ(E_ρ[Y]) against E_ρ[φ(Y)] over a density written out in the step
            from elbo_derivation.decide.inequalities import (
                STRICT_JENSEN_DENSITY,
                strict_jensen_over_density,
            )

            found = self.within_share(p, lambda: strict_jensen_over_density(
                p.lhs, p.rhs, p.relation, p.domains))
            rules = (STRICT_JENSEN_DENSITY,)
        if found is None:
            return None
        text, cex = found
        return Judgement(Verdict.REFUTED, self.name, rules, text,
                         reason="the step fails on a concrete instance of the densities",
                         counterexample=cex)


class GaussianInstance(Tier):
    """A step about abstract densities, on the linear-Gaussian instance of its densities at a
    few rational points, every integral evaluated in closed form
    (:func:`~elbo_derivation.decide.rules.refute_on_gaussian_instance`): two exact numbers
    that break the relation refute it. It only refutes."""

    name = "gaussian-instance"
    share = 0.2

    def applies(self, p: Problem) -> bool:
        return p.symbolic and p.relation in (Relation.EQ, Relation.LE, Relation.GE) and (
            p.lhs.has(AppliedUndef) or p.rhs.has(AppliedUndef)) and (
            p.lhs.has(Expectation, sp.Integral) or p.rhs.has(Expectation, sp.Integral)) and (
            not p.families)

    def judge(self, p: Problem) -> Judgement | None:
        from elbo_derivation.decide.rules import GAUSSIAN_INSTANCE, refute_on_gaussian_instance

        cex = self.within_share(p, lambda: refute_on_gaussian_instance(
            p.lhs, p.rhs, p.relation, p.domains))
        if cex is None:
            return None
        from elbo_derivation.decide.rules import holds_as_one_model

        why = holds_as_one_model(p.lhs, p.rhs, p.relation)
        if why is not None:
            if why not in p.leading_reasons:  # the expectation rules may have said it
                p.leading_reasons.append(why)
            return None
        return Judgement(Verdict.REFUTED, self.name, (GAUSSIAN_INSTANCE,),
                         "On the linear-Gaussian instance of the densities the two sides are "
                         "exact numbers that differ.",
                         reason="the step fails on a concrete instance of the densities",
                         counterexample=cex)


class DeclaredIntervals(Tier):
    """A step about symbols declared in intervals (``0 < y < 1``), each written through a
    positive variable that covers exactly its interval, so that the sign and log rules see
    the bounds (1 − y > 0); then the algebra of the gap. It only proves."""

    name = "declared-intervals"
    share = 0.15

    def applies(self, p: Problem) -> bool:
        return p.symbolic and bool(p.domains) and p.relation is not Relation.EQ_UP_TO

    def judge(self, p: Problem) -> Judgement | None:
        from elbo_derivation.decide.inequalities import free_xreplace, interval_substitution

        subs, interval_rules = interval_substitution(p.domains)
        if not subs:
            return None

        def work() -> Judgement | None:
            gap = free_xreplace(p.gap, subs)
            gap = gap.replace(lambda n: isinstance(n, sp.log),
                              lambda n: sp.log(sp.factor(sp.together(n.args[0]))))
            if p.relation is not Relation.EQ:
                # the gap as written, each exponential a positive unknown: a sum of positive
                # terms is ≥ 0 by the sign rules alone, before the expansion and factoring of
                # a common denominator (which can take seconds)
                written = exponentials_as_unknowns(free_xreplace(p.gap_of(p.lhs, p.rhs), subs))
                if written is not None and written.is_nonnegative is True:
                    return Judgement(Verdict.PROVED, self.name, (*interval_rules, SIGN_RULES),
                                     "within the declared intervals, each exponential "
                                     "written as a positive unknown, the gap as written is "
                                     "≥ 0 by the sign rules")
            if p.relation is not Relation.EQ and exponential_denominator(gap):
                # a rational function of exponentials: its sign with each one a positive
                # unknown, before any expansion
                unknowns = exponentials_as_unknowns(gap)
                if unknowns is not None:
                    reason, rule = nonnegative(sp.together(unknowns))
                    if reason:  # (the reason shows the unknowns: it is not repeated)
                        return Judgement(Verdict.PROVED, self.name, (*interval_rules, rule),
                                         "within the declared intervals, each exponential "
                                         "written as a positive unknown, the gap factors "
                                         "into a non-negative form")
            reduced, rules = reduce_algebra(gap)
            if reduced == 0:
                return Judgement(Verdict.PROVED, self.name, (*interval_rules, *rules))
            if p.relation is Relation.EQ:
                return None
            reason, rule = nonnegative(reduced)
            if reason:
                return Judgement(Verdict.PROVED, self.name, (*interval_rules, *rules, rule),
                                 f"within the declared intervals the gap is ≥ 0: {reason}")
            return None

        value = self.within_share(p, work)
        return value


class FiniteCases(Tier):
    """A step about a whole number declared in a short range (the 0 or 1 of a Bernoulli
    variable, a category among three): proved case by case, each value of each such number
    put in and the gap reduced to 0 by the algebra (x·(1 − x) = 0 on {0, 1}). It only
    proves; a case it cannot reduce leaves the step to the next tier."""

    name = "finite-cases"
    share = 0.1
    #: at most this many cases (the product of the ranges' sizes)
    most = 16

    def cases(self, p: Problem) -> list[tuple[sp.Symbol, list[sp.Integer]]] | None:
        free = p.gap.free_symbols
        found = []
        for sym, interval in sorted(p.domains.items(), key=lambda kv: str(kv[0])):
            if sym not in free or sym.is_integer is not True or interval.free_symbols:
                continue
            if not (interval.inf.is_finite and interval.sup.is_finite):
                continue
            lo = int(sp.ceiling(interval.inf))
            hi = int(sp.floor(interval.sup))
            values = [sp.Integer(v) for v in range(lo, hi + 1) if _holds_integer(v, interval)]
            if not values or len(values) > self.most:
                return None
            found.append((sym, values))
        total = 1
        for _, values in found:
            total *= len(values)
        return found if found and total <= self.most else None

    def applies(self, p: Problem) -> bool:
        return (p.symbolic and p.relation is Relation.EQ and bool(p.domains)
                and self.cases(p) is not None)

    def judge(self, p: Problem) -> Judgement | None:
        import itertools

        cases = self.cases(p)
        if cases is None:
            return None

        def work() -> Judgement | None:
            used: list[str] = []
            for values in itertools.product(*(v for _, v in cases)):
                at = {sym: v for (sym, _), v in zip(cases, values, strict=True)}
                reduced, rules = reduce_algebra(p.gap.xreplace(at))
                if reduced != 0:
                    return None
                used.extend(rules)
            said = "; ".join(f"{plain(sym)} ∈ {{{', '.join(str(v) for v in vals)}}}"
                             for sym, vals in cases)
            return Judgement(Verdict.PROVED, self.name,
                             (f"cases over {said}", *dict.fromkeys(used)),
                             f"the two sides agree at each value of {said}")

        return self.within_share(p, work)


def _holds_integer(value: int, interval: sp.Interval) -> bool:
    return bool(interval.contains(sp.Integer(value)) is sp.true)


class Families(Tier):
    """Densities declared in a named family (Bernoulli, Poisson, exponential, Laplace,
    Gamma; :mod:`~elbo_derivation.decide.families`): expectations by the family's moments,
    entropy and KL, or as the sum or integral over its support, the density by its formula;
    then ``doit`` and the algebra of the gap. The rewritten sides stay for the next tiers."""

    name = "families"
    share = 0.3

    def applies(self, p: Problem) -> bool:
        # (a density of a family at another point counts: q(0), q(1) of a sum written out)
        funcs = {getattr(d, "func", d) for d in p.families}
        return p.symbolic and bool(p.families) and any(
            e.has(*p.families, *funcs) for e in (p.lhs, p.rhs))

    def judge(self, p: Problem) -> Judgement | None:
        from elbo_derivation.decide.families import instantiate

        def work() -> tuple[sp.Expr, sp.Expr, sp.Expr, tuple[str, ...]]:
            from elbo_derivation.decide.calculus import binomial_rules

            a, rules_a = instantiate(p.lhs, p.families, p.domains)
            b, rules_b = instantiate(p.rhs, p.families, p.domains)
            summed = binomial_rules(a, b)  # Σ C(n, k)·a^k·b^(n−k), summed by its theorem
            inside = _inside(p)
            evaluated: set[str] = set()  # a rule the evaluation used (a product as a sum)
            a = CALCULUS._evaluate(a, inside, evaluated)
            b = CALCULUS._evaluate(b, inside, evaluated)
            reduced, algebra = reduce_algebra(p.gap_of(a, b))
            return a, b, reduced, tuple(dict.fromkeys((*rules_a, *rules_b, *summed,
                                                       *sorted(evaluated), *algebra)))

        value = self.within_share(p, work)
        if value is None:
            return None
        a, b, reduced, rules = value
        from elbo_derivation.decide.calculus import PRODUCT_AS_SUM

        p.rewritten_by.extend(r for r in rules if r == PRODUCT_AS_SUM)
        p.lhs, p.rhs = a, b
        p.sides, p.gap = (a, b), reduced
        return p.judge_gap(reduced, self.name, rules, sides=(a, b))


class ExpectationRules(Tier):
    """The rules of expectations over densities (:mod:`~elbo_derivation.decide.rules`): for
    abstract densities, for expectations (split into exact Gaussian moments term by term,
    cheaper than the whole-integrand Gaussian tier), and for inequalities (KL ≥ 0,
    log t ≤ t − 1 on the difference as written, before its logarithms are expanded)."""

    name = "expectation-rules"

    def applies(self, p: Problem) -> bool:
        return p.symbolic and (p.lhs.has(AppliedUndef, Expectation)
                               or p.rhs.has(AppliedUndef, Expectation)
                               or p.relation in (Relation.GE, Relation.LE))

    def judge(self, p: Problem) -> Judgement | None:
        from elbo_derivation.decide import rules

        # a density declared in a family is that family's, not any density: no instance
        named = any(e.has(*p.families) for e in (p.lhs, p.rhs)) if p.families else False
        masked = self._with_positive_functions(p)
        if masked is not None:
            return masked
        # the verdict within the step's time; the rules it needed afterwards (see _naming)
        out = run_bounded(lambda: rules.check(p.lhs, p.rhs, p.relation, p.wrt,
                                              seconds=max(0.5 * p.left(), 0.1),
                                              domains=p.domains, refute=not named,
                                              needed=False),
                          max(min(0.5 * p.time_limit, p.left()), 1e-3))
        if not out.ok:
            p.reasons.append(f"{self.name}: {out.error}")
            return None
        found = out.value
        if found is None and not named and p.left() > 0:
            # Σ_i log p(x_i|z) with a symbolic number of terms: at a few terms, on the
            # densities' instance
            from elbo_derivation.decide.calculus import refute_factorised

            cex = refute_factorised(p.lhs, p.rhs, p.relation, p.domains,
                                    max(min(0.3 * p.time_limit, p.left()), 1e-3))
            if cex is not None:
                return Judgement(Verdict.REFUTED, self.name, (),
                                 "The step fails on a concrete instance of the densities, "
                                 "at a few terms of its sums.",
                                 reason="the step fails on a concrete instance of the densities",
                                 counterexample=cex)
        if (found is None or found.verdict == "undecided") and p.left() > 0:
            # a normaliser Z = ∫ π(θ)e^(−λf(θ)) dθ inside a log (Alquier's Gibbs posterior):
            # an integral of a positive function is a positive number, so proving the step for
            # every positive value of it proves it (a failure there refutes nothing)
            atoms = positive_integrals(p.lhs, p.rhs)
            if atoms:
                forward = {node: sp.Dummy("Z", positive=True) for node in atoms}
                lhs2, rhs2 = p.lhs.xreplace(forward), p.rhs.xreplace(forward)
                again = run_bounded(lambda: rules.check(lhs2, rhs2, p.relation, p.wrt,
                                                        seconds=max(0.5 * p.left(), 0.1),
                                                        domains=p.domains, refute=False,
                                                        needed=False),
                                    max(min(0.5 * p.time_limit, p.left()), 1e-3))
                if again.ok and again.value is not None and again.value.verdict == "proved":
                    return Judgement(Verdict.PROVED, self.name,
                                     (*again.value.rules, POSITIVE_INTEGRAL),
                                     again.value.explanation)
        if found is None:
            return None
        if found.verdict == "proved" and p.needed_rules:
            narrowed = _naming(p, lambda: rules.check(p.lhs, p.rhs, p.relation, p.wrt,
                                                     refute=False, needed=True))
            if narrowed is not None and narrowed.verdict == "proved":
                found = narrowed
        if found.verdict == "undecided":
            if found.explanation.startswith(rules.ONE_MODEL_OPEN):
                if found.explanation not in p.leading_reasons:  # said once, if judged twice
                    p.leading_reasons.append(found.explanation)
                return None
            if found.gap is not None and p.relation is not Relation.EQ_UP_TO:
                # left − right exact and explicit: a later tier refutes where it is nonzero,
                # once the tiers that evaluate the integrals in closed form had their turn
                p.rules_gap = (-found.gap if p.relation is Relation.LE else found.gap,
                               tuple(found.rules))
            p.reasons.append(f"{self.name}: {found.explanation}")
            return None
        if found.verdict == "proved":
            return Judgement(Verdict.PROVED, self.name, tuple(found.rules), found.explanation)
        if found.verdict == "refuted" and found.counterexample is not None:
            text = found.explanation
            return Judgement(Verdict.REFUTED, self.name, tuple(found.rules),
                             text[:1].upper() + text[1:] + ".", reason=text,
                             counterexample=found.counterexample)
        return None


    @staticmethod
    def _with_positive_functions(p: Problem) -> Judgement | None:
        """The step proved with each integral of a positive function that depends on variables
        bound around it (a marginal p(y) = ∫ p(x′)p(y|x′) dx′ of a model declared by its
        factors, inside expectations over y) replaced by an abstract positive function of
        those variables; None otherwise.

        A proof for every positive function of those variables holds for the integral, which is
        one (the logarithm of a product or a quotient of positive factors, linearity, the
        marginals of the expectations); a failure there refutes nothing. The rules then need
        not look inside the integrals, which is slow. Tried first, within a quarter of the
        step's time, only when the sides hold such integrals.
        """
        from elbo_derivation.decide import rules

        masks = positive_integral_functions(p.lhs, p.rhs)
        if not masks:
            return None
        lhs, rhs = _masked_integrands(p.lhs, masks), _masked_integrands(p.rhs, masks)
        out = run_bounded(lambda: rules.check(lhs, rhs, p.relation, p.wrt,
                                              seconds=max(0.25 * p.left(), 0.1),
                                              domains=p.domains, refute=False, needed=False),
                          max(min(0.25 * p.time_limit, p.left()), 1e-3))
        if not out.ok:
            p.reasons.append(f"expectation-rules (integrals as positive functions): {out.error}")
            return None
        if out.value is None or out.value.verdict != "proved":
            return None
        found = out.value
        if p.needed_rules:
            narrowed = _naming(p, lambda: rules.check(lhs, rhs, p.relation, p.wrt,
                                                     refute=False, needed=True))
            if narrowed is not None and narrowed.verdict == "proved":
                found = narrowed
        return Judgement(Verdict.PROVED, "expectation-rules",
                         (*found.rules, POSITIVE_INTEGRAL_FUNCTION), found.explanation)


class RulesGap(Tier):
    """A step whose left − right the expectation rules reduced to an explicit function, the
    expectations cancelled (Paisley et al.'s E[log(1 + e^θ)], which has no closed form, on
    both sides): that gap is exact, so a point where it is nonzero (negative, for an
    inequality) at 50 and 70 digits refutes the step; the sides, integrals, are evaluated
    only to see that they are finite there (at 15 digits). It only refutes, after the tiers
    that evaluate integrals in closed form."""

    name = "rules-gap"
    draws_points = True

    def applies(self, p: Problem) -> bool:
        return p.symbolic and p.rules_gap is not None

    def judge(self, p: Problem) -> Judgement | None:
        import numpy  # noqa: F401  (loaded before the share starts, see Tier.draws_points)

        gap, rules = p.rules_gap  # type: ignore[misc]
        return p.refute_exactly(gap, self.name, rules, share=0.3, side_dps=15)


#: the rule credited when a closed integral of a positive function is taken as a positive number
POSITIVE_INTEGRAL = "an integral of a positive function is positive"


#: the rule by which an integral over a variable that depends on others is a positive function
POSITIVE_INTEGRAL_FUNCTION = ("an integral of a positive function over one variable is a "
                              "positive function of the others")


def positive_integral_functions(*exprs: sp.Expr) -> dict[sp.Integral, sp.Expr]:
    """Each outermost integral in ``exprs`` of a positive integrand over an interval (lower <
    upper) that depends on a variable bound around it (an expectation's or an integral's)
    → an abstract positive function of its free variables, named apart from every function
    of ``exprs``; empty when there is none.

    >>> t, y, u = sp.symbols("t y u", real=True)
    >>> f = sp.Function("f", positive=True)
    >>> m = sp.Integral(f(u) * f(y - u), (u, -sp.oo, sp.oo))
    >>> e = sp.Integral(f(y) * sp.log(m), (y, -sp.oo, sp.oo))
    >>> masks = positive_integral_functions(e)
    >>> masks[m], masks[m].is_positive
    (Z1(y), True)
    """
    used = {type(n).__name__ for e in exprs for n in e.atoms(AppliedUndef)}
    out: dict[sp.Integral, sp.Expr] = {}
    stack: list[tuple[sp.Basic, frozenset]] = [(e, frozenset()) for e in exprs]
    while stack:
        node, bound = stack.pop()
        if isinstance(node, sp.Integral) and len(node.limits) == 1 and len(
                node.limits[0]) == 3:
            _, lo, hi = node.limits[0]
            if node.function.is_positive is True and (hi - lo).is_extended_positive is True:
                variables = node.free_symbols & bound
                if variables and node not in out:
                    k = next(k for k in range(1, len(used) + len(out) + 2)
                             if f"Z{k}" not in used)
                    used.add(f"Z{k}")
                    out[node] = sp.Function(f"Z{k}", positive=True)(
                        *sorted(node.free_symbols, key=str))
                if variables:
                    continue
        if isinstance(node, (sp.Integral, sp.Sum, sp.Product)):
            bound = bound | {lim[0] for lim in node.limits}
        elif isinstance(node, Expectation):
            # the density an expectation is over stays whole: the rules read its marginals
            stack.append((node.integrand, bound | {node.variable}))
            continue
        stack.extend((a, bound) for a in node.args)
    return out


def _masked_integrands(expr: sp.Basic, masks: Mapping[sp.Basic, sp.Expr]) -> sp.Basic:
    """``expr`` with the nodes of ``masks`` replaced, except in the densities expectations are
    over (see :func:`positive_integral_functions`)."""
    if expr in masks:
        return masks[expr]
    if type(expr) is Expectation:
        return Expectation(_masked_integrands(expr.integrand, masks), expr.variable,
                           expr.density)
    if isinstance(expr, Expectation) or not expr.args:  # (a KL: two densities)
        return expr
    args = [_masked_integrands(a, masks) for a in expr.args]
    return expr.func(*args) if args != list(expr.args) else expr


def positive_integrals(*exprs: sp.Expr) -> list[sp.Integral]:
    """The integrals in ``exprs`` of a positive integrand over an interval (lower < upper)
    that depend on no variable bound around them (a normaliser Z = ∫ π(θ)e^(−λf(θ)) dθ inside
    another integral over θ): each is a positive number.

    >>> t, lam = sp.Symbol("t", real=True), sp.Symbol("lam", positive=True)
    >>> pi = sp.Function("pi", positive=True)(t)
    >>> Z = sp.Integral(pi * sp.exp(-lam * t), (t, -sp.oo, sp.oo))
    >>> positive_integrals(sp.Integral(pi * sp.log(1 / Z), (t, -sp.oo, sp.oo))) == [Z]
    True
    """
    out: list[sp.Integral] = []
    stack: list[tuple[sp.Basic, frozenset]] = [(e, frozenset()) for e in exprs]
    while stack:
        node, bound = stack.pop()
        if isinstance(node, sp.Integral) and len(node.limits) == 1 and len(
                node.limits[0]) == 3 and not (node.free_symbols & bound):
            _, lo, hi = node.limits[0]
            if node.function.is_positive is True and (hi - lo).is_extended_positive is True:
                if node not in out:
                    out.append(node)
                continue
        if isinstance(node, (sp.Integral, sp.Sum, sp.Product)):
            bound = bound | {lim[0] for lim in node.limits}
        elif isinstance(node, Expectation):
            bound = bound | {node.variable}
        stack.extend((a, bound) for a in node.args)
    return out


class GaussianMoments(Tier):
    """Every Gaussian integral and expectation evaluated exactly (x = μ + σu and the moments of
    the standard normal), then the algebra of the gap. The evaluated sides and gap stay for
    the tiers after this one."""

    name = "gaussian-moments"
    share = 0.25

    def applies(self, p: Problem) -> bool:
        return p.symbolic and p.integrals

    def judge(self, p: Problem) -> Judgement | None:
        # the rules a textbook would name: when the integrals that differ agree term by term,
        # the step is their linearity and log rules, not the moments (the evaluation below
        # still decides, so every integral split off is known to converge)
        def work() -> tuple[sp.Expr, sp.Expr, int, sp.Expr, tuple[str, ...]]:
            a, n1 = evaluate_gaussian_integrals(p.lhs)
            b, n2 = evaluate_gaussian_integrals(p.rhs)
            if n1 + n2:  # d/dm E[z³] with E[z³] now m³ + 3ms²: the derivative taken too
                a, b = _derivatives_done(a), _derivatives_done(b)
            from elbo_derivation.decide.inequalities import free_xreplace, interval_variables

            there, back = interval_variables(p.lhs - p.rhs, p.domains) if p.domains and (
                a.has(sp.Integral, Expectation) or b.has(sp.Integral, Expectation)) else ({}, {})
            if there:
                # N(m, 1 − c) with 0 < c < 1: the variance is positive by the interval only;
                # evaluated and reduced through c = t/(1 + t), the sides written back in c
                at, n1 = evaluate_gaussian_integrals(free_xreplace(p.lhs, there))
                bt, n2 = evaluate_gaussian_integrals(free_xreplace(p.rhs, there))
                if n1 + n2:
                    reduced, rules = reduce_algebra(p.gap_of(at, bt))

                    def written_back(e: sp.Expr) -> sp.Expr:
                        return e.xreplace(back).replace(
                            lambda n: isinstance(n, sp.log),
                            lambda n: sp.log(sp.factor(sp.together(n.args[0]))))

                    return (written_back(at), written_back(bt), n1 + n2, written_back(reduced),
                            rules)
            if (a - b).has(sp.Integral, Expectation):
                # E[f] − E[g] under one normal density with f − g Gaussian-integrable only
                # together: one integral (linearity), its logs paired (log of a quotient)
                found = _merged_gaussian_gap(p.gap_of(a, b))
                if found is not None:
                    gap, n3, rules = found
                    return a, b, n1 + n2 + n3, gap, rules
            if not n1 + n2:
                return a, b, 0, sp.S.NaN, ()
            return a, b, n1 + n2, *reduce_algebra(p.gap_of(a, b))

        value = self.within_share(p, work)
        if value is None:
            return None
        a, b, n, reduced, rules = value
        if not n:
            return None
        p.sides, p.gap, p.reduced_exactly = (a, b), reduced, True
        took = (DIFFERENTIATION,) if p.lhs.has(sp.Derivative) or p.rhs.has(sp.Derivative) else ()
        half, other = _half_line_gaussian(p.lhs, p.rhs)
        normal = (*((NORMAL_CDF,) if half else ()), *((NORMAL_MOMENTS,) if other or not half
                                                       else ()))
        judged = p.judge_gap(reduced, self.name, (*normal, *took, *rules), sides=(a, b))
        split = None
        if (p.relation is Relation.EQ and p.needed_rules and judged is not None
                and judged.verdict is Verdict.PROVED):
            split = _naming(p, lambda: _split_integrals(p.lhs, p.rhs))
        if split:
            judged.rules = split
            judged.explanation = ("the integrals that differ agree term by term, by "
                                  + "; ".join(split) + " (each integral evaluated exactly)")
        return judged


def _merged_gaussian_gap(gap: sp.Expr) -> tuple[sp.Expr, int, tuple[str, ...]] | None:
    """The gap with its whole-line integrals merged into one (linearity of the integral) and
    that integrand's logarithms paired into logs of quotients, then evaluated as a Gaussian
    integral: (the reduced gap, the integrals evaluated, the rules), or None when an integral
    is left. So E[log(1 + eᶻ)] − E[log(e^(−ξz) + e^((1−ξ)z))] = E[ξz] = ξμ under N(μ, σ²),
    though neither expectation has a closed form."""
    from elbo_derivation.decide import calculus

    merged = calculus.merge_integrals(gap)
    if merged == gap:
        return None
    paired = merged.replace(
        lambda n: isinstance(n, sp.Integral),
        lambda n: sp.Integral(calculus.log_ratios_combined(n.function), *n.limits))
    value, n = evaluate_gaussian_integrals(paired)
    if not n or value.has(sp.Integral, Expectation):
        return None
    reduced, rules = reduce_algebra(value)
    said = (LINEARITY_OF_INTEGRAL, LOG_QUOTIENT) if paired != merged else (LINEARITY_OF_INTEGRAL,)
    return reduced, n, (*said, *rules)


def _derivatives_done(expr: sp.Expr) -> sp.Expr:
    """``expr`` with every derivative of an expression free of integrals and expectations
    evaluated (what is left of d/dm E_q[f] once the expectation is in closed form).

    >>> m = sp.Symbol("m", real=True)
    >>> _derivatives_done(sp.Derivative(m**3 + 3*m, m))
    3*m**2 + 3
    """
    return expr.replace(
        lambda n: isinstance(n, sp.Derivative) and not n.expr.has(sp.Integral, Expectation),
        lambda n: n.doit())



def _split_integrals(lhs: sp.Expr, rhs: sp.Expr) -> tuple[str, ...] | None:
    """The rules that make ``lhs = rhs`` hold with the integrals unevaluated, or None.

    Only the integrals written on one side and not the other are opened: each integrand's
    logarithms are expanded (the log rules) and it is split into terms, each term's factors
    free of the variable pulled out (linearity of the integral); the integrals both sides
    share stay whole. So ∫ p₁ log(p₁/p₂) dx = ∫ p₁ log p₁ dx − ∫ p₁ log p₂ dx is a log of a
    quotient and linearity, not the moments of the normal distribution.
    """
    one_sided = lhs.atoms(sp.Integral) ^ rhs.atoms(sp.Integral)
    if not one_sided:
        return None
    used: set[str] = set()
    subs = {}
    for node in one_sided:
        if len(node.limits) != 1 or node.function.has(sp.Integral):
            return None
        x = node.limits[0][0]
        f = node.function
        g = sp.expand(sp.expand_log(f, deep=True))
        used.update(log_identities(f.atoms(sp.log) - g.atoms(sp.log)))
        if _squares(f, inside=False) - _squares(g, inside=False):
            used.add(EXPANSION)
        terms = []
        for term in sp.Add.make_args(g):
            coeff, dep = term.as_independent(x, as_Add=False)
            if coeff != 1 or len(sp.Add.make_args(g)) > 1:
                used.add(LINEARITY_OF_INTEGRAL)
            terms.append(coeff * sp.Integral(dep, *node.limits))
        subs[node] = sp.Add(*terms)
    reduced, rules = reduce_algebra(lhs.xreplace(subs) - rhs.xreplace(subs))
    if reduced != 0:  # what is left: the integrals of the normal density times xᵏ
        values = {}
        for node in reduced.atoms(sp.Integral):
            found = _normal_moment(node)
            if found is None:
                return None
            values[node], name = found
            used.add(name)
        reduced, more = reduce_algebra(reduced.xreplace(values))
        if reduced != 0:
            return None
        rules = (*rules, *more)
    order = (LOG_PRODUCT, LOG_QUOTIENT, LOG_POWER, LOG_EXP, LINEARITY_OF_INTEGRAL,
             NORMALISATION, MEAN_OF_NORMAL, SECOND_MOMENT, HIGHER_MOMENT, EXPANSION)
    out = (*[r for r in order if r in used], *[r for r in rules if r not in used])
    return algebra_names(lhs, rhs, tuple(dict.fromkeys(out)))


def _normal_moment(node: sp.Integral) -> tuple[sp.Expr, str] | None:
    """(the value, the fact's name) of ∫ xᵏ·c·exp(a x² + b x) dx over the line (a < 0: the
    normal density, its normaliser maybe pulled out), computed exactly; None for any other
    integral."""
    from elbo_derivation.decide.gaussian import NotGaussianError, gaussian_integral

    if len(node.limits) != 1 or len(node.limits[0]) != 3:
        return None
    x, lo, hi = node.limits[0]
    if not (lo is sp.S.NegativeInfinity and hi is sp.oo):
        return None
    k, rest = 0, []
    for factor in sp.Mul.make_args(node.function):
        if factor == x:
            k += 1
        elif factor.is_Pow and factor.base == x and factor.exp.is_Integer and factor.exp > 0:
            k += int(factor.exp)
        else:
            rest.append(factor)
    _, shape = sp.powsimp(sp.Mul(*rest)).as_independent(x, as_Add=False)
    if not isinstance(shape, sp.exp):
        return None
    try:
        poly = sp.Poly(shape.args[0], x)
    except (sp.PolynomialError, sp.GeneratorsNeeded):
        return None
    if poly.degree() != 2 or poly.LC().is_negative is not True:
        return None
    try:
        value = gaussian_integral(node.function, x)
    except (NotGaussianError, sp.PolynomialError, sp.GeneratorsNeeded, ValueError):
        return None
    return value, {0: NORMALISATION, 1: MEAN_OF_NORMAL, 2: SECOND_MOMENT}.get(k, HIGHER_MOMENT)


_PROBE_REFUTED = {
    Relation.EQ: "At the point reported the two sides have different values (mpmath, 50 and "
    "70 digits).",
    Relation.LE: "At the point reported the left side exceeds the right side (mpmath, 50 and "
    "70 digits).",
    Relation.GE: "At the point reported the left side is below the right side (mpmath, 50 and "
    "70 digits).",
    Relation.EQ_UP_TO: "Moving only the variables named in [...] changes left − right, so the "
    "dropped term depends on them.",
}
_FOUND_BY_PROBE = "a point where the step fails was found by high-precision evaluation"


def _wrt_symbols(p: Problem) -> list[sp.Symbol]:
    a, b = p.sides
    names = set(p.wrt)
    return ordered(s for s in (a.free_symbols | b.free_symbols) if str(s) in names)


def _probe_refuted(tier: str, p: Problem, counterexample: Counterexample) -> Judgement:
    return Judgement(Verdict.REFUTED, tier, (), _PROBE_REFUTED[p.relation],
                     reason=_FOUND_BY_PROBE, counterexample=counterexample)


def quick_look(p: Problem) -> Judgement | None:
    """The probe at its first three nice points inside the declared domain, within a tenth
    of the step's time: a refutation (method ``probe``) when one of them is a counterexample
    confirmed as every probe's is (50 and 70 digits, both sides finite, every declared
    assumption respected), None otherwise. A plainly wrong step is refuted so without paying
    for ``simplify``, and a large one without paying for the symbolic tiers (see
    :data:`SCREEN_FIRST_NODES`).

    >>> t = sp.Symbol("t", positive=True)
    >>> j = quick_look(Problem.of(sp.log(t**2), sp.log(t)))
    >>> j.verdict.value, j.tier, j.counterexample.point
    ('refuted', 'probe', {'t': 2.0})
    >>> quick_look(Problem.of(sp.log(t**2), 2 * sp.log(t))) is None
    True
    """
    import numpy  # noqa: F401  (loaded before the time share starts, see Tier.draws_points)

    a, b = p.sides
    seconds = min(0.1 * p.time_limit, p.left())
    wrt = _wrt_symbols(p)
    if seconds > 0 and (p.relation is not Relation.EQ_UP_TO or wrt):
        quick = run_bounded(lambda: probe(a, b, relation=p.relation, wrt=wrt, gap=p.gap,
                                          n_random=0, max_points=3, domains=p.domains),
                            seconds)
        if quick.ok and quick.value.verdict == "refuted":
            return _probe_refuted("probe", p, quick.value.counterexample)
    return None


class Simplify(Tier):
    """A quick look at three nice points — a step that is plainly wrong is refuted there at
    once, without paying for ``simplify`` — then a bounded ``sympy.simplify`` of the gap."""

    name = "simplify"
    share = 0.25

    def applies(self, p: Problem) -> bool:
        return p.symbolic and p.left() > 0

    def judge(self, p: Problem) -> Judgement | None:
        a, b = p.sides
        found = quick_look(p)
        if found is not None:
            return found
        value = self.within_share(p, lambda: sp.simplify(p.gap))
        if value is None:
            return None
        p.gap = value
        rules: tuple[str, ...] = (SIMPLIFICATION,)
        if value == 0 and p.needed_rules:  # the identities that relate the written sides
            logs = log_identities(a.atoms(sp.log) ^ b.atoms(sp.log))
            rules = (*logs, *algebra_names(a, b, (EXPANSION,)), SIMPLIFICATION)
            rules = tuple(r for r in rules if r != EXPANSION)
        return p.judge_gap(value, self.name, rules, sides=(a, b))


def _functions_at_numbers(*exprs: sp.Expr) -> list[sp.Expr]:
    """``exprs`` with each abstract function (not a density) that they apply only at numbers,
    f(0) and f(1) once an expectation over a Bernoulli is summed, replaced by a value of its
    own at each of those points: a symbol named as written, with the function's assumptions.
    A function of an integer takes any values at distinct points, so every point probed is one
    such function; a function met anywhere at a symbol is left as it is.

    >>> k = sp.Symbol("k", integer=True)
    >>> f = sp.Function("f", real=True)
    >>> _functions_at_numbers(f(1) - f(0), f(k) + f(1))
    [-f(0) + f(1), f(1) + f(k)]
    >>> out, = _functions_at_numbers(f(1) - f(0))
    >>> sorted(str(s) for s in out.free_symbols), out.free_symbols.pop().is_real
    (['f(0)', 'f(1)'], True)
    """
    nodes = {n for e in exprs for n in sp.S(e).atoms(AppliedUndef)}
    subs: dict[sp.Basic, sp.Symbol] = {}
    for func in {n.func for n in nodes}:
        mine = [n for n in nodes if n.func == func]
        if "(" in func.__name__ or not all(arg.is_number for n in mine for arg in n.args):
            continue  # a density, or a function met at a symbol
        for n in mine:
            kind = ("positive" if n.is_positive else "nonnegative" if n.is_nonnegative
                    else "real" if n.is_real else None)
            if kind is None:
                break
            subs[n] = sp.Symbol(str(n), **{kind: True})
    if not subs:
        return [sp.S(e) for e in exprs]
    return [sp.S(e).xreplace(subs) for e in exprs]


def _entries_at_free_indices(*exprs: sp.Expr,
                             supports: Mapping[Any, sp.Interval] | None = None,
                             ) -> tuple[list[sp.Expr], dict[sp.Symbol, sp.Interval]]:
    """``exprs`` with each entry of a declared sequence at an index that no sum, product,
    integral or expectation binds (μ_j, σ_j of one dimension j) replaced by a number of its
    own — a symbol named as written, with the sequence's assumptions — and the intervals the
    sequence was declared in (its interior), for the probe: a sequence takes any values, so
    each entry is one number. Occurrences that could be one entry or two (μ_j beside μ_k)
    are left as they are. ``supports`` gives the support of a sequence that is the
    variable of a declared family (x_d of p(x_d|z) = Bernoulli(y_d) is 0 or 1).

    >>> j = sp.Symbol("j", integer=True)
    >>> m = sp.Function("m", real=True)
    >>> (out,), domains = _entries_at_free_indices(m(j) - m(j + 1))
    >>> sorted(str(s) for s in out.free_symbols), domains
    (['m_j', 'm_{j + 1}'], {})
    >>> k = sp.Symbol("k", integer=True)
    >>> _entries_at_free_indices(m(j) - m(k))[0] == [m(j) - m(k)]
    True
    """
    exprs = tuple(sp.S(e) for e in exprs)
    bound = {v for e in exprs for node in e.atoms(sp.Sum, sp.Product, sp.Integral)
             for v in node.variables}
    bound |= {node.variable for e in exprs for node in e.atoms(Expectation)}
    nodes = {n for e in exprs for n in e.atoms(AppliedUndef)}
    subs: dict[sp.Basic, sp.Symbol] = {}
    domains: dict[sp.Symbol, sp.Interval] = {}
    for func in {n.func for n in nodes}:
        mine = sorted((n for n in nodes if n.func == func), key=sp.default_sort_key)
        if "(" in func.__name__ or not all(
                a.is_integer is True and not a.is_number and not (a.free_symbols & bound)
                for n in mine for a in n.args):
            continue  # a density, a function of a real variable, or an entry a sum binds
        if any(not (x - y).is_number or (x - y) == 0 for i, n1 in enumerate(mine)
               for n2 in mine[i + 1:] for x, y in zip(n1.args, n2.args, strict=True)):
            continue  # μ_j beside μ_k: one entry or two, as j and k fall
        for n in mine:
            words = {w: True for w in ("integer", "positive", "nonnegative", "real")
                     if getattr(n, f"is_{w}") is True}
            if not words:
                break
            index = ",".join(str(a) for a in n.args)
            shown = (f"{func.__name__}_{index}" if all(isinstance(a, sp.Symbol) for a in n.args)
                     and len(n.args) == 1 else f"{func.__name__}_{{{index}}}")
            subs[n] = sp.Symbol(shown, **words)  # shown μ_j, as the entry is written
            ends = getattr(func, "interval", None)
            if supports and func in supports:  # a family's variable: on its support
                domains[subs[n]] = supports[func]
            elif ends is not None:
                domains[subs[n]] = sp.Interval.open(*ends)
    if not subs:
        return list(exprs), {}
    return [e.xreplace(subs) for e in exprs], domains


def _sequence_supports(p: Problem) -> dict[Any, sp.Interval]:
    """The support of each declared family whose variable is an entry of a sequence."""
    from elbo_derivation.decide.families import FAMILY_FACTS

    out: dict[Any, sp.Interval] = {}
    for key, params, var in p.families.values():
        if isinstance(var, AppliedUndef) and key in FAMILY_FACTS:
            lo, hi = FAMILY_FACTS[key].support(*params)
            if sp.S(lo).is_number and sp.S(hi).is_number:
                out[var.func] = sp.Interval(lo, hi)
    return out


class Probe(Tier):
    """High-precision evaluation at nice, edge and random points
    (:mod:`~elbo_derivation.decide.probe`): refuted, numerically supported or undecided —
    never proved. Always answers."""

    name = "probe"

    def applies(self, p: Problem) -> bool:
        return True

    def _undecided(self, p: Problem) -> Judgement:
        missing = missing_mathematics(*p.sides)
        return Judgement(Verdict.UNDECIDED, self.name,
                         reason="; ".join([*p.leading_reasons, *missing[:3], *p.reasons]))

    def judge(self, p: Problem) -> Judgement:
        if p.left() <= 0:
            p.reasons.append("the time limit was used up before probing")
            return self._undecided(p)
        a, b, gap = _functions_at_numbers(*p.sides, p.gap)
        (a, b, gap), entries = _entries_at_free_indices(a, b, gap,
                                                        supports=_sequence_supports(p))
        wrt = _wrt_symbols(p)
        if p.relation is Relation.EQ_UP_TO and depends_on(a - b, [
            w for w in p.wrt if w not in {str(s) for s in wrt}
        ]):
            p.reasons.append("the difference involves densities named in the step's [...]; "
                             "they cannot be varied numerically")
            return self._undecided(p)
        budget = p.left()
        if budget <= 0:  # (the time can run out between the first check and this one)
            p.reasons.append("the time limit was used up before probing")
            return self._undecided(p)
        out = run_bounded(
            lambda: probe(a, b, relation=p.relation, wrt=wrt, gap=gap,
                          deadline=clock() + 0.9 * budget, domains={**p.domains, **entries}),
            budget,
        )
        if not out.ok:
            p.reasons.append(f"probe: {out.error}")
            return self._undecided(p)
        found = out.value
        if found.verdict == "refuted":
            return _probe_refuted(self.name, p, found.counterexample)
        p.reasons.insert(0, "no symbolic tier settled the step")
        if found.verdict == "supported":
            p.reasons[1:1] = missing_mathematics(*p.sides)[:3]
            return Judgement(
                Verdict.NUMERICALLY_SUPPORTED, self.name,
                reason="; ".join(p.reasons) + f"; the relation holds at {found.agreeing} probe "
                f"points (mpmath, {DPS} digits)",
                explanation=f"Not proved: the relation holds numerically at {found.agreeing} "
                "points, including edge cases.",
            )
        p.reasons.append(f"probe: {found.reason}")
        return self._undecided(p)


STRUCTURAL = Structural()
CALCULUS = Calculus()
SUM_RULES = SumRules()
GRADIENTS = Gradients()
ALGEBRA = Algebra(after_integrals=False)
INEQUALITY_RULES = InequalityRules()
STRICT_JENSEN = StrictJensen()
DECLARED_INTERVALS = DeclaredIntervals()
class IntegerParts(Tier):
    """An inequality with floors and ceilings (⌊x⌋, ⌈x⌉): each written x − θ (x + θ) with a
    θ of its own anywhere in [0, 1), the gap must be ≥ 0 by the algebra and the sign rules
    for every such θ, so for the true values. It only proves."""

    name = "integer-parts"
    share = 0.05

    def applies(self, p: Problem) -> bool:
        return p.symbolic and p.relation in (Relation.GE, Relation.LE) and (
            p.lhs.has(sp.floor, sp.ceiling) or p.rhs.has(sp.floor, sp.ceiling))

    def judge(self, p: Problem) -> Judgement | None:
        def work() -> Judgement | None:
            gap = p.gap_of(p.lhs, p.rhs)
            subs: dict[sp.Basic, sp.Expr] = {}
            for k, node in enumerate(sorted(gap.atoms(sp.floor, sp.ceiling),
                                            key=sp.default_sort_key)):
                t = sp.Dummy(f"t{k}", nonnegative=True)  # θ = t/(1 + t) covers [0, 1)
                theta = t / (1 + t)
                subs[node] = (node.args[0] - theta if isinstance(node, sp.floor)
                              else node.args[0] + theta)
            written = gap.xreplace(subs)
            if written.has(sp.floor, sp.ceiling) or not subs:
                return None  # (a floor inside a floor: not this rule's)
            reduced, rules = reduce_algebra(sp.together(written))
            if reduced == 0:
                return Judgement(Verdict.PROVED, self.name, (INTEGER_PARTS, *rules))
            reason, rule = nonnegative(reduced)
            if reason:
                return Judgement(Verdict.PROVED, self.name, (INTEGER_PARTS, *rules, rule),
                                 f"each integer part written x ∓ θ, 0 ≤ θ < 1, the gap is "
                                 f"≥ 0: {reason}")
            return None

        return self.within_share(p, work)


FAMILIES = Families()
EXPECTATION_RULES = ExpectationRules()
GAUSSIAN_INSTANCE = GaussianInstance()
GAUSSIAN_MOMENTS = GaussianMoments()
SIMPLIFY = Simplify()
PROBE = Probe()

#: The tiers in the order they are tried.
TIERS: tuple[Tier, ...] = (
    STRUCTURAL,
    IndexedDerivatives(),
    MatrixRules(),
    GRADIENTS,
    CALCULUS,
    SUM_RULES,
    ALGEBRA,
    INEQUALITY_RULES,
    STRICT_JENSEN,
    FAMILIES,
    DECLARED_INTERVALS,
    IntegerParts(),
    EXPECTATION_RULES,
    GAUSSIAN_INSTANCE,
    GAUSSIAN_MOMENTS,
    Algebra(after_integrals=True),
    RulesGap(),
    FiniteCases(),
    SIMPLIFY,
    PROBE,
)
