"""Many sessions in one jitted call: the kernels of train.py, exact.py and evaluate.py vmapped over slots.

A batch has a fixed number of slots (a power of two, so a batch of that size serves any number of
sessions up to it). Each slot carries one session's own state, arch masks, hyperparameters, data and
epoch count; a slot trains until its own count or its own divergence, and an unused slot gets n = 0 (it
costs its share of the batch, nothing else). A slot's numbers are a function of its own inputs only:
its PRNG keys come from its own seed (optimizers.dropout_key, train.shuffle_order), never the batch.

Stacking the per-slot inputs and cutting the results back into per-slot trees happen inside the
compiled function, so a whole batch is one dispatch. What cannot be traced is the batch's key
(`BatchKey`: the padded shape, the layer kind, the optimizer spec) or, for the exact kernel, its
`ExactSpec`; sessions whose keys differ go to different batches.

Compiled functions are cached by (key, slot count) in `BatchKernels`; compiling is explicit
(`compile_*`), so callers decide on which thread it happens and never compile by accident.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, NamedTuple, TypeVar

import jax
import jax.numpy as jnp
import numpy as np

from ..datasets import MAX_POINTS
from ..models.mlp import N_FEATURES, Arch, LayerKind, MlpShape, init_params, make_arch
from .call_timing import FIXED_RUNS, measure_fixed
from .evaluate import GRID_SIZE, EvalData, Evaluation, evaluate
from .exact import BatchedData, ExactSpec, make_exact_chunk
from .optimizers import Hyper, OptimizerSpec, TrainState, init_state, make_hyper
from .train import TRAIN_ROWS, ChunkResult, TrainData, train_chunk

MAX_SLOTS_CPU = 32
# Measured on this CPU (jax 0.10): up to 16 slots the vmapped padded kernel is bit for bit the lone one;
# at 32, XLA picks another code path and slots drift from their lone runs by float round-off, which a
# chaotic run (spiral, tanh) amplifies to visible differences within a few hundred epochs.
MAX_PADDED_SLOTS_CPU = 16
MAX_SLOTS_ACCELERATOR = 1024
T = TypeVar("T")


def default_max_slots() -> int:
    """The largest batch: near 32 on CPU (measured: larger vmaps lose per-slot speed), more on a GPU."""
    return MAX_SLOTS_CPU if jax.default_backend() == "cpu" else MAX_SLOTS_ACCELERATOR


def default_max_padded_slots() -> int:
    return MAX_PADDED_SLOTS_CPU if jax.default_backend() == "cpu" else MAX_SLOTS_ACCELERATOR


def slot_count(members: int, max_slots: int) -> int:
    """Slots for a batch of `members` sessions: the next power of two, at most `max_slots`."""
    if members < 1:
        raise ValueError(f"a batch needs at least one member, got {members}")
    slots = 1
    while slots < members and slots < max_slots:
        slots *= 2
    return min(slots, max_slots)


SHRINK_FACTOR = 4  # a batch runs in ready kernels up to this many times its size before a smaller compiles


def plan_batches(
    members: int, ready: Sequence[int], max_slots: int, min_slots: int = 1
) -> tuple[list[tuple[int, int]], int | None]:
    """How `members` sessions of one key run with the slot counts `ready`: a list of (sessions, slots)
    calls, and the slot count to compile in the background (None if none is needed).

    Growth compiles the next power of two (meanwhile the group is split over the sizes that are
    ready); shrinking compiles nothing until a batch would fill under 1/SHRINK_FACTOR of its slots, so a
    session joining or leaving a batch that still fits compiles nothing.
    """
    parts = [max_slots] * (members // max_slots) + ([members % max_slots] if members % max_slots else [])
    if not ready:
        return [], slot_count(max(parts[0], min_slots), max_slots)
    calls: list[tuple[int, int]] = []
    compile_size: int | None = None
    for part in parts:
        need = slot_count(max(part, min_slots), max_slots)
        fits = [s for s in ready if s >= max(part, min_slots)]
        if not fits or min(fits) > SHRINK_FACTOR * need:
            compile_size = max(compile_size or 0, need)
        if fits:
            calls.append((part, min(fits)))
            continue
        biggest = max(ready)
        calls += [(min(biggest, part - start), biggest) for start in range(0, part, biggest)]
    return calls, compile_size


@dataclass(frozen=True)
class BatchKey:
    """What sessions of one padded batch must share: everything their kernel is compiled for."""

    shape: MlpShape
    kind: LayerKind
    optimizer: OptimizerSpec


class PaddedSlot(NamedTuple):
    """One session's inputs to the padded kernel (the arrays train.train_chunk takes)."""

    state: TrainState
    arch: Arch
    hyper: Hyper
    data: TrainData


class ExactSlot(NamedTuple):
    """One session's inputs to the exact kernel of its spec."""

    state: TrainState
    hyper: Hyper
    data: BatchedData


class EvalSlot(NamedTuple):
    """One session's inputs to evaluation."""

    params: Any  # models.mlp.Params
    arch: Arch
    data: EvalData


