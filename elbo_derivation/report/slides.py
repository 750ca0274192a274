r"""Slides of checked derivations: a Beamer deck and a self-contained offline HTML deck.

Both show one step per slide, as its author wrote it: the expression the step starts from,
then (revealed in turn) the relation and the step's expression, then its justification and
verdict. Each derivation opens with a title slide (title, source, the starting expression and
the verdicts at a glance). Verdict marks can be left out (``verdicts=False``), for a lecture
in which the class decides; in the HTML deck the key ``v`` also hides and shows them.

The HTML deck is one file: MathML for the mathematics (browsers render it natively), inline
CSS and a few lines of JavaScript for the keyboard (→, space or Page Down: next; ←, Page Up:
back; Home/End; ``v``: verdicts; ``f``: full screen); nothing is loaded from the network.
Printing it gives one slide per page with everything revealed.

Examples
--------
>>> import sympy as sp
>>> from elbo_derivation.core.steps import Derivation, Relation, Step
>>> a = sp.Symbol("a", positive=True)
>>> d = Derivation(title="A power", symbols={"a": a}, start=sp.log(a**2), name="power",
...                steps=[Step(1, Relation.EQ, 2*sp.log(a), "log of a power")])
>>> page = html_deck([d], title="Week 3")
>>> page.count('class="slide'), "http" in page.split("</head>")[1]
(3, False)
>>> deck = beamer_deck([d], title="Week 3")
>>> deck.count(r"\begin{frame}"), r"\pause" in deck
(3, True)
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from elbo_derivation.core.steps import Derivation, Relation, Step, Verdict
from elbo_derivation.report.handout import MARKS as _MARKS
from elbo_derivation.report.handout import RELATION_MO as _RELATION_MO
from elbo_derivation.report.handout import VERDICT_WORDS as _VERDICT_WORDS
from elbo_derivation.report.handout import html_head, justification_html, mathml_block
from elbo_derivation.report.handout import shown_mathml as _shown_mathml
from elbo_derivation.report.latex import (
    PREAMBLE,
    ascii_tex,
    prose_latex,
    shown_latex,
    step_note,
    verdict_tex,
)
from elbo_derivation.report.pretty import heading as _heading
from elbo_derivation.report.pretty import plural
from elbo_derivation.report.text import mistake_name, no_name_said

__all__ = ["beamer_deck", "html_deck"]

_RELATION_TEX = {Relation.EQ: "=", Relation.LE: r"\le", Relation.GE: r"\ge",
                 Relation.EQ_UP_TO: r"\simeq"}  # fmt: skip


def _esc(text: str) -> str:
    return html.escape(str(text), quote=True)


# ------------------------------------------------------------------------------ Beamer


def _fit(tex: str) -> str:
    r"""Display mathematics scaled down to the frame's width when it is wider (adjustbox)."""
    return (r"\begin{center}\adjustbox{max width=\linewidth}{$\displaystyle " + tex
            + r"$}\end{center}")  # fmt: skip


def _counts_tex(d: Derivation) -> str:
    counts = {Verdict(k): n for k, n in d.counts().items() if n}
    if not counts:
        return ""
    return ", ".join(f"{n} {_VERDICT_WORDS[v]}" for v, n in counts.items())


def beamer_deck(derivations: Sequence[Derivation], *, title: str = "Derivations, checked",
                verdicts: bool = True, subtitle: str = "") -> str:
    r"""A Beamer presentation: a title slide per derivation, then one frame per step.

    Each step's frame shows the expression it starts from, then (``\pause``) the relation
    and the new expression, then the justification and, with ``verdicts``, the verdict. Wide
    expressions are scaled to the frame's width; the source is ASCII and compiles with
    pdflatex and lualatex.

    Parameters
    ----------
    derivations : sequence of Derivation
        checked or not.
    title, subtitle : str
        of the deck.
    verdicts : bool
        show the verdict marks and words.

    Returns
    -------
    str
        the ``.tex`` source.
    """
    preamble = PREAMBLE.replace(r"\setlength{\parindent}{0pt}", "")
    out = [
        r"\documentclass[aspectratio=169,11pt]{beamer}",
        preamble,
        r"\usepackage{adjustbox}",
        r"\setbeamertemplate{navigation symbols}{}",
        r"\setbeamertemplate{footline}[frame number]",
        rf"\title{{{prose_latex(title)}}}",
        rf"\subtitle{{{prose_latex(subtitle)}}}" if subtitle else "",
        r"\date{}",
        r"\begin{document}",
        r"\begin{frame}\titlepage\end{frame}",
    ]
    for d in derivations:
        name = prose_latex(_heading(d))
        intro = [rf"\begin{{frame}}{{{name}}}"]
        if d.source:
            intro.append(rf"{{\small Source: {prose_latex(d.source)}.}}")
        intro.append(_fit(shown_latex(d)))
        n = len(d.steps)
        line = plural(n, "step")
        if verdicts and _counts_tex(d):
            line += ": " + _counts_tex(d)
        intro.append(rf"{{\small {line}.}}")
        intro.append(r"\end{frame}")
        out.append("\n".join(intro))
        for step in d.steps:
            previous = d.steps[step.index - 2] if step.index > 1 else None
            note = step_note(step, d)
            frame = [
                rf"\begin{{frame}}{{{name}}}",
                rf"{{\small Step {step.index} of {n}}}",
                _fit(shown_latex(d, previous)),
                r"\pause",
                _fit(f"{{}}{_RELATION_TEX[step.relation]} {shown_latex(d, step)}"),
            ]
            if note:
                frame += [r"\pause", rf"\begin{{center}}\parbox{{0.9\linewidth}}{{\centering "
                                     rf"{note}}}\end{{center}}"]  # fmt: skip
            if verdicts:  # as the HTML deck: the mark, the word, and a named mistake
                said = verdict_tex(step)
                if step.result is not None and step.result.mistake:
                    said += " --- likely mistake: " + prose_latex(mistake_name(step.result))
                elif step.result is not None and no_name_said(step.result):
                    said += " --- " + prose_latex(no_name_said(step.result))
                frame += [r"\pause", rf"\begin{{center}}{said}\end{{center}}"]
            frame.append(r"\end{frame}")
            out.append("\n".join(frame))
    out.append(r"\end{document}")
    return ascii_tex("\n".join(part for part in out if part)) + "\n"


