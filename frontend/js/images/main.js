// The image lab page: a session of its own, its websocket, and the views fed by its frames.
// State flows one way: controls -> server (JSON commands); server messages -> views. The views always
// show the current stack: a frame says which config (stack) made it, and one made before the newest
// config is dropped; until the new stack's first frame the views say they are out of date.

import { createStream } from "../core/stream.js";
import { createLabSession, labSessionExists, labSocketUrl } from "./api.js";
import { createDrawPad } from "./drawPad.js";
import { createHistoryChart } from "./historyChart.js";
import { renderFeatureMaps, renderFilters, renderSamples } from "./networkViews.js";
import { epochsTrained, percent } from "./pictures.js";
import { createPredictionView } from "./predictionView.js";
import { renderConfusion, renderGallery } from "./results.js";
import { createSettingsPanel } from "./settingsPanel.js";
import { createStackEditor } from "./stackEditor.js";

const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);

async function sessionId() {
  const url = new URL(window.location.href);
  const known = url.searchParams.get("session");
  if (known && (await labSessionExists(known))) return known;
  const id = await createLabSession();
  url.searchParams.set("session", id);
  window.history.replaceState(null, "", url);
  return id;
}

const hasInk = (pixels) => Boolean(pixels) && pixels.some((v) => v > 0);

function showError(text) {
  byTestId("error").textContent = text;
}

