"""A sample written with a subscript beside the variable of the density it is drawn from
(observations y₁, …, yₙ from f(y), Azzalini 1996, sec. 3.2): the sequence y_i and the plain
y are two quantities, both declared, in either order of the declarations, under any letters;
y₁ is never read as y, so a step that confuses them is refuted."""

from __future__ import annotations

import pytest

from elbo_derivation.core.steps import Verdict
from elbo_derivation.decide.verdict import decide_step
from elbo_derivation.read.tex import parse_tex_derivation

SAMPLE = r"""% symbols: \mu : real
% symbols: \sigma : positive
% symbols: j : integer
% symbols: n : positive integer
% functions: {SEQ}_j : real
% densities: g({SEQ}) = \mathcal{{N}}(\mu, \sigma^2)
\begin{{align*}}
{BODY}
\end{{align*}}
"""


def _verdicts(letter: str, body: str, density_first: bool = False) -> list[Verdict]:
    text = SAMPLE.replace("{SEQ}", letter).replace("{{", "{").replace("}}", "}")
    text = text.replace("{BODY}", body.replace("@", letter))
    if density_first:
        lines = text.splitlines(keepends=True)
        lines[4], lines[5] = lines[5], lines[4]
        text = "".join(lines)
    d = parse_tex_derivation(text, file="sample.tex")
    return [decide_step(d, step, time_limit=10.0).verdict for step in d.steps]


@pytest.mark.parametrize("letter", ["y", "w"])
@pytest.mark.parametrize("density_first", [False, True])
def test_the_sample_and_the_density_variable_are_both_read(letter: str,
                                                           density_first: bool) -> None:
    body = (r"\sum_{j=1}^{n} (@_j - \mu) + \mathbb{E}\left[(@ - \mu)^2\right] "
            r"&= \sum_{j=1}^{n} @_j - n\mu + \sigma^2")
    assert _verdicts(letter, body, density_first) == [Verdict.PROVED]


@pytest.mark.parametrize("letter", ["y", "w"])
def test_an_observation_is_not_the_variable(letter: str) -> None:
    assert _verdicts(letter, r"@_1 + \mathbb{E}[@] &= @ + \mu") == [Verdict.REFUTED]
    assert _verdicts(letter, r"\sum_{j=1}^{n} (@_j - \mu) + @ &= \sum_{j=1}^{n} @_j - n\mu"
                     ) == [Verdict.REFUTED]

