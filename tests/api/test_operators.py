"""Operators' defaults over real sockets: sizes refused while they arrive (the server's memory is read
from /proc), X-Forwarded-For trusted only from configured proxies, access logs without session ids,
look-alike names refused."""

from __future__ import annotations

import contextlib
import socket
import struct
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from nnplay.inprocess import served_process
from nnplay.protocol import MAX_MESSAGE_BYTES

from live import handshake, open_client, serve
from rooms_client import create_room

REPO = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def serve_process(*args: str) -> Iterator[tuple[str, int, Path]]:
    """`nnplay serve` in a process of its own: (base URL, pid, its log file)."""
    with tempfile.TemporaryDirectory(prefix="nnplay-ops-") as scratch:
        log = Path(scratch) / "server.log"
        env = {"NNPLAY_WARMUP": "false", "NNPLAY_DATA_DIR": scratch}
        with served_process(log, *args, env=env) as (base, pid):
            yield base, pid, log


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def frame_header(length: int) -> bytes:
    """A client text frame's header announcing `length` bytes (masked with zeros: the payload is as is)."""
    if length < 1 << 16:
        return bytes([0x81, 0x80 | 126]) + struct.pack("!H", length) + b"\0\0\0\0"
    return bytes([0x81, 0x80 | 127]) + struct.pack("!Q", length) + b"\0\0\0\0"


def close_code(sock: socket.socket, timeout_s: float) -> int | None:
    """The code of the close frame the server sends within `timeout_s` (None if it sends none), reading
    its frames one by one (hello, data, ... then close)."""
    sock.settimeout(timeout_s)
    data = b""

    def need(n: int) -> bool:
        nonlocal data
        while len(data) < n:
            chunk = sock.recv(65536)
            if not chunk:
                return False
            data += chunk
        return True

    with contextlib.suppress(OSError):
        while need(2):
            opcode, length, at = data[0] & 0x0F, data[1] & 0x7F, 2
            if length == 126 and need(4):
                length, at = struct.unpack("!H", data[2:4])[0], 4
            elif length == 127 and need(10):
                length, at = struct.unpack("!Q", data[2:10])[0], 10
            if not need(at + length):
                return None
            if opcode == 8:
                return int(struct.unpack("!H", data[at : at + 2])[0]) if length >= 2 else None
            data = data[at + length :]
    return None


# ---- sizes -------------------------------------------------------------------------------------------


def test_a_1mb_websocket_message_is_refused_as_it_arrives_and_huge_ones_cost_no_memory():
    with serve_process() as (base, pid, _), httpx.Client(timeout=60) as http:
        session_id = http.post(base + "/api/sessions", json={}).json()["id"]
        path = f"/ws/sessions/{session_id}"
        one, _ = handshake(base, path)
        assert one is not None
        one.sendall(frame_header(1 << 20) + b" " * (64 * 1024))  # announces 1 MB, sends 64 KB of it
        code = close_code(one, 5)
        one.close()
        assert code == 1009, f"a 1 MB message was not refused before it all arrived (close code {code})"
        before, peak, cut = rss_mb(pid), 0.0, 0
        payload = b" " * (8 << 20)
        socks = [s for s, _ in (handshake(base, path) for _ in range(10)) if s is not None]
        for sock in socks:  # ten 8 MB messages at once: uvicorn's default (16 MiB) read them all
            sock.settimeout(10)
            try:
                sock.sendall(frame_header(len(payload)) + payload)
            except OSError:
                cut += 1  # the server closed it part-way
            peak = max(peak, rss_mb(pid))
            sock.close()
        assert http.get(f"{base}/api/sessions/{session_id}").status_code == 200  # the server is fine
        growth = peak - before
        print(f"\n10 x 8 MB messages: {cut} cut off, server RSS {before:.0f} -> {peak:.0f} MB")
        assert growth < 40, f"the server's memory grew {growth:.0f} MB while 10 x 8 MB messages arrived"


def test_a_message_at_the_protocols_limit_is_still_read(base_url):
    session_id = httpx.post(base_url + "/api/sessions", json={}).json()["id"]
    with open_client(base_url, session_id) as client:
        client.wait_for(lambda m: m.get("type") == "hello")
        padding = " " * (MAX_MESSAGE_BYTES - len('{"type": "ping"}'))
        client.send('{"type": "ping"}' + padding)
        client.wait_for(lambda m: m.get("type") == "pong")


