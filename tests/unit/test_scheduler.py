"""The training scheduler: sessions trained together get their lone numbers, fairly, without recompiles."""

import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from nnplay.engine import batched, call_timing, runtime
from nnplay.engine.batched import BatchKernels
from nnplay.families.mlp.evaluate import compiled_evaluate
from nnplay.families.mlp.exact import compiled_exact_chunk
from nnplay.engine.optimizers import TrainState
from nnplay.engine.scheduler import (
    ChunkRequest,
    EvalRequest,
    TrainingScheduler,
    exact_inputs,
    fairness,
)
from nnplay.families.mlp.train import compiled_train_chunk
from nnplay.families.mlp.trainer import Plan, Trainer, make_plan
from nnplay.schemas import make_config
from nnplay.settings import FEATURE_NAMES

SPIRAL = {"dataset": "spiral", "features": list(FEATURE_NAMES), "hidden_layers": [8, 8, 8]}
TIMEOUT_S = 120
L2 = {**SPIRAL, "regularization": "l2", "regularization_rate": 0.003}


@dataclass
class Sim:
    """A session as the scheduler sees it: a plan, a state, and what it does after each chunk."""

    slot: str
    plan: Plan
    state: TrainState
    exact: bool = False
    target: int = 100  # it stops submitting at this epoch
    epoch: int = 0
    chunks: int = 0
    kernels: list[str] = field(default_factory=list)
    diverged: bool = False
    exact_data: Any = None
    on_chunk: Callable[["Sim"], None] | None = None  # runs in the worker thread after each chunk

    def request(self) -> ChunkRequest:
        if self.exact and self.exact_data is None:
            self.exact_data = exact_inputs(self.plan)
        data = self.exact_data if self.exact else None
        return ChunkRequest.from_plan(self.slot, self.plan, self.state, self.target - self.epoch, data)


def sim(slot, changes, **kw):
    trainer = Trainer(make_config(None, changes))
    return Sim(slot, trainer.plan, trainer.init_params(), **kw)


class Run:
    """Drives sims through a scheduler: each resubmits from its done callback until its target."""

    def __init__(self, scheduler: TrainingScheduler) -> None:
        self.scheduler = scheduler
        self.active: set[str] = set()
        self.done = threading.Event()
        self.errors: list[BaseException] = []
        self.lock = threading.Lock()

    def start(self, sims: list[Sim]) -> None:
        with self.lock:
            self.active |= {s.slot for s in sims}
        futures = self.scheduler.submit_all([s.request() for s in sims])
        for s, f in zip(sims, futures, strict=True):
            f.add_done_callback(lambda f, s=s: self._after(s, f))

    def resume(self, s: Sim) -> None:
        self.scheduler.submit(s.request()).add_done_callback(lambda f: self._after(s, f))

    def _after(self, s: Sim, future) -> None:
        try:
            outcome = future.result()
            s.state, s.epoch, s.chunks = outcome.params, s.epoch + outcome.epochs, s.chunks + 1
            s.kernels.append(outcome.kernel)
            s.diverged = outcome.diverged
            if s.on_chunk is not None:
                s.on_chunk(s)
            if s.epoch < s.target and not s.diverged and s.slot in self.active:
                self.resume(s)
                return
        except BaseException as error:  # reported by wait()
            self.errors.append(error)
        self.finish(s)

    def finish(self, s: Sim) -> None:
        with self.lock:
            self.active.discard(s.slot)
            if not self.active:
                self.done.set()

    def wait(self) -> None:
        assert self.done.wait(TIMEOUT_S), "the sessions did not finish"
        assert not self.errors, self.errors


def drive(scheduler, sims):
    run = Run(scheduler)
    run.start(sims)
    run.wait()
    return sims


def alone(s: Sim, epochs: int, exact: bool = False):
    """The session's lone run on the plain kernels, in one chunk."""
    plan = s.plan
    if exact:
        return compiled_exact_chunk(plan.exact_spec)(
            s.state, plan.hyper, exact_inputs(plan), jnp.int32(epochs)
        ).state
    return compiled_train_chunk(plan.shape)(
        s.state, plan.arch, plan.hyper, plan.train_data, jnp.int32(epochs)
    ).state


