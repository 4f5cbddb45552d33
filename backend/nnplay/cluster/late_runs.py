"""The runs a shard made for requests the gateway may give up on: each such request carries a ticket, and
a gateway that stops waiting for it says so (`EngineShard.abandon`). A run made for an abandoned ticket is
not kept, whichever comes first: the abandon (the run is removed as soon as it is made) or the run (it is
removed when the abandon comes). Without it a shard that started a request late by its own clock (queued
in Ray over REPLY_GRACE_S) kept a run that no page heard of. Owned by the shard's event loop; no I/O.
"""

from __future__ import annotations

import time

TICKET_TTL_S = 300.0  # a ticket is remembered this long (a gateway gives up after REQUEST_TIMEOUT_S)


class LateRuns:
    def __init__(self, ttl_s: float = TICKET_TTL_S) -> None:
        self.ttl_s = ttl_s
        self._made: dict[str, tuple[str, float]] = {}  # ticket -> (the run made for it, when)
        self._abandoned: dict[str, float] = {}  # tickets given up on before their run was made

    def made(self, ticket: str, run: str) -> bool:
        """A run was made for `ticket`: True if it was abandoned already (the caller removes the run)."""
        self._prune()
        if self._abandoned.pop(ticket, None) is not None:
            return True
        self._made[ticket] = (run, time.monotonic())
        return False

    def abandon(self, ticket: str) -> str | None:
        """The gateway gave up on `ticket`: the run made for it (the caller removes it), or None (a run
        made for it later is not kept)."""
        self._prune()
        made = self._made.pop(ticket, None)
        if made is not None:
            return made[0]
        self._abandoned[ticket] = time.monotonic()
        return None

    def _prune(self) -> None:
        oldest = time.monotonic() - self.ttl_s
        for ticket in [t for t, (_, at) in self._made.items() if at < oldest]:
            del self._made[ticket]
        for ticket in [t for t, at in self._abandoned.items() if at < oldest]:
            del self._abandoned[ticket]

    def __len__(self) -> int:
        return len(self._made) + len(self._abandoned)
