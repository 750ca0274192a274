"""A small variational autoencoder in NumPy, with its gradients written by hand.

The model is the one the notes describe (§1, §2, §4): an encoder gives the mean ``g`` and the
log-variance ``log_var`` = ℓ = log h of the diagonal Gaussian q(z|x) = N(g(x), h(x)); a sample
is drawn by reparameterisation, z = g + exp(ℓ/2)·ε with ε ~ N(0, I); a decoder maps z to
x̂ = f(z), the mean of the Gaussian likelihood p(x|z) = N(x̂, cI). The loss is the single-sample
negative ELBO in nats,

    L(x, ε) = C‖x − x̂‖² + (D/2) log 2πc + ½ Σ_k (exp ℓ_k + g_k² − ℓ_k − 1),   C = 1/(2c),

averaged over the batch. The notes drop the constant (D/2) log 2πc ("we can drop the
normalization constant", §2); :meth:`VAE.seed_loss` is that form. Keeping the constant makes
the loss a true negative ELBO in nats, comparable with a log-likelihood (see ``ppca.py``), and
lets the observation variance c be learned.

Every layer's backward sits under its forward, with the line of math it implements.

Numerical safety
----------------
* ℓ is bounded smoothly: ℓ = B·tanh(u/B) with B = :data:`LOG_VAR_BOUND` = 15, where u is the
  encoder's raw output. This is a bijection from ℝ onto (−B, B), so it moves no optimum inside
  the range, its gradient is 1 − (ℓ/B)² (never exactly zero), and exp(ℓ) stays in
  (3·10⁻⁷, 3·10⁶): no overflow, whatever the weights.
* a learned log c is bounded the same way, log c = B·tanh(θ/B) with θ = ``params["log_c"]``.
* inputs are validated: ``x`` and ``eps`` must be finite, of the right shape, and at most
  :data:`MAX_ABS_INPUT` in magnitude (so that squares cannot overflow).

References
----------
.. [1] A. Selega, "Notes on Derivation of the Variational Autoencoder Evidence Lower Bound
   Loss", 2022, §2 and §4.
.. [2] D. P. Kingma and M. Welling, "Auto-Encoding Variational Bayes", ICLR 2014.
.. [3] X. Glorot and Y. Bengio, "Understanding the difficulty of training deep feedforward
   neural networks", AISTATS 2010.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from os import PathLike
from typing import Any

import numpy as np

__all__ = [
    "LOG_C_BOUND",
    "LOG_VAR_BOUND",
    "MAX_ABS_INPUT",
    "VAE",
    "Cache",
    "ParamDict",
    "load",
    "save",
]

#: ℓ = log h is kept in (−LOG_VAR_BOUND, LOG_VAR_BOUND) by ℓ = B·tanh(u/B).
LOG_VAR_BOUND = 15.0
#: a learned log c is kept in (−LOG_C_BOUND, LOG_C_BOUND) the same way.
LOG_C_BOUND = 15.0
#: largest magnitude accepted in ``x`` and ``eps``; squares of it stay far from overflow.
MAX_ABS_INPUT = 1e50

_LOG_2PI = math.log(2.0 * math.pi)


class ParamDict(dict):
    """A dict of named arrays that are views into one flat float64 vector, ``.flat``.

    Assigning ``d[name] = array`` copies the values into the existing view (the shape must
    match or broadcast), so the dict and ``.flat`` never part ways. The optimiser updates
    ``.flat`` in one vectorised operation instead of one per array.

    Examples
    --------
    >>> d = ParamDict({"W": (2, 3), "b": (3,)})
    >>> d["b"] = [1.0, 2.0, 3.0]
    >>> d.flat
    array([0., 0., 0., 0., 0., 0., 1., 2., 3.])
    >>> d["W"].shape, np.shares_memory(d["W"], d.flat)
    ((2, 3), True)
    """

    def __init__(self, shapes: Mapping[str, tuple[int, ...]], flat: np.ndarray | None = None):
        sizes = [math.prod(s) for s in shapes.values()]
        total = sum(sizes)
        if flat is None:
            flat = np.zeros(total)
        elif flat.shape != (total,) or flat.dtype != np.float64:
            raise ValueError(f"flat must be a float64 vector of length {total}")
        self.flat = flat
        offset = 0
        for (name, shape), size in zip(shapes.items(), sizes, strict=True):
            super().__setitem__(name, flat[offset : offset + size].reshape(shape))
            offset += size

    @property
    def shapes(self) -> dict[str, tuple[int, ...]]:
        """The name → shape layout."""
        return {k: v.shape for k, v in self.items()}

    def __setitem__(self, key: str, value: Any) -> None:
        if key not in self:
            raise KeyError(f"unknown parameter {key!r}; expected one of {sorted(self)}")
        view = dict.__getitem__(self, key)
        value = np.asarray(value, dtype=np.float64)
        try:
            value = np.broadcast_to(value, view.shape)
        except ValueError:
            raise ValueError(f"{key} must have shape {view.shape}, got {value.shape}") from None
        view[...] = value

    def update(self, other: Mapping[str, Any] | Iterable[tuple[str, Any]] = (), **kw: Any) -> None:
        items = other.items() if isinstance(other, Mapping) else other
        for k, v in [*items, *kw.items()]:
            self[k] = v

    def __delitem__(self, key: str) -> None:
        raise TypeError("parameters cannot be removed")

    def copy(self) -> ParamDict:  # type: ignore[override]
        """A deep copy: a new flat vector with the same values and layout."""
        return ParamDict(self.shapes, self.flat.copy())


def _tanh_(a: np.ndarray) -> np.ndarray:
    """tanh(a) in place, as 1 − 2/(exp(2a) + 1).

    NumPy's float64 ``tanh`` is not vectorised on many builds and costs 2–3 times its ``exp``;
    this form costs one ``exp`` and three cheap passes. It is exact to within a few ulp of 1
    in absolute terms (the relative error near a = 0 is ~1e-16/|a|, far below what the
    loss or the gradient check can see); exp overflows to inf for a > 354 and then gives
    exactly 1, as it should.
    """
    a *= 2.0
    with np.errstate(over="ignore"):
        np.exp(a, out=a)
    a += 1.0
    np.divide(2.0, a, out=a)
    np.subtract(1.0, a, out=a)
    return a


def _glorot(rng: np.random.Generator, fan_in: int, fan_out: int) -> np.ndarray:
    """Glorot/Xavier uniform: U(−a, a) with a = √(6 / (fan_in + fan_out)) [3]."""
    a = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-a, a, size=(fan_in, fan_out))


def positive_int(value: Any, name: str) -> int:
    """``value`` as an ``int`` when it is a positive integer; otherwise a ``ValueError`` naming it.

    Examples
    --------
    >>> positive_int(3, "epochs")
    3
    >>> positive_int(0, "epochs")
    Traceback (most recent call last):
    ...
    ValueError: epochs must be a positive integer, got 0
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


