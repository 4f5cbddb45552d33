"""The training toolbox: optimizer and schedule, initial weights, stopping, divergence and rollback."""

from __future__ import annotations

import json
import re

from playwright.sync_api import expect
from websockets.sync.client import connect

CONDITIONAL = ("momentum", "weight-decay", "schedule-epochs", "schedule-factor")


def _shown(app) -> set[str]:
    return {test_id for test_id in CONDITIONAL if app.by_test_id(test_id).is_visible()}


def test_optimizer_and_schedule_reach_the_server_and_show_only_the_fields_they_use(app):
    app.open_panel("toolbox")
    optimizer = app.by_test_id("optimizer-settings")
    for test_id in ("optimizer", "schedule", *CONDITIONAL):
        expect(optimizer.get_by_test_id(test_id)).to_have_count(1)
    expect(optimizer.locator("legend")).to_have_text("Optimizer")
    assert _shown(app) == set()  # plain SGD, constant rate

    for name, shown in (
        ("adamw", {"momentum", "weight-decay"}),
        ("momentum", {"momentum"}),
        ("rmsprop", set()),
        ("nesterov", {"momentum"}),
    ):
        app.by_test_id("optimizer").select_option(label=name)
        app.wait_for_server(lambda s, n=name: s["config"]["optimizer"] == n)
        expect(app.page).to_have_url(re.compile(rf"optimizer={name}(&|$)"))
        app.wait_until(lambda s=shown: _shown(app) == s, 5, f"{name}'s fields")

    app.by_test_id("momentum").select_option(label="0.99")
    app.wait_for_server(lambda s: s["config"]["momentum"] == 0.99)
    app.by_test_id("optimizer").select_option(label="adamw")
    app.by_test_id("weight-decay").select_option(label="0.01")
    app.wait_for_server(lambda s: (s["config"]["optimizer"], s["config"]["weight_decay"]) == ("adamw", 0.01))

    for name, shown in (("step", {"schedule-epochs", "schedule-factor"}), ("cosine", {"schedule-epochs"})):
        app.by_test_id("schedule").select_option(label=name)
        app.wait_for_server(lambda s, n=name: s["config"]["schedule"] == n)
        app.wait_until(lambda s=shown: _shown(app) - {"momentum", "weight-decay"} == s, 5, f"{name}'s fields")
    app.by_test_id("schedule-epochs").select_option(label="200")
    app.wait_for_server(lambda s: s["config"]["schedule_epochs"] == 200)
    expect(app.by_test_id("error-text")).to_have_text("")


def test_initial_weights_say_they_apply_at_the_next_reset(app):
    app.open_panel("toolbox")
    note = app.by_test_id("init-note")
    expect(app.by_test_id("network-settings").get_by_test_id("init")).to_be_visible()
    expect(note).to_have_text("Applies at the next reset.")
    app.by_test_id("init").select_option(label="he")
    app.wait_for_server(lambda s: s["config"]["init"] == "he")
    expect(note).to_contain_text("press Reset")
    app.by_test_id("reset").click()
    expect(note).to_have_text("Applies at the next reset.")


def test_stop_at_epoch_pauses_training_there_and_says_why(app):
    app.open_panel("toolbox")
    stopping = app.by_test_id("stopping-settings")
    for test_id in ("stop-epoch", "stop-loss", "early-stopping", "patience"):
        expect(stopping.get_by_test_id(test_id)).to_be_visible()
    app.by_test_id("early-stopping").select_option(label="on")
    app.wait_for_server(lambda s: s["config"]["early_stopping"] == "on")
    app.by_test_id("early-stopping").select_option(label="off")
    app.wait_for_server(lambda s: s["config"]["early_stopping"] == "off")
    app.by_test_id("stop-epoch").fill("300")
    app.by_test_id("stop-epoch").press("Enter")
    app.wait_for_server(lambda s: s["config"]["stop_epoch"] == 300 and s["config"]["early_stopping"] == "off")
    app.by_test_id("play").click()
    expect(app.by_test_id("status")).to_contain_text("stopped at epoch 300", timeout=30_000)
    expect(app.by_test_id("epoch")).to_have_text("300")
    expect(app.by_test_id("play")).to_have_attribute("aria-pressed", "false")


def test_an_edit_from_elsewhere_never_overwrites_what_a_person_is_typing(app, base_url):
    app.open_panel("toolbox")
    field = app.by_test_id("stop-epoch")
    field.click()
    field.select_text()
    field.press_sequentially("1200")  # typed over the 0 shown, not committed yet
    ws_url = base_url.replace("http", "ws") + f"/ws/sessions/{app.session_id()}"
    with connect(ws_url) as other:  # another page of the run (a second tab, a teacher) changes a setting
        other.send(json.dumps({"type": "configure", "changes": {"learning_rate": 0.1}}))
        app.wait_for_server(lambda s: s["config"]["learning_rate"] == 0.1)
    app.wait_until(
        lambda: app.by_test_id("learning-rate").evaluate("e => e.selectedOptions[0].text") == "0.1",
        10,
        "the page to show the other edit",
    )
    expect(field).to_have_value("1200")  # the config that came meanwhile left the typing alone
    field.press("Enter")
    app.wait_for_server(lambda s: s["config"]["stop_epoch"] == 1200 and s["config"]["learning_rate"] == 0.1)
    field.blur()
    expect(field).to_have_value("1200")


def test_rollback_after_a_divergence_restores_the_last_good_weights_and_a_finite_loss(playground):
    app = playground.open("/?dataset=plane&problem=regression&activation=relu&speed=0")
    app.by_test_id("play").click()
    app.wait_until(lambda: app.epoch() > 200, 30, "200 healthy epochs")
    banner = app.by_test_id("divergence")
    expect(banner).to_be_hidden()
    app.by_test_id("learning-rate").select_option(label="10")  # far too high for this net
    expect(banner).to_be_visible(timeout=30_000)
    expect(banner).to_contain_text("Training diverged at epoch")
    expect(banner).to_contain_text("try ≤ 1")
    expect(app.by_test_id("status")).to_contain_text("diverged")
    expect(app.by_test_id("play")).to_have_attribute("aria-pressed", "false")

    app.by_test_id("rollback").click()
    expect(banner).to_be_hidden()
    expect(app.by_test_id("rollback")).to_be_hidden()
    expect(app.by_test_id("status")).to_contain_text("rolled back to epoch")
    session = app.wait_for_server(lambda s: s["state"] == "paused")
    assert session["test_loss"] is not None and session["train_loss"] is not None
    assert session["epoch"] > 200
    expect(app.by_test_id("loss-test")).to_have_text(re.compile(r"^\d+\.\d{3}$"))
    expect(app.by_test_id("epoch")).to_have_text(str(session["epoch"]))
