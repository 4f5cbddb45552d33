"""The gateway finds the owner of every lab's runs: a path that names a run, a watch or a room gives its
key, so the request or the tunnel goes to the shard that holds it (a lab left out would reach a random
shard, which knows nothing of the run)."""

from __future__ import annotations

import re

import pytest

from nnplay.cluster.routes import NEW_RUNS, RUN_OPENED, owned_key


@pytest.mark.parametrize(
    ("path", "owner"),
    [
        ("/api/sessions/abc", ("session", "abc")),
        ("/ws/sessions/abc", ("session", "abc")),
        ("/api/images/sessions/abc/points", ("session", "abc")),
        ("/ws/images/abc", ("session", "abc")),
        ("/api/sequences/sessions/abc", ("session", "abc")),
        ("/ws/sequences/abc", ("session", "abc")),
        ("/api/generative/sessions/abc/points", ("session", "abc")),
        ("/ws/generative/abc", ("session", "abc")),
        ("/ws/watch/w1", ("watch", "w1")),
        ("/api/rooms/abcdef/join", ("room", "ABCDEF")),
        ("/api/sweeps/s1/report", ("sweep", "s1")),
        ("/ws/sweeps/s1", ("sweep", "s1")),
        ("/api/sweeps", None),
        ("/api/lessons", None),
    ],
)
def test_a_path_names_its_owner(path: str, owner: tuple[str, str] | None) -> None:
    assert owned_key(path) == owner


def test_every_route_of_the_app_that_names_a_run_is_routed_to_its_owner_and_every_lab_makes_runs() -> None:
    from nnplay.app import create_app

    paths = create_app().openapi()["paths"]
    named = [p for p in paths if "{session_id}" in p]
    assert len(named) >= 6
    for path in named:
        concrete = re.sub(r"\{[^}]+\}", "abc", path)
        assert owned_key(concrete) == ("session", "abc"), path
    makers = {p for p in paths if p.endswith("/sessions") and "post" in paths[p]}
    assert makers == set(NEW_RUNS)
    sweeps = [p for p in paths if "{sweep_id}" in p]  # a sweep's routes reach the shard that trains it
    assert len(sweeps) >= 4  # (websockets are not in the OpenAPI paths)
    for path in sweeps:
        assert owned_key(re.sub(r"\{[^}]+\}", "s1", path)) == ("sweep", "s1"), path
    assert RUN_OPENED.match("/api/sweeps/s1/runs/3/open") and RUN_OPENED.match("/api/runs/my%20run/open")