@dataclass
class Cache:
    """Everything the forward pass computed for one batch, kept for the backward pass.

    Arrays are per sample (first axis = batch). The ``dL_*`` attributes are filled by
    :meth:`VAE.backward`; they are the gradients of the *per-sample* loss L_n (not of the
    batch mean), e.g. ``dL_dg[n] = ∂L_n/∂g_n``, ready to compare with formulas for one sample.
    """

    x: np.ndarray  #: (batch, n_input)
    eps: np.ndarray  #: (batch, n_latent)
    h_enc: np.ndarray | None  #: (batch, n_hidden), tanh of the encoder's hidden layer
    g: np.ndarray  #: (batch, n_latent), mean of q(z|x)
    log_var: np.ndarray  #: (batch, n_latent), ℓ = log h, bounded
    std: np.ndarray  #: (batch, n_latent), exp(ℓ/2)
    z: np.ndarray  #: (batch, n_latent), g + exp(ℓ/2) ε
    h_dec: np.ndarray | None  #: (batch, n_hidden), tanh of the decoder's hidden layer
    x_hat: np.ndarray  #: (batch, n_input)
    residual: np.ndarray  #: (batch, n_input), x̂ − x
    log_c: float  #: log of the observation variance c
    reconstruction: np.ndarray  #: (batch,), C‖x − x̂‖² + (D/2) log 2πc
    kl: np.ndarray  #: (batch,), KL(q(z|x) ‖ N(0, I))
    loss: float  #: batch mean of reconstruction + kl
    _dx_hat: np.ndarray | None = None  # (batch, n_input), ∂(batch-mean loss)/∂x̂
    _dz: np.ndarray | None = None  # (batch, n_latent), ∂(batch-mean loss)/∂z

    @property
    def batch(self) -> int:
        return self.x.shape[0]

    @property
    def C(self) -> float:
        """C = 1/(2c)."""
        return 0.5 * math.exp(-self.log_c)

    def _need_backward(self) -> None:
        if self._dz is None:
            raise RuntimeError("call VAE.backward(cache) first")

    @property
    def dL_dx_hat(self) -> np.ndarray:
        """∂L_n/∂x̂_n = 2C(x̂ − x), shape (batch, n_input)."""
        self._need_backward()
        return self._dx_hat * self.batch

    @property
    def dL_dz(self) -> np.ndarray:
        """∂L_n/∂z_n through the decoder, shape (batch, n_latent)."""
        self._need_backward()
        return self._dz * self.batch

    @property
    def dKL_dg(self) -> np.ndarray:
        """∂KL/∂g = g (notes §4 differentiated), shape (batch, n_latent)."""
        return self.g.copy()

    @property
    def dKL_dlog_var(self) -> np.ndarray:
        """∂KL/∂ℓ = (exp ℓ − 1)/2, shape (batch, n_latent)."""
        return 0.5 * np.expm1(self.log_var)

    @property
    def dL_dg(self) -> np.ndarray:
        """∂L_n/∂g_n = ∂L_n/∂z_n + g_n (z = g + σε), shape (batch, n_latent)."""
        return self.dL_dz + self.g

    @property
    def dL_dlog_var(self) -> np.ndarray:
        """∂L_n/∂ℓ_n = ∂L_n/∂z_n · σε/2 + (exp ℓ − 1)/2, shape (batch, n_latent)."""
        return self.dL_dz * (0.5 * self.std * self.eps) + self.dKL_dlog_var


