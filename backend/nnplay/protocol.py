"""The wire format (docs/protocol.md): binary msgpack frames and JSON control messages.

Pure functions of plain data: nothing here knows about jax, sessions or websockets.
"""

from __future__ import annotations

import math
from typing import Any, Protocol

import msgpack
import numpy as np
import orjson
from pydantic import TypeAdapter, ValidationError

from .client_messages import MESSAGE_TYPES, ClientMessage, message_types
from .schemas import describe_errors, short_repr

MAX_MESSAGE_BYTES = 64 * 1024

_client_message: TypeAdapter[Any] = TypeAdapter(ClientMessage)


class ProtocolError(ValueError):
    """A client message that cannot be acted on; `code` and `field` go into the error reply."""

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


def finite_or_none(value: float | None) -> float | None:
    """JSON has no NaN or infinity: send null instead."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def json_object(raw: str | bytes) -> dict[str, Any]:
    """The envelope every client message shares: at most MAX_MESSAGE_BYTES of JSON, an object with a
    'type'. Raises ProtocolError (too_large, invalid_json, invalid_message)."""
    size = len(raw.encode() if isinstance(raw, str) else raw)
    if size > MAX_MESSAGE_BYTES:
        raise ProtocolError("too_large", f"message is {size} bytes; the limit is {MAX_MESSAGE_BYTES}")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ProtocolError("invalid_json", f"message is not valid JSON: {exc}") from None
    if not isinstance(data, dict) or "type" not in data:
        raise ProtocolError("invalid_message", "a message must be a JSON object with a 'type'", "type")
    return data


def parse_client_message(raw: str | bytes) -> Any:
    """Validate one client message; raise ProtocolError with a human message if it is bad."""
    data = json_object(raw)
    try:
        return _client_message.validate_python(data)
    except ValidationError as exc:
        errors = exc.errors()
        if errors and errors[0].get("type") == "union_tag_invalid":
            kinds = ", ".join(MESSAGE_TYPES)
            raise ProtocolError(
                "unknown_type",
                f"unknown message type {short_repr(data.get('type'))}; expected one of {kinds}",
                "type",
            ) from None
        first = describe_errors(exc)[0]
        raise ProtocolError("invalid_message", first["message"], first["field"]) from None


class MessageParser:
    """A lab's client messages, validated: the envelope (json_object), a known `type`, then its model,
    each failure a ProtocolError naming the field (`unknown_type`, `invalid_message`). `union` is a
    discriminated union of pydantic models (`Annotated[A | B, Field(discriminator="type")]`)."""

    def __init__(self, union: Any) -> None:
        self.types = message_types(union)
        self._adapter: TypeAdapter[Any] = TypeAdapter(union)

    def __call__(self, raw: str | bytes) -> Any:
        data = json_object(raw)
        kind = data["type"]
        if not isinstance(kind, str) or kind not in self.types:
            kinds = ", ".join(self.types)
            raise ProtocolError(
                "unknown_type", f"unknown message type {short_repr(kind)}; expected one of {kinds}", "type"
            )
        try:
            return self._adapter.validate_python(data)
        except ValidationError as exc:
            error = exc.errors()[0]
            loc = [str(p) for p in error.get("loc", ())[1:]]  # the first part is the message type
            field = loc[0] if loc else "type"
            detail = (
                "unknown field" if error.get("type") == "extra_forbidden" else error.get("msg", "invalid")
            )
            raise ProtocolError("invalid_message", f"{kind}: {field}: {detail}", field) from None


def _finite_tree(value: Any) -> Any:
    """Nested dicts/lists with every non-finite float replaced by None."""
    if isinstance(value, float):
        return finite_or_none(value)
    if isinstance(value, dict):
        return {k: _finite_tree(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite_tree(v) for v in value]
    return value


def json_message(kind: str, **fields: Any) -> str:
    """A JSON control message (hello, status, config, error, pong)."""
    return orjson.dumps({"type": kind, **fields}).decode()


def error_message(code: str, message: str, field: str | None = None) -> str:
    return json_message("error", code=code, message=message, field=field)


def encode_data(
    version: int,
    problem: str,
    train_x: np.ndarray,
    train_y: np.ndarray,
    test_x: np.ndarray,
    test_y: np.ndarray,
    classes: int = 2,
) -> bytes:
    """The points of a data set as a binary `data` message (`classes`: K, 2 binary, 0 regression)."""
    return msgpack.packb(
        {
            "type": "data",
            "data_version": version,
            "problem": problem,
            "classes": classes,
            "train_x": np.ascontiguousarray(train_x, np.float32).tobytes(),
            "train_y": np.ascontiguousarray(train_y, np.float32).tobytes(),
            "test_x": np.ascontiguousarray(test_x, np.float32).tobytes(),
            "test_y": np.ascontiguousarray(test_y, np.float32).tobytes(),
        }
    )


def encode_frame_fields(
    *,
    epoch: int,
    state: str,
    config_version: int,
    train_loss: float | None,
    test_loss: float | None,
    train_accuracy: float | None,
    test_accuracy: float | None,
    epochs_per_second: float,
    layers: list[int],
    output_grid: np.ndarray,
    neuron_grids: np.ndarray,
    weights: list[np.ndarray],
    biases: list[np.ndarray],
    grid_size: int,
    neuron_grid_size: int,
    learning_rate: float | None = None,
    metrics: dict[str, Any] | None = None,
    grad_norms: list[float] | None = None,
    weight_hist: list[dict[str, Any]] | None = None,
    activation_hist: list[dict[str, Any]] | None = None,
    outputs: int = 1,
    output_classes: np.ndarray | None = None,
) -> bytes:
    """One training frame as binary msgpack (grids uint8, weights float32), from its fields."""
    extra: dict[str, Any] = {}
    if output_classes is not None:  # multi-class: the predicted class of every output cell
        extra["output_classes"] = np.ascontiguousarray(output_classes, np.uint8).tobytes()
    return msgpack.packb(
        {
            **extra,
            "type": "frame",
            "epoch": int(epoch),
            "state": state,
            "config_version": config_version,
            "train_loss": finite_or_none(train_loss),
            "test_loss": finite_or_none(test_loss),
            "train_accuracy": finite_or_none(train_accuracy),
            "test_accuracy": finite_or_none(test_accuracy),
            "epochs_per_second": round(float(epochs_per_second), 1),
            "grid_size": grid_size,
            "output_grid": np.ascontiguousarray(output_grid, np.uint8).tobytes(),
            "neuron_grid_size": neuron_grid_size,
            "layers": list(layers),
            "outputs": int(outputs),
            "neuron_grids": np.ascontiguousarray(neuron_grids, np.uint8).tobytes(),
            "weights": [np.ascontiguousarray(w, np.float32).tobytes() for w in weights],
            "biases": [np.ascontiguousarray(b, np.float32).tobytes() for b in biases],
            "learning_rate": finite_or_none(learning_rate),
            "metrics": _finite_tree(metrics),
            "grad_norms": [finite_or_none(v) for v in grad_norms or []],
            "weight_hist": _finite_tree(weight_hist or []),
            "activation_hist": _finite_tree(activation_hist or []),
        }
    )


class FrameNumbers(Protocol):
    """What an evaluation of the net gives a frame (engine.frames.FrameData has these; no jax here)."""

    @property
    def train_loss(self) -> float | None: ...
    @property
    def test_loss(self) -> float | None: ...
    @property
    def train_accuracy(self) -> float | None: ...
    @property
    def test_accuracy(self) -> float | None: ...
    @property
    def output_grid(self) -> np.ndarray: ...
    @property
    def neuron_grids(self) -> np.ndarray: ...
    @property
    def weights(self) -> list[np.ndarray]: ...
    @property
    def biases(self) -> list[np.ndarray]: ...
    @property
    def learning_rate(self) -> float: ...
    @property
    def metrics(self) -> dict[str, Any] | None: ...
    @property
    def grad_norms(self) -> list[float]: ...
    @property
    def weight_hist(self) -> list[dict[str, Any]]: ...
    @property
    def activation_hist(self) -> list[dict[str, Any]]: ...
    @property
    def outputs(self) -> int: ...
    @property
    def output_classes(self) -> np.ndarray | None: ...


def encode_frame(
    frame: FrameNumbers,
    *,
    epoch: int,
    state: str,
    config_version: int,
    epochs_per_second: float,
    layers: list[int],
    grid_size: int,
    neuron_grid_size: int,
) -> bytes:
    """One training frame as binary msgpack: the evaluation's numbers plus the run's place."""
    return encode_frame_fields(
        epoch=epoch,
        state=state,
        config_version=config_version,
        epochs_per_second=epochs_per_second,
        layers=layers,
        grid_size=grid_size,
        neuron_grid_size=neuron_grid_size,
        train_loss=frame.train_loss,
        test_loss=frame.test_loss,
        train_accuracy=frame.train_accuracy,
        test_accuracy=frame.test_accuracy,
        output_grid=frame.output_grid,
        neuron_grids=frame.neuron_grids,
        weights=frame.weights,
        biases=frame.biases,
        learning_rate=frame.learning_rate,
        metrics=frame.metrics,
        grad_norms=frame.grad_norms,
        weight_hist=frame.weight_hist,
        activation_hist=frame.activation_hist,
        outputs=frame.outputs,
        output_classes=frame.output_classes,
    )


def decode(frame: bytes) -> dict[str, Any]:
    """Inverse of the encoders (tests, bench and the CLI use it)."""
    result: dict[str, Any] = msgpack.unpackb(frame)
    return result
