"""Stop conditions, early stopping and rollback after divergence, over the real websocket."""

import httpx

from live import create_session, open_client


def paused_status(client, timeout=60):
    return client.wait_for(lambda m: m.get("type") == "status" and m["state"] == "paused", timeout)


def test_stop_at_epoch_pauses_exactly_there(base_url):
    session_id = create_session(base_url, {"stop_epoch": 777})
    with open_client(base_url, session_id) as client:
        client.send({"type": "start"})
        status = paused_status(client)
        assert "777" in status["message"]
        assert httpx.get(f"{base_url}/api/sessions/{session_id}").json()["epoch"] == 777
        client.send({"type": "start"})  # already there: says so and stays paused
        again = client.wait_for(lambda m: m.get("type") == "status" and "past the stop epoch" in m["message"])
        assert again["state"] == "paused"


def test_stop_at_loss_pauses_once_the_training_loss_is_reached(base_url):
    session_id = create_session(base_url, {"stop_loss": 0.01})
    with open_client(base_url, session_id) as client:
        client.send({"type": "start"})
        status = paused_status(client)
        assert "reached 0.01" in status["message"]
        summary = httpx.get(f"{base_url}/api/sessions/{session_id}").json()
        assert summary["train_loss"] <= 0.01


def test_early_stopping_returns_to_the_best_test_loss(base_url):
    # Few noisy points and a big net overfit: the test loss turns up after a while.
    config = {
        "dataset": "gauss",
        "noise": 50,
        "train_ratio": 10,
        "hidden_layers": [8, 8, 8],
        "features": ["x1", "x2", "x1_sq", "x2_sq", "x1_x2", "sin_x1", "sin_x2"],
        "early_stopping": "on",
        "patience": 300,
        "learning_rate": 0.1,
    }
    session_id = create_session(base_url, config)
    with open_client(base_url, session_id) as client:
        client.send({"type": "start"})
        status = paused_status(client, timeout=120)
        assert "early stopping" in status["message"]
        frame = client.frame(lambda f: f["state"] == "paused")
    summary = httpx.get(f"{base_url}/api/sessions/{session_id}").json()
    assert f"from epoch {summary['epoch']}" in status["message"]
    assert summary["test_loss"] == frame["test_loss"]


def test_rollback_after_divergence_restores_the_last_good_loss(base_url):
    session_id = create_session(
        base_url, {"dataset": "plane", "problem": "regression", "learning_rate": 0.01}
    )
    with open_client(base_url, session_id) as client:
        client.send({"type": "start"})
        good = client.frame(lambda f: f["epoch"] >= 50 and f["state"] == "training")
        # an activation change starts a fresh run unless the weights are kept: keep them, to diverge from them
        changes = {"learning_rate": 10, "activation": "relu"}
        client.send({"type": "configure", "changes": changes, "keep_weights": True})
        client.wait_for(lambda m: m.get("type") == "status" and m["state"] == "diverged", timeout=60)
        summary = httpx.get(f"{base_url}/api/sessions/{session_id}").json()
        client.send({"type": "rollback"})
        status = client.wait_for(lambda m: m.get("type") == "status" and "rolled back" in m["message"])
        restored = client.frame(lambda f: f["state"] == "paused")
    assert status["state"] == "paused"
    assert good["epoch"] <= restored["epoch"] <= summary["epoch"]
    assert restored["train_loss"] is not None and restored["train_loss"] < 0.5


def test_patience_zero_and_unknown_switch_values_are_rejected(base_url):
    response = httpx.post(base_url + "/api/sessions", json={"config": {"patience": 0}})
    assert response.status_code == 422 and response.json()["detail"][0]["field"] == "patience"
    response = httpx.post(base_url + "/api/sessions", json={"config": {"early_stopping": "maybe"}})
    assert response.status_code == 422 and "off, on" in response.json()["detail"][0]["message"]


def test_divergence_in_the_very_first_chunk_rolls_back_to_the_initial_weights(base_url):
    config = {"dataset": "plane", "problem": "regression", "learning_rate": 10, "activation": "relu"}
    session_id = create_session(base_url, config)
    with open_client(base_url, session_id) as client:
        initial = client.frame()
        client.send({"type": "start"})
        client.wait_for(lambda m: m.get("type") == "status" and m["state"] == "diverged", timeout=60)
        client.send({"type": "rollback"})
        status = client.wait_for(lambda m: m.get("type") == "status" and "rolled back" in m["message"])
        restored = client.frame(lambda f: f["state"] == "paused" and f["epoch"] == 0)
    assert "epoch 0" in status["message"]
    assert restored["weights"] == initial["weights"]


def test_an_empty_own_data_set_is_evaluated_without_error_but_not_trained(base_url):
    session_id = create_session(base_url, {"dataset": "custom"})
    with open_client(base_url, session_id) as client:
        client.send({"type": "viewer", "visible": True, "insights": True})  # the metrics are insight views
        frame = client.frame(lambda f: f["metrics"] is not None)
        assert frame["metrics"]["test"]["roc_auc"] is None and frame["train_loss"] is None
        client.send({"type": "step"})
        assert client.error()["code"] == "no_data"
        client.send({"type": "clear_points"})
        client.send({"type": "ping"})
        client.wait_for(lambda m: m.get("type") == "pong")
    summary = httpx.get(f"{base_url}/api/sessions/{session_id}").json()
    assert summary["state"] == "paused" and "error" not in summary["message"] and summary["epoch"] == 0
