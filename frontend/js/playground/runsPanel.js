// The header's Runs menu: Save / Saved runs / Export and their panel (Compare is a link to
// compare.html). Saving names this run; the list reopens a saved run in this tab (it continues
// exactly where it was saved), exports or deletes it; Export downloads this run as a script, a
// notebook or its weights. The panel never drives the run: reopening asks `showRun` to follow the
// new session, as a classroom switch does.

import { element } from "../core/element.js";
import { deleteRun, exportUrl, getRun, listRuns, openRun, problemText, saveRun } from "../core/runsApi.js";

const FORMATS = [
  ["script", "Python script", "retrains it from its seed with jax and optax, prints its figures"],
  ["notebook", "Jupyter notebook", "the script in cells, with the loss curves and the decision map"],
  ["npz", "Weights (.npz)", "each layer's weights and biases, for numpy"],
];

const figure = (value, digits = 4) => (typeof value === "number" ? value.toFixed(digits) : "—");

function exportLinks(target, testPrefix) {
  const list = element("ul", { class: "runs-exports" });
  for (const [format, text, hint] of FORMATS) {
    const link = element("a", { href: exportUrl(target, format), download: "", testId: `${testPrefix}-${format}`, text });
    list.append(element("li", {}, link, element("span", { class: "share-hint", text: ` ${hint}` })));
  }
  return list;
}

function buildSaveForm(onSave) {
  const input = element("input", { id: "save-run-name", type: "text", maxlength: "64", testId: "save-run-name", autocomplete: "off" });
  const overwrite = element("input", { id: "save-run-overwrite", type: "checkbox", testId: "save-run-overwrite" });
  const submit = element("button", { type: "submit", class: "text-button", testId: "save-run-submit", text: "Save" });
  const form = element(
    "form",
    { class: "runs-save" },
    element("label", { for: input.id, text: "Name" }),
    element("div", { class: "share-field" }, input, submit),
    element("label", { class: "control-checkbox", for: overwrite.id }, overwrite, " Replace a saved run of this name"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    onSave(input.value, overwrite.checked);
  });
  return { form, input, overwrite };
}

function savedRow(run, actions) {
  const open = element("button", { type: "button", class: "text-button", testId: "saved-run-open", text: "Open" });
  const remove = element("button", { type: "button", class: "text-button", testId: "saved-run-delete", text: "Delete" });
  open.addEventListener("click", () => actions.open(run.name));
  remove.addEventListener("click", () => actions.remove(run.name));
  const details = element("details", { class: "runs-row-exports" }, element("summary", { text: "Export" }));
  details.append(exportLinks({ saved: run.name }, "saved-run-export"));
  const facts = `epoch ${run.epoch} · test loss ${figure(run.test_loss)}` +
    (typeof run.test_accuracy === "number" ? ` · accuracy ${figure(run.test_accuracy, 3)}` : "");
  return element(
    "li",
    { class: "runs-row", testId: "saved-run", "data-name": run.name },
    element("strong", { text: run.name }),
    element("span", { class: "share-hint", text: ` ${run.lab} · ${facts}` }),
    element("div", { class: "runs-row-actions" }, open, remove, details),
  );
}

/**
 * Wires the buttons {save, saved, export} to `panel`. `sessionId()` is this tab's run, `readOnly()`
 * whether the page watches another run (then there is nothing of its own to save or export);
 * `showRun({sessionId})` follows another session, `showHistory(history)` draws a reopened run's past
 * losses; `notify(message)` says what happened.
 */
export function createRunsPanel({ buttons, panel, sessionId, readOnly, showRun, showHistory, notify }) {
  const heading = element("h2", { id: "runs-heading" });
  const note = element("p", { class: "share-copied", "aria-live": "polite", testId: "runs-note" });
  const body = element("div");
  const close = element("button", { type: "button", class: "text-button share-close", testId: "runs-close", text: "Close" });
  panel.append(heading, body, note, close);
  panel.setAttribute("aria-labelledby", "runs-heading");
  let mode = null;

  function setOpen(next) {
    mode = next;
    note.textContent = "";
    panel.hidden = !next;
    for (const [name, button] of Object.entries(buttons)) button.setAttribute("aria-expanded", String(name === next));
    if (next) render();
  }

  const say = (text) => (note.textContent = text);

  async function save(name, overwrite) {
    try {
      const run = await saveRun(sessionId(), name, overwrite);
      say(`Saved “${run.name}” at epoch ${run.epoch}.`);
    } catch (error) {
      say(
        error.status === 409
          ? `A saved run named “${name.trim()}” already exists: choose another name, or tick “Replace”.`
          : `Not saved: ${problemText(error)}`,
      );
    }
  }

  const actions = {
    async open(name) {
      try {
        const { history } = await getRun(name);
        const session = await openRun(name);
        showRun({ sessionId: session.id });
        showHistory(history); // before its first frame: the socket opens after this turn
        setOpen(null);
        notify(`Reopened “${name}” at epoch ${session.epoch}: it continues where it was saved.`);
      } catch (error) {
        say(`Not reopened: ${problemText(error)}`);
      }
    },
    async remove(name) {
      try {
        await deleteRun(name);
        say(`Deleted “${name}”.`);
        render();
      } catch (error) {
        say(problemText(error));
      }
    },
  };

  async function render() {
    body.replaceChildren();
    if ((mode === "save" || mode === "export") && readOnly()) {
      heading.textContent = mode === "save" ? "Save this run" : "Export this run";
      const text = "You are watching a run read-only: you can save and export runs of your own.";
      body.append(element("p", { testId: "runs-read-only", text }));
    } else if (mode === "save") {
      heading.textContent = "Save this run";
      const { form, input } = buildSaveForm(save);
      body.append(form, element("p", { class: "share-hint", text: "Keeps its settings, weights, optimizer state, history and own data; reopen it from Saved runs." }));
      input.focus();
    } else if (mode === "export") {
      heading.textContent = "Export this run";
      body.append(exportLinks({ sessionId: sessionId() }, "export"));
    } else if (mode === "saved") {
      heading.textContent = "Saved runs";
      const list = element("ul", { class: "runs-list", testId: "saved-runs-list" });
      body.append(list, element("a", { href: "compare.html?live=1", testId: "saved-runs-compare", text: "Compare runs side by side →" }));
      try {
        const runs = await listRuns();
        list.append(...runs.map((run) => savedRow(run, actions)));
        if (!runs.length) list.append(element("li", { class: "share-hint", text: "No saved runs yet: Save keeps this one." }));
      } catch (error) {
        say(problemText(error));
      }
    }
  }

  for (const [name, button] of Object.entries(buttons)) {
    button.addEventListener("click", () => {
      button.closest("details")?.removeAttribute("open"); // the menu gives way to the panel
      setOpen(mode === name ? null : name);
    });
  }
  const menu = Object.values(buttons)[0].closest("details");
  document.addEventListener("click", (event) => {
    if (menu?.open && !menu.contains(event.target)) menu.open = false; // a click elsewhere closes it
  });
  close.addEventListener("click", () => setOpen(null));
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") setOpen(null);
  });
  setOpen(null);
  return { refresh: () => mode && render() };
}
