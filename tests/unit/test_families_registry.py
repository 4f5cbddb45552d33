"""The labs' registry imports a family's module when its lab is first asked for: a server's start does not
pay for the labs the first screen does not show (the image lab's flax: ~0.5 s)."""

import subprocess
import sys
import threading

import pytest

from nnplay.families import FAMILIES, LazyFamilies, default_families

START = """
import sys
from nnplay.app import create_app
from nnplay.config import ServerSettings
app = create_app(ServerSettings(warmup=False, compilation_cache=False))
labs = app.state.sessions.families
assert "images" in labs and list(labs) == ["playground", "images", "sequences", "generative"]
print(sorted(m for m in ("flax", "nnplay.families.cnn.family", "nnplay.families.seq.family",
                         "nnplay.families.gen.family", "nnplay.families.mlp.family") if m in sys.modules))
labs["images"]
print("flax" in sys.modules)
"""


def test_a_server_starts_without_importing_any_lab_and_imports_one_when_asked() -> None:
    out = subprocess.run(
        [sys.executable, "-c", START], capture_output=True, text=True, timeout=120, check=True
    )
    before, after = out.stdout.strip().splitlines()
    assert before == "[]", out.stdout
    assert after == "True"  # the image lab's family (its CNN is flax's) once asked for


def test_each_family_is_made_once_even_when_asked_from_many_threads() -> None:
    labs = default_families()
    seen: list[object] = []
    threads = [threading.Thread(target=lambda: seen.append(labs["sequences"])) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 8 and all(family is seen[0] for family in seen)
    assert labs["sequences"].lab == "sequences"
    labs.load_all()
    assert [labs[lab].lab for lab in labs] == list(FAMILIES)
    with pytest.raises(KeyError):
        labs["nope"]
    assert "nope" not in labs and len(labs) == 4


def test_a_registry_entry_of_another_labs_family_is_refused() -> None:
    wrong = LazyFamilies({"images": FAMILIES["playground"]})
    with pytest.raises(RuntimeError, match="'playground' lab's family, not 'images'"):
        wrong["images"]
