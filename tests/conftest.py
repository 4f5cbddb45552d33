"""Shared test setup: tests import the installed package `nnplay` from backend/.

No test reads or writes the user's own data: every server this process starts (in process or as
`nnplay serve`) keeps its classroom store in a scratch directory unless a test names another, and the
run's compiled kernels in a compile cache of its own (a user's long-lived cache, written by processes
that were killed mid-write, must not decide whether the suite passes; CI starts from an empty one too).
"""

import functools
import gc
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

os.environ.setdefault("NNPLAY_DATA_DIR", tempfile.mkdtemp(prefix="nnplay-tests-"))
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", tempfile.mkdtemp(prefix="nnplay-tests-jax-"))

# A test's HTTP calls wait up to a minute for the answer (httpx's default is 5 s): on a loaded 2-core
# machine a first session's plan and compile, or a restart, take longer, and a test is about what the
# server answers, never how fast (benchmarks time things).
TEST_HTTP_TIMEOUT_S = 60.0


def _patient(call: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(call)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", TEST_HTTP_TIMEOUT_S)
        return call(*args, **kwargs)

    return wrapper


for _name in ("request", "get", "head", "post", "put", "patch", "delete"):
    setattr(httpx, _name, _patient(getattr(httpx, _name)))


# Every kernel XLA compiles keeps a few memory maps for its code while JAX's caches hold it, and a level
# of the suite compiles thousands in one process: the unit level reached ~63,000 of Linux's 65,530 maps a
# process (vm.max_map_count), and past the limit XLA crashes (a segfault while writing the compile cache,
# 2026-12-07). Between test files, once a process holds half the limit (or NNPLAY_TEST_MAX_MAPS), JAX's
# caches are dropped (measured: 200 small compiles added 1,460 maps; 1,386 went with the caches) and later
# tests reload what they need from the compile cache on disk: the unit level then dropped them once, at
# ~35,000 maps, and took 7:48.
_MAPS = Path("/proc/self/maps")
_MAX_MAPS = Path("/proc/sys/vm/max_map_count")
_clear_above = 0  # maps; set at the first check


def map_count() -> int:
    """How many memory maps this process holds (0 where /proc does not say)."""
    try:
        return _MAPS.read_bytes().count(b"\n")
    except OSError:
        return 0


def map_limit() -> int:
    try:
        return int(_MAX_MAPS.read_text())
    except (OSError, ValueError):
        return 65530


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    global _clear_above
    # Only between two test files: a module's fixtures (a server warmed for its tests) keep what they
    # compiled for the tests after them. A file's tests add a few thousand maps at most.
    if (nextitem is not None and nextitem.path == item.path) or "jax" not in sys.modules:
        return
    half = int(os.environ.get("NNPLAY_TEST_MAX_MAPS", map_limit() // 2))
    _clear_above = _clear_above or half
    held = map_count()
    if held > _clear_above:
        sys.modules["jax"].clear_caches()
        gc.collect()
        now = map_count()
        # Maps the caches did not hold (a running server's kernels, threads) stay: the next drop waits for
        # a quarter of the limit more, instead of dropping the caches after every file for nothing.
        _clear_above = max(half, now + half // 2)
        line = f"{held} memory maps after {item.nodeid}: JAX's caches dropped, {now} now"
        capture = item.config.pluginmanager.get_plugin("capturemanager")
        reporter = item.config.pluginmanager.get_plugin("terminalreporter")
        if capture is not None and reporter is not None:
            with capture.global_and_fixture_disabled():
                reporter.write_line(line)
