// Finding the session this page works on, and keeping its id and config in the URL.

import { ApiError, createSession, getSession, validationMessages } from "../core/api.js";
import {
  configFromQuery,
  defaultConfig,
  problemOfDataset,
  queryHasConfig,
  withConsistentLoss,
  writeConfigToQuery,
} from "../core/settings.js";

const STORAGE_KEY = "nnplay.session";
const SESSION_PARAM = "session";

function rememberedSessionId() {
  try {
    return window.localStorage.getItem(STORAGE_KEY);
  } catch {
    return null; // storage can be disabled; the URL still works
  }
}

function rememberSessionId(id) {
  try {
    window.localStorage.setItem(STORAGE_KEY, id);
  } catch {
    // ignored: see rememberedSessionId
  }
}

/**
 * Resumes the session named by ?session= (or, for a bare visit, the one in
 * localStorage) if the server still has it; otherwise creates one from the
 * settings in the URL query. Resolves to {session, notices}: `session` is the
 * server's {id, config, ...}; `notices` are messages about URL settings it refused.
 */
export async function resolveSession(schema) {
  const params = new URLSearchParams(window.location.search);
  const wantsConfig = queryHasConfig(schema, params);
  const id = params.get(SESSION_PARAM) || (wantsConfig ? null : rememberedSessionId());
  if (id) {
    const existing = await getSession(id);
    if (existing) {
      rememberSessionId(existing.id);
      return { session: existing, notices: [] };
    }
  }
  const config = configFromQuery(schema, params);
  // A hand-written link may name a data set but not its problem type, which follows from it.
  if (config.dataset && !config.problem) config.problem = problemOfDataset(schema, config.dataset);
  // Likewise the loss: "?dataset=blobs" alone means softmax and cross-entropy, not an error.
  const full = withConsistentLoss(schema, { ...defaultConfig(schema), ...config }, config);
  const result = await createSessionDroppingInvalid(full);
  rememberSessionId(result.session.id);
  return result;
}

/** Creates a session; settings the server rejects are dropped (and reported) rather than fatal. */
export async function createSessionDroppingInvalid(config) {
  const notices = [];
  let attempt = { ...config };
  for (let tries = 0; tries < 3; tries += 1) {
    try {
      return { session: await createSession(attempt), notices };
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 422) throw error;
      const problems = validationMessages(error);
      notices.push(...problems.map((p) => p.message));
      const fields = problems.map((p) => p.field).filter((f) => f in attempt);
      attempt = fields.length
        ? Object.fromEntries(Object.entries(attempt).filter(([k]) => !fields.includes(k)))
        : {};
    }
  }
  return { session: await createSession({}), notices };
}

/** Puts the session id and the whole config in the URL, without a history entry. */
export function writeSessionToUrl(schema, sessionId, config) {
  // session first, then any other parameters (e.g. token), then the settings in table order
  const params = new URLSearchParams({ [SESSION_PARAM]: sessionId });
  for (const [key, value] of new URLSearchParams(window.location.search)) {
    if (key !== SESSION_PARAM) params.append(key, value);
  }
  if (config) writeConfigToQuery(schema, config, params);
  // Commas are legal in a query; leaving them unescaped keeps "networkShape=4,2" readable.
  const query = params.toString().replaceAll("%2C", ",");
  const url = `${window.location.pathname}?${query}${window.location.hash}`;
  if (url !== `${window.location.pathname}${window.location.search}${window.location.hash}`) {
    window.history.replaceState(null, "", url);
  }
  rememberSessionId(sessionId);
}
