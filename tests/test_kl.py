"""Tests of the KL functions (elbo_derivation.numeric.kl) against a 50-digit mpmath reference.

The reference is the notes' §3.3 closed form, evaluated as written but with 50 significant
digits on the exact binary values of the float inputs: it cancels down by at most ~32 digits on
this grid (the smallest non-zero divergence here is ~1e-32), which still leaves more than 15
correct digits to judge a 1e-13 relative error.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

from elbo_derivation import kl_diag_normal, kl_mvn, kl_normal, kl_standard_normal

RTOL = 1e-13  # the accuracy the issue asks for
EPS = np.finfo(np.float64).eps


def kl_reference(mu1: float, sigma1: float, mu2: float, sigma2: float) -> mpmath.mpf:
    """log(σ2/σ1) + (σ1² + (μ1 − μ2)²)/(2σ2²) − ½ at 50 significant digits."""
    with mpmath.workdps(50):
        m1, s1, m2, s2 = (mpmath.mpf(float(v)) for v in (mu1, sigma1, mu2, sigma2))
        return +(mpmath.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - mpmath.mpf(1) / 2)


def kl_standard_reference(mu: float, log_var: float) -> mpmath.mpf:
    """½(h + μ² − log h − 1) with h = exp(ℓ), at 50 significant digits (notes §4)."""
    with mpmath.workdps(50):
        m, lv = mpmath.mpf(float(mu)), mpmath.mpf(float(log_var))
        return +((mpmath.exp(lv) + m**2 - lv - 1) / 2)


def relative_errors(values, references) -> np.ndarray:
    """|value − ref| / ref in mpmath; 0 where both are exactly 0, inf where only ref is."""
    out = []
    with mpmath.workdps(50):
        for v, r in zip(np.ravel(values), references, strict=True):
            if r == 0:
                out.append(0.0 if v == 0 else math.inf)
            else:
                out.append(float(abs(mpmath.mpf(float(v)) - r) / abs(r)))
    return np.array(out)


def naive_kl(mu1, sigma1, mu2, sigma2):
    """The textbook formula of the notes' §3.3, evaluated as written in float64."""
    return np.log(sigma2 / sigma1) + (sigma1**2 + (mu1 - mu2) ** 2) / (2 * sigma2**2) - 0.5


# ---------------------------------------------------------------------------------------------
# the fixed accuracy grid


def _grid() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    one = 1.0
    near_one = [
        one,
        *(np.nextafter(one, 2.0 * k) for k in (1,)),
        *(one + k * EPS for k in (1, 2, 5)),
        *(one - k * EPS / 2 for k in (1, 2, 5)),
        one + 1e-15, one - 1e-15, one + 1e-12, one - 1e-12, one + 1e-9, one - 1e-9,
        one + 1e-6, one - 1e-6, one + 1e-3, one - 1e-3,
    ]
    # around the switch points: |u| = 0.1 (series), ratio 1/2 and 2 (log1p), KL = 0.05 (fast)
    switches = [math.exp(s * 0.05) * f for s in (-1, 1) for f in (1 - 1e-9, 1, 1 + 1e-9)]
    switches += [0.5, 0.5 * (1 - EPS), 2.0, 2.0 * (1 + EPS), math.exp(0.25), math.exp(-0.25)]
    ratios = np.concatenate([np.logspace(-8, 8, 49), near_one, switches])
    # (μ1 − μ2)/σ2, including the fast-path boundary z² = 0.1
    zs = [0.0, 1e-12, -1e-12, 1e-8, 1e-4, 0.1, math.sqrt(0.1), -math.sqrt(0.1), 1.0, -10.0,
          1e4, 1e8]
    mus2 = [-10.0, 0.0, 7.5, 3.0e6]
    rows = []
    for scale in (1e-3, 1.0, 1e3):
        for i, ratio in enumerate(ratios):
            for j, z in enumerate(zs):
                mu2 = mus2[(i + j) % len(mus2)]
                rows.append((mu2 + z * scale, ratio * scale, mu2, scale))
    return tuple(np.array(col) for col in zip(*rows, strict=True))