# ------------------------------------------------------------------------------- HTML

_CSS = """\
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; background: #fff; color: #1a1a1a;
  font-family: "Charter", "Georgia", "DejaVu Serif", serif; }
.slide { display: none; position: absolute; inset: 0; padding: 4vh 5vw 7vh;
  flex-direction: column; justify-content: flex-start; overflow: hidden; }
.slide.current { display: flex; }
.slide h1 { font-size: 4.4vh; margin: 0 0 2vh; line-height: 1.2; }
.slide h2 { font-size: 3.6vh; margin: 0 0 1.5vh; color: #0a3d62; line-height: 1.2; }
.slide .sub { font-size: 2.4vh; color: #555; margin: 0 0 2vh; }
.slide .math { width: 100%; text-align: center; margin: 2.2vh 0; font-size: 3.6vh;
  overflow: hidden; white-space: nowrap; }
.slide .math math { font-size: 1em; }
.slide .why { font-size: 2.8vh; text-align: center; margin: 2vh auto; max-width: 80%; }
.slide .verdict { font-size: 2.6vh; text-align: center; margin-top: 1vh; }
.fragment { visibility: hidden; }
.fragment.shown { visibility: visible; }
.mark { font-weight: 700; }
.v-proved .mark { color: #007a5a; }
.v-numerically-supported .mark { color: #0072b2; }
.v-refuted .mark { color: #c04000; }
.v-undecided .mark, .v-unchecked .mark { color: #8a6d00; }
body.no-verdicts .verdict, body.no-verdicts .counts { display: none; }
#bar { position: fixed; left: 0; right: 0; bottom: 0; height: 5vh; display: flex;
  align-items: center; justify-content: space-between; padding: 0 2vw; font-size: 2vh;
  color: #666; border-top: 1px solid #ddd; background: #fafafa; }
#bar button { font: inherit; margin-left: .5em; }
@media print {
  @page { size: A4 landscape; margin: 10mm; }
  #bar { display: none; }
  .slide { display: flex !important; position: relative; height: 180mm;
    break-after: page; page-break-after: always; }
  .fragment { visibility: visible !important; }
}
"""

_JS = """\
(function () {
  var slides = Array.prototype.slice.call(document.querySelectorAll('.slide'));
  var at = 0;
  function fragments(i) {
    return Array.prototype.slice.call(slides[i].querySelectorAll('.fragment'));
  }
  function fit(slide) {
    slide.querySelectorAll('.math').forEach(function (box) {
      box.style.fontSize = '';
      var size = parseFloat(getComputedStyle(box).fontSize);
      var guard = 0;
      while (box.scrollWidth > box.clientWidth && size > 6 && guard++ < 60) {
        size *= 0.93;
        box.style.fontSize = size + 'px';
      }
    });
  }
  function show(i, revealAll) {
    at = Math.max(0, Math.min(slides.length - 1, i));
    slides.forEach(function (s, j) { s.classList.toggle('current', j === at); });
    fragments(at).forEach(function (f) { f.classList.toggle('shown', !!revealAll); });
    fit(slides[at]);
    document.getElementById('where').textContent = (at + 1) + ' / ' + slides.length;
    if (history.replaceState) { history.replaceState(null, '', '#' + (at + 1)); }
  }
  function next() {
    var hidden = fragments(at).filter(function (f) { return !f.classList.contains('shown'); });
    if (hidden.length) { hidden[0].classList.add('shown'); } else { show(at + 1, false); }
  }
  function back() {
    var shown = fragments(at).filter(function (f) { return f.classList.contains('shown'); });
    if (shown.length) { shown[shown.length - 1].classList.remove('shown'); }
    else if (at > 0) { show(at - 1, true); }
  }
  function verdicts() { document.body.classList.toggle('no-verdicts'); }
  document.addEventListener('keydown', function (e) {
    if (e.key === 'ArrowRight' || e.key === ' ' || e.key === 'PageDown') { next(); }
    else if (e.key === 'ArrowLeft' || e.key === 'PageUp') { back(); }
    else if (e.key === 'Home') { show(0, false); }
    else if (e.key === 'End') { show(slides.length - 1, true); }
    else if (e.key === 'v') { verdicts(); }
    else if (e.key === 'f' && document.documentElement.requestFullscreen) {
      document.documentElement.requestFullscreen();
    } else { return; }
    e.preventDefault();
  });
  document.getElementById('prev').onclick = back;
  document.getElementById('next').onclick = next;
  var toggle = document.getElementById('toggle');
  if (toggle) { toggle.onclick = verdicts; }
  window.addEventListener('resize', function () { fit(slides[at]); });
  window.deck = { show: show, next: next, back: back, fit: fit, count: slides.length };
  var start = parseInt((location.hash || '#1').slice(1), 10) || 1;
  show(start - 1, false);
})();
"""


