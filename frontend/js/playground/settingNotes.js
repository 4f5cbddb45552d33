// Notes under two settings that explain what a choice means right now: which losses the data
// allows (the others are disabled), and that a new choice of initial weights waits for a reset.

import { labelKind, validLosses } from "../core/settings.js";

const LOSS_NOTES = {
  multi: "Multi-class data trains on cross-entropy: a softmax over one output per class.",
  binary:
    "Two classes: square error after a tanh, or cross-entropy after a sigmoid. Huber is for regression.",
  value: "Regression: square error, or Huber (outliers pull less). Cross-entropy is for classes.",
};

/** Only the losses the current data allows can be chosen; a note says why. */
export function addLossChoices({ schema, setting, wrapper, syncers }) {
  const select = wrapper.querySelector("select");
  const note = document.createElement("p");
  note.className = "setting-note";
  note.id = "loss-note";
  note.dataset.testid = "loss-note";
  const describedBy = select.getAttribute("aria-describedby") || "";
  select.setAttribute("aria-describedby", `${describedBy} loss-note`.trim());
  wrapper.append(note);
  syncers.push((state) => {
    const valid = validLosses(schema, state.config);
    for (const option of select.options) {
      const choice = setting.choices[Number(option.value)];
      option.disabled = choice !== undefined && !valid.includes(choice);
    }
    note.textContent = LOSS_NOTES[labelKind(schema, state.config)];
  });
}

/**
 * New initial weights only come with a reset: say so, louder once the choice differs from the
 * weights in use (`state.initInEffect`, which the page updates when it sends a reset).
 */
export function addResetNote({ wrapper, syncers }) {
  const note = document.createElement("p");
  note.className = "setting-note";
  note.id = "init-note";
  note.dataset.testid = "init-note";
  const control = wrapper.querySelector("select, input");
  control.setAttribute("aria-describedby", `${control.getAttribute("aria-describedby") || ""} init-note`.trim());
  wrapper.append(note);
  syncers.push((state) => {
    const pending = state.initInEffect !== undefined && state.config.init !== state.initInEffect;
    note.classList.toggle("pending", pending);
    note.textContent = pending
      ? `Applies at the next reset: press Reset (r) to start from ${state.config.init} weights.`
      : "Applies at the next reset.";
  });
}
