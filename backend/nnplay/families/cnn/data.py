"""The handwritten digits (scikit-learn's 8x8 set) split by ratio and seed, and their augmentation.

Images are float32 in [0, 1] (the set's 0..16 counts divided by 16), shaped (n, 8, 8, 1). Augmentation
is a pure function of an image, a PRNG key and three traced on/off flags, so toggling it never
recompiles: a shift by up to one pixel and a small rotation (one bilinear resampling) and Gaussian noise.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import jax
import jax.numpy as jnp
import numpy as np
from jax.scipy.ndimage import map_coordinates

SIDE = 8
MAX_INTENSITY = 16.0
MAX_ROTATION_RAD = float(np.deg2rad(15.0))
NOISE_STD = 0.1


@dataclass(frozen=True)
class DigitSplit:
    train_x: np.ndarray  # (n_train, 8, 8, 1) float32 in [0, 1]
    train_y: np.ndarray  # (n_train,) int32
    test_x: np.ndarray
    test_y: np.ndarray


@cache
def _digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = (bunch.images / MAX_INTENSITY).astype(np.float32)[..., None]
    return images, bunch.target.astype(np.int32)


def split_digits(train_ratio: float, seed: int) -> DigitSplit:
    """A random train/test split of the 1,797 digits: a pure function of (ratio, seed)."""
    images, labels = _digits()
    order = np.random.default_rng(seed).permutation(len(labels))
    n_train = round(train_ratio * len(labels))
    train, test = order[:n_train], order[n_train:]
    return DigitSplit(images[train], labels[train], images[test], labels[test])


def augment_image(image: jax.Array, key: jax.Array, flags: jax.Array) -> jax.Array:
    """One (8, 8, 1) image shifted/rotated/noised as `flags` = (shift, rotation, noise) in [0, 1].

    With every flag 0 the image comes back exactly as it was.
    """
    k_shift, k_angle, k_noise = jax.random.split(key, 3)
    shift = jax.random.randint(k_shift, (2,), -1, 2).astype(jnp.float32) * flags[0]
    angle = jax.random.uniform(k_angle, (), minval=-MAX_ROTATION_RAD, maxval=MAX_ROTATION_RAD) * flags[1]
    centre = (SIDE - 1) / 2.0
    rows, cols = jnp.meshgrid(
        jnp.arange(SIDE, dtype=jnp.float32), jnp.arange(SIDE, dtype=jnp.float32), indexing="ij"
    )
    r, c = rows - centre - shift[0], cols - centre - shift[1]
    cos, sin = jnp.cos(angle), jnp.sin(angle)
    source = [
        cos * r + sin * c + centre,
        -sin * r + cos * c + centre,
    ]  # rotate the output back onto the input
    warped = map_coordinates(image[..., 0], source, order=1, mode="constant", cval=0.0)
    noisy = warped + flags[2] * NOISE_STD * jax.random.normal(k_noise, warped.shape)
    return jnp.clip(noisy, 0.0, 1.0)[..., None]


def augment_batch(images: jax.Array, key: jax.Array, flags: jax.Array) -> jax.Array:
    """Each image of a batch with its own key (split from `key`)."""
    keys = jax.random.split(key, images.shape[0])
    return jax.vmap(augment_image, in_axes=(0, 0, None))(images, keys, flags)


def pixels_to_image(pixels: np.ndarray) -> np.ndarray:
    """64 counts 0..16 (a drawn digit, row by row) -> one (8, 8, 1) float32 image like the data set's."""
    return (np.asarray(pixels, np.float32).reshape(SIDE, SIDE, 1) / MAX_INTENSITY).astype(np.float32)
