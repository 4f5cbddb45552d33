"""A 32-run sweep against the same 32 runs one after another, in one process (issue 23's target).

The sweep: spiral, all 7 features, hidden layers [8, 8, 8], learning rates 0.003, 0.01, 0.03, 0.1 x seeds
1-8, 500 epochs (`nnplay sweep --dataset spiral ... --json`): its runs are sessions of the server's
SessionManager trained together on the batched engine (experiments/headless.py), nobody watching.
The baseline: the same 32 configs, one after another, each as `nnplay train` trains it (cli.run_training:
the exact-shape kernel, 200 epochs a call).

Each side runs twice in the same process: "cold" (its kernels compiled on the way, as a first sweep of a
fresh server) and "warm" (compiled). Also reported: every run's figures against the same run trained
alone (largest difference of the final test and training losses), and, with `--live`, the sweep started
over REST on a real server with its progress socket read as the page reads it (messages a second while
it trains). Never asserts.

`PYTHONPATH=backend python bench/sweeps.py [--epochs 500] [--live] [--output file.json]`
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from typing import Any

import jax

from nnplay.cli import run_training
from nnplay.engine.runtime import enable_compilation_cache
from nnplay.experiments.headless import headless_engine, run_sweep_async
from nnplay.experiments.plan import Axis, SweepSpec
from nnplay.settings import FEATURE_NAMES

RATES = (0.003, 0.01, 0.03, 0.1)
SEEDS = tuple(range(1, 9))
BASE = {"dataset": "spiral", "features": list(FEATURE_NAMES), "hidden_layers": [8, 8, 8]}


def spec(epochs: int) -> SweepSpec:
    return SweepSpec((Axis("learning_rate", RATES),), BASE, SEEDS, epochs)


async def sweeps(epochs: int) -> list[dict[str, Any]]:
    """The sweep cold, then warm, on one engine."""
    engine = headless_engine()
    try:
        return [await run_sweep_async(spec(epochs), engine) for _ in range(2)]
    finally:
        await asyncio.to_thread(engine.close)


def one_after_another(epochs: int) -> tuple[float, list[dict[str, Any]]]:
    started = time.perf_counter()
    results = []
    for rate in RATES:
        for seed in SEEDS:
            results.append(run_training({**BASE, "learning_rate": rate, "seed": seed}, epochs))
    return time.perf_counter() - started, results


def largest_difference(sweep: dict[str, Any], alone: list[dict[str, Any]]) -> dict[str, float]:
    worst = {"test_loss": 0.0, "train_loss": 0.0, "test_accuracy": 0.0}
    for run, lone in zip(sweep["runs"], alone, strict=True):
        assert run["config"]["learning_rate"] == lone["config"]["learning_rate"]
        assert run["config"]["seed"] == lone["config"]["seed"]
        for key in worst:
            worst[key] = max(worst[key], abs(run[key] - lone[key]))
    return worst


def live(epochs: int) -> dict[str, Any]:
    """The sweep over REST with its progress socket read: messages a second while it trains."""
    import httpx
    from websockets.sync.client import connect

    from nnplay.inprocess import running_server

    body = {
        "base": BASE,
        "vary": [{"name": "learning_rate", "values": list(RATES)}],
        "seeds": list(SEEDS),
        "epochs": epochs,
    }
    with running_server(session_creations_per_minute=1e6, session_creation_burst=10**6) as base:
        httpx.post(base + "/api/sweeps", json={**body, "epochs": 1}, timeout=120)  # compile first
        first = httpx.post(base + "/api/sweeps", json=body, timeout=120).json()
        stamps: list[float] = []
        thumbnails = 0
        with connect(base.replace("http", "ws") + f"/ws/sweeps/{first['id']}") as ws:
            while True:
                message = json.loads(ws.recv(timeout=120))
                if message["status"] in ("running", "starting"):
                    stamps.append(time.perf_counter())
                    thumbnails += sum(1 for run in message["runs"] if run["thumbnail"])
                if message["status"] in ("done", "stopped", "failed"):
                    break
        span = stamps[-1] - stamps[0] if len(stamps) > 1 else 0.0
        return {
            "wall_s": message["wall_s"],
            "messages_while_training": len(stamps),
            "messages_per_s": (len(stamps) - 1) / span if span else None,
            "pictures_per_s": thumbnails / span if span else None,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=500)
    parser.add_argument("--live", action="store_true", help="also the sweep over REST and its socket")
    parser.add_argument("--output", default=None)
    args = parser.parse_args()
    enable_compilation_cache()
    cold, warm = asyncio.run(sweeps(args.epochs))
    serial_cold_s, alone = one_after_another(args.epochs)
    serial_warm_s, alone_warm = one_after_another(args.epochs)
    report = {
        "device": str(jax.devices()[0]),
        "cores": os.cpu_count(),
        "load_before": os.getloadavg()[0],
        "runs": len(cold["runs"]),
        "epochs": args.epochs,
        "sweep_cold_s": cold["wall_s"],
        "sweep_warm_s": warm["wall_s"],
        "one_after_another_cold_s": serial_cold_s,
        "one_after_another_warm_s": serial_warm_s,
        "speedup_cold": serial_cold_s / cold["wall_s"],
        "speedup_warm": serial_warm_s / warm["wall_s"],
        "sweep_engine_warm": warm["engine"],
        "largest_difference_to_alone": {
            "cold": largest_difference(cold, alone),
            "warm": largest_difference(warm, alone_warm),
        },
        "all_done": all(
            r["state"] == "done" and r["epoch"] == args.epochs for r in cold["runs"] + warm["runs"]
        ),
    }
    if args.live:
        report["live"] = live(args.epochs)
    report["load_after"] = os.getloadavg()[0]
    print(json.dumps(report, indent=2))
    if args.output:
        with open(args.output, "w") as f:
            json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()
