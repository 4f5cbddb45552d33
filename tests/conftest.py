"""Shared test setup: tests import the installed package `nnplay` from backend/.

No test reads or writes the user's own data: every server this process starts (in process or as
`nnplay serve`) keeps its classroom store in a scratch directory unless a test names another, and the
run's compiled kernels in a compile cache of its own (a user's long-lived cache, written by processes
that were killed mid-write, must not decide whether the suite passes; CI starts from an empty one too).
"""

import functools
import os
import tempfile
from collections.abc import Callable
from typing import Any

import httpx

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
