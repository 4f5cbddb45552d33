"""What a push did to each student's run, read back from the runs themselves (the teacher's proof that
the class is in one state). A pure function of the runs; actions.py decides when to push."""

from __future__ import annotations

from typing import Any

from ..sessions import Session
from .rooms import Member


def push_report(
    runs: list[tuple[Member, Session]], changes: dict[str, Any], keep_weights: bool, refusals: dict[str, str]
) -> dict[str, Any]:
    """What a push did to each run, read back from the runs: the teacher sees that they are in one state."""
    report = []
    for member, session in runs:
        config = session.config.public()
        applied = member.id not in refusals and all(config.get(k) == v for k, v in changes.items())
        report.append(
            {
                "id": member.id,
                "name": member.name,
                "applied": applied,
                "epoch": session.epoch,
                "state": session.state,
                "message": refusals.get(member.id, ""),
            }
        )
    return {
        "mode": "continue" if keep_weights else "fresh",
        "students": len(runs),
        "applied": sum(r["applied"] for r in report),
        "runs": report,
    }
