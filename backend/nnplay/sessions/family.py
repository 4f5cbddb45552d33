"""What a model family gives the sessions: its settings, plans, states, messages and frames.

A session (session.py) is the same for every family: its run loop, command queue, clients, pacing, stop
rules, snapshots and classroom are written once. The family says what its config is (`make_config`, one
settings table), how a config becomes a plan (data, masks and the uses the engine trains and shows it
with: engine/seam.py), how a state starts and is carried to another plan, what its own client messages
do, and how its frames are encoded. The playground's MLP (families/mlp) and the image lab's CNN
(families/cnn) are families; a new lab is a new family module, not a new app.
"""

from __future__ import annotations

import abc
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import protocol
from ..settings import Setting
from . import stopping

if TYPE_CHECKING:
    from .fanout import Subscriber
    from .session import Session


# The four figures a sweep reads of every run (experiments/stats.py FIGURES), as most labs word them.
FIGURE_LABELS = {
    "test_loss": "test loss",
    "train_loss": "training loss",
    "test_accuracy": "test accuracy",
    "train_accuracy": "training accuracy",
}


@dataclass(frozen=True)
class Stamp:
    """What a frame says about the run it shows, taken with its state."""

    epoch: int
    progress: float  # epochs, with the share of the current one done (families that train in steps)
    state: str
    config_version: int
    epochs_per_second: float
    generation: int
    plan: Any  # the plan the frame was made with
    view: Any = None  # the family's view options the frame was made with (e.g. the digit shown)


@dataclass(frozen=True)
class LabChallenge:
    """A lab's challenge: a run on `dataset` whose `challenge_value` (`measure`, in words) goes below
    `target`, ranked by the family's `size`, then epochs; `datasets` are those a teacher may pick."""

    dataset: str
    target: float
    measure: str
    datasets: tuple[str, ...]

    def describe(self, dataset: str | None = None, target: float | None = None) -> str:
        """In words, e.g. "spiral, test loss < 0.05" (this challenge, or another data set and target)."""
        return f"{dataset or self.dataset}, {self.measure} < {self.target if target is None else target:g}"


NOT_MINE = object()  # Family.accept's answer for a message it does not handle


