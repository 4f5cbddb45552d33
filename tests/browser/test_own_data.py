"""Your own data: points drawn on the output map (mouse and keyboard) or uploaded as CSV reach the server."""

from __future__ import annotations

import numpy as np
from playwright.sync_api import expect
from wire import Wire, points_of

MAX_POINTS = 1200  # the server's limit on a data set, which the plane set already reaches

# Where a point of the [-6, 6]² plane lies in the heat map element (its content box spans the plane,
# x2 = +6 on the top row), in the element's own coordinates as Playwright's click(position=) takes them.
_PLANE_POSITION_JS = """([x1, x2]) => {
    const plane = document.querySelector("[data-testid=output-heatmap]");
    const size = plane.clientWidth;
    return {x: plane.clientLeft + ((x1 + 6) / 12) * size, y: plane.clientTop + ((6 - x2) / 12) * size};
}"""


def _click_plane(app, x1: float, x2: float, *, shift: bool = False) -> None:
    position = app.page.evaluate(_PLANE_POSITION_JS, [x1, x2])
    app.by_test_id("output-heatmap").click(position=position, modifiers=["Shift"] if shift else [])


def _count(data) -> int:
    return len(points_of(data)[1])


def _nearest(data, x1: float, x2: float) -> tuple[float, float]:
    """(distance, label) of the data's point nearest (x1, x2)."""
    xs, ys = points_of(data)
    distance = np.hypot(xs[:, 0] - x1, xs[:, 1] - x2)
    i = int(np.argmin(distance))
    return float(distance[i]), float(ys[i])


def test_drawn_points_reach_the_server_switch_to_your_own_data_and_train_nothing_by_themselves(
    playground, results_dir
):
    wire = Wire(playground.page)
    app = playground.open("/?speed=0")
    start = _count(wire.wait_for("data"))
    draw = app.by_test_id("draw-mode")
    expect(app.by_test_id("draw-class-neg")).to_be_hidden()
    draw.click()
    expect(draw).to_have_attribute("aria-pressed", "true")
    app.by_test_id("draw-class-neg").click()
    expect(app.by_test_id("draw-class-neg")).to_have_attribute("aria-pressed", "true")

    seen = wire.count("data")
    _click_plane(app, 3.0, 3.0)
    added = wire.wait_for("data", since=seen)
    assert _count(added) == start + 1
    distance, label = _nearest(added, 3.0, 3.0)
    assert distance < 0.05 and label == -1
    session = app.wait_for_server(lambda s: s["config"]["dataset"] == "custom")
    assert (session["state"], session["epoch"]) == ("paused", 0)
    expect(app.by_test_id("dataset-custom")).to_have_attribute("aria-pressed", "true")
    expect(app.by_test_id("own-data-note")).to_contain_text("class −1")

    seen = wire.count("data")
    _click_plane(app, 3.1, 2.9, shift=True)  # removes the nearest point (within 0.5)
    removed = wire.wait_for("data", since=seen)
    assert _count(removed) == start
    assert _nearest(removed, 3.0, 3.0)[0] > 0.05

    # From the keyboard: the cross-hair starts at the centre; the keys do not step or play.
    app.by_test_id("draw-class-pos").click()
    app.by_test_id("output-heatmap").focus()
    seen = wire.count("data")
    for key in ("ArrowRight", "ArrowRight", "ArrowDown", "Enter"):
        app.page.keyboard.press(key)
    by_keys = wire.wait_for("data", since=seen)
    assert _count(by_keys) == start + 1
    distance, label = _nearest(by_keys, 1.0, -0.5)
    assert distance < 1e-5 and label == 1
    assert app.server_session()["epoch"] == 0
    expect(app.by_test_id("play")).to_have_attribute("aria-pressed", "false")

    app.by_test_id("draw-remove").click()  # the remove tool: a plain click removes
    seen = wire.count("data")
    _click_plane(app, 1.2, -0.4)
    assert _count(wire.wait_for("data", since=seen)) == start

    # A picture: an empty plane, a blue blob in the middle and an orange ring, trained a little.
    seen = wire.count("data")
    app.by_test_id("clear-points").click()
    wire.wait_for("data", lambda d: _count(d) == 0, since=seen)
    for angle in np.linspace(0, 2 * np.pi, 12, endpoint=False):
        app.by_test_id("draw-class-pos").click()
        _click_plane(app, 1.2 * np.cos(angle), 1.2 * np.sin(angle))
        app.by_test_id("draw-class-neg").click()
        _click_plane(app, 4.5 * np.cos(angle + 0.2), 4.5 * np.sin(angle + 0.2))
    wire.wait_for("data", lambda d: _count(d) == 24, since=seen)
    app.by_test_id("play").click()
    app.wait_until(lambda: app.epoch() > 2000, 30, "2000 epochs on the drawn points")
    app.by_test_id("play").click()
    app.page.mouse.move(5, 5)
    app.page.wait_for_timeout(400)
    path = results_dir / "own-data.png"
    app.page.screenshot(path=str(path), full_page=True, clip={"x": 0, "y": 0, "width": 1280, "height": 1020})
    assert path.stat().st_size > 10_000


