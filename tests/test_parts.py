"""Every part of a file is read and checked: several ``align`` environments in a ``.tex``
file, ``part:`` headers or a new starting expression after a blank line in a ``.deriv`` file.

A wrong second part must make the file fail (exit 1), never pass unseen.
"""

from __future__ import annotations

import json

import pytest
import sympy as sp

from elbo_derivation import verification
from elbo_derivation.cli import main
from elbo_derivation.errors import DerivationSyntaxError
from elbo_derivation.read.deriv import parse_derivation
from elbo_derivation.read.tex import parse_tex_derivation

TEX = r"""% symbols: a, b : positive
% part: (a)
\begin{align*}
\log(ab) &= \log a + \log b
\end{align*}
Now part (b).
% part: (b)
% goal: 2\log a
\begin{align*}
\log(a^2) &= 3\log a
\end{align*}
"""

DERIV = """\
symbols: a, b : positive
log(a*b)
= log(a) + log(b)

log(a^2)
= 3*log(a)
part: (c)
goal: 3*log(a)
log(a^3)
= 3*log(a)
"""


def test_tex_reads_every_align_environment():
    d = parse_tex_derivation(TEX, file="two.tex")
    assert [p.metadata["part"]["label"] for p in d.parts] == ["(a)", "(b)"]
    assert [p.metadata["part"]["line"] for p in d.parts] == [3, 9]
    assert [p.steps[0].line for p in d.parts] == [4, 10]
    assert d.parts[1].metadata["goal"] == {"text": r"2\log a", "line": 8, "column": 9}
    assert "goal" not in d.parts[0].metadata


def test_deriv_parts_by_header_and_by_blank_line():
    d = parse_derivation(DERIV, file="three.deriv")
    assert len(d.parts) == 3
    assert [p.metadata["part"]["label"] for p in d.parts] == ["1", "2", "(c)"]
    assert [p.start_line for p in d.parts] == [2, 5, 9]
    assert d.parts[2].metadata["goal"]["text"] == "3*log(a)"


def test_one_part_has_no_part_metadata():
    d = parse_derivation("symbols: a : positive\nlog(a^2)\n= 2*log(a)\n")
    assert d.parts == [d] and "part" not in d.metadata


def test_second_start_without_blank_line_is_still_an_error():
    with pytest.raises(DerivationSyntaxError, match=r"x.deriv:4:1: expected a relation"):
        parse_derivation("symbols: a : positive\nlog(a^2)\n= 2*log(a)\nlog(a)\n= log(a)\n",
                         file="x.deriv")


def test_empty_part_is_an_error():
    with pytest.raises(DerivationSyntaxError, match=r"x.deriv:4:1: no starting expression "
                                                    r"in part '\(b\)'"):
        parse_derivation("symbols: a : positive\nlog(a^2)\n= 2*log(a)\npart: (b)\n",
                         file="x.deriv")


@pytest.mark.parametrize("name,text", [("two.tex", TEX), ("three.deriv", DERIV)])
def test_wrong_later_part_fails_the_file(tmp_path, capsys, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    d = verification.check_file(path)
    verdicts = [[s.verdict.value for s in p.steps] for p in d.parts]
    assert verdicts[1] == ["refuted"] and verdicts[0] == ["proved"]
    assert not verification.derivation_ok(d, numeric=False)
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert "== part (b)" in out or "== part 2" in out
    assert main(["check", str(path), "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert [p["part"]["number"] for p in doc["parts"]] == list(range(1, len(d.parts) + 1))
    rows = verification.check_folder(tmp_path)
    assert rows[0].status == "refuted" and rows[0].line == d.parts[1].steps[0].line


def test_equations_holding_a_chain_are_parts_and_other_display_maths_is_named(tmp_path, capsys):
    text = ("% symbols: a : positive\n\\begin{equation}\n\\log a^2 = 3 \\log a.\n"
            "\\end{equation}\n\\begin{align*}\n\\log a^2 &= 2\\log a\n\\end{align*}\n"
            "\\[ a \\le a + 1 = 1 + a \\]\n\\begin{gather}\na \\\\ b\n\\end{gather}\n")
    d = parse_tex_derivation(text, file="e.tex")
    assert [[s.relation.value for s in p.steps] for p in d.parts] == [["="], ["="], ["<=", "="]]
    assert d.parts[0].steps[0].expr_text == "3 \\log a"
    assert d.metadata["unread"] == [{"line": 9, "what": "\\begin{gather}"}]
    path = tmp_path / "e.tex"
    path.write_text(text, encoding="utf-8")
    assert main(["check", str(path)]) == 1  # the equation's wrong claim is not skipped
    assert "e.tex:9: \\begin{gather} is not checked" in capsys.readouterr().err


def test_each_part_keeps_the_declarations_made_before_it():
    d = parse_derivation("symbols: a : positive\nlog(a^2)\n= 2*log(a)\n\n"
                         "symbols: b : positive\nlog(a*b)\n= log(a) + log(b)\n")
    first, second = d.parts
    assert "b" not in first.symbols and "b" not in first.declarations.symbols
    assert "b" in second.symbols and second.declarations.assumption_of["b"] == "positive"


def test_a_let_between_steps_stays_in_its_part():
    d = parse_derivation("symbols: a : positive\nlog(a^2)\n= 2*log(a)\nlet: c = log(a)\n= 2*c\n")
    assert d.parts == [d] and d.definitions == {"c": sp.log(d.symbols["a"])}


def test_the_step_limit_holds_for_the_whole_file():
    from elbo_derivation.read.limits import MAX_STEPS

    part = "a\n= a\n\n"
    with pytest.raises(DerivationSyntaxError, match="in all parts together"):
        parse_derivation("symbols: a : real\n" + part * (MAX_STEPS + 1))
    tex = "% symbols: a : real\n" + "\\begin{align*}\na &= a\n\\end{align*}\n" * (MAX_STEPS + 1)
    with pytest.raises(DerivationSyntaxError, match="in all parts together"):
        parse_tex_derivation(tex)
