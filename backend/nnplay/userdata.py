"""A person's own data: points drawn on the plot or uploaded as CSV (x1, x2, label).

Pure functions; every error names the line and says what is wrong, so a bad file can be fixed.
"""

from __future__ import annotations

import csv
import io
import math

import numpy as np

from .datasets import MAX_POINTS

DOMAIN = 6.0
MAX_CSV_BYTES = 256 * 1024
MAX_REGRESSION_LABEL = 10.0


class PointsError(ValueError):
    """Bad user data; `line` is the 1-based CSV line (None when not about one line)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message if line is None else f"line {line}: {message}")
        self.line = line


def check_point(x1: float, x2: float, label: float, problem: str) -> float:
    """Validate one point; returns the label as the engine wants it (+1/-1 for classification)."""
    for name, value in (("x1", x1), ("x2", x2), ("label", label)):
        if not math.isfinite(value):
            raise PointsError(f"{name} must be a finite number, got {value!r}")
    for name, value in (("x1", x1), ("x2", x2)):
        if abs(value) > DOMAIN:
            raise PointsError(f"{name} must be between -{DOMAIN:g} and {DOMAIN:g}, got {value:g}")
    if problem == "classification":
        if label not in (-1.0, 0.0, 1.0):
            raise PointsError(f"a class label must be 1 or -1 (0 also means -1), got {label:g}")
        return 1.0 if label == 1.0 else -1.0
    if abs(label) > MAX_REGRESSION_LABEL:
        raise PointsError(f"a regression label must be between -10 and 10, got {label:g}")
    return float(label)


def parse_csv(text: str, problem: str) -> tuple[np.ndarray, np.ndarray]:
    """CSV with columns x1, x2, label (a header row is optional) -> (points (n, 2), labels (n,))."""
    if len(text.encode()) > MAX_CSV_BYTES:
        raise PointsError(f"the file is larger than {MAX_CSV_BYTES // 1024} KB")
    rows = [
        (i + 1, row) for i, row in enumerate(csv.reader(io.StringIO(text))) if any(c.strip() for c in row)
    ]
    if rows and [c.strip().lower() for c in rows[0][1]] == ["x1", "x2", "label"]:
        rows = rows[1:]
    if not rows:
        raise PointsError("the file has no points; expected rows of x1,x2,label")
    if len(rows) > MAX_POINTS:
        raise PointsError(f"the file has {len(rows)} points; at most {MAX_POINTS} are allowed")
    values: list[tuple[int, float, float, float]] = []
    for line, row in rows:
        if len(row) != 3:
            raise PointsError(f"expected 3 columns (x1,x2,label), found {len(row)}", line)
        try:
            x1, x2, label = (float(cell) for cell in row)
            values.append((line, x1, x2, label))
        except ValueError:
            raise PointsError(f"{','.join(row)!r} is not three numbers", line) from None
    if problem == "classification":
        classes = sorted({label for *_, label in values if math.isfinite(label)})
        if not set(classes) <= {-1.0, 0.0, 1.0}:  # 0 and -1 are the same class
            found = ", ".join(f"{c:g}" for c in classes[:10])
            raise PointsError(f"too many classes ({found}): classification here has two, 1 and -1 (or 0)")
    points, labels = [], []
    for line, x1, x2, label in values:
        try:
            labels.append(check_point(x1, x2, label, problem))
        except PointsError as exc:
            raise PointsError(str(exc), line) from None
        points.append((x1, x2))
    return np.asarray(points, np.float32), np.asarray(labels, np.float32)
