# %% [markdown]
# # 1 · The ELBO from KL(q(z|x) ‖ p(z|x))
#
# *Notes §2, "Loss as an optimization problem". About 20 minutes in class.*
#
# A variational autoencoder learns an approximate posterior $q(z\mid x) = \mathcal N(g(x), h(x))$
# that should be as close as possible to the true posterior $p(z\mid x)$. "Close" is measured by
# the Kullback–Leibler divergence
#
# $$\mathrm{KL}\big(q(z\mid x), p(z\mid x)\big) = \mathbb E_{q(z\mid x)}\Big[\log \frac{q(z\mid x)}{p(z\mid x)}\Big],$$
#
# which we cannot compute, because $p(z\mid x)$ involves the unknown evidence $p(x)$. The notes'
# §2 rewrites it, in six equalities, into terms we *can* compute plus $\log p(x)$, which does not
# depend on the encoder. In this notebook you will
#
# 1. let the package check each of those six steps symbolically, and read *why* each holds;
# 2. check the same steps on numbers, in a model where every term has a closed form;
# 3. see the evidence lower bound (ELBO) sit below $\log p(x)$, touching it exactly at the true
#    posterior.
#
# Nothing here is computed by the notebook itself: every check comes from the `elbo_derivation`
# package, and every claim is followed by an `assert` or a plot.

# %%
import matplotlib.pyplot as plt
import numpy as np

from elbo_derivation.decide.engine import load_derivation
from elbo_derivation.explain.errata import ERRATA
from elbo_derivation.notes import bundled_paths
from elbo_derivation.numeric import linear_gaussian as lg
from elbo_derivation.numeric.quadrature import check_quadrature
from elbo_derivation.report.text import render_text

notes = {path.stem: path for path in bundled_paths()}  # the notes' derivations, by name
rng = np.random.default_rng(2022)  # every random number below comes from this generator

# %% [markdown]
# ## 1. The derivation, one step per line
#
# The package stores the notes' display of §2 in a small text file. Each line after the first is
# one step: a relation (`=`), the new expression, and after `#` the justification you would write
# in the margin. `E[f, z ~ q(z|x)]` is the expectation $\mathbb E_{q(z\mid x)}[f]$, and the
# densities are *abstract*: nothing is assumed about them except that they are positive
# densities of one joint model (which is what makes Bayes' rule available).

# %%
print(notes["elbo"].read_text(encoding="utf-8"))

# %% [markdown]
# `load_derivation` reads the file and checks every step. The engine tries the cheapest method
# first (are the two sides the same expression? does expanding logarithms cancel them?) and
# falls back to costlier ones; for these steps it uses the rules of expectations the notes rely
# on: linearity, pulling out what does not depend on $z$, $\mathbb E_q[c] = c$, the logarithm of
# products and quotients, the definition of KL, and Bayes' rule
# $p(z\mid x) = p(x\mid z)\,p(z)/p(x)$. With `explain=True` the report says, for each step,
# what proved it. (`time_limit` is the most time, in seconds, one step may take: a bound, not a
# wait — each of these steps takes a fraction of a second, but a busy machine is slower.)

# %%
section2 = load_derivation(notes["elbo"], time_limit=20)
print(render_text([section2], explain=True, timings=False))

# %%
verdicts = [step.verdict.value for step in section2.steps]
print(verdicts)
assert len(section2.steps) == 7      # the six equalities of §2, then dropping log p(x)
assert all(step.verdict.value == "proved" for step in section2.steps), verdicts
assert section2.first_failure is None

# %% [markdown]
# In a notebook the checked derivation shows itself as mathematics, each step as the file
# writes it, with its justification and its verdict:

# %%
section2

# %% [markdown]
# Nothing here depends on the letters. With `%load_ext elbo_derivation`, a cell that starts
# with `%%derivation` is checked as you type it; below, the same argument with the densities
# called $Q$ and $P$ and the latent variable $w$. Bayes' rule is found from the declarations:
# $P(x, w)$ is one model, $Q$ the variational density.

