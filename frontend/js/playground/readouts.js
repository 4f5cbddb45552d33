// Text read-outs driven by the store: epoch, losses, accuracies, speed, the status
// line and the error area. Numbers are plain ("1234", "0.012") so they are easy
// to read and to test.

const RATE_WINDOW_MS = 1500;
const MIN_RATE_SPAN_MS = 300;

/** "0.012" with 3 decimals, or "—" for a missing / non-finite loss. */
export function formatLoss(value) {
  return typeof value === "number" && Number.isFinite(value) ? value.toFixed(3) : "—";
}

/** "98.5%" or "—". */
export function formatAccuracy(value) {
  return typeof value === "number" && Number.isFinite(value) ? `${(value * 100).toFixed(1)}%` : "—";
}

/** Plain digits, no grouping separators. */
export function formatEpoch(value) {
  return Number.isFinite(value) ? String(Math.trunc(value)) : "0";
}

const CONNECTION_TEXT = {
  connecting: "connecting…",
  connected: "connected",
  reconnecting: "reconnecting…",
  closed: "disconnected",
};

/** "connected · training · cpu"; "compiling…"; "diverged: <why>". */
export function statusText(state) {
  const parts = [CONNECTION_TEXT[state.connection] || state.connection];
  if (state.connection === "connected" && state.runState) {
    if (state.runState === "compiling") parts.push("compiling…");
    else if (state.runState === "diverged")
      parts.push(`diverged: ${state.statusMessage || "loss is not finite"}`);
    else if (state.statusMessage) parts.push(`${state.runState}: ${state.statusMessage}`);
    else parts.push(state.runState);
  }
  if (state.device) parts.push(state.device);
  return parts.join(" · ");
}

/**
 * Binds read-outs to the store. `elements`: {epoch, lossTrain, lossTest,
 * accuracyTrain, accuracyTest, speed, status, error, errorText, errorDismiss}.
 * `onDismissError()` clears the error.
 */
export function bindReadouts(store, elements, onDismissError) {
  // Epochs per second as this page sees them arrive (at a paced speed the device could go faster,
  // which is what a frame's own epochs_per_second measures): over the last second or so.
  const seen = []; // [ms, epoch]
  function observedRate(state) {
    if (state.runState !== "training" || !state.frame) {
      seen.length = 0;
      return NaN;
    }
    const now = performance.now();
    if (seen.length && state.frame.epoch < seen[seen.length - 1][1]) seen.length = 0; // a fresh run
    seen.push([now, state.frame.epoch]);
    while (seen.length > 2 && now - seen[1][0] > RATE_WINDOW_MS) seen.shift();
    const [t0, e0] = seen[0];
    return now - t0 >= MIN_RATE_SPAN_MS ? ((state.frame.epoch - e0) * 1000) / (now - t0) : NaN;
  }

  elements.errorDismiss.addEventListener("click", onDismissError);

  function render(state, changed) {
    const has = (key) => !changed || changed.has(key);
    if (has("epoch")) elements.epoch.textContent = formatEpoch(state.epoch);
    if (has("frame")) {
      const frame = state.frame;
      elements.lossTrain.textContent = formatLoss(frame ? frame.trainLoss : null);
      elements.lossTest.textContent = formatLoss(frame ? frame.testLoss : null);
      elements.accuracyTrain.textContent = formatAccuracy(frame ? frame.trainAccuracy : null);
      elements.accuracyTest.textContent = formatAccuracy(frame ? frame.testAccuracy : null);
    }
    if (has("frame") || has("runState")) {
      const speed = observedRate(state);
      const training = state.runState === "training";
      elements.speed.textContent =
        training && Number.isFinite(speed) && speed > 0 ? `${Math.round(speed)} epochs/s` : "";
      // What the device trains at while it trains (the frames' own figure), for benchmarks.
      const deviceRate = state.frame && state.frame.epochsPerSecond;
      elements.speed.dataset.serverRate = training && deviceRate > 0 ? String(Math.round(deviceRate)) : "";
    }
    if (has("connection") || has("runState") || has("statusMessage") || has("device")) {
      const text = statusText(state);
      // Rewriting identical text would make screen readers repeat it.
      if (elements.status.textContent !== text) {
        elements.status.textContent = text;
        elements.status.title = text; // the line is cut to one line on narrow screens
      }
      elements.status.dataset.state = state.runState || "";
    }
    if (has("error")) {
      // The live region stays in the page (so it is announced); it collapses when empty.
      elements.errorText.textContent = state.error ? state.error.message : "";
      elements.error.classList.toggle("has-error", Boolean(state.error));
      elements.errorDismiss.hidden = !state.error;
    }
  }

  store.subscribe(render);
  render(store.get(), null);
}
