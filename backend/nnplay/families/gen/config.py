"""The generative lab's run config: frozen pydantic, derived from the settings table, with errors that
name the field."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from ...schemas import ConfigError
from ..table import SettingsTable
from .settings import DEFAULT_BATCH, MAX_LAYERS, MAX_NEURONS, SETTINGS, SETTINGS_BY_NAME


class GenConfigError(ConfigError):
    """A rejected setting of the generative lab (`field` names it)."""


TABLE = SettingsTable(SETTINGS, GenConfigError)
_field = TABLE.field


def _check_layers(name: str, value: tuple[int, ...]) -> tuple[int, ...]:
    label = SETTINGS_BY_NAME[name].label.lower()
    if not 1 <= len(value) <= MAX_LAYERS:
        raise GenConfigError(name, f"{label}: between 1 and {MAX_LAYERS} hidden layers, got {len(value)}")
    for i, width in enumerate(value):
        if not 1 <= width <= MAX_NEURONS:
            raise GenConfigError(
                name, f"{label}: layer {i + 1} must have 1 to {MAX_NEURONS} neurons, got {width}"
            )
    return value


class GenConfig(BaseModel):
    """Everything that defines a generative-lab run; immutable, so edits make a new config."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str = _field("model")
    dataset: str = _field("dataset")
    loss: str = _field("loss")
    generator_layers: tuple[int, ...] = _field("generator_layers")
    discriminator_layers: tuple[int, ...] = _field("discriminator_layers")
    generator_activation: str = _field("generator_activation")
    discriminator_activation: str = _field("discriminator_activation")
    noise_dim: int = _field("noise_dim")
    d_steps: int = _field("d_steps")
    generator_lr: float = _field("generator_lr")
    discriminator_lr: float = _field("discriminator_lr")
    gp_weight: float = _field("gp_weight")
    encoder_layers: tuple[int, ...] = _field("encoder_layers")
    activation: str = _field("activation")
    beta: float = _field("beta")
    learning_rate: float = _field("learning_rate")
    batch_size: int = _field("batch_size")
    speed: int = _field("speed")
    stop_epoch: int = _field("stop_epoch")
    seed: int = _field("seed")

    @field_validator(
        "model", "dataset", "loss", "generator_activation", "discriminator_activation", "activation"
    )
    @classmethod
    def _choice(cls, value: str, info: Any) -> str:
        return TABLE.choice(info.field_name, value)

    @field_validator("generator_layers", "discriminator_layers", "encoder_layers")
    @classmethod
    def _layers(cls, value: tuple[int, ...], info: Any) -> tuple[int, ...]:
        return _check_layers(info.field_name, value)

    @property
    def is_gan(self) -> bool:
        return self.model == "gan"

    @property
    def unit(self) -> str:
        """What `stop_epoch` counts (stopping.unit): a GAN's generator steps, an AE's or VAE's epochs."""
        return "step" if self.is_gan else "epoch"

    @property
    def batch(self) -> int:
        """The batch size in use (0 in the settings: the model's default)."""
        return self.batch_size or DEFAULT_BATCH[self.model]

    def public(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def make_gen_config(base: GenConfig | None = None, changes: dict[str, Any] | None = None) -> GenConfig:
    """Validate `changes` on top of `base` (or the defaults); raise GenConfigError naming the field."""
    return TABLE.make(GenConfig, base, changes)
