r"""The catalogue of named mistakes, as data.

Each :class:`Entry` is one mistake a student makes in these derivations: a kebab-case
``name``, the ``roles`` it acts on (see :mod:`.roles`), a one-line teaching ``explanation``
(a template in the author's symbols), and its *simulation* from right to wrong:

* ``local(node, roles)``: the wrong versions of one right sub-expression (a ½ dropped from
  it, σ² written σ, a term negated...), applied at every node of the right expression;
* ``undo(node, roles)``: the inverse, applied to the written expression, for steps that also
  transform the expression (then the repaired written step is compared with the previous
  line, and the repair must be undone by ``local`` again);
* ``whole(expr, roles)``: wrong versions of a whole expression (the KL direction swapped,
  every σ² written σ), and ``whole_undo`` its inverse;
* ``relation``: for entries about the relation of a step (an inequality reversed).

``special_case_of`` lists the entries whose simulation contains this one's as a special case
(a dropped ½ in front of everything is also a factor 2): when both reproduce a step the more
specific name is given. Otherwise two entries that both reproduce a step leave it "not
recognised" (see :func:`.mistakes.diagnose`). ``example`` is a (right, written) pair used by
the parametrised tests, with declared roles where structure alone cannot tell them.

Adding a mistake is adding an entry: no code elsewhere changes.

Examples
--------
>>> [e.name for e in CATALOGUE][:3]
['inequality-reversed', 'jensen-reversed', 'overall-sign']
>>> len(CATALOGUE) >= 40
True
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sympy as sp
from sympy.core.function import AppliedUndef

from elbo_derivation.core.expectation import KL, Expectation
from elbo_derivation.decide.networks import parse_shape
from elbo_derivation.explain import simulations as sim
from elbo_derivation.explain.roles import Roles

__all__ = ["BY_NAME", "CATALOGUE", "KIND_OF", "Entry", "Example", "kinds"]

Variant = tuple[sp.Basic, dict[str, Any]]
Local = Callable[[sp.Basic, Roles], list[Variant]]

HALF = sp.Rational(1, 2)


@dataclass(frozen=True)
class Example:
    """A right expression and the wrong one the entry's mistake makes of it."""

    right: sp.Basic
    wrong: sp.Basic
    roles: dict[str, str] = field(default_factory=dict)  # symbol name → declared role
    relation: str = "="


@dataclass(frozen=True)
class Entry:
    """One mistake of the catalogue (see the module docstring)."""

    name: str
    title: str
    roles: tuple[str, ...]
    explanation: str
    local: Local | None = field(default=None, repr=False)
    undo: Local | None = field(default=None, repr=False)
    whole: Local | None = field(default=None, repr=False)
    whole_undo: Local | None = field(default=None, repr=False)
    relation: Callable[[Any], dict[str, Any] | None] | None = field(default=None, repr=False)
    special_case_of: tuple[str, ...] = ()
    example: Example | None = field(default=None, repr=False, compare=False)
    #: the part the simulation changes must be a term of the previous line as its author
    #: wrote it (``let`` names not expanded): a term that only appears once definitions are
    #: substituted and simplified was never on the page, so it cannot have been dropped
    written_before: bool = False
    #: what the page must show for the name to apply (checked by
    #: :func:`.mistakes.witnessed` on the previous line and the step as their author wrote
    #: them): a generic entry matches by value, and the same value may come from another
    #: mechanism the page shows (see ``WITNESSES`` at the end of this module)
    witness: str = ""


# --- small helpers ---------------------------------------------------------------------------


def _terms(node: sp.Basic) -> tuple[sp.Basic, ...]:
    return node.args if isinstance(node, sp.Add) else ()


def _each_term(node: sp.Basic, change: Callable[[sp.Basic], list[sp.Basic]],
               keep: Callable[[sp.Basic, sp.Basic], bool] = lambda t, n: True,
               ) -> list[Variant]:
    """Variants of a sum with one term changed (``change(term)`` gives the new terms)."""
    out: list[Variant] = []
    for i, t in enumerate(_terms(node)):
        if not keep(t, node):
            continue
        rest = node.args[:i] + node.args[i + 1:]
        for new in change(t):
            out.append((sp.Add(*rest, new), {"right": t, "wrong": new}))
    return out


def _is_square(t: sp.Basic) -> bool:
    return t.is_Pow and t.exp == 2


def _square_of_difference(t: sp.Basic) -> bool:
    return _is_square(t) and isinstance(t.base, sp.Add) and len(t.base.args) == 2


def _density_ratio(e: sp.Basic) -> bool:
    """Whether ``e`` is a density or a ratio or product of densities (declared densities are
    positive functions; a real function such as a logit a(d) is not one), up to a number."""
    factors = [f.base if f.is_Pow else f for f in sp.Mul.make_args(e)]
    return (any(isinstance(f, AppliedUndef) for f in factors)
            and all(f.is_number or (isinstance(f, AppliedUndef) and f.is_positive
                                    and not _sequence_entry(f))
                    for f in factors))


def _sequence_entry(f: sp.Basic) -> bool:
    """Whether ``f`` is an entry of a declared sequence, σ_j at an integer index (a positive
    quantity such as a scale, never a density: log σ_j² is no log-density).

    >>> j = sp.Symbol("j", integer=True)
    >>> _sequence_entry(sp.Function("sigma", positive=True)(j)), _sequence_entry(_pz)
    (True, False)
    """
    return (len(f.args) == 1 and f.args[0].is_integer is True
            and "(" not in f.func.__name__)


def _abstract_logs(t: sp.Basic) -> list[sp.Basic]:
    """The logs of densities in ``t`` (log p(x), log(q/p)), never a log of another
    expression that merely holds a function (log(1 + e^{a(d)}) is a softplus, not a
    log-density)."""
    return [n for n in sp.preorder_traversal(t)
            if isinstance(n, sp.log) and _density_ratio(n.args[0])]


def _bound_in(t: sp.Basic) -> set[sp.Basic]:
    out: set[sp.Basic] = set()
    for n in sp.preorder_traversal(t):
        if isinstance(n, Expectation):
            out.add(n.variable)
        elif isinstance(n, sp.Integral):
            out.update(lim[0] for lim in n.limits)
    return out


def _sym(role: str) -> Callable[[sp.Basic, Roles], bool]:
    return lambda node, roles: isinstance(node, sp.Symbol) and roles.role(node) == role


# --- simulations -----------------------------------------------------------------------------


def _negate_term(node: sp.Basic, roles: Roles) -> list[Variant]:
    """One term of a sum negated; an exponent of one term is a sum of one term
    (e^{−λ} written e^{λ})."""
    if isinstance(node, sp.exp) and not isinstance(node.args[0], sp.Add) and \
            node.args[0].free_symbols:
        t = node.args[0]
        return [(sp.exp(-t), {"right": t, "wrong": -t})]
    return _each_term(node, lambda t: [-t])


def _whole_negate(expr: sp.Basic, roles: Roles) -> list[Variant]:
    return [(-expr, {"right": expr, "wrong": -expr})]


def _whole_double(expr: sp.Basic, roles: Roles) -> list[Variant]:
    return [(2 * expr, {"right": expr, "wrong": 2 * expr})]


def _whole_halve(expr: sp.Basic, roles: Roles) -> list[Variant]:
    return [(expr / 2, {"right": expr, "wrong": expr / 2})]


def _has_even_denominator(node: sp.Basic) -> bool:
    if isinstance(node, sp.Add):
        return all(_has_even_denominator(t) for t in node.args)
    c = node.as_coeff_Mul()[0] if isinstance(node, sp.Mul) else node
    return bool(c.is_Rational and c.q % 2 == 0)


def _drop_half(node: sp.Basic, roles: Roles) -> list[Variant]:
    if isinstance(node, (sp.Mul, sp.Add)) or (node.is_Rational and node != 0):
        if _has_even_denominator(node):
            return [(2 * node, {"right": node, "wrong": 2 * node})]
    return []


def _not_in_a_denominator(expr: sp.Basic, path: tuple[int, ...]) -> bool:
    """Whether the node at ``path`` stands outside every negative power: a ½ put back in a
    denominator (1/(s²/2) for 1/s²) is a factor 2 on the value, a ½ nobody writes there."""
    node = expr
    for i in path:
        if node.is_Pow and i == 0 and node.exp.could_extract_minus_sign():
            return False
        node = node.args[i]
    return True


def _restore_half(node: sp.Basic, roles: Roles) -> list[Variant]:
    if isinstance(node, (sp.Mul, sp.Add, sp.log, sp.Pow, sp.Symbol)) or (
            node.is_Rational and node != 0):
        return [(node / 2, {"right": node / 2, "wrong": node,
                            "guard": _not_in_a_denominator})]
    return []


# functions whose argument shifted by a constant is a recursion (Γ(s + 1) = sΓ(s), n! = n·(n − 1)!)
_RECURSIVE = (sp.gamma, sp.factorial, sp.binomial, sp.loggamma, sp.polygamma, sp.beta,
              sp.RisingFactorial, sp.FallingFactorial)


def _not_in_a_recursive_argument(expr: sp.Basic, path: tuple[int, ...]) -> bool:
    """Whether the node at ``path`` stands outside every argument of Γ, a factorial, a binomial
    coefficient or a digamma: Γ(n + 2) written Γ(n + 1) moves the argument by one (a
    recursion applied wrong), it does not halve a factor of the value."""
    return not sim.under(expr, path, _RECURSIVE)


def _add_half(node: sp.Basic, roles: Roles) -> list[Variant]:
    if isinstance(node, (sp.Mul, sp.Add, sp.log)) or (node.is_Rational and node != 0):
        return [(node / 2, {"right": node, "wrong": node / 2,
                            "guard": _not_in_a_recursive_argument})]
    return []


def _remove_added_half(node: sp.Basic, roles: Roles) -> list[Variant]:
    if (isinstance(node, (sp.Mul, sp.Add)) or node.is_Rational) and \
            _has_even_denominator(node):
        return [(2 * node, {"right": 2 * node, "wrong": node})]
    return []


def _drop_term(node: sp.Basic, roles: Roles) -> list[Variant]:
    if len(_terms(node)) < 2:
        return []
    return _each_term(node, lambda t: [sp.S(0)])


def _is_minus_one(t: sp.Basic) -> bool:
    return t in (sp.Integer(-1), -HALF)


def _a_term_not_an_index(expr: sp.Basic, path: tuple[int, ...]) -> bool:
    """Whether the node at ``path`` stands outside every argument of Γ, a factorial or a
    binomial coefficient: (y − 1)! written for (y − 2)! moves the index of a recursion, it does
    not lose a constant term."""
    return not sim.under(expr, path, _RECURSIVE)


def _drop_minus_one(node: sp.Basic, roles: Roles) -> list[Variant]:
    """A −1 (or −½ after a factor ½) lost; from a constant that merged several, one of them."""
    def lose(t: sp.Basic) -> list[sp.Basic]:
        if _is_minus_one(t):
            return [sp.S(0)]
        if t.is_Rational and t < -1:
            return [t + 1, t + HALF]
        return []
    return [(new, {**b, "constant": b["right"] - b["wrong"], "guard": _a_term_not_an_index})
            for new, b in _each_term(node, lose)]


def _restore_minus_one(node: sp.Basic, roles: Roles) -> list[Variant]:
    """A −1 (or −½) put back into a sum of the written step. Not into a sum whose constant
    is positive: losing a negative constant leaves none, or a smaller negative one, never a
    positive one (½(… + 1) for ½(… − 1) is a sign, not a loss)."""
    if not isinstance(node, sp.Add):
        return []
    if sp.expand(node).as_coeff_Add()[0].is_positive:
        return []
    return [(node + c, {"right": node + c, "wrong": node, "lhs_constant": c, "constant": c,
                        "guard": _a_term_not_an_index})
            for c in (sp.Integer(-1), -HALF)]


def _is_normaliser_term(t: sp.Basic, roles: Roles) -> bool:
    """A term c·log(...) whose log holds π and a variance-like parameter: −½ log(2πσ²)."""
    factors = sp.Mul.make_args(t)
    if not all(isinstance(f, (sp.log, sp.Number)) for f in factors):
        return False
    for lg in (f for f in factors if isinstance(f, sp.log)):
        arg = lg.args[0]
        if arg.has(sp.pi) and any(roles.role(s) in ("variance", "standard-deviation",
                                                       "log-variance", "precision")
                                  for s in arg.free_symbols):
            return True
    return False


def _drop_normaliser(node: sp.Basic, roles: Roles) -> list[Variant]:
    out = _each_term(node, lambda t: [sp.S(0)], keep=lambda t, n: _is_normaliser_term(t, roles))
    if isinstance(node, sp.Mul):
        for i, f in enumerate(node.args):
            if f.is_Pow and f.exp == -HALF and f.base.has(sp.pi):
                rest = sp.Mul(*(node.args[:i] + node.args[i + 1:]))
                out.append((rest, {"right": f, "wrong": sp.S(1)}))
    return out


_CONSTANT_CHANGES = (lambda c: c + 1, lambda c: c - 1, lambda c: c + HALF, lambda c: c - HALF,
                     lambda c: 2 * c, lambda c: c / 2, lambda c: -c)


def _change_constant(node: sp.Basic, roles: Roles) -> list[Variant]:
    return _each_term(node, lambda t: [v for f in _CONSTANT_CHANGES if (v := f(t)) != 0]
                      if t.is_Rational else [])


def _restore_constant(node: sp.Basic, roles: Roles) -> list[Variant]:
    if not isinstance(node, sp.Add):
        return []
    c = node.as_coeff_Add()[0]
    rest = node - c
    out = []
    if c == 0:
        return []  # a constant added is not a constant written wrong
    for new in {c - 1, c + 1, c - HALF, c + HALF, c / 2, 2 * c, -c} - {c, sp.S(0)}:
        out.append((rest + new, {"right": new, "wrong": c}))
    return out


_PI_FORMS = [k * sp.pi for k in (1, 2, 4, HALF)] + [sp.sqrt(2 * sp.pi), sp.sqrt(sp.pi)]


def _round_pi(node: sp.Basic, roles: Roles) -> list[Variant]:
    if node not in _PI_FORMS:
        return []
    out = []
    for digits in (2, 3, 4, 5, 6):
        pi = sp.Float(round(float(sp.pi), digits), 15)
        for wrong in {node.xreplace({sp.pi: pi}), sp.Float(round(float(node), digits), 15)}:
            out.append((wrong, {"right": node, "wrong": wrong}))
    return out


def _unround_pi(node: sp.Basic, roles: Roles) -> list[Variant]:
    if not node.is_Number or node.is_Integer:
        return []
    v = float(node)
    return [(form, {"right": form, "wrong": node}) for form in _PI_FORMS
            if v != 0 and abs(float(form) / v - 1) < 0.003]


def _families_with_mean(roles: Roles) -> list[Any]:
    return [f for f in roles.families if f.mean is not None]


def _moment_forget(which: str) -> Local:
    def local(node: sp.Basic, roles: Roles) -> list[Variant]:
        out = []
        terms = _terms(node)
        for f in _families_with_mean(roles):
            v, m2 = f.variance, f.mean**2
            for t in terms:
                k = sp.cancel(t / v)
                if k.is_Number and k * m2 in terms:
                    drop = k * m2 if which == "mean" else t
                    out.append((node - drop, {"right": v + m2, "wrong": v + m2 - drop / k,
                                              "s": f.param, "m": f.mean}))
        return out
    return local


def _moment_restore(which: str) -> Local:
    def undo(node: sp.Basic, roles: Roles) -> list[Variant]:
        out = []
        for f in _families_with_mean(roles):
            v, m2 = f.variance, f.mean**2
            if node == (v if which == "mean" else m2):
                out.append((v + m2, {"right": v + m2, "wrong": node, "s": f.param,
                                     "m": f.mean}))
        return out
    return undo


def _other_parameter(node: sp.Basic, roles: Roles) -> list[Variant]:
    role = roles.role(node) if isinstance(node, sp.Symbol) else None
    if role not in ("mean", "standard-deviation", "variance", "log-variance", "precision"):
        return []
    return [(o, {"right": node, "wrong": o, "s": node, "o": o})
            for o in roles.having(role) if o != node]


def _replace_symbol(role: str, old: Callable[[sp.Symbol], sp.Basic],
                    new: Callable[[sp.Symbol], sp.Basic]) -> Local:
    """One occurrence of ``old(s)`` written ``new(s)``, for each symbol ``s`` with ``role``."""
    def local(node: sp.Basic, roles: Roles) -> list[Variant]:
        out = []
        for s in roles.having(role):
            if node == old(s):
                out.append((new(s), {"right": node, "wrong": new(s), "s": s}))
        return out
    return local


def _not_the_argument_of_a_log(expr: sp.Basic, path: tuple[int, ...]) -> bool:
    """Whether the node at ``path`` is not the whole argument of a log: there a/b for b/a is
    log a − log b for log b − log a, the sign of a term (sign-error), not a confused role."""
    if not path:
        return True
    parent = expr
    for i in path[:-1]:
        parent = parent.args[i]
    return not isinstance(parent, sp.log)


def _rate_scale(node: sp.Basic, roles: Roles) -> list[Variant]:
    """A rate λ written where the scale 1/λ is meant, and back (not as a log's argument)."""
    out = (_replace_symbol("rate", lambda s: 1 / s, lambda s: s)(node, roles)
           + _replace_symbol("rate", lambda s: s, lambda s: 1 / s)(node, roles))
    return [(new, {**b, "guard": _not_the_argument_of_a_log}) for new, b in out]


