"""Shared test setup: tests import the installed package `nnplay` from backend/.

No test reads or writes the user's own data: every server this process starts (in process or as
`nnplay serve`) keeps its classroom store in a scratch directory unless a test names another.
"""

import os
import tempfile

os.environ.setdefault("NNPLAY_DATA_DIR", tempfile.mkdtemp(prefix="nnplay-tests-"))
