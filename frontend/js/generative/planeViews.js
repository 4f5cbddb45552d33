// The GAN's views on canvases: samples with gradient arrows, the discriminator's field, the generator's
// manifold. Points are (x, y) pairs in [-extent, extent]^2, drawn with y up.

import { colorOf } from "../core/palette.js";

const REAL = "rgba(95, 99, 104, 0.35)";
const FAKE = "rgba(123, 50, 148, 0.75)"; // purple: apart from the field's orange and blue
const ARROW = "#1b7837";
const DRAWN = "#d01c8b";

/** Plane coordinates -> canvas pixels. */
export function toPixels(canvas, extent) {
  const { width, height } = canvas;
  return (x, y) => [((x + extent) / (2 * extent)) * width, ((extent - y) / (2 * extent)) * height];
}

/** Canvas pixels (CSS px of a click) -> plane coordinates. */
export function toPlane(canvas, extent, offsetX, offsetY) {
  const rect = canvas.getBoundingClientRect();
  const x = (offsetX / rect.width) * 2 * extent - extent;
  const y = extent - (offsetY / rect.height) * 2 * extent;
  return [x, y];
}

function clear(canvas) {
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  return ctx;
}

function dots(ctx, at, points, colour, radius) {
  ctx.fillStyle = colour;
  for (let i = 0; i + 1 < points.length; i += 2) {
    const [px, py] = at(points[i], points[i + 1]);
    ctx.beginPath();
    ctx.arc(px, py, radius, 0, 2 * Math.PI);
    ctx.fill();
  }
}

function axes(ctx, canvas, extent) {
  const at = toPixels(canvas, extent);
  ctx.strokeStyle = "rgba(0,0,0,0.12)";
  ctx.lineWidth = 1;
  ctx.beginPath();
  const [x0, y0] = at(0, 0);
  ctx.moveTo(x0, 0);
  ctx.lineTo(x0, canvas.height);
  ctx.moveTo(0, y0);
  ctx.lineTo(canvas.width, y0);
  ctx.stroke();
  ctx.fillStyle = "#5f6368";
  ctx.font = "11px system-ui, sans-serif";
  ctx.fillText(`±${extent}`, canvas.width - 26, y0 - 3);
}

/** Real points, generated ones, and the gradient arrows of the first generated ones. */
export function drawSamples(canvas, { real, fake, arrows, drawn, extent }) {
  const ctx = clear(canvas);
  axes(ctx, canvas, extent);
  const at = toPixels(canvas, extent);
  if (real) dots(ctx, at, real, REAL, 1.6);
  if (fake) dots(ctx, at, fake, FAKE, 1.8);
  if (fake && arrows && arrows.length) {
    let longest = 0;
    for (let i = 0; i + 1 < arrows.length; i += 2) longest = Math.max(longest, Math.hypot(arrows[i], arrows[i + 1]));
    const scale = longest > 0 ? (0.12 * extent) / longest : 0;
    ctx.strokeStyle = ARROW;
    ctx.lineWidth = 1.2;
    ctx.beginPath();
    for (let i = 0; i + 1 < arrows.length; i += 2) {
      const [x0, y0] = at(fake[i], fake[i + 1]);
      const [x1, y1] = at(fake[i] + arrows[i] * scale, fake[i + 1] + arrows[i + 1] * scale);
      ctx.moveTo(x0, y0);
      ctx.lineTo(x1, y1);
    }
    ctx.stroke();
  }
  if (drawn && drawn.length) dots(ctx, at, drawn.flat(), DRAWN, 3);
}

/** The discriminator's field (uint8 side x side, row by row from the top) under the samples. */
export function drawField(canvas, { field, kind, real, fake, extent }) {
  const ctx = clear(canvas);
  if (field && field.data) {
    const side = field.side;
    const cells = document.createElement("canvas");
    cells.width = side;
    cells.height = side;
    const cctx = cells.getContext("2d");
    const image = cctx.createImageData(side, side);
    const span = field.high - field.low;
    for (let i = 0; i < side * side; i += 1) {
      const value = field.low + (field.data[i] / 255) * span;
      const t = kind === "probability" ? 2 * value - 1 : span ? field.data[i] / 127.5 - 1 : 0;
      const [r, g, b] = colorOf(Math.max(-1, Math.min(1, t)));
      image.data.set([r, g, b, 255], i * 4);
    }
    cctx.putImageData(image, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(cells, 0, 0, canvas.width, canvas.height);
  }
  const at = toPixels(canvas, extent);
  if (real) dots(ctx, at, real, "rgba(40,40,40,0.35)", 1.2);
  if (fake) dots(ctx, at, fake, FAKE, 1.6);
}

/** The generator's manifold: a side x side noise grid's images joined as a warped mesh. */
export function drawManifold(canvas, { manifold, real, extent }) {
  const ctx = clear(canvas);
  axes(ctx, canvas, extent);
  const at = toPixels(canvas, extent);
  if (real) dots(ctx, at, real, REAL, 1.2);
  if (!manifold || !manifold.length) return;
  const side = Math.round(Math.sqrt(manifold.length / 2));
  const point = (i, j) => at(manifold[2 * (i * side + j)], manifold[2 * (i * side + j) + 1]);
  ctx.strokeStyle = "rgba(123, 50, 148, 0.8)";
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (let i = 0; i < side; i += 1) {
    for (let j = 0; j < side; j += 1) {
      const [x, y] = point(i, j);
      if (j === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    }
  }
  for (let j = 0; j < side; j += 1) {
    for (let i = 0; i < side; i += 1) {
      const [x, y] = point(i, j);
      if (i === 0) ctx.moveTo(x, y);
      else ctx.lineTo(x, y);
    }
  }
  ctx.stroke();
}