def _replace_everywhere(role: str, old: Callable[[sp.Symbol], sp.Basic],
                        new: Callable[[sp.Symbol], sp.Basic]) -> Local:
    """Every occurrence of ``old(s)`` written ``new(s)`` (the same confusion throughout)."""
    def whole(expr: sp.Basic, roles: Roles) -> list[Variant]:
        out = []
        for s in roles.having(role):
            if not expr.has(s):
                continue
            dummy = sp.Dummy("d", positive=True)
            o = old(s)
            if o == s:
                changed = expr.xreplace({s: new(s)})
            else:
                changed = expr.xreplace({o: dummy}).xreplace({dummy: new(s)})
                if changed.has(s) and new(s) != s and not new(s).has(s):
                    continue
            if changed != expr:
                out.append((changed, {"right": o, "wrong": new(s), "s": s}))
        return out
    return whole


def _in_log(role: str, old: Callable[[sp.Symbol], sp.Basic],
            new: Callable[[sp.Symbol], sp.Basic]) -> Local:
    def local(node: sp.Basic, roles: Roles) -> list[Variant]:
        if not isinstance(node, sp.log):
            return []
        out = []
        for s in roles.having(role):
            arg = node.args[0]
            o = old(s)
            if arg.has(o):
                dummy = sp.Dummy("d", positive=True)
                changed = sp.log(arg.xreplace({o: dummy}).xreplace({dummy: new(s)}))
                if changed != node:
                    out.append((changed, {"right": node, "wrong": changed, "s": s}))
        return out
    return local


def _why(variants: list[Variant], why: str) -> list[Variant]:
    """The variants with the reason their mistake is one (``{s}`` the symbol), for the
    explanation."""
    out = []
    for new, b in variants:
        name = b.get("s")
        shown = str(name) if name is None else _show_symbol(name)
        out.append((new, {**b, "why": why.replace("{s}", shown)}))
    return out


def _show_symbol(s: sp.Basic) -> str:
    try:
        from elbo_derivation.report.pretty import pretty

        return pretty(s)
    except Exception:
        return str(s)


def _scale_log_variances(expr: sp.Basic, roles: Roles, k: sp.Basic) -> list[Variant]:
    """Every log-variance ℓ that stands on its own (not as exp ℓ, the variance) multiplied by
    ``k``: ℓ/2 = log σ written where ℓ = log σ² is meant, the same confusion throughout."""
    ells = [s for s in roles.having("log-variance") if expr.has(s)]
    if not ells:
        return []
    hidden = {sp.exp(s): sp.Dummy("v", positive=True) for s in ells}
    body = expr.xreplace(hidden)
    if not any(body.has(s) for s in ells):
        return []
    changed = body.xreplace({s: k * s for s in ells}).xreplace(
        {d: v for v, d in hidden.items()})
    s = ells[0]
    return [(changed, {"right": s, "wrong": k * s, "s": s,
                       "why": f"{_show_symbol(s)}/2 = log σ is half of it"})]


def _halve_log_variances(expr: sp.Basic, roles: Roles) -> list[Variant]:
    return _scale_log_variances(expr, roles, HALF)


def _double_log_variances(expr: sp.Basic, roles: Roles) -> list[Variant]:
    return _scale_log_variances(expr, roles, sp.Integer(2))


def _split_log(node: sp.Basic, roles: Roles) -> list[Variant]:
    if isinstance(node, sp.log) and isinstance(node.args[0], sp.Add):
        wrong = sp.Add(*(sp.log(t) for t in node.args[0].args))
        return [(wrong, {"right": node, "wrong": wrong})]
    return []


def _log_terms(node: sp.Basic) -> dict[sp.Basic, list[sp.Basic]]:
    """The terms c·log(a) of a sum, by their coefficient c."""
    out: dict[sp.Basic, list[sp.Basic]] = {}
    for t in _terms(node):
        c, rest = t.as_coeff_Mul()
        if isinstance(rest, sp.log):
            out.setdefault(c, []).append(t)
    return out


def _join_logs(node: sp.Basic, roles: Roles) -> list[Variant]:
    """c·log a + c·log b + … written c·log(a + b + …): the logs of a sum joined into the log
    of the sum (every such group of terms, all of its logs at once)."""
    out = []
    for c, group in _log_terms(node).items():
        if len(group) < 2:
            continue
        joined = c * sp.log(sp.Add(*(t.as_coeff_Mul()[1].args[0] for t in group)))
        rest = [t for t in _terms(node) if t not in group]
        out.append((sp.Add(*rest, joined), {"right": sp.Add(*group), "wrong": joined}))
    return out


def _log_product_as_product(node: sp.Basic, roles: Roles) -> list[Variant]:
    if isinstance(node, sp.log) and isinstance(node.args[0], sp.Mul):
        wrong = sp.Mul(*(sp.log(t) for t in node.args[0].args))
        return [(wrong, {"right": node, "wrong": wrong})]
    return []


def _log_power_lost(node: sp.Basic, roles: Roles) -> list[Variant]:
    if isinstance(node, sp.log) and node.args[0].is_Pow and node.args[0].exp not in (
            1, -1, HALF, -HALF):
        wrong = sp.log(node.args[0].base)
        return [(wrong, {"right": node, "wrong": wrong})]
    return []


def _root_lost_in_log(node: sp.Basic, roles: Roles) -> list[Variant]:
    """log √B written log B: a square root inside the log lost (log(1/√h) taken as −log h).

    SymPy may already have split √(2πσ²) into √2·√π·σ, so the root of the whole argument is
    also tried: log A written log A² when A shows a square root.
    """
    if not isinstance(node, sp.log):
        return []
    out = []
    arg = node.args[0]
    roots = [sub for sub in sp.preorder_traversal(arg) if sub.is_Pow and sub.exp in (HALF, -HALF)]
    for sub in roots:
        wrong = sp.log(arg.xreplace({sub: sub.base ** (2 * sub.exp)}))
        out.append((wrong, {"right": node, "wrong": wrong}))
    if roots and any(f in roots for f in sp.Mul.make_args(arg)):
        wrong = sp.log(sp.expand_power_base(arg**2, force=False))
        out.append((wrong, {"right": node, "wrong": wrong}))
    return out


def _flip_log(node: sp.Basic, roles: Roles) -> list[Variant]:
    if isinstance(node, sp.log) and any(p.is_Pow and p.exp.is_negative
                                        for p in sp.Mul.make_args(node.args[0])):
        wrong = sp.log(1 / node.args[0])
        return [(wrong, {"right": node, "wrong": wrong})]
    return []


def _flip_ratio(node: sp.Basic, roles: Roles) -> list[Variant]:
    """A ratio a/b of two expressions with symbols written b/a, outside a log (inside one it
    is :func:`_flip_log`'s log-ratio-flipped)."""
    if not isinstance(node, sp.Mul):
        return []
    num, den = sp.fraction(node)
    if not (num.free_symbols and den.free_symbols):
        return []
    if any(roles.role(x) in ("precision", "rate") for x in node.free_symbols):
        return []  # b/a for a/b with precisions (rates) is also each one for its reciprocal
    wrong = den / num
    return [(wrong, {"right": node, "wrong": wrong, "guard": _not_the_argument_of_a_log})]


def _square_pairs(node: sp.Basic) -> list[tuple[int, sp.Basic, sp.Basic, sp.Basic]]:
    """Terms ±2ab of a sum that also holds a² and b² (an expanded square)."""
    out = []
    terms = _terms(node)
    squares = {t.base for t in terms if _is_square(t)}
    for i, t in enumerate(terms):
        coeff, rest = t.as_coeff_Mul()
        if abs(coeff) != 2:
            continue
        factors = sp.Mul.make_args(rest)
        if len(factors) == 2 and all(f in squares for f in factors):
            out.append((i, t, factors[0], factors[1]))
        elif len(factors) == 1 and _is_square(rest) and rest.base in squares:
            out.append((i, t, rest.base, rest.base))
    return out


def _cross_term_sign(node: sp.Basic, roles: Roles) -> list[Variant]:
    out = []
    for i, t, _, _ in _square_pairs(node):
        wrong = sp.Add(*(node.args[:i] + node.args[i + 1:]), -t)
        out.append((wrong, {"right": t, "wrong": -t}))
    return out


def _binomial_lost(node: sp.Basic, roles: Roles) -> list[Variant]:
    out = []
    for i, t, _, _ in _square_pairs(node):
        wrong = sp.Add(*(node.args[:i] + node.args[i + 1:]), t / 2)
        out.append((wrong, {"right": t, "wrong": t / 2}))
    return out


def _binomial_restore(node: sp.Basic, roles: Roles) -> list[Variant]:
    out = []
    terms = _terms(node)
    squares = {t.base for t in terms if _is_square(t)}
    for i, t in enumerate(terms):
        coeff, rest = t.as_coeff_Mul()
        factors = sp.Mul.make_args(rest)
        if abs(coeff) == 1 and len(factors) == 2 and all(f in squares for f in factors):
            wrong = sp.Add(*(node.args[:i] + node.args[i + 1:]), 2 * t)
            out.append((wrong, {"right": 2 * t, "wrong": t}))
    return out


def _missing_cross(node: sp.Basic, roles: Roles) -> list[Variant]:
    if _square_of_difference(node):
        wrong = sp.Add(*(t**2 for t in node.base.args))
        return [(wrong, {"right": node, "wrong": wrong})]
    return []


def _sign_in_square(node: sp.Basic, roles: Roles) -> list[Variant]:
    if _square_of_difference(node):
        a, b = node.base.args
        if a.could_extract_minus_sign():
            a, b = b, a  # (x − y)² written (x + y)², not (−y − x)²
        wrong = (a - b) ** 2
        return [(wrong, {"right": node, "wrong": wrong})]
    return []


def _square_of_sum(node: sp.Basic, roles: Roles) -> list[Variant]:
    terms = _terms(node)
    if len(terms) >= 2 and all(_is_square(t) for t in terms):
        wrong = sp.Add(*(t.base for t in terms)) ** 2
        return [(wrong, {"right": node, "wrong": wrong})]
    return []


def _kl_normal(m1: sp.Expr, v1: sp.Expr, m2: sp.Expr, v2: sp.Expr) -> sp.Expr:
    """KL(N(m1, v1) ‖ N(m2, v2)) for variances v1, v2 (notes §3.3)."""
    return sp.log(v2 / v1) / 2 + (v1 + (m1 - m2) ** 2) / (2 * v2) - HALF



def _as_undo(fn: Local) -> Local:
    """A forward simulation used to repair the written step: applied to what was written, it
    yields the repair, and its binding's roles turn round (what it calls right is what was
    written, what it calls wrong is the repair; so too the two densities of a KL)."""
    swaps = (("right", "wrong"), ("q", "p"))

    def undo(node: sp.Basic, roles: Roles) -> list[Variant]:
        out = []
        for new, b in fn(node, roles):
            b = dict(b)
            for a, c in swaps:
                if a in b and c in b:
                    b[a], b[c] = b[c], b[a]
            out.append((new, b))
        return out
    return undo


def _swap_kl_nodes(expr: sp.Basic, roles: Roles) -> list[Variant]:
    """Each KL(q ‖ p) node of ``expr`` written KL(p ‖ q)."""
    out: list[Variant] = []
    for node in expr.atoms(KL):
        swapped = KL(node.p, node.q, node.variable)
        out.append((expr.xreplace({node: swapped}), {"q": node.q, "p": node.p}))
    return out


def _swap_kl(expr: sp.Basic, roles: Roles) -> list[Variant]:
    out: list[Variant] = _swap_kl_nodes(expr, roles)
    for q, p in roles.kl_pairs:
        if expr.has(q) and expr.has(p):
            swapped = expr.xreplace({q: p, p: q})
            out.append((swapped, {"q": q, "p": p}))
    fams = roles.families
    for i, f1 in enumerate(fams):
        for f2 in fams[i + 1:]:
            if f1.kind != f2.kind or f1.param == f2.param:
                continue
            mapping: dict[sp.Basic, sp.Basic] = {f1.param: f2.param, f2.param: f1.param}
            means = roles.having("mean")
            pairs = [(a, b) for a in means for b in means if str(a) < str(b)] or [(None, None)]
            for a, b in pairs:
                m = dict(mapping)
                if a is not None:
                    m.update({a: b, b: a})
                out.append((expr.xreplace(m), {"q": f1.param, "p": f2.param}))
    for f in fams:  # KL(q ‖ N(0, 1)) written as KL(N(0, 1) ‖ q), and the reverse
        for m in [f.mean] if f.mean is not None else roles.having("mean"):
            out.append((_kl_normal(0, 1, m, f.variance),
                        {"q": f.param, "p": sp.Symbol("N(0,1)"),
                         "needs": _kl_normal(m, f.variance, 0, 1)}))
            out.append((_kl_normal(m, f.variance, 0, 1),
                        {"q": sp.Symbol("N(0,1)"), "p": f.param,
                         "needs": _kl_normal(0, 1, m, f.variance)}))
    return out


def _density_sides(app: sp.Basic) -> tuple[set[sp.Basic], set[sp.Basic]]:
    """The variables of a density's outcome and those it is conditioned on: q(z|x, y) gives
    ({z}, {x, y}); a function that is no density gives its variables as outcome."""
    shape = parse_shape(app.func.__name__)
    n = len(shape[1]) if shape is not None else len(app.args)
    left = {v for arg in app.args[:n] for v in arg.free_symbols}
    right = {v for arg in app.args[n:] for v in arg.free_symbols}
    return left, right


def _flip_abstract_term(evidence: bool) -> Local:
    """Variants with one log-density term negated: the evidence's term (``evidence``) or
    another's. A term is the evidence's when its densities hold no bound variable and every
    other density of the expression that is not about the term's variables is conditioned on
    no more than them: log p(x) beside q(z|x) and p(x|z), but not the label prior log p(y)
    beside q(z|x, y), which conditions on x as well (p(y) is a marginal of one observed
    variable, not the evidence of both)."""
    def local(node: sp.Basic, roles: Roles) -> list[Variant]:
        every = [a for lg in _abstract_logs(node) for a in lg.atoms(AppliedUndef)]
        outer = _bound_in(node) | set(roles.bound)

        def is_evidence(apps: list[sp.Basic], bound: set[sp.Basic]) -> bool:
            if any(set(a.args) & bound for a in apps):
                return False
            mine = {v for a in apps for v in _density_sides(a)[0] | _density_sides(a)[1]}
            for other in every:
                left, right = _density_sides(other)
                if not left & mine and not (right - outer) <= mine:
                    return False
            return True

        def keep(t: sp.Basic, n: sp.Basic) -> bool:
            logs = _abstract_logs(t)
            if not logs:
                return False
            apps = [a for lg in logs for a in lg.atoms(AppliedUndef)]
            return is_evidence(apps, _bound_in(t) | roles.bound) == evidence
        return _each_term(node, lambda t: [-t], keep)
    return local


def _invert_bayes(node: sp.Basic, roles: Roles) -> list[Variant]:
    if not isinstance(node, sp.log):
        return []
    num, den = sp.fraction(node.args[0])
    nums = [f for f in sp.Mul.make_args(num) if isinstance(f, AppliedUndef)]
    dens = [f for f in sp.Mul.make_args(den) if isinstance(f, AppliedUndef)]
    out = []
    if len(nums) + len(dens) >= 3 and dens:
        for a in nums:
            for b in dens:
                wrong = sp.log(node.args[0] * b**2 / a**2)
                out.append((wrong, {"right": node, "wrong": wrong}))
    return out


def _split_expectation(node: sp.Basic, roles: Roles) -> list[Variant]:
    if type(node) is not Expectation or not isinstance(node.integrand, sp.Mul):
        return []
    z = node.variable
    deps = [f for f in node.integrand.args if f.has(z)]
    if len(deps) < 2:
        return []
    rest = sp.Mul(*(f for f in node.integrand.args if not f.has(z)))
    wrong = rest * sp.Mul(*(Expectation(f, z, node.density) for f in deps))
    return [(wrong, {"right": node, "wrong": wrong})]


def _swap_log_expectation(node: sp.Basic, roles: Roles) -> list[Variant]:
    if isinstance(node, sp.log) and type(node.args[0]) is Expectation:
        e = node.args[0]
        wrong = Expectation(sp.log(e.integrand), e.variable, e.density)
        return [(wrong, {"right": node, "wrong": wrong})]
    if type(node) is Expectation and isinstance(node.integrand, sp.log):
        wrong = sp.log(Expectation(node.integrand.args[0], node.variable, node.density))
        return [(wrong, {"right": node, "wrong": wrong})]
    return []


def _variance_for_balancing(node: sp.Basic, roles: Roles) -> list[Variant]:
    if not isinstance(node, sp.Mul):
        return []
    out = []
    for c in roles.having("variance"):
        k = 1 / (2 * c)
        if (node / k).has(c):
            continue
        rest = node / k
        if rest.has(sp.Pow) or rest.has(Expectation) or rest.has(sp.Integral):
            out.append((c * rest, {"right": k, "wrong": c, "s": c}))
            out.append((2 * c * rest, {"right": k, "wrong": 2 * c, "s": c}))
    return out


def _balancing_for_variance(node: sp.Basic, roles: Roles) -> list[Variant]:
    out = []
    for c in roles.having("variance"):
        if isinstance(node, sp.Mul) and node.has(c) and (node / c).has(sp.Pow) \
                and not (node / c).has(c):
            rest = node / c
            out.append((rest / (2 * c), {"right": 1 / (2 * c), "wrong": c, "s": c}))
    return out


