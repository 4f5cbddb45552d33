// Train and test loss against epoch, drawn with Plotly (global `Plotly`, served by
// the server at /vendor/plotly.min.js). Redraws are throttled: frames can arrive
// far faster than a chart is worth redrawing.

const REDRAW_INTERVAL_MS = 250;
const MAX_POINTS = 2000; // per trace; older history is thinned, never dropped outright

const LAYOUT = {
  margin: { l: 44, r: 8, t: 8, b: 36 },
  height: 170,
  showlegend: true,
  legend: { orientation: "h", x: 1, xanchor: "right", y: 1.02, yanchor: "bottom", font: { size: 11 } },
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

/** Creates the loss chart inside `container`; returns {update(frame), reset()}. */
export function createLossChart(container) {
  let epochs = [];
  let train = [];
  let test = [];
  let stride = 1; // keep one point in `stride` once the history gets long
  let lastEpoch = -1;
  let timer = null;
  let revision = 0;

  function thin() {
    const keep = (_, i) => i % 2 === 0;
    epochs = epochs.filter(keep);
    train = train.filter(keep);
    test = test.filter(keep);
    stride *= 2;
  }

  function render() {
    timer = null;
    revision += 1;
    const traces = [
      {
        x: epochs,
        y: train,
        name: "train loss",
        mode: "lines",
        line: { color: "#8c8c8c", width: 1.5, dash: "dot" },
      },
      { x: epochs, y: test, name: "test loss", mode: "lines", line: { color: "#1a1a1a", width: 1.8 } },
    ];
    window.Plotly.react(container, traces, { ...LAYOUT, datarevision: revision }, CONFIG);
  }

  function scheduleRender() {
    if (timer === null) timer = setTimeout(render, REDRAW_INTERVAL_MS);
  }

  function reset() {
    epochs = [];
    train = [];
    test = [];
    stride = 1;
    lastEpoch = -1;
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
    if (epochs.length > MAX_POINTS) thin();
    scheduleRender();
  }

  render();
  return { update, reset };
}
