"""Deciding a step: an honest verdict for ``lhs <relation> rhs``, and nothing else.

:func:`compare` poses the step as a :class:`~elbo_derivation.decide.tiers.Problem` and asks
the tiers of :mod:`elbo_derivation.decide.tiers`, cheapest and surest first, until one
judges it: structural, calculus, algebra, expectation rules, exact Gaussian moments, a quick
probe and bounded simplify, and the numeric probe, which always answers (refuted, numerically
supported or undecided: a probe never proves). :func:`decide_step` does this for one step of a
derivation, its ``let`` names substituted. Explaining a refuted step is not done here (see
:mod:`elbo_derivation.pipeline`).

A gap that any symbolic tier reduces to a nonzero constant refutes the step, however small
the constant; the note of the counterexample gives it exactly. Expressions nested too deeply
are not tried at all, and those too large or with huge powers go to the probe only. Large
sides (:data:`~elbo_derivation.decide.tiers.SCREEN_FIRST_NODES`) with an exponential in a
denominator get the probe's quick look at three nice points before the symbolic tiers: a
counterexample confirmed there refutes the step at once, whatever the symbolic tiers would
have spent expanding it.

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

import dataclasses
import time
from collections.abc import Mapping, Sequence
from typing import Any

import mpmath
import sympy as sp
from sympy.core.function import AppliedUndef

from elbo_derivation.core.expectation import Expectation
from elbo_derivation.core.order import ordered as in_order
from elbo_derivation.core.order import symbol_order
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
from elbo_derivation.decide.probe import DPS, probe_points, to_float, value_at
from elbo_derivation.decide.rules import ONE_MODEL_OPEN
from elbo_derivation.decide.tiers import (
    MAX_DEPTH,
    MAX_EXPAND_POWER,
    MAX_NODES,
    SCREEN_FIRST_NODES,
    TERMWISE,
    TIERS,
    Judgement,
    Problem,
    constant_value,
    credit_rewritings,
    exponential_denominator,
    quick_look,
    termwise_terms,
)
from elbo_derivation.decide.words import plain

__all__ = ["compare", "decide_step", "declared_domains", "declared_families", "wrt_names"]

#: What each tier's proof rests on, when the tier gives no more particular words.
_EXPLAIN = {
    "structural": "both sides are the same expression",
    "calculus": "evaluating the derivatives, sums and products, then expanding and "
    "cancelling, reduces left − right to 0",
    "algebra": "expanding products, powers and logarithms (of positive quantities) and "
    "cancelling reduces left − right to 0",
    "gaussian-moments": "each Gaussian integral was evaluated exactly (substituting x = μ + σu "
    "and using the moments of the standard normal), after which left − right expands to 0",
    "simplify": "simplifying (rewriting, expanding, cancelling) reduces left − right to 0",
    "expectation-rules": "the rules of expectations over densities reduce left − right to 0",
    "declared-intervals": "writing each symbol through a positive variable that covers its "
    "declared interval, expanding and cancelling reduces left − right to 0",
    "inequality-rules": "the named inequalities make the gap non-negative",
    "families": "the facts of the declared families (moments, entropy, KL, the density) "
    "reduce left − right to 0",
    "gradients": "differentiating under the integral sign reduces left − right to 0",
    "sum-rules": "the rules of sums (linearity, constants, index shifts, splitting off terms) "
    "reduce left − right to 0",
}


#: The tiers whose rules say all there is to say about a proof (the others describe their
#: method in :data:`_EXPLAIN`).
_BY_RULES = ("algebra", "calculus", "declared-intervals", "families", "sum-rules")


# --- screening ------------------------------------------------------------------------------


def _screen(*exprs: sp.Basic) -> tuple[str, str, int]:
    """(why nothing can be tried, why only the probe can be), "" where it can: the depth,
    size and huge powers of the expressions, found without recursion; and the number of
    nodes counted (the count stops past :data:`MAX_NODES` or :data:`MAX_DEPTH`)."""
    depth_max, nodes, big_power = 0, 0, ""
    stack = [(e, 1) for e in exprs]
    while stack:
        node, depth = stack.pop()
        nodes += 1
        depth_max = max(depth_max, depth)
        if depth_max > MAX_DEPTH or nodes > MAX_NODES:
            break
        if node.is_Pow and not big_power:
            e = node.exp
            if e.is_Number and abs(e) > MAX_EXPAND_POWER and node.base.free_symbols:
                big_power = f"the power {e} is too large to expand"
        stack.extend((a, depth + 1) for a in node.args)
    blocked = (f"the expression is nested more than {MAX_DEPTH} levels deep"
               if depth_max > MAX_DEPTH else "")
    probe_only = f"the expression has more than {MAX_NODES} parts" if nodes > MAX_NODES else ""
    return blocked, probe_only or big_power, nodes


# --- results --------------------------------------------------------------------------------


def _nice_point(exprs: Sequence[sp.Expr], domains: Mapping[sp.Symbol, sp.Interval],
                ) -> dict[sp.Symbol, sp.Expr]:
    """A nice point inside the declared domain, where every one of ``exprs`` is finite if
    one of the first few points makes them so."""
    symbols: set[sp.Symbol] = set()
    for e in exprs:
        symbols |= e.free_symbols
    import numpy as np

    points = probe_points(in_order(symbols), np.random.default_rng(0), 4, dict(domains))
    first = None
    for point in list(points)[:12]:
        first = first or point
        if all(value_at(e, point, DPS) is not None for e in exprs):
            return point
    return first if first is not None else {}


def _tidy(constant: sp.Expr) -> sp.Expr:
    """A constant for display: logarithms of positive numbers combined (sound, no force)."""
    out = run_bounded(lambda: sp.logcombine(constant), 0.2)
    if out.ok and sp.count_ops(out.value) <= sp.count_ops(constant):
        return out.value
    return constant


def _refuted_exactly(lhs: sp.Expr, rhs: sp.Expr, constant: sp.Expr, method: str,
                     relation: Relation, start: float,
                     domains: Mapping[sp.Symbol, sp.Interval]) -> SymbolicResult:
    if lhs.has(sp.Integral, Expectation) or rhs.has(sp.Integral, Expectation):
        out = run_bounded(lambda: (evaluate_gaussian_integrals(lhs)[0],
                                   evaluate_gaussian_integrals(rhs)[0]), 1.0)  # exact values
        if out.ok:
            lhs, rhs = out.value
    point = _nice_point([lhs, rhs], domains)
    a, b = value_at(lhs, point, DPS), value_at(rhs, point, DPS)
    if relation is Relation.LE:  # the gap was right − left
        constant = -constant
    value = constant_value(constant)
    what = "left − right"
    cex = Counterexample(
        point={str(s): float(v) for s, v in point.items()},
        lhs=to_float(a) if a is not None else float("nan"),
        rhs=to_float(b) if b is not None else float("nan"),
        difference=to_float(value),
        note=f"exact: {what} is the constant {plain(_tidy(constant))} ≈ {mpmath.nstr(value, 15)}",
        exact=_tidy(constant), exact_text=plain(_tidy(constant)),
    )
    return SymbolicResult(
        Verdict.REFUTED, method, time.perf_counter() - start, counterexample=cex,
        reason=f"{what} reduces to the nonzero constant {plain(_tidy(constant))}",
        explanation=f"{what.capitalize()} reduces to the nonzero constant "
        f"{plain(_tidy(constant))}, the same at every point.",
    )


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "."


def _result(j: Judgement, relation: Relation, start: float,
            domains: Mapping[sp.Symbol, sp.Interval]) -> SymbolicResult:
    """The result of the step from the judgement of the tier that decided it."""
    if j.constant is not None:
        lhs, rhs = j.sides  # type: ignore[misc]
        out = _refuted_exactly(lhs, rhs, j.constant, j.tier, relation, start, domains)
        out.rules = j.rules
        return out
    explanation = j.explanation
    if j.verdict is Verdict.PROVED:
        if not explanation and j.rules and j.tier in _BY_RULES:
            explanation = f"by {'; '.join(j.rules)}, left − right reduces to 0"
        explanation = _sentence(explanation or _EXPLAIN[j.tier])
    return SymbolicResult(j.verdict, j.tier, time.perf_counter() - start,
                          counterexample=j.counterexample, reason=j.reason,
                          explanation=explanation, rules=j.rules)


def _with_failures(result: SymbolicResult, failures: Sequence[str]) -> SymbolicResult:
    """``result`` with the reason naming every earlier tier that failed (``failures``: a
    tier out of time, or an error), when the step is neither proved nor refuted.

    A later tier's weaker verdict then says why the stronger one was not reached: a step the
    calculus tier would have proved, cut short by its time share, is numerically supported
    by the sum tier's instances, and its reason says that the time ran out (a verdict that
    depends on the machine's load says so).

    >>> r = SymbolicResult(Verdict.NUMERICALLY_SUPPORTED, "sum-rules", 0.0,
    ...                    reason="equal at n = 1")
    >>> _with_failures(r, ["calculus: timed out after 0.2 s"]).reason
    'equal at n = 1; calculus: timed out after 0.2 s'
    """
    if result.verdict in (Verdict.PROVED, Verdict.REFUTED):
        return result
    missing = [f for f in dict.fromkeys(failures) if f and f not in result.reason]
    if missing:
        result.reason = "; ".join(r for r in (result.reason, *missing) if r)
    return result


def compare(
    lhs: sp.Expr,
    rhs: sp.Expr,
    relation: Relation | str = Relation.EQ,
    *,
    wrt: Sequence[str] = (),
    time_limit: float = 5.0,
    domains: Mapping[sp.Symbol | str, sp.Interval] | None = None,
    families: Mapping[sp.Expr, tuple] | None = None,
    needed_rules: bool = True,
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
    domains : mapping, optional
        a symbol (or its name) → the interval it was declared in (``0 < y < 1``): every
        point evaluated at, and so every counterexample, lies inside these intervals.
    families : mapping, optional
        each density declared in a named family → (family key, parameters, variable), as
        :func:`declared_families` reads them.
    needed_rules : bool
        name, for a proved step, only the rules it needed (the default). False spares that
        search where the rules are not shown (``verify``'s text report): the verdict and
        the method are the same, the rules are then every rule the deciding tier applied.

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
    on_simplex = _simplex_substitution(families, lhs, rhs)
    if on_simplex:
        return _compare_on_simplex(lhs, rhs, relation, on_simplex, wrt=wrt,
                                   time_limit=time_limit, domains=domains,
                                   families=families, needed_rules=needed_rules)
    start = time.perf_counter()
    blocked, probe_only, nodes = _screen(lhs, rhs)
    if blocked:
        return SymbolicResult(Verdict.UNDECIDED, "screen", time.perf_counter() - start,
                              reason=blocked + "; nothing was tried")
    problem = Problem.of(lhs, rhs, relation, wrt=wrt, time_limit=time_limit,
                         domains=_domains(domains, lhs, rhs), families=families,
                         needed_rules=needed_rules)
    if probe_only:
        problem.symbolic = False
        problem.reasons.append(probe_only)
    elif relation in (Relation.LE, Relation.GE):
        judgement = _termwise(problem, families)
        if judgement is not None:
            return _result(judgement, relation, start, problem.domains)
    if problem.symbolic and nodes >= SCREEN_FIRST_NODES and exponential_denominator(
            problem.gap):
        # large sides with exponentials in denominators: the probe's first points before
        # the symbolic tiers' expansions (the same look, and so the same counterexample, as
        # the simplify tier's); a rational function of the symbols themselves is left to
        # the tiers, whose exact gap the refutation then shows
        judgement = quick_look(problem)
        if judgement is not None:
            return _with_failures(_result(judgement, relation, start, problem.domains),
                                  problem.reasons)
    for tier in TIERS:
        if tier.applies(problem):
            judgement = tier.judge(problem)
            if judgement is None:
                continue
            judgement = credit_rewritings(problem, judgement)
            if (judgement.verdict is Verdict.PROVED and not judgement.rules
                    and relation in (Relation.LE, Relation.GE)):
                continue  # an inequality is proved by a named rule, or not at all
            result = _with_failures(_result(judgement, relation, start, problem.domains),
                                    problem.reasons)
            if result.verdict is Verdict.UNDECIDED and relation is Relation.EQ:
                entry = _refute_an_entry(lhs, rhs, time_limit=time_limit, domains=domains,
                                         families=families)
                if entry is not None:
                    return entry
            return result
    raise AssertionError("the probe, the last tier, always answers")  # pragma: no cover


def _explicit(e: sp.Expr) -> sp.MatrixBase | None:
    """``e`` as a matrix written out entry by entry (``[s^2, 0; 0, s^2/2]·[g1; g2]``), when it
    is one: products, inverses and sums of matrices given by their entries, no matrix symbol
    of a symbolic dimension. None otherwise."""
    if isinstance(e, sp.MatrixBase):
        return e
    if not isinstance(e, sp.MatrixExpr) or e.has(sp.MatrixSymbol):
        return None
    try:
        return e.as_explicit()
    except (TypeError, ValueError, AttributeError, NotImplementedError):
        return None


def _refute_an_entry(lhs: sp.Expr, rhs: sp.Expr, *, time_limit: float,
                     domains: Mapping[sp.Symbol | str, sp.Interval] | None,
                     families: Mapping[sp.Expr, tuple] | None) -> SymbolicResult | None:
    """An equality of two matrices written out, refuted at the first entry whose two sides
    are refuted as numbers (the entry named in the counterexample's note); None when the
    sides are not such matrices or no entry is refuted. Only refutes: two matrices are
    equal when every entry is, which the tiers decide on the whole matrices.

    >>> s = sp.Symbol("s", positive=True)
    >>> g = sp.Symbol("g", real=True)
    >>> r = _refute_an_entry(sp.ImmutableMatrix([[s**2 * g], [g / 2]]),
    ...                      sp.ImmutableMatrix([[s**2 * g], [g]]), time_limit=2,
    ...                      domains=None, families=None)
    >>> r.verdict.value, "entry (2, 1)" in r.counterexample.note
    ('refuted', True)
    """
    a, b = _explicit(lhs), _explicit(rhs)
    if a is None or b is None or a.shape != b.shape or a.shape == (1, 1):
        return None
    for i in range(a.rows):
        for j in range(a.cols):
            if sp.expand(a[i, j] - b[i, j]) == 0:
                continue
            r = compare(a[i, j], b[i, j], Relation.EQ, time_limit=time_limit / 2,
                        domains=domains, families=families, needed_rules=False)
            if r.verdict is Verdict.REFUTED and r.counterexample is not None:
                where = f"entry ({i + 1}, {j + 1}) of each side"
                cex = dataclasses.replace(r.counterexample, note=(
                    f"{r.counterexample.note}; {where}" if r.counterexample.note else where))
                return dataclasses.replace(r, counterexample=cex, explanation=(
                    f"The matrices differ in their {where}: {r.explanation}"), reason=(
                    f"{r.reason} ({where})" if r.reason else where))
    return None


def _termwise(p: Problem, families: Mapping[sp.Expr, tuple] | None) -> Judgement | None:
    """An inequality between two sums (or products of nonnegative factors) over one range,
    decided term by term (:func:`~elbo_derivation.decide.tiers.termwise_terms`): proved when a
    rule proves the terms' inequality, numerically supported when only the probe supports it;
    None otherwise (a term that fails somewhere need not make the sums fail)."""
    found = termwise_terms(p.lhs, p.rhs, p.relation)
    if found is None:
        return None
    f, g, shown = found
    terms = compare(f, g, Relation.LE, time_limit=max(0.4 * p.time_limit, 0.05),
                    domains=p.domains, families=families, needed_rules=False)
    if terms.verdict is Verdict.PROVED:
        return Judgement(Verdict.PROVED, "sum-rules", (TERMWISE,),
                         f"term by term: {shown} ({terms.method})")
    if terms.verdict is Verdict.NUMERICALLY_SUPPORTED:
        return Judgement(Verdict.NUMERICALLY_SUPPORTED, "sum-rules", (TERMWISE,), reason=(
            f"compared term by term: {shown} is numerically supported "
            f"({terms.reason or terms.method})"))
    return None


#: The rule a step decided on the simplex of a categorical's probabilities is credited with.
SIMPLEX_RULE = "the probabilities of a categorical distribution sum to 1"


def _simplex_substitution(families: Mapping[sp.Expr, tuple] | None, *exprs: sp.Expr,
                          ) -> dict[sp.Symbol, sp.Expr]:
    """For each categorical declared with free probabilities (``Categorical(a1, a2, a3)``,
    positive symbols whose sum is not 1 as written) that the sides use: each probability
    → itself over their sum, a map from the positive orthant onto the open simplex. A step
    holds for every point of the simplex exactly when it holds, so substituted, for every
    positive value, and a counterexample found so is one on the simplex once normalised.

    >>> a, b = sp.symbols("a b", positive=True)
    >>> k = sp.Symbol("k", integer=True)
    >>> q = sp.Function("q(k)", positive=True)(k)
    >>> _simplex_substitution({q: ("categorical", (a, b), k)}, a + b)
    {a: a/(a + b), b: b/(a + b)}
    """
    out: dict[sp.Symbol, sp.Expr] = {}
    used: set[sp.Basic] | None = None  # the sides' free symbols, found once a family needs them
    for key, params, _var in (families or {}).values():
        if key != "categorical" or len(params) < 2 or not all(
                isinstance(p, sp.Symbol) and p.is_positive for p in params):
            continue
        if used is None:
            used = set().union(*(e.free_symbols for e in exprs))
        if len(set(params)) < len(params) or not used & set(params):
            continue
        total = sp.Add(*params)
        if sp.simplify(total - 1) == 0 or any(p in out for p in params):
            continue
        out.update({p: p / total for p in params})
    return out


def _compare_on_simplex(lhs: sp.Expr, rhs: sp.Expr, relation: Relation,
                        substitution: dict[sp.Symbol, sp.Expr], **options: Any,
                        ) -> SymbolicResult:
    """:func:`compare` with free categorical probabilities written through
    :func:`_simplex_substitution`: the families' parameters then sum to 1, and a
    counterexample's probabilities are normalised to the point of the simplex it stands for."""
    families = {d: (key, tuple(sp.S(p).xreplace(substitution) for p in params), var)
                for d, (key, params, var) in (options.pop("families") or {}).items()}
    out = compare(lhs.xreplace(substitution), rhs.xreplace(substitution), relation,
                  families=families, **options)
    if out.verdict is Verdict.PROVED and SIMPLEX_RULE not in out.rules:
        out.rules = (*out.rules, SIMPLEX_RULE)
    c = out.counterexample
    if c is not None:
        point = dict(c.point)
        names = [str(p) for p in substitution]
        if all(n in point for n in names):
            groups: dict[sp.Expr, list[str]] = {}
            for p, image in substitution.items():
                groups.setdefault(sp.denom(image), []).append(str(p))
            for members in groups.values():
                total = sum(float(point[n]) for n in members)
                for n in members:
                    point[n] = float(point[n]) / total
            out.counterexample = Counterexample(point, c.lhs, c.rhs, c.difference, (
                c.note + "; " if c.note else "") + "the probabilities of the categorical "
                "normalised to sum to 1")
        else:  # a point that does not show every probability cannot be placed on the simplex
            out = SymbolicResult(Verdict.UNDECIDED, out.method, out.seconds, reason=(
                "the counterexample does not fix every probability of the categorical"))
    return out


def _domains(domains: Mapping[sp.Symbol | str, sp.Interval] | None, *exprs: sp.Expr,
             ) -> dict[sp.Symbol, sp.Interval]:
    """The declared intervals keyed by the symbols of ``exprs`` (a name matches its symbol)."""
    if not domains:
        return {}
    by_name = {str(k): v for k, v in domains.items()}
    # a declared symbol keeps its interval even where the sides do not show it (a family's
    # parameters appear only when its facts are written in)
    out = {k: v for k, v in domains.items() if isinstance(k, sp.Symbol)}
    for e in exprs:
        for s in e.free_symbols:
            if str(s) in by_name:
                out[s] = by_name[str(s)]
    return out


def declared_domains(d: Derivation) -> dict[sp.Symbol | str, sp.Interval]:
    """The interval each symbol of ``d`` was declared in (``y : (0, 1)``, ``0 < y < 1``),
    keyed by the declared symbol (by its name when the symbol is not at hand)."""
    decl = getattr(d, "declarations", None)
    intervals = dict(getattr(decl, "intervals", None) or {})
    return {d.symbols.get(name, name): iv for name, iv in intervals.items()}


def declared_families(d: Derivation) -> dict[sp.Expr, tuple]:
    """Each density of ``d`` declared in a named family other than the normal (which the
    reader writes out): the density → (family key, parameters, variable)."""
    decl = getattr(d, "declarations", None)
    out: dict[sp.Expr, tuple] = {}
    for sig, family in (getattr(decl, "families", None) or {}).items():
        density = decl.functions.get(sig)
        # (a multivariate normal of a vector stays abstract: it is recorded too)
        if (family.name != "normal" or not isinstance(family.variable, sp.Symbol)) and (
                density is not None):
            out[density] = (family.name, tuple(family.parameters), family.variable)
    return out


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


#: the reading of :func:`missing_marginals`, as a proof names it
MISSING_MARGINAL = ("{bare} is the model's own marginal {named} (the one marginal the "
                    "declared densities of that model lack, and all the bare letter declares: "
                    "a prior without a parameter)")


def missing_marginals(d: Derivation) -> dict[sp.Basic, sp.Basic]:
    """Each declared density of a bare family (p(z)) that is the missing marginal of the one
    model declared under the same letter with a subscript (p_θ): every density of the bare
    family a marginal of one variable, that variable in some declared density of the model,
    and no marginal or joint of it declared in the model (He et al. 2019 declare p_θ(x|z),
    p_θ(z|x), p_θ(x) and the prior p(z)). Mapped to the model's marginal (p_θ(z)); empty
    when the declarations do not read so (two subscripted models under one letter, a bare
    conditional, a marginal the model has).

    >>> import sympy as sp
    >>> from elbo_derivation.core.steps import Derivation
    >>> x, w = sp.symbols("x w", real=True)
    >>> fs = {n: sp.Function(n, positive=True)(*a) for n, a in (
    ...     ("g_a(x|w)", (x, w)), ("g_a(w|x)", (w, x)), ("g_a(x)", (x,)), ("g(w)", (w,)))}
    >>> d = Derivation("t", {"x": x, "w": w}, x, [], functions=fs)
    >>> missing_marginals(d)
    {g(w)(w): g_a(w)(w)}
    """
    from elbo_derivation.decide.rules import density_signature

    families: dict[str, list[tuple[sp.Basic, Any]]] = {}
    for value in d.functions.values():
        sig = density_signature(value)
        if sig is not None and isinstance(value, AppliedUndef):
            families.setdefault(sig.family, []).append((value, sig))
    out: dict[sp.Basic, sp.Basic] = {}
    for bare, members in families.items():
        if "_" in bare:
            continue
        models = [f for f in families if f.partition("_")[0] == bare and f.partition("_")[2]]
        if len(models) != 1 or any(sig.cond or len(sig.given) != 1 for _, sig in members):
            continue
        model = families[models[0]]
        aliases = {}
        for value, sig in members:
            v = sig.given[0]
            if any(v in ms.given for _, ms in model if not ms.cond) or not any(
                    v in (*ms.given, *ms.cond) for _, ms in model):
                break
            aliases[value] = sp.Function(f"{models[0]}({v})", positive=True)(*value.args)
        else:
            out.update(aliases)
    return out


def _renamed(expr: sp.Expr, aliases: Mapping[sp.Basic, sp.Basic]) -> sp.Expr:
    """``expr`` with each density of ``aliases`` (at any point) written as its alias."""
    funcs = {a.func: b.func for a, b in aliases.items()}
    return expr.replace(lambda n: isinstance(n, AppliedUndef) and n.func in funcs,
                        lambda n: funcs[n.func](*n.args))


def decide_step(d: Derivation, step: Step, *, time_limit: float = 5.0,
                needed_rules: bool = True) -> SymbolicResult:
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
    needed_rules : bool
        as for :func:`compare`.

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
    with symbol_order(d):  # the points drawn follow the declarations, not the names
        result = compare(lhs, rhs, step.relation, wrt=wrt_names(d, step.wrt),
                         time_limit=time_limit, domains=declared_domains(d),
                         families=declared_families(d), needed_rules=needed_rules)
    if (result.verdict is Verdict.UNDECIDED and ONE_MODEL_OPEN in (result.reason or "")
            and (aliases := missing_marginals(d))):
        # p_θ(x|z) beside a prior p(z) that the model p_θ lacks: one model (He et al. 2019)
        renamed = [_renamed(e, aliases) for e in (lhs, rhs)]
        if renamed != [lhs, rhs]:
            with symbol_order(d):
                again = compare(*renamed, step.relation, wrt=wrt_names(d, step.wrt),
                                time_limit=time_limit, domains=declared_domains(d),
                                families=declared_families(d), needed_rules=needed_rules)
            if again.verdict is Verdict.PROVED:
                said = "; ".join(MISSING_MARGINAL.format(bare=plain(a), named=plain(b))
                                 for a, b in aliases.items()
                                 if any(e.has(a.func) for e in (lhs, rhs)))
                again.rules = (said, *again.rules)
                again.explanation = f"Read as one model: {said}. Then: {again.explanation}"
                result = again
    if result.verdict is Verdict.PROVED:
        read = model_densities_read(d, step.lhs(d), step.expr)
        if read:
            result.rules = (FACTORISED_MODEL, *result.rules)
            result.explanation = ("Each density of the model is what its declared factors "
                                  "make it: " + "; ".join(read) + ". Then: "
                                  + result.explanation)
    return result


#: the rule by which a joint, marginal or conditional of a model declared by its factors is
#: read (:mod:`elbo_derivation.core.factorised`)
FACTORISED_MODEL = ("a model declared by its factors: its joint their product, a marginal "
                    "the other variables integrated out")


def model_densities_read(d: Derivation, *exprs: sp.Expr) -> list[str]:
    """Each undeclared density of a family declared by its factors in ``exprs``, with what
    it is through the factors, in words (empty when there is none).

    >>> import sympy as sp
    >>> from elbo_derivation.core.steps import Derivation
    >>> z, x = sp.symbols("z x", real=True)
    >>> F = lambda name, *a: sp.Function(name, positive=True)(*a)
    >>> d = Derivation("t", {"z": z, "x": x}, F("p(x,z)", x, z), [],
    ...                functions={"p(z)": F("p(z)", z), "p(x|z)": F("p(x|z)", x, z)})
    >>> model_densities_read(d, d.start)
    ['p(x,z) = p(x|z)·p(z)']
    """
    from elbo_derivation.core.factorised import model_density

    out = []
    for e in exprs:
        for node in sorted(e.atoms(AppliedUndef), key=str):
            name = node.func.__name__
            if name not in d.functions and model_density(d.functions, name, node.args):
                value = d.expand_definitions(node).replace(
                    lambda n: isinstance(n, sp.Integral) and len(n.limits) == 1,
                    lambda n: sp.Symbol(f"∫ {plain(n.function)} d{plain(n.limits[0][0])}"))
                out.append(f"{plain(node)} = {plain(value)}")
    return list(dict.fromkeys(out))
