"""Speed of the NumPy VAE's training step, against PyTorch when it is installed.

Setting of issue #5: D = 64 inputs, one tanh hidden layer of 256 units in encoder and
decoder, K = 8 latent dimensions, batch 128, float64. One step = forward, hand-written
backward, Adam update. Also reported: the time the same matrix multiplications take alone,
as a share of the step (how close the step is to the BLAS limit), and the same figures with
BLAS limited to one thread (threadpoolctl), since on a small, busy machine OpenBLAS threads
can cost more than they give.

Run: ``python benchmarks/bench_vae.py`` (or ``make bench``).
"""

from __future__ import annotations

import contextlib
import time

import numpy as np

D, H, K, BATCH = 64, 256, 8, 128


def _best_rate(step, n_steps: int, repeats: int = 5) -> float:
    """Steps per second: the best of ``repeats`` timings of ``n_steps`` steps."""
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(n_steps):
            step()
        best = min(best, time.perf_counter() - t)
    return n_steps / best


def numpy_step_rate(n_steps: int = 100) -> tuple[float, float]:
    """(steps per second, seconds per step spent in the step's matmuls alone)."""
    from elbo_derivation.vae import VAE, Adam

    rng = np.random.default_rng(0)
    model = VAE(D, H, K, rng=rng, obs_var="learned")
    opt = Adam(model.params, lr=1e-3)
    x = rng.standard_normal((BATCH, D))
    eps = rng.standard_normal((BATCH, K))

    def step() -> None:
        _, grads = model.loss_and_grads(x, eps)
        opt.step(grads)

    for _ in range(10):
        step()
    rate = _best_rate(step, n_steps)

    # the step's matrix products, with the same shapes, and nothing else
    p = model.params
    h = np.tanh(x @ p["W_enc"])
    g = h @ p["W_g"]
    hd = np.tanh(g @ p["W_dec"])
    dxh = rng.standard_normal((BATCH, D))
    dz = rng.standard_normal((BATCH, K))

    def matmuls() -> None:
        x @ p["W_enc"]  # forward: encoder hidden
        h @ p["W_g"]  # g head
        h @ p["W_log_var"]  # ℓ head
        g @ p["W_dec"]  # decoder hidden
        hd @ p["W_out"]  # x̂
        hd.T @ dxh  # backward: dW_out
        dxh @ p["W_out"].T  # dh_dec
        g.T @ hd  # dW_dec
        hd @ p["W_dec"].T  # dz
        h.T @ dz  # dW_g
        h.T @ dz  # dW_log_var
        dz @ p["W_g"].T  # dh_enc
        dz @ p["W_log_var"].T
        x.T @ h  # dW_enc

    mm_rate = _best_rate(matmuls, n_steps)
    return rate, 1.0 / mm_rate


def torch_step_rate(n_steps: int = 100) -> float | None:
    """Steps per second of the same network in PyTorch (CPU, eager, autograd, Adam)."""
    try:
        import torch
    except ImportError:
        return None
    torch.manual_seed(0)
    dt = torch.float64
    lin = lambda i, o: torch.nn.Linear(i, o).to(dt)  # noqa: E731
    enc, head_g, head_l = lin(D, H), lin(H, K), lin(H, K)
    dec, out = lin(K, H), lin(H, D)
    log_c = torch.zeros((), dtype=dt, requires_grad=True)
    params = [*enc.parameters(), *head_g.parameters(), *head_l.parameters(),
              *dec.parameters(), *out.parameters(), log_c]  # fmt: skip
    opt = torch.optim.Adam(params, lr=1e-3)
    x = torch.randn(BATCH, D, dtype=dt)
    eps = torch.randn(BATCH, K, dtype=dt)
    bound = 15.0

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        h = torch.tanh(enc(x))
        g = head_g(h)
        lv = bound * torch.tanh(head_l(h) / bound)
        z = g + torch.exp(0.5 * lv) * eps
        x_hat = out(torch.tanh(dec(z)))
        lc = bound * torch.tanh(log_c / bound)
        sq = ((x - x_hat) ** 2).sum(1)
        rec = 0.5 * torch.exp(-lc) * sq + 0.5 * D * (np.log(2 * np.pi) + lc)
        kl = 0.5 * (torch.expm1(lv) - lv + g * g).sum(1)
        (rec + kl).mean().backward()
        opt.step()

    for _ in range(10):
        step()
    return _best_rate(step, n_steps)


def ppca_figures() -> None:
    """Exact-ELBO training of a linear VAE against closed-form pPCA: time and gap."""
    from elbo_derivation.vae import fit_linear_vae, sample_ppca

    print("linear VAE (learned c, exact ELBO) against pPCA, N = 5000, D = 20:")
    for k, k_true in [(1, 5), (4, 4), (10, 10), (10, 15), (19, 19)]:
        rng = np.random.default_rng(k * 100 + k_true)
        x = sample_ppca(5000, rng=rng, d=20, k=k_true)
        fit = fit_linear_vae(x, k, rng=rng)
        print(f"  K={k:2d} (data from K={k_true:2d}): gap {fit.gap: .2e} nats/sample, "
              f"{fit.iterations:5d} rounds, {fit.seconds:5.2f} s")  # fmt: skip


def _one_thread():
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return None
    return threadpool_limits(limits=1)


def main() -> None:
    print(f"VAE training step: D={D}, hidden={H}, K={K}, batch={BATCH}, float64")
    for label, ctx in [("BLAS default threads", contextlib.nullcontext()),
                       ("BLAS 1 thread", _one_thread())]:  # fmt: skip
        if ctx is None:
            print(f"  [{label}] threadpoolctl not installed; skipped")
            continue
        with ctx:
            rate, mm_seconds = numpy_step_rate()
            share = mm_seconds * rate
            print(
                f"  [{label}] NumPy: {rate:8.1f} steps/s ({1e3 / rate:.3f} ms/step); "
                f"matmuls alone {1e3 * mm_seconds:.3f} ms = {100 * share:.0f}% of the step"
            )
            t_rate = torch_step_rate()
            if t_rate is None:
                print(f"  [{label}] PyTorch: not installed (import torch failed); no comparison")
            else:
                print(f"  [{label}] PyTorch eager + autograd + torch.optim.Adam: "
                      f"{t_rate:8.1f} steps/s; NumPy / PyTorch = {rate / t_rate:.2f}")  # fmt: skip
    ppca_figures()


if __name__ == "__main__":
    main()
