"""Shared test setup: tests import the installed package `nnplay` from backend/.

No test reads or writes the user's own data: every server this process starts (in process or as
`nnplay serve`) keeps its classroom store in a scratch directory unless a test names another, and the
run's compiled kernels in a compile cache of its own (a user's long-lived cache, written by processes
that were killed mid-write, must not decide whether the suite passes; CI starts from an empty one too).
"""

import os
import tempfile

os.environ.setdefault("NNPLAY_DATA_DIR", tempfile.mkdtemp(prefix="nnplay-tests-"))
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", tempfile.mkdtemp(prefix="nnplay-tests-jax-"))
