"""Read-only watching of a session by its public watch id: the same messages and frames, no commands.

The watcher's hello has `read_only: true` and never the session's secret id (the control capability).
Frames are the session's already-encoded bytes, latest-wins per watcher and at most WATCH_FPS a second:
a slow watcher skips frames and never slows the run or the others.
(Stop-gap for the classroom branch; the lead's sessions package brings its own /ws/watch.)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from ... import protocol
from ...sessions import Session, SessionNotFound, Subscriber
from ..deps import origin_allowed, sessions_of, token_ok

router = APIRouter()

WATCH_FPS = 20  # a watching student sees the run move; more would cost the whole class CPU
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_UNAUTHORIZED = 4401


def watcher_message(message: str, session: Session) -> str:
    """A control message as a watcher may see it: the hello loses the session id and says read-only."""
    if not message.startswith('{"type":"hello"'):
        return message
    hello = json.loads(message)
    hello.pop("session", None)
    hello.update(read_only=True, watch_id=session.watch_id)
    return json.dumps(hello)


async def _send_loop(websocket: WebSocket, sub: Subscriber, session: Session) -> None:
    interval = 1 / WATCH_FPS
    last_frame_at = 0.0
    while True:
        await sub.wake.wait()
        sub.wake.clear()
        while not sub.control.empty():
            message = sub.control.get_nowait()
            if isinstance(message, bytes):
                await websocket.send_bytes(message)
            else:
                await websocket.send_text(watcher_message(message, session))
        if sub.frame is not None:
            wait = last_frame_at + interval - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)  # newer frames replace this one meanwhile: latest wins
            frame, sub.frame = sub.frame, None
            if frame is not None:
                last_frame_at = time.monotonic()
                await websocket.send_bytes(frame)


@router.websocket("/ws/watch/{watch_id}")
async def watch_socket(websocket: WebSocket, watch_id: str) -> None:
    if not origin_allowed(websocket):
        await websocket.close(code=CLOSE_FORBIDDEN, reason="origin not allowed")
        return
    if not token_ok(websocket):
        await websocket.close(code=CLOSE_UNAUTHORIZED, reason="token required")
        return
    try:
        session = sessions_of(websocket).by_watch_id(watch_id)
    except SessionNotFound:
        await websocket.accept()
        await websocket.send_text(
            protocol.error_message("not_found", "no run to watch here (it may have ended)")
        )
        await websocket.close(code=CLOSE_NOT_FOUND, reason="unknown run")
        return
    await websocket.accept()
    sub = session.subscribe()
    sender = asyncio.create_task(_send_loop(websocket, sub, session))
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            raw = message.get("text") or message.get("bytes") or b""
            try:
                kind = json.loads(raw).get("type")
            except (ValueError, AttributeError):
                kind = None
            if kind == "ping":
                sub.push_control(protocol.json_message("pong"))
            elif kind != "viewer":  # a viewer report is always safe to send
                sub.push_control(
                    protocol.error_message(
                        "read_only", "you are watching this run: it cannot be changed from here"
                    )
                )
    except WebSocketDisconnect:
        pass
    finally:
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sender
        session.unsubscribe(sub)