GRID = _grid()
GRID_REF = [kl_reference(*row) for row in zip(*GRID, strict=True)]


def test_grid_against_mpmath_vectorised() -> None:
    mu1, sigma1, mu2, sigma2 = GRID
    assert mu1.size > 2000
    kl = kl_normal(mu1, sigma1, mu2, sigma2)
    err = relative_errors(kl, GRID_REF)
    worst = int(np.argmax(err))
    assert err.max() <= RTOL, (
        f"relative error {err.max():.3g} at mu1={mu1[worst]!r}, sigma1={sigma1[worst]!r}, "
        f"mu2={mu2[worst]!r}, sigma2={sigma2[worst]!r}"
    )
    # the sweep does reach the hard region and the extremes
    assert min(float(r) for r in GRID_REF if r > 0) < 1e-30
    assert max(float(r) for r in GRID_REF) > 1e15


def test_grid_against_mpmath_scalar_calls() -> None:
    # every 7th grid point one at a time: the scalar path returns the same accurate floats
    mu1, sigma1, mu2, sigma2 = GRID
    picks = range(0, mu1.size, 7)
    values = [kl_normal(mu1[i], sigma1[i], mu2[i], sigma2[i]) for i in picks]
    assert all(type(v) is float for v in values)
    err = relative_errors(values, [GRID_REF[i] for i in picks])
    assert err.max() <= RTOL


@pytest.mark.parametrize("scale", [1e-200, 1e-3, 1.0, 1e3, 1e200])
@pytest.mark.parametrize("ratio_offset", [1e-15, -1e-15, 5e-16, 0.0])
def test_nearly_coinciding_distributions(scale: float, ratio_offset: float) -> None:
    # σ1/σ2 within 1e-15 of 1 and μ1 − μ2 = 1e-12 σ: the textbook formula loses every digit here
    sigma2 = scale
    sigma1 = scale * (1.0 + ratio_offset)
    mu2 = 0.25 * scale
    mu1 = mu2 + 1e-12 * scale
    kl = kl_normal(mu1, sigma1, mu2, sigma2)
    ref = kl_reference(mu1, sigma1, mu2, sigma2)
    assert relative_errors([kl], [ref])[0] <= RTOL
    assert 0.0 < kl < 1e-23


def test_naive_formula_loses_the_digits() -> None:
    # the claim in the docstrings is real: on the same inputs the textbook formula is wrong in
    # every digit (or even negative), while kl_normal is right to 1e-13
    cases = [
        (1e-12, 1.0 + 1e-15, 0.0, 1.0),
        (0.0, 1.0 - 1e-15, 1e-12, 1.0),
        (3e-9, 1e3 * (1.0 + 1e-15), 3e-9 + 1e-9, 1e3),
        (0.0, 1.0 + 2 * EPS, 0.0, 1.0),
    ]
    refs = [kl_reference(*c) for c in cases]
    naive = [float(naive_kl(*(np.float64(v) for v in c))) for c in cases]
    ours = [kl_normal(*c) for c in cases]
    naive_err = relative_errors(naive, refs)
    assert np.all(naive_err > 0.1), naive_err
    assert relative_errors(ours, refs).max() <= RTOL


def test_extreme_ratios_and_means() -> None:
    cases = [
        (0.0, 1e-200, 0.0, 1e200),  # σ1/σ2 = 1e-400 underflows; KL = log(1e400) − ½
        (5.0, 1e-160, -5.0, 1e160),
        (1e308, 1.0, -1e308, 1e300),  # μ1 − μ2 overflows; (μ1 − μ2)/σ2 = 2e8
        (1e150, 1.0, -1e150, 1.0),  # ½z² = 2e300: z² alone would overflow
        (0.0, 1e154, 0.0, 1.0),  # t = 1e308 at the edge of the float range
        (0.0, 1.0, 0.0, 1e-8),
        (10.0, 1.0, -10.0, 1e8),
        (0.0, 5e-324, 0.0, 1.0),  # a subnormal σ1
    ]
    refs = [kl_reference(*c) for c in cases]
    values = [kl_normal(*c) for c in cases]
    assert relative_errors(values, refs).max() <= RTOL


