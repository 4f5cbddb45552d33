// Wires the page: schema -> session -> store; controls -> store/socket;
// socket messages -> store -> renderers. Only this module touches the socket.

import { accessToken, fetchSchema, uploadPoints } from "./api.js";
import { createControls } from "./controls.js";
import { bindDivergenceBanner } from "./divergence.js";
import { decodeData, decodeFrame } from "./frames.js";
import { createHeatmap } from "./heatmap.js";
import { installClassroom } from "./classroom/index.js";
import { createInsightPanel } from "./insights.js";
import { createLegend } from "./legend.js";
import { createLossChart } from "./lossChart.js";
import { createNetworkView } from "./network.js";
import { createOwnDataTools } from "./ownData.js";
import { createValuePopover } from "./popover.js";
import { bindReadouts } from "./readouts.js";
import { createSessionDroppingInvalid, resolveSession, writeSessionToUrl } from "./session.js";
import { defaultConfig, outputCount, withConsistentLoss } from "./settings.js";
import { installShortcuts } from "./shortcuts.js";
import { createStore } from "./store.js";
import { CLOSE_FOREIGN_ORIGIN, CLOSE_UNKNOWN_SESSION, createStream, sessionSocketUrl } from "./stream.js";

const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);

// The server refuses edited weights and biases beyond this (docs/protocol.md, set_weight).
const MAX_EDIT_VALUE = 100;

function showFatal(message) {
  const status = byTestId("status");
  status.textContent = message;
  status.dataset.state = "failed";
}

