"""The sequence lab's run config: frozen pydantic, derived from the settings table, with errors that
name the field ("length must be at most 32 for reverse with a recurrent net: ...")."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

from ...schemas import ConfigError
from ..table import SettingsTable
from .names import MODELS, RECURRENT, TASKS
from .settings import (
    MAX_SEQ2SEQ_LENGTH,
    MAX_TRANSFORMER_LENGTH,
    SETTINGS,
)

SPLITTABLE_HEADS = (1, 2, 4)  # heads that split every width bucket (powers of two from 16)


class SeqConfigError(ConfigError):
    """A rejected setting; `field` names it."""


TABLE = SettingsTable(SETTINGS, SeqConfigError)
_field = TABLE.field


class SeqConfig(BaseModel):
    """Everything that defines a sequence-lab run; immutable, so edits make a new config."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    task: str = _field("task")
    length: int = _field("length")
    vocab: int = _field("vocab")
    model: str = _field("model")
    width: int = _field("width")
    layers: int = _field("layers")
    heads: int = _field("heads")
    positional: str = _field("positional")
    optimizer: str = _field("optimizer")
    learning_rate: float = _field("learning_rate")
    momentum: float = _field("momentum")
    weight_decay: float = _field("weight_decay")
    schedule: str = _field("schedule")
    schedule_epochs: int = _field("schedule_epochs")
    schedule_factor: float = _field("schedule_factor")
    clip: float = _field("clip")
    batch_size: int = _field("batch_size")
    speed: int = _field("speed")
    stop_epoch: int = _field("stop_epoch")  # a step (the run loop's stop reads `stop_epoch`)
    seed: int = _field("seed")
    # Side by side: more models trained with this one, on the same batches, in one call (group.py); each
    # with every other setting of this config. Empty: a run of one model.
    compare: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _check(self) -> SeqConfig:
        for setting in SETTINGS:
            if setting.type == "choice":
                TABLE.choice(setting.name, getattr(self, setting.name))
        task = TASKS[self.task]
        if self.length < task.min_length:
            raise SeqConfigError("length", f"length must be at least {task.min_length} for {self.task}")
        models = self.models
        if any(m not in MODELS for m in self.compare) or len(set(models)) != len(models):
            raise SeqConfigError(
                "compare", f"compare lists other models than {self.model}, each once, of {', '.join(MODELS)}"
            )
        if "transformer" in models and self.length > MAX_TRANSFORMER_LENGTH:
            raise SeqConfigError(
                "length",
                f"length must be at most {MAX_TRANSFORMER_LENGTH} for the Transformer, got {self.length}",
            )
        if task.seq2seq and self.length > MAX_SEQ2SEQ_LENGTH:
            raise SeqConfigError(
                "length", f"length must be at most {MAX_SEQ2SEQ_LENGTH} for {self.task}, got {self.length}"
            )
        if "transformer" in models and self.heads not in SPLITTABLE_HEADS:
            raise SeqConfigError(
                "heads",
                f"heads must be 1, 2 or 4 for the Transformer (its width is padded to a power of two, which "
                f"{self.heads} heads cannot split), got {self.heads}",
            )
        if "transformer" in models and self.width % self.heads:
            raise SeqConfigError(
                "width",
                f"width must be a multiple of heads ({self.heads}) for the Transformer, got {self.width}",
            )
        return self

    @property
    def unit(self) -> str:
        """What a run counts (its `stop_epoch` is one): training steps."""
        return "step"

    @property
    def recurrent(self) -> bool:
        return self.model in RECURRENT

    @property
    def models(self) -> tuple[str, ...]:
        """The models this run trains: its own, then those it is compared with."""
        return (self.model, *self.compare)

    def member(self, model: str) -> SeqConfig:
        """The config of one model of a side-by-side run (already checked with this one)."""
        return self.model_copy(update={"model": model, "compare": ()})

    def public(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def make_seq_config(base: SeqConfig | None = None, changes: dict[str, Any] | None = None) -> SeqConfig:
    """Validate `changes` on top of `base` (or the defaults); raise SeqConfigError naming the field."""
    return TABLE.make(SeqConfig, base, changes)