def test_csv_upload_replaces_the_points_and_a_bad_file_names_its_line(playground, tmp_path):
    playground.console.allow("422")  # Chromium logs the refused upload
    wire = Wire(playground.page)
    app = playground.open("/")
    # The "Your own data" thumbnail selects the (still empty) own data set, and drawing starts.
    app.by_test_id("dataset-custom").click()
    app.wait_for_server(lambda s: s["config"]["dataset"] == "custom")
    expect(app.by_test_id("draw-mode")).to_have_attribute("aria-pressed", "true")

    good = tmp_path / "points.csv"
    good.write_text("x1,x2,label\n1,1,1\n-1,-1,-1\n2,-3,0\n")
    seen = wire.count("data")
    app.by_test_id("csv-upload").set_input_files(str(good))
    expect(app.by_test_id("own-data-note")).to_have_text("Loaded 3 points from points.csv.")
    data = wire.wait_for("data", since=seen)
    xs, ys = points_of(data)
    got = sorted(zip(map(tuple, xs.tolist()), ys.tolist(), strict=True))
    assert got == [((-1.0, -1.0), -1.0), ((1.0, 1.0), 1.0), ((2.0, -3.0), -1.0)]  # label 0 means -1
    assert app.wait_for_server(lambda s: s["config"]["dataset"] == "custom")["epoch"] == 0
    expect(app.by_test_id("dataset-custom")).to_have_attribute("aria-pressed", "true")

    bad = tmp_path / "bad.csv"
    bad.write_text("x1,x2,label\n1,1,1\n2,2\n")
    app.by_test_id("csv-upload").set_input_files(str(bad))
    error = app.by_test_id("error")
    expect(error).to_contain_text("bad.csv")
    expect(error).to_contain_text("line 3: expected 3 columns")
    app.page.wait_for_timeout(300)
    assert wire.count("data") == seen + 1  # the good file's points, and nothing after the bad one


def test_regression_points_take_a_value_and_drawing_keeps_hover_and_weight_editing(playground):
    wire = Wire(playground.page)
    app = playground.open("/?dataset=plane&problem=regression")
    assert _count(wire.wait_for("data", lambda d: d["problem"] == "regression")) == MAX_POINTS
    app.by_test_id("draw-mode").click()
    expect(app.by_test_id("draw-class-pos")).to_be_hidden()
    app.by_test_id("draw-value").fill("0.5")
    _click_plane(app, -3.0, 2.0)
    expect(app.by_test_id("error")).to_contain_text(f"already {MAX_POINTS} points")  # the plane is full

    seen = wire.count("data")
    app.by_test_id("clear-points").click()
    wire.wait_for("data", lambda d: _count(d) == 0, since=seen)
    _click_plane(app, 3.0, -1.0)
    _click_plane(app, -3.0, 2.0)
    data = wire.wait_for("data", lambda d: _count(d) == 2, since=seen)
    seen = wire.count("data")
    distance, label = _nearest(data, -3.0, 2.0)
    assert distance < 0.05 and label == 0.5
    session = app.wait_for_server(lambda s: s["config"]["dataset"] == "custom")
    assert session["config"]["problem"] == "regression"

    # Hover-to-enlarge and the weight popover work as before while drawing is on.
    caption = app.by_test_id("heatmap-caption")
    app.by_test_id("neuron-0-0").hover()
    expect(caption).to_contain_text("neuron 1,1")
    app.page.mouse.move(5, 5)
    expect(caption).to_have_text("showing the network output")
    app.click_link("link-x1-0_0")
    expect(app.by_test_id("weight-popover")).to_be_visible()
    app.page.keyboard.press("Escape")
    expect(app.by_test_id("weight-popover")).to_be_hidden()
    assert wire.count("data") == seen  # no stray points from those clicks


def test_a_csv_over_the_size_limit_is_refused_in_words_before_it_is_sent(playground, tmp_path):
    wire = Wire(playground.page)
    app = playground.open("/")
    limit = app.page.request.get("/api/schema").json()["upload"]["max_bytes"]
    big = tmp_path / "big.csv"
    rows = ["x1,x2,label"] + [f"{i % 12 - 6}.123456789,{i % 7 - 3}.987654321,1" for i in range(14_000)]
    big.write_text("\n".join(rows))
    assert big.stat().st_size > 300 * 1024  # past the server's own body limit (HTTP 413)
    seen = wire.count("data")
    app.by_test_id("csv-upload").set_input_files(str(big))
    error = app.by_test_id("error-text")
    kb = -(-big.stat().st_size // 1024)
    expect(error).to_have_text(
        f"big.csv is {kb:,} KB: a file may have up to {limit // 1024} KB and 1,200 points. "
        "Keep fewer points, or fewer digits per number."
    )
    expect(error).not_to_contain_text("413")
    assert wire.count("data") == seen