async function main() {
  // configVersion: the newest config the server accepted; a frame of an older one shows a stack that
  // is gone (a removed pool layer's maps) and is dropped.
  const lab = {
    state: "paused",
    connection: "connecting",
    nTest: 1,
    digit: 0,
    frame: null,
    configVersion: 0,
  };
  const chart = createHistoryChart(byTestId("history-chart"));
  const prediction = createPredictionView(document.querySelector(".draw"));
  let stream = null;
  const send = (message) => stream?.send(message);

  const editor = createStackEditor(document.querySelector(".network-panel"), {
    onApply: (layers) => send({ type: "set_stack", layers }),
  });
  const settings = createSettingsPanel(byTestId("settings"), {
    onChange: (changes) => send({ type: "configure", changes }),
  });

  // Predictions: one request in flight; a newer drawing waits for the answer, then goes.
  let drawn = null;
  let inFlight = false;
  let dirty = false;
  function requestPrediction() {
    if (!hasInk(drawn)) {
      prediction.clear();
      return;
    }
    if (inFlight) {
      dirty = true;
      return;
    }
    inFlight = true;
    dirty = false;
    send({ type: "predict", pixels: drawn });
  }
  const pad = createDrawPad(byTestId("digit-canvas"), {
    onChange: (pixels) => {
      drawn = pixels;
      requestPrediction();
    },
  });

  function renderStatus() {
    const status = byTestId("status");
    status.dataset.state = lab.state;
    status.textContent =
      lab.connection === "connected" ? `connected · ${lab.state === "compiling" ? "compiling…" : lab.state}` : lab.connection + "…";
    const play = byTestId("play");
    const training = lab.state === "training";
    const compiling = lab.state === "compiling";
    play.setAttribute("aria-pressed", String(training));
    play.setAttribute("aria-label", compiling ? "Compiling the network…" : training ? "Pause" : "Play");
    play.setAttribute("aria-busy", String(compiling));
    play.dataset.state = lab.state;
    play.textContent = compiling ? "compiling…" : training ? "❚❚" : "▶";
    editor.setBusy(lab.state === "compiling" ? "compiling…" : "applied");
    if (!training) byTestId("epochs-per-second").textContent = "–";
  }

  // Until a frame of the newest stack comes, the views show an older one: say so.
  function markStale(stale) {
    document.body.classList.toggle("views-stale", stale);
  }

  function clearReadouts() {
    for (const id of ["test-accuracy", "train-accuracy", "test-loss", "epochs-per-second"]) {
      byTestId(id).textContent = "–";
    }
    byTestId("epoch").textContent = "0";
  }

  function onFrame(frame) {
    markStale(false);
    lab.frame = frame;
    lab.digit = frame.digit.index;
    byTestId("epoch").textContent = epochsTrained(frame.progress); // the chart's figure too
    byTestId("test-accuracy").textContent = percent(frame.test_accuracy);
    byTestId("train-accuracy").textContent = percent(frame.train_accuracy);
    byTestId("test-loss").textContent = frame.test_loss === null ? "–" : frame.test_loss.toFixed(3);
    const speed = frame.state === "training" && lab.state === "training" ? frame.epochs_per_second : 0;
    byTestId("epochs-per-second").textContent = speed ? speed.toFixed(1) : "–";
    byTestId("digit-label").textContent = `test digit ${frame.digit.index + 1} of ${lab.nTest} (a ${frame.digit.label})`;
    chart.add(frame);
    renderFilters(byTestId("filters"), frame.filters);
    renderFeatureMaps(byTestId("feature-maps"), frame.digit, frame.feature_maps);
    renderSamples(byTestId("samples"), frame.samples);
    renderConfusion(byTestId("confusion-matrix"), frame.confusion_matrix, frame.per_class_accuracy);
    renderGallery(byTestId("misclassified"), byTestId("misclassified-count"), frame.misclassified, (index) =>
      send({ type: "select_digit", index }),
    );
    if (drawn) requestPrediction(); // the network changed: so may its answer
  }

  function onMessage(message) {
    switch (message.type) {
      case "hello":
        lab.nTest = message.n_test;
        lab.state = message.state;
        lab.configVersion = message.config_version ?? 0;
        settings.setSchema(message.schema);
        editor.setSchema(message.schema);
        settings.setConfig(message.config);
        editor.setLayers(message.config.layers, message.architecture);
        byTestId("param-count").textContent = message.parameters.toLocaleString("en");
        renderStatus();
        break;
      case "config":
        lab.configVersion = Math.max(lab.configVersion, message.config_version ?? 0);
        settings.setConfig(message.config);
        editor.setLayers(message.config.layers, message.architecture);
        byTestId("param-count").textContent = message.parameters.toLocaleString("en");
        markStale(true);
        if (message.fresh_run) {
          chart.reset(); // the chart and the numbers start over together
          clearReadouts();
        }
        break;
      case "status":
        lab.state = message.state;
        if (message.state === "error") showError(message.message);
        renderStatus();
        break;
      case "frame":
        if ((message.config_version ?? 0) < lab.configVersion) break; // made by a stack that is gone
        if (lab.frame && message.epoch < lab.frame.epoch) chart.reset();
        onFrame(message);
        break;
      case "prediction":
        inFlight = false;
        if (hasInk(drawn)) prediction.show(message, drawn); // not an answer for a drawing since cleared
        if (dirty) requestPrediction();
        break;
      case "error":
        if (message.field === "pixels") inFlight = false;
        showError(message.message);
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
  const selectDigit = (delta) => send({ type: "select_digit", index: (lab.digit + delta + lab.nTest) % lab.nTest });
  byTestId("digit-prev").addEventListener("click", () => selectDigit(-1));
  byTestId("digit-next").addEventListener("click", () => selectDigit(1));
  byTestId("clear-drawing").addEventListener("click", () => pad.clear());
  byTestId("copy-digit").addEventListener("click", () => {
    if (lab.frame) pad.load(Array.from(lab.frame.digit.image, (b) => Math.round((b / 255) * 16)));
  });

  let id;
  try {
    id = await sessionId();
  } catch (error) {
    showError(`could not start an image-lab session: ${error.message}`);
    return;
  }
  stream = createStream({
    url: labSocketUrl(id),
    onMessage,
    onConnection: (state) => {
      lab.connection = state;
      renderStatus();
    },
    onFatalClose: () => showError("this session has ended; reload the page for a new one"),
  });
}

main();
