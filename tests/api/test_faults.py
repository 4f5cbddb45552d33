"""Faults over real sockets: clients that vanish mid-frame, twenty clients reconnecting at once, a client
that never reads, and the server shut down while a session trains."""

from __future__ import annotations

import base64
import contextlib
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from nnplay.inprocess import free_port

from live import create_session, open_client, serve, serve_app

REPO = Path(__file__).resolve().parents[2]


# ---- a websocket client made of a bare socket: it can stop anywhere --------------------------


def raw_websocket(base: str, path: str, receive_buffer: int | None = None) -> socket.socket:
    """A socket that has completed the websocket handshake for `path` and nothing else."""
    port = urlsplit(base).port
    sock = socket.socket()
    if receive_buffer is not None:  # a small window: a client that stops reading pushes back at once
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
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
        answer += sock.recv(1)  # byte by byte: nothing past the headers is read
    assert answer.startswith(b"HTTP/1.1 101"), answer
    return sock


def masked_text_frame(payload: bytes, announced: int | None = None) -> bytes:
    """A client->server text frame; `announced` lies about the length (to cut a frame short)."""
    length = len(payload) if announced is None else announced
    header = bytes([0x81]) + (
        bytes([0x80 | length]) if length < 126 else bytes([0x80 | 126]) + struct.pack("!H", length)
    )
    mask = os.urandom(4)
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def vanish(sock: socket.socket) -> None:
    """Close with a TCP reset: no close frame, no FIN handshake."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def wait_until(condition: Callable[[], bool], what: str, timeout_s: float = 15) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)  # polling the server's own view of the session


def summary(base: str, session_id: str) -> dict[str, Any]:
    return httpx.get(f"{base}/api/sessions/{session_id}").json()


# ---- vanishing clients ---------------------------------------------------------------------------


def test_clients_vanishing_mid_frame_leave_the_session_and_the_other_clients_unharmed():
    with serve() as base:
        session_id = create_session(base)
        path = f"/ws/sessions/{session_id}"
        with open_client(base, session_id) as watcher:
            watcher.send({"type": "start"})
            before = watcher.frame(lambda f: f["epoch"] > 0, timeout=60)["epoch"]
            for round_ in range(10):
                sock = raw_websocket(base, path)
                sock.recv(37)  # part of the first message the server sends: it is cut off mid-frame
                start = b'{"type": "start"}'
                if round_ % 2:  # and half of a frame of our own, announcing more than ever comes
                    sock.sendall(masked_text_frame(start, announced=120)[:12])
                vanish(sock)
            wait_until(
                lambda: summary(base, session_id)["viewers"] == 1, "the vanished clients to be dropped"
            )
            after = watcher.frame(lambda f: f["epoch"] > before, timeout=60)
            assert after["state"] == "training"
            watcher.send({"type": "ping"})
            watcher.wait_for(lambda m: m.get("type") == "pong")
            assert summary(base, session_id)["state"] == "training"
            print(
                f"\n10 clients vanished mid-frame; the session trained on from epoch {before} "
                f"to {after['epoch']}"
            )


# ---- twenty clients reconnecting at once ---------------------------------------------------------


def test_twenty_clients_reconnecting_at_once_all_get_the_same_running_session():
    clients = 20
    with serve() as base:
        session_id = create_session(base)
        with open_client(base, session_id) as driver:
            driver.send({"type": "start"})
            driver.frame(lambda f: f["epoch"] > 0, timeout=60)
            together = threading.Barrier(clients, timeout=60)
            results: list[dict[str, Any]] = []
            failures: list[BaseException] = []

            def reconnect() -> None:
                try:
                    with open_client(base, session_id) as first:
                        hello = first.wait_for(lambda m: m["type"] == "hello")
                        seen = first.frame()["epoch"]
                        together.wait()  # all drop at once
                    together.wait()  # and all come back at once
                    with open_client(base, session_id) as again:
                        rehello = again.wait_for(lambda m: m["type"] == "hello")
                        frame = again.frame(lambda f, seen=seen: f["epoch"] > seen, timeout=60)
                    results.append(
                        {"hello": hello, "rehello": rehello, "seen": seen, "epoch": frame["epoch"]}
                    )
                except BaseException as exc:  # reported below, in the test's own thread
                    together.abort()
                    failures.append(exc)

            threads = [threading.Thread(target=reconnect) for _ in range(clients)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(120)
            assert not failures, failures[:3]
            assert len(results) == clients
            for result in results:
                assert result["rehello"]["session"] == session_id
                assert result["rehello"]["config"] == result["hello"]["config"]
                assert result["epoch"] > result["seen"]  # the run went on, nothing was reset
            wait_until(lambda: summary(base, session_id)["viewers"] == 1, "the 20 clients to be gone")
            driver.send({"type": "ping"})
            driver.wait_for(lambda m: m.get("type") == "pong")
            assert summary(base, session_id)["state"] == "training"
            print(
                f"\n{clients} clients dropped and reconnected at once: "
                f"all {clients} got the running session back"
            )


# ---- a client that never reads -------------------------------------------------------------------


def bytes_held(sub: Any) -> int:
    """What the server keeps for one subscriber: its queued control messages and its pending frame."""
    for _ in range(100):
        with contextlib.suppress(RuntimeError):  # the server's thread may change the queue meanwhile
            return int(sub.held_bytes())
    raise AssertionError("could not read the subscriber's queue")


def epochs_per_second(base: str, session_id: str, seconds: float) -> float:
    start_epoch, start = summary(base, session_id)["epoch"], time.monotonic()
    time.sleep(seconds)  # a measurement window, not a wait for an event
    return (summary(base, session_id)["epoch"] - start_epoch) / (time.monotonic() - start)


def test_a_client_that_never_reads_holds_bounded_memory_and_training_goes_on():
    window_s, samples = 20.0, 10
    with serve_app() as (base, app):
        session_id = create_session(base)
        session = app.state.sessions.get(session_id)
        with open_client(base, session_id) as driver:
            driver.send({"type": "start"})
            driver.frame(lambda f: f["epoch"] > 0, timeout=60)
            alone = epochs_per_second(base, session_id, 4)
            readers = set(session.subscribers)
            stuck = raw_websocket(base, f"/ws/sessions/{session_id}", receive_buffer=4096)
            try:
                wait_until(lambda: len(session.subscribers) == 2, "the silent client to subscribe")
                (silent,) = set(session.subscribers) - readers
                with_silent = epochs_per_second(base, session_id, 4)
                tracemalloc.start()  # (it slows the server's Python down: no speed is measured under it)
                held, traced = [], []
                start_epoch = summary(base, session_id)["epoch"]
                for _ in range(samples):
                    time.sleep(window_s / samples)  # sampling over the window
                    held.append(bytes_held(silent))
                    traced.append(tracemalloc.get_traced_memory()[0])
                tracemalloc.stop()
                trained = summary(base, session_id)["epoch"] - start_epoch
                driver.send({"type": "ping"})
                driver.wait_for(lambda m: m.get("type") == "pong")  # the reading client is still served
            finally:
                vanish(stuck)
        growth = traced[-1] - traced[len(traced) // 2]
        print(
            f"\nnon-reading client over {window_s:.0f} s: server holds {max(held)} bytes for it at most "
            f"(samples {held}); Python heap growth over the last half {growth / 1e6:.2f} MB "
            f"(traced {[round(t / 1e6, 2) for t in traced]} MB); epochs/s alone {alone:.0f}, "
            f"with the silent client {with_silent:.0f} (ratio {with_silent / max(alone, 1e-9):.2f}; "
            "a timing on a shared machine, for information: `bench/slow_client.py` measures it)"
        )
        assert trained > 0  # training went on
        frame_bytes = len(session.last_frame or b"")
        assert max(held) <= 64 * 1024 + 2 * frame_bytes  # a few control messages and one frame, at most
        assert growth < 8e6  # nothing piles up while the client sleeps


# ---- shutdown while training ---------------------------------------------------------------------


@contextlib.contextmanager
def nnplay_serve(port: int) -> Iterator[subprocess.Popen[str]]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO / "backend"), os.environ.get("PYTHONPATH")])),
    }
    env["NNPLAY_WARMUP"] = "false"
    process = subprocess.Popen(
        [sys.executable, "-m", "nnplay", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


@pytest.mark.parametrize("signal_number", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_the_server_shuts_down_cleanly_while_a_session_trains(signal_number):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with nnplay_serve(port) as process:

        def up() -> bool:
            assert process.poll() is None, process.stdout.read() if process.stdout else ""
            with contextlib.suppress(httpx.HTTPError):
                return httpx.get(base + "/api/health").status_code == 200
            return False

        wait_until(up, "nnplay serve to answer", timeout_s=60)
        session_id = create_session(base)
        with open_client(base, session_id) as client:
            client.send({"type": "start"})
            client.frame(lambda f: f["epoch"] > 0, timeout=60)
            process.send_signal(signal_number)
            output, _ = process.communicate(timeout=60)
    print(f"\nnnplay serve after {signal_number.name}: exit {process.returncode}; its output:\n{output}")
    assert process.returncode == 0
    assert "Traceback" not in output and "ERROR" not in output
    assert "lifespan" not in output  # start-up and shutdown hooks ran (uvicorn says when they cannot)
    assert "Finished server process" in output
