"""Naming by roles and squares, session 30.

A step that evaluates a derivative writes the exponents its rule of differentiation gives; an
exponent written wrong there (σ⁻² for σ⁻⁴, the power rule's power not raised) is a number of
the value, and reading it as σ written for the variance σ² names a mistake the page does not
show. A square completed on the step and written without its square is a square lost: the
previous line shows the square of the bracket's variable, the step writes the bracket.
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


# the exponent of a Gaussian product (Deisenroth, Faisal & Ong, sec. 6.5), its square completed
_COMPLETED = ("symbols: x, a, b : real\nsymbols: A, B : positive\n\n"
              "    -((A + B)*x^2 - 2*(a*B + b*A)*x + a^2*B + b^2*A)/(2*A*B)\n"
              "  = -(A + B)/(2*A*B)*(x - (a*B + b*A)/(A + B)){} - (a - b)^2/(2*(A + B))\n")


def test_a_square_completed_and_written_without_its_square_is_named() -> None:
    assert named_in_text(_COMPLETED.format(""), 1) == "missing-square"
    renamed = ("symbols: u, c, d : real\nsymbols: P, Q : positive\n\n"
               "    -((P + Q)*u^2 - 2*(c*Q + d*P)*u + c^2*Q + d^2*P)/(2*P*Q)\n"
               "  = -(P + Q)/(2*P*Q)*(u - (c*Q + d*P)/(P + Q)) - (c - d)^2/(2*(P + Q))\n")
    assert named_in_text(renamed, 1) == "missing-square"
    # a cube, or the bracket's sign turned: no square lost
    assert named_in_text(_COMPLETED.format("^3"), 1) is None
    assert named_in_text(_COMPLETED.format("").replace("x - (a*B", "x + (a*B"), 1) is None


def test_a_bracket_the_previous_line_writes_twice_is_no_square_completed() -> None:
    # (x − a)(x − a) written once: the previous line writes the bracket, and no square of it
    text = ("symbols: x, a : real\nsymbols: b : positive\n\n"
            "    b*(x - a)*(x - a) + 1\n  = b*(x - a) + 1\n")
    assert named_in_text(text, 1) is None
