// The compare page: pick 2-4 runs (saved ones, and this tab's live run), then draw what the server
// compared: a summary, the settings that differ, and its plotly figures (loss curves overlaid,
// decision maps, confusion matrices), the same specs its offline HTML report draws.

import { element } from "../core/element.js";
import { loadPlotly, PLOT_CONFIG } from "../core/plotting.js";
import { compareReport, compareRuns, downloadBlob, listRuns, problemText } from "../core/runsApi.js";

const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);
const LIVE_KEY = "nnplay.session"; // the playground tab's run (playground/session.js)
const MAX_RUNS = 4;

function liveSessionId() {
  try {
    return window.sessionStorage.getItem(LIVE_KEY);
  } catch {
    return null;
  }
}

const show = (value) => {
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : value.toPrecision(4);
  if (Array.isArray(value)) return value.length ? value.join(", ") : "—";
  return value === null || value === undefined ? "—" : String(value);
};

// `format` shows a cell's value: figures to 4 significant digits, settings as they are.
function fillTable(table, columns, rows, format = show) {
  const head = element("tr", {}, ...columns.map((c) => element("th", { scope: "col", text: c })));
  const body = rows.map((row) => element("tr", {}, ...row.map((v) => element("td", { text: format(v) }))));
  table.replaceChildren(element("thead", {}, head), element("tbody", {}, ...body));
}

const asIs = (value) => (Array.isArray(value) ? (value.length ? value.join(", ") : "—") : show(value === null ? null : String(value)));

/** One checkbox per run that can be compared; ticked: the live run and the newest saved ones. */
function buildPicker(picker, saved, query) {
  const choices = [];
  const add = (ref, text, ticked) => {
    const id = `compare-pick-${choices.length}`;
    const box = element("input", { type: "checkbox", id, testId: "compare-pick" });
    box.checked = ticked;
    picker.append(element("label", { class: "control-checkbox", for: id }, box, ` ${text}`));
    choices.push({ ref, box });
  };
  const live = liveSessionId();
  if (live) add({ session: live }, "This tab's live run", query.get("live") === "1");
  const wanted = query.getAll("saved");
  for (const run of saved) {
    const ticked = wanted.length ? wanted.includes(run.name) : false;
    add({ saved: run.name }, `${run.name} (epoch ${run.epoch})`, ticked);
  }
  // Nothing asked for: the live run and the newest saved runs, up to four.
  if (!choices.some((c) => c.box.checked)) choices.slice(0, MAX_RUNS).forEach((c) => (c.box.checked = true));
  return () => choices.filter((c) => c.box.checked).map((c) => c.ref);
}

async function draw(result) {
  const Plotly = await loadPlotly();
  fillTable(
    byTestId("compare-summary"),
    ["run", "from", "lab", "epoch", "train loss", "test loss", "train accuracy", "test accuracy"],
    result.runs.map((r) => [r.label, r.source, r.lab, r.epoch, r.train_loss, r.test_loss, r.train_accuracy, r.test_accuracy]),
  );
  const diff = result.config_diff.map((d) => [d.label, ...d.values]);
  const names = ["setting", ...result.runs.map((r) => r.label)];
  fillTable(byTestId("compare-diff"), names, diff.length ? diff : [["(none: the same settings)"]], asIs);
  byTestId("compare-results").hidden = false;
  await Plotly.react(byTestId("compare-loss"), result.loss.data, result.loss.layout, PLOT_CONFIG);
  const multiples = [
    ["compare-maps", result.maps, "compare-map"],
    ["compare-confusions", result.confusions, "compare-confusion"],
  ];
  for (const [slot, specs, testId] of multiples) {
    // Every cell first, then the plots: each is drawn at the width its cell has in the full grid.
    const cells = specs.filter(Boolean).map((spec) => [element("div", { testId }), spec]);
    byTestId(slot).replaceChildren(...cells.map(([div]) => div));
    for (const [div, spec] of cells) await Plotly.newPlot(div, spec.data, spec.layout, PLOT_CONFIG);
  }
  document.body.dataset.compared = String(result.runs.length);
}

async function start() {
  const note = byTestId("compare-note");
  const query = new URLSearchParams(window.location.search);
  let saved = [];
  try {
    saved = await listRuns();
  } catch (error) {
    note.textContent = problemText(error);
  }
  const picked = buildPicker(byTestId("compare-picker"), saved, query);
  const checked = () => {
    const runs = picked();
    if (runs.length < 2 || runs.length > MAX_RUNS) {
      note.textContent = `Pick 2 to ${MAX_RUNS} runs (${runs.length} picked).`;
      return null;
    }
    return runs;
  };
  async function compare() {
    const runs = checked();
    if (!runs) return;
    note.textContent = "Comparing…";
    try {
      await draw(await compareRuns(runs));
      note.textContent = "";
    } catch (error) {
      note.textContent = problemText(error);
    }
  }
  byTestId("compare-show").addEventListener("click", compare);
  byTestId("compare-report").addEventListener("click", async () => {
    const runs = checked();
    if (!runs) return;
    try {
      downloadBlob(await compareReport(runs, "nnplay: runs compared"), "nnplay-comparison.html");
    } catch (error) {
      note.textContent = problemText(error);
    }
  });
  if (picked().length >= 2) compare();
  else note.textContent = saved.length ? "Pick 2 to 4 runs." : "Save runs in the playground (Save), then compare them here.";
}

start();
