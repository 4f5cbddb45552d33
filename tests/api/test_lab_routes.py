"""The routes every lab shares (api/routes/labs.py), on a real server: each lab makes its own sessions,
serves its schema, and its summary and socket find only its own sessions."""

from __future__ import annotations

import json

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

LABS = ("images", "sequences", "generative")


def _create(base: str, lab: str) -> str:
    response = httpx.post(f"{base}/api/{lab}/sessions", json={}, timeout=120)
    assert response.status_code == 201, response.text
    assert response.json()["config"]  # the lab's defaults, as its page shows them
    return str(response.json()["id"])


def _socket_answer(base: str, lab: str, session_id: str) -> tuple[dict, int | None]:
    """The first message the lab's socket sends for `session_id`, and the close code if it closes."""
    url = base.replace("http", "ws") + f"/ws/{lab}/{session_id}"
    with connect(url, open_timeout=30) as ws:
        first = json.loads(ws.recv(timeout=60))
        try:
            ws.recv(timeout=5)
        except ConnectionClosed as closed:
            return first, closed.rcvd.code if closed.rcvd else None
        except TimeoutError:
            pass
        return first, None


@pytest.fixture(scope="module")
def sessions(base_url: str) -> dict[str, str]:
    ids = {lab: _create(base_url, lab) for lab in LABS}
    ids["playground"] = httpx.post(f"{base_url}/api/sessions", json={}, timeout=60).json()["id"]
    return ids


@pytest.mark.parametrize("lab", LABS)
def test_a_lab_serves_its_schema_and_the_summary_of_its_own_sessions(base_url, sessions, lab):
    schema = httpx.get(f"{base_url}/api/{lab}/schema", timeout=30)
    assert schema.status_code == 200
    assert {row["name"] for row in schema.json()["settings"]} >= {"learning_rate", "seed"}
    summary = httpx.get(f"{base_url}/api/{lab}/sessions/{sessions[lab]}", timeout=30)
    assert summary.status_code == 200
    assert summary.json()["id"] == sessions[lab]


@pytest.mark.parametrize("lab", LABS)
def test_a_labs_summary_and_socket_do_not_find_another_labs_session(base_url, sessions, lab):
    others = [other for other in (*LABS, "playground") if other != lab]
    for other in others:
        assert httpx.get(f"{base_url}/api/{lab}/sessions/{sessions[other]}", timeout=30).status_code == 404
    first, code = _socket_answer(base_url, lab, sessions[others[0]])
    assert (first["type"], first["code"], code) == ("error", "not_found", 4404)
    assert "lab session" in first["message"]
    first, code = _socket_answer(base_url, lab, "no-such-session")
    assert (first["code"], code) == ("not_found", 4404)


@pytest.mark.parametrize("lab", LABS)
def test_a_labs_socket_drives_its_own_session(base_url, sessions, lab):
    first, code = _socket_answer(base_url, lab, sessions[lab])
    assert first["type"] == "hello" and code is None
    assert (first["session"], first["lab"]) == (sessions[lab], lab)


@pytest.mark.parametrize("lab", LABS)
def test_a_lab_refuses_bad_settings_naming_the_field(base_url, lab):
    response = httpx.post(f"{base_url}/api/{lab}/sessions", json={"config": {"no_such": 1}}, timeout=60)
    assert response.status_code == 422
    assert "no_such" in response.text
