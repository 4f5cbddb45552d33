"""A sweep's runs from its spec: the settings it varies (a grid of every combination, or settings drawn at
random), its seeds and its epochs, each run checked by its lab's own config validation.

Pure: no jax, no sessions. Every refusal is a `ConfigError` naming the field and saying what is allowed
("the range of learning rate is empty ..."), so the API answers it as any refused setting (422) and the
CLI prints it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from ..schemas import ConfigError, short_repr
from ..settings import Setting

MAX_RUNS = 256  # runs in one sweep: 8 shards of 32 on a CPU, a few seconds to a minute of training
MAX_EPOCHS = 100_000
SET_BY_SWEEP = {
    "stop_epoch": "the sweep stops every run at its epochs: set epochs instead",
    "speed": "sweep runs train as fast as the engine goes",
    "seed": "give the seeds to train every setting with as seeds (e.g. 1-8)",
}
LIST_TYPES = ("features", "layers", "choice_list", "float_list")
Mode = Literal["grid", "random"]


@dataclass(frozen=True)
class Axis:
    """One setting a sweep varies: listed values, or (random sweeps; ints in grids) a range low..high."""

    name: str
    values: tuple[Any, ...] = ()
    low: float | None = None
    high: float | None = None

    @property
    def is_range(self) -> bool:
        return self.low is not None or self.high is not None


@dataclass(frozen=True)
class SweepSpec:
    """What a person asks for: fixed settings (`base`), the settings to vary, seeds, epochs, the mode."""

    axes: tuple[Axis, ...] = ()
    base: Mapping[str, Any] = field(default_factory=dict)
    seeds: tuple[int, ...] = (1,)
    epochs: int = 500
    mode: Mode = "grid"
    samples: int = 0  # random: how many settings are drawn (each trained with every seed)
    sample_seed: int = 0  # random: the draws' own seed (the same spec draws the same runs)
    lab: str = "playground"


@dataclass(frozen=True)
class PlannedRun:
    """One run of a sweep: its place, the varied settings' values, its seed and the config it trains."""

    index: int
    group: int  # runs that differ only in their seed share a group (mean ± std over seeds)
    varied: dict[str, Any]
    seed: int
    config: Any  # the lab's validated config


def _label(table: Mapping[str, Setting], name: str) -> str:
    setting = table.get(name)
    return setting.label.lower() if setting is not None else name


def _check_axis(axis: Axis, table: Mapping[str, Setting], mode: Mode) -> None:
    if axis.name not in table:
        raise ConfigError(axis.name, f"unknown setting {axis.name!r}; it cannot be varied")
    if axis.name in SET_BY_SWEEP:
        raise ConfigError(axis.name, f"{axis.name} is not varied like this: {SET_BY_SWEEP[axis.name]}")
    setting, label = table[axis.name], _label(table, axis.name)
    if axis.is_range:
        if axis.values or axis.low is None or axis.high is None:
            raise ConfigError(axis.name, f"{label}: give either values or a range low..high, not both")
        if setting.type not in ("int", "float"):
            raise ConfigError(axis.name, f"{label} is not a number: list its values instead of a range")
        if not (math.isfinite(axis.low) and math.isfinite(axis.high)) or axis.low > axis.high:
            raise ConfigError(
                axis.name, f"the range of {label} is empty: {axis.low:g}..{axis.high:g} holds no value"
            )
        lo, hi = setting.min, setting.max
        if (lo is not None and axis.low < lo) or (hi is not None and axis.high > hi):
            raise ConfigError(axis.name, f"the range of {label} must lie between {lo:g} and {hi:g}")
        if mode == "grid" and setting.type == "float":
            raise ConfigError(
                axis.name, f"a grid needs the values of {label} listed; a range is for random sweeps"
            )
        return
    if not axis.values:
        raise ConfigError(axis.name, f"the range of {label} is empty: give at least one value")
    seen: list[Any] = []
    for value in axis.values:
        if value in seen:
            raise ConfigError(axis.name, f"{label}: {short_repr(value)} is listed twice")
        seen.append(value)


def _grid_values(axis: Axis, table: Mapping[str, Setting]) -> tuple[Any, ...]:
    if not axis.is_range:
        return axis.values
    assert axis.low is not None and axis.high is not None  # _check_axis: an int range
    return tuple(range(math.ceil(axis.low), math.floor(axis.high) + 1))


def _range_size(axis: Axis) -> int:
    assert axis.low is not None and axis.high is not None
    return max(0, math.floor(axis.high) - math.ceil(axis.low) + 1)


