"""Wire format: msgpack frames, JSON control messages and client message validation."""

from __future__ import annotations

import json
import math
from typing import Annotated, Literal

import msgpack
import numpy as np
import pytest
from pydantic import BaseModel, ConfigDict, Field

from nnplay.families.cnn.messages import parse_message as parse_image_message
from nnplay.families.gen.messages import parse_message as parse_gen_message
from nnplay.families.seq.messages import parse_message as parse_seq_message
from nnplay.protocol import (
    MAX_MESSAGE_BYTES,
    MessageParser,
    ProtocolError,
    decode,
    encode_data,
    encode_frame_fields,
    error_message,
    finite_or_none,
    json_message,
    parse_client_message,
)


def _no_constants(name):
    raise AssertionError(f"JSON contains the non-standard constant {name}")


def _strict_json(text):
    return json.loads(text, parse_constant=_no_constants)


def _frame(**overrides):
    rng = np.random.default_rng(0)
    fields = {
        "epoch": 1200,
        "state": "training",
        "config_version": 3,
        "train_loss": 0.125,
        "test_loss": 0.25,
        "train_accuracy": 0.75,
        "test_accuracy": 0.5,
        "epochs_per_second": 9000.04,
        "layers": [4, 2],
        "output_grid": np.arange(16, dtype=np.uint8).reshape(4, 4),
        "neuron_grids": np.full((6, 2, 2), 200, dtype=np.uint8),
        "weights": [
            rng.normal(size=(2, 4)).astype(np.float32),
            rng.normal(size=(4, 2)).astype(np.float32),
            rng.normal(size=(2, 1)).astype(np.float32),
        ],
        "biases": [np.zeros(4, np.float32), np.array([0.5, -0.5], np.float32), np.array([1.5], np.float32)],
        "grid_size": 4,
        "neuron_grid_size": 2,
    }
    fields.update(overrides)
    return fields


# ---- binary frames ------------------------------------------------------------------------


def test_frame_round_trips_scalar_fields():
    fields = _frame()
    decoded = decode(encode_frame_fields(**fields))
    assert decoded["type"] == "frame"
    assert decoded["epoch"] == 1200
    assert decoded["state"] == "training"
    assert decoded["config_version"] == 3
    assert decoded["train_loss"] == 0.125
    assert decoded["test_loss"] == 0.25
    assert decoded["train_accuracy"] == 0.75
    assert decoded["test_accuracy"] == 0.5
    assert decoded["epochs_per_second"] == 9000.0
    assert decoded["layers"] == [4, 2]
    assert decoded["grid_size"] == 4
    assert decoded["neuron_grid_size"] == 2


def test_frame_is_plain_msgpack_with_bytes_fields():
    raw = msgpack.unpackb(encode_frame_fields(**_frame()))
    assert isinstance(raw["output_grid"], bytes)
    assert isinstance(raw["neuron_grids"], bytes)
    assert all(isinstance(w, bytes) for w in raw["weights"])
    assert all(isinstance(b, bytes) for b in raw["biases"])


def test_frame_grids_decode_as_row_major_uint8():
    decoded = decode(encode_frame_fields(**_frame()))
    assert decoded["output_grid"] == bytes(range(16))
    assert len(decoded["neuron_grids"]) == 6 * 2 * 2
    assert set(decoded["neuron_grids"]) == {200}


def test_frame_weights_and_biases_round_trip_as_float32():
    fields = _frame()
    decoded = decode(encode_frame_fields(**fields))
    assert len(decoded["weights"]) == 3
    for raw, original in zip(decoded["weights"], fields["weights"], strict=True):
        back = np.frombuffer(raw, dtype=np.float32).reshape(original.shape)
        np.testing.assert_array_equal(back, original)
    biases = [np.frombuffer(b, dtype=np.float32).tolist() for b in decoded["biases"]]
    assert biases == [[0.0] * 4, [0.5, -0.5], [1.5]]


