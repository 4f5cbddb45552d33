// The sequence lab page: a session of its own, its websocket, and the views fed by its frames.
// State flows one way: controls -> server (JSON commands); server messages -> views. The address bar
// holds the settings (a settings link), never the session (kept in sessionStorage, per tab).

import { mountLabClassroom } from "../classroom/labPage.js";
import { configFromQuery, queryHasConfig, writeConfigToQuery } from "../core/settings.js";
import { accessToken } from "../core/api.js";
import { createStore } from "../core/store.js";
import { createStream, watchSocketUrl } from "../core/stream.js";
import { createWidget } from "../core/widgets.js";
import { createAccuracyChart } from "./accuracyChart.js";
import { createSequenceSession, sequenceSessionExists, sequenceSocketUrl } from "./api.js";
import { PRESETS } from "./presets.js";
import { createSideBySide } from "./sideBySide.js";
import { renderAttention, renderGates, renderGradient, renderHidden, renderTokenStrip } from "./views.js";

const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);
const SESSION_KEY = "nnplay-sequences-session";
const TEST_IDS = { task: "seq-task", model: "seq-model" };
const percent = (v) => (v === null || v === undefined ? "–" : `${(100 * v).toFixed(1)}%`);

function showError(text) {
  byTestId("error").textContent = text;
}

async function fetchSchema() {
  const response = await fetch("/api/sequences/schema");
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.json();
}

async function sessionId(schema) {
  const query = new URLSearchParams(window.location.search);
  const known = sessionStorage.getItem(SESSION_KEY);
  if (!queryHasConfig(schema, query) && known && (await sequenceSessionExists(known))) return known;
  const id = await createSequenceSession(configFromQuery(schema, query));
  sessionStorage.setItem(SESSION_KEY, id);
  return id;
}

function buildSettings(schema, send) {
  const widgets = {};
  const root = byTestId("settings");
  root.replaceChildren();
  for (const setting of schema.settings) {
    const widget = createWidget(setting, (value) => send({ type: "configure", changes: { [setting.name]: value } }), {
      testId: TEST_IDS[setting.name],
      formatChoice: setting.name === "task" ? (t) => schema.tasks[t]?.label ?? t : setting.name === "speed" ? (v) => (v === 0 ? "max" : `${v} / frame`) : String,
    });
    if (!widget) continue;
    root.append(widget.element);
    widgets[setting.name] = widget;
  }
  return widgets;
}

function buildPresets(send) {
  const root = byTestId("presets");
  root.replaceChildren(
    ...PRESETS.map((preset) => {
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.testid = `preset-${preset.id}`;
      button.textContent = preset.label;
      button.title = preset.note;
      button.addEventListener("click", () => send({ type: "configure", changes: preset.changes }));
      return button;
    }),
  );
}

function renderTyped(message) {
  const root = byTestId("seq-prediction");
  root.classList.toggle("bad", message.type === "error");
  if (message.type === "error") {
    root.textContent = message.message;
    return;
  }
  const right = message.correct.filter(Boolean).length;
  const cells = message.answer.map((symbol, i) => {
    const span = document.createElement("span");
    span.className = `cell ${message.correct[i] ? "right" : "wrong"}`;
    span.textContent = symbol + (message.correct[i] ? " ✓" : " ✗");
    span.title = `expected ${message.expected[i]}, confidence ${(100 * message.confidence[i]).toFixed(0)}%`;
    return span;
  });
  const strip = document.createElement("div");
  strip.className = "token-strip";
  const row = document.createElement("div");
  row.className = "row";
  row.append(...cells);
  strip.append(row);
  const summary = document.createElement("p");
  summary.textContent = `${message.sequence} → ${message.answer.join("")} (expected ${message.expected.join("")}: ${right} of ${message.expected.length} right, step ${message.epoch})`;
  root.replaceChildren(summary, strip);
}

