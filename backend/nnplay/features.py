"""Input feature maps: the seven TensorFlow Playground features of a point (x1, x2)."""

from __future__ import annotations

import numpy as np

from .settings import FEATURE_NAMES

FEATURE_FUNCTIONS = {
    "x1": lambda x1, x2: x1,
    "x2": lambda x1, x2: x2,
    "x1_sq": lambda x1, x2: x1 * x1,
    "x2_sq": lambda x1, x2: x2 * x2,
    "x1_x2": lambda x1, x2: x1 * x2,
    "sin_x1": lambda x1, x2: np.sin(x1),
    "sin_x2": lambda x1, x2: np.sin(x2),
}
assert tuple(FEATURE_FUNCTIONS) == FEATURE_NAMES


def all_features(points: np.ndarray) -> np.ndarray:
    """(n, 2) points -> (n, 7) float32 matrix of every feature, in FEATURE_NAMES order."""
    x1, x2 = points[:, 0].astype(np.float64), points[:, 1].astype(np.float64)
    return np.stack([f(x1, x2) for f in FEATURE_FUNCTIONS.values()], axis=1).astype(np.float32)


def feature_mask(selected: tuple[str, ...] | list[str]) -> np.ndarray:
    """1.0 for each selected feature, 0.0 otherwise, in FEATURE_NAMES order."""
    return np.array([1.0 if name in selected else 0.0 for name in FEATURE_NAMES], dtype=np.float32)


def grid_points(size: int, domain: tuple[float, float] = (-6.0, 6.0)) -> np.ndarray:
    """Cell centres of a size x size grid over the domain; row 0 is the top (x2 = max)."""
    lo, hi = domain
    step = (hi - lo) / size
    centres = lo + step * (np.arange(size) + 0.5)
    x1, x2 = np.meshgrid(centres, centres[::-1])
    return np.stack([x1.ravel(), x2.ravel()], axis=1).astype(np.float32)
