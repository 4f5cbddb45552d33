// The teacher's words for settings and controls: the settings table's own labels (/api/schema), never
// code names ("Learning rate 0.3", "Hidden layers 5, 2", "Features X₁, X₁²").

import { hideableControls } from "../playground/sharePanel.js";

/** The setting's label ("Learning rate" for learning_rate), or the name if the table has none. */
export function settingLabel(schema, name) {
  const setting = schema.settings.find((s) => s.name === name || s.url_key === name);
  return setting?.label || name;
}

/** A setting's value as a teacher reads it: lists with ", ", features by their labels, "none" for []. */
export function settingValue(schema, name, value) {
  if (Array.isArray(value)) {
    if (!value.length) return "none";
    const features = new Map(schema.features.map((f) => [f.name, f.label || f.name]));
    return value.map((v) => (name === "features" ? features.get(v) || v : String(v))).join(", ");
  }
  return String(value);
}

/** "Learning rate 0.3" */
export function settingText(schema, name, value) {
  return `${settingLabel(schema, name)} ${settingValue(schema, name, value)}`;
}

/** The controls a teacher can lock for the class, [name (as hide= knows it), label], in the table's words. */
export const lockableControls = hideableControls;
