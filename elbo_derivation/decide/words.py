"""Expressions in words for the deciding tiers' explanations, in the author's notation.

The tiers may not import :mod:`elbo_derivation.report` (the import contracts), so they print
the expressions they name through :func:`plain`: a density by the signature the author declared
(``p(x)``, not SymPy's ``p(x)(x)``, the function applied to its arguments once more), powers
as ``^`` and products as ``·``, never Python's ``**`` and ``*``.
"""

from __future__ import annotations

import re

import sympy as sp

from elbo_derivation.core.plain import plain

__all__ = [
    "LOG_EXP",
    "LOG_POWER",
    "LOG_PRODUCT",
    "LOG_QUOTIENT",
    "log_identities",
    "plain",
]

# The identities of the logarithm, as a textbook names them (log of positive quantities).
LOG_PRODUCT = "log of a product"
LOG_QUOTIENT = "log of a quotient"
LOG_POWER = "log of a power"
LOG_EXP = "log of an exponential"

def _log_parts(arg: sp.Expr, out: set[str]) -> None:
    """The identities that expand log(arg) (see :func:`log_identities`)."""
    if isinstance(arg, sp.exp):
        out.add(LOG_EXP)
        return
    factors = sp.Mul.make_args(arg)
    numerator = [f for f in factors if not (f.is_Pow and f.exp.could_extract_minus_sign())]
    if len(numerator) < len(factors):
        out.add(LOG_QUOTIENT)
    if len(numerator) > 1 or (len(factors) - len(numerator)) > 1:
        out.add(LOG_PRODUCT)
    if any(isinstance(f, sp.exp) for f in factors):
        out.add(LOG_EXP)
    if len(factors) == 1 and arg.is_Pow and arg.exp not in (1, -1):
        out.add(LOG_POWER)  # (the parts of a product are not looked into: log(a·b²) is
        # the log of a product, whatever its factors are)


def log_identities(logs) -> tuple[str, ...]:  # type: ignore[no-untyped-def]
    """The identities of the logarithm that expand each of ``logs``, in a fixed order.

    log(a·b) = log a + log b (a product), log(a/b) = log a − log b (a quotient),
    log(aᵏ) = k·log a (a power, roots included), log(eᵘ) = u (an exponential), for
    positive a, b.

    Parameters
    ----------
    logs : iterable of sympy.log
        logarithms that were expanded.

    Returns
    -------
    tuple of str
        among :data:`LOG_PRODUCT`, :data:`LOG_QUOTIENT`, :data:`LOG_POWER`, :data:`LOG_EXP`.

    Examples
    --------
    >>> import sympy as sp
    >>> a, b, s = sp.symbols("a b s", positive=True)
    >>> log_identities([sp.log(a / b)])
    ('log of a quotient',)
    >>> log_identities([sp.log(s**2), sp.log(2 * sp.pi * s)])
    ('log of a product', 'log of a power')
    """
    out: set[str] = set()
    for node in logs:
        if isinstance(node, sp.log):
            _log_parts(node.args[0], out)
    return tuple(n for n in (LOG_PRODUCT, LOG_QUOTIENT, LOG_POWER, LOG_EXP) if n in out)


#: textbook phrases a justification may use → words one of the rules that proved the step must
#: contain for the phrase to be borne out (all lower case). Kept small: a phrase not listed
#: here is never the subject of a note.
_NAMED_RULES: tuple[tuple[re.Pattern[str], str, tuple[str, ...]], ...] = (
    # Bayes' rule, the product rule and marginalisation are one joint density read three
    # ways: the rules write a model through its joint (the product rule), so any of them bears
    # out the others
    (re.compile(r"\bbayes\b"), "Bayes' rule", ("bayes", "product rule")),
    (re.compile(r"\blinearity\b"), "linearity", ("linearity",)),
    (re.compile(r"\bdefinition of (the )?kl\b|\bkl definition\b"), "the definition of KL",
     ("definition kl",)),
    (re.compile(r"\bjensen"), "Jensen's inequality", ("jensen",)),
    (re.compile(r"\bgibbs"), "Gibbs' inequality", ("gibbs",)),
    (re.compile(r"\bproduct rule\b"), "the product rule", ("product rule", "bayes")),
    (re.compile(r"\bmarginali[sz]"), "marginalisation", ("marginalisation", "product rule")),
)

#: the tiers whose rules are the ones the step needed (the expectation rules leave each rule
#: out in turn; the inequality rules name the inequality that closed the gap)
RULE_TIERS = ("expectation-rules", "inequality-rules")


def justification_note(justification: str, rules: tuple[str, ...] | list[str]) -> str:
    """A note when the author's justification names a known rule the proof did not need.

    Parameters
    ----------
    justification : str
        the author's words beside the step.
    rules : sequence of str
        the rules that proved the step (only those it needed).

    Returns
    -------
    str
        "" when every known rule the justification names is among ``rules`` (or it names
        none); otherwise a sentence naming the rule written and the rules used. A note, never
        a refutation: the step holds either way.

    Examples
    --------
    >>> print(justification_note("Bayes' rule", ["E_q[c] = c"]))
    the justification names Bayes' rule, but the step follows from E_q[c] = c without it
    >>> justification_note("definition of KL", ["definition KL(q, p) = E_q[log q/p]"])
    ''
    """
    text = justification.lower()
    used = [r.lower() for r in rules]
    missing = [name for pattern, name, marks in _NAMED_RULES
               if pattern.search(text) and not any(m in r for m in marks for r in used)]
    if not missing:
        return ""
    how = "; ".join(rules) if rules else "algebra alone"
    return (f"the justification names {' and '.join(missing)}, but the step follows from "
            f"{how} without {'it' if len(missing) == 1 else 'them'}")
