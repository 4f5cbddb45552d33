import httpx
import numpy as np
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from live import create_session, open_client, serve


def test_connect_sends_hello_data_and_a_first_frame(session):
    session_id, client = session
    hello = client.wait_for(lambda m: m["type"] == "hello")
    assert hello["session"] == session_id and hello["device"] and hello["config"]["dataset"] == "circle"
    data = client.wait_for(lambda m: m["type"] == "data")
    train_x = np.frombuffer(data["train_x"], np.float32).reshape(-1, 2)
    assert train_x.shape == (250, 2) and set(np.frombuffer(data["train_y"], np.float32)) == {-1.0, 1.0}
    frame = client.frame()
    assert frame["epoch"] == 0 and len(frame["output_grid"]) == 100 * 100
    assert len(frame["neuron_grids"]) == (4 + 2) * 10 * 10 and frame["layers"] == [4, 2]


def test_start_streams_frames_whose_loss_falls(session):
    _, client = session
    first = client.frame()
    client.send({"type": "start"})
    later = client.frame(lambda f: f["epoch"] >= 300, timeout=60)
    assert later["state"] == "training"
    assert later["test_loss"] < first["test_loss"] * 0.5
    assert later["train_accuracy"] > 0.9


def test_health_counts_the_training_calls_and_frames_a_run_makes(base_url, session):
    _, client = session
    before = httpx.get(base_url + "/api/health").json()["engine"]
    client.send({"type": "start"})
    client.frame(lambda f: f["epoch"] >= 200, timeout=60)
    after = httpx.get(base_url + "/api/health").json()["engine"]
    assert after["sessions"] >= 1
    assert after["chunks"] > before["chunks"] and after["training_calls"] > before["training_calls"]
    assert after["slots_run"] >= after["slots_used"] > before["slots_used"]
    made = after["frames_batched"] + after["frames_alone"]
    assert made > before["frames_batched"] + before["frames_alone"]
    assert after["compiles"] >= before["compiles"] >= 0


def test_pause_stops_training_and_step_advances_one_epoch(base_url, session):
    session_id, client = session
    client.send({"type": "start"})
    client.frame(lambda f: f["epoch"] > 0, timeout=60)
    client.send({"type": "pause"})
    client.wait_for(lambda m: m.get("type") == "status" and m["state"] == "paused")
    epoch = httpx.get(f"{base_url}/api/sessions/{session_id}").json()["epoch"]
    client.send({"type": "ping"})
    client.wait_for(lambda m: m.get("type") == "pong")
    assert httpx.get(f"{base_url}/api/sessions/{session_id}").json()["epoch"] == epoch
    client.send({"type": "step"})
    stepped = client.frame(lambda f: f["epoch"] != epoch)
    assert stepped["epoch"] == epoch + 1


def test_reset_returns_to_epoch_zero_and_the_initial_weights(session):
    _, client = session
    initial = client.frame()
    client.send({"type": "start"})
    client.frame(lambda f: f["epoch"] > 50, timeout=60)
    client.send({"type": "reset"})
    reset = client.frame(lambda f: f["epoch"] == 0)
    assert reset["weights"] == initial["weights"] and reset["test_loss"] == initial["test_loss"]


def test_configure_keeping_weights_applies_without_reset_and_reaches_every_client(base_url, session):
    session_id, client = session
    client.send({"type": "start"})
    client.frame(lambda f: f["epoch"] > 20, timeout=60)
    with open_client(base_url, session_id) as viewer:
        changes = {"learning_rate": 0.1, "hidden_layers": [5, 3, 2]}
        client.send({"type": "configure", "changes": changes, "keep_weights": True})
        for c in (client, viewer):
            update = c.wait_for(lambda m: m.get("type") == "config")
            assert update["config"]["learning_rate"] == 0.1 and update["config"]["hidden_layers"] == [5, 3, 2]
        frame = viewer.frame(lambda f: f["layers"] == [5, 3, 2])
        assert frame["epoch"] > 20  # training went on: no reset
        assert len(frame["weights"]) == 4
    assert httpx.get(f"{base_url}/api/sessions/{session_id}").json()["config"]["hidden_layers"] == [5, 3, 2]


