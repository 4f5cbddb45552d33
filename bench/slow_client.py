"""A websocket client that never reads: does it slow training, and how much memory does the server hold
for it? Epochs/s of one training session watched by a reading client, in windows that alternate between
the reader alone and the reader plus a fresh silent client (same run, so a busy machine skews both
alike); then one silent client held for a minute: the bytes the server keeps for it (its queued control
messages and pending frame) and the process's RSS, sampled over that minute.

    PYTHONPATH=backend .venv/bin/python bench/slow_client.py [--window 4] [--pairs 6] [--minute 60]

Reports medians of windows; it never asserts.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import os
import socket
import statistics
import struct
import threading
import time
from typing import Any

import httpx
from websockets.sync.client import connect

from nnplay.inprocess import running_app


def silent_client(port: int, path: str) -> socket.socket:
    """A websocket handshake and then nothing: the client never reads a byte more."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += sock.recv(1)
    return sock


def bytes_held(sub: Any) -> int:
    while True:
        with contextlib.suppress(RuntimeError):  # the server's thread changed the queue meanwhile
            return int(sub.held_bytes())


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=float, default=4.0, help="seconds per measurement window")
    parser.add_argument("--pairs", type=int, default=6, help="pairs of windows: alone, with a silent client")
    parser.add_argument("--minute", type=float, default=60.0, help="seconds one silent client is held")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds of training before measuring")
    args = parser.parse_args()

    with running_app() as (base, app):
        port = int(base.rsplit(":", 1)[1])
        path = f"/ws/sessions/{httpx.post(base + '/api/sessions', json={}, timeout=60).json()['id']}"
        session_id = path.rsplit("/", 1)[1]
        session = app.state.sessions.get(session_id)

        def epoch() -> int:
            return int(httpx.get(f"{base}/api/sessions/{session_id}").json()["epoch"])

        def window() -> tuple[float, float]:
            """Epochs per wall-clock second, and per CPU second of this process (less sensitive to
            other programs on a shared machine; a silent client that cost work would show in it)."""
            start_epoch, start, cpu = epoch(), time.monotonic(), time.process_time()
            time.sleep(args.window)
            epochs = epoch() - start_epoch
            return epochs / (time.monotonic() - start), epochs / max(time.process_time() - cpu, 1e-9)

        def connect_silent() -> tuple[socket.socket, Any]:
            before = set(session.subscribers)
            sock = silent_client(port, path)
            while not (new := set(session.subscribers) - before):
                time.sleep(0.01)
            (sub,) = new
            return sock, sub

        def vanish(sock: socket.socket) -> None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()

        with connect(base.replace("http", "ws") + path, max_size=None) as reader:
            stop = threading.Event()

            def read() -> None:
                while not stop.is_set():
                    with contextlib.suppress(TimeoutError):
                        reader.recv(timeout=0.5)

            thread = threading.Thread(target=read, daemon=True)
            thread.start()
            reader.send('{"type": "start"}')
            time.sleep(args.warmup)  # the exact kernel is compiled and swapped in meanwhile
            alone, with_silent = [], []
            for _ in range(args.pairs):
                alone.append(window())
                sock, _ = connect_silent()
                with_silent.append(window())
                vanish(sock)
            sock, silent = connect_silent()
            rss_start, held = rss_mb(), []
            for _ in range(12):
                time.sleep(args.minute / 12)
                held.append(bytes_held(silent))
            rss_end = rss_mb()
            vanish(sock)
            stop.set()
            thread.join(2)
    for unit, index in (("wall-clock", 0), ("CPU", 1)):
        a = [round(w[index]) for w in alone]
        b = [round(w[index]) for w in with_silent]
        ratios = [round(y / x, 2) for x, y in zip(a, b, strict=True) if x > 0]
        print(f"epochs per {unit} second: alone {a}, plus a silent client {b}")
        print(f"  ratio with / alone, pairwise: median {statistics.median(ratios):.2f}  {ratios}")
    minutes = args.minute / 60
    print(f"bytes held for the silent client over {minutes:.1f} min: max {max(held)}, samples {held}")
    print(f"process RSS over that time: {rss_start:.0f} MB -> {rss_end:.0f} MB")


if __name__ == "__main__":
    main()
