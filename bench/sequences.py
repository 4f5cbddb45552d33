"""The sequence lab's figures (issue 20's targets), measured, never asserted:

- time from Play to the target, once compiled, on the lab's own kernel and frame evaluation (headless:
  chunks of `--chunk` steps, each followed by the frame's evaluation, as the server's run loop does):
  reverse (Transformer d=32, 2 heads, 1 layer) to >= 99 % whole-sequence test accuracy, sort length 8
  (2 layers) to >= 99 %, adding T=50 (GRU 32) to MSE < 0.01, on each seed;
- over the real websocket (an in-process server, the batched engine): frames/s and frame bytes at max
  speed, Play -> 99 % on reverse, and edits of width, length and layers: time to the first frame of the
  new config and the engine's compile count across them; a new bucket (a width past 32): how long until
  it trains (padded, in the bucket one up that was compiled ahead, or after its own compile); a
  narrower new bucket (width 12): the steps the run trains padded (in the bucket it was training in)
  while its own kernel compiles;
- side by side (adding T=50, RNN, GRU, LSTM): one run with `compare` (one training call per tick for the
  three) vs three runs (a call each), training calls, chunks and steps/s.

    PYTHONPATH=backend .venv/bin/python bench/sequences.py [--seeds 1,2,3] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

import httpx
import jax
import msgpack
from websockets.sync.client import connect

from nnplay.families.seq.config import make_seq_config
from nnplay.families.seq.plan import SeqPlan
from nnplay.inprocess import running_server

TARGETS: dict[str, tuple[dict[str, Any], float, float]] = {
    # name: (changes, target, limit in seconds the issue asks for)
    "reverse_transformer": ({}, 0.99, 2.0),
    "sort8_transformer_2_layers": ({"task": "sort", "layers": 2}, 0.99, 5.0),
    "adding_T50_gru32": ({"task": "adding", "model": "gru", "length": 50, "width": 32}, 0.01, 5.0),
}


def time_to_target(
    changes: dict[str, Any], target: float, seed: int, chunk: int, limit_s: float
) -> dict[str, Any]:
    plan = SeqPlan(make_seq_config(None, {**changes, "seed": seed}))
    regression = plan.task.regression
    warm = plan.train(plan.fresh_state(), chunk)  # compiles the chunk and the frame (excluded)
    jax.block_until_ready(warm)
    plan.evaluate(warm)
    state = plan.fresh_state()
    started = time.perf_counter()
    while time.perf_counter() - started < limit_s:
        state = plan.train(state, chunk)
        frame = plan.evaluate(state)
        figure = frame.figure("test", "mse") if regression else frame.test_accuracy
        if figure is not None and (figure < target if regression else figure >= target):
            seconds = time.perf_counter() - started
            return {
                "seed": seed,
                "reached": True,
                "seconds": round(seconds, 3),
                "steps": int(state.step),
                "figure": figure,
            }
    return {"seed": seed, "reached": False, "seconds": None, "steps": int(state.step), "figure": figure}


def step_ms(changes: dict[str, Any], steps: int = 200) -> float:
    plan = SeqPlan(make_seq_config(None, changes))
    state = jax.block_until_ready(plan.train(plan.fresh_state(), steps))
    started = time.perf_counter()
    jax.block_until_ready(plan.train(state, steps))
    return round(1000 * (time.perf_counter() - started) / steps, 3)


def _recv(ws: Any, timeout: float) -> dict[str, Any]:
    raw = ws.recv(timeout=timeout)
    message: dict[str, Any] = msgpack.unpackb(raw) if isinstance(raw, bytes) else json.loads(raw)
    if isinstance(raw, bytes):
        message["_bytes"] = len(raw)
    return message


def _settled(base: str) -> float:
    """When (perf_counter) the engine had no compile in flight, polled every 50 ms."""
    while httpx.get(base + "/api/health").json()["engine"]["compiles_in_flight"]:
        time.sleep(0.05)
    return time.perf_counter()


def _compiles(base: str) -> int:
    return int(httpx.get(base + "/api/health").json()["engine"]["compiles"])


def over_the_websocket(base: str, seconds: float) -> dict[str, Any]:
    """Play -> 99 % on reverse at max speed, frames/s and bytes, edits -> next frame and compiles."""
    session = httpx.post(base + "/api/sequences/sessions", json={"config": {"speed": 0}}, timeout=300).json()[
        "id"
    ]
    out: dict[str, Any] = {}
    with connect(base.replace("http", "ws") + f"/ws/sequences/{session}", max_size=2**22) as ws:
        while _recv(ws, 600).get("type") != "frame":
            pass
        # compile the training kernel first (a step), so Play measures training, not the compile
        ws.send(json.dumps({"type": "step", "epochs": 1}))
        while (m := _recv(ws, 600)).get("type") != "frame" or m["epoch"] < 1:
            pass
        ws.send(json.dumps({"type": "reset"}))
        while (m := _recv(ws, 60)).get("type") != "frame" or m["epoch"] != 0:
            pass
        ws.send(json.dumps({"type": "start"}))
        play = time.perf_counter()
        reached = None
        while time.perf_counter() - play < 60:
            m = _recv(ws, 60)
            if m.get("type") == "frame" and (m["test"]["sequence_accuracy"] or 0) >= 0.99:
                reached = {"seconds": round(time.perf_counter() - play, 3), "step": m["epoch"]}
                break
        out["play_to_99pct_reverse"] = reached
        window, sizes = time.perf_counter(), []
        while time.perf_counter() - window < seconds:
            m = _recv(ws, 60)
            if m.get("type") == "frame":
                sizes.append(m["_bytes"])
        out["frames_per_second"] = round(len(sizes) / seconds, 1)
        out["frame_bytes_median"] = int(statistics.median(sizes)) if sizes else None
        out["frame_bytes_max"] = max(sizes) if sizes else None
        # edits within the bucket while training: width (bucket 17-32), length (bucket 8)
        edits = [{"width": 24}, {"length": 6}, {"width": 32}, {"length": 8}, {"width": 20}, {"width": 32}]
        out["edit_to_frame_ms"], out["compiles_during_edits"] = _edit_delays(base, ws, edits * 3)
        # the bucket one up (steps 16, width 64, layers 2), compiled in the background since the run first
        # trained in its own: when it is ready, counted from Play (the run trains at max speed meanwhile)
        out["bucket_one_up_ready_s_after_play"] = round(_settled(base) - play, 2)
        # a new bucket: width 48 (bucket 64) compiles; meanwhile the run trains padded in the bucket one up
        sent = time.perf_counter()
        ws.send(json.dumps({"type": "configure", "changes": {"width": 48}}))
        states = []
        while True:
            m = _recv(ws, 600)
            if m.get("type") == "status":
                states.append(m["state"])
            if m.get("type") == "frame" and m["state"] == "training" and m["hidden"]["shape"][0] == 48:
                break
        out["new_bucket_width_48"] = {
            "seconds_to_training_frame": round(time.perf_counter() - sent, 2),
            "kernel_then": httpx.get(base + f"/api/sequences/sessions/{session}").json()["kernel"],
            "states_seen": states,
        }
        # a narrower new bucket: width 12 (bucket 16) compiles in the background while the run trains on,
        # padded into the bucket it was training in (64)
        out["new_bucket_width_12_padded"] = _padded_while_compiling(base, ws, session, {"width": 12})
        ws.send(json.dumps({"type": "pause"}))
    # layer edits: a 3-layer run lives in the 4-layer bucket, so 3 <-> 4 <-> 2 compile nothing
    config = {"speed": 0, "layers": 3}
    session = httpx.post(base + "/api/sequences/sessions", json={"config": config}, timeout=300).json()["id"]
    with connect(base.replace("http", "ws") + f"/ws/sequences/{session}", max_size=2**22) as ws:
        while _recv(ws, 600).get("type") != "frame":
            pass
        ws.send(json.dumps({"type": "start"}))
        while (m := _recv(ws, 600)).get("type") != "frame" or m["state"] != "training":
            pass
        edits = [{"layers": 4}, {"layers": 3}, {"layers": 4}, {"layers": 3}, {"width": 24}, {"width": 32}]
        out["layer_edit_to_frame_ms"], out["compiles_during_layer_edits"] = _edit_delays(base, ws, edits * 2)
        ws.send(json.dumps({"type": "pause"}))
    return out


def _padded_while_compiling(base: str, ws: Any, session: str, changes: dict[str, Any]) -> dict[str, Any]:
    """An edit into a bucket not compiled yet: the steps trained (padded) before its own kernel landed."""
    summary = base + f"/api/sequences/sessions/{session}"
    before = _compiles(base)
    sent = time.perf_counter()
    ws.send(json.dumps({"type": "configure", "changes": changes}))
    states, first, padded_steps, padded_frames, kernel = [], None, None, 0, ""
    while time.perf_counter() - sent < 300:
        m = _recv(ws, 300)
        if m.get("type") == "status":
            states.append(m["state"])
        if m.get("type") != "frame" or m["hidden"]["shape"][0] != changes["width"]:
            continue
        first = m["epoch"] if first is None else first
        kernel = httpx.get(summary).json()["kernel"]
        if "padded" not in kernel:
            break
        padded_frames, padded_steps = padded_frames + 1, m["epoch"] - first
    return {
        "seconds_until_own_kernel": round(time.perf_counter() - sent, 2),
        "steps_trained_padded_meanwhile": padded_steps,
        "frames_while_padded": padded_frames,
        "kernel_after": kernel,
        "states_seen": states,
        "compiles": _compiles(base) - before,
    }


def side_by_side(base: str, seconds: float) -> dict[str, Any]:
    """RNN, GRU and LSTM on adding T=50: one side-by-side run vs three runs, training calls and steps/s."""
    config = {"task": "adding", "length": 50, "width": 32, "speed": 0}
    out: dict[str, Any] = {}
    for name, runs in (
        ("one_run_compare", [{**config, "model": "rnn", "compare": ["gru", "lstm"]}]),
        ("three_runs", [{**config, "model": m} for m in ("rnn", "gru", "lstm")]),
    ):
        ids = [
            httpx.post(base + "/api/sequences/sessions", json={"config": c}, timeout=300).json()["id"]
            for c in runs
        ]
        sockets = [connect(base.replace("http", "ws") + f"/ws/sequences/{i}", max_size=2**22) for i in ids]
        try:
            for ws in sockets:  # compiled (a step) before the window
                ws.send(json.dumps({"type": "step", "epochs": 1}))
                while (m := _recv(ws, 600)).get("type") != "frame" or m["epoch"] < 1:
                    pass
            engine = httpx.get(base + "/api/health").json()["engine"]
            for ws in sockets:
                ws.send(json.dumps({"type": "start"}))
            time.sleep(seconds)
            after = httpx.get(base + "/api/health").json()["engine"]
            for ws in sockets:
                ws.send(json.dumps({"type": "pause"}))
            steps = [httpx.get(base + f"/api/sequences/sessions/{i}").json()["epoch"] for i in ids]
        finally:
            for ws in sockets:
                ws.close()
        calls, chunks = (after[k] - engine[k] for k in ("training_calls", "chunks"))
        out[name] = {
            "training_calls": calls,
            "chunks": chunks,
            "models_per_call": round(3 * chunks / max(calls, 1) / len(runs), 2),
            "steps_per_second_each_model": round(min(steps) / seconds, 1),
        }
    return out


def _edit_delays(base: str, ws: Any, edits: list[dict[str, Any]]) -> tuple[dict[str, float], int]:
    """Send each edit while training; the time to the first frame of its config; compiles meanwhile."""
    before = _compiles(base)
    delays = []
    for changes in edits:
        sent = time.perf_counter()
        ws.send(json.dumps({"type": "configure", "changes": changes}))
        version = None
        while True:
            m = _recv(ws, 60)
            if m.get("type") == "config":
                version = m["config_version"]
            if m.get("type") == "frame" and version is not None and m["config_version"] >= version:
                delays.append(1000 * (time.perf_counter() - sent))
                break
    summary = {
        "median": round(statistics.median(delays), 1),
        "p95": round(sorted(delays)[int(0.95 * (len(delays) - 1))], 1),
        "max": round(max(delays), 1),
        "edits": len(delays),
    }
    return summary, _compiles(base) - before


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--chunk", type=int, default=10, help="steps per chunk (a frame after each)")
    parser.add_argument("--seconds", type=float, default=5.0, help="frame-rate window over the websocket")
    parser.add_argument("--no-server", action="store_true")
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    results: dict[str, Any] = {
        "device": jax.devices()[0].platform,
        "jax": jax.__version__,
        "chunk_steps": args.chunk,
    }
    for name, (changes, target, limit) in TARGETS.items():
        runs = [time_to_target(changes, target, seed, args.chunk, max(30.0, 6 * limit)) for seed in seeds]
        results[name] = {
            "target": target,
            "limit_s": limit,
            "met_in": sum(1 for r in runs if r["reached"] and r["seconds"] <= limit),
            "runs": runs,
            "step_ms": step_ms({**changes}),
        }
    if not args.no_server:
        with running_server() as base:
            results["websocket"] = over_the_websocket(base, args.seconds)
            results["side_by_side"] = side_by_side(base, args.seconds)
    print(json.dumps(results, indent=2))
    if args.json:
        with open(args.json, "w") as out:
            json.dump(results, out, indent=2)


if __name__ == "__main__":
    main()
