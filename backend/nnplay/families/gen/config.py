"""The generative lab's run config: frozen pydantic, derived from the settings table, with errors that
name the field."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ...schemas import ConfigError
from .settings import DEFAULT_BATCH, MAX_LAYERS, MAX_NEURONS, SETTINGS_BY_NAME, ranges

RANGES = ranges()


class GenConfigError(ConfigError):
    """A rejected setting of the generative lab (`field` names it)."""


def _field(name: str) -> Any:
    setting = SETTINGS_BY_NAME[name]
    if setting.type in ("int", "float"):
        return Field(setting.default, ge=setting.min, le=setting.max, allow_inf_nan=False)
    return Field(setting.default)


def _check_choice(name: str, value: str) -> str:
    choices = SETTINGS_BY_NAME[name].choices
    if value not in choices:
        label = SETTINGS_BY_NAME[name].label.lower()
        raise GenConfigError(name, f"{label} must be one of {', '.join(choices)}, got {value!r}")
    return value


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
        return _check_choice(info.field_name, value)

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


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _describe(exc: ValidationError) -> GenConfigError:
    error = exc.errors()[0]
    inner = (error.get("ctx") or {}).get("error")
    if isinstance(inner, GenConfigError):
        return inner
    loc = list(error.get("loc", ()))
    field = str(loc[0]) if loc else "config"
    value = error.get("input")
    if error.get("type") == "extra_forbidden":
        return GenConfigError(field, f"unknown setting {field!r}")
    if field in RANGES:
        label, low, high = RANGES[field]
        return GenConfigError(
            field, f"{label} must be between {_number(low)} and {_number(high)}, got {value!r}"
        )
    return GenConfigError(field, f"{field}: {error.get('msg', 'invalid')} (got {value!r})")


def make_gen_config(base: GenConfig | None = None, changes: dict[str, Any] | None = None) -> GenConfig:
    """Validate `changes` on top of `base` (or the defaults); raise GenConfigError naming the field."""
    data = base.public() if base is not None else {}
    data.update(changes or {})
    try:
        return GenConfig.model_validate(data)
    except ValidationError as exc:
        raise _describe(exc) from None
