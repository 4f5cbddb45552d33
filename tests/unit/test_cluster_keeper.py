"""The local cluster's keeper dies with the process that started it (a test run killed mid-way must not
leave a Ray cluster, Postgres and Redis running behind it)."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

# The parent starts a keeper-like child, waits until it has called die_with_parent(), prints its pid and
# exits without stopping it.
PARENT = """
import subprocess, sys
quiet = dict(stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
child = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, **quiet)
child.stdout.readline()
print(child.pid, flush=True)
"""
CHILD = """
import time
from nnplay.cluster.local import die_with_parent
die_with_parent()
print("armed", flush=True)
time.sleep(60)
"""


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def orphaned_child(opted_in: bool) -> int:
    env = {**os.environ, "NNPLAY_CLUSTER_DIE_WITH_PARENT": "1" if opted_in else "0"}
    code = f"CHILD = {CHILD!r}\n{PARENT}"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return int(out.stdout.strip())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl(PR_SET_PDEATHSIG) is Linux's")
def test_a_keeper_that_opted_in_ends_when_its_parent_dies_and_one_that_did_not_lives_on() -> None:
    kept, left = orphaned_child(opted_in=True), orphaned_child(opted_in=False)
    try:
        deadline = time.monotonic() + 20
        while alive(kept) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not alive(kept)
        assert alive(left)  # without the setting nothing changes (the check above could not pass by luck)
    finally:
        for pid in (kept, left):
            if alive(pid):
                os.kill(pid, 9)
