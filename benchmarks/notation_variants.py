r"""Notation variants: does a textbook's way of writing the same mathematics read the same?

For each correct ``.tex`` file of ``tests/corpus/*/`` (not ``wrong/``, not ``defects/``),
this tool applies ONE meaning-preserving rewrite at a time (``\log`` → ``\ln``,
``\exp(u)`` → ``e^{u}``, ``(`` → ``\left(``, ``dz`` → ``\mathrm{d}z``, ``D_{KL}`` →
``\operatorname{KL}``, ``align*`` → ``eqnarray*``, ...) and compares the rewritten file with
the original:

not applicable
    the rewrite changes nothing in the file (no ``\exp`` to rewrite, say);
same reading
    the rewritten file is read into exactly the same expressions, relations and parts, so
    its verdicts cannot change (no check needed);
same verdicts
    the reading differs (a SymPy form of the same mathematics), and the rewritten file,
    checked, has the same verdict on every step as the original;
unreadable
    the rewritten file is refused (its message is kept);
verdict changed
    the rewritten file is read and checked, and some step's verdict differs (or the number
    of steps does). The most serious outcome: the same mathematics judged differently.

Every rewrite is a named function of the text of the file's rows (comments, ``\text{...}``,
``\label``, ``\tag`` and environment names are left alone), written so that the result is
the same mathematics as printed in a textbook: where a rewrite could change the meaning (a
``\cdot`` between two numbers, a ``\frac{a}{b}`` followed by a factor), it is not applied
there.

Usage::

    python benchmarks/notation_variants.py [--rewrite NAME ...] [--time-limit 1.0]
        [--jobs 1] [--json OUT.json] [--list] [PATH ...]

With no PATH, every correct ``.tex`` file of the corpus. ``--list`` prints the rewrites.
Each check is in-process, with ``--time-limit`` seconds of CPU time per step (the corpus
tests' 1 s by default); the original file is checked once, and only when some rewrite of
it reads differently.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"

Rewrite = Callable[[str], str]

# --- protecting what is not mathematics ------------------------------------------------------

_PROTECT = re.compile(
    r"(?<!\\)%[^\n]*"                                                       # a comment
    r"|\\(?:text|textrm|textit|mbox|label|tag\*?|intertext|begin|end)(?![A-Za-z])"
    r"\s*\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}"
)
_TOKEN = "\ue000"


def _protect(text: str) -> tuple[str, list[str]]:
    kept: list[str] = []

    def keep(m: re.Match[str]) -> str:
        kept.append(m.group(0))
        return _TOKEN + chr(0xE100 + len(kept) - 1)

    return _PROTECT.sub(keep, text), kept


def _restore(text: str, kept: list[str]) -> str:
    return re.sub(_TOKEN + "(.)", lambda m: kept[ord(m.group(1)) - 0xE100], text)


def on_maths(fn: Rewrite) -> Rewrite:
    """Apply ``fn`` to the file with comments, ``\\text{...}``, labels, tags and environment
    names hidden from it."""

    def wrapped(text: str) -> str:
        _CURRENT[0] = text
        masked, kept = _protect(text)
        return _restore(fn(masked), kept)

    wrapped.__name__ = fn.__name__
    wrapped.__doc__ = fn.__doc__
    return wrapped


#: the whole file being rewritten (its declarations are hidden from a rewrite of its maths)
_CURRENT = [""]


def _header(text: str) -> str:
    text = _CURRENT[0] if _TOKEN in text else text
    return "\n".join(line for line in text.split("\n") if line.lstrip().startswith("%"))


def _declares(text: str, name: str) -> bool:
    """True when a ``% symbols:``/``functions:``/``let:`` line declares the bare letter."""
    for line in _header(text).split("\n"):
        m = re.match(r"\s*%\s*(symbols|functions|let|densities)\s*:(.*)", line)
        if m and re.search(r"(?<![\\A-Za-z_])" + re.escape(name) + r"(?![A-Za-z_])",
                           m.group(2).split(":")[0] if m.group(1) == "symbols" else m.group(2)):
            return True
    return False


def _matching(text: str, open_at: int, opener: str = "(", closer: str = ")") -> int | None:
    """The index of the bracket closing the one at ``open_at`` (bare brackets only)."""
    depth = 0
    i = open_at
    while i < len(text):
        c = text[i]
        if c == opener:
            depth += 1
        elif c == closer:
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return None


def _braced(text: str, at: int) -> int | None:
    """The index just past the brace group starting at ``at`` (``text[at] == '{'``)."""
    depth = 0
    for i in range(at, len(text)):
        if text[i] == "{" and text[i - 1] != "\\":
            depth += 1
        elif text[i] == "}" and text[i - 1] != "\\":
            depth -= 1
            if depth == 0:
                return i + 1
    return None


# --- the rewrites ---------------------------------------------------------------------------

@on_maths
def log_to_ln(t: str) -> str:
    r"""``\log`` → ``\ln`` (the natural log, as Bishop prints it)."""
    return re.sub(r"\\log(?![A-Za-z])", r"\\ln", t)


@on_maths
def ln_to_log(t: str) -> str:
    r"""``\ln`` → ``\log``."""
    return re.sub(r"\\ln(?![A-Za-z])", r"\\log", t)


def _exp_arguments(t: str) -> list[tuple[int, int, str]]:
    """(start, end, argument) of every ``\\exp(...)``/``\\exp\\left(...\\right)``/``\\exp\\{...\\}``
    whose bracket is not followed by a power or a subscript."""
    out = []
    for m in re.finditer(r"\\exp\s*(\\left\s*\(|\\left\s*\\\{|\\left\s*\[|\(|\\\{|\{)", t):
        opener = m.group(1).replace(" ", "")
        start = m.end()
        if opener in ("(", "{"):
            if opener == "(":
                close = _matching(t, m.end() - 1)
                end = None if close is None else close + 1
                inner_end = close
            else:
                end = _braced(t, m.end() - 1)
                inner_end = None if end is None else end - 1
        else:
            pat = {"\\left(": r"\\right\s*\)", "\\left\\{": r"\\right\s*\\\}",
                   "\\left[": r"\\right\s*\]", "\\{": r"\\\}"}[opener]
            # the matching \right: count \left/\right pairs
            depth, i, end, inner_end = 1, start, None, None
            tokens = re.compile(r"\\left(?![A-Za-z])|\\right(?![A-Za-z])")
            for tm in tokens.finditer(t, start):
                depth += 1 if tm.group(0) == "\\left" else -1
                if depth == 0:
                    close = re.match(pat, t[tm.start():])
                    if close:
                        inner_end, end = tm.start(), tm.start() + close.end()
                    break
            del i
        if end is None or inner_end is None:
            continue
        if re.match(r"\s*[\^_']", t[end:]):
            continue
        out.append((m.start(), end, t[start:inner_end]))
    return out


@on_maths
def exp_to_e_power(t: str) -> str:
    r"""``\exp(u)`` → ``e^{u}`` (only where no power or subscript follows the bracket)."""
    if _declares(t, "e"):
        return t
    out = t
    for a, z, arg in reversed(_exp_arguments(t)):
        if "\\exp" in arg:  # the inner one first would shift the outer's span
            continue
        space = " " if a and out[a - 1].isalpha() else ""
        out = out[:a] + space + "e^{" + arg.strip() + "}" + out[z:]
    return out


@on_maths
def e_power_to_exp(t: str) -> str:
    r"""``e^{u}`` → ``\exp\left(u\right)`` (Euler's e, where ``e`` is not declared)."""
    if _declares(t, "e"):
        return t
    out = []
    i = 0
    for m in re.finditer(r"(?<![A-Za-z\\{])e\s*\^\s*\{", t):
        if m.start() < i:
            continue
        end = _braced(t, m.end() - 1)
        if end is None:
            continue
        out.append(t[i:m.start()] + "\\exp\\left(" + t[m.end():end - 1] + "\\right)")
        i = end
    out.append(t[i:])
    return "".join(out)


@on_maths
def e_to_mathrm_e(t: str) -> str:
    r"""``e^{u}`` → ``\mathrm{e}^{u}`` (the upright e of ISO typesetting)."""
    if _declares(t, "e"):
        return t
    return re.sub(r"(?<![A-Za-z\\{])e(?=\s*\^)", r"\\mathrm{e}", t)


def _bare_parens(t: str) -> list[tuple[int, int]]:
    """Pairs of bare parentheses, not sized, not escaped."""
    pairs = []
    stack: list[int | None] = []
    for i, c in enumerate(t):
        sized = re.search(r"\\(left|right|bigl|bigr|Bigl|Bigr|big|Big|biggl|biggr)\s*$",
                          t[max(0, i - 8):i])
        if c == "(" and not sized:  # x^{(i)}: a data point's label, kept bare
            stack.append(None if re.search(r"\^\s*\{\s*$", t[max(0, i - 8):i]) else i)
        elif c == ")" and not sized and stack:
            a = stack.pop()
            if a is not None:
                pairs.append((a, i))
    return pairs


def _sized(left: str, right: str) -> Rewrite:
    def rewrite(t: str) -> str:
        chars = list(t)
        for a, z in _bare_parens(t):
            chars[a] = left + "("
            chars[z] = right + ")"
        return "".join(chars)
    return rewrite


@on_maths
def paren_left_right(t: str) -> str:
    r"""``(...)`` → ``\left(...\right)``."""
    return _sized("\\left", "\\right")(t)


@on_maths
def paren_bigl(t: str) -> str:
    r"""``(...)`` → ``\bigl(...\bigr)``."""
    return _sized("\\bigl", "\\bigr")(t)


@on_maths
def paren_Bigl(t: str) -> str:
    r"""``(...)`` → ``\Bigl(...\Bigr)``."""
    return _sized("\\Bigl", "\\Bigr")(t)


@on_maths
def left_right_to_bare(t: str) -> str:
    r"""``\left(...\right)`` and ``\left[...\right]`` → ``(...)``, ``[...]`` (matching pairs)."""
    tokens = list(re.finditer(r"\\(left|right)(?![A-Za-z])\s*(\\\{|\\\}|\\[A-Za-z]+|.)", t))
    stack: list[re.Match[str]] = []
    drop: list[tuple[int, int, str]] = []
    for m in tokens:
        if m.group(1) == "left":
            stack.append(m)
        elif stack:
            lm = stack.pop()
            if (lm.group(2), m.group(2)) in (("(", ")"), ("[", "]")):
                drop.append((lm.start(), lm.end(), lm.group(2)))
                drop.append((m.start(), m.end(), m.group(2)))
    out = t
    for a, z, c in sorted(drop, reverse=True):
        out = out[:a] + c + out[z:]
    return out


@on_maths
def brackets_left_right(t: str) -> str:
    r"""``[...]`` → ``\left[...\right]`` (bare square brackets, as around an expectation)."""
    chars = list(t)
    stack: list[int] = []
    for i, c in enumerate(t):
        before = t[max(0, i - 8):i]
        if re.search(r"\\(left|right|bigl|bigr|Bigl|Bigr|big|Big|\\)\s*$", before) or (
                c == "[" and re.search(r"(\\sqrt|\\\\)\s*$", before)):
            continue
        if c == "[":
            stack.append(i)
        elif c == "]" and stack:
            a = stack.pop()
            chars[a], chars[i] = "\\left[", "\\right]"
    return "".join(chars)


_NEXT_SAFE = r"(?=\s*(?:[A-Za-z(]|\\(?!right|cdot|quad|,|;|!)[A-Za-z]|\\left))"


@on_maths
def cdot_to_thinspace(t: str) -> str:
    r"""``a \cdot b`` → ``a \, b`` (where no number follows)."""
    return re.sub(r"\s*\\cdot(?![A-Za-z])\s*" + _NEXT_SAFE, r"\\,", t)


@on_maths
def cdot_to_juxtaposition(t: str) -> str:
    r"""``a \cdot b`` → ``a b`` (where no number follows)."""
    return re.sub(r"\s*\\cdot(?![A-Za-z])\s*" + _NEXT_SAFE, " ", t)


@on_maths
def cdot_to_times(t: str) -> str:
    r"""``\cdot`` → ``\times``."""
    return re.sub(r"\\cdot(?![A-Za-z])", r"\\times", t)


@on_maths
def thinspace_to_cdot(t: str) -> str:
    r"""A thin space between two factors → ``\cdot`` (not before a differential ``d``, not
    after a derivative operator ``\frac{d}{dt}``, not next to an operator or a relation)."""
    pat = re.compile(
        r"(?<=[A-Za-z0-9)}\]])\s*\\,\s*(?=(?:[A-Za-ce-z(]|\\(?:left|log|ln|exp|frac(?!\s*\{\s*d)|"
        r"sqrt|alpha|beta|gamma|mu|sigma|lambda|theta|pi|int|sum|prod|mathbb|mathrm\{[A-Za-ce-z])))")

    def repl(m: re.Match[str]) -> str:
        if re.search(r"\\frac\s*\{\s*(d|\\partial)[^{}]*\}\s*\{[^{}]*\}\s*$", t[:m.start()]):
            return m.group(0)
        return " \\cdot "
    return pat.sub(repl, t)


_SIMPLE = r"(?:\d+|[A-Za-z]|\\(?!frac|left|right)[A-Za-z]+)(?:_(?:\{[^{}]*\}|[A-Za-z0-9]))?"


@on_maths
def frac_to_slash(t: str) -> str:
    r"""``\frac{a}{b}`` → ``a/b`` for simple a, b (one name or number, a subscript allowed),
    where nothing is multiplied after it and it is not an exponent or a subscript."""
    return re.sub(
        r"(?<![\^_/])\\frac\s*\{\s*(" + _SIMPLE + r")\s*\}\s*\{\s*(" + _SIMPLE + r")\s*\}"
        r"(?=\s*(?:[+\-=&)\]]|\\right|\\\\|\\le|\\ge|\\quad|\\,|$|,))",
        r" \1/\2", t)


@on_maths
def frac_to_tfrac(t: str) -> str:
    r"""``\frac`` → ``\tfrac``."""
    return re.sub(r"\\frac(?![A-Za-z])", r"\\tfrac", t)


@on_maths
def frac_to_dfrac(t: str) -> str:
    r"""``\frac`` → ``\dfrac``."""
    return re.sub(r"\\frac(?![A-Za-z])", r"\\dfrac", t)


_VAR = r"(?:[A-Za-z]|\\[A-Za-z]+)(?:_(?:\{[^{}]*\}|[A-Za-z0-9]))?(?![A-Za-z])"
_DIFF = re.compile(r"(?P<space>(?:\s*\\[,;:!]\s*|\s+)?)(?P<d>\\mathrm\s*\{\s*d\s*\}|"
                   r"\\operatorname\s*\{\s*d\s*\}|(?<![A-Za-z\\])d)\s*(?P<var>" + _VAR + ")")


def _differentials(t: str) -> list[re.Match[str]]:
    """The differential closing each ``\\int``: the first ``d VAR`` at the integral's own
    level of braces after it."""
    found: dict[int, re.Match[str]] = {}
    for m in re.finditer(r"\\int(?![A-Za-z])", t):
        depth = 0
        i = m.end()
        while i < len(t):
            c = t[i]
            if c == "{" and t[i - 1] != "\\":
                depth += 1
            elif c == "}" and t[i - 1] != "\\":
                depth -= 1
                if depth < 0:
                    break
            elif depth == 0 and t.startswith("\\\\", i):
                break
            elif depth == 0 and c in "d\\ " and (t[i - 1] != "\\" or c == " "):
                dm = _DIFF.match(t, i)
                if dm is not None and dm.group("d") and (
                        dm.group("d") != "d" or dm.start("d") == 0
                        or not (t[dm.start("d") - 1].isalpha() or t[dm.start("d") - 1] == "\\")):
                    if dm.group("var").startswith("\\") and dm.group("var").rstrip("_{}0-9") in (
                            "\\left", "\\right", "\\frac", "\\cdot"):
                        i += 1
                        continue
                    found[dm.start()] = dm
                    break
            i += 1
    return [found[k] for k in sorted(found)]


def _rewrite_differentials(space: str | None, d: str | None) -> Rewrite:
    def rewrite(t: str) -> str:
        out = t
        for m in reversed(_differentials(t)):
            new_space = m.group("space") if space is None else space
            new_d = m.group("d") if d is None else d
            out = out[:m.start()] + new_space + new_d + m.group("var") + out[m.end():]
        return out
    return rewrite


@on_maths
def diff_mathrm(t: str) -> str:
    r"""``dz`` → ``\mathrm{d}z`` (the spacing before it kept)."""
    return _rewrite_differentials(None, "\\mathrm{d}")(t)


@on_maths
def diff_thinspace(t: str) -> str:
    r"""``dz`` → ``\,dz``."""
    return _rewrite_differentials("\\,", "d")(t)


@on_maths
def diff_thinspace_mathrm(t: str) -> str:
    r"""``dz`` → ``\, \mathrm{d}z``."""
    return _rewrite_differentials("\\, ", "\\mathrm{d}")(t)


@on_maths
def diff_plain(t: str) -> str:
    r"""``\,dz`` → `` dz`` (a plain space, upright d made italic)."""
    return _rewrite_differentials(" ", "d")(t)


@on_maths
def diff_mathop(t: str) -> str:
    r"""``dz`` → ``\mathop{}\!\mathrm{d}z`` (the spacing of the ``physics``/``commath`` style)."""
    return _rewrite_differentials(" \\mathop{}\\!", "\\mathrm{d}")(t)


_EXPECT = r"\\mathbb\s*\{\s*E\s*\}"


@on_maths
def E_mathrm(t: str) -> str:
    r"""``\mathbb{E}`` → ``\mathrm{E}``."""
    return re.sub(_EXPECT, r"\\mathrm{E}", t)


@on_maths
def E_operatorname(t: str) -> str:
    r"""``\mathbb{E}`` → ``\operatorname{E}``."""
    return re.sub(_EXPECT, r"\\operatorname{E}", t)


@on_maths
def E_mathbf(t: str) -> str:
    r"""``\mathbb{E}`` → ``\mathbf{E}``."""
    return re.sub(_EXPECT, r"\\mathbf{E}", t)


_DENS_SUB = re.compile(
    r"(?P<E>\\mathbb\s*\{\s*E\s*\}|\\mathrm\s*\{\s*E\s*\}|\\operatorname\s*\{\s*E\s*\})\s*_\s*\{"
    r"\s*(?P<dens>(?:[A-Za-z]|\\[A-Za-z]+)(?:_(?:\{[^{}]*\}|[A-Za-z0-9]))?\s*"
    r"(?:\\left)?\(\s*(?P<var>[A-Za-z](?:_(?:\{[^{}]*\}|[A-Za-z0-9]))?|\\[A-Za-z]+)\s*"
    r"(?:\\mid|\||\\right\)|\)|\\vert)[^{}]*?)\s*\}")


@on_maths
def E_sub_sim(t: str) -> str:
    r"""``\mathbb{E}_{q(z|x)}`` → ``\mathbb{E}_{z \sim q(z|x)}`` (one variable left of the bar)."""
    return _DENS_SUB.sub(lambda m: f"{m.group('E')}_{{{m.group('var')} \\sim {m.group('dens')}}}",
                         t)


@on_maths
def E_sim_to_density(t: str) -> str:
    r"""``\mathbb{E}_{z \sim q(z|x)}`` → ``\mathbb{E}_{q(z|x)}`` (the density's first argument
    the drawn variable)."""
    pat = re.compile(
        r"(?P<E>\\mathbb\s*\{\s*E\s*\}|\\mathrm\s*\{\s*E\s*\})\s*_\s*\{\s*(?P<var>[^{}~]*?)\s*"
        r"(?:\\sim|~)\s*(?P<dens>(?:[A-Za-z]|\\[A-Za-z]+)(?:_(?:\{[^{}]*\}|[A-Za-z0-9]))?\s*"
        r"\(\s*(?P<first>[^,|()]*?)\s*(?:\\mid|\||,|\))[^{}]*?)\s*\}")

    def repl(m: re.Match[str]) -> str:
        if re.sub(r"\s", "", m.group("var")) != re.sub(r"\s", "", m.group("first")):
            return m.group(0)
        return f"{m.group('E')}_{{{m.group('dens')}}}"
    return pat.sub(repl, t)


@on_maths
def E_round_brackets(t: str) -> str:
    r"""``\mathbb{E}_{...}\left[ f \right]`` → ``\mathbb{E}_{...}\left( f \right)``."""
    out = t
    for m in reversed(list(re.finditer(
            r"(\\mathbb\s*\{\s*E\s*\}(?:\s*_\s*\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\})?\s*)\\left\s*\[",
            t))):
        depth = 1
        for tm in re.finditer(r"\\left(?![A-Za-z])|\\right(?![A-Za-z])", t[m.end():]):
            depth += 1 if tm.group(0) == "\\left" else -1
            if depth == 0:
                at = m.end() + tm.start()
                close = re.match(r"\\right\s*\]", t[at:])
                if close:
                    out = (out[:m.end() - len("\\left[")] + "\\left(" + out[m.end():at]
                           + "\\right)" + out[at + close.end():])
                break
    return out


_KL = re.compile(
    r"D\s*_\s*\{\s*(?:\\mathrm|\\text|\\operatorname|\\textrm)?\s*\{?\s*KL\s*\}?\s*\}"
    r"|D\s*_\s*\\mathrm\s*\{\s*KL\s*\}"
    r"|\\(?:mathrm|operatorname|text|textrm|mathbb)\s*\{\s*KL\s*\}"
    r"|(?<![A-Za-z\\{])KL(?=\s*(?:\\left|\\bigl|\\Bigl|\\big|\\Big|\(|\[))")


def _kl_to(form: str) -> Rewrite:
    def rewrite(t: str) -> str:
        # \text{KL} is protected as text: work on the unprotected file, \text{...} aside
        return _KL.sub(lambda m: form, t)
    return rewrite


def _kl_rewrite(form: str, name: str, doc: str) -> Rewrite:
    inner = _kl_to(form)

    def rewrite(text: str) -> str:
        _CURRENT[0] = text
        masked, kept = _protect(text)
        # un-hide the KL written as \text{KL}, to be rewritten like the others
        masked = re.sub(_TOKEN + "(.)", lambda m: (
            kept[ord(m.group(1)) - 0xE100]
            if re.fullmatch(r"\\(?:text|textrm)\s*\{\s*KL\s*\}", kept[ord(m.group(1)) - 0xE100])
            else m.group(0)), masked)
        return _restore(inner(masked), kept)

    rewrite.__name__ = name
    rewrite.__doc__ = doc
    return rewrite


kl_D_KL = _kl_rewrite("D_{KL}", "kl_D_KL", r"the KL → ``D_{KL}``.")
kl_D_mathrm = _kl_rewrite("D_{\\mathrm{KL}}", "kl_D_mathrm", r"the KL → ``D_{\mathrm{KL}}``.")
kl_D_text = _kl_rewrite("D_{\\text{KL}}", "kl_D_text", r"the KL → ``D_{\text{KL}}``.")
kl_mathrm = _kl_rewrite("\\mathrm{KL}", "kl_mathrm", r"the KL → ``\mathrm{KL}``.")
kl_operatorname = _kl_rewrite("\\operatorname{KL}", "kl_operatorname",
                              r"the KL → ``\operatorname{KL}``.")
kl_text = _kl_rewrite("\\text{KL}", "kl_text", r"the KL → ``\text{KL}``.")


@on_maths
def bars_Vert(t: str) -> str:
    r"""``\|`` (and ``\lVert``, ``\rVert``) → ``\Vert``."""
    return re.sub(r"\\\||\\[lr]Vert(?![A-Za-z])", r"\\Vert ", t)


@on_maths
def bars_pipes(t: str) -> str:
    r"""``\|`` → ``||``."""
    return re.sub(r"\\\|", "||", t)


@on_maths
def bars_parallel(t: str) -> str:
    r"""The KL's separator ``\|`` → ``\parallel`` (inside a KL's brackets only)."""
    out = t
    for m in reversed(list(_KL.finditer(t))):
        rest = t[m.end():]
        opener = re.match(r"\s*(\\left\s*\(|\\bigl\s*\(|\\Bigl\s*\(|\()", rest)
        if not opener:
            continue
        seg_end = m.end() + opener.end()
        depth = 1
        for i in range(seg_end, len(t)):
            if t[i] == "(":
                depth += 1
            elif t[i] == ")":
                depth -= 1
                if depth == 0:
                    inner = t[seg_end:i]
                    if inner.count("\\|") == 1:
                        out = out[:seg_end] + inner.replace("\\|", "\\parallel ") + out[i:]
                    break
    return out


_TRANSPOSE = re.compile(r"\^\s*(?:\\top(?![A-Za-z])|\{\s*\\top\s*\}|\\intercal(?![A-Za-z])|"
                        r"\{\s*\\intercal\s*\}|\{\s*\\mathsf\s*\{\s*T\s*\}\s*\}|\{\s*T\s*\}|"
                        r"T(?![A-Za-z]))")


def _transposes_to(form: str) -> Rewrite:
    def rewrite(t: str) -> str:
        if _declares(t, "T"):
            return t
        return _TRANSPOSE.sub(lambda m: form, t)
    return rewrite


transpose_T = on_maths(_transposes_to("^{T}"))
transpose_T.__name__ = "transpose_T"
transpose_T.__doc__ = r"a transpose → ``^{T}`` (T not declared)."
transpose_top = on_maths(_transposes_to("^\\top"))
transpose_top.__name__ = "transpose_top"
transpose_top.__doc__ = r"a transpose → ``^\top``."
transpose_intercal = on_maths(_transposes_to("^\\intercal"))
transpose_intercal.__name__ = "transpose_intercal"
transpose_intercal.__doc__ = r"a transpose → ``^\intercal``."
transpose_mathsf = on_maths(_transposes_to("^{\\mathsf{T}}"))
transpose_mathsf.__name__ = "transpose_mathsf"
transpose_mathsf.__doc__ = r"a transpose → ``^{\mathsf{T}}``."


def _vector_names(text: str) -> list[str]:
    """The LaTeX bases (``x``, ``\\mu``) of names declared ``vector(...)`` or ``matrix(...)``."""
    names: list[str] = []
    for line in _header(text).split("\n"):
        m = re.match(r"\s*%\s*symbols\s*:(.*):\s*(vector|matrix)", line)
        if not m:
            continue
        for n in m.group(1).split(","):
            n = n.strip()
            base = re.match(r"(\\?[A-Za-z]+)", n)
            if base:
                b = base.group(1)
                if not b.startswith("\\") and len(b) > 1:
                    b = "\\" + b if b in _GREEK else b
                names.append(b)
    return sorted(set(names), key=len, reverse=True)


_GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
          "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "phi", "chi", "psi", "omega",
          "Sigma", "Lambda", "Gamma", "Delta", "Phi", "Psi", "Omega", "Theta"}


