"""What a sweep knows of one of its runs: its state, figures, loss curve and picture, read from the frames
its session publishes to the sweep (a hidden viewer while a page follows the sweep). Changed by the sweep's
follower only (runs.py).
"""

from __future__ import annotations

import base64
import contextlib
from dataclasses import dataclass, field
from typing import Any

import msgpack

from ..protocol import finite_or_none
from ..sessions import Session, SessionManager, SessionNotFound, Subscriber
from .plan import PlannedRun
from .stats import FIGURES

MAX_HISTORY = 512  # points of a run's loss curve; when full, every other one is dropped


def shows_stop(frame: bytes, session: Session) -> bool:
    """Whether a frame shows the stopped run as it is now (its epoch and state)."""
    decoded = msgpack.unpackb(frame)
    return decoded.get("epoch") == session.epoch and decoded.get("state") == session.state


@dataclass
class RunRecord:
    """What the sweep knows of one run (changed by the follower only)."""

    plan: PlannedRun
    session_id: str = ""
    state: str = "pending"  # pending | training | compiling | done | stopped | diverged | stalled | gone
    epoch: int = 0
    message: str = ""
    figures: dict[str, float | None] = field(default_factory=lambda: dict.fromkeys(FIGURES))
    history: list[tuple[int, float | None, float | None]] = field(default_factory=list)
    history_version: int = 0  # bumped when the history is thinned (a follower resends it whole)
    thumbnail: bytes | None = None
    side: int = 0
    thumbnail_version: int = 0
    final: bool = False
    seen: bytes | None = None  # the last frame read (by identity)
    subscriber: Subscriber | None = None

    def subscribe(self, manager: SessionManager) -> None:
        """Follow the run's frames as a hidden viewer (a few a second), while it has not finished."""
        if self.final or self.subscriber is not None:
            return
        with contextlib.suppress(SessionNotFound):
            session = manager.get(self.session_id)
            self.subscriber = session.subscribe(read_only=True)
            self.subscriber.visible = False
            session.viewers_changed()

    def unsubscribe(self, manager: SessionManager) -> None:
        if self.subscriber is None:
            return
        with contextlib.suppress(SessionNotFound):
            manager.get(self.session_id).unsubscribe(self.subscriber)
        self.subscriber = None

    def take_frame(self, frame: bytes, family: Any) -> None:
        """Read a frame's epoch, losses and decision map (once per frame)."""
        if frame is self.seen:
            return
        self.seen = frame
        decoded = msgpack.unpackb(frame)
        figures = family.figures(decoded)
        point = (
            int(decoded.get("epoch", self.epoch)),
            finite_or_none(figures.get("train_loss")),
            finite_or_none(figures.get("test_loss")),
        )
        if not self.history or point[0] > self.history[-1][0]:
            self.history.append(point)
            if len(self.history) > MAX_HISTORY:  # every other point, and the newest
                self.history = [*self.history[:-1:2], self.history[-1]]
                self.history_version += 1
        for name in FIGURES:
            if name in figures:
                self.figures[name] = finite_or_none(figures[name])
        picture = family.thumbnail(frame)
        if picture is not None:
            self.thumbnail, self.side = picture
            self.thumbnail_version += 1

    def public(self, history_from: int = 0, with_thumbnail: bool = True) -> dict[str, Any]:
        plan = self.plan
        return {
            "index": plan.index,
            "group": plan.group,
            "seed": plan.seed,
            "varied": plan.varied,
            "state": self.state,
            "epoch": self.epoch,
            "message": self.message,
            "diverged": self.state == "diverged",
            **self.figures,
            "history_version": self.history_version,
            "history_from": history_from,
            "history": [list(p) for p in self.history[history_from:]],
            "thumbnail": base64.b64encode(self.thumbnail).decode()
            if with_thumbnail and self.thumbnail
            else None,
            "thumbnail_side": self.side,
            "thumbnail_version": self.thumbnail_version,
        }
