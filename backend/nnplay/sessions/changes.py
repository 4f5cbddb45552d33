"""The changes a run loop applies between chunks: another config (its plan made, and its state fit for it
or fresh), its own data, an edit of the weights, another view. Mixed into RunLoop (sessions/runloop.py);
everything here runs on the session's run loop task."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from ..engine.seam import CompileRefused, Engine, SlotRef, resolve
from .runstate import CommandFailed, RunState


class RunChanges(RunState):
    """Changes of settings, data, weights and view; Session sets the attributes it declares."""

    engine: Engine
    client: str
    view: Any

    def _prepare(
        self, config: Any, previous: Any, custom: Any, state: Any, fresh: bool, current: Any
    ) -> tuple[Any, Any]:
        """(Blocking, pure.) The plan of a config and the state fit for it (fresh weights if asked), from
        `state`, fit for the plan `current`. A state on the device that the new plan keeps as it is (a
        setting changed, not the network) stays there: not read back, and its edit's frame is batched with
        the others' of its shard (a class's burst of edits: one call, not one each)."""
        plan = self.family.make_plan(config, previous, custom)
        if fresh:
            return plan, self.family.fresh_state(plan)
        if isinstance(state, SlotRef) and self.family.keeps_state(current, plan):
            return plan, state
        return plan, self.family.fit_state(resolve(state), plan)

    async def adopt_config(self, config: Any, keep_weights: bool, custom: Any = ...) -> None:
        """Train with `config` from now on (and own data `custom`, if given); a change that starts a fresh
        run (the family's rule, unless `keep_weights`) gets new weights."""
        old = self.plan
        reason = self.family.fresh_run_reason(old.config, config) if not keep_weights else None
        own = self.custom if custom is ... else custom
        args = (config, None if custom is not ... else old, own, self._params, reason is not None, old)
        if custom is ... and reason is None and self.family.cheap_plan(config, old):
            plan, state = self._prepare(*args)  # a setting changed: well under a millisecond, made here
        else:
            plan, state = await asyncio.to_thread(self._prepare, *args)
        if custom is not ...:
            self.custom = custom
        self.adopt_plan(plan, state, reason)
        if not self.engine.ready(plan):
            self._precompile(plan, state)

    def _precompile(self, plan: Any, state: Any) -> None:
        """A new network whose kernel is not compiled: compile it now, in the background, so that Play
        finds it ready (a run that trains before it is shows "compiling" meanwhile)."""
        with contextlib.suppress(CompileRefused):  # else it compiles when the run trains
            self.engine.prepare(plan, state, self.client)

    async def edit_state(self, edit: Callable[..., Any], *args: Any) -> None:
        """A pure edit of the weights (in a worker thread); a family's error names its field."""
        try:
            self._params = await asyncio.to_thread(edit, self.plan, self.params, *args)
        except Exception as exc:  # the net changed since the edit was checked
            field = getattr(exc, "field", "layer")
            raise CommandFailed("invalid_value", getattr(exc, "message", str(exc)), field) from None
        self.needs_frame = True

    def set_view(self, view: Any) -> None:
        """What the family's frames show (e.g. the chosen digit): the next frame shows it."""
        self.view = view
        self.needs_frame = True
