"""The errata of the notes: documented, each with a check that confirms it."""

from __future__ import annotations

import pytest

from elbo_derivation.explain import errata
from elbo_derivation.explain.errata import ERRATA, Erratum, ErratumCheck


def test_shape_of_the_list() -> None:
    assert len(ERRATA) == 6
    for e in ERRATA:
        assert isinstance(e, Erratum)
        assert e.title and e.section and len(e.explanation) > 80
    sections = [e.section for e in ERRATA]
    assert "§1" in sections and "Figure 1" in sections and "§4" in sections


@pytest.mark.parametrize("erratum", ERRATA, ids=[e.title[:30] for e in ERRATA])
def test_every_check_confirms_its_erratum(erratum: Erratum) -> None:
    result = erratum.check()
    assert isinstance(result, ErratumCheck)
    assert result.ok is True, result.summary
    assert result.summary


def test_learned_c_changes_the_minimiser() -> None:
    summary = errata._normaliser_only_for_fixed_c().summary
    assert "minimiser c = S/D" in summary and "no minimiser" in summary


def test_encoder_gap_is_the_posterior_kl() -> None:
    assert "KL(q ‖ p(z|x))" in errata._linear_gaussian_gap().summary


def test_a_failed_demonstration_is_reported_as_such() -> None:
    e = Erratum("t", "§0", "x" * 100, lambda: ErratumCheck(False, "did not confirm"))
    assert not e.check() and e.check().summary == "did not confirm"


def test_verify_can_read_them() -> None:
    from elbo_derivation.verification import run_errata

    rows = run_errata()
    assert rows is not None and len(rows) == len(ERRATA)
    assert all(r["ok"] is True for r in rows), [(r["title"], r["summary"]) for r in rows]
