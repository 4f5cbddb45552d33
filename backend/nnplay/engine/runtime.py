"""Process-wide JAX setup: the persistent compilation cache, device facts and a compile counter."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import jax

T = TypeVar("T")
_COMPILE_EVENT = "/jax/core/compile/backend_compile_duration"  # XLA compiled, or JAX's cache answered
_CACHE_HIT_EVENT = "/jax/compilation_cache/cache_hits"  # JAX's persistent cache answered
_lock = threading.Lock()
_compiles = 0
_background_compiles = 0
_thread = threading.local()


def _on_duration(event: str, duration_secs: float, **_: str | int) -> None:
    # JAX reports a compile on the thread that compiled, so a thread-local flag attributes it.
    global _compiles, _background_compiles
    if event == _COMPILE_EVENT:
        _thread.backend = True
        with _lock:
            _compiles += 1
            if getattr(_thread, "background", False):
                _background_compiles += 1


def _on_event(event: str, **_: str | int) -> None:
    if event == _CACHE_HIT_EVENT:
        _thread.cache_hit = True


jax.monitoring.register_event_duration_secs_listener(_on_duration)
jax.monitoring.register_event_listener(_on_event)


def compiled_afresh(compile: Callable[[], T]) -> tuple[T, bool]:
    """`compile()`'s result, and whether XLA compiled it on this thread just now (neither JAX's persistent
    cache nor jit's in-memory cache answered)."""
    _thread.backend = _thread.cache_hit = False
    result = compile()
    return result, _thread.backend and not _thread.cache_hit


def compile_count() -> int:
    """Backend compilations in this process so far (cache hits of jit's in-memory cache don't count)."""
    with _lock:
        return _compiles


@contextlib.contextmanager
def background_compiles() -> Iterator[None]:
    """Count compiles in this block (this thread) as background work, not as the edit path's."""
    _thread.background = True
    try:
        yield
    finally:
        _thread.background = False


def background_compile_count() -> int:
    """Compiles made inside `background_compiles()` blocks (the exact kernels and their data)."""
    with _lock:
        return _background_compiles


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "nnplay" / "jax"


def enable_compilation_cache(path: str | Path | None = None) -> Path:
    """Persist compiled kernels across restarts (JAX_COMPILATION_CACHE_DIR wins if set)."""
    target = Path(os.environ.get("JAX_COMPILATION_CACHE_DIR") or path or default_cache_dir())
    target.mkdir(parents=True, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", str(target))
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    from . import executables  # (it uses this module)

    executables.enable(target / "executables")  # kernels loaded without tracing (executables.py)
    return target


def device_info() -> dict[str, Any]:
    devices = jax.devices()
    return {
        "device": devices[0].platform,
        "devices": [str(d) for d in devices],
        "jax_version": jax.__version__,
    }
