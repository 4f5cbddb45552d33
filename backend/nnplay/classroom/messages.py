"""What a teacher (or anyone) may send about a room, as pydantic models: the REST bodies and the room
socket's messages share them, so everything a room stores (a challenge, locked controls, a lesson) is
validated on the way in, like every other message. A challenge of the wrong shape, stored unchecked, once
raised on every dashboard tick.

Pure: no sessions, no HTTP.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    field_validator,
)

from ..protocol import ProtocolError, json_object
from .lessons import BY_ID
from .rooms import check_locked

MAX_ROOM_MESSAGE = 16 * 1024
MemberId = Annotated[str, StringConstraints(max_length=64)]
Secret = Annotated[str, StringConstraints(max_length=256)]

# What each teacher-only action is, in the words of its refusal ("only the teacher can ..."): keyed by
# the room socket's message type, which is also the name of its REST route's function.
TEACHER_ACTIONS = {
    "teacher_view": "open the teacher's view",
    "push_config": "push settings to the class",
    "spotlight": "spotlight a student",
    "remove": "remove a student",
    "reset_all": "reset everyone's runs",
    "lesson_next": "move the lesson on",
    "challenge": "set a challenge",
    "end_challenge": "end the challenge",
    "lock": "lock controls for the class",
    "close_room": "close the room",
}


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True)


class CreateRoom(_Body):
    session_id: str | None = None  # the teacher's page's own session becomes the room's run


class JoinRoom(_Body):
    name: Any = None  # checked by names.check_name, whose refusals a student understands


class PushConfig(_Body):
    changes: dict[str, Any] | None = None  # None: the teacher's whole current config
    keep_weights: bool = False  # False: every run starts afresh; True: every run continues from its weights


class MemberChoice(_Body):
    member_id: MemberId = ""


class SweepChoice(_Body):
    sweep_id: str | None = Field(None, max_length=64)  # None: show none


class Lock(_Body):
    controls: list[str] = Field(default_factory=list)  # names as in the page's hide= parameter

    @field_validator("controls", mode="before")
    @classmethod
    def _names(cls, value: object) -> list[str]:
        return check_locked(value)


class LessonChoice(_Body):
    lesson_id: str | None = None  # None: the next step of the current lesson

    @field_validator("lesson_id")
    @classmethod
    def _known(cls, value: str | None) -> str | None:
        if value and value not in BY_ID:
            raise ValueError(f"no lesson {value!r}; the lessons are {', '.join(BY_ID)}")
        return value or None


class Challenge(_Body):
    """The lab's figure (the playground's: test loss) below `target_loss` on `dataset`; ranked by the
    smallest model, then epochs. The room's lab checks the data set (actions.set_challenge); left out,
    both are the lab's own challenge's."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    dataset: str | None = Field(default=None, max_length=40)
    target_loss: float | None = Field(default=None, gt=0, le=10)
    label: str | None = Field(default=None, max_length=160)  # as stored: the lab's words (set by the lab)


# ---- the room socket ---------------------------------------------------------------------------------


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    teacher_key: Secret = ""


class Ping(_Message):
    type: Literal["ping"]


class Auth(_Message):
    """The teacher's page proves `teacher_key`; a student's page proves `member_token` (then the student
    is present while the socket is open)."""

    type: Literal["auth"]
    member_token: Secret = ""


class PushConfigMessage(_Message, PushConfig):
    type: Literal["push_config"]


class SpotlightMessage(_Message, MemberChoice):
    type: Literal["spotlight"]


class RemoveMessage(_Message, MemberChoice):
    type: Literal["remove"]


class ResetAllMessage(_Message):
    type: Literal["reset_all"]


class LessonNextMessage(_Message, LessonChoice):
    type: Literal["lesson_next"]


class LockMessage(_Message, Lock):
    type: Literal["lock"]


class ChallengeMessage(_Message):
    type: Literal["challenge"]
    challenge: Challenge | None = None  # None ends the challenge


class CloseRoomMessage(_Message):
    type: Literal["close_room"]


RoomMessage = Annotated[
    Ping
    | Auth
    | PushConfigMessage
    | SpotlightMessage
    | RemoveMessage
    | ResetAllMessage
    | LessonNextMessage
    | LockMessage
    | ChallengeMessage
    | CloseRoomMessage,
    Field(discriminator="type"),
]
_room_message: TypeAdapter[Any] = TypeAdapter(RoomMessage)
ROOM_MESSAGE_TYPES = (
    "ping",
    "auth",
    "push_config",
    "spotlight",
    "remove",
    "reset_all",
    "lesson_next",
    "lock",
    "challenge",
    "close_room",
)


def room_envelope(raw: str | bytes) -> dict[str, Any]:
    """A room-socket message's JSON object, with a known text `type` (nothing else checked yet: a
    teacher action's key is checked before its fields). ProtocolError (too_large, invalid_json,
    unknown_type, invalid_message) otherwise; never anything else, whatever `raw` holds."""
    size = len(raw.encode() if isinstance(raw, str) else raw)
    if size > MAX_ROOM_MESSAGE:
        raise ProtocolError("too_large", f"room messages are limited to {MAX_ROOM_MESSAGE} bytes")
    data = json_object(raw)
    kind = data.get("type")
    if not isinstance(kind, str):
        raise ProtocolError("invalid_message", "a room message's type must be text", "type")
    if kind not in ROOM_MESSAGE_TYPES:
        expected = ", ".join(ROOM_MESSAGE_TYPES)
        raise ProtocolError(
            "unknown_type", f"unknown room message {kind[:40]!r}; expected one of {expected}", "type"
        )
    return data


def room_message(data: dict[str, Any]) -> Any:
    """The validated message of a room_envelope; ProtocolError (invalid_message) naming the field."""
    try:
        return _room_message.validate_python(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = [str(part) for part in error.get("loc", ()) if not isinstance(part, int)]
        field = loc[-1] if len(loc) > 1 else "message"
        text = str(error.get("msg", "invalid")).removeprefix("Value error, ")
        raise ProtocolError("invalid_message", f"{field}: {text}", field) from None


def parse_room_message(raw: str | bytes) -> Any:
    """One room-socket message, validated (room_envelope, then room_message)."""
    return room_message(room_envelope(raw))
