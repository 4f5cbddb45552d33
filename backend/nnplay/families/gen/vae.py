"""The autoencoders on 8x8 digits: an AE and a VAE with a 2-D latent, one kernel for both.

The encoder maps a digit (64 values in [0, 1]) to (mu, log variance) of its code; the decoder maps a
code to 64 Bernoulli logits. `variational` (traced, 0 or 1) switches the sampling and the KL term, so
AE <-> VAE and the beta slider compile nothing. A unit is one minibatch update (digits drawn at random
with the key of (seed, step)). Losses are per digit, in nats: reconstruction = the Bernoulli negative
log-likelihood summed over the 64 pixels; KL = KL(q(z|x) || N(0, I)); the negative ELBO is their sum.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from .nets import Net, NetMask, NetShape, apply_net
from .settings import LATENT

Chunk = Callable[[Any, Any, jax.Array], tuple[Any, jax.Array, jax.Array]]


@dataclass(frozen=True)
class VaeKey:
    encoder: NetShape
    decoder: NetShape
    batch: int
    n_train: int


class VaeInputs(NamedTuple):
    e_mask: NetMask
    d_mask: NetMask
    variational: jax.Array  # f32: 1 for the VAE, 0 for the AE
    beta: jax.Array
    lr: jax.Array
    seed: jax.Array
    train_x: jax.Array  # (n_train, 64)


class VaeState(NamedTuple):
    encoder: Net
    decoder: Net
    opt: Any
    step: jax.Array  # i32: updates so far
    loss: jax.Array  # the last update's training loss


OPTIMIZER = optax.scale_by_adam()  # the step size is traced and applied by hand


def reconstruction(logits: jax.Array, x: jax.Array) -> jax.Array:
    """Bernoulli negative log-likelihood of x under the logits, summed over the pixels (nats per digit)."""
    return jnp.sum(optax.sigmoid_binary_cross_entropy(logits, x), axis=-1)


def kl_standard_normal(mu: jax.Array, log_var: jax.Array) -> jax.Array:
    """KL(N(mu, exp(log_var)) || N(0, I)), summed over the latent (nats per digit)."""
    return 0.5 * jnp.sum(mu**2 + jnp.exp(log_var) - log_var - 1.0, axis=-1)


def encode(encoder: Net, mask: NetMask, x: jax.Array) -> tuple[jax.Array, jax.Array]:
    out = apply_net(encoder, mask, x)
    return out[..., :LATENT], jnp.clip(out[..., LATENT:], -10.0, 10.0)


def decode_logits(decoder: Net, mask: NetMask, z: jax.Array) -> jax.Array:
    return apply_net(decoder, mask, z)


def losses(
    encoder: Net, decoder: Net, inputs: VaeInputs, x: jax.Array, key: jax.Array | None
) -> tuple[jax.Array, jax.Array]:
    """(reconstruction, KL) per digit; with a key the VAE samples its code, without it decodes the mean."""
    mu, log_var = encode(encoder, inputs.e_mask, x)
    z = mu
    if key is not None:
        z = mu + inputs.variational * jnp.exp(0.5 * log_var) * jax.random.normal(key, mu.shape)
    return reconstruction(decode_logits(decoder, inputs.d_mask, z), x), kl_standard_normal(mu, log_var)


def make_vae_chunk(key: VaeKey) -> Chunk:
    """The pure chunk: (state, VaeInputs, n) -> (state after n updates, updates done, diverged)."""

    def one(state: VaeState, inputs: VaeInputs) -> VaeState:
        k_batch, k_noise = jax.random.split(jax.random.fold_in(jax.random.PRNGKey(inputs.seed), state.step))
        x = inputs.train_x[jax.random.randint(k_batch, (key.batch,), 0, key.n_train)]

        def objective(nets: tuple[Net, Net]) -> jax.Array:
            recon, kl = losses(*nets, inputs, x, k_noise)
            return jnp.mean(recon + inputs.variational * inputs.beta * kl)

        value, grads = jax.value_and_grad(objective)((state.encoder, state.decoder))
        updates, opt = OPTIMIZER.update(grads, state.opt)
        encoder, decoder = jax.tree.map(
            lambda p, u: p - inputs.lr * u, (state.encoder, state.decoder), updates
        )
        return VaeState(encoder, decoder, opt, state.step + 1, value)

    def chunk(state: VaeState, inputs: VaeInputs, n: jax.Array) -> tuple[VaeState, jax.Array, jax.Array]:
        trained = jax.lax.fori_loop(0, n, lambda _, s: one(s, inputs), state)
        leaves = jax.tree.leaves((trained.encoder, trained.decoder))
        ok = jnp.all(jnp.stack([jnp.all(jnp.isfinite(x)) for x in leaves]))
        kept = jax.tree.map(lambda new, old: jnp.where(ok, new, old), trained, state)
        return kept, jnp.where(ok, n, 0), jnp.logical_not(ok)

    return chunk
