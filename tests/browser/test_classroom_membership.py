"""A class as its people live it: a push that leaves every run in one state (and says so), leaving for
good, a closed tab shown as away, and the same person coming back in the same browser to their run."""

from __future__ import annotations

import re

from classroom_pages import join, open_room, people_in
from geometry import inside
from playwright.sync_api import Browser, expect

from conftest import ConsoleErrors, Playground

PROJECTOR = {"width": 1280, "height": 720}
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}


def _epoch_of(person) -> int:
    return int(person.by_test_id("epoch").inner_text())


def test_a_push_of_a_new_activation_leaves_three_students_runs_in_one_state(
    browser: Browser, base_url: str, results_dir
):
    with people_in(browser, base_url) as person:
        teacher = person(viewport=PROJECTOR).open("/?speed=0")
        code = open_room(teacher)
        ada, grace, alan = (join(person().open("/"), code, n, fork=True) for n in ("Ada", "Grace", "Alan"))
        # Three runs in three different states: training, paused at epoch 3, a fresh run of another shape.
        ada.by_test_id("play").click()
        ada.wait_until(lambda: _epoch_of(ada) > 20, 60, "Ada's run to train")
        for _ in range(3):
            grace.by_test_id("step").click()
        expect(grace.by_test_id("epoch")).to_have_text("3")
        alan.by_test_id("add-neuron-0").click()
        alan.wait_for_server(lambda s: s["config"]["hidden_layers"] == [5, 2])

        teacher.by_test_id("activation").select_option("relu")
        teacher.wait_for_server(lambda s: s["config"]["activation"] == "relu")
        teacher.by_test_id("push-config").click()  # "and start every run afresh" is the default
        notice = teacher.by_test_id("notice")
        expect(notice).to_contain_text("Pushed to 3 student runs")
        expect(notice).to_contain_text("all 3 start afresh with your settings: new weights, epoch 0, paused")
        teacher_config = teacher.server_session()["config"]
        for student in (ada, grace, alan):
            run = student.wait_for_server(lambda s: s["epoch"] == 0 and s["state"] == "paused")
            assert run["config"] == teacher_config
            expect(student.by_test_id("epoch")).to_have_text("0")
            expect(student.by_test_id("activation").locator("option:checked")).to_have_text("relu")
            expect(student.by_test_id("play")).to_have_attribute("aria-pressed", "false")
            expect(student.by_test_id("notice")).to_contain_text("Your run starts afresh with them")
        tiles = teacher.by_test_id("student-tile")
        expect(tiles).to_have_count(3)
        for tile in tiles.all():  # nobody differs from the teacher any more; every run at epoch 0
            expect(tile.locator(".tile-diff")).to_have_text("", timeout=10_000)
            expect(tile.locator(".tile-numbers")).to_contain_text("epoch 0 ·", timeout=10_000)
            expect(tile.locator(".tile-numbers")).to_contain_text("paused")
        teacher.page.screenshot(path=str(results_dir / "classroom-push-teacher-1280x720.png"))
        ada.page.screenshot(path=str(results_dir / "classroom-push-student.png"))
        # The notice goes by itself once it is old news.
        expect(notice).to_be_hidden(timeout=15_000)


def test_leaving_removes_the_tile_and_the_name_can_join_again(browser: Browser, base_url: str):
    with people_in(browser, base_url) as person:
        teacher = person(viewport=PROJECTOR).open("/")
        code = open_room(teacher)
        ada = join(person().open("/"), code, "Ada", fork=True)
        tiles = teacher.by_test_id("student-tile")
        expect(tiles).to_have_count(1)
        ada.by_test_id("leave").click()
        expect(tiles).to_have_count(0)
        expect(teacher.by_test_id("student-count")).to_contain_text("0 of")
        expect(ada.by_test_id("join")).to_be_visible()
        expect(ada.by_test_id("notice")).to_contain_text("You left room")
        # The same name is free again, for her or anyone.
        ada.by_test_id("join-code").fill(code)
        ada.by_test_id("join-name").fill("Ada")
        ada.by_test_id("join").click()
        expect(ada.by_test_id("room-code")).to_have_text(code)
        expect(tiles).to_have_count(1)
        expect(tiles).to_contain_text("watching the teacher")


