# %% [markdown]
# # 6 · Check your own derivation
#
# *Exercises on the notes' §2, §3 and §4. About 30–45 minutes; work through them in any order.*
#
# So far the package checked the notes. Now it checks **you**. You write a derivation the way
# you would on paper — one expression per line, in plain text or in LaTeX — and the checker
# answers for every step:
#
# | verdict | meaning |
# |---|---|
# | ✓ `proved` | a symbolic method showed left − right = 0, under the assumptions you declared |
# | ≈ `numerically-supported` | no proof found in time, but high-precision evaluation at many points agrees |
# | ✗ `refuted` | a point where the two sides differ: the **counterexample** is shown |
# | ? `undecided` | neither (for example, both sides are undefined wherever the checker looked) |
#
# For a refuted step it also tries to **name the mistake** (a dropped ½, $\mathbb E[x^2] = \sigma^2$,
# the sign of the cross term, …) and points you to the right place in the notes.
#
# **How to use this notebook.** Each exercise gives a start and a goal, and a cell with an
# attempt — often a wrong one, as a student might write it. Run it, read the checker's answer,
# then *edit the lines and run the cell again* until every step is ✓. If you are stuck, open the
# **hint**; the **worked solution** is in the collapsed cell after it (click the "…" or the blue
# bar to the left of a collapsed cell to open it).

# %%
from elbo_derivation.decide.engine import check_derivation, check_steps
from elbo_derivation.read.tex import parse_tex_derivation
from elbo_derivation.explain.mistakes import CATALOGUE
from elbo_derivation.read.deriv import parse_derivation
from elbo_derivation.report.text import render_text

# %% [markdown]
# ## 0. How the checker answers
#
# `check_steps` takes a list of strings: the first is the starting expression, each next one is
# a step (a leading `<=`, `>=` or `=~ [g, h]` sets its relation; otherwise it is `=`).
# Write `^` or `**` for powers, `*` for products, `log`, `exp`, `sqrt`, `pi`, `oo` (∞),
# `Integral(f, (x, -oo, oo))`. Every name must be declared, with its assumptions:
# `symbols="g, h"` and `assumptions={"h": "positive"}` (undeclared assumptions are `real`).
#
# Assumptions matter. $\tfrac12\log\sigma^2 = \log\sigma$ holds for $\sigma > 0$ — a standard
# deviation — but not for every real number ($\sigma = -1$ gives $0$ on the left and
# $\log(-1)$, not a real number, on the right):

# %%
positive = check_steps(["log(sigma^2)/2", "log(sigma)"], symbols="sigma",
                       assumptions={"sigma": "positive"})
real = check_steps(["log(sigma^2)/2", "log(sigma)"], symbols="sigma")
print(render_text([positive], timings=False))
print(render_text([real], timings=False))
assert positive.steps[0].verdict.value == "proved"
assert real.steps[0].verdict.value != "proved"       # the checker will not prove it

# %% [markdown]
# A wrong step gets a counterexample — a point where both sides are finite and differ — and,
# when the difference matches a known mistake, its name and an explanation:

# %%
wrong = check_steps(["(x - mu)^2", "x^2 + 2*x*mu + mu^2"], symbols="x, mu")
print(render_text([wrong], timings=False))
result = wrong.steps[0].result
print("counterexample:", result.counterexample.point, " mistake:", result.mistake)
assert result.verdict.value == "refuted"
assert result.counterexample.lhs != result.counterexample.rhs
assert result.mistake == "cross-term-sign"

# %% [markdown]
# Inequalities work the same way. The one behind KL ≥ 0 (notes §2's "lower bound") is
# $t - \log t - 1 \ge 0$ for $t > 0$; the checker proves it, and finds the point that breaks a
# bound claimed too high:

# %%
bound = check_steps(["t - log(t) - 1", ">= 0"], symbols="t", assumptions={"t": "positive"})
too_high = check_steps(["t - log(t) - 1", ">= 1/10"], symbols="t", assumptions={"t": "positive"})
print(render_text([bound, too_high], timings=False))
assert bound.steps[0].verdict.value == "proved"
assert too_high.steps[0].verdict.value == "refuted"
counterexample = too_high.steps[0].result.counterexample
assert counterexample.point["t"] > 0 and counterexample.lhs < counterexample.rhs

# %% [markdown]
# The checker knows these mistakes by name:

# %%
for entry in CATALOGUE:
    print(f"{entry.name:32} {entry.title}")
