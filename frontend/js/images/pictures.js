// Drawing helpers of the image lab: uint8 pictures onto canvases, in colour-blind-safe ramps.

import { colorOf } from "../core/palette.js";

/** A byte 0..255 -> RGB: a sequential ramp from white to dark blue (ink, activations). */
export function inkColor(byte) {
  const t = byte / 255;
  return [Math.round(255 - 247 * t), Math.round(255 - 184 * t), Math.round(255 - 140 * t)];
}

/** A byte with 128 as zero -> RGB on the playground's diverging palette (orange -, white 0, blue +). */
export function signedColor(byte) {
  return colorOf(byte / 127.5 - 1);
}

/** A canvas of `width` x `height` cells drawn from `bytes` (offset, row by row), `scale` px per cell. */
export function pictureCanvas(bytes, offset, width, height, scale, color = inkColor, label = "") {
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  canvas.style.width = `${width * scale}px`;
  canvas.style.height = `${height * scale}px`;
  canvas.className = "pixelated";
  if (label) {
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", label);
  }
  paint(canvas, bytes, offset, color);
  return canvas;
}

/** Paints bytes (one per pixel of the canvas) through `color`. */
export function paint(canvas, bytes, offset = 0, color = inkColor) {
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(canvas.width, canvas.height);
  for (let i = 0; i < canvas.width * canvas.height; i += 1) {
    const [r, g, b] = color(bytes[offset + i]);
    image.data.set([r, g, b, 255], i * 4);
  }
  ctx.putImageData(image, 0, 0);
}

/** Fills a fixed-size canvas with a w x h grid of values through `color` (nearest-neighbour cells). */
export function paintCells(canvas, values, w, h, color) {
  const ctx = canvas.getContext("2d");
  const cw = canvas.width / w;
  const ch = canvas.height / h;
  for (let r = 0; r < h; r += 1) {
    for (let c = 0; c < w; c += 1) {
      const [red, green, blue] = color(values[r * w + c]);
      ctx.fillStyle = `rgb(${red}, ${green}, ${blue})`;
      ctx.fillRect(c * cw, r * ch, Math.ceil(cw), Math.ceil(ch));
    }
  }
}

/**
 * Epochs trained, the current one's share included, as the header and the accuracy chart both show them:
 * "1.5" halfway through the second epoch, "2" at its end.
 */
export function epochsTrained(progress) {
  const text = progress.toFixed(1);
  return text.endsWith(".0") ? text.slice(0, -2) : text;
}

/** The same as words: "14.3 epochs", "1 epoch". */
export function epochsTrainedText(progress) {
  const trained = epochsTrained(progress);
  return `${trained} ${trained === "1" ? "epoch" : "epochs"}`;
}

/** Formats a fraction as a percentage ("97.8%"), or "–" when missing. */
export function percent(value) {
  return value === null || value === undefined ? "–" : `${(100 * value).toFixed(1)}%`;
}
