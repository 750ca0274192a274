"""Two notations of textbooks on graphical models and EM, read as the books mean them.

* A sum without a range over the variable of a declared abstract density,
  ``\\sum_{\\mathbf{Z}} q(\\mathbf{Z}) \\ln \\frac{p(\\mathbf{X}, \\mathbf{Z})}{q(\\mathbf{Z})}``
  (Bishop & Bishop 2024, sec. 15.4: a sum over every state of the latent variables): the
  expectation under that density, with the rules of its integral (E_q[f], marginalisation,
  Bayes' rule, E_q[c] = c).
* A name indexed in square brackets, Koller & Friedman's counts ``M[1]``, ``M[0]`` (2009,
  sec. 17.1): once declared (``% symbols: M[1], M[0] : positive integer``) each is one
  quantity, shown as written, unrelated to ``M_1`` or to any other count.
"""

from __future__ import annotations

import pytest

from elbo_derivation.core.steps import Verdict
from elbo_derivation.errors import DerivationSyntaxError
from elbo_derivation.pipeline import check_derivation
from elbo_derivation.read.tex import parse_tex_derivation
from elbo_derivation.report.pretty import pretty_name


def _verdicts(body: str, *declarations: str) -> list[Verdict]:
    d = parse_tex_derivation("\n".join([*declarations, r"\begin{align*}", body,
                                        r"\end{align*}"]), file="t.tex")  # fmt: skip
    return [s.verdict for s in check_derivation(d).steps]


@pytest.mark.parametrize("h", [r"\mathbf{H}", "W", r"\boldsymbol{\eta}"])
def test_a_sum_over_a_latent_is_the_expectation_under_its_density(h: str) -> None:
    dens = rf"% densities: r({h}), s(V,{h}|\lambda), s({h}|V,\lambda), s(V|\lambda)"
    right = (rf"\sum_{{{h}}} r({h}) \ln\frac{{s(V,{h}|\lambda)}}{{s({h}|V,\lambda)}}"
             rf" &= \sum_{{{h}}} r({h}) \ln s(V|\lambda) \\" "\n"
             r" &= \ln s(V|\lambda)")
    assert _verdicts(right, dens) == [Verdict.PROVED, Verdict.PROVED]
    # near miss: the ratio upside down is minus the log-evidence, refuted
    wrong = (rf"\sum_{{{h}}} r({h}) \ln\frac{{s({h}|V,\lambda)}}{{s(V,{h}|\lambda)}}"
             r" &= \ln s(V|\lambda)")
    assert _verdicts(wrong, dens) == [Verdict.REFUTED]


def test_a_sum_without_a_range_over_a_plain_real_symbol_is_still_refused() -> None:
    # only the variable of a declared density has "every value" to run over
    with pytest.raises(DerivationSyntaxError, match="needs its range"):
        _verdicts(r"\sum_{w} f(w) &= 1", "% symbols: w : real", "% functions: f(w) : real")


@pytest.mark.parametrize("n", ["M", "N", r"\nu"])
def test_bracket_indexed_counts_are_declared_atoms(n: str) -> None:
    decl = [r"% symbols: \rho : (0, 1)", rf"% symbols: {n}[1], {n}[0] : positive integer"]
    body = (rf"\frac{{d}}{{d\rho}}\log\left(\rho^{{{n}[1]}}(1 - \rho)^{{{n}[0]}}\right)"
            rf" &= \frac{{{n}[1]}}{{\rho}} - \frac{{{n}[0]}}{{1 - \rho}} \\" "\n"
            rf" &= \frac{{{n}[1]}}{{\rho}} + \frac{{{n}[0]}}{{1 - \rho}}")
    assert _verdicts(body, *decl) == [Verdict.PROVED, Verdict.REFUTED]
    # the two counts are two quantities: M[1] = M[0] is refuted
    assert _verdicts(rf"{n}[1] &= {n}[0]", *decl) == [Verdict.REFUTED]


def test_a_bracket_count_is_shown_as_written() -> None:
    assert pretty_name("M_{[1]}") == "M[1]"
    assert pretty_name("nu_{[x^0]}") == "ν[x⁰]"


