"""The fast draw of initial weights (draw_params) gives init_params's numbers bit for bit: init_params is
what exported scripts copy, so a script replays the run the server started."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from nnplay.families.mlp.weights import resize_params
from nnplay.models.mlp import MlpShape, Params
from nnplay.models.mlp_init import INITIALIZERS, draw_params, draw_params_host, init_params

SHAPES = [MlpShape(6, 8), MlpShape(6, 16), MlpShape(12, 64)]


def _sizes(shape: MlpShape) -> list[int]:
    return [3, *([shape.width - 1] * min(3, shape.depth)), 4]


@pytest.mark.parametrize("kind", INITIALIZERS)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_the_fast_draw_is_init_params_bit_for_bit(kind: str, shape: MlpShape) -> None:
    for seed in (0, 7):
        for sizes in (None, _sizes(shape)):
            key = jax.random.PRNGKey(seed)
            want = init_params(key, shape, kind, sizes)
            got = draw_params_host(key, shape, kind, sizes)
            for name, a, b in zip(Params._fields, want, got, strict=True):
                a = np.asarray(a)
                assert b.dtype == a.dtype == np.float32 and b.shape == a.shape, name
                assert np.array_equal(a.view(np.uint32), b.view(np.uint32)), (kind, shape, seed, sizes, name)


def test_the_device_draw_is_on_the_device_and_traces_as_init_params() -> None:
    key, shape = jax.random.PRNGKey(3), MlpShape(6, 8)
    params = draw_params(key, shape, "he", [2, 4, 1])
    assert all(isinstance(leaf, jax.Array) for leaf in params)
    assert np.array_equal(np.asarray(params.w), np.asarray(init_params(key, shape, "he", [2, 4, 1]).w))
    shapes = jax.eval_shape(lambda k: draw_params(k, shape), key)  # e.g. the warm-up's shaped zeros
    assert shapes.w.shape == (6, 8, 8) and shapes.w_out.shape == (8, 8)
    with pytest.raises(ValueError, match="unknown initializer"):
        draw_params_host(key, shape, "glorot")


def test_a_net_moved_to_a_bigger_bucket_keeps_its_weights_and_draws_the_rest() -> None:
    small, big = MlpShape(6, 8), MlpShape(12, 16)
    params = init_params(jax.random.PRNGKey(1), small, "he", [2, 8, 1])
    key = jax.random.PRNGKey(2)
    moved = resize_params(params, big, key)
    fresh = init_params(key, big)
    assert moved.w.shape == (12, 16, 16) and isinstance(moved.w, jax.Array)
    np.testing.assert_array_equal(np.asarray(moved.w)[:6, :8, :8], np.asarray(params.w))
    np.testing.assert_array_equal(np.asarray(moved.w)[6:], np.asarray(fresh.w)[6:])
    np.testing.assert_array_equal(np.asarray(moved.w)[:6, 8:], np.asarray(fresh.w)[:6, 8:])
    np.testing.assert_array_equal(np.asarray(moved.w_out)[:8], np.asarray(params.w_out))
    np.testing.assert_array_equal(np.asarray(moved.w_out)[8:], np.asarray(fresh.w_out)[8:])
    np.testing.assert_array_equal(np.asarray(moved.b)[:6, :8], np.asarray(params.b))
    assert moved.b_out is params.b_out
    back = resize_params(moved, small, key)  # and back down: the overlap survives
    np.testing.assert_array_equal(np.asarray(back.w), np.asarray(params.w))


def test_without_partitionable_threefry_it_still_draws_init_params_numbers() -> None:
    key, shape = jax.random.PRNGKey(4), MlpShape(6, 8)
    with jax.threefry_partitionable(False):
        want = init_params(key, shape, "xavier", [2, 4, 1])
        got = draw_params_host(key, shape, "xavier", [2, 4, 1])
    for a, b in zip(want, got, strict=True):
        assert np.array_equal(np.asarray(a), b)
