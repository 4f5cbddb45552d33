"""Model families: each lab's model as a module on the engine seam (sessions/family.py, engine/seam.py).

`default_families()` is the app's registry: a lab's name in URLs and the API -> its family. A family's
module is imported when its lab is first asked for (the image lab's brings flax: ~0.5 s of a server's
start that the first screen, the playground, does not need); `load_all()` imports the rest, which the
server does in the background once the first screen's kernels are compiled.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterator, Mapping

from ..sessions.family import Family

# lab -> (module, class) of its family
FAMILIES = {
    "playground": ("nnplay.families.mlp.family", "MlpFamily"),
    "images": ("nnplay.families.cnn.family", "CnnFamily"),
    "sequences": ("nnplay.families.seq.family", "SeqFamily"),
    "generative": ("nnplay.families.gen.family", "GenFamily"),
}


class LazyFamilies(Mapping[str, Family]):
    """The families by lab, each made on first use (thread-safe: made once); membership and iteration
    read the names only."""

    def __init__(self, where: Mapping[str, tuple[str, str]]) -> None:
        self._where = dict(where)
        self._made: dict[str, Family] = {}
        self._lock = threading.Lock()

    def __getitem__(self, lab: str) -> Family:
        family = self._made.get(lab)
        if family is not None:
            return family
        module, name = self._where[lab]  # KeyError: no such lab
        with self._lock:
            if lab not in self._made:
                made: Family = getattr(importlib.import_module(module), name)()
                if made.lab != lab:
                    raise RuntimeError(f"{module}.{name} is the {made.lab!r} lab's family, not {lab!r}'s")
                self._made[lab] = made
            return self._made[lab]

    def __contains__(self, lab: object) -> bool:
        return lab in self._where

    def __iter__(self) -> Iterator[str]:
        return iter(self._where)

    def __len__(self) -> int:
        return len(self._where)

    def load_all(self) -> None:
        """Make every family now (blocking: imports)."""
        for lab in self._where:
            self[lab]


def default_families() -> LazyFamilies:
    return LazyFamilies(FAMILIES)
