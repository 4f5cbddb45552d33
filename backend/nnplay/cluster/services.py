"""The local cluster's outside services as child processes on loopback: redis-server, Postgres, HAProxy.

Used by `scripts/cluster.sh` (through cluster/local.py) and by tests/cluster; on real machines these are
the operator's (docs/cluster.md). Postgres refuses to run as root: as root, its data directory is given to
`nobody` and its commands run as that user.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

PG_BIN_DIRS = ("/usr/local/bin", "/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin")
PG_USER = "nobody"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, timeout_s: float = 30.0, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{proc.args!r} exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout_s} s")


def start_redis(port: int, log: Path) -> subprocess.Popen[bytes]:
    """redis-server on 127.0.0.1:port, nothing saved to disk (it is the short-lived state)."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed (apt-get install redis-server)")
    args = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    args += ["--daemonize", "no", "--protected-mode", "yes"]
    # A gateway subscribes once for all its pages: Redis' default cut (8 MB behind for 60 s, 32 MB at once)
    # is a few seconds of a class's frames on a busy machine.
    args += ["--client-output-buffer-limit", "pubsub 512mb 256mb 60"]
    proc = subprocess.Popen(args, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    wait_for_port(port, 10, proc)
    return proc


def pg_binary(name: str) -> str:
    for folder in PG_BIN_DIRS:
        path = Path(folder) / name
        if path.exists():
            return str(path)
    found = shutil.which(name)
    if found is None:
        raise RuntimeError(f"Postgres' {name} is not installed (apt-get install postgresql-15)")
    return found


def _as_pg_user(args: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return args
    return ["runuser", "-u", PG_USER, "--", *args]


def start_postgres(data: Path, port: int, log: Path) -> str:
    """A Postgres cluster in `data` (made on first use) on 127.0.0.1:port; returns its DSN."""
    data.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(data, PG_USER)
        shutil.chown(log.parent, PG_USER)
    os.chmod(data, 0o700)
    if not (data / "PG_VERSION").exists():
        subprocess.run(
            _as_pg_user([pg_binary("initdb"), "-D", str(data), "-U", "nnplay", "-A", "trust", "-E", "UTF8"]),
            check=True,
            stdout=subprocess.DEVNULL,
        )
    options = f"-p {port} -c listen_addresses=127.0.0.1 -k {data} -c fsync=off -c shared_buffers=16MB"
    subprocess.run(
        _as_pg_user([pg_binary("pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start"]),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return f"postgresql://nnplay@127.0.0.1:{port}/postgres"


def stop_postgres(data: Path) -> None:
    if (data / "postmaster.pid").exists():
        subprocess.run(
            _as_pg_user([pg_binary("pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
            check=False,
            stdout=subprocess.DEVNULL,
        )


def start_haproxy(config: Path, log: Path) -> subprocess.Popen[bytes]:
    binary = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(binary).exists():
        raise RuntimeError("haproxy is not installed (apt-get install haproxy)")
    return subprocess.Popen(
        [binary, "-db", "-f", str(config)], stdout=log.open("ab"), stderr=subprocess.STDOUT
    )


def stop(proc: subprocess.Popen[bytes], timeout_s: float = 10.0) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
