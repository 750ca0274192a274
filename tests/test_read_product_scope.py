"""The scope of a product sign before an explicit ``\\times`` or ``\\cdot``.

``\\prod_{i=1}^{n} c(\\phi)e^{\\phi t_i} \\times c(\\phi)^{n_0}`` (a likelihood times a prior, as
Hoff, sec. 3.3, writes the posterior kernel) was read with the prior inside the product, n
times over, and the correct next step was refuted. A factor free of the index after an
explicit product sign is now refused as ambiguous, with the brackets that settle it; a
factor written inside the product by juxtaposition stays in it, and a sum is unaffected
(both readings of Σ_i a_i × b are equal).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sympy as sp

from elbo_derivation.core.steps import Verdict
from elbo_derivation.errors import DerivationSyntaxError
from elbo_derivation.pipeline import check_derivation
from elbo_derivation.verification import read_any

_HEAD = ("% symbols: j : integer\n% symbols: m, a : positive integer\n"
         "% symbols: \\lambda, u : real\n% functions: g(\\lambda) : positive\n"
         "% functions: s_j : real\n")


def _write(tmp_path: Path, rows: str) -> Path:
    path = tmp_path / "scope.tex"
    path.write_text(_HEAD + "\\begin{align*}\n" + rows + "\n\\end{align*}\n")
    return path


@pytest.mark.parametrize("sign", ["\\times", "\\cdot"])
def test_an_index_free_factor_after_an_explicit_sign_is_refused(tmp_path: Path,
                                                                 sign: str) -> None:
    path = _write(tmp_path, f"\\prod_{{j=1}}^{{m}} g(\\lambda) e^{{\\lambda s_j}} {sign} "
                            "g(\\lambda)^{a} &= g(\\lambda)^{m + a} "
                            "e^{\\lambda\\sum_{j=1}^{m} s_j}")
    with pytest.raises(DerivationSyntaxError) as err:
        read_any(path)
    message = str(err.value)
    assert "scope.tex:7:44:" in message and "\\left(\\prod" in message


def test_the_bracketed_product_reads_with_the_factor_outside(tmp_path: Path) -> None:
    path = _write(tmp_path, "\\left(\\prod_{j=1}^{m} g(\\lambda) e^{\\lambda s_j}\\right) \\times "
                            "g(\\lambda)^{a} &= g(\\lambda)^{m + a} "
                            "e^{\\lambda\\sum_{j=1}^{m} s_j}")
    derivation = read_any(path)
    # the prior's factor g(λ)^a is outside the product, once
    outside = [f for f in sp.Mul.make_args(derivation.start) if not isinstance(f, sp.Product)]
    assert len(outside) == 1 and outside[0].exp == sp.Symbol("a", integer=True, positive=True)
    d = check_derivation(derivation, time_limit=5.0)
    assert d.steps[0].verdict in (Verdict.PROVED, Verdict.NUMERICALLY_SUPPORTED)


def test_juxtaposed_and_indexed_factors_stay_inside(tmp_path: Path) -> None:
    # g(λ) juxtaposed is inside (g^m); u s_j after \times involves the index: inside too
    path = _write(tmp_path, "\\prod_{j=1}^{m} g(\\lambda) e^{\\lambda s_j} \\times u s_j "
                            "&= 0")
    start = read_any(path).start
    assert isinstance(start, sp.Product)
    assert start.free_symbols >= {sp.Symbol("u", real=True)}


def test_a_sum_before_an_explicit_sign_still_reads(tmp_path: Path) -> None:
    path = _write(tmp_path, "\\sum_{j=1}^{m} s_j \\times u &= u\\sum_{j=1}^{m} s_j")
    d = check_derivation(read_any(path), time_limit=5.0)
    assert d.steps[0].verdict is Verdict.PROVED
