"""A lab's settings table: its rows (settings.Setting) and what its config, its errors and its page take
from them.

The image, sequence and generative labs each validate a frozen pydantic config whose fields come from
their rows: the table gives those fields (default and range), the numeric ranges (the errors' words and
the page's bounds), the rows the page builds its controls from, and one way of turning a pydantic error
into the lab's ConfigError naming the field, so a lab writes its rows and its own rules, nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from pydantic import BaseModel, Field, ValidationError

from ..schemas import ConfigError, short_repr
from ..settings import Setting

Config = TypeVar("Config", bound=BaseModel)


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


class SettingsTable:
    """One lab's settings, and `error` the ConfigError its config raises."""

    def __init__(self, rows: tuple[Setting, ...], error: type[ConfigError]) -> None:
        self.rows = rows
        self.by_name = {row.name: row for row in rows}
        self.error = error
        # name -> (label, low, high) of the numeric settings
        self.ranges: dict[str, tuple[str, float, float]] = {
            row.name: (row.label.lower(), row.min, row.max)
            for row in rows
            if row.type in ("int", "float") and row.min is not None and row.max is not None
        }

    def field(self, name: str) -> Any:
        """The pydantic field of a row: its default and, for a number, its range (finite)."""
        row = self.by_name[name]
        if row.type in ("int", "float"):
            return Field(row.default, ge=row.min, le=row.max, allow_inf_nan=False)
        return Field(row.default)

    def public(self) -> list[dict[str, Any]]:
        """The rows as the page builds its controls from them (type, default, range, URL key, help)."""
        return [row.public() for row in self.rows]

    def page_ranges(self) -> dict[str, dict[str, Any]]:
        """name -> {label, min, max} of the numeric settings, for the page's bounds."""
        return {
            name: {"label": label, "min": low, "max": high}
            for name, (label, low, high) in self.ranges.items()
        }

    def choice(self, name: str, value: str) -> str:
        """`value` if it is one of the row's choices, else the lab's error listing them."""
        row = self.by_name[name]
        if value not in row.choices:
            choices = ", ".join(str(choice) for choice in row.choices)
            raise self.error(name, f"{row.label.lower()} must be one of {choices}, got {short_repr(value)}")
        return value

    def describe(
        self, exc: ValidationError, special: Callable[[dict[str, Any]], ConfigError | None] | None = None
    ) -> ConfigError:
        """The first error of `exc` as the lab's error naming the field: a ConfigError a validator raised
        as it is, then `special`'s answer (the lab's own fields, e.g. a layer stack), then an unknown
        setting, a number out of its range, anything else in pydantic's words, each with the value."""
        error: dict[str, Any] = dict(exc.errors()[0])
        inner = (error.get("ctx") or {}).get("error")
        if isinstance(inner, ConfigError):
            return inner
        if special is not None and (answer := special(error)) is not None:
            return answer
        loc = list(error.get("loc", ()))
        field = str(loc[0]) if loc else "config"
        value = error.get("input")
        if error.get("type") == "extra_forbidden":
            return self.error(field, f"unknown setting {field!r}")
        if field in self.ranges:
            label, low, high = self.ranges[field]
            return self.error(
                field, f"{label} must be between {_number(low)} and {_number(high)}, got {short_repr(value)}"
            )
        return self.error(field, f"{field}: {error.get('msg', 'invalid')} (got {short_repr(value)})")

    def make(
        self,
        model: type[Config],
        base: Config | None,
        changes: dict[str, Any] | None,
        special: Callable[[dict[str, Any]], ConfigError | None] | None = None,
    ) -> Config:
        """`changes` validated on top of `base` (or the defaults) as a `model`; the lab's error naming the
        field if they are refused (`special`: see describe)."""
        data = base.public() if base is not None else {}  # type: ignore[attr-defined]
        data.update(changes or {})
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            raise self.describe(exc, special) from None
