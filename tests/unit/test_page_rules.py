"""The rules the page reads from /api/schema agree with what the server enforces."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from nnplay.schemas import ConfigError, SetBias, SetWeight, make_config
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
