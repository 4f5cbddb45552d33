"""The GAN's figures, on the host from a frame's samples (plain numpy, unit-tested on hand-made points).

- A generated sample is *good* when it lies within 3 sigma of a mode's centre (data sets with modes), or
  within NEAR of a real point (moons, a line, own points).
- A mode is *covered* when at least a tenth of its fair share of the samples (n / modes) are good ones
  near it, and at least one.
- The divergence estimate is the Jensen-Shannon divergence (bits, 0..1) between the histograms of real
  and generated samples on a BINS x BINS grid of the plane (a finite-sample estimate: two sets of
  samples from the same distribution read a little above 0).
"""

from __future__ import annotations

import math

import numpy as np

NEAR = 0.1
COVER_SHARE = 0.1
BINS = 24


def mode_figures(samples: np.ndarray, centres: np.ndarray, sigma: float) -> tuple[int, float]:
    """(modes covered, share of good samples) of generated `samples` (n, 2) around `centres` (m, 2)."""
    samples = np.asarray(samples, np.float64).reshape(-1, 2)
    if not len(samples):
        return 0, 0.0
    distance = np.linalg.norm(samples[:, None, :] - np.asarray(centres)[None, :, :], axis=-1)
    nearest = distance.argmin(axis=1)
    good = distance[np.arange(len(samples)), nearest] <= 3 * sigma
    counts = np.bincount(nearest[good], minlength=len(centres))
    needed = max(1, math.ceil(COVER_SHARE * len(samples) / len(centres)))
    return int(np.sum(counts >= needed)), float(good.mean())


def near_share(samples: np.ndarray, points: np.ndarray, radius: float = NEAR) -> float:
    """The share of `samples` within `radius` of some real point."""
    samples = np.asarray(samples, np.float64).reshape(-1, 2)
    if not len(samples) or not len(points):
        return 0.0
    best = np.full(len(samples), np.inf)
    for start in range(0, len(points), 512):  # bounded memory: 512 x 512 distances at a time
        part = np.asarray(points[start : start + 512], np.float64)
        best = np.minimum(best, np.linalg.norm(samples[:, None] - part[None], axis=-1).min(axis=1))
    return float(np.mean(best <= radius))


def js_divergence(real: np.ndarray, fake: np.ndarray, extent: float, bins: int = BINS) -> float:
    """Jensen-Shannon divergence in bits between the two samples' histograms on the plane."""
    edges = np.linspace(-extent, extent, bins + 1)

    def histogram(points: np.ndarray) -> np.ndarray:
        clipped = np.clip(np.asarray(points, np.float64).reshape(-1, 2), -extent, extent)
        counts, _, _ = np.histogram2d(clipped[:, 0], clipped[:, 1], bins=(edges, edges))
        total = counts.sum()
        return counts.ravel() / total if total else counts.ravel()

    p, q = histogram(real), histogram(fake)
    m = 0.5 * (p + q)

    def kl(a: np.ndarray) -> float:
        mask = a > 0
        return float(np.sum(a[mask] * np.log2(a[mask] / m[mask])))

    return 0.5 * kl(p) + 0.5 * kl(q)
