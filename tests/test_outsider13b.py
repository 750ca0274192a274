"""Notation and rules met by the thirteenth outsider pass (o13b), each under letters other than
the corpus file's: an expectation written without a subscript, E(X) or \\mathbb{E}[f], over
the one declared density whose variable it involves (Blitzstein & Hwang, sec. 6.4; DeGroot &
Schervish, sec. 7.4), refused when that density is not unique; and the derivative in a
parameter of an expectation whose integrand holds the parameter, taken under the integral
sign and compared by the rules of expectations (the Bayes estimator under squared loss)."""

from __future__ import annotations

import pytest

from elbo_derivation.core.steps import Verdict
from elbo_derivation.errors import DerivationSyntaxError
from elbo_derivation.pipeline import check_derivation
from elbo_derivation.verification import read_any

PROVED, REFUTED = Verdict.PROVED, Verdict.REFUTED


def _check(tmp_path, name: str, text: str) -> list[Verdict]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    d = check_derivation(read_any(path), time_limit=5.0)
    return [s.verdict for s in d.steps]


def test_a_plain_E_with_round_brackets_is_the_mean_under_the_declared_density(tmp_path) -> None:
    r"""``E(Y^2) - E(Y)^2`` with Y ~ N(m, s²) declared: the variance s², and not s² + m²."""
    verdicts = _check(tmp_path, "plain_e.tex", r"""% symbols: m : real
% symbols: s : positive
% densities: g(Y) = N(m, s^2)
\begin{align*}
E(Y^2) - E(Y)^2
  &= s^2 + m^2 - m^2 \\
  &= s^2 + m^2
\end{align*}
""")
    assert verdicts == [PROVED, REFUTED]


def test_an_unsubscripted_blackboard_E_is_the_mgf_of_the_declared_count(tmp_path) -> None:
    r"""``\mathbb{E}[e^{uN}]`` for N ~ Poisson(r): e^{r(e^u - 1)}; e^{r(e^u + 1)} is refuted."""
    verdicts = _check(tmp_path, "mgf.tex", r"""% symbols: r : positive
% symbols: u : real
% densities: h(N) = Poisson(r)
\begin{align*}
\mathbb{E}\left[e^{uN}\right]
  &= e^{r(e^u - 1)} \\
  &= e^{r(e^u + 1)}
\end{align*}
""")
    assert verdicts == [PROVED, REFUTED]


def test_an_unsubscripted_expectation_over_two_candidate_densities_is_refused(tmp_path) -> None:
    r"""Two declared densities whose variables the integrand involves: which one is meant is
    not guessed; the error names the file, line and column and asks for the subscript."""
    path = tmp_path / "two.tex"
    path.write_text(r"""% symbols: v, w : real
% densities: a(w|v), b(v)
\begin{align*}
\mathbb{E}[v w]
  &= v\,\mathbb{E}_{a(w|v)}[w]
\end{align*}
""", encoding="utf-8")
    with pytest.raises(DerivationSyntaxError, match=r"two.tex:4:1: .*subscript"):
        read_any(path)


def test_an_unsubscripted_expectation_of_no_declared_variable_is_refused(tmp_path) -> None:
    r"""``E(w^2)`` where w has no declared density: there is nothing to average over, and the
    error says so at its line and column instead of reading a constant."""
    path = tmp_path / "none.tex"
    path.write_text(r"""% symbols: v, w : real
% densities: c(v)
\begin{align*}
E(w^2)
  &= w^2
\end{align*}
""", encoding="utf-8")
    with pytest.raises(DerivationSyntaxError, match=r"none.tex:4:1: .*no declared density"):
        read_any(path)


@pytest.mark.parametrize("wrong, verdict", [
    ("E[t^2, t ~ k(t|y)] - 2*c*E[t, t ~ k(t|y)] + c^2", PROVED),
    ("E[t^2, t ~ k(t|y)] - c*E[t, t ~ k(t|y)] + c^2", REFUTED),
])
def test_the_derivative_of_a_posterior_expected_loss_under_the_integral_sign(
        tmp_path, wrong: str, verdict: Verdict) -> None:
    """d/dc E_k[(t − c)²] = d/dc (E_k[t²] − 2c·E_k[t] + c²) for an abstract density k free of
    c: differentiated under the integral sign, the rest is linearity of E and ∫ k = 1; a
    lost 2 of the cross term is refuted."""
    verdicts = _check(tmp_path, "loss.deriv", f"""symbols: t, y, c : real
densities: k(t|y)

    diff(E[(t - c)^2, t ~ k(t|y)], c)
  = diff({wrong}, c)
""")
    assert verdicts == [verdict]
