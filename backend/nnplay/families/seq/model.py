"""The sequence lab's networks (flax linen): RNN, GRU and LSTM layers run with `lax.scan`, and a small
pre-LayerNorm encoder Transformer.

Every network is built for a *bucket* (width, steps, layers: static) and told by traced masks how much of
it is in use (`Masks`): units past the width are held at zero, layers past the count pass their input
through, and attention never looks at steps past the sequence (nor ahead, for causal tasks). So editing
the width, the length or the layer count within a bucket changes arrays, never the compiled kernel.

Gate matrices are stored with the gate as their own axis ((gates, in, width)), so a state carried to a
wider or narrower bucket is cut or padded gate by gate (plan.carry_params). Attention heads take the
width's columns in turn (column c belongs to head c mod heads), so a narrower width keeps every head.

Each network applies to ONE sequence (steps, features) and returns its outputs (steps, outputs) and what
the views show (`trace`): the last active layer's hidden state and gates over time, the attention
weights and scores of every layer and head. Two probes (zeros, added to the input embedding and to the
first layer's state at each step) let a frame take ∂loss/∂h_t and ∂y/∂x_t by differentiating them.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp

GATES = {"rnn": (), "gru": ("update", "reset"), "lstm": ("input", "forget", "output", "cell")}
N_GATES = {"rnn": 1, "gru": 3, "lstm": 4}  # matrices per layer
FORGET_BIAS = 1.0
NEG = -1e9


class Masks(NamedTuple):
    """The traced part of a network's shape."""

    width_mask: jax.Array  # f32 (W,) 1 for units in use
    width: jax.Array  # f32 () units in use
    layer_on: jax.Array  # f32 (L,) 1 for layers in use
    positional: jax.Array  # i32 () index into POSITIONAL
    attend: jax.Array  # bool (T, T) query t may look at key s


def _orthogonal_stack(key: jax.Array, shape: tuple[int, ...], dtype: Any = jnp.float32) -> jax.Array:
    """(gates, W, W) recurrent kernels, each orthogonal (keeps the state's norm early in training)."""
    keys = jax.random.split(key, shape[0])
    init = nn.initializers.orthogonal()
    return jnp.stack([init(k, shape[1:], dtype) for k in keys])


def _input_stack(key: jax.Array, shape: tuple[int, ...], dtype: Any = jnp.float32) -> jax.Array:
    keys = jax.random.split(key, shape[0])
    init = nn.initializers.lecun_normal()
    return jnp.stack([init(k, shape[1:], dtype) for k in keys])


def _gate_bias(kind: str) -> Any:
    def init(key: jax.Array, shape: tuple[int, ...], dtype: Any = jnp.float32) -> jax.Array:
        bias = jnp.zeros(shape, dtype)
        if kind == "lstm":  # input, forget, cell, output: a forget bias of 1 remembers by default
            bias = bias.at[1].set(FORGET_BIAS)
        return bias

    return init


def cell_step(kind: str, p: dict[str, jax.Array], carry: Any, xp: jax.Array) -> tuple[Any, jax.Array, Any]:
    """One step of a cell: (carry, the input's projection (gates, W)) -> (carry, h, gates shown).

    RNN: h = tanh(x W + b + h U). GRU (as flax's GRUCell): r, z = σ(·), n = tanh(x W_n + b_n + r (h U_n +
    b_hn)), h = (1 - z) n + z h. LSTM: i, f, g, o from x W + b + h U; c = σ(f) c + σ(i) tanh(g),
    h = σ(o) tanh(c).
    """
    u = p["recurrent"]
    if kind == "rnn":
        h = jnp.tanh(xp[0] + carry @ u[0])
        return h, h, jnp.zeros((0, h.shape[-1]), h.dtype)
    if kind == "gru":
        h = carry
        r = jax.nn.sigmoid(xp[0] + h @ u[0])
        z = jax.nn.sigmoid(xp[1] + h @ u[1])
        n = jnp.tanh(xp[2] + r * (h @ u[2] + p["hidden_bias"]))
        h = (1.0 - z) * n + z * h
        return h, h, jnp.stack([z, r])
    h, c = carry
    gates = xp + jnp.einsum("w,gwv->gv", h, u)
    i, f, g, o = jax.nn.sigmoid(gates[0]), jax.nn.sigmoid(gates[1]), jnp.tanh(gates[2]), gates[3]
    o = jax.nn.sigmoid(o)
    c = f * c + i * g
    h = o * jnp.tanh(c)
    return (h, c), h, jnp.stack([i, f, o, c])