def assert_states_close(a, b, rtol=1e-5, atol=1e-6):
    for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
        np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=rtol, atol=atol)


@pytest.fixture(scope="module")
def kernels():
    return BatchKernels()  # shared by this module's schedulers: each kernel compiles once


@pytest.fixture
def scheduler(kernels):
    with TrainingScheduler(kernels=kernels) as s:
        yield s


def test_a_lone_session_trains_to_its_lone_numbers_bit_for_bit(scheduler):
    s = sim("a", SPIRAL, target=300)
    start = s.state
    drive(scheduler, [s])
    assert s.epoch == 300 and s.chunks > 1  # chunked by the frame budget
    assert set(s.kernels) == {"padded"}
    for x, y in zip(
        jax.tree.leaves(s.state), jax.tree.leaves(alone(Sim("b", s.plan, start), 300)), strict=True
    ):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def test_thirty_sessions_of_one_spec_get_their_lone_numbers_after_500_epochs(scheduler):
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
    scheduler.warm(sims[0].request(), [32])
    starts = [s.state for s in sims]
    drive(scheduler, sims)
    assert all(set(s.kernels) == {"exact"} for s in sims)
    assert scheduler.counters().members_per_batch.get(30, 0) > 0  # they ran as one batch
    for s, start in zip(sims, starts, strict=True):
        assert s.epoch == 500
        assert_states_close(s.state, alone(Sim(s.slot, s.plan, start), 500, exact=True))


def test_join_leave_and_pause_never_recompile_nor_change_another_sessions_numbers(scheduler):
    watched = sim("watched", {**SPIRAL, "seed": 7}, target=400)
    others = [sim(f"o{i}", {**SPIRAL, "seed": i, "batch_size": 5 + i}, target=400) for i in range(8)]
    leaver, joiner, pauser = others[0], others[1], others[2]
    leaver.target = 60
    # 7 to 9 members: batches of 8 and 16 slots (a size never used before would compile once, in the
    # background, while the others train on in the sizes that are ready)
    scheduler.warm(watched.request(), [8, 16])
    start = watched.state
    run = Run(scheduler)
    paused_at: list[int] = []

    def pause(s: Sim) -> None:
        if s.epoch >= 80 and not paused_at:  # the pauser stops submitting ...
            paused_at.append(s.epoch)
            run.active.discard(s.slot)
            run.active.add("pause")  # (the run is not over while it is paused)

    def watch(s: Sim) -> None:
        if s.epoch >= 50 and joiner.slot not in run.active and joiner.chunks == 0:
            run.start([joiner])  # ... a session joins mid-run ...
        if s.epoch >= 200 and paused_at and "pause" in run.active:
            run.active.add(pauser.slot)  # ... and the paused one resumes
            run.resume(pauser)
            run.finish(Sim("pause", s.plan, s.state))

    pauser.on_chunk, watched.on_chunk = pause, watch
    before = runtime.compile_count()
    run.start([watched, *[o for o in others if o is not joiner]])
    run.wait()
    assert runtime.compile_count() == before  # nobody's coming or going compiled anything
    assert leaver.epoch == 60 and joiner.epoch == 400 and pauser.epoch == 400 and paused_at
    assert_states_close(watched.state, alone(Sim("w", watched.plan, start), 400))


def test_thirty_sessions_editing_hyperparameters_at_random_compile_nothing(scheduler):
    sims = [sim(f"e{i}", {**SPIRAL, "seed": i}, target=150) for i in range(30)]
    exact = [sim(f"x{i}", {**L2, "seed": i}, exact=True, target=150) for i in range(30)]
    scheduler.warm(sims[0].request(), [16])
    scheduler.warm(exact[0].request(), [32])
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
        s.exact_data = None if s.exact else s.exact_data
        edits[0] += 1

    for s in [*sims, *exact]:
        s.on_chunk = edit
    # the edits' own host work (new masks, hyperparameters, batched data) must not compile either
    before = runtime.compile_count()
    drive(scheduler, [*sims, *exact])
    assert runtime.compile_count() == before
    assert edits[0] >= 60
    assert all(s.epoch >= 150 or s.diverged for s in [*sims, *exact])
    assert all(set(s.kernels) == {"exact"} for s in exact)


