"""Saved runs, compare and export from the page: Save / Saved runs / Compare / Export in the header, the
compare page's figures, and the comparison's HTML report opened with the network blocked."""

from __future__ import annotations

import secrets

from playwright.sync_api import expect

DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}


def train_until(app, epoch: int) -> int:
    app.by_test_id("play").click()
    app.wait_until(lambda: app.epoch() >= epoch, 60, f"epoch {epoch}")
    app.by_test_id("play").click()
    app.wait_until(lambda: app.server_session()["state"] == "paused", 10, "paused")
    return int(app.server_session()["epoch"])


def choose(app, test_id: str) -> None:
    """A choice of the header's Runs menu."""
    app.by_test_id("runs-menu-toggle").click()
    app.by_test_id(test_id).click()


def save_from_the_page(app, name: str) -> None:
    choose(app, "save-run")
    expect(app.by_test_id("runs-panel")).to_be_visible()
    app.by_test_id("save-run-name").fill(name)
    app.by_test_id("save-run-submit").click()


def test_save_list_reopen_and_export_a_run_with_the_header_buttons(app, results_dir):
    app.page.set_viewport_size(PHONE)  # the Runs menu on a phone: its choices in view, big enough to tap
    app.by_test_id("runs-menu-toggle").click()
    for test_id in ("save-run", "saved-runs", "compare", "export"):
        box = app.by_test_id(test_id).bounding_box()
        assert box is not None and box["height"] >= 44 and box["x"] >= 0 and box["x"] + box["width"] <= 390
    app.page.screenshot(path=str(results_dir / "runs-menu-phone.png"))
    app.by_test_id("runs-menu-toggle").click()
    app.page.set_viewport_size(DESKTOP)
    app.console.allow("409")  # the browser logs the refused second save
    epoch = train_until(app, 40)
    name = f"spiral try {secrets.token_hex(3)}"
    save_from_the_page(app, name)
    expect(app.by_test_id("runs-note")).to_have_text(f"Saved “{name}” at epoch {epoch}.")
    app.by_test_id("save-run-submit").click()  # the same name again: refused, nothing lost
    expect(app.by_test_id("runs-note")).to_contain_text("already exists")
    app.page.screenshot(path=str(results_dir / "runs-save-desktop.png"))

    choose(app, "saved-runs")
    row = app.page.locator(f"[data-testid=saved-run][data-name='{name}']")
    expect(row).to_contain_text(f"epoch {epoch}")
    app.page.screenshot(path=str(results_dir / "runs-saved-list-desktop.png"))

    choose(app, "export")
    with app.page.expect_download() as download:
        app.by_test_id("export-script").click()
    script = download.value.path().read_text()
    assert f"EPOCHS = {epoch}" in script and "import optax" in script

    train_until(app, epoch + 60)  # the live run moves on; the saved one stays where it was
    first = app.session_id()
    choose(app, "saved-runs")
    row.get_by_test_id("saved-run-open").click()
    app.wait_until(lambda: app.session_id() != first, 10, "the page to follow the reopened run")
    expect(app.by_test_id("epoch")).to_have_text(str(epoch), timeout=20_000)
    assert app.server_session()["epoch"] == epoch
    # its loss chart shows the curve it had drawn up to there, not one point
    saved_curve = app.page.request.get(f"/api/runs/{name}").json()["history"]["epoch"]
    assert len(saved_curve) >= 2
    expect(app.by_test_id("loss-chart")).to_have_attribute("data-last-epoch", str(epoch))
    assert app.loss_chart_points() >= len(saved_curve)
    train_until(app, epoch + 5)  # it trains on from there
    assert app.server_session()["epoch"] > epoch


def test_the_compare_page_draws_the_runs_loss_curves_maps_and_confusion_matrices(app, results_dir):
    app.page.set_viewport_size(DESKTOP)
    saved_at = train_until(app, 30)
    name = f"before {secrets.token_hex(3)}"
    response = app.page.request.post(f"/api/sessions/{app.session_id()}/save", data={"name": name})
    assert response.status == 201
    app.by_test_id("learning-rate").select_option(label="0.3")
    app.wait_until(lambda: app.server_session()["config"]["learning_rate"] == 0.3, 10, "the new rate")
    train_until(app, saved_at + 300)
    choose(app, "compare")  # this tab's live run, and (below) the saved one
    app.page.wait_for_url("**/compare.html?live=1")
    app.page.goto(f"/compare.html?live=1&saved={name.replace(' ', '+')}")
    expect(app.page.locator("body")).to_have_attribute("data-compared", "2", timeout=30_000)
    expect(app.by_test_id("compare-map")).to_have_count(2)
    expect(app.by_test_id("compare-confusion")).to_have_count(2)
    expect(app.by_test_id("compare-diff")).to_contain_text("Learning rate")
    expect(app.by_test_id("compare-diff")).to_contain_text("0.03")
    # each map is drawn within its own cell (side by side, none cut off)
    for cell in app.by_test_id("compare-map").all():
        box, svg = cell.bounding_box(), cell.locator(".main-svg").first.bounding_box()
        assert box is not None and svg is not None and svg["width"] <= box["width"] + 1
    # the maps are drawn: plotly's heat map image and the test points in each
    expect(app.page.locator("[data-testid=compare-map] .heatmaplayer image")).to_have_count(2)
    expect(app.page.locator("[data-testid=compare-loss] .scatterlayer .trace")).to_have_count(4)
    app.page.screenshot(path=str(results_dir / "compare-desktop.png"), full_page=True)
    app.page.set_viewport_size(PHONE)  # a phone opens the page at its own size
    app.page.reload()
    expect(app.page.locator("body")).to_have_attribute("data-compared", "2", timeout=30_000)
    app.page.screenshot(path=str(results_dir / "compare-phone.png"), full_page=True)
    box = app.by_test_id("compare-show").bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    # nothing runs off the side of a phone: the page is as wide as its screen
    wide = app.page.evaluate(
        "() => [...document.querySelectorAll('main *')].filter((e) => e.getBoundingClientRect().right > 391)"
        ".slice(0, 5).map((e) => `${e.tagName}.${e.className}.${e.dataset.testid}`)"
    )
    assert app.page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"], wide


def test_the_comparison_report_opens_and_draws_with_the_network_blocked(app, browser, results_dir, tmp_path):
    train_until(app, 20)
    name = f"report {secrets.token_hex(3)}"
    assert app.page.request.post(f"/api/sessions/{app.session_id()}/save", data={"name": name}).status == 201
    app.page.goto(f"/compare.html?live=1&saved={name.replace(' ', '+')}")
    expect(app.page.locator("body")).to_have_attribute("data-compared", "2", timeout=30_000)
    with app.page.expect_download() as download:
        app.by_test_id("compare-report").click()
    report = tmp_path / "report.html"
    download.value.save_as(report)

    offline = browser.new_context(viewport=DESKTOP)
    fetched: list[str] = []

    def refuse(route):
        fetched.append(route.request.url)
        route.abort()

    offline.route("http://**/*", refuse)
    offline.route("https://**/*", refuse)
    page = offline.new_page()
    page.goto(report.as_uri())
    expect(page.locator("body")).to_have_attribute("data-drawn", "true", timeout=30_000)
    expect(page.locator(".figure .main-svg").first).to_be_visible()
    assert page.locator(".figure").count() >= 5  # the loss curves, two maps, two confusion matrices
    page.screenshot(path=str(results_dir / "compare-report-offline.png"), full_page=True)
    offline.close()
    assert fetched == []
