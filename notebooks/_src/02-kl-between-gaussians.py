# %% [markdown]
# # 2 · The KL divergence between two Gaussians
#
# *Notes §3 (3.1 first term, 3.2 second term, 3.3 final expression). About 20 minutes.*
#
# The ELBO of notebook 1 contains $\mathrm{KL}(q(z\mid x), p(z))$ with both densities Gaussian.
# The notes' §3 derives the KL divergence between any two univariate Gaussians
# $p_1 = \mathcal N(\mu_1, \sigma_1^2)$ and $p_2 = \mathcal N(\mu_2, \sigma_2^2)$:
#
# $$\mathrm{KL}(p_1, p_2) = \int p_1(x) \log\frac{p_1(x)}{p_2(x)}\,dx
#   = \log\frac{\sigma_2}{\sigma_1} + \frac{\sigma_1^2 + (\mu_1 - \mu_2)^2}{2\sigma_2^2} - \frac12 .$$
#
# In this notebook you will
#
# 1. check the twelve steps of that derivation three independent ways — symbolically, by
#    numerical integration (quadrature) and by Monte Carlo sampling;
# 2. look at the KL as a surface: it depends only on $(\mu_1 - \mu_2)/\sigma_2$ and
#    $\sigma_1/\sigma_2$;
# 3. see that $\mathrm{KL}(p_1, p_2) \ne \mathrm{KL}(p_2, p_1)$;
# 4. watch a Monte Carlo estimate converge like $1/\sqrt n$;
# 5. see why the final formula, typed into a computer as written, can lose every digit — and
#    what `elbo_derivation.kl_normal` does instead.

# %%
import matplotlib.pyplot as plt
import mpmath
import numpy as np
import sympy as sp
from scipy import integrate, stats

from elbo_derivation import kl_normal
from elbo_derivation.decide.engine import load_derivation
from elbo_derivation.notes import bundled_paths
from elbo_derivation.numeric.quadrature import check_quadrature
from elbo_derivation.numeric.sampling import check_sampling, convergence_study
from elbo_derivation.report.text import render_text

notes = {path.stem: path for path in bundled_paths()}
rng = np.random.default_rng(3)

# %% [markdown]
# ## 1. Twelve steps, checked three ways
#
# The derivation file declares the symbols with their assumptions ($\sigma_1, \sigma_2 > 0$:
# without positivity, $\log\sigma^2 = 2\log\sigma$ is false, and the checker would refuse the
# last step) and names the densities and their normalisers $Z_i = \sqrt{2\pi\sigma_i^2}$ with
# `let:` lines, exactly as the notes do.

# %%
print(notes["kl_gaussians"].read_text(encoding="utf-8"))

# %% [markdown]
# Now the three checks:
#
# * **symbolic** (`load_derivation`): each step proved by algebra, or by evaluating the Gaussian
#   integrals exactly — the moments $\int p_1 = 1$, $\int x\,p_1 = \mu_1$,
#   $\int x^2 p_1 = \sigma_1^2 + \mu_1^2$ that §3.1 uses;
# * **quadrature** (`check_quadrature`): both sides of each step integrated numerically at 20
#   random parameter points (means in $[-10, 10]$, $\sigma$ from $10^{-3}$ to $10^{3}$) plus edge
#   cases, agreeing to a relative $10^{-10}$;
# * **sampling** (`check_sampling`): each integral estimated from 20 000 draws of
#   $x \sim p_1$, passing when the estimate lies within 5 standard errors of the other side
#   (the last two steps have no integral left on either side, so there is nothing to sample).

# %%
section3 = load_derivation(notes["kl_gaussians"], time_limit=20)
quadrature = check_quadrature(section3, rng=rng)
sampling = check_sampling(section3, rng=rng)
print(render_text([section3], timings=False))

