"""The batched engine's scheduler: runs trained together get their lone numbers, fairly, without
recompiles; their states stay on the device between ticks."""

import os
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from nnplay.engine import call_timing, runtime
from nnplay.engine.compiler import Compiler
from nnplay.engine.counters import fairness
from nnplay.engine.lanes import EXTRA_LANE_NICE, WORKER_NICE
from nnplay.engine.resident import slot_count
from nnplay.engine.scheduler import Scheduler
from nnplay.engine.seam import TrainUse, resolve
from nnplay.families.mlp.exact import compiled_exact_chunk
from nnplay.families.mlp.train import compiled_train_chunk
from nnplay.families.mlp.trainer import Plan, Trainer, make_plan
from nnplay.schemas import make_config
from nnplay.settings import FEATURE_NAMES

SPIRAL = {"dataset": "spiral", "features": list(FEATURE_NAMES), "hidden_layers": [8, 8, 8]}
TIMEOUT_S = 180
L2 = {**SPIRAL, "regularization": "l2", "regularization_rate": 0.003}


class PaddedOnly:
    """A plan that trains with its padded use only (to test the padded shards on their own)."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan

    def train_uses(self) -> tuple[TrainUse, ...]:
        return (self.plan.train_uses()[-1],)


@dataclass
class Sim:
    """A run as the scheduler sees it: a plan, a state, and what it does after each chunk."""

    run: str
    plan: Plan
    state: Any
    exact: bool = False
    target: int = 100  # it stops submitting at this epoch
    epoch: int = 0
    chunks: int = 0
    kernels: list[str] = field(default_factory=list)
    diverged: bool = False
    on_chunk: Callable[["Sim"], None] | None = None  # runs in the worker thread after each chunk

    def engine_plan(self):
        return self.plan if self.exact else PaddedOnly(self.plan)

    def submit(self, scheduler):
        return scheduler.submit(self.run, self.engine_plan(), self.state, self.target - self.epoch)


def sim(run, changes, **kw):
    trainer = Trainer(make_config(None, changes))
    return Sim(run, trainer.plan, trainer.init_params(), **kw)


class Drive:
    """Drives sims through a scheduler: each resubmits from its done callback until its target."""

    def __init__(self, scheduler: Scheduler) -> None:
        self.scheduler = scheduler
        self.active: set[str] = set()
        self.done = threading.Event()
        self.errors: list[BaseException] = []
        self.lock = threading.Lock()

    def start(self, sims: list[Sim]) -> None:
        with self.lock:
            self.active |= {s.run for s in sims}
        for s in sims:
            self.resume(s)

    def resume(self, s: Sim) -> None:
        s.submit(self.scheduler).add_done_callback(lambda f: self._after(s, f))

    def _after(self, s: Sim, future) -> None:
        try:
            outcome = future.result()
            s.state, s.epoch, s.chunks = outcome.state, s.epoch + outcome.units, s.chunks + 1
            s.kernels.append(outcome.kernel)
            s.diverged = outcome.diverged
            if s.on_chunk is not None:
                s.on_chunk(s)
            if s.epoch < s.target and not s.diverged and s.run in self.active:
                self.resume(s)
                return
        except BaseException as error:  # reported by wait()
            self.errors.append(error)
        self.finish(s.run)

    def finish(self, run: str) -> None:
        with self.lock:
            self.active.discard(run)
            if not self.active:
                self.done.set()

    def wait(self) -> None:
        assert self.done.wait(TIMEOUT_S), "the runs did not finish"
        assert not self.errors, self.errors


def drive(scheduler, sims):
    run = Drive(scheduler)
    run.start(sims)
    run.wait()
    return sims


def alone(s: Sim, epochs: int, start=None, exact: bool = False):
    """The run's lone training on the plain kernels, in one chunk, from `start` (its state)."""
    plan, state = s.plan, resolve(s.state if start is None else start)
    if exact:
        return compiled_exact_chunk(plan.exact_spec)(
            state, plan.hyper, plan.exact_data, jnp.int32(epochs)
        ).state
    return compiled_train_chunk(plan.shape)(
        state, plan.arch, plan.hyper, plan.train_data, jnp.int32(epochs)
    ).state


def assert_states_close(a, b, rtol=1e-5, atol=1e-6):
    for x, y in zip(jax.tree.leaves(resolve(a)), jax.tree.leaves(resolve(b)), strict=True):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=rtol, atol=atol)


@pytest.fixture(scope="module")
def compiler():
    compiler = Compiler()  # shared by this module's schedulers: each kernel compiles once
    yield compiler
    compiler.close()


@pytest.fixture
def scheduler(compiler):
    scheduler = Scheduler(compiler)
    yield scheduler
    scheduler.close()


