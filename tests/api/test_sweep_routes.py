"""Sweeps over REST and their progress websocket, against the real server: a sweep trains its runs and
says what each found; bad input gets a 4xx naming the problem and starts nothing; a sweep stops when
asked; a finished run opens as a playground session of one's own that continues it."""

from __future__ import annotations

import base64
import json
import time

import httpx
import numpy as np
from websockets.sync.client import connect

from live import Client, open_client
from rooms_client import create_room, open_socket

SMALL = {
    "base": {"dataset": "xor", "hidden_layers": [4]},
    "vary": [{"name": "learning_rate", "text": "0.01, 0.03"}],
    "seeds": "1-2",
    "epochs": 40,
}


def start(base_url: str, body: dict) -> dict:
    response = httpx.post(base_url + "/api/sweeps", json=body, timeout=60)
    assert response.status_code == 201, response.text
    return response.json()


def follow(
    base_url: str, sweep_id: str, until=lambda m: m["status"] == "done", timeout: float = 60
) -> list[dict]:
    """The sweep socket's messages until `until` holds for one."""
    messages = []
    url = base_url.replace("http", "ws") + f"/ws/sweeps/{sweep_id}"
    with connect(url) as ws:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            message = json.loads(ws.recv(timeout=deadline - time.monotonic()))
            messages.append(message)
            if until(message):
                return messages
    raise AssertionError(f"the sweep did not get there in {timeout} s: {messages[-1] if messages else None}")


def test_a_sweep_trains_its_runs_and_its_socket_reports_every_figure(base_url: str) -> None:
    first = start(base_url, SMALL)
    assert first["run_count"] == 4 and first["varied"] == ["learning_rate"] and first["seeds"] == [1, 2]
    messages = follow(base_url, first["id"])
    assert all(m["type"] == "sweep" for m in messages)
    last = messages[-1]
    assert last["finished_runs"] == 4 and last["wall_s"] > 0
    whole = httpx.get(base_url + f"/api/sweeps/{first['id']}").json()  # the whole view, over REST
    for run in whole["runs"]:
        assert run["state"] == "done" and run["epoch"] == 40
        assert 0 <= run["test_loss"] < 1.5 and run["test_accuracy"] is not None
        assert run["history"][-1][0] == 40 and run["history"][-1][2] == run["test_loss"]
        assert run["thumbnail"] and run["thumbnail_side"] == 20  # the final decision map
    assert len({run["test_loss"] for run in whole["runs"]}) == 4
    assert [g["runs"] for g in whole["groups"]] == [[0, 1], [2, 3]]
    assert whole["best_group"] in (0, 1)
    listed = httpx.get(base_url + "/api/sweeps").json()["sweeps"]
    assert first["id"] in [s["id"] for s in listed]
    # the offline HTML report: plotly inlined, the spread over seeds, the parallel coordinates, every run
    report = httpx.get(base_url + f"/api/sweeps/{first['id']}/report", timeout=60)
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/html")
    assert f'filename="nnplay-sweep-{first["id"]}.html"' in report.headers["content-disposition"]
    page = report.text
    assert "<script src" not in page and "Plotly.newPlot" in page and '"type": "parcoords"' in page
    assert "Each setting over its seeds" in page and page.count(" ± ") >= 2 and "(best)" in page
    assert all(f'"run {i} (learning_rate ' in page for i in range(4))  # every run's loss curve
    assert httpx.get(base_url + "/api/sweeps/nope/report").status_code == 404


def test_bad_sweeps_get_a_4xx_that_names_the_problem_and_start_nothing(base_url: str) -> None:
    before = httpx.get(base_url + "/api/health").json()["engine"]["sessions"]
    cases = [
        ({**SMALL, "vary": [{"name": "learning_rate", "text": ""}]}, "learning_rate", "is empty"),
        (
            {**SMALL, "vary": [{"name": "batch_size", "low": 1, "high": 25}], "seeds": "1-400"},
            "runs",
            "10,000",
        ),
        ({**SMALL, "seeds": []}, "seeds", "seeds are empty"),
        ({**SMALL, "lab": "cellular"}, "lab", "playground"),
        ({**SMALL, "lab": "generative"}, "hidden_layers", "unknown setting"),
        ({**SMALL, "lab": "images"}, "dataset", "unknown setting"),
        ({**SMALL, "base": {"dataset": "custom"}}, "dataset", "own points"),
        (
            {**SMALL, "vary": [{"name": "learning_rate", "values": [50]}]},
            "learning_rate",
            "between 1e-05 and 10",
        ),
    ]
    for body, field, words in cases:
        response = httpx.post(base_url + "/api/sweeps", json=body)
        assert response.status_code == 422, (body, response.text)
        detail = response.json()["detail"][0]
        assert detail["field"] == field and words in detail["message"], detail
    assert httpx.get(base_url + "/api/health").json()["engine"]["sessions"] == before
    assert httpx.get(base_url + "/api/sweeps/nope").status_code == 404