def test_frame_converts_float64_weights_to_float32_bytes():
    weights = [np.array([[1.0, -2.0], [0.5, 3.0]], dtype=np.float64)]
    decoded = decode(encode_frame_fields(**_frame(weights=weights, biases=[np.zeros(2)])))
    assert len(decoded["weights"][0]) == 4 * 4
    assert np.frombuffer(decoded["weights"][0], np.float32).tolist() == [1.0, -2.0, 0.5, 3.0]
    assert len(decoded["biases"][0]) == 2 * 4


def test_frame_weights_are_row_major_in_by_out():
    w = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], dtype=np.float32).T  # (3, 2), not C-contiguous
    decoded = decode(encode_frame_fields(**_frame(weights=[w], biases=[np.zeros(2, np.float32)])))
    assert np.frombuffer(decoded["weights"][0], np.float32).tolist() == [1.0, 4.0, 2.0, 5.0, 3.0, 6.0]


def test_frame_sends_non_finite_losses_as_none():
    fields = _frame(train_loss=math.nan, test_loss=math.inf, train_accuracy=-math.inf, test_accuracy=None)
    decoded = decode(encode_frame_fields(**fields))
    assert decoded["train_loss"] is None
    assert decoded["test_loss"] is None
    assert decoded["train_accuracy"] is None
    assert decoded["test_accuracy"] is None


def test_frame_rounds_epochs_per_second_to_one_decimal():
    decoded = decode(encode_frame_fields(**_frame(epochs_per_second=np.float32(12.34))))
    assert decoded["epochs_per_second"] == 12.3
    assert isinstance(decoded["epoch"], int)


def test_data_message_round_trips_points_and_labels():
    train_x = np.array([[1.0, 2.0], [-3.0, 4.5]], dtype=np.float32)
    train_y = np.array([1.0, -1.0], dtype=np.float32)
    test_x = np.array([[0.25, -0.75]], dtype=np.float64)
    test_y = np.array([-1.0])
    decoded = decode(encode_data(2, "classification", train_x, train_y, test_x, test_y))
    assert decoded["type"] == "data"
    assert decoded["data_version"] == 2
    assert decoded["problem"] == "classification"
    np.testing.assert_array_equal(np.frombuffer(decoded["train_x"], np.float32), [1.0, 2.0, -3.0, 4.5])
    np.testing.assert_array_equal(np.frombuffer(decoded["train_y"], np.float32), [1.0, -1.0])
    np.testing.assert_array_equal(np.frombuffer(decoded["test_x"], np.float32), [0.25, -0.75])
    np.testing.assert_array_equal(np.frombuffer(decoded["test_y"], np.float32), [-1.0])


# ---- JSON control messages ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(math.nan, None), (math.inf, None), (-math.inf, None), (None, None), (1.5, 1.5), (0.0, 0.0), (-2, -2.0)],
)
def test_finite_or_none_keeps_finite_numbers_and_drops_the_rest(value, expected):
    assert finite_or_none(value) == expected


def test_finite_or_none_turns_numpy_scalars_into_python_floats():
    result = finite_or_none(np.float32(0.25))
    assert type(result) is float
    assert result == 0.25
    assert finite_or_none(np.float64("nan")) is None


def test_json_message_has_its_type_and_fields():
    message = _strict_json(json_message("status", state="paused", epoch=12, message="ok"))
    assert message == {"type": "status", "state": "paused", "epoch": 12, "message": "ok"}


def test_json_messages_never_contain_nan_or_infinity():
    text = json_message("status", train_loss=math.nan, test_loss=math.inf, other=-math.inf)
    assert "NaN" not in text
    assert "Infinity" not in text
    message = _strict_json(text)
    assert message["train_loss"] is None
    assert message["test_loss"] is None
    assert message["other"] is None


def test_error_message_carries_code_message_and_field():
    message = _strict_json(error_message("invalid_value", "learning rate must be ...", "learning_rate"))
    assert message == {
        "type": "error",
        "code": "invalid_value",
        "message": "learning rate must be ...",
        "field": "learning_rate",
    }
    assert _strict_json(error_message("invalid_json", "bad"))["field"] is None


