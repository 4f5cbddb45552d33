"""The sweep page in Chromium: a sweep started from the form trains live; the parallel coordinates, the
small multiples (every run's decision map and loss curve), the spread over seeds and the sortable table
draw what the runs found; "Open" continues a run in the playground; a bad sweep is told in words;
accessible; screenshots on a desktop and a phone."""

from __future__ import annotations

import re

from a11y import serious_violations
from classroom_pages import join, open_room, people_in
from playwright.sync_api import Page, expect

SWEEP_TIMEOUT_MS = 240_000  # the first sweep compiles its kernels on 2 busy cores

# How many distinct colours each canvas under a selector shows (1: blank).
_COLOURS_JS = """(selector) => [...document.querySelectorAll(selector)].map((canvas) => {
    const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
    const seen = new Set();
    for (let i = 0; i < data.length; i += 4) seen.add(data.slice(i, i + 4).join());
    return seen.size;
})"""


def _column(page: Page, index: int) -> list[str]:
    return page.eval_on_selector_all(
        f"[data-testid=sweep-table] tbody tr td:nth-child({index})", "cells => cells.map(c => c.textContent)"
    )


def _open_sweep_page(page: Page) -> None:
    page.goto("/sweeps.html")
    expect(page.get_by_test_id("sweep")).to_have_attribute("data-ready", "true", timeout=30_000)


def _the_report_opens_offline(page: Page, results_dir) -> None:
    """The sweep's HTML report, downloaded from the page, draws its figures with the network blocked."""
    with page.expect_download() as download:
        page.get_by_test_id("sweep-report").click()
    report = results_dir / "sweep-report.html"
    download.value.save_as(report)
    offline = page.context.browser.new_context(viewport={"width": 1280, "height": 900})
    fetched: list[str] = []

    def refuse(route):
        fetched.append(route.request.url)
        route.abort()

    offline.route("http://**/*", refuse)
    offline.route("https://**/*", refuse)
    try:
        opened = offline.new_page()
        opened.goto(report.as_uri())
        expect(opened.locator("body")).to_have_attribute("data-drawn", "true", timeout=30_000)
        expect(opened.locator(".figure .parcoords")).to_have_count(1)  # settings -> final test loss
        expect(opened.locator(".figure .main-svg").first).to_be_visible()
        opened.screenshot(path=str(results_dir / "sweep-report-offline.png"), full_page=True)
    finally:
        offline.close()
    assert fetched == []


