"""cluster/late_runs.py: a run made for an abandoned ticket is given back to be removed, whichever of the
run and the abandon comes first, and tickets are forgotten after their time."""

from __future__ import annotations

from nnplay.cluster import late_runs
from nnplay.cluster.late_runs import LateRuns


def test_the_abandon_after_the_run_names_the_run_and_the_abandon_before_it_refuses_it():
    runs = LateRuns()
    assert runs.made("a", "run-a") is False
    assert runs.abandon("a") == "run-a"
    assert runs.abandon("b") is None
    assert runs.made("b", "run-b") is True  # abandoned first: the caller removes it
    assert runs.abandon("a") is None and len(runs) == 1  # "a" again: nothing more to remove
    assert runs.made("c", "run-c") is False


def test_tickets_are_forgotten_after_their_time(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(late_runs.time, "monotonic", lambda: clock[0])
    runs = LateRuns(ttl_s=300.0)
    runs.made("a", "run-a")
    runs.abandon("b")
    assert len(runs) == 2
    clock[0] += 301.0
    assert runs.abandon("c") is None
    assert len(runs) == 1  # only "c"
    assert runs.made("b", "run-b") is False  # "b"'s abandon was forgotten
