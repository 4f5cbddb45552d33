// The links of a big net (thousands of weights, extended mode) on one canvas: each link coloured and
// sized by its weight as the SVG links are, drawn in one path per colour and width step so that tens of
// thousands of links take a few milliseconds. Painted at most every MIN_INTERVAL_MS.

import { cssColorOf } from "../core/palette.js";

const MAX_LINK_WIDTH_PX = 5;
const COLOUR_STEPS = 10; // per sign
const WIDTH_STEPS = 5;
const MIN_INTERVAL_MS = 200;

const lastPaint = new WeakMap(); // canvas -> when it was painted
const pending = new WeakMap(); // canvas -> the arguments of a paint put off (the last one wins)

/**
 * Draws `segments` (per weight matrix, {x1, y1, x2, y2} per link in `box`'s pixels, row-major) on
 * `canvas` (placed over the box), coloured by `weights` (a Float32Array per matrix). A paint that comes
 * too soon after the last is put off, not dropped: the newest weights are always drawn in the end.
 */
export function drawLinkCanvas(canvas, box, segments, weights) {
  const wait = (lastPaint.get(canvas) ?? -Infinity) + MIN_INTERVAL_MS - performance.now();
  if (wait > 0) {
    if (!pending.has(canvas)) {
      setTimeout(() => {
        const args = pending.get(canvas);
        pending.delete(canvas);
        if (args) drawLinkCanvas(canvas, ...args);
      }, wait);
    }
    pending.set(canvas, [box, segments, weights]);
    return;
  }
  lastPaint.set(canvas, performance.now());
  const ratio = window.devicePixelRatio || 1;
  const width = Math.round(box.width * ratio);
  const height = Math.round(box.height * ratio);
  if (canvas.width !== width || canvas.height !== height) {
    canvas.width = width;
    canvas.height = height;
  }
  const context = canvas.getContext("2d");
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.clearRect(0, 0, box.width, box.height);
  const paths = new Map(); // "colour|width" -> Path2D
  segments.forEach((links, w) => {
    const values = weights[w];
    if (!values || values.length !== links.length) return;
    for (let i = 0; i < links.length; i += 1) {
      const value = values[i];
      const colour = Math.round(Math.max(-1, Math.min(1, value)) * COLOUR_STEPS);
      const share = Math.min(MAX_LINK_WIDTH_PX, 0.4 + Math.abs(value)) / MAX_LINK_WIDTH_PX;
      const size = Math.round(share * WIDTH_STEPS);
      const key = `${colour}|${size}`;
      if (!paths.has(key)) paths.set(key, new Path2D());
      const { x1, y1, x2, y2 } = links[i];
      const path = paths.get(key);
      path.moveTo(x1, y1);
      path.lineTo(x2, y2);
    }
  });
  context.globalAlpha = 0.6; // thousands of crossing links: the strong ones show through
  for (const [key, path] of paths) {
    const [colour, size] = key.split("|").map(Number);
    context.strokeStyle = cssColorOf(colour / COLOUR_STEPS);
    context.lineWidth = Math.max(0.3, (size / WIDTH_STEPS) * MAX_LINK_WIDTH_PX * 0.5);
    context.stroke(path);
  }
  context.globalAlpha = 1;
}
