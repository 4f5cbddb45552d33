"""Kernels kept on disk as executables (engine/executables.py): loaded without tracing where they were
compiled before for the same key, arguments and source, bit for bit the kernel compiled afresh; anything
else (another key, other shapes, other source, a damaged file) is compiled; a kernel that JAX's own cache
answered is never stored (it would serialize incomplete).

Each test's functions are salted with a number of their own, so that JAX's persistent cache (shared by
the suite's processes) has never seen them: their first compile is a fresh one."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from nnplay.engine import executables
from nnplay.engine.resident import compile_stacked
from nnplay.engine.seam import use_state
from nnplay.families import default_families


@pytest.fixture
def kept(tmp_path: Path) -> Iterator[Path]:
    before = executables._directory
    executables.enable(tmp_path)
    yield tmp_path
    executables.enable(before)


def salted(fn):  # a function JAX's cache has never seen (its HLO holds a new constant)
    salt = np.float32(secrets.randbelow(2**20) + 2)

    def run(*args):
        out = fn(*args)
        return jax.tree.map(lambda leaf: leaf * (salt / salt) if leaf.dtype == jnp.float32 else leaf, out)

    return run


def double(x: jax.Array, y: jax.Array) -> jax.Array:
    return 2 * x + y


def test_a_kernel_compiled_once_is_loaded_after_for_the_same_key_and_shapes(kept: Path) -> None:
    _double = salted(double)
    args = (np.arange(4, dtype=np.float32), np.float32(1))
    start = executables.counts()
    first = executables.compile(_double, args, ("double",))
    again = executables.compile(_double, args, ("double",))
    counts = executables.counts()
    assert counts["compiled"] - start["compiled"] == 1 and counts["loaded"] - start["loaded"] == 1
    np.testing.assert_array_equal(again(*args), first(*args))
    # another key, or other shapes: compiled, not loaded
    executables.compile(_double, args, ("triple",))
    executables.compile(_double, (np.arange(5, dtype=np.float32), np.float32(1)), ("double",))
    assert executables.counts()["loaded"] == counts["loaded"]
    assert executables.counts()["compiled"] == counts["compiled"] + 2


def test_a_damaged_file_is_removed_and_its_kernel_compiled_again(kept: Path) -> None:
    _double = salted(double)
    args = (np.ones(3, np.float32), np.float32(0))
    executables.compile(_double, args, ("damaged",))
    (stored,) = kept.iterdir()
    stored.write_bytes(b"not an executable")
    kernel = executables.compile(_double, args, ("damaged",))
    np.testing.assert_array_equal(kernel(*args), np.full(3, 2, np.float32))
    assert not stored.exists() or stored.read_bytes() != b"not an executable"


def test_other_source_names_another_executable(monkeypatch: pytest.MonkeyPatch) -> None:
    args = (np.ones(3, np.float32), np.float32(0))
    name = executables._name(("k",), args)
    monkeypatch.setattr(executables, "_source_digest", lambda: "another build")
    assert executables._name(("k",), args) != name


def test_without_a_directory_nothing_is_stored() -> None:
    before = executables._directory
    executables.enable(None)
    try:
        start = executables.counts()
        kernel = executables.compile(lambda x: jnp.sin(x), (np.zeros(2, np.float32),), ("none",))
        np.testing.assert_array_equal(kernel(np.zeros(2, np.float32)), np.zeros(2, np.float32))
        assert executables.counts()["stored"] == start["stored"]
    finally:
        executables.enable(before)


def test_a_loaded_training_kernel_trains_bit_for_bit_as_the_compiled_one(kept: Path) -> None:
    family = default_families()["playground"]
    plan = family.make_plan(
        family.make_config(None, {"dataset": "spiral", "hidden_layers": [6, 4]}), None, None
    )
    use = plan.train_uses()[-1]
    state = use_state(use, family.fresh_state(plan))
    chunk = salted(use.build())
    compiled = compile_stacked(chunk, 2, state, use.inputs, use.key)
    start = executables.counts()
    loaded = compile_stacked(chunk, 2, state, use.inputs, use.key)
    # the (salted, never seen) training kernel is loaded; write and read, which every shard of these
    # shapes shares, may have come from JAX's cache earlier in this process (then they are not stored)
    counts = executables.counts()
    assert counts["loaded"] - start["loaded"] >= 1 and counts["compiled"] - start["compiled"] <= 2
    stack = jax.tree.map(lambda leaf: np.stack([leaf, leaf]), state)
    inputs = jax.tree.map(lambda leaf: np.stack([leaf, leaf]), use.inputs)
    n = np.array([25, 40], np.int32)
    for a, b in zip(
        jax.tree.leaves(jax.device_get(compiled.train(stack, inputs, n))),
        jax.tree.leaves(jax.device_get(loaded.train(stack, inputs, n))),
        strict=True,
    ):
        np.testing.assert_array_equal(a, b)


PROCESS = """
import sys
from pathlib import Path
import jax, numpy as np
from nnplay.engine import executables, runtime
runtime.enable_compilation_cache(sys.argv[1])  # JAX's cache there; executables in its executables/
executables.enable(Path(sys.argv[2]))
salt = np.float32(float(sys.argv[3]))
kernel = executables.compile(lambda x: x * (salt / salt) + 1, (np.arange(3, dtype=np.float32),), ("hit",))
print(executables.counts()["stored"], kernel(np.arange(3, dtype=np.float32)).tolist())
"""


def test_a_kernel_that_jaxs_own_cache_answered_is_not_stored_and_still_runs(tmp_path: Path) -> None:
    salt = str(secrets.randbelow(2**20) + 2)

    def process(executables_dir: Path) -> str:
        env = {**os.environ, "JAX_COMPILATION_CACHE_DIR": ""}  # the script's own cache, not the suite's
        done = subprocess.run(
            [sys.executable, "-c", PROCESS, str(tmp_path / "jax"), str(executables_dir), salt],
            capture_output=True, text=True, timeout=120, env=env, check=True,
        )  # fmt: skip
        return done.stdout.strip()

    assert process(tmp_path / "first") == "1 [1.0, 2.0, 3.0]"  # compiled afresh: stored
    assert process(tmp_path / "second") == "0 [1.0, 2.0, 3.0]"  # JAX's cache answered: not stored
    assert process(tmp_path / "first") == "0 [1.0, 2.0, 3.0]"  # the stored one loads and runs
