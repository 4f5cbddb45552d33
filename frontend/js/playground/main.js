// Wires the page: schema + address -> session -> store; controls -> store/socket; socket
// messages -> store -> renderers; store -> address bar. Only connection.js touches the socket.

import { installClassroom } from "../classroom/index.js";
import { accessToken, fetchSchema, uploadPoints } from "../core/api.js";
import { createValuePopover } from "../core/popover.js";
import { attachHelp } from "../core/tooltip.js";
import { outputCount, pageDefaultConfig, withConsistentLoss } from "../core/settings.js";
import { createStore } from "../core/store.js";
import { sessionSocketUrl } from "../core/stream.js";
import { connect } from "./connection.js";
import { createControls } from "./controls.js";
import { bindDivergenceBanner } from "./divergence.js";
import { createHeatmap } from "./heatmap.js";
import { createInsightPanel } from "./insights.js";
import { createLegend } from "./legend.js";
import { createLossChart } from "./lossChart.js";
import { createNetworkView } from "./network.js";
import { bindNotice, passingNotice } from "./notices.js";
import { createOwnDataTools } from "./ownData.js";
import { bindPageLesson } from "./pageLesson.js";
import { bindPanels } from "./panels.js";
import { bindReadouts } from "./readouts.js";
import { createRunsPanel } from "./runsPanel.js";
import { rememberSessionId, resolveSession } from "./session.js";
import { createSharePanel } from "./sharePanel.js";
import { installShortcuts } from "./shortcuts.js";
import { readPageUrl, writePageUrl } from "./urlState.js";
import { reportViewer } from "./viewerReport.js";
import { enterReadOnly } from "./watchMode.js";

const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);

function showFatal(message) {
  const status = byTestId("status");
  status.textContent = message;
  status.dataset.state = "failed";
}

/** The store's first state: this tab's session (or the run it watches) and the address's view. */
async function initialState(schema) {
  const url = readPageUrl(schema);
  const view = { showTestData: false, discretize: false, lossLogX: false, keepWeights: false, ...url.view };
  const common = {
    schema,
    configVersion: null,
    connection: "connecting",
    statusMessage: "",
    device: "",
    frame: null,
    data: null,
    resync: 0,
    view,
    open: url.open,
    hide: url.hide,
    notice: null,
    watchId: null,
    // The one-click lesson the learner is in (its text stays up until they leave it).
    lesson: (schema.presets || []).some((p) => p.name === url.lesson) ? url.lesson : null,
  };
  const ignored = (notices) => (notices.length ? { message: `Ignored from the link: ${notices.join("; ")}` } : null);
  if (url.watch) {
    // Until the server's hello names the watched run's settings, show the defaults.
    return {
      ...common,
      watching: url.watch,
      readOnly: true,
      sessionId: null,
      config: pageDefaultConfig(schema),
      runState: "paused",
      epoch: 0,
      error: null,
      initInEffect: undefined,
    };
  }
  const { session, notices } = await resolveSession(schema, url);
  return {
    ...common,
    watching: null,
    readOnly: false,
    sessionId: session.id,
    config: session.config,
    runState: session.state || "paused",
    epoch: session.epoch ?? 0,
    error: ignored([...url.notices, ...notices]),
    // The init setting the current weights were made with, as far as this page knows: a new
    // choice only applies at the next reset.
    initInEffect: session.config.init,
  };
}