def test_a_sweep_from_the_page_draws_every_view_and_a_run_opens_in_the_playground(
    page: Page, console_errors, results_dir
):
    page.set_viewport_size({"width": 1440, "height": 900})
    _open_sweep_page(page)
    expect(page.get_by_test_id("sweep-count")).to_have_text("4 settings × 4 seeds = 16 runs")
    page.get_by_test_id("sweep-seeds").fill("1-2")
    page.get_by_test_id("sweep-epochs").fill("150")
    expect(page.get_by_test_id("sweep-count")).to_have_text("4 settings × 2 seeds = 8 runs")
    page.get_by_test_id("sweep-start").click()
    expect(page.get_by_test_id("sweep-stop")).to_be_enabled()
    expect(page.get_by_test_id("sweep")).to_have_attribute("data-status", "done", timeout=SWEEP_TIMEOUT_MS)
    expect(page.get_by_test_id("sweep-status")).to_have_text(re.compile(r"^done: 8 of 8 runs in \d"))

    # parallel coordinates: one line per run, drawn by plotly's parcoords
    parcoords = page.get_by_test_id("sweep-parcoords")
    expect(parcoords).to_have_attribute("data-lines", "8", timeout=10_000)
    expect(parcoords.locator(".parcoords")).to_have_count(1)
    expect(parcoords.locator(".y-axis")).to_have_count(3)  # learning rate, seed, test loss
    # small multiples: every run's decision map (not blank) and loss curve
    expect(page.locator("[data-testid^=sweep-run-]")).to_have_count(8)
    colours = page.evaluate(_COLOURS_JS, "[data-testid^=sweep-map-]")
    assert len(colours) == 8 and min(colours) > 4, colours
    for index in range(8):
        points = page.get_by_test_id(f"sweep-curve-{index}").locator("polyline.test").get_attribute("points")
        assert len(points.split()) >= 2, (index, points)
    # spread over seeds: one row per learning rate, mean ± std over its 2 seeds
    spread = page.get_by_test_id("sweep-spread").locator("tbody tr")
    expect(spread).to_have_count(4)
    expect(spread.first).to_contain_text("±")
    page.screenshot(path=str(results_dir / "sweeps-desktop.png"), full_page=True)
    _the_report_opens_offline(page, results_dir)

    # the table sorts by any column, both ways
    test_loss_column = 6  # run, learning rate, seed, epoch, state, test loss
    page.get_by_test_id("sweep-sort-test_loss").click()
    expect(page.get_by_test_id("sweep-table").locator("th").nth(5)).to_have_attribute(
        "aria-sort", "ascending"
    )
    ascending = [float(v) for v in _column(page, test_loss_column)]
    assert ascending == sorted(ascending) and len(set(ascending)) == 8
    page.get_by_test_id("sweep-sort-test_loss").press("Enter")  # keyboard too: the focus stays on it
    descending = [float(v) for v in _column(page, test_loss_column)]
    assert descending == sorted(ascending, reverse=True)
    best_run = int(_column(page, 1)[-1])

    assert serious_violations(page) == []
    page.set_viewport_size({"width": 390, "height": 844})
    page.wait_for_timeout(600)  # plotly resizes its plot after the window's resize event
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than a phone
    page.screenshot(path=str(results_dir / "sweeps-phone.png"), full_page=True)
    page.set_viewport_size({"width": 1440, "height": 900})

    # "Open" continues the best run in the playground, from the sweep's epoch
    loss = float(
        page.get_by_test_id("sweep-table").locator(f"tr[data-run='{best_run}'] td").nth(5).inner_text()
    )
    page.get_by_test_id(f"sweep-open-{best_run}").click()
    expect(page).to_have_url(re.compile(r"/(\?.*)?$"), timeout=30_000)
    expect(page.get_by_test_id("epoch")).to_have_text("150", timeout=60_000)
    expect(page.get_by_test_id("loss-test")).to_have_text(re.compile(r"^\d+\.\d+$"), timeout=60_000)
    assert abs(float(page.get_by_test_id("loss-test").inner_text()) - loss) < 1e-3
    page.get_by_test_id("play").click()
    expect(page.get_by_test_id("epoch")).not_to_have_text("150", timeout=30_000)
    assert int(page.get_by_test_id("epoch").inner_text()) > 150
    page.go_back()  # the sweep page shows its sweep again
    expect(page.get_by_test_id("sweep")).to_have_attribute("data-status", "done", timeout=30_000)
    expect(page.locator("[data-testid^=sweep-run-]")).to_have_count(8)


def _sweep_page_of_the_lab(page: Page, lab_page: str, lab: str) -> None:
    """The lab's page, then its own "Sweep settings" link: the sweep page of that lab's settings."""
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(lab_page)
    page.get_by_test_id("lab-sweeps").click()
    expect(page.get_by_test_id("sweep")).to_have_attribute("data-ready", "true", timeout=30_000)
    expect(page.get_by_test_id("sweep")).to_have_attribute("data-lab", lab)


def _two_runs_drawn(page: Page, values: str, epochs: str, screenshot) -> None:
    """A sweep of the first setting's two `values` (one seed) trains to its end; each run's picture is
    drawn (not blank), and the page is saved as `screenshot`."""
    page.get_by_test_id("sweep-axis-values-0").fill(values)
    page.get_by_test_id("sweep-seeds").fill("1")
    page.get_by_test_id("sweep-epochs").fill(epochs)
    expect(page.get_by_test_id("sweep-count")).to_have_text("2 settings × 1 seed = 2 runs")
    page.get_by_test_id("sweep-start").click()
    expect(page.get_by_test_id("sweep")).to_have_attribute("data-status", "done", timeout=SWEEP_TIMEOUT_MS)
    colours = page.evaluate(_COLOURS_JS, "[data-testid^=sweep-map-]")
    assert len(colours) == 2 and min(colours) > 4, colours
    page.screenshot(path=str(screenshot), full_page=True)