def _bold(command: str) -> Rewrite:
    def rewrite(text: str) -> str:
        _CURRENT[0] = text
        names = [n for n in _vector_names(text) if len(n) > 1 or n.isalpha()]
        masked, kept = _protect(text)
        for n in names:
            if n.startswith("\\"):
                pat = re.escape(n) + r"(?![A-Za-z])"
            else:
                pat = r"(?<![A-Za-z\\{])" + re.escape(n) + r"(?![A-Za-z])"
            guard = r"(?<!\{)" if not n.startswith("\\") else r"(?<!\\mathbf\{)(?<!\\bm\{)"
            pat = guard + pat
            masked = re.sub(pat, lambda m: f"{command}{{{m.group(0)}}}", masked)
        return _restore(masked, kept)
    return rewrite


bold_mathbf = _bold("\\mathbf")
bold_mathbf.__name__ = "bold_mathbf"
bold_mathbf.__doc__ = r"a declared vector or matrix ``x`` → ``\mathbf{x}``."
bold_boldsymbol = _bold("\\boldsymbol")
bold_boldsymbol.__name__ = "bold_boldsymbol"
bold_boldsymbol.__doc__ = r"a declared vector or matrix ``x`` → ``\boldsymbol{x}``."
bold_bm = _bold("\\bm")
bold_bm.__name__ = "bold_bm"
bold_bm.__doc__ = r"a declared vector or matrix ``x`` → ``\bm{x}``."


