"""Deciding a step: an honest verdict for ``lhs <relation> rhs``, and nothing else.

A step asserts ``previous <relation> expression``. The engine substitutes the ``let``
definitions and then tries, cheapest first, each within its share of the step's time bound:

1. **structural** — the two sides are the same SymPy expression;
2. **algebra** — ``expand`` (products, powers, and logarithms of positive quantities, which
   SymPy expands only where that is sound), then ``cancel``/``together``, reduce the
   difference to zero;
   **expectation-rules** — for steps over abstract densities (§2), the rules of
   :mod:`~elbo_derivation.decide.rules` (linearity, constants, normalisation, Bayes' rule);
3. **gaussian-moments** — every integral over ℝ and every expectation whose integrand is a
   Gaussian factor times a polynomial (or the log of Gaussian densities) is evaluated exactly
   by :mod:`~elbo_derivation.decide.gaussian`, then the algebra tier runs again;
4. **simplify** — ``sympy.simplify`` of the difference (after a look at three nice points: a
   step that is plainly wrong is refuted there without paying for ``simplify``);
5. **probe** — high-precision numeric evaluation (:mod:`~elbo_derivation.decide.probe`) at
   nice, edge and random points: it can refute a step or *numerically support* it, never prove.

A difference that any symbolic tier reduces to a nonzero constant refutes the step, however
small the constant; the note of the counterexample gives it exactly. Each tier runs under
:func:`~elbo_derivation.core.timeout.run_bounded`, so a slow tier falls through to the next
and no step can hang a report; expressions too deep or with huge powers skip the symbolic tiers.

Relations: ``=``; ``<=``/``>=`` (proved when the gap is non-negative by SymPy's sign rules,
after factoring into squares, or as c·(t − log t − 1) plus such a term, with c, t > 0; otherwise
probed for a violation); ``=~`` with the step's ``wrt`` names (proved when the reduced
difference is free of them; refuted by two points that differ only in those variables and give
different differences).

Examples
--------
>>> import sympy as sp
>>> from elbo_derivation.decide.gaussian import gaussian_density
>>> x, mu = sp.symbols("x mu", real=True)
>>> s = sp.Symbol("sigma", positive=True)
>>> p = gaussian_density(x, mu, s)
>>> r = compare(sp.Integral(p * x**2, (x, -sp.oo, sp.oo)), s**2 + mu**2)
>>> r.verdict.value, r.method
('proved', 'gaussian-moments')
>>> r = compare(sp.Integral(p * x**2, (x, -sp.oo, sp.oo)), s**2)
>>> r.verdict.value, r.counterexample.point
('refuted', {'mu': 1.0, 'sigma': 2.0})
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import mpmath
import sympy as sp
from sympy.core.function import AppliedUndef

from elbo_derivation.core.expectation import Expectation
from elbo_derivation.core.steps import (
    Counterexample,
    Derivation,
    Relation,
    Step,
    SymbolicResult,
    Verdict,
)
from elbo_derivation.core.timeout import run_bounded
from elbo_derivation.decide.gaussian import evaluate_gaussian_integrals
from elbo_derivation.decide.probe import DPS, probe, probe_points, to_float, value_at

__all__ = ["compare", "decide_step", "wrt_names"]

#: Expressions nested deeper than this are not handled symbolically at all.
MAX_DEPTH = 200
#: Expressions with more nodes than this skip the symbolic tiers (probing only).
MAX_NODES = 20_000
#: Integer powers beyond this are not expanded (probing only).
MAX_EXPAND_POWER = 1000

# Shares of the step's time bound given to each tier (the probe gets what is left).
_SHARE = {"algebra": 0.2, "gaussian-moments": 0.25, "simplify": 0.25}

_EXPLAIN = {
    "structural": "both sides are the same expression",
    "algebra": "expanding products, powers and logarithms (of positive quantities) and "
    "cancelling reduces left − right to 0",
    "gaussian-moments": "each Gaussian integral was evaluated exactly (substituting x = μ + σu "
    "and using the moments of the standard normal), after which left − right expands to 0",
    "simplify": "sympy.simplify reduces left − right to 0",
    "expectation-rules": "the rules of expectations over densities reduce left − right to 0",
}


# --- screening ------------------------------------------------------------------------------


@dataclass
class _Screen:
    depth: int
    nodes: int
    big_power: str = ""

    @property
    def blocked(self) -> str:
        if self.depth > MAX_DEPTH:
            return f"the expression is nested more than {MAX_DEPTH} levels deep"
        return ""

    @property
    def probe_only(self) -> str:
        if self.nodes > MAX_NODES:
            return f"the expression has more than {MAX_NODES} parts"
        return self.big_power


def _screen(*exprs: sp.Basic) -> _Screen:
    """Size, depth and huge powers of the expressions, without recursion."""
    out = _Screen(0, 0)
    stack = [(e, 1) for e in exprs]
    while stack:
        node, depth = stack.pop()
        out.nodes += 1
        out.depth = max(out.depth, depth)
        if out.depth > MAX_DEPTH or out.nodes > MAX_NODES:
            break
        if node.is_Pow and not out.big_power:
            e = node.exp
            if e.is_Number and abs(e) > MAX_EXPAND_POWER and node.base.free_symbols:
                out.big_power = f"the power {e} is too large to expand"
        stack.extend((a, depth + 1) for a in node.args)
    return out


# --- the symbolic tiers ---------------------------------------------------------------------


def _algebra(diff: sp.Expr) -> sp.Expr:
    """``diff`` reduced by expand (with sound log expansion) and cancel/together.

    Integrals and expectations are treated as opaque atoms here (two equal ones cancel);
    looking inside them is the Gaussian tier's work.
    """
    masked, nodes = _mask(diff)
    f = sp.expand(masked)
    if f != 0 and f.has(sp.log):
        f = sp.expand(sp.expand_log(f, deep=True))
    if f != 0:
        g = sp.cancel(sp.together(f))
        f = sp.expand(g) if g != 0 else g
    return f.xreplace(nodes)


def _mask(expr: sp.Expr) -> tuple[sp.Expr, dict[sp.Symbol, sp.Expr]]:
    """``expr`` with each Integral / Expectation replaced by a fresh symbol, and the inverse map."""
    found = list(_outer_nodes(expr))
    if not found:
        return expr, {}
    forward = {n: sp.Dummy("I") for n in found}
    return expr.xreplace(forward), {v: k for k, v in forward.items()}


def _outer_nodes(expr: sp.Basic) -> set[sp.Basic]:
    out: set[sp.Basic] = set()
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, (sp.Integral, Expectation)):
            out.add(node)
        else:
            stack.extend(node.args)
    return out


def _gaussian(lhs: sp.Expr, rhs: sp.Expr) -> tuple[sp.Expr, sp.Expr, int]:
    left, n1 = evaluate_gaussian_integrals(lhs)
    right, n2 = evaluate_gaussian_integrals(rhs)
    return left, right, n1 + n2


def _expectation_rules(lhs: sp.Expr, rhs: sp.Expr, relation: Relation, wrt: Sequence[str],
                       seconds: float) -> Any:
    """The §2 rules (:mod:`.rules`) on steps over abstract densities, when that module exists."""
    try:
        from elbo_derivation.decide import rules
    except ImportError:  # pragma: no cover - the module ships with the package
        return None
    return rules.check(lhs, rhs, relation, tuple(wrt), seconds=max(0.5 * seconds, 0.1))


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


def _quick_probe(a: sp.Expr, b: sp.Expr, relation: Relation, wrt: Sequence[str],
                 gap: sp.Expr, seconds: float) -> Counterexample | None:
    """A counterexample among the first three nice points, or None."""
    if seconds <= 0:
        return None
    wrt_symbols = [s for s in (a.free_symbols | b.free_symbols) if str(s) in set(wrt)]
    if relation is Relation.EQ_UP_TO and not wrt_symbols:
        return None
    out = run_bounded(lambda: probe(a, b, relation=relation, wrt=wrt_symbols, gap=gap,
                                    n_random=0, max_points=3), seconds)
    if out.ok and out.value.verdict == "refuted":
        return out.value.counterexample
    return None


def _simplify(diff: sp.Expr) -> sp.Expr:
    return sp.simplify(diff)


def _is_constant(f: sp.Expr) -> bool:
    return not f.free_symbols and not f.has(sp.Integral, Expectation, AppliedUndef)


def _constant_value(f: sp.Expr) -> mpmath.mpf | None:
    """The value of a constant expression when it is certainly nonzero, else None."""
    lo, hi = value_at(f, {}, DPS), value_at(f, {}, 2 * DPS)
    if lo is None or hi is None:
        return None
    if abs(hi) > mpmath.mpf(10) ** (-(DPS + DPS // 2)) and abs(lo - hi) <= abs(hi) / 1000:
        return hi
    return None


def _depends_on(f: sp.Expr, wrt: Sequence[str]) -> bool:
    names = set(wrt)
    if any(s.name in names for s in f.free_symbols if isinstance(s, sp.Symbol)):
        return True
    return any(str(a.func).split("(")[0] in names or str(a.func) in names
               for a in f.atoms(AppliedUndef))


def _nonnegative(f: sp.Expr) -> str:
    """A reason why ``f`` ≥ 0 under the assumptions, or "" when none is found."""
    if f.is_nonnegative is True:
        return "it is non-negative by SymPy's sign rules"
    g = sp.factor(f)
    if g.is_nonnegative is True:
        return f"it factors as {g}, non-negative by SymPy's sign rules"
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
                used.append(str(t))
                if rest == 0 or rest.is_nonnegative is True or (
                    sp.factor(rest).is_nonnegative is True
                ):
                    return (f"it is a positive multiple of t − log t − 1 ≥ 0 (t = "
                            f"{', '.join(used)}) plus {rest}, which is non-negative")
    # ... or with t read off a positive term c·t of f, log t expanded to match f's logarithms.
    expanded = sp.expand(f)
    for term in sp.Add.make_args(expanded):
        c, t = term.as_coeff_Mul()
        if not (c.is_positive and t.is_positive is True and not t.has(sp.log) and t != 1):
            continue
        rest = sp.expand(sp.expand_log(expanded - c * (t - sp.log(t) - 1), deep=True))
        if rest == 0 or rest.is_nonnegative is True or sp.factor(rest).is_nonnegative is True:
            return (f"it is {c}·(t − log t − 1) with t = {t}, which is ≥ 0 for t > 0, plus "
                    f"{rest}, which is non-negative")
    return ""


@dataclass
class _Judgement:
    verdict: Verdict
    detail: str = ""
    constant: sp.Expr | None = None


def _judge(f: sp.Expr, relation: Relation, wrt: Sequence[str]) -> _Judgement | None:
    """Decide from a reduced difference (lhs − rhs, or the gap for inequalities)."""
    if relation is Relation.EQ_UP_TO:
        if not _depends_on(f, wrt):
            return _Judgement(Verdict.PROVED, f"left − right = {f}, which does not depend on "
                              + ", ".join(wrt))
        return None
    if f == 0:
        return _Judgement(Verdict.PROVED)
    if relation is Relation.EQ:
        if _is_constant(f) and _constant_value(f) is not None:
            return _Judgement(Verdict.REFUTED, constant=f)
        return None
    # inequalities: f is the gap that must be ≥ 0
    if _is_constant(f):
        value = _constant_value(f)
        if value is not None and value < 0:
            return _Judgement(Verdict.REFUTED, constant=f)
    reason = _nonnegative(f)
    if reason:
        return _Judgement(Verdict.PROVED, f"the gap {f} is ≥ 0: {reason}")
    return None


# --- results --------------------------------------------------------------------------------


def _nice_point(exprs: Iterable[sp.Expr]) -> dict[sp.Symbol, sp.Expr]:
    symbols: set[sp.Symbol] = set()
    for e in exprs:
        symbols |= e.free_symbols
    ordered = sorted(symbols, key=str)
    import numpy as np

    return next(probe_points(ordered, np.random.default_rng(0)))


def _tidy(constant: sp.Expr) -> sp.Expr:
    """A constant for display: logarithms of positive numbers combined (sound, no force)."""
    out = run_bounded(lambda: sp.logcombine(constant), 0.2)
    if out.ok and sp.count_ops(out.value) <= sp.count_ops(constant):
        return out.value
    return constant


def _refuted_exactly(lhs: sp.Expr, rhs: sp.Expr, constant: sp.Expr, method: str,
                     relation: Relation, start: float) -> SymbolicResult:
    point = _nice_point([lhs, rhs])
    if lhs.has(sp.Integral, Expectation) or rhs.has(sp.Integral, Expectation):
        out = run_bounded(lambda: _gaussian(lhs, rhs), 1.0)  # exact values: no quadrature
        if out.ok:
            lhs, rhs, _ = out.value
    a, b = value_at(lhs, point, DPS), value_at(rhs, point, DPS)
    if relation is Relation.LE:  # the gap was right − left
        constant = -constant
    value = _constant_value(constant)
    what = "left − right"
    cex = Counterexample(
        point={str(s): float(v) for s, v in point.items()},
        lhs=to_float(a) if a is not None else float("nan"),
        rhs=to_float(b) if b is not None else float("nan"),
        difference=to_float(value),
        note=f"exact: {what} is the constant {_tidy(constant)} ≈ {mpmath.nstr(value, 15)}",
    )
    return SymbolicResult(
        Verdict.REFUTED, method, time.perf_counter() - start, counterexample=cex,
        reason=f"{what} reduces to the nonzero constant {_tidy(constant)}",
        explanation=f"{what.capitalize()} reduces to the nonzero constant {_tidy(constant)}, "
        "the same at every point.",
    )


def compare(
    lhs: sp.Expr,
    rhs: sp.Expr,
    relation: Relation | str = Relation.EQ,
    *,
    wrt: Sequence[str] = (),
    time_limit: float = 5.0,
) -> SymbolicResult:
    """Decide ``lhs <relation> rhs`` by the tiers of this module.

    Parameters
    ----------
    lhs, rhs : sympy.Expr
        the two sides, with ``let`` names already substituted; symbols carry assumptions.
    relation : Relation or str
        ``"="``, ``"<="``, ``">="`` or ``"=~"``.
    wrt : sequence of str
        for ``"=~"``: names of the symbols (or densities) the difference must be free of.
    time_limit : float
        seconds for the whole decision (each tier gets a share; the probe gets the rest).

    Returns
    -------
    SymbolicResult
        ``method`` names the deciding tier, ``explanation`` says what proved or refuted it,
        ``reason`` why a step is only numerically supported or undecided.

    Raises
    ------
    ValueError
        if ``time_limit`` is not positive or ``"=~"`` comes without ``wrt``.

    Examples
    --------
    >>> import sympy as sp
    >>> a, b = sp.symbols("a b", positive=True)
    >>> compare(sp.log(a / b), sp.log(a) - sp.log(b)).method
    'algebra'
    >>> r = compare(sp.log(a / b), sp.log(a) - sp.log(b) + sp.Rational(1, 10**30))
    >>> r.verdict.value, r.counterexample.note
    ('refuted', 'exact: left − right is the constant -1/1000000000000000000000000000000 ≈ -1.0e-30')
    >>> compare(a**2 + b**2, 2*a*b, ">=").verdict.value
    'proved'
    >>> compare(a + sp.log(b), sp.log(b), "=~", wrt=["a"]).verdict.value
    'refuted'
    """
    if not time_limit > 0:
        raise ValueError(f"time_limit must be positive, got {time_limit!r}")
    relation = Relation(relation)
    if relation is Relation.EQ_UP_TO and not wrt:
        raise ValueError("wrt must name at least one variable for the '=~' relation")
    lhs, rhs = sp.S(lhs), sp.S(rhs)
    start = time.perf_counter()
    deadline = time.monotonic() + time_limit

    def left() -> float:
        return max(deadline - time.monotonic(), 0.0)

    def share(tier: str) -> float:
        return max(min(_SHARE[tier] * time_limit, left()), 1e-3)

    def done(verdict: Verdict, method: str, **kw: Any) -> SymbolicResult:
        return SymbolicResult(verdict, method, time.perf_counter() - start, **kw)

    screen = _screen(lhs, rhs)
    if screen.blocked:
        return done(Verdict.UNDECIDED, "screen", reason=screen.blocked + "; nothing was tried")

    def gap_of(a: sp.Expr, b: sp.Expr) -> sp.Expr:
        return b - a if relation is Relation.LE else a - b

    def verdict_from(j: _Judgement, method: str, a: sp.Expr, b: sp.Expr) -> SymbolicResult:
        if j.verdict is Verdict.REFUTED:
            return _refuted_exactly(a, b, j.constant, method, relation, start)
        explanation = j.detail or _EXPLAIN[method]
        return done(Verdict.PROVED, method, explanation=explanation[:1].upper() + explanation[1:]
                    + ".")

    # 1. structural (SymPy's automatic simplification may leave a constant difference)
    if lhs == rhs or gap_of(lhs, rhs) == 0:
        return done(Verdict.PROVED, "structural", explanation="Both sides are the same expression.")
    gap = gap_of(lhs, rhs)
    if relation is not Relation.EQ_UP_TO and _is_constant(gap):
        j = _judge(gap, relation, wrt)
        if j is not None and j.verdict is Verdict.REFUTED:
            return verdict_from(j, "structural", lhs, rhs)
    reasons: list[str] = []
    sides = (lhs, rhs)
    reduced_gap = gap  # the most reduced form of the gap found so far (exactly equal to it)
    symbolic = not screen.probe_only
    if not symbolic:
        reasons.append(screen.probe_only)

    # 2. algebra. A step holding integrals or expectations goes to the tiers made for them
    #    first (2b, 3): expanding a gap full of unevaluated integrals is the slowest way to
    #    find that it does not vanish, and those tiers reduce the integrals exactly.
    integrals = lhs.has(sp.Integral, Expectation) or rhs.has(sp.Integral, Expectation)
    reduced_exactly = False  # whether a later tier replaced the integrals by their values

    def algebra_tier() -> SymbolicResult | None:
        nonlocal reduced_gap
        out = run_bounded(lambda: _algebra(gap_of(lhs, rhs)), share("algebra"))
        if not out.ok:
            reasons.append(f"algebra: {out.error}")
            return None
        if not reduced_exactly:
            reduced_gap = out.value
        j = _judge(out.value, relation, wrt)
        return None if j is None else verdict_from(j, "algebra", lhs, rhs)

    if symbolic and not integrals:
        decided = algebra_tier()
        if decided is not None:
            return decided

    # 2b. the expectation rules of §2 (decide/rules.py): for abstract densities, for
    #     expectations (split into exact Gaussian moments term by term, cheaper than the
    #     whole-integrand Gaussian tier), and for inequalities (KL ≥ 0, log t ≤ t − 1 on the
    #     difference as written, before its logarithms are expanded)
    if symbolic and (lhs.has(AppliedUndef, Expectation) or rhs.has(AppliedUndef, Expectation)
                     or relation in (Relation.GE, Relation.LE)):
        out = run_bounded(lambda: _expectation_rules(lhs, rhs, relation, wrt, left()),
                          max(min(0.5 * time_limit, left()), 1e-3))
        if out.ok and out.value is not None:
            rule = out.value
            if rule.verdict == "proved":
                text = rule.explanation
                return done(Verdict.PROVED, "expectation-rules",
                            explanation=text[:1].upper() + text[1:] + ".")
            if rule.verdict == "refuted" and rule.counterexample is not None:
                return done(Verdict.REFUTED, "expectation-rules",
                            counterexample=rule.counterexample, reason=rule.explanation,
                            explanation=rule.explanation[:1].upper() + rule.explanation[1:] + ".")
        elif not out.ok:
            reasons.append(f"expectation-rules: {out.error}")

    # 3. Gaussian integrals and expectations
    if symbolic and (lhs.has(sp.Integral, Expectation) or rhs.has(sp.Integral, Expectation)):

        def gaussian_tier() -> tuple[sp.Expr, sp.Expr, int, sp.Expr]:
            a, b, n = _gaussian(lhs, rhs)
            return a, b, n, _algebra(gap_of(a, b)) if n else sp.S.NaN

        out = run_bounded(gaussian_tier, share("gaussian-moments"))
        if out.ok:
            a, b, n, reduced = out.value
            if n:
                sides, reduced_gap, reduced_exactly = (a, b), reduced, True
                j = _judge(reduced, relation, wrt)
                if j is not None:
                    return verdict_from(j, "gaussian-moments", a, b)
        else:
            reasons.append(f"gaussian-moments: {out.error}")

    # 3b. algebra, for a step with integrals that the tiers made for them did not settle
    if symbolic and integrals:
        decided = algebra_tier()
        if decided is not None:
            return decided

    # 4. bounded simplify — after a quick numeric look at three nice points: a step that is
    #    plainly wrong is refuted there at once, without paying for simplify.
    if symbolic and left() > 0:
        a, b = sides
        quick = _quick_probe(a, b, relation, wrt, reduced_gap, min(0.1 * time_limit, left()))
        if quick is not None:
            return done(Verdict.REFUTED, "probe", counterexample=quick,
                        reason="a point where the step fails was found by high-precision "
                        "evaluation", explanation=_PROBE_REFUTED[relation])
        out = run_bounded(lambda: _simplify(reduced_gap), share("simplify"))
        if out.ok:
            reduced_gap = out.value
            j = _judge(out.value, relation, wrt)
            if j is not None:
                return verdict_from(j, "simplify", a, b)
        else:
            reasons.append(f"simplify: {out.error}")

    # 5. numeric probing
    if left() <= 0:
        reasons.append("the time limit was used up before probing")
        return done(Verdict.UNDECIDED, "probe", reason="; ".join(reasons))
    a, b = sides
    wrt_symbols = sorted(
        (s for s in (a.free_symbols | b.free_symbols) if str(s) in set(wrt)), key=str
    )
    if relation is Relation.EQ_UP_TO and _depends_on(a - b, [
        w for w in wrt if w not in {str(s) for s in wrt_symbols}
    ]):
        reasons.append("the difference involves densities named in the step's [...]; they cannot "
                       "be varied numerically")
        return done(Verdict.UNDECIDED, "probe", reason="; ".join(reasons))
    budget = left()
    out = run_bounded(
        lambda: probe(a, b, relation=relation, wrt=wrt_symbols, gap=reduced_gap,
                      deadline=time.monotonic() + 0.9 * budget),
        budget,
    )
    if not out.ok:
        reasons.append(f"probe: {out.error}")
        return done(Verdict.UNDECIDED, "probe", reason="; ".join(reasons))
    found = out.value
    if found.verdict == "refuted":
        return done(
            Verdict.REFUTED, "probe", counterexample=found.counterexample,
            reason="a point where the step fails was found by high-precision evaluation",
            explanation=_PROBE_REFUTED[relation],
        )
    reasons.insert(0, "no symbolic tier settled the step")
    if found.verdict == "supported":
        return done(
            Verdict.NUMERICALLY_SUPPORTED, "probe",
            reason="; ".join(reasons) + f"; the relation holds at {found.agreeing} probe points "
            f"(mpmath, {DPS} digits)",
            explanation=f"Not proved: the relation holds numerically at {found.agreeing} points, "
            "including edge cases.",
        )
    reasons.append(f"probe: {found.reason}")
    return done(Verdict.UNDECIDED, "probe", reason="; ".join(reasons))


# --- steps ----------------------------------------------------------------------------------


def wrt_names(d: Derivation, wrt: Sequence[str]) -> tuple[str, ...]:
    """The ``=~`` names, a ``let`` name replaced by the symbols of its definition.

    Definitions are substituted before checking, so "free of h" for ``let: h = exp(l)`` must
    mean "free of l": otherwise any difference would look free of h.
    """
    out: list[str] = []
    for name in wrt:
        if name in d.definitions:
            expanded = d.expand_definitions(d.symbols[name])
            out.extend(sorted(str(s) for s in expanded.free_symbols))
            out.extend(str(f.func).split("(")[0] for f in expanded.atoms(AppliedUndef))
        else:
            out.append(name)
    return tuple(dict.fromkeys(out))


def decide_step(d: Derivation, step: Step, *, time_limit: float = 5.0) -> SymbolicResult:
    """The verdict on one step of ``d`` (its previous expression against its own), nothing more.

    ``let`` names are substituted before deciding. A refuted step is not explained here:
    naming the mistake is the work of :mod:`elbo_derivation.explain`, which the checking
    pipeline (:func:`elbo_derivation.pipeline.check_step`) runs after this.

    Parameters
    ----------
    d : Derivation
    step : Step
        one of ``d.steps``.
    time_limit : float
        seconds allowed for this step.

    Returns
    -------
    SymbolicResult
        (``step.result`` is not modified).

    Examples
    --------
    >>> import sympy as sp
    >>> from elbo_derivation.core.steps import Derivation, Relation, Step
    >>> s = sp.Symbol("sigma", positive=True)
    >>> d = Derivation("t", {"sigma": s}, sp.log(s**2) / 2,
    ...                [Step(1, Relation.EQ, sp.log(s))])
    >>> decide_step(d, d.steps[0]).verdict.value
    'proved'
    """
    lhs = d.expand_definitions(step.lhs(d))
    rhs = d.expand_definitions(step.expr)
    return compare(lhs, rhs, step.relation, wrt=wrt_names(d, step.wrt), time_limit=time_limit)
