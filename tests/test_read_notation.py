"""The notation a textbook prints, read in both formats and judged honestly (issue 16, items
1, 2, 4, 5, 7 and 8): each probe has a right step and a wrong one; the right one must not be
refuted (proved where a rule or algebra decides it) and the wrong one must be refuted at its
own step, never proved."""

from __future__ import annotations

import pytest

from elbo_derivation.core.steps import Verdict
from elbo_derivation.errors import DerivationSyntaxError
from elbo_derivation.pipeline import check_derivation
from elbo_derivation.verification import read_any

PROVED, REFUTED = Verdict.PROVED, Verdict.REFUTED

_TEX = "\\begin{{align*}}\n{}\n\\end{{align*}}\n"

PROBES = {
    # an expectation over a joint density integrates over both of its variables: f(y) is
    # not a constant under p(x, y)
    "joint.deriv": """symbols: x, y : real
densities: p(x, y), p(x), p(y|x)
functions: f(y) : real

    E[log(p(x, y)) + f(y), x ~ p(x, y)]
  = E[log(p(x)) + log(p(y|x)) + f(y), x ~ p(x, y)]
  = E[log(p(x)) + log(p(y|x)), x ~ p(x, y)] + f(y)
""",
    "joint.tex": "% symbols: x, y : real\n% densities: p(x, y), p(x), p(y|x)\n"
                 "% functions: f(y) : real\n" + _TEX.format(
        "\\mathbb{E}_{p(x, y)}[\\log p(x, y) + f(y)] "
        "&= \\mathbb{E}_{p(x, y)}[\\log p(x) + \\log p(y|x) + f(y)] \\\\\n"
        "&= \\mathbb{E}_{p(x, y)}[\\log p(x) + \\log p(y|x)] + f(y)"),
    # three variables under other letters: the conditional entropy is not the marginal one
    "joint3.tex": "% symbols: u_1, u_2, w : real\n"
                  "% densities: r(u_1, u_2|w), r(u_1|w), r(u_2|u_1, w), r(u_2|w)\n" + _TEX.format(
        "\\mathbb{E}_{r(u_1, u_2|w)}[\\log r(u_1, u_2|w)] "
        "&= \\mathbb{E}_{r(u_1|w)}[\\log r(u_1|w)] + \\mathbb{E}_{r(u_1, u_2|w)}"
        "[\\log r(u_2|u_1, w)] \\\\\n"
        "&= \\mathbb{E}_{r(u_1|w)}[\\log r(u_1|w)] + \\mathbb{E}_{r(u_2|w)}[\\log r(u_2|w)]"),
    # the chain rule of the KL divergence: a KL between joints is over both variables
    "kl_joint.deriv": """symbols: x, y : real
densities: p(x, y), q(x, y), p(x), q(x), p(y|x), q(y|x)

    KL(p(x, y), q(x, y))
  = KL(p(x), q(x)) + E[KL(p(y|x), q(y|x)), x ~ p(x)]
  = KL(p(x), q(x)) + KL(p(y|x), q(y|x))
""",
    "kl_joint.tex": "% symbols: x, y : real\n"
                    "% densities: p(x, y), q(x, y), p(x), q(x), p(y|x), q(y|x)\n" + _TEX.format(
        "\\mathrm{KL}(p(x, y) \\,\\|\\, q(x, y)) &= \\mathrm{KL}(p(x) \\,\\|\\, q(x)) + "
        "\\mathbb{E}_{p(x)}\\left[\\mathrm{KL}(p(y|x) \\,\\|\\, q(y|x))\\right] \\\\\n"
        "&= \\mathrm{KL}(p(x) \\,\\|\\, q(x)) + \\mathrm{KL}(p(y|x) \\,\\|\\, q(y|x))"),
    "var_joint.deriv": """symbols: x, y : real
densities: p(x, y)

    Var[x + y, x ~ p(x, y)]
  = E[(x + y)^2, x ~ p(x, y)] - E[x + y, x ~ p(x, y)]^2
  = E[(x + y)^2, x ~ p(x, y)] - E[x + y, x ~ p(x, y)]
""",
    "beta.deriv": """symbols: a, b : positive
symbols: t : (0, 1)
densities: q(t) = Beta(a, b)

    E[t^2, t ~ q(t)]
  = a*b/((a + b)^2*(a + b + 1)) + a^2/(a + b)^2
  = a^2/(a + b)^2
""",
    "beta_kl.tex": "% symbols: a, b, c, d : positive\n% symbols: t : (0, 1)\n"
                   "% densities: q(t) = \\mathrm{Beta}(a, b), r(t) = \\mathrm{Beta}(a, d)\n"
                   + _TEX.format(
        "\\mathrm{KL}(q \\,\\|\\, r) &= \\log\\Gamma(d) - \\log\\Gamma(a + d) - \\log\\Gamma(b) "
        "+ \\log\\Gamma(a + b) + (b - d)\\mathbb{E}_{q(t)}[\\log(1 - t)] \\\\\n"
        "&= \\log\\Gamma(d) - \\log\\Gamma(a + d) - \\log\\Gamma(b) + \\log\\Gamma(a + b) "
        "+ (d - b)\\mathbb{E}_{q(t)}[\\log(1 - t)]"),
    # E[log t] = ψ(a) − ψ(a + b) under Beta(a, b), ψ written digamma (LaTeX \psi)
    "beta_log.deriv": """symbols: a, b : positive
symbols: t : (0, 1)
densities: q(t) = Beta(a, b)

    E[log(t) - log(1 - t), t ~ q(t)]
  = digamma(a) - digamma(b)
  = digamma(a) - digamma(a + b)
""",
    "digamma.tex": "% symbols: a : positive\n" + _TEX.format(
        "\\psi(a + 1) - \\psi(a) &= \\frac{1}{a} \\\\\n&= \\frac{1}{a + 1}"),
    # the gradient of a sum over dimensions with respect to one coordinate; a wrong factor on
    # what is left (a sequence at an index) is refuted on a concrete sequence
    "grad_sum.tex": "% symbols: D : positive integer\n% symbols: d, j : integer\n"
                    "% functions: \\mu_d : real\n" + _TEX.format(
        "\\frac{\\partial}{\\partial \\mu_j}\\sum_{d=1}^{D}\\frac{1}{2}\\mu_d^2 &= \\mu_j "
        "\\\\\n&= 2\\mu_j"),
    "grad_sum.deriv": """symbols: D : positive integer
symbols: d, j : integer
functions: m(d) : real

    diff(Sum(m(d)^2/2, (d, 1, D)), m(j))
  = m(j)
  = 2*m(j)
""",
    # a draw from a joint density written with its variables, and a draw from N(0, 1)
    "draw_joint.tex": "% symbols: x, y : real\n% densities: p(x, y), p(x), p(y|x)\n"
                      "% functions: f(y) : real\n" + _TEX.format(
        "\\mathbb{E}_{(x, y) \\sim p(x, y)}[f(y)] &= \\mathbb{E}_{x, y \\sim p(x, y)}[f(y)] "
        "\\\\\n&= f(y)"),
    "draw_normal.tex": "% symbols: \\mu, \\epsilon : real\n% symbols: \\sigma : positive\n"
                       + _TEX.format(
        "\\mathbb{E}_{\\epsilon \\sim \\mathcal{N}(0, 1)}\\left[(\\mu + \\sigma\\epsilon)^2"
        "\\right] &= \\mu^2 + \\sigma^2 \\\\\n&= \\mu^2 + \\sigma"),
    # Kingma & Welling's densities with their parameters as subscripts, and \nabla_\mu
    "subscripted_densities.tex": "% symbols: x, z : real\n"
                                 "% densities: q_\\phi(z|x), p_{\\theta}(x|z), p_\\theta(z)\n"
                                 + _TEX.format(
        "\\mathbb{E}_{q_\\phi(z|x)}\\left[\\log\\frac{p_\\theta(x|z)\\,p_\\theta(z)}"
        "{q_\\phi(z|x)}\\right] &= \\mathbb{E}_{q_\\phi(z|x)}[\\log p_\\theta(x|z)] - "
        "\\mathrm{KL}(q_\\phi(z|x) \\,\\|\\, p_\\theta(z)) \\\\\n"
        "&= \\mathbb{E}_{q_\\phi(z|x)}[\\log p_\\theta(x|z)] + "
        "\\mathrm{KL}(q_\\phi(z|x) \\,\\|\\, p_\\theta(z))"),
    "nabla.tex": "% symbols: \\mu : real\n% symbols: \\sigma : positive\n" + _TEX.format(
        "\\nabla_{\\mu} \\frac{1}{2}\\left(\\mu^2 + \\sigma^2 - \\log\\sigma^2 - 1\\right) "
        "&= \\mu \\\\\n&= 2\\mu"),
    # x^{(i)}, the i-th data point (Kingma & Welling), is x_i: an i.i.d. copy of the data
    "data_index.tex": "% symbols: z, x, x^{(i)} : real\n% densities: q(z|x)\n"
                      "% functions: f(z) : real\n" + _TEX.format(
        "\\mathbb{E}_{q(z|x^{(i)})}[f(z) + 1] &= \\mathbb{E}_{q(z|x_i)}[f(z)] + 1 \\\\\n"
        "&= \\mathbb{E}_{q(z|x^{(i)})}[f(z)]"),
    "draw_normal.deriv": """symbols: m, e : real
symbols: s : positive

    E[(m + s*e)^2, e ~ N(0, 1)]
  = m^2 + s^2
  = m^2 + s
""",
    # the logistic sigmoid and the softplus by name (Goodfellow et al. 2016, sec. 3.10)
    "sigmoid.deriv": """symbols: x : real

    diff(softplus(x), x) + diff(sigmoid(x), x)
  = sigmoid(x) + sigmoid(x)*(1 - sigmoid(x))
  = sigmoid(x) + sigmoid(x)*(1 + sigmoid(x))
""",
    "sigmoid.tex": "% symbols: x : real\n" + _TEX.format(
        "\\frac{d}{dx}\\operatorname{softplus}(x) &= \\operatorname{sigmoid}(x) \\\\\n"
        "&= \\operatorname{sigmoid}(x)\\left(1 - \\operatorname{sigmoid}(x)\\right)"),
    "abs.deriv": "symbols: x, m : real\n\n    |x - m|^2\n  = Abs(m - x)^2\n  = (x + m)^2\n",
    "abs.tex": "% symbols: x, m : real\n" + _TEX.format(
        "\\lvert x - m \\rvert^2 &= (x - m)^2 \\\\\n&= |x + m|^2"),
    "normal_at.deriv": """symbols: x, m : real
symbols: s : positive

    log(N(x; m, s^2)) + log(Laplace(x; m, s))
  = -(x - m)^2/(2*s^2) - log(2*pi*s^2)/2 - |x - m|/s - log(2*s)
  = -(x - m)^2/(2*s^2) - log(2*pi*s^2) - |x - m|/s - log(2*s)
""",
    "normal_at.tex": "% symbols: x, m : real\n% symbols: s : positive\n" + _TEX.format(
        "\\log \\mathcal{N}(x; m, s^2) &= -\\frac{(x - m)^2}{2s^2} - \\frac{1}{2}\\log(2\\pi s^2)"
        " \\\\\n&= -\\frac{(x - m)^2}{2s^2} - \\log(2\\pi s^2)"),
    "norm.tex": "% symbols: D : positive integer\n% symbols: x, \\mu : vector(D) real\n"
                + _TEX.format(
        "\\|x - \\mu\\|^2 &= x^\\top x - 2 x^\\top \\mu + \\mu^\\top \\mu \\\\\n"
        "&= x^\\top x + \\mu^\\top \\mu"),
    "norm_kl.tex": "% symbols: z, m : real\n% densities: q(z) = N(m, 1), p(z) = N(0, 1)\n"
                   + _TEX.format(
        "\\mathrm{KL}(q \\| p) + D_{\\mathrm{KL}}[q \\| p] + \\lVert m \\rVert &= m^2 + |m| \\\\\n"
        "&= m^2 + m"),
    "evaluated.tex": "% symbols: x, t : real\n" + _TEX.format(
        "\\left. \\frac{d}{dx} x^3 \\right|_{x = t} &= 3t^2 \\\\\n&= 3t"),
}

