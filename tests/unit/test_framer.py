"""Frames of many runs made together on the device (engine/framer.py): batched frames equal lone ones,
and a frame's summary made on the device says what the host would."""

import threading
import time

import jax
import numpy as np
import pytest

from nnplay.engine.compiler import Compiler
from nnplay.engine.framer import Framer
from nnplay.engine.resident import host_stack
from nnplay.engine.seam import SlotRef
from nnplay.families.mlp.evaluate import compiled_evaluate
from nnplay.families.mlp.exact_eval import EvalSpec, make_exact_evaluate
from nnplay.families.mlp.frames import frame_data
from nnplay.families.mlp.trainer import Trainer
from nnplay.families.mlp.weights import fit_weights
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
    trainer = Trainer(make_config(None, {**changes, "seed": seed}))
    return trainer.plan, trainer.train(trainer.init_params(), epochs).params


def _resident(runs):
    """The runs' states as slots of one stacked state on the device (as a shard holds them)."""
    stack = host_stack([state for _, state in runs])
    return [(plan, SlotRef(stack, i)) for i, (plan, _) in enumerate(runs)]


@pytest.fixture
def framer():
    compiler = Compiler()
    framer = Framer(compiler)
    yield framer
    framer.close()
    compiler.close()


def _batch_ready(framer, slots):
    return bool(framer.compiler.ready_keys(lambda key: key[0] == "frames" and key[3] == slots))


def _until_batched(framer, runs, slots):
    """Submit the runs' frames until a batch kernel of `slots` is compiled (the first bursts start the
    compile and are made one by one)."""
    deadline = time.monotonic() + 120
    while not _batch_ready(framer, slots):
        [f.result(60) for f in [framer.submit(plan, state, False) for plan, state in runs]]
        assert time.monotonic() < deadline, "the batch kernel never became ready"
        time.sleep(0.05)


def _same_frame(frame, lone):
    assert frame.train_loss == pytest.approx(lone.train_loss, rel=1e-5)
    assert frame.test_accuracy == pytest.approx(lone.test_accuracy, abs=1e-6)
    assert np.abs(frame.output_grid.astype(int) - lone.output_grid.astype(int)).max() <= 1
    assert np.abs(frame.neuron_grids.astype(int) - lone.neuron_grids.astype(int)).max(initial=0) <= 1
    for got, want in zip(frame.weights, lone.weights, strict=True):
        np.testing.assert_array_equal(got, want)
    assert frame.learning_rate == lone.learning_rate
    assert (frame.dead_layers, frame.output_constant, frame.saturated_one_class) == (
        lone.dead_layers,
        lone.output_constant,
        lone.saturated_one_class,
    )
    assert frame.metrics is None and frame.grad_norms == []  # no insight views


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


def test_frames_waiting_together_are_made_in_one_call_on_the_device_and_equal_lone_frames(framer):
    runs = _resident([_trained(NETS[0], seed=seed) for seed in range(1, 6)])
    _until_batched(framer, runs, 8)
    before = framer.batched_frames
    frames = [f.result(60) for f in [framer.submit(plan, state, False) for plan, state in runs]]
    assert framer.batched_frames > before  # at least some of them came from one call
    for (plan, state), frame in zip(runs, frames, strict=True):
        _same_frame(frame, frame_data(plan, state.value(), False))


STALLED = [
    {"dataset": "circle", "hidden_layers": [4, 4], "init": "zeros"},  # identical neurons, constant output
    {"dataset": "xor", "hidden_layers": [3], "activation": "relu", "learning_rate": 3},  # dead ReLUs
    {"dataset": "spiral", "hidden_layers": [6, 6, 6, 6, 6, 6], "activation": "sigmoid"},
]


@pytest.mark.parametrize("changes", [*NETS, *STALLED])
def test_a_frame_made_on_the_device_says_what_the_host_would(framer, changes):
    """The one-by-one frame (the padded evaluation's summary on the device): losses, pictures, weights,
    and the signs of a stalled net, as the host computes them from the whole evaluation."""
    plan, state = _trained(changes, epochs=60)
    _same_frame(framer.submit(plan, state, False).result(60), frame_data(plan, state, False))


def test_frames_with_the_insight_views_are_made_one_by_one_with_everything(framer):
    plan, state = _trained(NETS[0])
    frame = framer.submit(plan, state, True).result(60)
    assert frame.metrics is not None and len(frame.grad_norms) == 4 and frame.weight_hist


def _held(framer: Framer, urgent: bool) -> threading.Event:
    """Hold the framer's worker of urgent (or other) frames before it makes the jobs it took, until set."""
    release, make = threading.Event(), framer._make

    def held(jobs, is_urgent):
        if is_urgent == urgent:
            assert release.wait(60)
        make(jobs, is_urgent)

    framer._make = held
    return release


def test_an_urgent_frame_never_waits_for_the_batches(framer):
    plan, state = _trained(NETS[1])
    release = _held(framer, urgent=False)
    queued = framer.submit(plan, state, False)
    frame = framer.submit(plan, state, False, urgent=True).result(60)
    assert not queued.done()
    release.set()
    lone = frame_data(plan, state, False)
    assert frame.train_loss == pytest.approx(lone.train_loss, rel=1e-6)
    assert frame.test_accuracy == lone.test_accuracy
    assert queued.result(60).train_loss == pytest.approx(lone.train_loss, rel=1e-6)


def test_urgent_frames_waiting_together_are_made_in_one_call(framer):
    """A burst of edits (a class told to change one setting): their frames share a batch, made with the
    batch kernel of more slots (urgent frames compile none of their own)."""
    runs = _resident([_trained(NETS[0], seed=seed) for seed in range(1, 6)])
    _until_batched(framer, runs, 8)  # ordinary frames: the kernel of 8 slots
    assert not _batch_ready(framer, 4)
    release = _held(framer, urgent=True)
    first = framer.submit(*runs[0], False, urgent=True)  # taken alone, held
    time.sleep(0.2)
    burst = [framer.submit(plan, state, False, urgent=True) for plan, state in runs[1:]]
    before = framer.batched_frames
    release.set()
    frames = [f.result(60) for f in [first, *burst]]
    assert framer.batched_frames == before + 4  # the four that waited together, in one call
    for (plan, state), frame in zip(runs, frames, strict=True):
        lone = frame_data(plan, state.value(), False)
        assert frame.train_loss == pytest.approx(lone.train_loss, rel=1e-5)
        assert np.abs(frame.output_grid.astype(int) - lone.output_grid.astype(int)).max() <= 1


@pytest.mark.parametrize("changes", [NETS[0], NETS[2]], ids=["spiral", "blobs"])
def test_the_pictures_are_row_major_with_the_top_row_first_whatever_order_the_grid_is_evaluated_in(
    framer, changes
):
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

    runs = _resident([(plan, state), (plan, state)])
    _until_batched(framer, runs, 2)
    before = framer.batched_frames
    batched = [f.result(60) for f in [framer.submit(p, s, False) for p, s in runs]]
    assert framer.batched_frames > before
    single = framer.submit(plan, state, False).result(60)
    for frame in [frame_data(plan, state, False), single, *batched]:
        assert np.abs(frame.output_grid.astype(int) - want_grid.astype(int)).max() <= 1
        if want_classes is not None:
            assert np.mean(frame.output_classes == want_classes) > 0.999  # ties may round either way
        got = frame.neuron_grids[: plan.config.hidden_layers[0]].astype(int)
        assert np.abs(got - want_thumbs.astype(int)).max() <= 1
