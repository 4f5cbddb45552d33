"""Client commands: checked when they arrive, applied by the session's run loop in arrival order.

`accept` runs in the websocket handler: it answers what needs no state change (ping, viewer reports),
rejects what is invalid against the newest accepted config (so the sender hears at once), and queues the
rest. `apply` runs in the run loop, between chunks, one command after another: a weight edit queued
before a configure is applied before it, and anything that fails at that point is reported to its sender
with the session left as it was.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .. import protocol
from ..datasets import MAX_POINTS
from ..engine import weights
from ..schemas import (
    AddPoint,
    ClearPoints,
    ClientMessage,
    ConfigError,
    Configure,
    Pause,
    Ping,
    RemovePoint,
    Reset,
    Rollback,
    SetBias,
    SetWeight,
    Start,
    Step,
    TrainConfig,
    Viewer,
    make_config,
)
from ..settings import dataset_classes
from ..userdata import PointsError, check_point
from .fanout import Subscriber
from .runstate import CommandFailed

if TYPE_CHECKING:
    from .session import Session

POINT_NEAR = 0.5  # remove_point takes the nearest point within this distance


@dataclass(frozen=True)
class ReplacePoints:
    """The person's own data from an uploaded CSV (already parsed and checked)."""

    points: np.ndarray
    labels: np.ndarray


@dataclass(frozen=True)
class AdoptConfig:
    """A configure's changes, checked on arrival and applied to the config current at their turn."""

    changes: dict[str, object]
    keep_weights: bool


@dataclass(frozen=True)
class TakeOver:
    """Another run's state and epoch (and own points, if it has them) become this session's."""

    state: object
    epoch: int
    points: np.ndarray | None = None
    labels: np.ndarray | None = None


@dataclass(frozen=True)
class Barrier:
    """Does nothing: once it is applied, every command queued before it has been."""


Action = ClientMessage | ReplacePoints | AdoptConfig | TakeOver | Barrier


@dataclass(frozen=True)
class Command:
    action: Action
    origin: Subscriber | None = None  # who hears about a failure; None: every client
    done: asyncio.Future[None] | None = None  # resolved once applied (REST uploads wait on it)


READ_ONLY_ALLOWED = ("ping", "viewer")


def accept(session: Session, message: ClientMessage, sub: Subscriber | None) -> str | None:
    """Take one parsed client message; returns a reply for the sender alone, if any."""
    session.touch()
    if sub is not None and sub.read_only and message.type not in READ_ONLY_ALLOWED:
        return protocol.error_message(
            "read_only", "you are watching this run: it can be changed only by its owner", "type"
        )
    try:
        return _accept(session, message, sub)
    except ConfigError as exc:
        return protocol.error_message("invalid_value", exc.message, exc.field)
    except PointsError as exc:
        return protocol.error_message("invalid_value", str(exc), _points_field(session.accepted_config))


def _accept(session: Session, message: ClientMessage, sub: Subscriber | None) -> str | None:
    match message:
        case Ping():
            return protocol.json_message("pong")
        case Viewer(visible=visible, insights=insights):
            if sub is not None:
                sub.visible, sub.insights = visible, insights
                session.viewers_changed()
            return None
        case Configure(changes=changes, keep_weights=keep):
            config = make_config(session.accepted_config, changes)
            if config == session.accepted_config:
                return protocol.json_message(
                    "config", config=config.public(), config_version=session.config_version
                )
            session.accepted_config = config
            session.enqueue(Command(AdoptConfig(changes, keep), sub))
            return None
        case SetWeight(layer=layer, source=source, target=target):
            weights.check_weight(session.accepted_config, layer, source, target)
        case SetBias(layer=layer, neuron=neuron):
            weights.check_bias(session.accepted_config, layer, neuron)
        case AddPoint(x1=x1, x2=x2, label=label):
            _check_own_data(session.accepted_config)
            check_point(x1, x2, label, session.accepted_config.problem)
            _own_data_accepted(session)
        case RemovePoint():
            _check_own_data(session.accepted_config)
            _own_data_accepted(session)
        case ClearPoints():
            _own_data_accepted(session)
        case _:
            pass
    session.enqueue(Command(message, sub))
    return None


