"""Terms added, constants kept on the page, squares (issue 17, session 26).

Each case is a corpus file whose labelled step the entry reproduces by value and whose page
shows the mechanism, or a unit case of the simulation itself; beside them, cases where the
page shows another mechanism and the name must not be given.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import sympy as sp
from corpus.support import named_at_label

from elbo_derivation.explain import simulations as sim
from elbo_derivation.explain.mistakes import diagnose

a, b, c = sp.symbols("a b c", positive=True)


# --- a term added -------------------------------------------------------------------------------


def test_a_term_added_comes_from_the_written_step_only():
    roles = SimpleNamespace(step_sums=[(a**2, b**2)], step_sums_top=True)
    assert [w for w, _ in sim.term_added_to_whole(a**2, roles)] == [2 * a**2, a**2 + b**2]
    # a step that is no sum at its top adds nothing to the whole
    roles = SimpleNamespace(step_sums=[(a**2, b**2)], step_sums_top=False)
    assert sim.term_added_to_whole(a**2, roles) == []
    # nothing written, nothing added
    assert sim.term_added_to_whole(a**2, SimpleNamespace()) == []


def test_a_term_added_inside_goes_where_the_rest_of_its_sum_stands():
    roles = SimpleNamespace(step_sums=[(c, sp.exp(-a) * sp.exp(-b))])
    out = [w for w, _ in sim.term_added(sp.log(sp.exp(-a) * sp.exp(-b)), roles)]
    assert out == [sp.log(c + sp.exp(-a) * sp.exp(-b))]
    assert sim.term_added(sp.log(a + b), roles) == []


@pytest.mark.parametrize("relative", [
    # e^{t−1} − 1 for e^{t−1}: the −1 written is no term of the right value
    "information/wrong/nowozin_fgan_kl_conjugate.s2.extra-term.deriv",
    # a²s² + b² for a²s²: the shift's b² added to a variance
    "moments/wrong/wasserman_linear_variance.s2.extra-term.deriv",
    # a − b for a
    "vi/wrong/mnih_gregor_baseline.s2.extra-term.deriv",
    # log(c + e^{−a₁}e^{−a₂}) for log(e^{−a₁}e^{−a₂}): the off-diagonal c added inside the log
    "flows/wrong/papamakarios_maf_logdet.s1.extra-term.deriv",
])
def test_a_term_added_on_the_page_is_named(relative):
    assert named_at_label(relative) == "extra-term"


def test_without_a_page_a_term_added_is_not_named():
    # no derivation: nothing says which term the author wrote
    assert getattr(diagnose(a**2, a**2 + b**2, None, None), "name", None) != "extra-term"


# --- a constant said wrong in a bracket the page keeps ------------------------------------------


def test_a_bracket_carried_unchanged_had_no_constant_written_wrong():
    # −log(1/(K − 1)) for −log(eᶠ/(eᶠ + (K − 1)eᶠ)): the term eᶠ dropped; K − 1 written K − 2
    # gives the same value, but K − 1 stands on the page unchanged (the name once depended on
    # the points the screen drew for the names f, K)
    assert named_at_label(
        "information/wrong/oord_infonce_uninformative.s1.dimension-count.deriv") == "dropped-term"