def padded_key(slot: PaddedSlot) -> BatchKey:
    return BatchKey(MlpShape(*slot.state.params.w.shape[:2]), slot.arch.kind, slot.state.spec)


def eval_key(slot: EvalSlot) -> tuple[MlpShape, LayerKind]:
    """Evaluation's compile key: the padded shape and the layer kind (no optimizer)."""
    return MlpShape(*slot.params.w.shape[:2]), slot.arch.kind


# ---- checking a slot's inputs (a malformed one fails alone, with a reason, never its batch) ----------

Signature = list[tuple[str, tuple[int, ...], str, bool]]


def _signature(tree: Any) -> Signature:
    leaves = jax.tree_util.tree_flatten_with_path(tree)[0]
    return [
        (
            jax.tree_util.keystr(path),
            tuple(leaf.shape),
            str(leaf.dtype),
            bool(getattr(leaf, "weak_type", False)),
        )
        for path, leaf in leaves
    ]


def _compare(what: str, got: Any, expected: Signature) -> None:
    leaves = jax.tree.leaves(got)
    if len(leaves) == len(expected) and all(
        leaf.shape == want[1] and leaf.dtype == want[2] and getattr(leaf, "weak_type", False) == want[3]
        for leaf, want in zip(leaves, expected, strict=True)
    ):
        return  # the common case, without building names
    count = len(leaves)
    if count != len(expected):
        raise ValueError(f"{what} has {count} arrays, expected {len(expected)}")
    for (name, shape, dtype, weak), (_, want_shape, want_dtype, want_weak) in zip(
        _signature(got), expected, strict=True
    ):
        if (shape, dtype, weak) != (want_shape, want_dtype, want_weak):
            raise ValueError(
                f"{what}{name} must be {want_dtype}{list(want_shape)}, got {dtype}{list(shape)}"
                + (f" (weakly typed: {weak}, expected {want_weak})" if weak != want_weak else "")
            )


@cache
def _padded_signature(key: BatchKey) -> Signature:
    shape = key.shape

    def example() -> PaddedSlot:
        state = init_state(key.optimizer, init_params(jax.random.PRNGKey(0), shape))
        arch = make_arch(shape, np.ones(N_FEATURES), [1], "tanh", "tanh")._replace(kind=key.kind)
        rows = jnp.zeros((TRAIN_ROWS, shape.width), jnp.float32)
        return PaddedSlot(state, arch, make_hyper(0.1), TrainData(rows, rows[:, 0], jnp.int32(0)))

    return _signature(jax.eval_shape(example))


@cache
def _eval_signature(shape: MlpShape) -> Signature:
    def example() -> EvalData:
        def rows(n: int) -> jax.Array:
            return jnp.zeros((n, shape.width), jnp.float32)

        n = jnp.int32(0)
        return EvalData(
            rows(TRAIN_ROWS),
            rows(TRAIN_ROWS)[:, 0],
            n,
            rows(MAX_POINTS),
            rows(MAX_POINTS)[:, 0],
            n,
            rows(GRID_SIZE**2),
        )

    return _signature(jax.eval_shape(example))


def check_padded_slot(slot: PaddedSlot) -> None:
    """Raise ValueError naming the first array of `slot` that its batch key's kernel cannot take."""
    _compare("padded", slot, _padded_signature(padded_key(slot)))


def check_exact_data(spec: ExactSpec, data: BatchedData) -> None:
    """Raise ValueError unless `data` is shaped as `spec`'s exact kernel takes it (exact.batch_data)."""
    full, rest, width = spec.n_train // spec.batch_size, spec.n_train % spec.batch_size, len(spec.features)
    f32 = "float32"
    expected: Signature = [
        (".x", (full, spec.batch_size, width), f32, False),
        (".y", (full, spec.batch_size), f32, False),
        (".rest_x", (rest, width), f32, False),
        (".rest_y", (rest,), f32, False),
    ]
    _compare("exact_data", data, expected)


def check_eval_slot(slot: EvalSlot) -> None:
    """Raise ValueError naming the first array of `slot`'s data that evaluation cannot take."""
    shape = eval_key(slot)[0]
    _compare("data", slot.data, _eval_signature(shape))
    _compare("params", slot.params, _padded_signature(BatchKey(shape, slot.arch.kind, OptimizerSpec()))[:4])


def _stack(trees: Sequence[T]) -> T:
    return jax.tree.map(lambda *leaves: jnp.stack(leaves), *trees)  # type: ignore[no-any-return]


def _unstack(tree: T, slots: int) -> list[T]:
    return [jax.tree.map(lambda leaf, i=i: leaf[i], tree) for i in range(slots)]


def _fused(fn: Callable[..., T]) -> Callable[..., list[T]]:
    """fn vmapped over slots, taking and returning one tree per slot (one dispatch for the batch)."""
    batched = jax.vmap(fn)

    def run(*per_slot: Sequence[Any]) -> list[T]:
        slots = len(per_slot[0])
        return _unstack(batched(*(_stack(arg) for arg in per_slot)), slots)

    return run


