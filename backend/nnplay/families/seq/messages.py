"""The sequence lab's client messages (JSON), validated with errors that name the field."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from ...protocol import MessageParser
from ..lab_messages import Configure, LabMessage, Pause, Ping, Reset, Rollback, Start

MAX_STEP_STEPS = 1000
MAX_TYPED = 200  # characters of a typed sequence (the length limit itself is checked against the config)


class Step(LabMessage):
    type: Literal["step"]
    epochs: int = Field(1, ge=1, le=MAX_STEP_STEPS)  # training steps


class Viewer(LabMessage):
    type: Literal["viewer"]
    visible: bool = True
    insights: bool = True


class Predict(LabMessage):
    """A typed sequence: its symbols as a string (e.g. "3172")."""

    type: Literal["predict"]
    sequence: str = Field(max_length=MAX_TYPED)


class SelectExample(LabMessage):
    type: Literal["select_example"]
    index: int = Field(ge=0)


SeqMessage = Annotated[
    Start | Pause | Step | Reset | Rollback | Ping | Viewer | Configure | Predict | SelectExample,
    Field(discriminator="type"),
]
_parse = MessageParser(SeqMessage)


def parse_message(raw: str | bytes) -> Any:
    """One client message, validated; ProtocolError (code, message, field) if it is bad."""
    return _parse(raw)