# ---- client messages ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["start", "pause", "step", "reset", "ping"])
def test_parse_client_message_accepts_each_plain_type(kind):
    assert parse_client_message(json.dumps({"type": kind})).type == kind


def test_parse_client_message_accepts_configure_with_changes():
    raw = '{"type":"configure","changes":{"learning_rate":0.1,"hidden_layers":[4,4]}}'
    message = parse_client_message(raw)
    assert message.type == "configure"
    assert message.changes == {"learning_rate": 0.1, "hidden_layers": [4, 4]}


def test_parse_client_message_accepts_bytes():
    assert parse_client_message(b'{"type":"ping"}').type == "ping"


def _reject(raw):
    with pytest.raises(ProtocolError) as info:
        parse_client_message(raw)
    assert isinstance(info.value, ValueError)
    return info.value


@pytest.mark.parametrize("raw", ["{", "not json", '{"type": "start",}', "", "{'type': 'start'}"])
def test_malformed_json_is_rejected_as_invalid_json(raw):
    assert _reject(raw).code == "invalid_json"


@pytest.mark.parametrize("raw", ["[1, 2]", '"start"', "42", "null", '[{"type": "start"}]'])
def test_a_message_that_is_not_an_object_is_rejected(raw):
    error = _reject(raw)
    assert error.code == "invalid_message"
    assert "object" in error.message


def test_bytes_that_are_not_utf8_are_rejected_as_invalid_json():
    assert _reject(b'{"type": "\xff"}').code == "invalid_json"


@pytest.mark.parametrize("tag", ["5", "null", '"START"', '["start"]'])
def test_a_type_that_is_not_a_known_name_is_rejected_as_unknown_type(tag):
    assert _reject('{"type": ' + tag + "}").code == "unknown_type"


def test_a_message_without_type_is_rejected():
    error = _reject('{"changes": {"noise": 10}}')
    assert error.code == "invalid_message"
    assert error.field == "type"


def test_an_unknown_type_is_rejected_with_the_list_of_valid_types():
    error = _reject('{"type": "train"}')
    assert error.code == "unknown_type"
    assert error.field == "type"
    assert "train" in error.message
    for kind in ("start", "pause", "step", "reset", "configure", "ping"):
        assert kind in error.message


def test_configure_without_changes_is_rejected_as_invalid_message():
    error = _reject('{"type": "configure"}')
    assert error.code == "invalid_message"
    assert error.field == "changes"


def test_configure_with_changes_that_are_not_an_object_is_rejected():
    error = _reject('{"type": "configure", "changes": [1, 2]}')
    assert error.code == "invalid_message"
    assert error.field == "changes"


def test_max_message_size_is_64_kib():
    assert MAX_MESSAGE_BYTES == 64 * 1024


def test_a_message_over_64_kib_is_rejected_as_too_large():
    prefix, suffix = '{"type":"ping","pad":"', '"}'
    raw = prefix + "x" * (MAX_MESSAGE_BYTES + 1 - len(prefix) - len(suffix)) + suffix
    assert len(raw) == MAX_MESSAGE_BYTES + 1
    error = _reject(raw)
    assert error.code == "too_large"
    assert str(MAX_MESSAGE_BYTES) in error.message


def test_a_message_of_exactly_64_kib_is_accepted():
    prefix, suffix = '{"type":"ping","pad":"', '"}'
    raw = prefix + "x" * (MAX_MESSAGE_BYTES - len(prefix) - len(suffix)) + suffix
    assert len(raw) == MAX_MESSAGE_BYTES
    assert parse_client_message(raw).type == "ping"


def test_message_size_is_counted_in_utf8_bytes_not_characters():
    raw = '{"type":"ping","pad":"' + "é" * 40_000 + '"}'  # 40 k characters, 80 k bytes
    assert len(raw) < MAX_MESSAGE_BYTES < len(raw.encode())
    assert _reject(raw).code == "too_large"


