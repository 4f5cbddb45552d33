// The insight panel: what training does inside the net, live. Metrics and the confusion
// matrix (classification), the ROC curve, the learning rate and every layer's gradient norm
// over epochs, and histograms of a chosen layer's weights and activations. It can be
// collapsed (a disclosure button, remembered in localStorage); nothing is drawn while it is
// collapsed, and each chart only while it is on screen (js/renderScheduler.js).

import { createGradientChart, createLearningRateChart } from "./historyCharts.js";
import { createConfusionMatrix, createMetricsTable } from "./metricsTables.js";
import { createRenderScheduler } from "./renderScheduler.js";
import { createHistogramCharts, createRocChart } from "./snapshotCharts.js";

const STORAGE_KEY = "nnplay.insights";

function element(tag, { className, text, testId, attributes = {} } = {}) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  if (testId) node.dataset.testid = testId;
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

let nextCard = 0;

/** A titled card with a one-line explanation; returns {card, body}. */
function card(title, hint, className) {
  nextCard += 1;
  const id = `insight-card-${nextCard}`;
  const section = element("section", { className: `insight-card ${className}` });
  section.setAttribute("aria-labelledby", id);
  const heading = element("h3", { text: title, attributes: { id } });
  section.append(heading);
  if (hint) section.append(element("p", { className: "card-hint", text: hint }));
  return section;
}

function chartBox(testId, label) {
  return element("div", {
    className: "insight-chart",
    testId,
    attributes: { role: "img", "aria-label": label },
  });
}

function rememberedOpen() {
  try {
    return window.localStorage.getItem(STORAGE_KEY) !== "closed";
  } catch {
    return true;
  }
}

function rememberOpen(open) {
  try {
    window.localStorage.setItem(STORAGE_KEY, open ? "open" : "closed");
  } catch {
    // storage can be disabled; the panel still works
  }
}

/**
 * Builds the panel in `body`, collapsed and expanded by `toggle` (a button with aria-controls).
 * Returns {update(frame), setProblem(problem), reset()}.
 */
