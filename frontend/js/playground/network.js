// The network diagram: the input features (each a toggle showing its own heat map), one column per
// hidden layer with a live heat map per neuron (the frame's `neuron_grids`) and its bias, the output
// node (one per class for multi-class data, each showing where its class wins), and the links coloured
// and sized by weight. Node sizes and gaps follow the net and the space (networkSizing.js); the links
// are measured from the nodes as laid out, so they always start and end on them.
// Hovering or focusing a neuron asks for it to be shown enlarged (`onInspect`) and shows its bias;
// clicking a link or a neuron asks to edit its weight or bias (`onEdit`); on a touch screen a tap
// shows the node or link in an inspector, whose Edit button asks to edit it; clicking a feature toggles
// it (`onToggleFeature`).

import { drawOnNextFrame } from "../core/renderScheduler.js";
import { createInspector } from "./networkInspector.js";
import { createLinkLayer } from "./networkLinks.js";
import {
  buildFeatureColumn,
  columnElement,
  neuronElement,
  nodeKey,
  nodeName,
  outputElement,
} from "./networkNodes.js";
import { paintNetwork } from "./networkPaint.js";
import { fitNetwork } from "./networkSizing.js";

const SVG_NS = "http://www.w3.org/2000/svg";
const READOUT_OFFSET_PX = 10;

/** CSS column template shared with the layer editor, so its buttons sit above their layers. */
export function networkColumnTemplate(hiddenCount) {
  return `var(--input-column) repeat(${hiddenCount + 1}, minmax(0, 1fr))`;
}

/**
 * Creates the diagram inside `container`.
 * Options: features (schema.features: [{name, label}]), domain of the plane, featuresHelp
 * (the features setting's help, as the input column's tooltip), lockFeatures
 * (show only the active features, not toggleable), onToggleFeature(name), onInspect(target | null) with
 * target {kind: "neuron", layer, index} or {kind: "feature", name}, onEdit({kind: "weight"|"bias", layer,
 * source?, target?, neuron?, value, label, anchor}); outputCount(config), the output neurons a config's
 * net has before a frame says. Returns {setConfig(config), noteEdit(edit, value), update(frame), reset()}.
 */
export function createNetworkView(container, options) {
  const { features = [], domain = [-6, 6], featuresHelp = "", lockFeatures = false } = options;
  container.classList.add("network");
  container.classList.toggle("features-locked", lockFeatures);
  const view = {
    container,
    options,
    featureLabels: new Map(features.map((f) => [f.name, f.label || f.name])),
    inputs: [], // active features, in config order (= the first weight matrix's rows)
    layers: null, // hidden layer sizes the DOM was built for
    outputs: 1, // output neurons the DOM was built for (K for multi-class data)
    nodeColumns: [], // per column, the elements links attach to
    painted: { layers: [], outputs: 1, mapCanvases: [], biasMarks: [], outputCanvases: [] },
    frame: null,
    typedValues: new Map(), // values just typed in, shown if the editor is reopened before their frame
  };
  const { svg, canvas, columns } = buildLayers(container);
  view.columns = columns;
  view.inspector = createInspector(container);
  view.links = createLinkLayer(svg, canvas, container, linkHandlers(view));
  const inputs = buildFeatureColumn({
    features,
    domain,
    featuresHelp,
    locked: lockFeatures,
    on: {
      toggle: (name) => options.onToggleFeature(name),
      inspect: (name) => options.onInspect(name === null ? null : { kind: "feature", name }),
    },
  });
  view.inputColumn = inputs.column;
  view.featureTiles = inputs.tiles;
  const requestDraw = drawOnNextFrame(() => draw(view));
  view.requestDraw = requestDraw;

  new ResizeObserver(() => {
    if (view.layers !== null) relayout(view);
  }).observe(container);

  return {
    /** Follows the config: which features are active (and in what order), and the layers before any frame. */
    setConfig(config) {
      const active = config.features || [];
      for (const [name, { tile }] of view.featureTiles) {
        const on = active.includes(name);
        tile.setAttribute("aria-pressed", String(on));
        const label = view.featureLabels.get(name);
        tile.setAttribute("aria-label", `${label}: ${on ? "used as an input" : "not used"}`);
      }
      const layers = view.frame ? view.frame.layers : config.hidden_layers || [];
      const outputs = view.frame ? view.frame.outputs : options.outputCount(config);
      if (!sameList(view.inputs, active) || view.layers === null || outputs !== view.outputs) {
        view.inputs = active.slice();
        build(view, layers, outputs);
      }
    },
    /** Remembers a value the user just sent for `edit` (as passed to onEdit) until the next frame. */
    noteEdit(edit, value) {
      view.typedValues.set(editKey(edit), value);
    },
    update(frame) {
      view.frame = frame;
      view.typedValues.clear();
      // A frame may lag a configure; draw the layers it describes. Links whose
      // weight count disagrees with the drawn inputs are skipped until they agree.
      if (!sameList(view.layers, frame.layers) || frame.outputs !== view.outputs) {
        build(view, frame.layers, frame.outputs);
      }
      requestDraw();
    },
    reset() {
      view.frame = null;
      build(view, view.layers || [], view.outputs);
    },
  };
}

