// Canvas pictures of a frame's quantized arrays ({shape, data (uint8), low, high}): a signed heat map
// (blue positive, orange negative, white zero) and a 0..1 map (attention weights).

import { colorOf } from "../core/palette.js";

/** The value a byte stands for in a quantized array. */
export function valueOf(q, byte) {
  return q.low + (byte / 255) * (q.high - q.low);
}

/** Paints rows x cols values of `q` (offset into its data) on `canvas`, one cell per value. */
export function paintSigned(canvas, q, rows, cols, offset = 0) {
  const scale = Math.max(Math.abs(q.low), Math.abs(q.high)) || 1;
  paint(canvas, rows, cols, (i) => colorOf(valueOf(q, q.data[offset + i]) / scale));
}

/** Paints weights in [0, 1] (byte / 255) from white to blue. */
export function paintUnit(canvas, q, rows, cols, offset = 0) {
  paint(canvas, rows, cols, (i) => colorOf(q.data[offset + i] / 255));
}

function paint(canvas, rows, cols, colour) {
  canvas.width = Math.max(1, cols);
  canvas.height = Math.max(1, rows);
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(canvas.width, canvas.height);
  for (let i = 0; i < rows * cols; i += 1) {
    const [r, g, b] = colour(i);
    image.data.set([r, g, b, 255], i * 4);
  }
  ctx.putImageData(image, 0, 0);
}

/** A captioned canvas (a gate, a head), made once and reused by key. */
export function figureCanvas(container, key, caption) {
  let figure = container.querySelector(`figure[data-key="${key}"]`);
  if (!figure) {
    figure = document.createElement("figure");
    figure.dataset.key = key;
    const canvas = document.createElement("canvas");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", caption);
    const text = document.createElement("figcaption");
    figure.append(canvas, text);
    container.append(figure);
  }
  figure.querySelector("figcaption").textContent = caption;
  return figure.querySelector("canvas");
}
