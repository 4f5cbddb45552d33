"""A localhost server closed to other web pages: Host, Origin, token, body limit and rate limits, each
against a real server over real sockets."""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, WebSocketRoute
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from nnplay.app import create_app
from nnplay.config import ServerSettings

from live import Client, create_session, open_client, serve


def ws_url(base: str, path: str) -> str:
    return base.replace("http", "ws", 1) + path


def connect_as_host(base: str, path: str, host: str, **kwargs: object):
    """A websocket handshake that names `host` but reaches this server: what DNS rebinding does."""
    port = urlsplit(base).port
    sock = socket.create_connection(("127.0.0.1", port))
    return connect(f"ws://{host}:{port}{path}", sock=sock, **kwargs)


# ---- Host (DNS rebinding) ---------------------------------------------------------------------


def test_a_foreign_host_is_refused_over_http(base_url):
    for method, path in (("GET", "/api/health"), ("POST", "/api/sessions"), ("GET", "/")):
        response = httpx.request(method, base_url + path, headers={"Host": "evil.example"}, json={})
        assert response.status_code == 400, (method, path)
        assert "host" in response.text.lower()


def test_a_foreign_host_is_refused_on_websockets(base_url):
    session_id = create_session(base_url)
    with pytest.raises(InvalidStatus) as refused:
        connect_as_host(base_url, f"/ws/sessions/{session_id}", "evil.example")
    assert refused.value.response.status_code == 400
    with connect_as_host(base_url, f"/ws/sessions/{session_id}", "localhost") as ws:  # loopback is fine
        assert ws.recv(timeout=10)


def test_loopback_names_and_allowed_hosts_are_served():
    with serve(allowed_hosts=("nnplay.lan",)) as base:
        port = urlsplit(base).port
        for host in ("127.0.0.1", "localhost", "[::1]", "nnplay.lan", "NNPLAY.LAN"):
            response = httpx.get(base + "/api/health", headers={"Host": f"{host}:{port}"})
            assert response.status_code == 200, host
        assert httpx.get(base + "/api/health", headers={"Host": "nnplay.lan.evil.example"}).status_code == 400


# ---- Origin (other web pages) -----------------------------------------------------------------


def test_cross_origin_state_changes_are_refused_with_403(base_url):
    session_id = create_session(base_url)
    evil = {"Origin": "http://evil.example"}
    created = httpx.post(base_url + "/api/sessions", json={}, headers=evil)
    assert created.status_code == 403
    assert (
        "http://evil.example" in created.json()["detail"]
        and "NNPLAY_ALLOWED_ORIGINS" in created.json()["detail"]
    )
    deleted = httpx.delete(f"{base_url}/api/sessions/{session_id}", headers=evil)
    assert deleted.status_code == 403
    uploaded = httpx.post(
        f"{base_url}/api/sessions/{session_id}/points", content="x1,x2,label\n1,1,1\n", headers=evil
    )
    assert uploaded.status_code == 403
    null_origin = httpx.post(base_url + "/api/sessions", json={}, headers={"Origin": "null"})
    assert null_origin.status_code == 403  # sandboxed frames and file:// pages are foreign too
    # nothing happened: the session is still there, with its own data
    summary = httpx.get(f"{base_url}/api/sessions/{session_id}", headers=evil)  # reading is not refused
    assert summary.status_code == 200 and summary.json()["config"]["dataset"] == "circle"


def test_the_pages_own_origin_and_allowed_origins_may_change_state():
    with serve(allowed_origins=("http://teacher.example",)) as base:
        own = httpx.post(base + "/api/sessions", json={}, headers={"Origin": base})
        assert own.status_code == 201
        listed = httpx.post(base + "/api/sessions", json={}, headers={"Origin": "http://teacher.example"})
        assert listed.status_code == 201
        other_port = base.rsplit(":", 1)[0] + ":1"  # same host, other port: another origin
        assert httpx.post(base + "/api/sessions", json={}, headers={"Origin": other_port}).status_code == 403
        deleted = httpx.delete(f"{base}/api/sessions/{own.json()['id']}", headers={"Origin": base})
        assert deleted.status_code == 204