/** The link layers (SVG, and a canvas for big nets) under the columns of nodes. */
function buildLayers(container) {
  const svg = document.createElementNS(SVG_NS, "svg");
  svg.classList.add("network-links");
  svg.setAttribute("role", "group");
  svg.setAttribute("aria-label", "Weights: use the arrow keys to move between them, Enter to edit one");
  const canvas = document.createElement("canvas");
  canvas.className = "network-link-canvas";
  canvas.setAttribute("aria-hidden", "true");
  canvas.hidden = true;
  const columns = document.createElement("div");
  columns.className = "network-columns";
  container.append(svg, canvas, columns);
  return { svg, canvas, columns };
}

function linkHandlers(view) {
  const hidden = () => view.layers.length;
  return {
    describe: (c, source, target) => {
      const { inputs, outputs, featureLabels } = view;
      const fromKey = nodeKey(c, source, inputs, hidden(), outputs);
      const toKey = nodeKey(c + 1, target, inputs, hidden(), outputs);
      const fromName = nodeName(c, source, hidden(), featureLabels, inputs, outputs);
      const toName = nodeName(c + 1, target, hidden(), featureLabels, inputs, outputs);
      return { testId: `link-${fromKey}-${toKey}`, name: `Weight from ${fromName} to ${toName}` };
    },
    weightOf: (w, source, target) => currentWeight(view, w, source, target),
    onEdit: (w, source, target, group) => editWeight(view, w, source, target, group),
    onTap: (w, source, target, group, point) =>
      view.inspector.pin({
        name: group.dataset.name,
        label: "weight",
        value: () => currentWeight(view, w, source, target),
        x: point.x,
        y: point.y + READOUT_OFFSET_PX,
        picture: null,
        edit: () => editWeight(view, w, source, target, group),
      }),
    onHover: (target) => view.inspector.hover(target),
  };
}

/** (Re)builds the hidden and output columns for `layers` and `outputs`, then sizes them and the links. */
function build(view, layers, outputs) {
  const { columns, container } = view;
  view.layers = layers.slice();
  view.outputs = outputs;
  view.inspector.unpin();
  for (const column of columns.querySelectorAll(".hidden-column, .output-column")) column.remove();
  if (!view.inputColumn.isConnected) columns.append(view.inputColumn);
  columns.style.gridTemplateColumns = networkColumnTemplate(layers.length);
  view.nodeColumns = [view.inputs.map((name) => view.featureTiles.get(name)?.canvas).filter(Boolean)];
  const painted = { layers: view.layers, outputs, mapCanvases: [], biasMarks: [], outputCanvases: [] };
  layers.forEach((size, layer) => {
    const column = columnElement("hidden-column", `Hidden layer ${layer + 1}`);
    const made = Array.from({ length: size }, (_, n) =>
      neuronElement(layer, n, nodeHandlers(view, layer, n)),
    );
    column.append(...made.map((m) => m.button));
    columns.append(column);
    view.nodeColumns.push(made.map((m) => m.button));
    painted.mapCanvases.push(made.map((m) => m.canvas));
    painted.biasMarks.push(made.map((m) => m.mark));
  });
  const outputColumn = columnElement("output-column", outputs > 1 ? "Outputs, one per class" : "Output");
  outputColumn.classList.toggle("per-class", outputs > 1);
  const made = Array.from({ length: outputs }, (_, k) =>
    outputElement(k, outputs, nodeHandlers(view, layers.length, k)),
  );
  outputColumn.append(...made.map((m) => m.button));
  columns.append(outputColumn);
  view.nodeColumns.push(made.map((m) => m.button));
  painted.outputCanvases = made.map((m) => m.canvas);
  view.painted = painted;
  container.setAttribute(
    "aria-label",
    `Network: ${view.inputs.length} inputs, hidden layers ${layers.join(", ") || "none"}, ` +
      (outputs > 1 ? `${outputs} outputs (one per class)` : "1 output"),
  );
  relayout(view);
}