def test_a_stopped_sweep_pauses_every_run_where_it_is_and_keeps_its_figures(base_url: str) -> None:
    sweep = start(base_url, {**SMALL, "epochs": 100_000})
    follow(base_url, sweep["id"], until=lambda m: all(r["epoch"] > 0 for r in m["runs"]))
    stopped = httpx.post(base_url + f"/api/sweeps/{sweep['id']}/stop")
    assert stopped.status_code == 200
    last = follow(base_url, sweep["id"], until=lambda m: m["status"] == "stopped")[-1]
    assert all(r["state"] == "stopped" and 0 < r["epoch"] < 100_000 for r in last["runs"])
    whole = httpx.get(base_url + f"/api/sweeps/{sweep['id']}").json()
    assert all(r["test_loss"] is not None for r in whole["runs"])
    assert httpx.delete(base_url + f"/api/sweeps/{sweep['id']}").status_code == 204
    assert httpx.get(base_url + f"/api/sweeps/{sweep['id']}").status_code == 404


def test_opening_a_finished_run_continues_it_in_a_playground_session_of_ones_own(base_url: str) -> None:
    sweep = start(base_url, SMALL)
    whole = follow(base_url, sweep["id"])[-1]
    run = whole["runs"][3]
    opened = httpx.post(base_url + f"/api/sweeps/{sweep['id']}/runs/3/open")
    assert opened.status_code == 201, opened.text
    session_id = opened.json()["id"]
    summary = httpx.get(base_url + f"/api/sessions/{session_id}").json()
    assert summary["epoch"] == 40 and summary["state"] == "paused" and summary["lab"] == "playground"
    config = summary["config"]
    assert config["learning_rate"] == run["varied"]["learning_rate"] and config["seed"] == run["seed"]
    assert config["stop_epoch"] == 0  # it trains on past the sweep's epochs
    with open_client(base_url, session_id) as client:
        client: Client
        first = client.frame()
        assert first["epoch"] == 40 and first["test_loss"] == run["test_loss"]  # the sweep's weights
        client.send({"type": "configure", "changes": {"speed": 0}})
        client.send({"type": "start"})
        later = client.frame(lambda f: f["epoch"] > 60)
        assert later["epoch"] > 60
    assert httpx.post(base_url + f"/api/sweeps/{sweep['id']}/runs/9/open").status_code == 409


def test_a_sweep_of_the_sequence_lab_trains_its_models_and_a_run_opens_in_that_lab(base_url: str) -> None:
    body = {
        "lab": "sequences",
        "base": {"task": "parity_dense", "length": 6, "width": 8, "learning_rate": 0.03},
        "vary": [{"name": "model", "text": "rnn, gru"}],
        "seeds": "1",
        "epochs": 80,
    }
    sweep = start(base_url, body)
    assert sweep["lab"] == "sequences" and sweep["varied"] == ["model"]
    follow(base_url, sweep["id"], timeout=180)
    whole = httpx.get(base_url + f"/api/sweeps/{sweep['id']}").json()
    assert [r["varied"]["model"] for r in whole["runs"]] == ["rnn", "gru"]
    for run in whole["runs"]:  # an epoch is a step; the accuracy is the whole-sequence one
        assert run["state"] == "done" and run["epoch"] == 80
        assert run["test_loss"] is not None and 0 <= run["test_accuracy"] <= 1
        assert run["thumbnail"] and run["thumbnail_side"] == 20  # the hidden state, units x time
    report = httpx.get(base_url + f"/api/sweeps/{sweep['id']}/report")
    assert report.status_code == 200 and "sequences lab: 2 runs" in report.text
    assert "80 steps each" in report.text
    room = create_room(base_url)  # a playground room's challenge: a sequence sweep cannot meet it
    assert room.as_teacher("challenge", {}).status_code == 200
    entry = httpx.post(
        room.url("/enter-sweep"),
        json={"sweep_id": sweep["id"]},
        headers={"X-Member-Token": room.join("Ada")["member_token"]},
    )
    assert entry.status_code == 422 and "is of the sequences lab" in entry.text
    opened = httpx.post(base_url + f"/api/sweeps/{sweep['id']}/runs/1/open")
    assert opened.status_code == 201 and opened.json()["lab"] == "sequences"
    summary = httpx.get(base_url + f"/api/sequences/sessions/{opened.json()['id']}").json()
    assert summary["config"]["model"] == "gru" and summary["config"]["stop_epoch"] == 0
    assert summary["epoch"] == 80
    other = httpx.post(base_url + "/api/sweeps", json={**body, "lab": "cellular"})
    assert other.status_code == 422 and other.json()["detail"][0]["field"] == "lab", other.text
    playground_only = {**body, "vary": [{"name": "dataset", "text": "xor"}]}
    unknown = httpx.post(base_url + "/api/sweeps", json=playground_only)
    assert unknown.status_code == 422 and "unknown setting 'dataset'" in unknown.text