#: each probe's verdicts, step by step
EXPECTED = {
    "joint.deriv": [PROVED, REFUTED],
    "joint.tex": [PROVED, REFUTED],
    "joint3.tex": [PROVED, REFUTED],
    "var_joint.deriv": [PROVED, REFUTED],
    "kl_joint.deriv": [PROVED, REFUTED],
    "kl_joint.tex": [PROVED, REFUTED],
    "beta.deriv": [PROVED, REFUTED],
    "beta_kl.tex": [PROVED, REFUTED],
    "beta_log.deriv": [PROVED, REFUTED],
    "digamma.tex": [None, REFUTED],
    "grad_sum.tex": [PROVED, REFUTED],
    "grad_sum.deriv": [PROVED, REFUTED],
    "draw_joint.tex": [PROVED, REFUTED],
    "draw_normal.tex": [PROVED, REFUTED],
    "subscripted_densities.tex": [PROVED, REFUTED],
    "nabla.tex": [PROVED, REFUTED],
    "data_index.tex": [PROVED, REFUTED],
    "draw_normal.deriv": [PROVED, REFUTED],
    "sigmoid.deriv": [PROVED, REFUTED],
    "sigmoid.tex": [PROVED, REFUTED],
    "abs.deriv": [PROVED, REFUTED],
    "abs.tex": [PROVED, REFUTED],
    "normal_at.deriv": [PROVED, REFUTED],
    "normal_at.tex": [PROVED, REFUTED],
    "norm.tex": [PROVED, REFUTED],
    "norm_kl.tex": [PROVED, REFUTED],
    "evaluated.tex": [PROVED, REFUTED],
}


