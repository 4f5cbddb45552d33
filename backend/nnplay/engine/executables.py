"""Compiled kernels kept on disk as XLA executables and loaded without tracing.

JAX's persistent compilation cache saves a kernel's compile, but to find it JAX still traces and lowers
the kernel (~0.3 s for a training kernel here): at a warm start-up most of the wait for the first frame.
Here a kernel is named by what it is compiled for, without tracing: its key (by the engine's contract a
key decides its function: runs of one key share one kernel), the shapes, types and structure of its
arguments, nnplay's own source, jax's and jaxlib's versions, the device and XLA's flags; a stored
executable of that name is loaded straight (`jax.experimental.serialize_executable`).

On where JAX's persistent cache is on (runtime.enable_compilation_cache: under its directory, in
`executables/`). Only a kernel compiled afresh is stored: one that JAX loaded from its own cache
serializes incomplete on CPU (its calls fail with "Function ... not found"), and one from jit's
in-memory cache may be such a one. So a kernel that JAX's cache already holds (e.g. compiled by an older
nnplay) is never stored, and is found through JAX's cache, traced and lowered, as before. Loading runs
what the file holds, so the directory must be as trusted as JAX's own cache (the user's). Any failure to
read or write falls back to compiling; a file that cannot be loaded is removed. A kernel that cannot be
serialized (one closing over large constants) is compiled each time, as before. Files are written whole
(a temporary file renamed), so processes may share the directory.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import pickle
import tempfile
import threading
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any

import jax
import jaxlib
from jax.experimental import serialize_executable

from .runtime import compiled_afresh

log = logging.getLogger(__name__)
_directory: Path | None = None
_lock = threading.Lock()
_counts = {"loaded": 0, "stored": 0, "compiled": 0}


def enable(directory: Path | None) -> None:
    """Keep executables in `directory` (None: never; every kernel is compiled)."""
    global _directory
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
    _directory = directory


def counts() -> dict[str, int]:
    """Kernels loaded from disk, stored to it, and compiled (with or without storing) in this process."""
    with _lock:
        return dict(_counts)


def _count(what: str) -> None:
    with _lock:
        _counts[what] += 1


@functools.cache
def _source_digest() -> str:
    """nnplay's own source: a changed kernel function must never load an executable of the old one."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent.parent
    for path in sorted(package.rglob("*.py")):
        digest.update(str(path.relative_to(package)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _signature(args: tuple[Any, ...]) -> str:
    leaves, treedef = jax.tree.flatten(args)
    shapes = [str(jax.typeof(leaf)) for leaf in leaves]  # shape, dtype and weak type
    return f"{treedef}|{shapes}"


def _name(key: Hashable, args: tuple[Any, ...]) -> str:
    device = jax.devices()[0]
    facts = (
        _source_digest(),
        jax.__version__,
        jaxlib.__version__,
        device.platform,
        device.device_kind,
        os.environ.get("XLA_FLAGS", ""),
        jax.config.read("jax_enable_x64"),
        repr(key),
        _signature(args),
    )
    return hashlib.sha256(repr(facts).encode()).hexdigest()


def compile(fn: Callable[..., Any], args: tuple[Any, ...], key: Hashable) -> Any:
    """`jax.jit(fn).lower(*args).compile()`, loaded from disk when it was compiled before for `key`."""
    directory = _directory
    if directory is None:
        _count("compiled")
        return jax.jit(fn).lower(*args).compile()
    path = directory / _name(key, args)
    if path.exists():
        try:
            payload, in_tree, out_tree = pickle.loads(path.read_bytes())
            loaded = serialize_executable.deserialize_and_load(
                payload, in_tree, out_tree, execution_devices=jax.devices()[:1]
            )
        except Exception as exc:  # damaged, or of another build: compile it again
            log.warning("a stored kernel could not be loaded (%s); compiling it", exc)
            path.unlink(missing_ok=True)
        else:
            _count("loaded")
            return loaded
    compiled, afresh = compiled_afresh(lambda: jax.jit(fn).lower(*args).compile())
    _count("compiled")
    if not afresh:  # from JAX's cache or jit's: it may serialize incomplete
        return compiled
    try:
        blob = pickle.dumps(serialize_executable.serialize(compiled))
    except Exception as exc:  # e.g. closed-over constants: compiled each time, as before
        log.debug("kernel %r not stored: %s", key, exc)
    else:
        _store(path, blob)
    return compiled


def _store(path: Path, blob: bytes) -> None:
    """Write `blob` to `path` whole (a temporary file renamed), or not at all."""
    try:
        handle, name = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(blob)
            os.replace(name, path)
        except OSError:
            Path(name).unlink(missing_ok=True)
            raise
    except OSError as exc:  # a full disk, a read-only cache: compiled each time
        log.debug("kernel not stored at %s: %s", path, exc)
        return
    _count("stored")
