"""Signs, ratios and directions (session 26): what the page tells about a sign.

Each case is a labelled corpus step: the name the page witnesses is given, and the steps whose
page cannot tell the mechanisms apart stay unnamed.
"""

from __future__ import annotations

import pytest
from corpus.support import named_at_label


@pytest.mark.parametrize("relative, name", [
    # t·e^(t−1) − (t + 1)·e^(t−1) after t·e^(t−1) − e^(t−1)·log e^(t−1): the first term kept
    # with its sign contradicts the whole negated; the sign inside (t − 1) is named
    ("information/wrong/nowozin_fgan_kl_conjugate.s1.sign-error.deriv", "sign-error"),
])
def test_a_kept_term_contradicts_the_whole_negated(relative, name):
    assert named_at_label(relative) == name


@pytest.mark.parametrize("relative, name", [
    # one term on both lines: the whole negated is that term's sign (both names reproduce
    # the step; session 28 names the whole where the page shows a sign in front changed: a
    # minus written after log(1/e^(−x)), the minus of −∫ gone when 1/λ is taken out)
    ("identities/wrong/logit_inverse.s3.overall-sign.deriv", "overall-sign"),
    ("moments/wrong/exponential_reparam_mean.s1.sign-error.deriv", "overall-sign"),
    # (p − x) for (x − p) over p(1 − p): no sign in front changed on the page
    ("vi/wrong/ranganath_bernoulli_score.s3.sign-error.deriv", None),
])
def test_one_term_lines(relative, name):
    assert named_at_label(relative) == name


@pytest.mark.parametrize("relative, name", [
    # z + s²·d/dz(−z²/(2(A + s²)) − …) written z + s²z/(A + s²): the derivative's value is
    # −z/(A + s²), so the sign written in front of s²·d/dz says nothing about the sign of
    # the term; the term's sign is named
    ("bayes/wrong/efron_tweedie_normal.s1.sign-error.deriv", "sign-error"),
])
def test_a_sign_in_front_of_an_evaluated_derivative_is_no_witness(relative, name):
    assert named_at_label(relative) == name


@pytest.mark.parametrize("relative", [
    # Σ P(k)(k log(a/b) − a + b) written a log(a/b) + a − b: the two terms −a and b the author
    # wrote stand on the written step as terms of their own, each with the other sign
    "discrete/wrong/kl_poisson.s2.sign-error.deriv",
    "discrete/wrong/kl_poisson.s2.sign-error.tex",
])
def test_two_written_terms_negated_in_an_evaluated_sum(relative):
    assert named_at_label(relative) == "sign-error"
