// The network diagram: the input features (each a toggle showing its own heat map),
// one column per hidden layer with a live heat map per neuron (the frame's
// `neuron_grids`) and its bias, the output node (one per class for multi-class data, each
// showing where its class wins), and the links coloured and sized by weight. Each map is
// painted 1:1 into a canvas of the grid's own size (10 x 10) and scaled up by CSS: the
// browser then copies 100 pixels per neuron and frame. Neurons and links are focusable:
// hovering or focusing a neuron asks for it to be shown enlarged (`onInspect`), clicking a
// link or a neuron asks to edit its weight or bias (`onEdit`), clicking a feature toggles it
// (`onToggleFeature`).

import { BYTE_TO_RGBA, classCss, cssColorOf, paintClassGrid, paintGrid } from "../core/palette.js";
import { drawOnNextFrame } from "../core/renderScheduler.js";
import { attachHelp } from "../core/tooltip.js";
import { createLinkLayer, formatWeight } from "./networkLinks.js";
import { paintFeature } from "./previews.js";

const SVG_NS = "http://www.w3.org/2000/svg";
const FEATURE_GRID_SIZE = 24;
const NODE_GAP_PX = 10; // .network-column's gap
const MIN_NODE_PX = 8;
const MAX_NODE_PX = 64;

/** CSS column template shared with the layer editor, so its buttons sit above their layers. */
export function networkColumnTemplate(hiddenCount) {
  return `var(--input-column) repeat(${hiddenCount + 1}, minmax(0, 1fr))`;
}

/**
 * "0_2" for hidden neuron 2 of layer 0, the feature name for an input, "output" for the single
 * output, "output-2" for class 2's output when there is one per class.
 */
function nodeKey(column, index, inputs, hiddenCount, outputs) {
  if (column === 0) return inputs[index];
  if (column === hiddenCount + 1) return outputs > 1 ? `output-${index}` : "output";
  return `${column - 1}_${index}`;
}

function nodeName(column, index, hiddenCount, featureLabels, inputs, outputs) {
  if (column === 0) return featureLabels.get(inputs[index]) || inputs[index];
  if (column === hiddenCount + 1) return outputs > 1 ? `the output for class ${index}` : "the output";
  return `neuron ${column},${index + 1}`;
}

/**
 * Creates the diagram inside `container`.
 * Options: features (schema.features: [{name, label}]), domain of the plane, featuresHelp
 * (the features setting's help, as the input column's tooltip), lockFeatures
 * (show only the active features, not toggleable), onToggleFeature(name), onInspect(target | null) with target {kind: "neuron", layer, index}
 * or {kind: "feature", name}, onEdit({kind: "weight"|"bias", layer, source?, target?, neuron?,
 * value, label, anchor}); outputCount(config), the output neurons a config's net has before a frame says.
 * Returns {setConfig(config), noteEdit(edit, value), update(frame), reset()}.
 */
