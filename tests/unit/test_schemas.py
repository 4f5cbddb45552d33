"""The settings table and TrainConfig: defaults, validation messages a person can act on, schema()."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from nnplay.schemas import ConfigError, TrainConfig, make_config
from nnplay.settings import SETTINGS, schema

# TF Playground's defaults, as documented in docs/protocol.md.
DOCUMENTED_DEFAULTS = {
    "dataset": "circle",
    "problem": "classification",
    "classes": 3,
    "noise": 0,
    "train_ratio": 50,
    "batch_size": 10,
    "learning_rate": 0.03,
    "activation": "tanh",
    "regularization": "none",
    "regularization_rate": 0.0,
    "loss": "square",
    "layer_activations": [],
    "layer_dropout": [],
    "batch_norm": "off",
    "shuffle": "off",
    "features": ["x1", "x2"],
    "hidden_layers": [4, 2],
    "mode": "reference",
    "optimizer": "sgd",
    "momentum": 0.9,
    "weight_decay": 0.0,
    "schedule": "constant",
    "schedule_epochs": 1000,
    "schedule_factor": 0.5,
    "init": "uniform",
    "dropout": 0.0,
    "speed": 0,
    "stop_epoch": 0,
    "stop_loss": 0.0,
    "early_stopping": "off",
    "patience": 200,
    "seed": 1,
}


def _rejected(changes, base=None):
    with pytest.raises(ConfigError) as info:
        make_config(base, changes)
    return info.value


# ---- defaults -----------------------------------------------------------------------------


def test_default_config_equals_the_settings_table_defaults():
    table = {s.name: s.default for s in SETTINGS}
    assert TrainConfig().public() == table


def test_settings_table_defaults_are_the_documented_ones():
    assert {s.name: s.default for s in SETTINGS} == DOCUMENTED_DEFAULTS


def test_make_config_without_changes_gives_the_defaults():
    assert make_config().public() == DOCUMENTED_DEFAULTS
    assert make_config(None, {}) == TrainConfig()


def test_list_settings_are_stored_as_tuples():
    config = make_config()
    assert config.features == ("x1", "x2")
    assert config.hidden_layers == (4, 2)


# ---- accepted changes ---------------------------------------------------------------------


def test_make_config_applies_changes_on_top_of_a_base_without_touching_it():
    base = make_config(None, {"learning_rate": 0.1, "noise": 20})
    edited = make_config(base, {"hidden_layers": [3]})
    assert edited.learning_rate == 0.1
    assert edited.noise == 20
    assert edited.hidden_layers == (3,)
    assert base.hidden_layers == (4, 2)


def test_features_come_back_in_canonical_order():
    config = make_config(None, {"features": ["sin_x2", "x1_x2", "x1"]})
    assert config.features == ("x1", "x1_x2", "sin_x2")
    assert config == make_config(None, {"features": ["x1", "sin_x2", "x1_x2"]})


def test_extended_mode_allows_10_layers_of_32_neurons():
    config = make_config(None, {"mode": "extended", "hidden_layers": [32] * 10})
    assert config.hidden_layers == (32,) * 10


def test_zero_hidden_layers_is_allowed():
    assert make_config(None, {"hidden_layers": []}).hidden_layers == ()


def test_a_regression_data_set_with_problem_regression_is_accepted():
    config = make_config(None, {"dataset": "plane", "problem": "regression"})
    assert (config.dataset, config.problem) == ("plane", "regression")


@pytest.mark.parametrize(("name", "value"), [("learning_rate", 1e-5), ("learning_rate", 10), ("noise", 50)])
def test_range_bounds_are_inclusive(name, value):
    assert getattr(make_config(None, {name: value}), name) == value


def test_train_config_is_frozen():
    config = make_config()
    with pytest.raises(ValidationError):
        config.noise = 10
    assert config.noise == 0


# ---- rejected changes ---------------------------------------------------------------------


def test_learning_rate_50_is_rejected_naming_the_field_and_range():
    error = _rejected({"learning_rate": 50})
    assert isinstance(error, ValueError)
    assert error.field == "learning_rate"
    assert "between 1e-05 and 10" in error.message
    assert "50" in error.message
    assert str(error) == error.message


def test_batch_size_0_is_rejected():
    error = _rejected({"batch_size": 0})
    assert error.field == "batch_size"
    assert "between 1 and 30" in error.message
    assert "got 0" in error.message


def test_noise_60_is_rejected():
    error = _rejected({"noise": 60})
    assert error.field == "noise"
    assert "between 0 and 50" in error.message
    assert "60" in error.message


def test_train_ratio_95_is_rejected():
    error = _rejected({"train_ratio": 95})
    assert error.field == "train_ratio"
    assert "between 10 and 90" in error.message


def test_seed_out_of_range_message_names_the_exact_maximum():
    error = _rejected({"seed": 2**31})
    assert error.field == "seed"
    assert "between 0 and 2147483647" in error.message
    assert "2147483648" in error.message


def test_a_string_for_a_number_is_rejected():
    error = _rejected({"learning_rate": "fast"})
    assert error.field == "learning_rate"
    assert "fast" in error.message
    assert "between 1e-05 and 10" in error.message


def test_an_unknown_choice_is_rejected_listing_the_choices():
    error = _rejected({"activation": "softmax"})
    assert error.field == "activation"
    assert "softmax" in error.message
    for name in ("relu", "tanh", "sigmoid", "linear"):
        assert name in error.message


def test_9_hidden_layers_are_rejected_in_reference_mode():
    error = _rejected({"hidden_layers": [2] * 9})
    assert error.field == "hidden_layers"
    assert "6" in error.message
    assert "9" in error.message
    assert "reference" in error.message


def test_9_neurons_are_rejected_in_reference_mode():
    error = _rejected({"hidden_layers": [4, 9]})
    assert error.field == "hidden_layers"
    assert "8" in error.message
    assert "9" in error.message


def test_13_hidden_layers_are_rejected_in_extended_mode():
    error = _rejected({"mode": "extended", "hidden_layers": [2] * 13})
    assert error.field == "hidden_layers"
    assert "12" in error.message


def test_a_layer_with_zero_neurons_is_rejected():
    assert _rejected({"hidden_layers": [4, 0]}).field == "hidden_layers"


def test_an_unknown_feature_is_rejected():
    error = _rejected({"features": ["x1", "x3"]})
    assert error.field == "features"
    assert "x3" in error.message


def test_empty_features_are_rejected():
    error = _rejected({"features": []})
    assert error.field == "features"
    assert "at least one" in error.message


def test_a_feature_listed_twice_is_rejected():
    assert _rejected({"features": ["x1", "x1"]}).field == "features"


def test_a_regression_data_set_with_problem_classification_is_rejected_on_dataset():
    error = _rejected({"dataset": "plane"})
    assert error.field == "dataset"
    assert "plane" in error.message
    assert "regression" in error.message


def test_a_classification_data_set_with_problem_regression_is_rejected_on_dataset():
    assert _rejected({"problem": "regression"}).field == "dataset"


def test_an_unknown_setting_is_rejected_naming_it():
    error = _rejected({"colour": "red"})
    assert error.field == "colour"
    assert "colour" in error.message
    assert "unknown setting" in error.message


def test_a_rejected_change_on_a_base_names_the_field():
    base = make_config(None, {"mode": "extended", "hidden_layers": [16, 16]})
    error = _rejected({"mode": "reference"}, base=base)
    assert error.field == "hidden_layers"
    assert "8" in error.message


# ---- schema() -----------------------------------------------------------------------------


def test_schema_lists_every_setting_with_url_key_and_help():
    rows = {row["name"]: row for row in schema()["settings"]}
    assert set(rows) == set(DOCUMENTED_DEFAULTS)
    for name, row in rows.items():
        assert row["url_key"], name
        assert row["help"], name
        assert row["label"], name
        assert row["default"] == DOCUMENTED_DEFAULTS[name]
    url_keys = [row["url_key"] for row in rows.values()]
    assert len(set(url_keys)) == len(url_keys)


def test_schema_settings_carry_tf_playground_url_keys():
    rows = {row["name"]: row for row in schema()["settings"]}
    assert rows["learning_rate"]["url_key"] == "learningRate"
    assert rows["batch_size"]["url_key"] == "batchSize"
    assert rows["train_ratio"]["url_key"] == "percTrainData"
    assert rows["hidden_layers"]["url_key"] == "networkShape"


def test_schema_numeric_settings_carry_their_ranges():
    rows = {row["name"]: row for row in schema()["settings"]}
    assert (rows["noise"]["min"], rows["noise"]["max"], rows["noise"]["step"]) == (0, 50, 5)
    assert (rows["learning_rate"]["min"], rows["learning_rate"]["max"]) == (1e-5, 10)
    assert rows["activation"]["choices"][:4] == ["relu", "tanh", "sigmoid", "linear"]
    assert set(rows["activation"]["choices"][4:]) == {"leaky_relu", "elu", "gelu", "swish", "softplus"}


def test_schema_has_datasets_limits_features_and_grid():
    result = schema()
    assert result["datasets"] == [
        {"name": "circle", "label": "Circle", "problem": "classification", "classes": "binary"},
        {"name": "xor", "label": "Exclusive or", "problem": "classification", "classes": "binary"},
        {"name": "gauss", "label": "Gaussian", "problem": "classification", "classes": "binary"},
        {"name": "spiral", "label": "Spiral", "problem": "classification", "classes": "binary"},
        {"name": "moons", "label": "Moons", "problem": "classification", "classes": "binary"},
        {"name": "checkerboard", "label": "Checkerboard", "problem": "classification", "classes": "binary"},
        {"name": "blobs", "label": "Blobs", "problem": "classification", "classes": "multi"},
        {"name": "spirals", "label": "Spirals", "problem": "classification", "classes": "multi"},
        {"name": "plane", "label": "Plane", "problem": "regression", "classes": "value"},
        {"name": "multigauss", "label": "Multi Gaussian", "problem": "regression", "classes": "value"},
        {"name": "custom", "label": "Your own data", "problem": "any", "classes": "binary"},
    ]
    assert result["limits"] == {
        "reference": {"max_layers": 6, "max_neurons": 8},
        "extended": {"max_layers": 12, "max_neurons": 64},
    }
    assert [f["name"] for f in result["features"]] == [
        "x1",
        "x2",
        "x1_sq",
        "x2_sq",
        "x1_x2",
        "sin_x1",
        "sin_x2",
    ]
    assert result["grid"] == {
        "size": 100,
        "neuron_size": 10,
        "domain": [-6.0, 6.0],
        "value_range": [-1.0, 1.0],
    }


def test_schema_is_json_serialisable():
    assert json.loads(json.dumps(schema())) == schema()


def test_every_choice_list_typed_as_a_literal_is_the_settings_tables():
    """The Literal types of TrainConfig and the settings table must never drift apart."""
    import typing

    from nnplay.schemas import TrainConfig
    from nnplay.settings import SETTINGS

    by_name = {s.name: s for s in SETTINGS}
    checked = 0
    for name, info in TrainConfig.model_fields.items():
        if typing.get_origin(info.annotation) is typing.Literal:
            assert set(typing.get_args(info.annotation)) == set(by_name[name].choices), name
            checked += 1
    assert checked >= 10
