"""The sequence lab page in Chromium: every view draws, the Transformer learns to reverse, a typed
sequence gets the model's answer and a bad one a clear message; a recurrent net shows its gates;
accessible; screenshots at three sizes."""

from __future__ import annotations

import json
import re
import time

from a11y import serious_violations
from playwright.sync_api import Page, expect
from websockets.sync.client import connect

COMPILE_TIMEOUT_MS = 180_000

# How many distinct colours the canvases under a selector show (1 = blank).
_DISTINCT_COLOURS_JS = """(selector) => {
    const seen = new Set();
    for (const canvas of document.querySelectorAll(selector)) {
        const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
        for (let i = 0; i < data.length; i += 4) seen.add(data.slice(i, i + 4).join());
    }
    return seen.size;
}"""


def _colours(page: Page, selector: str) -> int:
    return int(page.evaluate(_DISTINCT_COLOURS_JS, selector))


def _wait_for(condition, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(0.2)


def _accuracy(page: Page) -> float:
    text = page.get_by_test_id("test-sequence-accuracy").inner_text()
    return float(text.rstrip("%")) / 100 if text.endswith("%") else 0.0


def _open_lab(page: Page, query: str = "") -> None:
    if query:
        page.goto("/sequences.html" + query)
    else:  # from the playground's Labs menu, by keyboard
        page.goto("/")
        expect(page.get_by_test_id("lab-link-sequences")).to_be_hidden()
        page.get_by_test_id("labs-toggle").focus()
        page.keyboard.press("Enter")
        expect(page.get_by_test_id("labs")).to_have_attribute("open", "")
        page.get_by_test_id("lab-link-sequences").focus()
        page.keyboard.press("Enter")
    expect(page.get_by_test_id("lab-sequences")).to_be_visible()
    expect(page.get_by_test_id("status")).to_have_text("connected · paused", timeout=COMPILE_TIMEOUT_MS)
    expect(page.get_by_test_id("test-sequence-accuracy")).to_have_text(
        re.compile(r"%$"), timeout=COMPILE_TIMEOUT_MS
    )


def test_every_view_draws_the_transformer_learns_to_reverse_and_a_typed_sequence_is_answered(
    page: Page, console_errors, results_dir
):
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto("/sequences.html")
    expect(page.get_by_test_id("status")).to_have_text("connected · paused", timeout=COMPILE_TIMEOUT_MS)
    expect(page.get_by_test_id("test-sequence-accuracy")).to_have_text(
        re.compile(r"%$"), timeout=COMPILE_TIMEOUT_MS
    )
    expect(page.get_by_test_id("seq-task")).to_have_value("0")  # reverse, the table's first task
    expect(page.get_by_test_id("seq-model").locator("option:checked")).to_have_text("transformer")
    assert "task=reverse" in page.url and "session" not in page.url  # a settings link, never the session

    page.get_by_test_id("max-speed").click()
    expect(page.get_by_test_id("max-speed")).to_have_attribute("aria-pressed", "true")
    page.get_by_test_id("play").click()
    _wait_for(lambda: _accuracy(page) >= 0.99, 120, "99% whole-sequence accuracy on reverse")
    page.get_by_test_id("play").click()
    expect(page.get_by_test_id("status")).to_have_text("connected · paused", timeout=30_000)

    strip = page.get_by_test_id("token-strip")
    expect(strip.locator(".row")).to_have_count(3)
    expect(strip.locator(".cell.right").first).to_be_visible()
    for view in ("hidden-state", "grad-through-time", "seq-accuracy"):
        assert _colours(page, f'[data-testid="{view}"]') > 2, view
    assert _colours(page, '[data-testid="attention-map"] canvas') > 2
    expect(page.get_by_test_id("attention-map").locator("figure")).to_have_count(3)  # 2 heads + positions
    expect(page.get_by_test_id("gates")).to_contain_text("no gates")

    page.get_by_test_id("seq-input").fill("01234567")
    page.get_by_test_id("seq-predict").click()
    prediction = page.get_by_test_id("seq-prediction")
    expect(prediction).to_contain_text("01234567 → ", timeout=30_000)
    expect(prediction).to_contain_text("expected 76543210")
    expect(prediction.locator(".cell")).to_have_count(8)

    page.get_by_test_id("seq-input").fill("01x")
    page.get_by_test_id("seq-predict").click()
    expect(prediction).to_have_text(re.compile(r"unknown token 'x' at position 3"), timeout=10_000)
    page.get_by_test_id("seq-input").fill("012345670")
    page.get_by_test_id("seq-predict").click()
    expect(prediction).to_have_text(re.compile(r"too long: 9 tokens"), timeout=10_000)
    expect(page.get_by_test_id("status")).to_have_text("connected · paused")  # the session goes on

    assert serious_violations(page) == []
    page.screenshot(path=str(results_dir / "sequence-lab-desktop.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 720})
    page.screenshot(path=str(results_dir / "sequence-lab-projector.png"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(results_dir / "sequence-lab-phone.png"), full_page=True)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    assert console_errors.unexpected() == []


def test_an_lstm_shows_its_gates_and_its_gradient_through_time(page: Page, console_errors, results_dir):
    page.set_viewport_size({"width": 1440, "height": 900})
    _open_lab(page, "?task=parity_dense&model=lstm&length=8&width=16")
    page.get_by_test_id("step").click()
    gates = page.get_by_test_id("gates").locator("figure")
    expect(gates).to_have_count(4, timeout=60_000)
    expect(page.get_by_test_id("gates")).to_contain_text("forget gate")
    assert _colours(page, '[data-testid="gates"] canvas') > 2
    assert _colours(page, '[data-testid="hidden-state"]') > 2
    expect(page.get_by_test_id("attention-map")).to_contain_text("belong to the Transformer")
    page.screenshot(path=str(results_dir / "sequence-lab-lstm.png"), full_page=True)
    assert console_errors.unexpected() == []


def test_rnn_gru_and_lstm_train_side_by_side_on_the_current_task(page: Page, console_errors, results_dir):
    page.set_viewport_size({"width": 1440, "height": 900})
    _open_lab(page, "?task=parity_dense&model=gru&length=6&width=8&speed=0")
    created: list[str] = []
    page.on(
        "request",
        lambda r: (
            created.append(r.post_data or "")
            if r.method == "POST" and r.url.endswith("/api/sequences/sessions")
            else None
        ),
    )
    page.get_by_test_id("side-by-side-start").click()
    for model in ("rnn", "gru", "lstm"):
        _wait_for(
            lambda m=model: _colours(page, f'[data-testid="side-by-side-{m}"]') > 2,
            180,
            f"the {model}'s state",
        )
    _wait_for(lambda: _colours(page, '[data-testid="side-by-side-chart"]') > 3, 60, "the three curves")
    for model in ("RNN", "GRU", "LSTM"):  # all three train
        expect(page.get_by_test_id("side-by-side")).to_contain_text(
            re.compile(rf"{model} · step [1-9]\d*"), timeout=120_000
        )
    # One run trains the three cells together: one session, and every frame shows them at the same step.
    assert len(created) == 1 and json.loads(created[0])["config"]["compare"] == ["gru", "lstm"]
    captions = page.evaluate(
        """() => ['rnn', 'gru', 'lstm'].map((m) =>
            document.querySelector(`[data-testid="side-by-side-${m}-caption"]`).textContent)"""
    )
    steps = {re.search(r"step (\d+)", caption).group(1) for caption in captions}
    assert len(steps) == 1, captions
    page.get_by_test_id("side-by-side").scroll_into_view_if_needed()
    page.screenshot(path=str(results_dir / "sequence-lab-side-by-side.png"), full_page=True)
    assert console_errors.unexpected() == []


def test_a_student_watches_a_teachers_sequence_run_read_only(page: Page, console_errors, base_url):
    created = page.request.post("/api/sequences/sessions", data={"config": {"speed": 0}})
    assert created.status == 201
    teacher_id = created.json()["id"]
    watch_id = page.request.get(f"/api/sequences/sessions/{teacher_id}").json()["watch_id"]
    page.set_viewport_size({"width": 1280, "height": 720})
    page.goto(f"/sequences.html?watch={watch_id}")
    expect(page.get_by_test_id("watch-note")).to_be_visible()
    expect(page.get_by_test_id("token-strip").locator(".row")).to_have_count(3, timeout=COMPILE_TIMEOUT_MS)
    expect(page.get_by_test_id("play")).to_be_disabled()
    expect(page.get_by_test_id("seq-task")).to_be_disabled()
    # the teacher trains (over their own socket): the student's page follows
    socket_url = base_url.replace("http", "ws") + f"/ws/sequences/{teacher_id}"
    with connect(socket_url) as ws:
        ws.send(json.dumps({"type": "step", "epochs": 40}))
        _wait_for(lambda: int(page.get_by_test_id("epoch").inner_text()) >= 40, 120, "the teacher's step 40")
    assert "session" not in page.url and f"watch={watch_id}" in page.url
    assert console_errors.unexpected() == []


def test_a_student_joining_from_the_playground_is_sent_to_the_sequence_lab_watches_and_forks(
    browser, base_url, results_dir
):
    """The room's run is a sequence run: the playground's join form sends the student to the lab's page,
    which rejoins (membership kept in the browser), shows the teacher's run read-only, then their fork."""
    from classroom_pages import open_room, people_in

    with people_in(browser, base_url, viewport={"width": 1280, "height": 720}) as person:
        teacher = person()
        teacher.page.goto("/sequences.html")
        expect(teacher.by_test_id("status")).to_have_text("connected · paused", timeout=COMPILE_TIMEOUT_MS)
        code = open_room(teacher)
        student = person()
        student.page.goto(f"/?room={code}")  # the playground's join form, as a typed code would be
        student.by_test_id("join-name").fill("Ada")
        student.by_test_id("join").click()
        expect(student.page).to_have_url(re.compile(rf"/sequences\.html\?room={code}"))
        expect(student.by_test_id("lab-sequences")).to_be_visible()
        expect(student.by_test_id("room-code")).to_have_text(code)
        expect(student.by_test_id("room-banner")).to_be_visible()
        expect(student.by_test_id("play")).to_be_disabled()  # the teacher's run: read-only here
        teacher.by_test_id("play").click()
        _wait_for(
            lambda: int(student.by_test_id("epoch").inner_text()) > 20, 60, "the teacher's run on Ada's page"
        )
        student.by_test_id("fork").click()
        expect(student.by_test_id("room-banner")).to_be_hidden()
        expect(student.by_test_id("play")).to_be_enabled()
        before = int(student.by_test_id("epoch").inner_text())
        student.by_test_id("step").click()  # the fork is Ada's own run: her step trains it
        _wait_for(lambda: int(student.by_test_id("epoch").inner_text()) > before, 30, "Ada's own step")
        student.page.screenshot(path=str(results_dir / "sequence-class-student.png"))
        teacher.page.screenshot(path=str(results_dir / "sequence-class-teacher.png"))
