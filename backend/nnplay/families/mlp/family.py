"""The playground's family: TensorFlow Playground's MLP on the plane, its settings table (settings.py),
plans (plan.py, uses.py), weight edits, own points and frames."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgpack
import numpy as np

from ... import protocol
from ...datasets import MAX_POINTS
from ...engine.seam import resolve
from ...fresh_run import fresh_run_reason
from ...schemas import ConfigError, TrainConfig, make_config
from ...sessions.commands import Command, ReplaceData
from ...sessions.family import NOT_MINE, Family, LabChallenge, Stamp
from ...sessions.runstate import CommandFailed
from ...sessions.stopping import NO_TRAINING_POINTS
from ...settings import DATASETS, SETTINGS_BY_NAME, dataset_classes
from ...userdata import PointsError, check_point
from . import weights
from .evaluate import GRID_SIZE, NEURON_GRID_SIZE
from .frames import FrameData
from .plan import Plan, make_plan, reuses_data

TILE_SIDE = 20  # a student tile's decision map: every 5th cell of the 100 x 100 one

if TYPE_CHECKING:
    from ...sessions.fanout import Subscriber
    from ...sessions.session import Session

POINT_NEAR = 0.5  # remove_point takes the nearest point within this distance
POINT_EDITS = ("add_point", "remove_point", "clear_points")


class MlpFamily(Family):
    lab = "playground"
    settings = SETTINGS_BY_NAME

    def make_config(self, base: Any, changes: dict[str, Any] | None) -> TrainConfig:
        return make_config(base, changes)

    def make_plan(self, config: TrainConfig, previous: Plan | None, custom: Any) -> Plan:
        return make_plan(config, previous, custom)

    def cheap_plan(self, config: TrainConfig, previous: Plan) -> bool:
        return reuses_data(config, previous)

    def fresh_state(self, plan: Plan) -> Any:
        return weights.fresh_state(plan)

    def fit_state(self, state: Any, plan: Plan) -> Any:
        return weights.fit_state(resolve(state), plan)

    def keeps_state(self, old: Plan, new: Plan) -> bool:
        """The same bucket and optimizer: weights.fit_state returns a state fit for `old` unchanged."""
        return old.shape == new.shape and old.optimizer == new.optimizer

    def fresh_run_reason(self, old: TrainConfig, new: TrainConfig) -> str | None:
        """Why a config change starts a fresh run (the one rule, fresh_run.FRESH_RUN_RULES), or None."""
        return fresh_run_reason(old, new)

    def untrainable(self, plan: Plan) -> str | None:
        return NO_TRAINING_POINTS if plan.n_train == 0 else None

    # ---- the wire ------------------------------------------------------------------------------------

    def parse(self, raw: str | bytes) -> Any:
        return protocol.parse_client_message(raw)

    def encode_frame(self, frame: FrameData, stamp: Stamp) -> bytes:
        return protocol.encode_frame(
            frame,
            epoch=stamp.epoch,
            state=stamp.state,
            config_version=stamp.config_version,
            epochs_per_second=stamp.epochs_per_second,
            layers=list(stamp.plan.config.hidden_layers),
            grid_size=GRID_SIZE,
            neuron_grid_size=NEURON_GRID_SIZE,
        )

    def encode_data(self, plan: Plan, version: int) -> bytes:
        split, config = plan.split, plan.config
        classes = 0 if config.problem == "regression" else max(config.n_classes, 2)
        return protocol.encode_data(
            version,
            config.problem,
            split.train_x,
            split.train_y,
            split.test_x,
            split.test_y,
            classes=classes,
        )

    # ---- weight edits and own points -----------------------------------------------------------------

    def accept(self, session: Session, message: Any, sub: Subscriber | None) -> Any:
        kind = message.type
        config = session.accepted_config
        try:
            if kind == "set_weight":
                weights.check_weight(config, message.layer, message.source, message.target)
            elif kind == "set_bias":
                weights.check_bias(config, message.layer, message.neuron)
            elif kind in POINT_EDITS:
                if kind != "clear_points":
                    _check_own_data(config)
                if kind == "add_point":
                    check_point(message.x1, message.x2, message.label, config.problem)
                if config.dataset != "custom":  # later commands are checked against the own data
                    session.accepted_config = make_config(config, {"dataset": "custom"})
            else:
                return NOT_MINE
        except PointsError as exc:
            return protocol.error_message("invalid_value", str(exc), _points_field(config))
        session.enqueue(Command(message, sub))
        return None

    async def apply(self, session: Session, action: Any) -> bool:
        kind = getattr(action, "type", None)
        if kind == "set_weight":
            args = (action.layer, action.source, action.target, action.value)
            await session.edit_state(weights.set_weight, *args)
        elif kind == "set_bias":
            await session.edit_state(weights.set_bias, action.layer, action.neuron, action.value)
        elif kind in POINT_EDITS:
            await self._set_points(session, *_edited_points(session, action))
        elif isinstance(action, ReplaceData):
            points, labels = action.custom
            await self._set_points(
                session, np.asarray(points, np.float32).reshape(-1, 2), np.asarray(labels, np.float32)
            )
        else:
            return False
        return True

    @staticmethod
    async def _set_points(session: Session, points: np.ndarray, labels: np.ndarray) -> None:
        """Train on these points from now on (the data set becomes "custom"), keeping the weights."""
        config = session.config
        if config.dataset != "custom":
            try:
                config = make_config(config, {"dataset": "custom"})
            except ConfigError as exc:
                raise CommandFailed("invalid_value", exc.message, exc.field) from None
        await session.adopt_config(config, keep_weights=True, custom=(points, labels))

    # ---- the classroom ----------------------------------------------------------------------------------

    def own_data(self, session: Session) -> Any:
        return session.custom if session.config.dataset == "custom" else None

    challenge = LabChallenge(
        dataset="spiral",
        target=0.05,
        measure="test loss",
        datasets=tuple(name for name, _, _ in DATASETS),
    )

    def size(self, config: Any) -> int | None:
        """A challenge ranks runs by their neurons."""
        return sum(config.hidden_layers)

    def thumbnail(self, frame: bytes | None) -> tuple[bytes, int] | None:
        """Every 5th cell of the frame's decision map."""
        if frame is None:
            return None
        decoded = msgpack.unpackb(frame)
        size = int(decoded.get("grid_size", GRID_SIZE))
        grid = np.frombuffer(decoded["output_grid"], np.uint8).reshape(size, size)
        step = max(1, size // TILE_SIDE)
        return grid[step // 2 :: step, step // 2 :: step][:TILE_SIDE, :TILE_SIDE].tobytes(), TILE_SIDE


def _points_field(config: TrainConfig) -> str:
    return "dataset" if dataset_classes(config.dataset) == "multi" else "label"


def _check_own_data(config: TrainConfig) -> None:
    if dataset_classes(config.dataset) == "multi":
        raise PointsError(
            f"your own points have two classes (1 and -1), so they cannot start from the "
            f"{config.classes}-class data set {config.dataset!r}: pick a two-class data set, "
            "or clear the points and draw from scratch"
        )


def _edited_points(session: Session, edit: Any) -> tuple[np.ndarray, np.ndarray]:
    """The own data after one edit; the first edit starts from the data set's points (what one sees)."""
    config = session.config
    if edit.type == "clear_points":
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
    if edit.type == "add_point":
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
