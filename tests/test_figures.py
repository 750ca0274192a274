"""The figures: labelled, colour-blind-safe, reproducible to the byte, and saying what they claim.

The VAE-based figures train small models (several seconds each); their tests share one run
per figure through the module's cache and are marked ``slow``.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from elbo_derivation import figures
from elbo_derivation.cli import main

ROOT = Path(__file__).resolve().parents[1]
FAST = ("kl_surface", "kl_asymmetry", "elbo_gap")
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _labelled_axes(fig) -> list:
    """The plotting axes of a figure (colour bars excluded)."""
    return [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]


@pytest.mark.parametrize("name", FAST)
def test_fast_figures_have_labelled_axes_and_a_title(name):
    fig = figures.make_figure(name)
    axes = _labelled_axes(fig)
    assert axes
    for ax in axes:
        assert ax.get_xlabel().strip() and ax.get_ylabel().strip()
        assert ax.get_title().strip() or fig.get_suptitle().strip()


def test_png_is_byte_identical_from_run_to_run(tmp_path):
    first = figures.figure_png("elbo_gap", seed=3)
    paths = figures.generate_all(tmp_path, progress=False, only=["elbo_gap"], seed=3)
    assert paths == [tmp_path / "elbo_gap.png"]
    assert paths[0].read_bytes() == first
    assert first.startswith(PNG_MAGIC)
    # no text chunk naming the software or a date
    assert b"Software" not in first and b"Creation Time" not in first


def test_seed_changes_the_random_draws():
    a = figures.kl_asymmetry(seed=0).axes[1].collections[0].get_offsets()
    b = figures.kl_asymmetry(seed=1).axes[1].collections[0].get_offsets()
    assert a.shape == b.shape and not np.allclose(a, b)


@pytest.mark.parametrize("name", ("elbo_gap",))
def test_committed_figure_is_what_the_code_draws(name):
    committed = ROOT / "figures" / f"{name}.png"
    if not committed.exists():
        pytest.skip("figures/ not generated in this tree")
    assert committed.read_bytes() == figures.figure_png(name), (
        f"figures/{name}.png is stale: run `elbo-derivation figures`"
    )


def test_every_figure_is_committed():
    folder = ROOT / "figures"
    if not any(folder.glob("*.png")):
        pytest.skip("figures/ not generated in this tree")
    assert {p.stem for p in folder.glob("*.png")} >= set(figures.FIGURES)


def test_palette_is_okabe_ito_and_lines_use_it():
    fig = figures.elbo_gap()
    allowed = {c.lower() for c in figures.PALETTE.values()}
    colours = {ln.get_color().lower() for ax in fig.axes for ln in ax.get_lines()}
    assert colours and colours <= allowed


def test_fonts_are_large_enough_to_project():
    fig = figures.kl_surface()
    ax = _labelled_axes(fig)[0]
    assert ax.xaxis.label.get_fontsize() >= 14
    assert min(t.get_fontsize() for t in ax.get_xticklabels()) >= 12


def test_elbo_gap_touches_log_evidence_at_the_posterior():
    from elbo_derivation.numeric import linear_gaussian as lg

    x, a, b, c = (figures.ELBO_GAP_MODEL[k] for k in ("x", "a", "b", "c"))
    mean, var = lg.posterior(x, a, b, c)
    fig = figures.elbo_gap()
    ax_m, ax_s = _labelled_axes(fig)
    log_px = lg.log_evidence(x, a, b, c)
    for ax, best in ((ax_m, mean), (ax_s, var**0.5)):
        elbo_line = next(ln for ln in ax.get_lines() if ln.get_label() == "ELBO")
        t, y = elbo_line.get_data()
        assert np.all(y <= log_px + 1e-12)
        assert abs(t[np.argmax(y)] - best) < 0.03 * max(1.0, abs(best))
        assert log_px - y.max() < 1e-3


def test_kl_surface_minimum_is_at_equal_gaussians():
    fig = figures.kl_surface()
    ax = _labelled_axes(fig)[0]
    star = next(ln for ln in ax.get_lines() if ln.get_marker() == "*")
    assert tuple(star.get_xydata()[0]) == (0.0, 1.0)
    assert ax.get_yscale() == "log"


def test_moons_labels_follow_make_moons_layout():
    x, label, position = figures._moons(301, np.random.default_rng(0))
    assert x.shape == (301, 2) and label.sum() == 150  # ⌈n/2⌉ rows in the upper moon
    assert x[label == 0, 1].mean() > x[label == 1, 1].mean()  # the upper moon is higher
    assert position.min() >= 0 and position.max() <= 1


def test_bad_arguments_name_themselves(tmp_path):
    with pytest.raises(ValueError, match="seed"):
        figures.kl_asymmetry(seed=-1)
    with pytest.raises(ValueError, match="nonesuch"):
        figures.generate_all(tmp_path, progress=False, only=["nonesuch"])
    with pytest.raises(ValueError, match="name must be one of"):
        figures.make_figure("nonesuch")


# ----------------------------------------------------------------------------- the command


def test_cli_list_names_every_figure(capsys):
    assert main(["figures", "--list"]) == 0
    out = capsys.readouterr().out
    for name, spec in figures.FIGURES.items():
        assert name in out and spec.caption[:30] in out


def test_cli_writes_only_what_is_asked(tmp_path, capsys):
    assert main(["figures", "--out", str(tmp_path), "--only", "elbo_gap", "--quiet"]) == 0
    assert [p.name for p in tmp_path.iterdir()] == ["elbo_gap.png"]
    assert (tmp_path / "elbo_gap.png").read_bytes().startswith(PNG_MAGIC)


def test_cli_unknown_figure_is_an_input_error(tmp_path, capsys):
    assert main(["figures", "--out", str(tmp_path), "--only", "nope"]) == 2
    err = capsys.readouterr().err
    assert "unknown figure 'nope'" in err and "elbo_gap" in err
    assert not list(tmp_path.iterdir())


def test_cli_help_explains_with_examples(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["figures", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "examples:" in out and "elbo-derivation figures --out" in out and "--only" in out


# ----------------------------------------------------------------------------- the VAE figures


@pytest.mark.slow
def test_c_sweep_shows_collapse_as_c_shrinks():
    res = figures._c_sweep_run(0)
    rate, distortion = res["rate"], res["distortion"]
    assert list(res["C"]) == sorted(res["C"], reverse=True)
    assert rate[0] > 2.0  # large C: the code carries information
    assert rate[-1] < 0.05  # small C: q(z|x) = p(z), posterior collapse
    assert distortion[-1] > 5 * distortion[0]
    assert np.allclose(res["per_dim"].sum(axis=1), rate)
    fig = figures.c_sweep(seed=0)
    assert len(_labelled_axes(fig)) == 2


@pytest.mark.slow
def test_linear_vae_climbs_to_the_ppca_likelihood():
    res = figures._linear_run(0)
    exact, ppca = res["exact"], res["ppca"]
    assert np.all(exact <= ppca + 1e-9)  # the ELBO never exceeds the maximised likelihood
    assert ppca - exact[-1] < 0.1
    assert ppca - exact[0] > 1.0
    assert abs(res["c"] - res["noise_var"]) < 0.02


@pytest.mark.slow
def test_vae_figures_draw(tmp_path):
    buf = io.BytesIO()
    fig = figures.vae_latent(seed=0)
    fig.savefig(buf, format="png")
    assert buf.getvalue().startswith(PNG_MAGIC)
    run = figures._moons_run(0)
    assert run.history.loss[-1] < run.history.loss[0]
    curves = figures.loss_curves(seed=0)
    labels = {ln.get_label() for ax in curves.axes for ln in ax.get_lines()}
    assert any("reconstruction" in lbl for lbl in labels) and any("KL" in lbl for lbl in labels)
    # loss = reconstruction + KL, epoch by epoch
    h = run.history
    assert np.allclose(np.add(h.reconstruction, h.kl), h.loss)