def test_a_lone_run_trains_to_its_lone_numbers_bit_for_bit(scheduler):
    s = sim("a", SPIRAL, target=300)
    start = s.state
    drive(scheduler, [s])
    assert s.epoch == 300 and s.chunks > 1  # chunked by the frame budget
    assert set(s.kernels) == {"padded"}
    for x, y in zip(jax.tree.leaves(resolve(s.state)), jax.tree.leaves(alone(s, 300, start)), strict=True):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def test_thirty_runs_of_one_spec_get_their_lone_numbers_after_500_epochs_in_one_call(compiler):
    scheduler = Scheduler(compiler, max_slots=32)  # (CPU's own shards hold 16)
    try:
        _thirty_runs_in_one_call(scheduler)
    finally:
        scheduler.close()


def _thirty_runs_in_one_call(scheduler):
    datasets = ["spiral", "circle", "xor", "gauss"]
    sims = [
        sim(
            f"s{i}",
            {**SPIRAL, "dataset": datasets[i % 4], "seed": i, "learning_rate": [0.03, 0.1][i % 2]},
            exact=True,
            target=500,
        )
        for i in range(30)
    ]
    scheduler.warm(sims[0].plan, sims[0].state, [32])
    starts = [s.state for s in sims]
    drive(scheduler, sims)
    assert all(set(s.kernels) == {"exact"} for s in sims)
    assert scheduler.counters().members_per_batch.get(30, 0) > 0  # they ran as one call
    for s, start in zip(sims, starts, strict=True):
        assert s.epoch == 500
        assert_states_close(s.state, alone(s, 500, start, exact=True))


def test_states_stay_on_the_device_between_ticks(scheduler):
    sims = [sim(f"k{i}", {**SPIRAL, "seed": i}, exact=True, target=400) for i in range(8)]
    scheduler.warm(sims[0].plan, sims[0].state, [8])
    drive(scheduler, sims)
    counters = scheduler.counters()
    assert counters.chunks >= 8 * 3
    # each run's slot was written once (when it joined); every later chunk found it resident
    assert counters.writes <= 8, counters


def test_join_leave_and_pause_never_recompile_nor_change_another_runs_numbers(scheduler):
    watched = sim("watched", {**SPIRAL, "seed": 7}, target=400)
    others = [sim(f"o{i}", {**SPIRAL, "seed": i, "batch_size": 5 + i}, target=400) for i in range(8)]
    leaver, joiner, pauser = others[0], others[1], others[2]
    leaver.target = 60
    # 1 to 9 runs: shards of 1 to 16 slots (a size never used before would compile once, in the
    # background, while the others train on in the sizes that are ready)
    scheduler.warm(PaddedOnly(watched.plan), watched.state, [1, 2, 4, 8, 16])
    start = watched.state
    run = Drive(scheduler)
    paused_at: list[int] = []

    def pause(s: Sim) -> None:
        if s.epoch >= 80 and not paused_at:  # the pauser stops submitting ...
            paused_at.append(s.epoch)
            run.active.discard(s.run)
            run.active.add("pause")  # (the drive is not over while it is paused)

    def watch(s: Sim) -> None:
        if s.epoch >= 50 and joiner.run not in run.active and joiner.chunks == 0:
            run.start([joiner])  # ... a run joins mid-way ...
        if s.epoch >= 200 and paused_at and "pause" in run.active:
            run.active.add(pauser.run)  # ... and the paused one resumes
            run.resume(pauser)
            run.finish("pause")

    pauser.on_chunk, watched.on_chunk = pause, watch
    before = runtime.compile_count()
    run.start([watched, *[o for o in others if o is not joiner]])
    run.wait()
    assert runtime.compile_count() == before  # nobody's coming or going compiled anything
    assert leaver.epoch == 60 and joiner.epoch == 400 and pauser.epoch == 400 and paused_at
    assert_states_close(watched.state, alone(watched, 400, start))


def test_thirty_runs_editing_their_settings_at_random_compile_nothing(scheduler):
    sims = [sim(f"e{i}", {**SPIRAL, "seed": i}, target=150) for i in range(30)]
    exact = [sim(f"x{i}", {**L2, "seed": i}, exact=True, target=150) for i in range(30)]
    scheduler.warm(PaddedOnly(sims[0].plan), sims[0].state, [16])
    scheduler.warm(exact[0].plan, exact[0].state, [16])
    rng = random.Random(3)
    edits = [0]

    def edit(s: Sim) -> None:  # in the worker thread, between chunks: traced settings only
        config = s.plan.config
        changes: dict[str, Any] = {
            "learning_rate": rng.choice([0.001, 0.003, 0.01, 0.03, 0.1]),
            "regularization_rate": rng.choice([0.001, 0.003, 0.01]),  # (0 would drop L2 from the spec)
        }
        if not s.exact:  # in the padded kernel the net and the batch size are traced too
            changes |= {
                "batch_size": rng.randint(5, 30),
                "features": rng.sample(FEATURE_NAMES, rng.randint(1, 7)),
                "hidden_layers": [rng.randint(1, 8) for _ in range(rng.randint(0, 6))],
                "activation": rng.choice(["relu", "tanh", "sigmoid", "linear"]),
            }
        s.plan = make_plan(make_config(config, changes), s.plan)
        edits[0] += 1

    for s in [*sims, *exact]:
        s.on_chunk = edit
    before = runtime.compile_count()
    drive(scheduler, [*sims, *exact])
    assert runtime.compile_count() == before  # the edits' new masks and data compiled nothing either
    assert edits[0] >= 60
    assert all(s.epoch >= 150 or s.diverged for s in [*sims, *exact])
    assert all(set(s.kernels) == {"exact"} for s in exact)


