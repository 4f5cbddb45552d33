"""The rules the page reads from /api/schema agree with what the server enforces."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from nnplay.client_messages import SetBias, SetWeight
from nnplay.schemas import ConfigError, make_config
from nnplay.settings import DATASETS, LOSSES, SETTINGS_BY_NAME, dataset_classes, schema

# One data set of each kind of labels, and the problem type that goes with it.
KINDS = {
    "binary": {"dataset": "circle", "problem": "classification"},
    "multi": {"dataset": "blobs", "problem": "classification"},
    "value": {"dataset": "plane", "problem": "regression"},
}


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("loss", LOSSES)
def test_served_losses_for_each_kind_of_labels_are_exactly_the_ones_the_server_accepts(kind, loss):
    allowed = schema()["losses_for"][kind]
    try:
        make_config(None, {**KINDS[kind], "loss": loss})
        accepted = True
    except ConfigError as error:
        assert error.field == "loss"
        accepted = False
    assert accepted == (loss in allowed)


def test_every_data_set_kind_has_its_losses_served():
    kinds = {dataset_classes(name) for name, _, problem in DATASETS if problem != "any"}
    assert kinds == set(schema()["losses_for"])


def test_served_max_edit_value_is_the_edge_of_what_set_weight_and_set_bias_accept():
    limit = schema()["max_edit_value"]
    for model, fields in (
        (SetWeight, {"layer": 0, "source": 0, "target": 0}),
        (SetBias, {"layer": 0, "neuron": 0}),
    ):
        kind = model.model_fields["type"].annotation.__args__[0]
        adapter = TypeAdapter(model)
        for value in (limit, -limit):
            adapter.validate_python({"type": kind, **fields, "value": value})
        for value in (limit * 1.001, -limit * 1.001):
            with pytest.raises(ValidationError):
                adapter.validate_python({"type": kind, **fields, "value": value})


def test_applies_when_names_real_settings_and_their_real_choices():
    for name, rule in schema()["applies_when"].items():
        assert name in SETTINGS_BY_NAME
        for other, values in rule.items():
            assert values, name
            assert set(values) <= set(SETTINGS_BY_NAME[other].choices), (name, other)


def test_page_defaults_are_valid_settings():
    defaults = schema()["page_defaults"]
    assert set(defaults) <= set(SETTINGS_BY_NAME)
    assert make_config(None, defaults).public()["speed"] == defaults["speed"]


# ---- the one rule for a change (fresh_run.FRESH_RUN_RULES) -----------------------------------------

NETWORK_CHANGES = [
    {"hidden_layers": [4]},
    {"features": ["x1"]},
    {"activation": "relu"},
    {"layer_activations": ["relu"]},
    {"batch_norm": "on"},
    {"loss": "cross_entropy"},
]
DATA_CHANGES = [
    {"dataset": "xor"},
    {"noise": 10},
    {"train_ratio": 60},
    {"seed": 9},
    {"problem": "regression"},
]
TRAINING_CHANGES = [
    {"learning_rate": 0.1},
    {"batch_size": 3},
    {"regularization": "l2"},
    {"regularization_rate": 0.01},
    {"optimizer": "adam"},
    {"schedule": "cosine"},
    {"dropout": 0.2},
    {"layer_dropout": [0.1]},
    {"speed": 5},
    {"stop_epoch": 500},
    {"init": "he"},
]


@pytest.mark.parametrize("changes", NETWORK_CHANGES + DATA_CHANGES, ids=str)
def test_a_change_of_the_data_or_the_network_starts_a_fresh_run_in_reference_mode(changes):
    from nnplay.fresh_run import fresh_run_reason

    old = make_config(None, {})
    changes = {**changes, **({"dataset": "plane"} if changes.get("problem") == "regression" else {})}
    reason = fresh_run_reason(old, make_config(old, changes))
    assert reason and reason.startswith(("new network", "new data", "new problem"))


@pytest.mark.parametrize("changes", TRAINING_CHANGES, ids=str)
def test_a_change_of_how_the_net_trains_keeps_the_weights(changes):
    from nnplay.fresh_run import fresh_run_reason

    old = make_config(None, {})
    assert fresh_run_reason(old, make_config(old, changes)) is None


def test_extended_mode_keeps_the_weights_for_every_change():
    from nnplay.fresh_run import fresh_run_reason

    old = make_config(None, {"mode": "extended"})
    for changes in NETWORK_CHANGES + DATA_CHANGES[:4]:
        assert fresh_run_reason(old, make_config(old, changes)) is None, changes


def test_the_served_rule_names_real_settings_and_covers_the_engines_data_fields():
    from nnplay.families.mlp.plan import DATA_FIELDS

    served = schema()["fresh_run"]
    names = [name for rule in served["rules"] for name in rule["settings"]]
    assert set(names) <= set(SETTINGS_BY_NAME) and len(names) == len(set(names))
    assert set(DATA_FIELDS) <= set(names)  # whatever changes the training data starts afresh
    assert served["modes"] == ["reference"]


def test_the_readme_states_the_same_rule_in_the_settings_words():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    start = readme.index("**One rule for a change.**")
    paragraph = readme[start : readme.index("\n", start)].lower()
    served = schema()["fresh_run"]
    for rule in served["rules"]:
        for name in rule["settings"]:
            assert SETTINGS_BY_NAME[name].label.lower() in paragraph, name
