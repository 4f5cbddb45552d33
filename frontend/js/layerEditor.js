// Editor for the `layers` setting (neuron count per hidden layer): add/remove a
// layer, and add/remove a neuron per layer. Layer 0 is the first hidden layer.
// Its columns line up with the network diagram's (inputs, hidden..., output).

import { networkColumnTemplate } from "./network.js";

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

/**
 * Creates the editor in `container` for a "layers" setting. `commit(layers)` receives
 * the new list. Returns {sync(layers, limits)}.
 */
export function createLayerEditor(container, commit) {
  container.classList.add("layer-editor");
  let layers = [];
  let limits = { max_layers: Infinity, max_neurons: Infinity };

  function render() {
    container.replaceChildren();
    container.style.gridTemplateColumns = networkColumnTemplate(layers.length);

    const layerCell = document.createElement("div");
    layerCell.className = "layer-editor-cell layer-count";
    const addLayer = iconButton("add-layer", "+", "Add hidden layer", () =>
      commit([...layers, Math.min(NEW_LAYER_NEURONS, limits.max_neurons)]),
    );
    addLayer.disabled = layers.length >= limits.max_layers;
    const removeLayer = iconButton("remove-layer", "−", "Remove hidden layer", () =>
      commit(layers.slice(0, -1)),
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
        commit(layers.map((n, i) => (i === index ? n + 1 : n))),
      );
      add.disabled = neurons >= limits.max_neurons;
      const remove = iconButton(
        `remove-neuron-${index}`,
        "−",
        `Remove neuron from hidden layer ${index + 1}`,
        () => commit(layers.map((n, i) => (i === index ? n - 1 : n))),
      );
      remove.disabled = neurons <= 1;
      const text = document.createElement("span");
      text.className = "neuron-count";
      text.dataset.testid = `neuron-count-${index}`;
      text.textContent = `${neurons} neuron${neurons === 1 ? "" : "s"}`;
      const buttons = document.createElement("div");
      buttons.className = "layer-editor-buttons";
      buttons.append(add, remove);
      cell.append(buttons, text);
      container.append(cell);
    });

    container.append(document.createElement("div")); // above the output column
  }

  return {
    sync(newLayers, newLimits) {
      layers = Array.isArray(newLayers) ? newLayers.slice() : [];
      if (newLimits) limits = newLimits;
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
    },
  };
}