def test_a_sweep_of_the_sequence_lab_from_its_page_draws_and_a_run_opens_in_the_lab(
    page: Page, console_errors, results_dir
):
    _sweep_page_of_the_lab(page, "/sequences.html", "sequences")
    expect(page.get_by_test_id("lab-playground")).to_have_text("← sequence lab")
    expect(page.get_by_test_id("sweep-epochs-name")).to_have_text("Steps")
    expect(page.get_by_test_id("sweep-stop-rule")).to_be_hidden()  # its runs stop at their steps
    page.get_by_test_id("sweep-base-task").select_option("parity_dense")
    page.get_by_test_id("sweep-base-length").fill("6")
    page.get_by_test_id("sweep-base-width").fill("8")
    expect(page.get_by_test_id("sweep-axis-name-0")).to_have_value("model")
    _two_runs_drawn(page, "rnn, gru", "60", results_dir / "sweeps-sequences.png")  # hidden states
    expect(page.get_by_test_id("sweep-parcoords")).to_have_attribute("data-lines", "2", timeout=30_000)
    expect(page.get_by_test_id("sweep-picture")).to_have_text("Hidden state (units × time)")
    page.get_by_test_id("sweep-open-1").click()  # the GRU, on in the sequence lab from its step 60
    # the lab's page, which then writes its settings link into the address
    expect(page).to_have_url(re.compile(r"/sequences\.html(\?.*)?$"), timeout=30_000)
    expect(page.get_by_test_id("epoch")).to_have_text("60", timeout=60_000)
    expect(page.get_by_test_id("seq-model").locator("option:checked")).to_have_text("gru")


def test_a_sweep_of_the_image_lab_draws_confusion_matrices_and_a_run_opens_in_the_lab(
    page: Page, console_errors, results_dir
):
    _sweep_page_of_the_lab(page, "/images.html", "images")
    expect(page.get_by_test_id("sweep-base-optimizer")).to_have_value("adam")
    expect(page.get_by_test_id("sweep-axis-name-0")).to_have_value("learning_rate")
    _two_runs_drawn(page, "0.003, 0.01", "1", results_dir / "sweeps-images.png")  # confusion matrices
    page.get_by_test_id("sweep-open-1").click()  # on in the image lab, from the end of its epoch
    expect(page).to_have_url(re.compile(r"/images\.html\?session="), timeout=30_000)
    expect(page.get_by_test_id("epoch")).to_have_text(re.compile(r"^1(\.0+)?$"), timeout=60_000)


def test_a_sweep_of_gans_ranks_them_by_their_distance_to_the_data_and_a_run_opens_in_the_lab(
    page: Page, console_errors, results_dir
):
    _sweep_page_of_the_lab(page, "/generative.html", "generative")
    expect(page.get_by_test_id("sweep-base-model")).to_have_value("gan")
    expect(page.get_by_test_id("sweep-base-generator_layers")).to_have_value("64, 64")
    expect(page.get_by_test_id("sweep-base-encoder_layers")).to_be_hidden()  # a GAN has no encoder
    page.get_by_test_id("sweep-base-model").select_option("vae")  # the settings follow the model
    expect(page.get_by_test_id("sweep-base-encoder_layers")).to_be_visible()
    expect(page.get_by_test_id("sweep-base-generator_layers")).to_be_hidden()
    expect(page.get_by_test_id("sweep-axis-name-0")).to_have_value("learning_rate")
    page.get_by_test_id("sweep-base-model").select_option("gan")
    page.get_by_test_id("sweep-base-generator_layers").fill("32, 32")  # a layers setting every run shares
    expect(page.get_by_test_id("sweep-axis-name-0")).to_have_value("generator_lr")
    _two_runs_drawn(page, "0.0003, 0.001", "150", results_dir / "sweeps-generative.png")  # sample densities
    expect(page.get_by_test_id("sweep-parcoords")).to_have_attribute("data-lines", "2", timeout=30_000)
    # the GAN's figures, in its words: no test loss, its samples' distance to the data
    expect(page.get_by_test_id("sweep-spread")).to_contain_text("JS divergence to the data (bits)")
    expect(page.get_by_test_id("sweep-spread")).to_contain_text("Modes covered")
    expect(page.get_by_test_id("sweep-run-1")).to_contain_text("JS divergence to the data (bits)")
    expect(page.get_by_test_id("sweep-ranked-by")).to_have_text("JS divergence to the data (bits)")
    page.get_by_test_id("sweep-open-1").click()  # on in the generative lab from its 150th step
    expect(page).to_have_url(re.compile(r"/generative\.html\?session="), timeout=30_000)
    expect(page.get_by_test_id("updates")).to_have_text("150", timeout=60_000)
    expect(page.get_by_test_id("generator-layers")).to_have_value("32, 32")


