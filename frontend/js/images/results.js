// Test-set results: the 10x10 confusion matrix with per-class accuracy (a real table, so screen
// readers can walk it) and the gallery of misclassified digits (a click shows its feature maps).

import { inkColor, paint, percent, pictureCanvas } from "./pictures.js";

/** The confusion matrix: rows are true digits, columns predicted; cells shaded by share of the row.
 * The table is built once and its cells updated in place by later frames. */
export function renderConfusion(root, matrix, perClass) {
  let table = root.querySelector("table.confusion-table");
  if (!table || table.tBodies[0].rows.length !== matrix.length) table = buildConfusion(root, matrix.length);
  matrix.forEach((row, r) => {
    const cells = table.tBodies[0].rows[r].cells; // [th, 10 counts, accuracy]
    const total = row.reduce((a, b) => a + b, 0) || 1;
    row.forEach((count, c) => {
      const td = cells[c + 1];
      td.textContent = count ? String(count) : "";
      const share = count / total;
      // light enough for dark text at any share (contrast >= 4.5)
      td.style.background = r === c ? `rgba(8, 119, 189, ${0.1 + 0.5 * share})` : count ? `rgba(245, 147, 34, ${Math.min(1, 0.3 + share)})` : "";
      td.title = `true ${r}, predicted ${c}: ${count}`;
    });
    cells[row.length + 1].textContent = percent(perClass[r]);
  });
}

function buildConfusion(root, classes) {
  const table = document.createElement("table");
  table.className = "confusion-table";
  const caption = table.createCaption();
  caption.textContent = "Rows: true digit · columns: predicted digit · last column: accuracy per digit";
  const head = table.createTHead().insertRow();
  const corner = th("", "col");
  corner.innerHTML = `<span class="visually-hidden">true digit, predicted digit</span>`;
  head.append(corner);
  for (let c = 0; c < classes; c += 1) head.append(th(String(c), "col"));
  head.append(th("acc.", "col"));
  const body = table.createTBody();
  for (let r = 0; r < classes; r += 1) {
    const tr = body.insertRow();
    tr.append(th(String(r), "row"));
    for (let c = 0; c < classes; c += 1) tr.insertCell();
    tr.insertCell().className = "per-class";
  }
  root.replaceChildren(table);
  return table;
}

function th(text, scope) {
  const cell = document.createElement("th");
  cell.scope = scope;
  cell.textContent = text;
  return cell;
}

const onSelects = new WeakMap(); // gallery root -> what a click on a digit does (the newest frame's)

/** The misclassified test digits (most confident mistakes first) as buttons: true → predicted. The buttons
 * stay from frame to frame (repainted, relabelled): a click never lands on a button being replaced. */
export function renderGallery(root, countText, misclassified, onSelect) {
  countText.textContent = `(${misclassified.count} of the test digits${misclassified.count > misclassified.predicted.length ? `, ${misclassified.predicted.length} most confident shown` : ""})`;
  onSelects.set(root, onSelect);
  if (!misclassified.count) {
    root.innerHTML = `<p class="hint">None: every test digit is classified correctly.</p>`;
    return;
  }
  let buttons = [...root.querySelectorAll("button.gallery-item")];
  if (buttons.length !== misclassified.predicted.length) {
    buttons = misclassified.predicted.map(() => galleryButton(root));
    root.replaceChildren(...buttons);
  }
  misclassified.predicted.forEach((predicted, i) => {
    const button = buttons[i];
    const truth = misclassified.true[i];
    const sure = Math.round(100 * misclassified.confidence[i]);
    button.dataset.index = String(misclassified.indices[i]);
    button.setAttribute("aria-label", `a ${truth} taken for a ${predicted} (${sure}% sure); show its feature maps`);
    paint(button.querySelector("canvas"), misclassified.images, i * 64, inkColor);
    button.querySelector("span").textContent = `${truth}→${predicted}`;
  });
}

function galleryButton(root) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "gallery-item";
  button.append(pictureCanvas(new Uint8Array(64), 0, 8, 8, 5, inkColor), document.createElement("span"));
  button.addEventListener("click", () => onSelects.get(root)(Number(button.dataset.index)));
  return button;
}