# %%
assert len(section3.steps) == 12
assert all(step.verdict.value == "proved" for step in section3.steps)
assert all(check.ok for check in quadrature)
assert all(check.ok for check in sampling) and len(sampling) >= 1
print(f"{len(sampling)} steps also checked by sampling; largest |z| = "
      f"{max(abs(c.details['z_score']) for c in sampling):.2f}")

# %% [markdown]
# In a notebook the checked derivation also shows itself as mathematics: each step as it is
# written in the file, with its justification and verdict.

# %%
section3

# %% [markdown]
# Try a step yourself: `%%derivation` checks what you type. The last step of §3 in two
# lines (change the right side to `log(s1/s2)` and run the cell again to see it refuted):

# %%
%load_ext elbo_derivation

# %%
%%derivation --no-numeric
title: The last step of section 3
symbols: s1, s2 : positive
log(2*pi*s2^2)/2 - log(2*pi*s1^2)/2
= log(s2/s1)       # log of a quotient; log of a power

# %%
assert _derivation.steps[0].verdict.value == "proved"

# %% [markdown]
# Look at one sampling check in detail: the left side of step 1 is the KL itself, estimated as
# the mean of $\log p_1(x) - \log p_2(x)$ over draws $x \sim p_1$; its standard error says how
# far the estimate may stray by chance.

# %%
first = section3.steps[0].sampling.details
print({k: first[k] for k in ("point", "estimate", "standard_error", "z_score", "n_samples")})
assert abs(first["estimate"] - first["reference"]) < 5 * first["standard_error"]

# %% [markdown]
# ## 2. The result is `kl_normal`
#
# The last line of the derivation is the formula that `elbo_derivation.kl_normal(mu1, sigma1,
# mu2, sigma2)` implements (arguments are standard deviations, as in `scipy.stats.norm`). Take
# the expression straight from the checked derivation, and compare both with a direct numerical
# integral of $p_1 \log(p_1/p_2)$ (written with `logpdf`, which stays finite in the tails):

# %%
mu1, mu2, sigma1, sigma2 = (section3.symbols[name] for name in ("mu1", "mu2", "sigma1", "sigma2"))
final = section3.steps[-1].expr
print("final line:", final)
textbook = sp.lambdify((mu1, sigma1, mu2, sigma2), final, "numpy")

args = (0.3, 0.8, -1.1, 1.7)
by_quad, _ = integrate.quad(
    lambda x: stats.norm.pdf(x, args[0], args[1])
    * (stats.norm.logpdf(x, args[0], args[1]) - stats.norm.logpdf(x, args[2], args[3])),
    -np.inf, np.inf)
print(f"kl_normal {kl_normal(*args):.15f}")
print(f"textbook  {textbook(*args):.15f}")
print(f"quad      {by_quad:.15f}")
assert np.isclose(kl_normal(*args), by_quad, rtol=1e-10)
assert np.isclose(textbook(*args), kl_normal(*args), rtol=1e-13)

# %% [markdown]
# ## 3. The KL as a surface
#
# Write $\delta = (\mu_1 - \mu_2)/\sigma_2$ and $r = \sigma_1/\sigma_2$. The formula becomes
# $\mathrm{KL} = -\log r + \tfrac12(r^2 + \delta^2) - \tfrac12$: it depends on the two
# Gaussians only through $\delta$ and $r$ (shifting both means, or scaling everything, changes
# nothing). It is zero only at $\delta = 0, r = 1$ and grows quadratically in $\delta$. Along
# $\delta = 0$ it is $\tfrac12(r^2 - 1) - \log r$: as $r \to 0$ it grows only like $-\log r$
# (slowly: $r = 10^{-3}$ gives about 6.4 nats), while as $r$ grows it grows like $r^2/2$.

# %%
delta = np.linspace(-3, 3, 241)
ratio = np.geomspace(0.1, 5, 240)
D, R = np.meshgrid(delta, ratio)
K = kl_normal(D, R, 0.0, 1.0)

