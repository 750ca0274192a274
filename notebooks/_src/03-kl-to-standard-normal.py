# %% [markdown]
# # 3 · The KL to the standard normal, and the final loss
#
# *Notes §4, "Final expression for the ELBO loss". About 15 minutes.*
#
# The encoder outputs a mean $g(x)$ and a variance $h(x)$, so $q(z\mid x) = \mathcal N(g, h)$, and
# the prior is $p(z) = \mathcal N(0, 1)$. Substituting $\mu_1 = g$, $\sigma_1^2 = h$, $\mu_2 = 0$,
# $\sigma_2 = 1$ into the result of §3 (notebook 2) gives the KL term of the VAE loss:
#
# $$\mathrm{KL}(q(z\mid x), p(z)) = \log\frac{1}{\sqrt{h}} + \frac12\big(h + g^2\big) - \frac12
#   = \frac12\big(h + g^2 - \log h - 1\big),$$
#
# and the loss for one datum, with the reconstruction term of §2, is
# $C(x - \hat x)^2 + \tfrac12(h + g^2 - \log h - 1)$. In this notebook you will
#
# 1. check the substitution and the final loss, step by step;
# 2. look at the KL term as a function of $g$ and $h$;
# 3. differentiate it — the gradients a VAE's backward pass needs — and check them;
# 4. move to vectors: $K$ latent and $D$ data dimensions, diagonal and full covariances.
#
# A warning the notes imply but do not state: $h$ is a **variance**. That is why
# $\sigma_1 = \sqrt h$ and the first term is $\log(1/\sqrt h) = -\tfrac12 \log h$, not $-\log h$.

# %%
import matplotlib.pyplot as plt
import numpy as np
import sympy as sp

from elbo_derivation import kl_diag_normal, kl_mvn, kl_normal, kl_standard_normal
from elbo_derivation.vae import sympy_gradients as gradients
from elbo_derivation.decide.engine import load_derivation
from elbo_derivation.notes import bundled_paths
from elbo_derivation.numeric.quadrature import check_quadrature
from elbo_derivation.report.text import render_text
from elbo_derivation.vae import gradcheck_function

notes = {path.stem: path for path in bundled_paths()}
rng = np.random.default_rng(4)

# %% [markdown]
# ## 1. Substitution, then algebra
#
# The derivation starts from the loss with the KL written as its definition (an integral over
# $z$ of $q \log(q/p)$, with $q$ and $p$ written out as Gaussian densities) and ends at the
# notes' final line.

# %%
print(notes["kl_standard_normal"].read_text(encoding="utf-8"))

# %%
section4 = load_derivation(notes["kl_standard_normal"], time_limit=20)
check_quadrature(section4, rng=rng)
print(render_text([section4], explain=True, timings=False))
assert all(step.verdict.value == "proved" for step in section4.steps)
assert all(step.quadrature.ok for step in section4.steps)


# %% [markdown]
# The checked §4, shown as mathematics with its verdicts:

# %%
section4

# %% [markdown]
# The same KL written with the log-variance $\ell = \log h$, which is what the VAE's encoder
# outputs; `%%derivation` checks the step as typed:

# %%
%load_ext elbo_derivation

# %%
%%derivation --no-numeric
title: KL to the standard normal, in log-variance form
symbols: g, l : real
(exp(l) + g^2 - log(exp(l)) - 1)/2
= (exp(l) + g^2 - l - 1)/2      # log(exp(l)) = l

# %%
assert _derivation.steps[0].verdict.value == "proved"

# %% [markdown]
# ## 2. The KL term as a function of $g$ and $h$
#
# Networks output the **log-variance** $\ell = \log h$ rather than $h$ (any real number is a
# valid $\ell$, while $h$ must stay positive). `kl_standard_normal(mu, log_var)` is the KL term
# in that parameterisation, $\tfrac12(e^\ell + g^2 - \ell - 1)$. First, it agrees with the last
# line of the checked derivation and with the general formula of §3:

