# %% [markdown]
# # 5 · The balancing term $C$
#
# *Notes §2 (the Gaussian likelihood and $C = 1/(2c)$) and §4. About 25 minutes.*
#
# The notes end §2 with: the reconstruction error "is typically written as $C(x - \hat x)^2$ …
# where $C = \frac{1}{2c}$ represents a balancing term between minimising the reconstruction error
# and the KL divergence". Here $c$ is the variance of the likelihood $p(x\mid z) = \mathcal N(f(z), cI)$:
# a small $c$ (large $C$) says "the data are reproduced almost exactly", a large $c$ (small $C$)
# says "the data are noisy, do not try hard". In this notebook you will
#
# 1. sweep $C$ and watch the trade between **rate** (the KL term, the information the code
#    carries about $x$) and **distortion** (the reconstruction error $\mathbb E_q\lVert x - \hat x\rVert^2$);
# 2. see **posterior collapse**: below some $C$ a latent dimension stops carrying information,
#    its $q(z\mid x)$ becoming the prior;
# 3. learn $c$ instead of fixing it — and see why the constant the notes drop must then be kept;
# 4. check that a *linear* VAE lands exactly on the classical answer, probabilistic PCA.

# %%
import matplotlib.pyplot as plt
import numpy as np
from scipy.linalg import subspace_angles

from elbo_derivation import kl_standard_normal
from elbo_derivation.explain.errata import ERRATA
from elbo_derivation.vae import (
    VAE,
    fit_linear_vae,
    make_moons,
    ppca_ml,
    sample_ppca,
    standardize,
    train,
)

root = np.random.default_rng(1999)
rng_data, rng_eval, rng_learned, rng_ppca, *rng_sweep = root.spawn(11)
x = standardize(make_moons(512, rng=rng_data, noise=0.08))[0]   # (512, 2)
D = x.shape[1]

# %% [markdown]
# ## 1. Rate against distortion
#
# Divide the loss by $C$ and it reads $\lVert x - \hat x\rVert^2 + \frac1C\,\mathrm{KL}$: the
# larger $C$, the cheaper information in the code is relative to reconstruction error. We train
# the same small VAE (2 → 32 → 2 → 32 → 2, as in notebook 4) for seven values of $C$, then
# measure on the data the mean KL, in total and per latent dimension (the rate), and the mean
# squared error of one-sample reconstructions (the distortion).

# %%
C_values = [30.0, 10.0, 3.0, 1.0, 0.3, 0.1, 0.03]
rate, distortion, rate_per_dim = [], [], []
eps = rng_eval.standard_normal((len(x), 2))       # the same ε for every model
for C, rng in zip(C_values, rng_sweep, strict=True):
    rng_init, rng_train = rng.spawn(2)
    model = VAE(2, 32, 2, rng=rng_init, obs_var=1 / (2 * C))
    train(model, x, epochs=60, batch_size=64, rng=rng_train, progress=False, lr=3e-3)
    cache = model.forward(x, eps)
    per_dim = kl_standard_normal(cache.g, cache.log_var).mean(axis=0)   # (2,)
    rate_per_dim.append(per_dim)
    rate.append(per_dim.sum())
    distortion.append(np.mean(np.sum((x - cache.x_hat) ** 2, axis=1)))
    print(f"C = {C:5}: rate {rate[-1]:.3f} nats (per dimension {np.round(per_dim, 3)}), "
          f"distortion {distortion[-1]:.3f}")
rate, distortion, rate_per_dim = np.array(rate), np.array(distortion), np.array(rate_per_dim)

# %%
fig, (ax, ax_dim) = plt.subplots(1, 2, figsize=(12, 4.5))
ax.plot(distortion, rate, "o-", color="#0072B2")
collapsed = [C for C, r in zip(C_values, rate, strict=True) if r < 0.05]
for C, d, r in zip(C_values, distortion, rate, strict=True):
    if r >= 0.05 or C == collapsed[0]:
        label = f"C = {C:g}" if r >= 0.05 else f"C ≤ {C:g}: collapsed"
        ax.annotate(label, (d, r), textcoords="offset points", xytext=(-40 if r < 0.05 else 6, 6),
                    ha="right" if r < 0.05 else "left")
ax.axvline(D, color="0.5", ls=":", label="distortion of x̂ = mean of the data")
ax.set_xlabel("distortion  E‖x − x̂‖²")
ax.set_ylabel("rate  KL(q(z|x) ‖ N(0, I))  (nats)")
ax.set_title("Rate against distortion")
ax.legend(loc="upper right")
for k, (colour, marker) in enumerate((("#D55E00", "o"), ("#009E73", "s"))):
    ax_dim.plot(C_values, rate_per_dim[:, k], marker=marker, color=colour,
                label=f"latent dimension {k + 1}")