def _drop_pi(node: sp.Basic, roles: Roles) -> list[Variant]:
    if isinstance(node, (sp.log, sp.Pow)) and not isinstance(node, sp.exp):
        arg = node.args[0] if isinstance(node, sp.log) else node.base
        if isinstance(arg, sp.Mul) and sp.pi in arg.args:
            new_arg = arg / sp.pi
            wrong = sp.log(new_arg) if isinstance(node, sp.log) else new_arg ** node.exp
            return [(wrong, {"right": node, "wrong": wrong})]
    return []


def _dimension_changes(expr: sp.Basic, roles: Roles) -> list[Variant]:
    out = []
    for d in roles.having("dimension"):
        if expr.has(d):
            for new in (d / 2, 2 * d, d - 1, d + 1):
                out.append((expr.xreplace({d: new}), {"right": d, "wrong": new, "s": d}))
    return out


def _chain_rule(expr: sp.Basic, roles: Roles) -> list[Variant]:
    out = []
    for der in expr.atoms(sp.Derivative):
        f = der.expr
        if len(der.variables) != 1:
            continue
        theta = der.variables[0]
        seen = set()
        # the whole function, and each term of a sum on its own (the derivative of a sum is
        # the sum of the derivatives: the factor may be forgotten in one of them)
        parts = [f, *(_terms(f) if len(_terms(f)) > 1 else ())]
        for part in parts:
            rest = sp.diff(f - part, theta) if part is not f else sp.S(0)
            for u in sp.preorder_traversal(part):
                if u == part or u == theta or (part, u) in seen or not u.has(theta) \
                        or u.is_Number:
                    continue
                seen.add((part, u))
                t = sp.Dummy("u")
                g = part.xreplace({u: t})
                if g.has(theta) or not g.has(t):
                    continue
                try:
                    wrong_d = rest + sp.diff(g, t).xreplace({t: u})
                except ValueError:  # g′ left unevaluated (an expectation's), u no variable
                    continue
                out.append((expr.xreplace({der: wrong_d}),
                            {"right": sp.diff(f, theta), "wrong": wrong_d, "inner": u}))
    return out


# --- relations ---------------------------------------------------------------------------------


def _reversed_relation(ctx: Any) -> dict[str, Any] | None:
    return ctx.reversed_relation_holds()


def _logs_of_one_expectation(small: sp.Basic, inner: Expectation) -> bool:
    """Whether ``small`` is Σ_k c_k·E[f_k], every expectation over the variable and the
    density of ``inner`` and every c_k free of that variable, with Σ_k c_k f_k equal to
    log of the integrand of ``inner`` by the rules of logs of positive factors: E[log f]
    written by linearity as several expectations (E_q[log p(x|z) + log p(z)] − E_q[log q])."""
    parts = []
    for term in sp.Add.make_args(small):
        coeff, e = term.as_independent(Expectation, as_Add=False)
        if not (type(e) is Expectation and e.variable == inner.variable
                and e.density == inner.density and not coeff.has(inner.variable)):
            return False
        parts.append(coeff * e.integrand)
    if len(parts) < 2:
        return False
    gap = sp.Add(*parts) - sp.log(inner.integrand)
    return sp.expand(sp.expand_log(gap, deep=True)) == 0  # positivity only, never force


def _jensen_pattern(ctx: Any) -> dict[str, Any] | None:
    """log E[f] against E[log f] (same f, same density) with ≤ where Jensen gives ≥.

    Jensen's inequality for the concave log proves log E[f] ≥ E[log f]; the step claims the
    reverse, so the reversed relation is proved by the theorem itself.
    """
    def pair(big: sp.Basic, small: sp.Basic) -> bool:
        if not (isinstance(big, sp.log) and type(big.args[0]) is Expectation):
            return False
        inner = big.args[0]
        if (type(small) is Expectation and isinstance(small.integrand, sp.log)
                and small.integrand.args[0] == inner.integrand
                and small.density == inner.density and small.variable == inner.variable):
            return True
        return _logs_of_one_expectation(small, inner)


    a, b = ctx.lhs, ctx.rhs
    if ctx.relation == "<=" and pair(a, b):
        return {"holds": "≥", "written": "≤", "chain": ""}
    if ctx.relation == ">=" and pair(b, a):
        return {"holds": "≤", "written": "≥", "chain": ""}
    return None


# --- examples (symbols with the assumptions the reading layer gives them) --------------------

_x, _z, _m, _m1, _m2, _g, _xh = sp.symbols("x z mu mu_1 mu_2 g x_hat", real=True)
_s, _s1, _s2, _h, _c, _l, _lam, _p, _D = sp.symbols("sigma sigma_1 sigma_2 h c l lambda p D",
                                                     positive=True)
_theta = sp.Symbol("theta", real=True)
_q = sp.Function("q(z|x)", positive=True)(_z, _x)
_pz = sp.Function("p(z)", positive=True)(_z)
_pxz = sp.Function("p(x|z)", positive=True)(_x, _z)
_px = sp.Function("p(x)", positive=True)(_x)
_f = sp.Function("f(z)", real=True)(_z)
_KL4 = (_h + _g**2 - sp.log(_h) - 1) / 2
_KL3 = sp.log(_s2 / _s1) + (_s1**2 + (_m1 - _m2) ** 2) / (2 * _s2**2) - HALF
_DENS = sp.exp(-(_x - _m) ** 2 / (2 * _s**2)) / sp.sqrt(2 * sp.pi * _s**2)
_LOGN = -sp.log(2 * sp.pi * _s**2) / 2 - (_x - _m) ** 2 / (2 * _s**2)


def _E(f: sp.Expr, d: sp.Expr = _q) -> Expectation:
    return Expectation(f, _z, d)


def _int(f: sp.Expr) -> sp.Integral:
    return sp.Integral(f, (_x, -sp.oo, sp.oo))


_STD = ("standard-deviation",)
_VAR = ("variance",)

# --- the catalogue -----------------------------------------------------------------------------

CATALOGUE: tuple[Entry, ...] = (
    Entry("inequality-reversed", "the inequality the wrong way round", ("relation",),
          "The relation is reversed: the previous line is {holds} this one{evidence}, not "
          "{written}{chain}. A bound keeps its direction through a chain of steps.",
          relation=_reversed_relation,
          example=Example(_s**2 + 1, _s**2, relation="<=")),
    Entry("jensen-reversed", "Jensen's inequality the wrong way round", ("relation",),
          "Jensen's inequality for the concave log reads log E[f] ≥ E[log f]: the relation "
          "here is reversed (the previous line is {holds} this one{chain}).",
          relation=_jensen_pattern, special_case_of=("inequality-reversed",),
          example=Example(sp.log(_E(_pxz * _pz / _q)), _E(sp.log(_pxz * _pz / _q)),
                          relation="<=")),
    Entry("overall-sign", "the sign of the whole expression", (),
          "The whole expression changed sign: {wrong} was written for {right} (for example "
          "the loss −ELBO against the ELBO).", whole=_whole_negate,
          whole_undo=_as_undo(_whole_negate),
          example=Example(_KL4, -_KL4)),
    Entry("factor-two", "a factor 2 on the whole", (),
          "The written expression is twice the right one: a factor 2 crept in.",
          whole=_whole_double, whole_undo=_as_undo(_whole_halve),
          example=Example(_s**2 + _m**2, 2 * _s**2 + 2 * _m**2)),
    Entry("dropped-half", "a dropped ½", (),
          "A factor ½ was lost: {right} became {wrong}. The Gaussian exponent is "
          "−(x − μ)²/(2σ²) and log Z = ½ log(2πσ²), so the ½ runs through the formulas.",
          local=_drop_half, undo=_restore_half, special_case_of=("factor-two",
                                                                  "constant-wrong"),
          example=Example(_KL4, 2 * _KL4)),
    Entry("extra-half", "an extra ½", (),
          "A factor ½ was added: {right} became {wrong}; nothing here halves it.",
          local=_add_half, undo=_remove_added_half, special_case_of=("constant-wrong",),
          example=Example(_h + _g**2 - sp.log(_h) - 1, _KL4)),
    Entry("sign-error", "one term with the wrong sign", (),
          "One term has the wrong sign: {right} was written {wrong}; the rest of the step "
          "is right.", local=_negate_term, undo=_as_undo(_negate_term),
          special_case_of=("constant-wrong",),
          example=Example(_KL4, (_h - _g**2 - sp.log(_h) - 1) / 2)),
    Entry("dropped-term", "a term dropped", (),
          "A term of the previous line is missing: {right} was dropped.",
          local=_drop_term, written_before=True,
          example=Example(_KL3, sp.log(_s2 / _s1) - HALF)),
    Entry("missing-minus-one", "the −1 (or −½) constant lost", (),
          "The constant {constant} of the previous line was lost: a constant term stays until "
          "something cancels it (the KL to N(0, 1) keeps its −1: ½(σ² + μ² − log σ² − 1)).",
          local=_drop_minus_one, undo=_restore_minus_one,
          special_case_of=("dropped-term", "constant-wrong"),
          example=Example(_KL4, (_h + _g**2 - sp.log(_h)) / 2)),
    Entry("normaliser-dropped", "a normaliser dropped", ("variance", "standard-deviation"),
          "The normaliser {right} was dropped{optimised}: it depends on the variance, so it "
          "may be dropped only while that is fixed, never from an equality.",
          local=_drop_normaliser, special_case_of=("dropped-term",),
          example=Example(_LOGN, -(_x - _m) ** 2 / (2 * _s**2))),
    Entry("constant-wrong", "a constant wrong", (),
          "The constant {right} was written {wrong}.",
          local=_change_constant, undo=_restore_constant,
          example=Example(_KL3, _KL3 - 1)),
    Entry("pi-approximated", "π replaced by a decimal", (),
          "π was replaced by a rounded decimal ({wrong} for {right}): the normaliser is "
          "exactly √(2πσ²), so a rounded π changes the value.",
          local=_round_pi, undo=_unround_pi,
          example=Example(sp.log(2 * sp.pi * _s**2) / 2,
                          sp.log(sp.Float(round(float(2 * sp.pi), 4), 15) * _s**2) / 2)),
    Entry("second-moment-missing-mean", "E[x²] = σ² (μ² forgotten)", ("variance", "mean"),
          "Under N({m}, {variance}), E[x²] = {right}, not {wrong}: the second moment "
          "includes the squared mean ({m_role}).",
          local=_moment_forget("mean"), undo=_moment_restore("mean"),
          special_case_of=("dropped-term",),
          example=Example(_int(_DENS * (_x**2 - 2 * _x * _m2 + _m2**2)) / (2 * _s2**2),
                          (_s**2 - 2 * _m * _m2 + _m2**2) / (2 * _s2**2))),
    Entry("second-moment-missing-variance", "E[x²] = μ² (σ² forgotten)", ("variance", "mean"),
          "Under N({m}, {variance}), E[x²] = {right}, not {wrong}: the variance is part of "
          "the second moment ({s_role}).",
          local=_moment_forget("variance"), undo=_moment_restore("variance"),
          special_case_of=("dropped-term",),
          example=Example((_s**2 + _m**2) / 2 + sp.log(_s), _m**2 / 2 + sp.log(_s))),
    Entry("other-distributions-parameter", "a parameter of the other distribution",
          ("mean", "standard-deviation", "variance"),
          "{wrong}, a parameter of the other distribution, was written where {right} "
          "belongs ({s_role}).",
          local=_other_parameter, undo=_as_undo(_other_parameter),
          example=Example(_KL3, sp.log(_s2 / _s1) + (_s1**2 + (_m1 - _m2) ** 2)
                          / (2 * _s1**2) - HALF)),
    Entry("std-for-variance", "σ where σ² is meant", (*_STD, "log-variance", "rate"),
          "{s_role}; the variance {right} belongs here, not {wrong}.",
          # the exponential's standard deviation is 1/λ, its variance 1/λ²
          local=lambda n, r: _replace_symbol("standard-deviation", lambda s: s**2,
                                             lambda s: s)(n, r)
          + _replace_symbol("log-variance", sp.exp, lambda s: sp.exp(s / 2))(n, r)
          + [v for v in _replace_symbol("rate", lambda s: s**-2, lambda s: 1 / s)(n, r)
             if v[1]["s"] not in getattr(r, "count_rates", ())],  # a Poisson's variance is λ
          undo=_as_undo(lambda n, r: _replace_symbol("standard-deviation", lambda s: s,
                                                     lambda s: s**2)(n, r)
                        + _replace_symbol("log-variance", lambda s: sp.exp(s / 2), sp.exp)(n, r)
                        + [v for v in _replace_symbol("rate", lambda s: 1 / s,
                                                      lambda s: s**-2)(n, r)
                           if v[1]["s"] not in getattr(r, "count_rates", ())]),
          whole=_replace_everywhere("standard-deviation", lambda s: s**2, lambda s: s),
          whole_undo=_as_undo(_replace_everywhere("standard-deviation", lambda s: s,
                                                  lambda s: s**2)),
          # σ = exp(ℓ/2) for σ² = exp(ℓ) is also a ½ put in front of ℓ: the role names it
          special_case_of=("extra-half",),
          example=Example(_KL3, sp.log(_s2 / _s1) + (_s1 + (_m1 - _m2) ** 2) / (2 * _s2**2)
                          - HALF)),
    Entry("variance-for-std", "σ² where σ is meant", _STD,
          "{s_role}; {right} belongs here, not the variance {wrong}.",
          local=_replace_symbol("standard-deviation", lambda s: s, lambda s: s**2),
          undo=_as_undo(_replace_symbol("standard-deviation", lambda s: s**2, lambda s: s)),
          example=Example(sp.sqrt(2 * sp.pi) * _s + _m, sp.sqrt(2 * sp.pi) * _s**2 + _m,
                          {"sigma": "standard-deviation"})),
    Entry("log-std-for-log-variance", "log σ where log σ² is meant", (*_STD, "log-variance"),
          "{s_role}: {why}, so {wrong} is not {right}.",
          local=lambda n, r: _why(_in_log("standard-deviation", lambda s: s**2,
                                          lambda s: s)(n, r), "log {s}² = 2 log {s}"),
          undo=_as_undo(lambda n, r: _why(_in_log("standard-deviation", lambda s: s,
                                                  lambda s: s**2)(n, r),
                                          "log {s}² = 2 log {s}")),
          whole=_halve_log_variances, whole_undo=_as_undo(_double_log_variances),
          special_case_of=("std-for-variance", "log-power-lost", "extra-half"),
          example=Example(sp.log(2 * sp.pi * _s**2) / 2, sp.log(2 * sp.pi * _s) / 2)),
    Entry("log-variance-for-log-std", "log σ² where log σ is meant", _STD,
          "{s_role}: log {s}² = 2 log {s}, so {wrong} is twice the log that belongs here.",
          local=_in_log("standard-deviation", lambda s: s, lambda s: s**2),
          undo=_as_undo(_in_log("standard-deviation", lambda s: s**2, lambda s: s)),
          special_case_of=("variance-for-std",),
          example=Example(sp.log(_s2 / _s1) + _s1**2 / (2 * _s2**2),
                          sp.log(_s2**2 / _s1) + _s1**2 / (2 * _s2**2),
                          {"sigma_1": "standard-deviation", "sigma_2": "standard-deviation"})),
    Entry("variance-as-std", "a variance used as a standard deviation", _VAR,
          "{s_role}, so {right} belongs here; {wrong} treats {s} as a standard deviation.",
          local=_replace_symbol("variance", lambda s: s, lambda s: s**2),
          undo=_as_undo(_replace_symbol("variance", lambda s: s**2, lambda s: s)),
          whole=_replace_everywhere("variance", lambda s: s, lambda s: s**2),
          whole_undo=_as_undo(_replace_everywhere("variance", lambda s: s**2, lambda s: s)),
          example=Example(_KL4, (_h**2 + _g**2 - sp.log(_h**2) - 1) / 2)),
    Entry("sqrt-of-variance-for-variance", "√v where the variance v is meant", _VAR,
          "{s_role}, so {right} belongs here, not its square root {wrong}.",
          local=_replace_symbol("variance", lambda s: s, sp.sqrt),
          undo=_as_undo(_replace_symbol("variance", sp.sqrt, lambda s: s)),
          whole=_replace_everywhere("variance", lambda s: s, sp.sqrt),
          example=Example(_KL4, (sp.sqrt(_h) + _g**2 - sp.log(_h) - 1) / 2)),
    Entry("precision-for-variance", "the precision where the variance is meant",
          ("variance", "standard-deviation"),
          "{s_role}; {wrong} is the precision, its reciprocal, and {right} belongs here.",
          local=lambda n, r: _replace_symbol("variance", lambda s: s, lambda s: 1 / s)(n, r)
          + _replace_symbol("standard-deviation", lambda s: s**2, lambda s: s**-2)(n, r),
          undo=_as_undo(lambda n, r: _replace_symbol("variance", lambda s: 1 / s,
                                                     lambda s: s)(n, r)
                        + _replace_symbol("standard-deviation", lambda s: s**-2,
                                          lambda s: s**2)(n, r)),
          example=Example(_KL4, (1 / _h + _g**2 - sp.log(_h) - 1) / 2)),
    Entry("log-variance-exponentiated", "log(exp ℓ) written exp ℓ", ("log-variance",),
          "{s_role}: the log of the variance exp({s}) is {s}, so {right} belongs here, not "
          "{wrong}.",
          local=_replace_symbol("log-variance", lambda s: s, sp.exp),
          undo=_as_undo(_replace_symbol("log-variance", sp.exp, lambda s: s)),
          example=Example(_l / 2 + _g, sp.exp(_l) / 2 + _g, {"l": "log-variance"})),
    Entry("log-variance-for-variance", "ℓ where the variance exp ℓ is meant", ("log-variance",),
          "{s_role}: the variance is {right}, not {wrong}.",
          local=_replace_symbol("log-variance", sp.exp, lambda s: s),
          undo=_as_undo(_replace_symbol("log-variance", lambda s: s, sp.exp)),
          example=Example(sp.exp(_l) / 2 + _g, _l / 2 + _g, {"l": "log-variance"})),
    Entry("log-of-sum-split", "log(a + b) split as log a + log b", (),
          "log(a + b) ≠ log a + log b: {right} was written {wrong}. The logarithm turns "
          "products into sums, not sums into sums.", local=_split_log,
          undo=_as_undo(_join_logs),
          example=Example(sp.log(_h + _g**2) / 2, (sp.log(_h) + sp.log(_g**2)) / 2)),
    Entry("sum-of-logs-joined", "log a + log b written log(a + b)", (),
          "log a + log b = log(ab), not log(a + b): {right} was written {wrong}.",
          local=_join_logs, undo=_as_undo(_split_log),
          example=Example(sp.log(_h) + sp.log(_s) + _g, sp.log(_h + _s) + _g)),
    Entry("log-of-product-as-product", "log(ab) written log a · log b", (),
          "log(ab) = log a + log b, not log a · log b: {right} was written {wrong}.",
          local=_log_product_as_product,
          example=Example(sp.log(_h * _s) + _g, sp.log(_h) * sp.log(_s) + _g)),
    Entry("log-power-lost", "log aᵏ written log a", (),
          "log aᵏ = k log a: the power was lost ({right} written {wrong}).",
          local=_log_power_lost,
          example=Example(sp.log(_h**3) + _g, sp.log(_h) + _g)),
    Entry("log-inverse-sqrt", "log √a written log a (a square root lost in a log)", (),
          "log √a = ½ log a: the square root halves the logarithm ({right} written "
          "{wrong}).", local=_root_lost_in_log, special_case_of=("dropped-half",),
          example=Example(sp.log(1 / sp.sqrt(1 + _g**2)) + _g, -sp.log(1 + _g**2) + _g)),
    Entry("log-ratio-flipped", "log(a/b) written as log(b/a)", (),
          "log(a/b) = −log(b/a): the ratio inside the logarithm is upside down ({wrong} "
          "for {right}).", local=_flip_log, undo=_as_undo(_flip_log),
          special_case_of=("sign-error", "overall-sign"),
          example=Example(_KL3, sp.log(_s1 / _s2) + (_s1**2 + (_m1 - _m2) ** 2)
                          / (2 * _s2**2) - HALF)),
    Entry("ratio-flipped", "a ratio a/b written b/a", (),
          "{right} was written {wrong}: the ratio is upside down.",
          local=_flip_ratio, undo=_as_undo(_flip_ratio),
          example=Example(_s1 / _s2 + _g, _s2 / _s1 + _g)),
    Entry("cross-term-sign", "the sign of the cross term", (),
          "{right} was written {wrong}: in (a − b)² = a² − 2ab + b² only the cross term −2ab "
          "carries the sign, and it is the one that changed.",
          local=lambda n, r: _cross_term_sign(n, r) + _sign_in_square(n, r),
          undo=_as_undo(lambda n, r: _cross_term_sign(n, r) + _sign_in_square(n, r)),
          special_case_of=("sign-error",),
          example=Example(_int(_DENS * (_x**2 - 2 * _x * _m + _m**2)),
                          _int(_DENS * (_x**2 + 2 * _x * _m + _m**2)))),
    Entry("binomial-coefficient", "the binomial coefficient 2 of the cross term lost", (),
          "(a − b)² = a² − 2ab + b²: the cross term carries the binomial coefficient 2 "
          "({right}, written {wrong}).", local=_binomial_lost, undo=_binomial_restore,
          special_case_of=("extra-half",),
          example=Example(_x**2 - 2 * _x * _m + _m**2 + _s, _x**2 - _x * _m + _m**2 + _s)),
    Entry("missing-cross-term", "(a − b)² expanded as a² + b²", (),
          "(a − b)² = a² − 2ab + b²: the cross term is missing ({right} written {wrong}).",
          local=_missing_cross,
          example=Example((_x - _m) ** 2 / (2 * _s**2), (_x**2 + _m**2) / (2 * _s**2))),
    Entry("square-of-sum", "a sum of squares written as the square of a sum", (),
          "A squared norm is a sum of squares, not the square of a sum: {right} was written "
          "{wrong}.", local=_square_of_sum,
          example=Example(_c * ((_x - _xh) ** 2 + (_z - _g) ** 2),
                          _c * (_x - _xh + _z - _g) ** 2)),
    Entry("kl-direction-swapped", "the KL direction swapped", ("mean", "variance"),
          "KL is not symmetric: KL(q ‖ p) = E_q[log q/p] ≠ KL(p ‖ q); the two distributions "
          "(the one of {q} and the one of {p}) were exchanged.",
          whole=_swap_kl, whole_undo=_as_undo(_swap_kl_nodes),
          example=Example(_KL3, sp.log(_s1 / _s2) + (_s2**2 + (_m2 - _m1) ** 2)
                          / (2 * _s1**2) - HALF)),
    Entry("log-evidence-sign", "the sign of log p(x)", (),
          "By Bayes' rule −log p(z|x) = −log p(x|z) − log p(z) + log p(x): the log-evidence "
          "{right} enters with the other sign.", local=_flip_abstract_term(True),
          undo=_as_undo(_flip_abstract_term(True)), special_case_of=("sign-error",),
          example=Example(_E(sp.log(_q / _pz)) - _E(sp.log(_pxz)) + sp.log(_px),
                          _E(sp.log(_q / _pz)) - _E(sp.log(_pxz)) - sp.log(_px))),
    Entry("log-density-sign", "the sign of a log-density", (),
          "log(q/p) = log q − log p: the log-density term {right} has the wrong sign.",
          local=_flip_abstract_term(False), undo=_as_undo(_flip_abstract_term(False)),
          special_case_of=("sign-error",),
          example=Example(_E(sp.log(_q) - sp.log(_pxz) - sp.log(_pz)) + sp.log(_px),
                          _E(sp.log(_q) + sp.log(_pxz) - sp.log(_pz)) + sp.log(_px))),
    Entry("bayes-inverted", "Bayes' rule upside down", (),
          "Bayes' rule reads p(z|x) = p(x|z) p(z) / p(x): {wrong} turns it upside down.",
          local=_invert_bayes, undo=_as_undo(_invert_bayes),
          example=Example(sp.log(_pxz * _pz / _px), sp.log(_px * _pz / _pxz))),
    Entry("expectation-of-product-split", "E[fg] written E[f] E[g]", (),
          "E[fg] = E[f] E[g] only for independent f and g; {right} was written {wrong}.",
          local=_split_expectation,
          example=Example(_E(_z**2 * _f), _E(_z**2) * _E(_f))),
    Entry("log-expectation-swapped", "log E[f] and E[log f] exchanged", (),
          "log E[f] ≥ E[log f] (Jensen), with equality only for a constant f: {right} is not "
          "{wrong}.", local=_swap_log_expectation,
          example=Example(sp.log(_E(_pxz * _pz / _q)), _E(sp.log(_pxz * _pz / _q)))),
    Entry("variance-for-balancing-constant", "the variance where C = 1/(2c) belongs",
          ("variance",),
          "{s_role}; the balancing constant in front of the squared error is {right}, "
          "not {wrong}.", local=_variance_for_balancing, undo=_balancing_for_variance,
          example=Example((_x - _xh) ** 2 / (2 * _c) + _KL4, _c * (_x - _xh) ** 2 + _KL4,
                          {"c": "variance"})),
    Entry("normaliser-pi-lost", "π lost from a normaliser", (),
          "The Gaussian normaliser is √(2πσ²): the π was lost ({right} written {wrong}).",
          local=_drop_pi,
          example=Example(sp.log(2 * sp.pi * _s**2) / 2 + _m, sp.log(2 * _s**2) / 2 + _m)),
    Entry("rate-for-scale", "a rate where its reciprocal is meant", ("rate",),
          "{s_role}; the mean (scale) of the exponential is {right}, not {wrong}.",
          local=_rate_scale,
          example=Example(1 / _lam + _m, _lam + _m, {"lambda": "rate"})),
    Entry("complement-probability", "p where 1 − p is meant", ("probability",),
          "{s_role}: the probability of the other outcome is {right}, not {wrong}.",
          local=lambda n, r: _replace_symbol("probability", lambda s: 1 - s, lambda s: s)(
              n, r),
          example=Example(_x * sp.log(_p) + (1 - _x) * sp.log(1 - _p),
                          _x * sp.log(_p) + (1 - _x) * sp.log(_p), {"p": "probability"})),
    Entry("dimension-count", "the dimension count wrong", ("dimension",),
          "{s_role}: the normaliser of a {s}-dimensional Gaussian is (2πσ²)^(−{s}/2), so "
          "{right} belongs here, not {wrong}.", whole=_dimension_changes,
          example=Example(-_D * sp.log(2 * sp.pi * _s**2) / 2,
                          -(_D - 1) * sp.log(2 * sp.pi * _s**2) / 2, {"D": "dimension"})),
    Entry("chain-rule-factor-forgotten", "the chain rule's inner derivative forgotten", (),
          "The chain rule: d/dθ f(u(θ)) = f′(u) · du/dθ; the factor d({inner})/dθ is "
          "missing.", whole=_chain_rule,
          # an inner derivative −1 forgotten negates the whole: the chain rule says why
          special_case_of=("overall-sign",),
          example=Example(sp.Derivative(sp.log(1 + _theta**2), _theta),
                          1 / (1 + _theta**2))),
)

