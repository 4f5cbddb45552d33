"""Saved runs, comparisons and exports over the real API: a saved run reopens bitwise and continues as it
would have; a name in use is a 409 that loses nothing; exports of a live run retrain to its numbers."""

from __future__ import annotations

import io
import json
import os
import secrets
import subprocess
import sys

import httpx
import nbformat
import numpy as np

from live import create_session, open_client


def unique(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


def train_to(base: str, client, epoch: int) -> dict:
    """Train the client's run until it pauses at `epoch` (its stop rule); its summary then."""
    client.send({"type": "configure", "changes": {"stop_epoch": epoch}})
    client.send({"type": "start"})
    client.wait_for(
        lambda m: m.get("type") == "status" and m["state"] == "paused" and m["epoch"] == epoch, 120
    )
    return client


def summary(base: str, session_id: str) -> dict:
    return httpx.get(f"{base}/api/sessions/{session_id}").json()


def save(base: str, session_id: str, name: str, overwrite: bool = False) -> httpx.Response:
    return httpx.post(f"{base}/api/sessions/{session_id}/save", json={"name": name, "overwrite": overwrite})


def npz(base: str, path: str) -> dict[str, np.ndarray]:
    response = httpx.get(f"{base}{path}/export", params={"format": "npz"}, timeout=60)
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"].startswith("attachment;")
    data = np.load(io.BytesIO(response.content))
    return {key: data[key] for key in data.files}


def test_a_saved_run_reopens_bitwise_and_continues_exactly_as_the_run_it_was_saved_from(base_url):
    config = {"dataset": "xor", "hidden_layers": [5, 3], "optimizer": "adam", "learning_rate": 0.01}
    first = create_session(base_url, config)
    name = unique("xor-adam")
    with open_client(base_url, first) as a:
        train_to(base_url, a, 60)
        saved = save(base_url, first, name)
        assert saved.status_code == 201, saved.text
        assert saved.json()["epoch"] == 60
        reopened = httpx.post(f"{base_url}/api/runs/{name}/open")
        assert reopened.status_code == 201, reopened.text
        second = reopened.json()["id"]
        assert reopened.json()["epoch"] == 60 and second != first
        # the reopened run holds exactly the saved weights and optimizer state
        assert all(
            np.array_equal(v, npz(base_url, f"/api/runs/{name}")[k])
            for k, v in npz(base_url, f"/api/sessions/{second}").items()
        )
        with open_client(base_url, second) as b:
            train_to(base_url, a, 140)
            train_to(base_url, b, 140)
    one, other = npz(base_url, f"/api/sessions/{first}"), npz(base_url, f"/api/sessions/{second}")
    assert int(one["epoch"]) == int(other["epoch"]) == 140
    for key in one:
        assert np.array_equal(one[key], other[key]), key  # bit for bit
    assert summary(base_url, first)["test_loss"] == summary(base_url, second)["test_loss"]
    history = httpx.get(f"{base_url}/api/runs/{name}").json()["history"]
    assert history["epoch"][-1] == 60 and len(history["epoch"]) >= 2  # the curve it had drawn
    # ... which the reopened run's curve starts from, then goes on
    compared = httpx.post(f"{base_url}/api/compare", json={"runs": [{"session": second}, {"saved": name}]})
    curve = compared.json()["loss"]["data"][0]["x"]  # the reopened run's test loss by epoch
    assert curve[: len(history["epoch"])] == history["epoch"] and curve[-1] == 140


def test_a_name_in_use_gets_a_409_and_the_saved_run_is_kept_unless_overwrite_is_asked(base_url, session):
    session_id, client = session
    name = unique("same name")
    train_to(base_url, client, 10)
    assert save(base_url, session_id, name).status_code == 201
    train_to(base_url, client, 30)
    refused = save(base_url, session_id, name)
    assert refused.status_code == 409
    assert "already exists" in refused.json()["detail"] and "overwrite" in refused.json()["detail"]
    assert httpx.get(f"{base_url}/api/runs/{name}").json()["epoch"] == 10  # nothing lost
    assert summary(base_url, session_id)["epoch"] == 30  # nor the live run
    replaced = save(base_url, session_id, name, overwrite=True)
    assert replaced.status_code == 201 and replaced.json()["epoch"] == 30


def test_saved_runs_are_listed_newest_first_and_deleted_and_bad_names_are_refused(base_url, session):
    session_id, _ = session
    older, newer = unique("older"), unique("newer")
    assert save(base_url, session_id, older).status_code == 201
    assert save(base_url, session_id, newer).status_code == 201
    names = [run["name"] for run in httpx.get(f"{base_url}/api/runs").json()["runs"]]
    assert names.index(newer) < names.index(older)
    assert httpx.delete(f"{base_url}/api/runs/{older}").status_code == 204
    assert httpx.get(f"{base_url}/api/runs/{older}").status_code == 404
    assert httpx.delete(f"{base_url}/api/runs/{older}").status_code == 404
    assert httpx.post(f"{base_url}/api/runs/{older}/open").status_code == 404
    bad = save(base_url, session_id, "   ")
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "name"
    assert save(base_url, session_id, "x" * 300).status_code == 422
    assert summary(base_url, session_id)["state"] == "paused"  # the run is untouched by all of it


ISOLATED = """
import runpy, sys
class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("nnplay", "sklearn", "flax"):
            raise ImportError(f"the exported script imported {name}")
sys.meta_path.insert(0, Refuse())
runpy.run_path(sys.argv[1], run_name="__main__")
"""


def test_the_exported_script_of_a_live_run_retrains_to_its_final_test_loss(base_url, tmp_path):
    session_id = create_session(base_url, {"dataset": "circle", "hidden_layers": [4, 2]})
    with open_client(base_url, session_id) as client:
        train_to(base_url, client, 300)
    run = summary(base_url, session_id)
    response = httpx.get(
        f"{base_url}/api/sessions/{session_id}/export", params={"format": "script"}, timeout=60
    )
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/x-python")
    path = tmp_path / "run.py"
    path.write_bytes(response.content)
    env = {k: v for k, v in os.environ.items() if not k.startswith("JAX_COMPILATION_CACHE")}  # a person's
    command = [sys.executable, "-I", "-c", ISOLATED, str(path)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=240, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])  # one JSON line at the end
    assert got["epoch"] == 300
    assert abs(got["test_loss"] - run["test_loss"]) < 1e-5


