// The generative lab page: a session of its own, its websocket, and the views fed by its frames.
// State flows one way: controls -> server (JSON commands); server messages -> views. A frame made with
// a config older than the newest accepted one is dropped (the views never show a net that is gone).

import { mountLabClassroom } from "../classroom/labPage.js";
import { createStore } from "../core/store.js";
import { createStream, watchSocketUrl } from "../core/stream.js";
import { createDrawPad } from "../images/drawPad.js";
import { createLabSession, float32, labSessionExists, labSocketUrl } from "./api.js";
import { createControls } from "./controls.js";
import { watchOnly, wireButtons, wireLatentPlane, wireOwnPoints } from "./inputs.js";
import { drawDigit, drawLatentGrid, drawLatentScatter, renderLegend, renderStrip } from "./latentViews.js";
import { createLessons } from "./lessons.js";
import { createLineChart } from "./lineChart.js";
import { drawField, drawManifold, drawSamples } from "./planeViews.js";

const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);
const INTERPOLATION_STEPS = 8;

async function sessionId() {
  const url = new URL(window.location.href);
  const known = url.searchParams.get("session");
  if (known && (await labSessionExists(known))) return known;
  const model = url.searchParams.get("model");
  const id = await createLabSession(model ? { model } : {});
  url.searchParams.set("session", id);
  window.history.replaceState(null, "", url);
  return id;
}

function showError(text) {
  byTestId("error").textContent = text;
}

const fixed = (value, digits = 2) => (value === null || value === undefined ? "–" : value.toFixed(digits));
const percent = (value) => (value === null || value === undefined ? "–" : `${Math.round(value * 100)}%`);

function splitImages(bytes, count) {
  return Array.from({ length: count }, (_, i) => bytes.slice(i * 64, (i + 1) * 64));
}