def count_runs(spec: SweepSpec) -> int:
    """How many runs the spec asks for (before any of them is made)."""
    if spec.mode == "random":
        return spec.samples * len(spec.seeds)
    combos = math.prod(_range_size(a) if a.is_range else len(a.values) for a in spec.axes)
    return combos * len(spec.seeds)


def check_spec(spec: SweepSpec, table: Mapping[str, Setting]) -> None:
    """Raise ConfigError for what no run of the spec could train: unknown or empty settings, no seeds,
    epochs out of range, too many runs."""
    if not 1 <= spec.epochs <= MAX_EPOCHS:
        raise ConfigError("epochs", f"epochs must be between 1 and {MAX_EPOCHS:,}, got {spec.epochs}")
    for name in spec.base:
        if name not in table:
            raise ConfigError(name, f"unknown setting {name!r}")
        if name in SET_BY_SWEEP:
            raise ConfigError(name, f"{name} cannot be fixed in a sweep: {SET_BY_SWEEP[name]}")
    names = [a.name for a in spec.axes]
    for name in names:
        if names.count(name) > 1:
            raise ConfigError(name, f"{_label(table, name)} is varied twice")
    for axis in spec.axes:
        _check_axis(axis, table, spec.mode)
    if not spec.seeds:
        raise ConfigError("seeds", "the seeds are empty: give at least one seed (e.g. 1 or 1-8)")
    if len(set(spec.seeds)) != len(spec.seeds):
        raise ConfigError("seeds", "each seed may be listed once")
    if spec.mode == "random" and spec.samples < 1:
        raise ConfigError("samples", "a random sweep draws at least one setting (samples >= 1)")
    total = count_runs(spec)
    if total > MAX_RUNS:
        raise ConfigError(
            "runs",
            f"a sweep trains at most {MAX_RUNS} runs at once; this one would train {total:,}: vary fewer "
            "settings, list fewer values or seeds, or draw fewer at random",
        )


def _draw(axis: Axis, setting: Setting, rng: np.random.Generator) -> Any:
    """One random value of an axis: a listed value, or a number in its range (log-uniform over a range
    that spans a factor of 10 or more, rounded to 3 significant digits)."""
    if not axis.is_range:
        return axis.values[int(rng.integers(len(axis.values)))]
    assert axis.low is not None and axis.high is not None
    if setting.type == "int":
        return int(rng.integers(math.ceil(axis.low), math.floor(axis.high) + 1))
    lo, hi = float(axis.low), float(axis.high)
    if lo > 0 and hi / lo >= 10:
        value = math.exp(rng.uniform(math.log(lo), math.log(hi)))
    else:
        value = rng.uniform(lo, hi)
    return min(hi, max(lo, float(f"{value:.3g}")))


def settings_of(spec: SweepSpec, table: Mapping[str, Setting]) -> list[dict[str, Any]]:
    """The varied settings of each group, in order: every combination (grid) or the draws (random)."""
    if spec.mode == "grid":
        values = [_grid_values(axis, table) for axis in spec.axes]
        return [
            dict(zip([a.name for a in spec.axes], combo, strict=True)) for combo in itertools.product(*values)
        ]
    rng = np.random.default_rng(spec.sample_seed)
    return [{a.name: _draw(a, table[a.name], rng) for a in spec.axes} for _ in range(spec.samples)]


def plan_runs(
    spec: SweepSpec, table: Mapping[str, Setting], make_config: Callable[[Any, dict[str, Any]], Any]
) -> list[PlannedRun]:
    """Every run of the spec with its config (the lab's `make_config(None, changes)`); ConfigError if
    the spec or any run is refused (the message names the run's settings)."""
    check_spec(spec, table)
    runs: list[PlannedRun] = []
    for group, varied in enumerate(settings_of(spec, table)):
        for seed in spec.seeds:
            pace = {"speed": 0} if "speed" in table else {}  # as fast as it goes (a lab may have no pace)
            changes = {**spec.base, **varied, "seed": seed, "stop_epoch": spec.epochs, **pace}
            try:
                config = make_config(None, changes)
            except ConfigError as exc:
                where = ", ".join(f"{_label(table, k)} {short_repr(v)}" for k, v in varied.items())
                prefix = f"run {len(runs) + 1} ({where}, seed {seed})" if where else f"seed {seed}"
                raise ConfigError(exc.field, f"{prefix}: {exc.message}") from None
            public = config.public()
            shown = {name: public.get(name, value) for name, value in varied.items()}
            runs.append(PlannedRun(len(runs), group, shown, seed, config))
    return runs


def axes_from_lists(values: Mapping[str, Sequence[Any]]) -> tuple[Axis, ...]:
    """Axes of listed values, in the mapping's order."""
    return tuple(Axis(name, tuple(v)) for name, v in values.items())
