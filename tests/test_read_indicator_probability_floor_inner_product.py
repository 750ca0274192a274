
r"""Indicators, probabilities of events, integer parts and inner products, as books print them.

An indicator of a relation, ``\mathbb{1}[w > 0]``, ``\mathbb{1}\{c = j\}``, ``\mathbb{I}(w \le
a)``, ``\mathbf{1}_{w > 0}``, is 1 where the relation holds and 0 elsewhere (Kronecker's δ for an
equality of integers); a probability ``\Pr(w \le a)``, ``\mathbb{P}(w > a)``, ``P(n = j)`` of an
event about the variable of a declared density is the expectation of its indicator, so the
distribution function or the pmf of the declared family; ``\lfloor w \rfloor`` and
``\lceil w \rceil`` are the integer parts; ``\langle a, b \rangle`` of two declared vectors is
aᵀb. Each right step below is proved and its wrong twin refuted; the letters are none of the
notes'. References: Wasserman, *All of Statistics* (2004), §2.2 (the cdf, P(X ≤ x) = E[1{X ≤ x}]);
Murphy, *Probabilistic Machine Learning* (2022), §2.4 and §5.1 (one-hot cross-entropy).
"""

from __future__ import annotations

import pytest
import sympy as sp

from elbo_derivation.errors import DerivationSyntaxError
from elbo_derivation.pipeline import check_derivation
from elbo_derivation.read.deriv import parse_derivation
from elbo_derivation.read.tex import parse_tex_derivation

NORMAL = ("% symbols: m, a : real\n% symbols: s : positive\n"
          "% densities: r(w) = \\mathcal{N}(m, s^2)\n")
EXPONENTIAL = ("% symbols: a, \\lambda : positive\n"
               "% densities: r(w) = \\mathrm{Exponential}(\\lambda)\n")
POISSON = ("% symbols: \\lambda : positive\n% symbols: j : nonnegative integer\n"
           "% densities: g(n) = \\mathrm{Poisson}(\\lambda)\n")
CATEGORIES = ("% symbols: K : positive integer\n% symbols: j : integer\n"
              "% symbols: c : integer [1, K]\n% functions: \\rho_j : positive\n")
VECTORS = "% symbols: D : positive integer\n% symbols: a, b : vector(D) real\n% symbols: v : real\n"
REALS = "% symbols: w : real\n% symbols: n : integer\n"


def _tex(header: str, row: str) -> object:
    return parse_tex_derivation(header + "\\begin{align*}\n" + row + "\n\\end{align*}\n",
                                file="n.tex")


def _verdict(header: str, row: str) -> str:
    return check_derivation(_tex(header, row)).steps[0].verdict.value


@pytest.mark.parametrize(("header", "row", "verdict"), [
    # the distribution function of a declared normal, through erf
    (NORMAL, r"\Pr(w \le a) &= \Phi\left(\frac{a - m}{s}\right)", "proved"),
    (NORMAL, r"\mathbb{P}(w > a) &= 1 - \Phi\left(\frac{a - m}{s}\right)", "proved"),
    (NORMAL, r"\mathbb{P}(w > a) &= \Phi\left(\frac{a - m}{s}\right)", "refuted"),
    (NORMAL, r"\mathbb{E}\left[\mathbb{1}[w \le a]\right] &= \Pr(w \le a)", "proved"),
    # of a declared exponential: a limit of the integral over its support
    (EXPONENTIAL, r"\Pr(w \le a) &= 1 - e^{-\lambda a}", "proved"),
    (EXPONENTIAL, r"\mathbb{E}[\mathbf{1}_{w \le a}] &= 1 - e^{-\lambda a}", "proved"),
    (EXPONENTIAL, r"\Pr(w > a) &= e^{-\lambda a}", "proved"),
    (EXPONENTIAL, r"\Pr(w > a) &= 1 - e^{-\lambda a}", "refuted"),
    # the pmf of a declared Poisson
    (POISSON, r"P(n = j) &= \frac{\lambda^j e^{-\lambda}}{j!}", "proved"),
    (POISSON, r"\Pr(n \le 1) &= (1 + \lambda) e^{-\lambda}", "proved"),
    (POISSON, r"\Pr(n \geq 1) &= 1 - e^{-\lambda}", "proved"),
    (POISSON, r"\Pr(n \geq 1) &= e^{-\lambda}", "refuted"),
])
def test_probability_of_an_event_is_the_declared_familys(header: str, row: str,
                                                         verdict: str) -> None:
    assert _verdict(header, row) == verdict


