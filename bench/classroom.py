"""A classroom on one server: N sessions training at once, each watched by its own websocket client.

    .venv/bin/python bench/classroom.py [--sessions 1,2,10,30] [--seconds 20] [--engines per_session,batched]
                                        [--edits together|spread] [--output bench-results/classroom.json]

For each engine (`NNPLAY_SCHEDULER`: `per_session` is one run loop per session as before issue 10,
`batched` the scheduler that trains a bucket's sessions in one vmapped call), a real `nnplay serve` runs in
its own process. For each N it creates N sessions (spiral, all 7 features, hidden [8, 8, 8], seed i), opens
one websocket client per session (in this process) that reports what the page reports with its
default panels (a visible tab, insight charts closed), presses Play, waits until every session has trained,
then for `--seconds` every client reads every frame and changes its learning rate once a second, timing
configure -> the first frame made with the new config (`--edits together`, the default: every client's
second starts at once, so the class's edits come in bursts; `spread`: each client's second starts at a
random phase, as students' edits do). It reports per session epochs/s (median and
slowest), aggregate epochs/s, frames/s, configure -> frame p95 and the server's CPU use, side by side for
the engines measured in this run. It reports; it never asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import msgpack
from websockets.asyncio.client import connect

REPO_ROOT = Path(__file__).resolve().parents[1]
FEATURES = ["x1", "x2", "x1_sq", "x2_sq", "x1_x2", "sin_x1", "sin_x2"]
WARM_UP_TIMEOUT_S = 240.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def server(engine: str, max_sessions: int, log_path: str | None = None) -> Iterator[tuple[str, int]]:
    """A real `nnplay serve` in its own process; yields (base URL, pid)."""
    port = _free_port()
    env = {
        **os.environ,
        "NNPLAY_SCHEDULER": engine,
        "NNPLAY_MAX_SESSIONS": str(max_sessions),
        "NNPLAY_MAX_SESSIONS_PER_CLIENT": str(max_sessions),
        # every client of the probe comes from 127.0.0.1: one socket per session, and a margin for reconnects
        "NNPLAY_MAX_CONNECTIONS_PER_CLIENT": str(max(256, 2 * max_sessions)),
        "NNPLAY_SESSION_CREATIONS_PER_MINUTE": "100000",
        "NNPLAY_SESSION_CREATION_BURST": "100000",
        "NNPLAY_WS_MESSAGES_PER_SECOND": "100000",
        "NNPLAY_WS_MESSAGE_BURST": "100000",
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT / "backend"), env.get("PYTHONPATH")]))
    cmd = [sys.executable, "-m", "nnplay", "serve", "--port", str(port)]
    # the server's output: kept in `log_path` if given (e.g. with JAX_LOG_COMPILES=1), else read only when
    # the server fails to start
    log = open(log_path, "w+b") if log_path else tempfile.TemporaryFile()  # noqa: SIM115
    process = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(base + "/api/health").status_code == 200:
                    break
            time.sleep(0.1)
        else:
            log.seek(0)
            raise RuntimeError("the server did not start:\n" + log.read().decode(errors="replace")[-3000:])
        yield base, process.pid
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def settled(http: Any, timeout_s: float = 60.0) -> None:
    """Wait until the engine has no compile in flight (the class's kernels, sized for its slots, are built
    in the background after the first frames): the measure is of the steady state, not of the compiles."""
    deadline = time.perf_counter() + timeout_s
    while time.perf_counter() < deadline:
        engine = (await http.get("/api/health")).json().get("engine", {})
        if not engine.get("compiles_in_flight", 0):
            return
        await asyncio.sleep(0.5)


class Probe:
    """One session's client: reads every frame; changes the learning rate once a second."""

    def __init__(self, url: str, phase_s: float = 0.0) -> None:
        self.url = url
        self.phase_s = phase_s  # when in each second this client sends its edit
        self.frames: list[tuple[float, int]] = []  # (time, epoch)
        self.latencies: list[float] = []
        self.config_version = 0
        self._sent: tuple[int, float] | None = None  # (version expected, sent at)
        self.measuring = False

    async def run(self, stop: asyncio.Event, started: asyncio.Event) -> None:
        async with connect(self.url, max_size=None) as ws:
            # What the page reports on connect with its default panels (viewerReport.js): a visible tab,
            # insight charts closed.
            await ws.send(json.dumps({"type": "viewer", "visible": True, "insights": False}))
            await ws.send(json.dumps({"type": "start"}))
            reader = asyncio.create_task(self._read(ws, started))
            rate = 0.03
            await asyncio.sleep(self.phase_s)
            while not stop.is_set():
                await asyncio.sleep(1.0)
                if self.measuring and self._sent is None:
                    rate = 0.01 if rate == 0.03 else 0.03
                    self._sent = (self.config_version + 1, time.perf_counter())
                    changes = {"learning_rate": rate}
                    await ws.send(json.dumps({"type": "configure", "changes": changes}))
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader

    async def _read(self, ws: Any, started: asyncio.Event) -> None:
        async for raw in ws:
            now = time.perf_counter()
            if isinstance(raw, str):
                message = json.loads(raw)
                if message.get("type") == "config":
                    self.config_version = message["config_version"]
                continue
            frame = msgpack.unpackb(raw)
            if frame.get("type") != "frame":
                continue
            if frame["epoch"] > 0:
                started.set()
            if self.measuring:
                self.frames.append((now, frame["epoch"]))
            if self._sent is not None and frame["config_version"] >= self._sent[0]:
                if self.measuring:
                    self.latencies.append(now - self._sent[1])
                self._sent = None


