"""Frames of many sessions made together (engine/framer.py): batched frames equal lone ones."""

import threading
import time

import jax
import numpy as np
import pytest

from nnplay.engine import kernels
from nnplay.families.mlp.evaluate import compiled_evaluate
from nnplay.families.mlp.exact_eval import EvalSpec, make_exact_evaluate
from nnplay.engine.framer import Framer
from nnplay.families.mlp.frames import frame_data
from nnplay.families.mlp.plan import make_plan
from nnplay.families.mlp.weights import fit_weights, fresh_state
from nnplay.schemas import make_config

FEATURES = ["x1", "x2", "x1_sq", "x2_sq", "x1_x2", "sin_x1", "sin_x2"]
NETS = [
    {"dataset": "spiral", "features": FEATURES, "hidden_layers": [8, 8, 8]},
    {"dataset": "circle", "hidden_layers": [4, 2], "activation": "relu"},
    {"dataset": "blobs", "classes": 4, "loss": "cross_entropy", "hidden_layers": [5]},
    {"dataset": "xor", "batch_norm": "on", "hidden_layers": [6, 3], "activation": "sigmoid"},
    {"dataset": "plane", "problem": "regression", "hidden_layers": [3]},
    {"dataset": "gauss", "hidden_layers": []},
]


def _trained(changes, seed=1, epochs=30):
    plan = make_plan(make_config(None, {**changes, "seed": seed}))
    return plan, kernels.train_chunk(plan, fresh_state(plan), epochs).params


@pytest.mark.parametrize("changes", NETS, ids=[n["dataset"] for n in NETS])
def test_the_exact_evaluation_is_the_padded_one_within_round_off(changes):
    plan, state = _trained(changes)
    params = fit_weights(state.params, plan)
    padded = jax.device_get(compiled_evaluate()(params, plan.arch, plan.eval_data, detail=False))
    exact = jax.device_get(
        jax.jit(make_exact_evaluate(EvalSpec.of(plan.exact_spec, plan.shape.width)))(params, plan.eval_data)
    )
    depth = len(plan.config.hidden_layers)
    for name in padded._fields:
        a, b = np.asarray(getattr(padded, name)), np.asarray(getattr(exact, name))
        if name in ("neuron_grids", "train_hidden"):
            a = a[:depth]
        if name.startswith("grad_"):
            continue  # not made without the insight views
        assert a.shape == b.shape, name
        if a.dtype == np.uint8:  # quantized grids: at most one step apart at a rounding edge
            assert np.abs(a.astype(int) - b.astype(int)).max(initial=0) <= 1, name
        else:
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=2e-6, err_msg=name)


def test_frames_waiting_together_are_made_in_one_call_and_equal_lone_frames():
    runs = [_trained(NETS[0], seed=seed) for seed in range(1, 6)]
    framer = Framer()
    try:
        spec = EvalSpec.of(runs[0][0].exact_spec, runs[0][0].shape.width)
        deadline = time.monotonic() + 120
        while not framer.ready(spec, 8):  # the first burst starts the compile and is made one by one
            futures = [framer.submit(plan, state, False) for plan, state in runs]
            [f.result(60) for f in futures]
            assert time.monotonic() < deadline, "the batch kernel never became ready"
            time.sleep(0.05)
        before = framer.batched_frames
        frames = [f.result(60) for f in [framer.submit(plan, state, False) for plan, state in runs]]
        assert framer.batched_frames > before  # at least some of them came from one call
        for (plan, state), frame in zip(runs, frames, strict=True):
            lone = frame_data(plan, state, False)
            assert frame.train_loss == pytest.approx(lone.train_loss, rel=1e-5)
            assert frame.test_accuracy == pytest.approx(lone.test_accuracy, abs=1e-6)
            assert np.abs(frame.output_grid.astype(int) - lone.output_grid.astype(int)).max() <= 1
            assert np.abs(frame.neuron_grids.astype(int) - lone.neuron_grids.astype(int)).max() <= 1
            for got, want in zip(frame.weights, lone.weights, strict=True):
                np.testing.assert_array_equal(got, want)
            assert frame.metrics is None and frame.grad_norms == []  # no insight views
    finally:
        framer.close()


def test_frames_with_the_insight_views_are_made_one_by_one_with_everything():
    plan, state = _trained(NETS[0])
    framer = Framer()
    try:
        frame = framer.submit(plan, state, True).result(60)
    finally:
        framer.close()
    assert frame.metrics is not None and len(frame.grad_norms) == 4 and frame.weight_hist


def _held(framer: Framer, urgent: bool) -> threading.Event:
    """Hold the framer's worker of urgent (or other) frames before it makes the jobs it took, until set."""
    release, make = threading.Event(), framer._make

    def held(spec, jobs, is_urgent):
        if is_urgent == urgent:
            assert release.wait(60)
        make(spec, jobs, is_urgent)

    framer._make = held
    return release


