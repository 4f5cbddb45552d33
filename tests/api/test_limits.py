"""Limits under parallel load, over real sockets (issue 25's probes; bench/limits_probe.py measures the
same): bursts never pass a cap, eviction never takes another client's recent work, rooms cost something,
one client's sockets are capped. Several client addresses come from binding 127.0.0.2, 127.0.0.3, ..."""

from __future__ import annotations

import asyncio
import socket
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from live import handshake, serve_app


def run(coro: Any) -> Any:
    """On a fresh event loop in its own thread (Playwright may leave a loop running in this one)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def from_address(i: int) -> httpx.AsyncClient:
    """An HTTP client whose requests come from 127.0.0.{2 + i}."""
    return httpx.AsyncClient(
        transport=httpx.AsyncHTTPTransport(local_address=f"127.0.0.{2 + i}"), timeout=120
    )


async def burst(client: httpx.AsyncClient, count: int, url: str, **kwargs: Any) -> list[httpx.Response]:
    return list(await asyncio.gather(*(client.post(url, **kwargs) for _ in range(count))))


# ---- sessions ----------------------------------------------------------------------------------------


def test_thirty_parallel_creations_from_one_client_never_pass_its_cap():
    with serve_app(max_sessions_per_client=16) as (base, app):

        async def go() -> list[httpx.Response]:
            async with from_address(0) as client:
                return await burst(client, 30, base + "/api/sessions", json={})

        responses = run(go())
        created = sum(r.status_code == 201 for r in responses)
        alive = len(app.state.sessions)
        assert alive <= 16, f"{alive} sessions alive after 30 parallel creations from one client (cap 16)"
        assert alive == 16 <= created, f"{created} created, {alive} alive"  # own idle ones make room
        refused = [r for r in responses if r.status_code == 429]
        assert created + len(refused) == 30
        assert all("already has 16 sessions" in r.json()["detail"] for r in refused)


def test_parallel_creations_from_four_clients_never_pass_the_servers_cap():
    with serve_app(max_sessions_per_client=30, max_sessions=64) as (base, app):

        async def go() -> list[httpx.Response]:
            clients = [from_address(i) for i in range(4)]
            try:
                bursts = await asyncio.gather(
                    *(burst(c, 30, base + "/api/sessions", json={}) for c in clients)
                )
            finally:
                for c in clients:
                    await c.aclose()
            return [r for responses in bursts for r in responses]

        responses = run(go())
        alive = len(app.state.sessions)
        assert alive <= 64, f"{alive} sessions alive after 4 clients x 30 parallel creations (cap 64)"
        assert alive == 64 <= sum(r.status_code == 201 for r in responses)  # own idle ones make room
        refused = [r for r in responses if r.status_code == 429]
        assert all("already runs 64 sessions" in r.json()["detail"] for r in refused)


def test_parallel_forks_never_pass_the_classroom_cap():
    with serve_app(max_classroom_sessions=8) as (base, app):

        async def go() -> list[httpx.Response]:
            async with from_address(0) as client:
                room = (await client.post(base + "/api/rooms")).json()
                url = f"{base}/api/rooms/{room['code']}"
                tokens = [
                    (await client.post(url + "/join", json={"name": f"s{n}"})).json()["member_token"]
                    for n in range(30)
                ]
                return list(
                    await asyncio.gather(
                        *(client.post(url + "/fork", headers={"X-Member-Token": t}) for t in tokens)
                    )
                )

        responses = run(go())
        runs = len(app.state.sessions)  # the teacher's run and the forks
        assert runs <= 8, f"{runs} classroom runs after 30 parallel forks (cap 8)"
        assert sum(r.status_code == 200 for r in responses) == 7
        refused = [r for r in responses if r.status_code == 429]
        assert len(refused) == 23 and "NNPLAY_MAX_CLASSROOM_SESSIONS" in refused[0].json()["detail"]


def test_at_the_servers_cap_a_client_evicts_its_own_idle_session_never_another_clients_recent_one():
    with serve_app(max_sessions=2, max_sessions_per_client=2) as (base, app):

        async def go() -> tuple[str, list[str], set[str], httpx.Response]:
            async with from_address(1) as other, from_address(0) as me:
                theirs = (await other.post(base + "/api/sessions", json={})).json()["id"]
                mine = [(await me.post(base + "/api/sessions", json={})).json()["id"] for _ in range(2)]
                alive = {s.id for s in app.state.sessions.sessions()}
                return theirs, mine, alive, await other.post(base + "/api/sessions", json={})

        theirs, mine, alive, again = run(go())
        assert theirs in alive, "another client's idle, recently used session was evicted"
        assert mine[0] not in alive and mine[1] in alive  # the client's own idle session made room
        assert again.status_code == 201  # the other client, at the cap, evicted its own idle session
        assert theirs not in {s.id for s in app.state.sessions.sessions()}


# ---- rooms -------------------------------------------------------------------------------------------


def test_a_burst_of_100_rooms_from_one_address_is_limited_and_leaves_no_room_without_its_run():
    with serve_app(room_creations_per_minute=2, room_creation_burst=10, max_rooms_per_client=10) as (
        base,
        app,
    ):

        async def go() -> list[httpx.Response]:
            async with from_address(0) as client:
                return await burst(client, 100, base + "/api/rooms")

        responses = run(go())
        created = sum(r.status_code == 201 for r in responses)
        hub = app.state.classroom
        assert created <= 10, f"{created} of 100 rooms made in a burst from one address (burst 10)"
        assert len(hub.service.rooms) == len(hub.store.rooms()) == created
        assert all(room.teacher_session_id for room in hub.service.rooms.values())
        refusal = next(r for r in responses if r.status_code == 429)
        assert "too many new rooms" in refusal.json()["detail"] and int(refusal.headers["retry-after"]) >= 1


def test_rooms_per_client_and_in_all_are_capped_with_a_clear_429():
    with serve_app(max_rooms_per_client=2, max_rooms=3) as (base, app):

        async def go() -> list[httpx.Response]:
            async with from_address(0) as a, from_address(1) as b:
                return [*(await burst(a, 3, base + "/api/rooms")), *(await burst(b, 3, base + "/api/rooms"))]

        responses = run(go())
        assert [r.status_code for r in responses].count(201) == 3 == len(app.state.classroom.service.rooms)
        details = {r.json()["detail"].split(" (")[0] for r in responses if r.status_code == 429}
        assert any("already has 2 rooms open" in d for d in details), details
        assert any("already has 3 rooms" in d for d in details), details


def test_a_room_whose_run_is_refused_is_not_made():
    with serve_app(max_classroom_sessions=2) as (base, app):
        statuses = [httpx.post(base + "/api/rooms").status_code for _ in range(3)]
        hub = app.state.classroom
        assert statuses == [201, 201, 429]
        assert len(hub.service.rooms) == len(hub.store.rooms()) == 2, "a refused room left its row behind"


def test_a_burst_of_joins_from_one_address_is_limited():
    with serve_app(room_join_burst=40, room_joins_per_minute=60) as (base, _app):
        code = httpx.post(base + "/api/rooms").json()["code"]

        async def go() -> list[httpx.Response]:
            async with from_address(0) as client:
                url = f"{base}/api/rooms/{code}/join"
                return list(
                    await asyncio.gather(*(client.post(url, json={"name": f"bot{n}"}) for n in range(100)))
                )

        responses = run(go())
        joined = sum(r.status_code == 201 for r in responses)
        assert joined <= 41, f"{joined} of 100 joins in a burst from one address (burst 40)"
        refusal = next(r for r in responses if r.status_code == 429)
        assert "too many joins" in refusal.json()["detail"]


# ---- connections -------------------------------------------------------------------------------------


def test_500_sockets_from_one_client_are_capped_and_other_clients_still_connect():
    with serve_app(max_connections_per_client=100, max_sockets_per_session=10) as (base, app):
        created = httpx.post(base + "/api/sessions", json={}).json()
        paths = [f"/ws/sessions/{created['id']}", f"/ws/watch/{created['watch_id']}"]
        held: list[socket.socket] = []
        statuses: list[int] = []
        try:
            for n in range(500):
                sock, status = handshake(base, paths[n % 2])
                statuses.append(status)
                if sock is not None:
                    held.append(sock)
            subscribers = len(app.state.sessions.get(created["id"]).subscribers)
            other, status = handshake(base, paths[1], source="127.0.0.2")
            assert other is not None, f"another client was refused ({status})"
            other.close()
            driving = sum(1 for n, s in enumerate(statuses) if s == 101 and n % 2 == 0)
            accepted = statuses.count(101)
            assert accepted <= 100, f"{accepted} of 500 sockets from one client accepted (cap 100)"
            assert driving <= 10, f"{driving} sockets drive one session (cap 10)"
            assert accepted == 100 and statuses.count(429) == 400
            assert subscribers <= 100, f"{subscribers} subscribers of the session from one client"
        finally:
            for sock in held:
                sock.close()
