"""A self-contained HTML report: text, tables and plotly figures in one file that opens offline.

plotly.js is inlined from the installed plotly package (no CDN, nothing fetched when it is opened); the
figures are plotly specs (JSON), drawn by a few lines of script. `html_report` takes any blocks, so a
comparison (`comparison_report`) and a sweep (issue 23's sweeps call it with their parallel coordinates,
small multiples and table) share one writer. Every text is escaped; the data cannot close its script tag.
"""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any

from ..saved_runs.figures import NUMBERS
from ..sessions.family import FIGURE_LABELS as FIGURE_WORDS

Block = dict[str, Any]  # {"kind": "text" | "table" | "figure" | "figures", ...} (see html_report)


@cache
def plotly_js() -> str:
    """plotly.min.js as shipped inside the installed plotly package."""
    path = resources.files("plotly") / "package_data" / "plotly.min.js"  # as the app serves it (app.py)
    return path.read_text(encoding="utf-8")


def text_block(text: str, heading: str = "") -> Block:
    return {"kind": "text", "heading": heading, "text": text}


def table_block(columns: list[str], rows: list[list[Any]], heading: str = "") -> Block:
    return {"kind": "table", "heading": heading, "columns": columns, "rows": rows}


def figure_block(figure: dict[str, Any], heading: str = "") -> Block:
    return {"kind": "figure", "heading": heading, "figure": figure}


def figures_block(figures: list[dict[str, Any] | None], heading: str = "") -> Block:
    """Figures side by side (small multiples); None entries are left out."""
    return {"kind": "figures", "heading": heading, "figures": [f for f in figures if f is not None]}


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value) or "—"
    return "—" if value is None else str(value)


def _render(block: Block, figures: list[dict[str, Any]]) -> str:
    heading = f"<h2>{html.escape(block.get('heading', ''))}</h2>" if block.get("heading") else ""
    kind = block["kind"]
    if kind == "text":
        return f"<section>{heading}<p>{html.escape(block['text'])}</p></section>"
    if kind == "table":
        head = "".join(f"<th>{html.escape(str(c))}</th>" for c in block["columns"])
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row) + "</tr>"
            for row in block["rows"]
        )
        return (
            f"<section>{heading}<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></section>"
        )
    specs = [block["figure"]] if kind == "figure" else block["figures"]
    divs = []
    for spec in specs:
        divs.append(f'<div class="figure" data-figure="{len(figures)}"></div>')
        figures.append(spec)
    grid = "grid" if kind == "figures" else "single"
    return f'<section>{heading}<div class="{grid}">{"".join(divs)}</div></section>'


STYLE = """
body { font-family: system-ui, sans-serif; color: #222; margin: 24px auto; max-width: 1200px; padding: 16px }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
table { border-collapse: collapse; font-size: 0.9rem; } th, td { border: 1px solid #ccc; padding: 4px 8px; }
th { background: #f3f3f3; text-align: left; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); gap: 12px; }
.figure { min-height: 200px; } footer { margin-top: 2rem; color: #666; font-size: 0.85rem; }
"""

DRAW = """
const figures = JSON.parse(document.getElementById("report-data").textContent);
for (const div of document.querySelectorAll("[data-figure]")) {
  const spec = figures[Number(div.dataset.figure)];
  Plotly.newPlot(div, spec.data, spec.layout, { displayModeBar: false, responsive: true });
}
document.body.dataset.drawn = "true";
"""


def _script_safe(text: str) -> str:
    """Text that cannot end the script element it sits in."""
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def html_report(title: str, blocks: list[Block]) -> str:
    """One HTML file of `blocks`: text, tables, a figure or figures side by side (plotly specs)."""
    figures: list[dict[str, Any]] = []
    body = "".join(_render(block, figures) for block in blocks)
    made = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    data = _script_safe(json.dumps(figures, allow_nan=False))
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{STYLE}</style>"
        f"<script>{_script_safe(plotly_js())}</script></head><body>"
        f"<h1>{html.escape(title)}</h1>{body}"
        f"<footer>Made by nnplay on {made}. Self-contained: it opens offline.</footer>"
        f'<script type="application/json" id="report-data">{data}</script>'
        f"<script>{DRAW}</script></body></html>\n"
    )


