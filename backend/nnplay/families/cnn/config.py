"""The image lab's run config: frozen pydantic, with errors that name the field (or the layer)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

from ...models.cnn_stack import Layer, StackError, summarize
from ...schemas import ConfigError
from ..table import SettingsTable
from .settings import SETTINGS

DEFAULT_STACK: tuple[dict[str, Any], ...] = (
    {"kind": "conv", "filters": 8, "kernel": 3, "stride": 1, "padding": "same", "activation": "relu"},
    {"kind": "maxpool"},
    {"kind": "conv", "filters": 16, "kernel": 3, "stride": 1, "padding": "same", "activation": "relu"},
    {"kind": "flatten"},
)
MLP_STACK: tuple[dict[str, Any], ...] = (
    {"kind": "flatten"},
    {"kind": "dense", "units": 64, "activation": "relu"},
)


class ImageConfigError(ConfigError):
    """A rejected setting: `field` names it ("layers" for the stack, with `layer` its 1-based index)."""


TABLE = SettingsTable(SETTINGS, ImageConfigError)
_field = TABLE.field


class ImageConfig(BaseModel):
    """Everything that defines an image-lab run; immutable, so edits make a new config."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    layers: tuple[Layer, ...] = tuple(Layer(**layer) for layer in DEFAULT_STACK)
    optimizer: str = _field("optimizer")
    learning_rate: float = _field("learning_rate")
    momentum: float = _field("momentum")
    weight_decay: float = _field("weight_decay")
    schedule: str = _field("schedule")
    schedule_epochs: int = _field("schedule_epochs")
    schedule_factor: float = _field("schedule_factor")
    batch_size: int = _field("batch_size")
    train_ratio: float = _field("train_ratio")
    stop_epoch: int = _field("stop_epoch")
    seed: int = _field("seed")
    augment_shift: bool = _field("augment_shift")
    augment_rotation: bool = _field("augment_rotation")
    augment_noise: bool = _field("augment_noise")

    @model_validator(mode="after")
    def _check(self) -> ImageConfig:
        TABLE.choice("optimizer", self.optimizer)
        TABLE.choice("schedule", self.schedule)
        try:
            summarize(self.stack())
        except StackError as exc:
            raise ImageConfigError("layers", exc.message, exc.index) from None
        return self

    def stack(self) -> tuple[Layer, ...]:
        return self.layers

    def public(self) -> dict[str, Any]:
        data = self.model_dump(mode="json")
        data["layers"] = [layer.public() for layer in self.stack()]
        return data


def _layer_error(error: dict[str, Any]) -> ImageConfigError | None:
    """A pydantic error inside the layer stack, naming the layer (1-based) and its field."""
    loc = list(error.get("loc", ()))
    if not (loc and loc[0] == "layers" and len(loc) >= 2 and isinstance(loc[1], int)):
        return None
    index = loc[1] + 1
    name = str(loc[2]) if len(loc) > 2 else "layer"
    if error.get("type") in ("extra_forbidden", "unexpected_keyword_argument"):  # (a layer is a dataclass)
        return ImageConfigError("layers", f"layer {index}: unknown field {name!r}", index)
    return ImageConfigError("layers", f"layer {index}: {name} {error.get('msg', 'is invalid')}", index)


def make_image_config(base: ImageConfig | None = None, changes: dict[str, Any] | None = None) -> ImageConfig:
    """Validate `changes` on top of `base` (or the defaults); raise ImageConfigError naming the field."""
    return TABLE.make(ImageConfig, base, changes, _layer_error)
