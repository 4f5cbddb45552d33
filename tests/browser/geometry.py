"""What the network diagram looks like as boxes on the page: every node's rectangle and every link's ends,
measured in the page's own coordinates (getBoundingClientRect), to check that the picture is the network."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Page

# Every node's box: active input features (their maps), hidden neurons and output nodes.
NODE_BOXES_JS = """() => {
    const boxes = [];
    const add = (name, element) => {
        const r = element.getBoundingClientRect();
        boxes.push({name, left: r.left, top: r.top, right: r.right, bottom: r.bottom});
    };
    for (const tile of document.querySelectorAll("[data-testid^='feature-'][aria-pressed='true']")) {
        add(tile.dataset.testid, tile.querySelector("canvas"));
    }
    for (const node of document.querySelectorAll(".network .neuron, .network .output-node")) {
        add(node.dataset.testid, node);
    }
    return boxes;
}"""

# For every SVG link: its ends in page coordinates and the boxes of the two nodes it joins.
LINK_ENDS_JS = """() => {
    const nodeOf = (key) => {
        if (/^\\d+_\\d+$/.test(key)) {
            const [layer, n] = key.split("_");
            return document.querySelector(`[data-testid="neuron-${layer}-${n}"]`);
        }
        const output = key.replace("output", "output-node");
        if (key.startsWith("output")) return document.querySelector(`[data-testid="${output}"]`);
        return document.querySelector(`[data-testid="feature-${key}"] canvas`);
    };
    const box = (e) => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
    const ends = [];
    for (const group of document.querySelectorAll(".network-links .link")) {
        const match = /^link-(.+)-(output(?:-\\d+)?|\\d+_\\d+)$/.exec(group.dataset.testid);
        const line = group.querySelector(".link-line");
        const svg = group.ownerSVGElement.getBoundingClientRect();
        const at = (name) => Number(line.getAttribute(name));
        ends.push({
            link: group.dataset.testid,
            start: [svg.left + at("x1"), svg.top + at("y1")],
            end: [svg.left + at("x2"), svg.top + at("y2")],
            from: box(nodeOf(match[1])),
            to: box(nodeOf(match[2])),
        });
    }
    return ends;
}"""


def node_boxes(page: Page) -> list[dict[str, Any]]:
    return list(page.evaluate(NODE_BOXES_JS))


def overlapping(boxes: list[dict[str, Any]], tolerance: float = 0.5) -> list[tuple[str, str]]:
    """Pairs of boxes that overlap by more than `tolerance` px both ways."""
    pairs = []
    ordered = sorted(boxes, key=lambda b: b["left"])
    for i, a in enumerate(ordered):
        for b in ordered[i + 1 :]:
            if b["left"] >= a["right"] - tolerance:
                break
            if min(a["bottom"], b["bottom"]) - max(a["top"], b["top"]) > tolerance:
                pairs.append((a["name"], b["name"]))
    return pairs


def links_off_their_nodes(page: Page, tolerance: float = 2.0) -> list[str]:
    """Links whose start is not on the right edge of its source node (at its middle) or whose end is not on
    the left edge of its target node, by more than `tolerance` px; [] when every link is where it belongs."""
    wrong = []
    for link in page.evaluate(LINK_ENDS_JS):
        (x1, y1), (x2, y2) = link["start"], link["end"]
        _, top, right, bottom = link["from"]
        if abs(x1 - right) > tolerance or abs(y1 - (top + bottom) / 2) > tolerance:
            wrong.append(f"{link['link']} starts at {x1:.1f},{y1:.1f}; its source's edge: {right:.1f}")
        left, top, _, bottom = link["to"]
        if abs(x2 - left) > tolerance or abs(y2 - (top + bottom) / 2) > tolerance:
            wrong.append(f"{link['link']} ends at {x2:.1f},{y2:.1f}; its target's edge: {left:.1f}")
    return wrong


def inside(box: dict[str, float] | None, width: int, height: int) -> bool:
    """Whether a Playwright bounding box lies within a viewport of width x height."""
    return (
        box is not None
        and box["x"] >= -0.5
        and box["y"] >= -0.5
        and box["x"] + box["width"] <= width + 0.5
        and box["y"] + box["height"] <= height + 0.5
    )
