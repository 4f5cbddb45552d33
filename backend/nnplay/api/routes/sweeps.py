"""A sweep's routes: start one, list a client's, follow one (REST and a websocket of its progress), stop,
delete, and open one of its runs in the playground. Thin: experiments/sweeps.py does the work, and the
core's errors become HTTP problems in errors.py.

Host, Origin, token, body size and connections per client are checked by the guards (api/guards.py)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Mapping
from typing import Any, Literal

from fastapi import APIRouter, Response, WebSocket, WebSocketDisconnect
from pydantic import BaseModel, ConfigDict, Field

from ... import protocol
from ...experiments.parse import parse_seeds, parse_setting
from ...experiments.plan import Axis, SweepSpec
from ...experiments.runs import Sweep
from ...experiments.sweeps import SweepNotFound
from ...export.report import sweep_report
from ...schemas import ConfigError
from ...settings import Setting
from ..deps import Client, CreatingClient, Manager, SweepDep, Sweeps, sessions_of, sweeps_of
from ..downloads import attachment
from .ws import CLOSE_NOT_FOUND

router = APIRouter()
FINISHED = ("done", "stopped", "failed")


class AxisBody(BaseModel):
    """One setting to vary: its values, a range low..high, or `text` as typed (`0.01,0.03`, `8,8/4`,
    `0.001..0.1`: read by the CLI's rules, experiments/parse.py)."""

    model_config = ConfigDict(extra="forbid")
    name: str
    values: list[Any] = Field(default_factory=list)
    low: float | None = None
    high: float | None = None
    text: str | None = Field(None, max_length=2000)

    def axis(self, table: Mapping[str, Setting]) -> Axis:
        if self.text is None:
            return Axis(self.name, tuple(self.values), self.low, self.high)
        setting = table.get(self.name)
        if setting is None:
            raise ConfigError(self.name, f"unknown setting {self.name!r}; it cannot be varied")
        parsed = parse_setting(setting, self.text)
        return parsed if isinstance(parsed, Axis) else Axis(self.name, (parsed,))


class SweepBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lab: str = "playground"
    base: dict[str, Any] = Field(default_factory=dict, description="settings every run shares")
    vary: list[AxisBody] = Field(default_factory=list, description="settings to vary")
    seeds: list[int] | str = Field(default_factory=lambda: [1], description="a list, or text: 1-8")
    epochs: int = 500
    mode: Literal["grid", "random"] = "grid"
    samples: int = Field(0, ge=0, description="random sweeps: settings drawn (each with every seed)")
    sample_seed: int = 0

    def spec(self, table: Mapping[str, Setting]) -> SweepSpec:
        """The spec, its typed values read by the lab's `table` (ConfigError naming the field if a text is
        unreadable)."""
        axes = tuple(a.axis(table) for a in self.vary)
        seeds = parse_seeds(self.seeds) if isinstance(self.seeds, str) else tuple(self.seeds)
        return SweepSpec(
            axes, self.base, seeds, self.epochs, self.mode, self.samples, self.sample_seed, self.lab
        )


@router.post("/api/sweeps", status_code=201)
async def start_sweep(body: SweepBody, client: CreatingClient, sweeps: Sweeps) -> dict[str, Any]:
    spec = body.spec(sweeps.table(body.lab))  # ConfigError
    sweep = await sweeps.start(spec, client)  # ConfigError, TooManySweeps, TooManySessions
    return sweep.view()


@router.get("/api/sweeps")
def list_sweeps(client: Client, sweeps: Sweeps) -> dict[str, Any]:
    return {"sweeps": [sweep.summary() for sweep in sweeps.of_client(client)]}


@router.get("/api/sweeps/{sweep_id}")
def get_sweep(sweep: SweepDep) -> dict[str, Any]:
    return sweep.view()


@router.get("/api/sweeps/{sweep_id}/report")
async def sweep_report_page(sweep: SweepDep) -> Response:
    """The sweep as one self-contained HTML file (export/report.py), as it stands (a running one: so far)."""
    page = await asyncio.to_thread(sweep_report, sweep.view())
    return attachment(page.encode(), "text/html; charset=utf-8", f"nnplay-sweep-{sweep.id}.html")


@router.post("/api/sweeps/{sweep_id}/stop")
def stop_sweep(sweep: SweepDep, manager: Manager) -> dict[str, Any]:
    sweep.stop(manager)
    return sweep.summary()


@router.delete("/api/sweeps/{sweep_id}", status_code=204)
async def delete_sweep(sweep: SweepDep, sweeps: Sweeps) -> None:
    await sweeps.delete(sweep.id)


@router.post("/api/sweeps/{sweep_id}/runs/{index}/open", status_code=201)
async def open_run(sweep: SweepDep, index: int, client: CreatingClient, sweeps: Sweeps) -> dict[str, Any]:
    """A session of the client's own, in the sweep's lab, that continues the run (RunNotOpen: 409)."""
    session = await sweeps.open_run(sweep, index, client)
    return {"id": session.id, "watch_id": session.watch_id, "epoch": session.epoch, "lab": session.family.lab}


@router.websocket("/ws/sweeps/{sweep_id}")
async def sweep_socket(websocket: WebSocket, sweep_id: str) -> None:
    """The sweep's progress as JSON messages (`{"type": "sweep", ...}` as GET gives it, with only what is
    new to this client), about 15 a second while it trains; client messages are ignored."""
    await websocket.accept()
    try:
        sweep = sweeps_of(websocket).get(sweep_id)
    except SweepNotFound:
        await websocket.send_text(protocol.error_message("not_found", f"no sweep with id {sweep_id!r}"))
        await websocket.close(code=CLOSE_NOT_FOUND, reason="unknown sweep")
        return
    manager = sessions_of(websocket)
    sweep.watch(manager)
    sender = asyncio.create_task(_send_progress(websocket, sweep))
    try:
        while (await websocket.receive())["type"] != "websocket.disconnect":
            pass
    except WebSocketDisconnect:
        pass
    finally:
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sender
        sweep.unwatch(manager)


async def _send_progress(websocket: WebSocket, sweep: Sweep) -> None:
    has: dict[int, tuple[int, int, int]] = {}
    version = -1
    while True:
        view = sweep.view(has)
        version = sweep.version
        await websocket.send_text(json.dumps({"type": "sweep", **view}, allow_nan=False))
        for run in view["runs"]:
            points = run["history_from"] + len(run["history"])
            has[run["index"]] = (run["history_version"], points, run["thumbnail_version"])
        if sweep.status in FINISHED:
            return
        await sweep.changed(version)
