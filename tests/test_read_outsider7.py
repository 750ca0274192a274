"""Gaps found by the seventh outsider pass (o7a: derivations from VI and VAE papers, written
before reading the checker's code), each kept as a probe with a right step and a wrong one:
the right one must be proved, the wrong one refuted at its own step (or, where no instance
can refute it, at least never proved or numerically supported)."""

from __future__ import annotations

import pytest

from elbo_derivation.core.steps import Verdict
from elbo_derivation.pipeline import check_derivation
from elbo_derivation.verification import read_any

PROVED, REFUTED, SUPPORTED = Verdict.PROVED, Verdict.REFUTED, Verdict.NUMERICALLY_SUPPORTED

_TEX = "\\begin{{align*}}\n{}\n\\end{{align*}}\n"

PROBES = {
    # Lucas et al. (2019): a declared d before a name is a product where no integral stands
    "d_product.tex": "% symbols: w : real\n% symbols: \\sigma, d : positive\n" + _TEX.format(
        "-\\frac{w^2}{2\\sigma^2} - \\frac{1}{2} + \\frac{1}{2d} "
        "&= \\frac{\\sigma^2 - d\\,(w^2 + \\sigma^2)}{2 d \\sigma^2} \\\\\n"
        "&= \\frac{\\sigma^2 - d\\,w^2}{2 d \\sigma^2}"),
    # Xu & Durrett (2018): the vMF on the 2-sphere, with hyperbolic functions
    "hyperbolic.tex": "% symbols: \\kappa : positive\n" + _TEX.format(
        "\\frac{d}{d\\kappa}\\log\\frac{\\kappa}{\\sinh\\kappa} "
        "&= \\frac{1}{\\kappa} - \\coth\\kappa \\\\\n"
        "&= \\frac{1}{\\kappa} - \\frac{\\sinh\\kappa}{\\cosh\\kappa}"),
    "hyperbolic.deriv": """symbols: k : positive

    diff(log(sinh(k)), k)
  = cosh(k)/sinh(k)
  = coth(k)
  = 1/coth(k)
""",
    # Ghosh et al. (2020), Miller et al. (2017): the variable of a normal draw is bound by it
    "draw.deriv": """symbols: x, a, m : real
symbols: s : positive

    E[(x - a*(m + s*e))^2, e ~ N(0, 1)]
  = (x - a*m)^2 + a^2*s^2
  = (x - a*m)^2 + a^2*s
""",
    "draw.tex": "% symbols: a, \\mu : real\n% symbols: \\sigma : positive\n" + _TEX.format(
        "\\mathbb{E}_{\\epsilon \\sim \\mathcal{N}(0, 1)}\\left[a^2(\\mu + \\sigma\\epsilon)^2"
        "\\right] &= a^2(\\mu^2 + \\sigma^2) \\\\\n&= a^2(\\mu^2 + \\sigma)"),
    # Tucker et al. (2017): f(b) declared before the family that declares b; f(1) in LaTeX;
    # the score of a family's density in its parameter
    "bernoulli_score.tex": "% symbols: 0 < \\theta < 1\n% functions: f(b) : real\n"
                           "% densities: p(b) = \\mathrm{Bernoulli}(\\theta)\n" + _TEX.format(
        "\\mathbb{E}_{p(b)}\\left[f(b)\\frac{\\partial}{\\partial\\theta}\\log p(b)\\right] "
        "&= f(1) - f(0) \\\\\n&= f(1) + f(0)"),
    # Lucas et al. (2019): the variable of a conditional density in a family needs no line
    "conditional_family.deriv": """symbols: x, w, v : real
symbols: d : positive
densities: q(z|x) = N(v*x, d)

    E[(x - w*z)^2, z ~ q(z|x)]
  = (x - w*v*x)^2 + w^2*d
  = (x - w*v*x)^2 + w^2*v^2*x^2
""",
    # Hutchinson (1989) / FFJORD: N(0, I) of a vector, and E[e e^T] = I inside a trace
    "hutchinson.tex": "% symbols: D : positive integer\n% symbols: \\epsilon : vector(D) real\n"
                      "% symbols: A : matrix(D)\n% symbols: I : identity(D)\n"
                      "% densities: p(\\epsilon) = \\mathcal{N}(0, I)\n" + _TEX.format(
        "\\mathbb{E}_{p(\\epsilon)}\\left[\\epsilon^\\top A \\epsilon\\right] "
        "&= \\operatorname{tr}\\left(A\\,\\mathbb{E}_{p(\\epsilon)}\\left[\\epsilon"
        "\\epsilon^\\top\\right]\\right) \\\\\n"
        "&= \\operatorname{tr}\\left(A\\,\\mathbb{E}_{p(\\epsilon)}\\left[\\epsilon\\right]"
        "\\mathbb{E}_{p(\\epsilon)}\\left[\\epsilon\\right]^\\top\\right)"),
    # Dieng et al. (2017) as reviewed by Zhang et al. (2018): Jensen's inequality under a log
    "chi_bound.tex": "% symbols: x, z : real\n% densities: q(z), p(x, z), p(x)\n" + _TEX.format(
        "\\frac{1}{2}\\log\\mathbb{E}_{q(z)}\\left[\\left(\\frac{p(x, z)}{q(z)}\\right)^2"
        "\\right] &\\ge \\frac{1}{2}\\log\\left(\\left(\\mathbb{E}_{q(z)}\\left["
        "\\frac{p(x, z)}{q(z)}\\right]\\right)^2\\right) \\\\\n"
        "&= 2\\log\\mathbb{E}_{q(z)}\\left[\\frac{p(x, z)}{q(z)}\\right]"),
    # Maddison et al. (2017), FIVO: a quantity with two indices, w_{t,i}
    "two_indices.tex": "% symbols: t, i : integer\n% symbols: T, N : positive integer\n"
                       "% functions: w_{t,i} : positive\n" + _TEX.format(
        "\\log\\prod_{t=1}^{T}\\left(\\frac{1}{N}\\sum_{i=1}^{N} w_{t,i}\\right) "
        "&= \\sum_{t=1}^{T}\\log\\sum_{i=1}^{N} w_{t,i} - T\\log N \\\\\n"
        "&= \\sum_{t=1}^{T}\\log\\sum_{i=1}^{N} w_{t,i} - \\log N"),
}

