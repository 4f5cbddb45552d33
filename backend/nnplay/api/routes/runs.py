"""REST routes of saved runs, comparisons and exports (thin: they translate HTTP to saved_runs/export calls).

Saving: POST /api/sessions/{id}/save; the saved runs: GET /api/runs, GET/DELETE /api/runs/{name},
POST /api/runs/{name}/open (a new session continuing it); compare: POST /api/compare (and /report: the
offline HTML); export: GET /api/sessions/{id}/export and /api/runs/{name}/export ?format=script|notebook|npz.
Live runs are named by session id in request bodies or paths the logs mask, never in a query string.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.requests import HTTPConnection

from ...export.formats import export_run
from ...export.report import comparison_report
from ...saved_runs.compare import MAX_RUNS, CompareError, comparison
from ...saved_runs.service import RunView, SavedRuns, live_view
from ..deps import CreatingClient, Manager, SessionDep
from ..downloads import attachment

router = APIRouter(prefix="/api")


def saved_runs_of(conn: HTTPConnection) -> SavedRuns:
    runs: SavedRuns = conn.app.state.saved_runs
    return runs


Runs = Annotated[SavedRuns, Depends(saved_runs_of)]
NameText = Field(min_length=1, max_length=200)


class SaveRun(BaseModel):
    name: str = NameText
    overwrite: bool = False


class RunRef(BaseModel):
    """One run of a comparison: a saved run by name, or a live run by its session id."""

    saved: str | None = Field(default=None, max_length=200)
    session: str | None = Field(default=None, max_length=100)


class CompareRuns(BaseModel):
    runs: list[RunRef] = Field(max_length=MAX_RUNS + 1)
    title: str = Field(default="nnplay: runs compared", max_length=200)


@router.post("/sessions/{session_id}/save", status_code=201)
async def save_run(session: SessionDep, body: SaveRun, runs: Runs) -> dict[str, Any]:
    row = await runs.save(session, body.name, body.overwrite)  # RunExists: 409, BadRunName: 422
    return row.listing()


@router.get("/runs")
def list_runs(runs: Runs) -> dict[str, Any]:
    return {"runs": runs.listing()}


@router.get("/runs/{name}")
def get_run(name: str, runs: Runs) -> dict[str, Any]:
    row = runs.get(name)  # SavedRunNotFound: 404
    return {**row.listing(), "history": row.history, "figures": row.figures}


@router.delete("/runs/{name}", status_code=204)
def delete_run(name: str, runs: Runs) -> None:
    runs.delete(name)


@router.post("/runs/{name}/open", status_code=201)
async def open_run(name: str, runs: Runs, client: CreatingClient) -> dict[str, Any]:
    session = await runs.reopen(name, client)
    return {
        "id": session.id,
        "watch_id": session.watch_id,
        "config": session.config.public(),
        "epoch": session.epoch,
    }


async def _views(body: CompareRuns, runs: SavedRuns, manager: Any) -> list[RunView]:
    views = []
    for ref in body.runs:
        if (ref.saved is None) == (ref.session is None):
            raise CompareError("name each run by {'saved': its name} or {'session': its session id}")
        if ref.saved is not None:
            views.append(runs.saved_view(ref.saved))
        else:
            views.append(await live_view(manager.get(ref.session)))
    return views


@router.post("/compare")
async def compare_runs(body: CompareRuns, runs: Runs, manager: Manager) -> dict[str, Any]:
    return comparison(await _views(body, runs, manager))  # CompareError: 422


@router.post("/compare/report")
async def compare_report(body: CompareRuns, runs: Runs, manager: Manager) -> Response:
    compared = comparison(await _views(body, runs, manager))
    page = await asyncio.to_thread(comparison_report, compared, body.title)
    return attachment(page.encode(), "text/html; charset=utf-8", "nnplay-comparison.html")


Format = Annotated[str, Query(alias="format")]


@router.get("/sessions/{session_id}/export")
async def export_session(session: SessionDep, kind: Format = "script") -> Response:
    view = await live_view(session, with_state=True)
    exported = await asyncio.to_thread(export_run, view, kind)  # ExportError: 422
    return attachment(exported.content, exported.media_type, exported.filename)


@router.get("/runs/{name}/export")
async def export_saved(name: str, runs: Runs, kind: Format = "script") -> Response:
    exported = await asyncio.to_thread(export_run, runs.saved_view(name), kind)
    return attachment(exported.content, exported.media_type, exported.filename)