async function main() {
  const lab = { state: "paused", connection: "connecting", config: null, schema: null, example: 0, frame: null, scores: false };
  const chart = createAccuracyChart(byTestId("seq-accuracy"));
  let stream = null;
  const send = (message) => stream?.send(message);
  let schema;
  try {
    schema = await fetchSchema();
  } catch (error) {
    showError(`could not load the sequence lab's settings: ${error.message}`);
    return;
  }
  lab.schema = schema;
  const widgets = buildSettings(schema, send);
  buildPresets(send);

  // Settings that mean nothing for the current model or task are hidden (heads for an LSTM, ...).
  const APPLIES = {
    heads: (c) => c.model === "transformer",
    positional: (c) => c.model === "transformer",
    vocab: (c) => schema.tasks[c.task]?.seq2seq,
    momentum: (c) => ["momentum", "nesterov", "adam", "adamw"].includes(c.optimizer),
    weight_decay: (c) => c.optimizer === "adamw",
    schedule_epochs: (c) => c.schedule !== "constant",
    schedule_factor: (c) => c.schedule === "step",
  };

  function setConfig(config, extras) {
    lab.config = config;
    for (const [name, widget] of Object.entries(widgets)) {
      widget.sync(config[name]);
      widget.element.hidden = APPLIES[name] ? !APPLIES[name](config) : false;
    }
    const maxSpeed = config.speed === 0;
    byTestId("max-speed").setAttribute("aria-pressed", String(maxSpeed));
    if (!document.body.classList.contains("watching")) {
      const url = new URL(window.location.href);
      writeConfigToQuery(schema, config, url.searchParams);
      window.history.replaceState(null, "", url);
    }
    if (extras?.alphabet) {
      lab.alphabet = extras.alphabet;
      byTestId("seq-alphabet").textContent = `(symbols ${extras.alphabet.split("").join(" ")}, at most ${config.length})`;
    }
    if (extras?.bucket) {
      const b = extras.bucket;
      byTestId("bucket").textContent = `Compiled for up to ${b.width} units, ${b.steps} steps, ${b.layers} layer(s): edits within this bucket compile nothing.`;
    }
  }

  function renderStatus() {
    const status = byTestId("status");
    status.dataset.state = lab.state;
    status.textContent = lab.connection === "connected" ? `connected · ${lab.state === "compiling" ? "compiling…" : lab.state}` : `${lab.connection}…`;
    const play = byTestId("play");
    const training = lab.state === "training";
    play.setAttribute("aria-pressed", String(training));
    play.setAttribute("aria-label", lab.state === "compiling" ? "Compiling the network…" : training ? "Pause" : "Play");
    play.textContent = lab.state === "compiling" ? "compiling…" : training ? "❚❚" : "▶";
    if (!training) byTestId("epochs-per-second").textContent = "–";
  }

  function onFrame(frame) {
    lab.frame = frame;
    lab.example = frame.example.index;
    const task = schema.tasks[lab.config.task];
    byTestId("epoch").textContent = String(frame.epoch);
    byTestId("test-sequence-accuracy").textContent = task.regression ? `MSE ${frame.test.mse?.toFixed(4)}` : percent(frame.test.sequence_accuracy);
    byTestId("test-token-accuracy").textContent = percent(frame.test.token_accuracy);
    byTestId("test-loss").textContent = frame.test_loss === null ? "–" : frame.test_loss.toFixed(4);
    const speed = frame.state === "training" ? frame.epochs_per_second : 0;
    byTestId("epochs-per-second").textContent = speed ? speed.toFixed(0) : "–";
    byTestId("example-label").textContent = `test sequence ${frame.example.index + 1} of ${schema.examples}`;
    chart.add(frame);
    const readThenAnswer = task.seq2seq && lab.config.model !== "transformer";
    renderTokenStrip(byTestId("token-strip"), frame.example, { symbols: schema.symbols, regression: task.regression, readThenAnswer });
    renderHidden(byTestId("hidden-state"), frame.hidden);
    renderGates(byTestId("gates"), frame.gates, lab.config.model);
    renderGradient(byTestId("grad-through-time"), frame.grad_through_time, frame.connectivity);
    renderAttention(byTestId("attention-map"), frame, { scores: lab.scores, heads: lab.config.heads });
  }

  function onMessage(message) {
    switch (message.type) {
      case "hello":
        lab.state = message.state;
        if (message.watch_id && !message.read_only) {
          const link = new URL("sequences.html", window.location.href);
          link.searchParams.set("watch", message.watch_id);
          byTestId("watch-link").href = link.href;
        }
        lab.configVersion = message.config_version ?? 0;
        setConfig(message.config, message);
        renderStatus();
        break;
      case "config":
        lab.configVersion = Math.max(lab.configVersion ?? 0, message.config_version ?? 0);
        setConfig(message.config, message);
        if (message.fresh_run) chart.reset();
        break;
      case "status":
        lab.state = message.state;
        if (message.state === "error") showError(message.message);
        renderStatus();
        break;
      case "frame":
        if ((message.config_version ?? 0) < (lab.configVersion ?? 0)) break; // made by a config that is gone
        onFrame(message);
        break;
      case "prediction":
        renderTyped(message);
        break;
      case "error":
        if (message.field === "sequence") renderTyped(message);
        else showError(message.message);
        break;
      default:
        break;
    }
  }

  byTestId("play").addEventListener("click", () => {
    showError("");
    send({ type: lab.state === "training" ? "pause" : "start" });
  });
  byTestId("step").addEventListener("click", () => send({ type: "step", epochs: 1 }));
  byTestId("reset").addEventListener("click", () => {
    chart.reset();
    send({ type: "reset" });
  });
  byTestId("max-speed").addEventListener("click", () => {
    const toMax = lab.config?.speed !== 0;
    send({ type: "configure", changes: { speed: toMax ? 0 : 1 } });
  });
  const selectExample = (delta) => send({ type: "select_example", index: (lab.example + delta + schema.examples) % schema.examples });
  byTestId("example-prev").addEventListener("click", () => selectExample(-1));
  byTestId("example-next").addEventListener("click", () => selectExample(1));
  byTestId("attention-scores").addEventListener("change", (event) => {
    lab.scores = event.target.checked;
    if (lab.frame) renderAttention(byTestId("attention-map"), lab.frame, { scores: lab.scores, heads: lab.config.heads });
  });
  byTestId("seq-form").addEventListener("submit", (event) => {
    event.preventDefault();
    send({ type: "predict", sequence: byTestId("seq-input").value });
  });

  // A watch link (?watch=<watch id>) follows someone's run read-only: a teacher's, in class. In a room
  // the classroom switches the page between watching the teacher and driving one's own fork.
  const READ_ONLY_CONTROLS =
    ".seq-settings-panel select, .seq-settings-panel input, .seq-settings-panel button, .run-buttons button, [data-testid='seq-form'] button, [data-testid='side-by-side-start']";
  function setReadOnly(readOnly) {
    document.body.classList.toggle("watching", readOnly);
    for (const control of document.querySelectorAll(READ_ONLY_CONTROLS)) control.disabled = readOnly;
    byTestId("watch-note").hidden = !readOnly;
  }
  const watching = new URLSearchParams(window.location.search).get("watch");
  if (!watching) createSideBySide(byTestId("side-by-side"), { schema, currentConfig: () => lab.config, showError });
  setReadOnly(Boolean(watching));
  let id;
  try {
    id = watching ? null : await sessionId(schema);
  } catch (error) {
    showError(`could not start a sequence-lab session: ${error.message}`);
    return;
  }
  const store = createStore({ sessionId: id, readOnly: Boolean(watching), schema, hide: [] });
  store.subscribe((state, changed) => {
    if (changed.has("readOnly")) setReadOnly(Boolean(state.readOnly));
  });
  let classroom = null;
  stream = createStream({
    url: watching ? watchSocketUrl(watching, accessToken()) : sequenceSocketUrl(id),
    onMessage,
    onConnection: (state) => {
      lab.connection = state;
      renderStatus();
    },
    onFatalClose: () => {
      if (classroom?.handleFatalClose()) return;
      sessionStorage.removeItem(SESSION_KEY);
      showError("this session has ended; reload the page for a new one");
    },
  });
  // The classroom (classroom/labPage.js): a room opened from this page, or joined by its link
  // (sequences.html?room=CODE), switches the run the page shows.
  const reset = () => {
    chart.reset();
    lab.frame = null;
    lab.configVersion = 0;
  };
  if (!watching) {
    classroom = mountLabClassroom({ lab: "sequences", store, stream, socketUrl: sequenceSocketUrl, reset, showError });
  }
}

main();