# %%
%load_ext elbo_derivation

# %%
%%derivation --no-numeric
title: The ELBO under other letters
symbols: x, w : real
densities: Q(w|x), P(w), P(x|w), P(w|x), P(x)
KL(Q(w|x), P(w|x))
= E[log(Q(w|x)) - log(P(x|w)) - log(P(w)) + log(P(x)), w ~ Q(w|x)]   # definition of KL; Bayes' rule
= KL(Q(w|x), P(w)) - E[log(P(x|w)), w ~ Q(w|x)] + log(P(x))          # linearity of E; E[c] = c

# %%
assert [step.verdict.value for step in _derivation.steps] == ["proved", "proved"]

# %% [markdown]
# A word on names. §1 of the notes calls the encoder $p(z\mid x)$; the encoder is the
# *variational* posterior $q(z\mid x) = \mathcal N(g(x), h(x))$ that the networks compute, and
# $p(z\mid x)$ is the model's true posterior, which the encoder only approximates. The package
# keeps a list of such errata, each with a check that demonstrates it:

# %%
erratum = ERRATA[0]
print(f"{erratum.section}: {erratum.title}\n{erratum.explanation}")
print("check:", erratum.check().summary)
assert erratum.section == "§1" and erratum.check().ok

# %% [markdown]
# ### The last step is not an equality
#
# The notes continue: "as the distribution of the input data $p(x)$ is independent of $g, h$ we
# can drop the last term from the optimization". The two sides of that step are *not* equal:
# they differ by $\log p(x)$. What is true is that they differ by a term that does not depend on
# the encoder $q$, so minimising either over $q$ gives the same answer. The file writes this
# relation as `=~ [q]`, "equal up to a term free of q", and the engine checks exactly that.

# %%
last = section2.steps[-1]
print(last.relation.symbol, last.wrt, "—", last.justification)
assert last.relation.value == "=~" and last.wrt == ("q",)
assert last.verdict.value == "proved"

# %% [markdown]
# ## 2. The same steps on numbers: the linear-Gaussian model
#
# Symbols can hide mistakes that numbers catch (and the reverse), so the package checks every
# step numerically as well. For that it needs concrete densities in which every term of §2 has
# a closed form. The one-dimensional linear-Gaussian model is such a case:
#
# $$p(z) = \mathcal N(0, 1), \qquad p(x\mid z) = \mathcal N(a z + b,\ c), \qquad q(z\mid x) = \mathcal N(m, s^2).$$
#
# Then the evidence and the exact posterior are Gaussian too (Bishop, *PRML*, §2.3.3):
#
# $$p(x) = \mathcal N(b,\ a^2 + c), \qquad p(z\mid x) = \mathcal N\Big(\frac{a (x - b)}{a^2 + c},\ \frac{c}{a^2 + c}\Big).$$
#
# `elbo_derivation.numeric.linear_gaussian` gives all of these in closed form. First, the
# identity that §2 derives, rearranged: $\log p(x) = \mathrm{ELBO} + \mathrm{KL}(q \,\|\, p(z\mid x))$
# with $\mathrm{ELBO} = \mathbb E_q[\log p(x\mid z)] - \mathrm{KL}(q \,\|\, p(z))$.

# %%
x, a, b, c = 1.3, 1.5, -0.2, 0.4   # one datum and the decoder's parameters
m, s = 0.2, 0.5                    # an encoder that is not the posterior
log_px = lg.log_evidence(x, a, b, c)
elbo = lg.elbo(x, a, b, c, m, s)
gap = lg.kl_to_posterior(x, a, b, c, m, s)
print(f"log p(x) = {log_px:.12f}")
print(f"ELBO     = {elbo:.12f}")
print(f"KL(q‖p(z|x)) = {gap:.12f},   ELBO + KL = {elbo + gap:.12f}")
assert abs(log_px - (elbo + gap)) < 1e-12
assert elbo < log_px                 # a strict lower bound while q is not the posterior

