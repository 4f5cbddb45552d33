"""What people do in a room: a student forks, watches or leaves; the teacher pushes settings, resets,
spotlights, removes, steps a lesson, locks controls and sets a challenge.

Owner: RoomActions, on the event loop (held by ClassroomHub). Each action changes the room through the
room service, the runs through commands queued on their sessions (RoomRuns finds or restores them), and
then tells the room (RoomAudience). A push, a reset or a lesson step answers once every run has applied
it (so what the teacher reads back is what the runs train on), or after SETTLE_TIMEOUT_S.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from .. import protocol
from ..client_messages import Configure, Reset
from ..sessions import Session, SessionManager
from ..sessions.family import Family
from .audience import RoomAudience
from .lesson import Lesson
from .lessons import BY_ID
from .messages import Challenge
from .pushes import push_report
from .rooms import Member, Room, RoomService, check_locked
from .runs import RoomRuns

log = logging.getLogger(__name__)

# A run stuck in a long chunk does not hold up the class for longer than this.
SETTLE_TIMEOUT_S = 10.0
MAX_ENTRIES = 4  # sweeps a member may have entered in a challenge at once


class LessonError(ValueError):
    """An unknown lesson, or no step left."""


class RoomActions:
    """The students' and the teacher's actions on the rooms of `service`."""

    def __init__(
        self, manager: SessionManager, service: RoomService, runs: RoomRuns, audience: RoomAudience
    ) -> None:
        self.manager = manager
        self.service = service
        self.runs = runs
        self.audience = audience

    # ---- students -------------------------------------------------------------------------------

    async def fork(self, room: Room, member: Member, client: str) -> Session:
        """The member's own run from the teacher's current config, weights, own points and epoch."""
        teacher = await self.runs.teacher_session(room)
        lab = teacher.family.lab
        session = await self.manager.create(teacher.config.public(), client, classroom=True, lab=lab)
        session.adopt(teacher.params, teacher.epoch, teacher.family.own_data(teacher))
        await session.settled()  # the student's page, opened next, shows the copy, never a fresh run first
        old, member.session_id, member.reached = member.session_id, session.id, None
        self.service.set_mode(member, "forked")
        if old is not None and old != session.id:
            await self.manager.remove(old)
        self.runs.forget_run(member.id)
        await self.runs.save(member.id, session, state=teacher.params, epoch=teacher.epoch)
        self.audience.announce(room)
        return session

    def watch(self, room: Room, member: Member) -> None:
        """Back to watching the teacher; the member's own run is kept for a later look on the dashboard."""
        self.service.set_mode(member, "watching")
        self.audience.announce(room)

    async def remove(self, room: Room, member_id: str) -> None:
        member = self.service.remove(room, member_id)
        if member.session_id is not None:
            await self.manager.remove(member.session_id)
        self.runs.forget_run(member.id)
        self.audience.broadcast(room, protocol.json_message("removed", member_id=member_id))
        self.audience.announce(room)

    async def leave(self, room: Room, member: Member) -> None:
        """A member leaves by themselves: as a removal, their run ends, their tile goes, the name is free."""
        await self.remove(room, member.id)

    # ---- the teacher's actions ------------------------------------------------------------------

    async def push_config(
        self, room: Room, changes: dict[str, Any] | None, keep_weights: bool = False
    ) -> dict[str, Any]:
        """Give every forked student's run `changes` (default: the teacher's whole config), all in the same
        way: `keep_weights` False starts every run afresh (new weights from the seed, epoch 0, paused),
        True lets every run continue from its own weights. Returns what each run did (and tells the room).

        Raises ConfigError, changing nothing, when the changes are not valid."""
        teacher = await self.runs.teacher_session(room)
        if changes is None:
            changes = teacher.config.public()
        else:
            teacher.family.make_config(teacher.config, changes)  # validate before touching anyone's run
        runs = await self.runs.forked_runs(room)
        refusals: dict[str, str] = {}
        for member, session in runs:
            # The weights are kept by the configure (whatever the fresh-run rule says); a fresh push then
            # resets, so that every run ends in the same state, not one that depends on what it changed.
            reply = session.handle(Configure(type="configure", changes=changes, keep_weights=True))
            if reply is not None and '"type":"error"' in reply:  # e.g. own points refuse a multi-class set
                refusals[member.id] = json.loads(reply)["message"]
                continue
            if not keep_weights:
                session.handle(Reset(type="reset"))
        await _settle([session for _, session in runs])
        result = push_report(runs, changes, keep_weights, refusals)
        self.audience.broadcast(room, protocol.json_message("pushed", changes=changes, **result))
        return result

    async def reset_all(self, room: Room) -> int:
        sessions = [session for _, session in await self.runs.forked_runs(room)]
        for session in sessions:
            session.handle(Reset(type="reset"))
        await _settle(sessions)
        return len(sessions)

    def spotlight(self, room: Room, member_id: str) -> None:
        if member_id and member_id not in room.members:
            raise KeyError(member_id)
        self.service.set_room(room, spotlight=member_id)
        self.audience.announce(room)

    def show_sweep(self, room: Room, sweep: dict[str, Any] | None) -> None:
        """Show this sweep (its id, lab, run count and varied settings) on every page of the room."""
        room.sweep = sweep
        self.audience.announce(room)

    async def set_lesson(self, room: Room, lesson_id: str) -> None:
        if lesson_id not in BY_ID:
            raise LessonError(f"no lesson {lesson_id!r}; the lessons are {', '.join(BY_ID)}")
        _check_lab(BY_ID[lesson_id], await self.runs.teacher_session(room))
        self.service.set_room(room, lesson_id=lesson_id, lesson_step=-1)
        await self.lesson_next(room)

    async def lesson_next(self, room: Room) -> None:
        """The lesson's next step: its preset on the teacher's run (from epoch 0) and on every fork."""
        lesson = BY_ID.get(room.lesson_id)
        if lesson is None:
            raise LessonError("choose a lesson first")
        if room.lesson_step + 1 >= len(lesson.steps):
            raise LessonError(f"that was the last step of {lesson.title!r}")
        step = lesson.steps[room.lesson_step + 1]
        teacher = await self.runs.teacher_session(room)
        _check_lab(lesson, teacher)
        changes = teacher.family.make_config(None, step.config).public()
        sessions = [teacher, *[session for _, session in await self.runs.forked_runs(room)]]
        for session in sessions:
            # queued in this order: the step's settings, then fresh weights from epoch 0 (so the configure
            # keeps the weights: one fresh start, the reset's, whatever the step changes)
            session.handle(Configure(type="configure", changes=changes, keep_weights=True))
            session.handle(Reset(type="reset"))
        await _settle(sessions)
        self.service.set_room(room, lesson_step=room.lesson_step + 1)
        self.audience.announce(room)

    def lock(self, room: Room, names: object) -> None:
        """Hide these controls on every student's page (the page's hide= names); raises ValueError."""
        self.service.set_room(room, locked=check_locked(names))
        self.audience.announce(room)

    async def set_challenge(self, room: Room, spec: Challenge | dict[str, Any] | None) -> None:
        """A target (test loss below `target_loss` on `dataset`) or None to end it; scores start afresh.
        Validated by messages.Challenge (a ValueError names the field) before anything is stored. The
        challenge is the playground's (a 2-D data set, ranked by neurons): another lab's room gets a
        LessonError."""
        stored = (
            None
            if spec is None
            else lab_challenge(Challenge.model_validate(spec), (await self.runs.teacher_session(room)).family)
        )
        for member in room.members.values():
            member.reached = None
        self.service.set_room(room, challenge=stored)
        self.audience.announce(room)

    def enter_sweep(self, room: Room, member: Member, sweep_id: str | None, session_ids: list[str]) -> None:
        """Enter a member's sweep (its runs' sessions) in the room's challenge: each run counts as the
        member's own run would, the best that meets the target ranks them. `sweep_id` None withdraws every
        entry. A LessonError (409) when the room has no challenge, a ChallengeRefused (422) when no run of
        the sweep trains on the challenge's data set. At most MAX_ENTRIES: a newer one replaces the oldest."""
        if sweep_id is None:
            member.entries.clear()
            return
        spec = room.challenge
        if not spec:
            raise LessonError("this room has no challenge to enter a sweep in: the teacher sets one first")
        sessions = [s for s in map(self.runs.live, session_ids) if s is not None]
        datasets = sorted({str(d) for s in sessions if (d := getattr(s.config, "dataset", None)) is not None})
        if spec["dataset"] not in datasets:
            if datasets:
                trains = f"trains on {', '.join(datasets)}"
            elif sessions:
                trains = f"is of the {sessions[0].family.lab} lab, whose runs have no data set to meet it on"
            else:
                trains = "has no run left to score (its sessions have ended)"
            raise ChallengeRefused(f"this sweep {trains}; the challenge is on {spec['dataset']}")
        member.entries.pop(sweep_id, None)
        member.entries[sweep_id] = list(session_ids)
        while len(member.entries) > MAX_ENTRIES:
            del member.entries[next(iter(member.entries))]
        self.audience.rescore(room)