def test_a_sweep_of_ten_thousand_runs_is_refused_in_words_and_nothing_starts(page: Page, console_errors):
    console_errors.allow("422")
    _open_sweep_page(page)
    page.get_by_test_id("sweep-axis-values-0").fill("")
    page.get_by_test_id("sweep-start").click()
    expect(page.get_by_test_id("error")).to_contain_text("the range of learning rate is empty")
    page.get_by_test_id("sweep-axis-name-0").select_option("batch_size")
    page.get_by_test_id("sweep-axis-values-0").fill("1..25")
    page.get_by_test_id("sweep-seeds").fill("1-400")
    expect(page.get_by_test_id("sweep-count")).to_have_text("25 settings × 400 seeds = 10000 runs")
    page.get_by_test_id("sweep-start").click()
    expect(page.get_by_test_id("error")).to_contain_text(
        "at most 256 runs at once; this one would train 10,000"
    )
    expect(page.get_by_test_id("sweep-start")).to_be_enabled()
    expect(page.get_by_test_id("sweep-grid").locator("figure")).to_have_count(0)


def test_a_teacher_shows_a_sweep_to_the_class_and_a_student_opens_it(browser, base_url, results_dir):
    with people_in(browser, base_url, viewport={"width": 1280, "height": 800}) as person:
        teacher = person()
        teacher.open("/")
        code = open_room(teacher)
        teacher.by_test_id("challenge").click()  # the lab's own: the smallest net to solve spiral
        student = join(person(), code, "Ada")
        expect(student.by_test_id("class-sweep")).to_be_hidden()
        challenge = student.by_test_id("class-challenge")
        expect(challenge).to_contain_text("Challenge: spiral")
        expect(challenge.get_by_role("link", name="search with a sweep")).to_have_attribute(
            "href", "./sweeps.html"
        )
        # The teacher's tab (its room) goes to the sweep page, trains a small sweep and shows it.
        _open_sweep_page(teacher.page)
        teacher.by_test_id("sweep-seeds").fill("1")
        teacher.by_test_id("sweep-epochs").fill("30")
        teacher.by_test_id("sweep-start").click()
        expect(teacher.by_test_id("sweep")).to_have_attribute("data-status", "done", timeout=SWEEP_TIMEOUT_MS)
        show = teacher.by_test_id("sweep-show-class")
        expect(show).to_have_text(f"Show to the class (room {code})")
        show.click()
        expect(show).to_have_attribute("aria-pressed", "true")
        # Every student's page links to it; the link follows the sweep live on the sweep page.
        link = student.by_test_id("class-sweep")
        expect(link).to_have_text("The class's sweep: 4 runs, learning rate varied. Open it")
        student.page.screenshot(path=str(results_dir / "class-sweep-student.png"))
        link.click()
        expect(student.by_test_id("sweep")).to_have_attribute("data-status", "done", timeout=30_000)
        expect(student.page.locator("[data-testid^=sweep-run-]")).to_have_count(4)
        expect(student.by_test_id("sweep-show-class")).to_be_hidden()  # a student shows nothing
        enter = student.by_test_id("sweep-enter-challenge")  # ... but enters the sweep in the challenge
        expect(enter).to_have_text(f"Enter it in the challenge (room {code})")
        enter.click()
        expect(student.by_test_id("sweep-entered")).to_have_text(re.compile(r"^Entered\. "))
        expect(student.by_test_id("error")).to_have_text("")
        student.page.screenshot(path=str(results_dir / "sweep-entered-in-challenge.png"))
        expect(teacher.by_test_id("sweep-enter-challenge")).to_be_hidden()  # the teacher enters nothing
        show.click()  # the teacher stops showing it: the link goes from the room's pages
        expect(show).to_have_attribute("aria-pressed", "false")
        student.page.go_back()
        expect(student.by_test_id("room-code")).to_have_text(code)
        expect(student.by_test_id("class-sweep")).to_be_hidden()