# %% [markdown]
# One point proves little. Here is the identity at 10 000 random parameter settings, with the
# error measured relative to the size of the terms involved:

# %%
n = 10_000
params = dict(
    x=rng.uniform(-5, 5, n), a=rng.uniform(-3, 3, n), b=rng.uniform(-3, 3, n),
    c=rng.uniform(0.05, 5, n), m=rng.uniform(-3, 3, n), s=rng.uniform(0.05, 3, n),
)
worst = lg.evidence_identity_error(**params)
print(f"worst relative error of log p(x) = ELBO + KL over {n} settings: {worst:.1e}")
assert worst < 1e-12
bound = lg.elbo(**params) <= lg.log_evidence(params["x"], params["a"], params["b"], params["c"])
assert bound.all()                   # ELBO ≤ log p(x) everywhere

# %% [markdown]
# The package also checks each *step* of the abstract derivation on this model:
# `check_quadrature` replaces every abstract density by its linear-Gaussian counterpart,
# evaluates both sides of the step by numerical integration (`scipy.integrate`) at 20 random
# parameter points plus a few edge cases, and compares them to a relative $10^{-10}$. (The
# last step, `=~ [q]`, is checked by redrawing $q$'s parameters and seeing that the difference of
# the two sides does not change.)

# %%
checks = check_quadrature(section2, rng=rng)
for step, check in zip(section2.steps, checks, strict=True):
    print(f"step {step.index} {step.relation.symbol}  quadrature ok: {check.ok}   "
          f"worst error {check.details.get('worst_error', float('nan')):.1e}   "
          f"({check.details.get('n_points')} points)")
assert all(check.ok for check in checks), [check.reason for check in checks]

# %% [markdown]
# ## 3. The bound, and the gap
#
# Now fix the datum and the decoder and move the encoder. The notes' identity says that the gap
# between $\log p(x)$ (a horizontal line: it does not depend on $q$) and the ELBO is exactly
# $\mathrm{KL}(q \,\|\, p(z\mid x))$, which is never negative and is zero only when $q$ *is* the
# posterior. Maximising the ELBO over $q$ is therefore the same as minimising that KL — the
# whole point of §2.

# %%
post_mean, post_var = lg.posterior(x, a, b, c)
post_sd = np.sqrt(post_var)
means = np.linspace(post_mean - 1.5, post_mean + 1.5, 401)
sds = np.linspace(0.05, 1.5, 400)

fig, (ax_m, ax_s) = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
for ax, grid, elbo_curve, label, exact in (
    (ax_m, means, lg.elbo(x, a, b, c, means, post_sd), "mean m of q (s at the posterior's)",
     post_mean),
    (ax_s, sds, lg.elbo(x, a, b, c, post_mean, sds), "standard deviation s of q (m at the "
     "posterior's)", post_sd),
):
    ax.axhline(log_px, color="#0072B2", lw=2, label="log p(x)")
    ax.plot(grid, elbo_curve, color="#D55E00", lw=2, label="ELBO")
    ax.fill_between(grid, elbo_curve, log_px, color="#E69F00", alpha=0.3,
                    label="gap = KL(q ‖ p(z|x))")
    ax.axvline(exact, color="0.4", ls="--", lw=1, label="exact posterior")
    ax.set_xlabel(label)
ax_m.set_ylabel("nats")
ax_m.set_ylim(log_px - 3, log_px + 0.3)
ax_m.legend(loc="lower center")
fig.suptitle(f"The ELBO is a lower bound on log p(x), tight at the posterior "
             f"(x = {x}, a = {a}, b = {b}, c = {c})")
fig.tight_layout()

# %% [markdown]
# The plot makes three claims; here they are as asserts, on the same grids:
# the gap is the KL to the posterior, it is never negative, and it vanishes (to rounding) only
# at the exact posterior.