def test_overflowing_divergence_raises() -> None:
    with pytest.raises(ValueError, match="exceeds the float64 range"):
        kl_normal(0.0, 1e200, 0.0, 1e-200)
    with pytest.raises(ValueError, match=r"exceeds the float64 range.*index \(1,\)"):
        kl_normal([0.0, 1e300], 1.0, 0.0, 1e-10)


# ---------------------------------------------------------------------------------------------
# properties


def test_never_negative_and_zero_only_for_equal_arguments() -> None:
    rng = np.random.default_rng(12)
    n = 20_000
    mu = rng.uniform(-10, 10, n)
    sigma = 10.0 ** rng.uniform(-8, 8, n)
    # equal arguments: exactly zero
    assert np.all(kl_normal(mu, sigma, mu, sigma) == 0.0)
    assert kl_normal(0.3, 2.0, 0.3, 2.0) == 0.0
    # one ulp away in any argument: strictly positive
    up_mu = np.nextafter(mu, np.inf)
    up_sigma = np.nextafter(sigma, np.inf)
    down_sigma = np.nextafter(sigma, 0.0)
    for args in [
        (up_mu, sigma, mu, sigma),
        (mu, sigma, up_mu, sigma),
        (mu, up_sigma, mu, sigma),
        (mu, down_sigma, mu, sigma),
        (mu, sigma, mu, up_sigma),
    ]:
        assert np.all(kl_normal(*args) > 0.0)
    # random pairs over the whole range: non-negative
    kl = kl_normal(mu, sigma, rng.uniform(-10, 10, n), 10.0 ** rng.uniform(-8, 8, n))
    assert np.all(kl >= 0.0) and np.all(np.isfinite(kl))


def test_not_symmetric() -> None:
    forward = kl_normal(0.0, 1.0, 1.0, 2.0)
    backward = kl_normal(1.0, 2.0, 0.0, 1.0)
    assert relative_errors([forward, backward], [kl_reference(0, 1, 1, 2),
                                                 kl_reference(1, 2, 0, 1)]).max() <= RTOL
    assert abs(forward - backward) > 0.5  # 0.4431... against 1.1931...


def test_broadcasting_and_return_types() -> None:
    assert type(kl_normal(0, 1, 0, 2)) is float
    assert type(kl_normal(np.float32(0), np.array(1.0), 0, 2)) is float
    out = kl_normal([0.0, 1.0], 1.0, [[0.0], [2.0]], 2.0)
    assert isinstance(out, np.ndarray) and out.shape == (2, 2)
    expected = [[kl_normal(m1, 1.0, m2, 2.0) for m1 in (0.0, 1.0)] for m2 in (0.0, 2.0)]
    assert np.array_equal(out, expected)
    assert kl_normal(np.zeros((0, 3)), 1.0, 0.0, 1.0).shape == (0, 3)


# ---------------------------------------------------------------------------------------------
# bad input


@pytest.mark.parametrize("position", range(4))
@pytest.mark.parametrize("bad", [-1.0, 0.0, math.nan, math.inf, -math.inf])
def test_bad_values_name_the_argument(position: int, bad: float) -> None:
    names = ["mu1", "sigma1", "mu2", "sigma2"]
    args: list[object] = [0.5, 1.0, -0.5, 2.0]
    if names[position].startswith("mu") and bad in (-1.0, 0.0):
        return  # fine values for a mean
    args[position] = bad
    with pytest.raises(ValueError, match=rf"^{names[position]} must be"):
        kl_normal(*args)
    # inside an array the message gives the index
    args[position] = np.array([1.0, 1.0, bad])
    with pytest.raises(ValueError, match=rf"^{names[position]} must be .*at index \(2,\)"):
        kl_normal(*args)


