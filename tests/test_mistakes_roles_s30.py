"""Naming by roles, session 30: a power of a standard deviation in a derivative's value.

A step that evaluates a derivative writes the exponents its rule of differentiation gives; an
exponent written wrong there (σ⁻² for σ⁻⁴, the power rule's power not raised) is a number of
the value, and reading it as σ written for the variance σ² names a mistake the page does not
show.
"""

from __future__ import annotations

import pytest
from corpus.support import named_at_label, named_in_text

pytestmark = pytest.mark.usefixtures("unhurried_naming")

# the derivative in the variance of a normal log-likelihood (Rice, sec. 8.5, example C), with
# letters of its own: the right value is −N/(2τ²) + Σ(y_j − a)²/(2τ⁴)
_IN_THE_VARIANCE = r"""% symbols: \tau : positive
% symbols: a : real
% symbols: N : positive integer
% symbols: j : integer
% functions: y_j : real
\begin{align*}
\frac{\partial}{\partial \tau^2}\left(-\frac{N}{2}\log(2\pi\tau^2)
  - \frac{1}{2\tau^2}\sum_{j=1}^{N}(y_j - a)^2\right)
  &= -\frac{N}{2\tau^2} + \frac{1}{2\tau^{POWER}}\sum_{j=1}^{N}(y_j - a)^2
\end{align*}
"""


def test_a_power_not_raised_in_a_derivative_is_not_a_std_for_its_variance() -> None:
    # τ⁻² written for τ⁻⁴: the page writes τ², the variance, not τ alone
    assert named_in_text(_IN_THE_VARIANCE.replace("POWER", "2"), 1, tex=True) is None
    assert named_in_text(_IN_THE_VARIANCE.replace("POWER", "{2}"), 1, tex=True) is None


def test_the_corpus_power_derivative_is_not_named_std_for_variance() -> None:
    named = named_at_label("derivatives/wrong/rice_normal_variance_mle.s1.power-derivative.tex")
    assert named in (None, "power-derivative")


def test_a_std_written_alone_in_a_derivative_is_still_named() -> None:
    # (y − m)/s for (y − m)/s²: s stands alone where its variance belongs
    head = "symbols: s : positive\nsymbols: m, y : real\n\n"
    body = "    diff(-(y - m)^2/(2*s^2) - log(s), m)\n  = (y - m)/s\n"
    assert named_in_text(head + body, 1) == "std-for-variance"
    # and with the letters exchanged
    head = "symbols: w : positive\nsymbols: b, u : real\n\n"
    body = "    diff(-(u - b)^2/(2*w^2) - log(w), b)\n  = (u - b)/w\n"
    assert named_in_text(head + body, 1) == "std-for-variance"
