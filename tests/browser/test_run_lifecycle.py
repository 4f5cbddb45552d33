"""The page and the server's run life cycle together: fresh runs on a big change in reference mode,
stalled runs and their rollback, read-only watch links, viewer reports and own data without points."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
from playwright.sync_api import Browser, Page, expect
from wire import Wire

from conftest import FIRST_FRAME_TIMEOUT_MS, ConsoleErrors, Playground

SCREEN_SIZES = {
    "desktop": ({"width": 1440, "height": 900}, 1),
    "phone": ({"width": 390, "height": 844}, 1),
    "projector": ({"width": 1280, "height": 720}, 1.5),
}
# ReLU at learning rate 10 kills the net on circle within a few hundred epochs. Seed 2: with seed 1
# the exact kernel's run (the one a second session with the same settings gets) thrashes instead of
# dying (about a third of its epochs do not look stalled), so the server may not call it stalled.
STALLING = "/?dataset=circle&activation=relu&learningRate=10&seed=2&speed=0"
NO_LOSS = re.compile(r"^(—|-|–)$")


def _weights(frame: dict[str, Any]) -> list[np.ndarray]:
    """A frame's weight matrices as float32 arrays (msgpack bytes -> numbers)."""
    return [np.frombuffer(w["data"] if isinstance(w, dict) else w, np.float32) for w in frame["weights"]]


def _play_until(app: Playground, epoch: int) -> None:
    app.by_test_id("play").click()
    expect(app.by_test_id("play")).to_have_attribute("aria-pressed", "true")
    app.wait_until(lambda: app.epoch() >= epoch, 60, f"epoch {epoch}")


def _pause(app: Playground) -> dict[str, Any]:
    app.by_test_id("play").click()
    expect(app.by_test_id("play")).to_have_attribute("aria-pressed", "false")
    return app.wait_for_server(lambda s: s["state"] == "paused")


def test_a_new_data_set_in_reference_mode_starts_a_fresh_paused_run_and_play_continues(playground):
    wire = Wire(playground.page)
    app = playground.open("/?speed=0")
    assert app.server_session()["config"]["mode"] == "reference"
    _play_until(app, 300)
    assert app.loss_chart_points() > 0

    version = wire.messages("config")[-1]["config_version"] if wire.count("config") else 0
    map_before = app.by_test_id("output-heatmap").bounding_box()
    app.by_test_id("dataset-xor").click()
    fresh = wire.wait_for("config", lambda m: m["config_version"] > version)
    assert fresh["fresh_run"] is True and "new data" in fresh["reason"]

    # What the learner sees: epoch 0, an empty chart, the reason, and a run waiting for play.
    notice = app.by_test_id("notice")
    expect(notice).to_be_visible()
    expect(notice).to_have_attribute("data-kind", "fresh-run")
    expect(app.by_test_id("notice-title")).to_contain_text("New data")
    expect(app.by_test_id("notice-text")).to_contain_text("Press ▶ to train")
    expect(app.by_test_id("epoch")).to_have_text("0")
    expect(app.by_test_id("play")).to_have_attribute("aria-pressed", "false")
    expect(app.by_test_id("loss-chart")).to_have_attribute("data-points", "0")
    session = app.wait_for_server(lambda s: s["state"] == "paused")
    assert session["epoch"] == 0 and session["config"]["dataset"] == "xor"
    # No frame of the old run is shown after the fresh run's config (a frame held for the socket
    # before the change is dropped by the page): the counter stays at 0 until play.
    newest = wire.wait_for("frame", lambda f: f["config_version"] == fresh["config_version"])
    assert newest["epoch"] == 0
    expect(app.by_test_id("epoch")).to_have_text("0")

    # The notice floats over the page: the map stays where it was.
    assert app.by_test_id("output-heatmap").bounding_box() == map_before

    # Play carries on from the fresh weights; "new weights, epoch 0" stops being true, and goes.
    app.by_test_id("play").click()
    expect(app.by_test_id("play")).to_have_attribute("aria-pressed", "true")
    app.wait_for_server(lambda s: s["state"] == "training" and s["epoch"] > 0)
    expect(notice).to_be_hidden()
    app.wait_until(lambda: app.epoch() > 50, 30, "the fresh run to train")
    assert int(app.by_test_id("loss-chart").get_attribute("data-last-epoch") or -1) <= app.epoch()

    # Another fresh run, dismissed by hand.
    app.by_test_id("dataset-gauss").click()
    expect(notice).to_be_visible()
    app.by_test_id("notice-dismiss").click()
    expect(notice).to_be_hidden()