@pytest.mark.parametrize(("row", "verdict"), [
    (r"\sum_{j=1}^{K} \mathbb{1}\{c = j\} \rho_j &= \rho_c", "proved"),
    # the one-hot cross-entropy: −Σ_j 1{c = j} log ρ_j = −log ρ_c
    (r"-\sum_{j=1}^{K} \mathbb{I}(c = j) \log \rho_j &= -\log \rho_c", "proved"),
    (r"\sum_{j=1}^{K} \mathbb{1}[c \neq j] \rho_j &= \sum_{j=1}^{K} \rho_j - \rho_c", "proved"),
    (r"\sum_{j=1}^{K} \mathbb{1}[c \neq j] \rho_j &= \sum_{j=1}^{K} \rho_j", "refuted"),
])
def test_sum_over_an_indicator_of_equality(row: str, verdict: str) -> None:
    assert _verdict(CATEGORIES, row) == verdict


def test_sum_over_an_indicator_needs_the_index_declared_in_range() -> None:
    # c only an integer: Σ_j 1{c = j} ρ_j is ρ_c or 0 by where c lies, never proved ρ_c
    header = CATEGORIES.replace("c : integer [1, K]", "c : integer")
    assert _verdict(header, r"\sum_{j=1}^{K} \mathbb{1}\{c = j\} \rho_j &= \rho_c") != "proved"


@pytest.mark.parametrize(("row", "verdict"), [
    (r"\lfloor w \rfloor &\le w", "proved"),
    (r"\lceil w \rceil &\ge w", "proved"),
    (r"\lfloor w \rfloor + \lceil w \rceil &\le 2 w + 1", "proved"),
    (r"\lfloor n + \frac{1}{2} \rfloor &= n", "proved"),
    (r"\lfloor w \rfloor &\ge w", "refuted"),
    (r"\lceil w \rceil &= w", "refuted"),
])
def test_integer_parts(row: str, verdict: str) -> None:
    assert _verdict(REALS, row) == verdict


@pytest.mark.parametrize(("row", "verdict"), [
    (r"\langle a, b \rangle &= b^\top a", "proved"),
    (r"\langle a, a \rangle &= \|a\|^2", "proved"),
    (r"\langle a - b, a - b \rangle &= \|a\|^2 - 2 a^\top b + \|b\|^2", "proved"),
    (r"\langle a - b, a - b \rangle &= \|a\|^2 + \|b\|^2", "refuted"),
])
def test_inner_product_of_declared_vectors(row: str, verdict: str) -> None:
    assert _verdict(VECTORS, row) == verdict


def test_indicator_values() -> None:
    d = _tex(REALS + "% symbols: k : integer\n", r"\mathbb{1}[w > 0] + \mathbb{1}\{n = k\} &= 1")
    w, n, k = (sp.Symbol(s, **a) for s, a in (("w", {"real": True}), ("n", {"integer": True}),
                                               ("k", {"integer": True})))
    assert d.start.subs(w, 2) == 1 + sp.KroneckerDelta(n, k)
    assert d.start.subs({w: -1, n: 3, k: 3}) == 1


@pytest.mark.parametrize(("header", "row", "match"), [
    # ⟨f, g⟩ of numbers or functions may be an integral or an expectation: not guessed
    (REALS, r"\langle w, n \rangle &= w n", "inner product"),
    # an event over two declared densities' variables, or none: which law is not said
    ("% symbols: m : real\n% densities: r(w) = \\mathcal{N}(m, 1), h(y) = \\mathcal{N}(0, 1)\n",
     r"\Pr(w \le y) &= 0", "exactly one declared density.*involves the variables"),
    ("% symbols: a : real\n", r"\Pr(a \le 0) &= 0", "no declared density"),
    # a vector in an indicator's relation
    (VECTORS, r"\mathbb{1}[a > 0] &= 1", "not a vector"),
])
def test_what_is_ambiguous_is_refused(header: str, row: str, match: str) -> None:
    with pytest.raises(DerivationSyntaxError, match=match):
        _tex(header, row)


def test_deriv_floor_ceiling_and_latex_indicator() -> None:
    head = ("symbols: w : real\nsymbols: K : positive integer\nsymbols: j : integer\n"
            "symbols: c : integer [1, K]\nfunctions: v(j) : positive\n")
    for body, verdict in [
        ("    floor(w) + ceiling(w)\n  <= 2*w + 1\n", "proved"),
        ("    ceiling(w)\n  <= floor(w)\n", "refuted"),
        ("    Sum($\\mathbb{1}[c = j]$ * log(v(j)), (j, 1, K))\n  = log(v(c))\n", "proved"),
    ]:
        d = parse_derivation(head + body, file="f.deriv")
        assert check_derivation(d).steps[0].verdict.value == verdict, body
