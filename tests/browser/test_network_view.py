"""The network diagram: feature maps, layer buttons, live neurons, inspecting, weight and bias edits."""

from __future__ import annotations

import itertools
import re

from playwright.sync_api import expect

FEATURES = ["x1", "x2", "x1_sq", "x2_sq", "x1_x2", "sin_x1", "sin_x2"]
OUTPUT_CANVAS = "[data-testid=output-heatmap] canvas"


def test_every_feature_shows_its_own_heat_map_and_toggles_on_click(app):
    samples = [app.canvas_sample(f"[data-testid=feature-{name}] canvas") for name in FEATURES]
    assert all(len(set(sample)) > 3 for sample in samples), "a feature map is flat"
    assert len({tuple(sample) for sample in samples}) == len(FEATURES), "two features look the same"
    for name in ("x1_x2", "sin_x1"):
        tile = app.by_test_id(f"feature-{name}")
        expect(tile).to_have_attribute("aria-pressed", "false")
        tile.click()
        expect(tile).to_have_attribute("aria-pressed", "true")
    app.wait_for_server(lambda s: s["config"]["features"] == ["x1", "x2", "x1_x2", "sin_x1"])
    # The new inputs are wired to the first hidden layer.
    expect(app.by_test_id("link-sin_x1-0_3")).to_have_count(1)


def test_layers_and_neurons_go_up_to_the_limits_and_links_follow(app):
    for _ in range(4):
        app.by_test_id("add-layer").click()
        app.page.wait_for_timeout(100)
    app.wait_for_server(lambda s: len(s["config"]["hidden_layers"]) == 6)
    expect(app.by_test_id("add-layer")).to_be_disabled()
    for _ in range(4):
        app.by_test_id("add-neuron-0").click()
        app.page.wait_for_timeout(100)
    session = app.wait_for_server(lambda s: s["config"]["hidden_layers"][0] == 8)
    expect(app.by_test_id("add-neuron-0")).to_be_disabled()
    layers = session["config"]["hidden_layers"]
    expect(app.page.locator("[data-testid^='neuron-0-']")).to_have_count(8)
    links = 2 * layers[0] + sum(a * b for a, b in itertools.pairwise(layers)) + layers[-1]
    expect(app.page.locator("[data-testid^='link-']")).to_have_count(links)
    expect(app.by_test_id("link-x2-0_7")).to_have_count(1)
    expect(app.by_test_id("link-4_1-5_0")).to_have_count(1)
    expect(app.by_test_id("link-5_1-output")).to_have_count(1)
    app.by_test_id("remove-neuron-5").click()
    app.wait_for_server(lambda s: s["config"]["hidden_layers"][5] == 1)
    expect(app.page.locator("[data-testid^='neuron-5-']")).to_have_count(1)


def test_neuron_thumbnails_update_while_training(app):
    # The thumbnails are drawn from the first frame, which may still be on its way when the page is up.
    before = app.wait_until(
        lambda: len(set((sample := app.neuron_map("neuron-0-0"))[0::4])) > 3 and sample,
        10,
        "the neuron's map to be drawn",
    )
    assert app.neuron_map("neuron-0-0") != app.neuron_map("neuron-0-1")
    app.by_test_id("play").click()
    app.wait_until(lambda: app.epoch() > 200, 30, "200 epochs")
    app.by_test_id("play").click()
    app.wait_until(lambda: app.neuron_map("neuron-0-0") != before, 5, "the neuron's map to change")


CANVAS_SIZE = (
    "(() => { const c = document.querySelector('[data-testid=output-heatmap] canvas');"
    " return [c.width, c.height, c.clientWidth]; })()"
)


def test_hovering_a_neuron_enlarges_its_map_and_leaving_restores_the_output(app):
    caption = app.by_test_id("heatmap-caption")
    expect(caption).to_have_text("showing the network output")
    output, output_size = app.canvas_sample(OUTPUT_CANVAS), app.page.evaluate(CANVAS_SIZE)
    app.by_test_id("neuron-0-1").hover()
    expect(caption).to_contain_text("showing neuron 1,2")
    enlarged = app.wait_until(
        lambda: (sample := app.canvas_sample(OUTPUT_CANVAS)) != output and sample, 5, "the neuron's map"
    )
    # The neuron's own 10 x 10 grid, scaled up by the page to the heat map's full size.
    size = app.page.evaluate(CANVAS_SIZE)
    assert size[:2] == [10, 10] and size[2] > 200, size
    app.page.mouse.move(5, 5)
    expect(caption).to_have_text("showing the network output")
    # The output's own map comes back: its resolution, not the neuron's (a frame made meanwhile, e.g. by
    # the exact kernel once compiled, may have changed its pixels by round-off since the first sample).
    app.wait_until(
        lambda: (
            app.page.evaluate(CANVAS_SIZE) == output_size and app.canvas_sample(OUTPUT_CANVAS) != enlarged
        ),
        15,
        "the output to come back",
    )
    # The same from the keyboard: focusing a neuron shows it, as long as it has the focus.
    app.by_test_id("neuron-0-1").focus()
    expect(caption).to_contain_text("showing neuron 1,2")
    app.wait_until(lambda: app.canvas_sample(OUTPUT_CANVAS) == enlarged, 5, "the neuron's map again")
    app.by_test_id("neuron-1-0").focus()
    expect(caption).to_contain_text("showing neuron 2,1")
    app.by_test_id("play").focus()
    expect(caption).to_have_text("showing the network output")


