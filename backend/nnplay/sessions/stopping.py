"""When a run stops by itself, and the words that say why: stop conditions, early stopping (a small
immutable object, like flax's `early_stopping`), divergence and a stalled (dead) network."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

NO_TRAINING_POINTS = (
    "there are no training points: add points by clicking on the data, upload a CSV, or pick a data set"
)


@dataclass(frozen=True)
class EarlyStopping:
    """The best test loss so far, where it was reached and its state; `update` returns a new object."""

    patience: int
    best_loss: float = math.inf
    best_epoch: int = -1
    best_state: Any = None

    def update(self, loss: float | None, epoch: int, state: Any) -> EarlyStopping:
        if loss is None or not loss < self.best_loss:
            return self
        return replace(self, best_loss=loss, best_epoch=epoch, best_state=state)

    def with_state(self, state: Any) -> EarlyStopping:
        return replace(self, best_state=state)

    def should_stop(self, epoch: int) -> bool:
        return self.best_epoch >= 0 and epoch - self.best_epoch >= self.patience

    def message(self) -> str:
        return (
            f"early stopping: the test loss has not improved for {self.patience} epochs; back to the "
            f"best weights, from epoch {self.best_epoch} (test loss {self.best_loss:.4g})"
        )


# A family's config may lack the stop rules (the image lab's has none): they are then off.


def stop_epoch(config: Any) -> int:
    return int(getattr(config, "stop_epoch", 0) or 0)


def stop_loss(config: Any) -> float:
    return float(getattr(config, "stop_loss", 0.0) or 0.0)


def early_stopping(config: Any) -> bool:
    return getattr(config, "early_stopping", "off") == "on"


def patience(config: Any) -> int:
    return int(getattr(config, "patience", 0) or 0)


def unit(config: Any) -> str:
    """What a run counts, as its stop at an epoch counts it: "epoch", or a family's own ("step")."""
    return str(getattr(config, "unit", "epoch"))


def speed(config: Any) -> int:
    """Units per frame at most (0: as fast as possible)."""
    return int(getattr(config, "speed", 0) or 0)


def stop_reason(config: Any, epoch: int, frame: Any) -> str | None:
    """Why training stops here (stop epoch, stop loss), or None."""
    if stop_epoch(config) and epoch >= stop_epoch(config):
        counted = unit(config)
        return f"stopped at {counted} {epoch}, as set (stop at {counted})"
    loss = frame.train_loss if frame is not None else None
    if stop_loss(config) and loss is not None and loss <= stop_loss(config):
        return f"stopped at epoch {epoch}: training loss {loss:.4g} reached {stop_loss(config):g}"
    return None


def needs_losses(config: Any) -> bool:
    """Whether a stop condition reads the losses (so an unwatched run must still evaluate now and then)."""
    return bool(stop_loss(config)) or early_stopping(config)


def divergence_message(config: Any, epoch: int) -> str:
    lr = config.learning_rate
    return (
        f"training diverged at epoch {epoch + 1}: the loss or the weights became NaN, infinite "
        "or explosively large. "
        f"Learning rate {lr:g} is too high for this network; try ≤ {lr / 10:g}. Roll back to the last "
        "good weights, or lower the rate and press play to go on from here, or reset."
    )


STALL_EPOCHS = 200  # a net must look dead this long before it is called stalled (it may recover)
RECOVERY_EPOCHS = 100  # ... and alive again this long before the count starts afresh


def looks_stalled(frame: Any) -> bool:
    """The output no longer depends on the input (constant), or every point gets one class at full
    confidence (a saturated output, as after too high a learning rate with ReLU)."""
    return bool(getattr(frame, "output_constant", False) or getattr(frame, "saturated_one_class", False))


def stall_message(config: Any, epoch: int, frame: Any) -> str:
    """A plain-words explanation of a stalled network (dead ReLU layers, a saturated output, or all-zero
    weights whose neurons stay identical), with what to do."""
    if frame.dead_layers:
        layers = ", ".join(str(layer + 1) for layer in frame.dead_layers)
        noun = "layer" if len(frame.dead_layers) == 1 else "layers"
        cause = f"every neuron of hidden {noun} {layers} gives the same output for every point" + (
            " (dead ReLUs, stuck at 0)" if config.activation == "relu" else " (saturated)"
        )
    elif frame.output_constant:
        cause = "the output is the same for every point"
    else:
        cause = "the output is saturated: every point gets the same class, at full confidence"
    if config.init == "zeros":
        advice = (
            "All weights started at zero, so every neuron computes the same thing and they never "
            "differ: pick another initializer and reset."
        )
    else:
        advice = (
            f"The network has stopped learning: learning rate {config.learning_rate:g} is probably too "
            f"high (try ≤ {config.learning_rate / 10:g}). Roll back to the last good weights, or reset."
        )
    return f"training stalled at epoch {epoch}: {cause}. {advice}"