BY_NAME = {e.name: e for e in CATALOGUE}


# --- extensions (issue 17): counts, sums, factors, derivatives, moments --------------------------
# Entries of the table above that gained simulations, and new entries; kept together here.


def _plus(*fns: Local | None) -> Local:
    """The variants of several simulations together."""
    parts = [f for f in fns if f is not None]
    return lambda node, roles: [v for f in parts for v in f(node, roles)]


_d, _i, _K = sp.Symbol("d", integer=True), sp.Symbol("i", integer=True), sp.Symbol(
    "K", positive=True, integer=True)
_x1, _x2, _y1, _y2 = sp.symbols("x_1 x_2 y_1 y_2", real=True)
_beta, _k = sp.symbols("beta k", positive=True)
_k2 = sp.Symbol("k", integer=True)
_y = sp.Symbol("y", real=True)
_pj = sp.Function("p(x,z)", positive=True)(_x, _z)

def _dimension_changes_said(expr: sp.Basic, roles: Roles) -> list[Variant]:
    return [(w, {**b, "why": f"{roles.describe(b['s'])}: the normaliser of a "
                 f"{sim.show(b['s'])}-dimensional Gaussian is (2πσ²)^(−{sim.show(b['s'])}/2), "
                 f"so {sim.show(b['right'])} belongs here, not {sim.show(b['wrong'])}"})
            for w, b in _dimension_changes(expr, roles)]


def _chain_rule_said(expr: sp.Basic, roles: Roles) -> list[Variant]:
    """The chain rule forgotten on the whole derivative, with the fields its words use."""
    out = []
    for w, b in _chain_rule(expr, roles):
        der = next(iter(expr.atoms(sp.Derivative)), None)
        if der is None or len(der.variables) != 1:
            continue
        theta = der.variables[0]
        out.append((w, {**b, "s": theta, "du": sp.diff(b["inner"], theta)}))
    return out


_EXTENDED: dict[str, dict[str, Any]] = {
    # E[x²] = μ² (σ² forgotten) is E[x²] taken as E[x]²: the specific name is given
    "second-moment-missing-variance": {"special_case_of": ("wrong-moment",)},
    "second-moment-missing-mean": {"special_case_of": ("wrong-moment",)},
    "rate-for-scale": {
        "local": _plus(BY_NAME["rate-for-scale"].local, sim.moment_rate_for_scale),
        "explanation": "{s} is the rate of the density of {x}: its moment E[{g}] is written "
                       "with the scale 1/{s}, and {s} was used in its place."},
    "constant-wrong": {
        "local": _plus(_change_constant, sim.coefficient_lost),
        "relation": sim.bound_constant_wrong,
        "explanation": "The constant {right} was written {wrong}{why}."},
    # the binomial coefficient lost is a coefficient written wrong
    "binomial-coefficient": {"special_case_of": ("extra-half", "constant-wrong")},
    "chain-rule-factor-forgotten": {
        "local": sim.inner_factor_forgotten, "whole": _chain_rule_said,
        "explanation": "The chain rule: d/d{s} of a function of {inner} is its derivative "
                       "in {inner} times the inner factor d({inner})/d{s} = {du}, which is "
                       "missing ({right} belongs here, not {wrong})."},
    "square-of-sum": {"local": _plus(_square_of_sum, sim.squares_summed_as_square)},
    "dimension-count": {
        "local": _plus(sim.count_lost, sim.coordinate_count_wrong),
        # a count written wrong in the constant −K/2 is also that constant changed (halved)
        "special_case_of": ("constant-wrong", "extra-half", "missing-minus-one"),
        "whole": _dimension_changes_said,
        "explanation": "A count of dimensions (or terms) is wrong: {why}.",
    },
}

_NEW: tuple[Entry, ...] = (
    Entry("wrong-moment", "a moment of the distribution wrong", (),
          "The {what} is an expectation under the distribution of {x}, evaluated term by term: "
          "E[{g}] = {right}, but {wrong} was used{used}.",
          local=sim.moment_wrong,
          example=Example(sp.Integral(sp.exp(-_y**2 / 2) / sp.sqrt(2 * sp.pi) * (_m + _s * _y),
                                      (_y, -sp.oo, sp.oo)), _m + _s)),
    Entry("index-shift", "a sum's index shifted without its bound", (),
          "The sum over {i} starts at {i} = {lo}; the written value lacks its term for "
          "{i} = {first}, which is {term}, as when the index is shifted without shifting its "
          "bound (the sum was taken from {i} = {next}).",
          local=sim.first_term_lost,
          example=Example(sp.Sum(_lam**_k2 / sp.factorial(_k2), (_k2, 0, sp.oo)) + _g,
                          sp.exp(_lam) - 1 + _g)),
    Entry("chain-rule-factor-wrong", "the chain rule's inner derivative of another variable",
          (),
          "The chain rule: d/d{s} f({inner}) = f′({inner}) · ∂({inner})/∂{s}, and "
          "∂({inner})/∂{s} = {du}; the factor {dv} written is the derivative with respect to "
          "{o}, not {s} ({right} belongs here, not {wrong}).",
          local=sim.inner_factor_of_another_variable,
          example=Example(sp.Derivative((_m + _s * _z) ** 2, _m), 2 * _s * (_m + _s * _z))),
    Entry("power-rule-factor", "the power rule's factor forgotten", (),
          "The power rule: d/d{s} {power} = {dpower}; the factor {n} is missing ({right} "
          "belongs here, not {wrong}).",
          local=sim.power_rule_factor,
          # for a square, the factor 2 lost is the term halved: the power rule names it
          special_case_of=("extra-half", "constant-wrong"),
          example=Example(sp.Derivative(_m**3 / 3 + _s**2, _m), _m**2 / 3)),
    Entry("missing-square", "a square lost from a factor", (),
          "{right} was written {wrong}: the square of {s} was lost.",
          local=sim.square_lost,
          example=Example(_g**2 * _s**2 + (_x - _m) ** 2, _g * _s**2 + (_x - _m) ** 2,
                          {"sigma": "standard-deviation"})),
    Entry("dropped-factor", "the density dropped from an integral", (),
          "{s} is the density of {x}: ∫ … {s} d{x} is an expectation, and without its "
          "density the integral is another quantity ({wrong} written for {right}).",
          local=sim.density_dropped,
          example=Example(sp.Integral(_pxz * _pz, (_z, -sp.oo, sp.oo)),
                          sp.Integral(_pxz, (_z, -sp.oo, sp.oo)))),
    Entry("marginal-as-one", "a marginal written 1", (),
          "Integrating the joint density {s} over some of its variables leaves the marginal "
          "of the others, not 1: {right} is not 1.",
          local=sim.marginal_as_one,
          example=Example(sp.Integral(_pj, (_z, -sp.oo, sp.oo)) + _g, 1 + _g)),
    Entry("factor-on-one-term", "a factor applied to one term only", (),
          "{s} multiplies every term of {right}, but {term} was written without it.",
          local=sim.factor_on_one_term,
          example=Example(_beta * (_h + _g**2 - sp.log(_h) - 1) / 2 + _c * _x**2,
                          _beta * (_h + _g**2 - 1) / 2 - sp.log(_h) / 2 + _c * _x**2)),
)


