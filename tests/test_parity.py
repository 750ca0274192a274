r"""Parity: one derivation, three front ends, one verdict.

Each bundled derivation (``elbo_derivation/notes/*.deriv``) is read three ways: as the
``.deriv`` file itself, as LaTeX (a ``.tex`` text written from it here: ``\frac``, ``\log``,
``\int_{-\infty}^{\infty} ... dx``, ``\mathbb{E}_{z \sim q(z|x)}[...]``, ``\mathrm{KL}``, names
as LaTeX writes them, ``\mu_{1}``, ``\hat{x}_{1}``) and through ``check_steps`` (the Python
front end). The three must read the same mathematics and get the same verdicts; and with a
wrong last step added (the same in each), the same refutation and counterexample.

The LaTeX is written from the ``.deriv`` parse tree by :func:`to_latex` below, a printer of
the test's own: the readers under test never see each other's text.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lark import Token, Tree

from elbo_derivation.decide.engine import check_derivation, check_steps
from elbo_derivation.notes import bundled_paths
from elbo_derivation.read.deriv import parse_derivation, syntax_tree
from elbo_derivation.read.tex import parse_tex_derivation

GREEK = set("alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi rho sigma "
            "tau upsilon phi chi psi omega".split())
ACCENTS = ("hat", "bar", "tilde")
_HEADER = re.compile(r"\s*(title|source|symbols|let|densities|functions)\s*:(.*)$")
_STEP = re.compile(r"\s*(=~\s*\[[^\]]*\]|<=|>=|=)(.*)$")
#: the wrong step appended to every derivation (the same in each format)
WRONG = (" + 1/7",)


def tex_name(name: str) -> str:
    """``mu1`` → ``\\mu_{1}``, ``x_hat1`` → ``\\hat{x}_{1}``, ``S1_11`` → ``\\mathrm{S1}_{11}``."""
    if name == "pi":
        return r"\pi"
    if name == "oo":
        return r"\infty"
    m = re.fullmatch(r"([A-Za-z]+)(.*)", name)
    assert m, name
    stem, rest = m.group(1), m.group(2).lstrip("_")
    if "_" in rest:  # a second subscript level: the name up to the last '_' is the base
        head, _, sub = name.rpartition("_")
        return rf"\mathrm{{{head}}}_{{{sub}}}"
    accent = next((a for a in ACCENTS if rest.startswith(a)), None)
    if stem in ACCENTS and rest == "":
        accent = None
    base = rf"\{stem}" if stem in GREEK else stem if len(stem) == 1 else rf"\mathrm{{{stem}}}"
    if accent:
        base, rest = rf"\{accent}{{{base}}}", rest[len(accent):].lstrip("_")
    return base + (f"_{{{rest}}}" if rest else "")


_PREC = {"add": 1, "sub": 1, "neg": 1, "mul": 2, "pow": 4}


def to_latex(tree: Tree | Token, aliases: dict[str, str]) -> str:
    """LaTeX for a ``.deriv`` expression's parse tree (the test's own printer)."""
    text, _ = _emit(tree, aliases)
    return text


def _wrap(pair: tuple[str, int], at_least: int) -> str:
    text, prec = pair
    return rf"\left({text}\right)" if prec < at_least else text


def _emit(node: Tree | Token, aliases: dict[str, str]) -> tuple[str, int]:
    if isinstance(node, Token):
        return tex_name(str(node)), 5
    kind, c = str(node.data), node.children
    if kind == "number":
        return str(c[0]), 5
    if kind == "name":
        return tex_name(str(c[0])), 5
    if kind == "add":
        return f"{_emit(c[0], aliases)[0]} + {_wrap(_emit(c[1], aliases), 2)}", 1
    if kind == "sub":
        return f"{_emit(c[0], aliases)[0]} - {_wrap(_emit(c[1], aliases), 2)}", 1
    if kind == "mul":
        return f"{_wrap(_emit(c[0], aliases), 2)} \\cdot {_wrap(_emit(c[1], aliases), 2)}", 2
    if kind == "div":
        return rf"\frac{{{_emit(c[0], aliases)[0]}}}{{{_emit(c[1], aliases)[0]}}}", 5
    if kind == "neg":
        return f"-{_wrap(_emit(c[0], aliases), 2)}", 1
    if kind == "pow":
        base = _emit(c[0], aliases)
        simple = isinstance(c[0], Tree) and str(c[0].data) in ("name", "number")
        shown = base[0] if simple else rf"\left({base[0]}\right)"
        return f"{shown}^{{{_emit(c[2], aliases)[0]}}}", 4
    if kind == "call":
        name, (args_tree) = str(c[0]), c[1]
        parts: list[str] = []
        for a in args_tree.children:
            parts.append("|" if isinstance(a, Token) and a.type == "BAR" else
                         _emit(a, aliases)[0])
        inner = ""
        for p in parts:
            inner += p if p == "|" or inner.endswith("|") or not inner else ", " + p
        if name in ("log", "ln", "exp"):
            return rf"\left(\{name}\left({inner}\right)\right)", 5
        if name == "sqrt":
            return rf"\sqrt{{{inner}}}", 5
        if name == "abs":
            return rf"\left|{inner}\right|", 5
        if name == "KL":
            args = [a for a in args_tree.children if not isinstance(a, Token)]
            shown = [_density(a, aliases) for a in args[:2]]
            return rf"\mathrm{{KL}}\left({shown[0]}, {shown[1]}\right)", 5
        return f"{tex_name(name)}({inner})", 5
    if kind == "integral":
        body, var, lo, hi = c
        return (rf"\int_{{{_emit(lo, aliases)[0]}}}^{{{_emit(hi, aliases)[0]}}} "
                rf"{_wrap(_emit(body, aliases), 2)} \, d{tex_name(str(var))}", 2)
    if kind == "expectation":
        body, var, dens = c
        return (rf"\mathbb{{E}}_{{{tex_name(str(var))} \sim {_density(dens, aliases)}}}"
                rf"\left[{_emit(body, aliases)[0]}\right]", 5)
    raise AssertionError(f"no LaTeX for {kind}")


def _density(node: Tree | Token, aliases: dict[str, str]) -> str:
    """A density argument: a declared density as written, or a let name with its variable."""
    if isinstance(node, Tree) and str(node.data) == "name" and str(node.children[0]) in aliases:
        name = str(node.children[0])
        return f"{tex_name(name)}({tex_name(aliases[name])})"
    return _emit(node, aliases)[0]


def _let_densities(tree: Tree, out: dict[str, str]) -> None:
    """Let names used as densities (KL(p1, p2, x), E[..., u ~ phi]): name → variable."""
    for sub in tree.iter_subtrees():
        kind = str(sub.data)
        if kind == "expectation" and str(getattr(sub.children[2], "data", "")) == "name":
            out[str(sub.children[2].children[0])] = str(sub.children[1])
        if kind == "call" and str(sub.children[0]) == "KL":
            args = [a for a in sub.children[1].children if not isinstance(a, Token)]
            if len(args) == 3:
                for a in args[:2]:
                    if str(getattr(a, "data", "")) == "name":
                        out[str(a.children[0])] = str(args[2].children[0])


class Source:
    """A ``.deriv`` file taken apart: headers, start and steps as text."""

    def __init__(self, text: str, wrong: bool) -> None:
        self.headers: list[tuple[str, str]] = []
        self.lines: list[tuple[str, str]] = []  # (relation, expression text)
        for raw in text.splitlines():
            code = raw.split("#", 1)[0]
            if not code.strip():
                continue
            h = _HEADER.match(code)
            if h:
                self.headers.append((h.group(1), h.group(2).strip()))
                continue
            s = _STEP.match(code)
            self.lines.append((s.group(1), s.group(2).strip()) if s else ("", code.strip()))
        if wrong:
            _, last = self.lines[-1]
            self.lines.append(("=", f"{last}{WRONG[0]}"))

    def deriv(self) -> str:
        out = [f"{k}: {v}" for k, v in self.headers]
        out += [f"{rel} {text}".strip() for rel, text in self.lines]
        return "\n".join(out) + "\n"

    def tex(self) -> str:
        trees = {text: syntax_tree(text) for _, text in self.lines}
        lets = {v.split("=", 1)[0].strip(): syntax_tree(v.split("=", 1)[1])
                for k, v in self.headers if k == "let"}
        aliases: dict[str, str] = {}
        for tree in [*trees.values(), *lets.values()]:
            if isinstance(tree, Tree):
                _let_densities(tree, aliases)
        out = []
        for k, v in self.headers:
            if k == "let":
                name = v.split("=", 1)[0].strip()
                out.append(f"% let: {name} = {to_latex(lets[name], aliases)}")
            else:
                out.append(f"% {k}: {v}")
        if aliases:
            out.append("% functions: " + ", ".join(f"{n}({v})" for n, v in aliases.items()))
        out.append(r"\begin{align*}")
        (_, start), *steps = self.lines
        rows = []
        for i, (rel, text) in enumerate(steps):
            body = to_latex(trees[text], aliases)
            if rel.startswith("=~"):
                names = rel[rel.index("[") + 1: rel.index("]")]
                shown = rf"\simeq_{{{names}}}"
            else:
                shown = {"=": "=", "<=": r"\le", ">=": r"\ge"}[rel]
            lhs = to_latex(trees[start], aliases) + " " if i == 0 else ""
            rows.append(f"{lhs}&{shown} {body}")
        out.append(" \\\\\n".join(rows))
        out.append(r"\end{align*}")
        return "\n".join(out) + "\n"

    def check_steps_args(self) -> dict:
        symbols, assumptions, definitions = [], {}, {}
        densities, functions = [], []
        for k, v in self.headers:
            if k == "symbols":
                names, _, word = v.rpartition(":")
                for n in names.split(","):
                    symbols.append(n.strip())
                    assumptions[n.strip()] = word.strip()
            elif k == "let":
                name, _, value = v.partition("=")
                definitions[name.strip()] = value.strip()
            elif k == "densities":
                densities.append(v)
            elif k == "functions":
                functions.append(v)
        exprs = [self.lines[0][1]] + [f"{rel} {text}" for rel, text in self.lines[1:]]
        return {"exprs": exprs, "symbols": symbols, "assumptions": assumptions,
                "definitions": definitions, "densities": densities, "functions": functions}


def _summary(d) -> list[tuple]:
    out = []
    for s in d.steps:
        r = s.result
        cx = None
        if r.counterexample is not None:
            c = r.counterexample
            cx = (tuple(sorted(c.point.items())), repr(round(c.lhs, 9)), repr(round(c.rhs, 9)),
                  repr(round(c.difference, 9)), c.note)
        out.append((s.relation.value, r.verdict.value, cx))
    return out


PATHS = bundled_paths()


@pytest.mark.parametrize("wrong", [False, True], ids=["as-bundled", "wrong-last-step"])
@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_three_front_ends_agree(path: Path, wrong: bool) -> None:
    src = Source(path.read_text(encoding="utf-8"), wrong)
    from_deriv = parse_derivation(src.deriv(), file=path.name)
    from_tex = parse_tex_derivation(src.tex(), file=path.stem + ".tex")
    # the same mathematics, read from two texts
    assert from_tex.start == from_deriv.start
    assert [s.expr for s in from_tex.steps] == [s.expr for s in from_deriv.steps]
    assert [s.wrt for s in from_tex.steps] == [s.wrt for s in from_deriv.steps]
    from_deriv = check_derivation(from_deriv)
    from_tex = check_derivation(from_tex)
    from_python = check_steps(**src.check_steps_args())
    expected = _summary(from_deriv)
    assert _summary(from_tex) == expected
    assert _summary(from_python) == expected
    verdicts = [v for _, v, _ in expected]
    if wrong:
        assert verdicts[-1] == "refuted" and expected[-1][2] is not None
        assert all(v == "proved" for v in verdicts[:-1])
    else:
        assert all(v == "proved" for v in verdicts)


def test_the_printer_writes_textbook_latex() -> None:
    assert tex_name("mu1") == r"\mu_{1}" and tex_name("x_hat1") == r"\hat{x}_{1}"
    assert tex_name("S1_11") == r"\mathrm{S1}_{11}" and tex_name("det1") == r"\mathrm{det}_{1}"
    tree = syntax_tree("Integral(p1*log(p1/p2), (x, -oo, oo))")
    assert to_latex(tree, {}) == (r"\int_{-\infty}^{\infty} p_{1} \cdot \left(\log\left("
                                  r"\frac{p_{1}}{p_{2}}\right)\right) \, dx")


TEXTBOOK = Path(__file__).parent / "data" / "textbook"


@pytest.mark.parametrize("stem", ["evidence", "kl_standard_normal", "kl_nonnegative"])
def test_textbook_latex_of_a_bundled_derivation_gets_its_verdicts(stem: str) -> None:
    """Hand-written LaTeX as a textbook prints it (D_KL(q ‖ p), E_{q(z|x)}[...], families
    declared with \\mathcal{N}, names declared as the body writes them) gets the verdicts of
    the bundled ``.deriv``."""
    from elbo_derivation.read.tex import read_tex_derivation

    deriv = check_derivation(parse_derivation(
        next(p for p in PATHS if p.stem == stem).read_text(encoding="utf-8")))
    tex = check_derivation(read_tex_derivation(TEXTBOOK / f"{stem}.tex"))
    assert [(s.relation.value, s.verdict.value) for s in tex.steps] == [
        (s.relation.value, s.verdict.value) for s in deriv.steps]


def test_a_wrong_textbook_step_is_refuted_where_the_deriv_one_is() -> None:
    from elbo_derivation.read.tex import parse_tex_derivation

    text = (TEXTBOOK / "kl_standard_normal.tex").read_text(encoding="utf-8")
    wrong_tex = text.replace(r"- \log h - 1\right)", r"- \log h + 1\right)")
    assert wrong_tex != text
    path = next(p for p in PATHS if p.stem == "kl_standard_normal")
    source = path.read_text(encoding="utf-8")
    wrong_deriv = source.replace("(h + g^2 - log(h) - 1)/2", "(h + g^2 - log(h) + 1)/2")
    assert wrong_deriv != source
    tex = check_derivation(parse_tex_derivation(wrong_tex))
    deriv = check_derivation(parse_derivation(wrong_deriv))
    assert [s.verdict.value for s in tex.steps] == [s.verdict.value for s in deriv.steps]
    assert tex.first_failure.index == deriv.first_failure.index == 3
    a, b = tex.first_failure.result.counterexample, deriv.first_failure.result.counterexample
    assert a.difference == pytest.approx(b.difference) == pytest.approx(-1.0)