export function createInsightPanel(body, toggle) {
  let open = rememberedOpen();
  const scheduler = createRenderScheduler({ isActive: () => open });
  const poke = () => scheduler.poke();

  // Classification: metrics, confusion matrix, ROC. Regression: a note instead.
  const metricsCard = card(
    "Metrics",
    "Precision: share of predicted +1 that are +1. Recall: share of +1 found. ROC-AUC 0.5 is chance.",
    "card-metrics",
  );
  const metricsTable = element("table", { className: "insight-table", testId: "metrics" });
  metricsCard.append(metricsTable);

  const confusionCard = card(
    "Confusion matrix",
    "Test points by true and predicted class; the diagonal is right.",
    "card-confusion",
  );
  const confusionTable = element("table", {
    className: "insight-table confusion",
    testId: "confusion-matrix",
  });
  confusionCard.append(confusionTable);

  const rocCard = card(
    "ROC curve",
    "Hits against false alarms as the threshold moves; the diagonal is chance.",
    "card-roc",
  );
  const rocBox = chartBox("roc-chart", "ROC curve of the test set");
  rocCard.append(rocBox);

  const regressionNote = element("p", {
    className: "insight-note",
    testId: "classification-only-note",
    text:
      "Accuracy, precision, recall, the ROC curve and the confusion matrix measure classification. " +
      "This is a regression problem: its measure is the loss (mean squared error) in the Output panel.",
  });
  regressionNote.hidden = true;

  const lrCard = card(
    "Learning rate",
    "The step size the schedule gives at each epoch.",
    "card-lr",
  );
  const lrBox = chartBox("lr-chart", "Learning rate by epoch");
  lrCard.append(lrBox);

  const gradCard = card(
    "Gradient norm per layer",
    "How strongly the loss pulls on each layer's weights (log scale). Lines far below the output " +
      "layer's mean that layer barely learns: vanishing gradients.",
    "card-grad",
  );
  const gradBox = chartBox("grad-chart", "Gradient norm of every layer by epoch, log scale");
  const gradLegend = element("p", { className: "series-legend", testId: "grad-legend" });
  gradCard.append(gradBox, gradLegend);

  const histCard = card(
    "Weights and activations",
    "How the chosen layer's weights are spread, and what its neurons output over the training " +
      "points: outputs piled up at the ends of the range mean saturated neurons.",
    "card-hist",
  );
  const histSelect = element("select", { testId: "hist-layer", attributes: { id: "hist-layer" } });
  const histLabel = element("label", { text: "Layer", attributes: { for: "hist-layer" } });
  const histControl = element("div", { className: "control hist-control" });
  histControl.append(histLabel, histSelect);
  const weightBox = chartBox("weight-hist", "Histogram of the chosen layer's weights");
  const activationBox = chartBox("activation-hist", "Histogram of the chosen layer's outputs");
  const activationNote = element("p", {
    className: "insight-note",
    testId: "activation-note",
    text: "The output layer's activation is the prediction itself: see the heat map.",
  });
  activationNote.hidden = true;
  const pair = element("div", { className: "hist-pair" });
  const weightFigure = element("figure", { className: "hist-figure" });
  weightFigure.append(element("figcaption", { text: "Weights" }), weightBox);
  const activationFigure = element("figure", { className: "hist-figure" });
  activationFigure.append(element("figcaption", { text: "Activations" }), activationBox, activationNote);
  pair.append(weightFigure, activationFigure);
  histCard.append(histControl, pair);

  const grid = element("div", { className: "insight-grid" });
  grid.append(regressionNote, metricsCard, confusionCard, rocCard, lrCard, gradCard, histCard);
  body.append(grid);

  // Renderers, and their views in the scheduler.
  const metrics = createMetricsTable(metricsTable);
  const confusion = createConfusionMatrix(confusionTable);
  const roc = createRocChart(rocBox, poke);
  const lr = createLearningRateChart(lrBox, poke);
  const grad = createGradientChart(gradBox, gradLegend, poke);
  let layerCount = 0; // weight matrices in the frames (hidden layers + output)
  const histograms = createHistogramCharts(weightBox, activationBox, {
    layer: () => Number(histSelect.value) || 0,
    whenLoaded: poke,
  });

  let latest = null;
  const tablesView = scheduler.add(
    metricsCard,
    () => {
      metrics.update(latest?.metrics);
      confusion.update(latest?.metrics?.test);
    },
    { watchVisibility: false }, // cheap text, and read by people and tests alike
  );
  const rocView = scheduler.add(rocBox, () => roc.render());
  const lrView = scheduler.add(lrBox, () => lr.render());
  const gradView = scheduler.add(gradBox, () => grad.render());
  const weightView = scheduler.add(weightBox, () => histograms.weightView.render());
  const activationView = scheduler.add(activationBox, () => histograms.activationView.render());

  function fillLayerChoices(count) {
    const chosen = Number(histSelect.value) || 0;
    layerCount = count;
    histSelect.replaceChildren(
      ...Array.from({ length: count }, (_, i) => {
        const option = document.createElement("option");
        option.value = String(i);
        option.textContent = i === count - 1 ? "Output layer" : `Hidden layer ${i + 1}`;
        return option;
      }),
    );
    histSelect.value = String(Math.min(chosen, Math.max(0, count - 1)));
    showActivationNote();
  }

  function showActivationNote() {
    const output = layerCount > 0 && Number(histSelect.value) === layerCount - 1;
    activationNote.hidden = !output;
    activationBox.hidden = output;
  }

  histSelect.addEventListener("change", () => {
    showActivationNote();
    weightView.invalidate();
    activationView.invalidate();
  });

  function setOpen(value) {
    open = value;
    toggle.setAttribute("aria-expanded", String(open));
    body.hidden = !open;
    rememberOpen(open);
    if (open) {
      // Charts drawn before the panel closed may have a stale width.
      for (const box of [rocBox, lrBox, gradBox, weightBox, activationBox]) {
        if (window.Plotly && box.data) window.Plotly.Plots.resize(box).catch(() => {});
      }
      poke();
    }
  }
  toggle.addEventListener("click", () => setOpen(!open));
  setOpen(open);

  let classification = true;
  function setClassification(value) {
    if (value === classification) return;
    classification = value;
    for (const section of [metricsCard, confusionCard, rocCard]) section.hidden = !classification;
    regressionNote.hidden = classification;
  }

  return {
    update(frame) {
      latest = frame;
      setClassification(frame.metrics !== null);
      tablesView.invalidate();
      if (frame.metrics) {
        roc.update(frame.metrics.test);
        rocView.invalidate();
      }
      if (lr.update(frame)) lrView.invalidate();
      if (grad.update(frame)) gradView.invalidate();
      if (frame.weightHist.length !== layerCount) fillLayerChoices(frame.weightHist.length);
      histograms.update(frame);
      weightView.invalidate();
      activationView.invalidate();
    },
    /** Before the first frame of a problem type arrives, follow the config's. */
    setProblem(problem) {
      if (!latest) setClassification(problem !== "regression");
    },
    reset() {
      latest = null;
      lr.reset();
      grad.reset();
    },
  };
}
