// The insight panel: what training does inside the net, live. Metrics and the confusion
// matrix (classification, two classes or more), the ROC curve (two classes), the learning
// rate and every layer's gradient norm over epochs, and histograms of a chosen layer's
// weights and activations. It opens on demand (the page's `open=insights`); nothing is drawn
// while it is closed, and each chart only while it is on screen (core/renderScheduler.js).
// Until the first epoch is trained it shows a line of text, not empty charts.

import { createGradientChart, createLearningRateChart } from "./historyCharts.js";
import { createConfusionMatrix, createMetricsTable } from "./metricsTables.js";
import { createRenderScheduler } from "../core/renderScheduler.js";
import { createHistogramCharts, createRocChart } from "./snapshotCharts.js";

function element(tag, { className, text, testId, attributes = {} } = {}) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  if (testId) node.dataset.testid = testId;
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

let nextCard = 0;

const WIDE_MATRIX_CLASSES = 4; // more classes than this: the confusion matrix takes two columns
const METRICS_HINT = {
  binary: "Precision: share of predicted +1 that are +1. Recall: share of +1 found. ROC-AUC 0.5 is chance.",
  multi:
    "Precision, recall and F1 are computed per class (that class against the rest) and averaged over " +
    "the classes; ROC-AUC likewise. Accuracy is the share of points in their true class.",
};
const LOSS_NAMES = {
  square: "half the squared error, ½(output − target)²",
  huber: "the Huber loss: squared error near the target, linear far from it",
  cross_entropy: "cross-entropy",
};

function regressionText(loss) {
  const name = LOSS_NAMES[loss] || String(loss || "the squared error");
  return (
    "Accuracy, precision, recall, the ROC curve and the confusion matrix measure classification. " +
    `This is a regression problem: its measure is the loss (${name}, averaged over the points) ` +
    "in the Output panel."
  );
}

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

/**
 * Builds the panel in `body` (closed). Returns {update(frame), setConfig(config), setOpen(open), reset()}.
 */
export function createInsightPanel(body) {
  let open = false;
  const scheduler = createRenderScheduler({ isActive: () => open });
  const poke = () => scheduler.poke();

  // Classification: metrics, confusion matrix, ROC. Regression: a note instead.
  const metricsCard = card("Metrics", METRICS_HINT.binary, "card-metrics");
  const metricsHint = metricsCard.querySelector(".card-hint");
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
  const rocNote = element("p", {
    className: "insight-note",
    testId: "roc-note",
    text:
      "A ROC curve compares two classes. With more classes the table's ROC-AUC is the average of " +
      "each class against the rest.",
  });
  rocNote.hidden = true;
  rocCard.append(rocBox, rocNote);
  const rocHint = rocCard.querySelector(".card-hint");

  const regressionNote = element("p", {
    className: "insight-note",
    testId: "classification-only-note",
    text: regressionText("square"),
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
  const waiting = element("p", {
    className: "chart-placeholder",
    testId: "insight-waiting",
    text: "Train for a few epochs (Play or Step) and the metrics, gradients and histograms appear here.",
  });
  grid.hidden = true;
  body.append(waiting, grid);
  function showCharts(trained) {
    if (grid.hidden === !trained) return;
    grid.hidden = !trained;
    waiting.hidden = trained;
    if (trained) poke();
  }

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
    body.hidden = !open;
    if (open) {
      // Charts drawn before the panel closed may have a stale width.
      for (const box of [rocBox, lrBox, gradBox, weightBox, activationBox]) {
        if (window.Plotly && box.data) window.Plotly.Plots.resize(box).catch(() => {});
      }
      poke();
    }
  }
  setOpen(open);

  // Classification or regression, and how many classes: which cards show, and how wide.
  let classification = true;
  let classCount = 2;
  function layoutCards() {
    const multiClass = classCount > 2;
    // Many classes: the matrix takes two columns, and the note on the ROC curve moves to the metrics.
    const wide = classCount > WIDE_MATRIX_CLASSES;
    metricsCard.hidden = !classification;
    confusionCard.hidden = !classification;
    rocCard.hidden = !classification || wide;
    regressionNote.hidden = classification;
    rocBox.hidden = multiClass;
    rocHint.hidden = multiClass;
    rocNote.hidden = !multiClass;
    const noteHome = wide ? metricsCard : rocCard;
    if (rocNote.parentElement !== noteHome) noteHome.append(rocNote);
    confusionCard.classList.toggle("card-wide", wide);
    metricsHint.textContent = multiClass ? METRICS_HINT.multi : METRICS_HINT.binary;
  }
  function setClassification(value, classes = classCount) {
    if (value === classification && classes === classCount) return;
    classification = value;
    classCount = classes;
    layoutCards();
  }

  return {
    update(frame) {
      latest = frame;
      showCharts(frame.epoch > 0);
      const classes = frame.metrics?.test?.classes;
      setClassification(frame.metrics !== null, Array.isArray(classes) ? classes.length : 2);
      tablesView.invalidate();
      if (frame.metrics && classCount <= 2) {
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
    /** Names the config's loss; before the first frame of a problem type arrives, follows its problem. */
    setConfig(config) {
      if (!latest) setClassification(config.problem !== "regression");
      const text = regressionText(config.loss);
      if (regressionNote.textContent !== text) regressionNote.textContent = text;
    },
    setOpen,
    reset() {
      latest = null;
      showCharts(false);
      lr.reset();
      grad.reset();
    },
  };
}
