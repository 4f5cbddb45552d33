"""Multi-class runs, losses, per-layer settings and batch norm over the real websocket."""

import httpx
import numpy as np
import pytest

from live import create_session, open_client

BLOBS = {"dataset": "blobs", "loss": "cross_entropy", "classes": 5}


def test_a_multiclass_session_streams_one_output_per_class_and_learns(base_url):
    session_id = create_session(base_url, BLOBS)
    with open_client(base_url, session_id) as client:
        data = client.wait_for(lambda m: m.get("type") == "data")
        assert data["classes"] == 5
        assert set(np.frombuffer(data["train_y"], np.float32).tolist()) == {0, 1, 2, 3, 4}
        first = client.frame()
        assert first["outputs"] == 5
        assert len(np.frombuffer(first["weights"][-1], np.float32)) == 2 * 5  # 2 neurons x 5 classes
        assert len(first["output_classes"]) == first["grid_size"] ** 2
        client.send({"type": "viewer", "visible": True, "insights": True})  # metrics are the insight views
        client.send({"type": "start"})
        late = client.frame(lambda f: (f["test_accuracy"] or 0) >= 0.95, timeout=60)
        classes = np.frombuffer(late["output_classes"], np.uint8)
        assert set(classes.tolist()) == {0, 1, 2, 3, 4}
        assert np.asarray(late["metrics"]["test"]["confusion_matrix"]).shape == (5, 5)
        assert late["test_loss"] < first["test_loss"]
        # per-class output weights are editable as the frame lays them out
        client.send({"type": "pause"})
        client.send({"type": "set_weight", "layer": 2, "source": 1, "target": 4, "value": 9.0})
        edited = client.frame(lambda f: np.frombuffer(f["weights"][-1], np.float32)[1 * 5 + 4] == 9.0)
        assert edited["outputs"] == 5


def test_drawing_a_point_on_multiclass_data_is_refused_and_nothing_changes(base_url):
    session_id = create_session(base_url, {"dataset": "blobs"})  # the loss follows the data
    with open_client(base_url, session_id) as client:
        client.wait_for(lambda m: m.get("type") == "data")
        client.send({"type": "add_point", "x1": 1.0, "x2": 1.0, "label": 1})
        error = client.error()
        assert error["field"] == "dataset" and "two classes" in error["message"]
        config = httpx.get(f"{base_url}/api/sessions/{session_id}").json()["config"]
        assert config["dataset"] == "blobs" and config["loss"] == "cross_entropy"


def test_binary_frames_carry_no_class_map(session):
    _, client = session
    frame = client.frame()
    assert frame["outputs"] == 1 and "output_classes" not in frame


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"dataset": "blobs", "loss": "square"}, "loss"),
        ({"loss": "huber"}, "loss"),
        ({"batch_norm": "on", "batch_size": 1}, "batch_size"),
        ({"layer_dropout": [1.0]}, "layer_dropout"),
        ({"layer_activations": "relu"}, "layer_activations"),
        ({"classes": 1}, "classes"),
    ],
)
def test_inconsistent_settings_get_an_error_and_the_session_keeps_its_state(session, changes, field):
    _, client = session
    client.send({"type": "start"})
    before = client.frame(lambda f: f["epoch"] > 0)
    client.send({"type": "configure", "changes": changes})
    error = client.error()
    assert error["field"] == field and error["message"]
    after = client.frame(lambda f: f["epoch"] > before["epoch"])  # still training, same net
    assert after["config_version"] == before["config_version"]


def test_per_layer_settings_and_batch_norm_are_applied_while_training(base_url):
    session_id = create_session(base_url, {"hidden_layers": [4, 4]})
    with open_client(base_url, session_id) as client:
        client.send({"type": "start"})
        client.frame(lambda f: f["epoch"] > 0)
        changes = {"layer_activations": ["relu", "tanh"], "layer_dropout": [0.0, 0.3], "batch_norm": "on"}
        client.send({"type": "configure", "changes": changes, "keep_weights": True})  # no fresh run
        client.frame(lambda f: f["epoch"] > 0 and f["config_version"] >= 2, timeout=60)
        config = httpx.get(f"{base_url}/api/sessions/{session_id}").json()["config"]
        assert config["layer_activations"] == ["relu", "tanh"]
        assert config["layer_dropout"] == [0.0, 0.3] and config["batch_norm"] == "on"
        # removing a layer cuts the per-layer lists to the layers left
        client.send({"type": "configure", "changes": {"hidden_layers": [4]}})
        client.frame(lambda f: f["layers"] == [4])
        config = httpx.get(f"{base_url}/api/sessions/{session_id}").json()["config"]
        assert config["layer_activations"] == ["relu"] and config["layer_dropout"] == [0.0]
