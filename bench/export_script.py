"""The exported script, run in a fresh virtualenv with only jax and optax, against the run it came from.

    python bench/export_script.py [--venv DIR] [--epochs 500]

Trains runs on the real server (in this process, the batched engine, as the page does): the issue's sweep
net (spiral, 7 features, [8, 8, 8]) at four learning rates, and the playground's default (circle, [4, 2]).
Each run's script (GET /api/sessions/{id}/export?format=script) then runs in a virtualenv that has only
jax and optax (and their dependencies: numpy) installed, made afresh unless --venv names one; nnplay is not
in it. Prints one JSON object: per run, the server's final test loss, the script's, their difference and
whether it is within the issue's 1e-5; the seconds to make the venv and to run each script. Never asserts.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from websockets.sync.client import connect

from nnplay.inprocess import running_server

ALL_FEATURES = ["x1", "x2", "x1_sq", "x2_sq", "x1_x2", "sin_x1", "sin_x2"]
SWEEP = {"dataset": "spiral", "features": ALL_FEATURES, "hidden_layers": [8, 8, 8]}
RUNS = [{**SWEEP, "learning_rate": lr} for lr in (0.003, 0.01, 0.03, 0.1)] + [{}]
TARGET = 1e-5


def describe(config: dict) -> str:
    if not config:
        return "the playground's defaults (circle, [4, 2], lr 0.03)"
    return f"spiral, 7 features, [8, 8, 8], lr {config['learning_rate']}"


def fresh_venv(where: Path) -> tuple[Path, float]:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True)
    pip = [str(where / "bin" / "python"), "-m", "pip", "install", "-q", "jax", "optax"]
    subprocess.run(pip, check=True)
    return where / "bin" / "python", time.perf_counter() - started


def train(base: str, config: dict, epochs: int) -> dict:
    created = httpx.post(
        f"{base}/api/sessions", json={"config": {**config, "stop_epoch": epochs}}, timeout=60
    ).json()
    with connect(base.replace("http", "ws") + f"/ws/sessions/{created['id']}") as ws:
        ws.send(json.dumps({"type": "start"}))
        while True:
            raw = ws.recv(timeout=600)
            if isinstance(raw, str):
                message = json.loads(raw)
                if message.get("type") == "status" and message["state"] == "paused" and message["epoch"]:
                    break
    return dict(httpx.get(f"{base}/api/sessions/{created['id']}").json())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--venv", default=None, help="a virtualenv with only jax and optax (default: made now)"
    )
    parser.add_argument("--epochs", type=int, default=500)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="nnplay-export-bench-"))
    if args.venv:
        python, venv_s = Path(args.venv) / "bin" / "python", 0.0
    else:
        python, venv_s = fresh_venv(scratch / "venv")
    installed = subprocess.run(
        [str(python), "-m", "pip", "list", "--format=json"], capture_output=True, text=True
    )
    packages = sorted(p["name"] for p in json.loads(installed.stdout))
    results = []
    with running_server() as base:
        for config in RUNS:
            run = train(base, config, args.epochs)
            script = httpx.get(f"{base}/api/sessions/{run['id']}/export", params={"format": "script"}).text
            path = scratch / f"run-{len(results)}.py"
            path.write_text(script)
            started = time.perf_counter()
            done = subprocess.run([str(python), str(path)], capture_output=True, text=True, cwd=scratch)
            seconds = time.perf_counter() - started
            if done.returncode:
                results.append({"run": describe(config), "error": done.stderr[-1500:]})
                continue
            got = json.loads(done.stdout.strip().splitlines()[-1])
            diff = abs(got["test_loss"] - run["test_loss"])
            results.append(
                {
                    "run": describe(config),
                    "epoch": run["epoch"],
                    "kernel": run["kernel"],
                    "server_test_loss": run["test_loss"],
                    "script_test_loss": got["test_loss"],
                    "difference": diff,
                    "within_1e-5": diff < TARGET,
                    "script_s": round(seconds, 2),
                }
            )
    print(json.dumps({"venv_packages": packages, "venv_s": round(venv_s, 1)}))
    for result in results:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
