"""Networks of every allowed size stay readable: nodes sized by the net and the space, never overlapping,
and every link drawn from the edge of one node to the edge of the next (the picture is the network)."""

from __future__ import annotations

import itertools

import pytest
from geometry import links_off_their_nodes, node_boxes, overlapping
from playwright.sync_api import expect

DESKTOP = {"width": 1440, "height": 900}
SHAPES = {
    "1x1": ("reference", [1]),
    "2x4": ("reference", [4, 4]),
    "6x8": ("reference", [8] * 6),
    "12x64": ("extended", [64] * 12),
}
FEATURES = ["x1", "x2", "x1_sq", "x2_sq"]


def _open(playground, mode: str, layers: list[int]):
    shape = ",".join(map(str, layers))
    playground.page.set_viewport_size(DESKTOP)
    return playground.open(f"/?speed=0&mode={mode}&networkShape={shape}&features={','.join(FEATURES)}")


@pytest.mark.parametrize("name", list(SHAPES))
def test_no_two_nodes_overlap_and_the_output_stands_clear_of_the_last_layer(playground, results_dir, name):
    mode, layers = SHAPES[name]
    app = _open(playground, mode, layers)
    expect(app.by_test_id(f"neuron-{len(layers) - 1}-{layers[-1] - 1}")).to_be_visible()
    boxes = node_boxes(app.page)
    assert len(boxes) == len(FEATURES) + sum(layers) + 1
    assert overlapping(boxes) == []
    last_layer = [b for b in boxes if b["name"].startswith(f"neuron-{len(layers) - 1}-")]
    output = next(b for b in boxes if b["name"] == "output-node")
    assert output["left"] > max(b["right"] for b in last_layer) + 4  # room for the links between them
    network = app.by_test_id("network").bounding_box()
    for box in boxes:  # every node inside the diagram
        assert network["x"] - 1 <= box["left"] and box["right"] <= network["x"] + network["width"] + 1, box
        assert network["y"] - 1 <= box["top"] and box["bottom"] <= network["y"] + network["height"] + 1, box
    app.by_test_id("network").screenshot(path=str(results_dir / f"network-{name}.png"))


@pytest.mark.parametrize("name", ["1x1", "2x4", "6x8"])
def test_every_link_starts_and_ends_on_its_two_nodes_edges(playground, name):
    mode, layers = SHAPES[name]
    app = _open(playground, mode, layers)
    links = app.page.locator(".network-links .link")
    expected = len(FEATURES) * layers[0] + sum(a * b for a, b in itertools.pairwise(layers)) + layers[-1]
    expect(links).to_have_count(expected)
    assert links_off_their_nodes(app.page) == []
    # ... also after the diagram changed size (a narrower window re-lays it out).
    app.page.set_viewport_size({"width": 1024, "height": 640})
    app.page.wait_for_timeout(300)
    assert links_off_their_nodes(app.page) == []


def test_a_12_by_64_net_draws_its_links_on_a_canvas_coloured_by_the_weights(playground):
    app = _open(playground, *SHAPES["12x64"])
    canvas = app.page.locator(".network-link-canvas")
    expect(canvas).to_be_visible()
    expect(app.page.locator(".network-links .link")).to_have_count(0)
    painted = app.page.evaluate(
        """() => {
            const canvas = document.querySelector(".network-link-canvas");
            const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
            let coloured = 0;
            for (let i = 3; i < data.length; i += 4 * 13) if (data[i] > 0) coloured += 1;
            return coloured / (data.length / (4 * 13));
        }"""
    )
    assert painted > 0.2, f"only {painted:.0%} of the diagram has links on it"