def _verdict_html(step: Step) -> str:
    r = step.result
    if r is None:
        return ('<div class="verdict v-unchecked fragment"><span class="mark">·</span> '
                "not checked</div>")  # fmt: skip
    v = r.verdict
    text = f'<span class="mark">{_MARKS[v]}</span> {_esc(_VERDICT_WORDS[v])}'
    if r.mistake:
        text += f" — likely mistake: {_esc(mistake_name(r))}"
    elif no_name_said(r):
        text += f" — {_esc(no_name_said(r))}"
    return f'<div class="verdict v-{v.value} fragment">{text}</div>'


def html_deck(derivations: Sequence[Derivation], *, title: str = "Derivations, checked",
              verdicts: bool = True, subtitle: str = "") -> str:
    """A self-contained HTML slide deck: one step per slide, revealed in turn.

    Parameters
    ----------
    derivations : sequence of Derivation
        checked or not.
    title, subtitle : str
        of the deck (its first slide).
    verdicts : bool
        include the verdict marks (the key ``v`` hides and shows them); ``False`` leaves them
        out of the file altogether.

    Returns
    -------
    str
        an HTML5 document: MathML, inline CSS and JavaScript, nothing from the network.
    """
    slides = [
        '<section class="slide title-slide">'
        f"<h1>{_esc(title)}</h1>"
        + (f'<p class="sub">{_esc(subtitle)}</p>' if subtitle else "")
        + '<p class="sub">→ or space: next · ← back · '
        + ("v: verdicts on/off · " if verdicts else "")
        + "f: full screen</p><ol class=\"sub\">"
        + "".join(f"<li>{_esc(_heading(d))}</li>" for d in derivations)
        + "</ol></section>"
    ]
    for i, d in enumerate(derivations):
        name = _esc(_heading(d))
        n = len(d.steps)
        counts = ", ".join(f"{k} {_VERDICT_WORDS[Verdict(v)]}" for v, k in d.counts().items()
                           if k)  # fmt: skip
        slides.append(
            f'<section class="slide derivation-title" data-derivation="{i}">'
            f"<h1>{name}</h1>"
            + (f'<p class="sub">Source: {_esc(d.source)}</p>' if d.source else "")
            + f'<div class="math">{mathml_block(_shown_mathml(d), display="block")}</div>'
            + f'<p class="sub">{plural(n, "step")}'
            + (f'<span class="counts">: {_esc(counts)}</span>' if verdicts and counts else "")
            + "</p></section>"
        )
        for step in d.steps:
            previous = d.steps[step.index - 2] if step.index > 1 else None
            lhs = mathml_block(_shown_mathml(d, previous), display="block")
            rhs = mathml_block(f"<mo>{_RELATION_MO[step.relation]}</mo>",
                               _shown_mathml(d, step), display="block")  # fmt: skip
            why = justification_html(step, d)
            verdict = step.result.verdict.value if step.result is not None else "unchecked"
            slides.append(
                f'<section class="slide step" data-derivation="{i}" data-step="{step.index}" '
                f'data-verdict="{verdict}"><h2>{name} — step {step.index} of {n}</h2>'
                f'<div class="math lhs">{lhs}</div>'
                f'<div class="math rhs fragment">{rhs}</div>'
                + (f'<div class="why fragment">{why}</div>' if why else "")
                + (_verdict_html(step) if verdicts else "")
                + "</section>"
            )
    toggle = '<button id="toggle" type="button">verdicts</button>' if verdicts else ""
    return "\n".join([
        *html_head(title, _CSS),
        *slides,
        f'<div id="bar"><span>{_esc(title)}</span><span id="where"></span><span>'
        '<button id="prev" type="button">←</button><button id="next" type="button">→</button>'
        f"{toggle}</span></div>",
        f"<script>\n{_JS}</script>",
        "</body>",
        "</html>",
        "",
    ])  # fmt: skip