@on_maths
def bold_commands(t: str) -> str:
    r"""``\mathbf{x}`` and ``\boldsymbol{x}`` → ``\bm{x}`` (the ``bm`` package's)."""
    return re.sub(r"\\(?:mathbf|boldsymbol)(?=\s*\{)", r"\\bm", t)


def _after_relations(insert: str) -> Rewrite:
    def rewrite(t: str) -> str:
        t = re.sub(r"(&\s*(?:=|\\le(?:q)?(?![A-Za-z])|\\ge(?:q)?(?![A-Za-z])|\\simeq_\{[^{}]*\}))",
                   lambda m: m.group(1) + insert, t)
        return t
    return rewrite


@on_maths
def displaystyle(t: str) -> str:
    r"""``\displaystyle`` at the start of every right-hand side and of the first row."""
    return _after_relations(" \\displaystyle ")(t)


@on_maths
def spacing_quad(t: str) -> str:
    r"""``\quad`` after every relation ``&=``."""
    return _after_relations(" \\quad ")(t)


@on_maths
def spacing_thick(t: str) -> str:
    r"""``\;`` around every binary ``+`` written between spaces."""
    return re.sub(r"(?<=[\w})\]]) \+ ", r" \\;+\\; ", t)


@on_maths
def spacing_negative(t: str) -> str:
    r"""``\!`` between a name and its opening bracket: ``q\!\left(``, ``p\!(``."""
    return re.sub(r"(?<=[A-Za-z}])(?<!\\left)(?<!\\right)(\\left\s*\(|\()", r"\\!\1", t)


