"""Sharing that is safe by default: links carry settings, never the session; TF Playground links work."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

from a11y import serious_violations
from playwright.sync_api import expect

# Every key of TF Playground's state (src/state.ts), as its own Share link writes them.
TFP_LINK = (
    "/#activation=relu&batchSize=20&dataset=spiral&regDataset=reg-plane&learningRate=0.01"
    "&regularizationRate=0.001&noise=15&networkShape=8,6,3&seed=0.12345&showTestData=true"
    "&discretize=true&percTrainData=70&x=true&y=true&xTimesY=true&xSquared=false&ySquared=false"
    "&cosX=false&sinX=true&cosY=false&sinY=false&collectStats=false&problem=classification"
    "&initZero=false&hideText=false&regularization=L2&playButton_hide=true&noise_hide=true"
)


def _fnv1a_31(text: str) -> int:
    """TF Playground's string seeds become this 31-bit number (computed here independently)."""
    value = 0x811C9DC5
    for char in text:
        value ^= ord(char)
        value = (value * 0x01000193) & 0xFFFFFFFF
    return value & 0x7FFFFFFF


def test_url_after_load_holds_the_settings_but_no_session_id(app):
    query = parse_qs(urlparse(app.page.url).query)
    assert "session" not in query
    assert app.session_id() not in app.page.url
    assert query["dataset"] == ["circle"]
    assert app.server_session()["id"] == app.session_id()


def test_two_tabs_run_two_sessions_and_stepping_one_leaves_the_other(app, new_tab):
    other = new_tab("/")
    assert other.session_id() != app.session_id()
    app.by_test_id("step").click()
    expect(app.by_test_id("epoch")).to_have_text("1")
    assert other.server_session()["epoch"] == 0
    expect(other.by_test_id("epoch")).to_have_text("0")


def test_share_link_opens_the_same_settings_in_a_new_session(app, new_tab):
    app.by_test_id("dataset-xor").click()
    app.by_test_id("learning-rate").select_option(label="0.1")
    app.by_test_id("add-layer").click()
    config = app.wait_for_server(
        lambda s: s["config"]["hidden_layers"] == [4, 2, 2] and s["config"]["learning_rate"] == 0.1
    )["config"]
    expect(app.page).to_have_url(re.compile(r"networkShape=4,2,2"))  # the page has the server's word too
    app.by_test_id("share").click()
    link = app.by_test_id("share-link").input_value()
    assert "session" not in link and app.session_id() not in link
    other = new_tab(link)
    assert other.session_id() != app.session_id()
    assert other.server_session()["config"] == config


def test_tensorflow_playground_hash_link_opens_the_same_configuration(playground):
    playground.open(TFP_LINK)
    config = playground.server_session()["config"]
    expected = {
        "activation": "relu",
        "batch_size": 20,
        "dataset": "spiral",
        "problem": "classification",
        "learning_rate": 0.01,
        "regularization": "l2",
        "regularization_rate": 0.001,
        "noise": 15,
        "hidden_layers": [8, 6, 3],
        "train_ratio": 70,
        "features": ["x1", "x2", "x1_x2", "sin_x1"],
        "seed": _fnv1a_31("0.12345"),
        "init": "uniform",
    }
    assert {name: config[name] for name in expected} == expected
    expect(playground.by_test_id("show-test-data")).to_be_checked()
    expect(playground.by_test_id("discretize")).to_be_checked()
    expect(playground.by_test_id("play")).to_be_hidden()
    expect(playground.by_test_id("noise")).to_be_hidden()
    expect(playground.by_test_id("step")).to_be_visible()
    # The hash is rewritten into this page's own query form.
    assert "#" not in playground.page.url
    query = parse_qs(urlparse(playground.page.url).query)
    assert query["networkShape"] == ["8,6,3"] and query["showTestData"] == ["true"]


def test_tensorflow_playground_regression_link_maps_its_data_set(playground):
    playground.open("/#problem=regression&regDataset=reg-gauss&networkShape=2&x=true&y=false")
    config = playground.server_session()["config"]
    shown = (config["problem"], config["dataset"], config["hidden_layers"], config["features"])
    assert shown == ("regression", "multigauss", [2], ["x1"])


