"""The sequence lab over the real websocket: a Transformer learns to reverse; edits keep the weights;
typed sequences get predictions or clear errors; bad settings name their field."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

import httpx
import msgpack
import pytest
from websockets.sync.client import connect

from live import Client

MAX_FRAME_BYTES = 20 * 1024


def create_sequence_session(base: str, config: dict[str, Any] | None = None) -> httpx.Response:
    return httpx.post(base + "/api/sequences/sessions", json={"config": config or {}}, timeout=120)


@contextlib.contextmanager
def sequence_client(base: str, session_id: str) -> Iterator[Client]:
    with connect(base.replace("http", "ws") + f"/ws/sequences/{session_id}", max_size=2**22) as ws:
        yield Client(ws)


@pytest.fixture(scope="module")
def lab(base_url: str) -> Iterator[tuple[str, Client]]:
    response = create_sequence_session(base_url, {"speed": 0})
    assert response.status_code == 201, response.text
    session_id = response.json()["id"]
    with sequence_client(base_url, session_id) as client:
        yield session_id, client


def test_a_transformer_learns_to_reverse_over_the_websocket_with_its_views_in_each_frame(lab, base_url):
    session_id, client = lab
    hello = client.wait_for(lambda m: m.get("type") == "hello")
    assert hello["lab"] == "sequences" and hello["config"]["task"] == "reverse"
    assert hello["schema"]["tasks"]["adding"]["regression"] is True
    first = client.frame(timeout=180)  # the first frame waits for the compile
    assert first["test"]["sequence_accuracy"] < 0.5
    client.send({"type": "start"})
    frame = client.frame(lambda f: (f["test"]["sequence_accuracy"] or 0) >= 0.99, timeout=180)
    client.send({"type": "pause"})
    client.wait_for(lambda m: m.get("type") == "status" and m.get("state") == "paused")
    example = frame["example"]
    assert example["steps"] == 8 and len(example["tokens"]) == 8
    assert example["target"] == example["tokens"][::-1]  # reversal, answered in place
    assert frame["hidden"]["shape"] == [32, 8] and len(frame["hidden"]["data"]) == 32 * 8
    assert frame["attention"]["shape"] == [1, 2, 8, 8]
    assert len(frame["grad_through_time"]) == 8 and len(frame["connectivity"]) == 8
    summary = httpx.get(f"{base_url}/api/sequences/sessions/{session_id}").json()
    assert summary["lab"] == "sequences" and summary["test_sequence_accuracy"] >= 0.99
    assert summary["test_mse"] is None


def test_the_default_frame_is_at_most_20_kb(lab):
    _, client = lab
    client.send({"type": "step", "epochs": 1})
    while True:
        raw = client.ws.recv(timeout=60)
        if isinstance(raw, bytes) and msgpack.unpackb(raw).get("type") == "frame":
            break
    assert len(raw) <= MAX_FRAME_BYTES


def test_a_typed_sequence_gets_the_models_answer_token_by_token(lab):
    _, client = lab
    client.send({"type": "predict", "sequence": "0123 4567"})
    reply = client.wait_for(lambda m: m.get("type") == "prediction", timeout=60)
    assert reply["sequence"] == "01234567"
    assert reply["expected"] == list("76543210")
    assert len(reply["answer"]) == 8 and len(reply["confidence"]) == 8
    assert sum(reply["correct"]) >= 6  # the trained net reverses (nearly) any sequence


@pytest.mark.parametrize(
    ("sequence", "words"),
    [("01x3", "unknown token 'x' at position 3"), ("0" * 9, "too long: 9 tokens"), ("", "type a sequence")],
)
def test_a_bad_typed_sequence_gets_a_clear_error_and_the_session_goes_on(lab, sequence, words):
    _, client = lab
    client.send({"type": "predict", "sequence": sequence})
    error = client.wait_for(lambda m: m.get("type") == "error", timeout=30)
    assert error["field"] == "sequence" and words in error["message"]
    client.send({"type": "ping"})
    client.wait_for(lambda m: m.get("type") == "pong")


def test_a_width_and_length_edit_keeps_the_weights_and_compiles_nothing(lab, base_url):
    _, client = lab
    compiles = _settled_compiles(base_url)  # the bucket one up, compiled ahead in the background, is in
    client.send({"type": "select_example", "index": 1})  # a frame of the paused run, as it stands
    trained = client.frame(lambda f: f["example"]["index"] == 1, timeout=60)
    client.send({"type": "configure", "changes": {"width": 24, "length": 6}})
    config = client.wait_for(lambda m: m.get("type") == "config" and m["config"]["width"] == 24)
    assert not config.get("fresh_run")
    assert config["bucket"] == {"steps": 8, "width": 32, "layers": 1}
    frame = client.frame(lambda f: f["config_version"] >= config["config_version"], timeout=60)
    assert frame["hidden"]["shape"] == [24, 6] and frame["epoch"] == trained["epoch"]
    # back to the trained shape, without a step: the same weights reverse as well as before
    client.send({"type": "configure", "changes": {"width": 32, "length": 8}})
    config = client.wait_for(lambda m: m.get("type") == "config" and m["config"]["width"] == 32)
    frame = client.frame(lambda f: f["config_version"] >= config["config_version"], timeout=60)
    assert frame["epoch"] == trained["epoch"]
    assert frame["test"]["sequence_accuracy"] == trained["test"]["sequence_accuracy"]
    assert httpx.get(f"{base_url}/api/health").json()["engine"]["compiles"] == compiles


def test_a_wider_edit_while_training_trains_at_once_in_the_bucket_compiled_ahead(lab, base_url):
    session_id, client = lab
    _settled_compiles(base_url)  # the run's own bucket's neighbour (one up in steps, width, layers) is in
    client.send({"type": "start"})
    client.frame(lambda f: f["state"] == "training", timeout=60)
    client.send({"type": "configure", "changes": {"width": 48}})  # bucket 32 -> 64, never trained in
    states: list[str] = []

    def wider(m: dict[str, Any]) -> bool:
        if m.get("type") == "status":
            states.append(m["state"])
        return m.get("type") == "frame" and m["hidden"]["shape"][0] == 48 and m["state"] == "training"

    first = client.wait_for(wider, timeout=120)
    later = client.frame(lambda f: f["epoch"] > first["epoch"], timeout=60)  # it trains on, not waiting
    client.send({"type": "pause"})
    client.wait_for(lambda m: m.get("type") == "status" and m.get("state") == "paused")
    assert "compiling" not in states and later["hidden"]["shape"] == [48, 8]
    summary = httpx.get(f"{base_url}/api/sequences/sessions/{session_id}").json()
    assert summary["config"]["width"] == 48


def test_a_run_set_to_stop_at_a_step_pauses_there_and_says_so_in_steps(base_url):
    config = {"task": "parity_dense", "length": 6, "width": 8, "model": "gru", "speed": 0, "stop_epoch": 30}
    response = create_sequence_session(base_url, config)
    assert response.status_code == 201, response.text
    session_id = response.json()["id"]
    with sequence_client(base_url, session_id) as client:
        client.frame(timeout=180)
        client.send({"type": "start"})
        stopped = client.wait_for(
            lambda m: m.get("type") == "status" and "as set" in (m.get("message") or ""), timeout=180
        )
    assert stopped["state"] == "paused" and stopped["epoch"] == 30
    assert stopped["message"] == "stopped at step 30, as set (stop at step)"
    summary = httpx.get(f"{base_url}/api/sequences/sessions/{session_id}").json()
    assert summary["epoch"] == 30 and summary["config"]["stop_epoch"] == 30


def _settled_compiles(base_url: str) -> int:
    """The engine's compile count once no compile is in flight."""
    deadline = time.monotonic() + 300
    while (engine := httpx.get(f"{base_url}/api/health").json()["engine"])["compiles_in_flight"]:
        assert time.monotonic() < deadline, "a compile never finished"
        time.sleep(0.1)
    return int(engine["compiles"])


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"length": 40}, "length"),
        ({"width": 30, "heads": 4}, "width"),
        ({"task": "juggle"}, "task"),
        ({"learning_rate": 5}, "learning_rate"),
    ],
)
def test_bad_settings_name_their_field(lab, base_url, changes, field):
    _, client = lab
    client.send({"type": "configure", "changes": changes})
    error = client.wait_for(lambda m: m.get("type") == "error", timeout=30)
    assert error["field"] == field
    response = create_sequence_session(base_url, changes)
    assert response.status_code == 422
    assert field in response.text


