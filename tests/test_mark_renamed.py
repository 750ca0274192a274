"""Marking a class whose students write the model solution's symbols with other letters.

The model solution (the notes' §4 loss, Odaibo 2019 sec. 3 for the KL) writes the encoder's
mean g and variance h, the balancing constant C, the data x and its reconstruction x̂. A
student who writes m and s2, or μ and σ² in LaTeX, or swaps the letters g and h, has done the
same work: the goal is reached under the correspondence found from declarations and roles.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sympy as sp

from elbo_derivation import marking

MODEL = """\
symbols: x, x_hat, g : real
symbols: h, C : positive
densities: q(z) = N(g, h), p(z) = N(0, 1)

    C*(x - x_hat)^2 + KL(q(z), p(z))
  = C*(x - x_hat)^2 + E[log(q(z)) - log(p(z)), z ~ q(z)]
  = C*(x - x_hat)^2 + E[-log(h)/2 - (z - g)^2/(2*h) + z^2/2, z ~ q(z)]
  = C*(x - x_hat)^2 - log(h)/2 - 1/2 + (h + g^2)/2
  = C*(x - x_hat)^2 + (h + g^2 - log(h) - 1)/2
"""


def renamed(text: str, names: dict[str, str]) -> str:
    """``text`` with whole words renamed at once (a permutation of the letters is fine)."""
    import re

    pattern = re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\b")
    return pattern.sub(lambda m: names[m[1]], text)


S2 = {"g": "m", "h": "s2", "C": "w", "x": "y", "x_hat": "y_rec", "z": "t"}
SWAPPED = {"g": "h", "h": "g", "x": "x_hat", "x_hat": "x"}  # the model's own letters, crossed

TEX = r"""% symbols: x, \hat{x}, \mu : real
% symbols: \sigma, \lambda : positive
% densities: q(z) = \mathcal{N}(\mu, \sigma^2), p(z) = \mathcal{N}(0, 1)
\begin{align*}
\lambda(x - \hat{x})^2 + D_{\mathrm{KL}}(q(z) \,\|\, p(z))
  &= \lambda(x - \hat{x})^2 + \mathbb{E}_{q(z)}\left[\log q(z) - \log p(z)\right] \\
  &= \lambda(x - \hat{x})^2
     + \mathbb{E}_{q(z)}\left[-\log\sigma - \frac{(z - \mu)^2}{2\sigma^2} + \frac{z^2}{2}\right] \\
  &= \lambda(x - \hat{x})^2 - \log\sigma - \frac{1}{2} + \frac{1}{2}\left(\sigma^2 + \mu^2\right) \\
  &= \lambda(x - \hat{x})^2 + \frac{1}{2}\left(\sigma^2 + \mu^2 - 2\log\sigma - 1\right)
\end{align*}
"""


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("model") / "model.deriv"
    p.write_text(MODEL, encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def marked(tmp_path_factory: pytest.TempPathFactory, model: Path) -> dict[str, marking.Mark]:
    folder = tmp_path_factory.mktemp("class")
    lines = MODEL.splitlines(keepends=True)
    files = {
        "same.deriv": MODEL,
        "s2.deriv": renamed(MODEL, S2),
        "swapped.deriv": renamed(MODEL, SWAPPED),
        "sigma.tex": TEX,
        # stops one line early (the moments not yet taken), in other letters
        "early.deriv": renamed("".join(lines[:-2]), S2),
        # the second moment without the mean, carried to the end, in other letters
        "slip.deriv": renamed(MODEL.replace("(h + g^2)/2", "h/2").replace(
            "(h + g^2 - log(h) - 1)/2", "(h - log(h) - 1)/2"), S2),
        # another question (the prior's variance is 2): its data has no counterpart
        "other.deriv": renamed("".join(lines[:6]).replace("N(0, 1)", "N(0, 2)"), S2),
    }
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    ref = marking.load_reference(model)
    return {m.file: m for m in marking.mark_folder(folder, reference=ref, jobs=1)}


def test_correct_work_in_other_letters_gets_full_marks(marked) -> None:
    for name in ("same.deriv", "s2.deriv", "swapped.deriv", "sigma.tex"):
        m = marked[name]
        assert (m.score, m.goal_reached, m.left_reference_at) == (10, True, None), (name, m)


def test_the_correspondence_is_said_by_roles_not_letters(marked) -> None:
    (note,) = [n for n in marked["swapped.deriv"].notes if n.startswith("Symbols matched")]
    assert "the mean g is your h" in note and "the variance h is your g" in note
    (note,) = [n for n in marked["sigma.tex"].notes if n.startswith("Symbols matched")]
    assert "the variance h is your σ²" in note and "the balancing constant C is your λ" in note
    assert not any(n.startswith("Symbols matched") for n in marked["same.deriv"].notes)


def test_mistakes_and_early_stops_in_other_letters_still_lose_marks(marked) -> None:
    early = marked["early.deriv"]
    assert early.goal_reached is False and early.first_wrong is None
    assert "which equals the goal but is not yet in its form" in early.goal_reason
    # the goal as the model wrote it, in the student's letters, said so; both formulas kept
    # for the page to keep whole
    assert "the goal is w·(y − y_rec)² + (s₂ + m² − log(s₂) − 1)/2 in your symbols" \
        in early.goal_reason
    assert len(early.formulas) == 2 and all(f in early.goal_reason for f in early.formulas)
    slip = marked["slip.deriv"]
    assert slip.mistake == "second-moment-missing-mean" and slip.carried_forward == [4]
    assert slip.goal_reached is False and slip.score < 5


def test_no_counterpart_is_said_in_the_reason(marked) -> None:
    other = marked["other.deriv"]
    assert other.score == 0 and other.goal_reached is False
    text = " ".join(other.reasons)
    assert "does not start from the question's expression" in text
    assert "nothing in this file corresponds to the model solution's x, x̂" in text


def test_find_correspondence_maps_a_variance_to_a_squared_scale(model: Path,
                                                                tmp_path: Path) -> None:
    from elbo_derivation import verification

    p = tmp_path / "s.tex"
    p.write_text(TEX, encoding="utf-8")
    d = verification.read_any(p)
    ref = marking.load_reference(model)
    corr = marking.find_correspondence(ref, d)
    sym = {s.name: s for s in [*ref.derivation.symbols.values(), *d.symbols.values()]}
    assert corr.mapping[ref.derivation.symbols["h"]] == d.symbols["sigma"] ** 2
    assert corr.mapping[ref.derivation.symbols["g"]] == d.symbols["mu"]
    assert corr.reparametrised and not corr.missing
    # the goal, in the student's symbols, is the student's last line up to log σ² = 2 log σ
    goal = marking.goal_of(d, reference=ref)
    assert marking.check_goal(d, goal) == (True, "")
    assert sp.log(sym["sigma"] ** 2) in goal.expr.atoms(sp.log)
