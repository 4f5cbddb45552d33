"""The server's sweeps: started within bounds, found by id, stopped, deleted, and a run opened in its lab
(a copy of it: its config, weights, epoch and own data, in a session of the client's own). A lab's runs
can be swept when its family has a settings table with a stop at an epoch (the playground's, the sequence
lab's, where an epoch is a step).

A sweep's id is a capability, as a session's is: whoever knows it can follow, stop and delete the sweep.
Each client keeps at most quota.MAX_SWEEPS_PER_CLIENT; a new one makes room by deleting the client's oldest
finished sweep (never one that still trains). Owner: the event loop.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from ..schemas import ConfigError
from ..sessions import Session, SessionManager, stopping
from ..settings import PAGE_DEFAULTS, Setting
from .plan import SweepSpec, plan_runs
from .quota import room_for_one_more, too_many_sweeps
from .runs import Sweep


class SweepNotFound(KeyError):
    """No sweep has this id (it never existed, or it was deleted)."""


class TooManySweeps(RuntimeError):
    """The client's sweeps all still train: one must finish (or be deleted) first."""


class RunNotOpen(LookupError):
    """The run cannot be opened: no such run, or its session has ended."""


class SweepManager:
    """Every sweep of a server, by id (see the module docstring)."""

    def __init__(self, sessions: SessionManager) -> None:
        self.sessions = sessions
        self._sweeps: dict[str, Sweep] = {}

    def table(self, lab: str) -> Mapping[str, Setting]:
        """The settings a sweep of `lab` varies (its family's table); ConfigError naming the lab when its
        runs cannot be swept (no table, or no stop at an epoch to end them together)."""
        table = self.sessions.family(lab).settings
        if table is None or "stop_epoch" not in table:
            families = self.sessions.families.items()
            sweepable = ", ".join(name for name, f in families if f.settings and "stop_epoch" in f.settings)
            raise ConfigError(
                "lab",
                f"the {lab!r} lab's runs cannot be swept (no stop at an epoch ends them together); sweeps "
                f"train runs of: {sweepable}",
            )
        return table

    def plan(self, spec: SweepSpec) -> list[Any]:
        """The runs of a spec, checked (ConfigError naming the field otherwise)."""
        table = self.table(spec.lab)
        family = self.sessions.family(spec.lab)
        if spec.base.get("dataset") == "custom" or any(
            a.name == "dataset" and "custom" in a.values for a in spec.axes
        ):
            raise ConfigError("dataset", "a sweep trains on the data sets; your own points cannot be swept")
        planned = plan_runs(spec, table, family.make_config)
        first = planned[0]
        alike = (stopping.unit(first.config), family.figure_labels(first.config))
        for run in planned[1:]:
            if (stopping.unit(run.config), family.figure_labels(run.config)) != alike:
                field = next((k for k, v in run.varied.items() if first.varied.get(k) != v), "model")
                a, b = first.varied.get(field), run.varied.get(field)
                raise ConfigError(
                    field,
                    f"a sweep's runs must count and measure alike, and {field} {a!r} and {b!r} do not "
                    f"(they count {stopping.unit(first.config)}s and {stopping.unit(run.config)}s, or "
                    "measure other figures): sweep each in a sweep of its own",
                )
        return planned

    async def start(self, spec: SweepSpec, client: str) -> Sweep:
        """Plan, make room, create and start every run; raises ConfigError, TooManySweeps or
        TooManySessions (then nothing of the sweep is left)."""
        planned = self.plan(spec)
        evicted = self._make_room(client)  # no await before the new sweep is registered: the cap holds
        labels = self.sessions.family(spec.lab).figure_labels(planned[0].config)
        sweep = Sweep(secrets.token_urlsafe(9), spec, planned, client, labels)
        self._sweeps[sweep.id] = sweep
        if evicted is not None:
            await evicted.close(self.sessions)
        try:
            await sweep.launch(self.sessions)
        except BaseException:
            self._sweeps.pop(sweep.id, None)
            raise
        return sweep

    def _make_room(self, client: str) -> Sweep | None:
        """(Synchronous.) The client's oldest finished sweep, taken out to make room for a new one, if
        the client has its most; TooManySweeps if all of them still train."""
        own = self.of_client(client)
        oldest = room_for_one_more([s.status for s in own])
        if oldest is None:
            raise TooManySweeps(too_many_sweeps(len(own)))
        return None if oldest < 0 else self._sweeps.pop(own[oldest].id)

    def get(self, sweep_id: str) -> Sweep:
        try:
            return self._sweeps[sweep_id]
        except KeyError:
            raise SweepNotFound(sweep_id) from None

    def of_client(self, client: str) -> list[Sweep]:
        return sorted((s for s in self._sweeps.values() if s.client == client), key=lambda s: s.created_at)

    async def delete(self, sweep_id: str) -> None:
        """End the sweep and remove its runs' sessions (SweepNotFound if there is none)."""
        sweep = self.get(sweep_id)
        del self._sweeps[sweep_id]
        await sweep.close(self.sessions)

    async def open_run(self, sweep: Sweep, index: int, client: str) -> Session:
        """A playground session of the client's own continuing run `index` of the sweep from where it is:
        its config (no stop at the sweep's epochs; the page's pace), weights, epoch and own data."""
        if not 0 <= index < len(sweep.runs):
            raise RunNotOpen(f"the sweep has runs 0 to {len(sweep.runs) - 1}, not {index}")
        record = sweep.runs[index]
        if not record.final:
            raise RunNotOpen(f"run {index} still trains: stop the sweep or wait until it finishes")
        try:
            source = self.sessions.get(record.session_id)
        except KeyError:
            raise RunNotOpen(f"run {index}'s session has ended (idle too long); its figures remain") from None
        family = source.family
        table = self.table(family.lab)
        page = {name: value for name, value in PAGE_DEFAULTS.items() if name in table}  # its pace, if any
        config = family.make_config(source.config, {"stop_epoch": 0, **page})
        session = await self.sessions.create(config.public(), client, lab=family.lab)
        session.adopt(source.params, source.epoch, family.own_data(source))
        await session.settled()
        return session

    async def close(self) -> None:
        for sweep_id in list(self._sweeps):
            await self.delete(sweep_id)
