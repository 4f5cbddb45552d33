"""A real local cluster (nnplay.cluster.local: redis-server, Postgres, Ray's multi-node cluster with 2 engine
nodes, 2 gateways, HAProxy, all on loopback), driven through HAProxy as pages drive it.

The tests share one cluster and run in this file's order: the ones that break a part (Redis, a gateway, a
node) come last, each leaving the cluster serving for the next.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import msgpack
import psycopg
import websockets
from websockets.sync.client import ClientConnection, connect

from conftest import LocalCluster

SPIRAL = {"dataset": "spiral", "hidden_layers": [6, 6]}
WIDE = {"mode": "extended", "hidden_layers": [16, 16]}  # another compiled bucket (width 16)


def frames_of(ws: ClientConnection, count: int, timeout_s: float = 30) -> list[dict[str, Any]]:
    frames: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout_s
    while len(frames) < count:
        raw = ws.recv(timeout=max(0.01, deadline - time.monotonic()))
        if isinstance(raw, bytes):
            message = msgpack.unpackb(raw)
            if message.get("type") == "frame":
                frames.append(message)
    return frames


def wait_until(check: Callable[[], Any], timeout_s: float, what: str, every_s: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            value = check()
        except (httpx.HTTPError, OSError, websockets.exceptions.WebSocketException):
            value = None
        if value:
            return value
        time.sleep(every_s * random.uniform(0.5, 1.0))  # jitter, as pages spread their reconnects
    raise AssertionError(f"not within {timeout_s} s: {what}")


def new_run(cluster: LocalCluster, changes: dict[str, Any] | None = None) -> dict[str, Any]:
    response = httpx.post(f"{cluster.base}/api/sessions", json={"config": changes or {}}, timeout=60)
    assert response.status_code == 201, response.text
    return dict(response.json())


def shard_of(cluster: LocalCluster, session_id: str) -> str:
    response = httpx.get(f"{cluster.base}/api/sessions/{session_id}", timeout=30)
    assert response.status_code == 200, response.text
    return str(response.json()["shard"])


def health(base: str) -> dict[str, Any]:
    return dict(httpx.get(f"{base}/api/health", timeout=10).json())


def test_each_gateway_names_itself_and_counts_both_shards(local_cluster: LocalCluster) -> None:
    for name in ("gw-1", "gw-2"):
        answer = health(local_cluster.gateway_base(name))
        assert answer["gateway"] == name
        assert answer["cluster"]["alive_shards"] == 2
        nodes = {info["node"] for info in answer["cluster"]["shards"].values()}
        assert nodes == {"node-1", "node-2"}
    assert health(local_cluster.base)["gateway"] in ("gw-1", "gw-2")


def test_twenty_runs_use_both_shards_and_each_bucket_stays_on_one(local_cluster: LocalCluster) -> None:
    spiral = [new_run(local_cluster)["id"] for _ in range(10)]  # the default net: compiled at start-up
    wide = [new_run(local_cluster, WIDE)["id"] for _ in range(10)]
    spiral_shards = {shard_of(local_cluster, run) for run in spiral}
    wide_shards = {shard_of(local_cluster, run) for run in wide}
    assert len(spiral_shards) == 1 and len(wide_shards) == 1  # co-located by bucket
    assert spiral_shards | wide_shards == {"shard-1", "shard-2"}  # both shards used
    # co-located runs train together: one call for all of them
    with contextlib.ExitStack() as stack:
        sockets = [
            stack.enter_context(connect(f"{local_cluster.ws_base}/ws/sessions/{run}", open_timeout=30))
            for run in spiral
        ]
        for ws in sockets:
            ws.send(json.dumps({"type": "start"}))
        batched = wait_until(
            lambda: (
                max(
                    httpx.get(f"{local_cluster.base}/api/sessions/{run}", timeout=30).json()["batch_members"]
                    for run in spiral
                )
                >= 10
            ),
            60,
            "the 10 spiral runs trained in one call",
        )
        assert batched
        for ws in sockets:
            assert frames_of(ws, 1)
    for run in spiral + wide:
        httpx.delete(f"{local_cluster.base}/api/sessions/{run}", timeout=30)


def test_a_run_saved_on_either_shard_is_listed_and_reopened_through_any(local_cluster: LocalCluster) -> None:
    made: dict[str, str] = {}  # shard -> a run it trains: runs of two buckets until both shards have one
    created = []
    for config in [SPIRAL, WIDE] * 4:
        created.append(run := new_run(local_cluster, config)["id"])
        made.setdefault(shard_of(local_cluster, run), run)
        if len(made) == 2:
            break
    assert sorted(made) == ["shard-1", "shard-2"], made
    shards, runs = list(made), list(made.values())
    names = [f"saved on {shard} {time.monotonic_ns()}" for shard in shards]
    for run, name in zip(runs, names, strict=True):
        saved = httpx.post(f"{local_cluster.base}/api/sessions/{run}/save", json={"name": name}, timeout=60)
        assert saved.status_code == 201, saved.text
    listed = httpx.get(f"{local_cluster.base}/api/runs", timeout=30).json()["runs"]
    assert set(names) <= {r["name"] for r in listed}  # one list of every shard's saved runs
    with psycopg.connect(local_cluster.info["postgres"]) as db:  # kept in Postgres, not a shard's file
        kept = {name for (name,) in db.execute("SELECT name FROM saved_runs").fetchall()}
    assert set(names) <= kept
    again = httpx.post(
        f"{local_cluster.base}/api/sessions/{runs[1]}/save", json={"name": names[0]}, timeout=60
    )
    assert again.status_code == 409  # names are the cluster's, not a shard's
    for name in names:
        opened = httpx.post(f"{local_cluster.base}/api/runs/{name}/open", timeout=60)
        assert opened.status_code == 201, opened.text
        assert shard_of(local_cluster, opened.json()["id"]) in ("shard-1", "shard-2")  # the gateway knows it
        httpx.delete(f"{local_cluster.base}/api/sessions/{opened.json()['id']}", timeout=30)
        assert httpx.delete(f"{local_cluster.base}/api/runs/{name}", timeout=30).status_code == 204
    for run in created:
        httpx.delete(f"{local_cluster.base}/api/sessions/{run}", timeout=30)


def test_a_clients_sweeps_on_both_shards_are_listed_together(local_cluster: LocalCluster) -> None:
    import redis

    from nnplay.cluster import wire
    from nnplay.experiments.quota import too_many_sweeps

    directory = redis.Redis.from_url(local_cluster.info["redis"])
    made: dict[str, list[str]] = {}  # shard -> sweeps it trains: sweeps of two buckets until both have one
    for base in [SPIRAL, WIDE] * 4:
        body = {"base": base, "vary": [{"name": "learning_rate", "text": "0.03"}], "seeds": "1", "epochs": 5}
        sweep = httpx.post(f"{local_cluster.base}/api/sweeps", json=body, timeout=60)
        assert sweep.status_code == 201, sweep.text
        shard = directory.get(wire.directory_key("sweep", sweep.json()["id"]))
        made.setdefault(shard.decode(), []).append(sweep.json()["id"])
        if len(made) == 2:
            break
    assert sorted(made) == ["shard-1", "shard-2"], made
    listed = httpx.get(f"{local_cluster.base}/api/sweeps", timeout=30).json()["sweeps"]
    ids = [sweep["id"] for sweep in listed]
    assert {s for sweeps in made.values() for s in sweeps} <= set(ids)  # both shards', in one list
    assert [s["created_at"] for s in listed] == sorted(s["created_at"] for s in listed)

    # A client keeps at most 4 sweeps in the whole cluster, as on one server: a new one deletes the oldest
    # finished one, and past 4 that still train (here 2 on each shard) a new one is refused.
    def sweeps_of_client() -> list[dict[str, Any]]:
        return list(httpx.get(f"{local_cluster.base}/api/sweeps", timeout=30).json()["sweeps"])

    wait_until(lambda: all(s["status"] == "done" for s in sweeps_of_client()), 60, "the short sweeps ended")
    long_ones: dict[str, str] = {}  # id -> shard
    for base in [SPIRAL, WIDE] * 2:
        body = {
            "base": base,
            "vary": [{"name": "learning_rate", "text": "0.03"}],
            "seeds": "1",
            "epochs": 100_000,
        }
        sweep = httpx.post(f"{local_cluster.base}/api/sweeps", json=body, timeout=60)
        assert sweep.status_code == 201, sweep.text
        long_ones[sweep.json()["id"]] = directory.get(
            wire.directory_key("sweep", sweep.json()["id"])
        ).decode()
        assert len(sweeps_of_client()) <= 4
    assert sorted(set(long_ones.values())) == ["shard-1", "shard-2"], long_ones  # counted across shards
    assert {s["id"] for s in sweeps_of_client()} == set(long_ones)  # the finished ones made room
    fifth = httpx.post(f"{local_cluster.base}/api/sweeps", json=body, timeout=60)
    assert fifth.status_code == 429 and fifth.json()["detail"] == too_many_sweeps(4), fifth.text
    for sweep_id in long_ones:
        assert httpx.delete(f"{local_cluster.base}/api/sweeps/{sweep_id}", timeout=30).status_code == 204


def test_a_run_watched_by_100_viewers_over_both_gateways_reaches_every_viewer(
    local_cluster: LocalCluster,
) -> None:
    run = new_run(local_cluster, SPIRAL)
    with connect(f"{local_cluster.ws_base}/ws/sessions/{run['id']}", open_timeout=30) as owner:
        owner.send(json.dumps({"type": "start"}))
        frames_of(owner, 2)
        got = asyncio.run(_watch(local_cluster, run["watch_id"], viewers=100, seconds=8))
    httpx.delete(f"{local_cluster.base}/api/sessions/{run['id']}", timeout=30)
    assert len(got) == 100
    frames, extensions = zip(*got, strict=True)
    assert all(count >= 1 for count in frames), f"viewers without a frame: {frames.count(0)}"
    # no per-message deflate (the client offers it): compressing each frame once per watcher made the
    # gateways' fan-out cost ~6x its CPU, and starved the watched run's training on a shared node
    assert set(extensions) == {None}, set(extensions)


async def _watch(
    cluster: LocalCluster, watch_id: str, viewers: int, seconds: float
) -> list[tuple[int, str | None]]:
    """Each viewer's frames over `seconds`, and the websocket extensions its gateway agreed to."""
    bases = [cluster.gateway_base(f"gw-{1 + i % 2}", "ws") for i in range(viewers)]

    async def viewer(base: str) -> tuple[int, str | None]:
        frames = 0
        async with websockets.connect(f"{base}/ws/watch/{watch_id}", open_timeout=60) as ws:
            extensions = ws.response.headers.get("Sec-WebSocket-Extensions")
            deadline = time.monotonic() + seconds
            while (left := deadline - time.monotonic()) > 0:
                try:
                    raw = await asyncio.wait_for(ws.recv(), left)
                except TimeoutError:
                    break
                frames += isinstance(raw, bytes)
        return frames, extensions

    return list(await asyncio.gather(*(viewer(base) for base in bases)))


