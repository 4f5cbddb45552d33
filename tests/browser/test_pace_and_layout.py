"""A pace a learner can watch, a loss chart that keeps up, values on hover, and a layout that fits."""

from __future__ import annotations

import itertools
import re

import numpy as np
from playwright.sync_api import expect
from wire import Wire

# Samples, after each of `frames` painted frames, the epoch counter and the loss chart's last point
# (read in the same task, so the two are compared at one moment).
_SAMPLE_COUNTER_AND_CHART_JS = """(frames) => new Promise((resolve) => {
    const samples = [];
    const chart = document.querySelector("[data-testid=loss-chart]");
    const counter = document.querySelector("[data-testid=epoch]");
    // Right after a frame is painted (the chart draws in the frame's animation callbacks).
    const afterPaint = () => requestAnimationFrame(() => setTimeout(sample, 0));
    function sample() {
        samples.push([Number(counter.textContent), Number(chart.dataset.lastEpoch || -1)]);
        if (samples.length < frames) afterPaint();
        else resolve(samples);
    }
    afterPaint();
})"""

# Every visible element's right edge, to find anything laid out past the viewport.
_OVERFLOWING_JS = """() => {
    const width = document.documentElement.clientWidth;
    const wide = [];
    for (const element of document.querySelectorAll("body *")) {
        const box = element.getBoundingClientRect();
        if (box.width > 0 && box.height > 0 && box.right > width + 1) {
            const name = `${element.tagName.toLowerCase()}.${element.className}`;
            wide.push(`${name} ${element.dataset.testid || ""} ${Math.round(box.right)}`);
        }
    }
    return wide;
}"""

SCREEN_SIZES = {
    "desktop": ({"width": 1440, "height": 900}, 1),
    "phone": ({"width": 390, "height": 844}, 1),
    "projector": ({"width": 1280, "height": 720}, 1.5),
}


def _chart_points(app) -> int:
    return int(app.by_test_id("loss-chart").get_attribute("data-points") or 0)


def test_default_speed_on_circle_gives_the_loss_chart_at_least_50_points_in_5_seconds(playground):
    app = playground.open("/")  # the page's own defaults
    schema = app.page.request.get("/api/schema").json()
    config = app.server_session()["config"]
    assert config["dataset"] == "circle"
    assert config["speed"] == schema["page_defaults"]["speed"] != 0  # a watchable pace, not "max"
    expect(app.by_test_id("loss-chart-placeholder")).to_be_visible()  # no empty chart at epoch 0
    app.by_test_id("play").click()
    app.wait_until(lambda: _chart_points(app) > 0, 30, "the first point of the loss chart")
    app.page.wait_for_timeout(5000)  # the behaviour under test is what 5 s of training show
    app.by_test_id("play").click()
    points = _chart_points(app)
    assert points >= 50, f"only {points} points after 5 s"
    # At 1 epoch a frame, the circle is still being learnt: a learner sees it happen.
    assert app.epoch() < 2000


def test_at_max_speed_the_loss_chart_ends_within_one_frame_of_the_epoch_counter(playground):
    app = playground.open("/")
    expect(app.by_test_id("speed-max")).to_have_attribute("aria-pressed", "false")
    app.by_test_id("speed-max").click()  # "max" is one click away from the default pace
    app.wait_for_server(lambda s: s["config"]["speed"] == 0)
    app.by_test_id("play").click()
    app.wait_until(lambda: app.epoch() > 2000, 60, "fast training")
    samples = app.page.evaluate(_SAMPLE_COUNTER_AND_CHART_JS, 90)
    counters = sorted({counter for counter, _ in samples})
    assert len(counters) > 5, "the counter did not move while sampled"
    frame_epochs = max(b - a for a, b in itertools.pairwise(counters))
    for counter, chart in samples:
        assert 0 <= counter - chart <= frame_epochs, (counter, chart, frame_epochs)
    app.by_test_id("play").click()
    expect(app.by_test_id("play")).to_have_attribute("aria-pressed", "false")
    app.wait_for_server(lambda s: s["state"] == "paused")
    final = app.server_session()["epoch"]
    expect(app.by_test_id("epoch")).to_have_text(str(final))
    expect(app.by_test_id("loss-chart")).to_have_attribute("data-last-epoch", str(final))
    assert _chart_points(app) <= 2000


def test_log_epoch_axis_is_a_toggle_in_the_url(app):
    app.by_test_id("loss-log-x").check()
    expect(app.by_test_id("loss-chart")).to_have_attribute("data-log-x", "true")
    expect(app.page).to_have_url(re.compile(r"lossLogX=true"))


