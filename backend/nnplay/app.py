"""The FastAPI application factory: routes, the static page, plotly.js, security headers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from importlib import resources
from pathlib import Path

from fastapi import FastAPI, Request, Response
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from . import __version__
from .api.routes import http, room_ws, rooms, watch, ws
from .classroom.hub import ClassroomHub
from .classroom.rooms import RoomService
from .classroom.store import ClassroomStore
from .config import ServerSettings
from .engine.runtime import device_info, enable_compilation_cache
from .sessions import SessionManager

log = logging.getLogger(__name__)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self' ws: wss:; font-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'"
)


def plotly_js_path() -> Path:
    """plotly.min.js as shipped inside the installed plotly package: the page works offline."""
    return Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))


async def _warm_up() -> None:
    """Compile the default net's kernels in the background so the first Play does not wait."""
    from .engine.trainer import Trainer
    from .schemas import make_config

    def warm() -> None:
        trainer = Trainer(make_config())
        params = trainer.init_params()
        trainer.evaluate(trainer.train(params, 1).params)
        trainer.prepare_exact(params)

    try:
        await asyncio.to_thread(warm)
    except Exception:  # warm-up is an optimisation; never fatal
        log.exception("warm-up failed")


async def _reap(manager: SessionManager) -> None:
    while True:
        await asyncio.sleep(30)
        await manager.expire_idle()


def create_app(settings: ServerSettings | None = None) -> FastAPI:
    settings = settings or ServerSettings()
    if settings.compilation_cache:
        enable_compilation_cache()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        tasks = [asyncio.create_task(_reap(app.state.sessions))]
        if settings.warmup:
            tasks.append(asyncio.create_task(_warm_up()))
        app.state.classroom.start()
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await app.state.classroom.close()  # snapshots every room's runs before their sessions end
            await app.state.sessions.close()
            app.state.classroom.store.close()

    app = FastAPI(title="nnplay", version=__version__, lifespan=lifespan)
    app.state.settings = settings
    app.state.sessions = SessionManager(
        settings.max_sessions, settings.idle_timeout_s, settings.max_sessions_per_client
    )
    app.state.device = device_info()
    app.state.classroom = ClassroomHub(
        app.state.sessions, RoomService(ClassroomStore(settings.data_dir), settings.room_size)
    )

    @app.middleware("http")
    async def guard(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > settings.max_body_bytes:
            return JSONResponse(
                {"detail": f"request body is {length} bytes; the limit is {settings.max_body_bytes}"},
                status_code=413,
            )
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    app.include_router(http.router)
    app.include_router(ws.router)
    app.include_router(rooms.router)
    app.include_router(room_ws.router)
    app.include_router(watch.router)

    plotly_js = plotly_js_path()

    @app.api_route("/vendor/plotly.min.js", methods=["GET", "HEAD"], include_in_schema=False)
    def plotly() -> FileResponse:
        return FileResponse(plotly_js, media_type="text/javascript")

    if settings.frontend_dir.is_dir():
        app.mount("/", StaticFiles(directory=settings.frontend_dir, html=True), name="frontend")
    else:
        log.warning("frontend directory %s not found; serving the API only", settings.frontend_dir)
    return app
