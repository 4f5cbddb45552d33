"""A server restart in the middle of a class: the pages reconnect by themselves and find everything, and
a run that was training trains on without a click.

The server here is this test's own `nnplay serve` process, stopped (SIGTERM: the rooms are saved) and
started again on the same port and data directory while a teacher's and a student's pages stay open.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from playwright.sync_api import Browser, expect

from nnplay.inprocess import free_port, server_process

from conftest import ConsoleErrors, Playground

RECONNECT_TIMEOUT_MS = 60_000  # the page retries with backoff (at most 8 s apart); a restart takes seconds


def _server(port: int, data_dir: Path, log: Path) -> contextlib.AbstractContextManager[str]:
    env = {
        "NNPLAY_DATA_DIR": str(data_dir),
        "NNPLAY_WARMUP": "false",
        "NNPLAY_SESSION_CREATIONS_PER_MINUTE": "6000",
        "NNPLAY_ROOM_JOIN_BURST": "6000",
    }
    return server_process(log, "--log-level", "warning", port=port, env=env)


def test_pages_reconnect_after_a_server_restart_and_find_the_room_and_the_runs(
    browser: Browser, tmp_path: Path, results_dir: Path
):
    port, data, log = free_port(), tmp_path / "data", results_dir / "restart-server.log"
    people: dict[str, Playground] = {}
    contexts = []
    with _server(port, data, log) as base:
        for who in ("teacher", "Ada"):
            context = browser.new_context(base_url=base)
            contexts.append(context)
            page = context.new_page()
            people[who] = Playground(page, ConsoleErrors(page))
        teacher = people["teacher"].open("/")
        teacher.by_test_id("teach").click()
        teacher.by_test_id("qr-close").click()
        code = teacher.by_test_id("room-code").inner_text()
        ada = people["Ada"].open(f"/?room={code}")
        ada.by_test_id("join-name").fill("Ada")
        ada.by_test_id("join").click()
        expect(ada.by_test_id("room-banner")).to_be_visible()
        ada.by_test_id("fork").click()
        expect(ada.by_test_id("room-banner")).to_be_hidden()
        ada.by_test_id("learning-rate").select_option("0.1")
        ada.wait_for_server(lambda s: s["config"]["learning_rate"] == 0.1)
        for _ in range(4):
            ada.by_test_id("step").click()
        expect(ada.by_test_id("epoch")).to_have_text("4")
        # Ada's run is training when the server goes down.
        ada.by_test_id("play").click()
        ada.wait_until(lambda: ada.epoch() > 40, 60, "Ada's run to train")
        expect(teacher.by_test_id("student-tile")).to_have_count(1)
        old_run, old_teacher_run = ada.session_id(), teacher.session_id()
        epoch_before = ada.epoch()

    # The server is down: both pages say so and keep trying.
    expect(ada.by_test_id("status")).to_contain_text("reconnecting…", timeout=RECONNECT_TIMEOUT_MS)
    for person in people.values():  # what a page logs while its server is away is expected
        person.console.allow("WebSocket connection to")
        person.console.allow("Failed to load resource")

    with _server(port, data, log):
        # Ada's page finds her run again (under a new id) with its settings, training on from where it
        # was, without anyone pressing play.
        expect(ada.by_test_id("status")).not_to_contain_text("reconnecting…", timeout=RECONNECT_TIMEOUT_MS)
        ada.wait_until(lambda: ada.session_id() != old_run, 60, "Ada's page to follow her restored run")
        expect(ada.by_test_id("status")).to_contain_text("training", timeout=RECONNECT_TIMEOUT_MS)
        expect(ada.by_test_id("play")).to_have_attribute("aria-pressed", "true")
        ada.wait_until(lambda: ada.epoch() > epoch_before + 100, 60, "Ada's run to train on by itself")
        expect(ada.by_test_id("learning-rate").locator("option:checked")).to_have_text("0.1")
        expect(ada.by_test_id("room-code")).to_have_text(code)
        expect(ada.by_test_id("watch")).to_be_visible()
        assert ada.server_session()["config"]["learning_rate"] == 0.1
        # The teacher's page is back on the room: Ada's tile, and a run that can still be driven.
        expect(teacher.by_test_id("room-code")).to_have_text(code, timeout=RECONNECT_TIMEOUT_MS)
        expect(teacher.by_test_id("student-tile")).to_have_count(1, timeout=RECONNECT_TIMEOUT_MS)
        expect(teacher.by_test_id("student-tile")).to_contain_text("Ada")
        # The teacher's page drives its restored run.
        teacher.wait_until(lambda: teacher.session_id() != old_teacher_run, 60, "the teacher's restored run")
        status = teacher.by_test_id("status")
        expect(status).not_to_contain_text("reconnecting…", timeout=RECONNECT_TIMEOUT_MS)
        expect(status).to_contain_text("paused")  # it was paused: it stays paused
        teacher.by_test_id("step").click()
        expect(teacher.by_test_id("epoch")).to_have_text("1", timeout=RECONNECT_TIMEOUT_MS)
        expect(teacher.by_test_id("student-tile")).to_contain_text("training")
        ada.page.screenshot(path=str(results_dir / "classroom-after-restart-student.png"))
        teacher.page.screenshot(path=str(results_dir / "classroom-after-restart-teacher.png"))
    for who, person in people.items():
        assert person.console.unexpected() == [], who
    for context in contexts:
        context.close()
