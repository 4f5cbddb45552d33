"""`nnplay bench`'s measures of a real server: what reaches a websocket client (epochs/s, frames/s,
frame bytes against JSON), configure -> frame latency of random edits, and start-up to the first frame."""

from __future__ import annotations

import contextlib
import json
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import msgpack
import numpy as np
from websockets.sync.client import ClientConnection, connect

from .engine import runtime
from .inprocess import free_port
from .settings import FEATURE_NAMES


def _open(base: str, changes: dict[str, Any]) -> tuple[str, ClientConnection]:
    session_id = httpx.post(base + "/api/sessions", json={"config": changes}, timeout=60).json()["id"]
    ws = connect(base.replace("http", "ws") + f"/ws/sessions/{session_id}", max_size=None)
    return session_id, ws


def _frames(ws: ClientConnection, seconds: float) -> Iterator[tuple[float, bytes, dict[str, Any]]]:
    end = time.perf_counter() + seconds
    while (left := end - time.perf_counter()) > 0:
        try:
            message = ws.recv(timeout=left)
        except TimeoutError:
            return
        if isinstance(message, bytes):
            decoded = msgpack.unpackb(message)
            if decoded.get("type") == "frame":
                yield time.perf_counter(), message, decoded


def _config_reply(ws: ClientConnection, timeout: float = 10) -> dict[str, Any]:
    end = time.perf_counter() + timeout
    while (left := end - time.perf_counter()) > 0:
        message = ws.recv(timeout=left)
        if isinstance(message, str):
            reply: dict[str, Any] = json.loads(message)
            if reply.get("type") == "config":
                return reply
            if reply.get("type") == "error":
                raise RuntimeError(f"the server refused an edit: {reply['message']}")
    raise TimeoutError("no config reply")


def _wait_training(ws: ClientConnection, min_epochs: int, timeout: float = 60) -> None:
    for _, _, frame in _frames(ws, timeout):
        if frame["epoch"] >= min_epochs and frame["state"] == "training":
            return


def stream_figures(base: str, changes: dict[str, Any], seconds: float) -> dict[str, float]:
    """Epochs/s and frames/s that reach a websocket client, and bytes per frame."""
    _, ws = _open(base, changes)
    with ws:
        ws.send(json.dumps({"type": "start"}))
        _wait_training(ws, 1)
        time.sleep(2.0)  # let the background exact-kernel compile land (it is what a user gets)
        first: dict[str, Any] | None = None
        t0 = 0.0
        count, sizes, last, t_last = 0, [], None, 0.0
        for t, raw, frame in _frames(ws, seconds):
            if first is None:
                first, t0 = frame, t
                continue
            count, last, t_last = count + 1, frame, t
            sizes.append(len(raw))
        ws.send(json.dumps({"type": "pause"}))
    assert first is not None and last is not None, "no frames arrived"
    span = t_last - t0
    return {
        "client_epochs_per_s": (last["epoch"] - first["epoch"]) / span,
        "client_frames_per_s": count / span,
        "frame_bytes": statistics.median(sizes),
        "json_frame_bytes": len(json.dumps(_as_json(last))),
    }


def _as_json(frame: dict[str, Any]) -> dict[str, Any]:
    """The naive encoding: every grid value and weight as a JSON number."""
    out = dict(frame)
    out["output_grid"] = [round(v / 127.5 - 1, 6) for v in frame["output_grid"]]
    out["neuron_grids"] = [round(v / 127.5 - 1, 6) for v in frame["neuron_grids"]]
    out["weights"] = [np.frombuffer(w, np.float32).tolist() for w in frame["weights"]]
    out["biases"] = [np.frombuffer(b, np.float32).tolist() for b in frame["biases"]]
    return out