def test_a_deriv_sum_over_a_latent_is_the_expectation_under_its_density() -> None:
    from elbo_derivation.read.deriv import parse_derivation

    text = ("densities: r(u), s(v, u), s(u|v), s(v)\n"
            "    Sum(r(u)*log(s(v, u)/s(u|v)), u)\n"
            "  = log(s(v))\n"
            "  = Sum(r(u)*log(s(u|v)/s(v, u)), u)\n")
    d = check_derivation(parse_derivation(text, file="t.deriv"))
    assert [s.verdict for s in d.steps] == [Verdict.PROVED, Verdict.REFUTED]


@pytest.mark.parametrize("u, r, s", [("x", "p", "q"), ("w", "f", "g"), (r"\omega", "r", "s")])
def test_a_sum_over_an_alphabet_and_the_relative_entropy_d(u: str, r: str, s: str) -> None:
    # Cover & Thomas, sec. 2.3: D(p||q) = sum_{x in X} p(x) log p(x)/q(x)
    dens = f"% densities: {r}({u}), {s}({u})"
    body = (rf"\sum_{{{u} \in \mathcal{{A}}}} {r}({u}) \log\frac{{{r}({u})}}{{{s}({u})}}"
            rf" &= D({r}\|{s}) \\" "\n"
            rf" &= D({s}\|{r})")
    assert _verdicts(body, dens) == [Verdict.PROVED, Verdict.REFUTED]


def test_a_sum_over_an_alphabet_of_an_integer_runs_over_its_declared_range() -> None:
    body = r"\sum_{k \in \mathcal{K}} c_k &= c_1 + c_2 + \sum_{k=3}^{K} c_k"
    decl = ["% symbols: K : positive integer", "% symbols: k : integer [1, K]",
            "% functions: c_k : real"]
    assert _verdicts(body, *decl) in ([Verdict.PROVED], [Verdict.NUMERICALLY_SUPPORTED])


def test_a_declared_d_before_a_bracket_is_not_the_relative_entropy() -> None:
    # D declared a number: D(p||q) is not read as a divergence
    with pytest.raises(DerivationSyntaxError):
        _verdicts(r"D(p\|q) &= 0", "% symbols: D : positive", "% densities: p(x), q(x)")


@pytest.mark.parametrize("kl", [r"D_{\mathbb{KL}}\left(r \| s\right)", r"\mathbb{KL}(r\|s)",
                                r"D_{\mathbb{KL}}[r \| s]"])
def test_murphys_blackboard_kl_is_the_kl_divergence(kl: str) -> None:
    # Murphy, PML (2022, 2023) writes the KL divergence D_{\mathbb{KL}}(p \| q)
    dens = "% densities: r(v), s(v)"
    body = (kl + r" &= \mathbb{E}_{r(v)}\left[\log r(v) - \log s(v)\right] \\" "\n"
            r" &= \mathbb{E}_{s(v)}\left[\log s(v) - \log r(v)\right]")
    assert _verdicts(body, dens) == [Verdict.PROVED, Verdict.REFUTED]


@pytest.mark.parametrize("u", ["p", "w", r"\theta"])
def test_a_logarithm_to_base_two_is_the_log_over_log_two(u: str) -> None:
    # Cover & Thomas, eq. (2.5): the binary entropy in bits
    decl = rf"% symbols: 0 < {u} < 1"
    body = (rf"-{u}\log_2 {u} - (1-{u})\log_{{2}}(1-{u})"
            rf" &= -\frac{{{u}\ln {u} + (1-{u})\ln(1-{u})}}{{\ln 2}} \\" "\n"
            rf" &= -{u}\ln {u} - (1-{u})\ln(1-{u})")
    assert _verdicts(body, decl) == [Verdict.PROVED, Verdict.REFUTED]


def test_a_logarithm_to_a_declared_base() -> None:
    assert _verdicts(r"\log_{b} x^2 &= \frac{2\ln x}{\ln b}", "% symbols: b : (1, oo)",
                     "% symbols: x : positive") == [Verdict.PROVED]
    with pytest.raises(DerivationSyntaxError, match="base"):  # b may be 1
        _verdicts(r"\log_{b} x &= 0", "% symbols: b, x : positive")
    with pytest.raises(DerivationSyntaxError, match="takes no subscript"):
        _verdicts(r"\exp_{2} x &= 0", "% symbols: x : positive")
