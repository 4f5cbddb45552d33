"""The image lab page in Chromium: build a stack with the buttons, train, see filters and feature maps,
draw a digit and get a prediction with its saliency; accessible; screenshots at three sizes."""

from __future__ import annotations

import re
import time
from urllib.parse import parse_qs, urlparse

import numpy as np
from a11y import serious_violations
from playwright.sync_api import Page, expect
from wire import Wire

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


def _said_after(text: str | None) -> str | None:
    """The epochs in "... after 44.9 epochs ..." (a chart's label, a prediction), or None."""
    found = re.search(r"after ([0-9.]+) epochs?", text or "")
    return found.group(1) if found else None


def _server_session(page: Page) -> dict:
    session = parse_qs(urlparse(page.url).query)["session"][0]
    response = page.request.get(f"/api/images/sessions/{session}")
    assert response.status == 200
    return dict(response.json())


def _n_test(page: Page) -> int:
    text = page.get_by_test_id("digit-label").inner_text()  # "test digit 3 of 360 (a 7)"
    match = re.search(r" of (\d+) ", text)
    assert match, text
    return int(match.group(1))


def _open_lab(page: Page) -> None:
    page.goto("/")
    page.get_by_test_id("labs-toggle").click()  # the playground's Labs menu
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
    # The header counts what the accuracy chart plots: epochs trained, the current one's share included
    # (both read together until they agree: the paused run's last frame may still be on its way).
    _wait_for(
        lambda: (
            _said_after(page.get_by_test_id("history-chart").get_attribute("aria-label"))
            == page.get_by_test_id("epoch").inner_text()
        ),
        10,
        "the header's epochs in the chart's label",
    )
    assert float(page.get_by_test_id("epoch").inner_text()) > 0

    assert page.locator("[data-testid=filters] canvas").count() == 8
    assert page.evaluate(_DISTINCT_COLOURS_JS, "[data-testid=filters] canvas") > 8
    assert page.evaluate(_DISTINCT_COLOURS_JS, "[data-testid=feature-maps] canvas") > 8
    assert page.locator("[data-testid=confusion-matrix] tbody tr").count() == 10
    expect(page.get_by_test_id("misclassified-count")).to_contain_text("of the test digits")
    # A click on a misclassified digit shows that digit (the gallery's buttons stay between frames, each
    # pointing at the digit it shows now).
    mistake = page.locator("[data-testid=misclassified] button.gallery-item").first
    label, index = mistake.get_attribute("aria-label"), mistake.get_attribute("data-index")
    truth = re.match(r"^a (\d) taken for", label or "")
    assert truth and index, (label, index)
    mistake.click()
    expect(page.get_by_test_id("digit-label")).to_have_text(
        f"test digit {int(index) + 1} of {_n_test(page)} (a {truth.group(1)})"
    )

    _draw_a_one(page)  # paused: the prediction comes from the weights the header counts
    expect(page.get_by_test_id("digit-prediction")).to_have_text(
        re.compile(r"^It's a \d · \d+\.\d% \(after [0-9.]+ epochs?\)$")
    )
    said = _said_after(page.get_by_test_id("digit-prediction").inner_text())
    assert said == page.get_by_test_id("epoch").inner_text(), said
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


# Records, from the page's start, what a person would see at each painted frame: the feature maps' layer
# count next to the newest stack the server announced (read off the wire by this probe, not by the page's
# code), whether the page marked its views out of date, and every text the Play button showed.
_VIEW_PROBE_JS = """() => {
    window.__probe = { newest: null, compiling: false, mismatches: [], playTexts: new Set(), checks: 0 };
    const Native = window.WebSocket;
    window.WebSocket = function (...args) {
        const socket = new Native(...args);
        socket.addEventListener("message", (event) => {
            if (typeof event.data !== "string") return;
            const message = JSON.parse(event.data);
            const layers = message.config?.layers; // the lab's stack (the playground has none)
            if (["config", "hello"].includes(message.type) && Array.isArray(layers)) {
                window.__probe.newest = layers.length;
            }
        });
        return socket;
    };
    window.WebSocket.prototype = Native.prototype;
    Object.assign(window.WebSocket, Native);
    const look = () => {
        const probe = window.__probe;
        const play = document.querySelector("[data-testid=play]");
        if (play) probe.playTexts.add(play.textContent.trim());
        const maps = document.querySelectorAll("[data-testid^=feature-layer-]").length;
        const stale = document.body.classList.contains("views-stale");
        if (probe.newest !== null && maps > 0) {
            probe.checks += 1;
            if (!stale && maps !== probe.newest) probe.mismatches.push([maps, probe.newest]);
        }
        requestAnimationFrame(look);
    };
    requestAnimationFrame(look);
}"""


