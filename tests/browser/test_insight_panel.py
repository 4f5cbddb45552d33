"""The insight panel: metrics, confusion matrix, ROC, learning rate, gradient norms and histograms, live."""

from __future__ import annotations

import math
import re
from typing import Any

from a11y import serious_violations
from playwright.sync_api import expect
from wire import Wire

METRIC_NAMES = ("accuracy", "precision", "recall", "f1", "roc_auc")
# Plotly keeps what a chart shows on its element: read it from the DOM.
CHART_DATA_JS = """(testId) => (document.querySelector(`[data-testid=${testId}]`).data || [])
    .map((t) => ({name: t.name, x: Array.from(t.x), y: Array.from(t.y)}))"""


def _chart(app, test_id: str) -> list[dict[str, Any]]:
    return list(app.page.evaluate(CHART_DATA_JS, test_id))


def _train(app, epochs: int, timeout_s: float = 30) -> dict[str, Any]:
    """Plays until the epoch passes `epochs`, pauses; returns the server's session once it is settled."""
    app.by_test_id("play").click()
    app.wait_until(lambda: app.epoch() >= epochs, timeout_s, f"{epochs} epochs")
    app.by_test_id("play").click()
    app.wait_for_server(lambda s: s["state"] == "paused")
    # A chunk that was running when the pause arrived still ends and sends its frame.
    app.page.wait_for_timeout(300)
    session = app.server_session()
    expect(app.by_test_id("epoch")).to_have_text(str(session["epoch"]))
    return session


def _bars_total(app, test_id: str) -> float | None:
    """The sum of a histogram's bars, or None before it is drawn."""
    traces = _chart(app, test_id)
    return sum(traces[0]["y"]) if traces else None


def _shows_exactly(cell, value: float | None) -> bool:
    shown = cell.get_attribute("data-value")
    if value is None:
        return shown == ""
    return bool(shown) and math.isclose(float(shown), value, rel_tol=1e-9)


def _cell(app, split: str, name: str):
    return app.by_test_id(f"metric-{split}-{name.replace('_', '-')}")


def test_metrics_table_shows_the_frames_metrics_and_the_sessions_accuracy(playground):
    wire = Wire(playground.page)
    app = playground.open("/?dataset=xor&noise=30&speed=0&open=insights")
    session = _train(app, 100)
    wire.wait_for("frame", lambda f: f["epoch"] == session["epoch"])
    frame = wire.messages("frame")[-1]  # the last frame sent, which the page shows
    assert frame["epoch"] == session["epoch"]
    metrics = frame["metrics"]
    app.by_test_id("metrics").scroll_into_view_if_needed()
    for split in ("train", "test"):
        for name in METRIC_NAMES:
            value = metrics[split][name]
            cell = _cell(app, split, name)
            expect(cell).to_have_text("—" if value is None else f"{value:.3f}")
            # The table renders on the page's next paint: an earlier frame's number can round the same.
            app.wait_until(
                lambda cell=cell, value=value: _shows_exactly(cell, value), 5, f"{split} {name} = {value}"
            )
    # The REST summary's accuracies (computed on the device) agree with the table's (on the host).
    for split in ("train", "test"):
        shown = float(_cell(app, split, "accuracy").get_attribute("data-value"))
        assert math.isclose(shown, session[f"{split}_accuracy"], abs_tol=1e-6), split
    expect(app.by_test_id("accuracy-test")).to_have_text(f"{session['test_accuracy'] * 100:.1f}%")


def test_roc_chart_and_confusion_matrix_show_for_classification_and_hide_for_regression(playground):
    wire = Wire(playground.page)
    app = playground.open("/?open=insights")
    test_points = len(wire.wait_for("data")["test_y"]) // 4
    app.by_test_id("step").click()  # the charts show from the first trained epoch on
    app.by_test_id("insight-panel").scroll_into_view_if_needed()
    roc = app.by_test_id("roc-chart")
    expect(roc).to_be_visible()
    app.wait_until(lambda: len(_chart(app, "roc-chart")) == 2, 10, "the ROC curve")
    curve = _chart(app, "roc-chart")[1]
    assert curve["x"][0] == 0 and curve["x"][-1] == 1 and curve["y"][-1] == 1
    title = roc.evaluate("(e) => e.layout.title.text")
    assert f"AUC {app.by_test_id('metric-test-roc-auc').inner_text()}" in title

    matrix = app.by_test_id("confusion-matrix")
    expect(matrix.locator("caption")).to_contain_text("true class")
    expect(matrix.locator("th[scope=col]")).to_have_count(3)
    expect(matrix.locator("th[scope=row]")).to_have_count(2)
    counts = {
        key: int(app.by_test_id(f"confusion-{key}").inner_text())
        for key in ("neg-neg", "neg-pos", "pos-neg", "pos-pos")
    }
    assert sum(counts.values()) == test_points
    accuracy = float(app.by_test_id("metric-test-accuracy").get_attribute("data-value"))
    assert math.isclose((counts["neg-neg"] + counts["pos-pos"]) / sum(counts.values()), accuracy)

    # A new problem type starts a fresh run (reference mode): the charts show again from its first step.
    app.by_test_id("problem-type").select_option(label="regression")
    for test_id in ("metrics", "roc-chart", "confusion-matrix"):
        expect(app.by_test_id(test_id)).to_be_hidden()
    expect(app.by_test_id("classification-only-note")).to_contain_text("regression")
    expect(app.by_test_id("epoch")).to_have_text("0")
    app.by_test_id("step").click()
    expect(app.by_test_id("grad-chart")).to_be_visible()
    app.by_test_id("problem-type").select_option(label="classification")
    expect(app.by_test_id("epoch")).to_have_text("0")
    app.by_test_id("step").click()
    expect(app.by_test_id("confusion-matrix")).to_be_visible()
    expect(app.by_test_id("classification-only-note")).to_be_hidden()


