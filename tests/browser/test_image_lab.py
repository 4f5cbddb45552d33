"""The image lab page in Chromium: build a stack with the buttons, train, see filters and feature maps,
draw a digit and get a prediction with its saliency; accessible; screenshots at three sizes."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlparse

from a11y import serious_violations
from playwright.sync_api import Page, expect

COMPILE_TIMEOUT_MS = 120_000
TRAIN_TIMEOUT_S = 90.0

# How many distinct colours the canvases under a selector show (1 = blank).
_DISTINCT_COLOURS_JS = """(selector) => {
    const seen = new Set();
    for (const canvas of document.querySelectorAll(selector)) {
        const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
        for (let i = 0; i < data.length; i += 4) seen.add(data.slice(i, i + 4).join());
    }
    return seen.size;
}"""


def _accuracy(page: Page) -> float:
    text = page.get_by_test_id("test-accuracy").inner_text()
    return float(text.rstrip("%")) / 100 if text.endswith("%") else 0.0


def _wait_for(condition, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(0.2)


def _server_session(page: Page) -> dict:
    session = parse_qs(urlparse(page.url).query)["session"][0]
    response = page.request.get(f"/api/images/sessions/{session}")
    assert response.status == 200
    return dict(response.json())


def _open_lab(page: Page) -> None:
    page.goto("/")
    page.get_by_test_id("lab-images").click()
    expect(page).to_have_url(re.compile(r"/images\.html\?session="), timeout=COMPILE_TIMEOUT_MS)
    expect(page.get_by_test_id("status")).to_have_text("connected · paused", timeout=COMPILE_TIMEOUT_MS)
    expect(page.get_by_test_id("test-accuracy")).to_have_text(re.compile(r"%$"), timeout=COMPILE_TIMEOUT_MS)


def _draw_a_one(page: Page) -> None:
    box = page.get_by_test_id("digit-canvas").bounding_box()
    assert box
    x = box["x"] + box["width"] * 0.5
    page.mouse.move(x, box["y"] + box["height"] * 0.15)
    page.mouse.down()
    for step in range(1, 15):
        page.mouse.move(x, box["y"] + box["height"] * (0.15 + 0.05 * step))
    page.mouse.up()


def test_build_a_stack_train_and_see_filters_maps_and_a_drawn_digit_predicted(
    page: Page, console_errors, results_dir
):
    page.set_viewport_size({"width": 1440, "height": 900})
    _open_lab(page)
    assert _server_session(page)["epoch"] == 0

    # Build conv 8 -> max pool -> dense 32 with the buttons: remove the last two layers, add a dense one.
    page.get_by_test_id("layer-4-remove").click()
    page.get_by_test_id("layer-3-remove").click()
    page.get_by_test_id("add-kind").select_option("dense")
    page.get_by_test_id("add-layer").click()
    expect(page.get_by_test_id("layer-3-shape")).to_have_text("→ 32 · 4,128 params")
    # An invalid layer gets its error next to it, and is not applied.
    page.get_by_test_id("add-kind").select_option("maxpool")
    page.get_by_test_id("add-layer").click()
    expect(page.get_by_test_id("layer-4-error")).to_have_text(
        "layer 4 (maxpool): needs an image map, but its input is flat (32)"
    )
    expect(page.get_by_test_id("stack-state")).to_contain_text("not applied")
    page.get_by_test_id("layer-4-remove").click()
    expect(page.get_by_test_id("param-count")).to_have_text(f"{80 + 4128 + 330:,}")
    _wait_for(
        lambda: (
            [layer["kind"] for layer in _server_session(page)["config"]["layers"]]
            == ["conv", "maxpool", "dense"]
        ),
        20,
        "the server to get the new stack",
    )
    expect(page.get_by_test_id("status")).to_have_text("connected · paused", timeout=COMPILE_TIMEOUT_MS)

    page.get_by_test_id("play").click()
    expect(page.get_by_test_id("play")).to_have_attribute("aria-pressed", "true", timeout=COMPILE_TIMEOUT_MS)
    _wait_for(lambda: _accuracy(page) > 0.9, TRAIN_TIMEOUT_S, "test accuracy above 90%")
    page.get_by_test_id("play").click()
    expect(page.get_by_test_id("play")).to_have_attribute("aria-pressed", "false")
    assert int(page.get_by_test_id("epoch").inner_text()) > 0

    assert page.locator("[data-testid=filters] canvas").count() == 8
    assert page.evaluate(_DISTINCT_COLOURS_JS, "[data-testid=filters] canvas") > 8
    assert page.evaluate(_DISTINCT_COLOURS_JS, "[data-testid=feature-maps] canvas") > 8
    assert page.locator("[data-testid=confusion-matrix] tbody tr").count() == 10
    expect(page.get_by_test_id("misclassified-count")).to_contain_text("of the test digits")

    _draw_a_one(page)
    expect(page.get_by_test_id("digit-prediction")).to_have_text(
        re.compile(r"^It's a \d · \d+\.\d% \(epoch \d+\)$")
    )
    assert page.locator("[data-testid=probabilities] .bar").count() == 10
    expect(page.get_by_test_id("saliency")).to_have_attribute("data-max", re.compile(r"^[0-9.e-]+$"))
    assert page.evaluate(_DISTINCT_COLOURS_JS, "[data-testid=saliency]") > 2
    assert page.evaluate(_DISTINCT_COLOURS_JS, "[data-testid=digit-seen]") > 2

    assert serious_violations(page) == []
    page.screenshot(path=str(results_dir / "image-lab-desktop.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 720})
    page.screenshot(path=str(results_dir / "image-lab-projector.png"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(results_dir / "image-lab-phone.png"), full_page=True)
    assert serious_violations(page) == []


def test_the_drawing_pad_works_with_the_keyboard_and_touch(page: Page, console_errors):
    page.set_viewport_size({"width": 390, "height": 844})
    _open_lab(page)
    pad = page.get_by_test_id("digit-canvas")
    pad.focus()
    page.keyboard.press("Space")
    for _ in range(5):
        page.keyboard.press("ArrowDown")
    expect(page.get_by_test_id("digit-prediction")).to_have_text(re.compile(r"^It's a \d"))
    page.keyboard.press("Delete")
    expect(page.get_by_test_id("digit-prediction")).to_have_text("Draw a digit")
    page.get_by_test_id("copy-digit").click()
    expect(page.get_by_test_id("digit-prediction")).to_have_text(re.compile(r"^It's a \d"))
