// HTTP calls of the image lab: create a session, check a stack.

/** Creates an image-lab session; resolves to its id. */
export async function createLabSession(config = {}) {
  const response = await fetch("/api/images/sessions", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ config }),
  });
  const body = await response.json();
  if (response.status !== 201) throw new Error(body.detail?.[0]?.message || `HTTP ${response.status}`);
  return body.id;
}

/** Whether an image-lab session still exists. */
export async function labSessionExists(id) {
  const response = await fetch(`/api/images/sessions/${encodeURIComponent(id)}`);
  return response.ok;
}

/** Shapes, parameter counts and the first error of a stack (the server's own check). */
export async function checkStack(layers) {
  const response = await fetch("/api/images/architecture", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ layers }),
  });
  return response.json();
}

/** ws(s)://host/ws/images/<id> for this page's host. */
export function labSocketUrl(id, location = window.location) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws/images/${encodeURIComponent(id)}`;
}