def _amended(entries: tuple[Entry, ...], table: dict[str, dict[str, Any]],
             new: tuple[Entry, ...] = (), *, add: bool = False) -> tuple[Entry, ...]:
    """``entries`` with the changes of ``table`` (fields by entry name), then ``new``.

    ``special_case_of`` is added to, never replaced. A simulation (``local``, ``undo``,
    ``whole``, ``whole_undo``) given in ``table`` replaces the entry's, unless ``add``: then it
    is added beside the entry's own, and a key ending in ``=`` (``"local="``) replaces it.
    """
    import dataclasses

    def one(entry: Entry) -> Entry:
        more = dict(table.get(entry.name, {}))
        if not more:
            return entry
        if "special_case_of" in more:
            more["special_case_of"] = tuple(dict.fromkeys(
                (*entry.special_case_of, *more["special_case_of"])))
        for kind in ("local", "undo", "whole", "whole_undo"):
            if add and kind in more and getattr(entry, kind) is not None:
                more[kind] = _plus(getattr(entry, kind), more[kind])
            if kind + "=" in more:  # a simulation that replaces the table's
                more[kind] = more.pop(kind + "=")
        return dataclasses.replace(entry, **more)
    return tuple(one(e) for e in entries) + new


CATALOGUE = _amended(CATALOGUE, _EXTENDED, _NEW)
BY_NAME = {e.name: e for e in CATALOGUE}


# --- role, moment and index mistakes (s23) ---------------------------------------------------
# New entries and amendments of the entries above (``special_case_of`` is added to, never
# replaced; a simulation is added beside the old one).


def _logs_of_std_doubled(expr: sp.Basic, roles: Roles) -> list[Variant]:
    """Every log of a standard deviation σ doubled at once: log σ² written wherever log σ is
    meant (the same confusion in every coordinate of a diagonal Gaussian). Inside each log
    the standard deviations are squared, so ½ log(2πeσ²), whose σ-part is log σ, becomes
    ½ log(2πeσ⁴), whose σ-part is log σ². With several standard deviations, all of them and
    each one alone. Not when that is each of those logs doubled (a ½ dropped in front of
    them, the constants inside cancelling): the step then shows a coefficient, not a role."""
    if expr.has(sp.Integral, Expectation, sp.Sum, sp.Derivative):
        return []  # a closed form: inside an integral the logs are not the step's own
    stds = [s for s in roles.having("standard-deviation") if expr.has(s)]
    # logs of the standard deviations and constants only (log(2πeσ²), log(σ₂/σ₁))
    logs = [n for n in sp.preorder_traversal(expr) if isinstance(n, sp.log)
            and n.args[0].free_symbols and n.args[0].free_symbols <= set(stds)]
    if not stds or not logs:
        return []
    out: list[Variant] = []
    for chosen in ([stds] if len(stds) == 1 else [stds, *([s] for s in stds)]):
        change = {lg: sp.log(lg.args[0].xreplace({s: s**2 for s in chosen}))
                  for lg in logs if any(lg.args[0].has(s) for s in chosen)}
        if not change:
            continue
        wrong = expr.xreplace(change)
        try:  # the same as each of those logs doubled (the ½ in front of them dropped):
            # the step does not show a role confused, only a coefficient
            dummies = {lg: sp.Dummy() for lg in change}
            body = expr.xreplace(dummies)
            gap = sp.Add(*(sp.diff(body, d) * sp.expand_log(change[lg] - 2 * lg, force=True)
                           for lg, d in dummies.items()))
            if sp.expand(gap) == 0:
                continue
        except Exception:
            continue
        s = chosen[0]
        out.append((wrong, {"right": sp.log(s), "wrong": sp.log(s**2), "s": s,
                            "shown": _std_logs_shown(chosen)}))
    return out


def _std_logs_shown(stds: list[sp.Basic]) -> tuple[sp.Basic, ...]:
    """What a written step shows when log σ² stands for log σ: log σ² or 2 log σ."""
    return tuple(f for s in stds for f in (sp.log(s**2), 2 * sp.log(s)))


def _log_variance_for_log_std(node: sp.Basic, roles: Roles) -> list[Variant]:
    """log σ written log σ² at one log (the table's simulation), only where the written step
    shows log σ² (or 2 log σ): a coefficient ½ lost in front of an unchanged log of σ² has
    the same value, and is a dropped ½."""
    base = _in_log("standard-deviation", lambda s: s, lambda s: s**2)(node, roles)
    return [(new, {**b, "shown": (b["wrong"], *_std_logs_shown([b["s"]]))})
            for new, b in base]


def _precisions_inverted(node: sp.Basic, roles: Roles) -> list[Variant]:
    """A product of precisions (and numbers) with each precision written for its reciprocal,
    the variance: τ₂/τ₁ (the ratio of the variances 1/τ₁ and 1/τ₂) written τ₁/τ₂, not inside
    a log. Its own inverse, so it also repairs a written step."""
    if not isinstance(node, sp.Mul):
        return []
    taus = [s for s in roles.having("precision") if node.has(s)]
    if len(taus) < 2:
        return []
    coeff, body = node.as_coeff_Mul()
    if not body.free_symbols <= set(taus) or not all(
            isinstance(f, sp.Symbol) or (f.is_Pow and isinstance(f.base, sp.Symbol))
            for f in sp.Mul.make_args(body)):
        return []
    wrong = coeff * body.xreplace({t: 1 / t for t in taus})
    # not as a log's argument: there τ₁/τ₂ for τ₂/τ₁ is the log-ratio flipped
    return [(wrong, {"right": node, "wrong": wrong, "s": taus[0],
                     "guard": _not_the_argument_of_a_log})]


def _second_moment(which: str) -> dict[str, Any]:
    """The amendment of a second-moment entry: its simulation on evaluated moments (V + m²)
    as before, and on a Gaussian expectation E[(a x + b)²] evaluated with a part lost; one
    explanation for both, from the fields each gives."""
    old = BY_NAME[f"second-moment-missing-{which}"]

    role = "m" if which == "mean" else "s"

    def said(fn: Local | None) -> Local:
        def local(node: sp.Basic, roles: Roles) -> list[Variant]:
            out = []
            for new, b in (fn(node, roles) if fn is not None else []):
                fam = roles.family_of(b["s"]) if "s" in b else None
                v = fam.variance if fam is not None else None
                out.append((new, {**b, "head": f"Under N({_show_symbol(b['m'])}, "
                                               f"{_show_symbol(v)}), " if v is not None
                                  else "", "g": sp.Symbol("x") ** 2,
                                  "square": b["m"] ** 2,
                                  "said": f" ({roles.describe(b[role])})"}))
            return out
        return local

    lost = {"variance": "the variance {variance}", "mean": "the squared mean {square}"}[which]
    return {"local=": _plus(said(old.local), sim.second_moment_forgotten(which)),
            "undo=": said(old.undo),
            "explanation": "{head}E[{g}] = {right}, not {wrong}: the second moment is the "
                           "variance plus the squared mean, and " + lost + " was lost{said}."}


def _first_term_said(node: sp.Basic, roles: Roles) -> list[Variant]:
    """The first term of a series lost (the table's simulation), said in words."""
    out = []
    for new, b in sim.first_term_lost(node, roles):
        why = (f"the sum over {sim.show(b['i'])} starts at {sim.show(b['i'])} = "
               f"{sim.show(b['lo'])}; the written value lacks its term for {sim.show(b['i'])} "
               f"= {sim.show(b['first'])}, which is {sim.show(b['term'])}, as when the index "
               f"is shifted without shifting its bound (the sum was taken from "
               f"{sim.show(b['i'])} = {sim.show(b['next'])})")
        out.append((new, {**b, "why": why}))
    return out


_S23_AMENDED: dict[str, dict[str, Any]] = {
    "index-shift": {"local=": _plus(_first_term_said, sim.bound_shifted),
                    "undo": sim.bound_restored,
                    "explanation": "A bound of a sum moved by one: {why}."},
    "second-moment-missing-variance": _second_moment("variance"),
    "second-moment-missing-mean": _second_moment("mean"),
    "precision-for-variance": {"local": _precisions_inverted,
                               "undo": _as_undo(_precisions_inverted)},
    # log σ written log σ² = 2 log σ is that log doubled: a ½ dropped in front of it (the
    # role names it, as log σ for log σ² is named rather than the ½ it adds)
    "log-variance-for-log-std": {"special_case_of": ("dropped-half",),
                                 "whole": _logs_of_std_doubled,
                                 "local=": _log_variance_for_log_std},
    # log(1 + b) split as log 1 + log b is the term 1 dropped from the sum: where both
    # reproduce the step at one place, the written log 1 + log b shows the split
    "log-of-sum-split": {"special_case_of": ("dropped-term",)},
}


_mj = sp.Function("m", real=True)

_S23_NEW: tuple[Entry, ...] = (
    Entry("gamma-recursion", "Γ(s + 1) = sΓ(s) misapplied", (),
          "The Gamma function's recursion is Γ(s + 1) = s·Γ(s): {g} = {right}, not {wrong}.",
          whole=sim.gamma_recursion_wrong,
          example=Example(sp.gamma(_beta + 1) / sp.gamma(_beta) + _g, _beta + 1 + _g)),
    Entry("index-confused", "the sum's index confused with the coordinate's", (),
          "Only the term {i} = {j} of the sum over {i} depends on {s}, so the derivative is "
          "{right}; differentiating every term by its own {own} keeps the sum, as if {i} "
          "were {j}.",
          local=sim.index_confused,
          example=Example(sp.Derivative(sp.Sum(_mj(_i) ** 2 / 2, (_i, 1, _K)), _mj(_d)),
                          sp.Sum(_mj(_i), (_i, 1, _K)))),
)

CATALOGUE = _amended(CATALOGUE, _S23_AMENDED, _S23_NEW, add=True)
BY_NAME = {e.name: e for e in CATALOGUE}


# --- factor, constant and term mistakes (s23) ---
# Simulations added to entries above (their ``local`` extended, ``special_case_of`` added to)
# and new entries; applied last, so the blocks above stay as they are.


def _density_dropped_said(node: sp.Basic, roles: Roles) -> list[Variant]:
    """The density dropped from an integral, with the words of the entry's explanation."""
    return [(w, {**b, "why": f"{sim.show(b['s'])} is the density of {sim.show(b['x'])}: "
                 f"∫ … {sim.show(b['s'])} d{sim.show(b['x'])} is an expectation, and without "
                 f"its density the integral is another quantity ({sim.show(b['wrong'])} "
                 f"written for {sim.show(b['right'])})"})
            for w, b in sim.density_dropped(node, roles)]


_S23_EXTENDED: dict[str, dict[str, Any]] = {
    "chain-rule-factor-forgotten": {
        "local": _plus(BY_NAME["chain-rule-factor-forgotten"].local,
                       sim.inner_factor_forgotten_higher),
        # an inner factor −1 forgotten negates one term: the chain rule says why; the inner
        # factor is a factor of the derivative dropped
        "special_case_of": ("sign-error", "dropped-factor")},
    "dropped-factor": {
        "title": "a factor dropped",
        "local": _plus(_density_dropped_said, sim.factor_dropped),
        "explanation": "A factor was lost: {why}."},
    "missing-square": {"local": _plus(BY_NAME["missing-square"].local,
                                      sim.square_of_bracket_lost)},
    "dropped-term": {"local": _plus(BY_NAME["dropped-term"].local, sim.log_factor_dropped)},
    "constant-wrong": {"local": _plus(BY_NAME["constant-wrong"].local,
                                      sim.log_of_constant_lost)},
    "log-power-lost": {"local": _plus(BY_NAME["log-power-lost"].local,
                                      sim.power_lost_in_log_product)},
    "binomial-coefficient": {
        "local": _plus(BY_NAME["binomial-coefficient"].local,
                       lambda n, r: sim.binomial_lost_in_a_sum(n, r, _binomial_lost)),
        "undo": _plus(BY_NAME["binomial-coefficient"].undo,
                      lambda n, r: sim.binomial_lost_in_a_sum(n, r, _binomial_restore))},
    # the normaliser, a count, a factor on all terms but one: each a factor dropped, named
    "normaliser-dropped": {"special_case_of": ("dropped-factor",)},
    "dimension-count": {"special_case_of": ("dropped-factor",)},
    "factor-on-one-term": {"special_case_of": ("dropped-factor",)},
}


CATALOGUE = _amended(CATALOGUE, _S23_EXTENDED)
BY_NAME = {e.name: e for e in CATALOGUE}


# --- sign, ratio and relation mistakes (s23) ---
# A sign flipped in a whole exponent or in two terms at once (b − a written a − b), a log ratio
# written as two logs and turned upside down, a complement 1 − P written P for a probability
# expression or inside one log, Jensen's bound written as an equality, and Jensen's bound with
# weights reversed. Entries of the table above that gained simulations, and new entries.


def _either_relation(*fns: Callable[[Any], dict[str, Any] | None] | None,
                     ) -> Callable[[Any], dict[str, Any] | None]:
    """The first of several relation checks that holds."""
    parts = [f for f in fns if f is not None]

    def relation(ctx: Any) -> dict[str, Any] | None:
        for f in parts:
            found = f(ctx)
            if found is not None:
                return found
        return None
    return relation


def _self_inverse(fn: Local) -> Local:
    """A simulation that is its own inverse (a sign flipped), used to repair the written
    step: what it calls right was written, and the repair belongs there."""
    return _as_undo(fn)


_S23_SIGNS: dict[str, dict[str, Any]] = {
    "sign-error": {
        "local": _plus(BY_NAME["sign-error"].local, sim.exponent_negated,
                       sim.two_terms_negated),
        "undo": _plus(BY_NAME["sign-error"].undo, _self_inverse(sim.exponent_negated),
                      _self_inverse(sim.two_terms_negated))},
    "log-ratio-flipped": {
        "local": _plus(BY_NAME["log-ratio-flipped"].local, sim.log_pair_flipped),
        "undo": _plus(BY_NAME["log-ratio-flipped"].undo, _self_inverse(sim.log_pair_flipped))},
    "complement-probability": {
        "local": sim.complement_written, "undo": sim.complement_restored},
    "jensen-reversed": {
        "relation": _either_relation(BY_NAME["jensen-reversed"].relation,
                                     sim.jensen_weighted_reversed)},
    # an inner factor −1 forgotten reverses a difference: (x − m) for (m − x) after d/dm is
    # also a sign error (two terms negated); the chain rule says why
    "chain-rule-factor-forgotten": {
        "special_case_of": (*BY_NAME["chain-rule-factor-forgotten"].special_case_of,
                            "sign-error")},
}

_S23_SIGNS_NEW: tuple[Entry, ...] = (
    Entry("jensen-as-equality", "Jensen's inequality written as an equality", (),
          "Jensen's inequality for the concave log gives only a bound: log of a weighted "
          "average ≥ the weighted average of the logs, with equality only when every term "
          "is the same, so {right} ≥ {wrong}, not =.",
          local=sim.jensen_as_equality,
          example=Example(sp.log(_h / 2 + _s / 2), sp.log(_h) / 2 + sp.log(_s) / 2)),
)


CATALOGUE = _amended(CATALOGUE, _S23_SIGNS, _S23_SIGNS_NEW)
BY_NAME = {e.name: e for e in CATALOGUE}


# --- factors, constants and terms (s24) ------------------------------------------------------
# Simulations added beside the entries' own (see :func:`_amended`, ``add=True``).

_S24_FACTORS: dict[str, dict[str, Any]] = {
    # the inner factor's symbols lost with its sign kept, and the inner derivative written as
    # a factor of its own in the line before, then lost
    "chain-rule-factor-forgotten": {
        "local": _plus(sim.inner_symbols_forgotten, sim.written_inner_factor_dropped)},
    # the −½ of −½ log(2πeσ²) lost with the e inside the log (log e = 1)
    "missing-minus-one": {"local": sim.log_of_e_lost},
    # one term of the product rule lost (d/dq (q log q) written log q)
    # the constant −b²/(4a) of a completed square forgotten
    "constant-wrong": {"whole": sim.completion_constant_forgotten},
    "dropped-term": {"local": sim.product_rule_term_dropped,
                     "explanation": "A term is missing: {right} was dropped{why}."},
}

_S24_FACTORS_NEW: tuple[Entry, ...] = (
    Entry("exponent-factor-lost", "a number of an exponent lost", (),
          "The exponent of {right} carries the factor {s}: {right} = ({wrong})^{s}, and "
          "{wrong} was written for it.",
          local=sim.exponent_factor_lost, undo=sim.exponent_factor_restored,
          whole=sim.exponent_factor_lost_everywhere,
          whole_undo=sim.exponent_factor_restored_everywhere,
          # e^{−2x} written e^{−x} is also its exponent halved, or its number changed: the
          # factor of the exponent says which number was lost
          special_case_of=("extra-half", "constant-wrong"),
          example=Example(_g + sp.exp(-2 * _x), _g + sp.exp(-_x))),
    Entry("power-on-one-factor", "a power put on one factor of a product", (),
          "A power of a product is the product of the powers, (a·b)^{s} = a^{s}·b^{s}: "
          "{base} keeps the power {s} too ({right} belongs here, not {wrong}).",
          local=sim.power_on_one_factor, undo=sim.power_put_back,
          example=Example(_g + _beta**_k * sp.exp(_k * _x), _g + _beta * sp.exp(_k * _x))),
)

CATALOGUE = _amended(CATALOGUE, _S24_FACTORS, _S24_FACTORS_NEW, add=True)

