"""The cluster's tests run real services on loopback: Postgres and redis-server here (one of each for the
session), and a whole local cluster (Ray head + 2 worker nodes, 2 gateways, HAProxy) in cluster_fixture.py.

They need the `cluster` extra and Debian's redis-server and haproxy, which `scripts/test.sh` installs; it
sets NNPLAY_CLUSTER_TESTS=required, so that there a missing part fails the run instead of skipping it.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

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
