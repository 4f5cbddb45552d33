// Locking controls for the class: the teacher ticks controls by their names on the page (the settings'
// own labels), and each tick hides or shows that control on every student's page at once.

import { el } from "./dom.js";
import { lockableControls } from "./words.js";

/**
 * A disclosure with one checkbox per lockable control. `lock(names)` sends the whole list (a promise);
 * returns {element, show(locked)} (show: the room's list, as the server keeps it).
 */
export function createLockPicker(schema, lock, onError) {
  const controls = lockableControls(schema);
  const boxes = new Map();
  const grid = el("div", {
    className: "lock-options",
    attrs: { role: "group", "aria-label": "Lock for students" },
  });
  for (const [name, label] of controls) {
    const id = `lock-option-${name}`;
    const box = el("input", { testId: id, attrs: { type: "checkbox", id } });
    box.addEventListener("change", () => {
      const names = [...boxes].filter(([, b]) => b.checked).map(([n]) => n);
      lock(names).catch((error) => {
        box.checked = !box.checked; // the server kept the old list
        onError(error.message);
      });
    });
    boxes.set(name, box);
    grid.append(el("label", { className: "control-checkbox", attrs: { for: id } }, [box, ` ${label}`]));
  }
  const summary = el("summary", { testId: "lock-summary", text: "Lock controls for students" });
  const element = el("details", { className: "lock-picker", testId: "lock-picker" }, [summary, grid]);
  const labels = new Map(controls);

  function show(locked) {
    for (const [name, box] of boxes) box.checked = locked.includes(name);
    const names = locked.map((name) => labels.get(name) || name);
    summary.textContent = names.length
      ? `Locked for students: ${names.join(", ")}`
      : "Lock controls for students";
  }
  return { element, show };
}