def test_frames_resume_within_5_s_after_redis_restarts(local_cluster: LocalCluster) -> None:
    run = new_run(local_cluster)
    url = f"{local_cluster.ws_base}/ws/sessions/{run['id']}"
    with connect(url, open_timeout=30) as ws:
        ws.send(json.dumps({"type": "start"}))
        frames_of(ws, 2)
        assert local_cluster.command("restart-redis") == "ok"
        restarted = time.monotonic()

    def frames_again() -> bool:  # as the page does: reconnect while the socket is refused or closed
        with connect(url, open_timeout=5) as again:
            return bool(frames_of(again, 1, timeout_s=2))

    wait_until(frames_again, 5, "frames after Redis restarted")
    assert time.monotonic() - restarted <= 5
    httpx.delete(f"{local_cluster.base}/api/sessions/{run['id']}", timeout=30)


def test_a_killed_gateways_pages_are_back_through_the_other_within_3_s(local_cluster: LocalCluster) -> None:
    # Six pages at least, and more until HAProxy's hashing (of each page's path) puts one on gw-1: six all
    # landed on gw-2 in a full run once.
    runs: list[str] = []
    sockets = {}

    def none_on_gw1() -> bool:
        return not health(local_cluster.gateway_base("gw-1"))["cluster"]["tunnels"]

    with contextlib.ExitStack() as stack:  # closes every page's socket, whichever way the test ends
        while len(runs) < 6 or (none_on_gw1() and len(runs) < 24):
            run = new_run(local_cluster)["id"]
            runs.append(run)
            sockets[run] = stack.enter_context(
                connect(f"{local_cluster.ws_base}/ws/sessions/{run}", open_timeout=30)
            )
            sockets[run].send(json.dumps({"type": "start"}))
            frames_of(sockets[run], 1)
        on_gw1 = health(local_cluster.gateway_base("gw-1"))["cluster"]["tunnels"]
        assert on_gw1 > 0  # HAProxy's hashing put some of these pages on gw-1
        os.kill(local_cluster.info["gateways"]["gw-1"]["pid"], signal.SIGKILL)
        killed = time.monotonic()
        for run, ws in sockets.items():
            try:
                frames_of(ws, 1, timeout_s=1)
                continue  # this page was on gw-2 and never noticed
            except Exception:
                ws.close()
            url = f"{local_cluster.ws_base}/ws/sessions/{run}"

            def back(url: str = url) -> bool:
                with connect(url, open_timeout=3) as again:
                    return bool(frames_of(again, 1, timeout_s=3))

            wait_until(back, 3, f"run {run} back through the other gateway")
        assert time.monotonic() - killed <= 3 + len(runs)  # each page's 1 s check plus its 3 s bound
    for run in runs:
        httpx.delete(f"{local_cluster.base}/api/sessions/{run}", timeout=30)
    assert local_cluster.command("start-gateway gw-1") == "ok"
    wait_until(lambda: health(local_cluster.gateway_base("gw-1"))["cluster"]["alive_shards"] == 2, 30, "gw-1")