async function main() {
  const lab = { state: "paused", connection: "connecting", model: "gan", configVersion: 0, extent: 3 };
  const view = { real: null, labels: null, frame: null, drawnPoints: [], clicks: [], drawnLatent: null };
  let stream = null;
  const send = (message) => stream?.send(message);
  const root = byTestId("generative-page");
  const ganLosses = createLineChart(byTestId("gan-losses"), ["discriminator", "generator"]);
  const elboChart = createLineChart(byTestId("elbo-chart"), ["KL", "reconstruction"]);
  const controls = createControls(byTestId("settings"), {
    onChange: (changes) => send({ type: "configure", changes }),
    onError: showError,
  });
  const lessons = createLessons(byTestId("lessons"), {
    onTry: (config) => {
      showError("");
      ganLosses.reset();
      elboChart.reset();
      send({ type: "configure", changes: config });
      send({ type: "reset" });
    },
  });
  renderLegend(byTestId("latent-legend"));

  function renderStatus() {
    const status = byTestId("status");
    status.dataset.state = lab.state;
    const state = lab.state === "compiling" ? "compiling…" : lab.state;
    status.textContent = lab.connection === "connected" ? `connected · ${state}` : `${lab.connection}…`;
    const play = byTestId("play");
    const training = lab.state === "training";
    play.setAttribute("aria-pressed", String(training));
    play.setAttribute("aria-label", training ? "Pause" : "Play");
    play.textContent = lab.state === "compiling" ? "…" : training ? "❚❚" : "▶";
  }

  function setModel(config) {
    lab.model = config.model;
    root.dataset.model = config.model;
    root.classList.toggle("wgan", config.loss === "wasserstein_gp");
    for (const element of document.querySelectorAll(".wgan-only")) {
      element.hidden = config.loss !== "wasserstein_gp";
    }
  }

  function drawGan(frame) {
    const fake = float32(frame.samples);
    const common = { real: view.real, fake, extent: lab.extent };
    drawSamples(byTestId("gan-samples"), { ...common, arrows: float32(frame.arrows), drawn: view.drawnPoints });
    drawField(byTestId("gan-field"), { ...common, field: frame.field, kind: frame.field_kind });
    byTestId("field-caption").textContent =
      frame.field_kind === "probability"
        ? "Discriminator: D(x), the chance it calls x real (blue high, orange low)"
        : "Critic: its score of x (blue high, orange low; only differences matter)";
    drawManifold(byTestId("gan-manifold"), { manifold: float32(frame.manifold), real: view.real, extent: lab.extent });
    byTestId("modes-covered").textContent = frame.modes ? `${frame.modes_covered} of ${frame.modes}` : "– (no modes)";
    byTestId("good-share").textContent = percent(frame.good_sample_share);
    byTestId("divergence").textContent = fixed(frame.divergence, 3);
    ganLosses.add(frame.updates, [frame.d_loss, frame.g_loss]);
  }

  function drawLatents() {
    const frame = view.frame;
    if (!frame || frame.model === "gan" || !view.labels) return;
    drawLatentScatter(byTestId("latent-scatter"), {
      latents: float32(frame.latents),
      labels: view.labels,
      extent: lab.extent,
      clicks: view.clicks,
      drawn: view.drawnLatent,
    });
  }

  function drawAutoencoder(frame) {
    drawLatents();
    drawLatentGrid(byTestId("latent-grid"), frame.grid, 10);
    const originals = splitImages(frame.originals, 8);
    const reconstructions = splitImages(frame.reconstructions, 8);
    renderStrip(byTestId("reconstructions"), originals.flatMap((o, i) => [o, reconstructions[i]]), "digit and its reconstruction");
    byTestId("elbo").textContent = frame.elbo === null ? "– (AE: no KL)" : fixed(frame.elbo);
    byTestId("reconstruction").textContent = fixed(frame.reconstruction);
    byTestId("kl").textContent = fixed(frame.kl);
    byTestId("knn-accuracy").textContent = percent(frame.latent_knn_accuracy);
    elboChart.add(frame.updates, [frame.kl ?? 0, frame.reconstruction]);
    if (view.clicks.length) decodeClicks(); // the decoder changed: so does what the clicks decode to
  }

  function onFrame(frame) {
    view.frame = frame;
    byTestId("updates").textContent = String(frame.updates);
    const speed = frame.state === "training" ? frame.epochs_per_second * (lab.stepsPerEpoch || 1) : 0;
    byTestId("updates-per-second").textContent = speed ? Math.round(speed).toString() : "–";
    if (frame.model === "gan") drawGan(frame);
    else drawAutoencoder(frame);
  }

  function decodeClicks() {
    if (!view.clicks.length || lab.decoding) return;
    lab.decoding = true;
    const [a, b] = view.clicks;
    const points = !b
      ? [a]
      : Array.from({ length: INTERPOLATION_STEPS }, (_, i) => {
          const t = i / (INTERPOLATION_STEPS - 1);
          return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
        });
    send({ type: "decode", points: points.map(([x, y]) => [Number(x.toFixed(3)), Number(y.toFixed(3))]) });
  }

  function onMessage(message) {
    switch (message.type) {
      case "hello":
        lab.state = message.state;
        lab.configVersion = message.config_version ?? 0;
        lab.stepsPerEpoch = message.steps_per_epoch;
        controls.setSchema(message.schema);
        lessons.setSchema(message.schema);
        controls.setConfig(message.config);
        setModel(message.config);
        renderStatus();
        break;
      case "config":
        lab.configVersion = Math.max(lab.configVersion, message.config_version ?? 0);
        lab.stepsPerEpoch = message.steps_per_epoch ?? lab.stepsPerEpoch;
        controls.setConfig(message.config);
        if (message.config.model !== lab.model) {
          ganLosses.reset();
          elboChart.reset();
          view.clicks = [];
          view.frame = null;
        }
        setModel(message.config);
        break;
      case "data":
        lab.extent = message.extent;
        view.real = message.points ? float32(message.points) : null;
        view.labels = message.labels ? new Uint8Array(message.labels.slice()) : null;
        break;
      case "status":
        lab.state = message.state;
        if (message.state === "error" || message.state === "diverged") showError(message.message);
        renderStatus();
        break;
      case "frame":
        if ((message.config_version ?? 0) < lab.configVersion) break;
        if ((message.model === "gan") !== (lab.model === "gan")) break; // the model before a switch
        onFrame(message);
        break;
      case "decoded": {
        lab.decoding = false;
        drawDigit(byTestId("latent-decode"), message.images[0]);
        const [x, y] = message.points[0];
        byTestId("latent-point").textContent = `decoded (${x.toFixed(2)}, ${y.toFixed(2)})`;
        if (message.images.length > 1) renderStrip(byTestId("interpolation"), message.images, "interpolated digit");
        else byTestId("interpolation").replaceChildren();
        break;
      }
      case "encoded":
        view.drawnLatent = message.point;
        byTestId("drawn-latent").textContent = `lands at (${message.point[0].toFixed(2)}, ${message.point[1].toFixed(2)}): the pink ×`;
        drawLatents();
        break;
      case "error":
        if (message.field === "points") lab.decoding = false;
        showError(message.message);
        break;
      default:
        break;
    }
  }

  wireButtons(send, lab, () => {
    ganLosses.reset();
    elboChart.reset();
  });
  wireLatentPlane(byTestId("latent-scatter"), lab, view, () => {
    showError("");
    lab.decoding = false;
    decodeClicks();
    drawLatents();
  });
  createDrawPad(byTestId("digit-canvas"), {
    onChange: (pixels) => {
      if (pixels.some((v) => v > 0)) send({ type: "encode", pixels });
      else view.drawnLatent = null;
    },
  });
  byTestId("clear-drawing").addEventListener("click", () => {
    view.drawnLatent = null;
    byTestId("drawn-latent").textContent = "";
    drawLatents();
  });

  const watchId = new URL(window.location.href).searchParams.get("watch");
  if (watchId) {
    watchOnly();
    stream = createStream({
      url: watchSocketUrl(watchId),
      onMessage,
      onConnection: (state) => {
        lab.connection = state;
        renderStatus();
      },
      onFatalClose: () => showError("this run has ended"),
    });
    return;
  }
  let id;
  try {
    id = await sessionId();
  } catch (error) {
    showError(`could not start a generative-lab session: ${error.message}`);
    return;
  }
  wireOwnPoints(id, send, lab, view);
  // The classroom (classroom/labPage.js): a room opened from this page, or joined by its link, switches the
  // run the page shows (the teacher's run to watch, or one's own fork).
  const store = createStore({ sessionId: id, readOnly: false, schema: null, hide: [] });
  store.subscribe((state, changed) => {
    if (changed.has("readOnly")) byTestId("settings").closest(".controls-panel").inert = Boolean(state.readOnly);
  });
  let classroom = null;
  stream = createStream({
    url: labSocketUrl(id),
    onMessage: (message) => {
      if (message.type === "hello") store.set({ schema: message.schema });
      onMessage(message);
    },
    onConnection: (state) => {
      lab.connection = state;
      renderStatus();
    },
    onFatalClose: () => {
      if (!classroom?.handleFatalClose()) showError("this session has ended; reload the page for a new one");
    },
  });
  const reset = () => {
    ganLosses.reset();
    elboChart.reset();
    view.frame = null;
    lab.configVersion = 0;
  };
  classroom = mountLabClassroom({ lab: "generative", store, stream, socketUrl: labSocketUrl, reset, showError });
}

main();
