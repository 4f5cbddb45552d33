// Accuracy and loss by epoch on one canvas: test accuracy solid, train accuracy dashed (left axis,
// 0-100%), test loss dotted (right axis, 0 to its largest value). Redraws at most once per frame.

import { NEGATIVE_CSS, POSITIVE_CSS } from "../core/palette.js";
import { epochsTrainedText } from "./pictures.js";

const PAD = { left: 36, right: 64, top: 8, bottom: 20 };

/** createHistoryChart(canvas) -> {add(frame), reset()} */
export function createHistoryChart(canvas) {
  let points = [];
  let pending = false;

  function add(frame) {
    if (frame.test_accuracy === null) return;
    const epoch = frame.progress;
    if (points.length && epoch < points[points.length - 1].epoch) points = [];
    if (points.length && epoch === points[points.length - 1].epoch) points.pop();
    points.push({ epoch, test: frame.test_accuracy, train: frame.train_accuracy, loss: frame.test_loss });
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
    const last = points.length ? points[points.length - 1].epoch : 1;
    const maxLoss = Math.max(0.1, ...points.map((p) => p.loss || 0));
    const x = (epoch) => PAD.left + (w * epoch) / Math.max(1, last);
    const yAcc = (a) => PAD.top + h * (1 - a);
    const yLoss = (l) => PAD.top + h * (1 - l / maxLoss);
    ctx.strokeStyle = "#dadce0";
    ctx.fillStyle = "#5f6368";
    ctx.font = "11px system-ui, sans-serif";
    ctx.lineWidth = 1;
    ctx.setLineDash([]);
    for (const a of [0, 0.5, 0.9, 1]) {
      ctx.beginPath();
      ctx.moveTo(PAD.left, yAcc(a));
      ctx.lineTo(PAD.left + w, yAcc(a));
      ctx.stroke();
      ctx.fillText(`${a * 100}%`, 2, yAcc(a) + 4);
    }
    ctx.fillText(`loss ${maxLoss.toFixed(2)}`, PAD.left + w + 2, PAD.top + 8);
    const epochsText = epochsTrainedText(points.length ? last : 0);
    ctx.textAlign = "right";
    ctx.fillText(epochsText, PAD.left + w, height - 4);
    ctx.textAlign = "left";
    const line = (key, y, color, dash) => {
      ctx.strokeStyle = color;
      ctx.lineWidth = 2;
      ctx.setLineDash(dash);
      ctx.beginPath();
      points.forEach((p, i) => (i ? ctx.lineTo(x(p.epoch), y(p[key])) : ctx.moveTo(x(p.epoch), y(p[key]))));
      ctx.stroke();
    };
    line("train", yAcc, POSITIVE_CSS, [5, 4]);
    line("test", yAcc, POSITIVE_CSS, []);
    line("loss", yLoss, NEGATIVE_CSS, [2, 3]);
    canvas.setAttribute(
      "aria-label",
      points.length
        ? `after ${epochsText}: test accuracy ${(100 * points[points.length - 1].test).toFixed(1)}%`
        : "no training yet",
    );
  }

  return { add, reset };
}
