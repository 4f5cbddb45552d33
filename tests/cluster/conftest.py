"""The cluster's tests run real services on loopback: Postgres and redis-server here (one of each for the
session), and a whole local cluster (Ray head + 2 worker nodes, 2 gateways, HAProxy) in cluster_fixture.py.

They need the `cluster` extra and Debian's redis-server and haproxy, which `scripts/test.sh` installs; it
sets NNPLAY_CLUSTER_TESTS=required, so that there a missing part fails the run instead of skipping it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

NEEDED_MODULES = ("ray", "redis", "psycopg")
NEEDED_PROGRAMS = ("redis-server", "haproxy")


def _missing() -> list[str]:
    missing = [m for m in NEEDED_MODULES if importlib.util.find_spec(m) is None]
    return missing + [p for p in NEEDED_PROGRAMS if shutil.which(p) is None]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    missing = _missing()
    if not missing or os.environ.get("NNPLAY_CLUSTER_TESTS") == "required":
        return
    skip = pytest.mark.skip(reason=f"cluster tests need {', '.join(missing)} (pip install -e '.[cluster]')")
    for item in items:
        if "tests/cluster/" in str(item.fspath):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def services_dir() -> Iterator[Path]:
    # Not under pytest's tmp_path (mode 0700): Postgres runs as another user when the tests run as root.
    path = Path(tempfile.mkdtemp(prefix="nnplay-cluster-tests-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server(services_dir: Path) -> Iterator[str]:
    from nnplay.cluster import services

    data = services_dir / "pg"
    logs = services_dir / "pglog"
    logs.mkdir()
    dsn = services.start_postgres(data, services.free_port(), logs / "postgres.log")
    yield dsn
    services.stop_postgres(data)


@pytest.fixture
def postgres_dsn(postgres_server: str) -> str:
    """A database of its own for each test, on the session's Postgres."""
    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as db:
        db.execute(f"CREATE DATABASE {name}")
    return postgres_server.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(scope="session")
def redis_url(services_dir: Path) -> Iterator[str]:
    from nnplay.cluster import services

    port = services.free_port()
    proc = services.start_redis(port, services_dir / "redis.log")
    yield f"redis://127.0.0.1:{port}/0"
    services.stop(proc)


def run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, check=False)


# Lifted per-client rates (every test client is 127.0.0.1), as tests/api/live.py does for one process.
SHARD_SETTINGS = {
    "session_creations_per_minute": 1e9,
    "session_creation_burst": 1_000_000,
    "ws_messages_per_second": 1e9,
    "ws_message_burst": 1_000_000,
    "room_creations_per_minute": 1e9,
    "room_creation_burst": 1_000_000,
    "room_joins_per_minute": 1e9,
    "room_join_burst": 1_000_000,
}


class LocalCluster:
    """The cluster a keeper process (nnplay.cluster.local) runs for the tests, and its commands."""

    def __init__(self, state: Path, port: int) -> None:
        self.state = state
        self.base = f"http://127.0.0.1:{port}"
        self.ws_base = f"ws://127.0.0.1:{port}"

    @property
    def info(self) -> dict[str, Any]:
        return json.loads((self.state / "cluster.json").read_text())

    def gateway_base(self, name: str, scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.info['gateways'][name]['port']}"

    def command(self, text: str, timeout_s: float = 60) -> str:
        from nnplay.cluster.control import command

        return command(self.state, text, timeout_s)


@pytest.fixture(scope="session")
def local_cluster(services_dir: Path) -> Iterator[LocalCluster]:
    from nnplay.cluster import services

    running = os.environ.get("NNPLAY_CLUSTER_RUNNING")  # a cluster.sh state dir: use that cluster
    if running:
        info = json.loads((Path(running) / "cluster.json").read_text())
        yield LocalCluster(Path(running), info["port"])
        return
    state = services_dir / "cluster"
    state.mkdir()
    state.chmod(0o755)
    port = services.free_port()
    env = {
        **os.environ,
        "NNPLAY_CLUSTER_SHARD_SETTINGS": json.dumps(SHARD_SETTINGS),
        # the gateways' limits, shared in Redis (cluster/shared_limits.py), from their environment
        **{f"NNPLAY_{name.upper()}": str(value) for name, value in SHARD_SETTINGS.items()},
        "NNPLAY_CLUSTER_DIE_WITH_PARENT": "1",  # a killed test run leaves no cluster behind
    }
    log = (services_dir / "keeper.log").open("ab")
    keeper = subprocess.Popen(
        [sys.executable, "-m", "nnplay.cluster.local", "up", str(state), "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 300
        while not (state / "cluster.json").exists():
            if keeper.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"the cluster did not start: {(services_dir / 'keeper.log').read_text()[-3000:]}"
                )
            time.sleep(0.5)
        yield LocalCluster(state, port)
    finally:
        keeper.terminate()
        try:
            keeper.wait(90)
        except subprocess.TimeoutExpired:
            keeper.kill()
            keeper.wait()
