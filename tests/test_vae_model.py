"""The NumPy VAE: hand-written gradients against finite differences, the loss's form, safety."""

from __future__ import annotations

import math

import numpy as np
import pytest

from elbo_derivation.vae import LOG_VAR_BOUND, VAE, ParamDict, gradcheck, load, save


def _random_model(seed: int, hidden: bool, learned: bool) -> tuple[VAE, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    D, H, K, B = (int(v) for v in rng.integers([1, 2, 1, 1], [7, 9, 5, 8]))
    model = VAE(D, H if hidden else None, K, rng=rng,
                obs_var="learned" if learned else float(rng.uniform(0.2, 3.0)))  # fmt: skip
    # move every parameter (biases and log c too) off its initial value
    model.params.flat[...] += 0.3 * rng.standard_normal(model.params.flat.shape)
    return model, rng.normal(size=(B, D)), rng.standard_normal((B, K))


@pytest.mark.parametrize("hidden", [True, False], ids=["hidden", "linear"])
@pytest.mark.parametrize("learned", [False, True], ids=["fixed-c", "learned-c"])
@pytest.mark.parametrize("seed", range(4))
def test_gradcheck_every_parameter(seed: int, hidden: bool, learned: bool) -> None:
    model, x, eps = _random_model(seed, hidden, learned)
    errors = gradcheck(model, x, eps)
    assert set(errors) == set(model.params)
    assert ("log_c" in errors) == learned
    worst = max(errors, key=errors.get)
    assert errors[worst] <= 1e-7, (worst, errors)


def test_gradcheck_detects_a_wrong_gradient() -> None:
    model, x, eps = _random_model(0, True, False)
    original = model.backward

    def broken(cache):
        grads = original(cache)
        grads["b_dec"] *= 1.001  # a 0.1 % error in one parameter
        return grads

    model.backward = broken
    errors = gradcheck(model, x, eps)
    assert errors["b_dec"] > 1e-4
    assert errors["W_out"] <= 1e-7


def test_gradcheck_prints_analytic_and_numeric(capsys) -> None:
    model, x, eps = _random_model(1, False, True)
    gradcheck(model, x, eps, verbose=True)
    out = capsys.readouterr().out
    assert "analytic" in out and "numeric" in out and "log_c" in out


def test_gradcheck_leaves_the_model_unchanged() -> None:
    model, x, eps = _random_model(2, True, True)
    before = model.params.flat.copy()
    gradcheck(model, x, eps)
    assert np.array_equal(model.params.flat, before)


def test_loss_is_the_formula() -> None:
    """Recompute the loss of the docstring from encode/decode, sample by sample."""
    model, x, eps = _random_model(3, True, True)
    g, log_var = model.encode(x)
    x_hat = model.decode(g + np.exp(log_var / 2) * eps)
    c = model.obs_var
    D = x.shape[1]
    per_sample = (
        np.sum((x - x_hat) ** 2, axis=1) / (2 * c)
        + D / 2 * np.log(2 * np.pi * c)
        + 0.5 * np.sum(np.exp(log_var) + g**2 - log_var - 1, axis=1)
    )
    assert model.loss(x, eps) == pytest.approx(per_sample.mean(), rel=1e-13)


@pytest.mark.parametrize("obs_var", [0.3, 1.0, 7.5, "learned"])
def test_seed_loss_differs_by_the_dropped_constant(obs_var) -> None:
    rng = np.random.default_rng(5)
    model = VAE(6, 4, 2, rng=rng, obs_var=obs_var)
    if obs_var == "learned":
        model.params["log_c"] = -0.7
    x, eps = rng.normal(size=(9, 6)), rng.standard_normal((9, 2))
    diff = model.loss(x, eps) - model.seed_loss(x, eps)
    assert diff == pytest.approx(6 / 2 * math.log(2 * math.pi * model.obs_var), abs=1e-12)


def test_per_sample_intermediate_gradients() -> None:
    """dL/dx̂, dL/dg, dL/dℓ per sample against finite differences through decode/KL."""
    model, x, eps = _random_model(6, True, True)
    cache = model.forward(x, eps)
    model.backward(cache)
    C, D = model.C, x.shape[1]
    assert np.allclose(cache.dL_dx_hat, 2 * C * (cache.x_hat - x))
    assert np.allclose(cache.dKL_dg, cache.g)
    assert np.allclose(cache.dKL_dlog_var, 0.5 * (np.exp(cache.log_var) - 1))

    def per_sample_loss(g: np.ndarray, log_var: np.ndarray) -> np.ndarray:
        x_hat = model.decode(g + np.exp(log_var / 2) * eps)
        return (C * np.sum((x - x_hat) ** 2, axis=1) + D / 2 * np.log(2 * np.pi * model.obs_var)
                + 0.5 * np.sum(np.exp(log_var) + g**2 - log_var - 1, axis=1))  # fmt: skip

    h = 1e-6
    for k in range(model.n_latent):
        e = np.zeros_like(cache.g)
        e[:, k] = h
        num_g = (per_sample_loss(cache.g + e, cache.log_var)
                 - per_sample_loss(cache.g - e, cache.log_var)) / (2 * h)  # fmt: skip
        num_l = (per_sample_loss(cache.g, cache.log_var + e)
                 - per_sample_loss(cache.g, cache.log_var - e)) / (2 * h)  # fmt: skip
        assert np.allclose(cache.dL_dg[:, k], num_g, rtol=1e-6, atol=1e-8)
        assert np.allclose(cache.dL_dlog_var[:, k], num_l, rtol=1e-6, atol=1e-8)


def test_log_var_is_bounded_and_nothing_overflows() -> None:
    rng = np.random.default_rng(7)
    model = VAE(4, 5, 3, rng=rng, obs_var="learned")
    model.params.flat[...] = 1e4 * rng.standard_normal(model.params.flat.shape)
    x = 1e6 * rng.normal(size=(10, 4))
    eps = rng.standard_normal((10, 3))
    cache = model.forward(x, eps)
    assert np.all(np.abs(cache.log_var) <= LOG_VAR_BOUND)
    loss, grads = model.loss_and_grads(x, eps)
    assert math.isfinite(loss)
    assert np.isfinite(grads.flat).all()
    assert abs(model.log_c) <= 15.0


@pytest.mark.parametrize(
    ("x_shape", "eps_shape", "bad", "match"),
    [
        ((5, 4), (5, 2), None, r"x must have shape \(batch, 3\)"),
        ((5, 3), (5, 3), None, r"eps must have shape \(batch, 2\)"),
        ((5, 3), (4, 2), None, "eps must have the same batch size"),
        ((5, 3), (5, 2), ("x", np.nan), "x must be finite"),
        ((5, 3), (5, 2), ("eps", np.inf), "eps must be finite"),
        ((5, 3), (5, 2), ("x", 1e200), "x must have entries of magnitude"),
        ((3,), (5, 2), None, r"x must have shape"),
    ],
)
def test_bad_inputs_name_the_argument(x_shape, eps_shape, bad, match) -> None:
    model = VAE(3, 4, 2, rng=np.random.default_rng(0))
    x, eps = np.zeros(x_shape), np.zeros(eps_shape)
    if bad is not None:
        (x if bad[0] == "x" else eps)[1, 0] = bad[1]
    with pytest.raises(ValueError, match=match):
        model.loss_and_grads(x, eps)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_input": 0}, "n_input"),
        ({"n_hidden": 2.5}, "n_hidden"),
        ({"n_latent": -1}, "n_latent"),
        ({"obs_var": -1.0}, "obs_var"),
        ({"obs_var": "fixed"}, "obs_var"),
        ({"rng": 3}, "rng"),
    ],
)
def test_bad_constructor_arguments(kwargs, match) -> None:
    args = {"n_input": 3, "n_hidden": 4, "n_latent": 2, "rng": np.random.default_rng(0)} | kwargs
    rng = args.pop("rng")
    with pytest.raises(ValueError, match=match):
        VAE(args.pop("n_input"), args.pop("n_hidden"), args.pop("n_latent"), rng=rng, **args)


