"""Rich display in Jupyter and the ``%%derivation`` cell magic, in a real kernel.

The objects' ``_repr_html_``/``_repr_latex_``/``_repr_mimebundle_`` are checked directly; the
magic is run by nbclient in a ``python3`` kernel started with this interpreter, exactly as a
lecturer's notebook would run it.
"""

from __future__ import annotations

import pytest

from elbo_derivation.decide.engine import check_derivation
from elbo_derivation.read.deriv import parse_derivation

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

GOOD = ("title: powers\nsymbols: a, b : positive\nlog(a^2*b)\n"
        "= 2*log(a) + log(b)  # log of a product\n")
WRONG = ("title: a slip\nsymbols: mu : real\nsymbols: sigma : positive\n"
         "-(mu - 1)^2/(2*sigma^2)\n= -(mu^2 - 2*mu + 1)/(2*sigma^2)  # expand the square\n"
         "= -(mu^2 + 1)/(2*sigma^2)  # drop a term (wrong)\n")  # fmt: skip


def test_rich_display_of_objects():
    import elbo_derivation.notebook  # noqa: F401  (registers the renderers, as IPython does)

    d = check_derivation(parse_derivation(WRONG))
    bundle = d._repr_mimebundle_()
    assert set(bundle) == {"text/html", "text/latex", "text/plain"}
    html = d._repr_html_()
    assert html.count("<math") == 3 and "✗" in html and "✓" in html
    assert "First problem: step 2 (line 6)" in html
    assert "**" not in html and "(-1)" not in html
    latex = d._repr_latex_()
    assert latex.startswith(r"$$\begin{aligned}") and r"\times" in latex
    step = d.steps[1]
    assert "<math" in step._repr_html_() and "refuted" in step._repr_html_()
    assert "refuted" in step.result._repr_html_()
    assert "refuted" in str(d) and "Derivation(" not in str(d)  # print(d): the report


def _run(cells: list[str], monkeypatch) -> list:
    monkeypatch.setenv("PYTHONHASHSEED", "0")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                                     allow_errors=False)  # fmt: skip
    client.execute()
    return nb.cells


@pytest.mark.notebook
def test_cell_magic_in_a_kernel(monkeypatch):
    cells = _run([
        "import elbo_derivation\n"
        "elbo_derivation.check_steps(['log(a^2)', '2*log(a)'], symbols='a',\n"
        "                            assumptions={'a': 'positive'})",
        "%load_ext elbo_derivation",
        "%%derivation --no-numeric\n" + GOOD,
        "%%derivation\n" + WRONG,
        "print(_derivation.first_failure.index)",
        "%%derivation --no-verdicts\n" + WRONG,
        "%%derivation\nsymbols: a : positive\nlog(a^2)\n= 2*log(b)\n",
    ], monkeypatch)  # fmt: skip
    plain = cells[0].outputs[0]["data"]  # rich display without the extension loaded
    assert "<math" in plain["text/html"] and "✓" in plain["text/html"]
    assert plain["text/latex"].startswith("$$")
    cells = cells[1:]
    good = cells[1].outputs[0]["data"]
    assert "text/html" in good and "<math" in good["text/html"]
    assert "all 1 step hold" in good["text/html"]
    wrong = cells[2].outputs[0]["data"]["text/html"]
    assert "First problem: step 2 (line 7)" in wrong and "✗" in wrong  # the cell's line
    assert cells[3].outputs[0]["text"].strip() == "2"
    quiz = cells[4].outputs[0]["data"]["text/html"]
    assert "<math" in quiz and "✗" not in quiz and "First problem" not in quiz
    err = [o for o in cells[5].outputs if o.get("name") == "stderr"]
    assert err and "cell:4" in err[0]["text"] and "'b'" in err[0]["text"]
    assert not any(o.get("output_type") == "error" for o in cells[5].outputs)


def test_student_notebooks_hold_no_solutions(tmp_path):
    """``make student-notebooks``: every notebook without its worked solutions, and nothing
    hidden left in it that an HTML export would show (hints stay, folded in <details>)."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    run = subprocess.run([sys.executable, str(root / "notebooks" / "_build.py"),
                          "--without-solutions", str(tmp_path)],
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stderr
    copies = sorted(tmp_path.glob("*.ipynb"))
    assert len(copies) == 6
    hidden_solutions = 0
    for path in copies:
        nb = nbformat.read(path, as_version=4)
        full = nbformat.read(root / "notebooks" / path.name, as_version=4)
        hidden_solutions += sum(
            1 for c in full.cells
            if c.cell_type == "code" and c.metadata.get("jupyter", {}).get("source_hidden"))
        for cell in nb.cells:
            assert not cell.get("outputs"), path.name  # no stored verdicts or results
            if cell.cell_type == "code":
                assert not cell.metadata.get("jupyter", {}).get("source_hidden"), path.name
                assert "Worked solution" not in cell.source, path.name
            else:  # a hint in markdown stays folded in a <details> element
                if cell.metadata.get("jupyter", {}).get("source_hidden"):
                    assert cell.source.lstrip().startswith("<details>"), path.name
    assert hidden_solutions > 0  # the full notebooks do have solutions to remove
