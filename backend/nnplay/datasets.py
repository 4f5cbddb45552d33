"""2-D data sets with TensorFlow Playground's semantics: pure functions of (name, size, noise, rng).

Classification labels are +1 / -1; regression labels lie in [-1, 1]. Points lie in about [-6, 6]^2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .settings import DATASET_PROBLEM

NUM_SAMPLES = {"classification": 500, "regression": 1200}
MAX_POINTS = max(NUM_SAMPLES.values())


@dataclass(frozen=True)
class Split:
    """A data set split into train and test points (float32 arrays)."""

    train_x: np.ndarray  # (n_train, 2)
    train_y: np.ndarray  # (n_train,)
    test_x: np.ndarray
    test_y: np.ndarray


def _circle(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    radius = 5.0
    half = n // 2

    def ring(r_min: float, r_max: float) -> tuple[np.ndarray, np.ndarray]:
        r = rng.uniform(r_min, r_max, half)
        angle = rng.uniform(0.0, 2 * np.pi, half)
        xy = np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)
        jitter = rng.uniform(-radius, radius, (half, 2)) * noise
        label = np.where(np.hypot(*(xy + jitter).T) < radius * 0.5, 1.0, -1.0)
        return xy, label

    inner, inner_y = ring(0.0, radius * 0.5)
    outer, outer_y = ring(radius * 0.7, radius)
    return np.concatenate([inner, outer]), np.concatenate([inner_y, outer_y])


def _xor(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    padding = 0.3
    xy = rng.uniform(-5.0, 5.0, (n, 2))
    xy += np.where(xy > 0, padding, -padding)
    jitter = rng.uniform(-5.0, 5.0, (n, 2)) * noise
    shifted = xy + jitter
    return xy, np.where(shifted[:, 0] * shifted[:, 1] >= 0, 1.0, -1.0)


def _gauss(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    variance = 0.5 + noise / 0.5 * 3.5  # TF Playground: noise 0..0.5 maps linearly to variance 0.5..4
    half = n // 2
    pos = rng.normal((2.0, 2.0), np.sqrt(variance), (half, 2))
    neg = rng.normal((-2.0, -2.0), np.sqrt(variance), (half, 2))
    return np.concatenate([pos, neg]), np.concatenate([np.ones(half), -np.ones(half)])


def _spiral(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    half = n // 2
    i = np.arange(half)
    arms = []
    for delta in (0.0, np.pi):
        r = i / half * 5.0
        t = 1.75 * i / half * 2 * np.pi + delta
        jitter = rng.uniform(-1.0, 1.0, (half, 2)) * noise
        arms.append(np.stack([r * np.sin(t), r * np.cos(t)], axis=1) + jitter)
    return np.concatenate(arms), np.concatenate([np.ones(half), -np.ones(half)])


def _regression_points(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    radius = 6.0
    xy = rng.uniform(-radius, radius, (n, 2))
    jitter = rng.uniform(-radius, radius, (n, 2)) * noise
    return xy, xy + jitter


def _plane(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    xy, shifted = _regression_points(n, noise, rng)
    # TF Playground scales x1 + x2 from [-10, 10] to [-1, 1] without clamping.
    return xy, shifted.sum(axis=1) / 10.0


_GAUSSIANS = ((-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1), (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1))


def multigauss_label(points: np.ndarray) -> np.ndarray:
    """TF Playground's six-bump surface: the strongest bump (1 at its centre, 0 at distance 2) wins."""
    label = np.zeros(len(points))
    for cx, cy, sign in _GAUSSIANS:
        dist = np.hypot(points[:, 0] - cx, points[:, 1] - cy)
        value = sign * np.clip(1.0 - dist / 2.0, 0.0, 1.0)
        label = np.where(np.abs(value) > np.abs(label), value, label)
    return label


