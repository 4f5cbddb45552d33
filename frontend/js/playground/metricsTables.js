// The insight panel's tables: classification metrics for the training and the test set, and
// the test set's confusion matrix (2 x 2 for classes -1/+1, K x K for classes 0..K-1). Plain
// HTML tables (captions, header cells with scope) so a screen reader can read them; each
// value cell has a data-testid and its exact number in data-value.

import { classCss } from "../core/palette.js";
import { formatMetric } from "./snapshotCharts.js";

const METRICS = [
  ["accuracy", "Accuracy"],
  ["precision", "Precision"],
  ["recall", "Recall"],
  ["f1", "F1"],
  ["roc_auc", "ROC-AUC"],
];
const SPLITS = [
  ["train", "Train"],
  ["test", "Test"],
];

function cell(tag, text, attributes = {}) {
  const element = document.createElement(tag);
  element.textContent = text;
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  return element;
}

function setValue(element, value) {
  const text = formatMetric(value);
  if (element.textContent !== text) element.textContent = text;
  element.dataset.value = typeof value === "number" && Number.isFinite(value) ? String(value) : "";
}

/** The metrics table (rows: metrics, columns: train and test) in `table`; returns {update(metrics)}. */
export function createMetricsTable(table) {
  const caption = cell("caption", BINARY_CAPTION);
  table.append(
    caption,
    (() => {
      const head = document.createElement("thead");
      const row = document.createElement("tr");
      row.append(cell("th", "Metric", { scope: "col" }));
      for (const [, label] of SPLITS) row.append(cell("th", label, { scope: "col" }));
      head.append(row);
      return head;
    })(),
  );
  const body = document.createElement("tbody");
  const cells = new Map(); // "test-f1" -> td
  for (const [name, label] of METRICS) {
    const row = document.createElement("tr");
    row.append(cell("th", label, { scope: "row" }));
    for (const [split] of SPLITS) {
      const td = cell("td", "—", { "data-testid": `metric-${split}-${name.replaceAll("_", "-")}` });
      cells.set(`${split}-${name}`, td);
      row.append(td);
    }
    body.append(row);
  }
  table.append(body);

  return {
    update(metrics) {
      const classes = metrics?.test?.classes;
      const text = isMultiClass(classes)
        ? `Classification metrics (averages over the ${classes.length} classes)`
        : BINARY_CAPTION;
      if (caption.textContent !== text) caption.textContent = text;
      for (const [split] of SPLITS) {
        for (const [name] of METRICS) setValue(cells.get(`${split}-${name}`), metrics?.[split]?.[name]);
      }
    },
  };
}

const BINARY_CAPTION = "Classification metrics (positive class +1)";

// Multi-class frames name their classes 0..K-1; binary ones -1 and +1.
function isMultiClass(classes) {
  return Array.isArray(classes) && classes.length > 2;
}

function classLabel(value, multi) {
  if (multi) return String(value);
  return value > 0 ? `+${value}` : `−${Math.abs(value)}`;
}

// Test ids: "confusion-neg-pos" (binary, as before), "confusion-0-2" (multi-class).
function classKey(value, multi) {
  if (multi) return String(value);
  return value > 0 ? "pos" : "neg";
}

// A header cell; for multi-class a swatch of the class's colour on the maps comes first.
function classHeader(text, value, multi, scope) {
  const th = cell("th", "", { scope });
  if (multi) {
    const swatch = document.createElement("span");
    swatch.className = "class-swatch";
    swatch.style.background = classCss(value);
    swatch.setAttribute("aria-hidden", "true");
    th.append(swatch);
  }
  th.append(text);
  return th;
}

/**
 * The test set's confusion matrix in `table`: rows are the true class, columns the predicted one,
 * in the order of the frame's `classes`. Returns {update(testMetrics)}.
 */
export function createConfusionMatrix(table) {
  let classes = null;
  let cells = [];

  function build(newClasses) {
    classes = newClasses.slice();
    const multi = isMultiClass(classes);
    table.classList.toggle("multi-class", multi);
    table.replaceChildren(
      cell("caption", "Test set: rows are the true class, columns the predicted class"),
    );
    const head = document.createElement("thead");
    const row = document.createElement("tr");
    row.append(cell("th", multi ? "true \\ pred." : "true \\ predicted", { scope: "col" }));
    for (const c of classes) {
      // Many classes: the column headers say only the class (the caption says they are predictions).
      const text = multi ? classLabel(c, multi) : `predicted ${classLabel(c, multi)}`;
      const th = classHeader(text, c, multi, "col");
      if (multi) th.setAttribute("aria-label", `predicted ${c}`);
      row.append(th);
    }
    head.append(row);
    const body = document.createElement("tbody");
    cells = classes.map((truth) => {
      const tr = document.createElement("tr");
      tr.append(classHeader(`true ${classLabel(truth, multi)}`, truth, multi, "row"));
      const tds = classes.map((predicted) => {
        const td = cell("td", "—", {
          "data-testid": `confusion-${classKey(truth, multi)}-${classKey(predicted, multi)}`,
        });
        td.className = truth === predicted ? "hit" : "miss";
        tr.append(td);
        return td;
      });
      body.append(tr);
      return tds;
    });
    table.append(head, body);
  }

  return {
    update(testMetrics) {
      const matrix = testMetrics?.confusion_matrix;
      const newClasses = testMetrics?.classes;
      if (!Array.isArray(matrix) || !Array.isArray(newClasses)) return;
      if (!classes || classes.join() !== newClasses.join()) build(newClasses);
      const total = matrix.flat().reduce((a, b) => a + b, 0) || 1;
      matrix.forEach((row, i) =>
        row.forEach((count, j) => {
          const td = cells[i]?.[j];
          if (!td) return;
          const text = String(count);
          if (td.textContent !== text) td.textContent = text;
          // Shade by share of the test set: light enough that the number stays readable.
          td.style.setProperty("--share", (count / total).toFixed(3));
        }),
      );
    },
  };
}
