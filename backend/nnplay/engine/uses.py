"""Which use of its plan a run trains in this tick (seam.TrainUse): the first whose kernel is compiled, asking
for the compiles of those before it, sized for the runs of the tick that want them; while none is, a
compiled standby. A run that trains in its own use asks for its plan's warm standbys in the background.
Called by the scheduler's worker only; the compiles themselves are the shard sizes' (sizes.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Sequence
from typing import Any, NamedTuple

from .seam import TrainUse, use_state
from .sizes import ShardSizes


class Choice(NamedTuple):
    use: TrainUse | None  # None: nothing compiled yet (the run waits for the next tick)
    failure: Exception | None = None  # the compile of the plan's last own use failed: the run hears it


def wanting(uses_of: Iterable[Sequence[TrainUse]]) -> dict[Hashable, int]:
    """Use key -> how many runs of the tick have it among their plans' uses (the size to compile for)."""
    counts: dict[Hashable, int] = defaultdict(int)
    for uses in uses_of:
        for use in uses:
            counts[use.key] += 1
    return counts


def choose(
    sizes: ShardSizes, uses: Sequence[TrainUse], state: Any, client: str, wanted: dict[Hashable, int]
) -> Choice:
    """The first own use with a compiled kernel (the compiles of those before it asked for); while none is,
    a compiled standby (the last use's compile asked for in the background), else none (asked for first)."""
    own = [use for use in uses if not use.standby]
    for i, use in enumerate(own):
        if sizes.of(use.key):
            warm(sizes, uses, state)
            return Choice(use)
        last = i == len(own) - 1
        standby = next((u for u in uses if u.standby and sizes.of(u.key)), None) if last else None
        size = sizes.size_for(use, wanted.get(use.key, 0))
        sizes.request(use, size, use_state(use, state), client, urgent=last and standby is None)
        failure = sizes.failure(use, size)
        if failure is not None and last:
            return Choice(None, failure)
        if last:
            return Choice(standby)
    return Choice(None)


def warm(sizes: ShardSizes, uses: Sequence[TrainUse], state: Any) -> None:
    """Ask, after any other background compile, for the plan's warm standbys (a lone run's shard) not
    compiled yet; not on the client's share of the compile queue, which its own edits need."""
    for use in uses:
        if use.warm and sizes.wanted(use, size := sizes.size_for(use, 1)):
            sizes.request(use, size, use_state(use, state), spare=True)