def test_bad_value_message_wording() -> None:
    with pytest.raises(ValueError) as info:
        kl_normal(0.0, 1.0, 0.0, -1.0)
    assert str(info.value) == "sigma2 must be positive and finite, got -1.0"


def test_shapes_that_do_not_broadcast() -> None:
    with pytest.raises(ValueError, match=r"^sigma1 has shape \(3,\), which does not broadcast"):
        kl_normal(np.zeros(2), np.ones(3), 0.0, 1.0)
    with pytest.raises(ValueError, match=r"^sigma2 has shape \(4,\)"):
        kl_diag_normal(np.zeros(2), 1.0, np.zeros(2), np.ones(4))


@pytest.mark.parametrize("bad", ["1.0", 1 + 2j, [1, "a"], None, True])
def test_non_real_input(bad: object) -> None:
    with pytest.raises(ValueError, match=r"^mu2 must be real numbers"):
        kl_normal(0.0, 1.0, bad, 1.0)


# ---------------------------------------------------------------------------------------------
# the diagonal and multivariate forms


def test_diag_equals_sum_of_univariate() -> None:
    rng = np.random.default_rng(3)
    shape = (5, 4)
    mu1, mu2 = rng.normal(0, 3, shape), rng.normal(0, 3, shape)
    s1, s2 = 10.0 ** rng.uniform(-2, 2, shape), 10.0 ** rng.uniform(-2, 2, shape)
    terms = kl_normal(mu1, s1, mu2, s2)
    assert np.allclose(kl_diag_normal(mu1, s1, mu2, s2), terms.sum(axis=-1), rtol=4 * EPS, atol=0)
    assert np.allclose(kl_diag_normal(mu1, s1, mu2, s2, axis=0), terms.sum(axis=0),
                       rtol=8 * EPS, atol=0)
    total = kl_diag_normal(mu1, s1, mu2, s2, axis=(0, 1))
    assert type(total) is float
    assert math.isclose(total, math.fsum(terms.ravel()), rel_tol=32 * EPS)
    # one coordinate: the univariate divergence itself
    assert kl_diag_normal([1.0], [0.5], [-0.5], [2.0]) == kl_normal(1.0, 0.5, -0.5, 2.0)
    with pytest.raises(ValueError, match=r"^axis must be"):
        kl_diag_normal(mu1, s1, mu2, s2, axis=2)
    with pytest.raises(ValueError, match=r"^axis must be"):
        kl_diag_normal(0.0, 1.0, 0.0, 1.0)
    with pytest.raises(ValueError, match=r"^sigma1 must be positive"):
        kl_diag_normal(mu1, -s1, mu2, s2)


def _random_spd(rng: np.random.Generator, k: int) -> np.ndarray:
    a = rng.normal(size=(k, k))
    return a @ a.T + 0.5 * np.eye(k)


def _kl_mvn_textbook(mu1, cov1, mu2, cov2) -> float:
    """The closed form with an explicit inverse and determinants (an independent route)."""
    inv2 = np.linalg.inv(cov2)
    d = mu2 - mu1
    k = len(mu1)
    return 0.5 * (np.trace(inv2 @ cov1) + d @ inv2 @ d - k
                  + np.log(np.linalg.det(cov2)) - np.log(np.linalg.det(cov1)))


def test_mvn_against_inverse_and_determinant_formula() -> None:
    rng = np.random.default_rng(5)
    for _ in range(50):
        mu1, mu2 = rng.normal(size=3), rng.normal(size=3)
        cov1, cov2 = _random_spd(rng, 3), _random_spd(rng, 3)
        ours = kl_mvn(mu1, cov1, mu2, cov2)
        assert type(ours) is float and ours > 0
        assert math.isclose(ours, _kl_mvn_textbook(mu1, cov1, mu2, cov2), rel_tol=1e-10)


