"""Read-only watchers of one run share one tunnel per gateway: the shard publishes each frame once for the
gateway, which hands it to all of its watchers of that run (a hundred watchers on two gateways cost the
shard two publications per frame, not a hundred).

A watcher that joins late is sent the control messages the run has sent so far (its hello, data, config
and status, in order: the first HEAD and the last HISTORY of them), then frames. A watcher's own messages
stay at the gateway: `ping` is answered here, a `viewer` report (what the page shows, for pacing) is passed
on to the run, any other message is dropped (a watcher cannot drive the run, here as on its own socket).

Owner: WatchGroups, on the gateway's event loop. A group ends when its tunnel ends (every watcher's socket
closes with its code: "try again" when the engine moved) or when its last watcher leaves.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from fastapi import WebSocket

from . import wire
from .gateway_tunnels import GatewayTunnels, Inbox

HEAD, HISTORY = 8, 64
PONG = json.dumps({"type": "pong"})


@dataclass(eq=False)  # each watcher is itself (hashed by identity, kept in a set)
class Watcher:
    websocket: WebSocket
    controls: deque[str] = field(default_factory=deque)
    frame: bytes | None = None
    closed: tuple[int, str] | None = None
    wake: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class Group:
    key: str
    tunnel: str
    inbox: Inbox
    watchers: set[Watcher] = field(default_factory=set)
    head: list[str] = field(default_factory=list)  # the first control messages (hello, data, config)
    history: deque[str] = field(default_factory=lambda: deque(maxlen=HISTORY))  # the latest ones
    opened: asyncio.Future[wire.Out] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )
    pump: asyncio.Task[None] | None = None


class WatchGroups:
    def __init__(self, tunnels: GatewayTunnels) -> None:
        self.tunnels = tunnels
        self.groups: dict[str, Group] = {}

    async def serve(
        self, websocket: WebSocket, key: str, shard: str, open_tunnel: Callable[[str], Awaitable[None]]
    ) -> None:
        """Serve one watcher of `key` (the watch path) from its group, opening the group if needed."""
        group = self.groups.get(key)
        if group is None or group.inbox.shard != shard:
            group = await self._open(key, shard, open_tunnel)
        first = await asyncio.shield(group.opened)
        if first.kind != "accept":  # the route refused (e.g. no such run): as it would a watcher's own
            await websocket.accept()
            with contextlib.suppress(Exception):
                for text in [*group.head, *group.history]:
                    await websocket.send_text(text)
                code, reason = first.data if first.kind == "close" else (wire.CLOSE_TRY_AGAIN, "")
                await websocket.close(code=code, reason=reason)
            return
        await websocket.accept()
        watcher = Watcher(websocket, deque([*group.head, *group.history]))
        watcher.wake.set()
        group.watchers.add(watcher)
        receiver = asyncio.get_running_loop().create_task(self._receive(group, watcher))
        try:
            await _send_loop(watcher)
        finally:
            receiver.cancel()
            group.watchers.discard(watcher)
            if not group.watchers:
                await self._close(group)

    async def _open(self, key: str, shard: str, open_tunnel: Callable[[str], Awaitable[None]]) -> Group:
        tunnel = secrets.token_hex(8)
        group = Group(key, tunnel, self.tunnels.register(tunnel, shard))
        self.groups[key] = group
        group.pump = asyncio.get_running_loop().create_task(self._pump(group))
        try:
            await open_tunnel(tunnel)
        except Exception:
            group.inbox.end(wire.CLOSE_TRY_AGAIN, "the engine did not answer; try again")
        return group

    async def _close(self, group: Group) -> None:
        if self.groups.get(group.key) is group:
            del self.groups[group.key]
        self.tunnels.forget(group.tunnel)
        if group.pump is not None:
            group.pump.cancel()
        await self.tunnels.send(group.tunnel, group.inbox, "close", 1000)

    async def _pump(self, group: Group) -> None:
        """The shared tunnel's messages to every watcher of the group."""
        inbox = group.inbox
        while True:
            await inbox.wake.wait()
            inbox.wake.clear()
            while inbox.controls:
                out = inbox.controls.popleft()
                if not group.opened.done():
                    group.opened.set_result(out)
                    if out.kind == "accept":
                        continue
                if out.kind in ("close", "deny_start", "deny_body"):
                    code, reason = out.data if out.kind == "close" else (wire.CLOSE_TRY_AGAIN, "")
                    if self.groups.get(group.key) is group:
                        del self.groups[group.key]
                    for watcher in group.watchers:
                        watcher.closed = (code, reason)
                        watcher.wake.set()
                    return
                if out.kind == "text":
                    (group.head if len(group.head) < HEAD else group.history).append(out.data)
                    for watcher in group.watchers:
                        watcher.controls.append(out.data)
                        watcher.wake.set()
            if inbox.frame is not None:
                frame, inbox.frame = inbox.frame, None
                for watcher in group.watchers:
                    watcher.frame = frame
                    watcher.wake.set()

    async def _receive(self, group: Group, watcher: Watcher) -> None:
        with contextlib.suppress(Exception):
            while True:
                message = await watcher.websocket.receive()
                if message["type"] == "websocket.disconnect":
                    break
                text = message.get("text") or ""
                try:
                    kind = json.loads(text).get("type")
                except (ValueError, AttributeError):
                    kind = None
                if kind == "ping":
                    watcher.controls.append(PONG)
                    watcher.wake.set()
                elif kind == "viewer":
                    await self.tunnels.send(group.tunnel, group.inbox, "text", text)
        watcher.closed = (1000, "")
        watcher.wake.set()


async def _send_loop(watcher: Watcher) -> None:
    while True:
        await watcher.wake.wait()
        watcher.wake.clear()
        while watcher.controls:
            await watcher.websocket.send_text(watcher.controls.popleft())
        if watcher.frame is not None:
            frame, watcher.frame = watcher.frame, None
            await watcher.websocket.send_bytes(frame)
        if watcher.closed is not None:
            code, reason = watcher.closed
            with contextlib.suppress(Exception):
                await watcher.websocket.close(code=code, reason=reason)
            return
