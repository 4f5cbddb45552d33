// Test-set results: the 10x10 confusion matrix with per-class accuracy (a real table, so screen
// readers can walk it) and the gallery of misclassified digits (a click shows its feature maps).

import { inkColor, percent, pictureCanvas } from "./pictures.js";

/** The confusion matrix: rows are true digits, columns predicted; cells shaded by share of the row. */
export function renderConfusion(root, matrix, perClass) {
  const table = document.createElement("table");
  table.className = "confusion-table";
  const caption = table.createCaption();
  caption.textContent = "Rows: true digit · columns: predicted digit · last column: accuracy per digit";
  const head = table.createTHead().insertRow();
  const corner = th("", "col");
  corner.innerHTML = `<span class="visually-hidden">true digit, predicted digit</span>`;
  head.append(corner);
  for (let c = 0; c < 10; c += 1) head.append(th(String(c), "col"));
  head.append(th("acc.", "col"));
  const body = table.createTBody();
  matrix.forEach((row, r) => {
    const tr = body.insertRow();
    tr.append(th(String(r), "row"));
    const total = row.reduce((a, b) => a + b, 0) || 1;
    row.forEach((count, c) => {
      const td = tr.insertCell();
      td.textContent = count ? String(count) : "";
      const share = count / total;
      // light enough for dark text at any share (contrast >= 4.5)
      td.style.background = r === c ? `rgba(8, 119, 189, ${0.1 + 0.5 * share})` : count ? `rgba(245, 147, 34, ${Math.min(1, 0.3 + share)})` : "";
      td.title = `true ${r}, predicted ${c}: ${count}`;
    });
    const acc = tr.insertCell();
    acc.className = "per-class";
    acc.textContent = percent(perClass[r]);
  });
  root.replaceChildren(table);
}

function th(text, scope) {
  const cell = document.createElement("th");
  cell.scope = scope;
  cell.textContent = text;
  return cell;
}

/** The misclassified test digits (most confident mistakes first) as buttons: true → predicted. */
export function renderGallery(root, countText, misclassified, onSelect) {
  countText.textContent = `(${misclassified.count} of the test digits${misclassified.count > misclassified.predicted.length ? `, ${misclassified.predicted.length} most confident shown` : ""})`;
  if (!misclassified.count) {
    root.innerHTML = `<p class="hint">None: every test digit is classified correctly.</p>`;
    return;
  }
  const tiles = misclassified.predicted.map((predicted, i) => {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "gallery-item";
    const truth = misclassified.true[i];
    const sure = Math.round(100 * misclassified.confidence[i]);
    button.setAttribute("aria-label", `a ${truth} taken for a ${predicted} (${sure}% sure); show its feature maps`);
    button.append(pictureCanvas(misclassified.images, i * 64, 8, 8, 5, inkColor));
    const label = document.createElement("span");
    label.textContent = `${truth}→${predicted}`;
    button.append(label);
    button.addEventListener("click", () => onSelect(misclassified.indices[i]));
    return button;
  });
  root.replaceChildren(...tiles);
}