def test_mvn_equals_diagonal_form_for_diagonal_covariances() -> None:
    rng = np.random.default_rng(6)
    mu1, mu2 = rng.normal(0, 2, (6, 4)), rng.normal(0, 2, (6, 4))
    s1, s2 = 10.0 ** rng.uniform(-3, 3, (6, 4)), 10.0 ** rng.uniform(-3, 3, (6, 4))
    cov1 = s1[..., None] * np.eye(4) * s1[..., None]  # (6, 4, 4) diagonal, entries σ²
    cov2 = s2[..., None] * np.eye(4) * s2[..., None]
    batched = kl_mvn(mu1, cov1, mu2, cov2)
    assert batched.shape == (6,)
    assert np.allclose(batched, kl_diag_normal(mu1, s1, mu2, s2), rtol=1e-13, atol=0)
    # the nearly-coinciding case keeps its digits in the multivariate form too
    sig = np.array([1.0, 1.0 + 1e-15])
    m1, m2 = np.array([0.0, 1e-12]), np.zeros(2)
    mvn = kl_mvn(m1, np.diag(sig**2), m2, np.eye(2))
    # the covariance holds fl(σ²); its Cholesky factor is the correctly rounded √fl(σ²)
    ref = kl_reference(1e-12, math.sqrt(sig[1] ** 2), 0.0, 1.0)
    assert relative_errors([mvn], [ref])[0] <= RTOL


def test_mvn_batches_broadcast_and_match_a_loop() -> None:
    rng = np.random.default_rng(7)
    mu1 = rng.normal(size=(4, 3))
    cov1 = np.stack([_random_spd(rng, 3) for _ in range(4)])
    mu2, cov2 = rng.normal(size=3), _random_spd(rng, 3)  # one q for the whole batch
    batched = kl_mvn(mu1, cov1, mu2, cov2)
    looped = [kl_mvn(mu1[i], cov1[i], mu2, cov2) for i in range(4)]
    assert np.allclose(batched, looped, rtol=1e-14, atol=0)


def test_mvn_zero_only_for_equal_and_univariate_case() -> None:
    rng = np.random.default_rng(8)
    mu, cov = rng.normal(size=3), _random_spd(rng, 3)
    assert kl_mvn(mu, cov, mu, cov) == 0.0
    assert kl_mvn(mu, cov, mu, cov * (1 + 2 * EPS)) > 0.0
    assert kl_mvn(np.nextafter(mu, 9.0), cov, mu, cov) > 0.0
    # k = 1: the univariate divergence with σ = √var
    value = kl_mvn([0.5], [[4.0]], [-1.0], [[0.25]])
    assert relative_errors([value], [kl_reference(0.5, 2.0, -1.0, 0.5)])[0] <= RTOL


def test_mvn_bad_input() -> None:
    mu, cov = np.zeros(2), np.eye(2)
    with pytest.raises(ValueError, match=r"^cov1 must be positive definite"):
        kl_mvn(mu, np.array([[1.0, 2.0], [2.0, 1.0]]), mu, cov)
    with pytest.raises(ValueError, match=r"^cov2 must be positive definite"):
        kl_mvn(mu, cov, mu, np.array([[1.0, 1.0], [1.0, 1.0]]))  # singular
    with pytest.raises(ValueError, match=r"^cov2 must be symmetric"):
        kl_mvn(mu, cov, mu, np.array([[1.0, 0.5], [0.0, 1.0]]))
    with pytest.raises(ValueError, match=r"^cov1 must have shape \(\.\.\., 2, 2\)"):
        kl_mvn(mu, np.eye(3), mu, cov)
    with pytest.raises(ValueError, match=r"^mu2 must have shape \(\.\.\., 2\)"):
        kl_mvn(mu, cov, np.zeros(3), cov)
    with pytest.raises(ValueError, match=r"^mu1 must be a vector"):
        kl_mvn(0.0, cov, mu, cov)
    with pytest.raises(ValueError, match=r"^cov1 must be finite"):
        kl_mvn(mu, np.array([[1.0, np.nan], [np.nan, 1.0]]), mu, cov)
    with pytest.raises(ValueError, match=r"^mu2 must be finite"):
        kl_mvn(mu, cov, np.array([0.0, np.inf]), cov)
    with pytest.raises(ValueError, match=r"^cov1 has shape \(3,\)"):
        kl_mvn(np.zeros((2, 2)), np.broadcast_to(cov, (3, 2, 2)), mu, cov)


