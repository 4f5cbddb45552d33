"""The sequence lab's training kernel: many steps per jitted call, each on a batch generated in the step.

One call trains `n_steps` (traced) updates with `lax.fori_loop`; step s's batch comes from the key
(seed, s), so a run is a pure function of its config and the engine may cut it into chunks anywhere. The
learning rate, the optimizer's hyperparameters, the gradient clipping, the length, vocabulary, width,
layer count and positional encoding are traced (`SeqHyper`): editing them never recompiles. What is
static is the `KernelKey` (model, task, bucket, heads, optimizer and schedule kinds, batch size).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from ...engine.optimizers import make_optimizer, schedule_value
from .config import SeqConfig
from .model import Masks, SeqNet
from .names import POSITIONAL, TASKS, TOKENS
from .tasks import FEATURES, OUTPUTS, Batch, classes, make_batch, steps_needed

STEP_BUCKETS = (8, 16, 32, 64, 160)
WIDTH_BUCKETS = (16, 32, 64, 128)
LAYER_BUCKETS = (1, 2, 4)
TEST_STREAM = 2**30  # the test set's key stream (training steps use 0, 1, 2, ...)


def bucket(value: int, buckets: tuple[int, ...]) -> int:
    return next(b for b in buckets if b >= value)


@dataclass(frozen=True)
class NetKey:
    """What a network is compiled for (its bucket and static kinds)."""

    model: str
    task: str
    steps: int
    width: int
    layers: int
    heads: int

    @property
    def recurrent(self) -> bool:
        return self.model != "transformer"

    def net(self) -> SeqNet:
        heads = self.heads if self.model == "transformer" else 1
        return SeqNet(self.model, self.width, self.layers, heads, self.steps, OUTPUTS)


@dataclass(frozen=True)
class KernelKey:
    net: NetKey
    optimizer: str
    schedule: str
    batch_size: int


def net_key(config: SeqConfig) -> NetKey:
    task = TASKS[config.task]
    steps = steps_needed(task, config.length, config.recurrent)
    heads = config.heads if config.model == "transformer" else 1
    return NetKey(
        config.model,
        config.task,
        bucket(steps, STEP_BUCKETS),
        bucket(config.width, WIDTH_BUCKETS),
        bucket(config.layers, LAYER_BUCKETS),
        heads,
    )


class SeqHyper(NamedTuple):
    """The traced settings of a kernel call."""

    learning_rate: jax.Array
    momentum: jax.Array
    weight_decay: jax.Array
    schedule_epochs: jax.Array
    schedule_factor: jax.Array
    clip: jax.Array
    seed: jax.Array
    length: jax.Array  # i32 () tokens per sequence
    vocab: jax.Array  # i32 ()
    width: jax.Array  # f32 () units in use
    width_mask: jax.Array  # f32 (W,)
    layer_on: jax.Array  # f32 (L,)
    positional: jax.Array  # i32 ()


class SeqState(NamedTuple):
    params: Any
    opt_state: Any
    step: jax.Array  # i32 (): updates so far (the key of the next batch, the schedule's clock)


def make_hyper(config: SeqConfig, key: NetKey) -> SeqHyper:
    f32 = np.float32
    width_mask = (np.arange(key.width) < config.width).astype(f32)
    layer_on = (np.arange(key.layers) < config.layers).astype(f32)
    return SeqHyper(
        *jax.device_put(
            (
                np.asarray(config.learning_rate, f32),
                np.asarray(config.momentum, f32),
                np.asarray(config.weight_decay, f32),
                np.asarray(config.schedule_epochs, np.int32),
                np.asarray(config.schedule_factor, f32),
                np.asarray(config.clip, f32),
                np.asarray(config.seed, np.int32),
                np.asarray(config.length, np.int32),
                np.asarray(config.vocab, np.int32),
                np.asarray(config.width, f32),
                width_mask,
                layer_on,
                np.asarray(POSITIONAL.index(config.positional), np.int32),
            )
        )
    )


def hyper_in(hyper: SeqHyper, config: SeqConfig, key: NetKey) -> SeqHyper:
    """`hyper` (the config's) for a larger bucket `key`: the same settings, masks of its shapes."""
    f32 = np.float32
    width_mask = (np.arange(key.width) < config.width).astype(f32)
    layer_on = (np.arange(key.layers) < config.layers).astype(f32)
    width_mask, layer_on = jax.device_put((width_mask, layer_on))
    return hyper._replace(width_mask=width_mask, layer_on=layer_on)


def masks_of(key: NetKey, hyper: SeqHyper) -> Masks:
    """The network's traced shape: which units, layers and (query, key) pairs are in use."""
    task = TASKS[key.task]
    used = steps_needed_traced(task.seq2seq and key.recurrent, hyper.length)
    t = jnp.arange(key.steps)
    allowed = (t[None, :] < used) & (t[:, None] < used)
    if task.causal:
        allowed = allowed & (t[None, :] <= t[:, None])
    return Masks(hyper.width_mask, hyper.width, hyper.layer_on, hyper.positional, allowed)


def steps_needed_traced(read_then_answer: bool, length: jax.Array) -> jax.Array:
    return 2 * length if read_then_answer else length


def batch_of(key: NetKey, hyper: SeqHyper, stream: jax.Array | int, size: int) -> Batch:
    rng = jax.random.fold_in(jax.random.PRNGKey(hyper.seed), stream)
    return make_batch(TASKS[key.task], rng, size, key.steps, hyper.length, hyper.vocab, key.recurrent)


def class_mask(key: NetKey, hyper: SeqHyper) -> jax.Array:
    """(OUTPUTS-1,) 0 for the task's classes, -1e9 for the rest."""
    task = TASKS[key.task]
    n = classes(task, TOKENS) if task.fixed_vocab or task.name == "brackets" else hyper.vocab
    return jnp.where(jnp.arange(TOKENS) < n, 0.0, -1e9)


def apply_batch(
    key: NetKey, params: Any, hyper: SeqHyper, x: jax.Array, probes: tuple[jax.Array, jax.Array] | None = None
) -> tuple[jax.Array, dict[str, jax.Array]]:
    """The network on a batch (B, T, F) -> (outputs (B, T, O), traces)."""
    net, masks = key.net(), masks_of(key, hyper)
    if probes is None:
        zero = jnp.zeros((x.shape[0], key.steps, key.width), x.dtype)
        probes = (zero, zero)

    def one(x1: jax.Array, p_in: jax.Array, p_h: jax.Array) -> Any:
        return net.apply({"params": params}, x1, masks, p_in, p_h)

    return jax.vmap(one)(x, *probes)  # type: ignore[no-any-return]


def losses(key: NetKey, hyper: SeqHyper, outputs: jax.Array, batch: Batch) -> dict[str, jax.Array]:
    """Loss and accuracies of outputs on a batch: the mean over scored steps, sequence accuracy (every
    scored step right) and per-token accuracy; MSE for regression tasks."""
    weight = batch.weight
    count = jnp.maximum(jnp.sum(weight), 1.0)
    if TASKS[key.task].regression:
        error = (outputs[..., -1] - batch.value) ** 2
        mse = jnp.sum(error * weight) / count
        none = jnp.asarray(jnp.nan)  # no accuracy for a regression task (null in frames)
        return {"loss": mse, "mse": mse, "token_accuracy": none, "sequence_accuracy": none}
    logits = outputs[..., :TOKENS] + class_mask(key, hyper)
    nll = optax.softmax_cross_entropy_with_integer_labels(logits, batch.target)
    right = (jnp.argmax(logits, -1) == batch.target) | (weight == 0)
    token = jnp.sum(jnp.where(weight > 0, right, 0)) / count
    sequence = jnp.mean(jnp.all(right, axis=1))
    return {
        "loss": jnp.sum(nll * weight) / count,
        "mse": jnp.asarray(jnp.nan),
        "token_accuracy": token,
        "sequence_accuracy": sequence,
    }


def make_update(key: KernelKey) -> Callable[[SeqState, SeqHyper, Batch], tuple[SeqState, jax.Array]]:
    """The pure update on a given batch (not jitted): clipped gradients, the optimizer's step."""
    net = key.net

    def update(state: SeqState, hyper: SeqHyper, batch: Batch) -> tuple[SeqState, jax.Array]:
        def loss_fn(params: Any) -> jax.Array:
            outputs, _ = apply_batch(net, params, hyper, batch.x)
            return losses(net, hyper, outputs, batch)["loss"]

        loss, grads = jax.value_and_grad(loss_fn)(state.params)
        norm = optax.tree.norm(grads)
        scale = jnp.where(hyper.clip > 0, jnp.minimum(1.0, hyper.clip / (norm + 1e-12)), 1.0)
        grads = jax.tree.map(lambda g: g * scale, grads)
        rate = schedule_value(
            key.schedule, hyper.learning_rate, hyper.schedule_epochs, hyper.schedule_factor, state.step
        )
        optimizer = make_optimizer(key.optimizer, rate, hyper.momentum, hyper.weight_decay)
        updates, opt_state = optimizer.update(grads, state.opt_state, state.params)
        params = optax.apply_updates(state.params, updates)
        return SeqState(params, opt_state, state.step + 1), loss

    return update


def make_train_step(key: KernelKey) -> Callable[[SeqState, SeqHyper], tuple[SeqState, jax.Array]]:
    """The pure update on step `state.step`'s batch (not jitted)."""
    update = make_update(key)

    def step(state: SeqState, hyper: SeqHyper) -> tuple[SeqState, jax.Array]:
        return update(state, hyper, batch_of(key.net, hyper, state.step, key.batch_size))

    return step


def kept_if_healthy(
    trained: Any, state: Any, params: Any, n_steps: jax.Array
) -> tuple[Any, jax.Array, jax.Array]:
    """A chunk's (state, steps done, diverged): dropped (the state before it) if a weight in `params` (the
    trained weights) is not finite."""
    healthy = jnp.all(jnp.stack([jnp.all(jnp.isfinite(leaf)) for leaf in jax.tree.leaves(params)]))
    kept = jax.tree.map(lambda new, old: jnp.where(healthy, new, old), trained, state)
    return kept, jnp.where(healthy, n_steps, 0), jnp.logical_not(healthy)


def make_train_chunk(key: KernelKey) -> Callable[..., tuple[SeqState, jax.Array, jax.Array]]:
    """The pure chunk of the engine seam: (state, hyper, n_steps) -> (state after n_steps updates, steps
    done, diverged). A chunk whose weights came out non-finite is dropped and says it diverged."""
    step = make_train_step(key)

    def train(state: SeqState, hyper: SeqHyper, n_steps: jax.Array) -> tuple[SeqState, jax.Array, jax.Array]:
        trained = jax.lax.fori_loop(0, n_steps, lambda _, s: step(s, hyper)[0], state)
        return kept_if_healthy(trained, state, trained.params, n_steps)

    return train


@cache
def optimizer_init(name: str) -> Callable[[Any], Any]:
    return jax.jit(make_optimizer(name, 0.0).init)


@lru_cache(maxsize=32)  # bounded: a kernel per key (plan.py says why)
def jitted_init(key: NetKey) -> Callable[[jax.Array], Any]:
    net = key.net()
    x = jnp.zeros((key.steps, FEATURES))
    zero = jnp.zeros((key.steps, key.width))
    masks = Masks(
        jnp.ones((key.width,)),
        jnp.asarray(float(key.width)),
        jnp.ones((key.layers,)),
        jnp.asarray(0),
        jnp.ones((key.steps, key.steps), bool),
    )
    return jax.jit(lambda rng: net.init(rng, x, masks, zero, zero)["params"])


def init_params(key: NetKey, seed: int) -> Any:
    """Fresh weights of a bucket's network from a seed (compiled once per bucket)."""
    return jitted_init(key)(jax.random.PRNGKey(seed))


def initial_state(optimizer: str, params: Any, step: int = 0) -> SeqState:
    return SeqState(params, optimizer_init(optimizer)(params), jnp.asarray(step, jnp.int32))
