"""Errata of the notes: where they are loose or wrong, each with a check that demonstrates it.

Each entry of :data:`ERRATA` is an :class:`Erratum` with a ``title``, the ``section`` of the
notes it concerns, an ``explanation``, and ``check()``, which demonstrates the point
symbolically (SymPy) or numerically (NumPy, fixed seeds) and returns an :class:`ErratumCheck`
(``ok`` is True when the demonstration confirms the erratum; ``summary`` says what it found).
``elbo-derivation verify --errata`` lists them with their checks.

Examples
--------
>>> [e.section for e in ERRATA]
['§1', 'Figure 1', '§2', '§2', '§2, §4', '§4']
>>> result = ERRATA[2].check()
>>> result.ok
True

References
----------
A. Selega, "Notes on Derivation of the Variational Autoencoder Evidence Lower Bound Loss"
(2022); D. P. Kingma and M. Welling, "Auto-Encoding Variational Bayes", ICLR 2014; C. M.
Bishop, *Pattern Recognition and Machine Learning* (2006), §2.3.3 and §10.1.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sympy as sp

from elbo_derivation.core.compile import compile_expr

__all__ = ["ERRATA", "Erratum", "ErratumCheck"]


@dataclass(frozen=True)
class ErratumCheck:
    """The outcome of an erratum's demonstration: ``ok`` if it confirms the erratum."""

    ok: bool
    summary: str

    def __bool__(self) -> bool:
        return self.ok


@dataclass(frozen=True)
class Erratum:
    """One erratum of the notes.

    Parameters
    ----------
    title : str
        what is wrong or loose, in one line.
    section : str
        where in the notes (``"§2"``, ``"Figure 1"``).
    explanation : str
        what the notes say, what is right, and why.
    demonstrate : callable
        returns an :class:`ErratumCheck`; called by :meth:`check`.
    """

    title: str
    section: str
    explanation: str
    demonstrate: Callable[[], ErratumCheck]

    def check(self) -> ErratumCheck:
        """Run the demonstration."""
        return self.demonstrate()


# --- the demonstrations -------------------------------------------------------------------


def _linear_gaussian_gap() -> ErratumCheck:
    """The encoder q(z|x) is not the posterior p(z|x): log p(x) − ELBO = KL(q ‖ p(z|x)) > 0."""
    # p(z) = N(0, 1), p(x|z) = N(a z + b, c): p(x) = N(b, a² + c), posterior N(mean, var).
    a, b, c, x = 2.0, 0.5, 1.0, 1.5
    post_var = c / (a * a + c)
    post_mean = a * (x - b) / (a * a + c)
    m, s2 = 0.0, 1.0  # an encoder output that is not the posterior
    log_px = -0.5 * (math.log(2 * math.pi * (a * a + c)) + (x - b) ** 2 / (a * a + c))
    # ELBO = E_q[log p(x|z)] − KL(q ‖ p(z)), in closed form for Gaussian q.
    e_loglik = -0.5 * math.log(2 * math.pi * c) - ((x - a * m - b) ** 2 + a * a * s2) / (2 * c)
    kl_prior = 0.5 * (s2 + m * m - math.log(s2) - 1)
    elbo = e_loglik - kl_prior
    kl_post = 0.5 * (
        s2 / post_var + (m - post_mean) ** 2 / post_var - 1 + math.log(post_var / s2)
    )
    gap = log_px - elbo
    ok = gap > 1e-6 and math.isclose(gap, kl_post, rel_tol=1e-12, abs_tol=1e-12)
    return ErratumCheck(
        ok,
        f"linear-Gaussian model (a={a}, b={b}, c={c}, x={x}): the encoder N({m}, {s2}) is not the "
        f"posterior N({post_mean:.4g}, {post_var:.4g}); log p(x) − ELBO = {gap:.6f} = "
        f"KL(q ‖ p(z|x)) = {kl_post:.6f} > 0",
    )


def _caption_is_plain_autoencoder() -> ErratumCheck:
    """‖x − d(e(x))‖² has no KL term: it does not depend on the encoder's variance h at all."""
    from elbo_derivation.report.pretty import pretty  # the expressions in the report's unicode

    g, x, x_hat = sp.symbols("g x x_hat", real=True)
    h, C = sp.symbols("h C", positive=True)
    caption = (x - x_hat) ** 2
    vae = C * (x - x_hat) ** 2 + (h + g**2 - sp.log(h) - 1) / 2
    no_h = sp.diff(caption, h) == 0
    d_h = sp.diff(vae, h)
    # The VAE loss pulls h to 1 and g to 0 (the prior); the caption's loss is blind to both.
    h_star = sp.solve(sp.Eq(d_h, 0), h)
    ok = no_h and h_star == [1] and sp.diff(vae - C * caption, g) == g
    return ErratumCheck(
        bool(ok),
        f"∂/∂h of the caption's loss is 0; the VAE loss has ∂/∂h = {pretty(d_h)}, zero at "
        f"h = {', '.join(map(pretty, h_star))}, and ∂/∂g of its KL part = g: the caption "
        "omits the KL term (and C)",
    )