# ---------------------------------------------------------------------------------------------
# the VAE's form


def test_standard_normal_against_mpmath() -> None:
    log_vars = [0.0, 1e-15, -1e-15, 1e-10, -1e-8, 0.0999, -0.1001, 0.5, -3.0,
                10.0, -30.0, 200.0, -700.0, 709.5, 710.0]
    mus = [0.0, 1e-12, -0.3, 2.0, 1e100]
    lv, mu = np.meshgrid(log_vars, mus)
    values = kl_standard_normal(mu, lv)
    refs = [kl_standard_reference(m, v) for m, v in zip(mu.ravel(), lv.ravel(), strict=True)]
    assert relative_errors(values, refs).max() <= RTOL
    assert kl_standard_normal(0.0, 0.0) == 0.0 and type(kl_standard_normal(0.0, 0.0)) is float
    # far below 50 digits' resolution the divergence is ℓ²/4 (the next term is ℓ³/12)
    for tiny in (1e-150, -1e-150, 1e-100):
        assert math.isclose(kl_standard_normal(0.0, tiny), tiny**2 / 4, rel_tol=4 * EPS)


def test_standard_normal_equals_kl_normal() -> None:
    rng = np.random.default_rng(9)
    mu = rng.normal(0, 3, (50, 4))
    # |ℓ| ≥ 0.1: away from 0 the rounding of exp(ℓ/2) does not matter at this tolerance
    log_var = rng.choice([-1, 1], (50, 4)) * rng.uniform(0.1, 20, (50, 4))
    ours = kl_standard_normal(mu, log_var)
    assert np.allclose(ours, kl_normal(mu, np.exp(log_var / 2), 0.0, 1.0), rtol=1e-13, atol=0)
    # the notes' §4 form ½(h + g² − log h − 1), h a variance
    h = np.exp(log_var)
    assert np.allclose(ours, 0.5 * (h + mu**2 - np.log(h) - 1), rtol=1e-12, atol=0)
    # axis: None is elementwise, an axis sums
    assert np.allclose(kl_standard_normal(mu, log_var, axis=-1), ours.sum(axis=-1), rtol=1e-15)
    assert math.isclose(kl_standard_normal(mu, log_var, axis=(0, 1)), ours.sum(), rel_tol=1e-13)
    assert kl_standard_normal(mu, log_var, axis=-1).shape == (50,)


def test_standard_normal_bad_input() -> None:
    with pytest.raises(ValueError, match=r"^mu must be finite, got nan at index \(1,\)"):
        kl_standard_normal([0.0, np.nan], 0.0)
    with pytest.raises(ValueError, match=r"^log_var must be finite, got inf"):
        kl_standard_normal(0.0, np.inf)
    with pytest.raises(ValueError, match=r"^log_var must be finite"):
        kl_standard_normal(0.0, -np.inf)
    with pytest.raises(ValueError, match=r"^log_var has shape \(3,\)"):
        kl_standard_normal(np.zeros(2), np.zeros(3))
    with pytest.raises(ValueError, match=r"^axis must be"):
        kl_standard_normal(np.zeros(2), 0.0, axis=1)
    with pytest.raises(ValueError, match="exceeds the float64 range"):
        kl_standard_normal(0.0, 711.0)