class Family(abc.ABC):
    """A model family, as the sessions see it (see the module docstring)."""

    lab: str = ""  # the lab's name in URLs and the API ("playground", "images", ...)
    page: str = "/"  # the lab's page (a room's join link opens it)
    pause_on_fresh_run = True  # a change that starts a fresh run pauses it (the playground's rule)

    # ---- settings and plans ---------------------------------------------------------------------------

    @abc.abstractmethod
    def make_config(self, base: Any, changes: dict[str, Any] | None) -> Any:
        """`changes` validated on top of `base` (None: the defaults); raises ConfigRefused."""

    @abc.abstractmethod
    def make_plan(self, config: Any, previous: Any, custom: Any) -> Any:
        """The plan of a config (blocking: data, masks, uses), reusing what `previous` has in common."""

    def cheap_plan(self, config: Any, previous: Any) -> bool:
        """Whether make_plan(config, previous) is cheap enough for the event loop (a setting changed)."""
        return False

    @abc.abstractmethod
    def fresh_state(self, plan: Any) -> Any:
        """New weights and optimizer state from the config's seed."""

    @abc.abstractmethod
    def fit_state(self, state: Any, plan: Any) -> Any:
        """A state (concrete) carried to `plan`: kept where the shapes allow, else fresh."""

    def keeps_state(self, old: Any, new: Any) -> bool:
        """Whether every state fit for plan `old` is fit for plan `new` as it is (fit_state would return it
        unchanged): a run's state on the device then stays there when its settings change."""
        return False

    def fresh_run_reason(self, old: Any, new: Any) -> str | None:
        """Why going from config `old` to `new` starts a fresh run (None: the weights carry over)."""
        return None

    def data_of(self, plan: Any) -> Any:
        """The plan's data (a new object when the data changed: the page is sent the new points)."""
        return getattr(plan, "split", None)

    def untrainable(self, plan: Any) -> str | None:
        """Why the plan cannot train (e.g. no training points), or None."""
        return None

    def divergence_message(self, config: Any, epoch: int) -> str:
        """What the page says when the run diverged at `epoch` (the advice names the family's rates)."""
        return stopping.divergence_message(config, epoch)

    # ---- progress ----------------------------------------------------------------------------------

    def advance(self, plan: Any, epoch: int, step: int, units: int) -> tuple[int, int]:
        """(epoch, step) after `units` more of the family's kernel units (one unit is an epoch here)."""
        return epoch + units, 0

    def fit_position(self, plan: Any, epoch: int, step: int) -> tuple[int, int]:
        """(epoch, step) carried to a new plan (e.g. a new batch size ends the epoch)."""
        return epoch, step

    def progress(self, plan: Any, epoch: int, step: int) -> float:
        return float(epoch)

    def units_per_epoch(self, plan: Any) -> float:
        """Kernel units in an epoch (for epochs/s)."""
        return 1.0

    def step_units(self, session: Session, message: Any) -> int:
        """The units a `step` message trains (one epoch here)."""
        return 1

    # ---- the wire ------------------------------------------------------------------------------------

    @abc.abstractmethod
    def parse(self, raw: str | bytes) -> Any:
        """One client message, validated (raises protocol.ProtocolError naming the field)."""

    def accept(self, session: Session, message: Any, sub: Subscriber | None) -> Any:
        """A family message checked on arrival: a reply for its sender, None, or NOT_MINE."""
        return NOT_MINE

    async def apply(self, session: Session, action: Any) -> bool:
        """Apply a queued family action in the run loop; False if it is not one of the family's."""
        return False

    @abc.abstractmethod
    def encode_frame(self, frame: Any, stamp: Stamp) -> bytes:
        """A frame's data as the binary message its page reads."""

    def encode_data(self, plan: Any, version: int) -> bytes | None:
        """The points the plan trains on, for the page (None: the family sends none)."""
        return None

    def hello(self, session: Session) -> dict[str, Any]:
        """What the family adds to a client's `hello`."""
        return {}

    def config_extras(self, plan: Any) -> dict[str, Any]:
        """What the family adds to a `config` message."""
        return {}

    def summary(self, session: Session) -> dict[str, Any]:
        """What the family adds to `GET /api/sessions/{id}`."""
        return {}

    # ---- the classroom ----------------------------------------------------------------------------------

    def own_data(self, session: Session) -> Any:
        """The run's own data that a fork or a snapshot carries (in the form ReplaceData takes: a tuple of
        arrays), or None when it trains on none of its own."""
        return session.custom

    def size(self, config: Any) -> int | None:
        """How big the model is, as a challenge ranks it (fewest first); None: this family's runs are not
        ranked by size."""
        return None

    # The lab's challenge (None: it has none, and a room of it refuses one, with the reason).
    challenge: LabChallenge | None = None

    def challenge_value(self, session: Session) -> float | None:
        """The figure a challenge compares with its target (lower is better), None while there is none:
        the last evaluation's test loss, as the summary gives it (read here without making the summary:
        the dashboard asks for it every second for every student)."""
        ev = session.last_eval
        value = None if ev is None else protocol.finite_or_none(getattr(ev, "test_loss", None))
        return None if value is None else float(value)

    def thumbnail(self, frame: bytes | None) -> tuple[bytes, int] | None:
        """A small square picture of a frame for the teacher's student tiles: (uint8 side x side, side)."""
        return None

    # ---- sweeps (experiments/) -------------------------------------------------------------------------

    # The lab's settings table (name -> Setting), which a sweep varies and reads typed values by; None: its
    # runs cannot be swept (a sweep also needs the table's `stop_epoch`, which ends its runs together).
    settings: Mapping[str, Setting] | None = None

    def schema(self) -> dict[str, Any]:
        """What the lab's page and the sweep page build their controls from (`GET /api/<lab>/schema`): at
        least its settings table; a lab adds its choices and limits."""
        return {"settings": [setting.public() for setting in (self.settings or {}).values()]}

    def figures(self, frame: dict[str, Any]) -> dict[str, Any]:
        """A decoded frame's headline figures by name, as a sweep's table shows them (test_loss,
        train_loss, test_accuracy, train_accuracy: those it has): the frame's own top-level ones."""
        return frame

    def figure_labels(self, config: Any) -> dict[str, str]:
        """What `figures` means in this lab for a run of `config`, in words: name -> label, in the order
        a sweep shows them (only those the lab has; `test_loss` first: the figure a sweep ranks by, lower
        is better)."""
        return dict(FIGURE_LABELS)

    def tile_figure(self, session: Session) -> str | None:
        """The figure a student's tile shows, in words (None: its test loss, as the page words it)."""
        return None


class MinibatchSteps:
    """Progress for a family whose kernel unit is one minibatch step, `plan.steps_per_epoch` of them an
    epoch (the image and generative labs): put it before `Family` in the bases."""

    def advance(self, plan: Any, epoch: int, step: int, units: int) -> tuple[int, int]:
        steps = plan.steps_per_epoch
        total = step + units
        return epoch + total // steps, total % steps

    def fit_position(self, plan: Any, epoch: int, step: int) -> tuple[int, int]:
        """A new plan whose epoch is shorter than the steps already taken (a bigger batch) ends it."""
        return (epoch + 1, 0) if step >= plan.steps_per_epoch else (epoch, step)

    def progress(self, plan: Any, epoch: int, step: int) -> float:
        return epoch + step / plan.steps_per_epoch

    def units_per_epoch(self, plan: Any) -> float:
        return float(plan.steps_per_epoch)
