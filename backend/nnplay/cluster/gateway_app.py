"""The gateway's app (cluster/gateway.py is the gateway): its health, the forwarded `/api/...` routes,
the `/ws/...` tunnels and the static page, behind the app's own guards. Run it with
`python -m nnplay.cluster.gateway_app --name gw-1 --port 8001 --redis redis://... --ray HOST:PORT`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, WebSocket
from fastapi.responses import FileResponse, Response
from fastapi.staticfiles import StaticFiles

from .. import __version__
from ..api.guards import install_guards
from ..api.ratelimit import creation_limits, message_limit
from ..config import ServerSettings
from .gateway import MESSAGES, Gateway


def create_gateway_app(
    name: str, redis_url: str, ray_address: str, settings: ServerSettings | None = None
) -> FastAPI:
    settings = settings or ServerSettings()
    limits = {**creation_limits(settings), MESSAGES: message_limit(settings)}  # shared by the gateways
    gateway = Gateway(name, redis_url, ray_address, limits, settings.max_connections_per_client)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await gateway.start()
        try:
            yield
        finally:
            await gateway.close()

    app = FastAPI(title=f"nnplay gateway {name}", version=__version__, lifespan=lifespan)
    app.state.gateway = gateway
    install_guards(app, settings)

    @app.get("/api/health")
    def health() -> dict[str, Any]:
        return gateway.health()

    @app.api_route("/api/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    async def forward(request: Request) -> Response:
        return await gateway.forward(request)

    @app.websocket("/ws/{rest:path}")
    async def tunnel(websocket: WebSocket) -> None:
        await gateway.tunnel(websocket)

    plotly_js = Path(str(resources.files("plotly") / "package_data" / "plotly.min.js"))

    @app.api_route("/vendor/plotly.min.js", methods=["GET", "HEAD"], include_in_schema=False)
    def plotly() -> FileResponse:
        return FileResponse(plotly_js, media_type="text/javascript")

    if settings.frontend_dir.is_dir():
        app.mount("/", StaticFiles(directory=settings.frontend_dir, html=True), name="frontend")
    return app


def main() -> None:
    import argparse

    import uvicorn

    from ..serving import uvicorn_options

    parser = argparse.ArgumentParser(description="An nnplay gateway (cluster mode, docs/cluster.md)")
    parser.add_argument("--name", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--redis", required=True)
    parser.add_argument("--ray", required=True)
    args = parser.parse_args()
    settings = ServerSettings(port=args.port)
    logging.basicConfig(level=logging.INFO, format=f"%(asctime)s {args.name} %(name)s: %(message)s")
    app = create_gateway_app(args.name, args.redis, args.ray, settings)
    # the same websocket options as `nnplay serve` (serving.py): above all no per-message deflate, which
    # uvicorn offers by default: it compressed every frame once per watcher (a watched run's gateways
    # used ~3x the CPU of one process's fan-out, which starved its training on a shared node)
    uvicorn.run(app, host=settings.host, port=args.port, **uvicorn_options(settings, "warning"))


if __name__ == "__main__":
    main()
