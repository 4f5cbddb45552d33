"""Hyperparameters, the problem type, the speed control and the output view (heat map, legend, chart)."""

from __future__ import annotations

import re
import time

from playwright.sync_api import expect

# The grid colours at 70 % strength (css --grid-negative / --grid-positive, js/palette.js).
DISCRETE_COLOURS = ([248, 179, 100], [82, 160, 209])


def test_hyperparameter_changes_while_training_reach_the_server_and_training_goes_on(app):
    app.by_test_id("play").click()
    app.wait_until(lambda: app.epoch() > 100, 30, "100 epochs")
    for test_id, label, name, value in (
        ("regularization", "l2", "regularization", "l2"),
        ("regularization-rate", "0.03", "regularization_rate", 0.03),
        ("learning-rate", "0.3", "learning_rate", 0.3),
    ):
        before = app.server_session()["epoch"]
        app.by_test_id(test_id).select_option(label=label)
        session = app.wait_for_server(lambda s, n=name, v=value: s["config"][n] == v)
        assert session["epoch"] >= before, f"{name} reset the run"
        app.wait_until(
            lambda e=session["epoch"]: app.server_session()["epoch"] > e + 20, 20, "training to go on"
        )
        expect(app.page).to_have_url(re.compile(rf"={label}(&|$)"))
    expect(app.by_test_id("play")).to_have_attribute("aria-pressed", "true")
    # The activation is part of the network: by the one rule, its change starts a fresh run, said so.
    app.by_test_id("activation").select_option(label="relu")
    session = app.wait_for_server(lambda s: s["config"]["activation"] == "relu")
    assert (session["epoch"], session["state"]) == (0, "paused")
    expect(app.by_test_id("notice-title")).to_have_text("New network: the activation changed.")
    expect(app.by_test_id("play")).to_have_attribute("aria-pressed", "false")
    expect(app.page).to_have_url(re.compile(r"activation=relu(&|$)"))


def test_problem_type_switch_picks_that_problems_first_data_set(app):
    problem = app.by_test_id("problem-type")
    problem.select_option(label="regression")
    app.wait_for_server(lambda s: (s["config"]["problem"], s["config"]["dataset"]) == ("regression", "plane"))
    expect(app.by_test_id("dataset-plane")).to_have_attribute("aria-pressed", "true")
    expect(app.by_test_id("legend-positive")).to_have_text("target +1")
    expect(app.page).to_have_url(re.compile(r"problem=regression"))
    problem.select_option(label="classification")
    app.wait_for_server(
        lambda s: (s["config"]["problem"], s["config"]["dataset"]) == ("classification", "circle")
    )
    expect(app.by_test_id("legend-positive")).to_have_text("class +1")


def _share_of_class_colours(app) -> float:
    sample = app.canvas_sample("[data-testid=output-heatmap] canvas.heatmap-grid")
    pixels = [list(p) for p in zip(sample[0::4], sample[1::4], sample[2::4], strict=True)]
    return sum(pixel in DISCRETE_COLOURS for pixel in pixels) / len(pixels)


def test_discretize_shows_only_the_two_class_colours(app):
    # Untrained, the output is close to 0 everywhere: pale shades, hardly ever a full class colour.
    assert _share_of_class_colours(app) < 0.2
    app.by_test_id("discretize").check()
    app.wait_until(lambda: _share_of_class_colours(app) > 0.8, 5, "only class colours (and the points)")
    app.by_test_id("discretize").uncheck()
    app.wait_until(lambda: _share_of_class_colours(app) < 0.2, 5, "the shades back")


def test_legend_loss_chart_and_epoch_counter_follow_training(app):
    expect(app.page.locator(".legend-bar")).to_have_attribute("aria-label", re.compile("orange is −1"))
    expect(app.by_test_id("legend-negative")).to_have_text("class −1")
    app.by_test_id("play").click()
    app.wait_until(lambda: app.epoch() > 300, 30, "300 epochs")
    expect(app.by_test_id("epochs-per-second")).to_have_text(re.compile(r"^\d+ epochs/s$"))
    app.by_test_id("play").click()
    paused = app.wait_for_server(lambda s: s["state"] == "paused")  # the pause lands between chunks
    app.wait_until(lambda: app.epoch() == paused["epoch"], 5, "the paused epoch on the page")
    app.wait_until(lambda: app.loss_chart_points() > 3, 5, "the loss curves")
    expect(app.by_test_id("loss-chart")).to_have_attribute("data-last-epoch", str(paused["epoch"]))
    expect(app.by_test_id("loss-chart")).to_have_attribute("aria-label", re.compile(r"now test \d\.\d{3}"))


def test_speed_select_caps_the_epochs_per_frame(app):
    speed = app.by_test_id("speed")
    options = speed.locator("option").all_inner_texts()
    assert options[0] == "max" and "1 / frame" in options and "500 / frame" in options
    speed.select_option(label="1 / frame")
    app.wait_for_server(lambda s: s["config"]["speed"] == 1)
    expect(app.page).to_have_url(re.compile(r"speed=1(&|$)"))
    app.by_test_id("play").click()
    started = time.monotonic()
    app.wait_until(lambda: app.epoch() >= 20, 20, "20 epochs")
    time.sleep(1.0)
    app.by_test_id("play").click()
    elapsed = time.monotonic() - started
    # One epoch per frame and at most 60 frames per second (a margin for the frames in flight).
    assert app.server_session()["epoch"] <= 60 * elapsed + 30
    speed.select_option(label="max")
    app.wait_for_server(lambda s: s["config"]["speed"] == 0)