async function start() {
  const schema = await fetchSchema();
  const { session, notices } = await resolveSession(schema);

  const store = createStore({
    schema,
    sessionId: session.id,
    config: session.config,
    configVersion: null,
    connection: "connecting",
    runState: session.state || "paused",
    statusMessage: "",
    device: "",
    epoch: session.epoch ?? 0,
    frame: null,
    data: null,
    error: notices.length ? { message: `Ignored settings from the link: ${notices.join("; ")}` } : null,
    resync: 0,
    view: { showTestData: false, discretize: false },
    // The init setting the current weights were made with, as far as this page knows: a new
    // choice only applies at the next reset.
    initInEffect: session.config.init,
    readOnly: false, // classroom: the page watches someone else's run
  });
  writeSessionToUrl(schema, session.id, session.config);

  let stream = null;
  const send = (message) => stream.send(message);

  const isRunning = () => ["training", "compiling"].includes(store.get().runState);
  const command = (type) => {
    if (store.get().readOnly) return; // watching: the shortcuts must not try to drive the run
    if (type === "reset") store.set({ initInEffect: store.get().config.init });
    send({ type });
  };

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
    onConfigure: (changes) => send({ type: "configure", changes }),
    onCommand: command,
    onView: (patch) => store.set({ view: { ...store.get().view, ...patch } }),
    // A preset is a whole lesson: the defaults overlaid by its settings, started from epoch 0.
    onPreset: (preset) => {
      const lesson = { ...defaultConfig(schema), ...preset.config };
      const changes = withConsistentLoss(schema, lesson, lesson);
      send({ type: "configure", changes });
      send({ type: "reset" });
      store.set({ initInEffect: changes.init });
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
  const insights = createInsightPanel(byTestId("insight-body"), byTestId("insight-toggle"));
  createOwnDataTools({
    tools: byTestId("own-data-tools"),
    note: byTestId("own-data-note"),
    hint: byTestId("own-data-hint"),
    plane: byTestId("output-heatmap"),
    domain: schema.grid?.domain,
    store,
    send,
    upload: (csvText) => uploadPoints(store.get().sessionId, csvText),
    onError: (message) => store.set({ error: { message } }),
  });
  const popover = createValuePopover();
  const hidden = (new URLSearchParams(window.location.search).get("hide") || "")
    .split(",")
    .map((name) => name.trim())
    .filter(Boolean);
  const network = createNetworkView(byTestId("network"), {
    features: schema.features,
    domain: schema.grid?.domain,
    featuresHelp: schema.settings.find((s) => s.name === "features")?.help,
    // Hiding "features" locks the inputs: only the active ones show, and they cannot be toggled.
    lockFeatures: hidden.some((name) => name.toLowerCase() === "features"),
    outputCount: (config) => outputCount(schema, config),
    onToggleFeature: (name) => {
      const order = schema.features.map((f) => f.name);
      const active = new Set(store.get().config.features || []);
      if (active.has(name)) active.delete(name);
      else active.add(name);
      send({ type: "configure", changes: { features: order.filter((f) => active.has(f)) } });
    },
    onInspect: (target) => heatmap.inspect(target),
    onEdit: (edit) =>
      popover.open({
        anchor: edit.anchor,
        label: edit.label,
        value: edit.value,
        max: MAX_EDIT_VALUE,
        onCommit: (value) => {
          network.noteEdit(edit, value);
          send(
            edit.kind === "weight"
              ? { type: "set_weight", layer: edit.layer, source: edit.source, target: edit.target, value }
              : { type: "set_bias", layer: edit.layer, neuron: edit.neuron, value },
          );
        },
      }),
  });
  network.setConfig(store.get().config);
  insights.setConfig(store.get().config);
  controls.register(["own-data", "ownData", "draw"], byTestId("own-data"));
  controls.register(["insight", "insights"], byTestId("insight-panel"));
  controls.hide(hidden);

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
    if (changed.has("view")) heatmap.setOptions(state.view);
    if (changed.has("config")) {
      network.setConfig(state.config);
      insights.setConfig(state.config);
      writeSessionToUrl(schema, state.sessionId, state.config);
    }
  });

  function handleMessage(message) {
    switch (message.type) {
      case "hello":
        store.set({
          config: message.config,
          configVersion: message.config_version ?? null,
          runState: message.state,
          statusMessage: message.message || "",
          epoch: message.epoch,
          device: message.device,
        });
        break;
      case "status":
        store.set({
          runState: message.state,
          epoch: message.epoch ?? store.get().epoch,
          statusMessage: message.message || "",
        });
        break;
      case "config":
        store.set({ config: message.config, configVersion: message.config_version, error: null });
        break;
      case "error":
        store.set({
          error: { message: message.message, field: message.field, code: message.code },
          resync: store.get().resync + 1,
        });
        break;
      case "data":
        store.set({ data: decodeData(message) });
        break;
      case "frame": {
        // The run state comes only from hello/status: frames are latest-wins and can
        // overtake a status message, so a frame's state may already be stale.
        const frame = decodeFrame(message);
        store.set({ frame, epoch: frame.epoch });
        break;
      }
      default: // "pong" and anything newer than this page
        break;
    }
  }

  // The server forgot the session (e.g. it restarted): carry on in a new one with the same config.
  async function replaceSession(code) {
    if (code !== CLOSE_UNKNOWN_SESSION) {
      const why =
        code === CLOSE_FOREIGN_ORIGIN ? "this page's origin is not allowed" : "a valid ?token= is required";
      store.set({ error: { message: `The server refused the connection: ${why}.` } });
      return;
    }
    const lost = store.get().sessionId;
    const { session: fresh } = await createSessionDroppingInvalid(store.get().config);
    store.set({
      sessionId: fresh.id,
      config: fresh.config,
      epoch: 0,
      frame: null,
      error: {
        message: `The server no longer had session ${lost}; started a new one with the same settings.`,
      },
    });
    lossChart.reset();
    network.reset();
    heatmap.reset();
    insights.reset();
    writeSessionToUrl(schema, fresh.id, fresh.config);
    stream.setUrl(sessionSocketUrl(fresh.id, accessToken()));
  }

  // Classroom mode points the page at another run: a session it drives, or a watch link (read-only).
  function showRun({ sessionId = null, watchUrl = null }) {
    lossChart.reset();
    network.reset();
    heatmap.reset();
    insights.reset();
    store.set({ frame: null, epoch: 0, readOnly: Boolean(watchUrl), ...(sessionId ? { sessionId } : {}) });
    if (sessionId) writeSessionToUrl(schema, sessionId, store.get().config);
    stream.setUrl(watchUrl || sessionSocketUrl(store.get().sessionId, accessToken()));
  }
  let classroom = null;

  stream = createStream({
    url: sessionSocketUrl(session.id, accessToken()),
    onMessage: handleMessage,
    onConnection: (connection) => store.set({ connection }),
    onFatalClose: (code) => {
      if (code === CLOSE_UNKNOWN_SESSION && classroom?.handleFatalClose()) return;
      replaceSession(code).catch((error) => showFatal(`Could not start a new session: ${error.message}`));
    },
  });
  classroom = installClassroom({
    container: byTestId("classroom"),
    store,
    showRun,
    hideControls: (names) => controls.hide(names),
    notify: (message) => store.set({ error: { message } }),
  });
  window.addEventListener("pagehide", () => stream.close());
  // A page restored from the back/forward cache has a closed socket: start afresh.
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) window.location.reload();
  });
}

start().catch((error) => {
  console.warn("nnplay: start-up failed", error);
  showFatal(`Could not reach the nnplay server (${error.message}). Reload to try again.`);
});