def _own_data_accepted(session: Session) -> None:
    """A point edit switches the data set to "custom": later commands are checked against that."""
    if session.accepted_config.dataset != "custom":
        session.accepted_config = make_config(session.accepted_config, {"dataset": "custom"})


def _points_field(config: TrainConfig) -> str:
    return "dataset" if dataset_classes(config.dataset) == "multi" else "label"


def _check_own_data(config: TrainConfig) -> None:
    if dataset_classes(config.dataset) == "multi":
        raise PointsError(
            f"your own points have two classes (1 and -1), so they cannot start from the "
            f"{config.classes}-class data set {config.dataset!r}: pick a two-class data set, "
            "or clear the points and draw from scratch"
        )


async def apply(session: Session, command: Command) -> None:
    """Apply one queued command (run loop only); raises CommandFailed, leaving the session as it was."""
    match command.action:
        case Start():
            session.start()
        case Pause():
            session.pause()
        case Step():
            await session.step()
        case Reset():
            session.reset()
        case Rollback():
            session.rollback()
        case AdoptConfig(changes=changes, keep_weights=keep):
            try:
                config = make_config(session.config, changes)
            except ConfigError as exc:
                raise CommandFailed("invalid_value", exc.message, exc.field) from None
            if config != session.config:
                await session.adopt_config(config, keep_weights=keep)
        case SetWeight(layer=layer, source=source, target=target, value=value):
            await session.edit_params(weights.set_weight, layer, source, target, value)
        case SetBias(layer=layer, neuron=neuron, value=value):
            await session.edit_params(weights.set_bias, layer, neuron, value)
        case AddPoint() | RemovePoint() | ClearPoints() as edit:
            points, labels = _edited_points(session, edit)
            await session.set_points(points, labels)
        case ReplacePoints(points=points, labels=labels):
            await session.set_points(points, labels)
        case TakeOver(state=state, epoch=epoch, points=points, labels=labels):
            if points is not None and labels is not None:
                await session.set_points(
                    np.asarray(points, np.float32).reshape(-1, 2), np.asarray(labels, np.float32)
                )
            session.take_over(state, epoch)
        case Barrier():
            pass
        case _:
            raise CommandFailed("unknown_type", f"nothing to apply for {command.action!r}", "type")


def _edited_points(
    session: Session, edit: AddPoint | RemovePoint | ClearPoints
) -> tuple[np.ndarray, np.ndarray]:
    """The own data after one edit; the first edit starts from the data set's points (what one sees)."""
    config = session.config
    if isinstance(edit, ClearPoints):
        return np.zeros((0, 2), np.float32), np.zeros(0, np.float32)
    try:
        _check_own_data(config)
    except PointsError as exc:
        raise CommandFailed("invalid_value", str(exc), "dataset") from None
    if config.dataset == "custom":
        points, labels = session.custom_points, session.custom_labels
    else:
        split = session.plan.split
        points = np.concatenate([split.train_x, split.test_x]).astype(np.float32)
        labels = np.concatenate([split.train_y, split.test_y]).astype(np.float32)
    if isinstance(edit, AddPoint):
        if len(points) >= MAX_POINTS:
            raise CommandFailed(
                "invalid_value", f"there are already {MAX_POINTS} points; remove some first", "label"
            )
        try:
            label = check_point(edit.x1, edit.x2, edit.label, config.problem)
        except PointsError as exc:
            raise CommandFailed("invalid_value", str(exc), "label") from None
        return (
            np.vstack([points, [[edit.x1, edit.x2]]]).astype(np.float32),
            np.append(labels, np.float32(label)).astype(np.float32),
        )
    if not len(points):
        return points, labels
    distance = np.hypot(*(points - (edit.x1, edit.x2)).T)
    nearest = int(np.argmin(distance))
    if distance[nearest] > POINT_NEAR:
        return points, labels
    return np.delete(points, nearest, axis=0), np.delete(labels, nearest)
