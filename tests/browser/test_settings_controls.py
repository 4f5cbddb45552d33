"""Settings controls: changes reach the server, the URL follows, refusals are shown and undone."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

Change = Callable[[Any], None]


def _select(test_id: str, label: str) -> Change:
    return lambda app: app.by_test_id(test_id).select_option(label=label)


def _click(test_id: str) -> Change:
    return lambda app: app.by_test_id(test_id).click()


def _fill(test_id: str, value: str) -> Change:
    return lambda app: app.by_test_id(test_id).fill(value)


@pytest.mark.parametrize(
    ("change", "expected", "url_fragment"),
    [
        pytest.param(
            _select("learning-rate", "0.1"), {"learning_rate": 0.1}, "learningRate=0.1", id="learning-rate"
        ),
        pytest.param(
            _select("activation", "relu"), {"activation": "relu"}, "activation=relu", id="activation"
        ),
        pytest.param(
            _click("dataset-plane"),
            {"dataset": "plane", "problem": "regression"},
            "dataset=plane",
            id="dataset-sets-its-problem",
        ),
        pytest.param(
            _click("feature-x1_sq"), {"features": ["x1", "x2", "x1_sq"]}, "features=x1,x2,x1_sq", id="feature"
        ),
        pytest.param(_click("add-layer"), {"hidden_layers": [4, 2, 2]}, "networkShape=4,2,2", id="add-layer"),
        pytest.param(_click("add-neuron-0"), {"hidden_layers": [5, 2]}, "networkShape=5,2", id="add-neuron"),
        pytest.param(_fill("noise", "20"), {"noise": 20}, "noise=20", id="noise"),
    ],
)
def test_control_change_reaches_the_server_and_the_url(app, change, expected, url_fragment):
    change(app)
    app.wait_for_server(lambda s: all(s["config"][k] == v for k, v in expected.items()))
    expect(app.page).to_have_url(re.compile(re.escape(url_fragment)))
    expect(app.by_test_id("error-text")).to_have_text("")


def test_data_set_and_feature_buttons_show_which_is_selected(app):
    expect(app.by_test_id("dataset-circle")).to_have_attribute("aria-pressed", "true")
    app.by_test_id("dataset-xor").click()
    expect(app.by_test_id("dataset-xor")).to_have_attribute("aria-pressed", "true")
    expect(app.by_test_id("dataset-circle")).to_have_attribute("aria-pressed", "false")
    feature = app.by_test_id("feature-x1")
    expect(feature).to_have_attribute("aria-pressed", "true")
    feature.click()
    expect(feature).to_have_attribute("aria-pressed", "false")
    assert app.wait_for_server(lambda s: s["config"]["features"] == ["x2"])


def test_network_diagram_follows_the_layer_buttons(app):
    expect(app.page.locator("[data-testid^='neuron-0-']")).to_have_count(4)
    app.by_test_id("remove-neuron-0").click()
    expect(app.page.locator("[data-testid^='neuron-0-']")).to_have_count(3)
    app.by_test_id("remove-layer").click()
    expect(app.page.locator("[data-testid^='neuron-1-']")).to_have_count(0)
    app.wait_for_server(lambda s: s["config"]["hidden_layers"] == [3])


def test_rejected_change_shows_the_error_and_restores_the_control(app):
    noise = app.by_test_id("noise")
    # Widen the slider past the schema's range, as a stale page might, so the server refuses.
    noise.evaluate("input => { input.max = '500'; }")
    noise.fill("400")
    error = app.by_test_id("error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("noise")
    expect(noise).to_have_value("0")
    assert app.server_session()["config"]["noise"] == 0


def test_settings_in_the_link_start_a_session_with_them(playground):
    playground.open("/?learningRate=0.3&activation=relu&networkShape=3")
    config = playground.server_session()["config"]
    assert (config["learning_rate"], config["activation"], config["hidden_layers"]) == (0.3, "relu", [3])
    expect(playground.by_test_id("learning-rate").locator("option:checked")).to_have_text("0.3")


def test_invalid_setting_in_the_link_is_reported_and_the_rest_are_kept(playground):
    playground.console.allow("422")  # Chromium logs the refused POST /api/sessions
    playground.open("/?learningRate=50&activation=relu")
    expect(playground.by_test_id("error")).to_contain_text("learning")
    config = playground.server_session()["config"]
    assert (config["learning_rate"], config["activation"]) == (0.03, "relu")
