# ruff: noqa: E501  (derivations written out as a book prints them)
r"""Guard of the notation variants: a handful of correct files × every rewrite of
``benchmarks/notation_variants.py`` read exactly as the file itself.

The files are chosen so that every rewrite changes at least one of them (the last one is
written here, in notations no corpus file uses: ``\mid`` in a density, ``^T``, ``\mathbf``,
``\mathcal{N}(u \mid w, \kappa^2)``). A rewrite may only leave a file unchanged or be read
into the same expressions: an unreadable variant, or one read differently, fails (the full
run over the corpus, with checks, is the tool's own: ``python benchmarks/notation_variants.py``).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "corpus"
FILES = [
    "elbo/beal_free_energy_decomposition.tex",
    "information/pawitan_exponential_score.tex",
    "moments/vershynin_gaussian_abs_moment.tex",
    "multivariate/kl_mvn_from_expectations.tex",
    "multivariate/mardia_bivariate_conditional.tex",
    "continuous/kullback_exponential_kl.tex",
    "elbo/levine_elbo_jensen_entropy.tex",
    "bayes/bishop_blr_log_posterior.tex",
    "bayes/sivia_coin_error_bar.tex",
    "multivariate/kingma_thesis_full_cov_logq.tex",
]
OWN = r"""% expect: correct
% symbols: D : positive integer
% symbols: v, m : vector(D) real
% symbols: u, w : real
% symbols: kappa : positive
% densities: r(u|w)
\begin{align*}
\log r(u \mid w) + \log \mathcal{N}(u \mid w, \kappa^2) + (\mathbf{v} - \mathbf{m})^T (\mathbf{v} - \mathbf{m})
  &= \log r(u \mid w) - \frac{1}{2}\log(2\pi\kappa^2) - \frac{(u - w)^2}{2\kappa^2}
     + \mathbf{v}^T\mathbf{v} - 2\mathbf{m}^T\mathbf{v} + \mathbf{m}^T\mathbf{m}
\end{align*}
"""


@pytest.fixture(scope="module")
def tool():
    path = ROOT / "benchmarks" / "notation_variants.py"
    spec = importlib.util.spec_from_file_location("notation_variants_under_test", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    own = tmp_path_factory.mktemp("variants") / "own_notations.tex"
    own.write_text(OWN, encoding="utf-8")
    return [CORPUS / f for f in FILES] + [own]


def test_every_rewrite_reads_the_same(tool, files: list[Path]) -> None:
    applied: dict[str, int] = dict.fromkeys(tool.REWRITES, 0)
    bad = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        base, message = tool.reading(text, path.stem)
        assert base is not None, message
        for name, rewrite in tool.REWRITES.items():
            new = rewrite(text)
            if new == text:
                continue
            applied[name] += 1
            sig, message = tool.reading(new, path.stem)
            if sig != base:
                bad.append((name, path.name, message or "read differently"))
    assert not bad, bad
    assert [n for n, k in applied.items() if k == 0] == []


def test_the_rewrites_are_the_same_mathematics(tool) -> None:
    # spot checks of the rewrites themselves: where the meaning could change, no rewrite
    assert tool.cdot_to_juxtaposition(r"2 \cdot 3 + a \cdot b") == r"2 \cdot 3 + a b"
    assert tool.frac_to_slash(r"\frac{a}{b} c + \frac{a}{b}") == r"\frac{a}{b} c +  a/b"
    assert tool.exp_to_e_power(r"\exp(u)^2 + \nu\exp(w)") == r"\exp(u)^2 + \nu e^{w}"
    assert tool.bars_to_det(r"|K|^{-1/2}") == r"|K|^{-1/2}"  # K not declared a matrix
    assert tool.left_right_to_bare(r"\left(a\right) + \left. b \right|_{x=1}") == (
        r"(a) + \left. b \right|_{x=1}")