# ---- body limit --------------------------------------------------------------------------------


def chunks(total: int, size: int = 16 * 1024) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        piece = min(size, total - sent)
        sent += piece
        yield b"1" * piece


def test_a_chunked_oversized_upload_gets_413(base_url):
    session_id = create_session(base_url)
    response = httpx.post(f"{base_url}/api/sessions/{session_id}/points", content=chunks(2_000_000))
    assert response.request.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in response.request.headers
    assert response.status_code == 413
    assert "the limit is 307200 bytes" in response.json()["detail"]
    assert httpx.get(f"{base_url}/api/sessions/{session_id}").json()["config"]["dataset"] == "circle"


def test_a_chunked_upload_within_the_limit_still_arrives_whole(base_url):
    session_id = create_session(base_url)
    rows = "".join(f"{x / 10:.3f},{(-1) ** x * 0.5:.3f},{1 if x % 2 else -1}\n" for x in range(40))
    body = ("x1,x2,label\n" + rows).encode()

    def pieces() -> Iterator[bytes]:
        for start in range(0, len(body), 7):
            yield body[start : start + 7]

    response = httpx.post(f"{base_url}/api/sessions/{session_id}/points", content=pieces())
    assert response.request.headers.get("transfer-encoding") == "chunked"
    assert response.status_code == 200 and response.json()["points"] == 40


# ---- token -------------------------------------------------------------------------------------


def flatten(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, BaseRoute]]:
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:  # FastAPI keeps an included router as one route that holds its routes
            yield from flatten(inner.routes, prefix + route.include_context.prefix)  # type: ignore[attr-defined]
        elif isinstance(route, APIRoute | WebSocketRoute):
            yield prefix + route.path, route


def routes_of_the_app() -> tuple[list[tuple[str, APIRoute]], list[str]]:
    """Every REST route (path, route) and websocket path the real app has: routes added later count too."""
    app = create_app(ServerSettings(warmup=False, compilation_cache=False))
    routes = list(flatten(app.routes))
    rest = [(path, r) for path, r in routes if isinstance(r, APIRoute)]
    sockets = [path for path, r in routes if isinstance(r, WebSocketRoute)]
    return rest, sockets


# Routes outside /api and /ws, public on purpose: they serve files, never data or state.
PUBLIC_ROUTES = {"/vendor/plotly.min.js"}


def fill(path: str, ids: dict[str, str]) -> str:
    """A concrete path: the given ids for their parameters ({session_id}, {watch_id}), "x" for others."""
    for name, value in ids.items():
        path = path.replace("{" + name + "}", value)
    return re.sub(r"\{[^}]+\}", "x", path)


def test_every_rest_and_websocket_route_lives_under_a_guarded_prefix():
    rest, sockets = routes_of_the_app()
    assert rest and sockets
    for path, _ in rest:
        assert path.startswith("/api/") or path in PUBLIC_ROUTES, path
    for path in sockets:
        assert path.startswith("/ws/"), path