def test_glorot_initialisation_is_reproducible_and_scaled() -> None:
    a = VAE(30, 50, 4, rng=np.random.default_rng(11))
    b = VAE(30, 50, 4, rng=np.random.default_rng(11))
    assert np.array_equal(a.params.flat, b.params.flat)
    assert a.params["W_enc"].dtype == np.float64
    bound = math.sqrt(6 / (30 + 50))
    assert np.abs(a.params["W_enc"]).max() <= bound
    assert a.params["W_enc"].std() == pytest.approx(bound / math.sqrt(3), rel=0.05)
    assert not a.params["b_enc"].any()


@pytest.mark.parametrize("hidden", [6, None])
@pytest.mark.parametrize("obs_var", [0.5, "learned"])
def test_save_load_gives_identical_outputs(tmp_path, hidden, obs_var) -> None:
    rng = np.random.default_rng(12)
    model = VAE(5, hidden, 3, rng=rng, obs_var=obs_var)
    model.params.flat[...] += 0.1 * rng.standard_normal(model.params.flat.shape)
    save(model, tmp_path / "m.npz")
    again = load(tmp_path / "m.npz")
    assert again.architecture == model.architecture
    x, eps = rng.normal(size=(7, 5)), rng.standard_normal((7, 3))
    l1, g1 = model.loss_and_grads(x, eps)
    l2, g2 = again.loss_and_grads(x, eps)
    assert l1 == l2
    assert np.array_equal(g1.flat, g2.flat)
    assert np.array_equal(model.reconstruct(x), again.reconstruct(x))
    with np.load(tmp_path / "m.npz", allow_pickle=False) as f:  # no pickled objects inside
        assert "param/W_out" in f.files


def test_load_rejects_other_files(tmp_path) -> None:
    from elbo_derivation.errors import InputError

    np.savez(tmp_path / "x.npz", a=np.ones(3))
    with pytest.raises(InputError, match="not a VAE"):
        load(tmp_path / "x.npz")


def test_param_dict_keeps_views() -> None:
    d = ParamDict({"W": (2, 2), "c": ()})
    d["W"] = np.eye(2)
    d["c"] = 3.0
    assert d.flat.tolist() == [1.0, 0.0, 0.0, 1.0, 3.0]
    with pytest.raises(ValueError, match="W must have shape"):
        d["W"] = np.ones(3)
    with pytest.raises(KeyError):
        d["V"] = 1.0
    e = d.copy()
    e["c"] = 4.0
    assert d["c"] == 3.0


def test_kl_term_matches_the_numeric_side() -> None:
    """The model's inline KL agrees with elbo_derivation.numeric.kl.kl_standard_normal."""
    from elbo_derivation.numeric.kl import kl_standard_normal

    model, x, eps = _random_model(8, True, False)
    cache = model.forward(x, eps)
    expected = kl_standard_normal(cache.g, cache.log_var, axis=-1)
    assert np.allclose(cache.kl, expected, rtol=1e-13, atol=1e-15)
