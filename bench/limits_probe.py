"""Probes of the server's limits under parallel load, as an attacker or an operator would run them.

    .venv/bin/python bench/limits_probe.py [--only caps,rooms,...] [--json out.json]

Real servers on loopback (in this process, or `nnplay serve` in its own where memory or the access log is
measured); several client addresses come from binding 127.0.0.2, 127.0.0.3, ... as the source address.
Prints one figure per probe (it reports; it never asserts): sessions alive after parallel bursts against
their caps, rooms made in a burst, the snapshot age of a healthy room beside a broken one, the server's
memory while huge websocket messages arrive, sockets one client may hold, whose session an eviction
takes, look-alike names accepted, X-Forwarded-For, session ids in the access log, and wrong-code lockouts.
tests/api/test_limits*.py assert the same behaviours.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from nnplay.config import ServerSettings
from nnplay.inprocess import free_port
from nnplay.inprocess import running_app as _running_app

REPO = Path(__file__).resolve().parents[1]
# The package `nnplay serve` runs from (the probes in this process use the installed one): another
# checkout's backend/ measures that version.
BACKEND = Path(os.environ.get("PROBE_BACKEND", REPO / "backend"))
UNLIMITED = {
    "session_creations_per_minute": 1e9,
    "session_creation_burst": 1_000_000,
    "ws_messages_per_second": 1e9,
    "ws_message_burst": 1_000_000,
}
LOOKALIKES = [
    "\u0410lice",  # Cyrillic capital A
    "\uff21\uff4c\uff49\uff43\uff45",  # fullwidth
    "\U0001d400\U0001d425\U0001d422\U0001d41c\U0001d41e",  # mathematical bold
    "Al\u0131ce",  # dotless i
    "AIice",  # capital I for l
    "\u3164",  # Hangul filler: looks empty
    "Alice\u3164",
    "Alice  ",
]


def running_app(**settings: Any) -> Any:
    """The in-process server, with the settings this version knows (the probes run before and after)."""
    return _running_app(**{k: v for k, v in settings.items() if k in ServerSettings.model_fields})


def address(i: int) -> str:
    """The i-th client address on loopback (127.0.0.2, 127.0.0.3, ...)."""
    return f"127.0.0.{2 + i}"


def client(i: int | None = None, **kwargs: Any) -> httpx.AsyncClient:
    transport = httpx.AsyncHTTPTransport(local_address=address(i)) if i is not None else None
    return httpx.AsyncClient(transport=transport, timeout=120, **kwargs)


async def burst(http: httpx.AsyncClient, count: int, method: str, url: str, **kwargs: Any) -> list[int]:
    responses = await asyncio.gather(
        *(http.request(method, url, **kwargs) for _ in range(count)), return_exceptions=True
    )
    return [r.status_code if isinstance(r, httpx.Response) else -1 for r in responses]


# ---- caps ------------------------------------------------------------------------------------------


def probe_session_caps() -> dict[str, Any]:
    figures: dict[str, Any] = {}
    with running_app(**UNLIMITED, max_sessions_per_client=16, max_sessions=64) as (base, app):

        async def one_client() -> list[int]:
            async with client(0) as http:
                return await burst(http, 30, "POST", base + "/api/sessions", json={})

        statuses = asyncio.run(one_client())
        figures["per_client"] = {
            "cap": 16,
            "requests": 30,
            "created": statuses.count(201),
            "alive": len(app.state.sessions),
        }
    with running_app(**UNLIMITED, max_sessions_per_client=30, max_sessions=64) as (base, app):

        async def four_clients() -> list[int]:
            clients = [client(i) for i in range(4)]
            try:
                runs = [burst(c, 30, "POST", base + "/api/sessions", json={}) for c in clients]
                return [s for statuses in await asyncio.gather(*runs) for s in statuses]
            finally:
                for c in clients:
                    await c.aclose()

        statuses = asyncio.run(four_clients())
        figures["total"] = {
            "cap": 64,
            "requests": 120,
            "created": statuses.count(201),
            "alive": len(app.state.sessions),
        }
    with running_app(**UNLIMITED, max_classroom_sessions=8, room_join_burst=100) as (base, app):

        async def forks() -> dict[str, Any]:
            async with client(0) as http:
                room = (await http.post(base + "/api/rooms")).json()
                members = []
                for n in range(30):
                    joined = await http.post(f"{base}/api/rooms/{room['code']}/join", json={"name": f"s{n}"})
                    members.append(joined.json()["member_token"])
                url = f"{base}/api/rooms/{room['code']}/fork"
                responses = await asyncio.gather(
                    *(http.post(url, headers={"X-Member-Token": t}) for t in members)
                )
                return {"forked": sum(r.status_code == 200 for r in responses)}

        result = asyncio.run(forks())
        figures["classroom"] = {"cap": 8, "forks": 30, **result, "alive": len(app.state.sessions)}
    return figures


def probe_eviction() -> dict[str, Any]:
    """Another client's idle session, at the server's limit: is it evicted for someone else's?"""
    with running_app(**UNLIMITED, max_sessions=2, max_sessions_per_client=2) as (base, _app):

        async def go() -> dict[str, Any]:
            async with client(1) as other, client(0) as me:
                theirs = (await other.post(base + "/api/sessions", json={})).json()["id"]
                mine = [(await me.post(base + "/api/sessions", json={})).status_code for _ in range(2)]
                alive = (await me.get(f"{base}/api/sessions/{theirs}")).status_code == 200
                return {"my_creations": mine, "other_clients_idle_session_kept": alive}

        return asyncio.run(go())