def test_the_views_always_show_the_current_stack_and_play_says_when_it_compiles(page: Page, console_errors):
    page.set_viewport_size({"width": 1440, "height": 900})
    page.add_init_script(f"({_VIEW_PROBE_JS})()")
    _open_lab(page)
    page.get_by_test_id("play").click()
    _wait_for(lambda: _accuracy(page) > 0.5, TRAIN_TIMEOUT_S, "some training")
    # Quick edits while it trains: a new stack every click, frames of older stacks still on their way.
    for layer in (4, 3, 2):
        page.get_by_test_id(f"layer-{layer}-remove").click()
    page.get_by_test_id("add-kind").select_option("dense")
    page.get_by_test_id("add-layer").click()
    _wait_for(
        lambda: [layer["kind"] for layer in _server_session(page)["config"]["layers"]] == ["conv", "dense"],
        30,
        "the server to take the last stack",
    )
    expect(page.locator("[data-testid^=feature-layer-]")).to_have_count(2, timeout=COMPILE_TIMEOUT_MS)
    expect(page.get_by_test_id("play")).to_have_attribute("aria-pressed", "true", timeout=COMPILE_TIMEOUT_MS)
    page.wait_for_timeout(1000)  # a second of frames of the new stack
    probe = page.evaluate("() => ({...window.__probe, playTexts: [...window.__probe.playTexts]})")
    assert probe["checks"] > 20
    assert probe["mismatches"] == [], "the views showed a stack that was gone, as if it were current"
    assert "compiling…" in probe["playTexts"], probe["playTexts"]  # never ▶ while it compiles

    # Later frames of the same stack repaint the views in place, and the echo of a change of another setting
    # (a config with the same stack) leaves the stack editor as it is: nothing a person is about to click is
    # replaced under the pointer (a page that rebuilt its hundreds of canvases every frame fell behind its
    # frames on a slow machine, and a click on "Remove layer" could wait for seconds).
    page.evaluate(_KEEP_JS)
    filters_before = page.evaluate(_CANVAS_BYTES_JS, "[data-testid=filters] canvas")
    epoch = float(page.get_by_test_id("epoch").inner_text())
    page.get_by_test_id("augment-noise").check()
    _wait_for(
        lambda: _server_session(page)["config"]["augment_noise"] is True, 20, "the server to take the change"
    )
    _wait_for(
        lambda: float(page.get_by_test_id("epoch").inner_text()) >= epoch + 3, TRAIN_TIMEOUT_S, "more epochs"
    )
    assert page.evaluate("() => window.__kept.map((e) => e.isConnected)") == [True] * 4
    assert page.evaluate(_CANVAS_BYTES_JS, "[data-testid=filters] canvas") != filters_before  # repainted
    page.get_by_test_id("play").click()


# The elements a person may be looking at or about to click: kept to see whether later frames replace them.
_KEEP_JS = """() => {
    const selectors = ["[data-testid=filters] canvas", "[data-testid=feature-maps] canvas",
        "[data-testid=confusion-matrix] td", "[data-testid=layer-1-remove]"];
    window.__kept = selectors.map((s) => document.querySelector(s));
}"""
_CANVAS_BYTES_JS = """(selector) => [...document.querySelectorAll(selector)].map((canvas) =>
    Array.from(canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data).join())"""


def test_copying_the_test_digit_draws_the_digit_the_net_sees_as_strokes(
    page: Page, console_errors, results_dir
):
    wire = Wire(page)
    _open_lab(page)
    frame = wire.wait_for("frame", lambda f: "digit" in f)  # the lab's frame, not the playground's
    counts = [round(b / 255 * 16) for b in frame["digit"]["image"]]
    page.get_by_test_id("copy-digit").click()
    page.get_by_test_id("digit-canvas").screenshot(path=str(results_dir / "image-lab-copied-digit.png"))
    bits = page.evaluate(
        """() => {
            const canvas = document.querySelector("[data-testid=digit-canvas]");
            const cell = canvas.width / 32;
            const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
            const bits = [];
            for (let r = 0; r < 32; r += 1) {
                for (let c = 0; c < 32; c += 1) {
                    const x = Math.floor((c + 0.5) * cell), y = Math.floor((r + 0.5) * cell);
                    bits.push(data[(y * canvas.width + x) * 4] < 128 ? 1 : 0);
                }
            }
            return bits;
        }"""
    )
    ink = np.asarray(bits, np.uint8).reshape(32, 32)
    # Exactly the digit the net sees: each 4 x 4 block holds its pixel's count of ink.
    assert ink.reshape(8, 4, 8, 4).sum(axis=(1, 3)).ravel().tolist() == counts
    # Drawn as strokes, not as a dot per block: the ink forms a few connected pieces.
    pieces = _connected_pieces(ink)
    blocks = sum(1 for c in counts if c)
    assert pieces <= 3 < blocks, (pieces, blocks)


def _connected_pieces(ink: np.ndarray) -> int:
    """How many 8-connected pieces of ink a bitmap has."""
    seen = np.zeros_like(ink, dtype=bool)
    pieces = 0
    for start in zip(*np.nonzero(ink), strict=True):
        if seen[start]:
            continue
        pieces += 1
        stack = [start]
        seen[start] = True
        while stack:
            r, c = stack.pop()
            for dr in (-1, 0, 1):
                for dc in (-1, 0, 1):
                    nr, nc = r + dr, c + dc
                    if 0 <= nr < ink.shape[0] and 0 <= nc < ink.shape[1] and ink[nr, nc] and not seen[nr, nc]:
                        seen[nr, nc] = True
                        stack.append((nr, nc))
    return pieces
