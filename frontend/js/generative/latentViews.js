// The autoencoders' views: the latent scatter (test codes by class, clicks, a drawn digit's point), the
// decoded grid of the latent plane, decoded digits and strips of digits.

import { paint, pictureCanvas } from "../images/pictures.js";
import { toPixels } from "./planeViews.js";

// Ten digit classes need ten colours (the shared palette has eight): Tableau 10, each with its digit in
// the legend, so no colour has to be told apart alone.
const DIGIT_COLOURS = [
  "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#7f7f7f",
];
const classCss = (k) => DIGIT_COLOURS[k % DIGIT_COLOURS.length];

/** The test digits' codes coloured by class, the clicked points and a drawn digit's point. */
export function drawLatentScatter(canvas, { latents, labels, extent, clicks = [], drawn = null }) {
  const ctx = canvas.getContext("2d");
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  const at = toPixels(canvas, extent);
  ctx.strokeStyle = "rgba(0,0,0,0.12)";
  ctx.beginPath();
  const [x0, y0] = at(0, 0);
  ctx.moveTo(x0, 0);
  ctx.lineTo(x0, canvas.height);
  ctx.moveTo(0, y0);
  ctx.lineTo(canvas.width, y0);
  ctx.stroke();
  if (latents) {
    for (let i = 0; i < labels.length; i += 1) {
      const [px, py] = at(latents[2 * i], latents[2 * i + 1]);
      ctx.fillStyle = classCss(labels[i]);
      ctx.beginPath();
      ctx.arc(px, py, 2.6, 0, 2 * Math.PI);
      ctx.fill();
    }
  }
  if (clicks.length === 2) {
    const [a, b] = clicks.map(([x, y]) => at(x, y));
    ctx.strokeStyle = "#222";
    ctx.setLineDash([4, 3]);
    ctx.beginPath();
    ctx.moveTo(...a);
    ctx.lineTo(...b);
    ctx.stroke();
    ctx.setLineDash([]);
  }
  for (const [x, y] of clicks) marker(ctx, at(x, y), "#222");
  if (drawn) marker(ctx, at(drawn[0], drawn[1]), "#d01c8b");
}

function marker(ctx, [px, py], colour) {
  ctx.strokeStyle = colour;
  ctx.lineWidth = 2.5;
  ctx.beginPath();
  ctx.moveTo(px - 7, py - 7);
  ctx.lineTo(px + 7, py + 7);
  ctx.moveTo(px + 7, py - 7);
  ctx.lineTo(px - 7, py + 7);
  ctx.stroke();
  ctx.lineWidth = 1;
}

export function renderLegend(root) {
  root.replaceChildren(
    ...Array.from({ length: 10 }, (_, k) => {
      const item = document.createElement("span");
      item.style.setProperty("--swatch", classCss(k));
      item.textContent = String(k);
      return item;
    }),
  );
}

/** The side x side decoded digits (64 bytes each, row by row from the top) tiled on one canvas. */
export function drawLatentGrid(canvas, bytes, side) {
  const tile = document.createElement("canvas");
  tile.width = 8;
  tile.height = 8;
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingEnabled = false;
  const cell = canvas.width / side;
  for (let r = 0; r < side; r += 1) {
    for (let c = 0; c < side; c += 1) {
      paint(tile, bytes, (r * side + c) * 64);
      ctx.drawImage(tile, c * cell, r * cell, cell - 1, cell - 1);
    }
  }
}

/** One decoded digit (64 values 0..255) onto a canvas. */
export function drawDigit(canvas, values) {
  const tile = document.createElement("canvas");
  tile.width = 8;
  tile.height = 8;
  paint(tile, values, 0);
  const ctx = canvas.getContext("2d");
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(tile, 0, 0, canvas.width, canvas.height);
}

/** A strip of digits (64 bytes each). */
export function renderStrip(root, images, label) {
  root.replaceChildren(
    ...images.map((image, i) => pictureCanvas(image, 0, 8, 8, 4, undefined, `${label} ${i + 1}`)),
  );
}