def test_every_run_is_served_every_tick_across_kernels(scheduler):
    kinds = [
        {**SPIRAL},
        {**SPIRAL, "optimizer": "adam", "learning_rate": 0.003},
        {"dataset": "xor", "hidden_layers": [16, 16], "mode": "extended"},  # another bucket
    ]
    sims = [sim(f"f{i}", {**kinds[i % 3], "seed": i}, target=10**6) for i in range(12)]
    for s in sims[:3]:
        scheduler.warm(PaddedOnly(s.plan), s.state, [4])
    run = Drive(scheduler)

    def stop_after_20(s: Sim) -> None:
        if s.chunks >= 20:
            run.active.discard(s.run)
            run.finish(s.run)

    for s in sims:
        s.on_chunk = stop_after_20
    run.start(sims)
    run.wait()
    epochs = [s.epoch for s in sims]
    assert all(s.chunks == 20 for s in sims)
    assert fairness(epochs) >= 0.99, epochs  # the same epoch count in every tick for everyone
    assert scheduler.counters().batches >= 3 * 20


def test_runs_beyond_the_largest_shard_are_split_over_shards(compiler):
    scheduler = Scheduler(compiler, max_slots=8)
    try:
        sims = [sim(f"g{i}", {**SPIRAL, "seed": i}, target=20) for i in range(20)]
        scheduler.warm(PaddedOnly(sims[0].plan), sims[0].state, [8])
        futures = [s.submit(scheduler) for s in sims]
        outcomes = [f.result(TIMEOUT_S) for f in futures]
        assert sorted(o.batch_members for o in outcomes) == [4] * 4 + [8] * 16
        assert all(o.batch_members <= o.slots <= 8 for o in outcomes)
        assert max(scheduler.counters().members_per_batch) == 8
    finally:
        scheduler.close()


