// HTTP calls of the sequence lab: create a session, check one exists; its socket's URL.

import { accessToken } from "../core/api.js";

function headers() {
  const token = accessToken();
  return token ? { Authorization: `Bearer ${token}` } : {};
}

/** Creates a sequence-lab session with `config` (settings to change); resolves to its id. */
export async function createSequenceSession(config = {}) {
  const response = await fetch("/api/sequences/sessions", {
    method: "POST",
    headers: { "content-type": "application/json", ...headers() },
    body: JSON.stringify({ config }),
  });
  const body = await response.json();
  if (response.status !== 201) throw new Error(body.detail?.[0]?.message || `HTTP ${response.status}`);
  return body.id;
}

/** Whether a sequence-lab session still exists. */
export async function sequenceSessionExists(id) {
  const response = await fetch(`/api/sequences/sessions/${encodeURIComponent(id)}`, { headers: headers() });
  return response.ok;
}

/** ws(s)://host/ws/sequences/<id> for this page's host. */
export function sequenceSocketUrl(id, location = window.location) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const token = accessToken();
  const query = token ? `?token=${encodeURIComponent(token)}` : "";
  return `${scheme}//${location.host}/ws/sequences/${encodeURIComponent(id)}${query}`;
}
