// Builds every control from the /api/schema settings table and keeps them in step
// with the store. Controls never talk to the socket: user changes go out through
// the `onConfigure(changes)` / `onCommand(type)` / `onView(patch)` callbacks.

import { createLayerEditor } from "./layerEditor.js";
import { limitsForMode } from "./settings.js";
import { createToggleButton, createWidget } from "./widgets.js";

// Where each settings group goes on the page; unknown groups land in "extra".
const SLOT_OF_GROUP = { hyper: "toolbar", data: "data" };

/**
 * slots: {toolbar, data, datasets, features, layers, extra, view} container elements;
 * run: {play, step, reset} buttons already in the page.
 */
export function createControls({ schema, store, slots, run, onConfigure, onCommand, onView }) {
  const syncers = []; // (state) => void, run on every config/view change and on re-sync

  // Run buttons: play toggles between start and pause by the training state.
  run.play.addEventListener("click", () => onCommand(isRunning(store.get().runState) ? "pause" : "start"));
  run.step.addEventListener("click", () => onCommand("step"));
  run.reset.addEventListener("click", () => onCommand("reset"));
  function syncRun(state) {
    const running = isRunning(state.runState);
    run.play.setAttribute("aria-pressed", String(running));
    run.play.querySelector(".glyph").textContent = running ? "❚❚" : "▶";
    run.play.title = running ? "Pause training" : "Start training";
  }

  for (const setting of schema.settings) {
    if (setting.name === "dataset") buildDatasets(setting);
    else if (setting.name === "problem") buildProblemReadout();
    else if (setting.type === "features") buildFeatures(setting);
    else if (setting.type === "layers") buildLayers(setting);
    else buildGeneric(setting);
  }
  buildViewOptions();

  function buildGeneric(setting) {
    const widget = createWidget(setting, (value) => onConfigure({ [setting.name]: value }));
    if (!widget) return;
    const slot = slots[SLOT_OF_GROUP[setting.group]] || slots.extra;
    slot.append(widget.element);
    syncers.push((state) => widget.sync(state.config[setting.name]));
  }

  // The problem type follows the data set, so both go out in one configure.
  function buildDatasets(setting) {
    const buttons = schema.datasets.map((dataset) => {
      const toggle = createToggleButton({
        testId: `dataset-${dataset.name}`,
        text: dataset.label || dataset.name,
        title: `${dataset.label || dataset.name} (${dataset.problem})`,
        onClick: () => {
          const changes = { [setting.name]: dataset.name };
          if (dataset.problem) changes.problem = dataset.problem;
          onConfigure(changes);
        },
      });
      toggle.element.classList.add(`problem-${dataset.problem}`);
      slots.datasets.append(toggle.element);
      return [dataset.name, toggle];
    });
    syncers.push((state) => {
      for (const [name, toggle] of buttons) toggle.sync(state.config[setting.name] === name);
    });
  }

  function buildProblemReadout() {
    const readout = document.createElement("p");
    readout.className = "problem-readout";
    readout.dataset.testid = "problem";
    slots.datasets.after(readout);
    syncers.push((state) => {
      readout.textContent = `Problem: ${state.config.problem}`;
    });
  }

  // Features keep the schema's order so the first layer's weight rows are stable.
  function buildFeatures(setting) {
    const features = schema.features.length ? schema.features : setting.choices.map((name) => ({ name }));
    const order = features.map((feature) => feature.name);
    const toggles = features.map((feature) => {
      const text = feature.label || feature.name;
      const toggle = createToggleButton({
        testId: `feature-${feature.name}`,
        text,
        title: `Use ${text} as an input`,
        onClick: () => {
          const active = new Set(store.get().config[setting.name] || []);
          if (active.has(feature.name)) active.delete(feature.name);
          else active.add(feature.name);
          onConfigure({ [setting.name]: order.filter((name) => active.has(name)) });
        },
      });
      slots.features.append(toggle.element);
      return [feature.name, toggle];
    });
    syncers.push((state) => {
      const active = new Set(state.config[setting.name] || []);
      for (const [name, toggle] of toggles) toggle.sync(active.has(name));
    });
  }

  function buildLayers(setting) {
    const editor = createLayerEditor(slots.layers, (layers) => onConfigure({ [setting.name]: layers }));
    syncers.push((state) =>
      editor.sync(state.config[setting.name], limitsForMode(schema, state.config.mode)),
    );
  }

  // Client-only view options (not settings: they never reach the server).
  function buildViewOptions() {
    const options = [
      { key: "showTestData", testId: "show-test-data", text: "Show test data" },
      { key: "discretize", testId: "discretize-output", text: "Discretize output" },
    ];
    for (const option of options) {
      const input = document.createElement("input");
      input.type = "checkbox";
      input.id = `view-${option.testId}`;
      input.dataset.testid = option.testId;
      input.addEventListener("change", () => onView({ [option.key]: input.checked }));
      const label = document.createElement("label");
      label.className = "control-checkbox";
      label.append(input, ` ${option.text}`);
      slots.view.append(label);
      syncers.push((state) => {
        input.checked = Boolean(state.view[option.key]);
      });
    }
  }

  function syncAll(state) {
    if (!state.config) return;
    for (const sync of syncers) sync(state);
  }

  store.subscribe((state, changed) => {
    if (changed.has("runState")) syncRun(state);
    // "resync" is bumped after a rejected configure, to undo what the user changed.
    if (changed.has("config") || changed.has("view") || changed.has("resync")) syncAll(state);
  });
  syncRun(store.get());
  syncAll(store.get());
}

function isRunning(runState) {
  return runState === "training" || runState === "compiling";
}