@on_maths
def spacing_strip(t: str) -> str:
    r"""Every spacing command ``\, \; \: \! \quad \qquad`` removed (a space left)."""
    return re.sub(r"\\[,;:!](?![A-Za-z])|\\q?quad(?![A-Za-z])", " ", t)


def _env_names(text: str) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group(1)) for m in
            re.finditer(r"\\begin\s*\{\s*(align\*?)\s*\}", text)]


def _rows_of(text: str, fn: Callable[[str, str], str], begin: str, end: str) -> str:
    """Rewrite every ``align*``/``align`` environment: ``begin``/``end`` replace its
    delimiters, ``fn(body, kind)`` its body."""
    out = []
    i = 0
    for m in re.finditer(r"\\begin\s*\{\s*(align\*?)\s*\}", text):
        close = re.compile(r"\\end\s*\{\s*" + re.escape(m.group(1)) + r"\s*\}").search(
            text, m.end())
        if close is None or m.start() < i:
            continue
        out.append(text[i:m.start()])
        out.append(begin + fn(text[m.end():close.start()], m.group(1)) + end)
        i = close.end()
    out.append(text[i:])
    return "".join(out)


def _row_ends(body: str, fn: Callable[[str, bool], str]) -> str:
    """Apply ``fn(row, last)`` to the maths of every row (comments after ``\\\\`` left alone)."""
    matrices: list[str] = []

    def hide(m: re.Match[str]) -> str:  # a written-out matrix's rows are not the display's
        matrices.append(m.group(0))
        return "\ue001" + chr(0xE100 + len(matrices) - 1)

    body = re.sub(r"\\begin\s*\{\s*([pbvBV]?matrix)\s*\}.*?\\end\s*\{\s*\1\s*\}", hide, body,
                  flags=re.S)
    masked, kept = _protect(body)
    rows = re.split(r"(\\\\(?:\[[^\]]*\])?)", masked)
    contents = [k for k in range(0, len(rows), 2) if rows[k].strip()
                and not re.fullmatch(r"\s*(" + _TOKEN + r".\s*)*", rows[k])]
    last = contents[-1] if contents else -1
    for k in contents:
        rows[k] = fn(rows[k], k == last)
    out = _restore("".join(rows), kept)
    return re.sub("\ue001(.)", lambda m: matrices[ord(m.group(1)) - 0xE100], out)


