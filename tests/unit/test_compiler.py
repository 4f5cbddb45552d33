"""The compile queue's order: a run waiting comes first, background work next, spare work (a kernel no run
needs yet, e.g. a warm standby) last, whatever order they were asked for in; and a finished job is let go."""

from __future__ import annotations

import threading
import weakref

from nnplay.engine.compiler import Compiler


def test_spare_compiles_wait_behind_background_and_urgent_ones_asked_for_after_them():
    compiler = Compiler()
    order: list[str] = []
    started, release = threading.Event(), threading.Event()

    def build(name: str, hold: bool = False):
        def run() -> str:
            if hold:
                started.set()
                release.wait(30)
            order.append(name)
            return name

        return run

    try:
        busy = compiler.request("busy", build("busy", hold=True), urgent=False)  # holds the background thread
        assert started.wait(30)
        spare = compiler.request("spare", build("spare"), urgent=False, spare=True)
        needed = compiler.request("needed", build("needed"), urgent=False)
        urgent = compiler.request("urgent", build("urgent"))
        assert urgent.result(30) == "urgent"  # its own thread: it never waits behind background work
        release.set()
        assert [f.result(30) for f in (busy, spare, needed)] == ["busy", "spare", "needed"]
        assert order == ["urgent", "busy", "needed", "spare"]
    finally:
        release.set()
        compiler.close()


class _Source:
    """What a builder compiles from (a run's state, in the engines)."""


def test_a_compile_thread_keeps_nothing_of_a_finished_builder():
    compiler = Compiler()
    try:
        for urgent in (True, False):
            source = _Source()
            gone = threading.Event()
            weakref.finalize(source, gone.set)
            future = compiler.request(("k", urgent), lambda source=source: "kernel", urgent=urgent)
            del source
            assert future.result(30) == "kernel"
            assert gone.wait(5), "the idle compile thread still holds the finished job's builder"
    finally:
        compiler.close()
