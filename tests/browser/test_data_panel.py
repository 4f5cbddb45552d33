"""The data panel: thumbnails of every data set, noise / ratio / batch size, test points, new seeds."""

from __future__ import annotations

import re

from playwright.sync_api import expect

THUMBNAIL = "[data-testid=dataset-{}] canvas"


def _colours_drawn(app, name):
    """How many non-white sampled pixels a data set's thumbnail has."""
    sample = app.canvas_sample(THUMBNAIL.format(name))
    pixels = zip(sample[0::4], sample[1::4], sample[2::4], strict=True)
    return sum(1 for pixel in pixels if pixel != (255, 255, 255))


def test_every_data_set_has_a_drawn_thumbnail_and_clicking_it_selects_it(app):
    datasets = {d["name"]: d["problem"] for d in app.page.request.get("/api/schema").json()["datasets"]}
    assert {"circle", "xor", "gauss", "spiral", "plane", "multigauss"} <= set(datasets)
    for name in datasets:
        assert _colours_drawn(app, name) > 10, f"{name} thumbnail is blank"
    for name, problem in datasets.items():
        app.by_test_id(f"dataset-{name}").click()
        expect(app.by_test_id(f"dataset-{name}")).to_have_attribute("aria-pressed", "true")
        # A data set for "any" problem (the person's own points) keeps the current problem type.
        app.wait_for_server(
            lambda s, n=name, p=problem: s["config"]["dataset"] == n and p in (s["config"]["problem"], "any")
        )
    expect(app.page.locator("[data-testid^=dataset-][aria-pressed=true]")).to_have_count(1)


def test_selected_thumbnail_is_redrawn_from_the_real_data(app):
    sketch = app.canvas_sample(THUMBNAIL.format("xor"))
    app.by_test_id("dataset-xor").click()
    app.wait_until(
        lambda: app.canvas_sample(THUMBNAIL.format("xor")) != sketch, 10, "the xor thumbnail to show its data"
    )


def test_noise_ratio_and_batch_size_reach_the_server_and_noise_and_ratio_move_the_points(app):
    for test_id, value, name, url_fragment, moves_points in (
        ("noise", "25", "noise", "noise=25", True),
        ("train-ratio", "80", "train_ratio", "percTrainData=80", True),
        ("batch-size", "3", "batch_size", "batchSize=3", False),  # it changes training, not the points
    ):
        before = app.canvas_sample()
        app.by_test_id(test_id).fill(value)
        app.wait_for_server(lambda s, n=name, v=int(value): s["config"][n] == v)
        expect(app.page).to_have_url(re.compile(re.escape(url_fragment)))
        if moves_points:
            app.wait_until(lambda b=before: app.canvas_sample() != b, 10, f"the points to move ({test_id})")


def _drawn_sample(app):
    """The heat map's pixels once drawn and settled: the first frame's loss shows before the next
    animation frame paints the canvases (under load, long enough to sample a blank canvas that no later
    draw matches)."""

    def drawn():
        sample = app.canvas_sample()
        return sample if len(set(sample)) > 4 else None

    for _ in range(20):
        first = app.wait_until(drawn, 5, "a drawn heat map")
        app.page.wait_for_timeout(200)
        if app.canvas_sample() == first:
            return first
    raise AssertionError("the heat map of a paused run kept changing")


def test_show_test_data_draws_the_test_points(app):
    toggle = app.by_test_id("show-test-data")
    without = _drawn_sample(app)
    toggle.check()
    app.wait_until(lambda: app.canvas_sample() != without, 5, "the test points to appear")
    toggle.uncheck()
    app.wait_until(lambda: app.canvas_sample() == without, 5, "the test points to go away")


def test_regenerate_sends_a_new_seed_and_new_points(app):
    old_seed = app.server_session()["config"]["seed"]
    before = app.canvas_sample()
    app.by_test_id("regenerate").click()
    session = app.wait_for_server(lambda s: s["config"]["seed"] != old_seed)
    expect(app.page).to_have_url(re.compile(rf"seed={session['config']['seed']}(&|$)"))
    app.wait_until(lambda: app.canvas_sample() != before, 10, "new points")
    assert session["config"]["dataset"] == "circle"
