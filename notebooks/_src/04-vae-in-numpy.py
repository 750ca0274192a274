# %% [markdown]
# # 4 · A VAE in NumPy, with gradients written by hand
#
# *The loss of the notes (§2 and §4) at work. About 25 minutes.*
#
# Notebooks 1–3 derived the loss for one datum $x \in \mathbb R^D$:
#
# $$L(x) = \underbrace{C\,\lVert x - \hat x\rVert^2 + \tfrac D2 \log 2\pi c}_{\text{reconstruction: } -\log p(x\mid z)}
#   + \underbrace{\tfrac12 \textstyle\sum_{k=1}^{K} \big(h_k + g_k^2 - \log h_k - 1\big)}_{\mathrm{KL}(q(z\mid x) \,\|\, \mathcal N(0, I))},
#   \qquad C = \frac{1}{2c},$$
#
# where the encoder gives $g(x)$ and $\ell(x) = \log h(x)$, the sample is
# $z = g + e^{\ell/2}\varepsilon$ with $\varepsilon \sim \mathcal N(0, I)$, and the decoder gives
# $\hat x = f(z)$, the mean of $p(x\mid z) = \mathcal N(\hat x, cI)$. (The notes drop the constant
# $\tfrac D2 \log 2\pi c$; the package keeps it, so that the loss is a true negative ELBO in nats,
# and offers the notes' form as `seed_loss`.)
#
# `elbo_derivation.vae` implements exactly this in plain NumPy, with the backward pass written
# by hand. In this notebook you will
#
# 1. take one forward pass apart and find each term of the formula in it;
# 2. check the hand-written gradient of every weight against finite differences;
# 3. train the VAE on two moons and look at the loss, the latent space, reconstructions and
#    samples.

# %%
import matplotlib.pyplot as plt
import numpy as np
from scipy.spatial import cKDTree

from elbo_derivation import kl_standard_normal
from elbo_derivation.vae import sympy_gradients as gradients
from elbo_derivation.vae import VAE, gradcheck, make_moons, standardize, train

rng_data, rng_init, rng_check, rng_train, rng_sample = np.random.default_rng(2014).spawn(5)

# %% [markdown]
# ## 1. Data and model
#
# Two interleaving half-moons in the plane, $D = 2$, standardised to mean 0 and standard
# deviation 1 per coordinate. The model: a tanh hidden layer of 32 units on each side and
# $K = 2$ latent dimensions, so that we can draw the latent space. The observation variance is
# fixed at $c = 0.05$, i.e. $C = 10$ (notebook 5 is about this choice).

# %%
x_raw = make_moons(1000, rng=rng_data, noise=0.08)
x, x_mean, x_scale = standardize(x_raw)
model = VAE(n_input=2, n_hidden=32, n_latent=2, rng=rng_init, obs_var=0.05)
print(model)
print({name: value.shape for name, value in model.params.items()})
print(f"c = {model.obs_var}, C = 1/(2c) = {model.C}")
assert np.allclose(x.mean(axis=0), 0) and np.allclose(x.std(axis=0), 1)
assert model.C == 1 / (2 * model.obs_var)

# %% [markdown]
# ## 2. One forward pass, term by term
#
# `model.forward(x, eps)` returns a *cache* with everything it computed; the noise
# $\varepsilon$ is passed in explicitly, so the pass is reproducible. Each line of the formula
# above can be found in it:

# %%
batch = x[:8]                                      # (8, 2)
eps = rng_check.standard_normal((8, 2))            # (8, 2): one ε per datum and latent dim
cache = model.forward(batch, eps)
D = model.n_input
log_2pi_c = np.log(2 * np.pi * model.obs_var)

# the sample is the reparameterisation z = g + exp(ℓ/2) ε
assert np.allclose(cache.z, cache.g + np.exp(cache.log_var / 2) * eps)
# reconstruction term: C‖x − x̂‖² + (D/2) log 2πc
squared_norm = ((batch - cache.x_hat) ** 2).sum(axis=1)
assert np.allclose(cache.reconstruction, model.C * squared_norm + D / 2 * log_2pi_c)
# KL term: ½ Σ_k (h + g² − log h − 1), the notes' §4, summed over the K latent dimensions
assert np.allclose(cache.kl, kl_standard_normal(cache.g, cache.log_var, axis=-1))
# the loss is the batch mean of the two
assert np.isclose(cache.loss, np.mean(cache.reconstruction + cache.kl))
# the notes' form drops exactly the constant (D/2) log 2πc
assert np.isclose(cache.loss - model.seed_loss(batch, eps), D / 2 * log_2pi_c)
print(f"loss = {cache.loss:.4f} nats = reconstruction {cache.reconstruction.mean():.4f}"
      f" + KL {cache.kl.mean():.4f}")

