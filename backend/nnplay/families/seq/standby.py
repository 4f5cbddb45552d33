"""Padded stand-ins: while an edit's new bucket compiles, a run trains in a larger bucket that is compiled.

A config's kernel is compiled for its bucket (kernel.NetKey). An edit that leaves the bucket (a width, a
length or a layer count past it) needs a new kernel, which the engine compiles in the background; until it
lands, the plan's *standby* uses (engine/seam.py) train the run in any larger bucket of the same network
whose kernel is already compiled: the run's state is padded into that bucket's shapes with zeros (`fit`)
and cut back after the chunk (`unfit`), and the traced masks make the padded kernel compute exactly the
smaller net (units past the width stay zero, layers past the count pass their input through, steps past
the sequence are neither scored nor looked at, and every step's draws have a key of their own, so the
batches are the same). The frames are the plan's own: they show the true config.

Which buckets stand in: for each of steps, width and layers the config's own bucket or the next one up,
the largest bucket the config's model and task allow, and the buckets the run trained in before (a
narrower edit falls back to the kernel it was just training with). Smallest first. One of them, the
bucket one up in all three (`neighbour`), is *warm*: the engine compiles it in the background once the
run's own kernel is compiled, so that a wider, longer or deeper edit trains padded at once.
"""

from __future__ import annotations

import itertools
from functools import lru_cache
from typing import Any

import jax
import numpy as np

from ...engine.seam import resolve
from .config import SeqConfig
from .kernel import (
    LAYER_BUCKETS,
    STEP_BUCKETS,
    WIDTH_BUCKETS,
    NetKey,
    SeqState,
    bucket,
    jitted_init,
    optimizer_init,
)
from .names import TASKS
from .settings import MAX_LENGTH, MAX_SEQ2SEQ_LENGTH, MAX_TRANSFORMER_LENGTH
from .tasks import steps_needed


def _next(value: int, buckets: tuple[int, ...], ceiling: int) -> int:
    return min(next((b for b in buckets if b > value), value), ceiling)


def ceiling(config: SeqConfig) -> NetKey:
    """The largest bucket of the config's network (its model, task and heads)."""
    task = TASKS[config.task]
    longest = MAX_SEQ2SEQ_LENGTH if task.seq2seq else MAX_LENGTH
    if config.model == "transformer":
        longest = min(longest, MAX_TRANSFORMER_LENGTH)
    steps = bucket(steps_needed(task, longest, config.recurrent), STEP_BUCKETS)
    heads = config.heads if config.model == "transformer" else 1
    return NetKey(config.model, config.task, steps, WIDTH_BUCKETS[-1], LAYER_BUCKETS[-1], heads)


def holds(big: NetKey, net: NetKey) -> bool:
    """Whether bucket `big` holds every network of bucket `net` (same kind, no dimension smaller)."""
    same = (big.model, big.task, big.heads) == (net.model, net.task, net.heads)
    return same and big.steps >= net.steps and big.width >= net.width and big.layers >= net.layers


def _cost(net: NetKey) -> int:
    return net.steps * net.width * net.width * net.layers


def stand_ins(config: SeqConfig, net: NetKey, before: tuple[NetKey, ...] = ()) -> tuple[NetKey, ...]:
    """The larger buckets that may train `net`'s config while its own kernel compiles, smallest first."""
    top = ceiling(config)
    options = [
        (net.steps, _next(net.steps, STEP_BUCKETS, top.steps)),
        (net.width, _next(net.width, WIDTH_BUCKETS, top.width)),
        (net.layers, _next(net.layers, LAYER_BUCKETS, top.layers)),
    ]
    found = {NetKey(net.model, net.task, s, w, n, net.heads) for s, w, n in itertools.product(*options)}
    found |= {top, *before}
    usable = {b for b in found if b != net and holds(b, net) and b.width % b.heads == 0}
    return tuple(sorted(usable, key=lambda b: (_cost(b), b.steps, b.width, b.layers)))


def neighbour(config: SeqConfig, net: NetKey) -> NetKey | None:
    """The bucket one up in steps, width and layers (within the ceiling): compiled in the background
    while `net` trains (the plan's warm standby), so an edit past the bucket in any of them trains padded
    at once. None at the ceiling."""
    top = ceiling(config)
    up = NetKey(
        net.model,
        net.task,
        _next(net.steps, STEP_BUCKETS, top.steps),
        _next(net.width, WIDTH_BUCKETS, top.width),
        _next(net.layers, LAYER_BUCKETS, top.layers),
        net.heads,
    )
    return up if up != net and up.width % up.heads == 0 else None


@lru_cache(maxsize=64)
def state_shapes(net: NetKey, optimizer: str) -> Any:
    """The shapes of a training state of bucket `net` (a tree of ShapeDtypeStruct)."""
    init = jitted_init(net)  # made outside any trace (it is cached)
    params = jax.eval_shape(init, jax.random.PRNGKey(0))
    moments = jax.eval_shape(optimizer_init(optimizer), params)
    step: Any = jax.ShapeDtypeStruct((), np.int32)
    return SeqState(params, moments, step)


def resize(state: Any, like: Any) -> Any:
    """`state` (concrete or a SlotRef) in `like`'s structure and shapes: every array's shared corner kept,
    the rest zeros (a layer it lacks starts at zero: masked, it stays zero)."""
    path_of = jax.tree_util.keystr
    found = {path_of(p): leaf for p, leaf in jax.tree_util.tree_flatten_with_path(resolve(state))[0]}
    specs, treedef = jax.tree_util.tree_flatten_with_path(like)
    leaves = []
    for path, spec in specs:
        out = np.zeros(spec.shape, spec.dtype)
        old = found.get(path_of(path))
        if old is not None:
            old = np.asarray(old)
            corner = tuple(slice(0, min(a, b)) for a, b in zip(old.shape, spec.shape, strict=True))
            out[corner] = old[corner]
        leaves.append(out)
    return jax.device_put(jax.tree.unflatten(treedef, leaves))
