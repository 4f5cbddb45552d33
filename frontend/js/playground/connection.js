// The page's websocket: the server's messages into the store, and carrying on in a new session
// when the server forgot this tab's one. A watcher's socket (/ws/watch/<id>) gets the same
// messages and sends nothing but ping and viewer reports.

import { accessToken } from "../core/api.js";
import { decodeData, decodeFrame } from "../core/frames.js";
import {
  CLOSE_FOREIGN_ORIGIN,
  CLOSE_UNKNOWN_SESSION,
  createStream,
  sessionSocketUrl,
  watchSocketUrl,
} from "../core/stream.js";
import { freshRunNotice } from "./notices.js";
import { createSessionDroppingInvalid, rememberSessionId } from "./session.js";

/** The store patch for one server message (frames, config, status ...); `views` are told of fresh runs. */
function applyMessage(store, message, views) {
  switch (message.type) {
    case "hello":
      store.set({
        config: message.config,
        configVersion: message.config_version ?? null,
        runState: message.state,
        statusMessage: message.message || "",
        epoch: message.epoch,
        device: message.device,
        // The public id others can watch this run by; servers before watch links send none.
        watchId: message.watch_id ?? store.get().watchId ?? null,
        readOnly: Boolean(message.read_only) || store.get().readOnly,
      });
      break;
    case "status":
      store.set({
        runState: message.state,
        epoch: message.epoch ?? store.get().epoch,
        statusMessage: message.message || "",
      });
      break;
    case "config": {
      const patch = { config: message.config, configVersion: message.config_version, error: null };
      // Reference mode starts over after a change of data or network: so does every chart.
      if (message.fresh_run) {
        views.reset();
        const notice = freshRunNotice(message.reason, store.get().readOnly);
        Object.assign(patch, { frame: null, epoch: 0, notice });
      }
      store.set(patch);
      break;
    }
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
      // A frame made before the latest config can still arrive after it (the server holds one
      // frame per client and sends its control messages first): after a fresh run it would put
      // the old run's epoch and loss back on screen. The next frame has the new version.
      const current = store.get().configVersion;
      if (current != null && frame.configVersion != null && frame.configVersion < current) break;
      store.set({ frame, epoch: frame.epoch });
      break;
    }
    default: // "pong" and anything newer than this page
      break;
  }
}

/**
 * Connects the store to the server. `views.reset()` clears every view (a new session or a fresh
 * run). Returns {send(message)}; a read-only page sends nothing but pings and viewer reports.
 */
export function connect(store, views, hooks = {}) {
  let stream = null;
  const state = store.get();
  const url = state.watching
    ? watchSocketUrl(state.watching, accessToken())
    : sessionSocketUrl(state.sessionId, accessToken());

  // The server forgot the session (e.g. it restarted): carry on in a new one with the same config.
  async function replaceSession(code) {
    // A classroom page may know better which run to show now (hooks.onUnknownSession).
    if (code === CLOSE_UNKNOWN_SESSION && hooks.onUnknownSession?.()) return;
    if (code !== CLOSE_UNKNOWN_SESSION || store.get().watching) {
      const why =
        code === CLOSE_UNKNOWN_SESSION
          ? "the run you were watching has ended"
          : code === CLOSE_FOREIGN_ORIGIN
            ? "this page's origin is not allowed"
            : "a valid ?token= is required";
      store.set({ error: { message: `The server closed the connection: ${why}.` } });
      return;
    }
    const { session: fresh } = await createSessionDroppingInvalid(store.get().config);
    rememberSessionId(fresh.id);
    views.reset();
    store.set({
      sessionId: fresh.id,
      config: fresh.config,
      epoch: 0,
      frame: null,
      error: { message: "The server no longer had this run; started a new one with the same settings." },
    });
    stream.setUrl(sessionSocketUrl(fresh.id, accessToken()));
  }

  stream = createStream({
    url,
    onMessage: (message) => applyMessage(store, message, views),
    onConnection: (connection) => store.set({ connection }),
    onFatalClose: (code) =>
      replaceSession(code).catch((error) =>
        store.set({ error: { message: `Could not start a new session: ${error.message}` } }),
      ),
  });
  window.addEventListener("pagehide", () => stream.close());
  // A page restored from the back/forward cache has a closed socket: start afresh.
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) window.location.reload();
  });

  const PASSIVE = new Set(["ping", "viewer"]);
  return {
    send(message) {
      if (store.get().readOnly && !PASSIVE.has(message.type)) return;
      stream.send(message);
    },
    /** Point the page at another run's socket (classroom: a forked run, or a watch link). */
    setUrl(socketUrl) {
      stream.setUrl(socketUrl);
    },
  };
}
