// Whole-sequence accuracy (solid) and per-token accuracy (dashed) by step, test loss dotted on the
// right axis; for regression tasks the test MSE alone (log axis). Redraws at most once per frame.

import { NEGATIVE_CSS, POSITIVE_CSS } from "../core/palette.js";

const PAD = { left: 36, right: 70, top: 8, bottom: 20 };
const MAX_POINTS = 2000;

/** createAccuracyChart(canvas) -> {add(frame), reset()} */
export function createAccuracyChart(canvas) {
  let points = [];
  let pending = false;

  function add(frame) {
    const step = frame.epoch;
    if (points.length && step < points[points.length - 1].step) points = [];
    if (points.length && step === points[points.length - 1].step) points.pop();
    points.push({ step, sequence: frame.test.sequence_accuracy, token: frame.test.token_accuracy, loss: frame.test.loss, mse: frame.test.mse });
    if (points.length > MAX_POINTS) points = points.filter((_, i) => i % 2 === 0);
    if (!pending) {
      pending = true;
      requestAnimationFrame(draw);
    }
  }

  function reset() {
    points = [];
    draw();
  }

  function draw() {
    pending = false;
    const ctx = canvas.getContext("2d");
    const { width, height } = canvas;
    ctx.clearRect(0, 0, width, height);
    const w = width - PAD.left - PAD.right;
    const h = height - PAD.top - PAD.bottom;
    const last = points.length ? points[points.length - 1].step : 1;
    const regression = points.length > 0 && points[points.length - 1].sequence === null;
    const x = (s) => PAD.left + (w * s) / Math.max(1, last);
    const yAcc = (a) => PAD.top + h * (1 - a);
    const losses = points.map((p) => (regression ? p.mse : p.loss)).filter((v) => v > 0);
    const maxLoss = Math.max(1e-3, ...losses);
    const minLoss = regression ? Math.max(1e-4, Math.min(maxLoss / 10, ...losses)) : 0;
    const yLoss = regression
      ? (l) => PAD.top + h * (1 - (Math.log10(Math.max(l, minLoss)) - Math.log10(minLoss)) / (Math.log10(maxLoss) - Math.log10(minLoss) || 1))
      : (l) => PAD.top + h * (1 - l / maxLoss);
    ctx.strokeStyle = "#dadce0";
    ctx.fillStyle = "#5f6368";
    ctx.font = "11px system-ui, sans-serif";
    ctx.lineWidth = 1;
    ctx.setLineDash([]);
    if (!regression) {
      for (const a of [0, 0.5, 0.99]) {
        ctx.beginPath();
        ctx.moveTo(PAD.left, yAcc(a));
        ctx.lineTo(PAD.left + w, yAcc(a));
        ctx.stroke();
        ctx.fillText(`${Math.round(a * 100)}%`, 2, yAcc(a) + 4);
      }
    }
    ctx.fillText(regression ? `MSE ${maxLoss.toPrecision(2)}` : `loss ${maxLoss.toFixed(2)}`, PAD.left + w + 2, PAD.top + 8);
    if (regression) ctx.fillText(`${minLoss.toPrecision(2)}`, PAD.left + w + 2, PAD.top + h);
    ctx.fillText(`step ${last}`, PAD.left + w - 50, height - 4);
    const line = (key, y, color, dash) => {
      const shown = points.filter((p) => p[key] !== null && p[key] !== undefined);
      ctx.strokeStyle = color;
      ctx.lineWidth = 2;
      ctx.setLineDash(dash);
      ctx.beginPath();
      shown.forEach((p, i) => (i ? ctx.lineTo(x(p.step), y(p[key])) : ctx.moveTo(x(p.step), y(p[key]))));
      ctx.stroke();
    };
    if (regression) line("mse", yLoss, NEGATIVE_CSS, []);
    else {
      line("token", yAcc, POSITIVE_CSS, [5, 4]);
      line("sequence", yAcc, POSITIVE_CSS, []);
      line("loss", yLoss, NEGATIVE_CSS, [2, 3]);
    }
    const p = points[points.length - 1];
    canvas.setAttribute(
      "aria-label",
      !p ? "no training yet" : regression ? `step ${p.step}: test MSE ${p.mse}` : `step ${p.step}: whole-sequence accuracy ${(100 * p.sequence).toFixed(1)}%`,
    );
  }

  return { add, reset };
}