class VAE:
    """A variational autoencoder with a Gaussian likelihood and hand-written gradients.

    Encoder x → tanh(x W_enc + b_enc) → g = h W_g + b_g and ℓ = B tanh((h W_log_var +
    b_log_var)/B); reparameterisation z = g + exp(ℓ/2) ε; decoder z → tanh(z W_dec + b_dec) →
    x̂ = h W_out + b_out. With ``n_hidden=None`` both hidden layers are dropped: g, ℓ and x̂ are
    affine in x and z (the linear VAE, whose optimum is probabilistic PCA, see ``ppca.py``).

    Parameters
    ----------
    n_input : int
        D, the dimension of x.
    n_hidden : int or None
        width of the encoder's and the decoder's tanh hidden layer; None for a linear model.
    n_latent : int
        K, the dimension of z.
    rng : numpy.random.Generator
        source of the Glorot-uniform initial weights (biases start at 0).
    obs_var : float or "learned"
        c, the variance of p(x|z) = N(x̂, cI); ``"learned"`` makes log c a parameter
        (``params["log_c"]``, starting at 0, i.e. c = 1).

    Attributes
    ----------
    params : ParamDict
        name → float64 array (views into ``params.flat``).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> model = VAE(3, 8, 2, rng=rng)
    >>> sorted(model.params)[:4]
    ['W_dec', 'W_enc', 'W_g', 'W_log_var']
    >>> x, eps = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    >>> loss, grads = model.loss_and_grads(x, eps)
    >>> all(grads[k].shape == v.shape for k, v in model.params.items())
    True
    >>> bool(np.isclose(loss - model.seed_loss(x, eps), 3 / 2 * np.log(2 * np.pi)))
    True

    References
    ----------
    .. [1] A. Selega, lecture notes, §4 (the final loss).
    .. [2] D. P. Kingma and M. Welling, "Auto-Encoding Variational Bayes", ICLR 2014.
    """

    def __init__(
        self,
        n_input: int,
        n_hidden: int | None,
        n_latent: int,
        *,
        rng: np.random.Generator,
        obs_var: float | str = 1.0,
    ) -> None:
        self.n_input = positive_int(n_input, "n_input")
        self.n_hidden = None if n_hidden is None else positive_int(n_hidden, "n_hidden")
        self.n_latent = positive_int(n_latent, "n_latent")
        if not isinstance(rng, np.random.Generator):
            raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        if isinstance(obs_var, str):
            if obs_var != "learned":
                raise ValueError(f'obs_var must be a positive number or "learned", got {obs_var!r}')
            self.learn_obs_var = True
            self._fixed_log_c = 0.0
        else:
            c = float(obs_var)
            if not (math.isfinite(c) and c > 0):
                raise ValueError(f'obs_var must be a positive number or "learned", got {obs_var!r}')
            self.learn_obs_var = False
            self._fixed_log_c = math.log(c)

        D, H, K = self.n_input, self.n_hidden, self.n_latent
        enc_in = D if H is None else H  # width feeding the g and ℓ heads
        dec_in = K if H is None else H  # width feeding x̂
        shapes: dict[str, tuple[int, ...]] = {}
        if H is not None:
            shapes |= {"W_enc": (D, H), "b_enc": (H,)}
        shapes |= {
            "W_g": (enc_in, K),
            "b_g": (K,),
            "W_log_var": (enc_in, K),
            "b_log_var": (K,),
        }
        if H is not None:
            shapes |= {"W_dec": (K, H), "b_dec": (H,)}
        shapes |= {"W_out": (dec_in, D), "b_out": (D,)}
        if self.learn_obs_var:
            shapes["log_c"] = ()
        self.params = ParamDict(shapes)
        for name, shape in shapes.items():
            if name.startswith("W_"):
                self.params[name] = _glorot(rng, *shape)

    # ------------------------------------------------------------------ description
    @property
    def architecture(self) -> dict[str, Any]:
        """What :func:`save` stores besides the parameters."""
        return {
            "n_input": self.n_input,
            "n_hidden": self.n_hidden,
            "n_latent": self.n_latent,
            "obs_var": "learned" if self.learn_obs_var else math.exp(self._fixed_log_c),
        }

    def __repr__(self) -> str:
        a = self.architecture
        return (
            f"VAE(n_input={a['n_input']}, n_hidden={a['n_hidden']}, n_latent={a['n_latent']}, "
            f"obs_var={a['obs_var']!r})"
        )

    @property
    def log_c(self) -> float:
        """log c, the log-variance of p(x|z) (bounded when learned: B·tanh(θ/B))."""
        if self.learn_obs_var:
            return LOG_C_BOUND * math.tanh(float(self.params["log_c"]) / LOG_C_BOUND)
        return self._fixed_log_c

    @property
    def obs_var(self) -> float:
        """c, the variance of p(x|z)."""
        return math.exp(self.log_c)

    @property
    def C(self) -> float:
        """C = 1/(2c), the notes' balancing weight of the reconstruction error."""
        return 0.5 * math.exp(-self.log_c)

    # ------------------------------------------------------------------ validation
    def check_input(
        self, value: Any, name: str, width: int, batch: int | None = None
    ) -> np.ndarray:
        """``value`` as a float64 (batch, width) array, or a ValueError naming ``name``."""
        arr = np.asarray(value, dtype=np.float64)
        if arr.ndim != 2 or arr.shape[1] != width or arr.shape[0] < 1:
            raise ValueError(f"{name} must have shape (batch, {width}), got {arr.shape}")
        if batch is not None and arr.shape[0] != batch:
            raise ValueError(
                f"{name} must have the same batch size as x ({batch} rows), got {arr.shape[0]}"
            )
        if not np.isfinite(arr).all():
            bad = np.argwhere(~np.isfinite(arr))[0]
            raise ValueError(
                f"{name} must be finite; {name}[{bad[0]}, {bad[1]}] = {arr[tuple(bad)]}"
            )
        biggest = float(np.abs(arr).max())
        if biggest > MAX_ABS_INPUT:
            raise ValueError(
                f"{name} must have entries of magnitude at most {MAX_ABS_INPUT:g}, "
                f"got {biggest:g}; rescale the data (see data.standardize)"
            )
        return arr

    # ------------------------------------------------------------------ pieces
    def encode(self, x: Any) -> tuple[np.ndarray, np.ndarray]:
        """The mean g and the bounded log-variance ℓ of q(z|x), each (batch, n_latent)."""
        x = self.check_input(x, "x", self.n_input)
        p = self.params
        h = x if self.n_hidden is None else _tanh_(x @ p["W_enc"] + p["b_enc"])
        g = h @ p["W_g"] + p["b_g"]
        log_var = LOG_VAR_BOUND * np.tanh((h @ p["W_log_var"] + p["b_log_var"]) / LOG_VAR_BOUND)
        return g, log_var

    def decode(self, z: Any) -> np.ndarray:
        """x̂ = f(z), the mean of p(x|z), shape (batch, n_input)."""
        z = self.check_input(z, "z", self.n_latent)
        p = self.params
        h = z if self.n_hidden is None else _tanh_(z @ p["W_dec"] + p["b_dec"])
        return h @ p["W_out"] + p["b_out"]

    def reconstruct(self, x: Any) -> np.ndarray:
        """x̂ at the posterior mean, f(g(x)), shape (batch, n_input)."""
        return self.decode(self.encode(x)[0])

    def sample(self, n: int, *, rng: np.random.Generator) -> np.ndarray:
        """Means x̂ = f(z) of the decoder at n draws z ~ N(0, I), shape (n, n_input)."""
        n = positive_int(n, "n")
        return self.decode(rng.standard_normal((n, self.n_latent)))

    # ------------------------------------------------------------------ forward
    def forward(self, x: Any, eps: Any) -> Cache:
        """The forward pass for one batch; returns a :class:`Cache` for :meth:`backward`.

        Parameters
        ----------
        x : array_like, shape (batch, n_input)
        eps : array_like, shape (batch, n_latent)
            standard normal draws for the reparameterisation z = g + exp(ℓ/2) ε.

        Raises
        ------
        ValueError
            if x or eps has the wrong shape, a NaN or inf, or entries above MAX_ABS_INPUT.
        """
        x = self.check_input(x, "x", self.n_input)
        eps = self.check_input(eps, "eps", self.n_latent, batch=x.shape[0])
        p = self.params
        D = self.n_input
        # encoder
        if self.n_hidden is None:
            h_enc = None
            feat = x  # (batch, D)
        else:
            h_enc = x @ p["W_enc"]  # (batch, H)
            h_enc += p["b_enc"]
            _tanh_(h_enc)
            feat = h_enc
        g = feat @ p["W_g"]  # (batch, K)
        g += p["b_g"]
        log_var = feat @ p["W_log_var"]  # (batch, K): u = h W_log_var + b_log_var,
        log_var += p["b_log_var"]  # then ℓ = B tanh(u / B), in place
        log_var *= 1.0 / LOG_VAR_BOUND
        np.tanh(log_var, out=log_var)
        log_var *= LOG_VAR_BOUND
        # reparameterisation: z = g + exp(ℓ/2) ε
        std = np.exp(0.5 * log_var)  # (batch, K)
        z = std * eps
        z += g
        # decoder
        if self.n_hidden is None:
            h_dec = None
            x_hat = z @ p["W_out"]  # (batch, D)
        else:
            h_dec = z @ p["W_dec"]  # (batch, H)
            h_dec += p["b_dec"]
            _tanh_(h_dec)
            x_hat = h_dec @ p["W_out"]  # (batch, D)
        x_hat += p["b_out"]
        # loss: C‖x − x̂‖² + (D/2) log 2πc + ½ Σ_k (exp ℓ + g² − ℓ − 1)
        log_c = self.log_c
        C = 0.5 * math.exp(-log_c)
        residual = x_hat - x  # (batch, D)
        sq = np.einsum("nd,nd->n", residual, residual)  # (batch,) ‖x − x̂‖²
        reconstruction = C * sq + 0.5 * D * (_LOG_2PI + log_c)
        # exp ℓ − ℓ − 1 as expm1(ℓ) − ℓ: accurate near ℓ = 0
        kl = 0.5 * (np.expm1(log_var) - log_var + g * g).sum(axis=1)  # (batch,)
        loss = float(np.mean(reconstruction + kl))
        return Cache(
            x, eps, h_enc, g, log_var, std, z, h_dec, x_hat, residual, log_c,
            reconstruction, kl, loss,
        )  # fmt: skip

    # ------------------------------------------------------------------ backward
    def backward(self, cache: Cache) -> ParamDict:
        """Gradients of the batch-mean loss, with the keys and shapes of :attr:`params`.

        Also stores the per-sample ∂L/∂x̂ and ∂L/∂z in ``cache`` (see :class:`Cache`).
        """
        p = self.params
        grads = ParamDict(p.shapes, np.empty_like(p.flat))
        B = cache.batch
        C = cache.C
        # dL/dx̂ = 2C (x̂ − x), averaged over the batch                     (batch, D)
        dx_hat = cache.residual * (2.0 * C / B)
        cache._dx_hat = dx_hat
        # x̂ = h W_out + b_out:  dL/dW_out = hᵀ dx̂,  dL/db_out = Σ_n dx̂,  dL/dh = dx̂ W_outᵀ
        np.sum(dx_hat, axis=0, out=grads["b_out"])
        if self.n_hidden is None:
            np.matmul(cache.z.T, dx_hat, out=grads["W_out"])  # (K, D)
            dz = dx_hat @ p["W_out"].T  # (batch, K)
        else:
            h_dec = cache.h_dec
            np.matmul(h_dec.T, dx_hat, out=grads["W_out"])  # (H, D)
            da = dx_hat @ p["W_out"].T  # (batch, H) dL/dh_dec
            # h = tanh(a):  dL/da = dL/dh · (1 − h²)
            one_minus_h2 = np.multiply(h_dec, h_dec)
            np.subtract(1.0, one_minus_h2, out=one_minus_h2)
            da *= one_minus_h2
            # a = z W_dec + b_dec
            np.matmul(cache.z.T, da, out=grads["W_dec"])  # (K, H)
            np.sum(da, axis=0, out=grads["b_dec"])
            dz = da @ p["W_dec"].T  # (batch, K)
        cache._dz = dz
        # z = g + exp(ℓ/2) ε;  KL = ½ Σ (exp ℓ + g² − ℓ − 1)
        # dL/dg = dL/dz + g                                                (batch, K)
        dg = cache.g * (1.0 / B)
        dg += dz
        # dL/dℓ = dL/dz · exp(ℓ/2) ε / 2 + (exp ℓ − 1) / 2                 (batch, K)
        dlog_var = cache.std * cache.eps
        dlog_var *= dz
        dlog_var += np.expm1(cache.log_var) * (1.0 / B)
        dlog_var *= 0.5
        # ℓ = B tanh(u / B):  dℓ/du = 1 − (ℓ/B)²
        du = dlog_var
        du *= 1.0 - (cache.log_var * (1.0 / LOG_VAR_BOUND)) ** 2
        # g = h W_g + b_g,  u = h W_log_var + b_log_var
        feat = cache.x if self.n_hidden is None else cache.h_enc
        np.matmul(feat.T, dg, out=grads["W_g"])
        np.sum(dg, axis=0, out=grads["b_g"])
        np.matmul(feat.T, du, out=grads["W_log_var"])
        np.sum(du, axis=0, out=grads["b_log_var"])
        if self.n_hidden is not None:
            h_enc = cache.h_enc
            # dL/dh_enc = dg W_gᵀ + du W_log_varᵀ;  h = tanh(a): dL/da = dL/dh · (1 − h²)
            da = dg @ p["W_g"].T  # (batch, H)
            da += du @ p["W_log_var"].T
            one_minus_h2 = np.multiply(h_enc, h_enc)
            np.subtract(1.0, one_minus_h2, out=one_minus_h2)
            da *= one_minus_h2
            # a = x W_enc + b_enc
            np.matmul(cache.x.T, da, out=grads["W_enc"])  # (D, H)
            np.sum(da, axis=0, out=grads["b_enc"])
        if self.learn_obs_var:
            # rec = exp(−log c)/2 ‖r‖² + (D/2)(log 2π + log c):
            # dL/dlog c = −C ‖r‖² + D/2;  log c = B tanh(θ/B): dlog c/dθ = 1 − (log c/B)²
            mean_sq = float(np.mean(cache.reconstruction)) - 0.5 * self.n_input * (
                _LOG_2PI + cache.log_c
            )  # = C · mean ‖r‖²
            dlog_c = -mean_sq + 0.5 * self.n_input
            grads["log_c"] = dlog_c * (1.0 - (cache.log_c / LOG_C_BOUND) ** 2)
        return grads

    # ------------------------------------------------------------------ the loss
    def loss_and_grads(self, x: Any, eps: Any) -> tuple[float, ParamDict]:
        """The batch-mean negative ELBO (nats) and its gradient for every parameter.

        L = mean_n [ C‖x_n − x̂_n‖² + (D/2) log 2πc + ½ Σ_k (exp ℓ_nk + g_nk² − ℓ_nk − 1) ].

        Parameters
        ----------
        x : array_like, shape (batch, n_input)
        eps : array_like, shape (batch, n_latent)
            standard normal noise of the reparameterisation.

        Returns
        -------
        loss : float
        grads : ParamDict
            same keys and shapes as :attr:`params`.

        Raises
        ------
        ValueError
            for x or eps with a wrong shape, NaN or inf, or entries above MAX_ABS_INPUT.
        """
        cache = self.forward(x, eps)
        return cache.loss, self.backward(cache)

    def loss(self, x: Any, eps: Any) -> float:
        """The batch-mean negative ELBO in nats (forward only)."""
        return self.forward(x, eps).loss

    def seed_loss(self, x: Any, eps: Any) -> float:
        """The notes' form of the loss: C‖x − x̂‖² + ½ Σ_k (exp ℓ + g² − ℓ − 1), batch mean.

        It differs from :meth:`loss` by exactly the dropped constant (D/2) log 2πc (notes §2).
        """
        cache = self.forward(x, eps)
        return cache.loss - 0.5 * self.n_input * (_LOG_2PI + cache.log_c)