def test_every_session_is_served_every_tick_across_kernels(scheduler):
    kinds = [
        {**SPIRAL},
        {**SPIRAL, "optimizer": "adam", "learning_rate": 0.003},
        {"dataset": "xor", "hidden_layers": [16, 16], "mode": "extended"},  # another bucket
    ]
    sims = [sim(f"f{i}", {**kinds[i % 3], "seed": i}, target=10**6) for i in range(12)]
    for s in sims[:3]:
        scheduler.warm(s.request(), [4])
    run = Run(scheduler)

    def stop_after_20(s: Sim) -> None:
        if s.chunks >= 20:
            run.active.discard(s.slot)
            run.finish(s)

    for s in sims:
        s.on_chunk = stop_after_20
    run.start(sims)
    run.wait()
    epochs = [s.epoch for s in sims]
    assert all(s.chunks == 20 for s in sims)
    assert fairness(epochs) >= 0.99, epochs  # the same epoch count in every tick for everyone
    assert scheduler.counters().batches >= 3 * 20


def test_groups_larger_than_the_largest_batch_are_split(kernels):
    with TrainingScheduler(kernels=kernels, max_padded_slots=8) as scheduler:
        sims = [sim(f"g{i}", {**SPIRAL, "seed": i}, target=20) for i in range(20)]
        scheduler.warm(sims[0].request(), [8])
        futures = scheduler.submit_all([s.request() for s in sims])
        outcomes = [f.result(TIMEOUT_S) for f in futures]
        assert sorted(o.batch_members for o in outcomes) == [4] * 4 + [8] * 16
        assert all(o.batch_members <= o.slots <= 8 for o in outcomes)
        assert max(scheduler.counters().members_per_batch) == 8


def test_the_exact_kernel_takes_over_once_compiled_and_says_so():
    with TrainingScheduler() as scheduler:  # nothing compiled yet
        s = sim("x", {**SPIRAL, "hidden_layers": [5, 3], "seed": 4}, exact=True, target=10**6)
        run = Run(scheduler)

        def until_exact(s: Sim) -> None:
            if s.kernels[-1] == "exact":
                run.active.discard(s.slot)

        s.on_chunk = until_exact
        run.start([s])
        run.wait()
        assert s.kernels[0] == "padded" and s.kernels[-1] == "exact"
        assert scheduler.counters().compiles >= 2


def test_every_call_is_planned_with_its_kernels_fixed_part_in_any_scheduler_sharing_it(kernels, monkeypatch):
    monkeypatch.setattr(call_timing, "FIXED_RETIME_S", 1e9)  # as timed when compiled (no retiming)
    sims = [sim(f"f{i}", {**SPIRAL, "seed": i}, exact=True, target=300) for i in range(3)]
    for _ in range(2):  # the second scheduler finds the kernels compiled by the first
        with TrainingScheduler(kernels=kernels) as scheduler:
            drive(scheduler, sims)
            timings = dict(scheduler._timings)
        for s in sims:
            s.epoch, s.target = 0, 300
        assert timings
        for key, timing in timings.items():
            assert timing.fixed_s == kernels.fixed_s(*key) > 0, key


def test_a_kernel_in_use_has_its_fixed_part_timed_again_without_changing_any_numbers(kernels, monkeypatch):
    monkeypatch.setattr(call_timing, "FIXED_RETIME_S", 0.0)  # after every call
    sims = [sim(f"r{i}", {**SPIRAL, "seed": i}, exact=True, target=200) for i in range(3)]
    with TrainingScheduler(kernels=kernels) as scheduler:
        drive(scheduler, sims)
        timings = dict(scheduler._timings)
    assert timings and all(len(t._fixed) > 1 for t in timings.values())
    for key, timing in timings.items():
        assert 0 < timing.fixed_s == min(timing._fixed), key  # the fastest recent timing counts
    for i, s in enumerate(sims):
        assert_states_close(s.state, alone(sim(s.slot, {**SPIRAL, "seed": i}), 200, exact=True))


