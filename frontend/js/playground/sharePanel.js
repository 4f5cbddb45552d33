// The Share panel: a settings link (opens the same settings in a new run of its own), a watch
// link (follows this run live, read-only: the server's public watch id, never the session id)
// and a builder for classroom links that hide chosen controls (TF Playground's checkboxes).

import { element } from "../core/element.js";
import { linkTo, pageQuery } from "./urlState.js";

// What a class link can hide: a name the `hide` parameter knows, and what a teacher reads.
export const HIDEABLE = [
  ["play", "Play / pause"],
  ["step", "Step"],
  ["reset", "Reset"],
  ["speed", "Speed"],
  ["dataset", "Data sets"],
  ["noise", "Noise"],
  ["percTrainData", "Ratio of training data"],
  ["batchSize", "Batch size"],
  ["regenerate", "Regenerate"],
  ["features", "Features"],
  ["networkShape", "Hidden layers"],
  ["learningRate", "Learning rate"],
  ["activation", "Activation"],
  ["regularization", "Regularization"],
  ["regularizationRate", "Regularization rate"],
  ["problem", "Problem type"],
  ["presets", "Lessons"],
  ["showTestData", "Show test data"],
  ["discretize", "Discretize output"],
  ["toolbox", "Toolbox"],
  ["insights", "Insight panel"],
];

/** HIDEABLE in the settings table's words: a setting's own label (/api/schema) where it is one. */
export function hideableControls(schema) {
  return HIDEABLE.map(([name, text]) => {
    const setting = schema.settings.find((s) => s.url_key === name || s.name === name);
    return [name, setting?.label || text];
  });
}

async function copyText(input, note) {
  input.select();
  try {
    await navigator.clipboard.writeText(input.value);
    note.textContent = "Copied.";
  } catch {
    // No clipboard permission (e.g. an insecure origin): the link is selected for Ctrl+C.
    note.textContent = "Selected: press Ctrl+C (⌘C) to copy.";
  }
}

// A read-only link field with a Copy button and a note under it.
function linkRow(testId, labelText, hint) {
  const id = `${testId}-input`;
  const label = element("label", { for: id, text: labelText });
  const input = element("input", { id, type: "text", readonly: "", testId, spellcheck: "false" });
  const note = element("span", { class: "share-copied", "aria-live": "polite" });
  const copy = element("button", { type: "button", class: "text-button", testId: `copy-${testId}`, text: "Copy" });
  copy.addEventListener("click", () => copyText(input, note));
  input.addEventListener("focus", () => input.select());
  const row = element("div", { class: "share-row" }, label, element("div", { class: "share-field" }, input, copy), note);
  if (hint) row.append(element("p", { class: "share-hint", text: hint }));
  return { row, input };
}

/**
 * Builds the panel into `panel` (hidden until `button` opens it). `state()` gives what the links
 * describe: {config, view, open, hide, watchId}. Returns {refresh()}, to call when that changes.
 */
export function createSharePanel({ schema, button, panel, state }) {
  const settings = linkRow(
    "share-link",
    "Link to these settings",
    "Opens the same data, network and settings in a new run of its own.",
  );
  const watch = linkRow(
    "watch-link",
    "Watch link",
    "Follows this run live, read-only: whoever opens it sees every frame but cannot change anything.",
  );
  const boxes = new Map();
  const builder = element("fieldset", { class: "hide-builder", testId: "hide-builder" });
  builder.append(element("legend", { text: "Hide controls in a class link" }));
  const grid = element("div", { class: "hide-options" });
  for (const [name, text] of hideableControls(schema)) {
    const box = element("input", { type: "checkbox", id: `hide-option-${name}`, testId: `hide-option-${name}` });
    box.addEventListener("change", refresh);
    boxes.set(name, box);
    grid.append(element("label", { class: "control-checkbox", for: box.id }, box, ` ${text}`));
  }
  const hidden = linkRow("hide-link", "Class link", "The settings link with the ticked controls hidden.");
  builder.append(grid, hidden.row);
  const close = element("button", { type: "button", class: "text-button share-close", testId: "share-close", text: "Close" });
  panel.append(
    element("h2", { id: "share-heading", text: "Share" }),
    settings.row,
    watch.row,
    builder,
    close,
  );
  panel.setAttribute("aria-labelledby", "share-heading");

  function setOpen(open) {
    panel.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
    if (open) {
      refresh();
      settings.input.focus();
    }
  }
  button.addEventListener("click", () => setOpen(panel.hidden));
  close.addEventListener("click", () => {
    setOpen(false);
    button.focus();
  });
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      setOpen(false);
      button.focus();
    }
  });

  function refresh() {
    if (panel.hidden) return;
    const now = state();
    // A shared link carries the settings, the view and the lesson, never this tab's own hidden controls.
    const base = { config: now.config, view: now.view, open: now.open, lesson: now.lesson };
    settings.input.value = linkTo(pageQuery(schema, base));
    watch.row.hidden = !now.watchId;
    watch.input.value = now.watchId ? linkTo(pageQuery(schema, { view: now.view, watch: now.watchId })) : "";
    const ticked = [...boxes].filter(([, box]) => box.checked).map(([name]) => name);
    hidden.input.value = linkTo(pageQuery(schema, { ...base, hide: ticked }));
  }

  setOpen(false);
  return { refresh };
}