# ---- rooms -----------------------------------------------------------------------------------------


def probe_rooms() -> dict[str, Any]:
    with running_app(**UNLIMITED) as (base, app):

        async def go() -> dict[str, Any]:
            async with client(0) as http:
                started = time.monotonic()
                statuses = await burst(http, 100, "POST", base + "/api/rooms")
                seconds = time.monotonic() - started
                created = len(app.state.classroom.service.rooms)
                room = next(iter(app.state.classroom.service.rooms))
                joins = await asyncio.gather(
                    *(
                        http.post(f"{base}/api/rooms/{room}/join", json={"name": f"bot{n}"})
                        for n in range(100)
                    )
                )
                return {
                    "room_requests": 100,
                    "rooms_created": statuses.count(201),
                    "rooms_alive": created,
                    "refused_429": statuses.count(429),
                    "seconds": round(seconds, 2),
                    "joins_in_burst": sum(r.status_code == 201 for r in joins),
                }

        return asyncio.run(go())


def probe_snapshot_lag(seconds: float = 14.0) -> dict[str, Any]:
    """Room A gets a challenge of the wrong shape; how old do room B's run snapshots get?"""
    from websockets.sync.client import connect

    with running_app(**UNLIMITED) as (base, app):
        hub = app.state.classroom
        with httpx.Client(timeout=60) as http:
            rooms = [http.post(base + "/api/rooms").json() for _ in range(2)]
            forks = []
            for room in rooms:
                token = http.post(f"{base}/api/rooms/{room['code']}/join", json={"name": "Ada"}).json()
                forks.append(
                    http.post(
                        f"{base}/api/rooms/{room['code']}/fork",
                        headers={"X-Member-Token": token["member_token"]},
                    ).json()["session_id"]
                )
        ws = base.replace("http", "ws")
        sockets = [connect(f"{ws}/ws/rooms/{room['code']}") for room in rooms]
        for sock, room in zip(sockets, rooms, strict=True):
            sock.send(json.dumps({"type": "auth", "teacher_key": room["teacher_key"]}))
        for session_id in forks:
            with connect(f"{ws}/ws/sessions/{session_id}") as run:
                run.send(json.dumps({"type": "start"}))
        sockets[0].send(
            json.dumps(
                {"type": "challenge", "teacher_key": rooms[0]["teacher_key"], "challenge": {"what": 1}}
            )
        )
        time.sleep(0.5)
        stored = hub.service.rooms[rooms[0]["code"]].challenge
        # A room whose stored state is broken all the same (what such a challenge left behind before they
        # were validated): does it stop the other room's tiles and snapshots?
        hub.service.rooms[rooms[0]["code"]].challenge = {"what": 1}
        member_b = next(iter(hub.service.rooms[rooms[1]["code"]].members))
        tiles_b = 0
        ages: list[float] = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with contextlib.suppress(TimeoutError):
                message = sockets[1].recv(timeout=0.5)
                tiles_b += isinstance(message, bytes)
            with contextlib.suppress(TimeoutError):
                sockets[0].recv(timeout=0.01)
            row = hub.store.snapshot(member_b)
            ages.append(time.time() - row.updated_at if row else float("inf"))
        for sock in sockets:
            sock.close()
        return {
            "bad_challenge_stored_from_the_socket": stored is not None,
            "seconds": seconds,
            "room_b_snapshot_age_max_s": round(max(ages), 1),
            "room_b_tiles_per_s": round(tiles_b / seconds, 2),
        }


