"""The GAN on the plane: its three losses, and the training chunk (k discriminator updates, then one
generator update, with separate Adam optimizers and learning rates, many times in one jitted call).

A unit is one generator update. Every key comes from (seed, generator step), so a run is a pure
function of its config. Traced (`GanInputs`): the learning rates, k, the gradient penalty's weight, the
noise dimension (a mask over MAX_NOISE inputs), both nets' neuron masks and activations, and the data
(a padded buffer and its count). Static (`GanKey`): the buckets, the loss and the batch size.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax

from .nets import Net, NetMask, NetShape, apply_net
from .settings import MAX_NOISE

Chunk = Callable[[Any, Any, jax.Array], tuple[Any, jax.Array, jax.Array]]


@dataclass(frozen=True)
class GanKey:
    generator: NetShape
    discriminator: NetShape
    loss: str
    batch: int


class GanInputs(NamedTuple):
    g_mask: NetMask
    d_mask: NetMask
    noise_mask: jax.Array  # f32 (MAX_NOISE,): 1 for the noise dimensions in use
    g_lr: jax.Array
    d_lr: jax.Array
    d_steps: jax.Array  # i32
    gp_weight: jax.Array
    seed: jax.Array  # i32
    points: jax.Array  # (MAX_POINTS, 2)
    n_points: jax.Array  # i32: how many of `points` are the data


class GanState(NamedTuple):
    g: Net
    d: Net
    g_opt: Any
    d_opt: Any
    step: jax.Array  # i32: generator updates so far
    d_done: jax.Array  # i32: 1 when the next generator step's discriminator updates are done (step-by-step)
    d_loss: jax.Array  # the last update's losses (what the loss chart shows)
    g_loss: jax.Array


def adam(loss: str) -> optax.GradientTransformation:
    """Adam's moments (the step size is traced and applied by hand): beta1 0.5, as GANs like it."""
    return optax.scale_by_adam(b1=0.5, b2=0.9 if loss == "wasserstein_gp" else 0.999)


# ---- the losses (on the discriminator's raw outputs) ---------------------------------------------------


def d_loss_of(loss: str, real: jax.Array, fake: jax.Array) -> jax.Array:
    """The discriminator's loss without the gradient penalty (real, fake: its raw outputs)."""
    if loss == "nonsaturating":
        return jnp.mean(jax.nn.softplus(-real)) + jnp.mean(jax.nn.softplus(fake))
    if loss == "least_squares":
        return 0.5 * (jnp.mean((real - 1.0) ** 2) + jnp.mean(fake**2))
    return jnp.mean(fake) - jnp.mean(real)


def g_loss_of(loss: str, fake: jax.Array) -> jax.Array:
    if loss == "nonsaturating":
        return jnp.mean(jax.nn.softplus(-fake))  # -log D(G(z))
    if loss == "least_squares":
        return 0.5 * jnp.mean((fake - 1.0) ** 2)
    return -jnp.mean(fake)


def gradient_penalty(critic: Callable[[jax.Array], jax.Array], points: jax.Array) -> jax.Array:
    """WGAN-GP's mean of (|grad critic(x)| - 1)^2 over `points` (n, 2)."""
    grads = jax.vmap(jax.grad(lambda x: critic(x[None])[0, 0]))(points)
    return jnp.mean((jnp.sqrt(jnp.sum(grads**2, axis=-1) + 1e-12) - 1.0) ** 2)


# ---- the chunk ---------------------------------------------------------------------------------------


def step_key(seed: jax.Array, step: jax.Array) -> jax.Array:
    return jax.random.fold_in(jax.random.PRNGKey(seed), step)


def make_gan_phases(key: GanKey) -> tuple[Callable[..., GanState], Callable[..., GanState]]:
    """(discriminator phase, generator phase) of one unit, each (state, inputs) -> state: the k
    discriminator updates of the next generator step, then that generator update. The step-by-step mode
    shows them apart: its discriminator half marks `d_done`, and the chunk's next unit skips them."""
    tx = adam(key.loss)
    batch, loss = key.batch, key.loss

    def generate(g: Net, inputs: GanInputs, k: jax.Array) -> jax.Array:
        noise = jax.random.normal(k, (batch, MAX_NOISE)) * inputs.noise_mask
        return apply_net(g, inputs.g_mask, noise)

    def d_update(state: GanState, inputs: GanInputs, k: jax.Array) -> GanState:
        k_real, k_noise, k_mix = jax.random.split(k, 3)
        real = inputs.points[jax.random.randint(k_real, (batch,), 0, inputs.n_points)]
        fake = jax.lax.stop_gradient(generate(state.g, inputs, k_noise))

        def objective(d: Net) -> jax.Array:
            critic = lambda x: apply_net(d, inputs.d_mask, x)  # noqa: E731
            value = d_loss_of(loss, critic(real), critic(fake))
            if loss == "wasserstein_gp":
                t = jax.random.uniform(k_mix, (batch, 1))
                value = value + inputs.gp_weight * gradient_penalty(critic, t * real + (1 - t) * fake)
            return value

        value, grads = jax.value_and_grad(objective)(state.d)
        updates, d_opt = tx.update(grads, state.d_opt)
        d = jax.tree.map(lambda p, u: p - inputs.d_lr * u, state.d, updates)
        return state._replace(d=d, d_opt=d_opt, d_loss=value)

    def d_phase(state: GanState, inputs: GanInputs) -> GanState:
        k_d = jax.random.split(step_key(inputs.seed, state.step))[0]
        state = jax.lax.fori_loop(
            0, inputs.d_steps, lambda i, s: d_update(s, inputs, jax.random.fold_in(k_d, i)), state
        )
        return state._replace(d_done=jnp.ones((), jnp.int32))

    def g_phase(state: GanState, inputs: GanInputs) -> GanState:
        k_g = jax.random.split(step_key(inputs.seed, state.step))[1]

        def objective(g: Net) -> jax.Array:
            return g_loss_of(loss, apply_net(state.d, inputs.d_mask, generate(g, inputs, k_g)))

        value, grads = jax.value_and_grad(objective)(state.g)
        updates, g_opt = tx.update(grads, state.g_opt)
        g = jax.tree.map(lambda p, u: p - inputs.g_lr * u, state.g, updates)
        return state._replace(
            g=g, g_opt=g_opt, g_loss=value, step=state.step + 1, d_done=jnp.zeros((), jnp.int32)
        )

    return d_phase, g_phase


def healthy(state: GanState) -> jax.Array:
    return jnp.all(jnp.stack([jnp.all(jnp.isfinite(x)) for x in jax.tree.leaves((state.g, state.d))]))


def make_gan_chunk(key: GanKey) -> Chunk:
    """The pure chunk of the engine seam: (state, GanInputs, n) -> (state after n generator updates,
    updates done, diverged). A chunk whose weights came out non-finite is dropped and says so."""
    d_phase, g_phase = make_gan_phases(key)

    def chunk(state: GanState, inputs: GanInputs, n: jax.Array) -> tuple[GanState, jax.Array, jax.Array]:
        def one(_: jax.Array, s: GanState) -> GanState:
            s = jax.lax.cond(s.d_done > 0, lambda s: s, lambda s: d_phase(s, inputs), s)
            return g_phase(s, inputs)

        trained = jax.lax.fori_loop(0, n, one, state)
        ok = healthy(trained)
        kept = jax.tree.map(lambda new, old: jnp.where(ok, new, old), trained, state)
        return kept, jnp.where(ok, n, 0), jnp.logical_not(ok)

    return chunk
