"""Adam, the training loop and the toy data sets."""

from __future__ import annotations

import math

import numpy as np
import pytest

from elbo_derivation.vae import (
    DATASETS,
    VAE,
    Adam,
    load_dataset,
    load_digits,
    make_moons,
    standardize,
    train,
)


def _adam_reference(theta, grads_seq, lr, b1=0.9, b2=0.999, eps=1e-8):
    """Algorithm 1 of Kingma & Ba (2015), written out literally."""
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    for t, g in enumerate(grads_seq, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        m_hat = m / (1 - b1**t)
        v_hat = v / (1 - b2**t)
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
    return theta


@pytest.mark.parametrize("flat", [True, False, "mixed"], ids=["ParamDict", "plain-dict", "mixed"])
def test_adam_matches_the_paper(flat: bool | str) -> None:
    rng = np.random.default_rng(0)
    model = VAE(3, 4, 2, rng=rng)
    start = model.params.flat.copy()
    grads_seq = [rng.normal(size=start.shape) * 10.0 ** rng.integers(-3, 3) for _ in range(7)]
    expected = _adam_reference(start, grads_seq, lr=0.01)
    if flat:
        params = model.params
        opt = Adam(params, lr=0.01)
        for g in grads_seq:
            grads = params.copy()
            grads.flat[...] = g
            opt.step(grads if flat is True else dict(grads))  # "mixed": a plain dict of grads
        got = params.flat
    else:
        params = {k: v.copy() for k, v in model.params.items()}
        opt = Adam(params, lr=0.01)
        for g in grads_seq:
            template = model.params.copy()
            template.flat[...] = g
            opt.step(dict(template))
        got = np.concatenate([v.ravel() for v in params.values()])
    assert np.allclose(got, expected, rtol=1e-12, atol=1e-15)


def test_adam_refuses_non_finite_gradients() -> None:
    p = {"w": np.ones(3)}
    opt = Adam(p, lr=0.1)
    with pytest.raises(FloatingPointError, match="NaN or inf"):
        opt.step({"w": np.array([1.0, np.nan, 0.0])})
    assert np.array_equal(p["w"], np.ones(3)) and opt.t == 0


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"lr": 0.0}, "lr"), ({"betas": (0.9, 1.0)}, "betas"), ({"eps": -1}, "eps")],
)
def test_adam_bad_arguments(kwargs, match) -> None:
    with pytest.raises(ValueError, match=match):
        Adam({"w": np.ones(2)}, **kwargs)


@pytest.mark.parametrize("name", ["moons", "pinwheel", "mixture", "ppca"])
def test_training_lowers_the_loss(name: str) -> None:
    rng = np.random.default_rng(1)
    x = load_dataset(name, 512, rng=rng)
    model = VAE(x.shape[1], 16, 2, rng=rng, obs_var="learned")
    eps = np.random.default_rng(2).standard_normal((len(x), 2))
    before = model.loss(x, eps)
    history = train(model, x, epochs=15, batch_size=64, rng=rng, progress=False, lr=1e-2)
    assert len(history.loss) == len(history.reconstruction) == len(history.kl) == 15
    assert np.allclose(np.add(history.reconstruction, history.kl), history.loss)
    assert history.loss[-1] < history.loss[0] - 0.05
    assert model.loss(x, eps) < before - 0.05  # same noise, fresh evaluation


def test_training_lowers_the_loss_on_digits() -> None:
    rng = np.random.default_rng(3)
    x = load_dataset("digits", rng=rng)
    model = VAE(64, 32, 4, rng=rng)
    history = train(model, x, epochs=3, batch_size=128, rng=rng, progress=False, lr=1e-2)
    assert history.loss[-1] < history.loss[0] - 1.0


