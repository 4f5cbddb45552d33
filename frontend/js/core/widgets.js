// Form widgets for single settings, built from a settings-table entry.
// Each widget is {element, sync(value)}; `commit(value)` is called on a user change.
// Every widget shows its setting's `help` as a tooltip (hover and keyboard focus).

import { attachHelp } from "./tooltip.js";

let nextId = 0;
const MAX_SLIDER_STOPS = 200;

/** "learning_rate" -> "learning-rate": the control's data-testid. */
export function testIdOf(name) {
  return name.replaceAll("_", "-");
}

function uniqueId(name) {
  nextId += 1;
  return `control-${testIdOf(name)}-${nextId}`;
}

function sameValue(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

function labelled(setting, control) {
  const wrapper = document.createElement("div");
  wrapper.className = `control control-${testIdOf(setting.name)}`;
  const label = document.createElement("label");
  label.htmlFor = control.id;
  label.textContent = setting.label || setting.name;
  wrapper.append(label, control);
  attachHelp(wrapper, setting.help, control);
  return wrapper;
}

/**
 * A <select> over setting.choices; option values are indices so floats round-trip exactly.
 * `formatChoice(choice)` gives an option's text; `testId` overrides the default data-testid.
 */
export function createSelect(setting, commit, { formatChoice = String, testId } = {}) {
  const select = document.createElement("select");
  select.id = uniqueId(setting.name);
  select.dataset.testid = testId || testIdOf(setting.name);
  let choices = [];

  function renderOptions(newChoices) {
    choices = newChoices;
    select.replaceChildren(
      ...choices.map((choice, i) => {
        const option = document.createElement("option");
        option.value = String(i);
        option.textContent = formatChoice(choice);
        return option;
      }),
    );
  }
  renderOptions(setting.choices.slice());

  select.addEventListener("change", () => commit(choices[Number(select.value)]));

  return {
    element: labelled(setting, select),
    sync(value) {
      let index = setting.choices.findIndex((choice) => sameValue(choice, value));
      if (index < 0 && value !== undefined) {
        // A value the server accepted but the choices do not list (e.g. from a URL).
        renderOptions([...setting.choices, value]);
        index = choices.length - 1;
      } else if (choices.length !== setting.choices.length) {
        renderOptions(setting.choices.slice());
      }
      // Only the selection changes, so a list the user has open is not rebuilt under them.
      select.value = String(index);
    },
  };
}

/**
 * Keeps what a person is typing or dragging: a value that arrives meanwhile (another page's edit, a
 * teacher's push) waits until they leave the input without committing, or is dropped when they commit
 * theirs (the server then sends the config their edit made).
 */
function guardEdits(input, apply) {
  let editing = false;
  let pending = null;
  input.addEventListener("input", () => {
    editing = true;
  });
  input.addEventListener("change", () => {
    editing = false;
    pending = null;
  });
  input.addEventListener("blur", () => {
    editing = false;
    if (pending !== null) apply(pending);
    pending = null;
  });
  return (value) => {
    if (editing && document.activeElement === input) pending = value;
    else apply(value);
  };
}

function sliderStep(setting) {
  return setting.step ?? (setting.type === "int" ? 1 : (setting.max - setting.min) / 100);
}

/** A range input with its current value shown next to it; commits on release. */
export function createRange(setting, commit) {
  const input = document.createElement("input");
  input.type = "range";
  input.id = uniqueId(setting.name);
  input.dataset.testid = testIdOf(setting.name);
  input.min = String(setting.min);
  input.max = String(setting.max);
  input.step = String(sliderStep(setting));
  const readout = document.createElement("output");
  readout.htmlFor = input.id;
  readout.className = "range-value";
  const showValue = () => {
    readout.textContent = input.value;
  };
  input.addEventListener("input", showValue);
  input.addEventListener("change", () => commit(Number(input.value)));
  const element = labelled(setting, input);
  element.querySelector("label").append(" ", readout);
  const sync = guardEdits(input, (value) => {
    input.value = String(value);
    showValue();
  });
  return { element, sync };
}

/** A number input, for numeric settings without both bounds. */
export function createNumber(setting, commit) {
  const input = document.createElement("input");
  input.type = "number";
  input.id = uniqueId(setting.name);
  input.dataset.testid = testIdOf(setting.name);
  if (setting.min !== undefined && setting.min !== null) input.min = String(setting.min);
  if (setting.max !== undefined && setting.max !== null) input.max = String(setting.max);
  input.step = String(setting.step ?? (setting.type === "int" ? 1 : "any"));
  input.addEventListener("change", () => {
    if (input.value !== "") commit(Number(input.value));
  });
  const sync = guardEdits(input, (value) => {
    input.value = String(value);
  });
  return { element: labelled(setting, input), sync };
}

/** A button with aria-pressed; `sync(pressed)` sets its state. */
export function createToggleButton({ testId, text, title, onClick }) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "toggle";
  button.dataset.testid = testId;
  button.textContent = text;
  if (title) button.title = title;
  button.setAttribute("aria-pressed", "false");
  button.addEventListener("click", onClick);
  return {
    element: button,
    sync(pressed) {
      button.setAttribute("aria-pressed", String(Boolean(pressed)));
    },
  };
}

/** Picks the widget a setting's type and bounds call for; `options` go to createSelect. */
export function createWidget(setting, commit, options = {}) {
  if (Array.isArray(setting.choices) && setting.type !== "features") {
    return createSelect(setting, commit, options);
  }
  if (setting.type === "int" || setting.type === "float") {
    // A slider only where every stop can be reached by hand (not, say, a 31-bit seed).
    const bounded = Number.isFinite(setting.min) && Number.isFinite(setting.max);
    const stops = bounded ? (setting.max - setting.min) / sliderStep(setting) : Infinity;
    return stops <= MAX_SLIDER_STOPS ? createRange(setting, commit) : createNumber(setting, commit);
  }
  return null;
}
