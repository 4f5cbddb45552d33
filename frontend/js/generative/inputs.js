// The generative lab's inputs: the run buttons, clicks and keys on the latent plane, own points drawn on
// the samples plane or uploaded, and the read-only mode of a watcher.

import { float32, uploadPoints } from "./api.js";
import { drawSamples, toPlane } from "./planeViews.js";

const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);

function showError(text) {
  byTestId("error").textContent = text;
}

/** Watching someone's run (?watch=<id>): every frame arrives; the controls that would change it are off. */
export function watchOnly() {
  document.body.classList.add("watching");
  byTestId("watch-banner").hidden = false;
  const inert = document.querySelectorAll(".toolbar button, .controls-panel input, .controls-panel select, .controls-panel button");
  for (const control of inert) control.disabled = true;
  new MutationObserver(() => {
    for (const control of document.querySelectorAll(".controls-panel input, .controls-panel select")) control.disabled = true;
  }).observe(byTestId("settings"), { childList: true });
}

export function wireButtons(send, lab, resetCharts) {
  byTestId("play").addEventListener("click", () => {
    showError("");
    send({ type: lab.state === "training" ? "pause" : "start" });
  });
  byTestId("step").addEventListener("click", () => send({ type: "step", units: 1 }));
  byTestId("reset").addEventListener("click", () => {
    resetCharts();
    send({ type: "reset" });
  });
  byTestId("step-discriminator").addEventListener("click", () => send({ type: "half_step", phase: "discriminator" }));
  byTestId("step-generator").addEventListener("click", () => send({ type: "half_step", phase: "generator" }));
}

/** Clicks on the latent plane decode; a shift-click adds a second point (an interpolation). Keyboard:
 * arrows move a cursor, Enter decodes it. */
export function wireLatentPlane(canvas, lab, view, changed) {
  let cursor = [0, 0];
  canvas.addEventListener("click", (event) => {
    const point = toPlane(canvas, lab.extent, event.offsetX, event.offsetY);
    view.clicks = event.shiftKey && view.clicks.length ? [view.clicks[0], point] : [point];
    changed();
  });
  canvas.addEventListener("keydown", (event) => {
    const moves = { ArrowLeft: [-0.25, 0], ArrowRight: [0.25, 0], ArrowUp: [0, 0.25], ArrowDown: [0, -0.25] };
    if (moves[event.key]) {
      event.preventDefault();
      cursor = [cursor[0] + moves[event.key][0], cursor[1] + moves[event.key][1]];
      view.clicks = [cursor];
      changed();
    } else if (event.key === "Enter") {
      view.clicks = [cursor];
      changed();
    }
  });
}

/** Own points: drawn on the samples plane (while "draw points" is ticked) or uploaded as CSV. */
export function wireOwnPoints(id, send, lab, view) {
  const canvas = byTestId("gan-samples");
  const toggle = byTestId("draw-points");
  const count = () => {
    byTestId("drawn-count").textContent = `${view.drawnPoints.length} points drawn`;
    if (view.frame?.model === "gan") {
      drawSamples(canvas, { real: view.real, fake: float32(view.frame.samples), drawn: view.drawnPoints, extent: lab.extent });
    }
  };
  let dragging = false;
  const add = (event, spacing = 0) => {
    if (!toggle.checked) return;
    const [x, y] = toPlane(canvas, lab.extent, event.offsetX, event.offsetY);
    const last = view.drawnPoints[view.drawnPoints.length - 1];
    if (last && Math.hypot(last[0] - x, last[1] - y) < spacing) return; // a drag: a point every so far
    view.drawnPoints.push([Number(x.toFixed(3)), Number(y.toFixed(3))]);
    count();
  };
  canvas.addEventListener("pointerdown", (event) => {
    dragging = true;
    add(event);
  });
  canvas.addEventListener("pointermove", (event) => {
    if (dragging) add(event, 0.04 * lab.extent);
  });
  window.addEventListener("pointerup", () => (dragging = false));
  byTestId("use-points").addEventListener("click", () => {
    showError("");
    send({ type: "set_points", points: view.drawnPoints });
  });
  byTestId("clear-points").addEventListener("click", () => {
    view.drawnPoints = [];
    count();
  });
  byTestId("upload-points").addEventListener("change", async (event) => {
    const file = event.target.files[0];
    if (!file) return;
    try {
      showError("");
      const result = await uploadPoints(id, await file.text());
      byTestId("drawn-count").textContent = `${result.points} points uploaded`;
    } catch (error) {
      showError(`the CSV was not used: ${error.message}`);
    }
    event.target.value = "";
  });
}
