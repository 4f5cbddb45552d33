"""The real app under uvicorn on a free loopback port, in a thread of this process.

For the benchmark and the API tests: real sockets, and the server's compile counters stay readable.
"""

from __future__ import annotations

import contextlib
import socket
import tempfile
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from .app import create_app
from .config import ServerSettings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def running_server(**settings: Any) -> Iterator[str]:
    """Serve the app with `settings` (start-up warm-up off unless asked); yields its base URL."""
    with running_app(**settings) as (base, _):
        yield base


@contextlib.contextmanager
def running_app(**settings: Any) -> Iterator[tuple[str, FastAPI]]:
    """As `running_server`, and the app too: its sessions can be inspected (fault tests)."""
    port = free_port()
    scratch = tempfile.TemporaryDirectory(prefix="nnplay-data-")  # classroom store, unless one is given
    served = ServerSettings(**{"port": port, "warmup": False, "data_dir": scratch.name, **settings})
    app = create_app(served)
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", ws_per_message_deflate=served.websocket_deflate
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    auth = {"Authorization": f"Bearer {served.token}"} if served.token else {}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(base + "/api/health", headers=auth).status_code == 200:
                break
        time.sleep(0.05)
    else:
        server.should_exit = True
        raise RuntimeError("the in-process server did not answer within 30 s")
    try:
        yield base, app
    finally:
        server.should_exit = True
        thread.join(15)
        scratch.cleanup()
