"""Where the time of one batched training call goes: its inputs, its dispatch and its kernel, by slots.

    python bench/batch_call.py [--slots 32,128] [--epochs 1,10,50]

For each slot count: that many class sessions (bench/classroom_engine.py's: spiral, 7 features, [8, 8, 8],
own seeds), their exact kernel compiled, then calls of each epoch count (after two warm-up calls), timing
the inputs' assembly, the dispatch (host work until the call returns: the kernel runs asynchronously)
and the wait for its results. The scheduler keeps the host part (inputs + dispatch) below a share of its
tick (scheduler.HOST_SHARE); this shows how it grows with slots on a machine. Reports; never asserts.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from concurrent.futures import Future

import jax

from classroom_engine import _request, students
from nnplay.engine import batched
from nnplay.engine.scheduler import TrainingScheduler, _Call, _Pending

REPEATS = 5


def measure(scheduler: TrainingScheduler, n: int, epoch_counts: list[int]) -> list[dict[str, float]]:
    requests = [_request(s) for s in students(n)]
    scheduler.warm_for(requests[0], n)
    slots = batched.slot_count(n, scheduler.max_slots)
    key = requests[0].exact_spec
    call = _Call("exact", key, slots, [_Pending(r, Future()) for r in requests[:slots]])
    fn = scheduler.kernels.get("exact", key, slots)
    assert fn is not None
    rows = []
    for epochs in [1, 1, *epoch_counts]:
        samples: dict[str, list[float]] = {"inputs_ms": [], "dispatch_ms": [], "wait_ms": []}
        for _ in range(REPEATS):
            t0 = time.perf_counter()
            inputs = scheduler._call_inputs(call)
            t1 = time.perf_counter()
            results = fn(inputs, batched.epoch_counts([epochs] * len(call.members), slots))
            t2 = time.perf_counter()
            jax.device_get([(r.epochs, r.diverged) for r in results[: len(call.members)]])
            t3 = time.perf_counter()
            for name, value in zip(samples, (t1 - t0, t2 - t1, t3 - t2), strict=True):
                samples[name].append(1e3 * value)
        rows.append(
            {"sessions": n, "slots": slots, "epochs": epochs}
            | {k: round(statistics.median(v), 2) for k, v in samples.items()}
        )
    return rows[2:]  # the first two epoch counts warm up


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", default="32,128")
    parser.add_argument("--epochs", default="1,10,50")
    args = parser.parse_args()
    epoch_counts = [int(e) for e in args.epochs.split(",")]
    print("device:", jax.devices()[0])
    with TrainingScheduler() as scheduler:
        for n in (int(v) for v in args.sessions.split(",")):
            for row in measure(scheduler, n, epoch_counts):
                print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
