"""A run's view (saved_runs.service.RunView) in an export format: the file's bytes, type and name."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..saved_runs.figures import NUMBERS
from ..saved_runs.service import RunView
from ..sessions.snapshots import unpack_own_data
from . import FORMATS
from .notebook import mlp_notebook
from .script import ExportError, mlp_script
from .weights import npz_bytes


@dataclass(frozen=True)
class ExportedFile:
    content: bytes
    media_type: str
    filename: str


def file_stem(label: str) -> str:
    """A file name made of a run's label (letters, digits, - and _ only)."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "-", label).strip("-")[:60]
    return stem or "nnplay-run"


def export_run(view: RunView, kind: str) -> ExportedFile:
    """The run as `kind` (FORMATS); raises ExportError for a format this run cannot give."""
    if kind not in FORMATS:
        raise ExportError(f"format must be one of {', '.join(FORMATS)}, got {kind!r}")
    stem = file_stem(view.label if view.source == "saved" else f"nnplay-run-epoch-{view.epoch}")
    if kind == "npz":
        if view.state is None:
            raise ExportError("this run's weights are not available")
        return ExportedFile(
            npz_bytes(view.lab, view.config, view.epoch, view.state),
            "application/octet-stream",
            f"{stem}.npz",
        )
    if view.lab != "playground":
        raise ExportError(
            f"a script or notebook replays the playground's networks; this run is of the {view.lab} lab"
        )
    own = unpack_own_data(view.own_data)
    points = None if own is None else (own[0], own[1])
    expected = {name: view.figures.get(name) for name in NUMBERS} | {"epoch": view.epoch}
    title = f"nnplay run {view.label!r}" if view.source == "saved" else "an nnplay run"
    if kind == "script":
        text = mlp_script(view.config, view.epoch, points, expected, title)
        return ExportedFile(text.encode(), "text/x-python; charset=utf-8", f"{stem}.py")
    text = mlp_notebook(view.config, view.epoch, points, expected, title)
    return ExportedFile(text.encode(), "application/x-ipynb+json", f"{stem}.ipynb")
