"""``elbo-derivation train``: files written, reproducible, bad arguments rejected."""

from __future__ import annotations

import json

import numpy as np
import pytest

from elbo_derivation.cli import main
from elbo_derivation.vae import load, load_dataset


def test_train_command_writes_model_history_and_figures(tmp_path, capsys) -> None:
    out = tmp_path / "run"
    argv = ["train", "--dataset", "moons", "--latent", "2", "--epochs", "4", "--seed", "3",
            "--n", "300", "--out", str(out), "--no-progress"]  # fmt: skip
    assert main(argv) == 0
    assert "moons: loss" in capsys.readouterr().out
    for name in ("model.npz", "history.json", "loss.png", "latent.png", "samples.png"):
        assert (out / name).stat().st_size > 0, name
    history = json.loads((out / "history.json").read_text())
    assert len(history["loss"]) == 4
    assert np.allclose(np.add(history["reconstruction"], history["kl"]), history["loss"])
    model = load(out / "model.npz")
    assert model.n_input == 2 and model.n_latent == 2 and model.learn_obs_var
    x = load_dataset("moons", 300, rng=np.random.default_rng(3))
    assert np.isfinite(model.reconstruct(x)).all()


def test_digits_figure(tmp_path) -> None:
    from elbo_derivation.vae import VAE
    from elbo_derivation.vae.plots import plot_samples

    rng = np.random.default_rng(0)
    x = load_dataset("digits", rng=rng)[:10]
    plot_samples(VAE(64, 8, 2, rng=rng), x, tmp_path / "s.png", rng=rng)
    assert (tmp_path / "s.png").stat().st_size > 0


@pytest.mark.parametrize(
    "extra",
    [["--epochs", "0"], ["--latent", "x"], ["--dataset", "mnist"], ["--obs-var", "-1"]],
)
def test_train_command_bad_arguments(tmp_path, extra, capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["train", "--out", str(tmp_path / "o"), *extra])
    assert info.value.code == 2
    assert "error" in capsys.readouterr().err


def test_train_command_out_is_a_file(tmp_path, capsys) -> None:
    (tmp_path / "f").write_text("")
    assert main(["train", "--out", str(tmp_path / "f"), "--epochs", "1", "--no-progress"]) == 2
    assert "not a directory" in capsys.readouterr().err
