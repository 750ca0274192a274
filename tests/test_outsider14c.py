"""Notation and rules met by the fourteenth outsider pass (o14c), each under letters other
than the corpus file's: π declared a symbol of the file (a binomial or Bernoulli proportion,
Held & Sabanés Bové 2014, sec. 2.2; a mixing weight), read as that symbol everywhere, also
below the bar of a derivative, in both formats, while an undeclared π stays the constant."""

from __future__ import annotations

import sympy as sp

from elbo_derivation.core.steps import Verdict
from elbo_derivation.pipeline import check_derivation
from elbo_derivation.verification import read_any

PROVED, REFUTED = Verdict.PROVED, Verdict.REFUTED


def _read(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return read_any(path)


def test_pi_declared_a_proportion_is_a_parameter_below_the_bar_and_in_a_family(tmp_path):
    r"""``% symbols: 0 < \pi < 1`` makes π a proportion: ``\frac{d}{d\pi}`` differentiates in
    it, ``\mathrm{Bernoulli}(\pi)`` takes it as its parameter, and a wrong step is refuted at
    a π inside (0, 1)."""
    text = r"""% symbols: m : positive integer
% symbols: 0 < \pi < 1
% densities: g(k) = Bernoulli(\pi)
\begin{align*}
\frac{d}{d\pi}\left(m\log\pi + \log(1 - \pi)\right)
  &= \frac{m}{\pi} - \frac{1}{1 - \pi} \\
  &= \frac{m}{\pi} + \frac{1}{1 - \pi}
\end{align*}
"""
    d = _read(tmp_path, "proportion.tex", text)
    first = check_derivation(d, time_limit=5.0)
    assert [s.verdict for s in first.steps] == [PROVED, REFUTED]
    (pi_symbol,) = [s for s in d.start.free_symbols if s.name == "pi"]
    assert sp.pi not in d.start.atoms(sp.NumberSymbol)
    where = first.steps[1].result.counterexample
    assert where is not None and 0 < float(where.point[pi_symbol.name]) < 1
    mean = _read(tmp_path, "mean.tex", text.split("\\begin")[0] + "\\begin{align*}\n"
                 "\\mathbb{E}_{g(k)}\\left[\\frac{k}{\\pi}\\right] &= 1 \\\\\n"
                 "  &= \\pi\n\\end{align*}\n")
    assert [s.verdict for s in check_derivation(mean, time_limit=5.0).steps] == [
        PROVED, REFUTED]


def test_pi_declared_in_a_deriv_file_and_the_constant_when_undeclared(tmp_path):
    """``symbols: pi : (0, 1)`` in ``.deriv``: the symbol; without it, ``pi`` is 3.14159..."""
    declared = _read(tmp_path, "w.deriv", "symbols: 0 < pi < 1\nsymbols: s : positive\n\n"
                     "    diff(s*log(1 - pi), pi)\n  = -s/(1 - pi)\n  = s/(1 - pi)\n")
    assert [s.verdict for s in check_derivation(declared, time_limit=5.0).steps] == [
        PROVED, REFUTED]
    plain = _read(tmp_path, "c.deriv", "symbols: s : positive\n\n"
                  "    log(2*pi*s)\n  = log(2*pi) + log(s)\n")
    assert sp.pi in plain.start.atoms(sp.NumberSymbol)
    assert [s.verdict for s in check_derivation(plain, time_limit=5.0).steps] == [PROVED]


def test_a_factorial_index_moved_is_not_a_lost_minus_one(tmp_path):
    r"""μ Σ μ^(k−1) e^(−μ)/(k − 1)! written without its factor μ equals a correct series with
    (k − 2)! in place of (k − 1)!; the −1 of a factorial's argument is an index, so the step is
    never named as the constant −1 lost (a wrong name is worse than none)."""
    d = _read(tmp_path, "series.tex", r"""% symbols: k : integer
% symbols: \mu : positive
\begin{align*}
\sum_{k=1}^{\infty} \frac{\mu^k e^{-\mu}}{(k-1)!}
  &= \sum_{k=1}^{\infty} \frac{\mu^{k-1} e^{-\mu}}{(k-1)!}
\end{align*}
""")
    (step,) = check_derivation(d, time_limit=5.0).steps
    assert step.verdict == REFUTED
    assert step.result.mistake != "missing-minus-one"
    assert "missing-minus-one" not in step.result.mistake_also


def test_a_log_of_an_expanded_product_and_the_monotone_log_bound(tmp_path):
    r"""Bouchard's (2007) step under other letters: log(1 + e^a + e^b + e^(a+b)) equals
    log((1 + e^a)(1 + e^b)) by rule (the product expanded inside the logarithm), and
    c + log(e^(a−c) + e^(b−c)) ≤ c + log(1 + e^(a−c) + e^(b−c) + e^(a+b−2c)) is proved because
    log is increasing; the reversed relation is refuted."""
    head = "% symbols: a, b, c : real\n\\begin{align*}\n"
    d = _read(tmp_path, "eq.tex", head + r"""\log\left(1 + e^{a} + e^{b} + e^{a + b}\right)
  &= \log\left(\left(1 + e^{a}\right)\left(1 + e^{b}\right)\right) \\
  &= \log\left(\left(1 + e^{a}\right)\left(2 + e^{b}\right)\right)
\end{align*}
""")
    steps = check_derivation(d, time_limit=5.0).steps
    assert [s.verdict for s in steps] == [PROVED, REFUTED]
    assert steps[0].result.method == "algebra"
    for relation, verdict in ((r"\le", PROVED), (r"\ge", REFUTED)):
        d = _read(tmp_path, "le.tex", head + r"""\log\left(e^{a} + e^{b}\right)
  &= c + \log\left(e^{a - c} + e^{b - c}\right) \\
  &""" + relation + r""" c + \log\left(1 + e^{a - c} + e^{b - c} + e^{a + b - 2c}\right)
\end{align*}
""")
        steps = check_derivation(d, time_limit=5.0).steps
        assert [s.verdict for s in steps] == [PROVED, verdict]