# %% [markdown]
# ## 3. The backward pass, checked
#
# `model.loss_and_grads(x, eps)` returns the loss and the gradient of every weight, computed by
# the chain rule written out by hand, layer by layer (read `elbo_derivation/vae/model.py`: each
# backward line sits under its forward line). Hand-written gradients are where silent bugs
# live, so we compare every single entry with a finite difference,
#
# $$\frac{\partial L}{\partial\theta_i} \approx \frac{L(\theta - 2\delta e_i) - 8L(\theta - \delta e_i) + 8L(\theta + \delta e_i) - L(\theta + 2\delta e_i)}{12\,\delta},$$
#
# and print analytic against numeric for a few of them.

# %%
errors = gradcheck(model, batch, eps, verbose=True)

# %%
print({name: f"{err:.1e}" for name, err in errors.items()})
assert set(errors) == set(model.params)
assert max(errors.values()) < 1e-7

# %% [markdown]
# The gradients with respect to the encoder's outputs are the ones notebook 3 derived from the
# notes' formula with SymPy (`elbo_derivation.vae.sympy_gradients`): the KL term contributes
# $\partial\,\mathrm{KL}/\partial g = g$ and $\partial\,\mathrm{KL}/\partial \ell = (e^\ell - 1)/2$,
# the reconstruction term adds its part through the sample $z$:
# $dL/dg = \partial L/\partial z + g$ and
# $dL/d\ell = \partial L/\partial z \cdot \tfrac12 e^{\ell/2}\varepsilon + (e^\ell - 1)/2$. The cache
# keeps the per-datum values the backward pass used; they agree with those formulas.

# %%
model.backward(cache)
assert np.allclose(cache.dKL_dg, gradients.dkl_dg(cache.g, cache.log_var))
assert np.allclose(cache.dKL_dlog_var, gradients.dkl_dlog_var(cache.g, cache.log_var))
assert np.allclose(cache.dL_dg, gradients.dloss_dg(cache.g, cache.log_var, eps, cache.dL_dz))
assert np.allclose(cache.dL_dlog_var,
                   gradients.dloss_dlog_var(cache.g, cache.log_var, eps, cache.dL_dz))
# and ∂L/∂x̂ = −2C(x − x̂), the derivative of the reconstruction term
assert np.allclose(cache.dL_dx_hat, gradients.drec_dx_hat(batch, cache.x_hat, model.C))

# %% [markdown]
# ## 4. Training
#
# `train` shuffles the data into minibatches, draws a fresh $\varepsilon$ for every step from
# the generator it is given, and takes an Adam step on the gradient above. It records, per
# epoch, the mean loss and its two terms.

# %%
history = train(model, x, epochs=150, batch_size=100, rng=rng_train, progress=False, lr=3e-3)
print(f"epoch 1: loss {history.loss[0]:.3f}")
print(f"epoch {len(history.loss)}: loss {history.loss[-1]:.3f} = reconstruction "
      f"{history.reconstruction[-1]:.3f} + KL {history.kl[-1]:.3f}")

# %%
epochs = np.arange(1, len(history.loss) + 1)
fig, ax = plt.subplots(figsize=(8, 4.5))
ax.plot(epochs, history.loss, color="black", lw=2, label="loss = −ELBO")
ax.plot(epochs, history.reconstruction, color="#0072B2", ls="--", lw=2,
        label="reconstruction  C‖x − x̂‖² + (D/2) log 2πc")
ax.plot(epochs, history.kl, color="#E69F00", ls="-.", lw=2, label="KL(q(z|x) ‖ N(0, I))")
ax.set_xscale("log")
ax.set_xlabel("epoch")
ax.set_ylabel("nats per sample")
ax.set_ylim(min(history.reconstruction) - 0.5, 10)
ax.legend()
ax.set_title("Training: the reconstruction term falls, the KL term rises to pay for it")

# %%
assert np.allclose(history.loss, np.add(history.reconstruction, history.kl))
assert history.loss[-1] < history.loss[0] - 1.0               # learned something
assert history.reconstruction[-1] < history.reconstruction[0]
assert history.kl[-1] > 1.0                                   # the latent code is in use

# %% [markdown]
# ## 5. What the model learned
#
# **Latent space.** The encoder's means $g(x)$, with each point coloured by its first data
# coordinate: nearby data land nearby in $z$, the moons stay in order along their length, and
# the means spread out over roughly the region where the prior $\mathcal N(0, I)$ has its mass.
#
# **Reconstructions** $\hat x = f(g(x))$ decode the posterior mean, and **samples** decode
# $z \sim \mathcal N(0, I)$ drawn from the prior.