# %%
g, h = section4.symbols["g"], section4.symbols["h"]
C, x, x_hat = section4.symbols["C"], section4.symbols["x"], section4.symbols["x_hat"]
loss = section4.steps[-1].expr
kl_term = loss - C * (x - x_hat) ** 2
print("KL term from the derivation:", kl_term)
kl_from_notes = sp.lambdify((g, h), kl_term, "numpy")

gs, hs = rng.normal(size=1000), np.exp(rng.uniform(-4, 4, size=1000))
assert np.allclose(kl_standard_normal(gs, np.log(hs)), kl_from_notes(gs, hs), rtol=1e-12)
assert np.allclose(kl_standard_normal(gs, np.log(hs)), kl_normal(gs, np.sqrt(hs), 0, 1),
                   rtol=1e-12)

# %% [markdown]
# As a picture: the KL term is a bowl with its bottom, 0, at $g = 0, h = 1$ — where
# $q(z\mid x)$ *is* the prior. Along $g$ it is the parabola $\tfrac12 g^2$; along $h$ it is
# $\tfrac12(h - \log h - 1)$, which punishes a variance that shrinks towards 0 (the $-\log h$)
# as well as one that grows.

# %%
G, L = np.meshgrid(np.linspace(-3, 3, 241), np.linspace(np.log(0.02), np.log(8), 240))
KL = kl_standard_normal(G, L)

fig, (ax, ax_h) = plt.subplots(1, 2, figsize=(12, 4.5))
cs = ax.contourf(G, np.exp(L), KL, levels=np.geomspace(0.005, KL.max(), 20), cmap="viridis",
                 extend="min")
fig.colorbar(cs, ax=ax, label="KL(N(g, h) ‖ N(0, 1))  (nats)", format="%.2g")
ax.plot(0, 1, "w*", ms=14, label="q = prior")
ax.set_yscale("log")
ax.set_yticks([0.05, 0.1, 0.2, 0.5, 1, 2, 5], labels=["0.05", "0.1", "0.2", "0.5", "1", "2", "5"])
ax.minorticks_off()
ax.set_xlabel("encoder mean g")
ax.set_ylabel("encoder variance h")
ax.legend(loc="upper right")
hh = np.geomspace(0.02, 8, 400)
ax_h.plot(hh, kl_standard_normal(0.0, np.log(hh)), color="#0072B2", label="g = 0")
ax_h.plot(hh, kl_standard_normal(1.0, np.log(hh)), color="#D55E00", ls="--", label="g = 1")
ax_h.set_xscale("log")
ax_h.set_xlabel("encoder variance h")
ax_h.set_ylabel("nats")
ax_h.legend()
fig.suptitle("The KL term ½(h + g² − log h − 1) of the VAE loss (notes §4)")
fig.tight_layout()

# %%
assert kl_standard_normal(0.0, 0.0) == 0.0 and (KL >= 0).all()
i, j = np.unravel_index(np.argmin(KL), KL.shape)
assert abs(G[i, j]) < 0.03 and abs(L[i, j]) < 0.03
assert np.allclose(kl_standard_normal(G, 0.0), 0.5 * G**2)          # the parabola in g
assert np.argmin(kl_standard_normal(0.0, np.log(hh))) == np.argmin(abs(hh - 1))

# %% [markdown]
# ## 3. Gradients
#
# Training moves $g$ and $\ell$ downhill, so the backward pass needs the derivatives of the
# loss. `elbo_derivation.vae.sympy_gradients` has SymPy differentiate the §4 loss in the
# log-variance form, $C(x - \hat x)^2 + \tfrac12(e^\ell + g^2 - \ell - 1)$, and exports the results
# as NumPy functions (the VAE's hand-written backward pass is tested against them):
#
# $$\frac{\partial\,\mathrm{KL}}{\partial g} = g, \qquad
#   \frac{\partial\,\mathrm{KL}}{\partial \ell} = \frac{e^\ell - 1}{2}, \qquad
#   \frac{\partial}{\partial \hat x}\, C(x - \hat x)^2 = -2C(x - \hat x).$$

