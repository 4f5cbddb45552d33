// The network diagram's nodes as DOM: the input features (toggles showing their own heat map), the
// hidden neurons (a live map and a bias mark each) and the output node(s). Building only: what a node
// does when it is pointed at, focused or pressed is passed in as `on` handlers.

import { classCss } from "../core/palette.js";
import { attachHelp } from "../core/tooltip.js";
import { paintFeature } from "./previews.js";

const FEATURE_GRID_SIZE = 24;

/**
 * "0_2" for hidden neuron 2 of layer 0, the feature name for an input, "output" for the single
 * output, "output-2" for class 2's output when there is one per class.
 */
export function nodeKey(column, index, inputs, hiddenCount, outputs) {
  if (column === 0) return inputs[index];
  if (column === hiddenCount + 1) return outputs > 1 ? `output-${index}` : "output";
  return `${column - 1}_${index}`;
}

/** How the page names a node in words ("X₁", "neuron 2,1", "the output for class 3"). */
export function nodeName(column, index, hiddenCount, featureLabels, inputs, outputs) {
  if (column === 0) return featureLabels.get(inputs[index]) || inputs[index];
  if (column === hiddenCount + 1) return outputs > 1 ? `the output for class ${index}` : "the output";
  return `neuron ${column},${index + 1}`;
}

/** A column of the diagram (a labelled group). */
export function columnElement(className, label) {
  const column = document.createElement("div");
  column.className = `network-column ${className}`;
  column.setAttribute("role", "group");
  column.setAttribute("aria-label", label);
  return column;
}

/**
 * The input column: one toggle per feature (active or not); `on` = {toggle(name), inspect(name | null)}.
 * Returns {column, tiles: Map name -> {tile, canvas}}.
 */
export function buildFeatureColumn({ features, domain, featuresHelp, locked, on }) {
  const column = columnElement("input-column", "Input features");
  const tiles = new Map(
    features.map((feature) => {
      const label = feature.label || feature.name;
      const tile = document.createElement("button");
      tile.type = "button";
      tile.className = "feature-node";
      tile.dataset.testid = `feature-${feature.name}`;
      tile.setAttribute("aria-pressed", "false");
      const text = document.createElement("span");
      text.className = "feature-label";
      text.textContent = label;
      const canvas = document.createElement("canvas");
      canvas.className = "node";
      canvas.setAttribute("aria-hidden", "true");
      paintFeature(canvas, feature.name, FEATURE_GRID_SIZE, domain);
      tile.append(text, canvas);
      if (locked) tile.setAttribute("aria-disabled", "true");
      tile.addEventListener("click", () => {
        if (!locked) on.toggle(feature.name);
      });
      const inspect = () => on.inspect(feature.name);
      tile.addEventListener("mouseenter", inspect);
      tile.addEventListener("focus", inspect);
      tile.addEventListener("mouseleave", () => on.inspect(null));
      tile.addEventListener("blur", () => on.inspect(null));
      column.append(tile);
      attachHelp(tile, `${label}: ${featuresHelp} Click to add or remove it.`);
      return [feature.name, { tile, canvas }];
    }),
  );
  return { column, tiles };
}

/**
 * Pointer, focus and press wiring shared by neurons and output nodes: `on` = {show(), hide(),
 * press(byTouch)}. A touch press is told apart (a tap shows, a click edits).
 */
function wireNode(button, on) {
  let touched = false;
  button.addEventListener("pointerdown", (event) => {
    touched = event.pointerType === "touch" || event.pointerType === "pen";
  });
  button.addEventListener("mouseenter", () => on.show());
  button.addEventListener("focus", () => on.show());
  button.addEventListener("mouseleave", () => on.hide());
  button.addEventListener("blur", () => on.hide());
  button.addEventListener("click", (event) => {
    // A click from the keyboard (Enter, Space) has no pointer: it edits, as a mouse click does.
    const byTouch = touched && event.detail > 0;
    touched = false;
    on.press(byTouch);
  });
}

/** Hidden neuron n of layer `layer`: its map canvas and bias mark; `on` as in wireNode. */
export function neuronElement(layer, n, on) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "node neuron";
  button.dataset.testid = `neuron-${layer}-${n}`;
  button.setAttribute(
    "aria-label",
    `Neuron ${n + 1} of hidden layer ${layer + 1}: shows its output; press Enter to edit its bias`,
  );
  const canvas = document.createElement("canvas");
  canvas.setAttribute("aria-hidden", "true");
  const mark = document.createElement("span");
  mark.className = "bias-mark";
  mark.setAttribute("aria-hidden", "true");
  button.append(canvas, mark);
  wireNode(button, on);
  return { button, canvas, mark };
}

/** The single output (k = 0 of 1), or class k's output of `outputs`, ringed in the class's colour. */
export function outputElement(k, outputs, on) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "node output-node";
  const canvas = document.createElement("canvas");
  canvas.setAttribute("aria-hidden", "true");
  button.append(canvas);
  if (outputs > 1) {
    button.classList.add("class-output");
    button.style.setProperty("--class-colour", classCss(k));
    button.dataset.testid = `output-node-${k}`;
    button.setAttribute("aria-label", `Output for class ${k}: where it wins; press Enter to edit its bias`);
    const tag = document.createElement("span");
    tag.className = "output-class-label";
    tag.setAttribute("aria-hidden", "true");
    tag.textContent = String(k); // the class's number (its colour is in the legend)
    button.append(tag);
  } else {
    button.dataset.testid = "output-node";
    button.setAttribute("aria-label", "Output neuron: edit its bias");
  }
  wireNode(button, on);
  return { button, canvas };
}
