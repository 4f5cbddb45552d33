"""The sequence lab's tasks, generated inside the training step: a batch is a pure function of a PRNG key,
the (traced) length and vocabulary (each step's draws have a key of their own: the bucket of steps only
pads the batch, so a larger bucket's kernel trains on the same sequences).

Every step's input is a feature vector: a one-hot token (TOKENS columns), an "answer now" marker, a value
(adding, sine) and a flag (adding's two marked positions). Targets are a class per step (token tasks) or
a value per step (regression), with a weight saying which steps are scored.

Sequence-to-sequence tasks (copy, reverse, sort) are read, then answered: a recurrent net (which only
sees the past) gets the tokens, then `length` answer markers, and answers at the markers; the encoder
Transformer sees the whole sequence at once and answers in place (its attention shows where it looks:
the reversal's anti-diagonal). Causal tasks (parity with a label every step, bracket depth, sine's next
step) give the Transformer a causal mask, so no step sees its own future.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

from .names import TOKENS, Task

FEATURES = TOKENS + 3  # one-hot token, answer marker, value, flag
MARKER, VALUE, FLAG = TOKENS, TOKENS + 1, TOKENS + 2
OUTPUTS = TOKENS + 1  # a logit per class, then the regression output
MAX_DEPTH = TOKENS - 1


def steps_needed(task: Task, length: int, recurrent: bool) -> int:
    """The time steps a sequence of `length` takes (read, then answer, for a recurrent net)."""
    return 2 * length if task.seq2seq and recurrent else length


def classes(task: Task, vocab: int) -> int:
    """How many output classes the task uses (the rest of the logits are masked)."""
    if task.regression:
        return 0
    if task.name == "brackets":
        return MAX_DEPTH + 1
    return task.fixed_vocab or vocab


class Batch(NamedTuple):
    x: jax.Array  # f32 (B, T, FEATURES)
    tokens: jax.Array  # i32 (B, T) the input token (-1: none), for the token strip
    target: jax.Array  # i32 (B, T) class per step (0 where unscored)
    value: jax.Array  # f32 (B, T) regression target per step
    weight: jax.Array  # f32 (B, T) 1 where a step is scored


def _one_hot(tokens: jax.Array) -> jax.Array:
    return jax.nn.one_hot(tokens, FEATURES, dtype=jnp.float32)  # -1 gives a zero row


def _per_step(key: jax.Array, steps: int, draw: Any) -> jax.Array:
    """`draw(key_t)` for each step t, stacked on a first axis: step t's values come from a key of its own,
    so a sequence is the same whatever the bucket of steps it is drawn in (a padded kernel trains on the
    very batches of the exact one)."""
    keys = jax.vmap(lambda t: jax.random.fold_in(key, t))(jnp.arange(steps))
    return jax.vmap(draw)(keys)


def make_batch(
    task: Task, key: jax.Array, batch: int, steps: int, length: jax.Array, vocab: jax.Array, recurrent: bool
) -> Batch:
    """One batch of `task` (pure: the same key, the same batch)."""
    t = jnp.arange(steps)
    inside = t < length
    k_tokens, k_a, k_b = jax.random.split(key, 3)
    zeros_f = jnp.zeros((batch, steps), jnp.float32)
    zeros_i = jnp.zeros((batch, steps), jnp.int32)
    if task.seq2seq:
        raw = _per_step(k_tokens, steps, lambda k: jax.random.randint(k, (batch,), 0, TOKENS)).T % vocab
        raw = jnp.where(inside, raw, TOKENS)  # past the end: a token larger than any (for sort)
        if task.name == "copy":
            answer = raw
        elif task.name == "reverse":
            answer = jnp.take_along_axis(
                raw, jnp.clip(length - 1 - t, 0, steps - 1)[None].repeat(batch, 0), 1
            )
        else:
            answer = jnp.sort(raw, axis=1)
        answer = jnp.where(inside, answer, 0)
        tokens = jnp.where(inside, raw, -1)
        if recurrent:  # read `length` tokens, then answer at `length` markers
            answering = (t >= length) & (t < 2 * length)
            shifted = jnp.take_along_axis(
                answer, jnp.clip(t - length, 0, steps - 1)[None].repeat(batch, 0), 1
            )
            x = _one_hot(tokens) + jnp.where(answering, 1.0, 0.0)[None, :, None] * jax.nn.one_hot(
                MARKER, FEATURES
            )
            return Batch(
                x, tokens, jnp.where(answering, shifted, 0), zeros_f, answering * jnp.ones((batch, 1))
            )
        return Batch(_one_hot(tokens), tokens, answer, zeros_f, inside * jnp.ones((batch, 1)))
    if task.name in ("parity", "parity_dense"):
        drawn = _per_step(k_tokens, steps, lambda k: jax.random.bernoulli(k, 0.5, (batch,))).T
        bits = jnp.where(inside, drawn.astype(jnp.int32), 0)
        running = jnp.cumsum(bits, axis=1) % 2
        weight = inside if task.name == "parity_dense" else t == length - 1
        tokens = jnp.where(inside, bits, -1)
        return Batch(_one_hot(tokens), tokens, running, zeros_f, weight * jnp.ones((batch, 1)))
    if task.name == "brackets":
        coins = _per_step(k_tokens, steps, lambda k: jax.random.bernoulli(k, 0.5, (batch,))).astype(jnp.int32)

        def walk(depth: jax.Array, coin: jax.Array) -> tuple[jax.Array, tuple[jax.Array, jax.Array]]:
            close = jnp.where(depth == 0, 0, jnp.where(depth >= MAX_DEPTH, 1, coin))
            depth = depth + 1 - 2 * close
            return depth, (close, depth)

        _, (closes, depths) = jax.lax.scan(walk, jnp.zeros((batch,), jnp.int32), coins)
        tokens = jnp.where(inside, closes.T, -1)
        return Batch(
            _one_hot(tokens), tokens, jnp.where(inside, depths.T, 0), zeros_f, inside * jnp.ones((batch, 1))
        )
    if task.name == "adding":
        values = _per_step(k_tokens, steps, lambda k: jax.random.uniform(k, (batch,))).T
        half = jnp.maximum(length // 2, 1)
        first = jax.random.randint(k_a, (batch,), 0, half)
        second = half + jax.random.randint(k_b, (batch,), 0, jnp.maximum(length - half, 1))
        flags = (t[None] == first[:, None]) | (t[None] == second[:, None])
        values = jnp.where(inside, values, 0.0)
        total = jnp.sum(jnp.where(flags, values, 0.0), axis=1)
        last = t[None] == length - 1
        x = zeros_f[..., None] + jnp.zeros((FEATURES,))
        x = x.at[..., VALUE].set(values).at[..., FLAG].set(flags.astype(jnp.float32))
        return Batch(
            x, zeros_i - 1, zeros_i, jnp.where(last, total[:, None], 0.0), last * jnp.ones((batch, 1))
        )
    # sine: predict the next value of sin(ω t + φ), ω and φ drawn per sequence
    omega = jax.random.uniform(k_a, (batch, 1), minval=0.15, maxval=0.6)
    phase = jax.random.uniform(k_b, (batch, 1), maxval=2 * jnp.pi)
    wave = jnp.sin(omega * t[None] + phase)
    following = jnp.sin(omega * (t[None] + 1) + phase)
    x = (zeros_f[..., None] + jnp.zeros((FEATURES,))).at[..., VALUE].set(jnp.where(inside, wave, 0.0))
    return Batch(x, zeros_i - 1, zeros_i, jnp.where(inside, following, 0.0), inside * jnp.ones((batch, 1)))


def encode_typed(task: Task, typed: list[int], steps: int, recurrent: bool) -> Batch:
    """A person's typed sequence (token ids, already checked) as a batch of one, without targets (they are
    computed by the caller from the same rule the task trains on, where one exists)."""
    length = len(typed)
    tokens = jnp.full((steps,), -1, jnp.int32).at[:length].set(jnp.asarray(typed, jnp.int32))
    x = _one_hot(tokens)
    if task.seq2seq and recurrent:
        t = jnp.arange(steps)
        x = x + ((t >= length) & (t < 2 * length)).astype(jnp.float32)[:, None] * jax.nn.one_hot(
            MARKER, FEATURES
        )
    zero = jnp.zeros((1, steps))
    return Batch(x[None], tokens[None], zero.astype(jnp.int32), zero, zero)