def _split_trailer(row: str) -> tuple[str, str]:
    """A row's maths and what follows it (an ``&&`` column, comments, white space)."""
    m = re.search(r"(\s*&&.*|\s*(" + _TOKEN + r".\s*)*)$", row, re.S)
    cut = m.start() if m else len(row)
    return row[:cut], row[cut:]


def env_align(text: str) -> str:
    r"""``align*`` → ``align`` with ``\nonumber`` on each row and a ``\label`` on the last."""
    def body(b: str, kind: str) -> str:
        def row(r: str, last: bool) -> str:
            maths, trailer = _split_trailer(r)
            return maths + (" \\label{eq:variant}" if last else " \\nonumber") + trailer
        return _row_ends(b, row)
    return _rows_of(text, body, "\\begin{align}", "\\end{align}") if "align*" in text else text


def env_equation_aligned(text: str) -> str:
    r"""``align*`` → ``\begin{equation*}\begin{aligned} ... \end{aligned}\end{equation*}``."""
    return _rows_of(text, lambda b, k: b, "\\begin{equation*}\n\\begin{aligned}",
                    "\\end{aligned}\n\\end{equation*}")


def env_display_aligned(text: str) -> str:
    r"""``align*`` → ``\[ \begin{aligned} ... \end{aligned} \]``."""
    return _rows_of(text, lambda b, k: b, "\\[\n\\begin{aligned}", "\\end{aligned}\n\\]")


