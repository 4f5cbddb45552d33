"""The client messages every lab shares (start, pause, reset, rollback, ping, configure), as strict
pydantic models: unknown fields refused, frozen, and the check of a drawn digit. A lab's messages module
adds its own (its step, what a person draws or types) and parses their union with protocol.MessageParser."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from ..protocol import ProtocolError

PIXELS = 64  # a drawn digit: 8x8, as the digits data set (the image and generative labs)
MAX_PIXEL = 16


class LabMessage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Start(LabMessage):
    type: Literal["start"]


class Pause(LabMessage):
    type: Literal["pause"]


class Reset(LabMessage):
    type: Literal["reset"]


class Rollback(LabMessage):
    type: Literal["rollback"]


class Ping(LabMessage):
    type: Literal["ping"]


class Configure(LabMessage):
    """Settings changed; `keep_weights`: carry the trained weights over where the shapes allow."""

    type: Literal["configure"]
    changes: dict[str, Any]
    keep_weights: bool = False


def check_pixels(pixels: list[Any]) -> None:
    """A drawn digit must be 64 numbers 0..16 (the data set's counts of 'on' pixels per 4x4 block)."""
    if len(pixels) != PIXELS:
        raise ProtocolError(
            "invalid_message", f"pixels must be {PIXELS} values (8x8), got {len(pixels)}", "pixels"
        )
    for i, value in enumerate(pixels):
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= MAX_PIXEL:
            raise ProtocolError(
                "invalid_message",
                f"pixels must be numbers between 0 and {MAX_PIXEL}; pixel {i} is {value!r}",
                "pixels",
            )