def _fused_or_plain(fn: Callable[..., T], slots: int) -> Callable[..., list[T]]:
    """One slot runs the plain kernel (vmap over one slot compiles to other code, ~2x slower and not
    bitwise the lone run); more run the vmapped one."""
    if slots == 1:
        return lambda *per_slot: [fn(*(arg[0] for arg in per_slot))]
    return _fused(fn)


def padded_batch(slots: Sequence[PaddedSlot], n_epochs: Sequence[jax.Array]) -> list[ChunkResult]:
    """train.train_chunk of every slot, as one vmapped program (jit it)."""
    states, archs, hypers, datas = zip(*slots, strict=True)
    return _fused_or_plain(train_chunk, len(slots))(states, archs, hypers, datas, n_epochs)


ExactBatch = Callable[[Sequence[ExactSlot], Sequence[jax.Array]], list[ChunkResult]]


def make_exact_batch(spec: ExactSpec) -> ExactBatch:
    """The exact kernel of `spec` over a batch of slots (each with its own data; jit it)."""
    chunk = make_exact_chunk(spec)

    def run(slots: Sequence[ExactSlot], n_epochs: Sequence[jax.Array]) -> list[ChunkResult]:
        states, hypers, datas = zip(*slots, strict=True)
        return _fused_or_plain(chunk, len(slots))(states, hypers, datas, n_epochs)

    return run


def evaluate_batch(slots: Sequence[EvalSlot]) -> list[Evaluation]:
    """evaluate.evaluate of every slot, as one vmapped program (jit it)."""
    params, archs, datas = zip(*slots, strict=True)
    return _fused_or_plain(evaluate, len(slots))(params, archs, datas)


def pad_slots(members: Sequence[T], slots: int) -> list[T]:
    """Fill a batch to `slots` with copies of its first member (run with n = 0, so they change nothing)."""
    if not members or len(members) > slots:
        raise ValueError(f"{len(members)} members do not fit {slots} slots")
    return [*members, *[members[0]] * (slots - len(members))]


def epoch_counts(counts: Sequence[int], slots: int) -> list[np.ndarray]:
    """Per-slot epoch counts as the kernels take them; unused slots get 0."""
    padded = [*counts, *[0] * (slots - len(counts))]
    return [np.asarray(n, np.int32) for n in padded]  # numpy: ~20x cheaper to make than jax arrays


Compiled = Callable[..., list[Any]]


def time_fixed_part(fn: Compiled, inputs: Any, slots: int, runs: int = FIXED_RUNS) -> float:
    """A training kernel's fixed part (call_timing): the fastest of `runs` calls of `fn` on `inputs` with
    no epochs in any slot, each waited for."""
    no_epochs = epoch_counts([], slots)
    return measure_fixed(
        lambda: jax.device_get([(r.epochs, r.diverged) for r in fn(inputs, no_epochs)]), runs
    )


class BatchKernels:
    """Compiled batch kernels by (key, slot count): padded training, exact training, evaluation.

    `get_*` never compiles (None when not compiled yet); `compile_*` does, for the given example inputs
    (their shapes and structure), and is safe to call from any thread. One lock guards the tables.
    A training kernel's fixed part (call_timing) is timed before the kernel is published, so every call
    of it, from any scheduler sharing these kernels, is planned knowing it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kernels: dict[tuple[str, Any, int], Compiled] = {}
        self._fixed: dict[tuple[str, Any, int], float] = {}

    def get(self, kind: str, key: Any, slots: int) -> Compiled | None:
        with self._lock:
            return self._kernels.get((kind, key, slots))

    def ready_slot_counts(self, kind: str, key: Any) -> list[int]:
        with self._lock:
            return sorted(s for (k, key_, s) in self._kernels if k == kind and key_ == key)

    def fixed_s(self, kind: str, key: Any, slots: int) -> float:
        """A training kernel's fixed part: the fastest of its calls with no epochs in any slot."""
        with self._lock:
            return self._fixed.get((kind, key, slots), 0.0)

    def _compile(self, kind: str, key: Any, fn: Callable[..., Any], *args: Any) -> Compiled:
        slots = len(args[0])
        found = self.get(kind, key, slots)
        if found is not None:
            return found
        compiled = jax.jit(fn).lower(*args).compile()
        fixed = None if kind == "evaluate" else time_fixed_part(compiled, args[0], slots)
        with self._lock:
            if fixed is not None:
                self._fixed.setdefault((kind, key, slots), fixed)
            return self._kernels.setdefault((kind, key, slots), compiled)

    def compile_padded(self, slots: Sequence[PaddedSlot], n_epochs: Sequence[Any]) -> Compiled:
        return self._compile("padded", padded_key(slots[0]), padded_batch, list(slots), list(n_epochs))

    def compile_exact(self, spec: ExactSpec, slots: Sequence[ExactSlot], n_epochs: Sequence[Any]) -> Compiled:
        return self._compile("exact", spec, make_exact_batch(spec), list(slots), list(n_epochs))

    def compile_evaluate(self, slots: Sequence[EvalSlot]) -> Compiled:
        return self._compile("evaluate", eval_key(slots[0]), evaluate_batch, list(slots))

    def count(self) -> int:
        """Compiled batch kernels held."""
        with self._lock:
            return len(self._kernels)