class SlowExact:
    """A plan whose exact kernel takes a while to build (as a new architecture's does on a busy CPU)."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan

    def train_uses(self) -> tuple[TrainUse, ...]:
        exact, padded = self.plan.train_uses()

        def build():
            time.sleep(1.0)
            return exact.build()

        return TrainUse(exact.key, exact.inputs, build, exact.label), padded


def test_the_padded_kernel_serves_until_the_exact_one_is_compiled_then_it_takes_over():
    compiler = Compiler()
    scheduler = Scheduler(compiler)
    try:
        s = sim("x", {**SPIRAL, "hidden_layers": [5, 3], "seed": 4}, target=10**6)
        plan = SlowExact(s.plan)
        kernels: list[str] = []
        state = s.state
        for _ in range(10**4):
            outcome = scheduler.submit("x", plan, state, 50).result(TIMEOUT_S)
            state = outcome.state
            kernels.append(outcome.kernel)
            if outcome.kernel == "exact":
                break
        assert kernels[0] == "padded" and kernels[-1] == "exact", kernels
        assert scheduler.counters().compiles >= 2
    finally:
        scheduler.close()
        compiler.close()


def test_every_call_is_planned_with_its_kernels_fixed_part_in_any_scheduler_sharing_it(compiler, monkeypatch):
    monkeypatch.setattr(call_timing, "FIXED_RETIME_S", 1e9)  # as timed when compiled (no retiming)
    sims = [sim(f"f{i}", {**SPIRAL, "seed": i}, exact=True, target=300) for i in range(3)]
    for _ in range(2):  # the second scheduler finds the kernels compiled for the first
        scheduler = Scheduler(compiler)
        scheduler.warm(sims[0].plan, sims[0].state, [4])
        try:
            drive(scheduler, sims)
            timings = dict(scheduler._timings)
        finally:
            scheduler.close()
        for s in sims:
            s.epoch, s.target = 0, 300
        assert timings
        for (key, slots), timing in timings.items():
            assert timing.fixed_s == compiler.get(("batch", key, slots)).fixed_s > 0, key


def test_a_kernel_in_use_has_its_fixed_part_timed_again_without_changing_any_numbers(scheduler, monkeypatch):
    monkeypatch.setattr(call_timing, "FIXED_RETIME_S", 0.0)  # after every call
    sims = [sim(f"r{i}", {**SPIRAL, "seed": i}, exact=True, target=200) for i in range(3)]
    scheduler.warm(sims[0].plan, sims[0].state, [4])
    starts = [s.state for s in sims]
    drive(scheduler, sims)
    assert all(set(s.kernels) == {"exact"} for s in sims)
    timings = dict(scheduler._timings)
    assert timings and all(len(t._fixed) > 1 for t in timings.values())
    for key, timing in timings.items():
        assert 0 < timing.fixed_s == min(timing._fixed), key  # the fastest recent timing counts
    for s, start in zip(sims, starts, strict=True):
        assert_states_close(s.state, alone(s, 200, start, exact=True))


def test_a_diverging_run_is_told_and_the_others_train_on(scheduler):
    wild = sim(
        "wild", {"learning_rate": 10, "activation": "relu", "dataset": "plane", "problem": "regression"}
    )
    calm = [
        sim(f"c{i}", {"dataset": "plane", "problem": "regression", "seed": i}, target=200) for i in range(3)
    ]
    drive(scheduler, [wild, *calm])
    assert wild.diverged and wild.epoch < 100
    assert all(not c.diverged and c.epoch == 200 for c in calm)


def test_bad_requests_are_refused_with_a_reason(scheduler):
    s = sim("bad", SPIRAL)
    with pytest.raises(ValueError, match="at least one unit"):
        scheduler.submit("bad", s.plan, s.state, 0)
    other = sim("other", SPIRAL)
    scheduler.submit("twice", other.plan, other.state, 5)
    with pytest.raises(ValueError, match="already has a chunk waiting"):
        scheduler.submit("twice", other.plan, other.state, 5)


def test_a_use_whose_kernel_cannot_be_built_fails_its_runs_alone(scheduler):
    good = sim("good", {**SPIRAL, "seed": 3}, target=50)
    bad = sim("bad", {**SPIRAL, "seed": 4})

    class Broken:
        def train_uses(self):
            padded = bad.plan.train_uses()[-1]

            def build():
                raise RuntimeError("this kernel cannot be built")

            return (TrainUse(("broken",), padded.inputs, build, "broken"),)

    failed = scheduler.submit("bad", Broken(), bad.state, 10)
    drive(scheduler, [good])
    with pytest.raises(RuntimeError, match="cannot be built"):
        failed.result(TIMEOUT_S)
    assert good.epoch == 50


def test_a_cancelled_request_is_never_run():
    compiler = Compiler()
    scheduler = Scheduler(compiler)
    try:
        first, second = sim("first", SPIRAL), sim("second", SPIRAL)
        cancelled = first.submit(scheduler)  # waits: its kernel is compiling
        assert cancelled.cancel()
        outcome = second.submit(scheduler).result(TIMEOUT_S)
        assert outcome.units >= 1
        assert scheduler.counters().chunks == 1
    finally:
        scheduler.close()
        compiler.close()


def test_the_slot_count_covers_the_runs():
    assert slot_count(30, 32) == 32 and slot_count(30, 16) == 16


def _niceness() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def test_two_training_threads_run_a_ticks_calls_side_by_side_with_lone_numbers(compiler):
    """With `parallel_calls=2` (the server's default on 2 cores) a tick's shards train on two threads,
    both below the priority of the rest of the process (its frames and sockets) and the extra lane lower
    still; every run still gets its lone numbers bit for bit, and close() ends both threads."""
    scheduler = Scheduler(compiler, max_slots=8, parallel_calls=2)
    threads: set[tuple[str, int]] = set()
    try:
        sims = [sim(f"p{i}", {**SPIRAL, "seed": i}, target=120) for i in range(16)]
        scheduler.warm(PaddedOnly(sims[0].plan), sims[0].state, [8])
        starts = [s.state for s in sims]
        for s in sims:  # the future's callback runs on the thread that made the call
            s.on_chunk = lambda s: threads.add((threading.current_thread().name, _niceness()))
        drive(scheduler, sims)
        base = os.getpriority(os.PRIO_PROCESS, os.getpid())
        assert {nice - base for name, nice in threads} == {WORKER_NICE, EXTRA_LANE_NICE}, threads
        assert len({name for name, _ in threads}) == 2, threads
        assert scheduler.counters().members_per_batch.get(8, 0) > 0
        for s, start in zip(sims, starts, strict=True):
            assert s.epoch == 120
            for x, y in zip(
                jax.tree.leaves(resolve(s.state)), jax.tree.leaves(alone(s, 120, start)), strict=True
            ):
                np.testing.assert_array_equal(np.asarray(x), np.asarray(y))
    finally:
        scheduler.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("nnplay-call")]
