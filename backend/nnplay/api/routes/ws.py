"""The websocket of a session: control messages in, JSON status and binary frames out."""

from __future__ import annotations

import asyncio
import contextlib

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from ... import protocol
from ...sessions import Session, SessionNotFound, Subscriber
from ..deps import origin_allowed, sessions_of, token_ok

router = APIRouter()

CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_UNAUTHORIZED = 4401


async def _send_loop(websocket: WebSocket, sub: Subscriber) -> None:
    while True:
        await sub.wake.wait()
        sub.wake.clear()
        while not sub.control.empty():
            message = sub.control.get_nowait()
            if isinstance(message, bytes):
                await websocket.send_bytes(message)
            else:
                await websocket.send_text(message)
        if sub.frame is not None:
            frame, sub.frame = sub.frame, None
            await websocket.send_bytes(frame)


async def _refuse(websocket: WebSocket) -> bool:
    """Close sockets from foreign origins or without the token; returns whether it did."""
    if not origin_allowed(websocket):
        await websocket.close(code=CLOSE_FORBIDDEN, reason="origin not allowed")
        return True
    if not token_ok(websocket):
        await websocket.close(code=CLOSE_UNAUTHORIZED, reason="token required")
        return True
    return False


async def _not_found(websocket: WebSocket, what: str) -> None:
    await websocket.accept()
    await websocket.send_text(protocol.error_message("not_found", f"no {what} (it may have expired)"))
    await websocket.close(code=CLOSE_NOT_FOUND, reason="unknown session")


async def _serve(websocket: WebSocket, session: Session, read_only: bool) -> None:
    """Accept, subscribe, and take messages until the client goes; each message is checked and queued
    by the session (a bad one gets an `error` and changes nothing)."""
    await websocket.accept()
    sub = session.subscribe(read_only=read_only)
    sender = asyncio.create_task(_send_loop(websocket, sub))
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            raw = message.get("text")
            if raw is None:
                raw = message.get("bytes") or b""
            try:
                parsed = protocol.parse_client_message(raw)
            except protocol.ProtocolError as exc:
                sub.push_control(protocol.error_message(exc.code, exc.message, exc.field))
                continue
            reply = session.handle(parsed, sub)
            if reply is not None:
                sub.push_control(reply)
    except WebSocketDisconnect:
        pass
    finally:
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sender
        session.unsubscribe(sub)


@router.websocket("/ws/sessions/{session_id}")
async def session_socket(websocket: WebSocket, session_id: str) -> None:
    """The owner's socket: watch and drive the run."""
    if await _refuse(websocket):
        return
    try:
        session = sessions_of(websocket).get(session_id)
    except SessionNotFound:
        await _not_found(websocket, f"session with id {session_id!r}")
        return
    await _serve(websocket, session, read_only=False)


@router.websocket("/ws/watch/{watch_id}")
async def watch_socket(websocket: WebSocket, watch_id: str) -> None:
    """A read-only view of a run: the same messages and frames, every command but ping refused."""
    if await _refuse(websocket):
        return
    try:
        session = sessions_of(websocket).get_watched(watch_id)
    except SessionNotFound:
        await _not_found(websocket, f"run to watch with id {watch_id!r}")
        return
    await _serve(websocket, session, read_only=True)
