"""Mistakes named inside sums and derivatives, through Bayes' rule, and the names refused
where two mistakes give the same written step (issue 17: a wrong name is worse than none)."""

from __future__ import annotations

import sympy as sp

from elbo_derivation.explain.mistakes import diagnose

a, lam, s, t1, t2, b1, b2 = sp.symbols("a lam s t1 t2 b1 b2", positive=True)
mu, x, z = sp.symbols("mu x z", real=True)
k = sp.Symbol("k", integer=True, nonnegative=True)
d = sp.Symbol("d", integer=True, positive=True)
D = sp.Symbol("D", integer=True, positive=True)
half = sp.Rational(1, 2)


def _name(right: sp.Basic, written: sp.Basic) -> str | None:
    found = diagnose(right, written, None, None)
    return None if found is None else found.name


def test_a_sign_inside_a_sum_with_a_symbolic_bound_is_named() -> None:
    ell = sp.Function("l", real=True)
    right = sp.Sum(-ell(d) / 2 + sp.exp(ell(d)) / 2 - half, (d, 1, D))
    written = -D / 2 + sp.Sum(ell(d) + sp.exp(ell(d)), (d, 1, D)) / 2
    assert _name(right, written) == "sign-error"


def test_the_sign_of_a_one_term_exponent_is_a_sign_error() -> None:
    right = sp.Sum(lam**k * sp.exp(-lam) / sp.factorial(k), (k, 0, sp.oo))
    written = sp.exp(lam) * sp.Sum(lam**k / sp.factorial(k), (k, 0, sp.oo))
    assert _name(right, written) == "sign-error"


def test_a_half_dropped_inside_a_derivative_is_named_where_the_step_shows_it() -> None:
    right = sp.Derivative(mu**2 / 2 + s**2 / 2 - sp.log(s**2) / 2 - half, mu)
    assert _name(right, sp.Derivative(mu**2, mu)) == "dropped-half"


def test_a_derivative_evaluated_wrong_by_a_factor_gets_the_special_case_or_nothing() -> None:
    # μ/2 for d/dμ(μ²/2 + …) is a ½ added or the power rule's 2 lost: the catalogue declares
    # the power rule's factor the special case (its tie rule), so never the general name
    right = sp.Derivative(mu**2 / 2 + s**2 / 2 - sp.log(s**2) / 2 - half, mu)
    assert _name(right, mu / 2) in (None, "power-rule-factor")
    assert _name(right, mu / 3) is None  # no entry gives a third


def test_bayes_rule_upside_down_is_named_through_the_joint_density() -> None:
    pzx = sp.Function("p(z|x)", positive=True)(z, x)
    pxz = sp.Function("p(x|z)", positive=True)(x, z)
    pz = sp.Function("p(z)", positive=True)(z)
    px = sp.Function("p(x)", positive=True)(x)
    assert _name(sp.log(pzx), sp.log(px * pxz / pz)) == "bayes-inverted"


def test_a_plus_one_for_a_minus_one_is_a_sign_not_a_lost_constant() -> None:
    right = mu**2 / 2 + s**2 / 2 - sp.log(s**2) / 2 - half
    written = (mu**2 + s**2 + 1) / 2 - sp.log(s)
    assert _name(right, written) == "sign-error"


def test_a_rate_inside_a_log_is_a_sign_not_a_rate_for_its_scale() -> None:
    x_pos = sp.Symbol("y", positive=True)
    right = sp.Integral(lam * (lam * x_pos - sp.log(lam)) * sp.exp(-lam * x_pos),
                        (x_pos, 0, sp.oo))
    assert _name(right, sp.log(lam) + 1) == "sign-error"


def test_a_ratio_of_two_scales_flipped_is_named_but_not_for_precisions() -> None:
    assert _name(b1 / b2 + sp.log(b2 / b1) - 1, b2 / b1 + sp.log(b2 / b1) - 1) == \
        "ratio-flipped"
    # t₂/t₁ written t₁/t₂ for precisions t: each precision used for its variance, which the
    # role names (not the ratio)
    m1, m2 = sp.symbols("m1 m2", real=True)
    right = t2 * ((m1 - m2) ** 2 + 1 / t1) / 2 + sp.log(t1 / t2) / 2 - half
    written = t1 / (2 * t2) + t2 * (m1 - m2) ** 2 / 2 + sp.log(t1 / t2) / 2 - half
    assert _name(right, written) == "precision-for-variance"


def test_logs_joined_and_a_log_of_a_sum_split_are_named() -> None:
    assert _name(-sp.log(s) - sp.log(a) + mu, -sp.log(s + a) + mu) == "sum-of-logs-joined"
    right = sp.log((b1 + b2) / (s + a))
    assert _name(right, sp.log(b1 + b2) - sp.log(s) - sp.log(a)) == "log-of-sum-split"