def test_keep_the_weights_keeps_the_epoch_and_the_weights_across_a_data_change(playground):
    wire = Wire(playground.page)
    app = playground.open("/?speed=0")
    # The checkbox says the one rule for a change, in the settings' own words.
    rule = app.by_test_id("keep-weights").locator("xpath=..").get_attribute("data-rule") or ""
    for words in ("data set", "hidden layers", "activation", "batch norm", "learning rate"):
        assert words in rule, (words, rule)
    app.by_test_id("keep-weights").check()
    assert "keepWeights=true" in app.page.url
    _play_until(app, 200)
    paused = _pause(app)
    before = wire.wait_for("frame", lambda f: f["epoch"] == paused["epoch"])
    points = app.loss_chart_points()
    version = wire.messages("config")[-1]["config_version"] if wire.count("config") else 0

    app.by_test_id("dataset-xor").click()
    kept = wire.wait_for("config", lambda m: m["config_version"] > version)
    assert kept["fresh_run"] is False
    after = wire.wait_for("frame", lambda f: f["config_version"] == kept["config_version"])
    assert after["epoch"] == paused["epoch"]
    for old, new in zip(_weights(before), _weights(after), strict=True):
        np.testing.assert_array_equal(old, new)
    expect(app.by_test_id("epoch")).to_have_text(str(paused["epoch"]))
    expect(app.by_test_id("notice")).to_be_hidden()
    assert app.loss_chart_points() >= points
    assert app.wait_for_server(lambda s: s["config"]["dataset"] == "xor")["epoch"] == paused["epoch"]

    # Unticked, the next change starts over.
    app.by_test_id("keep-weights").uncheck()
    app.by_test_id("dataset-gauss").click()
    expect(app.by_test_id("epoch")).to_have_text("0")
    expect(app.by_test_id("notice")).to_have_attribute("data-kind", "fresh-run")


def test_a_stalled_run_is_explained_and_rolled_back_in_one_click(playground):
    app = playground.open(STALLING)
    app.by_test_id("play").click()
    banner = app.by_test_id("divergence")
    expect(banner).to_be_visible(timeout=90_000)
    expect(banner).to_have_attribute("data-state", "stalled")
    expect(app.by_test_id("divergence-headline")).to_contain_text("stalled")
    expect(app.by_test_id("divergence-message")).not_to_be_empty()
    expect(app.by_test_id("play")).to_have_attribute("aria-pressed", "false")
    stalled = app.wait_for_server(lambda s: s["state"] == "stalled")
    assert stalled["message"]

    app.by_test_id("rollback").click()
    expect(banner).to_be_hidden()
    rolled = app.wait_for_server(lambda s: s["state"] == "paused")
    assert rolled["epoch"] < stalled["epoch"]
    expect(app.by_test_id("epoch")).to_have_text(str(rolled["epoch"]))
    expect(app.by_test_id("play")).to_have_attribute("aria-pressed", "false")
    # The loss chart goes back with the weights: it ends at the rolled-back epoch, the history before
    # it kept (a roll back to epoch 0, where this net died at once, leaves the empty chart of epoch 0).
    last = str(rolled["epoch"]) if rolled["epoch"] else ""
    expect(app.by_test_id("loss-chart")).to_have_attribute("data-last-epoch", last)
    assert (app.loss_chart_points() >= 1) == (rolled["epoch"] > 0)


def _watch_link(app: Playground) -> str:
    app.by_test_id("share").click()
    link = app.by_test_id("watch-link")
    expect(link).to_have_value(re.compile(r"watch="))
    value = link.input_value()
    app.by_test_id("share").click()
    return value


def test_a_watcher_sees_the_run_live_and_cannot_change_it(app, browser: Browser, live_server: str):
    _play_until(app, 100)
    link = _watch_link(app)
    owner = app.session_id()
    assert owner not in link

    context = browser.new_context(base_url=live_server, viewport={"width": 1280, "height": 860})
    try:
        page = context.new_page()
        console = ConsoleErrors(page)
        wire = Wire(page)
        sent: list[str] = []
        page.on("websocket", lambda socket: socket.on("framesent", lambda p: sent.append(str(p))))
        watcher = Playground(page, console)
        page.goto(link)
        watcher.wait_until_connected()
        expect(watcher.by_test_id("watch-banner")).to_be_visible()
        expect(watcher.by_test_id("watch-banner")).to_contain_text("read-only")
        assert wire.messages("hello")[0]["read_only"] is True
        seen = watcher.epoch()
        watcher.wait_until(lambda: watcher.epoch() > seen + 50, 30, "the watched epoch to rise")
        assert wire.count("frame") > 1

        # Everything that would reach the server does nothing: clicks on inert controls, shortcuts.
        for test_id in ("play", "reset", "step", "dataset-xor"):
            watcher.by_test_id(test_id).click(force=True, timeout=2000)
        page.keyboard.press("Space")
        page.keyboard.press("r")
        expect(watcher.by_test_id("play")).to_have_attribute("aria-pressed", "true")
        session = app.wait_for_server(lambda s: s["epoch"] > seen + 100)
        assert session["state"] == "training" and session["config"]["dataset"] == "circle"
        assert wire.messages("error") == []
        _wait_sent(page, sent, '"type":"viewer"')  # a watcher reports what it shows too
        assert all(re.search(r'"type":\s*"(ping|viewer)"', message) for message in sent), sent

        # The owner's fresh run reaches the watcher: epoch 0, the reason, and no choice offered.
        app.by_test_id("dataset-xor").click()
        expect(watcher.by_test_id("epoch")).to_have_text("0")
        expect(watcher.by_test_id("notice")).to_have_attribute("data-kind", "fresh-run")
        expect(watcher.by_test_id("notice-text")).not_to_contain_text("Keep the weights")
        expect(watcher.by_test_id("dataset-xor")).to_have_attribute("aria-pressed", "true")
        assert console.unexpected() == []
    finally:
        context.close()


