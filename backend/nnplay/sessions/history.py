"""A run's loss history: the losses of the frames it published, by epoch (what its loss chart drew).

Owner: the session's publisher, on the event loop (every frame it publishes is recorded here). A frame
at an epoch before the last one recorded (a reset, a fresh run, a rollback) cuts the history back to it,
so the history is always the past of the weights the run holds. Bounded: past MAX_POINTS, every other
point is dropped (the curve keeps its shape at half the resolution). A saved run keeps its history and a
reopened run starts from it (`restore`).
"""

from __future__ import annotations

import bisect
import math
from typing import Any

MAX_POINTS = 2000
SERIES = ("train_loss", "test_loss")


def _finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


class LossHistory:
    """Epochs with the train and test loss of the frame shown at each (None where there is none)."""

    def __init__(self) -> None:
        self.epochs: list[int] = []
        self.losses: dict[str, list[float | None]] = {name: [] for name in SERIES}

    def __len__(self) -> int:
        return len(self.epochs)

    def record(self, epoch: int, frame: Any) -> None:
        """The losses of a frame showing `epoch` (a frame of a family without losses records None)."""
        if self.epochs and epoch < self.epochs[-1]:
            self._cut(epoch)
        values = {name: _finite(getattr(frame, name, None)) for name in SERIES}
        if self.epochs and self.epochs[-1] == epoch:  # a newer frame of the same epoch (an edit)
            for name in SERIES:
                self.losses[name][-1] = values[name]
            return
        self.epochs.append(epoch)
        for name in SERIES:
            self.losses[name].append(values[name])
        if len(self.epochs) > MAX_POINTS:
            keep = slice(None, None, 2) if len(self.epochs) % 2 else slice(1, None, 2)
            self.epochs = self.epochs[keep]  # the newest point is always kept
            self.losses = {name: values_[keep] for name, values_ in self.losses.items()}

    def _cut(self, epoch: int) -> None:
        keep = bisect.bisect_left(self.epochs, epoch)
        del self.epochs[keep:]
        for values in self.losses.values():
            del values[keep:]

    def to_json(self) -> dict[str, list[Any]]:
        return {"epoch": list(self.epochs), **{name: list(v) for name, v in self.losses.items()}}

    def restore(self, saved: dict[str, list[Any]], up_to_epoch: int) -> None:
        """Start from a saved history (points past `up_to_epoch` dropped); a malformed one is ignored."""
        epochs = saved.get("epoch")
        if not isinstance(epochs, list):
            return
        series = {name: saved.get(name) for name in SERIES}
        if any(not isinstance(v, list) or len(v) != len(epochs) for v in series.values()):
            return
        pairs = [i for i, e in enumerate(epochs) if isinstance(e, int) and e <= up_to_epoch]
        self.epochs = [int(epochs[i]) for i in pairs]
        self.losses = {name: [_finite(list(v or [])[i]) for i in pairs] for name, v in series.items()}