def _annotation_maths(text: str) -> bool:
    """True when some ``&&`` column holds maths besides its ``\\text{...}`` (such a remark
    cannot be moved into the row)."""
    masked, _ = _protect(text)
    for m in re.finditer(r"&&([^\n]*?)(\\\\|$)", masked, re.M):
        if re.sub(_TOKEN + r".|\\q?quad|\\[,;:!]|\s", "", m.group(1)):
            return True
    return False


def env_eqnarray(text: str) -> str:
    r"""``align*`` → ``eqnarray*``: ``LHS &=& RHS``, the remark column moved after a ``\quad``."""
    def body(b: str, kind: str) -> str:
        masked, kept = _protect(b)
        masked = re.sub(r"&&", r"\\quad ", masked)
        masked = re.sub(r"&\s*(=|\\le(?:q)?(?![A-Za-z])|\\ge(?:q)?(?![A-Za-z])|<|>|"
                        r"\\simeq_\{[^{}]*\})", r"&\1&", masked)
        return _restore(masked, kept)
    if _annotation_maths(text):
        return text
    return _rows_of(text, body, "\\begin{eqnarray*}", "\\end{eqnarray*}")


@on_maths
def amp_after_relation(t: str) -> str:
    r"""``&=`` → ``=&`` (the alignment point after the relation)."""
    return re.sub(r"&\s*(=|\\le(?:q)?(?![A-Za-z])|\\ge(?:q)?(?![A-Za-z]))(?!&)", r"\1 &", t)


def punctuation(text: str) -> str:
    r"""A ``,`` at the end of every row's maths and a ``.`` at the end of the last."""
    def row(r: str, last: bool) -> str:
        maths, trailer = _split_trailer(r)
        return maths.rstrip() + ("." if last else ",") + trailer
    return _rows_of(text, lambda b, k: _row_ends(b, row), "\\begin{" + "align*}",
                    "\\end{align*}") if "align*" in text else text


def justification_text(text: str) -> str:
    r"""A remark ``\quad\text{(by the rule above)}`` at the end of every row's maths (after
    the remark column is folded into it: ``&& \text{x}`` → ``\quad \text{x}``)."""
    def row(r: str, last: bool) -> str:
        maths, trailer = _split_trailer(r)
        if trailer.lstrip().startswith("&&"):
            return maths + " \\quad " + trailer.lstrip()[2:]
        return maths + " \\quad \\text{(by the rule above)}" + trailer
    if _annotation_maths(text):
        return text
    return _rows_of(text, lambda b, k: _row_ends(b, row), "\\begin{align*}",
                    "\\end{align*}") if "align*" in text else text


def justification_bare_text(text: str) -> str:
    r"""A remark ``\text{(by Bayes' rule)}`` right after every row's maths, no space command."""
    def row(r: str, last: bool) -> str:
        maths, trailer = _split_trailer(r)
        return maths + " \\text{(by Bayes' rule)}" + trailer
    return _rows_of(text, lambda b, k: _row_ends(b, row), "\\begin{align*}",
                    "\\end{align*}") if "align*" in text else text


@on_maths
def power_braces(t: str) -> str:
    r"""``\sigma^2`` → ``\sigma^{2}`` (a one-character power braced)."""
    return re.sub(r"\^\s*([0-9A-Za-z])", r"^{\1}", t)


@on_maths
def power_unbraced(t: str) -> str:
    r"""``\sigma^{2}`` → ``\sigma^2`` (a braced one-character power)."""
    return re.sub(r"\^\s*\{\s*([0-9A-Za-z])\s*\}", r"^\1", t)


@on_maths
def subscript_braces(t: str) -> str:
    r"""``x_i`` → ``x_{i}``."""
    return re.sub(r"_\s*([0-9A-Za-z])", r"_{\1}", t)


@on_maths
def subscript_unbraced(t: str) -> str:
    r"""``x_{i}`` → ``x_i`` (a braced one-character subscript)."""
    return re.sub(r"_\s*\{\s*([0-9A-Za-z])\s*\}", r"_\1", t)


def _gaussians(t: str) -> list[tuple[int, int]]:
    out = []
    for m in re.finditer(r"\\mathcal\s*\{\s*N\s*\}\s*(\\left\s*)?\(", t):
        close = _matching(t, m.end() - 1)
        if close is not None:
            out.append((m.end(), close))
    return out


@on_maths
def normal_semicolon_to_mid(t: str) -> str:
    r"""``\mathcal{N}(x; \mu, \sigma^2)`` → ``\mathcal{N}(x \mid \mu, \sigma^2)``."""
    out = t
    for a, z in reversed(_gaussians(t)):
        inner = t[a:z]
        if inner.count(";") == 1 and "|" not in inner and "\\mid" not in inner:
            out = out[:a] + inner.replace(";", " \\mid") + out[z:]
    return out


@on_maths
def normal_mid_to_semicolon(t: str) -> str:
    r"""``\mathcal{N}(x \mid \mu, \sigma^2)`` (or ``|``) → ``\mathcal{N}(x; \mu, \sigma^2)``."""
    out = t
    for a, z in reversed(_gaussians(t)):
        inner = t[a:z]
        new = re.sub(r"\s*(\\mid(?![A-Za-z])|\|)\s*", "; ", inner, count=1)
        if inner.count("|") + inner.count("\\mid") == 1:
            out = out[:a] + new + out[z:]
    return out