# %%
derivatives = gradients.symbolic_gradients()
for name in ("dkl_dg", "dkl_dlog_var", "drec_dx_hat"):
    print(f"{name:13} = {derivatives[name]}")

# %% [markdown]
# Those are derivatives of the package's own copy of the loss. Differentiate the last line of
# the *checked* derivation above, with $h = e^\ell$, and you get the same expressions:

# %%
S = gradients.SYMBOLS                      # the symbols of the package's loss, by name
in_ell = {g: S["g"], h: sp.exp(S["log_var"]), C: S["C"], x: S["x"], x_hat: S["x_hat"]}
checked_loss = loss.subs(in_ell)
assert sp.simplify(sp.diff(checked_loss, S["g"]) - derivatives["dkl_dg"]) == 0
assert sp.simplify(sp.diff(checked_loss, S["log_var"]) - derivatives["dkl_dlog_var"]) == 0
assert sp.simplify(sp.diff(checked_loss, S["x_hat"]) - derivatives["drec_dx_hat"]) == 0

# %% [markdown]
# Checked once more, on numbers: the NumPy versions against central finite differences of
# `kl_standard_normal`, on every entry (`gradcheck_function`, from the package's VAE tools,
# prints analytic against numeric). The largest relative error should be far below $10^{-7}$.

# %%
params = {"g": rng.normal(size=5), "log_var": rng.normal(size=5)}
grads = {"g": gradients.dkl_dg(params["g"], params["log_var"]),
         "log_var": gradients.dkl_dlog_var(params["g"], params["log_var"])}
errors = gradcheck_function(
    lambda: float(kl_standard_normal(params["g"], params["log_var"]).sum()), params, grads,
    verbose=True, max_print=2)
assert max(errors.values()) < 1e-9

# %% [markdown]
# ### Through the sample: the reparameterisation
#
# The reconstruction term depends on $g$ and $\ell$ only through the sample
# $z = g + e^{\ell/2}\varepsilon$, $\varepsilon \sim \mathcal N(0, 1)$ (Kingma & Welling, 2014).
# Writing the sample this way makes it a differentiable function of the encoder's outputs:
# $\partial z/\partial g = 1$ and $\partial z/\partial \ell = \tfrac12 e^{\ell/2}\varepsilon$, so
# $\frac{dL}{dg} = \frac{\partial L}{\partial z} + g$ and
# $\frac{dL}{d\ell} = \frac{\partial L}{\partial z}\,\tfrac12 e^{\ell/2}\varepsilon + \frac{e^\ell - 1}{2}$.
# Notebook 4 checks the whole chain inside a VAE.

# %%
print("z =", gradients.loss_expressions()["z"], "  ∂z/∂g =", derivatives["dz_dg"],
      "  ∂z/∂ℓ =", derivatives["dz_dlog_var"])
assert derivatives["dz_dg"] == 1
assert sp.simplify(derivatives["dz_dlog_var"] - sp.exp(S["log_var"] / 2) * S["eps"] / 2) == 0
# dL/dg for a decoder gradient ∂L/∂z = 0.7 at g = 0.3, ℓ = −0.2, ε = 1.1
assert np.isclose(gradients.dloss_dg(0.3, -0.2, 1.1, 0.7), 0.7 + 0.3)
assert np.isclose(gradients.dloss_dlog_var(0.3, -0.2, 1.1, 0.7),
                  0.7 * 0.5 * np.exp(-0.1) * 1.1 + np.expm1(-0.2) / 2)

# %% [markdown]
# ## 4. Vectors: $K$ latent and $D$ data dimensions
#
# With $K$ latent dimensions, $q(z\mid x) = \mathcal N(g, \mathrm{diag}\,h)$ and
# $p(z) = \mathcal N(0, I)$ both factorise over coordinates, so the KL is the *sum* of §4 over
# the coordinates; with $D$ data dimensions the square $(x - \hat x)^2$ becomes the squared norm
# $\lVert x - \hat x\rVert^2 = \sum_d (x_d - \hat x_d)^2$. The package checks this for $K = 3$,
# $D = 2$, ending in the log-variance form that code uses:

# %%
vector = load_derivation(notes["loss_log_variance"], time_limit=20)
print(render_text([vector], timings=False))
assert all(step.verdict.ok for step in vector.steps), [s.verdict.value for s in vector.steps]

# %% [markdown]
# The KL functions follow the same rule: `kl_standard_normal(..., axis=-1)` and
# `kl_diag_normal` sum over coordinates. For a full covariance matrix,
#
# $$\mathrm{KL}(\mathcal N(\mu_1, \Sigma_1) \,\|\, \mathcal N(\mu_2, \Sigma_2)) = \tfrac12\Big[\mathrm{tr}(\Sigma_2^{-1}\Sigma_1) + (\mu_2 - \mu_1)^\top\Sigma_2^{-1}(\mu_2 - \mu_1) - k + \log\frac{\det\Sigma_2}{\det\Sigma_1}\Big],$$
#
# computed by `kl_mvn` from Cholesky factors, without inverting anything. It reduces to the
# diagonal form when the covariances are diagonal, and to §3 when $k = 1$:

# %%
K_latent = 4
g_vec, log_var = rng.normal(size=K_latent), rng.normal(size=K_latent)
sd = np.exp(log_var / 2)
per_coordinate = kl_standard_normal(g_vec, log_var)
total = kl_standard_normal(g_vec, log_var, axis=-1)
print("per coordinate:", np.round(per_coordinate, 4), " total:", round(total, 6))
assert np.isclose(total, per_coordinate.sum(), rtol=1e-14)
assert np.isclose(total, kl_diag_normal(g_vec, sd, np.zeros(K_latent), np.ones(K_latent)),
                  rtol=1e-13)
assert np.isclose(total, kl_mvn(g_vec, np.diag(sd**2), np.zeros(K_latent), np.eye(K_latent)),
                  rtol=1e-12)
assert np.isclose(kl_mvn([0.3], [[0.8**2]], [-1.1], [[1.7**2]]), kl_normal(0.3, 0.8, -1.1, 1.7),
                  rtol=1e-13)

# %% [markdown]
# Correlation costs something too: a $q$ with the right variances but correlated coordinates
# is further from $\mathcal N(0, I)$ than the uncorrelated one, by $-\tfrac12\log(1 - \rho^2)$
# for two coordinates with correlation $\rho$.

# %%
rhos = np.linspace(-0.95, 0.95, 39)
kl_rho = np.array([kl_mvn(np.zeros(2), [[1.0, rho], [rho, 1.0]], np.zeros(2), np.eye(2))
                   for rho in rhos])
fig, ax = plt.subplots(figsize=(6, 3.5))
ax.plot(rhos, kl_rho, "o-", color="#009E73", ms=4)
ax.set_xlabel("correlation ρ of q's two coordinates")
ax.set_ylabel("KL(q ‖ N(0, I))  (nats)")
ax.set_title("Correlation in q costs KL: −½ log(1 − ρ²)")
assert np.allclose(kl_rho, -0.5 * np.log(1 - rhos**2), rtol=1e-12, atol=1e-15)

# %% [markdown]
# ## What to remember
#
# * $\mathrm{KL}(\mathcal N(g, h) \,\|\, \mathcal N(0, 1)) = \tfrac12(h + g^2 - \log h - 1)$, with
#   $h$ a variance; in code, with $\ell = \log h$: $\tfrac12(e^\ell + g^2 - \ell - 1)$.
# * Its gradients are $g$ and $(e^\ell - 1)/2$; the reconstruction term reaches $g$ and $\ell$
#   through $z = g + e^{\ell/2}\varepsilon$.
# * For vectors, sum the KL over latent coordinates and use the squared norm for the
#   reconstruction.
#
# Next: notebook 4 builds a VAE with exactly this loss, in NumPy.