def test_json_bodies_are_capped_at_64_kib_and_csv_uploads_at_300_kb(base_url):
    big = {"config": {"padding": "x" * (70 * 1024)}}
    refused = httpx.post(base_url + "/api/sessions", json=big)
    assert refused.status_code == 413 and "the limit is 65536 bytes" in refused.json()["detail"]
    session_id = httpx.post(base_url + "/api/sessions", json={}).json()["id"]
    rows = "x1,x2,label\n" + "0.5,0.5,1\n" * 9000  # ~90 KB: a file, not a message
    uploaded = httpx.post(f"{base_url}/api/sessions/{session_id}/points", content=rows)
    assert uploaded.status_code in (200, 422) and uploaded.status_code != 413


# ---- proxies and logs --------------------------------------------------------------------------------


def test_x_forwarded_for_is_ignored_unless_it_comes_from_a_trusted_proxy():
    rotating = [{"X-Forwarded-For": f"10.1.2.{n}"} for n in range(10)]
    with serve(session_creation_burst=3, session_creations_per_minute=1) as base:
        statuses = [httpx.post(base + "/api/sessions", json={}, headers=h).status_code for h in rotating]
        assert statuses.count(201) == 3, f"{statuses.count(201)} of 10 created with rotating X-Forwarded-For"
    with serve(
        session_creation_burst=3, session_creations_per_minute=1, trusted_proxies=("127.0.0.1",)
    ) as base:
        statuses = [httpx.post(base + "/api/sessions", json={}, headers=h).status_code for h in rotating]
        assert statuses.count(201) == 10  # behind a trusted proxy, each forwarded client is its own


def test_the_access_log_holds_no_session_id_or_token():
    with serve_process("--log-level", "info") as (base, _, log), httpx.Client(timeout=60) as http:
        created = http.post(base + "/api/sessions", json={}).json()
        session_id, watch_id = created["id"], created["watch_id"]
        http.get(f"{base}/api/sessions/{session_id}?token=not-a-secret-here")
        for path in (f"/ws/sessions/{session_id}", f"/ws/watch/{watch_id}"):
            sock, _ = handshake(base, path)
            assert sock is not None
            sock.close()
        room = create_room(base)
        deadline = time.monotonic() + 10
        while "/ws/watch/" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.1)  # the server writes its log lines as it goes
        text = log.read_text()
    assert "GET /api/sessions/{id}" in text and "/ws/sessions/{id}" in text, text[-2000:]
    leaked = [line for line in text.splitlines() if session_id in line or watch_id in line]
    assert not leaked, f"{len(leaked)} log lines hold a session or watch id: {leaked[:2]}"
    assert "not-a-secret-here" not in text and room.teacher_key not in text


# ---- names -------------------------------------------------------------------------------------------

LOOKALIKES = [
    ("\u0410lice", "already taken"),  # Cyrillic capital A
    ("\uff21\uff4c\uff49\uff43\uff45", "already taken"),  # fullwidth: NFKC makes it "Alice"
    ("\U0001d400\U0001d425\U0001d422\U0001d41c\U0001d41e", "already taken"),  # mathematical bold
    ("Al\u0131ce", "already taken"),  # dotless i
    ("AIice", "already taken"),  # capital I for l
    ("ALICE", "already taken"),
    ("\u3164", "invisible"),  # the Hangul filler draws nothing
    ("Alice\u3164", "invisible"),
]


@pytest.mark.parametrize(("name", "why"), LOOKALIKES)
def test_a_name_that_looks_like_a_taken_one_or_like_nothing_is_refused(base_url, name, why):
    room = create_room(base_url)
    room.join("Alice")
    room.join("Ada  Lovelace")
    response = httpx.post(room.url("/join"), json={"name": name})
    assert response.status_code == 422, f"{name!r} was accepted beside 'Alice'"
    assert why in response.json()["detail"][0]["message"]
    spaced = httpx.post(room.url("/join"), json={"name": "Ada Lovelace"})
    assert spaced.status_code == 422 and "already taken" in spaced.json()["detail"][0]["message"]
    for other in ("Alicia", "Alina", "Ali"):
        assert room.join(other)["name"] == other  # names that only share letters are fine
