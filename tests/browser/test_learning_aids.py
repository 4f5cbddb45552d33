"""Help and keyboard use: tooltips from the settings' help, shortcuts, focus, labels, screenshots, axe."""

from __future__ import annotations

from a11y import serious_violations
from playwright.sync_api import expect

SPIRAL_6X8 = (
    "/?dataset=spiral&features=x1,x2,x1_sq,x2_sq,x1_x2,sin_x1,sin_x2&networkShape=8,8,8,8,8,8&speed=0"
)
# Settings whose control is a group rather than one input: the group carries the help.
GROUP_CONTROLS = {"dataset": "datasets", "hidden_layers": "layer-editor"}
# Per-layer settings: one select per hidden layer (the first one checked), named after its layer.
PER_LAYER_CONTROLS = {
    "layer_activations": ("layer-activation-0", "Activation of hidden layer 1"),
    "layer_dropout": ("layer-dropout-0", "Dropout of hidden layer 1"),
}


def _description(page, locator) -> str:
    ids = (locator.get_attribute("aria-describedby") or "").split()
    return " ".join(page.evaluate("(id) => document.getElementById(id).textContent", i) for i in ids)


def test_every_setting_has_a_label_and_a_tooltip_from_its_help_on_keyboard_focus(playground):
    # AdamW with a step schedule uses every optimizer setting, and multi-class blobs every data
    # setting, so all of them are shown.
    app = playground.open("/?optimizer=adamw&schedule=step&dataset=blobs&open=toolbox,layers")
    schema = app.page.request.get("/api/schema").json()
    tooltip = app.by_test_id("tooltip")
    checked = 0
    for setting in schema["settings"]:
        if setting["type"] == "features":
            continue  # the feature tiles: see the next test
        per_layer_id, per_layer_label = PER_LAYER_CONTROLS.get(setting["name"], (None, None))
        test_id = (
            GROUP_CONTROLS.get(setting["name"])
            or per_layer_id
            or ("problem-type" if setting["name"] == "problem" else setting["name"].replace("_", "-"))
        )
        control = app.by_test_id(test_id)
        target = control.locator("button").first if test_id in GROUP_CONTROLS.values() else control
        target.focus()
        expect(tooltip, f"{setting['name']}").to_be_visible()
        expect(tooltip).to_have_text(setting["help"])
        described = control if test_id == "layer-editor" else target
        assert setting["help"] in _description(app.page, described), setting["name"]
        if test_id not in GROUP_CONTROLS.values():
            label = app.page.locator(f"label[for='{target.get_attribute('id')}']")
            expect(label).to_contain_text(per_layer_label or setting["label"])
        checked += 1
    assert checked >= len(schema["settings"]) - 1


def test_buttons_presets_and_toggles_explain_themselves_on_focus(app):
    tooltip = app.by_test_id("tooltip")
    for test_id, fragment in (
        ("play", "Space"),
        ("step", "one epoch"),
        ("reset", "epoch 0"),
        ("regenerate", "new random seed"),
        ("presets", "lesson"),
        ("speed-max", "as fast as"),
        ("discretize", "predicted class"),
        ("show-test-data", "test points"),
    ):
        app.by_test_id(test_id).focus()
        expect(tooltip).to_be_visible()
        expect(tooltip).to_contain_text(fragment)
    app.page.keyboard.press("Escape")
    expect(tooltip).to_be_hidden()
    app.by_test_id("feature-x1").hover()
    expect(tooltip).to_contain_text("input")