# ---- sizes and sockets -----------------------------------------------------------------------------


@contextlib.contextmanager
def serve_process(*args: str, env: dict[str, str] | None = None) -> Iterator[tuple[str, int, Path]]:
    port = free_port()
    scratch = tempfile.TemporaryDirectory(prefix="nnplay-probe-")
    log = Path(scratch.name) / "server.log"
    environ = {
        **os.environ,
        "NNPLAY_WARMUP": "false",
        "NNPLAY_DATA_DIR": scratch.name,
        "PYTHONPATH": str(BACKEND),
        **(env or {}),
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "nnplay", "serve", "--port", str(port), *args],
            env=environ,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(base + "/api/health").status_code == 200:
                    break
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(log.read_text()[-2000:])
            time.sleep(0.1)
        yield base, process.pid, log
    finally:
        process.terminate()
        process.wait(30)
        scratch.cleanup()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def handshake(base: str, path: str, source: str = "127.0.0.1") -> socket.socket | None:
    """A raw socket past the websocket handshake (None when the server refused it)."""
    port = urlsplit(base).port
    sock = socket.socket()
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = sock.recv(1)
        if not chunk:
            break
        answer += chunk
    if not answer.startswith(b"HTTP/1.1 101"):
        sock.close()
        return None
    return sock


def frame_header(length: int) -> bytes:
    """A masked client text frame's header announcing `length` bytes of payload (mask of zeros)."""
    if length < 126:
        return bytes([0x81, 0x80 | length]) + b"\0\0\0\0"
    if length < 1 << 16:
        return bytes([0x81, 0x80 | 126]) + struct.pack("!H", length) + b"\0\0\0\0"
    return bytes([0x81, 0x80 | 127]) + struct.pack("!Q", length) + b"\0\0\0\0"


def closed_within(sock: socket.socket, seconds: float) -> bool:
    sock.settimeout(seconds)
    deadline = time.monotonic() + seconds
    with contextlib.suppress(OSError):
        while time.monotonic() < deadline:
            data = sock.recv(65536)
            if not data:
                return True
            if b"\x88" in data[:1] or (data.find(b"\x88") >= 0 and len(data) < 200):
                return True  # a close frame
    return False


def probe_message_size(clients: int = 10, megabytes: int = 8) -> dict[str, Any]:
    with serve_process() as (base, pid, _), httpx.Client() as http:
        session_id = http.post(base + "/api/sessions", json={}).json()["id"]
        path = f"/ws/sessions/{session_id}"
        one = handshake(base, path)
        assert one is not None
        one.sendall(frame_header(1 << 20) + b" " * (64 * 1024))  # announce 1 MB, send 64 KB of it
        refused_early = closed_within(one, 3)
        one.close()
        time.sleep(3)  # the session's first frame and kernels are made by now: only messages move memory
        before = rss_mb(pid)
        peak = before
        socks = [s for s in (handshake(base, path) for _ in range(clients)) if s is not None]
        payload = b" " * (megabytes << 20)
        for sock in socks:
            sock.setblocking(False)
            with contextlib.suppress(OSError):
                sock.send(frame_header(len(payload)))
        sent = dict.fromkeys(socks, 0)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(n < len(payload) for n in sent.values()):
            for sock in socks:
                if sent[sock] < len(payload):
                    try:
                        sent[sock] += sock.send(payload[sent[sock] : sent[sock] + (1 << 20)])
                    except BlockingIOError:
                        pass
                    except OSError:
                        sent[sock] = len(payload) + 1  # refused: the server closed it
            peak = max(peak, rss_mb(pid))
        end = time.monotonic() + 3
        while time.monotonic() < end:
            peak = max(peak, rss_mb(pid))
            time.sleep(0.1)
        cut = sum(n > len(payload) for n in sent.values())
        for sock in socks:
            sock.close()
        return {
            "one_mb_closed_before_it_all_arrived": refused_early,
            "parallel_messages": len(socks),
            "message_mb": megabytes,
            "connections_cut": cut,
            "rss_before_mb": round(before, 1),
            "rss_peak_mb": round(peak, 1),
            "rss_growth_mb": round(peak - before, 1),
        }


