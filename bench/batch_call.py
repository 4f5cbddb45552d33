"""Where the time of one batched training call goes, by slots: its dispatch and its wait, with the runs'
states and inputs resident on the device (engine/resident.py).

    python bench/batch_call.py [--sessions 32,128,512] [--epochs 0,1,10,50]

For each count: that many class sessions (bench/classroom_engine.py's: spiral, 7 features, [8, 8, 8],
own seeds) stacked in one shard of their exact use, then calls of each epoch count (after two warm-up
calls), timing the dispatch (host work until the call returns: the kernel runs asynchronously) and the
wait for its results (the units and divergence of every slot, one transfer). A call's inputs are already
on the device: only the vector of epoch counts goes over. 0 epochs is the call's fixed part (what the
scheduler keeps below a share of its tick). Reports; never asserts.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import jax
import numpy as np

from classroom_engine import students
from nnplay.engine.resident import Shard, compile_stacked

REPEATS = 7
FIXED_REPEATS = 200  # a call of no epochs takes ~0.1 ms: a median of 7 is the machine's jitter


def measure(n: int, epoch_counts: list[int]) -> list[dict[str, float]]:
    group = students(n)
    use = group[0].plan.train_uses()[0]  # the exact kernel of the class's net
    started = time.perf_counter()
    kernels = compile_stacked(use.build(), n, group[0].state, use.inputs, use.key)
    compile_s = time.perf_counter() - started
    shard = Shard(use.key, n, kernels)
    shard.fill([(s.slot, s.state, s.plan.train_uses()[0].inputs) for s in group])
    rows = []
    for epochs in [1, 1, *epoch_counts]:
        samples: dict[str, list[float]] = {"dispatch_ms": [], "wait_ms": []}
        for _ in range(FIXED_REPEATS if epochs == 0 else REPEATS):
            n_vector = np.full(n, epochs, np.int32)
            t0 = time.perf_counter()
            state, units, diverged = kernels.train(shard.state, shard.inputs, n_vector)
            t1 = time.perf_counter()
            jax.device_get((units, diverged))
            t2 = time.perf_counter()
            shard.state = state
            samples["dispatch_ms"].append(1e3 * (t1 - t0))
            samples["wait_ms"].append(1e3 * (t2 - t1))
        row = {"sessions": n, "slots": n, "epochs": epochs, "compile_s": round(compile_s, 1)}
        rows.append(row | {k: round(statistics.median(v), 3) for k, v in samples.items()})
    return rows[2:]  # the first two epoch counts warm up


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", default="32,128,512")
    parser.add_argument("--epochs", default="0,1,10,50")
    args = parser.parse_args()
    epoch_counts = [int(e) for e in args.epochs.split(",")]
    print("device:", jax.devices()[0])
    for n in (int(v) for v in args.sessions.split(",")):
        for row in measure(n, epoch_counts):
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
