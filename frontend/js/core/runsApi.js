// REST calls of saved runs, comparisons and exports (docs/experiments.md; docs/protocol.md, "REST").

import { ApiError, accessToken } from "./api.js";

function headers(extra = {}) {
  const token = accessToken();
  return { Accept: "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}), ...extra };
}

async function call(method, path, body) {
  const init = { method, headers: headers(body === undefined ? {} : { "Content-Type": "application/json" }) };
  if (body !== undefined) init.body = JSON.stringify(body);
  const response = await fetch(path, init);
  if (response.status === 204) return null;
  const type = response.headers.get("Content-Type") || "";
  const parsed = type.includes("json") ? await response.json().catch(() => null) : await response.blob();
  if (!response.ok) throw new ApiError(`${method} ${path} failed with ${response.status}`, response.status, parsed);
  return parsed;
}

const runPath = (name) => `/api/runs/${encodeURIComponent(name)}`;

/** A readable sentence from a failed call's body ({"detail": "..."} or [{"message"}]). */
export function problemText(error) {
  const detail = error?.body?.detail;
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) return detail.map((d) => d.message || String(d)).join("; ");
  return error?.message || String(error);
}

/** Saves the session's run under `name`; a name in use is a 409 unless `overwrite`. */
export const saveRun = (sessionId, name, overwrite = false) =>
  call("POST", `/api/sessions/${encodeURIComponent(sessionId)}/save`, { name, overwrite });

/** Resolves to [{name, lab, epoch, saved_at, config, train_loss, test_loss, ...}], newest first. */
export const listRuns = async () => (await call("GET", "/api/runs")).runs;

export const deleteRun = (name) => call("DELETE", runPath(name));

/** A saved run with its `history` ({epoch, train_loss, test_loss}) and `figures`. */
export const getRun = (name) => call("GET", runPath(name));

/** A new session continuing the saved run; resolves to {id, watch_id, config, epoch}. */
export const openRun = (name) => call("POST", `${runPath(name)}/open`);

/** `runs`: [{saved: name} | {session: id}] (2 to 4); resolves to the comparison (figures as plotly specs). */
export const compareRuns = (runs) => call("POST", "/api/compare", { runs });

/** The offline HTML report of a comparison, as a Blob. */
export const compareReport = (runs, title) => call("POST", "/api/compare/report", { runs, title });

/** Where a run's export downloads from (a session's, or a saved run's). */
export function exportUrl({ sessionId = null, saved = null }, format) {
  const base = saved ? runPath(saved) : `/api/sessions/${encodeURIComponent(sessionId)}`;
  const token = accessToken();
  return `${base}/export?format=${format}${token ? `&token=${encodeURIComponent(token)}` : ""}`;
}

/** Where a sweep's offline HTML report downloads from (as it stands: a running sweep's so far). */
export function sweepReportUrl(sweepId) {
  const token = accessToken();
  return `/api/sweeps/${encodeURIComponent(sweepId)}/report${token ? `?token=${encodeURIComponent(token)}` : ""}`;
}

/** Offers a Blob to the person as a file download. */
export function downloadBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = Object.assign(document.createElement("a"), { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
