// REST calls to the nnplay server (docs/protocol.md, "REST").

/** Error carrying the HTTP status and the parsed body of a failed request. */
export class ApiError extends Error {
  constructor(message, status, body) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.body = body;
  }
}

/** The access token from the page URL (?token=), for servers started with one; else null. */
export function accessToken() {
  return new URLSearchParams(window.location.search).get("token");
}

// `body` is sent as JSON, or as it is when `contentType` names another type (e.g. text/csv).
async function requestJson(method, path, body, contentType = "application/json") {
  const init = { method, headers: { Accept: "application/json" } };
  const token = accessToken();
  if (token) init.headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) {
    init.headers["Content-Type"] = contentType;
    init.body = contentType === "application/json" ? JSON.stringify(body) : body;
  }
  const response = await fetch(path, init);
  const parsed = await response.json().catch(() => null);
  if (!response.ok) {
    throw new ApiError(`${method} ${path} failed with ${response.status}`, response.status, parsed);
  }
  return parsed;
}

/** The settings table plus features, datasets, limits and grid geometry. */
export function fetchSchema() {
  return requestJson("GET", "/api/schema");
}

/** Creates a session from a partial config; resolves to {id, config}. */
export function createSession(config) {
  return requestJson("POST", "/api/sessions", { config });
}

/** Resolves to {id, config, state, epoch, ...} or null when the session is unknown. */
export async function getSession(id) {
  try {
    return await requestJson("GET", `/api/sessions/${encodeURIComponent(id)}`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return null;
    throw error;
  }
}

/**
 * Replaces the session's own points with a CSV text (x1,x2,label rows); resolves to
 * {points, config}; a 422 (a bad line) throws an ApiError whose body names the line.
 */
export function uploadPoints(sessionId, csvText) {
  return requestJson("POST", `/api/sessions/${encodeURIComponent(sessionId)}/points`, csvText, "text/csv");
}

/** Readable messages from a 422 body: {"detail": [{"field", "message"}]}. */
export function validationMessages(error) {
  const detail = error && error.body && error.body.detail;
  if (!Array.isArray(detail)) return [];
  return detail.map((item) => ({
    field: item.field ?? (Array.isArray(item.loc) ? item.loc[item.loc.length - 1] : undefined),
    message: item.message ?? item.msg ?? String(item),
  }));
}
