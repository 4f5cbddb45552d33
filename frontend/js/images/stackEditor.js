// The architecture editor: a list of layers with per-layer fields, move/remove buttons, the output
// shape and parameter count of each layer (from the server's check) and errors next to their layer.
// A valid stack is applied at once (what the editor shows is what trains); an invalid one is not.

import { checkStack } from "./api.js";

const KIND_LABELS = {
  conv: "Convolution",
  maxpool: "Max pool 2×2",
  avgpool: "Average pool 2×2",
  flatten: "Flatten",
  dense: "Dense",
  dropout: "Dropout",
  batchnorm: "Batch norm",
};
const NEW_LAYER = {
  conv: { kind: "conv", filters: 8, kernel: 3, stride: 1, padding: "same", activation: "relu" },
  maxpool: { kind: "maxpool" },
  avgpool: { kind: "avgpool" },
  flatten: { kind: "flatten" },
  dense: { kind: "dense", units: 32, activation: "relu" },
  dropout: { kind: "dropout", rate: 0.25 },
  batchnorm: { kind: "batchnorm" },
};

/** "8×8×16" for [8, 8, 16]. */
export function shapeText(shape) {
  return shape.join("×");
}

/**
 * createStackEditor(root, {onApply(layers)}) -> {setSchema(schema), setLayers(layers, summary), setBusy(text)}
 * root holds [data-testid=stack], add-kind, add-layer, param-count, stack-state, preset buttons.
 */
