// HTTP calls of the generative lab: create a session, check one exists, upload own points (CSV).

async function problem(response) {
  const body = await response.json().catch(() => ({}));
  const detail = body.detail;
  if (Array.isArray(detail)) return detail[0]?.message || `HTTP ${response.status}`;
  return detail || `HTTP ${response.status}`;
}

/** Creates a generative-lab session; resolves to its id. */
export async function createLabSession(config = {}) {
  const response = await fetch("/api/generative/sessions", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ config }),
  });
  if (response.status !== 201) throw new Error(await problem(response));
  return (await response.json()).id;
}

export async function labSessionExists(id) {
  const response = await fetch(`/api/generative/sessions/${encodeURIComponent(id)}`);
  return response.ok;
}

/** Own points as CSV text (x,y lines) -> the GAN's data; rejects with the server's words. */
export async function uploadPoints(id, text) {
  const response = await fetch(`/api/generative/sessions/${encodeURIComponent(id)}/points`, {
    method: "POST",
    headers: { "content-type": "text/csv" },
    body: text,
  });
  if (!response.ok) throw new Error(await problem(response));
  return response.json();
}

export function labSocketUrl(id, location = window.location) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws/generative/${encodeURIComponent(id)}`;
}

/** Little-endian float32 bytes (msgpack bin, any offset) -> Float32Array. */
export function float32(bytes) {
  return bytes ? new Float32Array(bytes.slice().buffer) : new Float32Array(0);
}
