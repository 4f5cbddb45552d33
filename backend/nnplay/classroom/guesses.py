"""Wrong room codes: slow a guesser down without locking a class out.

Counted per address and code: the same typo from a whole class behind one address counts once, and only
distinct wrong codes within WINDOW_S count. Past LIMIT of them the address backs off: every lookup of a
code it has not used before is refused (429) for BACKOFF_S, doubled at each further lockout up to
MAX_BACKOFF_S, whether the code is right or not (the refusal must not tell a guesser it found one). A code
the address has already used successfully (the teacher who made the room, the first student in) stays
open to it: ten typos from one NAT once locked a whole class out of the right code for 60 s.

Owner: RoomService, on the event loop. The clock is passed in for tests.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

LIMIT = 10  # distinct wrong codes per address within WINDOW_S before it backs off
WINDOW_S = 60.0
BACKOFF_S = 30.0
MAX_BACKOFF_S = 15 * 60.0
MAX_ADDRESSES = 10_000  # past this, the least recently seen address is forgotten
MAX_KNOWN_CODES = 32  # good codes remembered per address


class TooManyWrongCodes(RuntimeError):
    """This client tried too many different wrong codes lately."""

    def __init__(self, retry_after_s: float) -> None:
        super().__init__(
            f"too many wrong room codes from this address (more than {LIMIT} different ones in "
            f"{WINDOW_S:.0f} s); check the code and try again in {int(retry_after_s) + 1} s"
        )
        self.retry_after_s = retry_after_s


@dataclass
class _Address:
    wrong: dict[str, float] = field(default_factory=dict)  # distinct wrong code -> when last tried
    known: OrderedDict[str, None] = field(default_factory=OrderedDict)  # codes used successfully
    blocked_until: float = 0.0
    lockouts: int = 0  # consecutive lockouts: each one doubles the next backoff


class WrongCodes:
    """Per address: its distinct wrong codes, its backoff and the codes it has used."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._addresses: OrderedDict[str, _Address] = OrderedDict()

    def check(self, client: str, code: str) -> None:
        """Raise TooManyWrongCodes if `client` is backing off and has not used `code` before."""
        entry = self._addresses.get(client)
        if entry is None or code in entry.known:
            return
        left = entry.blocked_until - self._clock()
        if left > 0:
            raise TooManyWrongCodes(left)

    def wrong(self, client: str, code: str) -> None:
        """`client` asked for a code that names no room."""
        now = self._clock()
        entry = self._entry(client)
        entry.wrong = {c: t for c, t in entry.wrong.items() if now - t <= WINDOW_S}
        entry.wrong[code] = now
        if len(entry.wrong) > LIMIT:
            if now - entry.blocked_until > WINDOW_S:  # a quiet minute since the last lockout forgives it
                entry.lockouts = 0
            entry.blocked_until = now + min(MAX_BACKOFF_S, BACKOFF_S * 2**entry.lockouts)
            entry.lockouts += 1
            entry.wrong.clear()

    def right(self, client: str, code: str) -> None:
        """`client` used `code` successfully (made the room, or found it while not backing off)."""
        known = self._entry(client).known
        known[code] = None
        known.move_to_end(code)
        while len(known) > MAX_KNOWN_CODES:
            known.popitem(last=False)

    def _entry(self, client: str) -> _Address:
        entry = self._addresses.get(client)
        if entry is None:
            entry = self._addresses[client] = _Address()
            while len(self._addresses) > MAX_ADDRESSES:
                self._addresses.popitem(last=False)
        self._addresses.move_to_end(client)
        return entry