def test_an_architecture_change_in_reference_mode_starts_a_fresh_run_and_says_why(base_url, session):
    _, client = session
    client.send({"type": "start"})
    client.frame(lambda f: f["epoch"] > 20, timeout=60)
    client.send({"type": "configure", "changes": {"hidden_layers": [3]}})
    update = client.wait_for(lambda m: m.get("type") == "config")
    status = client.wait_for(lambda m: m.get("type") == "status")
    assert update["fresh_run"] is True and update["reason"] == "new network: the architecture changed"
    assert (status["state"], status["epoch"], status["message"]) == ("paused", 0, update["reason"])
    frame = client.frame(lambda f: f["config_version"] == update["config_version"])
    assert frame["epoch"] == 0 and frame["layers"] == [3]


BAD_MESSAGES = [
    ("{not json", "invalid_json", None),
    ('["start"]', "invalid_message", "type"),
    ('{"type": "fly"}', "unknown_type", "type"),
    ('{"type": "configure"}', "invalid_message", "changes"),
    ('{"type": "configure", "changes": {"learning_rate": 50}}', "invalid_value", "learning_rate"),
    (
        '{"type": "configure", "changes": {"hidden_layers": [2,2,2,2,2,2,2,2,2]}}',
        "invalid_value",
        "hidden_layers",
    ),
    ('{"type": "configure", "changes": {"batch_size": 0}}', "invalid_value", "batch_size"),
    ('{"type": "configure", "changes": {"learning_rate": "fast"}}', "invalid_value", "learning_rate"),
    ('{"type": "configure", "changes": {"warp": 9}}', "invalid_value", "warp"),
    ('{"type": "configure", "changes": {"dataset": "plane"}}', "invalid_value", "dataset"),
    ("x" * 100_000, "too_large", None),
]


@pytest.mark.parametrize(("raw", "code", "field"), BAD_MESSAGES)
def test_bad_message_gets_an_error_and_the_session_lives_on(base_url, session, raw, code, field):
    session_id, client = session
    client.frame()
    before = httpx.get(f"{base_url}/api/sessions/{session_id}").json()
    client.send(raw)
    error = client.error()
    assert error["code"] == code and error["field"] == field and error["message"]
    client.send({"type": "step"})
    assert client.frame(lambda f: f["epoch"] == 1)["epoch"] == 1  # the connection and the session still work
    after = httpx.get(f"{base_url}/api/sessions/{session_id}").json()
    assert after["config"] == before["config"]


def test_range_errors_say_what_is_allowed(session):
    _, client = session
    client.send({"type": "configure", "changes": {"learning_rate": 50}})
    assert client.error()["message"] == "learning rate must be between 1e-05 and 10, got 50"
    client.send({"type": "configure", "changes": {"hidden_layers": [1] * 9}})
    assert "between 0 and 6" in client.error()["message"]


def test_divergence_is_reported_and_no_nan_is_sent(base_url):
    config = {"learning_rate": 10, "activation": "relu", "dataset": "plane", "problem": "regression"}
    session_id = create_session(base_url, config)
    with open_client(base_url, session_id) as client:
        client.send({"type": "start"})
        status = client.wait_for(lambda m: m.get("type") == "status" and m["state"] == "diverged", timeout=60)
        assert "diverged" in status["message"] and "learning rate 10" in status["message"].lower()
        frame = client.frame(lambda f: f["state"] == "diverged")
        assert frame["train_loss"] is None or np.isfinite(frame["train_loss"])
        weights = np.concatenate([np.frombuffer(w, np.float32) for w in frame["weights"]])
        assert np.all(np.isfinite(weights))
        summary = httpx.get(f"{base_url}/api/sessions/{session_id}")
        assert summary.json()["state"] == "diverged"
        # lowering the learning rate and playing again recovers from the last good weights
        client.send({"type": "configure", "changes": {"learning_rate": 0.01}})
        client.send({"type": "start"})
        client.wait_for(lambda m: m.get("type") == "status" and m["state"] == "training")