@pytest.mark.parametrize("name", sorted(PROBES))
def test_probe_read_and_judged(tmp_path, name) -> None:
    path = tmp_path / name
    path.write_text(PROBES[name], encoding="utf-8")
    d = check_derivation(read_any(path), time_limit=5.0)
    got = [s.verdict for s in d.steps]
    for step, (verdict, want) in enumerate(zip(got, EXPECTED[name], strict=True), 1):
        if want is None:  # a right step: anything but refuted (at best proved)
            assert verdict is not REFUTED, (name, step, d.steps[step - 1].result)
        else:
            assert verdict is want, (name, step, d.steps[step - 1].result)


def test_joint_expectation_nests_over_the_declared_variables() -> None:
    import sympy as sp

    from elbo_derivation.core.expectation import Expectation
    from elbo_derivation.read.declarations import joint_expectation

    a, b, w = sp.symbols("a b w", real=True)
    joint = sp.Function("r(b,a|w)", positive=True)(b, a, w)
    e = joint_expectation(a, joint)
    assert isinstance(e, Expectation) and e.variable == b
    assert e.density.func.__name__ == "r(b|w)"
    assert e.integrand.variable == a and e.integrand.density.func.__name__ == "r(a|b,w)"
    one = sp.Function("r(a|w)", positive=True)(a, w)
    assert joint_expectation(a, one) is None  # one variable: an ordinary expectation


