"""The image lab over the real websocket: a CNN learns the digits; bad input gets errors."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from live import Client

MAX_FRAME_BYTES = 60 * 1024


def create_image_session(base: str, config: dict[str, Any] | None = None) -> httpx.Response:
    return httpx.post(base + "/api/images/sessions", json={"config": config or {}}, timeout=120)


@contextlib.contextmanager
def image_client(base: str, session_id: str) -> Iterator[Client]:
    with connect(base.replace("http", "ws") + f"/ws/images/{session_id}", max_size=2**22) as ws:
        yield Client(ws)


@pytest.fixture
def lab(base_url: str) -> Iterator[tuple[str, Client]]:
    response = create_image_session(base_url)
    assert response.status_code == 201, response.text
    session_id = response.json()["id"]
    with image_client(base_url, session_id) as client:
        yield session_id, client


def test_a_lab_session_learns_the_digits_over_the_websocket(lab):
    _, client = lab
    hello = client.wait_for(lambda m: m.get("type") == "hello")
    assert [layer["kind"] for layer in hello["architecture"]] == [
        "conv",
        "maxpool",
        "conv",
        "flatten",
        "output",
    ]
    assert hello["parameters"] == 80 + 1168 + 2570
    first = client.frame(timeout=120)  # the first frame waits for the compile
    assert first["epoch"] == 0
    client.send({"type": "start"})
    frame = client.frame(lambda f: f["epoch"] >= 4, timeout=120)
    client.send({"type": "pause"})
    assert frame["test_accuracy"] > 0.9 > first["test_accuracy"]
    assert len(frame["filters"]) == 2 and frame["filters"][0]["filters"] == 8
    assert len(frame["filters"][0]["data"]) == 8 * 1 * 3 * 3
    assert [m["shape"] for m in frame["feature_maps"]] == [[8, 8, 8], [4, 4, 8], [4, 4, 16], [256]]
    confusion = frame["confusion_matrix"]
    assert len(confusion) == 10 and all(len(row) == 10 for row in confusion)
    assert sum(map(sum, confusion)) == hello["n_test"]
    wrong = frame["misclassified"]
    assert wrong["count"] == hello["n_test"] - sum(confusion[c][c] for c in range(10))
    assert len(wrong["images"]) == 64 * len(wrong["predicted"])
    assert all(p != t for p, t in zip(wrong["predicted"], wrong["true"], strict=True))


def test_frames_stay_under_60_kb_with_the_largest_views(base_url):
    big = [
        {"kind": "conv", "filters": 16, "kernel": 5},
        {"kind": "conv", "filters": 16, "kernel": 5},
        {"kind": "batchnorm"},
        {"kind": "conv", "filters": 16, "kernel": 5},
        {"kind": "dense", "units": 128},
        {"kind": "dropout", "rate": 0.5},
        {"kind": "dense", "units": 128},
    ]
    response = create_image_session(base_url, {"layers": big})
    assert response.status_code == 201, response.text
    with image_client(base_url, response.json()["id"]) as client:
        client.send({"type": "step", "epochs": 1})
        raw = client.ws.recv(timeout=180)
        while not isinstance(raw, bytes):
            raw = client.ws.recv(timeout=180)
        assert len(raw) <= MAX_FRAME_BYTES


def test_predict_returns_probabilities_and_a_saliency_map(lab):
    _, client = lab
    client.frame(timeout=120)
    client.send({"type": "step", "epochs": 2})
    client.frame(lambda f: f["epoch"] == 2, timeout=60)
    one = [0] * 64
    for row in range(1, 7):
        one[row * 8 + 4] = 16
    client.send({"type": "predict", "pixels": one})
    reply = client.wait_for(lambda m: m.get("type") == "prediction")
    assert (reply["epoch"], reply["progress"]) == (2, 2.0)  # by the weights of the step's end
    assert abs(sum(reply["probabilities"]) - 1) < 1e-3
    assert reply["predicted"] == max(range(10), key=lambda c: reply["probabilities"][c])
    assert len(reply["saliency"]) == 64
    # gradient x input: zero wherever nothing was drawn
    assert all(s == 0 for s, p in zip(reply["saliency"], one, strict=True) if p == 0)
    assert any(s != 0 for s in reply["saliency"])


@pytest.mark.parametrize(
    ("message", "field", "fragment"),
    [
        ({"type": "set_stack", "layers": [{"kind": "maxpool"}] * 4}, "layers", "layer 4 (maxpool)"),
        (
            {"type": "set_stack", "layers": [{"kind": "conv", "kernel": 5, "padding": "valid"}] * 3},
            "layers",
            "layer 2 (conv): a 5x5 kernel with valid padding needs a map of at least 5x5, got 4x4",
        ),
        (
            {"type": "set_stack", "layers": [{"kind": "conv", "filters": 99}]},
            "layers",
            "filters must be between 1 and 16",
        ),
        ({"type": "set_stack", "layers": [{"kind": "lstm"}]}, "layers", "layer 1 (lstm): unknown kind"),
        (
            {"type": "configure", "changes": {"learning_rate": 5}},
            "learning_rate",
            "learning rate must be between",
        ),
        ({"type": "configure", "changes": {"optimizer": "lion"}}, "optimizer", "optimizer must be one of"),
        ({"type": "predict", "pixels": [0] * 63}, "pixels", "64 values"),
        ({"type": "predict", "pixels": [17] + [0] * 63}, "pixels", "pixel 0 is 17"),
        ({"type": "select_digit", "index": 100000}, "index", "a test digit"),
        ({"type": "warp"}, "type", "unknown message type"),
    ],
)
def test_bad_messages_get_an_error_naming_the_field_and_the_session_survives(lab, message, field, fragment):
    _, client = lab
    client.send(message)
    error = client.error()
    assert error["field"] == field
    assert fragment in error["message"]
    client.send({"type": "step", "epochs": 1})
    assert client.frame(lambda f: f["epoch"] == 1, timeout=120)["test_accuracy"] is not None


def test_a_new_architecture_compiles_and_trains_a_fresh_network(lab, base_url):
    session_id, client = lab
    client.frame(timeout=120)
    client.send({"type": "step", "epochs": 1})
    client.frame(lambda f: f["epoch"] == 1, timeout=60)
    client.send({"type": "set_stack", "layers": [{"kind": "flatten"}, {"kind": "dense", "units": 16}]})
    config = client.wait_for(lambda m: m.get("type") == "config")
    assert config["fresh_run"] is True and "architecture" in config["reason"]
    assert config["parameters"] == 65 * 16 + 17 * 10
    # the new network compiles in the background (Play meanwhile says "compiling"), then it trains
    client.send({"type": "start"})
    client.wait_for(lambda m: m.get("type") == "status" and m["state"] == "training", timeout=120)
    client.send({"type": "pause"})
    client.wait_for(lambda m: m.get("type") == "status" and m["state"] == "paused", timeout=60)
    client.send({"type": "reset"})
    client.send({"type": "step", "epochs": 2})
    frame = client.frame(
        lambda f: f["config_version"] == config["config_version"] and f["epoch"] == 2, timeout=120
    )
    assert frame["filters"] == [] and [m["shape"] for m in frame["feature_maps"]] == [[64], [16]]
    summary = httpx.get(f"{base_url}/api/images/sessions/{session_id}").json()
    assert summary["state"] == "paused" and summary["config"]["layers"][1]["units"] == 16


def test_create_rejects_a_bad_stack_with_the_layer_named(base_url):
    response = create_image_session(base_url, {"layers": [{"kind": "dense", "units": 0}]})
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["layer"] == 1 and "units must be between 1 and 128, got 0" in detail["message"]


def test_architecture_check_gives_shapes_up_to_the_first_error(base_url):
    stack = [{"kind": "conv", "stride": 2}, {"kind": "maxpool"}, {"kind": "maxpool"}, {"kind": "maxpool"}]
    body = httpx.post(base_url + "/api/images/architecture", json={"layers": stack}).json()
    assert body["valid"] is False
    assert [layer["shape"] for layer in body["layers"]] == [[4, 4, 8], [2, 2, 8], [1, 1, 8]]
    assert body["error"]["layer"] == 4
    assert body["error"]["message"] == "layer 4 (maxpool): a 2x2 pool needs a map of at least 2x2, got 1x1"


def test_edits_while_training_reach_the_next_frames_and_training_goes_on(lab, base_url):
    session_id, client = lab
    client.frame(timeout=120)
    client.send({"type": "start"})
    client.frame(lambda f: f["state"] == "training" and f["epoch"] >= 1, timeout=120)
    client.send({"type": "configure", "changes": {"learning_rate": 0.003, "augment_shift": True}})
    config = client.wait_for(lambda m: m.get("type") == "config")
    assert config["fresh_run"] is False and config["config"]["learning_rate"] == 0.003
    edited = client.frame(lambda f: f["config_version"] == config["config_version"], timeout=60)
    later = client.frame(lambda f: f["progress"] > edited["progress"], timeout=60)
    assert later["epoch"] >= edited["epoch"] >= 1  # same weights, training went on
    client.send({"type": "select_digit", "index": 7})
    assert client.frame(lambda f: f["digit"]["index"] == 7, timeout=60)["state"] == "training"
    client.send({"type": "set_stack", "layers": [{"kind": "conv", "filters": 3}, {"kind": "avgpool"}]})
    config = client.wait_for(lambda m: m.get("type") == "config")
    assert config["fresh_run"] is True
    frame = client.frame(lambda f: f["config_version"] == config["config_version"], timeout=120)
    assert frame["filters"][0]["filters"] == 3 and frame["progress"] == 0  # a fresh network, shown untrained
    client.frame(
        lambda f: f["config_version"] == config["config_version"] and f["progress"] > frame["progress"]
    )
    client.send({"type": "pause"})
    summary = httpx.get(f"{base_url}/api/images/sessions/{session_id}").json()
    assert summary["config"]["layers"] == [
        {"kind": "conv", "filters": 3, "kernel": 3, "stride": 1, "padding": "same", "activation": "relu"},
        {"kind": "avgpool"},
    ]