class ChallengeRefused(ValueError):
    """A challenge on a data set the room's lab lacks."""


def lab_challenge(spec: Challenge, family: Family) -> dict[str, Any]:
    """The challenge as stored: `spec` with the lab's defaults filled in; a lab without a challenge is a
    LessonError (409), a data set it lacks a ChallengeRefused (422), each naming why."""
    own = family.challenge
    if own is None:
        raise LessonError(f"the {family.lab} lab has no challenge: open a room from the playground for one")
    dataset = spec.dataset or own.dataset
    if dataset not in own.datasets:
        known = ", ".join(own.datasets)
        raise ChallengeRefused(f"no data set {dataset!r} in the {family.lab} lab; its data sets are {known}")
    target = spec.target_loss if spec.target_loss is not None else own.target
    return {"dataset": dataset, "target_loss": target, "label": own.describe(dataset, target)}


def _check_lab(lesson: Lesson, teacher: Session) -> None:
    if lesson.lab != teacher.family.lab:
        raise LessonError(
            f"{lesson.title!r} is a lesson of the {lesson.lab} lab, and this room's run is in the "
            f"{teacher.family.lab} lab: open a room from that lab's page to teach it"
        )


async def _settle(sessions: list[Session]) -> None:
    """Wait until these runs have applied what was queued for them (at most SETTLE_TIMEOUT_S)."""
    if not sessions:
        return
    try:
        await asyncio.wait_for(asyncio.gather(*(s.settled() for s in sessions)), SETTLE_TIMEOUT_S)
    except TimeoutError:
        log.warning("%d runs had not applied a class change after %.0f s", len(sessions), SETTLE_TIMEOUT_S)
