"""The training page: connecting, the run buttons, the read-outs and how it looks."""

from __future__ import annotations

import time
from typing import Any

from a11y import serious_violations
from playwright.sync_api import expect

TRAINING_TIMEOUT_S = 30.0


def _wait_for(condition: Any, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(0.25)


def test_page_loads_without_console_errors_and_status_shows_connected_and_device(app):
    device = app.page.request.get("/api/health").json()["device"]
    status = app.by_test_id("status")
    expect(status).to_contain_text("connected · ")
    expect(status).to_contain_text(device)
    expect(status).to_have_attribute("aria-live", "polite")
    assert app.epoch() == 0
    assert app.session_id() == app.server_session()["id"]
    # console errors are checked by the console_errors fixture on teardown


def test_play_makes_epoch_rise_and_test_loss_fall_on_circle(app):
    assert app.server_session()["config"]["dataset"] == "circle"
    start_loss = app.test_loss()
    app.by_test_id("play").click()
    _wait_for(
        lambda: app.epoch() > 0 and app.test_loss() < 0.7 * start_loss,
        TRAINING_TIMEOUT_S,
        f"the test loss to fall below 70% of {start_loss}",
    )
    app.by_test_id("play").click()
    assert app.epoch() > 0
    # The chart got the history, and the heat map shows the circle: blue (+1) inside, orange (-1) outside.
    _wait_for(lambda: app.loss_chart_points() > 1, 10, "the loss chart to show the history")
    centre, corner = app.page.evaluate(
        """() => {
            const canvas = document.querySelector("[data-testid=output-heatmap] canvas");
            const ctx = canvas.getContext("2d");
            const at = (x, y) => Array.from(ctx.getImageData(x, y, 1, 1).data);
            return [at(canvas.width / 2, canvas.height / 2), at(3, 3)];
        }"""
    )
    assert centre[2] > centre[0], f"centre should be blue, got rgba {centre}"
    assert corner[0] > corner[2], f"corner should be orange, got rgba {corner}"


def test_divergence_is_reported_in_the_status_and_a_banner_that_goes_when_settings_change(playground):
    playground.open("/?learningRate=10&activation=linear&dataset=plane&features=x1,x2,x1_sq,x2_sq,x1_x2")
    playground.by_test_id("play").click()
    expect(playground.by_test_id("status")).to_contain_text("diverged: ", timeout=TRAINING_TIMEOUT_S * 1000)
    banner = playground.by_test_id("divergence")
    expect(banner).to_contain_text("learning rate", ignore_case=True)
    expect(banner.get_by_test_id("rollback")).to_be_visible()
    expect(playground.by_test_id("play")).to_have_attribute("aria-pressed", "false")
    playground.by_test_id("learning-rate").select_option(label="0.01")
    expect(banner).to_be_hidden()
    expect(playground.by_test_id("error-text")).to_have_text("")


def test_play_toggles_to_pause_and_back(app):
    play = app.by_test_id("play")
    expect(play).to_have_attribute("aria-pressed", "false")
    play.click()
    expect(play).to_have_attribute("aria-pressed", "true")
    expect(play).to_have_text("❚❚")
    expect(app.by_test_id("status")).to_contain_text("training")
    play.click()
    expect(play).to_have_attribute("aria-pressed", "false")
    expect(play).to_have_text("▶")
    expect(app.by_test_id("status")).to_contain_text("paused")
    app.wait_for_server(lambda s: s["state"] == "paused")
    time.sleep(0.5)  # a chunk already running when the pause arrived still finishes
    paused_epoch = app.server_session()["epoch"]
    time.sleep(0.5)
    assert app.server_session()["epoch"] == paused_epoch
    expect(app.by_test_id("epoch")).to_have_text(str(paused_epoch))


def test_run_buttons_and_settings_work_from_the_keyboard(app):
    play = app.by_test_id("play")
    play.focus()
    app.page.keyboard.press("Space")
    expect(play).to_have_attribute("aria-pressed", "true")
    app.page.keyboard.press("Enter")
    expect(play).to_have_attribute("aria-pressed", "false")
    app.by_test_id("activation").focus()
    app.page.keyboard.press("ArrowDown")  # tanh -> sigmoid, as listed by the schema
    app.wait_for_server(lambda s: s["config"]["activation"] == "sigmoid")


def test_step_advances_the_epoch_by_one_when_paused(app):
    before = app.epoch()
    app.by_test_id("step").click()
    expect(app.by_test_id("epoch")).to_have_text(str(before + 1))
    app.by_test_id("step").click()
    expect(app.by_test_id("epoch")).to_have_text(str(before + 2))
    assert app.wait_for_server(lambda s: s["epoch"] == before + 2)["state"] != "training"
    expect(app.by_test_id("play")).to_have_attribute("aria-pressed", "false")


def test_reset_returns_the_epoch_to_zero(app):
    app.by_test_id("step").click()
    app.by_test_id("step").click()
    expect(app.by_test_id("epoch")).to_have_text("2")
    app.by_test_id("reset").click()
    expect(app.by_test_id("epoch")).to_have_text("0")
    assert app.wait_for_server(lambda s: s["epoch"] == 0)["state"] != "training"


def test_screenshot_of_a_trained_network_is_saved(app, results_dir):
    app.by_test_id("play").click()
    _wait_for(lambda: app.epoch() >= 300, TRAINING_TIMEOUT_S, "300 epochs")
    app.by_test_id("play").click()
    expect(app.by_test_id("play")).to_have_attribute("aria-pressed", "false")
    _wait_for(lambda: app.loss_chart_points() > 3, 10, "the loss chart")
    path = results_dir / "nnplay-1280.png"
    app.page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    app.page.set_viewport_size({"width": 768, "height": 1000})
    app.page.wait_for_timeout(400)
    narrow = results_dir / "nnplay-768.png"
    app.page.screenshot(path=str(narrow), full_page=True)
    # At 768 px nothing may stick out sideways.
    assert app.page.evaluate("document.documentElement.scrollWidth") <= 768


def test_page_has_no_serious_accessibility_violations(app):
    serious = serious_violations(app.page)
    assert serious == []
