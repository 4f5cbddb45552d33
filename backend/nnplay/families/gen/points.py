"""Own points for the GAN: drawn on the plane or uploaded as CSV (`x,y` a line). Pure numpy (the API
parses uploads with it and never imports jax); every error names the line and says what is wrong."""

from __future__ import annotations

import math

import numpy as np

from ...userdata import PointsError as UserPointsError

MAX_POINTS = 2048
MIN_POINTS = 8
MAX_COORD = 1000.0


class PointsError(UserPointsError):
    """Own points that cannot be used (the message says why, naming the line)."""


def own_extent(points: np.ndarray) -> float:
    """The plane of own points: at least [-3, 3], else their farthest coordinate and a margin."""
    if not len(points):
        return 3.0
    return float(max(3.0, math.ceil(float(np.abs(points).max()) * 1.2)))


def parse_points_csv(text: str) -> np.ndarray:
    """Own points from CSV text, one `x,y` a line (a header line of words is skipped)."""
    rows: list[tuple[float, float]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.replace(";", ",").split(",")]
        if len(parts) < 2:
            raise PointsError(f"line {number}: expected two numbers x,y, got {line.strip()[:40]!r}")
        try:
            x, y = float(parts[0]), float(parts[1])
        except ValueError:
            if number == 1 and not rows:
                continue  # a header
            bad = next(p for p in parts[:2] if not _is_number(p))
            raise PointsError(f"line {number}: {bad[:40]!r} is not a number (expected x,y)") from None
        if not (math.isfinite(x) and math.isfinite(y)) or max(abs(x), abs(y)) > MAX_COORD:
            raise PointsError(f"line {number}: coordinates must be finite and within ±{MAX_COORD:g}")
        rows.append((x, y))
    return check_points(np.asarray(rows, np.float32).reshape(-1, 2))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def check_points(points: np.ndarray) -> np.ndarray:
    """Own points checked: at least MIN_POINTS, at most MAX_POINTS, finite, within ±MAX_COORD."""
    if len(points) < MIN_POINTS:
        raise PointsError(f"a GAN needs at least {MIN_POINTS} points of yours, got {len(points)}")
    if len(points) > MAX_POINTS:
        raise PointsError(f"at most {MAX_POINTS} points, got {len(points)}")
    if not np.all(np.isfinite(points)) or np.abs(points).max() > MAX_COORD:
        raise PointsError(f"coordinates must be finite numbers within ±{MAX_COORD:g}")
    return points.astype(np.float32)