def test_hovering_a_link_shows_its_weight_and_a_neuron_its_bias(page, playground):
    wire = Wire(page)
    app = playground.open()
    app.by_test_id("step").click()
    expect(app.by_test_id("epoch")).to_have_text("1")
    frame = wire.wait_for("frame", lambda m: m["epoch"] == 1)
    weights = np.frombuffer(frame["weights"][0], np.float32)  # x1 -> hidden layer 1, row-major
    biases = np.frombuffer(frame["biases"][0], np.float32)
    point = app.page.evaluate(
        """(testId) => {
            const line = document.querySelector(`[data-testid="${testId}"] .link-line`);
            const box = line.ownerSVGElement.getBoundingClientRect();
            const at = (name) => Number(line.getAttribute(name));
            return [box.left + (at("x1") + at("x2")) / 2, box.top + (at("y1") + at("y2")) / 2];
        }""",
        "link-x1-0_1",
    )
    app.page.mouse.move(*point)
    readout = app.by_test_id("value-readout")
    expect(readout).to_be_visible()
    shown = float(readout.inner_text().split()[-1])
    assert shown == float(f"{weights[1]:.4g}")  # the page shows 4 significant digits
    assert readout.inner_text().startswith("weight")
    app.by_test_id("neuron-0-2").hover()
    expect(readout).to_have_text(re.compile(r"^bias -?\d"))
    assert abs(float(readout.inner_text().split()[-1]) - float(biases[2])) < 1e-3
    expect(app.by_test_id("network-legend")).to_contain_text("negative weight")


def test_nothing_overflows_horizontally_on_a_390_px_phone(app):
    app.page.set_viewport_size({"width": 390, "height": 844})
    app.by_test_id("share").click()  # the share panel too
    app.page.wait_for_timeout(200)  # a layout pass after the resize
    assert app.page.evaluate("document.documentElement.scrollWidth") <= 390
    assert app.page.evaluate(_OVERFLOWING_JS) == []


def test_network_and_output_map_are_visible_without_scrolling_at_1024x576(app):
    app.page.set_viewport_size({"width": 1024, "height": 576})
    app.page.wait_for_timeout(200)
    for test_id in ("network", "output-heatmap", "play"):
        box = app.by_test_id(test_id).bounding_box()
        assert box is not None
        assert box["y"] >= 0 and box["y"] + box["height"] <= 576, (test_id, box)
        assert box["x"] >= 0 and box["x"] + box["width"] <= 1024, (test_id, box)
    for node in ("neuron-0-0", "neuron-1-1", "output-node", "feature-x1", "feature-x2"):
        box = app.by_test_id(node).bounding_box()
        assert box is not None and box["y"] + box["height"] <= 576, (node, box)


def test_screenshots_at_desktop_phone_and_projector_sizes(browser, live_server, results_dir):
    for name, (viewport, scale) in SCREEN_SIZES.items():
        context = browser.new_context(viewport=viewport, device_scale_factor=scale, base_url=live_server)
        page = context.new_page()
        page.goto("/?dataset=spiral&networkShape=6,6&features=x1,x2,x1_sq,x2_sq,sin_x1,sin_x2&speed=0")
        expect(page.get_by_test_id("status")).to_contain_text("connected", timeout=60_000)
        page.get_by_test_id("play").click()
        expect(page.get_by_test_id("epoch")).to_have_text(re.compile(r"^\d{3,}$"), timeout=60_000)
        page.get_by_test_id("play").click()
        expect(page.get_by_test_id("play")).to_have_attribute("aria-pressed", "false")
        page.mouse.move(0, 0)
        page.screenshot(path=str(results_dir / f"page-{name}.png"))
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        context.close()


def test_loss_chart_labels_of_tiny_losses_are_drawn_whole(app, results_dir):
    # A page opened on a run that has already learnt starts its chart at a tiny loss: its y labels are
    # long ("0.00015") and must not be cut at the chart's left edge.
    app.by_test_id("dataset-gauss").click()
    app.wait_for_server(lambda s: s["config"]["dataset"] == "gauss")
    app.by_test_id("play").click()
    app.wait_for_server(lambda s: s["test_loss"] is not None and s["test_loss"] < 0.001, timeout_s=60)
    app.page.reload()
    app.wait_until_connected()
    app.wait_until(lambda: app.loss_chart_points() > 20, 30, "the chart to draw")
    app.by_test_id("play").click()
    blank_edge = app.page.evaluate(
        """() => {
            const canvas = document.querySelector("[data-testid=loss-chart] canvas");
            const { data } = canvas.getContext("2d").getImageData(0, 0, 2, canvas.height);
            for (let i = 3; i < data.length; i += 4) if (data[i] > 0) return false;
            return true;
        }"""
    )
    app.by_test_id("loss-chart").screenshot(path=str(results_dir / "loss-chart-tiny-losses.png"))
    assert blank_edge, "a y label runs into the chart's left edge (cut)"
