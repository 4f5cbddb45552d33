"""Side by side: two to four models (RNN, GRU, LSTM, Transformer) of one config trained at once, on
identical batches, in one call.

A config with `compare` is a group: its members are the config's own model and the models it is compared
with, each with every other setting of the config (config.SeqConfig.member). The group's state is a tuple
of the members' states; its one training use trains them all in one jitted chunk, each step on ONE batch
per encoding (the recurrent members share it; a Transformer reads the same sequences in place), so the
batched engine serves a whole group with one call per tick (and a shard of groups with one vmapped call).
A chunk in which any member's weights go non-finite is dropped for the group (it says it diverged).

Its frames are the first member's full views (the page's token strip, hidden state, gates, attention)
and every member's figures and hidden state (`SeqFrame.members`). A group trains in its members' buckets;
an edit past one compiles the group's kernel (no padded stand-in: standby.py serves single runs).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property, lru_cache
from typing import Any

import jax
import jax.numpy as jnp

from ...engine.seam import FrameUse, TrainUse
from .config import SeqConfig
from .evaluate import EXAMPLES
from .kernel import KernelKey, SeqHyper, SeqState, batch_of, kept_if_healthy, make_update
from .plan import SeqFrame, SeqPlan


def make_group_chunk(keys: tuple[KernelKey, ...]) -> Any:
    """The group's pure chunk: (states, hypers, n_steps) -> (states after n_steps updates each, steps done,
    diverged); step s's batch is drawn once per encoding (recurrent or in place) from the run's seed and s."""
    updates = [make_update(key) for key in keys]

    def step(states: tuple[SeqState, ...], hypers: tuple[SeqHyper, ...]) -> tuple[SeqState, ...]:
        batches: dict[tuple[bool, int], Any] = {}
        out = []
        for key, update, state, hyper in zip(keys, updates, states, hypers, strict=True):
            encoding = (key.net.recurrent, key.net.steps)
            if encoding not in batches:
                batches[encoding] = batch_of(key.net, hyper, states[0].step, key.batch_size)
            out.append(update(state, hyper, batches[encoding])[0])
        return tuple(out)

    def train(states: Any, hypers: Any, n_steps: jax.Array) -> tuple[Any, jax.Array, jax.Array]:
        trained = jax.lax.fori_loop(0, n_steps, lambda _, s: step(s, hypers), tuple(states))
        return kept_if_healthy(trained, tuple(states), [s.params for s in trained], n_steps)

    return train


def _group_frame_builder(plans: tuple[SeqPlan, ...]) -> Any:
    frames = [SeqPlan._frame_builder(plan.net) for plan in plans]

    def frame(states: Any, inputs: Any, shared: Any) -> tuple[Any, ...]:
        hypers, example = inputs
        return tuple(f(s, (h, example), shared) for f, s, h in zip(frames, states, hypers, strict=True))

    return frame


@lru_cache(maxsize=16)  # bounded: a kernel per key (plan.py says why)
def _headless(keys: tuple[KernelKey, ...]) -> Any:
    return jax.jit(make_group_chunk(keys))


class GroupPlan:
    """A side-by-side run's plan: its members' plans, one training use and one frame use for all. The
    page's views follow the first member (`main`): its task, bucket and predictions are the group's."""

    def __init__(self, config: SeqConfig, previous: Any = None) -> None:
        self.config = config
        before = {p.config.model: p for p in getattr(previous, "members", (previous,)) if p is not None}
        self.members = tuple(SeqPlan(config.member(m), before.get(m)) for m in config.models)
        self.main = self.members[0]
        self.task, self.net, self.recurrent = self.main.task, self.main.net, self.main.recurrent
        self.kernel_keys = tuple(plan.kernel_key for plan in self.members)
        self.hyper = tuple(plan.hyper for plan in self.members)

    def fresh_state(self) -> tuple[SeqState, ...]:
        return tuple(plan.fresh_state() for plan in self.members)

    def adopt(self, state: Any, old: Any) -> tuple[SeqState, ...]:
        olds = getattr(old, "members", (None,) * len(self.members))
        return tuple(p.adopt(s, o) for p, s, o in zip(self.members, state, olds, strict=True))

    @cached_property
    def _train_uses(self) -> tuple[TrainUse, ...]:
        keys = self.kernel_keys
        build = lambda: make_group_chunk(keys)  # noqa: E731
        return (TrainUse(("seq.group", keys), self.hyper, build, label="side by side"),)

    def train_uses(self) -> Sequence[TrainUse]:
        return self._train_uses

    @cached_property
    def _frame_uses(self) -> dict[int, tuple[FrameUse, ...]]:
        return {}

    def frame_uses(self, detail: bool, view: Any = None) -> Sequence[FrameUse]:
        index = min(max(int(view or 0), 0), EXAMPLES - 1)
        uses = self._frame_uses.get(index)
        if uses is None:
            plans = self.members
            use = FrameUse(
                key=("seq.group.eval", tuple(plan.net for plan in plans)),
                inputs=(self.hyper, jnp.asarray(index, jnp.int32)),
                build=lambda: _group_frame_builder(plans),
                finish=lambda outs: SeqFrame(outs[0], index, tuple(outs)),
            )
            uses = self._frame_uses[index] = (use,)
        return uses

    def predict_args(self, state: Any, typed: list[int]) -> tuple[Any, ...]:
        return self.main.predict_args(state[0], typed)

    # ---- headless use (tests, benchmarks) --------------------------------------------------------------

    def train(self, state: Any, steps: int) -> tuple[SeqState, ...]:
        trained, _, _ = _headless(self.kernel_keys)(state, self.hyper, jnp.asarray(steps, jnp.int32))
        return tuple(trained)

    def evaluate(self, state: Any, index: int = 0) -> SeqFrame:
        use = self.frame_uses(False, index)[0]
        frames = [plan.evaluate(s, index) for plan, s in zip(self.members, state, strict=True)]
        return use.finish(tuple(frame.out for frame in frames))  # type: ignore[no-any-return]
