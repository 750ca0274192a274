"""A variable a discrete family declares lives on the family's support: the probe never
evaluates a step at a point off it (x = 1/2 for a Bernoulli variable), so a step true on the
support is never refuted; the log of a family's density is its log-density, also for a
density of one entry of a sequence (a decoder factorised over dimensions)."""

from __future__ import annotations

import pytest

from elbo_derivation.core.steps import Verdict
from elbo_derivation.pipeline import check_derivation
from elbo_derivation.read.tex import parse_tex_derivation

ONE = r"""% symbols: {z} : real
% symbols: 0 < {y} < 1
% densities: {p}({x}|{z}) = \mathrm{{Bernoulli}}({y})
\begin{{align*}}
\log {p}({x}|{z}) &= {x} \log {y} + (1 - {x})\log(1 - {y}){extra}
\end{{align*}}
"""

LETTERS = [{"p": "p", "x": "x", "z": "z", "y": "y"}, {"p": "P", "x": "b", "z": "h", "y": "t"}]


@pytest.mark.parametrize("letters", LETTERS)
@pytest.mark.parametrize(("extra", "verdicts"), [
    ("", {Verdict.PROVED}),
    # zero on the support {0, 1}, not off it: never refuted
    (" + {x}(1 - {x})", {Verdict.PROVED, Verdict.NUMERICALLY_SUPPORTED}),
    (" + {x}", {Verdict.REFUTED}),
])
def test_a_bernoulli_log_likelihood_is_checked_on_its_support(
        letters: dict[str, str], extra: str, verdicts: set[Verdict]) -> None:
    text = ONE.format(extra=extra.format(**letters), **letters)
    d = check_derivation(parse_tex_derivation(text, file="b.tex"))
    r = d.steps[0].result
    assert r.verdict in verdicts
    if r.verdict is Verdict.REFUTED:
        assert r.counterexample.point[letters["x"]] in (0, 1)


DIMENSIONS = r"""% symbols: D : positive integer
% symbols: d : integer
% symbols: z : real
% functions: x_d : nonnegative integer
% functions: y_d : (0, 1)
% densities: p(x_d|z) = \mathrm{Bernoulli}(y_d)
\begin{align*}
\log p(x_d|z) &= x_d \log y_d + (1 - x_d)\log(1 - y_d){extra}
\end{align*}
"""


@pytest.mark.parametrize(("extra", "right"), [("", True), (" + x_d", False)])
def test_a_family_declared_on_an_entry_of_a_sequence(extra: str, right: bool) -> None:
    d = check_derivation(parse_tex_derivation(DIMENSIONS.replace("{extra}", extra), file="b.tex"))
    r = d.steps[0].result
    assert r.verdict is (Verdict.PROVED if right else Verdict.REFUTED)
    if not right:  # each entry one number, the family's variable on its support {0, 1}
        point = {str(k): v for k, v in r.counterexample.point.items()}
        assert point["x_d"] in (0, 1) and 0 < point["y_d"] < 1


@pytest.mark.parametrize("letters", LETTERS)
def test_a_step_true_on_a_short_integer_range_is_proved_case_by_case(
        letters: dict[str, str]) -> None:
    text = ONE.format(extra=" + {x}(1 - {x})".format(**letters), **letters)
    r = check_derivation(parse_tex_derivation(text, file="b.tex")).steps[0].result
    assert r.verdict is Verdict.PROVED and r.method == "finite-cases"
    assert any(rule.startswith(f"cases over {letters['x']} ∈ {{0, 1}}") for rule in r.rules)