_HIDE_TAB_JS = """(hidden) => {
    const state = hidden ? "hidden" : "visible";
    Object.defineProperty(document, "visibilityState", {configurable: true, get: () => state});
    document.dispatchEvent(new Event("visibilitychange"));
}"""


def _wait_sent(page: Page, sent: list[str], fragment: str, timeout_ms: int = 10_000) -> None:
    """Waits for the page to send a message containing `fragment` (spaces ignored)."""
    waited = 0
    while not any(fragment in message.replace(" ", "") for message in sent):
        assert waited < timeout_ms, f"the page sent no {fragment}"
        page.wait_for_timeout(100)  # Playwright delivers events while a call runs
        waited += 100


def test_the_viewer_report_reaches_the_server_and_a_hidden_tab_gets_few_frames(playground):
    page: Page = playground.page
    sent: list[str] = []
    page.on("websocket", lambda socket: socket.on("framesent", lambda p: sent.append(str(p))))
    wire = Wire(page)
    app = playground.open("/?speed=0")
    _wait_sent(page, sent, '"type":"viewer"')  # on connect
    _play_until(app, 50)

    page.evaluate(_HIDE_TAB_JS, True)
    hidden = '"type":"viewer","visible":false'
    _wait_sent(page, sent, hidden)
    page.wait_for_timeout(500)  # frames already on their way
    before = wire.count("frame")
    page.wait_for_timeout(3000)  # a measuring window: hidden tabs get a frame every 0.5 s
    assert wire.count("frame") - before <= 8
    assert app.server_session()["state"] == "training"

    page.evaluate(_HIDE_TAB_JS, False)
    app.open_panel("insight")
    shown = '"type":"viewer","visible":true,"insights":true'
    _wait_sent(page, sent, shown)
    wire.wait_for("frame", since=wire.count("frame") + 10, timeout_s=20)  # the visible pace again
    assert wire.messages("error") == []
    expect(app.by_test_id("error-text")).to_have_text("")


def test_own_data_without_points_cannot_be_played_and_shows_no_loss_of_zero(playground):
    wire = Wire(playground.page)
    app = playground.open("/?speed=0")
    app.by_test_id("draw-mode").click()
    app.by_test_id("clear-points").click()
    app.wait_for_server(lambda s: s["config"]["dataset"] == "custom")
    app.by_test_id("play").click()
    error = wire.wait_for("error", lambda m: m["code"] == "no_data")
    assert error["field"] == "dataset"
    expect(app.by_test_id("error-text")).to_contain_text("no training points")
    expect(app.by_test_id("error-text")).to_be_visible()
    expect(app.by_test_id("play")).to_have_attribute("aria-pressed", "false")
    for test_id in ("loss-train", "loss-test"):
        expect(app.by_test_id(test_id)).not_to_have_text(re.compile(r"^0\.0+$"))
        expect(app.by_test_id(test_id)).to_have_text(NO_LOSS)
    assert app.server_session()["state"] == "paused"
    assert app.server_session()["train_loss"] is None


def _screenshot(browser: Browser, live_server: str, results_dir: Path, path: str, setup, name: str) -> None:
    for size, (viewport, scale) in SCREEN_SIZES.items():
        context = browser.new_context(viewport=viewport, device_scale_factor=scale, base_url=live_server)
        try:
            page = context.new_page()
            console = ConsoleErrors(page)
            app = Playground(page, console).open(path)
            setup(app)
            page.mouse.move(0, 0)
            page.screenshot(path=str(results_dir / f"{name}-{size}.png"))
            assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
            assert console.unexpected() == []
        finally:
            context.close()


def test_screenshots_of_the_fresh_run_notice_and_the_stalled_banner(browser, live_server, results_dir):
    def fresh_run(app: Playground) -> None:
        _play_until(app, 100)
        app.by_test_id("dataset-xor").click()
        expect(app.by_test_id("notice")).to_have_attribute("data-kind", "fresh-run")
        expect(app.by_test_id("epoch")).to_have_text("0")
        # On a phone the data set is picked far down the page: the notice and play come into view.
        expect(app.by_test_id("notice")).to_be_in_viewport(ratio=1)
        expect(app.by_test_id("play")).to_be_in_viewport(ratio=1)

    def stalled(app: Playground) -> None:
        app.by_test_id("play").click()
        expect(app.by_test_id("divergence")).to_be_visible(timeout=FIRST_FRAME_TIMEOUT_MS + 30_000)

    _screenshot(browser, live_server, results_dir, "/?speed=0", fresh_run, "fresh-run")
    _screenshot(browser, live_server, results_dir, STALLING, stalled, "stalled")
