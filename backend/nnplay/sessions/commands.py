"""Client commands: checked when they arrive, applied by the session's run loop in arrival order.

`accept` runs in the websocket handler: it answers what needs no state change (ping, viewer reports),
rejects what is invalid against the newest accepted config (so the sender hears at once), and queues the
rest. `apply` runs in the run loop, between chunks, one command after another: a weight edit queued
before a configure is applied before it, and anything that fails at that point is reported to its sender
with the session left as it was. The commands every family shares are here (start, pause, step, reset,
rollback, configure, viewer, ping); a family's own messages go to its `accept` and `apply`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import protocol
from ..schemas import ConfigError
from .family import NOT_MINE
from .fanout import Subscriber
from .runstate import CommandFailed

if TYPE_CHECKING:
    import asyncio

    from .session import Session


@dataclass(frozen=True)
class AdoptConfig:
    """A configure's changes, checked on arrival and applied to the config current at their turn."""

    changes: dict[str, Any]
    keep_weights: bool


@dataclass(frozen=True)
class ReplaceData:
    """The run's own data (in its family's form: the playground's points and labels), already checked."""

    custom: Any


@dataclass(frozen=True)
class TakeOver:
    """Another run's state and epoch (and own data, if it has some) become this session's."""

    state: object
    epoch: int
    custom: Any = None


@dataclass(frozen=True)
class ShowView:
    """What the family's frames show from now on (e.g. the digit or example chosen), already checked."""

    view: Any


@dataclass(frozen=True)
class Barrier:
    """Does nothing: once it is applied, every command queued before it has been."""


@dataclass(frozen=True)
class Command:
    action: Any
    origin: Subscriber | None = None  # who hears about a failure; None: every client
    done: asyncio.Future[None] | None = None  # resolved once applied (REST uploads wait on it)


READ_ONLY_ALLOWED = ("ping", "viewer")
QUEUED = ("start", "pause", "step", "reset", "rollback")


def accept(session: Session, message: Any, sub: Subscriber | None) -> str | None:
    """Take one parsed client message; returns a reply for the sender alone, if any."""
    session.touch()
    kind = getattr(message, "type", None)
    if sub is not None and sub.read_only and kind not in READ_ONLY_ALLOWED:
        return protocol.error_message(
            "read_only", "you are watching this run: it can be changed only by its owner", "type"
        )
    try:
        return _accept(session, kind, message, sub)
    except ConfigError as exc:
        return protocol.error_message("invalid_value", exc.message, exc.field)


def _accept(session: Session, kind: str | None, message: Any, sub: Subscriber | None) -> str | None:
    if kind == "ping":
        return protocol.json_message("pong")
    if kind == "viewer":
        if sub is not None:
            sub.visible, sub.insights = message.visible, message.insights
            session.viewers_changed()
        return None
    if kind == "configure":
        return configure(session, message.changes, getattr(message, "keep_weights", False), sub)
    reply = session.family.accept(session, message, sub)
    if reply is not NOT_MINE:
        return reply  # type: ignore[no-any-return]
    if kind in QUEUED:
        session.enqueue(Command(message, sub))
        return None
    return protocol.error_message("unknown_type", f"unknown message type {kind!r}", "type")


def configure(
    session: Session, changes: dict[str, Any], keep_weights: bool, sub: Subscriber | None
) -> str | None:
    """Check a change of settings against the newest accepted config and queue it (raises ConfigError)."""
    config = session.family.make_config(session.accepted_config, changes)
    if config == session.accepted_config:
        extras = session.family.config_extras(session.plan)  # as every config message has them
        return protocol.json_message(
            "config", config=config.public(), config_version=session.config_version, **extras
        )
    session.accepted_config = config
    session.enqueue(Command(AdoptConfig(changes, keep_weights), sub))
    return None


async def apply(session: Session, command: Command) -> None:
    """Apply one queued command (run loop only); raises CommandFailed, leaving the session as it was."""
    action = command.action
    kind = getattr(action, "type", None)
    if isinstance(action, AdoptConfig):
        try:
            config = session.family.make_config(session.config, action.changes)
        except ConfigError as exc:
            raise CommandFailed("invalid_value", exc.message, exc.field) from None
        if config != session.config:
            await session.adopt_config(config, keep_weights=action.keep_weights)
    elif isinstance(action, TakeOver):
        if action.custom is not None:
            await _apply_family(session, ReplaceData(action.custom))
        session.take_over(action.state, action.epoch)
    elif isinstance(action, ShowView):
        session.set_view(action.view)
    elif isinstance(action, Barrier):
        pass
    elif kind == "start":
        session.start()
    elif kind == "pause":
        session.pause()
    elif kind == "step":
        await session.step(session.family.step_units(session, action))
    elif kind == "reset":
        session.reset()
    elif kind == "rollback":
        session.rollback()
    else:
        await _apply_family(session, action)


async def _apply_family(session: Session, action: Any) -> None:
    if not await session.family.apply(session, action):
        raise CommandFailed("unknown_type", f"nothing to apply for {action!r}", "type")
