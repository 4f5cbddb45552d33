"""A run's figures as JSON: its losses and accuracies, and for the playground the pictures a comparison
draws (the decision map, the test points, the confusion matrix). Pure: from a frame and its plan."""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

from ..protocol import finite_or_none

NUMBERS = ("train_loss", "test_loss", "train_accuracy", "test_accuracy")
MAX_POINTS_SHOWN = 600  # test points drawn over a decision map (a regression set has 1,200: every other)


def _b64(values: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(values, np.uint8).tobytes()).decode()


def figures_of(frame: Any, plan: Any) -> dict[str, Any]:
    """What a frame of `plan` shows, JSON-ready: every lab's numbers, the playground's pictures too."""
    figures: dict[str, Any] = {name: finite_or_none(getattr(frame, name, None)) for name in NUMBERS}
    grid = getattr(frame, "output_grid", None)
    split = getattr(plan, "split", None)
    if grid is None or split is None:
        return figures
    size = round(float(np.sqrt(np.size(grid))))
    classes = getattr(frame, "output_classes", None)
    test = getattr(frame, "metrics", None) or {}
    step = max(1, -(-len(split.test_y) // MAX_POINTS_SHOWN))
    figures.update(
        grid_size=size,
        grid=_b64(np.asarray(grid)),
        grid_classes=None if classes is None else _b64(np.asarray(classes)),
        outputs=int(getattr(frame, "outputs", 1)),
        problem=plan.config.problem,
        confusion_matrix=test.get("test", {}).get("confusion_matrix"),
        confusion_classes=test.get("test", {}).get("classes"),
        test_points=np.round(np.asarray(split.test_x)[::step], 3).tolist(),
        test_labels=np.round(np.asarray(split.test_y)[::step], 3).tolist(),
    )
    return figures