assert len(CATALOGUE) >= 12

# %% [markdown]
# ---
# ## Exercise 1 · §4: from §3's result to the loss
#
# Start from the first line of §4, $\log\frac{1}{\sqrt h} + \frac12(h + g^2) - \frac12$, and reach
# the notes' final form $\frac12(h + g^2 - \log h - 1)$. Here $h$ is a variance, so $h > 0$.
#
# The attempt below has a mistake in its first step. Run it, read the answer, fix the step.

# %%
attempt = [
    "log(1/sqrt(h)) + (h + g^2)/2 - 1/2",
    "-log(h) + (h + g^2)/2 - 1/2",
    "(h + g^2 - log(h) - 1)/2",
]
answer = check_steps(attempt, symbols="g, h", assumptions={"h": "positive"})
print(render_text([answer], timings=False))

# %% [markdown] hidden
# <details><summary><b>Hint</b></summary>
#
# What is $\log\sqrt h$? A square root is a power $\tfrac12$, and $\log h^a = a\log h$ for $h > 0$.
# The checker does not name this one: −log h is also what reading h as a standard deviation
# gives (log √(h²)), a different lesson. It points at −log h and shows what belonged there.
# </details>

# %% hidden
# Worked solution: log(1/√h) = −log(h^(1/2)) = −½ log h.
solution = [
    "log(1/sqrt(h)) + (h + g^2)/2 - 1/2",
    "-log(h)/2 + (h + g^2)/2 - 1/2",          # log(1/√h) = −½ log h
    "(h + g^2 - log(h) - 1)/2",               # collect over the common factor ½
]
checked = check_steps(solution, symbols="g, h", assumptions={"h": "positive"})
print(render_text([checked], timings=False))
assert all(step.verdict.value == "proved" for step in checked.steps)
# the attempt as handed out: refuted at step 1; two mistakes give this step, so none is named
handed_out = check_steps(attempt[:2], symbols="g, h", assumptions={"h": "positive"})
assert handed_out.steps[0].result.mistake is None
assert str(handed_out.steps[0].result.subexpression) == "-log(h)"

# %% [markdown]
# ---
# ## Exercise 2 · §3.1: the first term
#
# With $p_1 = \mathcal N(\mu_1, \sigma_1^2)$, §3.1 needs
# $\frac{1}{2\sigma_1^2}\int p_1(x)\,(x - \mu_1)^2\,dx$. Expand the square, use the moments of
# $p_1$, and simplify. Give $p_1$ its formula with `definitions={"p1": ...}`: the checker
# substitutes it and evaluates the Gaussian integrals exactly.

# %%
section3 = dict(
    symbols="x, mu1, sigma1",
    assumptions={"sigma1": "positive"},
    definitions={"p1": "exp(-(x - mu1)^2/(2*sigma1^2))/sqrt(2*pi*sigma1^2)"},
    time_limit=20,  # seconds a step may take at most (a bound, not a wait)
)
attempt = [
    "1/(2*sigma1^2)*Integral(p1*(x - mu1)^2, (x, -oo, oo))",
    "1/(2*sigma1^2)*Integral(p1*(x^2 - 2*x*mu1 + mu1^2), (x, -oo, oo))",
    "1/(2*sigma1^2)*(sigma1^2 - 2*mu1^2 + mu1^2)",
    "1/2",
]
answer = check_steps(attempt, **section3)
print(render_text([answer], timings=False))

# %% [markdown] hidden
# <details><summary><b>Hint</b></summary>
#
# Under $p_1$: $\int p_1 = 1$, $\int x\,p_1 = \mu_1$ and $\int x^2 p_1 = \mathbb E[x^2]$. Is
# $\mathbb E[x^2]$ the variance? Recall $\mathrm{Var}(x) = \mathbb E[x^2] - \mathbb E[x]^2$ (notes §3.1,
# "the last step is achieved by computing …").
# </details>

# %% hidden
# Worked solution: E[x²] = σ₁² + μ₁², so the bracket is (σ₁² + μ₁²) − 2μ₁² + μ₁² = σ₁².
solution = [
    "1/(2*sigma1^2)*Integral(p1*(x - mu1)^2, (x, -oo, oo))",
    "1/(2*sigma1^2)*Integral(p1*(x^2 - 2*x*mu1 + mu1^2), (x, -oo, oo))",
    "1/(2*sigma1^2)*((sigma1^2 + mu1^2) - 2*mu1^2 + mu1^2)",   # E[x²] = σ₁² + μ₁², E[x] = μ₁
    "1/2",
]
checked = check_steps(solution, **section3)
print(render_text([checked], timings=False))
assert all(step.verdict.value == "proved" for step in checked.steps)
handed_out = check_steps(attempt, **section3)
assert handed_out.first_failure.index == 2
# not named: σ₁² − 2μ₁² + μ₁² is E[x²] = σ₁² (μ₁² forgotten), or the μ₁² of the square dropped
assert handed_out.first_failure.result.mistake is None

