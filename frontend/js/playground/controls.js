// Builds every control from the /api/schema settings table and keeps them in step
// with the store. Controls never talk to the socket: user changes go out through
// the `onConfigure(changes)` / `onCommand(type)` / `onView(patch)` / `onPreset(preset)`
// callbacks. Each control carries its setting's help as a tooltip and can be hidden
// by name (the `hide` URL parameter).

import { createLayerEditor } from "./layerEditor.js";
import { createDatasetPicker } from "./datasetPicker.js";
import { addLossChoices, addResetNote } from "./settingNotes.js";
import { limitsForMode, problemOfDataset, settingApplies, withConsistentLoss } from "../core/settings.js";
import { attachHelp } from "../core/tooltip.js";
import { createSelect, createWidget, testIdOf } from "../core/widgets.js";

// Where settings go: the toolbar holds the few every lesson touches, the data panel the
// data settings, the training panel the optimizer and stopping groups, the network panel the
// network's; the rest go to "More settings", one section per group.
const SLOT_OF_NAME = {
  speed: "run",
  problem: "toolbar",
  learning_rate: "toolbar",
  activation: "toolbar",
  regularization: "toolbar",
  regularization_rate: "toolbar",
  seed: "extra",
  shuffle: "extra",
};
const SLOT_OF_GROUP = { data: "data", hyper: "optimizer", stopping: "stopping", network: "network" };
// A global setting whose per-layer list is emptied with it, so that every layer follows the new value.
const PER_LAYER_LIST = { activation: "layer_activations", dropout: "layer_dropout" };
// Per-layer settings edited in the layer editor, above each hidden layer.
const PER_LAYER_SETTINGS = [
  {
    list: "layer_activations",
    global: "activation",
    testId: "layer-activation",
    label: "Activation",
    format: String,
  },
  { list: "layer_dropout", global: "dropout", testId: "layer-dropout", label: "Dropout", format: String },
];
const GROUP_TITLES = { hyper: "Optimizer", stopping: "Stopping", network: "Network", data: "Data", output: "Output" };

const RUN_HELP = {
  play: "Start or pause training (shortcut: Space).",
  step: "Train exactly one epoch, then pause (shortcut: →).",
  reset: "Start over: new initial weights from the seed, epoch 0 (shortcut: r).",
};

function formatSpeed(epochs) {
  if (epochs === 0) return "max";
  return `${epochs} / frame`;
}

/**
 * slots: {toolbar, run, data, datasets, layers, extra, view, presets, regenerate, optimizer,
 * stopping, network} container elements (a missing one sends its settings to "More settings");
 * run: {play, step, reset} buttons already in the page.
 * Returns {register(names, element), hide(names)}.
 */