def test_links_are_coloured_and_sized_by_weight(app):
    line = app.by_test_id("link-x1-0_0").locator(".link-line")
    for value, width, colour in (("4", "5", "rgb(8, 119, 189)"), ("-4", "5", "rgb(245, 147, 34)")):
        app.click_link("link-x1-0_0")
        app.by_test_id("weight-input").fill(value)
        app.page.keyboard.press("Enter")
        expect(line).to_have_attribute("stroke-width", width)
        expect(line).to_have_attribute("stroke", colour)
    app.click_link("link-x1-0_0")
    app.by_test_id("weight-input").fill("0")
    app.page.keyboard.press("Enter")
    expect(line).to_have_attribute("stroke-width", "0.6")
    expect(line).to_have_attribute("stroke", "rgb(255, 255, 255)")


def test_clicking_a_link_edits_its_weight_and_the_output_changes(app):
    output = app.canvas_sample(OUTPUT_CANVAS)
    app.click_link("link-x1-0_2")
    popover = app.by_test_id("weight-popover")
    expect(popover).to_be_visible()
    expect(popover).to_contain_text("Weight from X₁ to neuron 1,3")
    weight_input = app.by_test_id("weight-input")
    expect(weight_input).to_be_focused()
    expect(weight_input).to_have_value(re.compile(r"^-?\d+(\.\d+)?(e-?\d+)?$"))
    weight_input.fill("7.5")
    weight_input.press("Enter")
    expect(popover).to_be_hidden()
    expect(app.by_test_id("link-x1-0_2")).to_be_focused()  # the focus goes back to the link
    app.wait_until(lambda: app.canvas_sample(OUTPUT_CANVAS) != output, 5, "the output to change")
    # The next frame carries the new weight: the popover shows it.
    app.click_link("link-x1-0_2")
    expect(app.by_test_id("weight-input")).to_have_value("7.5")
    app.page.keyboard.press("Escape")
    expect(popover).to_be_hidden()
    assert app.epoch() == 0  # editing does not train


def test_links_can_be_reached_and_edited_from_the_keyboard(app):
    first = app.by_test_id("link-x1-0_0")
    expect(first).to_have_attribute("tabindex", "0")
    first.focus()
    app.page.keyboard.press("ArrowDown")
    second = app.by_test_id("link-x1-0_1")
    expect(second).to_be_focused()
    expect(second).to_have_attribute("aria-label", re.compile(r"Weight from X₁ to neuron 1,2: -?\d"))
    app.page.keyboard.press("Enter")
    weight_input = app.by_test_id("weight-input")
    expect(weight_input).to_be_focused()
    weight_input.fill("-3")
    weight_input.press("Enter")
    app.page.keyboard.press("Enter")  # the focus is back on the link: open it again
    expect(app.by_test_id("weight-input")).to_have_value("-3")
    app.page.keyboard.press("Escape")
    assert app.epoch() == 0  # the arrow keys moved between links, they did not step


def test_clicking_a_neuron_edits_its_bias(app):
    output = app.canvas_sample(OUTPUT_CANVAS)
    app.by_test_id("neuron-1-0").click()
    expect(app.by_test_id("weight-popover")).to_contain_text("Bias of neuron 2,1")
    weight_input = app.by_test_id("weight-input")
    expect(weight_input).to_have_value("0.1")  # every bias starts at 0.1
    weight_input.fill("-6")
    weight_input.press("Enter")
    app.page.mouse.move(5, 5)
    app.wait_until(lambda: app.canvas_sample(OUTPUT_CANVAS) != output, 5, "the output to change")
    app.by_test_id("neuron-1-0").press("Enter")
    expect(app.by_test_id("weight-input")).to_have_value("-6")
    app.page.keyboard.press("Escape")


def test_out_of_range_weight_is_refused_in_the_popover(app):
    app.click_link("link-x2-0_0")
    weight_input = app.by_test_id("weight-input")
    weight_input.fill("1000")
    weight_input.press("Enter")
    expect(app.by_test_id("weight-popover")).to_contain_text("between -100 and 100")
    expect(weight_input).to_have_attribute("aria-invalid", "true")
    app.page.keyboard.press("Escape")
    expect(app.by_test_id("weight-popover")).to_be_hidden()
