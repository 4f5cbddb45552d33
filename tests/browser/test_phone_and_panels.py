"""A phone (390 x 844, touch): the run's picture first, a tap shows what a neuron or link is without a
keyboard popping up, an editor that opens on request and closes, touch targets of at least 44 x 44 px;
and panels (toolbox, per-layer settings, insights) that come into view when opened, on desktop and phone."""

from __future__ import annotations

import pytest
from geometry import inside
from playwright.sync_api import Browser, expect

from conftest import ConsoleErrors, Playground

PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}
DESKTOP = {"viewport": {"width": 1440, "height": 900}}
ACTIVE_INPUT_JS = "() => ['INPUT', 'TEXTAREA', 'SELECT'].includes(document.activeElement?.tagName)"


def _open(browser: Browser, base_url: str, context_args: dict, path: str = "/?speed=0") -> Playground:
    context = browser.new_context(base_url=base_url, **context_args)
    page = context.new_page()
    return Playground(page, ConsoleErrors(page)).open(path)


def test_on_a_phone_the_map_comes_first_and_a_tap_shows_a_neurons_output_without_a_keyboard(
    browser: Browser, base_url: str, results_dir
):
    app = _open(browser, base_url, PHONE)
    assert inside(app.by_test_id("output-heatmap").bounding_box(), 390, 844)  # the first screen
    expect(app.page.locator(".network-hint")).to_contain_text("Tap a neuron to see its output")
    app.by_test_id("neuron-0-1").tap()
    inspector = app.by_test_id("network-inspector")
    expect(inspector).to_be_visible()
    expect(inspector).to_contain_text("Neuron 1,2")
    expect(inspector).to_contain_text("bias")
    expect(app.by_test_id("heatmap-caption")).to_contain_text("showing neuron 1,2")
    assert not app.page.evaluate(ACTIVE_INPUT_JS), "a tap focused an input: the keyboard would pop up"
    expect(app.by_test_id("weight-popover")).to_be_hidden()
    assert inside(inspector.bounding_box(), 390, 844)
    app.page.screenshot(path=str(results_dir / "phone-neuron-tapped.png"))
    # The picture in the inspector is the neuron's own output, not a blank square.
    colours = app.page.evaluate(
        """() => {
            const c = document.querySelector(".inspector-picture");
            const d = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
            const seen = new Set();
            for (let i = 0; i < d.length; i += 16) seen.add(d.slice(i, i + 3).join());
            return seen.size;
        }"""
    )
    assert colours > 5

    # Edit opens the editor (now the keyboard is wanted) with a close button that closes it.
    app.by_test_id("inspector-edit").tap()
    popover = app.by_test_id("weight-popover")
    expect(popover).to_be_visible()
    expect(popover).to_contain_text("Bias of neuron 1,2")
    expect(app.by_test_id("weight-input")).to_be_focused()
    app.by_test_id("weight-close").tap()
    expect(popover).to_be_hidden()
    app.by_test_id("inspector-close").tap()
    expect(inspector).to_be_hidden()

    # A link: a tap shows its weight, no editor.
    point = app.page.evaluate(
        """() => {
            const line = document.querySelector('[data-testid="link-x1-0_0"] .link-line');
            const box = line.ownerSVGElement.getBoundingClientRect();
            const at = (n) => Number(line.getAttribute(n));
            const along = (a, b) => at(a) + (at(b) - at(a)) * 0.3;
            return [box.left + along("x1", "x2"), box.top + along("y1", "y2")];
        }"""
    )
    app.page.touchscreen.tap(*point)
    expect(inspector).to_contain_text("Weight from X₁ to neuron 1,1")
    assert not app.page.evaluate(ACTIVE_INPUT_JS)
    expect(app.by_test_id("weight-popover")).to_be_hidden()
    assert app.console.unexpected() == []
    app.page.context.close()


def test_on_a_phone_run_buttons_and_plus_minus_are_at_least_44_px(browser: Browser, base_url: str):
    app = _open(browser, base_url, PHONE, "/?speed=0&networkShape=4,2")
    targets = ["play", "step", "reset", "add-layer", "remove-layer"]
    targets += [f"{verb}-neuron-{layer}" for verb in ("add", "remove") for layer in (0, 1)]
    for test_id in targets:
        box = app.by_test_id(test_id).bounding_box()
        assert box is not None and box["width"] >= 44 and box["height"] >= 44, (test_id, box)
    # The run's buttons stay at hand while the page scrolls.
    app.by_test_id("data-settings").scroll_into_view_if_needed()
    assert inside(app.by_test_id("play").bounding_box(), 390, 844)
    app.page.context.close()


@pytest.mark.parametrize("device", ["desktop", "phone"])
@pytest.mark.parametrize(
    ("toggle", "panel"), [("toolbox-toggle", "toolbox"), ("insight-toggle", "insight-body")]
)
def test_a_panel_opened_by_its_button_comes_into_view(
    browser: Browser, base_url: str, results_dir, device: str, toggle: str, panel: str
):
    app = _open(browser, base_url, PHONE if device == "phone" else DESKTOP)
    app.by_test_id(toggle).click()
    expect(app.by_test_id(toggle)).to_have_attribute("aria-expanded", "true")
    expect(app.by_test_id(panel)).to_be_in_viewport()
    # Its heading is on screen and nothing (the phone's run bar at the top) lies over it.
    heading = "#toolbox-heading" if panel == "toolbox" else "#insight-heading"
    app.page.wait_for_timeout(300)  # the scroll settles
    assert app.page.evaluate(
        """(selector) => {
            const heading = document.querySelector(selector);
            const box = heading.getBoundingClientRect();
            const hit = document.elementFromPoint(box.left + 20, box.top + box.height / 2);
            return box.top >= 0 && box.bottom <= innerHeight && heading.contains(hit);
        }""",
        heading,
    ), "the panel's heading is off screen or covered"
    if toggle == "toolbox-toggle":
        app.page.screenshot(path=str(results_dir / f"toolbox-opened-{device}.png"))
    assert app.console.unexpected() == []
    app.page.context.close()


def test_per_layer_settings_come_into_view_when_opened_on_a_phone(browser: Browser, base_url: str):
    app = _open(browser, base_url, PHONE)
    app.by_test_id("layers-toggle").click()
    expect(app.by_test_id("layer-activation-0")).to_be_in_viewport()
    app.page.context.close()
