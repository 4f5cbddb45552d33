"""What the room shows: its public view (never a key), the teacher's tiles and the challenge leaderboard.

Pure functions of a room and the sessions it names; audience.py decides when to send them.
"""

from __future__ import annotations

from typing import Any

from ..sessions import Session
from .lessons import BY_ID
from .rooms import Member, Room

IGNORED_IN_DIFF = {"speed"}  # how fast a student watches is not a difference in what they train


def student_status(member: Member, session: Session | None, saved_epoch: int | None) -> dict[str, Any]:
    """A member as everyone in the room may see it: name, mode, run state, epoch, test loss."""
    summary = session.summary() if session is not None else None
    state = "watching" if member.mode == "watching" else (summary["state"] if summary else "saved")
    return {
        "id": member.id,
        "name": member.name,
        "mode": member.mode,
        "state": state,
        "epoch": summary["epoch"] if summary else saved_epoch,
        "test_loss": summary["test_loss"] if summary else None,
    }


def lesson_view(room: Room) -> dict[str, Any] | None:
    lesson = BY_ID.get(room.lesson_id)
    if lesson is None:
        return None
    current = lesson.steps[room.lesson_step].public() if 0 <= room.lesson_step < len(lesson.steps) else None
    return {
        "id": lesson.id,
        "title": lesson.title,
        "step": room.lesson_step,
        "steps": len(lesson.steps),
        "current": current,
    }


def leaderboard(room: Room) -> list[dict[str, Any]]:
    """Members whose run reached the challenge's target: fewest neurons first, then fewest epochs."""
    ranked = sorted(
        (m for m in room.members.values() if m.reached is not None), key=lambda m: (m.reached, m.joined_at)
    )
    return [
        {
            "rank": i + 1,
            "id": m.id,
            "name": m.name,
            "neurons": m.reached[0],
            "epoch": m.reached[1],
            "via": m.reached_via or "run",
        }
        for i, m in enumerate(ranked)
        if m.reached is not None
    ]


def room_view(
    room: Room, students: list[dict[str, Any]], spotlight_watch_id: str | None, capacity: int
) -> dict[str, Any]:
    """The room as GET /api/rooms/{code} and the room websocket give it: no key, no token, no session id."""
    spot = room.members.get(room.spotlight)
    return {
        "code": room.code,
        "students": students,
        "capacity": capacity,
        "lesson": lesson_view(room),
        "spotlight": {
            "member_id": spot.id if spot else "",
            "name": spot.name if spot else "",
            "watch_id": spotlight_watch_id,
        },
        "challenge": room.challenge,
        "leaderboard": leaderboard(room),
        "locked": room.locked,
        "sweep": room.sweep,
    }


def config_diff(student: dict[str, Any], teacher: dict[str, Any]) -> list[dict[str, Any]]:
    """The settings in which a student's run differs from the teacher's, with the student's values."""
    return [
        {"name": name, "value": value, "teacher": teacher.get(name)}
        for name, value in student.items()
        if name not in IGNORED_IN_DIFF and teacher.get(name) != value
    ]


def tile(member: Member, session: Session | None, teacher_config: dict[str, Any]) -> dict[str, Any]:
    """One student's tile on the teacher's dashboard."""
    if session is None or member.mode == "watching":
        return {
            "id": member.id,
            "name": member.name,
            "mode": member.mode,
            "state": "watching",
            "epoch": None,
            "test_loss": None,
            "figure": None,
            "score": None,
            "grid": None,
            "diff": [],
            "neurons": None,
        }
    summary = session.summary()
    config = summary["config"]
    picture = session.family.thumbnail(session.last_frame)  # the run's family draws its tile
    return {
        "id": member.id,
        "name": member.name,
        "mode": member.mode,
        "state": summary["state"],
        "epoch": summary["epoch"],
        "test_loss": summary["test_loss"],
        "figure": session.family.tile_figure(session),  # None: the page shows the test loss
        "score": session.family.challenge_value(session),  # what "by test loss" sorts (lower first)
        "grid": picture[0] if picture else None,
        "grid_size": picture[1] if picture else 0,
        "diff": config_diff(config, teacher_config),
        "neurons": session.family.size(session.config),
        "watch_id": session.watch_id,
    }
