"""A run a shard makes after the gateway stopped waiting for it is not kept (cluster/shard.py): the page
was told "try again" and a retry makes a new run, so the late one would count against its client's runs,
unknown to any page, until the idle reaper ended it. A real EngineShard in this process, on the tests'
Redis and Postgres; a budget of no time makes every answer late."""

from __future__ import annotations

import asyncio
import json

from nnplay.cluster.shard import EngineShard

from conftest import SHARD_SETTINGS

HEADERS = [("host", "127.0.0.1"), ("content-type", "application/json")]
CLIENT = "10.0.0.7"


def test_a_run_made_past_the_gateways_budget_is_removed_and_the_page_is_told_to_try_again(
    redis_url: str, postgres_dsn: str
) -> None:
    async def scenario() -> None:
        shard = EngineShard("shard-budget", redis_url, postgres_dsn, SHARD_SETTINGS)
        body = json.dumps({"config": {"dataset": "xor"}}).encode()
        try:
            late = await shard.request("POST", "/api/sessions", "", HEADERS, body, CLIENT, 0.0)
            assert late[0] == 503, late
            assert ("retry-after", "1") in late[1]
            assert "try again" in json.loads(late[2])["detail"]
            manager = shard.app.state.sessions
            assert len(manager) == 0  # not kept: the page never heard of it

            status, _, content = await shard.request("POST", "/api/sessions", "", HEADERS, body, CLIENT, 60.0)
            assert status in (200, 201), content
            made = json.loads(content)["id"]
            assert [s.id for s in manager.sessions()] == [made]
            # only a run made late is undone: a late read, or a late change of a run, is answered as usual
            read = await shard.request("GET", f"/api/sessions/{made}", "", HEADERS, b"", CLIENT, 0.0)
            assert read[0] == 200 and json.loads(read[2])["id"] == made
            assert [s.id for s in manager.sessions()] == [made]
        finally:
            await shard.shutdown()

    asyncio.run(scenario())


def test_a_run_made_for_a_request_its_gateway_abandoned_is_not_kept_whichever_comes_first(
    redis_url: str, postgres_dsn: str
) -> None:
    """A shard that starts a request late by the gateway's clock (queued over the gateway's grace) makes
    the run within its own budget: the gateway's abandon of the request's ticket removes it, whether it
    comes after the run was made or before."""

    async def scenario() -> None:
        shard = EngineShard("shard-abandon", redis_url, postgres_dsn, SHARD_SETTINGS)
        body = json.dumps({"config": {"dataset": "xor"}}).encode()
        try:
            made = await shard.request("POST", "/api/sessions", "", HEADERS, body, CLIENT, 60.0, "ticket-1")
            assert made[0] in (200, 201), made
            manager = shard.app.state.sessions
            assert len(manager) == 1
            await shard.abandon("ticket-1")  # the gateway gave up after the run was made
            assert len(manager) == 0

            await shard.abandon("ticket-2")  # ... or before the shard got to it
            late = await shard.request("POST", "/api/sessions", "", HEADERS, body, CLIENT, 60.0, "ticket-2")
            assert late[0] == 503 and "try again" in json.loads(late[2])["detail"], late
            assert len(manager) == 0

            kept = await shard.request("POST", "/api/sessions", "", HEADERS, body, CLIENT, 60.0, "ticket-3")
            assert kept[0] in (200, 201) and len(manager) == 1  # a ticket nobody abandoned keeps its run
            await shard.abandon("ticket-1")  # a ticket abandoned twice removes nothing more
            assert len(manager) == 1
        finally:
            await shard.shutdown()

    asyncio.run(scenario())
