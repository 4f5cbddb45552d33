"""Multi-class data, the loss, per-layer activations and dropout, and batch norm, on the page."""

from __future__ import annotations

import colorsys
import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlparse

import numpy as np
from a11y import serious_violations
from playwright.sync_api import expect
from wire import Wire

GRID_CELLS = 100 * 100
# Every status line the page shows, kept in the page (a "compiling…" can last a fraction of a second).
RECORD_STATUS_JS = """() => {
    window.__statusTexts = [];
    const status = document.querySelector("[data-testid=status]");
    new MutationObserver(() => window.__statusTexts.push(status.textContent))
        .observe(status, {childList: true, characterData: true, subtree: true});
}"""
# The output map's grid canvas, every pixel (100 x 100, painted 1:1).
GRID_PIXELS_JS = """() => {
    const canvas = document.querySelector("[data-testid=output-heatmap] canvas.heatmap-grid");
    return Array.from(canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data);
}"""


def _without_session(url: str) -> str:
    parts = urlparse(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "session"]
    return f"{parts.path}?{urlencode(query, safe=',')}"


def _hue_bins(rgba: list[int]) -> dict[int, int]:
    """Pixels per 30° hue bin, counting only clearly coloured pixels (not white, grey or black)."""
    bins: dict[int, int] = {}
    for i in range(0, len(rgba), 4):
        h, s, v = colorsys.rgb_to_hsv(rgba[i] / 255, rgba[i + 1] / 255, rgba[i + 2] / 255)
        if s > 0.25 and v > 0.2:
            key = int(h * 360) // 30
            bins[key] = bins.get(key, 0) + 1
    return bins


def _output_weights(frame: dict) -> np.ndarray:
    """The output layer's weights of a frame, row-major (last hidden neuron x class)."""
    return np.frombuffer(frame["weights"][-1], np.float32)


def _output_biases(frame: dict) -> np.ndarray:
    return np.frombuffer(frame["biases"][-1], np.float32)


def _open_blobs(playground: Any, query: str = "") -> tuple[Wire, Any]:
    wire = Wire(playground.page)
    app = playground.open("/?speed=0&open=insights,toolbox,layers" + query.replace("?", "&"))
    app.by_test_id("dataset-blobs").click()
    app.wait_for_server(
        lambda s: (
            (s["config"]["dataset"], s["config"]["loss"], s["config"]["problem"])
            == ("blobs", "cross_entropy", "classification")
        )
    )
    return wire, app


def test_blobs_with_three_classes_learn_above_90pct_and_show_every_class(playground):
    wire, app = _open_blobs(playground)
    expect(app.by_test_id("error-text")).to_have_text("")
    data = wire.wait_for("data", lambda d: d["classes"] == 3)
    labels = np.frombuffer(data["train_y"], np.float32)
    assert set(labels.tolist()) == {0.0, 1.0, 2.0}

    # The legend names the three classes instead of the -1/+1 scale.
    legend = app.by_test_id("legend-classes")
    expect(legend).to_be_visible()
    expect(legend.locator(".legend-class")).to_have_text(["class 0", "class 1", "class 2"])
    expect(app.by_test_id("legend-scale")).to_be_hidden()
    expect(app.by_test_id("legend-positive")).to_be_hidden()
    # The loss control offers only what multi-class data allows.
    loss = app.by_test_id("loss")
    expect(loss.locator("option:checked")).to_have_text("cross_entropy")
    expect(loss.locator("option:disabled")).to_have_text(["square", "huber"])
    # Your own data has two classes: the multi-class points cannot seed it.
    expect(app.by_test_id("draw-mode")).to_be_disabled()
    expect(app.by_test_id("own-data-note")).to_contain_text("two classes")

    app.by_test_id("play").click()
    frame = wire.wait_for(
        "frame",
        lambda f: f.get("outputs") == 3 and len(f.get("output_classes", b"")) == GRID_CELLS,
        timeout_s=60,
    )
    assert len(np.frombuffer(frame["weights"][-1], np.float32)) == 2 * 3  # last hidden layer (2) x 3 classes
    assert len(np.frombuffer(frame["biases"][-1], np.float32)) == 3

    # Three output nodes, one per class, each linked from the last hidden layer's neurons.
    expect(app.page.locator("[data-testid^=output-node]")).to_have_count(3)
    for k in range(3):
        expect(app.by_test_id(f"output-node-{k}")).to_be_visible()
        expect(app.by_test_id(f"link-1_1-output-{k}")).to_have_count(1)
    expect(app.by_test_id("link-1_0-output")).to_have_count(0)

    wire.wait_for("frame", lambda f: (f.get("test_accuracy") or 0) > 0.9, timeout_s=90)
    app.wait_until(lambda: float(app.by_test_id("accuracy-test").inner_text().rstrip("%")) > 90, 10, "90 %")
    app.by_test_id("play").click()
    app.wait_for_server(lambda s: s["state"] == "paused")

    # The decision map shows each class's colour: at least three hues cover a real share of it.
    app.page.wait_for_timeout(300)
    bins = _hue_bins(app.page.evaluate(GRID_PIXELS_JS))
    big = [b for b, count in bins.items() if count > GRID_CELLS * 0.05]
    assert len(big) >= 3, bins

    # A 3 x 3 confusion matrix with class labels; no ROC curve, a note instead.
    app.by_test_id("insight-panel").scroll_into_view_if_needed()
    matrix = app.by_test_id("confusion-matrix")
    expect(matrix.locator("tbody tr")).to_have_count(3)
    expect(matrix.locator("tbody td")).to_have_count(9)
    expect(matrix.locator("th[scope=row]")).to_have_text(["true 0", "true 1", "true 2"])
    test_points = len(np.frombuffer(data["test_y"], np.float32))
    cells = [app.by_test_id(f"confusion-{t}-{p}") for t in range(3) for p in range(3)]
    app.wait_until(
        lambda: sum(int(cell.inner_text()) for cell in cells) == test_points,
        10,
        "the matrix to count every test point",
    )
    expect(app.by_test_id("roc-chart")).to_be_hidden()
    expect(app.by_test_id("roc-note")).to_be_visible()
    expect(app.by_test_id("metrics").locator("caption")).to_contain_text("3 classes")