# %%
for grid_m, grid_s in ((means, post_sd), (post_mean, sds)):
    elbo_curve = lg.elbo(x, a, b, c, grid_m, grid_s)
    kl_curve = lg.kl_to_posterior(x, a, b, c, grid_m, grid_s)
    assert np.allclose(log_px - elbo_curve, kl_curve, rtol=0, atol=1e-12)
    assert (elbo_curve <= log_px + 1e-15).all()

touching = lg.elbo(x, a, b, c, post_mean, post_sd)
print(f"at the posterior: log p(x) − ELBO = {log_px - touching:.1e}")
assert abs(log_px - touching) < 1e-14
# the best q on each grid is the grid point nearest the posterior
assert abs(means[np.argmax(lg.elbo(x, a, b, c, means, post_sd))] - post_mean) <= np.diff(means)[0]
assert abs(sds[np.argmax(lg.elbo(x, a, b, c, post_mean, sds))] - post_sd) <= np.diff(sds)[0]

# %% [markdown]
# The same picture over both of $q$'s parameters at once: the contours of the gap
# $\log p(x) - \mathrm{ELBO}$ close in on a single point, the exact posterior.

# %%
M, S = np.meshgrid(np.linspace(post_mean - 2, post_mean + 2, 201), np.linspace(0.05, 1.5, 200))
G = log_px - lg.elbo(x, a, b, c, M, S)
fig, ax = plt.subplots(figsize=(6, 4.5))
cs = ax.contourf(M, S, G, levels=[0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10], cmap="viridis",
                 extend="both")
fig.colorbar(cs, ax=ax, label="log p(x) − ELBO  (nats)", format="%g")
ax.plot(post_mean, post_sd, "w*", ms=15, label="exact posterior p(z|x)")
ax.set_xlabel("mean m of q(z|x)")
ax.set_ylabel("standard deviation s of q(z|x)")
ax.legend(loc="upper right")
ax.set_title("The gap between evidence and ELBO is KL(q ‖ p(z|x))")
i, j = np.unravel_index(np.argmin(G), G.shape)
assert abs(M[i, j] - post_mean) < 0.03 and abs(S[i, j] - post_sd) < 0.01
assert G.min() >= 0

# %% [markdown]
# ## 4. Two companion derivations
#
# The notes state the name "evidence lower bound" in words. The package writes it out as
# a derivation of its own, `evidence.deriv`: $\log p(x) = \mathrm{ELBO} + \mathrm{KL}(q \,\|\,
# p(z\mid x)) \ge \mathrm{ELBO}$, the last step by Gibbs' inequality (KL ≥ 0). And the second half
# of §2, the Gaussian likelihood $p(x\mid z) = \mathcal N(f(z), c)$ with its normaliser dropped and
# $C = 1/(2c)$, is `elbo_gaussian_likelihood.deriv`.

# %%
companions = [load_derivation(notes[name], time_limit=20)
              for name in ("evidence", "elbo_gaussian_likelihood")]
print(render_text(companions, timings=False))
for d in companions:
    assert all(step.verdict.value == "proved" for step in d.steps), [s.verdict.value for s in d.steps]
assert companions[0].steps[-1].relation.value == ">="   # the bound itself

# %% [markdown]
# ## What to remember
#
# * $\mathrm{KL}(q \,\|\, p(z\mid x)) = \mathrm{KL}(q \,\|\, p(z)) - \mathbb E_q[\log p(x\mid z)] + \log p(x)$:
#   each of the six steps is a rule you can name, and the package checks each one.
# * $\log p(x)$ does not depend on the encoder, so *minimising* the left side over $q$ means
#   minimising $\mathrm{KL}(q \,\|\, p(z)) - \mathbb E_q[\log p(x\mid z)]$, the negative ELBO.
#   That step is "equal up to a constant", not "equal".
# * The ELBO never exceeds $\log p(x)$; the gap is the KL to the true posterior, zero exactly
#   when $q$ is the posterior.
#
# Next: notebook 2 derives the KL between two Gaussians (notes §3), the formula that makes
# $\mathrm{KL}(q \,\|\, p(z))$ computable.
