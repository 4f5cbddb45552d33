// The sweep page's calls to the server: start, stop and read a sweep, open one of its runs, and the
// address of its progress socket (docs/experiments.md, "Sweeps").

import { ApiError, accessToken } from "../core/api.js";

function headers(json = false) {
  const token = accessToken();
  return { Accept: "application/json", ...(json ? { "Content-Type": "application/json" } : {}), ...(token ? { Authorization: `Bearer ${token}` } : {}) };
}

async function call(method, path, body, extraHeaders = {}) {
  const init = { method, headers: { ...headers(body !== undefined), ...extraHeaders } };
  if (body !== undefined) init.body = JSON.stringify(body);
  const response = await fetch(path, init);
  const parsed = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(problemText(parsed, response.status), response.status, parsed);
  return parsed;
}

/** The words of an HTTP problem: {"detail": "..."} or {"detail": [{field, message}]}. */
export function problemText(body, status) {
  const detail = body && body.detail;
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail) && detail.length) return detail.map((d) => d.message ?? d.msg ?? String(d)).join("; ");
  return `the server answered ${status}`;
}

/** A lab's settings schema (its settings table; the playground's also its data sets and features). */
export function getSchema(path) {
  return call("GET", path);
}

/** Starts a sweep ({lab, base, vary, seeds, epochs, mode, samples}); resolves to its first view. */
export function startSweep(request) {
  return call("POST", "/api/sweeps", request);
}

/** The sweep's whole view, or null when the server no longer has it. */
export async function getSweep(id) {
  try {
    return await call("GET", `/api/sweeps/${encodeURIComponent(id)}`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

export function stopSweep(id) {
  return call("POST", `/api/sweeps/${encodeURIComponent(id)}/stop`);
}

/** A playground session of this client's own continuing run `index`; resolves to {id, epoch}. */
export function openRun(id, index) {
  return call("POST", `/api/sweeps/${encodeURIComponent(id)}/runs/${index}/open`);
}

/** Shows the sweep (or none: null) on every page of the room `code` the teacher's `key` opens. */
export function showToClass(code, key, sweepId) {
  return call("POST", `/api/rooms/${encodeURIComponent(code)}/sweep`, { sweep_id: sweepId }, { "X-Teacher-Key": key });
}

/** Enters the sweep (or withdraws every entry: null) in the challenge of room `code`, as the member whose
 * `token` it is; resolves to {entered, leaderboard}. */
export function enterChallenge(code, token, sweepId) {
  return call("POST", `/api/rooms/${encodeURIComponent(code)}/enter-sweep`, { sweep_id: sweepId }, { "X-Member-Token": token });
}

/** ws(s)://host/ws/sweeps/<id> for this page's host. */
export function sweepSocketUrl(id, location = window.location) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const token = accessToken();
  const query = token ? `?token=${encodeURIComponent(token)}` : "";
  return `${scheme}//${location.host}/ws/sweeps/${encodeURIComponent(id)}${query}`;
}
