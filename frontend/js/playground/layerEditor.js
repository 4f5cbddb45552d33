// Editor for the `layers` setting (neuron count per hidden layer): add/remove a
// layer, and add/remove a neuron per layer. Layer 0 is the first hidden layer.
// Under each layer's buttons, one small select per per-layer setting (its activation, its
// dropout rate), showing the value in effect. Its columns line up with the network
// diagram's (inputs, hidden..., output).

import { networkColumnTemplate } from "./network.js";
import { attachHelp } from "../core/tooltip.js";

const NEW_LAYER_NEURONS = 2; // what TensorFlow Playground gives a new layer

function iconButton(testId, text, label, onClick) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "icon-button";
  button.dataset.testid = testId;
  button.textContent = text;
  button.setAttribute("aria-label", label);
  button.title = label;
  button.addEventListener("click", onClick);
  return button;
}

/** The value in effect for hidden layer `index`: its own list entry, else the global setting. */
function effectiveValue(config, spec, index) {
  const list = Array.isArray(config[spec.list]) ? config[spec.list] : [];
  return index < list.length ? list[index] : config[spec.global];
}

/**
 * Creates the editor in `container`. `commit(changes)` receives a configure's changes
 * ({layersName: [...]}, or a per-layer list filled for every current layer). `layersName` is the
 * layers setting's name; `perLayer` lists the per-layer settings: [{list, global, choices, testId,
 * label, help, format}] (list: the per-layer setting's name, global: the setting it falls back to).
 * Returns {sync(config, limits)}.
 */
export function createLayerEditor(container, { layersName, perLayer = [], commit }) {
  container.classList.add("layer-editor");
  let layers = [];
  let limits = { max_layers: Infinity, max_neurons: Infinity };
  let config = {};
  let rendered = null; // what the DOM was built for, to skip rebuilding it for nothing
  const selects = []; // {select, spec, index} of the current DOM

  const commitLayers = (next) => commit({ [layersName]: next });

  // A per-layer change sends the whole list, each other layer at the value it has now.
  function commitLayerValue(spec, index, value) {
    const list = layers.map((_, i) => (i === index ? value : effectiveValue(config, spec, i)));
    commit({ [spec.list]: list });
  }

  function layerSelect(spec, index) {
    const id = `${spec.testId}-${index}`;
    const wrapper = document.createElement("div");
    wrapper.className = `layer-setting ${spec.testId}`;
    const label = document.createElement("label");
    label.htmlFor = id;
    const shortName = document.createElement("span");
    shortName.setAttribute("aria-hidden", "true");
    shortName.textContent = spec.label.toLowerCase();
    const fullName = document.createElement("span");
    fullName.className = "visually-hidden";
    fullName.textContent = `${spec.label} of hidden layer ${index + 1}`;
    label.append(shortName, fullName);
    const select = document.createElement("select");
    select.id = id;
    select.dataset.testid = id;
    spec.choices.forEach((choice, i) => {
      const option = document.createElement("option");
      option.value = String(i); // indices, so that floats round-trip exactly
      option.textContent = spec.format(choice);
      select.append(option);
    });
    select.addEventListener("change", () => {
      const at = Number(select.value);
      const value = at < spec.choices.length ? spec.choices[at] : JSON.parse(select.dataset.extra);
      commitLayerValue(spec, index, value);
    });
    wrapper.append(label, select);
    attachHelp(wrapper, spec.help, select);
    selects.push({ select, spec, index });
    return wrapper;
  }

  // Selection only (no rebuild): also undoes a change the server rejected.
  function showValues() {
    for (const { select, spec, index } of selects) {
      const value = effectiveValue(config, spec, index);
      let at = spec.choices.findIndex((choice) => choice === value);
      if (at < 0 && value !== undefined) {
        // A value the server accepted that the choices do not list (e.g. from a link).
        at = spec.choices.length;
        select.querySelector(`option[value="${at}"]`)?.remove();
        const option = document.createElement("option");
        option.value = String(at);
        option.textContent = spec.format(value);
        select.append(option);
      }
      select.dataset.extra = at === spec.choices.length ? JSON.stringify(value) : "";
      select.value = String(at);
      const own = Array.isArray(config[spec.list]) && index < config[spec.list].length;
      // Set apart a layer that differs from the global setting.
      select.classList.toggle("overridden", own && value !== config[spec.global]);
    }
  }

  function render() {
    container.replaceChildren();
    selects.length = 0;
    container.style.gridTemplateColumns = networkColumnTemplate(layers.length);

    const layerCell = document.createElement("div");
    layerCell.className = "layer-editor-cell layer-count";
    const addLayer = iconButton("add-layer", "+", "Add hidden layer", () =>
      commitLayers([...layers, Math.min(NEW_LAYER_NEURONS, limits.max_neurons)]),
    );
    addLayer.disabled = layers.length >= limits.max_layers;
    const removeLayer = iconButton("remove-layer", "−", "Remove hidden layer", () =>
      commitLayers(layers.slice(0, -1)),
    );
    removeLayer.disabled = layers.length === 0;
    const count = document.createElement("span");
    count.dataset.testid = "layer-count";
    count.textContent = `${layers.length} hidden layer${layers.length === 1 ? "" : "s"}`;
    layerCell.append(addLayer, removeLayer, count);
    container.append(layerCell);

    layers.forEach((neurons, index) => {
      const cell = document.createElement("div");
      cell.className = "layer-editor-cell";
      const add = iconButton(`add-neuron-${index}`, "+", `Add neuron to hidden layer ${index + 1}`, () =>
        commitLayers(layers.map((n, i) => (i === index ? n + 1 : n))),
      );
      add.disabled = neurons >= limits.max_neurons;
      const remove = iconButton(
        `remove-neuron-${index}`,
        "−",
        `Remove neuron from hidden layer ${index + 1}`,
        () => commitLayers(layers.map((n, i) => (i === index ? n - 1 : n))),
      );
      remove.disabled = neurons <= 1;
      const text = document.createElement("span");
      text.className = "neuron-count";
      text.dataset.testid = `neuron-count-${index}`;
      text.textContent = `${neurons} neuron${neurons === 1 ? "" : "s"}`;
      const buttons = document.createElement("div");
      buttons.className = "layer-editor-buttons";
      buttons.append(add, remove);
      // "Layer 1": said by screen readers, and shown where the editor is a list (a phone).
      const name = document.createElement("span");
      name.className = "layer-name visually-hidden";
      name.textContent = `Layer ${index + 1}`;
      cell.append(name, buttons, text);
      for (const spec of perLayer) cell.append(layerSelect(spec, index));
      container.append(cell);
    });

    container.append(document.createElement("div")); // above the output column
  }

  return {
    sync(newConfig, newLimits) {
      config = newConfig || {};
      layers = Array.isArray(config[layersName]) ? config[layersName].slice() : [];
      if (newLimits) limits = newLimits;
      const shape = JSON.stringify([layers, limits]);
      if (shape !== rendered) {
        rendered = shape;
        // Rebuilding moves focus off a button the user just pressed; put it back.
        const focused =
          document.activeElement && container.contains(document.activeElement)
            ? document.activeElement.dataset.testid
            : null;
        render();
        if (focused) {
          const again = container.querySelector(`[data-testid="${focused}"]`);
          if (again && !again.disabled) again.focus();
        }
      }
      showValues();
    },
  };
}
