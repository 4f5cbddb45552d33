"""A training state made fit for a plan, fresh weights, and single weight/bias edits: pure functions."""

from __future__ import annotations

from dataclasses import replace

import jax
import numpy as np

from ...engine.optimizers import TrainState, init_state
from ...models.mlp import MlpShape, Params
from ...models.mlp_init import draw_params, draw_params_host
from ...schemas import ConfigError, TrainConfig
from .plan import Plan


def resize_params(params: Params, shape: MlpShape, key: jax.Array) -> Params:
    """Move params into another bucket: overlapping weights kept, new ones freshly initialised (on the
    host: an edit that changes bucket compiles nothing for it)."""
    fresh = draw_params_host(key, shape)
    old_w, old_b, old_w_out = (np.asarray(leaf) for leaf in params[:3])
    depth = min(shape.depth, old_w.shape[0])
    width = min(shape.width, old_w.shape[1])
    w, b, w_out = (np.array(leaf) for leaf in fresh[:3])
    w[:depth, :width, :width] = old_w[:depth, :width, :width]
    b[:depth, :width] = old_b[:depth, :width]
    w_out[:width] = old_w_out[:width]  # every output column moves over
    w, b, w_out = jax.device_put((w, b, w_out))
    return Params(w, b, w_out, params.b_out)


def fresh_state(plan: Plan) -> TrainState:
    """Fresh weights from the config's seed (deterministic), a fresh optimizer state, epoch 0."""
    config = plan.config
    sizes = [len(config.features), *config.hidden_layers, config.n_classes]
    params = draw_params(jax.random.PRNGKey(config.seed), plan.shape, config.init, sizes)
    return init_state(plan.optimizer, params)


def fit_weights(params: Params, plan: Plan) -> Params:
    if params.w.shape[0] == plan.shape.depth and params.w.shape[1] == plan.shape.width:
        return params
    return resize_params(params, plan.shape, jax.random.PRNGKey(plan.config.seed + 1))


def fit_state(state: TrainState | Params, plan: Plan) -> TrainState:
    """The state made fit for the plan; unchanged if it already is.

    A net that changed bucket gets its weights moved over (resize_params) and a fresh optimizer state;
    another optimizer or schedule gets a fresh optimizer state and schedule clock (the weights stay).
    Bare Params are wrapped in a fresh state.
    """
    if isinstance(state, Params):
        return init_state(plan.optimizer, fit_weights(state, plan))
    params = fit_weights(state.params, plan)
    if state.spec != plan.optimizer:
        return init_state(plan.optimizer, params)
    if params is not state.params:
        return replace(init_state(plan.optimizer, params), epoch=state.epoch)
    return state


def _check_index(name: str, value: int, size: int) -> None:
    if value >= size:
        raise ConfigError(name, f"{name} must be between 0 and {size - 1}, got {value}")


def check_weight(config: TrainConfig, layer: int, source: int, target: int) -> None:
    """Raise ConfigError unless (layer, source, target) addresses a weight of a frame's `weights`."""
    hidden = config.hidden_layers
    _check_index("layer", layer, len(hidden) + 1)
    sources = len(config.features) if layer == 0 else hidden[layer - 1]
    _check_index("source", source, sources)
    _check_index("target", target, hidden[layer] if layer < len(hidden) else config.n_classes)


def check_bias(config: TrainConfig, layer: int, neuron: int) -> None:
    """Raise ConfigError unless (layer, neuron) addresses a bias of a frame's `biases`."""
    hidden = config.hidden_layers
    _check_index("layer", layer, len(hidden) + 1)
    _check_index("neuron", neuron, hidden[layer] if layer < len(hidden) else config.n_classes)


def _rows(plan: Plan, layer: int) -> np.ndarray:
    """Padded row indices of the inputs of `layer` (0 = first hidden layer; last = output)."""
    if layer == 0:
        return np.asarray(plan.exact_spec.features)
    return np.arange(plan.config.hidden_layers[layer - 1])


def set_weight(
    plan: Plan, state: TrainState | Params, layer: int, source: int, target: int, value: float
) -> TrainState:
    """One weight changed, addressed as in a frame's exact-shape `weights`; raises ConfigError."""
    check_weight(plan.config, layer, source, target)
    state = fit_state(state, plan)
    params, row = state.params, int(_rows(plan, layer)[source])
    if layer == len(plan.config.hidden_layers):
        return replace(state, params=params._replace(w_out=params.w_out.at[row, target].set(value)))
    return replace(state, params=params._replace(w=params.w.at[layer, row, target].set(value)))


def set_bias(plan: Plan, state: TrainState | Params, layer: int, neuron: int, value: float) -> TrainState:
    """One bias changed, addressed as in a frame's `biases`; raises ConfigError."""
    check_bias(plan.config, layer, neuron)
    state = fit_state(state, plan)
    params = state.params
    if layer == len(plan.config.hidden_layers):
        return replace(state, params=params._replace(b_out=params.b_out.at[neuron].set(value)))
    return replace(state, params=params._replace(b=params.b.at[layer, neuron].set(value)))