# %% [markdown]
# ---
# ## Exercise 3 · §4 in LaTeX
#
# Steps may be written in LaTeX between `$…$`, as in the notes: `\frac`, `\sqrt`, `\log`,
# `\left( \right)`, subscripts such as `\sigma_1` (for a symbol declared `sigma_1` or `sigma1`).
# Write the final form of the KL term of §4 in LaTeX (use a raw string, `r"…"`, so that Python
# leaves the backslashes alone).

# %%
attempt = [
    r"$\log \frac{1}{\sqrt{h}} + \frac{1}{2}(h + g^2) - \frac{1}{2}$",
    r"$\frac{1}{2}\left(h + g^2 - \log h\right)$",
]
answer = check_steps(attempt, symbols="g, h", assumptions={"h": "positive"})
print(render_text([answer], timings=False))

# %% [markdown] hidden
# <details><summary><b>Hint</b></summary>
#
# The checker says the two sides differ by a constant. Where did the $-\frac12$ of the first
# line go? Inside $\frac12(\ldots)$ it becomes $-1$.
# </details>

# %% hidden
# Worked solution: keep the −1 inside the bracket.
solution = [
    r"$\log \frac{1}{\sqrt{h}} + \frac{1}{2}(h + g^2) - \frac{1}{2}$",
    r"$\frac{1}{2}\left(h + g^2 - \log h - 1\right)$",
]
checked = check_steps(solution, symbols="g, h", assumptions={"h": "positive"})
print(render_text([checked], timings=False))
assert checked.steps[0].verdict.value == "proved"
handed_out = check_steps(attempt, symbols="g, h", assumptions={"h": "positive"})
assert handed_out.steps[0].result.mistake == "missing-minus-one"
assert handed_out.steps[0].result.counterexample.difference == -0.5

# %% [markdown]
# ---
# ## Exercise 4 · §3.3 as a derivation file
#
# Longer derivations are easier to write as a `.deriv` text: header lines declare the symbols,
# then one expression per line, each step starting with its relation, and an optional
# justification after `#`. (Save it to a file and `elbo-derivation check my.deriv` gives the same
# answer on the command line.) Combine the two logarithms of §3.3 into one.

# %%
attempt = """
title: §3.3, the two terms added
symbols: mu1, mu2 : real
symbols: sigma1, sigma2 : positive

    -1/2*(log(2*pi*sigma1^2) + 1) + 1/2*log(2*pi*sigma2^2) + (sigma1^2 + (mu1 - mu2)^2)/(2*sigma2^2)
  = log(sigma1/sigma2) + (sigma1^2 + (mu1 - mu2)^2)/(2*sigma2^2) - 1/2   # the logs combined
"""
answer = check_derivation(parse_derivation(attempt, name="exercise-4"))
print(render_text([answer], timings=False))

# %% [markdown] hidden
# <details><summary><b>Hint</b></summary>
#
# $\frac12\log 2\pi\sigma_2^2 - \frac12\log 2\pi\sigma_1^2 = \frac12\log\frac{\sigma_2^2}{\sigma_1^2}$.
# Which standard deviation ends up on top?
# </details>

# %% hidden
# Worked solution: ½ log(2πσ₂²) − ½ log(2πσ₁²) = log(σ₂/σ₁).
solution = attempt.replace("log(sigma1/sigma2) +", "log(sigma2/sigma1) +")
checked = check_derivation(parse_derivation(solution, name="exercise-4"))
print(render_text([checked], timings=False))
assert checked.steps[0].verdict.value == "proved"
handed_out = check_derivation(parse_derivation(attempt, name="exercise-4"))
assert handed_out.steps[0].result.mistake == "log-ratio-flipped"

# %% [markdown]
# ---
# ## Exercise 5 · the notes' own LaTeX, §3.1
#
# A whole derivation can come from a LaTeX `align*` environment, exactly as you would typeset
# it: the first row is `START &= STEP`, later rows start with `&=`, `\text{…}` after `&&` is the
# justification. Header comments (`% symbols: …`, `% let: …`) declare what the rows use. Here
# is §3.1 as the notes typeset it — with one line changed. Which one, and what is wrong?

