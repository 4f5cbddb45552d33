// Wires the page: schema -> session -> store; controls -> store/socket;
// socket messages -> store -> renderers. Only this module touches the socket.

import { accessToken, fetchSchema } from "./api.js";
import { createControls } from "./controls.js";
import { decodeData, decodeFrame } from "./frames.js";
import { createHeatmap } from "./heatmap.js";
import { createLossChart } from "./lossChart.js";
import { createNetworkView } from "./network.js";
import { bindReadouts } from "./readouts.js";
import { createSessionDroppingInvalid, resolveSession, writeSessionToUrl } from "./session.js";
import { createStore } from "./store.js";
import { CLOSE_FOREIGN_ORIGIN, CLOSE_UNKNOWN_SESSION, createStream, sessionSocketUrl } from "./stream.js";

const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);

// Divergence is shown in the error area too: its advice is too long for the status line.
// It stays until the run leaves the diverged state or a settings change is accepted.
function errorForStatus(message, currentError) {
  if (message.state === "diverged") {
    return { message: message.message || "training diverged", code: "diverged" };
  }
  return currentError && currentError.code === "diverged" ? null : currentError;
}

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
  });
  writeSessionToUrl(schema, session.id, session.config);

  let stream = null;
  const send = (message) => stream.send(message);

  createControls({
    schema,
    store,
    slots: {
      toolbar: byTestId("toolbar-settings"),
      data: byTestId("data-settings"),
      datasets: byTestId("datasets"),
      features: byTestId("features"),
      layers: byTestId("layer-editor"),
      extra: byTestId("extra-settings"),
      view: byTestId("view-options"),
    },
    run: { play: byTestId("play"), step: byTestId("step"), reset: byTestId("reset") },
    onConfigure: (changes) => send({ type: "configure", changes }),
    onCommand: (type) => send({ type }),
    onView: (patch) => store.set({ view: { ...store.get().view, ...patch } }),
  });

  bindReadouts(
    store,
    {
      epoch: byTestId("epoch"),
      lossTrain: byTestId("loss-train"),
      lossTest: byTestId("loss-test"),
      accuracyTrain: byTestId("accuracy-train"),
      accuracyTest: byTestId("accuracy-test"),
      speed: byTestId("speed"),
      status: byTestId("status"),
      error: byTestId("error"),
      errorText: byTestId("error-text"),
      errorDismiss: byTestId("error-dismiss"),
    },
    () => store.set({ error: null }),
  );

  const featureLabels = new Map(schema.features.map((f) => [f.name, f.label || f.name]));
  const heatmap = createHeatmap(byTestId("output-heatmap"), { domain: schema.grid?.domain });
  const lossChart = createLossChart(byTestId("loss-chart"));
  const network = createNetworkView(byTestId("network"), { featureLabels });
  network.setInputs(store.get().config.features || []);

  store.subscribe((state, changed) => {
    if (changed.has("frame") && state.frame) {
      heatmap.update(state.frame);
      lossChart.update(state.frame);
      network.update(state.frame);
    }
    if (changed.has("data") && state.data) {
      heatmap.setData(state.data);
      const noun = state.data.problem === "regression" ? "target" : "class";
      byTestId("legend-negative").textContent = `${noun} −1`;
      byTestId("legend-positive").textContent = `${noun} +1`;
    }
    if (changed.has("view")) heatmap.setOptions(state.view);
    if (changed.has("config")) {
      network.setInputs(state.config.features || []);
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
          error: errorForStatus(message, store.get().error),
        });
        break;
      case "status":
        store.set({
          runState: message.state,
          epoch: message.epoch ?? store.get().epoch,
          statusMessage: message.message || "",
          error: errorForStatus(message, store.get().error),
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
    writeSessionToUrl(schema, fresh.id, fresh.config);
    stream.setUrl(sessionSocketUrl(fresh.id, accessToken()));
  }

  stream = createStream({
    url: sessionSocketUrl(session.id, accessToken()),
    onMessage: handleMessage,
    onConnection: (connection) => store.set({ connection }),
    onFatalClose: (code) =>
      replaceSession(code).catch((error) => showFatal(`Could not start a new session: ${error.message}`)),
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
