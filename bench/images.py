"""The image lab's figures: Play -> 95 % test accuracy over the real websocket, the fused kernel's epochs/s
against a naive one-jit-call-per-step trainer (same update, same run), CNN vs MLP accuracy, frame sizes.

    PYTHONPATH=backend .venv/bin/python bench/images.py [--epochs 15] [--seeds 1,2,3] [--json out.json]

It reports; it never asserts.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

import httpx
import jax
import jax.numpy as jnp
import msgpack
import numpy as np
from websockets.sync.client import connect

from nnplay.families.cnn.config import MLP_STACK, make_image_config
from nnplay.families.cnn.kernel import LabState, naive_step
from nnplay.families.cnn.plan import Lab
from nnplay.inprocess import running_server

BIG_STACK = [
    {"kind": "conv", "filters": 16, "kernel": 5},
    {"kind": "conv", "filters": 16, "kernel": 5},
    {"kind": "batchnorm"},
    {"kind": "conv", "filters": 16, "kernel": 5},
    {"kind": "dense", "units": 128},
    {"kind": "dropout", "rate": 0.5},
    {"kind": "dense", "units": 128},
]


def _recv(ws: Any, timeout: float) -> dict[str, Any]:
    raw = ws.recv(timeout=timeout)
    message: dict[str, Any] = msgpack.unpackb(raw) if isinstance(raw, bytes) else json.loads(raw)
    if isinstance(raw, bytes):
        message["_bytes"] = len(raw)
    return message


def play_to_accuracy(
    base: str, target: float, config: dict[str, Any], limit_s: float = 120
) -> dict[str, Any]:
    """Create a session, wait for its first frame (compiled), press Play; time to test accuracy >= target."""
    started = time.perf_counter()
    session = httpx.post(base + "/api/images/sessions", json={"config": config}, timeout=300).json()["id"]
    with connect(base.replace("http", "ws") + f"/ws/images/{session}", max_size=2**22) as ws:
        while (message := _recv(ws, 300)).get("type") != "frame":
            pass
        ready_s = time.perf_counter() - started
        ws.send(json.dumps({"type": "start"}))
        play = time.perf_counter()
        frames, sizes, reached = 0, [], None
        while time.perf_counter() - play < limit_s:
            message = _recv(ws, 60)
            if message.get("type") != "frame" or message["state"] != "training":
                continue
            frames += 1
            sizes.append(message["_bytes"])
            if message["test_accuracy"] >= target:
                reached = {"epoch": message["epoch"], "seconds": time.perf_counter() - play}
                break
        # keep training a moment to measure the frame rate
        window = time.perf_counter()
        counted = 0
        while time.perf_counter() - window < 3:
            if _recv(ws, 60).get("type") == "frame":
                counted += 1
        ws.send(json.dumps({"type": "pause"}))
    return {
        "session_ready_s": round(ready_s, 2),
        "reached": reached,
        "frames_per_second": round(counted / 3, 1),
        "frame_bytes_max": max(sizes) if sizes else None,
    }


def epochs_per_second(lab: Lab, seconds: float, rounds: int) -> dict[str, float]:
    """The fused kernel (5 epochs per call) vs one jitted call per minibatch, same update, same data."""
    state = lab.train(lab.fresh_state(), 1)  # compiles
    fused: list[float] = []
    for _ in range(rounds):
        epochs, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds:
            state = lab.train(state, 5)
            epochs += 5
        jax.block_until_ready(state.params)
        fused.append(epochs / (time.perf_counter() - started))
    step = naive_step(lab.kernel_key)
    train_x, train_y = np.asarray(lab.split.train_x), np.asarray(lab.split.train_y)
    batch = lab.config.batch_size
    steps = len(train_y) // batch
    rng = np.random.default_rng(0)
    naive_state: LabState = lab.fresh_state()
    naive_state, _ = step(naive_state, lab.hyper, train_x[:batch], train_y[:batch], jnp.asarray(0))  # compile
    naive: list[float] = []
    for _ in range(rounds):
        epochs, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds:
            order = rng.permutation(len(train_y))
            for i in range(steps):
                idx = order[i * batch : (i + 1) * batch]
                naive_state, loss = step(naive_state, lab.hyper, train_x[idx], train_y[idx], jnp.asarray(i))
            float(loss)  # a naive trainer reads its loss every epoch
            naive_state = naive_state._replace(epoch=naive_state.epoch + 1)
            epochs += 1
        naive.append(epochs / (time.perf_counter() - started))
    return {
        "fused_epochs_per_s": round(statistics.median(fused), 1),
        "naive_epochs_per_s": round(statistics.median(naive), 1),
        "ratio": round(statistics.median(fused) / statistics.median(naive), 2),
    }


def accuracy_after(changes: dict[str, Any], epochs: int, seeds: list[int]) -> dict[str, Any]:
    accuracies = []
    for seed in seeds:
        lab = Lab(make_image_config(None, {**changes, "seed": seed}))
        state = lab.train(lab.fresh_state(), epochs)
        accuracies.append(round(lab.evaluate(state, 0).test_accuracy, 4))
    return {"per_seed": accuracies, "mean": round(statistics.mean(accuracies), 4), "min": min(accuracies)}


def compile_seconds(changes: dict[str, Any]) -> float:
    lab = Lab(make_image_config(None, changes))
    started = time.perf_counter()
    lab.train(lab.fresh_state(), 1)  # compiles
    return round(time.perf_counter() - started, 2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    results: dict[str, Any] = {"device": jax.devices()[0].platform, "jax": jax.__version__}
    # compile of a fresh architecture with the persistent cache off (the server's first Play of it)
    jax.config.update("jax_enable_compilation_cache", False)
    results["compile_s_default_cnn"] = compile_seconds({})
    results["compile_s_mlp"] = compile_seconds({"layers": list(MLP_STACK)})
    results["epochs_per_s_default_cnn"] = epochs_per_second(
        Lab(make_image_config()), args.seconds, args.rounds
    )
    results["epochs_per_s_mlp"] = epochs_per_second(
        Lab(make_image_config(None, {"layers": list(MLP_STACK)})), args.seconds, args.rounds
    )
    results[f"test_accuracy_after_{args.epochs}_epochs"] = {
        "cnn": accuracy_after({}, args.epochs, seeds),
        "mlp": accuracy_after({"layers": list(MLP_STACK)}, args.epochs, seeds),
    }
    with running_server(compilation_cache=False) as base:
        results["play_to_95pct"] = play_to_accuracy(base, 0.95, {})
        results["big_stack_frame"] = play_to_accuracy(base, 0.95, {"layers": BIG_STACK})
    print(json.dumps(results, indent=2))
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=2)


if __name__ == "__main__":
    main()