def _room_rows(dsn: str, code: str) -> dict[str, Any]:
    with psycopg.connect(dsn) as db:
        room = db.execute(
            "SELECT code, lesson_id, lesson_step, locked FROM rooms WHERE code = %s", (code,)
        ).fetchone()
        members = db.execute(
            "SELECT id, name, mode FROM members WHERE room_code = %s ORDER BY id", (code,)
        ).fetchall()
        snaps = db.execute(
            "SELECT owner, config, epoch, points FROM snapshots WHERE room_code = %s ORDER BY owner", (code,)
        ).fetchall()
    return {"room": room, "members": members, "snapshots": snaps}


def test_a_shard_frozen_past_its_lease_is_fenced_out_when_it_wakes(local_cluster: LocalCluster) -> None:
    base, dsn = local_cluster.base, local_cluster.info["postgres"]
    run = new_run(local_cluster)
    room = httpx.post(f"{base}/api/rooms", json={"session_id": run["id"]}, timeout=60).json()
    code, teacher = room["code"], {"X-Teacher-Key": room["teacher_key"]}
    frozen = shard_of(local_cluster, run["id"])
    config = httpx.get(f"{base}/api/sessions/{run['id']}", timeout=30).json()["config"]
    own = new_run(local_cluster, config)  # a run of no room on the same shard (the one training its bucket)
    assert shard_of(local_cluster, own["id"]) == frozen
    wait_until(lambda: _kept_rows(dsn, [own["id"]]), 10, "the run is kept")
    pid = health(base)["cluster"]["shards"][frozen]["pid"]
    os.kill(pid, signal.SIGSTOP)  # frozen: its lease lapses, the other shard takes its room and run
    try:
        moved = wait_until(lambda: _served_elsewhere(base, own["id"], frozen), 20, "the run moved")
    finally:
        os.kill(pid, signal.SIGCONT)
    survivor = moved["shard"]

    def fenced_out() -> bool:
        # a shard whose lease is back but whose figures the gateway has not polled yet shows only its name
        shard = health(base)["cluster"]["shards"].get(frozen, {})
        return shard.get("rooms") == 0 and shard.get("sessions") == 0

    # awake, it renews its lease, finds what it held is another's and drops it without writing a thing
    wait_until(fenced_out, 30, "the woken shard dropped what it no longer owns")
    with psycopg.connect(dsn) as db:
        room_owner = db.execute("SELECT shard FROM rooms WHERE code = %s", (code,)).fetchone()
    assert room_owner == (survivor,) and [row[1] for row in _kept_rows(dsn, [own["id"]])] == [survivor]
    assert _served_elsewhere(base, own["id"], frozen) is not None  # still served, by the survivor
    httpx.delete(f"{base}/api/sessions/{own['id']}", timeout=30)
    assert httpx.delete(f"{base}/api/rooms/{code}", headers=teacher, timeout=30).status_code == 200


