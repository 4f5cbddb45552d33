"""A small convolutional network's stack of layers as data: its layers, shapes, parameter counts and
validation (no jax: a config is checked without the numerics; models/cnn.py runs a stack).

A stack is a tuple of `Layer`s applied to an 8x8x1 image, followed by a fixed output layer (dense, one
unit per class, softmax in the loss). Dense layers (and the output) flatten a map first. The dropout rate
of a layer is not part of its structure: it reaches the module as a traced array, so editing it never
recompiles; `architecture_key` is what a compiled kernel depends on.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, ClassVar

INPUT_SHAPE = (8, 8, 1)
CLASSES = 10
MAX_LAYERS = 12
POOL = 2  # pools are 2x2 with stride 2
KINDS = ("conv", "maxpool", "avgpool", "flatten", "dense", "dropout", "batchnorm")
# the activations a layer may name (models/cnn.py runs them)
ACTIVATIONS: tuple[str, ...] = ("relu", "tanh", "sigmoid", "linear", "leaky_relu", "elu", "gelu", "swish")
LIMITS = {"filters": (1, 16), "kernel": (3, 5), "stride": (1, 2), "units": (1, 128)}
MAX_DROPOUT = 0.9


class StackError(ValueError):
    """An invalid stack; `index` is the 1-based layer it names (0 for the stack as a whole)."""

    def __init__(self, index: int, kind: str, problem: str) -> None:
        self.index = index
        self.kind = kind
        self.problem = problem
        where = f"layer {index} ({kind})" if index else "the stack"
        super().__init__(f"{where}: {problem}")
        self.message = str(self)


@dataclass(frozen=True)
class Layer:
    """One layer of the stack. Only the fields of its kind matter (conv: filters, kernel, stride, padding,
    activation; dense: units, activation; dropout: rate)."""

    kind: str
    filters: int = 8
    kernel: int = 3
    stride: int = 1
    padding: str = "same"
    units: int = 32
    rate: float = 0.25
    activation: str = "relu"
    # How a config validates a layer given as JSON (pydantic reads this; a plain dict, no import here): an
    # unknown field is an error, a rate is finite. The ranges and kinds are checked by `summarize`.
    __pydantic_config__: ClassVar[dict[str, Any]] = {"extra": "forbid", "allow_inf_nan": False}

    def public(self) -> dict[str, Any]:
        """The fields that matter for this kind, as plain data (for JSON)."""
        fields: dict[str, tuple[str, ...]] = {
            "conv": ("filters", "kernel", "stride", "padding", "activation"),
            "dense": ("units", "activation"),
            "dropout": ("rate",),
        }
        return {"kind": self.kind, **{name: getattr(self, name) for name in fields.get(self.kind, ())}}


@dataclass(frozen=True)
class LayerSummary:
    index: int  # 1-based
    kind: str
    shape: tuple[int, ...]  # output shape of one example
    params: int  # trainable parameters


def architecture_key(layers: Sequence[Layer]) -> tuple[Layer, ...]:
    """What a compiled network depends on: the layers without their (traced) dropout rates."""
    return tuple(replace(layer, rate=0.0) if layer.kind == "dropout" else layer for layer in layers)


def _check_range(index: int, layer: Layer, name: str) -> None:
    low, high = LIMITS[name]
    value = getattr(layer, name)
    if name == "kernel" and value not in (3, 5):
        raise StackError(index, layer.kind, f"kernel must be 3 or 5, got {value}")
    if not low <= value <= high:
        raise StackError(index, layer.kind, f"{name} must be between {low} and {high}, got {value}")


def _check_fields(index: int, layer: Layer) -> None:
    if layer.kind not in KINDS:
        raise StackError(index, str(layer.kind), f"unknown kind; kinds are {', '.join(KINDS)}")
    if layer.kind in ("conv", "dense") and layer.activation not in ACTIVATIONS:
        raise StackError(
            index,
            layer.kind,
            f"unknown activation {layer.activation!r}; activations are {', '.join(ACTIVATIONS)}",
        )
    if layer.kind == "conv":
        for name in ("filters", "kernel", "stride"):
            _check_range(index, layer, name)
        if layer.padding not in ("same", "valid"):
            raise StackError(index, layer.kind, f"padding must be 'same' or 'valid', got {layer.padding!r}")
    if layer.kind == "dense":
        _check_range(index, layer, "units")
    if layer.kind == "dropout" and not (0.0 <= layer.rate <= MAX_DROPOUT):
        raise StackError(index, layer.kind, f"rate must be between 0 and {MAX_DROPOUT}, got {layer.rate}")


def _conv_side(side: int, layer: Layer, index: int) -> int:
    if layer.padding == "same":
        return math.ceil(side / layer.stride)
    if layer.kernel > side:
        raise StackError(
            index,
            "conv",
            f"a {layer.kernel}x{layer.kernel} kernel with valid padding needs a map of at least "
            f"{layer.kernel}x{layer.kernel}, got {side}x{side}",
        )
    return (side - layer.kernel) // layer.stride + 1


def _next_shape(shape: tuple[int, ...], layer: Layer, index: int) -> tuple[tuple[int, ...], int]:
    """(output shape, trainable parameters) of `layer` on an input of `shape`, or StackError."""
    flat = math.prod(shape)
    if layer.kind == "conv":
        if len(shape) != 3:
            raise StackError(
                index, "conv", f"needs an image map, but its input is flat ({flat}); put it first"
            )
        side = _conv_side(shape[0], layer, index)
        return (side, side, layer.filters), (layer.kernel**2 * shape[2] + 1) * layer.filters
    if layer.kind in ("maxpool", "avgpool"):
        if len(shape) != 3:
            raise StackError(index, layer.kind, f"needs an image map, but its input is flat ({flat})")
        if shape[0] < POOL:
            raise StackError(
                index,
                layer.kind,
                f"a {POOL}x{POOL} pool needs a map of at least {POOL}x{POOL}, got {shape[0]}x{shape[1]}",
            )
        return (shape[0] // POOL, shape[1] // POOL, shape[2]), 0
    if layer.kind == "flatten":
        return (flat,), 0
    if layer.kind == "dense":
        return (layer.units,), (flat + 1) * layer.units
    if layer.kind == "batchnorm":
        return shape, 2 * shape[-1]
    return shape, 0  # dropout


def summarize(layers: Sequence[Layer]) -> list[LayerSummary]:
    """Each layer's output shape and parameter count, then the output layer's; StackError if invalid."""
    if len(layers) > MAX_LAYERS:
        raise StackError(0, "stack", f"at most {MAX_LAYERS} layers, got {len(layers)}")
    shape: tuple[int, ...] = INPUT_SHAPE
    result = []
    for index, layer in enumerate(layers, start=1):
        _check_fields(index, layer)
        shape, params = _next_shape(shape, layer, index)
        result.append(LayerSummary(index, layer.kind, shape, params))
    result.append(LayerSummary(len(layers) + 1, "output", (CLASSES,), (math.prod(shape) + 1) * CLASSES))
    return result


def parameter_count(layers: Sequence[Layer]) -> int:
    return sum(s.params for s in summarize(layers))
