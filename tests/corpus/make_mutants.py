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
    ("gaussian_kl/kl_reverse_direction.deriv", 2, "(1 + mu^2)/(2*s^2)", "mu^2/(2*s^2)", "wrong-moment"),
    ("gaussian_kl/kl_reverse_direction.deriv", 1, "log(s)", "log(s^2)", "log-std-for-log-variance"),
    ("gaussian_kl/kl_notes_final_form.deriv", 3, "log(s2/s1)", "log(s2^2/s1^2)", "log-std-for-log-variance|dropped-half"),
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
    ("gaussian_kl/kl_notes_final_form.tex", 2, r"\log\frac{\sigma_2}{\sigma_1}", r"\log\frac{\sigma_2^2}{\sigma_1^2}", "log-std-for-log-variance|dropped-half"),
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
    ("elbo/jensen_evidence.deriv", 2, "p(x, z)/q(z|x)", "q(z|x)/p(x, z)", "importance-weight-inverted"),
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