# --- witnesses on the page (s24) ---------------------------------------------------------------
# A generic entry (a ½, a sign, a term, a factor) matches by value; it is named only when the
# page shows its mechanism: the previous line and the written step, as their author wrote
# them, differ the way the mistake says. The checks are in :func:`.mistakes.witnessed`:
#
# * ``half-gone``: a ½ (or a /2) the author wrote on the previous line is missing from the
#   written step (it shows fewer halves);
# * ``half-added``: the written step shows more halves than the previous line (σ²t/2 after
#   σ²t²/2 keeps the author's ½: the power rule's 2 lost, not a ½ added);
# * ``term-written``: the dropped term is a term the author wrote (not only a term of SymPy's
#   expanded form, of a log's argument split, or of a derivative's value that no written term
#   gives), and the rest of its sum still stands (n·p·(1 − p) written n·p lost the factor
#   (1 − p), not its term −p); a log's term log F counts where the factor F the author wrote
#   in a log is gone from the page and the logs stand (not merged into one), and a term of
#   the product rule where the rule shows (what it kept is no multiple of the function);
# * ``sign-shown``: the term said to have the wrong sign stands on the written step with that
#   sign (log(1/(a + b)) is −log(a + b) in value, but no sign was written);
# * ``several-terms``: the whole negated is told from one term negated only when the line has
#   several terms, and none of them stands as it stood on the line before with its sign
#   (t·e^(t−1) − (t + 1)·e^(t−1) keeps t·e^(t−1): a sign changed inside, not the whole);
# * ``kl-written``: two distributions' parameters exchanged are a KL's direction swapped only
#   where the derivation writes a divergence (a KL, an expectation or an integral) up to the
#   step: a precision-weighted mean with its weights exchanged is no KL turned round;
# * ``factor-absent``: the term said to lack a factor does not hold that factor itself
#   (e·s for e²s is a square lost as much as the factor e missing).

WITNESSES: dict[str, str] = {
    "dropped-half": "half-gone",
    "extra-half": "half-added",
    "dropped-term": "term-written",
    "sign-error": "sign-shown",
    "overall-sign": "several-terms",
    "factor-on-one-term": "factor-absent",
    "kl-direction-swapped": "kl-written",
}

CATALOGUE = _amended(CATALOGUE, {k: {"witness": v} for k, v in WITNESSES.items()})

# --- roles, moments, indices and series (s24) ---
# A moment named at the integral (sum) it evaluates says the value written for it; new
# simulations for roles, logs of sums and products, and series; appended last.


def _names_value(fn: Local | None) -> Local:
    """``fn`` with each variant made at an integral, sum or expectation marked as naming
    the value written for it (``names_value``): a mistake simulated inside that construct
    which gives the same value agrees with it, and is set aside (see
    :func:`.mistakes._choose`)."""
    def local(node: sp.Basic, roles: Roles) -> list[Variant]:
        out = fn(node, roles) if fn is not None else []
        if not isinstance(node, (sp.Integral, sp.Sum, Expectation)):
            return out
        return [(w, {**b, "names_value": True}) for w, b in out]
    return local


_S24_ROLES: dict[str, dict[str, Any]] = {
    name: {"local": _names_value(BY_NAME[name].local)}
    for name in ("wrong-moment", "second-moment-missing-mean",
                 "second-moment-missing-variance", "rate-for-scale")
}

CATALOGUE = _amended(CATALOGUE, _S24_ROLES)
BY_NAME = {e.name: e for e in CATALOGUE}


def _logs_of_std_halved(expr: sp.Basic, roles: Roles) -> list[Variant]:
    """Every log σ of a standard deviation σ halved at once: log σ written where log σ² is
    meant (−log σ = −½ log σ² of a Gaussian's normaliser written −½ log σ), the same
    confusion in every coordinate; with several standard deviations, all of them and each
    one alone. The logs must stand as log σ in the right line (not inside an integral):
    the line then says log σ = ½ log σ², and the ½ that stays on log σ is σ for σ²."""
    if expr.has(sp.Integral, Expectation, sp.Sum, sp.Derivative):
        return []
    stds = [s for s in roles.having("standard-deviation") if expr.has(sp.log(s))]
    if not stds:
        return []
    out: list[Variant] = []
    for chosen in ([stds] if len(stds) == 1 else [stds, *([s] for s in stds)]):
        wrong = expr.xreplace({sp.log(s): sp.log(s) / 2 for s in chosen})
        if wrong == expr:
            continue
        s = chosen[0]
        out.append((wrong, {"right": sp.log(s**2), "wrong": sp.log(s), "s": s,
                            "why": f"log {_show_symbol(s)}² = 2 log {_show_symbol(s)}",
                            "shown": tuple(sp.log(t) for t in chosen)}))
    return out


def _logs_of_std_doubled_back(expr: sp.Basic, roles: Roles) -> list[Variant]:
    """The inverse of :func:`_logs_of_std_halved` on a written step (each log σ doubled),
    to repair a step that also rearranged the terms."""
    if expr.has(sp.Integral, Expectation, sp.Sum, sp.Derivative):
        return []
    stds = [s for s in roles.having("standard-deviation") if expr.has(sp.log(s))]
    if not stds:
        return []
    right = expr.xreplace({sp.log(s): 2 * sp.log(s) for s in stds})
    return [(right, {"right": sp.log(stds[0] ** 2), "wrong": sp.log(stds[0]), "s": stds[0]})]


_S24_LOG_STD: dict[str, dict[str, Any]] = {
    "log-std-for-log-variance": {
        "whole": _plus(BY_NAME["log-std-for-log-variance"].whole, _logs_of_std_halved),
        "whole_undo": _plus(BY_NAME["log-std-for-log-variance"].whole_undo,
                            _logs_of_std_doubled_back)},
}

CATALOGUE = _amended(CATALOGUE, _S24_LOG_STD)
BY_NAME = {e.name: e for e in CATALOGUE}


def _split_log_of_quotient(node: sp.Basic, roles: Roles) -> list[Variant]:
    """log(A/(a + b + …)) (or log(A·(a + b + …))) written log A − (log a + log b + …): the
    log of the product rightly taken apart, and the log of its sum then split as well
    (log of a softmax with log Σ exp aₖ written Σ aₖ). Each sum factor alone."""
    if not isinstance(node, sp.log) or not isinstance(node.args[0], sp.Mul):
        return []
    factors = sp.Mul.make_args(node.args[0])
    out: list[Variant] = []
    for i, f in enumerate(factors):
        base, k = (f.base, f.exp) if f.is_Pow else (f, sp.S(1))
        if not isinstance(base, sp.Add) or k not in (1, -1):
            continue
        rest = sp.Mul(*(factors[:i] + factors[i + 1:]))
        split = sp.Add(*(sp.log(t) for t in base.args))
        wrong = sp.expand_log(sp.log(rest), force=False) + k * split
        out.append((wrong, {"right": sp.log(base), "wrong": split}))
    return out


_S24_LOGS: dict[str, dict[str, Any]] = {
    "log-of-sum-split": {
        "local": _plus(BY_NAME["log-of-sum-split"].local, _split_log_of_quotient)},
}

CATALOGUE = _amended(CATALOGUE, _S24_LOGS)
BY_NAME = {e.name: e for e in CATALOGUE}


def _roots_lost_in_log(node: sp.Basic, roles: Roles) -> list[Variant]:
    """log(A/√(B·C)) written log(A/(B·C)): the one square root of a product lost, when
    SymPy has split it into several root factors of the log's argument (√(νπ) read as
    √ν·√π): all of them at once (each alone is :func:`_root_lost_in_log`'s)."""
    if not isinstance(node, sp.log):
        return []
    arg = node.args[0]
    roots = [f for f in sp.Mul.make_args(arg) if f.is_Pow and f.exp in (HALF, -HALF)]
    if len(roots) < 2 or len({f.exp for f in roots}) != 1:
        return []
    wrong = sp.log(arg.xreplace({f: f.base ** (2 * f.exp) for f in roots}))
    return [(wrong, {"right": node, "wrong": wrong})]


_S24_ROOTS: dict[str, dict[str, Any]] = {
    "log-inverse-sqrt": {
        "local": _plus(BY_NAME["log-inverse-sqrt"].local, _roots_lost_in_log)},
}

CATALOGUE = _amended(CATALOGUE, _S24_ROOTS)
BY_NAME = {e.name: e for e in CATALOGUE}


def _series_said(node: sp.Basic, roles: Roles) -> list[Variant]:
    """A series summed by the geometric series' formula without its polynomial factor, said
    in the author's symbols."""
    out = []
    for w, b in sim.series_without_polynomial(node, roles):
        k, lo, _ = b["right"].limits[0]
        plain = b["plain"].function
        out.append((w, {**b, "names_value": True,
                        "series": f"the sum of {sim.show(b['right'].function)} over "
                                  f"{sim.show(k)} ≥ {sim.show(lo)}",
                        "why": f"the geometric series of {sim.show(plain)} sums to "
                               f"{sim.show(w)}, but the factor {sim.show(b['poly'])} makes "
                               f"another series (Σ k rᵏ⁻¹ = 1/(1 − r)², the derivative of "
                               f"Σ rᵏ = 1/(1 − r))"}))
    return out


_n = sp.Symbol("n", integer=True)

_S24_SERIES: tuple[Entry, ...] = (
    Entry("wrong-series", "a series summed by another series' formula", (),
          "{series} was summed as if it were a geometric series: {why}.",
          local=_series_said,
          example=Example(sp.Sum(_n * (_h / (1 + _h)) ** (_n - 1), (_n, 1, sp.oo)) + _g,
                          1 + _h + _g)),
)

CATALOGUE = _amended(CATALOGUE, {}, _S24_SERIES)
BY_NAME = {e.name: e for e in CATALOGUE}



def _join_log_and_constant(node: sp.Basic, roles: Roles) -> list[Variant]:
    """c·log a + k written c·log(a + e^{k/c}): a constant term read as the log of e^{k/c}
    and joined with a log into the log of a sum (−log λ − 1 = −log(λe) written
    −log(λ + e))."""
    terms = _terms(node)
    constants = [t for t in terms if t.is_Rational and t != 0]
    out: list[Variant] = []
    for t in terms:
        c, rest = t.as_coeff_Mul()
        if not isinstance(rest, sp.log) or not c.is_Rational:
            continue
        for k in constants:
            joined = c * sp.log(rest.args[0] + sp.exp(k / c))
            others = [u for u in terms if u is not t and u is not k]
            out.append((sp.Add(*others, joined), {"right": t + k, "wrong": joined}))
    return out


_S24_JOIN: dict[str, dict[str, Any]] = {
    "sum-of-logs-joined": {
        "local": _plus(BY_NAME["sum-of-logs-joined"].local, _join_log_and_constant)},
}

CATALOGUE = _amended(CATALOGUE, _S24_JOIN)
BY_NAME = {e.name: e for e in CATALOGUE}


def _rate_said(fn: Local | None) -> Local:
    """The rate-for-scale variants with the words of both kinds: a symbol λ written for 1/λ
    (no moment), and a moment written with the rate for the scale."""
    def local(node: sp.Basic, roles: Roles) -> list[Variant]:
        out = []
        for w, b in (fn(node, roles) if fn is not None else []):
            said = ""
            if "g" in b and "x" in b:
                said = (f" (in the moment E[{sim.show(b['g'])}] under the density of "
                        f"{sim.show(b['x'])})")
            out.append((w, {**b, "moment": said}))
        return out
    return local


_S24_RATE: dict[str, dict[str, Any]] = {
    "rate-for-scale": {
        "local": _rate_said(BY_NAME["rate-for-scale"].local),
        "explanation": "{s_role}, and its scale is 1/{s}: {right} belongs here, not "
                       "{wrong}{moment}."},
}

CATALOGUE = _amended(CATALOGUE, _S24_RATE)
BY_NAME = {e.name: e for e in CATALOGUE}


def _natural_for_mean(node: sp.Basic, roles: Roles) -> list[Variant]:
    """The mean parameter θ = e^η written as the natural parameter η = log θ where it stands
    alone as a term (the Poisson's log-partition e^η written η), not inside a log."""
    out: list[Variant] = []
    for s in roles.having("mean-parameter"):
        for t in _terms(node):
            c, rest = t.as_coeff_Mul()
            if rest == s:
                wrong = c * sp.log(s)
                out.append((node - t + wrong, {"right": t, "wrong": wrong, "s": s}))
    return out


_S24_NATURAL: tuple[Entry, ...] = (
    Entry("natural-for-mean-parameter", "the natural parameter where the mean parameter "
          "is meant", ("mean-parameter",),
          "{s_role}; its log is the natural parameter, and the mean parameter, the "
          "exponential of the natural one, belongs here: {right}, not {wrong}.",
          local=_natural_for_mean,
          example=Example(_x * sp.log(_h) - _h + _g, _x * sp.log(_h) - sp.log(_h) + _g,
                          {"h": "mean-parameter"})),
)

CATALOGUE = _amended(CATALOGUE, {}, _S24_NATURAL)


# --- signs on the page (s24) --------------------------------------------------------------------
# A step of one term negated: the whole is that one term (or a product with one factor
# negated), so where a sign error there reproduces the step as well, the whole negated names it.
# Where the step is a sum, negating one term never writes the whole negated, so the two meet
# only on a step of one term.

def _flip_ratio_of_rates(node: sp.Basic, roles: Roles) -> list[Variant]:
    """A ratio a/b written b/a where a rate stands in it (the table's :func:`_flip_ratio`
    leaves those out, for precisions): no other entry inverts every rate of a ratio at once
    (a rate written for its scale is one rate, one place), so the ratio flipped names it.
    Not with a precision: τ₂/τ₁ for τ₁/τ₂ is each variance for its precision."""
    if not isinstance(node, sp.Mul):
        return []
    kinds = {roles.role(x) for x in node.free_symbols}
    if "rate" not in kinds or "precision" in kinds:
        return []
    num, den = sp.fraction(node)
    if not (num.free_symbols and den.free_symbols):
        return []
    wrong = den / num
    return [(wrong, {"right": node, "wrong": wrong, "guard": _outside_logs_and_integrals})]


def _outside_logs_and_integrals(expr: sp.Basic, path: tuple[int, ...]) -> bool:
    """Not as a log's argument, nor under an integral, a sum, an expectation or a
    derivative: a rate stands in every factor of a Poisson or exponential weight there, too
    many places to try, and a step that evaluates them shows none of those places."""
    return _not_the_argument_of_a_log(expr, path) and not sim.under(expr, path, sim.CONSTRUCTS)


def _exponent_sign_kept(node: sp.Basic, roles: Roles) -> list[Variant]:
    """e^{−A} put back as e^{A} for an exponent A of one term, the repair left as written
    (SymPy would make e^{log u} the u it equals, and then the sign error could not be made
    again in the repaired part to check it): for the written step only."""
    if isinstance(node, sp.exp) and not isinstance(node.args[0], sp.Add) and \
            node.args[0].free_symbols:
        t = node.args[0]
        kept = sp.exp(-t, evaluate=False)
        if kept.args[0] != -t or kept == sp.exp(-t):
            return []  # nothing that SymPy would have simplified
        return [(kept, {"right": t, "wrong": -t})]
    return []


def _complement_for_probability(node: sp.Basic, roles: Roles) -> list[Variant]:
    """P written 1 − P (the other way round from the table's simulation), for a probability
    expression P the right lines write beside its complement (a sigmoid): the other
    outcome's probability written for this one's. Not for a lone symbol, which stands in too
    many places to say which one was meant."""
    out: list[Variant] = []
    for p in getattr(roles, "probabilities", ()) or ():
        if node == p and not p.is_Symbol:
            out.append((1 - p, {"right": p, "wrong": 1 - p, "s": p}))
    return out


_S24_SIGNS: dict[str, dict[str, Any]] = {
    "complement-probability": {"local": _plus(BY_NAME["complement-probability"].local,
                                              _complement_for_probability)},
    "sign-error": {"undo": _plus(BY_NAME["sign-error"].undo,
                                 _as_undo(_exponent_sign_kept))},
    "ratio-flipped": {"local": _plus(BY_NAME["ratio-flipped"].local, _flip_ratio_of_rates),
                      "undo": _plus(BY_NAME["ratio-flipped"].undo,
                                    _as_undo(_flip_ratio_of_rates))},
    "overall-sign": {"special_case_of": ("sign-error",)},
    # Jensen's pattern also where the log of the average is written as logs of its parts
    "jensen-reversed": {"relation": _either_relation(BY_NAME["jensen-reversed"].relation,
                                                     sim.jensen_reversed_combined)},
}

CATALOGUE = _amended(CATALOGUE, _S24_SIGNS)
BY_NAME = {e.name: e for e in CATALOGUE}

# --- terms, halves and constants (s25) ---
# A term of a sum the author wrote, missing where the rest of that sum stands in the written
# step (over a common denominator, or expanded): restored from the written step, the term
# comes from the page, never from SymPy's expansion.

_S25_TERMS: dict[str, dict[str, Any]] = {
    "dropped-term": {"undo": sim.written_term_restored},
}

CATALOGUE = _amended(CATALOGUE, _S25_TERMS, add=True)
BY_NAME = {e.name: e for e in CATALOGUE}


# --- factors and derivatives (s25) ------------------------------------------------------------
# A derivative taken rule by rule with the power rule's factor forgotten in one power (inside
# a chain rule, a product, a sum over coordinates); the page must show a derivative of such a
# power that the step took (see :mod:`.witness_factors`).

