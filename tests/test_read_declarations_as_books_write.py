"""Declarations as a lecturer writes them: a family at its own variable,
``q(z) = \\mathcal{N}(z; \\mu, \\sigma^2)``, and a header key that is a near miss
(``density:``), which is said at its line and column instead of being ignored as a comment
or failing on the expression after it."""

from __future__ import annotations

import pytest

from elbo_derivation.core.steps import Verdict
from elbo_derivation.errors import DerivationSyntaxError
from elbo_derivation.pipeline import check_derivation
from elbo_derivation.read.deriv import parse_derivation
from elbo_derivation.read.tex import parse_tex_derivation

KL_TO_PRIOR = r"""% symbols: {m}, {v} : real
% symbols: {s} : positive
% densities: {q}({v}) = \mathcal{{N}}({point}{m}, {s}^2), {p}({v}) = \mathcal{{N}}({point}0, 1)
\begin{{align*}}
\mathrm{{KL}}({q} \,\|\, {p}) &= \mathbb{{E}}_{{{q}}}\left[\log {q}({v}) - \log {p}({v})\right] \\
&= -\frac{{1}}{{2}}\log {s}^2 - \frac{{1}}{{2}} + \frac{{{s}^2 + {m}^2}}{{2}} \\
&= \frac{{1}}{{2}}\left({s}^2 + {m}^2 - \log {s}^2 - {last}\right)
\end{{align*}}
"""


@pytest.mark.parametrize("letters", [
    {"m": r"\mu", "v": "z", "s": r"\sigma", "q": "q", "p": "p"},
    {"m": "a", "v": "w", "s": "b", "q": "Q", "p": "P"},
])
@pytest.mark.parametrize(("last", "right"), [("1", True), ("2", False)])
def test_a_family_written_at_its_variable_is_the_family(letters: dict[str, str], last: str,
                                                        right: bool) -> None:
    with_point = KL_TO_PRIOR.format(point=letters["v"] + "; ", last=last, **letters)
    without = KL_TO_PRIOR.format(point="", last=last, **letters)
    verdicts = []
    for text in (with_point, without):
        d = check_derivation(parse_tex_derivation(text, file="kl.tex"))
        verdicts.append([s.result.verdict for s in d.steps])
    assert verdicts[0] == verdicts[1]
    assert (verdicts[0][-1] is Verdict.REFUTED) is not right
    assert verdicts[0][0] is Verdict.PROVED


def test_a_family_written_at_another_point_is_refused_where_it_is_written() -> None:
    text = KL_TO_PRIOR.format(point="x; ", last="1", m="m", v="z", s="s", q="q", p="p")
    with pytest.raises(DerivationSyntaxError) as e:
        parse_tex_derivation(text, file="kl.tex")
    assert e.value.line == 3 and "not the density's own variable 'z'" in str(e.value)


@pytest.mark.parametrize(("written", "meant"), [("density", "densities"),
                                                ("symbol", "symbols"), ("function", "functions")])
def test_a_near_miss_header_is_said_at_its_line_in_both_formats(written: str,
                                                                 meant: str) -> None:
    deriv = f"symbols: a : real\n{written}: b : positive\n\n  a\n= a\n"
    with pytest.raises(DerivationSyntaxError) as e:
        parse_derivation(deriv, file="x.deriv")
    assert (e.value.line, e.value.column) == (2, 1) and f"did you mean '{meant}:'" in str(e.value)
    tex = (f"% symbols: a : real\n%  {written}: b : positive\n"
           "\\begin{align*} a &= a \\end{align*}\n")
    with pytest.raises(DerivationSyntaxError) as e:
        parse_tex_derivation(tex, file="x.tex")
    assert (e.value.line, e.value.column) == (2, 4) and f"did you mean '{meant}:'" in str(e.value)


def test_other_comments_with_a_colon_are_comments() -> None:
    tex = ("% Jensen: the log is concave\n% symbols: a : real\n"
           "\\begin{align*} a &= a \\end{align*}\n")
    assert parse_tex_derivation(tex, file="x.tex").steps


def test_several_groups_of_symbols_on_one_line_are_separated_by_semicolons() -> None:
    d = parse_tex_derivation("% symbols: \\mu, z : real ; \\sigma : positive\n"
                             "\\begin{align*} \\sigma^2 &= |\\sigma|^2 \\end{align*}\n",
                             file="x.tex")
    assert d.symbols["sigma"].is_positive and d.symbols["mu"].is_real
    with pytest.raises(DerivationSyntaxError) as e:
        parse_derivation("symbols: a : real; s : positve\n\n  a\n= a\n", file="x.deriv")
    assert (e.value.line, e.value.column) == (1, 24) and "positve" in str(e.value)
