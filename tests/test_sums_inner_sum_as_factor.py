# ruff: noqa: E501  (LaTeX rows kept whole, as a book prints them)
"""A sum divided by another sum over its own index, Σ_a u_a e_a / Σ_b e_b, is the sum of
u_a e_a / Σ_b e_b: the inner sum is free of a and comes out of the outer sum as a factor (a
softmax average written either way). Proved by the rules of sums, not only evaluated at a
few lengths; a sign flipped is refuted. Letters of no role."""

from __future__ import annotations

from elbo_derivation.core.steps import Verdict
from elbo_derivation.pipeline import check_derivation
from elbo_derivation.verification import read_any

PROVED, REFUTED = Verdict.PROVED, Verdict.REFUTED

_TEX = r"""% symbols: t : real
% symbols: M : positive integer
% symbols: a, b, c : integer
% functions: u_a, g_a : real
\begin{align*}
g_c - \frac{\sum_{a=1}^{M} u_a \exp\left(t u_a + g_a\right)}{\sum_{b=1}^{M} \exp\left(t u_b + g_b\right)}
  &= g_c - \sum_{a=1}^{M} u_a \frac{\exp\left(t u_a + g_a\right)}{\sum_{b=1}^{M} \exp\left(t u_b + g_b\right)} \\
  &= g_c + \sum_{a=1}^{M} u_a \frac{\exp\left(t u_a + g_a\right)}{\sum_{b=1}^{M} \exp\left(t u_b + g_b\right)}
\end{align*}
"""


def test_an_inner_sum_free_of_the_index_is_a_factor(tmp_path) -> None:
    path = tmp_path / "softmax_average.tex"
    path.write_text(_TEX, encoding="utf-8")
    steps = check_derivation(read_any(path), time_limit=5.0).steps
    assert [s.verdict for s in steps] == [PROVED, REFUTED]


_LOG_SOFTMAX = r"""% symbols: t : real
% symbols: M : positive integer
% symbols: a, c : integer
% functions: u_a : real
\begin{align*}
\log \frac{\exp\left(t u_c\right)}{\sum_{a=1}^{M} \exp\left(t u_a\right)}
  &= t u_c - \log \sum_{a=1}^{M} \exp\left(t u_a\right) \\
  &= t u_c + \log \sum_{a=1}^{M} \exp\left(t u_a\right)
\end{align*}
"""


def test_the_log_of_a_quotient_by_a_sum_of_positive_terms(tmp_path) -> None:
    """A sum of positive terms over a non-empty range is positive, so the log of a quotient
    by it splits (the log-softmax), proved by rule; the sign flipped is refuted."""
    path = tmp_path / "log_softmax.tex"
    path.write_text(_LOG_SOFTMAX, encoding="utf-8")
    steps = check_derivation(read_any(path), time_limit=5.0).steps
    assert [s.verdict for s in steps] == [PROVED, REFUTED]