def test_a_quantity_fixed_in_the_index_is_refused(tmp_path) -> None:
    """x_i declared a symbol does not change with i: Σ_i log p(x_i|z) would be N log p(x_i|z)
    and a wrong step proved; the message says how to declare it, and no message suggests
    declaring x_i a symbol for a density at the i-th data point."""
    head = "% symbols: N : positive integer\n% symbols: i : integer\n% symbols: z, x : real\n"
    body = _TEX.format("\\sum_{i=1}^{N} \\log p(x_i|z) &= N \\log p(x_i|z)")
    path = tmp_path / "fixed.tex"
    path.write_text(head + "% symbols: x_i : real\n% densities: p(x|z)\n" + body, "utf-8")
    with pytest.raises(DerivationSyntaxError) as err:
        read_any(path)
    assert "does not change with the index i" in str(err.value)
    assert "% functions: x_i : real" in str(err.value)
    path.write_text(head + "% functions: x_i : real\n% densities: p(x|z)\n" + body, "utf-8")
    with pytest.raises(DerivationSyntaxError) as err:
        read_any(path)
    assert "changes with the index i, is not read" in str(err.value)
    assert "symbols: x_i" not in str(err.value)
    deriv = tmp_path / "fixed.deriv"
    deriv.write_text("symbols: N : positive integer\nsymbols: i : integer\n"
                     "symbols: x_i : real\n\n    Sum(x_i, (i, 1, N))\n  = N*x_i\n", "utf-8")
    with pytest.raises(DerivationSyntaxError) as err:
        read_any(deriv)
    assert "functions: x(i) : real" in str(err.value)


