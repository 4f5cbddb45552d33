"""A shard's own runs kept in Postgres (cluster/keeper.py, cluster/pgkept.py), on real session managers and
a real Postgres: another shard takes a lost shard's runs over with their ids, weights and state, and the
lost shard, when it wakes, can no longer write them and drops them."""

from __future__ import annotations

import asyncio
import time

import jax
import numpy as np
import psycopg

from nnplay.client_messages import Pause, Start
from nnplay.cluster.keeper import RunKeeper
from nnplay.cluster.pgkept import KeptRuns
from nnplay.cluster.pgstore import PostgresStore
from nnplay.engine.batched import BatchedEngine
from nnplay.families import default_families
from nnplay.sessions import Session, SessionManager, SessionNotFound
from nnplay.sessions.runstate import RUNNING


def keeper_of(dsn: str, shard: str) -> RunKeeper:
    store = PostgresStore(dsn, shard)  # the shard's fencing epoch
    return RunKeeper(SessionManager(BatchedEngine(), default_families()), KeptRuns(dsn, shard, store.epoch))


async def trained(session: Session, epochs: int) -> None:
    session.handle(Start(type="start"))
    deadline = time.monotonic() + 60
    while session.epoch < epochs:
        assert time.monotonic() < deadline, "the run did not train"
        await asyncio.sleep(0.05)


def kept_epochs(dsn: str) -> dict[str, int]:
    with psycopg.connect(dsn) as db:
        return dict(db.execute("SELECT id, epoch FROM kept_runs").fetchall())


def leaves(session: Session) -> list[np.ndarray]:
    return [np.asarray(leaf) for leaf in jax.tree_util.tree_leaves(session.params)]


def test_a_lost_shards_runs_come_back_on_another_with_their_ids_and_its_stale_writes_are_refused(
    postgres_dsn: str,
) -> None:
    async def scenario() -> None:
        lost, survivor = keeper_of(postgres_dsn, "shard-a"), keeper_of(postgres_dsn, "shard-b")
        try:
            paused = await lost.manager.create({"dataset": "xor", "hidden_layers": [5]}, "10.0.0.1")
            training = await lost.manager.create({}, "10.0.0.2")
            in_room = await lost.manager.create({}, "", classroom=True)  # a room's runs are kept elsewhere
            await trained(paused, 30)
            await paused.perform(Pause(type="pause"))
            await trained(training, 10)
            await lost.save_changed()
            assert lost.kept.owned_ids() == {paused.id, training.id}

            runs = survivor.kept.take_over("shard-a")
            kept_epoch = {r.id: r.parts.epoch for r in runs}[training.id]
            restored = await survivor.restore(runs)
            assert sorted(r.id for r in restored) == sorted([paused.id, training.id])
            again = survivor.manager.get(paused.id)
            assert (again.watch_id, again.client) == (paused.watch_id, "10.0.0.1")
            assert again.config.public() == paused.config.public() and again.epoch == paused.epoch
            assert again.state == "paused"
            for a, b in zip(leaves(again), leaves(paused), strict=True):
                np.testing.assert_array_equal(a, b)
            assert again.publisher.history.to_json() == paused.publisher.history.to_json()
            assert survivor.manager.get(training.id).state in RUNNING  # it trains on by itself

            # The survivor ends the paused run (its row goes). The lost shard wakes up: both its runs have
            # moved on, and their saves are refused: the training one's over the survivor's row (nothing
            # written), the paused one's where no row is left (none made again); it drops them both.
            await survivor.manager.remove(paused.id)
            await survivor.save_changed()
            assert survivor.kept.owned_ids() == {training.id}  # a run that ends is forgotten
            await trained(training, kept_epoch + 5)
            await trained(paused, paused.epoch + 5)
            await lost.save_changed(force=True)
            assert kept_epochs(postgres_dsn) == {training.id: kept_epoch}  # refused: nothing written
            await lost.drop_lost()
            assert [s.id for s in lost.manager.sessions()] == [in_room.id]
            assert survivor.kept.owned_ids() == {training.id}
            try:
                survivor.manager.get(paused.id)
                raise AssertionError("the deleted run is still there")
            except SessionNotFound:
                pass
        finally:
            for keeper in (lost, survivor):
                await keeper.manager.close()
                await asyncio.to_thread(keeper.manager.engine.close)

    asyncio.run(scenario())