def random_edit(rng: random.Random, config: dict[str, Any]) -> dict[str, Any]:
    """One edit a person might make (within the reference limits)."""
    kind = rng.choice(
        [
            "learning_rate",
            "activation",
            "features",
            "neurons",
            "layers",
            "regularization",
            "batch_size",
            "dataset",
            "noise",
        ]
    )
    if kind == "learning_rate":
        return {"learning_rate": rng.choice([0.001, 0.003, 0.01, 0.03, 0.1, 0.3])}
    if kind == "activation":
        return {"activation": rng.choice(["relu", "tanh", "sigmoid", "linear"])}
    if kind == "features":
        return {"features": rng.sample(FEATURE_NAMES, rng.randint(1, 7))}
    if kind == "neurons":
        layers = list(config["hidden_layers"]) or [4]
        layers[rng.randrange(len(layers))] = rng.randint(1, 8)
        return {"hidden_layers": layers}
    if kind == "layers":
        return {"hidden_layers": [rng.randint(1, 8) for _ in range(rng.randint(0, 6))]}
    if kind == "regularization":
        return {"regularization": rng.choice(["l1", "l2", "none"]), "regularization_rate": 0.001}
    if kind == "batch_size":
        return {"batch_size": rng.randint(1, 30)}
    if kind == "noise":
        return {"noise": rng.choice([0, 10, 25])}
    return {"dataset": rng.choice(["circle", "xor", "gauss", "spiral"])}


def edit_figures(base: str, n_edits: int) -> dict[str, float]:
    """configure -> first frame reflecting it, while training; and compilations during the edits."""
    session_id, ws = _open(base, {})
    rng = random.Random(0)
    latencies = []
    with ws:
        ws.send(json.dumps({"type": "start"}))
        _wait_training(ws, 1)
        config = httpx.get(f"{base}/api/sessions/{session_id}").json()["config"]
        compiles_before, exact_before = runtime.compile_count(), runtime.background_compile_count()
        for _ in range(n_edits):
            changes = random_edit(rng, config)
            sent = time.perf_counter()
            ws.send(json.dumps({"type": "configure", "changes": changes}))
            config.update(changes)
            # The server answers every configure with the config and its version (unchanged for a no-op).
            version = _config_reply(ws)["config_version"]
            for t, _, frame in _frames(ws, 10):
                if frame["config_version"] >= version:
                    latencies.append(t - sent)
                    break
            time.sleep(0.05)
        compiles = runtime.compile_count() - compiles_before
        exact = runtime.background_compile_count() - exact_before
        ws.send(json.dumps({"type": "pause"}))
    latencies.sort()
    return {
        "edits": len(latencies),
        "edit_latency_ms_median": 1000 * statistics.median(latencies),
        "edit_latency_ms_p95": 1000 * latencies[int(0.95 * (len(latencies) - 1))],
        "compiles_total": compiles,
        "compiles_background": exact,
        "compiles_on_edit_path": compiles - exact,
    }


def start_up_s(cache_dir: str) -> dict[str, float]:
    """A fresh `nnplay serve` process: seconds until it answers, until its first run is created and until
    the first training frame reaches a client."""
    port = free_port()
    env = {
        **os.environ,
        "JAX_COMPILATION_CACHE_DIR": cache_dir,
        "NNPLAY_WARMUP": "true",
        "NNPLAY_DATA_DIR": str(Path(cache_dir) / "data"),  # never the user's own rooms
    }
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "nnplay", "serve", "--port", str(port), "--log-level", "warning"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"nnplay serve exited with {proc.returncode} before it answered")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(base + "/api/health").status_code == 200:
                    break
            time.sleep(0.05)
        times = {"answers": time.perf_counter() - started}
        _, ws = _open(base, {})
        times["run_created"] = time.perf_counter() - started
        times["first_frame"] = float("nan")
        with ws:
            ws.send(json.dumps({"type": "start"}))
            for _, _, frame in _frames(ws, 120):
                if frame["epoch"] > 0:
                    times["first_frame"] = time.perf_counter() - started
                    break
        return times
    finally:
        proc.terminate()
        proc.wait(10)