def test_pi_with_a_subscript_is_a_quantity_of_its_own(tmp_path) -> None:
    path = tmp_path / "mixture.tex"
    path.write_text("% symbols: K : positive integer\n% symbols: k : integer\n"
                    "% functions: \\pi_k : positive\n" + _TEX.format(
                        "\\sum_{k=1}^{K} \\pi_k \\log \\pi_k + \\pi &= "
                        "-\\sum_{k=1}^{K} \\pi_k \\log \\frac{1}{\\pi_k} + \\pi \\\\\n"
                        "&= \\sum_{k=1}^{K} \\pi_k \\log \\frac{1}{\\pi_k} + \\pi"),
                    encoding="utf-8")
    d = check_derivation(read_any(path), time_limit=5.0)
    assert [s.verdict for s in d.steps] == [PROVED, REFUTED]


@pytest.mark.parametrize(("text", "message"), [
    ("\\mathcal{N}(0, 1) + 1", "is a family, not a number"),
    ("\\mathbb{E}_{(x, k) \\sim p(x, y)}[x]", "must be those of a declared joint density"),
    ("\\mathbb{E}_{x | y \\sim p(x, y)}[x]", "separated by commas"),
])
def test_tex_refusals_say_how_to_write_it(tmp_path, text, message) -> None:
    path = tmp_path / "bad.tex"
    path.write_text("% symbols: x, y : real\n% symbols: k : integer\n% densities: p(x, y)\n"
                    + _TEX.format(f"{text} &= 1"), encoding="utf-8")
    with pytest.raises(DerivationSyntaxError) as err:
        read_any(path)
    assert message in str(err.value) and "bad.tex:5:" in str(err.value)


@pytest.mark.parametrize(("text", "message"), [
    ("Poisson(k; a)", "declare the density"),
    ("N(x; m)", "takes 2 parameters"),
    ("N(x; m, -1)", "must be positive"),
    ("|x - m", "expected"),
    ("E[x, x ~ N(0)]", "expected N(mean, variance)"),
])
def test_deriv_refusals_say_how_to_write_it(tmp_path, text, message) -> None:
    path = tmp_path / "bad.deriv"
    path.write_text(f"symbols: x, m : real\nsymbols: a : positive\nsymbols: k : integer\n\n"
                    f"    {text}\n  = 1\n", encoding="utf-8")
    with pytest.raises(DerivationSyntaxError) as err:
        read_any(path)
    assert message in str(err.value) and "bad.deriv:5:" in str(err.value)


def test_a_declared_function_wins_over_a_named_one(tmp_path) -> None:
    """softplus declared as an abstract function of the author's is that function, not
    log(1 + e^x): an identity of the named one is then not proved for it."""
    path = tmp_path / "own.deriv"
    path.write_text("symbols: x : real\nfunctions: softplus(x) : real\n\n    softplus(x)\n"
                    "  = log(1 + exp(x))\n", encoding="utf-8")
    d = check_derivation(read_any(path), time_limit=5.0)
    assert d.steps[0].verdict is not PROVED