def _normaliser_only_for_fixed_c() -> ErratumCheck:
    """With a learned c the dropped −(D/2) log 2πc changes the minimiser over c."""
    from elbo_derivation.report.pretty import format_number, pretty  # the report's unicode

    def numbers(values: np.ndarray) -> str:  # 9.071, 4.289, …: no Python list
        return ", ".join(format_number(float(v), 4) for v in values)

    c, S, D = sp.symbols("c S D", positive=True)  # S = ‖x − x̂‖², D data dimensions
    full = D * sp.log(2 * sp.pi * c) / 2 + S / (2 * c)  # −log N(x; x̂, cI)
    notes = S / (2 * c)  # the notes' loss, normaliser dropped
    c_full = sp.solve(sp.Eq(sp.diff(full, c), 0), c)
    slope_notes = sp.diff(notes, c)
    never_stationary = slope_notes.is_negative is True  # decreasing in c: no minimiser
    second = sp.diff(full, c, 2).subs(c, c_full[0]) if len(c_full) == 1 else sp.S.Zero
    ok = c_full == [S / D] and never_stationary and sp.simplify(second).is_positive is True
    # A numeric illustration: D = 4, S = 2.
    f = compile_expr(full.subs({S: 2, D: 4}), [c])
    g = compile_expr(notes.subs({S: 2, D: 4}), [c])
    grid = np.array([0.1, 0.5, 1.0, 10.0, 100.0])
    return ErratumCheck(
        bool(ok),
        f"full negative log-likelihood: minimiser c = {pretty(c_full[0])} (e.g. 0.5 for S = 2, "
        f"D = 4; values {numbers(f(grid))} at c = {numbers(grid)}); the notes' loss S/(2c) "
        f"has derivative {pretty(slope_notes)} < 0 and decreases towards 0 as c → ∞ "
        f"({numbers(g(grid))}): no minimiser, so the constant matters once c is learned",
    )


def _one_sample_monte_carlo() -> ErratumCheck:
    """C(x − x̂)² with x̂ = f(z), z ~ q, estimates C·E_q[(x − f(z))²] with one sample."""
    rng = np.random.default_rng(20220301)
    x, a, b, g, h, C = 1.0, 1.5, -0.2, 0.3, 0.4, 0.5  # decoder f(z) = a z + b, q = N(g, h)
    exact = C * ((x - a * g - b) ** 2 + a * a * h)  # C E_q[(x − f(z))²], in closed form
    z = g + math.sqrt(h) * rng.standard_normal(200_000)
    samples = C * (x - (a * z + b)) ** 2
    mean = float(samples.mean())
    se = float(samples.std(ddof=1) / math.sqrt(samples.size))
    single = samples[:5]
    spread = float(samples.std(ddof=1))
    ok = abs(mean - exact) < 4 * se and spread > 0.1 * exact
    return ErratumCheck(
        bool(ok),
        f"exact C·E_q[(x − f(z))²] = {exact:.4f}; one-sample values "
        f"{', '.join(f'{v:.3f}' for v in single)} "
        f"scatter with standard deviation {spread:.3f}; their mean over {samples.size} samples "
        f"is {mean:.4f} ± {se:.4f}: unbiased, but one sample is an estimate, not the value",
    )


def _vectors() -> ErratumCheck:
    """For vectors: a squared norm and a sum over latent coordinates."""
    from elbo_derivation.numeric.kl import kl_mvn

    rng = np.random.default_rng(7)
    K, D = 3, 4
    g = rng.normal(size=K)
    h = np.exp(rng.normal(size=K))
    kl_sum = float(0.5 * np.sum(h + g**2 - np.log(h) - 1))
    kl_full = float(kl_mvn(g, np.diag(h), np.zeros(K), np.eye(K)))
    # Reading §4 with vectors but scalar operations: ½(Σh + ‖g‖² − log Σh − 1) is wrong.
    kl_wrong = float(0.5 * (h.sum() + g @ g - math.log(h.sum()) - 1))
    x, x_hat = rng.normal(size=D), rng.normal(size=D)
    sq_norm = float(np.sum((x - x_hat) ** 2))
    ok = math.isclose(kl_sum, kl_full, rel_tol=1e-12) and not math.isclose(
        kl_wrong, kl_full, rel_tol=1e-3
    ) and math.isclose(sq_norm, float(np.linalg.norm(x - x_hat) ** 2), rel_tol=1e-12)
    return ErratumCheck(
        bool(ok),
        f"K = {K}: Σ_k ½(h_k + g_k² − log h_k − 1) = {kl_sum:.6f} = KL(N(g, diag h) ‖ N(0, I)) "
        f"= {kl_full:.6f} (matrix formula), whereas the formula applied to totals gives "
        f"{kl_wrong:.6f}; D = {D}: (x − x̂)² means ‖x − x̂‖² = Σ_d (x_d − x̂_d)² = {sq_norm:.4f}",
    )


