// The insight panel's tables: classification metrics for the training and the test set, and
// the test set's confusion matrix. Plain HTML tables (captions, header cells with scope) so a
// screen reader can read them; each value cell has a data-testid and its exact number in
// data-value.

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
  table.append(
    cell("caption", "Classification metrics (positive class +1)"),
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
      for (const [split] of SPLITS) {
        for (const [name] of METRICS) setValue(cells.get(`${split}-${name}`), metrics?.[split]?.[name]);
      }
    },
  };
}

function classLabel(value) {
  return value > 0 ? `+${value}` : `−${Math.abs(value)}`;
}

function classKey(value) {
  return value > 0 ? "pos" : "neg";
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
    table.replaceChildren(
      cell("caption", "Test set: rows are the true class, columns the predicted class"),
    );
    const head = document.createElement("thead");
    const row = document.createElement("tr");
    row.append(cell("th", "true \\ predicted", { scope: "col" }));
    for (const c of classes) row.append(cell("th", `predicted ${classLabel(c)}`, { scope: "col" }));
    head.append(row);
    const body = document.createElement("tbody");
    cells = classes.map((truth) => {
      const tr = document.createElement("tr");
      tr.append(cell("th", `true ${classLabel(truth)}`, { scope: "row" }));
      const tds = classes.map((predicted) => {
        const td = cell("td", "—", {
          "data-testid": `confusion-${classKey(truth)}-${classKey(predicted)}`,
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
