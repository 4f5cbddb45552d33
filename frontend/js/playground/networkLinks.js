// The links of the network diagram: one SVG line per weight, coloured and sized by its value,
// focusable (roving tabindex, arrow keys), showing the weight on hover or focus and asking to edit
// it on click or Enter (a tap on a touch screen shows it instead). Nets with more links than the SVG
// can repaint every frame (extended mode, up to 12 x 64) get them drawn on a canvas: visible, not
// focusable one by one. Both are drawn from the nodes' own boxes, measured where they are shown.

import { cssColorOf } from "../core/palette.js";
import { drawLinkCanvas } from "./networkLinkCanvas.js";

const SVG_NS = "http://www.w3.org/2000/svg";
const MAX_LINK_WIDTH_PX = 5;
const MAX_SVG_LINKS = 3000; // beyond this the links go on the canvas

/** A weight or bias as the diagram shows it: 4 significant digits, or "—". */
export function formatWeight(value) {
  return Number.isFinite(value) ? String(Number(value.toPrecision(4))) : "—";
}

/**
 * The link layer in `svg` and `canvas` (both absolutely placed over `container`). `describe(c, source,
 * target)` gives {testId, name} of the link from node `source` of column c to node `target` of column
 * c + 1; `weightOf(w, source, target)` its current value; `onEdit(w, source, target, group)`,
 * `onTap(w, source, target, group, point)` (a touch) and `onHover({label, value(), x, y} | null)`
 * report what the person does. Returns {place(nodeColumns), paint(weights)}.
 */
