"""The messages a client sends a session over its websocket, as pydantic models (protocol.py parses them)."""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, Field


class Start(BaseModel):
    type: Literal["start"]


class Pause(BaseModel):
    type: Literal["pause"]


class Step(BaseModel):
    type: Literal["step"]


class Reset(BaseModel):
    type: Literal["reset"]


class Ping(BaseModel):
    type: Literal["ping"]


Coordinate = Annotated[float, Field(ge=-6.0, le=6.0, allow_inf_nan=False)]


class AddPoint(BaseModel):
    """Add a point of the person's own data (switches to the "custom" data set)."""

    type: Literal["add_point"]
    x1: Coordinate
    x2: Coordinate
    label: float = Field(allow_inf_nan=False)


class RemovePoint(BaseModel):
    """Remove the point of the person's own data nearest to (x1, x2), if one lies within 0.5."""

    type: Literal["remove_point"]
    x1: Coordinate
    x2: Coordinate


class ClearPoints(BaseModel):
    type: Literal["clear_points"]


class Rollback(BaseModel):
    """Go back to the weights and epoch of the last frame before training diverged."""

    type: Literal["rollback"]


class Configure(BaseModel):
    """A partial config change. In reference mode a change of the data or the network starts a fresh run
    (fresh_run.FRESH_RUN_RULES, TF Playground's behaviour) unless `keep_weights` asks to continue from the
    current weights."""

    type: Literal["configure"]
    changes: dict[str, Any]
    keep_weights: bool = False


class Viewer(BaseModel):
    """What a client shows: whether its tab is visible and whether its insight views are open."""

    type: Literal["viewer"]
    visible: bool = True
    insights: bool = True


MAX_WEIGHT = 100.0
WeightValue = Annotated[float, Field(ge=-MAX_WEIGHT, le=MAX_WEIGHT, allow_inf_nan=False)]


class SetWeight(BaseModel):
    """Set one weight: `layer` indexes a frame's `weights`, `source` its row and `target` its column."""

    type: Literal["set_weight"]
    layer: int = Field(ge=0)
    source: int = Field(ge=0)
    target: int = Field(ge=0)
    value: WeightValue


class SetBias(BaseModel):
    """Set one bias: `layer` indexes a frame's `biases`, `neuron` the entry."""

    type: Literal["set_bias"]
    layer: int = Field(ge=0)
    neuron: int = Field(ge=0)
    value: WeightValue


ClientMessage = Annotated[
    Start
    | Pause
    | Step
    | Reset
    | Ping
    | Configure
    | SetWeight
    | SetBias
    | Rollback
    | AddPoint
    | RemovePoint
    | ClearPoints
    | Viewer,
    Field(discriminator="type"),
]


def message_types(union: Any) -> tuple[str, ...]:
    """The kinds of a discriminated union of messages (`Annotated[A | B, Field(discriminator="type")]`),
    in the union's order, for "unknown type" errors: derived, never typed twice."""
    return tuple(get_args(model.model_fields["type"].annotation)[0] for model in get_args(get_args(union)[0]))


MESSAGE_TYPES: tuple[str, ...] = message_types(ClientMessage)