async function start() {
  const schema = await fetchSchema();
  const store = createStore(await initialState(schema));
  const urlState = () => {
    const state = store.get();
    // A watcher's address names the run it follows; its settings come from that run.
    const config = state.watching ? null : state.config;
    const { view, open, hide, lesson } = state;
    return { config, view, open, hide, watch: state.watching, lesson };
  };
  writePageUrl(schema, urlState());

  let connection = null;
  const send = (message) => connection.send(message);
  const isRunning = () => ["training", "compiling"].includes(store.get().runState);
  const command = (type) => {
    if (store.get().readOnly) return; // watching: the shortcuts must not try to drive the run
    if (type === "reset") store.set({ initInEffect: store.get().config.init });
    send({ type });
  };
  // In reference mode a change of data or network starts a fresh run, unless the learner asked
  // to keep the weights.
  const configure = (changes, keepWeights = store.get().view.keepWeights) =>
    send({ type: "configure", changes, ...(keepWeights ? { keep_weights: true } : {}) });
  const setView = (patch) => store.set({ view: { ...store.get().view, ...patch } });

  const controls = createControls({
    schema,
    store,
    slots: {
      toolbar: byTestId("toolbar-settings"),
      run: byTestId("run-settings"),
      data: byTestId("data-settings"),
      datasets: byTestId("datasets"),
      layers: byTestId("layer-editor"),
      extra: byTestId("extra-settings"),
      view: byTestId("view-options"),
      presets: byTestId("presets"),
      regenerate: byTestId("data-actions"),
      optimizer: byTestId("optimizer-settings"),
      stopping: byTestId("stopping-settings"),
      network: byTestId("network-settings"),
    },
    run: { play: byTestId("play"), step: byTestId("step"), reset: byTestId("reset") },
    onConfigure: (changes) => configure(changes),
    onCommand: command,
    onView: setView,
    // A lesson: the page's defaults (its watchable pace too) overlaid by its settings, started
    // from epoch 0 (the reset that follows makes new weights, so the configure need not start a
    // fresh run of its own). Its text stays up until the learner leaves it (null).
    onPreset: (preset) => {
      if (!preset) {
        store.set({ lesson: null });
        return;
      }
      const lesson = { ...pageDefaultConfig(schema), ...preset.config };
      const changes = withConsistentLoss(schema, lesson, lesson);
      configure(changes, true);
      send({ type: "reset" });
      store.set({ initInEffect: changes.init, notice: null, lesson: preset.name });
    },
  });

  installShortcuts(document, {
    playPause: () => command(isRunning() ? "pause" : "start"),
    step: () => command("step"),
    reset: () => command("reset"),
  });

  bindReadouts(
    store,
    {
      epoch: byTestId("epoch"),
      lossTrain: byTestId("loss-train"),
      lossTest: byTestId("loss-test"),
      accuracyTrain: byTestId("accuracy-train"),
      accuracyTest: byTestId("accuracy-test"),
      speed: byTestId("epochs-per-second"),
      status: byTestId("status"),
      error: byTestId("error"),
      errorText: byTestId("error-text"),
      errorDismiss: byTestId("error-dismiss"),
    },
    () => store.set({ error: null }),
  );
  bindDivergenceBanner(
    store,
    {
      banner: byTestId("divergence"),
      headline: byTestId("divergence-headline"),
      message: byTestId("divergence-message"),
      rollback: byTestId("rollback"),
    },
    () => command("rollback"),
  );
  bindNotice(store, {
    box: byTestId("notice"),
    title: byTestId("notice-title"),
    text: byTestId("notice-text"),
    dismiss: byTestId("notice-dismiss"),
  });
  bindPageLesson(store, schema.presets || [], {
    card: byTestId("page-lesson"),
    title: byTestId("page-lesson-title"),
    text: byTestId("page-lesson-text"),
    lookFor: byTestId("page-lesson-look-for"),
    leave: byTestId("lesson-leave"),
  });
  describeFreshRunRule(schema, byTestId("keep-weights").closest("label"));
  describeTouch(document.querySelector(".network-hint"));

  const featureLabels = new Map(schema.features.map((f) => [f.name, f.label || f.name]));
  const heatmap = createHeatmap(byTestId("output-heatmap"), {
    domain: schema.grid?.domain,
    caption: byTestId("heatmap-caption"),
    featureLabels,
  });
  const legend = createLegend({
    scale: byTestId("legend-scale"),
    binary: byTestId("legend-binary"),
    negative: byTestId("legend-negative"),
    positive: byTestId("legend-positive"),
    classes: byTestId("legend-classes"),
  });
  const lossChart = createLossChart(byTestId("loss-chart"));
  const insights = createInsightPanel(byTestId("insight-body"));
  createOwnDataTools({
    tools: byTestId("own-data-tools"),
    note: byTestId("own-data-note"),
    hint: byTestId("own-data-hint"),
    plane: byTestId("output-heatmap"),
    domain: schema.grid?.domain,
    store,
    send,
    upload: (csvText) => uploadPoints(store.get().sessionId, csvText),
    uploadLimits: schema.upload,
    onError: (message) => store.set({ error: { message } }),
  });
  const network = createNetwork(schema, store, { heatmap, configure, send });
  insights.setConfig(store.get().config);

  controls.register(["own-data", "ownData", "draw"], byTestId("own-data"));
  controls.register(["insight", "insights"], byTestId("insight-panel"));
  controls.register(["toolbox"], byTestId("toolbox-toggle"));
  controls.register(["toolbox"], byTestId("toolbox"));
  controls.register(["keepWeights", "keep-weights"], byTestId("keep-weights").closest("label"));
  controls.register(["lossLogX", "loss-log-x"], byTestId("loss-log-x").closest("label"));
  controls.hide(store.get().hide);

  bindPanels(store, {
    toolbox: {
      toggle: byTestId("toolbox-toggle"),
      panel: byTestId("toolbox"),
      apply: (open) => (byTestId("toolbox").hidden = !open),
    },
    layers: {
      toggle: byTestId("layers-toggle"),
      panel: byTestId("layer-editor"),
      apply: (open) => byTestId("layer-editor").classList.toggle("per-layer-open", open),
    },
    insights: {
      toggle: byTestId("insight-toggle"),
      panel: byTestId("insight-panel"),
      apply: (open) => insights.setOpen(open),
    },
  });
  bindViewToggles(store, setView, { keepWeights: byTestId("keep-weights"), lossLogX: byTestId("loss-log-x") });

  const share = createSharePanel({
    schema,
    button: byTestId("share"),
    panel: byTestId("share-panel"),
    state: () => {
      const state = store.get();
      const { config, view, open, watchId, lesson } = state;
      return { config, view, open, watchId, lesson };
    },
  });
  createRunsPanel({
    buttons: { save: byTestId("save-run"), saved: byTestId("saved-runs"), export: byTestId("export") },
    panel: byTestId("runs-panel"),
    sessionId: () => store.get().sessionId,
    readOnly: () => store.get().readOnly,
    showHistory: (history) => showLossHistory(lossChart, history),
    showRun: (target) => showRun(target), // defined below; called only once the page runs
    notify: (message) => store.set({ notice: passingNotice("Saved runs", message) }),
  });
  if (store.get().readOnly) enterReadOnly(schema, store);

  store.subscribe((state, changed) => {
    if (changed.has("frame") && state.frame) {
      heatmap.update(state.frame);
      lossChart.update(state.frame);
      network.update(state.frame);
      insights.update(state.frame);
    }
    if (changed.has("data") && state.data) {
      heatmap.setData(state.data);
      legend.setData(state.data);
    }
    if (changed.has("view")) {
      heatmap.setOptions(state.view);
      lossChart.setLogX(state.view.lossLogX);
    }
    if (changed.has("config")) {
      network.setConfig(state.config);
      insights.setConfig(state.config);
    }
    if (["config", "view", "open", "watchId", "lesson"].some((key) => changed.has(key))) {
      writePageUrl(schema, urlState());
      share.refresh();
    }
  });
  heatmap.setOptions(store.get().view);
  lossChart.setLogX(store.get().view.lossLogX);

  const views = {
    reset() {
      lossChart.reset();
      network.reset();
      heatmap.reset();
      insights.reset();
    },
  };
  let classroom = null;
  connection = connect(store, views, { onUnknownSession: () => Boolean(classroom?.handleFatalClose()) });
  reportViewer(store, send);
  // Classroom mode points the page at another run: a session it drives, or a watch link (read-only).
  const showRun = ({ sessionId = null, watchUrl = null }) => {
    views.reset();
    store.set({ frame: null, epoch: 0, readOnly: Boolean(watchUrl), ...(sessionId ? { sessionId } : {}) });
    if (sessionId) rememberSessionId(sessionId);
    connection.setUrl(watchUrl || sessionSocketUrl(store.get().sessionId, accessToken()));
  };
  classroom = installClassroom({
    container: byTestId("classroom"),
    store,
    showRun,
    hideControls: (names) => controls.hide(names),
    // A control the page's own link hides (hide=) stays hidden when the teacher unlocks it.
    showControls: (names) => {
      const linkHidden = new Set((store.get().hide || []).map((n) => String(n).trim().toLowerCase()));
      controls.show(names.filter((n) => !linkHidden.has(String(n).trim().toLowerCase())));
    },
    notify: (message) => store.set({ error: { message, source: "classroom" } }),
    // A class action that worked makes the class's last error untrue: it goes.
    clearNotify: () => {
      if (store.get().error?.source === "classroom") store.set({ error: null });
    },
    announce: (title, text, ms) => store.set({ notice: passingNotice(title, text, ms) }),
  });
}