HIERARCHY = {
    "adam.deriv": """title: Adam's law over a joint whose factors are declared in families
symbols: u, v, c : real
symbols: a, b : positive
densities: r(u) = N(c, a^2), r(v|u) = N(u, b^2), r(u, v)

    E[(v - c)^2, v ~ r(u, v)]
  = E[E[(v - c)^2, v ~ r(v|u)], u ~ r(u)]
  = a^2 + b^2
  = a + b^2
""",
    "adam.tex": r"""% symbols: u, v, c : real
% symbols: a, b : positive
% densities: r(u) = \mathcal{N}(c, a^2), r(v|u) = \mathcal{N}(u, b^2), r(u, v)
\begin{align*}
\mathbb{E}_{r(u, v)}\left[(v - c)^2\right]
  &= \mathbb{E}_{r(u)}\left[\mathbb{E}_{r(v|u)}\left[(v - c)^2\right]\right] \\
  &= a^2 + b^2 \\
  &= a + b^2
\end{align*}
""",
}


@pytest.mark.parametrize("name", sorted(HIERARCHY))
def test_a_joint_expectation_uses_the_declared_factors(tmp_path, name) -> None:
    """E over r(u, v) is E_{r(u)}[E_{r(v|u)}[.]] with the factors as declared: when they are
    declared in families, the nested expectation is over those families (Blitzstein & Hwang,
    sec. 9.3, Adam's law), not over abstract densities that a generic instance would give
    other moments (the first step was refuted, session 26)."""
    path = tmp_path / name
    path.write_text(HIERARCHY[name], encoding="utf-8")
    d = check_derivation(read_any(path), time_limit=5.0)
    assert [s.verdict for s in d.steps] == [Verdict.PROVED, Verdict.PROVED, Verdict.REFUTED]


def test_an_indexed_quantity_under_an_accent_is_declared(tmp_path) -> None:
    r"""``% functions: y_i, \hat{y}_i : real``: the fitted values ŷ_i of Goodfellow et al.
    (2016), eq. (5.65), a sequence like y_i (the declaration was refused, session 26)."""
    path = tmp_path / "fitted.tex"
    path.write_text(r"""% symbols: i : integer
% symbols: N : positive integer
% functions: y_i, \hat{y}_i : real
\begin{align*}
\sum_{i=1}^{N} (\hat{y}_i - y_i)^2
  &= \sum_{i=1}^{N} \hat{y}_i^2 - 2\sum_{i=1}^{N} \hat{y}_i y_i + \sum_{i=1}^{N} y_i^2 \\
  &= \sum_{i=1}^{N} \hat{y}_i^2 + \sum_{i=1}^{N} y_i^2
\end{align*}
""", encoding="utf-8")
    d = check_derivation(read_any(path), time_limit=5.0)
    assert [s.verdict for s in d.steps] == [Verdict.PROVED, Verdict.REFUTED]


def test_the_entropy_of_a_declared_density_is_read(tmp_path) -> None:
    r"""``H(q)``, the letter undeclared and q a declared density: −E_q[log q] (Goodfellow et
    al. 2016, eq. 19.2), shown as written; the file was refused before (session 26)."""
    path = tmp_path / "entropy.tex"
    path.write_text(r"""% symbols: v, h : real
% densities: r(h|v), p(h, v)
\begin{align*}
\mathbb{E}_{r(h|v)}\left[\log p(h, v) - \log r(h|v)\right]
  &= \mathbb{E}_{r(h|v)}\left[\log p(h, v)\right] + H(r) \\
  &= \mathbb{E}_{r(h|v)}\left[\log p(h, v)\right] - H(r)
\end{align*}
""", encoding="utf-8")
    d = check_derivation(read_any(path), time_limit=5.0)
    assert [s.verdict for s in d.steps] == [Verdict.PROVED, Verdict.REFUTED]
    from elbo_derivation.report.handout import NotesMathMLPrinter
    from elbo_derivation.report.latex import NotesLatexPrinter
    from elbo_derivation.report.written import shown
    assert "H" in shown(d, d.steps[0], NotesLatexPrinter)
    assert "<mi>H</mi>" in shown(d, d.steps[0], NotesMathMLPrinter)