export function createLinkLayer(svg, canvas, container, { describe, weightOf, onEdit, onTap, onHover }) {
  let lineColumns = []; // per weight matrix, {group, line, color, width} per link (row-major in x out)
  let linkGroups = []; // all link groups in document order, for arrow-key navigation
  let focusedLinkKey = null; // keep keyboard focus on a link across rebuilds
  let onCanvas = null; // {segments per weight matrix, box} when the links are drawn on the canvas

  // Each link: a wide transparent line (easy to hit and to show focus) under the visible one.
  function place(nodeColumns) {
    const hadFocus = svg.contains(document.activeElement);
    onHover(null);
    svg.replaceChildren();
    lineColumns = [];
    linkGroups = [];
    let linkCount = 0;
    for (let c = 0; c + 1 < nodeColumns.length; c += 1) {
      linkCount += nodeColumns[c].length * nodeColumns[c + 1].length;
    }
    const box = container.getBoundingClientRect();
    svg.setAttribute("width", String(box.width));
    svg.setAttribute("height", String(box.height));
    // Thousands of SVG lines repainted every frame would stall the page (extended mode).
    onCanvas = linkCount > MAX_SVG_LINKS ? { segments: measure(nodeColumns, box), box } : null;
    canvas.hidden = !onCanvas;
    svg.setAttribute("aria-hidden", String(Boolean(onCanvas)));
    if (onCanvas) return;
    const fragment = document.createDocumentFragment();
    for (let c = 0; c + 1 < nodeColumns.length; c += 1) {
      const entries = [];
      nodeColumns[c].forEach((from, source) => {
        const a = from.getBoundingClientRect();
        nodeColumns[c + 1].forEach((to, target) => {
          const b = to.getBoundingClientRect();
          const { testId, name } = describe(c, source, target);
          const group = document.createElementNS(SVG_NS, "g");
          group.classList.add("link");
          group.dataset.testid = testId;
          group.dataset.name = name;
          group.setAttribute("role", "button");
          group.setAttribute("tabindex", "-1");
          group.setAttribute("aria-label", group.dataset.name);
          const coords = {
            x1: a.right - box.left,
            y1: a.top + a.height / 2 - box.top,
            x2: b.left - box.left,
            y2: b.top + b.height / 2 - box.top,
          };
          const hit = document.createElementNS(SVG_NS, "line");
          hit.classList.add("link-hit");
          const line = document.createElementNS(SVG_NS, "line");
          line.classList.add("link-line");
          for (const element of [hit, line]) {
            for (const [key, value] of Object.entries(coords)) element.setAttribute(key, value.toFixed(1));
          }
          line.setAttribute("stroke", "#cccccc");
          line.setAttribute("stroke-width", "1");
          group.append(hit, line);
          const w = c;
          let touched = false;
          group.addEventListener("pointerdown", (event) => {
            touched = event.pointerType === "touch" || event.pointerType === "pen";
          });
          group.addEventListener("click", () => {
            const point = { x: (coords.x1 + coords.x2) / 2, y: (coords.y1 + coords.y2) / 2 };
            if (touched) onTap(w, source, target, group, point);
            else onEdit(w, source, target, group);
            touched = false;
          });
          group.addEventListener("keydown", (event) => onLinkKey(event, w, source, target, group));
          const showWeight = () =>
            onHover({
              label: "weight",
              value: () => weightOf(w, source, target),
              x: (coords.x1 + coords.x2) / 2,
              y: (coords.y1 + coords.y2) / 2,
            });
          group.addEventListener("mouseenter", showWeight);
          group.addEventListener("mouseleave", () => onHover(null));
          group.addEventListener("blur", () => onHover(null));
          group.addEventListener("focus", () => {
            focusedLinkKey = group.dataset.testid;
            const value = weightOf(w, source, target);
            group.setAttribute("aria-label", `${group.dataset.name}: ${formatWeight(value)}`);
            showWeight();
          });
          fragment.append(group);
          entries.push({ group, line, color: null, width: null });
          linkGroups.push(group);
        });
      });
      lineColumns.push(entries);
    }
    svg.append(fragment);
    // One link is in the tab order (roving tabindex): the last focused one, else the first.
    const again = linkGroups.find((g) => g.dataset.testid === focusedLinkKey);
    const tabStop = again || linkGroups[0];
    if (tabStop) tabStop.setAttribute("tabindex", "0");
    if (again && hadFocus) again.focus();
  }

  function onLinkKey(event, w, source, target, group) {
    const index = linkGroups.indexOf(group);
    let next = null;
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      onEdit(w, source, target, group);
      return;
    }
    if (event.key === "ArrowDown" || event.key === "ArrowRight") next = linkGroups[index + 1];
    else if (event.key === "ArrowUp" || event.key === "ArrowLeft") next = linkGroups[index - 1];
    else if (event.key === "Home") next = linkGroups[0];
    else if (event.key === "End") next = linkGroups[linkGroups.length - 1];
    else return;
    event.preventDefault();
    if (!next) return;
    group.setAttribute("tabindex", "-1");
    next.setAttribute("tabindex", "0");
    next.focus();
  }

  /** Each link's ends, {x1, y1, x2, y2} in the container's pixels, per weight matrix (row-major). */
  function measure(nodeColumns, box) {
    const segments = [];
    for (let c = 0; c + 1 < nodeColumns.length; c += 1) {
      const froms = nodeColumns[c].map((node) => node.getBoundingClientRect());
      const tos = nodeColumns[c + 1].map((node) => node.getBoundingClientRect());
      const list = [];
      for (const a of froms) {
        for (const b of tos) {
          list.push({
            x1: a.right - box.left,
            y1: a.top + a.height / 2 - box.top,
            x2: b.left - box.left,
            y2: b.top + b.height / 2 - box.top,
          });
        }
      }
      segments.push(list);
    }
    return segments;
  }

  /** Colours and sizes every link by its weight (one Float32Array per weight matrix). */
  function paint(weights) {
    if (onCanvas) {
      drawLinkCanvas(canvas, onCanvas.box, onCanvas.segments, weights);
      return;
    }
    weights.forEach((weights, w) => {
      const entries = lineColumns[w];
      if (!entries || entries.length !== weights.length) return;
      for (let i = 0; i < weights.length; i += 1) {
        // Quantized so that unchanged-looking links cost no DOM writes.
        const value = weights[i];
        const colourStep = Math.round(Math.max(-1, Math.min(1, value)) * 40);
        const widthStep = Math.round(Math.min(MAX_LINK_WIDTH_PX, 0.6 + Math.abs(value) * 1.5) * 10);
        const entry = entries[i];
        if (entry.color !== colourStep) {
          entry.color = colourStep;
          entry.line.setAttribute("stroke", cssColorOf(colourStep / 40));
        }
        if (entry.width !== widthStep) {
          entry.width = widthStep;
          entry.line.setAttribute("stroke-width", String(widthStep / 10));
        }
      }
    });
  }

  return { place, paint };
}