def test_notebook_and_npz_exports_and_their_refusals(base_url, session):
    session_id, client = session
    train_to(base_url, client, 20)
    path = f"{base_url}/api/sessions/{session_id}/export"
    notebook = httpx.get(path, params={"format": "notebook"}, timeout=60)
    assert notebook.status_code == 200
    nbformat.validate(nbformat.reads(notebook.text, as_version=4))
    weights = npz(base_url, f"/api/sessions/{session_id}")
    assert weights["layer1_weights"].shape == (2, 4) and weights["layer3_weights"].shape == (2, 1)
    bad = httpx.get(path, params={"format": "pdf"})
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "format"
    images = httpx.post(f"{base_url}/api/images/sessions", json={"config": {}})
    assert images.status_code == 201, images.text
    refused = httpx.get(f"{base_url}/api/sessions/{images.json()['id']}/export", params={"format": "script"})
    assert refused.status_code == 422 and "playground" in refused.json()["detail"][0]["message"]
    assert httpx.get(f"{base_url}/api/sessions/nope/export").status_code == 404


def test_compare_a_saved_and_a_live_run_and_its_offline_report(base_url, session):
    session_id, client = session
    train_to(base_url, client, 40)
    name = unique("slow")
    assert save(base_url, session_id, name).status_code == 201
    client.send({"type": "configure", "changes": {"learning_rate": 0.3}})
    train_to(base_url, client, 80)
    runs = [{"saved": name}, {"session": session_id}]
    result = httpx.post(f"{base_url}/api/compare", json={"runs": runs}, timeout=60)
    assert result.status_code == 200, result.text
    body = result.json()
    assert [r["source"] for r in body["runs"]] == ["saved", "live"]
    assert [r["epoch"] for r in body["runs"]] == [40, 80]
    diff = {d["setting"]: d["values"] for d in body["config_diff"]}
    assert diff["learning_rate"] == [0.03, 0.3] and "speed" not in diff
    assert len(body["loss"]["data"]) == 4  # train and test of each run
    assert all(m["data"][0]["type"] == "heatmap" for m in body["maps"])
    assert all(len(c["data"][0]["z"]) == 2 for c in body["confusions"])  # 2 x 2: binary
    report = httpx.post(f"{base_url}/api/compare/report", json={"runs": runs}, timeout=60)
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/html")
    assert "Plotly.newPlot" in report.text and "<script src" not in report.text
    one = httpx.post(f"{base_url}/api/compare", json={"runs": runs[:1]})
    assert one.status_code == 422 and "2 to 4" in one.json()["detail"][0]["message"]
    assert httpx.post(f"{base_url}/api/compare", json={"runs": runs * 3}).status_code == 422
    assert httpx.post(f"{base_url}/api/compare", json={"runs": [{}, {}]}).status_code == 422
    assert (
        httpx.post(f"{base_url}/api/compare", json={"runs": [{"saved": "nope"}, runs[1]]}).status_code == 404
    )