def _variance_not_std() -> ErratumCheck:
    """Substituting σ₁ = √h into §3 gives log(1/√h); σ₁ = h would give another formula."""
    from elbo_derivation.report.pretty import pretty  # the expressions in the report's unicode

    g = sp.Symbol("g", real=True)
    h = sp.Symbol("h", positive=True)
    mu1, mu2 = sp.symbols("mu1 mu2", real=True)
    s1, s2 = sp.symbols("sigma1 sigma2", positive=True)
    kl3 = sp.log(s2 / s1) + (s1**2 + (mu1 - mu2) ** 2) / (2 * s2**2) - sp.Rational(1, 2)
    notes = (h + g**2 - sp.log(h) - 1) / 2
    as_variance = kl3.subs({mu1: g, s1: sp.sqrt(h), mu2: 0, s2: 1})
    as_std = kl3.subs({mu1: g, s1: h, mu2: 0, s2: 1})
    right = sp.expand(sp.expand_log(as_variance - notes)) == 0
    wrong = sp.expand(sp.expand_log(as_std - notes))
    differs = wrong != 0 and wrong.subs({h: 2, g: 0}) != 0
    return ErratumCheck(
        bool(right and differs),
        f"σ₁ = √h gives ½(h + g² − log h − 1) exactly; σ₁ = h would give "
        f"{pretty(sp.simplify(as_std))}, which differs from it by {pretty(sp.factor(wrong))}",
    )


ERRATA: list[Erratum] = [
    Erratum(
        title="The encoder is q(z|x), not p(z|x)",
        section="§1",
        explanation=(
            "§1 lists 'p(z|x): encoder'. The encoder is the variational posterior q(z|x) = "
            "N(g(x), h(x)) that the networks compute; p(z|x) is the true posterior of the model, "
            "which the encoder only approximates (the gap log p(x) − ELBO is exactly "
            "KL(q(z|x) ‖ p(z|x)), zero only if q equals the posterior)."
        ),
        demonstrate=_linear_gaussian_gap,
    ),
    Erratum(
        title="Figure 1's caption shows the plain autoencoder loss",
        section="Figure 1",
        explanation=(
            "The caption's loss ‖x − d(e(x))‖² is the deterministic autoencoder's. The VAE "
            "minimises C‖x − x̂‖² + KL(q(z|x) ‖ p(z)) with x̂ decoded from a sample z ~ q(z|x): "
            "the KL term (which pulls g to 0 and h to 1) and the weight C are missing."
        ),
        demonstrate=_caption_is_plain_autoencoder,
    ),
    Erratum(
        title="Dropping −(D/2) log 2πc is valid only while c is fixed",
        section="§2",
        explanation=(
            "log N(x; f(z), cI) = −(D/2) log 2πc − ‖x − f(z)‖²/(2c). The constant is free of the "
            "encoder and decoder, so dropping it does not move their minimiser — but only if "
            "the observation variance c is fixed. If c is learned, the full negative "
            "log-likelihood is minimised at c = ‖x − x̂‖²/D, whereas ‖x − x̂‖²/(2c) alone "
            "decreases without bound in c (c → ∞)."
        ),
        demonstrate=_normaliser_only_for_fixed_c,
    ),
    Erratum(
        title="C(x − x̂)² is a one-sample Monte Carlo estimate, not the expectation",
        section="§2",
        explanation=(
            "The loss term is C·E_{q(z|x)}[(x − f(z))²]. Writing it as C(x − x̂)² with "
            "x̂ = f(z) for one sample z ~ q(z|x) (z = g + √h ε) replaces the expectation by an "
            "unbiased one-sample estimate; the gradient is then stochastic (the "
            "reparameterisation trick of Kingma & Welling)."
        ),
        demonstrate=_one_sample_monte_carlo,
    ),
    Erratum(
        title="For vectors: the square is a squared norm, the KL a sum over latent dimensions",
        section="§2, §4",
        explanation=(
            "With x ∈ ℝ^D and z ∈ ℝ^K, (x − x̂)² means ‖x − x̂‖² = Σ_d (x_d − x̂_d)², the "
            "likelihood N(f(z), cI) has normaliser (2πc)^(−D/2), and for q(z|x) = "
            "N(g, diag h) the KL to N(0, I) is Σ_k ½(h_k + g_k² − log h_k − 1), the "
            "multivariate KL formula with diagonal covariance."
        ),
        demonstrate=_vectors,
    ),
    Erratum(
        title="h is a variance, hence log(1/√h)",
        section="§4",
        explanation=(
            "q(z|x) = N(g, h) names the variance h, so §3's σ₁ is √h and log(σ₂/σ₁) becomes "
            "log(1/√h) = −½ log h. The notes get this right but do not say it; code that "
            "outputs a standard deviation or a log-variance must convert (h = σ², h = exp ℓ)."
        ),
        demonstrate=_variance_not_std,
    ),
]
