"""A sequence-lab config made concrete: the plan the engine trains and shows (its uses), fresh and
carried-over states, and the host-side finish of a frame.

A `SeqPlan` is immutable (a new config makes a new plan). Its training use is keyed by the bucket
(kernel.KernelKey); everything else the kernel reads is traced (`SeqHyper`), so an edit within a bucket
compiles nothing. Its standby uses (standby.py) train it padded in a larger compiled bucket while its own
kernel compiles. A state carried to another bucket keeps every weight the two share (cut or padded
gate by gate; new units and layers start from the seed's fresh weights); a new optimizer kind or a new
bucket starts the optimizer's moments afresh.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ...engine.seam import FrameUse, TrainUse
from .config import SeqConfig
from .evaluate import EXAMPLES, make_evaluate, make_predict
from .kernel import (
    KernelKey,
    NetKey,
    SeqHyper,
    SeqState,
    hyper_in,
    init_params,
    initial_state,
    make_hyper,
    make_train_chunk,
    net_key,
)
from .names import TASKS, Task
from .standby import neighbour, resize, stand_ins, state_shapes
from .tasks import encode_typed


# A long-lived server meets many keys: the jitted functions kept here are bounded (each holds its compiled
# code, and every compiled kernel costs memory maps: a process has 65,530 of them on Linux by default).
@lru_cache(maxsize=64)
def _fresh_params(key: NetKey, seed: int) -> Any:
    return init_params(key, seed)


@lru_cache(maxsize=32)
def _headless_kernels(key: KernelKey) -> tuple[Any, Any, Any]:
    """The jitted train chunk, frame and prediction of a kernel key, for headless use (never the server's,
    whose kernels are its engine's)."""
    frame = SeqPlan._frame_builder(key.net)
    return jax.jit(make_train_chunk(key)), jax.jit(frame), jax.jit(make_predict(key.net))


def carry_params(old: Any, fresh: Any) -> Any:
    """`old`'s weights in `fresh`'s shapes: the shared corner of each array kept, the rest fresh."""
    if isinstance(fresh, dict):
        return {
            k: carry_params(old[k], v) if isinstance(old, dict) and k in old else v for k, v in fresh.items()
        }
    old_a, fresh_a = np.asarray(old), np.asarray(fresh)
    if old_a.ndim != fresh_a.ndim:
        return fresh
    corner = tuple(slice(0, min(a, b)) for a, b in zip(old_a.shape, fresh_a.shape, strict=True))
    out = fresh_a.copy()
    out[corner] = old_a[corner]
    return jnp.asarray(out)


class SeqPlan:
    def __init__(self, config: SeqConfig, previous: SeqPlan | None = None) -> None:
        self.config = config
        self.task: Task = TASKS[config.task]
        self.net = net_key(config)
        self.kernel_key = KernelKey(self.net, config.optimizer, config.schedule, config.batch_size)
        self.hyper = make_hyper(config, self.net)
        before = () if previous is None else (previous.net, *previous.stand_ins)
        # standby.py: the larger buckets that may train this plan while its own kernel compiles
        self.stand_ins: tuple[NetKey, ...] = stand_ins(config, self.net, before)
        # the stand-in compiled ahead (standby.py); none for a run that stops by itself at a step (a
        # sweep's: it is measured, not edited, and its compiles would wait behind the warm one's)
        self.warm_net = neighbour(config, self.net) if not config.stop_epoch else None

    @property
    def recurrent(self) -> bool:
        return self.config.recurrent

    def fresh_state(self) -> SeqState:
        return initial_state(self.config.optimizer, _fresh_params(self.net, self.config.seed))

    def adopt(self, state: SeqState, old: SeqPlan | None) -> SeqState:
        """`state` (concrete) carried to this plan: kept as it is within a bucket and optimizer kind."""
        if old is not None and old.kernel_key == self.kernel_key:
            return state
        params = carry_params(state.params, _fresh_params(self.net, self.config.seed))
        return initial_state(self.config.optimizer, params, int(state.step))

    @staticmethod
    def fresh_run_reason(old: SeqConfig, new: SeqConfig) -> str | None:
        if new.compare != old.compare:
            return "new networks: other models side by side"
        if new.model != old.model:
            return f"new network: a {new.model} in place of a {old.model}"
        if new.seed != old.seed:
            return "new seed: new weights and new sequences"
        if new.heads != old.heads and new.model == "transformer":
            return "new network: the heads changed"
        return None

    # ---- uses -------------------------------------------------------------------------------------------

    @cached_property
    def _train_uses(self) -> tuple[TrainUse, ...]:
        key, config = self.kernel_key, self.config
        exact = TrainUse(("seq.train", key), self.hyper, lambda: make_train_chunk(key), label=config.model)
        return (exact, *(self._standby_use(net) for net in self.stand_ins))

    @cached_property
    def _standby_hypers(self) -> dict[NetKey, SeqHyper]:
        return {net: hyper_in(self.hyper, self.config, net) for net in self.stand_ins}

    def _fit(self, net: NetKey) -> Any:
        """The run's state padded into the larger bucket `net`."""
        return lambda state: resize(state, state_shapes(net, self.config.optimizer))

    def _standby_use(self, net: NetKey) -> TrainUse:
        """Training in the larger bucket `net` (if compiled) while this plan's own kernel compiles."""
        config, own = self.config, self.net
        key = KernelKey(net, config.optimizer, config.schedule, config.batch_size)
        return TrainUse(
            ("seq.train", key),
            self._standby_hypers[net],
            lambda: make_train_chunk(key),
            label=f"{config.model} (padded)",
            standby=True,
            warm=net == self.warm_net,
            fit=self._fit(net),
            unfit=lambda state: resize(state, state_shapes(own, config.optimizer)),
        )

    def train_uses(self) -> Sequence[TrainUse]:
        return self._train_uses

    @cached_property
    def _frame_uses(self) -> dict[int, tuple[FrameUse, ...]]:
        return {}

    def frame_uses(self, detail: bool, view: Any = None) -> Sequence[FrameUse]:
        index = min(max(int(view or 0), 0), EXAMPLES - 1)
        uses = self._frame_uses.get(index)
        if uses is None:
            standbys = (self._frame_use(index, net) for net in self.stand_ins)
            uses = self._frame_uses[index] = (self._frame_use(index), *standbys)
        return uses

    @staticmethod
    def _frame_builder(key: NetKey) -> Any:
        evaluate = make_evaluate(key)

        def frame(state: SeqState, inputs: Any, shared: Any) -> dict[str, Any]:
            hyper, example = inputs
            return evaluate(state.params, hyper, example, state.step)

        return frame

    def _frame_use(self, index: int, padded: NetKey | None = None) -> FrameUse:
        """The frame of example `index`, made in this plan's bucket (or, while its frame kernel compiles,
        in the larger bucket `padded`: the frame's payload shows only the config's units and steps)."""
        key = padded or self.net
        hyper = self.hyper if padded is None else self._standby_hypers[padded]
        return FrameUse(
            key=("seq.eval", key),
            inputs=(hyper, jnp.asarray(index, jnp.int32)),
            build=lambda: SeqPlan._frame_builder(key),
            finish=lambda out: SeqFrame(out, index),
            standby=padded is not None,
            warm=padded is not None and padded == self.warm_net,
            fit=None if padded is None else self._fit(padded),
        )

    # ---- predictions ------------------------------------------------------------------------------------

    def predict_args(self, state: SeqState, typed: list[int]) -> tuple[Any, ...]:
        batch = encode_typed(self.task, typed, self.net.steps, self.recurrent)
        hyper = self.hyper._replace(length=jnp.asarray(len(typed), jnp.int32))
        return state.params, hyper, batch.x

    # ---- headless use (the CLI, benchmarks, tests) ---------------------------------------------------

    @property
    def _jitted(self) -> tuple[Any, Any, Any]:
        return _headless_kernels(self.kernel_key)

    def train(self, state: SeqState, steps: int) -> SeqState:
        trained, _, _ = self._jitted[0](state, self.hyper, jnp.asarray(steps, jnp.int32))
        return trained  # type: ignore[no-any-return]

    def evaluate(self, state: SeqState, index: int = 0) -> SeqFrame:
        use = self.frame_uses(False, index)[0]
        return use.finish(jax.device_get(self._jitted[1](state, use.inputs, None)))  # type: ignore[no-any-return]

    def predict(self, state: SeqState, typed: list[int]) -> dict[str, np.ndarray]:
        out = self._jitted[2](*self.predict_args(state, typed))
        return {k: np.asarray(v) for k, v in out.items()}


def _figure(value: Any) -> float | None:
    number = float(value)
    return number if np.isfinite(number) else None


@dataclass(frozen=True)
class SeqFrame:
    """A frame's numbers on the host and the example it shows (a side-by-side run's: its first member's,
    and every member's in `members`)."""

    out: dict[str, Any]
    index: int
    members: tuple[dict[str, Any], ...] = ()

    def figure(self, split: str, name: str) -> float | None:
        return _figure(self.out[split][name])

    @property
    def train_loss(self) -> float:
        return float(self.out["train"]["loss"])

    @property
    def test_loss(self) -> float:
        return float(self.out["test"]["loss"])

    @property
    def train_accuracy(self) -> float | None:
        return self.figure("train", "sequence_accuracy")

    @property
    def test_accuracy(self) -> float | None:
        return self.figure("test", "sequence_accuracy")

    @property
    def healthy(self) -> bool:
        outs = self.members or (self.out,)
        return all(np.isfinite(float(o[s]["loss"])) for o in outs for s in ("train", "test"))