def _kept_rows(dsn: str, run_ids: list[str]) -> list[tuple[Any, ...]]:
    with psycopg.connect(dsn) as db:
        return db.execute(
            "SELECT id, shard, epoch, training FROM kept_runs WHERE id = ANY(%s) ORDER BY id", (run_ids,)
        ).fetchall()


def _served_elsewhere(base: str, run_id: str, lost_shard: str) -> dict[str, Any] | None:
    run = httpx.get(f"{base}/api/sessions/{run_id}", timeout=5)
    if run.status_code != 200 or run.json()["shard"] == lost_shard:
        return None
    return dict(run.json())


def test_losing_the_rooms_node_moves_its_30_forks_to_the_other_shard(local_cluster: LocalCluster) -> None:
    base = local_cluster.base
    teacher_run = new_run(local_cluster)
    room = httpx.post(f"{base}/api/rooms", json={"session_id": teacher_run["id"]}, timeout=60).json()
    code, key = room["code"], room["teacher_key"]
    teacher = {"X-Teacher-Key": key}
    lesson = httpx.post(
        f"{base}/api/rooms/{code}/lesson-next", json={"lesson_id": "features"}, headers=teacher
    )
    assert lesson.status_code == 200, lesson.text
    assert httpx.post(f"{base}/api/rooms/{code}/lesson-next", headers=teacher, timeout=30).status_code == 200
    members = []
    for i in range(30):
        joined = httpx.post(f"{base}/api/rooms/{code}/join", json={"name": f"Student {i}"}, timeout=30)
        assert joined.status_code == 201, joined.text
        token = {"X-Member-Token": joined.json()["member_token"]}
        forked = httpx.post(f"{base}/api/rooms/{code}/fork", headers=token, timeout=60)
        assert forked.status_code == 200, forked.text
        members.append(token)
    lost_shard = shard_of(local_cluster, teacher_run["id"])
    node = {"shard-1": "node-1", "shard-2": "node-2"}[lost_shard]
    dsn = local_cluster.info["postgres"]
    # Two runs of no room on the same shard (the only one that trains their bucket): one trains through
    # the loss, one was trained and paused.
    config = httpx.get(f"{base}/api/sessions/{teacher_run['id']}", timeout=30).json()["config"]
    own_training, own_paused = new_run(local_cluster, config), new_run(local_cluster, config)
    assert {shard_of(local_cluster, r["id"]) for r in (own_training, own_paused)} == {lost_shard}
    with connect(f"{local_cluster.ws_base}/ws/sessions/{own_paused['id']}", open_timeout=30) as ws:
        ws.send(json.dumps({"type": "start"}))
        frames_of(ws, 3)
        ws.send(json.dumps({"type": "pause"}))
        paused = f"{base}/api/sessions/{own_paused['id']}"
        wait_until(lambda: httpx.get(paused, timeout=5).json()["state"] == "paused", 10, "the run paused")
    with contextlib.ExitStack() as stack:
        for run in (teacher_run, own_training):  # they train through the loss
            ws = stack.enter_context(
                connect(f"{local_cluster.ws_base}/ws/sessions/{run['id']}", open_timeout=30)
            )
            ws.send(json.dumps({"type": "start"}))
            frames_of(ws, 2)
        time.sleep(6)  # a snapshot interval: the stores know they were training
    # (the sockets are closed first: a socket to a lost node waits out its close handshake)
    before = _room_rows(dsn, code)
    assert len(before["members"]) == 30 and len(before["snapshots"]) == 31
    own_before = {
        r["id"]: httpx.get(f"{base}/api/sessions/{r['id']}", timeout=10).json()
        for r in (own_training, own_paused)
    }
    kept_before = _kept_rows(dsn, list(own_before))
    assert [row[1] for row in kept_before] == [lost_shard, lost_shard]
    assert local_cluster.command(f"stop-node {node}") == "ok"
    lost = time.monotonic()

    attempts: dict[str, list[tuple[float, float, Any]]] = {}

    def serves_again(token: dict[str, str]) -> bool:
        asked = time.monotonic() - lost
        log = attempts.setdefault(token["X-Member-Token"], [])
        try:
            me = httpx.get(f"{base}/api/rooms/{code}/me", headers=token, timeout=5)
        except httpx.HTTPError as exc:
            log.append((round(asked, 1), round(time.monotonic() - lost, 1), type(exc).__name__))
            raise
        log.append((round(asked, 1), round(time.monotonic() - lost, 1), me.status_code))
        if me.status_code != 200 or not me.json()["session_id"]:
            return False
        run = httpx.get(f"{base}/api/sessions/{me.json()['session_id']}", timeout=5)
        log.append((round(asked, 1), round(time.monotonic() - lost, 1), run.status_code))
        return run.status_code == 200 and run.json()["shard"] != lost_shard

    def back_after_s(token: dict[str, str]) -> float:
        # each page asks for its run on its own, about once a second (core/stream.js retries with backoff)
        wait_until(lambda: serves_again(token), 30, "a fork serves again", every_s=1.0)
        return time.monotonic() - lost

    try:
        with ThreadPoolExecutor(len(members)) as pool:
            served_s = max(pool.map(back_after_s, members))
    finally:
        assert local_cluster.command(f"add-node {node}") == "ok"  # the next tests have both shards again
    print(f"30 forks served again {served_s:.1f} s after their node was lost")
    print(
        "the slowest page's attempts (asked, answered, status):",
        max(attempts.values(), key=lambda a: a[-1][1]),
    )
    teacher_view = httpx.get(f"{base}/api/rooms/{code}/teacher", headers=teacher, timeout=10).json()
    restored = httpx.get(f"{base}/api/sessions/{teacher_view['session_id']}", timeout=10).json()
    assert served_s <= 10
    assert restored["shard"] != lost_shard and restored["state"] == "training"  # it trains on by itself
    after = _room_rows(dsn, code)
    # rooms, members, the lesson step, every run's config, the forks' epochs and own points as they were
    assert after["room"] == before["room"] and after["members"] == before["members"]
    assert [row[:2] for row in after["snapshots"]] == [row[:2] for row in before["snapshots"]]
    forks_before = [row for row in before["snapshots"] if not row[0].startswith("teacher:")]
    assert [row for row in after["snapshots"] if not row[0].startswith("teacher:")] == forks_before
    # at most one snapshot interval of the teacher's epochs is lost: it restarts from its last snapshot
    (teacher_saved,) = [row[2] for row in before["snapshots"] if row[0].startswith("teacher:")]
    assert restored["epoch"] >= teacher_saved
    # the runs of no room serve again under their own ids (and watch ids) on the other shard: the paused
    # one as it was, the training one training on from at most one snapshot interval back
    for run_id, was in own_before.items():
        now = wait_until(
            lambda run_id=run_id: _served_elsewhere(base, run_id, lost_shard), 10, "a kept run serves again"
        )
        assert (now["watch_id"], now["config"]) == (was["watch_id"], was["config"])
        kept_epoch = next(row[2] for row in kept_before if row[0] == run_id)
        if run_id == own_paused["id"]:
            assert (now["state"], now["epoch"]) == ("paused", was["epoch"])
        else:
            assert now["state"] == "training" and now["epoch"] >= kept_epoch
    with connect(f"{local_cluster.ws_base}/ws/sessions/{own_training['id']}", open_timeout=30) as ws:
        assert frames_of(ws, 2)
    for run_id in own_before:
        httpx.delete(f"{base}/api/sessions/{run_id}", timeout=30)
