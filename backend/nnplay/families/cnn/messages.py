"""The image lab's client messages (JSON), validated with errors that name the field."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from ...protocol import MessageParser
from ..lab_messages import LabMessage, Pause, Ping, Reset, Start, check_pixels

MAX_STEP_EPOCHS = 100


class Step(LabMessage):
    type: Literal["step"]
    epochs: int = Field(1, ge=1, le=MAX_STEP_EPOCHS)


class Configure(LabMessage):
    type: Literal["configure"]
    changes: dict[str, Any]


class SetStack(LabMessage):
    type: Literal["set_stack"]
    layers: list[Any]


class Predict(LabMessage):
    type: Literal["predict"]
    pixels: list[Any]


class SelectDigit(LabMessage):
    type: Literal["select_digit"]
    index: int = Field(ge=0)


ImageMessage = Annotated[
    Start | Pause | Step | Reset | Ping | Configure | SetStack | Predict | SelectDigit,
    Field(discriminator="type"),
]
_parse = MessageParser(ImageMessage)


def parse_message(raw: str | bytes) -> Any:
    """One client message, validated; ProtocolError (code, message, field) if it is bad."""
    message = _parse(raw)
    if isinstance(message, Predict):
        check_pixels(message.pixels)
    return message