def test_vanishing_gradients_preset_shows_the_first_layer_gradient_100x_below_the_last(app, results_dir):
    app.by_test_id("presets").select_option("vanishing-gradients")
    app.wait_for_server(lambda s: s["config"]["hidden_layers"] == [8] * 6 and s["epoch"] == 0)
    app.by_test_id("speed-max").click()
    app.wait_for_server(lambda s: s["config"]["speed"] == 0)
    app.open_panel("insight")
    session = _train(app, 600, timeout_s=40)
    app.by_test_id("grad-chart").scroll_into_view_if_needed()

    def settled():
        traces = _chart(app, "grad-chart")
        return len(traces) == 7 and traces[0]["x"][-1] == session["epoch"] and traces

    traces = app.wait_until(settled, 10, "the gradient chart to show the last frame")
    assert [t["name"] for t in traces] == [f"hidden layer {i}" for i in range(1, 7)] + ["output layer"]
    first, last = traces[0]["y"][-1], traces[-1]["y"][-1]
    assert first * 100 <= last, f"first layer {first:.3g}, output layer {last:.3g}"
    assert app.page.evaluate("document.querySelector('[data-testid=grad-chart]').layout.yaxis.type") == "log"
    expect(app.by_test_id("grad-legend")).to_contain_text("hidden layer 6")
    expect(app.by_test_id("hist-layer").locator("option")).to_have_count(7)

    app.page.mouse.move(5, 5)  # no tooltip over the picture
    app.page.wait_for_timeout(600)  # the throttled charts draw their last frame
    path = results_dir / "insight-panel.png"
    app.by_test_id("insight-panel").screenshot(path=str(path))
    assert path.stat().st_size > 10_000


def test_histograms_count_the_chosen_layers_weights_and_activations(playground):
    wire = Wire(playground.page)
    app = playground.open("/?open=insights")
    data = wire.wait_for("data")
    train_points = len(data["train_y"]) // 4
    expect(app.by_test_id("insight-waiting")).to_be_visible()  # no empty charts at epoch 0
    app.by_test_id("step").click()
    app.by_test_id("weight-hist").scroll_into_view_if_needed()
    select = app.by_test_id("hist-layer")
    expect(select.locator("option")).to_have_text(["Hidden layer 1", "Hidden layer 2", "Output layer"])
    # Default net: 2 inputs -> 4 -> 2 -> 1.
    for index, weights, neurons in ((0, 2 * 4, 4), (1, 4 * 2, 2)):
        select.select_option(str(index))
        app.wait_until(
            lambda w=weights: _bars_total(app, "weight-hist") == w,
            10,
            f"{weights} weights in layer {index + 1}",
        )
        app.wait_until(
            lambda n=neurons: _bars_total(app, "activation-hist") == n * train_points,
            10,
            f"{neurons} x {train_points} activations in layer {index + 1}",
        )
    select.select_option(label="Output layer")
    app.wait_until(lambda: _bars_total(app, "weight-hist") == 2, 10, "2 output weights")
    expect(app.by_test_id("activation-hist")).to_be_hidden()
    expect(app.by_test_id("activation-note")).to_be_visible()


def test_learning_rate_chart_follows_a_step_schedule(playground):
    app = playground.open("/?schedule=step&scheduleEpochs=10&scheduleFactor=0.5&speed=5&open=insights")
    _train(app, 40)
    app.by_test_id("lr-chart").scroll_into_view_if_needed()  # charts off screen are not drawn

    def enough():
        traces = _chart(app, "lr-chart")
        return traces and len(traces[0]["x"]) >= 5 and traces[0]["x"][-1] == app.epoch() and traces[0]

    trace = app.wait_until(enough, 10, "the learning-rate chart")
    for epoch, rate in zip(trace["x"], trace["y"], strict=True):
        assert math.isclose(rate, 0.03 * 0.5 ** (epoch // 10), rel_tol=1e-9), (epoch, rate)
    assert len(set(trace["y"])) >= 3


def test_insight_panel_opens_on_demand_from_the_keyboard_and_the_link_remembers_it(app):
    toggle = app.by_test_id("insight-toggle")
    body = app.by_test_id("insight-body")
    expect(toggle).to_have_attribute("aria-expanded", "false")  # the first screen stays uncluttered
    expect(body).to_be_hidden()
    app.by_test_id("step").click()
    toggle.focus()
    app.page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(body).to_be_visible()
    expect(app.page).to_have_url(re.compile(r"open=insights"))
    app.page.reload()
    app.wait_until_connected()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    app.wait_until(lambda: len(_chart(app, "lr-chart")) == 1, 10, "the charts drawn after opening")
    toggle.focus()
    app.page.keyboard.press("Space")
    expect(body).to_be_hidden()
    expect(app.by_test_id("play")).to_have_attribute("aria-pressed", "false")  # Space did not play


def test_page_with_the_insight_panel_open_and_drawing_on_has_no_serious_accessibility_violations(app):
    app.by_test_id("step").click()
    app.open_panel("insight")
    app.by_test_id("draw-mode").click()
    app.by_test_id("insight-panel").scroll_into_view_if_needed()
    app.wait_until(lambda: len(_chart(app, "grad-chart")) == 3, 10, "the gradient chart")
    serious = serious_violations(app.page)
    assert serious == []
    expect(app.by_test_id("status")).to_have_text(re.compile("connected"))
