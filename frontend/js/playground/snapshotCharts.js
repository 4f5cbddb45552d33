// Charts of the latest frame for the insight panel: the test set's ROC curve, and the
// histograms of one layer's weights and of its neurons' outputs over the training points.

import { chartLayout, drawChart } from "../core/plotting.js";
import { NEGATIVE_CSS, POSITIVE_CSS } from "../core/palette.js";

const ACTIVATION_COLOUR = "#5f7f8c";

/** "0.923", or "—" when there is no number. */
export function formatMetric(value) {
  return typeof value === "number" && Number.isFinite(value) ? value.toFixed(3) : "—";
}

/** The ROC curve of the test set in `element`; returns {update(testMetrics), render()}. */
export function createRocChart(element, whenLoaded) {
  let metrics = null;
  const layout = chartLayout({
    xTitle: "false positive rate",
    yTitle: "true positive rate",
    xRange: [0, 1],
    yRange: [0, 1.02],
    height: 220,
    top: 30,
  });
  layout.title = { text: "", font: { size: 12 }, x: 0.02, xanchor: "left", y: 0.97 };
  const chance = {
    x: [0, 1],
    y: [0, 1],
    name: "chance",
    mode: "lines",
    hoverinfo: "skip",
    line: { color: "#9aa0a6", width: 1, dash: "dash" },
  };
  return {
    update(testMetrics) {
      metrics = testMetrics;
    },
    render() {
      const auc = formatMetric(metrics?.roc_auc);
      layout.title.text = `ROC curve (test) · AUC ${auc}`;
      element.setAttribute(
        "aria-label",
        `ROC curve of the test set: true against false positive rate; area under the curve ${auc}`,
      );
      const curve = {
        x: (metrics?.roc_fpr || []).slice(),
        y: (metrics?.roc_tpr || []).slice(),
        name: "ROC (test)",
        mode: "lines",
        line: { color: POSITIVE_CSS, width: 2 },
      };
      return drawChart(element, [chance, curve], layout, whenLoaded);
    },
  };
}

function bars(hist, colourOf) {
  if (!hist || !Array.isArray(hist.counts) || hist.counts.length === 0) return null;
  const width = (hist.hi - hist.lo) / hist.counts.length;
  const centres = hist.counts.map((_, i) => hist.lo + (i + 0.5) * width);
  return {
    type: "bar",
    x: centres,
    y: hist.counts.slice(),
    width: width * 0.92,
    marker: { color: centres.map(colourOf) },
    hovertemplate: "%{x:.3g}: %{y}<extra></extra>",
  };
}

/**
 * Histograms of layer `layer()`'s weights (colour by sign, as the network's links) and of its
 * activations. Returns {update(frame), weightView: {render()}, activationView: {render()}}.
 */
export function createHistogramCharts(weightElement, activationElement, { layer, whenLoaded }) {
  let frame = null;
  const weightLayout = chartLayout({ xTitle: "weight", yTitle: "count" });
  const activationLayout = chartLayout({ xTitle: "output of the neurons", yTitle: "count" });
  for (const layout of [weightLayout, activationLayout]) {
    layout.bargap = 0;
    layout.xaxis.rangemode = "normal";
  }
  const weightColour = (x) => (x < 0 ? NEGATIVE_CSS : POSITIVE_CSS);

  return {
    update(newFrame) {
      frame = newFrame;
    },
    weightView: {
      render() {
        const index = layer();
        const trace = bars(frame?.weightHist[index], weightColour);
        if (!trace) return true;
        const total = trace.y.reduce((a, b) => a + b, 0);
        weightElement.setAttribute("aria-label", `Histogram of the ${total} weights into the chosen layer`);
        return drawChart(weightElement, [trace], weightLayout, whenLoaded);
      },
    },
    activationView: {
      render() {
        const trace = bars(frame?.activationHist[layer()], () => ACTIVATION_COLOUR);
        if (!trace) return true;
        activationElement.setAttribute(
          "aria-label",
          "Histogram of the chosen layer's neuron outputs over the training points",
        );
        return drawChart(activationElement, [trace], activationLayout, whenLoaded);
      },
    },
  };
}
