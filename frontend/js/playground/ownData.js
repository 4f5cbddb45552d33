// "Your own data": draw points on the output heat map or upload them as CSV. In draw mode a
// click on the map adds a point of the chosen class (or value, for regression) where it
// landed; shift-click, or the remove tool, takes away the nearest point. The map can be used
// from the keyboard too: arrow keys move a cross-hair, Enter adds, Delete removes. The first
// edit switches the session to the data set "custom"; its points come back as a `data`
// message like any other data set's. Nothing here starts training.

import { ApiError, validationMessages } from "../core/api.js";
import { attachHelp } from "../core/tooltip.js";
import { createToggleButton } from "../core/widgets.js";

const KEY_STEP = 0.5; // plane units per arrow key press (Shift: ×4)
const DECIMALS = 2;

function button(testId, text, className = "text-button") {
  const element = document.createElement("button");
  element.type = "button";
  element.className = className;
  element.dataset.testid = testId;
  element.textContent = text;
  return element;
}

function round(value) {
  return Number(value.toFixed(DECIMALS));
}

function formatCoordinate(value) {
  return value.toFixed(1).replace("-", "−");
}

/**
 * tools: the container for the buttons; note: a polite live region for what happened;
 * plane: the heat map element (its box is the [lo, hi]² plane, row 0 = top = x2 hi);
 * domain [lo, hi]; store; send(message); upload(csvText) -> Promise<{points}>; uploadLimits
 * {max_bytes, max_points} (what a file may hold: a bigger one is refused here, in words);
 * onError(message). Returns {setDrawing(on)}.
 */
