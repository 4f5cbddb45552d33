"""A sweep's settings as people type them, in the CLI and on the page: the same rules for both.

A comma list varies a setting (`0.003,0.01,0.03`); settings whose value is itself a list (features,
hidden layers, per-layer lists) separate their alternatives with `/` (`8,8/8,8,8`); `low..high` is a
range of a number (random sweeps draw from it; whole numbers span a grid too). Seeds: `1-8`, `1..8`,
`1,2,5` or a mix (`1-3,7`). Pure: no jax.
"""

from __future__ import annotations

from typing import Any

from ..schemas import ConfigError
from ..settings import Setting
from .plan import LIST_TYPES, Axis

READ_AS = {
    "int": "a whole number",
    "float": "a number",
    "layers": "a list of neuron counts",
    "float_list": "a list of numbers",
}
MAX_SEED_SPAN = 100_000  # a typed range of seeds longer than this is refused before it is listed


def parse_value(setting: Setting, text: str) -> Any:
    """One value of a setting from text, read as `nnplay train` reads its options (ValueError)."""
    if setting.type in ("features", "choice_list"):
        return [part.strip() for part in text.split(",") if part.strip()]
    if setting.type == "float_list":
        return [float(part) for part in text.split(",") if part.strip()]
    if setting.type == "layers":
        return [int(part) for part in text.split(",") if part.strip()]
    if setting.type == "int":
        return int(text)
    if setting.type == "float":
        return float(text)
    return text.strip()


def parse_seeds(text: str) -> tuple[int, ...]:
    """`1-8`, `1..8`, `1,2,5` or a mix; ConfigError("seeds") if unreadable or absurdly long."""
    seeds: list[int] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        bounds = part.split("..") if ".." in part else part.split("-")
        try:
            numbers = [int(b) for b in bounds]
        except ValueError:
            raise ConfigError(
                "seeds", f"seeds: {part!r} is not a seed or a range of seeds (e.g. 1-8)"
            ) from None
        if len(numbers) == 2:
            low, high = numbers
            if high - low >= MAX_SEED_SPAN:
                raise ConfigError("seeds", f"seeds: {part} spans more than {MAX_SEED_SPAN:,} seeds")
            seeds.extend(range(low, high + 1))
        elif len(numbers) == 1:
            seeds.append(numbers[0])
        else:
            raise ConfigError("seeds", f"seeds: {part!r} is not a seed or a range of seeds (e.g. 1-8)")
    return tuple(seeds)


def parse_setting(setting: Setting, text: str) -> Axis | Any:
    """A fixed value, or an Axis when the text lists alternatives or gives a range; ConfigError naming
    the setting if a value is unreadable."""
    kind_list = setting.type in LIST_TYPES
    try:
        if not kind_list and ".." in text and setting.type in ("int", "float"):
            low, high = text.split("..", 1)
            return Axis(setting.name, low=float(low), high=float(high))
        parts = text.split("/" if kind_list else ",")
        values = tuple(parse_value(setting, p.strip()) for p in parts if p.strip() or kind_list)
    except ValueError:
        kind = READ_AS.get(setting.type, "a value")
        raise ConfigError(
            setting.name, f"{setting.label.lower()}: {text!r} is not {kind} (or a list of them)"
        ) from None
    if len(parts) == 1 and values:
        return values[0]
    return Axis(setting.name, values)
