"""Weight and bias edits, the speed setting and presets, over the real websocket."""

import time

import httpx
import numpy as np
import pytest

from nnplay.schemas import make_config

from live import create_session, open_client


def weights(frame, layer):
    columns = frame["layers"][layer] if layer < len(frame["layers"]) else 1
    return np.frombuffer(frame["weights"][layer], np.float32).reshape(-1, columns)


def test_set_weight_changes_that_weight_and_the_output_at_once(session):
    _, client = session
    before = client.frame()
    client.send({"type": "set_weight", "layer": 0, "source": 1, "target": 2, "value": 3.5})
    after = client.frame(lambda f: f["weights"] != before["weights"])
    w = weights(after, 0)
    assert w[1, 2] == np.float32(3.5)
    changed = w != weights(before, 0)
    assert changed.sum() == 1  # exactly that one weight
    assert after["output_grid"] != before["output_grid"] and after["epoch"] == before["epoch"]


def test_set_weight_on_the_output_layer_and_set_bias(session):
    _, client = session
    client.frame()
    client.send({"type": "set_weight", "layer": 2, "source": 1, "target": 0, "value": -2.0})
    client.send({"type": "set_bias", "layer": 0, "neuron": 3, "value": 1.25})
    client.send({"type": "set_bias", "layer": 2, "neuron": 0, "value": -0.5})

    def applied(f):
        bias0 = np.frombuffer(f["biases"][0], np.float32)
        out_bias = np.frombuffer(f["biases"][2], np.float32)
        return bias0[3] == np.float32(1.25) and out_bias[0] == np.float32(-0.5)

    frame = client.frame(applied)
    assert np.frombuffer(frame["weights"][2], np.float32)[1] == np.float32(-2.0)


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ({"type": "set_weight", "layer": 5, "source": 0, "target": 0, "value": 1}, "layer"),
        ({"type": "set_weight", "layer": 0, "source": 2, "target": 0, "value": 1}, "source"),
        ({"type": "set_weight", "layer": 1, "source": 0, "target": 2, "value": 1}, "target"),
        ({"type": "set_weight", "layer": 0, "source": 0, "target": 0, "value": 1000}, "value"),
        ({"type": "set_bias", "layer": 1, "neuron": 7, "value": 1}, "neuron"),
        ({"type": "set_bias", "layer": 0, "neuron": 0, "value": "big"}, "value"),
    ],
)
def test_bad_weight_edits_name_the_field(session, message, field):
    _, client = session
    first = client.frame()
    client.send(message)
    error = client.error()
    assert error["field"] == field and error["message"]
    client.send({"type": "step"})
    frame = client.frame(lambda f: f["epoch"] == 1)
    assert frame["layers"] == first["layers"]


def test_speed_caps_epochs_per_frame(base_url):
    session_id = create_session(base_url, {"speed": 2})
    with open_client(base_url, session_id) as client:
        client.send({"type": "start"})
        epochs = []
        started = time.monotonic()
        while len(epochs) < 30:
            epochs.append(client.frame(lambda f: f["state"] == "training")["epoch"])
        elapsed = time.monotonic() - started
        client.send({"type": "pause"})
    steps = np.diff(epochs)
    assert steps.max() <= 2 and steps.min() >= 1
    assert elapsed >= 29 / 60 * 0.9  # paced at no more than 60 frames per second


def test_every_preset_is_a_valid_config(base_url):
    presets = httpx.get(base_url + "/api/schema").json()["presets"]
    assert {p["name"] for p in presets} >= {"xor-hidden-layer", "spiral-raw", "overfitting"}
    for preset in presets:
        assert preset["label"] and preset["description"]
        make_config(None, preset["config"])
