"""A classroom on one engine: N sessions trained by the batched scheduler vs one at a time, same run.

Each session: spiral, all 7 features, hidden layers [8, 8, 8], its own seed (so its own data), SGD,
trained as fast as it goes; once a second it changes its learning rate (a new traced value: no compile).
Engine level only (no server, no websockets, no frames): the end-to-end probe lives with the server.

- batched: engine.scheduler.Scheduler (the batched engine's: a use's sessions stacked on the device,
  one call per shard and tick); every session resubmits from its done callback, so each is in every
  tick. Its learning rate change is a new plan (a slot write). Kernels for the shard size are compiled
  before the clock starts (reported): a compile while measuring would take one of the two cores.
- one at a time: the same sessions in a round-robin loop, each chunk on the plain exact kernel (one
  compiled kernel shared by all, data passed in), chunk sizes fitting the same frame budget per round.
  This is today's per-session engine without its event loop: a generous baseline.

Reports per-session epochs/s (median, slowest), aggregate, fairness (slowest / median), chunks per
second per session, compiles while measuring and CPU use (process CPU seconds / wall seconds / cores).
Never asserts. `python bench/classroom_engine.py --sessions 1,2,10,30 --seconds 4 [--output file.json]`.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp

from nnplay.engine import runtime
from nnplay.engine.call_timing import FRAME_BUDGET_S
from nnplay.engine.compiler import Compiler
from nnplay.engine.counters import fairness
from nnplay.engine.resident import slot_count
from nnplay.engine.scheduler import Scheduler
from nnplay.families.mlp.exact import compiled_exact_chunk
from nnplay.families.mlp.plan import make_plan
from nnplay.families.mlp.trainer import Plan, Trainer
from nnplay.schemas import make_config
from nnplay.settings import FEATURE_NAMES

CLASS_NET = {"dataset": "spiral", "features": list(FEATURE_NAMES), "hidden_layers": [8, 8, 8]}
LEARNING_RATES = (0.01, 0.03, 0.1)
LR_CHANGE_S = 1.0


@dataclass
class Student:
    slot: int
    plan: Plan
    state: Any
    epochs: int = 0
    chunks: int = 0
    lr_changed_at: float = 0.0
    lr_index: int = 0
    counted: list[int] = field(default_factory=list)

    def maybe_change_learning_rate(self, now: float) -> None:
        if now - self.lr_changed_at >= LR_CHANGE_S:
            self.lr_changed_at = now
            self.lr_index += 1
            rate = LEARNING_RATES[(self.slot + self.lr_index) % len(LEARNING_RATES)]
            self.plan = make_plan(make_config(self.plan.config, {"learning_rate": rate}), self.plan)


def students(n: int) -> list[Student]:
    out = []
    for i in range(n):
        trainer = Trainer(make_config(None, {**CLASS_NET, "seed": i}))
        out.append(Student(i, trainer.plan, trainer.init_params()))
    return out


def _summary(group: list[Student], wall_s: float, cpu_s: float, compiles: int) -> dict[str, Any]:
    rates = [s.epochs / wall_s for s in group]
    return {
        "epochs_per_s_median": statistics.median(rates),
        "epochs_per_s_slowest": min(rates),
        "aggregate_epochs_per_s": sum(rates),
        "fairness": fairness(rates),
        "chunks_per_s_each": statistics.median(s.chunks / wall_s for s in group),
        "compiles_while_measuring": compiles,
        "cpu_use": cpu_s / wall_s / (os.cpu_count() or 1),
        "epochs_per_cpu_s": sum(s.epochs for s in group) / max(cpu_s, 1e-9),  # robust to other load
    }


def run_batched(n: int, seconds: float) -> dict[str, Any]:
    group = students(n)
    compiler = Compiler()
    scheduler = Scheduler(compiler)
    try:
        started = time.perf_counter()
        slots = [slot_count(n, scheduler.max_slots)]
        scheduler.warm(group[0].plan, group[0].state, slots)  # the exact use, the size the class needs
        compile_s = time.perf_counter() - started
        stop = threading.Event()
        measuring = threading.Event()
        finished = threading.Semaphore(0)

        def after(s: Student, future: Any) -> None:
            outcome = future.result()
            s.state = outcome.state
            if measuring.is_set():
                s.epochs += outcome.units
                s.chunks += 1
            if stop.is_set():
                finished.release()
                return
            s.maybe_change_learning_rate(time.perf_counter())
            scheduler.submit(s.slot, s.plan, s.state, 10**6).add_done_callback(lambda f: after(s, f))

        for s in group:
            scheduler.submit(s.slot, s.plan, s.state, 10**6).add_done_callback(lambda f, s=s: after(s, f))
        time.sleep(min(1.0, seconds / 2))  # warm-up: the timing estimates settle
        compiles, cpu, t0 = runtime.compile_count(), time.process_time(), time.perf_counter()
        measuring.set()
        time.sleep(seconds)
        measuring.clear()
        wall, cpu_s = time.perf_counter() - t0, time.process_time() - cpu
        compiles = runtime.compile_count() - compiles
        stop.set()
        for _ in group:
            finished.acquire(timeout=60)
        counters = scheduler.counters()
    finally:
        scheduler.close()
        compiler.close()
    result = _summary(group, wall, cpu_s, compiles)
    result["compile_s"] = compile_s
    result["slot_counts"] = slots
    result["members_per_batch"] = counters.members_per_batch
    result["slot_writes"] = counters.writes
    return result


def run_one_at_a_time(n: int, seconds: float) -> dict[str, Any]:
    group = students(n)
    spec = group[0].plan.exact_spec
    fn = compiled_exact_chunk(spec)
    sec_per_epoch: float | None = None

    def round_robin(measure: bool) -> None:
        nonlocal sec_per_epoch
        budget = FRAME_BUDGET_S / n  # a round of all sessions fills one frame budget
        for s in group:
            s.maybe_change_learning_rate(time.perf_counter())
            epochs = 1 if sec_per_epoch is None else int(max(1, min(5000, budget / sec_per_epoch)))
            t = time.perf_counter()
            plan = s.plan
            result = fn(s.state, plan.hyper, plan.exact_data, jnp.asarray(epochs, jnp.int32))
            done = int(result.epochs)
            elapsed = time.perf_counter() - t
            sample = elapsed / epochs
            sec_per_epoch = sample if sec_per_epoch is None else 0.5 * sec_per_epoch + 0.5 * sample
            s.state = result.state
            if measure:
                s.epochs += done
                s.chunks += 1

    started = time.perf_counter()
    round_robin(False)  # compiles the kernel (once: shared by spec)
    compile_s = time.perf_counter() - started
    end = time.perf_counter() + min(1.0, seconds / 2)
    while time.perf_counter() < end:
        round_robin(False)
    compiles, cpu, t0 = runtime.compile_count(), time.process_time(), time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        round_robin(True)
    wall, cpu_s = time.perf_counter() - t0, time.process_time() - cpu
    result = _summary(group, wall, cpu_s, runtime.compile_count() - compiles)
    result["compile_s"] = compile_s
    return result


def table(rows: list[dict[str, Any]]) -> str:
    head = (
        "| sessions | engine | epochs/s each (median) | slowest | aggregate | fairness | chunks/s each "
        "| CPU use | epochs per CPU-second | compiles measuring |\n|---|---|---|---|---|---|---|---|---|---|"
    )
    lines = [head]
    for r in rows:
        lines.append(
            f"| {r['sessions']} | {r['engine']} | {r['epochs_per_s_median']:,.0f} | "
            f"{r['epochs_per_s_slowest']:,.0f} | {r['aggregate_epochs_per_s']:,.0f} | {r['fairness']:.2f} | "
            f"{r['chunks_per_s_each']:.0f} | {r['cpu_use']:.0%} | {r['epochs_per_cpu_s']:,.0f} | "
            f"{r['compiles_while_measuring']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", default="1,2,10,30")
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--output", default=None)
    parser.add_argument("--baseline-max", type=int, default=10**9, help="no baseline above N sessions")
    args = parser.parse_args()
    rows = []
    for n in (int(v) for v in args.sessions.split(",")):
        engines = [("batched", run_batched)]
        if n <= args.baseline_max:
            engines.append(("one at a time", run_one_at_a_time))
        for name, run in engines:
            result = {"sessions": n, "engine": name, **run(n, args.seconds)}
            rows.append(result)
            print(json.dumps(result, default=str), flush=True)
    load = os.getloadavg()[0]
    device = jax.devices()[0]
    print(f"\ndevice: {device}, cores: {os.cpu_count()}, load {load:.1f}, {args.seconds:g} s per row\n")
    print(table(rows))
    if args.output:
        with open(args.output, "w") as f:
            json.dump({"device": str(jax.devices()[0]), "rows": rows}, f, indent=2, default=str)


if __name__ == "__main__":
    main()