_S25_FACTORS: dict[str, dict[str, Any]] = {
    "power-rule-factor": {
        "local": _plus(BY_NAME["power-rule-factor"].local, sim.power_factor_lost),
        "witness": "power-derivative",
        "explanation": "The power rule: {power} differentiated in {base} gives {dpower}; "
                       "the factor {n} it brings down is missing ({right} belongs here, not "
                       "{wrong})."},
    # a factor lost in the body of a derivative the step keeps (the written body shows it
    # gone); the page must show the derivative kept (see :mod:`.witness_factors`)
    "dropped-factor": {
        "local": _plus(BY_NAME["dropped-factor"].local, sim.factor_dropped_under_derivative),
        "witness": "factor-dropped"},
    # a square lost from a denominator, and put back on a written step that also expanded or
    # rearranged; the page must show the base without its square (see :mod:`.witness_factors`)
    "missing-square": {
        "local": _plus(BY_NAME["missing-square"].local, sim.square_lost_below),
        "undo": sim.square_restored,
        "witness": "square-gone"},
    # the power of an exponential lost in a log ((e^η)ᵏ, which SymPy keeps as e^{kη}); the
    # page must show the power written
    "log-power-lost": {
        "local": _plus(BY_NAME["log-power-lost"].local, sim.power_of_exp_lost_in_log),
        "witness": "power-written"},
}

CATALOGUE = _amended(CATALOGUE, _S25_FACTORS)
BY_NAME = {e.name: e for e in CATALOGUE}


# --- signs and ratios (s25) ----------------------------------------------------------------------
# The log-evidence alone on its line (E_{p(z|x)}[log p(x)] = log p(x), or the log of the
# averaged importance weights, which is log p(x)): its sign flipped is the whole line negated,
# and the evidence's sign says which term it is; a whole negated is told from one term negated
# only where the line has several terms, so there the evidence names it.


def _evidence_alone(expr: sp.Basic, roles: Roles) -> list[Variant]:
    """The whole expression negated when it is one term whose every log-density is the
    evidence's (no density of a bound variable in it): log p(x) written −log p(x)."""
    if isinstance(expr, sp.Add) or expr.is_Number:
        return []
    logs = _abstract_logs(expr)
    if not logs:
        return []
    bound = _bound_in(expr) | roles.bound
    apps = [a for lg in logs for a in lg.atoms(AppliedUndef)]
    if not apps or any(set(a.args) & bound for a in apps):
        return []
    return [(-expr, {"right": expr, "wrong": -expr})]


def _flip_log_of_sum(node: sp.Basic, roles: Roles) -> list[Variant]:
    """log A of a sum A that is one fraction N/D (1 + u/(1 − u) is 1/(1 − u)), written as the
    log of D/N: the ratio the sum stands for turned upside down. Only when the turned log
    stands on the written step (``shown``): −log(1 − u) for log(1 − u) written with the sign
    kept and the argument inverted, not the same value reached by a sign written."""
    if not isinstance(node, sp.log) or not isinstance(node.args[0], sp.Add):
        return []
    num, den = sp.fraction(sp.together(node.args[0]))
    if not den.free_symbols:
        return []
    wrong = sp.log(sp.factor_terms(den / num))
    if wrong == sp.log(1 / node.args[0]) and not isinstance(wrong.args[0], sp.Add):
        return []
    return [(wrong, {"right": node, "wrong": wrong, "shown": (wrong,)})]


def _flip_log_of_number(node: sp.Basic, roles: Roles) -> list[Variant]:
    """log A written log(1/A), as its author wrote it (log K of a number K > 1, or of an
    expression with no ratio in it, which :func:`_flip_log` turns over): the reciprocal must
    stand on the page (``shown``: SymPy makes log(1/K) the −log K it equals, and the same
    value reached by a sign written is a sign error)."""
    if not isinstance(node, sp.log):
        return []
    arg = node.args[0]
    if arg.is_Number and not (arg.is_Integer and arg > 1):
        return []
    if any(p.is_Pow and p.exp.is_negative for p in sp.Mul.make_args(arg)):
        return []  # a ratio: :func:`_flip_log` turns it over
    wrong = sp.log(sp.Pow(arg, -1), evaluate=False)
    return [(wrong, {"right": node, "wrong": wrong, "shown": (wrong,)})]


def _unflip_log_of_number(node: sp.Basic, roles: Roles) -> list[Variant]:
    """The inverse of :func:`_flip_log_of_number` on the step as written: log(1/A) put back
    as log A."""
    if not isinstance(node, sp.log):
        return []
    arg = node.args[0]
    if arg.is_Rational and arg.p == 1 and arg.q > 1:
        right = sp.log(sp.Integer(arg.q))
    elif arg.is_Pow and arg.exp == -1 and not arg.base.is_Number:
        right = sp.log(arg.base)
    else:
        return []
    return [(right, {"right": right, "wrong": node})]


_S25_SIGNS: dict[str, dict[str, Any]] = {
    "log-ratio-flipped": {
        "local": _plus(BY_NAME["log-ratio-flipped"].local, _flip_log_of_sum,
                       _flip_log_of_number),
        "undo": _plus(BY_NAME["log-ratio-flipped"].undo, _unflip_log_of_number)},
    # d/dt (1 − P) = −dP/dt, 2(1 − r) − 1 = −(2r − 1): where the complement written and
    # the whole negated give the same value, the page shows P where 1 − P belongs
    "complement-probability": {"special_case_of": ("overall-sign",)},
    "log-evidence-sign": {
        "whole": _evidence_alone, "whole_undo": _as_undo(_evidence_alone),
        # on a line of one term, the evidence negated is the whole negated
        "special_case_of": ("overall-sign",)},
}

CATALOGUE = _amended(CATALOGUE, _S25_SIGNS)
BY_NAME = {e.name: e for e in CATALOGUE}


# --- session 25: roles, moments and indices ---------------------------------------------------

_S25_ROLES: dict[str, dict[str, Any]] = {
    # (2π)^(K/2) of a K-coordinate Gaussian written for another count of coordinates
    "dimension-count": {"local": _plus(BY_NAME["dimension-count"].local,
                                       sim.normaliser_count_wrong,
                                       sim.quadratic_form_count_wrong)},
    # the coefficient of unit noise is a standard deviation: its square is the variance
    "std-for-variance": {"local": _plus(BY_NAME["std-for-variance"].local,
                                        sim.noise_std_for_variance),
                         "whole": _plus(BY_NAME["std-for-variance"].whole,
                                        sim.every_std_for_variance)},
}

CATALOGUE = _amended(CATALOGUE, _S25_ROLES)
BY_NAME = {e.name: e for e in CATALOGUE}


# --- session 26: roles, moments and counts ----------------------------------------------------

_S26_ROLES: dict[str, dict[str, Any]] = {
    # a sum over an index its summand does not hold, its count lost; a factor taken out of
    # a sum with the count of its terms
    "dimension-count": {"local": _plus(BY_NAME["dimension-count"].local,
                                       sim.idle_index_count_lost,
                                       sim.count_with_factor_out)},
}

CATALOGUE = _amended(CATALOGUE, _S26_ROLES)
BY_NAME = {e.name: e for e in CATALOGUE}

_S26_MOMENTS: dict[str, dict[str, Any]] = {
    # the second moment of a declared family (Poisson, binomial, Bernoulli...) written wrong
    "wrong-moment": {"whole": sim.declared_moment_wrong},
}

CATALOGUE = _amended(CATALOGUE, _S26_MOMENTS, add=True)
BY_NAME = {e.name: e for e in CATALOGUE}

_S26_SQUARES: dict[str, dict[str, Any]] = {
    # the 2 of the cross term lost while a square is expanded (one square, or every one)
    "binomial-coefficient": {"local": sim.square_expanded_without_two,
                             "whole": sim.squares_expanded_without_two},
}

CATALOGUE = _amended(CATALOGUE, _S26_SQUARES, add=True)
BY_NAME = {e.name: e for e in CATALOGUE}

_S26_PRECISIONS: dict[str, dict[str, Any]] = {
    # every variance of a precision-weighted combination written as its precision
    "precision-for-variance": {"whole": sim.every_variance_as_precision,
                               "local": sim.weighted_mean_variances_as_precisions},
}

CATALOGUE = _amended(CATALOGUE, _S26_PRECISIONS, add=True)
BY_NAME = {e.name: e for e in CATALOGUE}

# --- session 26: factors and derivatives ------------------------------------------------------
# The power rule's factor forgotten in every power of one exponent (each term of a sum of
# squares differentiated the same wrong way); the page must show the derivative of such
# powers taken in the step (the same ``power-derivative`` witness).

_S26_FACTORS: dict[str, dict[str, Any]] = {
    "power-rule-factor": {
        "local": _plus(BY_NAME["power-rule-factor"].local, sim.power_factor_lost_in_each)},
}

CATALOGUE = _amended(CATALOGUE, _S26_FACTORS)
BY_NAME = {e.name: e for e in CATALOGUE}

# --- session 26: terms, squares and indices ---------------------------------------------------
# A constant said to be written wrong inside a bracket of symbols (K − 1 written K − 2) must
# not stand on the written step as its author wrote it on the previous line: where the
# bracket stands there unchanged, as often, its constant was not written wrong (the same
# value came from elsewhere: −log(1/(K − 1)) for −log(eᶠ/(eᶠ + (K − 1)eᶠ)) keeps K − 1).


def _constant_in_bracket(fn: Local) -> Local:
    """``fn``'s variants, those that change a number of a sum of symbols marked with that
    sum (``bracket``: checked against the page by :meth:`.mistakes._Context.stands_unchanged`)."""
    def local(node: sp.Basic, roles: Roles) -> list[Variant]:
        out = fn(node, roles)
        if not (isinstance(node, sp.Add) and node.free_symbols):
            return out
        return [(w, {**b, "bracket": node}
                 if isinstance(b.get("right"), sp.Basic) and b["right"].is_Rational
                 and isinstance(b.get("wrong"), sp.Basic) and b["wrong"].is_Rational else b)
                for w, b in out]
    return local


_S26_TERMS: dict[str, dict[str, Any]] = {
    "constant-wrong": {"local": _constant_in_bracket(BY_NAME["constant-wrong"].local)},
    # a square written over a bracket, lost from one of its factors (or from a factor of one
    # of its terms, the square expanded); the page must show that square and the factor
    # without it (see :mod:`.witness_terms`)
    "missing-square": {"local": _plus(BY_NAME["missing-square"].local,
                                      sim.square_lost_on_a_factor),
                       "witness": "square-written"},
}

# A term the right expression does not have, added: the term is one the author wrote as a
# term of a sum of the written step, and the rest of that sum is the right part (the whole
# right expression, or a part of it as the previous line has it); a term that only SymPy's
# expansion shows is never said to be added.
_S26_TERMS_NEW = (
    Entry("extra-term", "a term added", (),
          "The term {s} was added: the right expression has no such term ({wrong} was "
          "written where {right} belongs).",
          local=sim.term_added, whole=sim.term_added_to_whole,
          example=Example(_g**2 * _s**2, _g**2 * _s**2 + _x**2)),
)

CATALOGUE = _amended(CATALOGUE, _S26_TERMS, _S26_TERMS_NEW)
BY_NAME = {e.name: e for e in CATALOGUE}

# --- session 27: factors lost (N1) --------------------------------------------------------------
# A bracket (1 − p) lost whole from a product, and a factor of the previous line lost on a step
# that also rearranges: put back at one place of the written step (a factor or a term of it),
# the repaired step equals the previous line; the page must show the factor fewer times.

_S27_FACTORS: dict[str, dict[str, Any]] = {
    "dropped-factor": {"local": sim.bracket_factor_dropped, "undo": sim.factor_restored},
    # σ written for σ·σ is a factor σ lost: the role (the square of the factor) names it
    "std-for-variance": {"special_case_of": ("dropped-factor",)},
    "missing-square": {"special_case_of": ("dropped-factor",)},
}

CATALOGUE = _amended(CATALOGUE, _S27_FACTORS, add=True)
BY_NAME = {e.name: e for e in CATALOGUE}

_S27_GAMMA: dict[str, dict[str, Any]] = {
    # Γ(s + 2) written (s + 1)Γ(s): the recursion applied once where it is needed twice,
    # a factor of the product it gives lost (a factor dropped, named by the rule it breaks)
    "gamma-recursion": {"whole": sim.gamma_recursion_stopped,
                        "special_case_of": ("dropped-factor",)},
}

CATALOGUE = _amended(CATALOGUE, _S27_GAMMA, add=True)
BY_NAME = {e.name: e for e in CATALOGUE}

_S27_COUNTS: dict[str, dict[str, Any]] = {
    # the count of a sum lost on one of its constant terms (its logs opened)
    "dimension-count": {"local": sim.count_lost_on_one_term},
}

CATALOGUE = _amended(CATALOGUE, _S27_COUNTS, add=True)
BY_NAME = {e.name: e for e in CATALOGUE}

# --- moments taken on the page (s27, N3) --------------------------------------------------------
# A moment said wrong must be a moment the page takes: the step evaluates an expectation, an
# integral, a sum or a KL of the previous line, or the derivation took one before (see
# :mod:`.witness_moments`). A factor lost in an integration by parts, a term of x(x − 1) + x
# lost inside an expectation, or a term of a completed square lost has the value of a wrong
# moment, but the page shows no moment taken there.

_S27_MOMENTS: dict[str, dict[str, Any]] = {
    name: {"witness": "moment-taken"}
    for name in ("wrong-moment", "second-moment-missing-mean", "second-moment-missing-variance")
}

CATALOGUE = _amended(CATALOGUE, _S27_MOMENTS)
BY_NAME = {e.name: e for e in CATALOGUE}

# the square of a moment lost as the moment is evaluated (E[x]² written with E[x]'s value)
_S27_SQUARES: dict[str, dict[str, Any]] = {
    "missing-square": {"whole": sim.moment_square_lost},
}

CATALOGUE = _amended(CATALOGUE, _S27_SQUARES, add=True)
BY_NAME = {e.name: e for e in CATALOGUE}

# a variance made of the squares of several standard deviations (σ₁²σ₂², s² + σ²) written
# with the standard deviations (σ₁σ₂, s + σ) at one place
_S27_ROLES: dict[str, dict[str, Any]] = {
    "std-for-variance": {"local": sim.stds_for_their_variance},
}

CATALOGUE = _amended(CATALOGUE, _S27_ROLES, add=True)
BY_NAME = {e.name: e for e in CATALOGUE}

# a root lost in a log needs a root written in a log on the previous line; where none is
# written, the ½ dropped (the general entry) is the name (see :mod:`.witness_moments`)
CATALOGUE = _amended(CATALOGUE, {"log-inverse-sqrt": {"witness": "root-written"}})
BY_NAME = {e.name: e for e in CATALOGUE}

# a square lost, or a standard deviation written for its variance, inside the value of an
# expectation the step evaluates (E_z[(n + wz)²] written n² + w)
_S27_IN_VALUE: dict[str, dict[str, Any]] = {
    "missing-square": {"local": sim.in_evaluated_value(
        _plus(BY_NAME["missing-square"].local, sim.bare_square_lost))},
    "std-for-variance": {"local": sim.in_evaluated_value(BY_NAME["std-for-variance"].local)},
}

CATALOGUE = _amended(CATALOGUE, _S27_IN_VALUE, add=True)
BY_NAME = {e.name: e for e in CATALOGUE}

# --- session 27: signs, terms and ratios --------------------------------------------------------
# A term lost while a numerator is multiplied out over one denominator (a/t − b/(1 − t) written
# (a − bt)/(t(1 − t)): the term −at of a(1 − t) lost); the page must show that fraction, and
# where the previous line wrote the factor (1 − t), its loss is a factor dropped as much (see
# mistakes._term_written): not named. The cross term of a square the line writes is left
# to missing-cross-term.

_S27_TERMS: dict[str, dict[str, Any]] = {
    "dropped-term": {"whole": sim.term_dropped_over_one_denominator},
    # log(a/2 + b/2) = log((a + b)/2): the ½ rightly taken out, the log of the sum split
    "log-of-sum-split": {"local": sim.log_of_sum_split_after_common_factor},
}

CATALOGUE = _amended(CATALOGUE, _S27_TERMS, add=True)
BY_NAME = {e.name: e for e in CATALOGUE}

# a power said put on one factor only must stand on the previous line over that factor's
# symbols (see :mod:`.witness_factors`): e^{−λ} beside a series summed wrong puts no power λ
# on anything
CATALOGUE = _amended(CATALOGUE, {"power-on-one-factor": {"witness": "power-carried"}})
BY_NAME = {e.name: e for e in CATALOGUE}

# --- session 28: factors lost (N1) --------------------------------------------------------------
# An expectation written as its integral (its sum) over the support without its density: the
# factor an expectation's integral carries, lost; the written step must show that integral. A
# square in a product (e(m + e)²) multiplied out with the 2 of its cross term lost. A finite sum
# re-indexed with the bounds of its old index kept.

_S28_FACTORS: dict[str, dict[str, Any]] = {
    "dropped-factor": {"whole": sim.density_dropped_from_expectation},
    # a square standing in a product, multiplied out with its cross term's 2 lost
    "binomial-coefficient": {"local": sim.square_times_factor_expanded_without_two},
    # a finite sum re-indexed (k = t − i) with the old index's bounds kept
    "index-shift": {"local": sim.window_shifted, "undo": sim.window_restored},
}

CATALOGUE = _amended(CATALOGUE, _S28_FACTORS, add=True)
BY_NAME = {e.name: e for e in CATALOGUE}

# --- session 28: roles, moments, squares and halves (N3) ----------------------------------------
# σ written for σ² is a square lost from σ; where σ is a standard deviation (its role found from
# the declarations or the structure, as std-for-variance's simulations require), the role names
# the lost square: the specific entry is std-for-variance (a(m² + s) for a(m² + s²) after
# E[ε²] = 1, s the coefficient of unit noise).
_S28_SQUARES: dict[str, dict[str, Any]] = {
    "std-for-variance": {"special_case_of": ("missing-square",)},
}

