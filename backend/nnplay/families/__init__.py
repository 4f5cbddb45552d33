"""Model families: each lab's model as a module on the engine seam (sessions/family.py, engine/seam.py).

`default_families()` is the app's registry: a lab's name in URLs and the API -> its family."""

from __future__ import annotations

from ..sessions.family import Family


def default_families() -> dict[str, Family]:
    from .cnn.family import CnnFamily
    from .gen.family import GenFamily
    from .mlp.family import MlpFamily
    from .seq.family import SeqFamily

    families: list[Family] = [MlpFamily(), CnnFamily(), SeqFamily(), GenFamily()]
    return {family.lab: family for family in families}
