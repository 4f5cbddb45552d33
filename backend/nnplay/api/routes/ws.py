"""The websocket of a session: control messages in, JSON status and binary frames out.

Host, Origin, token and connections per client are checked before the handshake (api/guards.py);
messages are rate limited per client address here, and a session has at most
NNPLAY_MAX_SOCKETS_PER_SESSION sockets driving it (each gets every frame; watchers are paced together)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse

from ... import protocol
from ...sessions import Session, SessionNotFound, Subscriber
from ..deps import client_of, rate_limits_of, sessions_of, settings_of

log = logging.getLogger(__name__)
router = APIRouter()

CLOSE_NOT_FOUND = 4404


async def send_loop(websocket: WebSocket, sub: Subscriber) -> None:
    """Control messages in order, then the newest frame (a slow client skips frames). Watchers are paced
    by their session's fan-out (sessions/fanout.py): the same encoded bytes, fewer of them."""
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


async def not_found(websocket: WebSocket, what: str) -> None:
    await websocket.accept()
    await websocket.send_text(protocol.error_message("not_found", f"no {what} (it may have expired)"))
    await websocket.close(code=CLOSE_NOT_FOUND, reason="unknown session")


def _apply(session: Session, sub: Subscriber, raw: str | bytes) -> str | None:
    """Parse and hand one client message to the session; the reply for its sender, if any. A failure of
    the server's own (a bug) is logged and answered with an `internal_error`: it never closes the
    connection."""
    try:
        parsed = session.family.parse(raw)
    except protocol.ProtocolError as exc:
        return protocol.error_message(exc.code, exc.message, exc.field)
    except Exception:
        log.exception("parsing a client message failed")
        return protocol.error_message("internal_error", "the server failed to read this message (logged)")
    try:
        return session.handle(parsed, sub)
    except Exception:
        log.exception("a %r message failed", parsed.type)
        message = f"the server failed to apply this {parsed.type!r} message (logged); the session goes on"
        return protocol.error_message("internal_error", message)


async def pump(
    websocket: WebSocket,
    sub: Subscriber,
    handle: Callable[[str | bytes], Awaitable[str | None]],
    leave: Callable[[], None],
) -> None:
    """The receive loop every socket shares (sessions, watchers, the image lab, rooms): the subscriber's
    messages and frames go out through `send_loop`; each client message, once past the per-client rate
    limit, goes to `handle`, whose reply (if any) goes to this client alone; `leave` runs at the end."""
    sender = asyncio.create_task(send_loop(websocket, sub))
    limits, client = rate_limits_of(websocket), client_of(websocket)
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            refusal = limits.message_refusal(client)
            if refusal is not None:
                sub.push_control(protocol.error_message("rate_limited", refusal))
                continue
            raw = message.get("text")
            if raw is None:
                raw = message.get("bytes") or b""
            reply = await handle(raw)
            if reply is not None:
                sub.push_control(reply)
    except WebSocketDisconnect:
        pass
    finally:
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sender
        leave()


async def serve(websocket: WebSocket, session: Session, read_only: bool) -> None:
    """Accept, subscribe, and take messages until the client goes; each message is checked and queued
    by the session (a bad one gets an `error` and changes nothing)."""
    await websocket.accept()
    sub = session.subscribe(read_only=read_only)

    async def handle(raw: str | bytes) -> str | None:
        return _apply(session, sub, raw)

    await pump(websocket, sub, handle, lambda: session.unsubscribe(sub))


@router.websocket("/ws/sessions/{session_id}")
async def session_socket(websocket: WebSocket, session_id: str) -> None:
    """The owner's socket: watch and drive the run."""
    try:
        session = sessions_of(websocket).get(session_id)
    except SessionNotFound:
        await not_found(websocket, f"session with id {session_id!r}")
        return
    await drive(websocket, session)


async def drive(websocket: WebSocket, session: Session) -> None:
    """A socket that drives a session (any lab's), within the session's socket cap."""
    slot = rate_limits_of(websocket).session_sockets.reserve(session.id)  # before any await
    if slot is None:
        limit = settings_of(websocket).max_sockets_per_session
        detail = (
            f"this session already has {limit} sockets driving it (NNPLAY_MAX_SOCKETS_PER_SESSION); close "
            "a tab, or follow it read-only through its watch link"
        )
        await websocket.send_denial_response(JSONResponse({"detail": detail}, status_code=429))
        return
    try:
        await serve(websocket, session, read_only=False)
    finally:
        slot.release()


@router.websocket("/ws/watch/{watch_id}")
async def watch_socket(websocket: WebSocket, watch_id: str) -> None:
    """A read-only view of a run: the same messages and frames, every command but ping refused."""
    try:
        session = sessions_of(websocket).get_watched(watch_id)
    except SessionNotFound:
        await not_found(websocket, f"run to watch with id {watch_id!r}")
        return
    await serve(websocket, session, read_only=True)
