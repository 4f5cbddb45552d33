// The session websocket: connect, reconnect with backoff, decode frames, send JSON.
// Text messages are JSON; binary messages are msgpack maps (global `MessagePack`,
// vendored in /vendor/msgpack.min.js).

const RETRY_BASE_MS = 300;
const RETRY_MAX_MS = 8000;
const PING_INTERVAL_MS = 25000;
const MAX_QUEUED = 32;

// Close codes after which reconnecting to the same URL cannot help.
export const CLOSE_UNKNOWN_SESSION = 4404;
export const CLOSE_FOREIGN_ORIGIN = 4403;
export const CLOSE_UNAUTHORIZED = 4401;
const FATAL_CLOSE_CODES = new Set([CLOSE_UNKNOWN_SESSION, CLOSE_FOREIGN_ORIGIN, CLOSE_UNAUTHORIZED]);

function socketUrl(path, token, location) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const query = token ? `?token=${encodeURIComponent(token)}` : "";
  return `${scheme}//${location.host}${path}${query}`;
}

/** ws(s)://<host>/ws/sessions/<id> for the page's own host (plus ?token= when there is one). */
export function sessionSocketUrl(sessionId, token = null, location = window.location) {
  return socketUrl(`/ws/sessions/${encodeURIComponent(sessionId)}`, token, location);
}

/** ws(s)://<host>/ws/watch/<watch id>: a run followed read-only. */
export function watchSocketUrl(watchId, token = null, location = window.location) {
  return socketUrl(`/ws/watch/${encodeURIComponent(watchId)}`, token, location);
}

/**
 * Opens and keeps open a websocket to `url`.
 * Callbacks: onMessage(msg) for every decoded message (text or binary),
 * onConnection(state) with "connecting" | "connected" | "reconnecting" | "closed",
 * onFatalClose(code, reason) when the server closes with a code that forbids retrying.
 * Returns {send(message), setUrl(url), close()}.
 */
export function createStream({ url, onMessage, onConnection, onFatalClose }) {
  let socketUrl = url;
  let socket = null;
  let attempt = 0;
  let retryTimer = null;
  let pingTimer = null;
  let stopped = false;
  const queue = []; // messages sent while disconnected, flushed on open
  // Messages sent on the current socket before the server greeted it. A server that no longer knows the
  // run accepts the socket, says so and closes it (4404): what was flushed into it then goes to the run
  // the page continues with instead of being lost (a click made while the server restarted).
  let unconfirmed = [];

  function connect() {
    clearTimeout(retryTimer);
    onConnection(attempt === 0 ? "connecting" : "reconnecting");
    const ws = new WebSocket(socketUrl);
    ws.binaryType = "arraybuffer";
    socket = ws;

    ws.addEventListener("open", () => {
      if (socket !== ws) return;
      attempt = 0;
      unconfirmed = [];
      onConnection("connected");
      while (queue.length > 0 && ws.readyState === WebSocket.OPEN) {
        const text = queue.shift();
        ws.send(text);
        unconfirmed.push(text);
      }
      clearInterval(pingTimer);
      pingTimer = setInterval(() => send({ type: "ping" }), PING_INTERVAL_MS);
    });

    ws.addEventListener("message", (event) => {
      if (socket !== ws) return;
      const message = decodeMessage(event.data);
      // The server greets a socket of a run it has (its error before a 4404 close is no greeting): what
      // was sent on it arrived.
      if (message && message.type !== "error") unconfirmed = null;
      if (message) onMessage(message);
    });

    ws.addEventListener("close", (event) => {
      if (socket !== ws) return;
      socket = null;
      clearInterval(pingTimer);
      if (stopped) return;
      if (FATAL_CLOSE_CODES.has(event.code)) {
        if (unconfirmed) queue.unshift(...unconfirmed.slice(-MAX_QUEUED));
        unconfirmed = [];
        onConnection("closed");
        onFatalClose(event.code, event.reason);
        return;
      }
      scheduleRetry();
    });
    // An "error" event is always followed by "close"; retrying is handled there.
  }

  function scheduleRetry() {
    attempt += 1;
    const ceiling = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (attempt - 1));
    const delayMs = ceiling * (0.5 + Math.random() * 0.5); // jitter spreads out reconnect storms
    onConnection("reconnecting");
    retryTimer = setTimeout(connect, delayMs);
  }

  /** Sends a JSON message now, or after the next successful (re)connect. */
  function send(message) {
    const text = JSON.stringify(message);
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(text);
      if (unconfirmed && message.type !== "ping") unconfirmed.push(text);
    } else if (message.type !== "ping") {
      queue.push(text);
      if (queue.length > MAX_QUEUED) queue.shift();
    }
  }

  /** Points the stream at another session and reconnects at once. */
  function setUrl(newUrl) {
    socketUrl = newUrl;
    stopped = false;
    attempt = 0;
    const old = socket;
    socket = null;
    if (old) old.close(1000, "switching session");
    connect();
  }

  function close() {
    stopped = true;
    clearTimeout(retryTimer);
    clearInterval(pingTimer);
    if (socket) socket.close(1000, "page closed");
    socket = null;
  }

  connect();
  return { send, setUrl, close };
}

function decodeMessage(data) {
  try {
    if (typeof data === "string") return JSON.parse(data);
    return window.MessagePack.decode(new Uint8Array(data));
  } catch (error) {
    console.warn("nnplay: dropped an undecodable message", error);
    return null;
  }
}