def test_a_session_of_another_lab_is_not_a_sequence_session(base_url):
    response = httpx.post(base_url + "/api/sessions", json={}, timeout=60)
    playground_id = response.json()["id"]
    assert httpx.get(f"{base_url}/api/sequences/sessions/{playground_id}").status_code == 404


def test_a_side_by_side_run_trains_its_models_in_one_training_call_per_chunk(base_url):
    config = {"task": "parity_dense", "length": 6, "width": 8, "model": "rnn", "compare": ["gru", "lstm"]}
    response = create_sequence_session(base_url, config)
    assert response.status_code == 201, response.text
    session_id = response.json()["id"]
    with sequence_client(base_url, session_id) as client:
        hello = client.wait_for(lambda m: m.get("type") == "hello")
        assert hello["config"]["compare"] == ["gru", "lstm"]
        client.frame(timeout=180)
        client.send({"type": "step", "epochs": 5})
        frame = client.frame(lambda f: f["epoch"] == 5, timeout=180)
    assert [m["model"] for m in frame["members"]] == ["rnn", "gru", "lstm"]
    assert all(
        m["hidden"]["shape"] == [8, 6] and m["test"]["token_accuracy"] is not None for m in frame["members"]
    )
    # The three models are one run of the engine: its calls hold it alone (the count of calls per chunk on
    # an engine of its own is tests/unit/test_seq_group.py's; this server trains other tests' runs too).
    summary = httpx.get(f"{base_url}/api/sequences/sessions/{session_id}").json()
    assert summary["kernel"] == "side by side" and summary["batch_members"] == 1
    assert [m["model"] for m in summary["side_by_side"]] == ["rnn", "gru", "lstm"]
    response = create_sequence_session(base_url, {**config, "compare": ["rnn"]})
    assert response.status_code == 422 and "compare" in response.text