/** A reopened run's past losses ({epoch, train_loss, test_loss} lists) drawn as the frames it showed. */
function showLossHistory(chart, history) {
  (history?.epoch || []).forEach((epoch, i) => {
    const [trainLoss, testLoss] = [history.train_loss[i], history.test_loss[i]];
    if (trainLoss !== null && testLoss !== null) chart.update({ epoch, trainLoss, testLoss });
  });
}

/** The keep-weights checkbox says the one rule for a change (schema.fresh_run), in the settings' words. */
function describeFreshRunRule(schema, label) {
  const rule = schema.fresh_run;
  if (!rule || !label) return;
  const names = new Map(schema.settings.map((s) => [s.name, s.label || s.name]));
  const list = (reasons) =>
    rule.rules
      .filter((r) => reasons.some((word) => r.reason.startsWith(word)))
      .flatMap((r) => r.settings.map((name) => (names.get(name) || name).toLowerCase()))
      .join(", ");
  const text =
    `A change of the data (${list(["new data", "new problem"])}) or of the network ` +
    `(${list(["new network"])}) starts a fresh run: new weights, epoch 0, as in TensorFlow Playground. ` +
    "Any other change (the learning rate, for one) keeps training the weights you have. " +
    "Tick this to keep them for every change." +
    (rule.modes.length === 1 ? ` (In ${rule.modes[0]} mode; extended mode always keeps them.)` : "");
  label.dataset.rule = text;
  attachHelp(label, text, label.querySelector("input"));
}

