"""The generative lab's client messages (JSON), validated with errors that name the field."""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import Field

from ...client_messages import Viewer
from ...protocol import MessageParser, ProtocolError
from ..lab_messages import (
    Configure,
    LabMessage,
    Pause,
    Ping,
    Reset,
    Rollback,
    Start,
    check_pixels,
)
from .evaluate import LATENT_EXTENT

MAX_STEP_UNITS = 1000
MAX_DECODE = 16  # latent points per decode (an interpolation's steps)


class Step(LabMessage):
    type: Literal["step"]
    units: int = Field(1, ge=1, le=MAX_STEP_UNITS)


class HalfStep(LabMessage):
    """The step-by-step mode: `discriminator` does the next step's k discriminator updates alone,
    `generator` the generator update that completes it."""

    type: Literal["half_step"]
    phase: Literal["discriminator", "generator"]


class SetPoints(LabMessage):
    """Own points (drawn on the plane) become the GAN's data."""

    type: Literal["set_points"]
    points: list[Any]


class Decode(LabMessage):
    """Latent points (clicked on the latent plane) to decode into digits."""

    type: Literal["decode"]
    points: list[Any]


class Encode(LabMessage):
    """A drawn digit (64 counts 0..16, row by row) to encode: where it lands in the latent plane."""

    type: Literal["encode"]
    pixels: list[Any]


GenMessage = Annotated[
    Start
    | Pause
    | Step
    | HalfStep
    | Reset
    | Rollback
    | Ping
    | Viewer
    | Configure
    | SetPoints
    | Decode
    | Encode,
    Field(discriminator="type"),
]
_parse = MessageParser(GenMessage)


def parse_message(raw: str | bytes) -> Any:
    """One client message, validated; ProtocolError (code, message, field) if it is bad."""
    message = _parse(raw)
    if isinstance(message, Decode):
        check_latents(message.points)
    if isinstance(message, Encode):
        check_pixels(message.pixels)
    if isinstance(message, SetPoints):
        check_pairs(message.points, "points")
    return message


def check_pairs(points: list[Any], field: str) -> None:
    for i, point in enumerate(points):
        if (
            not isinstance(point, list | tuple)
            or len(point) != 2
            or not all(
                isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in point
            )
        ):
            raise ProtocolError(
                "invalid_message", f"{field}: point {i + 1} must be two numbers [x, y], got {point!r}", field
            )


def check_latents(points: list[Any]) -> None:
    """Latent points: 1 to MAX_DECODE pairs inside the latent plane [-LATENT_EXTENT, LATENT_EXTENT]^2."""
    if not 1 <= len(points) <= MAX_DECODE:
        raise ProtocolError(
            "invalid_message", f"points: 1 to {MAX_DECODE} latent points, got {len(points)}", "points"
        )
    check_pairs(points, "points")
    for x, y in points:
        if max(abs(x), abs(y)) > LATENT_EXTENT:
            raise ProtocolError(
                "invalid_value",
                f"the latent point ({x:g}, {y:g}) is outside the latent plane: both coordinates must be "
                f"between {-LATENT_EXTENT:g} and {LATENT_EXTENT:g}",
                "points",
            )
