"""The generative lab's data: 2-D point sets for the GAN (with their modes, where they have some), own
points parsed from CSV, and scikit-learn's 8x8 digits (flattened to 64 values in [0, 1]) for the AE/VAE.

A GAN data set is a buffer of MAX_POINTS points (padded) and its count: the kernel samples its batches
from the buffer with traced indices, so a new data set or new own points compile nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..cnn.data import split_digits
from .points import MAX_POINTS, own_extent

RING_RADIUS, RING_SIGMA = 2.0, 0.05
GRID_SPACING, GRID_SIGMA = 2.0, 0.05
GAUSS_CENTRE, GAUSS_SIGMA = 1.5, 0.25


@dataclass(frozen=True, eq=False)
class PlaneData:
    """The points a GAN learns to imitate, the square it is shown in, and its modes (if any)."""

    name: str
    points: np.ndarray  # (n, 2) float32
    extent: float  # the plane is [-extent, extent]^2
    centres: np.ndarray | None  # (modes, 2): where the modes are
    sigma: float  # their spread (a sample within 3 sigma of a centre is a good one)

    def padded(self) -> np.ndarray:
        buffer = np.zeros((MAX_POINTS, 2), np.float32)
        buffer[: len(self.points)] = self.points[:MAX_POINTS]
        return buffer


def ring_centres(modes: int = 8) -> np.ndarray:
    angles = 2 * np.pi * np.arange(modes) / modes
    return (RING_RADIUS * np.stack([np.cos(angles), np.sin(angles)], axis=1)).astype(np.float32)


def grid_centres() -> np.ndarray:
    ticks = GRID_SPACING * np.arange(-2, 3)
    return np.array([(x, y) for x in ticks for y in ticks], np.float32)


def _around(centres: np.ndarray, sigma: float, rng: np.random.Generator) -> np.ndarray:
    which = rng.integers(0, len(centres), MAX_POINTS)
    return (centres[which] + sigma * rng.standard_normal((MAX_POINTS, 2))).astype(np.float32)


def plane_data(name: str, seed: int, own: np.ndarray | None = None) -> PlaneData:
    """A data set's points, drawn from the seed (own points as given)."""
    rng = np.random.default_rng(seed)
    if name == "ring":
        centres = ring_centres()
        return PlaneData(name, _around(centres, RING_SIGMA, rng), 3.0, centres, RING_SIGMA)
    if name == "grid":
        centres = grid_centres()
        return PlaneData(name, _around(centres, GRID_SIGMA, rng), 5.5, centres, GRID_SIGMA)
    if name == "gaussians":
        centres = np.array([[-GAUSS_CENTRE, 0.0], [GAUSS_CENTRE, 0.0]], np.float32)
        return PlaneData(name, _around(centres, GAUSS_SIGMA, rng), 3.0, centres, GAUSS_SIGMA)
    if name == "moons":
        from sklearn.datasets import make_moons

        x, _ = make_moons(MAX_POINTS, noise=0.05, random_state=seed % 2**32)
        points = (1.5 * (x - [0.5, 0.25])).astype(np.float32)
        return PlaneData(name, points, 3.0, None, 0.05)
    if name == "line":
        t = rng.uniform(-2.0, 2.0, MAX_POINTS)
        points = np.stack([t, 0.5 * t + 0.03 * rng.standard_normal(MAX_POINTS)], axis=1).astype(np.float32)
        return PlaneData(name, points, 3.0, None, 0.05)
    points = np.zeros((0, 2), np.float32) if own is None else np.asarray(own, np.float32).reshape(-1, 2)
    return PlaneData("custom", points, own_extent(points), None, 0.05)


@dataclass(frozen=True, eq=False)
class DigitData:
    train_x: np.ndarray  # (n_train, 64) float32 in [0, 1]
    train_y: np.ndarray
    test_x: np.ndarray
    test_y: np.ndarray


def digit_data(seed: int, train_ratio: float = 0.8) -> DigitData:
    split = split_digits(train_ratio, seed)
    flat = lambda x: x.reshape(len(x), 64).astype(np.float32)  # noqa: E731
    return DigitData(flat(split.train_x), split.train_y, flat(split.test_x), split.test_y)
