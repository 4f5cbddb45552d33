"""Presenter mode on real projector sizes: the output map, the network and the lesson's question on one
screen without scrolling, type at least 1.25 times the page's, and a network picture drawn from the
geometry it is shown in (every link from one node's edge to the next's)."""

from __future__ import annotations

import pytest
from classroom_pages import open_room, people_in
from geometry import inside, links_off_their_nodes, node_boxes, overlapping
from playwright.sync_api import Browser, expect

PROJECTORS = [(1280, 720), (1366, 768), (1920, 1080)]


def _height(person, test_id: str) -> float:
    box = person.by_test_id(test_id).bounding_box()
    assert box is not None
    return float(box["height"])


@pytest.mark.parametrize(("width", "height"), PROJECTORS, ids=[f"{w}x{h}" for w, h in PROJECTORS])
def test_presenter_mode_fits_a_projector_and_draws_the_network_where_it_is_shown(
    browser: Browser, base_url: str, results_dir, width: int, height: int
):
    with people_in(browser, base_url, viewport={"width": width, "height": height}) as person:
        teacher = person().open("/?speed=0")
        open_room(teacher)
        teacher.by_test_id("lesson-select").select_option("vanishing-gradients")  # a 6 x 8 net
        teacher.by_test_id("lesson-next").click()
        expect(teacher.by_test_id("lesson-title")).to_have_text("Six sigmoid layers")
        expect(teacher.by_test_id("neuron-5-7")).to_be_visible()
        assert links_off_their_nodes(teacher.page) == []  # the normal page first
        normal = {test_id: _height(teacher, test_id) for test_id in ("epoch", "room-code")}

        teacher.by_test_id("presenter-mode").click()
        expect(teacher.by_test_id("presenter-mode")).to_have_attribute("aria-pressed", "true")
        teacher.by_test_id("play").click()
        teacher.wait_until(lambda: int(teacher.by_test_id("epoch").inner_text()) > 20, 60, "training")
        teacher.page.wait_for_timeout(300)  # one layout pass after the last frame's text
        for test_id in ("output-heatmap", "network", "lesson", "room-code", "play", "epoch"):
            assert inside(teacher.by_test_id(test_id).bounding_box(), width, height), test_id
        question = teacher.by_test_id("lesson").locator(".lesson-question")
        assert inside(question.bounding_box(), width, height)
        assert teacher.page.evaluate("document.scrollingElement.scrollHeight") <= height + 1
        assert teacher.page.evaluate("document.body.scrollHeight") <= height + 1
        for test_id, before in normal.items():  # type at least 1.25 times the page's
            assert _height(teacher, test_id) >= 1.25 * before, test_id
        # The map is the largest thing on the screen, not a thumbnail.
        assert teacher.by_test_id("output-heatmap").bounding_box()["height"] >= 0.45 * height
        # The picture is the network: links on their nodes, no node over another.
        assert links_off_their_nodes(teacher.page) == []
        assert overlapping(node_boxes(teacher.page)) == []
        expect(teacher.by_test_id("tiles")).to_be_hidden()
        expect(teacher.by_test_id("insight-panel")).to_be_hidden()
        teacher.page.screenshot(path=str(results_dir / f"classroom-presenter-{width}x{height}.png"))