def test_a_sweep_of_the_image_lab_stops_its_runs_at_an_epochs_end_and_shows_their_confusion(
    base_url: str,
) -> None:
    body = {"lab": "images", "vary": [{"name": "batch_size", "text": "32, 64"}], "seeds": "1", "epochs": 1}
    sweep = start(base_url, body)
    follow(base_url, sweep["id"], timeout=180)
    whole = httpx.get(base_url + f"/api/sweeps/{sweep['id']}").json()
    assert [r["varied"]["batch_size"] for r in whole["runs"]] == [32, 64]
    for run in whole["runs"]:
        assert run["state"] == "done" and run["epoch"] == 1 and 0.5 < run["test_accuracy"] <= 1
        picture = np.frombuffer(base64.b64decode(run["thumbnail"]), np.uint8).reshape(20, 20)
        assert picture.diagonal().mean() > picture.mean()  # the confusion matrix: most on the diagonal
    opened = httpx.post(base_url + f"/api/sweeps/{sweep['id']}/runs/0/open")
    assert opened.status_code == 201 and opened.json()["lab"] == "images" and opened.json()["epoch"] == 1
    summary = httpx.get(base_url + f"/api/images/sessions/{opened.json()['id']}").json()
    assert summary["config"]["stop_epoch"] == 0 and summary["config"]["batch_size"] == 32
    schema = httpx.get(base_url + "/api/images/schema").json()
    assert "stop_epoch" in [s["name"] for s in schema["settings"]]


def test_a_teacher_shows_a_sweep_on_every_page_of_the_room(base_url: str) -> None:
    room = create_room(base_url)
    sweep = start(base_url, {**SMALL, "epochs": 5})
    with open_socket(base_url, f"/ws/rooms/{room.code}") as student_page:
        student_page.ws.recv(timeout=30)  # the room as it was
        shown = room.as_teacher("sweep", {"sweep_id": sweep["id"]})
        assert shown.status_code == 200, shown.text
        assert shown.json() == {
            "id": sweep["id"],
            "lab": "playground",
            "run_count": 4,
            "varied": ["learning_rate"],
            "epochs": 5,
        }
        while (message := json.loads(student_page.ws.recv(timeout=30)))["type"] != "room":
            pass
        assert message["sweep"]["id"] == sweep["id"]  # every page of the room hears of it
    assert httpx.get(room.url()).json()["sweep"]["id"] == sweep["id"]
    # only the teacher shows one; an unknown sweep is a 404; null shows none
    assert httpx.post(room.url("/sweep"), json={"sweep_id": sweep["id"]}).status_code in (401, 403)
    unknown = room.as_teacher("sweep", {"sweep_id": "nope"})
    assert unknown.status_code == 404 and "no sweep" in unknown.json()["detail"]
    assert room.as_teacher("sweep", {"sweep_id": None}).status_code == 200
    assert httpx.get(room.url()).json()["sweep"] is None