def test_an_urgent_frame_never_waits_for_the_batches():
    plan, state = _trained(NETS[1])
    framer = Framer()
    try:
        release = _held(framer, urgent=False)
        queued = framer.submit(plan, state, False)
        frame = framer.submit(plan, state, False, urgent=True).result(60)
        assert not queued.done()
        release.set()
        lone = frame_data(plan, state, False)
        assert frame.train_loss == lone.train_loss and frame.test_accuracy == lone.test_accuracy
        np.testing.assert_array_equal(frame.output_grid, lone.output_grid)
        assert queued.result(60).train_loss == lone.train_loss
    finally:
        framer.close()


def test_urgent_frames_waiting_together_are_made_in_one_call():
    """A burst of edits (a class told to change one setting): their frames share a batch, made with the
    batch kernel of more slots while their own compiles."""
    runs = [_trained(NETS[0], seed=seed) for seed in range(1, 6)]
    framer = Framer()
    try:
        spec = EvalSpec.of(runs[0][0].exact_spec, runs[0][0].shape.width)
        deadline = time.monotonic() + 120
        while not framer.ready(spec, 8):  # ordinary frames: the kernel of 8 slots
            [f.result(60) for f in [framer.submit(plan, state, False) for plan, state in runs]]
            assert time.monotonic() < deadline, "the batch kernel never became ready"
            time.sleep(0.05)
        assert not framer.ready(spec, 4)
        release = _held(framer, urgent=True)
        first = framer.submit(*runs[0], False, urgent=True)  # taken alone, held
        time.sleep(0.2)
        burst = [framer.submit(plan, state, False, urgent=True) for plan, state in runs[1:]]
        before = framer.batched_frames
        release.set()
        frames = [f.result(60) for f in [first, *burst]]
        assert framer.batched_frames == before + 4  # the four that waited together, in one call
        for (plan, state), frame in zip(runs, frames, strict=True):
            lone = frame_data(plan, state, False)
            assert frame.train_loss == pytest.approx(lone.train_loss, rel=1e-5)
            assert np.abs(frame.output_grid.astype(int) - lone.output_grid.astype(int)).max() <= 1
    finally:
        framer.close()


@pytest.mark.parametrize("changes", [NETS[0], NETS[2]], ids=["spiral", "blobs"])
def test_the_pictures_are_row_major_with_the_top_row_first_whatever_order_the_grid_is_evaluated_in(changes):
    """The output grid and each neuron's thumbnail against the net run on the grid's cells in image order
    (row 0 at the top): lone (padded) and batched (exact) frames alike."""
    from nnplay.families.mlp.evaluate import GRID_SIZE, NEURON_GRID_SIZE, quantize
    from nnplay.features import all_features, grid_points
    from nnplay.models.losses import score
    from nnplay.models.mlp import forward

    plan, state = _trained(changes)
    params = fit_weights(state.params, plan)
    cells = np.zeros((GRID_SIZE**2, plan.shape.width), np.float32)
    features = all_features(grid_points(GRID_SIZE))
    cells[:, : features.shape[1]] = features
    out, hidden = forward(params, plan.arch, cells)
    scores = np.asarray(score(out, plan.arch.kind.loss))
    if scores.ndim == 2:  # softmax: the top class's probability p as 2p - 1, and the class
        want_grid, want_classes = np.asarray(quantize(2 * scores.max(axis=1) - 1)), scores.argmax(axis=1)
    else:
        want_grid, want_classes = np.asarray(quantize(scores)), None
    block = GRID_SIZE // NEURON_GRID_SIZE
    first = np.asarray(hidden[0])[:, : plan.config.hidden_layers[0]].reshape(
        NEURON_GRID_SIZE, block, NEURON_GRID_SIZE, block, -1
    )
    want_thumbs = np.asarray(quantize(first.mean(axis=(1, 3)).reshape(NEURON_GRID_SIZE**2, -1).T))

    framer = Framer()
    try:
        spec = EvalSpec.of(plan.exact_spec, plan.shape.width)
        deadline = time.monotonic() + 120
        while not framer.ready(spec, 2):
            [f.result(60) for f in [framer.submit(plan, state, False) for _ in range(2)]]
            assert time.monotonic() < deadline, "the batch kernel never became ready"
            time.sleep(0.05)
        before = framer.batched_frames
        batched = [f.result(60) for f in [framer.submit(plan, state, False) for _ in range(2)]]
        assert framer.batched_frames > before
    finally:
        framer.close()
    for frame in [frame_data(plan, state, False), *batched]:
        assert np.abs(frame.output_grid.astype(int) - want_grid.astype(int)).max() <= 1
        if want_classes is not None:
            assert np.mean(frame.output_classes == want_classes) > 0.999  # ties may round either way
        got = frame.neuron_grids[: plan.config.hidden_layers[0]].astype(int)
        assert np.abs(got - want_thumbs.astype(int)).max() <= 1