def test_reconnect_resumes_the_same_session_with_nothing_lost(base_url):
    session_id = create_session(base_url)
    with open_client(base_url, session_id) as client:
        client.send({"type": "configure", "changes": {"dataset": "xor", "hidden_layers": [6, 3]}})
        client.send({"type": "start"})
        client.frame(lambda f: f["epoch"] > 100 and f["layers"] == [6, 3], timeout=60)
        client.send({"type": "pause"})
        client.wait_for(lambda m: m.get("type") == "status" and m["state"] == "paused")
    epoch = httpx.get(f"{base_url}/api/sessions/{session_id}").json()["epoch"]
    with open_client(base_url, session_id) as again:
        hello = again.wait_for(lambda m: m["type"] == "hello")
        assert hello["epoch"] == epoch and hello["config"]["dataset"] == "xor"
        assert hello["config"]["hidden_layers"] == [6, 3]
        frame = again.frame()
        assert frame["epoch"] == epoch and frame["layers"] == [6, 3]


def test_unknown_session_closes_with_4404(base_url):
    with open_client(base_url, "nope") as client:
        assert client.error()["code"] == "not_found"
        with pytest.raises(ConnectionClosed) as closed:
            client.next()
    assert closed.value.rcvd.code == 4404


def test_cross_origin_websocket_is_refused(base_url):
    session_id = create_session(base_url)
    url = base_url.replace("http", "ws") + f"/ws/sessions/{session_id}"
    with pytest.raises(InvalidStatus) as refused:
        connect(url, origin="http://evil.example")
    assert refused.value.response.status_code == 403
    host = base_url.removeprefix("http://")
    with connect(url, origin=f"http://{host}") as ws:  # the page's own origin is fine
        assert ws.recv(timeout=10)


def test_frames_of_a_6x8_net_with_all_features_fit_in_20kb(base_url):
    config = {
        "dataset": "spiral",
        "hidden_layers": [8] * 6,
        "features": ["x1", "x2", "x1_sq", "x2_sq", "x1_x2", "sin_x1", "sin_x2"],
    }
    with open_client(base_url, create_session(base_url, config)) as client:
        client.send({"type": "step"})
        raw = None
        while raw is None:
            message = client.ws.recv(timeout=30)
            if isinstance(message, bytes) and b"frame" in message[:20] and b"epoch\x01" in message:
                raw = message
        assert len(raw) <= 20 * 1024


def test_token_is_required_when_configured():
    with serve(token="s3cret") as base:
        assert httpx.post(base + "/api/sessions", json={}).status_code == 401
        created = httpx.post(base + "/api/sessions?token=s3cret", json={})
        assert created.status_code == 201
        url = base.replace("http", "ws") + f"/ws/sessions/{created.json()['id']}"
        with pytest.raises(InvalidStatus):
            connect(url)
        with connect(url + "?token=s3cret") as ws:
            assert ws.recv(timeout=10)


def test_frames_carry_metrics_gradient_norms_and_histograms(session):
    _, client = session
    client.send({"type": "viewer", "visible": True, "insights": True})  # the insight views are open
    client.send({"type": "step"})
    frame = client.frame(lambda f: f["epoch"] == 1)
    assert set(frame["metrics"]) == {"train", "test"}
    assert 0 <= frame["metrics"]["test"]["roc_auc"] <= 1
    assert frame["learning_rate"] == 0.03 and len(frame["grad_norms"]) == 3
    assert [len(h["counts"]) for h in frame["weight_hist"]] == [20, 20, 20]
    assert len(frame["activation_hist"]) == 2