class RecurrentLayer(nn.Module):
    """One recurrent layer over a whole sequence: the input projection for every step at once, then
    `lax.scan` over time. Returns (states (T, W), gates (T, G, W), the carry after the last step)."""

    kind: str
    width: int

    @nn.compact
    def __call__(self, xs: jax.Array, masks: Masks, probe: jax.Array) -> tuple[jax.Array, jax.Array]:
        g, w = N_GATES[self.kind], self.width
        params = {
            "input": self.param("input", _input_stack, (g, xs.shape[-1], w)),
            "bias": self.param("bias", _gate_bias(self.kind), (g, w)),
            "recurrent": self.param("recurrent", _orthogonal_stack, (g, w, w)),
        }
        if self.kind == "gru":
            params["hidden_bias"] = self.param("hidden_bias", nn.initializers.zeros_init(), (w,))
        projected = jnp.einsum("ti,giw->tgw", xs, params["input"]) + params["bias"]
        mask = masks.width_mask
        zero = jnp.zeros((w,), xs.dtype)
        carry0: Any = (zero, zero) if self.kind == "lstm" else zero

        def step(carry: Any, inputs: tuple[jax.Array, jax.Array]) -> tuple[Any, tuple[jax.Array, jax.Array]]:
            xp, nudge = inputs
            carry, h, shown = cell_step(self.kind, params, carry, xp)
            h = (h + nudge) * mask  # the probe: ∂loss/∂nudge_t is ∂loss/∂h_t through every later step
            carry = (h, carry[1] * mask) if self.kind == "lstm" else h
            return carry, (h, shown * mask)

        _, (states, gates) = jax.lax.scan(step, carry0, (projected, probe))
        return states, gates


def masked_layer_norm(x: jax.Array, scale: jax.Array, bias: jax.Array, masks: Masks) -> jax.Array:
    """LayerNorm over the units in use only (the padding does not dilute the mean or variance)."""
    m = masks.width_mask
    mean = jnp.sum(x * m, -1, keepdims=True) / masks.width
    centred = (x - mean) * m
    var = jnp.sum(centred**2, -1, keepdims=True) / masks.width
    return (centred * jax.lax.rsqrt(var + 1e-5) * scale + bias) * m


class LayerNorm(nn.Module):
    @nn.compact
    def __call__(self, x: jax.Array, masks: Masks) -> jax.Array:
        w = x.shape[-1]
        scale = self.param("scale", nn.initializers.ones_init(), (w,))
        bias = self.param("bias", nn.initializers.zeros_init(), (w,))
        return masked_layer_norm(x, scale, bias, masks)


