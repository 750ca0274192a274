r"""Named mistakes: what the student did in a refuted step, said only when it is proved.

When the engine refutes a step, :func:`diagnose` compares the right expression (``lhs``: the
previous line, definitions substituted) with the written one (``rhs``). Each entry of the
catalogue (:mod:`.catalogue`, data: a name, the roles it acts on, a simulation of the
mistake, a teaching explanation) is tried, on roles found by :mod:`.roles` from the
declarations and the structure of the derivation, never from letters.

**The rule for a name.** An entry is a *match* when its simulation of the mistake reproduces
the written step exactly:

* forward: the simulation applied to the right expression equals the written one; or
* backward, for steps that also transform the expression: undoing the mistake at one place of
  the written expression gives an expression equal to the right one, and the simulation
  applied to the repaired part gives back the written part.

"Equal" means proved: the difference simplifies to 0 (SymPy, under the symbols' assumptions,
bounded effort; expectations over abstract densities after the rules' normal form), or, where
no symbolic check settles it, agreement to 40 of 50 digits (mpmath) at four points that respect
every assumption (:func:`.numbers.exactly_equal`). A double-precision screen at three points
only discards candidates quickly; it never names anything.

Every entry is tried, and every way it reproduces the step is a *match*; a name is given only
when the matches agree on one mistake:

1. a match of an entry B is set aside when another match, of an entry A that declares B in
   ``special_case_of`` (A's simulation is a special case of B's: a ½ dropped in front of
   everything is a factor 2), was made at the same place: one site inside the other (the
   whole expression holds every site), or the same written part; and a match that is not
   located (rule 2), made inside an integral (a sum) at which a located match names the
   value written for it (E[x²] written E[x]², a moment), is set aside too: both say that
   integral took the same written value, and only the located one says what it is; a
   match of A whose ½ the page shows was not added or dropped (its witness, see
   :func:`witnessed`) sets no B aside, and is itself set aside by a match of B at the
   same place (2 written 1 where no ½ shows on the page is a constant wrong, not a ½
   added);
2. the step is named only if the matches left are all of one entry and one of them is
   *located*: a forward simulation inside an integral (a sum, a derivative) that the step
   evaluated reproduces the value but not where the mistake was made (σ for σ² in a moment
   and in the density's normaliser give the same value; ½ on the whole of a function or a
   lost power-rule factor give the same derivative), so it is never named, only stands in
   the way; nor is a backward repair of such a step that changes a number nested inside a
   part or a factor of the written value (another of its numbers may be the wrong one; a
   constant term of the value is located);
3. otherwise (no match, or matches of two entries that rule 1 does not separate) the step is
   **not recognised** (None), unless the page breaks the tie: a log's ratio turned upside
   down and a sign put in front of it write the same value, but a log whose argument stands
   as on the author's previous line was not turned over, and a fraction inverted under an
   unchanged sign was not negated (:mod:`.page`); where logs were joined into one ratio
   and the previous line cannot tell, a KL it writes counts as the log-ratio its definition
   writes, and else the author's next line, when it holds the right value, shows the form
   meant (−E[log(p/q)] before −KL(q ‖ p): the minus was meant, the ratio was turned over);
   the matches the page contradicts are set aside and rules 1–2 applied again.

Where the step took derivatives (the written step keeps none), the simulations also act on
each derivative's value: a term or a factor lost there shows on the written line (the product
rule's s²e^{…} missing), but a number changed there does not (a ½ more or a sign on one term
of the value could come from several places), so such a variant is never made. A sign is the
exception where the value is written out as the product rule gives it, its terms kept apart
(d/dr r·log(a/r) = log(a/r) − 1, whose −1 SymPy's value merges with the other terms): one of
those terms negated is named when it holds symbols and no like term merges with it, or when
the negated term stands on the written step as its author wrote it. A simulation
inside an integral (a sum) that the written step *keeps*, when the step evaluated something
else under it (a derivative in the integrand), is located when the written integrand is the
simulated one point by point, not only its value. One simulation inside an evaluated
expectation is located all the same: a whole term of its integrand dropped (the expectation
the only construct around it), whose mean is not one number. E[a + b] = E[a] + E[b], so the
written value lacks exactly that term's mean, wherever the author evaluated it (E[(m − d)² +
(t − m)²] under N(m, s²) written (m − d)²: the s² is gone); a mean that is a number (½) is
a number lost from the value, which any of its numbers changed could also explain.

What the step shows as written also decides: a term is dropped only from the sum its author
wrote it in (2 − (1 + a) is the sum 1 − a, but its author wrote no term 1 there); a dropped
factor takes its symbols off the page (C·N·Σ/N keeps the 1/N of Σ/N: nothing was dropped);
a ½ is never put back inside a denominator (1/(s²/2) for 1/s² is a ½ nobody writes); a
mistake simulated inside an evaluated integral of one term of the previous line does not stand
in the way when the written step, as written, has as many terms and shows that term's right
value among them (s² − m² for E[x²] − E[x]²: E[x]² stands right on the page).

Then the engine shows the smallest differing part (:func:`locate_difference`).

A simulation that claims what the student wrote (log σ² for log σ) may ask that it stands on
the page (its binding's ``shown``: one of those parts in the written step, as evaluated or as
written); the same value reached by a coefficient changed elsewhere is another mistake.
A previous line over densities of declared named families (``densities: p(y) = LogNormal(m,
s^2)``) is first evaluated by what each family says, when the written step no longer holds
them, so the simulations act on the family's own formula.

For an ``=~ [wrt]`` step (equal up to terms free of what it optimises) "reproduces" means
equal up to a term free of the ``wrt`` names, as the step itself claims (where the expanded gap
does not show that, as after a square completed over a sum: its derivative in each of them
vanishes exactly). A sum over a few numbers (Σ over k ∈ {0, 1}) that the written step no
longer holds is written out term by term first, as the step did.
For an inequality step (≤, ≥) only the relation entries apply: "inequality reversed" is named
when the reversed relation is proved by the engine, or holds at every point its probe tries
to 50 digits (the explanation then says that no proof was found), and "Jensen reversed" when,
moreover, a log of an expectation faces an expectation of a log.

**What the comparison knows.** The numbers take each symbol inside the interval it was
declared in (``0 < t < 1``), and a probability inside (0, 1), so that log(1 − t) is real at
every point; a symbol declared inside [0, 1] is a probability, and so is an expression the
right lines write beside its complement (a sigmoid beside 1 − sigmoid). A density of a
declared family (``p(y) ~ LogNormal(m, s²)``) is written out by what its family says before
the numbers compare; sides in matrix notation are compared by the matrix rules (their normal
form, traces and determinants left as unknowns). A part of the previous line is taken as
carried through the step unchanged only when it occurs as often on both sides (and, on the
written side, only a large part or one holding a density, an integral or an expectation). A
repair of two terms at once (b − a written a − b), or inside a term that the evaluated value
combined (2b/b), is not located in a step that evaluates an integral. A match that is not
located is accepted on the double-precision screen alone: it can only withhold a name.

The way back: :attr:`Mistake.expected_step` is what the step should have been (the written
step with the mistake undone, or the previous line), and :attr:`Mistake.expected` the right
value of the part that was written wrong (:attr:`Mistake.subexpression`).

The diagnosis is bounded in time by :func:`~elbo_derivation.core.timeout.run_bounded` and
never raises.

Examples
--------
>>> import sympy as sp
>>> h = sp.Symbol("h", positive=True)
>>> g = sp.Symbol("g", real=True)
>>> right = (h + g**2 - sp.log(h) - 1) / 2
>>> diagnose(right, h + g**2 - sp.log(h) - 1, None, None).name
'dropped-half'
>>> diagnose(right, (h + g**2 - sp.log(h)) / 2, None, None).name
'missing-minus-one'
>>> m = diagnose(right, (h**2 + g**2 - sp.log(h**2) - 1) / 2, None, None)
>>> m.name
'variance-as-std'
>>> diagnose(right, right + g, None, None) is None
True
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import sympy as sp
from sympy.core.function import AppliedUndef

from elbo_derivation.core.expectation import KL, Expectation
from elbo_derivation.core.order import in_derivation_order
from elbo_derivation.core.timeout import clock, run_bounded
from elbo_derivation.core.written import WrittenFunction, checked
from elbo_derivation.decide.indexed import coordinate_derivatives, evaluate_coordinate_derivatives
from elbo_derivation.explain.catalogue import BY_NAME, CATALOGUE, Entry, kinds
from elbo_derivation.explain.dimensions import consistent
from elbo_derivation.explain.numbers import (
    FloatScreen,
    HighPrecision,
    OutOfTime,
    exactly_equal,
)
from elbo_derivation.explain.roles import Roles, roles_for
from elbo_derivation.explain.simplex import simplex_substitution
from elbo_derivation.explain.simulations import (
    CONSTRUCTS,
    closed_sum,
    polynomial_geometric,
    show,
    under,
)
from elbo_derivation.explain.simulations import (
    integral_value as sim_integral_value,
)
from elbo_derivation.explain.subexpr import smallest_difference
from elbo_derivation.explain.witness_factors import FACTOR_WITNESSES
from elbo_derivation.explain.witness_moments import MOMENT_WITNESSES
from elbo_derivation.explain.witness_terms import TERM_WITNESSES

__all__ = ["CATALOGUE", "CatalogueEntry", "Mistake", "Unrecognised", "diagnose",
           "locate_difference"]

#: Seconds a diagnosis may take before it gives up (not recognised; with ``candidates=True``
#: an :class:`Unrecognised` that says the search ran out of time).
TIME_BUDGET = 3.0
#: Most nodes of an expression the simulations walk over.
MAX_NODES = 300
#: Seconds SymPy may spend summing one series of a simulated step.
SERIES_SECONDS = 0.6

CatalogueEntry = Entry  # the old name of a catalogue entry


@dataclass(frozen=True)
class Mistake:
    """A named mistake found in a refuted step.

    ``name`` is a stable kebab-case id (the JSON ``mistake`` field); ``explanation`` says what
    is wrong in the roles of the author's symbols; ``subexpression`` is the smallest part of
    the written step that differs in value from the right one and ``expected`` its right value;
    ``expected_step`` is what the whole step should have been (the way back); ``wrong_part``
    and ``right_part`` are where the recognised mistake was made and what belonged there (the
    repair: σ₁² written where σ₁² + μ₁² belongs); ``title`` a short heading; ``also`` the
    more general catalogue entries: what every instance of the named one is
    (:data:`.catalogue.KIND_OF`) and those whose simulations reproduce the step as well, at
    the same place (a log-density-sign is also a sign-error): the name is the most specific.
    """

    name: str
    explanation: str
    subexpression: sp.Basic | None = None
    expected: sp.Basic | None = None
    expected_step: sp.Basic | None = None
    title: str = ""
    wrong_part: sp.Basic | None = None
    right_part: sp.Basic | None = None
    also: tuple[str, ...] = ()


@dataclass(frozen=True)
class Unrecognised:
    """A refuted step given no name, and why: two or more catalogue entries each reproduce it
    exactly, each where the page shows it, and nothing on the page tells which was made
    (``candidates`` lists them, catalogue ids); or the search of the catalogue ran out of its
    time before it ended (``timed_out``: a name may exist that was not reached)."""

    candidates: tuple[str, ...] = ()
    timed_out: bool = False

    @property
    def explanation(self) -> str:
        """The candidates in words, for the report (never a name).

        >>> said = Unrecognised(("sign-error", "chain-rule-factor-forgotten")).explanation
        >>> said.startswith("mistake not recognised: one term with the wrong sign and the chain")
        True
        >>> said.endswith("reproduce this step exactly; nothing on the page shows which was made")
        True
        >>> Unrecognised(timed_out=True).explanation.startswith(
        ...     "mistake not recognised: the search of the catalogue ran out of time")
        True
        """
        if not self.candidates:
            from elbo_derivation.report.text import OUT_OF_TIME  # one wording for every report

            return OUT_OF_TIME if self.timed_out else "mistake not recognised"
        said = [BY_NAME[c].title if c in BY_NAME else c for c in self.candidates]
        return ("mistake not recognised: " + ", ".join(said[:-1]) + " and " + said[-1]
                + " each reproduce this step exactly; nothing on the page shows which was made")


@dataclass
class _Match:
    entry: Entry
    binding: dict[str, Any]
    written_part: sp.Basic | None
    right_part: sp.Basic | None
    expected_step: sp.Basic
    direct: bool = True  # reproduced from the previous line itself, no rewrite assumed
    path: tuple[int, ...] = ()  # where: in the previous line (direct) or the written step
    located: bool = True  # the site shows on the written line (see _forward)
    witnessed: bool = True  # the page shows its entry's mechanism (see witnessed)
    contradicted: bool = False  # the page shows the mechanism did not happen (contradicts)
    site: tuple[int, ...] | None = None  # a site in a derivative's value: that derivative's
    # place in the previous line (see _derivative_sites)
    also: tuple[str, ...] = ()  # set by _choose: the more general entries it covers


Path = tuple[int, ...]
_EVALUATED = CONSTRUCTS  # what a step may evaluate: integrals, expectations, sums, derivatives


def _subtrees(expr: sp.Basic) -> dict[sp.Basic, int]:
    """The compound sub-expressions of ``expr`` (more than a symbol, a number or its power),
    each with the number of times it occurs."""
    out: dict[sp.Basic, int] = {}
    for n in sp.preorder_traversal(expr):
        if not n.is_Atom and sp.count_ops(n) >= 2:
            out[n] = out.get(n, 0) + 1
    return out


def _nodes(expr: sp.Basic, shared: set[sp.Basic] | frozenset = frozenset(),
           ) -> Iterator[tuple[Path, sp.Basic]]:
    """(path, node) pairs, outermost first, at most :data:`MAX_NODES` of them.

    Nodes in ``shared`` (compound parts that stand unchanged on the other side, such as a
    density carried through a step) are skipped with everything inside them: the written step
    shows that part untouched, so no mistake is simulated there.
    """
    stack: list[tuple[Path, sp.Basic]] = [((), expr)]
    seen = 0
    while stack and seen < MAX_NODES:
        path, node = stack.pop(0)
        if path and node in shared:
            continue
        seen += 1
        yield path, node
        if isinstance(node, (sp.Integral, Expectation, sp.Sum, sp.Derivative)):
            # the body only: a bound variable, its limits or the variable differentiated
            # by are not places a mistake is simulated
            stack.append(((*path, 0), node.args[0]))
            continue
        if isinstance(node, (sp.MatrixSymbol, sp.Identity, sp.ZeroMatrix)):
            continue  # a matrix's name and shape are not places a mistake is simulated
        for i, a in enumerate(node.args):
            if node.is_Pow and i == 1 and a.is_Number:
                continue  # a numeric exponent is not a place a mistake is simulated
            stack.append(((*path, i), a))


def _at(expr: sp.Basic, path: Path) -> sp.Basic:
    for i in path:
        expr = expr.args[i]
    return expr


def _replace(expr: sp.Basic, path: Path, new: sp.Basic) -> sp.Basic:
    if not path:
        return new
    i = path[0]
    args = list(expr.args)
    args[i] = _replace(args[i], path[1:], new)
    return expr.func(*args)


def _wrt_names(derivation: Any, wrt: tuple[str, ...]) -> set[str]:
    """The names an ``=~`` step optimises, a ``let`` name replaced by what it stands for."""
    out: set[str] = set()
    definitions = getattr(derivation, "definitions", None) or {}
    symbols = getattr(derivation, "symbols", None) or {}
    for name in wrt:
        if name in definitions and name in symbols:
            value = derivation.expand_definitions(symbols[name])
            out |= {str(s) for s in value.free_symbols}
            out |= {str(f.func).split("(")[0] for f in value.atoms(AppliedUndef)}
        else:
            out.add(name)
    return out


def _as_written(derivation: Any, step: Any) -> sp.Basic | None:
    """The step as its author wrote it (no automatic simplification), definitions expanded."""
    try:
        shown = getattr(step, "display", None)
        text = getattr(step, "expr_text", "")
        if shown is None and text and derivation is not None:
            from elbo_derivation.read.deriv import written_form

            shown = written_form(derivation, text)
        if shown is None:
            return None
        shown = checked(shown)  # E over a joint density: the nested expectations it is
        return derivation.expand_definitions(shown) if derivation is not None else shown
    except Exception:
        return None


def _step_sums(derivation: Any, shown: sp.Basic | None,
               ) -> tuple[list[tuple[sp.Basic, ...]], bool]:
    """The terms of each sum of the written step as written (rebuilt), the outermost first,
    and whether the first is the step itself (the step is a sum at its top)."""
    if shown is None:
        return [], False
    out: list[tuple[sp.Basic, ...]] = []
    try:
        for n in list(sp.preorder_traversal(shown))[:400]:
            if isinstance(n, sp.Add):
                out.append(tuple(_rebuilt(t) for t in n.args))
    except Exception:
        return [], False
    return out, isinstance(shown, sp.Add)


#: functions a step evaluates besides integrals, sums and derivatives (Γ(a + 1)/Γ(a) = a)
_SPECIAL = (sp.gamma, sp.loggamma, sp.polygamma, sp.factorial, sp.beta, KL)


def _evaluated_parts(lhs: sp.Basic, rhs: sp.Basic) -> tuple[bool, set[sp.Basic]]:
    """Whether the step evaluates something (an integral, a sum, an expectation, a
    derivative, a Γ or a KL the written step has fewer of), and the symbols of those parts:
    a term of the written value may come from them."""
    def parts(e: sp.Basic) -> list[sp.Basic]:
        return [n for n in sp.preorder_traversal(e) if isinstance(n, (*_EVALUATED, *_SPECIAL))]
    try:
        before, after = parts(lhs), parts(rhs)
    except Exception:
        return True, set()
    def count(ns: list[sp.Basic]) -> dict[type, int]:
        out: dict[type, int] = {}
        for n in ns:
            out[type(n)] = out.get(type(n), 0) + 1
        return out
    b, a = count(before), count(after)
    if all(a.get(k, 0) >= n for k, n in b.items()):
        return False, set()
    return True, {s for n in before for s in n.free_symbols}


def _rebuilt(e: sp.Basic) -> sp.Basic:
    """An expression built without evaluation, built again with it (E**x becomes exp(x))."""
    if not e.args or isinstance(e, (AppliedUndef, *_EVALUATED)):
        return e
    try:
        return e.func(*[_rebuilt(a) for a in e.args])
    except Exception:
        return e


def _previous_as_written(derivation: Any, step: Any) -> sp.Basic | None:
    """The line before ``step`` as its author wrote it (no automatic simplification), or
    None when it cannot be rebuilt."""
    try:
        index = getattr(step, "index", None)
        if derivation is None or not index:
            return None
        steps = derivation.steps
        if index == 1:
            shown, text = derivation.start_display, getattr(derivation, "start_text", "")
        else:
            before = steps[index - 2]
            shown, text = before.display, getattr(before, "expr_text", "")
        if shown is None and text:
            from elbo_derivation.read.deriv import written_form

            shown = written_form(derivation, text)
        return checked(shown) if shown is not None else None
    except Exception:
        return None


def _sums_left(e: sp.Basic) -> bool:
    """Whether ``e`` holds a sum other than one differentiated term by term: a derivative
    of Σᵢ fᵢ(θ) in a θ that no bound of the sum holds is Σᵢ dfᵢ/dθ, a value like any other
    (d/dλ Σ(−λ + xᵢ log λ) = Σ(−1 + xᵢ/λ)); a sum outside every derivative, or one over a
    range that depends on the variable, is left to the sums' own rules.

    >>> lam, n = sp.symbols("lam n", positive=True)
    >>> i = sp.Symbol("i", integer=True)
    >>> _sums_left(sp.Derivative(sp.Sum(lam * i, (i, 1, n)), lam))
    False
    >>> _sums_left(sp.Sum(lam * i, (i, 1, n)))
    True
    >>> _sums_left(sp.Derivative(sp.Sum(i, (i, 1, lam)), lam))
    True
    """
    hidden = {}
    for der in _outer_derivatives(e):
        variables = set(der.variables)
        sums = list(der.atoms(sp.Sum))
        if sums and all(not any(b.has(*variables) for lim in s.limits for b in lim[1:])
                        and not s.has(sp.Derivative) for s in sums):
            hidden[der] = sp.S.Zero
    return e.xreplace(hidden).has(sp.Sum) if hidden else e.has(sp.Sum)


def _outer_derivatives(e: sp.Basic) -> list[sp.Derivative]:
    """The derivatives of ``e`` outside any integral or expectation (one under an integral
    sign is the gradient tiers' business, and its value is not the step's own)."""
    if isinstance(e, sp.Derivative):
        return [e]
    if isinstance(e, (sp.Integral, Expectation)) or not e.args:
        return []
    return [d for a in e.args for d in _outer_derivatives(a)]


def _kept_derivatives(lhs: sp.Basic, rhs: sp.Basic) -> list[sp.Derivative]:
    """The derivatives of ``lhs`` that stand inside exactly one integral or expectation, in a
    previous line that holds exactly one such construct, when the written step ``rhs``
    keeps exactly one of the same kind and no derivative: the step took the derivatives
    under the integral sign and kept the integral (E[−∂²/∂θ² log f] written E[value], the
    Fisher information's first step). Derivatives of the integral's own bounds or of a
    construct nested in another are not such values."""
    kinds = (sp.Integral, Expectation)
    around = [n for n in sp.preorder_traversal(lhs) if isinstance(n, kinds)]
    kept = [n for n in sp.preorder_traversal(rhs) if isinstance(n, kinds)]
    if len(around) != 1 or len(kept) != 1 or type(around[0]) is not type(kept[0]):
        return []
    if lhs.has(sp.Sum) or rhs.has(sp.Sum) or rhs.has(sp.Derivative):
        return []
    body = around[0].integrand if isinstance(around[0], Expectation) else around[0].function
    if isinstance(around[0], Expectation) and around[0].density.has(sp.Derivative):
        return []
    if isinstance(around[0], sp.Integral) and any(
            a.has(sp.Derivative) for lim in around[0].limits for a in lim[1:]):
        return []
    outside = lhs.xreplace({around[0]: sp.Dummy()})
    if outside.has(sp.Derivative):
        return []
    return _outer_derivatives(body)


def _rule_terms(der: sp.Derivative) -> list[sp.Basic] | None:
    """The terms of a first derivative as the sum and product rules write them: for each
    term of the differentiated sum, one term per factor that depends on the variable (that
    factor differentiated, the others kept), each simplified alone; None for a higher or a
    mixed derivative, or one that stays unevaluated.

    >>> r, a = sp.symbols("r a", positive=True)
    >>> _rule_terms(sp.Derivative(r * sp.log(a / r), r))
    [log(a/r), -1]
    """
    if len(der.variable_count) != 1 or der.variable_count[0][1] != 1:
        return None
    x = der.variable_count[0][0]
    if isinstance(der.expr, sp.Sum) and not any(
            b.has(x) for lim in der.expr.limits for b in lim[1:]):
        # Σᵢ fᵢ differentiated term by term: the rules' terms of fᵢ, each summed
        inner = _rule_terms(sp.Derivative(der.expr.function, x))
        # (a number in front taken out of the sum: −Σ1, whose sign shows as the term's)
        return None if inner is None else [
            t.as_coeff_Mul()[0] * sp.Sum(t.as_coeff_Mul()[1], *der.expr.limits)
            for t in inner]
    out: list[sp.Basic] = []
    for term in sp.Add.make_args(der.expr):
        factors = sp.Mul.make_args(term)
        for i, f in enumerate(factors):
            if not f.has(x):
                continue
            d = sp.diff(f, x)
            if d.has(sp.Derivative):
                return None
            t = sp.Mul(*factors[:i], d, *factors[i + 1:])
            if t != 0:
                out.append(t)
    return out


def _sign_stands_apart(terms: tuple[sp.Basic, ...], i: int) -> bool:
    """Whether the ``i``-th term of a derivative's rule terms, negated, shows on the value
    as its own sign: it holds symbols and no other term is a number times it (a number, or
    a term like another, merges with it, and −2 for 1 − 1 may be a 1 doubled as much as a
    sign; then the term must stand on the written step as its author wrote it)."""
    t = terms[i]
    if t.is_number:
        return False
    return not any(j != i and (u / t).is_number for j, u in enumerate(terms))


def _evaluate_calculus(e: sp.Basic) -> sp.Basic:
    """``e`` with each derivative of an expression without integrals taken (``doit``), each sum
    over finite symbolic bounds in the sum rules' normal form (linearity, Σ c = D·c, the
    index from 0) and each series SymPy sums in closed form replaced by it; what cannot be
    done stays as it was.

    >>> mu = sp.Symbol("mu", real=True)
    >>> _evaluate_calculus(sp.Derivative(mu**2 / 2, mu))
    mu
    """
    from elbo_derivation.decide.calculus import binomial_series, exponential_series, sum_normal_form

    try:
        ders = {d: d.doit() for d in _outer_derivatives(e)
                if not d.expr.has(sp.Integral, Expectation, sp.Sum)}
        e = e.xreplace({d: v for d, v in ders.items() if not v.has(sp.Derivative)})
        if e.has(sp.Sum):
            e = exponential_series(e)  # the Poisson's series, exactly and at once
        if e.has(sp.binomial):
            e = binomial_series(e)  # Σ C(n, k) a^k b^(n−k) = (a + b)^n, as the tiers sum it
        if e.has(sp.Sum):
            e = sum_normal_form(e)[0]
            closed = {}
            for s in e.atoms(sp.Sum):
                if any(lim[2].is_infinite for lim in s.limits) and sp.count_ops(s) <= 40:
                    v = closed_sum(s) if len(s.limits) == 1 else None  # quick forms first
                    if v is None and polynomial_geometric(s):
                        continue  # its ratio not in (0, 1): no value (SymPy is slow to say)
                    if v is None:  # SymPy's summation, bounded: a series it cannot sum
                        # soon (a simulated one, 1/k beside a power) is left as it is
                        got = run_bounded(s.doit, SERIES_SECONDS)
                        v = got.value if got.ok else s
                    if not v.has(sp.Sum, sp.Piecewise):
                        closed[s] = v
                elif len(s.limits) == 1:  # over symbolic finite bounds: its closed form,
                    v = _finite_sum_closed(s)  # which the numbers can take between integers
                    if v is not None:
                        closed[s] = v
            e = e.xreplace(closed)
    except Exception:
        return e
    return e


def _finite_sum_closed(s: sp.Sum) -> sp.Basic | None:
    """The closed form of a sum over finite bounds that hold symbols, of a polynomial in
    its index (Faulhaber's sums) or of a geometric term c·rᵏ (r ≠ 1 as symbols), or None:
    the numbers draw a count between integers, where only the closed forms of two equal sums
    agree.

    >>> k = sp.Symbol("k", integer=True)
    >>> n = sp.Symbol("n", integer=True, positive=True)
    >>> _finite_sum_closed(sp.Sum(k, (k, 0, n - 1)))
    n**2/2 - n/2
    """
    k, lo, hi = s.limits[0]
    if not (lo.free_symbols | hi.free_symbols) or lo.is_finite is False \
            or hi.is_finite is False or s.function.has(sp.Sum, sp.Integral, AppliedUndef):
        return None
    f = s.function
    try:
        if f.is_polynomial(k) and sp.degree(f, k) <= 6:
            v = sp.expand(sp.summation(sp.expand(f), (k, lo, hi)))
            return None if v.has(sp.Sum, sp.Piecewise) else v
        ratio = sp.powsimp(sp.expand_power_exp(f.xreplace({k: k + 1}) / f), force=True)
        if ratio.has(k) or sp.simplify(ratio - 1) == 0 or sp.count_ops(ratio) > 12:
            return None
        return (f.xreplace({k: lo}) - f.xreplace({k: hi + 1})) / (1 - ratio)
    except Exception:
        return None


def _at_points(e: sp.Basic) -> sp.Basic:
    """``e`` with each value at a point (``f(s)|_{s=1}``, a derivative already taken) put
    in: the numbers cannot evaluate a substitution, only its result. What still holds a
    derivative, an integral, a sum or an expectation stays as it is.

    >>> s = sp.Symbol("s", real=True)
    >>> _at_points(sp.Subs(sp.exp(2 * (s - 1)), s, 1))
    1
    """
    try:
        return e.replace(
            lambda n: isinstance(n, sp.Subs) and not n.expr.has(
                sp.Derivative, sp.Integral, sp.Sum, Expectation),
            lambda n: n.doit())
    except Exception:
        return e


def _families_evaluated(lhs: sp.Basic, rhs: sp.Basic, derivation: Any) -> sp.Basic:
    """The previous line with its densities of declared named families replaced by what the
    family says (a KL or an entropy by its formula, a moment by its value, an expectation by
    the sum or integral over the support), when the written step no longer holds them: the
    step evaluated them, and the simulations act on the family's own formula (the log-normal's
    KL in its parameters). ``lhs`` itself otherwise."""
    try:
        from elbo_derivation.decide.families import instantiate
        from elbo_derivation.decide.verdict import declared_domains, declared_families

        families = declared_families(derivation) if derivation is not None else {}
        if not families or not lhs.has(*families) or rhs.has(*families):
            return lhs
        if rhs.has(Expectation) or not any(
                isinstance(n, Expectation) and isinstance(n.args[1], sp.MatrixSymbol)
                for n in sp.preorder_traversal(lhs)):
            out, _ = instantiate(lhs, families, declared_domains(derivation))
            return out if not out.has(*families) else lhs
        # the expectations over a declared vector normal by its moments (E[xxᵀ] = Σ + μμᵀ),
        # which the step took while making its slip elsewhere (tr(A·E[eeᵀ]) written as a
        # product of traces: the split acts on tr(A·I))
        from elbo_derivation.decide.matrices import evaluate_expectations

        out, done = evaluate_expectations(lhs, families)
        return out if done and not out.has(*families) else lhs
    except Exception:
        return lhs


#: most terms of a sum over numbers written out term by term
FEW_TERMS = 6


def _few_terms_written_out(lhs: sp.Basic, rhs: sp.Basic) -> sp.Basic:
    """``lhs`` with each sum over a few numbers (Σ_{k=0}^{1} of a Bernoulli's two outcomes)
    written out term by term, when the written step keeps no sum: the step wrote one term
    per value, so a mistake made in one of them shows on the written line. ``lhs`` itself
    otherwise.

    >>> k, a = sp.Symbol("k", integer=True), sp.Symbol("a", positive=True)
    >>> _few_terms_written_out(sp.Sum(a**k, (k, 0, 2)), a)
    a**2 + a + 1
    """
    if rhs.has(sp.Sum) or not lhs.has(sp.Sum):
        return lhs
    out: dict[sp.Basic, sp.Basic] = {}
    for s in lhs.atoms(sp.Sum):
        if len(s.limits) != 1 or s.has(sp.Integral, Expectation):
            continue
        k, lo, hi = s.limits[0]
        if not (lo.is_Integer and hi.is_Integer and 0 <= hi - lo < FEW_TERMS):
            continue
        try:
            out[s] = sp.Add(*(s.function.subs(k, v) for v in range(int(lo), int(hi) + 1)))
        except Exception:
            continue
    return lhs.xreplace(out) if out else lhs


def _ranges(symbols: set[sp.Symbol], derivation: Any, roles: Roles,
            ) -> dict[sp.Basic, tuple[Any, Any]]:
    """Where the numbers take each symbol: inside the interval it was declared in
    (``0 < t < 1``), a probability (a role) inside (0, 1), so that log(1 − t) is real at
    every point, and a positive integer (a count) above 1; other symbols by their
    assumptions alone."""
    out: dict[sp.Basic, tuple[Any, Any]] = {}
    declared = getattr(getattr(derivation, "declarations", None), "intervals", None) or {}
    by_name = {s.name: s for s in symbols}
    for name, interval in declared.items():
        s = by_name.get(str(name))
        try:
            lo, hi = float(interval.inf), float(interval.sup)
        except (AttributeError, TypeError, ValueError):
            continue
        if s is not None and lo < hi:
            out[s] = (lo, hi)
    for s in roles.having("probability"):
        if s in symbols and s not in out:
            out[s] = (0.0, 1.0)
    for s in symbols:  # a count is at least 1: (1 − 1/n)ᵏ stays real, as it does for a count
        if s not in out and s.is_integer and s.is_positive:
            out[s] = (1.0, float("inf"))
    return out


def _unit_interval_probabilities(roles: Roles, derivation: Any, symbols: set[sp.Symbol],
                                 ) -> None:
    """A symbol declared inside [0, 1] (``0 < r < 1``) with no other role is a probability
    (a weight r beside its complement 1 − r)."""
    declared = getattr(getattr(derivation, "declarations", None), "intervals", None) or {}
    for s in symbols:
        interval = declared.get(s.name)
        if interval is None or s in roles.roles or s.is_integer:
            continue  # an outcome 0 or 1 (an integer in [0, 1]) is not a probability
        try:
            if interval.inf >= 0 and interval.sup <= 1:
                roles.roles[s] = "probability"
        except TypeError:
            continue


def _polynomial_integrals_done(line: sp.Basic) -> sp.Basic | None:
    """``line`` with each integral of a polynomial over finite limits replaced by its value
    (∫_{e^{−λt}}^{1} du = 1 − e^{−λt}: a probability beside its complement), or None when it
    has none."""
    done = {}
    for n in line.atoms(sp.Integral):
        if len(n.limits) != 1 or len(n.limits[0]) != 3:
            continue
        x, lo, hi = n.limits[0]
        if lo.is_infinite or hi.is_infinite or not n.function.is_polynomial(x) \
                or n.function.has(AppliedUndef):
            continue
        try:
            done[n] = sp.integrate(n.function, (x, lo, hi))
        except Exception:
            continue
    return line.xreplace(done) if done else None


def _probability_expressions(ctx: _Context, derivation: Any) -> list[sp.Basic]:
    """Expressions E (not a lone symbol) that the right lines write beside their complement
    1 − E and that lie inside (0, 1) at every point of the screen: a sigmoid 1/(1 + e^{−u})
    where 1 − 1/(1 + e^{−u}) is written too is a probability."""
    lines: list[sp.Basic] = [ctx.lhs]
    try:
        expand = derivation.expand_definitions
        lines.append(expand(derivation.start))
        for s in derivation.steps:
            if s is ctx.step or getattr(s, "index", None) == getattr(ctx.step, "index", -1):
                break
            lines.append(expand(s.expr))
    except Exception:
        pass
    lines += [v for v in (_polynomial_integrals_done(line) for line in lines) if v is not None]
    out: list[sp.Basic] = []
    for line in lines:
        for node in sp.preorder_traversal(line):
            if not (isinstance(node, sp.Add) and len(node.args) == 2 and sp.S(1) in node.args):
                continue
            e = 1 - node
            if e.is_Symbol or e in out or not e.free_symbols or sp.count_ops(e) > 30:
                continue
            try:
                if all(0 < ctx.screen.value(e, k) < 1 for k in range(len(ctx.screen.points))):
                    out.append(e)
            except Exception:
                continue
            if len(out) >= 4:
                return out
    return out


class _Context:
    """The right side, the written side, the roles, and the two kinds of comparison."""

    def __init__(self, lhs: sp.Expr, rhs: sp.Expr, derivation: Any, step: Any,
                 deadline: float) -> None:
        before_families = lhs
        lhs = _few_terms_written_out(_families_evaluated(lhs, rhs, derivation), rhs)
        self.lhs, self.rhs = lhs, rhs
        self.derivation, self.step = derivation, step
        self.deadline = deadline
        relation = getattr(step, "relation", None)
        self.relation = str(getattr(relation, "value", relation) or "=")
        self.roles: Roles = roles_for(lhs, derivation, step)
        self.wrt = _wrt_names(derivation, tuple(getattr(step, "wrt", ()) or ()))
        symbols = set(lhs.atoms(sp.Symbol)) | set(rhs.atoms(sp.Symbol))
        _unit_interval_probabilities(self.roles, derivation, symbols)
        ranges = _ranges(symbols, derivation, self.roles)
        self.screen = FloatScreen(symbols, deadline, intervals=ranges)
        self.hp = HighPrecision(symbols, deadline, intervals=ranges)
        self.domains: Any = None
        self.families: Any = None
        self.simplex: dict[sp.Symbol, sp.Basic] | None = None
        if derivation is not None:
            from elbo_derivation.decide.verdict import declared_domains, declared_families

            try:  # what the declarations say, for the engine's own proofs
                self.domains = declared_domains(derivation)
                self.families = declared_families(derivation)
            except Exception:
                pass
        self.roles.probabilities = _probability_expressions(self, derivation)
        # the page, for simulations that put back a factor it shows fewer times
        # (simulations.factor_restored)
        self.roles.shows_fewer = self.shows_fewer  # type: ignore[attr-defined]
        self.roles.page_before = self.page_before  # type: ignore[attr-defined]
        self.roles.points = self.screen.points  # type: ignore[attr-defined]
        self.roles.value_at = lambda e, k: self.screen.value(  # type: ignore[attr-defined]
            self.evaluated(e), k)
        # the previous line before its declared families were evaluated, for simulations of
        # a family's moment (simulations.declared_moment_wrong)
        self.roles.before_families = (before_families, self.families)  # type: ignore[attr-defined]
        self._normal: dict[sp.Basic, sp.Basic] = {}
        self._evaluated: dict[sp.Basic, sp.Basic] = {}
        self._rules: dict[tuple[sp.Basic, sp.Basic], bool] = {}
        self._reversed: Any = ...
        self._values: list[tuple[sp.Derivative, sp.Basic]] | None = None
        self._inner: set[sp.Basic] = set()
        self._rule_terms: list[tuple[sp.Derivative, sp.Basic]] | None = None
        self._terms_shown: dict[int, bool] = {}
        self.written_forms = [rhs]
        shown = _as_written(derivation, step)
        if shown is not None and shown != rhs:
            self.written_forms.append(shown)
        self._terms_before: set[sp.Basic] | None = ...  # type: ignore[assignment]
        self._sums_before: list[tuple[sp.Basic, tuple[sp.Basic, ...]]] | None = None
        self._sums_for: dict[sp.Basic, list[tuple[sp.Basic, ...]]] = {}
        left, right = _subtrees(lhs), _subtrees(rhs)
        # parts of lhs that stand unchanged in rhs: as often on one side as on the other (a
        # part written once where the previous line has it twice, as in p·(1 − p)^b beside
        # log(1 − p), may be the one changed)
        self.shared_in_rhs = {n for n, k in left.items() if right.get(n) == k}
        # on the written side a small part the previous line also has may still be the one
        # written wrong when the step rewrites around it (1/(e^{−x} + 1) for 1/(e^{x} + 1)
        # after e^{−x}/(1 + e^{−x})): only a large part, or one holding a density, an
        # integral or an expectation, is taken as carried through
        self.shared_in_lhs = {n for n in self.shared_in_rhs if sp.count_ops(n) > 4
                              or n.has(AppliedUndef, sp.Integral, Expectation, sp.Sum)}
        # the sums of the previous line as written, for simulations that restore a term
        # of the page (simulations.written_term_restored)
        self.roles.written_sums = [ts for _, ts in self.sums_written_before()]  # type: ignore[attr-defined]
        # the sums of the written step as written, for simulations that add one of its
        # terms (simulations.term_added)
        # (a derivation whose step cannot be rebuilt as written: the step itself stands for
        # the page, as for the line before; with no derivation there is no page at all)
        self.roles.step_sums, self.roles.step_sums_top = _step_sums(  # type: ignore[attr-defined]
            derivation, shown if shown is not None or derivation is None else rhs)
        self.roles.evaluated = _evaluated_parts(lhs, rhs)  # type: ignore[attr-defined]

    def terms_before(self) -> set[sp.Basic] | None:
        """The terms of every sum in the previous line as written (``let`` names expanded
        term by term), or None when that line is not known."""
        if self._terms_before is ...:
            self._terms_before = None
            try:
                prev = self.step.lhs(self.derivation)
                expand = self.derivation.expand_definitions
                self._terms_before = {expand(t) for n in sp.preorder_traversal(prev)
                                      if isinstance(n, sp.Add) for t in n.args}
            except Exception:
                self._terms_before = None
        return self._terms_before

    def written_before(self, part: Any, node: Any = None) -> bool:
        """Whether ``part`` is a term of the previous line as its author wrote it (True when
        that line is not known: the expression itself is then the author's).

        With ``node``, the sum of the previous line the part is dropped from: when the
        author wrote that sum (a sum of the line as written has its value), ``part`` must be
        one of *its* written terms, not a term written elsewhere (2 − (1 + a) is the sum
        1 − a, but its author wrote no term 1 there: the 1 stands in another sum).
        """
        terms = self.terms_before()
        if terms is None or not isinstance(part, sp.Basic):
            return True
        if isinstance(node, sp.Add):
            same = self._written_sums_for(node)
            if same:
                return any(part == t or sp.expand(part - t) == 0
                           for written in same for t in written)
        return any(part == t or sp.expand(part - t) == 0 for t in terms)

    def _written_sums_for(self, node: sp.Add) -> list[tuple[sp.Basic, ...]]:
        """The written terms of each sum of the previous line as written whose value is
        ``node`` (cached)."""
        if node not in self._sums_for:
            out = []
            for value, written in self.sums_written_before():
                try:
                    if value == node or (self.screen.equal(value, node)
                                         and sp.expand(value - node) == 0):
                        out.append(written)
                except Exception:
                    continue
            self._sums_for[node] = out
        return self._sums_for[node]

    def sums_written_before(self) -> list[tuple[sp.Basic, tuple[sp.Basic, ...]]]:
        """Each sum of the previous line as its author wrote it (not simplified by SymPy):
        its value and its terms as written, ``let`` names expanded; empty when that line
        cannot be rebuilt as written."""
        if self._sums_before is None:
            self._sums_before = []
            prev = _previous_as_written(self.derivation, self.step)
            if prev is not None:
                expand = self.derivation.expand_definitions
                try:
                    for n in sp.preorder_traversal(prev):
                        if isinstance(n, sp.Add):
                            terms = tuple(_rebuilt(expand(t)) for t in n.args)
                            self._sums_before.append((sp.Add(*terms), terms))
                except Exception:
                    self._sums_before = []
        return self._sums_before

    def wrote_negative_constant(self) -> bool:
        """Whether the previous line as its author wrote it has a negative number as a term of
        one of its sums (the −1 or −½ a step may lose); True when that line is not known. A
        −1 that only an identity makes appear (c² + s² = 1) was never written."""
        terms = self.terms_before()
        if terms is None:
            return True
        return any(t.is_Rational and t < 0 for t in terms)

    def stands_unchanged(self, part: sp.Basic) -> bool:
        """Whether the sum ``part`` of the previous line stands on the written step as its
        author wrote it, at least as often as on the previous line as written (a bracket
        K − 1 carried through the step: no number of it was written wrong); False when
        either line cannot be rebuilt as written."""
        if not hasattr(self, "_pair"):
            self._pair = _written_pair(self)
        pair = self._pair
        if pair is None:
            return False
        want = _rebuilt(part)

        def count(e: sp.Basic) -> int:
            return sum(1 for n in list(sp.preorder_traversal(e))[:2000]
                       if isinstance(n, sp.Add) and _rebuilt(n) == want)
        before, after = pair
        k = count(before)
        return k > 0 and count(after) >= k

    def written_alone(self, part: Any) -> bool:
        """Whether ``part`` stands as a term of its own at the top of the written step as its
        author wrote it (not merged by SymPy from terms inside brackets); True when the step
        is not known as written."""
        shown = checked(getattr(self.step, "display", None))
        text = getattr(self.step, "expr_text", "")
        if shown is None and text and self.derivation is not None:
            try:
                from elbo_derivation.read.deriv import written_form

                shown = written_form(self.derivation, text)
            except Exception:
                shown = None
        if shown is None:
            return True
        try:
            return any(t == part or (t.is_number and sp.simplify(t - part) == 0)
                       for t in sp.Add.make_args(shown))
        except Exception:
            return False

    def shows(self, parts: Any) -> bool:
        """Whether one of ``parts`` (or its negative) is a sub-expression of the written step,
        as evaluated or as its author wrote it: a simulation that claims the student wrote
        log σ² must find log σ² (or 2 log σ) on the page, not only its value."""
        for form in self.written_forms:
            nodes = set(sp.preorder_traversal(form))
            if any(p in nodes or -p in nodes for p in parts):
                return True
        return False

    def shows_fewer(self, part: sp.Basic, more: bool = False, as_part: bool = False) -> bool:
        """Whether the written step, as written, shows some symbol of ``part`` fewer times
        than the previous line as written: a part lost takes its symbols off the page
        (C·N·Σ/N keeps the 1/N of Σ/N and adds an N; it dropped nothing). With ``as_part``,
        whether it shows ``part`` itself fewer times (the 1/(1 − t) of a common denominator
        gone, though t stands in the numerator)."""
        before, after = self.page_before(), self.written_forms[-1]

        def count(e: sp.Basic, x: sp.Basic) -> int:
            return sum(1 for n in sp.preorder_traversal(e) if n == x)
        if as_part:
            return sum(1 for n in sp.preorder_traversal(after) if _rebuilt(n) == part) < sum(
                1 for n in sp.preorder_traversal(before) if _rebuilt(n) == part)
        if more:
            return any(count(after, x) > count(before, x) for x in part.free_symbols)
        return any(count(after, x) < count(before, x) for x in part.free_symbols)

    def page_before(self) -> sp.Basic:
        """The previous line as its author wrote it, ``let`` names expanded (the previous
        line itself when it cannot be rebuilt); cached."""
        if getattr(self, "_page_before", None) is None:
            before = _previous_as_written(self.derivation, self.step)
            if before is None:
                before = self.lhs
            try:
                before = self.derivation.expand_definitions(before) if self.derivation \
                    else before
            except Exception:
                before = self.lhs
            self._page_before = before
        return self._page_before

    def shows_more(self, part: sp.Basic) -> bool:
        """Whether the written step, as written, shows some symbol of ``part`` more times
        than the previous line as written: a count put in adds it to the page (C·N·Σ/N for
        C·Σ/N; C·Σ for C·Σ/N shows N fewer times, a factor dropped)."""
        return self.shows_fewer(part, more=True)

    def tick(self) -> None:
        if clock() > self.deadline:
            raise OutOfTime

    def term_shown_right(self, path: Path) -> bool:
        """Whether the term of the previous line at the head of ``path`` stands right on the
        written page: the previous line a sum of n terms, the written step as its author
        wrote it a sum of n terms too, one of which is that term's value (its integrals in
        closed form, a Gaussian or Gamma weight). A mistake simulated inside that term,
        which the page shows unchanged, was not made there (E[x]² written m² beside a
        second moment written s²: a ½ inside E[x] that doubles its square is not)."""
        if not path or path[0] == VALUE or not isinstance(self.lhs, sp.Add):
            return False
        shown = self.written_forms[-1]
        if not isinstance(shown, sp.Add) or len(shown.args) != len(self.lhs.args):
            return False
        cache = self._terms_shown
        if path[0] not in cache:
            cache[path[0]] = False
            try:
                term = self.lhs.args[path[0]]
                closed = {n: sim_integral_value(n) for n in term.atoms(sp.Integral)}
                if closed and all(v is not None for v in closed.values()):
                    value = term.xreplace(closed)
                    cache[path[0]] = any(sp.simplify(w - value) == 0 for w in shown.args)
            except Exception:
                pass
        return cache[path[0]]

    def _normalised(self, e: sp.Basic) -> sp.Basic:
        if e not in self._normal:
            from elbo_derivation.decide.rules import normalize

            try:
                self._normal[e] = normalize(e)
            except Exception:
                self._normal[e] = e
        return self._normal[e]

    def derivative_values(self) -> list[tuple[sp.Derivative, sp.Basic]]:
        """Each derivative of the previous line with its value, when the written step took
        them all (it keeps no derivative) and the previous line has no integral, sum or
        expectation; else none."""
        if self._values is None:
            self._values = []
            lhs = self.lhs
            # a sum differentiated in one of its coordinates has a value too (decide.indexed)
            coordinate = set(coordinate_derivatives(lhs)) if lhs.has(sp.Sum) else set()
            if not self.rhs.has(sp.Derivative) and not lhs.has(sp.Integral, Expectation) \
                    and not _sums_left(lhs.xreplace({d: sp.S.Zero for d in coordinate})):
                for der in _outer_derivatives(lhs):
                    try:
                        v = evaluate_coordinate_derivatives(der)[0] if der in coordinate \
                            else der.doit()
                    except Exception:
                        continue
                    if v != der and not v.has(sp.Derivative) and sp.count_ops(v) <= 120:
                        self._values.append((der, v))
            elif not self.rhs.has(sp.Derivative):
                for der in _kept_derivatives(lhs, self.rhs):
                    try:
                        v = der.doit()
                    except Exception:
                        continue
                    if v != der and not v.has(sp.Derivative) and sp.count_ops(v) <= 120:
                        self._values.append((der, v))
                        self._inner.add(der)
        return self._values

    def has_kept_derivatives(self) -> bool:
        """Whether the step took derivatives under an integral (an expectation) it keeps."""
        self.derivative_values()
        return bool(self._inner)

    def inside_kept(self, k: int) -> bool:
        """Whether the ``k``-th derivative of :meth:`derivative_values` stands inside the
        one expectation (integral, sum) that the written step keeps: its value is located
        only where the written integrand shows it, point by point."""
        values = self.derivative_values()
        return 0 <= k < len(values) and values[k][0] in self._inner

    def rule_terms(self) -> list[tuple[sp.Derivative, sp.Basic]]:
        """Each derivative of :meth:`derivative_values` with its value written out as the
        sum and product rules give it, one term per factor differentiated, the terms kept
        apart (an unevaluated sum): d/dr (r·log(a/r)) is log(a/r) + r·(−1/r), whose −1 the
        simplified value merges with the other terms (cached)."""
        if self._rule_terms is None:
            self._rule_terms = []
            for der, _ in self.derivative_values():
                if der in self._inner:
                    continue  # (a sign on one term of a value under a kept integral: not made)
                terms = _rule_terms(der)
                if terms is not None and len(terms) > 1:
                    self._rule_terms.append((der, sp.Add(*terms, evaluate=False)))
        return self._rule_terms

    def at(self, path: Path) -> sp.Basic:
        """The node at ``path`` of the previous line (or of a derivative's value)."""
        if path and path[0] == VALUE:
            values = self.derivative_values()
            if len(path) > 1 and path[1] < len(values):
                return _at(values[path[1]][1], path[2:])
            return self.lhs
        return _at(self.lhs, path)

    def evaluated(self, e: sp.Basic) -> sp.Basic:
        """``e`` with its derivatives taken and its sums in closed or normal form, so that
        the numbers can compare it, and a KL or an expectation under a density of a declared
        family (``p(y) ~ LogNormal(m, s)``) written out by what the family says (cached;
        ``e`` itself when there is nothing to do)."""
        if self.simplex is None:  # a categorical's free probabilities: on the simplex
            self.simplex = simplex_substitution(self.families)
        if self.simplex and e.has(*self.simplex):
            e = e.xreplace(self.simplex)
        if not (e.has(sp.Sum, sp.Derivative, sp.Subs)
                or (self.families and e.has(AppliedUndef))):
            return e
        if e not in self._evaluated:
            out = e
            if e.has(sp.Derivative) and self.derivative_values():
                # the previous line's derivatives by the values the step took (a coordinate
                # of a sum, d/dm_j Σ_d m_d²/2 = m_j, which the calculus below leaves)
                out = out.xreplace(dict(self.derivative_values()))
            if self.families and out.has(AppliedUndef):
                from elbo_derivation.decide.families import instantiate

                try:  # (the declared intervals: a log of positive factors split, as decided)
                    out = instantiate(out, self.families, self.domains)[0]
                except Exception:
                    pass
            if out.has(sp.Derivative) and out.has(sp.Integral):
                # a derivative of an integral of a polynomial (a length ∫_a^1 du) taken
                out = _polynomial_integrals_done(out) or out
            out = _evaluate_calculus(out) if out.has(sp.Sum, sp.Derivative) else out
            self._evaluated[e] = _at_points(out) if out.has(sp.Subs) else out
        return self._evaluated[e]

    def rules_equal(self, a: sp.Basic, b: sp.Basic) -> bool:
        """Proved equal by the rules of expectations over abstract densities with the step's
        model (Bayes' rule and the product rule through one joint density: p(z|x) p(x) and
        p(x|z) p(z) meet), which the separate normal forms do not see. Cached."""
        if not (a.has(AppliedUndef) and b.has(AppliedUndef)):
            return False
        key = (a, b)
        if key not in self._rules:
            from elbo_derivation.decide.rules import check

            seconds = max(0.05, min(0.5, self.deadline - clock() - 0.05))
            try:
                out = check(a, b, "=", refute=False, seconds=seconds)
                self._rules[key] = out is not None and out.verdict == "proved"
            except Exception:
                self._rules[key] = False
        return self._rules[key]

    def matrices_equal(self, a: sp.Basic, b: sp.Basic) -> bool:
        """For sides in matrix notation: proved equal by the matrix rules (the trace linear
        and cyclic, transposes, determinants: :func:`~elbo_derivation.decide.matrices.
        normal_form`), what is left of traces and determinants taken as unknowns; the
        algebra of the gap must vanish. Cached."""
        key = (a, b)
        if key not in self._rules:
            from elbo_derivation.decide.matrices import normal_form, unknowns

            # none for sums over coordinates, which the rules expand slowly (a cap on the
            # count would cut the later entries of the catalogue and favour the earlier)
            if a.has(sp.Sum) or b.has(sp.Sum):
                return False

            def form(e: sp.Basic) -> sp.Basic:  # term by term: candidates share terms
                if isinstance(e, sp.Add):
                    return sp.Add(*(form(t) for t in e.args))
                if e not in self._normal:
                    self._normal[e] = normal_form(e)[0]
                return self._normal[e]

            try:
                (na, nb), _ = unknowns(form(a), form(b))
                self._rules[key] = sp.expand(sp.expand_log(na - nb, force=False)) == 0
            except Exception:
                self._rules[key] = False
        return self._rules[key]

    def screen_equal(self, a: sp.Basic, b: sp.Basic) -> bool:
        """The fast double-precision screen (abstract densities: also after the normal form,
        or by the rules of expectations; matrix notation: by the matrix rules)."""
        if a.has(sp.MatrixSymbol) or b.has(sp.MatrixSymbol):
            return self.matrices_equal(a, b)
        a, b = self.evaluated(a), self.evaluated(b)
        if self.screen.equal(a, b):
            return True
        if a.has(AppliedUndef) or b.has(AppliedUndef):
            return (self.screen.equal(self._normalised(a), self._normalised(b))
                    or self.rules_equal(a, b))
        return False

    def exact(self, a: sp.Basic, b: sp.Basic) -> bool:
        """Proved equal: symbolically, or to 40 of 50 digits at every point."""
        if a.has(sp.MatrixSymbol) or b.has(sp.MatrixSymbol):
            return self.matrices_equal(a, b)
        a, b = self.evaluated(a), self.evaluated(b)
        if exactly_equal(a, b, self.deadline, self.hp):
            return True
        if a.has(AppliedUndef) or b.has(AppliedUndef):
            na, nb = self._normalised(a), self._normalised(b)
            if (na, nb) != (a, b) and exactly_equal(na, nb, self.deadline, self.hp):
                return True
            return self.rules_equal(a, b)
        return False

    def reproduces(self, right: sp.Basic, written: sp.Basic) -> bool:
        """``right`` and ``written`` are equal; for an ``=~ [wrt]`` step, equal up to a term
        free of what the step optimises (the relation the author claimed)."""
        if self.screen_equal(right, written) and self.exact(right, written):
            return True
        if self.relation != "=~" or not self.wrt:
            return False
        diff = sp.expand(right - written)
        if diff == 0:
            return True
        names = {str(s) for s in diff.free_symbols}
        names |= {str(f.func).split("(")[0] for f in diff.atoms(AppliedUndef)}
        if not (names & self.wrt):
            return True
        # a gap that the expanded form does not show free of them (a completed square over
        # a sum: F·u·M/F left uncancelled): free of each optimised symbol when its
        # derivative there vanishes, exactly
        if diff.has(AppliedUndef, sp.Integral, Expectation, sp.Sum, sp.Derivative):
            return False
        optimised = [x for x in diff.free_symbols if str(x) in self.wrt]
        if len(optimised) != len(names & self.wrt):
            return False
        gap = right - written  # as it stands: cheaper to differentiate than expanded
        for x in optimised:  # a quick screen first: the gap moved along x stays the same
            if not self.screen_equal(gap, gap.xreplace({x: x + sp.Rational(7, 11)})):
                return False
        for x in optimised:
            d = sp.diff(gap, x)
            if not (self.screen_equal(d, sp.S(0)) and self.exact(d, sp.S(0))):
                return False
        return True

    def same_integrand(self, wrong: sp.Basic) -> bool:
        """Whether ``wrong`` and the written step hold one integral (sum, expectation) over
        the same variable and range, with integrands (and what stands outside) equal point
        by point: the written integrand then shows the simulated mistake, not only its
        value."""
        kw: list[Any] = []
        kr: list[Any] = []
        try:
            a, b = _opened(_sums_joined(wrong), kw), _opened(_sums_joined(self.rhs), kr)
        except Exception:
            return False
        if len(kw) != 1 or kw != kr:
            return False
        return self.screen_equal(a, b) and self.exact(a, b)

    def same_integrand_as_right(self, repaired: sp.Basic) -> bool:
        """Whether a repaired written step shows the right integrand point by point, where the
        step took derivatives under an integral (an expectation) it keeps: the previous line
        with those derivatives' values and the repaired step hold one integral over the same
        variable and range, with integrands (and what stands outside) equal at every point.
        Two integrands may have one value under the density (1/σ² − 3x²/σ⁴ and −1/σ² − x²/σ⁴
        under N(0, σ²)) and yet differ: only the value would be repaired."""
        kr: list[Any] = []
        kl: list[Any] = []
        try:
            right = self.lhs.xreplace(dict(self.derivative_values()))
            a, b = _opened(_sums_joined(repaired), kr), _opened(_sums_joined(right), kl)
        except Exception:
            return False
        if len(kr) != 1 or kr != kl:
            return False
        return self.screen_equal(a, b) and self.exact(a, b)

    def any_exact(self, candidates: list[sp.Basic], target: sp.Basic) -> bool:
        """Whether one of ``candidates`` is exactly ``target`` (identical ones first, then
        those that pass the screen)."""
        if any(c == target for c in candidates):
            return True
        return any(self.screen_equal(c, target) and self.exact(c, target) for c in candidates)

    def reversed_relation_holds(self) -> dict[str, Any] | None:
        """For a refuted ≤ or ≥ step: the fields of the explanation when the reverse is proved."""
        if self._reversed is not ...:
            return self._reversed
        self._reversed = None
        if self.relation not in ("<=", ">="):
            return None
        from elbo_derivation.core.steps import Relation, Verdict
        from elbo_derivation.decide.verdict import compare

        opposite = Relation.GE if self.relation == "<=" else Relation.LE
        seconds = max(0.2, min(2.0, self.deadline - clock() - 0.1))
        # with what the declarations say: 0 < β < 1 makes (1 − β)·KL ≥ 0
        result = compare(self.lhs, self.rhs, opposite, time_limit=seconds,
                         domains=self.domains, families=self.families)
        # the written relation fails at a point (the step is refuted there, at 50 digits);
        # the reverse holding at every point the probe tried, to 50 digits, is the evidence
        # the explanation states where no symbolic tier proves it (log(1 + e^(−d)) ≤ log 2,
        # e^(−λa) ≤ 1/(λa)): a wrong bound of the same direction crosses the true value and
        # fails the reverse at a point too
        if result.verdict is Verdict.PROVED:
            evidence = ""
        elif result.verdict is Verdict.NUMERICALLY_SUPPORTED:
            evidence = (" (at every point checked, to 50 digits; no symbolic proof of the "
                        "reverse was found)")
        else:
            return None
        chain = ""
        steps = getattr(self.derivation, "steps", None) or []
        for s in steps:
            if s is self.step or getattr(s, "index", None) == getattr(self.step, "index", -1):
                break
            if str(getattr(s.relation, "value", s.relation)) == opposite.value:
                chain = f"; the chain runs {opposite.symbol} from step {s.index}"
                break
        self._reversed = {"holds": opposite.symbol, "evidence": evidence,
                          "written": Relation(self.relation).symbol, "chain": chain}
        return self._reversed


# --- matching one entry ----------------------------------------------------------------------


#: what a step may evaluate: integrals, expectations, sums and derivatives
def _integrals(expr: sp.Basic) -> int:
    return sum(1 for n in sp.preorder_traversal(expr) if isinstance(n, _EVALUATED))


def _inside_integral(expr: sp.Basic, path: Path) -> bool:
    return under(expr, path, _EVALUATED)


def _inner_of_a_product_measure(expr: sp.Basic, path: Path) -> bool:
    """Whether the node at ``path`` is an expectation whose only surrounding constructs are
    expectations over other variables, in whose integrands it stands, and whose density
    holds none of their variables: E_y[E_n[f]] with n drawn independently of y is one
    expectation under the product of the two densities, so a mistake in the inner one's
    value is located as it is at a single expectation the step evaluates (σ for σ² in the
    noise's second moment, EDM's E_y[E_n[(y − c(y + n))²]] written with c²σ)."""
    node = _at(expr, path)
    if type(node) is not Expectation:
        return False
    outer: set[sp.Basic] = set()
    here = expr
    for i in path:
        if isinstance(here, _EVALUATED):
            if type(here) is not Expectation or i != 0:
                return False  # under another construct, or inside a density
            outer.add(here.variable)
        here = here.args[i]
    return bool(outer) and not (node.density.free_symbols & outer) \
        and node.variable not in outer


def _whole_term_of_mean(expr: sp.Basic, path: Path) -> bool:
    """Whether the node at ``path`` is the whole integrand of an expectation, the only
    construct around it: E[a + b] is E[a] + E[b], so a term of that integrand dropped is
    the value of that term missing from the evaluated step, wherever the author evaluated
    it (each term's mean is its own; nothing else of the value changes)."""
    if not path or path[-1] != 0:
        return False
    parent = _at(expr, path[:-1])
    if not isinstance(parent, Expectation) or not isinstance(_at(expr, path), sp.Add):
        return False
    return not _inside_integral(expr, path[:-1])


def _term_dropped(b: dict[str, Any]) -> bool:
    """Whether a variant drops one whole term that holds a symbol (a number lost from a
    value could be any of its numbers changed: never located this way)."""
    right, wrong = b.get("right"), b.get("wrong")
    return (isinstance(right, sp.Basic) and wrong == 0 and not right.is_Number
            and bool(right.free_symbols))


def _mean_varies(ctx: _Context, mean: sp.Basic) -> bool:
    """Whether ``mean`` (a dropped term's expectation) takes different values at the
    screen's points: a mean that is one number (E[(μ − m)²/(2s²)] = ½ under N(m, s²)) is a
    number lost from the value, which any number of it changed could also explain."""
    try:
        values = [ctx.screen.value(mean, k) for k in range(len(ctx.screen.points))]
    except Exception:
        return False
    return len(values) > 1 and any(not ctx.screen.close(values[0], v) for v in values[1:])


def _pulled_out(expr: sp.Basic, path: Path, b: dict[str, Any]) -> bool:
    """Whether a change at ``path`` inside evaluated integrals (sums, expectations) stands in
    their value as it stands in the integrand, by linearity: E[c + g] = c + E[g] and
    E[c·g] = c·E[g] for c free of the bound variables and of the density. The node is reached
    from each integrand through sums, and through a product only into a factor free of them;
    the part changed (and its replacement) holds none of them, nor is the change only a
    number (E[a²g(w)] = a²E[g(w)]: a² written a stands as such in the value; a number
    changed could as well be the evaluation's). Not under a derivative (its rules act on
    every factor).

    >>> w, a = sp.symbols("w a", real=True)
    >>> e = Expectation(a**2 * w**2 + a, w, sp.exp(-w**2 / 2))
    >>> _pulled_out(e, (0, 1), {"right": a**2, "wrong": a})
    True
    >>> _pulled_out(Expectation(w * (w + a), w, sp.exp(-w**2 / 2)), (0, 1),
    ...             {"right": a, "wrong": -a})
    False
    """
    right, wrong = b.get("right"), b.get("wrong")
    if not (isinstance(right, sp.Basic) and isinstance(wrong, sp.Basic)) \
            or _numeric_change(b) or (right - wrong).is_Number:
        return False
    changed = right.free_symbols | wrong.free_symbols
    if not changed:
        return False
    inner: set[sp.Basic] = set()  # bound variables and density symbols around the node
    node, inside, constant = expr, False, False
    for i in path:
        if isinstance(node, (sp.Integral, sp.Sum)):
            inner |= {lim[0] for lim in node.limits} | {
                s for lim in node.limits for x in lim[1:] for s in x.free_symbols}
            inside, constant = True, False
        elif type(node) is Expectation:
            inner |= {node.variable} | node.density.free_symbols
            inside, constant = True, False
        elif isinstance(node, sp.Derivative):
            return False
        elif inside and not constant:
            if isinstance(node, sp.Mul):
                if node.args[i].free_symbols & inner:
                    return False  # a factor that varies under the integral
                constant = True
            elif not isinstance(node, sp.Add):
                return False
        node = node.args[i]
    if not inside or changed & inner:
        return False
    if constant or not (node.free_symbols & inner):
        return True
    # the node itself varies: a term of it changed (dropped), or a factor of it
    return (isinstance(node, sp.Add) and right in (*node.args, sp.S(0))) or (
        isinstance(node, sp.Mul) and right in node.args)


#: the first step of a path into the value of the previous line's derivatives
VALUE = -1


def _numeric_change(b: dict[str, Any]) -> bool:
    """Whether a variant changes only a number: a number for another, a part multiplied by
    a number (½, −1), or a number dropped."""
    right, wrong = b.get("right"), b.get("wrong")
    if not isinstance(right, sp.Basic) or not isinstance(wrong, sp.Basic):
        return True
    if right.is_Number or (wrong.is_Number and wrong != 0):
        return True
    if wrong == 0:
        return False
    try:
        q = right / wrong
        if not q.is_Number and sp.count_ops(q) <= 40:
            q = sp.cancel(q)
        return bool(q.is_Number)
    except Exception:
        return True


def _kind(n: sp.Basic) -> type | None:
    return next((k for k in _EVALUATED if isinstance(n, k)), None)


def _evaluated_kinds(lhs: sp.Basic, rhs: sp.Basic) -> set[type]:
    """The kinds of construct (integral, expectation, sum, derivative) the written step has
    fewer of than the previous line: the ones it evaluated."""
    def count(e: sp.Basic) -> dict[type, int]:
        out: dict[type, int] = {}
        for n in sp.preorder_traversal(e):
            k = _kind(n)
            if k is not None:
                out[k] = out.get(k, 0) + 1
        return out
    a, b = count(lhs), count(rhs)
    return {k for k, n in a.items() if b.get(k, 0) < n}


def _inside_kinds(expr: sp.Basic, path: Path, kinds: set[type]) -> bool:
    """Whether the node at ``path`` lies inside a construct of one of ``kinds``."""
    node = expr
    for i in path:
        if _kind(node) in kinds:
            return True
        node = node.args[i]
    return False


def _one_kept_around(expr: sp.Basic, path: Path, written: sp.Basic) -> bool:
    """Whether the node at ``path`` lies inside exactly one construct (integral, expectation,
    sum) and the written step keeps exactly one, of the same kind: an inner expectation
    evaluated under an outer one the step keeps (E[E[(y − m)²|u]] written E[s²]); whether
    the written integrand shows the simulated one is then checked point by point
    (:meth:`_Context.same_integrand`)."""
    around = []
    node = expr
    for i in path:
        if _kind(node) is not None:
            around.append(node)
        node = node.args[i]
    kept = [n for n in sp.preorder_traversal(written) if _kind(n) is not None]
    return len(around) == 1 == len(kept) and _kind(around[0]) is _kind(kept[0])


def _sums_joined(e: sp.Basic) -> sp.Basic:
    """``e`` with the sums of each sum of terms that run over the same index and range
    joined into one by linearity, c₁·Σ f + c₂·Σ g = Σ (c₁f + c₂g) (each c free of the index),
    and a term that is a number times the count of the range taken in as that number summed
    (−D beside Σ_{j=1}^{D} is Σ_{j=1}^{D} (−1)): the form a step writes when it gathers the
    sums of the previous line under one sign.

    >>> j, D = sp.Symbol("j", integer=True), sp.Symbol("D", positive=True, integer=True)
    >>> a, b = sp.Function("a")(j), sp.Function("b")(j)
    >>> _sums_joined(sp.Sum(a, (j, 1, D)) / 2 + sp.Sum(b, (j, 1, D)) - D)
    Sum(a(j)/2 + b(j) - 1, (j, 1, D))
    """
    if not e.args or isinstance(e, AppliedUndef) or not e.has(sp.Sum):
        return e
    e = e.func(*[_sums_joined(a) for a in e.args])
    if not isinstance(e, sp.Add):
        return e
    groups: dict[Any, list[sp.Expr]] = {}
    rest: list[sp.Expr] = []
    for term in e.args:
        c, s = term.as_independent(sp.Sum, as_Add=False)
        if isinstance(s, sp.Sum) and len(s.limits) == 1 and len(s.limits[0]) == 3 \
                and not c.has(s.limits[0][0]):
            groups.setdefault(s.limits[0], []).append(c * s.function)
        else:
            rest.append(term)
    if not any(len(v) > 1 for v in groups.values()):
        return e
    out: list[sp.Expr] = []
    for limits, parts in groups.items():
        _index, lo, hi = limits
        count = hi - lo + 1
        for term in list(rest):
            ratio = sp.cancel(term / count) if term.free_symbols else None
            if ratio is not None and ratio.is_Number:
                parts.append(ratio)
                rest.remove(term)
        out.append(sp.Sum(sp.Add(*parts), limits))
    return sp.Add(*out, *rest)


def _opened(e: sp.Basic, keys: list[Any]) -> sp.Basic:
    """``e`` with each integral, sum or expectation replaced by its integrand (their
    variables and ranges collected in ``keys``)."""
    if isinstance(e, (sp.Integral, sp.Sum)):
        keys.append((type(e), e.limits))
        return _opened(e.function, keys)
    if type(e) is Expectation:
        keys.append((Expectation, e.variable, e.density))
        return _opened(e.integrand, keys)
    if isinstance(e, sp.Derivative):  # a derivative kept around an evaluated expectation
        keys.append((sp.Derivative, e.variable_count))
        return _opened(e.expr, keys)
    if not e.args or isinstance(e, AppliedUndef):
        return e
    return e.func(*[_opened(a, keys) for a in e.args])


def _forward(entry: Entry, ctx: _Context,
             ) -> Iterator[tuple[sp.Basic, dict[str, Any], Path, bool]]:
    """The simulation on the previous line: (wrong step, binding, site, located).

    When the step evaluates integrals, sums or derivatives (the written side has fewer), a
    mistake simulated inside one is *not located* on the written line: it may reproduce the written
    value, but so may other mistakes there (σ for σ² in a moment, or in the density's
    normaliser), and the written step does not show which. Such a match is never named; it
    only stands in the way of other names.
    """
    if entry.whole is not None:
        # a derivative the written step keeps is compared by its value: a whole simulation
        # that reproduces that value (−f″ for the derivative of a wrong f′) does not show
        # where the mistake was made
        located = not ctx.rhs.has(sp.Derivative)
        for wrong, b in entry.whole(ctx.lhs, ctx.roles):
            yield wrong, b, (), located
    if entry.local is not None:
        evaluated = _integrals(ctx.rhs) < _integrals(ctx.lhs)
        gone = _evaluated_kinds(ctx.lhs, ctx.rhs)
        for path, node in _nodes(ctx.lhs, ctx.shared_in_rhs):
            located: Any = not (evaluated and _inside_integral(ctx.lhs, path)
                                and not _inner_of_a_product_measure(ctx.lhs, path))
            term_of_mean = not located and _whole_term_of_mean(ctx.lhs, path)
            if not located and (not _inside_kinds(ctx.lhs, path, gone)
                                or _one_kept_around(ctx.lhs, path, ctx.rhs)):
                # inside an integral (a sum) the written step keeps, the step having evaluated
                # something else (a derivative under it): located when the written integrand
                # is the simulated one, point by point (see _Context.same_integrand)
                located = "integrand"
            for new, b in entry.local(node, ctx.roles):
                if b.get("guard") is not None and not b["guard"](ctx.lhs, path):
                    continue
                if b.get("value_only"):
                    continue  # a mistake made only in taking a derivative (below)
                wrong = _replace(ctx.lhs, path, new)
                yield wrong, b, path, (
                    located or _pulled_out(ctx.lhs, path, b)
                    or (term_of_mean and _term_dropped(b)
                        and _mean_varies(ctx, ctx.lhs - wrong)))
        for k, (der, value) in enumerate(ctx.derivative_values()):
            # the step took the derivative: a term or a factor lost from its value shows on
            # the written line (a number changed there does not: another number of the
            # value could have been the wrong one, see _match)
            for path, node in _nodes(value):
                for new, b in entry.local(node, ctx.roles):
                    if _numeric_change(b) or b.get("not_in_value") or (
                            b.get("guard") is not None and not b["guard"](value, path)):
                        continue
                    wrong = ctx.lhs.xreplace({der: _replace(value, path, new)})
                    # under an integral (an expectation) the written step keeps: located
                    # when the written integrand is the simulated one, point by point
                    yield wrong, b, (VALUE, k, *path), ("integrand" if ctx.inside_kept(k)
                                                        else True)
        first = len(ctx.derivative_values())
        for k, (der, terms) in enumerate(ctx.rule_terms()):
            # the value as the product rule writes it, its terms kept apart: one of them
            # negated is a sign on one term wherever the sign came from (a number changed
            # in another way, a ½, could have come from several places: not made here)
            for new, b in entry.local(terms, ctx.roles):
                right, wrong_part = b.get("right"), b.get("wrong")
                if not (isinstance(right, sp.Basic) and isinstance(wrong_part, sp.Basic)
                        and right in terms.args and wrong_part == -right):
                    continue
                i = terms.args.index(right)
                if not _sign_stands_apart(terms.args, i) and not ctx.written_alone(wrong_part):
                    continue  # merged with a like term (−2 for 1 − 1 + …): not seen
                yield ctx.lhs.xreplace({der: new}), b, (VALUE, first + k, i), True


def _backward(entry: Entry, ctx: _Context,
              ) -> Iterator[tuple[sp.Basic, dict[str, Any], Path, Any]]:
    """(repaired written step, binding, site, check) where check() redoes the mistake.

    Tried on the step as evaluated and, when the reading layer can rebuild it, as written
    (without SymPy's automatic simplification: ``(σ₁ + μ₁²) − 2μ₁² + μ₁²`` keeps its σ₁).
    """
    if entry.whole_undo is not None and entry.whole is not None:
        for right, b in entry.whole_undo(ctx.rhs, ctx.roles):
            yield right, b, (), lambda right=right: ctx.any_exact(
                [w for w, _ in entry.whole(right, ctx.roles)], ctx.rhs)
    if entry.undo is not None and entry.local is not None:
        for written in ctx.written_forms:
            for path, node in _nodes(written, ctx.shared_in_lhs):
                for new, b in entry.undo(node, ctx.roles):
                    b = {**b, "wrong": node, "right": new} if "right" not in b else b
                    b = {**b, "form": written}
                    if b.get("guard") is not None and not b["guard"](written, path):
                        continue
                    yield _replace(written, path, new), b, path, lambda new=new, node=node: (
                        ctx.any_exact(_redone(entry, new, ctx.roles), node))


def _redone(entry: Entry, repaired: sp.Basic, roles: Roles) -> list[sp.Basic]:
    """The entry's mistake made again in a repaired part: at the part itself, else at one
    place inside it (a log of a sum put back among other terms is split there)."""
    assert entry.local is not None
    out = [w for w, _ in entry.local(repaired, roles)]
    if out:
        return out
    for path, node in list(_nodes(repaired))[1:40]:
        out.extend(_replace(repaired, path, w) for w, _ in entry.local(node, roles))
    return out


def _match(entry: Entry, ctx: _Context) -> list[_Match]:
    """The ways ``entry`` reproduces the written step: at most one forward match (a located
    one if there is one) and one backward match."""
    if entry.relation is not None and (ctx.relation in ("<=", ">=") or (
            entry.local is None and entry.whole is None)):  # an entry may have both
        if ctx.relation not in ("<=", ">="):
            return []
        fields = entry.relation(ctx)
        return [] if fields is None else [_Match(entry, fields, None, None, ctx.rhs)]
    if ctx.relation in ("<=", ">="):
        return []
    out: list[_Match] = []
    unlocated: _Match | None = None
    for wrong, b, path, located in _forward(entry, ctx):
        ctx.tick()
        if not located and (unlocated is not None or ctx.term_shown_right(path)
                            or b.get("kept_only")):
            continue  # (kept_only: a site made only under a construct the step keeps)
        if "needs" in b and not (ctx.screen_equal(ctx.lhs, b["needs"])
                                 and ctx.exact(ctx.lhs, b["needs"])):
            continue
        if b.get("written_alone") and not ctx.written_alone(b.get("wrong")):
            continue
        if b.get("evaluates") and not _integrals(ctx.rhs) < _integrals(ctx.lhs):
            continue  # a mistake made in evaluating an expectation, on a step that kept it
        if b.get("shown") and not ctx.shows(b["shown"]) \
                and not _shown_by_linearity(ctx, b["shown"], path):
            continue
        if b.get("bracket") is not None and path and ctx.stands_unchanged(b["bracket"]):
            continue  # the bracket whose number is said wrong stands on the page unchanged
        if b.get("two_places") and _integrals(ctx.rhs) < _integrals(ctx.lhs):
            located = False  # two terms of an evaluated value may combine
        # a match that is not located only stands in the way of a name: the screen is
        # enough for it (a false agreement there can only withhold a name, never give one),
        # and it spares a 50-digit quadrature of every simulated integral
        # (a site under a construct the step keeps, same_integrand: the integrands equal point
        # by point over the same range, which the values then are too)
        if (ctx.same_integrand(wrong) if b.get("same_integrand") and located else
                ctx.screen_equal(wrong, ctx.rhs) if not located
                else ctx.reproduces(wrong, ctx.rhs)):
            # the checks on the page, after the (cheaper) value: the terms of a
            # derivative's value come from the rules, not from the page (as does a term
            # a simulation says a rule makes: from_rule), and a factor written inside a
            # log is the log's term (in_log)
            if entry.written_before and path[:1] != (VALUE,) and not (
                    b.get("in_log") or b.get("from_rule") or b.get("multiplied_out")) \
                    and not ctx.written_before(b.get("right"), ctx.at(path)):
                continue
            if "drops" in b and not ctx.shows_fewer(b["drops"]):
                continue
            if "adds" in b and not ctx.shows_more(b["adds"]):
                continue
            if located == "integrand":
                located = ctx.same_integrand(wrong)
                if not located and unlocated is not None:
                    continue
            m = _Match(entry, b, b.get("wrong"), b.get("right"), ctx.lhs, path=path,
                       located=located)
            m.simulated = wrong  # type: ignore[attr-defined]  # (see _integrand_shown)
            if located:
                out.append(m)
                break
            unlocated = m
    if not out and unlocated is not None:
        out.append(unlocated)
    # a step that evaluates integrals (sums, derivatives), put right by changing a number
    # inside a part or a factor of its value (not a constant term of it): another number of
    # that value could have been the wrong one (E[z³] = m³ + 3m written m³ + m beside a right
    # m(m² + 1) is also put right by m(m² − 1); d/dμ(μ²/2) written μ/2 is a ½ added or the
    # power rule's 2 lost), so it is not located; a constant term (−1 for −½) is the value's
    # own
    evaluated = _integrals(ctx.rhs) < _integrals(ctx.lhs)
    other_integrand = None  # a repair with the right value under a kept integral, not its
    # integrand: another repair of the same entry may show the integrand (the sign of which
    # of the terms of x + μ: the order SymPy keeps them in must not decide)
    for right, b, path, redo in _backward(entry, ctx):
        ctx.tick()
        if "lhs_constant" in b and not (ctx.wrote_negative_constant()  # (the cheaper first)
                                        and _same_constant(right, ctx.lhs)):
            continue  # a constant said to be lost must be one the previous line has
        if b.get("not_in_value") and not ctx.rhs.has(sp.Derivative) \
                and _outer_derivatives(ctx.lhs):
            continue  # the part repaired may be a derivative's value, not a part written
        if ctx.reproduces(ctx.lhs, right) and redo():
            located = not ((evaluated and _a_number(b.get("wrong"))
                            and not _constant_term_at(ctx.rhs, path))
                           or (evaluated and b.get("two_places")
                               and not _pair_on_page(b, ctx))
                           or (evaluated and _combined(b.get("form"), path, ctx.rhs))
                           or (evaluated and _exponent_raised(b, path))
                           or (path == () and ctx.rhs.has(sp.Derivative)))
            if located and ctx.has_kept_derivatives() and not ctx.same_integrand_as_right(right):
                # the value repaired under a kept integral, not its integrand
                if other_integrand is None:
                    other_integrand = _Match(entry, b, b.get("wrong"), b.get("right"), right,
                                             direct=False, path=path, located=False)
                continue
            if not located and _carried_term(b.get("wrong"), ctx):
                continue  # a term carried unchanged from the previous line was not miswritten
            out.append(_Match(entry, b, b.get("wrong"), b.get("right"), right,
                              direct=False, path=path, located=located))
            break
    if other_integrand is not None and not any(m.direct is False for m in out):
        out.append(other_integrand)
    return out


def _carried_term(part: Any, ctx: _Context) -> bool:
    """Whether ``part``, said written wrong by a repair that is not located, is a term that
    stands unchanged at the top of both the previous line and the written step (the −1 of
    (σ⁴ + μ²σ²)/σ⁴ − 1 after E[…]/σ⁴ − 1): the author carried it, so it was not written
    wrong, and such a repair does not stand in the way of a located name (a moment).

    >>> a, b = sp.symbols("a b", positive=True)
    >>> ctx = type("C", (), {"lhs": a + b - 1, "rhs": 2 * a - 1})()
    >>> _carried_term(sp.Integer(-1), ctx), _carried_term(b, ctx)
    (True, False)
    """
    if not isinstance(part, sp.Basic) or part == 0:
        return False
    return part in sp.Add.make_args(ctx.lhs) and part in sp.Add.make_args(ctx.rhs)


def _pair_on_page(b: dict[str, Any], ctx: _Context) -> bool:
    """Whether two terms said negated together (``two_places``) show on the page as such,
    in a step that evaluated a sum (an integral): each wrong term stands as a term of its
    own at the top of the written step as its author wrote it, and each right one is a term
    the author wrote on the previous line (Σ P(k)(k log(a/b) − a + b) written
    a log(a/b) + a − b: −a and b were written, and stand there as +a and −b). Terms of the
    value that no written term gives (m³ − m(m² + 1) = −m) may have combined: not these."""
    wrong, right = b.get("wrong"), b.get("right")
    if not (isinstance(wrong, sp.Add) and isinstance(right, sp.Add)) \
            or ctx.terms_before() is None:
        return False
    try:
        return all(t.free_symbols and ctx.written_alone(t) for t in wrong.args) \
            and all(t.free_symbols and any(t == w for w in ctx.terms_before())
                    for t in right.args)
    except Exception:
        return False


def _combined(form: Any, path: Path, value: sp.Basic) -> bool:
    """Whether the repair at ``path`` of the step as written (``form``) lies inside a term
    that does not stand in the evaluated value: the author's term combined with itself or
    others (2b/b is 2), so a change inside it is not told apart from a change of the value
    (b/2 for b in 2b/b, or 2 for 1 in the moment it came from)."""
    if not isinstance(form, sp.Add) or form is value or len(path) < 2:
        return False
    try:
        term = form.args[path[0]]
        terms = sp.Add.make_args(value)
        if term in terms:
            return False
        # a bracket distributed term by term (−(a + b)/2 standing as −a/2 − b/2) was not
        # combined with anything: each of its terms stands in the value
        spread = sp.Add.make_args(sp.expand(_rebuilt(term)))
        return len(spread) < 2 or not all(t in terms for t in spread)
    except (IndexError, TypeError, ValueError):
        return False


def _exponent_raised(b: dict[str, Any], path: Path) -> bool:
    """Whether the repair at ``path`` puts a power of a symbol (s²) for the symbol ``s`` that
    stands as the base of a power with a number of size 2 or more for its exponent in the
    step as written (``form``): the repair only changes that exponent (s⁻² read (s²)⁻², that
    is s⁻⁴), and the page shows a power of s there, not s alone (1/s is s written). In a
    step that evaluates a derivative (an integral) the exponents of its value come from the
    rule of differentiation (a power not lowered, a chain factor lost), so the site of such
    a repair is a number of the value, not a symbol written for another.

    >>> s = sp.Symbol("s", positive=True)
    >>> _exponent_raised({"wrong": s, "right": s**2, "form": 1 / (2 * s**2)}, (1, 0))
    True
    >>> _exponent_raised({"wrong": s, "right": s**2, "form": 1 / (2 * s)}, (1, 0))
    False
    """
    wrong, right, form = b.get("wrong"), b.get("right"), b.get("form")
    if not (isinstance(wrong, sp.Symbol) and isinstance(right, sp.Pow) and right.base == wrong
            and right.exp.is_Number and isinstance(form, sp.Basic) and path):
        return False
    parent = form
    try:
        for i in path[:-1]:
            parent = parent.args[i]
    except IndexError:
        return False
    return (isinstance(parent, sp.Pow) and path[-1] == 0 and parent.exp.is_Number
            and abs(parent.exp) >= 2)


def _constant_term_at(written: sp.Basic, path: Path) -> bool:
    """Whether ``path`` is a term of the written value's own sum (a number there is the
    value's constant term, not a number nested in a part or a factor of it)."""
    return len(path) == 1 and isinstance(written, sp.Add)


def _a_number(part: Any) -> bool:
    return isinstance(part, sp.Basic) and part.is_Number


@functools.lru_cache(maxsize=256)
def _constant_term(expr: sp.Basic) -> sp.Basic | None:
    """The constant term of ``expr`` expanded, KLs of Gaussians replaced by their closed form
    (½(… − 1) per coordinate, notes §3.3); None when an integral or expectation stays (its
    value may hold a constant that the line does not show) or the expression is large."""
    kls = expr.atoms(KL)
    if kls:
        from elbo_derivation.decide.gaussian import evaluate_gaussian_integrals

        expr = expr.xreplace({k: evaluate_gaussian_integrals(k)[0] for k in kls})
    if expr.has(sp.Integral):
        from elbo_derivation.decide.gaussian import evaluate_gaussian_integrals

        try:
            expr = evaluate_gaussian_integrals(expr)[0]
        except Exception:
            return None
    if expr.has(sp.Integral, Expectation):
        return None
    if sp.count_ops(expr) > 400:
        return None
    return sp.expand(sp.expand_log(expr, force=False)).as_coeff_Add()[0]


def _same_constant(a: sp.Basic, b: sp.Basic) -> bool:
    ca = _constant_term(a)
    return ca is not None and ca == _constant_term(b)


#: witnesses whose failure says the entry's mechanism did not happen on the page (the ½
#: counted on both lines), not only that the page cannot tell
_CONTRADICTING = ("half-gone", "half-added", "root-written", "square-not-written")

#: witnesses whose failure says the mechanism cannot have happened anywhere in the derivation
#: (no divergence written: no direction to swap) or in the step (no root of the variance
#: written: no √v put for v; no root written in a log on the previous line: no root lost from
#: one, wherever the simulation found it, as inside an expectation the step evaluates), or in
#: the term said to be added (a term of the previous line, its expectation evaluated: carried,
#: not added)
_IMPOSSIBLE = ("kl-written", "root-shown", "root-written", "term-new")

#: witnesses whose failure says the mechanism did not happen where a rule of
#: differentiation (:data:`_RULES_TAKEN`) that the page shows reproduces the step
_AGAINST = (*_CONTRADICTING, "factor-absent")

#: entries that take a rule of differentiation wrong in the step itself (their simulation
#: acts on a derivative the step evaluates)
_RULES_TAKEN = ("power-rule-factor", "chain-rule-factor-forgotten", "chain-rule-factor-wrong")


def _choose(matches: list[_Match], tie: list[str] | None = None) -> _Match | None:
    """The one mistake the matches agree on, or None (see the module docstring).

    When the matches left are located matches of two or more entries (each would be named
    alone), their names are put in ``tie`` (when given), in catalogue order.
    """
    def nested(p: Path, q: Path) -> bool:
        return p[:len(q)] == q or q[:len(p)] == p

    def same_place(a: _Match, b: _Match) -> bool:
        if a.path == () or b.path == ():
            return True  # the whole expression holds every place
        if a.direct == b.direct:
            # one site inside the other, in the same tree; a site in a derivative's value
            # is at that derivative (its argument's sites are inside it)
            return nested(a.path if a.site is None else a.site,
                          b.path if b.site is None else b.site)
        u, v = a.written_part, b.written_part
        if u is None or v is None:
            return False
        ra, rb = a.right_part, b.right_part
        if (u == 0 or v == 0) and isinstance(ra, sp.Basic) and ra.is_Number and ra != 0 \
                and ra == rb:
            # the same constant said lost, once as a term written 0 and once as the term
            # missing from the sum written (θ^(α + x) for θ^(α + x − 1)): the same place
            return True
        try:  # the same written part, perhaps in another form (log(1/a) and −log a), or
            # one inside the other (log B inside −log B), or a term of the other expanded
            # (the cross term ±2ab of (a ± b)²), or a factor of the other (r·(x − m)/s²
            # holds (x − m)/s², however its minus signs are written)
            if (u == v or u.has(v) or v.has(u)
                    or sp.expand(sp.expand_log(u - v, force=True)) == 0):
                return True
            if _factor_of(u, v) or _factor_of(v, u):
                return True
            tu, tv = (set(sp.Add.make_args(sp.expand(w))) for w in (u, v))
            return any(t in tv or -t in tv for t in tu) and (len(tu) == 1 or len(tv) == 1)
        except Exception:
            return False

    def covers(a: _Match, b: _Match) -> bool:  # a is a special case of b, at the same place
        # (not when the page contradicts a: 2 written 1 is no ½ added when no ½ shows); only
        # the direct generalisations: through overall-sign, complement-probability would
        # cover sign-error where the page cannot tell them apart
        # through one intermediate entry only when that entry reproduces the step there too
        # (log σ² for log σ is a ½ dropped, which is a factor 2: the ½'s match shows the
        # chain; complement-probability does not cover sign-error through an overall sign
        # that matches nothing)
        return a.witnessed and same_place(a, b) and (
            b.entry.name in a.entry.special_case_of
            or any(m.entry.name in a.entry.special_case_of
                   and b.entry.name in m.entry.special_case_of
                   and same_place(a, m) and same_place(m, b) for m in matches))

    def inside_named(a: _Match, b: _Match) -> bool:  # b, not located, inside the
        # construct (integral, sum) whose value a, located there, names: both say that
        # construct took the same written value, and a says which value it is (a moment)
        return (a.located is True and not b.located and a.direct and b.direct
                and bool(a.binding.get("names_value")) and len(b.path) > len(a.path)
                and b.path[:len(a.path)] == a.path)

    def contradicted(a: _Match, b: _Match) -> bool:  # a, a special case of b at the same
        # place whose ½ the page shows was not added (not dropped), is b's match seen
        # through a narrower simulation (a witness that only cannot tell, as one term for
        # the whole negated, contradicts nothing)
        return not a.witnessed and (a.entry.witness in _CONTRADICTING or a.contradicted) \
            and b.entry.name in a.entry.special_case_of and same_place(a, b)

    def shown_instead(a: _Match, b: _Match) -> bool:  # a, whose mechanism the page
        # contradicts (a ½ counted on both lines, a factor the other term holds), where b,
        # located and witnessed, is a rule of differentiation taken wrong in this step (the
        # power rule's 2 lost, so the ½ before it stays): the page says what happened there
        return (not a.witnessed and a.entry.witness in _AGAINST and b.located is True
                and b.witnessed and b.entry.name in _RULES_TAKEN and same_place(a, b))

    def term_of_factor(a: _Match, b: _Match) -> bool:  # b, a term dropped that the page
        # does not witness (a bracket left as 1 in a product, a log's factor lost where the
        # logs merged), is a term of the factor a, located and witnessed, says was lost
        return (b.entry.name == "dropped-term" and not b.witnessed
                and a.entry.name == "dropped-factor" and a.located is True and a.witnessed
                and (_term_of_factor(b.binding.get("right"), a.binding.get("s"))
                     or _factor_multiplied_out(b.binding.get("right"), a)))

    def sibling_denied(a: _Match, b: _Match) -> bool:  # a, whose mechanism the page
        # contradicts (a ½ added where none shows), beside b, located and witnessed at the
        # same place, where one entry is a special case of both (log σ written for log σ²
        # is a ½ added and a power lost in a log): the page says which of the two it was
        return (not a.witnessed and a.entry.witness in _CONTRADICTING and not a.located
                and b.located is True and b.witnessed and same_place(a, b)
                and any(a.entry.name in e.special_case_of and b.entry.name in e.special_case_of
                        for e in CATALOGUE))

    kept = [b for b in matches if not any(covers(a, b) or inside_named(a, b)
                                          or contradicted(b, a) or shown_instead(b, a)
                                          or term_of_factor(a, b) or sibling_denied(b, a)
                                          for a in matches if a is not b)]
    names = {m.entry.name for m in kept}
    if len(names) != 1:
        if tie is not None:
            shown = {m.entry.name for m in kept if m.located}
            if len(shown) > 1:
                tie[:] = [e.name for e in CATALOGUE if e.name in shown]
        return None
    located = [m for m in kept if m.located]
    if not located:
        return None
    chosen = located[0]
    # the more general entries whose simulations reproduce the step as well, at the same
    # place, set aside because this one is their special case (log-density-sign is also a
    # sign-error there), and what every instance of it is (catalogue.KIND_OF): said beside
    # the name, never instead of it
    chosen.also = tuple(dict.fromkeys((*kinds(chosen.entry.name), *(
        b.entry.name for b in matches
        if b.entry.name not in names and any(covers(a, b) for a in kept)))))
    return chosen


def _factor_of(whole: sp.Basic, part: sp.Basic) -> bool:
    """Whether ``part`` (a product holding a bracket, a sum) is ``whole`` up to further
    factors that are products of powers, none a sum: r·(x − m)/(2s²) holds −(m − x)/(2s²).

    >>> r, x, m, s = sp.symbols("r x m s", positive=True)
    >>> _factor_of(r * (x - m) / (2 * s**2), -(m - x) / (2 * s**2)), _factor_of(x + r, x)
    (True, False)
    """
    if not isinstance(part, sp.Mul) or not any(isinstance(f, sp.Add) for f in part.args) \
            or isinstance(whole, sp.Add) or sp.count_ops(whole) > 60:
        return False
    rest = sp.cancel(whole / part)
    return not rest.has(sp.Add) and not (rest.free_symbols - whole.free_symbols)


def _derivative_sites(matches: list[_Match], ctx: _Context) -> None:
    """Each match whose site is in the value of a derivative the step took, paths
    (VALUE, k, …), given that derivative's place in the previous line as its ``site``."""
    values = None
    for m in matches:
        if m.direct and m.path[:1] == (VALUE,) and len(m.path) > 1:
            if values is None:
                values = [der for der, _ in ctx.derivative_values()] + [
                    der for der, _ in ctx.rule_terms()]
            k = m.path[1]
            if 0 <= k < len(values):
                m.site = _path_of(ctx.lhs, values[k])


def _path_of(expr: sp.Basic, node: sp.Basic, at: Path = ()) -> Path | None:
    """The path of the first occurrence of ``node`` in ``expr`` (depth first), or None."""
    if expr == node:
        return at
    for i, arg in enumerate(expr.args):
        found = _path_of(arg, node, (*at, i))
        if found is not None:
            return found
    return None


def _term_of_factor(term: Any, factor: Any) -> bool:
    """Whether ``term`` is a term of the bracket ``factor`` (−p of 1 − p), or the log of
    ``factor`` or of a factor of a log's argument (log(1 − r) of a·(1 − r)/b): what a term
    dropped is when the whole factor was lost.

    >>> p, r = sp.symbols("p r", positive=True)
    >>> _term_of_factor(-p, 1 - p), _term_of_factor(-sp.log(1 - r), 1 - r), _term_of_factor(p, r)
    (True, True, False)
    """
    if not isinstance(term, sp.Basic) or not isinstance(factor, sp.Basic) \
            or not factor.free_symbols:
        return False
    if isinstance(factor, sp.Add) and (term in factor.args or -term in factor.args):
        return True
    return any(lg.args[0] == factor or factor in sp.Mul.make_args(lg.args[0])
               for lg in term.atoms(sp.log))


def _factor_multiplied_out(term: Any, m: _Match) -> bool:
    """Whether ``term`` is what the factor lost in ``m`` (a dropped factor) takes away once
    its product is multiplied out: a(1 − t) written a loses the term −at, which the author
    never wrote as a term (the product a(1 − t) stands on the previous line).

    >>> a, t = sp.symbols("a t", positive=True)
    >>> m = _Match(None, {}, a, a * (1 - t), a)
    >>> _factor_multiplied_out(-a * t, m), _factor_multiplied_out(a * t, m)
    (True, False)
    """
    right, wrong = m.right_part, m.written_part
    if not all(isinstance(e, sp.Basic) for e in (term, right, wrong)) or not term.free_symbols:
        return False
    try:
        return sp.expand(right - wrong - term) == 0
    except Exception:
        return False


# --- witnesses on the page --------------------------------------------------------------------


def _halves(e: sp.Basic) -> int:
    """How many halves an expression as written shows: numbers with an even denominator
    (½, 3/2) and divisions by an even integer (x/2, x/(2σ²)); not a root (an exponent ½ is
    no ½ of the page) nor anything inside a density (the integrand of an expectation only).

    >>> x = sp.Symbol("x", positive=True)
    >>> _halves(sp.Mul(x, sp.Pow(2, -1, evaluate=False), evaluate=False)), _halves(sp.sqrt(x))
    (1, 0)
    """
    if e.is_Rational:
        return int(not e.is_Integer and e.q % 2 == 0)
    if isinstance(e, AppliedUndef):
        return 0
    if type(e) is Expectation:
        return _halves(e.integrand)
    if isinstance(e, (sp.Integral, sp.Sum, sp.Derivative)):
        return _halves(e.args[0])
    if e.is_Pow:
        base, exp = e.args
        if exp.is_negative and (
                (base.is_Integer and base % 2 == 0)
                or (isinstance(base, sp.Mul)
                    and any(f.is_Integer and f % 2 == 0 for f in base.args))):
            return 1 + _halves(base)
        # a numeric exponent is a root or a power (no ½ of the page); an exponent written
        # as an expression (e^{μ + σ²/2}) is part of the page
        return _halves(base) + (0 if exp.is_Number else _halves(exp))
    return sum(_halves(a) for a in e.args)


def _twos(e: sp.Basic) -> int:
    """How many factors 2 (an even integer) an expression as written shows in its
    numerators (2C(x − y), not the 2 of x/(2σ²), an exponent or a density)."""
    if e.is_Integer:
        return int(e != 0 and e % 2 == 0)
    if e.is_Atom or isinstance(e, AppliedUndef):
        return 0
    if type(e) is Expectation:
        return _twos(e.integrand)
    if isinstance(e, (sp.Integral, sp.Sum, sp.Derivative)):
        return _twos(e.args[0])
    if e.is_Pow:
        return (0 if e.exp.is_negative else _twos(e.base)) + (
            0 if e.exp.is_Number else _twos(e.exp))
    if isinstance(e, sp.Mul):
        return sum(_twos(a) for a in e.args)
    if isinstance(e, sp.Add):
        return sum(_twos(a) for a in e.args if not a.is_Number)  # not a constant term
    return sum(_twos(a) for a in e.args)


def _halved_terms(e: sp.Basic) -> int:
    """How many terms of ``e`` expanded carry an even denominator: a ½ distributed over a
    bracket stands on each of its terms (β(… + m²)/2 written … + βm²: one term lost it)."""
    try:
        if sp.count_ops(e) > 200:
            return 0
        return sum(1 for t in sp.Add.make_args(sp.expand(sp.expand_log(e, force=True)))
                   if (c := t.as_coeff_Mul()[0]).is_Rational and c.q % 2 == 0)
    except Exception:
        return 0


def _written_pair(ctx: _Context) -> tuple[sp.Basic, sp.Basic] | None:
    """The previous line and the written step as their author wrote them, ``let`` names
    expanded; None when either cannot be rebuilt."""
    before = _previous_as_written(ctx.derivation, ctx.step)
    after = _as_written(ctx.derivation, ctx.step)
    if before is None or after is None:
        return None
    try:
        if ctx.derivation is not None:
            before = ctx.derivation.expand_definitions(before)
    except Exception:
        return None
    return before, after


def _written_negative(e: sp.Basic) -> bool:
    """Whether ``e`` as written carries a minus sign in front: a negative number, or a
    product with one as a factor (a sign inside a log's argument is no sign of the term)."""
    if e.is_Number:
        return bool(e.is_negative)
    if isinstance(e, sp.Mul):
        return sum(1 for f in e.args if _written_negative(f)) % 2 == 1
    return False


def _one_term_sign_shown(ctx: _Context, before: sp.Basic, after: sp.Basic) -> bool:
    """Whether a written step of one term (no sum at its top, as its author wrote it) shows
    the sign of the whole changed, where the one term negated is the whole negated (see
    ``overall-sign``'s witness): a minus written in front that the previous line of one
    term did not write, or none where it wrote one (−x after log eˣ; θ₁/(2θ₂) after
    −2θ₁/(4θ₂)); or, where the previous line is a derivative, an integral or a sum whose
    value the step writes, a sign in front other than the value's (1/s for d/ds(−log s)).
    A sign that changed inside the term leaves the front as it was: a KL opened into
    E[(x − m)² − (x − n)²] with its squares exchanged shows no sign of the whole.

    >>> x = sp.Symbol("x", real=True)
    >>> class C: rhs = -x
    >>> neg = sp.Mul(-1, x, evaluate=False)
    >>> _one_term_sign_shown(C, sp.log(sp.exp(x), evaluate=False), neg)
    True
    >>> _one_term_sign_shown(C, sp.log(sp.exp(x), evaluate=False), x - 1)
    False
    >>> C.rhs = 1 / x
    >>> _one_term_sign_shown(C, sp.Derivative(-sp.log(x), x), 1 / x)
    True
    """
    if isinstance(after, sp.Add) or not after.free_symbols:
        return False
    if not isinstance(before, sp.Add) and _written_negative(before) != _written_negative(after):
        return True
    parts = [f for f in sp.Mul.make_args(before) if not f.is_Number]
    if len(parts) == 1 and isinstance(parts[0], (sp.Derivative, sp.Integral, sp.Sum)):
        return _written_negative(after) != _written_negative(-ctx.rhs)
    return False


def _same_value(a: sp.Basic, b: sp.Basic) -> bool:
    try:
        return a == b or sp.expand(sp.expand_log(a - b, force=True)) == 0
    except Exception:
        return False


def _negatives_written(e: sp.Basic) -> int:
    """How many negative numbers ``e`` as written holds, the exponent −1 of a division left
    out (1/λ is λ⁻¹ in the tree, but no minus sign on the page).

    >>> lam = sp.Symbol("lam", positive=True)
    >>> _negatives_written(sp.exp(-lam) / lam), _negatives_written(lam - 1)
    (1, 1)
    >>> _negatives_written(sp.Mul(2, sp.Pow(lam, -1, evaluate=False), evaluate=False))
    0
    """
    if e.is_Number:
        return int(bool(e.is_negative))
    if e.is_Pow and e.exp == -1:
        return _negatives_written(e.base)
    return sum(_negatives_written(a) for a in e.args)


def _sign_shown(m: _Match, ctx: _Context, before: sp.Basic, after: sp.Basic) -> bool:
    """A term said to be written with the wrong sign stands on the page with a sign other
    than the one the previous line wrote it with: the written step shows a part with the
    wrong term's value, and where the previous line shows a part with the right term's
    value, their written signs differ (−log(1 − u) for log(1/(1 − u)) kept its written minus:
    the log's argument changed, not the sign; log(1/(a + b)) has the value −log(a + b) but
    no sign was written). Where the page shows no such part (the term merged with others),
    nothing on it contradicts the name."""
    wrong, right = m.binding.get("wrong"), m.binding.get("right")
    if not isinstance(wrong, sp.Basic) or not isinstance(right, sp.Basic):
        return True
    # a part holding a derivative (an integral, a sum) the step evaluated has the sign of
    # its value, not the one written in front of it (s²·d/dz(−z²/2v) is −s²z/v): such a
    # part says nothing about the sign the author wrote
    evaluated = tuple(k for k in (sp.Derivative, sp.Integral, sp.Sum, Expectation)
                      if before.has(k) and not after.has(k))
    if not wrong.free_symbols:
        # a number's sign, on a step that evaluates nothing: the page must show a minus sign
        # written or lost, the exponent of a division left out (e^(−λ)/λ written e^(−λ)·λ is
        # a factor turned over: the one −1 written, in e^(−λ), stands on both lines)
        if evaluated or not (right.is_Number and right.is_negative):
            return True
        return _negatives_written(before) != _negatives_written(after)

    def parts(e: sp.Basic, value: sp.Basic) -> list[sp.Basic]:
        return [n for n in list(sp.preorder_traversal(e))[:400]
                if not n.is_Number and not isinstance(n, sp.Add)
                and not (evaluated and n.has(*evaluated))
                and n.free_symbols == value.free_symbols
                and (ctx.screen_equal(_rebuilt(n), value) or _same_value(_rebuilt(n), value))]

    shown = parts(after, wrong)
    if shown and not (evaluated and wrong.has(*evaluated)) and all(
            _written_negative(n) != bool(wrong.could_extract_minus_sign()) for n in shown):
        return False  # the wrong value stands on the page, but not by a sign written
    was = parts(before, right)
    if shown and was:
        return any(_written_negative(n) != _written_negative(p) for n in shown for p in was)
    return True  # the term merged with others: nothing on the page contradicts the name


def _rule_shows(function: Any, kept: Any, theta: Any) -> bool:
    """Whether the terms a product (quotient) rule kept, ``kept``, are no constant multiple
    of the ``function`` it differentiated in ``theta``: a written step that is the function
    itself, or a number times it, shows no rule applied (e^t/(1 + e^t) after d/dt of
    e^t/(1 + e^t)), so nothing on the page says which of the rule's terms was lost.

    >>> t, m = sp.symbols("t m", real=True)
    >>> f = (m + t) * sp.exp(t**2 / 2)
    >>> _rule_shows(f, (m + t) ** 2 * sp.exp(t**2 / 2), t)
    True
    >>> _rule_shows(sp.exp(t) / (1 + sp.exp(t)), sp.exp(t) / (1 + sp.exp(t)), t)
    False
    """
    if not all(isinstance(x, sp.Basic) for x in (function, kept, theta)) or function == 0:
        return False
    if sp.count_ops(kept) + sp.count_ops(function) > 200:
        return False
    try:
        return bool(sp.simplify(kept / function).has(theta))
    except Exception:
        return False


def _log_factor_gone(dropped: sp.Basic, before: sp.Basic, after: sp.Basic) -> bool:
    """Whether a factor F of a log's argument (``dropped`` is F, or log F expanded) is gone
    from the page while its logs stand: F shows fewer times inside the logs of the written
    step than in those of the previous line as written, and the step wrote no fewer logs.
    The log's term log F was dropped (log(A·F/(B·F')) written log A); where the step merges
    logs into one (log a − log(b/c) written log(a/b)), the factor was lost from the product
    it formed, which is a factor dropped, not a term.

    >>> a, b, c = sp.symbols("a b c", positive=True)
    >>> _log_factor_gone(sp.log(c), sp.log(a * b / c), sp.log(a * b))
    True
    >>> _log_factor_gone(sp.log(c), sp.log(a) - sp.log(b / c), sp.log(a / b))
    False
    """
    factors = {lg.args[0] for lg in dropped.atoms(sp.log)} if dropped.has(sp.log) \
        else {dropped}

    def logs(e: sp.Basic) -> list[sp.Basic]:
        return [n for n in list(sp.preorder_traversal(e))[:400] if isinstance(n, sp.log)]

    def count(e: sp.Basic) -> int:
        return sum(1 for lg in logs(e) for n in list(sp.preorder_traversal(lg.args[0]))[:200]
                   if n in factors or _rebuilt(n) in factors)

    old, new = logs(before), logs(after)
    return bool(old) and len(new) >= len(old) and count(after) < count(before)


def _term_written(m: _Match, ctx: _Context, before: sp.Basic,
                  after: sp.Basic | None = None) -> bool:
    """The dropped term is one the author wrote, and the rest of its sum still stands."""
    dropped = m.binding.get("right")
    if not isinstance(dropped, sp.Basic):
        return True
    path = m.path
    terms = [t for _, ts in ctx.sums_written_before() for t in ts]
    if m.binding.get("from_rule"):
        # a term only a rule makes (the product or quotient rule's other term) was never
        # written: the same page is often another mistake (d/dt e^t/(1 + e^t) written
        # e^t/(1 + e^t) is the quotient rule's square lost as much as its term), unless
        # what the rule kept is no constant multiple of the function differentiated (the
        # rule shows on the page: d/dt (m + s²t)e^{…} written (m + s²t)²e^{…})
        return _rule_shows(m.binding.get("function"), m.binding.get("kept"),
                           m.binding.get("s"))
    if path[:1] == (VALUE,):
        # a term of a derivative's value: the derivative of a term the author wrote (the
        # quotient rule's second term is no written term)
        values = ctx.derivative_values()
        if len(path) < 2 or path[1] >= len(values):
            return False
        der = values[path[1]][0]
        try:
            return any(_same_value(sp.Derivative(t, *der.variable_count).doit(), dropped)
                       for t in terms if t.has(*der.variables))
        except Exception:
            return False
    if m.binding.get("in_log"):
        # a factor inside a log is a term of the log expanded: one the author wrote, or a
        # factor of a log's argument that the page lost while keeping its logs
        return any(_same_value(t, dropped) for t in terms) or (
            after is not None
            and _log_factor_gone(m.binding.get("factor", dropped), before, after))
    if m.binding.get("multiplied_out"):
        # a factor (1 − v) the previous line wrote, gone from the written step: n(1 − v) − mv
        # written n − mv lost that factor as much as the term −nv of it multiplied out
        for n in list(sp.preorder_traversal(before))[:200]:
            if not isinstance(n, sp.Mul):
                continue
            for f in n.args:
                if isinstance(f, sp.Add) and f.free_symbols and ctx.screen_equal(
                        _rebuilt(before.xreplace({n: sp.Mul(*(a for a in n.args
                                                              if a is not f))})), ctx.rhs):
                    return False
    if m.direct and path:
        node, parent = ctx.at(path), ctx.at(path[:-1])
        if isinstance(node, sp.Add) and not isinstance(parent, sp.Add) \
                and (node - dropped).is_Number:
            return False  # (1 − p) left as 1 in a product: the factor is gone, not −p
    return True


def _divergence_written(ctx: _Context) -> bool:
    """Whether a KL, an expectation or an integral stands in the derivation up to the step
    of ``ctx`` (its first line, the lines before, the step)."""
    lines: list[Any] = [ctx.lhs, ctx.rhs]
    derivation, index = ctx.derivation, getattr(ctx.step, "index", None)
    if derivation is not None:
        lines.append(derivation.start)
        lines.extend(s.expr for s in derivation.steps[: index or len(derivation.steps)])
    return any(isinstance(e, sp.Basic) and e.has(KL, Expectation, sp.Integral)
               for e in lines)


def _ratio_inside_name(m: _Match, ctx: _Context) -> bool:
    """Whether the part ``m`` turns upside down is a reciprocal the author never wrote: it
    stands in the step only inside a function written by name (sigmoid(t) is 1/(1 + e^(−t)))."""
    shown, part = getattr(ctx.step, "display", None), m.written_part
    if shown is None or not isinstance(part, sp.Basic) or not shown.has(WrittenFunction):
        return False
    try:
        def parts(e: sp.Basic) -> set[sp.Basic]:
            return {_rebuilt(n) for n in sp.preorder_traversal(e)}
        return part in parts(checked(shown)) and part not in parts(checked(shown, names=True))
    except Exception:
        return False


def _repaired_halves(m: _Match, after: sp.Basic) -> bool:
    """Whether the written step with ``m``'s right part put back for its wrong one shows a ½
    (m + s² − m repaired to m + s²/2 − m does; −2a repaired to −2·(a/2) = −a does not)."""
    right, wrong = m.binding.get("right"), m.binding.get("wrong")
    if not (isinstance(right, sp.Basic) and isinstance(wrong, sp.Basic)):
        return True
    try:
        return _halves(_rebuilt(after).xreplace({wrong: right})) > 0
    except Exception:
        return True


def witnessed(m: _Match, ctx: _Context) -> bool:
    """Whether the page shows the mechanism of ``m``'s entry (its ``witness``, see the end of
    :mod:`.catalogue`): True for entries without one, and when the lines cannot be rebuilt as
    written.

    """
    kind = m.entry.witness
    if not kind:
        return True
    pair = _written_pair(ctx)
    if pair is None:
        return True
    before, after = pair
    try:
        if kind == "half-gone":  # a ½ written is gone, a 2 appears, a term lost its ½,
            # or the part that should carry it stands on the page with no ½ at all (s²t²
            # for s²t²/2 after completing a square; not −c²/2 for −c²/4, a square lost)
            wrong = m.binding.get("wrong")
            return (_halves(after) < _halves(before) or _twos(after) > _twos(before)
                    or _halved_terms(ctx.evaluated(ctx.rhs))
                    < _halved_terms(ctx.evaluated(ctx.lhs))
                    # (where the line repaired shows the ½: −2a for −a is a 2 too many;
                    # a lone symbol stands anywhere, so it witnesses nothing: η in e^η·e^η
                    # is no part that lost a ½ where SymPy made e^(2η) of it)
                    or (isinstance(wrong, sp.Basic) and not wrong.is_Atom
                        and _repaired_halves(m, after) and any(
                        _halves(n) == 0 and _rebuilt(n) == wrong
                        for n in sp.preorder_traversal(after))))
        if kind == "half-added":  # a ½ appears, or a 2 written is gone
            return _halves(after) > _halves(before) or _twos(after) < _twos(before)
        if kind == "term-written":
            return _term_written(m, ctx, before, after)
        if kind == "sign-shown":
            return _sign_shown(m, ctx, before, after)
        if kind == "several-terms":  # a term kept, perhaps rewritten (−(αβ)² as −α²β²)
            kept = {t for t in sp.Add.make_args(after)
                    if any(_same_value(t, u) for u in sp.Add.make_args(before))}
            return ((len(sp.Add.make_args(before)) > 1 or len(sp.Add.make_args(after)) > 1)
                    and not any(t.free_symbols for t in kept)) or _one_term_sign_shown(
                        ctx, before, after)
        if kind == "kl-written":
            return _divergence_written(ctx)
        if kind in FACTOR_WITNESSES:
            return FACTOR_WITNESSES[kind](m, ctx, before, after)
        if kind in TERM_WITNESSES:
            return TERM_WITNESSES[kind](m, ctx, before, after)
        if kind in MOMENT_WITNESSES:
            return MOMENT_WITNESSES[kind](m, ctx, before, after)
        if kind == "factor-absent":
            term, factor = m.binding.get("term"), m.binding.get("s")
            return not (isinstance(term, sp.Basic) and isinstance(factor, sp.Basic)
                        and _stands_outside_brackets(term, factor))
    except Exception:
        return True
    return True


def _stands_outside_brackets(term: sp.Basic, factor: sp.Basic) -> bool:
    """Whether a symbol of ``factor`` stands in ``term`` outside every bracket: in a factor
    of the term that is not a sum, nor a power or a function of a sum. A term written
    without F that still holds F's symbols that way may be F's power written wrong (β·x for
    β²·x), not F left off; a symbol inside a bracket (α in ε·√(1 − α), without the factor
    1/√α) is another quantity, and says nothing about F.

    >>> a, e, x = sp.symbols("a e x", positive=True)
    >>> _stands_outside_brackets(e * sp.sqrt(1 - a), 1 / sp.sqrt(a))
    False
    >>> _stands_outside_brackets(a * x, a**2), _stands_outside_brackets(x * sp.log(a), a)
    (True, True)
    """
    symbols = factor.free_symbols
    if not symbols:
        return False

    def in_bracket(g: sp.Basic) -> bool:
        if isinstance(g, sp.Add):
            return True
        if g.is_Pow:
            return isinstance(g.base, sp.Add) and not g.exp.has(*symbols)
        return False

    return any(g.has(*symbols) and not in_bracket(g) for g in sp.Mul.make_args(term))


def contradicts(m: _Match, ctx: _Context) -> bool:
    """Whether the page shows that the mechanism of ``m``'s entry did *not* happen, beyond
    not showing it (:func:`witnessed`): the whole said negated (``several-terms``) while a
    term with symbols stands on the written step as the previous line wrote it, with its
    sign (t·e^(t−1) − (t + 1)·e^(t−1) after t·e^(t−1) − e^(t−1)·log e^(t−1) kept
    t·e^(t−1)). A line of one term cannot tell, and contradicts nothing.

    A contradicted special case stands in nobody's way (:func:`_choose`): the general
    mistake at its place is named (a sign inside the second term, not the whole negated).
    """
    if m.entry.witness != "several-terms":
        return False
    pair = _written_pair(ctx)
    if pair is None:
        return False
    before, after = pair
    try:
        kept = set(sp.Add.make_args(before)) & set(sp.Add.make_args(after))
        return any(t.free_symbols for t in kept)
    except Exception:
        return False


#: entries whose simulation puts a sign in front of a term (or of the whole)
_SIGN_ENTRIES = ("sign-error", "log-density-sign", "log-evidence-sign", "overall-sign")


#: entries whose simulation turns (part of) a log's argument upside down (a precision 1/σ²
#: written for the variance inside a log is log σ² turned over)
_RATIO_ENTRIES = ("log-ratio-flipped", "bayes-inverted", "precision-for-variance")


def _page_tie_break(matches: list[_Match], ctx: _Context) -> list[_Match]:
    """The matches with one side of a tie between a log's ratio turned upside down and a
    sign set aside, where the page shows which the author did (:mod:`.page`): both write the
    same value (−log(a/b) is log(b/a)), but a log whose argument stands as on the previous
    line was not turned upside down, and a fraction inverted under an unchanged sign was not
    negated. Of two ratio mistakes left, the one whose wrong log stands on the page (the
    author's log(b/a), not one log of a product the author wrote as two). Used only when the
    values leave a tie."""
    flips = [m for m in matches if m.entry.name in _RATIO_ENTRIES]
    signs = [m for m in matches if m.entry.name in _SIGN_ENTRIES]
    if not flips or not signs:
        return matches
    said = _page_says(flips, ctx)
    if said == "sign":
        return [m for m in matches if m not in flips]
    if said != "ratio":
        return matches
    kept = [m for m in matches if m not in signs]
    if len({m.entry.name for m in flips}) > 1:
        shown = [m for m in flips if m.written_part is not None and ctx.shows([m.written_part])]
        if shown:
            kept = [m for m in kept if m not in flips or m in shown]
    return kept


def _dimension_tie_break(matches: list[_Match], ctx: _Context) -> list[_Match]:
    """The matches without the repairs of the written step that break its units (see
    :mod:`.dimensions`): of σ + (μ̃ − μ)² − σ² put right as σ² + … or as … − σ, only the
    first adds like quantities. Used only when the values leave a tie."""
    if len({m.entry.name for m in matches}) < 2:
        return matches
    kept = []
    for m in matches:
        form, right = m.binding.get("form"), m.binding.get("right")
        if not m.direct and isinstance(form, sp.Basic) and isinstance(right, sp.Basic) \
                and consistent(ctx.lhs, form, ctx.roles, m.path, right) is False:
            continue
        kept.append(m)
    return kept if kept and len(kept) < len(matches) else matches


def _page_says(flips: list[_Match], ctx: _Context) -> str | None:
    """``"sign"``, ``"ratio"`` or None: what the page says the author changed about the logs
    the ratio matches act on (see :func:`.page.page_change`)."""
    from elbo_derivation.explain.page import (
        in_logs,
        page_change,
        ratio_factors,
        written_as_kl,
    )

    factors: set[sp.Basic] = set()
    for m in flips:
        for part in (m.written_part, m.right_part):
            if isinstance(part, sp.Basic):
                inner = part.args[0] if isinstance(part, sp.log) else part
                factors |= {f for f, _ in ratio_factors(inner)}
    if not factors:
        return None
    after = ctx.written_forms[-1]
    if not any(in_logs(w, factors) for w in ctx.written_forms) and written_as_kl(after,
                                                                                  factors):
        return "sign"  # KL(q ‖ p) written: no ratio on the page was turned upside down
    before = _previous_as_written(ctx.derivation, ctx.step)
    try:
        before = ctx.derivation.expand_definitions(before) if before is not None else None
    except Exception:
        before = None
    if before is None:
        return None
    signs = not (_evaluated_kinds(ctx.lhs, ctx.rhs) & {sp.Integral, sp.Sum, sp.Derivative})
    said = page_change(before, after, factors, signs)
    if said is None:  # logs joined or a KL opened: the previous line's KL(q ‖ p) is the
        # log-ratio q/p its definition writes, under the KL's sign
        said = page_change(before, after, factors, signs, open_kl=True)
    if said is None:  # the author's next line, when it holds the right value, shows the
        # form meant (−KL(q ‖ p) after −E[log(p/q)]: the minus was meant, the ratio not)
        meant = _next_as_written(ctx)
        if meant is not None:
            said = page_change(meant, after, factors, signs, open_kl=True)
    return said


def _next_as_written(ctx: _Context) -> sp.Basic | None:
    """The line after the step as its author wrote it, definitions expanded, when it is an
    equality that holds the right value (the previous line's); else None."""
    try:
        derivation, step = ctx.derivation, ctx.step
        index = getattr(step, "index", None)
        if derivation is None or not index or index >= len(derivation.steps):
            return None
        after = derivation.steps[index]
        if getattr(after, "relation", "=") != "=":
            return None
        shown, text = after.display, getattr(after, "expr_text", "")
        if shown is None and text:
            from elbo_derivation.read.deriv import written_form

            shown = written_form(derivation, text)
        if shown is None:
            return None
        shown = derivation.expand_definitions(checked(shown))
        value = derivation.expand_definitions(after.expr)
        if not (ctx.screen_equal(ctx.lhs, value) and ctx.exact(ctx.lhs, value)):
            return None
        return shown
    except Exception:
        return None


# --- explanations ------------------------------------------------------------------------------


_show = show  # an expression as the reader writes it


def _show_as_written(v: Any, ctx: _Context, *, before: bool = False) -> str:
    """A field of an explanation: a part of the written step (or, with ``before``, of the
    line before) as its author wrote it, when it is one; else as the reader writes it."""
    if isinstance(v, sp.Basic) and not v.is_Atom and ctx.derivation is not None:
        from elbo_derivation.report.pretty import shown_part

        return shown_part(v, ctx.derivation, ctx.step, before=before)
    return _show(v)


class _Fields(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return ""


def _explain(m: _Match, ctx: _Context) -> str:
    fields = _Fields()
    roles = ctx.roles
    for k, v in m.binding.items():
        if isinstance(v, bool) or callable(v):
            continue  # flags and guards of the simulation, not words (and True == 1 to a
            # cache of printed expressions)
        fields[k] = _show_as_written(v, ctx, before=k == "right")
        if k in ("s", "o", "m") and isinstance(v, sp.Basic):
            fields[k + "_role"] = roles.describe(v)
    s = m.binding.get("s")
    fam = roles.family_of(s) if s is not None else None
    if fam is not None:
        fields["variance"] = _show(fam.variance)
        if "m" not in m.binding and fam.mean is not None:
            fields["m"] = _show(fam.mean)
            fields["m_role"] = roles.describe(fam.mean)
    wrt = tuple(getattr(ctx.step, "wrt", ()) or ())
    right = m.binding.get("right")
    if ctx.relation == "=~" and isinstance(right, sp.Basic) and wrt:
        dep = sorted(str(x) for x in right.free_symbols if str(x) in wrt)
        if dep:
            fields["optimised"] = (f", although it depends on {', '.join(dep)}, which the step "
                                   "optimises")
    if "{right}" in m.entry.explanation and "{wrong}" in m.entry.explanation:
        from elbo_derivation.report.pretty import shown_change  # the author's parts, not SymPy's

        change = shown_change(ctx.derivation, ctx.step, right, m.binding.get("wrong"),
                              m.expected_step)
        if change is not None:
            fields["right"], fields["wrong"] = change
    try:
        return m.entry.explanation.format_map(fields)
    except (KeyError, ValueError, IndexError):
        return m.entry.explanation


def _way_back(m: _Match, ctx: _Context) -> sp.Basic:
    """The step as it should have been: for a forward match, the written step with the wrong
    part put right when that part shows in it (else the previous line itself)."""
    wrong, right = m.written_part, m.right_part
    if not m.direct or wrong is None or right is None or wrong == ctx.rhs:
        return m.expected_step
    try:
        if ctx.rhs.has(wrong) and not wrong.is_Atom:
            repaired = ctx.rhs.xreplace({wrong: right})
            if ctx.screen_equal(repaired, ctx.lhs) and ctx.exact(repaired, ctx.lhs):
                return repaired
    except Exception:
        pass
    return _way_back_by_terms(m, ctx)


def _way_back_by_terms(m: _Match, ctx: _Context) -> sp.Basic:
    """The written step put right term by term, where the wrong part is not a part of it:
    a term lost (written 0) added back, or a number written for a count (1 for D, in the
    constant −½ of −D/2) put back in the one number term of the written step that holds it.
    Each repair is kept only when it equals the previous line exactly; else the match's own
    way back (the previous line itself for a forward match)."""
    wrong, right = m.written_part, m.right_part
    candidates: list[sp.Basic] = []
    try:
        if wrong == 0 and right != 0:
            candidates.append(ctx.rhs + right)
        elif isinstance(wrong, sp.Number) and wrong != 0 and isinstance(ctx.rhs, sp.Add):
            numbers = [t for t in ctx.rhs.args if t.is_Number]
            if len(numbers) == 1:
                t = numbers[0]
                candidates.append(ctx.rhs - t + t / wrong * right)
        for repaired in candidates:
            ctx.tick()
            if ctx.screen_equal(repaired, ctx.lhs) and ctx.exact(repaired, ctx.lhs):
                return repaired
    except Exception:  # (out of time too: the name stands without this way back)
        pass
    return m.expected_step


def _diagnose(lhs: sp.Expr, rhs: sp.Expr, derivation: Any, step: Any,
              deadline: float) -> Mistake | Unrecognised | None:
    ctx = _Context(lhs, rhs, derivation, step, deadline)
    if ctx.relation not in ("<=", ">=") and not ctx.screen.differs(
            *(ctx.evaluated(e) if e.has(sp.Subs) else e for e in (lhs, rhs))):
        return None  # (a value at a point compared once it is put in)
    matches: list[_Match] = []
    for entry in CATALOGUE:
        try:
            matches.extend(_match(entry, ctx))
        except OutOfTime:
            return Unrecognised(timed_out=True)
        except Exception:
            continue
    # a KL turned round where the derivation writes no divergence at all did not happen:
    # it does not even stand in the way (a precision-weighted mean's weights exchanged)
    matches = [m for m in matches
               if not (m.entry.witness in _IMPOSSIBLE and not witnessed(m, ctx))]
    for m in matches:  # a match the page does not witness only stands in the way
        if m.located and not witnessed(m, ctx):
            m.located = m.witnessed = False
            m.contradicted = contradicts(m, ctx)
        elif not m.located and m.entry.witness in _AGAINST and m.direct:
            # a ½ inside a derivative's value that the page contradicts (none added, none
            # dropped) is no ½ there: a rule of differentiation the page shows is named
            # over it (_choose, shown_instead)
            m.witnessed = witnessed(m, ctx)
        elif not m.located and m.entry.witness in _CONTRADICTING and not witnessed(m, ctx):
            m.witnessed = False  # a site not on the page whose mechanism the page denies
    # a ratio turned over that the author never wrote (inside sigmoid(t)) is no name at all
    matches = [m for m in matches
               if not (m.entry.name in _RATIO_ENTRIES and _ratio_inside_name(m, ctx))]
    matches = _integrand_shown(matches, ctx)
    _derivative_sites(matches, ctx)
    ties: list[list[str]] = [[], [], []]
    chosen = _choose(matches, ties[0])
    if chosen is None:  # a tie the values cannot break: the page may
        chosen = _choose(_page_tie_break(matches, ctx), ties[1])
    if chosen is None:  # or the units: a repair that adds σ to a squared mean is none
        chosen = _choose(_dimension_tie_break(matches, ctx), ties[2])
    if chosen is None:
        tie = next((t for t in reversed(ties) if t), None)
        return Unrecognised(tuple(tie)) if tie else None
    if chosen.entry.relation is not None and ctx.relation in ("<=", ">="):
        # the expression may be right; the relation (or the bound) is not
        return Mistake(chosen.entry.name, _explain(chosen, ctx), None, None,
                       chosen.binding.get("expected_step", rhs), chosen.entry.title,
                       also=chosen.also)
    try:
        found = smallest_difference(lhs, rhs, ctx.screen.differs)
    except Exception:
        found = None
    expected, sub = found if found else (chosen.right_part, chosen.written_part)
    way_back = _way_back(chosen, ctx)
    if way_back == ctx.lhs:  # the written step repaired, when the entry also undid it there
        way_back = next((m.expected_step for m in matches
                         if m.entry is chosen.entry and not m.direct), way_back)
    return Mistake(chosen.entry.name, _explain(chosen, ctx), sub, expected,
                   way_back, chosen.entry.title, chosen.written_part,
                   chosen.right_part, chosen.also)


# --- names10 (fourteenth naming round): the integrand the written step shows ----------------
# A step that keeps its expectations (integrals) and only rearranges under them, expanding a
# square and splitting by linearity (E[(r − 1)²] written E[r²] − 2E[r] + 1), shows its integrand:
# the terms it writes, joined again under one expectation, are a function of the variable point
# by point. A mistake whose simulation gives that value only through a property of the density
# (E_q[p/q] = 1, so E[r²] alone has the value of E[r²] − E[r] + 1) is not what the page shows
# when another mistake's simulation gives the written integrand itself.


def _linear_integrand(e: sp.Basic) -> tuple[Any, sp.Basic] | None:
    """(the construct's variable and range or density, the integrand) of ``e`` read as one
    expectation (one integral) by linearity: c₁·E[f₁] + c₂·E[f₂] + d is E[c₁f₁ + c₂f₂ + d]
    when every expectation is over the same variable and density, each cᵢ free of that
    variable (an expectation of a constant is the constant); integrals over the same range
    join alike, with no term outside them. None when ``e`` is not of that form.

    >>> x = sp.Symbol("x", real=True)
    >>> q, f = sp.Function("q"), sp.Function("f")
    >>> _linear_integrand(2 * Expectation(f(x), x, q(x)) - Expectation(x, x, q(x)) + 1)[1]
    -x + 2*f(x) + 1
    >>> _linear_integrand(sp.Integral(x, (x, 0, 1)) + 1) is None
    True
    """
    key: Any = None
    parts: list[sp.Basic] = []
    rest: list[sp.Basic] = []
    for term in sp.Add.make_args(e):
        found = [n for n in sp.Mul.make_args(term)
                 if type(n) is Expectation or isinstance(n, sp.Integral)]
        if not found:
            rest.append(term)
            continue
        if len(found) != 1:
            return None
        n = found[0]
        k = ((Expectation, n.variable, n.density) if type(n) is Expectation
             else (sp.Integral, n.limits))
        if key is None:
            key = k
        elif k != key:
            return None
        c = term / n
        bound = n.variable if type(n) is Expectation else n.limits[0][0]
        if c.has(bound) or c.has(Expectation, sp.Integral):
            return None
        parts.append(c * (n.integrand if type(n) is Expectation else n.function))
    if key is None or (rest and key[0] is not Expectation):
        return None
    return key, sp.Add(*parts, *rest)


def _same_integrand_shown(ctx: _Context, a: sp.Basic, b: sp.Basic) -> bool | None:
    """Whether ``a`` and ``b``, each read as one expectation (integral) by linearity, have the
    same integrand point by point (None when either cannot be read so)."""
    try:
        la, lb = _linear_integrand(a), _linear_integrand(b)
    except Exception:
        return None
    if la is None or lb is None or la[0] != lb[0]:
        return None
    return ctx.screen_equal(la[1], lb[1]) and ctx.exact(la[1], lb[1])


def _shown_by_linearity(ctx: _Context, parts: Any, path: Path) -> bool:
    """Whether one of ``parts``, a part of an integrand at ``path`` under an expectation of the
    previous line, shows on the written step as its expectation taken by linearity: c·g(x)
    under E over x written c·E[g(x)] (the cross term −2x/λ of E[(x − 1/λ)²] written
    −2E[x]/λ), in a step that keeps that expectation's kind.

    >>> x, lam = sp.symbols("x lam", positive=True)
    >>> f = sp.Function("f")
    >>> lhs = Expectation((x - 1 / lam) ** 2, x, f(x))
    >>> rhs = Expectation(x**2, x, f(x)) - Expectation(x, x, f(x)) / lam + lam**-2
    >>> ctx = type("C", (), {"lhs": lhs, "rhs": rhs, "written_forms": [rhs]})()
    >>> _shown_by_linearity(ctx, [-x / lam], (0,)), _shown_by_linearity(ctx, [-2 * x], (0,))
    (True, False)
    """
    node, around = ctx.lhs, None
    try:
        for i in path:
            if type(node) is Expectation:
                around = node
            node = node.args[i]
        if around is None or not isinstance(parts, (list, tuple)):
            return False
        x = around.variable
        for p in parts:
            c, g = sp.sympify(p).as_independent(x, as_Add=False)
            if g == 1 or not g.has(x):
                continue
            want = c * Expectation(g, x, around.density)
            for form in ctx.written_forms:
                nodes = set(sp.preorder_traversal(form))
                if want in nodes or -want in nodes:
                    return True
    except Exception:
        return False
    return False


def _integrand_shown(matches: list[_Match], ctx: _Context) -> list[_Match]:
    """``matches`` without those whose simulation gives the written step's value but not its
    integrand, when another, located, gives the integrand itself point by point; only on a
    step that evaluates no construct and keeps expectations (integrals) on both sides."""
    if _evaluated_kinds(ctx.lhs, ctx.rhs) or len(matches) < 2 \
            or not ctx.rhs.has(Expectation, sp.Integral):
        return matches
    shown: dict[int, bool | None] = {}
    for i, m in enumerate(matches):
        if m.entry.relation is not None and ctx.relation in ("<=", ">="):
            return matches
        if m.direct:
            wrong = getattr(m, "simulated", None)
            shown[i] = None if wrong is None else _same_integrand_shown(ctx, wrong, ctx.rhs)
        else:
            shown[i] = _same_integrand_shown(ctx, m.expected_step, ctx.lhs)
    if not any(v is True and matches[i].located for i, v in shown.items()):
        return matches
    return [m for i, m in enumerate(matches) if shown[i] is not False]


@in_derivation_order  # its points drawn in the order of the declarations, not of names
def diagnose(lhs: Any, rhs: Any, derivation: Any, step: Any, *,
             candidates: bool = False, seconds: float | None = None
             ) -> Mistake | Unrecognised | None:
    """Name the mistake a refuted step makes, only when it is proved (see the module doc).

    Parameters
    ----------
    lhs : sympy.Expr
        what the step should equal: the previous expression, definitions substituted.
    rhs : sympy.Expr
        what the step wrote, definitions substituted.
    derivation : Derivation or None
        the derivation: its declarations (roles), definitions and earlier lines give roles.
    step : Step or None
        the refuted step: its relation (``≤``/``≥`` steps get relation entries only) and its
        ``wrt`` (what an ``=~`` step optimises).
    candidates : bool
        when True, a step that two or more entries each reproduce exactly, where the page
        shows it, and that nothing on the page decides gives :class:`Unrecognised` with
        their ids instead of None (still no name); so does a search cut short by
        :data:`TIME_BUDGET` (``timed_out``), so that "not recognised" is said apart from
        "ran out of time".
    seconds : float or None
        the CPU seconds the search may take; None for :data:`TIME_BUDGET`.

    Returns
    -------
    Mistake, Unrecognised or None
        the one mistake whose simulation reproduces the written step exactly; None ("not
        recognised") when no entry or several unrelated entries do, when the two sides agree,
        when the time budget (:data:`TIME_BUDGET`) runs out, or on any failure.

    Examples
    --------
    >>> import sympy as sp
    >>> mu, x = sp.symbols("mu x", real=True)
    >>> m = diagnose(x**2 - 2*x*mu + mu**2, x**2 + 2*x*mu + mu**2, None, None)
    >>> m.name, m.subexpression, m.expected
    ('cross-term-sign', 2*mu*x, -2*mu*x)
    """
    try:
        if not isinstance(lhs, sp.Basic) or not isinstance(rhs, sp.Basic):
            return None
        budget = TIME_BUDGET if seconds is None else seconds
        deadline = clock() + budget - 0.05
        out = run_bounded(lambda: _diagnose(lhs, rhs, derivation, step, deadline), budget)
        if out.ok:
            found = out.value
        else:  # cut short by the budget (or by a tier's own clock): say so, name nothing
            found = Unrecognised(timed_out=True) if _ran_out(out.error) else None
        return found if candidates or not isinstance(found, Unrecognised) else None
    except Exception:
        return None


def _ran_out(error: str | None) -> bool:
    """Whether a bounded diagnosis ended for want of time (the bound, or a clock inside)."""
    return bool(error) and (error.startswith("timed out") or error.startswith("OutOfTime"))


def locate_difference(lhs: Any, rhs: Any) -> tuple[sp.Basic, sp.Basic] | None:
    """The smallest part of ``rhs`` that differs from the matching part of ``lhs``.

    For any refuted step, named mistake or not: the parallel tree walk of
    :func:`~elbo_derivation.explain.subexpr.smallest_difference`, comparing sub-expressions
    at the same random points as :func:`diagnose`. Bounded by :data:`TIME_BUDGET`; never
    raises.

    Returns
    -------
    (correct part, written part) or None
        None when the two do not differ at the points, or on any failure.

    Examples
    --------
    >>> import sympy as sp
    >>> s = sp.Symbol("sigma", positive=True)
    >>> mu = sp.Symbol("mu", real=True)
    >>> locate_difference(sp.log(s) + (s**2 + mu**2) / 2, sp.log(s) + (s**2 + mu) / 2)
    (mu**2, mu)
    """
    try:
        if not isinstance(lhs, sp.Basic) or not isinstance(rhs, sp.Basic):
            return None
        symbols = set(lhs.atoms(sp.Symbol)) | set(rhs.atoms(sp.Symbol))
        screen = FloatScreen(symbols, clock() + TIME_BUDGET)
        return smallest_difference(lhs, rhs, screen.differs)
    except Exception:
        return None
