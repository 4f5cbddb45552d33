// REST calls of classroom mode (docs/protocol.md, "Classroom"). The teacher key travels in
// X-Teacher-Key and a member token in X-Member-Token, never in a URL.

import { accessToken, ApiError } from "../core/api.js";

async function call(method, path, { body, teacherKey, memberToken } = {}) {
  const headers = { Accept: "application/json" };
  const token = accessToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (teacherKey) headers["X-Teacher-Key"] = teacherKey;
  if (memberToken) headers["X-Member-Token"] = memberToken;
  const init = { method, headers };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const parsed = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(problemText(parsed, response.status), response.status, parsed);
  return parsed;
}

/** A person-readable sentence from an error body: {"detail": "..."} or {"detail": [{field, message}]}. */
function problemText(body, status) {
  const detail = body && body.detail;
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail) && detail.length) return detail.map((d) => d.message ?? d.msg).join("; ");
  return `the server answered ${status}`;
}

const room = (code) => `/api/rooms/${encodeURIComponent(code)}`;

export const roomsApi = {
  create: (sessionId) => call("POST", "/api/rooms", { body: { session_id: sessionId } }),
  get: (code) => call("GET", room(code)),
  join: (code, name) => call("POST", `${room(code)}/join`, { body: { name } }),
  me: (code, memberToken) => call("GET", `${room(code)}/me`, { memberToken }),
  fork: (code, memberToken) => call("POST", `${room(code)}/fork`, { memberToken }),
  watch: (code, memberToken) => call("POST", `${room(code)}/watch`, { memberToken }),
  /** The member leaves for good: their run ends, their tile goes, their name is free again. */
  leave: (code, memberToken) => call("POST", `${room(code)}/leave`, { memberToken }),
  teacher: (code, teacherKey) => call("GET", `${room(code)}/teacher`, { teacherKey }),
  /** Ends the room for everyone: its students' pages are told, its runs and records are deleted. */
  close: (code, teacherKey) => call("DELETE", room(code), { teacherKey }),
  /** A teacher-only action: push-config, spotlight, remove, reset-all, lesson-next, challenge. */
  act: (code, teacherKey, action, body) => call("POST", `${room(code)}/${action}`, { body, teacherKey }),
  lessons: () => call("GET", "/api/lessons"),
};

/** ws(s)://<host>/ws/rooms/<code> or /ws/watch/<id> for the page's own host (plus ?token=). */
export function socketUrl(path, location = window.location) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const token = accessToken();
  const query = token ? `?token=${encodeURIComponent(token)}` : "";
  return `${scheme}//${location.host}${path}${query}`;
}

export const watchUrl = (watchId) => socketUrl(`/ws/watch/${encodeURIComponent(watchId)}`);
export const roomUrl = (code) => socketUrl(`/ws/rooms/${encodeURIComponent(code)}`);
