"""Fan-out: one teacher run (spiral, all 7 features, 6 x 8) watched by many read-only websocket viewers.

    .venv/bin/python bench/viewers.py [--viewers 100,300] [--seconds 15] [--json out.json]

Three processes on 127.0.0.1: the server (`nnplay serve`), this driver (it starts the run and keeps its
own session socket), and the viewers (asyncio websockets on /ws/watch/{watch_id}). Phases in one run:
unwatched, each viewer count, unwatched again. For each: the run's epochs/s (server epoch over the window),
frames/s per viewer (median and 5th percentile), and frame lag p50/p99: when a viewer got a frame minus
when the first client (the driver's socket or any viewer) got that frame (same epoch), on the monotonic
clock the processes share: the delay fan-out adds, not the age of the frame since it was trained. It reports;
it never asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import msgpack

REPO = Path(__file__).resolve().parents[1]
RUN = {
    "dataset": "spiral",
    "features": ["x1", "x2", "x1_sq", "x2_sq", "x1_x2", "sin_x1", "sin_x2"],
    "hidden_layers": [8] * 6,
    "learning_rate": 0.01,
}
CONNECT_BATCH = 25


def frame_epoch(raw: bytes) -> int | None:
    """The epoch of a binary frame (None for other binary messages), reading only the first keys: a
    class of viewers on this machine must not spend its CPU decoding grids it does not look at."""
    unpacker = msgpack.Unpacker()
    unpacker.feed(raw)
    fields: dict[str, Any] = {}
    for _ in range(unpacker.read_map_header()):
        key = unpacker.unpack()
        fields[key] = unpacker.unpack()
        if key == "epoch":
            return int(fields["epoch"]) if fields.get("type") == "frame" else None
        if key == "type" and fields[key] != "frame":
            return None
    return None


# ---- the viewers' process --------------------------------------------------------------------------


async def _viewer(url: str, go: asyncio.Event, stop: asyncio.Event, log: list[tuple[float, int]]) -> None:
    import websockets

    async with websockets.connect(url, max_size=None) as ws:
        while not stop.is_set():
            try:
                raw = await asyncio.wait_for(ws.recv(), 0.5)
            except TimeoutError:
                continue
            if isinstance(raw, bytes) and go.is_set() and (epoch := frame_epoch(raw)) is not None:
                log.append((time.monotonic(), epoch))


async def _viewers_main(url: str, count: int, seconds: float, out: Path) -> None:
    go, stop = asyncio.Event(), asyncio.Event()
    logs: list[list[tuple[float, int]]] = [[] for _ in range(count)]
    tasks = []
    for i in range(count):
        tasks.append(asyncio.create_task(_viewer(url, go, stop, logs[i])))
        if i % CONNECT_BATCH == CONNECT_BATCH - 1:
            await asyncio.sleep(0.2)  # a class does not connect in the same millisecond
    await asyncio.sleep(2.0)  # let every connection settle before measuring
    started = time.monotonic()
    print("go", flush=True)
    go.set()
    await asyncio.sleep(seconds)
    stop.set()
    ended = time.monotonic()
    await asyncio.gather(*tasks, return_exceptions=True)
    out.write_text(json.dumps({"started": started, "ended": ended, "logs": logs}))


# ---- the driver --------------------------------------------------------------------------------------


def _driver_log(ws_url: str, stop: threading.Event, log: dict[int, float]) -> None:
    from websockets.sync.client import connect

    with connect(ws_url, max_size=None) as ws:
        ws.send(json.dumps({"type": "start"}))
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                raw = ws.recv(timeout=0.5)
                epoch = frame_epoch(raw) if isinstance(raw, bytes) else None
                if epoch is not None:
                    log.setdefault(epoch, time.monotonic())


def _epoch(base: str, session_id: str) -> int:
    return int(httpx.get(f"{base}/api/sessions/{session_id}", timeout=120).json()["epoch"])


def _measure(
    base: str, session_id: str, watch_id: str, viewers: int, seconds: float, driver: dict[int, float]
) -> dict[str, Any]:
    if viewers == 0:
        first, started = _epoch(base, session_id), time.monotonic()
        time.sleep(seconds)
        return {
            "viewers": 0,
            "epochs_per_s": (_epoch(base, session_id) - first) / (time.monotonic() - started),
        }
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "viewers.json"
        url = base.replace("http", "ws") + f"/ws/watch/{watch_id}"
        process = subprocess.Popen(
            [sys.executable, __file__, "--viewer-process", url, str(viewers), str(seconds), str(out)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "go"
        first, started = _epoch(base, session_id), time.monotonic()
        process.wait(seconds + 120)
        rate = (_epoch(base, session_id) - first) / (time.monotonic() - started)
        result = json.loads(out.read_text())
    window = result["ended"] - result["started"]
    fps = sorted(len(log) / window for log in result["logs"])
    first: dict[int, float] = dict(driver)  # epoch -> when any client first had that frame
    for log in result["logs"]:
        for t, e in log:
            first[e] = min(first.get(e, t), t)
    lags = sorted(t - first[e] for log in result["logs"] for t, e in log)
    pick = lambda values, q: values[min(len(values) - 1, int(q * len(values)))] if values else None  # noqa: E731
    return {
        "viewers": viewers,
        "epochs_per_s": rate,
        "frames_per_s_median": statistics.median(fps),
        "frames_per_s_p5": pick(fps, 0.05),
        "frames_per_s_min": fps[0],
        "lag_ms_p50": pick(lags, 0.5) * 1000 if lags else None,
        "lag_ms_p99": pick(lags, 0.99) * 1000 if lags else None,
        "frames_matched": len(lags),
    }


def _serve(port: int, data_dir: str, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "NNPLAY_DATA_DIR": data_dir, "NNPLAY_WARMUP": "false"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "backend"), env.get("PYTHONPATH")]))
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "nnplay", "serve", "--port", str(port), "--log-level", "warning"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", default="100,300")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds of training before measuring")
    parser.add_argument("--json", default=None, help="also write the results to this file")
    args = parser.parse_args()
    from nnplay.inprocess import free_port

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as data_dir:
        server = _serve(port, data_dir, Path(data_dir) / "server.log")
        try:
            deadline = time.monotonic() + 60
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(base + "/api/health").status_code == 200:
                        break
                if time.monotonic() > deadline or server.poll() is not None:
                    raise SystemExit("the server did not start")
                time.sleep(0.2)
            created = httpx.post(base + "/api/sessions", json={"config": RUN}, timeout=60).json()
            session_id = created["id"]
            watch_id = httpx.get(f"{base}/api/sessions/{session_id}").json()["watch_id"]
            stop, driver = threading.Event(), {}
            thread = threading.Thread(
                target=_driver_log,
                args=(base.replace("http", "ws") + f"/ws/sessions/{session_id}", stop, driver),
            )
            thread.start()
            time.sleep(args.warmup)  # compile, then the exact kernel's background compile and swap
            counts = [0, *[int(n) for n in args.viewers.split(",")], 0]
            results = [_measure(base, session_id, watch_id, n, args.seconds, driver) for n in counts]
            stop.set()
            thread.join(5)
        finally:
            server.terminate()
            server.wait(30)
    unwatched = statistics.mean(r["epochs_per_s"] for r in results if r["viewers"] == 0)
    print(
        f"one run (spiral, 7 features, 6x8), {args.seconds:g} s a phase; unwatched {unwatched:,.0f} epochs/s"
    )
    header = ("viewers", 8), ("epochs/s", 9), ("x unwatched", 12), ("fps med", 8), ("fps p5", 7)
    print(" ".join(f"{name:>{width}}" for name, width in (*header, ("lag p50", 8), ("lag p99", 8))))
    for r in results:
        line = f"{r['viewers']:>8} {r['epochs_per_s']:>9,.0f} {r['epochs_per_s'] / unwatched:>11.2f}x"
        if r["viewers"]:
            line += (
                f" {r['frames_per_s_median']:>8.1f} {r['frames_per_s_p5']:>7.1f}"
                f" {r['lag_ms_p50']:>6.0f}ms {r['lag_ms_p99']:>6.0f}ms"
            )
        print(line)
    if args.json:
        Path(args.json).write_text(
            json.dumps({"unwatched_epochs_per_s": unwatched, "phases": results}, indent=1)
        )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--viewer-process":
        url, count, seconds, out = sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), Path(sys.argv[5])
        asyncio.run(_viewers_main(url, count, seconds, out))
    else:
        main()
