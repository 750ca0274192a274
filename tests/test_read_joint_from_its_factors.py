# ruff: noqa: E501  (LaTeX rows kept whole, as a book prints them)
"""A joint density written but not declared, P(c, x), where the product rule writes it through
declared densities of its letter (P(x) and P(c|x)): the densities of one letter are the
marginals and conditionals of one joint, so the joint is read as theirs (InfoGAN's
E_{P(c, x)}[log P(c|x)/P(c)]). A joint with no such chain (only the marginals declared, which
says nothing of independence) is still refused. Letters of no role throughout."""

from __future__ import annotations

import pytest

from elbo_derivation.core.steps import Verdict
from elbo_derivation.errors import DerivationSyntaxError
from elbo_derivation.pipeline import check_derivation
from elbo_derivation.verification import read_any

PROVED, REFUTED = Verdict.PROVED, Verdict.REFUTED

_DERIV = """densities: {dens}

    E[log(r(a|b)/r(a)), a ~ r(a, b)]
  = E[E[log(r(a|b)), a ~ r(a|b)], b ~ r(b)] - E[log(r(a)), a ~ r(a)]
  = E[E[log(r(a|b)), a ~ r(a|b)], b ~ r(b)] + E[log(r(a)), a ~ r(a)]
"""

_TEX = """% densities: {dens}
\\begin{{align*}}
\\mathbb{{E}}_{{r(a, b)}}\\left[\\log r(a, b)\\right]
  &= \\mathbb{{E}}_{{r(b)}}\\left[\\log r(b)\\right] + \\mathbb{{E}}_{{r(b)}}\\left[\\mathbb{{E}}_{{r(a|b)}}\\left[\\log r(a|b)\\right]\\right] \\\\
  &= \\mathbb{{E}}_{{r(b)}}\\left[\\log r(b)\\right] - \\mathbb{{E}}_{{r(b)}}\\left[\\mathbb{{E}}_{{r(a|b)}}\\left[\\log r(a|b)\\right]\\right]
\\end{{align*}}
"""


@pytest.mark.parametrize(("name", "text"), [("joint.deriv", _DERIV), ("joint.tex", _TEX)])
def test_a_joint_of_declared_factors_is_read(tmp_path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text.format(dens="r(a|b), r(a), r(b)"), encoding="utf-8")
    steps = check_derivation(read_any(path), time_limit=5.0).steps
    assert [s.verdict for s in steps] == [PROVED, REFUTED]


@pytest.mark.parametrize(("name", "text"), [("joint.deriv", _DERIV), ("joint.tex", _TEX)])
def test_a_joint_of_marginals_only_is_refused(tmp_path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text.format(dens="r(a), r(b), r(a|b)").replace("r(a|b)", "s(a|b)"),
                    encoding="utf-8")
    with pytest.raises(DerivationSyntaxError) as err:
        read_any(path)
    assert f"{name}:3:" in str(err.value) and "not a declared density" in str(err.value)