export function createOwnDataTools({
  tools,
  note,
  hint,
  plane,
  domain = [-6, 6],
  store,
  send,
  upload,
  uploadLimits,
  onError,
}) {
  const [lo, hi] = domain;
  let drawing = false;
  let tool = "positive"; // "positive" | "negative" | "remove" (classification); "value" | "remove"
  let cursor = { x1: 0, x2: 0 };

  const drawToggle = createToggleButton({
    testId: "draw-mode",
    text: "✎ Draw points",
    onClick: () => setDrawing(!drawing),
  });
  drawToggle.element.classList.add("draw-toggle");
  attachHelp(
    drawToggle.element,
    "Draw your own data: click the output map to add a point of the chosen class, shift-click to " +
      "remove the nearest one. The first point switches to 'Your own data', starting from the points shown.",
  );

  // The point to add: a class (classification) or a value (regression), or the remove tool.
  const choices = document.createElement("div");
  choices.className = "draw-choices";
  choices.setAttribute("role", "group");
  choices.setAttribute("aria-label", "Point to add");
  const positive = createToggleButton({ testId: "draw-class-pos", text: "+1", onClick: () => setTool("positive") });
  const negative = createToggleButton({ testId: "draw-class-neg", text: "−1", onClick: () => setTool("negative") });
  positive.element.setAttribute("aria-label", "Add class +1 (blue)");
  negative.element.setAttribute("aria-label", "Add class −1 (orange)");
  positive.element.classList.add("class-choice", "class-positive");
  negative.element.classList.add("class-choice", "class-negative");
  const valueLabel = document.createElement("label");
  valueLabel.className = "draw-value";
  const valueInput = document.createElement("input");
  valueInput.type = "number";
  valueInput.step = "any";
  valueInput.value = "1";
  valueInput.dataset.testid = "draw-value";
  valueInput.addEventListener("focus", () => setTool("value"));
  valueLabel.append("Value ", valueInput);
  const remove = createToggleButton({ testId: "draw-remove", text: "Remove", onClick: () => setTool("remove") });
  remove.element.setAttribute("aria-label", "Remove the nearest point (or shift-click)");
  choices.append(positive.element, negative.element, valueLabel, remove.element);

  const clear = button("clear-points", "Clear points");
  attachHelp(clear, "Removes every point: your own data starts from an empty plane.");
  clear.addEventListener("click", () => {
    send({ type: "clear_points" });
    note.textContent = "Cleared the points: draw some, or upload a CSV file.";
  });

  const fileLabel = document.createElement("label");
  fileLabel.className = "text-button file-button";
  const fileInput = document.createElement("input");
  fileInput.type = "file";
  fileInput.accept = ".csv,text/csv";
  fileInput.dataset.testid = "csv-upload";
  fileInput.className = "visually-hidden";
  fileLabel.append("Upload CSV…", fileInput);
  attachHelp(
    fileLabel,
    "Loads points from a CSV file: rows of x1,x2,label (a header row is optional), x1 and x2 between " +
      `${lo} and ${hi}; labels 1 and −1 (or 0) for classification, numbers for regression.`,
    fileInput,
  );
  fileInput.addEventListener("change", () => uploadFile(fileInput.files[0]));

  tools.append(drawToggle.element, choices, clear, fileLabel);

  // The keyboard cross-hair over the plane.
  const crosshair = document.createElement("div");
  crosshair.className = "draw-cursor";
  crosshair.setAttribute("aria-hidden", "true");
  plane.append(crosshair);

  function classification() {
    return store.get().config.problem !== "regression";
  }

  function setTool(value) {
    tool = value;
    syncChoices();
  }

  function syncChoices() {
    const classify = classification();
    if (classify && tool === "value") tool = "positive";
    if (!classify && (tool === "positive" || tool === "negative")) tool = "value";
    positive.element.hidden = !classify;
    negative.element.hidden = !classify;
    valueLabel.hidden = classify;
    positive.sync(tool === "positive");
    negative.sync(tool === "negative");
    remove.sync(tool === "remove");
    valueLabel.classList.toggle("active", tool === "value");
  }

  function setDrawing(on) {
    drawing = on;
    drawToggle.sync(drawing);
    choices.hidden = !drawing;
    hint.hidden = !drawing;
    plane.classList.toggle("drawing", drawing);
    if (drawing) {
      plane.tabIndex = 0;
      plane.setAttribute("role", "application");
      plane.setAttribute(
        "aria-label",
        "Drawing plane: click to add a point, shift-click to remove the nearest; " +
          "arrow keys move the cross-hair, Enter adds, Delete removes, Escape stops drawing",
      );
    } else {
      plane.removeAttribute("tabindex");
      plane.removeAttribute("role");
      plane.removeAttribute("aria-label");
      crosshair.classList.remove("shown");
    }
    syncChoices();
  }

  // Pixel -> plane: the element's content box spans [lo, hi] both ways, x2 = hi on the top row.
  function planePoint(event) {
    const box = plane.getBoundingClientRect();
    const fx = (event.clientX - box.left - plane.clientLeft) / plane.clientWidth;
    const fy = (event.clientY - box.top - plane.clientTop) / plane.clientHeight;
    const clamp = (v) => Math.max(lo, Math.min(hi, v));
    return { x1: round(clamp(lo + fx * (hi - lo))), x2: round(clamp(hi - fy * (hi - lo))) };
  }

  function label() {
    if (tool === "negative") return -1;
    if (tool === "positive") return 1;
    return Number(valueInput.value);
  }

  function addOrRemove({ x1, x2 }, removing) {
    const where = `(${formatCoordinate(x1)}, ${formatCoordinate(x2)})`;
    if (removing) {
      send({ type: "remove_point", x1, x2 });
      note.textContent = `Removed the point nearest ${where}, if one lay within 0.5.`;
      return;
    }
    const value = label();
    if (valueInput.value.trim() === "" || !Number.isFinite(value)) {
      onError("Type the value of the point to add (a number).");
      return;
    }
    send({ type: "add_point", x1, x2, label: value });
    const what = classification() ? `a point of class ${value > 0 ? "+1" : "−1"}` : `a point of value ${value}`;
    note.textContent = `Added ${what} at ${where}.`;
  }

  plane.addEventListener("click", (event) => {
    if (!drawing) return;
    addOrRemove(planePoint(event), event.shiftKey || tool === "remove");
  });

  function showCrosshair() {
    crosshair.style.left = `${((cursor.x1 - lo) / (hi - lo)) * 100}%`;
    crosshair.style.top = `${((hi - cursor.x2) / (hi - lo)) * 100}%`;
    crosshair.classList.add("shown");
  }

  plane.addEventListener("focus", () => {
    if (drawing) showCrosshair();
  });
  plane.addEventListener("blur", () => crosshair.classList.remove("shown"));
  plane.addEventListener("keydown", (event) => {
    if (!drawing) return;
    const step = event.shiftKey ? KEY_STEP * 4 : KEY_STEP;
    const moves = { ArrowLeft: [-step, 0], ArrowRight: [step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
    if (moves[event.key]) {
      const [dx, dy] = moves[event.key];
      cursor = {
        x1: round(Math.max(lo, Math.min(hi, cursor.x1 + dx))),
        x2: round(Math.max(lo, Math.min(hi, cursor.x2 + dy))),
      };
      showCrosshair();
    } else if (event.key === "Enter" || event.key === " ") {
      addOrRemove(cursor, tool === "remove");
    } else if (event.key === "Delete" || event.key === "Backspace") {
      addOrRemove(cursor, true);
    } else if (event.key === "Escape") {
      setDrawing(false);
      drawToggle.element.focus();
    } else {
      return;
    }
    event.preventDefault(); // not a page shortcut (Space plays, → steps)
  });

  async function uploadFile(file) {
    if (!file) return;
    const limit = uploadLimits?.max_bytes;
    if (limit && file.size > limit) {
      onError(tooBig(file, limit, uploadLimits.max_points));
      fileInput.value = "";
      return;
    }
    try {
      const result = await upload(await file.text());
      note.textContent = `Loaded ${result.points} points from ${file.name}.`;
    } catch (error) {
      const problems = error instanceof ApiError ? validationMessages(error) : [];
      const why = problems.length ? problems.map((p) => p.message).join("; ") : error.message;
      // The server's own size guard answers 413 before the file is read: say it in words.
      if (error instanceof ApiError && error.status === 413) onError(tooBig(file, limit, uploadLimits?.max_points));
      else onError(`Could not use ${file.name}: ${why}`);
      note.textContent = "";
    } finally {
      fileInput.value = ""; // choosing the same file again must fire "change" again
    }
  }

  // Your own data has two classes (or values): the multi-class sets' points cannot seed it.
  let multiClass = false;
  function syncMultiClass(data) {
    const now = Boolean(data && data.classes > 2);
    if (now === multiClass) return;
    multiClass = now;
    if (multiClass) setDrawing(false);
    for (const control of [drawToggle.element, clear, fileInput]) control.disabled = multiClass;
    fileLabel.classList.toggle("disabled", multiClass);
    note.textContent = multiClass
      ? "Your own data has two classes (+1 and −1): choose 'Your own data' or a two-class data set " +
        "to draw or upload points."
      : "";
  }

  store.subscribe((state, changed) => {
    if (changed.has("data")) syncMultiClass(state.data);
    if (changed.has("config")) syncChoices();
    // The own data set, still empty: drawing is the way to fill it, so the tools open by themselves.
    if (changed.has("data") && state.data && state.config.dataset === "custom" && !drawing) {
      if (state.data.trainY.length + state.data.testY.length === 0) setDrawing(true);
    }
  });
  setDrawing(false);

  return { setDrawing };
}

/** Why a file cannot be uploaded, in words: its size, the limit and what fits in it. */
function tooBig(file, limit, maxPoints) {
  const kb = (bytes) => `${Math.ceil(bytes / 1024).toLocaleString("en")} KB`;
  const size = Number.isFinite(file.size) ? ` is ${kb(file.size)}` : " is too big";
  const fits = limit ? `a file may have up to ${kb(limit)}` : "it is over the limit";
  const points = maxPoints ? ` and ${maxPoints.toLocaleString("en")} points` : "";
  return `${file.name}${size}: ${fits}${points}. Keep fewer points, or fewer digits per number.`;
}
