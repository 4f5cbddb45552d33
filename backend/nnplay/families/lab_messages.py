"""The client messages every lab shares (start, pause, reset, rollback, ping, configure), as strict
pydantic models: unknown fields refused, frozen. A lab's messages module adds its own (its step, what a
person draws or types) and parses their union with protocol.MessageParser."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict


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