def split_heads(x: jax.Array, heads: int) -> jax.Array:
    """(T, W) -> (heads, T, W / heads): column c goes to head c mod heads."""
    t, w = x.shape
    return x.reshape(t, w // heads, heads).transpose(2, 0, 1)


def merge_heads(x: jax.Array) -> jax.Array:
    heads, t, d = x.shape
    return x.transpose(1, 2, 0).reshape(t, d * heads)


def attend(q: jax.Array, k: jax.Array, v: jax.Array, allowed: jax.Array, head_dim: jax.Array) -> Any:
    """Scaled dot-product attention per head: (out (H, T, d), weights (H, T, T), scores (H, T, T)).
    A key a query may not look at gets no weight (its score is -1e9 before the softmax)."""
    scores = jnp.einsum("htd,hsd->hts", q, k) / jnp.sqrt(head_dim)
    masked = jnp.where(allowed[None], scores, NEG)
    weights = jax.nn.softmax(masked, axis=-1)
    weights = jnp.where(allowed[None], weights, 0.0)
    return jnp.einsum("hts,hsd->htd", weights, v), weights, jnp.where(allowed[None], scores, 0.0)


class Block(nn.Module):
    """A pre-LayerNorm encoder block: x + attention(LN x), then x + MLP(LN x)."""

    width: int
    heads: int

    @nn.compact
    def __call__(self, x: jax.Array, masks: Masks) -> tuple[jax.Array, jax.Array, jax.Array]:
        m = masks.width_mask
        h = LayerNorm(name="ln_attention")(x, masks)
        q, k, v = (nn.Dense(self.width, name=n)(h) * m for n in ("query", "key", "value"))
        out, weights, scores = attend(
            split_heads(q, self.heads),
            split_heads(k, self.heads),
            split_heads(v, self.heads),
            masks.attend,
            masks.width / self.heads,
        )
        x = x + nn.Dense(self.width, name="out")(merge_heads(out)) * m
        h = LayerNorm(name="ln_mlp")(x, masks)
        hidden_mask = jnp.arange(2 * self.width) < 2 * masks.width  # the MLP is twice the width in use
        h = jax.nn.gelu(nn.Dense(2 * self.width, name="mlp_in")(h)) * hidden_mask
        x = x + nn.Dense(self.width, name="mlp_out")(h) * m
        return x, weights, scores


def sinusoidal(steps: int, width: int, used: jax.Array) -> jax.Array:
    """The sinusoidal encoding of `used` (traced) units: sin/cos pairs with wavelengths 2π..10000·2π."""
    position = jnp.arange(steps, dtype=jnp.float32)[:, None]
    unit = jnp.arange(width, dtype=jnp.float32)[None, :]
    rate = jnp.power(10000.0, -2.0 * jnp.floor(unit / 2) / used)
    angle = position * rate
    return jnp.where(unit % 2 == 0, jnp.sin(angle), jnp.cos(angle))


def positional_table(params_table: jax.Array, masks: Masks) -> jax.Array:
    """The positional encoding in use (T, W): learned, sinusoidal or none."""
    steps, width = params_table.shape
    table = jnp.select(
        [masks.positional == 0, masks.positional == 1],
        [params_table, sinusoidal(steps, width, masks.width)],
        jnp.zeros_like(params_table),
    )
    return table * masks.width_mask


class SeqNet(nn.Module):
    """The lab's network for one sequence: (x (T, F), masks, probes) -> (outputs (T, O), trace)."""

    kind: str
    width: int
    layers: int
    heads: int
    steps: int
    outputs: int

    @nn.compact
    def __call__(
        self, x: jax.Array, masks: Masks, probe_in: jax.Array, probe_h: jax.Array
    ) -> tuple[jax.Array, dict[str, jax.Array]]:
        m = masks.width_mask
        h = nn.Dense(self.width, name="embed")(x) * m + probe_in
        trace: dict[str, jax.Array] = {}
        if self.kind == "transformer":
            table = self.param("position", nn.initializers.normal(0.1), (self.steps, self.width))
            h = h + positional_table(table, masks)
            weights, scores = [], []
            for layer in range(self.layers):
                out, w, s = Block(self.width, self.heads, name=f"block_{layer}")(h, masks)
                h = jnp.where(masks.layer_on[layer] > 0, out, h)
                weights.append(w)
                scores.append(s)
            h = LayerNorm(name="ln_final")(h, masks)
            trace["attention"] = jnp.stack(weights)
            trace["scores"] = jnp.stack(scores)
            trace["hidden"] = h
        else:
            states, gates = [], []
            for layer in range(self.layers):
                nudge = probe_h if layer == 0 else jnp.zeros_like(probe_h)
                out, g = RecurrentLayer(self.kind, self.width, name=f"layer_{layer}")(h, masks, nudge)
                h = jnp.where(masks.layer_on[layer] > 0, out, h)
                states.append(h)
                gates.append(g)
            last = jnp.maximum(jnp.sum(masks.layer_on).astype(jnp.int32) - 1, 0)
            trace["hidden"] = jnp.stack(states)[last]
            trace["gates"] = jnp.stack(gates)[last]
        return nn.Dense(self.outputs, name="head")(h), trace