def test_output_weight_of_a_class_is_edited_by_clicking_its_link(playground):
    wire, app = _open_blobs(playground)
    wire.wait_for("frame", lambda f: f.get("outputs") == 3, timeout_s=60)
    app.click_link("link-1_0-output-2")
    popover = app.by_test_id("weight-popover")
    expect(popover).to_contain_text("Weight from neuron 2,1 to the output for class 2")
    app.by_test_id("weight-input").fill("2.5")
    app.by_test_id("weight-input").press("Enter")
    frame = wire.wait_for("frame", lambda f: f["outputs"] == 3 and _output_weights(f)[0 * 3 + 2] == 2.5)
    assert _output_weights(frame)[1] != 2.5  # class 1's weight from that neuron

    app.by_test_id("output-node-1").click()
    expect(popover).to_contain_text("Bias of the output for class 1")
    app.by_test_id("weight-input").fill("-1.5")
    app.by_test_id("weight-input").press("Enter")
    wire.wait_for("frame", lambda f: f["outputs"] == 3 and _output_biases(f)[1] == -1.5)


def test_layer_activation_select_reaches_the_server_and_the_link(playground, new_tab):
    app = playground.open("/?open=layers")
    first, second = app.by_test_id("layer-activation-0"), app.by_test_id("layer-activation-1")
    expect(first).to_have_accessible_name("Activation of hidden layer 1")
    expect(second.locator("option:checked")).to_have_text("tanh")  # the global activation

    second.select_option(label="relu")
    app.wait_for_server(lambda s: s["config"]["layer_activations"] == ["tanh", "relu"])
    expect(app.page).to_have_url(re.compile(r"layerActivations=tanh,relu(&|$)"))
    expect(app.by_test_id("error-text")).to_have_text("")

    app.page.reload()
    app.wait_until_connected()
    expect(app.by_test_id("layer-activation-1").locator("option:checked")).to_have_text("relu")
    expect(app.by_test_id("layer-activation-0").locator("option:checked")).to_have_text("tanh")

    # The link alone (no session) starts a session with the same per-layer activations.
    other = new_tab(_without_session(app.page.url))
    assert other.server_session()["config"]["layer_activations"] == ["tanh", "relu"]
    expect(other.by_test_id("layer-activation-1").locator("option:checked")).to_have_text("relu")

    # The global activation applies to every layer again.
    app.by_test_id("activation").select_option(label="sigmoid")
    app.wait_for_server(
        lambda s: s["config"]["activation"] == "sigmoid" and s["config"]["layer_activations"] == []
    )
    for layer in (0, 1):
        expect(app.by_test_id(f"layer-activation-{layer}").locator("option:checked")).to_have_text("sigmoid")


def test_layer_dropout_select_reaches_the_server(app):
    app.open_panel("layers")
    app.open_panel("toolbox")
    select = app.by_test_id("layer-dropout-0")
    expect(select).to_have_accessible_name("Dropout of hidden layer 1")
    select.select_option(label="0.3")
    app.wait_for_server(lambda s: s["config"]["layer_dropout"] == [0.3, 0.0])
    expect(app.page).to_have_url(re.compile(r"layerDropout=0\.3,0(&|$)"))
    app.by_test_id("add-layer").click()
    app.wait_for_server(lambda s: s["config"]["hidden_layers"] == [4, 2, 2])
    expect(app.by_test_id("layer-dropout-2").locator("option:checked")).to_have_text("0")
    app.by_test_id("dropout").select_option(label="0.1")
    app.wait_for_server(lambda s: s["config"]["dropout"] == 0.1 and s["config"]["layer_dropout"] == [])
    for layer in (0, 1, 2):
        expect(app.by_test_id(f"layer-dropout-{layer}").locator("option:checked")).to_have_text("0.1")
    expect(app.by_test_id("error-text")).to_have_text("")


