"""The real app under uvicorn on a free loopback port, in a thread of this process (`running_server`),
or as `nnplay serve` in a process of its own (`server_process`: restarts, signals, terminal output).

For the benchmark and the tests: real sockets, and in-process the server's compile counters stay readable.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

from .app import create_app
from .config import ServerSettings
from .serving import uvicorn_options


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
    config = uvicorn.Config(app, host="127.0.0.1", port=port, **uvicorn_options(served, "warning"))
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


@contextlib.contextmanager
def server_process(
    log: Path, *args: str, port: int | None = None, env: dict[str, str] | None = None
) -> Iterator[str]:
    """`python -m nnplay serve --port PORT *args` in its own process (this package first on PYTHONPATH),
    its output appended to `log`; yields the base URL once /api/health answers. On exit it is stopped
    with SIGTERM (a graceful shutdown: rooms are saved); RuntimeError if it fails to start or to stop
    with exit 0 (or by that signal) within 30 s, with the end of its log."""
    with served_process(log, *args, port=port, env=env) as (base, _):
        yield base


@contextlib.contextmanager
def served_process(
    log: Path, *args: str, port: int | None = None, env: dict[str, str] | None = None
) -> Iterator[tuple[str, int]]:
    """server_process, yielding (base URL, the server's process id) for those who watch the process."""
    port = port or free_port()
    environ = {**os.environ, **(env or {})}
    backend = str(Path(__file__).resolve().parents[1])
    environ["PYTHONPATH"] = os.pathsep.join(filter(None, [backend, environ.get("PYTHONPATH")]))
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "nnplay", "serve", "--port", str(port), *args],
            env=environ,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"nnplay serve exited with {process.returncode}:\n{log.read_text()[-3000:]}"
                )
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(base + "/api/health").status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"nnplay serve did not answer in 60 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)  # polling a process that has no event to await
        yield base, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            code = process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise RuntimeError(f"nnplay serve did not stop in 30 s:\n{log.read_text()[-3000:]}") from None
        if code not in (0, -signal.SIGTERM):
            raise RuntimeError(f"nnplay serve stopped with {code}:\n{log.read_text()[-3000:]}")
