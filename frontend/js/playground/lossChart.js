// Train and test loss against epoch, drawn on a canvas at every animation frame that brings a
// new point (a few thousand line segments cost well under a millisecond), so the chart ends
// where the epoch counter is, however fast training goes. The history is bounded
// (lossHistory.js); the epoch axis can be logarithmic, which shows the fast early fall and the
// slow tail of a long run together. Nothing is drawn before the first trained epoch.

import { drawOnNextFrame } from "../core/renderScheduler.js";
import { createLossHistory } from "./lossHistory.js";

const TRAIN_COLOUR = "#8c8c8c";
const TEST_COLOUR = "#1a1a1a";
const AXIS_COLOUR = "#6b6b6b";
const GRID_COLOUR = "#e6e6e6";
const MARGIN = { right: 10, top: 8 }; // left and bottom follow the labels' size
const LABEL_SCALE = 0.8; // tick labels' size relative to the chart's own font size (11 px at 14 px)

/** Round tick values covering [lo, hi]: about `count` of them at 1, 2 or 5 times a power of ten. */
export function niceTicks(lo, hi, count = 4) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) || raw;
  const ticks = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function formatTick(value) {
  if (value === 0) return "0";
  if (Math.abs(value) >= 10000) return `${Number((value / 1000).toPrecision(3))}k`;
  return String(Number(value.toPrecision(3)));
}

/**
 * Creates the chart inside `container`; returns {update(frame), reset(), setLogX(on)}.
 * For tests and screen readers the container carries data-points (points drawn), data-last-epoch
 * (the last point's epoch) and an aria-label naming the latest losses.
 */
export function createLossChart(container) {
  const history = createLossHistory();
  let logX = false;
  let lastEpoch = -1;
  const placeholder = document.createElement("p");
  placeholder.className = "chart-placeholder";
  placeholder.dataset.testid = "loss-chart-placeholder";
  placeholder.textContent = "The loss chart starts with the first trained epoch.";
  const canvas = document.createElement("canvas");
  canvas.className = "loss-canvas";
  canvas.setAttribute("aria-hidden", "true");
  canvas.hidden = true;
  container.append(placeholder, canvas);
  const requestDraw = drawOnNextFrame(draw);
  new ResizeObserver(requestDraw).observe(container);

  function draw() {
    const { epochs, train, test } = history.points();
    const shown = epochs.length > 0 && epochs[epochs.length - 1] > 0;
    canvas.hidden = !shown;
    placeholder.hidden = shown;
    container.dataset.points = String(shown ? epochs.length : 0);
    container.dataset.lastEpoch = shown ? String(epochs[epochs.length - 1]) : "";
    if (!shown) return;
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(120, container.clientWidth);
    const height = Math.max(60, container.clientHeight);
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
      canvas.style.width = `${width}px`;
      canvas.style.height = `${height}px`;
    }
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);

    let yMax = 0;
    for (const series of [train, test]) {
      for (const v of series) if (typeof v === "number" && Number.isFinite(v) && v > yMax) yMax = v;
    }
    const yTicks = niceTicks(0, yMax > 0 ? yMax : 1);
    // Labels as large as the page's type around the chart (presenter mode's too), and margins that
    // fit the widest of them: "0.00015" is never cut to "00015".
    const fontPx = Math.round(parseFloat(getComputedStyle(container).fontSize || "14") * LABEL_SCALE);
    ctx.font = `${fontPx}px system-ui, sans-serif`;
    const left = Math.ceil(Math.max(...yTicks.map((t) => ctx.measureText(formatTick(t)).width))) + 8;
    const margin = { ...MARGIN, left, bottom: Math.round(fontPx * 2.7) };
    const plotW = width - margin.left - margin.right;
    const plotH = height - margin.top - margin.bottom;
    const xOf = logX ? (e) => Math.log10(Math.max(1, e)) : (e) => e;
    const xMin = 0;
    const xMax = Math.max(xOf(epochs[epochs.length - 1]), 1);
    const yTop = Math.max(yTicks[yTicks.length - 1], yMax) || 1;
    const px = (e) => margin.left + ((xOf(e) - xMin) / (xMax - xMin)) * plotW;
    const py = (v) => margin.top + plotH - (v / yTop) * plotH;

    // Axes, grid and ticks.
    ctx.fillStyle = AXIS_COLOUR;
    ctx.strokeStyle = GRID_COLOUR;
    ctx.lineWidth = 1;
    ctx.textAlign = "right";
    ctx.textBaseline = "middle";
    for (const t of yTicks) {
      const y = Math.round(py(t)) + 0.5;
      ctx.beginPath();
      ctx.moveTo(margin.left, y);
      ctx.lineTo(width - margin.right, y);
      ctx.stroke();
      ctx.fillText(formatTick(t), margin.left - 4, y);
    }
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    const xTicks = logX
      ? Array.from({ length: Math.floor(xMax) + 1 }, (_, k) => 10 ** k)
      : niceTicks(0, xMax, Math.max(2, Math.floor(plotW / (fontPx * 6))));
    for (const t of xTicks) {
      const x = px(t);
      if (x < margin.left - 1 || x > width - margin.right + 1) continue;
      // A label at either end is kept inside the canvas.
      const half = ctx.measureText(formatTick(t)).width / 2;
      ctx.fillText(formatTick(t), Math.min(Math.max(x, half), width - half), margin.top + plotH + 3);
    }
    ctx.textAlign = "right";
    ctx.fillText(logX ? "epoch (log)" : "epoch", width - margin.right, margin.top + plotH + 3 + fontPx * 1.2);

    // Lines: test solid and dark, train dotted and grey; a non-finite loss leaves a gap.
    const line = (values, colour, dash, lineWidth) => {
      ctx.strokeStyle = colour;
      ctx.lineWidth = lineWidth;
      ctx.setLineDash(dash);
      ctx.beginPath();
      let drawing = false;
      for (let i = 0; i < epochs.length; i += 1) {
        const v = values[i];
        if (typeof v !== "number" || !Number.isFinite(v) || (logX && epochs[i] < 1)) {
          drawing = false;
          continue;
        }
        const x = px(epochs[i]);
        const y = py(v);
        if (drawing) ctx.lineTo(x, y);
        else ctx.moveTo(x, y);
        drawing = true;
      }
      ctx.stroke();
      ctx.setLineDash([]);
    };
    line(train, TRAIN_COLOUR, [3, 3], 1.5);
    line(test, TEST_COLOUR, [], 1.8);
    const last = epochs.length - 1;
    container.setAttribute(
      "aria-label",
      `Loss by epoch, ${epochs[0]} to ${epochs[last]}: now test ${formatLoss(test[last])}, ` +
        `training ${formatLoss(train[last])}`,
    );
  }

  function reset() {
    history.reset();
    lastEpoch = -1;
    requestDraw();
  }

  return {
    update(frame) {
      // A reset or a fresh run restarts the history; a rollback goes back to its epoch.
      if (frame.epoch < lastEpoch) {
        if (frame.epoch === 0) history.reset();
        else history.truncate(frame.epoch);
      }
      if (frame.epoch === lastEpoch) return;
      lastEpoch = frame.epoch;
      history.add(frame.epoch, frame.trainLoss, frame.testLoss);
      requestDraw();
    },
    reset,
    setLogX(on) {
      if (logX === Boolean(on)) return;
      logX = Boolean(on);
      container.dataset.logX = String(logX);
      requestDraw();
    },
  };
}

function formatLoss(value) {
  return typeof value === "number" && Number.isFinite(value) ? value.toFixed(3) : "none";
}