@pytest.mark.parametrize("seed", range(20))
def test_nothing_becomes_non_finite(seed: int) -> None:
    """Unscaled data (raw digit pixels 0–16, moons ×100) with a large step size."""
    rng = np.random.default_rng(seed)
    for x, obs_var in [(load_digits()[::3], "learned"), (100 * make_moons(300, rng=rng), 1.0)]:
        model = VAE(x.shape[1], 16, 2, rng=rng, obs_var=obs_var)
        history = train(model, x, epochs=2, batch_size=100, rng=rng, progress=False, lr=0.5)
        assert np.isfinite(history.loss).all()
        assert np.isfinite(model.params.flat).all()
        assert np.isfinite(model.reconstruct(x)).all()


def test_training_is_reproducible() -> None:
    def run() -> list[float]:
        rng = np.random.default_rng(9)
        x = load_dataset("moons", 200, rng=rng)
        model = VAE(2, 8, 2, rng=rng)
        return train(model, x, epochs=3, batch_size=50, rng=rng, progress=False).loss

    assert run() == run()


def test_training_stops_clearly_when_the_loss_is_not_finite(monkeypatch) -> None:
    rng = np.random.default_rng(0)
    model = VAE(2, 4, 2, rng=rng)
    real_forward = model.forward

    def forward(x, eps):
        cache = real_forward(x, eps)
        cache.loss = math.nan
        return cache

    monkeypatch.setattr(model, "forward", forward)
    with pytest.raises(FloatingPointError, match="epoch 1, step 1: the loss is nan"):
        train(model, make_moons(20, rng=rng), epochs=1, batch_size=10, rng=rng, progress=False)


def test_train_rejects_bad_data() -> None:
    rng = np.random.default_rng(0)
    model = VAE(2, 4, 2, rng=rng)
    with pytest.raises(ValueError, match=r"data must have shape \(batch, 2\)"):
        train(model, np.ones((5, 3)), epochs=1, batch_size=2, rng=rng, progress=False)
    with pytest.raises(ValueError, match="data must be finite"):
        train(model, np.full((5, 2), np.nan), epochs=1, batch_size=2, rng=rng, progress=False)
    with pytest.raises(ValueError, match="epochs"):
        train(model, np.ones((5, 2)), epochs=0, batch_size=2, rng=rng, progress=False)


def test_history_json(tmp_path) -> None:
    import json

    rng = np.random.default_rng(0)
    model = VAE(2, 4, 2, rng=rng)
    h = train(model, make_moons(40, rng=rng), epochs=2, batch_size=20, rng=rng, progress=False)
    h.save(tmp_path / "h.json")
    data = json.loads((tmp_path / "h.json").read_text())
    assert data["epoch"] == [1, 2] and data["loss"] == h.loss


# ---------------------------------------------------------------------- data
@pytest.mark.parametrize("name", DATASETS)
def test_datasets_shapes_and_standardisation(name: str) -> None:
    raw = load_dataset(name, 300, rng=np.random.default_rng(0), standardized=False)
    std = load_dataset(name, 300, rng=np.random.default_rng(0))
    assert raw.dtype == std.dtype == np.float64
    assert raw.shape == std.shape and raw.shape[0] == (1797 if name == "digits" else 300)
    assert np.isfinite(std).all()
    assert np.allclose(std.mean(axis=0), 0.0, atol=1e-12)
    sd = std.std(axis=0)
    assert np.all(np.isclose(sd, 1.0) | np.isclose(sd, 0.0))


def test_digits_are_raw_pixels() -> None:
    x = load_digits()
    assert x.shape == (1797, 64) and x.min() == 0.0 and x.max() == 16.0


def test_standardize_constant_columns_and_inverse() -> None:
    x = np.column_stack([np.arange(5.0), np.full(5, 7.0)])
    xs, mean, scale = standardize(x)
    assert np.array_equal(xs[:, 1], np.zeros(5)) and scale[1] == 1.0
    assert np.allclose(xs * scale + mean, x)


def test_unknown_dataset() -> None:
    with pytest.raises(ValueError, match="dataset must be one of"):
        load_dataset("mnist", rng=np.random.default_rng(0))
