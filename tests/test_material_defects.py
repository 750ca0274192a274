"""Smaller defects of the teaching material (issue 18), each with a test that catches it."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

import elbo_derivation
from elbo_derivation import figures
from elbo_derivation.numeric.kl import kl_normal

ROOT = Path(__file__).resolve().parents[1]


def test_kl_surface_caption_states_the_growth_right():
    """With r = σ₁/σ₂ and equal means KL = ½(r² − 1) − log r: like −log r as r → 0, like
    r²/2 as r grows. The caption (figures --list, handout, README, notebook 02) says so."""
    for r in (1e-3, 1e-6):  # the claim itself
        assert math.isclose(kl_normal(0.0, r, 0.0, 1.0), 0.5 * (r * r - 1) - math.log(r))
        assert kl_normal(0.0, r, 0.0, 1.0) / -math.log(r) < 1.1
    assert math.isclose(kl_normal(0.0, 1e3, 0.0, 1.0) / (1e6 / 2), 1.0, rel_tol=1e-4)
    caption = figures.FIGURES["kl_surface"].caption
    assert "−log r" in caption and "r²/2" in caption and "steeply" not in caption
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    row = next(line for line in readme.splitlines() if "figures/kl_surface.png" in line)
    assert "−log r" in row and "steeply" not in row
    nb = (ROOT / "notebooks" / "_src" / "02-kl-between-gaussians.py").read_text("utf-8")
    assert "much faster for $r \\to 0$" not in nb and "like $-\\log r$" in nb


def test_captions_explain_what_looks_odd():
    loss = figures.FIGURES["loss_curves"].caption
    assert "negative" in loss and "KL lies above the total" in loss
    linear = figures.FIGURES["linear_vae_ppca"].caption
    assert "single-sample" in linear and "above the maximum" in linear


def test_kl_asymmetry_has_no_literal_underscores():
    source = (ROOT / "elbo_derivation" / "figures.py").read_text(encoding="utf-8")
    body = source[source.index("def kl_asymmetry"): source.index("def mc_convergence")]
    labels = re.findall(r'set_(?:x|y)?label\((r?"[^"]*")', body)
    assert labels
    for label in labels:
        text = label.lstrip("r").strip('"')
        assert "_" not in text or text.count("$") >= 2, label  # subscripts only in mathtext


def test_top_level_help_lists_every_command():
    from elbo_derivation.cli import COMMANDS, DESCRIPTION

    for name in COMMANDS:
        assert f"elbo-derivation {name}" in DESCRIPTION, name


def test_handout_help_does_not_say_a_minute():
    out = subprocess.run([sys.executable, "-m", "elbo_derivation", "handout", "--help"],
                         capture_output=True, text=True, timeout=60).stdout  # fmt: skip
    assert "about a minute" not in out and "a few seconds" in out


def test_dir_lists_only_the_public_names():
    names = set(dir(elbo_derivation))
    assert not {"Any", "TYPE_CHECKING", "importlib"} & names
    assert {"Derivation", "check_steps", "load_ipython_extension"} <= names


def test_print_derivation_is_the_report_in_a_fresh_process():
    code = ("import elbo_derivation as ed\n"
            "d = ed.check_steps(['log(a^2)', '2*log(a)'], symbols='a',"
            " assumptions={'a': 'positive'})\nprint(d)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120).stdout  # fmt: skip
    assert "Derivation(" not in out and "✓" in out and "2·log(a)" in out


def test_print_derivation_is_the_report():
    d = elbo_derivation.check_steps(["log(a^2)", "2*log(a)"], symbols="a",
                                    assumptions={"a": "positive"})  # fmt: skip
    text = str(d)
    assert "Derivation(" not in text and "proved" in text and "2·log(a)" in text


def test_first_failure_has_a_short_repr():
    d = elbo_derivation.check_steps(["(x - mu)^2", "x^2 + 2*x*mu + mu^2"], symbols="x, mu")
    text = repr(d.first_failure)
    assert len(text) < 120 and "refuted" in text and text.startswith("<Step 1")


def test_counterexample_says_the_difference_once():
    from elbo_derivation.core.steps import Counterexample
    from elbo_derivation.report.text import format_counterexample

    line = format_counterexample(Counterexample({}, 1.5, 1.0, 0.5,
                                                "exact: the difference is the constant 1/2"))
    assert line.count("difference") == 1


def test_inequality_sampling_line_reads_as_a_pass():
    from elbo_derivation.core.steps import NumericCheck
    from elbo_derivation.report.text import numeric_summary

    line = numeric_summary(NumericCheck("sampling", True, {"z_score": 6.41e11,
                                                           "one_sided": True, "threshold": 5.0}))
    assert "z = " not in line and "bound holds by" in line and "✓" in line


def test_train_quiet_when_not_a_terminal_and_summary_documented(tmp_path):
    run = subprocess.run([sys.executable, "-m", "elbo_derivation", "train", "--epochs", "3",
                          "--out", str(tmp_path / "run")],
                         capture_output=True, text=True, timeout=300)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert len(run.stderr) < 200, run.stderr[:300]  # no progress lines into a pipe
    assert (tmp_path / "run" / "summary.json").is_file()
    from elbo_derivation.commands.train import DESCRIPTION

    assert "summary.json" in DESCRIPTION


def test_explain_does_not_call_different_lines_the_same():
    from elbo_derivation.report.text import render_text

    d = elbo_derivation.check_steps(["2*1^2*a", "2*a"], symbols="a")
    assert d.steps[0].result.method == "structural"
    out = render_text([d], explain=True, timings=False)
    assert "Both sides are the same expression." not in out
    assert "Written differently" in out


def test_numeric_reasons_show_points_not_python_dicts():
    from elbo_derivation.core.steps import NumericCheck
    from elbo_derivation.report.text import numeric_summary

    line = numeric_summary(NumericCheck("quadrature", False, {"worst_rel_error": 0.5},
                                        "the sides differ by 0.5 (relative) at "
                                        "{'sigma1': 2.0, 'mu1': -1.5}"))  # fmt: skip
    assert "{" not in line and "'" not in line and "σ₁ = 2, μ₁ = −1.5" in line


def test_figure_captions_do_not_start_with_file_names():
    from elbo_derivation.report.handout import HandoutFigure, render_html

    fig = HandoutFigure("kl_surface", b"\x89PNG fake", figures.FIGURES["kl_surface"].caption)
    page = render_html([], figures=[fig])
    caption = re.search(r"<figcaption>(.*?)</figcaption>", page)[1]
    assert not caption.startswith(("kl_surface", "<strong>kl_surface"))
    assert caption.startswith("Figure 1. KL(")
