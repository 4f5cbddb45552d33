"""A comparison of 2-4 runs (saved or live): their settings that differ, and plotly figures of their loss
curves overlaid, decision maps and confusion matrices. Pure functions of the runs' views; the compare page
and the offline HTML report (export/report.py) draw the very same figure specs.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

from ..settings import SETTINGS_BY_NAME
from .figures import NUMBERS
from .service import RunView

MIN_RUNS, MAX_RUNS = 2, 4
# Colour-blind-safe (Okabe-Ito) line colours, one per run; the maps use the playground's orange/blue.
RUN_COLOURS = ("#0072b2", "#d55e00", "#009e73", "#cc79a7")
MAP_SCALE = [[0.0, "#f59322"], [0.5, "#ffffff"], [1.0, "#0877bd"]]
CLASS_COLOURS = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000")
CONFUSION_SCALE = [[0.0, "#ffffff"], [1.0, "#0877bd"]]  # counts: white (none) to the playground's blue
IGNORED_SETTINGS = ("speed",)  # how fast it was shown, not what it learnt


class CompareError(ValueError):
    """Not 2-4 runs, or a run that cannot be compared."""


def check_count(count: int) -> None:
    if not MIN_RUNS <= count <= MAX_RUNS:
        raise CompareError(f"compare {MIN_RUNS} to {MAX_RUNS} runs, got {count}")


def label_of(name: str) -> str:
    setting = SETTINGS_BY_NAME.get(name)
    return setting.label if setting is not None and setting.label else name


def config_diff(views: list[RunView]) -> list[dict[str, Any]]:
    """The settings whose values differ between the runs (the lab too), in the settings table's words."""
    names = sorted({key for v in views for key in v.config} - set(IGNORED_SETTINGS))
    rows: list[dict[str, Any]] = []
    if len({v.lab for v in views}) > 1:
        rows.append({"setting": "lab", "label": "Lab", "values": [v.lab for v in views]})
    for name in names:
        values = [v.config.get(name) for v in views]
        if any(value != values[0] for value in values[1:]):
            rows.append({"setting": name, "label": label_of(name), "values": values})
    return rows


def _axis(title: str, **extra: Any) -> dict[str, Any]:
    return {"title": {"text": title}, "automargin": True, **extra}


def loss_figure(views: list[RunView]) -> dict[str, Any]:
    """Every run's train (dotted) and test (solid) loss by epoch, overlaid on a log loss axis."""
    traces = []
    for i, view in enumerate(views):
        colour = RUN_COLOURS[i % len(RUN_COLOURS)]
        for series, dash in (("test_loss", "solid"), ("train_loss", "dot")):
            traces.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "name": f"{view.label}: {series.replace('_', ' ')}",
                    "x": view.history.get("epoch", []),
                    "y": view.history.get(series, []),
                    "line": {"color": colour, "dash": dash, "width": 2},
                }
            )
    return {
        "data": traces,
        "layout": {
            "title": {"text": "Loss by epoch (solid: test, dotted: training)"},
            "xaxis": _axis("epoch"),
            "yaxis": _axis("loss", type="log"),
            "height": 360,
            "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
            "legend": {"orientation": "h", "y": -0.25},
        },
    }


def _grid(figures: dict[str, Any], key: str) -> np.ndarray | None:
    raw = figures.get(key)
    if not raw:
        return None
    size = int(figures["grid_size"])
    return np.frombuffer(base64.b64decode(raw), np.uint8).reshape(size, size)


def map_figure(view: RunView, domain: tuple[float, float] = (-6.0, 6.0)) -> dict[str, Any] | None:
    """The run's decision map over the domain with its test points, or None (no map: another lab)."""
    figures = view.figures
    grid = _grid(figures, "grid")
    if grid is None:
        return None
    lo, hi = domain
    size = grid.shape[0]
    centres = (lo + (hi - lo) * (np.arange(size) + 0.5) / size).round(4).tolist()
    classes = _grid(figures, "grid_classes")
    values = (grid[::-1].astype(np.float64) / 127.5 - 1.0).round(3)  # row 0 of the grid is the top
    points = np.asarray(figures.get("test_points") or np.zeros((0, 2)))
    labels = np.asarray(figures.get("test_labels") or [])
    if classes is None:
        heat = {"z": values.tolist(), "colorscale": MAP_SCALE, "zmin": -1, "zmax": 1, "opacity": 0.75}
        colours = [MAP_SCALE[2][1] if y > 0 else MAP_SCALE[0][1] for y in labels]
    else:
        k = int(figures.get("outputs", 1))
        scale = [[c / max(k - 1, 1), CLASS_COLOURS[c % len(CLASS_COLOURS)]] for c in range(k)]
        heat = {"z": classes[::-1].tolist(), "colorscale": scale, "zmin": 0, "zmax": max(k - 1, 1)}
        heat["opacity"] = 0.55
        colours = [CLASS_COLOURS[int(y) % len(CLASS_COLOURS)] for y in labels]
    return {
        "data": [
            {"type": "heatmap", "x": centres, "y": centres, "showscale": False, "hoverinfo": "skip", **heat},
            {
                "type": "scatter",
                "mode": "markers",
                "name": "test points",
                "x": points[:, 0].tolist() if len(points) else [],
                "y": points[:, 1].tolist() if len(points) else [],
                "marker": {"color": colours, "size": 5, "line": {"color": "#333", "width": 0.6}},
                "hoverinfo": "skip",
            },
        ],
        "layout": {
            "title": {"text": view.label},
            "xaxis": _axis("x₁", range=[lo, hi], constrain="domain"),
            "yaxis": _axis("x₂", range=[lo, hi], scaleanchor="x"),
            "height": 320,
            "margin": {"l": 50, "r": 10, "t": 40, "b": 40},
            "showlegend": False,
        },
    }


def confusion_figure(view: RunView) -> dict[str, Any] | None:
    """The run's test confusion matrix (rows: true class, columns: predicted), or None (regression)."""
    matrix = view.figures.get("confusion_matrix")
    if not matrix:
        return None
    names = [str(c) for c in view.figures.get("confusion_classes") or range(len(matrix))]
    return {
        "data": [
            {
                "type": "heatmap",
                "z": matrix,
                "x": names,
                "y": names,
                "colorscale": CONFUSION_SCALE,
                "showscale": False,
                "text": matrix,
                "texttemplate": "%{text}",
            }
        ],
        "layout": {
            "title": {"text": view.label},
            "xaxis": _axis("predicted class", type="category"),
            "yaxis": _axis("true class", type="category", autorange="reversed"),
            "height": 280,
            "margin": {"l": 60, "r": 10, "t": 40, "b": 50},
        },
    }


def comparison(views: list[RunView]) -> dict[str, Any]:
    """Everything the compare page and the report show of 2-4 runs (raises CompareError)."""
    check_count(len(views))
    return {
        "runs": [_summary(view) for view in views],
        "config_diff": config_diff(views),
        "loss": loss_figure(views),
        "maps": [map_figure(view) for view in views],
        "confusions": [confusion_figure(view) for view in views],
    }


def _summary(view: RunView) -> dict[str, Any]:
    numbers = {name: view.figures.get(name) for name in NUMBERS}
    return {"label": view.label, "source": view.source, "lab": view.lab, "epoch": view.epoch, **numbers}