def test_a_diverging_session_is_told_and_the_others_train_on(scheduler):
    wild = sim(
        "wild", {"learning_rate": 10, "activation": "relu", "dataset": "plane", "problem": "regression"}
    )
    calm = [
        sim(f"c{i}", {"dataset": "plane", "problem": "regression", "seed": i}, target=200) for i in range(3)
    ]
    drive(scheduler, [wild, *calm])
    assert wild.diverged and wild.epoch < 100
    assert all(not c.diverged and c.epoch == 200 for c in calm)


def test_batched_evaluation_matches_lone_evaluation(scheduler):
    sims = [sim(f"v{i}", {**SPIRAL, "seed": i, "hidden_layers": [i + 1] * 3}) for i in range(5)]
    futures = scheduler.evaluate_all([EvalRequest.from_plan(s.slot, s.plan, s.state) for s in sims])
    for s, f in zip(sims, futures, strict=True):
        result = f.result(TIMEOUT_S)
        lone = compiled_evaluate()(s.state.params, s.plan.arch, s.plan.eval_data)
        np.testing.assert_allclose(result.train_loss, lone.train_loss, rtol=1e-5)
        np.testing.assert_array_equal(result.output_grid, lone.output_grid)
    assert scheduler.counters().eval_batches == 1


def test_bad_requests_are_refused_with_a_reason(scheduler):
    s = sim("bad", SPIRAL)
    with pytest.raises(ValueError, match="max_epochs"):
        ChunkRequest.from_plan("bad", s.plan, s.state, 0)
    other = sim("wide", {**SPIRAL, "hidden_layers": [12], "mode": "extended"})
    with pytest.raises(ValueError, match="bucket"):
        ChunkRequest.from_plan("bad", other.plan, s.state, 5)
    with pytest.raises(ValueError, match="go together"):
        ChunkRequest("bad", s.request().padded, 5, exact_spec=s.plan.exact_spec)
    # a slot has one chunk pending at a time
    with pytest.raises(ValueError, match="already has a chunk pending"):
        scheduler.submit_all([s.request(), s.request()])


def test_a_malformed_request_is_refused_naming_the_array():
    s = sim("bad", {**SPIRAL, "seed": 2})
    padded = s.request().padded
    with pytest.raises(ValueError, match=r"padded.data.x must be float32\[\d+, 8\], got float32\[\d+, 5\]"):
        ChunkRequest("bad", padded._replace(data=padded.data._replace(x=padded.data.x[:, :5])), 10)
    with pytest.raises(ValueError, match=r"learning_rate must be float32\[\], got float32\[3\]"):
        ChunkRequest("bad", padded._replace(hyper=padded.hyper._replace(learning_rate=jnp.ones(3))), 10)
    data = exact_inputs(s.plan)
    with pytest.raises(ValueError, match=r"exact_data.y must be"):
        ChunkRequest("bad", padded, 10, s.plan.exact_spec, data._replace(y=data.y[:-1]))
    with pytest.raises(ValueError, match=r"data.grid_x must be"):
        EvalRequest("bad", s.state.params, s.plan.arch, s.plan.eval_data._replace(grid_x=jnp.zeros((4, 8))))


def test_a_cancelled_request_is_never_run():
    with TrainingScheduler() as scheduler:
        first, second = sim("first", SPIRAL), sim("second", SPIRAL)
        cancelled = scheduler.submit(first.request())  # waits: its kernel is compiling
        assert cancelled.cancel()
        outcome = scheduler.submit(second.request()).result(TIMEOUT_S)
        assert outcome.epochs >= 1
        assert scheduler.counters().chunks == 1


def test_the_slot_count_covers_the_members():
    assert batched.slot_count(30, 32) == 32 and batched.slot_count(30, 16) == 16