def probe_sockets(count: int = 500, seconds: float = 3.0) -> dict[str, Any]:
    with running_app(**UNLIMITED) as (base, app), httpx.Client() as http:
        session_id = http.post(base + "/api/sessions", json={}).json()["id"]
        driver = handshake(base, f"/ws/sessions/{session_id}")
        assert driver is not None
        driver.sendall(frame_header(17) + b'{"type": "start"}')
        socks = []
        refused = 0
        for n in range(count):
            path = (
                f"/ws/sessions/{session_id}"
                if n % 2
                else "/ws/watch/" + (http.get(f"{base}/api/sessions/{session_id}").json()["watch_id"])
            )
            sock = handshake(base, path)
            if sock is None:
                refused += 1
            else:
                sock.setblocking(False)
                socks.append(sock)
        received = 0
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            for sock in socks:
                with contextlib.suppress(BlockingIOError, OSError):
                    received += len(sock.recv(1 << 20))
        subscribers = len(app.state.sessions.get(session_id).subscribers)
        for sock in [driver, *socks]:
            sock.close()
        return {
            "sockets_tried": count,
            "accepted": len(socks),
            "refused": refused,
            "subscribers_of_the_session": subscribers,
            "mb_per_s_drawn": round(received / seconds / 1e6, 1),
        }


# ---- names, proxies, logs, codes -------------------------------------------------------------------


def probe_names_proxies_codes() -> dict[str, Any]:
    figures: dict[str, Any] = {}
    with running_app(**UNLIMITED) as (base, _app), httpx.Client() as http:
        room = http.post(base + "/api/rooms").json()
        url = f"{base}/api/rooms/{room['code']}"
        assert http.post(url + "/join", json={"name": "Alice"}).status_code == 201
        accepted = [n for n in LOOKALIKES if http.post(url + "/join", json={"name": n}).status_code == 201]
        figures["lookalikes"] = {"tried": len(LOOKALIKES), "accepted": len(accepted)}
        statuses = [http.get(f"{base}/api/rooms/ZZZZZ{i}").status_code for i in range(2, 10)]
        statuses += [http.get(f"{base}/api/rooms/YYYYY{i}").status_code for i in range(2, 4)]
        right = http.get(url).status_code
        figures["wrong_codes"] = {"typos": len(statuses), "right_code_after_typos": right}
    with (
        running_app(session_creation_burst=3, session_creations_per_minute=1) as (base, _app),
        httpx.Client() as http,
    ):
        statuses = [
            http.post(base + "/api/sessions", json={}, headers={"X-Forwarded-For": f"10.1.2.{n}"}).status_code
            for n in range(10)
        ]
        figures["x_forwarded_for"] = {"creations_with_rotating_xff": 10, "created": statuses.count(201)}
    return figures


def probe_access_log() -> dict[str, Any]:
    with serve_process("--log-level", "info") as (base, _, log), httpx.Client() as http:
        session_id = http.post(base + "/api/sessions", json={}).json()["id"]
        http.get(f"{base}/api/sessions/{session_id}")
        sock = handshake(base, f"/ws/sessions/{session_id}")
        if sock is not None:
            sock.close()
        time.sleep(1)  # let the server write its log lines
        text = log.read_text()
        return {"lines_with_the_session_id": sum(session_id in line for line in text.splitlines())}


PROBES = {
    "caps": probe_session_caps,
    "eviction": probe_eviction,
    "rooms": probe_rooms,
    "snapshots": probe_snapshot_lag,
    "size": probe_message_size,
    "sockets": probe_sockets,
    "names": probe_names_proxies_codes,
    "log": probe_access_log,
}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", default=",".join(PROBES))
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    results: dict[str, Any] = {}
    for name in args.only.split(","):
        started = time.monotonic()
        try:
            results[name] = PROBES[name]()
        except Exception as exc:  # a probe that fails says so and the others still run
            results[name] = {"failed": f"{type(exc).__name__}: {exc}"}
        results[name]["probe_s"] = round(time.monotonic() - started, 1)
        print(name, json.dumps(results[name]), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