def comparison_report(compared: dict[str, Any], title: str = "nnplay: runs compared") -> str:
    """The HTML report of a comparison (saved_runs.compare.comparison's result)."""
    runs = compared["runs"]
    summary = table_block(
        ["run", "from", "lab", "epoch", "train loss", "test loss", "train accuracy", "test accuracy"],
        [[r[key] for key in ("label", "source", "lab", "epoch", *NUMBERS)] for r in runs],
        "The runs",
    )
    diff_rows = [[d["label"], *d["values"]] for d in compared["config_diff"]]
    diff = (
        table_block(["setting", *[r["label"] for r in runs]], diff_rows, "Settings that differ")
        if diff_rows
        else text_block("The runs have the same settings.", "Settings that differ")
    )
    return html_report(
        title,
        [
            summary,
            diff,
            figure_block(compared["loss"], "Loss curves"),
            figures_block(compared["maps"], "Decision maps"),
            figures_block(compared["confusions"], "Confusion matrices (test points)"),
        ],
    )


def _axis_values(values: list[Any]) -> dict[str, Any]:
    """A parallel-coordinates dimension's values: numbers as they are; anything else (activations, layer
    lists) as positions with the values as tick labels."""
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return {"values": values}
    labels = list(dict.fromkeys(_cell(v) for v in values))
    return {
        "values": [labels.index(_cell(v)) for v in values],
        "tickvals": list(range(len(labels))),
        "ticktext": labels,
    }


def _spread(figure: dict[str, Any]) -> str:
    if figure.get("mean") is None:
        return "—"
    return f"{figure['mean']:.4g} ± {figure['std']:.2g}"


def sweep_report(sweep: dict[str, Any], title: str = "nnplay: a sweep") -> str:
    """The HTML report of a sweep (experiments.runs.Sweep.view()): its settings, the spread over seeds,
    parallel coordinates of settings -> final test loss, every run's loss curve and every run's figures."""
    runs, varied = sweep["runs"], list(sweep["varied"])
    unit = sweep["unit"]  # what its runs count: "epoch", or "step" in the sequence lab
    words = {**FIGURE_WORDS, **sweep.get("figures", {})}  # its figures as its lab measures them
    loss = words["test_loss"]
    finished = [r for r in runs if r.get("test_loss") is not None]
    about = (
        f"{sweep['lab']} lab: {len(runs)} runs ({sweep['mode']}: "
        f"{', '.join(varied) or 'nothing'} varied, seeds "
        f"{', '.join(str(s) for s in sweep['seeds'])}), {sweep['epochs']} {unit}s each; {sweep['status']} "
        f"after {sweep['wall_s']:.1f} s; {len(finished)} with a final {loss}."
    )
    best = sweep.get("best_group")
    groups = table_block(
        [*varied, "seeds", f"{loss} (mean ± std)", words["train_loss"], words["test_accuracy"], "diverged"],
        [
            [
                *[row["varied"].get(name) for name in varied],
                row["seeds"],
                _spread(row["test_loss"]) + ("  (best)" if row["group"] == best else ""),
                _spread(row["train_loss"]),
                _spread(row["test_accuracy"]),
                row["diverged"],
            ]
            for row in sweep["groups"]
        ],
        "Each setting over its seeds",
    )
    dimensions = [
        {"label": name, **_axis_values([r["varied"].get(name) for r in finished])} for name in varied
    ]
    losses = [r["test_loss"] for r in finished]
    parcoords = {
        "data": [
            {
                "type": "parcoords",
                "dimensions": [*dimensions, {"label": loss, "values": losses}],
                "line": {"color": losses, "colorscale": "Viridis", "showscale": True},
            }
        ],
        "layout": {"height": 380, "margin": {"l": 60, "r": 60, "t": 40, "b": 20}},
    }
    curves = {
        "data": [
            {
                "type": "scatter",
                "mode": "lines",
                "name": f"run {r['index']} ({', '.join(f'{k} {_cell(v)}' for k, v in r['varied'].items())}"
                f"{', ' if r['varied'] else ''}seed {r['seed']})",
                "x": [point[0] for point in r["history"]],
                "y": [point[2] for point in r["history"]],
            }
            for r in runs
        ],
        "layout": {
            "height": 380,
            "xaxis": {"title": {"text": unit}},
            "yaxis": {"title": {"text": loss}},
            "margin": {"l": 60, "r": 20, "t": 20, "b": 50},
        },
    }
    table = table_block(
        [
            "run",
            *varied,
            "seed",
            "state",
            unit,
            *[words[name] for name in NUMBERS],
        ],
        [
            [r["index"], *[r["varied"].get(n) for n in varied], r["seed"], r["state"], r["epoch"]]
            + [r.get(name) for name in NUMBERS]
            for r in runs
        ],
        "Every run",
    )
    blocks = [text_block(about, "The sweep"), groups]
    if finished and varied:
        blocks.append(figure_block(parcoords, f"Settings → final {loss}"))
    blocks += [figure_block(curves, f"{loss[:1].upper()}{loss[1:]} while training"), table]
    return html_report(title, blocks)
