// Train and test loss against epoch, drawn with Plotly (global `Plotly`, served by
// the server at /vendor/plotly.min.js). Redraws are throttled: frames can arrive
// far faster than a chart is worth redrawing. Plotly is loaded only when the first
// point arrives: parsing it takes over a second on a slow machine, and the page's
// first frame should not wait for that.

import { loadPlotly } from "../core/plotting.js";

const REDRAW_INTERVAL_MS = 250; // at most 4 redraws a second
const MAX_REDRAW_INTERVAL_MS = 1000;
const CHART_SHARE_OF_TIME = 10;
const MAX_POINTS = 2000; // per trace; older history is thinned, never dropped outright

const LAYOUT = {
  margin: { l: 44, r: 8, t: 8, b: 36 },
  height: 170,
  showlegend: false, // an HTML legend next to the chart: cheaper than Plotly's on every redraw
  xaxis: {
    title: { text: "epoch", font: { size: 11 }, standoff: 4 },
    rangemode: "tozero",
    tickfont: { size: 10 },
  },
  yaxis: {
    title: { text: "loss", font: { size: 11 }, standoff: 4 },
    rangemode: "tozero",
    tickfont: { size: 10 },
  },
  paper_bgcolor: "rgba(0,0,0,0)",
  plot_bgcolor: "rgba(0,0,0,0)",
  font: { family: "system-ui, sans-serif", color: "#333" },
};

const CONFIG = { displayModeBar: false, responsive: true, staticPlot: false };

/**
 * Creates the loss chart inside `container`; returns {update(frame), reset()}.
 * New points are appended with Plotly.extendTraces at most every REDRAW_INTERVAL_MS;
 * a full redraw (Plotly.react) happens only on reset and when the history is thinned.
 */
export function createLossChart(container) {
  let epochs = [];
  let train = [];
  let test = [];
  let pending = { epochs: [], train: [], test: [] }; // kept, not yet drawn
  let stride = 1; // keep one point in `stride` once the history gets long
  let lastEpoch = -1;
  let timer = null;
  let needsFullRedraw = true;
  const placeholder = document.createElement("p");
  placeholder.className = "chart-placeholder";
  placeholder.textContent = "The loss chart appears once training starts.";
  container.append(placeholder);

  function thin() {
    const keep = (_, i) => i % 2 === 0;
    epochs = epochs.filter(keep);
    train = train.filter(keep);
    test = test.filter(keep);
    stride *= 2;
    needsFullRedraw = true;
  }

  function fullRedraw() {
    const traces = [
      {
        x: epochs.slice(),
        y: train.slice(),
        name: "train loss",
        mode: "lines",
        line: { color: "#8c8c8c", width: 1.5, dash: "dot" },
      },
      {
        x: epochs.slice(),
        y: test.slice(),
        name: "test loss",
        mode: "lines",
        line: { color: "#1a1a1a", width: 1.8 },
      },
    ];
    window.Plotly.react(container, traces, LAYOUT, CONFIG);
  }

  // Plotly redraws the whole chart on every call (tens of ms on a slow machine): space the
  // redraws so that the chart takes at most ~1/CHART_SHARE_OF_TIME of the page's time.
  let intervalMs = REDRAW_INTERVAL_MS;
  function timed(draw) {
    const started = performance.now();
    draw();
    const cost = performance.now() - started;
    intervalMs = Math.min(MAX_REDRAW_INTERVAL_MS, Math.max(REDRAW_INTERVAL_MS, cost * CHART_SHARE_OF_TIME));
  }

  function render() {
    timer = null;
    if (!window.Plotly) {
      loadPlotly().then(scheduleRender, (error) => console.warn("nnplay: no loss chart", error));
      return; // everything not drawn yet stays pending
    }
    if (needsFullRedraw) {
      needsFullRedraw = false;
      placeholder.remove();
      timed(fullRedraw);
    } else if (pending.epochs.length > 0) {
      const { epochs: x, train: y0, test: y1 } = pending;
      timed(() => window.Plotly.extendTraces(container, { x: [x, x.slice()], y: [y0, y1] }, [0, 1]));
    }
    pending = { epochs: [], train: [], test: [] };
  }

  function scheduleRender() {
    if (timer === null) timer = setTimeout(render, intervalMs);
  }

  function reset() {
    epochs = [];
    train = [];
    test = [];
    pending = { epochs: [], train: [], test: [] };
    stride = 1;
    lastEpoch = -1;
    needsFullRedraw = true;
    scheduleRender();
  }

  function update(frame) {
    if (frame.epoch < lastEpoch) reset(); // a reset or a rebuilt network restarts the history
    if (frame.epoch === lastEpoch) return;
    lastEpoch = frame.epoch;
    const lastKept = epochs.length ? epochs[epochs.length - 1] : -Infinity;
    if (frame.epoch - lastKept < stride && epochs.length > 0) return;
    epochs.push(frame.epoch);
    train.push(frame.trainLoss); // null leaves a gap, which is what a diverged value should look like
    test.push(frame.testLoss);
    pending.epochs.push(frame.epoch);
    pending.train.push(frame.trainLoss);
    pending.test.push(frame.testLoss);
    if (epochs.length > MAX_POINTS) thin();
    scheduleRender();
  }

  return { update, reset };
}
