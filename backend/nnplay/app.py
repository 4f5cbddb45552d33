"""The FastAPI application factory: routes, the static page, plotly.js, the guards (api/guards.py)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from importlib import resources
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from . import __version__
from .api.deps import RateLimits
from .api.errors import install_error_handlers
from .api.guards import install_guards
from .api.routes import generative, http, images, room_ws, rooms, runs, sweeps, ws
from .api.routes.labs import lab_routes
from .classroom.hub import ClassroomHub
from .classroom.lifecycle import RoomLimits
from .classroom.rooms import RoomService
from .classroom.store import ClassroomStore, RoomStore
from .config import ServerSettings
from .engine.batched import BatchedEngine
from .engine.call_timing import default_frames_per_second
from .engine.runtime import device_info, enable_compilation_cache
from .engine.scheduler import on_accelerator
from .engine.seam import Engine
from .engine.serial import SerialEngine
from .experiments.sweeps import SweepManager
from .families import LazyFamilies, default_families
from .saved_runs.service import SavedRuns
from .saved_runs.store import RunStore, SqliteRunStore
from .sessions import SessionManager

log = logging.getLogger(__name__)
# Allocations between young collections (Python's default: 700). A server streaming frames allocates
# fast, and every 100th young collection is a full one: ~14x fewer of those, for young collections that
# scan more (with 30 sessions a few took 3-30 ms).
GC_YOUNG_THRESHOLD = 10_000
LOAD_FAMILIES_AFTER_S = 3.0  # the other labs' modules are imported this long after the warm-up


def plotly_js_path() -> Path:
    """plotly.min.js as shipped inside the installed plotly package: the page works offline."""
    return Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))


def frames_per_second(settings: ServerSettings) -> float:
    """The server's frame budget: as set, else the device's default (engine/call_timing.py)."""
    return settings.frames_per_second or default_frames_per_second(on_accelerator())


def make_engine(settings: ServerSettings) -> Engine:
    """The app's engine: `batched` (a use's runs stacked on the device, one call a tick) or `per_session`."""
    if settings.scheduler == "per_session":
        return SerialEngine()
    tick = None if settings.tick_ms_per_member is None else settings.tick_ms_per_member / 1000
    return BatchedEngine(
        tick_s_per_member=tick,
        frames_per_second=frames_per_second(settings),
        training_threads=settings.training_threads,
    )


async def _warm_up(manager: SessionManager) -> None:
    """Compile what the first screen needs (the playground's default net: its training and its frames)
    first, on the engine's compiler, so that the first Play does not wait; other labs compile when first
    opened. Their modules are imported a little later, in the background (families/__init__.py)."""
    try:
        await manager.warm_up("playground")
    except Exception:  # warm-up is an optimisation; never fatal
        log.exception("warm-up failed")
    freeze_heap()
    if isinstance(manager.families, LazyFamilies):
        await asyncio.sleep(LOAD_FAMILIES_AFTER_S)  # after the first screen's own start
        await asyncio.to_thread(manager.families.load_all)
        freeze_heap()


def freeze_heap() -> None:
    """Put what the process made so far (modules, jax's caches, compiled kernels) beyond the cyclic
    garbage collector, and collect less often: each full collection walked all of it and stopped every
    thread of the server for 100-150 ms, about once every 5 s with 30 sessions training (2 CPU cores),
    which made the worst edits' delays. Garbage made later is collected as ever."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])


async def _reap(manager: SessionManager) -> None:
    while True:
        await asyncio.sleep(30)
        await manager.expire_idle()


def create_app(
    settings: ServerSettings | None = None, store: RoomStore | None = None, run_store: RunStore | None = None
) -> FastAPI:
    """The app; `store` keeps the classroom's rooms and `run_store` the saved runs (default: SQLite under
    settings.data_dir; the cluster's engine shards pass their Postgres stores)."""
    settings = settings or ServerSettings()
    if settings.compilation_cache:
        enable_compilation_cache()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(_reap(app.state.sessions))]
        if settings.warmup:
            tasks.append(asyncio.create_task(_warm_up(app.state.sessions)))
        app.state.classroom.start()
        freeze_heap()
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await app.state.classroom.close()  # snapshots every room's runs before their sessions end
            await app.state.sweeps.close()
            await app.state.sessions.close()
            await asyncio.to_thread(app.state.engine.close)
            app.state.classroom.store.close()
            app.state.saved_runs.close()

    app = FastAPI(title="nnplay", version=__version__, lifespan=lifespan)
    app.state.settings = settings
    app.state.engine = make_engine(settings)
    app.state.sessions = SessionManager(
        app.state.engine,
        default_families(),
        settings.max_sessions,
        settings.idle_timeout_s,
        settings.max_sessions_per_client,
        frames_per_second(settings),
        settings.max_classroom_sessions,
        settings.max_sweep_sessions,
    )
    app.state.sweeps = SweepManager(app.state.sessions)
    app.state.device = device_info()
    app.state.classroom = ClassroomHub(
        app.state.sessions,
        RoomService(store or ClassroomStore(settings.data_dir), settings.room_size),
        RoomLimits.of(settings),
    )
    app.state.saved_runs = SavedRuns(run_store or SqliteRunStore(settings.data_dir), app.state.sessions)

    app.state.rate_limits = RateLimits(settings)
    install_guards(app, settings)
    install_error_handlers(app)

    app.include_router(http.router)
    app.include_router(ws.router)
    app.include_router(images.router)
    app.include_router(lab_routes("sequences", "sequence-lab"))
    app.include_router(generative.router)
    app.include_router(rooms.router)
    app.include_router(room_ws.router)
    app.include_router(sweeps.router)
    app.include_router(runs.router)

    plotly_js = plotly_js_path()

    @app.api_route("/vendor/plotly.min.js", methods=["GET", "HEAD"], include_in_schema=False)
    def plotly() -> FileResponse:
        return FileResponse(plotly_js, media_type="text/javascript")

    if settings.frontend_dir.is_dir():
        app.mount("/", StaticFiles(directory=settings.frontend_dir, html=True), name="frontend")
    else:
        log.warning("frontend directory %s not found; serving the API only", settings.frontend_dir)
    return app
