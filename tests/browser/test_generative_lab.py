"""The generative lab page in Chromium: the GAN's views draw and train, own drawn points become its data,
a bad CSV is refused in words; the VAE's latent views draw, a click decodes a new image, a shift-click
interpolates, a drawn digit lands in the plane, a click outside the plane is refused; screenshots at
desktop, projector and phone sizes."""

from __future__ import annotations

import re
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from playwright.sync_api import Page, expect

COMPILE_TIMEOUT_MS = 180_000
RESULTS = Path(__file__).resolve().parents[2] / "test-results"

_DISTINCT_COLOURS_JS = """(selector) => {
    const seen = new Set();
    for (const canvas of document.querySelectorAll(selector)) {
        const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
        for (let i = 0; i < data.length; i += 4) seen.add(data.slice(i, i + 4).join());
    }
    return seen.size;
}"""
_PIXELS_JS = """(selector) => Array.from(
    document.querySelector(selector).getContext("2d").getImageData(0, 0, 128, 128).data).join()"""

SMALL = "generator_layers"


def colours(page: Page, test_id: str) -> int:
    return int(page.evaluate(_DISTINCT_COLOURS_JS, f'[data-testid="{test_id}"]'))


def wait_for(condition, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(0.2)


def server_session(page: Page) -> dict:
    session = parse_qs(urlparse(page.url).query)["session"][0]
    response = page.request.get(f"/api/generative/sessions/{session}")
    assert response.status == 200
    return dict(response.json())


def open_lab(page: Page) -> None:
    page.goto("/")
    page.get_by_test_id("labs-toggle").click()  # the playground's Labs menu
    page.get_by_test_id("lab-generative").click()
    expect(page).to_have_url(re.compile(r"/generative\.html\?session="), timeout=COMPILE_TIMEOUT_MS)
    expect(page.get_by_test_id("status")).to_have_text("connected · paused", timeout=COMPILE_TIMEOUT_MS)


def test_the_gan_views_draw_and_points_drawn_on_the_plane_become_its_data(
    page: Page, console_errors, results_dir
):
    page.set_viewport_size({"width": 1440, "height": 900})
    open_lab(page)
    expect(page.get_by_test_id("gen-model")).to_have_value("0")  # GAN
    page.get_by_test_id("play").click()
    expect(page.get_by_test_id("modes-covered")).to_have_text(
        re.compile(r"^\d of 8$"), timeout=COMPILE_TIMEOUT_MS
    )
    wait_for(lambda: int(page.get_by_test_id("updates").inner_text()) > 300, 120, "300 updates")
    for view in ("gan-samples", "gan-field", "gan-manifold", "gan-losses"):
        wait_for(lambda view=view: colours(page, view) > 20, 60, f"{view} drawn")
    page.screenshot(path=str(results_dir / "generative-gan-desktop.png"))
    page.set_viewport_size({"width": 1280, "height": 720})
    page.screenshot(path=str(results_dir / "generative-gan-projector.png"))
    page.get_by_test_id("play").click()  # pause

    # Draw a small square of points on the samples plane and make them the data.
    page.get_by_test_id("draw-points").check()
    box = page.get_by_test_id("gan-samples").bounding_box()
    assert box
    for i in range(4):
        for j in range(3):
            page.mouse.click(
                box["x"] + box["width"] * (0.6 + 0.05 * i), box["y"] + box["height"] * (0.3 + 0.05 * j)
            )
    expect(page.get_by_test_id("drawn-count")).to_have_text("12 points drawn")
    page.get_by_test_id("use-points").click()
    wait_for(lambda: server_session(page)["config"]["dataset"] == "custom", 60, "the own points as the data")
    expect(page.get_by_test_id("gan-data")).to_have_value(
        str(["ring", "grid", "moons", "line", "gaussians", "custom"].index("custom"))
    )
    page.get_by_test_id("step").click()
    expect(page.get_by_test_id("modes-covered")).to_have_text("– (no modes)", timeout=60_000)

    # A CSV with text in it is refused, naming the line.
    console_errors.allow("422")
    page.get_by_test_id("upload-points").set_input_files(
        files=[{"name": "points.csv", "mimeType": "text/csv", "buffer": b"x,y\n1,2\n3,four\n"}]
    )
    expect(page.get_by_test_id("error")).to_contain_text("line 3: 'four' is not a number")


def test_the_vae_latent_views_draw_a_click_decodes_and_a_drawn_digit_lands(
    page: Page, console_errors, results_dir
):
    page.set_viewport_size({"width": 1440, "height": 900})
    open_lab(page)
    page.get_by_test_id("gen-model").select_option(label="VAE (digits)")
    expect(page.get_by_test_id("generative-page")).to_have_attribute("data-model", "vae")
    page.get_by_test_id("play").click()
    expect(page.get_by_test_id("elbo")).to_have_text(re.compile(r"^\d+\.\d\d$"), timeout=COMPILE_TIMEOUT_MS)
    wait_for(lambda: page.get_by_test_id("knn-accuracy").inner_text().endswith("%"), 60, "the 5-NN accuracy")
    wait_for(lambda: int(page.get_by_test_id("updates").inner_text()) > 400, 120, "400 updates")
    for view in ("latent-scatter", "latent-grid", "elbo-chart"):  # the chart needs two frames of the VAE
        wait_for(lambda view=view: colours(page, view) > 10, 60, f"{view} drawn")
    page.get_by_test_id("play").click()  # pause

    # A click decodes a new image; a shift-click interpolates between the two points.
    blank = page.evaluate(_PIXELS_JS, '[data-testid="latent-decode"]')
    page.get_by_test_id("latent-scatter").click(position={"x": 120, "y": 90})
    expect(page.get_by_test_id("latent-point")).to_have_text(re.compile(r"^decoded \(-?\d"))
    first = page.evaluate(_PIXELS_JS, '[data-testid="latent-decode"]')
    assert first != blank
    page.get_by_test_id("latent-scatter").click(position={"x": 250, "y": 260}, modifiers=["Shift"])
    expect(page.get_by_test_id("interpolation").locator("canvas")).to_have_count(8)

    # Draw a digit: where it lands is said and marked.
    box = page.get_by_test_id("digit-canvas").bounding_box()
    assert box
    x = box["x"] + box["width"] * 0.5
    page.mouse.move(x, box["y"] + box["height"] * 0.15)
    page.mouse.down()
    for step in range(1, 15):
        page.mouse.move(x, box["y"] + box["height"] * (0.15 + 0.05 * step))
    page.mouse.up()
    expect(page.get_by_test_id("drawn-latent")).to_contain_text("lands at (")
    page.screenshot(path=str(results_dir / "generative-vae-desktop.png"))

    # The keyboard's cursor walked off the plane: the server refuses the point in words.
    page.get_by_test_id("latent-scatter").focus()
    for _ in range(17):
        page.keyboard.press("ArrowRight")
    expect(page.get_by_test_id("error")).to_contain_text("outside the latent plane")

    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_test_id("latent-scatter").scroll_into_view_if_needed()
    page.screenshot(path=str(results_dir / "generative-vae-phone.png"))
    box = page.get_by_test_id("latent-scatter").bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390


def test_a_lesson_step_tried_sets_its_config_and_starts_over(page: Page, console_errors, results_dir):
    page.set_viewport_size({"width": 1280, "height": 720})
    open_lab(page)
    page.get_by_test_id("gen-lesson").select_option(label="Mode collapse, and how to fight it")
    expect(page.get_by_test_id("lesson-step-title")).to_have_text("Step 1 of 5: Eight modes to find")
    for _ in range(4):
        page.get_by_test_id("lesson-next").click()
    expect(page.get_by_test_id("lesson-step-title")).to_contain_text("A curve cannot cover a ring")
    page.get_by_test_id("lesson-try").click()
    wait_for(lambda: server_session(page)["config"]["noise_dim"] == 1, 60, "the lesson's config")
    expect(page.get_by_test_id("noise-dim")).to_have_value("1")
    page.screenshot(path=str(results_dir / "generative-lesson-projector.png"))


def test_a_watcher_sees_the_run_train_and_cannot_change_it(page: Page, console_errors):
    page.set_viewport_size({"width": 1280, "height": 720})
    open_lab(page)
    watcher = page.context.new_page()
    watcher.goto(f"/generative.html?watch={server_session(page)['watch_id']}")
    expect(watcher.get_by_test_id("watch-banner")).to_be_visible()
    expect(watcher.get_by_test_id("play")).to_be_disabled()
    expect(watcher.get_by_test_id("gen-model")).to_be_disabled()
    page.get_by_test_id("play").click()
    expect(watcher.get_by_test_id("modes-covered")).to_have_text(
        re.compile(r"of 8$"), timeout=COMPILE_TIMEOUT_MS
    )
    wait_for(lambda: int(watcher.get_by_test_id("updates").inner_text()) > 100, 60, "the watcher's frames")
    assert colours(watcher, "gan-samples") > 20
    watcher.close()


def test_a_class_in_the_generative_lab_students_join_by_link_watch_and_fork(browser, base_url):
    from classroom_pages import open_room, people_in

    with people_in(browser, base_url, viewport={"width": 1280, "height": 720}) as person:
        teacher = person()
        teacher.page.goto("/generative.html")
        expect(teacher.by_test_id("status")).to_have_text("connected · paused", timeout=COMPILE_TIMEOUT_MS)
        code = open_room(teacher)
        student = person()
        student.page.goto(f"/generative.html?room={code}")
        student.by_test_id("join-name").fill("Ada")
        student.by_test_id("join").click()
        expect(student.by_test_id("room-code")).to_have_text(code)
        expect(student.by_test_id("room-banner")).to_be_visible()
        teacher.by_test_id("play").click()
        expect(student.by_test_id("modes-covered")).to_have_text(
            re.compile(r"of 8$"), timeout=COMPILE_TIMEOUT_MS
        )
        student.by_test_id("fork").click()
        expect(student.by_test_id("room-banner")).to_be_hidden()
        expect(student.by_test_id("play")).to_be_enabled()
        student.by_test_id("step").click()  # the fork is the student's own run: their step trains it
        expect(student.by_test_id("modes-covered")).to_have_text(
            re.compile(r"of 8$"), timeout=COMPILE_TIMEOUT_MS
        )
        student.page.screenshot(path=str(RESULTS / "generative-class-student.png"))
        # The teacher puts Ada's run on the big screen (this lab's page follows it, read-only), and sets
        # this lab's own challenge (a GAN covering every mode), which the leaderboard names.
        tile = teacher.by_test_id("student-tile").filter(has_text="Ada")
        # a GAN's tile words its samples (modes and good share), not a discriminator's "test loss"
        expect(tile).to_contain_text(re.compile(r"modes \d of 8 · \d+% good samples"), timeout=30_000)
        expect(tile).not_to_contain_text("test loss")
        expect(teacher.by_test_id("tile-sort")).to_contain_text("by share of bad samples")
        tile.get_by_test_id("spotlight").click()
        expect(teacher.by_test_id("room-banner")).to_contain_text("Spotlight: Ada")
        expect(teacher.by_test_id("modes-covered")).to_have_text(re.compile(r"of 8$"), timeout=30_000)
        teacher.page.screenshot(path=str(RESULTS / "generative-class-spotlight.png"))
        teacher.by_test_id("spotlight-end").click()
        expect(teacher.by_test_id("room-banner")).to_be_hidden()
        challenge = teacher.by_test_id("challenge")
        expect(challenge).to_have_text("Challenge: ring, share of bad samples with every mode covered < 0.2")
        challenge.click()
        expect(teacher.by_test_id("leaderboard")).to_have_attribute(
            "aria-label", re.compile(r"^Leaderboard: ring, share of bad samples")
        )


def test_presenter_mode_gives_a_projector_the_gans_views(browser, base_url):
    """In the generative lab presenter mode puts the settings away and fits the three planes, the run's
    buttons and figures and the room's code on one 1280 x 720 screen, larger than on the page."""
    from classroom_pages import open_room, people_in
    from geometry import inside

    width, height = 1280, 720
    with people_in(browser, base_url, viewport={"width": width, "height": height}) as person:
        teacher = person()
        teacher.page.goto("/generative.html")
        expect(teacher.by_test_id("status")).to_have_text("connected · paused", timeout=COMPILE_TIMEOUT_MS)
        open_room(teacher)
        before = teacher.by_test_id("gan-samples").bounding_box()["height"]
        teacher.by_test_id("presenter-mode").click()
        expect(teacher.by_test_id("presenter-mode")).to_have_attribute("aria-pressed", "true")
        teacher.by_test_id("play").click()
        teacher.wait_until(lambda: int(teacher.by_test_id("updates").inner_text()) > 200, 180, "training")
        teacher.page.wait_for_timeout(300)  # one layout pass after the last frame's text
        expect(teacher.by_test_id("settings")).to_be_hidden()
        for test_id in ("gan-samples", "gan-field", "gan-manifold", "play", "modes-covered", "room-code"):
            assert inside(teacher.by_test_id(test_id).bounding_box(), width, height), test_id
        assert teacher.page.evaluate("document.scrollingElement.scrollHeight") <= height + 1
        assert teacher.by_test_id("gan-samples").bounding_box()["height"] >= 1.2 * before
        teacher.page.screenshot(path=str(RESULTS / "generative-presenter-1280x720.png"))
        teacher.by_test_id("presenter-mode").click()  # back: the settings are there again
        expect(teacher.by_test_id("settings")).to_be_visible()
