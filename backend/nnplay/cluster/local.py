"""A whole cluster on this machine, on loopback, for development and tests (`scripts/cluster.sh`):
redis-server, Postgres, a Ray head and 2 worker nodes (Ray's multi-node test cluster), one engine shard
per worker node, 2 gateways and HAProxy in front of them.

`python -m nnplay.cluster.local up DIR` starts it all and stays in the foreground as its keeper (it holds
the Ray cluster and the child processes; SIGTERM or `down` stops everything). It writes DIR/cluster.json
(addresses, ports, process ids) when the cluster answers, and takes commands on the Redis list
`nnplay:ctl` (`stop-node NAME`: that worker node's raylet and processes die as a lost machine's would;
`add-node NAME`; `restart-redis`; `down`), answering on `nnplay:ctl:reply`. Ray's head, nodes and shards
are kept small (no dashboard, 75 MB object stores, one CPU per engine node).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from . import services
from .actors import start_shards
from .control import CTL, CTL_REPLY, command
from .wire import as_text

OBJECT_STORE_BYTES = 75 * 1024 * 1024
SHARDS = ("shard-1", "shard-2")
NODES = ("node-1", "node-2")
REPO = Path(__file__).resolve().parents[3]


class LocalCluster:
    def __init__(self, state: Path, port: int) -> None:
        self.state = state
        self.port = port
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.info: dict[str, Any] = {"port": port, "dir": str(state)}
        self.nodes: dict[str, Any] = {}

    def up(self) -> None:
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
        os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
        logs = self.state / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        logs.chmod(0o777)
        redis_port = services.free_port()
        self.info["redis_port"] = redis_port
        self.info["redis"] = f"redis://127.0.0.1:{redis_port}/0"
        self.procs["redis"] = services.start_redis(redis_port, logs / "redis.log")
        self.info["postgres"] = services.start_postgres(
            self.state / "pg", services.free_port(), logs / "pg.log"
        )
        self._start_ray()
        self._start_shards()
        self.info["gateways"] = {f"gw-{i}": {"port": services.free_port()} for i in (1, 2)}
        for name in self.info["gateways"]:
            self.start_gateway(name)
        self._start_haproxy(logs)
        self._wait_healthy()
        self._write_info()

    def _start_ray(self) -> None:
        from ray.cluster_utils import Cluster

        head = {"num_cpus": 0, "include_dashboard": False, "object_store_memory": OBJECT_STORE_BYTES}
        self.cluster = Cluster(initialize_head=True, head_node_args=head)
        for name in NODES:
            self.add_node(name)
        self.info["ray"] = self.cluster.address
        import ray

        ray.init(
            address=self.cluster.address,
            namespace="nnplay",
            log_to_driver=False,
            logging_level=logging.WARNING,
        )

    def add_node(self, name: str) -> None:
        self.nodes[name] = self.cluster.add_node(
            num_cpus=1, resources={name: 1}, object_store_memory=OBJECT_STORE_BYTES, include_dashboard=False
        )

    def stop_node(self, name: str) -> None:
        """The node's raylet and its workers (the engine shard on it) die at once, as a lost machine's."""
        self.cluster.remove_node(self.nodes.pop(name), allow_graceful=False)

    def _start_shards(self) -> None:
        self.info["shards"] = start_shards(
            list(zip(SHARDS, NODES, strict=True)), self.info["redis"], self.info["postgres"]
        )

    def start_gateway(self, name: str) -> None:
        """Start (or restart, on its port) the gateway `name`; returns when it listens."""
        gateway = self.info["gateways"][name]
        if name in self.procs:
            services.stop(self.procs[name])
        env = {**os.environ, "NNPLAY_TRUSTED_PROXIES": '["127.0.0.1"]', "NNPLAY_ALLOWED_HOSTS": '["*"]'}
        args = [
            sys.executable,
            "-m",
            "nnplay.cluster.gateway_app",
            "--name",
            name,
            "--port",
            str(gateway["port"]),
        ]
        args += ["--redis", self.info["redis"], "--ray", self.info["ray"]]
        log = (self.state / "logs" / f"{name}.log").open("ab")
        self.procs[name] = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT)
        gateway["pid"] = self.procs[name].pid
        services.wait_for_port(gateway["port"], 60, self.procs[name])
        if (self.state / "cluster.json").exists():  # a restart: say its new process id
            self._write_info()

    def _write_info(self) -> None:
        (self.state / "cluster.json").write_text(json.dumps(self.info, indent=1))

    def _start_haproxy(self, logs: Path) -> None:
        env = os.environ
        env["NNPLAY_BIND"] = f"127.0.0.1:{self.port}"
        for name, gw in self.info["gateways"].items():
            env[f"NNPLAY_{name.upper().replace('-', '_')}"] = f"127.0.0.1:{gw['port']}"
        self.procs["haproxy"] = services.start_haproxy(REPO / "deploy" / "haproxy.cfg", logs / "haproxy.log")
        services.wait_for_port(self.port, 20, self.procs["haproxy"])
        self.info["haproxy_pid"] = self.procs["haproxy"].pid

    def _wait_healthy(self, timeout_s: float = 120) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/health", timeout=5) as r:
                    if json.load(r)["cluster"]["alive_shards"] == len(SHARDS):
                        return
            except OSError:
                pass
            time.sleep(0.5)
        raise TimeoutError("the cluster did not become healthy")

    def restart_redis(self) -> None:
        services.stop(self.procs["redis"])
        self.procs["redis"] = services.start_redis(self.info["redis_port"], self.state / "logs" / "redis.log")

    def serve(self) -> None:
        """Take commands until `down` or SIGTERM."""
        import redis

        stop = False

        def on_term(*_: Any) -> None:
            nonlocal stop
            stop = True

        signal.signal(signal.SIGTERM, on_term)
        signal.signal(signal.SIGINT, on_term)
        client = redis.Redis.from_url(self.info["redis"], socket_timeout=5)
        while not stop:
            try:
                item = client.blpop([CTL], timeout=1)
            except redis.RedisError:
                time.sleep(0.5)
                continue
            if item is None:
                continue
            verb, _, arg = as_text(item[1]).partition(" ")
            reply = "ok"
            try:
                if verb == "stop-node":
                    self.stop_node(arg)
                elif verb == "add-node":
                    self.add_node(arg)
                elif verb == "start-gateway":
                    self.start_gateway(arg)
                elif verb == "restart-redis":
                    self.restart_redis()
                elif verb == "down":
                    stop = True
                else:
                    reply = f"unknown command {verb!r}"
            except Exception as exc:
                reply = f"failed: {exc}"
            for _ in range(50):
                try:
                    client.rpush(CTL_REPLY, reply)
                    break
                except redis.RedisError:
                    time.sleep(0.2)

    def down(self) -> None:
        for name in ("haproxy", "gw-1", "gw-2"):
            if name in self.procs:
                services.stop(self.procs[name])
        try:
            import ray

            with contextlib.suppress(Exception):  # both at once: each saves its rooms' snapshots
                shards = [ray.get_actor(shard, namespace="nnplay") for shard in SHARDS]
                ray.get([shard.shutdown.remote() for shard in shards], timeout=20)
            ray.shutdown()
            self.cluster.shutdown()
        except AttributeError:
            pass  # Ray never started
        services.stop_postgres(self.state / "pg")
        if "redis" in self.procs:
            services.stop(self.procs["redis"])
        (self.state / "cluster.json").unlink(missing_ok=True)


def die_with_parent() -> None:
    """With NNPLAY_CLUSTER_DIE_WITH_PARENT=1 (the tests' keeper), the kernel sends this keeper SIGTERM when
    the process that started it dies, however it dies: a test run killed or aborted then leaves no
    cluster running behind it (Linux only; elsewhere nothing happens)."""
    if os.environ.get("NNPLAY_CLUSTER_DIE_WITH_PARENT") != "1" or not sys.platform.startswith("linux"):
        return
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    if os.getppid() == 1:  # the parent died before the call: nobody is left to stop us
        raise SystemExit(143)


def main() -> None:
    parser = argparse.ArgumentParser(description="A local nnplay cluster (docs/cluster.md)")
    parser.add_argument("action", choices=["up", "command", "shards"])
    parser.add_argument("dir", type=Path, nargs="?", default=Path("/tmp/nnplay-cluster"))
    parser.add_argument("words", nargs="*")
    parser.add_argument("--port", type=int, default=8000)
    # `shards` (real machines, docker-compose.yml): create the shards SHARD=NODE,... on a running Ray
    parser.add_argument("--ray", help="the Ray cluster's address (shards)")
    parser.add_argument("--redis", help="redis:// URL (shards)")
    parser.add_argument("--postgres", help="postgresql:// DSN (shards)")
    parser.add_argument("--place", default="shard-1=node-1,shard-2=node-2", help="SHARD=NODE,... (shards)")
    args = parser.parse_args()
    if args.action == "shards":
        import ray

        ray.init(address=args.ray, namespace="nnplay", log_to_driver=False, logging_level=logging.WARNING)
        placement = [tuple(pair.split("=", 1)) for pair in args.place.split(",")]
        for info in start_shards(placement, args.redis, args.postgres):  # type: ignore[arg-type]
            print(f"{info['name']} up on {info['node']} (epoch {info['epoch']})")
        return
    if args.action == "command":
        print(command(args.dir, " ".join(args.words)))
        return
    die_with_parent()
    cluster = LocalCluster(args.dir, args.port)

    def interrupted(*_: Any) -> None:  # while starting: unwind, and `down` stops what has started
        raise SystemExit(143)

    signal.signal(signal.SIGTERM, interrupted)
    try:
        cluster.up()
        print(f"nnplay cluster up: http://127.0.0.1:{args.port} (state in {args.dir})", flush=True)
        cluster.serve()
    finally:
        cluster.down()


if __name__ == "__main__":
    main()
