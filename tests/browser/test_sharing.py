"""Sharing: the configuration lives in the link, `hide` hides controls, lessons load in one choice."""

from __future__ import annotations

import re

from playwright.sync_api import expect

THUMBNAIL = "[data-testid=dataset-xor] canvas"


def test_the_address_reproduces_the_same_data_and_network_in_a_new_tab(app, new_tab):
    app.by_test_id("dataset-xor").click()
    app.by_test_id("noise").fill("15")
    app.by_test_id("feature-x1_x2").click()
    app.by_test_id("add-layer").click()
    app.by_test_id("learning-rate").select_option(label="0.1")
    app.by_test_id("regenerate").click()
    app.wait_for_server(lambda s: s["config"]["seed"] != 1 and s["config"]["learning_rate"] == 0.1)
    config = app.wait_for_server(lambda s: s["config"]["hidden_layers"] == [4, 2, 2])["config"]
    app.by_test_id("reset").click()  # weights from the seed, as a new session starts with
    app.wait_until(lambda: app.server_session()["epoch"] == 0, 5, "epoch 0")
    app.page.wait_for_timeout(500)
    link = app.page.url  # the address bar holds the settings and nothing else
    assert f"seed={config['seed']}" in link

    other = new_tab(link)
    assert other.session_id() != app.session_id()
    assert other.server_session()["config"] == config
    expect(other.by_test_id("dataset-xor")).to_have_attribute("aria-pressed", "true")
    expect(other.by_test_id("feature-x1_x2")).to_have_attribute("aria-pressed", "true")
    expect(other.page.locator("[data-testid^='neuron-2-']")).to_have_count(2)
    # Same seed and settings: the same points and the same initial network, pixel for pixel.
    other.page.wait_for_timeout(500)
    assert other.canvas_sample(THUMBNAIL) == app.canvas_sample(THUMBNAIL)
    assert other.canvas_sample() == app.canvas_sample()


def test_hide_parameter_hides_the_named_controls(playground):
    playground.open("/?hide=noise,batchSize,problem,presets,regenerate")
    for test_id in ("noise", "batch-size", "problem-type", "presets", "regenerate"):
        expect(playground.by_test_id(test_id)).to_be_hidden()
    for test_id in ("learning-rate", "train-ratio", "dataset-circle", "play"):
        expect(playground.by_test_id(test_id)).to_be_visible()
    assert "hide=noise,batchSize,problem,presets,regenerate" in playground.page.url
    playground.page.reload()
    playground.wait_until_connected()
    expect(playground.by_test_id("noise")).to_be_hidden()


def test_hide_features_shows_only_the_active_inputs_and_locks_them(playground):
    playground.open("/?hide=features&features=x1,x1_x2")
    expect(playground.by_test_id("feature-x1")).to_be_visible()
    expect(playground.by_test_id("feature-x2")).to_be_hidden()
    playground.by_test_id("feature-x1").click(force=True)  # aria-disabled: the click must do nothing
    playground.page.wait_for_timeout(300)
    assert playground.server_session()["config"]["features"] == ["x1", "x1_x2"]


def test_preset_loads_its_config_over_the_defaults_and_starts_from_epoch_zero(app):
    schema = app.page.request.get("/api/schema").json()
    preset = next(p for p in schema["presets"] if p["name"] == "xor-hidden-layer")
    # A lesson runs at the page's watchable pace.
    defaults = {**{s["name"]: s["default"] for s in schema["settings"]}, **schema["page_defaults"]}
    app.by_test_id("learning-rate").select_option(label="1")
    app.by_test_id("play").click()
    app.wait_until(lambda: app.epoch() > 50, 30, "some training")
    labels = app.by_test_id("presets").locator("option").all_inner_texts()
    assert labels[1:] == [other["label"] for other in schema["presets"]]
    app.by_test_id("presets").select_option("xor-hidden-layer")
    session = app.wait_for_server(lambda s: s["config"]["dataset"] == "xor" and s["epoch"] == 0)
    assert session["config"] == {**defaults, **preset["config"]}
    assert session["state"] != "training"
    expect(app.by_test_id("epoch")).to_have_text("0")
    expect(app.by_test_id("dataset-xor")).to_have_attribute("aria-pressed", "true")
    expect(app.page.locator("[data-testid^='neuron-']:not([data-testid^='neuron-count'])")).to_have_count(0)
    expect(app.by_test_id("link-x1-output")).to_have_count(1)
    expect(app.page).to_have_url(re.compile(r"dataset=xor"))
    # The lesson says on the page what it is about and what to look for, not only in a tooltip.
    lesson = app.by_test_id("page-lesson")
    expect(app.by_test_id("page-lesson-title")).to_have_text(preset["label"])
    expect(app.by_test_id("page-lesson-text")).to_have_text(preset["description"])
    expect(app.by_test_id("page-lesson-look-for")).to_have_text(f"Look for: {preset['look_for']}")
    expect(app.page).to_have_url(re.compile(r"lesson=xor-hidden-layer"))
    # It stays up while the learner does what it says (add a hidden layer: a fresh run), and the
    # menu still names it ...
    app.by_test_id("add-layer").click()
    app.wait_for_server(lambda s: s["config"]["hidden_layers"] == [2])
    expect(app.by_test_id("notice")).to_have_attribute("data-kind", "fresh-run")
    expect(lesson).to_be_visible()
    expect(app.by_test_id("page-lesson-title")).to_have_text(preset["label"])
    expect(app.by_test_id("presets")).to_have_value("xor-hidden-layer")
    # ... and through a reload, until they leave it.
    app.page.reload()
    app.wait_until_connected()
    expect(lesson).to_be_visible()
    app.by_test_id("lesson-leave").click()
    expect(lesson).to_be_hidden()
    expect(app.by_test_id("presets")).to_have_value("")
    expect(app.page).not_to_have_url(re.compile(r"lesson="))
