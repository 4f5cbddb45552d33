// Side by side: RNN, GRU and LSTM on the current task, trained at once on identical batches in ONE run of
// the lab (its config's `compare`: the server trains the three cells in one call per tick); their
// whole-sequence accuracy (or MSE) curves on one chart and their hidden states next to each other.

import { NEGATIVE_CSS, POSITIVE_CSS } from "../core/palette.js";
import { createStream } from "../core/stream.js";
import { createSequenceSession, sequenceSocketUrl } from "./api.js";
import { renderHidden } from "./views.js";

const MODELS = ["rnn", "gru", "lstm"];
const COLOURS = { rnn: NEGATIVE_CSS, gru: "#009e73", lstm: POSITIVE_CSS };

/** createSideBySide(root, {schema, currentConfig, showError}): a start button, a chart, three states. */
export function createSideBySide(root, { schema, currentConfig, showError }) {
  let stream = null;
  const runs = {};
  const button = document.createElement("button");
  button.type = "button";
  button.dataset.testid = "side-by-side-start";
  button.textContent = "Train RNN · GRU · LSTM side by side";
  const hint = document.createElement("p");
  hint.className = "hint";
  hint.textContent = "One run of the current task and seed: the three cells see the same sequences, step by step, trained together in one call.";
  const chart = document.createElement("canvas");
  chart.width = 480;
  chart.height = 140;
  chart.dataset.testid = "side-by-side-chart";
  chart.setAttribute("role", "img");
  chart.setAttribute("aria-label", "RNN, GRU and LSTM by step");
  const states = document.createElement("div");
  states.className = "side-states";
  root.append(button, hint, chart, states);

  function member(model) {
    const figure = document.createElement("figure");
    const canvas = document.createElement("canvas");
    canvas.className = "heat";
    canvas.dataset.testid = `side-by-side-${model}`;
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", `${model} hidden state`);
    const caption = document.createElement("figcaption");
    caption.dataset.testid = `side-by-side-${model}-caption`;
    caption.textContent = model.toUpperCase();
    figure.append(canvas, caption);
    states.append(figure);
    return { points: [], caption, canvas };
  }

  function show(message, regression) {
    for (const m of message.members || []) {
      const run = runs[m.model];
      if (!run) continue;
      const figure = regression ? m.test.mse : m.test.sequence_accuracy;
      run.points.push({ step: message.epoch, value: figure });
      const shown = regression ? `MSE ${figure?.toFixed(4)}` : `${(100 * figure).toFixed(1)}%`;
      run.caption.textContent = `${m.model.toUpperCase()} · step ${message.epoch} · ${shown}`;
      renderHidden(run.canvas, m.hidden);
    }
    draw(chart, runs, regression);
  }

  button.addEventListener("click", async () => {
    button.disabled = true;
    const config = { ...currentConfig(), model: MODELS[0], compare: MODELS.slice(1) };
    const regression = schema.tasks[config.task].regression;
    if (stream) stream.close();
    states.replaceChildren();
    for (const key of Object.keys(runs)) delete runs[key];
    for (const model of MODELS) runs[model] = member(model);
    try {
      const id = await createSequenceSession(config);
      stream = createStream({
        url: sequenceSocketUrl(id),
        onMessage: (message) => {
          if (message.type === "hello") stream.send({ type: "start" });
          if (message.type === "frame") show(message, regression);
        },
        onConnection: () => {},
        onFatalClose: () => {},
      });
    } catch (error) {
      showError(`could not start the side-by-side run: ${error.message}`);
    }
    button.disabled = false;
  });
}

function draw(canvas, runs, regression) {
  const ctx = canvas.getContext("2d");
  const { width, height } = canvas;
  ctx.clearRect(0, 0, width, height);
  const all = Object.values(runs).flatMap((r) => r.points);
  const last = Math.max(1, ...all.map((p) => p.step));
  const values = all.map((p) => p.value).filter((v) => v > 0);
  const hi = regression ? Math.log10(Math.max(...values, 1e-3)) : 1;
  const lo = regression ? Math.min(hi - 1, Math.log10(Math.max(Math.min(...values, 1), 1e-5))) : 0;
  const y = (v) => 8 + (height - 28) * (1 - ((regression ? Math.log10(Math.max(v, 1e-9)) : v) - lo) / (hi - lo || 1));
  const x = (s) => 30 + ((width - 40) * s) / last;
  ctx.font = "11px system-ui, sans-serif";
  ctx.fillStyle = "#5f6368";
  ctx.fillText(regression ? `MSE 1e${hi.toFixed(0)}` : "100%", 0, 12);
  ctx.fillText(regression ? `1e${lo.toFixed(0)}` : "0%", 0, height - 20);
  ctx.fillText(`step ${last}`, width - 60, height - 4);
  let legend = 30;
  for (const [model, run] of Object.entries(runs)) {
    ctx.strokeStyle = COLOURS[model];
    ctx.lineWidth = 2;
    ctx.setLineDash(model === "gru" ? [5, 3] : model === "rnn" ? [2, 2] : []);
    ctx.beginPath();
    run.points.filter((p) => p.value !== null).forEach((p, i) => (i ? ctx.lineTo(x(p.step), y(p.value)) : ctx.moveTo(x(p.step), y(p.value))));
    ctx.stroke();
    ctx.fillStyle = COLOURS[model];
    ctx.fillText(model.toUpperCase(), legend, height - 4);
    legend += 44;
  }
  ctx.setLineDash([]);
}
