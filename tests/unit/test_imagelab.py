"""The image lab's family: quality on the digits, determinism, augmentation, no recompiles on edits."""

from __future__ import annotations

import asyncio

import jax
import numpy as np
import pytest
from loops import run

from nnplay.engine.runtime import compile_count
from nnplay.engine.serial import SerialEngine
from nnplay.families.cnn.config import MLP_STACK, ImageConfigError, make_image_config
from nnplay.families.cnn.data import augment_batch, split_digits
from nnplay.families.cnn.family import CnnFamily
from nnplay.families.cnn.plan import Lab

QUALITY_EPOCHS = 15


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_default_cnn_reaches_97pct_test_accuracy_within_15_epochs(seed):
    lab = Lab(make_image_config(None, {"seed": seed}))
    state = lab.train(lab.fresh_state(), QUALITY_EPOCHS)
    ev = lab.evaluate(state, 0)
    assert ev.test_accuracy >= 0.97, f"seed {seed}: {ev.test_accuracy:.4f}"
    assert ev.confusion.sum() == lab.n_test


def test_the_same_config_and_seed_give_the_same_losses_bit_for_bit():
    config = make_image_config(None, {"augment_shift": True, "augment_noise": True})
    runs = []
    for _ in range(2):
        lab = Lab(config)
        state = lab.train(lab.fresh_state(), 2)
        runs.append((jax.device_get(state.params), lab.evaluate(state, 0).test_loss))
    assert runs[0][1] == runs[1][1]
    for a, b in zip(jax.tree.leaves(runs[0][0]), jax.tree.leaves(runs[1][0]), strict=True):
        np.testing.assert_array_equal(a, b)


def test_learning_rate_dropout_and_augmentation_edits_do_not_recompile():
    """On the engine: an edit of traced settings keeps the plan's kernels (same use keys)."""
    stack = [{"kind": "conv", "filters": 4}, {"kind": "dropout", "rate": 0.2}, {"kind": "flatten"}]
    family, engine = CnnFamily(), SerialEngine()
    lab = Lab(make_image_config(None, {"layers": stack, "optimizer": "adamw"}))

    async def chunk(lab, state):
        outcome = await engine.train("r", lab, state, 20)
        await asyncio.wrap_future(engine.frame(lab, outcome.state, False, 3))
        return outcome.state

    try:
        state = run(chunk(lab, lab.fresh_state()))
        engine.call(("predict",), lambda: lambda x: x + 1, np.zeros(3)).result()
        before = compile_count()
        for changes in (
            {"learning_rate": 0.001},
            {"momentum": 0.5, "weight_decay": 0.01},
            {"layers": [*stack[:1], {"kind": "dropout", "rate": 0.6}, stack[2]]},
            {"augment_rotation": True, "augment_noise": True},
        ):
            edited = Lab(make_image_config(lab.config, changes), lab)
            assert family.fresh_run_reason(lab.config, edited.config) is None
            assert edited.train_uses()[0].key == lab.train_uses()[0].key
            lab, state = edited, run(chunk(edited, family.fit_state(state, edited)))
        assert compile_count() == before
    finally:
        engine.close()


def test_augmentation_off_leaves_images_as_they_are_and_on_changes_them():
    images = jax.numpy.asarray(split_digits(0.8, 1).train_x[:16])
    key = jax.random.PRNGKey(0)
    off = augment_batch(images, key, jax.numpy.zeros(3))
    np.testing.assert_array_equal(np.asarray(off), np.asarray(images))
    for flag in range(3):
        flags = np.zeros(3, np.float32)
        flags[flag] = 1
        on = np.asarray(augment_batch(images, key, jax.numpy.asarray(flags)))
        assert on.shape == images.shape and on.min() >= 0 and on.max() <= 1
        assert not np.allclose(on, np.asarray(images)), f"flag {flag} changed nothing"
    # a shift by a whole pixel moves the ink without blurring it: the same values, elsewhere
    shifted = np.asarray(augment_batch(images, jax.random.PRNGKey(5), jax.numpy.asarray([1.0, 0, 0])))
    moved = [i for i in range(16) if not np.array_equal(shifted[i], np.asarray(images[i]))]
    assert moved
    assert set(np.round(shifted[moved[0]].ravel() * 16).tolist()) <= set(
        np.round(np.asarray(images[moved[0]]).ravel() * 16).tolist()
    )


def test_split_is_a_pure_function_of_ratio_and_seed():
    a, b, c = split_digits(0.7, 4), split_digits(0.7, 4), split_digits(0.7, 5)
    np.testing.assert_array_equal(a.train_y, b.train_y)
    assert not np.array_equal(a.train_y, c.train_y)
    assert len(a.train_y) + len(a.test_y) == 1797 and len(a.train_y) == round(0.7 * 1797)


def test_the_mlp_baseline_is_a_valid_stack_and_a_fresh_run_follows_an_architecture_change():
    config = make_image_config()
    mlp = make_image_config(None, {"layers": list(MLP_STACK)})
    assert Lab.fresh_run_reason(config, mlp) == "new network: the architecture changed"
    assert Lab.fresh_run_reason(config, make_image_config(None, {"seed": 9})) is not None


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"learning_rate": 2}, "learning_rate", "learning rate must be between 1e-05 and 1, got 2"),
        ({"train_ratio": 0.95}, "train_ratio", "train ratio must be between 0.1 and 0.9, got 0.95"),
        ({"batch_size": 4}, "batch_size", "batch size must be between 8 and 256, got 4"),
        ({"colour": "red"}, "colour", "unknown setting 'colour'"),
        ({"layers": [{"kind": "conv", "size": 3}]}, "layers", "layer 1: unknown field 'size'"),
        ({"layers": [{"kind": "conv", "filters": "many"}]}, "layers", "layer 1: filters"),
    ],
)
def test_config_errors_name_the_field(changes, field, message):
    with pytest.raises(ImageConfigError) as caught:
        make_image_config(None, changes)
    assert caught.value.field == field
    assert caught.value.message.startswith(message)


def test_chunks_of_any_size_train_the_same_weights_as_whole_epochs():
    lab = Lab(make_image_config(None, {"layers": [{"kind": "conv", "filters": 2}, {"kind": "flatten"}]}))
    whole = lab.train(lab.fresh_state(), 2)
    chunked = lab.fresh_state()
    while int(chunked.epoch) < 2:
        chunked = lab.train_steps(
            chunked,
            min(7, 2 * lab.steps_per_epoch - int(chunked.epoch) * lab.steps_per_epoch - int(chunked.step)),
        )
    assert (int(chunked.epoch), int(chunked.step)) == (2, 0)
    for a, b in zip(jax.tree.leaves(whole.params), jax.tree.leaves(chunked.params), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
