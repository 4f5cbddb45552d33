"""A sweep's figures summarised: the spread of each setting's runs over their seeds (mean ± std).

Pure functions of the runs' results (plain dicts); no jax, no sessions.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

FIGURES = ("test_loss", "train_loss", "test_accuracy", "train_accuracy")


def spread(values: Iterable[float | None]) -> dict[str, Any]:
    """Mean and sample standard deviation of the finite values (None where there are none; std 0 for
    one value), and how many there were."""
    finite = [float(v) for v in values if v is not None and math.isfinite(v)]
    if not finite:
        return {"mean": None, "std": None, "n": 0}
    std = statistics.stdev(finite) if len(finite) > 1 else 0.0
    return {"mean": statistics.fmean(finite), "std": std, "n": len(finite)}


def group_summary(runs: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One row per setting (runs that differ only in their seed): its varied values, its runs, how many
    diverged, and each figure's mean ± std over the seeds; in the order the groups first appear."""
    groups: dict[int, list[Mapping[str, Any]]] = {}
    for run in runs:
        groups.setdefault(int(run["group"]), []).append(run)
    rows = []
    for group, members in groups.items():
        rows.append(
            {
                "group": group,
                "varied": dict(members[0]["varied"]),
                "runs": [int(m["index"]) for m in members],
                "seeds": [m["seed"] for m in members],
                "diverged": sum(1 for m in members if m.get("diverged")),
                **{name: spread(m.get(name) for m in members) for name in FIGURES},
            }
        )
    return rows


def best_group(rows: Sequence[Mapping[str, Any]], figure: str = "test_loss") -> int | None:
    """The group with the lowest mean of `figure` (None if no group has one)."""
    scored = [(row[figure]["mean"], row["group"]) for row in rows if row[figure]["mean"] is not None]
    return min(scored)[1] if scored else None