async def measure(base: str, pid: int, n: int, seconds: float, spread: bool = False) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        ids = []
        for i in range(n):
            config = {"dataset": "spiral", "features": FEATURES, "hidden_layers": [8, 8, 8], "seed": i + 1}
            response = await http.post("/api/sessions", json={"config": config})
            response.raise_for_status()
            ids.append(response.json()["id"])
        ws_base = base.replace("http", "ws")
        phases = [random.Random(n * 7919 + i).uniform(0, 1000) for i in range(n)] if spread else [0.0] * n
        urls = [f"{ws_base}/ws/sessions/{sid}" for sid in ids]
        probes = [Probe(url, ms / 1000) for url, ms in zip(urls, phases, strict=True)]
        stop = asyncio.Event()
        started = [asyncio.Event() for _ in probes]
        tasks = [asyncio.create_task(p.run(stop, s)) for p, s in zip(probes, started, strict=True)]
        await asyncio.wait_for(asyncio.gather(*(s.wait() for s in started)), WARM_UP_TIMEOUT_S)
        await asyncio.sleep(2.0)  # let exact kernels swap in
        await settled(http)
        cpu0, wall0 = cpu_seconds(pid), time.perf_counter()
        engine0 = (await http.get("/api/health")).json().get("engine", {})
        for p in probes:
            p.measuring = True
        await asyncio.sleep(seconds)
        for p in probes:
            p.measuring = False
        cpu = (cpu_seconds(pid) - cpu0) / (time.perf_counter() - wall0)
        engine1 = (await http.get("/api/health")).json().get("engine", {})
        done = {
            k: v - engine0.get(k, 0)
            for k, v in engine1.items()
            if isinstance(v, (int, float)) and k != "sessions"
        }
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        for sid in ids:
            await http.delete(f"/api/sessions/{sid}")
    rates, fps, latencies = [], [], []
    for p in probes:
        if len(p.frames) >= 2:
            (t0, e0), (t1, e1) = p.frames[0], p.frames[-1]
            rates.append((e1 - e0) / max(t1 - t0, 1e-9))
        else:
            rates.append(0.0)
        fps.append(len(p.frames) / seconds)
        latencies.extend(p.latencies)
    latencies.sort()
    median = statistics.median(rates)
    return {
        "sessions": n,
        "epochs_per_s_median": round(median, 1),
        "epochs_per_s_slowest": round(min(rates), 1),
        "slowest_over_median": round(min(rates) / median, 3) if median else 0.0,
        "aggregate_epochs_per_s": round(sum(rates), 1),
        "frames_per_s_median": round(statistics.median(fps), 1),
        "configure_to_frame_p95_ms": (
            round(1000 * latencies[int(0.95 * (len(latencies) - 1))], 1) if latencies else None
        ),
        "configure_samples": len(latencies),
        "edits": "spread" if spread else "together",
        "server_cpu_cores": round(cpu, 2),
        # what the engine did while measuring (from /api/health): compiles, frames batched / alone, ...
        "engine_while_measuring": done,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", default="1,2,10,30")
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--engines", default="per_session,batched")
    parser.add_argument("--output", default="bench-results/classroom.json")
    parser.add_argument("--server-log", default=None, help="keep each server's output in PATH.<engine>")
    parser.add_argument(
        "--edits", choices=("together", "spread"), default="together", help="when in each second clients edit"
    )
    args = parser.parse_args()
    counts = [int(n) for n in args.sessions.split(",")]
    results: dict[str, list[dict[str, Any]]] = {}
    for engine in args.engines.split(","):
        results[engine] = []
        log_path = args.server_log and f"{args.server_log}.{engine}"
        with server(engine, max(counts) + 4, log_path) as (base, pid):
            for n in counts:
                row = asyncio.run(measure(base, pid, n, args.seconds, args.edits == "spread"))
                results[engine].append(row)
                print(engine, json.dumps(row), flush=True)
    print(
        "| engine | sessions | epochs/s each (median) | slowest/median | aggregate | frames/s "
        "| cfg->frame p95 ms | CPU cores |"
    )
    print("|" + "---|" * 8)
    for engine, rows in results.items():
        for r in rows:
            cells = [
                engine,
                r["sessions"],
                f"{r['epochs_per_s_median']:,}",
                r["slowest_over_median"],
                f"{r['aggregate_epochs_per_s']:,}",
                r["frames_per_s_median"],
                r["configure_to_frame_p95_ms"],
                r["server_cpu_cores"],
            ]
            print("| " + " | ".join(str(c) for c in cells) + " |")
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"seconds": args.seconds, "results": results}, indent=2))


if __name__ == "__main__":
    main()