def test_a_student_enters_a_sweep_in_the_challenge_and_its_smallest_run_that_meets_it_ranks_them(
    base_url: str,
) -> None:
    room = create_room(base_url)
    ada = room.join("Ada")
    as_ada = {"X-Member-Token": ada["member_token"]}
    body = {
        "base": {"dataset": "circle", "learning_rate": 0.1},
        "vary": [{"name": "hidden_layers", "text": "1/3/6"}],
        "seeds": "1",
        "epochs": 300,
    }
    sweep = start(base_url, body)
    enter = room.url("/enter-sweep")
    early = httpx.post(enter, json={"sweep_id": sweep["id"]}, headers=as_ada)
    assert early.status_code == 409 and "no challenge" in early.json()["detail"]
    assert room.as_teacher("challenge", {"dataset": "gauss", "target_loss": 0.3}).status_code == 200
    other = httpx.post(enter, json={"sweep_id": sweep["id"]}, headers=as_ada)
    assert other.status_code == 422 and "trains on circle; the challenge is on gauss" in other.text
    assert room.as_teacher("challenge", {"dataset": "circle", "target_loss": 0.3}).status_code == 200
    assert httpx.post(enter, json={"sweep_id": sweep["id"]}).status_code in (401, 403)  # a member's only
    assert httpx.post(enter, json={"sweep_id": "nope"}, headers=as_ada).status_code == 404
    follow(base_url, sweep["id"])  # the sweep finishes: its runs' figures are final
    runs = httpx.get(base_url + f"/api/sweeps/{sweep['id']}").json()["runs"]
    met = sorted(sum(r["varied"]["hidden_layers"]) for r in runs if r["test_loss"] < 0.3)
    assert len(met) >= 2, [r["test_loss"] for r in runs]  # runs of more than one size meet the target
    with open_socket(base_url, f"/ws/rooms/{room.code}") as listener:
        listener.wait_for(lambda m: m.get("type") == "room")
        entered = httpx.post(enter, json={"sweep_id": sweep["id"]}, headers=as_ada)
        assert entered.status_code == 200 and entered.json()["entered"] == [sweep["id"]]
        seen = listener.wait_for(lambda m: m.get("type") == "room" and m["leaderboard"], timeout=10)
    entry = seen["leaderboard"][0]
    assert entry["name"] == "Ada" and entry["via"] == "sweep" and entry["neurons"] == met[0]
    assert entry["epoch"] == 300
    withdrawn = httpx.post(enter, json={"sweep_id": None}, headers=as_ada)
    assert withdrawn.json()["entered"] == []  # what was reached stays on the board


def test_a_sweep_of_gans_ranks_them_by_their_samples_distance_to_the_data_and_of_vaes_by_their_elbo(
    base_url: str,
) -> None:
    gans = {
        "lab": "generative",
        "base": {"generator_layers": [16, 16], "discriminator_layers": [16, 16]},
        "vary": [{"name": "generator_lr", "text": "0.0003, 0.003"}],
        "seeds": "1",
        "epochs": 60,
    }
    sweep = start(base_url, gans)
    assert sweep["unit"] == "step" and sweep["figures"]["test_loss"] == "JS divergence to the data (bits)"
    follow(base_url, sweep["id"], timeout=180)
    whole = httpx.get(base_url + f"/api/sweeps/{sweep['id']}").json()
    for run in whole["runs"]:  # a GAN's figures: its samples against the data
        assert run["state"] == "done" and run["epoch"] == 60
        assert (
            0 <= run["test_loss"] <= 1 and 0 <= run["test_accuracy"] <= 1 and 0 <= run["train_accuracy"] <= 1
        )
        assert run["thumbnail"] and run["thumbnail_side"] == 20  # where its samples lie
    nearest = min(whole["groups"], key=lambda g: g["test_loss"]["mean"])
    assert whole["best_group"] == nearest["group"]
    report = httpx.get(base_url + f"/api/sweeps/{sweep['id']}/report")
    assert "generative lab: 2 runs" in report.text and "60 steps each" in report.text
    assert "JS divergence to the data (bits) (mean ± std)" in report.text
    opened = httpx.post(base_url + f"/api/sweeps/{sweep['id']}/runs/1/open")
    assert opened.status_code == 201 and opened.json()["lab"] == "generative"
    summary = httpx.get(base_url + f"/api/generative/sessions/{opened.json()['id']}").json()
    assert summary["epoch"] == 60 and summary["config"]["generator_lr"] == 0.003
    assert summary["config"]["stop_epoch"] == 0
    vaes = {
        "lab": "generative",
        "base": {"model": "vae"},
        "vary": [{"name": "beta", "text": "0.5, 1"}],
        "epochs": 1,
    }
    sweep = start(base_url, vaes)
    assert sweep["unit"] == "epoch" and sweep["figures"]["test_loss"] == "−ELBO on test digits (nats)"
    follow(base_url, sweep["id"], timeout=180)
    for run in httpx.get(base_url + f"/api/sweeps/{sweep['id']}").json()["runs"]:
        assert run["state"] == "done" and run["epoch"] == 1
        assert run["test_loss"] > 1 and 0 <= run["test_accuracy"] <= 1  # nats per digit; the codes' 5-NN
    mixed = httpx.post(
        base_url + "/api/sweeps", json={**gans, "vary": [{"name": "model", "text": "gan, vae"}]}
    )
    assert mixed.status_code == 422 and mixed.json()["detail"][0]["field"] == "model"
    assert "sweep each in a sweep of its own" in mixed.text
    schema = httpx.get(base_url + "/api/generative/schema").json()
    assert "stop_epoch" in [s["name"] for s in schema["settings"]]