def test_keyboard_shortcuts_play_step_and_reset_but_not_while_typing(app):
    play = app.by_test_id("play")
    app.page.locator("body").click(position={"x": 5, "y": 300})  # focus nothing in particular
    app.page.keyboard.press("ArrowRight")
    expect(app.by_test_id("epoch")).to_have_text("1")
    app.page.keyboard.press("ArrowRight")
    expect(app.by_test_id("epoch")).to_have_text("2")
    app.page.keyboard.press("r")
    expect(app.by_test_id("epoch")).to_have_text("0")
    app.page.keyboard.press(" ")
    expect(play).to_have_attribute("aria-pressed", "true")
    app.page.keyboard.press(" ")
    expect(play).to_have_attribute("aria-pressed", "false")
    app.wait_for_server(lambda s: s["state"] == "paused")
    app.by_test_id("reset").click()
    expect(app.by_test_id("epoch")).to_have_text("0")
    # In a text field the keys type; on a slider the arrows move the slider.
    app.open_panel("toolbox")
    seed = app.by_test_id("seed")
    seed.focus()
    app.page.keyboard.press("r")
    app.page.keyboard.press(" ")
    noise = app.by_test_id("noise")
    noise.focus()
    app.page.keyboard.press("ArrowRight")
    app.wait_for_server(lambda s: s["config"]["noise"] == 5)
    expect(play).to_have_attribute("aria-pressed", "false")
    expect(app.by_test_id("epoch")).to_have_text("0")


def test_focus_is_visible_on_controls_neurons_and_links(app):
    for test_id in ("play", "learning-rate", "neuron-0-0", "feature-x2", "dataset-gauss"):
        app.page.keyboard.press("Tab")  # keyboard modality, so :focus-visible applies
        element = app.by_test_id(test_id)
        element.focus()
        outline = element.evaluate("(e) => getComputedStyle(e).outlineStyle")
        assert outline == "solid", f"{test_id} has no focus ring"
    link = app.by_test_id("link-x1-0_0")
    link.focus()
    halo = link.locator(".link-hit").evaluate("(e) => getComputedStyle(e).stroke")
    assert halo not in ("none", "transparent", "rgba(0, 0, 0, 0)"), halo


def test_status_is_announced_and_every_control_is_labelled(app):
    expect(app.by_test_id("status")).to_have_attribute("aria-live", "polite")
    unlabelled = app.page.evaluate(
        """() => Array.from(document.querySelectorAll("button, select, input"))
            .filter((e) => e.offsetParent !== null)
            .filter((e) => !(e.labels && e.labels.length) && !e.getAttribute("aria-label")
                          && !e.getAttribute("aria-labelledby") && !e.textContent.trim())
            .map((e) => e.outerHTML.slice(0, 80))"""
    )
    assert unlabelled == []


def test_spiral_6x8_page_with_a_popover_open_has_no_serious_accessibility_violations(playground):
    playground.open(SPIRAL_6X8)
    playground.by_test_id("neuron-2-2").click()
    expect(playground.by_test_id("weight-popover")).to_be_visible()
    assert serious_violations(playground.page) == []


def _wait_for_the_loss_chart(playground) -> None:
    playground.wait_until(lambda: playground.loss_chart_points() > 3, 10, "the chart")


def test_screenshots_of_the_default_page_and_a_trained_spiral_6x8(playground, results_dir):
    playground.open("/")
    playground.by_test_id("play").click()
    playground.wait_until(lambda: playground.epoch() >= 300, 30, "300 epochs")
    playground.by_test_id("play").click()
    _wait_for_the_loss_chart(playground)
    default = results_dir / "default-page.png"
    playground.page.screenshot(path=str(default), full_page=True)
    assert default.stat().st_size > 10_000

    playground.open(SPIRAL_6X8)
    playground.by_test_id("play").click()
    playground.wait_until(lambda: playground.epoch() >= 3000, 45, "3000 epochs")
    playground.by_test_id("play").click()
    _wait_for_the_loss_chart(playground)
    playground.by_test_id("show-test-data").check()
    playground.page.mouse.move(5, 5)
    spiral = results_dir / "spiral-6x8.png"
    playground.page.screenshot(path=str(spiral), full_page=True)
    assert spiral.stat().st_size > 10_000
    expect(
        playground.page.locator("[data-testid^='neuron-']:not([data-testid^='neuron-count'])")
    ).to_have_count(48)
    playground.page.set_viewport_size({"width": 768, "height": 1000})
    playground.page.wait_for_timeout(400)
    playground.page.screenshot(path=str(results_dir / "spiral-6x8-768.png"), full_page=True)
    assert playground.page.evaluate("document.documentElement.scrollWidth") <= 768
