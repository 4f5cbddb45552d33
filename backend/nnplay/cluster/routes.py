"""Where the gateway sends a request, and what it learns from the answer: the part of a path that says
whose run, room or sweep it is (its owner in the shards' directory, cluster/shards.py), where a lab's new
runs and rooms are placed, and the owners a creating answer names (remembered for the requests after it).
"""

from __future__ import annotations

import json
import re

from .asgi import json_object
from .shards import ShardSet

OWNED_PATHS = (  # (pattern, kind of key): the part of a path that says whose it is
    (re.compile(r"^/(?:api|ws)/sessions/([^/]+)"), "session"),
    (
        re.compile(
            r"^/(?:api/(?:images|sequences|generative)/sessions|ws/(?:images|sequences|generative))/([^/]+)"
        ),
        "session",
    ),
    (re.compile(r"^/ws/watch/([^/]+)"), "watch"),
    (re.compile(r"^/(?:api|ws)/rooms/([^/]+)"), "room"),
    (re.compile(r"^/(?:api|ws)/sweeps/([^/]+)"), "sweep"),  # a sweep's runs are sessions of one shard
)
# a new session on the shard that answered: a sweep's run (its sweep's shard), a saved run (any shard)
RUN_OPENED = re.compile(r"^/api/(?:sweeps/[^/]+/runs/\d+|runs/[^/]+)/open$")
NEW_RUNS = {  # where a lab's new runs are made, and the lab
    "/api/sessions": "playground",
    "/api/images/sessions": "images",
    "/api/sequences/sessions": "sequences",
    "/api/generative/sessions": "generative",
}


def owned_key(path: str) -> tuple[str, str] | None:
    for pattern, kind in OWNED_PATHS:
        match = pattern.match(path)
        if match:
            key = match.group(1)
            return kind, key.upper() if kind == "room" else key
    return None


async def route(shards: ShardSet, method: str, path: str, body: bytes) -> str:
    """The shard that answers this request."""
    if method == "POST" and path in NEW_RUNS:
        return await shards.place_run(NEW_RUNS[path], json_object(body).get("config") or {})
    if method == "POST" and path == "/api/sweeps":  # all its runs on one shard: they train together
        body_json = json_object(body)
        base = body_json.get("base")
        return await shards.place_run(
            str(body_json.get("lab", "playground")), base if isinstance(base, dict) else {}
        )
    if method == "POST" and path == "/api/rooms":
        from_run = json_object(body).get("session_id")
        owner = await shards.owner("session", from_run) if isinstance(from_run, str) else None
        return owner or await shards.place_room()
    owned = owned_key(path)
    if owned is not None:
        owner = await shards.owner(*owned)
        if owner is not None:
            return owner
        return shards.any(owned[1])  # nobody has it: any shard says so in the app's own words
    return shards.any(path)


def makes_run(method: str, path: str) -> bool:
    """Whether this request makes a new run (a session) on the shard that answers it."""
    return method == "POST" and (path in NEW_RUNS or RUN_OPENED.match(path) is not None)


async def learn(shards: ShardSet, method: str, path: str, shard: str, content: bytes) -> bytes:
    """Note who owns what a response names; `GET /api/sessions/{id}` says which shard owns it."""
    answer = json_object(content)
    if makes_run(method, path):
        for kind, field in (("session", "id"), ("watch", "watch_id")):
            if isinstance(answer.get(field), str):
                await shards.remember(kind, answer[field], shard)
    elif method == "POST" and path == "/api/sweeps" and isinstance(answer.get("id"), str):
        await shards.remember("sweep", answer["id"], shard)
    elif method == "POST" and path == "/api/rooms" and isinstance(answer.get("code"), str):
        await shards.remember("room", answer["code"].upper(), shard)
    elif method == "GET" and re.fullmatch(r"/api/(images/)?sessions/[^/]+", path) and answer:
        return json.dumps({**answer, "shard": shard}).encode()
    return content