export function createStackEditor(root, { onApply }) {
  const list = root.querySelector("[data-testid=stack]");
  const addKind = root.querySelector("[data-testid=add-kind]");
  const stateText = root.querySelector("[data-testid=stack-state]");
  let schema = null;
  let layers = [];
  let summary = null; // the server's check of `layers`
  let applied = "";
  let checkId = 0;

  function setSchema(value) {
    schema = value;
    addKind.replaceChildren(
      ...schema.kinds.map((kind) => new Option(KIND_LABELS[kind] || kind, kind, kind === "conv", kind === "conv")),
    );
  }

  const sent = new Set(); // every stack this editor applied: their echoes must not undo newer edits
  let checking = false; // an edit of ours is being checked: it is sent next, so it wins

  /** The server's stack (hello/config): adopted unless it is an echo of an older edit of ours, or an edit
   * of ours is on its way (a config that crossed it must not undo it). */
  function setLayers(next, architecture) {
    const text = JSON.stringify(next);
    if (checking) {
      applied = text; // what the server has: the edit is sent if it differs
      return;
    }
    const shown = JSON.stringify(layers);
    if (text !== shown && sent.has(text)) return;
    // The echo of what the editor shows changes nothing: no new buttons under a pointer about to click.
    const same = text === shown && summary?.valid && JSON.stringify(summary.layers) === JSON.stringify(architecture);
    layers = next.map((layer) => ({ ...layer }));
    applied = text;
    summary = { valid: true, layers: architecture, error: null };
    if (!same) render();
  }

  function setBusy(text) {
    stateText.textContent = text;
  }

  function edit(next) {
    layers = next;
    summary = null;
    render();
    const id = (checkId += 1);
    checking = true;
    checkStack(layers).then((result) => {
      if (id !== checkId) return; // a newer edit is on its way
      checking = false;
      summary = result;
      render();
      const text = JSON.stringify(layers);
      if (result.valid && text !== applied) {
        applied = text;
        sent.add(text);
        onApply(layers.map((layer) => ({ ...layer })));
      }
    });
  }

  function render() {
    const rows = [inputRow()];
    layers.forEach((layer, i) => rows.push(layerRow(layer, i)));
    rows.push(outputRow());
    const focused = document.activeElement?.dataset?.testid;
    list.replaceChildren(...rows);
    if (focused) list.querySelector(`[data-testid="${focused}"]`)?.focus();
    const total = summary?.valid ? summary.layers.reduce((sum, layer) => sum + layer.params, 0) : null;
    root.querySelector("[data-testid=param-count]").textContent = total === null ? "–" : total.toLocaleString("en");
    if (summary && !summary.valid) setBusy(`not applied: ${summary.error.message}`);
    else if (!summary) setBusy("checking…");
  }

  function inputRow() {
    const row = document.createElement("li");
    row.className = "layer layer-fixed";
    row.innerHTML = `<span class="layer-title">Input</span><span class="layer-shape">8×8×1</span>`;
    return row;
  }

  function outputRow() {
    const row = document.createElement("li");
    row.className = "layer layer-fixed";
    row.dataset.testid = "layer-output";
    const info = summary?.valid ? summary.layers[summary.layers.length - 1] : null;
    row.innerHTML = `<span class="layer-title">Output: dense 10 + softmax</span>`;
    row.append(shapeSpan(info, layers.length + 1));
    return row;
  }

  function shapeSpan(info, index) {
    const span = document.createElement("span");
    span.className = "layer-shape";
    span.dataset.testid = `layer-${index}-shape`;
    span.textContent = info ? `→ ${shapeText(info.shape)} · ${info.params.toLocaleString("en")} params` : "…";
    return span;
  }

  function layerRow(layer, i) {
    const index = i + 1;
    const row = document.createElement("li");
    row.className = "layer";
    row.dataset.testid = `layer-${index}`;
    const title = document.createElement("span");
    title.className = "layer-title";
    title.textContent = `${index}. ${KIND_LABELS[layer.kind] || layer.kind}`;
    const fields = document.createElement("span");
    fields.className = "layer-fields";
    for (const field of fieldsOf(layer.kind)) fields.append(fieldControl(layer, i, field));
    const info = summary?.layers?.[i] || null;
    row.append(title, fields, shapeSpan(info, index), moveButtons(i));
    const error = summary && !summary.valid && summary.error.layer === index ? summary.error.message : "";
    if (error) {
      row.classList.add("layer-invalid");
      const text = document.createElement("p");
      text.className = "layer-error";
      text.dataset.testid = `layer-${index}-error`;
      text.textContent = error;
      row.append(text);
    }
    return row;
  }

  function fieldsOf(kind) {
    if (kind === "conv") return ["filters", "kernel", "stride", "padding", "activation"];
    if (kind === "dense") return ["units", "activation"];
    if (kind === "dropout") return ["rate"];
    return [];
  }

  function fieldControl(layer, i, field) {
    const id = `layer-${i + 1}-${field}`;
    const label = document.createElement("label");
    label.className = "field";
    label.htmlFor = id;
    label.append(document.createTextNode(field));
    let control;
    const choices = {
      kernel: ["3", "5"],
      stride: ["1", "2"],
      padding: ["same", "valid"],
      activation: schema ? schema.activations : ["relu"],
    }[field];
    if (choices) {
      control = document.createElement("select");
      control.append(...choices.map((c) => new Option(c, c, false, String(layer[field]) === c)));
    } else {
      control = document.createElement("input");
      control.type = "number";
      const [low, high] = schema ? schema.layer_limits[field] : [0, 128];
      Object.assign(control, { min: low, max: high, step: field === "rate" ? 0.05 : 1 });
      control.value = layer[field];
    }
    control.id = id;
    control.dataset.testid = id;
    control.addEventListener("change", () => {
      const raw = control.value;
      const value = field === "padding" || field === "activation" ? raw : Number(raw);
      edit(layers.map((l, j) => (j === i ? { ...l, [field]: value } : l)));
    });
    label.append(control);
    return label;
  }

  function moveButtons(i) {
    const box = document.createElement("span");
    box.className = "layer-buttons";
    const make = (name, text, label, disabled, action) => {
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = text;
      button.dataset.testid = `layer-${i + 1}-${name}`;
      button.setAttribute("aria-label", label);
      button.disabled = disabled;
      button.addEventListener("click", action);
      box.append(button);
    };
    const swap = (a, b) => {
      const next = layers.slice();
      [next[a], next[b]] = [next[b], next[a]];
      edit(next);
    };
    make("up", "↑", `Move layer ${i + 1} up`, i === 0, () => swap(i, i - 1));
    make("down", "↓", `Move layer ${i + 1} down`, i === layers.length - 1, () => swap(i, i + 1));
    make("remove", "✕", `Remove layer ${i + 1}`, false, () => edit(layers.filter((_, j) => j !== i)));
    return box;
  }

  root.querySelector("[data-testid=add-layer]").addEventListener("click", () => {
    edit([...layers, { ...NEW_LAYER[addKind.value] }]);
  });
  root.querySelector("[data-testid=preset-cnn]").addEventListener("click", () => {
    edit([
      NEW_LAYER.conv,
      NEW_LAYER.maxpool,
      { ...NEW_LAYER.conv, filters: 16 },
      NEW_LAYER.flatten,
    ].map((layer) => ({ ...layer })));
  });
  root.querySelector("[data-testid=preset-mlp]").addEventListener("click", () => {
    edit(schema.mlp_stack.map((layer) => ({ ...layer })));
  });

  return { setSchema, setLayers, setBusy };
}
