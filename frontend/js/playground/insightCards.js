// The insight panel's cards: titles, one-line explanations, tables and chart boxes. What fills
// them in, and when, is insights.js's business.

export function element(tag, { className, text, testId, attributes = {} } = {}) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text) node.textContent = text;
  if (testId) node.dataset.testid = testId;
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

let nextCard = 0;

export const WIDE_MATRIX_CLASSES = 4; // more classes than this: the confusion matrix takes two columns
export const METRICS_HINT = {
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

export function regressionText(loss) {
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

/** Builds every card of the panel (none drawn yet); returns the elements the panel fills in. */
export function buildInsightCards() {
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
  return {
    metricsCard,
    metricsHint,
    metricsTable,
    confusionCard,
    confusionTable,
    rocCard,
    rocBox,
    rocNote,
    rocHint,
    regressionNote,
    lrBox,
    gradBox,
    gradLegend,
    histSelect,
    weightBox,
    activationBox,
    activationNote,
    grid,
  };
}
