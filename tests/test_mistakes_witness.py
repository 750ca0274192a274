"""A generic name needs a witness on the page (issue 17: never misnamed).

Each case is a corpus file whose labelled step a value-level entry (a ½, a term, a sign)
reproduces by value while the page shows another mechanism: the name must not be given. The
page-true cases beside them keep their names.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus.support import named_at_label, read_label

from elbo_derivation.explain.catalogue import BY_NAME, WITNESSES

CORPUS = Path(__file__).resolve().parent / "corpus"


_named = named_at_label


def test_every_witness_belongs_to_an_entry():
    for name, kind in WITNESSES.items():
        assert BY_NAME[name].witness == kind


@pytest.mark.parametrize("relative, not_this", [
    # n·p·(1 − p) written n·p: the factor (1 − p) lost, not its term −p
    ("moments/wrong/wasserman_binomial_variance.s2.dropped-factor.deriv", "dropped-term"),
    # d/dt(μ + σ²t/2) after d²/dt²(μt + σ²t²/2): the author's ½ kept, the power rule's 2 lost
    ("moments/wrong/wasserman_normal_cumulants.s1.power-rule-factor.tex", "extra-half"),
    # −(c/2)² written −c²/2: a square lost, no ½ of the page dropped
    ("moments/wrong/wasserman_uniform_variance.s1.missing-square.deriv", "dropped-half"),
    # a·log(1/(a + b)) for a·log(a + b): the log's argument inverted, no sign written
    ("vi/wrong/neal_hinton_optimal_q.s1.log-ratio-flipped.deriv", "sign-error"),
    # e(es + m) written em + es: the term lacking e holds e (a square lost as much)
    ("vi/wrong/blundell_scale_gradient.s2.missing-square.deriv", "factor-on-one-term"),
])
def test_no_name_without_a_witness(relative, not_this):
    assert _named(relative) != not_this


@pytest.mark.parametrize("relative", [
    "bayes/wrong/conjugate_completing_square.s1.dropped-half.deriv",
    "conjugate/wrong/beta_bernoulli_posterior.s2.sign-error.tex",
])
def test_a_witnessed_name_stays(relative):
    assert _named(relative) == read_label(CORPUS / relative).mistake.split("|")[0]