export function createControls({ schema, store, slots, run, onConfigure, onCommand, onView, onPreset }) {
  const syncers = []; // (state, changed) => void, run on every config/view change and on re-sync
  const hideable = new Map(); // lower-cased name -> elements

  function register(names, element) {
    for (const name of names) {
      if (!name) continue;
      const key = String(name).toLowerCase();
      if (!hideable.has(key)) hideable.set(key, []);
      hideable.get(key).push(element);
    }
  }

  // Run buttons: play toggles between start and pause by the training state.
  run.play.addEventListener("click", () => onCommand(isRunning(store.get().runState) ? "pause" : "start"));
  run.step.addEventListener("click", () => onCommand("step"));
  run.reset.addEventListener("click", () => onCommand("reset"));
  for (const [name, button] of Object.entries(run)) {
    attachHelp(button, RUN_HELP[name]);
    register([name], button);
  }
  function syncRun(state) {
    const running = isRunning(state.runState);
    run.play.setAttribute("aria-pressed", String(running));
    run.play.querySelector(".glyph").textContent = running ? "❚❚" : "▶";
  }

  const extraSections = new Map();
  function extraSection(group) {
    if (!extraSections.has(group)) {
      const fieldset = document.createElement("fieldset");
      fieldset.className = "settings-section stacked-settings";
      const legend = document.createElement("legend");
      legend.textContent = GROUP_TITLES[group] || group.charAt(0).toUpperCase() + group.slice(1);
      fieldset.append(legend);
      slots.extra.append(fieldset);
      extraSections.set(group, fieldset);
    }
    return extraSections.get(group);
  }

  for (const setting of schema.settings) {
    if (setting.name === "dataset") {
      const sync = createDatasetPicker({
        schema,
        store,
        setting,
        slot: slots.datasets,
        onConfigure,
        register,
        settingNames,
      });
      syncers.push(sync);
    }
    else if (setting.name === "problem") buildProblem(setting);
    else if (setting.type === "features") continue; // the network diagram's input column
    else if (setting.type === "layers") buildLayers(setting);
    else if (setting.type === "choice_list" || setting.type === "float_list") continue; // in the layer editor
    else buildGeneric(setting);
  }
  buildRegenerate();
  buildPresets();
  buildViewOptions();

  function settingNames(setting) {
    return [setting.name, setting.url_key, testIdOf(setting.name)];
  }

  function buildGeneric(setting) {
    const options = setting.name === "speed" ? { formatChoice: formatSpeed } : {};
    const perLayer = PER_LAYER_LIST[setting.name];
    const hasPerLayer = perLayer && schema.settings.some((s) => s.name === perLayer);
    const commit = (value) => {
      const changes = { [setting.name]: value };
      if (hasPerLayer) changes[perLayer] = [];
      // The loss's own choices are limited to consistent ones; anything else brings the loss along.
      onConfigure(
        setting.name === "loss" ? changes : withConsistentLoss(schema, store.get().config, changes),
      );
    };
    const widget = createWidget(setting, commit, options);
    if (!widget) return;
    const slotName = SLOT_OF_NAME[setting.name] || SLOT_OF_GROUP[setting.group] || "extra";
    const slot = slotName === "extra" || !slots[slotName] ? extraSection(setting.group) : slots[slotName];
    slot.append(widget.element);
    register(settingNames(setting), widget.element);
    syncers.push((state) => widget.sync(state.config[setting.name]));
    if (schema.applies_when?.[setting.name]) {
      // Not `hidden`: that belongs to the `hide` URL parameter, which must keep winning.
      syncers.push((state) => {
        widget.element.dataset.applies = String(settingApplies(schema, setting.name, state.config));
      });
    }
    if (setting.name === "init") addResetNote({ wrapper: widget.element, syncers });
    if (setting.name === "speed") addMaxSpeedButton(widget.element);
    if (setting.name === "loss") addLossChoices({ schema, setting, wrapper: widget.element, syncers });
  }

  // Switching the problem type picks that problem's first data set: both go in one configure.
  function buildProblem(setting) {
    const widget = createSelect(
      setting,
      (problem) => {
        const changes = { [setting.name]: problem };
        const currentProblem = problemOfDataset(schema, store.get().config.dataset);
        // A data set made for the other problem is swapped; one for any problem is kept.
        if (setting.choices.includes(currentProblem) && currentProblem !== problem) {
          const first = schema.datasets.find((d) => d.problem === problem);
          if (first) changes.dataset = first.name;
        }
        onConfigure(withConsistentLoss(schema, store.get().config, changes));
      },
      { testId: "problem-type" },
    );
    slots[SLOT_OF_NAME.problem].append(widget.element);
    register([...settingNames(setting), "problem-type", "problemType"], widget.element);
    syncers.push((state) => widget.sync(state.config[setting.name]));
  }

  // The layer editor also holds the per-layer settings: one select per hidden layer for each.
  function buildLayers(setting) {
    const byName = new Map(schema.settings.map((s) => [s.name, s]));
    const perLayer = PER_LAYER_SETTINGS.filter(
      ({ list, global }) => byName.has(list) && byName.has(global),
    ).map((spec) => {
      const listSetting = byName.get(spec.list);
      const fallback = byName.get(spec.global).choices || [];
      const choices = listSetting.choices?.length ? listSetting.choices : fallback;
      return { ...spec, choices, help: listSetting.help };
    });
    const editor = createLayerEditor(slots.layers, {
      layersName: setting.name,
      perLayer,
      commit: onConfigure,
    });
    attachHelp(slots.layers, setting.help);
    register([...settingNames(setting), "layers", "layer-editor"], slots.layers);
    syncers.push((state) => editor.sync(state.config, limitsForMode(schema, state.config.mode)));
  }

  // A new random seed: the same data set, freshly sampled (the seed goes into the link).
  function buildRegenerate() {
    const seed = schema.settings.find((s) => s.name === "seed");
    if (!seed) return;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "text-button";
    button.dataset.testid = "regenerate";
    button.textContent = "Regenerate data";
    const max = Number.isFinite(seed.max) ? seed.max : 2 ** 31 - 1;
    const min = Number.isFinite(seed.min) ? seed.min : 0;
    button.addEventListener("click", () =>
      onConfigure({ seed: min + Math.floor(Math.random() * (max - min + 1)) }),
    );
    const wrapper = document.createElement("div");
    wrapper.className = "control regenerate";
    wrapper.append(button);
    slots.regenerate.append(wrapper);
    attachHelp(wrapper, `Samples the data again with a new random seed. ${seed.help || ""}`.trim(), button);
    register(["regenerate", "regenerateData", "regenerate-data"], wrapper);
  }

  // Lessons: one select (a lesson loads in one choice; its description then shows on the page).
  function buildPresets() {
    const presets = Array.isArray(schema.presets) ? schema.presets : [];
    const control = slots.presets.closest(".control") || slots.presets;
    if (presets.length === 0) {
      control.hidden = true;
      return;
    }
    const prompt = document.createElement("option");
    prompt.value = "";
    prompt.textContent = "Choose a lesson…";
    slots.presets.append(prompt);
    for (const preset of presets) {
      const option = document.createElement("option");
      option.value = preset.name;
      option.textContent = preset.label || preset.name;
      option.title = preset.description || "";
      slots.presets.append(option);
    }
    // The menu shows the lesson the learner is in until they leave it ("Choose a lesson…" leaves).
    slots.presets.addEventListener("change", () => {
      onPreset(presets.find((p) => p.name === slots.presets.value) || null);
    });
    syncers.push((state) => {
      const value = presets.some((p) => p.name === state.lesson) ? state.lesson : "";
      if (slots.presets.value !== value) slots.presets.value = value;
    });
    attachHelp(
      control,
      "Loads a lesson: its settings from epoch 0, what to do and what to look for.",
      slots.presets,
    );
    register(["presets", "lessons"], control);
  }

  // "max" one click away from any other speed, and back to the speed it came from.
  function addMaxSpeedButton(wrapper) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "toggle speed-max";
    button.dataset.testid = "speed-max";
    button.textContent = "max";
    button.setAttribute("aria-pressed", "false");
    button.setAttribute("aria-label", "Maximum speed");
    let previous = schema.page_defaults?.speed || 1;
    button.addEventListener("click", () => {
      const speed = store.get().config.speed;
      if (speed !== 0) previous = speed;
      onConfigure({ speed: speed === 0 ? previous : 0 });
    });
    const select = wrapper.querySelector("select");
    const row = document.createElement("div");
    row.className = "inline-row";
    select.replaceWith(row);
    row.append(select, button);
    attachHelp(button, "Trains as fast as the device allows (click again for the pace you had).");
    syncers.push((state) => button.setAttribute("aria-pressed", String(state.config.speed === 0)));
  }

  // Client-only view options (not settings: they never reach the server).
  function buildViewOptions() {
    const options = [
      {
        key: "showTestData",
        testId: "show-test-data",
        text: "Show test data",
        help: "Draws the held-out test points too (outlined in black): the net never trains on them.",
      },
      {
        key: "discretize",
        testId: "discretize",
        text: "Discretize output",
        help:
          "Shows only the predicted class (the sign of the output, or the most likely of several classes) " +
          "instead of the shades of confidence.",
      },
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
      attachHelp(label, option.help, input);
      register([option.key, option.testId], label);
      syncers.push((state) => {
        input.checked = Boolean(state.view[option.key]);
      });
    }
  }

  function syncAll(state, changed) {
    if (!state.config) return;
    for (const sync of syncers) sync(state, changed);
  }

  store.subscribe((state, changed) => {
    if (changed.has("runState")) syncRun(state);
    // "resync" is bumped after a rejected configure, to undo what the user changed.
    if (["config", "view", "resync", "data", "initInEffect", "lesson"].some((key) => changed.has(key))) {
      syncAll(state, changed);
    }
  });
  syncRun(store.get());
  syncAll(store.get(), null);

  function setHidden(names, hidden) {
    for (const name of names) {
      const key = String(name).trim().toLowerCase();
      for (const element of hideable.get(key) || []) element.hidden = hidden;
      // The per-layer selects are rebuilt with the layers: hidden by a class on their editor.
      for (const spec of PER_LAYER_SETTINGS) {
        const aliases = [spec.list, spec.global, spec.testId].map((n) => n.toLowerCase());
        const urlKeys = schema.settings
          .filter((s) => s.name === spec.list || s.name === spec.global)
          .map((s) => String(s.url_key || "").toLowerCase());
        if ([...aliases, ...urlKeys, ...aliases.map(testIdOf)].includes(key)) {
          slots.layers.classList.toggle(`hide-${spec.testId}`, hidden);
        }
      }
    }
  }

  return {
    register,
    /** Hides the controls named (setting names, URL keys or control names), for classroom links. */
    hide(names) {
      setHidden(names, true);
    },
    /** Shows again controls hidden by `hide` (a teacher unlocked them). */
    show(names) {
      setHidden(names, false);
    },
  };
}

function isRunning(runState) {
  return runState === "training" || runState === "compiling";
}
