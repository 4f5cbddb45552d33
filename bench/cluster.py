"""The cluster's overheads against one process, measured in the same run (docs/cluster.md).

    .venv/bin/python bench/cluster.py [--cluster-dir /tmp/nnplay-cluster] [--sessions 10] [--seconds 15]
                                      [--viewers 100] [--output bench-results/cluster.json]

Runs a real `nnplay serve` (one process) and a local cluster (the one `scripts/cluster.sh up` keeps in
--cluster-dir, or a new one started here): for each, N sessions trained at once with one websocket client
each that changes its learning rate once a second (configure -> the first frame made with the new config,
bench/classroom.py's probe), and one run watched by --viewers clients (split over both gateways in the
cluster) against the same run unwatched. Prints and writes the figures; never asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import websockets

sys.path.insert(0, str(Path(__file__).parent))
from classroom import Probe  # bench/ is not a package: its modules import each other by name
from nnplay.cluster import services
from nnplay.inprocess import server_process

CONFIG = {"dataset": "spiral", "hidden_layers": [8, 8, 8]}


async def probe_sessions(base: str, n: int, seconds: float) -> dict[str, Any]:
    ws_base = base.replace("http", "ws", 1)
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        ids = [(await http.post("/api/sessions", json={"config": {**CONFIG, "seed": i + 1}})).json()["id"]
               for i in range(n)]  # fmt: skip
        probes = [Probe(f"{ws_base}/ws/sessions/{sid}") for sid in ids]
        stop, started = asyncio.Event(), [asyncio.Event() for _ in probes]
        tasks = [asyncio.create_task(p.run(stop, s)) for p, s in zip(probes, started, strict=True)]
        await asyncio.wait_for(asyncio.gather(*(s.wait() for s in started)), 120)
        for p in probes:
            p.measuring = True
        await asyncio.sleep(seconds)
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)
        for sid in ids:
            await http.delete(f"/api/sessions/{sid}")
    latencies = sorted(x for p in probes for x in p.latencies)
    rates = [
        (p.frames[-1][1] - p.frames[0][1]) / (p.frames[-1][0] - p.frames[0][0])
        for p in probes
        if len(p.frames) > 1
    ]
    p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else None
    return {
        "sessions": n,
        "epochs_per_s_median": round(statistics.median(rates), 1) if rates else None,
        "configure_to_frame_p95_ms": None if p95 is None else round(1000 * p95, 1),
        "configure_samples": len(latencies),
    }


async def watched_ratio(base: str, watch_bases: list[str], viewers: int, seconds: float) -> dict[str, Any]:
    """Epochs/s of one run unwatched (its owner's socket only), then with `viewers` read-only viewers."""
    ws_base = base.replace("http", "ws", 1)
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        run = (await http.post("/api/sessions", json={"config": CONFIG})).json()

        async def epoch() -> int:
            return int((await http.get(f"/api/sessions/{run['id']}")).json()["epoch"])

        async def rate() -> float:
            first, t0 = await epoch(), time.perf_counter()
            await asyncio.sleep(seconds)
            return (await epoch() - first) / (time.perf_counter() - t0)

        frames = [0] * viewers

        async def viewer(i: int, stop: asyncio.Event) -> None:
            url = f"{watch_bases[i % len(watch_bases)]}/ws/watch/{run['watch_id']}"
            async with websockets.connect(url, open_timeout=60, max_size=None) as ws:
                while not stop.is_set():
                    with contextlib.suppress(TimeoutError):
                        frames[i] += isinstance(await asyncio.wait_for(ws.recv(), 0.5), bytes)

        async with websockets.connect(f"{ws_base}/ws/sessions/{run['id']}", max_size=None) as owner:
            await owner.send(json.dumps({"type": "viewer", "visible": False, "insights": False}))
            await owner.send(json.dumps({"type": "start"}))
            drain = asyncio.create_task(_drain(owner))
            await asyncio.sleep(3)
            alone = await rate()
            stop = asyncio.Event()
            tasks = [asyncio.create_task(viewer(i, stop)) for i in range(viewers)]
            await asyncio.sleep(3)
            watched = await rate()
            stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            drain.cancel()
        await http.delete(f"/api/sessions/{run['id']}")
    return {
        "viewers": viewers,
        "unwatched_epochs_per_s": round(alone, 1),
        "watched_epochs_per_s": round(watched, 1),
        "ratio": round(watched / alone, 2) if alone else None,
        "viewers_without_frames": sum(1 for f in frames if f == 0),
        "frames_per_viewer_per_s_median": round(statistics.median(frames) / (seconds + 3), 1),
    }


async def _drain(ws: Any) -> None:
    async for _ in ws:
        pass


@contextlib.contextmanager
def cluster(directory: Path | None) -> Iterator[dict[str, Any]]:
    if directory is not None:
        yield json.loads((directory / "cluster.json").read_text())
        return
    state = Path(tempfile.mkdtemp(prefix="nnplay-bench-cluster-"))
    state.chmod(0o755)
    port = services.free_port()
    keeper = subprocess.Popen(
        [sys.executable, "-m", "nnplay.cluster.local", "up", str(state), "--port", str(port)]
    )
    try:
        while not (state / "cluster.json").exists():
            if keeper.poll() is not None:
                raise RuntimeError("the cluster did not start")
            time.sleep(0.5)
        yield json.loads((state / "cluster.json").read_text())
    finally:
        keeper.terminate()
        keeper.wait(120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cluster-dir", type=Path)
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--viewers", type=int, default=100)
    parser.add_argument("--output", type=Path, default=Path("bench-results/cluster.json"))
    args = parser.parse_args()
    results: dict[str, Any] = {}
    rates = {"NNPLAY_SESSION_CREATIONS_PER_MINUTE": "100000", "NNPLAY_SESSION_CREATION_BURST": "100000"}
    with tempfile.TemporaryDirectory() as tmp, server_process(Path(tmp) / "serve.log", env=rates) as base:
        results["single_process"] = {
            **asyncio.run(probe_sessions(base, args.sessions, args.seconds)),
            "watched": asyncio.run(watched_ratio(base, [base.replace("http", "ws", 1)], args.viewers, 8)),
        }
    with cluster(args.cluster_dir) as info:
        base = f"http://127.0.0.1:{info['port']}"
        gateways = [f"ws://127.0.0.1:{gw['port']}" for gw in info["gateways"].values()]
        results["cluster"] = {
            **asyncio.run(probe_sessions(base, args.sessions, args.seconds)),
            "watched": asyncio.run(watched_ratio(base, gateways, args.viewers, 8)),
        }
    print(json.dumps(results, indent=1))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
