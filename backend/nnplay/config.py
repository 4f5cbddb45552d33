"""Server settings, from the environment (NNPLAY_*) and the CLI."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_FRONTEND = Path(__file__).resolve().parents[2] / "frontend"

# Hosts a browser on this machine uses to reach a loopback server; DNS rebinding sends anything else.
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1", "[::1]")
# Binding to these means "every interface": the names people use to reach it must be listed.
WILDCARD_BINDS = ("0.0.0.0", "::", "[::]", "")


def user_data_dir() -> Path:
    """Where nnplay keeps what must survive a restart (classroom rooms): $XDG_DATA_HOME/nnplay."""
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "nnplay"


class ServerSettings(BaseSettings):
    """Where to listen and how much to allow; safe defaults for a laptop."""

    model_config = SettingsConfigDict(env_prefix="NNPLAY_", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    # Extra host names (Host header, without port) the server answers to, besides loopback and the
    # bound host; "*" allows any (only behind a proxy that checks Host itself). JSON list.
    allowed_hosts: tuple[str, ...] = ()
    # Extra origins allowed to open websockets and to change state; the page's own origin always is.
    allowed_origins: tuple[str, ...] = ()
    token: str | None = None  # when set, every /api and /ws route requires it (?token= or Bearer)
    max_sessions: int = Field(default=64, ge=1)
    max_sessions_per_client: int = Field(default=16, ge=1)
    # Classroom runs (teachers' runs and students' forks) are bounded apart from the playground's sessions.
    max_classroom_sessions: int = Field(default=256, ge=1)
    # The runs of sweeps (experiments/), bounded apart too: one sweep holds up to 256 (experiments/plan.py).
    max_sweep_sessions: int = Field(default=256, ge=1)
    idle_timeout_s: float = Field(default=3600.0, gt=0)
    frontend_dir: Path = REPO_FRONTEND
    # Request bodies, counted as they arrive: JSON bodies as large as a websocket message may be (64 KiB,
    # protocol.MAX_MESSAGE_BYTES); a CSV upload of one's own points up to max_upload_bytes (its own check
    # caps the file at 256 KB).
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)
    max_upload_bytes: int = Field(default=300 * 1024, ge=1024)
    # Open websockets per client address, on every route (sessions, watch, images, rooms): a page holds one
    # to three, so a class of 100 behind one address fits.
    max_connections_per_client: int = Field(default=256, ge=1)
    # Sockets that drive one session (/ws/sessions/{id}: each gets every frame); watchers are paced together.
    max_sockets_per_session: int = Field(default=32, ge=1)
    # Addresses (or networks, e.g. "10.0.0.0/8") of reverse proxies whose X-Forwarded-For names the client;
    # none by default: a client is the address that connected. JSON list.
    trusted_proxies: tuple[str, ...] = ()
    # Token buckets per client address: sustained rate and burst.
    session_creations_per_minute: float = Field(default=30.0, gt=0)
    session_creation_burst: int = Field(default=30, ge=1)
    ws_messages_per_second: float = Field(default=100.0, gt=0)
    ws_message_burst: int = Field(default=200, ge=1)
    # "batched": one scheduler trains every session (a bucket's sessions in one vmapped call) and frames
    # are made in the background; "per_session": each session runs its own kernels and makes each frame
    # between chunks (the engine before the scheduler). Measured end to end (bench/classroom.py, 2 cores):
    # batched is ahead from one session (4,792 vs 4,203 epochs/s) to a class of 30 (227 vs 72 each).
    scheduler: Literal["batched", "per_session"] = "batched"
    # Frames per second the server makes across its watched training sessions; each session's share caps
    # its own frame rate, so frames never crowd out training. Unset: 1,200 on a CPU (100 students get
    # 10.9-11.2 frames/s each, a tick a frame less the ticks' jitter; 30 get 24-25, the ticks of 25 ms at
    # least holding them below their 40: bench/classroom.py, 2 cores, 2026-12-07; at 660, 30 got 22 and
    # 100 got 6.5) and 3,000 on an accelerator (engine/call_timing.py).
    frames_per_second: float | None = Field(default=None, gt=0)
    # Milliseconds of a training tick per session in it (the batched engine): longer ticks cost fewer round
    # trips, shorter ones give more frames. Unset: 1.5 on CPU, 0.5 on an accelerator, and at most 0.9 of a
    # session's frame interval at `frames_per_second` (a session gets at most a frame a tick).
    tick_ms_per_member: float | None = Field(default=None, gt=0, le=100)
    # Threads that run a training tick's calls side by side (one a core, on CPU below the priority of the
    # server's frames and sockets: engine/lanes.py). Unset: one a core, at most 8.
    training_threads: int | None = Field(default=None, ge=1, le=64)
    warmup: bool = True  # compile the default kernels at start-up, so the first Play is instant
    compilation_cache: bool = True
    data_dir: Path = Field(
        default_factory=user_data_dir
    )  # classroom rooms live in data_dir/classroom.sqlite3
    room_size: int = Field(default=100, ge=1, le=1000)  # students per classroom room
    # Rooms: in all and per client address, new rooms and joins per client address (token buckets), and
    # how long a room nobody uses lives on (a day; then its runs, members and snapshots are deleted).
    max_rooms: int = Field(default=100, ge=1)
    max_rooms_per_client: int = Field(default=10, ge=1)
    room_creations_per_minute: float = Field(default=2.0, gt=0)
    room_creation_burst: int = Field(default=10, ge=1)
    room_joins_per_minute: float = Field(default=60.0, gt=0)
    room_join_burst: int = Field(default=40, ge=1)
    room_idle_timeout_s: float = Field(default=86_400.0, gt=0)
    # The address students use (e.g. http://192.168.1.20:8000), for join links and QR codes; when unset,
    # the address the teacher's page was opened with.
    public_url: str | None = None
    # permessage-deflate on websockets: smaller frames on the wire, but every frame is compressed once per
    # client; on 2 cores 100 watchers then slowed the run to 0.08x at 6 frames/s each (0.75x at 23 frames/s
    # without; bench/viewers.py). Turn it on for a slow network with few clients.
    websocket_deflate: bool = False

    def trusted_hosts(self) -> list[str]:
        """The Host header values (without port) this server answers to."""
        # The bound address itself is safe to answer to (DNS rebinding needs a name the attacker owns);
        # a wildcard bind implies no other name.
        bound = self.host.strip().lower()
        hosts = [*LOOPBACK_HOSTS, *self.allowed_hosts]
        if bound:
            hosts.append(f"[{bound}]" if ":" in bound and not bound.startswith("[") else bound)
        return list(dict.fromkeys(hosts))