_DENSITY_CALL = re.compile(r"(?<=[A-Za-z}])(\\left\s*)?\(([^()|]*?)\s*(\\mid(?![A-Za-z])|(?<!\\)\|)"
                           r"\s*([^()|]*?)(\\right\s*)?\)")


@on_maths
def bar_to_mid(t: str) -> str:
    r"""``p(x|z)`` → ``p(x \mid z)`` (a bar inside a named function's brackets)."""
    return _DENSITY_CALL.sub(lambda m: f"{m.group(1) or ''}({m.group(2)} \\mid {m.group(4)}"
                             f"{m.group(5) or ''})" if m.group(3) == "|" else m.group(0), t)


@on_maths
def mid_to_bar(t: str) -> str:
    r"""``p(x \mid z)`` → ``p(x|z)``."""
    return _DENSITY_CALL.sub(lambda m: f"{m.group(1) or ''}({m.group(2)}|{m.group(4)}"
                             f"{m.group(5) or ''})", t)


@on_maths
def bar_to_vert(t: str) -> str:
    r"""``p(x|z)`` → ``p(x \vert z)``."""
    return _DENSITY_CALL.sub(lambda m: f"{m.group(1) or ''}({m.group(2)} \\vert {m.group(4)}"
                             f"{m.group(5) or ''})", t)


@on_maths
def sum_limits(t: str) -> str:
    r"""``\sum_{...}^{...}``, ``\prod`` → ``\sum\limits_{...}^{...}``."""
    return re.sub(r"\\(sum|prod)(?![A-Za-z])(?=\s*[_^])", r"\\\1\\limits", t)


@on_maths
def int_limits(t: str) -> str:
    r"""``\int_{a}^{b}`` → ``\int\limits_{a}^{b}``."""
    return re.sub(r"\\int(?![A-Za-z])(?=\s*[_^])", r"\\int\\limits", t)


_TRACE = re.compile(r"\\operatorname\s*\{\s*(?:tr|Tr)\s*\}|\\mathrm\s*\{\s*(?:tr|Tr)\s*\}"
                    r"|\\text\s*\{\s*tr\s*\}|\\(?:tr|Tr)(?![A-Za-z])")


@on_maths
def trace_mathrm(t: str) -> str:
    r"""``\operatorname{tr}`` → ``\mathrm{tr}``."""
    return _TRACE.sub(r"\\mathrm{tr}", t)


@on_maths
def trace_Tr(t: str) -> str:
    r"""``\operatorname{tr}`` → ``\operatorname{Tr}``."""
    return _TRACE.sub(r"\\operatorname{Tr}", t)


@on_maths
def det_bars(t: str) -> str:
    r"""``\det\Sigma`` / ``\det(\Sigma)`` of one declared matrix name → ``|\Sigma|``."""
    names = _vector_names(t)
    out = t
    for n in names:
        name = re.escape(n) + r"(?:_(?:\{[^{}]*\}|[A-Za-z0-9]))?"
        out = re.sub(r"(?<!\|)(?<!\|\s)\\det\s*(?:\\left\s*\(\s*(" + name + r")\s*\\right\s*\)|\(\s*(" + name  # noqa: E501
                     + r")\s*\)|(" + name + r")(?![A-Za-z_^]))",
                     lambda m: "|" + (m.group(1) or m.group(2) or m.group(3)) + "|", out)
    return out


@on_maths
def bars_to_det(t: str) -> str:
    r"""``|\Sigma|`` of one declared matrix name → ``\det\Sigma``."""
    out = t
    for n in _vector_names(t):
        name = re.escape(n) + r"(?:_(?:\{[^{}]*\}|[A-Za-z0-9]))?"
        out = re.sub(r"(?:\\left)?\|\s*(" + name + r")\s*(?:\\right)?\|",
                     lambda m: "\\det " + m.group(1) + " ", out)
        # |K|^{-1/2}: (\det K)^{-1/2}, the power of the determinant
        out = re.sub(r"\\det (" + name + r") (?=\s*\^)", r"(\\det \1)", out)
    return out


REWRITES: dict[str, Rewrite] = {f.__name__: f for f in [
    log_to_ln, ln_to_log, exp_to_e_power, e_power_to_exp, e_to_mathrm_e,
    paren_left_right, paren_bigl, paren_Bigl, left_right_to_bare, brackets_left_right,
    cdot_to_thinspace, cdot_to_juxtaposition, cdot_to_times, thinspace_to_cdot,
    frac_to_slash, frac_to_tfrac, frac_to_dfrac,
    diff_mathrm, diff_thinspace, diff_thinspace_mathrm, diff_plain, diff_mathop,
    E_mathrm, E_operatorname, E_mathbf, E_sub_sim, E_sim_to_density, E_round_brackets,
    kl_D_KL, kl_D_mathrm, kl_D_text, kl_mathrm, kl_operatorname, kl_text,
    bars_Vert, bars_pipes, bars_parallel,
    transpose_T, transpose_top, transpose_intercal, transpose_mathsf,
    bold_mathbf, bold_boldsymbol, bold_bm, bold_commands,
    displaystyle, spacing_quad, spacing_thick, spacing_negative, spacing_strip,
    env_align, env_equation_aligned, env_display_aligned, env_eqnarray, amp_after_relation,
    punctuation, justification_text, justification_bare_text,
    power_braces, power_unbraced, subscript_braces, subscript_unbraced,
    normal_semicolon_to_mid, normal_mid_to_semicolon, bar_to_mid, mid_to_bar, bar_to_vert,
    sum_limits, int_limits, trace_mathrm, trace_Tr, det_bars, bars_to_det,
]}


# --- reading and checking -------------------------------------------------------------------

def reading(text: str, name: str) -> tuple[Any, str]:
    """``(signature, "")`` of the file's reading, or ``(None, message)`` when it is refused.
    The signature holds every part's start, relations, ``wrt`` and steps as ``srepr`` with
    dummy variables numbered in order of appearance."""
    from elbo_derivation.errors import InputError
    from elbo_derivation.read.tex import parse_tex_derivation

    try:
        d = parse_tex_derivation(text, file=f"{name}.tex", name=name)
    except InputError as err:
        return None, str(err)
    import sympy as sp

    parts = [d, *d.metadata.get("later_parts", [])]
    sig = []
    for part in parts:
        sig.append(sp.srepr(part.start))
        for s in part.steps:
            sig.append(f"{s.relation}|{s.wrt}|{sp.srepr(s.expr)}")
    text_sig = "\n".join(sig)
    seen: dict[str, str] = {}

    def dummy(m: re.Match[str]) -> str:
        return seen.setdefault(m.group(0), f"dummy_index=#{len(seen)}")
    return re.sub(r"dummy_index=\d+", dummy, text_sig), ""