def test_loss_follows_the_data_set_without_errors(playground):
    _, app = _open_blobs(playground)
    app.by_test_id("dataset-plane").click()
    app.wait_for_server(
        lambda s: (
            (s["config"]["dataset"], s["config"]["problem"], s["config"]["loss"])
            == ("plane", "regression", "square")
        )
    )
    loss = app.by_test_id("loss")
    expect(loss.locator("option:checked")).to_have_text("square")
    expect(loss.locator("option:disabled")).to_have_text(["cross_entropy"])
    loss.select_option(label="huber")
    app.wait_for_server(lambda s: s["config"]["loss"] == "huber")
    expect(app.by_test_id("classification-only-note")).to_contain_text("Huber")

    app.by_test_id("dataset-circle").click()
    app.wait_for_server(lambda s: (s["config"]["dataset"], s["config"]["loss"]) == ("circle", "square"))
    loss.select_option(label="cross_entropy")
    app.wait_for_server(lambda s: s["config"]["loss"] == "cross_entropy")
    app.by_test_id("problem-type").select_option(label="regression")
    app.wait_for_server(lambda s: (s["config"]["problem"], s["config"]["loss"]) == ("regression", "square"))
    expect(app.by_test_id("error-text")).to_have_text("")


def test_a_link_naming_only_a_multiclass_data_set_gets_cross_entropy(playground):
    app = playground.open("/?dataset=spirals&classes=4")
    config = app.server_session()["config"]
    assert (config["dataset"], config["classes"], config["loss"]) == ("spirals", 4, "cross_entropy")
    expect(app.page.locator("[data-testid^=output-node]")).to_have_count(4)
    expect(app.by_test_id("legend-classes").locator(".legend-class")).to_have_count(4)
    expect(app.by_test_id("error-text")).to_have_text("")


def test_batch_norm_with_batch_size_one_is_refused_and_shown(app):
    app.open_panel("toolbox")
    app.by_test_id("batch-norm").select_option(label="on")
    app.wait_for_server(lambda s: s["config"]["batch_norm"] == "on")
    batch = app.by_test_id("batch-size")
    batch.fill("1")
    error = app.by_test_id("error")
    expect(error).to_contain_text("batch")
    expect(batch).to_have_value("10")
    assert app.server_session()["config"]["batch_size"] == 10
    app.by_test_id("play").click()  # and training still runs
    app.wait_until(lambda: app.epoch() > 20, 60, "20 epochs with batch norm")
    app.by_test_id("play").click()


def test_a_new_kind_of_network_says_it_is_compiling(playground):
    wire = Wire(playground.page)
    # The weights are kept across the change (an activation change would otherwise start a fresh run,
    # paused, with nothing to compile until play).
    app = playground.open(
        "/?dataset=spirals&classes=5&batchNorm=on&networkShape=3,3,3&open=layers&keepWeights=true"
    )
    app.page.evaluate(RECORD_STATUS_JS)
    since = wire.count("status")
    app.by_test_id("play").click()
    wire.wait_for("status", lambda m: m["state"] == "training", since=since, timeout_s=90)
    app.wait_until(lambda: app.epoch() > 0, 30, "training")
    since = wire.count("status")
    # A layer activation this process has not compiled with these shapes yet.
    app.by_test_id("layer-activation-2").select_option(label="softplus")
    wire.wait_for("status", lambda m: m["state"] == "compiling", since=since, timeout_s=30)
    app.wait_until(
        lambda: any("compiling…" in text for text in app.page.evaluate("window.__statusTexts")),
        10,
        "the status line to say compiling…",
    )
    wire.wait_for("status", lambda m: m["state"] == "training", since=since, timeout_s=90)
    app.by_test_id("play").click()


def test_blobs_page_has_no_serious_accessibility_violations(playground):
    wire, app = _open_blobs(playground)
    wire.wait_for("frame", lambda f: f.get("outputs") == 3, timeout_s=60)
    app.by_test_id("step").click()  # the insight charts show from the first trained epoch on
    app.by_test_id("insight-panel").scroll_into_view_if_needed()
    expect(app.by_test_id("confusion-matrix").locator("tbody tr")).to_have_count(3)
    serious = serious_violations(app.page)
    assert serious == []


def test_screenshot_of_a_trained_blobs_run(playground, results_dir):
    wire, app = _open_blobs(playground, "?noise=20")
    app.by_test_id("show-test-data").check()
    app.by_test_id("play").click()
    wire.wait_for("frame", lambda f: f["epoch"] >= 300, timeout_s=60)
    app.by_test_id("play").click()
    app.wait_for_server(lambda s: s["state"] == "paused")
    app.page.mouse.move(5, 5)
    app.page.wait_for_timeout(2500)  # the throttled charts, off screen, draw their last frame
    path = results_dir / "blobs-3-classes.png"
    app.page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
