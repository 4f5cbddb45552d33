"""The image lab's training kernel: many minibatch steps per jitted call.

One call trains `n_steps` (traced) minibatches with `lax.fori_loop`, across epoch boundaries, so a chunk
can be sized to the frame budget whatever an epoch costs. Each epoch's order is a permutation drawn from
(seed, epoch); each step's augmentation and dropout keys come from (seed, epoch, step), so a run is a
pure function of its config. The learning rate, the optimizer's hyperparameters, the dropout rates and
the augmentation flags are traced (`ImageHyper`): editing them never recompiles. What is static is the
`KernelKey` (architecture, optimizer and schedule kinds, batch size, training-set size): the engine
compiles each key once and keeps it in its kernel cache.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ...engine.optimizers import make_optimizer, schedule_value
from ...models.cnn import StackNet, dropout_rates
from ...models.cnn_stack import Layer
from .config import ImageConfig
from .data import augment_batch


class ImageHyper(NamedTuple):
    """The traced hyperparameters of a kernel call."""

    learning_rate: jax.Array  # f32 ()
    momentum: jax.Array  # f32 ()
    weight_decay: jax.Array  # f32 ()
    schedule_epochs: jax.Array  # i32 ()
    schedule_factor: jax.Array  # f32 ()
    dropout: jax.Array  # f32 (MAX_LAYERS,): layer i's dropout rate
    seed: jax.Array  # i32 ()
    augment: jax.Array  # f32 (3,): shift, rotation, noise on (1) or off (0)


class LabState(NamedTuple):
    """What training carries from chunk to chunk."""

    params: Any
    batch_stats: Any
    opt_state: Any
    epoch: jax.Array  # i32 (): whole epochs trained so far (the schedule's clock and the keys' epoch)
    step: jax.Array  # i32 (): minibatches trained of the current epoch


@dataclass(frozen=True)
class KernelKey:
    """Everything a compiled training kernel depends on."""

    layers: tuple[Layer, ...]  # cnn.architecture_key(...)
    optimizer: str
    schedule: str
    batch_size: int
    n_train: int


def make_hyper(config: ImageConfig) -> ImageHyper:
    f32 = np.float32
    return ImageHyper(
        learning_rate=jnp.asarray(config.learning_rate, f32),
        momentum=jnp.asarray(config.momentum, f32),
        weight_decay=jnp.asarray(config.weight_decay, f32),
        schedule_epochs=jnp.asarray(config.schedule_epochs, np.int32),
        schedule_factor=jnp.asarray(config.schedule_factor, f32),
        dropout=dropout_rates(config.stack()),
        seed=jnp.asarray(config.seed, np.int32),
        augment=jnp.asarray([config.augment_shift, config.augment_rotation, config.augment_noise], f32),
    )


ORDER_STREAM = 2**30  # the epoch key's stream for its order (steps use 0, 1, 2, ...)


def epoch_key(seed: jax.Array, epoch: jax.Array) -> jax.Array:
    return jax.random.fold_in(jax.random.PRNGKey(seed), epoch)


def epoch_order(seed: jax.Array, epoch: jax.Array, n_train: int, batch_size: int) -> jax.Array:
    """The minibatches of one epoch, (steps, batch_size) indices (the remainder waits for another epoch)."""
    steps = n_train // batch_size
    perm = jax.random.permutation(jax.random.fold_in(epoch_key(seed, epoch), ORDER_STREAM), n_train)
    return perm[: steps * batch_size].reshape(steps, batch_size)


def step_keys(seed: jax.Array, epoch: jax.Array, step: jax.Array | int) -> tuple[jax.Array, jax.Array]:
    """(augmentation key, dropout key) of one update."""
    augment_key, dropout_key = jax.random.split(jax.random.fold_in(epoch_key(seed, epoch), step))
    return augment_key, dropout_key


def cross_entropy(logits: jax.Array, labels: jax.Array) -> jax.Array:
    return optax.softmax_cross_entropy_with_integer_labels(logits, labels).mean()


def make_train_step(key: KernelKey) -> Callable[..., tuple[LabState, jax.Array]]:
    """The pure update of one minibatch (not jitted): (state, hyper, images, labels, step) -> state, loss."""
    net = StackNet(key.layers)
    steps_per_epoch = key.n_train // key.batch_size

    def step(
        state: LabState, hyper: ImageHyper, images: jax.Array, labels: jax.Array, index: jax.Array
    ) -> tuple[LabState, jax.Array]:
        augment_key, dropout_key = step_keys(hyper.seed, state.epoch, index)
        # with augmentation off (the default) skip its resampling altogether: it is the identity then
        batch = jax.lax.cond(
            jnp.any(hyper.augment > 0),
            lambda: augment_batch(images, augment_key, hyper.augment),
            lambda: images,
        )

        def loss_fn(params: Any) -> tuple[jax.Array, Any]:
            (logits, _), updates = net.apply(
                {"params": params, "batch_stats": state.batch_stats},
                batch,
                hyper.dropout,
                train=True,
                mutable=["batch_stats"],
                rngs={"dropout": dropout_key},
            )
            return cross_entropy(logits, labels), updates.get("batch_stats", {})

        (loss, batch_stats), grads = jax.value_and_grad(loss_fn, has_aux=True)(state.params)
        rate = schedule_value(
            key.schedule,
            hyper.learning_rate,
            hyper.schedule_epochs,
            hyper.schedule_factor,
            state.epoch,
            index,
            steps_per_epoch,
        )
        optimizer = make_optimizer(key.optimizer, rate, hyper.momentum, hyper.weight_decay)
        updates, opt_state = optimizer.update(grads, state.opt_state, state.params)
        params = optax.apply_updates(state.params, updates)
        return LabState(params, batch_stats, opt_state, state.epoch, state.step), loss

    return step


def make_train_chunk(key: KernelKey) -> Callable[..., tuple[LabState, jax.Array, jax.Array]]:
    """The pure chunk of the engine seam: (state, (hyper, train_x, train_y), n_steps) -> (state after
    n_steps minibatches, steps done, diverged). A chunk whose weights came out non-finite is dropped
    (the state is as before, no step done) and says it diverged.

    A chunk may end inside an epoch: the state's (epoch, step) say where the next one goes on. An epoch's
    order is drawn when it starts (and again where a chunk starts inside it), never per step.
    """
    step = make_train_step(key)
    steps_per_epoch = key.n_train // key.batch_size

    def train(state: LabState, inputs: Any, n_steps: jax.Array) -> tuple[LabState, jax.Array, jax.Array]:
        hyper, images, labels = inputs

        def order_of(epoch: jax.Array) -> jax.Array:
            return epoch_order(hyper.seed, epoch, key.n_train, key.batch_size)

        def body(_: jax.Array, carry: tuple[LabState, jax.Array]) -> Any:
            state, order = carry
            indices = order[state.step]
            state, _ = step(state, hyper, images[indices], labels[indices], state.step)
            finished = state.step + 1 == steps_per_epoch
            state = state._replace(
                epoch=state.epoch + finished.astype(jnp.int32),
                step=jnp.where(finished, 0, state.step + 1),
            )
            order = jax.lax.cond(finished, order_of, lambda _: order, state.epoch)
            return state, order

        trained, _ = jax.lax.fori_loop(0, n_steps, body, (state, order_of(state.epoch)))
        healthy = jnp.all(
            jnp.stack([jnp.all(jnp.isfinite(leaf)) for leaf in jax.tree.leaves(trained.params)])
        )
        kept = jax.tree.map(lambda new, old: jnp.where(healthy, new, old), trained, state)
        return kept, jnp.where(healthy, n_steps, 0), jnp.logical_not(healthy)

    return train


def naive_step(key: KernelKey) -> Callable[..., tuple[LabState, jax.Array]]:
    """The baseline of the benchmark: one jitted call per minibatch (same update as the kernel)."""
    return jax.jit(make_train_step(key))


@cache
def _optimizer_init(name: str) -> Callable[[Any], Any]:
    return jax.jit(make_optimizer(name, 0.0).init)


def initial_state(optimizer: str, variables: dict[str, Any]) -> LabState:
    params = variables["params"]
    zero = jnp.zeros((), jnp.int32)
    return LabState(params, variables["batch_stats"], _optimizer_init(optimizer)(params), zero, zero)