# %%
attempt = r"""
% symbols: x, mu_1 : real
% symbols: sigma_1 : positive
% let: Z_1 = \sqrt{2\pi\sigma_1^2}
% let: p_1 = \frac{1}{Z_1} \exp\left(-\frac{(x - \mu_1)^2}{2\sigma_1^2}\right)
% functions: p_1(x)
\begin{align*}
\int p_1(x) \log p_1(x) dx
  &= \int p_1(x) \left(\log \frac{1}{Z_1} - \frac{(x - \mu_1)^2}{2\sigma_1^2} \right) dx
     && \text{log of the Gaussian density} \\
  &= -\log Z_1 - \frac{1}{2\sigma_1^2} \int p_1(x) (x^2 - 2x\mu_1 + \mu_1^2) dx
     && \text{$\int p_1 = 1$; the square expanded} \\
  &= -\log Z_1 - \frac{1}{2\sigma_1^2} \left((\sigma_1^2 + \mu_1^2) - 2\mu_1^2 + \mu_1^2 \right)
     && \text{$E[x^2] = \sigma_1^2 + \mu_1^2$, $E[x] = \mu_1$} \\
  &= -\log Z_1 - \frac{1}{2} && \text{collect terms} \\
  &= -\frac{1}{2}(\log 2\pi\sigma_1 + 1) && \text{$Z_1 = \sqrt{2\pi\sigma_1^2}$}
\end{align*}
"""
answer = check_derivation(parse_tex_derivation(attempt, name="exercise-5"))
print(render_text([answer], timings=False))

# %% [markdown] hidden
# <details><summary><b>Hint</b></summary>
#
# $\log Z_1 = \log\sqrt{2\pi\sigma_1^2} = \frac12\log 2\pi\sigma_1^2$: inside the logarithm stands
# the *variance*. The checker's `log-std-for-log-variance` says the same.
# </details>

# %% hidden
# Worked solution: −log Z₁ − ½ = −½ log(2πσ₁²) − ½ = −½(log 2πσ₁² + 1).
solution = attempt.replace(r"(\log 2\pi\sigma_1 + 1)", r"(\log 2\pi\sigma_1^2 + 1)")
checked = check_derivation(parse_tex_derivation(solution, name="exercise-5"))
print(render_text([checked], timings=False))
assert all(step.verdict.value == "proved" for step in checked.steps)
handed_out = check_derivation(parse_tex_derivation(attempt, name="exercise-5"))
assert handed_out.first_failure.index == 5
assert handed_out.first_failure.result.mistake == "log-std-for-log-variance"

# %% [markdown]
# ---
# ## Exercise 6 · §2: Bayes' rule inside the expectation
#
# For §2 the densities stay abstract: declare them with a `densities:` line, and write
# $\mathbb E_{q(z\mid x)}[f]$ as `E[f, z ~ q(z|x)]` and $\mathrm{KL}(q, p)$ as `KL(q(z|x), p(z|x))`.
# The checker knows the rules the notes use: the definition of KL, Bayes' rule
# $p(z\mid x) = p(x\mid z)p(z)/p(x)$, logarithms of products and quotients, linearity of
# $\mathbb E$, and $\mathbb E_q[c] = c$ for $c$ free of $z$. The attempt follows the notes' first
# three lines: the definition of KL with Bayes' rule, then the logarithm split into four terms.

# %%
attempt = """
title: §2, Bayes' rule
symbols: x, z : real
densities: q(z|x), p(z), p(x|z), p(z|x), p(x)

    KL(q(z|x), p(z|x))
  = E[log(q(z|x)) - log(p(x|z)*p(z)/p(x)), z ~ q(z|x)]                # definition of KL; Bayes' rule
  = E[log(q(z|x)) - log(p(x|z)) - log(p(z)) - log(p(x)), z ~ q(z|x)]   # log of a quotient
"""
answer = check_derivation(parse_derivation(attempt, name="exercise-6"))
print(render_text([answer], timings=False))

# %% [markdown] hidden
# <details><summary><b>Hint</b></summary>
#
# $-\log\frac{p(x\mid z)p(z)}{p(x)} = -\log p(x\mid z) - \log p(z) + \log p(x)$: dividing by $p(x)$
# inside the logarithm gives $-\log p(x)$, and the minus sign in front turns it into $+\log p(x)$.
# </details>

