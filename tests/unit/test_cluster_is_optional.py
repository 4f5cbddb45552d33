"""The single-process server needs none of the cluster's parts: importing it loads no ray, redis or
psycopg (they are the `cluster` extra, imported only inside nnplay.cluster)."""

from __future__ import annotations

import subprocess
import sys


def test_the_server_and_the_cli_import_no_cluster_dependency() -> None:
    code = (
        "import sys, nnplay.app, nnplay.cli, nnplay.classroom.hub, nnplay.api.routes.ws\n"
        "print(sorted({'ray', 'redis', 'psycopg'} & {m.split('.')[0] for m in sys.modules}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
