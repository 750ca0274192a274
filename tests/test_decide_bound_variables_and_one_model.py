# ruff: noqa: E501  (derivations written out as a book prints them)
r"""A variable bound by an integral is not the declared symbol of the same name, and a bare
prior beside a subscripted model is that model's missing marginal.

* ∫₀¹ f(u) du does not depend on a declared u ∈ (0, 1): writing the declared u through a
  positive variable (u = t/(1 + t)) must leave the bound u alone (it put an expression in the
  limits: "Invalid limits given");
* a Beta integral's exponent b = β + n − s is positive where s is declared in [0, n] (s
  successes in n trials; Wasserman, *All of Statistics*, §11.2);
* He et al. (ICLR 2019, eq. 2) declare g_θ(v|w), g_θ(w|v), g_θ(v) and the prior g(w): the prior
  is the one marginal the model lacks, so Bayes' rule through one joint proves the step; when
  the bare letter declares more than a missing marginal the reading is not made.
The letters are none of the notes'.
"""

from __future__ import annotations

import sympy as sp

from elbo_derivation.decide.inequalities import free_xreplace
from elbo_derivation.decide.verdict import decide_step
from elbo_derivation.pipeline import check_derivation
from elbo_derivation.read.deriv import parse_derivation
from elbo_derivation.read.tex import parse_tex_derivation


def test_a_bound_variable_is_not_substituted() -> None:
    u = sp.Symbol("u", positive=True)
    c = sp.Symbol("c", positive=True)
    t = sp.Dummy("t", positive=True)
    e = u * sp.Integral(u ** c, (u, 0, 1)) + sp.Sum(u, (u, 1, 3))
    out = free_xreplace(e, {u: t / (1 + t)})
    assert out == t / (1 + t) * sp.Integral(u ** c, (u, 0, 1)) + sp.Sum(u, (u, 1, 3))
    # free and bound at once: only the free one moves
    assert free_xreplace(sp.Integral(u, (u, 0, 1)) + u, {u: c}) == sp.Integral(u, (u, 0, 1)) + c


def _beta(declared: str, right: str, seconds: float = 5.0) -> str:
    d = parse_derivation(
        "symbols: u : (0, 1)\nsymbols: a, b : positive\nsymbols: m : positive integer\n"
        f"symbols: {declared}\n"
        "    Integral(u^(a + k)*(1 - u)^(b + m - k - 1), (u, 0, 1))/Integral(u^(a + k - 1)*(1 - u)^(b + m - k - 1), (u, 0, 1))\n"
        f"  = {right}\n", file="beta.deriv")
    return decide_step(d, d.steps[0], time_limit=seconds).verdict.value


def test_beta_integral_exponent_positive_from_a_declared_range() -> None:
    assert _beta("k : integer [0, m]", "(a + k)/(a + b + m)") == "proved"
    assert _beta("k : integer [0, m]", "(a + k)/(a + b + m + 1)") == "refuted"
    # k only nonnegative: b + m − k may be ≤ 0 and the integrals diverge; never proved
    assert _beta("k : nonnegative integer", "(a + k)/(a + b + m)", 1.0) != "proved"


def _gap(densities: str, row: str) -> object:
    text = ("% symbols: v, w : real\n% densities: " + densities + "\n\\begin{align*}\n"
            + row + "\n\\end{align*}\n")
    return check_derivation(parse_tex_derivation(text, file="m.tex")).steps[0]


BAYES_ROW = (r"\mathbb{E}_{h_\psi(w|v)}\left[\log\frac{g_\eta(v|w)\, g(w)}{h_\psi(w|v)}\right] "
             r"&= \mathbb{E}_{h_\psi(w|v)}\left[\log\frac{g_\eta(w|v)\, g_\eta(v)}{h_\psi(w|v)}\right]")
MODEL = r"h_\psi(w|v), g_\eta(v|w), g(w), g_\eta(w|v), g_\eta(v)"


def test_a_bare_prior_is_the_models_missing_marginal() -> None:
    step = _gap(MODEL, BAYES_ROW)
    assert step.verdict.value == "proved"
    assert "marginal" in step.result.rules[0]


def test_the_wrong_twin_is_not_proved() -> None:
    wrong = BAYES_ROW.replace(r"g_\eta(w|v)\, g_\eta(v)", r"g_\eta(w|v)")
    assert _gap(MODEL, wrong).verdict.value != "proved"


def test_no_missing_marginal_reading_when_the_model_has_the_marginal() -> None:
    # g_η(w) declared too: g(w) is then another density, and the step is left open
    step = _gap(MODEL + r", g_\eta(w)", BAYES_ROW)
    assert step.verdict.value == "undecided"
    # the bare letter declares a conditional as well: not a prior alone
    step = _gap(MODEL + r", g(v|w)", BAYES_ROW)
    assert step.verdict.value == "undecided"


def test_a_product_of_a_sequence_is_left_to_the_sum_tier() -> None:
    # ᾱ_t = ∏_{i ≤ t} α_i beside α_t: the sum tier's ∏ f = exp(Σ log f), not the coordinate
    # derivatives' (which only spent the step's time on it)
    from elbo_derivation.decide import tiers

    i = sp.Symbol("i", integer=True)
    t = sp.Symbol("t", integer=True, positive=True)
    al = sp.Function("alpha", positive=True)
    lhs = sp.Product(al(i), (i, 1, t))
    rhs = al(t) * sp.Product(al(i), (i, 1, t - 1))
    p = tiers.Problem.of(lhs, rhs)
    assert not tiers.IndexedDerivatives().applies(p)
    assert tiers.IndexedDerivatives().applies(tiers.Problem.of(al(t) + al(t), 2 * al(t)))
    from elbo_derivation.decide.verdict import compare

    assert compare(lhs, rhs).verdict.value == "proved"
