"""A teacher closes a room in real Chromium: the student's page is told why and goes back to its own run."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from conftest import ConsoleErrors, Playground


def test_closing_a_room_tells_the_students_page_and_gives_it_its_own_run_back(
    browser: Browser, base_url: str, results_dir
):
    contexts = [browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 720}) for _ in "ts"]
    teacher, student = (Playground(page, ConsoleErrors(page)) for page in (c.new_page() for c in contexts))
    try:
        teacher.open("/")
        own_run = student.open("/").server_session()["id"]
        teacher.by_test_id("teach").click()
        teacher.by_test_id("qr-close").click()
        code = teacher.by_test_id("room-code").inner_text()
        student.open(f"/?room={code}")
        student.by_test_id("join-name").fill("Ada")
        student.by_test_id("join").click()
        expect(student.by_test_id("room-banner")).to_be_visible()
        expect(teacher.by_test_id("student-tile")).to_have_count(1, timeout=10_000)

        close = teacher.by_test_id("close-room")
        expect(close).to_be_in_viewport()
        teacher.page.screenshot(path=str(results_dir / "classroom-teacher-close-button.png"))
        teacher.page.once("dialog", lambda dialog: dialog.accept())
        teacher.by_test_id("close-room").click()
        notice = student.by_test_id("notice-title")
        expect(notice).to_have_text(f"Room {code} is closed: the teacher closed the room.", timeout=10_000)
        expect(student.by_test_id("room-banner")).to_be_hidden()
        expect(student.by_test_id("join")).to_be_visible()  # the way in again
        expect(teacher.by_test_id("notice-title")).to_have_text(f"You closed room {code}.")
        student.wait_until(lambda: student.server_session()["id"] == own_run, 10, "the student's own run")
        assert student.page.evaluate(
            "(id) => document.querySelector(`[data-testid=${id}]`).closest('[inert]') === null", "play"
        ), "the student's own run is still read-only after the room closed"
        student.page.screenshot(path=str(results_dir / "classroom-closed-student.png"))
        teacher.page.screenshot(path=str(results_dir / "classroom-closed-teacher.png"))
        for who, person in (("teacher", teacher), ("student", student)):
            assert person.console.unexpected() == [], who
    finally:
        for context in contexts:
            context.close()