fig, ax = plt.subplots(figsize=(7, 5))
cs = ax.contourf(D, R, K, levels=np.geomspace(0.01, K.max(), 20), cmap="viridis",
                 extend="min")
ax.contour(D, R, K, levels=[0.1, 0.5, 1, 2], colors="white", linewidths=1)
fig.colorbar(cs, ax=ax, label="KL(p₁ ‖ p₂)  (nats)", format="%.2g")
ax.plot(0, 1, "w*", ms=14, label="p₁ = p₂")
ax.set_yscale("log")
ax.set_yticks([0.1, 0.2, 0.5, 1, 2, 5], labels=["0.1", "0.2", "0.5", "1", "2", "5"])
ax.minorticks_off()
ax.set_xlabel("(μ₁ − μ₂) / σ₂")
ax.set_ylabel("σ₁ / σ₂")
ax.set_title("KL between two Gaussians (notes §3)")
ax.legend(loc="upper right")

# %%
assert (K >= 0).all()
assert kl_normal(0.0, 1.0, 0.0, 1.0) == 0.0            # exactly zero for equal Gaussians
i, j = np.unravel_index(np.argmin(K), K.shape)
assert abs(D[i, j]) < 0.03 and abs(R[i, j] - 1) < 0.02
# invariance: shift both means by t and scale everything by k
t, k = 4.2, 7.5
assert np.allclose(kl_normal(k * D + t, k * R, t, k), K, rtol=1e-12)

# %% [markdown]
# ## 4. KL is not symmetric
#
# $\mathrm{KL}(p_1, p_2)$ averages $\log(p_1/p_2)$ under $p_1$, so it punishes $p_2$ for being
# small where $p_1$ has mass, and does not care where $p_1$ has none. Swap the two and the answer
# changes. With equal means, $\mathrm{KL}(p_1, p_2) = \tfrac12(r^2 - 1 - \log r^2)$ and
# $\mathrm{KL}(p_2, p_1) = \tfrac12(r^{-2} - 1 + \log r^2)$: a $p_1$ *narrower* than $p_2$
# costs little, a $p_1$ *wider* than $p_2$ costs a lot. The VAE minimises $\mathrm{KL}(q, p)$ with
# $q$ first — the direction §2 chose.

# %%
r = np.geomspace(0.1, 10, 401)
forward = kl_normal(0.0, r, 0.0, 1.0)     # KL(N(0, r²) ‖ N(0, 1))
backward = kl_normal(0.0, 1.0, 0.0, r)    # KL(N(0, 1) ‖ N(0, r²))

fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(r, forward, lw=2, color="#0072B2", label="KL(N(0, r²) ‖ N(0, 1))")
ax.plot(r, backward, lw=2, ls="--", color="#D55E00", label="KL(N(0, 1) ‖ N(0, r²))")
ax.set_xscale("log")
ax.set_ylim(0, 5)
ax.set_xlabel("r = σ₁ / σ₂")
ax.set_ylabel("nats")
ax.legend()
ax.set_title("Swapping the arguments changes the divergence")

# %%
assert np.allclose(forward, 0.5 * (r**2 - 1 - np.log(r**2)), rtol=1e-12)
assert np.allclose(backward, 0.5 * (r**-2 - 1 + np.log(r**2)), rtol=1e-12)
assert forward[0] < backward[0] and forward[-1] > backward[-1]   # narrow vs wide
# with equal standard deviations, swapping the two means changes nothing
assert kl_normal(1.0, 1.0, 0.0, 1.0) == kl_normal(0.0, 1.0, 1.0, 1.0)

# %% [markdown]
# ## 5. Monte Carlo error falls like $1/\sqrt n$
#
# When a VAE estimates $\mathbb E_q[\cdot]$ it uses samples, not integrals. The error of a mean
# of $n$ independent draws has standard deviation $\mathrm{sd}/\sqrt n$: ten times more samples
# buy one more correct digit only every hundredfold. `convergence_study` repeats the sampling
# estimate of a step of §3 many times at each $n$ and measures the root-mean-square error; on a
# log–log plot the line should have slope $-\tfrac12$.

