"""The run follows what the page shows, over real sockets: data changes reach the exact kernel, pause
reports the epoch it stopped at, empty data is refused, watchers cannot drive, fresh runs are said."""

from __future__ import annotations

import httpx
import pytest
from websockets.sync.client import connect

from live import Client, create_session, open_client


def _summary(base_url: str, session_id: str) -> dict:
    return httpx.get(f"{base_url}/api/sessions/{session_id}").json()


def _train_on_exact_kernel(base_url: str, client: Client, session_id: str) -> None:
    client.send({"type": "start"})
    client.frame(lambda f: f["epoch"] > 200, timeout=120)
    client.wait_for(
        lambda m: m.get("type") == "frame" and _summary(base_url, session_id)["kernel"] == "exact",
        timeout=120,
    )


@pytest.mark.parametrize("keep_weights", [True, False], ids=["continued", "fresh-run"])
def test_switching_circle_to_xor_while_training_learns_xor(base_url, keep_weights):
    """The reported bug: after circle -> xor the net kept learning the circle (45 % on xor)."""
    session_id = create_session(base_url, {"dataset": "circle", "hidden_layers": [8, 8]})
    with open_client(base_url, session_id) as client:
        _train_on_exact_kernel(base_url, client, session_id)
        client.send({"type": "configure", "changes": {"dataset": "xor"}, "keep_weights": keep_weights})
        update = client.wait_for(lambda m: m.get("type") == "config")
        assert update["fresh_run"] is (not keep_weights)
        client.send({"type": "start"})  # a fresh run starts paused, as TF Playground's does
        version = update["config_version"]
        frame = client.frame(lambda f: f["config_version"] >= version and f["epoch"] >= 0)
        start = frame["epoch"]
        late = client.frame(lambda f: f["epoch"] > start + 800, timeout=180)
        client.send({"type": "pause"})
    assert late["train_accuracy"] >= 0.9, late["train_accuracy"]
    assert _summary(base_url, session_id)["config"]["dataset"] == "xor"


def test_pause_reports_the_epoch_it_stopped_at_and_stays_there(base_url, session):
    session_id, client = session
    client.send({"type": "start"})
    client.frame(lambda f: f["epoch"] > 100, timeout=60)
    client.send({"type": "pause"})
    paused = client.wait_for(lambda m: m.get("type") == "status" and m["state"] == "paused")
    client.send({"type": "ping"})
    client.wait_for(lambda m: m.get("type") == "pong")
    assert _summary(base_url, session_id)["epoch"] == paused["epoch"]
    client.send({"type": "step"})
    stepped = client.wait_for(lambda m: m.get("type") == "status")
    assert (stepped["state"], stepped["epoch"]) == ("paused", paused["epoch"] + 1)


def test_own_data_after_clear_cannot_be_played_and_has_no_loss(base_url, session):
    session_id, client = session
    client.send({"type": "clear_points"})
    client.wait_for(lambda m: m.get("type") == "config" and m["config"]["dataset"] == "custom")
    for kind in ("start", "step"):
        client.send({"type": kind})
        error = client.error()
        assert error["code"] == "no_data" and "no training points" in error["message"]
    summary = _summary(base_url, session_id)
    assert summary["train_loss"] is None and summary["test_loss"] is None
    assert summary["epoch"] == 0 and summary["state"] == "paused"


def test_a_watch_link_streams_the_run_but_cannot_change_it(base_url, session):
    session_id, client = session
    watch_id = _summary(base_url, session_id)["watch_id"]
    assert watch_id and watch_id != session_id
    with connect(base_url.replace("http", "ws") + f"/ws/watch/{watch_id}") as ws:
        watcher = Client(ws)
        hello = watcher.wait_for(lambda m: m.get("type") == "hello")
        assert hello["read_only"] is True and "session" not in hello
        client.send({"type": "start"})
        watcher.frame(lambda f: f["epoch"] > 10, timeout=60)
        for message in ({"type": "pause"}, {"type": "configure", "changes": {"learning_rate": 1}}):
            watcher.send(message)
            assert watcher.error()["code"] == "read_only"
        watcher.send({"type": "viewer", "visible": False, "insights": False})
        watcher.send({"type": "ping"})
        watcher.wait_for(lambda m: m.get("type") == "pong")
    summary = _summary(base_url, session_id)
    assert summary["state"] == "training" and summary["config"]["learning_rate"] == 0.03
    client.send({"type": "pause"})


def test_an_unknown_watch_id_is_refused(base_url):
    with connect(base_url.replace("http", "ws") + "/ws/watch/nope") as ws:
        assert Client(ws).error()["code"] == "not_found"
