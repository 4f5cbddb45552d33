"""A click made while the server restarts reaches the run the page goes on with, not the socket of the run
the restarted server no longer has (which accepts the page's reconnect and closes it at once)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, expect

from nnplay.inprocess import free_port, server_process

from conftest import ConsoleErrors, Playground

RECONNECT_TIMEOUT_MS = 60_000  # the page retries with backoff (at most 8 s apart); a restart takes seconds


def test_play_pressed_while_the_server_restarts_starts_the_run_the_page_continues_with(
    browser: Browser, tmp_path: Path, results_dir: Path
):
    port, log = free_port(), results_dir / "reconnect-queue-server.log"
    env = {"NNPLAY_DATA_DIR": str(tmp_path / "data"), "NNPLAY_WARMUP": "false"}
    with server_process(log, "--log-level", "warning", port=port, env=env) as base:
        context = browser.new_context(base_url=base)
        page = context.new_page()
        app = Playground(page, ConsoleErrors(page)).open("/?speed=0&learningRate=0.1")
        old_run = app.session_id()
    expect(app.by_test_id("status")).to_contain_text("reconnecting…", timeout=RECONNECT_TIMEOUT_MS)
    app.console.allow("WebSocket connection to")
    app.console.allow("Failed to load resource")
    app.by_test_id("play").click()  # queued: no server answers now

    with server_process(log, "--log-level", "warning", port=port, env=env):
        app.wait_until(lambda: app.session_id() != old_run, 60, "the page to go on with a new run")
        # the queued Play reached the new run (before: it went into the socket of the old run and was lost)
        app.wait_for_server(lambda s: s["state"] == "training" and s["epoch"] > 0, 60)
        assert app.server_session()["config"]["learning_rate"] == 0.1
        expect(app.by_test_id("play")).to_have_attribute("aria-pressed", "true")
        app.wait_until(lambda: app.epoch() > 0, 30, "the page to show the run training")
    assert app.console.unexpected() == []
    context.close()