/** On a touch screen the network's hint says "tap", as a tap there shows (and Edit edits). */
function describeTouch(hint) {
  if (!hint || !window.matchMedia("(hover: none)").matches) return;
  hint.textContent =
    "Tap a feature to use it. Tap a neuron to see its output, a link for its weight; then Edit to change it.";
}

/** The network diagram, its weight/bias editor and the feature toggles. */
function createNetwork(schema, store, { heatmap, configure, send }) {
  const popover = createValuePopover();
  const hidden = store.get().hide.map((name) => name.toLowerCase());
  const network = createNetworkView(byTestId("network"), {
    features: schema.features,
    domain: schema.grid?.domain,
    featuresHelp: schema.settings.find((s) => s.name === "features")?.help,
    // Hiding "features" locks the inputs: only the active ones show, and they cannot be toggled.
    lockFeatures: hidden.includes("features") || store.get().readOnly,
    outputCount: (config) => outputCount(schema, config),
    onToggleFeature: (name) => {
      const order = schema.features.map((f) => f.name);
      const active = new Set(store.get().config.features || []);
      if (active.has(name)) active.delete(name);
      else active.add(name);
      configure({ features: order.filter((f) => active.has(f)) });
    },
    onInspect: (target) => heatmap.inspect(target),
    onEdit: (edit) => {
      if (store.get().readOnly) return;
      popover.open({
        anchor: edit.anchor,
        label: edit.label,
        value: edit.value,
        max: schema.max_edit_value, // the server refuses edits beyond it
        onCommit: (value) => {
          network.noteEdit(edit, value);
          send(
            edit.kind === "weight"
              ? { type: "set_weight", layer: edit.layer, source: edit.source, target: edit.target, value }
              : { type: "set_bias", layer: edit.layer, neuron: edit.neuron, value },
          );
        },
      });
    },
  });
  network.setConfig(store.get().config);
  return network;
}

/** Checkboxes bound to boolean view options. */
function bindViewToggles(store, setView, inputs) {
  for (const [key, input] of Object.entries(inputs)) {
    input.addEventListener("change", () => setView({ [key]: input.checked }));
  }
  const sync = (state) => {
    for (const [key, input] of Object.entries(inputs)) input.checked = Boolean(state.view[key]);
  };
  store.subscribe((state, changed) => {
    if (changed.has("view")) sync(state);
  });
  sync(store.get());
}

start().catch((error) => {
  console.warn("nnplay: start-up failed", error);
  showFatal(`Could not reach the nnplay server (${error.message}). Reload to try again.`);
});
