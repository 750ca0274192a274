"""The autograder function in a real Jupyter kernel, as an nbgrader or Otter-Grader cell
would call it: the score *and* the feedback text come back together."""

from __future__ import annotations

from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

pytestmark = pytest.mark.notebook

ANSWER = '''symbols: x, m : real
symbols: s : positive
log(exp(-(x - m)^2/(2*s^2))/sqrt(2*pi*s^2))
= -(x - m)^2/(2*s^2) - log(sqrt(2*pi*s^2))
= -(x - m)^2/(2*s^2) - log(2*pi*s^2)
= -(x - m)^2/(2*s^2) - log(2*pi) - 2*log(s)
'''
GOAL = "-(x - m)^2/(2*s^2) - log(2*pi)/2 - log(s)"


def test_grade_in_a_notebook_kernel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "answer.deriv").write_text(ANSWER, encoding="utf-8")
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(
            "from elbo_derivation.marking import grade\n"
            f"g = grade('answer.deriv', goal={GOAL!r})\n"
            "print(g.feedback)\n"
            "(g.score, g.max_score)"),
        nbformat.v4.new_code_cell(
            f"g2 = grade(open('answer.deriv').read(), goal={GOAL!r})\n"
            "assert (g2.score, g2.feedback) == (g.score, g.feedback.replace('answer.deriv', "
            "'<answer>'))"),
    ]
    monkeypatch.setenv("MPLBACKEND", "Agg")
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    outputs = nb.cells[0].outputs
    printed = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    result = next(o for o in outputs if o.output_type == "execute_result")["data"]["text/plain"]
    # step 1 correct (1.5), step 2 wrong (−1), step 3 carried forward (1), goal not reached
    assert result == "(1.5, 10.0)"
    assert printed.startswith("Score: 1.5 / 10")
    assert "Step 2 is wrong (line 5)" in printed
    assert "error carried forward" in printed
    assert "The goal is not reached (stops at" in printed