def test_the_token_when_set_is_required_by_every_rest_and_websocket_route():
    token = "s3cret-token"
    auth = {"Authorization": f"Bearer {token}"}
    rest, sockets = routes_of_the_app()
    with serve(token=token) as base:
        session_id = httpx.post(base + "/api/sessions", json={}, headers=auth).json()["id"]
        watch_id = httpx.get(f"{base}/api/sessions/{session_id}", headers=auth).json()["watch_id"]
        ids = {"session_id": session_id, "watch_id": watch_id}
        assert {"/ws/sessions/{session_id}", "/ws/watch/{watch_id}"} <= set(sockets)
        checked = 0
        for route_path, route in rest:
            if not route_path.startswith("/api/"):
                continue
            path = fill(route_path, ids)
            for method in sorted(route.methods - {"HEAD"}):
                for bad in ({}, {"Authorization": "Bearer wrong"}):
                    refused = httpx.request(method, base + path, headers=bad, json={})
                    assert refused.status_code == 401, (method, path, bad)
                    assert "token is required" in refused.json()["detail"]
                checked += 1
        assert checked >= 5
        # the right token, as a header or in the query, is let through (the delete goes last)
        assert httpx.get(f"{base}/api/sessions/{session_id}?token={token}").status_code == 200
        assert httpx.get(f"{base}/api/schema", headers=auth).status_code == 200
        for socket_path in sockets:
            path = fill(socket_path, ids)
            for query in ("", "?token=wrong"):
                with pytest.raises(InvalidStatus) as refused:
                    connect(ws_url(base, path + query))
                assert refused.value.response.status_code == 401, path
                assert b"token is required" in refused.value.response.body
            for lab in ("images", "sequences", "generative"):  # a lab's socket takes only its sessions
                if socket_path.startswith(f"/ws/{lab}/"):
                    lab_id = httpx.post(f"{base}/api/{lab}/sessions", json={}, headers=auth).json()["id"]
                    path = socket_path.replace("{session_id}", lab_id)
            if "{session_id}" in socket_path or "{watch_id}" in socket_path:
                with connect(ws_url(base, path + f"?token={token}")) as ws:
                    assert json.loads(ws.recv(timeout=10))["type"] == "hello", path
        # the page and its scripts stay reachable: it reads the token from its own URL
        assert httpx.get(base + "/").status_code == 200
        assert httpx.delete(f"{base}/api/sessions/{session_id}", headers=auth).status_code == 204


# ---- rate limits -------------------------------------------------------------------------------


def test_session_creation_is_rate_limited_per_client_with_a_clear_429():
    with serve(session_creation_burst=3, session_creations_per_minute=1) as base:
        for _ in range(3):
            assert httpx.post(base + "/api/sessions", json={}).status_code == 201
        refused = httpx.post(base + "/api/sessions", json={})
        assert refused.status_code == 429
        detail = refused.json()["detail"]
        assert "too many new sessions" in detail and "1 per minute" in detail and "try again in" in detail
        assert int(refused.headers["retry-after"]) >= 1
        assert httpx.get(base + "/api/health").status_code == 200  # the rest of the API is unaffected


def test_image_lab_sessions_count_against_the_same_creation_limit():
    with serve(session_creation_burst=3, session_creations_per_minute=1) as base:
        for path in ("/api/sessions", "/api/sessions", "/api/images/sessions"):
            assert httpx.post(base + path, json={}, timeout=60).status_code == 201
        refused = httpx.post(base + "/api/images/sessions", json={}, timeout=60)
        assert refused.status_code == 429 and "too many new sessions" in refused.json()["detail"]
        assert int(refused.headers["retry-after"]) >= 1


def test_websocket_messages_beyond_the_rate_get_rate_limited_and_the_connection_survives():
    with (
        serve(ws_message_burst=5, ws_messages_per_second=4) as base,
        open_client(base, create_session(base)) as client,
    ):
        client.wait_for(lambda m: m["type"] == "hello")
        for _ in range(20):
            client.send({"type": "ping"})
        replies = [client.wait_for(lambda m: m.get("type") in ("pong", "error")) for _ in range(20)]
        pongs = [r for r in replies if r["type"] == "pong"]
        limited = [r for r in replies if r["type"] == "error"]
        assert 5 <= len(pongs) < 20 and len(pongs) + len(limited) == 20
        assert {r["code"] for r in limited} == {"rate_limited"}
        assert "4 per second" in limited[0]["message"] and "connection stays open" in limited[0]["message"]
        assert_answers_again(client)


def assert_answers_again(client: Client, within_s: float = 10) -> None:
    """Once the bucket refills, the same connection is served again."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        client.send({"type": "ping"})
        reply = client.wait_for(lambda m: m.get("type") in ("pong", "error"))
        if reply["type"] == "pong":
            return
        time.sleep(0.1)  # the refill is a matter of time: poll at a tenth of a second
    raise AssertionError("the connection was never served again")
