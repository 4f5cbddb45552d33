"""Lessons that do what they say: every step of every classroom lesson, and every one-click lesson of the
page, is trained as its text tells the learner, and the result its text claims is checked.

A lesson runs at its own seed (1, the default): the checks train that seed; where the text claims more
("Regenerate data a few times: does it always succeed?"), other seeds too. The engine is called directly
(the same kernels as the server), so a whole lesson trains in seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import pytest

from nnplay.classroom.lessons import LESSONS
from nnplay.families.mlp.frames import FrameData
from nnplay.families.mlp.trainer import Trainer
from nnplay.presets import PRESETS
from nnplay.schemas import make_config

PRESET_BY_NAME = {p["name"]: p for p in PRESETS}
# The playground's lessons (other labs check their own: tests/unit/test_seq_lessons.py, test_gen_lessons.py).
STEP = {
    (lesson.id, i): step.config
    for lesson in LESSONS
    if lesson.lab == "playground"
    for i, step in enumerate(lesson.steps)
}


@cache
def _train(config_items: tuple[tuple[str, Any], ...], checkpoints: tuple[int, ...]) -> tuple[FrameData, ...]:
    trainer = Trainer(make_config(None, {k: list(v) if isinstance(v, tuple) else v for k, v in config_items}))
    state, done, frames = trainer.init_params(), 0, []
    for checkpoint in checkpoints:
        while done < checkpoint:
            outcome = trainer.train(state, min(500, checkpoint - done))
            state, done = outcome.params, done + outcome.epochs
        frames.append(trainer.evaluate(state))
    return tuple(frames)


def train(config: dict[str, Any], *checkpoints: int, seed: int = 1, **changes: Any) -> tuple[FrameData, ...]:
    """The evaluations after each of `checkpoints` epochs of `config` with `changes` laid over it."""
    merged = {**config, **changes, "seed": seed}
    items = tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in merged.items()))
    return _train(items, tuple(checkpoints))


def accuracy(frame: FrameData) -> float:
    assert frame.test_accuracy is not None
    return frame.test_accuracy


def loss(frame: FrameData) -> float:
    assert frame.test_loss is not None
    return frame.test_loss


def train_loss(frame: FrameData) -> float:
    assert frame.train_loss is not None
    return frame.train_loss


# ---- the classroom lessons, step by step --------------------------------------------------------------


def _features_0(c):  # "Why does the test loss stay high, whatever you wait?"
    start, later = train(c, 50, 1000)
    assert loss(start) > 0.45 and loss(later) > 0.45 and accuracy(later) < 0.7


def _features_1(c):  # "the net finds it within 50 epochs"; "why can X₁² alone not draw the circle?"
    (done,) = train(c, 50)
    assert accuracy(done) >= 0.99
    (alone,) = train(c, 500, features=["x1_sq"])
    assert accuracy(alone) < 0.85


def _features_2(c):  # "the circle is learnt within 100 epochs"
    for seed in (1, 2, 3):
        assert accuracy(train(c, 100, seed=seed)[0]) >= 0.97, seed


def _layers_0(c):  # "it stays near 50 %"
    (done,) = train(c, 500)
    assert accuracy(done) < 0.7


def _layers_1(c):  # "it stops near 87 %"
    for seed in (1, 2, 3):
        early, late = train(c, 300, 2000, seed=seed)
        assert 0.8 <= accuracy(early) < 0.9 and accuracy(late) < 0.9, seed


def _layers_2(c):  # "above 95 % within 300 epochs"; "Regenerate data a few times: does it always succeed?"
    for seed in range(1, 6):
        assert accuracy(train(c, 300, seed=seed)[0]) >= 0.95, seed


def _layers_3(c):  # "several layers and patience: about 2,000 epochs"; "remove layers: when does it stop?"
    early, done = train(c, 200, 2000)
    assert accuracy(early) < 0.7 and accuracy(done) >= 0.95
    (one_layer,) = train(c, 2000, hidden_layers=[8])
    assert accuracy(one_layer) < 0.75


def _learning_rate_0(c):  # "after 500 epochs the loss has barely moved"
    start, done = train(c, 0, 500)
    assert abs(loss(start) - loss(done)) < 0.05 and accuracy(done) < 0.7


def _learning_rate_1(c):  # "the loss falls smoothly, below 0.05 within 200 epochs"
    frames = train(c, 0, 50, 100, 200)
    losses = [loss(f) for f in frames]
    assert losses == sorted(losses, reverse=True) and losses[-1] < 0.05


def _learning_rate_2(c):  # "the loss jumps up instead of down, or the run gets stuck in one class"
    frames = train(c, 0, 50, 100, 200, 500)
    assert loss(frames[1]) > loss(frames[0]) and min(loss(f) for f in frames[1:]) > 0.3
    (lower,) = train(c, 500, learning_rate=0.03)  # "Lower the rate to 0.03 and compare."
    assert accuracy(lower) >= 0.97


def _overfitting_0(c):  # "train loss keeps falling, test loss rises"
    early, late = train(c, 200, 2000)
    assert train_loss(late) < train_loss(early) and loss(late) > loss(early) + 0.03


def _overfitting_1(c):  # "the test loss stays lower"; "What if the rate is 0.3?"
    (with_l2,) = train(c, 2000)
    (without,) = train(c, 2000, regularization="none")
    (strong,) = train(c, 2000, regularization_rate=0.3)
    assert loss(with_l2) < loss(without) - 0.05 and loss(strong) > loss(with_l2)


def _overfitting_2(c):  # "its test loss stays lower than with 10 %"
    more = train(c, 500, 1000, 2000)
    fewer = train(c, 500, 1000, 2000, train_ratio=10)
    assert all(loss(m) < loss(f) for m, f in zip(more, fewer, strict=True))


def _vanishing_0(c):  # "the first layers' gradients are thousands of times smaller; the net does not learn"
    start, done = train(c, 0, 500)
    assert start.grad_norms[0] * 1000 < start.grad_norms[-2]
    assert accuracy(done) < 0.6


def _vanishing_1(c):  # "every layer gets a gradient of the same size; learnt within 300 epochs"
    start, done = train(c, 0, 300)
    assert max(start.grad_norms) < 10 * min(start.grad_norms)
    assert accuracy(done) >= 0.95


def _vanishing_2(c):  # "learns within 100 epochs"; "switch batch norm off and on again"
    (done,) = train(c, 100)
    (off,) = train(c, 100, batch_norm="off")
    assert accuracy(done) >= 0.95 and accuracy(off) < 0.6


def _softmax(c):  # one output per class, the confusion matrix's diagonal
    (done,) = train(c, 200)
    assert done.outputs == c["classes"] and accuracy(done) >= 0.95
    matrix = done.metrics["test"]["confusion_matrix"]
    assert sum(matrix[i][i] for i in range(len(matrix))) >= 0.95 * sum(map(sum, matrix))


LESSON_CLAIMS: dict[tuple[str, int], Callable[[dict[str, Any]], None]] = {
    ("features", 0): _features_0,
    ("features", 1): _features_1,
    ("features", 2): _features_2,
    ("layers", 0): _layers_0,
    ("layers", 1): _layers_1,
    ("layers", 2): _layers_2,
    ("layers", 3): _layers_3,
    ("learning-rate", 0): _learning_rate_0,
    ("learning-rate", 1): _learning_rate_1,
    ("learning-rate", 2): _learning_rate_2,
    ("overfitting", 0): _overfitting_0,
    ("overfitting", 1): _overfitting_1,
    ("overfitting", 2): _overfitting_2,
    ("vanishing-gradients", 0): _vanishing_0,
    ("vanishing-gradients", 1): _vanishing_1,
    ("vanishing-gradients", 2): _vanishing_2,
    ("softmax", 0): _softmax,
    ("softmax", 1): _softmax,
}


def test_every_lesson_step_has_its_claims_checked():
    assert set(LESSON_CLAIMS) == set(STEP)


@pytest.mark.parametrize("key", sorted(LESSON_CLAIMS), ids=lambda k: f"{k[0]}-{k[1]}")
def test_each_lesson_step_does_what_its_text_says(key):
    LESSON_CLAIMS[key](STEP[key])


# ---- the page's one-click lessons (presets.PRESETS) ----------------------------------------------


def _xor_preset(c):
    """ "stays near 50 %"; "Add a hidden layer: with its 2 neurons it stops near 87 %; press its + until it
    has 6 neurons and it passes 95 % within 300 epochs. Or ... the X₁·X₂ feature: 100 % within 100 epochs."
    """
    assert accuracy(train(c, 500)[0]) < 0.7
    assert accuracy(train(c, 2000, hidden_layers=[2])[0]) < 0.9
    assert accuracy(train(c, 300, hidden_layers=[6])[0]) >= 0.95
    assert accuracy(train(c, 100, features=["x1", "x2", "x1_x2"])[0]) == 1.0


def _circle_features_preset(c):  # "a ring within a few dozen epochs although the net has no hidden layer"
    assert accuracy(train(c, 50)[0]) >= 0.99


def _spiral_raw_preset(c):  # "several layers and patience (about 2,000 epochs)"
    early, done = train(c, 200, 2000)
    assert accuracy(early) < 0.7 and accuracy(done) >= 0.95


def _overfitting_preset(c):  # "the training loss keeps falling while the test loss rises. Try L2"
    early, late = train(c, 200, 2000)
    assert train_loss(late) < train_loss(early) and loss(late) > loss(early) + 0.03
    (l2,) = train(c, 2000, regularization="l2", regularization_rate=0.03)
    assert loss(l2) < loss(late) - 0.05


def _vanishing_preset(c):  # "thousands of times less signal than the last; the net does not learn"
    start, done = train(c, 0, 500)
    assert start.grad_norms[0] * 1000 < start.grad_norms[-2] and accuracy(done) < 0.6


def _relu_he_preset(c):  # "every layer gets a healthy gradient, and the circle is learnt within 300 epochs"
    start, done = train(c, 0, 300)
    assert max(start.grad_norms) < 10 * min(start.grad_norms) and accuracy(done) >= 0.95


def _blobs_preset(c):  # "the confusion matrix empties out off its diagonal (within 200 epochs)"
    _softmax(c)


def _batch_norm_preset(c):  # "it learns in a few dozen epochs. Switch batch norm off to see it stall."
    (done,) = train(c, 50)
    (off,) = train(c, 500, batch_norm="off")
    assert accuracy(done) >= 0.95 and accuracy(off) < 0.6


def _plane_preset(c):  # "the loss falling towards 0"
    start, done = train(c, 0, 200)
    assert loss(done) < 0.01 < loss(start) and done.test_accuracy is None


PRESET_CLAIMS: dict[str, Callable[[dict[str, Any]], None]] = {
    "xor-hidden-layer": _xor_preset,
    "circle-features": _circle_features_preset,
    "spiral-raw": _spiral_raw_preset,
    "overfitting": _overfitting_preset,
    "vanishing-gradients": _vanishing_preset,
    "relu-he": _relu_he_preset,
    "blobs-softmax": _blobs_preset,
    "batch-norm": _batch_norm_preset,
    "regression-plane": _plane_preset,
}


def test_every_one_click_lesson_has_its_claims_checked():
    assert set(PRESET_CLAIMS) == set(PRESET_BY_NAME)


@pytest.mark.parametrize("name", sorted(PRESET_CLAIMS))
def test_each_one_click_lesson_does_what_its_text_says(name):
    PRESET_CLAIMS[name](PRESET_BY_NAME[name]["config"])
