"""A classroom on one server: 30 sessions over real websockets, trained by the batched scheduler."""

from __future__ import annotations

import asyncio
import json

import httpx
import msgpack
from websockets.asyncio.client import connect

from live import serve

SESSIONS = 30


async def _follow(url: str, first: dict, last: dict, stop: asyncio.Event) -> None:
    async with connect(url, max_size=None) as ws:
        await ws.send(json.dumps({"type": "start"}))
        async for raw in ws:
            if isinstance(raw, str):
                continue
            frame = msgpack.unpackb(raw)
            if frame.get("type") != "frame":
                continue
            first.setdefault("frame", frame)
            last["frame"] = frame
            if stop.is_set():
                break


def test_thirty_sessions_all_advance_and_their_losses_fall():
    with serve(max_sessions=SESSIONS + 4, max_sessions_per_client=SESSIONS + 4, scheduler="batched") as base:
        ids = []
        for seed in range(1, SESSIONS + 1):
            response = httpx.post(f"{base}/api/sessions", json={"config": {"seed": seed}})
            assert response.status_code == 201, response.text
            ids.append(response.json()["id"])

        async def run() -> list[tuple[dict, dict]]:
            stop = asyncio.Event()
            seen = [({}, {}) for _ in ids]
            url = base.replace("http", "ws") + "/ws/sessions/"
            tasks = [
                asyncio.create_task(_follow(url + sid, first, last, stop))
                for sid, (first, last) in zip(ids, seen, strict=True)
            ]
            deadline = asyncio.get_running_loop().time() + 300
            while asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(1)
                if all(last.get("frame", {}).get("epoch", 0) >= 300 for _, last in seen):
                    break
            stop.set()
            await asyncio.wait(tasks, timeout=30)
            return seen

        seen = asyncio.run(run())
        summaries = [httpx.get(f"{base}/api/sessions/{sid}").json() for sid in ids]
    for (first, last), summary in zip(seen, summaries, strict=True):
        assert last["frame"]["epoch"] >= 300, summary
        assert last["frame"]["test_loss"] < 0.5 * first["frame"]["test_loss"], (first["frame"], last["frame"])
        assert summary["engine"] == "batched"
    assert max(s["batch_members"] for s in summaries) > 1  # they really were trained together
