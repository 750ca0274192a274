"""Mathematics found missing by the third outsider pass over the corpus: a categorical declared
with free probabilities (decided on its simplex), Jensen's inequality written with integrals,
i.i.d. copies and lone marginals on the linear-Gaussian instance, and a derivative operator
written after a function's argument in LaTeX. Each is checked both ways: the right step holds,
the wrong one is refuted, and every counterexample satisfies the declarations."""

from __future__ import annotations

import pytest

from elbo_derivation.core.steps import Verdict
from elbo_derivation.decide.verdict import decide_step
from elbo_derivation.read.deriv import parse_derivation
from elbo_derivation.read.tex import parse_tex_derivation

CATEGORICAL = """\
symbols: k : integer
symbols: a1, a2, a3 : positive
densities: p(k) = Categorical(a1, a2, a3)
  (a1 + a2 + a3)*log(3) + a1*log(a1)
= {rhs}
"""

JENSEN = """\
symbols: x, z : real
densities: q(z), p(x, z)
  log(Integral(p(x, z), (z, -oo, oo)))
{rel} Integral(q(z)*log(p(x, z)/q(z)), (z, -oo, oo))
"""

IWAE = """\
symbols: x, z, z1, z2 : real
densities: q(z|x), p(x, z)
  E[E[(p(x, z1)/q(z1|x) + p(x, z2)/q(z2|x))/2, z2 ~ q(z2|x)], z1 ~ q(z1|x)]
= E[{w}, z1 ~ q(z1|x)]
"""

SURGERY = """\
symbols: x, z : real
densities: q(z|x), p(z), r(z)
  E[log(q(z|x)/p(z)), z ~ q(z|x)]
= E[log(q(z|x)/r(z)), z ~ q(z|x)] {sign} E[log(r(z)/p(z)), z ~ q(z|x)]
"""

GUMBEL = r"""% symbols: t : real
\begin{align*}
\frac{d}{dt}\exp\left(-e^{-t}\right)
  &= \exp\left(-e^{-t}\right)\frac{d}{dt}\left(-e^{-t}\right) \\
  &= {last}
\end{align*}
"""


def _verdicts(text: str) -> list:
    d = parse_derivation(text)
    return [decide_step(d, step, time_limit=5.0) for step in d.steps]


def test_categorical_with_free_probabilities_is_decided_on_its_simplex() -> None:
    (right,) = _verdicts(CATEGORICAL.format(rhs="log(3) + a1*log(a1)"))
    assert right.verdict is Verdict.PROVED, right.reason
    assert "sum to 1" in "; ".join(right.rules)
    (wrong,) = _verdicts(CATEGORICAL.format(rhs="2*log(3) + a1*log(a1)"))
    assert wrong.verdict is Verdict.REFUTED
    point = wrong.counterexample.point
    assert sum(float(point[n]) for n in ("a1", "a2", "a3")) == pytest.approx(1.0)


@pytest.mark.parametrize(("rel", "expected"), [(">=", Verdict.PROVED), ("<=", Verdict.REFUTED)])
def test_jensen_with_integrals_over_the_whole_line(rel: str, expected: Verdict) -> None:
    (result,) = _verdicts(JENSEN.format(rel=rel))
    assert result.verdict is expected, result.reason


@pytest.mark.parametrize(("w", "expected"), [
    ("p(x, z1)/q(z1|x)", Verdict.PROVED),
    ("2*p(x, z1)/q(z1|x)", Verdict.REFUTED),
])
def test_iid_copies_get_the_latent_instance(w: str, expected: Verdict) -> None:
    (result,) = _verdicts(IWAE.format(w=w))
    assert result.verdict is expected, result.reason


@pytest.mark.parametrize(("sign", "expected"), [("+", Verdict.PROVED), ("-", Verdict.REFUTED)])
def test_a_lone_marginal_is_a_density_of_its_own(sign: str, expected: Verdict) -> None:
    (result,) = _verdicts(SURGERY.format(sign=sign))
    assert result.verdict is expected, result.reason


@pytest.mark.parametrize(("last", "expected"), [
    (r"e^{-t}\exp\left(-e^{-t}\right)", Verdict.PROVED),
    (r"\exp\left(-e^{-t}\right)", Verdict.REFUTED),
])
def test_derivative_operator_after_a_function_argument(last: str, expected: Verdict) -> None:
    d = parse_tex_derivation(GUMBEL.replace("{last}", last))
    results = [decide_step(d, step, time_limit=5.0) for step in d.steps]
    assert results[0].verdict is Verdict.PROVED
    assert results[1].verdict is expected
