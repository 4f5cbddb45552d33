// The insight panel: what training does inside the net, live. Metrics and the confusion
// matrix (classification, two classes or more), the ROC curve (two classes), the learning
// rate and every layer's gradient norm over epochs, and histograms of a chosen layer's
// weights and activations. It opens on demand (the page's `open=insights`); nothing is drawn
// while it is closed, and each chart only while it is on screen (core/renderScheduler.js).
// Until the first epoch is trained it shows a line of text, not empty charts.

import { createGradientChart, createLearningRateChart } from "./historyCharts.js";
import { createConfusionMatrix, createMetricsTable } from "./metricsTables.js";
import { createRenderScheduler } from "../core/renderScheduler.js";
import { METRICS_HINT, WIDE_MATRIX_CLASSES, buildInsightCards, element, regressionText } from "./insightCards.js";
import { createHistogramCharts, createRocChart } from "./snapshotCharts.js";

/**
 * Builds the panel in `body` (closed). Returns {update(frame), setConfig(config), setOpen(open), reset()}.
 */
export function createInsightPanel(body) {
  let open = false;
  const scheduler = createRenderScheduler({ isActive: () => open });
  const poke = () => scheduler.poke();

  const {
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
  } = buildInsightCards();
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