export function createNetworkView(
  container,
  {
    features = [],
    domain = [-6, 6],
    featuresHelp = "",
    lockFeatures = false,
    outputCount = () => 1,
    onToggleFeature,
    onInspect,
    onEdit,
  },
) {
  container.classList.add("network");
  container.classList.toggle("features-locked", lockFeatures);
  const featureLabels = new Map(features.map((f) => [f.name, f.label || f.name]));

  const links = document.createElementNS(SVG_NS, "svg");
  links.classList.add("network-links");
  links.setAttribute("role", "group");
  links.setAttribute("aria-label", "Weights: use the arrow keys to move between them, Enter to edit one");
  const columns = document.createElement("div");
  columns.className = "network-columns";
  // The value of the link or bias under the pointer (or focus), next to it.
  const readout = document.createElement("div");
  readout.className = "value-readout";
  readout.dataset.testid = "value-readout";
  readout.setAttribute("aria-hidden", "true"); // the focused element's aria-label says the same
  readout.hidden = true;
  container.append(links, columns, readout);
  let shown = null; // {value(): number, label, x, y} of what the readout describes
  const linkLayer = createLinkLayer(links, container, {
    describe: (c, source, target) => {
      const hiddenCount = layers.length;
      const fromKey = nodeKey(c, source, inputs, hiddenCount, outputs);
      const toKey = nodeKey(c + 1, target, inputs, hiddenCount, outputs);
      const fromName = nodeName(c, source, hiddenCount, featureLabels, inputs, outputs);
      const toName = nodeName(c + 1, target, hiddenCount, featureLabels, inputs, outputs);
      return { testId: `link-${fromKey}-${toKey}`, name: `Weight from ${fromName} to ${toName}` };
    },
    weightOf: (w, source, target) => currentWeight(w, source, target),
    onEdit: (w, source, target, group) => editWeight(w, source, target, group),
    onHover: (target) => showReadout(target),
  });
  function placeLinks() {
    showReadout(null);
    linkLayer.place(nodeColumns);
    requestDraw();
  }

  function showReadout(target) {
    shown = target;
    refreshReadout();
  }
  function refreshReadout() {
    if (!shown) {
      readout.hidden = true;
      return;
    }
    readout.textContent = `${shown.label} ${formatWeight(shown.value())}`;
    readout.style.left = `${shown.x}px`;
    readout.style.top = `${shown.y}px`;
    readout.hidden = false;
  }

  // The input column holds every feature, active or not, and never needs rebuilding.
  const inputColumn = document.createElement("div");
  inputColumn.className = "network-column input-column";
  inputColumn.setAttribute("role", "group");
  inputColumn.setAttribute("aria-label", "Input features");
  const featureTiles = new Map(
    features.map((feature) => {
      const tile = document.createElement("button");
      tile.type = "button";
      tile.className = "feature-node";
      tile.dataset.testid = `feature-${feature.name}`;
      tile.setAttribute("aria-pressed", "false");
      const label = document.createElement("span");
      label.className = "feature-label";
      label.textContent = feature.label || feature.name;
      const canvas = document.createElement("canvas");
      canvas.className = "node";
      canvas.setAttribute("aria-hidden", "true");
      paintFeature(canvas, feature.name, FEATURE_GRID_SIZE, domain);
      tile.append(label, canvas);
      if (lockFeatures) tile.setAttribute("aria-disabled", "true");
      tile.addEventListener("click", () => {
        if (!lockFeatures) onToggleFeature(feature.name);
      });
      const inspect = () => onInspect({ kind: "feature", name: feature.name });
      tile.addEventListener("mouseenter", inspect);
      tile.addEventListener("focus", inspect);
      tile.addEventListener("mouseleave", () => onInspect(null));
      tile.addEventListener("blur", () => onInspect(null));
      inputColumn.append(tile);
      attachHelp(tile, `${feature.label || feature.name}: ${featuresHelp} Click to add or remove it.`);
      return [feature.name, { tile, canvas }];
    }),
  );

  let inputs = []; // active features, in config order (= the first weight matrix's rows)
  let layers = null; // hidden layer sizes the DOM was built for
  let outputs = 1; // output neurons the DOM was built for (K for multi-class data)
  let nodeColumns = []; // per column, the elements links attach to
  let mapCanvases = []; // per hidden layer, each neuron's map canvas
  let outputCanvases = []; // one per output neuron
  let neuronButtons = []; // per hidden layer, the neuron buttons
  let biasMarks = []; // per hidden layer, the bias marks
  let frame = null;
  const requestDraw = drawOnNextFrame(() => draw());
  // Values just typed in, shown if the popover is reopened before the frame carrying them arrives.
  const typedValues = new Map();
  const editKey = (edit) =>
    edit.kind === "weight"
      ? `weight:${edit.layer}:${edit.source}:${edit.target}`
      : `bias:${edit.layer}:${edit.neuron}`;

  function build(hiddenLayers, outputNeurons) {
    layers = hiddenLayers.slice();
    outputs = outputNeurons;
    for (const column of columns.querySelectorAll(".hidden-column, .output-column")) column.remove();
    if (!inputColumn.isConnected) columns.append(inputColumn);
    columns.style.gridTemplateColumns = networkColumnTemplate(layers.length);
    fitNodes();

    nodeColumns = [inputs.map((name) => featureTiles.get(name)?.canvas).filter(Boolean)];
    neuronButtons = [];
    mapCanvases = [];
    biasMarks = [];
    layers.forEach((size, layerIndex) => {
      const column = addColumn("hidden-column", `Hidden layer ${layerIndex + 1}`);
      const buttons = [];
      const canvases = [];
      const marks = [];
      for (let n = 0; n < size; n += 1) {
        const { button, canvas, mark } = neuronButton(layerIndex, n);
        column.append(button);
        buttons.push(button);
        canvases.push(canvas);
        marks.push(mark);
      }
      nodeColumns.push(buttons);
      mapCanvases.push(canvases);
      neuronButtons.push(buttons);
      biasMarks.push(marks);
    });
    const outputColumn = addColumn("output-column", outputs > 1 ? `Outputs, one per class` : "Output");
    outputColumn.classList.toggle("per-class", outputs > 1);
    const outputButtons = Array.from({ length: outputs }, (_, k) => outputNode(k));
    for (const { button } of outputButtons) outputColumn.append(button);
    outputCanvases = outputButtons.map(({ canvas }) => canvas);
    nodeColumns.push(outputButtons.map(({ button }) => button));

    container.setAttribute(
      "aria-label",
      `Network: ${inputs.length} inputs, hidden layers ${layers.join(", ") || "none"}, ` +
        (outputs > 1 ? `${outputs} outputs (one per class)` : "1 output"),
    );
    placeLinks();
  }

  function addColumn(className, label) {
    const column = document.createElement("div");
    column.className = `network-column ${className}`;
    column.setAttribute("role", "group");
    column.setAttribute("aria-label", label);
    columns.append(column);
    return column;
  }

  // The single output, or (multi-class) class k's output, ringed in the class's colour.
  function outputNode(k) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "node output-node";
    const canvas = document.createElement("canvas");
    canvas.setAttribute("aria-hidden", "true");
    button.append(canvas);
    let name = "the output";
    if (outputs > 1) {
      name = `the output for class ${k}`;
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
    button.addEventListener("click", () => editBias(layers.length, k, name, button));
    return { button, canvas };
  }

  function neuronButton(layerIndex, n) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "node neuron";
    button.dataset.testid = `neuron-${layerIndex}-${n}`;
    const name = `neuron ${layerIndex + 1},${n + 1}`;
    button.setAttribute(
      "aria-label",
      `Neuron ${n + 1} of hidden layer ${layerIndex + 1}: shows its output; press Enter to edit its bias`,
    );
    const canvas = document.createElement("canvas");
    canvas.setAttribute("aria-hidden", "true");
    const mark = document.createElement("span");
    mark.className = "bias-mark";
    mark.setAttribute("aria-hidden", "true");
    button.append(canvas, mark);
    const inspect = () => {
      onInspect({ kind: "neuron", layer: layerIndex, index: n });
      const box = button.getBoundingClientRect();
      const outer = container.getBoundingClientRect();
      showReadout({
        label: "bias",
        value: () => currentBias(layerIndex, n),
        x: box.left + box.width / 2 - outer.left,
        y: box.bottom - outer.top + 10,
      });
    };
    const leave = () => {
      onInspect(null);
      showReadout(null);
    };
    button.addEventListener("mouseenter", inspect);
    button.addEventListener("focus", inspect);
    button.addEventListener("mouseleave", leave);
    button.addEventListener("blur", leave);
    button.addEventListener("click", () => editBias(layerIndex, n, name, button));
    return { button, canvas, mark };
  }

  function editBias(layer, neuron, name, anchor) {
    const biases = frame && frame.biases[layer];
    const edit = { kind: "bias", layer, neuron, label: `Bias of ${name}`, anchor };
    edit.value = typedValues.get(editKey(edit)) ?? (biases && neuron < biases.length ? biases[neuron] : 0);
    onEdit(edit);
  }

  function editWeight(w, source, target, group) {
    const weights = frame && frame.weights[w];
    const columnsOut = w < layers.length ? layers[w] : outputs;
    const index = source * columnsOut + target;
    const edit = { kind: "weight", layer: w, source, target, label: group.dataset.name, anchor: group };
    edit.value = typedValues.get(editKey(edit)) ?? (weights && index < weights.length ? weights[index] : 0);
    onEdit(edit);
  }

  function currentBias(layer, neuron) {
    const biases = frame && frame.biases[layer];
    return biases && neuron < biases.length ? biases[neuron] : NaN;
  }

  function currentWeight(w, source, target) {
    const weights = frame && frame.weights[w];
    const columnsOut = w < layers.length ? layers[w] : outputs;
    return weights ? weights[source * columnsOut + target] : NaN;
  }

  function paintMap(canvas, bytes, offset, size) {
    if (!canvas) return;
    if (canvas.width !== size) {
      canvas.width = size;
      canvas.height = size;
    }
    const ctx = canvas.getContext("2d");
    const image = ctx.createImageData(size, size);
    paintGrid(image, bytes, offset, size, BYTE_TO_RGBA);
    ctx.putImageData(image, 0, 0);
  }

  // Where class k wins, shaded by confidence; white elsewhere.
  function paintClassMap(canvas, shown, k) {
    const size = shown.gridSize;
    if (canvas.width !== size) {
      canvas.width = size;
      canvas.height = size;
    }
    const ctx = canvas.getContext("2d");
    const image = ctx.createImageData(size, size);
    paintClassGrid(image, shown.outputClasses, shown.outputGrid, size, { classes: outputs, onlyClass: k });
    ctx.putImageData(image, 0, 0);
  }

  function draw() {
    if (!frame) return;
    if (shown) refreshReadout();
    const size = frame.neuronGridSize;
    const neuronCells = size * size;
    let offset = 0;
    layers.forEach((count, layerIndex) => {
      const biases = frame.biases[layerIndex];
      const canvases = mapCanvases[layerIndex] || [];
      for (let n = 0; n < count; n += 1) {
        if (frame.neuronGrids.length >= offset + neuronCells) {
          paintMap(canvases[n], frame.neuronGrids, offset, size);
        }
        offset += neuronCells;
        const mark = biasMarks[layerIndex][n];
        if (biases && n < biases.length && mark) {
          const colour = biasColour(biases[n]);
          if (mark.dataset.colour !== colour) {
            mark.dataset.colour = colour;
            mark.style.background = colour;
          }
        }
      }
    });
    const cells = frame.gridSize * frame.gridSize;
    if (frame.outputGrid.length === cells && outputs > 1 && frame.outputClasses.length === cells) {
      outputCanvases.forEach((canvas, k) => paintClassMap(canvas, frame, k));
    } else if (frame.outputGrid.length === cells && outputs === 1) {
      paintMap(outputCanvases[0], frame.outputGrid, 0, frame.gridSize);
    }
    linkLayer.paint(frame.weights);
  }

  function biasColour(value) {
    return cssColorOf(Math.round(Math.max(-1, Math.min(1, value)) * 20) / 20);
  }

  function sameList(a, b) {
    return a !== null && a.length === b.length && a.every((v, i) => v === b[i]);
  }

  // Nodes as large as the panel's height allows for the tallest column (TF Playground's are
  // fixed): the diagram fills its panel on a projector and still fits 64 neurons in extended mode.
  function fitNodes() {
    const widest = Math.max(...(layers || []), outputs, 1);
    const height = container.clientHeight - 16;
    const fit = Math.floor((height - (widest - 1) * NODE_GAP_PX) / widest);
    const size = `${Math.max(MIN_NODE_PX, Math.min(MAX_NODE_PX, fit || MIN_NODE_PX))}px`;
    if (container.style.getPropertyValue("--node-size") !== size) container.style.setProperty("--node-size", size);
  }

  new ResizeObserver(() => {
    if (layers === null) return;
    fitNodes();
    placeLinks();
  }).observe(container);

  return {
    /** Follows the config: which features are active (and in what order), and the layers before any frame. */
    setConfig(config) {
      const active = config.features || [];
      for (const [name, { tile }] of featureTiles) {
        const on = active.includes(name);
        tile.setAttribute("aria-pressed", String(on));
        const label = featureLabels.get(name);
        tile.setAttribute("aria-label", `${label}: ${on ? "used as an input" : "not used"}`);
      }
      const layersNow = frame ? frame.layers : config.hidden_layers || [];
      const outputsNow = frame ? frame.outputs : outputCount(config);
      if (!sameList(inputs, active) || layers === null || outputsNow !== outputs) {
        inputs = active.slice();
        build(layersNow, outputsNow);
      }
    },
    /** Remembers a value the user just sent for `edit` (as passed to onEdit) until the next frame. */
    noteEdit(edit, value) {
      typedValues.set(editKey(edit), value);
    },
    update(newFrame) {
      frame = newFrame;
      typedValues.clear();
      // A frame may lag a configure; draw the layers it describes. Links whose
      // weight count disagrees with the drawn inputs are skipped until they agree.
      if (!sameList(layers, frame.layers) || frame.outputs !== outputs) build(frame.layers, frame.outputs);
      requestDraw();
    },
    reset() {
      frame = null;
      build(layers || [], outputs);
    },
  };
}
