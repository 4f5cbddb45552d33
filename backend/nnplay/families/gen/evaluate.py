"""The generative lab's frame evaluations: pure functions of (state, inputs) on the device, returning
small arrays (what crosses to the host), and the decoder probe a latent click asks for.

GAN: the generated samples of a fixed noise, the discriminator on a grid of the plane (its field), the
generator's manifold (a noise grid through it), gradient arrows (where the generator's loss pushes each
of the first ARROWS samples) and the last update's losses. AE/VAE: the test digits' codes (their means),
the test set's reconstruction and KL, a 5-nearest-neighbour classifier's accuracy on the test codes
(fitted on the training codes), the decoded LATENT_GRID x LATENT_GRID grid of the latent plane and a
few test digits with their reconstructions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from .gan import GanInputs, GanKey, GanState, g_loss_of
from .nets import NetMask, apply_net
from .settings import MAX_NOISE
from .vae import VaeInputs, VaeState, decode_logits, encode, kl_standard_normal, reconstruction

SAMPLES = 512
ARROWS = 96
FIELD = 48  # the field's grid is FIELD x FIELD
MANIFOLD = 15  # the manifold's noise grid is MANIFOLD x MANIFOLD over [-2, 2]^2
NOISE_SPAN = 2.0
LATENT_GRID = 10
LATENT_EXTENT = 4.0  # the latent plane shown and clickable: [-4, 4]^2
RECONSTRUCTIONS = 8
KNN = 5
FRAME_STREAM = 2**30  # the frame noise's key stream (training uses 0, 1, 2, ...)


class GanFrameInputs(NamedTuple):
    noise: jax.Array  # (SAMPLES, MAX_NOISE), masked
    manifold: jax.Array  # (MANIFOLD^2, MAX_NOISE), masked
    grid: jax.Array  # (FIELD^2, 2): the plane's grid, row by row from the top


def gan_frame_inputs(seed: int, noise_mask: np.ndarray, extent: float) -> GanFrameInputs:
    rng = np.random.default_rng([seed, FRAME_STREAM])
    noise = rng.standard_normal((SAMPLES, MAX_NOISE)).astype(np.float32) * noise_mask
    ticks = np.linspace(-NOISE_SPAN, NOISE_SPAN, MANIFOLD, dtype=np.float32)
    a, b = np.meshgrid(ticks, ticks, indexing="ij")
    manifold = np.zeros((MANIFOLD * MANIFOLD, MAX_NOISE), np.float32)
    manifold[:, 0], manifold[:, 1] = a.ravel(), b.ravel()
    return GanFrameInputs(
        jnp.asarray(noise), jnp.asarray(manifold * noise_mask), jnp.asarray(plane_grid(extent))
    )


def plane_grid(extent: float, side: int = FIELD) -> np.ndarray:
    """Cell centres of the plane [-extent, extent]^2, row by row from the top (y descending)."""
    centres = (np.arange(side, dtype=np.float32) + 0.5) / side * 2 * extent - extent
    ys, xs = np.meshgrid(centres[::-1], centres, indexing="ij")
    return np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float32)


def make_gan_frame(key: GanKey) -> Callable[[GanState, Any, Any], dict[str, jax.Array]]:
    loss = key.loss

    def frame(state: GanState, inputs: tuple[GanInputs, GanFrameInputs], shared: Any) -> dict[str, jax.Array]:
        train, view = inputs
        samples = apply_net(state.g, train.g_mask, view.noise)
        critic = lambda x: apply_net(state.d, train.d_mask, x)  # noqa: E731
        field = critic(view.grid)[:, 0]
        if loss == "nonsaturating":
            field = jax.nn.sigmoid(field)  # D(x): the probability that x is real
        pushes = -jax.vmap(jax.grad(lambda x: g_loss_of(loss, critic(x[None]))))(samples[:ARROWS])
        return {
            "samples": samples,
            "field": field,
            "manifold": apply_net(state.g, train.g_mask, view.manifold),
            "arrows": pushes,
            "d_loss": state.d_loss,
            "g_loss": state.g_loss,
            "step": state.step,
        }

    return frame


class VaeFrameInputs(NamedTuple):
    test_x: jax.Array
    test_y: jax.Array
    train_y: jax.Array
    grid: jax.Array  # (LATENT_GRID^2, 2), row by row from the top


def latent_grid() -> np.ndarray:
    return plane_grid(LATENT_EXTENT, LATENT_GRID)


def knn_accuracy(train_z: jax.Array, train_y: jax.Array, test_z: jax.Array, test_y: jax.Array) -> jax.Array:
    """The accuracy of a KNN-nearest-neighbour vote (ties: the lower class) on the test codes."""
    distance = jnp.sum((test_z[:, None, :] - train_z[None, :, :]) ** 2, axis=-1)
    _, nearest = jax.lax.top_k(-distance, KNN)
    votes = jnp.sum(jax.nn.one_hot(train_y[nearest], 10), axis=1)
    return jnp.mean(jnp.argmax(votes, axis=-1) == test_y)


def make_vae_frame() -> Callable[[VaeState, Any, Any], dict[str, jax.Array]]:
    def frame(state: VaeState, inputs: tuple[VaeInputs, VaeFrameInputs], shared: Any) -> dict[str, jax.Array]:
        train, view = inputs
        test_mu, test_log_var = encode(state.encoder, train.e_mask, view.test_x)
        train_mu, _ = encode(state.encoder, train.e_mask, train.train_x)
        noise = jax.random.normal(jax.random.PRNGKey(FRAME_STREAM), test_mu.shape)
        z = test_mu + train.variational * jnp.exp(0.5 * test_log_var) * noise  # one sample of q(z|x)
        recon = reconstruction(decode_logits(state.decoder, train.d_mask, z), view.test_x)
        kl = kl_standard_normal(test_mu, test_log_var)
        shown = view.test_x[:RECONSTRUCTIONS]
        return {
            "latents": test_mu,
            "reconstruction": jnp.mean(recon),
            "kl": jnp.mean(kl),
            "knn_accuracy": knn_accuracy(train_mu, view.train_y, test_mu, view.test_y),
            "grid": jax.nn.sigmoid(decode_logits(state.decoder, train.d_mask, view.grid)),
            "originals": shown,
            "reconstructions": jax.nn.sigmoid(
                decode_logits(state.decoder, train.d_mask, test_mu[:RECONSTRUCTIONS])
            ),
            "loss": state.loss,
            "step": state.step,
        }

    return frame


def make_decode() -> Callable[[Any, NetMask, jax.Array], jax.Array]:
    """Latent points (n, 2) -> decoded digits (n, 64) in [0, 1] (a click on the latent plane)."""

    def decode(decoder: Any, mask: NetMask, z: jax.Array) -> jax.Array:
        return jax.nn.sigmoid(decode_logits(decoder, mask, z))

    return decode


def make_encode() -> Callable[[Any, NetMask, jax.Array], jax.Array]:
    """Digits (n, 64) in [0, 1] -> their codes' means (n, 2) (a drawn digit: where it lands)."""

    def where(encoder: Any, mask: NetMask, x: jax.Array) -> jax.Array:
        return encode(encoder, mask, x)[0]

    return where
