// The sequence lab's live views, each a function of a frame: the token strip, the hidden state, the
// gates, the gradient through time and the attention maps.

import { NEGATIVE_CSS, POSITIVE_CSS } from "../core/palette.js";
import { figureCanvas, paintSigned, paintUnit } from "./heatmaps.js";

const symbolOf = (symbols, token) => (token >= 0 ? symbols[token] ?? "?" : "·");

function cell(text, className = "") {
  const span = document.createElement("span");
  span.className = `cell ${className}`;
  span.textContent = text;
  return span;
}

function row(label, cells) {
  const div = document.createElement("div");
  div.className = "row";
  const name = document.createElement("span");
  name.className = "row-label";
  name.textContent = label;
  div.append(name, ...cells);
  return div;
}

/** Input, target and prediction of the example, coloured by correctness where a step is scored. */
export function renderTokenStrip(root, example, { symbols, regression, readThenAnswer }) {
  const n = example.steps;
  const scored = (t) => example.weight[t] > 0;
  const fmt = (v) => (v === null ? "–" : v.toFixed(2));
  const input = [];
  const target = [];
  const predicted = [];
  for (let t = 0; t < n; t += 1) {
    if (regression) {
      input.push(cell(example.tokens[t] >= 0 ? symbolOf(symbols, example.tokens[t]) : "·"));
      const error = Math.abs((example.predicted_value[t] ?? 0) - (example.value[t] ?? 0));
      target.push(cell(scored(t) ? fmt(example.value[t]) : "", scored(t) ? "" : "unscored"));
      const verdict = error < 0.1 ? "right" : "wrong";
      predicted.push(cell(scored(t) ? fmt(example.predicted_value[t]) : "", scored(t) ? verdict : "unscored"));
    } else {
      const answerMarker = readThenAnswer && example.tokens[t] < 0 && scored(t);
      input.push(cell(answerMarker ? "?" : symbolOf(symbols, example.tokens[t])));
      target.push(cell(scored(t) ? symbolOf(symbols, example.target[t]) : "", scored(t) ? "" : "unscored"));
      const right = example.predicted[t] === example.target[t];
      const mark = scored(t) ? (right ? " ✓" : " ✗") : "";
      predicted.push(
        cell(scored(t) ? symbolOf(symbols, example.predicted[t]) + mark : "", scored(t) ? (right ? "right" : "wrong") : "unscored"),
      );
    }
  }
  root.replaceChildren(row("input", input), row("target", target), row("prediction", predicted));
  const wrong = root.querySelectorAll(".cell.wrong").length;
  root.setAttribute("aria-label", wrong ? `${wrong} scored steps wrong` : "every scored step right");
}

/** Units x time of the last layer's state. */
export function renderHidden(canvas, hidden) {
  const [units, steps] = hidden.shape;
  paintSigned(canvas, hidden, units, steps);
}

/** One heat map per gate (units x time), or a note where the model has none. */
export function renderGates(root, gates, model) {
  if (!gates || !gates.length) {
    const text = model === "transformer" ? "The Transformer has no gates: see its attention." : "The plain RNN has no gates: its state is tanh(x W + h U + b).";
    if (root.textContent !== text) {
      root.replaceChildren();
      const note = document.createElement("p");
      note.className = "note";
      note.textContent = text;
      root.append(note);
    }
    return;
  }
  root.querySelector(".note")?.remove();
  const names = new Set(gates.map((g) => g.name));
  for (const figure of root.querySelectorAll("figure")) if (!names.has(figure.dataset.key)) figure.remove();
  for (const gate of gates) {
    const [units, steps] = gate.shape;
    const canvas = figureCanvas(root, gate.name, gate.name === "cell" ? "cell state" : `${gate.name} gate`);
    if (gate.name === "cell") paintSigned(canvas, gate, units, steps);
    else paintSigned(canvas, { ...gate, low: Math.min(gate.low, 0), high: Math.max(gate.high, 0) }, units, steps);
  }
}

/** ‖∂L/∂h_t‖ as bars and ‖∂y/∂x_t‖ as a line, on a shared log axis. */
export function renderGradient(canvas, grads, connectivity) {
  const ctx = canvas.getContext("2d");
  const { width, height } = canvas;
  ctx.clearRect(0, 0, width, height);
  const all = [...grads, ...connectivity].filter((v) => v > 0);
  const hi = Math.log10(Math.max(...all, 1e-8));
  const lo = Math.min(hi - 1, Math.log10(Math.max(Math.min(...all, 1), 1e-12)));
  const y = (v) => height - 14 - ((Math.log10(Math.max(v, 10 ** lo)) - lo) / (hi - lo)) * (height - 24);
  const n = grads.length;
  const w = (width - 40) / Math.max(1, n);
  ctx.fillStyle = POSITIVE_CSS;
  grads.forEach((v, t) => ctx.fillRect(36 + t * w, y(v ?? 0), Math.max(1, w - 1), height - 14 - y(v ?? 0)));
  ctx.strokeStyle = NEGATIVE_CSS;
  ctx.lineWidth = 2;
  ctx.beginPath();
  connectivity.forEach((v, t) => (t ? ctx.lineTo(36 + (t + 0.5) * w, y(v ?? 0)) : ctx.moveTo(36 + 0.5 * w, y(v ?? 0))));
  ctx.stroke();
  ctx.fillStyle = "#5f6368";
  ctx.font = "11px system-ui, sans-serif";
  ctx.fillText(`1e${hi.toFixed(0)}`, 0, 12);
  ctx.fillText(`1e${lo.toFixed(0)}`, 0, height - 14);
  ctx.fillText("time →", width - 44, height - 2);
  canvas.setAttribute("aria-label", `gradient norm from ${grads[0]?.toExponential(1)} at the first step to ${grads[n - 1]?.toExponential(1)} at the last`);
}

/** Every layer's and head's attention (query rows x key columns), and the positional similarity. */
export function renderAttention(root, frame, { scores, heads }) {
  if (!frame.attention) {
    const text = "Attention maps belong to the Transformer: choose it as the model to see where each step looks.";
    if (root.textContent !== text) {
      root.replaceChildren();
      const note = document.createElement("p");
      note.className = "note";
      note.textContent = text;
      root.append(note);
    }
    return;
  }
  root.querySelector(".note")?.remove();
  const q = scores ? frame.scores : frame.attention;
  const [layers, h, steps] = q.shape;
  const keys = new Set();
  for (let l = 0; l < layers; l += 1) {
    for (let k = 0; k < h; k += 1) {
      const key = `l${l}h${k}`;
      keys.add(key);
      const canvas = figureCanvas(root, key, `layer ${l + 1}, head ${k + 1}`);
      const offset = (l * h + k) * steps * steps;
      if (scores) paintSigned(canvas, q, steps, steps, offset);
      else paintUnit(canvas, q, steps, steps, offset);
    }
  }
  if (frame.positional_similarity) {
    keys.add("pos");
    const pos = frame.positional_similarity;
    paintSigned(figureCanvas(root, "pos", "positional encodings' similarity"), pos, pos.shape[0], pos.shape[1]);
  }
  for (const figure of root.querySelectorAll("figure")) if (!keys.has(figure.dataset.key)) figure.remove();
  void heads;
}