# ---------------------------------------------------------------------- save / load
def save(model: VAE, path: str | PathLike[str]) -> None:
    """Write the model's architecture and parameters to an ``.npz`` file (no pickle).

    Examples
    --------
    >>> import tempfile, os
    >>> model = VAE(4, None, 2, rng=np.random.default_rng(1), obs_var="learned")
    >>> with tempfile.TemporaryDirectory() as d:
    ...     save(model, os.path.join(d, "m.npz"))
    ...     again = load(os.path.join(d, "m.npz"))
    >>> again
    VAE(n_input=4, n_hidden=None, n_latent=2, obs_var='learned')
    >>> bool(np.array_equal(again.params.flat, model.params.flat))
    True
    """
    a = model.architecture
    arrays = {f"param/{k}": v for k, v in model.params.items()}
    np.savez(
        path,
        format=np.array("elbo-derivation VAE 1"),
        n_input=np.array(a["n_input"]),
        n_hidden=np.array(-1 if a["n_hidden"] is None else a["n_hidden"]),
        n_latent=np.array(a["n_latent"]),
        learned_obs_var=np.array(model.learn_obs_var),
        obs_var=np.array(model.obs_var if not model.learn_obs_var else 1.0),
        **arrays,
    )


def load(path: str | PathLike[str]) -> VAE:
    """Read a model written by :func:`save`.

    Raises
    ------
    elbo_derivation.errors.InputError
        if the file is not a saved VAE or its arrays do not fit the architecture.
    """
    from elbo_derivation.errors import InputError

    with np.load(path, allow_pickle=False) as f:
        if "format" not in f.files or str(f["format"]) != "elbo-derivation VAE 1":
            raise InputError(f"{path}: not a VAE saved by elbo_derivation.vae.save")
        n_hidden = int(f["n_hidden"])
        obs_var: float | str = "learned" if bool(f["learned_obs_var"]) else float(f["obs_var"])
        model = VAE(
            int(f["n_input"]),
            None if n_hidden < 0 else n_hidden,
            int(f["n_latent"]),
            rng=np.random.default_rng(0),
            obs_var=obs_var,
        )
        for name, view in model.params.items():
            key = f"param/{name}"
            if key not in f.files or f[key].shape != view.shape:
                raise InputError(f"{path}: parameter {name} missing or of the wrong shape")
            view[...] = f[key]
    return model
