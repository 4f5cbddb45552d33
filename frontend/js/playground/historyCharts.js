// Charts over epochs for the insight panel: the learning rate the schedule gives, and the
// gradient norm of every layer (log scale: vanishing gradients show as lines far apart).
// Each keeps its own history from the frames; drawing is left to the render scheduler.

import { chartLayout, drawChart, sequentialColour } from "../core/plotting.js";

const MAX_POINTS = 1000; // per trace; older history is thinned, never dropped outright

/** Epochs and one series per trace; keeps every `stride`-th epoch once it grows long. */
function createHistory() {
  let epochs = [];
  let series = [];
  let stride = 1;
  let lastEpoch = -1;
  return {
    get epochs() {
      return epochs;
    },
    get series() {
      return series;
    },
    get width() {
      return series.length;
    },
    reset(width = 0) {
      epochs = [];
      series = Array.from({ length: width }, () => []);
      stride = 1;
      lastEpoch = -1;
    },
    /** Adds a frame's values; false when the frame adds nothing (same epoch, or thinned away). */
    push(epoch, values) {
      const lastKept = epochs.length ? epochs[epochs.length - 1] : -Infinity;
      if (epoch === lastEpoch) {
        // A frame for the same epoch (a setting or a weight changed while paused): newest wins.
        if (lastKept !== epoch || values.every((value, i) => series[i].at(-1) === value)) return false;
        values.forEach((value, i) => {
          series[i][series[i].length - 1] = value;
        });
        return true;
      }
      lastEpoch = epoch;
      if (epochs.length > 0 && epoch - lastKept < stride) return false;
      epochs.push(epoch);
      values.forEach((value, i) => series[i].push(value));
      if (epochs.length > MAX_POINTS) {
        const keep = (_, i) => i % 2 === 0;
        epochs = epochs.filter(keep);
        series = series.map((values) => values.filter(keep));
        stride *= 2;
      }
      return true;
    },
  };
}

// A frame from before the last one (a reset, a rollback, early stopping's return) starts over.
function startsOver(history, frame) {
  const epochs = history.epochs;
  return epochs.length > 0 && frame.epoch < epochs[epochs.length - 1];
}

/** The learning rate against epoch in `element`; returns {update(frame) -> changed, reset(), render()}. */
export function createLearningRateChart(element, whenLoaded) {
  const history = createHistory();
  history.reset(1);
  const layout = chartLayout({ xTitle: "epoch", yTitle: "learning rate" });
  layout.yaxis.exponentformat = "e";
  return {
    update(frame) {
      if (startsOver(history, frame)) history.reset(1);
      return frame.learningRate !== null && history.push(frame.epoch, [frame.learningRate]);
    },
    reset() {
      history.reset(1);
    },
    render() {
      const trace = {
        x: history.epochs.slice(),
        y: history.series[0].slice(),
        name: "learning rate",
        mode: "lines",
        line: { color: "#183d4e", width: 1.8, shape: "hv" },
      };
      return drawChart(element, [trace], layout, whenLoaded);
    },
  };
}

function layerName(index, count) {
  return index === count - 1 ? "output layer" : `hidden layer ${index + 1}`;
}

/**
 * The gradient norm of each layer (hidden layers, then the output) against epoch, log y, with an
 * HTML legend in `legend`. Returns {update(frame) -> changed, reset(), render()}.
 */
export function createGradientChart(element, legend, whenLoaded) {
  const history = createHistory();
  const layout = chartLayout({ xTitle: "epoch", yTitle: "‖∂loss/∂W‖", yType: "log", height: 200 });

  function renderLegend(count) {
    legend.replaceChildren(
      ...Array.from({ length: count }, (_, i) => {
        const item = document.createElement("span");
        item.className = "series-key";
        const swatch = document.createElement("span");
        swatch.className = "series-swatch";
        swatch.style.background = sequentialColour(i, count);
        swatch.setAttribute("aria-hidden", "true");
        item.append(swatch, layerName(i, count));
        return item;
      }),
    );
  }

  return {
    update(frame) {
      const norms = frame.gradNorms;
      if (norms.length === 0) return false;
      if (norms.length !== history.width || startsOver(history, frame)) {
        history.reset(norms.length);
        renderLegend(norms.length);
      }
      // A log axis cannot show 0 or a missing value: both leave a gap.
      return history.push(
        frame.epoch,
        norms.map((v) => (typeof v === "number" && v > 0 ? v : null)),
      );
    },
    reset() {
      history.reset(0);
      legend.replaceChildren();
    },
    render() {
      const count = history.width;
      const traces = history.series.map((values, i) => ({
        x: history.epochs.slice(),
        y: values.slice(),
        name: layerName(i, count),
        mode: "lines",
        line: { color: sequentialColour(i, count), width: 1.6 },
      }));
      return drawChart(element, traces, layout, whenLoaded);
    },
  };
}