# %% hidden
# Worked solution: log p(x) enters with a plus sign.
solution = attempt.replace("- log(p(x)), z", "+ log(p(x)), z")
checked = check_derivation(parse_derivation(solution, name="exercise-6"))
print(render_text([checked], timings=False))
assert all(step.verdict.value == "proved" for step in checked.steps)
handed_out = check_derivation(parse_derivation(attempt, name="exercise-6"))
assert handed_out.first_failure.index == 2
assert handed_out.first_failure.result.mistake == "log-evidence-sign"

# %% [markdown]
# ---
# ## Exercise 7 · what may be dropped
#
# §2 ends by dropping $\log p(x)$ "from the optimization". That is not an equality, so write it
# with the relation `=~ [q]`: "equal up to a term that does not depend on $q$". The checker then
# proves that the two sides differ by something free of $q$ — and refuses a drop that *does*
# depend on $q$. In the attempt, the second step drops the wrong term.

# %%
attempt = """
title: §2, the last step
symbols: x, z : real
densities: q(z|x), p(z), p(x|z), p(x)

    KL(q(z|x), p(z)) - E[log(p(x|z)), z ~ q(z|x)] + log(p(x))
  =~ [q] KL(q(z|x), p(z)) - E[log(p(x|z)), z ~ q(z|x)]    # log p(x) is free of q
  =~ [q] - E[log(p(x|z)), z ~ q(z|x)]                     # and so is the KL?
"""
answer = check_derivation(parse_derivation(attempt, name="exercise-7"))
print(render_text([answer], timings=False))

# %% [markdown] hidden
# <details><summary><b>Hint</b></summary>
#
# $\mathrm{KL}(q(z\mid x), p(z))$ is the regulariser that keeps $q$ close to the prior: it depends
# on $q$ through and through. Only $\log p(x)$ may go. Delete the last step.
# </details>

# %% hidden
# Worked solution: only log p(x) is free of q; the KL term stays.
solution = attempt.replace(
    "  =~ [q] - E[log(p(x|z)), z ~ q(z|x)]                     # and so is the KL?\n", "")
checked = check_derivation(parse_derivation(solution, name="exercise-7"))
print(render_text([checked], timings=False))
assert len(checked.steps) == 1 and checked.steps[0].verdict.value == "proved"
handed_out = check_derivation(parse_derivation(attempt, name="exercise-7"))
assert handed_out.steps[0].verdict.ok
assert handed_out.steps[1].verdict.value == "refuted"

# %% [markdown]
# ---
# ## Checking a derivation typed in a cell
#
# `%load_ext elbo_derivation` adds the cell magic `%%derivation`: type a derivation in the
# `.deriv` format below it (or a LaTeX `align` environment), run the cell, and it is checked
# and shown as mathematics, each step as you wrote it with its verdict and, if one fails, the
# first mistake spelled out. `--no-numeric` skips the quadrature and sampling checks;
# `--no-verdicts` shows the steps only. The checked derivation is kept in `_derivation`.

# %%
%load_ext elbo_derivation

# %%
%%derivation --no-numeric
title: Expanding a square
symbols: x, mu : real
(x - mu)^2
= x^2 - 2*x*mu + mu^2     # expand the square
= mu^2 - 2*mu*x + x^2     # the same terms, reordered

# %%
assert [step.verdict.value for step in _derivation.steps] == ["proved", "proved"]

# %% [markdown]
# And one with a slip in the sign of the cross term: the first problem is named, with the
# point where the two sides differ.

# %%
%%derivation --no-numeric
title: A sign slip
symbols: x, mu : real
(x - mu)^2
= x^2 + 2*x*mu + mu^2     # expand the square

# %%
assert _derivation.first_failure.index == 1
assert _derivation.steps[0].verdict.value == "refuted"

# %% [markdown]
# ---
# ## Going further
#
# * Write the whole of §3 yourself, from $\int p_1\log(p_1/p_2)\,dx$ to the final formula, and
#   compare with the package's version, `elbo_derivation/notes/kl_gaussians.deriv`.
# * On the command line: `elbo-derivation check my.deriv` (or `my.tex`) prints the same report;
#   `--json` gives it as data; `--explain` says what proved each step; and
#   `elbo-derivation check submissions/` checks a whole folder of files at once, one row per file.
# * `elbo-derivation verify` checks every derivation of the notes, symbolically and numerically.