def _multigauss(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    xy, shifted = _regression_points(n, noise, rng)
    return xy, multigauss_label(shifted)


def _moons(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's two interleaving half circles, scaled to fill the domain; noise 0..0.5 -> sd 0..0.25."""
    from sklearn.datasets import make_moons

    xy, labels = make_moons(n, noise=noise / 2, random_state=int(rng.integers(2**31)))
    xy = (xy - (0.5, 0.25)) * 3.5
    return xy, np.where(labels == 0, 1.0, -1.0)


def _checkerboard(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A 4 x 4 board of 3 x 3 squares; noise jitters the point used for the label, as in xor."""
    xy = rng.uniform(-6.0, 6.0, (n, 2))
    shifted = xy + rng.uniform(-3.0, 3.0, (n, 2)) * noise
    cells = np.floor(shifted / 3.0).astype(int).sum(axis=1)
    return xy, np.where(cells % 2 == 0, 1.0, -1.0)


def _blobs(n: int, noise: float, rng: np.random.Generator, classes: int) -> tuple[np.ndarray, np.ndarray]:
    """`classes` round Gaussian blobs, centres evenly on a circle of radius 3.5; noise widens them."""
    sd = 0.6 + noise * 3.0  # noise 0..0.5 -> sd 0.6..2.1 (overlapping at the top)
    label = np.arange(n) % classes
    angle = 2 * np.pi * label / classes + np.pi / 2
    centres = 3.5 * np.stack([np.cos(angle), np.sin(angle)], axis=1)
    return centres + rng.normal(0.0, sd, (n, 2)), label.astype(np.float64)


def _spirals(n: int, noise: float, rng: np.random.Generator, classes: int) -> tuple[np.ndarray, np.ndarray]:
    """One spiral arm per class (the two-arm spiral's shape, arms 2 pi / classes apart)."""
    per_arm = n // classes
    i = np.arange(per_arm)
    r = i / per_arm * 5.0
    arms, labels = [], []
    for arm in range(classes):
        t = 1.75 * i / per_arm * 2 * np.pi + 2 * np.pi * arm / classes
        jitter = rng.uniform(-1.0, 1.0, (per_arm, 2)) * noise
        arms.append(np.stack([r * np.sin(t), r * np.cos(t)], axis=1) + jitter)
        labels.append(np.full(per_arm, float(arm)))
    return np.concatenate(arms), np.concatenate(labels)


MULTICLASS_GENERATORS = {"blobs": _blobs, "spirals": _spirals}

GENERATORS = {
    "circle": _circle,
    "xor": _xor,
    "gauss": _gauss,
    "spiral": _spiral,
    "moons": _moons,
    "checkerboard": _checkerboard,
    "plane": _plane,
    "multigauss": _multigauss,
}


def generate(name: str, noise_percent: int, train_ratio_percent: int, seed: int, classes: int = 3) -> Split:
    """Generate, shuffle once (TF Playground never reshuffles) and split a data set.

    Binary sets label +1/-1; the multi-class ones (blobs, spirals) label 0..classes-1.
    """
    rng = np.random.default_rng(seed)
    n = NUM_SAMPLES[DATASET_PROBLEM.get(name, "classification")]
    if name in MULTICLASS_GENERATORS:
        xy, labels = MULTICLASS_GENERATORS[name](n, noise_percent / 100.0, rng, classes)
    elif name in GENERATORS:
        xy, labels = GENERATORS[name](n, noise_percent / 100.0, rng)
    else:  # "custom" has no generator: its points come from the person
        names = ", ".join([*GENERATORS, *MULTICLASS_GENERATORS])
        raise ValueError(f"unknown data set {name!r}; choose one of {names}")
    order = rng.permutation(len(xy))
    xy, labels = xy[order].astype(np.float32), labels[order].astype(np.float32)
    split = int(len(xy) * train_ratio_percent / 100)
    return Split(xy[:split], labels[:split], xy[split:], labels[split:])


def custom_split(points: np.ndarray, labels: np.ndarray, train_ratio_percent: int, seed: int) -> Split:
    """A person's own points, shuffled by the seed and split like the generated sets."""
    order = np.random.default_rng(seed).permutation(len(points))
    xy, y = np.asarray(points, np.float32)[order], np.asarray(labels, np.float32)[order]
    split = int(len(xy) * train_ratio_percent / 100)
    return Split(xy[:split], y[:split], xy[split:], y[split:])