def verdicts(text: str, name: str, time_limit: float) -> tuple[list[str], bool]:
    """The verdict of every step of every part (and whether some step ran out of time)."""
    import tempfile

    from elbo_derivation.verification import check_file

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{name}.tex"
        path.write_text(text, encoding="utf-8")
        d = check_file(path, time_limit=time_limit)
    steps = [s for part in (d.parts or [d]) for s in part.steps]
    out = [("none" if s.result is None else s.result.verdict.value) for s in steps]
    timed = any(s.result is not None and "time" in (s.result.reason or "") for s in steps)
    return out, timed


def _ok(v: str) -> bool:
    return v in ("proved", "numerically-supported")


def run_file(path: Path, names: list[str], time_limit: float) -> dict[str, Any]:
    """Every rewrite of one file: {rewrite: {"outcome": ..., "message": ...}}."""
    text = path.read_text(encoding="utf-8")
    rel = path.relative_to(CORPUS).as_posix() if path.is_relative_to(CORPUS) else str(path)
    base, msg = reading(text, path.stem)
    results: dict[str, Any] = {}
    original: tuple[list[str], bool] | None = None
    if base is None:
        return {"file": rel, "error": msg, "rewrites": {}}
    for name in names:
        t0 = time.process_time()
        new = REWRITES[name](text)
        if new == text:
            results[name] = {"outcome": "not-applicable"}
            continue
        sig, msg = reading(new, path.stem)
        if sig is None:
            results[name] = {"outcome": "unreadable", "message": msg}
        elif sig == base:
            results[name] = {"outcome": "same-reading"}
        else:
            if original is None:
                original = verdicts(text, path.stem, time_limit)
            got = verdicts(new, path.stem, time_limit)
            # same verdicts: the same number of steps, each accepted (proved or supported)
            # exactly when it was before
            same = (len(got[0]) == len(original[0]) and all(
                _ok(a) == _ok(b) for a, b in zip(got[0], original[0], strict=True)))
            results[name] = {"outcome": "same-verdicts" if same else "verdict-changed"}
            if not same:
                results[name]["before"] = original[0]
                results[name]["after"] = got[0]
                results[name]["timed_out"] = got[1] or original[1]
        results[name]["cpu"] = round(time.process_time() - t0, 3)
    return {"file": rel, "rewrites": results}


def correct_tex_files() -> list[Path]:
    """The correct ``.tex`` files of the corpus (first line ``% expect: correct``)."""
    out = []
    for p in sorted(CORPUS.glob("*/*.tex")):
        first = p.read_text(encoding="utf-8").split("\n", 1)[0]
        if re.match(r"\s*%\s*expect:\s*correct\s*$", first):
            out.append(p)
    return out


OUTCOMES = ("not-applicable", "same-reading", "same-verdicts", "unreadable", "verdict-changed")


def summarise(records: list[dict[str, Any]], names: list[str]) -> dict[str, Any]:
    per: dict[str, Any] = {}
    for name in names:
        counts = {o: 0 for o in OUTCOMES}
        files: dict[str, list[Any]] = {"unreadable-files": [], "verdict-changed-files": []}
        for r in records:
            res = r["rewrites"].get(name)
            if res is None:
                continue
            counts[res["outcome"]] += 1
            if res["outcome"] == "unreadable":
                files["unreadable-files"].append([r["file"], res["message"][:300]])
            elif res["outcome"] == "verdict-changed":
                files["verdict-changed-files"].append([r["file"], res["before"], res["after"],
                                                 res["timed_out"]])
        applied = sum(counts[o] for o in OUTCOMES[1:])
        per[name] = {"applied": applied, "unchanged": counts["same-reading"]
                     + counts["same-verdicts"], **counts, **files}
    return per


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Apply one meaning-preserving notation rewrite at a time to the correct "
                    ".tex files of the corpus and report which are read differently.")
    parser.add_argument("paths", nargs="*", type=Path,
                        help=".tex files (default: every correct .tex file of tests/corpus)")
    parser.add_argument("--rewrite", action="append", default=[],
                        help="only this rewrite (repeatable)")
    parser.add_argument("--time-limit", type=float, default=1.0,
                        help="seconds of CPU time per step of a check (default 1)")
    parser.add_argument("--jobs", type=int, default=1, help="processes (default 1)")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--list", action="store_true", help="list the rewrites and stop")
    parser.add_argument("--show", metavar="REWRITE",
                        help="print the first PATH rewritten by REWRITE and stop")
    args = parser.parse_args(argv)
    if args.list:
        for name, fn in REWRITES.items():
            print(f"{name:26} {(fn.__doc__ or '').strip().splitlines()[0]}")
        return 0
    names = args.rewrite or list(REWRITES)
    unknown = [n for n in names if n not in REWRITES]
    if unknown:
        parser.error(f"unknown rewrite(s): {', '.join(unknown)} (see --list)")
    paths = args.paths or correct_tex_files()
    if args.show:
        sys.stdout.write(REWRITES[args.show](paths[0].read_text(encoding="utf-8")))
        return 0
    t0 = time.process_time()
    if args.jobs > 1:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(args.jobs) as pool:
            records = list(pool.map(run_file, paths, [names] * len(paths),
                                    [args.time_limit] * len(paths)))
    else:
        records = []
        for i, p in enumerate(paths):
            records.append(run_file(p, names, args.time_limit))
            print(f"[{i + 1}/{len(paths)}] {records[-1]['file']}", file=sys.stderr)
    summary = summarise(records, names)
    width = max(len(n) for n in names)
    print(f"{'rewrite':{width}}  applied  same-reading  same-verdicts  unreadable  "
          "verdict-changed")
    for name in names:
        s = summary[name]
        print(f"{name:{width}}  {s['applied']:7}  {s['same-reading']:12}  "
              f"{s['same-verdicts']:13}  {s['unreadable']:10}  {s['verdict-changed']:15}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "files": len(paths), "time_limit": args.time_limit,
            "cpu_seconds_main": round(time.process_time() - t0, 1),
            "errors": [r for r in records if "error" in r],
            "rewrites": summary,
            "per_file": records,
        }, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
