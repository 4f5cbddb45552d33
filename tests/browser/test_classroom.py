"""Classroom mode in real Chromium: a teacher and three students, each in a browser context of its own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from a11y import serious_violations
from playwright.sync_api import Browser, expect

from conftest import ConsoleErrors, Playground

STUDENTS = ("Ada", "Grace", "Alan")
PROJECTOR = {"width": 1280, "height": 720}
INERT_JS = "(id) => document.querySelector(`[data-testid=${id}]`).closest('[inert]') !== null"


@pytest.fixture
def people(browser: Browser, base_url: str) -> Iterator[dict[str, Playground]]:
    """Four people: the teacher and three students, each in a fresh browser context (no shared storage)."""
    contexts, opened = [], {}
    for who in ("teacher", *STUDENTS):
        context = browser.new_context(base_url=base_url, viewport=PROJECTOR if who == "teacher" else None)
        contexts.append(context)
        page = context.new_page()
        opened[who] = Playground(page, ConsoleErrors(page))
    yield opened
    for who, person in opened.items():
        assert person.console.unexpected() == [], who
    for context in contexts:
        context.close()


def _on_step_two(session: dict) -> bool:
    """The second step of the "layers" lesson: XOR with one hidden layer of two neurons."""
    return (session["config"]["dataset"], session["config"]["hidden_layers"]) == ("xor", [2])


def _type_height(person: Playground, test_id: str) -> float:
    box = person.by_test_id(test_id).bounding_box()
    assert box is not None
    return float(box["height"])


def test_a_teacher_and_three_students_run_a_lesson(people, results_dir):
    teacher = people["teacher"].open("/")
    teacher.by_test_id("teach").click()
    expect(teacher.by_test_id("qr")).to_be_visible()
    teacher.page.screenshot(path=str(results_dir / "classroom-qr-1280x720.png"))
    teacher.by_test_id("qr-close").click()
    code = teacher.by_test_id("room-code").inner_text()
    assert len(code) == 6

    # Each student opens the join link (the code is filled in), types a name and joins.
    for name in STUDENTS:
        student = people[name].open(f"/?room={code}")
        expect(student.by_test_id("join-code")).to_have_value(code)
        student.by_test_id("join-name").fill(name)
        student.by_test_id("join").click()
        expect(student.by_test_id("room-banner")).to_be_visible()
        expect(student.by_test_id("room-banner")).to_contain_text("read-only")
        expect(student.by_test_id("room-code")).to_have_text(code)
    tiles = teacher.by_test_id("student-tile")
    expect(tiles).to_have_count(3, timeout=10_000)
    for name in STUDENTS:
        expect(tiles.filter(has_text=name)).to_contain_text("watching the teacher")

    # The teacher plays; every student watches the epoch rise and cannot drive the run.
    teacher.by_test_id("play").click()
    for name in STUDENTS:
        student = people[name]
        student.wait_until(lambda s=student: s.epoch() > 50, 60, f"{name} to see the teacher's epoch rise")
        assert student.page.evaluate(INERT_JS, "play"), f"{name} could press play on the teacher's run"
    people["Ada"].page.screenshot(path=str(results_dir / "classroom-student-watching.png"))
    assert serious_violations(people["Ada"].page) == []
    teacher.by_test_id("play").click()
    expect(teacher.by_test_id("play")).to_have_attribute("aria-pressed", "false")

    # Everyone forks: their own runs start from the teacher's epoch and they drive them.
    teacher_epoch = teacher.server_session()["epoch"]
    for name in STUDENTS:
        student = people[name]
        student.by_test_id("fork").click()
        expect(student.by_test_id("room-banner")).to_be_hidden()
        student.wait_until(lambda s=student: s.epoch() == teacher_epoch, 30, f"{name}'s fork's epoch")
        assert student.server_session()["epoch"] == teacher_epoch  # the page's session is now the fork
    people["Ada"].by_test_id("play").click()
    people["Ada"].wait_until(lambda: people["Ada"].epoch() > teacher_epoch + 30, 60, "Ada's own run to train")
    expect(tiles.filter(has_text="Ada")).to_contain_text("epoch", timeout=10_000)
    # What differs from the teacher's run is said in the settings' own words.
    people["Ada"].by_test_id("learning-rate").select_option(label="1")
    expect(tiles.filter(has_text="Ada")).to_contain_text("Learning rate 1", timeout=10_000)

    # The teacher pushes a learning rate; every student's control shows it.
    teacher.by_test_id("learning-rate").select_option(label="0.3")
    teacher.wait_for_server(lambda s: s["config"]["learning_rate"] == 0.3)
    teacher.by_test_id("push-config").click()
    for name in STUDENTS:
        expect(people[name].by_test_id("learning-rate").locator("option:checked")).to_have_text("0.3")
        people[name].wait_for_server(lambda s: s["config"]["learning_rate"] == 0.3)
    expect(tiles.filter(has_text="Ada")).not_to_contain_text("Learning rate", timeout=10_000)
    teacher.page.screenshot(path=str(results_dir / "classroom-teacher-dashboard-1280x720.png"))
    assert serious_violations(teacher.page) == []

    # A lesson advances for everyone, from the teacher's one lesson menu (the page's own steps aside).
    expect(teacher.page.locator("select:visible", has_text="Choose a lesson…")).to_have_count(1)
    expect(teacher.by_test_id("presets")).to_be_hidden()
    teacher.by_test_id("lesson-select").select_option("layers")
    teacher.by_test_id("lesson-next").click()
    for person in people.values():
        expect(person.by_test_id("lesson-title")).to_have_text("XOR needs a hidden layer")
    teacher.by_test_id("lesson-next").click()
    for name, person in people.items():
        expect(person.by_test_id("lesson-title")).to_have_text("Two neurons are not enough")
        expect(person.by_test_id("lesson-step")).to_contain_text("step 2 of 4")
        if name != "teacher":
            person.wait_for_server(_on_step_two)

    # The spotlight puts Ada's run on the big screen; every student sees whose it is.
    tiles.filter(has_text="Ada").get_by_test_id("spotlight").click()
    expect(teacher.by_test_id("room-banner")).to_contain_text("Spotlight: Ada")
    for name in ("Grace", "Alan"):
        expect(people[name].by_test_id("spotlight-note")).to_have_text("On the big screen: Ada's run")
    teacher.by_test_id("spotlight-end").click()
    expect(teacher.by_test_id("room-banner")).to_be_hidden()

    # Presenter mode at 1280 x 720: larger type, secondary panels hidden, the room code still there.
    normal_epoch, normal_code = _type_height(teacher, "epoch"), _type_height(teacher, "room-code")
    teacher.by_test_id("presenter-mode").click()
    expect(teacher.by_test_id("presenter-mode")).to_have_attribute("aria-pressed", "true")
    assert _type_height(teacher, "epoch") >= 1.25 * normal_epoch
    assert _type_height(teacher, "room-code") >= 1.25 * normal_code
    expect(teacher.by_test_id("room-code")).to_be_in_viewport()
    expect(teacher.by_test_id("insight-panel")).to_be_hidden()
    expect(teacher.by_test_id("tiles")).to_be_hidden()
    teacher.page.screenshot(path=str(results_dir / "classroom-presenter-1280x720.png"))


def test_a_student_who_reloads_is_still_in_the_room_with_their_own_run(people):
    teacher = people["teacher"].open("/")
    teacher.by_test_id("teach").click()
    teacher.by_test_id("qr-close").click()
    code = teacher.by_test_id("room-code").inner_text()
    ada = people["Ada"].open("/")
    ada.by_test_id("join-code").fill(code.lower())  # typed as it was heard
    ada.by_test_id("join-name").fill("Ada")
    ada.by_test_id("join").click()
    expect(ada.by_test_id("room-banner")).to_be_visible()
    ada.by_test_id("fork").click()
    expect(ada.by_test_id("room-banner")).to_be_hidden()
    for _ in range(3):
        ada.by_test_id("step").click()
    expect(ada.by_test_id("epoch")).to_have_text("3")
    fork = ada.session_id()
    ada.page.reload()
    ada.wait_until_connected()
    expect(ada.by_test_id("room-code")).to_have_text(code)
    expect(ada.by_test_id("watch")).to_be_visible()
    expect(ada.by_test_id("epoch")).to_have_text("3")
    assert ada.session_id() == fork
    ada.by_test_id("watch").click()
    expect(ada.by_test_id("room-banner")).to_be_visible()
    expect(ada.by_test_id("epoch")).to_have_text("0")  # the teacher's run, which has not trained


def test_a_wrong_code_or_a_taken_name_is_said_plainly(people, results_dir):
    teacher = people["teacher"].open("/")
    teacher.by_test_id("teach").click()
    teacher.by_test_id("qr-close").click()
    code = teacher.by_test_id("room-code").inner_text()
    for name in ("Ada", "Grace"):
        people[name].console.allow("status of 4")  # Chromium logs the refused requests
    ada = people["Ada"].open("/")
    ada.by_test_id("join-code").fill("ZZZZZZ")
    ada.by_test_id("join-name").fill("Ada")
    ada.by_test_id("join").click()
    expect(ada.by_test_id("error-text")).to_contain_text("no room with code 'ZZZZZZ'")
    ada.by_test_id("join-code").fill(code)
    ada.by_test_id("join").click()
    expect(ada.by_test_id("room-code")).to_have_text(code)
    grace = people["Grace"].open(f"/?room={code}")
    grace.by_test_id("join-name").fill("ADA")
    grace.by_test_id("join").click()
    expect(grace.by_test_id("error-text")).to_contain_text("already taken")
    expect(grace.by_test_id("join")).to_be_visible()

    # The teacher locks a control for the class by ticking it by its name: it disappears from
    # students' pages, not the teacher's.
    expect(ada.by_test_id("learning-rate")).to_be_visible()
    teacher.by_test_id("lock-summary").click()
    expect(teacher.page.locator("label[for=lock-option-learningRate]")).to_have_text("Learning rate")
    teacher.by_test_id("lock-option-learningRate").check()
    expect(ada.by_test_id("learning-rate")).to_be_hidden()
    expect(teacher.by_test_id("learning-rate")).to_be_visible()
    expect(teacher.by_test_id("lock-summary")).to_have_text("Locked for students: Learning rate")
    expect(teacher.by_test_id("error-text")).to_have_text("")
    # One head for both lines of work: the lock checklist open beside the room's Close button, one lesson
    # menu (the page's own steps aside in a room), all on the projector's first screen.
    for test_id in ("close-room", "lock-option-learningRate", "lesson-select", "push-mode"):
        expect(teacher.by_test_id(test_id)).to_be_in_viewport()
    expect(teacher.by_test_id("presets")).to_be_hidden()
    teacher.page.screenshot(path=str(results_dir / "classroom-teacher-locks-and-close-1280x720.png"))
    # ... and unlocks it: it comes back on the student's page, no reload needed.
    teacher.by_test_id("lock-option-learningRate").uncheck()
    expect(ada.by_test_id("learning-rate")).to_be_visible()
    expect(teacher.by_test_id("lock-summary")).to_have_text("Lock controls for students")


def test_a_name_longer_than_24_characters_is_refused_in_words_not_cut(people):
    teacher = people["teacher"].open("/")
    teacher.by_test_id("teach").click()
    teacher.by_test_id("qr-close").click()
    code = teacher.by_test_id("room-code").inner_text()
    ada = people["Ada"].open(f"/?room={code}")
    long_name = "Ada Augusta King Lovelace of Ockham"  # 35 characters
    ada.by_test_id("join-name").fill(long_name)
    expect(ada.by_test_id("join-name")).to_have_value(long_name)  # nothing cut silently
    note = ada.by_test_id("join-name-note")
    expect(note).to_have_text("A name has at most 24 characters; this one has 35.")
    ada.by_test_id("join").click()
    expect(ada.by_test_id("join")).to_be_visible()  # not joined
    assert teacher.page.request.get(f"/api/rooms/{code}").json()["students"] == []
    ada.by_test_id("join-name").fill("Ada Lovelace")
    expect(ada.by_test_id("join-name-note")).to_have_text("")
    ada.by_test_id("join").click()
    expect(ada.by_test_id("room-code")).to_have_text(code)
