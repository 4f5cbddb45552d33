"""The sequence lab's client messages (JSON), validated with errors that name the field."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ...protocol import MessageParser

MAX_STEP_STEPS = 1000
MAX_TYPED = 200  # characters of a typed sequence (the length limit itself is checked against the config)


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Start(_Message):
    type: Literal["start"]


class Pause(_Message):
    type: Literal["pause"]


class Step(_Message):
    type: Literal["step"]
    epochs: int = Field(1, ge=1, le=MAX_STEP_STEPS)  # training steps


class Reset(_Message):
    type: Literal["reset"]


class Rollback(_Message):
    type: Literal["rollback"]


class Ping(_Message):
    type: Literal["ping"]


class Viewer(_Message):
    type: Literal["viewer"]
    visible: bool = True
    insights: bool = True


class Configure(_Message):
    type: Literal["configure"]
    changes: dict[str, Any]
    keep_weights: bool = False


class Predict(_Message):
    """A typed sequence: its symbols as a string (e.g. "3172")."""

    type: Literal["predict"]
    sequence: str = Field(max_length=MAX_TYPED)


class SelectExample(_Message):
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