#: per probe, per step: the verdict wanted ("not-supported": never proved or numerically
#: supported, for a wrong step no instance refutes)
EXPECTED = {
    "d_product.tex": [PROVED, REFUTED],
    "hyperbolic.tex": [PROVED, REFUTED],
    "hyperbolic.deriv": [PROVED, PROVED, REFUTED],
    "draw.deriv": [PROVED, REFUTED],
    "draw.tex": [PROVED, REFUTED],
    "bernoulli_score.tex": [PROVED, REFUTED],
    "conditional_family.deriv": [PROVED, REFUTED],
    "hutchinson.tex": [PROVED, REFUTED],
    "chi_bound.tex": [PROVED, REFUTED],
    "two_indices.tex": [PROVED, REFUTED],
}


@pytest.mark.parametrize("name", sorted(PROBES))
def test_outsider7_probe(tmp_path, name) -> None:
    path = tmp_path / name
    path.write_text(PROBES[name], encoding="utf-8")
    d = check_derivation(read_any(path), time_limit=5.0)
    got = [s.verdict for s in d.steps]
    assert len(got) == len(EXPECTED[name])
    for step, (verdict, want) in enumerate(zip(got, EXPECTED[name], strict=True), 1):
        if want == "not-supported":
            assert verdict not in (PROVED, SUPPORTED), (name, step, d.steps[step - 1].result)
        else:
            assert verdict is want, (name, step, d.steps[step - 1].result)


def test_the_score_of_a_family_density_is_not_taken_as_zero(tmp_path) -> None:
    """E[f(b) ∂/∂t log p(b)] over p(b) = Bernoulli(t) is f(1) − f(0), not 0: the density's
    parameter is not among its arguments, and was once differentiated as a constant."""
    path = tmp_path / "score.deriv"
    path.write_text("""symbols: 0 < t < 1
functions: f(b) : real
densities: p(b) = Bernoulli(t)

    E[f(b)*diff(log(p(b)), t), b ~ p(b)]
  = 0
""", encoding="utf-8")
    d = check_derivation(read_any(path), time_limit=5.0)
    assert d.steps[0].verdict not in (PROVED, SUPPORTED), d.steps[0].result


def test_a_gap_that_is_not_zero_never_counts_as_support() -> None:
    """Σ_t log(S_t/N) = Σ_t log S_t − log N, with S_t a sum over an abstract quantity: the
    exact gap (1 − T)·log N vanishes at T = 1 and N = 1 only; the points where it does not
    (and the sides cannot be evaluated) must not leave the others to support the step."""
    import sympy as sp

    from elbo_derivation.decide.probe import probe

    t, i = sp.symbols("t i", integer=True)
    big_t, n = sp.symbols("T N", integer=True, positive=True)
    w = sp.Function("w", positive=True)(t, i)
    inner = sp.Sum(w, (i, 1, n))
    lhs = sp.Sum(sp.log(inner / n), (t, 1, big_t))
    rhs = sp.Sum(sp.log(inner), (t, 1, big_t)) - sp.log(n)
    out = probe(lhs, rhs, gap=(1 - big_t) * sp.log(n))
    assert out.verdict == "undecided", out


def test_an_abstract_function_at_numbers_is_probed_as_free_values() -> None:
    import sympy as sp

    from elbo_derivation.decide.tiers import PROBE, Problem

    f = sp.Function("f", real=True)
    p = Problem.of(f(1) - f(0), f(1) + f(0))
    assert PROBE.judge(p).verdict is REFUTED