# %%
study = convergence_study(section3, rng=rng, repeats=60)
fig, ax = plt.subplots(figsize=(6.5, 4))
ax.loglog(study.ns, study.errors, "o-", color="#0072B2", label="RMS error of the estimate")
ax.loglog(study.ns, study.errors[0] * np.sqrt(study.ns[0] / study.ns), "--", color="0.4",
          label="∝ 1/√n")
ax.set_xlabel("number of samples n")
ax.set_ylabel("RMS error (nats)")
ax.set_title(f"Monte Carlo error, step {study.step} of §3: fitted slope {study.slope:.3f}")
ax.legend()
assert -0.6 <= study.slope <= -0.4

# %% [markdown]
# ## 6. The same formula, evaluated carelessly
#
# Type $\log(\sigma_2/\sigma_1) + (\sigma_1^2 + (\mu_1 - \mu_2)^2)/(2\sigma_2^2) - \tfrac12$ into
# a computer when the two Gaussians are *almost* equal and the three terms, each of size about
# ½, cancel down to something of size $(\sigma_1/\sigma_2 - 1)^2$: all the digits in between are
# rounding noise. In a VAE this is exactly the regime of an unused latent dimension, whose
# $q(z\mid x)$ sits on top of the prior. `kl_normal` rewrites the formula as a sum of two
# non-negative parts, $\tfrac12[\,(t - 1 - \log t) + \delta^2\,]$ with $t = r^2$, and evaluates each
# without cancellation.
#
# Compare both with the same expression evaluated by `mpmath` at 50 digits, our reference:

# %%
reference = sp.lambdify((mu1, sigma1, mu2, sigma2), final, "mpmath")
mpmath.mp.dps = 50
rows = []
for eps in (1e-3, 1e-5, 1e-7, 1e-9):
    s1 = 1.0 + eps                                 # σ₁/σ₂ within eps of 1
    exact = reference(mpmath.mpf(0), mpmath.mpf(s1), mpmath.mpf(0), mpmath.mpf(1))
    rows.append((eps, float(exact),
                 abs(textbook(0.0, s1, 0.0, 1.0) - exact) / exact,
                 abs(kl_normal(0.0, s1, 0.0, 1.0) - exact) / exact))
print(f"{'σ₁ − 1':>8} {'KL':>12} {'textbook rel. error':>22} {'kl_normal rel. error':>22}")
for eps, kl, err_textbook, err_ours in rows:
    print(f"{eps:8.0e} {kl:12.4e} {float(err_textbook):22.2e} {float(err_ours):22.2e}")

# %%
assert all(err_ours < 1e-13 for *_, err_ours in rows)
assert rows[-1][2] > 1e-3          # the textbook form has lost (almost) every digit
assert textbook(0.0, 1.0 + 1e-9, 0.0, 1.0) != kl_normal(0.0, 1.0 + 1e-9, 0.0, 1.0)

# %% [markdown]
# ## What to remember
#
# * $\mathrm{KL}(\mathcal N(\mu_1, \sigma_1^2) \,\|\, \mathcal N(\mu_2, \sigma_2^2)) = \log\frac{\sigma_2}{\sigma_1} + \frac{\sigma_1^2 + (\mu_1 - \mu_2)^2}{2\sigma_2^2} - \frac12$;
#   the derivation needs only linearity of the integral and the first two moments of a Gaussian.
# * It is $\ge 0$, zero only for equal Gaussians, depends only on $(\mu_1 - \mu_2)/\sigma_2$ and
#   $\sigma_1/\sigma_2$, and is not symmetric.
# * Sampling estimates converge like $1/\sqrt n$; closed forms are exact, but only if
#   evaluated without cancellation.
#
# Next: notebook 3 puts $p_2 = \mathcal N(0, 1)$ (notes §4) and gets the KL term of the VAE loss.
