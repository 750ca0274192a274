"""A rule's words in the author's notation: the rule that proved a step, said with the step's
own letters, index and density names.

The deciding tiers name their rules in a textbook's generic letters (``Σ_{i=1}^{D} c = D·c``,
``product rule p(x, z) = p(x|z) p(z)``), and print the names of the densities they quote as
declared (``p_theta``). A report shows the rule for one step of one derivation: there the
index is the author's, the bounds are the author's, the joint density is the author's, and a
declared name is written as the reports write it (p_θ).

Examples
--------
>>> from elbo_derivation.read.deriv import parse_derivation
>>> d = parse_derivation("symbols: j : integer\\nsymbols: N : positive integer\\n"
...                      "symbols: c : real\\n  Sum(c, (j, 1, N))\\n= N*c  # a constant")
>>> in_author_notation("Σ_{i=1}^{D} c = D·c", d, d.steps[0])
'Σ_{j=1}^{N} c = N·c'
"""

from __future__ import annotations

import re
from typing import Any

import sympy as sp
from sympy.core.function import AppliedUndef

from elbo_derivation.report.pretty import pretty, pretty_name, pretty_written

__all__ = ["in_author_notation"]

#: the deciding layer's words for these rules (decide/calculus.py, decide/rules.py)
_SUM_CONSTANT = re.compile(r"Σ_\{i=1\}\^\{D\} c = D·c")
_PRODUCT_RULE = re.compile(r"product rule p\(x, z\) = p\(x\|z\) p\(z\)")
_SIGNATURE = re.compile(r"([^\W\d]\w*)\((.*)\)$")
_WORD = re.compile(r"(?<![\w\\])([^\W\d]\w*)")


def _lines(d: Any, step: Any) -> list[sp.Basic]:
    previous = d.start if step.index == 1 else d.steps[step.index - 2].expr
    return [e for e in (previous, step.expr) if isinstance(e, sp.Basic)]


def _sum_constant(text: str, lines: list[sp.Basic]) -> str:
    for line in lines:
        for node in sp.preorder_traversal(line):
            if isinstance(node, sp.Sum) and len(node.limits[0]) == 3:
                var, lo, hi = node.limits[0]
                count = hi if lo == 1 else hi - lo + 1
                shown_count = pretty(count)
                if isinstance(count, sp.Add):
                    shown_count = f"({shown_count})"
                said = (f"Σ_{{{pretty(var)}={pretty(lo)}}}^{{{pretty(hi)}}} c = "
                        f"{shown_count}·c")
                return _SUM_CONSTANT.sub(lambda _, said=said: said, text)
    return text


def _densities(lines: list[sp.Basic]) -> list[tuple[str, list[str], list[str]]]:
    """``(head, variables, given)`` of each density in ``lines``, in order, by its signature."""
    out = []
    for line in lines:
        for node in sp.preorder_traversal(line):
            if not isinstance(node, AppliedUndef):
                continue
            m = _SIGNATURE.match(node.func.__name__)
            if m is None:
                continue
            given, bar, cond = m.group(2).partition("|")
            entry = (m.group(1), [v.strip() for v in given.split(",") if v.strip()],
                     [v.strip() for v in cond.split(",") if v.strip()] if bar else [])
            if entry not in out:
                out.append(entry)
    return out


def _product_rule(text: str, lines: list[sp.Basic]) -> str:
    """The product rule said with the step's own family: a conditional u|v of a family whose
    joint of u and v (or marginal of v) the step writes too; the generic words when no
    family of the step has both (never another family's name: the variational density's
    conditional q(z|x) is not a factor of the model's joint)."""
    densities = _densities(lines)

    def fits(head: str, u: str, v: str) -> int:
        if any(h == head and not c and sorted(g) == sorted([u, v]) for h, g, c in densities):
            return 2  # its joint is written
        return 1 if any(h == head and not c and g == [v] for h, g, c in densities) else 0

    ranked = sorted(((fits(head, given[0], cond[0]), i, head, given, cond)
                     for i, (head, given, cond) in enumerate(densities)
                     if len(given) == 1 and len(cond) == 1), key=lambda t: (-t[0], t[1]))
    for score, _, head, given, cond in ranked:
        if score == 0:
            break
        u, v = given[0], cond[0]
        joint = next((g for h, g, c in densities
                      if h == head and not c and sorted(g) == sorted([u, v])), [v, u])
        h = pretty_name(head)
        said = (f"product rule {h}({', '.join(pretty_name(w) for w in joint)}) = "
                f"{h}({pretty_name(u)}|{pretty_name(v)}) {h}({pretty_name(v)})")
        return _PRODUCT_RULE.sub(lambda _, said=said: said, text)
    return text


def _names(text: str, d: Any) -> str:
    """Declared names (``p_theta``, ``sigma_1``, ``mu``) as the reports write them (p_θ, σ₁,
    μ); words that are no declared name stay as they are."""
    declared = set(getattr(d, "symbols", {}) or {}) | set(getattr(d, "definitions", {}) or {})
    for signature in getattr(d, "functions", {}) or {}:
        declared.add(signature.partition("(")[0].strip())
    return _WORD.sub(lambda m: pretty_name(m[1]) if m[1] in declared else m[1], text)


#: an expression a tier wrote after "=" or ":" in its sentence, up to the sentence's comma
_SPAN = re.compile(r"((?:[=:]|\bto|\bdifference|\bis)\s)([^,;]+?)(?=,\s|;|\.\s|\.$|$|\sis\s)")
_PYTHON = re.compile(r"\*\*|\^|\bsqrt\(|\bgamma\(|\bpolygamma\(|(?:^|\s)-")


def _expressions(text: str) -> str:
    """The expressions a tier's sentence quotes in Python's syntax (``-log(gamma(a)) -
    x^2/2``) in the reports' unicode (−log(Γ(a)) − x²/2); the rest of the sentence as it is."""
    def sub(m: re.Match[str]) -> str:
        span = m[2]
        if not _PYTHON.search(span) or re.search(r"\w\s+\w", span):  # prose, not Python
            return m[0]
        return m[1] + (pretty_written(span) or span)
    return _SPAN.sub(sub, text)


def in_author_notation(text: str | None, d: Any = None, step: Any = None) -> str | None:
    """``text`` (a rule, or a tier's explanation) with the generic letters of the rules it
    quotes put in the author's notation for ``step`` of ``d``: a sum's index and bounds, the
    joint density of the product rule, declared names as the reports write them, an
    expression quoted in Python's syntax in unicode. Unchanged without a derivation and a
    step.

    Parameters
    ----------
    text : str or None
        the words of the deciding layer.
    d : Derivation, optional
    step : Step, optional

    Returns
    -------
    str or None
        ``text`` in the author's notation (None for None).
    """
    if not text or d is None or step is None:
        return text
    try:
        lines = _lines(d, step)
        text = _sum_constant(text, lines) if _SUM_CONSTANT.search(text) else text
        text = _product_rule(text, lines) if _PRODUCT_RULE.search(text) else text
        return _names(_expressions(text), d)
    except Exception:  # words are never worth a crash of the report
        return text