# %%
g, log_var = model.encode(x)
x_rec = model.reconstruct(x)
samples = model.sample(1000, rng=rng_sample)

fig, axes = plt.subplots(1, 3, figsize=(15, 4.6))
colour = dict(c=x[:, 0], cmap="viridis", s=8)
axes[0].scatter(g[:, 0], g[:, 1], **colour)
axes[0].set_title(f"latent means g(x)  (mean σ = {np.exp(log_var / 2).mean():.2f})")
axes[0].set_xlabel("g₁")
axes[0].set_ylabel("g₂")
axes[1].scatter(x[:, 0], x[:, 1], color="0.8", s=8, label="data")
axes[1].scatter(x_rec[:, 0], x_rec[:, 1], **colour)
axes[1].set_title("reconstructions f(g(x))")
axes[2].scatter(x[:, 0], x[:, 1], color="0.8", s=8, label="data")
axes[2].scatter(samples[:, 0], samples[:, 1], color="#D55E00", s=8, label="f(z), z ~ N(0, I)")
axes[2].set_title("samples from the prior, decoded")
axes[2].legend(loc="lower left")
for ax in axes[1:]:
    ax.set_xlabel("x₁ (standardised)")
    ax.set_ylabel("x₂ (standardised)")
for ax in axes:
    ax.set_aspect("equal", adjustable="datalim")
fig.tight_layout()

# %% [markdown]
# The pictures, as numbers. Reconstructions are close to their inputs: the mean squared error
# is a small fraction of the data's variance (1 per coordinate). The latent means spread
# roughly like the prior. The decoded prior samples have about the data's mean and spread, and
# lie closer to the moons than samples of a Gaussian fitted to the data would — but look again
# at the right panel: many fall *between* the moons. The prior puts mass on latent points that
# the encoder used for no datum ("holes"), and the decoder maps them somewhere in between. A
# richer prior or a larger $C$ changes this; notebook 5 shows the effect of $C$.

# %%
mse = float(np.mean(np.sum((x - x_rec) ** 2, axis=1)))
print(f"reconstruction MSE {mse:.3f} (data variance per point: {D})")
print(f"latent means: mean {g.mean(axis=0).round(2)}, std {g.std(axis=0).round(2)}")
print(f"samples: mean {samples.mean(axis=0).round(2)}, std {samples.std(axis=0).round(2)}")
assert mse < 0.1 * D
assert np.all(np.abs(g.mean(axis=0)) < 0.5) and np.all(g.std(axis=0) < 2)
assert np.all(np.abs(samples.mean(axis=0)) < 0.25)
assert np.all(np.abs(samples.std(axis=0) - 1) < 0.25)

data = cKDTree(x)                                  # nearest-datum distances
gaussian = rng_sample.multivariate_normal(x.mean(axis=0), np.cov(x.T), size=1000)
to_data_vae = np.median(data.query(samples)[0])
to_data_gaussian = np.median(data.query(gaussian)[0])
print(f"median distance to the nearest datum: VAE samples {to_data_vae:.3f}, "
      f"Gaussian fit {to_data_gaussian:.3f}")
assert to_data_vae < to_data_gaussian

# %% [markdown]
# The backward pass's gradient of the KL term with respect to the log-variance is
# $\partial/\partial\ell\;\tfrac12(e^\ell + g^2 - \ell - 1) = \tfrac12(e^\ell - 1)$; a derivative step
# is checked like any other:

# %%
%load_ext elbo_derivation

# %%
%%derivation --no-numeric
title: The gradient the backward pass uses
symbols: g, l : real
Derivative((exp(l) + g^2 - l - 1)/2, l)
= (exp(l) - 1)/2      # d/dl of the KL term

# %%
assert _derivation.steps[0].verdict.value == "proved"

# %% [markdown]
# ## What to remember
#
# * The VAE's loss is the notes' loss, term for term: $C\lVert x - \hat x\rVert^2$ (+ a constant)
#   and $\tfrac12\sum_k (h_k + g_k^2 - \log h_k - 1)$, averaged over a batch, with one sample
#   $z = g + e^{\ell/2}\varepsilon$ per datum.
# * Hand-written gradients are only trustworthy once checked entry by entry against finite
#   differences — here to better than $10^{-7}$.
# * Training trades the two terms: the reconstruction error falls while the KL rises, as the
#   latent code starts to carry information about $x$.
#
# Next: notebook 5 asks what the balancing term $C$ does to that trade.