def test_a_closed_tab_is_away_and_the_same_browser_gets_its_run_back(browser: Browser, base_url: str):
    with people_in(browser, base_url) as person:
        teacher = person(viewport=PROJECTOR).open("/")
        code = open_room(teacher)
        ada = join(person().open("/"), code, "Ada", fork=True)
        for _ in range(3):
            ada.by_test_id("step").click()
        expect(ada.by_test_id("epoch")).to_have_text("3")
        fork = ada.session_id()
        tile = teacher.by_test_id("student-tile").filter(has_text="Ada")
        expect(tile).to_have_attribute("data-present", "true", timeout=10_000)

        context = ada.page.context
        ada.page.close()  # she closes the tab
        expect(tile).to_have_attribute("data-present", "false", timeout=10_000)
        expect(tile.get_by_test_id("tile-presence")).to_have_text("away")
        expect(teacher.by_test_id("student-count")).to_contain_text("(1 away)")

        # She opens the join link again in the same browser: her place and her run, not "name taken".
        page = context.new_page()
        back = Playground(page, ConsoleErrors(page)).open(f"/?room={code}")
        expect(back.by_test_id("room-code")).to_have_text(code)
        expect(back.by_test_id("watch")).to_be_visible()  # she is on her own run
        expect(back.by_test_id("epoch")).to_have_text("3")
        assert back.session_id() == fork
        expect(tile).to_have_attribute("data-present", "true", timeout=10_000)
        assert back.console.unexpected() == []


def test_a_watching_student_on_a_phone_sees_the_teachers_map_first(
    browser: Browser, base_url: str, results_dir
):
    with people_in(browser, base_url) as person:
        teacher = person(viewport=PROJECTOR).open("/")
        code = open_room(teacher)
        student = join(person(**PHONE).open("/"), code, "Ada")
        expect(student.by_test_id("room-banner")).to_contain_text("read-only")
        teacher.by_test_id("play").click()
        student.wait_until(lambda: _epoch_of(student) > 10, 60, "the teacher's run to reach the phone")
        student.page.evaluate("window.scrollTo(0, 0)")
        heatmap = student.by_test_id("output-heatmap").bounding_box()
        # On the first screen, not under controls it cannot use.
        assert heatmap is not None and heatmap["y"] < 844 / 2, heatmap
        assert inside(student.by_test_id("epoch").bounding_box(), 390, 844)
        expect(student.by_test_id("toolbar-settings")).to_be_hidden()  # controls it cannot use step aside
        expect(student.by_test_id("data-settings")).to_be_hidden()
        student.page.screenshot(path=str(results_dir / "classroom-student-phone.png"))
        expect(student.by_test_id("status")).to_have_text(re.compile("training"))


def test_a_teacher_at_1440x900_sees_the_classroom_bar_and_the_run_on_the_first_screen(
    browser: Browser, base_url: str, results_dir
):
    """The README's picture (docs/screenshot.png is copied from test-results/readme-teacher-1440x900.png)."""
    spiral = "/?dataset=spiral&networkShape=6,6&features=x1,x2,x1_sq,x2_sq,sin_x1,sin_x2&speed=0"
    with people_in(browser, base_url) as person:
        teacher = person(viewport={"width": 1440, "height": 900}).open(spiral)
        code = open_room(teacher)
        teacher.by_test_id("play").click()
        teacher.wait_until(lambda: _epoch_of(teacher) > 600, 90, "the spiral to be learnt")
        teacher.by_test_id("play").click()
        for name in ("Ada", "Grace"):  # their runs start from the teacher's
            join(person().open("/"), code, name, fork=True)
        tiles = teacher.by_test_id("student-tile")
        expect(tiles).to_have_count(2)
        expect(tiles.first).to_contain_text("test loss 0.0", timeout=10_000)
        teacher.page.mouse.move(0, 0)
        for test_id in ("room-code", "play", "tiles", "push-config", "lesson-select"):
            assert inside(teacher.by_test_id(test_id).bounding_box(), 1440, 900), test_id
        for test_id in ("network", "output-heatmap"):  # the run starts on the first screen
            box = teacher.by_test_id(test_id).bounding_box()
            assert box is not None and box["y"] < 900 - 200, (test_id, box)
        teacher.page.screenshot(path=str(results_dir / "readme-teacher-1440x900.png"))
