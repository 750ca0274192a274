# ruff: noqa: E501  (the table of edits keeps one seeded mistake per line)
"""Write the corpus's wrong derivations from its correct ones and a list of seeded mistakes.

Each entry of :data:`EDITS` is ``(file, step, old, new, mistake)``: in the correct file
``file`` (relative to this folder), in the expression of step ``step`` (counted from 1; the
starting expression is not a step), the first ``old`` is replaced by ``new``. The result is
written to ``<topic>/wrong/<stem>.s<step>.<mistake>.<ext>`` with the header
``# expect: wrong step=<step> mistake=<mistake>`` (``%`` in a ``.tex`` file); ``a|b`` lists two
names that describe the same edit equally well (the first is the one seeded). Later steps are
left as the author wrote them. Run ``python tests/corpus/make_mutants.py`` after editing a
correct file or this list; the files it writes are committed.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

EDITS: list[tuple[str, int, str, str, str]] = [
    # --- gaussian_kl ---------------------------------------------------------------------
    ("gaussian_kl/kl_univariate_log_ratio.deriv", 2, "(s1^2 + (m1 - m2)^2)/(2*s2^2)", "(s1 + (m1 - m2)^2)/(2*s2^2)", "std-for-variance"),
    ("gaussian_kl/kl_univariate_log_ratio.deriv", 3, "log(s2/s1)", "log(s1/s2)", "log-ratio-flipped"),
    ("gaussian_kl/kl_univariate_log_ratio.deriv", 3, "/(2*s2^2)", "/(s2^2)", "dropped-half"),
    ("gaussian_kl/kl_kingma_cross_entropy.deriv", 3, "(mu^2 + s^2)/2", "s^2/2", "second-moment-missing-mean"),
    ("gaussian_kl/kl_kingma_cross_entropy.deriv", 1, "-log(2*pi)/2 - z^2/2", "-log(2*pi) - z^2/2", "log-inverse-sqrt|dropped-half"),
    ("gaussian_kl/kl_kingma_cross_entropy.deriv", 2, "(z, -oo, oo))/2", "(z, -oo, oo))", "dropped-half"),
    ("gaussian_kl/kl_kingma_entropy_term.deriv", 2, "log(s^2)/2 - s^2", "log(s)/2 - s^2", "log-std-for-log-variance"),
    ("gaussian_kl/kl_kingma_entropy_term.deriv", 3, "(1 + log(s^2))/2", "(1 + log(s^2))", "dropped-half"),
    ("gaussian_kl/kl_kingma_negative_kl.deriv", 2, "- mu^2", "+ mu^2", "sign-error"),
    ("gaussian_kl/kl_kingma_negative_kl.deriv", 2, "log(s^2)", "log(s)", "log-std-for-log-variance"),
    ("gaussian_kl/kl_kingma_negative_kl.deriv", 1, "(1 + log(s^2))/2)", "log(s^2)/2)", "missing-minus-one"),
    ("gaussian_kl/kl_standard_normal_logvar.deriv", 2, "exp(l) + mu^2", "exp(l/2) + mu^2", "std-for-variance"),
    ("gaussian_kl/kl_standard_normal_logvar.deriv", 2, "- l - 1)/2", "- l)/2", "missing-minus-one"),
    ("gaussian_kl/kl_standard_normal_logvar.deriv", 1, "- log(v)", "+ log(v)", "sign-error"),
    ("gaussian_kl/kl_standard_normal_sigma.deriv", 1, "log(s^2)", "log(s)", "log-std-for-log-variance"),
    ("gaussian_kl/kl_standard_normal_sigma.deriv", 1, "(s^2 + mu^2 - log(s^2) - 1)/2", "s^2 + mu^2 - log(s^2) - 1", "dropped-half"),
    ("gaussian_kl/kl_standard_normal_sigma.deriv", 2, "- 1)/2", "+ 1)/2", "sign-error"),
    ("gaussian_kl/kl_diagonal_two_dims.deriv", 2, ")/2 - 1", ")/2 - 1/2", "dimension-count"),
    ("gaussian_kl/kl_diagonal_two_dims.deriv", 1, "(s2^2 + m2^2", "(s2 + m2^2", "std-for-variance"),
    ("gaussian_kl/kl_diagonal_two_dims.deriv", 3, "log(s1*s2)", "log(s1 + s2)", "sum-of-logs-joined"),
    ("gaussian_kl/kl_equal_variances.deriv", 2, "2*x*(m1 - m2)", "-2*x*(m1 - m2)", "cross-term-sign|sign-error"),
    ("gaussian_kl/kl_equal_variances.deriv", 4, "/(2*s^2)", "/(s^2)", "dropped-half"),
    ("gaussian_kl/kl_equal_variances.deriv", 3, "+ m2^2 - m1^2", "+ m2^2 + m1^2", "sign-error"),
    ("gaussian_kl/kl_reverse_direction.deriv", 2, "log(s) - 1/2 + (1 + mu^2)/(2*s^2)", "(s^2 + mu^2 - log(s^2) - 1)/2", "kl-direction-swapped"),
    ("gaussian_kl/kl_reverse_direction.deriv", 2, "(1 + mu^2)/(2*s^2)", "mu^2/(2*s^2)", "wrong-moment|second-moment-missing-variance"),
    ("gaussian_kl/kl_reverse_direction.deriv", 1, "log(s)", "log(s^2)", "log-variance-for-log-std"),
    ("gaussian_kl/kl_notes_final_form.deriv", 3, "log(s2/s1)", "log(s2^2/s1^2)", "log-variance-for-log-std|dropped-half"),
    ("gaussian_kl/kl_notes_final_form.deriv", 3, "- 1/2", "+ 1/2", "sign-error"),
    ("gaussian_kl/kl_notes_final_form.deriv", 1, "(log(2*pi*s2^2) - log(2*pi*s1^2))/2", "(log(2*pi*s2^2) - log(2*pi*s1^2))", "dropped-half"),
    ("gaussian_kl/kl_precision_form.deriv", 2, "t2/t1", "t1/t2", "precision-for-variance"),
    ("gaussian_kl/kl_precision_form.deriv", 2, "log(t1/t2)", "log(t2/t1)", "log-ratio-flipped"),
    ("gaussian_kl/kl_diagonal_sum_D.deriv", 2, "- D/2", "- D", "dropped-half"),
    ("gaussian_kl/kl_diagonal_sum_D.deriv", 2, "- D/2", "- 1/2", "dimension-count"),
    ("gaussian_kl/kl_univariate_log_ratio.tex", 3, r"\log\frac{\sigma_2}{\sigma_1}", r"\log\frac{\sigma_1}{\sigma_2}", "log-ratio-flipped"),
    ("gaussian_kl/kl_univariate_log_ratio.tex", 2, r"\frac{\sigma_1^2 + (\mu_1 - \mu_2)^2}", r"\frac{\sigma_1 + (\mu_1 - \mu_2)^2}", "std-for-variance"),
    ("gaussian_kl/kl_kingma_cross_entropy.tex", 3, r"(\mu^2 + \sigma^2)", r"\sigma^2", "second-moment-missing-mean"),
    ("gaussian_kl/kl_kingma_cross_entropy.tex", 1, r"-\frac{1}{2}\log(2\pi)", r"-\log(2\pi)", "log-inverse-sqrt|dropped-half"),
    ("gaussian_kl/kl_kingma_negative_kl.tex", 1, r"1 + \log\sigma^2 -", r"1 + \log\sigma -", "log-std-for-log-variance"),
    ("gaussian_kl/kl_kingma_negative_kl.tex", 1, r"- \mu^2 - \sigma^2\right)", r"+ \mu^2 - \sigma^2\right)", "sign-error"),
    ("gaussian_kl/kl_standard_normal_logvar.tex", 1, r"e^{\ell} + \mu^2", r"e^{\ell/2} + \mu^2", "std-for-variance"),
    ("gaussian_kl/kl_standard_normal_logvar.tex", 1, r"- \ell - 1", r"- \ell", "missing-minus-one"),
    ("gaussian_kl/kl_standard_normal_sigma.tex", 1, r"\log\sigma^2 - 1", r"\log\sigma - 1", "log-std-for-log-variance"),
    ("gaussian_kl/kl_standard_normal_sigma.tex", 1, r"\frac{1}{2}\left(\sigma^2", r"\left(\sigma^2", "dropped-half"),
    ("gaussian_kl/kl_equal_variances.tex", 3, r"{2\sigma^2}", r"{\sigma^2}", "dropped-half"),
    ("gaussian_kl/kl_equal_variances.tex", 1, r"\left(2x(\mu_1 - \mu_2)", r"\left(-2x(\mu_1 - \mu_2)", "cross-term-sign|sign-error"),
    ("gaussian_kl/kl_notes_final_form.tex", 2, r"\log\frac{\sigma_2}{\sigma_1}", r"\log\frac{\sigma_2^2}{\sigma_1^2}", "log-variance-for-log-std|dropped-half"),
    ("gaussian_kl/kl_notes_final_form.tex", 2, r"- \frac{1}{2}", r"+ \frac{1}{2}", "sign-error"),
    ("gaussian_kl/kl_diagonal_sum_D.tex", 1, r"- \frac{D}{2}", r"- D", "dropped-half"),
    ("gaussian_kl/kl_diagonal_sum_D.tex", 1, r"- \frac{D}{2}", r"- \frac{1}{2}", "dimension-count"),
    # --- elbo ----------------------------------------------------------------------------
    ("elbo/bishop_decomposition.deriv", 4, "KL(q(Z), p(Z|X))", "KL(p(Z|X), q(Z))", "kl-direction-swapped"),
    ("elbo/bishop_decomposition.deriv", 2, "- log(p(Z|X))", "+ log(p(Z|X))", "log-density-sign"),
    ("elbo/bishop_decomposition.deriv", 3, "- log(p(Z|X)/q(Z))", "- log(q(Z)/p(Z|X))", "log-ratio-flipped"),
    ("elbo/kingma_welling_bound.deriv", 4, "- KL(q_phi(z|x), p_theta(z))", "+ KL(q_phi(z|x), p_theta(z))", "sign-error"),
    ("elbo/kingma_welling_bound.deriv", 4, "KL(q_phi(z|x), p_theta(z|x))", "KL(p_theta(z|x), q_phi(z|x))", "kl-direction-swapped"),
    ("elbo/kingma_welling_bound.deriv", 2, "p_theta(x|z)*p_theta(z)/p_theta(z|x)", "p_theta(z|x)*p_theta(z)/p_theta(x|z)", "bayes-inverted"),
    ("elbo/doersch_core_equation.deriv", 2, "+ log(P(X))", "- log(P(X))", "log-evidence-sign"),
    ("elbo/doersch_core_equation.deriv", 3, "- E[log(P(X|z))", "+ E[log(P(X|z))", "log-density-sign"),
    ("elbo/doersch_core_equation.deriv", 3, "KL(Q(z|X), P(z))", "KL(P(z), Q(z|X))", "kl-direction-swapped"),
    ("elbo/blei_elbo.deriv", 3, "- KL(q(z), p(z))", "- KL(p(z), q(z))", "kl-direction-swapped"),
    ("elbo/blei_elbo.deriv", 2, "- E[log(q(z)/p(z))", "+ E[log(q(z)/p(z))", "sign-error"),
    ("elbo/notes_elbo_other_letters.deriv", 3, "+ log(s(y))", "- log(s(y))", "log-evidence-sign"),
    ("elbo/notes_elbo_other_letters.deriv", 2, "- log(s(y|w))", "+ log(s(y|w))", "log-density-sign"),
    ("elbo/notes_elbo_other_letters.deriv", 3, "KL(r(w|y), s(w))", "KL(s(w), r(w|y))", "kl-direction-swapped"),
    ("elbo/beta_vae_objective.deriv", 2, "- beta*log(p(z))", "- log(p(z))", "factor-on-one-term"),
    ("elbo/beta_vae_objective.deriv", 1, "beta*E[log(q(z|x)) - log(p(z))", "beta*E[log(p(z)) - log(q(z|x))", "log-ratio-flipped|log-density-sign"),
    ("elbo/beta_vae_bound.deriv", 2, "<= E[log", ">= E[log", "inequality-reversed"),
    ("elbo/beta_vae_bound.deriv", 1, "- c*KL(q(z|x), p(z))", "+ c*KL(q(z|x), p(z))", "sign-error"),
    ("elbo/cvae_bound.deriv", 2, "- KL(q(z|x, y), p(z|x))", "- KL(p(z|x), q(z|x, y))", "kl-direction-swapped"),
    ("elbo/cvae_bound.deriv", 2, "+ E[log(p(y|x, z))", "- E[log(p(y|x, z))", "log-density-sign"),
    ("elbo/iwae_single_sample.deriv", 2, "- KL(q(z|x), p(z))", "+ KL(q(z|x), p(z))", "sign-error"),
    ("elbo/iwae_single_sample.deriv", 1, "- log(q(z|x))", "+ log(q(z|x))", "log-density-sign"),
    ("elbo/iwae_two_samples.deriv", 1, ">= E[E[", "<= E[E[", "inequality-reversed"),
    ("elbo/iwae_two_samples.deriv", 1, ">= E[E[", "= E[E[", "jensen-as-equality"),
    ("elbo/jensen_evidence.deriv", 3, ">= E[", "<= E[", "inequality-reversed|jensen-reversed"),
    ("elbo/jensen_evidence.deriv", 3, ">= E[", "= E[", "log-expectation-swapped"),
    ("elbo/jensen_evidence.deriv", 2, "p(x, z)/q(z|x)", "q(z|x)/p(x, z)", "importance-weight-inverted|ratio-flipped"),
    ("elbo/gaussian_likelihood_term.deriv", 1, "+ log(2*pi*c)/2", "- log(2*pi*c)/2", "sign-error|log-ratio-flipped"),
    ("elbo/gaussian_likelihood_term.deriv", 2, "/(2*c) + log", "/c + log", "dropped-half"),
    ("elbo/gaussian_likelihood_term.deriv", 3, "C*E[", "c*E[", "variance-for-balancing-constant"),
    ("elbo/evidence_minus_kl.deriv", 3, "- KL(a(v|u), b(v))", "- KL(b(v), a(v|u))", "kl-direction-swapped"),
    ("elbo/evidence_minus_kl.deriv", 1, "+ log(b(v|u))", "- log(b(v|u))", "log-density-sign"),
    ("elbo/bishop_decomposition.tex", 4, r"\mathrm{KL}(q(Z), p(Z|X))", r"\mathrm{KL}(p(Z|X), q(Z))", "kl-direction-swapped"),
    ("elbo/bishop_decomposition.tex", 2, r"- \ln p(Z|X)", r"+ \ln p(Z|X)", "log-density-sign"),
    ("elbo/doersch_core_equation.tex", 2, r"+ \log P(X)", r"- \log P(X)", "log-evidence-sign"),
    ("elbo/doersch_core_equation.tex", 3, r"\mathrm{KL}(Q(z|X), P(z))", r"\mathrm{KL}(P(z), Q(z|X))", "kl-direction-swapped"),
    ("elbo/blei_elbo.tex", 3, r"\mathrm{KL}(q(z), p(z))", r"\mathrm{KL}(p(z), q(z))", "kl-direction-swapped"),
    ("elbo/blei_elbo.tex", 2, r"- \mathbb{E}_{q(z)}\left[\log \frac", r"+ \mathbb{E}_{q(z)}\left[\log \frac", "sign-error"),
    ("elbo/notes_elbo_other_letters.tex", 3, r"+ \log s(y)", r"- \log s(y)", "log-evidence-sign"),
    ("elbo/notes_elbo_other_letters.tex", 3, r"\mathrm{KL}(r(w|y), s(w))", r"\mathrm{KL}(s(w), r(w|y))", "kl-direction-swapped"),
    ("elbo/beta_vae_objective.tex", 2, r"- \beta\log p(z)", r"- \log p(z)", "factor-on-one-term"),
    ("elbo/beta_vae_objective.tex", 1, r"\log q(z|x) - \log p(z)", r"\log p(z) - \log q(z|x)", "log-ratio-flipped|log-density-sign"),
    ("elbo/cvae_bound.tex", 2, r"- \mathrm{KL}(q(z|x, y), p(z|x))", r"- \mathrm{KL}(p(z|x), q(z|x, y))", "kl-direction-swapped"),
    ("elbo/cvae_bound.tex", 2, r"+ \mathbb{E}", r"- \mathbb{E}", "log-density-sign"),
    ("elbo/gaussian_likelihood_term.tex", 1, r"+ \frac{1}{2}\log(2\pi c)", r"- \frac{1}{2}\log(2\pi c)", "sign-error"),
    ("elbo/gaussian_likelihood_term.tex", 2, r"\frac{1}{2c}\mathbb", r"\frac{1}{c}\mathbb", "dropped-half"),
    # --- bayes ---------------------------------------------------------------------------
    ("bayes/log_posterior.deriv", 2, "- log(p(x))", "+ log(p(x))", "log-evidence-sign"),
    ("bayes/log_posterior.deriv", 1, "p(x|z)*p(z)/p(x)", "p(x|z)*p(x)/p(z)", "bayes-inverted"),
    ("bayes/posterior_ratio_theta.deriv", 2, "- log(P(y))", "+ log(P(y))", "log-evidence-sign"),
    ("bayes/posterior_ratio_theta.deriv", 2, "log(P(y|theta)) - log(P(y))", "log(P(y|theta))", "dropped-term"),
    ("bayes/conjugate_completing_square.deriv", 1, "- 2*x*z", "+ 2*x*z", "cross-term-sign"),
    ("bayes/conjugate_completing_square.deriv", 2, "- x^2/(2*(1 + c))", "- x^2/(2*c)", "constant-wrong"),
    ("bayes/conjugate_completing_square.deriv", 1, "x^2)/(2*c)", "x^2)/c", "dropped-half"),
    ("bayes/gaussian_exponent_expanded.deriv", 1, "- 2*x*m", "+ 2*x*m", "cross-term-sign"),
    ("bayes/gaussian_exponent_expanded.deriv", 1, "x^2 - 2*x*m + m^2", "x^2 + m^2", "missing-cross-term"),
    ("bayes/gaussian_exponent_expanded.deriv", 2, "+ x*m/s^2", "+ x*m/(2*s^2)", "extra-half"),
    ("bayes/product_rule_marginal.deriv", 1, "p(x, z)", "p(x|z)", "dropped-factor"),
    ("bayes/product_rule_marginal.deriv", 2, "= p(x)", "= 1", "marginal-as-one"),
    ("bayes/log_posterior.tex", 2, r"- \log p(x)", r"+ \log p(x)", "log-evidence-sign"),
    ("bayes/log_posterior.tex", 1, r"\frac{p(x|z)p(z)}{p(x)}", r"\frac{p(x|z)p(x)}{p(z)}", "bayes-inverted"),
    ("bayes/conjugate_completing_square.tex", 1, r"- 2xz", r"+ 2xz", "cross-term-sign"),
    ("bayes/conjugate_completing_square.tex", 2, r"\frac{x^2}{2(1 + c)}", r"\frac{x^2}{2c}", "constant-wrong"),
    # --- entropy -------------------------------------------------------------------------
    ("entropy/gaussian_entropy.deriv", 2, "log(2*pi*s^2)/2 + 1/2", "log(2*pi*s)/2 + 1/2", "std-for-variance|log-std-for-log-variance"),
    ("entropy/gaussian_entropy.deriv", 2, "+ 1/2", "+ 1", "dropped-half"),
    ("entropy/gaussian_entropy.deriv", 3, "log(2*pi*exp(1)*s^2)/2", "log(2*pi*s^2)/2", "dropped-term"),
    ("entropy/gaussian_entropy_logvar.deriv", 2, "+ l)/2", "+ l/2)/2", "log-std-for-log-variance|extra-half"),
    ("entropy/gaussian_entropy_logvar.deriv", 1, "+ 1 + log(v)", "- 1 + log(v)", "sign-error"),
    ("entropy/exponential_entropy.deriv", 3, "1 - log(lam)", "1 + log(lam)", "sign-error|log-ratio-flipped"),
    ("entropy/exponential_entropy.deriv", 2, "lam*(1/lam)", "lam*(1/lam^2)", "wrong-moment"),
    ("entropy/laplace_entropy.deriv", 2, "log(2*b) + b/b", "log(2*b) + 2*b/b", "wrong-moment"),
    ("entropy/laplace_entropy.deriv", 3, "1 + log(2*b)", "1 + log(b)", "constant-wrong|extra-half"),
    ("entropy/uniform_entropy.deriv", 2, "log(w)", "-log(w)", "overall-sign|log-ratio-flipped"),
    ("entropy/uniform_entropy.deriv", 1, "log(w)/w", "log(w)", "dropped-factor"),
    ("entropy/bernoulli_entropy_logit.deriv", 3, "- p*t", "+ p*t", "sign-error"),
    ("entropy/bernoulli_entropy_logit.deriv", 3, "log(1 + exp(t))", "log(1) + t", "log-of-sum-split|dropped-term"),
    ("entropy/gaussian_entropy.tex", 2, r"\log(2\pi\sigma^2) + \frac{1}{2}", r"\log(2\pi\sigma) + \frac{1}{2}", "std-for-variance|log-std-for-log-variance"),
    ("entropy/gaussian_entropy.tex", 3, r"\frac{1}{2}\log(2\pi e \sigma^2)", r"\log(2\pi e \sigma^2)", "dropped-half"),
    ("entropy/exponential_entropy.tex", 2, r"1 - \log\lambda", r"1 + \log\lambda", "sign-error|log-ratio-flipped"),
    ("entropy/exponential_entropy.tex", 2, r"1 - \log\lambda", r"\frac{1}{\lambda} - \log\lambda", "wrong-moment"),
    # --- moments -------------------------------------------------------------------------
    ("moments/gaussian_second_moment.deriv", 3, "s^2 + m^2", "s^2", "second-moment-missing-mean"),
    ("moments/gaussian_second_moment.deriv", 2, "s^2 + 2*m*0", "s + 2*m*0", "std-for-variance"),
    ("moments/gaussian_second_moment.deriv", 3, "s^2 + m^2", "s^2 - m^2", "sign-error"),
    ("moments/gaussian_variance.deriv", 1, "(s^2 + m^2) - m^2", "s^2 - m^2", "second-moment-missing-mean"),
    ("moments/gaussian_variance.deriv", 2, "= s^2", "= s", "std-for-variance"),
    ("moments/gaussian_third_moment.deriv", 2, "3*m*s^2 + m^3", "m*s^2 + m^3", "binomial-coefficient"),
    ("moments/gaussian_third_moment.deriv", 2, "3*m*s^2 + m^3", "3*m*s + m^3", "std-for-variance"),
    ("moments/gaussian_fourth_moment.deriv", 1, "3*s^4", "s^4", "wrong-moment"),
    ("moments/gaussian_fourth_moment.deriv", 2, "- 6*m^2*s^2", "- 3*m^2*s^2", "binomial-coefficient"),
    ("moments/lognormal_mean.deriv", 2, "exp(m + s^2/2)", "exp(m + s^2)", "dropped-half"),
    ("moments/lognormal_mean.deriv", 2, "exp(m + s^2/2)", "exp(m + s/2)", "std-for-variance"),
    ("moments/linear_decoder_squared_error.deriv", 3, "+ a^2*s^2", "+ a*s^2", "missing-square"),
    ("moments/linear_decoder_squared_error.deriv", 3, "(x - a*m - b)^2 + a^2*s^2", "(x - a*m - b)^2", "dropped-term"),
    ("moments/linear_decoder_squared_error.deriv", 2, "+ a^2*s^2", "+ a^2*s", "std-for-variance"),
    ("moments/reparameterised_moments.deriv", 2, "mu^2 + s^2", "mu^2 + s", "std-for-variance"),
    ("moments/reparameterised_moments.deriv", 2, "mu^2 + s^2", "mu^2 + 2*mu*s + s^2", "wrong-moment"),
    ("moments/exponential_moments.deriv", 1, "2/lam^2", "1/lam^2", "wrong-moment"),
    ("moments/exponential_moments.deriv", 2, "1/lam^2", "1/lam", "std-for-variance"),
    ("moments/gaussian_second_moment.tex", 2, r"\sigma^2 + \mu^2", r"\sigma^2", "second-moment-missing-mean"),
    ("moments/gaussian_second_moment.tex", 2, r"\sigma^2 + \mu^2", r"\sigma + \mu^2", "std-for-variance"),
    ("moments/lognormal_mean.tex", 2, r"e^{\mu + \frac{\sigma^2}{2}}", r"e^{\mu + \sigma^2}", "dropped-half"),
    ("moments/lognormal_mean.tex", 2, r"e^{\mu + \frac{\sigma^2}{2}}", r"e^{\mu + \frac{\sigma}{2}}", "std-for-variance"),
    ("moments/reparameterised_moments.tex", 2, r"\mu^2 + \sigma^2", r"\mu^2 + \sigma", "std-for-variance"),
    ("moments/reparameterised_moments.tex", 2, r"\mu^2 + \sigma^2", r"\mu^2 + 2\mu\sigma + \sigma^2", "wrong-moment"),
    # --- loss ----------------------------------------------------------------------------
    ("loss/gaussian_nll.deriv", 1, "+ log(2*pi*c)/2", "- log(2*pi*c)/2", "sign-error|log-ratio-flipped"),
    ("loss/gaussian_nll.deriv", 1, "(x - xh)^2/(2*c)", "(x - xh)^2/c", "dropped-half"),
    ("loss/gaussian_nll.deriv", 2, "C*(x - xh)^2", "c*(x - xh)^2", "variance-for-balancing-constant"),
    ("loss/vae_loss_total.deriv", 2, "(h + g^2 - log(h) - 1)/2", "(h^2 + g^2 - log(h) - 1)/2", "variance-as-std"),
    ("loss/vae_loss_total.deriv", 2, "- log(h) - 1)/2", "- log(h))/2", "missing-minus-one"),
    ("loss/vae_loss_total.deriv", 1, "log(1/sqrt(h))", "log(1/h)", "log-inverse-sqrt|dropped-half"),
    ("loss/beta_vae_loss_logvar.deriv", 1, "- beta*l/2", "- l/2", "factor-on-one-term"),
    ("loss/beta_vae_loss_logvar.deriv", 1, "+ beta*m^2/2", "+ beta*m^2", "dropped-half"),
    ("loss/squared_norm_two_dims.deriv", 1, "- 2*x1*y1", "+ 2*x1*y1", "cross-term-sign"),
    ("loss/squared_norm_two_dims.deriv", 2, "(x1^2 + x2^2) - 2*(x1*y1 + x2*y2) + (y1^2 + y2^2)", "(x1 + x2 - y1 - y2)^2", "square-of-sum"),
    ("loss/bernoulli_nll_logit.deriv", 3, "log(1 + exp(t))", "log(1) + t", "log-of-sum-split|dropped-term"),
    ("loss/bernoulli_nll_logit.deriv", 3, "- x*t", "+ x*t", "sign-error"),
    ("loss/loss_log_variance_two_dims.deriv", 1, ")/2 - 1", ")/2 - 1/2", "dimension-count"),
    ("loss/loss_log_variance_two_dims.deriv", 1, "- l1 - l2", "- l1/2 - l2/2", "log-std-for-log-variance"),
    ("loss/vae_loss_total.tex", 1, r"h + g^2 - \log h - 1", r"h^2 + g^2 - \log h - 1", "variance-as-std"),
    ("loss/vae_loss_total.tex", 1, r"h + g^2 - \log h - 1", r"h + g^2 - \log h", "missing-minus-one"),
    ("loss/bernoulli_nll_logit.tex", 3, r"\log(1 + e^{t})", r"\log 1 + t", "log-of-sum-split|dropped-term"),
    ("loss/bernoulli_nll_logit.tex", 3, r"- xt", r"+ xt", "sign-error"),
    ("loss/squared_norm_two_dims.tex", 1, r"- 2x_1y_1", r"+ 2x_1y_1", "cross-term-sign"),
    ("loss/squared_norm_two_dims.tex", 2, r"(x_1^2 + x_2^2) - 2(x_1y_1 + x_2y_2) + (y_1^2 + y_2^2)", r"(x_1 + x_2 - y_1 - y_2)^2", "square-of-sum"),
    # --- derivatives ---------------------------------------------------------------------
    ("derivatives/dkl_dmu.deriv", 2, "= mu", "= 2*mu", "factor-two|dropped-half"),
    ("derivatives/dkl_dmu.deriv", 1, "diff(mu^2, mu)/2", "diff(mu^2, mu)", "dropped-half"),
    ("derivatives/dkl_dsigma.deriv", 1, "(2*s - 2/s)/2", "(2*s - 1/s^2)/2", "chain-rule-factor-forgotten"),
    ("derivatives/dkl_dsigma.deriv", 2, "s - 1/s", "s + 1/s", "sign-error"),
    ("derivatives/dkl_dlogvar.deriv", 1, "(exp(l) - 1)/2", "exp(l)/2", "dropped-term"),
    ("derivatives/dkl_dlogvar.deriv", 1, "(exp(l) - 1)/2", "exp(l) - 1", "dropped-half"),
    ("derivatives/reparameterisation_gradient.deriv", 2, "n*2*(mu + s*e)", "n*2*(mu + s*e)*s", "chain-rule-factor-wrong"),
    ("derivatives/reparameterisation_gradient.deriv", 3, "2*mu", "2*mu + 2*s", "wrong-moment"),
    ("derivatives/score_function_gradient.deriv", 2, "(m^3 + 3*m)", "(m^3 + m)", "wrong-moment"),
    ("derivatives/score_function_gradient.deriv", 1, "(z - m)", "(m - z)", "sign-error|chain-rule-factor-forgotten"),
    ("derivatives/dloss_dreconstruction.deriv", 1, "2*C*(x - xh)*(-1)", "2*C*(x - xh)", "chain-rule-factor-forgotten"),
    ("derivatives/dloss_dreconstruction.deriv", 2, "2*C*(xh - x)", "C*(xh - x)", "extra-half"),
    ("derivatives/sigmoid_derivative.deriv", 1, "exp(-t)/(1 + exp(-t))^2", "-exp(-t)/(1 + exp(-t))^2", "chain-rule-factor-forgotten"),
    ("derivatives/sigmoid_derivative.deriv", 2, "p*(1 - p)", "p*(1 + p)", "sign-error"),
    ("derivatives/dkl_dmu_sum.deriv", 1, "= m(j)", "= Sum(m(d), (d, 1, D))", "index-confused"),
    ("derivatives/dkl_dmu_sum.deriv", 1, "= m(j)", "= 2*m(j)", "factor-two"),
    ("derivatives/dkl_dmu.tex", 2, r"&= \mu", r"&= 2\mu", "factor-two|dropped-half"),
    ("derivatives/dkl_dmu.tex", 1, r"\frac{1}{2}\cdot 2\mu", r"\frac{1}{2}\cdot \mu", "power-rule-factor"),
    ("derivatives/dkl_dsigma.tex", 1, r"2\sigma - \frac{2}{\sigma}", r"2\sigma - \frac{1}{\sigma^2}", "chain-rule-factor-forgotten"),
    ("derivatives/dkl_dsigma.tex", 2, r"\sigma - \frac{1}{\sigma}", r"\sigma + \frac{1}{\sigma}", "sign-error"),
    ("derivatives/sigmoid_derivative.tex", 1, r"\frac{e^{-t}}", r"-\frac{e^{-t}}", "chain-rule-factor-forgotten"),
    ("derivatives/sigmoid_derivative.tex", 2, r"\left(1 - \frac", r"\left(1 + \frac", "sign-error"),
    # --- sums ----------------------------------------------------------------------------
    ("sums/poisson_normalisation.deriv", 2, "exp(-lam)*exp(lam)", "exp(-lam)*(exp(lam) - 1)", "index-shift"),
    ("sums/poisson_normalisation.deriv", 1, "exp(-lam)*Sum(", "exp(lam)*Sum(", "sign-error"),
    ("sums/poisson_mean.deriv", 1, "(k, 1, oo)", "(k, 2, oo)", "index-shift"),
    ("sums/poisson_mean.deriv", 3, "= lam", "= lam^2", "wrong-moment"),
    ("sums/geometric_series.deriv", 1, "1/(1 - r)", "1/(1 + r)", "sign-error"),
    ("sums/geometric_series.deriv", 1, "1/(1 - r)", "r/(1 - r)", "index-shift"),
    ("sums/squared_norm_sum.deriv", 1, " - 2*Sum(x(d)*y(d), (d, 1, D))", "", "missing-cross-term"),
    ("sums/squared_norm_sum.deriv", 1, "- 2*Sum(", "+ 2*Sum(", "cross-term-sign"),
    ("sums/average_over_data.deriv", 1, "(i, 1, N))/N", "(i, 1, N))", "dropped-factor"),
    ("sums/average_over_data.deriv", 1, "C*Sum(", "C*N*Sum(", "dimension-count"),
    ("sums/kl_diag_sum_logvar.deriv", 1, "- D)/2", "- 1)/2", "dimension-count"),
    ("sums/kl_diag_sum_logvar.deriv", 1, "- l(d), (d", "+ l(d), (d", "sign-error"),
    ("sums/poisson_normalisation.tex", 2, r"e^{-\lambda}e^{\lambda}", r"e^{-\lambda}(e^{\lambda} - 1)", "index-shift"),
    ("sums/poisson_normalisation.tex", 1, r"e^{-\lambda}\sum", r"e^{\lambda}\sum", "sign-error"),
    # --- discrete ------------------------------------------------------------------------
    ("discrete/kl_bernoulli_logit.deriv", 2, "+ (1 - a)*(v - u)", "+ a*(v - u)", "complement-probability"),
    ("discrete/kl_bernoulli_logit.deriv", 2, "log(1 + exp(-v)) - log(1 + exp(-u))", "log(1 + exp(-u)) - log(1 + exp(-v))", "log-ratio-flipped"),
    ("discrete/bernoulli_moments.deriv", 1, "t - t^2", "t^2 - t^2", "wrong-moment"),
    ("discrete/bernoulli_moments.deriv", 2, "t*(1 - t)", "t*(1 + t)", "sign-error"),
    ("discrete/binomial_mean_n3.deriv", 1, "+ 2*t*(1 - t)", "+ t*(1 - t)", "binomial-coefficient|extra-half"),
    ("discrete/binomial_mean_n3.deriv", 2, "= 3*t", "= t", "constant-wrong"),
    ("discrete/kl_poisson.deriv", 2, "- a + b", "+ a - b", "sign-error"),
    ("discrete/kl_poisson.deriv", 2, "a*log(a/b)", "b*log(a/b)", "wrong-moment"),
    ("discrete/kl_categorical_three.deriv", 2, "+ log(B/A)", "+ log(A/B)", "log-ratio-flipped"),
    ("discrete/kl_categorical_three.deriv", 2, "+ log(B/A)", "+ log(B) - log(a1) - log(a2) - log(a3)", "log-of-sum-split"),
    ("discrete/categorical_uniform_entropy.deriv", 1, "-log(1/K)", "-log(1/K)/K", "dimension-count"),
    ("discrete/categorical_uniform_entropy.deriv", 2, "log(K)", "-log(K)", "overall-sign|log-ratio-flipped"),
    ("discrete/geometric_mean.deriv", 1, "p/(1 - (1 - p))^2", "p/(1 - (1 - p))", "wrong-series"),
    ("discrete/geometric_mean.deriv", 2, "1/p", "(1 - p)/p", "index-shift"),
    ("discrete/kl_poisson.tex", 2, r"- a + b", r"+ a - b", "sign-error"),
    ("discrete/kl_poisson.tex", 2, r"a\log\frac{a}{b}", r"b\log\frac{a}{b}", "wrong-moment"),
    ("discrete/binomial_mean_n3.tex", 1, r"+ 2t(1 - t)", r"+ t(1 - t)", "binomial-coefficient|extra-half"),
    ("discrete/binomial_mean_n3.tex", 2, r"&= 3t", r"&= t", "constant-wrong"),
    # --- continuous ----------------------------------------------------------------------
    ("continuous/kl_exponential.deriv", 3, "log(a/b) + b/a", "log(b/a) + b/a", "log-ratio-flipped"),
    ("continuous/kl_exponential.deriv", 2, "(a - b)/a", "(a - b)*a", "rate-for-scale"),
    ("continuous/kl_laplace_same_location.deriv", 2, "- 1 + b1/b2", "- 1 + b2/b1", "ratio-flipped"),
    ("continuous/kl_laplace_same_location.deriv", 2, "log(b2/b1)", "log(b1/b2)", "log-ratio-flipped"),
    ("continuous/kl_uniform_nested.deriv", 1, "log((a + w)/a)", "log(a/(a + w))", "log-ratio-flipped"),
    ("continuous/kl_uniform_nested.deriv", 1, "log((a + w)/a)", "log(a + w)", "dropped-term"),
    ("continuous/kl_lognormal.deriv", 2, "/(2*s^2)", "/(s^2)", "dropped-half"),
    ("continuous/kl_lognormal.deriv", 1, "((log(y) - m2)^2 - (log(y) - m1)^2)", "((log(y) - m1)^2 - (log(y) - m2)^2)", "overall-sign"),
    ("continuous/kl_gamma_shared_shape.deriv", 2, "(a - b)*k/a", "(a - b)*k*a", "rate-for-scale"),
    ("continuous/kl_gamma_shared_shape.deriv", 3, "k*(log(a/b) + b/a - 1)", "k*log(a/b) + b/a - 1", "factor-on-one-term"),
    ("continuous/kl_exponential.tex", 2, r"\log\frac{a}{b} + \frac{b}{a}", r"\log\frac{b}{a} + \frac{b}{a}", "log-ratio-flipped"),
    ("continuous/kl_exponential.tex", 2, r"\log\frac{a}{b} + \frac{b}{a}", r"\log\frac{a}{b} + \frac{a}{b}", "ratio-flipped"),
    ("continuous/lognormal_kl_declared.deriv", 2, "log(s2/s1)", "log(s1/s2)", "log-ratio-flipped"),
    ("continuous/lognormal_kl_declared.deriv", 2, "(s1^2 + (m1 - m2)^2)", "(s1 + (m1 - m2)^2)", "std-for-variance"),
    ("continuous/uniform_moments_declared.deriv", 1, "^2/w, (u, a, a + w))", "^2, (u, a, a + w))", "dropped-factor"),
    ("continuous/uniform_moments_declared.deriv", 2, "w^2/12", "w^2/3", "wrong-moment"),
    ("discrete/geometric_kl_declared.deriv", 1, "(k - 1)*log", "k*log", "index-shift"),
    ("discrete/geometric_kl_declared.deriv", 2, "(1 - a)/a*log", "(1 - a)*log", "wrong-moment"),
    ("discrete/binomial_kl_declared.deriv", 1, "k*log(a/b) +", "k*log(b/a) +", "log-ratio-flipped"),
    ("discrete/binomial_kl_declared.deriv", 2, "n*a*log(a/b)", "a*log(a/b)", "dropped-factor|factor-on-one-term"),
    # --- inequalities --------------------------------------------------------------------
    ("inequalities/gibbs_two_point.deriv", 1, "<= a*", ">= a*", "inequality-reversed"),
    ("inequalities/gibbs_two_point.deriv", 2, "= 0", "= 1", "constant-wrong"),
    ("inequalities/log_below_tangent.deriv", 1, "<= t - 1", ">= t - 1", "inequality-reversed"),
    ("inequalities/log_below_tangent.deriv", 1, "<= t - 1", "<= t - 2", "constant-wrong"),
    ("inequalities/kl_gaussian_nonnegative_means.deriv", 1, ">= 0", "<= 0", "inequality-reversed"),
    ("inequalities/kl_gaussian_nonnegative_means.deriv", 1, ">= 0", ">= 1", "constant-wrong"),
    ("inequalities/beta_kl_nonnegative.deriv", 1, ">= beta*", "<= beta*", "inequality-reversed"),
    ("inequalities/beta_kl_nonnegative.deriv", 2, ">= 0", ">= beta/2", "constant-wrong"),
    ("inequalities/elbo_below_evidence.deriv", 2, ">= E[", "<= E[", "inequality-reversed"),
    ("inequalities/elbo_below_evidence.deriv", 1, "+ KL(q(z|x), p(z|x))", "- KL(q(z|x), p(z|x))", "sign-error"),
    ("inequalities/am_gm.deriv", 2, ">= sqrt(a*b)", "<= sqrt(a*b)", "inequality-reversed"),
    ("inequalities/am_gm.deriv", 1, "(sqrt(a) - sqrt(b))^2/2", "(sqrt(a) - sqrt(b))^2", "dropped-half"),
    ("inequalities/jensen_quadratic.deriv", 2, ">= m^2", "<= m^2", "inequality-reversed"),
    ("inequalities/jensen_quadratic.deriv", 1, "m^2 + s^2", "m^2", "second-moment-missing-variance"),
    ("inequalities/elbo_below_evidence.tex", 2, r"&\ge", r"&\le", "inequality-reversed"),
    ("inequalities/elbo_below_evidence.tex", 1, r"+ \mathrm{KL}(q(z|x), p(z|x))", r"- \mathrm{KL}(q(z|x), p(z|x))", "sign-error"),
    ("inequalities/am_gm.tex", 2, r"&\ge", r"&\le", "inequality-reversed"),
    ("inequalities/am_gm.tex", 1, r"\frac{1}{2}\left(\sqrt{a}", r"\left(\sqrt{a}", "dropped-half"),
    # --- identities (corpus2) ----------------------------------------------------------
    ("identities/log_sigmoid_softplus.tex", 1, r"\log 1 - \log", r"\log 1 + \log", "sign-error|log-ratio-flipped"),
    ("identities/log_sigmoid_softplus.tex", 4, r"x - \log", r"-x - \log", "sign-error"),
    ("identities/log_sigmoid_softplus.tex", 2, r"-\log\left(1 + e^{-x}\right)", r"-\log 1 - \log e^{-x}", "log-of-sum-split"),
    ("identities/softplus_difference.deriv", 1, "log((1 + exp(x))/(1 + exp(-x)))", "log((1 + exp(-x))/(1 + exp(x)))", "log-ratio-flipped"),
    ("identities/softplus_difference.deriv", 4, "= x", "= -x", "overall-sign"),
    ("identities/softplus_difference.deriv", 2, "log(exp(x)*(exp(-x) + 1)", "log(exp(x)*(exp(-x) - 1)", "sign-error"),
    ("identities/softplus_difference.tex", 1, r"\log\frac{1 + e^{x}}{1 + e^{-x}}", r"\log\frac{1 + e^{-x}}{1 + e^{x}}", "log-ratio-flipped"),
    ("identities/softplus_difference.tex", 3, r"\log e^{x}", r"\log e^{-x}", "sign-error|overall-sign"),
    ("identities/sigmoid_symmetry.tex", 1, r"1 + e^{-x} - 1", r"1 + e^{-x} + 1", "sign-error"),
    ("identities/sigmoid_symmetry.tex", 3, r"\frac{1}{e^{x} + 1}", r"\frac{1}{e^{-x} + 1}", "sign-error"),
    ("identities/softplus_derivative.tex", 1, r"\frac{e^{x}}{1 + e^{x}}", r"\frac{1}{1 + e^{x}}", "chain-rule-factor-forgotten"),
    ("identities/softplus_derivative.tex", 2, r"\frac{1}{e^{-x} + 1}", r"\frac{1}{e^{x} + 1}", "sign-error"),
    ("identities/logit_inverse.deriv", 1, "(exp(-x)/(1 + exp(-x)))", "(exp(x)/(1 + exp(-x)))", "sign-error|log-ratio-flipped|overall-sign"),
    ("identities/logit_inverse.deriv", 2, "log(1/exp(-x))", "log(exp(-x))", "log-ratio-flipped|overall-sign"),
    ("identities/logit_inverse.deriv", 3, "= x", "= -x", "overall-sign"),
    ("identities/tanh_sigmoid.deriv", 1, "(1 - exp(-2*x))/(1 + exp(-2*x))", "(1 - exp(-x))/(1 + exp(-x))", "exponent-factor-lost"),
    ("identities/tanh_sigmoid.deriv", 3, "2/(1 + exp(-2*x)) - 1", "1/(1 + exp(-2*x)) - 1", "constant-wrong"),
    ("identities/tanh_sigmoid.deriv", 3, "2/(1 + exp(-2*x)) - 1", "2/(1 + exp(-2*x)) + 1", "sign-error"),
    ("identities/log_sum_exp_shift.tex", 1, r"e^{b - m}", r"e^{b + m}", "sign-error"),
    ("identities/log_sum_exp_shift.tex", 2, r"\log e^{m} + \log\left(", r"\log e^{m} \cdot \log\left(", "log-of-product-as-product"),
    ("identities/log_sum_exp_shift.tex", 3, r"m + \log", r"-m + \log", "sign-error"),
    ("identities/log_sum_exp_bound.deriv", 2, "<= a", ">= a", "inequality-reversed"),
    ("identities/log_sum_exp_bound.deriv", 1, "a + log(1 + exp(-d))", "a + log(exp(-d))", "dropped-term"),
    ("identities/log_sum_exp_bound.deriv", 3, "a + log(2)", "a + 2", "constant-wrong"),
    # --- expfamily (corpus2) -------------------------------------------------------------
    ("expfamily/bernoulli_natural_form.tex", 1, r"(1 - x)\log(1 - t)", r"(1 - x)\log t", "complement-probability"),
    ("expfamily/bernoulli_natural_form.tex", 2, r"x\log\frac{t}{1 - t}", r"x\log\frac{1 - t}{t}", "log-ratio-flipped"),
    ("expfamily/bernoulli_natural_form.tex", 3, r"- \log\left(1 + \frac", r"+ \log\left(1 + \frac", "sign-error"),
    ("expfamily/bernoulli_log_partition.deriv", 2, "- exp(2*eta)/(1 + exp(eta))^2", "- exp(2*eta)/(1 + exp(eta))", "power-rule-factor"),
    ("expfamily/bernoulli_log_partition.deriv", 3, "*(1 - exp(eta)", "*(1 + exp(eta)", "sign-error"),
    ("expfamily/bernoulli_log_partition.deriv", 1, "diff(exp(eta)/(1 + exp(eta)), eta)", "diff(1/(1 + exp(eta)), eta)", "chain-rule-factor-forgotten"),
    ("expfamily/poisson_log_partition.deriv", 1, "- lam - log(factorial(k))", "- lam + log(factorial(k))", "sign-error"),
    ("expfamily/poisson_log_partition.deriv", 1, "k*log(lam)", "log(lam)", "log-power-lost"),
    ("expfamily/poisson_log_partition.deriv", 2, "- exp(eta)", "- eta", "natural-for-mean-parameter"),
    ("expfamily/gaussian_natural_parameters.tex", 1, r"+ \frac{x\mu}{\sigma^2}", r"- \frac{x\mu}{\sigma^2}", "cross-term-sign"),
    ("expfamily/gaussian_natural_parameters.tex", 1, r"+ \frac{x\mu}{\sigma^2}", r"+ \frac{2x\mu}{\sigma^2}", "dropped-half"),
    ("expfamily/gaussian_natural_parameters.tex", 2, r"\frac{1}{2\sigma^2}x^2", r"\frac{1}{\sigma^2}x^2", "dropped-half"),
    # --- conjugate (corpus2) -------------------------------------------------------------
    ("conjugate/beta_bernoulli_posterior.tex", 2, r"(a + x - 1)\log t", r"(a + x)\log t", "missing-minus-one"),
    ("conjugate/beta_bernoulli_posterior.tex", 2, r"(b - x)\log(1 - t)", r"(b + x)\log(1 - t)", "sign-error"),
    ("conjugate/beta_bernoulli_posterior.tex", 1, r"(b - 1)\log(1 - t)", r"(b - 1)\log t", "complement-probability"),
    ("conjugate/gamma_poisson_posterior.deriv", 2, "- (b + 1)*r", "- b*r", "dropped-term"),
    ("conjugate/gamma_poisson_posterior.deriv", 1, "+ k*log(r) - r", "+ k*log(r) + r", "sign-error"),
    ("conjugate/gamma_poisson_posterior.deriv", 3, "(a + k - 1)*log(r)", "(a + k)*log(r)", "missing-minus-one"),
    ("conjugate/normal_mean_posterior.tex", 1, r"\frac{2}{s^2}\right) + \mu", r"\frac{1}{s^2}\right) + \mu", "dimension-count"),
    ("conjugate/normal_mean_posterior.tex", 1, r"-\frac{\mu^2}{2}", r"-\mu^2", "dropped-half"),
    ("conjugate/normal_mean_posterior.tex", 3, r"\left(\mu - \frac{\nu}{\lambda}\right)^2", r"\left(\mu - \nu\right)^2", "dropped-factor"),
    ("conjugate/beta_mean.deriv", 2, "gamma(a + 1)*gamma(b)/gamma(a + b + 1)", "gamma(a)*gamma(b)/gamma(a + b)", "index-shift"),
    ("conjugate/beta_mean.deriv", 3, "a/(a + b)", "b/(a + b)", "complement-probability"),
    ("conjugate/beta_mean.deriv", 3, "a/(a + b)", "(a + 1)/(a + b + 1)", "gamma-recursion"),
    ("conjugate/gamma_mean.deriv", 3, "= a/b", "= b/a", "rate-for-scale"),
    ("conjugate/gamma_mean.deriv", 3, "= a/b", "= a/b^2", "wrong-moment"),
    ("conjugate/gamma_mean.deriv", 2, "gamma(a + 1)/b^(a + 1)", "gamma(a + 1)/b^a", "dropped-factor"),
    ("conjugate/linear_gaussian_marginal.deriv", 1, "(2*(w^2 + s^2))", "(2*(w + s^2))", "missing-square"),
    ("conjugate/linear_gaussian_marginal.deriv", 1, "(2*(w^2 + s^2))", "(2*s^2)", "dropped-term"),
    ("conjugate/vb_gaussian_mean_update.tex", 1, r"(l + 2)\mu^2", r"(l + 1)\mu^2", "dimension-count|constant-wrong"),
    ("conjugate/vb_gaussian_mean_update.tex", 1, r"- 2\mu(l\mu_0", r"+ 2\mu(l\mu_0", "cross-term-sign|sign-error"),
    ("conjugate/vb_gaussian_mean_update.tex", 3, r"-\frac{(l + 2)e}{2}", r"-(l + 2)e", "dropped-half"),
    ("conjugate/vb_gaussian_precision_update.tex", 2, r"2(m^2 + s^2)", r"2s^2", "second-moment-missing-mean"),
    ("conjugate/vb_gaussian_precision_update.tex", 2, r"2(m^2 + s^2)", r"2m^2", "second-moment-missing-variance"),
    # --- mixtures (corpus2) --------------------------------------------------------------
    ("mixtures/responsibility_sigmoid.tex", 1, r"\frac{(1 - w) N_2}{w N_1}", r"\frac{w N_1}{(1 - w) N_2}", "ratio-flipped"),
    ("mixtures/responsibility_sigmoid.tex", 2, r"\log\frac{1 - w}{w}", r"\log\frac{w}{1 - w}", "log-ratio-flipped"),
    ("mixtures/responsibility_sigmoid.tex", 3, r"}{2s^2}\right)}", r"}{s^2}\right)}", "dropped-half"),
    ("mixtures/em_decomposition_two_components.deriv", 2, "r*log(u + v) + (1 - r)*log(u + v)", "r*log(u) + (1 - r)*log(v)", "marginal-as-one"),
    ("mixtures/em_decomposition_two_components.deriv", 3, "= log(u + v)", "= log(u) + log(v)", "log-of-sum-split"),
    ("mixtures/em_decomposition_two_components.deriv", 1, "log(r*(u + v)/u)", "log(u/(r*(u + v)))", "log-ratio-flipped"),
    ("mixtures/mixture_jensen_bound.deriv", 2, ">= r*log", "<= r*log", "inequality-reversed|jensen-reversed"),
    ("mixtures/mixture_jensen_bound.deriv", 2, ">= r*log", "= r*log", "jensen-as-equality"),
    ("mixtures/mixture_jensen_bound.deriv", 3, "- r*log(r) - (1 - r)*log(1 - r)", "+ r*log(r) + (1 - r)*log(1 - r)", "sign-error"),
    ("mixtures/mstep_mixing_weight.tex", 1, r"- \frac{N_2}{1 - w}", r"+ \frac{N_2}{1 - w}", "chain-rule-factor-forgotten"),
    ("mixtures/mstep_mixing_weight.tex", 3, r"N_1 - (N_1 + N_2)w", r"N_1 - N_2 w", "dropped-term"),
    ("mixtures/mstep_mixing_weight.tex", 3, r"(N_1 + N_2)w", r"(N_1 - N_2)w", "sign-error"),
    ("mixtures/mstep_mean.deriv", 1, "(r1*(x1 - m) + r2*(x2 - m))/s^2", "(r1*(m - x1) + r2*(m - x2))/s^2", "chain-rule-factor-forgotten|overall-sign"),
    ("mixtures/mstep_mean.deriv", 1, "(r1*(x1 - m) + r2*(x2 - m))/s^2", "(r1*(x1 - m) + r2*(x2 - m))/(2*s^2)", "extra-half"),
    ("mixtures/mstep_mean.deriv", 2, "(r1*x1 + r2*x2)/(r1 + r2)", "(x1 + x2)/2", "dropped-factor"),
    # --- elbo (corpus2) ------------------------------------------------------------------
    ("elbo/rate_distortion.tex", 1, r"\right] - \mathbb{E}", r"\right] + \mathbb{E}", "sign-error|log-density-sign"),
    ("elbo/rate_distortion.tex", 2, r"+ \log p(z) - \log q(z|x)", r"- \log p(z) + \log q(z|x)", "log-ratio-flipped|log-density-sign"),
    ("elbo/rate_distortion.tex", 3, r"\mathrm{KL}(q(z|x) \,\|\, p(z))", r"\mathrm{KL}(p(z) \,\|\, q(z|x))", "kl-direction-swapped"),
    ("elbo/kl_annealing.deriv", 1, "+ (1 - beta)*KL", "- (1 - beta)*KL", "sign-error"),
    ("elbo/kl_annealing.deriv", 2, ">= E", "<= E", "inequality-reversed"),
    ("elbo/kl_annealing.deriv", 1, "+ (1 - beta)*KL", "+ beta*KL", "complement-probability"),
    ("elbo/kl_annealing.tex", 1, r"+ (1 - \beta)\,\mathrm{KL}", r"+ \beta\,\mathrm{KL}", "complement-probability"),
    ("elbo/kl_annealing.tex", 2, r"&\ge", r"&\le", "inequality-reversed"),
    ("elbo/vampprior_log_density.deriv", 1, "- log(2) - log(2*pi)/2", "- log(2*pi)/2", "dropped-term|dropped-half"),
    ("elbo/vampprior_log_density.deriv", 1, "- log(2) - log(2*pi)/2", "- log(2) - log(2*pi)", "dropped-half"),
    ("elbo/vampprior_log_density.deriv", 2, "(2*s^2) - log(s))", "(2*s^2) + log(s))", "sign-error"),
    ("elbo/elbo_conjugate_gaussian.deriv", 1, "- ((x - m)^2 + s^2)/2", "- (x - m)^2/2", "second-moment-missing-variance"),
    ("elbo/elbo_conjugate_gaussian.deriv", 1, "+ log(2*pi*s^2)/2 + 1/2", "+ log(2*pi*s^2)/2", "missing-minus-one"),
    ("elbo/elbo_conjugate_gaussian.deriv", 2, "log(s^2/v)/2", "log(v/s^2)/2", "log-ratio-flipped"),
    ("elbo/cavi_mixture_assignment.deriv", 2, "(m^2 + s^2)/2", "m^2/2", "second-moment-missing-variance"),
    ("elbo/cavi_mixture_assignment.deriv", 2, "(m^2 + s^2)/2", "(m^2 + s)/2", "std-for-variance"),
    ("elbo/cavi_mixture_assignment.deriv", 1, "E[mu^2, mu ~ q(mu)]/2", "E[mu^2, mu ~ q(mu)]", "dropped-half"),
    ("elbo/reparam_log_q.tex", 1, r"- \log\sigma - \frac{(\sigma\epsilon)^2}", r"- \log\sigma^2 - \frac{(\sigma\epsilon)^2}", "log-variance-for-log-std"),
    ("elbo/reparam_log_q.tex", 2, r"- \frac{\epsilon^2}{2}", r"- \frac{\epsilon^2}{2\sigma^2}", "substitution-incomplete"),
    ("elbo/reparam_log_q.tex", 3, r"- \log\sigma", r"+ \log\sigma", "sign-error"),
    # --- flows (corpus2) -----------------------------------------------------------------
    ("flows/affine_change_of_variables.deriv", 1, "- log(2*pi)/2 - log(a)", "- log(2*pi)/2 + log(a)", "sign-error"),
    ("flows/affine_change_of_variables.deriv", 2, "log(2*pi*a^2)/2", "log(2*pi*a)/2", "log-std-for-log-variance"),
    ("flows/affine_change_of_variables.deriv", 1, "(2*a^2)", "(2*a)", "std-for-variance"),
    ("flows/planar_flow_logdet.deriv", 1, "1 + u*w*(1 - tanh(w*z + b)^2)", "1 + u*(1 - tanh(w*z + b)^2)", "chain-rule-factor-forgotten"),
    ("flows/planar_flow_logdet.deriv", 1, "(1 - tanh(w*z + b)^2)", "(1 + tanh(w*z + b)^2)", "sign-error"),
    ("flows/planar_flow_logdet.deriv", 2, "*(1 + tanh(w*z + b)))", "*(1 - tanh(w*z + b)))", "sign-error"),
    ("flows/triangular_logdet.tex", 1, r"a d - 0 \cdot c", r"a d - c", "dropped-factor"),
    ("flows/triangular_logdet.tex", 2, r"\log a + \log d", r"\log a - \log d", "sign-error"),
    ("flows/triangular_logdet.tex", 2, r"\log a + \log d", r"\log a \cdot \log d", "log-of-product-as-product"),
    ("flows/lognormal_change_of_variables.deriv", 1, "+ log(1/y)", "+ log(y)", "ratio-flipped|log-ratio-flipped|sign-error"),
    ("flows/lognormal_change_of_variables.deriv", 2, "- log(y)", "", "dropped-term"),
    ("flows/lognormal_change_of_variables.deriv", 1, "(2*s^2) - log(2*pi*s^2)/2", "(2*s^2) - log(2*pi*s^2)", "dropped-half"),
    # --- information (corpus2) -----------------------------------------------------------
    ("information/entropy_chain_rule_binary.deriv", 2, "- a*((1 - c)*log(1 - c) + c*log(c))", "- ((1 - c)*log(1 - c) + c*log(c))", "dropped-factor"),
    ("information/entropy_chain_rule_binary.deriv", 2, "- (1 - a)*((1 - b)", "- a*((1 - b)", "complement-probability"),
    ("information/entropy_chain_rule_binary.deriv", 1, "- (1 - a)*((1 - b)", "+ (1 - a)*((1 - b)", "sign-error"),
    ("information/mutual_information_kl.tex", 1, r"\frac{p(x) p(y|x)}{p(x) p(y)}", r"\frac{p(y) p(y|x)}{p(x) p(y)}", "product-rule-wrong"),
    ("information/mutual_information_kl.tex", 2, r"\log p(y|x) - \log p(y)", r"\log p(y) - \log p(y|x)", "log-ratio-flipped"),
    ("information/kl_chain_rule.tex", 2, r"\log\frac{p(x)}{q(x)}", r"\log\frac{q(x)}{p(x)}", "log-ratio-flipped"),
    ("information/kl_chain_rule.tex", 2, r"\right] + \mathbb{E}", r"\right] - \mathbb{E}", "sign-error"),
    ("information/kl_bernoulli_uniform.tex", 1, r"+ (t + 1 - t)\log 2", r"- (t + 1 - t)\log 2", "sign-error"),
    ("information/kl_bernoulli_uniform.tex", 2, r"&= \log 2 - \left(", r"&= \log 2 + \left(", "sign-error"),
    ("information/kl_bernoulli_uniform.tex", 1, r"(1 - t)\log(1 - t) + (t", r"(1 - t)\log t + (t", "complement-probability"),
    ("information/cross_entropy_decomposition.deriv", 2, "a*log(a/b)", "a*log(b/a)", "log-ratio-flipped"),
    ("information/cross_entropy_decomposition.deriv", 2, "(1 - a)*log((1 - a)/(1 - b))", "(1 - a)*log(a/b)", "complement-probability"),
    ("information/cross_entropy_decomposition.deriv", 1, "+ a*log(a) + (1 - a)*log(1 - a) - a*log(b)", "- a*log(a) - (1 - a)*log(1 - a) - a*log(b)", "sign-error"),
    ("information/softmax_entropy.tex", 1, r"\left(a_2 - \log Z\right)", r"\left(a_2 + \log Z\right)", "sign-error"),
    ("information/softmax_entropy.tex", 3, r"&= \log Z - \frac", r"&= -\log Z - \frac", "sign-error"),
    ("information/softmax_entropy.tex", 3, r"&= \log Z - \frac", r"&= 3\log Z - \frac", "dimension-count"),
    ("information/gumbel_softmax_two_categories.deriv", 1, "1/(1 + exp((b + g2)/tau - (a + g1)/tau))", "1/(1 + exp((a + g1)/tau - (b + g2)/tau))", "sign-error"),
    ("information/gumbel_softmax_two_categories.deriv", 2, "/tau))", "*tau))", "rate-for-scale"),
    # --- moments (corpus2) ---------------------------------------------------------------
    ("moments/gaussian_mgf.tex", 2, r"e^{\mu t + \frac{\sigma^2 t^2}{2}}", r"e^{\mu t + \sigma^2 t^2}", "dropped-half"),
    ("moments/gaussian_mgf.tex", 2, r"e^{\mu t + \frac{\sigma^2 t^2}{2}}", r"e^{\mu t + \frac{\sigma t^2}{2}}", "std-for-variance"),
    ("moments/gaussian_mgf.tex", 1, r"+ \mu t + \frac{\sigma^2 t^2}{2}}", r"+ \mu t - \frac{\sigma^2 t^2}{2}}", "sign-error"),
    ("moments/gaussian_mgf_derivatives.deriv", 1, "(mu + s^2*t)*exp", "(mu + s^2*t/2)*exp", "power-rule-factor|extra-half"),
    ("moments/gaussian_mgf_derivatives.deriv", 2, "(s^2 + (mu + s^2*t)^2)", "(mu + s^2*t)^2", "dropped-term"),
    ("moments/gaussian_mgf_derivatives.deriv", 2, "(s^2 + (mu + s^2*t)^2)", "(s^2 + (mu + s^2*t))", "missing-square"),
    ("moments/poisson_mgf.deriv", 1, "(lam*exp(t))^k", "lam*exp(t)^k", "power-on-one-factor"),
    ("moments/poisson_mgf.deriv", 3, "exp(lam*(exp(t) - 1))", "exp(lam*(exp(t) + 1))", "sign-error"),
    ("sums/geometric_failures_interval.deriv", 1, "p*(1 - p)*Sum(", "p*Sum(", "dropped-factor"),
    ("sums/geometric_failures_interval.deriv", 2, "/(1 - (1 - p))^2", "/(1 - (1 - p))", "wrong-series"),
    ("moments/bernoulli_cumulant.deriv", 1, "p*exp(t)/(1 - p + p*exp(t))", "p*exp(t)/(p + p*exp(t))", "complement-probability"),
    ("moments/bernoulli_cumulant.deriv", 2, "1/(1 + (1 - p)*exp(-t)/p)", "1/(1 + (1 - p)*exp(t)/p)", "sign-error"),
    ("moments/bernoulli_cumulant.deriv", 1, "p*exp(t)/(1 - p + p*exp(t))", "p*exp(t)", "dropped-factor"),
    # --- entropy (corpus2) ---------------------------------------------------------------
    ("entropy/diagonal_gaussian_entropy.tex", 2, r"&= 1 + \log(2\pi)", r"&= \frac{1}{2} + \log(2\pi)", "dimension-count|extra-half"),
    ("entropy/diagonal_gaussian_entropy.tex", 2, r"\log\sigma_1 + \log\sigma_2", r"2\log\sigma_1 + 2\log\sigma_2", "log-variance-for-log-std"),
    ("entropy/diagonal_gaussian_entropy.tex", 1, r"+ \frac{1}{2}\log(2\pi e\sigma_2^2)", r"+ \log(2\pi e\sigma_2^2)", "dropped-half"),
    ("sums/average_over_data.tex", 1, r"&= \frac{C}{N}\sum", r"&= C\sum", "dropped-factor"),
    ("sums/average_over_data.tex", 2, r"- 2\sum_{i=1}^{N} x_i y_i", r"- \sum_{i=1}^{N} x_i y_i", "binomial-coefficient|extra-half"),
    ("sums/average_over_data.tex", 3, r"+ \sum_{i=1}^{N-1} (x_i - y_i)^2", r"+ \sum_{i=1}^{N} (x_i - y_i)^2", "index-shift"),
    # --- multivariate (matrix notation, symbolic dimension D) ----------------------------
    ("multivariate/kl_mvn_trace_logdet.deriv", 1, "- D/2 + log(det(S1))/2", "- D + log(det(S1))/2", "dropped-half"),
    ("multivariate/kl_mvn_trace_logdet.deriv", 2, "- logdet(S0*inv(S1))/2", "+ logdet(S0*inv(S1))/2", "sign-error|log-ratio-flipped"),
    ("multivariate/kl_mvn_trace_logdet.tex", 1, r"+ \frac{1}{2}\log|\Sigma_1| - \frac{1}{2}\log|\Sigma_0|", r"+ \frac{1}{2}\log|\Sigma_0| - \frac{1}{2}\log|\Sigma_1|", "log-ratio-flipped"),
    ("multivariate/kl_mvn_trace_logdet.tex", 2, r"- \frac{1}{2}\log\det(\Sigma_0\Sigma_1^{-1})", r"+ \frac{1}{2}\log\det(\Sigma_0\Sigma_1^{-1})", "sign-error|log-ratio-flipped"),
    ("multivariate/kl_mvn_diagonal_standard.deriv", 1, "Sum(log(s[d]^2), (d, 1, D))", "Sum(log(s[d]), (d, 1, D))", "log-std-for-log-variance"),
    ("multivariate/kl_mvn_diagonal_standard.deriv", 2, "mu[d]^2 - 1 - log", "mu[d]^2 - log", "missing-minus-one"),
    ("multivariate/kl_mvn_diagonal_standard.tex", 1, r"\sum_{d=1}^{D}\log\sigma_d^2\right)", r"\sum_{d=1}^{D}\log\sigma_d\right)", "log-std-for-log-variance"),
    ("multivariate/kl_mvn_diagonal_standard.tex", 2, r"\mu_d^2 - 1 - \log", r"\mu_d^2 - \log", "missing-minus-one"),
    ("multivariate/kl_mvn_two_diagonal.deriv", 1, "Sum(v1[d]/v2[d], (d, 1, D))", "Sum(v2[d]/v1[d], (d, 1, D))", "ratio-flipped"),
    ("multivariate/kl_mvn_two_diagonal.deriv", 2, "- 1 + log(v2[d]/v1[d])", "- 1 + log(v1[d]/v2[d])", "log-ratio-flipped"),
    ("multivariate/quadratic_form_trace.deriv", 2, "- 2*transpose(mu)", "+ 2*transpose(mu)", "cross-term-sign|sign-error"),
    ("multivariate/quadratic_form_trace.deriv", 2, "- 2*transpose(mu)*inv(S)*x", "- transpose(mu)*inv(S)*x", "binomial-coefficient|extra-half"),
    ("multivariate/quadratic_form_trace.tex", 2, r"- 2\mu^\top", r"+ 2\mu^\top", "cross-term-sign|sign-error"),
    ("multivariate/quadratic_form_trace.tex", 2, r"+ \mu^\top\Sigma^{-1}\mu", r"+ \mu^\top\mu", "dropped-factor"),
    ("multivariate/kl_mvn_from_expectations.deriv", 2, "- D/2 + E[", "- 1/2 + E[", "dimension-count"),
    ("multivariate/kl_mvn_from_expectations.deriv", 3, "tr(inv(S1)*S0)", "tr(inv(S0)*S1)", "ratio-flipped"),
    ("multivariate/kl_mvn_from_expectations.tex", 1, r"- \frac{D}{2} +", r"- \frac{1}{2} +", "dimension-count"),
    ("multivariate/kl_mvn_from_expectations.tex", 2, r"(\mu_0 - \mu_1)^\top\Sigma_1^{-1}(\mu_0 - \mu_1)", r"(\mu_0 - \mu_1)^\top(\mu_0 - \mu_1)", "dropped-factor"),
]

_DERIV_STEP = re.compile(r"\s*(=~|≃|<=|>=|≤|≥|=)")


def _step_lines(lines: list[str], tex: bool) -> list[int]:
    """Indices of the lines that begin a step, in order."""
    out = []
    inside = not tex
    for i, line in enumerate(lines):
        s = line.strip()
        if tex:
            if s.startswith(r"\begin{align"):
                inside = True
                continue
            if s.startswith(r"\end{align"):
                break
            if inside and s.startswith("&"):
                out.append(i)
        elif s and not s.startswith("#") and _DERIV_STEP.match(line) and ":" not in s.split("#")[0][:12]:
            out.append(i)
    return out


def _code_end(line: str, tex: bool) -> int:
    """Where the comment of a line starts (its length if none)."""
    if tex:
        m = re.search(r"(?<!\\)%", line)
    else:
        m = re.search(r"#", line)
    return m.start() if m else len(line)


def mutate(path: Path, step: int, old: str, new: str, mistake: str) -> tuple[Path, str]:
    tex = path.suffix == ".tex"
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")
    c = "%" if tex else "#"
    if lines[0].strip() != f"{c} expect: correct":
        raise SystemExit(f"{path}: first line must be '{c} expect: correct'")
    steps = _step_lines(lines, tex)
    if not 1 <= step <= len(steps):
        raise SystemExit(f"{path}: no step {step} (it has {len(steps)})")
    i = steps[step - 1]
    end = _code_end(lines[i], tex)
    code, comment = lines[i][:end], lines[i][end:]
    if old not in code:
        raise SystemExit(f"{path}: step {step} has no {old!r} in {code!r}")
    changed = code.replace(old, new, 1)
    if changed == code:
        raise SystemExit(f"{path}: step {step}: the edit changes nothing")
    lines[i] = changed + comment
    first = mistake.split("|")[0]
    lines[0] = f"{c} expect: wrong step={step} mistake={mistake}"
    lines.insert(1, f"{c} seeded mistake ({first}) in step {step} of ../{path.name}: "
                    f"{old!r} written as {new!r}; the source's derivation is right.")
    out = path.parent / "wrong" / f"{path.stem}.s{step}.{first}{path.suffix}"
    return out, "\n".join(lines)


def main() -> int:
    written = set()
    for rel, step, old, new, mistake in EDITS:
        out, text = mutate(HERE / rel, step, old, new, mistake)
        if out in written:
            raise SystemExit(f"{out}: two edits write the same file")
        written.add(out)
        out.parent.mkdir(exist_ok=True)
        out.write_text(text, encoding="utf-8")
    stale = [p for p in HERE.glob("*/wrong/*") if p not in written]
    for p in stale:
        p.unlink()
    print(f"{len(written)} wrong derivations written ({len(stale)} stale ones removed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