CATALOGUE = _amended(CATALOGUE, _S28_SQUARES)
BY_NAME = {e.name: e for e in CATALOGUE}

# √v written where the variance v is meant must show a root of v on the written step (see
# :func:`.witness_moments.root_shown`): −½ log w written for −log w has the value of log √w,
# but no root was written, and where none is, the mechanism did not happen in the step
CATALOGUE = _amended(CATALOGUE, {"sqrt-of-variance-for-variance": {"witness": "root-shown"}})
BY_NAME = {e.name: e for e in CATALOGUE}

# the variance of a Gaussian that is an expression (1 − ᾱ), written where its square root, the
# standard deviation, belongs (ε/√(1 − ᾱ) written ε/(1 − ᾱ))
CATALOGUE = _amended(CATALOGUE, {"variance-for-std": {
    "local": sim.variance_expression_for_its_root}}, add=True)
BY_NAME = {e.name: e for e in CATALOGUE}

# --- session 28: signs, terms, ratios, inequalities and splits ------------------------------------
# A term of a sum the previous line writes, negated where the step combines like terms
# (u − 2c²/w + c²/w written u − 3c²/w): SymPy's value of the previous line has merged the
# terms, so the plain sign error finds no term to negate.

_S28_SIGNS: dict[str, dict[str, Any]] = {
    "sign-error": {"local": sim.written_term_negated},
}

CATALOGUE = _amended(CATALOGUE, _S28_SIGNS, add=True)
BY_NAME = {e.name: e for e in CATALOGUE}

# --- session 29 (A): squares, factors and counts put back on the written step -------------------
# The square of a symbol lost on a step that also rearranges (a²(m² + s²) − a²m² written a·s²):
# put back on the written step (see :func:`.simulations.symbol_square_restored`); the page must
# show the square on the previous line and fewer of it on the step (witness ``square-gone``).

_S29_SQUARES: dict[str, dict[str, Any]] = {
    "missing-square": {"undo": sim.symbol_square_restored,
                       "local": sim.role_symbol_square_lost},
}

CATALOGUE = _amended(CATALOGUE, _S29_SQUARES, add=True)
BY_NAME = {e.name: e for e in CATALOGUE}

# a dimension count written 1 (−D/2·log 2π written −½·log 2π), the count found from the roles or
# from the shapes the declarations give (see :func:`.simulations.dimension_counted_once`)
CATALOGUE = _amended(CATALOGUE, {"dimension-count": {"whole": sim.dimension_counted_once}},
                     add=True)
BY_NAME = {e.name: e for e in CATALOGUE}

# the chain rule's inner factor forgotten in a derivative taken inside an expectation, a sum or
# an integral (see :func:`.simulations.inner_factor_forgotten_inside`)
CATALOGUE = _amended(CATALOGUE, {"chain-rule-factor-forgotten": {
    "local": sim.inner_factor_forgotten_inside}}, add=True)
BY_NAME = {e.name: e for e in CATALOGUE}

# the binomial 2 of a cross term is lost only where the page shows the square's expansion: a
# square of a sum expanded in the step, or the cross term 2ab written beside a² and b² (see
# :mod:`.witness_factors`); 2√(s₁s₂²s₁) written s₁s₂ is a 2 dropped, not a cross term's
CATALOGUE = _amended(CATALOGUE, {"binomial-coefficient": {"witness": "cross-term-written"}})
BY_NAME = {e.name: e for e in CATALOGUE}

# --- session 29: signs, terms, ratios, inequalities and splits (B) --------------------------------
# A term said to be added must be new on the page: a term of the previous line holding an
# expectation the step evaluated, carried (right, or the expectation read as a number), was
# not added (see :func:`.witness_terms.term_new`); where it is, nothing was added at all.
CATALOGUE = _amended(CATALOGUE, {"extra-term": {"witness": "term-new"}})
BY_NAME = {e.name: e for e in CATALOGUE}

# a factor lost inside a log, under an integral (an expectation) that the step keeps: the term
# log F of the integrand dropped (see :func:`.simulations.log_factor_dropped_in_kept`)
CATALOGUE = _amended(CATALOGUE, {"dropped-term": {"local": _plus(
    BY_NAME["dropped-term"].local, sim.log_factor_dropped_in_kept)}})
BY_NAME = {e.name: e for e in CATALOGUE}

# the complement of a weight N/(N + R) of positive parts written for it: a probability's
# complement where no symbol is declared a probability (see
# :func:`.simulations.weight_complement`)
CATALOGUE = _amended(CATALOGUE, {"complement-probability": {
    "local": _plus(BY_NAME["complement-probability"].local, sim.weight_complement),
    "undo": _plus(BY_NAME["complement-probability"].undo, sim.weight_complement)}})
BY_NAME = {e.name: e for e in CATALOGUE}

# --- names1 (issue 17): a factor dropped from a product as the previous line wrote it ---------
# A step that rearranges or cancels: the factor lost stands in the author's product, which
# SymPy's form of the line may have merged (see :func:`.simulations.factor_dropped_as_written`)
CATALOGUE = _amended(CATALOGUE, {"dropped-factor": {"whole": sim.factor_dropped_as_written}},
                     add=True)
BY_NAME = {e.name: e for e in CATALOGUE}

# --- tenth outsider pass (o10b) ------------------------------------------------------------------
# a standard deviation (a rate's scale 1/λ) written for its variance needs a variance on the
# page: where the previous line squares a bracket whose value is the written part ((E x)² of an
# exponential, written 1/λ), the square written was lost (see
# :func:`.witness_moments.square_not_written`), and missing-square is the name
CATALOGUE = _amended(CATALOGUE, {"std-for-variance": {"witness": "square-not-written"}})
BY_NAME = {e.name: e for e in CATALOGUE}


def _precision_written_for_its_variance(node: sp.Basic, roles: Roles) -> list[Variant]:
    """The variance 1/τ of a Gaussian declared by its precision τ (``N(μ, 1/τ)``) written τ,
    not as a log's argument (there 1/τ for τ is the log's sign)."""
    out = _replace_symbol("precision", lambda s: 1 / s, lambda s: s)(node, roles)
    return [(new, {**b, "guard": _not_the_argument_of_a_log}) for new, b in out]


def _precision_repaired(node: sp.Basic, roles: Roles) -> list[Variant]:
    """The repair of :func:`_precision_written_for_its_variance`: a precision τ written on
    the step put back as its variance 1/τ."""
    out = _replace_symbol("precision", lambda s: s, lambda s: 1 / s)(node, roles)
    return [(new, {**b, "guard": _not_the_argument_of_a_log}) for new, b in out]


# the variance 1/ρ of a normal declared with its precision ρ (Berger's posterior N(μ, 1/ρ))
# written ρ: the precision entry knew only a variance or a standard deviation written inverted
CATALOGUE = _amended(CATALOGUE, {"precision-for-variance": {
    "local": _precision_written_for_its_variance,
    "undo": _as_undo(_precision_repaired)}}, add=True)
BY_NAME = {e.name: e for e in CATALOGUE}

# a sum re-indexed by a shift of more than one (j = k − 2 in Σ_{k≥2} λ^(k−2)/(k−2)!) with the
# old bounds kept (see :func:`.simulations.reindexed_bounds_kept`); the explanation speaks of
# the index shifted, which every simulation of the entry is
CATALOGUE = _amended(CATALOGUE, {"index-shift": {
    "local": sim.reindexed_bounds_kept,
    "explanation": "A sum's index shifted without its bounds: {why}."}}, add=True)
BY_NAME = {e.name: e for e in CATALOGUE}

# --- eleventh outsider pass (o11b) ---------------------------------------------------------------
# a moment of a declared family evaluated with a ½ too many (the Laplace's variance 2b² written
# b², its scale taken for the standard deviation: .simulations._scale_as_std) is a moment
# written wrong; where the page shows no ½ added there, the ½ is that moment's, and
# wrong-moment is the name (a ½ the page does show stays extra-half)
BY_NAME = {e.name: e for e in CATALOGUE}

# --- names3 (issue 17): the chain rule's inner factor lost inside a derivative's value --------
# the inner function as its author wrote it where SymPy keeps its negative (σ(wt + b) as
# 1/(1 + e^(−b − tw))), and the inner factor of one factor of a product lost while the product
# rule is applied (see :func:`.simulations.inner_factor_forgotten_negated` and
# :func:`.simulations.inner_factor_forgotten_in_product`)
CATALOGUE = _amended(CATALOGUE, {"chain-rule-factor-forgotten": {"local": _plus(
    sim.inner_factor_forgotten_negated, sim.inner_factor_forgotten_in_product)}}, add=True)
BY_NAME = {e.name: e for e in CATALOGUE}

# --- names3 (issue 17): a square lost from a derivative's value -------------------------------
# the squared denominator the quotient (power) rule gives written unsquared, in the value of a
# derivative the step took (see :func:`.simulations.square_lost_from_denominator`)
CATALOGUE = _amended(CATALOGUE, {"missing-square": {
    "local": sim.square_lost_from_denominator}}, add=True)
BY_NAME = {e.name: e for e in CATALOGUE}

# --- names4 (eleventh naming round) --------------------------------------------------------------
# the Gamma recursion in other forms: its factor taken one too low (Γ(s + 1)/Γ(s) written s − 1)
# and the shift by one lost between Γ and the factorial (Γ(n) written n!, n! written Γ(n));
# see :func:`.simulations.gamma_recursion_shifted_down` and
# :func:`.simulations.gamma_factorial_confused`
CATALOGUE = _amended(CATALOGUE, {"gamma-recursion": {
    "whole": _plus(sim.gamma_recursion_shifted_down, sim.gamma_factorial_confused)}}, add=True)
BY_NAME = {e.name: e for e in CATALOGUE}

# a multivariate Gaussian's KL: the dimension count lost from the exponents inside one log
# (log(v^D/s^(2D)) of det(vI)/det(s²I) written log(v/s²)), and the trace term's matrix ratio
# turned over (tr(Σ₁⁻¹Σ₀) written tr(Σ₀⁻¹Σ₁)); see :func:`.simulations.dimension_lost_in_a_log`
# and :func:`.simulations.trace_ratio_flipped`
CATALOGUE = _amended(CATALOGUE, {
    "dimension-count": {"whole": sim.dimension_lost_in_a_log},
    "ratio-flipped": {"local": sim.trace_ratio_flipped,
                      "undo": _as_undo(sim.trace_ratio_flipped)}}, add=True)
BY_NAME = {e.name: e for e in CATALOGUE}

# --- names5 (twelfth naming round) ---------------------------------------------------------------
# a factor of a log of a product kept on some of the logs it splits into and lost from another
# (−N·log(√(2π)σ) written −N·log(2π)/2 − log σ); see
# :func:`.simulations.factor_on_one_log_term`
CATALOGUE = _amended(CATALOGUE, {"factor-on-one-term": {
    "local": sim.factor_on_one_log_term}}, add=True)
BY_NAME = {e.name: e for e in CATALOGUE}

# --- names8 (twelfth naming round): the trace of a product split into a product of traces -----
# tr(AB) written tr(A)·tr(B) (the trace is linear, not multiplicative), at any cut of a matrix
# product under a trace; see :func:`.simulations.trace_of_product_split`
_tA, _tB = sp.MatrixSymbol("A", 3, 3), sp.MatrixSymbol("B", 3, 3)
CATALOGUE = (
    *CATALOGUE,
    Entry("trace-of-product-split", "tr(AB) written tr(A)·tr(B)", (),
          "The trace of the product {right} was written as the product of traces {wrong}: the "
          "trace is linear (tr(A + B) = tr A + tr B) but not multiplicative; tr(AB) = "
          "Σᵢⱼ AᵢⱼBⱼᵢ.",
          local=sim.trace_of_product_split,
          example=Example(sp.Trace(_tA * _tB), sp.Trace(_tA) * sp.Trace(_tB))),)
BY_NAME = {e.name: e for e in CATALOGUE}

# --- names7 (twelfth naming round) ---------------------------------------------------------------
# a family's mean E[k] written as its square or its second moment inside an expectation of a
# term linear in k (the Fisher information E[x/λ²] of a Poisson written λ²/λ²); see
# :func:`.simulations.declared_mean_wrong`
CATALOGUE = _amended(CATALOGUE, {"wrong-moment": {"whole": sim.declared_mean_wrong}}, add=True)
BY_NAME = {e.name: e for e in CATALOGUE}

# a normal's variance σ² written as its standard deviation σ in the second moment of an
# expectation the step evaluates (E[3(x − μ)²/σ⁴] written 3σ/σ⁴), under an explicit density (a
# declared normal is written out); see :func:`.simulations.moment_with_std_for_variance`
CATALOGUE = _amended(CATALOGUE, {"std-for-variance": {"local": sim.moment_with_std_for_variance}},
                     add=True)
BY_NAME = {e.name: e for e in CATALOGUE}

# --- names10 (fourteenth naming round): a factor lost under a construct the step keeps -------
# ∫ x·C·x^(a−1)(1 − x)^(b−1) dx written C∫ x^(a−1)(1 − x)^(b−1) dx: the integral (the sum, the
# expectation) kept, a factor of its integrand lost; named where the written integrand is the
# simulated one point by point (see :func:`.simulations.factor_dropped_in_kept`)
CATALOGUE = _amended(CATALOGUE, {"dropped-factor": {"local": sim.factor_dropped_in_kept}},
                     add=True)
BY_NAME = {e.name: e for e in CATALOGUE}

# --- kinds: what every instance of an entry also is ----------------------------------------------
# ``special_case_of`` says which entry wins where two reproduce a step at the same place; it is
# not "every X is a Y" (a chain-rule factor forgotten is a sign only when the factor is −1).
# KIND_OF lists only the relations that hold for every instance: a whole line negated, a cross
# term's sign, a log-density's sign and log p(x)'s sign are each a sign wrong; Jensen's
# inequality reversed is an inequality reversed; E[x²] with σ² or μ² forgotten is a moment
# wrong; the −1 constant lost is a term dropped; a factor put on one term only is dropped from
# the others; log(a/b) written log(b/a) turned a ratio over. A named mistake says these
# beside its name (the report's "also", JSON ``mistake_also``).
KIND_OF: dict[str, tuple[str, ...]] = {
    "jensen-reversed": ("inequality-reversed",),
    "overall-sign": ("sign-error",),
    "cross-term-sign": ("sign-error",),
    "log-density-sign": ("sign-error",),
    "log-evidence-sign": ("sign-error",),
    "second-moment-missing-mean": ("wrong-moment",),
    "second-moment-missing-variance": ("wrong-moment",),
    "missing-minus-one": ("dropped-term",),
    "factor-on-one-term": ("dropped-factor",),
    "log-ratio-flipped": ("ratio-flipped",),
}


def kinds(name: str) -> tuple[str, ...]:
    """Every entry each instance of the entry ``name`` is also an instance of (transitive).

    >>> kinds("jensen-reversed")
    ('inequality-reversed',)
    >>> kinds("dropped-factor")
    ()
    """
    out: list[str] = []
    todo = list(KIND_OF.get(name, ()))
    while todo:
        k = todo.pop(0)
        if k not in out and k != name:
            out.append(k)
            todo.extend(KIND_OF.get(k, ()))
    return tuple(out)

# --- o14a: a lost constant is one the page shows ---
# The −1 of missing-minus-one is a constant the author wrote on the previous line (or one put
# back into the written step's sum); a −1 that only the evaluated line holds (E[θ²] − E[θ]²
# of a log-normal, e^(2μ)·e^(σ²)·(e^(σ²) − 1)) was never written, and the term the author
# lost is the whole −E[θ]² (a dropped term). See :func:`.witness_terms.constant_written`.
CATALOGUE = _amended(CATALOGUE, {"missing-minus-one": {"witness": "constant-written"}})

# --- o15b: the Gamma recursion's factor lost ---
# Γ(s + 1) written Γ(s) where Γ(s) stands beside it (the Beta mean's Γ(α + 1)/Γ(α) taken as 1):
# the recursion Γ(s + 1) = s·Γ(s) with its factor s lost. Dropping the term 1 from s + 1
# reproduces the same step; the recursion is the specific name. See
# :func:`.simulations.gamma_recursion_factor_lost`.
CATALOGUE = _amended(CATALOGUE, {"gamma-recursion": {
    "whole": sim.gamma_recursion_factor_lost, "special_case_of": ("dropped-term",)}}, add=True)

# --- names11 (fifteenth naming round): a ratio turned over inside a longer product --------------
# a/b that is only part of a product (the coefficient in front of an integral the step
# evaluates, a/b of a·u/(2b)) written b/a; see :func:`.simulations.ratio_flipped_in_product`
CATALOGUE = _amended(CATALOGUE, {"ratio-flipped": {
    "local": sim.ratio_flipped_in_product,
    "undo": _as_undo(sim.ratio_flipped_in_product)}}, add=True)
BY_NAME = {e.name: e for e in CATALOGUE}
# log(a/b) written log(b/a) is a ratio turned over (KIND_OF): where SymPy's form of the line
# shows the log's ratio as a factor (e^(x + log(a/b)) read as e^x·a/b), both reproduce the
# step at the same place and the log the page writes says which
CATALOGUE = _amended(CATALOGUE, {"log-ratio-flipped": {"special_case_of": ("ratio-flipped",)}})
BY_NAME = {e.name: e for e in CATALOGUE}
