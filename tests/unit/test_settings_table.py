"""families/table.py: a lab's settings table gives its config fields, ranges, rows and errors."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, field_validator

from nnplay.families.cnn.config import TABLE as IMAGE_TABLE
from nnplay.families.cnn.config import ImageConfigError, make_image_config
from nnplay.families.gen.config import TABLE as GEN_TABLE
from nnplay.families.gen.config import GenConfigError, make_gen_config
from nnplay.families.seq.config import TABLE as SEQ_TABLE
from nnplay.families.seq.config import SeqConfigError, make_seq_config
from nnplay.families.table import SettingsTable
from nnplay.schemas import ConfigError
from nnplay.settings import Setting


class _Refused(ConfigError):
    pass


_ROWS = (
    Setting("rate", "Rate", "float", 0.5, "how fast", "r", "g", min=0.0, max=1.0),
    Setting("count", "Count", "int", 3, "how many", "c", "g", min=1, max=9),
    Setting("shape", "Shape", "choice", "ring", "which", "s", "g", choices=("ring", "line")),
)
_TABLE = SettingsTable(_ROWS, _Refused)


class _Config(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    rate: float = _TABLE.field("rate")
    count: int = _TABLE.field("count")
    shape: str = _TABLE.field("shape")
    note: str = "x"

    @field_validator("shape")
    @classmethod
    def _shape(cls, value: str) -> str:
        return _TABLE.choice("shape", value)

    def public(self) -> dict[str, Any]:
        return self.model_dump()


def _refused(changes: dict[str, Any], base: _Config | None = None, special: Any = None) -> _Refused:
    with pytest.raises(_Refused) as caught:
        _TABLE.make(_Config, base, changes, special)
    return caught.value


def test_the_rows_give_the_defaults_and_changes_apply_on_top_of_a_base():
    assert _TABLE.make(_Config, None, None) == _Config(rate=0.5, count=3, shape="ring")
    base = _TABLE.make(_Config, None, {"count": 7})
    assert _TABLE.make(_Config, base, {"shape": "line"}) == _Config(rate=0.5, count=7, shape="line")


def test_the_numeric_rows_are_the_ranges_the_errors_and_the_page_use():
    assert _TABLE.ranges == {"rate": ("rate", 0.0, 1.0), "count": ("count", 1, 9)}
    assert _TABLE.page_ranges()["count"] == {"label": "count", "min": 1, "max": 9}
    assert [row["name"] for row in _TABLE.public()] == ["rate", "count", "shape"]


@pytest.mark.parametrize("value", [1.5, -1, float("inf"), float("nan")])
def test_a_number_out_of_its_range_names_the_field_and_the_range(value):
    error = _refused({"rate": value})
    assert error.field == "rate"
    assert error.message.startswith("rate must be between 0 and 1, got ")


def test_an_unknown_setting_a_bad_choice_and_a_wrong_type_each_name_their_field():
    assert (_refused({"speed": 2}).field, _refused({"speed": 2}).message) == (
        "speed",
        "unknown setting 'speed'",
    )
    error = _refused({"shape": "cube"})
    assert (error.field, error.message) == ("shape", "shape must be one of ring, line, got 'cube'")
    error = _refused({"note": [1] * 1000})
    assert error.field == "note"
    assert error.message.startswith("note: ") and len(error.message) < 200  # the value is quoted bounded


def test_a_labs_own_rule_answers_first_when_it_knows_the_error():
    def special(error: dict[str, Any]) -> ConfigError | None:
        return _Refused("count", "odd counts only") if error["loc"] == ("count",) else None

    assert _refused({"count": 12}, special=special).message == "odd counts only"
    assert _refused({"rate": 2}, special=special).field == "rate"


@pytest.mark.parametrize(
    ("table", "make", "error", "numeric"),
    [
        (IMAGE_TABLE, make_image_config, ImageConfigError, "learning_rate"),
        (SEQ_TABLE, make_seq_config, SeqConfigError, "width"),
        (GEN_TABLE, make_gen_config, GenConfigError, "beta"),
    ],
)
def test_each_lab_refuses_with_its_own_error_in_the_tables_words(table, make, error, numeric):
    label, _low, high = table.ranges[numeric]
    with pytest.raises(error) as caught:
        make(None, {numeric: high * 10 + 1})
    assert caught.value.field == numeric
    assert caught.value.message.startswith(f"{label} must be between ")
    with pytest.raises(error) as caught:
        make(None, {"no_such_setting": 1})
    assert caught.value.message == "unknown setting 'no_such_setting'"
    assert make(None, None) == make(make(None, None), {})


def test_the_image_lab_names_the_layer_of_a_bad_stack_field():
    layers = [{"kind": "conv", "filters": "many"}, {"kind": "flatten"}]
    with pytest.raises(ImageConfigError) as caught:
        make_image_config(None, {"layers": layers})
    assert (caught.value.field, caught.value.layer) == ("layers", 1)
    assert caught.value.message.startswith("layer 1: filters ")