def test_an_oversized_message_is_rejected_before_json_parsing():
    assert _reject("{" * (MAX_MESSAGE_BYTES + 1)).code == "too_large"
    assert _reject(b"x" * (MAX_MESSAGE_BYTES + 1)).code == "too_large"


class _Go(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["go"]
    speed: int = Field(1, ge=1, le=9)


class _Halt(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: Literal["halt"]


_lab_parse = MessageParser(Annotated[_Go | _Halt, Field(discriminator="type")])


def _lab_reject(raw):
    with pytest.raises(ProtocolError) as caught:
        _lab_parse(raw)
    return caught.value


def test_a_lab_parser_knows_its_kinds_in_the_unions_order_and_validates_each():
    assert _lab_parse.types == ("go", "halt")
    assert _lab_parse('{"type": "go", "speed": 3}') == _Go(type="go", speed=3)
    assert _lab_parse(b'{"type": "halt"}') == _Halt(type="halt")


@pytest.mark.parametrize("tag", ["5", "null", '"GO"', '["go"]', '{"go": 1}'])
def test_a_lab_parser_rejects_a_type_it_does_not_know_listing_those_it_does(tag):
    error = _lab_reject('{"type": ' + tag + "}")
    assert (error.code, error.field) == ("unknown_type", "type")
    assert error.message.endswith("expected one of go, halt")


def test_a_lab_parser_quotes_an_unknown_type_bounded():
    error = _lab_reject('{"type": "' + "x" * 5000 + '"}')
    assert error.code == "unknown_type"
    assert len(error.message) < 200


def test_a_lab_parser_names_the_field_that_is_wrong_or_unknown():
    error = _lab_reject('{"type": "go", "speed": 10}')
    assert (error.code, error.field) == ("invalid_message", "speed")
    assert error.message.startswith("go: speed: ")
    error = _lab_reject('{"type": "halt", "now": true}')
    assert (error.code, error.field, error.message) == ("invalid_message", "now", "halt: now: unknown field")


def test_a_lab_parser_keeps_the_envelopes_errors():
    assert _lab_reject("[1]").code == "invalid_message"
    assert _lab_reject("{").code == "invalid_json"
    assert _lab_reject("x" * (MAX_MESSAGE_BYTES + 1)).code == "too_large"


@pytest.mark.parametrize(
    ("parse", "kinds"),
    [
        (parse_image_message, ("start", "set_stack", "predict", "select_digit")),
        (parse_seq_message, ("start", "rollback", "viewer", "select_example")),
        (parse_gen_message, ("start", "half_step", "set_points", "decode", "encode")),
    ],
)
def test_each_labs_parser_lists_its_own_kinds(parse, kinds):
    with pytest.raises(ProtocolError) as caught:
        parse('{"type": "train"}')
    assert caught.value.code == "unknown_type"
    listed = caught.value.message.split("expected one of ")[1].split(", ")
    assert set(kinds) <= set(listed)
    assert parse('{"type": "ping"}').type == "ping"


@pytest.mark.parametrize(
    ("message", "words"),
    [
        ({"type": "predict", "pixels": [0] * 63}, "64 values (8x8), got 63"),
        ({"type": "predict", "pixels": [0] * 63 + [16.5]}, "pixel 63 is 16.5"),
        ({"type": "predict", "pixels": [True] + [0] * 63}, "pixel 0 is True"),
        ({"type": "encode", "pixels": ["8"] + [0] * 63}, "pixel 0 is '8'"),
        ({"type": "encode", "pixels": [-1] + [0] * 63}, "pixel 0 is -1"),
    ],
)
def test_a_drawn_digit_is_64_numbers_from_0_to_16_in_both_labs_that_take_one(message, words):
    parse = parse_image_message if message["type"] == "predict" else parse_gen_message
    with pytest.raises(ProtocolError) as caught:
        parse(json.dumps(message))
    assert (caught.value.code, caught.value.field) == ("invalid_message", "pixels")
    assert words in caught.value.message
    good = {"type": message["type"], "pixels": [0, 8, 16, 4.5] * 16}
    assert parse(json.dumps(good)).pixels == good["pixels"]