ax_dim.set_xscale("log")
ax_dim.set_xlabel("C = 1/(2c)")
ax_dim.set_ylabel("KL of one latent dimension (nats)")
ax_dim.set_title("Posterior collapse as C shrinks")
ax_dim.legend()
fig.tight_layout()

# %% [markdown]
# As $C$ shrinks the rate falls and the distortion rises, until the code carries nothing:
# with both KLs at zero, every $q(z\mid x)$ is the prior, the decoder cannot tell inputs apart,
# and the best it can do is output the mean of the data — a distortion of $D = 2$, the total
# variance of the standardised data. The dimensions do not collapse together: one goes first.

# %%
assert rate[0] > 2.0 and distortion[0] < 0.1                    # large C: informative code
assert (np.diff(rate) < 0.05).all()                             # rate falls as C falls …
assert (np.diff(distortion) > -0.05).all()                      # … distortion rises
assert rate[-1] < 0.01                                          # small C: collapse
assert abs(distortion[-1] - D) < 0.1                            # x̂ ≈ the data's mean
i = C_values.index(1.0)                                         # one dimension gone, one left
assert rate_per_dim[i].min() < 0.25 * rate_per_dim[i].max()

# %% [markdown]
# ## 2. Learning $c$
#
# Why not let the data choose $c$? For a fixed decoder the loss depends on $c$ through
# $\frac{1}{2c}\mathbb E\lVert x - \hat x\rVert^2 + \frac D2 \log 2\pi c$; setting the derivative to
# zero gives $c^\ast = \mathbb E\lVert x - \hat x\rVert^2 / D$: the learned variance should match the
# model's own mean squared error per coordinate. `VAE(..., obs_var="learned")` makes $\log c$ a
# parameter trained with the rest.

# %%
rng_init, rng_train = rng_learned.spawn(2)
learned = VAE(2, 32, 2, rng=rng_init, obs_var="learned")
train(learned, x, epochs=100, batch_size=64, rng=rng_train, progress=False, lr=3e-3)
cache = learned.forward(x, eps)
mse_per_coordinate = np.mean(np.sum((x - cache.x_hat) ** 2, axis=1)) / D
print(f"learned c = {learned.obs_var:.4f} (C = {learned.C:.3f}); "
      f"mean squared error per coordinate = {mse_per_coordinate:.4f}")
assert abs(learned.obs_var - mse_per_coordinate) < 0.1 * mse_per_coordinate

# %% [markdown]
# ### With a learned $c$, the dropped constant matters
#
# The notes drop $\frac D2 \log 2\pi c$ "from the optimization". That is fine while $c$ is fixed
# — it is a constant. Once $c$ is learned it is not: without it, the loss
# $\frac1{2c}\lVert x - \hat x\rVert^2 + \mathrm{KL}$ only ever decreases as $c$ grows, and
# "learning" $c$ would send it to infinity, switching the reconstruction term off entirely.
# Evaluate both forms of the loss with the trained weights and different values of $c$:

# %%
cs = np.geomspace(0.02, 50, 41)
full, notes_form = [], []
weights = {k: v for k, v in learned.params.items() if k != "log_c"}
for c in cs:
    fixed = VAE(2, 32, 2, rng=rng_eval, obs_var=c)
    fixed.params.update(weights)                               # same network, this c
    full.append(fixed.loss(x, eps))
    notes_form.append(fixed.seed_loss(x, eps))
full, notes_form = np.array(full), np.array(notes_form)

fig, ax = plt.subplots(figsize=(7, 4))
ax.plot(cs, full, color="#0072B2", lw=2, label="loss with (D/2) log 2πc")
ax.plot(cs, notes_form, color="#D55E00", ls="--", lw=2, label="notes' form, constant dropped")
ax.axvline(learned.obs_var, color="0.4", ls=":", label="learned c")
ax.set_xscale("log")
ax.set_xlabel("likelihood variance c")
ax.set_ylabel("loss (nats per sample)")
ax.legend()
ax.set_title("Only the full loss has a minimum in c")

# %%
best = cs[np.argmin(full)]
print(f"the full loss is smallest at c ≈ {best:.3f}; the notes' form keeps falling")
assert abs(np.log(best / learned.obs_var)) < np.log(cs[1] / cs[0])   # the grid point nearest
assert (np.diff(notes_form) < 0).all()                                 # monotone: no minimum
assert np.allclose(full - notes_form, D / 2 * np.log(2 * np.pi * cs))

# %% [markdown]
# The package lists this among the errata of the notes, each with a check that demonstrates it:

# %%
erratum = next(e for e in ERRATA if "fixed" in e.title)
print(f"{erratum.section}: {erratum.title}\n\n{erratum.explanation}")
demonstration = erratum.check()
print("\ncheck:", demonstration.summary)
assert demonstration.ok

# %% [markdown]
# ## 3. The linear VAE is probabilistic PCA
#
# Take away the hidden layers: $g$, $\ell$ and $\hat x$ become affine functions. The decoder
# then describes $x = Wz + \mu + \sqrt{c}\,\varepsilon$, which is probabilistic PCA (Tipping &
# Bishop, 1999), whose maximum-likelihood solution is known in closed form from the
# eigen-decomposition of the sample covariance: the top $K$ eigenvectors span $W$ and $c$ is the
# mean of the discarded eigenvalues. The ELBO is a lower bound on that log-likelihood; for a
# linear VAE the bound can be tight, so the trained VAE should land *on* pPCA (Lucas et al.,
# 2019).
#
# `fit_linear_vae` trains a linear VAE with learned $c$ from random weights (on its exact ELBO:
# for a linear decoder the expectation has a closed form, so no sampling noise blurs the
# comparison), and reports the gap to pPCA's log-likelihood.

# %%
x_ppca = sample_ppca(500, rng=rng_ppca, d=5, k=2, noise_var=0.1)     # (500, 5)
reference = ppca_ml(x_ppca, 2)
fit = fit_linear_vae(x_ppca, 2, rng=rng_ppca)
print(fit.to_dict())
print(f"c: VAE {fit.model.obs_var:.6f}, pPCA σ² {reference.noise_var:.6f}")
angles = subspace_angles(fit.model.params["W_out"].T, reference.W)
print(f"angles between the decoder's subspace and pPCA's: {angles}")

# %%
assert 0 <= fit.gap < 0.01                           # ELBO ≤ log-likelihood, and within 0.01 nats
assert abs(fit.model.obs_var - reference.noise_var) < 1e-3 * reference.noise_var
assert np.max(angles) < 1e-3                          # the same principal subspace

# %% [markdown]
# The same lens explains posterior collapse: in pPCA a direction whose data variance (an
# eigenvalue $\lambda_k$ of the covariance) does not exceed the noise variance $c$ carries no
# signal, and the optimal linear VAE switches that latent dimension off (Lucas et al., 2019).
# Fixing $c$ too large — $C$ too small — declares real signal to be noise. The moons VAE is not
# linear, so this is only a guide there, but it fits: the moons' covariance has eigenvalues
# of about 0.57 and 1.43; at $C = 0.3$, $c \approx 1.7$ exceeds both, and both dimensions had
# collapsed; at $C = 1$, $c = 0.5$ sits just below the smaller one, and one dimension was almost
# gone.

# %%
eigenvalues = np.linalg.eigvalsh(np.cov(x.T, bias=True))
print(f"eigenvalues of the moons' covariance: {np.round(eigenvalues, 3)}; "
      f"c at C = 0.3: {1 / (2 * 0.3):.3f}")
assert np.allclose(eigenvalues, [0.57, 1.43], atol=0.01)
assert 1 / (2 * 0.3) > eigenvalues.max() and 1 / (2 * 1.0) < eigenvalues.min()
assert rate[C_values.index(0.3)] < 0.05

# %% [markdown]
# Where $C$ comes from, checked: the negative log of the Gaussian likelihood
# $\mathcal N(x; f, c)$ is $(x - f)^2/(2c)$ plus a normaliser that does not depend on $f$, so
# minimising over $f$ may drop it (the relation `=~ [f]`: equal up to a term free of $f$):

# %%
%load_ext elbo_derivation

# %%
%%derivation --no-numeric
title: The balancing term C = 1/(2c)
symbols: x, f : real
symbols: c : positive
-log(exp(-(x - f)^2/(2*c))/sqrt(2*pi*c))
= (x - f)^2/(2*c) + log(2*pi*c)/2      # log of a Gaussian density
=~ [f] (x - f)^2/(2*c)                 # the normaliser is free of f

# %%
assert [step.verdict.value for step in _derivation.steps] == ["proved", "proved"]

# %% [markdown]
# ## What to remember
#
# * $C = 1/(2c)$ sets the exchange rate between reconstruction error and KL: large $C$, an
#   informative code and sharp reconstructions; small $C$, a code that says nothing — posterior
#   collapse, one dimension at a time.
# * A learned $c$ settles at the model's own mean squared error per coordinate, but only if the
#   loss keeps $\frac D2 \log 2\pi c$, the constant the notes drop for a fixed $c$.
# * A linear VAE recovers probabilistic PCA exactly: the same subspace, the same noise
#   variance, an ELBO equal to the log-likelihood.