/** Sizes the nodes for the space the diagram has now, then measures the links from them. */
function relayout(view) {
  fitNetwork(view.container, view.inputColumn, { hidden: view.layers, outputs: view.outputs });
  view.inspector.hover(null);
  view.links.place(view.nodeColumns);
  view.requestDraw();
}

/** What hovering, focusing and pressing neuron `index` of `layer` does (layer = hidden count: an output). */
function nodeHandlers(view, layer, index) {
  const isOutput = () => layer === view.layers.length;
  const name = () =>
    isOutput() ? nodeName(layer + 1, index, view.layers.length, view.featureLabels, view.inputs, view.outputs)
      : `neuron ${layer + 1},${index + 1}`;
  const anchor = () => view.nodeColumns[layer + 1][index];
  const target = () => {
    const box = anchor().getBoundingClientRect();
    const outer = view.container.getBoundingClientRect();
    return {
      name: name().charAt(0).toUpperCase() + name().slice(1),
      label: "bias",
      value: () => currentBias(view, layer, index),
      x: box.left + box.width / 2 - outer.left,
      y: box.bottom - outer.top + READOUT_OFFSET_PX,
      picture: () => anchor().querySelector("canvas"),
      edit: () => editBias(view, layer, index, name(), anchor()),
    };
  };
  return {
    show() {
      if (!isOutput()) view.options.onInspect({ kind: "neuron", layer, index });
      view.inspector.hover(target());
    },
    hide() {
      if (!isOutput()) view.options.onInspect(null);
      view.inspector.hover(null);
    },
    press(byTouch) {
      if (!byTouch) {
        editBias(view, layer, index, name(), anchor());
        return;
      }
      // A tap shows the neuron (enlarged in the output map and in the inspector); Edit edits it.
      if (!isOutput()) view.options.onInspect({ kind: "neuron", layer, index });
      view.inspector.pin(target());
    },
  };
}

function editKey(edit) {
  return edit.kind === "weight"
    ? `weight:${edit.layer}:${edit.source}:${edit.target}`
    : `bias:${edit.layer}:${edit.neuron}`;
}

function editBias(view, layer, neuron, name, anchor) {
  const biases = view.frame && view.frame.biases[layer];
  const edit = { kind: "bias", layer, neuron, label: `Bias of ${name}`, anchor };
  edit.value = view.typedValues.get(editKey(edit)) ?? (biases && neuron < biases.length ? biases[neuron] : 0);
  view.options.onEdit(edit);
}

function editWeight(view, w, source, target, group) {
  const edit = { kind: "weight", layer: w, source, target, label: group.dataset.name, anchor: group };
  const value = currentWeight(view, w, source, target);
  edit.value = view.typedValues.get(editKey(edit)) ?? (Number.isFinite(value) ? value : 0);
  view.options.onEdit(edit);
}

function currentBias(view, layer, neuron) {
  const biases = view.frame && view.frame.biases[layer];
  return biases && neuron < biases.length ? biases[neuron] : NaN;
}

function currentWeight(view, w, source, target) {
  const weights = view.frame && view.frame.weights[w];
  const columnsOut = w < view.layers.length ? view.layers[w] : view.outputs;
  const index = source * columnsOut + target;
  return weights && index < weights.length ? weights[index] : NaN;
}

function draw(view) {
  if (!view.frame) return;
  paintNetwork(view.frame, view.painted);
  view.links.paint(view.frame.weights);
  view.inspector.refresh();
}

function sameList(a, b) {
  return a !== null && a.length === b.length && a.every((v, i) => v === b[i]);
}