def test_view_options_and_open_panels_round_trip_through_the_url(playground):
    playground.open("/?showTestData=true&discretize=true&lossLogX=true&open=toolbox,layers,insights")
    for test_id in ("show-test-data", "discretize", "loss-log-x"):
        expect(playground.by_test_id(test_id)).to_be_checked()
    for toggle in ("toolbox-toggle", "layers-toggle", "insight-toggle"):
        expect(playground.by_test_id(toggle)).to_have_attribute("aria-expanded", "true")
    expect(playground.by_test_id("toolbox")).to_be_visible()
    expect(playground.by_test_id("insight-body")).to_be_visible()
    expect(playground.by_test_id("layer-activation-0")).to_be_visible()

    playground.by_test_id("discretize").uncheck()
    playground.by_test_id("toolbox-toggle").click()
    playground.by_test_id("keep-weights").check()
    expect(playground.by_test_id("toolbox")).to_be_hidden()
    query = parse_qs(urlparse(playground.page.url).query)
    assert "discretize" not in query
    assert query["showTestData"] == ["true"] and query["keepWeights"] == ["true"]
    assert query["open"] == ["layers,insights"]

    playground.page.reload()
    playground.wait_until_connected()
    expect(playground.by_test_id("discretize")).not_to_be_checked()
    expect(playground.by_test_id("show-test-data")).to_be_checked()
    expect(playground.by_test_id("keep-weights")).to_be_checked()
    expect(playground.by_test_id("toolbox")).to_be_hidden()
    expect(playground.by_test_id("insight-body")).to_be_visible()


def test_hide_builder_link_hides_exactly_what_was_ticked(app, new_tab):
    app.by_test_id("share").click()
    ticked = ["play", "noise", "features", "learningRate"]  # in the builder's order
    for name in ticked:
        app.by_test_id(f"hide-option-{name}").check()
    link = app.by_test_id("hide-link").input_value()
    assert parse_qs(urlparse(link).query)["hide"] == [",".join(ticked)]
    assert serious_violations(app.page) == []  # the open share panel too
    other = new_tab(link)
    for test_id in ("play", "noise", "learning-rate", "feature-x1_sq"):
        expect(other.by_test_id(test_id)).to_be_hidden()
    for test_id in ("step", "reset", "batch-size", "activation", "speed", "dataset-circle", "feature-x1"):
        expect(other.by_test_id(test_id)).to_be_visible()
    assert other.session_id() != app.session_id()


def test_a_watch_link_is_read_only_and_starts_no_run_of_its_own(page, live_server):
    """What the page does on its own with ?watch=: the stream itself is the server's (/ws/watch/<id>)."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    created: list[str] = []
    page.on("request", lambda r: created.append(r.url) if r.method == "POST" else None)
    sockets: list[str] = []
    page.on("websocket", lambda socket: sockets.append(socket.url))
    page.goto(f"{live_server}/?watch=some-public-id&showTestData=true")
    expect(page.get_by_test_id("watch-banner")).to_be_visible()
    expect(page.get_by_test_id("watch-banner")).to_contain_text("read-only")
    page.wait_for_timeout(300)  # let the page try whatever it would try
    assert created == []  # no session was made for a watcher
    assert page.evaluate("() => window.sessionStorage.getItem('nnplay.session')") is None
    assert sockets and all("/ws/watch/some-public-id" in url for url in sockets)
    for test_id in ("play", "learning-rate", "dataset-xor", "add-layer", "presets"):
        locator = page.get_by_test_id(test_id)
        assert locator.evaluate("(el) => el.closest('[inert]') !== null"), test_id
    expect(page.get_by_test_id("show-test-data")).to_be_checked()  # the view stays the watcher's own
    query = parse_qs(urlparse(page.url).query)
    assert query["watch"] == ["some-public-id"] and "dataset" not in query
    assert errors == []
